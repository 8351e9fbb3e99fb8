/* kizuna pattern (not yet written). */
#include <stdio.h>

#include "cli/cli.h"

int
kz_cmd_pattern(int argc, char **argv)
{
    (void)argc;
    (void)argv;
    fprintf(stderr, "kizuna pattern: not available yet\n");
    return 1;
}
