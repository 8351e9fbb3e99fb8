/* kizuna push (not yet written). */
#include <stdio.h>

#include "cli/cli.h"

int
kz_cmd_push(int argc, char **argv)
{
    (void)argc;
    (void)argv;
    fprintf(stderr, "kizuna push: not available yet\n");
    return 1;
}
