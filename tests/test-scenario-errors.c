/* SPDX-License-Identifier: MIT */
/*
 * test-scenario-errors.c - the scenario language: errors, support and files.
 *
 * Error codes, validation before "not supported yet", what the model
 * refuses (following support.c), the messages a newcomer gets, limits,
 * parsing from a file, garbage that never crashes, and determinism. The
 * data-driven tests parse every file of tests/bad/ (each must fail with the
 * error its first line announces) and of scenarios/ (each must parse, and
 * parse the same one line at a time), and check that
 * docs/scenario-language.md documents every keyword.
 */
#include "ks-scenario-test.h"

#include <stdio.h>
#include <string.h>

#include "kafkasim/config.h"
#include "kafkasim/scenario.h"
#include "kafkasim/support.h"

/* ------------------------------------------------------------------------ */
/* Errors and support                                                         */

static void test_scenario_error_codes(void **state)
{
    static const struct {
        const char *text;
        int code;
    } cases[] = {
        {CLUSTER3 "topik t\n", KS_SCENARIO_ERROR_SYNTAX},
        {CLUSTER3 "topic t partitions=abc\n", KS_SCENARIO_ERROR_VALUE},
        {CLUSTER3 "at 1s crash broker 9\n", KS_SCENARIO_ERROR_REFERENCE},
        {CLUSTER3 "at 1s say \"x\n", KS_SCENARIO_ERROR_SYNTAX},
    };
    for (size_t i = 0; i < G_N_ELEMENTS(cases); i++) {
        int code = -1;
        g_autofree char *msg = parse_err(cases[i].text, &code);
        ks_assert_i64_eq(code, cases[i].code);
        assert_true(g_str_has_prefix(msg, "test.ks:2:"));
    }
}

static void test_scenario_validates_before_refusing_unsupported(void **state)
{
    /* A real mistake on an unsupported line is reported as the mistake. */
    int code;
    g_autofree char *m1 = parse_err(CLUSTER3 "consumer c group=g topics=nope\n", &code);
    ks_assert_str_eq(m1, "test.ks:2:27: error: topic 'nope' is not declared; no topic is declared");
    ks_assert_i64_eq(code, KS_SCENARIO_ERROR_REFERENCE);
    g_autofree char *m2 = parse_err(CLUSTER3 "topic t retention.ms=abc\n", &code);
    ks_assert_i64_eq(code, KS_SCENARIO_ERROR_VALUE);
    ks_assert_str_eq(m2, "test.ks:2:22: error: retention.ms=abc: expected milliseconds or a "
                         "duration, e.g. retention.ms=604800000");
    g_autofree char *m3 = parse_err(CLUSTER3 "topic t\nat 1s crash consumer c\n", &code);
    ks_assert_str_eq(m3, "test.ks:3:22: error: consumer 'c' is not declared; no consumer is "
                         "declared");
}

/* One line per declaration, action, condition, stat and partitioner, with
 * what it needs above it. Whether each is refused follows support.c, so the
 * test keeps up as the simulator grows. */
typedef enum { SUP_DECL, SUP_ACTION, SUP_EXPECT, SUP_STAT, SUP_PARTITIONER } SupKind;

static bool supported(SupKind k, int kind)
{
    switch (k) {
    case SUP_DECL:
        return ks_support_decl((KsDeclKind)kind);
    case SUP_ACTION:
        return ks_support_action((KsActionKind)kind);
    case SUP_EXPECT:
        return ks_support_expect((KsExpectKind)kind);
    case SUP_STAT:
        return ks_support_stat((KsStatKind)kind);
    case SUP_PARTITIONER:
        return ks_support_partitioner((KsPartitionerKind)kind);
    }
    return false;
}

static void test_scenario_refuses_what_is_not_supported(void **state)
{
#define PRE   CLUSTER3 "topic t partitions=2\n"
#define PRE_P PRE "producer web topic=t\n"
#define PRE_C PRE "consumer c1 group=g topics=t\n"
    static const struct {
        SupKind k;
        int kind;
        const char *text; /* the line under test is the last one */
        int col;          /* where the refusal points */
        const char *what; /* quoted in the message; NULL: partitioner message */
    } cases[] = {
        {SUP_DECL, KS_DECL_SEED, PRE "seed 1\n", 1, "seed"},
        {SUP_DECL, KS_DECL_SET, PRE "set num.partitions=2\n", 1, "set"},
        {SUP_DECL, KS_DECL_CLUSTER, "cluster nodes=1\n", 1, "cluster"},
        {SUP_DECL, KS_DECL_NODE, "node n1\nbroker 1 node=n1\nnode n2\n", 1, "node"},
        {SUP_DECL, KS_DECL_BROKER, "node n1\nbroker 1 node=n1\n", 1, "broker"},
        {SUP_DECL, KS_DECL_ZOOKEEPER, PRE "zookeeper servers=3\n", 1, "zookeeper"},
        {SUP_DECL, KS_DECL_TOPIC, CLUSTER3 "topic t\n", 1, "topic"},
        {SUP_DECL, KS_DECL_PRODUCER, PRE "producer web topic=t\n", 1, "producer"},
        {SUP_DECL, KS_DECL_FLUME, PRE "flume f topic=t rate=1/s\n", 1, "flume"},
        {SUP_DECL, KS_DECL_GROUP, PRE "group g\n", 1, "group"},
        {SUP_DECL, KS_DECL_CONSUMER, PRE "consumer c1 group=g topics=t\n", 1, "consumer"},
        {SUP_ACTION, KS_ACTION_CRASH_BROKER, PRE "at 1s crash broker 1\n", 7, "crash broker"},
        {SUP_ACTION, KS_ACTION_RESTART_BROKER, PRE "at 1s restart broker 1\n", 7, "restart broker"},
        {SUP_ACTION, KS_ACTION_STOP_BROKER, PRE "at 1s stop broker 1\n", 7, "stop broker"},
        {SUP_ACTION, KS_ACTION_ADD_BROKER, PRE "at 1s add broker 4 node=n1\n", 7, "add broker"},
        {SUP_ACTION, KS_ACTION_CRASH_NODE, PRE "at 1s crash node n1\n", 7, "crash node"},
        {SUP_ACTION, KS_ACTION_RESTART_NODE, PRE "at 1s restart node n1\n", 7, "restart node"},
        {SUP_ACTION, KS_ACTION_START_CONSUMER, PRE_C "at 1s start consumer c1\n", 7,
         "start consumer"},
        {SUP_ACTION, KS_ACTION_STOP_CONSUMER, PRE_C "at 1s stop consumer c1\n", 7, "stop consumer"},
        {SUP_ACTION, KS_ACTION_CRASH_CONSUMER, PRE_C "at 1s crash consumer c1\n", 7,
         "crash consumer"},
        {SUP_ACTION, KS_ACTION_START_PRODUCER, PRE_P "at 1s start producer web\n", 7,
         "start producer"},
        {SUP_ACTION, KS_ACTION_STOP_PRODUCER, PRE_P "at 1s stop producer web\n", 7,
         "stop producer"},
        {SUP_ACTION, KS_ACTION_PRODUCE, PRE "at 1s produce topic=t\n", 7, "produce"},
        {SUP_ACTION, KS_ACTION_SAY, PRE "at 1s say \"hi\"\n", 7, "say"},
        {SUP_ACTION, KS_ACTION_SNAPSHOT, PRE "at 1s snapshot\n", 7, "snapshot"},
        {SUP_ACTION, KS_ACTION_PARTITION_NETWORK, PRE "at 1s partition-network n1 | n2\n", 7,
         "partition-network"},
        {SUP_ACTION, KS_ACTION_HEAL_NETWORK, PRE "at 1s heal-network\n", 7, "heal-network"},
        {SUP_ACTION, KS_ACTION_ELECT_PREFERRED, PRE "at 1s elect-preferred t\n", 7,
         "elect-preferred"},
        {SUP_ACTION, KS_ACTION_REASSIGN, PRE "at 1s reassign t-0 replicas={2}\n", 7, "reassign"},
        {SUP_ACTION, KS_ACTION_SET_CONFIG, PRE "at 1s set num.partitions=3\n", 7, "set"},
        {SUP_ACTION, KS_ACTION_DESCRIBE_GROUPS, PRE "at 1s describe groups\n", 7,
         "describe groups"},
        {SUP_ACTION, KS_ACTION_EXPECT, PRE "at 1s expect alive broker 1\n", 7, "expect"},
        {SUP_EXPECT, KS_EXPECT_LEADER, PRE "expect leader t-0 == 1\n", 8, "expect leader"},
        {SUP_EXPECT, KS_EXPECT_ISR, PRE "expect isr t-0 == {1}\n", 8, "expect isr"},
        {SUP_EXPECT, KS_EXPECT_REPLICAS, PRE "expect replicas t-0 == {1}\n", 8, "expect replicas"},
        {SUP_EXPECT, KS_EXPECT_LEADER_EPOCH, PRE "expect leader-epoch t-0 == 0\n", 8,
         "expect leader-epoch"},
        {SUP_EXPECT, KS_EXPECT_LOG_END_OFFSET, PRE "expect log-end-offset t-0 == 0\n", 8,
         "expect log-end-offset"},
        {SUP_EXPECT, KS_EXPECT_HIGH_WATERMARK, PRE "expect high-watermark t-0 == 0\n", 8,
         "expect high-watermark"},
        {SUP_EXPECT, KS_EXPECT_ALIVE, PRE "expect alive broker 1\n", 8, "expect alive"},
        {SUP_EXPECT, KS_EXPECT_CONTROLLER, PRE "expect controller == 1\n", 8, "expect controller"},
        {SUP_EXPECT, KS_EXPECT_LAG, PRE_C "expect lag g == 0\n", 8, "expect lag"},
        {SUP_EXPECT, KS_EXPECT_COMMITTED, PRE_C "expect committed g t-0 == 0\n", 8,
         "expect committed"},
        {SUP_EXPECT, KS_EXPECT_GROUP_STATE, PRE_C "expect group-state g == Stable\n", 8,
         "expect group-state"},
        {SUP_EXPECT, KS_EXPECT_ASSIGNMENT, PRE_C "expect assignment c1 == {t-0}\n", 8,
         "expect assignment"},
        {SUP_EXPECT, KS_EXPECT_NO_ACKED_DATA_LOSS, PRE "expect no-acked-data-loss\n", 8,
         "expect no-acked-data-loss"},
        {SUP_EXPECT, KS_EXPECT_NO_DUPLICATES, PRE "expect no-duplicates\n", 8,
         "expect no-duplicates"},
        {SUP_EXPECT, KS_EXPECT_POSITION, PRE_C "expect position g t-0 >= 0\n", 8,
         "expect position"},
        {SUP_EXPECT, KS_EXPECT_IDLE, PRE_C "expect idle c1\n", 8, "expect idle"},
        {SUP_EXPECT, KS_EXPECT_COORDINATOR, PRE_C "expect coordinator g == 1\n", 8,
         "expect coordinator"},
        {SUP_STAT, KS_STAT_RECORDS_PRODUCED, PRE "expect records-produced >= 0\n", 8,
         "expect records-produced"},
        {SUP_STAT, KS_STAT_RECORDS_ACKED, PRE "expect records-acked >= 0\n", 8,
         "expect records-acked"},
        {SUP_STAT, KS_STAT_RECORDS_REFUSED, PRE "expect records-refused >= 0\n", 8,
         "expect records-refused"},
        {SUP_STAT, KS_STAT_RECORDS_LOST, PRE "expect records-lost >= 0\n", 8,
         "expect records-lost"},
        {SUP_STAT, KS_STAT_RECORDS_CONSUMED, PRE "expect records-consumed >= 0\n", 8,
         "expect records-consumed"},
        {SUP_STAT, KS_STAT_RECORDS_DUPLICATED, PRE "expect records-duplicated >= 0\n", 8,
         "expect records-duplicated"},
        {SUP_STAT, KS_STAT_RECORDS_SKIPPED, PRE "expect records-skipped >= 0\n", 8,
         "expect records-skipped"},
        {SUP_STAT, KS_STAT_LEADER_ELECTIONS, PRE "expect leader-elections >= 0\n", 8,
         "expect leader-elections"},
        {SUP_STAT, KS_STAT_REBALANCES, PRE "expect rebalances >= 0\n", 8, "expect rebalances"},
        {SUP_STAT, KS_STAT_UNAVAILABLE_US, PRE "expect unavailable-us >= 0\n", 8,
         "expect unavailable-us"},
        {SUP_PARTITIONER, KS_PARTITIONER_DEFAULT, PRE "producer p topic=t partitioner=default\n",
         32, NULL},
        {SUP_PARTITIONER, KS_PARTITIONER_KEY, PRE "producer p topic=t partitioner=key keys=9\n", 32,
         NULL},
        {SUP_PARTITIONER, KS_PARTITIONER_ROUND_ROBIN,
         PRE "producer p topic=t partitioner=round-robin\n", 32, NULL},
        {SUP_PARTITIONER, KS_PARTITIONER_STICKY, PRE "producer p topic=t partitioner=sticky\n", 32,
         NULL},
        {SUP_PARTITIONER, KS_PARTITIONER_EXPLICIT, PRE "producer p topic=t partition=1\n", 30,
         NULL},
    };
#undef PRE
#undef PRE_P
#undef PRE_C
    int checked = 0;
    for (size_t i = 0; i < G_N_ELEMENTS(cases); i++) {
        const char *text = cases[i].text;
        int line = 0;
        for (const char *c = text; *c; c++)
            line += *c == '\n';
        /* Everything parses once unsupported lines are allowed. */
        g_autoptr(KsPlan) all = parse_ok(text);
        assert_non_null(all);
        g_autoptr(GError) error = NULL;
        g_autoptr(KsPlan) plan = ks_scenario_parse("test.ks", text, strlen(text), &error);
        bool sup = supported(cases[i].k, cases[i].kind);
        g_autofree char *at_line = g_strdup_printf("test.ks:%d:", line);
        if (error && error->code == KS_SCENARIO_ERROR_UNSUPPORTED &&
            !g_str_has_prefix(error->message, at_line))
            continue; /* a line above it is refused first: cannot tell */
        if (cases[i].k == SUP_PARTITIONER && !ks_support_decl(KS_DECL_PRODUCER))
            continue; /* the producer line itself is refused */
        checked++;
        if (sup) {
            if (!plan)
                fail_msg("supported, yet refused: %s", error->message);
            continue;
        }
        if (plan)
            fail_msg("not supported, yet accepted:\n%s", text);
        ks_assert_i64_eq(error->code, KS_SCENARIO_ERROR_UNSUPPORTED);
        g_autofree char *prefix =
            cases[i].what
                ? g_strdup_printf("test.ks:%d:%d: error: '%s' is not supported yet: ", line,
                                  cases[i].col, cases[i].what)
                : g_strdup_printf("test.ks:%d:%d: error: partition", line, cases[i].col);
        if (!g_str_has_prefix(error->message, prefix))
            fail_msg("got      %s\nexpected %s...", error->message, prefix);
    }
    assert_true(checked > 0);

    /* Configs: every row of the table, set cluster-wide. */
    for (int k = 0; k < KS_CFG_COUNT; k++) {
        const KsConfigInfo *info = ks_config_info((KsConfigKey)k);
        g_autofree char *v = ks_config_format_value(info->key, info->def);
        g_autofree char *text = g_strdup_printf(CLUSTER3 "set %s=%s\n", info->name, v);
        g_autoptr(GError) error = NULL;
        g_autoptr(KsPlan) plan = ks_scenario_parse("test.ks", text, strlen(text), &error);
        if (info->supported) {
            if (!plan)
                fail_msg("%s is supported, yet refused: %s", info->name, error->message);
            continue;
        }
        assert_null(plan);
        ks_assert_i64_eq(error->code, KS_SCENARIO_ERROR_UNSUPPORTED);
        g_autofree char *want = g_strdup_printf("test.ks:2:5: error: config '%s' is not "
                                                "supported yet: the simulator does not model it",
                                                info->name);
        ks_assert_str_eq(error->message, want);
    }
}

static void test_scenario_messages_for_newcomers(void **state)
{
    static const struct {
        const char *text, *message;
    } cases[] = {
        {"brokr 1 node=n1\n", "1:1: error: unknown declaration 'brokr'; did you mean 'broker'?"},
        {"5s\n", "1:1: error: a line starts with a keyword such as `topic` or `at`, not '5s'"},
        {CLUSTER3 "at 1s crash\n", "2:7: error: 'crash' needs what to crash: broker, node, "
                                   "consumer, flume or zookeeper"},
        {CLUSTER3 "at 1s\n", "2:6: error: expected an action, e.g. crash broker 2"},
        {CLUSTER3 "at 1s dance\n", "2:7: error: unknown action 'dance'; actions are crash, "
                                   "restart, stop, add, start, seek, produce, say, snapshot, "
                                   "partition-network, heal-network, pause, elect-preferred, "
                                   "reassign, set, describe, expect, resize, rolling-resize"},
        {CLUSTER3 "at 1s crash brokr 1\n",
         "2:13: error: cannot crash 'brokr'; did you mean "
         "'broker'?; 'crash' takes broker, node, consumer, flume or zookeeper"},
        {CLUSTER3 "at 1s crash broker\n", "2:7: error: crash broker needs a broker id; usage: "
                                          "crash broker ID"},
        {CLUSTER3 "at 1s crash broker n1\n", "2:20: error: expected a broker id (a whole "
                                             "number), found 'n1', e.g. crash broker 2"},
        {CLUSTER3 "at 1s crash broker 1 2\n", "2:22: error: unexpected '2'; usage: crash broker "
                                              "ID"},
        {CLUSTER3 "at 1s crash node n7\n", "2:18: error: node 'n7' is not declared; nodes are "
                                           "n1, n2, n3"},
        {CLUSTER3 "topic t\nat 1s start producer p\n", "3:22: error: producer 'p' is not "
                                                       "declared; no producer is declared"},
        {CLUSTER3 "at 1s snapshot {a}\n", "2:16: error: '{a}': expected a snapshot name, not a "
                                          "set, e.g. snapshot after-failover"},
        {CLUSTER3 "expect\n", "2:1: error: expect needs a condition, e.g. expect leader "
                              "orders-0 == 1"},
        {CLUSTER3 "expect lag\n", "2:11: error: the condition is incomplete; usage: expect lag "
                                  "GROUP OP N"},
        {CLUSTER3 "expect controller == 9\n", "2:22: error: broker 9 is not declared; brokers "
                                              "are 1, 2, 3"},
        {CLUSTER3 "topic t\nat 1s produce topic=t partition=x\n",
         "3:33: error: partition=x: expected a whole number, e.g. partition=0"},
        {CLUSTER3 "topic t\nat 1s produce topic=t count=0\n",
         "3:29: error: count=0 is out of range: it must be between 1 and 1000000000"},
        {CLUSTER3 "topic t\nat 1s reassign t-0 replicas={1,x}\n",
         "3:32: error: expected a broker id (a whole number), found 'x', e.g. replicas=4,5,6"},
        {CLUSTER3 "topic t\nat 1s reassign topic t brokers=1..9\n",
         "3:32: error: broker 4 is not declared; brokers are 1, 2, 3"},
        {CLUSTER3 "topic t replication-factor=2\nat 1s reassign all brokers=1\n",
         "3:28: error: Replication factor: 2 larger than available brokers: 1."},
        {CLUSTER3 "topic t\nat 1s reassign t-0 brokers=1,2,3\n",
         "3:20: error: 'brokers' is for a plan"},
        {CLUSTER3 "network jitter=abc\n",
         "2:16: error: expected a duration, found 'abc', e.g. jitter=100us"},
        {CLUSTER3 "network jitter=1ms\nnetwork loopback=1us\n",
         "3:1: error: network is already declared on line 2"},
        {CLUSTER3 "link n1 n1\n", "2:9: error: a link joins two different nodes, e.g. link n1 n2 "
                                  "latency=5ms"},
        {CLUSTER3 "link n1 n2 loss=200%\n",
         "2:17: error: '200%': expected a share from 0% to 100%, e.g. loss=10%"},
        {CLUSTER3 "link n1 n2\nlink n2 n1 latency=1ms\n",
         "3:9: error: the link between these nodes is already declared on line 2"},
        {CLUSTER3 "at 1s pause broker 2 8s\n",
         "2:22: error: write how long: pause broker 2 for 8s"},
        {CLUSTER3 "at 1s pause broker 2 for 0s\n",
         "2:26: error: a pause lasts longer than 0, e.g. pause broker 2 for 8s"},
        {CLUSTER3 "at 1s partition-network n1 -> n2 loss=x\n",
         "2:39: error: 'x': expected a share from 0% to 100%, e.g. loss=10%"},
        {CLUSTER3 "expect connected n1 n9\n",
         "2:21: error: node 'n9' is not declared; nodes are n1, n2, n3"},
        {CLUSTER3 "at 1s partition-network n1 | n2 | n3\n",
         "2:33: error: partition-network splits the nodes in two: use one '|'"},
        {CLUSTER3 "topic t\nproducer p topic=t\nat 1s stop producer n1\n",
         "4:21: error: producer 'n1' is not declared; producers are p"},
        {CLUSTER3 "topic t | x\n", "2:9: error: unexpected '|'; usage: topic NAME"},
        {CLUSTER3 "topic t partition 3\n", "2:9: error: unexpected 'partition'; did you mean "
                                           "partitions=...? usage: topic NAME"},
        {CLUSTER3 "node n1\n", "2:6: error: node 'n1' is already declared on line 1"},
        {CLUSTER3 "topic t topics=x\n", "2:9: error: unknown key 'topics' for topic"},
        {CLUSTER3 "topic t acks=all\n", "2:9: error: 'acks' is a producer config; it cannot be "
                                        "set on a topic"},
        {CLUSTER3 "topic t retry.backoff.ms=5\n",
         "2:9: error: 'retry.backoff.ms' is a producer and consumer config; it cannot be set on "
         "a topic"},
        {CLUSTER3 "node n9 acks=1\n", "2:9: error: 'acks' is a Kafka config; node takes none"},
        {"broker 1 node=n1\n", "1:15: error: node 'n1' is not declared; no node is declared"},
        {"node n1\nbroker -1 node=n1\n", "2:8: error: '-1' is out of range: it must be between "
                                         "0 and 2147483647"},
        {CLUSTER3 "zookeeper\nzookeeper\n", "3:1: error: zookeeper is already declared on line "
                                            "2"},
        {CLUSTER3 "topic t\nproducer p topic=t partitioner=murmur\n",
         "3:32: error: partitioner=murmur: expected one of default, key, round-robin, sticky"},
        {CLUSTER3 "topic t\nproducer p topic=t partitioner=kye\n",
         "3:32: error: partitioner=kye: expected one of default, key, round-robin, sticky; did "
         "you mean 'key'?"},
        {CLUSTER3 "topic t\nconsumer c group=g topics={t}\n",
         "3:27: error: topics={t}: write the topics without braces, e.g. topics=orders,payments"},
        {CLUSTER3 "group g assignor=rr\n", "2:18: error: assignor=rr: expected one of range, "
                                           "roundrobin, sticky, cooperative-sticky"},
        /* replica-assignment=, as kafka-topics.sh --replica-assignment. */
        {CLUSTER3 "topic t replica-assignment=\"1:2,3:1:3\"\n",
         "2:37: error: Partition replica lists may not contain duplicate entries: 3 (partition "
         "1)"},
        {CLUSTER3 "topic t replica-assignment=\"1:2,2:3:1\"\n",
         "2:33: error: Partition 1 has different replication factor: [2, 3, 1] (partition 0 has "
         "2 replicas)"},
        {CLUSTER3 "topic t replica-assignment=\"1:2,2:7\"\n",
         "2:35: error: Unknown broker(s) in replica assignment: 7. (no such broker when the "
         "topic is created; brokers are 1, 2, 3)"},
        {CLUSTER3 "topic t replica-assignment=\"1:2,,2:3\"\n",
         "2:33: error: partition 1 is empty: replica-assignment lists the brokers of every "
         "partition, e.g. replica-assignment=\"1:2:3,2:3:1\""},
        {CLUSTER3 "topic t replica-assignment=\"1::2\"\n",
         "2:31: error: partition 0 has an empty broker id: brokers are separated by ':', e.g. "
         "replica-assignment=\"1:2:3,2:3:1\""},
        {CLUSTER3 "topic t replica-assignment=\"\"\n",
         "2:28: error: replica-assignment=\"\" is empty: list the brokers of every partition, "
         "e.g. replica-assignment=\"1:2:3,2:3:1\""},
        {CLUSTER3 "topic t replica-assignment=\"1:b2\"\n",
         "2:31: error: 'b2' is not a broker id (a whole number); write the brokers of each "
         "partition separated by ':', e.g. replica-assignment=\"1:2:3,2:3:1\""},
        {CLUSTER3 "topic t replica-assignment=1\n",
         "2:28: error: replica-assignment=1: write the assignment in double quotes, e.g. "
         "replica-assignment=\"1:2:3,2:3:1\""},
        {CLUSTER3 "topic t replica-assignment=\"1:2\" partitions=3\n",
         "2:34: error: partitions= can't be used with replica-assignment=, which places every "
         "replica of every partition"},
        {CLUSTER3 "topic t replication-factor=2 replica-assignment=\"1:2\"\n",
         "2:9: error: replication-factor= can't be used with replica-assignment=, which places "
         "every replica of every partition"},
        {CLUSTER3 "topic t replica-assignment=\"1\" replica-placement-start=0\n",
         "2:32: error: replica-placement-start= can't be used with replica-assignment=, which "
         "places every replica of every partition"},
    };
    for (size_t i = 0; i < G_N_ELEMENTS(cases); i++) {
        /* These are mistakes, whatever the simulator supports today. */
        g_autofree char *msg =
            parse_err_flags(cases[i].text, KS_SCENARIO_PARSE_ALLOW_UNSUPPORTED, NULL);
        if (!g_str_has_prefix(msg + strlen("test.ks:"), cases[i].message))
            fail_msg("for:\n%s  got      %s\n  expected test.ks:%s", cases[i].text, msg,
                     cases[i].message);
    }
}

static void test_scenario_limits(void **state)
{
    /* A file over 16 MiB is refused before anything is read. */
    size_t big = 16 * 1024 * 1024 + 1;
    g_autofree char *text = g_malloc0(big);
    g_autoptr(GError) error = NULL;
    g_autoptr(KsPlan) plan = ks_scenario_parse("big.ks", text, big, &error);
    assert_null(plan);
    ks_assert_i64_eq(error->code, KS_SCENARIO_ERROR_IO);
    ks_assert_str_eq(error->message, "big.ks:1:1: error: the file is larger than 16 MiB; "
                                     "scenarios are limited to that");

    g_autofree char *m1 = parse_err("cluster nodes=10001\n", NULL);
    ks_assert_str_eq(m1, "test.ks:1:15: error: nodes=10001 is out of range: it must be between 1 "
                         "and 10000");
    g_autofree char *m2 = parse_err(CLUSTER3 "topic t partitions=100001\n", NULL);
    ks_assert_str_eq(m2, "test.ks:2:20: error: partitions=100001 is out of range: it must be "
                         "between 1 and 100000");
    GString *many = g_string_new(CLUSTER3);
    for (int i = 0; i < 11; i++)
        g_string_append_printf(many, "topic t%d partitions=100000\n", i);
    g_autofree char *m3 = parse_err(many->str, NULL);
    g_string_free(many, TRUE);
    ks_assert_str_eq(m3, "test.ks:12:1: error: too many partitions: the topics have more than "
                         "1000000 together");
    GString *name = g_string_new(CLUSTER3 "topic ");
    for (int i = 0; i < 250; i++)
        g_string_append_c(name, 'x');
    g_string_append_c(name, '\n');
    g_autofree char *m4 = parse_err(name->str, NULL);
    g_string_free(name, TRUE);
    ks_assert_str_eq(m4, "test.ks:2:7: error: topic name is 250 characters long; Kafka allows at "
                         "most 249");
    /* The largest cluster still parses. */
    g_autoptr(KsPlan) large = parse_ok("cluster nodes=100 brokers-per-node=100\n");
    ks_assert_i64_eq(large->brokers->len, 10000);
    g_autofree char *m5 = parse_err("cluster nodes=100 brokers-per-node=100\nnode x\n"
                                    "broker 0 node=x\n",
                                    NULL);
    ks_assert_str_eq(m5, "test.ks:3:8: error: too many brokers (at most 10000)");
}

static void test_scenario_parse_file(void **state)
{
    g_autoptr(GError) error = NULL;
    g_autoptr(KsPlan) plan = ks_scenario_parse_file("/nonexistent/x.ks", &error);
    assert_null(plan);
    ks_assert_i64_eq(error->code, KS_SCENARIO_ERROR_IO);
    ks_assert_str_eq(
        error->message,
        "/nonexistent/x.ks:1:1: error: cannot read the file: No such file or directory");
    g_clear_error(&error);
    g_autoptr(KsPlan) dir = ks_scenario_parse_file("/", &error);
    assert_null(dir);
    ks_assert_i64_eq(error->code, KS_SCENARIO_ERROR_IO);
}

/* Random garbage and mutated scenarios never crash, hang or leak, and every
 * error is one well-formed line. */
static void test_scenario_survives_garbage(void **state)
{
    static const char base[] =
        "seed 42\ncluster nodes=3 brokers-per-node=2 zones=a,b\n"
        "topic orders partitions=6 replication-factor=3\n"
        "producer web topic=orders rate=500/s partitioner=key keys=1000 acks=all\n"
        "consumer c1 group=billing topics=orders\n"
        "at 2s crash broker 2\nat 3s say \"hi \\\"there\\\"\"\n"
        "at 4s partition-network n1 | n2,n3\nevery 5s snapshot\nrun until 30s\n"
        "expect isr orders-0 == {1,3}\nexpect leader orders-0 != none\n";
    static const char alphabet[] = "a1-_.=,{}|\"\\#\n \t<>!0s/é\x01";
    uint64_t x = 0x9E3779B97F4A7C15ull;
    for (int i = 0; i < 3000; i++) {
        g_autofree char *text = g_strdup(base);
        size_t len = strlen(text);
        int edits = 1 + i % 4;
        for (int e = 0; e < edits; e++) {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            text[x % len] = alphabet[(x >> 20) % (sizeof alphabet - 1)];
        }
        g_autoptr(GError) error = NULL;
        g_autoptr(KsPlan) plan = ks_scenario_parse_full(
            "fuzz.ks", text, len, i % 2 ? KS_SCENARIO_PARSE_ALLOW_UNSUPPORTED : 0, &error);
        if (!plan) {
            assert_true(g_str_has_prefix(error->message, "fuzz.ks:"));
            assert_non_null(strstr(error->message, ": error: "));
            assert_null(strchr(error->message, '\n'));
        }
    }
}

static void test_scenario_parsing_is_deterministic(void **state)
{
    const char *text = CLUSTER3 "topic t partitions=3\nproducer p topic=t\n"
                                "every 3s produce topic=t\nat 3s crash broker 1\n"
                                "every 1s snapshot\nat 3s restart broker 1\nrun until 9s\n";
    g_autoptr(KsPlan) a = parse_ok(text);
    g_autoptr(KsPlan) b = parse_ok(text);
    ks_assert_i64_eq(a->actions->len, b->actions->len);
    for (guint i = 0; i < a->actions->len; i++) {
        ks_assert_i64_eq(action(a, i)->loc.line, action(b, i)->loc.line);
        ks_assert_i64_eq(action(a, i)->at, action(b, i)->at);
    }
    /* Ties at 3s keep file order; every's first run is its period. */
    static const int lines[] = {6, 4, 5, 7};
    for (guint i = 0; i < 4; i++)
        ks_assert_i64_eq(action(a, i)->loc.line, lines[i]);
}

/* ------------------------------------------------------------------------ */
/* Files: tests/bad, scenarios, docs                                          */

static gint cmp_path(gconstpointer a, gconstpointer b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

/* The .ks files of @dir, sorted; none if it does not exist. */
static GPtrArray *list_ks_files(const char *dir)
{
    GPtrArray *files = g_ptr_array_new_with_free_func(g_free);
    g_autoptr(GDir) d = g_dir_open(dir, 0, NULL);
    if (!d)
        return files;
    const char *name;
    while ((name = g_dir_read_name(d)))
        if (g_str_has_suffix(name, ".ks"))
            g_ptr_array_add(files, g_build_filename(dir, name, NULL));
    g_ptr_array_sort(files, cmp_path);
    return files;
}

static void test_scenario_bad_files_fail_as_announced(void **state)
{
    g_autofree char *dir = g_build_filename(source_root(), "tests", "bad", NULL);
    g_autoptr(GPtrArray) files = list_ks_files(dir);
    if (files->len < 40)
        fail_msg("%s has %u .ks files; expected at least 40", dir, files->len);
    for (guint i = 0; i < files->len; i++) {
        const char *path = files->pdata[i];
        g_autofree char *text = NULL;
        gsize len;
        assert_true(g_file_get_contents(path, &text, &len, NULL));
        /* First line: "# error: LINE:COL: message-substring". */
        const char *nl = memchr(text, '\n', len);
        assert_non_null(nl);
        g_autofree char *first = g_strndup(text, (gsize)(nl - text));
        if (!g_str_has_prefix(first, "# error: "))
            fail_msg("%s: the first line must be '# error: LINE:COL: message'", path);
        const char *spec = first + strlen("# error: ");
        int line = 0, col = 0, used = 0;
        if (sscanf(spec, "%d:%d: %n", &line, &col, &used) != 2 || used == 0)
            fail_msg("%s: cannot read LINE:COL in '%s'", path, first);
        const char *want = spec + used;

        g_autoptr(GError) error = NULL;
        g_autoptr(KsPlan) plan = ks_scenario_parse_file(path, &error);
        if (plan)
            fail_msg("%s parses, but it should fail with: %s", path, want);
        g_autofree char *prefix = g_strdup_printf("%s:%d:%d: error: ", path, line, col);
        if (!g_str_has_prefix(error->message, prefix) ||
            !strstr(error->message + strlen(prefix), want))
            fail_msg("%s:\n  got      %s\n  expected %s...%s...", path, error->message, prefix,
                     want);
        assert_null(strchr(error->message, '\n'));
    }
}

/* Every example scenario parses, and parses the same one line at a time. */
static void test_scenario_example_scenarios_parse(void **state)
{
    g_autofree char *dir = g_build_filename(source_root(), "scenarios", NULL);
    g_autoptr(GPtrArray) files = list_ks_files(dir);
    if (files->len == 0)
        fail_msg("%s has no .ks files", dir);
    for (guint i = 0; i < files->len; i++) {
        g_autoptr(GError) error = NULL;
        g_autoptr(KsPlan) plan = ks_scenario_parse_file(files->pdata[i], &error);
        if (!plan)
            fail_msg("%s", error->message);
        g_autofree char *text = NULL;
        if (!g_file_get_contents(files->pdata[i], &text, NULL, NULL))
            fail_msg("cannot read %s", (const char *)files->pdata[i]);
        assert_same_by_lines(files->pdata[i], text);
    }
}

static void test_scenario_keywords_are_documented(void **state)
{
    g_autofree char *path = g_build_filename(source_root(), "docs", "scenario-language.md", NULL);
    g_autofree char *doc = NULL;
    if (!g_file_get_contents(path, &doc, NULL, NULL))
        fail_msg("cannot read %s", path);
    const char *const *words = ks_scenario_keywords();
    int n = 0;
    for (; words[n]; n++) {
        g_autofree char *code = g_strdup_printf("`%s`", words[n]);
        if (!strstr(doc, code))
            fail_msg("keyword %s is not documented in %s", code, path);
        for (int j = 0; j < n; j++)
            if (strcmp(words[j], words[n]) == 0)
                fail_msg("keyword '%s' is listed twice", words[n]);
    }
    /* The tables are all there: a sample of each kind. */
    static const char *const expected[] = {"seed",
                                           "zookeeper",
                                           "crash broker",
                                           "add broker",
                                           "partition-network",
                                           "no-acked-data-loss",
                                           "unavailable-us",
                                           "replica-placement-start",
                                           "until",
                                           "cooperative-sticky",
                                           "Stable"};
    for (size_t i = 0; i < G_N_ELEMENTS(expected); i++) {
        bool found = false;
        for (int j = 0; j < n; j++)
            found |= strcmp(words[j], expected[i]) == 0;
        if (!found)
            fail_msg("'%s' is missing from ks_scenario_keywords()", expected[i]);
    }
    assert_ptr_equal(ks_scenario_keywords(), words);
    /* And every Kafka config, as a row of the doc's table. */
    for (int k = 0; k < KS_CFG_COUNT; k++) {
        g_autofree char *row = g_strdup_printf("\n| %s |", ks_config_info((KsConfigKey)k)->name);
        if (!strstr(doc, row))
            fail_msg("config %s has no row in the table of %s", row + 3, path);
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_scenario_error_codes),
        cmocka_unit_test(test_scenario_validates_before_refusing_unsupported),
        cmocka_unit_test(test_scenario_refuses_what_is_not_supported),
        cmocka_unit_test(test_scenario_messages_for_newcomers),
        cmocka_unit_test(test_scenario_limits),
        cmocka_unit_test(test_scenario_parse_file),
        cmocka_unit_test(test_scenario_survives_garbage),
        cmocka_unit_test(test_scenario_parsing_is_deterministic),
        cmocka_unit_test(test_scenario_bad_files_fail_as_announced),
        cmocka_unit_test(test_scenario_example_scenarios_parse),
        cmocka_unit_test(test_scenario_keywords_are_documented),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
