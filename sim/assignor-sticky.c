/* SPDX-License-Identifier: MIT */
/*
 * assignor-sticky.c - StickyAssignor and CooperativeStickyAssignor: Kafka
 * 3.9's AbstractStickyAssignor without racks (the essay in assignor.c says
 * why racks are not modelled).
 *
 * Previous ownership. Each member reports the partitions it owned and the
 * generation it owned them in. Members are visited in the order of Kafka's
 * subscriptions HashMap; a partition claimed by two members goes to the one
 * with the higher generation, and if both have the same generation neither
 * keeps it (it becomes a "partition with multiple previous owners").
 *
 * Uniform subscriptions (every member subscribes the same topics; Kafka's
 * check ignores members with an empty subscription that come before the
 * first non-empty one): ConstrainedAssignmentBuilder. With P partitions and
 * C members, minQuota = P / C, maxQuota = ceil(P / C), and exactly P % C
 * members end at maxQuota. Visiting members in HashMap order, each keeps its
 * owned partitions sorted by (partition number, topic): all of them if fewer
 * than minQuota; maxQuota if it has that many and members at maxQuota are
 * still wanted; otherwise minQuota. The rest are dealt in (topic, partition)
 * order round-robin to the members below minQuota (by member id), then one
 * each to members at minQuota that may still reach maxQuota. A member
 * joining therefore takes partitions only from members over the new quota,
 * and a member leaving frees only its own partitions.
 *
 * Different subscriptions: GeneralAssignmentBuilder. Keep every owned
 * partition the member still subscribes to; give each unassigned partition
 * (topics with fewer potential consumers first) to the eligible member with
 * the fewest partitions (then lowest member id); then move partitions from
 * members that have 2+ more than another eligible member, preferring to
 * give a partition back to its owner of an earlier generation, and using
 * PartitionMovements to undo a chain of moves rather than stack them; keep
 * the result only if the balance score (sum over member pairs of the count
 * difference) improved. Kafka's guarantee is the one
 * AbstractStickyAssignorTest.verifyValidityAndBalance checks: no member
 * with 2+ fewer partitions than another could take one of the other's.
 * One input makes Kafka's code throw a NullPointerException (in
 * performReassignments): a partition whose owner of an older generation is
 * a member that cannot take part in reassignment (it already has every
 * partition it could get, all of topics only it subscribes to). There the
 * leader's assignment fails in Kafka; here the give-it-back step is skipped
 * for that partition and balancing goes on.
 *
 * cooperative-sticky then withholds every partition that moves between two
 * members in this rebalance (CooperativeStickyAssignor.adjustAssignment):
 * the uniform path records them as it assigns (partitionsTransferringOwnership:
 * a partition some member owned and gave up, or that two members claimed,
 * given to another member); the general path compares the result with what
 * each member reported owning. The old owner revokes it and rejoins; in that
 * follow-up rebalance the partition is unowned and assigned normally.
 */
#include "sim/assignor-private.h"

#include <stdlib.h>
#include <string.h>

static void remove_value(GArray *a, int32_t value)
{
    for (guint i = 0; i < a->len; i++) {
        if (g_array_index(a, int32_t, i) == value) {
            g_array_remove_index(a, i);
            return;
        }
    }
}

static bool same_names(const GPtrArray *a, const GPtrArray *b)
{
    if (a->len != b->len)
        return false;
    for (guint i = 0; i < a->len; i++) {
        if (strcmp(a->pdata[i], b->pdata[i]) != 0)
            return false;
    }
    return true;
}

/* AbstractStickyAssignor.allSubscriptionsEqual: fills @current with each
 * member's valid owned partitions and @multi with the partitions two
 * members of one generation claimed; returns whether all subscriptions are
 * equal, and the highest generation in @out_max_generation. */
static bool validate_owned(const KsAssignorCtx *ctx, GArray **current, bool *multi,
                           int32_t *out_max_generation)
{
    bool all_equal = true;
    const GPtrArray *first = NULL;
    int32_t max_generation = KS_ASSIGNOR_NO_GENERATION;
    g_autofree int32_t *claim = g_new(int32_t, (size_t)ctx->n_parts + 1);
    for (int32_t id = 0; id < ctx->n_parts; id++)
        claim[id] = -1;

    for (size_t k = 0; k < ctx->n_members; k++) {
        size_t m = ctx->hash_order[k];
        const GPtrArray *names = ctx->sub_names[m];
        if (first == NULL || first->len == 0)
            first = names;
        else if (all_equal && !same_names(first, names))
            all_equal = false;

        int32_t gen = ctx->members[m].generation;
        max_generation = MAX(max_generation, gen);
        current[m] = g_array_new(FALSE, FALSE, sizeof(int32_t));
        for (guint i = 0; i < ctx->owned[m]->len; i++) {
            int32_t id = g_array_index(ctx->owned[m], int32_t, i);
            int32_t other = claim[id];
            if (other < 0) {
                g_array_append_val(current[m], id);
                claim[id] = (int32_t)m;
                continue;
            }
            int32_t other_gen = ctx->members[other].generation;
            if (gen == other_gen) {
                multi[id] = true;
                remove_value(current[other], id);
                claim[id] = (int32_t)m;
            } else if (gen > other_gen) {
                g_array_append_val(current[m], id);
                remove_value(current[other], id);
                claim[id] = (int32_t)m;
            }
        }
    }
    *out_max_generation = max_generation;
    return all_equal;
}

static int compare_rank(const void *a, const void *b, void *data)
{
    const KsAssignorCtx *ctx = data;
    size_t x = ctx->id_rank[*(const size_t *)a], y = ctx->id_rank[*(const size_t *)b];
    return (x > y) - (x < y);
}

/* Partition number first, then topic (ConstrainedAssignmentBuilder sorts
 * owned partitions this way before keeping the first ones). */
static int compare_partition_then_topic(const void *a, const void *b, void *data)
{
    const KsAssignorCtx *ctx = data;
    int32_t x = *(const int32_t *)a, y = *(const int32_t *)b;
    int32_t tx = ctx->part_topic[x], ty = ctx->part_topic[y];
    int32_t px = x - ctx->topic_base[tx], py = y - ctx->topic_base[ty];
    if (px != py)
        return px < py ? -1 : 1;
    return (tx > ty) - (tx < ty);
}

static void sort_members_by_id(const KsAssignorCtx *ctx, GArray *members)
{
    g_qsort_with_data(members->data, (gint)members->len, sizeof(size_t), compare_rank,
                      (gpointer)ctx);
}

/* ------------------------------------------------ uniform subscriptions */

typedef struct {
    const KsAssignorCtx *ctx;
    int32_t *owner;
    int32_t *transfer;      /* partitionsTransferringOwnership */
    int32_t *maybe_revoked; /* partition -> the member that gave it up */
    const bool *multi;
    size_t *count;
} Constrained;

/* ConstrainedAssignmentBuilder.assignNewPartition. */
static size_t assign_new(Constrained *c, int32_t id, size_t m)
{
    c->owner[id] = (int32_t)m;
    if ((c->maybe_revoked[id] >= 0 && c->maybe_revoked[id] != (int32_t)m) || c->multi[id])
        c->transfer[id] = (int32_t)m;
    return ++c->count[m];
}

static void constrained_run(const KsAssignorCtx *ctx, GArray **current, const bool *multi,
                            int32_t *owner, int32_t *transfer)
{
    size_t n = ctx->n_members, total = (size_t)ctx->n_parts;
    size_t min_quota = total / n, max_quota = (total + n - 1) / n;
    size_t expected_over = total % n, current_over = 0;
    g_autofree size_t *count = g_new0(size_t, n + 1);
    g_autofree int32_t *maybe_revoked = g_new(int32_t, total + 1);
    for (size_t id = 0; id < total; id++)
        maybe_revoked[id] = -1;
    Constrained c = {ctx, owner, transfer, maybe_revoked, multi, count};
    g_autoptr(GArray) under = g_array_new(FALSE, FALSE, sizeof(size_t));
    g_autoptr(GArray) exact = g_array_new(FALSE, FALSE, sizeof(size_t));

    /* assignOwnedPartitions */
    for (size_t k = 0; k < n; k++) {
        size_t m = ctx->hash_order[k];
        g_autoptr(GArray) owned = g_array_copy(current[m]);
        g_qsort_with_data(owned->data, (gint)owned->len, sizeof(int32_t),
                          compare_partition_then_topic, (gpointer)ctx);
        for (guint i = 0; i < owned->len;) {
            if (multi[g_array_index(owned, int32_t, i)])
                g_array_remove_index(owned, i);
            else
                i++;
        }
        size_t keep;
        if (owned->len < min_quota) {
            keep = owned->len;
            g_array_append_val(under, m);
        } else if (owned->len >= max_quota && current_over < expected_over) {
            keep = max_quota;
            if (++current_over == expected_over)
                g_array_set_size(exact, 0);
        } else {
            keep = min_quota;
            if (current_over < expected_over)
                g_array_append_val(exact, m);
        }
        for (guint i = 0; i < owned->len; i++) {
            int32_t id = g_array_index(owned, int32_t, i);
            if (i < keep) {
                owner[id] = (int32_t)m;
                count[m]++;
            } else {
                maybe_revoked[id] = (int32_t)m;
            }
        }
    }
    sort_members_by_id(ctx, under);
    sort_members_by_id(ctx, exact);

    /* assignRoundRobin, with Java's list iterator: `next` is the cursor. */
    guint next = 0;
    for (int32_t id = 0; id < ctx->n_parts; id++) {
        if (owner[id] >= 0)
            continue;
        size_t m = 0;
        bool from_under = true;
        if (next < under->len) {
            m = g_array_index(under, size_t, next++);
        } else if (under->len == 0 && exact->len == 0) {
            g_assert_not_reached(); /* Kafka: IllegalStateException */
        } else if (under->len == 0) {
            m = g_array_index(exact, size_t, 0);
            g_array_remove_index(exact, 0);
            from_under = false;
        } else {
            next = 0;
            m = g_array_index(under, size_t, next++);
        }
        size_t assigned = assign_new(&c, id, m);
        if (assigned == min_quota && from_under) {
            g_array_remove_index(under, --next);
            g_array_append_val(exact, m);
        } else if (assigned == max_quota) {
            current_over++;
        }
    }
}

/* ------------------------------------------------ general subscriptions */

/* One of PartitionMovements' sets: the partitions of @topic that moved from
 * @src to @dst, kept as the java.util.HashSet Kafka uses, because which one
 * iterator().next() returns depends on the table's capacity. */
typedef struct {
    int32_t topic, src, dst;
    uint32_t capacity;
    GArray *parts; /* int32_t ids, in insertion order */
} MoveSet;

typedef struct {
    const KsAssignorCtx *ctx;
    int32_t *owner;
    size_t *size;
    bool *in_set; /* member of sortedCurrentSubscriptions */
    size_t *max_size;
    size_t *n_potential; /* potential consumers per topic */
    int32_t *prev_owner, *prev_gen;
    int32_t *move_src, *move_dst;
    GPtrArray *moves; /* MoveSet */
} General;

static void move_set_free(gpointer p)
{
    MoveSet *s = p;
    g_array_unref(s->parts);
    g_free(s);
}

static MoveSet *find_move_set(const General *g, int32_t topic, int32_t src, int32_t dst)
{
    for (guint i = 0; i < g->moves->len; i++) {
        MoveSet *s = g->moves->pdata[i];
        if (s->topic == topic && s->src == src && s->dst == dst)
            return s;
    }
    return NULL;
}

/* TopicPartition.hashCode. */
static uint32_t partition_hash(const KsAssignorCtx *ctx, int32_t id)
{
    int32_t t = ctx->part_topic[id];
    uint32_t p = (uint32_t)(id - ctx->topic_base[t]);
    return 31u * (31u + p) + ks_assignor_java_hash(ctx->topic_name[t]);
}

static void add_movement(General *g, int32_t id, int32_t src, int32_t dst)
{
    g->move_src[id] = src;
    g->move_dst[id] = dst;
    int32_t topic = g->ctx->part_topic[id];
    MoveSet *s = find_move_set(g, topic, src, dst);
    if (s == NULL) {
        s = g_new0(MoveSet, 1);
        *s = (MoveSet){topic, src, dst, 16, g_array_new(FALSE, FALSE, sizeof(int32_t))};
        g_ptr_array_add(g->moves, s);
    }
    uint32_t b = ks_assignor_java_bucket(partition_hash(g->ctx, id), s->capacity);
    size_t bin = 0;
    for (guint i = 0; i < s->parts->len; i++)
        bin += ks_assignor_java_bucket(partition_hash(g->ctx, g_array_index(s->parts, int32_t, i)),
                                       s->capacity) == b;
    g_array_append_val(s->parts, id);
    s->capacity = ks_assignor_java_grow(s->capacity, bin, s->parts->len);
}

static void remove_movement(General *g, int32_t id)
{
    MoveSet *s = find_move_set(g, g->ctx->part_topic[id], g->move_src[id], g->move_dst[id]);
    g->move_src[id] = g->move_dst[id] = -1;
    remove_value(s->parts, id);
    if (s->parts->len == 0)
        g_ptr_array_remove(g->moves, s);
}

/* PartitionMovements.movePartition. */
static void record_move(General *g, int32_t id, int32_t old_owner, int32_t new_owner)
{
    if (g->move_src[id] < 0) {
        add_movement(g, id, old_owner, new_owner);
        return;
    }
    int32_t src = g->move_src[id];
    g_assert(g->move_dst[id] == old_owner);
    remove_movement(g, id);
    if (src != new_owner)
        add_movement(g, id, src, new_owner);
}

/* PartitionMovements.getTheActualPartitionToBeMoved: if partitions of the
 * topic already moved the other way, move one of those back instead (the
 * first in HashSet order), so moves cancel rather than pile up. */
static int32_t partition_to_move(const General *g, int32_t id, int32_t old_owner, int32_t new_owner)
{
    if (g->move_src[id] >= 0)
        old_owner = g->move_src[id];
    const MoveSet *s = find_move_set(g, g->ctx->part_topic[id], new_owner, old_owner);
    if (s == NULL)
        return id;
    int32_t best = -1;
    uint32_t best_bucket = UINT32_MAX;
    for (guint i = 0; i < s->parts->len; i++) {
        int32_t q = g_array_index(s->parts, int32_t, i);
        uint32_t b = ks_assignor_java_bucket(partition_hash(g->ctx, q), s->capacity);
        if (b < best_bucket) {
            best = q;
            best_bucket = b;
        }
    }
    return best;
}

/* The first member of sortedCurrentSubscriptions (fewest partitions, then
 * lowest member id) that subscribes to @topic, or -1. */
static int32_t first_eligible(const General *g, int32_t topic)
{
    const KsAssignorCtx *ctx = g->ctx;
    int32_t best = -1;
    for (size_t m = 0; m < ctx->n_members; m++) {
        if (!g->in_set[m] || !ctx->subscribed[m * ctx->n_topics + (size_t)topic])
            continue;
        if (best < 0 || g->size[m] < g->size[best] ||
            (g->size[m] == g->size[best] && ctx->id_rank[m] < ctx->id_rank[best]))
            best = (int32_t)m;
    }
    return best;
}

/* GeneralAssignmentBuilder.isBalanced. */
static bool is_balanced(const General *g)
{
    const KsAssignorCtx *ctx = g->ctx;
    size_t min = SIZE_MAX, max = 0;
    for (size_t m = 0; m < ctx->n_members; m++) {
        if (g->in_set[m]) {
            min = MIN(min, g->size[m]);
            max = MAX(max, g->size[m]);
        }
    }
    if (min == SIZE_MAX || min + 1 >= max)
        return true;
    for (size_t m = 0; m < ctx->n_members; m++) {
        if (!g->in_set[m] || g->size[m] == g->max_size[m])
            continue;
        for (size_t t = 0; t < ctx->n_topics; t++) {
            if (!ctx->subscribed[m * ctx->n_topics + t])
                continue;
            for (int32_t p = 0; p < ctx->topic_np[t]; p++) {
                int32_t other = g->owner[ctx->topic_base[t] + p];
                if (other != (int32_t)m && g->size[m] + 1 < g->size[other])
                    return false;
            }
        }
    }
    return true;
}

static int compare_sizes(const void *a, const void *b)
{
    size_t x = *(const size_t *)a, y = *(const size_t *)b;
    return (x > y) - (x < y);
}

/* getBalanceScore: the sum over pairs of members of |size difference|,
 * computed on the sorted sizes. */
static int64_t balance_score(const General *g)
{
    g_autofree size_t *sizes = g_new(size_t, g->ctx->n_members + 1);
    size_t n = 0;
    for (size_t m = 0; m < g->ctx->n_members; m++) {
        if (g->in_set[m])
            sizes[n++] = g->size[m];
    }
    qsort(sizes, n, sizeof *sizes, compare_sizes);
    int64_t score = 0;
    for (size_t i = 0; i < n; i++)
        score += (int64_t)sizes[i] * (2 * (int64_t)i - (int64_t)n + 1);
    return score;
}

/* reassignPartition(partition, newConsumer) and processPartitionMovement. */
static void reassign_to(General *g, int32_t id, int32_t new_owner)
{
    int32_t moved = partition_to_move(g, id, g->owner[id], new_owner);
    int32_t old_owner = g->owner[moved];
    record_move(g, moved, old_owner, new_owner);
    g->owner[moved] = new_owner;
    g->size[old_owner]--;
    g->size[new_owner]++;
}

/* performReassignments over the partition ids in @list. */
static bool perform_reassignments(General *g, const GArray *list)
{
    const KsAssignorCtx *ctx = g->ctx;
    bool performed = false, modified;
    do {
        modified = false;
        for (guint i = 0; i < list->len && !is_balanced(g); i++) {
            int32_t id = g_array_index(list, int32_t, i), topic = ctx->part_topic[id];
            int32_t owner = g->owner[id], prev = g->prev_owner[id];
            if (prev >= 0 && g->in_set[prev] && g->size[owner] > g->size[prev] + 1) {
                reassign_to(g, id, prev);
                performed = modified = true;
                continue;
            }
            for (size_t m = 0; m < ctx->n_members; m++) {
                if (ctx->subscribed[m * ctx->n_topics + (size_t)topic] &&
                    g->size[owner] > g->size[m] + 1) {
                    reassign_to(g, id, first_eligible(g, topic));
                    performed = modified = true;
                    break;
                }
            }
        }
    } while (modified);
    return performed;
}

/* The comparison of sortedAllPartitions: topics with fewer potential
 * consumers first, then by name (the topic index), then partition. */
static int compare_by_potential(const void *a, const void *b, void *data)
{
    const General *g = data;
    int32_t x = *(const int32_t *)a, y = *(const int32_t *)b;
    int32_t tx = g->ctx->part_topic[x], ty = g->ctx->part_topic[y];
    if (g->n_potential[tx] != g->n_potential[ty])
        return g->n_potential[tx] < g->n_potential[ty] ? -1 : 1;
    return (x > y) - (x < y);
}

/* Drops from @list the partitions of topics with fewer than two potential
 * consumers (they cannot move). */
static void drop_fixed(const General *g, GArray *list)
{
    for (guint i = 0; i < list->len;) {
        if (g->n_potential[g->ctx->part_topic[g_array_index(list, int32_t, i)]] < 2)
            g_array_remove_index(list, i);
        else
            i++;
    }
}

static bool can_member_move(const General *g, size_t m)
{
    if (g->size[m] < g->max_size[m])
        return true;
    for (int32_t id = 0; id < g->ctx->n_parts; id++) {
        if (g->owner[id] == (int32_t)m && g->n_potential[g->ctx->part_topic[id]] >= 2)
            return true;
    }
    return false;
}

static void general_run(const KsAssignorCtx *ctx, GArray **current, int32_t max_generation,
                        int32_t *owner)
{
    size_t n = ctx->n_members, parts = (size_t)ctx->n_parts;
    if (parts == 0)
        return;
    g_autofree size_t *size = g_new0(size_t, n + 1);
    g_autofree bool *in_set = g_new0(bool, n + 1);
    g_autofree size_t *max_size = g_new0(size_t, n + 1);
    g_autofree size_t *n_potential = g_new0(size_t, ctx->n_topics + 1);
    g_autofree int32_t *prev_owner = g_new(int32_t, parts + 1);
    g_autofree int32_t *prev_gen = g_new(int32_t, parts + 1);
    g_autofree int32_t *move_src = g_new(int32_t, parts + 1);
    g_autofree int32_t *move_dst = g_new(int32_t, parts + 1);
    g_autoptr(GPtrArray) moves = g_ptr_array_new_with_free_func(move_set_free);
    General g = {ctx,        owner,    size,     in_set,   max_size, n_potential,
                 prev_owner, prev_gen, move_src, move_dst, moves};
    for (size_t id = 0; id < parts; id++)
        prev_owner[id] = prev_gen[id] = move_src[id] = move_dst[id] = -1;
    for (size_t m = 0; m < n; m++) {
        for (size_t t = 0; t < ctx->n_topics; t++) {
            if (ctx->subscribed[m * ctx->n_topics + t]) {
                n_potential[t]++;
                max_size[m] += (size_t)ctx->topic_np[t];
            }
        }
    }

    /* prepopulateCurrentAssignments: partitions of members from an older
     * generation remember that owner, the newest such generation winning. */
    for (size_t k = 0; k < n; k++) {
        size_t m = ctx->hash_order[k];
        int32_t gen = ctx->members[m].generation;
        if (gen >= max_generation)
            continue;
        for (guint i = 0; i < ctx->owned[m]->len; i++) {
            int32_t id = g_array_index(ctx->owned[m], int32_t, i);
            if (prev_owner[id] < 0 || gen > prev_gen[id]) {
                prev_owner[id] = (int32_t)m;
                prev_gen[id] = gen;
            }
        }
    }

    /* assignOwnedPartitions: keep what the member still subscribes to. */
    bool revocation_required = false;
    for (size_t m = 0; m < n; m++) {
        for (guint i = 0; i < current[m]->len; i++) {
            int32_t id = g_array_index(current[m], int32_t, i);
            if (ctx->subscribed[m * ctx->n_topics + (size_t)ctx->part_topic[id]]) {
                owner[id] = (int32_t)m;
                size[m]++;
            } else {
                revocation_required = true;
            }
        }
        in_set[m] = true;
    }

    g_autoptr(GArray) all = g_array_new(FALSE, FALSE, sizeof(int32_t));
    for (int32_t id = 0; id < ctx->n_parts; id++)
        g_array_append_val(all, id);
    g_qsort_with_data(all->data, (gint)all->len, sizeof(int32_t), compare_by_potential, &g);
    g_autoptr(GArray) unassigned = g_array_new(FALSE, FALSE, sizeof(int32_t));
    for (guint i = 0; i < all->len; i++) {
        if (owner[g_array_index(all, int32_t, i)] < 0)
            g_array_append_val(unassigned, g_array_index(all, int32_t, i));
    }

    /* balance() */
    bool initializing = true;
    for (size_t m = 0; m < n; m++)
        initializing = initializing && size[m] == 0;
    for (guint i = 0; i < unassigned->len; i++) {
        int32_t id = g_array_index(unassigned, int32_t, i);
        int32_t m = first_eligible(&g, ctx->part_topic[id]);
        owner[id] = m;
        size[m]++;
    }
    drop_fixed(&g, all);
    drop_fixed(&g, unassigned);
    for (size_t m = 0; m < n; m++)
        in_set[m] = can_member_move(&g, m);

    g_autofree int32_t *saved_owner = g_memdup2(owner, parts * sizeof *owner);
    g_autofree size_t *saved_size = g_memdup2(size, n * sizeof *size);
    int64_t score_before = balance_score(&g);
    if (!revocation_required)
        perform_reassignments(&g, unassigned);
    bool performed = perform_reassignments(&g, all);
    if (!initializing && performed && balance_score(&g) >= score_before) {
        memcpy(owner, saved_owner, parts * sizeof *owner);
        memcpy(size, saved_size, n * sizeof *size);
    }
}

/* CooperativeStickyAssignor.computePartitionsTransferringOwnership: a
 * partition added to one member that another member reported owning and
 * lost. */
static void compute_transfers(const KsAssignorCtx *ctx, const int32_t *owner, int32_t *transfer)
{
    g_autofree bool *revoked = g_new0(bool, (size_t)ctx->n_parts + 1);
    for (size_t m = 0; m < ctx->n_members; m++) {
        for (guint i = 0; i < ctx->owned[m]->len; i++) {
            int32_t id = g_array_index(ctx->owned[m], int32_t, i);
            if (owner[id] != (int32_t)m)
                revoked[id] = true;
        }
    }
    g_autofree bool *owned_by_owner = g_new0(bool, (size_t)ctx->n_parts + 1);
    for (size_t m = 0; m < ctx->n_members; m++) {
        for (guint i = 0; i < ctx->owned[m]->len; i++) {
            int32_t id = g_array_index(ctx->owned[m], int32_t, i);
            owned_by_owner[id] = owned_by_owner[id] || owner[id] == (int32_t)m;
        }
    }
    for (int32_t id = 0; id < ctx->n_parts; id++) {
        if (owner[id] >= 0 && revoked[id] && !owned_by_owner[id])
            transfer[id] = owner[id];
    }
}

void ks_assignor_sticky_run(const KsAssignorCtx *ctx, bool cooperative, int32_t *owner,
                            int32_t *withheld_to)
{
    g_autofree GArray **current = g_new0(GArray *, ctx->n_members + 1);
    g_autofree bool *multi = g_new0(bool, (size_t)ctx->n_parts + 1);
    g_autofree int32_t *transfer = g_new(int32_t, (size_t)ctx->n_parts + 1);
    for (int32_t id = 0; id < ctx->n_parts; id++)
        transfer[id] = -1;
    int32_t max_generation;
    if (validate_owned(ctx, current, multi, &max_generation)) {
        constrained_run(ctx, current, multi, owner, transfer);
    } else {
        general_run(ctx, current, max_generation, owner);
        if (cooperative)
            compute_transfers(ctx, owner, transfer);
    }
    for (size_t m = 0; m < ctx->n_members; m++)
        g_array_unref(current[m]);
    if (!cooperative)
        return;
    for (int32_t id = 0; id < ctx->n_parts; id++) {
        if (transfer[id] >= 0 && owner[id] == transfer[id]) {
            owner[id] = -1;
            withheld_to[id] = transfer[id];
        }
    }
}
