/* SPDX-License-Identifier: MIT */
/*
 * test-consumer-net.c - a consumer across network faults
 * (sim/consumer-net.c), as a user sees them:
 *  - a consumer cut off from the whole cluster hears nothing: its heartbeat
 *    times out after request.timeout.ms, the coordinator removes it when
 *    session.timeout.ms passed without a heartbeat, the other member takes
 *    its partitions, and after heal-network it rejoins and gets its share
 *    back;
 *  - with session.timeout.ms shorter than request.timeout.ms, the heartbeat
 *    thread gives up on the coordinator first;
 *  - a fetch across a cut is retried only after request.timeout.ms, and the
 *    retry, a new connection, after socket.connection.setup.timeout.ms;
 *  - so is a seek's ListOffsets;
 *  - a broker process that crashes on a live machine fails requests at
 *    once (its kernel resets the connections): no timeout;
 *  - a broker whose machine loses power says nothing: the fetch waits for
 *    request.timeout.ms.
 */
#include "ks-sim-test.h"

#include "kafkasim/query-groups.h"

#include <string.h>

#define S  KS_TIME_S
#define MS KS_TIME_MS

/* Three brokers on nodes of their own and consumers on nodes app1 and
 * app2, so a cut can separate a consumer from the brokers. */
#define NODES                                                                                      \
    "node n1\nnode n2\nnode n3\nnode app1\nnode app2\n"                                            \
    "broker 1 node=n1\nbroker 2 node=n2\nbroker 3 node=n3\n"                                       \
    "set group.initial.rebalance.delay.ms=0\n"

/* t-0 led by broker 2; the group's coordinator is broker 1 (the one
 * partition of __consumer_offsets); consumer c1 on app1. */
#define LEADER_ON_2                                                                                \
    "seed 3\n" NODES "set offsets.topic.num.partitions=1\n"                                        \
    "topic t partitions=1 replication-factor=3 replica-placement-start=1\n"                        \
    "producer p topic=t rate=100/s\n"                                                              \
    "consumer c1 group=g topics=t node=app1 processing=1ms\n"

/* A fetch request from c1 to broker 2, as --verbose shows it. */
#define FETCH_TO_2 "\"api\":\"ConsumerFetch\",\"from\":\"consumer c1\",\"to\":2,"

/* The number of partitions member @member of group @group owns now. */
static size_t owned(const KsSimTest *t, const char *group, const char *member)
{
    size_t g = 0;
    assert_true(ks_query_find_group(t->sim, group, &g));
    g_autoptr(GArray) rows = ks_query_member_assignment(t->sim, g, member);
    return rows->len;
}

static size_t n_members(const KsSimTest *t, const char *group)
{
    size_t g = 0;
    assert_true(ks_query_find_group(t->sim, group, &g));
    g_autoptr(GArray) rows = ks_query_group_members(t->sim, g);
    return rows->len;
}

/* c1 is cut off from every broker at 10 s. Its heartbeats no longer
 * arrive: the coordinator removes it session.timeout.ms (20 s) after the
 * last one, which left at 9 s; c1 itself hears nothing until the first
 * lost heartbeat (sent at 12 s) outlives request.timeout.ms (10 s). c2
 * takes all four partitions. After the heal c1 finds the coordinator,
 * learns it is no longer a member, rejoins, and gets two back. */
static void test_consumer_cut_off_is_removed_and_rejoins_after_heal(void **state)
{
    g_autoptr(KsSimTest) t =
        ks_sim_test_new("seed 7\n" NODES "topic orders partitions=4 replication-factor=3 "
                        "replica-placement-start=0\n"
                        "producer shop topic=orders rate=200/s\n"
                        "consumer c1 group=billing topics=orders node=app1 processing=1ms "
                        "session.timeout.ms=20s request.timeout.ms=10s\n"
                        "consumer c2 group=billing topics=orders node=app2 processing=1ms "
                        "session.timeout.ms=20s request.timeout.ms=10s\n"
                        "at 10s partition-network app1 | n1,n2,n3\n"
                        "at 60s heal-network\n"
                        "run until 75s\n");
    ks_sim_test_run_until(t, 9500 * MS);
    assert_int_equal(owned(t, "billing", "c1"), 2);
    assert_int_equal(owned(t, "billing", "c2"), 2);

    ks_sim_test_run_until(t, 40 * S);
    const KsSimTestEvent *hb = ks_sim_test_find(
        t, 10 * S,
        "\"from\":\"consumer c1\",\"to\":3,\"api\":\"Heartbeat\",\"timeout_us\":10000000");
    assert_non_null(hb);
    ks_assert_i64_eq(hb->ev.t, 12 * S + 10 * S + 1 * MS);
    const KsSimTestEvent *gone = ks_sim_test_find(
        t, 0, "\"type\":\"member_removed\",\"group\":\"billing\",\"consumer\":\"c1\"");
    assert_non_null(gone);
    /* The last heartbeat that arrived left c1 at 9 s. */
    assert_true(gone->ev.t >= 9 * S + 20 * S && gone->ev.t < 10 * S + 20 * S);
    assert_int_equal(n_members(t, "billing"), 1);
    assert_int_equal(owned(t, "billing", "c2"), 4);

    ks_sim_test_run(t);
    assert_int_equal(n_members(t, "billing"), 2);
    assert_int_equal(owned(t, "billing", "c1"), 2);
    assert_int_equal(owned(t, "billing", "c2"), 2);
    assert_non_null(ks_sim_test_find(
        t, 60 * S, "\"type\":\"partitions_assigned\",\"group\":\"billing\",\"consumer\":\"c1\""));
}

/* With session.timeout.ms (10 s) shorter than request.timeout.ms (30 s),
 * c1's heartbeat thread gives up on the coordinator first: no heartbeat
 * was answered for 10 s, so it marks the coordinator unknown and sends
 * FindCoordinator (to broker 1, which it still reaches), long before any
 * heartbeat could time out. */
static void test_consumer_session_timeout_marks_coordinator_unknown(void **state)
{
    g_autoptr(KsSimTest) t =
        ks_sim_test_new("seed 7\n" NODES "topic orders partitions=4 replication-factor=3 "
                        "replica-placement-start=0\n"
                        "consumer c1 group=billing topics=orders node=app1 session.timeout.ms=10s\n"
                        "at 10s partition-network app1 | n3\n"
                        "run until 30s\n");
    ks_sim_set_verbose(t->sim, true);
    ks_sim_test_run_until(t, 9500 * MS);
    assert_int_equal(ks_sim_test_group(t, "billing").coordinator, 3);
    ks_sim_test_run(t);
    const KsSimTestEvent *find = ks_sim_test_find(
        t, 10 * S, "\"api\":\"FindCoordinator\",\"from\":\"consumer c1\",\"to\":1,");
    assert_non_null(find);
    /* The last answered heartbeat left at 9 s; the thread looks every
     * heartbeat.interval.ms (3 s). */
    assert_true(find->ev.t > 19 * S && find->ev.t <= 22 * S);
    assert_int_equal(ks_sim_test_count(t, 0, find->ev.t, "\"type\":\"request_timed_out\""), 0);
}

/* The consumer on app1 is cut off from broker 2, the leader of t-0, but
 * not from its coordinator (broker 1). The fetch that left just before the
 * cut is parked at the leader; its answer is lost. The consumer fetches
 * again only when request.timeout.ms (30 s) has passed since it was sent;
 * the retry opens a new connection, which fails after
 * socket.connection.setup.timeout.ms (10 s). The group is not disturbed. */
static void test_consumer_fetch_across_cut_waits_for_request_timeout(void **state)
{
    g_autoptr(KsSimTest) t = ks_sim_test_new(LEADER_ON_2 "at 10s partition-network app1 | n2\n"
                                                         "at 60s heal-network\n"
                                                         "run until 70s\n");
    ks_sim_set_verbose(t->sim, true);
    ks_sim_test_run_until(t, 10500 * MS);
    assert_int_equal(ks_sim_test_group(t, "g").coordinator, 1);
    assert_int_equal(ks_sim_test_partition(t, "t", 0).leader, 2);
    int64_t before = ks_sim_test_consumed(t, "c1");

    ks_sim_test_run_until(t, 55 * S);
    const KsSimTestEvent *to = ks_sim_test_find(
        t, 0, "\"from\":\"consumer c1\",\"to\":2,\"api\":\"Fetch\",\"timeout_us\":30000000");
    assert_non_null(to);
    /* Sent at most fetch.max.wait.ms (500 ms) before the cut, and failed
     * 30 s and 1 ms (more than the timeout, in whole ms) after it left. */
    KsTime sent = to->ev.t - 30 * S - 1 * MS;
    assert_true(sent <= 10 * S && sent >= 10 * S - 500 * MS);
    assert_int_equal(ks_sim_test_count(t, 0, to->ev.t - 1, "\"type\":\"request_timed_out\""), 0);
    /* No fetch to broker 2 left between the cut and the timeout. */
    assert_int_equal(ks_sim_test_count(t, 10 * S, to->ev.t, FETCH_TO_2), 0);
    const KsSimTestEvent *conn =
        ks_sim_test_find(t, to->ev.t, "\"api\":\"Fetch (connecting)\",\"timeout_us\":10000000");
    assert_non_null(conn);
    /* retry.backoff.ms (100 ms), then the connection attempt. */
    ks_assert_i64_eq(conn->ev.t, to->ev.t + 100 * MS + 10 * S);
    ks_assert_i64_eq(ks_sim_test_consumed(t, "c1"), before);

    ks_sim_test_run(t);
    assert_true(ks_sim_test_consumed(t, "c1") > before);
    assert_int_equal(ks_sim_test_count(t, 0, 70 * S, "\"type\":\"member_removed\""), 0);
    assert_int_equal(ks_sim_test_count(t, 0, 70 * S, "\"type\":\"group_rebalancing\""), 1);
}

/* A seek to a time across the same cut: its ListOffsets to broker 2 gets
 * no answer and fails only at a timeout, each retry waiting for a
 * connection attempt; the seek lands after the heal. */
static void test_consumer_list_offsets_across_cut_waits(void **state)
{
    g_autoptr(KsSimTest) t = ks_sim_test_new(LEADER_ON_2 "at 10s partition-network app1 | n2\n"
                                                         "at 12s seek consumer c1 t-0 to-time=5s\n"
                                                         "at 60s heal-network\n"
                                                         "run until 70s\n");
    ks_sim_test_run(t);
    assert_non_null(ks_sim_test_find(t, 10 * S, "\"to\":2,\"api\":\"ListOffsets (connecting)\""));
    const KsSimTestEvent *seek = ks_sim_test_find(t, 10 * S, "\"policy\":\"to-time\"");
    assert_non_null(seek);
    assert_true(seek->ev.t > 60 * S);
}

/* Broker 2, the leader of t-0, crashes; its machine stays up, so its
 * kernel resets the consumer's connection: each fetch fails at once and is
 * sent again after retry.backoff.ms (100 ms), with no timeout anywhere,
 * until the controller moves the leadership (when broker 2's ZooKeeper
 * session expires) and the consumer reads from the new leader. */
static void test_consumer_crashed_broker_fails_requests_at_once(void **state)
{
    g_autoptr(KsSimTest) t = ks_sim_test_new(LEADER_ON_2 "at 10s crash broker 2\n"
                                                         "run until 35s\n");
    ks_sim_set_verbose(t->sim, true);
    ks_sim_test_run_until(t, 10 * S);
    int64_t before = ks_sim_test_consumed(t, "c1");
    ks_sim_test_run(t);
    /* The parked fetch fails when fetch.max.wait.ms ends (10.5 s); then
     * one fetch every 100 ms, each failing in a round trip. */
    assert_true(ks_sim_test_count(t, 10 * S + 1, 12 * S, FETCH_TO_2) >= 14);
    assert_int_equal(ks_sim_test_count(t, 0, 35 * S, "\"type\":\"request_timed_out\""), 0);
    const KsSimTestEvent *moved =
        ks_sim_test_find(t, 10 * S, "\"type\":\"leader_elected\",\"topic\":\"t\"");
    assert_non_null(moved);
    assert_true(ks_sim_test_consumed(t, "c1") > before);
}

/* The same broker's machine loses power instead: nothing resets the
 * connection, and the fetch waits for request.timeout.ms. The coordinator
 * (broker 1) is not touched. */
static void test_consumer_silent_machine_waits_for_request_timeout(void **state)
{
    g_autoptr(KsSimTest) t = ks_sim_test_new(LEADER_ON_2 "at 10s crash node n2\n"
                                                         "run until 45s\n");
    ks_sim_test_run(t);
    const KsSimTestEvent *to = ks_sim_test_find(
        t, 0, "\"from\":\"consumer c1\",\"to\":2,\"api\":\"Fetch\",\"timeout_us\":30000000");
    assert_non_null(to);
    assert_true(to->ev.t > 10 * S + 29 * S && to->ev.t <= 10 * S + 30 * S + 1 * MS);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_consumer_cut_off_is_removed_and_rejoins_after_heal),
        cmocka_unit_test(test_consumer_session_timeout_marks_coordinator_unknown),
        cmocka_unit_test(test_consumer_fetch_across_cut_waits_for_request_timeout),
        cmocka_unit_test(test_consumer_list_offsets_across_cut_waits),
        cmocka_unit_test(test_consumer_crashed_broker_fails_requests_at_once),
        cmocka_unit_test(test_consumer_silent_machine_waits_for_request_timeout),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
