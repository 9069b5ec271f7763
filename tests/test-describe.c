/* SPDX-License-Identifier: MIT */
/*
 * test-describe.c - kafka-consumer-groups.sh --describe, byte for byte.
 *
 * The formatters get the data of Kafka's reference examples
 * (tests/refs/examples/consumer_groups_describe*.txt: real consumer ids with
 * UUIDs, /10.0.0.x hosts) and must print those files exactly; then the
 * rules the examples do not show: row order by assignment size, committed
 * partitions nobody owns, missing values, the notices for Empty,
 * rebalancing and Dead groups, static members.
 */
#include "ks-test.h"
#include "ks-tsv.h"

#include <string.h>

#include "sim/output-describe.h"

#define C1 "consumer-billing-1-3f2e9c1a-7d4b-4c1e-9a52-0b6f1d2e8c47"
#define C2 "consumer-billing-2-a81c55e0-19d2-4b7e-8f03-6c4d2b9e1f10"

static const KsMemberInfo billing_members[] = {
    {.id = C1, .client_id = "consumer-billing-1", .host = "/10.0.0.12", .n_assigned = 2},
    {.id = C2, .client_id = "consumer-billing-2", .host = "/10.0.0.13", .n_assigned = 1},
};

static const KsGroupOffsetInfo billing_offsets[] = {
    {.topic = "orders", .partition = 0, .committed = 120, .log_end_offset = 125, .owner = C1},
    {.topic = "orders", .partition = 1, .committed = 98, .log_end_offset = 98, .owner = C1},
    {.topic = "orders", .partition = 2, .committed = 40, .log_end_offset = 52, .owner = C2},
};

static KsGroupView billing(void)
{
    KsGroupView v = {
        .info = {.name = "billing", .state = "Stable", .generation = 4, .protocol = "range"},
        .members = billing_members,
        .n_members = G_N_ELEMENTS(billing_members),
        .offsets = billing_offsets,
        .n_offsets = G_N_ELEMENTS(billing_offsets),
        .coordinator = "broker1:9092  (1)",
    };
    return v;
}

static char *example(const char *name)
{
    g_autofree char *file = g_strdup_printf("examples/consumer_groups_describe%s.txt", name);
    g_autofree char *path = refs_path(file);
    char *text = NULL;
    g_autoptr(GError) error = NULL;
    if (!g_file_get_contents(path, &text, NULL, &error))
        fail_msg("%s", error->message);
    return text;
}

/* @v in @layout: stdout must be @want, stderr @want_err. */
static void assert_describes(const KsGroupView *v, KsGroupLayout layout, const char *want,
                             const char *want_err)
{
    g_autoptr(GString) out = g_string_new(NULL);
    g_autoptr(GString) err = g_string_new(NULL);
    ks_describe_group_write(v, layout, out, err);
    if (strcmp(out->str, want) != 0)
        fail_msg("stdout:\n[%s]\nexpected:\n[%s]", out->str, want);
    ks_assert_str_eq(err->str, want_err);
}

static void test_describe_offsets_as_kafka_prints_them(void **state)
{
    KsGroupView v = billing();
    g_autofree char *want = example("");
    assert_describes(&v, KS_GROUP_LAYOUT_OFFSETS, want, "");
}

static void test_describe_empty_group_prints_committed_offsets(void **state)
{
    static const KsGroupOffsetInfo offsets[] = {
        {.topic = "orders", .partition = 0, .committed = 120, .log_end_offset = 131},
        {.topic = "orders", .partition = 1, .committed = 98, .log_end_offset = 104},
        {.topic = "orders", .partition = 2, .committed = 40, .log_end_offset = 60},
    };
    KsGroupView v = {.info = {.name = "billing", .state = "Empty", .protocol = ""},
                     .offsets = offsets,
                     .n_offsets = G_N_ELEMENTS(offsets)};
    g_autofree char *want = example("_empty_group");
    assert_describes(&v, KS_GROUP_LAYOUT_OFFSETS, want,
                     "\nConsumer group 'billing' has no active members.\n");
    /* Without @err the notice comes first on the one stream. */
    g_autoptr(GString) both = g_string_new(NULL);
    ks_describe_group_write(&v, KS_GROUP_LAYOUT_OFFSETS, both, NULL);
    g_autofree char *joined =
        g_strconcat("\nConsumer group 'billing' has no active members.\n", want, NULL);
    ks_assert_str_eq(both->str, joined);
}

static void test_describe_members_and_state_layouts(void **state)
{
    KsGroupView v = billing();
    g_autofree char *members = example("_members");
    assert_describes(&v, KS_GROUP_LAYOUT_MEMBERS, members, "");
    g_autofree char *st = example("_state");
    assert_describes(&v, KS_GROUP_LAYOUT_STATE, st, "");
}

/* The member with most partitions comes first whatever its id; inside a
 * member partitions go by number; then committed partitions nobody owns;
 * partitions never committed show "-" for the offset and the lag, and
 * partitions neither owned nor committed are not shown. */
static void test_describe_row_order_and_missing_values(void **state)
{
    static const KsMemberInfo members[] = {
        {.id = "a", .client_id = "a", .host = "/n1", .n_assigned = 1},
        {.id = "b", .client_id = "b", .host = "/n2", .n_assigned = 2},
        {.id = "c", .client_id = "c", .host = "/n3", .n_assigned = 0},
    };
    static const KsGroupOffsetInfo offsets[] = {
        {.topic = "orders", .partition = 0, .committed = 5, .log_end_offset = 9, .owner = "a"},
        {.topic = "orders", .partition = 1, .committed = -1, .log_end_offset = 7, .owner = "b"},
        {.topic = "orders", .partition = 2, .committed = 3, .log_end_offset = 3, .owner = NULL},
        {.topic = "orders", .partition = 3, .committed = -1, .log_end_offset = 4, .owner = NULL},
        {.topic = "payments-eu-west",
         .partition = 0,
         .committed = 2,
         .log_end_offset = 2,
         .owner = "b"},
    };
    KsGroupView v = {.info = {.name = "g", .state = "Stable", .protocol = "range"},
                     .members = members,
                     .n_members = G_N_ELEMENTS(members),
                     .offsets = offsets,
                     .n_offsets = G_N_ELEMENTS(offsets)};
    const char *want =
        "\n"
        "GROUP           TOPIC            PARTITION  CURRENT-OFFSET  LOG-END-OFFSET  LAG        "
        "     CONSUMER-ID     HOST            CLIENT-ID\n"
        "g               payments-eu-west 0          2               2               0          "
        "     b               /n2             b\n"
        "g               orders           1          -               7               -          "
        "     b               /n2             b\n"
        "g               orders           0          5               9               4          "
        "     a               /n1             a\n"
        "g               orders           2          3               3               0          "
        "     -               -               -\n";
    assert_describes(&v, KS_GROUP_LAYOUT_OFFSETS, want, "");
}

static void test_describe_notices_by_state(void **state)
{
    KsGroupView v = billing();
    v.info.state = "PreparingRebalance";
    g_autofree char *table = example("");
    assert_describes(&v, KS_GROUP_LAYOUT_OFFSETS, table,
                     "\nWarning: Consumer group 'billing' is rebalancing.\n");
    v.info.state = "Dead";
    assert_describes(&v, KS_GROUP_LAYOUT_OFFSETS,
                     "\nError: Consumer group 'billing' does not exist.\n", "");
    /* An Empty group with nothing committed: the notice, no table. */
    KsGroupView empty = {.info = {.name = "new", .state = "Empty", .protocol = ""}};
    assert_describes(&empty, KS_GROUP_LAYOUT_OFFSETS, "",
                     "\nConsumer group 'new' has no active members.\n");
    assert_describes(&empty, KS_GROUP_LAYOUT_MEMBERS, "",
                     "\nConsumer group 'new' has no active members.\n");
}

/* A static member adds GROUP-INSTANCE-ID (at least 17 wide) after
 * CONSUMER-ID; "-" for the dynamic ones. */
static void test_describe_members_with_group_instance_id(void **state)
{
    static const KsMemberInfo members[] = {
        {.id = "c1", .client_id = "c1", .host = "/n1", .instance_id = "web-1", .n_assigned = 3},
        {.id = "c2", .client_id = "c2", .host = "/n2", .n_assigned = 0},
    };
    KsGroupView v = {.info = {.name = "g", .state = "Stable", .protocol = "range"},
                     .members = members,
                     .n_members = G_N_ELEMENTS(members)};
    const char *want = "\n"
                       "GROUP           CONSUMER-ID     GROUP-INSTANCE-ID HOST            "
                       "CLIENT-ID       #PARTITIONS     \n"
                       "g               c1              web-1             /n1             "
                       "c1              3               \n"
                       "g               c2              -                 /n2             "
                       "c2              0               \n";
    assert_describes(&v, KS_GROUP_LAYOUT_MEMBERS, want, "");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_describe_offsets_as_kafka_prints_them),
        cmocka_unit_test(test_describe_empty_group_prints_committed_offsets),
        cmocka_unit_test(test_describe_members_and_state_layouts),
        cmocka_unit_test(test_describe_row_order_and_missing_values),
        cmocka_unit_test(test_describe_notices_by_state),
        cmocka_unit_test(test_describe_members_with_group_instance_id),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
