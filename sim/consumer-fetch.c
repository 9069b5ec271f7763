/* SPDX-License-Identifier: MIT */
/*
 * consumer-fetch.c - a consumer's fetches (Kafka's Fetcher) and the
 * broker's answer to them (ReplicaManager.fetchMessages for a consumer).
 *
 * A consumer sends one fetch per broker for all its assigned partitions
 * led there whose buffer is empty, and at most one at a time per broker,
 * to the partition's leader (never a follower) as the metadata cache of a
 * broker it talks to names it (its coordinator, else the first broker
 * whose process runs: metadata.c), read at once: a leader that broker has
 * not heard of yet is not asked, a stale one is (Kafka's consumer sends a
 * Metadata request to its least loaded node, with the producer's backoffs:
 * simplified here to an instant read of that broker's cache). The leader
 * answers with the records
 * below its high watermark (read_uncommitted never sees more), at most
 * max.partition.fetch.bytes per partition (records of KS_DEFAULT_RECORD_SIZE
 * bytes, since record sizes are not carried in logs), at once when there
 * are at least fetch.min.bytes, else it parks the fetch (DelayedFetch) until
 * a high watermark reaches that much or fetch.max.wait.ms passes. A
 * partition whose leader moved gets nothing; the consumer asks the new
 * leader next time. The answer fills the partition's buffer: the records
 * the next polls return.
 *
 * Requests go in fetch sessions (KIP-227, fetch-session.c): after the
 * first, a request names only what changed, and the answer only the
 * partitions with records; the sizes count with the capacity model's
 * network limits.
 */
#include <inttypes.h>

#include "consumer-private.h"
#include "metadata-private.h"
#include "capacity.h"

/* Parks @f at its broker until @deadline, or takes it out of the purgatory
 * (unpark): the broker's list of parked fetches follows. A fetch whose
 * partitions cannot add up to fetch.min.bytes even at
 * max.partition.fetch.bytes each can only end at fetch.max.wait.ms: it
 * stays off the list, which only serves early answers. */
static void park(KsConsumerFetch *f, KsTime deadline)
{
    ks_purgatory_park(&f->parking, &f->park, deadline);
    const KsConsumer *c = f->consumer;
    if ((int64_t)f->parts->len * c->max_partition_records < c->fetch_min_records)
        return;
    f->parked_link.data = f;
    g_queue_push_tail_link(&f->broker->consumer_fetches_parked, &f->parked_link);
}

static void unpark(KsConsumerFetch *f)
{
    if (ks_purgatory_parked(&f->park))
        ks_purgatory_cancel(&f->park);
    if (f->parked_link.data) {
        g_queue_unlink(&f->broker->consumer_fetches_parked, &f->parked_link);
        f->parked_link = (GList){.data = NULL};
    }
}

void ks_consumer_fetch_free(gpointer p)
{
    KsConsumerFetch *f = p;
    if (!f)
        return;
    unpark(f);
    g_array_free(f->parts, TRUE);
    g_array_free(f->sent, TRUE);
    g_free(f);
}

void ks_consumer_fetch_reset(KsConsumer *c)
{
    /* Requests and answers in flight carry an old sequence number and are
     * dropped. */
    for (guint i = 0; i < c->fetches->len; i++) {
        KsConsumerFetch *f = g_ptr_array_index(c->fetches, i);
        if (!f)
            continue;
        unpark(f);
        f->seq++;
        if (f->in_flight)
            ks_fetch_session_lost(f); /* its answer is dropped */
        f->in_flight = false;
    }
}

/* The answer came (@delivered), or the request failed: the connection
 * broke, or it timed out. */
static void fetch_done(KsSim *sim, KsConsumerFetch *f, bool delivered)
{
    KsConsumer *c = f->consumer;
    f->in_flight = false;
    if (delivered)
        ks_fetch_session_answered(f, f->error);
    else
        ks_fetch_session_lost(f);
    for (guint i = 0; i < f->parts->len; i++) {
        const KsConsumerRange *r = &g_array_index(f->parts, KsConsumerRange, i);
        KsConsumerPart *cp = ks_consumer_part(c, r->part);
        if (!cp || !cp->fetching)
            continue;
        cp->fetching = false;
        if (delivered && cp->fetched == r->first)
            cp->fetched = r->first + r->count;
    }
    if (!delivered) {
        /* Its connection failed: try that broker again after
         * retry.backoff.ms (by then the leader may have moved). */
        f->backoff_until = ks_engine_now(sim->engine) + c->retry_backoff;
        ks_consumer_retry_later(sim, c);
        return;
    }
    ks_consumer_poll(sim, c);
}

void ks_consumer_fetch_disconnected(KsSim *sim, KsConsumer *c, KsBroker *b)
{
    if ((guint)b->slot >= c->fetches->len)
        return;
    KsConsumerFetch *f = g_ptr_array_index(c->fetches, b->slot);
    if (!f || !f->in_flight)
        return;
    unpark(f);
    f->seq++; /* an answer still on its way is dropped */
    fetch_done(sim, f, false);
}

/* request.timeout.ms passed since the fetch left without an answer, or
 * its connection attempt timed out (socket.connection.setup.timeout.ms):
 * NetworkClient disconnects from the broker, which fails the fetch. */
static void fetch_gave_up(KsSim *sim, void *ctx, uint64_t seq, bool delivered)
{
    KsConsumerFetch *f = ctx;
    KsConsumer *c = f->consumer;
    if (!delivered || seq != f->seq || !c->running)
        return;
    ks_consumer_disconnect(sim, c, f->broker, KS_LINK_NODE, "Fetch", f->connecting, NULL);
}

/* The fetch or its answer was lost without a word (a cut, a machine that
 * is down): the consumer waits for its request timeout
 * (InFlightRequests: more than request.timeout.ms, in whole ms). */
static void fetch_lost(KsSim *sim, KsConsumerFetch *f)
{
    KsConsumer *c = f->consumer;
    KsTime at = f->sent_at + c->request_timeout + KS_TIME_MS;
    ks_net_after(sim, &c->ep, MAX(at - ks_engine_now(sim->engine), 0), fetch_gave_up, f, f->seq);
}

/* The answer arrives, or its connection failed (@delivered false). */
static void records_arrive(KsSim *sim, void *ctx, uint64_t seq, bool delivered)
{
    KsConsumerFetch *f = ctx;
    if (seq != f->seq)
        return;
    if (!delivered && ks_consumer_lost_silently(sim, f->broker))
        fetch_lost(sim, f);
    else
        fetch_done(sim, f, delivered);
}

/* What the leader has for @f's partitions now; returns the total. */
static int64_t fill(KsConsumerFetch *f)
{
    int64_t total = 0;
    KsConsumer *c = f->consumer;
    for (guint i = 0; i < f->parts->len; i++) {
        KsConsumerRange *r = &g_array_index(f->parts, KsConsumerRange, i);
        KsReplica *lr = r->part->leader_replica;
        r->count = 0;
        if (f->error != KS_ERR_NONE || !lr || lr->broker != f->broker || lr->hw <= r->first)
            continue;
        r->count = MIN(lr->hw - r->first, c->max_partition_records);
        total += r->count;
    }
    return total;
}

static void respond(KsSim *sim, KsConsumerFetch *f)
{
    if (!f->broker->alive) {
        /* It died with the fetch parked: the connection is reset (or, on
         * a machine that went down, the fetch is never answered). */
        records_arrive(sim, f, f->seq, false);
        return;
    }
    int64_t records = fill(f);
    f->broker->records_out += records;
    /* A full answer names every partition, an incremental one those with
     * records. */
    int64_t bytes = sim->capacity ? KS_FETCH_RESPONSE_BYTES : 0;
    for (guint i = 0; sim->capacity && i < f->parts->len; i++) {
        const KsConsumerRange *r = &g_array_index(f->parts, KsConsumerRange, i);
        if (f->error == KS_ERR_NONE && (f->req_epoch == 0 || r->count > 0))
            bytes += KS_FETCH_PARTITION_RESPONSE_BYTES;
        bytes += r->count * ks_capacity_record_bytes(sim, r->part->topic);
    }
    if (!ks_net_send_bytes(sim, &f->broker->ep, &f->consumer->ep, KS_NET_CONSUMER_RECORDS, bytes,
                           records_arrive, f, f->seq))
        records_arrive(sim, f, f->seq, false);
}

static void park_expired(void *ctx, KsDelayed *op)
{
    KsConsumerFetch *f = ctx;
    unpark(f);
    respond(f->consumer->sim, f);
}

static void fetch_arrives(KsSim *sim, void *ctx, uint64_t seq, bool delivered)
{
    KsConsumerFetch *f = ctx;
    if (seq != f->seq)
        return;
    if (!delivered) {
        records_arrive(sim, f, seq, false);
        return;
    }
    f->error = ks_fetch_session_serve(sim, f->broker, f);
    if (f->error != KS_ERR_NONE || fill(f) >= f->consumer->fetch_min_records ||
        f->consumer->fetch_max_wait == 0) {
        respond(sim, f);
        return;
    }
    park(f, ks_engine_now(sim->engine) + f->consumer->fetch_max_wait);
}

KsBroker *ks_consumer_leader_of(const KsSim *sim, const KsConsumer *c, const KsPartition *part)
{
    const KsBroker *asked = c->coordinator && c->coordinator->alive ? c->coordinator : NULL;
    for (guint i = 0; i < sim->brokers->len && !asked; i++) {
        const KsBroker *b = g_ptr_array_index(sim->brokers, i);
        if (b->alive)
            asked = b;
    }
    return asked ? ks_sim_find_broker(sim, ks_metadata_leader(sim, asked, part)) : NULL;
}

void ks_consumer_send_fetches(KsSim *sim, KsConsumer *c)
{
    /* Where each partition that may be fetched now would go: one metadata
     * lookup each (a consumer's partitions are grouped by leader below). */
    g_ptr_array_set_size(c->fetch_to, (gint)c->assigned->len);
    for (guint i = 0; i < c->assigned->len; i++) {
        KsConsumerPart *cp = &g_array_index(c->assigned, KsConsumerPart, i);
        bool eligible = cp->position >= 0 && !cp->fetching && cp->fetched <= cp->position;
        c->fetch_to->pdata[i] = eligible ? ks_consumer_leader_of(sim, c, cp->part) : NULL;
    }
    for (guint i = 0; i < c->assigned->len; i++) {
        KsConsumerPart *cp = &g_array_index(c->assigned, KsConsumerPart, i);
        KsBroker *b = c->fetch_to->pdata[i];
        if (!b || cp->fetching)
            continue;
        while (c->fetches->len <= (guint)b->slot)
            g_ptr_array_add(c->fetches, NULL);
        KsConsumerFetch *f = g_ptr_array_index(c->fetches, b->slot);
        if (!f) {
            f = g_new0(KsConsumerFetch, 1);
            f->consumer = c;
            f->broker = b;
            f->parts = g_array_new(FALSE, FALSE, sizeof(KsConsumerRange));
            f->sent = g_array_new(FALSE, FALSE, sizeof(KsConsumerRange));
            ks_purgatory_init_timeouts(&f->parking, sim->engine, park_expired, f);
            c->fetches->pdata[b->slot] = f;
        }
        if (f->in_flight || f->backoff_until > ks_engine_now(sim->engine))
            continue;
        /* A new request to @b: every eligible partition led by @b. */
        f->in_flight = true;
        f->seq++;
        g_array_set_size(f->parts, 0);
        for (guint k = i; k < c->assigned->len; k++) {
            KsConsumerPart *o = &g_array_index(c->assigned, KsConsumerPart, k);
            if (o->fetching || c->fetch_to->pdata[k] != b)
                continue;
            o->fetching = true;
            o->fetched = o->position;
            KsConsumerRange r = {o->part, o->position, 0};
            g_array_append_val(f->parts, r);
        }
        int64_t named = ks_fetch_session_build(f);
        if (sim->verbose) {
            g_autofree char *from = g_strdup_printf("consumer %s", c->name);
            g_autofree char *detail =
                f->req_epoch == 0
                    ? g_strdup_printf("full, %u partition%s%s", f->parts->len,
                                      f->parts->len == 1 ? "" : "s",
                                      f->req_session ? ", closing its session" : "")
                    : g_strdup_printf("incremental, session %" PRId32 " epoch %" PRId32 ", %" PRId64
                                      " of %u partitions named",
                                      f->req_session, f->req_epoch, named, f->parts->len);
            ks_sim_emit_request(sim, "ConsumerFetch", from, b->id, detail);
        }
        f->sent_at = ks_engine_now(sim->engine);
        KsTime wait = ks_consumer_conn_wait(sim, c, b, KS_LINK_NODE);
        f->connecting = wait >= 0;
        if (f->connecting) {
            ks_net_after(sim, &c->ep, wait, fetch_gave_up, f, f->seq);
            continue;
        }
        int64_t bytes = sim->capacity ? ks_fetch_request_bytes(named) : 0;
        if (!ks_net_send_bytes(sim, &c->ep, &b->ep, KS_NET_CONSUMER_FETCH, bytes, fetch_arrives, f,
                               f->seq))
            records_arrive(sim, f, f->seq, false);
    }
}

/* Orders parked fetches by their consumer's index. */
static gint by_consumer(gconstpointer a, gconstpointer b)
{
    const KsConsumerFetch *fa = *(KsConsumerFetch *const *)a, *fb = *(KsConsumerFetch *const *)b;
    return (fa->consumer->index > fb->consumer->index) -
           (fa->consumer->index < fb->consumer->index);
}

/* A high watermark of a partition led by a broker moved: each consumer
 * fetch parked there that now has fetch.min.bytes is answered, in the
 * order of the consumers. Only the fetches parked at that broker are
 * looked at (its list), not every consumer. */
void ks_consumer_fetch_hw_advanced(KsSim *sim, KsPartition *part)
{
    if (!sim->consumers)
        return;
    KsBroker *b = ks_sim_find_broker(sim, part->leader);
    if (!b || b->consumer_fetches_parked.length == 0)
        return;
    GPtrArray *ready = NULL;
    for (GList *l = b->consumer_fetches_parked.head; l; l = l->next) {
        KsConsumerFetch *f = l->data;
        if (f->consumer->running && fill(f) >= f->consumer->fetch_min_records) {
            if (!ready)
                ready = g_ptr_array_new();
            g_ptr_array_add(ready, f);
        }
    }
    if (!ready)
        return;
    if (ready->len > 1)
        g_ptr_array_sort(ready, by_consumer);
    for (guint i = 0; i < ready->len; i++) {
        KsConsumerFetch *f = g_ptr_array_index(ready, i);
        unpark(f);
        respond(sim, f);
    }
    g_ptr_array_free(ready, TRUE);
}
