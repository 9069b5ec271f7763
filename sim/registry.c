/* SPDX-License-Identifier: MIT */
/*
 * registry.c - the part of ZooKeeper the controller depends on: broker
 * sessions, /brokers/ids registration and the /controller election.
 *
 * A broker registers an ephemeral /brokers/ids/<id> node when it starts.
 * A broker that dies silently keeps its node until its session expires:
 * only then does the controller learn of the failure. That delay is what
 * makes a crashed leader's partitions unavailable for a while, and it is
 * computed as ZooKeeper 3.8.4 (the release Kafka 3.9 ships) computes it:
 *  - The broker asks for zookeeper.session.timeout.ms (18 s by default);
 *    the server clamps it to [minSessionTimeout, maxSessionTimeout], 2 and
 *    20 ticks by default (ZooKeeperServer.processConnectRequest). Kafka's
 *    config/zookeeper.properties sets no tickTime, so a tick is ZooKeeper's
 *    default 3000 ms and the bounds are [6 s, 60 s].
 *  - An idle client pings once it has sent nothing for readTimeout/2 - 1 s,
 *    readTimeout being 2/3 of the negotiated timeout (ClientCnxn:
 *    onConnected, SendThread.run; at most 10 s apart): every 5 s by
 *    default. Every packet the server receives renews the session
 *    (ZooKeeperServer.touch -> SessionTrackerImpl.touchSession).
 *  - A renewed session is put in the bucket of the first tick boundary
 *    strictly after now + timeout (ExpiryQueue.update, roundToNextInterval),
 *    and the tracker expires a whole bucket at its boundary
 *    (SessionTrackerImpl.run).
 * So a crashed broker's session expires at the first tick boundary after
 * its last ping + the timeout: with the defaults 13 to 21 s after the crash,
 * "about 18 s". Where in its ping cycle the broker died is drawn from the
 * run's seed (uniform over the ping interval, in whole milliseconds, never
 * before the session was created), and so is the phase of the server's tick
 * grid (ZooKeeper's elapsed clock started at an arbitrary instant).
 *
 * Simplified: the broker's other ZooKeeper requests (they renew the session
 * too) and the time a ping takes to reach the server are not modelled; the
 * watch on /brokers/ids fires in the instant of the expiry. tickTime and the
 * session bounds are ZooKeeper's defaults (the scenario's `zookeeper`
 * line declares the ensemble's servers, not these settings).
 *
 * The controller watches the children of /brokers/ids. Sessions that expire
 * at the same instant delete their nodes before the controller reads the
 * list again, so it sees them as one change (processBrokerChange); here one
 * broker-change event is scheduled for the instant and coalesces them.
 *
 * The first broker to register becomes the controller (it creates
 * /controller first). /controller is ephemeral too: when the controller's
 * session expires, the live brokers race to create it again and the winner
 * is drawn from the run's seed. Each new controller increments
 * /controller_epoch; the first has epoch 1.
 *
 * A broker restarted before its old session expired cannot register: its
 * /brokers/ids node still exists and belongs to the old session, so
 * KafkaZkClient.checkedEphemeralCreate fails with NodeExists and the new
 * process exits at startup ("Fatal error during KafkaServer startup").
 *
 * The ensemble (zk-ensemble.c) decides whether sessions can expire at
 * all: without a quorum an expiry waits, and every new ZooKeeper leader
 * re-arms the sessions of dead brokers.
 *
 * A running broker that cannot reach a server on the quorum's side of a
 * network partition (zk-ensemble.c), or that is paused, sends no pings:
 * its session is left to expire as a dead broker's is
 * (ks_registry_contact_changed). Its process does not know: it goes on
 * acting as what it was (a zombie leader, a controller that no longer is)
 * until contact comes back. Then, if the session expired meanwhile, its
 * ZooKeeper client gets SESSION_EXPIRED, starts a new session and the
 * broker registers again (KafkaZkClient's session-expiry handler): the
 * controller sees a broker come back and sends it its state.
 *
 * Not modelled yet: the znode tree itself, watch latency.
 */
#include "registry-private.h"
#include "controller-private.h"
#include "model.h"
#include "zk-ensemble.h"

KsRegistry *ks_registry_new(uint64_t seed)
{
    KsRegistry *r = g_new0(KsRegistry, 1);
    r->controller = KS_NO_BROKER;
    ks_rng_init_stream(&r->rng, seed, ks_rng_stream_id("registry"));
    ks_rng_init_stream(&r->session_rng, seed, ks_rng_stream_id("zookeeper-sessions"));
    /* ZooKeeperServer.DEFAULT_TICK_TIME; min/max: setMinSessionTimeout and
     * setMaxSessionTimeout with -1, as Kafka's zookeeper.properties leaves them. */
    r->tick_time = 3000 * KS_TIME_MS;
    r->min_session_timeout = 2 * r->tick_time;
    r->max_session_timeout = 20 * r->tick_time;
    r->tick_phase =
        (KsTime)ks_rng_below(&r->session_rng, (uint64_t)(r->tick_time / KS_TIME_MS)) * KS_TIME_MS;
    return r;
}

void ks_registry_free(KsRegistry *registry)
{
    g_free(registry);
}

static void emit_broker(KsSim *sim, KsEventType type, KsBrokerId id, int32_t epoch)
{
    KsEvent ev = ks_event_init(type, ks_engine_now(sim->engine));
    if (type == KS_EV_CONTROLLER_ELECTED) {
        ev.controller_elected.broker = id;
        ev.controller_elected.controller_epoch = epoch;
    } else {
        ev.broker_event.broker = id;
    }
    ks_sim_emit(sim, &ev);
}

static void broker_change(KsEngine *engine, void *ctx, uint64_t arg)
{
    KsSim *sim = ctx;
    sim->registry->broker_change_pending = false;
    ks_controller_broker_change(sim);
}

/* The /brokers/ids watch fires: one controller event per instant. */
static void schedule_broker_change(KsSim *sim)
{
    if (sim->registry->broker_change_pending)
        return;
    sim->registry->broker_change_pending = true;
    ks_engine_schedule(sim->engine, 0, broker_change, sim, 0);
}

/* @b's session ends (expired, or closed by the broker): ZooKeeper deletes
 * its ephemeral nodes, /brokers/ids/<id> and, if it was the controller,
 * /controller. */
static void session_ends(KsSim *sim, KsBroker *b, KsEventType how)
{
    if (!b->registered)
        return;
    b->registered = false;
    ks_timer_cancel(sim->engine, &b->session_timer);
    emit_broker(sim, how, b->id, -1);
    if (b->alive)
        ks_registry_emit_zombie(sim, b);
    if (sim->registry->controller == b->id) {
        sim->registry->controller = KS_NO_BROKER;
        ks_controller_elect(sim);
        return;
    }
    schedule_broker_change(sim);
}

static void session_expired(KsEngine *engine, void *ctx, uint64_t arg)
{
    KsBroker *b = ctx;
    /* Without a quorum no server expires sessions: the next leader re-arms it. */
    if (ks_zk_has_quorum(b->sim))
        session_ends(b->sim, b, KS_EV_SESSION_EXPIRED);
}

void ks_registry_close_session(KsSim *sim, KsBroker *b)
{
    /* closeSession is a write: without a quorum the session outlives the
     * process and expires after the next ZooKeeper leader re-arms it. */
    if (ks_zk_has_quorum(sim))
        session_ends(sim, b, KS_EV_SESSION_CLOSED);
}

void ks_registry_init_broker(KsBroker *b)
{
    ks_timer_init(&b->session_timer, session_expired, b);
}

bool ks_registry_register_broker(KsSim *sim, KsBroker *b)
{
    if (b->registered)
        return false; /* NodeExists: the old session still owns the node */
    b->registered = true;
    b->registered_at = ks_engine_now(sim->engine);
    emit_broker(sim, KS_EV_BROKER_REGISTERED, b->id, -1);
    if (sim->registry->controller == KS_NO_BROKER)
        ks_controller_elect(sim);
    else
        ks_controller_broker_change(sim);
    return true;
}

KsTime ks_registry_session_expiry(const KsBroker *b)
{
    if (!b->registered || b->alive)
        return -1;
    /* Without a quorum the session waits for the next ZooKeeper leader. */
    if (!ks_zk_has_quorum(b->sim) || !ks_timer_is_armed(&b->session_timer))
        return KS_TIME_NEVER;
    return ks_timer_deadline(&b->session_timer);
}

KsTime ks_registry_negotiate(const KsRegistry *r, KsTime requested)
{
    return CLAMP(requested, r->min_session_timeout, r->max_session_timeout);
}

/* ClientCnxn.SendThread.run pings when readTimeout/2 - idleSend
 * - (idleSend > 1000 ? 1000 : 0) <= 0 or idleSend > MAX_SEND_PING_INTERVAL
 * (10000), all in ms; readTimeout = negotiated * 2 / 3 (onConnected). */
KsTime ks_registry_ping_interval(KsTime negotiated)
{
    int64_t half = negotiated / KS_TIME_MS * 2 / 3 / 2;
    int64_t idle = half <= 1000 ? MAX(half, 0) : MIN(MAX(half - 1000, 1001), 10001);
    return idle * KS_TIME_MS;
}

KsTime ks_registry_expiry_bucket(const KsRegistry *r, KsTime touched, KsTime negotiated)
{
    /* (time / interval + 1) * interval on the server's clock, which reads
     * the run's clock minus tick_phase; floor division, so that a time
     * before the first boundary still rounds up. */
    KsTime t = touched + negotiated - r->tick_phase;
    KsTime floor_ticks = t >= 0 ? t / r->tick_time : -((-t + r->tick_time - 1) / r->tick_time);
    return (floor_ticks + 1) * r->tick_time + r->tick_phase;
}

/* The process is gone: its pings stop, and the session expires in the
 * bucket its last ping put it in. */
void ks_registry_broker_died(KsSim *sim, KsBroker *b)
{
    if (!b->registered)
        return;
    KsRegistry *r = sim->registry;
    KsTime now = ks_engine_now(sim->engine);
    KsTime negotiated = ks_registry_negotiate(r, b->session_timeout);
    uint64_t interval_ms = (uint64_t)(ks_registry_ping_interval(negotiated) / KS_TIME_MS);
    KsTime idle = interval_ms ? (KsTime)ks_rng_below(&r->session_rng, interval_ms) * KS_TIME_MS : 0;
    KsTime touched = MAX(now - idle, b->registered_at);
    KsTime expiry = ks_registry_expiry_bucket(r, touched, negotiated);
    ks_timer_arm_at(sim->engine, &b->session_timer, expiry);
}

/* Elects a controller among the registered live brokers, if there is none:
 * the first to create /controller wins. At start-up that is the first broker
 * to register; after a controller's session expired, the race among the
 * live brokers is drawn from the run's seed. */
void ks_controller_elect(KsSim *sim)
{
    if (sim->registry->controller != KS_NO_BROKER)
        return;
    g_autoptr(GPtrArray) candidates = g_ptr_array_new();
    for (guint i = 0; i < sim->brokers->len; i++) {
        KsBroker *b = g_ptr_array_index(sim->brokers, i);
        if (b->registered && b->alive && !b->zk_lost)
            g_ptr_array_add(candidates, b);
    }
    if (candidates->len == 0)
        return;
    KsBroker *winner =
        candidates->len == 1
            ? g_ptr_array_index(candidates, 0)
            : g_ptr_array_index(candidates, ks_rng_below(&sim->registry->rng, candidates->len));
    sim->registry->controller = winner->id;
    sim->registry->controller_epoch++;
    emit_broker(sim, KS_EV_CONTROLLER_ELECTED, winner->id, sim->registry->controller_epoch);
    ks_controller_failover(sim);
}

/* The partitions @b still acts as leader of, comma-separated; NULL: none. */
static char *led_by(KsSim *sim, const KsBroker *b)
{
    GString *s = NULL;
    for (guint i = 0; i < sim->topics->len; i++) {
        KsTopic *t = g_ptr_array_index(sim->topics, i);
        for (int32_t k = 0; k < t->n_partitions; k++) {
            const KsPartition *part = t->partitions[k];
            const KsReplica *lr = part->leader_replica;
            if (!(lr && lr->broker == b) && !(part->zombie && part->zombie->broker == b))
                continue;
            if (!s)
                s = g_string_new(NULL);
            else
                g_string_append_c(s, ',');
            g_string_append_printf(s, "%s-%d", t->name, k);
        }
    }
    return s ? g_string_free(s, FALSE) : NULL;
}

static void emit_contact(KsSim *sim, KsEventType type, KsBroker *b, KsTime expires, char *leads)
{
    KsEvent ev = ks_event_init(type, ks_engine_now(sim->engine));
    ev.zk_contact.broker = b->id;
    ev.zk_contact.expires_us = expires;
    ev.zk_contact.leads = leads;
    ks_sim_emit(sim, &ev);
    g_free(leads);
}

void ks_registry_emit_zombie(KsSim *sim, KsBroker *b)
{
    emit_contact(sim, KS_EV_ZOMBIE_LEADER, b, -1, led_by(sim, b));
}

void ks_registry_contact_changed(KsSim *sim)
{
    for (guint i = 0; i < sim->brokers->len; i++) {
        KsBroker *b = g_ptr_array_index(sim->brokers, i);
        if (!b->alive) {
            b->zk_lost = false;
            continue;
        }
        bool lost = ks_net_endpoint_paused(sim, &b->ep) || !ks_zk_reachable(sim, b->node);
        if (lost == b->zk_lost)
            continue;
        b->zk_lost = lost;
        if (lost) {
            ks_registry_broker_died(sim, b);
            KsTime at =
                b->registered && ks_zk_has_quorum(sim) ? ks_timer_deadline(&b->session_timer) : -1;
            emit_contact(sim, KS_EV_ZK_CONTACT_LOST, b, at, NULL);
            continue;
        }
        ks_timer_cancel(sim->engine, &b->session_timer);
        emit_contact(sim, KS_EV_ZK_CONTACT_REGAINED, b, -1, NULL);
        /* SESSION_EXPIRED on reconnecting: a new session, registered anew. */
        if (!b->registered)
            ks_registry_register_broker(sim, b);
    }
}
