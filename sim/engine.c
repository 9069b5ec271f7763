/* SPDX-License-Identifier: MIT */
/*
 * engine.c - the simulated clock, the event queue and timers.
 *
 * The engine is a priority queue of pending callbacks and a clock. Each queue
 * entry is a small struct {time, seq, fn, ctx, arg} stored by value in one
 * growable array that forms an implicit 4-ary min-heap: the children of slot
 * i are slots 4i+1 .. 4i+4, its parent is slot (i-1)/4. Scheduling allocates
 * nothing except when the array doubles.
 *
 * Invariants.
 *  1. Heap order: no entry's key (time, seq) is smaller than its parent's.
 *  2. Keys are unique. seq comes from one per-engine counter, taken when an
 *     event is scheduled or a timer armed, and a key is never in the heap
 *     twice, so (time, seq) is a total order: events due at the same
 *     microsecond run in the order they were scheduled, and the heap's own
 *     instability can never show. This is what makes runs reproducible.
 *  3. Every entry's time is >= now, and now never goes back: scheduling in
 *     the past is refused with a critical, and ks_engine_run_until() never
 *     moves the clock backwards.
 *  4. A timer has at most one live entry: the queued entry whose arg equals
 *     the timer's gen (while timer->queued). It sits at queued_at, which is
 *     never after the deadline of an armed timer, and its key is never
 *     greater than the timer's true key (deadline, timer->seq). Every other
 *     entry that points at the timer carries an older generation and is
 *     stale.
 *
 * Timers. The workload re-arms timers much more often than they fire: a
 * consumer's session timeout moves later on every heartbeat, a connection's
 * produce purgatory timer moves to the next parked request each time one is
 * answered. So a
 * timer is not removed from the heap when it moves (there is no index per
 * entry to find it by); instead:
 *  - Re-arming to a later deadline than the live entry's time touches no
 *    queue: O(1). When the live entry surfaces early, it sees the later
 *    deadline and re-queues itself there, with the seq the timer took at its
 *    last arm call, so ties among timers and events keep the order of the
 *    arm and schedule calls (invariant 4 makes that re-queue legal: the true
 *    key is later than anything already run).
 *  - Re-arming to an earlier or equal deadline queues a new entry with a new
 *    generation; the old entry becomes stale. (Equal deadlines take this path
 *    too: the old entry's seq would put the timer ahead of events scheduled
 *    between the two arm calls.)
 *  - Cancelling only clears the armed flag; the live entry is dropped when it
 *    surfaces.
 * Stale and dropped entries, and early surfacings that re-queue, run no
 * callback and are not counted as events. Because every such entry still
 * points at its timer, a timer must outlive its queue entries (see
 * ks_timer_cancel() in engine.h).
 *
 * Why 4-ary. Per event the loop pops the minimum and the callback usually
 * schedules one later event. The push of a far-future event sifts up only a
 * level or two whatever the arity, so the cost is the pop's sift-down: a
 * 4-ary heap has half the levels of a binary one. Each level compares four
 * adjacent children instead of two (160 bytes, about three cache lines that
 * are fetched together), so a pop waits on half as many dependent cache
 * misses. heap_limit.c measured the 4-ary layout 13% faster than the binary
 * one at the large size, where the heap no longer fits in the L2 cache.
 *
 * Workload (the standard benchmark, bench/README.md): about one event
 * per request, each callback scheduling that entity's next request, so the
 * queue holds roughly one entry per active entity: 4P + C, i.e. about 121,000
 * entries (4.8 MB) at the large size; timers are re-armed once per heartbeat
 * and fire rarely.
 *
 * Complexity, n entries in the queue: schedule O(log4 n) worst case, O(1)
 * expected for events later than most; pop O(log4 n), four key comparisons
 * (three among the children, one with the entry being placed) and one move
 * per level; timer arm to a later deadline O(1); to an earlier
 * one O(log4 n) plus one stale entry; cancel O(1); run_until O(k log4 n) for
 * k entries taken off. Memory: 40 bytes per entry, the array doubling.
 *
 * Nothing here reads the wall clock, allocates per event, or has global
 * state: two engines in one process are independent.
 */
#include "kafkasim/engine.h"

#include <glib.h>

/* One queue entry. Timer entries have fn == timer_entry_fire, ctx = the
 * timer, arg = the generation they were queued with. */
typedef struct {
    KsTime time;
    uint64_t seq;
    KsEventFn fn;
    void *ctx;
    uint64_t arg;
} Entry;

struct KsEngine {
    Entry *heap; /* heap[0 .. n-1], 4-ary min-heap on (time, seq) */
    size_t n;
    size_t cap;
    KsTime now;
    uint64_t seq;     /* next sequence number */
    uint64_t popped;  /* entries taken off the queue and dispatched */
    uint64_t skipped; /* of those, timer entries that ran no callback */
    bool stop;        /* set by ks_engine_stop() during a run */
    bool running;     /* inside ks_engine_run_until() */
};

#define ARITY       4
#define INITIAL_CAP 256

/* Whether key (ta, sa) orders before key (tb, sb). Times are never negative
 * (invariant 3), so both keys fit one unsigned 128-bit number: gcc compares
 * it with cmp and sbb, and picks the earliest child with cmov, where two
 * fields would cost two unpredictable branches. */
static inline bool key_before(KsTime ta, uint64_t sa, KsTime tb, uint64_t sb)
{
    __extension__ typedef unsigned __int128 u128;
    return (((u128)(uint64_t)ta << 64) | sa) < (((u128)(uint64_t)tb << 64) | sb);
}

static inline bool entry_before(const Entry *a, const Entry *b)
{
    return key_before(a->time, a->seq, b->time, b->seq);
}

/* Doubles the array. */
static void heap_grow(KsEngine *engine)
{
    engine->cap = engine->cap ? 2 * engine->cap : INITIAL_CAP;
    engine->heap = g_renew(Entry, engine->heap, engine->cap);
}

/* Adds an entry: a hole at the end moves up while its parent is later. */
static inline void heap_push(KsEngine *engine, KsTime time, uint64_t seq, KsEventFn fn, void *ctx,
                             uint64_t arg)
{
    if (G_UNLIKELY(engine->n == engine->cap))
        heap_grow(engine);
    Entry *a = engine->heap;
    size_t i = engine->n++;
    while (i > 0) {
        size_t parent = (i - 1) / ARITY;
        if (!key_before(time, seq, a[parent].time, a[parent].seq))
            break;
        a[i] = a[parent];
        i = parent;
    }
    a[i] = (Entry){.time = time, .seq = seq, .fn = fn, .ctx = ctx, .arg = arg};
}

/* Removes the root: the hole at the root moves down to its earliest child
 * until the last entry, which fills it, is no later than that child. */
G_ALWAYS_INLINE static inline void heap_pop_root(KsEngine *engine)
{
    Entry *a = engine->heap;
    size_t n = --engine->n;
    if (n == 0)
        return;
    const Entry last = a[n];
    size_t i = 0;
    for (;;) {
        size_t c = ARITY * i + 1;
        if (c + ARITY <= n) {
            /* All four children exist: a two-round tournament. */
            size_t m01 = entry_before(&a[c + 1], &a[c]) ? c + 1 : c;
            size_t m23 = entry_before(&a[c + 3], &a[c + 2]) ? c + 3 : c + 2;
            c = entry_before(&a[m23], &a[m01]) ? m23 : m01;
        } else if (c < n) {
            size_t best = c;
            for (size_t j = c + 1; j < n; j++)
                if (entry_before(&a[j], &a[best]))
                    best = j;
            c = best;
        } else {
            break;
        }
        if (!entry_before(&a[c], &last))
            break;
        a[i] = a[c];
        i = c;
    }
    a[i] = last;
}

/* The callback of every timer entry. Decides whether the entry is the
 * timer's live one and whether the timer is really due now; only then does
 * the owner's callback run. */
static void timer_entry_fire(KsEngine *engine, void *ctx, uint64_t gen)
{
    KsTimer *timer = ctx;

    if (gen != timer->gen || !timer->queued) {
        /* Superseded by a re-arm to an earlier deadline. */
        engine->skipped++;
        return;
    }
    if (!timer->armed) {
        /* Cancelled after this entry was queued. */
        timer->queued = false;
        engine->skipped++;
        return;
    }
    if (timer->deadline > engine->now) {
        /* Re-armed later while queued: move to the deadline, keeping the
         * seq of the last arm call and this generation. */
        timer->queued_at = timer->deadline;
        heap_push(engine, timer->deadline, timer->seq, timer_entry_fire, timer, gen);
        engine->skipped++;
        return;
    }
    timer->queued = false;
    timer->armed = false;
    timer->fn(engine, timer->ctx, 0);
}

KsEngine *ks_engine_new(void)
{
    return g_new0(KsEngine, 1);
}

void ks_engine_free(KsEngine *engine)
{
    if (engine == NULL)
        return;
    g_free(engine->heap);
    g_free(engine);
}

KsTime ks_engine_now(const KsEngine *engine)
{
    g_return_val_if_fail(engine != NULL, 0);
    return engine->now;
}

void ks_engine_schedule_at(KsEngine *engine, KsTime when, KsEventFn fn, void *ctx, uint64_t arg)
{
    g_return_if_fail(engine != NULL);
    g_return_if_fail(fn != NULL);
    g_return_if_fail(when >= engine->now);
    heap_push(engine, when, engine->seq++, fn, ctx, arg);
}

void ks_engine_schedule(KsEngine *engine, KsTime delay, KsEventFn fn, void *ctx, uint64_t arg)
{
    g_return_if_fail(engine != NULL);
    g_return_if_fail(fn != NULL);
    g_return_if_fail(delay >= 0 && delay <= KS_TIME_NEVER - engine->now);
    heap_push(engine, engine->now + delay, engine->seq++, fn, ctx, arg);
}

uint64_t ks_engine_run_until(KsEngine *engine, KsTime until)
{
    g_return_val_if_fail(engine != NULL, 0);
    g_return_val_if_fail(!engine->running, 0);
    g_return_val_if_fail(until >= engine->now, 0);

    const uint64_t popped0 = engine->popped;
    const uint64_t skipped0 = engine->skipped;
    /* A stop asked for outside a run has nothing to stop. */
    engine->stop = false;
    engine->running = true;
    while (engine->n > 0 && engine->heap[0].time <= until) {
        const Entry e = engine->heap[0];
        heap_pop_root(engine);
        engine->now = e.time;
        engine->popped++;
        e.fn(engine, e.ctx, e.arg);
        if (G_UNLIKELY(engine->stop))
            break;
    }
    engine->running = false;
    if (engine->stop)
        engine->stop = false;
    else
        engine->now = until;
    return (engine->popped - popped0) - (engine->skipped - skipped0);
}

bool ks_engine_step(KsEngine *engine, KsTime until)
{
    g_return_val_if_fail(engine != NULL, false);
    g_return_val_if_fail(!engine->running, false);
    g_return_val_if_fail(until >= engine->now, false);

    const uint64_t ran0 = engine->popped - engine->skipped;
    bool ran = false;
    engine->stop = false;
    engine->running = true;
    while (!ran && engine->n > 0 && engine->heap[0].time <= until) {
        const Entry e = engine->heap[0];
        heap_pop_root(engine);
        engine->now = e.time;
        engine->popped++;
        e.fn(engine, e.ctx, e.arg);
        ran = engine->popped - engine->skipped != ran0;
    }
    engine->running = false;
    engine->stop = false;
    return ran;
}

/* When queue entry @e will run an event, or KS_TIME_NEVER if it is a stale
 * timer entry that will be skipped. */
static KsTime entry_effective_time(const Entry *e)
{
    if (e->fn != timer_entry_fire)
        return e->time;
    const KsTimer *timer = e->ctx;
    if (e->arg != timer->gen || !timer->queued || !timer->armed)
        return KS_TIME_NEVER;
    return MAX(e->time, timer->deadline);
}

KsTime ks_engine_next_event_time(const KsEngine *engine)
{
    g_return_val_if_fail(engine != NULL, KS_TIME_NEVER);
    if (engine->n == 0)
        return KS_TIME_NEVER;
    KsTime first = entry_effective_time(&engine->heap[0]);
    if (first == engine->heap[0].time)
        return first;
    KsTime best = KS_TIME_NEVER;
    for (size_t i = 0; i < engine->n; i++)
        best = MIN(best, entry_effective_time(&engine->heap[i]));
    return best;
}

void ks_engine_stop(KsEngine *engine)
{
    g_return_if_fail(engine != NULL);
    if (engine->running)
        engine->stop = true;
}

KsTime ks_engine_next_time(const KsEngine *engine)
{
    g_return_val_if_fail(engine != NULL, KS_TIME_NEVER);
    return engine->n > 0 ? engine->heap[0].time : KS_TIME_NEVER;
}

size_t ks_engine_pending(const KsEngine *engine)
{
    g_return_val_if_fail(engine != NULL, 0);
    return engine->n;
}

uint64_t ks_engine_events_run(const KsEngine *engine)
{
    g_return_val_if_fail(engine != NULL, 0);
    return engine->popped - engine->skipped;
}

void ks_timer_init(KsTimer *timer, KsEventFn fn, void *ctx)
{
    g_return_if_fail(timer != NULL);
    g_return_if_fail(fn != NULL);
    *timer = (KsTimer){.fn = fn, .ctx = ctx};
}

void ks_timer_arm_at(KsEngine *engine, KsTimer *timer, KsTime when)
{
    g_return_if_fail(engine != NULL);
    g_return_if_fail(timer != NULL);
    g_return_if_fail(timer->fn != NULL);
    g_return_if_fail(when >= engine->now);

    timer->deadline = when;
    timer->seq = engine->seq++;
    timer->armed = true;
    if (timer->queued && timer->queued_at < when)
        return; /* The live entry surfaces first and moves itself. */
    timer->gen++;
    timer->queued = true;
    timer->queued_at = when;
    heap_push(engine, when, timer->seq, timer_entry_fire, timer, timer->gen);
}

void ks_timer_arm(KsEngine *engine, KsTimer *timer, KsTime delay)
{
    g_return_if_fail(engine != NULL);
    g_return_if_fail(delay >= 0 && delay <= KS_TIME_NEVER - engine->now);
    ks_timer_arm_at(engine, timer, engine->now + delay);
}

void ks_timer_cancel(KsEngine *engine, KsTimer *timer)
{
    g_return_if_fail(engine != NULL);
    g_return_if_fail(timer != NULL);
    timer->armed = false;
}

bool ks_timer_is_armed(const KsTimer *timer)
{
    g_return_val_if_fail(timer != NULL, false);
    return timer->armed;
}

KsTime ks_timer_deadline(const KsTimer *timer)
{
    g_return_val_if_fail(timer != NULL, KS_TIME_NEVER);
    return timer->deadline;
}
