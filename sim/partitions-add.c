/* SPDX-License-Identifier: MIT */
/*
 * partitions-add.c - `add partitions TOPIC count=N`, as kafka-topics.sh
 * --alter --partitions N does it in ZooKeeper mode
 * (AdminZkClient.addPartitions, then the controller's
 * onNewPartitionCreation).
 *
 * The new partitions are placed by AdminUtils over the registered brokers
 * (rack-aware when they all have racks) with the replication factor of
 * partition 0, starting at partition id `old count` and at the fixed start
 * index Kafka derives from partition 0's first replica
 * (ks_placement_start_for_added), so placement is Kafka's exactly. The
 * controller then elects each new partition's first live replica and sends
 * LeaderAndIsr and UpdateMetadata. Nothing else moves: existing partitions
 * keep their logs, and clients learn of the new ones from their next
 * metadata refresh (metadata.max.age.ms, or an error that asks for one):
 * a producer's partitioner then spreads over them, and a consumer group's
 * leader sees the subscription's partition count change and rebalances
 * (producer-metadata.c, consumer.c).
 *
 * What it costs keyed data: murmur2(key) % N changes with N, so records of
 * one key land in another partition from the producer's refresh on, and
 * their order across the change is no longer one partition's. The
 * partitions_added event counts, for each producer writing the topic with
 * keys=K, how many of its K keys now map elsewhere.
 *
 * Runs once per action: O(new partitions * replication factor) plus
 * O(keys) per keyed producer.
 */
#include "reassign.h"

#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

#include "kafkasim/partitioner.h"
#include "kafkasim/placement.h"
#include "actions-private.h"
#include "controller-private.h"
#include "producer-private.h"
#include "model.h"

/* Of @pp's keys, how many map to another partition with @after partitions
 * than with @before. */
static int64_t keys_moved(const KsPlanProducer *pp, int32_t before, int32_t after)
{
    int64_t moved = 0;
    char key[300];
    for (int64_t k = 0; k < pp->keys; k++) {
        g_snprintf(key, sizeof key, "%s%" G_GINT64_FORMAT, pp->key_prefix, k);
        size_t len = strlen(key);
        moved += ks_partition_for_key(key, len, before) != ks_partition_for_key(key, len, after);
    }
    return moved;
}

static void emit_added(KsSim *sim, const KsTopic *t, int32_t before)
{
    g_autoptr(GPtrArray) lines = g_ptr_array_new_with_free_func(g_free);
    int64_t keys = 0, moved = 0;
    for (guint i = 0; i < sim->producers->len; i++) {
        const KsProducer *p = g_ptr_array_index(sim->producers, i);
        const KsPlanProducer *pp = p->plan;
        if (p->topic != t || !pp || pp->keys <= 0 || p->ignore_keys ||
            (p->partitioner != KS_PARTITIONER_DEFAULT && p->partitioner != KS_PARTITIONER_KEY))
            continue;
        int64_t m = keys_moved(pp, before, t->n_partitions);
        keys += pp->keys;
        moved += m;
        g_ptr_array_add(lines, g_strdup_printf("%s: %" PRId64 " of %" PRId64 " keys move", p->name,
                                               m, pp->keys));
    }
    KsEvent ev = ks_event_init(KS_EV_PARTITIONS_ADDED, ks_engine_now(sim->engine));
    ev.partitions_added.topic = t->name;
    ev.partitions_added.previous = before;
    ev.partitions_added.partitions = t->n_partitions;
    ev.partitions_added.keys = keys;
    ev.partitions_added.keys_moved = moved;
    ev.partitions_added.producers = (KsStringList){(const char *const *)lines->pdata, lines->len};
    ks_sim_emit(sim, &ev);
}

void ks_reassign_action_add_partitions(KsSim *sim, const KsPlanAction *a)
{
    KsTopic *t = ks_sim_find_topic(sim, a->topic);
    int32_t before = t->n_partitions, after = (int32_t)a->count;
    if (after <= before) {
        ks_sim_note(sim, a->loc.line,
                    "The number of partitions for a topic can only be increased. Topic %s "
                    "currently has %" PRId32 " partitions, %" PRId32 " would not be an increase.",
                    t->name, before, after);
        return;
    }
    if (!t->created || !ks_controller_can_write(sim)) {
        ks_sim_note(sim, a->loc.line, "%s: no active controller with a ZooKeeper quorum", t->name);
        return;
    }
    /* AdminZkClient.getBrokerMetadatas: the registered brokers. */
    g_autoptr(GArray) pbs = g_array_new(FALSE, FALSE, sizeof(KsPlacementBroker));
    for (guint i = 0; i < sim->brokers->len; i++) {
        const KsBroker *b = g_ptr_array_index(sim->brokers, i);
        KsPlacementBroker pb = {.id = b->id, .rack = b->rack};
        if (b->registered)
            g_array_append_val(pbs, pb);
    }
    const KsPartition *p0 = t->partitions[0];
    int32_t rf = p0->n_replicas;
    const KsPlacementBroker *list = (const KsPlacementBroker *)(const void *)pbs->data;
    int32_t start = ks_placement_start_for_added(list, pbs->len, p0->replicas[0]->broker->id);
    g_autofree KsBrokerId *ids = g_new(KsBrokerId, (size_t)(after - before) * rf);
    g_autoptr(GError) err = NULL;
    if (pbs->len == 0 ||
        !ks_placement_assign(list, pbs->len, after - before, rf, start, start, before, ids, &err)) {
        ks_sim_note(sim, a->loc.line, "%s: %s", t->name,
                    err ? err->message : "no broker is registered");
        return;
    }
    t->partitions = g_renew(KsPartition *, t->partitions, after);
    for (int32_t p = before; p < after; p++) {
        KsPartition *part = ks_sim_new_partition(t);
        ks_sim_init_partition(sim, t, part, p, ids + (size_t)(p - before) * rf, rf);
        t->partitions[p] = part;
    }
    t->n_partitions = after;
    emit_added(sim, t, before);
    ks_controller_create_partitions(sim, t, before);
}
