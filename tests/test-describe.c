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
 *
 * Then the tables of output-describe-cluster.c on small runs: brokers in
 * both roles (what each leads and follows, the records through it, which
 * add up to what was written), a follower's log truncated by leader epoch,
 * ZooKeeper's ephemeral broker node that outlives the process until the
 * session expires, and the describe actions' events, which carry what is
 * described and no table.
 */
#include "ks-sim-test.h"
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

/* ---- describe brokers, log and zk (output-describe-cluster.c) ---- */

static void assert_has(const char *text, const char *want)
{
    if (!strstr(text, want))
        fail_msg("no \"%s\" in:\n%s", want, text);
}

/* Before any failure each broker leads one partition and follows two; what
 * the leaders appended is every record written, and each record reached
 * both followers. */
static void test_describe_brokers_both_roles(void **state)
{
    g_autoptr(KsSimTest) t = ks_sim_test_new(KS_SIM_TEST_QUICKSTART);
    ks_sim_test_run_until(t, 2 * KS_TIME_S);
    g_autoptr(GString) out = g_string_new(NULL);
    ks_describe_brokers(t->sim, out);
    assert_has(out->str, "BROKER HOST    RACK STATE          LEADER-FOR FOLLOWER-FOR RECORDS-IN");
    assert_has(out->str, "\n1      n1:9092 -    up, controller 1          2 ");
    assert_has(out->str, "Broker 2 leads orders-1; follows orders-0, orders-2\n");
    int64_t in = 0, replicated = 0, written = 0;
    for (size_t i = 0; i < ks_query_n_brokers(t->sim); i++) {
        KsBrokerTraffic tr;
        ks_query_broker_traffic(t->sim, i, &tr);
        in += tr.records_in;
        replicated += tr.records_replicated_in;
        ks_assert_i64_eq(tr.records_out, 0);
    }
    for (int32_t p = 0; p < 3; p++)
        written += ks_sim_test_partition(t, "orders", p).high_watermark;
    ks_assert_i64_eq(in, written);
    ks_assert_i64_eq(replicated, 2 * written);

    ks_sim_test_run_until(t, 5 * KS_TIME_S);
    g_string_truncate(out, 0);
    ks_describe_brokers(t->sim, out);
    assert_has(out->str, "\n2      n2:9092 -    down (ZooKeeper session open) 1 ");
}

/* acks=1 and a leader crash: the returning old leader truncates what the
 * new leader never had, above the high watermark; the log table shows the
 * epochs and the cut. */
static void test_describe_log_shows_truncation(void **state)
{
    g_autoptr(KsSimTest) t =
        ks_sim_test_new("seed 7\n"
                        "cluster nodes=3 zones=eu-1a,eu-1b,eu-1c\n"
                        "topic events partitions=1 replication-factor=2 replica-placement-start=1\n"
                        "producer fast topic=events acks=1 node=n2 rate=20000/s\n"
                        "at 5s crash broker 2\n"
                        "at 30s restart broker 2\n"
                        "run until 31s\n");
    ks_sim_test_run(t);
    const KsSimTestEvent *cut = ks_sim_test_find(t, 0, "\"type\":\"truncated\"");
    assert_non_null(cut);
    g_autoptr(GString) out = g_string_new(NULL);
    ks_describe_log(t->sim, 0, 0, out);
    assert_has(out->str, "Topic: events\tPartition: 0\tLeader: 1\tLeaderEpoch: 1\tIsr: 1,2\n");
    assert_has(out->str, "\n1      leader   up    yes    0 ");
    int64_t new_start = ks_sim_test_epoch_start(t, "events", 0, 1, 1);
    g_autofree char *epoch0 =
        g_strdup_printf("\n2      0            0            %" PRId64 " ", new_start - 1);
    assert_has(out->str, epoch0);
    g_autofree char *at = ks_format_time(cut->ev.t);
    g_autofree char *row =
        g_strdup_printf("\n2      %s %" PRId64 " ", at, cut->ev.truncated.to_offset);
    assert_has(out->str, row);
    g_autofree char *count = g_strdup_printf(" %" PRId64 "\n", cut->ev.truncated.from_offset -
                                                                   cut->ev.truncated.to_offset);
    assert_has(out->str, count);
    ks_assert_i64_eq(cut->ev.truncated.to_offset, new_start);
}

/* Broker 2's ephemeral /brokers/ids/2 stays while its session lives, then
 * goes; the partition state is the controller's. */
static void test_describe_zk_ephemeral_node(void **state)
{
    g_autoptr(KsSimTest) t = ks_sim_test_new(KS_SIM_TEST_QUICKSTART);
    ks_sim_test_run_until(t, 5 * KS_TIME_S);
    g_autoptr(GString) out = g_string_new(NULL);
    ks_describe_zk(t->sim, out);
    assert_has(out->str, "\n/brokers/ids/2 {\"endpoints\":[\"PLAINTEXT://n2:9092\"],");
    assert_has(out->str, "its process is down");
    assert_has(out->str, "\n/controller {\"version\":2,\"brokerid\":1}");
    assert_has(out->str, "\n/controller_epoch 1\n");
    ks_sim_test_run_until(t, 24 * KS_TIME_S);
    g_string_truncate(out, 0);
    ks_describe_zk(t->sim, out);
    if (strstr(out->str, "/brokers/ids/2"))
        fail_msg("/brokers/ids/2 outlived broker 2's session:\n%s", out->str);
    assert_has(out->str,
               "/brokers/topics/orders/partitions/1/state {\"leader\":3,\"leader_epoch\":1,"
               "\"isr\":[3,1],\"version\":1}");
}

/* The actions' events say what is described, never the table. */
static void test_describe_actions_carry_what(void **state)
{
    g_autoptr(KsSimTest) t = ks_sim_test_new("cluster nodes=3\n"
                                             "topic orders partitions=2 replication-factor=3\n"
                                             "at 1s describe brokers\n"
                                             "at 1s describe log orders-1\n"
                                             "at 1s describe zk\n"
                                             "run until 2s\n");
    ks_sim_test_run(t);
    assert_non_null(ks_sim_test_find(t, 0, "\"type\":\"describe\",\"what\":\"brokers\"}"));
    assert_non_null(ks_sim_test_find(
        t, 0, "\"type\":\"describe\",\"what\":\"log\",\"topic\":\"orders\",\"partition\":1}"));
    assert_non_null(ks_sim_test_find(t, 0, "\"type\":\"describe\",\"what\":\"zk\"}"));
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
        cmocka_unit_test(test_describe_brokers_both_roles),
        cmocka_unit_test(test_describe_log_shows_truncation),
        cmocka_unit_test(test_describe_zk_ephemeral_node),
        cmocka_unit_test(test_describe_actions_carry_what),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
