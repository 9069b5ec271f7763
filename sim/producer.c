/* SPDX-License-Identifier: MIT */
/*
 * producer.c - Kafka producers: partitioning, the record accumulator, the
 * sender, acks and retries (KafkaProducer, RecordAccumulator, Sender).
 *
 * Records arrive at the producer's rate (or all at once from a `produce`
 * action) and are appended to a batch of their partition; a batch holds up to
 * batch.size bytes. The sender drains, for each broker, the first ready batch
 * of every partition that broker leads into one produce request (DESIGN
 * principle 2), with at most max.in.flight.requests.per.connection (5)
 * requests unanswered per broker. A batch is ready when it is full, when a
 * newer batch exists behind it, when it has waited linger.ms, or when it is
 * a retry whose retry.backoff.ms has passed.
 *
 * The broker answers acks=1 after the leader's append and acks=all once the
 * high watermark covers the batch (broker.c), refusing acks=all writes with
 * NOT_ENOUGH_REPLICAS while the ISR is smaller than min.insync.replicas.
 * acks=0 gets no answer: the producer counts the batch as sent-and-done.
 * Every error is retried after retry.backoff.ms with fresh metadata, until
 * delivery.timeout.ms since the batch was created; then its records are
 * refused. With enable.idempotence (the default) a retry of a batch that is
 * already in the leader's log is not appended twice.
 *
 * Cost: no event per record. Arrivals are counted from the rate when the
 * producer wakes; there is one event per request, per response, and per
 * wake-up (the next arrival, linger or retry deadline).
 *
 * Simplified for now: metadata is read from the controller's state the
 * moment it is refreshed (no Metadata request); batches are not split;
 * max.request.size and buffer.memory are not enforced.
 */
#include "model.h"

#include <string.h>

#include "kafkasim/partitioner.h"

static void producer_wake(KsEngine *engine, void *ctx, uint64_t arg);
static void drain(KsSim *sim, KsProducer *p);
static void schedule_wake(KsSim *sim, KsProducer *p);

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
    }
    return "UNKNOWN";
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
    p->plan = plan;
    p->acks = (int32_t)ks_config_resolve(KS_CFG_ACKS, cfg, def);
    p->linger = ks_config_resolve(KS_CFG_LINGER_MS, cfg, def);
    p->batch_size = ks_config_resolve(KS_CFG_BATCH_SIZE, cfg, def);
    p->record_size = plan ? plan->record_size : 100;
    p->max_in_flight = ks_config_resolve(KS_CFG_MAX_IN_FLIGHT_REQUESTS_PER_CONNECTION, cfg, def);
    p->retries = ks_config_resolve(KS_CFG_RETRIES, cfg, def);
    p->retry_backoff = ks_config_resolve(KS_CFG_RETRY_BACKOFF_MS, cfg, def);
    p->request_timeout = ks_config_resolve(KS_CFG_REQUEST_TIMEOUT_MS, cfg, def);
    p->delivery_timeout = ks_config_resolve(KS_CFG_DELIVERY_TIMEOUT_MS, cfg, def);
    p->idempotent = ks_config_resolve(KS_CFG_ENABLE_IDEMPOTENCE, cfg, def) != 0;
    /* Kafka >= 3.2 turns idempotence off when it was not asked for and the
     * other configs conflict with it; it raises a delivery timeout that was
     * not set to linger.ms + request.timeout.ms. The parser does this for
     * declared producers (and refuses explicit conflicts); the console
     * producer of `produce` actions has only the `set` defaults. */
    if (!ks_config_set_has(cfg, KS_CFG_ENABLE_IDEMPOTENCE) &&
        !ks_config_set_has(def, KS_CFG_ENABLE_IDEMPOTENCE) &&
        (p->acks != -1 || p->retries == 0 || p->max_in_flight > 5))
        p->idempotent = false;
    if (!ks_config_set_has(cfg, KS_CFG_DELIVERY_TIMEOUT_MS) &&
        !ks_config_set_has(def, KS_CFG_DELIVERY_TIMEOUT_MS))
        p->delivery_timeout = MAX(p->delivery_timeout, p->linger + p->request_timeout);
    p->ignore_keys = ks_config_resolve(KS_CFG_PARTITIONER_IGNORE_KEYS, cfg, def) != 0;
    p->adaptive = ks_config_resolve(KS_CFG_PARTITIONER_ADAPTIVE_PARTITIONING_ENABLE, cfg, def) != 0;
    p->partitioner = plan ? plan->partitioner : KS_PARTITIONER_DEFAULT;
    p->sticky.current = -1;
    g_autofree char *stream = g_strconcat("producer:", p->name, NULL);
    ks_rng_init_stream(&p->rng, sim->seed, ks_rng_stream_id(stream));

    int32_t n = topic->n_partitions;
    p->parts = g_new0(KsProducerPartition, n);
    p->available = g_new0(bool, n);
    p->queue_sizes = g_new0(int32_t, n);
    for (int32_t i = 0; i < n; i++) {
        g_queue_init(&p->parts[i].batches);
        p->parts[i].leader = KS_NO_BROKER;
        p->parts[i].acked = g_array_new(FALSE, FALSE, sizeof(KsSeqRange));
    }
    if (plan && plan->keys > 0) {
        p->key_partition = g_new(int32_t, plan->keys);
        for (int64_t k = 0; k < plan->keys; k++) {
            g_autofree char *key = g_strdup_printf("%s%" G_GINT64_FORMAT, plan->key_prefix, k);
            p->key_partition[k] = ks_partition_for_key(key, strlen(key), n);
        }
    }
    p->in_flight = g_new0(int, sim->brokers->len);
    p->connect_failures = g_new0(int, sim->brokers->len);
    p->reconnect_at = g_new0(KsTime, sim->brokers->len);
    p->drain_lists = g_new0(GPtrArray *, sim->brokers->len);
    ks_timer_init(&p->wake, producer_wake, p);
    return p;
}

void ks_producer_free(KsProducer *p)
{
    if (!p)
        return;
    for (int32_t i = 0; i < p->topic->n_partitions; i++) {
        g_queue_clear_full(&p->parts[i].batches, g_free);
        g_array_free(p->parts[i].acked, TRUE);
    }
    for (guint i = 0; i < p->sim->brokers->len; i++)
        if (p->drain_lists[i])
            g_ptr_array_free(p->drain_lists[i], TRUE);
    g_free(p->drain_lists);
    g_free(p->in_flight);
    g_free(p->connect_failures);
    g_free(p->reconnect_at);
    g_free(p->queue_sizes);
    g_free(p->available);
    g_free(p->key_partition);
    g_free(p->parts);
    g_free(p->name);
    g_free(p);
}

/* Reads every partition's current leader, as a Metadata response would. */
static void refresh_metadata(KsSim *sim, KsProducer *p)
{
    p->has_metadata = true;
    for (int32_t i = 0; i < p->topic->n_partitions; i++) {
        p->parts[i].leader = p->topic->partitions[i].leader;
        p->available[i] = p->parts[i].leader != KS_NO_BROKER;
    }
}

/* Whether one more record for @partition would need a new batch: its newest
 * batch is gone, sent, a retry, or full. */
static bool opens_new_batch(const KsProducer *p, int32_t partition)
{
    const KsProducerBatch *last = g_queue_peek_tail(&p->parts[partition].batches);
    int64_t per_batch = MAX(1, p->batch_size / p->record_size);
    return !last || last->in_flight || last->attempts > 0 || last->count >= per_batch;
}

/* Partition of a record without an explicit partition. @key_index is the
 * record's key among the producer's keys, -1 for a null key. */
static int32_t choose_partition(KsProducer *p, int64_t key_index)
{
    int32_t n = p->topic->n_partitions;
    switch (p->partitioner) {
    case KS_PARTITIONER_EXPLICIT:
        return p->plan->partition;
    case KS_PARTITIONER_ROUND_ROBIN: {
        /* KAFKA-9965 (Kafka 3.0 to 3.8): with a partitioner class, a record
         * that would open a new batch is aborted and partition() is asked
         * again, so the counter moves twice and a partition is skipped. */
        int32_t first = ks_round_robin_next(&p->rr, p->available, n);
        return opens_new_batch(p, first) ? ks_round_robin_next(&p->rr, p->available, n) : first;
    }
    case KS_PARTITIONER_KEY:
    case KS_PARTITIONER_DEFAULT:
        if (key_index >= 0 && !p->ignore_keys)
            return p->key_partition[key_index];
        break;
    case KS_PARTITIONER_STICKY:
        break;
    }
    return ks_sticky_partition(&p->sticky, &p->rng, p->available,
                               p->adaptive ? p->queue_sizes : NULL, n, p->batch_size);
}

/* Appends @n records to @partition's accumulator: to its newest batch while
 * that batch has room and has not been sent, then to new batches. */
static void accumulate(KsSim *sim, KsProducer *p, int32_t partition, int64_t n)
{
    KsProducerPartition *pp = &p->parts[partition];
    KsTime now = ks_engine_now(sim->engine);
    int64_t per_batch = MAX(1, p->batch_size / p->record_size);
    while (n > 0) {
        KsProducerBatch *last = g_queue_peek_tail(&pp->batches);
        if (opens_new_batch(p, partition)) {
            last = g_new0(KsProducerBatch, 1);
            last->partition = partition;
            last->first_seq = pp->next_seq;
            last->created = now;
            g_queue_push_tail(&pp->batches, last);
            p->queue_sizes[partition]++;
        }
        int64_t take = MIN(n, per_batch - last->count);
        last->count += take;
        last->bytes += take * p->record_size;
        pp->next_seq += take;
        n -= take;
    }
}

/* Hands one record (or @n records that share a partition choice) to the
 * accumulator, the way KafkaProducer.send does. */
static void send_records(KsSim *sim, KsProducer *p, int32_t partition, int64_t n)
{
    accumulate(sim, p, partition, n);
    if (p->partitioner == KS_PARTITIONER_STICKY || p->partitioner == KS_PARTITIONER_DEFAULT)
        ks_sticky_on_append(&p->sticky, n * p->record_size);
    sim->stats.records_produced += n;
}

/* Records that arrived at the rate since the last wake. */
static void take_arrivals(KsSim *sim, KsProducer *p)
{
    if (!p->running || !p->plan || p->plan->rate_per_s <= 0)
        return;
    KsTime d = ks_engine_now(sim->engine) - p->rate_start;
    int64_t rate = p->plan->rate_per_s;
    /* d * rate / 1e6 without overflow for long runs and high rates. */
    int64_t arrived = (d / KS_TIME_S) * rate + (d % KS_TIME_S) * rate / KS_TIME_S;
    int64_t n = arrived - p->rate_arrived;
    if (p->plan->count >= 0)
        n = MIN(n, p->plan->count - p->generated);
    if (n <= 0)
        return;
    /* The first send() fetches the topic's metadata (waitOnMetadata). */
    if (!p->has_metadata)
        refresh_metadata(sim, p);
    p->rate_arrived += n;
    p->generated += n;
    for (int64_t i = 0; i < n; i++) {
        int64_t key = p->plan->keys > 0 ? (int64_t)ks_rng_below(&p->rng, p->plan->keys) : -1;
        send_records(sim, p, choose_partition(p, key), 1);
    }
}

void ks_producer_send(KsSim *sim, KsProducer *p, int64_t count, const char *key, int32_t partition)
{
    if (partition < 0 && key && !p->ignore_keys && p->partitioner != KS_PARTITIONER_ROUND_ROBIN)
        partition = ks_partition_for_key(key, strlen(key), p->topic->n_partitions);
    if (!p->has_metadata)
        refresh_metadata(sim, p);
    if (partition >= 0) {
        send_records(sim, p, partition, count);
    } else {
        for (int64_t i = 0; i < count; i++)
            send_records(sim, p, choose_partition(p, -1), 1);
    }
    drain(sim, p);
    schedule_wake(sim, p);
}

/* ---- requests ---- */

static void request_arrives(KsEngine *engine, void *ctx, uint64_t id);
static void response_arrives(KsEngine *engine, void *ctx, uint64_t id);
static void request_timeout(KsEngine *engine, void *ctx, uint64_t id);

void ks_produce_request_free(gpointer p)
{
    KsProduceRequest *req = p;
    g_array_free(req->batches, TRUE);
    g_free(req);
}

static void send_request(KsSim *sim, KsProducer *p, KsBroker *b, GPtrArray *batches)
{
    KsProduceRequest *req = g_new0(KsProduceRequest, 1);
    req->id = ++sim->next_request_id;
    req->producer = p;
    req->broker = b;
    req->broker_incarnation = b->incarnation;
    req->sent = ks_engine_now(sim->engine);
    req->batches = g_array_sized_new(FALSE, TRUE, sizeof(KsRequestBatch), batches->len);
    for (guint i = 0; i < batches->len; i++) {
        KsProducerBatch *batch = g_ptr_array_index(batches, i);
        batch->in_flight = true;
        batch->attempts++;
        KsRequestBatch rb = {.partition = batch->partition,
                             .first_seq = batch->first_seq,
                             .count = batch->count,
                             .batch = batch};
        g_array_append_val(req->batches, rb);
    }
    sim->stats.produce_requests++;
    g_hash_table_insert(sim->requests, &req->id, req);
    if (p->acks != 0)
        p->in_flight[b->index]++;
    KsTime lat = ks_net_latency(sim, p->node, b->node);
    ks_engine_schedule(sim->engine, lat, request_arrives, sim, req->id);
    if (p->acks == 0) {
        /* Nothing will answer: the batch is done once it is on the wire. */
        for (guint i = 0; i < req->batches->len; i++) {
            KsRequestBatch *rb = &g_array_index(req->batches, KsRequestBatch, i);
            KsProducerPartition *pp = &p->parts[rb->partition];
            KsSeqRange r = {.first = rb->first_seq, .count = rb->count};
            g_array_append_val(pp->acked, r);
            sim->stats.records_acked += rb->count;
            g_queue_remove(&pp->batches, rb->batch);
            p->queue_sizes[rb->partition]--;
            g_free(rb->batch);
            rb->batch = NULL;
        }
    }
}

static void emit_client(KsSim *sim, KsEventType type, KsProducer *p, int32_t partition, int64_t n,
                        const char *text2);

/* NetworkClient.ready: can a request go to @b now? A broker whose process
 * is down refuses the connection at once; a machine that is down does not
 * answer, and the attempt times out (socket.connection.setup.timeout.ms,
 * 10 s). Either way no request is sent and no attempt is counted: batches
 * wait, the producer asks for new metadata, and it tries again after
 * reconnect.backoff.ms, doubling up to reconnect.backoff.max.ms (50 ms to
 * 1 s). */
static bool broker_ready(KsSim *sim, KsProducer *p, KsBroker *b)
{
    KsTime now = ks_engine_now(sim->engine);
    int i = b->index;
    if (now < p->reconnect_at[i])
        return false;
    if (b->alive) {
        p->connect_failures[i] = 0;
        return true;
    }
    if (p->connect_failures[i]++ == 0) {
        g_autofree char *why =
            g_strdup_printf("cannot connect to broker %d (%s)", b->id,
                            b->node->up ? "connection refused" : "connection setup timed out");
        emit_client(sim, KS_EV_PRODUCE_FAILING, p, -1, 0, why);
    }
    KsTime backoff = MIN(KS_TIME_S, 50 * KS_TIME_MS << MIN(p->connect_failures[i] - 1, 5));
    p->reconnect_at[i] = now + (b->node->up ? backoff : 10 * KS_TIME_S);
    refresh_metadata(sim, p);
    return false;
}

/* One pass of the Sender: for every broker that is ready and below
 * max.in.flight.requests.per.connection, one request with the first ready
 * batch of each partition it leads. Returns whether it sent anything. */
static bool drain_once(KsSim *sim, KsProducer *p)
{
    KsTime now = ks_engine_now(sim->engine);
    bool any = false;
    for (int32_t i = 0; i < p->topic->n_partitions; i++) {
        KsProducerPartition *pp = &p->parts[i];
        if (g_queue_is_empty(&pp->batches) || pp->leader == KS_NO_BROKER)
            continue;
        KsBroker *b = ks_sim_find_broker(sim, pp->leader);
        GPtrArray *list = p->drain_lists[b->index];
        /* A broker that already gets a request in this pass takes more
         * partitions into it; otherwise it must have room and be ready. */
        if (!list || list->len == 0) {
            if (p->acks != 0 && p->in_flight[b->index] >= p->max_in_flight)
                continue;
            if (!broker_ready(sim, p, b)) {
                p->reconnect_wake = MIN(p->reconnect_wake, p->reconnect_at[b->index]);
                continue;
            }
        }
        for (GList *l = pp->batches.head; l; l = l->next) {
            KsProducerBatch *batch = l->data;
            if (batch->in_flight)
                continue;
            bool full = batch->count * p->record_size + p->record_size > p->batch_size;
            bool ready = full || l->next || batch->attempts > 0 || !p->running ||
                         now - batch->created >= p->linger;
            if (ready && batch->retry_after <= now) {
                if (!p->drain_lists[b->index])
                    p->drain_lists[b->index] = g_ptr_array_new();
                g_ptr_array_add(p->drain_lists[b->index], batch);
                any = true;
            }
            break;
        }
    }
    if (!any)
        return false;
    for (guint i = 0; i < sim->brokers->len; i++) {
        GPtrArray *list = p->drain_lists[i];
        if (list && list->len > 0) {
            send_request(sim, p, g_ptr_array_index(sim->brokers, i), list);
            g_ptr_array_set_size(list, 0);
        }
    }
    return true;
}

/* Sends requests until every broker is at its in-flight limit or nothing
 * is ready: the Sender loops without waiting while it has data to send. */
static void drain(KsSim *sim, KsProducer *p)
{
    p->reconnect_wake = KS_TIME_NEVER;
    while (drain_once(sim, p))
        ;
}

static void fail_all(KsProduceRequest *req, KsKafkaError err)
{
    for (guint i = 0; i < req->batches->len; i++)
        g_array_index(req->batches, KsRequestBatch, i).error = err;
}

/* The broker's answer leaves for the producer. A broker process that died
 * closed its connections, so the producer hears of it after one trip; a
 * machine that is down says nothing, and the producer waits for
 * request.timeout.ms. */
static void respond(KsSim *sim, KsProduceRequest *req)
{
    KsProducer *p = req->producer;
    KsBroker *b = req->broker;
    KsTime now = ks_engine_now(sim->engine);
    KsTime at = now + ks_net_latency(sim, b->node, p->node);
    if (!b->node->up) {
        /* NetworkClient: "Disconnected from node N due to timeout". */
        at = MAX(now, req->sent + p->request_timeout);
        fail_all(req, KS_ERR_REQUEST_TIMED_OUT);
    }
    ks_engine_schedule_at(sim->engine, at, response_arrives, sim, req->id);
}

/* Whether the leader's log already has these records of this producer
 * (an idempotent producer's retry): the broker acknowledges without
 * appending again. */
static bool already_appended(const KsPartition *part, const KsProducer *p, const KsRequestBatch *rb)
{
    const KsReplica *lr = &part->replicas[0];
    for (int32_t i = 0; i < part->n_replicas; i++)
        if (part->replicas[i].broker->id == part->leader)
            lr = &part->replicas[i];
    const GArray *runs = lr->log.runs;
    for (guint i = runs->len; i-- > 0;) {
        const KsLogRun *run = &g_array_index(runs, KsLogRun, i);
        if (run->producer == p->index && run->first_seq <= rb->first_seq &&
            rb->first_seq + rb->count <= run->first_seq + run->count)
            return true;
    }
    return false;
}

/* The request reaches the broker: the partition leader appends, or says why
 * not (KafkaApis.handleProduceRequest, Partition.appendRecordsToLeader). */
static void request_arrives(KsEngine *engine, void *ctx, uint64_t id)
{
    KsSim *sim = ctx;
    KsProduceRequest *req = g_hash_table_lookup(sim->requests, &id);
    KsProducer *p = req->producer;
    KsBroker *b = req->broker;
    if (!b->alive || b->incarnation != req->broker_incarnation) {
        if (p->acks == 0) {
            g_hash_table_remove(sim->requests, &id);
            return;
        }
        fail_all(req, KS_ERR_NETWORK_EXCEPTION);
        respond(sim, req);
        return;
    }
    req->serving = true;
    for (guint i = 0; i < req->batches->len; i++) {
        KsRequestBatch *rb = &g_array_index(req->batches, KsRequestBatch, i);
        KsPartition *part = &p->topic->partitions[rb->partition];
        if (part->leader != b->id) {
            rb->error = KS_ERR_NOT_LEADER_OR_FOLLOWER;
        } else if (p->acks == -1 &&
                   (int32_t)part->isr->len < MIN(part->topic->min_insync, part->n_replicas)) {
            rb->error = KS_ERR_NOT_ENOUGH_REPLICAS;
        } else if (p->idempotent && rb->batch && rb->batch->attempts > 1 &&
                   already_appended(part, p, rb)) {
            rb->error = KS_ERR_NONE;
        } else if (p->acks == -1) {
            KsProduceWait *w = g_new0(KsProduceWait, 1);
            w->request = req;
            w->part = part;
            w->batch = i;
            rb->wait = w;
            req->pending++;
            ks_broker_append(sim, part, rb->count, p->index, rb->first_seq, w);
        } else {
            ks_broker_append(sim, part, rb->count, p->index, rb->first_seq, NULL);
        }
    }
    req->serving = false;
    if (p->acks == 0) {
        g_hash_table_remove(sim->requests, &id);
        return;
    }
    if (req->pending == 0)
        respond(sim, req);
    else
        ks_engine_schedule(sim->engine, p->request_timeout, request_timeout, sim, req->id);
}

void ks_producer_on_wait_done(KsSim *sim, KsProduceWait *w, KsKafkaError err)
{
    KsProduceRequest *req = w->request;
    KsRequestBatch *rb = &g_array_index(req->batches, KsRequestBatch, w->batch);
    rb->error = err;
    rb->wait = NULL;
    g_free(w);
    if (--req->pending == 0 && !req->serving)
        respond(sim, req);
}

/* The DelayedProduce expired (request.timeout.ms at the broker). */
static void request_timeout(KsEngine *engine, void *ctx, uint64_t id)
{
    KsSim *sim = ctx;
    KsProduceRequest *req = g_hash_table_lookup(sim->requests, &id);
    if (!req || req->pending == 0)
        return;
    for (guint i = 0; i < req->batches->len; i++) {
        KsRequestBatch *rb = &g_array_index(req->batches, KsRequestBatch, i);
        if (!rb->wait)
            continue;
        g_queue_remove(&rb->wait->part->waits, rb->wait);
        g_free(rb->wait);
        rb->wait = NULL;
        rb->error = KS_ERR_REQUEST_TIMED_OUT;
        req->pending--;
    }
    respond(sim, req);
}

static void emit_client(KsSim *sim, KsEventType type, KsProducer *p, int32_t partition, int64_t n,
                        const char *text2)
{
    KsEvent ev = ks_event_init(type, ks_engine_now(sim->engine));
    ev.text = p->name;
    ev.topic = p->topic->name;
    ev.partition = partition;
    ev.n = n;
    ev.text2 = text2;
    ks_sim_emit(sim, &ev);
}

/* Records an acknowledged range for the ledger, merging with the last one. */
static void ledger_add(KsProducerPartition *pp, int64_t first, int64_t count)
{
    if (pp->acked->len > 0) {
        KsSeqRange *last = &g_array_index(pp->acked, KsSeqRange, pp->acked->len - 1);
        if (last->first + last->count == first) {
            last->count += count;
            return;
        }
    }
    KsSeqRange r = {.first = first, .count = count};
    g_array_append_val(pp->acked, r);
}

static void settle_batch(KsSim *sim, KsProducer *p, KsProducerBatch *batch, bool acked)
{
    KsProducerPartition *pp = &p->parts[batch->partition];
    if (acked) {
        sim->stats.records_acked += batch->count;
        ledger_add(pp, batch->first_seq, batch->count);
    } else {
        sim->stats.records_refused += batch->count;
        pp->refused += batch->count;
    }
    g_queue_remove(&pp->batches, batch);
    p->queue_sizes[batch->partition]--;
    g_free(batch);
}

static void response_arrives(KsEngine *engine, void *ctx, uint64_t id)
{
    KsSim *sim = ctx;
    KsProduceRequest *req = g_hash_table_lookup(sim->requests, &id);
    KsProducer *p = req->producer;
    KsTime now = ks_engine_now(sim->engine);
    bool refresh = false;
    p->in_flight[req->broker->index]--;
    for (guint i = 0; i < req->batches->len; i++) {
        KsRequestBatch *rb = &g_array_index(req->batches, KsRequestBatch, i);
        KsProducerBatch *batch = rb->batch;
        KsProducerPartition *pp = &p->parts[rb->partition];
        if (!batch)
            continue;
        if (rb->error == KS_ERR_NONE) {
            if (pp->failing) {
                pp->failing = false;
                emit_client(sim, KS_EV_PRODUCE_RECOVERED, p, rb->partition, pp->refused, NULL);
                pp->refused = 0;
            }
            settle_batch(sim, p, batch, true);
            continue;
        }
        if (!pp->failing || pp->last_error != rb->error) {
            pp->failing = true;
            pp->last_error = rb->error;
            emit_client(sim, KS_EV_PRODUCE_FAILING, p, rb->partition, 0,
                        ks_kafka_error_name(rb->error));
        }
        refresh = true;
        batch->in_flight = false;
        if (batch->attempts > p->retries || now - batch->created >= p->delivery_timeout) {
            emit_client(sim, KS_EV_RECORDS_EXPIRED, p, rb->partition, batch->count,
                        ks_kafka_error_name(rb->error));
            settle_batch(sim, p, batch, false);
        } else {
            batch->retry_after = now + p->retry_backoff;
        }
    }
    g_hash_table_remove(sim->requests, &id);
    if (refresh)
        refresh_metadata(sim, p);
    drain(sim, p);
    schedule_wake(sim, p);
}

/* ---- waking up ---- */

/* Gives up on batches that waited delivery.timeout.ms without being sent.
 * A partition's batches are in creation order (retries keep their place),
 * so the walk stops at the first unsent batch that has time left. */
static void expire_batches(KsSim *sim, KsProducer *p)
{
    KsTime now = ks_engine_now(sim->engine);
    for (int32_t i = 0; i < p->topic->n_partitions; i++) {
        KsProducerPartition *pp = &p->parts[i];
        int64_t expired = 0;
        for (GList *l = pp->batches.head; l;) {
            KsProducerBatch *batch = l->data;
            l = l->next;
            if (batch->in_flight)
                continue;
            if (now - batch->created < p->delivery_timeout)
                break;
            expired += batch->count;
            settle_batch(sim, p, batch, false);
        }
        if (expired > 0) {
            if (!pp->failing) {
                pp->failing = true;
                emit_client(sim, KS_EV_PRODUCE_FAILING, p, i, 0, "LEADER_NOT_AVAILABLE");
            }
            emit_client(sim, KS_EV_RECORDS_EXPIRED, p, i, expired, "delivery.timeout.ms");
        }
    }
}

/* Whether the producer should ask for metadata: some partition with
 * batches has no known leader, or its leader cannot be reached. Kafka
 * requests an update then, at most every retry.backoff.ms. */
static bool needs_metadata(KsSim *sim, const KsProducer *p)
{
    for (int32_t i = 0; i < p->topic->n_partitions; i++) {
        const KsProducerPartition *pp = &p->parts[i];
        if (pp->batches.length == 0)
            continue;
        if (pp->leader == KS_NO_BROKER)
            return true;
        const KsBroker *b = ks_sim_find_broker(sim, pp->leader);
        if (p->connect_failures[b->index] > 0)
            return true;
    }
    return false;
}

/* Arms the wake timer for the earliest future moment something changes:
 * the next record arrival, a batch whose linger or retry backoff ends, a
 * batch that would expire, a reconnection attempt, a metadata refresh. A
 * batch that is ready but held back by max.in.flight.requests.per.connection
 * needs no timer: the response that frees the slot drains it.
 *
 * Batches are in creation order, so only two per partition matter: the
 * first unsent one (the oldest: expiry, retry backoff) and the newest
 * (linger). The cost is O(partitions), whatever the backlog. */
static void schedule_wake(KsSim *sim, KsProducer *p)
{
    KsTime now = ks_engine_now(sim->engine);
    KsTime next = KS_TIME_NEVER;
    if (p->running && p->plan && p->plan->rate_per_s > 0 &&
        (p->plan->count < 0 || p->generated < p->plan->count)) {
        int64_t k = p->rate_arrived + 1, rate = p->plan->rate_per_s;
        KsTime offset = (k / rate) * KS_TIME_S + ((k % rate) * KS_TIME_S + rate - 1) / rate;
        next = MIN(next, MAX(p->rate_start + offset, now + 1));
    }
    for (int32_t i = 0; i < p->topic->n_partitions; i++) {
        KsProducerPartition *pp = &p->parts[i];
        const KsProducerBatch *first = NULL;
        for (GList *l = pp->batches.head; l && !first; l = l->next)
            if (!((KsProducerBatch *)l->data)->in_flight)
                first = l->data;
        if (!first)
            continue;
        next = MIN(next, first->created + p->delivery_timeout);
        if (first->attempts > 0 && first->retry_after > now)
            next = MIN(next, first->retry_after);
        const KsProducerBatch *last = g_queue_peek_tail(&pp->batches);
        if (last->attempts == 0 && !last->in_flight && last->created + p->linger > now)
            next = MIN(next, last->created + p->linger);
    }
    if (p->reconnect_wake > now)
        next = MIN(next, p->reconnect_wake);
    if (needs_metadata(sim, p))
        next = MIN(next, now + p->retry_backoff);
    if (next == KS_TIME_NEVER)
        ks_timer_cancel(sim->engine, &p->wake);
    else
        ks_timer_arm_at(sim->engine, &p->wake, MAX(next, now + 1));
}

static void producer_wake(KsEngine *engine, void *ctx, uint64_t arg)
{
    KsProducer *p = ctx;
    KsSim *sim = p->sim;
    if (needs_metadata(sim, p))
        refresh_metadata(sim, p);
    take_arrivals(sim, p);
    expire_batches(sim, p);
    drain(sim, p);
    schedule_wake(sim, p);
}

void ks_producer_start(KsSim *sim, KsProducer *p)
{
    if (p->running)
        return;
    p->running = true;
    p->rate_start = ks_engine_now(sim->engine);
    p->rate_arrived = 0;
    KsEvent ev = ks_event_init(KS_EV_PRODUCER_STARTED, p->rate_start);
    ev.text = p->name;
    ev.topic = p->topic->name;
    ks_sim_emit(sim, &ev);
    schedule_wake(sim, p);
}

/* Stops the application's sends; what is buffered is still sent (close()
 * flushes). */
void ks_producer_stop(KsSim *sim, KsProducer *p)
{
    if (!p->running)
        return;
    take_arrivals(sim, p);
    p->running = false;
    KsEvent ev = ks_event_init(KS_EV_PRODUCER_STOPPED, ks_engine_now(sim->engine));
    ev.text = p->name;
    ev.topic = p->topic->name;
    ks_sim_emit(sim, &ev);
    drain(sim, p);
    schedule_wake(sim, p);
}
