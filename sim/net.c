/* SPDX-License-Identifier: MIT */
/*
 * net.c - the messages between processes: latency, links, connections, and
 * what becomes of a message whose receiver is gone.
 *
 * Every message one simulated process sends another goes through
 * ks_net_send: a produce request and its response, a follower's fetch and
 * its response, the controller's requests and a leader's AlterPartition. A process's own timers
 * that must die with it (the ISR expiration task, the retries of a controlled shutdown) are
 * messages to itself (ks_net_after). Nothing else delivers a message, and no module checks on
 * arrival whether its receiver still runs: this layer decides.
 *
 * What it models:
 *  - Latency, one way, by distance: within a machine (loopback) 50 us;
 *    between machines of the same zone, or where a zone is not given,
 *    500 us; between zones 1 ms. Clients declared without a node run on a
 *    machine of their own in no zone. Typical figures for one data centre
 *    and neighbouring availability zones; scenarios will be able to set
 *    them with the network issue.
 *  - Links: ks_net_link_up says whether two machines can talk. It answers
 *    true today; a network partition changes that function and nothing
 *    else. A message on a link that is down when it would arrive is lost
 *    like one to a dead receiver.
 *  - Processes and incarnations (a TCP connection belongs to one process):
 *    every endpoint has an incarnation that goes up when its process starts
 *    and when it stops. A message carries the incarnation its receiver had
 *    when it was sent; it is delivered only if the receiver is up and still
 *    at that incarnation, so a request sent to a broker that crashed, even
 *    one that restarted since, never reaches the new process. The handler
 *    still runs, once, with delivered = false: the sender learns that its
 *    connection broke (Kafka's NetworkClient sees the disconnect). What a
 *    process that died still sends is its machine's kernel resetting its
 *    connections (how a producer hears NETWORK_EXCEPTION at once): that
 *    goes out while the machine is up, and nothing does once the machine
 *    is down (ks_net_send returns false, the client times out).
 *  - A machine is not a process: a process killed on a live machine has
 *    its connections reset by the kernel, so its clients learn at once
 *    (ks_net_conn_open fails: refused). A machine that goes down says
 *    nothing: its clients' established connections stay open in their
 *    eyes (ks_net_conn_is_silent) until the machine comes back, and what
 *    they send on them is lost; NetworkClient notices only when a request
 *    outlives request.timeout.ms (producer.c; a follower's fetch, whose
 *    sessions ask ks_net_endpoint_is_silent: fetcher.c). A new connection to a
 *    machine that is down is unreachable: the attempt waits for
 *    socket.connection.setup.timeout.ms (producer.c). Client
 *    processes do not stop with their machine yet (crash-node takes down
 *    brokers only).
 *  - Connections (KsNetConn): a client's connection to a server, opened
 *    against one incarnation of the server; both ends can ask whether it is
 *    open (inline, from the endpoint's incarnation and a links generation
 *    that a cut or healed link will bump). Opening fails as refused (process down, machine up) or
 *    unreachable (machine down, link cut), which NetworkClient tells apart
 *    by the time a failed attempt takes.
 *
 * The controller's requests travel too: LeaderAndIsr and UpdateMetadata
 * to each broker and their answers (one in flight per broker,
 * controller.c), a leader's AlterPartition and the controller's answer.
 *
 * Bandwidth: a message that carries records says how many bytes
 * (ks_net_send_bytes); when its machines have types, capacity.c adds the
 * time it waits for and spends on their networks and disk.
 *
 * Not modelled yet: ZooKeeper traffic has no messages of its own either: a session
 * expires by a timer in registry.c, and the /brokers/ids watch fires in the
 * same instant. Loss on a live link is not modelled.
 *
 * Invariants: one engine event per message sent, delivered or not (the
 * golden timelines count them); messages to the same instant arrive in the
 * order they were sent (the engine's (time, seq) rule); a message is
 * handed to its handler exactly once.
 *
 * Cost: the benchmark sends a few messages per produce request and per
 * fetch round trip; a message is a small struct taken from a free list, so
 * sending allocates nothing in the steady state.
 */
#include "net.h"

#include "capacity.h"
#include "model.h"

#define LOOPBACK_US   50
#define SAME_ZONE_US  500
#define CROSS_ZONE_US 1000

typedef struct KsNetMessage KsNetMessage;
struct KsNetMessage {
    KsNetMessage *next_spare; /* in KsNet.spare, while not in flight */
    KsSim *sim;
    const KsNetEndpoint *from;
    const KsNetEndpoint *to;
    uint64_t incarnation; /* the receiver's when it was sent */
    KsNetKind kind;
    KsNetHandler handler;
    void *ctx;
    uint64_t arg;
};

void ks_net_clear(KsNet *net)
{
    if (net->messages)
        g_ptr_array_free(net->messages, TRUE);
    net->messages = NULL;
    net->spare = NULL;
}

void ks_net_endpoint_init(KsNetEndpoint *ep, KsNode *node, bool up)
{
    ep->node = node;
    ep->incarnation = 0;
    ep->up = up;
}

void ks_net_endpoint_start(KsNetEndpoint *ep)
{
    ep->up = true;
    ep->incarnation++;
}

void ks_net_endpoint_stop(KsNetEndpoint *ep)
{
    ep->up = false;
    ep->incarnation++;
    if (ep->node && !ep->node->up)
        ep->silent_stop = ep->incarnation;
}

/* The rules as static functions, which the sends below can inline; the
 * public names answer the same. */
static KsTime latency(const KsNode *from, const KsNode *to)
{
    if (from && from == to)
        return LOOPBACK_US;
    if (from && to && from->zone && to->zone && g_strcmp0(from->zone, to->zone) != 0)
        return CROSS_ZONE_US;
    return SAME_ZONE_US;
}

static bool link_up(const KsSim *sim, const KsNode *from, const KsNode *to)
{
    return true;
}

KsTime ks_net_latency(const KsSim *sim, const KsNode *from, const KsNode *to)
{
    return latency(from, to);
}

bool ks_net_link_up(const KsSim *sim, const KsNode *from, const KsNode *to)
{
    return link_up(sim, from, to);
}

static KsNetMessage *message_new(KsSim *sim)
{
    KsNet *net = &sim->net;
    KsNetMessage *m = net->spare;
    if (m) {
        net->spare = m->next_spare;
        return m;
    }
    if (!net->messages)
        net->messages = g_ptr_array_new_with_free_func(g_free);
    m = g_new0(KsNetMessage, 1);
    g_ptr_array_add(net->messages, m);
    return m;
}

/* The message arrives: the layer decides whether its receiver gets it. */
static void arrive(KsEngine *engine, void *ctx, uint64_t unused)
{
    KsNetMessage *m = ctx;
    KsSim *sim = m->sim;
    bool delivered = m->to->up && m->to->incarnation == m->incarnation &&
                     link_up(sim, m->from->node, m->to->node);
    KsNetHandler handler = m->handler;
    void *hctx = m->ctx;
    uint64_t arg = m->arg;
    /* Free for reuse before the handler runs: it may send. */
    m->next_spare = sim->net.spare;
    sim->net.spare = m;
    handler(sim, hctx, arg, delivered);
}

static void post(KsSim *sim, const KsNetEndpoint *from, const KsNetEndpoint *to, KsTime delay,
                 KsNetKind kind, KsNetHandler handler, void *ctx, uint64_t arg)
{
    KsNetMessage *m = message_new(sim);
    m->sim = sim;
    m->from = from;
    m->to = to;
    m->incarnation = to->incarnation;
    m->kind = kind;
    m->handler = handler;
    m->ctx = ctx;
    m->arg = arg;
    ks_engine_schedule(sim->engine, delay, arrive, m, 0);
}

bool ks_net_send_bytes(KsSim *sim, const KsNetEndpoint *from, const KsNetEndpoint *to,
                       KsNetKind kind, int64_t bytes, KsNetHandler handler, void *ctx, uint64_t arg)
{
    if (!from->up && from->node && !from->node->up)
        return false;
    KsTime delay = latency(from->node, to->node);
    if (sim->capacity)
        delay += ks_capacity_transfer(sim, from->node, to->node, kind, bytes);
    post(sim, from, to, delay, kind, handler, ctx, arg);
    return true;
}

bool ks_net_send(KsSim *sim, const KsNetEndpoint *from, const KsNetEndpoint *to, KsNetKind kind,
                 KsNetHandler handler, void *ctx, uint64_t arg)
{
    return ks_net_send_bytes(sim, from, to, kind, 0, handler, ctx, arg);
}

void ks_net_after(KsSim *sim, const KsNetEndpoint *ep, KsTime delay, KsNetHandler handler,
                  void *ctx, uint64_t arg)
{
    post(sim, ep, ep, delay, KS_NET_LOCAL, handler, ctx, arg);
}

void ks_net_conn_init(KsNet *net, KsNetConn *conn, const KsNetEndpoint *client,
                      const KsNetEndpoint *server)
{
    *conn = (KsNetConn){.client = client, .server = server, .links_gen = &net->links_gen};
}

bool ks_net_conn_is_silent(const KsNetConn *conn)
{
    const KsNetEndpoint *s = conn->server;
    return conn->opened && s->node && !s->node->up && s->silent_stop == s->incarnation &&
           s->incarnation == conn->server_incarnation + 1 &&
           conn->opened_links_gen == *conn->links_gen;
}

bool ks_net_endpoint_is_silent(const KsNetEndpoint *ep)
{
    return ep->node && !ep->node->up;
}

void ks_net_conn_close(KsNetConn *conn)
{
    conn->opened = false;
}

KsNetConnResult ks_net_conn_reopen(KsSim *sim, KsNetConn *conn)
{
    const KsNetEndpoint *s = conn->server;
    conn->opened = false;
    if ((s->node && !s->node->up) || !link_up(sim, conn->client->node, s->node))
        return KS_NET_CONN_UNREACHABLE;
    if (!s->up)
        return KS_NET_CONN_REFUSED;
    conn->opened = true;
    conn->server_incarnation = s->incarnation;
    conn->opened_links_gen = *conn->links_gen;
    return KS_NET_CONN_OPEN;
}
