/* SPDX-License-Identifier: MIT */
/*
 * reassign.c - partition reassignment as the ZooKeeper-mode controller runs
 * it (KafkaController.onPartitionReassignment, Kafka 3.9), and the
 * replication throttle kafka-reassign-partitions.sh --throttle sets
 * (ReplicationQuotaManager).
 *
 * With ORS the replicas before, TRS the target, RS = TRS + (ORS - TRS)
 * (ReplicaAssignment.fromOrigAndTarget: target first, then the original
 * ones not in it), AR = TRS - ORS (adding) and RR = ORS - TRS (removing):
 *
 *  Phase A, when the reassignment starts: the assignment becomes RS, the
 *  leader epoch goes up by one and LeaderAndIsr goes to every replica of RS
 *  (updateLeaderEpochAndSendRequest); the replicas of AR start as followers
 *  with empty logs (NewReplica) and copy the leader's log through ordinary
 *  follower fetches, so they take the network and disk of their machines
 *  (capacity.c) and the throttle below. Each joins the ISR the usual way:
 *  its leader proposes it once it reaches the high watermark, and the
 *  controller writes it (AlterPartition): that is a reassign_caught_up
 *  line.
 *
 *  Phase B, once the ISR holds all of TRS (isReassignmentComplete): if the
 *  leader is not in TRS or not live, the first replica of TRS that is live
 *  and in the ISR leads (ReassignPartitionLeaderElectionStrategy; the ISR is
 *  kept), else the leader stays and only its epoch goes up
 *  (moveReassignedPartitionLeaderIfRequired); each replica of RR then
 *  leaves the ISR, one leader epoch each (OfflineReplica), is stopped and
 *  deleted (StopReplica with delete): here it leaves its fetch session and
 *  its broker at once, where Kafka's StopReplica reaches it one request
 *  later. The assignment becomes TRS and UpdateMetadata goes to every
 *  broker. A replica that was removed stays allocated (model.h), out of
 *  every list.
 *
 * The throttle: `throttle=RATE` on the action sets
 * leader.replication.throttled.rate and follower.replication.throttled.rate
 * on every broker of ORS and TRS, and lists the partition's ORS replicas as
 * leader-throttled and its AR replicas as follower-throttled
 * (leader.replication.throttled.replicas and
 * follower.replication.throttled.replicas), as the tool does. A leader
 * throttles what it sends to a follower of a throttled partition that is
 * not in the ISR (ReplicaManager: shouldLeaderThrottle), a follower what it
 * fetches for its own throttled replicas out of the ISR
 * (shouldFollowerThrottle). Kafka measures the rate over
 * replication.quota.window.num windows of one second and leaves a
 * throttled partition out of a response while the rate is above the quota;
 * here each broker has a bucket per direction that fills at the rate and
 * holds at most a second of it, and a throttled answer carries only the
 * records the buckets of both ends cover (a fetch with nothing allowed is
 * parked as DelayedFetch parks it). So a moving replica copies at the
 * throttle, and one whose partition takes writes faster than the throttle
 * never catches up, as in Kafka. The throttle is removed when the last
 * throttled reassignment completes (what --verify does once it sees them
 * done).
 *
 * Cost: per reassignment a few arrays; per fetch answer one lookup when a
 * reassignment is running, nothing otherwise.
 */
#include "reassign.h"

#include <inttypes.h>

#include "actions-private.h"
#include "broker-private.h"
#include "capacity.h"
#include "controller-private.h"
#include "ledger.h"
#include "metadata-private.h"
#include "model.h"

/* A partition being (or once) reassigned. */
typedef struct {
    KsPartition *part;
    GArray *orig;   /* of KsBrokerId: ORS */
    GArray *target; /* of KsBrokerId: TRS */
    GArray *caught; /* of KsBrokerId: AR replicas reported caught up */
    KsTime started;
    int64_t throttle; /* bytes/s; 0: none */
    bool done;
} Move;

/* One direction of a broker's replication quota. */
typedef struct {
    int64_t rate;   /* bytes/s; 0: no throttle */
    int64_t tokens; /* bytes it may move now */
    KsTime filled;  /* when tokens were last brought up to date */
} Bucket;

struct KsReassign {
    GPtrArray *moves;     /* of Move*, owned, in start order */
    GHashTable *active;   /* KsPartition* -> Move*, while running */
    GArray *leader_quota; /* of Bucket, by broker slot */
    GArray *follower_quota;
    guint throttled; /* running moves with a throttle */
};

static void move_free(gpointer p)
{
    Move *m = p;
    g_array_free(m->orig, TRUE);
    g_array_free(m->target, TRUE);
    g_array_free(m->caught, TRUE);
    g_free(m);
}

void ks_reassign_free(KsReassign *r)
{
    if (!r)
        return;
    g_ptr_array_free(r->moves, TRUE);
    g_hash_table_destroy(r->active);
    g_array_free(r->leader_quota, TRUE);
    g_array_free(r->follower_quota, TRUE);
    g_free(r);
}

static KsReassign *state(KsSim *sim)
{
    if (!sim->reassign) {
        KsReassign *r = g_new0(KsReassign, 1);
        r->moves = g_ptr_array_new_with_free_func(move_free);
        r->active = g_hash_table_new(NULL, NULL);
        r->leader_quota = g_array_new(FALSE, TRUE, sizeof(Bucket));
        r->follower_quota = g_array_new(FALSE, TRUE, sizeof(Bucket));
        sim->reassign = r;
    }
    return sim->reassign;
}

static bool contains(const GArray *ids, KsBrokerId id)
{
    for (guint i = 0; i < ids->len; i++)
        if (g_array_index(ids, KsBrokerId, i) == id)
            return true;
    return false;
}

static Move *active_move(const KsSim *sim, const KsPartition *part)
{
    return sim->reassign ? g_hash_table_lookup(sim->reassign->active, part) : NULL;
}

bool ks_reassign_active(const KsSim *sim, const KsPartition *part)
{
    return active_move(sim, part) != NULL;
}

const KsBrokerId *ks_reassign_target(const KsSim *sim, const KsPartition *part, guint *n)
{
    const Move *m = active_move(sim, part);
    *n = m ? m->target->len : 0;
    return m ? (const KsBrokerId *)(const void *)m->target->data : NULL;
}

/* ---- the throttle ---- */

static Bucket *bucket(GArray *quota, const KsBroker *b)
{
    if (quota->len <= (guint)b->slot)
        g_array_set_size(quota, b->slot + 1);
    return &g_array_index(quota, Bucket, b->slot);
}

/* Brings @q's tokens up to now: the rate for the time since, at most a
 * second's worth. */
static void refill(Bucket *q, KsTime now)
{
    KsTime dt = MIN(now - q->filled, KS_TIME_S);
    q->tokens = MIN(q->rate, q->tokens + (int64_t)((__int128)q->rate * dt / KS_TIME_S));
    q->filled = now;
}

/* Sets both quotas of @b to @rate (0: removes them). */
static void set_rate(KsSim *sim, const KsBroker *b, int64_t rate)
{
    KsTime now = ks_engine_now(sim->engine);
    KsReassign *r = state(sim);
    Bucket *qs[2] = {bucket(r->leader_quota, b), bucket(r->follower_quota, b)};
    for (int i = 0; i < 2; i++) {
        if (qs[i]->rate == rate)
            continue;
        *qs[i] = (Bucket){.rate = rate, .tokens = 0, .filled = now};
    }
}

/* The quotas that apply to what @leader sends follower @r: NULL where none
 * does. Returns whether any does. */
static bool quotas_for(KsSim *sim, const KsBroker *leader, const KsReplica *r, Bucket **lq,
                       Bucket **fq)
{
    *lq = *fq = NULL;
    const Move *m = active_move(sim, r->part);
    if (!m || m->throttle <= 0 || r->in_isr)
        return false;
    KsReassign *st = sim->reassign;
    KsTime now = ks_engine_now(sim->engine);
    if (contains(m->orig, leader->id)) {
        *lq = bucket(st->leader_quota, leader);
        if ((*lq)->rate > 0)
            refill(*lq, now);
        else
            *lq = NULL;
    }
    if (!contains(m->orig, r->broker->id) && contains(m->target, r->broker->id)) {
        *fq = bucket(st->follower_quota, r->broker);
        if ((*fq)->rate > 0)
            refill(*fq, now);
        else
            *fq = NULL;
    }
    return *lq || *fq;
}

int64_t ks_reassign_throttle_take(KsSim *sim, const KsBroker *leader, const KsReplica *r,
                                  int64_t want)
{
    Bucket *lq, *fq;
    if (want <= 0 || !sim->reassign || sim->reassign->throttled == 0 ||
        !quotas_for(sim, leader, r, &lq, &fq))
        return want;
    int64_t per = ks_capacity_record_bytes(sim, r->part->topic);
    int64_t allowed = want;
    if (lq)
        allowed = MIN(allowed, lq->tokens / per);
    if (fq)
        allowed = MIN(allowed, fq->tokens / per);
    allowed = MAX(allowed, 0);
    if (lq)
        lq->tokens -= allowed * per;
    if (fq)
        fq->tokens -= allowed * per;
    return allowed;
}

bool ks_reassign_throttle_exhausted(KsSim *sim, const KsBroker *leader, const KsReplica *r)
{
    Bucket *lq, *fq;
    if (!sim->reassign || sim->reassign->throttled == 0 || !quotas_for(sim, leader, r, &lq, &fq))
        return false;
    int64_t per = ks_capacity_record_bytes(sim, r->part->topic);
    return (lq && lq->tokens < per) || (fq && fq->tokens < per);
}

/* Sets the throttle of @m's brokers (the tool's --throttle). */
static void throttle_on(KsSim *sim, const Move *m)
{
    const GArray *sets[2] = {m->orig, m->target};
    for (int s = 0; s < 2; s++)
        for (guint i = 0; i < sets[s]->len; i++)
            set_rate(sim, ks_sim_find_broker(sim, g_array_index(sets[s], KsBrokerId, i)),
                     m->throttle);
    state(sim)->throttled++;
}

/* The last throttled move completed: every broker's throttle goes. */
static void throttle_off(KsSim *sim)
{
    KsReassign *r = sim->reassign;
    if (--r->throttled > 0)
        return;
    for (guint i = 0; i < sim->brokers->len; i++)
        set_rate(sim, g_ptr_array_index(sim->brokers, i), 0);
}

/* ---- events ---- */

static KsIntList int_list(const GArray *ids)
{
    return (KsIntList){(const int32_t *)(const void *)ids->data, ids->len};
}

static void emit_move(KsSim *sim, KsEventType type, const Move *m)
{
    KsEvent ev = ks_event_init(type, ks_engine_now(sim->engine));
    ev.reassignment.topic = m->part->topic->name;
    ev.reassignment.partition = m->part->index;
    ev.reassignment.replicas = int_list(m->target);
    ev.reassignment.previous = int_list(m->orig);
    ev.reassignment.leader = m->part->leader;
    ev.reassignment.leader_epoch = m->part->leader_epoch;
    if (m->throttle > 0)
        ev.reassignment.throttle = m->throttle;
    if (type == KS_EV_REASSIGN_COMPLETED)
        ev.reassignment.elapsed_us = ks_engine_now(sim->engine) - m->started;
    ks_sim_emit(sim, &ev);
}

/* ---- phase A ---- */

/* The partition's assignment becomes @ids (@n, each a replica it has now
 * or a new one, made here on its broker). */
static void set_assignment(KsSim *sim, KsPartition *part, const KsBrokerId *ids, guint n)
{
    KsReplica **next = g_new0(KsReplica *, n);
    for (guint i = 0; i < n; i++) {
        KsReplica *r = ks_partition_replica(part, ids[i]);
        if (!r) {
            r = g_new0(KsReplica, 1);
            ks_replica_init(r, part, ks_sim_find_broker(sim, ids[i]));
            if (!part->added_replicas)
                part->added_replicas = g_ptr_array_new_with_free_func(ks_replica_free);
            g_ptr_array_add(part->added_replicas, r);
        }
        next[i] = r;
    }
    g_free(part->replicas);
    part->replicas = next;
    part->n_replicas = (int32_t)n;
}

static GArray *isr_copy(const KsPartition *part)
{
    GArray *isr = g_array_new(FALSE, FALSE, sizeof(KsBrokerId));
    g_array_append_vals(isr, part->isr->data, part->isr->len);
    return isr;
}

static bool maybe_complete(KsSim *sim, Move *m);

bool ks_reassign_partition(KsSim *sim, KsPartition *part, const KsBrokerId *target, guint n,
                           int64_t throttle, int line)
{
    g_autofree char *name = g_strdup_printf("%s-%" PRId32, part->topic->name, part->index);
    if (ks_reassign_active(sim, part)) {
        ks_sim_note(sim, line, "%s is already being reassigned", name);
        return false;
    }
    if (!ks_controller_can_write(sim)) {
        ks_sim_note(sim, line, "%s: no active controller with a ZooKeeper quorum to reassign it",
                    name);
        return false;
    }
    Move *m = g_new0(Move, 1);
    m->part = part;
    m->orig = g_array_new(FALSE, FALSE, sizeof(KsBrokerId));
    for (int32_t i = 0; i < part->n_replicas; i++)
        g_array_append_val(m->orig, part->replicas[i]->broker->id);
    m->target = g_array_new(FALSE, FALSE, sizeof(KsBrokerId));
    g_array_append_vals(m->target, target, n);
    m->caught = g_array_new(FALSE, FALSE, sizeof(KsBrokerId));
    m->started = ks_engine_now(sim->engine);
    m->throttle = throttle;
    KsReassign *st = state(sim);
    g_ptr_array_add(st->moves, m);
    g_hash_table_insert(st->active, part, m);

    /* RS = TRS, then ORS - TRS. */
    g_autoptr(GArray) rs = g_array_new(FALSE, FALSE, sizeof(KsBrokerId));
    g_array_append_vals(rs, target, n);
    for (guint i = 0; i < m->orig->len; i++)
        if (!contains(m->target, g_array_index(m->orig, KsBrokerId, i)))
            g_array_append_val(rs, g_array_index(m->orig, KsBrokerId, i));
    set_assignment(sim, part, (const KsBrokerId *)(const void *)rs->data, rs->len);
    if (throttle > 0)
        throttle_on(sim, m);
    /* A1-A4: a new leader epoch, LeaderAndIsr to RS; the new replicas
     * start as followers when it reaches them. */
    ks_controller_set_leader(sim, part, part->leader, isr_copy(part), KS_REASON_REASSIGNMENT);
    emit_move(sim, KS_EV_REASSIGN_STARTED, m);
    maybe_complete(sim, m);
    ks_controller_send_requests(sim);
    return true;
}

/* ---- phase B ---- */

/* A replica the reassignment removes: stopped and deleted (it leaves its
 * fetch session, stops leading, and its broker no longer hosts it). */
static void remove_replica(KsSim *sim, KsReplica *r)
{
    KsPartition *part = r->part;
    if (part->leader_replica == r)
        ks_broker_step_down(sim, part);
    ks_fetcher_remove(r);
    r->known_leader = KS_NO_BROKER;
    r->in_isr = false;
    r->isr_change_pending = false;
    g_ptr_array_remove(r->broker->replicas, r);
}

/* isReassignmentComplete, then phase B. Returns whether it completed. */
static bool maybe_complete(KsSim *sim, Move *m)
{
    KsPartition *part = m->part;
    for (guint i = 0; i < m->target->len; i++)
        if (!ks_partition_in_isr(part, g_array_index(m->target, KsBrokerId, i)))
            return false;
    /* B3: the leader moves into TRS if it is not there (or not live). */
    KsBrokerId leader = part->leader;
    if (leader == KS_NO_BROKER || !contains(m->target, leader) ||
        !ks_controller_is_live(sim, leader)) {
        leader = KS_NO_BROKER;
        for (guint i = 0; i < m->target->len && leader == KS_NO_BROKER; i++) {
            KsBrokerId id = g_array_index(m->target, KsBrokerId, i);
            if (ks_controller_is_live(sim, id) && ks_partition_in_isr(part, id))
                leader = id;
        }
        if (leader == KS_NO_BROKER)
            return false; /* no replica of TRS can lead yet: wait */
    }
    ks_controller_set_leader(sim, part, leader, isr_copy(part), KS_REASON_REASSIGNMENT);
    /* B4-B5: the removed replicas leave the ISR, then stop and are deleted. */
    for (guint i = 0; i < m->orig->len; i++) {
        KsBrokerId id = g_array_index(m->orig, KsBrokerId, i);
        if (!contains(m->target, id) && ks_partition_in_isr(part, id))
            ks_controller_drop_from_isr(sim, part, id, KS_REASON_REASSIGNMENT);
    }
    for (guint i = 0; i < m->orig->len; i++) {
        KsBrokerId id = g_array_index(m->orig, KsBrokerId, i);
        if (!contains(m->target, id))
            remove_replica(sim, ks_partition_replica(part, id));
    }
    /* B6: the assignment is TRS; B8: UpdateMetadata (the caller's
     * ks_controller_send_requests). */
    set_assignment(sim, part, (const KsBrokerId *)(const void *)m->target->data, m->target->len);
    ks_metadata_changed(sim, part);
    ks_ledger_leader_changed(sim->ledger, part);
    m->done = true;
    g_hash_table_remove(sim->reassign->active, part);
    emit_move(sim, KS_EV_REASSIGN_COMPLETED, m);
    if (m->throttle > 0)
        throttle_off(sim);
    return true;
}

void ks_reassign_isr_expanded(KsSim *sim, KsPartition *part)
{
    Move *m = active_move(sim, part);
    if (!m)
        return;
    KsTime now = ks_engine_now(sim->engine);
    for (guint i = 0; i < m->target->len; i++) {
        KsBrokerId id = g_array_index(m->target, KsBrokerId, i);
        if (contains(m->orig, id) || contains(m->caught, id) || !ks_partition_in_isr(part, id))
            continue;
        g_array_append_val(m->caught, id);
        const KsReplica *r = ks_partition_replica(part, id);
        KsEvent ev = ks_event_init(KS_EV_REASSIGN_CAUGHT_UP, now);
        ev.reassign_replica.topic = part->topic->name;
        ev.reassign_replica.partition = part->index;
        ev.reassign_replica.broker = id;
        ev.reassign_replica.records = r->log.end;
        ev.reassign_replica.bytes = r->log.end * ks_capacity_record_bytes(sim, part->topic);
        ev.reassign_replica.elapsed_us = now - m->started;
        ks_sim_emit(sim, &ev);
    }
    maybe_complete(sim, m);
}
