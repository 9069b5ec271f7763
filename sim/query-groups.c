/* SPDX-License-Identifier: MIT */
/*
 * query-groups.c - the read-only group and consumer queries of
 * kafkasim/query-groups.h, over the coordinator's groups (group.c), the
 * clients (consumer.c) and the ledger (ledger-groups.c).
 *
 * Groups are created on first use (a consumer starting), so a group a
 * scenario declares but nobody uses yet is listed only once a consumer of
 * it has started; before that it does not exist for the coordinator
 * either, as in Kafka.
 */
#include "kafkasim/query-groups.h"

#include <string.h>

#include "consumer-private.h"

size_t ks_query_n_groups(const KsSim *sim)
{
    g_return_val_if_fail(sim != NULL, 0);
    return sim->groups->len;
}

static const KsGroup *group_at(const KsSim *sim, size_t index)
{
    return g_ptr_array_index(sim->groups, index);
}

void ks_query_group(const KsSim *sim, size_t index, KsGroupInfo *out)
{
    g_return_if_fail(sim != NULL && out != NULL && index < sim->groups->len);
    const KsGroup *g = group_at(sim, index);
    KsBroker *coord = ks_group_coordinator(sim, g);
    *out = (KsGroupInfo){
        .name = g->name,
        .state = ks_group_state_name(g->state),
        .generation = g->generation,
        .protocol = g->generation > 0 ? ks_assignor_name(g->assignor) : "",
        .rebalance_protocol = g->protocol == KS_PROTOCOL_COOPERATIVE ? "cooperative" : "eager",
        .coordinator = coord ? coord->id : KS_NO_BROKER,
        .offsets_partition = g->offsets_partition,
        .n_members = g->members->len,
        .rebalances = g->rebalances,
        .records_consumed = ks_ledger_group_consumed(g),
        .records_duplicated = ks_ledger_group_duplicated(g),
        .records_skipped = ks_ledger_group_skipped(sim, g),
    };
}

bool ks_query_find_group(const KsSim *sim, const char *name, size_t *out_index)
{
    g_return_val_if_fail(sim != NULL && name != NULL, false);
    for (guint i = 0; i < sim->groups->len; i++)
        if (strcmp(group_at(sim, i)->name, name) == 0) {
            if (out_index)
                *out_index = i;
            return true;
        }
    return false;
}

static gint cmp_member(gconstpointer a, gconstpointer b)
{
    return strcmp(((const KsMemberInfo *)a)->id, ((const KsMemberInfo *)b)->id);
}

GArray *ks_query_group_members(const KsSim *sim, size_t group)
{
    GArray *out = g_array_new(FALSE, TRUE, sizeof(KsMemberInfo));
    g_return_val_if_fail(sim != NULL && group < sim->groups->len, out);
    const KsGroup *g = group_at(sim, group);
    for (guint i = 0; i < g->members->len; i++) {
        const KsGroupMember *m = g_ptr_array_index(g->members, i);
        KsMemberInfo mi = {
            .id = m->member_id,
            .client_id = m->consumer->name,
            .host = m->consumer->host,
            .instance_id = m->consumer->instance_id,
            .leader = m == g->leader,
            .n_assigned = g->state == KS_GROUP_STABLE ? m->assignment->len : 0,
        };
        g_array_append_val(out, mi);
    }
    g_array_sort(out, cmp_member);
    return out;
}

/* What the rows of @g read per partition, gathered in one pass over its
 * members' assignments and one over its commits, so a query costs
 * O(partitions + assignments + commits), not their product: the member
 * whose assignment holds a partition (the last one, if two did), the
 * newest visible commit still in the offsets log (ks_group_committed), and
 * whether any commit names it. */
typedef struct {
    GHashTable *owner;     /* KsPartition* -> KsGroupMember* (stable groups only) */
    GHashTable *committed; /* KsPartition* -> KsCommitRecord* */
    GHashTable *named;     /* KsPartition* set: named by a commit */
} GroupIndex;

static void group_index_init(GroupIndex *ix, const KsSim *sim, const KsGroup *g)
{
    ix->owner = g_hash_table_new(g_direct_hash, g_direct_equal);
    ix->committed = g_hash_table_new(g_direct_hash, g_direct_equal);
    ix->named = g_hash_table_new(g_direct_hash, g_direct_equal);
    for (guint i = 0; g->state == KS_GROUP_STABLE && i < g->members->len; i++) {
        KsGroupMember *m = g_ptr_array_index(g->members, i);
        for (guint k = 0; k < m->assignment->len; k++)
            g_hash_table_insert(ix->owner, g_ptr_array_index(m->assignment, k), m);
    }
    KsPartition *op = ks_group_offsets_part(sim, g);
    for (guint i = g->commits->len; i-- > 0;) {
        KsCommitRecord *r = &g_array_index(g->commits, KsCommitRecord, i);
        g_hash_table_add(ix->named, r->part);
        if (r->visible && !g_hash_table_contains(ix->committed, r->part) &&
            ks_group_record_present(op, r))
            g_hash_table_insert(ix->committed, r->part, r);
    }
}

static void group_index_clear(GroupIndex *ix)
{
    g_hash_table_destroy(ix->owner);
    g_hash_table_destroy(ix->committed);
    g_hash_table_destroy(ix->named);
}

/* The row of @part for @g. */
static KsGroupOffsetInfo offset_row(const GroupIndex *ix, const KsPartition *part)
{
    KsGroupOffsetInfo r = {.topic = part->topic->name, .partition = part->index};
    const KsCommitRecord *c = g_hash_table_lookup(ix->committed, part);
    r.committed = c ? c->offset : -1;
    const KsReplica *lr = part->leader_replica;
    r.log_end_offset = lr ? lr->hw : -1;
    r.lag = r.committed >= 0 && r.log_end_offset >= 0 ? r.log_end_offset - r.committed : -1;
    r.position = -1;
    const KsGroupMember *m = g_hash_table_lookup(ix->owner, part);
    if (m) {
        r.owner = m->member_id;
        const KsConsumerPart *cp = ks_consumer_part(m->consumer, part);
        if (m->consumer->running && cp && ks_group_member_is(m, m->consumer))
            r.position = cp->position;
    }
    return r;
}

static gint cmp_row(gconstpointer a, gconstpointer b)
{
    const KsGroupOffsetInfo *x = a, *y = b;
    int c = strcmp(x->topic, y->topic);
    return c ? c : (x->partition > y->partition) - (x->partition < y->partition);
}

GArray *ks_query_member_assignment(const KsSim *sim, size_t group, const char *member)
{
    GArray *out = g_array_new(FALSE, TRUE, sizeof(KsGroupOffsetInfo));
    g_return_val_if_fail(sim != NULL && group < sim->groups->len && member != NULL, out);
    const KsGroup *g = group_at(sim, group);
    if (g->state != KS_GROUP_STABLE)
        return out;
    GroupIndex ix;
    group_index_init(&ix, sim, g);
    for (guint i = 0; i < g->members->len; i++) {
        const KsGroupMember *m = g_ptr_array_index(g->members, i);
        if (strcmp(m->consumer->name, member) != 0 || !ks_group_member_is(m, m->consumer))
            continue;
        for (guint k = 0; k < m->assignment->len; k++) {
            KsGroupOffsetInfo r = offset_row(&ix, g_ptr_array_index(m->assignment, k));
            g_array_append_val(out, r);
        }
    }
    group_index_clear(&ix);
    g_array_sort(out, cmp_row);
    return out;
}

/* Whether a member of @g subscribes to @topic. */
static bool subscribed(const KsGroup *g, const char *topic)
{
    for (guint i = 0; i < g->members->len; i++) {
        const KsConsumer *c = ((const KsGroupMember *)g_ptr_array_index(g->members, i))->consumer;
        for (guint k = 0; k < c->topic_names->len; k++)
            if (strcmp(g_ptr_array_index(c->topic_names, k), topic) == 0)
                return true;
    }
    return false;
}

GArray *ks_query_group_offsets(const KsSim *sim, size_t group)
{
    GArray *out = g_array_new(FALSE, TRUE, sizeof(KsGroupOffsetInfo));
    g_return_val_if_fail(sim != NULL && group < sim->groups->len, out);
    const KsGroup *g = group_at(sim, group);
    g_autoptr(GPtrArray) topics = ks_sim_sorted_topics(sim);
    GroupIndex ix;
    group_index_init(&ix, sim, g);
    for (guint i = 0; i < topics->len; i++) {
        const KsTopic *t = g_ptr_array_index(topics, i);
        if (t == sim->offsets_topic)
            continue;
        bool sub = subscribed(g, t->name);
        for (int32_t p = 0; p < t->n_partitions; p++) {
            const KsPartition *part = t->partitions[p];
            if (!sub && !g_hash_table_contains(ix.named, part))
                continue;
            KsGroupOffsetInfo r = offset_row(&ix, part);
            g_array_append_val(out, r);
        }
    }
    group_index_clear(&ix);
    return out;
}

size_t ks_query_n_consumers(const KsSim *sim)
{
    g_return_val_if_fail(sim != NULL, 0);
    return sim->consumers->len;
}

/* Running, a member of its group's current generation, and given nothing. */
static bool idle(const KsConsumer *c)
{
    if (!c->running || !c->group || c->group->state != KS_GROUP_STABLE ||
        c->generation != c->group->generation)
        return false;
    for (guint i = 0; i < c->group->members->len; i++) {
        const KsGroupMember *m = g_ptr_array_index(c->group->members, i);
        if (ks_group_member_is(m, c))
            return m->assignment->len == 0;
    }
    return false;
}

static void consumer_info(const KsConsumer *c, KsConsumerInfo *out)
{
    *out = (KsConsumerInfo){
        .name = c->name,
        .group = c->group ? c->group->name : c->plan->group,
        .node = c->node ? c->node->name : NULL,
        .running = c->running,
        .idle = idle(c),
        .records_consumed = c->records_consumed,
    };
}

void ks_query_consumer(const KsSim *sim, size_t index, KsConsumerInfo *out)
{
    g_return_if_fail(sim != NULL && out != NULL && index < sim->consumers->len);
    consumer_info(g_ptr_array_index(sim->consumers, index), out);
}

bool ks_query_find_consumer(const KsSim *sim, const char *name, KsConsumerInfo *out)
{
    g_return_val_if_fail(sim != NULL && name != NULL, false);
    const KsConsumer *c = ks_consumer_find(sim, name);
    if (!c)
        return false;
    if (out)
        consumer_info(c, out);
    return true;
}
