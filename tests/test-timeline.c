/* SPDX-License-Identifier: MIT */
/*
 * test-timeline.c - the timeline explains itself: status lines during
 * silences, glosses of Kafka's terms, and neither changes the run.
 *
 * The scenario is the quick start's: broker 2, leader of orders-1, crashes
 * at 3 s and its ZooKeeper session expires at 18.317 s (seed 42). Before
 * that the timeline would print nothing for 15 s; the status lines at 5,
 * 10 and 15 s must say what waits and why, and none may follow once the
 * controller has moved the leadership and the writes flow again.
 */
#include "ks-test.h"

#include <string.h>

#include "kafkasim/output.h"
#include "kafkasim/scenario.h"
#include "kafkasim/sim.h"

static const char scenario[] =
    "seed 42\n"
    "cluster nodes=3 brokers-per-node=1\n"
    "topic orders partitions=3 replication-factor=3 min.insync.replicas=2 "
    "replica-placement-start=0\n"
    "producer web topic=orders rate=200/s keys=100 acks=all\n"
    "at 3s crash broker 2\n"
    "at 22s snapshot after-failover\n"
    "at 25s restart broker 2\n"
    "run until 30s\n";

static void collect(const char *line, void *ctx)
{
    g_string_append(ctx, line);
    g_string_append_c(ctx, '\n');
}

typedef struct {
    KsPlan *plan;
    KsSim *sim;
    KsTimeline *tl;
    GString *out;
} Run;

static Run *run_new(bool explain)
{
    Run *r = g_new0(Run, 1);
    g_autoptr(GError) err = NULL;
    r->plan = ks_scenario_parse("t.ks", scenario, strlen(scenario), &err);
    assert_non_null(r->plan);
    r->sim = ks_sim_new(r->plan, false, 0, r->plan->run_until, &err);
    assert_non_null(r->sim);
    r->out = g_string_new(NULL);
    r->tl = ks_timeline_new(r->sim, false, collect, r->out);
    ks_timeline_set_explain(r->tl, explain);
    ks_sim_add_sink(r->sim, ks_timeline_sink, r->tl);
    return r;
}

static void run_free(Run *r)
{
    ks_timeline_free(r->tl);
    ks_sim_free(r->sim);
    ks_plan_free(r->plan);
    g_string_free(r->out, TRUE);
    g_free(r);
}

static uint64_t events_of(const KsSim *sim)
{
    KsSimStats st;
    ks_sim_get_stats(sim, &st);
    return st.events;
}

/* Lines of @text that start with @prefix. */
static int count_lines(const char *text, const char *prefix)
{
    int n = 0;
    g_auto(GStrv) lines = g_strsplit(text, "\n", -1);
    for (char **l = lines; *l; l++)
        n += g_str_has_prefix(*l, prefix);
    return n;
}

static void test_timeline_status_says_why_writes_wait(void **state)
{
    (void)state;
    Run *r = run_new(false);
    ks_timeline_run_until(r->tl, ks_sim_end(r->sim));
    const char *t = r->out->str;
    assert_non_null(strstr(t, "    10.000s  waiting     orders-1: no leader for 7 s (broker 2 is "
                              "down, but its ZooKeeper session has not expired"));
    assert_non_null(strstr(t, "    10.000s  waiting     orders-0: acks=all writes have waited"));
    assert_non_null(strstr(t, "(broker 2 is in the ISR but down, and stays there until its "
                              "ZooKeeper session expires)"));
    /* 3 partitions at 5, 10 and 15 s; none once the session has expired. */
    ks_assert_i64_eq(count_lines(t, "     5.000s  waiting"), 3);
    ks_assert_i64_eq(count_lines(t, "    15.000s  waiting"), 3);
    ks_assert_i64_eq(count_lines(t, "    20.000s  waiting"), 0);
    ks_assert_i64_eq(count_lines(t, "    25.000s  waiting"), 0);
    run_free(r);
}

/* Status lines and glosses are a view: the run is the plain run, event for
 * event, and stepping one event at a time prints the same timeline. */
static void test_timeline_views_change_nothing(void **state)
{
    (void)state;
    Run *plain = run_new(true);
    ks_sim_run(plain->sim);
    Run *sliced = run_new(true);
    ks_timeline_run_until(sliced->tl, 7 * KS_TIME_S + 3);
    ks_timeline_run_until(sliced->tl, ks_sim_end(sliced->sim));
    Run *stepped = run_new(true);
    while (ks_timeline_step(stepped->tl))
        ;
    ks_assert_i64_eq(events_of(sliced->sim), events_of(plain->sim));
    ks_assert_i64_eq(events_of(stepped->sim), events_of(plain->sim));
    ks_assert_str_eq(stepped->out->str, sliced->out->str);
    assert_null(strstr(plain->out->str, "waiting"));
    run_free(plain);
    run_free(sliced);
    run_free(stepped);
}

static void test_timeline_glosses_once_and_only_when_asked(void **state)
{
    (void)state;
    Run *r = run_new(true);
    ks_timeline_run_until(r->tl, ks_sim_end(r->sim));
    const char *gloss = "                         -- ISR (in-sync replicas): ";
    ks_assert_i64_eq(count_lines(r->out->str, gloss), 1);
    ks_assert_i64_eq(count_lines(r->out->str, "                         -- LEO (log end offset)"),
                     1);
    ks_assert_i64_eq(count_lines(r->out->str, "                         -- leader epoch: "), 1);
    /* After the topic's partition lines, which use the term first. */
    const char *isr = strstr(r->out->str, "orders-2: leader 3, replicas {3,1,2}, isr {3,1,2}\n");
    assert_non_null(isr);
    assert_true(strstr(r->out->str, gloss) > isr);
    ks_timeline_write_summary(r->tl, true);
    assert_non_null(strstr(r->out->str, "partition-seconds without a live leader (summed over "
                                        "partitions): 15.317\n"));
    run_free(r);

    Run *quiet = run_new(false);
    ks_timeline_run_until(quiet->tl, ks_sim_end(quiet->sim));
    ks_assert_i64_eq(count_lines(quiet->out->str, "                         -- "), 0);
    run_free(quiet);
}

/* --verbose: requests join the timeline, and the run stays the same. */
static void test_timeline_verbose_shows_requests(void **state)
{
    (void)state;
    Run *plain = run_new(false);
    ks_timeline_run_until(plain->tl, 4 * KS_TIME_S);
    Run *verbose = run_new(false);
    ks_sim_set_verbose(verbose->sim, true);
    ks_timeline_run_until(verbose->tl, 4 * KS_TIME_S);
    ks_assert_i64_eq(events_of(verbose->sim), events_of(plain->sim));
    const char *t = verbose->out->str;
    assert_non_null(strstr(t, "request     producer web -> broker 1: Produce (1 batch, "));
    assert_non_null(strstr(t, "request     broker 2 -> broker 1: Fetch (1 partition)"));
    assert_null(strstr(plain->out->str, "request"));
    /* After the crash, broker 2 sends nothing. */
    assert_null(strstr(strstr(t, "broker 2 crashed"), "broker 2 -> "));
    run_free(plain);
    run_free(verbose);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_timeline_status_says_why_writes_wait),
        cmocka_unit_test(test_timeline_views_change_nothing),
        cmocka_unit_test(test_timeline_glosses_once_and_only_when_asked),
        cmocka_unit_test(test_timeline_verbose_shows_requests),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
