/* SPDX-License-Identifier: MIT */
/*
 * producer.c - Kafka producers: their lifecycle, the produce requests the
 * sender builds, acks and retries (KafkaProducer, Sender, NetworkClient).
 *
 * Kafka 3.9.0's client (clients/src/main/java/org/apache/kafka/clients/).
 * The record accumulator (partitioning, batches, linger, drain, expiry) is
 * in producer-accum.c, the connections and the shared backoff in
 * producer-conn.c, the metadata (Metadata requests to a broker's cache) in
 * producer-metadata.c. This file sends the requests the drain builds,
 * answers them for the broker (broker.c decides), and handles the answers.
 *
 * Retries (KIP-580): a failed batch waits ExponentialBackoff(retry.backoff.ms,
 * 2, retry.backoff.max.ms, 0.2).backoff(attempts - 1): 80-120 ms, then
 * 160-240, ... up to 1 s with the defaults; retry.backoff.ms above the max is
 * lowered to it (ks_producer_backoff). KIP-951: a NOT_LEADER_OR_FOLLOWER
 * answer names the leader the answering broker knows (its own partition,
 * else its metadata cache: KafkaApis.getCurrentLeader), which the producer
 * takes if its epoch is newer (Metadata.updatePartitionLeadership); a retry
 * whose partition has a newer leader epoch than its last attempt had skips
 * the backoff. Only NOT_LEADER_OR_FOLLOWER, LEADER_NOT_AVAILABLE and broken
 * connections ask for new metadata (Sender.completeBatch). A batch is given
 * up when retries run out or at delivery.timeout.ms since it was created
 * (producer-accum.c). acks=0 gets no answer: the producer counts a batch as
 * sent and done when it leaves.
 *
 * Connections (NetworkClient, ClusterConnectionStates): a connection is used
 * while the producer believes it open. A broker process killed on a live
 * machine has its connections reset: what was on its way comes back
 * NETWORK_EXCEPTION after one trip, and the next attempt is refused at once.
 * A machine that dies says nothing (net.c): the producer keeps sending on the
 * connection, up to the in-flight limit, and learns only when the oldest
 * request outlives request.timeout.ms (1 ms later: Kafka counts whole
 * milliseconds and wants more than the timeout); then every lost request on
 * the connection fails REQUEST_TIMED_OUT together (a Metadata request among
 * them too), the connection is closed and a metadata update asked for.
 * Connecting, the connection setup timeout and the reconnect backoff are in
 * producer-conn.c. The backoffs' jitter is drawn from the producer's own
 * random stream ("producer:NAME:backoff"), so failures do not move its
 * partitioner.
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
 * Simplified: while a connection attempt to a dead machine waits, or after
 * a lost request, a machine that comes back does not reset the old
 * connection early (its requests still time out); the broker-side purgatory
 * timeout and the client's request.timeout.ms do not race (the broker's
 * answer wins).
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
    case KS_ERR_INCONSISTENT_GROUP_PROTOCOL:
        return "INCONSISTENT_GROUP_PROTOCOL";
    case KS_ERR_FENCED_INSTANCE_ID:
        return "FENCED_INSTANCE_ID";
    case KS_ERR_REBALANCE_IN_PROGRESS:
        return "REBALANCE_IN_PROGRESS";
    case KS_ERR_MEMBER_ID_REQUIRED:
        return "MEMBER_ID_REQUIRED";
    case KS_ERR_NON_EMPTY_GROUP:
        return "NON_EMPTY_GROUP";
    case KS_ERR_GROUP_ID_NOT_FOUND:
        return "GROUP_ID_NOT_FOUND";
    case KS_ERR_FETCH_SESSION_ID_NOT_FOUND:
        return "FETCH_SESSION_ID_NOT_FOUND";
    case KS_ERR_INVALID_FETCH_SESSION_EPOCH:
        return "INVALID_FETCH_SESSION_EPOCH";
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
    p->metadata_max_age = ks_config_resolve(KS_CFG_METADATA_MAX_AGE_MS, cfg, def);
    p->max_block = ks_config_resolve(KS_CFG_MAX_BLOCK_MS, cfg, def);
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

    p->active = g_array_new(FALSE, FALSE, sizeof(int32_t));
    p->lingers = g_array_new(FALSE, FALSE, sizeof(KsLingerDeadline));
    p->open_parts = g_array_new(FALSE, FALSE, sizeof(int32_t));
    ks_producer_grow(p, topic->n_partitions);
    p->conns = g_ptr_array_new_with_free_func(conn_free);
    p->sending = g_ptr_array_new();
    p->pending = g_array_new(FALSE, FALSE, sizeof(KsPendingSend));
    ks_producer_metadata_init(sim, p);
    ks_timer_init(&p->wake, producer_wake, p);
    return p;
}

void ks_producer_grow(KsProducer *p, int32_t n)
{
    if (n <= p->n_parts)
        return;
    p->parts = g_renew(KsProducerPartition, p->parts, n);
    p->available = g_renew(bool, p->available, n);
    p->avail_list = g_renew(int32_t, p->avail_list, n);
    p->queue_sizes = g_renew(int32_t, p->queue_sizes, n);
    /* Active slots are fewer than partitions: one bit per partition. */
    int32_t words = (p->n_parts + 63) / 64, new_words = (n + 63) / 64;
    p->unsent_bits = g_renew(guint64, p->unsent_bits, new_words);
    memset(p->unsent_bits + words, 0, (size_t)(new_words - words) * sizeof(guint64));
    p->unlinked += n - p->n_parts;
    for (int32_t i = p->n_parts; i < n; i++) {
        p->parts[i] = (KsProducerPartition){0};
        g_queue_init(&p->parts[i].batches);
        p->parts[i].active_slot = -1;
        p->parts[i].leader = KS_NO_BROKER;
        p->parts[i].leader_epoch = -1;
        p->available[i] = false;
        p->queue_sizes[i] = 0;
    }
    p->n_parts = n;
    /* The sticky partitioner's index covers every partition: made anew. */
    ks_sticky_index_free(p->sticky_index);
    p->sticky_index = ks_sticky_index_new(n, p->adaptive);
    for (int32_t i = 0; i < n; i++)
        ks_sticky_index_set(p->sticky_index, i, p->available[i], p->queue_sizes[i]);
    ks_producer_list_available(p);
}

void ks_producer_list_available(KsProducer *p)
{
    p->n_avail = 0;
    for (int32_t i = 0; i < p->n_parts; i++) {
        if (p->available[i])
            p->avail_list[p->n_avail++] = i;
    }
}

/* The connection to @b: every broker has one, made on first use, in the
 * slot of @b (a broker added later gets its own). */
KsConnection *ks_producer_conn_for(KsProducer *p, KsBroker *b)
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
KsProduceRequest *ks_producer_request_new(KsProducer *p)
{
    GList *spare = g_queue_pop_head_link(&p->spare_requests);
    KsProduceRequest *req = spare ? spare->data : g_new0(KsProduceRequest, 1);
    GArray *batches = spare ? req->batches : g_array_new(FALSE, TRUE, sizeof(KsRequestBatch));
    *req = (KsProduceRequest){.link.data = req, .batches = batches};
    return req;
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
    g_ptr_array_free(p->sending, TRUE);
    for (guint i = 0; i < p->pending->len; i++)
        g_free(g_array_index(p->pending, KsPendingSend, i).key);
    g_array_free(p->pending, TRUE);
    ks_producer_metadata_clear(p);
    for (int32_t i = 0; i < p->n_parts; i++) {
        clear_linked(&p->parts[i].batches, g_free);
    }
    clear_linked(&p->spare_batches, g_free);
    clear_linked(&p->spare_requests, request_free);
    g_array_free(p->active, TRUE);
    g_array_free(p->lingers, TRUE);
    g_array_free(p->open_parts, TRUE);
    g_free(p->queue_sizes);
    g_free(p->unsent_bits);
    ks_sticky_index_free(p->sticky_index);
    g_free(p->available);
    g_free(p->avail_list);
    g_free(p->parts);
    g_free(p->name);
    g_free(p);
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

static void request_arrives(KsSim *sim, void *ctx, uint64_t arg, bool delivered);
static void response_arrives(KsSim *sim, void *ctx, uint64_t arg, bool delivered);
static void request_lost(KsSim *sim, KsProduceRequest *req);

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

void ks_producer_send_request(KsSim *sim, KsConnection *c)
{
    KsProducer *p = c->producer;
    KsProduceRequest *req = ks_producer_request_new(p);
    req->conn = c;
    req->sent = ks_engine_now(sim->engine);
    for (guint i = 0; i < c->drain->len; i++) {
        KsProducerBatch *batch = g_ptr_array_index(c->drain, i);
        batch->in_flight = true;
        ks_producer_count_unsent(p, batch, false);
        batch->attempts++;
        batch->sent = req->sent;
        batch->request = req;
        batch->slot = i;
        batch->leader_epoch = p->parts[batch->partition].leader_epoch;
        KsRequestBatch rb = {.part = p->topic->partitions[batch->partition],
                             .producer_epoch = p->parts[batch->partition].producer_epoch,
                             .epoch_base_seq = p->parts[batch->partition].epoch_base_seq,
                             .first_seq = batch->first_seq,
                             .count = batch->count,
                             .batch = batch,
                             .leader_epoch = -1};
        /* acks=0: nothing will answer; the batch is done once it leaves,
         * and its fate reaches the ledger when the broker has handled it. */
        if (p->acks == 0) {
            ks_producer_settle_batch(sim, p, batch, true, false);
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

static void fail_all(KsProduceRequest *req, KsKafkaError err)
{
    KsProducer *p = req->conn->producer;
    if (req == p->meta.request)
        p->meta.error = err;
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

/* Broker @from answers @rb with success, but the controller has already
 * given its leadership to another broker (or to none) in a later epoch: a
 * zombie's acknowledgement, whatever made it one. (An ISR change the
 * controller makes raises the epoch too, but leaves the leader in place.) */
static void note_zombie_ack(KsSim *sim, const KsProducer *p, const KsRequestBatch *rb,
                            KsBrokerId from)
{
    if (rb->error == KS_ERR_NONE && rb->leader_epoch >= 0 &&
        rb->leader_epoch < rb->part->leader_epoch && rb->part->leader != from)
        ks_ledger_zombie_acked(sim->ledger, p->index, rb->part, rb->first_seq, rb->count);
    /* A leader that lost records to a power loss and leads again in the
     * same epoch: what it acknowledges may sit where its followers hold
     * other records (docs/fidelity.md, "Power loss"). */
    const KsReplica *r = ks_partition_replica(rb->part, from);
    if (rb->error == KS_ERR_NONE && r && rb->leader_epoch >= 0 &&
        r->power_cut_epoch == rb->leader_epoch)
        ks_ledger_acked_after_power_cut(sim->ledger, p->index, rb->part, rb->first_seq, rb->count);
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
    if (p->acks == 0 && req->batches->len > 0) {
        /* The producer took these as written when they left: from now on
         * they count in the ledger, whatever the broker did with them. */
        for (guint i = 0; i < req->batches->len; i++) {
            const KsRequestBatch *rb = &g_array_index(req->batches, KsRequestBatch, i);
            note_zombie_ack(sim, p, rb, c->broker->id);
            ks_ledger_landed(sim->ledger, p->index, rb->part, rb->first_seq, rb->count);
        }
        request_done(req);
        return;
    }
    for (guint i = 0; i < req->batches->len; i++) {
        KsRequestBatch *rb = &g_array_index(req->batches, KsRequestBatch, i);
        if (rb->error == KS_ERR_NOT_LEADER_OR_FOLLOWER)
            ks_producer_current_leader(sim, c->broker, rb);
        note_zombie_ack(sim, p, rb, c->broker->id);
    }
    KsNetKind kind = req->batches->len > 0 ? KS_NET_PRODUCE_RESPONSE : KS_NET_METADATA_RESPONSE;
    if (ks_net_send(sim, &c->broker->ep, &p->ep, kind, response_arrives, req, 0))
        return;
    request_lost(sim, req);
}

/* @req or its answer was lost on the way: the producer learns of it only
 * when request.timeout.ms runs out. */
static void request_lost(KsSim *sim, KsProduceRequest *req)
{
    KsConnection *c = req->conn;
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
    if (!delivered && ks_net_dropped_silently(sim)) {
        request_lost(sim, req); /* a cut: no reset comes back */
        return;
    }
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
    if (ks_net_conn_is_cut(sim, &c->net))
        ks_net_conn_close(&c->net);
    p->conns_gen++;
    KsProduceRequest *req;
    while ((req = g_queue_pop_head(&c->lost)))
        response_arrives(sim, req, 0, true);
    ks_producer_request_metadata(sim, p);
    ks_producer_process(sim, p);
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
    if (!delivered && ks_net_dropped_silently(sim)) {
        request_lost(sim, req);
        return;
    }
    KsConnection *c = req->conn;
    KsProducer *p = c->producer;
    KsTime now = ks_engine_now(sim->engine);
    bool refresh = false, relink = false;
    c->in_flight--;
    if (req->batches->len == 0) {
        ks_producer_metadata_answered(sim, req);
        request_done(req);
        ks_producer_process(sim, p);
        return;
    }
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
            ks_producer_settle_batch(sim, p, batch, true, true);
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
        /* KIP-951: the answer names the leader (Sender.java:715-719). */
        if (rb->error == KS_ERR_NOT_LEADER_OR_FOLLOWER)
            relink |= ks_producer_update_leadership(p, rb);
        batch->in_flight = false;
        ks_producer_count_unsent(p, batch, true);
        /* TransactionManager.canRetry: out of sequence although the batch
         * is the next one after the last acknowledged sequence means a
         * real gap (the leader lost records): the producer bumps its epoch
         * and the retry starts afresh (KIP-360). Otherwise an earlier batch
         * is still unresolved, or this one was written and only its answer
         * was lost: it just retries. */
        if (rb->error == KS_ERR_OUT_OF_ORDER_SEQUENCE_NUMBER && batch->first_seq == pp->acked_upto)
            ks_producer_bump_epoch(pp);
        if (batch->attempts > p->retries || now - batch->created >= p->delivery_timeout) {
            emit_client(sim, KS_EV_RECORDS_EXPIRED, p, rb->part->index, batch->count,
                        ks_kafka_error_name(rb->error));
            ks_producer_settle_batch(sim, p, batch, false, false);
        } else {
            /* KIP-580: RecordAccumulator.shouldBackoff waits
             * retryBackoff.backoff(attempts - 1) (:813-815), drawn here once. */
            batch->retry_after =
                now + ks_producer_backoff(&p->jitter, p->retry_backoff, p->retry_backoff_max,
                                          batch->attempts - 1);
        }
    }
    request_done(req);
    if (relink)
        ks_producer_metadata_relink(sim, p);
    if (refresh)
        ks_producer_request_metadata(sim, p);
    ks_producer_process(sim, p);
}

/* ---- waking up ---- */

/* Whether the producer should ask for metadata: a partition with batches
 * has no known leader (Sender.sendProducerData: unknownLeaderTopics), or
 * its leader cannot be reached (NetworkClient.processDisconnection). */
static bool needs_metadata(KsSim *sim, KsProducer *p)
{
    if (p->troubled == 0 && p->unlinked == 0)
        return false; /* every partition has a connection that works */
    for (guint i = 0; i < p->active->len; i++) {
        const KsProducerPartition *pp = &p->parts[g_array_index(p->active, int32_t, i)];
        const KsConnection *c = pp->conn;
        if (!c || c->failures > 0)
            return true;
    }
    return false;
}

/* The earliest moment a batch reaches delivery.timeout.ms, when it is
 * before @next (else @next). The expiry floor is a lower bound, so the walk
 * over partitions runs only when a batch could expire first, and leaves the
 * floor exact. */
static KsTime expiry_before(KsProducer *p, KsTime next)
{
    if (p->expiry_floor >= next)
        return next;
    KsTime floor = KS_TIME_NEVER;
    for (guint i = 0; i < p->active->len; i++) {
        const KsProducerPartition *pp = &p->parts[g_array_index(p->active, int32_t, i)];
        floor = MIN(floor, ks_producer_oldest_batch(pp)->created + p->delivery_timeout);
    }
    p->expiry_floor = floor;
    return MIN(next, floor);
}

/* Arms the wake timer for the earliest future moment something changes:
 * a record arrival that matters (above), a batch whose linger or retry
 * backoff ends, a batch that would expire, a reconnection attempt, a
 * metadata refresh. A batch that is ready but held back by the in-flight
 * limit needs no timer: the response that frees the slot drains it. Only
 * two batches per partition matter, the first unsent one (oldest: expiry,
 * retry) and the newest (linger); only partitions with a batch not in
 * flight can have either. */
static void schedule_wake(KsSim *sim, KsProducer *p)
{
    KsTime now = ks_engine_now(sim->engine);
    KsTime next = ks_producer_arrival_deadline(sim, p);
    for (int slot = p->retrying > 0 ? ks_producer_next_unsent(p, 0) : -1; slot >= 0;
         slot = ks_producer_next_unsent(p, slot + 1)) {
        KsProducerPartition *pp = &p->parts[g_array_index(p->active, int32_t, slot)];
        const KsProducerBatch *first = ks_producer_first_unsent(pp)->data;
        if (first->attempts > 0 && first->retry_after > now &&
            !ks_producer_leader_changed(p, first))
            next = MIN(next, first->retry_after);
    }
    next = MIN(next, ks_producer_linger_deadline(p, now));
    for (guint i = 0; p->troubled > 0 && i < p->conns->len; i++) {
        const KsConnection *c = g_ptr_array_index(p->conns, i);
        if (c && c->failures > 0 && c->reconnect_at > now)
            next = MIN(next, c->reconnect_at);
        if (c && c->connecting_until > now)
            next = MIN(next, c->connecting_until);
    }
    next = MIN(next, p->meta.next);
    next = MIN(next, ks_producer_block_deadline(sim, p));
    next = expiry_before(p, next);
    if (next == KS_TIME_NEVER)
        ks_timer_cancel(sim->engine, &p->wake);
    else
        ks_timer_arm_at(sim->engine, &p->wake, MAX(next, now + 1));
}

/* What the producer does whenever something happened: takes the records
 * that arrived, gives up on expired ones, sends what is ready, and sleeps
 * until the next thing that can matter. */
void ks_producer_process(KsSim *sim, KsProducer *p)
{
    ks_producer_block_timeouts(sim, p);
    ks_producer_take_arrivals(sim, p);
    ks_producer_flush_pending(sim, p);
    ks_producer_expire_batches(sim, p);
    if (needs_metadata(sim, p))
        ks_producer_request_metadata(sim, p);
    ks_producer_drain(sim, p);
    /* Sender.runOnce: the sends, then NetworkClient.poll's metadata update. */
    ks_producer_metadata_poll(sim, p);
    schedule_wake(sim, p);
}

static void producer_wake(KsEngine *engine, void *ctx, uint64_t arg)
{
    ks_producer_process(((KsProducer *)ctx)->sim, ctx);
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
    ks_producer_process(sim, p);
}

/* Stops the application's sends; what is buffered is still sent (close()
 * flushes). */
void ks_producer_stop(KsSim *sim, KsProducer *p)
{
    ks_producer_take_arrivals(sim, p);
    p->running = false;
    KsEvent ev = ks_event_init(KS_EV_PRODUCER_STOPPED, ks_engine_now(sim->engine));
    ev.producer_event.producer = p->name;
    ev.producer_event.topic = p->topic->name;
    ks_sim_emit(sim, &ev);
    ks_producer_process(sim, p);
}

/* The application's process died with its producer: nothing it holds will
 * be sent or retried, and no answer reaches it. Its records are given up
 * (refused, as far as the ledger knows), the sends still blocked waiting
 * for metadata too; a request already on the wire may still be written,
 * as when delivery.timeout.ms detaches it. */
void ks_producer_abandon(KsSim *sim, KsProducer *p)
{
    ks_producer_block_timeouts(sim, p);
    ks_producer_take_arrivals(sim, p);
    p->running = false;
    ks_producer_drop_pending(sim, p);
    while (p->active->len > 0) {
        KsProducerPartition *pp = &p->parts[g_array_index(p->active, int32_t, 0)];
        KsProducerBatch *batch = ks_producer_oldest_batch(pp);
        if (batch->in_flight)
            g_array_index(batch->request->batches, KsRequestBatch, batch->slot).batch = NULL;
        ks_producer_settle_batch(sim, p, batch, false, false);
    }
    ks_timer_cancel(sim->engine, &p->wake);
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
