/*
 * The Microsoft name, _heapmin. It has a file of its own so that a program
 * defining its own _heapmin can link the static library: the linker then
 * never pulls this object in, and there is no duplicate definition. Nothing
 * in the library calls _heapmin, so with the shared library the program's
 * definition interposes cleanly too.
 *
 * On Windows, heapmin.h turns this definition into heapmin_compat_heapmin,
 * leaving the name _heapmin to the C runtime.
 */
#include "heapmin.h"

int _heapmin(void)
{
    return heapmin();
}
