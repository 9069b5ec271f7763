/* SPDX-License-Identifier: MIT */
/*
 * assignor.c - Kafka's consumer partition assignors, as the classic group
 * protocol runs them on the group leader in Kafka 3.9 (the sources are in
 * clients/src/main/java/org/apache/kafka/clients/consumer/; the short
 * version is in tests/refs/assignors.md).
 *
 * Common ground (AbstractPartitionAssignor). The leader assigns only topics
 * that some member subscribes to and that its metadata has with at least one
 * partition; a subscription to a missing topic is silently ignored. Every
 * member gets an entry, maybe empty: with more consumers than partitions the
 * extra consumers sit idle. Where an assignor orders members it uses
 * MemberInfo.compareTo: members with a group.instance.id (static members)
 * first, by instance id, then the others by member id; strings compare as
 * Java's String.compareTo does, by UTF-16 code unit (byte order for ASCII).
 *
 * RangeAssignor ("range") works topic by topic. The members subscribed to
 * the topic, in MemberInfo order, take consecutive runs of its partitions:
 * with P partitions and C members each takes P / C and the first P % C take
 * one more. Topics are independent, so the first member of a group gets the
 * extra partition of every topic whose count C does not divide.
 *
 * RoundRobinAssignor ("roundrobin") puts all members in MemberInfo order on
 * a circle and deals the partitions of all subscribed topics, topics by
 * name and partitions in order, one at a time: the cursor skips members not
 * subscribed to the partition's topic, gives the partition to the member
 * under it and moves on; it is not reset between topics. With identical
 * subscriptions counts differ by at most one; with different ones they can
 * be far apart.
 *
 * StickyAssignor ("sticky") and CooperativeStickyAssignor
 * ("cooperative-sticky") share AbstractStickyAssignor (assignor-sticky.c):
 * balance first, then keep as many previously owned partitions as possible.
 * They differ in the protocol: sticky is EAGER (every member revokes
 * everything before rejoining; the previous assignment travels in the
 * subscription's user data), cooperative-sticky is COOPERATIVE (members keep
 * consuming and report ownedPartitions; a partition moving between two
 * members is withheld from its new owner in this rebalance, and handed over
 * in the follow-up rebalance that its old owner requests after revoking it).
 *
 * Kafka builds its maps as java.util.HashMap and, in the sticky assignors,
 * some of its choices follow their iteration order. That order is a function
 * of the keys (bucket = spread String.hashCode, then insertion order within a
 * bucket), so it is reproduced here exactly, from the member ids and the
 * order of the members passed in (JoinGroup order, as the leader's
 * ConsumerCoordinator inserts them). No GLib hash table is ever iterated.
 *
 * Not modelled: rack-aware assignment (KIP-881; range and both sticky
 * assignors use it in 3.9 only when consumers set client.rack, which the
 * simulator has no notion of, so 3.9 takes exactly the rack-unaware paths
 * implemented here); custom assignors; the KIP-848 broker-side assignors of
 * the new "consumer" group protocol. StickyAssignor's maxGeneration is kept
 * per call, not across the leader's lifetime.
 *
 * Workload: runs once per rebalance of a group, on the leader. range and
 * roundrobin are O(partitions + members log members). The uniform-
 * subscription sticky path is O((partitions + members) log partitions); the
 * general sticky path is Kafka's iterative rebalancing, roughly
 * O(partitions^2 * members) in the worst case, fine for the few hundred
 * partitions of a teaching scenario.
 */
#include "kafkasim/assignor.h"

#include <stdlib.h>
#include <string.h>

#include "sim/assignor-private.h"

struct KsAssignment {
    size_t n_members;
    const char **member_ids; /* borrowed from the caller */
    GArray **lists;          /* KsTopicPartition, per member */
    GArray *withheld;        /* Withheld */
};

typedef struct {
    KsTopicPartition tp;
    size_t member;
} Withheld;

bool ks_assignor_parse(const char *name, KsAssignorKind *out_kind)
{
    static const KsAssignorKind kinds[] = {KS_ASSIGNOR_RANGE, KS_ASSIGNOR_ROUNDROBIN,
                                           KS_ASSIGNOR_STICKY, KS_ASSIGNOR_COOPERATIVE_STICKY};
    g_return_val_if_fail(name != NULL && out_kind != NULL, false);
    for (size_t i = 0; i < G_N_ELEMENTS(kinds); i++) {
        if (strcmp(name, ks_assignor_name(kinds[i])) == 0) {
            *out_kind = kinds[i];
            return true;
        }
    }
    return false;
}

const char *ks_assignor_name(KsAssignorKind kind)
{
    switch (kind) {
    case KS_ASSIGNOR_RANGE:
        return "range";
    case KS_ASSIGNOR_ROUNDROBIN:
        return "roundrobin";
    case KS_ASSIGNOR_STICKY:
        return "sticky";
    case KS_ASSIGNOR_COOPERATIVE_STICKY:
        return "cooperative-sticky";
    }
    g_return_val_if_reached("range");
}

KsRebalanceProtocol ks_assignor_protocol(KsAssignorKind kind)
{
    return kind == KS_ASSIGNOR_COOPERATIVE_STICKY ? KS_PROTOCOL_COOPERATIVE : KS_PROTOCOL_EAGER;
}

/* ------------------------------------------------------- Java strings */

/* Java's String.compareTo: UTF-16 code units, unsigned. Code points above
 * the BMP become surrogates (0xd800..0xdfff), which sort below U+E000. */
static int java_compare(const char *a, const char *b)
{
    glong na = 0, nb = 0;
    g_autofree gunichar2 *ua = g_utf8_to_utf16(a, -1, NULL, &na, NULL);
    g_autofree gunichar2 *ub = g_utf8_to_utf16(b, -1, NULL, &nb, NULL);
    if (ua == NULL || ub == NULL)
        return strcmp(a, b); /* not UTF-8: bytes */
    for (glong i = 0; i < na && i < nb; i++) {
        if (ua[i] != ub[i])
            return ua[i] < ub[i] ? -1 : 1;
    }
    return (na > nb) - (na < nb);
}

/* Java's String.hashCode: h = 31 * h + unit over the UTF-16 code units,
 * wrapping at 32 bits. */
uint32_t ks_assignor_java_hash(const char *s)
{
    glong n = 0;
    g_autofree gunichar2 *u = g_utf8_to_utf16(s, -1, NULL, &n, NULL);
    uint32_t h = 0;
    if (u == NULL) {
        for (const unsigned char *p = (const unsigned char *)s; *p != '\0'; p++)
            h = 31u * h + *p;
        return h;
    }
    for (glong i = 0; i < n; i++)
        h = 31u * h + u[i];
    return h;
}

/* ------------------------------------------------------ the context */

static int compare_names(gconstpointer a, gconstpointer b, gpointer unused)
{
    (void)unused;
    return java_compare(*(const char *const *)a, *(const char *const *)b);
}

static int compare_strcmp(gconstpointer a, gconstpointer b)
{
    return strcmp(*(const char *const *)a, *(const char *const *)b);
}

static int compare_member_ids(gconstpointer a, gconstpointer b, gpointer data)
{
    const KsAssignorCtx *ctx = data;
    size_t x = *(const size_t *)a, y = *(const size_t *)b;
    return java_compare(ctx->members[x].member_id, ctx->members[y].member_id);
}

uint32_t ks_assignor_java_bucket(uint32_t hash, uint32_t capacity)
{
    return (hash ^ (hash >> 16)) & (capacity - 1);
}

uint32_t ks_assignor_java_grow(uint32_t capacity, size_t bin_before, size_t size_after)
{
    if (bin_before >= 8 && capacity < 64)
        capacity *= 2; /* treeifyBin resizes a small table instead */
    if (size_after > (size_t)capacity / 4 * 3)
        capacity *= 2;
    return capacity;
}

typedef struct {
    uint32_t bucket;
    size_t index;
} BucketEntry;

static int compare_bucket_entries(const void *a, const void *b)
{
    const BucketEntry *x = a, *y = b;
    if (x->bucket != y->bucket)
        return x->bucket < y->bucket ? -1 : 1;
    return (x->index > y->index) - (x->index < y->index);
}

/* The iteration order of a HashMap<String, ...> filled by put() with the
 * member ids in the given order, replayed put by put for the table size
 * (ks_assignor_java_grow), then: buckets in order, insertion order within a
 * bucket (resizing keeps it). A bucket of 9 or more colliding keys in a
 * table of 64 or more becomes a tree whose order is not modelled; member ids
 * never collide like that in practice. */
static void java_hash_order(KsAssignorCtx *ctx)
{
    size_t n = ctx->n_members;
    g_autofree uint32_t *hashes = g_new(uint32_t, n + 1);
    uint32_t capacity = 16;
    for (size_t m = 0; m < n; m++) {
        hashes[m] = ks_assignor_java_hash(ctx->members[m].member_id);
        uint32_t b = ks_assignor_java_bucket(hashes[m], capacity);
        size_t bin = 0;
        for (size_t k = 0; k < m; k++)
            bin += ks_assignor_java_bucket(hashes[k], capacity) == b;
        capacity = ks_assignor_java_grow(capacity, bin, m + 1);
    }
    g_autofree BucketEntry *entries = g_new(BucketEntry, n + 1);
    for (size_t m = 0; m < n; m++)
        entries[m] = (BucketEntry){ks_assignor_java_bucket(hashes[m], capacity), m};
    qsort(entries, n, sizeof *entries, compare_bucket_entries);
    for (size_t k = 0; k < n; k++)
        ctx->hash_order[k] = entries[k].index;
}

static void ctx_clear(KsAssignorCtx *ctx)
{
    for (size_t m = 0; m < ctx->n_members; m++) {
        g_array_unref(ctx->owned[m]);
        g_ptr_array_unref(ctx->sub_names[m]);
    }
    g_free(ctx->owned);
    g_free(ctx->sub_names);
    g_free(ctx->topic_name);
    g_free(ctx->topic_np);
    g_free(ctx->topic_base);
    g_free(ctx->part_topic);
    g_free(ctx->subscribed);
    g_free(ctx->n_member_topics);
    g_free(ctx->id_rank);
    g_free(ctx->hash_order);
}

/* Index of topic @name among the assignable topics, or -1 (a binary search:
 * the names are sorted in Java order). */
static ptrdiff_t find_topic(const KsAssignorCtx *ctx, const char *name)
{
    size_t lo = 0, hi = ctx->n_topics;
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        int c = java_compare(ctx->topic_name[mid], name);
        if (c == 0)
            return (ptrdiff_t)mid;
        if (c < 0)
            lo = mid + 1;
        else
            hi = mid;
    }
    return -1;
}

/* Builds the context: the assignable topics (AbstractPartitionAssignor's
 * partitionsPerTopic), each member's subscription over them, its owned
 * partitions as ids, and the member orders. */
static void ctx_init(KsAssignorCtx *ctx, const KsAssignorTopic *topics, size_t n_topics,
                     const KsAssignorMember *members, size_t n_members)
{
    memset(ctx, 0, sizeof *ctx);
    ctx->members = members;
    ctx->n_members = n_members;

    /* Every subscribed name, sorted and deduplicated per member. */
    ctx->sub_names = g_new0(GPtrArray *, n_members + 1);
    g_autoptr(GPtrArray) all_names = g_ptr_array_new();
    for (size_t m = 0; m < n_members; m++) {
        GPtrArray *names = g_ptr_array_new();
        for (size_t i = 0; i < members[m].n_topics; i++)
            g_ptr_array_add(names, (gpointer)members[m].topics[i]);
        g_ptr_array_sort(names, compare_strcmp);
        for (guint i = 1; i < names->len;) {
            if (strcmp(names->pdata[i], names->pdata[i - 1]) == 0)
                g_ptr_array_remove_index(names, i);
            else
                i++;
        }
        ctx->sub_names[m] = names;
        for (guint i = 0; i < names->len; i++)
            g_ptr_array_add(all_names, names->pdata[i]);
    }
    g_ptr_array_sort(all_names, compare_strcmp);

    /* Assignable: in the metadata with partitions, and subscribed. */
    ctx->topic_name = g_new0(const char *, n_topics + 1);
    g_autofree int32_t *np = g_new0(int32_t, n_topics + 1);
    for (size_t i = 0; i < n_topics; i++) {
        const char *name = topics[i].name;
        if (topics[i].n_partitions <= 0 || all_names->len == 0 ||
            bsearch(&name, all_names->pdata, all_names->len, sizeof(gpointer), compare_strcmp) ==
                NULL)
            continue;
        bool seen = false;
        for (size_t t = 0; t < ctx->n_topics && !seen; t++)
            seen = strcmp(ctx->topic_name[t], name) == 0;
        if (seen)
            continue; /* names are unique; the first wins */
        ctx->topic_name[ctx->n_topics] = name;
        np[ctx->n_topics++] = topics[i].n_partitions;
    }
    /* Sort names and counts together: sort indices by name. */
    g_autofree size_t *perm = g_new(size_t, ctx->n_topics + 1);
    g_autofree const char **sorted = g_new0(const char *, ctx->n_topics + 1);
    for (size_t t = 0; t < ctx->n_topics; t++)
        sorted[t] = ctx->topic_name[t];
    g_qsort_with_data(sorted, (gint)ctx->n_topics, sizeof *sorted, compare_names, NULL);
    for (size_t t = 0; t < ctx->n_topics; t++) {
        for (size_t u = 0; u < ctx->n_topics; u++) {
            if (ctx->topic_name[u] == sorted[t])
                perm[t] = u;
        }
    }
    ctx->topic_np = g_new0(int32_t, ctx->n_topics + 1);
    ctx->topic_base = g_new0(int32_t, ctx->n_topics + 1);
    for (size_t t = 0; t < ctx->n_topics; t++) {
        ctx->topic_np[t] = np[perm[t]];
        ctx->topic_base[t] = ctx->n_parts;
        ctx->n_parts += ctx->topic_np[t];
    }
    memcpy(ctx->topic_name, sorted, ctx->n_topics * sizeof *sorted);
    ctx->part_topic = g_new0(int32_t, (size_t)ctx->n_parts + 1);
    for (size_t t = 0; t < ctx->n_topics; t++) {
        for (int32_t p = 0; p < ctx->topic_np[t]; p++)
            ctx->part_topic[ctx->topic_base[t] + p] = (int32_t)t;
    }

    ctx->subscribed = g_new0(bool, n_members * ctx->n_topics + 1);
    ctx->n_member_topics = g_new0(size_t, n_members + 1);
    ctx->owned = g_new0(GArray *, n_members + 1);
    g_autofree bool *seen = g_new0(bool, (size_t)ctx->n_parts + 1);
    for (size_t m = 0; m < n_members; m++) {
        GPtrArray *names = ctx->sub_names[m];
        for (guint i = 0; i < names->len; i++) {
            ptrdiff_t t = find_topic(ctx, names->pdata[i]);
            if (t >= 0) {
                ctx->subscribed[m * ctx->n_topics + (size_t)t] = true;
                ctx->n_member_topics[m]++;
            }
        }
        /* Owned partitions of assignable topics only (Kafka filters on
         * partitionsPerTopic), each once. */
        ctx->owned[m] = g_array_new(FALSE, FALSE, sizeof(int32_t));
        for (size_t i = 0; i < members[m].n_owned; i++) {
            const KsTopicPartition *tp = &members[m].owned[i];
            ptrdiff_t t = tp->topic != NULL ? find_topic(ctx, tp->topic) : -1;
            if (t < 0 || tp->partition < 0 || tp->partition >= ctx->topic_np[t])
                continue;
            int32_t id = ctx->topic_base[t] + tp->partition;
            if (!seen[id]) {
                seen[id] = true;
                g_array_append_val(ctx->owned[m], id);
            }
        }
        for (guint i = 0; i < ctx->owned[m]->len; i++)
            seen[g_array_index(ctx->owned[m], int32_t, i)] = false;
    }

    g_autofree size_t *by_id = g_new(size_t, n_members + 1);
    for (size_t m = 0; m < n_members; m++)
        by_id[m] = m;
    g_qsort_with_data(by_id, (gint)n_members, sizeof *by_id, compare_member_ids, ctx);
    ctx->id_rank = g_new0(size_t, n_members + 1);
    for (size_t k = 0; k < n_members; k++)
        ctx->id_rank[by_id[k]] = k;
    ctx->hash_order = g_new0(size_t, n_members + 1);
    java_hash_order(ctx);
}

/* MemberInfo.compareTo: static members first, by group.instance.id, then
 * dynamic ones by member id. */
static int compare_member_info(gconstpointer a, gconstpointer b, gpointer data)
{
    const KsAssignorCtx *ctx = data;
    const KsAssignorMember *x = &ctx->members[*(const size_t *)a];
    const KsAssignorMember *y = &ctx->members[*(const size_t *)b];
    if (x->group_instance_id != NULL && y->group_instance_id != NULL)
        return java_compare(x->group_instance_id, y->group_instance_id);
    if (x->group_instance_id != NULL)
        return -1;
    if (y->group_instance_id != NULL)
        return 1;
    return java_compare(x->member_id, y->member_id);
}

/* The members in MemberInfo order (a stable sort, like Collections.sort). */
static size_t *members_in_info_order(const KsAssignorCtx *ctx)
{
    size_t *order = g_new(size_t, ctx->n_members + 1);
    for (size_t m = 0; m < ctx->n_members; m++)
        order[m] = m;
    g_qsort_with_data(order, (gint)ctx->n_members, sizeof *order, compare_member_info,
                      (gpointer)ctx);
    return order;
}

static bool subscribes(const KsAssignorCtx *ctx, size_t m, int32_t t)
{
    return ctx->subscribed[m * ctx->n_topics + (size_t)t];
}

/* ------------------------------------------------------------ range */

/* RangeAssignor.assignRanges without racks: per topic, the subscribers in
 * MemberInfo order each take up to P / C partitions, plus one while some of
 * the P % C extra ones remain. */
static void range_run(const KsAssignorCtx *ctx, int32_t *owner)
{
    g_autofree size_t *order = members_in_info_order(ctx);
    for (size_t t = 0; t < ctx->n_topics; t++) {
        int32_t n_consumers = 0;
        for (size_t k = 0; k < ctx->n_members; k++)
            n_consumers += subscribes(ctx, order[k], (int32_t)t);
        int32_t per_consumer = ctx->topic_np[t] / n_consumers;
        int32_t with_extra = ctx->topic_np[t] % n_consumers;
        int32_t next = 0;
        for (size_t k = 0; k < ctx->n_members && next < ctx->topic_np[t]; k++) {
            if (!subscribes(ctx, order[k], (int32_t)t))
                continue;
            int32_t take = per_consumer + (with_extra > 0 ? 1 : 0);
            if (take > per_consumer)
                with_extra--;
            for (int32_t i = 0; i < take; i++)
                owner[ctx->topic_base[t] + next++] = (int32_t)order[k];
        }
    }
}

/* ------------------------------------------------------- roundrobin */

/* RoundRobinAssignor.assign: a CircularIterator over the members in
 * MemberInfo order, never reset, dealing every partition in id order (topic
 * name, then partition). */
static void roundrobin_run(const KsAssignorCtx *ctx, int32_t *owner)
{
    if (ctx->n_members == 0)
        return;
    g_autofree size_t *order = members_in_info_order(ctx);
    size_t cursor = 0;
    for (int32_t id = 0; id < ctx->n_parts; id++) {
        int32_t t = ctx->part_topic[id];
        while (!subscribes(ctx, order[cursor], t))
            cursor = (cursor + 1) % ctx->n_members;
        owner[id] = (int32_t)order[cursor];
        cursor = (cursor + 1) % ctx->n_members;
    }
}

/* ------------------------------------------------------------- API */

static KsTopicPartition topic_partition(const KsAssignorCtx *ctx, int32_t id)
{
    int32_t t = ctx->part_topic[id];
    return (KsTopicPartition){ctx->topic_name[t], id - ctx->topic_base[t]};
}

KsAssignment *ks_assignor_assign(KsAssignorKind kind, const KsAssignorTopic *topics,
                                 size_t n_topics, const KsAssignorMember *members, size_t n_members)
{
    g_return_val_if_fail(topics != NULL || n_topics == 0, NULL);
    g_return_val_if_fail(members != NULL || n_members == 0, NULL);
    for (size_t m = 0; m < n_members; m++) {
        g_return_val_if_fail(members[m].member_id != NULL, NULL);
        g_return_val_if_fail(members[m].topics != NULL || members[m].n_topics == 0, NULL);
        g_return_val_if_fail(members[m].owned != NULL || members[m].n_owned == 0, NULL);
    }
    for (size_t t = 0; t < n_topics; t++)
        g_return_val_if_fail(topics[t].name != NULL, NULL);

    KsAssignorCtx ctx;
    ctx_init(&ctx, topics, n_topics, members, n_members);
    g_autofree int32_t *owner = g_new(int32_t, (size_t)ctx.n_parts + 1);
    g_autofree int32_t *withheld_to = g_new(int32_t, (size_t)ctx.n_parts + 1);
    for (int32_t id = 0; id < ctx.n_parts; id++)
        owner[id] = withheld_to[id] = -1;

    switch (kind) {
    case KS_ASSIGNOR_RANGE:
        range_run(&ctx, owner);
        break;
    case KS_ASSIGNOR_ROUNDROBIN:
        roundrobin_run(&ctx, owner);
        break;
    case KS_ASSIGNOR_STICKY:
    case KS_ASSIGNOR_COOPERATIVE_STICKY:
        if (n_members > 0)
            ks_assignor_sticky_run(&ctx, kind == KS_ASSIGNOR_COOPERATIVE_STICKY, owner,
                                   withheld_to);
        break;
    }

    KsAssignment *a = g_new0(KsAssignment, 1);
    a->n_members = n_members;
    a->member_ids = g_new0(const char *, n_members + 1);
    a->lists = g_new0(GArray *, n_members + 1);
    for (size_t m = 0; m < n_members; m++) {
        a->member_ids[m] = members[m].member_id;
        a->lists[m] = g_array_new(FALSE, FALSE, sizeof(KsTopicPartition));
    }
    a->withheld = g_array_new(FALSE, FALSE, sizeof(Withheld));
    /* Ids ascend in (topic, partition) order, so the lists come out sorted. */
    for (int32_t id = 0; id < ctx.n_parts; id++) {
        KsTopicPartition tp = topic_partition(&ctx, id);
        if (owner[id] >= 0)
            g_array_append_val(a->lists[owner[id]], tp);
        if (withheld_to[id] >= 0) {
            Withheld w = {tp, (size_t)withheld_to[id]};
            g_array_append_val(a->withheld, w);
        }
    }
    ctx_clear(&ctx);
    return a;
}

void ks_assignment_free(KsAssignment *a)
{
    if (a == NULL)
        return;
    for (size_t m = 0; m < a->n_members; m++)
        g_array_unref(a->lists[m]);
    g_free(a->lists);
    g_free(a->member_ids);
    g_array_unref(a->withheld);
    g_free(a);
}

size_t ks_assignment_n_members(const KsAssignment *a)
{
    g_return_val_if_fail(a != NULL, 0);
    return a->n_members;
}

const char *ks_assignment_member_id(const KsAssignment *a, size_t i)
{
    g_return_val_if_fail(a != NULL && i < a->n_members, NULL);
    return a->member_ids[i];
}

const KsTopicPartition *ks_assignment_partitions(const KsAssignment *a, size_t i, size_t *out_n)
{
    g_return_val_if_fail(a != NULL && i < a->n_members && out_n != NULL, NULL);
    *out_n = a->lists[i]->len;
    return a->lists[i]->len > 0 ? &g_array_index(a->lists[i], KsTopicPartition, 0) : NULL;
}

ptrdiff_t ks_assignment_find(const KsAssignment *a, const char *member_id)
{
    g_return_val_if_fail(a != NULL && member_id != NULL, -1);
    for (size_t m = 0; m < a->n_members; m++) {
        if (strcmp(a->member_ids[m], member_id) == 0)
            return (ptrdiff_t)m;
    }
    return -1;
}

size_t ks_assignment_n_withheld(const KsAssignment *a)
{
    g_return_val_if_fail(a != NULL, 0);
    return a->withheld->len;
}

KsTopicPartition ks_assignment_withheld(const KsAssignment *a, size_t i, size_t *out_member)
{
    const KsTopicPartition none = {NULL, -1};
    g_return_val_if_fail(a != NULL && i < a->withheld->len, none);
    const Withheld *w = &g_array_index(a->withheld, Withheld, i);
    if (out_member != NULL)
        *out_member = w->member;
    return w->tp;
}
