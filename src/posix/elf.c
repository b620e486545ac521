/*
 * A symbol's definition in one loaded object, read from its own dynamic
 * symbol table (DT_GNU_HASH, else DT_HASH). The dynamic linker's dlsym()
 * allocates for every symbol it does not find (the error it keeps for
 * dlerror), and dlopen(RTLD_NOLOAD) allocates a search list: the first
 * allocation on a thread gives it a malloc arena of its own, 64 MiB of
 * address space, which a program calling mlockall() pays for. Detection
 * looks for several symbols that are missing, on the trimmer's thread.
 */
#define _GNU_SOURCE
#include <dlfcn.h>
#include <elf.h>
#include <link.h>
#include <stdint.h>
#include <string.h>

#include "live.h"

/* The versym bit of a version that is not the default one. */
#define VERSYM_HIDDEN 0x8000

struct tables {
    const ElfW(Sym) * symtab;
    const char *strtab;
    const uint32_t *gnu, *sysv;
    const ElfW(Half) * versym;
};

/*
 * glibc relocates the dynamic section's addresses in place on most
 * machines, not where it is read-only (MIPS, RISC-V): an address below the
 * load base is still an offset.
 */
static const void *at(const struct link_map *m, ElfW(Addr) a)
{
    return (const void *)(a < m->l_addr ? a + m->l_addr : a);
}

static int read_tables(const struct link_map *m, struct tables *t)
{
    const ElfW(Dyn) * d;

    memset(t, 0, sizeof *t);
    for (d = m->l_ld; d != NULL && d->d_tag != DT_NULL; d++) {
        const void *p = at(m, d->d_un.d_ptr);

        if (d->d_tag == DT_SYMTAB)
            t->symtab = p;
        else if (d->d_tag == DT_STRTAB)
            t->strtab = p;
        else if (d->d_tag == DT_GNU_HASH)
            t->gnu = p;
        else if (d->d_tag == DT_HASH)
            t->sysv = p;
        else if (d->d_tag == DT_VERSYM)
            t->versym = p;
    }
    return t->symtab != NULL && t->strtab != NULL &&
           (t->gnu != NULL || t->sysv != NULL);
}

/* Symbol i, if it is name's default definition; else NULL. */
static void *match(const struct link_map *m, const struct tables *t,
                   uint32_t i, const char *name)
{
    const ElfW(Sym) *s = &t->symtab[i];
    int type = s->st_info & 0xf; /* ELF32_ST_TYPE, ELF64_ST_TYPE */

    if (s->st_shndx == SHN_UNDEF || strcmp(t->strtab + s->st_name, name) != 0 ||
        (t->versym != NULL && (t->versym[i] & VERSYM_HIDDEN)) ||
        (type != STT_FUNC && type != STT_OBJECT && type != STT_NOTYPE &&
         type != STT_GNU_IFUNC))
        return NULL;
    if (type == STT_GNU_IFUNC) {
        /* Its address is what a resolver returns: the linker's to call.
         * No allocator's entry point is one; found only if global lookup
         * agrees on the object. */
        Dl_info info;
        void *a = dlsym(RTLD_DEFAULT, name);

        return a != NULL && dladdr(a, &info) != 0 &&
                       (ElfW(Addr))info.dli_fbase == m->l_addr
                   ? a
                   : NULL;
    }
    return (void *)(m->l_addr + s->st_value);
}

static uint32_t gnu_hash(const char *s)
{
    uint32_t h = 5381;

    while (*s != '\0')
        h = h * 33 + (unsigned char)*s++;
    return h;
}

static uint32_t sysv_hash(const char *s)
{
    uint32_t h = 0, g;

    while (*s != '\0') {
        h = (h << 4) + (unsigned char)*s++;
        g = h & 0xf0000000u;
        h ^= g >> 24;
        h &= ~g;
    }
    return h;
}

static void *in_gnu(const struct link_map *m, const struct tables *t,
                    const char *name)
{
    const uint32_t nbuckets = t->gnu[0], offset = t->gnu[1];
    const uint32_t words = t->gnu[2], shift = t->gnu[3];
    const ElfW(Addr) *bloom = (const ElfW(Addr) *)(t->gnu + 4);
    const uint32_t *buckets = (const uint32_t *)(bloom + words);
    const uint32_t *chain = buckets + nbuckets;
    const unsigned bits = sizeof(ElfW(Addr)) * 8;
    uint32_t h = gnu_hash(name), i;
    ElfW(Addr) mask = ((ElfW(Addr))1 << (h % bits)) |
                      ((ElfW(Addr))1 << ((h >> shift) % bits));

    if (nbuckets == 0 || words == 0 ||
        (bloom[(h / bits) % words] & mask) != mask)
        return NULL;
    for (i = buckets[h % nbuckets]; i >= offset && i != 0; i++) {
        uint32_t h2 = chain[i - offset];
        void *a = (h | 1) == (h2 | 1) ? match(m, t, i, name) : NULL;

        if (a != NULL)
            return a;
        if (h2 & 1)
            break;
    }
    return NULL;
}

static void *in_sysv(const struct link_map *m, const struct tables *t,
                     const char *name)
{
    const uint32_t nbucket = t->sysv[0], nchain = t->sysv[1];
    const uint32_t *bucket = t->sysv + 2, *chain = bucket + nbucket;
    uint32_t i;

    if (nbucket == 0)
        return NULL;
    for (i = bucket[sysv_hash(name) % nbucket]; i != STN_UNDEF && i < nchain;
         i = chain[i]) {
        void *a = match(m, t, i, name);

        if (a != NULL)
            return a;
    }
    return NULL;
}

void *heapmin__elf_symbol(const struct link_map *m, const char *name)
{
    struct tables t;

    if (m == NULL || !read_tables(m, &t))
        return NULL;
    return t.gnu != NULL ? in_gnu(m, &t, name) : in_sysv(m, &t, name);
}
