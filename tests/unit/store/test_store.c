/*
 * Conformance suite for the storage interface, written against store.h only. It runs on
 * "sqlite:<tmpdir>/tN.db" (a fresh database per test) or, when KIZUNA_TEST_STORE_URL is
 * set, on that URL; every test then uses fresh random collection ids and slugs so that
 * runs do not collide.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "base/id.h"
#include "base/str.h"
#include "base/time.h"
#include "store/store.h"
#include "base/banned.h"

static char tmpdir[256];
static int db_counter;

struct fx {
    char url[512];
    struct kz_store *s;
    char coll[KZ_UUID_TEXT_LEN + 1];  /* max_tlp red */
    char coll2[KZ_UUID_TEXT_LEN + 1]; /* a second collection */
    char org_a[KZ_SLUG_MAX];
    char org_b[KZ_SLUG_MAX];
};

/* ---- helpers ---- */

static void
slug_new(const char *prefix, char out[KZ_SLUG_MAX])
{
    char hex[17];

    kz_random_hex(8, hex);
    snprintf(out, KZ_SLUG_MAX, "%s-%s", prefix, hex);
}

static void
coll_make(struct kz_collection *c, const char *alias_prefix, enum kz_tlp max)
{
    memset(c, 0, sizeof(*c));
    kz_uuid_v4(c->id);
    slug_new(alias_prefix, c->alias);
    snprintf(c->title, sizeof(c->title), "Title of %s", c->alias);
    snprintf(c->description, sizeof(c->description), "for tests");
    snprintf(c->readers, sizeof(c->readers), "member role:gsoc");
    snprintf(c->writers, sizeof(c->writers), "member");
    c->max_tlp = max;
    c->created_us = kz_time_now_us();
}

static void
org_make(struct kz_org *o, const char *slug, const char *sector)
{
    memset(o, 0, sizeof(*o));
    snprintf(o->slug, sizeof(o->slug), "%s", slug);
    snprintf(o->name, sizeof(o->name), "Org %s", slug);
    snprintf(o->type, sizeof(o->type), "company");
    snprintf(o->sector, sizeof(o->sector), "%s", sector ? sector : "");
    snprintf(o->country, sizeof(o->country), "JP");
    assert_int_equal(kz_stix_id_new("identity", o->identity_id), KZ_OK);
    o->created_us = kz_time_now_us();
}

static void
url_new(char *url, size_t n)
{
    const char *env = getenv("KIZUNA_TEST_STORE_URL");

    if (env && env[0])
        snprintf(url, n, "%s", env);
    else
        snprintf(url, n, "sqlite:%s/t%d.db", tmpdir, ++db_counter);
}

static int
group_setup(void **state)
{
    (void)state;
    snprintf(tmpdir, sizeof(tmpdir), "/tmp/kz-store-test-XXXXXX");
    return mkdtemp(tmpdir) ? 0 : -1;
}

static int
group_teardown(void **state)
{
    char cmd[300];

    (void)state;
    snprintf(cmd, sizeof(cmd), "rm -rf '%s'", tmpdir);
    return system(cmd) == 0 ? 0 : -1;
}

static int
setup(void **state)
{
    struct fx *f = calloc(1, sizeof(*f));
    struct kz_collection c;
    struct kz_org o;

    if (f == NULL)
        return -1;
    url_new(f->url, sizeof(f->url));
    if (kz_store_open(f->url, &f->s) != KZ_OK)
        return -1;
    coll_make(&c, "main", KZ_TLP_RED);
    if (kz_store_collection_add(f->s, &c) != KZ_OK)
        return -1;
    memcpy(f->coll, c.id, sizeof(f->coll));
    coll_make(&c, "other", KZ_TLP_RED);
    if (kz_store_collection_add(f->s, &c) != KZ_OK)
        return -1;
    memcpy(f->coll2, c.id, sizeof(f->coll2));
    slug_new("a", f->org_a);
    slug_new("b", f->org_b);
    org_make(&o, f->org_a, NULL);
    if (kz_store_org_add(f->s, &o) != KZ_OK)
        return -1;
    org_make(&o, f->org_b, NULL);
    if (kz_store_org_add(f->s, &o) != KZ_OK)
        return -1;
    *state = f;
    return 0;
}

static int
teardown(void **state)
{
    struct fx *f = *state;

    kz_store_close(f->s);
    free(f);
    return 0;
}

/* An indicator with its own storage for the strings that kz_object_in borrows. */
struct obj {
    char id[KZ_STIX_ID_MAX];
    char type[64];
    char version[KZ_TIME_TEXT_MAX];
    char json[1024];
    struct kz_object_in in;
};

static void
obj_make(struct obj *o, const char *type, const char *id, int64_t modified_us, enum kz_tlp tlp)
{
    memset(o, 0, sizeof(*o));
    snprintf(o->type, sizeof(o->type), "%s", type);
    if (id)
        snprintf(o->id, sizeof(o->id), "%s", id);
    else
        assert_int_equal(kz_stix_id_new(type, o->id), KZ_OK);
    kz_time_format_ms(modified_us, o->version);
    snprintf(o->json, sizeof(o->json),
             "{\"type\":\"%s\",\"spec_version\":\"2.1\",\"id\":\"%s\",\"modified\":\"%s\"}", type,
             o->id, o->version);
    o->in.id = o->id;
    o->in.type = o->type;
    o->in.spec_version = "2.1";
    o->in.version = o->version;
    o->in.version_us = modified_us / 1000 * 1000;
    o->in.tlp = tlp;
    o->in.json = o->json;
    o->in.json_len = strlen(o->json);
}

static void
put_ok(struct kz_store *s, const char *coll, const char *org, struct obj *o, size_t n,
       struct kz_put_result *res)
{
    struct kz_object_in *in = calloc(n, sizeof(*in));

    assert_non_null(in);
    for (size_t i = 0; i < n; i++)
        in[i] = o[i].in;
    assert_int_equal(kz_store_objects_put(s, coll, org, in, n, NULL, NULL, res), KZ_OK);
    free(in);
}

static void
query_init(struct kz_object_query *q, const char *coll)
{
    memset(q, 0, sizeof(*q));
    q->collection_id = coll;
    q->added_after_us = -1;
    q->limit = 1000;
    q->max_tlp = KZ_TLP_RED;
    q->with_json = true;
}

static size_t
query_n(struct kz_store *s, const struct kz_object_query *q)
{
    struct kz_object_page p = {0};
    size_t n;

    assert_int_equal(kz_store_objects_query(s, q, &p), KZ_OK);
    n = p.n;
    kz_object_page_release(&p);
    return n;
}

/* ---- opening and schema ---- */

static void
test_open_rejects_unknown_schemes(void **state)
{
    struct kz_store *s = NULL;

    (void)state;
    assert_int_equal(kz_store_open("nosuch:/tmp/x", &s), KZ_ERR_INVALID);
    assert_int_equal(kz_store_open("no-colon", &s), KZ_ERR_INVALID);
    assert_int_equal(kz_store_open("sqlite:", &s), KZ_ERR_INVALID);
    assert_null(s);
}

static void
test_migrations_idempotent(void **state)
{
    struct fx *f = *state;
    int v = kz_store_schema_version(f->s);
    struct kz_collection c;

    assert_true(v >= 1);
    kz_store_close(f->s);
    f->s = NULL;
    assert_int_equal(kz_store_open(f->url, &f->s), KZ_OK);
    assert_int_equal(kz_store_schema_version(f->s), v);
    /* Data survives the reopen; nothing was re-created. */
    assert_int_equal(kz_store_collection_get(f->s, f->coll, &c), KZ_OK);
    kz_store_close(f->s);
    assert_int_equal(kz_store_open(f->url, &f->s), KZ_OK);
    assert_int_equal(kz_store_schema_version(f->s), v);
}

static void
test_open_creates_parent_directories(void **state)
{
    char url[600];
    struct kz_store *s = NULL;

    (void)state;
    if (getenv("KIZUNA_TEST_STORE_URL"))
        skip();
    snprintf(url, sizeof(url), "sqlite:%s/deep/er/k.db", tmpdir);
    assert_int_equal(kz_store_open(url, &s), KZ_OK);
    assert_true(kz_store_schema_version(s) >= 1);
    kz_store_close(s);
}

static void
test_integrity_check(void **state)
{
    struct fx *f = *state;
    char why[256] = "";

    assert_int_equal(kz_store_integrity_check(f->s, why, sizeof(why)), KZ_OK);
}

/* ---- sectors, organisations, keys, collections ---- */

struct names {
    char text[4096];
    size_t n;
};

static void
collect_name(void *ctx, const char *name)
{
    struct names *nm = ctx;
    size_t len = strlen(nm->text);

    snprintf(nm->text + len, sizeof(nm->text) - len, "%s,", name);
    nm->n++;
}

static void
test_sector_crud(void **state)
{
    struct fx *f = *state;
    struct names nm = {.n = 0};
    char a[KZ_SLUG_MAX], b[KZ_SLUG_MAX], expect[200];
    char long_name[KZ_SLUG_MAX + 10];

    slug_new("zz", b);
    slug_new("aa", a);
    assert_false(kz_store_sector_exists(f->s, a));
    assert_int_equal(kz_store_sector_add(f->s, b), KZ_OK);
    assert_int_equal(kz_store_sector_add(f->s, a), KZ_OK);
    assert_int_equal(kz_store_sector_add(f->s, a), KZ_ERR_CONFLICT);
    assert_true(kz_store_sector_exists(f->s, a));
    memset(long_name, 'x', sizeof(long_name) - 1);
    long_name[sizeof(long_name) - 1] = '\0';
    assert_int_equal(kz_store_sector_add(f->s, long_name), KZ_ERR_LIMIT);
    assert_int_equal(kz_store_sector_list(f->s, collect_name, &nm), KZ_OK);
    snprintf(expect, sizeof(expect), "%s,%s,", a, b);
    assert_non_null(strstr(nm.text, expect)); /* in name order */
}

static void
test_org_crud(void **state)
{
    struct fx *f = *state;
    struct kz_org o, got;
    char slug[KZ_SLUG_MAX], sector[KZ_SLUG_MAX];

    slug_new("sec", sector);
    assert_int_equal(kz_store_sector_add(f->s, sector), KZ_OK);
    slug_new("org", slug);
    org_make(&o, slug, sector);
    assert_int_equal(kz_store_org_add(f->s, &o), KZ_OK);
    assert_int_equal(kz_store_org_add(f->s, &o), KZ_ERR_CONFLICT);
    assert_int_equal(kz_store_org_get(f->s, slug, &got), KZ_OK);
    assert_memory_equal(&o, &got, sizeof(o) - sizeof(o.created_us));
    assert_string_equal(got.sector, sector);
    assert_true(got.created_us == o.created_us);
    memset(&got, 0, sizeof(got));
    assert_int_equal(kz_store_org_by_identity(f->s, o.identity_id, &got), KZ_OK);
    assert_string_equal(got.slug, slug);
    assert_int_equal(
        kz_store_org_by_identity(f->s, "identity--00000000-0000-4000-8000-000000000000", &got),
        KZ_ERR_NOTFOUND);
    assert_int_equal(kz_store_org_get(f->s, "no-such-org", &got), KZ_ERR_NOTFOUND);
    /* An organisation without a sector reads back with "". */
    assert_int_equal(kz_store_org_get(f->s, f->org_a, &got), KZ_OK);
    assert_string_equal(got.sector, "");
    /* Same slug, other identity: still a conflict. */
    org_make(&o, slug, NULL);
    assert_int_equal(kz_store_org_add(f->s, &o), KZ_ERR_CONFLICT);
}

static void
count_org(void *ctx, const struct kz_org *org)
{
    (void)org;
    (*(size_t *)ctx)++;
}

static void
test_org_list(void **state)
{
    struct fx *f = *state;
    size_t n = 0;

    assert_int_equal(kz_store_org_list(f->s, count_org, &n), KZ_OK);
    assert_true(n >= 2);
}

static void
count_key(void *ctx, const struct kz_key *key)
{
    (void)key;
    (*(size_t *)ctx)++;
}

static void
test_key_crud(void **state)
{
    struct fx *f = *state;
    struct kz_key k, got;
    size_t n = 0;
    char hex[25];

    memset(&k, 0, sizeof(k));
    kz_random_hex(12, hex);
    snprintf(k.id, sizeof(k.id), "kz_%s", hex);
    snprintf(k.org, sizeof(k.org), "%s", f->org_a);
    snprintf(k.role, sizeof(k.role), "member");
    for (size_t i = 0; i < sizeof(k.hash); i++)
        k.hash[i] = (unsigned char)(i * 7 + 1);
    k.hash[5] = 0; /* binary, not text */
    k.created_us = kz_time_now_us();
    assert_int_equal(kz_store_key_add(f->s, &k), KZ_OK);
    assert_int_equal(kz_store_key_add(f->s, &k), KZ_ERR_CONFLICT);
    assert_int_equal(kz_store_key_get(f->s, k.id, &got), KZ_OK);
    assert_string_equal(got.org, f->org_a);
    assert_string_equal(got.role, "member");
    assert_memory_equal(got.hash, k.hash, sizeof(k.hash));
    assert_true(got.revoked_us == 0);
    assert_int_equal(kz_store_key_list(f->s, count_key, &n), KZ_OK);
    assert_true(n >= 1);
    assert_int_equal(kz_store_key_revoke(f->s, k.id, 1000), KZ_OK);
    assert_int_equal(kz_store_key_revoke(f->s, k.id, 2000), KZ_OK);
    assert_int_equal(kz_store_key_get(f->s, k.id, &got), KZ_OK);
    assert_true(got.revoked_us == 1000); /* the first revocation stands */
    assert_int_equal(kz_store_key_revoke(f->s, "kz_nosuch", 1000), KZ_ERR_NOTFOUND);
    assert_int_equal(kz_store_key_get(f->s, "kz_nosuch", &got), KZ_ERR_NOTFOUND);
    /* A key of an unknown organisation is refused. */
    kz_random_hex(12, hex);
    snprintf(k.id, sizeof(k.id), "kz_%s", hex);
    snprintf(k.org, sizeof(k.org), "no-such-org");
    assert_int_equal(kz_store_key_add(f->s, &k), KZ_ERR_NOTFOUND);
}

static void
count_coll(void *ctx, const struct kz_collection *c)
{
    (void)c;
    (*(size_t *)ctx)++;
}

static void
test_collection_crud(void **state)
{
    struct fx *f = *state;
    struct kz_collection c, d;
    struct kz_collection *got = malloc(sizeof(*got));
    size_t n = 0;

    assert_non_null(got);
    coll_make(&c, "crud", KZ_TLP_GREEN);
    assert_int_equal(kz_store_collection_add(f->s, &c), KZ_OK);
    assert_int_equal(kz_store_collection_get(f->s, c.id, got), KZ_OK);
    assert_memory_equal(got, &c, sizeof(c));
    memset(got, 0, sizeof(*got));
    assert_int_equal(kz_store_collection_get(f->s, c.alias, got), KZ_OK);
    assert_string_equal(got->id, c.id);
    assert_int_equal(got->max_tlp, KZ_TLP_GREEN);
    assert_int_equal(kz_store_collection_add(f->s, &c), KZ_ERR_CONFLICT);
    d = c;
    kz_uuid_v4(d.id); /* same alias, new id */
    assert_int_equal(kz_store_collection_add(f->s, &d), KZ_ERR_CONFLICT);
    assert_int_equal(kz_store_collection_get(f->s, "no-such-collection", got), KZ_ERR_NOTFOUND);
    assert_int_equal(kz_store_collection_list(f->s, count_coll, &n), KZ_OK);
    assert_true(n >= 3);
    free(got);
}

/* ---- objects: put ---- */

struct check_log {
    int calls;
    struct kz_object_origin last;
    const char *refuse_id; /* refuse this id */
};

static kz_err
check_cb(void *ctx, const struct kz_object_in *obj, const struct kz_object_origin *origin,
         char *why, size_t whylen)
{
    struct check_log *l = ctx;

    l->calls++;
    l->last = *origin;
    if (l->refuse_id && strcmp(obj->id, l->refuse_id) == 0) {
        snprintf(why, whylen, "refused '%s' for the test", obj->id);
        return KZ_ERR_DENIED;
    }
    return KZ_OK;
}

static void
test_put_added_duplicate_refused(void **state)
{
    struct fx *f = *state;
    struct obj o[3];
    struct kz_object_in in[3];
    struct kz_put_result r[3], r2[3];
    struct check_log log = {0};
    int64_t t = 1700000000000000;
    uint64_t count = 0;

    obj_make(&o[0], "indicator", NULL, t, KZ_TLP_GREEN);
    obj_make(&o[1], "indicator", NULL, t, KZ_TLP_GREEN);
    obj_make(&o[2], "malware", NULL, t, KZ_TLP_GREEN);
    for (int i = 0; i < 3; i++)
        in[i] = o[i].in;
    log.refuse_id = o[2].id;
    assert_int_equal(kz_store_objects_put(f->s, f->coll, f->org_a, in, 3, check_cb, &log, r),
                     KZ_OK);
    assert_int_equal(log.calls, 3);
    assert_int_equal(r[0].outcome, KZ_PUT_ADDED);
    assert_int_equal(r[1].outcome, KZ_PUT_ADDED);
    assert_int_equal(r[2].outcome, KZ_PUT_REFUSED);
    assert_non_null(strstr(r[2].reason, "for the test"));
    assert_true(r[1].date_added_us > r[0].date_added_us);

    /* Again: the first two are duplicates and keep their date_added. */
    log.refuse_id = NULL;
    assert_int_equal(kz_store_objects_put(f->s, f->coll, f->org_b, in, 2, check_cb, &log, r2),
                     KZ_OK);
    assert_int_equal(r2[0].outcome, KZ_PUT_DUPLICATE);
    assert_int_equal(r2[1].outcome, KZ_PUT_DUPLICATE);
    assert_true(r2[0].date_added_us == r[0].date_added_us);
    assert_true(r2[1].date_added_us == r[1].date_added_us);

    /* A new version of the first is a new row. */
    obj_make(&o[0], "indicator", o[0].id, t + 5000, KZ_TLP_GREEN);
    in[0] = o[0].in;
    assert_int_equal(kz_store_objects_put(f->s, f->coll, f->org_a, in, 1, NULL, NULL, r2), KZ_OK);
    assert_int_equal(r2[0].outcome, KZ_PUT_ADDED);
    assert_true(r2[0].date_added_us > r[1].date_added_us);
    assert_int_equal(kz_store_objects_count(f->s, f->coll, &count), KZ_OK);
    assert_true(count == 3);

    /* The same version in another collection is added there. */
    assert_int_equal(kz_store_objects_put(f->s, f->coll2, f->org_a, in, 1, NULL, NULL, r2), KZ_OK);
    assert_int_equal(r2[0].outcome, KZ_PUT_ADDED);
}

static void
test_put_unknown_collection(void **state)
{
    struct fx *f = *state;
    struct obj o;
    struct kz_put_result r;

    obj_make(&o, "indicator", NULL, 1700000000000000, KZ_TLP_GREEN);
    r.outcome = (enum kz_put_outcome)99;
    assert_int_equal(kz_store_objects_put(f->s, "00000000-0000-4000-8000-000000000000", f->org_a,
                                          &o.in, 1, NULL, NULL, &r),
                     KZ_ERR_NOTFOUND);
    assert_int_equal(r.outcome, 99); /* untouched on error */
}

/* Two collections written in one transaction; fail decides whether it commits. */
struct tx_two {
    struct fx *f;
    struct obj o[2];
    struct kz_put_result r[2];
    kz_err fail;
};

static kz_err
tx_two_fn(void *ctx, struct kz_store_tx *tx)
{
    struct tx_two *t = ctx;
    kz_err err = kz_store_tx_objects_put(tx, t->f->coll, t->f->org_a, &t->o[0].in, 1, NULL, NULL,
                                         &t->r[0]);

    if (err == KZ_OK)
        err = kz_store_tx_objects_put(tx, t->f->coll2, t->f->org_a, &t->o[1].in, 1, NULL, NULL,
                                      &t->r[1]);
    return err == KZ_OK ? t->fail : err;
}

static void
test_transaction_all_or_nothing(void **state)
{
    struct tx_two t = {.f = *state, .fail = KZ_ERR_INVALID};
    uint64_t n1 = 0, n2 = 0;

    obj_make(&t.o[0], "indicator", NULL, 1700000000000000, KZ_TLP_GREEN);
    obj_make(&t.o[1], "malware", NULL, 1700000000000000, KZ_TLP_GREEN);
    assert_int_equal(kz_store_transaction(t.f->s, tx_two_fn, &t), KZ_ERR_INVALID);
    assert_int_equal(kz_store_objects_count(t.f->s, t.f->coll, &n1), KZ_OK);
    assert_int_equal(kz_store_objects_count(t.f->s, t.f->coll2, &n2), KZ_OK);
    assert_true(n1 == 0 && n2 == 0);

    t.fail = KZ_OK;
    assert_int_equal(kz_store_transaction(t.f->s, tx_two_fn, &t), KZ_OK);
    assert_int_equal(t.r[0].outcome, KZ_PUT_ADDED);
    assert_int_equal(t.r[1].outcome, KZ_PUT_ADDED);
    assert_true(t.r[1].date_added_us > t.r[0].date_added_us);
    assert_int_equal(kz_store_objects_count(t.f->s, t.f->coll, &n1), KZ_OK);
    assert_int_equal(kz_store_objects_count(t.f->s, t.f->coll2, &n2), KZ_OK);
    assert_true(n1 == 1 && n2 == 1);
}

struct bg_put {
    struct fx *f;
    struct obj o;
    kz_err err;
};

static void *
bg_put_run(void *arg)
{
    struct bg_put *b = arg;
    struct kz_put_result r;

    b->err = kz_store_objects_put(b->f->s, b->f->coll, b->f->org_a, &b->o.in, 1, NULL, NULL, &r);
    return NULL;
}

static void
test_read_snapshot(void **state)
{
    struct bg_put b = {.f = *state};
    struct obj mine;
    struct kz_put_result r;
    pthread_t t;
    uint64_t n = 0;

    obj_make(&b.o, "indicator", NULL, 1700000000000000, KZ_TLP_GREEN);
    obj_make(&mine, "indicator", NULL, 1700000000000000, KZ_TLP_GREEN);
    assert_int_equal(kz_store_read_begin(b.f->s), KZ_OK);
    assert_int_equal(kz_store_objects_count(b.f->s, b.f->coll, &n), KZ_OK);
    assert_true(n == 0);
    /* Another thread writes; this one keeps its snapshot, nested or not. */
    assert_int_equal(pthread_create(&t, NULL, bg_put_run, &b), 0);
    assert_int_equal(pthread_join(t, NULL), 0);
    assert_int_equal(b.err, KZ_OK);
    assert_int_equal(kz_store_read_begin(b.f->s), KZ_OK);
    assert_int_equal(kz_store_objects_count(b.f->s, b.f->coll, &n), KZ_OK);
    assert_true(n == 0);
    kz_store_read_end(b.f->s);
    assert_int_equal(kz_store_objects_count(b.f->s, b.f->coll, &n), KZ_OK);
    assert_true(n == 0);
    /* No writes from inside a snapshot. */
    assert_int_equal(kz_store_objects_put(b.f->s, b.f->coll, b.f->org_a, &mine.in, 1, NULL, NULL,
                                          &r),
                     KZ_ERR_STORE);
    kz_store_read_end(b.f->s);
    assert_int_equal(kz_store_objects_count(b.f->s, b.f->coll, &n), KZ_OK);
    assert_true(n == 1);
    assert_int_equal(kz_store_objects_put(b.f->s, b.f->coll, b.f->org_a, &mine.in, 1, NULL, NULL,
                                          &r),
                     KZ_OK);
}

static void
test_put_origin(void **state)
{
    struct fx *f = *state;
    struct obj o;
    struct kz_put_result r;
    struct check_log log = {0};

    obj_make(&o, "indicator", NULL, 1700000000000000, KZ_TLP_AMBER);
    assert_int_equal(kz_store_objects_put(f->s, f->coll, f->org_a, &o.in, 1, check_cb, &log, &r),
                     KZ_OK);
    assert_false(log.last.known);
    assert_false(log.last.in_other_collection);
    assert_string_equal(log.last.first_org, "");

    /* B puts it again into the same collection: known, not elsewhere, first by A. */
    assert_int_equal(kz_store_objects_put(f->s, f->coll, f->org_b, &o.in, 1, check_cb, &log, &r),
                     KZ_OK);
    assert_true(log.last.known);
    assert_false(log.last.in_other_collection);
    assert_string_equal(log.last.first_org, f->org_a);

    /* B puts it into the second collection: it is in another collection than the target. */
    assert_int_equal(kz_store_objects_put(f->s, f->coll2, f->org_b, &o.in, 1, check_cb, &log, &r),
                     KZ_OK);
    assert_true(log.last.known);
    assert_true(log.last.in_other_collection);
    assert_string_equal(log.last.first_org, f->org_a);
}

static void
test_date_added_strictly_increasing(void **state)
{
    struct fx *f = *state;
    enum {
        BATCHES = 20,
        PER = 10
    };
    struct obj o[PER];
    struct kz_put_result r[PER];
    int64_t prev = 0;

    for (int b = 0; b < BATCHES; b++) {
        for (int i = 0; i < PER; i++)
            obj_make(&o[i], "indicator", NULL, 1700000000000000, KZ_TLP_GREEN);
        put_ok(f->s, b % 2 ? f->coll : f->coll2, f->org_a, o, PER, r);
        for (int i = 0; i < PER; i++) {
            assert_int_equal(r[i].outcome, KZ_PUT_ADDED);
            assert_true(r[i].date_added_us > prev);
            prev = r[i].date_added_us;
        }
    }
}

static void
test_sco_without_version(void **state)
{
    struct fx *f = *state;
    const char *id = "ipv4-addr--ff26c055-6336-5bc5-b98d-13d6226742dd";
    const char *j1 = "{\"type\":\"ipv4-addr\",\"spec_version\":\"2.1\",\"id\":\"ipv4-addr--"
                     "ff26c055-6336-5bc5-b98d-13d6226742dd\",\"value\":\"198.51.100.3\"}";
    const char *j2 = "{\"type\":\"ipv4-addr\", \"spec_version\":\"2.1\",\"id\":\"ipv4-addr--"
                     "ff26c055-6336-5bc5-b98d-13d6226742dd\",\"value\":\"198.51.100.3\"}";
    struct kz_object_in in = {
        .id = id, .type = "ipv4-addr", .spec_version = "2.1", .json = j1, .json_len = strlen(j1)};
    struct kz_put_result r1, r2, r3;
    struct kz_object_query q;
    struct kz_object_page p = {0};
    char text[KZ_TIME_TEXT_MAX];

    assert_int_equal(kz_store_objects_put(f->s, f->coll, f->org_a, &in, 1, NULL, NULL, &r1), KZ_OK);
    assert_int_equal(r1.outcome, KZ_PUT_ADDED);
    assert_int_equal(kz_store_objects_put(f->s, f->coll, f->org_a, &in, 1, NULL, NULL, &r2), KZ_OK);
    assert_int_equal(r2.outcome, KZ_PUT_DUPLICATE);
    assert_true(r2.date_added_us == r1.date_added_us);
    in.json = j2;
    in.json_len = strlen(j2);
    assert_int_equal(kz_store_objects_put(f->s, f->coll, f->org_a, &in, 1, NULL, NULL, &r3), KZ_OK);
    assert_int_equal(r3.outcome, KZ_PUT_ADDED);

    query_init(&q, f->coll);
    q.version_match = KZ_VERSION_ALL;
    assert_int_equal(kz_store_objects_query(f->s, &q, &p), KZ_OK);
    assert_int_equal(p.n, 2);
    kz_time_format_us(r1.date_added_us, text);
    assert_string_equal(p.rows[0].version, text);
    assert_true(p.rows[0].version_us == r1.date_added_us);
    kz_object_page_release(&p);
}

static void
test_json_byte_for_byte(void **state)
{
    struct fx *f = *state;
    const char json[] = "{ \"type\" : \"note\",\n\t\"spec_version\":\"2.1\", \"id\":"
                        "\"note--0f6ee5a6-7b8c-4c6e-9d3a-2c0d8a1f4b11\", \"content\":"
                        "\"\xe7\xb5\x86 \\u00e9 \\\"quoted\\\" \\\\ \", \"x\":1.50e+3 }  ";
    struct kz_object_in in = {.id = "note--0f6ee5a6-7b8c-4c6e-9d3a-2c0d8a1f4b11",
                              .type = "note",
                              .spec_version = "2.1",
                              .version = "2024-01-01T00:00:00.000Z",
                              .version_us = 1704067200000000,
                              .tlp = KZ_TLP_CLEAR,
                              .json = json,
                              .json_len = sizeof(json) - 1};
    struct kz_put_result r;
    struct kz_object_query q;
    struct kz_object_page p = {0};

    assert_int_equal(kz_store_objects_put(f->s, f->coll, f->org_a, &in, 1, NULL, NULL, &r), KZ_OK);
    query_init(&q, f->coll);
    assert_int_equal(kz_store_objects_query(f->s, &q, &p), KZ_OK);
    assert_int_equal(p.n, 1);
    assert_int_equal(p.rows[0].json_len, sizeof(json) - 1);
    assert_memory_equal(p.rows[0].json, json, sizeof(json));
    assert_string_equal(p.rows[0].id, in.id);
    assert_string_equal(p.rows[0].type, "note");
    assert_string_equal(p.rows[0].spec_version, "2.1");
    assert_string_equal(p.rows[0].version, in.version);
    assert_true(p.rows[0].version_us == in.version_us);
    assert_true(p.rows[0].date_added_us == r.date_added_us);
    assert_int_equal(p.rows[0].tlp, KZ_TLP_CLEAR);
    kz_object_page_release(&p);
    /* A manifest read carries no bytes. */
    q.with_json = false;
    assert_int_equal(kz_store_objects_query(f->s, &q, &p), KZ_OK);
    assert_int_equal(p.n, 1);
    assert_null(p.rows[0].json);
    kz_object_page_release(&p);
}

/* ---- objects: queries ---- */

/*
 * Fixture for the filters: A has versions t1 (green), t2 (green), t3 (red); B one version
 * t1 (amber, spec 2.0 to test the filter); M a malware at t1.
 */
struct qfx {
    struct obj a[3], b, m;
    struct kz_put_result ra[3], rb, rm;
};

static const int64_t T1 = 1700000000000000, T2 = 1700000001000000, T3 = 1700000002000000;

static void
qfx_fill(struct fx *f, struct qfx *x)
{
    obj_make(&x->a[0], "indicator", NULL, T1, KZ_TLP_GREEN);
    obj_make(&x->a[1], "indicator", x->a[0].id, T2, KZ_TLP_GREEN);
    obj_make(&x->a[2], "indicator", x->a[0].id, T3, KZ_TLP_RED);
    obj_make(&x->b, "indicator", NULL, T1, KZ_TLP_AMBER);
    x->b.in.spec_version = "2.0";
    obj_make(&x->m, "malware", NULL, T1, KZ_TLP_GREEN);
    /* Versions arrive out of order: t2 before t1. */
    put_ok(f->s, f->coll, f->org_a, &x->a[1], 1, &x->ra[1]);
    put_ok(f->s, f->coll, f->org_a, &x->a[0], 1, &x->ra[0]);
    put_ok(f->s, f->coll, f->org_a, &x->b, 1, &x->rb);
    put_ok(f->s, f->coll, f->org_a, &x->m, 1, &x->rm);
    put_ok(f->s, f->coll, f->org_a, &x->a[2], 1, &x->ra[2]);
}

static void
test_query_version_match(void **state)
{
    struct fx *f = *state;
    struct qfx x;
    struct kz_object_query q;
    struct kz_object_page p = {0};
    int64_t list[] = {T1, T3, 42};

    qfx_fill(f, &x);
    query_init(&q, f->coll);
    /* LAST by default: A@t3, B, M; ordered by date_added. */
    assert_int_equal(kz_store_objects_query(f->s, &q, &p), KZ_OK);
    assert_int_equal(p.n, 3);
    assert_string_equal(p.rows[0].id, x.b.id);
    assert_string_equal(p.rows[1].id, x.m.id);
    assert_string_equal(p.rows[2].id, x.a[0].id);
    assert_true(p.rows[2].version_us == T3);
    for (size_t i = 1; i < p.n; i++)
        assert_true(p.rows[i].date_added_us > p.rows[i - 1].date_added_us);
    kz_object_page_release(&p);

    q.version_match = KZ_VERSION_FIRST;
    q.ids = (const char *const[]){x.a[0].id};
    q.n_ids = 1;
    assert_int_equal(kz_store_objects_query(f->s, &q, &p), KZ_OK);
    assert_int_equal(p.n, 1);
    assert_true(p.rows[0].version_us == T1);
    kz_object_page_release(&p);

    q.version_match = KZ_VERSION_ALL;
    assert_int_equal(kz_store_objects_query(f->s, &q, &p), KZ_OK);
    assert_int_equal(p.n, 3);
    /* In date_added order: t2 was added first. */
    assert_true(p.rows[0].version_us == T2);
    assert_true(p.rows[1].version_us == T1);
    assert_true(p.rows[2].version_us == T3);
    kz_object_page_release(&p);

    q.version_match = KZ_VERSION_LIST;
    q.versions = list;
    q.n_versions = 3;
    assert_int_equal(query_n(f->s, &q), 2);
    q.n_versions = 0;
    assert_int_equal(query_n(f->s, &q), 0);
}

static void
test_query_max_tlp(void **state)
{
    struct fx *f = *state;
    struct qfx x;
    struct kz_object_query q;
    struct kz_object_page p = {0};

    qfx_fill(f, &x);
    query_init(&q, f->coll);
    q.max_tlp = KZ_TLP_AMBER;
    /* A@t3 is RED and invisible: the newest visible version of A is t2. */
    assert_int_equal(kz_store_objects_query(f->s, &q, &p), KZ_OK);
    assert_int_equal(p.n, 3);
    for (size_t i = 0; i < p.n; i++) {
        assert_true(p.rows[i].tlp <= KZ_TLP_AMBER);
        if (strcmp(p.rows[i].id, x.a[0].id) == 0)
            assert_true(p.rows[i].version_us == T2);
    }
    kz_object_page_release(&p);
    q.max_tlp = KZ_TLP_GREEN;
    assert_int_equal(query_n(f->s, &q), 2); /* A@t2 and M */
    q.max_tlp = KZ_TLP_CLEAR;
    assert_int_equal(query_n(f->s, &q), 0);
    q.max_tlp = KZ_TLP_AMBER;
    q.version_match = KZ_VERSION_ALL;
    assert_int_equal(query_n(f->s, &q), 4);
}

static void
test_query_filters(void **state)
{
    struct fx *f = *state;
    struct qfx x;
    struct kz_object_query q;
    struct kz_object_page p = {0};

    qfx_fill(f, &x);
    query_init(&q, f->coll);
    q.types = (const char *const[]){"malware"};
    q.n_types = 1;
    assert_int_equal(kz_store_objects_query(f->s, &q, &p), KZ_OK);
    assert_int_equal(p.n, 1);
    assert_string_equal(p.rows[0].id, x.m.id);
    kz_object_page_release(&p);
    q.types = (const char *const[]){"malware", "indicator"};
    q.n_types = 2;
    assert_int_equal(query_n(f->s, &q), 3);
    q.n_types = 0;

    q.ids = (const char *const[]){x.b.id, x.m.id, "indicator--nope"};
    q.n_ids = 3;
    assert_int_equal(query_n(f->s, &q), 2);
    q.n_ids = 0;

    q.spec_versions = (const char *const[]){"2.0"};
    q.n_spec_versions = 1;
    assert_int_equal(kz_store_objects_query(f->s, &q, &p), KZ_OK);
    assert_int_equal(p.n, 1);
    assert_string_equal(p.rows[0].id, x.b.id);
    assert_string_equal(p.rows[0].spec_version, "2.0");
    kz_object_page_release(&p);
    q.n_spec_versions = 0;

    q.added_after_us = x.rb.date_added_us;
    assert_int_equal(query_n(f->s, &q), 2); /* M and A@t3 */
    q.added_after_us = x.ra[2].date_added_us;
    assert_int_equal(query_n(f->s, &q), 0);

    /* Another collection sees none of it. */
    query_init(&q, f->coll2);
    assert_int_equal(query_n(f->s, &q), 0);
    query_init(&q, "00000000-0000-4000-8000-000000000000");
    assert_int_equal(query_n(f->s, &q), 0);
}

static void
test_query_limit_more(void **state)
{
    struct fx *f = *state;
    enum {
        N = 25
    };
    struct obj o[N];
    struct kz_put_result r[N];
    struct kz_object_query q;
    struct kz_object_page p = {0};
    size_t seen = 0;

    for (int i = 0; i < N; i++)
        obj_make(&o[i], "indicator", NULL, T1, KZ_TLP_GREEN);
    put_ok(f->s, f->coll, f->org_a, o, N, r);
    query_init(&q, f->coll);
    q.limit = 10;
    for (;;) {
        assert_int_equal(kz_store_objects_query(f->s, &q, &p), KZ_OK);
        for (size_t i = 0; i < p.n; i++)
            assert_string_equal(p.rows[i].id, o[seen + i].id);
        seen += p.n;
        if (!p.more) {
            kz_object_page_release(&p);
            break;
        }
        assert_int_equal(p.n, 10);
        q.added_after_us = p.rows[p.n - 1].date_added_us;
        kz_object_page_release(&p);
    }
    assert_int_equal(seen, N);
    q.limit = 25;
    q.added_after_us = -1;
    assert_int_equal(kz_store_objects_query(f->s, &q, &p), KZ_OK);
    assert_false(p.more); /* exactly the last row is no "more" */
    kz_object_page_release(&p);
    q.limit = 0;
    assert_int_equal(kz_store_objects_query(f->s, &q, &p), KZ_ERR_INVALID);
}

/* A writer adds objects while the reader pages through with added_after. */
struct writer_arg {
    struct kz_store *s;
    const char *coll;
    const char *org;
    int batches;
    volatile int done;
    pthread_mutex_t mu;
    size_t written;
};

static void *
writer_main(void *p)
{
    struct writer_arg *w = p;
    struct obj o[7];
    struct kz_object_in in[7];
    struct kz_put_result r[7];

    for (int b = 0; b < w->batches; b++) {
        for (int i = 0; i < 7; i++) {
            obj_make(&o[i], "indicator", NULL, T1, KZ_TLP_GREEN);
            in[i] = o[i].in;
        }
        if (kz_store_objects_put(w->s, w->coll, w->org, in, 7, NULL, NULL, r) != KZ_OK)
            break;
        pthread_mutex_lock(&w->mu);
        w->written += 7;
        pthread_mutex_unlock(&w->mu);
    }
    pthread_mutex_lock(&w->mu);
    w->done = 1;
    pthread_mutex_unlock(&w->mu);
    return NULL;
}

static int
cmp_str(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

static void
test_paging_while_writing(void **state)
{
    struct fx *f = *state;
    struct writer_arg w = {.s = f->s, .coll = f->coll, .org = f->org_a, .batches = 60};
    struct kz_object_query q;
    struct kz_object_page p = {0};
    pthread_t th;
    char **seen = NULL;
    size_t n_seen = 0, cap = 0;
    int64_t last = -1;
    int done;

    pthread_mutex_init(&w.mu, NULL);
    assert_int_equal(pthread_create(&th, NULL, writer_main, &w), 0);
    query_init(&q, f->coll);
    q.limit = 5;
    q.with_json = false;
    for (;;) {
        pthread_mutex_lock(&w.mu);
        done = w.done;
        pthread_mutex_unlock(&w.mu);
        q.added_after_us = last;
        assert_int_equal(kz_store_objects_query(f->s, &q, &p), KZ_OK);
        for (size_t i = 0; i < p.n; i++) {
            assert_true(p.rows[i].date_added_us > last);
            last = p.rows[i].date_added_us;
            if (n_seen == cap) {
                cap = cap ? cap * 2 : 64;
                seen = realloc(seen, cap * sizeof(*seen));
                assert_non_null(seen);
            }
            seen[n_seen++] = strdup(p.rows[i].id);
        }
        bool more = p.more;
        kz_object_page_release(&p);
        if (!more && done)
            break;
    }
    pthread_join(th, NULL);
    assert_int_equal(n_seen, w.written);
    assert_int_equal(n_seen, 60 * 7);
    qsort(seen, n_seen, sizeof(*seen), cmp_str);
    for (size_t i = 1; i < n_seen; i++)
        assert_true(strcmp(seen[i - 1], seen[i]) != 0);
    for (size_t i = 0; i < n_seen; i++)
        free(seen[i]);
    free(seen);
    pthread_mutex_destroy(&w.mu);
}

/* Several threads write and read at once; every write lands with a unique date_added. */
struct worker_arg {
    struct kz_store *s;
    const char *coll;
    const char *org;
    int64_t added[200];
    int failures;
};

static void *
worker_main(void *p)
{
    struct worker_arg *a = p;
    struct obj o[10];
    struct kz_object_in in[10];
    struct kz_put_result r[10];
    struct kz_object_query q;
    struct kz_object_page pg = {0};

    for (int b = 0; b < 20; b++) {
        for (int i = 0; i < 10; i++) {
            obj_make(&o[i], "indicator", NULL, T1, KZ_TLP_GREEN);
            in[i] = o[i].in;
        }
        if (kz_store_objects_put(a->s, a->coll, a->org, in, 10, NULL, NULL, r) != KZ_OK) {
            a->failures++;
            continue;
        }
        for (int i = 0; i < 10; i++)
            a->added[b * 10 + i] = r[i].date_added_us;
        memset(&q, 0, sizeof(q));
        q.collection_id = a->coll;
        q.added_after_us = -1;
        q.limit = 50;
        q.max_tlp = KZ_TLP_RED;
        q.ids = (const char *const[]){o[3].id};
        q.n_ids = 1;
        if (kz_store_objects_query(a->s, &q, &pg) != KZ_OK || pg.n != 1)
            a->failures++;
        kz_object_page_release(&pg);
    }
    return NULL;
}

static int
cmp_i64(const void *a, const void *b)
{
    int64_t x = *(const int64_t *)a, y = *(const int64_t *)b;
    return (x > y) - (x < y);
}

static void
test_concurrent_threads(void **state)
{
    struct fx *f = *state;
    enum {
        THREADS = 4
    };
    struct worker_arg *args = calloc(THREADS, sizeof(*args));
    pthread_t th[THREADS];
    int64_t *all = calloc(THREADS * 200, sizeof(*all));
    uint64_t count = 0;

    assert_non_null(args);
    assert_non_null(all);
    for (int t = 0; t < THREADS; t++) {
        args[t].s = f->s;
        args[t].coll = t % 2 ? f->coll : f->coll2;
        args[t].org = f->org_b;
        assert_int_equal(pthread_create(&th[t], NULL, worker_main, &args[t]), 0);
    }
    for (int t = 0; t < THREADS; t++) {
        pthread_join(th[t], NULL);
        assert_int_equal(args[t].failures, 0);
        memcpy(all + t * 200, args[t].added, sizeof(args[t].added));
    }
    qsort(all, THREADS * 200, sizeof(*all), cmp_i64);
    for (int i = 1; i < THREADS * 200; i++)
        assert_true(all[i] > all[i - 1]);
    assert_int_equal(kz_store_objects_count(f->s, f->coll, &count), KZ_OK);
    assert_true(count == (THREADS / 2) * 200);
    free(all);
    free(args);
}

/* ---- objects: delete and count ---- */

static void
test_delete(void **state)
{
    struct fx *f = *state;
    struct qfx x;
    struct kz_object_query q;
    size_t deleted = 0;
    uint64_t count = 0;
    int64_t v2[] = {T2};

    qfx_fill(f, &x);
    query_init(&q, f->coll);
    q.ids = (const char *const[]){x.a[0].id};
    q.n_ids = 1;
    q.version_match = KZ_VERSION_LIST;
    q.versions = v2;
    q.n_versions = 1;
    assert_int_equal(kz_store_objects_delete(f->s, &q, &deleted), KZ_OK);
    assert_int_equal(deleted, 1);
    assert_int_equal(kz_store_objects_delete(f->s, &q, &deleted), KZ_ERR_NOTFOUND);
    /* LAST removes t3 and leaves t1 (max_tlp does not hide rows from delete). */
    q.version_match = KZ_VERSION_LAST;
    q.max_tlp = KZ_TLP_CLEAR;
    assert_int_equal(kz_store_objects_delete(f->s, &q, &deleted), KZ_OK);
    assert_int_equal(deleted, 1);
    /* With t2 and t3 gone, t1 is the latest version again, for every reader. */
    q.version_match = KZ_VERSION_LAST;
    for (int m = KZ_TLP_GREEN; m <= KZ_TLP_RED; m++) {
        struct kz_object_page p = {0};
        q.max_tlp = (enum kz_tlp)m;
        assert_int_equal(kz_store_objects_query(f->s, &q, &p), KZ_OK);
        assert_int_equal(p.n, 1);
        assert_true(p.rows[0].version_us == T1);
        kz_object_page_release(&p);
    }
    q.max_tlp = KZ_TLP_RED;
    q.version_match = KZ_VERSION_ALL;
    assert_int_equal(query_n(f->s, &q), 1);
    assert_int_equal(kz_store_objects_delete(f->s, &q, &deleted), KZ_OK);
    assert_int_equal(deleted, 1);
    assert_int_equal(kz_store_objects_delete(f->s, &q, &deleted), KZ_ERR_NOTFOUND);
    assert_int_equal(kz_store_objects_count(f->s, f->coll, &count), KZ_OK);
    assert_true(count == 2);
    q.n_ids = 0;
    assert_int_equal(kz_store_objects_delete(f->s, &q, &deleted), KZ_ERR_INVALID);
}

static void
test_count(void **state)
{
    struct fx *f = *state;
    uint64_t count = 99;
    struct obj o[3];
    struct kz_put_result r[3];

    assert_int_equal(kz_store_objects_count(f->s, f->coll, &count), KZ_OK);
    assert_true(count == 0);
    for (int i = 0; i < 3; i++)
        obj_make(&o[i], "indicator", NULL, T1, KZ_TLP_GREEN);
    put_ok(f->s, f->coll, f->org_a, o, 3, r);
    assert_int_equal(kz_store_objects_count(f->s, f->coll, &count), KZ_OK);
    assert_true(count == 3);
    assert_int_equal(kz_store_objects_count(f->s, "00000000-0000-4000-8000-000000000000", &count),
                     KZ_ERR_NOTFOUND);
}

/* ---- status ---- */

static void
test_status_round_trip(void **state)
{
    struct fx *f = *state;
    struct kz_status_entry e[3];
    struct kz_status st, got;

    memset(&st, 0, sizeof(st));
    memset(e, 0, sizeof(e));
    kz_uuid_v4(st.id);
    snprintf(st.collection_id, sizeof(st.collection_id), "%s", f->coll);
    snprintf(st.org, sizeof(st.org), "%s", f->org_a);
    st.request_us = 1700000000123456;
    snprintf(e[0].id, sizeof(e[0].id), "indicator--a");
    snprintf(e[0].version, sizeof(e[0].version), "2024-01-01T00:00:00.000Z");
    e[0].kind = KZ_STATUS_SUCCESS;
    e[1].kind = KZ_STATUS_FAILURE; /* no usable id */
    snprintf(e[1].message, sizeof(e[1].message), "missing 'id' \xe7\xb5\x86");
    snprintf(e[2].id, sizeof(e[2].id), "indicator--c");
    e[2].kind = KZ_STATUS_PENDING;
    st.entries = e;
    st.n = 3;
    assert_int_equal(kz_store_status_put(f->s, &st), KZ_OK);
    assert_int_equal(kz_store_status_get(f->s, st.id, &got), KZ_OK);
    assert_string_equal(got.id, st.id);
    assert_string_equal(got.collection_id, f->coll);
    assert_string_equal(got.org, f->org_a);
    assert_true(got.request_us == st.request_us);
    assert_int_equal(got.n, 3);
    assert_memory_equal(got.entries, e, sizeof(e));
    kz_status_release(&got);
    assert_null(got.entries);

    /* Putting it again replaces the entries. */
    e[2].kind = KZ_STATUS_SUCCESS;
    st.n = 3;
    assert_int_equal(kz_store_status_put(f->s, &st), KZ_OK);
    assert_int_equal(kz_store_status_get(f->s, st.id, &got), KZ_OK);
    assert_int_equal(got.n, 3);
    assert_int_equal(got.entries[2].kind, KZ_STATUS_SUCCESS);
    kz_status_release(&got);

    assert_int_equal(kz_store_status_get(f->s, "00000000-0000-4000-8000-000000000000", &got),
                     KZ_ERR_NOTFOUND);
    kz_status_release(NULL);
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_open_rejects_unknown_schemes),
        cmocka_unit_test(test_open_creates_parent_directories),
        cmocka_unit_test_setup_teardown(test_migrations_idempotent, setup, teardown),
        cmocka_unit_test_setup_teardown(test_integrity_check, setup, teardown),
        cmocka_unit_test_setup_teardown(test_sector_crud, setup, teardown),
        cmocka_unit_test_setup_teardown(test_org_crud, setup, teardown),
        cmocka_unit_test_setup_teardown(test_org_list, setup, teardown),
        cmocka_unit_test_setup_teardown(test_key_crud, setup, teardown),
        cmocka_unit_test_setup_teardown(test_collection_crud, setup, teardown),
        cmocka_unit_test_setup_teardown(test_put_added_duplicate_refused, setup, teardown),
        cmocka_unit_test_setup_teardown(test_put_unknown_collection, setup, teardown),
        cmocka_unit_test_setup_teardown(test_transaction_all_or_nothing, setup, teardown),
        cmocka_unit_test_setup_teardown(test_read_snapshot, setup, teardown),
        cmocka_unit_test_setup_teardown(test_put_origin, setup, teardown),
        cmocka_unit_test_setup_teardown(test_date_added_strictly_increasing, setup, teardown),
        cmocka_unit_test_setup_teardown(test_sco_without_version, setup, teardown),
        cmocka_unit_test_setup_teardown(test_json_byte_for_byte, setup, teardown),
        cmocka_unit_test_setup_teardown(test_query_version_match, setup, teardown),
        cmocka_unit_test_setup_teardown(test_query_max_tlp, setup, teardown),
        cmocka_unit_test_setup_teardown(test_query_filters, setup, teardown),
        cmocka_unit_test_setup_teardown(test_query_limit_more, setup, teardown),
        cmocka_unit_test_setup_teardown(test_paging_while_writing, setup, teardown),
        cmocka_unit_test_setup_teardown(test_concurrent_threads, setup, teardown),
        cmocka_unit_test_setup_teardown(test_delete, setup, teardown),
        cmocka_unit_test_setup_teardown(test_count, setup, teardown),
        cmocka_unit_test_setup_teardown(test_status_round_trip, setup, teardown),
    };

    return cmocka_run_group_tests_name("store", tests, group_setup, group_teardown);
}
