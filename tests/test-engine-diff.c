/* SPDX-License-Identifier: MIT */
/*
 * test-engine-diff.c - the engine against a naive model.
 *
 * Differential: random schedule, arm, cancel and stop sequences, from fixed
 * seeds, run through the engine and through a naive model (one sorted
 * array, timers removed and re-inserted on every arm) must give the same
 * trace. test-engine.c pins each rule on a hand-made schedule.
 */
#include "ks-engine-test.h"

#include "kafkasim/engine.h"
#include "kafkasim/rng.h"

/* --- Differential test against a naive model. ---
 *
 * One driver runs twice from the same seed: once on the engine, once on the
 * model. Every callback logs (now, id) and then draws random operations from
 * the driver's generator, so as long as both sides run the same callbacks in
 * the same order they draw the same operations; the first divergence shows
 * in the logs. The model is deliberately dumb: one array sorted by
 * (time, seq), a seq counter shared by events and arm calls, and a timer is
 * removed from the array and re-inserted on every arm call, so a timer's key
 * is simply (deadline, seq of its last arm call). */

enum { N_TIMERS = 8, TIMER_ID = 1000000, RUN_MARK = 2000000, STATE_MARK = 3000000 };

typedef struct Diff Diff;

typedef struct {
    KsTimer timer;
    Diff *diff;
    int index;
} DiffTimer;

typedef struct {
    KsTime time;
    uint64_t seq;
    uint64_t id;
    int timer; /* -1 for a plain event */
} ModelItem;

struct Diff {
    bool model;
    KsRng rng;
    int budget; /* operations left to draw */
    uint64_t next_id;
    GArray *log;   /* of Fired */
    int n_lazy;    /* arm calls later than an armed timer's deadline */
    int n_earlier; /* arm calls earlier than an armed timer's deadline */
    /* Engine side. */
    KsEngine *engine;
    DiffTimer timers[N_TIMERS];
    /* Model side. */
    GArray *queue; /* of ModelItem, sorted by (time, seq) */
    KsTime now;
    uint64_t seq;
    uint64_t events_run;
    bool stop, running;
    bool armed[N_TIMERS];
    KsTime deadline[N_TIMERS];
};

static void model_insert(Diff *d, KsTime time, uint64_t id, int timer)
{
    ModelItem item = {time, d->seq++, id, timer};
    guint i = d->queue->len;
    while (i > 0) {
        const ModelItem *prev = &g_array_index(d->queue, ModelItem, i - 1);
        if (prev->time < item.time || (prev->time == item.time && prev->seq < item.seq))
            break;
        i--;
    }
    g_array_insert_val(d->queue, i, item);
}

static void model_remove_timer(Diff *d, int k)
{
    for (guint i = 0; i < d->queue->len; i++) {
        if (g_array_index(d->queue, ModelItem, i).timer == k) {
            g_array_remove_index(d->queue, i);
            return;
        }
    }
}

static KsTime diff_now(const Diff *d)
{
    return d->model ? d->now : ks_engine_now(d->engine);
}

static void diff_log(Diff *d, uint64_t id)
{
    Fired f = {diff_now(d), id};
    g_array_append_val(d->log, f);
}

static void diff_fire(Diff *d, uint64_t id);

static void diff_event_cb(KsEngine *engine, void *ctx, uint64_t id)
{
    diff_fire(ctx, id);
}

static void diff_timer_cb(KsEngine *engine, void *ctx, uint64_t arg)
{
    DiffTimer *t = ctx;
    diff_fire(t->diff, TIMER_ID + (uint64_t)t->index);
}

static void diff_schedule(Diff *d, KsTime delay, bool relative)
{
    uint64_t id = d->next_id++;
    if (d->model)
        model_insert(d, d->now + delay, id, -1);
    else if (relative)
        ks_engine_schedule(d->engine, delay, diff_event_cb, d, id);
    else
        ks_engine_schedule_at(d->engine, ks_engine_now(d->engine) + delay, diff_event_cb, d, id);
}

static void diff_arm(Diff *d, int k, KsTime delay)
{
    KsTime when = diff_now(d) + delay;
    if (d->model) {
        if (d->armed[k]) {
            d->n_lazy += when > d->deadline[k];
            d->n_earlier += when < d->deadline[k];
        }
        model_remove_timer(d, k);
        d->armed[k] = true;
        d->deadline[k] = when;
        model_insert(d, when, TIMER_ID + (uint64_t)k, k);
    } else {
        ks_timer_arm_at(d->engine, &d->timers[k].timer, when);
    }
}

static void diff_cancel(Diff *d, int k)
{
    if (d->model) {
        model_remove_timer(d, k);
        d->armed[k] = false;
    } else {
        ks_timer_cancel(d->engine, &d->timers[k].timer);
    }
}

/* Draws up to @max_ops operations; both sides draw the same numbers in the
 * same order. */
static void diff_random_ops(Diff *d, int max_ops, bool in_callback)
{
    int n = (int)ks_rng_below(&d->rng, (uint64_t)max_ops + 1);
    for (int i = 0; i < n && d->budget > 0; i++, d->budget--) {
        uint64_t r = ks_rng_below(&d->rng, 20);
        if (r < 8) {
            bool relative = ks_rng_below(&d->rng, 2);
            diff_schedule(d, (KsTime)ks_rng_below(&d->rng, 25), relative);
        } else if (r < 15) {
            int k = (int)ks_rng_below(&d->rng, N_TIMERS);
            diff_arm(d, k, (KsTime)ks_rng_below(&d->rng, 40));
        } else if (r < 19) {
            diff_cancel(d, (int)ks_rng_below(&d->rng, N_TIMERS));
        } else if (in_callback) {
            if (d->model)
                d->stop = true;
            else
                ks_engine_stop(d->engine);
        }
    }
}

static void diff_fire(Diff *d, uint64_t id)
{
    diff_log(d, id);
    diff_random_ops(d, 3, true);
}

static uint64_t diff_run_until(Diff *d, KsTime until)
{
    if (!d->model)
        return ks_engine_run_until(d->engine, until);
    uint64_t ran = 0;
    d->stop = false;
    while (d->queue->len > 0 && g_array_index(d->queue, ModelItem, 0).time <= until) {
        ModelItem item = g_array_index(d->queue, ModelItem, 0);
        g_array_remove_index(d->queue, 0);
        d->now = item.time;
        if (item.timer >= 0)
            d->armed[item.timer] = false;
        ran++;
        d->events_run++;
        diff_fire(d, item.id);
        if (d->stop)
            break;
    }
    if (!d->stop)
        d->now = until;
    d->stop = false;
    return ran;
}

/* Logs each timer's armed state and deadline as the side sees it. */
static void diff_log_timers(Diff *d)
{
    for (int k = 0; k < N_TIMERS; k++) {
        bool armed = d->model ? d->armed[k] : ks_timer_is_armed(&d->timers[k].timer);
        KsTime deadline = d->model ? d->deadline[k] : ks_timer_deadline(&d->timers[k].timer);
        Fired f = {armed ? deadline : -1, STATE_MARK + (uint64_t)k};
        g_array_append_val(d->log, f);
    }
}

/* One side's run: @burst rounds of operations first (a deep heap), then
 * rounds of operations and runs until the budget is spent, then a drain. */
static void diff_run(Diff *d, uint64_t seed, bool model, int burst, int budget)
{
    *d = (Diff){.model = model, .budget = budget};
    ks_rng_init_stream(&d->rng, seed, ks_rng_stream_id("test-engine differential"));
    d->log = g_array_new(FALSE, FALSE, sizeof(Fired));
    if (model) {
        d->queue = g_array_new(FALSE, FALSE, sizeof(ModelItem));
    } else {
        d->engine = ks_engine_new();
        for (int k = 0; k < N_TIMERS; k++) {
            d->timers[k].diff = d;
            d->timers[k].index = k;
            ks_timer_init(&d->timers[k].timer, diff_timer_cb, &d->timers[k]);
        }
    }
    for (int i = 0; i < burst; i++)
        diff_random_ops(d, 6, false);
    while (d->budget > 0) {
        diff_random_ops(d, 6, false);
        KsTime until = diff_now(d) + (KsTime)ks_rng_below(&d->rng, 60);
        uint64_t ran = diff_run_until(d, until);
        Fired mark = {diff_now(d), RUN_MARK + ran};
        g_array_append_val(d->log, mark);
        diff_log_timers(d);
    }
    /* Drain, stops included. */
    for (int i = 0; i < 1000; i++) {
        uint64_t ran = diff_run_until(d, diff_now(d) + 1000);
        Fired mark = {diff_now(d), RUN_MARK + ran};
        g_array_append_val(d->log, mark);
    }
    diff_log_timers(d);
}

static void diff_clear(Diff *d)
{
    g_array_unref(d->log);
    if (d->queue)
        g_array_unref(d->queue);
    ks_engine_free(d->engine);
}

static void test_engine_matches_naive_model(void **state)
{
    /* Seeds 1-20 keep a shallow queue with many ties; 21-23 start with a
     * burst of over a thousand events, so the heap is several levels deep. */
    for (uint64_t seed = 1; seed <= 23; seed++) {
        int burst = seed <= 20 ? 0 : 1000;
        int budget = seed <= 20 ? 4000 : 20000;
        Diff engine_side, model_side;
        diff_run(&engine_side, seed, false, burst, budget);
        diff_run(&model_side, seed, true, burst, budget);

        GArray *a = engine_side.log, *b = model_side.log;
        guint n = MIN(a->len, b->len);
        for (guint i = 0; i < n; i++) {
            const Fired *x = &g_array_index(a, Fired, i), *y = &g_array_index(b, Fired, i);
            if (x->time != y->time || x->id != y->id)
                fail_msg("seed %" PRIu64 ": entry %u: engine (%" PRId64 ", %" PRIu64
                         "), model (%" PRId64 ", %" PRIu64 ")",
                         seed, i, x->time, x->id, y->time, y->id);
        }
        ks_assert_i64_eq(a->len, b->len);
        ks_assert_i64_eq(ks_engine_events_run(engine_side.engine), model_side.events_run);
        ks_assert_i64_eq(ks_engine_pending(engine_side.engine), 0);
        ks_assert_i64_eq(model_side.queue->len, 0);
        /* The run exercised what it is meant to: many events, and timers
         * re-armed both later (lazy) and earlier (stale entries). */
        assert_true(model_side.events_run > 2000);
        assert_true(model_side.n_lazy > 100);
        assert_true(model_side.n_earlier > 100);
        diff_clear(&engine_side);
        diff_clear(&model_side);
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_engine_matches_naive_model),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
