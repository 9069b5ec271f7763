/* SPDX-License-Identifier: MIT */
/*
 * net-faults.c - the network's faults as timeline actions: partition-network
 * (a cut both ways, one way with `->`, or a lossy split with loss=),
 * heal-network, and pause broker (a long GC pause, a frozen VM).
 *
 * net.c applies the cut to every message; this file says what else follows
 * at the instant: the events, which ZooKeeper servers still reach a
 * majority of the ensemble (zk-ensemble.c: a leader cut off from it steps
 * down syncLimit ticks later, a majority without a leader elects one), and
 * which running brokers can still reach the quorum's side (registry.c: a
 * broker cut off from it, or paused, stops renewing its session). Everything else follows from the
 * messages that no longer arrive: clients and followers notice only when a request times out, the
 * controller when its session expires.
 */
#include "actions-private.h"
#include "kafkasim/query-faults.h"
#include "model.h"
#include "net.h"
#include "registry-private.h"
#include "zk-ensemble.h"

static char *join_names(const GPtrArray *names)
{
    GString *s = g_string_new(NULL);
    for (guint i = 0; i < names->len; i++)
        g_string_append_printf(s, "%s%s", i ? "," : "", (const char *)names->pdata[i]);
    return g_string_free(s, FALSE);
}

void ks_net_action_partition(KsSim *sim, const KsPlanAction *a)
{
    uint32_t ppm = a->loss_ppm > 0 ? (uint32_t)a->loss_ppm : KS_NET_CUT;
    for (guint i = 0; i < a->side_a->len; i++) {
        const KsNode *x = ks_sim_find_node(sim, a->side_a->pdata[i]);
        for (guint j = 0; j < a->side_b->len; j++) {
            const KsNode *y = ks_sim_find_node(sim, a->side_b->pdata[j]);
            ks_net_cut(&sim->net, x, y, ppm);
            if (!a->one_way)
                ks_net_cut(&sim->net, y, x, ppm);
        }
    }
    g_autofree char *sa = join_names(a->side_a);
    g_autofree char *sb = join_names(a->side_b);
    KsEvent ev = ks_event_init(KS_EV_NETWORK_PARTITIONED, ks_engine_now(sim->engine));
    ev.network_split.side_a = sa;
    ev.network_split.side_b = sb;
    ev.network_split.one_way = a->one_way;
    ev.network_split.loss_ppm = ppm;
    ks_sim_emit(sim, &ev);
    ks_zk_network_changed(sim);
    ks_registry_contact_changed(sim);
}

void ks_net_action_heal(KsSim *sim, const KsPlanAction *a)
{
    if (!ks_net_is_split(&sim->net)) {
        ks_sim_note(sim, a->loc.line, "the network is not partitioned");
        return;
    }
    ks_net_heal(&sim->net);
    KsEvent ev = ks_event_init(KS_EV_NETWORK_HEALED, ks_engine_now(sim->engine));
    ev.network_split.loss_ppm = 0;
    ks_sim_emit(sim, &ev);
    ks_zk_network_changed(sim);
    ks_registry_contact_changed(sim);
}

static void pause_ends(KsEngine *engine, void *ctx, uint64_t incarnation)
{
    KsBroker *b = ctx;
    KsSim *sim = b->sim;
    if (!b->alive || b->ep.incarnation != incarnation ||
        b->ep.paused_until != ks_engine_now(engine))
        return;
    KsEvent ev = ks_event_init(KS_EV_BROKER_RESUMED, ks_engine_now(engine));
    ev.broker_pause.broker = b->id;
    ks_sim_emit(sim, &ev);
    ks_registry_contact_changed(sim);
}

void ks_net_action_pause(KsSim *sim, const KsPlanAction *a)
{
    KsBroker *b = ks_sim_find_broker(sim, a->broker);
    if (!b || !b->alive) {
        ks_sim_note(sim, a->loc.line, "broker %d is not running", a->broker);
        return;
    }
    KsTime now = ks_engine_now(sim->engine);
    b->ep.paused_until = MAX(b->ep.paused_until, now + a->pause);
    KsEvent ev = ks_event_init(KS_EV_BROKER_PAUSED, now);
    ev.broker_pause.broker = b->id;
    ev.broker_pause.duration_us = a->pause;
    ks_sim_emit(sim, &ev);
    ks_engine_schedule_at(sim->engine, b->ep.paused_until, pause_ends, b, b->ep.incarnation);
    ks_registry_contact_changed(sim);
}

bool ks_query_connected(const KsSim *sim, const char *node_a, const char *node_b)
{
    const KsNode *a = ks_sim_find_node((KsSim *)sim, node_a);
    const KsNode *b = ks_sim_find_node((KsSim *)sim, node_b);
    return a && b && ks_net_connected(sim, a, b);
}
