/* kizuna serve (not yet written). */
#include <stdio.h>

#include "cli/cli.h"

int
kz_cmd_serve(int argc, char **argv)
{
    (void)argc;
    (void)argv;
    fprintf(stderr, "kizuna serve: not available yet\n");
    return 1;
}
