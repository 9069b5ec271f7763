/* SPDX-License-Identifier: MIT */
/*
 * group.c - the group coordinator (Kafka's GroupCoordinator and
 * GroupMetadataManager, classic protocol).
 *
 * A group's coordinator is the broker leading partition
 * abs(hashCode(group.id)) % offsets.topic.num.partitions of
 * __consumer_offsets, a real topic the controller creates on the first
 * FindCoordinator (COORDINATOR_NOT_AVAILABLE meanwhile). Its replication
 * factor is offsets.topic.replication.factor; as in Kafka 3.x, creation
 * fails while fewer brokers are alive, and FindCoordinator keeps answering
 * COORDINATOR_NOT_AVAILABLE.
 *
 * Commits are records appended to that partition by its leader; a commit is
 * acknowledged when the partition's high watermark covers it (the
 * coordinator appends with acks=all). The committed offset the coordinator
 * serves is the latest acknowledged commit record still in the leader's
 * log, so commits survive the coordinator's failure exactly when
 * replication kept them. A broker that becomes leader of the partition
 * loads the group before serving it: the first request it gets starts the
 * load, answered COORDINATOR_LOAD_IN_PROGRESS for KS_GROUP_LOAD_TIME; the
 * commits in its log become visible, and the membership of the last
 * completed rebalance (what Kafka stores with the group) is restored, with
 * fresh session timers.
 *
 * Membership follows GroupCoordinator.scala: JoinGroup without a member id
 * gets MEMBER_ID_REQUIRED (KIP-394); a join moves an Empty group to
 * PreparingRebalance behind InitialDelayedJoin (group.initial.rebalance.
 * delay.ms, extended while members keep arriving, bounded by the rebalance
 * timeout), a Stable or CompletingRebalance group at once behind
 * DelayedJoin, which completes when every member has rejoined or at the
 * largest rebalance timeout (members that did not rejoin are removed).
 * Completion increments the generation and moves to CompletingRebalance;
 * the leader's SyncGroup stores the assignment and moves to Stable.
 * Heartbeats keep a member's session; LeaveGroup and session expiry remove
 * it. A member's id is its consumer's name for the consumer's first
 * process and NAME-N for its Nth (see query-groups.h): a restarted
 * consumer is a new member, and the old one stays until its session
 * expires, as in Kafka.
 *
 * Static members (group.instance.id) are found by instance id: one that
 * joins again while the group is Stable takes its old place, generation and
 * assignment, with no rebalance; it does not send LeaveGroup on close, so
 * only its session timeout removes it. A process that joins under the
 * instance id of a member takes its place: the older process's member id
 * is fenced, and its next request is answered FENCED_INSTANCE_ID, which
 * stops it (two consumers with one group.instance.id).
 *
 * Loading and unloading (Dead on the coordinator that gives a group up),
 * deletion and offsets expiry are in group-load.c.
 *
 * Not modelled: offsets.commit.timeout.ms.
 */
#include <inttypes.h>
#include <string.h>

#include "broker-private.h"
#include "consumer-private.h"
#include "metadata-private.h"
#include "kafkasim/partitioner.h"
#include "kafkasim/query.h"

static const char *const state_names[] = {"Empty", "PreparingRebalance", "CompletingRebalance",
                                          "Stable", "Dead"};

const char *ks_group_state_name(KsGroupState state)
{
    return state_names[state];
}

void ks_group_msg_free(KsGroupMsg *m)
{
    if (!m)
        return;
    if (m->consumer)
        g_hash_table_remove(m->consumer->msgs, m);
    if (m->offsets)
        g_array_free(m->offsets, TRUE);
    if (m->members)
        g_ptr_array_free(m->members, TRUE);
    if (m->assign)
        g_ptr_array_free(m->assign, TRUE);
    if (m->owned)
        g_ptr_array_free(m->owned, TRUE);
    g_free(m);
}

int32_t ks_group_offsets_partition(const KsSim *sim, const char *name)
{
    int64_t n = ks_config_resolve(KS_CFG_OFFSETS_TOPIC_NUM_PARTITIONS, NULL, sim->defaults);
    return (int32_t)(ks_java_abs(ks_java_string_hash(name)) % n);
}

static void member_free(gpointer p)
{
    KsGroupMember *m = p;
    ks_group_msg_free(m->join_waiting);
    ks_group_msg_free(m->sync_waiting);
    g_ptr_array_free(m->assignment, TRUE);
    if (m->owned)
        g_ptr_array_free(m->owned, TRUE);
    g_free(m->member_id);
    g_free(m);
}

static void part_free(gpointer p)
{
    KsGroupPart *gp = p;
    g_array_free(gp->processed, TRUE);
    g_free(gp);
}

static void pending_free(gpointer p)
{
    KsPendingCommit *pc = p;
    ks_group_msg_free(pc->msg);
    g_free(pc);
}

static void join_timer_fired(KsEngine *engine, void *ctx, uint64_t arg);

KsGroup *ks_group_get(KsSim *sim, const char *name)
{
    guint i = 0;
    for (; i < sim->groups->len; i++) {
        KsGroup *g = g_ptr_array_index(sim->groups, i);
        int c = strcmp(g->name, name);
        if (c == 0)
            return g;
        if (c > 0)
            break;
    }
    KsGroup *g = g_new0(KsGroup, 1);
    g->sim = sim;
    g->name = g_strdup(name);
    g->plan = ks_plan_find_group(sim->plan, name);
    g->assignor = g->plan ? g->plan->assignor : KS_ASSIGNOR_RANGE;
    g->protocol = g->plan ? g->plan->protocol : KS_PROTOCOL_EAGER;
    g->offsets_partition = ks_group_offsets_partition(sim, name);
    g->state = KS_GROUP_EMPTY;
    g->members = g_ptr_array_new();
    g->gone = g_ptr_array_new_with_free_func(member_free);
    g->fenced = g_ptr_array_new_with_free_func(g_free);
    g->commits = g_array_new(FALSE, FALSE, sizeof(KsCommitRecord));
    g->pending = g_ptr_array_new_with_free_func(pending_free);
    g->parts = g_ptr_array_new_with_free_func(part_free);
    g->part_by_id = g_ptr_array_new();
    g->initial_delay_left = -1;
    g->loaded_epoch = -1;
    g->empty_since = -1;
    ks_timer_init(&g->join_timer, join_timer_fired, g);
    ks_timer_init(&g->expiry, ks_group_expiry_fired, g);
    g_ptr_array_insert(sim->groups, (gint)i, g);
    return g;
}

void ks_group_free(KsGroup *g)
{
    for (guint i = 0; i < g->members->len; i++)
        member_free(g_ptr_array_index(g->members, i));
    g_ptr_array_free(g->members, TRUE);
    g_ptr_array_free(g->gone, TRUE);
    g_ptr_array_free(g->fenced, TRUE);
    g_array_free(g->commits, TRUE);
    g_ptr_array_free(g->pending, TRUE);
    g_ptr_array_free(g->parts, TRUE);
    g_ptr_array_free(g->part_by_id, TRUE);
    g_free(g->name);
    g_free(g);
}

KsPartition *ks_group_offsets_part(const KsSim *sim, const KsGroup *g)
{
    return sim->offsets_topic ? sim->offsets_topic->partitions[g->offsets_partition] : NULL;
}

KsBroker *ks_group_coordinator(const KsSim *sim, const KsGroup *g)
{
    KsPartition *part = ks_group_offsets_part(sim, g);
    if (!part || part->leader == KS_NO_BROKER)
        return NULL;
    KsBroker *b = ks_sim_find_broker(sim, part->leader);
    return b && b->alive ? b : NULL;
}

bool ks_group_record_present(const KsPartition *part, const KsCommitRecord *r)
{
    const KsReplica *lr = part->leader_replica ? part->leader_replica : part->replicas[0];
    return ks_log_epoch_at(&lr->log, r->log_offset) == r->log_epoch;
}

int64_t ks_group_committed(const KsSim *sim, const KsGroup *g, const KsPartition *part)
{
    KsPartition *op = ks_group_offsets_part(sim, g);
    for (guint i = g->commits->len; i-- > 0;) {
        const KsCommitRecord *r = &g_array_index(g->commits, KsCommitRecord, i);
        if (r->part == part && r->visible && ks_group_record_present(op, r))
            return r->offset;
    }
    return -1;
}

/* ---- answering ---- */

static void response_arrives(KsSim *sim, void *ctx, uint64_t arg, bool delivered)
{
    ks_consumer_group_response(sim, ctx, delivered);
}

void ks_group_respond_from(KsSim *sim, KsBroker *from, KsGroupMsg *m, int err)
{
    m->error = err;
    KsConsumer *c = m->consumer;
    if (!ks_net_send(sim, &from->ep, &c->ep, KS_NET_GROUP_RESPONSE, response_arrives, m, 0))
        ks_consumer_group_response(sim, m, false); /* its machine is down: the client times out */
}

static void respond(KsSim *sim, KsGroupMsg *m, int err)
{
    ks_group_respond_from(sim, m->broker, m, err);
}

static void emit_member_removed(KsSim *sim, KsGroup *g, KsGroupMember *m, const char *reason)
{
    KsEvent ev = ks_event_init(KS_EV_MEMBER_REMOVED, ks_engine_now(sim->engine));
    ev.member_removed.group = g->name;
    ev.member_removed.consumer = m->member_id;
    ev.member_removed.reason = reason;
    ks_sim_emit(sim, &ev);
}

/* ---- loading ---- */

void ks_group_heartbeat_ok(KsSim *sim, KsGroupMember *m)
{
    ks_timer_arm(sim->engine, &m->session, m->session_timeout);
}

/* Whether @b may serve @g now: KS_ERR_NONE, or the error to answer. */
int ks_group_check_coordinator(KsSim *sim, KsGroup *g, KsBroker *b)
{
    /* The broker serves the group while it acts as the partition's leader
     * (it applied the LeaderAndIsr naming it). */
    KsPartition *part = ks_group_offsets_part(sim, g);
    if (!part || !part->leader_replica || part->leader_replica->broker != b)
        return KS_ERR_NOT_COORDINATOR;
    if (g->coordinator != b || g->coordinator_incarnation != b->ep.incarnation ||
        g->loaded_epoch != part->leader_replica_epoch)
        ks_group_load(sim, g, b, part);
    if (ks_engine_now(sim->engine) < g->loaded_at)
        return KS_ERR_COORDINATOR_LOAD_IN_PROGRESS;
    return KS_ERR_NONE;
}

/* Whether the group's in-memory state is live: its coordinator still runs
 * the incarnation that loaded it. */
bool ks_group_served(const KsGroup *g)
{
    return g->coordinator && !g->unloaded && g->coordinator->alive &&
           g->coordinator->ep.incarnation == g->coordinator_incarnation;
}

/* ---- the join phase ---- */

bool ks_group_member_is(const KsGroupMember *m, const KsConsumer *c)
{
    return m->consumer == c && c->member_id && strcmp(m->member_id, c->member_id) == 0;
}

static KsGroupMember *find_member(const KsGroup *g, const KsConsumer *c)
{
    for (guint i = 0; i < g->members->len; i++) {
        KsGroupMember *m = g_ptr_array_index(g->members, i);
        if (ks_group_member_is(m, c))
            return m;
    }
    return NULL;
}

static KsGroupMember *find_static(const KsGroup *g, const char *instance_id)
{
    for (guint i = 0; i < g->members->len; i++) {
        KsGroupMember *m = g_ptr_array_index(g->members, i);
        if (m->consumer->instance_id && strcmp(m->consumer->instance_id, instance_id) == 0)
            return m;
    }
    return NULL;
}

static KsTime rebalance_timeout(const KsGroup *g)
{
    KsTime t = 0;
    for (guint i = 0; i < g->members->len; i++)
        t = MAX(t, ((KsGroupMember *)g_ptr_array_index(g->members, i))->rebalance_timeout);
    return t;
}

static bool all_joined(const KsGroup *g)
{
    for (guint i = 0; i < g->members->len; i++)
        if (!((KsGroupMember *)g_ptr_array_index(g->members, i))->join_waiting)
            return false;
    return true;
}

static void complete_join(KsSim *sim, KsGroup *g);

static void maybe_complete_join(KsSim *sim, KsGroup *g)
{
    if (g->state == KS_GROUP_PREPARING_REBALANCE && g->initial_delay_left < 0 && all_joined(g))
        complete_join(sim, g);
}

static void prepare_rebalance(KsSim *sim, KsGroup *g, const char *who, const char *reason)
{
    if (g->state == KS_GROUP_COMPLETING_REBALANCE)
        for (guint i = 0; i < g->members->len; i++) {
            KsGroupMember *m = g_ptr_array_index(g->members, i);
            if (m->sync_waiting)
                respond(sim, g_steal_pointer(&m->sync_waiting), KS_ERR_REBALANCE_IN_PROGRESS);
        }
    KsEvent ev = ks_event_init(KS_EV_GROUP_REBALANCING, ks_engine_now(sim->engine));
    ev.group_rebalancing.group = g->name;
    ev.group_rebalancing.generation = g->generation;
    ev.group_rebalancing.consumer = who;
    ev.group_rebalancing.reason = reason;
    ks_sim_emit(sim, &ev);
    bool was_empty = g->state == KS_GROUP_EMPTY;
    g->state = KS_GROUP_PREPARING_REBALANCE;
    KsTime timeout = rebalance_timeout(g);
    if (was_empty) {
        /* InitialDelayedJoin. */
        KsTime delay =
            ks_config_resolve(KS_CFG_GROUP_INITIAL_REBALANCE_DELAY_MS, NULL, sim->defaults);
        delay = MIN(delay, timeout);
        g->initial_delay_left = timeout - delay;
        g->new_member_in_delay = false;
        ks_timer_arm(sim->engine, &g->join_timer, delay);
        return;
    }
    g->initial_delay_left = -1;
    ks_timer_arm(sim->engine, &g->join_timer, timeout);
    maybe_complete_join(sim, g);
}

static void remove_member(KsSim *sim, KsGroup *g, KsGroupMember *m, const char *reason)
{
    emit_member_removed(sim, g, m, reason);
    ks_timer_cancel(sim->engine, &m->session);
    g_ptr_array_remove(g->members, m);
    g_ptr_array_add(g->gone, m);
    if (g->leader == m)
        g->leader = NULL;
    if (m->join_waiting)
        respond(sim, g_steal_pointer(&m->join_waiting), KS_ERR_UNKNOWN_MEMBER_ID);
    if (m->sync_waiting)
        respond(sim, g_steal_pointer(&m->sync_waiting), KS_ERR_UNKNOWN_MEMBER_ID);
    if (g->state == KS_GROUP_STABLE || g->state == KS_GROUP_COMPLETING_REBALANCE)
        prepare_rebalance(sim, g, m->member_id, reason);
    else if (g->state == KS_GROUP_PREPARING_REBALANCE)
        maybe_complete_join(sim, g);
}

static void complete_join(KsSim *sim, KsGroup *g)
{
    ks_timer_cancel(sim->engine, &g->join_timer);
    g->initial_delay_left = -1;
    for (guint i = 0; i < g->members->len;) {
        KsGroupMember *m = g_ptr_array_index(g->members, i);
        if (m->join_waiting) {
            i++;
            continue;
        }
        emit_member_removed(sim, g, m, "did not rejoin");
        ks_timer_cancel(sim->engine, &m->session);
        g_ptr_array_remove_index(g->members, i);
        g_ptr_array_add(g->gone, m);
        if (g->leader == m)
            g->leader = NULL;
    }
    ks_group_select_protocol(g);
    g->generation++;
    sim->stats.rebalances++;
    g->rebalances++;
    KsEvent ev = ks_event_init(KS_EV_GROUP_GENERATION, ks_engine_now(sim->engine));
    ev.group_generation.group = g->name;
    ev.group_generation.generation = g->generation;
    ev.group_generation.protocol = ks_assignor_name(g->assignor);
    g_autofree const char **names = g_new0(const char *, g->members->len + 1);
    for (guint i = 0; i < g->members->len; i++)
        names[i] = ((KsGroupMember *)g_ptr_array_index(g->members, i))->member_id;
    ev.group_generation.members.items = names;
    ev.group_generation.members.len = g->members->len;
    if (g->members->len == 0) {
        g->state = KS_GROUP_EMPTY;
        ks_group_became_empty(sim, g);
        g->stored_generation = g->generation;
        ev.group_generation.state = ks_group_state_name(g->state);
        ks_sim_emit(sim, &ev);
        return;
    }
    if (!g->leader)
        g->leader = g_ptr_array_index(g->members, 0);
    g->state = KS_GROUP_COMPLETING_REBALANCE;
    ev.group_generation.state = ks_group_state_name(g->state);
    ev.group_generation.leader = g->leader->member_id;
    ks_sim_emit(sim, &ev);
    for (guint i = 0; i < g->members->len; i++) {
        KsGroupMember *m = g_ptr_array_index(g->members, i);
        KsGroupMsg *r = g_steal_pointer(&m->join_waiting);
        r->generation = g->generation;
        r->is_leader = m == g->leader;
        if (r->is_leader) {
            r->members = g_ptr_array_new();
            for (guint k = 0; k < g->members->len; k++)
                g_ptr_array_add(r->members,
                                ((KsGroupMember *)g_ptr_array_index(g->members, k))->consumer);
        }
        ks_group_heartbeat_ok(sim, m);
        respond(sim, r, KS_ERR_NONE);
    }
}

static void join_timer_fired(KsEngine *engine, void *ctx, uint64_t arg)
{
    KsGroup *g = ctx;
    KsSim *sim = g->sim;
    if (!ks_group_served(g) || g->state != KS_GROUP_PREPARING_REBALANCE)
        return;
    if (g->initial_delay_left >= 0 && g->new_member_in_delay && g->initial_delay_left > 0) {
        KsTime delay =
            ks_config_resolve(KS_CFG_GROUP_INITIAL_REBALANCE_DELAY_MS, NULL, sim->defaults);
        delay = MIN(delay, g->initial_delay_left);
        g->initial_delay_left -= delay;
        g->new_member_in_delay = false;
        ks_timer_arm(engine, &g->join_timer, delay);
        return;
    }
    complete_join(sim, g);
}

static void session_expired(KsEngine *engine, void *ctx, uint64_t arg)
{
    KsGroupMember *m = ctx;
    KsGroup *g = m->group;
    if (!ks_group_served(g) || !g_ptr_array_find(g->members, m, NULL))
        return;
    /* GroupCoordinator.shouldKeepAlive: a member waiting for its join or
     * sync answer is alive. */
    if (m->join_waiting || m->sync_waiting) {
        ks_group_heartbeat_ok(g->sim, m);
        return;
    }
    remove_member(g->sim, g, m, "session timeout");
}

/* ---- requests ---- */

static void set_owned(KsGroupMember *mem, KsGroupMsg *m)
{
    if (mem->owned)
        g_ptr_array_free(mem->owned, TRUE);
    mem->owned = g_steal_pointer(&m->owned);
    mem->owned_generation = m->owned_generation;
}

static void handle_join(KsSim *sim, KsGroup *g, KsGroupMsg *m)
{
    KsConsumer *c = m->consumer;
    if (!m->has_id) {
        respond(sim, m, KS_ERR_MEMBER_ID_REQUIRED);
        return;
    }
    KsTime min = ks_config_resolve(KS_CFG_GROUP_MIN_SESSION_TIMEOUT_MS, NULL, sim->defaults);
    KsTime max = ks_config_resolve(KS_CFG_GROUP_MAX_SESSION_TIMEOUT_MS, NULL, sim->defaults);
    if (c->session_timeout < min || c->session_timeout > max) {
        respond(sim, m, KS_ERR_INVALID_SESSION_TIMEOUT);
        return;
    }
    KsGroupMember *mem = find_member(g, c);
    if (!mem && !(c->instance_id && find_static(g, c->instance_id)) &&
        !ks_group_supports_protocols(g, c)) {
        respond(sim, m, KS_ERR_INCONSISTENT_GROUP_PROTOCOL);
        return;
    }
    const char *reason = "rejoined";
    if (!mem && c->instance_id && (mem = find_static(g, c->instance_id))) {
        /* A static member back under a new process (or another consumer
         * with its instance id): it replaces the old one
         * (updateStaticMemberAndRebalance). */
        mem->consumer = c;
        g_ptr_array_add(g->fenced, g_steal_pointer(&mem->member_id));
        mem->member_id = g_strdup(c->member_id);
    }
    if (mem && c->instance_id && g->state == KS_GROUP_STABLE) {
        /* Known static member, group Stable: no rebalance; it gets the
         * current generation and syncs for its stored assignment. */
        mem->session_timeout = c->session_timeout;
        mem->rebalance_timeout = c->max_poll_interval;
        ks_group_heartbeat_ok(sim, mem);
        m->generation = g->generation;
        m->is_leader = false;
        respond(sim, m, KS_ERR_NONE);
        return;
    }
    if (!mem) {
        mem = g_new0(KsGroupMember, 1);
        mem->group = g;
        mem->consumer = c;
        mem->member_id = g_strdup(c->member_id);
        mem->assignment = g_ptr_array_new();
        ks_timer_init(&mem->session, session_expired, mem);
        g_ptr_array_add(g->members, mem);
        reason = "joined";
        if (g->state == KS_GROUP_PREPARING_REBALANCE && g->initial_delay_left >= 0)
            g->new_member_in_delay = true;
    }
    mem->session_timeout = c->session_timeout;
    mem->rebalance_timeout = c->max_poll_interval;
    set_owned(mem, m);
    if (mem->join_waiting)
        ks_group_msg_free(mem->join_waiting);
    mem->join_waiting = m;
    ks_group_heartbeat_ok(sim, mem);
    if (g->state == KS_GROUP_PREPARING_REBALANCE)
        maybe_complete_join(sim, g);
    else
        prepare_rebalance(sim, g, c->member_id, reason);
}

/* The leader's SyncGroup: every member's assignment, in the order of the
 * members its JoinGroup response listed. */
static void store_assignment(KsGroup *g, KsGroupMsg *m)
{
    for (guint i = 0; i < g->members->len; i++)
        g_ptr_array_set_size(((KsGroupMember *)g_ptr_array_index(g->members, i))->assignment, 0);
    for (guint i = 0; m->members && i < m->members->len; i++) {
        KsGroupMember *mem = find_member(g, g_ptr_array_index(m->members, i));
        GPtrArray *parts = g_ptr_array_index(m->assign, i);
        if (!mem)
            continue;
        for (guint k = 0; k < parts->len; k++)
            g_ptr_array_add(mem->assignment, g_ptr_array_index(parts, k));
    }
}

static void answer_sync(KsSim *sim, KsGroupMember *mem, KsGroupMsg *m)
{
    if (m->assign)
        g_ptr_array_free(m->assign, TRUE);
    m->assign = g_ptr_array_new_with_free_func((GDestroyNotify)g_ptr_array_unref);
    GPtrArray *mine = g_ptr_array_new();
    for (guint k = 0; k < mem->assignment->len; k++)
        g_ptr_array_add(mine, g_ptr_array_index(mem->assignment, k));
    g_ptr_array_add(m->assign, mine);
    m->generation = mem->group->generation;
    respond(sim, m, KS_ERR_NONE);
}

/* The sender of @m, a member of the current generation; else NULL, and @m
 * is answered UNKNOWN_MEMBER_ID or ILLEGAL_GENERATION. */
static KsGroupMember *known_member(KsSim *sim, KsGroup *g, KsGroupMsg *m)
{
    KsGroupMember *mem = find_member(g, m->consumer);
    if (!mem)
        respond(sim, m, KS_ERR_UNKNOWN_MEMBER_ID);
    else if (m->generation != g->generation)
        respond(sim, m, KS_ERR_ILLEGAL_GENERATION);
    else
        return mem;
    return NULL;
}

static void handle_sync(KsSim *sim, KsGroup *g, KsGroupMsg *m)
{
    KsGroupMember *mem = known_member(sim, g, m);
    if (!mem)
        return;
    if (g->state == KS_GROUP_PREPARING_REBALANCE) {
        respond(sim, m, KS_ERR_REBALANCE_IN_PROGRESS);
        return;
    }
    if (g->state == KS_GROUP_STABLE) {
        answer_sync(sim, mem, m);
        return;
    }
    /* CompletingRebalance. */
    if (mem == g->leader) {
        store_assignment(g, m);
        g->state = KS_GROUP_STABLE;
        g->stored_generation = g->generation;
        for (guint i = 0; i < g->members->len; i++) {
            KsGroupMember *o = g_ptr_array_index(g->members, i);
            if (o->sync_waiting)
                answer_sync(sim, o, g_steal_pointer(&o->sync_waiting));
        }
        answer_sync(sim, mem, m);
        return;
    }
    if (mem->sync_waiting)
        ks_group_msg_free(mem->sync_waiting);
    mem->sync_waiting = m;
}

static void handle_heartbeat(KsSim *sim, KsGroup *g, KsGroupMsg *m)
{
    KsGroupMember *mem = known_member(sim, g, m);
    if (!mem)
        return;
    ks_group_heartbeat_ok(sim, mem);
    respond(sim, m,
            g->state == KS_GROUP_PREPARING_REBALANCE ? KS_ERR_REBALANCE_IN_PROGRESS : KS_ERR_NONE);
}

static void handle_leave(KsSim *sim, KsGroup *g, KsGroupMsg *m)
{
    KsGroupMember *mem = find_member(g, m->consumer);
    if (mem)
        remove_member(sim, g, mem, m->reason ? m->reason : "left");
    respond(sim, m, mem ? KS_ERR_NONE : KS_ERR_UNKNOWN_MEMBER_ID);
}

static void complete_commit(KsSim *sim, KsGroup *g, KsPendingCommit *pc)
{
    for (guint i = 0; i < pc->count; i++)
        g_array_index(g->commits, KsCommitRecord, pc->first + i).visible = true;
    if (pc->msg->reason) {
        g_autoptr(GString) text = g_string_new(NULL);
        for (guint i = 0; i < pc->msg->offsets->len; i++) {
            const KsOffsetEntry *e = &g_array_index(pc->msg->offsets, KsOffsetEntry, i);
            g_string_append_printf(text, "%s%s-%" PRId32 "=%" PRId64, i ? " " : "",
                                   e->part->topic->name, e->part->index, e->offset);
        }
        KsEvent ev = ks_event_init(KS_EV_OFFSETS_COMMITTED, ks_engine_now(sim->engine));
        ev.offsets_committed.group = g->name;
        ev.offsets_committed.consumer = pc->msg->consumer->member_id;
        ev.offsets_committed.offsets = text->str;
        ev.offsets_committed.when = pc->msg->reason;
        ks_sim_emit(sim, &ev);
    }
    respond(sim, g_steal_pointer(&pc->msg), KS_ERR_NONE);
}

static void handle_commit(KsSim *sim, KsGroup *g, KsGroupMsg *m)
{
    KsGroupMember *mem = known_member(sim, g, m);
    if (!mem)
        return;
    if (g->state == KS_GROUP_COMPLETING_REBALANCE) {
        respond(sim, m, KS_ERR_REBALANCE_IN_PROGRESS);
        return;
    }
    if (!m->offsets || m->offsets->len == 0) {
        respond(sim, m, KS_ERR_NONE);
        return;
    }
    KsPartition *op = ks_group_offsets_part(sim, g);
    int64_t end = ks_broker_append_internal(sim, op, m->offsets->len);
    KsPendingCommit *pc = g_new0(KsPendingCommit, 1);
    pc->msg = m;
    pc->need = end;
    pc->first = g->commits->len;
    pc->count = m->offsets->len;
    for (guint i = 0; i < m->offsets->len; i++) {
        const KsOffsetEntry *e = &g_array_index(m->offsets, KsOffsetEntry, i);
        KsCommitRecord r = {.part = e->part,
                            .offset = e->offset,
                            .log_offset = end - m->offsets->len + i,
                            .log_epoch = op->leader_replica_epoch};
        g_array_append_val(g->commits, r);
    }
    if (op->leader_replica->hw >= end) {
        complete_commit(sim, g, pc);
        pending_free(pc);
        return;
    }
    g_ptr_array_add(g->pending, pc);
}

static void handle_offset_fetch(KsSim *sim, KsGroup *g, KsGroupMsg *m)
{
    for (guint i = 0; m->offsets && i < m->offsets->len; i++) {
        KsOffsetEntry *e = &g_array_index(m->offsets, KsOffsetEntry, i);
        e->offset = ks_group_committed(sim, g, e->part);
    }
    respond(sim, m, KS_ERR_NONE);
}

/* FindCoordinator, at any broker: the leader of the group's offsets
 * partition, creating __consumer_offsets on first use. */
static void handle_find(KsSim *sim, KsGroup *g, KsGroupMsg *m)
{
    if (!sim->offsets_topic) {
        int64_t rf =
            ks_config_resolve(KS_CFG_OFFSETS_TOPIC_REPLICATION_FACTOR, NULL, sim->defaults);
        int64_t live = 0;
        for (guint i = 0; i < sim->brokers->len; i++)
            live += ((KsBroker *)g_ptr_array_index(sim->brokers, i))->ctrl_live;
        if (ks_query_controller(sim) != KS_NO_BROKER && live >= rf) {
            KsPlanTopic *pt = g_new0(KsPlanTopic, 1);
            pt->name = g_strdup("__consumer_offsets");
            pt->partitions = (int32_t)ks_config_resolve(KS_CFG_OFFSETS_TOPIC_NUM_PARTITIONS, NULL,
                                                        sim->defaults);
            pt->replication_factor = (int32_t)rf;
            pt->placement_start = -1;
            pt->loc = g->plan ? g->plan->loc : (KsLoc){0};
            sim->offsets_plan = pt;
            sim->offsets_topic = ks_sim_create_internal_topic(sim, pt, NULL);
        }
        respond(sim, m, KS_ERR_COORDINATOR_NOT_AVAILABLE);
        return;
    }
    /* KafkaApis.getCoordinator (3.9): the leader of the group's offsets
     * partition in the metadata cache of the broker asked, if that cache
     * holds it alive; else COORDINATOR_NOT_AVAILABLE. */
    KsBrokerId leader = ks_metadata_leader(sim, m->broker, ks_group_offsets_part(sim, g));
    m->coordinator = leader;
    respond(sim, m, leader != KS_NO_BROKER ? KS_ERR_NONE : KS_ERR_COORDINATOR_NOT_AVAILABLE);
}

/* Whether @c's process lost its group.instance.id to a later one
 * (GroupCoordinator.validateCurrentMember). */
static bool is_fenced(const KsGroup *g, const KsConsumer *c)
{
    for (guint i = 0; c->instance_id && i < g->fenced->len; i++)
        if (strcmp(g_ptr_array_index(g->fenced, i), c->member_id) == 0)
            return true;
    return false;
}

void ks_group_handle(KsSim *sim, KsGroupMsg *m)
{
    KsGroup *g = m->consumer->group;
    if (m->kind == KS_GREQ_FIND_COORDINATOR) {
        handle_find(sim, g, m);
        return;
    }
    int err = ks_group_check_coordinator(sim, g, m->broker);
    if (err == KS_ERR_NONE && m->kind != KS_GREQ_OFFSET_FETCH && is_fenced(g, m->consumer))
        err = KS_ERR_FENCED_INSTANCE_ID;
    if (err != KS_ERR_NONE) {
        respond(sim, m, err);
        return;
    }
    if (g->removed && m->kind == KS_GREQ_JOIN)
        ks_group_recreate(g); /* getOrMaybeCreateGroup */
    switch (m->kind) {
    case KS_GREQ_JOIN:
        handle_join(sim, g, m);
        break;
    case KS_GREQ_SYNC:
        handle_sync(sim, g, m);
        break;
    case KS_GREQ_HEARTBEAT:
        handle_heartbeat(sim, g, m);
        break;
    case KS_GREQ_LEAVE:
        handle_leave(sim, g, m);
        break;
    case KS_GREQ_COMMIT:
        handle_commit(sim, g, m);
        break;
    case KS_GREQ_OFFSET_FETCH:
        handle_offset_fetch(sim, g, m);
        break;
    case KS_GREQ_FIND_COORDINATOR:
    case KS_GREQ_LIST_OFFSETS:
        break;
    }
}

void ks_group_hw_advanced(KsSim *sim, KsPartition *part)
{
    if (!sim->groups || sim->groups->len == 0)
        return;
    if (part->topic == sim->offsets_topic) {
        for (guint i = 0; i < sim->groups->len; i++) {
            KsGroup *g = g_ptr_array_index(sim->groups, i);
            if (g->offsets_partition != part->index || !ks_group_served(g))
                continue;
            while (g->pending->len > 0) {
                KsPendingCommit *pc = g_ptr_array_index(g->pending, 0);
                if (pc->need > part->leader_replica->hw)
                    break;
                complete_commit(sim, g, pc);
                g_ptr_array_remove_index(g->pending, 0);
            }
        }
        return;
    }
    ks_consumer_fetch_hw_advanced(sim, part);
}
