/*
 * The index the scan uses while a background poll builds its successor. Publishing is one
 * atomic pointer swap; each generation is reference-counted, so the old index is freed when
 * the last scan thread lets go of it, never under a thread that still reads it.
 */
#include "sensor/sensor.h"

#include <pthread.h>
#include <stdatomic.h>
#include <stdlib.h>

#include "base/banned.h"

struct kz_sensor_gen {
    struct kz_match_index *ix;
    atomic_uint refs;
};

struct kz_sensor_live {
    pthread_mutex_t mu; /* orders acquire's load + ref against publish's swap + unref */
    _Atomic(struct kz_sensor_gen *) cur;
    atomic_uint_fast64_t generations;
};

static struct kz_sensor_gen *
gen_new(struct kz_match_index *ix)
{
    struct kz_sensor_gen *g = kz_xcalloc(1, sizeof(*g));
    g->ix = ix;
    atomic_init(&g->refs, 1); /* the live holder's reference */
    return g;
}

struct kz_sensor_live *
kz_sensor_live_new(struct kz_match_index *ix)
{
    struct kz_sensor_live *l = kz_xcalloc(1, sizeof(*l));

    pthread_mutex_init(&l->mu, NULL);
    atomic_init(&l->cur, gen_new(ix));
    atomic_init(&l->generations, 1);
    return l;
}

void
kz_sensor_live_free(struct kz_sensor_live *l)
{
    if (!l)
        return;
    kz_sensor_live_release(atomic_load(&l->cur));
    pthread_mutex_destroy(&l->mu);
    free(l);
}

struct kz_sensor_gen *
kz_sensor_live_acquire(struct kz_sensor_live *l)
{
    struct kz_sensor_gen *g;

    pthread_mutex_lock(&l->mu);
    g = atomic_load(&l->cur);
    atomic_fetch_add(&g->refs, 1);
    pthread_mutex_unlock(&l->mu);
    return g;
}

bool
kz_sensor_live_changed(struct kz_sensor_live *l, const struct kz_sensor_gen *g)
{
    /* g is held, so no new generation can reuse its address. */
    return atomic_load_explicit(&l->cur, memory_order_acquire) != g;
}

void
kz_sensor_live_release(struct kz_sensor_gen *g)
{
    if (g && atomic_fetch_sub(&g->refs, 1) == 1) {
        kz_match_index_free(g->ix);
        free(g);
    }
}

const struct kz_match_index *
kz_sensor_gen_index(const struct kz_sensor_gen *g)
{
    return g->ix;
}

void
kz_sensor_live_publish(struct kz_sensor_live *l, struct kz_match_index *ix)
{
    struct kz_sensor_gen *g = gen_new(ix), *old;

    pthread_mutex_lock(&l->mu);
    old = atomic_exchange_explicit(&l->cur, g, memory_order_acq_rel);
    atomic_fetch_add(&l->generations, 1);
    pthread_mutex_unlock(&l->mu);
    kz_sensor_live_release(old);
}

uint64_t
kz_sensor_live_generations(struct kz_sensor_live *l)
{
    return atomic_load(&l->generations);
}
