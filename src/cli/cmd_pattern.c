/* kizuna pattern: check STIX patterns, and evaluate one against the observations of a bundle. */
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/buf.h"
#include "base/json.h"
#include "base/limits.h"
#include "base/str.h"
#include "cli/cli.h"
#include "pattern/pattern.h"
#include "base/banned.h"

static void
usage(FILE *f)
{
    fprintf(f,
            "usage: kizuna pattern check [--json] [PATTERN | -]\n"
            "       kizuna pattern eval PATTERN FILE\n"
            "\n"
            "check  checks the syntax of STIX 2.1 patterns: the argument, or one pattern a line\n"
            "       on standard input (with '-' or no argument). Prints 'valid' or\n"
            "       'invalid: <reason> at column N' for each; exits 0 only when all are valid.\n"
            "       --json prints {\"results\":[{\"pattern\",\"valid\",\"reason\",\"column\"}]}.\n"
            "eval   evaluates PATTERN against the observed-data objects of the STIX bundle in\n"
            "       FILE ('-' for standard input), whose SCOs the observations refer to.\n"
            "       Prints 'match' (exit 0) or 'no match' (exit 1); errors exit 2.\n");
}

struct results {
    json_t *list; /* --json: the results array; NULL for text output */
    bool all_valid;
};

/* Patterns are echoed in JSON; bytes that are not UTF-8 become '?'. */
static json_t *
json_pattern_string(const char *p, size_t n)
{
    json_t *s;
    char *copy;

    if (kz_utf8_valid(p, n) && memchr(p, '\0', n) == NULL)
        return json_stringn(p, n);
    copy = kz_xmalloc(n + 1);
    for (size_t i = 0; i < n; i++)
        copy[i] = ((unsigned char)p[i] >= 0x80 || p[i] == '\0') ? '?' : p[i];
    copy[n] = '\0';
    s = json_stringn(copy, n);
    free(copy);
    return s;
}

static void
check_one(struct results *r, const char *p, size_t n)
{
    char why[256];
    size_t column = 0;
    kz_err err = kz_pattern_check(kz_str_make(p, n), why, sizeof(why), &column);

    if (err != KZ_OK)
        r->all_valid = false;
    if (r->list == NULL) {
        if (err == KZ_OK)
            printf("valid\n");
        else
            printf("invalid: %s at column %zu\n", why, column);
        return;
    }
    json_t *o = json_object();
    json_object_set_new(o, "pattern", json_pattern_string(p, n));
    json_object_set_new(o, "valid", json_boolean(err == KZ_OK));
    json_object_set_new(o, "reason", err == KZ_OK ? json_null() : json_string(why));
    json_object_set_new(o, "column", err == KZ_OK ? json_null() : json_integer((json_int_t)column));
    json_array_append_new(r->list, o);
}

static int
cmd_check(int argc, char **argv)
{
    struct results r = {NULL, true};
    const char *arg = NULL;
    bool json = false;
    int i;

    for (i = 0; i < argc; i++) {
        if (strcmp(argv[i], "--json") == 0) {
            json = true;
        } else if (strcmp(argv[i], "--") == 0) {
            i++;
            break;
        } else if (argv[i][0] == '-' && argv[i][1] != '\0') {
            fprintf(stderr, "kizuna pattern check: unknown option '%s'\n", argv[i]);
            return 2;
        } else {
            break;
        }
    }
    if (i < argc)
        arg = argv[i++];
    if (i < argc) {
        fprintf(stderr, "kizuna pattern check: one pattern at most (quote it)\n");
        return 2;
    }
    if (json)
        r.list = json_array();
    if (arg != NULL && strcmp(arg, "-") != 0) {
        check_one(&r, arg, strlen(arg));
    } else {
        char *line = NULL;
        size_t cap = 0;
        ssize_t len;
        while ((len = getline(&line, &cap, stdin)) >= 0) {
            size_t n = (size_t)len;
            while (n > 0 && (line[n - 1] == '\n' || line[n - 1] == '\r'))
                n--;
            if (n == 0)
                continue;
            check_one(&r, line, n);
        }
        free(line);
    }
    if (json) {
        json_t *doc = json_object();
        char *text;
        json_object_set_new(doc, "results", r.list);
        text = json_dumps(doc, JSON_COMPACT);
        if (text != NULL)
            printf("%s\n", text);
        free(text);
        json_decref(doc);
    }
    return r.all_valid ? 0 : 1;
}

static int
cmd_eval(int argc, char **argv)
{
    struct kz_json_limits lim = {KZ_LIMIT_JSON_DEPTH, KZ_LIMIT_STRING_BYTES};
    struct kz_buf text;
    struct kz_pattern *p = NULL;
    json_t *doc = NULL, *observations = json_array();
    const json_t *objects;
    char why[256];
    size_t column = 0, i;
    json_t *o;
    bool matched = false;
    int rc = 2;
    kz_err err;

    kz_buf_init(&text, KZ_LIMIT_BODY_BYTES);
    if (argc != 2) {
        usage(stderr);
        goto done;
    }
    err = kz_pattern_compile(kz_str_from_cstr(argv[0]), &p, why, sizeof(why), &column);
    if (err != KZ_OK) {
        fprintf(stderr, "kizuna pattern eval: invalid pattern: %s at column %zu\n", why, column);
        goto done;
    }
    err = kz_buf_read_file(&text, argv[1]);
    if (err != KZ_OK) {
        fprintf(stderr, "kizuna pattern eval: cannot read '%s': %s\n", argv[1], kz_err_str(err));
        goto done;
    }
    err = kz_json_parse(kz_buf_cstr(&text), text.n, &lim, &doc, why, sizeof(why));
    if (err != KZ_OK) {
        fprintf(stderr, "kizuna pattern eval: '%s': %s\n", argv[1], why);
        goto done;
    }
    objects = json_is_array(doc) ? doc : json_object_get(doc, "objects");
    if (!json_is_array(objects)) {
        fprintf(stderr, "kizuna pattern eval: '%s' is not a STIX bundle\n", argv[1]);
        goto done;
    }
    json_array_foreach(objects, i, o)
    {
        const char *type = kz_json_str(o, "type");
        if (type != NULL && strcmp(type, "observed-data") == 0)
            json_array_append(observations, o);
    }
    err = kz_pattern_eval(p, observations, objects, &matched);
    if (err != KZ_OK) {
        fprintf(stderr, "kizuna pattern eval: cannot evaluate: %s\n", kz_err_str(err));
        goto done;
    }
    printf("%s\n", matched ? "match" : "no match");
    rc = matched ? 0 : 1;
done:
    kz_pattern_free(p);
    json_decref(doc);
    json_decref(observations);
    kz_buf_release(&text);
    return rc;
}

int
kz_cmd_pattern(int argc, char **argv)
{
    /* argv[0] is "pattern". */
    if (argc < 2 || strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "-h") == 0) {
        usage(argc < 2 ? stderr : stdout);
        return argc < 2 ? 2 : 0;
    }
    if (strcmp(argv[1], "check") == 0) {
        if (argc > 2 && (strcmp(argv[2], "--help") == 0 || strcmp(argv[2], "-h") == 0)) {
            usage(stdout);
            return 0;
        }
        return cmd_check(argc - 2, argv + 2);
    }
    if (strcmp(argv[1], "eval") == 0) {
        if (argc > 2 && (strcmp(argv[2], "--help") == 0 || strcmp(argv[2], "-h") == 0)) {
            usage(stdout);
            return 0;
        }
        return cmd_eval(argc - 2, argv + 2);
    }
    fprintf(stderr, "kizuna pattern: '%s' is not a subcommand; see 'kizuna pattern --help'\n",
            argv[1]);
    return 2;
}
