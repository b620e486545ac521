/* Whether a Windows test runs under Wine, which exports wine_get_version. */
#ifndef HEAPMIN_TESTS_WINE_H
#define HEAPMIN_TESTS_WINE_H

#include <windows.h>

static int under_wine(void)
{
    HMODULE ntdll = GetModuleHandleW(L"ntdll.dll");
    return ntdll != NULL && GetProcAddress(ntdll, "wine_get_version") != NULL;
}

#endif
