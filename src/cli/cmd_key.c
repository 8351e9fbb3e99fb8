/* kizuna key (not yet written). */
#include <stdio.h>

#include "cli/cli.h"

int
kz_cmd_key(int argc, char **argv)
{
    (void)argc;
    (void)argv;
    fprintf(stderr, "kizuna key: not available yet\n");
    return 1;
}
