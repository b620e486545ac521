/*
 * The Python module heapmin: the public API for Python programs, which call
 * malloc_trim through ctypes today (glibc only, and the wrong allocator
 * under jemalloc). A client of the public header like any other.
 *
 *   heapmin.trim() -> Report (raises OSError where it cannot trim)
 *   heapmin.backend(), heapmin.resident_bytes(), heapmin.version()
 *   heapmin.auto_start(...), auto_stop(), auto_request(), auto_suspend(),
 *   auto_resume(), auto_stats() -> dict
 *
 * Trims and the trimmer's stop release the GIL: a trim can take hundreds of
 * milliseconds, and the program's other threads keep running meanwhile.
 */
#define PY_SSIZE_T_CLEAN
#include <Python.h>
#include <errno.h>
#include <string.h>

#include "heapmin.h"

static PyTypeObject report_type;

static PyStructSequence_Field report_fields[] = {
    {"released", "bytes released (resident before - after), or None"},
    {"outcome", "'released', 'nothing_to_release' or 'unmeasured'"},
    {"backend", "what trimmed, as heapmin.backend()"},
    {"elapsed", "seconds spent trimming"},
    {"resident_before", "resident bytes before, or None"},
    {"resident_after", "resident bytes after, or None"},
    {"detail", "a sentence: what trimmed"},
    {NULL, NULL}};

static PyStructSequence_Desc report_desc = {
    "heapmin.Report", "What heapmin.trim() did.", report_fields, 7};

static PyObject *bytes_or_none(heapmin_int64 v)
{
    if (v < 0)
        Py_RETURN_NONE;
    return PyLong_FromLongLong((long long)v);
}

static PyObject *seconds_or_none(heapmin_int64 ns)
{
    if (ns < 0)
        Py_RETURN_NONE;
    return PyFloat_FromDouble((double)ns / 1e9);
}

static PyObject *raise_errno(int err, const char *detail)
{
    PyObject *args = Py_BuildValue("(is)", err, detail);

    if (args != NULL) {
        PyErr_SetObject(PyExc_OSError, args);
        Py_DECREF(args);
    }
    return NULL;
}

static PyObject *trim(PyObject *self, PyObject *unused)
{
    struct heapmin_report r;
    PyObject *report;
    const char *outcome;
    int rc;

    (void)self, (void)unused;
    memset(&r, 0, sizeof r);
    r.size = sizeof r;
    Py_BEGIN_ALLOW_THREADS rc = heapmin_trim(&r);
    Py_END_ALLOW_THREADS if (rc != 0) return raise_errno(r.error, r.detail);
    outcome = r.outcome == HEAPMIN_RELEASED             ? "released"
              : r.outcome == HEAPMIN_NOTHING_TO_RELEASE ? "nothing_to_release"
                                                        : "unmeasured";
    report = PyStructSequence_New(&report_type);
    if (report == NULL)
        return NULL;
    PyStructSequence_SET_ITEM(report, 0, bytes_or_none(r.released));
    PyStructSequence_SET_ITEM(report, 1, PyUnicode_FromString(outcome));
    PyStructSequence_SET_ITEM(report, 2, PyUnicode_FromString(r.backend));
    PyStructSequence_SET_ITEM(report, 3,
                              PyFloat_FromDouble((double)r.elapsed_ns / 1e9));
    PyStructSequence_SET_ITEM(report, 4, bytes_or_none(r.resident_before));
    PyStructSequence_SET_ITEM(report, 5, bytes_or_none(r.resident_after));
    PyStructSequence_SET_ITEM(report, 6, PyUnicode_FromString(r.detail));
    if (PyErr_Occurred()) {
        Py_DECREF(report);
        return NULL;
    }
    return report;
}

static PyObject *backend(PyObject *self, PyObject *unused)
{
    (void)self, (void)unused;
    return PyUnicode_FromString(heapmin_backend());
}

static PyObject *version(PyObject *self, PyObject *unused)
{
    (void)self, (void)unused;
    return PyUnicode_FromString(heapmin_version());
}

static PyObject *resident_bytes(PyObject *self, PyObject *unused)
{
    (void)self, (void)unused;
    return bytes_or_none(heapmin_resident_bytes());
}

static PyObject *auto_start(PyObject *self, PyObject *args, PyObject *kw)
{
    static char *names[] = {"interval", "budget",    "min_release",
                            "pressure", "max_stall", NULL};
    struct heapmin_auto_config c;
    double interval = 0, budget = 0, max_stall = 0;
    long long min_release = 0;
    int pressure = 1;

    (void)self;
    if (!PyArg_ParseTupleAndKeywords(args, kw, "|$ddLpd", names, &interval,
                                     &budget, &min_release, &pressure,
                                     &max_stall))
        return NULL;
    /* Seconds and percent, as heapmin run and HEAPMIN_AUTO take them. */
    if (!(interval == 0 || (interval >= 0.001 && interval <= 86400)) ||
        !(budget == 0 || (budget > 0 && budget <= 100)) || min_release < 0 ||
        !(max_stall == 0 || (max_stall >= 0.001 && max_stall <= 86400))) {
        PyErr_SetString(PyExc_ValueError,
                        "interval: 0.001 to 86400 s; budget: above 0, at most "
                        "100 (percent of one CPU); min_release: bytes >= 0; "
                        "max_stall: 0.001 to 86400 s");
        return NULL;
    }
    memset(&c, 0, sizeof c);
    c.size = sizeof c;
    c.interval_ms = (unsigned)(interval * 1000 + 0.5);
    c.cpu_budget = budget / 100;
    c.min_release = min_release;
    c.max_stall_ms = (unsigned)(max_stall * 1000 + 0.5);
    c.flags = pressure ? 0 : HEAPMIN_AUTO_NO_PRESSURE;
    if (heapmin_auto_start(&c) != 0)
        return PyErr_SetFromErrno(PyExc_OSError);
    Py_RETURN_NONE;
}

/* The trimmer's stop waits for its thread, which may be in a long trim. */
static PyObject *auto_stop(PyObject *self, PyObject *unused)
{
    int rc, err;

    (void)self, (void)unused;
    Py_BEGIN_ALLOW_THREADS rc = heapmin_auto_stop();
    err = errno;
    Py_END_ALLOW_THREADS if (rc != 0)
    {
        errno = err;
        return PyErr_SetFromErrno(PyExc_OSError);
    }
    Py_RETURN_NONE;
}

static PyObject *call(int (*fn)(void))
{
    if (fn() != 0)
        return PyErr_SetFromErrno(PyExc_OSError);
    Py_RETURN_NONE;
}

static PyObject *auto_request(PyObject *self, PyObject *unused)
{
    (void)self, (void)unused;
    return call(heapmin_auto_request);
}

static PyObject *auto_suspend(PyObject *self, PyObject *unused)
{
    (void)self, (void)unused;
    return call(heapmin_auto_suspend);
}

static PyObject *auto_resume(PyObject *self, PyObject *unused)
{
    (void)self, (void)unused;
    return call(heapmin_auto_resume);
}

static PyObject *auto_stats(PyObject *self, PyObject *unused)
{
    static const char *const reasons[] = {"none", "growth", "request",
                                          "pressure"};
    struct heapmin_auto_stats s;

    (void)self, (void)unused;
    memset(&s, 0, sizeof s);
    s.size = sizeof s;
    if (heapmin_auto_stats(&s) != 0)
        return PyErr_SetFromErrno(PyExc_OSError);
    return Py_BuildValue(
        "{s:O,s:s,s:L,s:L,s:L,s:d,s:N,s:d,s:L,s:d,s:d,s:L,s:s,s:d,s:d,s:d,s:L,"
        "s:N,s:N,s:N,s:d}",
        "running",
        s.running ? Py_True : Py_False, "last_reason",
        s.last_reason >= 0 && s.last_reason <= 3 ? reasons[s.last_reason] : "?",
        "checks", (long long)s.checks, "trims", (long long)s.trims, "released",
        (long long)s.released, "trim_seconds", (double)s.trim_ns / 1e9,
        "last_released",
        s.last_released >= 0 ? PyLong_FromLongLong(s.last_released)
                             : (Py_INCREF(Py_None), Py_None),
        "count_seconds", (double)s.count_ns / 1e9, "deferred",
        (long long)s.deferred, "interval", s.interval_ms / 1000.0, "budget",
        s.cpu_budget * 100, "min_release", (long long)s.min_release, "pressure",
        s.pressure, "trim_cpu_seconds", (double)s.trim_cpu_ns / 1e9,
        "count_wall_seconds", (double)s.count_wall_ns / 1e9, "credit_seconds",
        (double)s.credit_ns / 1e9, "quiet_waits", (long long)s.quiet_waits,
        "next_release", bytes_or_none(s.next_release), "next_predicted_seconds",
        seconds_or_none(s.next_predicted_ns), "last_predicted_seconds",
        seconds_or_none(s.last_predicted_ns), "max_stall",
        s.max_stall_ms / 1000.0);
}

static PyMethodDef methods[] = {
    {"trim", trim, METH_NOARGS,
     "trim() -> Report\n\nGives freed heap memory back to the operating "
     "system, with the GIL released. Raises OSError (ENOSYS, ENOTSUP) where "
     "this build or process cannot trim."},
    {"backend", backend, METH_NOARGS,
     "backend() -> str: what trims and how it was chosen, as "
     "'jemalloc (detected)'."},
    {"version", version, METH_NOARGS,
     "version() -> str: the heapmin library's version."},
    {"resident_bytes", resident_bytes, METH_NOARGS,
     "resident_bytes() -> int or None: this process's resident size."},
    {"auto_start", (PyCFunction)(void (*)(void))auto_start,
     METH_VARARGS | METH_KEYWORDS,
     "auto_start(*, interval=1.0, budget=0.5, min_release=8 MiB, "
     "pressure=True, max_stall=0.25)\n\nStarts the automatic trimmer: "
     "checks at most interval seconds apart, trims within budget percent of "
     "one CPU; a glibc trim predicted over max_stall seconds waits for an "
     "idle program."},
    {"auto_stop", auto_stop, METH_NOARGS, "Stops the automatic trimmer."},
    {"auto_request", auto_request, METH_NOARGS,
     "Asks the automatic trimmer for a trim soon."},
    {"auto_suspend", auto_suspend, METH_NOARGS,
     "No automatic trim starts until auto_resume() (nestable)."},
    {"auto_resume", auto_resume, METH_NOARGS, "Undoes one auto_suspend()."},
    {"auto_stats", auto_stats, METH_NOARGS,
     "auto_stats() -> dict: the automatic trimmer's numbers."},
    {NULL, NULL, 0, NULL}};

static struct PyModuleDef module = {
    PyModuleDef_HEAD_INIT,
    "heapmin",
    "Give freed heap memory back to the operating system (the heapmin C "
    "library).",
    -1,
    methods,
    NULL,
    NULL,
    NULL,
    NULL};

PyMODINIT_FUNC PyInit_heapmin(void)
{
    PyObject *m;

    if (report_type.tp_name == NULL &&
        PyStructSequence_InitType2(&report_type, &report_desc) != 0)
        return NULL;
    m = PyModule_Create(&module);
    if (m == NULL)
        return NULL;
    Py_INCREF(&report_type);
    if (PyModule_AddObject(m, "Report", (PyObject *)&report_type) != 0 ||
        PyModule_AddStringConstant(m, "__version__", heapmin_version()) != 0) {
        Py_DECREF(m);
        return NULL;
    }
    return m;
}
