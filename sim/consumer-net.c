/* SPDX-License-Identifier: MIT */
/*
 * consumer-net.c - a consumer's connections to brokers and what it does
 * when a request gets no answer (Kafka's NetworkClient under
 * ConsumerNetworkClient, as AbstractCoordinator and the Fetcher see it).
 *
 * A consumer has two connections to a broker: the node's (FindCoordinator,
 * fetches) and, when the broker coordinates its group, the coordinator's
 * own (AbstractCoordinator connects to it under another node id, so that
 * group requests never wait behind fetches). A connection is used while
 * the consumer believes it open:
 * while the broker's process runs, and also after the network between them
 * was cut or the broker's machine went down (net.c: ks_net_conn_is_cut),
 * since no reset crosses a cut or leaves a dead machine. A request sent on
 * it then is lost, or its answer is, and the consumer hears nothing until
 * the request outlives its timeout: request.timeout.ms, counted from when
 * it was sent, and for JoinGroup max(request.timeout.ms,
 * max.poll.interval.ms + 5 s), since the coordinator holds it for the
 * rebalance (AbstractCoordinator.sendJoinGroupRequest). NetworkClient then
 * closes the connection and fails every request in flight on it
 * (handleTimedOutRequests): on the coordinator's connection a group request
 * fails with a disconnect, so the coordinator is marked unknown and looked
 * for again (CoordinatorResponseHandler.onFailure, markCoordinatorUnknown);
 * on the node's, the fetch there fails, its fetch session is dropped
 * (FetchSessionHandler.handleError) and its partitions are fetched again
 * after retry.backoff.ms.
 *
 * A new connection across a cut, or to a machine that is down, gets no
 * answer: the attempt fails after socket.connection.setup.timeout.ms (not
 * doubled per failure here, unlike the producer), and the requests waiting
 * for it fail with it. A broker process that died on a live machine has
 * its connections reset by the kernel: its requests fail at once, as
 * before (net.c delivers them as refused).
 *
 * The timers are the consumer's own (ks_net_after): they die with its
 * process, and a request made stale meanwhile (the consumer lost its
 * coordinator or restarted: its token moved) is dropped when its timer
 * fires. ListOffsets (consumer-seek.c) goes the same way on the node's
 * connection. Cost: one timer per lost request, none for the others; two
 * connections per broker a consumer talks to.
 */
#include <inttypes.h>

#include "consumer-private.h"

const char *ks_consumer_api_name(KsGroupRequestKind kind)
{
    static const char *const apis[] = {
        [KS_GREQ_FIND_COORDINATOR] = "FindCoordinator",
        [KS_GREQ_JOIN] = "JoinGroup",
        [KS_GREQ_SYNC] = "SyncGroup",
        [KS_GREQ_HEARTBEAT] = "Heartbeat",
        [KS_GREQ_LEAVE] = "LeaveGroup",
        [KS_GREQ_COMMIT] = "OffsetCommit",
        [KS_GREQ_OFFSET_FETCH] = "OffsetFetch",
        [KS_GREQ_LIST_OFFSETS] = "ListOffsets",
    };
    return apis[kind];
}

bool ks_consumer_lost_silently(const KsSim *sim, const KsBroker *b)
{
    return ks_net_dropped_silently(sim) || ks_net_endpoint_is_silent(&b->ep);
}

/* Two per broker: the node's, and the coordinator's own. */
static KsConsumerConn *conn_of(KsSim *sim, KsConsumer *c, KsBroker *b, KsConsumerLink link)
{
    if (!c->conns)
        c->conns = g_array_new(FALSE, TRUE, sizeof(KsConsumerConn));
    guint i = (guint)b->slot * 2 + (link == KS_LINK_COORDINATOR);
    if (i >= c->conns->len)
        g_array_set_size(c->conns, i + 1);
    KsConsumerConn *cc = &g_array_index(c->conns, KsConsumerConn, i);
    if (!cc->net.server) {
        ks_net_conn_init(&sim->net, &cc->net, &c->ep, &b->ep);
        cc->closed_at = -1;
    }
    return cc;
}

void ks_consumer_conns_reset(KsConsumer *c)
{
    if (c->conns)
        g_array_set_size(c->conns, 0);
}

void ks_consumer_conns_free(KsConsumer *c)
{
    if (c->conns)
        g_array_free(c->conns, TRUE);
    c->conns = NULL;
}

/* The connection @m goes on: FindCoordinator the node's, the others the
 * coordinator's. */
static KsConsumerLink link_of(const KsGroupMsg *m)
{
    return m->kind == KS_GREQ_FIND_COORDINATOR ? KS_LINK_NODE : KS_LINK_COORDINATOR;
}

bool ks_consumer_conn_believed_open(KsSim *sim, KsConsumer *c, KsBroker *b, KsConsumerLink link)
{
    KsConsumerConn *cc = conn_of(sim, c, b, link);
    return ks_net_conn_is_open(&cc->net) || ks_net_conn_is_cut(sim, &cc->net);
}

bool ks_consumer_conn_closed_since(KsSim *sim, KsConsumer *c, KsBroker *b, KsConsumerLink link,
                                   KsTime t)
{
    return conn_of(sim, c, b, link)->closed_at > t;
}

KsTime ks_consumer_conn_wait(KsSim *sim, KsConsumer *c, KsBroker *b, KsConsumerLink link)
{
    KsConsumerConn *cc = conn_of(sim, c, b, link);
    KsTime now = ks_engine_now(sim->engine);
    if (cc->connecting_until > now)
        return cc->connecting_until - now;
    if (ks_consumer_conn_believed_open(sim, c, b, link))
        return -1;
    if (ks_net_conn_reopen(sim, &cc->net) != KS_NET_CONN_UNREACHABLE)
        return -1; /* open, or refused: net.c fails the request at once */
    cc->connecting_until = now + c->connect_timeout;
    return c->connect_timeout;
}

/* JoinGroup waits for the rebalance: AbstractCoordinator's
 * joinGroupTimeoutMs, with JOIN_GROUP_TIMEOUT_LAPSE of 5 s. */
static KsTime timeout_of(const KsConsumer *c, const KsGroupMsg *m)
{
    if (m->kind == KS_GREQ_JOIN)
        return MAX(c->request_timeout, c->max_poll_interval + 5 * KS_TIME_S);
    return c->request_timeout;
}

/* @m's request timeout ran out (@connecting 0), or the connection
 * attempt it waited for did (1). A request made stale meanwhile is
 * dropped. */
static void group_gave_up(KsSim *sim, void *ctx, uint64_t connecting, bool delivered)
{
    KsGroupMsg *m = ctx;
    KsConsumer *c = m->consumer;
    if (!delivered || !c->running || m->token != c->token) {
        ks_consumer_group_answer(sim, m, false);
        return;
    }
    ks_consumer_disconnect(sim, c, m->broker, link_of(m), ks_consumer_api_name(m->kind), connecting,
                           m);
}

void ks_consumer_send_group(KsSim *sim, KsConsumer *c, KsBroker *b, KsGroupMsg *m,
                            KsNetHandler arrives)
{
    m->sent = ks_engine_now(sim->engine);
    KsTime wait = ks_consumer_conn_wait(sim, c, b, link_of(m));
    if (wait >= 0)
        ks_net_after(sim, &c->ep, wait, group_gave_up, m, 1);
    else if (!ks_net_send(sim, &c->ep, &b->ep, KS_NET_GROUP_REQUEST, arrives, m, 0))
        ks_group_msg_free(m);
}

void ks_consumer_group_lost(KsSim *sim, KsGroupMsg *m)
{
    KsConsumer *c = m->consumer;
    /* InFlightRequests: timed out once more than the timeout has passed,
     * in whole milliseconds (as the producer's, producer.c). */
    KsTime at = m->sent + timeout_of(c, m) + KS_TIME_MS;
    ks_net_after(sim, &c->ep, MAX(at - ks_engine_now(sim->engine), 0), group_gave_up, m, 0);
}

static void emit_timeout(KsSim *sim, const KsConsumer *c, const KsBroker *b, const char *api,
                         bool connecting, KsTime limit)
{
    KsEvent ev = ks_event_init(KS_EV_REQUEST_TIMED_OUT, ks_engine_now(sim->engine));
    g_autofree char *from = g_strdup_printf("consumer %s", c->name);
    g_autofree char *what = connecting ? g_strdup_printf("%s (connecting)", api) : NULL;
    ev.request_timeout.from = from;
    ev.request_timeout.to = b->id;
    ev.request_timeout.api = connecting ? what : api;
    ev.request_timeout.timeout_us = limit;
    ks_sim_emit(sim, &ev);
}

void ks_consumer_disconnect(KsSim *sim, KsConsumer *c, KsBroker *b, KsConsumerLink link,
                            const char *api, bool connecting, KsGroupMsg *m)
{
    KsConsumerConn *cc = conn_of(sim, c, b, link);
    /* Requests that waited for the same connection attempt fail in the
     * same instant: only the first says so. */
    bool first = !connecting || cc->connecting_until == ks_engine_now(sim->engine);
    KsTime limit = connecting ? c->connect_timeout : m ? timeout_of(c, m) : c->request_timeout;
    if (api && first)
        emit_timeout(sim, c, b, api, connecting, limit);
    ks_net_conn_close(&cc->net);
    cc->connecting_until = 0;
    cc->closed_at = ks_engine_now(sim->engine);
    if (m)
        ks_consumer_group_answer(sim, m, false); /* COORDINATOR_NOT_AVAILABLE */
    if (!c->running)
        return;
    if (link == KS_LINK_NODE)
        ks_consumer_fetch_disconnected(sim, c, b);
    else if (c->coordinator == b)
        ks_consumer_coordinator_lost(sim, c);
}
