/* SPDX-License-Identifier: MIT */
/*
 * producer-metadata.c - how a producer learns its topic's leaders, as Kafka
 * 3.9's client does it (clients/src/main/java/org/apache/kafka/clients/:
 * Metadata, producer/internals/ProducerMetadata, NetworkClient's
 * DefaultMetadataUpdater and leastLoadedNode).
 *
 * A producer knows no leader until it asks. The first send() adds the topic
 * and asks at once (ProducerMetadata.requestUpdateForNewTopics); send()
 * blocks until the answer names the topic (KafkaProducer.waitOnMetadata):
 * records that arrive meanwhile are appended when it unblocks. The question
 * is a Metadata request over the network to the least loaded broker it
 * knows (bootstrap: every broker; then the live brokers of the last answer),
 * and that broker answers from its own metadata cache (metadata.c), which
 * the controller's UpdateMetadata requests fill: a leader the broker has
 * not heard of yet is not in the answer, an offline partition or one whose
 * leader the cache does not hold alive comes back LEADER_NOT_AVAILABLE
 * (no leader), a broker that has heard nothing at all does not know the
 * topic. The producer keeps a partition's newer leader epoch when an answer
 * carries an older one (Metadata.updateLatestMetadata).
 *
 * When: an update is asked for after NOT_LEADER_OR_FOLLOWER,
 * LEADER_NOT_AVAILABLE, a broken or timed-out connection, a failed
 * connection attempt, an answer with a partition in error, or a partition
 * with batches and no leader (Sender.sendProducerData); and, without any
 * of these, metadata.max.age.ms after the last successful answer
 * (Metadata.timeToNextUpdate). It goes no sooner than
 * ExponentialBackoff(retry.backoff.ms, 2, retry.backoff.max.ms, 0.2) of the
 * number of failed requests in a row (KIP-580) after the last answer, and
 * no sooner than that backoff of the number of answers in a row that
 * taught nothing new (no leader epoch went up; Metadata.timeToAllowUpdate's
 * equivalentResponseCount), except for the periodic refresh. One Metadata
 * request is in flight at a time; it counts against the connection's
 * max.in.flight.requests.per.connection and times out with the produce
 * requests of its connection (request.timeout.ms). With no broker to ask
 * (every connection backing off) it looks again after reconnect.backoff.ms.
 *
 * Simplified: leastLoadedNode starts at the first broker it knows, not at
 * a random one; the bootstrap connections are the brokers' own (Kafka
 * opens separate ones to the bootstrap addresses); the topic is never
 * forgotten (metadata.max.idle.ms); send() gives up blocking after
 * max.block.ms (producer-accum.c); each backoff is drawn when the answer (or
 * failure) arrives, where Kafka draws at every check.
 *
 * Owns the producer's metadata fields (KsProducer, "Metadata"); cost: one
 * request per refresh, and per answer a walk over the topic's partitions.
 */
#include "producer-private.h"
#include "metadata-private.h"
#include "model.h"

/* Metadata.requestUpdate(false): the next poll asks, backoffs allowing. */
void ks_producer_request_metadata(KsSim *sim, KsProducer *p)
{
    (void)sim;
    p->meta.requested = true;
}

/* ProducerMetadata.requestUpdateForNewTopics: the first send() of the
 * topic asks at once. */
static void request_for_new_topic(KsProducer *p)
{
    if (p->meta.added)
        return;
    p->meta.added = true;
    p->meta.requested = true;
    p->meta.attempts_until = 0;
    p->meta.equivalent_until = 0;
}

bool ks_producer_metadata_blocked(KsSim *sim, KsProducer *p)
{
    (void)sim;
    if (p->meta.known)
        return false;
    request_for_new_topic(p);
    return true;
}

/* Metadata.timeToNextUpdate, as the moment it allows. */
static KsTime next_update(KsProducer *p, KsTime now)
{
    KsTime expires = p->meta.last_success + p->metadata_max_age;
    bool expired = p->meta.answered && expires <= now;
    /* Periodic updates reset the equivalent response count
     * (timeToAllowUpdate, :158-161). */
    KsTime allow =
        expired ? p->meta.attempts_until : MAX(p->meta.attempts_until, p->meta.equivalent_until);
    if (p->meta.requested || expired)
        return MAX(now, allow);
    return p->meta.answered ? MAX(expires, allow) : KS_TIME_NEVER;
}

/* NetworkClient.canSendRequest: connected, and below the in-flight limit. */
static bool can_send(const KsProducer *p, const KsConnection *c, KsTime now)
{
    return c->failures == 0 && c->connecting_until == 0 && now >= c->reconnect_at &&
           (ks_net_conn_is_open(&c->net) || ks_net_conn_is_cut(p->sim, &c->net)) &&
           c->in_flight < p->max_in_flight;
}

/* NetworkClient.leastLoadedNode (:709-760): a connected broker with nothing
 * in flight at once, else the connected one with the fewest requests in
 * flight, else one still connecting, else the one whose last connection
 * attempt is oldest among those not backing off. *@connecting: some
 * connection attempt is under way. */
static KsConnection *least_loaded(KsSim *sim, KsProducer *p, KsTime now, bool *connecting)
{
    KsConnection *ready = NULL, *pending = NULL, *can_connect = NULL;
    *connecting = false;
    for (guint i = 0; i < p->meta.nodes->len; i++) {
        KsBroker *b = ks_sim_find_broker(sim, g_array_index(p->meta.nodes, KsBrokerId, i));
        if (!b)
            continue;
        KsConnection *c = ks_producer_conn_for(p, b);
        if (can_send(p, c, now)) {
            if (c->in_flight == 0)
                return c;
            if (!ready || c->in_flight < ready->in_flight)
                ready = c;
        } else if (c->connecting_until > now) {
            pending = c;
            *connecting = true;
        } else if (now >= c->reconnect_at &&
                   (!can_connect || can_connect->attempt_at > c->attempt_at)) {
            can_connect = c;
        }
    }
    return ready ? ready : pending ? pending : can_connect;
}

static void metadata_arrives(KsSim *sim, void *ctx, uint64_t arg, bool delivered);

static void send_metadata(KsSim *sim, KsProducer *p, KsConnection *c)
{
    KsProduceRequest *req = ks_producer_request_new(p);
    req->conn = c;
    req->sent = ks_engine_now(sim->engine);
    g_queue_push_tail_link(&c->requests, &req->link);
    c->in_flight++;
    p->meta.request = req;
    p->meta.error = KS_ERR_REQUEST_TIMED_OUT;
    if (sim->verbose) {
        g_autofree char *from = g_strdup_printf("producer %s", p->name);
        g_autofree char *detail = g_strdup_printf("topic %s", p->topic->name);
        ks_sim_emit_request(sim, "Metadata", from, c->broker->id, detail);
    }
    ks_net_send(sim, &p->ep, &c->broker->ep, KS_NET_METADATA_REQUEST, metadata_arrives, req, 0);
}

void ks_producer_metadata_poll(KsSim *sim, KsProducer *p)
{
    KsTime now = ks_engine_now(sim->engine);
    p->meta.next = KS_TIME_NEVER;
    /* Its answer or its timeout comes first; a closed producer (stopped,
     * nothing left to send) asks no more. */
    if (p->meta.request || !p->meta.added ||
        (!p->running && p->active->len == 0 && p->pending->len == 0))
        return;
    KsTime due = next_update(p, now);
    if (due > now) {
        p->meta.next = due;
        return;
    }
    /* DefaultMetadataUpdater.maybeUpdate (:1158-1230). */
    bool connecting;
    KsConnection *c = least_loaded(sim, p, now, &connecting);
    if (c && can_send(p, c, now)) {
        send_metadata(sim, p, c);
        return;
    }
    if (c && !connecting && c->connecting_until <= now) {
        /* Connect (a refused or silent attempt is noted by the call). */
        if (ks_producer_connection_ready(sim, c) && can_send(p, c, now)) {
            send_metadata(sim, p, c);
            return;
        }
    }
    if (!c || connecting || c->connecting_until <= now)
        p->meta.next = now + p->reconnect_backoff;
    if (c && c->connecting_until > now)
        p->meta.next = MIN(p->meta.next, c->connecting_until);
}

/* The request reaches the broker, which answers from its metadata cache
 * (KafkaApis.handleTopicMetadataRequest); or finds its process gone. */
static void metadata_arrives(KsSim *sim, void *ctx, uint64_t arg, bool delivered)
{
    KsProduceRequest *req = ctx;
    KsProducer *p = req->conn->producer;
    const KsBroker *b = req->conn->broker;
    if (req != p->meta.request) {
        ks_producer_respond(sim, req); /* a request the producer gave up on */
        return;
    }
    if (!delivered) {
        p->meta.error = KS_ERR_NETWORK_EXCEPTION;
        ks_producer_respond(sim, req);
        return;
    }
    p->meta.error = KS_ERR_NONE;
    p->meta.answer_known = false;
    int32_t n = p->topic->n_partitions;
    if (n > p->meta.answer_cap) { /* partitions were added to the topic */
        p->meta.answer_leader = g_renew(KsBrokerId, p->meta.answer_leader, n);
        p->meta.answer_epoch = g_renew(int32_t, p->meta.answer_epoch, n);
        p->meta.answer_cap = n;
    }
    p->meta.answer_n = 0;
    for (int32_t i = 0; i < n; i++) {
        const KsPartition *part = p->topic->partitions[i];
        KsMetadataPartition mp;
        bool known = ks_metadata_partition(sim, b, part, &mp);
        /* The broker's cache may not hold partitions added lately. */
        if (known && p->meta.answer_n == i)
            p->meta.answer_n = i + 1;
        p->meta.answer_known |= known;
        p->meta.answer_leader[i] = known ? ks_metadata_leader(sim, b, part) : KS_NO_BROKER;
        p->meta.answer_epoch[i] = known ? mp.leader_epoch : -1;
    }
    g_array_set_size(p->meta.answer_nodes, 0);
    const GArray *live = ks_metadata_live_brokers(sim, b);
    if (live)
        g_array_append_vals(p->meta.answer_nodes, live->data, live->len);
    ks_producer_respond(sim, req);
}

/* Points every partition at the connection to its leader, as the
 * producer's metadata now names it. */
void ks_producer_metadata_relink(KsSim *sim, KsProducer *p)
{
    for (guint i = 0; i < p->conns->len; i++) {
        KsConnection *c = g_ptr_array_index(p->conns, i);
        if (c)
            c->leads = 0;
    }
    p->unlinked = 0;
    p->conns_gen++;
    for (int32_t i = 0; i < p->n_parts; i++) {
        KsProducerPartition *pp = &p->parts[i];
        p->available[i] = pp->leader != KS_NO_BROKER;
        ks_sticky_index_set(p->sticky_index, i, p->available[i], p->queue_sizes[i]);
        pp->conn = NULL;
        if (pp->leader != KS_NO_BROKER) {
            pp->conn = ks_producer_conn_for(p, ks_sim_find_broker(sim, pp->leader));
            pp->conn->leads++;
        } else {
            p->unlinked++;
        }
    }
    ks_producer_list_available(p);
}

/* Metadata.update over the answer (:336-360, handleMetadataResponse,
 * updateLatestMetadata :561-604). */
static void apply_answer(KsSim *sim, KsProducer *p, KsTime now)
{
    p->meta.attempts = 0;
    p->meta.requested = false;
    p->meta.answered = true;
    p->meta.last_success = now;
    p->meta.equivalent++;
    if (p->meta.answer_nodes->len > 0) {
        g_array_set_size(p->meta.nodes, 0);
        g_array_append_vals(p->meta.nodes, p->meta.answer_nodes->data, p->meta.answer_nodes->len);
    }
    if (!p->meta.answer_known) {
        /* UNKNOWN_TOPIC_OR_PARTITION: the topic leaves the metadata (a full
         * update keeps only what the answer holds), send() blocks again. */
        p->meta.known = false;
        p->meta.requested = true;
        for (int32_t i = 0; i < p->n_parts; i++)
            p->parts[i].leader = KS_NO_BROKER;
        return;
    }
    bool was_known = p->meta.known;
    p->meta.known = true;
    if (!was_known)
        p->meta.unblocked_at = now;
    /* New partitions in the answer: the partitioner spreads over them from
     * now on. */
    ks_producer_grow(p, p->meta.answer_n);
    for (int32_t i = 0; i < MIN(p->n_parts, p->meta.answer_n); i++) {
        KsProducerPartition *pp = &p->parts[i];
        int32_t epoch = p->meta.answer_epoch[i];
        if (pp->leader_epoch < 0 || epoch >= pp->leader_epoch) {
            if (pp->leader_epoch < 0 || epoch > pp->leader_epoch)
                p->meta.equivalent = 0;
            pp->leader_epoch = epoch;
            pp->leader = p->meta.answer_leader[i];
        }
        /* LEADER_NOT_AVAILABLE is an InvalidMetadataException. */
        if (p->meta.answer_leader[i] == KS_NO_BROKER)
            p->meta.requested = true;
    }
}

void ks_producer_metadata_answered(KsSim *sim, KsProduceRequest *req)
{
    KsProducer *p = req->conn->producer;
    KsTime now = ks_engine_now(sim->engine);
    if (req != p->meta.request)
        return;
    p->meta.request = NULL;
    if (p->meta.error != KS_ERR_NONE) {
        /* Metadata.failedUpdate, and the broken connection asks for an
         * update (NetworkClient.handleServerDisconnect). */
        p->meta.attempts++;
        p->meta.equivalent = 0;
        p->meta.requested = true;
    } else {
        apply_answer(sim, p, now);
        ks_producer_metadata_relink(sim, p);
    }
    /* The backoffs from this answer on (timeToAllowUpdate), drawn now. */
    p->meta.attempts_until =
        now + ks_producer_backoff(&p->jitter, p->retry_backoff, p->retry_backoff_max,
                                  p->meta.attempts > 0 ? p->meta.attempts - 1 : 0);
    p->meta.equivalent_until =
        p->meta.equivalent > 0
            ? now + ks_producer_backoff(&p->jitter, p->retry_backoff, p->retry_backoff_max,
                                        p->meta.equivalent - 1)
            : now;
}

void ks_producer_current_leader(KsSim *sim, const KsBroker *b, KsRequestBatch *rb)
{
    /* KafkaApis.getCurrentLeader (:588-601): the broker's own partition
     * first (what its last LeaderAndIsr said), else its metadata cache. */
    const KsReplica *r = ks_partition_replica(rb->part, b->id);
    KsMetadataPartition mp;
    rb->current_leader = KS_NO_BROKER;
    rb->current_epoch = -1;
    if (r && r->known_leader != KS_NO_BROKER) {
        rb->current_leader = r->known_leader;
        rb->current_epoch = r->known_epoch;
    } else if (ks_metadata_partition(sim, b, rb->part, &mp)) {
        rb->current_leader = mp.leader;
        rb->current_epoch = mp.leader_epoch;
    }
    /* The response's node endpoints: only a leader alive in the cache. */
    if (rb->current_leader != KS_NO_BROKER && !ks_metadata_broker_alive(sim, b, rb->current_leader))
        rb->current_leader = KS_NO_BROKER;
}

bool ks_producer_update_leadership(KsProducer *p, const KsRequestBatch *rb)
{
    /* Metadata.updatePartitionLeadership (:381-425): only a newer epoch,
     * for a partition still in the metadata. */
    KsProducerPartition *pp = &p->parts[rb->part->index];
    if (rb->current_leader == KS_NO_BROKER || rb->current_epoch < 0 || !p->meta.known ||
        (pp->leader_epoch >= 0 && rb->current_epoch <= pp->leader_epoch))
        return false;
    pp->leader = rb->current_leader;
    pp->leader_epoch = rb->current_epoch;
    return true;
}

void ks_producer_metadata_init(KsSim *sim, KsProducer *p)
{
    int32_t n = p->topic->n_partitions;
    p->meta.answer_cap = n;
    p->meta.nodes = g_array_new(FALSE, FALSE, sizeof(KsBrokerId));
    p->meta.answer_nodes = g_array_new(FALSE, FALSE, sizeof(KsBrokerId));
    p->meta.answer_leader = g_new(KsBrokerId, n);
    p->meta.answer_epoch = g_new(int32_t, n);
    p->meta.next = KS_TIME_NEVER;
    /* bootstrap.servers: every broker of the cluster. */
    for (guint i = 0; i < sim->brokers->len; i++)
        g_array_append_val(p->meta.nodes, ((KsBroker *)g_ptr_array_index(sim->brokers, i))->id);
}

void ks_producer_metadata_clear(KsProducer *p)
{
    g_array_free(p->meta.nodes, TRUE);
    g_array_free(p->meta.answer_nodes, TRUE);
    g_free(p->meta.answer_leader);
    g_free(p->meta.answer_epoch);
}
