/* SPDX-License-Identifier: MIT */
/*
 * consumer.c - a consumer client: group membership (Kafka's
 * ConsumerCoordinator), positions (SubscriptionState) and the
 * application's poll loop; fetching is in consumer-fetch.c.
 *
 * Two threads, as in Kafka's classic consumer. The heartbeat thread wakes
 * every heartbeat.interval.ms: it notices a dead coordinator (its
 * connection reset), sends Heartbeat while the member is in a generation,
 * and sends LeaveGroup when the application has not polled for
 * max.poll.interval.ms. The application thread loops: poll(), process the
 * records poll returned (processing= per record, so a batch of n takes n
 * times that), commit if it commits explicitly, poll again. Everything the
 * group needs from the client happens inside poll(), as in Kafka: finding
 * the coordinator, joining and syncing (a member that must rejoin while
 * processing does so at its next poll), fetching committed offsets for new
 * partitions, and the auto-commit of the positions earlier polls returned.
 *
 * Position is the offset of the next record poll returns; it moves when
 * poll returns records, before they are processed. Commits carry
 * positions. Eager members revoke all their partitions before they rejoin
 * (after an auto-commit), cooperative members keep them and revoke only
 * what their new assignment lacks, then rejoin at once (the follow-up
 * rebalance). A crash loses everything in memory: the records of the
 * batch being processed count as processed up to the crash instant.
 *
 * The application's commit mode is the consumer line's commit= key (see
 * docs/scenario-language.md): auto (enable.auto.commit=true), sync or async
 * after processing each batch, or before processing (at-most-once).
 */
#include <inttypes.h>
#include <string.h>

#include "actions-private.h"
#include "broker-private.h"
#include "consumer-private.h"

static void hb_fired(KsEngine *engine, void *ctx, uint64_t arg);
static void halt(KsSim *sim, KsConsumer *c);
static void app_fired(KsEngine *engine, void *ctx, uint64_t arg);
static void start_processing(KsSim *sim, KsConsumer *c);

KsConsumer *ks_consumer_new(KsSim *sim, const KsPlanConsumer *plan, int index)
{
    KsConsumer *c = g_new0(KsConsumer, 1);
    c->sim = sim;
    c->name = g_strdup(plan->name);
    c->index = index;
    c->plan = plan;
    c->topic_names = g_ptr_array_new_with_free_func(g_free);
    c->node = plan->node ? ks_sim_find_node(sim, plan->node) : NULL;
    c->host = g_strconcat("/", c->node ? c->node->name : c->name, NULL);
    ks_net_endpoint_init(&c->ep, c->node, false);
    c->assigned = g_array_new(FALSE, FALSE, sizeof(KsConsumerPart));
    c->revoked = g_ptr_array_new();
    c->batch = g_array_new(FALSE, FALSE, sizeof(KsConsumerRange));
    c->fetches = g_ptr_array_new_with_free_func(ks_consumer_fetch_free);
    c->fetch_to = g_ptr_array_new();
    c->msgs = g_hash_table_new(NULL, NULL);
    c->generation = -1;
    ks_timer_init(&c->heartbeat, hb_fired, c);
    ks_timer_init(&c->app_timer, app_fired, c);
    return c;
}

void ks_consumer_free(KsConsumer *c)
{
    /* Messages still in flight when the run ends. */
    GHashTableIter it;
    gpointer m;
    g_hash_table_iter_init(&it, c->msgs);
    while (g_hash_table_iter_next(&it, &m, NULL)) {
        g_hash_table_iter_steal(&it);
        ((KsGroupMsg *)m)->consumer = NULL;
        ks_group_msg_free(m);
    }
    g_hash_table_destroy(c->msgs);
    g_ptr_array_free(c->topic_names, TRUE);
    ks_consumer_metadata_free(c);
    g_array_free(c->assigned, TRUE);
    g_ptr_array_free(c->revoked, TRUE);
    g_array_free(c->batch, TRUE);
    g_ptr_array_free(c->fetches, TRUE);
    g_ptr_array_free(c->fetch_to, TRUE);
    ks_consumer_conns_free(c);
    g_free(c->host);
    g_free(c->instance_id);
    g_free(c->member_id);
    g_free(c->name);
    g_free(c);
}

KsConsumer *ks_consumer_find(const KsSim *sim, const char *name)
{
    for (guint i = 0; i < sim->consumers->len; i++) {
        KsConsumer *c = g_ptr_array_index(sim->consumers, i);
        if (strcmp(c->name, name) == 0)
            return c;
    }
    return NULL;
}

KsConsumerPart *ks_consumer_part(KsConsumer *c, const KsPartition *part)
{
    for (guint i = 0; i < c->assigned->len; i++) {
        KsConsumerPart *cp = &g_array_index(c->assigned, KsConsumerPart, i);
        if (cp->part == part)
            return cp;
    }
    return NULL;
}

bool ks_consumer_owns(const KsConsumer *c, const KsPartition *part)
{
    return ks_consumer_part((KsConsumer *)c, part) != NULL;
}

static KsTime now_of(const KsSim *sim)
{
    return ks_engine_now(sim->engine);
}

static void emit_consumer(KsSim *sim, KsConsumer *c, KsEventType type)
{
    KsEvent ev = ks_event_init(type, now_of(sim));
    ev.consumer_event.consumer = c->name;
    ev.consumer_event.group = c->group->name;
    ks_sim_emit(sim, &ev);
}

/* Emits partitions_assigned or partitions_revoked for @parts (KsPartition*). */
static void emit_parts(KsSim *sim, KsConsumer *c, KsEventType type, GPtrArray *parts,
                       KsTime stopped)
{
    g_autofree KsTopicPartition *tps = g_new0(KsTopicPartition, parts->len + 1);
    for (guint i = 0; i < parts->len; i++) {
        const KsPartition *p = g_ptr_array_index(parts, i);
        tps[i] = (KsTopicPartition){p->topic->name, p->index};
    }
    KsEvent ev = ks_event_init(type, now_of(sim));
    ev.partitions_moved.group = c->group->name;
    ev.partitions_moved.consumer = c->name;
    ev.partitions_moved.generation = c->generation;
    ev.partitions_moved.partitions.items = tps;
    ev.partitions_moved.partitions.len = parts->len;
    ev.partitions_moved.stopped_us = stopped;
    ks_sim_emit(sim, &ev);
}

/* ---- requests to brokers ---- */

static void request_arrives(KsSim *sim, void *ctx, uint64_t arg, bool delivered)
{
    KsGroupMsg *m = ctx;
    if (!delivered) {
        ks_consumer_group_response(sim, m, false);
        return;
    }
    ks_group_handle(sim, m);
}

KsGroupMsg *ks_consumer_msg_new(KsConsumer *c, KsGroupRequestKind kind)
{
    KsGroupMsg *m = g_new0(KsGroupMsg, 1);
    m->kind = kind;
    m->consumer = c;
    g_hash_table_add(c->msgs, m);
    m->token = c->token;
    m->generation = c->generation;
    m->coordinator = KS_NO_BROKER;
    return m;
}

/* --verbose: @m, as a request event. */
static void emit_group_request(KsSim *sim, const KsConsumer *c, const KsBroker *to,
                               const KsGroupMsg *m)
{
    g_autofree char *from = g_strdup_printf("consumer %s", c->name);
    g_autofree char *detail = NULL;
    if (c->group && m->kind != KS_GREQ_FIND_COORDINATOR && m->generation >= 0)
        detail = g_strdup_printf("group %s, generation %" PRId32, c->group->name, m->generation);
    else if (c->group)
        detail = g_strdup_printf("group %s", c->group->name);
    ks_sim_emit_request(sim, ks_consumer_api_name(m->kind), from, to->id, detail);
}

static void send_to(KsSim *sim, KsConsumer *c, KsBroker *to, KsGroupMsg *m)
{
    m->broker = to;
    if (sim->verbose)
        emit_group_request(sim, c, to, m);
    ks_consumer_send_group(sim, c, to, m, request_arrives);
}

static void retry_later_cb(KsSim *sim, void *ctx, uint64_t token, bool delivered)
{
    KsConsumer *c = ctx;
    if (delivered && c->running && c->token == token)
        ks_consumer_poll(sim, c);
}

void ks_consumer_retry_later(KsSim *sim, KsConsumer *c)
{
    ks_net_after(sim, &c->ep, c->retry_backoff, retry_later_cb, c, c->token);
}

/* Positions of every assigned partition that has one, as a commit. */
static KsGroupMsg *commit_msg(KsConsumer *c, const char *reason)
{
    KsGroupMsg *m = ks_consumer_msg_new(c, KS_GREQ_COMMIT);
    m->offsets = g_array_sized_new(FALSE, FALSE, sizeof(KsOffsetEntry), c->assigned->len);
    for (guint i = 0; i < c->assigned->len; i++) {
        const KsConsumerPart *cp = &g_array_index(c->assigned, KsConsumerPart, i);
        if (cp->position < 0)
            continue;
        KsOffsetEntry e = {cp->part, ks_consumer_processed_offset(c, cp)};
        g_array_append_val(m->offsets, e);
    }
    if (!reason && !c->first_commit_done)
        reason = "first after assignment";
    c->first_commit_done = true;
    m->reason = reason;
    return m;
}

/* Sends a commit of the current positions; returns whether one left. */
static bool send_commit(KsSim *sim, KsConsumer *c, const char *reason)
{
    if (!c->coordinator || c->generation < 0)
        return false;
    KsGroupMsg *m = commit_msg(c, reason);
    if (m->offsets->len == 0) {
        ks_group_msg_free(m);
        return false;
    }
    c->committing = true;
    send_to(sim, c, c->coordinator, m);
    return true;
}

/* ---- losing the coordinator or the membership ---- */

static void drop_assignment(KsSim *sim, KsConsumer *c)
{
    if (c->assigned->len > 0) {
        GPtrArray *parts = c->revoked;
        g_ptr_array_set_size(parts, 0);
        for (guint i = 0; i < c->assigned->len; i++)
            g_ptr_array_add(parts, g_array_index(c->assigned, KsConsumerPart, i).part);
        emit_parts(sim, c, KS_EV_PARTITIONS_REVOKED, parts, -1);
        c->stopped_since = now_of(sim);
    }
    g_array_set_size(c->assigned, 0);
    ks_consumer_fetch_reset(c);
}

/* The answer to a synchronous commit came, or never will. */
static void commit_done(KsSim *sim, KsConsumer *c)
{
    c->committing = false;
    if (c->app != KS_APP_COMMITTING)
        return;
    if (c->batch->len > 0 && (c->commit == KS_COMMIT_BEFORE || c->commit_every > 0)) {
        start_processing(sim, c);
        return;
    }
    c->app = KS_APP_POLLING;
    ks_consumer_poll(sim, c);
}

static void coordinator_lost(KsSim *sim, KsConsumer *c)
{
    c->coordinator = NULL;
    c->finding = false;
    c->token++;
    if (c->mstate == KS_MEMBER_JOINING || c->mstate == KS_MEMBER_SYNCING) {
        c->mstate = KS_MEMBER_UNJOINED;
        c->rejoin_needed = true;
    }
    if (c->committing)
        commit_done(sim, c);
}

void ks_consumer_coordinator_lost(KsSim *sim, KsConsumer *c)
{
    coordinator_lost(sim, c);
    ks_consumer_retry_later(sim, c);
}

/* ILLEGAL_GENERATION, UNKNOWN_MEMBER_ID: the partitions are lost, without
 * a commit (onPartitionsLost). */
static void membership_lost(KsSim *sim, KsConsumer *c, bool forget_id)
{
    drop_assignment(sim, c);
    g_ptr_array_set_size(c->revoked, 0);
    c->generation = -1;
    c->mstate = KS_MEMBER_UNJOINED;
    c->rejoin_needed = true;
    if (forget_id)
        c->finding = false;
}

/* ---- joining ---- */

static void send_join(KsSim *sim, KsConsumer *c)
{
    KsGroupMsg *m = ks_consumer_msg_new(c, KS_GREQ_JOIN);
    m->has_id = c->generation >= 0 || c->mstate == KS_MEMBER_JOINING || c->instance_id;
    m->owned = g_ptr_array_new();
    for (guint i = 0; i < c->assigned->len; i++)
        g_ptr_array_add(m->owned, g_array_index(c->assigned, KsConsumerPart, i).part);
    /* An eager member has revoked everything; StickyAssignor still learns
     * its previous assignment from the subscription's user data. */
    for (guint i = 0; c->assigned->len == 0 && c->generation >= 0 && i < c->revoked->len; i++)
        g_ptr_array_add(m->owned, g_ptr_array_index(c->revoked, i));
    m->owned_generation = c->generation;
    c->mstate = KS_MEMBER_JOINING;
    c->rejoin_needed = false;
    c->join_prepared = false;
    send_to(sim, c, c->coordinator, m);
}

/* The leader runs the group's assignor over the members' subscriptions. */
static void leader_assign(KsSim *sim, KsConsumer *c, KsGroupMsg *sync, const GPtrArray *members)
{
    KsGroup *g = c->group;
    g_autoptr(GArray) topics = g_array_new(FALSE, FALSE, sizeof(KsAssignorTopic));
    for (guint i = 0; i < sim->topics->len; i++) {
        KsTopic *t = g_ptr_array_index(sim->topics, i);
        if (!t->created || t == sim->offsets_topic)
            continue;
        KsAssignorTopic at = {t->name, ks_consumer_metadata_count(c, t)};
        g_array_append_val(topics, at);
    }
    guint n = members->len;
    g_autofree KsAssignorMember *ms = g_new0(KsAssignorMember, n + 1);
    g_autoptr(GPtrArray) owned_lists = g_ptr_array_new_with_free_func(g_free);
    for (guint i = 0; i < n; i++) {
        KsConsumer *mc = g_ptr_array_index(members, i);
        KsGroupMember *mem = NULL;
        for (guint k = 0; k < g->members->len; k++)
            if (ks_group_member_is(g_ptr_array_index(g->members, k), mc))
                mem = g_ptr_array_index(g->members, k);
        ms[i].member_id = mc->member_id;
        ms[i].group_instance_id = mc->instance_id;
        ms[i].topics = (const char *const *)mc->topic_names->pdata;
        ms[i].n_topics = mc->topic_names->len;
        ms[i].generation = KS_ASSIGNOR_NO_GENERATION;
        if (mem && mem->owned && mem->owned->len > 0) {
            KsTopicPartition *tp = g_new0(KsTopicPartition, mem->owned->len);
            for (guint k = 0; k < mem->owned->len; k++) {
                const KsPartition *p = g_ptr_array_index(mem->owned, k);
                tp[k] = (KsTopicPartition){p->topic->name, p->index};
            }
            g_ptr_array_add(owned_lists, tp);
            ms[i].owned = tp;
            ms[i].n_owned = mem->owned->len;
            ms[i].generation = mem->owned_generation;
        }
    }
    g_autoptr(KsAssignment) a = ks_assignor_assign(
        g->assignor, (const KsAssignorTopic *)(void *)topics->data, topics->len, ms, n);
    sync->members = g_ptr_array_new();
    sync->assign = g_ptr_array_new_with_free_func((GDestroyNotify)g_ptr_array_unref);
    for (guint i = 0; i < n; i++) {
        g_ptr_array_add(sync->members, g_ptr_array_index(members, i));
        GPtrArray *parts = g_ptr_array_new();
        size_t np = 0;
        const KsTopicPartition *tp = ks_assignment_partitions(a, i, &np);
        for (size_t k = 0; k < np; k++)
            g_ptr_array_add(parts,
                            ks_sim_find_topic(sim, tp[k].topic)->partitions[tp[k].partition]);
        g_ptr_array_add(sync->assign, parts);
    }
}

static gint cmp_part(gconstpointer a, gconstpointer b)
{
    const KsConsumerPart *x = a, *y = b;
    int c = strcmp(x->part->topic->name, y->part->topic->name);
    return c ? c : (x->part->index > y->part->index) - (x->part->index < y->part->index);
}

static void send_offset_fetch(KsSim *sim, KsConsumer *c)
{
    KsGroupMsg *m = ks_consumer_msg_new(c, KS_GREQ_OFFSET_FETCH);
    m->offsets = g_array_sized_new(FALSE, FALSE, sizeof(KsOffsetEntry), c->assigned->len);
    for (guint i = 0; i < c->assigned->len; i++) {
        const KsConsumerPart *cp = &g_array_index(c->assigned, KsConsumerPart, i);
        if (cp->position < 0 && !cp->no_offset) {
            KsOffsetEntry e = {cp->part, -1};
            g_array_append_val(m->offsets, e);
        }
    }
    if (m->offsets->len == 0 || !c->coordinator) {
        ks_group_msg_free(m);
        return;
    }
    send_to(sim, c, c->coordinator, m);
}

/* SyncGroup answered: the new assignment. */
static void assigned(KsSim *sim, KsConsumer *c, GPtrArray *parts)
{
    c->mstate = KS_MEMBER_STABLE;
    /* Cooperative: what the member owned and is not given back is revoked,
     * and it rejoins for the partitions withheld from others. */
    g_autoptr(GPtrArray) revoked = g_ptr_array_new();
    for (guint i = 0; i < c->assigned->len;) {
        KsConsumerPart *cp = &g_array_index(c->assigned, KsConsumerPart, i);
        if (g_ptr_array_find(parts, cp->part, NULL)) {
            i++;
            continue;
        }
        g_ptr_array_add(revoked, cp->part);
        g_array_remove_index(c->assigned, i);
    }
    if (revoked->len > 0) {
        emit_parts(sim, c, KS_EV_PARTITIONS_REVOKED, revoked, -1);
        c->rejoin_needed = true;
    }
    for (guint i = 0; i < parts->len; i++) {
        KsPartition *p = g_ptr_array_index(parts, i);
        if (ks_consumer_part(c, p))
            continue;
        KsConsumerPart cp = {.part = p, .position = -1, .fetched = -1};
        g_array_append_val(c->assigned, cp);
    }
    g_array_sort(c->assigned, cmp_part);
    g_autoptr(GPtrArray) all = g_ptr_array_new();
    for (guint i = 0; i < c->assigned->len; i++)
        g_ptr_array_add(all, g_array_index(c->assigned, KsConsumerPart, i).part);
    KsTime stopped = c->stopped_since >= 0 ? now_of(sim) - c->stopped_since : 0;
    emit_parts(sim, c, KS_EV_PARTITIONS_ASSIGNED, all, stopped);
    c->stopped_since = all->len > 0 ? -1 : c->stopped_since;
    c->first_commit_done = false;
    c->next_auto_commit = now_of(sim) + c->auto_commit_interval;
    send_offset_fetch(sim, c);
}

void ks_consumer_emit_reset(KsSim *sim, KsConsumer *c, const KsPartition *p, const char *policy,
                            int64_t offset, KsTime time, KsTime found)
{
    KsEvent ev = ks_event_init(KS_EV_OFFSET_RESET, now_of(sim));
    ev.offset_reset.group = c->group->name;
    ev.offset_reset.consumer = c->name;
    ev.offset_reset.topic = p->topic->name;
    ev.offset_reset.partition = p->index;
    ev.offset_reset.policy = policy;
    ev.offset_reset.offset = offset;
    ev.offset_reset.time_us = time;
    ev.offset_reset.found_us = found;
    ks_sim_emit(sim, &ev);
}

/* OffsetFetch answered: positions from the committed offsets, else from
 * auto.offset.reset; from-offset= seeks instead. */
static void positions_known(KsSim *sim, KsConsumer *c, const GArray *offsets)
{
    static const char *const policies[] = {"latest", "earliest", "none"};
    for (guint i = 0; i < offsets->len; i++) {
        const KsOffsetEntry *e = &g_array_index(offsets, KsOffsetEntry, i);
        KsConsumerPart *cp = ks_consumer_part(c, e->part);
        if (!cp || cp->position >= 0)
            continue;
        if (c->from_offset >= 0) {
            cp->position = c->from_offset;
            ks_consumer_emit_reset(sim, c, cp->part, "from-offset", cp->position, -1, -1);
        } else if (c->from_time >= 0) {
            /* offsetsForTimes, then seek: a ListOffsets to the leader. */
            cp->seek_policy = "from-time";
            cp->seek_time = c->from_time;
            cp->seek_ready = false;
            continue;
        } else if (e->offset >= 0) {
            cp->position = e->offset;
            ks_ledger_position_taken(sim, c->group, c, cp->part, cp->position);
        } else if (c->offset_reset == 2) {
            cp->no_offset = true;
            ks_consumer_emit_reset(sim, c, cp->part, policies[2], -1, -1, -1);
            continue;
        } else {
            /* earliest: the log start (nothing is deleted); latest: the
             * end as ListOffsets gives it, the leader's high watermark. */
            KsReplica *lr = ks_partition_leader_replica(cp->part);
            cp->position = c->offset_reset == 1 ? 0 : lr ? lr->hw : 0;
            ks_consumer_emit_reset(sim, c, cp->part, policies[c->offset_reset], cp->position, -1,
                                   -1);
            ks_ledger_position_taken(sim, c->group, c, cp->part, cp->position);
        }
        cp->fetched = cp->position;
    }
}

void ks_consumer_group_response(KsSim *sim, KsGroupMsg *m, bool delivered)
{
    KsConsumer *c = m->consumer;
    if (!delivered && c->running && m->token == c->token &&
        ks_consumer_lost_silently(sim, m->broker)) {
        ks_consumer_group_lost(sim, m); /* no reset came back: it waits for its timeout */
        return;
    }
    ks_consumer_group_answer(sim, m, delivered);
}

void ks_consumer_group_answer(KsSim *sim, KsGroupMsg *m, bool delivered)
{
    KsConsumer *c = m->consumer;
    if (!c->running || m->token != c->token) {
        ks_group_msg_free(m);
        return;
    }
    int err = delivered ? m->error : KS_ERR_COORDINATOR_NOT_AVAILABLE;
    if (m->kind == KS_GREQ_FIND_COORDINATOR) {
        c->finding = false;
        if (err == KS_ERR_NONE) {
            c->coordinator = ks_sim_find_broker(sim, m->coordinator);
            c->last_heartbeat_ok = now_of(sim); /* resetSessionTimeout */
            ks_consumer_poll(sim, c);
        } else {
            ks_consumer_retry_later(sim, c);
        }
        ks_group_msg_free(m);
        return;
    }
    if (err == KS_ERR_NOT_COORDINATOR || err == KS_ERR_COORDINATOR_NOT_AVAILABLE) {
        coordinator_lost(sim, c);
        ks_consumer_retry_later(sim, c);
        ks_group_msg_free(m);
        return;
    }
    if (err == KS_ERR_COORDINATOR_LOAD_IN_PROGRESS) {
        if (m->kind == KS_GREQ_JOIN || m->kind == KS_GREQ_SYNC) {
            c->mstate = KS_MEMBER_UNJOINED;
            c->rejoin_needed = true;
        }
        if (m->kind == KS_GREQ_COMMIT)
            commit_done(sim, c);
        ks_consumer_retry_later(sim, c);
        ks_group_msg_free(m);
        return;
    }
    if (err == KS_ERR_FENCED_INSTANCE_ID ||
        (m->kind == KS_GREQ_JOIN &&
         (err == KS_ERR_INVALID_SESSION_TIMEOUT || err == KS_ERR_INCONSISTENT_GROUP_PROTOCOL))) {
        /* A fatal exception out of poll() (FencedInstanceIdException:
         * another process took its group.instance.id): the application
         * stops. */
        KsEvent ev = ks_event_init(KS_EV_CONSUMER_FAILED, now_of(sim));
        ev.consumer_failed.consumer = c->name;
        ev.consumer_failed.group = c->group->name;
        ev.consumer_failed.error = ks_kafka_error_name(err);
        ks_sim_emit(sim, &ev);
        ks_group_msg_free(m);
        halt(sim, c);
        return;
    }
    switch (m->kind) {
    case KS_GREQ_JOIN:
        if (err == KS_ERR_MEMBER_ID_REQUIRED) {
            send_join(sim, c);
        } else if (err == KS_ERR_NONE) {
            c->generation = m->generation;
            c->last_heartbeat_ok = now_of(sim); /* the heartbeat thread starts anew */
            c->mstate = KS_MEMBER_SYNCING;
            KsGroupMsg *s = ks_consumer_msg_new(c, KS_GREQ_SYNC);
            if (m->is_leader) {
                leader_assign(sim, c, s, m->members);
                ks_consumer_metadata_assigned(c);
            }
            send_to(sim, c, c->coordinator, s);
        } else {
            membership_lost(sim, c, true);
            ks_consumer_poll(sim, c);
        }
        break;
    case KS_GREQ_SYNC:
        if (err == KS_ERR_NONE) {
            assigned(sim, c, g_ptr_array_index(m->assign, 0));
            ks_consumer_poll(sim, c);
        } else if (err == KS_ERR_REBALANCE_IN_PROGRESS) {
            c->mstate = KS_MEMBER_UNJOINED;
            c->rejoin_needed = true;
            ks_consumer_poll(sim, c);
        } else {
            membership_lost(sim, c, true);
            ks_consumer_poll(sim, c);
        }
        break;
    case KS_GREQ_HEARTBEAT:
        if (err == KS_ERR_NONE) {
            c->last_heartbeat_ok = now_of(sim);
        } else if (err == KS_ERR_REBALANCE_IN_PROGRESS) {
            c->last_heartbeat_ok = now_of(sim);
            if (c->mstate == KS_MEMBER_STABLE)
                c->rejoin_needed = true;
            ks_consumer_poll(sim, c);
        } else if (c->mstate == KS_MEMBER_STABLE) {
            membership_lost(sim, c, true);
            ks_consumer_poll(sim, c);
        }
        break;
    case KS_GREQ_COMMIT: {
        /* An async commit's failure: a poll waiting for records rejoins. */
        bool lost = false, waiting = c->app == KS_APP_POLLING;
        if (err == KS_ERR_ILLEGAL_GENERATION || err == KS_ERR_UNKNOWN_MEMBER_ID) {
            /* CommitFailedException: the group rebalanced meanwhile. */
            lost = c->mstate == KS_MEMBER_STABLE;
            if (lost)
                membership_lost(sim, c, true);
        } else if (err == KS_ERR_REBALANCE_IN_PROGRESS) {
            c->rejoin_needed = true;
        }
        commit_done(sim, c);
        if (lost && waiting)
            ks_consumer_poll(sim, c);
        break;
    }
    case KS_GREQ_OFFSET_FETCH:
        if (err == KS_ERR_NONE)
            positions_known(sim, c, m->offsets);
        ks_consumer_poll(sim, c);
        break;
    case KS_GREQ_LEAVE:
    case KS_GREQ_FIND_COORDINATOR:
    case KS_GREQ_LIST_OFFSETS:
        break;
    }
    ks_group_msg_free(m);
}

/* ---- the application thread ---- */

static void find_coordinator(KsSim *sim, KsConsumer *c)
{
    if (c->finding)
        return;
    /* The least loaded node: here the first broker whose process runs. */
    KsBroker *to = NULL;
    for (guint i = 0; i < sim->brokers->len && !to; i++) {
        KsBroker *b = g_ptr_array_index(sim->brokers, i);
        if (b->alive)
            to = b;
    }
    if (!to) {
        ks_consumer_retry_later(sim, c);
        return;
    }
    c->finding = true;
    send_to(sim, c, to, ks_consumer_msg_new(c, KS_GREQ_FIND_COORDINATOR));
}

/* poll() returns up to max.poll.records from the fetched buffers, a
 * partition at a time in assignment order from where the last poll
 * stopped, and moves the positions past them. */
static int64_t take_records(KsConsumer *c)
{
    g_array_set_size(c->batch, 0);
    int64_t left = c->max_poll_records, taken = 0;
    guint n = c->assigned->len;
    for (guint k = 0; k < n && left > 0; k++) {
        KsConsumerPart *cp = &g_array_index(c->assigned, KsConsumerPart, k);
        if (cp->position < 0 || cp->fetched <= cp->position)
            continue;
        int64_t count = MIN(left, cp->fetched - cp->position);
        KsConsumerRange r = {cp->part, cp->position, count};
        g_array_append_val(c->batch, r);
        cp->position += count;
        left -= count;
        taken += count;
    }
    return taken;
}

static void start_processing(KsSim *sim, KsConsumer *c)
{
    c->app = KS_APP_PROCESSING;
    c->batch_start = now_of(sim);
    c->chunk = ks_consumer_next_chunk(c);
    ks_timer_arm(sim->engine, &c->app_timer, c->chunk * c->processing);
}

/* Accounts the records of the batch processed by now (all when @all). */
static void account_batch(KsSim *sim, KsConsumer *c, bool all)
{
    int64_t done = INT64_MAX;
    if (!all && c->processing > 0)
        done = (now_of(sim) - c->batch_start) / c->processing;
    ks_consumer_account(sim, c, done);
    g_array_set_size(c->batch, 0);
}

void ks_consumer_poll(KsSim *sim, KsConsumer *c)
{
    if (!c->running || c->app != KS_APP_POLLING)
        return;
    c->last_poll = now_of(sim);
    ks_consumer_metadata_poll(sim, c);
    if (!c->coordinator) {
        find_coordinator(sim, c);
        return;
    }
    if (c->mstate == KS_MEMBER_UNJOINED || (c->rejoin_needed && c->mstate == KS_MEMBER_STABLE)) {
        bool eager = c->protocol == KS_PROTOCOL_EAGER;
        if (c->generation < 0)
            drop_assignment(sim, c); /* lost: nothing to commit */
        /* onJoinPrepare: auto-commit first, then (eager) revoke all. */
        if (c->commit == KS_COMMIT_AUTO && !c->join_prepared && c->assigned->len > 0 &&
            (c->join_prepared = true) && send_commit(sim, c, "before rebalance")) {
            c->app = KS_APP_COMMITTING;
            return;
        }
        if (eager)
            drop_assignment(sim, c);
        send_join(sim, c);
        if (eager)
            return;
    }
    if (c->mstate != KS_MEMBER_STABLE && c->protocol == KS_PROTOCOL_EAGER)
        return;
    if (c->commit == KS_COMMIT_AUTO && now_of(sim) >= c->next_auto_commit && !c->committing) {
        c->next_auto_commit = now_of(sim) + c->auto_commit_interval;
        send_commit(sim, c, NULL);
    }
    ks_consumer_seek_list(sim, c);
    int64_t n = take_records(c);
    ks_consumer_send_fetches(sim, c);
    if (n == 0)
        return;
    if (c->commit == KS_COMMIT_BEFORE && send_commit(sim, c, NULL)) {
        c->app = KS_APP_COMMITTING;
        return;
    }
    start_processing(sim, c);
}

static void app_fired(KsEngine *engine, void *ctx, uint64_t arg)
{
    KsConsumer *c = ctx;
    KsSim *sim = c->sim;
    if (!c->running || c->app != KS_APP_PROCESSING)
        return;
    if (c->commit_every > 0) {
        /* commit-every=: a chunk is done; commit what is processed when
         * the count is reached, then go on with the batch. */
        c->since_commit += ks_consumer_account(sim, c, c->chunk);
        bool due = c->since_commit >= c->commit_every;
        if (due)
            c->since_commit = 0;
        c->app = KS_APP_POLLING;
        if (due && c->commit == KS_COMMIT_SYNC && send_commit(sim, c, NULL)) {
            c->app = KS_APP_COMMITTING;
            return;
        }
        if (due && c->commit == KS_COMMIT_ASYNC)
            send_commit(sim, c, NULL);
        if (c->batch->len > 0)
            start_processing(sim, c);
        else
            ks_consumer_poll(sim, c);
        return;
    }
    account_batch(sim, c, true);
    c->app = KS_APP_POLLING;
    if (c->commit == KS_COMMIT_SYNC && send_commit(sim, c, NULL)) {
        c->app = KS_APP_COMMITTING;
        return;
    }
    if (c->commit == KS_COMMIT_ASYNC)
        send_commit(sim, c, NULL);
    ks_consumer_poll(sim, c);
}

/* ---- the heartbeat thread ---- */

static void hb_fired(KsEngine *engine, void *ctx, uint64_t arg)
{
    KsConsumer *c = ctx;
    KsSim *sim = c->sim;
    if (!c->running)
        return;
    ks_timer_arm(engine, &c->heartbeat, c->heartbeat_interval);
    if (c->coordinator && !c->coordinator->alive &&
        !ks_consumer_conn_believed_open(sim, c, c->coordinator, KS_LINK_COORDINATOR)) {
        /* Its connection was reset: the coordinator is unknown again. (One
         * cut off, or on a machine that is down, is still believed there
         * until a request times out: consumer-net.c.) */
        coordinator_lost(sim, c);
        ks_consumer_poll(sim, c);
        return;
    }
    if (c->coordinator && c->mstate != KS_MEMBER_UNJOINED && c->mstate != KS_MEMBER_JOINING &&
        now_of(sim) - c->last_heartbeat_ok > c->session_timeout) {
        /* No heartbeat answered for session.timeout.ms: the client marks
         * the coordinator unknown and disconnects from it. */
        ks_consumer_disconnect(sim, c, c->coordinator, KS_LINK_COORDINATOR, NULL, false, NULL);
        ks_consumer_poll(sim, c);
        return;
    }
    if (c->mstate != KS_MEMBER_STABLE || !c->coordinator)
        return;
    if (c->app != KS_APP_POLLING && now_of(sim) - c->last_poll > c->max_poll_interval &&
        !c->instance_id) {
        /* The poll timeout expired: leave the group; the next poll finds
         * the partitions lost and rejoins. */
        KsGroupMsg *m = ks_consumer_msg_new(c, KS_GREQ_LEAVE);
        m->reason = "max.poll.interval.ms";
        send_to(sim, c, c->coordinator, m);
        c->generation = -1;
        c->mstate = KS_MEMBER_UNJOINED;
        return;
    }
    send_to(sim, c, c->coordinator, ks_consumer_msg_new(c, KS_GREQ_HEARTBEAT));
}

/* ---- start, stop, crash ---- */

static KsTime resolve_ms(KsConsumer *c, const KsConfigSet *over, KsConfigKey key)
{
    const KsConfigSet *own = over && ks_config_set_has(over, key) ? over : c->plan->configs;
    return ks_config_resolve(key, own, c->sim->defaults);
}

void ks_consumer_start(KsSim *sim, KsConsumer *c, const KsPlanAction *a)
{
    if (c->running)
        return;
    const KsConfigSet *over = a ? a->configs : NULL;
    const char *group = a && a->group ? a->group : c->plan->group;
    GPtrArray *topics = a && a->topics ? a->topics : c->plan->topics;
    c->group = ks_group_get(sim, group);
    g_ptr_array_set_size(c->topic_names, 0);
    for (guint i = 0; i < topics->len; i++)
        g_ptr_array_add(c->topic_names, g_strdup(g_ptr_array_index(topics, i)));
    c->session_timeout = resolve_ms(c, over, KS_CFG_SESSION_TIMEOUT_MS);
    c->heartbeat_interval = resolve_ms(c, over, KS_CFG_HEARTBEAT_INTERVAL_MS);
    c->max_poll_interval = resolve_ms(c, over, KS_CFG_MAX_POLL_INTERVAL_MS);
    c->auto_commit_interval = resolve_ms(c, over, KS_CFG_AUTO_COMMIT_INTERVAL_MS);
    c->fetch_max_wait = resolve_ms(c, over, KS_CFG_FETCH_MAX_WAIT_MS);
    c->retry_backoff = resolve_ms(c, over, KS_CFG_RETRY_BACKOFF_MS);
    c->request_timeout = resolve_ms(c, over, KS_CFG_REQUEST_TIMEOUT_MS);
    c->connect_timeout = resolve_ms(c, over, KS_CFG_SOCKET_CONNECTION_SETUP_TIMEOUT_MS);
    ks_consumer_metadata_start(sim, c, resolve_ms(c, over, KS_CFG_METADATA_MAX_AGE_MS));
    c->processing = c->plan->processing;
    c->max_poll_records = resolve_ms(c, over, KS_CFG_MAX_POLL_RECORDS);
    int64_t min_bytes = resolve_ms(c, over, KS_CFG_FETCH_MIN_BYTES);
    int64_t part_bytes = resolve_ms(c, over, KS_CFG_MAX_PARTITION_FETCH_BYTES);
    c->fetch_min_records = (min_bytes + KS_DEFAULT_RECORD_SIZE - 1) / KS_DEFAULT_RECORD_SIZE;
    c->max_partition_records = MAX(1, part_bytes / KS_DEFAULT_RECORD_SIZE);
    c->from_offset = a && a->from_offset >= 0 ? a->from_offset : c->plan->from_offset;
    c->from_time = a && a->from_time >= 0 ? a->from_time : c->plan->from_time;
    if (a && a->from_offset >= 0)
        c->from_time = -1;
    if (a && a->from_time >= 0)
        c->from_offset = -1;
    c->offset_reset = (int)resolve_ms(c, over, KS_CFG_AUTO_OFFSET_RESET);
    const KsConfigSet *own_id =
        over && ks_config_set_has(over, KS_CFG_GROUP_INSTANCE_ID) ? over : c->plan->configs;
    g_free(c->instance_id);
    c->instance_id =
        g_strdup(ks_config_resolve_string(KS_CFG_GROUP_INSTANCE_ID, own_id, sim->defaults));
    /* commit=sync|async|before means enable.auto.commit=false; without it,
     * enable.auto.commit decides (false: a commitSync after each batch). */
    static const KsCommitMode modes[] = {KS_COMMIT_SYNC, KS_COMMIT_ASYNC, KS_COMMIT_BEFORE};
    if (c->plan->commit >= 0)
        c->commit = modes[c->plan->commit];
    else
        c->commit =
            resolve_ms(c, over, KS_CFG_ENABLE_AUTO_COMMIT) ? KS_COMMIT_AUTO : KS_COMMIT_SYNC;
    /* A new process is a new member (Kafka: client.id and a fresh UUID);
     * the first keeps the consumer's name. */
    c->incarnation++;
    g_free(c->member_id);
    c->member_id =
        c->incarnation == 1 ? g_strdup(c->name) : g_strdup_printf("%s-%d", c->name, c->incarnation);
    ks_group_member_protocols(c, over);
    c->commit_every = c->plan->commit_every;
    c->since_commit = 0;
    c->running = true;
    c->token++;
    c->coordinator = NULL;
    c->finding = false;
    c->mstate = KS_MEMBER_UNJOINED;
    c->generation = -1;
    c->rejoin_needed = false;
    c->committing = false;
    c->stopped_since = now_of(sim);
    g_array_set_size(c->assigned, 0);
    g_ptr_array_set_size(c->revoked, 0);
    g_array_set_size(c->batch, 0);
    c->app = KS_APP_POLLING;
    ks_net_endpoint_start(&c->ep);
    ks_consumer_conns_reset(c);
    emit_consumer(sim, c, KS_EV_CONSUMER_STARTED);
    ks_timer_arm(sim->engine, &c->heartbeat, c->heartbeat_interval);
    ks_consumer_poll(sim, c);
}

static void halt(KsSim *sim, KsConsumer *c)
{
    c->running = false;
    c->token++;
    ks_timer_cancel(sim->engine, &c->heartbeat);
    ks_timer_cancel(sim->engine, &c->app_timer);
    ks_consumer_fetch_reset(c);
    ks_fetch_sessions_end(c, false); /* the process forgets them */
    g_array_set_size(c->assigned, 0);
    c->mstate = KS_MEMBER_UNJOINED;
    c->generation = -1;
    ks_net_endpoint_stop(&c->ep);
}

/* close(): the batch being processed ends where it is; positions go back
 * to what was processed, are committed, and the member leaves. */
static void stop(KsSim *sim, KsConsumer *c)
{
    int64_t done = INT64_MAX;
    if (c->app == KS_APP_PROCESSING && c->processing > 0)
        done = (now_of(sim) - c->batch_start) / c->processing;
    /* commit-every= in the middle of a batch: what is left is unprocessed. */
    bool mid_batch = c->app == KS_APP_COMMITTING && c->commit_every > 0;
    if (mid_batch)
        done = 0;
    if (c->app == KS_APP_PROCESSING || c->app == KS_APP_COMMITTING)
        for (guint i = 0; i < c->batch->len; i++) {
            KsConsumerRange *r = &g_array_index(c->batch, KsConsumerRange, i);
            int64_t n = MIN(done, r->count);
            done -= n;
            KsConsumerPart *cp = ks_consumer_part(c, r->part);
            if (cp && c->commit != KS_COMMIT_BEFORE)
                cp->position = r->first + n;
        }
    if (mid_batch)
        g_array_set_size(c->batch, 0);
    account_batch(sim, c, c->app != KS_APP_PROCESSING);
    if (c->coordinator && c->mstate == KS_MEMBER_STABLE && c->generation >= 0) {
        if (c->commit != KS_COMMIT_BEFORE)
            send_commit(sim, c, "on close");
        /* A static member does not leave: its partitions wait for it until
         * its session times out. */
        if (!c->instance_id)
            send_to(sim, c, c->coordinator, ks_consumer_msg_new(c, KS_GREQ_LEAVE));
    }
    emit_consumer(sim, c, KS_EV_CONSUMER_STOPPED);
    ks_fetch_sessions_end(c, true);
    halt(sim, c);
}

static void crash(KsSim *sim, KsConsumer *c)
{
    if (c->app == KS_APP_PROCESSING)
        account_batch(sim, c, false);
    g_array_set_size(c->batch, 0);
    emit_consumer(sim, c, KS_EV_CONSUMER_CRASHED);
    halt(sim, c);
}

void ks_consumer_action_start(KsSim *sim, const KsPlanAction *a)
{
    KsConsumer *c = ks_consumer_find(sim, a->name);
    if (c->running) {
        ks_sim_note(sim, a->loc.line, "consumer %s is already running", c->name);
        return;
    }
    ks_consumer_start(sim, c, a);
}

/* The running consumer @a names; NULL, with a note, if it does not run. */
static KsConsumer *running(KsSim *sim, const KsPlanAction *a)
{
    KsConsumer *c = ks_consumer_find(sim, a->name);
    if (c->running)
        return c;
    ks_sim_note(sim, a->loc.line, "consumer %s is not running", c->name);
    return NULL;
}

void ks_consumer_action_stop(KsSim *sim, const KsPlanAction *a)
{
    KsConsumer *c = running(sim, a);
    if (c)
        stop(sim, c);
}

void ks_consumer_action_crash(KsSim *sim, const KsPlanAction *a)
{
    KsConsumer *c = running(sim, a);
    if (c)
        crash(sim, c);
}
