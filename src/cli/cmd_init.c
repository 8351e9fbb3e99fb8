/* kizuna init (not yet written). */
#include <stdio.h>

#include "cli/cli.h"

int
kz_cmd_init(int argc, char **argv)
{
    (void)argc;
    (void)argv;
    fprintf(stderr, "kizuna init: not available yet\n");
    return 1;
}
