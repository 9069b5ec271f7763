/* SPDX-License-Identifier: MIT */
/*
 * metadata.c - every broker's metadata cache, as Kafka 3.9's ZooKeeper-mode
 * broker keeps it (core/src/main/scala/kafka/server/metadata/
 * ZkMetadataCache.scala), and the UpdateMetadata requests that fill it.
 *
 * A broker answers Metadata and FindCoordinator requests from its cache,
 * never from ZooKeeper. The cache changes only when an UpdateMetadata
 * request from the controller arrives (KafkaApis.handleUpdateMetadataRequest
 * -> ZkMetadataCache.updateMetadata); the controller sends one to every
 * live broker at the end of each controller event that changed a leader or
 * an ISR, after the LeaderAndIsr requests of that event (controller.c), and
 * its whole state to a broker that starts and to every broker after a
 * failover. A process that starts has an empty cache: until its first
 * UpdateMetadata it knows no topic and no live broker. So a client that asks
 * a broker which has not heard yet gets the old leader, or
 * LEADER_NOT_AVAILABLE for a partition without one
 * (ZkMetadataCache.getPartitionMetadata: no leader, or a leader that is not
 * alive in the cache), or no topic at all: the window in which clients and
 * brokers disagree is the one the controller's requests make.
 *
 * How it is kept: holding 30,000 partitions for each of 300 brokers would
 * not fit, and Kafka's UpdateMetadata after an election carries only the
 * partitions it changed. Here the controller stamps each change with the
 * version of the next UpdateMetadata (ks_metadata_changed), each
 * UpdateMetadata carries its version (ks_metadata_publish), and a broker's
 * cache is the version it last applied: a partition read from it is the
 * newest state stamped at or below that version. Each broker's requests
 * arrive in order (one queue, one request in flight), a returning broker is
 * sent the whole state, and a new controller sends everyone the whole
 * state, so a version is exactly the state the requests up to it carried.
 * A state is dropped once a newer one is at or below every version a live
 * broker holds, so each partition keeps only the states some cache can
 * still see.
 *
 * Simplified: the replicas of a partition are its assignment, which the
 * model never changes, so they are read from the partition; offline
 * replicas and listener endpoints are not carried.
 *
 * Cost: a change costs one state (an ISR copy); a read, a walk over the
 * few states some cache can still see.
 */
#include "metadata-private.h"

#include <string.h>

/* One partition's state as of a version. */
typedef struct {
    uint64_t version;
    KsBrokerId leader;
    int32_t leader_epoch;
    guint isr_len;
    KsBrokerId *isr; /* owned */
} State;

/* The controller's live brokers as of a version. */
typedef struct {
    uint64_t version;
    GArray *ids; /* of KsBrokerId, by id (owned) */
} Live;

static void state_clear(gpointer data)
{
    g_free(((State *)data)->isr);
}

static void live_clear(gpointer data)
{
    g_array_free(((Live *)data)->ids, TRUE);
}

struct KsMetadata {
    uint64_t version;  /* of the last UpdateMetadata sent; 0: none yet */
    uint64_t floor;    /* every live broker's cache holds at least this version */
    GPtrArray *states; /* by partition id: GArray of State, oldest first (owned) */
    GArray *newest;    /* of State by partition id: a copy of each one's last state,
                        * its isr borrowed from there; read first, as most
                        * lookups want it (one cache line, not three) */
    GArray *live;      /* of Live, oldest first */
    GArray *applied;   /* of uint64_t by broker slot: the version its cache holds */
};

KsMetadata *ks_metadata_new(void)
{
    KsMetadata *md = g_new0(KsMetadata, 1);
    md->states = g_ptr_array_new_with_free_func((GDestroyNotify)g_array_unref);
    md->newest = g_array_new(FALSE, TRUE, sizeof(State));
    md->live = g_array_new(FALSE, FALSE, sizeof(Live));
    g_array_set_clear_func(md->live, live_clear);
    md->applied = g_array_new(FALSE, TRUE, sizeof(uint64_t));
    return md;
}

void ks_metadata_free(KsMetadata *md)
{
    if (!md)
        return;
    g_ptr_array_free(md->states, TRUE);
    g_array_free(md->newest, TRUE);
    g_array_free(md->live, TRUE);
    g_array_free(md->applied, TRUE);
    g_free(md);
}

/* Drops the oldest entries (each @size bytes, version first) of @a that no
 * cache can see any more: those with a newer entry at or below the floor. */
static void prune(GArray *a, uint64_t floor)
{
    guint drop = 0;
    while (drop + 1 < a->len &&
           *(const uint64_t *)(const void *)(a->data + (drop + 1) * g_array_get_element_size(a)) <=
               floor)
        drop++;
    if (drop > 0)
        g_array_remove_range(a, 0, drop);
}

void ks_metadata_changed(KsSim *sim, const KsPartition *part)
{
    KsMetadata *md = sim->metadata;
    while (md->states->len <= (guint)part->id) {
        GArray *a = g_array_new(FALSE, TRUE, sizeof(State));
        g_array_set_clear_func(a, state_clear);
        g_ptr_array_add(md->states, a);
    }
    GArray *a = g_ptr_array_index(md->states, part->id);
    uint64_t stamp = md->version + 1;
    if (a->len == 0 || g_array_index(a, State, a->len - 1).version != stamp) {
        prune(a, md->floor);
        g_array_set_size(a, a->len + 1);
    }
    State *s = &g_array_index(a, State, a->len - 1);
    g_free(s->isr);
    *s = (State){stamp, part->leader, part->leader_epoch, part->isr->len,
                 g_memdup2(part->isr->data, part->isr->len * sizeof(KsBrokerId))};
    if (md->newest->len <= (guint)part->id)
        g_array_set_size(md->newest, part->id + 1);
    g_array_index(md->newest, State, part->id) = *s;
}

/* The live brokers entry @b's cache sees, NULL with none. */
static const Live *live_at(const KsMetadata *md, uint64_t version)
{
    for (guint i = md->live->len; version > 0 && i > 0; i--) {
        const Live *l = &g_array_index(md->live, Live, i - 1);
        if (l->version <= version)
            return l;
    }
    return NULL;
}

uint64_t ks_metadata_publish(KsSim *sim)
{
    KsMetadata *md = sim->metadata;
    /* The oldest version a live broker's cache holds: older states can go.
     * A broker that starts holds none and will be sent a newer one. */
    uint64_t floor = md->version;
    for (guint i = 0; i < sim->brokers->len; i++) {
        const KsBroker *b = g_ptr_array_index(sim->brokers, i);
        uint64_t v = ks_metadata_version(sim, b);
        if (b->alive && v > 0)
            floor = MIN(floor, v);
    }
    md->floor = floor;
    GArray *ids = g_array_new(FALSE, FALSE, sizeof(KsBrokerId));
    for (guint i = 0; i < sim->brokers->len; i++) {
        const KsBroker *b = g_ptr_array_index(sim->brokers, i);
        if (b->ctrl_live)
            g_array_append_val(ids, b->id);
    }
    g_array_sort(ids, ks_broker_id_cmp); /* ks_metadata_broker_alive searches them */
    md->version++;
    const Live *last = live_at(md, md->version);
    if (last && last->ids->len == ids->len &&
        memcmp(last->ids->data, ids->data, ids->len * sizeof(KsBrokerId)) == 0) {
        g_array_free(ids, TRUE);
    } else {
        prune(md->live, floor);
        Live l = {md->version, ids};
        g_array_append_val(md->live, l);
    }
    return md->version;
}

bool ks_metadata_apply(KsSim *sim, const KsBroker *b, uint64_t version)
{
    GArray *applied = sim->metadata->applied;
    if (applied->len <= (guint)b->slot)
        g_array_set_size(applied, b->slot + 1);
    uint64_t *v = &g_array_index(applied, uint64_t, b->slot);
    const Live *before = live_at(sim->metadata, *v);
    *v = version;
    return live_at(sim->metadata, version) != before;
}

void ks_metadata_reset(KsSim *sim, const KsBroker *b)
{
    (void)ks_metadata_apply(sim, b, 0);
}

uint64_t ks_metadata_version(const KsSim *sim, const KsBroker *b)
{
    const GArray *applied = sim->metadata->applied;
    return (guint)b->slot < applied->len ? g_array_index(applied, uint64_t, b->slot) : 0;
}

bool ks_metadata_partition(const KsSim *sim, const KsBroker *b, const KsPartition *part,
                           KsMetadataPartition *out)
{
    const KsMetadata *md = sim->metadata;
    uint64_t v = ks_metadata_version(sim, b);
    if (v == 0 || (guint)part->id >= md->states->len)
        return false;
    const State *last = &g_array_index(md->newest, State, part->id);
    if (last->version != 0 && last->version <= v) {
        *out = (KsMetadataPartition){last->leader, last->leader_epoch, last->isr_len, last->isr};
        return true;
    }
    const GArray *a = g_ptr_array_index(md->states, part->id);
    for (guint i = a->len; i > 0; i--) {
        const State *s = &g_array_index(a, State, i - 1);
        if (s->version > v)
            continue;
        *out = (KsMetadataPartition){s->leader, s->leader_epoch, s->isr_len, s->isr};
        return true;
    }
    return false;
}

const GArray *ks_metadata_live_brokers(const KsSim *sim, const KsBroker *b)
{
    const Live *l = live_at(sim->metadata, ks_metadata_version(sim, b));
    return l && l->ids->len > 0 ? l->ids : NULL;
}

bool ks_metadata_broker_alive(const KsSim *sim, const KsBroker *b, KsBrokerId id)
{
    const GArray *ids = ks_metadata_live_brokers(sim, b);
    guint lo = 0, hi = ids ? ids->len : 0; /* ids are in id order */
    while (lo < hi) {
        guint mid = lo + (hi - lo) / 2;
        KsBrokerId at = g_array_index(ids, KsBrokerId, mid);
        if (at == id)
            return true;
        if (at < id)
            lo = mid + 1;
        else
            hi = mid;
    }
    return false;
}

KsBrokerId ks_metadata_leader(const KsSim *sim, const KsBroker *b, const KsPartition *part)
{
    KsMetadataPartition mp;
    if (!ks_metadata_partition(sim, b, part, &mp) || mp.leader == KS_NO_BROKER ||
        !ks_metadata_broker_alive(sim, b, mp.leader))
        return KS_NO_BROKER;
    return mp.leader;
}
