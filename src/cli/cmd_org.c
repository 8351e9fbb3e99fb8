/* kizuna org (not yet written). */
#include <stdio.h>

#include "cli/cli.h"

int
kz_cmd_org(int argc, char **argv)
{
    (void)argc;
    (void)argv;
    fprintf(stderr, "kizuna org: not available yet\n");
    return 1;
}
