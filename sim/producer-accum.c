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
        int32_t first = ks_round_robin_next(&p->rr, p->avail_list, p->n_avail, n);
        return opens_new_batch(p, first) ? ks_round_robin_next(&p->rr, p->avail_list, p->n_avail, n)
                                         : first;
    }
    case KS_PARTITIONER_KEY:
    case KS_PARTITIONER_DEFAULT:
    case KS_PARTITIONER_STICKY:
        break;
    }
    if (key && uses_keys(p))
        return ks_partition_for_key(key, strlen(key), n);
    int32_t chosen = ks_sticky_partition_indexed(&p->sticky, &p->rng, p->sticky_index,
                                                 p->batch_records * p->record_size);
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

static void set_unsent_bit(KsProducer *p, int slot, bool on)
{
    guint64 bit = G_GUINT64_CONSTANT(1) << (slot % 64);
    if (on)
        p->unsent_bits[slot / 64] |= bit;
    else
        p->unsent_bits[slot / 64] &= ~bit;
}

void ks_producer_count_unsent(KsProducer *p, const KsProducerBatch *batch, bool unsent)
{
    KsProducerPartition *pp = &p->parts[batch->partition];
    int delta = unsent ? 1 : -1;
    pp->unsent += delta;
    if (batch->attempts > 0)
        p->retrying += delta;
    set_unsent_bit(p, pp->active_slot, pp->unsent > 0);
}

int ks_producer_next_unsent(const KsProducer *p, int from)
{
    int len = (int)p->active->len;
    while (from < len) {
        guint64 bits = p->unsent_bits[from / 64] >> (from % 64);
        if (bits) {
            int slot = from + __builtin_ctzll(bits);
            return slot < len ? slot : -1;
        }
        from = (from / 64 + 1) * 64;
    }
    return -1;
}

/* Swap-remove from the active set; the order is deterministic either way.
 * The partition leaving has no batch, so no unsent bit; the last one's
 * bit moves with it. */
static void deactivate(KsProducer *p, int32_t partition)
{
    KsProducerPartition *pp = &p->parts[partition];
    int last_slot = (int)p->active->len - 1;
    int32_t last = g_array_index(p->active, int32_t, last_slot);
    g_array_index(p->active, int32_t, pp->active_slot) = last;
    p->parts[last].active_slot = pp->active_slot;
    set_unsent_bit(p, pp->active_slot, p->parts[last].unsent > 0);
    set_unsent_bit(p, last_slot, false);
    g_array_set_size(p->active, p->active->len - 1);
    pp->active_slot = -1;
}

/* Time the k-th record after rate_start arrives (k >= 1). */
static KsTime arrival_time(const KsProducer *p, int64_t k)
{
    int64_t rate = p->plan->rate_per_s;
    return p->rate_start + (k / rate) * KS_TIME_S + ((k % rate) * KS_TIME_S + rate - 1) / rate;
}

/* The linger.ms deadlines, a binary min-heap on KsLingerDeadline.at: each
 * batch's is pushed when it is created, and a deadline leaves the heap when
 * it reaches the top and no longer counts (passed, or its batch is no longer
 * its partition's newest, or was sent). A batch that stopped being the
 * newest never is again: a newer one is created only once it is sent or
 * full, and the partition's batches leave in order while it waits. */
static gboolean linger_before(const KsLingerDeadline *a, const KsLingerDeadline *b)
{
    return a->at < b->at;
}

static void linger_push(KsProducer *p, const KsProducerBatch *batch)
{
    KsLingerDeadline d = {batch->created + p->linger, batch, batch->partition};
    g_array_append_val(p->lingers, d);
    KsLingerDeadline *h = (KsLingerDeadline *)(void *)p->lingers->data;
    for (guint i = p->lingers->len - 1; i > 0;) {
        guint up = (i - 1) / 2;
        if (!linger_before(&h[i], &h[up]))
            break;
        KsLingerDeadline t = h[i];
        h[i] = h[up];
        h[up] = t;
        i = up;
    }
}

static void linger_pop(KsProducer *p)
{
    KsLingerDeadline *h = (KsLingerDeadline *)(void *)p->lingers->data;
    guint n = p->lingers->len - 1;
    h[0] = h[n];
    g_array_set_size(p->lingers, n);
    for (guint i = 0;;) {
        guint l = 2 * i + 1, r = l + 1, m = i;
        if (l < n && linger_before(&h[l], &h[m]))
            m = l;
        if (r < n && linger_before(&h[r], &h[m]))
            m = r;
        if (m == i)
            break;
        KsLingerDeadline t = h[i];
        h[i] = h[m];
        h[m] = t;
        i = m;
    }
}

KsTime ks_producer_linger_deadline(KsProducer *p, KsTime now)
{
    while (p->lingers->len > 0) {
        const KsLingerDeadline *d = &g_array_index(p->lingers, KsLingerDeadline, 0);
        const KsProducerBatch *last =
            d->partition < p->n_parts ? ks_producer_newest_batch(&p->parts[d->partition]) : NULL;
        if (d->at > now && last == d->batch && last->created + p->linger == d->at &&
            last->attempts == 0 && !last->in_flight)
            return d->at;
        linger_pop(p);
    }
    return KS_TIME_NEVER;
}

/* Appends @n records to @partition's accumulator: to its newest batch while
 * that batch has room and has not been sent, then to new batches. A new
 * batch is created at @when, or, with @first >= 1, at the arrival of the
 * record that opens it: the @first-th rate record (arrival_time), the next
 * ones being @first + 1, ... (never before send() last unblocked). The
 * caller tells the ledger (ks_ledger_produced), once per run of records
 * that went to one partition: the partitioner picks per record, and the
 * sticky partitioner sends long runs to one partition. */
static void add_to_batches(KsProducer *p, int32_t partition, int64_t n, KsTime when, int64_t first)
{
    KsProducerPartition *pp = &p->parts[partition];
    activate(p, partition);
    while (n > 0) {
        KsProducerBatch *last = ks_producer_newest_batch(pp);
        if (opens_new_batch(p, partition)) {
            last = batch_new(p);
            last->partition = partition;
            last->first_seq = pp->next_seq;
            last->created = first >= 1 ? MAX(arrival_time(p, first), p->meta.unblocked_at) : when;
            p->expiry_floor = MIN(p->expiry_floor, last->created + p->delivery_timeout);
            linger_push(p, last);
            if (!pp->listed_open) {
                pp->listed_open = true;
                g_array_append_val(p->open_parts, partition);
            }
            g_queue_push_tail_link(&pp->batches, &last->link);
            ks_producer_count_unsent(p, last, true);
            p->queue_sizes[partition]++;
            ks_sticky_index_set(p->sticky_index, partition, p->available[partition],
                                p->queue_sizes[partition]);
        }
        int64_t take = MIN(n, p->batch_records - last->count);
        last->count += take;
        pp->next_seq += take;
        n -= take;
        first += first >= 1 ? take : 0;
    }
}

/* How many of the @n records from the next one on go where choose_partition
 * just sent one (itself included), without choosing again: with null keys,
 * the explicit partition takes them all and the sticky partitioner the
 * ones before its switch (ks_sticky_partition keeps its partition while it
 * took fewer than batch.size bytes); the round-robin one chooses per record.
 * The sticky partitioner is told of the records this adds. */
static int64_t same_choice(KsProducer *p, int64_t n)
{
    if (p->plan->keys > 0 || n <= 1)
        return 1;
    switch (p->partitioner) {
    case KS_PARTITIONER_EXPLICIT:
        return n;
    case KS_PARTITIONER_ROUND_ROBIN:
        return 1;
    case KS_PARTITIONER_KEY:
    case KS_PARTITIONER_DEFAULT:
    case KS_PARTITIONER_STICKY:
        break;
    }
    int64_t switch_bytes = MAX(p->batch_records * p->record_size, 1);
    int64_t b = p->sticky.bytes_in_current, size = p->record_size;
    if (size < 1 || b >= switch_bytes)
        return 1;
    int64_t more = MIN((switch_bytes - b + size - 1) / size, n - 1);
    ks_sticky_on_append(&p->sticky, more * size);
    return 1 + more;
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
    for (int64_t i = 0; i < n;) {
        const char *k = NULL;
        if (p->plan->keys > 0) {
            g_snprintf(key, sizeof key, "%s%" G_GINT64_FORMAT, p->plan->key_prefix,
                       (int64_t)ks_rng_below(&p->rng, (uint64_t)p->plan->keys));
            k = key;
        }
        int32_t partition = choose_partition(p, k);
        int64_t m = same_choice(p, n - i);
        if (partition != run_partition && run > 0) {
            ks_ledger_produced(sim->ledger, p->index, p->topic->partitions[run_partition], run);
            run = 0;
        }
        run_partition = partition;
        run += m;
        add_to_batches(p, partition, m, 0, p->rate_arrived + 1);
        p->rate_arrived += m;
        i += m;
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
        add_to_batches(p, partition, count, now, 0);
    } else {
        for (int64_t i = 0; i < count; i++) {
            int32_t chosen = choose_partition(p, key);
            ks_ledger_produced(sim->ledger, p->index, p->topic->partitions[chosen], 1);
            add_to_batches(p, chosen, 1, now, 0);
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

/* ---- max.block.ms ----
 * send() blocks in KafkaProducer.waitOnMetadata while the topic is not in
 * the producer's metadata, at most max.block.ms: then it fails with
 * TimeoutException ("Topic T not present in metadata after N ms"), handed
 * to the send's callback (an ApiException: doSend returns a failed
 * future rather than throwing), and the application goes on with its next
 * send, which blocks anew from that moment. The oldest waiting send (a
 * `produce` action's, or the next record at the rate) gives up first. Its
 * records count as handed to the producer and refused; Kafka picks no
 * partition for them, the ledger counts per partition: the explicit
 * partition, else the key's, else partition 0. */

/* The oldest send() waiting for metadata: a produce action's (@pending
 * set) or the next rate record; when it began blocking, KS_TIME_NEVER
 * for none. */
static KsTime blocked_head(const KsSim *sim, const KsProducer *p, bool *pending)
{
    KsTime now = ks_engine_now(sim->engine);
    KsTime since = KS_TIME_NEVER;
    *pending = false;
    if (p->meta.known || !p->meta.added)
        return KS_TIME_NEVER;
    if (rate_remaining(p) > 0 && arrival_time(p, p->rate_arrived + 1) <= now)
        since = arrival_time(p, p->rate_arrived + 1);
    if (p->pending->len > 0 && g_array_index(p->pending, KsPendingSend, 0).since <= since) {
        since = g_array_index(p->pending, KsPendingSend, 0).since;
        *pending = true;
    }
    return since == KS_TIME_NEVER ? since : MAX(since, p->meta.block_floor);
}

KsTime ks_producer_block_deadline(const KsSim *sim, const KsProducer *p)
{
    bool pending;
    KsTime since = blocked_head(sim, p, &pending);
    return since == KS_TIME_NEVER ? since : since + p->max_block;
}

/* @count records of a send() that never reached the accumulator are given
 * up: the ledger counts them handed over and refused. */
static void refuse_send(KsSim *sim, KsProducer *p, int64_t count, const char *key,
                        int32_t partition)
{
    if (partition < 0 && key && uses_keys(p))
        partition = ks_partition_for_key(key, strlen(key), p->topic->n_partitions);
    KsPartition *part = p->topic->partitions[MAX(partition, 0)];
    ks_ledger_produced(sim->ledger, p->index, part, count);
    ks_ledger_settled(sim->ledger, p->index, part, 0, count, KS_LEDGER_REFUSED);
    if (p->on_settled)
        p->on_settled(sim, p->owner, count, false);
}

void ks_producer_block_timeouts(KsSim *sim, KsProducer *p)
{
    KsTime now = ks_engine_now(sim->engine);
    bool pending;
    KsTime since;
    while ((since = blocked_head(sim, p, &pending)) != KS_TIME_NEVER &&
           since + p->max_block <= now) {
        p->meta.block_floor = since + p->max_block;
        int64_t count = 1;
        int32_t partition =
            p->plan && p->partitioner == KS_PARTITIONER_EXPLICIT ? p->plan->partition : -1;
        char key[300];
        const char *k = NULL;
        if (pending) {
            KsPendingSend ps = g_array_index(p->pending, KsPendingSend, 0);
            g_array_remove_index(p->pending, 0);
            count = ps.count;
            partition = ps.partition;
            refuse_send(sim, p, count, ps.key, partition);
            g_free(ps.key);
        } else {
            p->rate_arrived++;
            p->generated++;
            if (p->plan->keys > 0) {
                g_snprintf(key, sizeof key, "%s%" G_GINT64_FORMAT, p->plan->key_prefix,
                           (int64_t)ks_rng_below(&p->rng, (uint64_t)p->plan->keys));
                k = key;
            }
            refuse_send(sim, p, count, k, partition);
        }
        KsEvent ev = ks_event_init(KS_EV_RECORDS_EXPIRED, now);
        ev.records_expired.producer = p->name;
        ev.records_expired.topic = p->topic->name;
        ev.records_expired.partition = partition;
        ev.records_expired.records = count;
        ev.records_expired.reason = "max.block.ms";
        ev.records_expired.max_block_ms = p->max_block / KS_TIME_MS;
        ks_sim_emit(sim, &ev);
    }
}

void ks_producer_drop_pending(KsSim *sim, KsProducer *p)
{
    for (guint i = 0; i < p->pending->len; i++) {
        KsPendingSend *ps = &g_array_index(p->pending, KsPendingSend, i);
        refuse_send(sim, p, ps->count, ps->key, ps->partition);
        g_free(ps->key);
    }
    g_array_set_size(p->pending, 0);
}

void ks_producer_send(KsSim *sim, KsProducer *p, int64_t count, const char *key, int32_t partition)
{
    /* Records that arrived at the rate before this send come first. */
    ks_producer_take_arrivals(sim, p);
    if (ks_producer_metadata_blocked(sim, p) || p->pending->len > 0) {
        KsPendingSend ps = {count, g_strdup(key), partition, ks_engine_now(sim->engine)};
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
    if (!batch->in_flight)
        ks_producer_count_unsent(p, batch, false);
    /* An idempotent producer that gives up on a batch leaves a gap in its
     * sequence: it bumps its epoch so later batches are accepted. */
    if (!acked && p->idempotent)
        ks_producer_bump_epoch(pp);
    p->queue_sizes[batch->partition]--;
    ks_sticky_index_set(p->sticky_index, batch->partition, p->available[batch->partition],
                        p->queue_sizes[batch->partition]);
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

/* Whether asking any connection a partition may ask whether it is ready
 * can only say yes, with no other effect: none is connecting, backing off,
 * or closed. */
static bool conns_settled(KsSim *sim, KsProducer *p, KsTime now)
{
    /* With no connection failing or connecting, only an open or closed
     * connection, a server or a link can change the answer: it holds
     * while their generations do. */
    bool cacheable = p->troubled == 0;
    if (cacheable && p->settled_valid && p->settled_links == sim->net.links_gen &&
        p->settled_servers == sim->net.servers_gen && p->settled_conns == p->conns_gen)
        return true;
    for (guint i = 0; i < p->conns->len; i++) {
        const KsConnection *c = g_ptr_array_index(p->conns, i);
        if (c && c->leads > 0 &&
            (c->connecting_until > 0 || now < c->reconnect_at ||
             !(ks_net_conn_is_open(&c->net) || ks_net_conn_is_cut(sim, &c->net))))
            return false;
    }
    p->settled_valid = cacheable;
    p->settled_links = sim->net.links_gen;
    p->settled_servers = sim->net.servers_gen;
    p->settled_conns = p->conns_gen;
    return true;
}

static gint by_broker_id(gconstpointer a, gconstpointer b)
{
    const KsConnection *x = *(KsConnection *const *)a, *y = *(KsConnection *const *)b;
    return ks_broker_id_cmp(&x->broker->id, &y->broker->id);
}

/* The active slot after @slot a drain pass visits (-1 when done): every
 * slot with @all, else only those with a batch not in flight. */
static int next_slot(const KsProducer *p, bool all, int slot)
{
    if (!all)
        return ks_producer_next_unsent(p, slot + 1);
    return slot + 1 < (int)p->active->len ? slot + 1 : -1;
}

/* One pass of the Sender: for every broker that is ready and below
 * max.in.flight.requests.per.connection, one request with the first ready
 * batch of each partition it leads. Returns whether it sent anything, and
 * in @again whether another pass could: only if a broker said "not ready"
 * (it may say yes when asked again), a broker that got a request still has
 * room, or acks=0 settled batches as they left. Sending changes nothing
 * else a pass looks at (the network delivers later), so a pass that would
 * find nothing is skipped rather than walked. */
static bool drain_once(KsSim *sim, KsProducer *p, bool all, bool *again)
{
    KsTime now = ks_engine_now(sim->engine);
    bool any = false;
    *again = p->acks == 0;
    uint64_t pass = ++p->drain_pass;
    for (int slot = next_slot(p, all, -1); slot >= 0; slot = next_slot(p, all, slot)) {
        KsProducerPartition *pp = &p->parts[g_array_index(p->active, int32_t, slot)];
        KsConnection *c = pp->conn;
        if (!c)
            continue;
        /* A broker that already gets a request in this pass takes more
         * partitions into it; otherwise it must have room and be ready.
         * Nothing in this loop changes either, and a connection found
         * ready stays so: it is asked once per pass (a "no" is asked
         * again, as a refused connection's backoff may end at once). */
        if (c->drain->len == 0 && c->ready_pass != pass) {
            if (p->acks != 0 && c->in_flight >= p->max_in_flight)
                continue;
            if (!ks_producer_connection_ready(sim, c)) {
                *again = true;
                continue;
            }
            c->ready_pass = pass;
        }
        GList *l = ks_producer_first_unsent(pp);
        if (l && batch_ready(p, l->data, l->next != NULL, now)) {
            if (c->drain->len == 0)
                g_ptr_array_add(p->sending, c);
            g_ptr_array_add(c->drain, l->data);
            any = true;
        }
    }
    /* In broker id order, the order the requests leave in. */
    g_ptr_array_sort(p->sending, by_broker_id);
    for (guint i = 0; i < p->sending->len; i++) {
        KsConnection *c = g_ptr_array_index(p->sending, i);
        ks_producer_send_request(sim, c);
        if (c->in_flight < p->max_in_flight)
            *again = true;
    }
    g_ptr_array_set_size(p->sending, 0);
    return any;
}

/* Sends requests until every broker is at its in-flight limit or nothing
 * is ready: the Sender loops without waiting while it has data to send. */
void ks_producer_drain(KsSim *sim, KsProducer *p)
{
    /* Only a partition with a batch not in flight can add to a request;
     * the others matter only for the connections they ask (in the active
     * set's order), which matters only when an answer could be no. Sending
     * changes no connection's state (the network answers later), so what
     * holds for the first pass holds for the next ones. */
    bool all = !conns_settled(sim, p, ks_engine_now(sim->engine));
    bool again = true;
    while (again && drain_once(sim, p, all, &again))
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
    /* Batches only get older and are created later than the floor was
     * last taken (add_to_batches lowers it for each new one). */
    if (now < p->expiry_floor)
        return;
    KsTime floor = KS_TIME_NEVER;
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
        const KsProducerBatch *oldest = ks_producer_oldest_batch(pp);
        if (oldest)
            floor = MIN(floor, oldest->created + p->delivery_timeout);
        /* settle_batch may have swapped another partition into slot i. */
        if (pp->active_slot == (int)i)
            i++;
    }
    p->expiry_floor = floor;
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
    /* A batch is open from its creation until it is full or sent (then a
     * newer one takes the records), so the partitions listed when their
     * batches were made hold every open one. */
    for (guint i = 0; i < p->open_parts->len;) {
        int32_t partition = g_array_index(p->open_parts, int32_t, i);
        if (opens_new_batch(p, partition)) {
            p->parts[partition].listed_open = false;
            g_array_remove_index_fast(p->open_parts, i);
            continue;
        }
        need = MIN(need, p->batch_records - ks_producer_newest_batch(&p->parts[partition])->count);
        i++;
    }
    if (need <= remaining)
        t = MIN(t, arrival_time(p, p->rate_arrived + need));
    return t;
}
