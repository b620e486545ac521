// The header as C++: extern "C" linkage, and ::_heapmin() as clients call it.
#include "heapmin.h"

#include <cstdio>
#include <cstring>

int main()
{
    int (*fn)() = &::_heapmin;
    int a = ::_heapmin();
    int b = ::heapmin();
    int c = fn();
    std::printf("c++: %d %d %d on %s\n", a, b, c, ::heapmin_backend());
    if (a != b || b != c)
        return 1;
    return std::strcmp(::heapmin_version(), HEAPMIN_VERSION_STRING) == 0 ? 0
                                                                         : 1;
}
