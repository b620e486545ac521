/*
 * Every path of the Win32 backend, driven through its seam (the table of
 * Win32 calls in src/win32/calls.h): success, HeapCompact's 0 with
 * NO_ERROR, the Windows 98 ERROR_CALL_NOT_IMPLEMENTED, other failures and
 * their errno values, HeapSetInformation missing or refusing, and which
 * heaps are compacted with which flags. Links the static library. TAP.
 */
#include "heapmin.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "calls.h"
#include "wine.h"

static struct heapmin__win32_calls real;
static int test_number, failures;

static void ok(int cond, const char *what)
{
    printf("%sok %d - %s\n", cond ? "" : "not ", ++test_number, what);
    if (!cond)
        failures++;
}

/* What the fakes were asked, and what they answer. */
static struct {
    int compacts;
    HANDLE compacted[4];
    DWORD flags;
    int fail_on;    /* 1-based HeapCompact call that fails, 0: none */
    SIZE_T largest; /* HeapCompact's result when it does not fail */
    DWORD error;    /* the error of the failing call, or NO_ERROR */
    int sets;
    HANDLE set_heap;
    HEAP_INFORMATION_CLASS set_class;
    struct heapmin__heap_optimize_resources set_info;
    SIZE_T set_len;
    BOOL set_answer;
} fake;

static SIZE_T WINAPI fake_compact(HANDLE heap, DWORD flags)
{
    if (fake.compacts < 4)
        fake.compacted[fake.compacts] = heap;
    fake.flags |= flags;
    if (++fake.compacts == fake.fail_on) {
        if (fake.error != NO_ERROR)
            real.SetLastError(fake.error);
        return 0;
    }
    return fake.largest;
}

static BOOL WINAPI fake_set(HANDLE heap, HEAP_INFORMATION_CLASS cls, PVOID info,
                            SIZE_T len)
{
    fake.sets++;
    fake.set_heap = heap;
    fake.set_class = cls;
    fake.set_len = len;
    if (len == sizeof fake.set_info)
        memcpy(&fake.set_info, info, len);
    if (!fake.set_answer)
        real.SetLastError(ERROR_INVALID_PARAMETER);
    return fake.set_answer;
}

static heapmin__heap_set_information_fn find_fake_set(void)
{
    return fake_set;
}

static heapmin__heap_set_information_fn find_nothing(void)
{
    return NULL;
}

static intptr_t __cdecl process_heap_as_crt_heap(void)
{
    return (intptr_t)real.GetProcessHeap();
}

/* Fakes in place, answering success with a 4 KiB largest free block. */
static void reset(void)
{
    memset(&fake, 0, sizeof fake);
    fake.largest = 4096;
    fake.set_answer = TRUE;
    heapmin__win32_calls = real;
    heapmin__win32_calls.HeapCompact = fake_compact;
    heapmin__win32_calls.find_heap_set_information = find_fake_set;
}

/* heapmin() with errno and the last error seeded; returns its result. */
static int call(int *err)
{
    int rc;

    real.SetLastError(ERROR_ACCESS_DENIED); /* a stale error to ignore */
    errno = 12345;
    rc = heapmin();
    *err = errno;
    return rc;
}

static void check_failure(DWORD error, int expected, const char *what)
{
    int err, rc;

    reset();
    fake.fail_on = 1;
    fake.error = error;
    _doserrno = 0;
    rc = call(&err);
    ok(rc == -1 && err == expected && _doserrno == error, what);
    ok(fake.compacts == 1, "  and the first failure stops the trim");
}

int main(void)
{
    HANDLE process = GetProcessHeap();
    HANDLE crt = (HANDLE)_get_heap_handle();
    int err, rc;

    real = heapmin__win32_calls;
    printf("# %s; CRT heap %p, process heap %p\n",
           under_wine() ? "under Wine" : "on Windows", (void *)crt,
           (void *)process);

    /* The real calls. */
    rc = call(&err);
    ok(rc == 0 && err == 12345, "real calls: 0, errno untouched");
    ok(real.find_heap_set_information() != NULL,
       "real calls: HeapSetInformation found in kernel32");
    {
        struct heapmin__heap_optimize_resources info = {1, 0};
        heapmin__heap_set_information_fn set = real.find_heap_set_information();
        printf("# HeapSetInformation(NULL, HeapOptimizeResources) answers %d\n",
               set ? (int)set(NULL, HEAPMIN__HEAP_OPTIMIZE_RESOURCES, &info,
                              sizeof info)
                   : -1);
    }
    if (under_wine()) {
        SIZE_T largest;
        real.SetLastError(NO_ERROR);
        largest = HeapCompact(crt, 0);
        ok(largest == 0 && GetLastError() == NO_ERROR,
           "Wine's HeapCompact answers 0 with NO_ERROR: success for heapmin");
    }

    reset();
    rc = call(&err);
    ok(rc == 0 && err == 12345, "success: 0, errno untouched");
    ok(fake.sets == 1 && fake.set_heap == NULL &&
           fake.set_class == HEAPMIN__HEAP_OPTIMIZE_RESOURCES &&
           fake.set_len == 8 && fake.set_info.Version == 1 &&
           fake.set_info.Flags == 0,
       "HeapSetInformation(NULL, HeapOptimizeResources, {1, 0}, 8) first");
    ok(fake.compacts == (crt == process ? 1 : 2) && fake.compacted[0] == crt &&
           (crt == process || fake.compacted[1] == process),
       "HeapCompact on the CRT heap, then the process heap when another");
    ok(fake.flags == 0, "never HEAP_NO_SERIALIZE (no flags at all)");

    reset();
    heapmin__win32_calls.get_heap_handle = process_heap_as_crt_heap;
    rc = call(&err);
    ok(rc == 0 && fake.compacts == 1 && fake.compacted[0] == process,
       "one heap compacted once when the CRT uses the process heap");

    reset();
    fake.fail_on = 1;      /* 0 ... */
    fake.error = NO_ERROR; /* ... with NO_ERROR: no free block */
    rc = call(&err);
    ok(rc == 0 && err == 12345,
       "0 with NO_ERROR is success, despite a stale last error");

    check_failure(ERROR_CALL_NOT_IMPLEMENTED, ENOSYS,
                  "Windows 98: ERROR_CALL_NOT_IMPLEMENTED gives -1, ENOSYS, "
                  "_doserrno");
    check_failure(ERROR_NOT_ENOUGH_MEMORY, ENOMEM,
                  "ERROR_NOT_ENOUGH_MEMORY: ENOMEM");
    check_failure(ERROR_OUTOFMEMORY, ENOMEM, "ERROR_OUTOFMEMORY: ENOMEM");
    check_failure(ERROR_COMMITMENT_LIMIT, ENOMEM,
                  "ERROR_COMMITMENT_LIMIT: ENOMEM");
    check_failure(ERROR_ACCESS_DENIED, EACCES, "ERROR_ACCESS_DENIED: EACCES");
    check_failure(ERROR_INVALID_HANDLE, EBADF, "ERROR_INVALID_HANDLE: EBADF");
    check_failure(ERROR_NOACCESS, EFAULT, "ERROR_NOACCESS: EFAULT");
    check_failure(ERROR_GEN_FAILURE, EINVAL, "any other error: EINVAL");

    if (crt != process) {
        reset();
        fake.fail_on = 2;
        fake.error = ERROR_INVALID_HANDLE;
        rc = call(&err);
        ok(rc == -1 && err == EBADF,
           "a failure on the process heap is reported");
    }

    reset();
    heapmin__win32_calls.find_heap_set_information = find_nothing;
    rc = call(&err);
    ok(rc == 0 && fake.compacts >= 1,
       "HeapSetInformation missing: still compacts, still 0");

    reset();
    fake.set_answer = FALSE;
    fake.fail_on = 1; /* and HeapCompact's 0 with NO_ERROR after it */
    rc = call(&err);
    ok(rc == 0 && fake.sets == 1 && err == 12345,
       "HeapSetInformation refusing is no error, and its error does not leak");

    reset();
    fake.fail_on = 1;
    fake.error = ERROR_CALL_NOT_IMPLEMENTED;
    errno = 0;
    ok(_heapmin() == -1 && errno == ENOSYS,
       "_heapmin() keeps the same contract");

    heapmin__win32_calls = real;
    printf("1..%d\n", test_number);
    return failures ? 1 : 0;
}
