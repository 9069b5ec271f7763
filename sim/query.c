/* SPDX-License-Identifier: MIT */
/*
 * query.c - the read-only queries of query.h.
 *
 * The only view-facing code that reads the model's structs: each query
 * copies a few fields into a value struct, in O(1) (a find by name walks
 * the topics or producers, a handful in every scenario; brokers are found
 * by binary search on their sorted array). Nothing here writes to the sim,
 * which the const of every argument enforces.
 */
#include "kafkasim/query.h"

#include <string.h>

#include "producer-private.h"
#include "registry-private.h"
#include "model.h"

const KsPlan *ks_query_plan(const KsSim *sim)
{
    g_return_val_if_fail(sim != NULL, NULL);
    return sim->plan;
}

uint64_t ks_query_seed(const KsSim *sim)
{
    g_return_val_if_fail(sim != NULL, 0);
    return sim->seed;
}

size_t ks_query_n_nodes(const KsSim *sim)
{
    g_return_val_if_fail(sim != NULL, 0);
    return sim->nodes->len;
}

void ks_query_node(const KsSim *sim, size_t index, KsNodeInfo *out)
{
    g_return_if_fail(sim != NULL && out != NULL);
    g_return_if_fail(index < sim->nodes->len);
    const KsNode *n = g_ptr_array_index(sim->nodes, index);
    *out = (KsNodeInfo){.name = n->name, .zone = n->zone, .up = n->up};
}

static void broker_info(const KsBroker *b, KsBrokerInfo *out)
{
    *out = (KsBrokerInfo){
        .id = b->id,
        .node = b->node->name,
        .rack = b->rack,
        .alive = b->alive,
        .registered = b->registered,
    };
}

bool ks_query_any_broker_alive(const KsSim *sim)
{
    g_return_val_if_fail(sim != NULL, false);
    for (guint i = 0; i < sim->brokers->len; i++)
        if (((const KsBroker *)g_ptr_array_index(sim->brokers, i))->alive)
            return true;
    return false;
}

size_t ks_query_n_brokers(const KsSim *sim)
{
    g_return_val_if_fail(sim != NULL, 0);
    return sim->brokers->len;
}

void ks_query_broker(const KsSim *sim, size_t index, KsBrokerInfo *out)
{
    g_return_if_fail(sim != NULL && out != NULL);
    g_return_if_fail(index < sim->brokers->len);
    broker_info(g_ptr_array_index(sim->brokers, index), out);
}

bool ks_query_find_broker(const KsSim *sim, KsBrokerId id, KsBrokerInfo *out)
{
    g_return_val_if_fail(sim != NULL && out != NULL, false);
    const KsBroker *b = ks_sim_find_broker(sim, id);
    if (!b)
        return false;
    broker_info(b, out);
    return true;
}

KsBrokerId ks_query_controller(const KsSim *sim)
{
    g_return_val_if_fail(sim != NULL, KS_NO_BROKER);
    return sim->registry->controller;
}

int32_t ks_query_controller_epoch(const KsSim *sim)
{
    g_return_val_if_fail(sim != NULL, 0);
    return sim->registry->controller_epoch;
}

size_t ks_query_n_topics(const KsSim *sim)
{
    g_return_val_if_fail(sim != NULL, 0);
    return sim->topics->len;
}

void ks_query_topic(const KsSim *sim, size_t index, KsTopicInfo *out)
{
    g_return_if_fail(sim != NULL && out != NULL);
    g_return_if_fail(index < sim->topics->len);
    const KsTopic *t = g_ptr_array_index(sim->topics, index);
    *out = (KsTopicInfo){
        .name = t->name,
        .index = index,
        .n_partitions = t->n_partitions,
        .replication_factor = t->replication_factor,
        .min_insync = t->min_insync,
        .unclean_election = t->unclean_election,
        .overrides = t->plan->configs,
        .leader_elections = t->leader_elections,
    };
}

bool ks_query_find_topic(const KsSim *sim, const char *name, size_t *out_index)
{
    g_return_val_if_fail(sim != NULL && name != NULL && out_index != NULL, false);
    const KsTopic *t = ks_sim_find_topic(sim, name);
    if (!t)
        return false;
    *out_index = (size_t)t->index;
    return true;
}

static gint cmp_topic_index_by_name(gconstpointer a, gconstpointer b, gpointer topics)
{
    const KsTopic *x = g_ptr_array_index((GPtrArray *)topics, *(const size_t *)a);
    const KsTopic *y = g_ptr_array_index((GPtrArray *)topics, *(const size_t *)b);
    return strcmp(x->name, y->name);
}

GArray *ks_query_topics_by_name(const KsSim *sim)
{
    g_return_val_if_fail(sim != NULL, NULL);
    GArray *order = g_array_sized_new(FALSE, FALSE, sizeof(size_t), sim->topics->len);
    for (size_t i = 0; i < sim->topics->len; i++)
        g_array_append_val(order, i);
    /* Topic names are unique, so the order is total. */
    g_array_sort_with_data(order, cmp_topic_index_by_name, sim->topics);
    return order;
}

/* Topic @topic's partition @partition, or NULL (with a critical) if out of
 * range. */
static const KsPartition *partition_at(const KsSim *sim, size_t topic, int32_t partition)
{
    g_return_val_if_fail(topic < sim->topics->len, NULL);
    const KsTopic *t = g_ptr_array_index(sim->topics, topic);
    g_return_val_if_fail(partition >= 0 && partition < t->n_partitions, NULL);
    return t->partitions[partition];
}

void ks_query_partition(const KsSim *sim, size_t topic, int32_t partition, KsPartitionInfo *out)
{
    g_return_if_fail(sim != NULL && out != NULL);
    const KsPartition *part = partition_at(sim, topic, partition);
    if (!part)
        return;
    const KsReplica *lr = part->leader_replica;
    *out = (KsPartitionInfo){
        .topic = part->topic->name,
        .partition = part->index,
        .leader = part->leader,
        .leader_epoch = part->leader_epoch,
        .n_replicas = part->n_replicas,
        .isr = ks_partition_isr_ids(part),
        .n_isr = part->isr->len,
        .log_start_offset = lr ? 0 : -1,
        .log_end_offset = lr ? lr->log.end : -1,
        .high_watermark = lr ? lr->hw : -1,
    };
}

void ks_query_replica(const KsSim *sim, size_t topic, int32_t partition, int32_t replica,
                      KsReplicaInfo *out)
{
    g_return_if_fail(sim != NULL && out != NULL);
    const KsPartition *part = partition_at(sim, topic, partition);
    if (!part)
        return;
    g_return_if_fail(replica >= 0 && replica < part->n_replicas);
    const KsReplica *rep = part->replicas[replica];
    *out = (KsReplicaInfo){
        .broker = rep->broker->id,
        .alive = rep->broker->alive,
        .is_leader = rep == part->leader_replica,
        .in_isr = rep->in_isr,
        .log_start_offset = 0,
        .log_end_offset = rep->log.end,
        .high_watermark = rep->hw,
    };
}

GArray *ks_query_replica_epochs(const KsSim *sim, size_t topic, int32_t partition, int32_t replica)
{
    GArray *out = g_array_new(FALSE, FALSE, sizeof(KsEpochStart));
    g_return_val_if_fail(sim != NULL, out);
    const KsPartition *part = partition_at(sim, topic, partition);
    g_return_val_if_fail(part && replica >= 0 && replica < part->n_replicas, out);
    const GArray *epochs = part->replicas[replica]->epochs;
    for (guint i = 0; i < epochs->len; i++) {
        const KsEpochEntry *e = &g_array_index(epochs, KsEpochEntry, i);
        KsEpochStart es = {.epoch = e->epoch, .start_offset = e->start};
        g_array_append_val(out, es);
    }
    return out;
}

GArray *ks_query_replica_truncations(const KsSim *sim, size_t topic, int32_t partition,
                                     int32_t replica)
{
    GArray *out = g_array_new(FALSE, FALSE, sizeof(KsTruncationInfo));
    g_return_val_if_fail(sim != NULL, out);
    const KsPartition *part = partition_at(sim, topic, partition);
    g_return_val_if_fail(part && replica >= 0 && replica < part->n_replicas, out);
    const GArray *cuts = part->replicas[replica]->truncations;
    for (guint i = 0; cuts && i < cuts->len; i++) {
        const KsTruncation *c = &g_array_index(cuts, KsTruncation, i);
        KsTruncationInfo ti = {
            .t = c->t, .from_offset = c->from, .to_offset = c->to, .power_loss = c->power_loss};
        g_array_append_val(out, ti);
    }
    return out;
}

void ks_query_broker_traffic(const KsSim *sim, size_t index, KsBrokerTraffic *out)
{
    g_return_if_fail(sim != NULL && out != NULL);
    g_return_if_fail(index < sim->brokers->len);
    const KsBroker *b = g_ptr_array_index(sim->brokers, index);
    *out = (KsBrokerTraffic){
        .records_in = b->records_in,
        .records_replicated_in = b->records_replicated_in,
        .records_replicated_out = b->records_replicated_out,
        .records_out = b->records_out,
    };
}

static void producer_info(const KsProducer *p, KsProducerInfo *out)
{
    *out = (KsProducerInfo){
        .name = p->name,
        .topic = p->topic->name,
        .console = p->plan == NULL,
        .running = p->running,
        .rate_per_s = p->plan ? p->plan->rate_per_s : 0,
        .acks = p->acks,
        .partitioner = p->partitioner,
        .partition = p->plan ? p->plan->partition : -1,
        .keys = p->plan ? p->plan->keys : 0,
        .idempotent = p->idempotent,
    };
}

size_t ks_query_n_producers(const KsSim *sim)
{
    g_return_val_if_fail(sim != NULL, 0);
    return sim->producers->len;
}

void ks_query_producer(const KsSim *sim, size_t index, KsProducerInfo *out)
{
    g_return_if_fail(sim != NULL && out != NULL);
    g_return_if_fail(index < sim->producers->len);
    producer_info(g_ptr_array_index(sim->producers, index), out);
}

bool ks_query_find_producer(const KsSim *sim, const char *name, KsProducerInfo *out)
{
    g_return_val_if_fail(sim != NULL && name != NULL && out != NULL, false);
    const KsProducer *p = ks_sim_find_producer(sim, name);
    if (!p)
        return false;
    producer_info(p, out);
    return true;
}
