/* SPDX-License-Identifier: MIT */
/*
 * test-scenario-lines.c - the scenario language one line at a time
 * (ks_scenario_parse_line(), for the REPL and actions added to a running
 * sim).
 *
 * Lines parsed one by one give the plan the whole file gives; a bad line
 * gets the message it would get in the file and leaves the plan unchanged;
 * a line without `at TIME` runs now, and each line says what kind it was.
 */
#include "ks-scenario-test.h"

#include <stdio.h>
#include <string.h>

#include "kafkasim/config.h"
#include "kafkasim/scenario.h"
#include "kafkasim/support.h"

/* ------------------------------------------------------------------------ */
/* One line at a time                                                         */

static void test_scenario_lines_one_by_one_equal_the_file(void **state)
{
    static const char text[] =
        "seed 7\n"
        "# a comment\n"
        "cluster nodes=3 brokers-per-node=1 zones=a,b,c\n"
        "set min.insync.replicas=2 num.partitions=3\n"
        "topic orders replication-factor=3\n"
        "topic logs partitions=2\n"
        "producer web topic=orders rate=100/s partitioner=key keys=50 acks=all\n"
        "\n"
        "at 1s say \"start\"\n"
        "every 5s snapshot\n"
        "at 2s crash broker 2\n"
        "at 2s expect leader orders-0 != 2\n"
        "at 4s restart broker 2\n"
        "at 6s elect-preferred orders-0\n"
        "at 7s produce topic=logs count=10\n"
        "run for 20s\n"
        "expect isr orders-0 == {3,1,2}\n"
        "expect records-acked > 0\n";
    assert_same_by_lines("test.ks", text);
    /* Errors of every kind, at the same place either way. */
    static const char *const bad[] = {
        CLUSTER3 "topic t\nat 2s crash broker 9\n",
        CLUSTER3 "at 5s say \"a\"\nat 2s say \"b\"\n",
        CLUSTER3 "topic t replication-factor=4\nat 1s say \"x\"\n",
        CLUSTER3 "every 5s snapshot\n",
        CLUSTER3 "at 1s say \"x\"\ntopic late\n",
    };
    for (size_t i = 0; i < G_N_ELEMENTS(bad); i++)
        assert_same_by_lines("test.ks", bad[i]);
}

/* Parses @line into a finished plan and returns its error message. */
static char *line_err(KsPlan *plan, const char *line, int line_no)
{
    g_autofree char *before = describe_plan(plan);
    g_autoptr(GError) error = NULL;
    KsScenarioLine out = {.kind = KS_SCENARIO_LINE_RUN};
    if (ks_scenario_parse_line(plan, line, line_no, &out, &error))
        fail_msg("expected an error for: %s", line);
    ks_assert_i64_eq(out.kind, KS_SCENARIO_LINE_NONE);
    assert_null(out.action);
    assert_null(out.expect);
    g_autofree char *after = describe_plan(plan);
    ks_assert_str_eq(after, before);
    return g_strdup(error->message);
}

static KsScenarioLine line_ok(KsPlan *plan, const char *line, int line_no)
{
    g_autoptr(GError) error = NULL;
    KsScenarioLine out;
    if (!ks_scenario_parse_line(plan, line, line_no, &out, &error))
        fail_msg("%s: %s", line, error->message);
    return out;
}

/* A bad line gets the message it would get in the file, and changes
 * neither the plan nor what later lines are checked against. */
static void test_scenario_bad_line_leaves_the_plan_unchanged(void **state)
{
    static const char text[] = CLUSTER3 "topic t\nat 10s say \"x\"\nrun until 60s\n";
    g_autoptr(KsPlan) plan = ks_scenario_parse("test.ks", text, strlen(text), NULL);
    assert_non_null(plan);

    g_autofree char *m1 = line_err(plan, "at 20s crash broker 9", 5);
    g_autofree char *f1 = parse_err(CLUSTER3 "topic t\nat 10s say \"x\"\nrun until 60s\n"
                                             "at 20s crash broker 9\n",
                                    NULL);
    ks_assert_str_eq(m1, f1);
    ks_assert_str_eq(m1, "test.ks:5:21: error: broker 9 is not declared; brokers are 1, 2, 3");

    /* The failed line's time is not remembered: 15s is still after 10s. */
    g_autofree char *m2 = line_err(plan, "at 50s crash broker 9", 5);
    KsScenarioLine ok = line_ok(plan, "at 15s crash broker 1", 6);
    ks_assert_i64_eq(ok.kind, KS_SCENARIO_LINE_ACTION);
    ks_assert_i64_eq(ok.action->at, 15 * KS_TIME_S);
    ks_assert_i64_eq(ok.action->broker, 1);
    ks_assert_i64_eq(ok.action->loc.line, 6);
    ks_scenario_line_clear(&ok);
    assert_null(ok.action);
    /* ... but a line that was parsed is. */
    g_autofree char *m3 = line_err(plan, "at 12s say \"y\"", 7);
    ks_assert_str_eq(m3, "test.ks:7:4: error: time goes backwards: 12s is before 15s (line 6)");

    g_autofree char *m4 = line_err(plan, "at 70s say \"late\"", 8);
    ks_assert_str_eq(m4, "test.ks:8:4: error: 70s is after the end of the run at 1m (line 4)");
    g_autofree char *m5 = line_err(plan, "run until 90s", 8);
    ks_assert_str_eq(m5, "test.ks:8:1: error: the run is already set on line 4");
    g_autofree char *m6 = line_err(plan, "expect leader t-7 == 1", 8);
    ks_assert_str_eq(m6, "test.ks:8:15: error: t has 1 partition (0); there is no t-7");
    g_autofree char *m7 = line_err(plan, "topic late", 8);
    ks_assert_str_eq(m7, "test.ks:8:1: error: declarations come before the timeline; move it "
                         "above line 3");
    g_autofree char *m8 = line_err(plan, "at 20s say \"a\"\nat 21s say \"b\"", 8);
    ks_assert_str_eq(m8, "test.ks:8:15: error: one line at a time: the text goes on after its "
                         "end of line");

    /* A broker added by a line that is then refused is not known later. */
    if (!ks_support_action(KS_ACTION_ADD_BROKER)) {
        const KsPlanNode *node = plan->nodes->pdata[0];
        g_autofree char *add = g_strdup_printf("at 20s add broker 7 node=%s", node->name);
        g_autofree char *m9 = line_err(plan, add, 9);
        assert_non_null(strstr(m9, "is not supported yet"));
        g_autofree char *m10 = line_err(plan, "at 21s crash broker 7", 10);
        assert_non_null(strstr(m10, "broker 7 is not declared"));
    }
    assert_non_null(m2);
}

/* While a plan built line by line still takes declarations, a line that
 * fails, half made or not, leaves nothing of itself behind. */
static void test_scenario_bad_declaration_line_leaves_nothing(void **state)
{
    g_autoptr(KsPlan) plan = ks_plan_new("test.ks");
    KsScenarioLine l = line_ok(plan, "cluster nodes=3 brokers-per-node=1", 1);
    ks_assert_i64_eq(l.kind, KS_SCENARIO_LINE_DECLARATION);
    line_ok(plan, "topic t", 2);
    /* Refused after it was built: the consumer, its implicit group and its
     * name are all gone again. */
    if (!ks_support_decl(KS_DECL_CONSUMER)) {
        g_autofree char *m1 = line_err(plan, "consumer c group=g topics=t", 3);
        ks_assert_str_eq(m1, "test.ks:3:1: error: 'consumer' is not supported yet: consumers "
                             "arrive with consumer groups");
        ks_assert_i64_eq(plan->consumers->len, 0);
        ks_assert_i64_eq(plan->groups->len, 0);
    }
    line_ok(plan, "producer c topic=t", 3);
    ks_assert_i64_eq(plan->producers->len, 1);
    /* A broker declared by a line that then fails is not declared. */
    g_autofree char *m2 = line_err(plan, "broker 7 node=nowhere", 4);
    assert_non_null(strstr(m2, "node 'nowhere' is not declared"));
    g_autofree char *m3 = line_err(plan, "broker 7 node=nowhere", 4);
    ks_assert_str_eq(m3, m2);
    /* A timeline line that fails leaves the declarations open... */
    g_autofree char *m4 = line_err(plan, "at 1s crash broker 9", 4);
    assert_non_null(strstr(m4, "broker 9 is not declared"));
    KsScenarioLine d = line_ok(plan, "set num.partitions=4", 4);
    ks_assert_i64_eq(d.kind, KS_SCENARIO_LINE_DECLARATION);
    /* ... and the plan ends as the same lines in a file end. */
    KsScenarioLine a = line_ok(plan, "at 1s crash broker 1", 5);
    g_ptr_array_add(plan->actions, g_steal_pointer(&a.action));
    g_autoptr(GError) error = NULL;
    assert_true(ks_scenario_finish(plan, &error));
    static const char file[] = "cluster nodes=3 brokers-per-node=1\ntopic t\nproducer c topic=t\n"
                               "set num.partitions=4\nat 1s crash broker 1\n";
    g_autoptr(KsPlan) whole = ks_scenario_parse("test.ks", file, strlen(file), NULL);
    assert_non_null(whole);
    g_autofree char *x = describe_plan(whole);
    g_autofree char *y = describe_plan(plan);
    ks_assert_str_eq(y, x);
    ks_assert_i64_eq(((const KsPlanTopic *)plan->topics->pdata[0])->partitions, 4);
}

/* A line without `at TIME` runs now; expect and run lines keep their
 * meaning; blank lines and comments are nothing. */
static void test_scenario_line_now_and_kinds(void **state)
{
    g_autoptr(KsPlan) plan = parse_ok(CLUSTER3 "topic t\nat 10s say \"x\"\n");
    KsScenarioLine l1 = line_ok(plan, "crash broker 2\n", 4);
    ks_assert_i64_eq(l1.kind, KS_SCENARIO_LINE_ACTION);
    ks_assert_i64_eq(l1.action->at, KS_SCENARIO_NOW);
    ks_assert_i64_eq(l1.action->kind, KS_ACTION_CRASH_BROKER);
    ks_assert_i64_eq(l1.action->loc.col, 1);
    ks_scenario_line_clear(&l1);
    KsScenarioLine l2 = line_ok(plan, "set min.insync.replicas=2", 5);
    ks_assert_i64_eq(l2.kind, KS_SCENARIO_LINE_ACTION);
    ks_assert_i64_eq(l2.action->kind, KS_ACTION_SET_CONFIG);
    ks_assert_i64_eq(l2.action->at, KS_SCENARIO_NOW);
    ks_scenario_line_clear(&l2);
    KsScenarioLine l3 = line_ok(plan, "expect leader t-0 != none", 6);
    ks_assert_i64_eq(l3.kind, KS_SCENARIO_LINE_EXPECT);
    ks_assert_i64_eq(l3.expect->kind, KS_EXPECT_LEADER);
    ks_scenario_line_clear(&l3);
    KsScenarioLine l4 = line_ok(plan, "  # nothing", 7);
    ks_assert_i64_eq(l4.kind, KS_SCENARIO_LINE_NONE);
    KsScenarioLine l5 = line_ok(plan, "run for 5s", 8);
    ks_assert_i64_eq(l5.kind, KS_SCENARIO_LINE_RUN);
    assert_true(plan->has_run);
    ks_assert_i64_eq(plan->run_until, 15 * KS_TIME_S);
    ks_assert_i64_eq(plan->actions->len, 1);
    ks_assert_i64_eq(plan->expects->len, 0);
    /* In a file, an action still needs its time. */
    g_autofree char *m = parse_err(CLUSTER3 "crash broker 2\n", NULL);
    ks_assert_str_eq(m, "test.ks:2:1: error: 'crash' is an action; actions need a time: at 5s "
                        "crash ...");
    /* A new plan is built line by line: declarations first. */
    g_autoptr(KsPlan) fresh = ks_plan_new("new.ks");
    KsScenarioLine d = line_ok(fresh, "cluster nodes=1", 1);
    ks_assert_i64_eq(d.kind, KS_SCENARIO_LINE_DECLARATION);
    ks_assert_i64_eq(fresh->brokers->len, 1);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_scenario_lines_one_by_one_equal_the_file),
        cmocka_unit_test(test_scenario_bad_line_leaves_the_plan_unchanged),
        cmocka_unit_test(test_scenario_line_now_and_kinds),
        cmocka_unit_test(test_scenario_bad_declaration_line_leaves_nothing),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
