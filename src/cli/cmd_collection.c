/* kizuna collection (not yet written). */
#include <stdio.h>

#include "cli/cli.h"

int
kz_cmd_collection(int argc, char **argv)
{
    (void)argc;
    (void)argv;
    fprintf(stderr, "kizuna collection: not available yet\n");
    return 1;
}
