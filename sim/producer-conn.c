/* SPDX-License-Identifier: MIT */
/*
 * producer-conn.c - a producer's connections to brokers as Kafka 3.9's
 * client keeps them (NetworkClient, ClusterConnectionStates), and the
 * exponential backoff its retries and reconnections share
 * (common/utils/ExponentialBackoff).
 *
 * A connection is used while the producer believes it open: always while
 * its broker process runs, and also when the broker's machine died without
 * a word (net.c, ks_net_conn_is_silent); the requests sent on it then are
 * lost, and producer.c fails them at request.timeout.ms. Otherwise the
 * producer connects: a process that is down refuses at once (its machine's
 * kernel answers); a machine that is down does not answer, and the attempt
 * waits socket.connection.setup.timeout.ms. After a failed attempt the next
 * waits reconnect.backoff.ms from the start of the failed one. Both grow
 * by ExponentialBackoff (doubling, ±20 % jitter from the producer's own
 * random stream, capped at their .max.ms). The first failure in a row is
 * told on the timeline with Kafka's log line, and marks the partitions the
 * broker leads as failing; every failure asks for a metadata update.
 *
 * Owns nothing: the connection state lives in KsConnection
 * (producer-private.h), which producer.c creates and frees. Cost: constant
 * per readiness check.
 */
#include "producer-private.h"
#include "model.h"

#include <math.h>

KsTime ks_producer_backoff(KsRng *rng, KsTime initial, KsTime max, int64_t attempts)
{
    int64_t max_ms = max / KS_TIME_MS;
    int64_t initial_ms = MIN(initial / KS_TIME_MS, max_ms);
    if (max_ms <= initial_ms)
        return initial_ms * KS_TIME_MS;
    double exp_max = log2((double)max_ms / (double)MAX(initial_ms, 1));
    double term = (double)initial_ms * exp2(MIN((double)attempts, exp_max));
    /* ThreadLocalRandom.nextDouble(1 - 0.2, 1 + 0.2), from 53 random bits. */
    double factor = 0.8 + 0.4 * (double)(ks_rng_next(rng) >> 11) * 0x1.0p-53;
    return MIN((int64_t)(factor * term), max_ms) * KS_TIME_MS;
}

/* Marks the partitions led by @c's broker as failing, for the "succeed
 * again" line when they recover. */
static void mark_failing(KsSim *sim, KsConnection *c, KsKafkaError err)
{
    KsProducer *p = c->producer;
    for (guint i = 0; i < p->active->len; i++) {
        KsProducerPartition *pp = &p->parts[g_array_index(p->active, int32_t, i)];
        if (pp->leader == c->broker->id && !pp->failing) {
            pp->failing = true;
            pp->failing_since = ks_engine_now(sim->engine);
            pp->last_error = err;
        }
    }
}

/* Emits a connection-level line about @c's broker (Kafka's log @message). */
void ks_producer_emit_connection(KsSim *sim, KsConnection *c, const char *message)
{
    KsEvent ev = ks_event_init(KS_EV_PRODUCE_FAILING, ks_engine_now(sim->engine));
    ev.produce_failing.producer = c->producer->name;
    ev.produce_failing.topic = c->producer->topic->name;
    ev.produce_failing.broker = c->broker->id;
    ev.produce_failing.message = message;
    ks_sim_emit(sim, &ev);
}

/* Keeps @c's troubled flag, and its producer's count of them, in step with
 * its failures and connection attempt: call after changing either. */
static void note_trouble(KsConnection *c)
{
    bool troubled = c->failures > 0 || c->connecting_until > 0;
    if (troubled != c->troubled)
        c->producer->troubled += troubled ? 1 : -1;
    c->troubled = troubled;
}

/* A connection attempt failed (NetworkClient.processDisconnection from the
 * CONNECTING state): the next one waits reconnect.backoff.ms from the start
 * of this one, doubling per failure up to reconnect.backoff.max.ms with
 * ±20 % jitter (ClusterConnectionStates.disconnected, :181-196), and the
 * metadata is refreshed. */
static void connect_failed(KsSim *sim, KsConnection *c)
{
    KsProducer *p = c->producer;
    if (c->failures == 0) {
        g_autofree char *why = g_strdup_printf(
            "Connection to node %d (%s) could not be established. Node may not be available.",
            c->broker->id, c->broker->node->name);
        ks_producer_emit_connection(sim, c, why);
        mark_failing(sim, c, KS_ERR_NETWORK_EXCEPTION);
    }
    c->reconnect_at = c->attempt_at + ks_producer_backoff(&p->jitter, p->reconnect_backoff,
                                                          p->reconnect_backoff_max, c->failures);
    c->failures++;
    note_trouble(c);
    ks_producer_request_metadata(sim, p);
}

/* NetworkClient.ready: can a request go to the connection's broker now? An
 * established connection is used while the client believes it open, which
 * it does when the broker's machine died silently (ks_net_conn_is_silent).
 * Otherwise it connects: a broker whose process is down refuses at once; a
 * machine that is down does not answer, and the attempt times out after
 * socket.connection.setup.timeout.ms, doubling per failure up to
 * socket.connection.setup.timeout.max.ms with ±20 % jitter
 * (ClusterConnectionStates.java:60-64, :377-380; NetworkClient
 * handleTimedOutConnections, :889-900). No request goes meanwhile: batches
 * wait. */
bool ks_producer_connection_ready(KsSim *sim, KsConnection *c)
{
    KsProducer *p = c->producer;
    KsTime now = ks_engine_now(sim->engine);
    if (c->connecting_until > 0) {
        if (now < c->connecting_until)
            return false;
        c->connecting_until = 0;
        connect_failed(sim, c); /* notes the trouble */
    }
    if (now < c->reconnect_at)
        return false;
    if (ks_net_conn_is_open(&c->net) || ks_net_conn_is_cut(sim, &c->net))
        return true;
    c->attempt_at = now;
    p->conns_gen++;
    switch (ks_net_conn_reopen(sim, &c->net)) {
    case KS_NET_CONN_OPEN:
        c->failures = 0;
        note_trouble(c);
        return true;
    case KS_NET_CONN_REFUSED:
        connect_failed(sim, c);
        return false;
    case KS_NET_CONN_UNREACHABLE:
        break;
    }
    c->connecting_until =
        now + ks_producer_backoff(&p->jitter, p->setup_timeout, p->setup_timeout_max, c->failures);
    note_trouble(c);
    return false;
}
