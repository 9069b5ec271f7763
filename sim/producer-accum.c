/* SPDX-License-Identifier: MIT */
/*
 * producer-accum.c - a producer's record accumulator: records in,
 * partitioned into batches, drained into produce requests
 * (KafkaProducer.send, the partitioners, RecordAccumulator, the Sender's
 * drain and expiry).
 *
 * Kafka 3.9.0's client (clients/src/main/java/org/apache/kafka/clients/).
 * Records arrive at the producer's rate (or all at once from a `produce`
 * action) and are appended to a batch of their partition; a batch holds
 * batch.size bytes of records. While send() blocks for the topic's
 * metadata (producer-metadata.c) nothing is appended: records that arrive
 * meanwhile are appended when it unblocks, and `produce` actions wait in
 * order. The sender drains, for each broker, the first ready batch of every
 * partition that broker leads into one produce request (DESIGN principle
 * 2), and keeps up to max.in.flight.requests.per.connection requests
 * unanswered per broker. A batch is ready when it is full, when a newer
 * batch exists behind it, when it has waited linger.ms, or when it is a
 * retry whose backoff has passed (or whose partition has a newer leader,
 * KIP-951). A batch is given up at delivery.timeout.ms since it was
 * created, sent or not (Sender.getExpiredInflightBatches): a batch in
 * flight is detached from its request, whose answer is then ignored.
 *
 * Cost: arrivals at the rate are not events. When the producer wakes it
 * takes every record that arrived since, each with its own arrival time, and
 * it sleeps until a batch could become ready: the next record when linger.ms
 * is 0 and a broker has room for a request, else the end of a linger or the
 * arrival that could fill a batch (ks_producer_arrival_deadline). Per wake
 * the work is proportional to the partitions that have batches, not to the
 * topic.
 *
 * Simplified: a retry's backoff is drawn once when it fails (Kafka draws
 * afresh at every readiness check); batches are not split; idempotent
 * ordering of retries behind new batches
 * (RecordAccumulator.shouldStopDrainBatchesForPartition) is not modelled;
 * max.request.size and buffer.memory are not enforced.
 *
 * Owns the batches (KsProducerPartition.batches, the spares) and the
 * active set; producer.c sends and answers the requests.
 */
#include "producer-private.h"
#include "ledger.h"
#include "model.h"

#include <string.h>

#include "kafkasim/partitioner.h"

/* A new empty batch, a spare one when there is one. */
static KsProducerBatch *batch_new(KsProducer *p)
{
    GList *spare = g_queue_pop_head_link(&p->spare_batches);
    KsProducerBatch *batch = spare ? spare->data : g_new(KsProducerBatch, 1);
    *batch = (KsProducerBatch){.link.data = batch};
    return batch;
}

/* Whether keys choose the partition: with Kafka's default partitioner and
 * the key partitioner, unless partitioner.ignore.keys. */
static bool uses_keys(const KsProducer *p)
{
    return (p->partitioner == KS_PARTITIONER_DEFAULT || p->partitioner == KS_PARTITIONER_KEY) &&
           !p->ignore_keys;
}

/* Whether one more record for @partition would need a new batch: its newest
 * batch is gone, sent, a retry, or full. */
static bool opens_new_batch(const KsProducer *p, int32_t partition)
{
    const KsProducerBatch *last = ks_producer_newest_batch(&p->parts[partition]);
    return !last || last->in_flight || last->attempts > 0 || last->count >= p->batch_records;
}

/* Partition of one record that names none; @key is NULL for a null key.
 * Only records the sticky partitioner places count towards its switch
 * (BuiltInPartitioner.updatePartitionInfo). */
static int32_t choose_partition(KsProducer *p, const char *key)
{
    int32_t n = p->n_parts;
    switch (p->partitioner) {
    case KS_PARTITIONER_EXPLICIT:
        return p->plan->partition;
    case KS_PARTITIONER_ROUND_ROBIN: {
        /* KAFKA-9965 (Kafka 3.0 to 3.9): with a partitioner class, a record
         * that would open a new batch is aborted and partition() is asked
         * again, so the counter moves twice and a partition is skipped. */
        int32_t first = ks_round_robin_next(&p->rr, p->available, n);
        return opens_new_batch(p, first) ? ks_round_robin_next(&p->rr, p->available, n) : first;
    }
    case KS_PARTITIONER_KEY:
    case KS_PARTITIONER_DEFAULT:
    case KS_PARTITIONER_STICKY:
        break;
    }
    if (key && uses_keys(p))
        return ks_partition_for_key(key, strlen(key), n);
    int32_t chosen =
        ks_sticky_partition(&p->sticky, &p->rng, p->available, p->adaptive ? p->queue_sizes : NULL,
                            n, p->batch_records * p->record_size);
    ks_sticky_on_append(&p->sticky, p->record_size);
    return chosen;
}

static void activate(KsProducer *p, int32_t partition)
{
    KsProducerPartition *pp = &p->parts[partition];
    if (pp->active_slot >= 0)
        return;
    pp->active_slot = (int)p->active->len;
    g_array_append_val(p->active, partition);
}

/* Swap-remove from the active set; the order is deterministic either way. */
static void deactivate(KsProducer *p, int32_t partition)
{
    KsProducerPartition *pp = &p->parts[partition];
    int32_t last = g_array_index(p->active, int32_t, p->active->len - 1);
    g_array_index(p->active, int32_t, pp->active_slot) = last;
    p->parts[last].active_slot = pp->active_slot;
    g_array_set_size(p->active, p->active->len - 1);
    pp->active_slot = -1;
}

/* Appends @n records that arrived at @when to @partition's accumulator: to
 * its newest batch while that batch has room and has not been sent, then
 * to new batches. The caller tells the ledger (ks_ledger_produced), once
 * per run of records that went to one partition: the partitioner picks per
 * record, and the sticky partitioner sends long runs to one partition. */
static void add_to_batches(KsProducer *p, int32_t partition, int64_t n, KsTime when)
{
    KsProducerPartition *pp = &p->parts[partition];
    activate(p, partition);
    while (n > 0) {
        KsProducerBatch *last = ks_producer_newest_batch(pp);
        if (opens_new_batch(p, partition)) {
            last = batch_new(p);
            last->partition = partition;
            last->first_seq = pp->next_seq;
            last->created = when;
            g_queue_push_tail_link(&pp->batches, &last->link);
            p->queue_sizes[partition]++;
        }
        int64_t take = MIN(n, p->batch_records - last->count);
        last->count += take;
        pp->next_seq += take;
        n -= take;
    }
}

/* Time the k-th record after rate_start arrives (k >= 1). */
static KsTime arrival_time(const KsProducer *p, int64_t k)
{
    int64_t rate = p->plan->rate_per_s;
    return p->rate_start + (k / rate) * KS_TIME_S + ((k % rate) * KS_TIME_S + rate - 1) / rate;
}

/* How many rate records may still come (the count= limit), or INT64_MAX. */
static int64_t rate_remaining(const KsProducer *p)
{
    if (!p->running || !p->plan || p->plan->rate_per_s <= 0)
        return 0;
    return p->plan->count < 0 ? INT64_MAX : p->plan->count - p->generated;
}

/* Takes the records that arrived at the rate since the last time, each with
 * its arrival time; while send() blocks for metadata none is taken, and
 * those that arrived meanwhile are appended when it unblocks. */
void ks_producer_take_arrivals(KsSim *sim, KsProducer *p)
{
    int64_t remaining = rate_remaining(p);
    if (remaining <= 0)
        return;
    KsTime d = ks_engine_now(sim->engine) - p->rate_start;
    int64_t rate = p->plan->rate_per_s;
    /* d * rate / 1e6 without overflow for long runs and high rates. */
    int64_t arrived = (d / KS_TIME_S) * rate + (d % KS_TIME_S) * rate / KS_TIME_S;
    int64_t n = MIN(arrived - p->rate_arrived, remaining);
    if (n <= 0)
        return;
    if (ks_producer_metadata_blocked(sim, p))
        return;
    char key[300];
    int32_t run_partition = -1; /* the partition of the current run of records */
    int64_t run = 0;
    for (int64_t i = 0; i < n; i++) {
        KsTime arrived_at = arrival_time(p, ++p->rate_arrived);
        KsTime when = MAX(arrived_at, p->meta.unblocked_at);
        const char *k = NULL;
        if (p->plan->keys > 0) {
            g_snprintf(key, sizeof key, "%s%" G_GINT64_FORMAT, p->plan->key_prefix,
                       (int64_t)ks_rng_below(&p->rng, (uint64_t)p->plan->keys));
            k = key;
        }
        int32_t partition = choose_partition(p, k);
        if (partition != run_partition && run > 0) {
            ks_ledger_produced(sim->ledger, p->index, p->topic->partitions[run_partition], run);
            run = 0;
        }
        run_partition = partition;
        run++;
        add_to_batches(p, partition, 1, when);
    }
    if (run > 0)
        ks_ledger_produced(sim->ledger, p->index, p->topic->partitions[run_partition], run);
    p->generated += n;
}

/* Appends the records of one send() now. */
static void append_send(KsSim *sim, KsProducer *p, int64_t count, const char *key,
                        int32_t partition)
{
    KsTime now = ks_engine_now(sim->engine);
    if (partition < 0 && key && uses_keys(p) && p->partitioner != KS_PARTITIONER_EXPLICIT)
        partition = ks_partition_for_key(key, strlen(key), p->n_parts);
    if (partition >= 0) {
        ks_ledger_produced(sim->ledger, p->index, p->topic->partitions[partition], count);
        add_to_batches(p, partition, count, now);
    } else {
        for (int64_t i = 0; i < count; i++) {
            int32_t chosen = choose_partition(p, key);
            ks_ledger_produced(sim->ledger, p->index, p->topic->partitions[chosen], 1);
            add_to_batches(p, chosen, 1, now);
        }
    }
}

/* send() unblocked: the sends that waited for metadata go, in order. */
void ks_producer_flush_pending(KsSim *sim, KsProducer *p)
{
    if (!p->meta.known)
        return;
    for (guint i = 0; i < p->pending->len; i++) {
        KsPendingSend *ps = &g_array_index(p->pending, KsPendingSend, i);
        append_send(sim, p, ps->count, ps->key, ps->partition);
        g_free(ps->key);
    }
    g_array_set_size(p->pending, 0);
}

void ks_producer_send(KsSim *sim, KsProducer *p, int64_t count, const char *key, int32_t partition)
{
    /* Records that arrived at the rate before this send come first. */
    ks_producer_take_arrivals(sim, p);
    if (ks_producer_metadata_blocked(sim, p) || p->pending->len > 0) {
        KsPendingSend ps = {count, g_strdup(key), partition};
        g_array_append_val(p->pending, ps);
    } else {
        append_send(sim, p, count, key, partition);
    }
    ks_producer_process(sim, p);
}

/* KIP-360: the idempotent producer bumps its epoch for @pp and
 * re-sequences what it still holds, so the new epoch starts at its oldest
 * unacknowledged batch (or at the next record, if it holds none). */
void ks_producer_bump_epoch(KsProducerPartition *pp)
{
    const KsProducerBatch *head = ks_producer_oldest_batch(pp);
    pp->producer_epoch++;
    pp->epoch_base_seq = head ? head->first_seq : pp->next_seq;
}

/* The batch is done: acknowledged (its range judged by the ledger now when
 * @seen, else when the acks=0 request lands) or refused. */
void ks_producer_settle_batch(KsSim *sim, KsProducer *p, KsProducerBatch *batch, bool acked,
                              bool seen)
{
    KsProducerPartition *pp = &p->parts[batch->partition];
    ks_ledger_settled(sim->ledger, p->index, p->topic->partitions[batch->partition],
                      batch->first_seq, batch->count,
                      !acked ? KS_LEDGER_REFUSED
                      : seen ? KS_LEDGER_ACKED
                             : KS_LEDGER_ACKED_UNSEEN);
    if (acked)
        pp->acked_upto = MAX(pp->acked_upto, batch->first_seq + batch->count);
    if (!acked)
        pp->refused += batch->count;
    g_queue_unlink(&pp->batches, &batch->link);
    /* An idempotent producer that gives up on a batch leaves a gap in its
     * sequence: it bumps its epoch so later batches are accepted. */
    if (!acked && p->idempotent)
        ks_producer_bump_epoch(pp);
    p->queue_sizes[batch->partition]--;
    if (g_queue_is_empty(&pp->batches))
        deactivate(p, batch->partition);
    int64_t records = batch->count;
    g_queue_push_head_link(&p->spare_batches, &batch->link);
    if (p->on_settled)
        p->on_settled(sim, p->owner, records, acked);
}

/* KIP-951: a retry whose partition has a newer leader in the metadata than
 * the one its last attempt went to skips retry.backoff.ms
 * (ProducerBatch.hasLeaderChangedForTheOngoingRetry, :113-136;
 * RecordAccumulator.shouldBackoff, :813-815). The newer leader comes with
 * the NOT_LEADER_OR_FOLLOWER answer (Sender.java:610-637, :715-719;
 * producer.c) or with a Metadata answer (producer-metadata.c). */
bool ks_producer_leader_changed(const KsProducer *p, const KsProducerBatch *batch)
{
    return batch->attempts > 0 && p->parts[batch->partition].leader_epoch > batch->leader_epoch;
}

/* Whether @batch, the first unsent one of its partition, may go now. */
static bool batch_ready(const KsProducer *p, const KsProducerBatch *batch, bool newer, KsTime now)
{
    if (batch->retry_after > now && !ks_producer_leader_changed(p, batch))
        return false;
    return newer || batch->count >= p->batch_records || batch->attempts > 0 || !p->running ||
           now - batch->created >= p->linger;
}

/* One pass of the Sender: for every broker that is ready and below
 * max.in.flight.requests.per.connection, one request with the first ready
 * batch of each partition it leads. Returns whether it sent anything. */
static bool drain_once(KsSim *sim, KsProducer *p)
{
    KsTime now = ks_engine_now(sim->engine);
    bool any = false;
    for (guint i = 0; i < p->active->len; i++) {
        KsProducerPartition *pp = &p->parts[g_array_index(p->active, int32_t, i)];
        KsConnection *c = pp->conn;
        if (!c)
            continue;
        /* A broker that already gets a request in this pass takes more
         * partitions into it; otherwise it must have room and be ready. */
        if (c->drain->len == 0 && ((p->acks != 0 && c->in_flight >= p->max_in_flight) ||
                                   !ks_producer_connection_ready(sim, c)))
            continue;
        for (GList *l = pp->batches.head; l; l = l->next) {
            KsProducerBatch *batch = l->data;
            if (batch->in_flight)
                continue;
            if (batch_ready(p, batch, l->next != NULL, now)) {
                g_ptr_array_add(c->drain, batch);
                any = true;
            }
            break;
        }
    }
    /* In broker id order, the order the requests leave in. */
    for (guint i = 0; any && i < sim->brokers->len; i++) {
        KsBroker *b = g_ptr_array_index(sim->brokers, i);
        KsConnection *c =
            (guint)b->slot < p->conns->len ? g_ptr_array_index(p->conns, b->slot) : NULL;
        if (c && c->drain->len > 0)
            ks_producer_send_request(sim, c);
    }
    return any;
}

/* Sends requests until every broker is at its in-flight limit or nothing
 * is ready: the Sender loops without waiting while it has data to send. */
void ks_producer_drain(KsSim *sim, KsProducer *p)
{
    while (drain_once(sim, p))
        ;
}

/* Gives up on batches that reached delivery.timeout.ms, sent or not
 * (Sender.sendProducerData, :415-417: RecordAccumulator.expiredBatches and
 * getExpiredInflightBatches, :186-218; ProducerBatch.hasReachedDeliveryTimeout,
 * :414-416). A batch in flight is detached from its request, which stays
 * until answered or timed out. A partition's batches are in creation order
 * (retries keep their place), so the walk stops at the first that has time
 * left. */
void ks_producer_expire_batches(KsSim *sim, KsProducer *p)
{
    KsTime now = ks_engine_now(sim->engine);
    for (guint i = 0; i < p->active->len;) {
        int32_t partition = g_array_index(p->active, int32_t, i);
        KsProducerPartition *pp = &p->parts[partition];
        int64_t expired = 0;
        for (GList *l = pp->batches.head; l;) {
            KsProducerBatch *batch = l->data;
            l = l->next;
            if (now - batch->created < p->delivery_timeout)
                break;
            if (batch->in_flight)
                g_array_index(batch->request->batches, KsRequestBatch, batch->slot).batch = NULL;
            expired += batch->count;
            ks_producer_settle_batch(sim, p, batch, false, false);
        }
        if (expired > 0) {
            if (!pp->failing)
                pp->failing_since = now;
            pp->failing = true;
            KsEvent ev = ks_event_init(KS_EV_RECORDS_EXPIRED, now);
            ev.records_expired.producer = p->name;
            ev.records_expired.topic = p->topic->name;
            ev.records_expired.partition = partition;
            ev.records_expired.records = expired;
            ev.records_expired.delivery_timeout_ms = p->delivery_timeout / KS_TIME_MS;
            ev.records_expired.reason = "delivery.timeout.ms";
            ks_sim_emit(sim, &ev);
        }
        /* settle_batch may have swapped another partition into slot i. */
        if (pp->active_slot == (int)i)
            i++;
    }
}

/* Whether some partition's leader could take a request now (before the
 * first send, which fetches metadata, the answer is yes). */
static bool any_room(KsSim *sim, KsProducer *p)
{
    if (p->acks == 0)
        return true;
    for (guint i = 0; i < p->conns->len; i++) {
        const KsConnection *c = g_ptr_array_index(p->conns, i);
        if (c && c->leads > 0 && c->in_flight < p->max_in_flight && c->failures == 0 &&
            c->connecting_until == 0)
            return true;
    }
    return false;
}

/* The earliest moment a record that has not arrived yet could make a batch
 * ready: the next arrival plus linger.ms (it may open a batch), or the
 * arrival that would fill the fullest open batch. */
KsTime ks_producer_arrival_deadline(KsSim *sim, KsProducer *p)
{
    int64_t remaining = rate_remaining(p);
    if (remaining <= 0)
        return KS_TIME_NEVER;
    /* The first record asks for metadata; then send() blocks until the
     * answer, which wakes the producer. */
    if (!p->meta.known)
        return p->meta.added ? KS_TIME_NEVER : arrival_time(p, p->rate_arrived + 1);
    if (p->linger == 0 && !any_room(sim, p))
        return KS_TIME_NEVER; /* a response will come first and drain */
    KsTime t = arrival_time(p, p->rate_arrived + 1) + p->linger;
    int64_t need = p->batch_records;
    for (guint i = 0; i < p->active->len; i++) {
        int32_t partition = g_array_index(p->active, int32_t, i);
        const KsProducerBatch *last = ks_producer_newest_batch(&p->parts[partition]);
        if (!opens_new_batch(p, partition))
            need = MIN(need, p->batch_records - last->count);
    }
    if (need <= remaining)
        t = MIN(t, arrival_time(p, p->rate_arrived + need));
    return t;
}
