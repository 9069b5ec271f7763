/* SPDX-License-Identifier: MIT */
/*
 * test-purgatory.c - delayed operations (sim/purgatory.c): an operation
 * completes when its key reaches what it needs, before its deadline; one
 * that waits until its deadline expires then, in one engine event for all
 * the operations of a list due at that instant; a cancelled one neither
 * completes nor expires.
 */
#include "ks-test.h"

#include "sim/purgatory.h"

typedef struct {
    KsDelayed op;
    KsWatch watch;
    int id;
    int completed;     /* status + 1, 0: not */
    KsTime expired_at; /* -1: not */
} Op;

typedef struct {
    KsEngine *engine;
    KsDelayedTimeouts timeouts;
    KsWatchKey key;
    GArray *order; /* of int: ids, in the order they completed or expired */
} Fixture;

static Op *op_of_delayed(KsDelayed *d)
{
    return (Op *)((char *)d - offsetof(Op, op));
}

static void expired(void *ctx, KsDelayed *d)
{
    Fixture *f = ctx;
    Op *o = op_of_delayed(d);
    o->expired_at = ks_engine_now(f->engine);
    ks_purgatory_unwatch(&f->key, &o->watch);
    g_array_append_val(f->order, o->id);
}

static void completed(void *ctx, KsWatch *w, int status)
{
    Fixture *f = ctx;
    Op *o = op_of_delayed(w->op);
    o->completed = status + 1;
    ks_purgatory_cancel(&o->op);
    g_array_append_val(f->order, o->id);
}

static int setup(void **state)
{
    Fixture *f = g_new0(Fixture, 1);
    f->engine = ks_engine_new();
    ks_purgatory_init_timeouts(&f->timeouts, f->engine, expired, f);
    ks_purgatory_init_key(&f->key);
    f->order = g_array_new(FALSE, FALSE, sizeof(int));
    *state = f;
    return 0;
}

static int teardown(void **state)
{
    Fixture *f = *state;
    ks_purgatory_clear_timeouts(&f->timeouts);
    g_queue_clear(&f->key);
    ks_engine_free(f->engine);
    g_array_free(f->order, TRUE);
    g_free(f);
    return 0;
}

/* Parks @o until @deadline, watching the key for @need. */
static void park(Fixture *f, Op *o, int id, KsTime deadline, int64_t need)
{
    *o = (Op){.id = id, .expired_at = -1};
    o->watch.op = &o->op;
    o->watch.need = need;
    ks_purgatory_park(&f->timeouts, &o->op, deadline);
    ks_purgatory_watch(&f->key, &o->watch);
}

/* The ops completed or expired so far are @ids, in that order. */
static void expect_order(const Fixture *f, const int *ids, guint n)
{
    ks_assert_i64_eq(f->order->len, n);
    for (guint i = 0; i < n; i++)
        ks_assert_i64_eq(g_array_index(f->order, int, i), ids[i]);
}

static void test_purgatory_completes_before_deadline(void **state)
{
    Fixture *f = *state;
    Op a, b, c;
    park(f, &a, 1, 100, 10);
    park(f, &b, 2, 110, 30);
    park(f, &c, 3, 120, 20);
    ks_engine_run_until(f->engine, 50);
    /* The key reaches 25: the ops needing 10 and 20 complete, in order of
     * need; the one needing 30 waits. */
    ks_purgatory_check(&f->key, 25, completed, f, 7);
    expect_order(f, (const int[]){1, 3}, 2);
    ks_assert_i64_eq(a.completed, 8);
    assert_false(ks_purgatory_parked(&a.op));
    assert_true(ks_purgatory_parked(&b.op));
    ks_purgatory_check(&f->key, 30, completed, f, 0);
    ks_assert_i64_eq(b.completed, 1);
    /* Nothing expires later, and the timer fired for no one. */
    ks_engine_run_until(f->engine, 1000);
    expect_order(f, (const int[]){1, 3, 2}, 3);
    ks_assert_i64_eq(a.expired_at, -1);
    ks_assert_i64_eq(ks_engine_events_run(f->engine), 0);
}

static void test_purgatory_expires_at_deadline(void **state)
{
    Fixture *f = *state;
    Op ops[3];
    for (int i = 0; i < 3; i++)
        park(f, &ops[i], i + 1, i < 2 ? 100 : 150, 10);
    Op *a = &ops[0], *b = &ops[1], *c = &ops[2];
    ks_engine_run_until(f->engine, 99);
    expect_order(f, NULL, 0);
    ks_engine_run_until(f->engine, 100);
    /* Both ops due at 100 expire then, oldest first, in one event. */
    expect_order(f, (const int[]){1, 2}, 2);
    ks_assert_i64_eq(a->expired_at, 100);
    ks_assert_i64_eq(b->expired_at, 100);
    ks_assert_i64_eq(ks_engine_events_run(f->engine), 1);
    ks_engine_run_until(f->engine, 1000);
    ks_assert_i64_eq(c->expired_at, 150);
    ks_assert_i64_eq(c->completed, 0);
    ks_assert_i64_eq(ks_engine_events_run(f->engine), 2);
    assert_true(ks_purgatory_key_empty(&f->key));
}

static void test_purgatory_cancel(void **state)
{
    Fixture *f = *state;
    Op a, b;
    park(f, &a, 1, 100, 10);
    park(f, &b, 2, 200, 10);
    /* Cancelling the oldest moves the timer to the next deadline. */
    ks_purgatory_cancel(&a.op);
    ks_purgatory_unwatch(&f->key, &a.watch);
    assert_false(ks_purgatory_parked(&a.op));
    ks_assert_i64_eq(ks_timer_deadline(&f->timeouts.timer), 200);
    ks_purgatory_cancel(&a.op); /* twice is harmless */
    ks_engine_run_until(f->engine, 1000);
    ks_assert_i64_eq(a.expired_at, -1);
    ks_assert_i64_eq(b.expired_at, 200);
    /* The last one cancelled: no timer left. */
    Op c;
    park(f, &c, 3, 1500, 10);
    ks_purgatory_cancel(&c.op);
    ks_purgatory_unwatch(&f->key, &c.watch);
    assert_false(ks_timer_is_armed(&f->timeouts.timer));
    ks_purgatory_check(&f->key, 100, completed, f, 0);
    ks_engine_run_until(f->engine, 2000);
    ks_assert_i64_eq(c.completed, 0);
    ks_assert_i64_eq(c.expired_at, -1);
    expect_order(f, (const int[]){2}, 1);
}

/* A watch for a need already waited for goes before the equal ones: the
 * newest first among equals, after every smaller need. */
static void test_purgatory_watch_order(void **state)
{
    Fixture *f = *state;
    Op a, b, c, d;
    park(f, &a, 1, 100, 10);
    park(f, &b, 2, 100, 30);
    park(f, &c, 3, 100, 30);
    park(f, &d, 4, 100, 5);
    ks_purgatory_complete_all(&f->key, completed, f, 1);
    expect_order(f, (const int[]){4, 1, 3, 2}, 4);
    assert_false(ks_timer_is_armed(&f->timeouts.timer));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_purgatory_completes_before_deadline, setup, teardown),
        cmocka_unit_test_setup_teardown(test_purgatory_expires_at_deadline, setup, teardown),
        cmocka_unit_test_setup_teardown(test_purgatory_cancel, setup, teardown),
        cmocka_unit_test_setup_teardown(test_purgatory_watch_order, setup, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
