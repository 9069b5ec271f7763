/* SPDX-License-Identifier: MIT */
/*
 * test-assignor.c - the consumer partition assignors against Kafka.
 *
 * Every case of tests/refs/assignor_cases.json (Kafka's own RangeAssignor,
 * RoundRobinAssignor and AbstractStickyAssignor tests and javadoc examples)
 * is asserted. range and roundrobin are then compared with deliberately
 * naive versions written here from the rules in tests/refs/assignors.md,
 * over a few hundred random groups with several topics per member, mixed
 * subscriptions, static members and more members than partitions. The
 * sticky assignors get property tests over random membership changes:
 * balance, and exactly the minimum number of moved partitions; and the
 * cooperative two-step (a moved partition is withheld, then handed over).
 */
#include "ks-test.h"
#include "ks-tsv.h"

#include <string.h>

#include <json-glib/json-glib.h>

#include "kafkasim/assignor.h"

/* ------------------------------------------------------- a test group */

/* A group and its metadata, owning every string the assignor borrows. */
typedef struct {
    GArray *topics;     /* KsAssignorTopic */
    GArray *members;    /* KsAssignorMember */
    GPtrArray *strings; /* every string above, owned */
    GPtrArray *arrays;  /* topic lists and owned lists, owned (g_free) */
} Group;

static Group *group_new(void)
{
    Group *g = g_new0(Group, 1);
    g->topics = g_array_new(FALSE, FALSE, sizeof(KsAssignorTopic));
    g->members = g_array_new(FALSE, FALSE, sizeof(KsAssignorMember));
    g->strings = g_ptr_array_new_with_free_func(g_free);
    g->arrays = g_ptr_array_new_with_free_func(g_free);
    return g;
}

static void group_free(Group *g)
{
    if (g == NULL)
        return;
    g_array_unref(g->topics);
    g_array_unref(g->members);
    g_ptr_array_unref(g->strings);
    g_ptr_array_unref(g->arrays);
    g_free(g);
}

G_DEFINE_AUTOPTR_CLEANUP_FUNC(Group, group_free)

static const char *group_str(Group *g, const char *s)
{
    if (s == NULL)
        return NULL;
    char *copy = g_strdup(s);
    g_ptr_array_add(g->strings, copy);
    return copy;
}

static void group_add_topic(Group *g, const char *name, int32_t n_partitions)
{
    KsAssignorTopic t = {group_str(g, name), n_partitions};
    g_array_append_val(g->topics, t);
}

/* Adds a member subscribed to the NULL-terminated @topics. */
static KsAssignorMember *group_add_member(Group *g, const char *id, const char *instance,
                                          const char *const *topics)
{
    size_t n = topics != NULL ? g_strv_length((GStrv)topics) : 0;
    const char **copy = g_new0(const char *, n + 1);
    for (size_t i = 0; i < n; i++)
        copy[i] = group_str(g, topics[i]);
    g_ptr_array_add(g->arrays, copy);
    KsAssignorMember m = {group_str(g, id),         group_str(g, instance), copy, n, NULL, 0,
                          KS_ASSIGNOR_NO_GENERATION};
    g_array_append_val(g->members, m);
    return &g_array_index(g->members, KsAssignorMember, g->members->len - 1);
}

/* Sets member @m's owned partitions to @n partitions at @tps (copied). */
static void member_set_owned(Group *g, KsAssignorMember *m, const KsTopicPartition *tps, size_t n,
                             int32_t generation)
{
    KsTopicPartition *copy = g_new0(KsTopicPartition, n + 1);
    for (size_t i = 0; i < n; i++)
        copy[i] = (KsTopicPartition){group_str(g, tps[i].topic), tps[i].partition};
    g_ptr_array_add(g->arrays, copy);
    m->owned = copy;
    m->n_owned = n;
    m->generation = generation;
}

static KsAssignment *group_assign(const Group *g, KsAssignorKind kind)
{
    return ks_assignor_assign(kind, (const KsAssignorTopic *)(void *)g->topics->data,
                              g->topics->len, (const KsAssignorMember *)(void *)g->members->data,
                              g->members->len);
}

/* "topic-p" partition names, the notation of the reference file. */
static KsTopicPartition parse_tp(Group *g, const char *name)
{
    const char *dash = strrchr(name, '-');
    if (dash == NULL)
        fail_msg("bad partition name \"%s\"", name);
    g_autofree char *topic = g_strndup(name, (gsize)(dash - name));
    return (KsTopicPartition){group_str(g, topic), (int32_t)atoi(dash + 1)};
}

static int compare_tp(const void *a, const void *b)
{
    const KsTopicPartition *x = a, *y = b;
    int c = strcmp(x->topic, y->topic);
    return c != 0 ? c : (x->partition > y->partition) - (x->partition < y->partition);
}

static char *format_tps(const KsTopicPartition *tps, size_t n)
{
    GString *s = g_string_new("[");
    for (size_t i = 0; i < n; i++)
        g_string_append_printf(s, "%s%s-%d", i > 0 ? ", " : "", tps[i].topic, tps[i].partition);
    g_string_append_c(s, ']');
    return g_string_free(s, FALSE);
}

/* Member @i's list as text, for comparisons and messages. */
static char *format_member(const KsAssignment *a, size_t i)
{
    size_t n = 0;
    const KsTopicPartition *tps = ks_assignment_partitions(a, i, &n);
    return format_tps(tps, n);
}

static size_t count_of(const KsAssignment *a, size_t m)
{
    size_t n = 0;
    ks_assignment_partitions(a, m, &n);
    return n;
}

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

/* The follow-up rebalance: every member now owns what @a gave it, in the
 * next generation. */
static Group *next_generation(const Group *g, const KsAssignment *a, int32_t generation)
{
    Group *next = group_new();
    for (guint t = 0; t < g->topics->len; t++) {
        const KsAssignorTopic *topic = &g_array_index(g->topics, KsAssignorTopic, t);
        group_add_topic(next, topic->name, topic->n_partitions);
    }
    for (size_t i = 0; i < ks_assignment_n_members(a); i++) {
        const KsAssignorMember *m = &g_array_index(g->members, KsAssignorMember, i);
        g_autofree const char **topics = g_new0(const char *, m->n_topics + 1);
        memcpy(topics, m->topics, m->n_topics * sizeof *topics);
        KsAssignorMember *copy = group_add_member(next, m->member_id, m->group_instance_id, topics);
        size_t n = 0;
        const KsTopicPartition *tps = ks_assignment_partitions(a, i, &n);
        member_set_owned(next, copy, tps, n, generation);
    }
    return next;
}

/* A partition of @g is in @a's member @i. */
static bool has_partition(const KsAssignment *a, size_t i, const char *topic, int32_t partition)
{
    size_t n = 0;
    const KsTopicPartition *tps = ks_assignment_partitions(a, i, &n);
    for (size_t k = 0; k < n; k++) {
        if (strcmp(tps[k].topic, topic) == 0 && tps[k].partition == partition)
            return true;
    }
    return false;
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

static bool naive_subscribes(const KsAssignorMember *m, const char *topic)
{
    for (size_t i = 0; i < m->n_topics; i++) {
        if (strcmp(m->topics[i], topic) == 0)
            return true;
    }
    return false;
}

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

static char *describe_group(const Group *g)
{
    GString *s = g_string_new("topics:");
    for (guint t = 0; t < g->topics->len; t++) {
        const KsAssignorTopic *x = &g_array_index(g->topics, KsAssignorTopic, t);
        g_string_append_printf(s, " %s=%d", x->name, x->n_partitions);
    }
    for (guint i = 0; i < g->members->len; i++) {
        const KsAssignorMember *m = &g_array_index(g->members, KsAssignorMember, i);
        g_string_append_printf(s, "; %s(%s):", m->member_id,
                               m->group_instance_id ? m->group_instance_id : "-");
        for (size_t k = 0; k < m->n_topics; k++)
            g_string_append_printf(s, " %s", m->topics[k]);
    }
    return g_string_free(s, FALSE);
}

static const char *const topic_pool[] = {"orders", "a", "B", "t1", "t10", "t2", "Z9", "pay-ments"};
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
        cmocka_unit_test(test_assignor_range_and_roundrobin_reference_cases),
        cmocka_unit_test(test_assignor_sticky_reference_cases),
        cmocka_unit_test(test_assignor_range_matches_naive_on_random_groups),
        cmocka_unit_test(test_assignor_roundrobin_matches_naive_on_random_groups),
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
