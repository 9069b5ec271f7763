/* SPDX-License-Identifier: MIT */
/*
 * test-sim.c - the step API of sim.h and the queries of query.h.
 *
 * A run cut into pieces must be the run: stepping one engine event at a
 * time, or running until a series of times, writes the same trace (every
 * event, snapshots with their partition state) and the same summary JSON,
 * byte for byte, as one ks_sim_run(). An action added to a running sim
 * runs at its time, exactly as the same line in the scenario would, and
 * its effects show through the queries. Every example scenario is cut up (a
 * third of them under the sanitizers, where KS_TEST_SAMPLE is set);
 * those tests skip() when the source tree is not there.
 */
#include "ks-test.h"

#include <string.h>

#include <glib/gstdio.h>

#include "kafkasim/output.h"
#include "kafkasim/query.h"
#include "kafkasim/scenario.h"
#include "kafkasim/sim.h"
#include "kafkasim/support.h"

/* How a run is driven. */
typedef enum {
    DRIVE_RUN,   /* one ks_sim_run() */
    DRIVE_STEP,  /* ks_sim_step() until it returns false */
    DRIVE_SLICE, /* ks_sim_run_until() every 1.7 s, then the end */
} Drive;

/* What a run wrote: its trace and summary JSON, and how many steps ran. */
typedef struct {
    char *trace;
    char *summary;
    uint64_t steps;
} Output;

static void output_clear(Output *o)
{
    g_free(o->trace);
    g_free(o->summary);
}

static KsPlan *parse_text(const char *text)
{
    g_autoptr(GError) error = NULL;
    KsPlan *plan = ks_scenario_parse("test.ks", text, strlen(text), &error);
    if (!plan)
        fail_msg("%s", error->message);
    return plan;
}

static KsSim *new_sim(const KsPlan *plan)
{
    g_autoptr(GError) error = NULL;
    KsSim *sim = ks_sim_new(plan, false, 0, plan->run_until, &error);
    if (!sim)
        fail_msg("%s", error->message);
    return sim;
}

/* Drives @sim as @drive says, with a trace, then checks the end-of-run
 * expectations. @prepare(@sim) runs first, if given. */
static Output drive(KsSim *sim, Drive drive, void (*prepare)(KsSim *sim))
{
    g_autoptr(GError) error = NULL;
    g_autofree char *dir = g_dir_make_tmp("ks-test-sim-XXXXXX", &error);
    assert_non_null(dir);
    g_autofree char *path = g_build_filename(dir, "trace.jsonl", NULL);
    KsTrace *tr = ks_trace_open(sim, path, &error);
    assert_non_null(tr);
    ks_sim_add_sink(sim, ks_trace_sink, tr);
    if (prepare)
        prepare(sim);

    Output o = {0};
    switch (drive) {
    case DRIVE_RUN:
        ks_sim_run(sim);
        break;
    case DRIVE_STEP:
        while (ks_sim_step(sim))
            o.steps++;
        break;
    case DRIVE_SLICE:
        for (KsTime t = 0; t < ks_sim_end(sim); t += 1700 * KS_TIME_MS)
            ks_sim_run_until(sim, t);
        ks_sim_run_until(sim, ks_sim_end(sim));
        break;
    }
    ks_assert_i64_eq(ks_sim_now(sim), ks_sim_end(sim));
    ks_assert_i64_eq(ks_sim_next_event_time(sim), KS_TIME_NEVER);
    ks_sim_finish(sim);
    assert_true(ks_trace_close(tr, true, &error));
    assert_true(g_file_get_contents(path, &o.trace, NULL, &error));
    o.summary = ks_summary_json(sim);
    g_unlink(path);
    g_rmdir(dir);
    return o;
}

static Output drive_text(const char *text, Drive how, void (*prepare)(KsSim *sim))
{
    g_autoptr(KsPlan) plan = parse_text(text);
    g_autoptr(KsSim) sim = new_sim(plan);
    return drive(sim, how, prepare);
}

static void assert_same_output(const Output *a, const Output *b, const char *what)
{
    if (strcmp(a->trace, b->trace) != 0)
        fail_msg("%s: the traces differ", what);
    if (strcmp(a->summary, b->summary) != 0)
        fail_msg("%s: the summaries differ:\n%s\n---\n%s", what, a->summary, b->summary);
}

/* A broker crash and return, a produce burst, an every-action, a timed
 * expectation and a snapshot: most kinds of engine event. */
static const char *const SCENARIO =
    "seed 7\n"
    "cluster nodes=3 brokers-per-node=1\n"
    "topic orders partitions=3 replication-factor=3 min.insync.replicas=2\n"
    "producer web topic=orders rate=100/s keys=10 acks=all\n"
    "at 2s crash broker 2\n"
    "at 3s produce topic=orders count=50 key=k\n"
    "every 5s say \"tick\"\n"
    "at 21s snapshot failover\n"
    "at 21s expect leader orders-1 != 2\n"
    "at 24s restart broker 2\n"
    "run until 30s\n"
    "expect isr orders-0 == {1,2,3}\n";

static void test_sim_step_gives_the_same_run(void **state)
{
    Output run = drive_text(SCENARIO, DRIVE_RUN, NULL);
    Output step = drive_text(SCENARIO, DRIVE_STEP, NULL);
    assert_same_output(&run, &step, "one step at a time");
    /* Every step was one engine event: as many as the run counted. */
    assert_non_null(strstr(run.summary, "\"events\""));
    g_autofree char *events = g_strdup_printf("\"events\" : %" PRIu64 ",", step.steps);
    if (!strstr(step.summary, events))
        fail_msg("%" PRIu64 " steps, but the summary says otherwise:\n%s", step.steps,
                 step.summary);
    output_clear(&run);
    output_clear(&step);
}

static void test_sim_run_until_in_slices_gives_the_same_run(void **state)
{
    Output run = drive_text(SCENARIO, DRIVE_RUN, NULL);
    Output slices = drive_text(SCENARIO, DRIVE_SLICE, NULL);
    assert_same_output(&run, &slices, "slices of 1.7 s");
    output_clear(&run);
    output_clear(&slices);
}

/* The example scenario at @path, stepped and sliced, is its plain run. */
static void check_example(const char *path)
{
    g_autoptr(GError) error = NULL;
    g_autoptr(KsPlan) plan = ks_scenario_parse_file(path, &error);
    if (!plan)
        fail_msg("%s", error->message);
    Output out[3];
    for (Drive how = DRIVE_RUN; how <= DRIVE_SLICE; how++) {
        g_autoptr(KsSim) sim = new_sim(plan);
        out[how] = drive(sim, how, NULL);
    }
    assert_same_output(&out[DRIVE_RUN], &out[DRIVE_STEP], path);
    assert_same_output(&out[DRIVE_RUN], &out[DRIVE_SLICE], path);
    for (int k = 0; k < 3; k++)
        output_clear(&out[k]);
}

static int compare_names(gconstpointer a, gconstpointer b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

static void test_sim_examples_step_and_slice_like_a_run(void **state)
{
    const char *root = g_getenv("KS_SOURCE_ROOT");
    g_autofree char *dir = root ? g_build_filename(root, "scenarios", NULL) : NULL;
    g_autoptr(GDir) d = dir ? g_dir_open(dir, 0, NULL) : NULL;
    if (!d) {
        skip();
        return;
    }
    /* KS_TEST_SAMPLE (the sanitizer build): every third example, by name. */
    g_autoptr(GPtrArray) names = g_ptr_array_new_with_free_func(g_free);
    for (const char *n; (n = g_dir_read_name(d));)
        if (g_str_has_suffix(n, ".ks"))
            g_ptr_array_add(names, g_strdup(n));
    g_ptr_array_sort(names, compare_names);
    guint every = g_getenv("KS_TEST_SAMPLE") ? 3 : 1;
    for (guint i = 0; i < names->len; i += every) {
        g_autofree char *path = g_build_filename(dir, names->pdata[i], NULL);
        check_example(path);
    }
    assert_true(names->len > 0);
}

static KsPlanAction *new_action(KsActionKind kind, KsTime at)
{
    KsPlanAction *a = g_new0(KsPlanAction, 1);
    a->kind = kind;
    a->at = at;
    a->broker = KS_NO_BROKER;
    a->partition = -1;
    a->target.partition = -1;
    a->count = 1;
    return a;
}

static void add_or_fail(KsSim *sim, KsPlanAction *a)
{
    g_autoptr(GError) error = NULL;
    if (!ks_sim_add_action(sim, a, &error))
        fail_msg("%s", error->message);
}

static void add_crash_of_broker_2_at_2s(KsSim *sim)
{
    KsPlanAction *a = new_action(KS_ACTION_CRASH_BROKER, 2 * KS_TIME_S);
    a->broker = 2;
    add_or_fail(sim, a);
}

/* An action added before the run is the same line in the scenario. */
static void test_sim_added_action_is_the_scenario_line(void **state)
{
    const char *with = "seed 3\ncluster nodes=3 brokers-per-node=1\n"
                       "topic t partitions=2 replication-factor=3\n"
                       "producer p topic=t rate=50/s acks=1\n"
                       "at 2s crash broker 2\nrun until 25s\n";
    const char *without = "seed 3\ncluster nodes=3 brokers-per-node=1\n"
                          "topic t partitions=2 replication-factor=3\n"
                          "producer p topic=t rate=50/s acks=1\n"
                          "run until 25s\n";
    Output a = drive_text(with, DRIVE_RUN, NULL);
    Output b = drive_text(without, DRIVE_RUN, add_crash_of_broker_2_at_2s);
    assert_same_output(&a, &b, "crash broker 2 added at 0s");
    output_clear(&a);
    output_clear(&b);
}

static bool broker_alive(const KsSim *sim, KsBrokerId id)
{
    KsBrokerInfo b;
    assert_true(ks_query_find_broker(sim, id, &b));
    return b.alive;
}

static KsPartitionInfo partition_of(const KsSim *sim, const char *topic, int32_t p)
{
    size_t t;
    assert_true(ks_query_find_topic(sim, topic, &t));
    KsPartitionInfo info;
    ks_query_partition(sim, t, p, &info);
    return info;
}

/* Actions added while running: due now, due later, refused in the past,
 * after the end, or when the model cannot run them. */
static void test_sim_added_actions_run_at_their_time(void **state)
{
    g_autoptr(KsPlan) plan = parse_text("cluster nodes=3 brokers-per-node=1\n"
                                        "topic orders partitions=3 replication-factor=3 "
                                        "replica-placement-start=0\n"
                                        "run until 60s\n");
    g_autoptr(KsSim) sim = new_sim(plan);
    ks_sim_run_until(sim, 5 * KS_TIME_S);
    ks_assert_i64_eq(partition_of(sim, "orders", 1).leader, 2);

    /* Due now: runs at the next call, at 5 s. */
    KsPlanAction *crash = new_action(KS_ACTION_CRASH_BROKER, 5 * KS_TIME_S);
    crash->broker = 2;
    add_or_fail(sim, crash);
    assert_true(broker_alive(sim, 2));
    ks_assert_i64_eq(ks_sim_next_event_time(sim), 5 * KS_TIME_S);
    ks_sim_run_until(sim, 5 * KS_TIME_S);
    assert_false(broker_alive(sim, 2));

    /* Due later: a produce of 40 records at 30 s, after broker 2's session
     * expired (18 s) and broker 3 took over orders-1. */
    KsPlanAction *produce = new_action(KS_ACTION_PRODUCE, 30 * KS_TIME_S);
    produce->topic = g_strdup("orders");
    produce->partition = 1;
    produce->count = 40;
    add_or_fail(sim, produce);
    ks_sim_run_until(sim, 29 * KS_TIME_S);
    KsPartitionInfo p1 = partition_of(sim, "orders", 1);
    ks_assert_i64_eq(p1.leader, 3);
    ks_assert_i64_eq(p1.log_end_offset, 0);
    ks_sim_run_until(sim, 31 * KS_TIME_S);
    p1 = partition_of(sim, "orders", 1);
    ks_assert_i64_eq(p1.log_end_offset, 40);
    ks_assert_i64_eq(p1.high_watermark, 40);
    /* Broker 3's replica of orders-1 (its second in assignment order) wrote
     * them in leader epoch 1, the epoch it took over in. */
    KsReplicaInfo rep;
    ks_query_replica(sim, 0, 1, 1, &rep);
    ks_assert_i64_eq(rep.broker, 3);
    assert_true(rep.is_leader);
    g_autoptr(GArray) epochs = ks_query_replica_epochs(sim, 0, 1, 1);
    ks_assert_i64_eq(epochs->len, 1);
    ks_assert_i64_eq(g_array_index(epochs, KsEpochStart, 0).epoch, 1);
    ks_assert_i64_eq(g_array_index(epochs, KsEpochStart, 0).start_offset, 0);
    KsBrokerInfo b2;
    assert_true(ks_query_find_broker(sim, 2, &b2));
    assert_false(b2.registered); /* its session expired at 23 s */

    /* A REPL's `expect`, checked now and recorded. */
    KsPlanExpect e = {.kind = KS_EXPECT_ALIVE, .broker = 2, .cmp = KS_CMP_EQ, .number = 0};
    e.text = (char *)"alive broker 2 == false";
    const KsExpectResult *r = ks_sim_check_expect_now(sim, &e);
    assert_true(r->held);
    ks_assert_str_eq(r->actual, "broker 2 is down");
    ks_assert_i64_eq(r->t, 31 * KS_TIME_S);
    ks_assert_i64_eq(ks_sim_expect_results(sim)->len, 1);

    /* Refused, and freed. */
    g_autoptr(GError) error = NULL;
    KsPlanAction *past = new_action(KS_ACTION_RESTART_BROKER, 30 * KS_TIME_S);
    past->broker = 2;
    assert_false(ks_sim_add_action(sim, past, &error));
    assert_true(g_error_matches(error, KS_SIM_ERROR, KS_SIM_ERROR_TIME));
    ks_assert_str_eq(error->message,
                     "restart broker at 30s is in the past: the simulation is at 31s");
    g_clear_error(&error);
    KsPlanAction *late = new_action(KS_ACTION_SAY, 61 * KS_TIME_S);
    late->text = g_strdup("too late");
    assert_false(ks_sim_add_action(sim, late, &error));
    ks_assert_str_eq(error->message, "say at 61s is after the end of the run (1m)");
    g_clear_error(&error);
    KsPlanAction *cut = new_action(KS_ACTION_SET_CONFIG, 40 * KS_TIME_S);
    assert_false(ks_sim_add_action(sim, cut, &error));
    assert_true(g_error_matches(error, KS_SIM_ERROR, KS_SIM_ERROR_UNSUPPORTED));
    ks_assert_str_eq(error->message, "set is not supported yet");

    ks_sim_run(sim);
    ks_assert_i64_eq(ks_sim_now(sim), 60 * KS_TIME_S);
}

/* Queries read, never write: asking everything after every step changes
 * neither the run nor its output. */
static void ask_everything(const KsSim *sim)
{
    for (size_t i = 0; i < ks_query_n_brokers(sim); i++) {
        KsBrokerInfo b;
        ks_query_broker(sim, i, &b);
    }
    for (size_t t = 0; t < ks_query_n_topics(sim); t++) {
        KsTopicInfo ti;
        ks_query_topic(sim, t, &ti);
        for (int32_t p = 0; p < ti.n_partitions; p++) {
            KsPartitionInfo pi;
            ks_query_partition(sim, t, p, &pi);
            for (int32_t r = 0; r < pi.n_replicas; r++) {
                KsReplicaInfo ri;
                ks_query_replica(sim, t, p, r, &ri);
                assert_true(ri.log_end_offset >= ri.high_watermark);
            }
        }
    }
    for (size_t i = 0; i < ks_query_n_producers(sim); i++) {
        KsProducerInfo pi;
        ks_query_producer(sim, i, &pi);
    }
    KsSimStats stats;
    ks_sim_get_stats(sim, &stats);
    g_free(ks_summary_json(sim));
    g_autoptr(GString) table = g_string_new(NULL);
    ks_describe_topics(sim, table);
    (void)ks_sim_next_event_time(sim);
}

static void step_asking(KsSim *sim)
{
    while (ks_sim_step(sim))
        ask_everything(sim);
}

static void test_sim_queries_change_nothing(void **state)
{
    Output run = drive_text(SCENARIO, DRIVE_RUN, NULL);
    g_autoptr(KsPlan) plan = parse_text(SCENARIO);
    g_autoptr(KsSim) sim = new_sim(plan);
    /* Stepped inside prepare, so drive()'s own run finds nothing left. */
    Output asked = drive(sim, DRIVE_RUN, step_asking);
    assert_same_output(&run, &asked, "queries after every step");
    output_clear(&run);
    output_clear(&asked);
}

/* The queries answer what the cluster looks like. */
static void test_sim_queries_show_the_cluster(void **state)
{
    g_autoptr(KsPlan) plan =
        parse_text("node a zone=z1\nnode b zone=z2\n"
                   "broker 7 node=a rack=r1\nbroker 3 node=b rack=r2\n"
                   "topic zeta partitions=1 replication-factor=2 min.insync.replicas=2\n"
                   "topic alpha partitions=2 replication-factor=1\n"
                   "producer p topic=alpha rate=10/s acks=1 partitioner=round-robin\n"
                   "at 1s produce topic=zeta count=3\n"
                   "run until 2s\n");
    g_autoptr(KsSim) sim = new_sim(plan);
    ks_sim_run(sim);

    ks_assert_i64_eq(ks_query_n_nodes(sim), 2);
    KsNodeInfo n;
    ks_query_node(sim, 1, &n);
    ks_assert_str_eq(n.name, "b");
    ks_assert_str_eq(n.zone, "z2");
    ks_assert_i64_eq(ks_query_n_brokers(sim), 2);
    KsBrokerInfo b;
    ks_query_broker(sim, 0, &b); /* sorted by id */
    ks_assert_i64_eq(b.id, 3);
    ks_assert_str_eq(b.node, "b");
    ks_assert_str_eq(b.rack, "r2");
    assert_true(b.alive);
    assert_false(ks_query_find_broker(sim, 5, &b));
    ks_assert_i64_eq(ks_query_controller(sim), 3);
    ks_assert_i64_eq(ks_query_controller_epoch(sim), 1);

    g_autoptr(GArray) order = ks_query_topics_by_name(sim);
    KsTopicInfo t;
    ks_query_topic(sim, g_array_index(order, size_t, 0), &t);
    ks_assert_str_eq(t.name, "alpha");
    ks_query_topic(sim, 0, &t); /* declaration order */
    ks_assert_str_eq(t.name, "zeta");
    ks_assert_i64_eq(t.min_insync, 2);
    KsPartitionInfo z = partition_of(sim, "zeta", 0);
    ks_assert_i64_eq(z.n_replicas, 2);
    ks_assert_i64_eq(z.n_isr, 2);
    ks_assert_i64_eq(z.log_end_offset, 3);
    for (int32_t r = 0; r < z.n_replicas; r++) {
        KsReplicaInfo rep;
        ks_query_replica(sim, 0, 0, r, &rep);
        assert_true(rep.in_isr);
        ks_assert_i64_eq(rep.is_leader, rep.broker == z.leader);
        ks_assert_i64_eq(rep.log_end_offset, 3);
    }

    ks_assert_i64_eq(ks_query_n_producers(sim), 2); /* p, then zeta's console */
    KsProducerInfo p;
    assert_true(ks_query_find_producer(sim, "p", &p));
    ks_assert_i64_eq(p.rate_per_s, 10);
    ks_assert_i64_eq(p.acks, 1);
    ks_assert_i64_eq(p.partitioner, KS_PARTITIONER_ROUND_ROBIN);
    ks_query_producer(sim, 1, &p);
    assert_true(p.console);
    ks_assert_str_eq(p.topic, "zeta");
}

/* What the parser accepts is what the model's tables can run. */
static void test_sim_support_follows_the_tables(void **state)
{
    for (KsActionKind k = 0; k <= KS_ACTION_RESTART_ZOOKEEPER; k++)
        assert_non_null(ks_sim_action_name(k));
    assert_true(ks_support_action(KS_ACTION_CRASH_BROKER));
    assert_true(ks_support_action(KS_ACTION_ELECT_PREFERRED));
    assert_true(ks_support_action(KS_ACTION_ADD_BROKER));
    assert_true(ks_support_action(KS_ACTION_REASSIGN));
    assert_true(ks_support_action(KS_ACTION_PARTITION_NETWORK));
    assert_true(ks_support_action(KS_ACTION_PAUSE_BROKER));
    assert_true(ks_support_expect(KS_EXPECT_HIGH_WATERMARK));
    assert_true(ks_support_expect(KS_EXPECT_LAG));
    assert_true(ks_support_expect(KS_EXPECT_COORDINATOR));
    assert_true(ks_support_stat(KS_STAT_RECORDS_LOST));
    assert_true(ks_support_stat(KS_STAT_REBALANCES));
    assert_true(ks_support_stat(KS_STAT_RECORDS_SKIPPED));
    assert_true(ks_support_decl(KS_DECL_PRODUCER));
    assert_true(ks_support_decl(KS_DECL_CONSUMER));
    assert_true(ks_support_action(KS_ACTION_CRASH_CONSUMER));
    assert_true(ks_support_decl(KS_DECL_FLUME));
    assert_true(ks_support_decl(KS_DECL_ZOOKEEPER));
    assert_true(ks_support_action(KS_ACTION_CRASH_ZOOKEEPER));
    assert_true(ks_support_expect(KS_EXPECT_CHANNEL_FILL));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_sim_step_gives_the_same_run),
        cmocka_unit_test(test_sim_run_until_in_slices_gives_the_same_run),
        cmocka_unit_test(test_sim_examples_step_and_slice_like_a_run),
        cmocka_unit_test(test_sim_added_action_is_the_scenario_line),
        cmocka_unit_test(test_sim_added_actions_run_at_their_time),
        cmocka_unit_test(test_sim_queries_change_nothing),
        cmocka_unit_test(test_sim_queries_show_the_cluster),
        cmocka_unit_test(test_sim_support_follows_the_tables),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
