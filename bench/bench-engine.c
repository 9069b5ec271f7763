/* SPDX-License-Identifier: MIT */
/*
 * bench-engine.c - the engine's cost per event on heap_limit.c's event
 * pattern.
 *
 * bench/heap_limit.c is the project's bare loop: a hand-written heap of
 * 16-byte events and a switch for handlers. This program runs exactly the
 * same events through the real engine (ks_engine_schedule and callbacks),
 * so the ratio of the two wall times is what the engine's generality costs
 * per event. The pattern, from bench/README.md without the fault:
 * per partition a produce tick every 10 ms, two follower fetches every 50 ms
 * and a consumer poll every 100 ms; per consumer a commit every 1000 ms. Each
 * activity first fires at t = its period and last at t <= until; entities are
 * activated in heap_limit's order (producers, fetchers, pollers, committers),
 * so ties run in the same order too. Events: 9000 P + 60 C for 60 s.
 *
 * --timers runs the same pattern with one KsTimer per entity, re-armed from
 * its own callback each period, to measure the timer path instead.
 *
 * Run:    bench-engine [--size small|medium|large] [--P n] [--C n]
 *                      [--until seconds] [--timers]
 * Prints: events=N wall_s=X events_per_s=Y   (wall_s times the run loop only)
 * The per-kind counters go to stderr, so the handlers cannot be optimised
 * away. Exits 1 if the engine ran a different number of events than the
 * pattern has.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <glib.h>

#include "kafkasim/engine.h"

enum { K_PRODUCE, K_FETCH, K_POLL, K_COMMIT, K_COUNT };
static const KsTime PERIOD[K_COUNT] = {10 * KS_TIME_MS, 50 * KS_TIME_MS, 100 * KS_TIME_MS,
                                       1000 * KS_TIME_MS};

typedef struct {
    KsTime until;
    uint64_t n_kind[K_COUNT];
    uint64_t records_produced, records_replicated, records_consumed, commits;
} Bench;

/* One entity of the timer variant: its timer and what it is. */
typedef struct {
    KsTimer timer;
    Bench *bench;
    int kind;
} Entity;

/* Plain-event handlers: bump the counters heap_limit bumps, then schedule
 * the entity's next occurrence if it is due by the end of the run. */
#define DEFINE_HANDLER(name, kind, counter, amount)                                                \
    static void name(KsEngine *engine, void *ctx, uint64_t id)                                     \
    {                                                                                              \
        Bench *b = ctx;                                                                            \
        b->n_kind[kind]++;                                                                         \
        b->counter += amount;                                                                      \
        if (ks_engine_now(engine) + PERIOD[kind] <= b->until)                                      \
            ks_engine_schedule(engine, PERIOD[kind], name, ctx, id);                               \
    }

DEFINE_HANDLER(on_produce, K_PRODUCE, records_produced, 100)
DEFINE_HANDLER(on_fetch, K_FETCH, records_replicated, 100)
DEFINE_HANDLER(on_poll, K_POLL, records_consumed, 100)
DEFINE_HANDLER(on_commit, K_COMMIT, commits, 1)

static const KsEventFn HANDLER[K_COUNT] = {on_produce, on_fetch, on_poll, on_commit};

/* Timer-variant handler: the same counters, then the entity re-arms its own
 * timer one period on. */
static void on_timer(KsEngine *engine, void *ctx, uint64_t unused)
{
    Entity *entity = ctx;
    Bench *b = entity->bench;
    int kind = entity->kind;
    b->n_kind[kind]++;
    switch (kind) {
    case K_PRODUCE:
        b->records_produced += 100;
        break;
    case K_FETCH:
        b->records_replicated += 100;
        break;
    case K_POLL:
        b->records_consumed += 100;
        break;
    default:
        b->commits++;
        break;
    }
    if (ks_engine_now(engine) + PERIOD[kind] <= b->until)
        ks_timer_arm(engine, &entity->timer, PERIOD[kind]);
}

static double now_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

static G_NORETURN void usage(const char *argv0)
{
    fprintf(stderr,
            "usage: %s [--size small|medium|large] [--P n] [--C n] [--until seconds] "
            "[--timers]\n",
            argv0);
    exit(2);
}

int main(int argc, char **argv)
{
    long P = 12, C = 4, Po = -1, Co = -1;
    bool timers = false;
    double until_s = 60.0;
    for (int i = 1; i < argc; i++) {
        const char *o = argv[i];
        if (strcmp(o, "--timers") == 0) {
            timers = true;
            continue;
        }
        if (i + 1 >= argc)
            usage(argv[0]);
        const char *v = argv[++i];
        if (strcmp(o, "--size") == 0) {
            if (strcmp(v, "small") == 0)
                P = 12, C = 4;
            else if (strcmp(v, "medium") == 0)
                P = 1000, C = 100;
            else if (strcmp(v, "large") == 0)
                P = 30000, C = 1000;
            else
                usage(argv[0]);
        } else if (strcmp(o, "--B") == 0) {
            /* Accepted for heap_limit's command line; the pattern ignores it. */
        } else if (strcmp(o, "--P") == 0) {
            Po = atol(v);
        } else if (strcmp(o, "--C") == 0) {
            Co = atol(v);
        } else if (strcmp(o, "--until") == 0) {
            until_s = atof(v);
        } else {
            usage(argv[0]);
        }
    }
    if (Po >= 0)
        P = Po;
    if (Co >= 0)
        C = Co;
    if (P < 1 || C < 1 || until_s < 0)
        usage(argv[0]);

    Bench bench = {.until = (KsTime)(until_s * 1000.0 + 0.5) * KS_TIME_MS};
    const long count[K_COUNT] = {P, 2 * P, P, C};
    uint64_t expected = 0;
    for (int k = 0; k < K_COUNT; k++)
        expected += (uint64_t)count[k] * (uint64_t)(bench.until / PERIOD[k]);

    g_autoptr(KsEngine) engine = ks_engine_new();
    g_autofree Entity *entities = NULL;
    if (timers)
        entities = g_new0(Entity, (size_t)(4 * P + C));
    /* Same activation order as heap_limit: producers, fetchers, pollers,
     * committers. An entity whose first occurrence lies past --until never
     * fires. */
    size_t n_entities = 0;
    for (int k = 0; k < K_COUNT; k++) {
        if (PERIOD[k] > bench.until)
            continue;
        for (long i = 0; i < count[k]; i++) {
            if (timers) {
                Entity *entity = &entities[n_entities++];
                entity->bench = &bench;
                entity->kind = k;
                ks_timer_init(&entity->timer, on_timer, entity);
                ks_timer_arm(engine, &entity->timer, PERIOD[k]);
            } else {
                ks_engine_schedule(engine, PERIOD[k], HANDLER[k], &bench, (uint64_t)i);
            }
        }
    }

    double t0 = now_s();
    uint64_t events = ks_engine_run_until(engine, bench.until);
    double wall = now_s() - t0;

    printf("events=%llu wall_s=%.6f events_per_s=%.0f\n", (unsigned long long)events, wall,
           wall > 0 ? (double)events / wall : 0.0);
    fprintf(stderr,
            "produce=%llu fetch=%llu poll=%llu commit=%llu records_produced=%llu "
            "records_replicated=%llu records_consumed=%llu commits=%llu\n",
            (unsigned long long)bench.n_kind[K_PRODUCE], (unsigned long long)bench.n_kind[K_FETCH],
            (unsigned long long)bench.n_kind[K_POLL], (unsigned long long)bench.n_kind[K_COMMIT],
            (unsigned long long)bench.records_produced,
            (unsigned long long)bench.records_replicated,
            (unsigned long long)bench.records_consumed, (unsigned long long)bench.commits);
    if (events != expected) {
        fprintf(stderr, "bench-engine: ran %llu events, the pattern has %llu\n",
                (unsigned long long)events, (unsigned long long)expected);
        return 1;
    }
    return 0;
}
