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
 *    500 us; between zones 1 ms; between sites (capacity.c) the sites'
 *    wan-latency on top. Clients declared without a node run on a machine
 *    of their own in no zone. The `network` declaration replaces these
 *    figures (and may set a cross-site latency of its own), a `link A B`
 *    sets one pair of machines apart, and `jitter=` adds to each message a
 *    delay drawn uniformly from [0, jitter] with the run's seed (a stream of
 *    its own, drawn only when jitter is set, so runs without it do not
 *    change). Messages between the same two processes never overtake each
 *    other (TCP keeps order): with jitter, one arrives no earlier than the
 *    one sent before it.
 *  - Links: ks_net_link_up says whether messages pass from one machine to
 *    another. partition-network cuts links (both ways, or one way with
 *    `->`) until heal-network, or makes them lossy; a `link` may be lossy
 *    for the whole run. A message on a cut link, or one a lossy link drops
 *    (decided when it is sent, from the seed), is lost: its handler runs
 *    with delivered = false and ks_net_dropped_silently true, and the
 *    sender hears nothing (no reset crosses a cut): the modules that keep
 *    timeouts wait for them (producer.c and consumer-net.c:
 *    request.timeout.ms; fetcher.c: replica.socket.timeout.ms;
 *    controller.c: the controller's request timeout), as NetworkClient
 *    does. A link that is cut when a
 *    message would arrive loses it too.
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
 *  - A paused process (`pause broker 2 for 8s`: a long GC pause, a frozen
 *    VM) is alive and silent: what reaches it waits in its socket buffers
 *    and is handled when it resumes, in the order it came; its own timers
 *    sent through ks_net_after wait too, and what it would send leaves
 *    when it resumes.
 *  - A machine is not a process: a process killed on a live machine has
 *    its connections reset by the kernel, so its clients learn at once
 *    (ks_net_conn_open fails: refused). A machine that goes down says
 *    nothing: its clients' established connections stay open in their
 *    eyes (ks_net_conn_is_silent) until the machine comes back, and what
 *    they send on them is lost; NetworkClient notices only when a request
 *    outlives request.timeout.ms (producer.c; a follower's fetch, whose
 *    sessions ask ks_net_silent_between: fetcher.c). A new connection to a
 *    machine that is down, or across a cut, is unreachable: the attempt
 *    waits for socket.connection.setup.timeout.ms (producer.c). Client
 *    processes do not stop with their machine yet (crash-node takes down
 *    brokers only).
 *  - Connections (KsNetConn): a client's connection to a server, opened
 *    against one incarnation of the server; both ends can ask whether it is
 *    open (inline, from the endpoint's incarnation and a links generation
 *    that a cut or healed link bumps). A connection that was open when
 *    its link was cut stays open in its client's eyes (ks_net_conn_is_cut)
 *    until a request on it times out. Opening fails as refused (process
 *    down, machine up) or unreachable (machine down, link cut), which
 *    NetworkClient tells apart by the time a failed attempt takes.
 *
 * The controller's requests travel too: LeaderAndIsr and UpdateMetadata
 * to each broker and their answers (one in flight per broker,
 * controller.c), a leader's AlterPartition and the controller's answer.
 *
 * Bandwidth: a message that carries records says how many bytes
 * (ks_net_send_bytes); when its machines have types, capacity.c adds the
 * time it waits for and spends on their networks and disk.
 *
 * ZooKeeper traffic has no messages of its own: a broker's session lives
 * while its machine reaches a server of the quorum's side
 * (ks_net_connected; registry.c), and the /brokers/ids watch fires in the
 * same instant as an expiry.
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
#include "kafkasim/rng.h"

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
    bool lost;            /* a cut or lossy link dropped it when it was sent */
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
    if (net->links)
        g_array_free(net->links, TRUE);
    net->links = NULL;
    if (net->cuts)
        g_array_free(net->cuts, TRUE);
    net->cuts = NULL;
    if (net->fifo)
        g_hash_table_destroy(net->fifo);
    net->fifo = NULL;
}

/* A duration of the `network` line, or the default. */
static KsTime or_default(KsTime set, KsTime def)
{
    return set >= 0 ? set : def;
}

void ks_net_configure(KsNet *net, const KsPlanNetwork *cfg, uint64_t seed)
{
    ks_rng_init_stream(&net->rng, seed, ks_rng_stream_id("network"));
    net->custom = cfg != NULL;
    net->loopback = or_default(cfg ? cfg->loopback : -1, LOOPBACK_US);
    net->same_zone = or_default(cfg ? cfg->same_zone : -1, SAME_ZONE_US);
    net->cross_zone = or_default(cfg ? cfg->cross_zone : -1, CROSS_ZONE_US);
    net->cross_site = cfg ? cfg->cross_site : -1;
    net->jitter = cfg ? MAX(cfg->jitter, 0) : 0;
}

bool ks_net_build(KsSim *sim, GError **error)
{
    const KsPlan *plan = sim->plan;
    ks_net_configure(&sim->net, plan->network, sim->seed);
    for (guint i = 0; i < plan->links->len; i++) {
        const KsPlanLink *l = plan->links->pdata[i];
        ks_net_set_link(&sim->net, ks_sim_find_node(sim, l->a), ks_sim_find_node(sim, l->b),
                        l->latency, l->loss_ppm);
    }
    return true;
}

void ks_net_set_link(KsNet *net, const KsNode *a, const KsNode *b, KsTime latency, int64_t loss_ppm)
{
    if (!net->links)
        net->links = g_array_new(FALSE, FALSE, sizeof(KsNetLink));
    KsNetLink l = {a, b, latency, (uint32_t)CLAMP(loss_ppm, 0, KS_NET_CUT)};
    g_array_append_val(net->links, l);
}

void ks_net_cut(KsNet *net, const KsNode *from, const KsNode *to, uint32_t loss_ppm)
{
    if (!net->cuts)
        net->cuts = g_array_new(FALSE, FALSE, sizeof(KsNetCut));
    KsNetCut c = {from, to, MIN(loss_ppm, KS_NET_CUT)};
    g_array_append_val(net->cuts, c);
    net->links_gen++;
}

void ks_net_heal(KsNet *net)
{
    if (net->cuts)
        g_array_set_size(net->cuts, 0);
    net->links_gen++;
}

bool ks_net_is_split(const KsNet *net)
{
    return net->cuts && net->cuts->len > 0;
}

bool ks_net_dropped_silently(const KsSim *sim)
{
    return sim->net.dropped_silently;
}

void ks_net_endpoint_init(KsNetEndpoint *ep, KsNode *node, bool up)
{
    ep->node = node;
    ep->incarnation = 0;
    ep->silent_stop = 0;
    ep->up = up;
    ep->paused_until = 0;
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
    ep->paused_until = 0;
    if (ep->node && !ep->node->up)
        ep->silent_stop = ep->incarnation;
}

bool ks_net_endpoint_paused(const KsSim *sim, const KsNetEndpoint *ep)
{
    return ep->paused_until > ks_engine_now(sim->engine);
}

/* The rules as static functions, which the sends below can inline; the
 * public names answer the same. */

/* The `link` declared between two machines, or NULL. */
static const KsNetLink *declared_link(const KsNet *net, const KsNode *from, const KsNode *to)
{
    for (guint i = 0; net->links && i < net->links->len; i++) {
        const KsNetLink *l = &g_array_index(net->links, KsNetLink, i);
        if ((l->a == from && l->b == to) || (l->a == to && l->b == from))
            return l;
    }
    return NULL;
}

static KsTime latency(const KsSim *sim, const KsNode *from, const KsNode *to)
{
    const KsNet *net = &sim->net;
    bool custom = net->custom;
    if (from && from == to)
        return custom ? net->loopback : LOOPBACK_US;
    const KsNetLink *l = net->links ? declared_link(net, from, to) : NULL;
    if (l && l->latency >= 0)
        return l->latency;
    if (custom && net->cross_site >= 0 && sim->capacity && ks_capacity_across_sites(sim, from, to))
        return net->cross_site;
    if (from && to && from->zone && to->zone && g_strcmp0(from->zone, to->zone) != 0)
        return custom ? net->cross_zone : CROSS_ZONE_US;
    return custom ? net->same_zone : SAME_ZONE_US;
}

/* The share of messages from @from to @to that are dropped, per million. */
static uint32_t loss(const KsNet *net, const KsNode *from, const KsNode *to)
{
    uint32_t ppm = 0;
    if (net->links) {
        const KsNetLink *l = declared_link(net, from, to);
        if (l)
            ppm = l->loss_ppm;
    }
    for (guint i = 0; net->cuts && i < net->cuts->len; i++) {
        const KsNetCut *c = &g_array_index(net->cuts, KsNetCut, i);
        if (c->from == from && c->to == to)
            ppm = MAX(ppm, c->loss_ppm);
    }
    return ppm;
}

static bool link_up(const KsSim *sim, const KsNode *from, const KsNode *to)
{
    const KsNet *net = &sim->net;
    if (!net->cuts || !from || !to)
        return true;
    for (guint i = 0; i < net->cuts->len; i++) {
        const KsNetCut *c = &g_array_index(net->cuts, KsNetCut, i);
        if (c->from == from && c->to == to && c->loss_ppm >= KS_NET_CUT)
            return false;
    }
    return true;
}

KsTime ks_net_latency(const KsSim *sim, const KsNode *from, const KsNode *to)
{
    return latency(sim, from, to);
}

bool ks_net_link_up(const KsSim *sim, const KsNode *from, const KsNode *to)
{
    return link_up(sim, from, to);
}

bool ks_net_connected(const KsSim *sim, const KsNode *a, const KsNode *b)
{
    return link_up(sim, a, b) && link_up(sim, b, a);
}

bool ks_net_silent_between(const KsSim *sim, const KsNetEndpoint *from, const KsNetEndpoint *to)
{
    return ks_net_endpoint_is_silent(to) || !ks_net_connected(sim, from->node, to->node);
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
    bool alive = m->to->up && m->to->incarnation == m->incarnation;
    if (alive && m->to->paused_until > ks_engine_now(engine)) {
        /* Paused: it waits in the socket buffer until the process resumes. */
        ks_engine_schedule_at(engine, m->to->paused_until, arrive, m, 0);
        return;
    }
    bool passed = !m->lost && link_up(sim, m->from->node, m->to->node);
    bool delivered = alive && passed;
    KsNetHandler handler = m->handler;
    void *hctx = m->ctx;
    uint64_t arg = m->arg;
    /* Free for reuse before the handler runs: it may send. */
    m->next_spare = sim->net.spare;
    sim->net.spare = m;
    sim->net.dropped_silently = !passed;
    handler(sim, hctx, arg, delivered);
    sim->net.dropped_silently = false;
}

/* With jitter: the pair of processes a message goes between, so that
 * messages between them keep their order. */
typedef struct {
    const KsNetEndpoint *from, *to;
} Pair;

static guint pair_hash(gconstpointer p)
{
    const Pair *k = p;
    return g_direct_hash(k->from) * 31u + g_direct_hash(k->to);
}

static gboolean pair_equal(gconstpointer a, gconstpointer b)
{
    const Pair *x = a, *y = b;
    return x->from == y->from && x->to == y->to;
}

/* @delay plus a jitter drawn from the seed, no earlier than the message
 * sent before it from @from to @to. */
static KsTime jittered(KsSim *sim, const KsNetEndpoint *from, const KsNetEndpoint *to, KsTime delay)
{
    KsNet *net = &sim->net;
    delay += (KsTime)ks_rng_below(&net->rng, (uint64_t)net->jitter + 1);
    if (!net->fifo)
        net->fifo = g_hash_table_new_full(pair_hash, pair_equal, g_free, g_free);
    Pair key = {from, to};
    KsTime now = ks_engine_now(sim->engine);
    KsTime *last = g_hash_table_lookup(net->fifo, &key);
    if (!last) {
        last = g_new0(KsTime, 1);
        g_hash_table_insert(net->fifo, g_memdup2(&key, sizeof key), last);
    }
    delay = MAX(delay, *last - now);
    *last = now + delay;
    return delay;
}

static void post(KsSim *sim, const KsNetEndpoint *from, const KsNetEndpoint *to, KsTime delay,
                 KsNetKind kind, KsNetHandler handler, void *ctx, uint64_t arg, bool lost)
{
    KsNetMessage *m = message_new(sim);
    m->sim = sim;
    m->from = from;
    m->to = to;
    m->lost = lost;
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
    KsNet *net = &sim->net;
    KsTime delay = latency(sim, from->node, to->node);
    /* A paused sender's message leaves when it resumes. */
    KsTime now = ks_engine_now(sim->engine);
    if (from->paused_until > now)
        delay += from->paused_until - now;
    if (sim->capacity)
        delay += ks_capacity_transfer(sim, from->node, to->node, kind, bytes);
    if (net->jitter > 0)
        delay = jittered(sim, from, to, delay);
    bool lost = false;
    if ((net->links || net->cuts) && from->node != to->node) {
        uint32_t ppm = loss(net, from->node, to->node);
        lost = ppm >= KS_NET_CUT || (ppm > 0 && ks_rng_below(&net->rng, KS_NET_CUT) < ppm);
    }
    post(sim, from, to, delay, kind, handler, ctx, arg, lost);
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
    post(sim, ep, ep, delay, KS_NET_LOCAL, handler, ctx, arg, false);
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
           s->incarnation == conn->server_incarnation + 1;
}

bool ks_net_conn_is_cut(const KsSim *sim, const KsNetConn *conn)
{
    if (ks_net_conn_is_silent(conn))
        return true;
    const KsNetEndpoint *s = conn->server;
    return conn->opened && s->incarnation <= conn->server_incarnation + 1 &&
           !ks_net_connected(sim, conn->client->node, s->node);
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
    /* A handshake needs both directions. */
    if ((s->node && !s->node->up) || !ks_net_connected(sim, conn->client->node, s->node))
        return KS_NET_CONN_UNREACHABLE;
    if (!s->up)
        return KS_NET_CONN_REFUSED;
    conn->opened = true;
    conn->server_incarnation = s->incarnation;
    conn->opened_links_gen = *conn->links_gen;
    return KS_NET_CONN_OPEN;
}
