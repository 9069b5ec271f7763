/* SPDX-License-Identifier: MIT */
/*
 * test-dot.c - the topology diagram (sim/output-dot.c): what a class sees
 * in it at chosen instants of small runs, and that Graphviz draws it.
 *
 *  - a partition's solid "leader" edge goes to its leader, and moves to
 *    the new leader after a crash, while the crashed broker is greyed and
 *    says ZooKeeper still holds its session until it expires;
 *  - a follower out of the ISR is drawn dashed in the lagging colour;
 *  - the controller is marked, and a partition without a leader says
 *    OFFLINE;
 *  - consumers point at the partitions they own, a member without one is
 *    shown IDLE, and the group points at its coordinator (or says it has
 *    none, its consumers without an assignment);
 *  - above 12 brokers a summary (leaders and followers per broker) replaces
 *    the partitions;
 *  - the same run gives the same bytes, and the library renders the text
 *    as SVG (or, built without Graphviz, says how to get it).
 */
#include "ks-sim-test.h"

#include <string.h>

#include "kafkasim/dot.h"

#define S KS_TIME_S

/* The diagram of @t now; Graphviz, when built in, must draw it. */
static char *diagram(const KsSimTest *t)
{
    char *dot = ks_dot_topology(t->sim, "test");
    g_autofree char *svg = NULL;
    g_autoptr(GError) error = NULL;
    if (ks_dot_can_render() && !ks_dot_to_svg(dot, &svg, &error))
        fail_msg("Graphviz refused the diagram: %s\n%s", error->message, dot);
    return dot;
}

/* Fails unless @dot has a line containing every one of the NULL-ended
 * strings after @dot. */
static void assert_line(const char *dot, ...) G_GNUC_NULL_TERMINATED;
static void assert_line(const char *dot, ...)
{
    g_auto(GStrv) lines = g_strsplit(dot, "\n", -1);
    for (char **l = lines; *l; l++) {
        va_list ap;
        va_start(ap, dot);
        bool all = true;
        for (const char *want; (want = va_arg(ap, const char *));)
            all = all && strstr(*l, want) != NULL;
        va_end(ap);
        if (all)
            return;
    }
    va_list ap;
    va_start(ap, dot);
    fail_msg("no line of the diagram has \"%s\"...:\n%s", va_arg(ap, const char *), dot);
    va_end(ap);
}

static void assert_no(const char *dot, const char *what)
{
    if (strstr(dot, what))
        fail_msg("the diagram has \"%s\":\n%s", what, dot);
}

/* Broker 2 leads orders-1 until it crashes at 3 s; its ZooKeeper session
 * expires between 16 s and 24 s, when broker 3 takes over. */
static void test_dot_leader_before_and_after_crash(void **state)
{
    g_autoptr(KsSimTest) t = ks_sim_test_new(KS_SIM_TEST_QUICKSTART);
    ks_sim_test_run_until(t, 2 * S);
    g_autofree char *before = diagram(t);
    assert_line(before, "\"orders-1\" -> \"broker 2\"", "style=solid", "label=\"leader\"", NULL);
    assert_line(before, "\"orders-1\" -> \"broker 3\"", "style=dashed", NULL);
    assert_line(before, "\"broker 1\"", "CONTROLLER (epoch 1)", "penwidth=3", NULL);
    assert_line(before, "subgraph \"cluster_node_1\"", NULL);
    assert_line(before, "label=\"n2\"", NULL);
    assert_no(before, "filled,dashed");
    assert_line(before, "0 offline, 0 with their leader down, 0 under-replicated", NULL);

    ks_sim_test_run_until(t, 5 * S);
    g_autofree char *crashed = diagram(t);
    assert_line(crashed, "\"broker 2\"", "down (ZooKeeper session still open)", "filled,dashed",
                NULL);
    assert_line(crashed, "\"orders-1\" -> \"broker 2\"", "label=\"leader\"", NULL);
    assert_line(crashed, "\"orders-1\" [", "UNAVAILABLE: its leader is down", NULL);

    ks_sim_test_run_until(t, 24 * S);
    g_autofree char *after = diagram(t);
    assert_line(after, "\"orders-1\" -> \"broker 3\"", "style=solid", "label=\"leader\"", NULL);
    assert_line(after, "\"orders-1\" -> \"broker 2\"", "style=dashed", "out of sync", NULL);
    assert_line(after, "\"broker 2\"", "\\ndown\\n", NULL);
    assert_line(after, "\"orders-1\" [", "under-replicated", NULL);
}

/* With a single replica on a crashed broker, the partition has no leader
 * once the session expires. */
static void test_dot_offline_partition(void **state)
{
    g_autoptr(KsSimTest) t = ks_sim_test_new("cluster nodes=2\n"
                                             "topic solo partitions=1 replication-factor=1 "
                                             "replica-placement-start=1\n"
                                             "at 1s crash broker 2\n"
                                             "run until 40s\n");
    ks_sim_test_run(t);
    g_autofree char *dot = diagram(t);
    assert_line(dot, "\"solo-0\" [", "OFFLINE: no leader", NULL);
    assert_line(dot, "1 partitions: 1 offline", NULL);
}

/* Four consumers, three partitions: c4 is idle; each other consumer points
 * at the partition it owns, and the group at its coordinator. */
static void test_dot_idle_consumer_shown_idle(void **state)
{
    g_autoptr(KsSimTest) t =
        ks_sim_test_new("seed 3\n"
                        "cluster nodes=3 brokers-per-node=1\n"
                        "topic orders partitions=3 replication-factor=3 replica-placement-start=0\n"
                        "producer shop topic=orders rate=300/s\n"
                        "group billing assignor=range\n"
                        "consumer c1 group=billing topics=orders\n"
                        "consumer c2 group=billing topics=orders\n"
                        "consumer c3 group=billing topics=orders\n"
                        "consumer c4 group=billing topics=orders\n"
                        "run until 10s\n");
    ks_sim_test_run(t);
    g_autofree char *dot = diagram(t);
    assert_line(dot, "\"consumer c4\" [", "IDLE: no partition", NULL);
    assert_line(dot, "\"consumer c1\" -> \"orders-0\"", NULL);
    assert_no(dot, "\"consumer c4\" ->");
    KsGroupInfo g = ks_sim_test_group(t, "billing");
    g_autofree char *coordinator =
        g_strdup_printf("\"group billing\" -> \"broker %d\"", (int)g.coordinator);
    assert_line(dot, coordinator, "coordinator", NULL);
    assert_line(dot, "Stable, generation 1", NULL);
    assert_no(dot, "__consumer_offsets-0\"");
}

/* One broker cannot hold __consumer_offsets (replication factor 3): the
 * group has no coordinator and its consumer no assignment. */
static void test_dot_consumer_without_coordinator(void **state)
{
    g_autoptr(KsSimTest) t = ks_sim_test_new("cluster nodes=1\n"
                                             "topic t partitions=2 replication-factor=1\n"
                                             "consumer c group=g topics=t\n"
                                             "run until 3s\n");
    ks_sim_test_run(t);
    g_autofree char *dot = diagram(t);
    assert_line(dot, "\"group g\" [", "no coordinator available", NULL);
    assert_line(dot, "\"consumer c\" [", "no assignment yet", NULL);
    assert_no(dot, "\"group g\" ->");
}

/* Thirteen brokers: no partition box, one table row per broker with the
 * partitions it leads and follows and the records it stores; twelve are
 * still drawn in detail. */
static void test_dot_summary_above_twelve_brokers(void **state)
{
    g_autoptr(KsSimTest) t = ks_sim_test_new("cluster nodes=13\n"
                                             "topic big partitions=26 replication-factor=3 "
                                             "replica-placement-start=0\n"
                                             "run until 1s\n");
    ks_sim_test_run(t);
    g_autofree char *dot = diagram(t);
    assert_line(dot, "summary of 13 brokers", NULL);
    assert_line(dot, "<td>13</td><td>n13</td><td>-</td><td>up</td><td>2</td><td>4</td><td>0</td>",
                NULL);
    assert_line(dot, "\"brokers 1\" [shape=plaintext", NULL);
    assert_no(dot, "\"big-0\"");
    assert_no(dot, "cluster_topic");

    g_autoptr(KsSimTest) twelve = ks_sim_test_new("cluster nodes=12\n"
                                                  "topic big partitions=24 replication-factor=3\n"
                                                  "run until 1s\n");
    ks_sim_test_run(twelve);
    g_autofree char *detail = diagram(twelve);
    assert_line(detail, "\"big-23\" [", NULL);
    assert_no(detail, "summary of");
}

static void test_dot_same_run_same_bytes(void **state)
{
    g_autoptr(KsSimTest) a = ks_sim_test_new(KS_SIM_TEST_QUICKSTART);
    g_autoptr(KsSimTest) b = ks_sim_test_new(KS_SIM_TEST_QUICKSTART);
    ks_sim_test_run_until(a, 20 * S);
    ks_sim_test_run_until(b, 20 * S);
    g_autofree char *x = diagram(a), *y = diagram(b);
    ks_assert_str_eq(x, y);
}

static void test_dot_renders_svg(void **state)
{
    g_autoptr(KsSimTest) t = ks_sim_test_new(KS_SIM_TEST_QUICKSTART);
    ks_sim_test_run_until(t, 5 * S);
    g_autofree char *dot = diagram(t);
    g_autofree char *svg = NULL;
    g_autoptr(GError) error = NULL;
    if (!ks_dot_can_render()) {
        assert_false(ks_dot_to_svg(dot, &svg, &error));
        assert_true(g_error_matches(error, KS_DOT_ERROR, KS_DOT_ERROR_NO_GRAPHVIZ));
        assert_non_null(strstr(error->message, "apt-get install libgraphviz-dev"));
        return;
    }
    if (!ks_dot_to_svg(dot, &svg, &error))
        fail_msg("%s", error->message);
    assert_non_null(strstr(svg, "<svg"));
    assert_non_null(strstr(svg, "orders&#45;1"));
    assert_non_null(strstr(svg, "ZooKeeper session still open"));

    g_autofree char *bad = NULL;
    g_autoptr(GError) refused = NULL;
    assert_false(ks_dot_to_svg("digraph { a -> }", &bad, &refused));
    assert_true(g_error_matches(refused, KS_DOT_ERROR, KS_DOT_ERROR_RENDER));
    assert_null(bad);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_dot_leader_before_and_after_crash),
        cmocka_unit_test(test_dot_offline_partition),
        cmocka_unit_test(test_dot_idle_consumer_shown_idle),
        cmocka_unit_test(test_dot_consumer_without_coordinator),
        cmocka_unit_test(test_dot_summary_above_twelve_brokers),
        cmocka_unit_test(test_dot_same_run_same_bytes),
        cmocka_unit_test(test_dot_renders_svg),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
