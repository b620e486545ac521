/*
 * Windows backend (trim_backend=win32, what auto picks on Windows).
 *
 * First every heap is asked to release its Low-Fragmentation-Heap caches
 * (HeapOptimizeResources, Windows 8.1 and later); then the CRT's heap, and
 * the process heap when it is another one, are compacted. It never passes
 * HEAP_NO_SERIALIZE (the heaps are shared with other threads), never touches
 * heaps other components own (the GetProcessHeaps list can be destroyed
 * under us), and leaves the working set alone (that releases no commit).
 */
#include "../backend.h"
#include "calls.h"

static void optimize_resources(void)
{
    struct heapmin__win32_calls *w = &heapmin__win32_calls;
    heapmin__heap_set_information_fn set = w->find_heap_set_information();
    struct heapmin__heap_optimize_resources info;

    if (set == NULL)
        return;
    info.Version = HEAPMIN__HEAP_OPTIMIZE_RESOURCES_VERSION;
    info.Flags = 0;
    /*
     * A refusal means this Windows predates the class (or Wine stubs it):
     * there are then no such caches to release, so it is not an error.
     */
    (void)set(NULL, HEAPMIN__HEAP_OPTIMIZE_RESOURCES, &info, sizeof info);
}

static int compact(HANDLE heap)
{
    struct heapmin__win32_calls *w = &heapmin__win32_calls;
    DWORD error;

    /*
     * HeapCompact returns the largest free committed block, and 0 both on
     * failure and when no block is free: only the last error tells them
     * apart, so it must not be a leftover from an earlier call.
     */
    w->SetLastError(NO_ERROR);
    if (w->HeapCompact(heap, 0) != 0)
        return 0;
    error = w->GetLastError();
    return error == NO_ERROR ? 0 : heapmin__win32_error(error);
}

static int trim(void)
{
    struct heapmin__win32_calls *w = &heapmin__win32_calls;
    HANDLE crt = (HANDLE)w->get_heap_handle();
    HANDLE process = w->GetProcessHeap();
    int err;

    optimize_resources();
    err = compact(crt);
    if (err == 0 && process != crt)
        err = compact(process);
    return err;
}

const struct heapmin__backend *heapmin__backend(void)
{
    static const struct heapmin__backend backend = {
        "win32 (built in)",
        "HeapSetInformation(HeapOptimizeResources), then HeapCompact of the "
        "CRT heap and the process heap",
        trim, 0, NULL,
        /* HeapCompact serializes on the heap's lock for the whole call
         * (not measured here): the trimmer treats it as holding it. */
        1, NULL};
    return &backend;
}
