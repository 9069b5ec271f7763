/* SPDX-License-Identifier: MIT */
/*
 * test-zk-ensemble.c - the ZooKeeper ensemble (sim/zk-ensemble.c), as
 * ZooKeeper 3.8.4 behaves under Kafka 3.9.
 *
 * Each test runs a small inline scenario and reads the ensemble through
 * kafkasim/query-faults.h:
 *  - the highest id leads at start; a new leader is elected 200 ms
 *    (finalizeWait) after the old one dies, among the servers with the
 *    newest history, the highest id breaking ties;
 *  - fewer than a majority running: no quorum, no leader;
 *  - without a quorum a dead broker's session does not expire, its
 *    partitions get no new leader and the other leaders' ISR changes wait;
 *  - every new ZooKeeper leader re-arms every session: a dead broker's
 *    session expires a session timeout (rounded up to the 3 s tick) after
 *    the election, however long it has been dead;
 *  - `crash node` takes down the servers on the node;
 *  - a network partition between servers: a leader that no longer reaches
 *    a majority (both ways) stops committing at once and steps down
 *    syncLimit ticks (5 x 3 s) later, and the majority elects 200 ms after
 *    that; with no majority anywhere the quorum is lost; a cut healed in
 *    time leaves the leader in office; a broker that reaches only servers
 *    of a minority stops renewing its session.
 */
#include "ks-sim-test.h"

#include "kafkasim/query-faults.h"

#include <string.h>

#define S  KS_TIME_S
#define MS KS_TIME_MS

static KsZookeeperInfo zk(const KsSimTest *t)
{
    KsZookeeperInfo z;
    ks_query_zookeeper(t->sim, &z);
    return z;
}

static void highest_id_leads_and_a_new_leader_takes_200ms(void **state)
{
    (void)state;
    g_autoptr(KsSimTest) t = ks_sim_test_new("cluster nodes=3\n"
                                             "zookeeper servers=3\n"
                                             "at 2s crash zookeeper 1\n"
                                             "at 4s crash zookeeper 3\n"
                                             "run until 10s\n");
    ks_sim_test_run_until(t, 0);
    ks_assert_i64_eq(zk(t).leader, 3);
    assert_true(zk(t).quorum);
    ks_sim_test_run_until(t, 2 * S);
    ks_assert_i64_eq(zk(t).leader, 3); /* a follower died: nothing changes */
    ks_assert_i64_eq(zk(t).up, 2);
    ks_sim_test_run_until(t, 4 * S);
    /* 2 of 3 lost: no quorum at once. */
    assert_false(zk(t).quorum);
    ks_assert_i64_eq(zk(t).leader, -1);
    assert_non_null(ks_sim_test_find(t, 4 * S, "\"type\":\"zk_quorum_lost\""));
    ks_sim_test_run(t);
    assert_false(zk(t).quorum);
    ks_assert_i64_eq(ks_sim_test_count(t, 0, 10 * S, "\"type\":\"zk_leader_elected\""), 0);
}

/* The leader dies with a majority left: the survivors elect after
 * finalizeWait; between the two there is no quorum. */
static void leader_death_elects_among_the_rest(void **state)
{
    (void)state;
    g_autoptr(KsSimTest) t = ks_sim_test_new("cluster nodes=3\n"
                                             "zookeeper servers=5\n"
                                             "at 2s crash zookeeper 5\n"
                                             "run until 5s\n");
    ks_sim_test_run_until(t, 2 * S + 199 * MS);
    assert_false(zk(t).quorum);
    ks_sim_test_run_until(t, 2 * S + 200 * MS);
    assert_true(zk(t).quorum);
    ks_assert_i64_eq(zk(t).leader, 4);
    ks_assert_i64_eq(zk(t).epoch, 2);
}

/* FastLeaderElection.totalOrderPredicate: the newest history wins before
 * the highest id. Server 5 was down while 4 led (epoch 2), so when 4 dies
 * and 5 comes back to {2, 3, 5}, 3 leads, not 5. */
static void newest_history_wins_over_highest_id(void **state)
{
    (void)state;
    g_autoptr(KsSimTest) t = ks_sim_test_new("cluster nodes=3\n"
                                             "zookeeper servers=5\n"
                                             "at 1s crash zookeeper 1\n"
                                             "at 2s crash zookeeper 5\n"
                                             "at 3s crash zookeeper 4\n"
                                             "at 4s restart zookeeper 5\n"
                                             "run until 6s\n");
    ks_sim_test_run_until(t, 3 * S);
    assert_false(zk(t).quorum);
    ks_sim_test_run(t);
    assert_true(zk(t).quorum);
    ks_assert_i64_eq(zk(t).leader, 3);
}

/* Without a quorum a crashed broker's session cannot expire: its partition
 * keeps its dead leader for as long as the outage lasts. Back to a quorum
 * at 60 s (elected at 60.2 s), the session expires one timeout (18 s)
 * rounded up to the tick later: in (78.2 s, 81.2 s]. */
static void sessions_wait_for_a_quorum_and_start_over(void **state)
{
    (void)state;
    g_autoptr(KsSimTest) t = ks_sim_test_new("cluster nodes=3\n"
                                             "zookeeper servers=3\n"
                                             "topic t partitions=1 replication-factor=3 "
                                             "replica-placement-start=1\n"
                                             "at 1s crash zookeeper 1\n"
                                             "at 1s crash zookeeper 2\n"
                                             "at 2s crash broker 2\n"
                                             "at 10s restart broker 2\n"
                                             "at 60s restart zookeeper 2\n"
                                             "run until 90s\n");
    ks_sim_test_run_until(t, 59 * S);
    KsPartitionInfo p = ks_sim_test_partition(t, "t", 0);
    ks_assert_i64_eq(p.leader, 2);
    assert_null(ks_sim_test_find(t, 0, "\"type\":\"session_expired\""));
    /* A restart cannot register over the old session, which cannot expire. */
    const KsSimTestEvent *failed = ks_sim_test_find(t, 0, "\"type\":\"broker_start_failed\"");
    assert_non_null(failed);
    ks_assert_i64_eq(failed->ev.broker_start_failed.old_session_expires_us, -1);
    ks_sim_test_run(t);
    const KsSimTestEvent *exp = ks_sim_test_find(t, 0, "\"type\":\"session_expired\"");
    assert_non_null(exp);
    ks_assert_i64_eq(exp->ev.broker_event.broker, 2);
    assert_true(exp->ev.t > 78 * S + 200 * MS && exp->ev.t <= 81 * S + 200 * MS);
    p = ks_sim_test_partition(t, "t", 0);
    assert_true(p.leader != 2 && p.leader != KS_NO_BROKER);
}

/* A follower dies while there is no quorum: after replica.lag.time.max.ms
 * its leader asks to shrink the ISR, and the controller's write waits for
 * a quorum; it goes through in the instant of the election. */
static void isr_changes_wait_for_a_quorum(void **state)
{
    (void)state;
    g_autoptr(KsSimTest) t = ks_sim_test_new("cluster nodes=3\n"
                                             "zookeeper servers=3\n"
                                             "set replica.lag.time.max.ms=5000\n"
                                             "topic t partitions=1 replication-factor=3 "
                                             "replica-placement-start=1\n"
                                             "producer p topic=t rate=20/s acks=1\n"
                                             "at 1s crash zookeeper 3\n"
                                             "at 1s crash zookeeper 2\n"
                                             "at 2s crash broker 3\n"
                                             "at 30s restart zookeeper 3\n"
                                             "run until 32s\n");
    ks_sim_test_run_until(t, 29 * S);
    g_autofree char *isr = ks_sim_test_isr(t, "t", 0);
    ks_assert_str_eq(isr, "2,1,3");
    ks_sim_test_run(t);
    const KsSimTestEvent *shrunk = ks_sim_test_find(t, 0, "\"type\":\"isr_shrunk\"");
    assert_non_null(shrunk);
    ks_assert_i64_eq(shrunk->ev.t, 30 * S + 200 * MS);
    ks_assert_i64_eq(shrunk->ev.isr_shrunk.broker, 3);
}

/* Nothing else writes to ZooKeeper without a quorum either: a broker
 * cannot start (no server takes its connection), a stopping broker's
 * controlled shutdown gets no answer and its session outlives it (and
 * expires after the recovery), a preferred election does nothing. */
static void no_quorum_no_registration_no_moves(void **state)
{
    (void)state;
    g_autoptr(KsSimTest) t = ks_sim_test_new("cluster nodes=3\n"
                                             "zookeeper servers=3\n"
                                             "set controlled.shutdown.max.retries=1\n"
                                             "topic t partitions=1 replication-factor=3 "
                                             "replica-placement-start=0\n"
                                             "at 1s crash zookeeper 3\n"
                                             "at 1s crash zookeeper 2\n"
                                             "at 2s stop broker 1\n"
                                             "at 20s restart broker 1\n"
                                             "at 21s elect-preferred\n"
                                             "at 30s restart zookeeper 2\n"
                                             "run until 60s\n");
    ks_sim_test_run_until(t, 29 * S);
    assert_null(ks_sim_test_find(t, 0, "\"type\":\"session_closed\""));
    assert_true(ks_sim_test_broker(t, 1).registered);
    assert_false(ks_sim_test_broker(t, 1).alive);
    ks_assert_i64_eq(ks_sim_test_partition(t, "t", 0).leader, 1);
    const KsSimTestEvent *failed = ks_sim_test_find(t, 0, "\"type\":\"broker_start_failed\"");
    assert_non_null(failed);
    ks_assert_i64_eq(failed->ev.t, 20 * S);
    assert_non_null(strstr(failed->json, "ZooKeeperClientTimeoutException"));
    const KsSimTestEvent *pref = ks_sim_test_find(t, 0, "\"type\":\"preferred_election\"");
    assert_non_null(pref);
    ks_assert_i64_eq(pref->ev.preferred_election.asked, -1);
    ks_sim_test_run(t);
    const KsSimTestEvent *exp = ks_sim_test_find(t, 0, "\"type\":\"session_expired\",\"broker\":1");
    assert_non_null(exp);
    assert_true(exp->ev.t > 48 * S + 200 * MS && exp->ev.t <= 51 * S + 200 * MS);
    assert_true(ks_sim_test_partition(t, "t", 0).leader != 1);
}

/* Servers on a node go down with it and come back with it. */
static void node_crash_takes_its_servers(void **state)
{
    (void)state;
    g_autoptr(KsSimTest) t = ks_sim_test_new("cluster nodes=3\n"
                                             "node z1\n"
                                             "node z2\n"
                                             "zookeeper servers=3 node=z1,z1,z2\n"
                                             "at 1s crash node z1\n"
                                             "at 2s restart node z1\n"
                                             "run until 3s\n");
    ks_sim_test_run_until(t, 1 * S);
    ks_assert_i64_eq(zk(t).up, 1);
    assert_false(zk(t).quorum);
    assert_false(ks_query_zookeeper_server_up(t->sim, 1));
    assert_true(ks_query_zookeeper_server_up(t->sim, 3));
    ks_sim_test_run(t);
    ks_assert_i64_eq(zk(t).up, 3);
    assert_true(zk(t).quorum);
    ks_assert_i64_eq(zk(t).leader, 3);
}

/* The three servers of most tests, on machines of their own, apart from the
 * brokers' n1..n3. */
#define THREE_SERVERS                                                                              \
    "cluster nodes=3\n"                                                                            \
    "node z1\nnode z2\nnode z3\n"                                                                  \
    "zookeeper servers=3 node=z1,z2,z3\n"

/* A follower cut away: the leader keeps a majority, nothing changes, and
 * no broker loses its session. */
static void a_follower_cut_away_changes_nothing(void **state)
{
    (void)state;
    g_autoptr(KsSimTest) t = ks_sim_test_new(THREE_SERVERS "at 2s partition-network z1 | "
                                                           "z2,z3,n1,n2,n3\n"
                                                           "run until 40s\n");
    ks_sim_test_run(t);
    assert_true(zk(t).quorum);
    ks_assert_i64_eq(zk(t).leader, 3);
    ks_assert_i64_eq(zk(t).epoch, 1);
    assert_null(ks_sim_test_find(t, 0, "\"type\":\"zk_"));
}

/* The leader cut away from both followers: it takes no writes from the
 * cut on, gives up when syncLimit (5 ticks of 3 s) passes without their
 * acks, and the two elect 200 ms later (the newest history, then the
 * highest id: 2). Healed, 3 follows 2. */
static void the_leader_cut_away_steps_down_after_sync_limit(void **state)
{
    (void)state;
    g_autoptr(KsSimTest) t = ks_sim_test_new(THREE_SERVERS "at 2s partition-network z3 | "
                                                           "z1,z2,n1,n2,n3\n"
                                                           "at 30s heal-network\n"
                                                           "run until 40s\n");
    ks_sim_test_run_until(t, 2 * S);
    assert_false(zk(t).quorum);
    ks_assert_i64_eq(zk(t).leader, 3);
    ks_sim_test_run_until(t, 17 * S - 1);
    ks_assert_i64_eq(zk(t).leader, 3);
    ks_sim_test_run_until(t, 17 * S);
    ks_assert_i64_eq(zk(t).leader, -1);
    assert_false(zk(t).quorum);
    ks_sim_test_run_until(t, 17 * S + 200 * MS);
    assert_true(zk(t).quorum);
    ks_assert_i64_eq(zk(t).leader, 2);
    ks_assert_i64_eq(zk(t).epoch, 2);
    const KsSimTestEvent *elected = ks_sim_test_find(t, 0, "\"type\":\"zk_leader_elected\"");
    ks_assert_i64_eq(elected->ev.t, 17 * S + 200 * MS);
    /* A majority was there all along: the quorum was never lost for good,
     * and the brokers, which reach 1 and 2, kept their sessions. */
    assert_null(ks_sim_test_find(t, 0, "\"type\":\"zk_quorum_lost\""));
    assert_null(ks_sim_test_find(t, 0, "\"type\":\"zk_contact_lost\""));
    ks_sim_test_run(t);
    ks_assert_i64_eq(zk(t).leader, 2);
    ks_assert_i64_eq(ks_sim_test_count(t, 0, 40 * S, "\"type\":\"zk_leader_elected\""), 1);
}

/* ZAB needs both directions: a one-way cut from the leader cuts it off as
 * well. A lossy link does not: its retransmissions get through. */
static void one_way_cuts_count_lossy_links_do_not(void **state)
{
    (void)state;
    g_autoptr(KsSimTest) t = ks_sim_test_new(THREE_SERVERS "at 2s partition-network z1,z2 -> z3\n"
                                                           "run until 20s\n");
    ks_sim_test_run(t);
    ks_assert_i64_eq(zk(t).leader, 2);
    g_autoptr(KsSimTest) lossy =
        ks_sim_test_new(THREE_SERVERS "at 2s partition-network z3 | z1,z2 loss=50%\n"
                                      "run until 20s\n");
    ks_sim_test_run(lossy);
    ks_assert_i64_eq(zk(lossy).leader, 3);
    assert_true(zk(lossy).quorum);
}

/* A cut healed before syncLimit runs out: the leader never gave up, so no
 * election; the ISR change that waited goes through at the heal. */
static void a_short_cut_keeps_the_leader(void **state)
{
    (void)state;
    g_autoptr(KsSimTest) t =
        ks_sim_test_new(THREE_SERVERS "set replica.lag.time.max.ms=5000\n"
                                      "topic t partitions=1 replication-factor=3 "
                                      "replica-placement-start=1\n"
                                      "producer p topic=t rate=20/s acks=1\n"
                                      "at 1s partition-network z3 | z1,z2,n1,n2,n3\n"
                                      "at 2s crash broker 3\n"
                                      "at 12s heal-network\n"
                                      "run until 14s\n");
    ks_sim_test_run_until(t, 11 * S);
    assert_false(zk(t).quorum);
    g_autofree char *isr = ks_sim_test_isr(t, "t", 0);
    ks_assert_str_eq(isr, "2,1,3");
    ks_sim_test_run(t);
    assert_true(zk(t).quorum);
    ks_assert_i64_eq(zk(t).leader, 3);
    ks_assert_i64_eq(zk(t).epoch, 1);
    const KsSimTestEvent *shrunk = ks_sim_test_find(t, 0, "\"type\":\"isr_shrunk\"");
    assert_non_null(shrunk);
    ks_assert_i64_eq(shrunk->ev.t, 12 * S);
}

/* Five servers cut 2 | 2 | 1 with the brokers beside the lone leader: no
 * side has a majority. The leader stops committing at the cut and gives up
 * syncLimit later (the quorum is lost then); the controller's crash is not
 * noticed, since no session can expire. Healed, the servers elect 200 ms
 * later and the new leader re-arms every session: the controller's expires
 * one timeout (18 s, rounded up to the 3 s tick) after that, and another
 * broker takes over. */
static void a_split_without_majority_freezes_until_healed(void **state)
{
    (void)state;
    g_autoptr(KsSimTest) t = ks_sim_test_new("cluster nodes=3\n"
                                             "node z1\nnode z2\nnode z3\nnode z4\nnode z5\n"
                                             "zookeeper servers=5 node=z1,z2,z3,z4,z5\n"
                                             "topic t partitions=3 replication-factor=3\n"
                                             "at 2s partition-network z1,z2 | z3,z4,z5,n1,n2,n3\n"
                                             "at 2s partition-network z3,z4 | z5,n1,n2,n3\n"
                                             "at 5s crash broker 1\n"
                                             "at 40s heal-network\n"
                                             "run until 70s\n");
    ks_sim_test_run_until(t, 2 * S);
    ks_assert_i64_eq(ks_query_controller(t->sim), 1);
    assert_false(zk(t).quorum);
    ks_assert_i64_eq(zk(t).leader, 5);
    /* Every broker reaches only server 5, which has no majority. */
    ks_assert_i64_eq(ks_sim_test_count(t, 2 * S, 2 * S, "\"type\":\"zk_contact_lost\""), 3);
    ks_sim_test_run_until(t, 17 * S);
    ks_assert_i64_eq(zk(t).leader, -1);
    const KsSimTestEvent *lost = ks_sim_test_find(t, 0, "\"type\":\"zk_quorum_lost\"");
    assert_non_null(lost);
    ks_assert_i64_eq(lost->ev.t, 17 * S);
    ks_sim_test_run_until(t, 39 * S);
    ks_assert_i64_eq(ks_query_controller(t->sim), 1);
    assert_null(ks_sim_test_find(t, 0, "\"type\":\"session_expired\""));
    ks_sim_test_run_until(t, 40 * S + 200 * MS);
    assert_true(zk(t).quorum);
    ks_assert_i64_eq(zk(t).leader, 5);
    ks_sim_test_run(t);
    const KsSimTestEvent *exp = ks_sim_test_find(t, 0, "\"type\":\"session_expired\"");
    assert_non_null(exp);
    ks_assert_i64_eq(exp->ev.broker_event.broker, 1);
    assert_true(exp->ev.t > 58 * S + 200 * MS && exp->ev.t <= 61 * S + 200 * MS);
    KsBrokerId ctrl = ks_query_controller(t->sim);
    assert_true(ctrl == 2 || ctrl == 3);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(highest_id_leads_and_a_new_leader_takes_200ms),
        cmocka_unit_test(leader_death_elects_among_the_rest),
        cmocka_unit_test(newest_history_wins_over_highest_id),
        cmocka_unit_test(sessions_wait_for_a_quorum_and_start_over),
        cmocka_unit_test(isr_changes_wait_for_a_quorum),
        cmocka_unit_test(no_quorum_no_registration_no_moves),
        cmocka_unit_test(node_crash_takes_its_servers),
        cmocka_unit_test(a_follower_cut_away_changes_nothing),
        cmocka_unit_test(the_leader_cut_away_steps_down_after_sync_limit),
        cmocka_unit_test(one_way_cuts_count_lossy_links_do_not),
        cmocka_unit_test(a_short_cut_keeps_the_leader),
        cmocka_unit_test(a_split_without_majority_freezes_until_healed),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
