/* kizuna get (not yet written). */
#include <stdio.h>

#include "cli/cli.h"

int
kz_cmd_get(int argc, char **argv)
{
    (void)argc;
    (void)argv;
    fprintf(stderr, "kizuna get: not available yet\n");
    return 1;
}
