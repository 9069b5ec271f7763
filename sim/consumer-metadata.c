/* SPDX-License-Identifier: MIT */
/*
 * consumer-metadata.c - what a consumer's metadata says of its topics'
 * partition counts, and the rebalance a change of them starts (Kafka 3.9
 * ConsumerCoordinator: the leader's assignmentSnapshot against the
 * metadataSnapshot in rejoinNeededOrPending, "cached metadata has
 * changed"; Metadata.timeToNextUpdate for metadata.max.age.ms).
 *
 * A consumer refreshes its metadata every metadata.max.age.ms (checked at
 * each poll) and reads its topics' partition counts then; the group leader
 * runs the assignor over the counts in its own metadata and keeps them;
 * when a refresh shows another count for a subscribed topic, it asks to
 * rejoin, and the group rebalances over the new partitions. So partitions
 * added to a topic are consumed from the leader's next refresh on.
 *
 * Simplified: the refresh reads the controller's partition counts (Kafka
 * asks the least loaded broker, whose cache may lag by one UpdateMetadata),
 * and costs no request; leader changes are not part of it (the fetchers
 * find leaders on their own, consumer-fetch.c).
 *
 * Cost: one pass over the topics per refresh.
 */
#include "consumer-private.h"
#include "model.h"

#include <string.h>

/* Reads every topic's partition count into @counts (by topic index). */
static void read_counts(const KsSim *sim, GArray *counts)
{
    g_array_set_size(counts, sim->topics->len);
    for (guint i = 0; i < sim->topics->len; i++) {
        const KsTopic *t = g_ptr_array_index(sim->topics, i);
        g_array_index(counts, int32_t, i) = t->n_partitions;
    }
}

void ks_consumer_metadata_start(KsSim *sim, KsConsumer *c, KsTime max_age)
{
    if (!c->meta_counts) {
        c->meta_counts = g_array_new(FALSE, TRUE, sizeof(int32_t));
        c->snapshot = g_array_new(FALSE, TRUE, sizeof(int32_t));
    }
    c->metadata_max_age = max_age;
    c->meta_refreshed = ks_engine_now(sim->engine);
    read_counts(sim, c->meta_counts);
    g_array_set_size(c->snapshot, 0);
}

void ks_consumer_metadata_free(KsConsumer *c)
{
    if (c->meta_counts) {
        g_array_free(c->meta_counts, TRUE);
        g_array_free(c->snapshot, TRUE);
    }
}

int32_t ks_consumer_metadata_count(const KsConsumer *c, const KsTopic *t)
{
    if (!c->meta_counts || (guint)t->index >= c->meta_counts->len)
        return t->n_partitions; /* created after its last refresh: read at the assignment */
    return g_array_index(c->meta_counts, int32_t, t->index);
}

void ks_consumer_metadata_assigned(KsConsumer *c)
{
    if (!c->meta_counts)
        return;
    g_array_set_size(c->snapshot, 0);
    g_array_append_vals(c->snapshot, c->meta_counts->data, c->meta_counts->len);
}

/* Whether a subscribed topic's count differs between the leader's
 * assignment and its metadata now. */
static bool snapshot_changed(const KsSim *sim, const KsConsumer *c)
{
    for (guint i = 0; i < c->topic_names->len; i++) {
        const KsTopic *t = ks_sim_find_topic(sim, g_ptr_array_index(c->topic_names, i));
        if (!t || (guint)t->index >= c->snapshot->len || (guint)t->index >= c->meta_counts->len)
            continue;
        if (g_array_index(c->snapshot, int32_t, t->index) !=
            g_array_index(c->meta_counts, int32_t, t->index))
            return true;
    }
    return false;
}

void ks_consumer_metadata_poll(KsSim *sim, KsConsumer *c)
{
    KsTime now = ks_engine_now(sim->engine);
    if (!c->meta_counts || now - c->meta_refreshed < c->metadata_max_age)
        return;
    c->meta_refreshed = now;
    read_counts(sim, c->meta_counts);
    if (c->snapshot->len > 0 && snapshot_changed(sim, c)) {
        g_array_set_size(c->snapshot, 0);
        c->rejoin_needed = true;
    }
}
