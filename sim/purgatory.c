/* SPDX-License-Identifier: MIT */
/*
 * purgatory.c - operations a broker holds until they can complete or time
 * out: Kafka's DelayedOperationPurgatory.
 *
 * A broker parks a request it cannot answer yet: an acks=all produce until
 * the high watermark covers its records (DelayedProduce, request.timeout.ms
 * from the producer), a follower's fetch until its leader has new records
 * (DelayedFetch, replica.fetch.wait.max.ms); next, a consumer's fetch
 * (fetch.max.wait.ms) and a group join (the rebalance timeout). Kafka's
 * purgatory has two halves, and so does this one:
 *
 *  - Watch keys (KsWatchKey, Kafka's watchers per key): what an operation
 *    waits for, e.g. a partition. Each watcher says what the key must reach
 *    for it (its need, e.g. the HW its records end at); when the key moves,
 *    ks_purgatory_check completes every watcher it now satisfies
 *    (checkAndComplete, tryComplete). Watchers stay in order of need, so the
 *    check stops at the first one still waiting and costs what it
 *    completes, not what waits. An operation may watch several keys (a
 *    produce request, one per partition of its batches).
 *  - Timeouts (KsDelayedTimeouts, Kafka's timing wheel): operations that
 *    share one timeout are parked in arrival order, which is deadline
 *    order, under one engine timer armed at the earliest deadline. When it
 *    fires, every operation whose deadline has come expires, oldest first.
 *    A list per producer connection, or per fetch session, costs one timer
 *    each, re-armed only when the oldest operation leaves; Kafka's one
 *    wheel per broker would give the same answers with fewer timers, but
 *    fire once for deadlines that coincide where the model fires once per
 *    list (the golden timelines count those events).
 *
 * Invariants: an operation is in at most one timeout list, and its list's
 * timer is armed at the deadline of the list's head whenever the list is
 * not empty; a watcher is in at most one key, and a key's watchers never
 * decrease in need from head to tail. An operation completes once: who
 * completes it (a check, an expiry, a cancel) takes it out of both halves.
 *
 * Cost in the benchmark: every acks=all produce request is parked once and
 * watches each partition it wrote; every follower fetch that finds nothing
 * new is parked once. Parking, completion and cancellation are O(1), except
 * a watch that must go before newer needs (a retried duplicate), which
 * walks back from the tail.
 */
#include "purgatory.h"

static void timeouts_fire(KsEngine *engine, void *ctx, uint64_t arg)
{
    KsDelayedTimeouts *t = ctx;
    KsTime now = ks_engine_now(engine);
    for (KsDelayed *op; (op = g_queue_peek_head(&t->ops)) && op->deadline <= now;) {
        ks_purgatory_cancel(op);
        t->expire(t->ctx, op);
    }
}

void ks_purgatory_init_timeouts(KsDelayedTimeouts *t, KsEngine *engine, KsDelayedFn expire,
                                void *ctx)
{
    t->engine = engine;
    t->ctx = ctx;
    g_queue_init(&t->ops);
    ks_timer_init(&t->timer, timeouts_fire, t);
    t->expire = expire;
}

void ks_purgatory_park(KsDelayedTimeouts *t, KsDelayed *op, KsTime deadline)
{
    KsEngine *engine = t->engine;
    g_assert(!op->timeouts);
    op->timeouts = t;
    op->deadline = deadline;
    if (g_queue_is_empty(&t->ops))
        ks_timer_arm_at(engine, &t->timer, deadline);
    op->link = (GList){.data = op};
    g_queue_push_tail_link(&t->ops, &op->link);
}

void ks_purgatory_cancel(KsDelayed *op)
{
    KsDelayedTimeouts *t = op->timeouts;
    if (!t)
        return;
    bool was_head = t->ops.head == &op->link;
    g_queue_unlink(&t->ops, &op->link);
    op->timeouts = NULL;
    if (!was_head)
        return;
    KsEngine *engine = t->engine;
    KsDelayed *next = g_queue_peek_head(&t->ops);
    if (next)
        ks_timer_arm_at(engine, &t->timer, next->deadline);
    else
        ks_timer_cancel(engine, &t->timer);
}

void ks_purgatory_clear_timeouts(KsDelayedTimeouts *t)
{
    for (GList *l = t->ops.head; l; l = l->next)
        ((KsDelayed *)l->data)->timeouts = NULL;
    g_queue_init(&t->ops); /* the links are the ops' own */
}

void ks_purgatory_init_key(KsWatchKey *key)
{
    g_queue_init(key);
}

void ks_purgatory_watch(KsWatchKey *key, KsWatch *w)
{
    /* After the last watcher with a smaller need: before the equal ones. */
    GList *after = key->tail;
    while (after && ((KsWatch *)after->data)->need >= w->need)
        after = after->prev;
    w->link = (GList){.data = w};
    if (after)
        g_queue_insert_after_link(key, after, &w->link);
    else
        g_queue_push_head_link(key, &w->link);
    w->node = &w->link;
}

void ks_purgatory_unwatch(KsWatchKey *key, KsWatch *w)
{
    if (!w->node)
        return;
    g_queue_unlink(key, w->node);
    w->node = NULL;
}

void ks_purgatory_check(KsWatchKey *key, int64_t reached, KsWatchFn complete, void *ctx, int status)
{
    for (KsWatch *w; (w = g_queue_peek_head(key)) && w->need <= reached;) {
        ks_purgatory_unwatch(key, w);
        complete(ctx, w, status);
    }
}

void ks_purgatory_complete_all(KsWatchKey *key, KsWatchFn complete, void *ctx, int status)
{
    for (KsWatch *w; (w = g_queue_peek_head(key));) {
        ks_purgatory_unwatch(key, w);
        complete(ctx, w, status);
    }
}
