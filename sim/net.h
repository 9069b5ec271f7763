/* SPDX-License-Identifier: MIT */
/*
 * net.h - the message layer between simulated processes (see net.c).
 *
 * Private to sim/. A process (a broker, a client) owns a KsNetEndpoint; the
 * layer owns latency, links, connection state and what happens to a message
 * whose receiver died or restarted. Messages are never freed by the caller:
 * the layer recycles them after their handler ran.
 */
#pragma once

#include <stdbool.h>
#include <stdint.h>

#include <glib.h>

#include "kafkasim/plan.h"
#include "kafkasim/rng.h"
#include "kafkasim/types.h"

typedef struct KsNode KsNode;

/* One process as the network sees it. Written by its module's start and
 * crash (ks_net_endpoint_start / ks_net_endpoint_stop), read by net.c. */
typedef struct {
    KsNode *node;         /* its machine; NULL: a client on a machine of its own */
    uint64_t incarnation; /* +1 at every start and every stop of the process */
    uint64_t silent_stop; /* the incarnation a stop began while its machine was down (the
                           * process ended without a word: no kernel reset its connections) */
    bool up;              /* the process runs */
    KsTime paused_until;  /* `pause`: until then it handles nothing (what reaches it
                           * waits in its socket buffers) and sends nothing */
} KsNetEndpoint;

/* What a message is. The delivery rules are the same for every kind; the
 * kind is kept with the message for what will differ (sizes, per-kind
 * latency) and for debugging. */
typedef enum {
    KS_NET_PRODUCE_REQUEST,
    KS_NET_PRODUCE_RESPONSE,
    KS_NET_FETCH_REQUEST,
    KS_NET_FETCH_RESPONSE,
    KS_NET_GROUP_REQUEST,       /* a consumer's request to a group coordinator (or any broker) */
    KS_NET_GROUP_RESPONSE,      /* its answer */
    KS_NET_CONSUMER_FETCH,      /* a consumer's fetch request */
    KS_NET_CONSUMER_RECORDS,    /* its answer */
    KS_NET_METADATA_REQUEST,    /* a producer's Metadata request (any broker) */
    KS_NET_METADATA_RESPONSE,   /* its answer, from that broker's metadata cache */
    KS_NET_LEADER_AND_ISR,      /* controller -> broker (ControllerChannelManager) */
    KS_NET_UPDATE_METADATA,     /* controller -> broker */
    KS_NET_CONTROLLER_RESPONSE, /* broker -> controller: the answer to either */
    KS_NET_ALTER_PARTITION,     /* leader -> controller (AlterPartitionManager) */
    KS_NET_ALTER_PARTITION_RESPONSE, /* controller -> leader */
    KS_NET_LOCAL,                    /* a process's timer: a message to itself (ks_net_after) */
    KS_NET_LIST_OFFSETS,             /* a consumer's ListOffsets to a partition leader */
    KS_NET_LIST_OFFSETS_RESPONSE,    /* its answer */
    KS_NET_N_KINDS,
} KsNetKind;

/* Called once per message, at the instant it arrives. @delivered is false
 * when the receiver was down or had restarted since the message was sent
 * (or the link was down): the receiver never saw it, and the handler runs
 * on the sender's behalf (its connection broke). */
typedef void (*KsNetHandler)(KsSim *sim, void *ctx, uint64_t arg, bool delivered);

/* A client's connection to a server process: either end may ask whether it
 * is open. It is open from a successful ks_net_conn_open until the server
 * process stops (the incarnation it was opened against ends). */
typedef struct {
    const KsNetEndpoint *client;
    const KsNetEndpoint *server;
    uint64_t server_incarnation; /* the process it was opened to */
    const uint64_t *links_gen;   /* KsNet.links_gen: bumps when any link changes */
    uint64_t opened_links_gen;   /* its value when the connection opened */
    bool opened;
} KsNetConn;

typedef enum {
    KS_NET_CONN_OPEN,        /* connected */
    KS_NET_CONN_REFUSED,     /* the machine answers, the process is down */
    KS_NET_CONN_UNREACHABLE, /* the machine is down or the link is cut */
} KsNetConnResult;

/* A link declared with `link A B` (both ways): its latency (-1: by
 * distance) and its loss. */
typedef struct {
    const KsNode *a, *b;
    KsTime latency;
    uint32_t loss_ppm; /* messages dropped, per million */
} KsNetLink;

/* What partition-network did to messages from one machine to another:
 * all dropped (KS_NET_CUT) or a share of them. */
typedef struct {
    const KsNode *from, *to;
    uint32_t loss_ppm;
} KsNetCut;

#define KS_NET_CUT 1000000u /* a KsNetCut.loss_ppm: nothing passes */

/* The layer's state, embedded in KsSim; all zero is an empty layer with
 * the default latencies. */
typedef struct {
    uint64_t links_gen;         /* +1 whenever a link goes down or up */
    uint64_t servers_gen;       /* +1 whenever a broker process starts or stops, or a
                                   machine goes down or up (broker.c) */
    GPtrArray *messages;        /* every message ever allocated (owned) */
    struct KsNetMessage *spare; /* messages free for reuse, a linked list */
    /* `network` and `link` (ks_net_configure, ks_net_set_link) */
    bool custom; /* the latencies below replace the defaults */
    KsTime loopback, same_zone, cross_zone, cross_site, jitter; /* cross_site -1: the sites' */
    GArray *links;                                              /* of KsNetLink; NULL: none */
    GArray *cuts;          /* of KsNetCut, from partition-network until heal-network; NULL: none */
    KsRng rng;             /* jitter and loss: the run's seed, a stream of its own */
    GHashTable *fifo;      /* with jitter: (sender, receiver) -> its last arrival, so that
                            * messages between two processes keep their order (TCP) */
    bool dropped_silently; /* while a handler runs: its message was lost on the way */
} KsNet;

/* Frees the layer's messages, including those still in flight. */
void ks_net_clear(KsNet *net);

/* The `network` declaration (NULL: defaults) and the run's seed, for
 * jitter and loss. Before any message. */
void ks_net_configure(KsNet *net, const KsPlanNetwork *cfg, uint64_t seed);
/* Both, from the plan's `network` and `link` lines (sim.c's builder). */
bool ks_net_build(KsSim *sim, GError **error);
/* A `link A B`: its latency (-1: by distance) and loss, both ways. */
void ks_net_set_link(KsNet *net, const KsNode *a, const KsNode *b, KsTime latency,
                     int64_t loss_ppm);
/* partition-network: messages from @from to @to are dropped (@loss_ppm
 * KS_NET_CUT) or a share of them, until ks_net_heal. One direction. */
void ks_net_cut(KsNet *net, const KsNode *from, const KsNode *to, uint32_t loss_ppm);
/* heal-network: every cut and lossy split ends. */
void ks_net_heal(KsNet *net);
/* Whether any partition-network is in force. */
bool ks_net_is_split(const KsNet *net);

/* Whether messages pass both ways between two machines (`connected`). */
bool ks_net_connected(const KsSim *sim, const KsNode *a, const KsNode *b);
/* Whether @to is silent to @from: its machine is down or the network
 * between them is cut. A request sent there meets no answer and no reset;
 * only the sender's timeout tells. */
bool ks_net_silent_between(const KsSim *sim, const KsNetEndpoint *from, const KsNetEndpoint *to);
/* Inside a handler called with delivered = false: whether the message was
 * lost on the way (a cut link, a lossy one, a paused receiver) rather than
 * refused by a dead receiver. The sender then hears nothing: it waits for
 * its timeout instead of seeing its connection break. */
bool ks_net_dropped_silently(const KsSim *sim);

void ks_net_endpoint_init(KsNetEndpoint *ep, KsNode *node, bool up);
/* The process starts or stops: a new incarnation either way, so nothing sent
 * to the old one is delivered. */
void ks_net_endpoint_start(KsNetEndpoint *ep);
void ks_net_endpoint_stop(KsNetEndpoint *ep);
/* Whether the process is frozen by a `pause` now. */
bool ks_net_endpoint_paused(const KsSim *sim, const KsNetEndpoint *ep);

/* One-way latency between two machines (NULL: a client's own machine). */
KsTime ks_net_latency(const KsSim *sim, const KsNode *from, const KsNode *to);
/* Whether messages pass from @from to @to: false across a cut (one way). */
bool ks_net_link_up(const KsSim *sim, const KsNode *from, const KsNode *to);

/* Sends a message from @from to @to; @handler(@ctx, @arg) runs when it
 * arrives, after the link's latency. Returns false, and sends nothing,
 * when @from's process is down and so is its machine (a dead process's
 * kernel still resets its connections; a machine that is off says
 * nothing). One engine event per message sent, delivered or not. */
bool ks_net_send(KsSim *sim, const KsNetEndpoint *from, const KsNetEndpoint *to, KsNetKind kind,
                 KsNetHandler handler, void *ctx, uint64_t arg);
/* The same for a message of @bytes (its records): when machines have
 * types, it also waits for and spends time on their networks and disk
 * (capacity.c). ks_net_send is this with 0 bytes. */
bool ks_net_send_bytes(KsSim *sim, const KsNetEndpoint *from, const KsNetEndpoint *to,
                       KsNetKind kind, int64_t bytes, KsNetHandler handler, void *ctx,
                       uint64_t arg);
/* A process's own timer: @handler runs after @delay, with @delivered false
 * if the process stopped or restarted meanwhile. */
void ks_net_after(KsSim *sim, const KsNetEndpoint *ep, KsTime delay, KsNetHandler handler,
                  void *ctx, uint64_t arg);

void ks_net_conn_init(KsNet *net, KsNetConn *conn, const KsNetEndpoint *client,
                      const KsNetEndpoint *server);
/* Connects anew: open when the server process is up and reachable. */
KsNetConnResult ks_net_conn_reopen(KsSim *sim, KsNetConn *conn);

/* Whether @conn is open now: its server has not stopped and no link has
 * changed since it opened (then it must be opened again to tell). Inline:
 * a client asks before every request. */
static inline bool ks_net_conn_is_open(const KsNetConn *conn)
{
    return conn->opened && conn->server->up &&
           conn->server->incarnation == conn->server_incarnation &&
           conn->opened_links_gen == *conn->links_gen;
}

/* Whether @conn's client still believes it open although its server is
 * gone: the server's machine went down (no kernel reset the connection) and
 * has not come back. Requests sent on it are lost; only request.timeout.ms
 * tells the client. */
bool ks_net_conn_is_silent(const KsNetConn *conn);
/* The same, or the network between its client and server was cut after it
 * opened: the client believes it open until a request times out. */
bool ks_net_conn_is_cut(const KsSim *sim, const KsNetConn *conn);

/* Whether @ep's machine is down: a message to it meets silence, not a
 * reset, and its sender notices only by a timeout of its own. */
bool ks_net_endpoint_is_silent(const KsNetEndpoint *ep);
/* The client closes @conn (after a request timeout): it must be opened
 * again. */
void ks_net_conn_close(KsNetConn *conn);

/* Makes sure @conn is open: at once if it is, else by ks_net_conn_reopen. */
static inline KsNetConnResult ks_net_conn_open(KsSim *sim, KsNetConn *conn)
{
    return ks_net_conn_is_open(conn) ? KS_NET_CONN_OPEN : ks_net_conn_reopen(sim, conn);
}
