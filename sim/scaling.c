/* SPDX-License-Identifier: MIT */
/*
 * scaling.c - changing the cluster's machines while it runs: `add broker`
 * (horizontal scaling) and `resize node` / `rolling-resize` (vertical).
 *
 * add broker: a new broker process starts on a node, as a new machine joins
 * a running cluster (KafkaServer.startup): it registers /brokers/ids/<id>,
 * the controller's watch sees a new live broker (onBrokerStartup) and sends
 * it and every other broker UpdateMetadata. It hosts no replica until a
 * reassignment gives it some: nothing else moves, so there is no downtime.
 * The broker's declaration is made here from the action (owned by the
 * scaling state, which lives as long as the sim).
 *
 * Runs once per scaling action.
 */
#include "scaling.h"

#include "actions-private.h"
#include "broker-private.h"
#include "model.h"

struct KsScaling {
    GPtrArray *added; /* of KsPlanBroker*, owned: brokers added at run time */
};

void ks_scaling_free(KsScaling *sc)
{
    if (!sc)
        return;
    g_ptr_array_free(sc->added, TRUE);
    g_free(sc);
}

static KsScaling *scaling(KsSim *sim)
{
    if (!sim->scaling) {
        sim->scaling = g_new0(KsScaling, 1);
        sim->scaling->added = g_ptr_array_new_with_free_func(ks_plan_broker_free);
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
