/* SPDX-License-Identifier: MIT */
/*
 * reassign-plan.c - the `reassign` action: one partition to the replicas
 * given, or a plan for a topic or for every topic, as
 * kafka-reassign-partitions.sh --generate proposes it and --execute starts
 * it.
 *
 * --generate (ReassignPartitionsCommand.calculateAssignment) places each
 * topic anew over the brokers of --broker-list with AdminUtils'
 * assignReplicasToBrokers (placement.c): the topic's partition count, the
 * replication factor of its partition 0, rack-aware when the brokers have
 * racks, the start index and the shift drawn at random per topic. Here
 * they come from a substream of the run's seed named after the topic and
 * the action's line, or both from `placement-start=N`, so a plan is a pure
 * function of the scenario. The plan shows every partition whose replicas
 * change (current -> proposed) and each of those is reassigned
 * (reassign.c); a partition already at its proposed replicas is left
 * alone.
 *
 * Runs once per `reassign` action: O(partitions * replication factor).
 */
#include "reassign.h"

#include <inttypes.h>
#include <string.h>

#include "kafkasim/placement.h"
#include "kafkasim/rng.h"
#include "actions-private.h"
#include "model.h"

bool ks_reassign_generate(const KsSim *sim, const char *topic_name, int32_t n_partitions,
                          int32_t rf, const KsBrokerId *brokers, guint n, int32_t start, int line,
                          KsBrokerId *out, GError **error)
{
    g_autofree KsPlacementBroker *pbs = g_new0(KsPlacementBroker, MAX(n, 1));
    for (guint i = 0; i < n; i++) {
        const KsBroker *b = ks_sim_find_broker(sim, brokers[i]);
        pbs[i] = (KsPlacementBroker){.id = brokers[i], .rack = b ? b->rack : NULL};
    }
    int32_t shift = start;
    if (start < 0 && n > 0) {
        KsRng rng;
        g_autofree char *stream = g_strdup_printf("reassign:%s:%d", topic_name, line);
        ks_rng_init_stream(&rng, sim->seed, ks_rng_stream_id(stream));
        start = (int32_t)ks_rng_below(&rng, n);
        shift = (int32_t)ks_rng_below(&rng, n);
    } else if (n > 0) {
        start = shift = (int32_t)((guint)start % n);
    } else {
        start = shift = 0;
    }
    return ks_placement_assign(pbs, n, n_partitions, rf, start, shift, 0, out, error);
}

static GString *ids_text(const KsBrokerId *ids, guint n)
{
    GString *s = g_string_new(NULL);
    for (guint i = 0; i < n; i++)
        g_string_append_printf(s, "%s%" PRId32, i ? "," : "", ids[i]);
    return s;
}

/* Whether @part's replicas are @ids (@n), in that order. */
static bool same_replicas(const KsPartition *part, const KsBrokerId *ids, guint n)
{
    if ((guint)part->n_replicas != n)
        return false;
    for (guint i = 0; i < n; i++)
        if (part->replicas[i]->broker->id != ids[i])
            return false;
    return true;
}

/* Plans @t over the action's brokers; adds the partitions that move to
 * @moves (KsPartition*) and their targets to @targets, the lines to
 * @lines. */
static bool plan_topic(KsSim *sim, const KsPlanAction *a, KsTopic *t, GPtrArray *moves,
                       GArray *targets, GPtrArray *lines, int32_t *covered)
{
    int32_t rf = t->partitions[0]->n_replicas;
    guint nb = a->plan_brokers->len;
    g_autofree KsBrokerId *out = g_new(KsBrokerId, (size_t)t->n_partitions * rf);
    g_autoptr(GError) err = NULL;
    if (!ks_reassign_generate(sim, t->name, t->n_partitions, rf,
                              (const KsBrokerId *)(const void *)a->plan_brokers->data, nb,
                              a->placement_start, a->loc.line, out, &err)) {
        ks_sim_note(sim, a->loc.line, "topic %s cannot be planned: %s", t->name, err->message);
        return false;
    }
    *covered += t->n_partitions;
    for (int32_t p = 0; p < t->n_partitions; p++) {
        KsPartition *part = t->partitions[p];
        const KsBrokerId *ids = out + (size_t)p * rf;
        if (same_replicas(part, ids, (guint)rf))
            continue;
        g_autoptr(GArray) cur = g_array_new(FALSE, FALSE, sizeof(KsBrokerId));
        for (int32_t i = 0; i < part->n_replicas; i++)
            g_array_append_val(cur, part->replicas[i]->broker->id);
        g_autoptr(GString) before = ids_text((const KsBrokerId *)(const void *)cur->data, cur->len);
        g_autoptr(GString) after = ids_text(ids, (guint)rf);
        g_ptr_array_add(lines, g_strdup_printf("%s-%" PRId32 ": %s -> %s", t->name, p, before->str,
                                               after->str));
        g_ptr_array_add(moves, part);
        g_array_append_vals(targets, ids, (guint)rf);
    }
    return true;
}

void ks_reassign_action(KsSim *sim, const KsPlanAction *a)
{
    if (a->target.partition >= 0) {
        KsTopic *t = ks_sim_find_topic(sim, a->target.topic);
        ks_reassign_partition(sim, t->partitions[a->target.partition],
                              (const KsBrokerId *)(const void *)a->replicas->data, a->replicas->len,
                              a->throttle, a->loc.line);
        return;
    }
    g_autoptr(GPtrArray) moves = g_ptr_array_new();
    g_autoptr(GArray) targets = g_array_new(FALSE, FALSE, sizeof(KsBrokerId));
    g_autoptr(GPtrArray) lines = g_ptr_array_new_with_free_func(g_free);
    g_autoptr(GArray) rfs = g_array_new(FALSE, FALSE, sizeof(guint));
    int32_t covered = 0;
    g_autoptr(GPtrArray) topics = ks_sim_sorted_topics(sim);
    for (guint i = 0; i < topics->len; i++) {
        KsTopic *t = g_ptr_array_index(topics, i);
        if (!t->created || (a->target.topic && strcmp(t->name, a->target.topic) != 0) ||
            (!a->target.topic && t == sim->offsets_topic))
            continue;
        guint before = moves->len;
        if (!plan_topic(sim, a, t, moves, targets, lines, &covered))
            return;
        guint rf = (guint)t->partitions[0]->n_replicas;
        for (guint k = before; k < moves->len; k++)
            g_array_append_val(rfs, rf);
    }
    KsEvent ev = ks_event_init(KS_EV_REASSIGN_PLANNED, ks_engine_now(sim->engine));
    ev.reassign_plan.topic = a->target.topic;
    ev.reassign_plan.brokers =
        (KsIntList){(const int32_t *)(const void *)a->plan_brokers->data, a->plan_brokers->len};
    ev.reassign_plan.moves = (KsStringList){(const char *const *)lines->pdata, lines->len};
    ev.reassign_plan.partitions = covered;
    if (a->throttle > 0)
        ev.reassign_plan.throttle = a->throttle;
    ks_sim_emit(sim, &ev);
    guint at = 0;
    for (guint k = 0; k < moves->len; k++) {
        guint rf = g_array_index(rfs, guint, k);
        ks_reassign_partition(sim, g_ptr_array_index(moves, k),
                              &g_array_index(targets, KsBrokerId, at), rf, a->throttle,
                              a->loc.line);
        at += rf;
    }
}
