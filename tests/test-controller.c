/* SPDX-License-Identifier: MIT */
/*
 * test-controller.c - the ZooKeeper-era controller's decisions
 * (sim/controller.c): who leads a partition after a failure, when nobody
 * may, what the leader epoch does, failover, preferred election and
 * controlled shutdown.
 *
 * Each test runs a small inline scenario on three or four brokers and
 * checks the leader_elected events and the partition's state, with values
 * that differ when the rule is broken:
 *  - the offline election takes the first live ISR member in ASSIGNMENT
 *    order, not in ISR order, and the leader epoch goes up by exactly one;
 *  - with no live ISR member the partition stays offline unless unclean
 *    election is enabled, which takes the first live replica;
 *  - a new controller elects the partitions the dead one led;
 *  - a preferred election moves leadership back only when the preferred
 *    replica is in the ISR;
 *  - a controlled shutdown moves leadership away before the broker stops,
 *    so nothing is unavailable, where a crash costs the session timeout;
 *    single-replica partitions do not hold it back, and no backoff follows
 *    the last failed attempt;
 *  - unclean election follows the controller's broker config.
 * The Kafka sources cited are those of 3.9 (ZooKeeper mode).
 */
#include "ks-sim-test.h"

#include "sim/model.h"

#include <string.h>

#define S  KS_TIME_S
#define MS KS_TIME_MS

/* Partition t-0 as the model holds it: the controller's choice (leader,
 * epoch, ISR) and, apart from it, the replica acting as leader and what a
 * broker last learnt, which no query shows (a broker's own view). */
static KsPartition *model_partition(const KsSimTest *t)
{
    return ks_sim_find_topic(t->sim, "t")->partitions[0];
}

/* Election.leaderForOffline: assignment.find(id => liveReplicas(id) &&
 * isr.contains(id)), the assignment order, never the ISR's. Broker 2
 * leaves and rejoins the ISR of t-0 (replicas [1,2,3]), so the ISR reads
 * 1,3,2; when leader 1 fails, 2 leads (3 would in ISR order), with the
 * epoch one more than before (ZkPartitionStateMachine.
 * doElectLeaderForPartitions: leaderEpoch + 1). */
static void offline_election_takes_assignment_order(void **state)
{
    (void)state;
    g_autoptr(KsSimTest) t = ks_sim_test_new("cluster nodes=4\n"
                                             "topic t partitions=1 replication-factor=3 "
                                             "replica-placement-start=1\n"
                                             "at 1s crash broker 4\n"
                                             "at 23s restart broker 4\n"
                                             "at 30s crash broker 2\n"
                                             "run until 50s\n");
    ks_sim_test_run_until(t, 29 * S);
    g_autofree char *isr = ks_sim_test_isr(t, "t", 0);
    ks_assert_str_eq(isr, "2,1,4");
    ks_assert_i64_eq(ks_sim_test_assigned(t, "t", 0, 1), 4);
    ks_assert_i64_eq(ks_sim_test_assigned(t, "t", 0, 2), 1);
    int32_t epoch = ks_sim_test_partition(t, "t", 0).leader_epoch;

    ks_sim_test_run(t);
    const KsSimTestEvent *e = ks_sim_test_find(t, 30 * S, "\"reason\":\"offline\"");
    assert_non_null(e);
    /* broker 2's session expired: 13 to 21 s after its crash (ZooKeeper's
     * tick buckets, SessionTrackerImpl; see test-registry.c) */
    const KsSimTestEvent *expired =
        ks_sim_test_find(t, 30 * S, "\"type\":\"session_expired\",\"broker\":2");
    assert_non_null(expired);
    ks_assert_i64_eq(e->ev.t, expired->ev.t);
    assert_true(e->ev.t > 43 * S && e->ev.t <= 51 * S);
    ks_assert_i64_eq(e->ev.leader_elected.leader, 4);
    ks_assert_i64_eq(e->ev.leader_elected.previous_leader, 2);
    ks_assert_i64_eq(e->ev.leader_elected.leader_epoch, epoch + 1);
    ks_assert_i64_eq(ks_sim_test_partition(t, "t", 0).leader, 4);
    g_autofree char *after = ks_sim_test_isr(t, "t", 0);
    ks_assert_str_eq(after, "1,4");
}

/* Election.leaderForOffline with uncleanLeaderElectionEnabled: no live ISR
 * member leaves the partition offline (NoLeader, "Leader: none"), unless
 * unclean.leader.election.enable, when the first live replica in
 * assignment order leads with an ISR of itself. Two topics on brokers
 * [3,2]: 3 is left alone in the ISR, dies, and 2 comes back. */
static void no_live_isr_member_offline_unless_unclean(void **state)
{
    (void)state;
    g_autoptr(KsSimTest) t = ks_sim_test_new("cluster nodes=4\n"
                                             "topic strict partitions=1 replication-factor=2 "
                                             "replica-placement-start=2 "
                                             "unclean.leader.election.enable=false\n"
                                             "topic loose partitions=1 replication-factor=2 "
                                             "replica-placement-start=2 "
                                             "unclean.leader.election.enable=true\n"
                                             "at 1s crash broker 2\n"
                                             "at 25s crash broker 3\n"
                                             "at 50s restart broker 2\n"
                                             "run until 60s\n");
    ks_sim_test_run_until(t, 49 * S);
    ks_assert_i64_eq(ks_sim_test_assigned(t, "strict", 0, 0), 3);
    ks_assert_i64_eq(ks_sim_test_partition(t, "strict", 0).leader, KS_NO_BROKER);
    ks_assert_i64_eq(ks_sim_test_partition(t, "loose", 0).leader, KS_NO_BROKER);

    ks_sim_test_run(t);
    ks_assert_i64_eq(ks_sim_test_partition(t, "strict", 0).leader, KS_NO_BROKER);
    g_autofree char *strict_isr = ks_sim_test_isr(t, "strict", 0);
    ks_assert_str_eq(strict_isr, "3");
    const KsSimTestEvent *e =
        ks_sim_test_find(t, 50 * S, "\"topic\":\"loose\",\"partition\":0,\"leader\":2");
    assert_non_null(e);
    ks_assert_i64_eq(e->ev.t, 50 * S);
    ks_assert_i64_eq(e->ev.leader_elected.reason, KS_REASON_UNCLEAN);
    ks_assert_i64_eq(ks_sim_test_partition(t, "loose", 0).leader, 2);
    g_autofree char *loose_isr = ks_sim_test_isr(t, "loose", 0);
    ks_assert_str_eq(loose_isr, "2");
    assert_null(ks_sim_test_find(t, 0, "\"topic\":\"strict\",\"partition\":0,\"leader\":2"));
}

/* KafkaController.onBrokerStartup -> triggerOnlinePartitionStateChange:
 * a partition without a leader is elected again when a broker registers,
 * so the last ISR member leads as soon as it is back (reason offline),
 * one epoch on. */
static void last_isr_member_leads_on_return(void **state)
{
    (void)state;
    g_autoptr(KsSimTest) t = ks_sim_test_new("cluster nodes=3\n"
                                             "topic t partitions=1 replication-factor=2 "
                                             "replica-placement-start=0\n"
                                             "at 1s crash broker 2\n"
                                             "at 25s crash broker 1\n"
                                             "at 50s restart broker 1\n"
                                             "run until 51s\n");
    ks_sim_test_run_until(t, 49 * S);
    KsPartitionInfo before = ks_sim_test_partition(t, "t", 0);
    ks_assert_i64_eq(before.leader, KS_NO_BROKER);
    g_autofree char *isr = ks_sim_test_isr(t, "t", 0);
    ks_assert_str_eq(isr, "1");

    ks_sim_test_run(t);
    const KsSimTestEvent *e = ks_sim_test_find(t, 50 * S, "\"type\":\"leader_elected\"");
    assert_non_null(e);
    ks_assert_i64_eq(e->ev.t, 50 * S);
    ks_assert_i64_eq(e->ev.leader_elected.leader, 1);
    ks_assert_i64_eq(e->ev.leader_elected.reason, KS_REASON_OFFLINE);
    ks_assert_i64_eq(e->ev.leader_elected.leader_epoch, before.leader_epoch + 1);
}

/* KafkaController.onControllerFailover: the new controller first starts
 * its replica state machine (dead replicas leave the ISRs: t-0 is left
 * without a leader, epoch 1), then its partition state machine elects every
 * partition without a live leader (epoch 2), all at the failover instant.
 * Broker 1 is both the controller and the leader of t-0; nobody elects
 * before its session expires, and the partition was unavailable exactly
 * that long. */
static void failover_elects_the_dead_controllers_partitions(void **state)
{
    (void)state;
    g_autoptr(KsSimTest) t = ks_sim_test_new("cluster nodes=3\n"
                                             "topic t partitions=3 replication-factor=3 "
                                             "replica-placement-start=0\n"
                                             "at 5s crash broker 1\n"
                                             "run until 30s\n");
    ks_sim_test_run(t);
    const KsSimTestEvent *c = ks_sim_test_find(t, 1, "\"type\":\"controller_elected\"");
    assert_non_null(c);
    /* Broker 1's session expiry, 13 to 21 s after the crash (see test-registry.c). */
    KsTime at = c->ev.t;
    assert_true(at > 18 * S && at <= 26 * S);
    ks_assert_i64_eq(ks_sim_test_count(t, 1, at - 1, "\"type\":\"leader_elected\""), 0);
    const char *t0 = "\"type\":\"leader_elected\",\"topic\":\"t\",\"partition\":0";
    ks_assert_i64_eq(ks_sim_test_count(t, at, 30 * S, t0), 2);
    const KsSimTestEvent *none = ks_sim_test_find(t, 1, t0);
    ks_assert_i64_eq(none->ev.t, at);
    ks_assert_i64_eq(none->ev.leader_elected.leader, KS_NO_BROKER);
    ks_assert_i64_eq(none->ev.leader_elected.leader_epoch, 1);
    g_autofree char *offline = g_strconcat(t0, ",\"leader\":2", NULL);
    const KsSimTestEvent *e = ks_sim_test_find(t, 1, offline);
    assert_non_null(e);
    ks_assert_i64_eq(e->ev.t, at);
    ks_assert_i64_eq(e->ev.leader_elected.leader_epoch, 2);
    ks_assert_i64_eq(e->ev.leader_elected.reason, KS_REASON_OFFLINE);
    KsSimStats stats;
    ks_sim_get_stats(t->sim, &stats);
    ks_assert_i64_eq(stats.unavailable_us, at - 5 * S);
}

/* PreferredReplicaLeaderElection (Election.leaderForPreferredReplica):
 * the preferred replica leads only if it is live and in the ISR. Asked
 * the instant broker 1 restarts (not yet caught up), nothing moves; asked
 * again once it rejoined, it leads again. */
static void preferred_election_needs_preferred_in_isr(void **state)
{
    (void)state;
    g_autoptr(KsSimTest) t = ks_sim_test_new("cluster nodes=3\n"
                                             "topic t partitions=1 replication-factor=3 "
                                             "replica-placement-start=0\n"
                                             "set auto.leader.rebalance.enable=false\n"
                                             "producer p topic=t rate=100/s\n"
                                             "at 2s crash broker 1\n"
                                             "at 30s restart broker 1\n"
                                             "at 30s elect-preferred t-0\n"
                                             "at 35s elect-preferred t-0\n"
                                             "run until 36s\n");
    ks_sim_test_run_until(t, 34 * S);
    ks_assert_i64_eq(ks_sim_test_partition(t, "t", 0).leader, 2);
    const KsSimTestEvent *first = ks_sim_test_find(t, 30 * S, "\"type\":\"preferred_election\"");
    assert_non_null(first);
    ks_assert_i64_eq(first->ev.preferred_election.asked, 1);
    ks_assert_i64_eq(first->ev.preferred_election.moved, 0);
    assert_true(ks_sim_test_replica(t, "t", 0, 1).in_isr);
    int32_t epoch = ks_sim_test_partition(t, "t", 0).leader_epoch;

    ks_sim_test_run(t);
    const KsSimTestEvent *second = ks_sim_test_find(t, 35 * S, "\"type\":\"preferred_election\"");
    assert_non_null(second);
    ks_assert_i64_eq(second->ev.preferred_election.moved, 1);
    const KsSimTestEvent *e = ks_sim_test_find(t, 35 * S, "\"reason\":\"preferred\"");
    assert_non_null(e);
    ks_assert_i64_eq(e->ev.leader_elected.leader, 1);
    ks_assert_i64_eq(e->ev.leader_elected.leader_epoch, epoch + 1);
    ks_assert_i64_eq(ks_sim_test_partition(t, "t", 0).leader, 1);
}

/* KafkaController.doControlledShutdown: the partitions the stopping broker
 * leads get a new leader (ControlledShutdownLeaderElectionStrategy: the
 * first live ISR member in assignment order other than it) before the
 * broker stops, so no partition is ever without a leader. */
static void controlled_shutdown_moves_leadership_first(void **state)
{
    (void)state;
    g_autoptr(KsSimTest) t = ks_sim_test_new("cluster nodes=3\n"
                                             "topic t partitions=3 replication-factor=3 "
                                             "replica-placement-start=0\n"
                                             "producer p topic=t rate=300/s acks=all\n"
                                             "at 5s stop broker 1\n"
                                             "run until 10s\n");
    ks_sim_test_run(t);
    const KsSimTestEvent *moved = ks_sim_test_find(t, 5 * S, "\"reason\":\"controlled_shutdown\"");
    const KsSimTestEvent *stopped = ks_sim_test_find(t, 5 * S, "\"type\":\"broker_stopped\"");
    assert_non_null(moved);
    assert_non_null(stopped);
    assert_true(moved->ev.t <= stopped->ev.t);
    ks_assert_i64_eq(moved->ev.leader_elected.previous_leader, 1);
    ks_assert_i64_eq(moved->ev.leader_elected.leader, 2);
    /* t-0 was the one partition broker 1 led. */
    assert_non_null(strstr(moved->json, "\"topic\":\"t\",\"partition\":0"));
    for (int32_t i = 0; i < 3; i++)
        assert_true(ks_sim_test_partition(t, "t", i).leader != 1);
    KsSimStats stats;
    ks_sim_get_stats(t->sim, &stats);
    ks_assert_i64_eq(stats.unavailable_us, 0);
    ks_assert_i64_eq(stats.records_refused, 0);
}

/* LeaderAndIsr travels (ControllerChannelManager.scala:92-291: one queue
 * and one RequestSendThread per broker; ReplicaManager
 * .becomeLeaderOrFollower applies it on arrival). Controller 1 is in zone
 * a; t-0's replicas are 3, 2 and 4, in zones c, b and d, 1 ms away. A
 * preferred election at 30 s moves t-0 from 2 back to 3: the controller's
 * state says 3 at once, but for 1 ms broker 2 still acts as leader (it
 * would take writes in the old epoch) and broker 3 does not yet; both
 * learn when the request arrives, 1 ms later. */
static void leader_and_isr_takes_a_network_trip(void **state)
{
    (void)state;
    g_autoptr(KsSimTest) t = ks_sim_test_new("cluster nodes=4 zones=a,b,c,d\n"
                                             "topic t partitions=1 replication-factor=3 "
                                             "replica-placement-start=2\n"
                                             "producer p topic=t rate=1000/s acks=1\n"
                                             "at 1s crash broker 3\n"
                                             "at 22s restart broker 3\n"
                                             "at 30s elect-preferred t-0\n"
                                             "run until 31s\n");
    ks_sim_test_run_until(t, 29 * S);
    KsPartition *part = model_partition(t);
    ks_assert_i64_eq(part->leader, 2);
    g_autofree char *isr = ks_sim_test_isr(t, "t", 0);
    ks_assert_str_eq(isr, "2,4,3");
    int32_t epoch = part->leader_epoch;

    ks_sim_test_run_until(t, 30 * S + 500);
    const KsSimTestEvent *e = ks_sim_test_find(t, 30 * S, "\"reason\":\"preferred\"");
    assert_non_null(e);
    ks_assert_i64_eq(e->ev.t, 30 * S);
    ks_assert_i64_eq(part->leader, 3);
    ks_assert_i64_eq(part->leader_epoch, epoch + 1);
    /* The window: broker 2 still leads in the old epoch, broker 3 does not
     * know it was chosen. */
    ks_assert_i64_eq(part->leader_replica->broker->id, 2);
    ks_assert_i64_eq(part->leader_replica_epoch, epoch);
    ks_assert_i64_eq(ks_partition_replica(part, 3)->known_epoch, epoch);
    ks_assert_i64_eq(ks_partition_replica(part, 2)->known_epoch, epoch);

    ks_sim_test_run_until(t, 30 * S + 1 * MS);
    ks_assert_i64_eq(part->leader_replica->broker->id, 3);
    ks_assert_i64_eq(part->leader_replica_epoch, epoch + 1);
    ks_assert_i64_eq(ks_partition_replica(part, 2)->known_epoch, epoch + 1);
    ks_assert_i64_eq(ks_partition_replica(part, 4)->known_epoch, epoch + 1);
}

/* A leader-made ISR shrink goes through the controller (3.9 in ZooKeeper
 * mode with the default inter.broker.protocol.version: KafkaServer.scala
 * :385-399 picks the AlterPartitionManager when IBP >= 2.7-IV2,
 * MetadataVersion.java:303-305). Leader 2 (zone b) proposes dropping
 * crashed broker 3 at its isr-expiration check at 15 s (10 s of lag, checks
 * every 5 s); the ISR stays {2,1,3} until controller 1 (zone a) writes it,
 * 1 ms later (KafkaController.processAlterPartition, KafkaController.scala
 * :2288-2482); while the proposal is in flight the leader's HW still counts
 * broker 3 (PendingShrinkIsr.maximalIsr = the last committed ISR,
 * Partition.scala:238-258), and only when the answer is back, 2 ms after
 * the check, does it move on (Partition.scala:1965-1975). */
static void isr_shrink_waits_for_the_controller(void **state)
{
    (void)state;
    g_autoptr(KsSimTest) t =
        ks_sim_test_new("cluster nodes=3 zones=a,b,c\n"
                        "set zookeeper.session.timeout.ms=60s replica.lag.time.max.ms=10s\n"
                        "topic t partitions=1 replication-factor=3 replica-placement-start=1\n"
                        "producer p topic=t rate=1000/s acks=1\n"
                        "at 2s crash broker 3\n"
                        "run until 20s\n");
    ks_sim_test_run_until(t, 15 * S);
    KsPartition *part = model_partition(t);
    KsReplica *r3 = ks_partition_replica(part, 3);
    ks_assert_i64_eq(part->leader, 2);
    assert_true(part->alter.inflight);
    assert_true(r3->isr_change_pending);
    g_autofree char *before = ks_sim_test_isr(t, "t", 0);
    ks_assert_str_eq(before, "2,1,3");
    assert_null(ks_sim_test_find(t, 0, "\"type\":\"isr_shrunk\""));

    ks_sim_test_run_until(t, 15 * S + 1 * MS);
    const KsSimTestEvent *e = ks_sim_test_find(t, 0, "\"type\":\"isr_shrunk\"");
    assert_non_null(e);
    ks_assert_i64_eq(e->ev.t, 15 * S + 1 * MS);
    ks_assert_i64_eq(e->ev.isr_shrunk.reason, KS_REASON_LAGGING);
    g_autofree char *after = ks_sim_test_isr(t, "t", 0);
    ks_assert_str_eq(after, "2,1");
    /* Committed, not yet known to the leader: the HW waits for broker 3. */
    assert_true(r3->isr_change_pending);
    ks_assert_i64_eq(ks_sim_test_replica(t, "t", 0, 2).high_watermark, r3->fetch_leo);

    ks_sim_test_run_until(t, 15 * S + 2 * MS);
    assert_false(part->alter.inflight);
    assert_false(r3->isr_change_pending);
    assert_true(ks_sim_test_replica(t, "t", 0, 2).high_watermark > r3->fetch_leo + 10000);
}

/* KafkaController.doControlledShutdown answers with
 * ControllerContext.partitionLeadersOnBroker (Kafka 3.9
 * ControllerContext.scala:486-491), which skips partitions with one
 * replica: broker 1 leads solo-0 (RF 1) and t-0, and its first request
 * succeeds; it stops at 5 s with a single broker_stopping event. */
static void controlled_shutdown_ignores_single_replica_partitions(void **state)
{
    (void)state;
    g_autoptr(KsSimTest) t = ks_sim_test_new("cluster nodes=3\n"
                                             "topic solo partitions=1 replication-factor=1 "
                                             "replica-placement-start=0\n"
                                             "topic t partitions=1 replication-factor=3 "
                                             "replica-placement-start=0\n"
                                             "at 5s stop broker 1\n"
                                             "run until 20s\n");
    ks_sim_test_run(t);
    const KsSimTestEvent *stopping = ks_sim_test_find(t, 0, "\"type\":\"broker_stopping\"");
    assert_non_null(stopping);
    ks_assert_i64_eq(stopping->ev.broker_stopping.still_leads, 0);
    ks_assert_i64_eq(ks_sim_test_count(t, 0, 20 * S, "\"type\":\"broker_stopping\""), 1);
    const KsSimTestEvent *stopped = ks_sim_test_find(t, 0, "\"type\":\"broker_stopped\"");
    assert_non_null(stopped);
    ks_assert_i64_eq(stopped->ev.t, 5 * S);
}

/* KafkaServer.controlledShutdown sleeps only between attempts (Kafka 3.9
 * KafkaServer.scala:931-934): with three attempts that all fail (broker 1
 * is the last ISR member of t-0), it asks at 25, 30 and 35 s and stops at
 * 35 s, not 40 s. */
static void last_failed_shutdown_attempt_stops_at_once(void **state)
{
    (void)state;
    g_autoptr(KsSimTest) t = ks_sim_test_new("cluster nodes=2\n"
                                             "topic t partitions=1 replication-factor=2 "
                                             "replica-placement-start=0\n"
                                             "at 1s crash broker 2\n"
                                             "at 25s stop broker 1\n"
                                             "run until 45s\n");
    ks_sim_test_run(t);
    ks_assert_i64_eq(ks_sim_test_count(t, 0, 45 * S, "\"type\":\"broker_stopping\""), 3);
    const KsSimTestEvent *stopped = ks_sim_test_find(t, 0, "\"type\":\"broker_stopped\"");
    assert_non_null(stopped);
    ks_assert_i64_eq(stopped->ev.t, 35 * S);
}

/* ZkPartitionStateMachine reads unclean.leader.election.enable with the
 * controller's broker config as defaults (Kafka 3.9
 * PartitionStateMachine.scala:482-503): the same broker lines elect
 * uncleanly when the controller says true, and not when only another
 * broker does. Broker 1 is the last ISR member of t-0 and dies at 25 s;
 * broker 3 (the controller from 43 s, when 1's session expires, since it
 * registered before 2 came back) decides. */
static KsBrokerId leader_after_unclean_choice(const char *broker2, const char *broker3)
{
    g_autofree char *text = g_strdup_printf("node n1\nnode n2\nnode n3\n"
                                            "broker 1 node=n1\n"
                                            "broker 2 node=n2%s\n"
                                            "broker 3 node=n3%s\n"
                                            "topic t partitions=1 replication-factor=2 "
                                            "replica-placement-start=0\n"
                                            "at 1s crash broker 2\n"
                                            "at 25s crash broker 1\n"
                                            "at 26s restart broker 2\n"
                                            "run until 50s\n",
                                            broker2, broker3);
    g_autoptr(KsSimTest) t = ks_sim_test_new(text);
    ks_sim_test_run(t);
    KsBrokerInfo c = ks_sim_test_broker(t, 3);
    assert_true(c.alive);
    return ks_sim_test_partition(t, "t", 0).leader;
}

static void unclean_election_reads_the_controllers_config(void **state)
{
    (void)state;
    const char *on = " unclean.leader.election.enable=true";
    ks_assert_i64_eq(leader_after_unclean_choice("", on), 2);
    ks_assert_i64_eq(leader_after_unclean_choice(on, ""), KS_NO_BROKER);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(offline_election_takes_assignment_order),
        cmocka_unit_test(no_live_isr_member_offline_unless_unclean),
        cmocka_unit_test(last_isr_member_leads_on_return),
        cmocka_unit_test(failover_elects_the_dead_controllers_partitions),
        cmocka_unit_test(preferred_election_needs_preferred_in_isr),
        cmocka_unit_test(controlled_shutdown_moves_leadership_first),
        cmocka_unit_test(leader_and_isr_takes_a_network_trip),
        cmocka_unit_test(isr_shrink_waits_for_the_controller),
        cmocka_unit_test(controlled_shutdown_ignores_single_replica_partitions),
        cmocka_unit_test(last_failed_shutdown_attempt_stops_at_once),
        cmocka_unit_test(unclean_election_reads_the_controllers_config),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
