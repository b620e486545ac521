/*
 * A program that includes heapmin.h beside <stdlib.h>, <malloc.h> and
 * <windows.h> (ORDER picks the order) must call heapmin's _heapmin, never the
 * C runtime's, with no warning under -Werror, linked statically or against
 * the DLL. After #undef _heapmin it gets the CRT's, which under Wine
 * returns -1 where heapmin returns 0 (Wine's HeapCompact is a stub).
 */
#if ORDER == 1
#include "heapmin.h"
#include <malloc.h>
#include <stdlib.h>
#include <windows.h>
#elif ORDER == 2
#include <stdlib.h>
#include "heapmin.h"
#include <windows.h>
#elif ORDER == 3
#include <malloc.h>
#include <windows.h>
#include "heapmin.h"
#include <stdlib.h>
#else
#include <windows.h>
#include <stdlib.h>
#include <malloc.h>
#include "heapmin.h"
#endif

#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "wine.h"

/*
 * The C runtime's _heapmin, from the C runtime this program imports:
 * msvcrt.dll for a classic mingw build; for the UCRT (MSVC, zig, MSYS2's
 * UCRT64) ucrtbase.dll or its api-ms-win-crt-*.dll sets, and such a
 * process may have no msvcrt.dll at all, or one some other DLL loaded.
 * The first module of the executable's import table that exports it.
 */
static FARPROC crt_heapmin(char *name, size_t size)
{
    const unsigned char *base = (const unsigned char *)GetModuleHandleW(NULL);
    const IMAGE_DOS_HEADER *dos = (const IMAGE_DOS_HEADER *)(const void *)base;
    const IMAGE_NT_HEADERS *nt =
        (const IMAGE_NT_HEADERS *)(const void *)(base + dos->e_lfanew);
    const IMAGE_DATA_DIRECTORY *dir =
        &nt->OptionalHeader.DataDirectory[IMAGE_DIRECTORY_ENTRY_IMPORT];
    const IMAGE_IMPORT_DESCRIPTOR *d =
        (const IMAGE_IMPORT_DESCRIPTOR *)(const void *)(base +
                                                        dir->VirtualAddress);

    for (; dir->Size != 0 && d->Name != 0; d++) {
        const char *dll = (const char *)(base + d->Name);
        HMODULE mod = GetModuleHandleA(dll);
        FARPROC f = mod != NULL ? GetProcAddress(mod, "_heapmin") : NULL;

        if (f != NULL) {
            snprintf(name, size, "%s", dll);
            return f;
        }
    }
    snprintf(name, size, "none of the imported DLLs");
    return NULL;
}

int main(void)
{
    int (*mine)(void) = _heapmin;
    char crt_name[MAX_PATH];
    FARPROC crt = crt_heapmin(crt_name, sizeof crt_name);
    void *mine_addr, *crt_addr;
    int rc, crt_rc;
    /* A legacy-target (stub) build fails with ENOSYS, through _heapmin too. */
    int stub = strncmp(heapmin_backend(), "stub ", 5) == 0;

    memcpy(&mine_addr, &mine, sizeof mine_addr);
    memcpy(&crt_addr, &crt, sizeof crt_addr);
    errno = 12345;
    rc = _heapmin();
    printf("order %d: _heapmin() = %d, errno %d; ours at %p, the CRT's "
           "(%s) at %p\n",
           ORDER, rc, errno, mine_addr, crt_name, crt_addr);
    if (crt_addr == NULL || mine_addr == crt_addr) {
        fprintf(stderr, "_heapmin is the C runtime's\n");
        return 1;
    }
    if (stub ? rc != -1 || errno != ENOSYS : rc != 0 || errno != 12345) {
        fprintf(stderr, "_heapmin() broke the contract\n");
        return 1;
    }
#undef _heapmin
    crt_rc = _heapmin();
    printf("after #undef, the CRT's _heapmin() = %d\n", crt_rc);
    if (under_wine() && crt_rc != -1) {
        fprintf(stderr, "expected Wine's CRT _heapmin to fail\n");
        return 1;
    }
    return 0;
}
