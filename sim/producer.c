/* SPDX-License-Identifier: MIT */
/*
 * producer.c - Kafka producers: partitioning, the record accumulator, the
 * sender, acks and retries (KafkaProducer, RecordAccumulator, Sender,
 * NetworkClient).
 *
 * Kafka 3.9.0's client (clients/src/main/java/org/apache/kafka/clients/).
 * Records arrive at the producer's rate (or all at once from a `produce`
 * action) and are appended to a batch of their partition; a batch holds
 * batch.size bytes of records. The sender drains, for each broker, the first
 * ready batch of every partition that broker leads into one produce request
 * (DESIGN principle 2), and keeps up to max.in.flight.requests.per.connection
 * requests unanswered per broker. A batch is ready when it is full, when a
 * newer batch exists behind it, when it has waited linger.ms, or when it is
 * a retry whose backoff has passed.
 *
 * Retries (KIP-580): a failed batch waits ExponentialBackoff(retry.backoff.ms,
 * 2, retry.backoff.max.ms, 0.2).backoff(attempts - 1): 80-120 ms, then
 * 160-240, ... up to 1 s with the defaults; retry.backoff.ms above the max is
 * lowered to it (ks_producer_backoff). KIP-951: a retry whose partition has a
 * newer leader epoch in the metadata than its last attempt had skips the
 * backoff. Only NOT_LEADER_OR_FOLLOWER, LEADER_NOT_AVAILABLE and broken
 * connections ask for new metadata (Sender.completeBatch). A batch is given
 * up when retries run out or at delivery.timeout.ms since it was created,
 * sent or not (Sender.getExpiredInflightBatches): a batch in flight is
 * detached from its request, whose answer is then ignored. acks=0 gets no
 * answer: the producer counts a batch as sent and done when it leaves.
 *
 * Connections (NetworkClient, ClusterConnectionStates): a connection is used
 * while the producer believes it open. A broker process killed on a live
 * machine has its connections reset: what was on its way comes back
 * NETWORK_EXCEPTION after one trip, and the next attempt is refused at once.
 * A machine that dies says nothing (net.c): the producer keeps sending on the
 * connection, up to the in-flight limit, and learns only when the oldest
 * request outlives request.timeout.ms (1 ms later: Kafka counts whole
 * milliseconds and wants more than the timeout); then every lost request on
 * the connection fails REQUEST_TIMED_OUT together, the connection is closed
 * and the metadata refreshed. Connecting, the connection setup timeout and
 * the reconnect backoff are in producer-conn.c. The backoffs' jitter is drawn
 * from the producer's own random stream ("producer:NAME:backoff"), so
 * failures do not move its partitioner.
 *
 * The timeline says a partition's writes fail when they start failing (or
 * fail with another error), and that they succeed again only for a success
 * to a request sent after the failures began, once no older request of that
 * partition is unanswered: Kafka has no such notion, and a line that an
 * older answer could contradict 50 us later would not be true.
 *
 * Requests and responses travel through net.c; the broker's side of a
 * request is in broker.c. Requests name their partitions by KsPartition (a
 * sim-wide id), so the per-partition state is found through one function,
 * producer_part, the one place that assumes a producer writes a single topic.
 *
 * Cost: arrivals at the rate are not events. When the producer wakes it
 * takes every record that arrived since, each with its own arrival time, and
 * it sleeps until a batch could become ready: the next record when linger.ms
 * is 0 and a broker has room for a request, else the end of a linger or the
 * arrival that could fill a batch. Per wake and per response the work is
 * proportional to the partitions that have batches, not to the topic.
 *
 * Simplified for now: metadata is read from the controller's state the
 * moment it is refreshed (no Metadata request, no metadata backoff, so the
 * leader a NOT_LEADER_OR_FOLLOWER answer would carry under KIP-951 is known
 * at once anyway; when no leader is reachable it is refreshed every
 * retry.backoff.ms), and metadata.max.age.ms is not enforced; a retry's
 * backoff is drawn once when it fails (Kafka draws afresh at every readiness
 * check); KIP-951's "leader changed" compares the leader epoch of the
 * producer's metadata, not the one the answer carries; while a connection
 * attempt to a dead machine waits, or after a lost request, a machine that
 * comes back does not reset the old connection early (its requests still
 * time out); the broker-side purgatory timeout and the client's
 * request.timeout.ms do not race (the broker's answer wins); batches are
 * not split; idempotent ordering of retries behind new batches
 * (RecordAccumulator.shouldStopDrainBatchesForPartition) is not modelled;
 * max.request.size and buffer.memory are not enforced.
 */
#include "producer-private.h"
#include "actions-private.h"
#include "broker-private.h"
#include "ledger.h"
#include "model.h"

#include <inttypes.h>
#include <string.h>

#include "kafkasim/partitioner.h"

static void producer_wake(KsEngine *engine, void *ctx, uint64_t arg);
static void process(KsSim *sim, KsProducer *p);
static void conn_free(gpointer data);
static void request_free(gpointer data);
static void requests_timed_out(KsEngine *engine, void *ctx, uint64_t arg);

const char *ks_kafka_error_name(KsKafkaError err)
{
    switch (err) {
    case KS_ERR_NONE:
        return "NONE";
    case KS_ERR_REQUEST_TIMED_OUT:
        return "REQUEST_TIMED_OUT";
    case KS_ERR_NOT_LEADER_OR_FOLLOWER:
        return "NOT_LEADER_OR_FOLLOWER";
    case KS_ERR_LEADER_NOT_AVAILABLE:
        return "LEADER_NOT_AVAILABLE";
    case KS_ERR_NETWORK_EXCEPTION:
        return "NETWORK_EXCEPTION";
    case KS_ERR_NOT_ENOUGH_REPLICAS:
        return "NOT_ENOUGH_REPLICAS";
    case KS_ERR_NOT_ENOUGH_REPLICAS_AFTER_APPEND:
        return "NOT_ENOUGH_REPLICAS_AFTER_APPEND";
    case KS_ERR_OUT_OF_ORDER_SEQUENCE_NUMBER:
        return "OUT_OF_ORDER_SEQUENCE_NUMBER";
    case KS_ERR_COORDINATOR_LOAD_IN_PROGRESS:
        return "COORDINATOR_LOAD_IN_PROGRESS";
    case KS_ERR_COORDINATOR_NOT_AVAILABLE:
        return "COORDINATOR_NOT_AVAILABLE";
    case KS_ERR_NOT_COORDINATOR:
        return "NOT_COORDINATOR";
    case KS_ERR_ILLEGAL_GENERATION:
        return "ILLEGAL_GENERATION";
    case KS_ERR_UNKNOWN_MEMBER_ID:
        return "UNKNOWN_MEMBER_ID";
    case KS_ERR_INVALID_SESSION_TIMEOUT:
        return "INVALID_SESSION_TIMEOUT";
    case KS_ERR_REBALANCE_IN_PROGRESS:
        return "REBALANCE_IN_PROGRESS";
    case KS_ERR_MEMBER_ID_REQUIRED:
        return "MEMBER_ID_REQUIRED";
    }
    return "UNKNOWN";
}

/* Whether @key was given, in the producer's own configs or as a default. */
static bool given(KsConfigKey key, const KsConfigSet *own, const KsConfigSet *defaults)
{
    return ks_config_set_has(own, key) || ks_config_set_has(defaults, key);
}

KsProducer *ks_producer_new(KsSim *sim, const KsPlanProducer *plan, KsTopic *topic, int index)
{
    KsProducer *p = g_new0(KsProducer, 1);
    const KsConfigSet *cfg = plan ? plan->configs : NULL;
    const KsConfigSet *def = sim->defaults;
    p->sim = sim;
    p->name = g_strdup(plan ? plan->name : "console");
    p->index = index;
    p->topic = topic;
    p->node = plan && plan->node ? ks_sim_find_node(sim, plan->node) : NULL;
    /* A client process runs for the whole run (crash-node does not stop it). */
    ks_net_endpoint_init(&p->ep, p->node, true);
    p->plan = plan;
    p->acks = (int32_t)ks_config_resolve(KS_CFG_ACKS, cfg, def);
    p->linger = ks_config_resolve(KS_CFG_LINGER_MS, cfg, def);
    p->record_size = plan ? plan->record_size : KS_DEFAULT_RECORD_SIZE;
    p->batch_records = MAX(1, ks_config_resolve(KS_CFG_BATCH_SIZE, cfg, def) / p->record_size);
    p->max_in_flight = ks_config_resolve(KS_CFG_MAX_IN_FLIGHT_REQUESTS_PER_CONNECTION, cfg, def);
    p->retries = ks_config_resolve(KS_CFG_RETRIES, cfg, def);
    /* ExponentialBackoff's constructor lowers retry.backoff.ms to
     * retry.backoff.max.ms (then the backoff is static). */
    p->retry_backoff_max = ks_config_resolve(KS_CFG_RETRY_BACKOFF_MAX_MS, cfg, def);
    p->retry_backoff =
        MIN(ks_config_resolve(KS_CFG_RETRY_BACKOFF_MS, cfg, def), p->retry_backoff_max);
    /* CommonClientConfigs.postProcessReconnectBackoffConfigs: with
     * reconnect.backoff.ms given and reconnect.backoff.max.ms not, the max is
     * the same value (no doubling). */
    p->reconnect_backoff = ks_config_resolve(KS_CFG_RECONNECT_BACKOFF_MS, cfg, def);
    p->reconnect_backoff_max = given(KS_CFG_RECONNECT_BACKOFF_MS, cfg, def) &&
                                       !given(KS_CFG_RECONNECT_BACKOFF_MAX_MS, cfg, def)
                                   ? p->reconnect_backoff
                                   : ks_config_resolve(KS_CFG_RECONNECT_BACKOFF_MAX_MS, cfg, def);
    p->setup_timeout = ks_config_resolve(KS_CFG_SOCKET_CONNECTION_SETUP_TIMEOUT_MS, cfg, def);
    p->setup_timeout_max =
        ks_config_resolve(KS_CFG_SOCKET_CONNECTION_SETUP_TIMEOUT_MAX_MS, cfg, def);
    p->request_timeout = ks_config_resolve(KS_CFG_REQUEST_TIMEOUT_MS, cfg, def);
    (void)ks_config_producer_effective(cfg, def, &p->idempotent, &p->delivery_timeout);
    p->ignore_keys = ks_config_resolve(KS_CFG_PARTITIONER_IGNORE_KEYS, cfg, def) != 0;
    p->adaptive = ks_config_resolve(KS_CFG_PARTITIONER_ADAPTIVE_PARTITIONING_ENABLE, cfg, def) != 0;
    p->partitioner = plan ? plan->partitioner : KS_PARTITIONER_DEFAULT;
    p->sticky.current = -1;
    /* Its own random stream: "producer:NAME", or "console:TOPIC". */
    g_autofree char *stream = plan ? g_strconcat("producer:", plan->name, NULL)
                                   : g_strconcat("console:", topic->name, NULL);
    ks_rng_init_stream(&p->rng, sim->seed, ks_rng_stream_id(stream));
    /* The backoffs' jitter draws from a stream of its own, so a failure does
     * not move the partitioner's choices. */
    g_autofree char *jitter = g_strconcat(stream, ":backoff", NULL);
    ks_rng_init_stream(&p->jitter, sim->seed, ks_rng_stream_id(jitter));

    int32_t n = topic->n_partitions;
    p->parts = g_new0(KsProducerPartition, n);
    p->available = g_new0(bool, n);
    p->queue_sizes = g_new0(int32_t, n);
    p->active = g_array_new(FALSE, FALSE, sizeof(int32_t));
    for (int32_t i = 0; i < n; i++) {
        g_queue_init(&p->parts[i].batches);
        p->parts[i].active_slot = -1;
        p->parts[i].leader = KS_NO_BROKER;
    }
    p->conns = g_ptr_array_new_with_free_func(conn_free);
    ks_timer_init(&p->wake, producer_wake, p);
    return p;
}

/* The connection to @b: every broker has one, made on first use, in the
 * slot of @b (a broker added later gets its own). */
static KsConnection *conn_for(KsProducer *p, KsBroker *b)
{
    if (p->conns->len <= (guint)b->slot)
        g_ptr_array_set_size(p->conns, b->slot + 1);
    KsConnection *c = g_ptr_array_index(p->conns, b->slot);
    if (!c) {
        c = g_new0(KsConnection, 1);
        c->producer = p;
        c->broker = b;
        ks_net_conn_init(&p->sim->net, &c->net, &p->ep, &b->ep);
        g_queue_init(&c->requests);
        c->drain = g_ptr_array_new();
        ks_broker_init_connection(p->sim, c);
        g_queue_init(&c->lost);
        ks_timer_init(&c->timeout, requests_timed_out, c);
        p->conns->pdata[b->slot] = c;
    }
    return c;
}

/* @part's accumulator state: the producer writes one topic for now, so it
 * is the partition's index in that topic (requests name partitions by
 * KsPartition, whatever their topic). */
static KsProducerPartition *producer_part(KsProducer *p, const KsPartition *part)
{
    g_assert(part->topic == p->topic);
    return &p->parts[part->index];
}

/* Frees @data, a request. Its batches' waits belong to their partitions'
 * queues, which free them. */
static void request_free(gpointer data)
{
    KsProduceRequest *req = data;
    g_array_free(req->batches, TRUE);
    g_free(req);
}

/* A request to fill, a spare one when there is one. */
static KsProduceRequest *request_new(KsProducer *p)
{
    GList *spare = g_queue_pop_head_link(&p->spare_requests);
    KsProduceRequest *req = spare ? spare->data : g_new0(KsProduceRequest, 1);
    GArray *batches = spare ? req->batches : g_array_new(FALSE, TRUE, sizeof(KsRequestBatch));
    *req = (KsProduceRequest){.link.data = req, .batches = batches};
    return req;
}

/* A new empty batch, a spare one when there is one. */
static KsProducerBatch *batch_new(KsProducer *p)
{
    GList *spare = g_queue_pop_head_link(&p->spare_batches);
    KsProducerBatch *batch = spare ? spare->data : g_new(KsProducerBatch, 1);
    *batch = (KsProducerBatch){.link.data = batch};
    return batch;
}

/* Empties @q, a queue whose nodes belong to its items (their link), and
 * frees the items with @free_item. */
static void clear_linked(GQueue *q, GDestroyNotify free_item)
{
    GList *link;
    while ((link = g_queue_pop_head_link(q)))
        free_item(link->data);
}

static void conn_free(gpointer data)
{
    KsConnection *c = data;
    if (!c)
        return;
    ks_purgatory_clear_timeouts(&c->parked);
    g_queue_clear(&c->lost);
    clear_linked(&c->requests, request_free);
    g_ptr_array_free(c->drain, TRUE);
    g_free(c);
}

void ks_producer_free(KsProducer *p)
{
    if (!p)
        return;
    g_ptr_array_free(p->conns, TRUE);
    for (int32_t i = 0; i < p->topic->n_partitions; i++) {
        clear_linked(&p->parts[i].batches, g_free);
    }
    clear_linked(&p->spare_batches, g_free);
    clear_linked(&p->spare_requests, request_free);
    g_array_free(p->active, TRUE);
    g_free(p->queue_sizes);
    g_free(p->available);
    g_free(p->parts);
    g_free(p->name);
    g_free(p);
}

/* ---- metadata and partitioning ---- */

/* Reads every partition's current leader, as a Metadata response would. */
void ks_producer_refresh_metadata(KsSim *sim, KsProducer *p)
{
    p->has_metadata = true;
    for (guint i = 0; i < p->conns->len; i++) {
        KsConnection *c = g_ptr_array_index(p->conns, i);
        if (c)
            c->leads = 0;
    }
    for (int32_t i = 0; i < p->topic->n_partitions; i++) {
        KsProducerPartition *pp = &p->parts[i];
        pp->leader = p->topic->partitions[i].leader;
        pp->leader_epoch = p->topic->partitions[i].leader_epoch;
        p->available[i] = pp->leader != KS_NO_BROKER;
        pp->conn = NULL;
        if (pp->leader != KS_NO_BROKER) {
            pp->conn = conn_for(p, ks_sim_find_broker(sim, pp->leader));
            pp->conn->leads++;
        }
    }
}

/* Whether keys choose the partition: with Kafka's default partitioner and
 * the key partitioner, unless partitioner.ignore.keys. */
static bool uses_keys(const KsProducer *p)
{
    return (p->partitioner == KS_PARTITIONER_DEFAULT || p->partitioner == KS_PARTITIONER_KEY) &&
           !p->ignore_keys;
}

/* A partition's newest and oldest batch, NULL with none (inline: they are
 * asked for every record). */
static inline KsProducerBatch *newest_batch(const KsProducerPartition *pp)
{
    return pp->batches.tail ? pp->batches.tail->data : NULL;
}

static inline KsProducerBatch *oldest_batch(const KsProducerPartition *pp)
{
    return pp->batches.head ? pp->batches.head->data : NULL;
}

/* Whether one more record for @partition would need a new batch: its newest
 * batch is gone, sent, a retry, or full. */
static bool opens_new_batch(const KsProducer *p, int32_t partition)
{
    const KsProducerBatch *last = newest_batch(&p->parts[partition]);
    return !last || last->in_flight || last->attempts > 0 || last->count >= p->batch_records;
}

/* Partition of one record that names none; @key is NULL for a null key.
 * Only records the sticky partitioner places count towards its switch
 * (BuiltInPartitioner.updatePartitionInfo). */
static int32_t choose_partition(KsProducer *p, const char *key)
{
    int32_t n = p->topic->n_partitions;
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

/* ---- the accumulator ---- */

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
        KsProducerBatch *last = newest_batch(pp);
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
 * its arrival time. The first send() fetches the topic's metadata. */
static void take_arrivals(KsSim *sim, KsProducer *p)
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
    if (!p->has_metadata)
        ks_producer_refresh_metadata(sim, p);
    char key[300];
    int32_t run_partition = -1; /* the partition of the current run of records */
    int64_t run = 0;
    for (int64_t i = 0; i < n; i++) {
        KsTime when = arrival_time(p, ++p->rate_arrived);
        const char *k = NULL;
        if (p->plan->keys > 0) {
            g_snprintf(key, sizeof key, "%s%" G_GINT64_FORMAT, p->plan->key_prefix,
                       (int64_t)ks_rng_below(&p->rng, (uint64_t)p->plan->keys));
            k = key;
        }
        int32_t partition = choose_partition(p, k);
        if (partition != run_partition && run > 0) {
            ks_ledger_produced(sim->ledger, p->index, &p->topic->partitions[run_partition], run);
            run = 0;
        }
        run_partition = partition;
        run++;
        add_to_batches(p, partition, 1, when);
    }
    if (run > 0)
        ks_ledger_produced(sim->ledger, p->index, &p->topic->partitions[run_partition], run);
    p->generated += n;
}

void ks_producer_send(KsSim *sim, KsProducer *p, int64_t count, const char *key, int32_t partition)
{
    KsTime now = ks_engine_now(sim->engine);
    /* Records that arrived at the rate before this send come first. */
    take_arrivals(sim, p);
    if (!p->has_metadata)
        ks_producer_refresh_metadata(sim, p);
    if (partition < 0 && key && uses_keys(p) && p->partitioner != KS_PARTITIONER_EXPLICIT)
        partition = ks_partition_for_key(key, strlen(key), p->topic->n_partitions);
    if (partition >= 0) {
        ks_ledger_produced(sim->ledger, p->index, &p->topic->partitions[partition], count);
        add_to_batches(p, partition, count, now);
    } else {
        for (int64_t i = 0; i < count; i++) {
            int32_t chosen = choose_partition(p, key);
            ks_ledger_produced(sim->ledger, p->index, &p->topic->partitions[chosen], 1);
            add_to_batches(p, chosen, 1, now);
        }
    }
    process(sim, p);
}

/* ---- requests ---- */

static void emit_client(KsSim *sim, KsEventType type, KsProducer *p, int32_t partition, int64_t n,
                        const char *error)
{
    KsEvent ev = ks_event_init(type, ks_engine_now(sim->engine));
    if (type == KS_EV_PRODUCE_RECOVERED) {
        ev.produce_recovered.producer = p->name;
        ev.produce_recovered.topic = p->topic->name;
        ev.produce_recovered.partition = partition;
        ev.produce_recovered.records_given_up = n;
    } else if (type == KS_EV_PRODUCE_FAILING) {
        ev.produce_failing.producer = p->name;
        ev.produce_failing.topic = p->topic->name;
        ev.produce_failing.partition = partition;
        ev.produce_failing.error = error;
    } else {
        ev.records_expired.producer = p->name;
        ev.records_expired.topic = p->topic->name;
        ev.records_expired.partition = partition;
        ev.records_expired.records = n;
        ev.records_expired.reason = error;
    }
    ks_sim_emit(sim, &ev);
}

/* KIP-360: the idempotent producer bumps its epoch for @pp and
 * re-sequences what it still holds, so the new epoch starts at its oldest
 * unacknowledged batch (or at the next record, if it holds none). */
static void bump_epoch(KsProducerPartition *pp)
{
    const KsProducerBatch *head = oldest_batch(pp);
    pp->producer_epoch++;
    pp->epoch_base_seq = head ? head->first_seq : pp->next_seq;
}

/* The batch is done: acknowledged (its range judged by the ledger now when
 * @seen, else when the acks=0 request lands) or refused. */
static void settle_batch(KsSim *sim, KsProducer *p, KsProducerBatch *batch, bool acked, bool seen)
{
    KsProducerPartition *pp = &p->parts[batch->partition];
    ks_ledger_settled(sim->ledger, p->index, &p->topic->partitions[batch->partition],
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
        bump_epoch(pp);
    p->queue_sizes[batch->partition]--;
    if (g_queue_is_empty(&pp->batches))
        deactivate(p, batch->partition);
    g_queue_push_head_link(&p->spare_batches, &batch->link);
}

static void request_arrives(KsSim *sim, void *ctx, uint64_t arg, bool delivered);
static void response_arrives(KsSim *sim, void *ctx, uint64_t arg, bool delivered);

/* --verbose: the request @req to @c's broker, as a request event. */
static void emit_produce_request(KsSim *sim, const KsProducer *p, const KsConnection *c,
                                 const KsProduceRequest *req)
{
    int64_t records = 0;
    for (guint i = 0; i < req->batches->len; i++)
        records += g_array_index(req->batches, KsRequestBatch, i).count;
    g_autofree char *from = g_strdup_printf("producer %s", p->name);
    g_autofree char *detail =
        g_strdup_printf("%u batch%s, %" PRId64 " record%s, acks=%s", req->batches->len,
                        req->batches->len == 1 ? "" : "es", records, records == 1 ? "" : "s",
                        p->acks == -1  ? "all"
                        : p->acks == 0 ? "0"
                                       : "1");
    ks_sim_emit_request(sim, "Produce", from, c->broker->id, detail);
}

static void send_request(KsSim *sim, KsConnection *c)
{
    KsProducer *p = c->producer;
    KsProduceRequest *req = request_new(p);
    req->conn = c;
    req->sent = ks_engine_now(sim->engine);
    for (guint i = 0; i < c->drain->len; i++) {
        KsProducerBatch *batch = g_ptr_array_index(c->drain, i);
        batch->in_flight = true;
        batch->attempts++;
        batch->sent = req->sent;
        batch->request = req;
        batch->slot = i;
        batch->leader_epoch = p->parts[batch->partition].leader_epoch;
        KsRequestBatch rb = {.part = &p->topic->partitions[batch->partition],
                             .producer_epoch = p->parts[batch->partition].producer_epoch,
                             .epoch_base_seq = p->parts[batch->partition].epoch_base_seq,
                             .first_seq = batch->first_seq,
                             .count = batch->count,
                             .batch = batch};
        /* acks=0: nothing will answer; the batch is done once it leaves,
         * and its fate reaches the ledger when the broker has handled it. */
        if (p->acks == 0) {
            settle_batch(sim, p, batch, true, false);
            rb.batch = NULL;
        }
        g_array_append_val(req->batches, rb);
    }
    g_ptr_array_set_size(c->drain, 0);
    g_queue_push_tail_link(&c->requests, &req->link);
    sim->stats.produce_requests++;
    if (p->acks != 0)
        c->in_flight++;
    if (sim->verbose)
        emit_produce_request(sim, p, c, req);
    int64_t records = 0;
    for (guint i = 0; i < req->batches->len; i++)
        records += g_array_index(req->batches, KsRequestBatch, i).count;
    ks_net_send_bytes(sim, &p->ep, &c->broker->ep, KS_NET_PRODUCE_REQUEST, records * p->record_size,
                      request_arrives, req, 0);
}

/* KIP-951: a retry whose partition has a newer leader in the metadata than
 * the one its last attempt went to skips retry.backoff.ms
 * (ProducerBatch.hasLeaderChangedForTheOngoingRetry, :113-136;
 * RecordAccumulator.shouldBackoff, :813-815). In 3.9 the new leader comes
 * with the NOT_LEADER_OR_FOLLOWER answer (Sender.java:610-637, :715-719); here
 * every failure refreshes the metadata at once, which is at least as new. */
static bool leader_changed(const KsProducer *p, const KsProducerBatch *batch)
{
    return batch->attempts > 0 && p->parts[batch->partition].leader_epoch > batch->leader_epoch;
}

/* Whether @batch, the first unsent one of its partition, may go now. */
static bool batch_ready(const KsProducer *p, const KsProducerBatch *batch, bool newer, KsTime now)
{
    if (batch->retry_after > now && !leader_changed(p, batch))
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
            send_request(sim, c);
    }
    return any;
}

/* Sends requests until every broker is at its in-flight limit or nothing
 * is ready: the Sender loops without waiting while it has data to send. */
static void drain(KsSim *sim, KsProducer *p)
{
    while (drain_once(sim, p))
        ;
}

static void fail_all(KsProduceRequest *req, KsKafkaError err)
{
    for (guint i = 0; i < req->batches->len; i++)
        g_array_index(req->batches, KsRequestBatch, i).error = err;
}

static void request_done(KsProduceRequest *req)
{
    g_queue_unlink(&req->conn->requests, &req->link);
    g_array_set_size(req->batches, 0);
    g_queue_push_head_link(&req->conn->producer->spare_requests, &req->link);
}

/* Arms @c's request timeout for its oldest lost request:
 * InFlightRequests.nodesWithTimedOutRequests (:155-180) fires once
 * timeElapsedSinceSendMs > request.timeout.ms, in whole milliseconds, so 1 ms
 * after the timeout itself. */
static void arm_request_timeout(KsSim *sim, KsConnection *c)
{
    KsTime oldest = KS_TIME_NEVER;
    for (GList *l = c->lost.head; l; l = l->next)
        oldest = MIN(oldest, ((KsProduceRequest *)l->data)->sent);
    if (oldest == KS_TIME_NEVER)
        ks_timer_cancel(sim->engine, &c->timeout);
    else
        ks_timer_arm_at(
            sim->engine, &c->timeout,
            MAX(ks_engine_now(sim->engine), oldest + c->producer->request_timeout + KS_TIME_MS));
}

/* The broker's answer leaves for the producer. A broker process that died
 * had its connections reset by its kernel, so the producer hears of it after
 * one trip; a machine that is down says nothing (net.c sends nothing): the
 * request is lost, and the producer learns only from request.timeout.ms
 * (requests_timed_out). acks=0 requests get no answer. */
void ks_producer_respond(KsSim *sim, KsProduceRequest *req)
{
    KsConnection *c = req->conn;
    KsProducer *p = c->producer;
    if (p->acks == 0) {
        /* The producer took these as written when they left: from now on
         * they count in the ledger, whatever the broker did with them. */
        for (guint i = 0; i < req->batches->len; i++) {
            const KsRequestBatch *rb = &g_array_index(req->batches, KsRequestBatch, i);
            ks_ledger_landed(sim->ledger, p->index, rb->part, rb->first_seq, rb->count);
        }
        request_done(req);
        return;
    }
    if (ks_net_send(sim, &c->broker->ep, &p->ep, KS_NET_PRODUCE_RESPONSE, response_arrives, req, 0))
        return;
    fail_all(req, KS_ERR_REQUEST_TIMED_OUT);
    g_queue_push_tail(&c->lost, req);
    /* Sent before the client closed the connection for a timeout: it was
     * among the requests failed then (NetworkClient cancels every request
     * in flight on the connection); it hears so now. */
    if (req->sent < c->closed_at) {
        requests_timed_out(sim->engine, c, 0);
        return;
    }
    arm_request_timeout(sim, c);
}

/* The request reaches the broker, or finds its process gone (net.c): then
 * the connection broke, and the producer hears NETWORK_EXCEPTION. */
static void request_arrives(KsSim *sim, void *ctx, uint64_t arg, bool delivered)
{
    KsProduceRequest *req = ctx;
    if (!delivered) {
        fail_all(req, KS_ERR_NETWORK_EXCEPTION);
        ks_producer_respond(sim, req);
        return;
    }
    ks_broker_handle_produce(sim, req);
}

/* NetworkClient.handleTimedOutRequests (:866-874): a request outlived
 * request.timeout.ms; the client closes the connection ("Disconnecting from
 * node N due to request timeout.") and every request in flight on it fails
 * REQUEST_TIMED_OUT at once (processTimeoutDisconnection, :814-816, :827-857;
 * Sender.java:587-592), then the metadata is refreshed. A request still on
 * its way is failed when the network gives it back (ks_producer_respond). */
static void requests_timed_out(KsEngine *engine, void *ctx, uint64_t arg)
{
    KsConnection *c = ctx;
    KsProducer *p = c->producer;
    KsSim *sim = p->sim;
    KsTime now = ks_engine_now(engine);
    ks_timer_cancel(engine, &c->timeout);
    if (c->closed_at < now) {
        g_autofree char *why =
            g_strdup_printf("Disconnecting from node %d due to request timeout.", c->broker->id);
        ks_producer_emit_connection(sim, c, why);
    }
    c->closed_at = now;
    if (ks_net_conn_is_silent(&c->net))
        ks_net_conn_close(&c->net);
    KsProduceRequest *req;
    while ((req = g_queue_pop_head(&c->lost)))
        response_arrives(sim, req, 0, true);
    ks_producer_refresh_metadata(sim, p);
    process(sim, p);
}

/* Whether a batch of @pp sent before @sent is still unanswered. */
static bool older_in_flight(const KsProducerPartition *pp, KsTime sent)
{
    for (GList *l = pp->batches.head; l; l = l->next) {
        const KsProducerBatch *b = l->data;
        if (b->in_flight && b->sent < sent)
            return true;
    }
    return false;
}

/* The answer reaches the producer (the client process never stops, so it
 * is always delivered). */
static void response_arrives(KsSim *sim, void *ctx, uint64_t arg, bool delivered)
{
    KsProduceRequest *req = ctx;
    KsConnection *c = req->conn;
    KsProducer *p = c->producer;
    KsTime now = ks_engine_now(sim->engine);
    bool refresh = false;
    c->in_flight--;
    for (guint i = 0; i < req->batches->len; i++) {
        KsRequestBatch *rb = &g_array_index(req->batches, KsRequestBatch, i);
        KsProducerBatch *batch = rb->batch;
        KsProducerPartition *pp = producer_part(p, rb->part);
        /* Given up by delivery.timeout.ms while in flight: the answer only
         * logs "ProduceResponse returned ... after batch ... had already
         * been aborted" (ProducerBatch.java:280), even if it was written. */
        if (!batch)
            continue;
        batch->request = NULL;
        if (rb->error == KS_ERR_NONE) {
            /* "Succeed again" only for a request sent since the failures
             * began, and once no older request for the partition is
             * unanswered: its answer may still be a failure. */
            if (pp->failing && req->sent >= pp->failing_since && !older_in_flight(pp, req->sent)) {
                pp->failing = false;
                emit_client(sim, KS_EV_PRODUCE_RECOVERED, p, rb->part->index, pp->refused, NULL);
                pp->refused = 0;
            }
            settle_batch(sim, p, batch, true, true);
            continue;
        }
        if (!pp->failing)
            pp->failing_since = now;
        if (!pp->failing || pp->last_error != rb->error) {
            pp->failing = true;
            pp->last_error = rb->error;
            emit_client(sim, KS_EV_PRODUCE_FAILING, p, rb->part->index, 0,
                        ks_kafka_error_name(rb->error));
        }
        /* Sender.completeBatch (:705-722): only an InvalidMetadataException
         * asks for new metadata; a broken connection does too
         * (NetworkClient.processDisconnection, :856). */
        refresh |= rb->error == KS_ERR_NOT_LEADER_OR_FOLLOWER ||
                   rb->error == KS_ERR_LEADER_NOT_AVAILABLE ||
                   rb->error == KS_ERR_NETWORK_EXCEPTION;
        batch->in_flight = false;
        /* TransactionManager.canRetry: out of sequence although the batch
         * is the next one after the last acknowledged sequence means a
         * real gap (the leader lost records): the producer bumps its epoch
         * and the retry starts afresh (KIP-360). Otherwise an earlier batch
         * is still unresolved, or this one was written and only its answer
         * was lost: it just retries. */
        if (rb->error == KS_ERR_OUT_OF_ORDER_SEQUENCE_NUMBER && batch->first_seq == pp->acked_upto)
            bump_epoch(pp);
        if (batch->attempts > p->retries || now - batch->created >= p->delivery_timeout) {
            emit_client(sim, KS_EV_RECORDS_EXPIRED, p, rb->part->index, batch->count,
                        ks_kafka_error_name(rb->error));
            settle_batch(sim, p, batch, false, false);
        } else {
            /* KIP-580: RecordAccumulator.shouldBackoff waits
             * retryBackoff.backoff(attempts - 1) (:813-815), drawn here once. */
            batch->retry_after =
                now + ks_producer_backoff(&p->jitter, p->retry_backoff, p->retry_backoff_max,
                                          batch->attempts - 1);
        }
    }
    request_done(req);
    if (refresh)
        ks_producer_refresh_metadata(sim, p);
    process(sim, p);
}

/* ---- waking up ---- */

/* Gives up on batches that reached delivery.timeout.ms, sent or not
 * (Sender.sendProducerData, :415-417: RecordAccumulator.expiredBatches and
 * getExpiredInflightBatches, :186-218; ProducerBatch.hasReachedDeliveryTimeout,
 * :414-416). A batch in flight is detached from its request, which stays
 * until answered or timed out. A partition's batches are in creation order
 * (retries keep their place), so the walk stops at the first that has time
 * left. */
static void expire_batches(KsSim *sim, KsProducer *p)
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
            settle_batch(sim, p, batch, false, false);
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

/* Whether the producer should ask for metadata: a partition with batches
 * has no known leader, or its leader cannot be reached. Kafka requests an
 * update then, at most every retry.backoff.ms. */
static bool needs_metadata(KsSim *sim, KsProducer *p)
{
    for (guint i = 0; i < p->active->len; i++) {
        const KsProducerPartition *pp = &p->parts[g_array_index(p->active, int32_t, i)];
        const KsConnection *c = pp->conn;
        if (!c || c->failures > 0)
            return true;
    }
    return false;
}

/* Whether some partition's leader could take a request now (before the
 * first send, which fetches metadata, the answer is yes). */
static bool any_room(KsSim *sim, KsProducer *p)
{
    if (p->acks == 0 || !p->has_metadata)
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
static KsTime arrival_deadline(KsSim *sim, KsProducer *p)
{
    int64_t remaining = rate_remaining(p);
    if (remaining <= 0)
        return KS_TIME_NEVER;
    if (p->linger == 0 && !any_room(sim, p))
        return KS_TIME_NEVER; /* a response will come first and drain */
    KsTime t = arrival_time(p, p->rate_arrived + 1) + p->linger;
    int64_t need = p->batch_records;
    for (guint i = 0; i < p->active->len; i++) {
        int32_t partition = g_array_index(p->active, int32_t, i);
        const KsProducerBatch *last = newest_batch(&p->parts[partition]);
        if (!opens_new_batch(p, partition))
            need = MIN(need, p->batch_records - last->count);
    }
    if (need <= remaining)
        t = MIN(t, arrival_time(p, p->rate_arrived + need));
    return t;
}

/* Arms the wake timer for the earliest future moment something changes:
 * a record arrival that matters (above), a batch whose linger or retry
 * backoff ends, a batch that would expire, a reconnection attempt, a
 * metadata refresh. A batch that is ready but held back by the in-flight
 * limit needs no timer: the response that frees the slot drains it. Only
 * two batches per partition matter, the first unsent one (oldest: expiry,
 * retry) and the newest (linger). */
static void schedule_wake(KsSim *sim, KsProducer *p)
{
    KsTime now = ks_engine_now(sim->engine);
    KsTime next = arrival_deadline(sim, p);
    for (guint i = 0; i < p->active->len; i++) {
        KsProducerPartition *pp = &p->parts[g_array_index(p->active, int32_t, i)];
        const KsProducerBatch *oldest = oldest_batch(pp);
        next = MIN(next, oldest->created + p->delivery_timeout);
        const KsProducerBatch *first = NULL;
        for (GList *l = pp->batches.head; l && !first; l = l->next)
            if (!((KsProducerBatch *)l->data)->in_flight)
                first = l->data;
        if (!first)
            continue;
        if (first->attempts > 0 && first->retry_after > now && !leader_changed(p, first))
            next = MIN(next, first->retry_after);
        const KsProducerBatch *last = newest_batch(pp);
        if (last->attempts == 0 && !last->in_flight && last->created + p->linger > now)
            next = MIN(next, last->created + p->linger);
    }
    for (guint i = 0; i < p->conns->len; i++) {
        const KsConnection *c = g_ptr_array_index(p->conns, i);
        if (c && c->failures > 0 && c->reconnect_at > now)
            next = MIN(next, c->reconnect_at);
        if (c && c->connecting_until > now)
            next = MIN(next, c->connecting_until);
    }
    if (needs_metadata(sim, p))
        next = MIN(next, now + p->retry_backoff);
    if (next == KS_TIME_NEVER)
        ks_timer_cancel(sim->engine, &p->wake);
    else
        ks_timer_arm_at(sim->engine, &p->wake, MAX(next, now + 1));
}

/* What the producer does whenever something happened: takes the records
 * that arrived, gives up on expired ones, sends what is ready, and sleeps
 * until the next thing that can matter. */
static void process(KsSim *sim, KsProducer *p)
{
    take_arrivals(sim, p);
    expire_batches(sim, p);
    drain(sim, p);
    schedule_wake(sim, p);
}

static void producer_wake(KsEngine *engine, void *ctx, uint64_t arg)
{
    KsProducer *p = ctx;
    if (needs_metadata(p->sim, p))
        ks_producer_refresh_metadata(p->sim, p);
    process(p->sim, p);
}

void ks_producer_start(KsSim *sim, KsProducer *p)
{
    p->running = true;
    p->rate_start = ks_engine_now(sim->engine);
    p->rate_arrived = 0;
    KsEvent ev = ks_event_init(KS_EV_PRODUCER_STARTED, p->rate_start);
    ev.producer_event.producer = p->name;
    ev.producer_event.topic = p->topic->name;
    ks_sim_emit(sim, &ev);
    process(sim, p);
}

/* Stops the application's sends; what is buffered is still sent (close()
 * flushes). */
void ks_producer_stop(KsSim *sim, KsProducer *p)
{
    take_arrivals(sim, p);
    p->running = false;
    KsEvent ev = ks_event_init(KS_EV_PRODUCER_STOPPED, ks_engine_now(sim->engine));
    ev.producer_event.producer = p->name;
    ev.producer_event.topic = p->topic->name;
    ks_sim_emit(sim, &ev);
    process(sim, p);
}

/* ---- timeline actions ---- */

void ks_producer_action_start(KsSim *sim, const KsPlanAction *a)
{
    KsProducer *p = ks_sim_find_producer(sim, a->name);
    if (p->running)
        ks_sim_note(sim, a->loc.line, "producer %s is already running", p->name);
    else
        ks_producer_start(sim, p);
}

void ks_producer_action_stop(KsSim *sim, const KsPlanAction *a)
{
    KsProducer *p = ks_sim_find_producer(sim, a->name);
    if (!p->running)
        ks_sim_note(sim, a->loc.line, "producer %s is already stopped", p->name);
    else
        ks_producer_stop(sim, p);
}

/* The producer of `produce` actions that name none: one per topic, with
 * Kafka's default configs (and the `set` defaults), like a console
 * producer. */
static KsProducer *console_for(KsSim *sim, KsTopic *t)
{
    if (!sim->consoles[t->index]) {
        KsProducer *p = ks_producer_new(sim, NULL, t, (int)sim->producers->len);
        g_ptr_array_add(sim->producers, p);
        sim->consoles[t->index] = p;
    }
    return sim->consoles[t->index];
}

void ks_producer_action_produce(KsSim *sim, const KsPlanAction *a)
{
    KsProducer *p = a->producer ? ks_sim_find_producer(sim, a->producer)
                                : console_for(sim, ks_sim_find_topic(sim, a->topic));
    KsEvent ev = ks_event_init(KS_EV_PRODUCE, ks_engine_now(sim->engine));
    ev.produce.producer = p->name;
    ev.produce.topic = p->topic->name;
    ev.produce.partition = a->partition;
    ev.produce.records = a->count;
    ev.produce.key = a->key;
    ks_sim_emit(sim, &ev);
    ks_producer_send(sim, p, a->count, a->key, a->partition);
}
