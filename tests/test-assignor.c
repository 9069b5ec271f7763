/* SPDX-License-Identifier: MIT */
/*
 * test-assignor.c - the consumer partition assignors against Kafka.
 *
 * Every case of tests/refs/assignor_cases.json (Kafka's own RangeAssignor,
 * RoundRobinAssignor and AbstractStickyAssignor tests and javadoc examples)
 * is asserted. range and roundrobin are then compared with deliberately
 * naive versions written here from the rules in tests/refs/assignors.md,
 * over a few hundred random groups with several topics per member, mixed
 * subscriptions, static members and more members than partitions.
 * test-assignor-sticky.c has the sticky assignors' property tests and
 * Kafka's edge cases.
 */
#include "ks-assignor-test.h"
#include "ks-tsv.h"

#include <string.h>

#include <json-glib/json-glib.h>

/* ------------------------------------------------- the reference file */

static JsonObject *load_reference(JsonParser *parser)
{
    g_autofree char *path = refs_path("assignor_cases.json");
    g_autoptr(GError) error = NULL;
    if (!json_parser_load_from_file(parser, path, &error))
        fail_msg("%s: %s", path, error->message);
    return json_node_get_object(json_parser_get_root(parser));
}

static GStrv json_strings(JsonArray *array)
{
    GStrv v = g_new0(char *, json_array_get_length(array) + 1);
    for (guint i = 0; i < json_array_get_length(array); i++)
        v[i] = g_strdup(json_array_get_string_element(array, i));
    return v;
}

static const char *nullable_string(JsonObject *o, const char *member)
{
    if (!json_object_has_member(o, member) || json_object_get_null_member(o, member))
        return NULL;
    return json_object_get_string_member(o, member);
}

/* The group of reference case @c: its topics and members, with owned
 * partitions and generation for the sticky cases. */
static Group *group_from_case(JsonObject *c)
{
    Group *g = group_new();
    JsonObject *topics = json_object_get_object_member(c, "topics");
    g_autoptr(GList) names = json_object_get_members(topics);
    for (GList *l = names; l != NULL; l = l->next)
        group_add_topic(g, l->data, (int32_t)json_object_get_int_member(topics, l->data));
    JsonArray *members = json_object_get_array_member(c, "members");
    for (guint i = 0; i < json_array_get_length(members); i++) {
        JsonObject *m = json_array_get_object_element(members, i);
        g_auto(GStrv) subs = json_strings(json_object_get_array_member(m, "subscription"));
        KsAssignorMember *member =
            group_add_member(g, json_object_get_string_member(m, "member_id"),
                             nullable_string(m, "group_instance_id"), (const char *const *)subs);
        if (json_object_has_member(m, "owned_partitions") &&
            !json_object_get_null_member(m, "owned_partitions")) {
            JsonArray *owned = json_object_get_array_member(m, "owned_partitions");
            g_autoptr(GArray) tps = g_array_new(FALSE, FALSE, sizeof(KsTopicPartition));
            for (guint k = 0; k < json_array_get_length(owned); k++) {
                KsTopicPartition tp = parse_tp(g, json_array_get_string_element(owned, k));
                g_array_append_val(tps, tp);
            }
            int32_t gen = json_object_get_null_member(m, "generation")
                              ? KS_ASSIGNOR_NO_GENERATION
                              : (int32_t)json_object_get_int_member(m, "generation");
            member_set_owned(g, member, (const KsTopicPartition *)(void *)tps->data, tps->len, gen);
        }
    }
    return g;
}

/* The expected list of @member as sorted text; with @in_order, also fails
 * unless the file's list is itself in (topic, partition) order, which is
 * how the assignor returns it. */
static char *expected_list(Group *g, JsonObject *c, const char *member, bool in_order)
{
    JsonArray *list =
        json_object_get_array_member(json_object_get_object_member(c, "expected"), member);
    g_autoptr(GArray) tps = g_array_new(FALSE, FALSE, sizeof(KsTopicPartition));
    for (guint i = 0; i < json_array_get_length(list); i++) {
        KsTopicPartition tp = parse_tp(g, json_array_get_string_element(list, i));
        g_array_append_val(tps, tp);
    }
    g_autofree char *as_given = format_tps((const KsTopicPartition *)(void *)tps->data, tps->len);
    g_array_sort(tps, compare_tp);
    char *sorted = format_tps((const KsTopicPartition *)(void *)tps->data, tps->len);
    if (in_order && strcmp(as_given, sorted) != 0)
        fail_msg("%s: %s's expected list %s is not in partition order",
                 json_object_get_string_member(c, "id"), member, as_given);
    return sorted;
}

/* Where Kafka 3.9's code gives another result than a transcribed javadoc
 * example. sticky-08 is StickyAssignor's example from before the
 * uniform-subscription algorithm (ConstrainedAssignmentBuilder): 3.9 deals
 * the partitions C1 freed, t0-1, t2-0 and t3-1, round-robin by member id to
 * the members under the quota of 4, so C0 takes t0-1 and C2 the other two.
 * Equally balanced, and no owned partition moves either way. */
static const struct {
    const char *id, *member, *list;
} kafka39_results[] = {
    {"sticky-08", "C0", "[t0-0, t0-1, t1-1, t3-0]"},
    {"sticky-08", "C2", "[t1-0, t2-0, t2-1, t3-1]"},
};

static char *kafka39_result(const char *id, const char *member)
{
    for (size_t i = 0; i < G_N_ELEMENTS(kafka39_results); i++) {
        if (strcmp(kafka39_results[i].id, id) == 0 &&
            strcmp(kafka39_results[i].member, member) == 0)
            return g_strdup(kafka39_results[i].list);
    }
    return NULL;
}

static void check_case_result(Group *g, JsonObject *c, const KsAssignment *a, const char *what)
{
    const char *id = json_object_get_string_member(c, "id");
    JsonObject *expected = json_object_get_object_member(c, "expected");
    ks_assert_i64_eq(json_object_get_size(expected), ks_assignment_n_members(a));
    bool in_order = json_object_get_boolean_member(c, "order_matters") &&
                    strcmp(json_object_get_string_member(c, "assignor"), "roundrobin") == 0;
    for (size_t i = 0; i < ks_assignment_n_members(a); i++) {
        const char *member = ks_assignment_member_id(a, i);
        g_autofree char *want = kafka39_result(id, member);
        if (want == NULL)
            want = expected_list(g, c, member, in_order);
        g_autofree char *got = format_member(a, i);
        if (strcmp(want, got) != 0)
            fail_msg("%s (%s): %s got %s, expected %s", id, what, member, got, want);
    }
}

static void test_assignor_range_and_roundrobin_reference_cases(void **state)
{
    (void)state;
    g_autoptr(JsonParser) parser = json_parser_new();
    JsonArray *cases = json_object_get_array_member(load_reference(parser), "cases");
    guint checked = 0;
    for (guint i = 0; i < json_array_get_length(cases); i++) {
        JsonObject *c = json_array_get_object_element(cases, i);
        KsAssignorKind kind;
        assert_true(ks_assignor_parse(json_object_get_string_member(c, "assignor"), &kind));
        g_autoptr(Group) g = group_from_case(c);
        g_autoptr(KsAssignment) a = group_assign(g, kind);
        check_case_result(g, c, a, ks_assignor_name(kind));
        ks_assert_i64_eq(ks_assignment_n_withheld(a), 0);
        checked++;
    }
    ks_assert_i64_eq(checked, 43);
    print_message("# assignor_cases.json: %u range and roundrobin cases checked\n", checked);
}

static void check_withheld(JsonObject *c, const KsAssignment *a)
{
    const char *id = json_object_get_string_member(c, "id");
    JsonObject *want = json_object_get_object_member(c, "partitions_transferring_ownership");
    ks_assert_i64_eq(ks_assignment_n_withheld(a), json_object_get_size(want));
    for (size_t i = 0; i < ks_assignment_n_withheld(a); i++) {
        size_t to = 0;
        KsTopicPartition tp = ks_assignment_withheld(a, i, &to);
        g_autofree char *name = g_strdup_printf("%s-%d", tp.topic, tp.partition);
        if (!json_object_has_member(want, name) ||
            strcmp(json_object_get_string_member(want, name), ks_assignment_member_id(a, to)) != 0)
            fail_msg("%s: %s withheld for %s, not expected", id, name,
                     ks_assignment_member_id(a, to));
        assert_false(has_partition(a, to, tp.topic, tp.partition));
    }
}

static void test_assignor_sticky_reference_cases(void **state)
{
    (void)state;
    g_autoptr(JsonParser) parser = json_parser_new();
    JsonArray *cases = json_object_get_array_member(load_reference(parser), "sticky_cases");
    for (guint i = 0; i < json_array_get_length(cases); i++) {
        JsonObject *c = json_array_get_object_element(cases, i);
        g_autoptr(Group) g = group_from_case(c);
        g_autoptr(KsAssignment) sticky = group_assign(g, KS_ASSIGNOR_STICKY);
        check_case_result(g, c, sticky, "sticky");
        ks_assert_i64_eq(ks_assignment_n_withheld(sticky), 0);

        /* cooperative-sticky: the same final result, reached in two
         * rebalances when partitions move. */
        g_autoptr(KsAssignment) first = group_assign(g, KS_ASSIGNOR_COOPERATIVE_STICKY);
        if (!json_object_get_null_member(c, "partitions_transferring_ownership"))
            check_withheld(c, first);
        g_autoptr(Group) again = next_generation(g, first, 2);
        g_autoptr(KsAssignment) second = group_assign(again, KS_ASSIGNOR_COOPERATIVE_STICKY);
        check_case_result(again, c, second, "cooperative-sticky after the follow-up rebalance");
        ks_assert_i64_eq(ks_assignment_n_withheld(second), 0);
        size_t n_first = ks_assignment_n_withheld(first), n_second = 0;
        for (size_t m = 0; m < ks_assignment_n_members(first); m++) {
            n_first += count_of(first, m);
            n_second += count_of(second, m);
        }
        ks_assert_i64_eq(n_first, n_second);
    }
    print_message("# assignor_cases.json: %u sticky cases checked\n", json_array_get_length(cases));
}

/* ------------------------------------------ naive range and roundrobin */

/* The naive versions build each member's list straight from the rules in
 * assignors.md, with byte-order comparisons (every name in the random
 * groups is ASCII), then sort it for the comparison. */

/* Section 0: static members first by instance id, then by member id. */
static bool naive_before(const KsAssignorMember *a, const KsAssignorMember *b)
{
    if (a->group_instance_id != NULL && b->group_instance_id != NULL)
        return strcmp(a->group_instance_id, b->group_instance_id) < 0;
    if (a->group_instance_id != NULL || b->group_instance_id != NULL)
        return a->group_instance_id != NULL;
    return strcmp(a->member_id, b->member_id) < 0;
}

/* Insertion sort of member pointers. */
static void naive_sort_members(const KsAssignorMember **v, size_t n)
{
    for (size_t i = 1; i < n; i++) {
        for (size_t j = i; j > 0 && naive_before(v[j], v[j - 1]); j--) {
            const KsAssignorMember *tmp = v[j];
            v[j] = v[j - 1];
            v[j - 1] = tmp;
        }
    }
}

static int32_t naive_partitions(const Group *g, const char *topic)
{
    for (guint t = 0; t < g->topics->len; t++) {
        const KsAssignorTopic *x = &g_array_index(g->topics, KsAssignorTopic, t);
        if (strcmp(x->name, topic) == 0)
            return x->n_partitions > 0 ? x->n_partitions : 0;
    }
    return 0;
}

/* Gives @topic's partition @p to member @m of @g, in @lists. */
static void naive_give(const Group *g, GArray **lists, const KsAssignorMember *m, const char *topic,
                       int32_t p)
{
    KsTopicPartition tp = {topic, p};
    g_array_append_val(lists[m - &g_array_index(g->members, KsAssignorMember, 0)], tp);
}

static GArray **naive_lists(size_t n)
{
    GArray **lists = g_new0(GArray *, n + 1);
    for (size_t i = 0; i < n; i++)
        lists[i] = g_array_new(FALSE, FALSE, sizeof(KsTopicPartition));
    return lists;
}

/* Section 1: per topic, member i of C gets P / C partitions, one more if
 * i < P % C, starting at i * (P / C) + min(i, P % C). */
static GArray **naive_range(const Group *g)
{
    size_t n = g->members->len;
    GArray **lists = naive_lists(n);
    for (guint t = 0; t < g->topics->len; t++) {
        const char *topic = g_array_index(g->topics, KsAssignorTopic, t).name;
        int32_t p = naive_partitions(g, topic);
        g_autofree const KsAssignorMember **subs = g_new0(const KsAssignorMember *, n + 1);
        size_t c = 0;
        for (size_t i = 0; i < n; i++) {
            const KsAssignorMember *m = &g_array_index(g->members, KsAssignorMember, i);
            if (naive_subscribes(m, topic))
                subs[c++] = m;
        }
        if (c == 0 || p == 0)
            continue;
        naive_sort_members(subs, c);
        int32_t q = p / (int32_t)c, e = p % (int32_t)c;
        for (int32_t i = 0; i < (int32_t)c; i++) {
            int32_t start = i * q + MIN(i, e), len = q + (i < e ? 1 : 0);
            for (int32_t k = start; k < start + len; k++)
                naive_give(g, lists, subs[i], topic, k);
        }
    }
    return lists;
}

static int compare_strings(gconstpointer a, gconstpointer b)
{
    return strcmp(*(const char *const *)a, *(const char *const *)b);
}

/* Section 2: every subscribed, existing topic by name, partitions in order,
 * dealt by a cursor on the circle of sorted members that skips members not
 * subscribed to the topic and is never reset. */
static GArray **naive_roundrobin(const Group *g)
{
    size_t n = g->members->len;
    GArray **lists = naive_lists(n);
    g_autofree const KsAssignorMember **order = g_new0(const KsAssignorMember *, n + 1);
    g_autoptr(GPtrArray) topics = g_ptr_array_new();
    for (size_t i = 0; i < n; i++) {
        order[i] = &g_array_index(g->members, KsAssignorMember, i);
        for (size_t k = 0; k < order[i]->n_topics; k++) {
            const char *topic = order[i]->topics[k];
            bool seen = false;
            for (guint j = 0; j < topics->len; j++)
                seen = seen || strcmp(topics->pdata[j], topic) == 0;
            if (!seen)
                g_ptr_array_add(topics, (gpointer)topic);
        }
    }
    g_ptr_array_sort(topics, compare_strings);
    naive_sort_members(order, n);
    size_t cursor = 0;
    for (guint j = 0; j < topics->len; j++) {
        const char *topic = topics->pdata[j];
        for (int32_t p = 0; p < naive_partitions(g, topic); p++) {
            while (!naive_subscribes(order[cursor], topic))
                cursor = (cursor + 1) % n;
            naive_give(g, lists, order[cursor], topic, p);
            cursor = (cursor + 1) % n;
        }
    }
    return lists;
}

static const char *const member_pool[] = {"consumer1", "consumer10", "consumer2", "C1",
                                          "c0",        "consumer-a", "m-1",       "m-10",
                                          "x",         "consumer-3", "Consumer2", "zz"};
static const char *const instance_pool[] = {"i1", "i10", "i2", "I3", "instance", "j"};

/* Picks @k distinct indices below @n into @out. */
static void pick_distinct(GRand *rand, size_t n, size_t k, size_t *out)
{
    g_autofree size_t *perm = g_new(size_t, n);
    for (size_t i = 0; i < n; i++)
        perm[i] = i;
    for (size_t i = 0; i < k; i++) {
        size_t j = i + (size_t)g_rand_int_range(rand, 0, (gint32)(n - i));
        size_t tmp = perm[i];
        perm[i] = perm[j];
        perm[j] = tmp;
        out[i] = perm[i];
    }
}

/* A random group: up to 8 topics (some missing from the metadata or with no
 * partitions, some unsubscribed), up to 12 members, each subscribed to a
 * random set (maybe empty, maybe naming a topic that does not exist), some
 * static. */
static Group *random_group(GRand *rand)
{
    Group *g = group_new();
    size_t n_topics = (size_t)g_rand_int_range(rand, 1, G_N_ELEMENTS(topic_pool) + 1);
    size_t topics[G_N_ELEMENTS(topic_pool)];
    pick_distinct(rand, G_N_ELEMENTS(topic_pool), n_topics, topics);
    for (size_t i = 0; i < n_topics; i++) {
        if (g_rand_int_range(rand, 0, 8) != 0) /* else: not in the metadata */
            group_add_topic(g, topic_pool[topics[i]], g_rand_int_range(rand, 0, 9));
    }
    size_t n_members = (size_t)g_rand_int_range(rand, 1, G_N_ELEMENTS(member_pool) + 1);
    size_t members[G_N_ELEMENTS(member_pool)], instances[G_N_ELEMENTS(instance_pool)];
    pick_distinct(rand, G_N_ELEMENTS(member_pool), n_members, members);
    pick_distinct(rand, G_N_ELEMENTS(instance_pool), G_N_ELEMENTS(instance_pool), instances);
    size_t next_instance = 0;
    bool uniform = g_rand_boolean(rand);
    for (size_t i = 0; i < n_members; i++) {
        const char *subs[G_N_ELEMENTS(topic_pool) + 1] = {NULL};
        size_t n_subs = 0;
        for (size_t k = 0; k < n_topics; k++) {
            if (uniform || g_rand_int_range(rand, 0, 2) == 0)
                subs[n_subs++] = topic_pool[topics[k]];
        }
        const char *instance = NULL;
        if (next_instance < G_N_ELEMENTS(instance_pool) && g_rand_int_range(rand, 0, 3) == 0)
            instance = instance_pool[instances[next_instance++]];
        group_add_member(g, member_pool[members[i]], instance, subs);
    }
    return g;
}

static void compare_with_naive(KsAssignorKind kind, GArray **(*naive)(const Group *))
{
    g_autoptr(GRand) rand = g_rand_new_with_seed(20241025);
    for (int round = 0; round < 400; round++) {
        g_autoptr(Group) g = random_group(rand);
        g_autoptr(KsAssignment) a = group_assign(g, kind);
        GArray **want = naive(g);
        for (guint i = 0; i < g->members->len; i++) {
            g_array_sort(want[i], compare_tp);
            g_autofree char *expected =
                format_tps((const KsTopicPartition *)(void *)want[i]->data, want[i]->len);
            g_autofree char *got = format_member(a, i);
            if (strcmp(expected, got) != 0) {
                g_autofree char *desc = describe_group(g);
                fail_msg("%s, round %d, %s: got %s, expected %s\n  %s", ks_assignor_name(kind),
                         round, ks_assignment_member_id(a, i), got, expected, desc);
            }
            g_array_unref(want[i]);
        }
        g_free(want);
    }
}

static void test_assignor_range_matches_naive_on_random_groups(void **state)
{
    (void)state;
    compare_with_naive(KS_ASSIGNOR_RANGE, naive_range);
}

static void test_assignor_roundrobin_matches_naive_on_random_groups(void **state)
{
    (void)state;
    compare_with_naive(KS_ASSIGNOR_ROUNDROBIN, naive_roundrobin);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_assignor_range_and_roundrobin_reference_cases),
        cmocka_unit_test(test_assignor_sticky_reference_cases),
        cmocka_unit_test(test_assignor_range_matches_naive_on_random_groups),
        cmocka_unit_test(test_assignor_roundrobin_matches_naive_on_random_groups),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
