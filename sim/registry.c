/* SPDX-License-Identifier: MIT */
/*
 * registry.c - the part of ZooKeeper the controller depends on: broker
 * sessions, /brokers/ids registration and the /controller election.
 *
 * A broker registers an ephemeral /brokers/ids/<id> node when it starts;
 * its creation zxid is the broker epoch. A broker that dies silently keeps
 * its node until its session times out (zookeeper.session.timeout.ms, 18 s
 * by default): only then does the controller learn of the failure. That
 * delay is what makes a crashed leader's partitions unavailable for a while,
 * and it is modelled exactly. The first broker to register becomes the
 * controller (it creates /controller first); when the controller's own
 * session expires, the live brokers race to create /controller again, and
 * the winner is drawn from the run's seed. Each new controller increments
 * /controller_epoch; the first has epoch 1.
 *
 * A broker restarted before its old session expired cannot register: its
 * /brokers/ids node still exists and belongs to the old session, so
 * KafkaZkClient.checkedEphemeralCreate fails with NodeExists and the new
 * process exits at startup ("Fatal error during KafkaServer startup"). The
 * broker stays down until it is started again after the old session is
 * gone; ks_registry_register_broker() reports that.
 *
 * Not modelled yet (the ZooKeeper issue): the znode tree itself, watches
 * with their latency, the ensemble, client-to-ZooKeeper network partitions.
 */
#include "model.h"

static void emit_broker(KsSim *sim, KsEventType type, KsBrokerId id, int32_t epoch)
{
    KsEvent ev = ks_event_init(type, ks_engine_now(sim->engine));
    ev.broker = id;
    ev.epoch = epoch;
    ks_sim_emit(sim, &ev);
}

/* Removes @b's registration. The controller reacts if there is a live one;
 * if the controller itself is gone, a new one is elected, and its failover
 * handles every broker that died meanwhile. */
static void unregister(KsSim *sim, KsBroker *b)
{
    if (!b->registered)
        return;
    b->registered = false;
    ks_timer_cancel(sim->engine, &b->session_timer);
    emit_broker(sim, KS_EV_SESSION_EXPIRED, b->id, -1);
    if (sim->controller == b->id) {
        sim->controller = KS_NO_BROKER;
        ks_controller_elect(sim);
        return;
    }
    KsBroker *c = ks_sim_find_broker(sim, sim->controller);
    if (c && c->alive)
        ks_controller_on_broker_failure(sim, b);
}

static void session_expired(KsEngine *engine, void *ctx, uint64_t arg)
{
    KsBroker *b = ctx;
    unregister(b->sim, b);
}

bool ks_registry_register_broker(KsSim *sim, KsBroker *b)
{
    if (!b->session_timer.fn)
        ks_timer_init(&b->session_timer, session_expired, b);
    if (b->registered)
        return false; /* NodeExists: the old session still owns the node */
    b->registered = true;
    b->broker_epoch = ++sim->next_zxid;
    emit_broker(sim, KS_EV_BROKER_REGISTERED, b->id, -1);
    if (sim->controller == KS_NO_BROKER) {
        ks_controller_elect(sim);
        return true;
    }
    KsBroker *c = ks_sim_find_broker(sim, sim->controller);
    if (c && c->alive)
        ks_controller_on_broker_startup(sim, b);
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

/* Elects a controller among the registered live brokers, if there is
 * none. The winner of the race is drawn from the run's seed. */
void ks_controller_elect(KsSim *sim)
{
    if (sim->controller != KS_NO_BROKER)
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
            : g_ptr_array_index(candidates, ks_rng_below(&sim->registry_rng, candidates->len));
    sim->controller = winner->id;
    sim->controller_epoch++;
    emit_broker(sim, KS_EV_CONTROLLER_ELECTED, winner->id, sim->controller_epoch);
    /* KafkaController.onControllerFailover: bring the cluster state in line
     * with what ZooKeeper now says: brokers that died while there was no
     * controller are failed, live ones are (re)started. */
    for (guint i = 0; i < sim->brokers->len; i++) {
        KsBroker *b = g_ptr_array_index(sim->brokers, i);
        if (!b->registered)
            ks_controller_on_broker_failure(sim, b);
    }
    for (guint i = 0; i < sim->brokers->len; i++) {
        KsBroker *b = g_ptr_array_index(sim->brokers, i);
        if (b->registered)
            ks_controller_on_broker_startup(sim, b);
    }
}
