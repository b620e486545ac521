/*
 * heapmin-demo: frees most of a heap and calls heapmin(), printing what
 * trims and what it returned.
 */
#include "heapmin.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int main(void)
{
    enum { BLOCKS = 200000 };
    static char *blocks[BLOCKS];
    int i, rc, err;

    for (i = 0; i < BLOCKS; i++) {
        blocks[i] = malloc(512);
        if (blocks[i] == NULL)
            return 1;
        memset(blocks[i], i, 512);
    }
    for (i = 0; i < BLOCKS; i++)
        if (i % 10 != 0)
            free(blocks[i]);

    errno = 0;
    rc = heapmin();
    err = errno;
    printf("heapmin %s, backend %s: heapmin() = %d%s%s\n", heapmin_version(),
           heapmin_backend(), rc, rc ? ", " : "", rc ? strerror(err) : "");
    for (i = 0; i < BLOCKS; i += 10)
        free(blocks[i]);
    return 0;
}
