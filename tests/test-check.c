/* SPDX-License-Identifier: MIT */
/*
 * test-check.c - the views of consumer groups over a fixed set of groups:
 * every group condition (its verdict and the words it says), the counters,
 * the summary's "groups" and describe groups, read through query-groups.h.
 *
 * The groups come from the fake queries below, which replace the library's
 * (weak) ones at link time: two groups on topic orders, "audit" (Empty,
 * offsets committed earlier) and "billing" (Stable, c1 owns both
 * partitions, c2 idle), and a stopped consumer c3. Scenarios that run real
 * consumers check the same views end to end.
 */
#include "ks-scenario-test.h"
#include "ks-test.h"

#include <string.h>

#include "kafkasim/output.h"
#include "kafkasim/query-groups.h"
#include "kafkasim/query.h"
#include "kafkasim/scenario.h"
#include "kafkasim/sim.h"

/* The @i-th end-of-run expectation of @plan, borrowed. */
static const KsPlanExpect *expect_n(const KsPlan *plan, guint i)
{
    return plan->expects->pdata[i];
}

/* ---- the fake coordinator ---- */

static const KsGroupInfo groups[] = {
    {.name = "audit",
     .state = "Empty",
     .generation = 1,
     .protocol = "",
     .rebalance_protocol = "eager",
     .coordinator = KS_NO_BROKER,
     .offsets_partition = 37,
     .rebalances = 1,
     .records_consumed = 108},
    {.name = "billing",
     .state = "Stable",
     .generation = 4,
     .protocol = "range",
     .rebalance_protocol = "eager",
     .coordinator = 2,
     .offsets_partition = 12,
     .n_members = 2,
     .rebalances = 2,
     .records_consumed = 1000,
     .records_duplicated = 150,
     .records_skipped = 7},
};

static const KsMemberInfo billing_members[] = {
    {.id = "c1", .client_id = "c1", .host = "/n1", .leader = true, .n_assigned = 2},
    {.id = "c2", .client_id = "c2", .host = "/n2", .n_assigned = 0},
};

static const KsGroupOffsetInfo audit_offsets[] = {
    {.topic = "orders",
     .partition = 0,
     .committed = 10,
     .log_end_offset = 125,
     .lag = 115,
     .position = -1},
    {.topic = "orders",
     .partition = 1,
     .committed = 98,
     .log_end_offset = 98,
     .lag = 0,
     .position = -1},
};

static const KsGroupOffsetInfo billing_offsets[] = {
    {.topic = "orders",
     .partition = 0,
     .committed = 120,
     .log_end_offset = 125,
     .lag = 5,
     .position = 123,
     .owner = "c1"},
    {.topic = "orders",
     .partition = 1,
     .committed = -1,
     .log_end_offset = 98,
     .lag = -1,
     .position = 40,
     .owner = "c1"},
};

static const KsConsumerInfo consumers[] = {
    {.name = "c1", .group = "billing", .node = "n1", .running = true, .records_consumed = 1000},
    {.name = "c2", .group = "billing", .node = "n2", .running = true, .idle = true},
    {.name = "c3", .group = "audit", .node = "n3", .running = false, .records_consumed = 108},
};

size_t ks_query_n_groups(const KsSim *sim)
{
    return G_N_ELEMENTS(groups);
}

void ks_query_group(const KsSim *sim, size_t index, KsGroupInfo *out)
{
    *out = groups[index];
}

bool ks_query_find_group(const KsSim *sim, const char *name, size_t *out_index)
{
    for (size_t i = 0; i < G_N_ELEMENTS(groups); i++)
        if (strcmp(groups[i].name, name) == 0) {
            *out_index = i;
            return true;
        }
    return false;
}

static GArray *array_of(const void *items, size_t size, size_t n)
{
    GArray *a = g_array_new(FALSE, FALSE, (guint)size);
    g_array_append_vals(a, items, (guint)n);
    return a;
}

GArray *ks_query_group_members(const KsSim *sim, size_t group)
{
    return group == 1 ? array_of(billing_members, sizeof(KsMemberInfo), 2)
                      : array_of(NULL, sizeof(KsMemberInfo), 0);
}

GArray *ks_query_member_assignment(const KsSim *sim, size_t group, const char *member)
{
    bool c1 = group == 1 && strcmp(member, "c1") == 0;
    return array_of(billing_offsets, sizeof(KsGroupOffsetInfo), c1 ? 2 : 0);
}

GArray *ks_query_group_offsets(const KsSim *sim, size_t group)
{
    return group == 1 ? array_of(billing_offsets, sizeof(KsGroupOffsetInfo), 2)
                      : array_of(audit_offsets, sizeof(KsGroupOffsetInfo), 2);
}

size_t ks_query_n_consumers(const KsSim *sim)
{
    return G_N_ELEMENTS(consumers);
}

void ks_query_consumer(const KsSim *sim, size_t index, KsConsumerInfo *out)
{
    *out = consumers[index];
}

bool ks_query_find_consumer(const KsSim *sim, const char *name, KsConsumerInfo *out)
{
    for (size_t i = 0; i < G_N_ELEMENTS(consumers); i++)
        if (strcmp(consumers[i].name, name) == 0) {
            *out = consumers[i];
            return true;
        }
    return false;
}

/* ---- the views ---- */

#define CLUSTER "cluster nodes=3 brokers-per-node=1\ntopic orders partitions=2\n"

/* A sim of CLUSTER; it borrows *@plan, which the caller frees after it. */
static KsSim *new_sim(KsPlan **plan)
{
    *plan = parse_ok(CLUSTER);
    g_autoptr(GError) error = NULL;
    KsSim *sim = ks_sim_new(*plan, true, 1, 0, &error);
    if (!sim)
        fail_msg("%s", error->message);
    return sim;
}

static void test_check_group_conditions(void **state)
{
    static const struct {
        const char *condition;
        bool held;
        const char *actual;
    } cases[] = {
        {"lag billing == 5", true, "lag of billing is 5; nothing committed for orders-1"},
        {"lag audit > 100", true, "lag of audit is 115"},
        {"lag other == 0", false, "group other does not exist"},
        {"committed billing orders-0 == 120", true,
         "committed offset of billing for orders-0 is 120"},
        {"committed billing orders-1 >= 0", false, "billing has committed nothing for orders-1"},
        {"committed billing orders-1 != 5", true, "billing has committed nothing for orders-1"},
        {"position billing orders-0 > 120", true, "position of c1 on orders-0 is 123"},
        {"position audit orders-0 == 10", false, "orders-0 has no owner in audit"},
        {"group-state billing == Stable", true, "state of billing is Stable (generation 4)"},
        {"group-state audit != Empty", false, "state of audit is Empty (generation 1)"},
        {"group-state other == Dead", true, "group other does not exist: its state is Dead"},
        {"coordinator billing == 2", true, "coordinator of billing is 2 (__consumer_offsets-12)"},
        {"coordinator audit == none", true, "coordinator of audit is none (__consumer_offsets-37)"},
        {"assignment c1 == {orders-1,orders-0}", true, "assignment of c1 is {orders-0,orders-1}"},
        {"assignment c2 == {orders-0}", false, "assignment of c2 is {}"},
        {"assignment c2 == {}", true, "assignment of c2 is {}"},
        {"idle c2", true, "consumer c2 is idle"},
        {"idle c1", false, "consumer c1 is not idle"},
        {"idle c3 == false", true, "consumer c3 is not running"},
        {"no-duplicates", false, "150 records delivered again (billing 150)"},
        {"records-consumed == 1108", true, "it is 1108"},
        {"records-duplicated == 150", true, "it is 150"},
        {"records-skipped > 7", false, "it is 7"},
        {"rebalances == 3", true, "it is 3"},
    };
    g_autoptr(KsPlan) cluster = NULL;
    g_autoptr(KsSim) sim = new_sim(&cluster);
    for (size_t i = 0; i < G_N_ELEMENTS(cases); i++) {
        g_autofree char *text = g_strdup_printf(CLUSTER "consumer c1 group=billing topics=orders\n"
                                                        "consumer c2 group=billing topics=orders\n"
                                                        "consumer c3 group=audit topics=orders\n"
                                                        "group other\nexpect %s\n",
                                                cases[i].condition);
        g_autoptr(KsPlan) plan = parse_ok(text);
        g_autofree char *actual = NULL;
        bool held = ks_check_expect(sim, expect_n(plan, 0), &actual);
        if (held != cases[i].held || strcmp(actual, cases[i].actual) != 0)
            fail_msg("expect %s: %s, \"%s\"; expected %s, \"%s\"", cases[i].condition,
                     held ? "held" : "failed", actual, cases[i].held ? "held" : "failed",
                     cases[i].actual);
    }
}

/* The contract's keys in its order, then lag and skipped; groups by name,
 * members by id, -1 for what is missing. */
static void test_check_summary_groups(void **state)
{
    g_autoptr(KsPlan) cluster = NULL;
    g_autoptr(KsSim) sim = new_sim(&cluster);
    g_autofree char *json = ks_summary_json(sim);
    const char *begin = strstr(json, "  \"groups\"");
    const char *end = strstr(json, "  \"stats\"");
    assert_non_null(begin);
    assert_non_null(end);
    g_autofree char *got = g_strndup(begin, (gsize)(end - begin));
    const char *want = "  \"groups\" : [\n"
                       "    {\n"
                       "      \"name\" : \"audit\",\n"
                       "      \"state\" : \"Empty\",\n"
                       "      \"generation\" : 1,\n"
                       "      \"protocol\" : \"\",\n"
                       "      \"duplicates\" : 0,\n"
                       "      \"members\" : [],\n"
                       "      \"offsets\" : [\n"
                       "        {\n"
                       "          \"partition\" : \"orders-0\",\n"
                       "          \"committed\" : 10,\n"
                       "          \"lag\" : 115,\n"
                       "          \"position\" : -1\n"
                       "        },\n"
                       "        {\n"
                       "          \"partition\" : \"orders-1\",\n"
                       "          \"committed\" : 98,\n"
                       "          \"lag\" : 0,\n"
                       "          \"position\" : -1\n"
                       "        }\n"
                       "      ],\n"
                       "      \"lag\" : 115,\n"
                       "      \"skipped\" : 0\n"
                       "    },\n"
                       "    {\n"
                       "      \"name\" : \"billing\",\n"
                       "      \"state\" : \"Stable\",\n"
                       "      \"generation\" : 4,\n"
                       "      \"protocol\" : \"range\",\n"
                       "      \"duplicates\" : 150,\n"
                       "      \"members\" : [\n"
                       "        {\n"
                       "          \"id\" : \"c1\",\n"
                       "          \"assignment\" : [\n"
                       "            \"orders-0\",\n"
                       "            \"orders-1\"\n"
                       "          ]\n"
                       "        },\n"
                       "        {\n"
                       "          \"id\" : \"c2\",\n"
                       "          \"assignment\" : []\n"
                       "        }\n"
                       "      ],\n"
                       "      \"offsets\" : [\n"
                       "        {\n"
                       "          \"partition\" : \"orders-0\",\n"
                       "          \"committed\" : 120,\n"
                       "          \"lag\" : 5,\n"
                       "          \"position\" : 123\n"
                       "        },\n"
                       "        {\n"
                       "          \"partition\" : \"orders-1\",\n"
                       "          \"committed\" : -1,\n"
                       "          \"lag\" : -1,\n"
                       "          \"position\" : 40\n"
                       "        }\n"
                       "      ],\n"
                       "      \"lag\" : 5,\n"
                       "      \"skipped\" : 7\n"
                       "    }\n"
                       "  ],\n";
    ks_assert_str_eq(got, want);
    assert_non_null(strstr(json, "\"records_consumed\" : 1108"));
    assert_non_null(strstr(json, "\"rebalances\" : 3"));
}

static void test_check_describe_groups_of_a_sim(void **state)
{
    g_autoptr(KsPlan) cluster = NULL;
    g_autoptr(KsSim) sim = new_sim(&cluster);
    g_autoptr(GString) out = g_string_new(NULL);
    g_autoptr(GString) err = g_string_new(NULL);
    ks_describe_groups(sim, NULL, KS_GROUP_LAYOUT_OFFSETS, out, err);
    ks_assert_str_eq(err->str, "\nConsumer group 'audit' has no active members.\n");
    /* Both tables, by group name; the notice apart, as Kafka's stderr. */
    ks_assert_str_eq(out->str,
                     "\n"
                     "GROUP           TOPIC           PARTITION  CURRENT-OFFSET  LOG-END-OFFSET  "
                     "LAG             CONSUMER-ID     HOST            CLIENT-ID\n"
                     "audit           orders          0          10              125             "
                     "115             -               -               -\n"
                     "audit           orders          1          98              98              0 "
                     "              -               -               -\n"
                     "\n"
                     "GROUP           TOPIC           PARTITION  CURRENT-OFFSET  LOG-END-OFFSET  "
                     "LAG             CONSUMER-ID     HOST            CLIENT-ID\n"
                     "billing         orders          0          120             125             5 "
                     "              c1              /n1             c1\n"
                     "billing         orders          1          -               98              - "
                     "              c1              /n1             c1\n");
    g_string_truncate(out, 0);
    ks_describe_groups(sim, "billing", KS_GROUP_LAYOUT_STATE, out, NULL);
    /* The coordinator as host:port: broker 2 listens on n2:9092. */
    ks_assert_str_eq(out->str, "\n"
                               "GROUP                     COORDINATOR (ID)          "
                               "ASSIGNMENT-STRATEGY  STATE           #MEMBERS\n"
                               "billing                   n2:9092  (2)              range          "
                               "      Stable          2\n");
    g_string_truncate(out, 0);
    ks_describe_groups(sim, "nobody", KS_GROUP_LAYOUT_OFFSETS, out, NULL);
    ks_assert_str_eq(out->str, "\nError: Consumer group 'nobody' does not exist.\n");
}

static void collect_line(const char *line, void *ctx)
{
    g_string_append_printf(ctx, "%s\n", line);
}

/* The timeline prints the table under the action's line, Kafka's blank
 * lines left out; the trace carries the table as Kafka prints it. */
static void test_check_describe_groups_action(void **state)
{
    g_autoptr(KsPlan) plan = parse_ok(CLUSTER "at 2s describe groups\nrun until 3s\n");
    g_autoptr(GError) error = NULL;
    g_autoptr(KsSim) sim = ks_sim_new(plan, true, 1, plan->run_until, &error);
    assert_non_null(sim);
    g_autoptr(GString) lines = g_string_new(NULL);
    g_autoptr(KsTimeline) tl = ks_timeline_new(sim, false, collect_line, lines);
    ks_sim_add_sink(sim, ks_timeline_sink, tl);
    ks_sim_run(sim);
    const char *at = strstr(lines->str, "     2.000s  groups");
    if (!at)
        fail_msg("no describe groups line in\n%s", lines->str);
    g_auto(GStrv) rows = g_strsplit(at, "\n", 9);
    ks_assert_str_eq(rows[0], "     2.000s  groups      describe groups");
    ks_assert_str_eq(rows[1],
                     "                         Consumer group 'audit' has no active members.");
    ks_assert_str_eq(rows[2], "                         GROUP           TOPIC           PARTITION  "
                              "CURRENT-OFFSET  LOG-END-OFFSET  LAG             CONSUMER-ID     "
                              "HOST            CLIENT-ID");
    ks_assert_str_eq(rows[7], "                         billing         orders          1          "
                              "-               98              -               c1              "
                              "/n1             c1");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_check_group_conditions),
        cmocka_unit_test(test_check_summary_groups),
        cmocka_unit_test(test_check_describe_groups_of_a_sim),
        cmocka_unit_test(test_check_describe_groups_action),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
