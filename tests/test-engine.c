/* SPDX-License-Identifier: MIT */
/*
 * test-engine.c - the event queue, the clock and timers.
 *
 * Each test pins one rule of engine.h on a hand-made schedule: time order,
 * ties in scheduling order, events scheduled from callbacks, the run_until
 * boundary, stop, stepping, and every way of arming, re-arming and
 * cancelling a timer, including the cases where the engine's lazy re-arm
 * could get the tie order wrong. test-engine-diff.c checks the same rules
 * on random sequences against a naive model.
 */
#include "ks-engine-test.h"

#include "kafkasim/engine.h"
#include "kafkasim/rng.h"

typedef struct {
    GArray *log; /* of Fired */
} Rec;

static Rec *rec_new(void)
{
    Rec *rec = g_new0(Rec, 1);
    rec->log = g_array_new(FALSE, FALSE, sizeof(Fired));
    return rec;
}

static void rec_free(Rec *rec)
{
    g_array_unref(rec->log);
    g_free(rec);
}

G_DEFINE_AUTOPTR_CLEANUP_FUNC(Rec, rec_free)

/* An event callback that records (now, arg). */
static void record(KsEngine *engine, void *ctx, uint64_t id)
{
    Rec *rec = ctx;
    Fired f = {ks_engine_now(engine), id};
    g_array_append_val(rec->log, f);
}

/* Checks that the recorded ids and times are exactly @ids and @times. */
static void assert_log(const Rec *rec, const uint64_t *ids, const KsTime *times, size_t n)
{
    ks_assert_i64_eq(rec->log->len, n);
    for (size_t i = 0; i < n; i++) {
        const Fired *f = &g_array_index(rec->log, Fired, i);
        ks_assert_i64_eq(f->id, ids[i]);
        if (times)
            ks_assert_i64_eq(f->time, times[i]);
    }
}

#define ASSERT_LOG(rec, ids, times)                                                                \
    do {                                                                                           \
        G_STATIC_ASSERT(G_N_ELEMENTS(ids) == G_N_ELEMENTS(times));                                 \
        assert_log(rec, ids, times, G_N_ELEMENTS(ids));                                            \
    } while (0)

/* A timer owned by a test: records its id when it fires. */
typedef struct {
    KsTimer timer;
    Rec *rec;
    uint64_t id;
} Box;

static void record_timer(KsEngine *engine, void *ctx, uint64_t arg)
{
    Box *box = ctx;
    ks_assert_i64_eq(arg, 0);
    record(engine, box->rec, box->id);
}

static void box_init(Box *box, Rec *rec, uint64_t id)
{
    box->rec = rec;
    box->id = id;
    ks_timer_init(&box->timer, record_timer, box);
}

/* Counts the criticals of the "kafkasim" domain while it is installed,
 * instead of aborting on them as G_DEBUG=fatal-warnings would. */
typedef struct {
    guint handler;
    GLogLevelFlags old_fatal;
    int count;
} CriticalTrap;

static void count_critical(const gchar *domain, GLogLevelFlags level, const gchar *message,
                           gpointer data)
{
    (*(int *)data)++;
}

static void trap_begin(CriticalTrap *trap)
{
    trap->count = 0;
    trap->old_fatal = g_log_set_always_fatal(G_LOG_FATAL_MASK);
    trap->handler =
        g_log_set_handler("kafkasim", G_LOG_LEVEL_CRITICAL, count_critical, &trap->count);
}

static int trap_end(CriticalTrap *trap)
{
    g_log_remove_handler("kafkasim", trap->handler);
    g_log_set_always_fatal(trap->old_fatal);
    return trap->count;
}

/* --- Events. --- */

static void test_engine_starts_empty_at_zero(void **state)
{
    g_autoptr(KsEngine) engine = ks_engine_new();
    ks_assert_i64_eq(ks_engine_now(engine), 0);
    ks_assert_i64_eq(ks_engine_pending(engine), 0);
    ks_assert_i64_eq(ks_engine_next_time(engine), KS_TIME_NEVER);
    ks_assert_i64_eq(ks_engine_events_run(engine), 0);
    /* An idle run still moves the clock to its end. */
    ks_assert_i64_eq(ks_engine_run_until(engine, 5 * KS_TIME_S), 0);
    ks_assert_i64_eq(ks_engine_now(engine), 5 * KS_TIME_S);
    ks_engine_free(NULL);
}

static void test_engine_events_run_in_time_order(void **state)
{
    g_autoptr(KsEngine) engine = ks_engine_new();
    g_autoptr(Rec) rec = rec_new();
    ks_engine_schedule_at(engine, 30, record, rec, 3);
    ks_engine_schedule_at(engine, 10, record, rec, 1);
    ks_engine_schedule_at(engine, 20, record, rec, 2);
    ks_engine_schedule_at(engine, 5, record, rec, 0);
    ks_assert_i64_eq(ks_engine_pending(engine), 4);
    ks_assert_i64_eq(ks_engine_next_time(engine), 5);
    ks_assert_i64_eq(ks_engine_run_until(engine, 100), 4);
    static const uint64_t ids[] = {0, 1, 2, 3};
    static const KsTime times[] = {5, 10, 20, 30};
    ASSERT_LOG(rec, ids, times);
    ks_assert_i64_eq(ks_engine_events_run(engine), 4);
    ks_assert_i64_eq(ks_engine_pending(engine), 0);
}

/* 300 events over 7 distinct times, scheduled in a scrambled order: they
 * must come out sorted by time and, within a time, in scheduling order. */
static void test_engine_equal_times_run_in_schedule_order(void **state)
{
    g_autoptr(KsEngine) engine = ks_engine_new();
    g_autoptr(Rec) rec = rec_new();
    enum { N = 300 };
    for (uint64_t i = 0; i < N; i++)
        ks_engine_schedule_at(engine, (KsTime)((i * 5) % 7), record, rec, i);
    ks_assert_i64_eq(ks_engine_run_until(engine, 10), N);
    ks_assert_i64_eq(rec->log->len, N);
    for (guint i = 1; i < rec->log->len; i++) {
        const Fired *a = &g_array_index(rec->log, Fired, i - 1);
        const Fired *b = &g_array_index(rec->log, Fired, i);
        ks_assert_i64_eq(a->time, (KsTime)((a->id * 5) % 7));
        assert_true(a->time < b->time || (a->time == b->time && a->id < b->id));
    }
}

/* An event that schedules: one at the current time (delay 0), which runs
 * after the events already due now, and one later. */
typedef struct {
    Rec *rec;
    int calls;
} Spawner;

static void spawn(KsEngine *engine, void *ctx, uint64_t id)
{
    Spawner *s = ctx;
    record(engine, s->rec, id);
    if (s->calls++ == 0) {
        ks_engine_schedule(engine, 0, record, s->rec, 100);
        ks_engine_schedule_at(engine, ks_engine_now(engine), record, s->rec, 101);
        ks_engine_schedule(engine, 5, record, s->rec, 102);
        ks_engine_schedule_at(engine, 12, spawn, s, 103);
    }
}

static void test_engine_callbacks_can_schedule(void **state)
{
    g_autoptr(KsEngine) engine = ks_engine_new();
    g_autoptr(Rec) rec = rec_new();
    Spawner s = {.rec = rec};
    ks_engine_schedule_at(engine, 10, spawn, &s, 1);
    ks_engine_schedule_at(engine, 10, record, rec, 2);
    ks_engine_schedule_at(engine, 15, record, rec, 3);
    ks_assert_i64_eq(ks_engine_run_until(engine, 100), 7);
    static const uint64_t ids[] = {1, 2, 100, 101, 103, 3, 102};
    static const KsTime times[] = {10, 10, 10, 10, 12, 15, 15};
    ASSERT_LOG(rec, ids, times);
}

static void schedule_at_150(KsEngine *engine, void *ctx, uint64_t id)
{
    ks_engine_schedule_at(engine, 150, record, ctx, 3);
}

static void test_engine_run_until_boundary(void **state)
{
    g_autoptr(KsEngine) engine = ks_engine_new();
    g_autoptr(Rec) rec = rec_new();
    ks_engine_schedule_at(engine, 100, record, rec, 1);
    ks_engine_schedule_at(engine, 101, record, rec, 2);
    /* The event exactly at @until runs, the one after it does not. */
    ks_assert_i64_eq(ks_engine_run_until(engine, 100), 1);
    ks_assert_i64_eq(ks_engine_now(engine), 100);
    ks_assert_i64_eq(ks_engine_pending(engine), 1);
    ks_assert_i64_eq(ks_engine_next_time(engine), 101);
    /* Running to the same time again does nothing. */
    ks_assert_i64_eq(ks_engine_run_until(engine, 100), 0);
    /* An event scheduled for exactly @until from inside the run runs. */
    ks_engine_schedule_at(engine, 120, schedule_at_150, rec, 0);
    ks_assert_i64_eq(ks_engine_run_until(engine, 150), 3);
    ks_assert_i64_eq(ks_engine_now(engine), 150);
    /* The clock ends at @until even when the last event was earlier. */
    ks_engine_schedule_at(engine, 160, record, rec, 4);
    ks_assert_i64_eq(ks_engine_run_until(engine, 199), 1);
    ks_assert_i64_eq(ks_engine_now(engine), 199);
    static const uint64_t ids[] = {1, 2, 3, 4};
    static const KsTime times[] = {100, 101, 150, 160};
    ASSERT_LOG(rec, ids, times);
    ks_assert_i64_eq(ks_engine_events_run(engine), 5);
}

static void test_engine_schedule_is_relative_to_now(void **state)
{
    g_autoptr(KsEngine) engine = ks_engine_new();
    g_autoptr(Rec) rec = rec_new();
    ks_engine_run_until(engine, 1000);
    ks_engine_schedule(engine, 250, record, rec, 1);
    ks_engine_schedule(engine, 0, record, rec, 2);
    ks_assert_i64_eq(ks_engine_next_time(engine), 1000);
    ks_engine_run_until(engine, KS_TIME_NEVER);
    static const uint64_t ids[] = {2, 1};
    static const KsTime times[] = {1000, 1250};
    ASSERT_LOG(rec, ids, times);
    ks_assert_i64_eq(ks_engine_now(engine), KS_TIME_NEVER);
}

static void stop_here(KsEngine *engine, void *ctx, uint64_t id)
{
    record(engine, ctx, id);
    ks_engine_stop(engine);
}

static void test_engine_stop_returns_after_current_event(void **state)
{
    g_autoptr(KsEngine) engine = ks_engine_new();
    g_autoptr(Rec) rec = rec_new();
    ks_engine_schedule_at(engine, 5, record, rec, 1);
    ks_engine_schedule_at(engine, 10, stop_here, rec, 2);
    ks_engine_schedule_at(engine, 10, record, rec, 3);
    ks_engine_schedule_at(engine, 20, record, rec, 4);
    ks_assert_i64_eq(ks_engine_run_until(engine, 100), 2);
    /* The clock stays at the event that stopped. */
    ks_assert_i64_eq(ks_engine_now(engine), 10);
    ks_assert_i64_eq(ks_engine_pending(engine), 2);
    /* A stop asked for outside a run does not cut the next run short. */
    ks_engine_stop(engine);
    ks_assert_i64_eq(ks_engine_run_until(engine, 100), 2);
    ks_assert_i64_eq(ks_engine_now(engine), 100);
    static const uint64_t ids[] = {1, 2, 3, 4};
    static const KsTime times[] = {5, 10, 10, 20};
    ASSERT_LOG(rec, ids, times);
    ks_assert_i64_eq(ks_engine_events_run(engine), 4);
}

static void test_engine_refuses_the_past(void **state)
{
    g_autoptr(KsEngine) engine = ks_engine_new();
    g_autoptr(Rec) rec = rec_new();
    Box box;
    box_init(&box, rec, 7);
    ks_engine_run_until(engine, 100);

    CriticalTrap trap;
    trap_begin(&trap);
    ks_engine_schedule_at(engine, 99, record, rec, 1);
    ks_engine_schedule(engine, -1, record, rec, 2);
    ks_timer_arm_at(engine, &box.timer, 50);
    ks_timer_arm(engine, &box.timer, -5);
    ks_assert_i64_eq(ks_engine_run_until(engine, 99), 0);
    ks_engine_schedule_at(engine, 100, NULL, rec, 3);
    ks_assert_i64_eq(trap_end(&trap), 6);

    ks_assert_i64_eq(ks_engine_pending(engine), 0);
    ks_assert_i64_eq(ks_engine_now(engine), 100);
    assert_false(ks_timer_is_armed(&box.timer));
    ks_assert_i64_eq(ks_engine_run_until(engine, 1000), 0);
    ks_assert_i64_eq(rec->log->len, 0);
}

/* A run from inside a callback would break the clock's monotony: refused. */
static void nested_run(KsEngine *engine, void *ctx, uint64_t id)
{
    CriticalTrap trap;
    trap_begin(&trap);
    ks_assert_i64_eq(ks_engine_run_until(engine, 1000), 0);
    ks_assert_i64_eq(trap_end(&trap), 1);
    record(engine, ctx, id);
}

static void test_engine_refuses_nested_runs(void **state)
{
    g_autoptr(KsEngine) engine = ks_engine_new();
    g_autoptr(Rec) rec = rec_new();
    ks_engine_schedule_at(engine, 10, nested_run, rec, 1);
    ks_engine_schedule_at(engine, 20, record, rec, 2);
    ks_assert_i64_eq(ks_engine_run_until(engine, 15), 1);
    ks_assert_i64_eq(ks_engine_now(engine), 15);
    static const uint64_t ids[] = {1};
    static const KsTime times[] = {10};
    ASSERT_LOG(rec, ids, times);
}

/* Freeing an engine with events and timer entries pending frees the queue
 * but not the contexts (the sanitizer build checks there is no leak). */
static void test_engine_free_drops_pending(void **state)
{
    g_autoptr(Rec) rec = rec_new();
    Box box;
    box_init(&box, rec, 1);
    KsEngine *engine = ks_engine_new();
    for (int i = 0; i < 1000; i++)
        ks_engine_schedule_at(engine, i, record, rec, (uint64_t)i);
    ks_timer_arm_at(engine, &box.timer, 50);
    ks_timer_arm_at(engine, &box.timer, 40);
    ks_assert_i64_eq(ks_engine_pending(engine), 1002);
    ks_engine_free(engine);
    ks_assert_i64_eq(rec->log->len, 0);
}

/* --- Timers. --- */

static void test_timer_fires_at_deadline(void **state)
{
    g_autoptr(KsEngine) engine = ks_engine_new();
    g_autoptr(Rec) rec = rec_new();
    Box box;
    box_init(&box, rec, 1);
    assert_false(ks_timer_is_armed(&box.timer));
    ks_timer_arm(engine, &box.timer, 10);
    assert_true(ks_timer_is_armed(&box.timer));
    ks_assert_i64_eq(ks_timer_deadline(&box.timer), 10);
    ks_assert_i64_eq(ks_engine_run_until(engine, 9), 0);
    assert_true(ks_timer_is_armed(&box.timer));
    ks_assert_i64_eq(ks_engine_run_until(engine, 10), 1);
    assert_false(ks_timer_is_armed(&box.timer));
    /* Armed again after firing, relative to the new now. */
    ks_timer_arm(engine, &box.timer, 10);
    ks_assert_i64_eq(ks_engine_run_until(engine, 100), 1);
    static const uint64_t ids[] = {1, 1};
    static const KsTime times[] = {10, 20};
    ASSERT_LOG(rec, ids, times);
    ks_assert_i64_eq(ks_engine_pending(engine), 0);
}

static void test_timer_cancel_then_deadline_passes(void **state)
{
    g_autoptr(KsEngine) engine = ks_engine_new();
    g_autoptr(Rec) rec = rec_new();
    Box box;
    box_init(&box, rec, 1);
    ks_timer_cancel(engine, &box.timer); /* Not armed: a no-op. */
    ks_timer_arm_at(engine, &box.timer, 10);
    ks_engine_run_until(engine, 5);
    ks_timer_cancel(engine, &box.timer);
    assert_false(ks_timer_is_armed(&box.timer));
    ks_timer_cancel(engine, &box.timer);
    /* The entry is still queued; it surfaces at 10 and runs nothing. */
    ks_assert_i64_eq(ks_engine_pending(engine), 1);
    ks_assert_i64_eq(ks_engine_run_until(engine, 100), 0);
    ks_assert_i64_eq(rec->log->len, 0);
    ks_assert_i64_eq(ks_engine_events_run(engine), 0);
    ks_assert_i64_eq(ks_engine_pending(engine), 0);
}

/* A timer cancelled from an event due at the same time, scheduled before it:
 * the cancel wins. */
static void cancel_box(KsEngine *engine, void *ctx, uint64_t id)
{
    Box *box = ctx;
    ks_timer_cancel(engine, &box->timer);
}

static void test_timer_cancel_at_deadline(void **state)
{
    g_autoptr(KsEngine) engine = ks_engine_new();
    g_autoptr(Rec) rec = rec_new();
    Box box;
    box_init(&box, rec, 1);
    ks_engine_schedule_at(engine, 10, cancel_box, &box, 0);
    ks_timer_arm_at(engine, &box.timer, 10);
    ks_assert_i64_eq(ks_engine_run_until(engine, 100), 1);
    ks_assert_i64_eq(rec->log->len, 0);
}

/* The heartbeat pattern: a later deadline touches no queue; the entry
 * surfaces at the old deadline, fires nothing and moves itself. */
static void test_timer_rearm_later_is_lazy(void **state)
{
    g_autoptr(KsEngine) engine = ks_engine_new();
    g_autoptr(Rec) rec = rec_new();
    Box box;
    box_init(&box, rec, 1);
    ks_timer_arm_at(engine, &box.timer, 10);
    for (KsTime t = 20; t <= 50; t += 10)
        ks_timer_arm_at(engine, &box.timer, t);
    ks_assert_i64_eq(ks_engine_pending(engine), 1);
    ks_assert_i64_eq(ks_timer_deadline(&box.timer), 50);
    /* next_time may be early: it is the queued entry's time. */
    ks_assert_i64_eq(ks_engine_next_time(engine), 10);
    ks_assert_i64_eq(ks_engine_run_until(engine, 49), 0);
    ks_assert_i64_eq(rec->log->len, 0);
    ks_assert_i64_eq(ks_engine_pending(engine), 1);
    ks_assert_i64_eq(ks_engine_next_time(engine), 50);
    assert_true(ks_timer_is_armed(&box.timer));
    ks_assert_i64_eq(ks_engine_run_until(engine, 100), 1);
    static const uint64_t ids[] = {1};
    static const KsTime times[] = {50};
    ASSERT_LOG(rec, ids, times);
    ks_assert_i64_eq(ks_engine_events_run(engine), 1);
}

static void test_timer_rearm_earlier_leaves_a_stale_entry(void **state)
{
    g_autoptr(KsEngine) engine = ks_engine_new();
    g_autoptr(Rec) rec = rec_new();
    Box box;
    box_init(&box, rec, 1);
    ks_timer_arm_at(engine, &box.timer, 50);
    ks_timer_arm_at(engine, &box.timer, 10);
    ks_assert_i64_eq(ks_engine_pending(engine), 2);
    ks_assert_i64_eq(ks_timer_deadline(&box.timer), 10);
    ks_assert_i64_eq(ks_engine_run_until(engine, 100), 1);
    static const uint64_t ids[] = {1};
    static const KsTime times[] = {10};
    ASSERT_LOG(rec, ids, times);
    /* The stale entry at 50 was skipped and is not an event. */
    ks_assert_i64_eq(ks_engine_events_run(engine), 1);
    ks_assert_i64_eq(ks_engine_pending(engine), 0);
}

/* The stale entry still surfaces after the timer has been armed again: it
 * must not fire the new arming. */
static void test_timer_stale_entry_does_not_fire_a_later_arming(void **state)
{
    g_autoptr(KsEngine) engine = ks_engine_new();
    g_autoptr(Rec) rec = rec_new();
    Box box;
    box_init(&box, rec, 1);
    ks_timer_arm_at(engine, &box.timer, 50);
    ks_timer_arm_at(engine, &box.timer, 10);
    ks_engine_run_until(engine, 10);
    ks_timer_arm_at(engine, &box.timer, 80);
    ks_assert_i64_eq(ks_engine_pending(engine), 2);
    ks_assert_i64_eq(ks_engine_run_until(engine, 79), 0);
    ks_assert_i64_eq(ks_engine_run_until(engine, 100), 1);
    static const uint64_t ids[] = {1, 1};
    static const KsTime times[] = {10, 80};
    ASSERT_LOG(rec, ids, times);
    ks_assert_i64_eq(ks_engine_events_run(engine), 2);
}

static void test_timer_rearm_after_cancel(void **state)
{
    g_autoptr(KsEngine) engine = ks_engine_new();
    g_autoptr(Rec) rec = rec_new();
    Box later, earlier;
    box_init(&later, rec, 1);
    box_init(&earlier, rec, 2);
    /* Cancel, then a later deadline: the queued entry is reused. */
    ks_timer_arm_at(engine, &later.timer, 10);
    ks_timer_cancel(engine, &later.timer);
    ks_timer_arm_at(engine, &later.timer, 30);
    /* Cancel, then an earlier deadline: a new entry. */
    ks_timer_arm_at(engine, &earlier.timer, 20);
    ks_timer_cancel(engine, &earlier.timer);
    ks_timer_arm_at(engine, &earlier.timer, 5);
    ks_assert_i64_eq(ks_engine_pending(engine), 3);
    assert_true(ks_timer_is_armed(&later.timer));
    assert_true(ks_timer_is_armed(&earlier.timer));
    ks_assert_i64_eq(ks_engine_run_until(engine, 100), 2);
    static const uint64_t ids[] = {2, 1};
    static const KsTime times[] = {5, 30};
    ASSERT_LOG(rec, ids, times);
    ks_assert_i64_eq(ks_engine_pending(engine), 0);
}

/* Equal deadlines fire in the order of the arm calls, interleaved with plain
 * events in the order of the schedule calls: one sequence for both. */
static void test_timer_ties_follow_arm_order(void **state)
{
    g_autoptr(KsEngine) engine = ks_engine_new();
    g_autoptr(Rec) rec = rec_new();
    Box a, b, c;
    box_init(&a, rec, 1);
    box_init(&b, rec, 2);
    box_init(&c, rec, 3);
    ks_timer_arm_at(engine, &b.timer, 10);
    ks_engine_schedule_at(engine, 10, record, rec, 100);
    ks_timer_arm_at(engine, &a.timer, 10);
    ks_timer_arm_at(engine, &c.timer, 10);
    ks_engine_schedule_at(engine, 10, record, rec, 101);
    ks_assert_i64_eq(ks_engine_run_until(engine, 10), 5);
    static const uint64_t ids[] = {2, 100, 1, 3, 101};
    static const KsTime times[] = {10, 10, 10, 10, 10};
    ASSERT_LOG(rec, ids, times);
}

/* Re-arming to the same deadline counts as a new arm call: the timer goes
 * behind everything armed or scheduled for that time in between. */
static void test_timer_rearm_same_deadline_moves_behind(void **state)
{
    g_autoptr(KsEngine) engine = ks_engine_new();
    g_autoptr(Rec) rec = rec_new();
    Box a, b;
    box_init(&a, rec, 1);
    box_init(&b, rec, 2);
    ks_timer_arm_at(engine, &a.timer, 10);
    ks_timer_arm_at(engine, &b.timer, 10);
    ks_engine_schedule_at(engine, 10, record, rec, 100);
    ks_timer_arm_at(engine, &a.timer, 10);
    ks_assert_i64_eq(ks_engine_run_until(engine, 10), 3);
    static const uint64_t ids[] = {2, 100, 1};
    static const KsTime times[] = {10, 10, 10};
    ASSERT_LOG(rec, ids, times);
    ks_assert_i64_eq(ks_engine_pending(engine), 0);
}

/* The lazy re-arm trap. A is armed for 10, then at t=5 re-armed for 20 (no
 * queue touched); at t=7 B is armed for 20 and an event scheduled for 20.
 * A's old entry surfaces at 10 and re-queues itself for 20: if it took a
 * fresh seq there, it would run after B and the event. It must keep the seq
 * of its t=5 arm call and run first. The mirror case (B armed before A's
 * re-arm) must put B first. */
typedef struct {
    KsEngine *engine;
    Rec *rec;
    Box *a, *b;
} Trap;

static void rearm_a(KsEngine *engine, void *ctx, uint64_t id)
{
    Trap *t = ctx;
    ks_timer_arm_at(engine, &t->a->timer, 20);
}

static void arm_b_and_schedule(KsEngine *engine, void *ctx, uint64_t id)
{
    Trap *t = ctx;
    ks_timer_arm_at(engine, &t->b->timer, 20);
    ks_engine_schedule_at(engine, 20, record, t->rec, 100);
}

static void run_lazy_trap(KsTime rearm_a_at, KsTime arm_b_at, const uint64_t *ids, size_t n)
{
    g_autoptr(KsEngine) engine = ks_engine_new();
    g_autoptr(Rec) rec = rec_new();
    Box a, b;
    box_init(&a, rec, 1);
    box_init(&b, rec, 2);
    Trap t = {engine, rec, &a, &b};
    ks_timer_arm_at(engine, &a.timer, 10);
    ks_engine_schedule_at(engine, rearm_a_at, rearm_a, &t, 0);
    ks_engine_schedule_at(engine, arm_b_at, arm_b_and_schedule, &t, 0);
    ks_assert_i64_eq(ks_engine_run_until(engine, 15), 2);
    /* A's entry surfaced at 10 and moved: still one entry for A. */
    ks_assert_i64_eq(ks_engine_pending(engine), 3);
    ks_assert_i64_eq(rec->log->len, 0);
    ks_assert_i64_eq(ks_engine_run_until(engine, 20), 3);
    static const KsTime times[] = {20, 20, 20};
    assert_log(rec, ids, times, n);
}

static void test_timer_lazy_rearm_keeps_arm_order(void **state)
{
    static const uint64_t a_first[] = {1, 2, 100};
    run_lazy_trap(5, 7, a_first, G_N_ELEMENTS(a_first));
    static const uint64_t b_first[] = {2, 100, 1};
    run_lazy_trap(7, 5, b_first, G_N_ELEMENTS(b_first));
}

/* A periodic timer re-armed from its own callback, and a watchdog re-armed
 * later by every tick, which therefore never fires while ticks go on. */
typedef struct {
    Box tick;
    Box watchdog;
    int ticks;
} Periodic;

static void on_tick(KsEngine *engine, void *ctx, uint64_t arg)
{
    Periodic *p = ctx;
    record(engine, p->tick.rec, p->tick.id);
    if (++p->ticks < 5)
        ks_timer_arm(engine, &p->tick.timer, 10);
    ks_timer_arm(engine, &p->watchdog.timer, 25);
}

static void test_timer_rearmed_from_callbacks(void **state)
{
    g_autoptr(KsEngine) engine = ks_engine_new();
    g_autoptr(Rec) rec = rec_new();
    Periodic p = {.ticks = 0};
    p.tick.rec = rec;
    p.tick.id = 1;
    ks_timer_init(&p.tick.timer, on_tick, &p);
    box_init(&p.watchdog, rec, 2);
    ks_timer_arm(engine, &p.tick.timer, 10);
    ks_assert_i64_eq(ks_engine_run_until(engine, 1000), 6);
    static const uint64_t ids[] = {1, 1, 1, 1, 1, 2};
    static const KsTime times[] = {10, 20, 30, 40, 50, 75};
    ASSERT_LOG(rec, ids, times);
    ks_assert_i64_eq(ks_engine_events_run(engine), 6);
}

/* events_run and run_until's result count callbacks, not queue entries. */
static void test_engine_events_run_excludes_stale_entries(void **state)
{
    g_autoptr(KsEngine) engine = ks_engine_new();
    g_autoptr(Rec) rec = rec_new();
    Box boxes[3];
    for (int i = 0; i < 3; i++)
        box_init(&boxes[i], rec, (uint64_t)i);
    ks_timer_arm_at(engine, &boxes[0].timer, 30); /* earlier re-arm: stale at 30 */
    ks_timer_arm_at(engine, &boxes[0].timer, 20);
    ks_timer_arm_at(engine, &boxes[1].timer, 10); /* later re-arm: surfaces at 10 */
    ks_timer_arm_at(engine, &boxes[1].timer, 40);
    ks_timer_arm_at(engine, &boxes[2].timer, 15); /* cancelled: dropped at 15 */
    ks_timer_cancel(engine, &boxes[2].timer);
    ks_engine_schedule_at(engine, 25, record, rec, 9);
    ks_assert_i64_eq(ks_engine_pending(engine), 5);
    ks_assert_i64_eq(ks_engine_run_until(engine, 100), 3);
    ks_assert_i64_eq(ks_engine_events_run(engine), 3);
    static const uint64_t ids[] = {0, 9, 1};
    static const KsTime times[] = {20, 25, 40};
    ASSERT_LOG(rec, ids, times);
}

/* Stepping runs one event per call, looking through the same stale
 * entries, in the same order as one run; next_event_time sees past them. */
static void test_engine_step_runs_one_event_at_a_time(void **state)
{
    g_autoptr(KsEngine) engine = ks_engine_new();
    g_autoptr(Rec) rec = rec_new();
    Box boxes[3];
    for (int i = 0; i < 3; i++)
        box_init(&boxes[i], rec, (uint64_t)i);
    ks_timer_arm_at(engine, &boxes[0].timer, 30); /* stale at 30 */
    ks_timer_arm_at(engine, &boxes[0].timer, 20);
    ks_timer_arm_at(engine, &boxes[1].timer, 10); /* moves from 10 to 40 */
    ks_timer_arm_at(engine, &boxes[1].timer, 40);
    ks_timer_arm_at(engine, &boxes[2].timer, 5); /* cancelled: dropped at 5 */
    ks_timer_cancel(engine, &boxes[2].timer);
    ks_engine_schedule_at(engine, 25, record, rec, 9);
    ks_engine_schedule_at(engine, 25, record, rec, 8);

    ks_assert_i64_eq(ks_engine_next_time(engine), 5);
    ks_assert_i64_eq(ks_engine_next_event_time(engine), 20);
    static const uint64_t ids[] = {0, 9, 8, 1};
    static const KsTime times[] = {20, 25, 25, 40};
    for (size_t i = 0; i < G_N_ELEMENTS(ids); i++) {
        ks_assert_i64_eq(ks_engine_next_event_time(engine), times[i]);
        assert_true(ks_engine_step(engine, 100));
        ks_assert_i64_eq(rec->log->len, i + 1);
        ks_assert_i64_eq(ks_engine_now(engine), times[i]);
    }
    ASSERT_LOG(rec, ids, times);
    ks_assert_i64_eq(ks_engine_next_event_time(engine), KS_TIME_NEVER);
    assert_false(ks_engine_step(engine, 100));
    ks_assert_i64_eq(ks_engine_events_run(engine), 4);
}

/* A step never runs an event due after its limit, and leaves the clock. */
static void test_engine_step_stops_at_until(void **state)
{
    g_autoptr(KsEngine) engine = ks_engine_new();
    g_autoptr(Rec) rec = rec_new();
    ks_engine_schedule_at(engine, 50, record, rec, 1);
    assert_false(ks_engine_step(engine, 49));
    ks_assert_i64_eq(ks_engine_now(engine), 0);
    ks_assert_i64_eq(rec->log->len, 0);
    assert_true(ks_engine_step(engine, 50));
    ks_assert_i64_eq(ks_engine_now(engine), 50);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_engine_starts_empty_at_zero),
        cmocka_unit_test(test_engine_events_run_in_time_order),
        cmocka_unit_test(test_engine_equal_times_run_in_schedule_order),
        cmocka_unit_test(test_engine_callbacks_can_schedule),
        cmocka_unit_test(test_engine_run_until_boundary),
        cmocka_unit_test(test_engine_schedule_is_relative_to_now),
        cmocka_unit_test(test_engine_stop_returns_after_current_event),
        cmocka_unit_test(test_engine_refuses_the_past),
        cmocka_unit_test(test_engine_refuses_nested_runs),
        cmocka_unit_test(test_engine_free_drops_pending),
        cmocka_unit_test(test_timer_fires_at_deadline),
        cmocka_unit_test(test_timer_cancel_then_deadline_passes),
        cmocka_unit_test(test_timer_cancel_at_deadline),
        cmocka_unit_test(test_timer_rearm_later_is_lazy),
        cmocka_unit_test(test_timer_rearm_earlier_leaves_a_stale_entry),
        cmocka_unit_test(test_timer_stale_entry_does_not_fire_a_later_arming),
        cmocka_unit_test(test_timer_rearm_after_cancel),
        cmocka_unit_test(test_timer_ties_follow_arm_order),
        cmocka_unit_test(test_timer_rearm_same_deadline_moves_behind),
        cmocka_unit_test(test_timer_lazy_rearm_keeps_arm_order),
        cmocka_unit_test(test_timer_rearmed_from_callbacks),
        cmocka_unit_test(test_engine_events_run_excludes_stale_entries),
        cmocka_unit_test(test_engine_step_runs_one_event_at_a_time),
        cmocka_unit_test(test_engine_step_stops_at_until),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
