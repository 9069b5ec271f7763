/* SPDX-License-Identifier: MIT */
/*
 * test-capacity.c - machine types, their limits and the run's cost
 * (sim/capacity.c, sim/scenario-decl-capacity.c, sim/prices.c).
 *
 *  - `node-type` reads sizes, throughputs and prices exactly, refuses what
 *    is not exact or not a quantity, and `type=` names a declared type or
 *    one of the price table's;
 *  - the cost is a pure function of the scenario and the price table: the
 *    machine and storage figures below are computed by hand from the
 *    table, and two runs agree to the millionth of a dollar;
 *  - three zones cost more than one for the same load (replication crosses
 *    zones), and nothing else changes the bill;
 *  - a node's network is a limit: past it, doubling the demand does not
 *    double what is acknowledged, and records wait longer;
 *  - a scenario without types has no cost and no limits.
 */
#include "ks-scenario-test.h"
#include "ks-sim-test.h"

#include <string.h>

#include "kafkasim/output.h"
#include "kafkasim/prices.h"
#include "kafkasim/scenario.h"

#define S KS_TIME_S

static const KsPlanNodeType *plan_type(const KsPlan *plan, const char *name)
{
    for (guint i = 0; i < plan->node_types->len; i++) {
        const KsPlanNodeType *t = plan->node_types->pdata[i];
        if (strcmp(t->name, name) == 0)
            return t;
    }
    fail_msg("no node type %s", name);
    return NULL;
}

static void test_capacity_node_type_quantities_are_exact(void **state)
{
    g_autoptr(KsPlan) plan =
        parse_ok("node-type big vcpus=8 memory=32GiB network=10Gbit/s disk=500MB/s disk-size=1.5TB "
                 "price=0.50/h storage-price=0.08/GB-month\n"
                 "node n1 type=big\nnode n2 type=m5.xlarge\nbroker 1 node=n1\n");
    const KsPlanNodeType *big = plan_type(plan, "big");
    ks_assert_i64_eq(big->vcpus, 8);
    ks_assert_i64_eq(big->memory_bytes, (int64_t)32 * 1024 * 1024 * 1024);
    ks_assert_i64_eq(big->network_bytes_per_s, 1250000000);
    ks_assert_i64_eq(big->disk_bytes_per_s, 500000000);
    ks_assert_i64_eq(big->disk_bytes, 1500000000000);
    ks_assert_i64_eq(big->price_micro_usd_per_h, 500000);
    ks_assert_i64_eq(big->storage_micro_usd_per_gb_month, 80000);
    /* The table's type came into the plan because a node uses it. */
    const KsPlanNodeType *m5 = plan_type(plan, "m5.xlarge");
    ks_assert_i64_eq(m5->vcpus, 4);
    ks_assert_i64_eq(m5->price_micro_usd_per_h, 192000);
    ks_assert_i64_eq(m5->network_bytes_per_s, 1250 * 1000 * 1000 / 8);
    assert_string_equal(((KsPlanNode *)plan->nodes->pdata[1])->type, "m5.xlarge");
    ks_assert_i64_eq(plan->node_types->len, 2);
}

static void test_capacity_bad_node_types_are_refused(void **state)
{
    static const struct {
        const char *text;
        const char *message;
    } cases[] = {
        {"node-type t network=10Gbit\n",
         "test.ks:1:21: error: network=10Gbit: expected a throughput, e.g. network=10Gbit/s"},
        {"node-type t network=1bit/s\n",
         "test.ks:1:21: error: network=1bit/s: expected a throughput, e.g. network=10Gbit/s"},
        {"node-type t price=0.1234567/h\n",
         "test.ks:1:19: error: price=0.1234567/h: expected a price per hour, e.g. price=0.50/h"},
        {"node-type t memory=lots\n",
         "test.ks:1:20: error: memory=lots: expected a size, e.g. memory=32GB"},
        {"node-type m5.large vcpus=2\n",
         "test.ks:1:11: error: 'm5.large' is a type of the price table (docs/prices.md); give "
         "yours another name"},
        {"node-type t\nnode-type t\n",
         "test.ks:2:11: error: node type 't' is already declared on line 1"},
        {"node n1 type=m5.xlargee\n",
         "test.ks:1:14: error: node type 'm5.xlargee' is neither declared with node-type nor "
         "in the price table (docs/prices.md); did you mean 'm5.xlarge'?"},
    };
    for (size_t i = 0; i < G_N_ELEMENTS(cases); i++) {
        g_autofree char *msg = parse_err(cases[i].text, NULL);
        assert_string_equal(msg, cases[i].message);
    }
}

#define PRICED                                                                                     \
    "node-type big network=10Gbit/s disk=500MB/s disk-size=2TB price=0.50/h "                      \
    "storage-price=0.08/GB-month\n"

static KsCostInfo cost_of(const char *text)
{
    g_autoptr(KsSimTest) t = ks_sim_test_new(text);
    ks_sim_test_run(t);
    assert_true(ks_query_has_cost(t->sim));
    KsCostInfo c;
    ks_query_cost(t->sim, &c);
    return c;
}

/* 3 machines for 36 s at $0.50/h: 3 * 0.5 * 36 / 3600 = $0.015. Their
 * 2 TB volumes at $0.08/GB-month: 6000 GB * 0.08 * 36 s / (730 h) =
 * $0.006575 (rounded down). Records: 100/s of 1000 B for 36 s from a
 * client on its own machine (free), replicated twice. */
static void test_capacity_cost_is_a_function_of_scenario_and_table(void **state)
{
    const char *text = PRICED "cluster nodes=3 type=big zones=a,b,c\n"
                              "topic t partitions=3 replication-factor=3\n"
                              "producer p topic=t rate=100/s record-size=1000 acks=all\n"
                              "run until 36s\n";
    KsCostInfo c = cost_of(text);
    ks_assert_i64_eq(c.machines_micro_usd, 15000);
    ks_assert_i64_eq(c.storage_micro_usd, 6575);
    /* Every acknowledged record went in once and out to two followers in
     * other zones. */
    int64_t in = c.transfer_bytes[KS_TRANSFER_WITHIN_ZONE];
    assert_true(in >= 3500 * 1000 && in <= 3600 * 1000);
    assert_true(c.transfer_bytes[KS_TRANSFER_ACROSS_ZONES] >= 2 * (in - 20 * 1000));
    assert_true(c.transfer_bytes[KS_TRANSFER_ACROSS_ZONES] <= 2 * in);
    ks_assert_i64_eq(c.transfer_micro_usd[KS_TRANSFER_ACROSS_ZONES],
                     c.transfer_bytes[KS_TRANSFER_ACROSS_ZONES] * 20000 / 1000000000);
    ks_assert_i64_eq(c.transfer_bytes[KS_TRANSFER_ACROSS_SITES], 0);
    ks_assert_i64_eq(c.total_micro_usd, c.machines_micro_usd + c.storage_micro_usd +
                                            c.transfer_micro_usd[KS_TRANSFER_ACROSS_ZONES]);
    /* Pure: the same scenario costs the same, to the millionth. */
    KsCostInfo again = cost_of(text);
    assert_memory_equal(&c, &again, sizeof c);
}

static void test_capacity_three_zones_cost_more_than_one(void **state)
{
    const char *load = "topic t partitions=3 replication-factor=3\n"
                       "producer p topic=t rate=1000/s record-size=1000 acks=all\n"
                       "run until 20s\n";
    g_autofree char *one = g_strconcat(PRICED "cluster nodes=3 type=big zones=a\n", load, NULL);
    g_autofree char *three =
        g_strconcat(PRICED "cluster nodes=3 type=big zones=a,b,c\n", load, NULL);
    KsCostInfo c1 = cost_of(one), c3 = cost_of(three);
    ks_assert_i64_eq(c1.transfer_bytes[KS_TRANSFER_ACROSS_ZONES], 0);
    assert_true(c3.transfer_bytes[KS_TRANSFER_ACROSS_ZONES] > 0);
    ks_assert_i64_eq(c1.machines_micro_usd, c3.machines_micro_usd);
    ks_assert_i64_eq(c1.storage_micro_usd, c3.storage_micro_usd);
    assert_true(c3.total_micro_usd > c1.total_micro_usd);
}

typedef struct {
    int64_t acked;
    int64_t pending;
    int32_t network_in_permille;
} Load;

/* One broker on a node that moves 1 MB/s, producers of 1000-byte records
 * at @rate per second for 20 s. */
static Load run_load(int rate)
{
    g_autofree char *text = g_strdup_printf("node-type small network=1MB/s price=0.10/h\n"
                                            "cluster nodes=1 type=small\n"
                                            "topic t partitions=1 replication-factor=1\n"
                                            "producer p topic=t rate=%d/s record-size=1000 acks=1\n"
                                            "run until 20s\n",
                                            rate);
    g_autoptr(KsSimTest) t = ks_sim_test_new(text);
    ks_sim_test_run(t);
    KsSimStats st;
    ks_sim_get_stats(t->sim, &st);
    KsNodeLoadInfo load;
    ks_query_node_load(t->sim, 0, &load);
    assert_string_equal(load.type, "small");
    return (Load){st.records_acked, st.records_pending, load.network_in_permille};
}

static void test_capacity_throughput_saturates_at_the_network(void **state)
{
    Load below = run_load(500), at = run_load(1000), twice = run_load(2000);
    /* Below the limit, what is sent is acknowledged. */
    assert_true(below.acked >= 500 * 20 - 100);
    assert_true(below.network_in_permille >= 450 && below.network_in_permille <= 550);
    /* At 1 MB/s the node takes 1000 records a second and no more: doubling
     * the demand adds nothing acknowledged. */
    assert_true(at.acked >= 1000 * 20 - 200 && at.acked <= 1000 * 20);
    assert_true(twice.acked <= 1000 * 20);
    assert_true(twice.acked < at.acked * 11 / 10);
    assert_true(twice.network_in_permille >= 990);
    /* What is not acknowledged waits: by Little's law, the time a record
     * spends in the producer is pending / throughput, which grows from
     * well under a second to about ten. */
    assert_true(at.pending < 1000);
    assert_true(twice.pending >= 9000);
}

static void test_capacity_without_types_nothing_is_priced(void **state)
{
    /* The demand that saturated a 1 MB/s node above, on a node without a
     * type. */
    g_autoptr(KsSimTest) t =
        ks_sim_test_new("cluster nodes=1\ntopic t partitions=1 replication-factor=1\n"
                        "producer p topic=t rate=2000/s record-size=1000 acks=1\n"
                        "run until 20s\n");
    ks_sim_test_run(t);
    assert_false(ks_query_has_cost(t->sim));
    KsNodeLoadInfo load;
    ks_query_node_load(t->sim, 0, &load);
    assert_null(load.type);
    KsSimStats st;
    ks_sim_get_stats(t->sim, &st);
    /* Unlimited: all of it is acknowledged. */
    assert_true(st.records_acked >= 2000 * 20 - 10);
    g_autofree char *json = ks_summary_json(t->sim);
    assert_null(strstr(json, "\"cost\""));
}

/* add broker: a new machine joins a running cluster, registers, and
 * nothing stops. */
static void test_capacity_added_broker_joins_without_downtime(void **state)
{
    g_autoptr(KsSimTest) t = ks_sim_test_new(
        "cluster nodes=4\ntopic t partitions=3 replication-factor=3 min.insync.replicas=2\n"
        "producer p topic=t rate=100/s acks=all\n"
        "at 5s add broker 5 node=n4\nrun until 20s\n");
    ks_sim_test_run_until(t, 5 * S - 1);
    KsBrokerInfo none;
    assert_false(ks_query_find_broker(t->sim, 5, &none));
    ks_sim_test_run(t);
    KsBrokerInfo b = ks_sim_test_broker(t, 5);
    assert_true(b.alive);
    assert_true(b.registered);
    ks_assert_str_eq(b.node, "n4");
    assert_non_null(ks_sim_test_find(t, 5 * S, "\"type\":\"broker_started\",\"broker\":5"));
    KsSimStats st;
    ks_sim_get_stats(t->sim, &st);
    ks_assert_i64_eq(st.leader_elections, 0);
    ks_assert_i64_eq(st.unavailable_us, 0);
    ks_assert_i64_eq(st.records_acked + st.records_pending, st.records_produced);
}

#define RESIZE_CLUSTER                                                                             \
    "node-type small network=100Mbit/s price=0.10/h\n"                                             \
    "node-type big network=1Gbit/s price=0.40/h\n"                                                 \
    "cluster nodes=3 type=small zones=a,b,c\n"                                                     \
    "topic t partitions=3 replication-factor=3 min.insync.replicas=2\n"                            \
    "producer p topic=t rate=500/s record-size=1000 acks=all\n"

/* The time of the first event at or after @from matching @match; fails the
 * test if none. */
static KsTime when(const KsSimTest *t, KsTime from, const char *match)
{
    const KsSimTestEvent *e = ks_sim_test_find(t, from, match);
    if (!e)
        fail_msg("no event %s after %" PRId64 " us", match, from);
    return e->ev.t;
}

/* resize node: its broker stops cleanly (leaders move), the machine is
 * down for the downtime, the broker starts again on the new type; no
 * partition is without a leader and no acknowledged record is lost. */
static void test_capacity_resize_restarts_the_brokers(void **state)
{
    g_autoptr(KsSimTest) t =
        ks_sim_test_new(RESIZE_CLUSTER "at 10s resize node n1 type=big downtime=20s\n"
                                       "run until 60s\nexpect no-acked-data-loss\n");
    ks_sim_test_run(t);
    KsTime stopped = when(t, 10 * S, "\"type\":\"broker_stopped\",\"broker\":1");
    KsTime resized = when(t, 10 * S, "\"type\":\"node_resized\",\"node\":\"n1\"");
    KsTime back = when(t, 10 * S, "\"type\":\"broker_restarted\",\"broker\":1");
    ks_assert_i64_eq(stopped, 10 * S);
    ks_assert_i64_eq(resized, stopped);
    ks_assert_i64_eq(back, resized + 20 * S);
    /* Its leadership moved to another replica before it stopped. */
    assert_true(ks_sim_test_count(t, 10 * S, 10 * S, "\"reason\":\"controlled_shutdown\"") >= 1);
    assert_non_null(ks_sim_test_find(t, back, "\"type\":\"isr_expanded\""));
    KsNodeLoadInfo load;
    ks_query_node_load(t->sim, 0, &load);
    ks_assert_str_eq(load.type, "big");
    KsSimStats st;
    ks_sim_get_stats(t->sim, &st);
    ks_assert_i64_eq(st.unavailable_us, 0);
    ks_assert_i64_eq(st.records_lost, 0);
    assert_true(ks_sim_all_held(t->sim));
    /* Billing follows the machine: 10 s small, then big. */
    KsCostTypeInfo small, big;
    ks_query_cost_type(t->sim, 0, &small);
    ks_query_cost_type(t->sim, 1, &big);
    ks_assert_i64_eq(small.machine_us, 2 * 60 * S + 10 * S);
    ks_assert_i64_eq(big.machine_us, 50 * S);
}

/* rolling-resize waits for each node's brokers to be back in every ISR
 * before it stops the next. */
static void test_capacity_rolling_resize_waits_for_the_isr(void **state)
{
    g_autoptr(KsSimTest) t = ks_sim_test_new(RESIZE_CLUSTER "at 10s rolling-resize type=big\n"
                                                            "run until 3m\n");
    ks_sim_test_run(t);
    KsTime prev = 0;
    for (KsBrokerId id = 1; id <= 3; id++) {
        g_autofree char *stop = g_strdup_printf("\"type\":\"broker_stopped\",\"broker\":%d", id);
        g_autofree char *back = g_strdup_printf("\"type\":\"broker_restarted\",\"broker\":%d", id);
        KsTime stopped = when(t, 0, stop);
        assert_true(stopped >= prev);
        KsTime restarted = when(t, stopped, back);
        ks_assert_i64_eq(restarted, stopped + 30 * S);
        /* The next node stops only after this broker rejoined all three. */
        for (int p = 0; p < 3; p++) {
            g_autofree char *m = g_strdup_printf(
                "\"type\":\"isr_expanded\",\"topic\":\"t\",\"partition\":%d,\"broker\":%d", p, id);
            prev = MAX(prev, when(t, restarted, m));
        }
    }
    for (int p = 0; p < 3; p++) {
        g_autofree char *isr = ks_sim_test_isr(t, "t", p);
        assert_int_equal(strlen(isr), 5);
    }
    KsSimStats st;
    ks_sim_get_stats(t->sim, &st);
    ks_assert_i64_eq(st.unavailable_us, 0);
    ks_assert_i64_eq(st.records_lost, 0);
}

static void test_capacity_sites_check_their_zones(void **state)
{
    g_autofree char *msg =
        parse_err("site aws kind=public zones=a,b\nnode n1 site=aws zone=c\n", NULL);
    ks_assert_str_eq(msg, "test.ks:2:23: error: zone 'c' is not a zone of site 'aws' (a, b)");
    g_autofree char *msg2 = parse_err("node n1 site=gcp\n", NULL);
    ks_assert_str_eq(msg2, "test.ks:1:14: error: site 'gcp' is not declared; declare it above with "
                           "`site gcp`");
    g_autofree char *msg3 =
        parse_err("site aws zones=a\ncluster nodes=2 site=aws zones=a,b\n", NULL);
    ks_assert_str_eq(msg3, "test.ks:2:34: error: zone 'b' is not a zone of site 'aws' (a)");
    g_autoptr(KsPlan) plan = parse_ok("site onprem wan-latency=25ms wan-bandwidth=1Gbit/s\n"
                                      "cluster nodes=2 site=onprem\n");
    const KsPlanSite *site = plan->sites->pdata[0];
    ks_assert_i64_eq(site->wan_latency, 25 * KS_TIME_MS);
    ks_assert_i64_eq(site->wan_bytes_per_s, 125000000);
    assert_false(site->public_cloud);
    ks_assert_str_eq(((KsPlanNode *)plan->nodes->pdata[1])->site, "onprem");
}

/* Acknowledged acks=all records at 20 s with the third replica @latency
 * away, and the bytes billed across sites. */
static int64_t acked_across_wan(const char *latency, int64_t *across)
{
    g_autofree char *text = g_strdup_printf(
        "site here\nsite there wan-latency=%s\n"
        "node n1 site=here\nnode n2 site=here\nnode n3 site=there\n"
        "broker 1 node=n1\nbroker 2 node=n2\nbroker 3 node=n3\n"
        "topic t partitions=1 replication-factor=3 replica-placement-start=0\n"
        "producer p topic=t rate=1000/s record-size=1000 acks=all node=n1\nrun until 20s\n",
        latency);
    g_autoptr(KsSimTest) t = ks_sim_test_new(text);
    ks_sim_test_run(t);
    KsCostInfo c;
    ks_query_cost(t->sim, &c);
    *across = c.transfer_bytes[KS_TRANSFER_ACROSS_SITES];
    KsSimStats st;
    ks_sim_get_stats(t->sim, &st);
    return st.records_acked;
}

/* A replica across a WAN slows acks=all: the farther, the fewer records
 * acknowledged in the same time; its copy is billed across sites. */
static void test_capacity_wan_latency_slows_acks_all(void **state)
{
    int64_t near_across, far_across;
    int64_t near = acked_across_wan("1ms", &near_across);
    int64_t far = acked_across_wan("50ms", &far_across);
    assert_true(near >= 19900);
    assert_true(far < near * 9 / 10);
    assert_true(near_across >= near * 1000);
    assert_true(far_across >= far * 1000);
}

/* add node, then add broker on it: a machine joins and is billed from
 * then on. */
static void test_capacity_added_node_is_billed_from_then(void **state)
{
    g_autoptr(KsSimTest) t = ks_sim_test_new(
        "cluster nodes=3 type=m5.large\ntopic t partitions=1 replication-factor=3\n"
        "at 10s add node n4 type=m5.xlarge\nat 12s add broker 4 node=n4\nrun until 30s\n");
    ks_sim_test_run(t);
    ks_assert_i64_eq(ks_query_n_nodes(t->sim), 4);
    KsBrokerInfo b = ks_sim_test_broker(t, 4);
    assert_true(b.alive);
    ks_assert_str_eq(b.node, "n4");
    KsCostTypeInfo xl;
    ks_query_cost_type(t->sim, 1, &xl);
    ks_assert_str_eq(xl.type, "m5.xlarge");
    ks_assert_i64_eq(xl.machine_us, 20 * S);
}

static void test_capacity_price_table_is_documented(void **state)
{
    g_autofree char *path = g_build_filename(source_root(), "docs", "prices.md", NULL);
    g_autofree char *doc = NULL;
    if (!g_file_get_contents(path, &doc, NULL, NULL))
        fail_msg("cannot read %s", path);
    assert_non_null(strstr(doc, "June 2024"));
    assert_string_equal(KS_PRICES_DATE, "2024-06");
    for (size_t i = 0; i < ks_prices_n_types(); i++) {
        g_autoptr(KsPlanNodeType) t = ks_prices_type_new(i);
        int64_t cents = t->price_micro_usd_per_h;
        g_autofree char *price =
            g_strdup_printf("%" PRId64 ".%06" PRId64, cents / 1000000, cents % 1000000);
        /* "0.192000" is written "0.192" */
        while (price[strlen(price) - 1] == '0')
            price[strlen(price) - 1] = '\0';
        g_autofree char *row = g_strdup_printf("| `%s` | %s | %" PRId64 " | ", t->name,
                                               ks_prices_provider(i), t->vcpus);
        g_autofree char *row_ci = g_ascii_strdown(row, -1);
        g_autofree char *doc_ci = g_ascii_strdown(doc, -1);
        if (!strstr(doc_ci, row_ci))
            fail_msg("%s: no row %s in docs/prices.md", t->name, row);
        const char *at = strstr(doc_ci, row_ci);
        const char *eol = strchr(at, '\n');
        g_autofree char *line = g_strndup(at, (gsize)(eol - at));
        g_autofree char *cell = g_strdup_printf("| %s |", price);
        if (!strstr(line, cell))
            fail_msg("%s: docs/prices.md does not say %s", t->name, price);
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_capacity_node_type_quantities_are_exact),
        cmocka_unit_test(test_capacity_bad_node_types_are_refused),
        cmocka_unit_test(test_capacity_cost_is_a_function_of_scenario_and_table),
        cmocka_unit_test(test_capacity_three_zones_cost_more_than_one),
        cmocka_unit_test(test_capacity_throughput_saturates_at_the_network),
        cmocka_unit_test(test_capacity_without_types_nothing_is_priced),
        cmocka_unit_test(test_capacity_added_broker_joins_without_downtime),
        cmocka_unit_test(test_capacity_resize_restarts_the_brokers),
        cmocka_unit_test(test_capacity_rolling_resize_waits_for_the_isr),
        cmocka_unit_test(test_capacity_sites_check_their_zones),
        cmocka_unit_test(test_capacity_wan_latency_slows_acks_all),
        cmocka_unit_test(test_capacity_added_node_is_billed_from_then),
        cmocka_unit_test(test_capacity_price_table_is_documented),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
