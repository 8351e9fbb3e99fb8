/* kizuna match (not yet written). */
#include <stdio.h>

#include "cli/cli.h"

int
kz_cmd_match(int argc, char **argv)
{
    (void)argc;
    (void)argv;
    fprintf(stderr, "kizuna match: not available yet\n");
    return 1;
}
