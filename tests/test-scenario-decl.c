/* SPDX-License-Identifier: MIT */
/*
 * test-scenario-decl.c - the scenario language: durations and declarations.
 *
 * How durations are written and read back, then the plan a newcomer's
 * declarations turn into: cluster expansion, topic defaults and
 * replica-assignment=, configs and their values by type, producers as
 * Kafka builds them (idempotence, delivery.timeout.ms, config conflicts,
 * partitioners), groups and consumers, ZooKeeper and Flume.
 */
#include "ks-scenario-test.h"

#include <stdio.h>
#include <string.h>

#include "kafkasim/config.h"
#include "kafkasim/scenario.h"
#include "kafkasim/support.h"

/* ------------------------------------------------------------------------ */
/* Durations                                                                  */

static void test_scenario_format_duration_examples(void **state)
{
    static const struct {
        KsTime t;
        const char *text;
    } cases[] = {
        {0, "0s"},
        {250, "250us"},
        {1500, "1.5ms"},
        {1000, "1ms"},
        {1001, "1.001ms"},
        {1500000, "1.5s"},
        {1000001, "1000.001ms"},
        {1000000, "1s"},
        {90 * KS_TIME_S, "90s"},
        {2 * KS_TIME_MIN, "2m"},
        {90 * KS_TIME_MIN, "90m"},
        {KS_TIME_H, "1h"},
        {25 * KS_TIME_H, "25h"},
        /* Not exact in three decimals of a second: milliseconds instead. */
        {123456789, "123456.789ms"},
    };
    for (size_t i = 0; i < G_N_ELEMENTS(cases); i++) {
        g_autofree char *s = ks_scenario_format_duration(cases[i].t);
        ks_assert_str_eq(s, cases[i].text);
    }
}

static void test_scenario_duration_round_trip(void **state)
{
    /* Every duration formats to text that parses back to itself. */
    uint64_t x = 88172645463325252ull;
    for (int i = 0; i < 20000; i++) {
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        static const KsTime scales[] = {1, 1000, 1000000, 60000000, 3600000000};
        KsTime t = (KsTime)(x % 100000) * scales[i % 5] + (i % 7 == 0 ? (KsTime)(x % 999) : 0);
        g_autofree char *s = ks_scenario_format_duration(t);
        KsTime back = -1;
        g_autoptr(GError) error = NULL;
        if (!ks_scenario_parse_duration(s, &back, &error))
            fail_msg("'%s' (from %" PRId64 ") does not parse: %s", s, t, error->message);
        ks_assert_i64_eq(back, t);
    }
}

static void test_scenario_parse_duration_errors(void **state)
{
    KsTime t = -1;
    assert_true(ks_scenario_parse_duration("0", &t, NULL));
    ks_assert_i64_eq(t, 0);
    assert_true(ks_scenario_parse_duration("2m", &t, NULL));
    ks_assert_i64_eq(t, 2 * KS_TIME_MIN);
    static const struct {
        const char *text, *message;
    } cases[] = {
        {"1.5us", "duration '1.5us' is not a whole number of microseconds"},
        {"5", "duration '5' needs a unit: us, ms, s, m or h"},
        {"", "duration '' is not a duration: write a number and a unit, e.g. 10s, 250ms, 1.5s"},
        {" 5s", "duration ' 5s' is not a duration: write a number and a unit, e.g. 10s, 250ms, "
                "1.5s"},
        {"-1s", "duration '-1s' is not a duration: write a number and a unit, e.g. 10s, 250ms, "
                "1.5s"},
    };
    for (size_t i = 0; i < G_N_ELEMENTS(cases); i++) {
        g_autoptr(GError) error = NULL;
        assert_false(ks_scenario_parse_duration(cases[i].text, &t, &error));
        ks_assert_i64_eq(error->code, KS_SCENARIO_ERROR_VALUE);
        ks_assert_str_eq(error->message, cases[i].message);
    }
}

/* ------------------------------------------------------------------------ */
/* Declarations                                                               */

static void test_scenario_cluster_expands_node_major(void **state)
{
    g_autoptr(KsPlan) plan = parse_ok("seed 7\n"
                                      "cluster nodes=3 brokers-per-node=2 zones=eu-1a,eu-1b\n");
    assert_true(plan->has_seed);
    ks_assert_i64_eq(plan->seed, 7);
    ks_assert_i64_eq(plan->nodes->len, 3);
    static const char *const zones[] = {"eu-1a", "eu-1b", "eu-1a"};
    for (guint i = 0; i < 3; i++) {
        const KsPlanNode *n = plan->nodes->pdata[i];
        g_autofree char *name = g_strdup_printf("n%u", i + 1);
        ks_assert_str_eq(n->name, name);
        ks_assert_str_eq(n->zone, zones[i]);
        ks_assert_i64_eq(n->loc.line, 2);
    }
    ks_assert_i64_eq(plan->brokers->len, 6);
    static const char *const nodes[] = {"n1", "n1", "n2", "n2", "n3", "n3"};
    for (guint i = 0; i < 6; i++) {
        const KsPlanBroker *b = plan->brokers->pdata[i];
        ks_assert_i64_eq(b->id, i + 1);
        ks_assert_str_eq(b->node, nodes[i]);
        /* With zones, broker.rack is the node's zone. */
        ks_assert_str_eq(b->rack, zones[i / 2]);
    }
    ks_assert_str_eq(ks_plan_find_broker(plan, 4)->node, "n2");
    assert_null(ks_plan_find_broker(plan, 7));
    ks_assert_str_eq(ks_plan_find_node(plan, "n3")->zone, "eu-1a");
}

static void test_scenario_cluster_combines_with_explicit_lines(void **state)
{
    g_autoptr(KsPlan) plan = parse_ok("node zk zone=eu-1c\n"
                                      "broker 0 node=zk rack=r0\n"
                                      "cluster nodes=2\n"
                                      "broker 100 node=n2\n");
    ks_assert_i64_eq(plan->nodes->len, 3);
    ks_assert_str_eq(((KsPlanNode *)plan->nodes->pdata[0])->name, "zk");
    /* Brokers come sorted by id, whatever the order of the lines. */
    static const KsBrokerId ids[] = {0, 1, 2, 100};
    ks_assert_i64_eq(plan->brokers->len, 4);
    for (guint i = 0; i < 4; i++)
        ks_assert_i64_eq(((KsPlanBroker *)plan->brokers->pdata[i])->id, ids[i]);
    const KsPlanBroker *b0 = ks_plan_find_broker(plan, 0);
    ks_assert_str_eq(b0->rack, "r0");
    assert_null(ks_plan_find_broker(plan, 1)->rack);
    ks_assert_i64_eq(ks_plan_find_broker(plan, 100)->loc.line, 4);

    g_autofree char *msg = parse_err("node x\nbroker 2 node=x\ncluster nodes=2\n", NULL);
    ks_assert_str_eq(msg, "test.ks:3:1: error: cluster declares broker 2, which is already "
                          "declared on line 2");
}

static void test_scenario_topic_defaults(void **state)
{
    g_autoptr(KsPlan) plan = parse_ok(CLUSTER3 "topic plain\n"
                                               "topic big partitions=12 replication-factor=3 "
                                               "replica-placement-start=2\n"
                                               "set num.partitions=6 default.replication.factor=2\n"
                                               "topic a-1\n");
    ks_assert_i64_eq(plan->topics->len, 3);
    /* `set` is cluster-wide whatever its place among the declarations. */
    const KsPlanTopic *plain = ks_plan_find_topic(plan, "plain");
    ks_assert_i64_eq(plain->partitions, 6);
    ks_assert_i64_eq(plain->replication_factor, 2);
    ks_assert_i64_eq(plain->placement_start, -1);
    const KsPlanTopic *big = ks_plan_find_topic(plan, "big");
    ks_assert_i64_eq(big->partitions, 12);
    ks_assert_i64_eq(big->replication_factor, 3);
    ks_assert_i64_eq(big->placement_start, 2);
    ks_assert_str_eq(((KsPlanTopic *)plan->topics->pdata[2])->name, "a-1");

    g_autoptr(KsPlan) bare = parse_ok(CLUSTER3 "topic t\n");
    ks_assert_i64_eq(ks_plan_find_topic(bare, "t")->partitions, 1);
    ks_assert_i64_eq(ks_plan_find_topic(bare, "t")->replication_factor, 1);

    int code;
    g_autofree char *msg = parse_err(CLUSTER3 "set default.replication.factor=4\ntopic t\n", &code);
    ks_assert_str_eq(msg,
                     "test.ks:3:7: error: Replication factor: 4 larger than available brokers: 3.");
    ks_assert_i64_eq(code, KS_SCENARIO_ERROR_VALUE);
}

/* replica-assignment= is kafka-topics.sh --replica-assignment: one list
 * per partition, the preferred leader first; blanks around ids as Kafka
 * trims them; a topic may name brokers declared below it. */
static void test_scenario_topic_replica_assignment(void **state)
{
    g_autoptr(KsPlan) plan =
        parse_ok("topic t replica-assignment=\"3:1, 2:3 ,1:2,3:2\" "
                 "min.insync.replicas=2\n" CLUSTER3 "topic plain partitions=2\n");
    const KsPlanTopic *t = ks_plan_find_topic(plan, "t");
    ks_assert_i64_eq(t->partitions, 4);
    ks_assert_i64_eq(t->replication_factor, 2);
    ks_assert_i64_eq(t->placement_start, -1);
    assert_non_null(t->assignment);
    static const KsBrokerId want[] = {3, 1, 2, 3, 1, 2, 3, 2};
    for (size_t k = 0; k < G_N_ELEMENTS(want); k++)
        ks_assert_i64_eq(t->assignment[k], want[k]);
    ks_assert_i64_eq(ks_config_resolve(KS_CFG_MIN_INSYNC_REPLICAS, t->configs, NULL), 2);
    assert_null(ks_plan_find_topic(plan, "plain")->assignment);

    /* One partition of one replica, and many partitions on one line. */
    g_autoptr(KsPlan) one = parse_ok(CLUSTER3 "topic t replica-assignment=\"2\"\n");
    const KsPlanTopic *t1 = ks_plan_find_topic(one, "t");
    ks_assert_i64_eq(t1->partitions, 1);
    ks_assert_i64_eq(t1->replication_factor, 1);
    ks_assert_i64_eq(t1->assignment[0], 2);
    GString *big = g_string_new(CLUSTER3 "topic big replica-assignment=\"");
    for (int p = 0; p < 30000; p++)
        g_string_append_printf(big, "%s%d:%d:%d", p ? "," : "", p % 3 + 1, (p + 1) % 3 + 1,
                               (p + 2) % 3 + 1);
    g_string_append(big, "\"\n");
    g_autoptr(KsPlan) many = parse_ok(big->str);
    g_string_free(big, TRUE);
    const KsPlanTopic *tb = ks_plan_find_topic(many, "big");
    ks_assert_i64_eq(tb->partitions, 30000);
    ks_assert_i64_eq(tb->replication_factor, 3);
    ks_assert_i64_eq(tb->assignment[3 * 29999], 29999 % 3 + 1);
    ks_assert_i64_eq(tb->assignment[3 * 29999 + 2], (29999 + 2) % 3 + 1);
}

static void test_scenario_configs_resolve(void **state)
{
    g_autoptr(KsPlan) plan = parse_ok(CLUSTER3 "broker 9 node=n1 replica.lag.time.max.ms=10000\n"
                                               "set acks=1 linger.ms=5 min.insync.replicas=2\n"
                                               "topic t min.insync.replicas=3 retention.ms=-1\n"
                                               "producer a topic=t\n"
                                               "producer b topic=t acks=all linger.ms=1.5ms "
                                               "batch.size=1000\n"
                                               "consumer c topics=t group=g session.timeout.ms=6s "
                                               "auto.offset.reset=earliest\n");
    const KsConfigSet *d = plan->defaults;
    const KsPlanBroker *b9 = ks_plan_find_broker(plan, 9);
    ks_assert_i64_eq(ks_config_resolve(KS_CFG_REPLICA_LAG_TIME_MAX_MS, b9->configs, d),
                     10 * KS_TIME_S);
    ks_assert_i64_eq(
        ks_config_resolve(KS_CFG_REPLICA_LAG_TIME_MAX_MS, ks_plan_find_broker(plan, 1)->configs, d),
        30 * KS_TIME_S);
    const KsPlanTopic *t = ks_plan_find_topic(plan, "t");
    ks_assert_i64_eq(ks_config_resolve(KS_CFG_MIN_INSYNC_REPLICAS, t->configs, d), 3);
    ks_assert_i64_eq(ks_config_resolve(KS_CFG_RETENTION_MS, t->configs, d), -KS_TIME_MS);
    const KsPlanProducer *a = ks_plan_find_producer(plan, "a");
    const KsPlanProducer *b = ks_plan_find_producer(plan, "b");
    ks_assert_i64_eq(ks_config_resolve(KS_CFG_ACKS, a->configs, d), 1);
    ks_assert_i64_eq(ks_config_resolve(KS_CFG_ACKS, b->configs, d), -1);
    ks_assert_i64_eq(ks_config_resolve(KS_CFG_LINGER_MS, a->configs, d), 5 * KS_TIME_MS);
    ks_assert_i64_eq(ks_config_resolve(KS_CFG_LINGER_MS, b->configs, d), 1500);
    ks_assert_i64_eq(ks_config_resolve(KS_CFG_BATCH_SIZE, b->configs, d), 1000);
    ks_assert_i64_eq(ks_config_resolve(KS_CFG_BATCH_SIZE, a->configs, d), 16384);
    const KsPlanConsumer *c = ks_plan_find_consumer(plan, "c");
    ks_assert_i64_eq(ks_config_resolve(KS_CFG_SESSION_TIMEOUT_MS, c->configs, d), 6 * KS_TIME_S);
    ks_assert_i64_eq(ks_config_resolve(KS_CFG_AUTO_OFFSET_RESET, c->configs, d), 1);
    ks_assert_i64_eq(ks_config_resolve(KS_CFG_HEARTBEAT_INTERVAL_MS, c->configs, d), 3 * KS_TIME_S);
}

static void test_scenario_config_values_by_type(void **state)
{
    static const struct {
        const char *line;
        KsConfigKey key;
        int64_t value;
    } ok[] = {
        {"set acks=all", KS_CFG_ACKS, -1},
        {"set acks=-1", KS_CFG_ACKS, -1},
        {"set acks=0", KS_CFG_ACKS, 0},
        {"set acks=1", KS_CFG_ACKS, 1},
        {"set linger.ms=0", KS_CFG_LINGER_MS, 0},
        {"set linger.ms=250us", KS_CFG_LINGER_MS, 250},
        {"set leader.imbalance.check.interval.seconds=30",
         KS_CFG_LEADER_IMBALANCE_CHECK_INTERVAL_SECONDS, 30 * KS_TIME_S},
        {"set leader.imbalance.check.interval.seconds=2m",
         KS_CFG_LEADER_IMBALANCE_CHECK_INTERVAL_SECONDS, 2 * KS_TIME_MIN},
        {"set partitioner.ignore.keys=true", KS_CFG_PARTITIONER_IGNORE_KEYS, 1},
        {"set enable.auto.commit=false", KS_CFG_ENABLE_AUTO_COMMIT, 0},
        {"set partition.assignment.strategy=cooperative-sticky",
         KS_CFG_PARTITION_ASSIGNMENT_STRATEGY, 3 + 1},
        {"set partition.assignment.strategy=roundrobin,"
         "org.apache.kafka.clients.consumer.CooperativeStickyAssignor",
         KS_CFG_PARTITION_ASSIGNMENT_STRATEGY, (1 + 1) | (3 + 1) << 3},
    };
    for (size_t i = 0; i < G_N_ELEMENTS(ok); i++) {
        g_autofree char *text = g_strdup_printf(CLUSTER3 "%s\n", ok[i].line);
        g_autoptr(KsPlan) plan = parse_ok(text);
        assert_true(ks_config_set_has(plan->defaults, ok[i].key));
        ks_assert_i64_eq(ks_config_set_get(plan->defaults, ok[i].key), ok[i].value);
    }
    static const struct {
        const char *line, *message;
    } bad[] = {
        {"set acks=2", "2:10: error: acks=2: expected one of all, -1, 0, 1"},
        {"set acks=\"all\"", "2:10: error: acks=\"all\": expected one of all, -1, 0, 1"},
        {"set linger.ms=x", "2:15: error: linger.ms=x: expected milliseconds or a duration, e.g. "
                            "linger.ms=0"},
        {"set leader.imbalance.check.interval.seconds=0",
         "2:45: error: leader.imbalance.check.interval.seconds=0 is out of range: it must be "
         "between 1 and 31536000 (seconds)"},
        {"set batch.size=0", "2:16: error: batch.size=0 is out of range: it must be between 1 "
                             "and 2147483647"},
        {"set batch.size=1,2", "2:16: error: batch.size=1,2: expected one value, not a list, "
                               "e.g. batch.size=16384"},
        {"set linger.ms=99999999999999999",
         "2:15: error: linger.ms=99999999999999999 is out of range: it must be between 0 and "
         "31536000000"},
        {"set partitioner.ignore.keys=1",
         "2:29: error: partitioner.ignore.keys=1: expected true or false"},
        {"set retention.ms", "2:5: error: retention.ms needs a value, e.g. retention.ms=604800000"},
        {"set acks all", "2:5: error: acks needs a value, e.g. acks=all"},
        {"set acks=", "2:5: error: acks= needs a value"},
        {"set acks", "2:5: error: acks needs a value, e.g. acks=all"},
        {"set foo", "2:5: error: unexpected 'foo'; usage: set CONFIG=VALUE ..."},
        {"set foo=1", "2:5: error: unknown config 'foo'; docs/scenario-language.md lists"},
        {"set = 1", "2:5: error: '=' needs a key before it: KEY=VALUE"},
        {"set", "2:1: error: set needs at least one config; usage: set CONFIG=VALUE ..."},
        {"set 5", "2:5: error: unexpected '5'; usage: set CONFIG=VALUE ..."},
    };
    for (size_t i = 0; i < G_N_ELEMENTS(bad); i++) {
        g_autofree char *text = g_strdup_printf(CLUSTER3 "%s\n", bad[i].line);
        g_autofree char *msg = parse_err(text, NULL);
        if (!g_str_has_prefix(msg + strlen("test.ks:"), bad[i].message))
            fail_msg("for '%s':\n  got      %s\n  expected test.ks:%s", bad[i].line, msg,
                     bad[i].message);
    }
}

/* Kafka 3.2+ turns idempotence off, without a word, when the user did not ask
 * for it and acks, retries or max.in.flight.requests.per.connection conflict
 * with it; the plan says so, so the model does not de-duplicate retries. */
static void test_scenario_producer_idempotence_as_kafka_decides(void **state)
{
    g_autoptr(KsPlan) plan = parse_ok(CLUSTER3 "topic t\n"
                                               "producer acks1 topic=t acks=1\n"
                                               "producer acks0 topic=t\n"
                                               "producer noretry topic=t retries=0\n"
                                               "producer inflight6 topic=t "
                                               "max.in.flight.requests.per.connection=6\n"
                                               "producer asked topic=t enable.idempotence=true "
                                               "acks=all\n"
                                               "producer plain topic=t acks=all "
                                               "max.in.flight.requests.per.connection=5\n"
                                               "producer off topic=t enable.idempotence=false "
                                               "acks=1\n"
                                               "flume agent topic=t rate=1/s acks=1\n"
                                               /* set applies above it too */
                                               "set acks=0\n");
    const KsConfigSet *d = plan->defaults;
    static const char *const disabled[] = {"acks1", "acks0", "noretry", "inflight6", "off"};
    for (size_t i = 0; i < G_N_ELEMENTS(disabled); i++) {
        const KsPlanProducer *pr = ks_plan_find_producer(plan, disabled[i]);
        if (!ks_config_set_has(pr->configs, KS_CFG_ENABLE_IDEMPOTENCE))
            fail_msg("producer %s: enable.idempotence is not in its configs", disabled[i]);
        ks_assert_i64_eq(ks_config_set_get(pr->configs, KS_CFG_ENABLE_IDEMPOTENCE), 0);
    }
    const KsPlanFlume *f = plan->flumes->pdata[0];
    assert_true(ks_config_set_has(f->configs, KS_CFG_ENABLE_IDEMPOTENCE));
    ks_assert_i64_eq(ks_config_set_get(f->configs, KS_CFG_ENABLE_IDEMPOTENCE), 0);
    /* Asked for, with acks=all: stays on. */
    const KsPlanProducer *asked = ks_plan_find_producer(plan, "asked");
    ks_assert_i64_eq(ks_config_resolve(KS_CFG_ENABLE_IDEMPOTENCE, asked->configs, d), 1);
    /* No conflict: left unset, so Kafka's default (on) applies. */
    const KsPlanProducer *plain = ks_plan_find_producer(plan, "plain");
    assert_false(ks_config_set_has(plain->configs, KS_CFG_ENABLE_IDEMPOTENCE));
    ks_assert_i64_eq(ks_config_resolve(KS_CFG_ENABLE_IDEMPOTENCE, plain->configs, d), 1);
    assert_false(ks_config_set_has(d, KS_CFG_ENABLE_IDEMPOTENCE));

    /* Kafka checks a producer, not the defaults: no producer, no error. */
    g_autoptr(KsPlan) none = parse_ok(CLUSTER3 "set enable.idempotence=true acks=1\n");
    assert_non_null(none);
    /* A producer's own acks=all settles the conflict of `set`. */
    g_autoptr(KsPlan) own =
        parse_ok(CLUSTER3 "set enable.idempotence=true acks=1\ntopic t\nproducer p topic=t "
                          "acks=all\n");
    ks_assert_i64_eq(ks_config_resolve(KS_CFG_ENABLE_IDEMPOTENCE,
                                       ks_plan_find_producer(own, "p")->configs, own->defaults),
                     1);
}

/* A delivery.timeout.ms that is not set explicitly is raised to linger.ms +
 * request.timeout.ms, as KafkaProducer does; an explicit one is an error. */
static void test_scenario_producer_delivery_timeout(void **state)
{
    g_autoptr(KsPlan) plan = parse_ok(CLUSTER3 "topic t\n"
                                               "producer slow topic=t linger.ms=100s\n"
                                               "producer fine topic=t linger.ms=5\n"
                                               "producer edge topic=t delivery.timeout.ms=31s "
                                               "linger.ms=1s\n");
    const KsPlanProducer *slow = ks_plan_find_producer(plan, "slow");
    assert_true(ks_config_set_has(slow->configs, KS_CFG_DELIVERY_TIMEOUT_MS));
    ks_assert_i64_eq(ks_config_set_get(slow->configs, KS_CFG_DELIVERY_TIMEOUT_MS), 130 * KS_TIME_S);
    const KsPlanProducer *fine = ks_plan_find_producer(plan, "fine");
    assert_false(ks_config_set_has(fine->configs, KS_CFG_DELIVERY_TIMEOUT_MS));
    const KsPlanProducer *edge = ks_plan_find_producer(plan, "edge");
    ks_assert_i64_eq(ks_config_resolve(KS_CFG_DELIVERY_TIMEOUT_MS, edge->configs, plan->defaults),
                     31 * KS_TIME_S);
}

/* The errors Kafka's producer raises when it is built, at the token to fix. */
/* Kafka's words for the producer configs it refuses (ProducerConfig,
 * KafkaProducer.configureDeliveryTimeout), shared by the tests below. */
static const char msg_acks[] = "Must set acks to all in order to use the idempotent producer. "
                               "Otherwise we cannot guarantee idempotence.";
static const char msg_retries[] =
    "Must set retries to non-zero when using the idempotent producer.";
static const char msg_inflight[] = "Must set max.in.flight.requests.per.connection to at most 5 "
                                   "to use the idempotent producer.";
static const char msg_delivery[] = "delivery.timeout.ms should be equal to or larger than "
                                   "linger.ms + request.timeout.ms";

static void test_scenario_producer_config_conflicts(void **state)
{
    static const struct {
        const char *text, *where, *message;
    } cases[] = {
        /* At the conflicting config when the line gives it. */
        {"producer p topic=t enable.idempotence=true acks=0\n", "3:44", msg_acks},
        {"producer p topic=t acks=1 enable.idempotence=true\n", "3:20", msg_acks},
        {"set enable.idempotence=true\nproducer p topic=t retries=0\n", "4:20", msg_retries},
        /* Else at enable.idempotence on the line. */
        {"set acks=1\nproducer p topic=t enable.idempotence=true\n", "4:20", msg_acks},
        /* Else at the producer's name. */
        {"set max.in.flight.requests.per.connection=6 enable.idempotence=true\n"
         "producer p topic=t\n",
         "4:10", msg_inflight},
        /* Kafka checks retries, then acks, then in-flight requests. */
        {"producer p topic=t acks=1 max.in.flight.requests.per.connection=9 retries=0 "
         "enable.idempotence=true\n",
         "3:67", msg_retries},
        /* Flume's embedded producer is a Kafka producer too. */
        {"flume f topic=t rate=1/s enable.idempotence=true acks=1\n", "3:50", msg_acks},
        {"producer p topic=t delivery.timeout.ms=10s\n", "3:20", msg_delivery},
        {"set delivery.timeout.ms=10s\nproducer p topic=t linger.ms=0\n", "4:20", msg_delivery},
        {"set delivery.timeout.ms=10s\nproducer p topic=t\n", "4:10", msg_delivery},
        {"producer p topic=t request.timeout.ms=20s delivery.timeout.ms=20s linger.ms=1ms\n",
         "3:43", msg_delivery},
    };
    for (size_t i = 0; i < G_N_ELEMENTS(cases); i++) {
        g_autofree char *text = g_strconcat(CLUSTER3 "topic t\n", cases[i].text, NULL);
        int code = 0;
        g_autofree char *msg = parse_err_flags(text, KS_SCENARIO_PARSE_ALLOW_UNSUPPORTED, &code);
        g_autofree char *want =
            g_strdup_printf("test.ks:%s: error: %s", cases[i].where, cases[i].message);
        if (strcmp(msg, want) != 0)
            fail_msg("for:\n%s  got      %s\n  expected %s", text, msg, want);
        ks_assert_i64_eq(code, KS_SCENARIO_ERROR_VALUE);
    }
}

/* What the parser stores in a producer's configs is what the shared rule
 * (ks_config_producer_effective) says, and asking the rule again about the
 * stored configs, as the model does, changes nothing. */
static void test_scenario_producer_configs_follow_the_shared_rule(void **state)
{
    g_autoptr(KsPlan) plan = parse_ok(CLUSTER3 "set linger.ms=10ms\ntopic t\n"
                                               "producer acks1 topic=t acks=1\n"
                                               "producer slow topic=t linger.ms=100s\n"
                                               "producer both topic=t retries=0 "
                                               "request.timeout.ms=150s\n"
                                               "producer given topic=t enable.idempotence=true "
                                               "delivery.timeout.ms=40s\n"
                                               "producer plain topic=t\n"
                                               "flume f topic=t rate=1/s acks=0\n");
    const KsConfigSet *d = plan->defaults;
    for (guint i = 0; i <= plan->producers->len; i++) {
        const KsConfigSet *own = i < plan->producers->len
                                     ? ((KsPlanProducer *)plan->producers->pdata[i])->configs
                                     : ((KsPlanFlume *)plan->flumes->pdata[0])->configs;
        bool idempotent;
        KsTime delivery;
        ks_assert_i64_eq(ks_config_producer_effective(own, d, &idempotent, &delivery),
                         KS_PRODUCER_REFUSAL_NONE);
        ks_assert_i64_eq(idempotent, ks_config_resolve(KS_CFG_ENABLE_IDEMPOTENCE, own, d));
        ks_assert_i64_eq(delivery, ks_config_resolve(KS_CFG_DELIVERY_TIMEOUT_MS, own, d));
    }
    const KsConfigSet *both = ks_plan_find_producer(plan, "both")->configs;
    ks_assert_i64_eq(ks_config_resolve(KS_CFG_ENABLE_IDEMPOTENCE, both, d), 0);
    ks_assert_i64_eq(ks_config_resolve(KS_CFG_DELIVERY_TIMEOUT_MS, both, d),
                     150 * KS_TIME_S + 10 * KS_TIME_MS);
    const KsConfigSet *plain = ks_plan_find_producer(plan, "plain")->configs;
    assert_false(ks_config_set_has(plain, KS_CFG_ENABLE_IDEMPOTENCE));
    assert_false(ks_config_set_has(plain, KS_CFG_DELIVERY_TIMEOUT_MS));
}

/* `produce producer=P` sends with P, to P's topic: topic= may only repeat
 * it, and partition= is checked against it. */
static void test_scenario_produce_with_producer_keeps_its_topic(void **state)
{
    static const char decls[] = CLUSTER3 "topic orders partitions=3\ntopic big partitions=12\n"
                                         "producer web topic=orders\n";
    g_autofree char *same = g_strconcat(decls,
                                        "at 1s produce producer=web topic=orders "
                                        "partition=2\n",
                                        NULL);
    g_autoptr(KsPlan) plan = parse_ok(same);
    const KsPlanAction *a = plan->actions->pdata[0];
    ks_assert_str_eq(a->topic, "orders");
    ks_assert_str_eq(a->producer, "web");
    ks_assert_i64_eq(a->partition, 2);

    static const struct {
        const char *line, *where, *message;
    } cases[] = {
        {"at 1s produce producer=web topic=big\n", "5:34",
         "producer 'web' writes to 'orders'; 'produce producer=web' cannot send to 'big' (leave "
         "out topic=, or leave out producer= to send with the `set` configs)"},
        /* The topic is wrong before the partition is. */
        {"at 1s produce topic=big partition=7 producer=web\n", "5:21",
         "producer 'web' writes to 'orders'; 'produce producer=web' cannot send to 'big'"},
        /* partition=7 exists in big, not in the producer's topic. */
        {"at 1s produce producer=web partition=7\n", "5:38",
         "orders has 3 partitions (0-2); there is no orders-7"},
        {"at 1s produce producer=web topic=orders partition=3\n", "5:51",
         "orders has 3 partitions (0-2); there is no orders-3"},
        /* Without producer=, any topic. */
        {"at 1s produce topic=big partition=12\n", "5:35",
         "big has 12 partitions (0-11); there is no big-12"},
    };
    for (size_t i = 0; i < G_N_ELEMENTS(cases); i++) {
        g_autofree char *text = g_strconcat(decls, cases[i].line, NULL);
        int code = 0;
        g_autofree char *msg = parse_err_flags(text, KS_SCENARIO_PARSE_ALLOW_UNSUPPORTED, &code);
        g_autofree char *want =
            g_strdup_printf("test.ks:%s: error: %s", cases[i].where, cases[i].message);
        if (!g_str_has_prefix(msg, want))
            fail_msg("for:\n%s  got      %s\n  expected %s...", text, msg, want);
    }
    g_autofree char *other = g_strconcat(decls, "at 1s produce topic=big partition=11\n", NULL);
    g_autoptr(KsPlan) console = parse_ok(other);
    assert_null(((KsPlanAction *)console->actions->pdata[0])->producer);
}

/* `produce` without producer= sends with a producer built from the `set`
 * lines alone, so `set` lines that Kafka's producer would refuse are an
 * error then, at the later token of the conflict; without such an action
 * they are only defaults for declared producers. */
static void test_scenario_set_conflicts_with_console_produce(void **state)
{
    static const struct {
        const char *sets, *where, *message;
    } cases[] = {
        /* The later of the two `set` tokens, across lines or on one. */
        {"set enable.idempotence=true\nset retries=3 acks=1\n", "4:15", msg_acks},
        {"set acks=1\nset retries=3 enable.idempotence=true\n", "4:15", msg_acks},
        {"set acks=1 enable.idempotence=true\n", "3:12", msg_acks},
        {"set enable.idempotence=true acks=0\n", "3:29", msg_acks},
        {"set retries=0 enable.idempotence=true\n", "3:15", msg_retries},
        {"set enable.idempotence=true max.in.flight.requests.per.connection=6\n", "3:29",
         msg_inflight},
        /* Kafka's order: retries before acks. */
        {"set enable.idempotence=true retries=0 acks=1\n", "3:29", msg_retries},
        {"set delivery.timeout.ms=10s\n", "3:5", msg_delivery},
        {"set delivery.timeout.ms=40s\nset linger.ms=15s\n", "4:5", msg_delivery},
        {"set linger.ms=15s\nset delivery.timeout.ms=40s\n", "4:5", msg_delivery},
        {"set request.timeout.ms=5s linger.ms=1s delivery.timeout.ms=5s\n", "3:40", msg_delivery},
        /* `set` lines below the topic count as well. */
        {"topic u\nset enable.idempotence=true\nset acks=1\n", "5:5", msg_acks},
    };
    for (size_t i = 0; i < G_N_ELEMENTS(cases); i++) {
        g_autofree char *text =
            g_strconcat(CLUSTER3 "topic t\n", cases[i].sets, "at 1s produce topic=t\n", NULL);
        int produce_line = 1;
        for (const char *c = text; *c; c++)
            produce_line += *c == '\n';
        produce_line--;
        int code = 0;
        g_autofree char *msg = parse_err_flags(text, KS_SCENARIO_PARSE_ALLOW_UNSUPPORTED, &code);
        g_autofree char *want = g_strdup_printf(
            "test.ks:%s: error: %s (`produce` without producer= on line %d sends with the `set` "
            "configs)",
            cases[i].where, cases[i].message, produce_line);
        if (strcmp(msg, want) != 0)
            fail_msg("for:\n%s  got      %s\n  expected %s", text, msg, want);
        ks_assert_i64_eq(code, KS_SCENARIO_ERROR_VALUE);
    }

    /* Not errors: Kafka turns idempotence off when it was not asked for,
     * raises a delivery timeout that was not given, and builds no console
     * producer for a scenario whose `produce` lines all name a producer. */
    static const char *const fine[] = {
        "set acks=1\nat 1s produce topic=t\n",
        "set enable.idempotence=false acks=1\nat 1s produce topic=t\n",
        "set linger.ms=200s\nat 1s produce topic=t\n",
        "set enable.idempotence=true acks=1\n",
        ("set enable.idempotence=true acks=1\nproducer p topic=t acks=all\n"
         "at 1s produce producer=p\n"),
        /* A `set` action changes configs at run time, after the console
         * producer is built. */
        "set enable.idempotence=true\nat 1s set acks=1\nat 2s produce topic=t\n",
    };
    for (size_t i = 0; i < G_N_ELEMENTS(fine); i++) {
        g_autofree char *text = g_strconcat(CLUSTER3 "topic t\n", fine[i], NULL);
        g_autoptr(KsPlan) plan = parse_ok(text);
        assert_non_null(plan);
    }

    /* The same `set` lines with a console `produce` further down: refused. */
    g_autofree char *msg = parse_err_flags(CLUSTER3 "topic t\n"
                                                    "set enable.idempotence=true acks=1\n"
                                                    "producer p topic=t acks=all\n"
                                                    "at 1s produce producer=p\n"
                                                    "every 1s produce topic=t\n"
                                                    "run until 5s\n",
                                           KS_SCENARIO_PARSE_ALLOW_UNSUPPORTED, NULL);
    if (!g_str_has_prefix(msg, "test.ks:3:29: error: Must set acks to all") ||
        !strstr(msg, "on line 6"))
        fail_msg("got %s", msg);
}

static void test_scenario_producer_defaults_and_partitioners(void **state)
{
    g_autoptr(KsPlan) plan =
        parse_ok(CLUSTER3 "topic t partitions=4\n"
                          "producer plain topic=t\n"
                          "producer keyed topic=t rate=500/s partitioner=key keys=1000 "
                          "key-prefix=\"user \" record-size=512 count=10000 node=n2\n"
                          "producer pinned topic=t partition=3 rate=0\n"
                          "producer rr topic=t partitioner=round-robin\n"
                          "producer st topic=t partitioner=sticky keys=5\n");
    const KsPlanProducer *p = ks_plan_find_producer(plan, "plain");
    ks_assert_str_eq(p->topic, "t");
    assert_null(p->node);
    ks_assert_i64_eq(p->rate_per_s, 0);
    ks_assert_i64_eq(p->partitioner, KS_PARTITIONER_DEFAULT);
    ks_assert_i64_eq(p->partition, -1);
    ks_assert_i64_eq(p->keys, 0);
    ks_assert_str_eq(p->key_prefix, "key-");
    ks_assert_i64_eq(p->record_size, 100);
    ks_assert_i64_eq(p->count, -1);
    ks_assert_i64_eq(p->loc.line, 3);
    ks_assert_i64_eq(p->loc.col, 1);
    const KsPlanProducer *k = ks_plan_find_producer(plan, "keyed");
    ks_assert_i64_eq(k->rate_per_s, 500);
    ks_assert_i64_eq(k->partitioner, KS_PARTITIONER_KEY);
    ks_assert_i64_eq(k->keys, 1000);
    ks_assert_str_eq(k->key_prefix, "user ");
    ks_assert_i64_eq(k->record_size, 512);
    ks_assert_i64_eq(k->count, 10000);
    ks_assert_str_eq(k->node, "n2");
    const KsPlanProducer *e = ks_plan_find_producer(plan, "pinned");
    ks_assert_i64_eq(e->partitioner, KS_PARTITIONER_EXPLICIT);
    ks_assert_i64_eq(e->partition, 3);
    ks_assert_i64_eq(ks_plan_find_producer(plan, "rr")->partitioner, KS_PARTITIONER_ROUND_ROBIN);
    ks_assert_i64_eq(ks_plan_find_producer(plan, "st")->partitioner, KS_PARTITIONER_STICKY);
    assert_null(ks_plan_find_producer(plan, "nope"));
}

static void test_scenario_groups_and_consumers(void **state)
{
    g_autoptr(KsPlan) plan = parse_ok(CLUSTER3 "topic orders\ntopic payments\n"
                                               "consumer c1 group=billing topics=orders,payments\n"
                                               "group billing assignor=roundrobin\n"
                                               "group coop assignor=cooperative-sticky\n"
                                               "group eager assignor=cooperative-sticky "
                                               "protocol=eager\n"
                                               "consumer c2 group=other topics=orders node=n3\n");
    ks_assert_i64_eq(plan->groups->len, 4);
    /* Kafka creates groups on first use; a later `group` line configures it. */
    const KsPlanGroup *billing = ks_plan_find_group(plan, "billing");
    ks_assert_i64_eq(billing->assignor, KS_ASSIGNOR_ROUNDROBIN);
    ks_assert_i64_eq(billing->protocol, KS_PROTOCOL_EAGER);
    ks_assert_i64_eq(billing->loc.line, 5);
    const KsPlanGroup *coop = ks_plan_find_group(plan, "coop");
    ks_assert_i64_eq(coop->protocol, KS_PROTOCOL_COOPERATIVE);
    ks_assert_i64_eq(ks_plan_find_group(plan, "eager")->protocol, KS_PROTOCOL_EAGER);
    const KsPlanGroup *other = ks_plan_find_group(plan, "other");
    ks_assert_i64_eq(other->assignor, KS_ASSIGNOR_RANGE);
    ks_assert_i64_eq(other->protocol, KS_PROTOCOL_EAGER);
    const KsPlanConsumer *c1 = ks_plan_find_consumer(plan, "c1");
    ks_assert_str_eq(c1->group, "billing");
    ks_assert_i64_eq(c1->topics->len, 2);
    ks_assert_str_eq(c1->topics->pdata[0], "orders");
    ks_assert_str_eq(c1->topics->pdata[1], "payments");
    assert_true(c1->start_at_zero);
    assert_null(c1->node);
    ks_assert_str_eq(ks_plan_find_consumer(plan, "c2")->node, "n3");

    const unsigned all = KS_SCENARIO_PARSE_ALLOW_UNSUPPORTED;
    g_autofree char *m1 = parse_err_flags(CLUSTER3 "group g\ngroup g\n", all, NULL);
    ks_assert_str_eq(m1, "test.ks:3:7: error: group 'g' is already declared on line 2");
    g_autofree char *m2 = parse_err(CLUSTER3 "topic t\nconsumer c group=g topics=t,t\n", NULL);
    /* (consumer lines are validated before any "not supported yet") */
    ks_assert_str_eq(m2, "test.ks:3:29: error: topic 't' is listed twice");
    g_autofree char *m3 = parse_err(CLUSTER3 "topic t\nconsumer c group=g\n", NULL);
    ks_assert_str_eq(m3, "test.ks:3:1: error: consumer needs topics=, e.g. "
                         "topics=orders,payments; usage: consumer NAME group=G topics=T1,T2,... "
                         "[node=NAME] [processing=DURATION] [commit=auto|sync|async|before] "
                         "[commit-every=N] [from-offset=N | from-time=T] [consumer configs]");
}

static void test_scenario_zookeeper_and_flume(void **state)
{
    g_autoptr(KsPlan) plan = parse_ok(CLUSTER3 "node zk1\nzookeeper node=zk1 servers=3\n"
                                               "topic logs\n"
                                               "flume agent topic=logs rate=200/s capacity=1000 "
                                               "batch-size=50 acks=1\n"
                                               "flume plain topic=logs rate=1/s\n");
    assert_non_null(plan->zookeeper);
    ks_assert_str_eq(plan->zookeeper->node, "zk1");
    ks_assert_i64_eq(plan->zookeeper->servers, 3);
    ks_assert_i64_eq(plan->flumes->len, 2);
    const KsPlanFlume *f = plan->flumes->pdata[0];
    ks_assert_i64_eq(f->rate_per_s, 200);
    ks_assert_i64_eq(f->channel_capacity, 1000);
    ks_assert_i64_eq(f->batch_size, 50);
    ks_assert_i64_eq(ks_config_resolve(KS_CFG_ACKS, f->configs, plan->defaults), 1);
    const KsPlanFlume *g = plan->flumes->pdata[1];
    ks_assert_i64_eq(g->channel_capacity, 100);
    ks_assert_i64_eq(g->batch_size, 100);

    g_autoptr(KsPlan) none = parse_ok(CLUSTER3);
    assert_null(none->zookeeper);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_scenario_format_duration_examples),
        cmocka_unit_test(test_scenario_duration_round_trip),
        cmocka_unit_test(test_scenario_parse_duration_errors),
        cmocka_unit_test(test_scenario_cluster_expands_node_major),
        cmocka_unit_test(test_scenario_cluster_combines_with_explicit_lines),
        cmocka_unit_test(test_scenario_topic_defaults),
        cmocka_unit_test(test_scenario_topic_replica_assignment),
        cmocka_unit_test(test_scenario_configs_resolve),
        cmocka_unit_test(test_scenario_config_values_by_type),
        cmocka_unit_test(test_scenario_producer_idempotence_as_kafka_decides),
        cmocka_unit_test(test_scenario_producer_delivery_timeout),
        cmocka_unit_test(test_scenario_producer_config_conflicts),
        cmocka_unit_test(test_scenario_producer_configs_follow_the_shared_rule),
        cmocka_unit_test(test_scenario_produce_with_producer_keeps_its_topic),
        cmocka_unit_test(test_scenario_set_conflicts_with_console_produce),
        cmocka_unit_test(test_scenario_producer_defaults_and_partitioners),
        cmocka_unit_test(test_scenario_groups_and_consumers),
        cmocka_unit_test(test_scenario_zookeeper_and_flume),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
