/*
 * Which shared object serves this process's malloc (doc/allocators.md,
 * "The allocator that serves malloc"). Global lookup decides, not which allocators happen to
 * be loaded: a library may embed a private jemalloc, and LD_PRELOAD or the
 * program's own link order may put another allocator first.
 *
 * The object that serves malloc is the first one in the global lookup order
 * that defines it. Usually that is where dlsym(RTLD_DEFAULT, "malloc")
 * points. But when a non-PIE executable takes malloc's address (Debian's
 * own /usr/bin/python3 does), the canonical address is a PLT stub in the
 * executable: its dynamic symbol is undefined yet carries a value, dlsym
 * returns it and dladdr names the program. Then the lookup order is walked
 * on, past the executable, as the dynamic linker itself does.
 */
#define _GNU_SOURCE /* dladdr1, dlinfo, RTLD_DEFAULT, RTLD_NOLOAD */
#include <dlfcn.h>
#include <elf.h>
#include <link.h>
#include <stddef.h>
#include <string.h>

#include "live.h"

/*
 * Whether addr is a definition in the object that holds it, rather than an
 * executable's PLT stub for a symbol defined elsewhere. Without dladdr1
 * (not glibc) every address counts as a definition, as it did before.
 */
static int defined_at(void *addr, struct link_map **map)
{
#if defined(HEAPMIN_HAVE_DLADDR1)
    Dl_info info;
    const ElfW(Sym) *sym = NULL;

    if (dladdr1(addr, &info, (void **)&sym, RTLD_DL_SYMENT) == 0 ||
        dladdr1(addr, &info, (void **)map, RTLD_DL_LINKMAP) == 0)
        return 0;
    return sym == NULL || sym->st_shndx != SHN_UNDEF;
#else
    (void)addr;
    *map = NULL;
    return 1;
#endif
}

/*
 * symbol as dlsym() on m's handle finds it: in m, else in its
 * dependencies. Only m and the objects it names in DT_NEEDED are searched:
 * a definition deeper down is never in the live object nor in one it
 * needs, which is all heapmin__live_is() accepts. Read from the objects'
 * own tables, so that a missing symbol allocates nothing (elf.c).
 */
#if defined(HEAPMIN_HAVE_DLADDR1)
/*
 * m's string table, which names its DT_NEEDED objects. glibc relocates
 * these addresses in place on most machines, not where the dynamic section
 * is read-only (MIPS, RISC-V): an address below the load base is still an
 * offset.
 */
static const char *dyn_strtab(const struct link_map *m)
{
    const ElfW(Dyn) * d;
    const char *strtab = NULL;

    for (d = m->l_ld; d != NULL && d->d_tag != DT_NULL; d++)
        if (d->d_tag == DT_STRTAB)
            strtab = (const char *)d->d_un.d_ptr;
    if (strtab != NULL && (ElfW(Addr))strtab < m->l_addr)
        strtab += m->l_addr;
    return strtab;
}

static void *lookup(struct link_map *m, const char *symbol)
{
    const ElfW(Dyn) * d;
    const char *strtab = dyn_strtab(m);
    void *addr = heapmin__elf_symbol(m, symbol);

    for (d = m->l_ld; addr == NULL && strtab != NULL && d->d_tag != DT_NULL;
         d++) {
        struct link_map *dep;
        const char *want = strtab + d->d_un.d_val;

        if (d->d_tag != DT_NEEDED)
            continue;
        /* The first object loaded under that name, as the linker bound. */
        for (dep = m; dep->l_prev != NULL; dep = dep->l_prev)
            ;
        for (; dep != NULL; dep = dep->l_next) {
            const char *base = strrchr(dep->l_name, '/');

            if (strcmp(base != NULL ? base + 1 : dep->l_name, want) == 0)
                break;
        }
        if (dep != NULL && dep != m)
            addr = heapmin__elf_symbol(dep, symbol);
    }
    return addr;
}
#endif

/*
 * The global lookup order of the initial objects is their order in the
 * link map: the executable, LD_PRELOAD objects, then DT_NEEDED breadth
 * first. Objects opened later come after the C library, which always
 * defines malloc, so they are never reached.
 */
static void *next_definition(struct link_map *after, const char *symbol)
{
    struct link_map *m;

    for (m = after->l_next; m != NULL; m = m->l_next) {
#if defined(HEAPMIN_HAVE_DLADDR1)
        void *addr = heapmin__elf_symbol(m, symbol);

        if (addr != NULL)
            return addr;
#else
        void *handle = dlopen(m->l_name, RTLD_LAZY | RTLD_NOLOAD);
        void *addr = handle != NULL ? dlsym(handle, symbol) : NULL;
        struct link_map *where = NULL;

        if (handle != NULL)
            dlclose(handle); /* still loaded: this was only a reference */
        /* dlsym on a handle also searches its dependencies. */
        if (addr != NULL && defined_at(addr, &where) && where == m)
            return addr;
#endif
    }
    return NULL;
}

int heapmin__live_find(struct heapmin__live *live)
{
    Dl_info info;
    struct link_map *map = NULL;
    void *malloc_addr = dlsym(RTLD_DEFAULT, "malloc");

    if (malloc_addr != NULL && !defined_at(malloc_addr, &map))
        malloc_addr = map != NULL ? next_definition(map, "malloc") : NULL;
    if (malloc_addr == NULL || dladdr(malloc_addr, &info) == 0 ||
        info.dli_fname == NULL || info.dli_fbase == NULL)
        return -1;
    live->path = info.dli_fname;
    live->base = info.dli_fbase;
    live->handle = NULL;
    live->map = NULL;
#if defined(HEAPMIN_HAVE_DLADDR1)
    /* The object serves malloc, so it stays loaded: no handle needed. */
    if (dladdr1(malloc_addr, &info, (void **)&map, RTLD_DL_LINKMAP) == 0 ||
        map == NULL)
        return -1;
    live->map = map;
    return 0;
#else
    /*
     * The object is loaded, so this only takes a reference. It fails for
     * the main program (malloc linked into it), whose handle is NULL's.
     */
    live->handle = dlopen(info.dli_fname, RTLD_LAZY | RTLD_NOLOAD);
    if (live->handle == NULL)
        live->handle = dlopen(NULL, RTLD_LAZY);
    return live->handle != NULL ? 0 : -1;
#endif
}

int heapmin__live_contains(const struct heapmin__live *live, void *addr)
{
    Dl_info info;

    return addr != NULL && dladdr(addr, &info) != 0 &&
           info.dli_fbase == live->base;
}

/*
 * Whether addr lies in an object the live object names in its DT_NEEDED
 * list: tbbmalloc's proxy serves malloc, and its call lives in
 * libtbbmalloc.so.2, which the proxy needs. Compared by file name, as the
 * dynamic linker found the object by that name.
 */
static int in_needed(const struct heapmin__live *live, void *addr)
{
#if defined(HEAPMIN_HAVE_DLADDR1)
    struct link_map *self = NULL, *dep = NULL;
    const ElfW(Dyn) * d;
    const char *strtab = NULL, *base;
    Dl_info info;

    self = live->map;
    if (addr == NULL ||
        dladdr1(addr, &info, (void **)&dep, RTLD_DL_LINKMAP) == 0 ||
        dep == NULL || self == NULL || self->l_ld == NULL)
        return 0;
    base = strrchr(dep->l_name, '/');
    base = base != NULL ? base + 1 : dep->l_name;
    strtab = dyn_strtab(self);
    for (d = self->l_ld; strtab != NULL && d->d_tag != DT_NULL; d++)
        if (d->d_tag == DT_NEEDED && strcmp(strtab + d->d_un.d_val, base) == 0)
            return 1;
    return 0;
#else
    (void)live;
    (void)addr;
    return 0;
#endif
}

int heapmin__live_is(const struct heapmin__live *live,
                     const struct heapmin__mechanism *m, void *probe,
                     void *entry)
{
    if (!heapmin__live_contains(live, probe))
        return 0;
    return heapmin__live_contains(live, entry) ||
           (m->entry_in_needed && in_needed(live, entry));
}

void *heapmin__live_symbol(const struct heapmin__live *live, const char *symbol)
{
    /* The caller judges where it lies (heapmin__live_is). */
#if defined(HEAPMIN_HAVE_DLADDR1)
    return lookup(live->map, symbol);
#else
    return dlsym(live->handle, symbol);
#endif
}
