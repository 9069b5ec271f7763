/* SPDX-License-Identifier: MIT */
/*
 * zk-ensemble.c - the ZooKeeper ensemble Kafka's metadata lives in: its
 * servers, its leader, and whether a quorum takes writes, as ZooKeeper
 * 3.8.4 (the release Kafka 3.9 ships) behaves.
 *
 * `zookeeper servers=N node=...` declares N servers, ids 1..N (myid), on
 * the nodes given (one for all, or one per server); without the line there
 * is one server; `crash node` takes the servers on the node down with its
 * brokers, `restart node` brings them back. A leader serves when a
 * majority of the servers run and follow it (QuorumPeer,
 * FastLeaderElection):
 *  - At start-up all servers run and the one with the highest id leads.
 *  - When the leader dies, or a server comes back to a majority that had
 *    none, the running servers elect: the vote with the newest history
 *    (the epoch it last followed, ZooKeeper's zxid) wins, the highest id
 *    breaking ties, after FastLeaderElection's finalizeWait of 200 ms. The
 *    new leader's followers sync to it at once.
 *  - Fewer than a majority running: the leader gives up (Leader.lead: "not
 *    sufficient followers synced") and the rest keep looking. The ensemble
 *    has no quorum: ZooKeeper takes no writes and expires no session.
 * Every write the model makes waits for a quorum: the controller's ISR
 * writes (an AlterPartition it received waits and is answered once a
 * leader serves again, so the partition's leader keeps its ISR), and with
 * them the leader elections and controller failover that only follow a
 * session's expiry; a controlled shutdown gets no answer and a preferred
 * election does nothing (controller.c); a stopping broker's closeSession
 * does not commit, so its session outlives it (registry.c); a starting
 * broker finds no server to connect to and exits (broker.c). Brokers keep
 * serving what they lead.
 *
 * Sessions live in the leader's SessionTracker: a new leader rebuilds it
 * from its snapshot and re-arms every session's timeout from the moment
 * it leads (ZooKeeperServer.loadData, SessionTrackerImpl.addSession). A
 * broker whose process died before or during the outage therefore loses
 * its session a session timeout (rounded to the tick) after the new
 * leader starts, however long it has been dead; sessions of running
 * brokers are renewed by their pings (registry.c).
 *
 * Simplified: a server that leaves a majority behind makes the leader give
 * up at once (ZooKeeper notices within half a tick); the leader's sync of
 * followers takes no time; a broker that cannot connect exits at once
 * rather than after zookeeper.connection.timeout.ms.
 */
#include "zk-ensemble.h"

#include "actions-private.h"
#include "controller-private.h"
#include "registry-private.h"

/* FastLeaderElection.finalizeWait. */
#define ELECTION_TIME (200 * KS_TIME_MS)

static void election_done(KsEngine *engine, void *ctx, uint64_t arg);

int32_t ks_zk_majority(int32_t n)
{
    return n / 2 + 1;
}

static int32_t running(const KsZkEnsemble *zk)
{
    int32_t up = 0;
    for (int32_t i = 0; i < zk->n; i++)
        up += zk->up[i];
    return up;
}

/* FastLeaderElection.totalOrderPredicate among the running servers: the
 * newest history, then the highest id. */
static int32_t winner(const KsZkEnsemble *zk)
{
    int32_t best = 0;
    for (int32_t i = 0; i < zk->n; i++)
        if (zk->up[i] && (!best || zk->synced[i] >= zk->synced[best - 1]))
            best = i + 1;
    return best;
}

static void lead(KsZkEnsemble *zk, int32_t id)
{
    zk->leader = id;
    zk->epoch++;
    for (int32_t i = 0; i < zk->n; i++)
        if (zk->up[i])
            zk->synced[i] = zk->epoch;
}

bool ks_zk_reachable(const KsSim *sim, const KsNode *node)
{
    const KsZkEnsemble *zk = sim->zk;
    if (!zk || !ks_net_is_split(&sim->net))
        return true;
    for (int32_t i = 0; i < zk->n; i++) {
        if (!zk->up[i] || !ks_net_connected(sim, node, zk->nodes[i]))
            continue;
        /* A server that sees a majority of the running servers (itself
         * included) is on the quorum's side. */
        int32_t seen = 0;
        for (int32_t j = 0; j < zk->n; j++)
            seen += zk->up[j] && ks_net_connected(sim, zk->nodes[i], zk->nodes[j]);
        if (seen > zk->n / 2)
            return true;
    }
    return false;
}

KsZkEnsemble *ks_zk_new(KsSim *sim)
{
    const KsPlanZookeeper *pz = sim->plan->zookeeper;
    KsZkEnsemble *zk = g_new0(KsZkEnsemble, 1);
    zk->n = pz ? pz->servers : 1;
    zk->up = g_new0(bool, zk->n);
    zk->synced = g_new0(int32_t, zk->n);
    zk->nodes = g_new0(KsNode *, zk->n);
    for (int32_t i = 0; i < zk->n; i++) {
        zk->up[i] = true;
        if (pz && pz->nodes)
            zk->nodes[i] = ks_sim_find_node(sim, pz->nodes->pdata[i]);
    }
    zk->alters = g_array_new(FALSE, FALSE, sizeof(KsZkParkedAlter));
    ks_timer_init(&zk->election, election_done, sim);
    lead(zk, zk->n);
    return zk;
}

void ks_zk_free(KsZkEnsemble *zk)
{
    if (!zk)
        return;
    g_free(zk->up);
    g_free(zk->synced);
    g_free(zk->nodes);
    g_array_free(zk->alters, TRUE);
    g_free(zk);
}

bool ks_zk_has_quorum(const KsSim *sim)
{
    return !sim->zk || sim->zk->leader != 0;
}

static void emit_quorum(KsSim *sim, KsEventType type)
{
    const KsZkEnsemble *zk = sim->zk;
    KsEvent ev = ks_event_init(type, ks_engine_now(sim->engine));
    ev.zk_quorum.leader = zk->leader ? zk->leader : -1;
    ev.zk_quorum.up = running(zk);
    ev.zk_quorum.servers = zk->n;
    ks_sim_emit(sim, &ev);
}

static void emit_server(KsSim *sim, KsEventType type, int32_t id)
{
    const KsNode *node = sim->zk->nodes[id - 1];
    KsEvent ev = ks_event_init(type, ks_engine_now(sim->engine));
    ev.zk_server.server = id;
    ev.zk_server.node = node ? node->name : NULL;
    ks_sim_emit(sim, &ev);
}

/* A leader election among the running servers, if a majority runs and
 * none leads or is being elected. */
static void maybe_elect(KsSim *sim)
{
    KsZkEnsemble *zk = sim->zk;
    if (zk->leader || ks_timer_is_armed(&zk->election) || running(zk) < ks_zk_majority(zk->n))
        return;
    ks_timer_arm(sim->engine, &zk->election, ELECTION_TIME);
}

/* The new leader's SessionTracker re-arms every session from now: the
 * sessions of dead brokers expire a timeout later (live ones are renewed
 * by their pings). */
static void rearm_sessions(KsSim *sim)
{
    KsTime now = ks_engine_now(sim->engine);
    for (guint i = 0; i < sim->brokers->len; i++) {
        KsBroker *b = g_ptr_array_index(sim->brokers, i);
        if (b->registered && (!b->alive || b->zk_lost)) {
            KsTime negotiated = ks_registry_negotiate(sim->registry, b->session_timeout);
            ks_timer_arm_at(sim->engine, &b->session_timer,
                            ks_registry_expiry_bucket(sim->registry, now, negotiated));
        }
    }
}

static void election_done(KsEngine *engine, void *ctx, uint64_t arg)
{
    KsSim *sim = ctx;
    KsZkEnsemble *zk = sim->zk;
    if (zk->leader || running(zk) < ks_zk_majority(zk->n))
        return;
    lead(zk, winner(zk));
    emit_quorum(sim, KS_EV_ZK_LEADER_ELECTED);
    rearm_sessions(sim);
    /* The controller's writes that waited go through now, in arrival order. */
    g_autoptr(GArray) parked = zk->alters;
    zk->alters = g_array_new(FALSE, FALSE, sizeof(KsZkParkedAlter));
    for (guint i = 0; i < parked->len; i++) {
        const KsZkParkedAlter *pa = &g_array_index(parked, KsZkParkedAlter, i);
        ks_controller_alter_partition(sim, pa->part, pa->arg, true);
    }
}

void ks_zk_park_alter(KsSim *sim, KsPartition *part, uint64_t arg)
{
    KsZkParkedAlter pa = {.part = part, .arg = arg};
    g_array_append_val(sim->zk->alters, pa);
}

static void server_down(KsSim *sim, int32_t id)
{
    KsZkEnsemble *zk = sim->zk;
    bool had = running(zk) >= ks_zk_majority(zk->n);
    zk->up[id - 1] = false;
    emit_server(sim, KS_EV_ZK_SERVER_CRASHED, id);
    bool quorum = running(zk) >= ks_zk_majority(zk->n);
    if (zk->leader == id || !quorum)
        zk->leader = 0;
    if (had && !quorum) {
        emit_quorum(sim, KS_EV_ZK_QUORUM_LOST);
        ks_timer_cancel(sim->engine, &zk->election);
    }
    maybe_elect(sim);
}

static void server_up(KsSim *sim, int32_t id)
{
    KsZkEnsemble *zk = sim->zk;
    zk->up[id - 1] = true;
    emit_server(sim, KS_EV_ZK_SERVER_RESTARTED, id);
    if (zk->leader)
        zk->synced[id - 1] = zk->epoch; /* it follows the leader and syncs */
    maybe_elect(sim);
}

void ks_zk_action_crash(KsSim *sim, const KsPlanAction *a)
{
    if (!sim->zk->up[a->broker - 1])
        ks_sim_note(sim, a->loc.line, "ZooKeeper server %d is already down", a->broker);
    else
        server_down(sim, a->broker);
}

void ks_zk_action_restart(KsSim *sim, const KsPlanAction *a)
{
    if (sim->zk->up[a->broker - 1])
        ks_sim_note(sim, a->loc.line, "ZooKeeper server %d is already running", a->broker);
    else
        server_up(sim, a->broker);
}

void ks_zk_node_crashed(KsSim *sim, const KsNode *node)
{
    for (int32_t i = 0; i < sim->zk->n; i++)
        if (sim->zk->nodes[i] == node && sim->zk->up[i])
            server_down(sim, i + 1);
}

void ks_zk_node_restarted(KsSim *sim, const KsNode *node)
{
    for (int32_t i = 0; i < sim->zk->n; i++)
        if (sim->zk->nodes[i] == node && !sim->zk->up[i])
            server_up(sim, i + 1);
}
