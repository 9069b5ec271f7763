/* SPDX-License-Identifier: MIT */
/*
 * query-waits.c - what waits on a partition (query-waits.h).
 *
 * Read from the model's own bookkeeping, never recomputed: the partition's
 * unavailability interval (broker.c keeps it for the summary), the acks=all
 * waits on its key in the leader's purgatory (purgatory.c), the producers'
 * per-partition accumulators (producer.c). Nothing is written, so asking
 * between two steps changes nothing.
 */
#include "kafkasim/query-waits.h"

#include "producer-private.h"
#include "registry-private.h"
#include "model.h"

/* Records of the acks=all waits on @part's key: each wait is one batch of a
 * parked produce request. */
static int64_t parked_records(const KsPartition *part, KsTime *since)
{
    int64_t n = 0;
    *since = -1;
    for (const GList *l = part->waits.head; l; l = l->next) {
        const KsWatch *w = l->data;
        const KsProduceWait *wait = (const KsProduceWait *)w; /* watch is its first member */
        const KsRequestBatch *rb =
            &g_array_index(wait->request->batches, KsRequestBatch, wait->batch);
        n += rb->count;
        if (*since < 0 || wait->request->sent < *since)
            *since = wait->request->sent;
    }
    return n;
}

void ks_query_partition_waits(const KsSim *sim, size_t topic, int32_t partition,
                              KsPartitionWaits *out)
{
    g_return_if_fail(topic < sim->topics->len);
    const KsTopic *t = g_ptr_array_index(sim->topics, topic);
    g_return_if_fail(partition >= 0 && partition < t->n_partitions);
    const KsPartition *part = t->partitions[partition];
    *out = (KsPartitionWaits){.no_leader_since = part->unavailable_since, .failing_since = -1};
    out->parked_records = parked_records(part, &out->parked_since);
    out->min_insync = ks_partition_min_isr(sim, part);
    for (guint i = 0; i < sim->producers->len; i++) {
        const KsProducer *p = g_ptr_array_index(sim->producers, i);
        if (p->topic != t || partition >= p->n_parts) /* not in its metadata yet */
            continue;
        const KsProducerPartition *pp = &p->parts[partition];
        for (const GList *l = pp->batches.head; l; l = l->next)
            out->producer_records += ((const KsProducerBatch *)l->data)->count;
        if (pp->failing && pp->batches.length > 0) {
            if (out->failing_producers++ == 0) {
                out->error = ks_kafka_error_name((KsKafkaError)pp->last_error);
                out->failing_since = pp->failing_since;
            }
        }
    }
}

KsTime ks_query_session_expiry(const KsSim *sim, KsBrokerId id)
{
    const KsBroker *b = ks_sim_find_broker(sim, id);
    if (!b || b->alive)
        return -1;
    return ks_registry_session_expiry(b);
}
