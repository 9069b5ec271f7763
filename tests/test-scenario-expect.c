/* SPDX-License-Identifier: MIT */
/*
 * test-scenario-expect.c - the scenario language: expect lines.
 *
 * Every condition as the plan holds it, a condition for every statistic,
 * expectations at a time, and how partitions are named (and misnamed) in
 * conditions.
 */
#include "ks-scenario-test.h"

#include <stdio.h>
#include <string.h>

#include "kafkasim/config.h"
#include "kafkasim/scenario.h"
#include "kafkasim/support.h"

/* ------------------------------------------------------------------------ */
/* Expect                                                                     */

static const KsPlanExpect *expect_n(const KsPlan *plan, guint i)
{
    return plan->expects->pdata[i];
}

static void test_scenario_expect_conditions(void **state)
{
    g_autoptr(KsPlan) plan =
        parse_ok(CLUSTER3 "topic orders partitions=2\nconsumer c1 group=billing topics=orders\n"
                          "expect leader orders-0 == 1   # trailing comment\n"
                          "expect leader orders-1 != none\n"
                          "expect isr orders-0 == {3,1}\n"
                          "expect replicas orders-0 != {}\n"
                          "expect leader-epoch orders-0 >= 2\n"
                          "expect log-end-offset orders-1 < 100\n"
                          "expect high-watermark orders-1 <= 99\n"
                          "expect alive broker 2\n"
                          "expect alive broker 3 == false\n"
                          "expect controller == 1\n"
                          "expect lag billing > 0\n"
                          "expect committed billing orders-1 == 5\n"
                          "expect group-state billing == Stable\n"
                          "expect assignment c1 == {orders-1,orders-0}\n"
                          "expect no-acked-data-loss\n"
                          "expect no-duplicates\n"
                          "expect records-acked >= 100\n"
                          "expect unavailable-us < 1.5s\n"
                          "expect unavailable-us == 250\n"
                          "expect rebalances == 1\n");
    ks_assert_i64_eq(plan->expects->len, 20);
    const KsPlanExpect *e = expect_n(plan, 0);
    ks_assert_i64_eq(e->kind, KS_EXPECT_LEADER);
    ks_assert_str_eq(e->partition.topic, "orders");
    ks_assert_i64_eq(e->partition.partition, 0);
    ks_assert_i64_eq(e->cmp, KS_CMP_EQ);
    ks_assert_i64_eq(e->number, 1);
    ks_assert_str_eq(e->text, "leader orders-0 == 1");
    ks_assert_i64_eq(e->loc.line, 4);
    ks_assert_i64_eq(e->loc.col, 8);
    e = expect_n(plan, 1);
    ks_assert_i64_eq(e->cmp, KS_CMP_NE);
    ks_assert_i64_eq(e->number, KS_NO_BROKER);
    e = expect_n(plan, 2);
    ks_assert_i64_eq(e->kind, KS_EXPECT_ISR);
    ks_assert_i64_eq(e->set_ids->len, 2);
    ks_assert_i64_eq(g_array_index(e->set_ids, KsBrokerId, 0), 1); /* sorted */
    ks_assert_i64_eq(g_array_index(e->set_ids, KsBrokerId, 1), 3);
    e = expect_n(plan, 3);
    ks_assert_i64_eq(e->kind, KS_EXPECT_REPLICAS);
    ks_assert_i64_eq(e->set_ids->len, 0);
    e = expect_n(plan, 4);
    ks_assert_i64_eq(e->kind, KS_EXPECT_LEADER_EPOCH);
    ks_assert_i64_eq(e->cmp, KS_CMP_GE);
    ks_assert_i64_eq(e->number, 2);
    ks_assert_i64_eq(expect_n(plan, 5)->cmp, KS_CMP_LT);
    ks_assert_i64_eq(expect_n(plan, 5)->kind, KS_EXPECT_LOG_END_OFFSET);
    ks_assert_i64_eq(expect_n(plan, 6)->cmp, KS_CMP_LE);
    ks_assert_i64_eq(expect_n(plan, 6)->kind, KS_EXPECT_HIGH_WATERMARK);
    e = expect_n(plan, 7);
    ks_assert_i64_eq(e->kind, KS_EXPECT_ALIVE);
    ks_assert_i64_eq(e->broker, 2);
    ks_assert_i64_eq(e->cmp, KS_CMP_EQ);
    ks_assert_i64_eq(e->number, 1);
    ks_assert_i64_eq(expect_n(plan, 8)->number, 0);
    e = expect_n(plan, 9);
    ks_assert_i64_eq(e->kind, KS_EXPECT_CONTROLLER);
    ks_assert_i64_eq(e->number, 1);
    assert_null(e->partition.topic);
    e = expect_n(plan, 10);
    ks_assert_i64_eq(e->kind, KS_EXPECT_LAG);
    ks_assert_str_eq(e->name, "billing");
    ks_assert_i64_eq(e->cmp, KS_CMP_GT);
    e = expect_n(plan, 11);
    ks_assert_i64_eq(e->kind, KS_EXPECT_COMMITTED);
    ks_assert_str_eq(e->name, "billing");
    ks_assert_i64_eq(e->partition.partition, 1);
    ks_assert_i64_eq(e->number, 5);
    e = expect_n(plan, 12);
    ks_assert_i64_eq(e->kind, KS_EXPECT_GROUP_STATE);
    ks_assert_str_eq(e->word, "Stable");
    e = expect_n(plan, 13);
    ks_assert_i64_eq(e->kind, KS_EXPECT_ASSIGNMENT);
    ks_assert_str_eq(e->name, "c1");
    ks_assert_i64_eq(e->set_names->len, 2);
    ks_assert_str_eq(e->set_names->pdata[0], "orders-0");
    ks_assert_str_eq(e->set_names->pdata[1], "orders-1");
    ks_assert_i64_eq(expect_n(plan, 14)->kind, KS_EXPECT_NO_ACKED_DATA_LOSS);
    ks_assert_i64_eq(expect_n(plan, 15)->kind, KS_EXPECT_NO_DUPLICATES);
    e = expect_n(plan, 16);
    ks_assert_i64_eq(e->kind, KS_EXPECT_STAT);
    ks_assert_i64_eq(e->stat, KS_STAT_RECORDS_ACKED);
    ks_assert_i64_eq(e->number, 100);
    ks_assert_str_eq(e->text, "records-acked >= 100");
    e = expect_n(plan, 17);
    ks_assert_i64_eq(e->stat, KS_STAT_UNAVAILABLE_US);
    ks_assert_i64_eq(e->number, 1500000);
    ks_assert_i64_eq(expect_n(plan, 18)->number, 250);
    ks_assert_i64_eq(expect_n(plan, 19)->stat, KS_STAT_REBALANCES);
}

static void test_scenario_every_stat_has_a_condition(void **state)
{
    static const char *const names[] = {
        "records-produced", "records-acked",      "records-refused", "records-lost",
        "records-consumed", "records-duplicated", "records-skipped", "leader-elections",
        "rebalances",       "unavailable-us",     "cost-micro-usd",  "cross-zone-bytes",
    };
    G_STATIC_ASSERT(G_N_ELEMENTS(names) == KS_STAT_CROSS_ZONE_BYTES + 1);
    for (int s = KS_STAT_RECORDS_PRODUCED; s <= KS_STAT_CROSS_ZONE_BYTES; s++) {
        g_autofree char *text = g_strdup_printf(CLUSTER3 "expect %s >= 0\n", names[s]);
        g_autoptr(KsPlan) plan = parse_ok(text);
        ks_assert_i64_eq(expect_n(plan, 0)->stat, s);
    }
}

/* records-lost takes an optional cause: the lost records of that cause. */
static void test_scenario_records_lost_by_cause(void **state)
{
    static const struct {
        const char *text;
        KsStatKind stat;
    } ok[] = {
        {"records-lost == 0", KS_STAT_RECORDS_LOST},
        {"records-lost unclean == 0", KS_STAT_RECORDS_LOST_UNCLEAN},
        {"records-lost power-loss > 10", KS_STAT_RECORDS_LOST_POWER_LOSS},
        {"records-lost zombie <= 3", KS_STAT_RECORDS_LOST_ZOMBIE},
        {"records-lost acks1-failover != 1", KS_STAT_RECORDS_LOST_ACKS1_FAILOVER},
    };
    for (size_t i = 0; i < G_N_ELEMENTS(ok); i++) {
        g_autofree char *text = g_strdup_printf(CLUSTER3 "expect %s\n", ok[i].text);
        g_autoptr(KsPlan) plan = parse_ok(text);
        ks_assert_i64_eq(expect_n(plan, 0)->stat, ok[i].stat);
        ks_assert_str_eq(expect_n(plan, 0)->text, ok[i].text);
    }
    g_autofree char *msg = parse_err(CLUSTER3 "expect records-lost flood == 0\n", NULL);
    ks_assert_str_eq(msg, "test.ks:2:21: error: unknown cause 'flood'; causes are unclean, "
                          "power-loss, zombie, acks1-failover; usage: expect records-lost "
                          "[unclean|power-loss|zombie|acks1-failover] OP N");
}

static void test_scenario_timed_expect(void **state)
{
    g_autoptr(KsPlan) plan = parse_ok(CLUSTER3 "topic t\nat 5s expect leader t-0 == 2\n"
                                               "every 10s expect alive broker 1\n"
                                               "run until 20s\nexpect records-produced == 0\n");
    ks_assert_i64_eq(plan->actions->len, 2);
    const KsPlanAction *a = action(plan, 0);
    ks_assert_i64_eq(a->kind, KS_ACTION_EXPECT);
    ks_assert_i64_eq(a->at, 5 * KS_TIME_S);
    ks_assert_i64_eq(a->expect->kind, KS_EXPECT_LEADER);
    ks_assert_str_eq(a->expect->text, "leader t-0 == 2");
    ks_assert_i64_eq(a->expect->loc.col, 14);
    ks_assert_i64_eq(action(plan, 1)->every, 10 * KS_TIME_S);
    ks_assert_i64_eq(plan->expects->len, 1);
}

static void test_scenario_partition_names(void **state)
{
    /* Split at the last '-' followed only by digits. */
    g_autoptr(KsPlan) plan = parse_ok(CLUSTER3 "topic a-1 partitions=3\ntopic 2024 partitions=2\n"
                                               "topic x.y_z partitions=11\n"
                                               "expect leader a-1-2 == 1\n"
                                               "expect leader 2024-1 == 1\n"
                                               "expect leader x.y_z-10 == 1\n");
    ks_assert_str_eq(expect_n(plan, 0)->partition.topic, "a-1");
    ks_assert_i64_eq(expect_n(plan, 0)->partition.partition, 2);
    ks_assert_str_eq(expect_n(plan, 1)->partition.topic, "2024");
    ks_assert_i64_eq(expect_n(plan, 2)->partition.partition, 10);

    static const struct {
        const char *text, *message;
    } bad[] = {
        {"expect leader a-1-3 == 1", "a-1 has 3 partitions (0-2); there is no a-1-3"},
        {"expect leader b-0 == 1", "topic 'b' is not declared; topics are a-1, 2024, x.y_z"},
        {"expect leader a-x == 1", "expected a partition written TOPIC-N, e.g. orders-0; found "
                                   "'a-x'"},
        {"expect leader -1 == 1", "expected a partition written TOPIC-N, e.g. orders-0; found "
                                  "'-1'"},
        {"expect leader \"a-1-0\" == 1", "unexpected '\"a-1-0\"'; usage: expect leader "
                                         "PARTITION ==|!= BROKER|none"},
    };
    for (size_t i = 0; i < G_N_ELEMENTS(bad); i++) {
        g_autofree char *text = g_strdup_printf(CLUSTER3 "topic a-1 partitions=3\ntopic 2024\n"
                                                         "topic x.y_z\n%s\n",
                                                bad[i].text);
        g_autofree char *msg = parse_err(text, NULL);
        if (!strstr(msg, bad[i].message))
            fail_msg("for '%s':\n  got %s\n  expected ... %s", bad[i].text, msg, bad[i].message);
    }
    g_autofree char *huge =
        parse_err(CLUSTER3 "topic a\nexpect leader a-99999999999999999999 == 1\n", NULL);
    ks_assert_str_eq(huge, "test.ks:3:15: error: a has 1 partition (0); there is no "
                           "a-99999999999999999999");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_scenario_expect_conditions),
        cmocka_unit_test(test_scenario_every_stat_has_a_condition),
        cmocka_unit_test(test_scenario_records_lost_by_cause),
        cmocka_unit_test(test_scenario_timed_expect),
        cmocka_unit_test(test_scenario_partition_names),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
