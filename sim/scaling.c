/* SPDX-License-Identifier: MIT */
/*
 * scaling.c - changing the cluster's machines while it runs: `add broker`
 * (horizontal scaling) and `resize node` / `rolling-resize` (vertical).
 *
 * add node: a new machine joins (no broker yet), with its type and site;
 * it is billed from then on.
 *
 * add broker: a new broker process starts on a node, as a new machine joins
 * a running cluster (KafkaServer.startup): it registers /brokers/ids/<id>,
 * the controller's watch sees a new live broker (onBrokerStartup) and sends
 * it and every other broker UpdateMetadata. It hosts no replica until a
 * reassignment gives it some: nothing else moves, so there is no downtime.
 * The broker's declaration is made here from the action (owned by the
 * scaling state, which lives as long as the sim).
 *
 * resize node N type=T (vertical scaling): a bigger machine needs its
 * brokers restarted. Every broker running on N gets a controlled shutdown
 * (the controller moves its leadership away and takes it out of the
 * ISRs); once all have stopped, N changes type (node_resized) and they
 * start again on it: the downtime and the leaders moving are on the
 * timeline. rolling-resize type=T does every node that runs a broker, in
 * declaration order, one at a time, and starts the next only when the last
 * one's brokers are registered again and back in the ISR of every
 * partition they host, as an operator's rolling restart waits for
 * under-replicated partitions to reach 0. Both watch their progress every
 * POLL (a few engine events per node, only in scenarios that resize).
 *
 * Runs once per scaling action.
 */
#include "scaling.h"

#include "actions-private.h"
#include "broker-private.h"
#include "capacity.h"
#include "model.h"

#define POLL (100 * KS_TIME_MS)

/* One resize in progress: the nodes still to do, in order. */
typedef struct {
    KsSim *sim;
    const char *type; /* the action's (borrowed: actions outlive the sim's run) */
    GPtrArray *nodes; /* of KsNode*, borrowed; nodes[next] is being resized */
    guint next;
    bool wait_isr;     /* rolling: the next node waits for the ISRs */
    GArray *restarted; /* of KsBrokerId: brokers to start again on the current node */
    KsTime downtime;   /* from the brokers' stop to the machine's boot */
    enum { STOPPING, BOOTING, REJOINING } phase; /* of the current node */
} Resize;

struct KsScaling {
    GPtrArray *added;   /* of KsPlanBroker*, owned: brokers added at run time */
    GPtrArray *resizes; /* of Resize*, owned */
};

static void resize_free(gpointer p)
{
    Resize *r = p;
    g_ptr_array_free(r->nodes, TRUE);
    g_array_free(r->restarted, TRUE);
    g_free(r);
}

void ks_scaling_free(KsScaling *sc)
{
    if (!sc)
        return;
    g_ptr_array_free(sc->added, TRUE);
    g_ptr_array_free(sc->resizes, TRUE);
    g_free(sc);
}

static KsScaling *scaling(KsSim *sim)
{
    if (!sim->scaling) {
        sim->scaling = g_new0(KsScaling, 1);
        sim->scaling->added = g_ptr_array_new_with_free_func(ks_plan_broker_free);
        sim->scaling->resizes = g_ptr_array_new_with_free_func(resize_free);
    }
    return sim->scaling;
}

void ks_scaling_action_add_broker(KsSim *sim, const KsPlanAction *a)
{
    KsPlanBroker *pb = g_new0(KsPlanBroker, 1);
    pb->id = a->broker;
    pb->node = g_strdup(a->node);
    pb->rack = g_strdup(a->rack);
    pb->configs = ks_config_set_new();
    for (int k = 0; k < KS_CFG_COUNT; k++)
        ks_config_set_put_from(pb->configs, a->configs, (KsConfigKey)k);
    pb->loc = a->loc;
    g_ptr_array_add(scaling(sim)->added, pb);
    KsBroker *b = ks_broker_add(sim, pb);
    if (!b->node->up) {
        ks_sim_note(sim, a->loc.line, "broker %d cannot start: its node %s is down", b->id,
                    b->node->name);
        return;
    }
    ks_broker_restart(sim, b, KS_EV_BROKER_STARTED);
}

static bool node_has_brokers(const KsSim *sim, const KsNode *node)
{
    for (guint i = 0; i < sim->brokers->len; i++)
        if (((KsBroker *)g_ptr_array_index(sim->brokers, i))->node == node)
            return true;
    return false;
}

/* Whether broker @b runs, is registered and is in the ISR of every
 * partition it hosts that has a leader. */
static bool broker_rejoined(const KsSim *sim, const KsBroker *b)
{
    if (!b->alive || !b->registered)
        return false;
    for (guint i = 0; i < b->replicas->len; i++) {
        const KsReplica *r = g_ptr_array_index(b->replicas, i);
        if (r->part->leader != KS_NO_BROKER && !r->in_isr)
            return false;
    }
    return true;
}

static void resize_step(KsEngine *engine, void *ctx, uint64_t arg);

/* Starts resizing nodes[next]: its running brokers shut down. */
static void resize_begin(Resize *r)
{
    KsSim *sim = r->sim;
    KsNode *node = g_ptr_array_index(r->nodes, r->next);
    g_array_set_size(r->restarted, 0);
    for (guint i = 0; i < sim->brokers->len; i++) {
        KsBroker *b = g_ptr_array_index(sim->brokers, i);
        if (b->node != node || !b->alive)
            continue;
        g_array_append_val(r->restarted, b->id);
        if (b->shutting_down_since < 0)
            ks_broker_stop_controlled(sim, b);
    }
    r->phase = STOPPING;
    ks_engine_schedule(sim->engine, 0, resize_step, r, 0);
}

/* Once the node's brokers are down: the machine stops and changes type. */
static void resize_switch(Resize *r)
{
    KsSim *sim = r->sim;
    KsNode *node = g_ptr_array_index(r->nodes, r->next);
    const char *old = ks_capacity_set_node_type(sim, node, r->type);
    KsEvent ev = ks_event_init(KS_EV_NODE_RESIZED, ks_engine_now(sim->engine));
    ev.node_resized.node = node->name;
    ev.node_resized.node_type = r->type;
    ev.node_resized.old_node_type = old;
    ev.node_resized.downtime_us = r->downtime;
    ks_sim_emit(sim, &ev);
    r->phase = BOOTING;
    ks_engine_schedule(sim->engine, r->downtime, resize_step, r, 0);
}

/* It has booted: its brokers start again. */
static void resize_boot(Resize *r)
{
    KsSim *sim = r->sim;
    KsNode *node = g_ptr_array_index(r->nodes, r->next);
    for (guint i = 0; i < r->restarted->len; i++) {
        KsBroker *b = ks_sim_find_broker(sim, g_array_index(r->restarted, KsBrokerId, i));
        if (!b->alive && node->up)
            ks_broker_restart(sim, b, KS_EV_BROKER_RESTARTED);
    }
    r->phase = REJOINING;
}

static bool all_brokers(const Resize *r, bool (*pred)(const KsSim *, const KsBroker *))
{
    for (guint i = 0; i < r->restarted->len; i++)
        if (!pred(r->sim, ks_sim_find_broker(r->sim, g_array_index(r->restarted, KsBrokerId, i))))
            return false;
    return true;
}

static bool broker_down(const KsSim *sim, const KsBroker *b)
{
    return !b->alive;
}

static void resize_step(KsEngine *engine, void *ctx, uint64_t arg)
{
    Resize *r = ctx;
    switch (r->phase) {
    case STOPPING:
        if (!all_brokers(r, broker_down))
            break;
        resize_switch(r);
        return;
    case BOOTING:
        resize_boot(r);
        if (r->next + 1 >= r->nodes->len)
            return;
        break;
    case REJOINING:
        if (r->wait_isr && !all_brokers(r, broker_rejoined))
            break;
        r->next++;
        resize_begin(r);
        return;
    }
    ks_engine_schedule(engine, POLL, resize_step, r, 0);
}

static void resize_start(KsSim *sim, const KsPlanAction *a, GPtrArray *nodes, bool wait_isr)
{
    Resize *r = g_new0(Resize, 1);
    r->sim = sim;
    r->type = a->node_type;
    r->nodes = nodes;
    r->wait_isr = wait_isr;
    r->downtime = a->downtime;
    r->restarted = g_array_new(FALSE, FALSE, sizeof(KsBrokerId));
    g_ptr_array_add(scaling(sim)->resizes, r);
    resize_begin(r);
}

void ks_scaling_action_resize_node(KsSim *sim, const KsPlanAction *a)
{
    KsNode *node = ks_sim_find_node(sim, a->name);
    if (!node->up) {
        ks_sim_note(sim, a->loc.line, "node %s is down: restart it first", node->name);
        return;
    }
    GPtrArray *nodes = g_ptr_array_new();
    g_ptr_array_add(nodes, node);
    resize_start(sim, a, nodes, false);
}

void ks_scaling_action_rolling_resize(KsSim *sim, const KsPlanAction *a)
{
    GPtrArray *nodes = g_ptr_array_new();
    for (guint i = 0; i < sim->nodes->len; i++) {
        KsNode *n = g_ptr_array_index(sim->nodes, i);
        if (n->up && node_has_brokers(sim, n))
            g_ptr_array_add(nodes, n);
    }
    if (nodes->len == 0) {
        g_ptr_array_free(nodes, TRUE);
        ks_sim_note(sim, a->loc.line, "no node with a broker is up");
        return;
    }
    resize_start(sim, a, nodes, true);
}

void ks_scaling_action_add_node(KsSim *sim, const KsPlanAction *a)
{
    const KsPlanNode *pn = ks_plan_find_node(sim->plan, a->name);
    KsNode *n = g_new0(KsNode, 1);
    n->name = g_strdup(pn->name);
    n->zone = g_strdup(pn->zone);
    n->up = true;
    g_ptr_array_add(sim->nodes, n);
    ks_capacity_add_node(sim, sim->capacity, n, pn);
    KsEvent ev = ks_event_init(KS_EV_NODE_ADDED, ks_engine_now(sim->engine));
    ev.node_event.node = n->name;
    ks_sim_emit(sim, &ev);
}
