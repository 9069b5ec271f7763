/* SPDX-License-Identifier: MIT */
/*
 * consumer-seek.c - seeking: to an offset, or to a time as Kafka's
 * KafkaConsumer.offsetsForTimes answers it (a ListOffsets request with a
 * timestamp to the partition's leader), and the leader's side of that
 * request.
 *
 * Records carry the time they were produced (CreateTime, Kafka's default
 * message.timestamp.type): here a batch's creation time in its producer
 * (the arrival of its first record), in milliseconds as Kafka stores it;
 * a `produce` action's records, which no producer batch carries, the time
 * the leader appends them. The leader answers a timestamp T with the first
 * offset, in offset order, of a batch produced at or after T
 * (UnifiedLog.fetchOffsetByTimestamp, at batch granularity), and only
 * below its high watermark (Partition.fetchOffsetForTimestamp for
 * read_uncommitted); without such a record the answer is null, and the
 * consumer seeks to the end instead (the high watermark, as seekToEnd).
 *
 * The timestamps are kept per partition in a time index of (base offset,
 * count, leader epoch, time) entries, one per batch (adjacent batches of
 * one millisecond and epoch share one). An entry counts while the leader's
 * log still holds its base offset in its epoch, so truncation and unclean
 * elections drop what the log lost. The index exists only when the
 * scenario seeks by time (from-time=, to-time=): it grows with traffic.
 *
 * A consumer seeks by time when it gets a partition (from-time=, in
 * onPartitionsAssigned, instead of its committed offset) or at a `seek
 * consumer` action (to-time=); `seek consumer ... to-offset=N` moves the
 * position at once. One ListOffsets goes to each leader for the
 * partitions it leads (OffsetFetcher groups by node), the leader as the
 * consumer's metadata names it (as its fetches find it, consumer-fetch.c);
 * a refused or lost one is sent again after retry.backoff.ms. The application seeks between
 * polls: a `seek consumer` action while it processes a batch takes effect
 * at its next poll (the ListOffsets leaves then too), and a seek to a time
 * applies at the first poll after the answer (meanwhile the consumer
 * reads on from where it was). A seek drops the records fetched for the
 * partition and not yet returned.
 */
#include <string.h>

#include "actions-private.h"
#include "broker-private.h"
#include "consumer-private.h"

/* One entry of a partition's time index. */
typedef struct {
    int64_t base, count;
    int32_t epoch;
    KsTime time; /* whole milliseconds */
} KsTimeEntry;

static bool seeks_by_time(const KsPlan *plan)
{
    for (guint i = 0; i < plan->consumers->len; i++)
        if (((const KsPlanConsumer *)g_ptr_array_index(plan->consumers, i))->from_time >= 0)
            return true;
    for (guint i = 0; i < plan->actions->len; i++)
        if (((const KsPlanAction *)g_ptr_array_index(plan->actions, i))->from_time >= 0)
            return true;
    return false;
}

void ks_consumer_seek_setup(KsSim *sim)
{
    if (!seeks_by_time(sim->plan))
        return;
    for (guint i = 0; i < sim->topics->len; i++) {
        KsTopic *t = g_ptr_array_index(sim->topics, i);
        for (int32_t p = 0; p < t->n_partitions; p++)
            if (!t->partitions[p]->times)
                t->partitions[p]->times = g_array_new(FALSE, FALSE, sizeof(KsTimeEntry));
    }
}

void ks_consumer_seek_appended(KsPartition *part, int64_t base, int64_t count, int32_t epoch,
                               KsTime time)
{
    if (!part->times || count <= 0)
        return;
    time -= time % KS_TIME_MS;
    if (part->times->len > 0) {
        KsTimeEntry *last = &g_array_index(part->times, KsTimeEntry, part->times->len - 1);
        if (last->epoch == epoch && last->time == time && last->base + last->count == base) {
            last->count += count;
            return;
        }
    }
    KsTimeEntry e = {base, count, epoch, time};
    g_array_append_val(part->times, e);
}

/* offsetsForTimes at the leader @lr: the first offset below its HW of a
 * batch produced at or after @time, with its timestamp in *@found; -1
 * when there is none. */
static int64_t offset_for_time(const KsPartition *part, const KsReplica *lr, KsTime time,
                               KsTime *found)
{
    int64_t best = -1;
    *found = -1;
    for (guint i = 0; part->times && i < part->times->len; i++) {
        const KsTimeEntry *e = &g_array_index(part->times, KsTimeEntry, i);
        if (e->time < time || e->base >= lr->hw || (best >= 0 && e->base >= best))
            continue;
        if (ks_log_epoch_at(&lr->log, e->base) != e->epoch)
            continue;
        best = e->base;
        *found = e->time;
    }
    return best;
}

/* ---- the consumer's request ---- */

static void list_answered(KsSim *sim, void *ctx, uint64_t arg, bool delivered);

/* request.timeout.ms passed since @m left (@connecting 0), or its
 * connection attempt timed out (1): the node's connection closes, and the
 * partitions are looked up again after retry.backoff.ms. */
static void list_gave_up(KsSim *sim, void *ctx, uint64_t connecting, bool delivered)
{
    KsGroupMsg *m = ctx;
    KsConsumer *c = m->consumer;
    /* A connection another request's timeout closed meanwhile took this
     * one down with it: no second line. */
    if (delivered && c->running && m->token == c->token &&
        !ks_consumer_conn_closed_since(sim, c, m->broker, KS_LINK_NODE, m->sent))
        ks_consumer_disconnect(sim, c, m->broker, KS_LINK_NODE, "ListOffsets", connecting, NULL);
    list_answered(sim, m, 0, false);
}

/* @m or its answer failed: at once when the connection was reset, at its
 * request timeout when it was lost without a word (consumer-net.c). */
static void list_failed(KsSim *sim, KsGroupMsg *m)
{
    KsConsumer *c = m->consumer;
    if (!c->running || m->token != c->token || !ks_consumer_lost_silently(sim, m->broker)) {
        list_answered(sim, m, 0, false);
        return;
    }
    KsTime at = m->sent + c->request_timeout + KS_TIME_MS;
    ks_net_after(sim, &c->ep, MAX(at - ks_engine_now(sim->engine), 0), list_gave_up, m, 0);
}

/* At the leader: each partition's answer, or NOT_LEADER_OR_FOLLOWER when
 * the broker does not lead one of them (the consumer looks again). */
static void list_arrives(KsSim *sim, void *ctx, uint64_t arg, bool delivered)
{
    KsGroupMsg *m = ctx;
    if (!delivered) {
        list_failed(sim, m);
        return;
    }
    m->error = KS_ERR_NONE;
    for (guint i = 0; i < m->offsets->len; i++) {
        KsOffsetEntry *e = &g_array_index(m->offsets, KsOffsetEntry, i);
        const KsReplica *lr = ks_partition_leader_replica(e->part);
        if (!lr || lr->broker != m->broker) {
            m->error = KS_ERR_NOT_LEADER_OR_FOLLOWER;
            break;
        }
        e->offset = offset_for_time(e->part, lr, m->time, &e->found);
        e->end = lr->hw;
    }
    if (!ks_net_send(sim, &m->broker->ep, &m->consumer->ep, KS_NET_LIST_OFFSETS_RESPONSE,
                     list_answered, m, 0))
        list_failed(sim, m);
}

/* The part of @c's partition @part waiting for the answer to @m, or NULL
 * (it was revoked, sought again, or the consumer stopped). */
static KsConsumerPart *waiting_part(KsConsumer *c, const KsGroupMsg *m, KsPartition *part)
{
    if (!c->running)
        return NULL;
    KsConsumerPart *cp = ks_consumer_part(c, part);
    if (!cp || !cp->listing || !cp->seek_policy || cp->seek_time != m->time)
        return NULL;
    return cp;
}

static void list_answered(KsSim *sim, void *ctx, uint64_t arg, bool delivered)
{
    KsGroupMsg *m = ctx;
    KsConsumer *c = m->consumer;
    if (!delivered && ks_net_dropped_silently(sim) && c->running && m->token == c->token) {
        list_failed(sim, m); /* the answer was lost in a cut */
        return;
    }
    bool retry = false;
    for (guint i = 0; i < m->offsets->len; i++) {
        const KsOffsetEntry *e = &g_array_index(m->offsets, KsOffsetEntry, i);
        KsConsumerPart *cp = waiting_part(c, m, e->part);
        if (!cp)
            continue;
        cp->listing = false;
        if (!delivered || m->error != KS_ERR_NONE) {
            retry = true;
            continue;
        }
        cp->seek_ready = true;
        cp->seek_offset = e->offset >= 0 ? e->offset : e->end;
        cp->seek_found = e->offset >= 0 ? e->found : -1;
    }
    ks_group_msg_free(m);
    if (retry && c->running)
        ks_consumer_retry_later(sim, c);
    else if (c->running)
        ks_consumer_poll(sim, c);
}

/* Seeks @cp where its seek says: the records fetched and not yet returned
 * are dropped. */
static void apply_seek(KsSim *sim, KsConsumer *c, KsConsumerPart *cp)
{
    cp->position = cp->seek_offset;
    cp->fetched = cp->seek_offset;
    cp->no_offset = false;
    ks_consumer_emit_reset(sim, c, cp->part, cp->seek_policy, cp->position, cp->seek_time,
                           cp->seek_time >= 0 ? cp->seek_found : -1);
    cp->seek_policy = NULL;
    cp->seek_ready = false;
}

void ks_consumer_seek_list(KsSim *sim, KsConsumer *c)
{
    for (guint i = 0; i < c->assigned->len; i++) {
        KsConsumerPart *cp = &g_array_index(c->assigned, KsConsumerPart, i);
        if (cp->seek_policy && cp->seek_ready)
            apply_seek(sim, c, cp);
    }
    for (guint i = 0; i < c->assigned->len; i++) {
        KsConsumerPart *cp = &g_array_index(c->assigned, KsConsumerPart, i);
        if (!cp->seek_policy || cp->listing || cp->seek_ready)
            continue;
        KsBroker *b = ks_consumer_leader_of(sim, c, cp->part);
        if (!b)
            continue;
        KsGroupMsg *m = ks_consumer_msg_new(c, KS_GREQ_LIST_OFFSETS);
        m->offsets = g_array_new(FALSE, FALSE, sizeof(KsOffsetEntry));
        m->time = cp->seek_time;
        m->broker = b;
        for (guint k = i; k < c->assigned->len; k++) {
            KsConsumerPart *o = &g_array_index(c->assigned, KsConsumerPart, k);
            if (!o->seek_policy || o->listing || o->seek_ready || o->seek_time != m->time ||
                ks_consumer_leader_of(sim, c, o->part) != b)
                continue;
            o->listing = true;
            KsOffsetEntry e = {o->part, -1, -1, -1};
            g_array_append_val(m->offsets, e);
        }
        m->sent = ks_engine_now(sim->engine);
        KsTime wait = ks_consumer_conn_wait(sim, c, b, KS_LINK_NODE);
        if (wait >= 0)
            ks_net_after(sim, &c->ep, wait, list_gave_up, m, 1);
        else if (!ks_net_send(sim, &c->ep, &b->ep, KS_NET_LIST_OFFSETS, list_arrives, m, 0))
            list_answered(sim, m, 0, false);
    }
}

/* ---- the seek action ---- */

/* The application calls seek (or offsetsForTimes) at its next poll. */
static void seek_part(KsConsumerPart *cp, const KsPlanAction *a)
{
    cp->listing = false;
    cp->seek_ready = a->from_offset >= 0;
    cp->seek_policy = a->from_offset >= 0 ? "to-offset" : "to-time";
    cp->seek_offset = a->from_offset;
    cp->seek_time = a->from_offset >= 0 ? -1 : a->from_time;
}

void ks_consumer_action_seek(KsSim *sim, const KsPlanAction *a)
{
    KsConsumer *c = ks_consumer_find(sim, a->name);
    if (!c->running) {
        ks_sim_note(sim, a->loc.line, "consumer %s is not running", c->name);
        return;
    }
    bool any = false;
    for (guint i = 0; i < c->assigned->len; i++) {
        KsConsumerPart *cp = &g_array_index(c->assigned, KsConsumerPart, i);
        if (a->target.topic && (strcmp(cp->part->topic->name, a->target.topic) != 0 ||
                                cp->part->index != a->target.partition))
            continue;
        seek_part(cp, a);
        any = true;
    }
    if (!any) {
        /* KafkaConsumer.seek: IllegalStateException. */
        if (a->target.topic)
            ks_sim_note(sim, a->loc.line,
                        "consumer %s is not assigned %s-%d: seek throws "
                        "IllegalStateException (No current assignment for partition)",
                        c->name, a->target.topic, a->target.partition);
        else
            ks_sim_note(sim, a->loc.line, "consumer %s has no partitions to seek", c->name);
        return;
    }
    ks_consumer_poll(sim, c);
}
