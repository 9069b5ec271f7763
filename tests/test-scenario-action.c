/* SPDX-License-Identifier: MIT */
/*
 * test-scenario-action.c - the scenario language: the timeline.
 *
 * Actions in time order (ties in file order), `run` semantics, every
 * action's arguments as the plan holds them, and a broker added at a time
 * that exists only from then on.
 */
#include "ks-scenario-test.h"

#include <stdio.h>
#include <string.h>

#include "kafkasim/config.h"
#include "kafkasim/scenario.h"
#include "kafkasim/support.h"

/* ------------------------------------------------------------------------ */
/* Timeline                                                                   */

static void test_scenario_actions_sorted_with_ties_in_file_order(void **state)
{
    g_autoptr(KsPlan) plan = parse_ok(CLUSTER3 "topic t\n"
                                               "at 0 say \"start\"\n"
                                               "every 5s snapshot\n"
                                               "at 5s crash broker 2\n"
                                               "every 2s produce topic=t\n"
                                               "at 9s restart broker 2\n"
                                               "run until 30s\n");
    ks_assert_i64_eq(plan->actions->len, 5);
    static const struct {
        KsActionKind kind;
        KsTime at, every;
        int line;
    } want[] = {
        {KS_ACTION_SAY, 0, 0, 3},
        {KS_ACTION_PRODUCE, 2 * KS_TIME_S, 2 * KS_TIME_S, 6},
        {KS_ACTION_SNAPSHOT, 5 * KS_TIME_S, 5 * KS_TIME_S, 4},
        {KS_ACTION_CRASH_BROKER, 5 * KS_TIME_S, 0, 5},
        {KS_ACTION_RESTART_BROKER, 9 * KS_TIME_S, 0, 7},
    };
    for (guint i = 0; i < G_N_ELEMENTS(want); i++) {
        ks_assert_i64_eq(action(plan, i)->kind, want[i].kind);
        ks_assert_i64_eq(action(plan, i)->at, want[i].at);
        ks_assert_i64_eq(action(plan, i)->every, want[i].every);
        ks_assert_i64_eq(action(plan, i)->loc.line, want[i].line);
    }
    ks_assert_i64_eq(action(plan, 0)->loc.col, 6);
    ks_assert_str_eq(action(plan, 0)->text, "start");
    ks_assert_i64_eq(action(plan, 3)->broker, 2);
    assert_true(plan->has_run);
    ks_assert_i64_eq(plan->run_until, 30 * KS_TIME_S);
    ks_assert_i64_eq(plan->run_loc.line, 8);
}

static void test_scenario_run_semantics(void **state)
{
    /* `run for` counts from the latest `at` line above it. */
    g_autoptr(KsPlan) a = parse_ok(CLUSTER3 "at 5s crash broker 1\nat 7s restart broker 1\n"
                                            "run for 10s\n");
    ks_assert_i64_eq(a->run_until, 17 * KS_TIME_S);
    g_autoptr(KsPlan) b = parse_ok(CLUSTER3 "run for 10s\n");
    ks_assert_i64_eq(b->run_until, 10 * KS_TIME_S);
    /* Without a run line the run ends with the last action. */
    g_autoptr(KsPlan) c = parse_ok(CLUSTER3 "at 5s crash broker 1\nat 7s restart broker 1\n");
    assert_false(c->has_run);
    ks_assert_i64_eq(c->run_until, 7 * KS_TIME_S);
    g_autoptr(KsPlan) d = parse_ok(CLUSTER3);
    ks_assert_i64_eq(d->run_until, 0);
    /* Actions may follow the run line as long as they fall inside it. */
    g_autoptr(KsPlan) e = parse_ok(CLUSTER3 "run until 20s\nat 20s crash broker 1\n"
                                            "every 20s snapshot\nexpect alive broker 1\n");
    ks_assert_i64_eq(e->actions->len, 2);
    ks_assert_i64_eq(e->expects->len, 1);
    g_autoptr(KsPlan) f = parse_ok(CLUSTER3 "run until 0\n");
    assert_true(f->has_run);
    ks_assert_i64_eq(f->run_until, 0);

    g_autofree char *m1 =
        parse_err(CLUSTER3 "at 5s crash broker 1\nrun for 1h\nrun until 2h\n", NULL);
    ks_assert_str_eq(m1, "test.ks:4:1: error: the run is already set on line 3");
    g_autofree char *m2 = parse_err(CLUSTER3 "run until 8760h\nrun for 1s\n", NULL);
    ks_assert_str_eq(m2, "test.ks:3:1: error: the run is already set on line 2");
    g_autofree char *m3 = parse_err(CLUSTER3 "at 8760h say \"x\"\nrun for 1s\n", NULL);
    ks_assert_str_eq(m3, "test.ks:3:9: error: the run would end after 8760h (365 days)");
    g_autofree char *m4 = parse_err(CLUSTER3 "run until 5s now\n", NULL);
    ks_assert_str_eq(m4, "test.ks:2:14: error: unexpected 'now' after the run's time");
}

static void test_scenario_action_arguments(void **state)
{
    g_autoptr(KsPlan) plan =
        parse_ok(CLUSTER3 "topic orders partitions=3\ntopic a-1 partitions=3\n"
                          "producer web topic=orders\n"
                          "consumer c1 group=billing topics=orders\n"
                          "at 1s produce topic=orders key=user-7 count=10\n"
                          "at 1s produce producer=web key=\"a key\" partition=2\n"
                          "at 2s add broker 4 node=n1 rack=r1 replica.lag.time.max.ms=5s\n"
                          "at 2s crash broker 4\n"
                          "at 3s partition-network n1,n2 | n3\n"
                          "at 3s partition-network n1 n2 | n3\n"
                          "at 4s heal-network\n"
                          "at 4s elect-preferred\n"
                          "at 4s elect-preferred a-1\n"
                          "at 4s elect-preferred a-1-2\n"
                          "at 5s reassign orders-1 replicas={3,1,2}\n"
                          "at 5s set acks=0 min.insync.replicas=2\n"
                          "at 6s start consumer c2 group=billing topics=orders,a-1\n"
                          "at 6s start consumer c1 group=other session.timeout.ms=10s\n"
                          "at 7s stop consumer c1\nat 7s crash consumer c2\n"
                          "at 8s stop producer web\nat 8s start producer web\n"
                          "at 9s crash node n2\nat 9s restart node n2\n"
                          "at 9s snapshot\nat 9s snapshot after-failover\n");
    const KsPlanAction *a = action(plan, 0);
    ks_assert_i64_eq(a->kind, KS_ACTION_PRODUCE);
    ks_assert_str_eq(a->topic, "orders");
    ks_assert_str_eq(a->key, "user-7");
    ks_assert_i64_eq(a->count, 10);
    ks_assert_i64_eq(a->partition, -1);
    assert_null(a->producer);
    a = action(plan, 1);
    ks_assert_str_eq(a->topic, "orders"); /* the producer's topic */
    ks_assert_str_eq(a->producer, "web");
    ks_assert_str_eq(a->key, "a key");
    ks_assert_i64_eq(a->partition, 2);
    ks_assert_i64_eq(a->count, 1);
    a = action(plan, 2);
    ks_assert_i64_eq(a->kind, KS_ACTION_ADD_BROKER);
    ks_assert_i64_eq(a->broker, 4);
    ks_assert_str_eq(a->node, "n1");
    ks_assert_str_eq(a->rack, "r1");
    ks_assert_i64_eq(ks_config_resolve(KS_CFG_REPLICA_LAG_TIME_MAX_MS, a->configs, NULL),
                     5 * KS_TIME_S);
    /* An added broker is not one of the brokers that start at 0 s. */
    assert_null(ks_plan_find_broker(plan, 4));
    ks_assert_i64_eq(action(plan, 3)->broker, 4);
    for (guint i = 4; i <= 5; i++) {
        a = action(plan, i);
        ks_assert_i64_eq(a->kind, KS_ACTION_PARTITION_NETWORK);
        ks_assert_i64_eq(a->side_a->len, 2);
        ks_assert_str_eq(a->side_a->pdata[1], "n2");
        ks_assert_i64_eq(a->side_b->len, 1);
        ks_assert_str_eq(a->side_b->pdata[0], "n3");
    }
    ks_assert_i64_eq(action(plan, 6)->kind, KS_ACTION_HEAL_NETWORK);
    a = action(plan, 7);
    assert_null(a->target.topic);
    a = action(plan, 8);
    ks_assert_str_eq(a->target.topic, "a-1"); /* a topic wins over partition 1 of "a" */
    ks_assert_i64_eq(a->target.partition, -1);
    a = action(plan, 9);
    ks_assert_str_eq(a->target.topic, "a-1");
    ks_assert_i64_eq(a->target.partition, 2);
    a = action(plan, 10);
    ks_assert_i64_eq(a->kind, KS_ACTION_REASSIGN);
    ks_assert_str_eq(a->target.topic, "orders");
    ks_assert_i64_eq(a->target.partition, 1);
    ks_assert_i64_eq(a->replicas->len, 3);
    ks_assert_i64_eq(g_array_index(a->replicas, KsBrokerId, 0), 3); /* order kept */
    a = action(plan, 11);
    ks_assert_i64_eq(a->kind, KS_ACTION_SET_CONFIG);
    ks_assert_i64_eq(ks_config_resolve(KS_CFG_ACKS, a->configs, NULL), 0);
    ks_assert_i64_eq(ks_config_resolve(KS_CFG_MIN_INSYNC_REPLICAS, a->configs, NULL), 2);
    /* start consumer with group= and topics= defines a new consumer... */
    a = action(plan, 12);
    ks_assert_str_eq(a->name, "c2");
    assert_null(a->group);
    const KsPlanConsumer *c2 = ks_plan_find_consumer(plan, "c2");
    assert_false(c2->start_at_zero);
    ks_assert_i64_eq(c2->topics->len, 2);
    /* ...and overrides a declared one. */
    a = action(plan, 13);
    ks_assert_str_eq(a->name, "c1");
    ks_assert_str_eq(a->group, "other");
    assert_null(a->topics);
    ks_assert_i64_eq(ks_config_resolve(KS_CFG_SESSION_TIMEOUT_MS, a->configs, NULL),
                     10 * KS_TIME_S);
    assert_non_null(ks_plan_find_group(plan, "other"));
    ks_assert_i64_eq(action(plan, 14)->kind, KS_ACTION_STOP_CONSUMER);
    ks_assert_i64_eq(action(plan, 15)->kind, KS_ACTION_CRASH_CONSUMER);
    ks_assert_str_eq(action(plan, 15)->name, "c2");
    ks_assert_i64_eq(action(plan, 16)->kind, KS_ACTION_STOP_PRODUCER);
    ks_assert_i64_eq(action(plan, 17)->kind, KS_ACTION_START_PRODUCER);
    ks_assert_i64_eq(action(plan, 18)->kind, KS_ACTION_CRASH_NODE);
    ks_assert_str_eq(action(plan, 19)->name, "n2");
    assert_null(action(plan, 20)->name);
    ks_assert_str_eq(action(plan, 21)->name, "after-failover");
}

static void test_scenario_added_broker_exists_only_after_it_is_added(void **state)
{
    const unsigned all = KS_SCENARIO_PARSE_ALLOW_UNSUPPORTED;
    g_autofree char *m1 = parse_err_flags(
        CLUSTER3 "at 5s add broker 4 node=n1\nevery 1s crash broker 4\nrun until 9s\n", all, NULL);
    ks_assert_str_eq(
        m1, "test.ks:3:23: error: broker 4 is added at 5s (line 2); it does not exist at 1s");
    g_autofree char *m2 = parse_err_flags(CLUSTER3 "at 5s add broker 3 node=n1\n", all, NULL);
    ks_assert_str_eq(m2, "test.ks:2:18: error: broker 3 is already declared on line 1");
    g_autofree char *m3 = parse_err_flags(CLUSTER3 "at 5s add broker 4 node=n9\n", all, NULL);
    ks_assert_str_eq(m3, "test.ks:2:25: error: node 'n9' is not declared; nodes are n1, n2, n3");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_scenario_actions_sorted_with_ties_in_file_order),
        cmocka_unit_test(test_scenario_run_semantics),
        cmocka_unit_test(test_scenario_action_arguments),
        cmocka_unit_test(test_scenario_added_broker_exists_only_after_it_is_added),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
