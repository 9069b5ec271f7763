/* SPDX-License-Identifier: MIT */
/*
 * test-expect-groups.c - the conditions on consumers and groups: position, idle,
 * coordinator and records-skipped next to lag, committed, group-state,
 * assignment and no-duplicates. Parsing (what each line turns into, and
 * the FILE:LINE:COL message of each mistake), and that the simulator now
 * accepts them: check.c has an evaluator for each.
 */
#include "ks-scenario-test.h"
#include "ks-test.h"

#include <string.h>

#include "kafkasim/scenario.h"
#include "kafkasim/support.h"

/* The @i-th end-of-run expectation of @plan, borrowed. */
static const KsPlanExpect *expect_n(const KsPlan *plan, guint i)
{
    return plan->expects->pdata[i];
}

#define DECLS                                                                                      \
    "cluster nodes=3 brokers-per-node=1\n"                                                         \
    "topic orders partitions=2\n"                                                                  \
    "consumer c1 group=billing topics=orders\n"

static void test_expect_group_conditions_parse(void **state)
{
    g_autoptr(KsPlan) plan = parse_ok(DECLS "expect position billing orders-1 >= 40\n"
                                            "expect idle c1\n"
                                            "expect idle c1 == false\n"
                                            "expect idle c1 != true\n"
                                            "expect coordinator billing == 2\n"
                                            "expect coordinator billing != none\n"
                                            "expect records-skipped == 0\n"
                                            "at 5s expect position billing orders-0 < 10\n");
    ks_assert_i64_eq(plan->expects->len, 7);
    const KsPlanExpect *e = expect_n(plan, 0);
    ks_assert_i64_eq(e->kind, KS_EXPECT_POSITION);
    ks_assert_str_eq(e->name, "billing");
    ks_assert_str_eq(e->partition.topic, "orders");
    ks_assert_i64_eq(e->partition.partition, 1);
    ks_assert_i64_eq(e->cmp, KS_CMP_GE);
    ks_assert_i64_eq(e->number, 40);
    ks_assert_str_eq(e->text, "position billing orders-1 >= 40");
    e = expect_n(plan, 1);
    ks_assert_i64_eq(e->kind, KS_EXPECT_IDLE);
    ks_assert_str_eq(e->name, "c1");
    ks_assert_i64_eq(e->cmp, KS_CMP_EQ);
    ks_assert_i64_eq(e->number, 1);
    ks_assert_i64_eq(expect_n(plan, 2)->number, 0);
    e = expect_n(plan, 3);
    ks_assert_i64_eq(e->cmp, KS_CMP_NE);
    ks_assert_i64_eq(e->number, 1);
    e = expect_n(plan, 4);
    ks_assert_i64_eq(e->kind, KS_EXPECT_COORDINATOR);
    ks_assert_str_eq(e->name, "billing");
    ks_assert_i64_eq(e->number, 2);
    e = expect_n(plan, 5);
    ks_assert_i64_eq(e->cmp, KS_CMP_NE);
    ks_assert_i64_eq(e->number, KS_NO_BROKER);
    e = expect_n(plan, 6);
    ks_assert_i64_eq(e->kind, KS_EXPECT_STAT);
    ks_assert_i64_eq(e->stat, KS_STAT_RECORDS_SKIPPED);
    /* A timed one is an action. */
    ks_assert_i64_eq(plan->actions->len, 1);
    const KsPlanAction *a = plan->actions->pdata[0];
    ks_assert_i64_eq(a->expect->kind, KS_EXPECT_POSITION);
    ks_assert_i64_eq(a->expect->partition.partition, 0);
}

/* Every mistake, with the message a user reads. */
static void test_expect_group_condition_errors(void **state)
{
    static const struct {
        const char *line;
        const char *want;
    } bad[] = {
        {"expect position billing orders-0",
         "4:33: error: the condition is incomplete; usage: expect position GROUP PARTITION OP N"},
        {"expect position billing == 1",
         "4:25: error: unexpected '=='; usage: expect position GROUP PARTITION OP N"},
        {"expect position billing orders-2 == 1",
         "4:25: error: orders has 2 partitions (0-1); there is no orders-2"},
        {"expect position other orders-0 == 1",
         "4:17: error: group 'other' is not declared; groups are billing"},
        {"expect position billing orders-0 = 1", "4:34: error: write '==' to compare, not '='"},
        {"expect position billing orders-0 == -1",
         "4:37: error: -1 is out of range: it must be at least 0"},
        {"expect idle c9", "4:13: error: consumer 'c9' is not declared"},
        {"expect idle", "4:12: error: the condition is incomplete; usage: expect idle CONSUMER "
                        "[==|!= true|false]"},
        {"expect idle c1 == yes",
         "4:19: error: unexpected 'yes'; usage: expect idle CONSUMER [==|!= true|false]"},
        {"expect idle c1 < true", "4:16: error: idle compares with == or !=, not <"},
        {"expect idle c1 true", "4:16: error: unexpected 'true'; usage: expect idle CONSUMER"},
        {"expect coordinator billing >= 1",
         "4:28: error: coordinator compares with == or !=, not >="},
        {"expect coordinator billing == 7", "4:31: error: broker 7 is not declared"},
        {"expect coordinator == 1",
         "4:20: error: unexpected '=='; usage: expect coordinator GROUP ==|!= BROKER|none"},
        {"expect records-skipped = 1", "4:24: error: write '==' to compare, not '='"},
        {"expect positon billing orders-0 == 1",
         "4:8: error: unknown condition 'positon'; did you mean 'position'?"},
        {"expect idel c1", "4:8: error: unknown condition 'idel'; did you mean 'idle'?"},
    };
    for (size_t i = 0; i < G_N_ELEMENTS(bad); i++) {
        g_autofree char *text = g_strconcat(DECLS, bad[i].line, "\n", NULL);
        g_autoptr(GError) error = NULL;
        g_autoptr(KsPlan) plan = ks_scenario_parse_full(
            "test.ks", text, strlen(text), KS_SCENARIO_PARSE_ALLOW_UNSUPPORTED, &error);
        if (plan)
            fail_msg("accepted: %s", bad[i].line);
        g_autofree char *want = g_strconcat("test.ks:", bad[i].want, NULL);
        if (!g_str_has_prefix(error->message, want))
            fail_msg("for '%s':\n  got      %s\n  expected %s...", bad[i].line, error->message,
                     want);
        assert_null(strchr(error->message, '\n'));
    }
}

/* The simulator can check every group condition and counter: the parser
 * refuses none of them as "not supported yet" once groups are declared. */
static void test_expect_group_conditions_are_supported(void **state)
{
    static const KsExpectKind kinds[] = {
        KS_EXPECT_LAG,           KS_EXPECT_COMMITTED, KS_EXPECT_GROUP_STATE, KS_EXPECT_ASSIGNMENT,
        KS_EXPECT_NO_DUPLICATES, KS_EXPECT_POSITION,  KS_EXPECT_IDLE,        KS_EXPECT_COORDINATOR,
    };
    for (size_t i = 0; i < G_N_ELEMENTS(kinds); i++)
        assert_true(ks_support_expect(kinds[i]));
    static const KsStatKind stats[] = {KS_STAT_RECORDS_CONSUMED, KS_STAT_RECORDS_DUPLICATED,
                                       KS_STAT_RECORDS_SKIPPED, KS_STAT_REBALANCES};
    for (size_t i = 0; i < G_N_ELEMENTS(stats); i++)
        assert_true(ks_support_stat(stats[i]));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_expect_group_conditions_parse),
        cmocka_unit_test(test_expect_group_condition_errors),
        cmocka_unit_test(test_expect_group_conditions_are_supported),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
