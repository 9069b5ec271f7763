/* SPDX-License-Identifier: MIT */
/*
 * query-faults.c - the answers of query-faults.h: Flume agents and the
 * ZooKeeper ensemble, read from flume.c's and zk-ensemble.c's state.
 */
#include "kafkasim/query-faults.h"

#include "flume-private.h"
#include "zk-ensemble.h"

size_t ks_query_n_flumes(const KsSim *sim)
{
    g_return_val_if_fail(sim != NULL, 0);
    return sim->flumes->len;
}

void ks_query_flume(const KsSim *sim, size_t index, KsFlumeInfo *out)
{
    g_return_if_fail(sim != NULL && index < sim->flumes->len && out != NULL);
    const KsFlume *f = g_ptr_array_index(sim->flumes, index);
    const KsPlanFlume *pf = f->plan;
    *out = (KsFlumeInfo){.name = pf->name,
                         .channel = ks_flume_channel_name(pf->channel),
                         .sink = ks_flume_sink_name(pf->sink),
                         .topic = pf->topic,
                         .alive = f->alive,
                         .capacity = pf->channel_capacity,
                         .transaction_capacity = pf->transaction_capacity,
                         .fill = ks_flume_fill(f),
                         .max_fill = f->max_fill,
                         .received = f->received,
                         .dropped = f->dropped,
                         .lost = f->lost,
                         .delivered = f->delivered,
                         .rolled_back = f->rolled_back,
                         .files_rolled = f->files_rolled};
}

bool ks_query_find_flume(const KsSim *sim, const char *name, KsFlumeInfo *out)
{
    g_return_val_if_fail(sim != NULL && name != NULL, false);
    for (size_t i = 0; i < sim->flumes->len; i++) {
        const KsFlume *f = g_ptr_array_index(sim->flumes, i);
        if (strcmp(f->plan->name, name) == 0) {
            ks_query_flume(sim, i, out);
            return true;
        }
    }
    return false;
}

void ks_query_zookeeper(const KsSim *sim, KsZookeeperInfo *out)
{
    g_return_if_fail(sim != NULL && out != NULL);
    const KsZkEnsemble *zk = sim->zk;
    int32_t up = 0;
    for (int32_t i = 0; i < zk->n; i++)
        up += zk->up[i];
    *out = (KsZookeeperInfo){.servers = zk->n,
                             .up = up,
                             .leader = zk->leader ? zk->leader : -1,
                             .epoch = zk->epoch,
                             .quorum = ks_zk_has_quorum(sim)};
}

bool ks_query_zookeeper_server_up(const KsSim *sim, int32_t id)
{
    g_return_val_if_fail(sim != NULL && id >= 1 && id <= sim->zk->n, false);
    return sim->zk->up[id - 1];
}
