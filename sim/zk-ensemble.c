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
 *  - A network partition (net-faults.c) between servers: two servers count
 *    as connected only if messages pass both ways (ZAB's connections are
 *    TCP); a lossy link connects (TCP retransmits). Only a server that
 *    reaches a majority of the ensemble, itself included, can lead or be
 *    elected, and only such a server serves brokers' sessions
 *    (ks_zk_reachable: a broker that reaches only servers of a minority
 *    stops renewing, as its client would see the connection lost and find
 *    no server of the majority to move to).
 *  - A leader whose followers it reaches fall below a majority commits
 *    nothing from that instant (no quorum), but holds office: a follower
 *    cut off counts as synced until syncLimit ticks pass without its acks
 *    (LearnerHandler.synced; a follower that died is gone at once, its
 *    connection reset). Then it gives up, and the followers on the far
 *    side, whose reads of the leader time out after the same syncLimit
 *    ticks (Learner's socket timeout), elect among the servers that reach
 *    a majority 200 ms later; with no majority anywhere the quorum is lost
 *    (zk_quorum_lost at the step-down). A cut healed in time leaves the
 *    leader in office: what waited commits then, and the sessions its
 *    tracker expired meanwhile expire then. A server that reaches the
 *    leader again (a heal, a restart) follows it and syncs at once.
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
 * rather than after zookeeper.connection.timeout.ms. syncLimit is 5 ticks
 * (zoo_sample.cfg) of the registry's tickTime, not a scenario setting;
 * initLimit is not modelled (a new leader's followers sync at once). Where
 * servers reach each other unevenly (overlapping cuts), the winner is the
 * best vote among all servers that reach a majority.
 */
#include "zk-ensemble.h"

#include "actions-private.h"
#include "controller-private.h"
#include "registry-private.h"

/* FastLeaderElection.finalizeWait. */
#define ELECTION_TIME (200 * KS_TIME_MS)
/* syncLimit, in ticks: zoo_sample.cfg's value. ZooKeeper refuses to start
 * an ensemble without one, and Kafka's config/zookeeper.properties (a
 * single server) sets none. */
#define SYNC_LIMIT 5

static void election_done(KsEngine *engine, void *ctx, uint64_t arg);
static void step_down_due(KsEngine *engine, void *ctx, uint64_t arg);

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

/* How long a leader keeps counting a follower whose acks stopped (and a
 * follower its leader): syncLimit ticks of the registry's tickTime. */
static KsTime sync_timeout(const KsSim *sim)
{
    return SYNC_LIMIT * sim->registry->tick_time;
}

/* Whether servers @i and @j (indexes) both run and reach each other both
 * ways: ZAB's connections need both directions. A lossy link connects. */
static bool servers_connected(const KsSim *sim, int32_t i, int32_t j)
{
    const KsZkEnsemble *zk = sim->zk;
    return zk->up[i] && zk->up[j] && ks_net_connected(sim, zk->nodes[i], zk->nodes[j]);
}

/* Whether server @i (an index) reaches a majority of the ensemble, itself
 * included: only such a server can lead, and only such a server serves
 * sessions. Without a cut, whether a majority runs. */
static bool on_majority_side(const KsSim *sim, int32_t i)
{
    int32_t seen = 0;
    for (int32_t j = 0; j < sim->zk->n; j++)
        seen += servers_connected(sim, i, j);
    return seen >= ks_zk_majority(sim->zk->n);
}

/* FastLeaderElection.totalOrderPredicate among the servers that reach a
 * majority: the newest history, then the highest id. 0: none can lead. */
static int32_t winner(const KsSim *sim)
{
    const KsZkEnsemble *zk = sim->zk;
    int32_t best = 0;
    for (int32_t i = 0; i < zk->n; i++)
        if (on_majority_side(sim, i) && (!best || zk->synced[i] >= zk->synced[best - 1]))
            best = i + 1;
    return best;
}

/* @id leads: the servers it reaches follow it and sync at once; the others
 * do not count for it. */
static void lead(KsSim *sim, int32_t id)
{
    KsZkEnsemble *zk = sim->zk;
    zk->leader = id;
    zk->epoch++;
    for (int32_t i = 0; i < zk->n; i++) {
        bool follows = servers_connected(sim, id - 1, i);
        zk->acked_until[i] = follows ? KS_TIME_NEVER : -1;
        if (follows)
            zk->synced[i] = zk->epoch;
    }
}

bool ks_zk_reachable(const KsSim *sim, const KsNode *node)
{
    const KsZkEnsemble *zk = sim->zk;
    if (!zk || !ks_net_is_split(&sim->net))
        return true;
    for (int32_t i = 0; i < zk->n; i++)
        if (zk->up[i] && ks_net_connected(sim, node, zk->nodes[i]) && on_majority_side(sim, i))
            return true;
    return false;
}

KsZkEnsemble *ks_zk_new(KsSim *sim)
{
    const KsPlanZookeeper *pz = sim->plan->zookeeper;
    KsZkEnsemble *zk = g_new0(KsZkEnsemble, 1);
    sim->zk = zk;
    zk->n = pz ? pz->servers : 1;
    zk->up = g_new0(bool, zk->n);
    zk->synced = g_new0(int32_t, zk->n);
    zk->acked_until = g_new0(KsTime, zk->n);
    zk->nodes = g_new0(KsNode *, zk->n);
    for (int32_t i = 0; i < zk->n; i++) {
        zk->up[i] = true;
        if (pz && pz->nodes)
            zk->nodes[i] = ks_sim_find_node(sim, pz->nodes->pdata[i]);
    }
    zk->alters = g_array_new(FALSE, FALSE, sizeof(KsZkParkedAlter));
    ks_timer_init(&zk->election, election_done, sim);
    ks_timer_init(&zk->step_down, step_down_due, sim);
    lead(sim, zk->n);
    zk->viable = true;
    return zk;
}

void ks_zk_free(KsZkEnsemble *zk)
{
    if (!zk)
        return;
    g_free(zk->up);
    g_free(zk->synced);
    g_free(zk->acked_until);
    g_free(zk->nodes);
    g_array_free(zk->alters, TRUE);
    g_free(zk);
}

/* The leader and the followers it reaches now: a write commits when they
 * are a majority. */
static int32_t acking(const KsZkEnsemble *zk)
{
    int32_t n = 0;
    for (int32_t i = 0; i < zk->n; i++)
        n += zk->acked_until[i] == KS_TIME_NEVER;
    return n;
}

bool ks_zk_has_quorum(const KsSim *sim)
{
    const KsZkEnsemble *zk = sim->zk;
    return !zk || (zk->leader != 0 && acking(zk) >= ks_zk_majority(zk->n));
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

/* A leader election, if none leads or is being elected and some server
 * reaches a majority. */
static void maybe_elect(KsSim *sim)
{
    KsZkEnsemble *zk = sim->zk;
    if (zk->leader || ks_timer_is_armed(&zk->election) || !winner(sim))
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

/* The same leader reaches a majority again before it gave up (a cut
 * healed within syncLimit): the sessions its tracker expired meanwhile,
 * whose closeSession waited for the acks, expire now. */
static void expire_overdue_sessions(KsSim *sim)
{
    KsTime now = ks_engine_now(sim->engine);
    for (guint i = 0; i < sim->brokers->len; i++) {
        KsBroker *b = g_ptr_array_index(sim->brokers, i);
        if (b->registered && (!b->alive || b->zk_lost) && !ks_timer_is_armed(&b->session_timer))
            ks_timer_arm_at(sim->engine, &b->session_timer, now);
    }
}

/* The controller's writes that waited go through now, in arrival order. */
static void release_parked(KsSim *sim)
{
    KsZkEnsemble *zk = sim->zk;
    g_autoptr(GArray) parked = zk->alters;
    zk->alters = g_array_new(FALSE, FALSE, sizeof(KsZkParkedAlter));
    for (guint i = 0; i < parked->len; i++) {
        const KsZkParkedAlter *pa = &g_array_index(parked, KsZkParkedAlter, i);
        ks_controller_alter_partition(sim, pa->part, pa->arg, true);
    }
}

static void election_done(KsEngine *engine, void *ctx, uint64_t arg)
{
    KsSim *sim = ctx;
    KsZkEnsemble *zk = sim->zk;
    int32_t id = winner(sim);
    if (zk->leader || !id)
        return;
    lead(sim, id);
    zk->viable = true;
    emit_quorum(sim, KS_EV_ZK_LEADER_ELECTED);
    rearm_sessions(sim);
    release_parked(sim);
}

void ks_zk_park_alter(KsSim *sim, KsPartition *part, uint64_t arg)
{
    KsZkParkedAlter pa = {.part = part, .arg = arg};
    g_array_append_val(sim->zk->alters, pa);
}

/* The leader's followers after a change (Leader.lead, LearnerHandler.synced):
 * a server it reaches follows and syncs at once; one that died is gone at
 * once (its connection reset); one cut off still counts until syncLimit
 * ticks pass without its acks. */
static void update_followers(KsSim *sim)
{
    KsZkEnsemble *zk = sim->zk;
    KsTime now = ks_engine_now(sim->engine);
    for (int32_t i = 0; i < zk->n; i++) {
        if (servers_connected(sim, zk->leader - 1, i)) {
            zk->acked_until[i] = KS_TIME_NEVER;
            zk->synced[i] = zk->epoch;
        } else if (!zk->up[i]) {
            zk->acked_until[i] = -1;
        } else if (zk->acked_until[i] == KS_TIME_NEVER) {
            zk->acked_until[i] = now + sync_timeout(sim);
        }
    }
}

static int compare_desc(gconstpointer a, gconstpointer b)
{
    KsTime x = *(const KsTime *)a, y = *(const KsTime *)b;
    return (x < y) - (x > y);
}

/* When the leader's synced followers (itself included) fall below a
 * majority: never while it reaches a majority, else when the last cut-off
 * follower it needs runs out of syncLimit. */
static KsTime step_down_at(const KsSim *sim)
{
    const KsZkEnsemble *zk = sim->zk;
    int32_t needed = ks_zk_majority(zk->n) - acking(zk);
    if (needed <= 0)
        return KS_TIME_NEVER;
    g_autoptr(GArray) pending = g_array_new(FALSE, FALSE, sizeof(KsTime));
    for (int32_t i = 0; i < zk->n; i++)
        if (zk->acked_until[i] >= 0 && zk->acked_until[i] != KS_TIME_NEVER)
            g_array_append_val(pending, zk->acked_until[i]);
    if ((int32_t)pending->len < needed)
        return ks_engine_now(sim->engine);
    g_array_sort(pending, compare_desc);
    return MAX(g_array_index(pending, KsTime, needed - 1), ks_engine_now(sim->engine));
}

/* The leader keeps leading, steps down now, or is due to. */
static void check_leader(KsSim *sim)
{
    KsZkEnsemble *zk = sim->zk;
    update_followers(sim);
    KsTime at = step_down_at(sim);
    if (at == KS_TIME_NEVER) {
        ks_timer_cancel(sim->engine, &zk->step_down);
    } else if (at <= ks_engine_now(sim->engine)) {
        ks_timer_cancel(sim->engine, &zk->step_down);
        zk->leader = 0;
    } else {
        ks_timer_arm_at(sim->engine, &zk->step_down, at);
    }
}

/* After any change (a crash, a restart, a cut, a heal, a step-down): the
 * leader's followers, whether the ensemble lost its quorum for good, an
 * election, and the writes a quorum back under the same leader lets
 * through. */
static void settle(KsSim *sim)
{
    KsZkEnsemble *zk = sim->zk;
    bool had_quorum = ks_zk_has_quorum(sim);
    if (zk->leader)
        check_leader(sim);
    else
        ks_timer_cancel(sim->engine, &zk->step_down);
    bool viable = zk->leader || winner(sim);
    if (zk->viable && !viable) {
        emit_quorum(sim, KS_EV_ZK_QUORUM_LOST);
        ks_timer_cancel(sim->engine, &zk->election);
    }
    zk->viable = viable;
    maybe_elect(sim);
    if (!had_quorum && ks_zk_has_quorum(sim)) {
        expire_overdue_sessions(sim);
        release_parked(sim);
    }
}

static void step_down_due(KsEngine *engine, void *ctx, uint64_t arg)
{
    settle(ctx);
}

static void server_down(KsSim *sim, int32_t id)
{
    KsZkEnsemble *zk = sim->zk;
    zk->up[id - 1] = false;
    emit_server(sim, KS_EV_ZK_SERVER_CRASHED, id);
    if (zk->leader == id)
        zk->leader = 0;
    settle(sim);
}

static void server_up(KsSim *sim, int32_t id)
{
    sim->zk->up[id - 1] = true;
    emit_server(sim, KS_EV_ZK_SERVER_RESTARTED, id);
    settle(sim);
}

void ks_zk_network_changed(KsSim *sim)
{
    settle(sim);
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
