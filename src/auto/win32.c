/*
 * The trimmer's thread and waiting on Windows: a thread and
 * WaitForMultipleObjects on two events (control, request) and the system's
 * low-memory notification. The events are made once and never closed, so
 * heapmin_auto_request() may set one from a signal handler at any time.
 *
 * CreateMemoryResourceNotification(LowMemoryResourceNotification) is
 * system-wide and fires late (about 32 MB free per 4 GB): an emergency
 * signal, the only one Windows offers. Wine 8 implements it as a handle
 * that is never signalled.
 */
#include <windows.h>

#include <errno.h>
#include <stdio.h>

#include "host.h"

static CRITICAL_SECTION lock;
static INIT_ONCE once = INIT_ONCE_STATIC_INIT;
static HANDLE control, request; /* auto-reset events */
static HANDLE low_memory;
static HANDLE thread;
static void (*thread_fn)(void);

static BOOL CALLBACK init(PINIT_ONCE o, PVOID p, PVOID *c)
{
    (void)o;
    (void)p;
    (void)c;
    InitializeCriticalSection(&lock);
    return TRUE;
}

void heapmin__auto_lock(void)
{
    InitOnceExecuteOnce(&once, init, NULL, NULL);
    EnterCriticalSection(&lock);
}

void heapmin__auto_unlock(void)
{
    LeaveCriticalSection(&lock);
}

int heapmin__waiter_open(int pressure, char *desc, size_t len,
                         void (*forked)(void))
{
    (void)forked; /* no fork on Windows */
    if (control == NULL)
        control = CreateEventW(NULL, FALSE, FALSE, NULL);
    if (request == NULL)
        request = CreateEventW(NULL, FALSE, FALSE, NULL);
    if (control == NULL || request == NULL)
        return ENOMEM;
    /* Wake-ups meant for an earlier trimmer. */
    ResetEvent(control);
    ResetEvent(request);
    if (len > 0)
        desc[0] = '\0';
    if (!pressure)
        return 0;
    low_memory =
        CreateMemoryResourceNotification(LowMemoryResourceNotification);
    if (low_memory != NULL)
        snprintf(desc, len, "windows LowMemoryResourceNotification");
    else
        snprintf(desc, len,
                 "not: windows LowMemoryResourceNotification (error %lu)",
                 (unsigned long)GetLastError());
    return 0;
}

void heapmin__waiter_close(void)
{
    if (low_memory != NULL) {
        CloseHandle(low_memory);
        low_memory = NULL;
    }
}

unsigned heapmin__waiter_wait(heapmin_int64 timeout_ns)
{
    HANDLE handles[3];
    DWORD n = 2, ms, r;
    unsigned woke = 0;

    handles[0] = control;
    handles[1] = request;
    if (low_memory != NULL)
        handles[n++] = low_memory;
    ms = timeout_ns <= 0 ? 0 : (DWORD)((timeout_ns + 999999) / 1000000);
    r = WaitForMultipleObjects(n, handles, FALSE, ms);
    if (r == WAIT_OBJECT_0)
        woke |= HEAPMIN__WAKE_CONTROL;
    else if (r == WAIT_OBJECT_0 + 1)
        woke |= HEAPMIN__WAKE_REQUEST;
    else if (r == WAIT_OBJECT_0 + 2)
        woke |= HEAPMIN__WAKE_PRESSURE;
    /* WaitForMultipleObjects reports one handle: ask the others too. */
    if (WaitForSingleObject(request, 0) == WAIT_OBJECT_0)
        woke |= HEAPMIN__WAKE_REQUEST;
    if (WaitForSingleObject(control, 0) == WAIT_OBJECT_0)
        woke |= HEAPMIN__WAKE_CONTROL;
    return woke;
}

int heapmin__waiter_wake(unsigned bits)
{
    HANDLE h = (bits & HEAPMIN__WAKE_REQUEST) ? request : control;

    if (h == NULL)
        return ESRCH;
    return SetEvent(h) ? 0 : EINVAL;
}

int heapmin__waiter_guest(const struct heapmin__guest *guest)
{
    (void)guest;
    return ENOTSUP; /* no preload agent on Windows */
}

int heapmin__waiter_alone(void)
{
    /* A Windows process whose main thread called ExitThread() lives on
     * with its other threads, the trimmer among them: not detected. */
    return 0;
}

int heapmin__program_threads(void)
{
    return 0; /* unknown: HeapCompact's one heap lock is one arena anyway */
}

static DWORD WINAPI thread_main(LPVOID arg)
{
    (void)arg;
    thread_fn();
    return 0;
}

int heapmin__thread_start(void (*fn)(void))
{
    thread_fn = fn;
    /* The creator's priority: never lower (the trimmer holds heap locks). */
    thread = CreateThread(NULL, 0, thread_main, NULL, 0, NULL);
    return thread != NULL ? 0 : EAGAIN;
}

void heapmin__thread_join(void)
{
    if (thread != NULL) {
        WaitForSingleObject(thread, INFINITE);
        CloseHandle(thread);
        thread = NULL;
    }
}
