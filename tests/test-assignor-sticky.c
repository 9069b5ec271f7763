/* SPDX-License-Identifier: MIT */
/*
 * test-assignor-sticky.c - the sticky assignors' properties and Kafka's
 * edge cases.
 *
 * Property tests over random membership changes: balance, and exactly the
 * minimum number of moved partitions; and the cooperative two-step (a moved
 * partition is withheld, then handed over). Then Kafka's edge cases (stale
 * generations, double claims, Java's HashMap order, idle extra members) and
 * the assignors' names and protocols. test-assignor.c checks the reference
 * cases and range and roundrobin against naive versions.
 */
#include "ks-assignor-test.h"

#include <string.h>

/* ------------------------------------------------- sticky properties */

/* Owner of every partition in @a, by (topic index in @g, partition):
 * member index, or -1. */
static int32_t *owners_of(const Group *g, const KsAssignment *a, size_t *out_total)
{
    size_t total = 0;
    for (guint t = 0; t < g->topics->len; t++)
        total += (size_t)g_array_index(g->topics, KsAssignorTopic, t).n_partitions;
    int32_t *owner = g_new(int32_t, total + 1);
    for (size_t i = 0; i < total; i++)
        owner[i] = -1;
    for (size_t m = 0; m < ks_assignment_n_members(a); m++) {
        size_t n = 0;
        const KsTopicPartition *tps = ks_assignment_partitions(a, m, &n);
        for (size_t k = 0; k < n; k++) {
            size_t base = 0;
            for (guint t = 0; t < g->topics->len; t++) {
                const KsAssignorTopic *x = &g_array_index(g->topics, KsAssignorTopic, t);
                if (strcmp(x->name, tps[k].topic) == 0)
                    break;
                base += (size_t)x->n_partitions;
            }
            size_t id = base + (size_t)tps[k].partition;
            if (owner[id] >= 0)
                fail_msg("%s-%d assigned to two members", tps[k].topic, tps[k].partition);
            owner[id] = (int32_t)m;
        }
    }
    *out_total = total;
    return owner;
}

/* Identical subscriptions: every partition assigned, counts within one. */
static void check_uniform_balance(const Group *g, const KsAssignment *a)
{
    size_t total = 0, min = SIZE_MAX, max = 0;
    g_autofree int32_t *owner = owners_of(g, a, &total);
    for (size_t i = 0; i < total; i++) {
        if (owner[i] < 0) {
            g_autofree char *desc = describe_group(g);
            fail_msg("partition %zu unassigned\n  %s", i, desc);
        }
    }
    for (size_t m = 0; m < ks_assignment_n_members(a); m++) {
        min = MIN(min, count_of(a, m));
        max = MAX(max, count_of(a, m));
    }
    if (max > min + 1)
        fail_msg("unbalanced: %zu to %zu partitions per member", min, max);
}

/* The fewest partitions that must leave the surviving members (owning
 * @counts, n_survivors of them) for a balanced assignment of @total
 * partitions over @n_members: give the larger quota to the members that
 * own the most. */
static size_t minimum_moves(size_t *counts, size_t n_survivors, size_t total, size_t n_members)
{
    size_t min_quota = total / n_members, n_max = total % n_members, moves = 0;
    for (size_t i = 1; i < n_survivors; i++) {
        for (size_t j = i; j > 0 && counts[j] > counts[j - 1]; j--) {
            size_t tmp = counts[j];
            counts[j] = counts[j - 1];
            counts[j - 1] = tmp;
        }
    }
    for (size_t i = 0; i < n_survivors; i++) {
        size_t quota = min_quota + (i < n_max ? 1 : 0);
        moves += counts[i] > quota ? counts[i] - quota : 0;
    }
    return moves;
}

/* The group after a membership change: @prev's members minus those whose
 * @leaving flag is set, each owning what @a gave it in @generation, plus
 * @n_joining new members. */
static Group *change_members(const Group *prev, const KsAssignment *a, const bool *leaving,
                             size_t n_joining, int *next_id, int32_t generation)
{
    g_autoptr(Group) owned = next_generation(prev, a, generation);
    Group *g = group_new();
    for (guint t = 0; t < prev->topics->len; t++) {
        const KsAssignorTopic *x = &g_array_index(prev->topics, KsAssignorTopic, t);
        group_add_topic(g, x->name, x->n_partitions);
    }
    const KsAssignorMember *first = &g_array_index(prev->members, KsAssignorMember, 0);
    for (guint i = 0; i < owned->members->len; i++) {
        if (leaving[i])
            continue;
        const KsAssignorMember *m = &g_array_index(owned->members, KsAssignorMember, i);
        KsAssignorMember *copy = group_add_member(g, m->member_id, NULL, m->topics);
        member_set_owned(g, copy, m->owned, m->n_owned, m->generation);
    }
    for (size_t k = 0; k < n_joining; k++) {
        g_autofree char *id = g_strdup_printf("consumer-%d", (*next_id)++);
        group_add_member(g, id, NULL, first->topics);
    }
    return g;
}

/* The partitions a member of @g kept across @a: what it reported owning and
 * still has. */
static size_t count_moved(const Group *g, const KsAssignment *a)
{
    size_t moved = 0;
    for (guint i = 0; i < g->members->len; i++) {
        const KsAssignorMember *m = &g_array_index(g->members, KsAssignorMember, i);
        for (size_t k = 0; k < m->n_owned; k++)
            moved += !has_partition(a, i, m->owned[k].topic, m->owned[k].partition);
    }
    return moved;
}

/* cooperative-sticky, first rebalance: nothing a member reported owning is
 * given to another member (it is withheld instead); then the follow-up
 * rebalance hands the withheld partitions over without taking anything
 * away, balanced. */
static void check_cooperative_two_steps(const Group *g, int32_t generation, bool uniform)
{
    g_autoptr(KsAssignment) first = group_assign(g, KS_ASSIGNOR_COOPERATIVE_STICKY);
    for (guint i = 0; i < g->members->len; i++) {
        const KsAssignorMember *m = &g_array_index(g->members, KsAssignorMember, i);
        for (size_t k = 0; k < m->n_owned; k++) {
            for (size_t j = 0; j < ks_assignment_n_members(first); j++) {
                if (j != i && has_partition(first, j, m->owned[k].topic, m->owned[k].partition))
                    fail_msg("%s-%d moves from %s to %s in one rebalance", m->owned[k].topic,
                             m->owned[k].partition, m->member_id,
                             ks_assignment_member_id(first, j));
            }
        }
    }
    for (size_t w = 0; w < ks_assignment_n_withheld(first); w++) {
        size_t to = 0;
        KsTopicPartition tp = ks_assignment_withheld(first, w, &to);
        bool was_owned = false;
        for (guint i = 0; i < g->members->len; i++) {
            const KsAssignorMember *m = &g_array_index(g->members, KsAssignorMember, i);
            for (size_t k = 0; k < m->n_owned; k++)
                was_owned = was_owned || (strcmp(m->owned[k].topic, tp.topic) == 0 &&
                                          m->owned[k].partition == tp.partition && i != to);
        }
        assert_true(was_owned);
    }
    g_autoptr(Group) again = next_generation(g, first, generation + 1);
    g_autoptr(KsAssignment) second = group_assign(again, KS_ASSIGNOR_COOPERATIVE_STICKY);
    if (!uniform)
        return;
    ks_assert_i64_eq(ks_assignment_n_withheld(second), 0);
    ks_assert_i64_eq(count_moved(again, second), 0);
    check_uniform_balance(again, second);
}

/* Different subscriptions: every partition of a subscribed topic goes to
 * exactly one subscriber, and (AbstractStickyAssignorTest's
 * verifyValidityAndBalance) a member with 2+ fewer partitions than another
 * subscribes to none of the other's topics. */
static void check_general_balance(const Group *g, const KsAssignment *a)
{
    size_t total = 0;
    g_autofree int32_t *owner = owners_of(g, a, &total);
    size_t base = 0;
    for (guint t = 0; t < g->topics->len; t++) {
        const KsAssignorTopic *x = &g_array_index(g->topics, KsAssignorTopic, t);
        bool subscribed = false;
        for (guint i = 0; i < g->members->len; i++)
            subscribed = subscribed ||
                         naive_subscribes(&g_array_index(g->members, KsAssignorMember, i), x->name);
        for (int32_t p = 0; p < x->n_partitions; p++) {
            int32_t o = owner[base + (size_t)p];
            assert_true(subscribed == (o >= 0));
            if (o >= 0)
                assert_true(
                    naive_subscribes(&g_array_index(g->members, KsAssignorMember, o), x->name));
        }
        base += (size_t)x->n_partitions;
    }
    for (size_t i = 0; i < ks_assignment_n_members(a); i++) {
        for (size_t j = 0; j < ks_assignment_n_members(a); j++) {
            if (count_of(a, i) + 1 >= count_of(a, j))
                continue;
            size_t n = 0;
            const KsTopicPartition *tps = ks_assignment_partitions(a, j, &n);
            for (size_t k = 0; k < n; k++) {
                if (naive_subscribes(&g_array_index(g->members, KsAssignorMember, i),
                                     tps[k].topic)) {
                    g_autofree char *desc = describe_group(g);
                    fail_msg("%s has %zu partitions and could take %s-%d from %s (%zu)\n  %s",
                             ks_assignment_member_id(a, i), count_of(a, i), tps[k].topic,
                             tps[k].partition, ks_assignment_member_id(a, j), count_of(a, j), desc);
                }
            }
        }
    }
}

/* The fewest moves a change of @prev (assigned @a) to @next forces. */
static size_t forced_moves(const Group *prev, const KsAssignment *a, const bool *leaving,
                           const Group *next)
{
    size_t survivors = 0, total = 0;
    g_autofree size_t *counts = g_new0(size_t, prev->members->len + 1);
    for (guint i = 0; i < prev->members->len; i++) {
        if (!leaving[i])
            counts[survivors++] = count_of(a, i);
    }
    for (guint t = 0; t < prev->topics->len; t++)
        total += (size_t)g_array_index(prev->topics, KsAssignorTopic, t).n_partitions;
    return minimum_moves(counts, survivors, total, next->members->len);
}

/* Takes @g through @n_changes random membership changes (up to two members
 * leave, up to two join, each time), assigning with sticky and checking
 * each result, then the cooperative two-step from the same owners. With
 * @uniform subscriptions it also checks that exactly the forced number of
 * partitions moved, adding it to @io_moves. Frees @g. */
static void run_changes(GRand *rand, Group *g, int n_changes, bool uniform, int *next_id,
                        size_t *io_moves)
{
    KsAssignment *a = group_assign(g, KS_ASSIGNOR_STICKY);
    if (uniform)
        check_uniform_balance(g, a);
    else
        check_general_balance(g, a);
    for (int32_t gen = 1; gen <= n_changes; gen++) {
        g_autofree bool *leaving = g_new0(bool, g->members->len + 1);
        size_t n_leaving = (size_t)g_rand_int_range(rand, 0, 3);
        n_leaving = MIN(n_leaving, g->members->len - 1);
        for (size_t k = 0; k < n_leaving; k++)
            leaving[g_rand_int_range(rand, 0, (gint32)g->members->len)] = true;
        Group *next =
            change_members(g, a, leaving, (size_t)g_rand_int_range(rand, 0, 3), next_id, gen);
        KsAssignment *b = group_assign(next, KS_ASSIGNOR_STICKY);
        if (uniform) {
            check_uniform_balance(next, b);
            size_t moved = count_moved(next, b), forced = forced_moves(g, a, leaving, next);
            if (moved != forced) {
                g_autofree char *desc = describe_group(next);
                fail_msg("generation %d: moved %zu partitions, %zu forced\n  %s", gen, moved,
                         forced, desc);
            }
            *io_moves += moved;
        } else {
            check_general_balance(next, b);
        }
        check_cooperative_two_steps(next, gen, uniform);
        ks_assignment_free(a);
        group_free(g);
        a = b;
        g = next;
    }
    ks_assignment_free(a);
    group_free(g);
}

/* A group of @n members "consumer-0".., each subscribed to @subs(member). */
static Group *numbered_group(GRand *rand, size_t n_topics, int max_partitions, size_t n,
                             bool uniform, int *next_id)
{
    Group *g = group_new();
    for (size_t t = 0; t < n_topics; t++)
        group_add_topic(g, topic_pool[t], g_rand_int_range(rand, 1, max_partitions + 1));
    for (size_t i = 0; i < n; i++) {
        const char *subs[G_N_ELEMENTS(topic_pool) + 1] = {NULL};
        size_t k = 0;
        for (size_t t = 0; t < n_topics; t++) {
            if (uniform || g_rand_boolean(rand))
                subs[k++] = topic_pool[t];
        }
        if (k == 0)
            subs[k++] = topic_pool[0];
        g_autofree char *id = g_strdup_printf("consumer-%d", (*next_id)++);
        group_add_member(g, id, NULL, subs);
    }
    return g;
}

/* 60 random groups through their membership changes; returns the number
 * of partitions moved. */
static size_t run_trials(guint32 seed, bool uniform)
{
    g_autoptr(GRand) rand = g_rand_new_with_seed(seed);
    size_t moves = 0;
    for (int trial = 0; trial < 60; trial++) {
        int next_id = 0;
        size_t n_topics = (size_t)g_rand_int_range(rand, uniform ? 1 : 2, uniform ? 4 : 5);
        size_t n = (size_t)g_rand_int_range(rand, uniform ? 1 : 2, 7);
        Group *g = numbered_group(rand, n_topics, uniform ? 12 : 8, n, uniform, &next_id);
        run_changes(rand, g, uniform ? 8 : 5, uniform, &next_id, &moves);
    }
    return moves;
}

static void test_assignor_sticky_moves_only_what_membership_changes_force(void **state)
{
    (void)state;
    size_t moves = run_trials(7, true);
    print_message("# 480 membership changes, %zu partitions moved, each time the minimum\n", moves);
}

static void test_assignor_sticky_balances_mixed_subscriptions(void **state)
{
    (void)state;
    run_trials(11, false);
}

/* ------------------------------------------------ Kafka's edge cases */

/* AbstractStickyAssignorTest#testOwnedPartitionsAreInvalidatedForConsumer
 * WithStaleGeneration: both claim the same three partitions; the member of
 * the newer generation keeps them, nothing needs revoking. */
static void test_assignor_sticky_stale_generation_loses_its_claims(void **state)
{
    (void)state;
    const char *const topics[] = {"topic", "topic2", NULL};
    const KsTopicPartition claimed[] = {{"topic", 0}, {"topic", 2}, {"topic2", 1}};
    for (int coop = 0; coop < 2; coop++) {
        g_autoptr(Group) g = group_new();
        group_add_topic(g, "topic", 3);
        group_add_topic(g, "topic2", 3);
        KsAssignorMember *c1 = group_add_member(g, "consumer1", NULL, topics);
        member_set_owned(g, c1, claimed, 3, 10);
        KsAssignorMember *c2 = group_add_member(g, "consumer2", NULL, topics);
        member_set_owned(g, c2, claimed, 3, 9);
        g_autoptr(KsAssignment) a =
            group_assign(g, coop ? KS_ASSIGNOR_COOPERATIVE_STICKY : KS_ASSIGNOR_STICKY);
        g_autofree char *first = format_member(a, 0), *second = format_member(a, 1);
        ks_assert_str_eq(first, "[topic-0, topic-2, topic2-1]");
        ks_assert_str_eq(second, "[topic-1, topic2-0, topic2-2]");
        ks_assert_i64_eq(ks_assignment_n_withheld(a), 0);
    }
}

/* ...#testPartitionsTransferringOwnershipIncludeThePartitionClaimedBy
 * MultipleConsumersInSameGeneration: topic-0, claimed by two members of
 * one generation, goes to the third, and cooperative-sticky withholds it. */
static void test_assignor_sticky_double_claim_goes_elsewhere(void **state)
{
    (void)state;
    const char *const topics[] = {"topic", NULL};
    const KsTopicPartition owned1[] = {{"topic", 0}, {"topic", 1}};
    const KsTopicPartition owned2[] = {{"topic", 0}, {"topic", 2}};
    for (int coop = 0; coop < 2; coop++) {
        g_autoptr(Group) g = group_new();
        group_add_topic(g, "topic", 3);
        member_set_owned(g, group_add_member(g, "consumer1", NULL, topics), owned1, 2, 1);
        member_set_owned(g, group_add_member(g, "consumer2", NULL, topics), owned2, 2, 1);
        member_set_owned(g, group_add_member(g, "consumer3", NULL, topics), NULL, 0, 1);
        g_autoptr(KsAssignment) a =
            group_assign(g, coop ? KS_ASSIGNOR_COOPERATIVE_STICKY : KS_ASSIGNOR_STICKY);
        g_autofree char *c1 = format_member(a, 0), *c2 = format_member(a, 1),
                        *c3 = format_member(a, 2);
        ks_assert_str_eq(c1, "[topic-1]");
        ks_assert_str_eq(c2, "[topic-2]");
        ks_assert_str_eq(c3, coop ? "[]" : "[topic-0]");
        ks_assert_i64_eq(ks_assignment_n_withheld(a), coop ? 1 : 0);
        if (coop) {
            size_t to = 0;
            KsTopicPartition tp = ks_assignment_withheld(a, 0, &to);
            ks_assert_str_eq(tp.topic, "topic");
            ks_assert_i64_eq(tp.partition, 0);
            ks_assert_str_eq(ks_assignment_member_id(a, to), "consumer3");
        }
    }
}

/* Which members keep maxQuota follows Kafka's HashMap of members: ten
 * members own 3 of topic t's 30 partitions, four join; 14 members need 2
 * each and two may keep 3. In a HashMap of 14 member ids (capacity 32) the
 * first owners of 3 are consumer-6 and consumer-5, and they keep theirs.
 * Expected lists from Kafka 3.9's StickyAssignor on this input. */
static void test_assignor_sticky_follows_java_hashmap_order(void **state)
{
    (void)state;
    const char *const topics[] = {"t", NULL};
    const char *const want[] = {
        "[t-0, t-1]",         "[t-3, t-4]",         "[t-6, t-7]",   "[t-9, t-10]",  "[t-12, t-13]",
        "[t-15, t-16, t-17]", "[t-18, t-19, t-20]", "[t-21, t-22]", "[t-24, t-25]", "[t-27, t-28]",
        "[t-2, t-14]",        "[t-5, t-23]",        "[t-8, t-26]",  "[t-11, t-29]"};
    g_autoptr(Group) g = group_new();
    group_add_topic(g, "t", 30);
    for (int i = 0; i < 14; i++) {
        g_autofree char *id = g_strdup_printf("consumer-%d", i);
        KsAssignorMember *m = group_add_member(g, id, NULL, topics);
        KsTopicPartition owned[3] = {{"t", 3 * i}, {"t", 3 * i + 1}, {"t", 3 * i + 2}};
        if (i < 10)
            member_set_owned(g, m, owned, 3, 1);
    }
    g_autoptr(KsAssignment) a = group_assign(g, KS_ASSIGNOR_STICKY);
    for (size_t i = 0; i < 14; i++) {
        g_autofree char *got = format_member(a, i);
        ks_assert_str_eq(got, want[i]);
    }
}

/* More members than partitions: the extra members get nothing and every
 * member still appears. */
static void test_assignor_extra_members_idle(void **state)
{
    (void)state;
    const char *const topics[] = {"orders", NULL};
    for (KsAssignorKind kind = KS_ASSIGNOR_RANGE; kind <= KS_ASSIGNOR_COOPERATIVE_STICKY; kind++) {
        g_autoptr(Group) g = group_new();
        group_add_topic(g, "orders", 2);
        for (int i = 0; i < 4; i++) {
            g_autofree char *id = g_strdup_printf("c%d", i);
            group_add_member(g, id, NULL, topics);
        }
        g_autoptr(KsAssignment) a = group_assign(g, kind);
        ks_assert_i64_eq(ks_assignment_n_members(a), 4);
        size_t idle = 0;
        for (size_t i = 0; i < 4; i++) {
            assert_true(count_of(a, i) <= 1);
            idle += count_of(a, i) == 0;
        }
        ks_assert_i64_eq(idle, 2);
        ks_assert_i64_eq(ks_assignment_find(a, "c3"), 3);
        ks_assert_i64_eq(ks_assignment_find(a, "nobody"), -1);
    }
}

static void test_assignor_names_and_protocols(void **state)
{
    (void)state;
    const char *names[] = {"range", "roundrobin", "sticky", "cooperative-sticky"};
    for (size_t i = 0; i < G_N_ELEMENTS(names); i++) {
        KsAssignorKind kind;
        assert_true(ks_assignor_parse(names[i], &kind));
        ks_assert_str_eq(ks_assignor_name(kind), names[i]);
        ks_assert_i64_eq(ks_assignor_protocol(kind), kind == KS_ASSIGNOR_COOPERATIVE_STICKY
                                                         ? KS_PROTOCOL_COOPERATIVE
                                                         : KS_PROTOCOL_EAGER);
    }
    KsAssignorKind untouched = KS_ASSIGNOR_STICKY;
    assert_false(ks_assignor_parse("uniform", &untouched));
    assert_false(ks_assignor_parse("Range", &untouched));
    ks_assert_i64_eq(untouched, KS_ASSIGNOR_STICKY);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_assignor_sticky_moves_only_what_membership_changes_force),
        cmocka_unit_test(test_assignor_sticky_balances_mixed_subscriptions),
        cmocka_unit_test(test_assignor_sticky_stale_generation_loses_its_claims),
        cmocka_unit_test(test_assignor_sticky_double_claim_goes_elsewhere),
        cmocka_unit_test(test_assignor_sticky_follows_java_hashmap_order),
        cmocka_unit_test(test_assignor_extra_members_idle),
        cmocka_unit_test(test_assignor_names_and_protocols),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
