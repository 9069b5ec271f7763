/* SPDX-License-Identifier: MIT */
/*
 * registry.c - the part of ZooKeeper the controller depends on: broker
 * sessions, /brokers/ids registration and the /controller election.
 *
 * A broker registers an ephemeral /brokers/ids/<id> node when it starts.
 * A broker that dies silently keeps
 * its node until its session times out (zookeeper.session.timeout.ms, 18 s
 * by default): only then does the controller learn of the failure. That
 * delay is what makes a crashed leader's partitions unavailable for a while,
 * and it is modelled exactly.
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
 * Not modelled yet (the ZooKeeper issue): the znode tree itself, watch
 * latency, the ensemble, network partitions between brokers and ZooKeeper.
 */
#include "registry-private.h"
#include "controller-private.h"
#include "model.h"

KsRegistry *ks_registry_new(uint64_t seed)
{
    KsRegistry *r = g_new0(KsRegistry, 1);
    r->controller = KS_NO_BROKER;
    ks_rng_init_stream(&r->rng, seed, ks_rng_stream_id("registry"));
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
    session_ends(b->sim, b, KS_EV_SESSION_EXPIRED);
}

void ks_registry_close_session(KsSim *sim, KsBroker *b)
{
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
    emit_broker(sim, KS_EV_BROKER_REGISTERED, b->id, -1);
    if (sim->registry->controller == KS_NO_BROKER)
        ks_controller_elect(sim);
    else
        ks_controller_broker_change(sim);
    return true;
}

KsTime ks_registry_session_expiry(const KsBroker *b)
{
    return b->registered && ks_timer_is_armed(&b->session_timer)
               ? ks_timer_deadline(&b->session_timer)
               : -1;
}

void ks_registry_broker_died(KsSim *sim, KsBroker *b)
{
    if (b->registered)
        ks_timer_arm(sim->engine, &b->session_timer, b->session_timeout);
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
        if (b->registered && b->alive)
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
