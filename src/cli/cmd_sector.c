/* kizuna sector (not yet written). */
#include <stdio.h>

#include "cli/cli.h"

int
kz_cmd_sector(int argc, char **argv)
{
    (void)argc;
    (void)argv;
    fprintf(stderr, "kizuna sector: not available yet\n");
    return 1;
}
