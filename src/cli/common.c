/* Helpers shared by the subcommands. */
#include <stdlib.h>
#include <string.h>

#include "cli/cli.h"
#include "base/banned.h"

const char *
kz_cli_db_url(const char *flag_value)
{
    const char *env;

    if (flag_value && *flag_value)
        return flag_value;
    env = getenv("KIZUNA_DB");
    if (env && *env)
        return env;
    return "sqlite:./var/kizuna.db";
}

bool
kz_cli_wants_help(int argc, char **argv)
{
    for (int i = 1; i < argc; i++) {
        if (strcmp(argv[i], "--") == 0)
            return false;
        if (strcmp(argv[i], "--help") == 0 || strcmp(argv[i], "-h") == 0)
            return true;
    }
    return false;
}
