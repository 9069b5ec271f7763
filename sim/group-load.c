/* SPDX-License-Identifier: MIT */
/*
 * group-load.c - a group changing coordinator, and its end (Kafka's
 * GroupMetadataManager: loadGroupsForPartition, removeGroupsForPartition,
 * cleanupGroupMetadata; GroupCoordinator.onResignation,
 * handleDeleteGroups).
 *
 * Unloading: a broker that stops leading the group's __consumer_offsets
 * partition (another replica leads it now, or it went offline) or whose
 * process dies gives the group up (onResignation): the JoinGroup and
 * SyncGroup requests it held and the commits waiting for the HW are
 * answered NOT_COORDINATOR, its session and join timers stop, and the
 * group is Dead there. Served by no one, it stays Dead until a new
 * leader of the partition applies its LeaderAndIsr and loads it
 * (onElection); requests meanwhile get COORDINATOR_LOAD_IN_PROGRESS for
 * KS_GROUP_LOAD_TIME. A new leader epoch on the same process keeps the
 * group loaded. A group never loaded yet is loaded by the first request
 * its coordinator gets. Loading restores the membership of the last
 * completed rebalance with fresh sessions, and the commits its log still
 * holds.
 *
 * Removing: `delete group G` (kafka-consumer-groups.sh --delete) reaches
 * the coordinator at once (the admin client's round trip is not
 * modelled; a group still loading is deleted once loaded, as the tool
 * retries). Only an Empty group may go: a Dead or unknown one is
 * GROUP_ID_NOT_FOUND, one with members NON_EMPTY_GROUP (Kafka's
 * GroupNotEmptyException, "The group is not empty."). The coordinator
 * writes a tombstone per committed offset and one for the group, acks=0
 * (cleanupGroupMetadata), and forgets them at once: the group is Dead and
 * has no offsets. Tombstones the new leader's log lacks after a failover
 * were never written for it: the group and its offsets come back, as in
 * Kafka. The next JoinGroup creates the group anew (Empty, generation 0).
 *
 * Expiry (offsets.retention.minutes, KIP-211): the coordinator looks
 * every offsets.retention.check.interval.ms (at multiples of it from the
 * start of the run; Kafka counts from its broker's start); an Empty group
 * loses all its committed offsets once it has been Empty for the
 * retention, and an Empty group without offsets is Dead (removed the same
 * way). Offsets of partitions a Stable group no longer subscribes to do
 * not expire here.
 */
#include <inttypes.h>
#include <string.h>

#include "broker-private.h"
#include "consumer-private.h"
#include "actions-private.h"

/* ---- unloading and loading ---- */

/* @g's coordinator gives it up: Dead there, and said so with @reason
 * (NULL: the same process takes it again at once, in a new leader epoch,
 * and the group is not Dead in between). */
static void unload(KsSim *sim, KsGroup *g, const char *reason)
{
    KsBroker *old = g->coordinator;
    ks_timer_cancel(sim->engine, &g->join_timer);
    g->initial_delay_left = -1;
    for (guint i = 0; i < g->members->len; i++) {
        KsGroupMember *m = g_ptr_array_index(g->members, i);
        KsGroupMsg *w[2] = {m->join_waiting, m->sync_waiting};
        m->join_waiting = m->sync_waiting = NULL;
        for (int k = 0; k < 2; k++)
            if (w[k])
                ks_group_respond_from(sim, old, w[k], KS_ERR_NOT_COORDINATOR);
        ks_timer_cancel(sim->engine, &m->session);
    }
    for (guint i = 0; i < g->pending->len; i++) {
        KsPendingCommit *pc = g_ptr_array_index(g->pending, i);
        ks_group_respond_from(sim, old, g_steal_pointer(&pc->msg), KS_ERR_NOT_COORDINATOR);
    }
    g_ptr_array_set_size(g->pending, 0);
    g->unloaded = true;
    if (!reason || g->state == KS_GROUP_DEAD)
        return; /* removed already, or taken again at once */
    g->state = KS_GROUP_DEAD;
    KsEvent ev = ks_event_init(KS_EV_GROUP_UNLOADED, ks_engine_now(sim->engine));
    ev.group_unloaded.group = g->name;
    ev.group_unloaded.broker = old->id;
    ev.group_unloaded.reason = reason;
    ks_sim_emit(sim, &ev);
}

void ks_group_resigned(KsSim *sim, KsPartition *part)
{
    const KsReplica *lr = part->leader_replica;
    for (guint i = 0; lr && sim->groups && i < sim->groups->len; i++) {
        KsGroup *g = g_ptr_array_index(sim->groups, i);
        if (g->offsets_partition == part->index && g->coordinator == lr->broker &&
            ks_group_served(g))
            unload(sim, g, "moved");
    }
}

void ks_group_elected(KsSim *sim, KsPartition *part)
{
    KsBroker *b = part->leader_replica->broker;
    for (guint i = 0; sim->groups && i < sim->groups->len; i++) {
        KsGroup *g = g_ptr_array_index(sim->groups, i);
        if (g->offsets_partition != part->index || !g->coordinator)
            continue; /* a group never loaded is loaded at its first request */
        if (g->coordinator == b && ks_group_served(g)) {
            /* A new leader epoch on the same process: the group stays
             * loaded (scheduleLoadGroupAndOffsets: already owned). */
            g->loaded_epoch = part->leader_replica_epoch;
            continue;
        }
        ks_group_load(sim, g, b, part);
    }
}

void ks_group_broker_died(KsSim *sim, KsBroker *b)
{
    for (guint i = 0; sim->groups && i < sim->groups->len; i++) {
        KsGroup *g = g_ptr_array_index(sim->groups, i);
        if (g->coordinator == b && !g->unloaded)
            unload(sim, g, "broker died");
    }
}

/* The last group tombstone in the commit records, or NULL. */
static const KsCommitRecord *group_tombstone(const KsGroup *g)
{
    for (guint i = g->commits->len; i-- > 0;) {
        const KsCommitRecord *r = &g_array_index(g->commits, KsCommitRecord, i);
        if (!r->part)
            return r;
    }
    return NULL;
}

static void arm_expiry(KsSim *sim, KsGroup *g, KsTime after);

void ks_group_load(KsSim *sim, KsGroup *g, KsBroker *b, KsPartition *part)
{
    KsBroker *old = g->coordinator;
    if (old && !g->unloaded)
        unload(sim, g,
               old == b && g->coordinator_incarnation == b->ep.incarnation ? NULL
               : old->alive                                                ? "moved"
                                                                           : "broker died");
    for (guint i = 0; i < g->commits->len; i++) {
        KsCommitRecord *r = &g_array_index(g->commits, KsCommitRecord, i);
        if (ks_group_record_present(part, r))
            r->visible = true;
    }
    /* A removal whose tombstone this log lacks never happened for it. */
    const KsCommitRecord *tomb = group_tombstone(g);
    if (g->removed && tomb && !ks_group_record_present(part, tomb))
        g->removed = false;
    g->unloaded = false;
    /* The membership as last stored: the generation of the last completed
     * sync, Stable with its members, or Empty. */
    g->generation = g->stored_generation;
    if (g->removed)
        g->state = KS_GROUP_DEAD;
    else
        g->state = g->members->len > 0 ? KS_GROUP_STABLE : KS_GROUP_EMPTY;
    for (guint i = 0; i < g->members->len; i++)
        ks_group_heartbeat_ok(sim, g_ptr_array_index(g->members, i));
    g->coordinator = b;
    g->coordinator_incarnation = b->ep.incarnation;
    g->loaded_epoch = part->leader_replica_epoch;
    g->loaded_at = ks_engine_now(sim->engine) + KS_GROUP_LOAD_TIME;
    if (g->state == KS_GROUP_EMPTY) {
        if (g->empty_since < 0)
            g->empty_since = ks_engine_now(sim->engine);
        arm_expiry(sim, g, ks_engine_now(sim->engine));
    }
    if (!old)
        return; /* the group's first coordinator: nothing to tell */
    int64_t loaded = 0;
    for (guint i = 0; i < g->parts->len; i++)
        loaded +=
            ks_group_committed(sim, g, ((KsGroupPart *)g_ptr_array_index(g->parts, i))->part) >= 0;
    KsEvent ev = ks_event_init(KS_EV_GROUP_LOADED, ks_engine_now(sim->engine));
    ev.group_loaded.group = g->name;
    ev.group_loaded.broker = b->id;
    ev.group_loaded.offsets = loaded;
    ks_sim_emit(sim, &ev);
}

/* ---- removing ---- */

/* The group's committed offsets now, as partitions that have one. */
static int64_t offsets_held(const KsSim *sim, const KsGroup *g)
{
    int64_t n = 0;
    for (guint i = 0; i < g->parts->len; i++)
        n += ks_group_committed(sim, g, ((KsGroupPart *)g_ptr_array_index(g->parts, i))->part) >= 0;
    return n;
}

/* cleanupGroupMetadata for a group leaving the cache: a tombstone per
 * committed offset and one for the group, appended acks=0; returns the
 * offsets removed. */
static int64_t remove_group(KsSim *sim, KsGroup *g)
{
    KsPartition *op = ks_group_offsets_part(sim, g);
    g_autoptr(GPtrArray) parts = g_ptr_array_new();
    for (guint i = 0; i < g->parts->len; i++) {
        KsPartition *p = ((KsGroupPart *)g_ptr_array_index(g->parts, i))->part;
        if (ks_group_committed(sim, g, p) >= 0)
            g_ptr_array_add(parts, p);
    }
    int64_t n = parts->len + 1;
    int64_t end = ks_broker_append_internal(sim, op, n);
    for (int64_t i = 0; i < n; i++) {
        KsCommitRecord r = {.part = i < (int64_t)parts->len ? g_ptr_array_index(parts, i) : NULL,
                            .offset = -1,
                            .log_offset = end - n + i,
                            .log_epoch = op->leader_replica_epoch,
                            .visible = true};
        g_array_append_val(g->commits, r);
    }
    g->state = KS_GROUP_DEAD;
    g->removed = true;
    ks_timer_cancel(sim->engine, &g->expiry);
    return (int64_t)parts->len;
}

void ks_group_recreate(KsGroup *g)
{
    g->removed = false;
    g->state = KS_GROUP_EMPTY;
    g->generation = 0;
    g->stored_generation = 0;
    g->empty_since = -1;
    g->leader = NULL;
}

static void emit_removed(KsSim *sim, KsEventType type, const char *group, int64_t offsets,
                         const char *error, const char *state)
{
    KsEvent ev = ks_event_init(type, ks_engine_now(sim->engine));
    ev.group_deleted.group = group;
    ev.group_deleted.offsets = offsets;
    ev.group_deleted.error = error;
    ev.group_deleted.state = state;
    ks_sim_emit(sim, &ev);
}

static KsGroup *find_group(const KsSim *sim, const char *name)
{
    for (guint i = 0; i < sim->groups->len; i++) {
        KsGroup *g = g_ptr_array_index(sim->groups, i);
        if (strcmp(g->name, name) == 0)
            return g;
    }
    return NULL;
}

void ks_group_action_delete(KsSim *sim, const KsPlanAction *a)
{
    KsGroup *g = find_group(sim, a->name);
    const char *dead = ks_group_state_name(KS_GROUP_DEAD);
    if (!g) {
        emit_removed(sim, KS_EV_GROUP_DELETE, a->name, 0, "GROUP_ID_NOT_FOUND", dead);
        return;
    }
    KsBroker *b = ks_group_coordinator(sim, g);
    int err = b ? ks_group_check_coordinator(sim, g, b) : KS_ERR_COORDINATOR_NOT_AVAILABLE;
    if (err == KS_ERR_COORDINATOR_LOAD_IN_PROGRESS)
        err = KS_ERR_NONE; /* the tool retries until the load is done */
    if (err == KS_ERR_NONE && g->state == KS_GROUP_DEAD)
        err = KS_ERR_GROUP_ID_NOT_FOUND;
    else if (err == KS_ERR_NONE && g->state != KS_GROUP_EMPTY)
        err = KS_ERR_NON_EMPTY_GROUP;
    if (err != KS_ERR_NONE) {
        emit_removed(sim, KS_EV_GROUP_DELETE, g->name, 0, ks_kafka_error_name(err),
                     ks_group_state_name(g->state));
        return;
    }
    int64_t n = remove_group(sim, g);
    emit_removed(sim, KS_EV_GROUP_DELETE, g->name, n, NULL, dead);
}

/* ---- expiry ---- */

/* The first expiry check after @t: checks run at multiples of
 * offsets.retention.check.interval.ms. */
static KsTime next_check(const KsSim *sim, KsTime t)
{
    KsTime every =
        ks_config_resolve(KS_CFG_OFFSETS_RETENTION_CHECK_INTERVAL_MS, NULL, sim->defaults);
    return (t / every + 1) * every;
}

static void arm_expiry(KsSim *sim, KsGroup *g, KsTime after)
{
    ks_timer_arm_at(sim->engine, &g->expiry, next_check(sim, after));
}

void ks_group_became_empty(KsSim *sim, KsGroup *g)
{
    g->empty_since = ks_engine_now(sim->engine);
    arm_expiry(sim, g, g->empty_since);
}

void ks_group_expiry_fired(KsEngine *engine, void *ctx, uint64_t arg)
{
    KsGroup *g = ctx;
    KsSim *sim = g->sim;
    if (g->state != KS_GROUP_EMPTY || g->removed || !ks_group_served(g))
        return; /* not Empty, or the next coordinator checks when it loads it */
    KsTime now = ks_engine_now(engine);
    KsTime retention = ks_config_resolve(KS_CFG_OFFSETS_RETENTION_MINUTES, NULL, sim->defaults);
    int64_t held = offsets_held(sim, g);
    if (held > 0 && now < g->empty_since + retention) {
        arm_expiry(sim, g, g->empty_since + retention - 1);
        return;
    }
    int64_t n = remove_group(sim, g);
    emit_removed(sim, KS_EV_OFFSETS_EXPIRED, g->name, n, NULL, ks_group_state_name(g->state));
}
