/* SPDX-License-Identifier: MIT */
/*
 * test-broker.c - the replica manager's rules (sim/broker.c): when a
 * follower leaves and rejoins the ISR, what the high watermark is, which
 * acks=all writes the leader refuses, how a returning replica truncates,
 * and how long a follower's fetch waits at the leader.
 *
 * Each test runs a small inline scenario (three brokers, one partition
 * t-0 with replicas [1,2,3] unless it says otherwise, so broker 1 leads)
 * and reads the partition's replicas at chosen instants:
 *  - a follower that stops fetching leaves the ISR once it has not been
 *    caught up for replica.lag.time.max.ms, not before; one that stops
 *    while nothing is written stays (it is not behind);
 *  - the HW is the smallest log end of the ISR and never moves back, and
 *    it does not move while the ISR is under the leader's effective
 *    min.insync.replicas (capped at the replication factor);
 *  - a returning follower rejoins only once its fetch reaches the HW;
 *  - acks=all below min.insync.replicas is refused before the append;
 *  - a returning old leader truncates exactly the suffix the new leader
 *    never had (leader epochs, KIP-101/279), not down to its HW;
 *  - an idle follower's fetch is parked up to the follower's own
 *    replica.fetch.wait.max.ms, and answered as soon as a record arrives,
 *    or, with replica.fetch.min.bytes, as soon as that many bytes did;
 *  - a zombie leader's acks=all writes wait until they time out or it is
 *    told it leads no more;
 *  - a follower whose fetch was lost in a cut is taken back into the ISR
 *    only once it fetches again.
 * Follower failures use a long zookeeper.session.timeout.ms where the
 * leader's rule must act before the controller's. The Kafka sources cited
 * are those of 3.9.
 */
#include "ks-sim-test.h"

#include "sim/model.h"

#include <string.h>

#define S  KS_TIME_S
#define MS KS_TIME_MS

/* The leader's record of broker @id's replica of t-0 as a follower: the
 * position of its latest fetch (Replica.stateSnapshot.logEndOffset) is
 * what the ISR rules judge, and no query shows it, so this is the one read
 * of the model's own state (sim/model.h) here. */
static const KsReplica *follower_at_leader(const KsSimTest *t, KsBrokerId id)
{
    KsTopic *topic = ks_sim_find_topic(t->sim, "t");
    return ks_partition_replica(topic->partitions[0], id);
}

#define ONE_PARTITION "topic t partitions=1 replication-factor=3 replica-placement-start=0\n"

/* Partition.isFollowerOutOfSync: a follower is out of sync when its LEO is
 * not the leader's and it was last caught up more than
 * replica.lag.time.max.ms ago; Partition.maybeShrinkIsr runs every
 * replica.lag.time.max.ms / 2 (ReplicaManager.startup's isr-expiration
 * task). Broker 3 crashes at 2 s while records flow: it leaves the ISR
 * between 12 s and 17 s, by the leader ("lagging"), long before its
 * session would expire. */
static void lagging_follower_leaves_isr_after_lag_time(void **state)
{
    (void)state;
    g_autoptr(KsSimTest) t = ks_sim_test_new(
        "cluster nodes=3\n"
        "set zookeeper.session.timeout.ms=60s replica.lag.time.max.ms=10s\n" ONE_PARTITION
        "producer p topic=t rate=100/s acks=1\n"
        "at 2s crash broker 3\n"
        "run until 20s\n");
    ks_sim_test_run_until(t, 12 * S - 1);
    g_autofree char *before = ks_sim_test_isr(t, "t", 0);
    ks_assert_str_eq(before, "1,2,3");

    ks_sim_test_run(t);
    const KsSimTestEvent *e = ks_sim_test_find(t, 0, "\"type\":\"isr_shrunk\"");
    assert_non_null(e);
    ks_assert_i64_eq(e->ev.isr_shrunk.broker, 3);
    ks_assert_i64_eq(e->ev.isr_shrunk.reason, KS_REASON_LAGGING);
    assert_true(e->ev.t >= 12 * S && e->ev.t <= 17 * S);
    g_autofree char *after = ks_sim_test_isr(t, "t", 0);
    ks_assert_str_eq(after, "1,2");
}

/* The same rule's other half: with no new records the stopped follower's
 * LEO is the leader's, so it is not out of sync however long it is silent
 * (Partition.isFollowerOutOfSync: logEndOffset != leaderEndOffset && ...). */
static void silent_follower_without_writes_stays_in_isr(void **state)
{
    (void)state;
    g_autoptr(KsSimTest) t = ks_sim_test_new(
        "cluster nodes=3\n"
        "set zookeeper.session.timeout.ms=60s replica.lag.time.max.ms=10s\n" ONE_PARTITION
        "at 1s produce topic=t count=10\n"
        "at 2s crash broker 3\n"
        "run until 40s\n");
    ks_sim_test_run(t);
    assert_null(ks_sim_test_find(t, 0, "\"type\":\"isr_shrunk\""));
    g_autofree char *isr = ks_sim_test_isr(t, "t", 0);
    ks_assert_str_eq(isr, "1,2,3");
    ks_assert_i64_eq(ks_sim_test_replica(t, "t", 0, 3).log_end_offset, 10);
}

/* Partition.maybeIncrementLeaderHW: the HW is the smallest LEO among the
 * ISR, and only moves forward (LogOffsetMetadata.onOlderSegment / the
 * "newHighWatermark > oldHighWatermark" check). With dead broker 3 still
 * in the ISR the HW stays at its log end while the leader's grows; when 3
 * leaves, the HW jumps to the leader's log end. Sampled every 50 ms. */
static void hw_is_min_isr_leo_and_never_goes_back(void **state)
{
    (void)state;
    g_autoptr(KsSimTest) t = ks_sim_test_new(
        "cluster nodes=3\n"
        "set zookeeper.session.timeout.ms=60s replica.lag.time.max.ms=10s\n" ONE_PARTITION
        "producer p topic=t rate=1000/s acks=1\n"
        "at 2s crash broker 3\n"
        "run until 20s\n");
    int64_t last = 0;
    bool held_back = false, jumped = false;
    for (KsTime at = 0; at <= 20 * S; at += 50 * MS) {
        ks_sim_test_run_until(t, at);
        KsReplicaInfo leader = ks_sim_test_replica(t, "t", 0, 1);
        KsReplicaInfo dead = ks_sim_test_replica(t, "t", 0, 3);
        assert_true(leader.high_watermark >= last);
        last = leader.high_watermark;
        if (dead.in_isr && at > 3 * S) {
            /* Its position as the leader last saw it: its last fetch
             * response may have brought a few records more. */
            ks_assert_i64_eq(leader.high_watermark, follower_at_leader(t, 3)->fetch_leo);
            assert_true(leader.high_watermark <= dead.log_end_offset);
            held_back |= leader.log_end_offset > leader.high_watermark + 1000;
        }
        if (!dead.in_isr)
            jumped |= leader.high_watermark > dead.log_end_offset + 5000;
    }
    assert_true(held_back);
    assert_true(jumped);
}

/* Partition.maybeExpandIsr / isFollowerInSync: a follower out of the ISR
 * joins again only when its fetch offset reaches the leader's HW (and the
 * start of the leader's epoch). Broker 3 returns far behind; at every
 * instant until it rejoins, its position at the leader is below the HW,
 * and from then on its position is at least the HW (a follower put back
 * early would sit below a HW that cannot move back). */
static void follower_rejoins_only_at_hw(void **state)
{
    (void)state;
    g_autoptr(KsSimTest) t =
        ks_sim_test_new("cluster nodes=3\n" ONE_PARTITION "producer p topic=t rate=5000/s acks=1\n"
                        "at 2s crash broker 3\n"
                        "at 25s restart broker 3\n"
                        "run until 30s\n");
    ks_sim_test_run_until(t, 25 * S);
    const KsReplica *r3 = follower_at_leader(t, 3);
    assert_false(r3->in_isr);
    int out_behind = 0;
    /* Until the leader proposes it (AlterPartition, then the controller
     * commits). */
    while (!r3->in_isr && !r3->isr_change_pending && ks_sim_now(t->sim) < 30 * S) {
        if (r3->fetch_leo >= 0 && r3->last_fetch >= 25 * S) {
            assert_true(r3->fetch_leo < ks_sim_test_partition(t, "t", 0).high_watermark);
            out_behind++;
        }
        assert_true(ks_sim_test_next_instant(t));
    }
    /* While the proposal travels, the HW counts it (the maximal ISR), so
     * it never passes its position. */
    while (!r3->in_isr && ks_sim_now(t->sim) < 30 * S) {
        assert_true(r3->isr_change_pending);
        assert_true(r3->fetch_leo >= ks_sim_test_partition(t, "t", 0).high_watermark);
        assert_true(ks_sim_test_next_instant(t));
    }
    assert_true(r3->in_isr);
    assert_true(out_behind > 0);
    assert_true(r3->fetch_leo >= ks_sim_test_partition(t, "t", 0).high_watermark);
    const KsSimTestEvent *e = ks_sim_test_find(t, 25 * S, "\"type\":\"isr_expanded\"");
    assert_non_null(e);
    ks_assert_i64_eq(e->ev.isr_expanded.reason, KS_REASON_CAUGHT_UP);
    assert_true(e->ev.t > 25 * S);
    ks_assert_i64_eq(ks_sim_test_partition(t, "t", 0).leader, 1);
}

/* Partition.appendRecordsToLeader (Kafka 3.9 Partition.scala:1370-1376):
 * acks=all while the ISR is smaller than min.insync.replicas throws
 * NotEnoughReplicasException before anything is appended. With brokers 2
 * and 3 gone (ISR {1} from 20 s) the HW stays where it was
 * (maybeIncrementLeaderHW, :1166-1170), so the writes parked since 2 s are
 * never covered: they end REQUEST_TIMED_OUT when the request's 30 s run out
 * (DelayedProduce.scala:72), never NOT_ENOUGH_REPLICAS_AFTER_APPEND
 * (checkEnoughReplicasReachOffset needs the HW first, :1125-1134). Their
 * retries are refused NOT_ENOUGH_REPLICAS and the log end does not move. */
static void acks_all_below_min_insync_is_refused(void **state)
{
    (void)state;
    g_autoptr(KsSimTest) t = ks_sim_test_new("cluster nodes=3\n"
                                             "topic t partitions=1 replication-factor=3 "
                                             "replica-placement-start=0 min.insync.replicas=2\n"
                                             "producer p topic=t rate=100/s acks=all\n"
                                             "at 2s crash broker 2\n"
                                             "at 2s crash broker 3\n"
                                             "run until 40s\n");
    ks_sim_test_run_until(t, 21 * S);
    g_autofree char *isr = ks_sim_test_isr(t, "t", 0);
    ks_assert_str_eq(isr, "1");
    KsPartitionInfo at21 = ks_sim_test_partition(t, "t", 0);
    KsSimStats before, after;
    ks_sim_get_stats(t->sim, &before);
    ks_sim_test_run(t);
    KsPartitionInfo end = ks_sim_test_partition(t, "t", 0);
    ks_assert_i64_eq(end.log_end_offset, at21.log_end_offset);
    ks_assert_i64_eq(end.high_watermark, at21.high_watermark);
    assert_true(end.high_watermark < end.log_end_offset);
    const KsSimTestEvent *timed_out = ks_sim_test_find(t, 0, "\"error\":\"REQUEST_TIMED_OUT\"");
    assert_non_null(timed_out);
    assert_true(timed_out->ev.t >= 32 * S && timed_out->ev.t < 33 * S);
    assert_null(ks_sim_test_find(t, 0, "NOT_ENOUGH_REPLICAS_AFTER_APPEND"));
    assert_non_null(ks_sim_test_find(t, 32 * S, "\"error\":\"NOT_ENOUGH_REPLICAS\""));
    /* Records kept arriving, and none was acknowledged. */
    ks_sim_get_stats(t->sim, &after);
    assert_true(after.records_produced >= before.records_produced + 1800);
    ks_assert_i64_eq(after.records_acked, before.records_acked);
}

/* Partition.maybeIncrementLeaderHW (Kafka 3.9 Partition.scala:1166-1170,
 * KAFKA-15583): the HW does not move while the ISR is smaller than
 * min(min.insync.replicas, replication factor); acks=1 writes go on but
 * stay invisible. The value is the leader's: a topic without its own
 * setting takes the leader broker's (KafkaConfig.extractLogConfigMap,
 * KafkaConfig.scala:1118; Partition.effectiveMinIsr reads the leader's log
 * config, :381-383). Broker 1 leads t-0; only its broker line says
 * min.insync.replicas=@min. Brokers 2 and 3 die at 2 s and leave the ISR at
 * 20 s; broker 2 returns at 30 s. Returns the HW at 25 s and 29 s and the
 * log end at 29 s in @out; the HW at 33 s is returned. */
static int64_t hw_with_leader_min_insync(int min, int64_t out[3])
{
    g_autofree char *text = g_strdup_printf("node n1\nnode n2\nnode n3\n"
                                            "broker 1 node=n1 min.insync.replicas=%d\n"
                                            "broker 2 node=n2\nbroker 3 node=n3\n" ONE_PARTITION
                                            "producer p topic=t rate=500/s acks=1\n"
                                            "at 2s crash broker 2\n"
                                            "at 2s crash broker 3\n"
                                            "at 30s restart broker 2\n"
                                            "run until 33s\n",
                                            min);
    g_autoptr(KsSimTest) t = ks_sim_test_new(text);
    ks_sim_test_run_until(t, 25 * S);
    out[0] = ks_sim_test_partition(t, "t", 0).high_watermark;
    ks_sim_test_run_until(t, 29 * S);
    out[1] = ks_sim_test_partition(t, "t", 0).high_watermark;
    out[2] = ks_sim_test_partition(t, "t", 0).log_end_offset;
    ks_sim_test_run(t);
    g_autofree char *isr = ks_sim_test_isr(t, "t", 0);
    ks_assert_str_eq(isr, "1,2");
    return ks_sim_test_partition(t, "t", 0).high_watermark;
}

static void hw_held_while_isr_under_leaders_min_insync(void **state)
{
    (void)state;
    int64_t held[3], free_[3];
    int64_t held_end = hw_with_leader_min_insync(2, held);
    /* Frozen near its value at 2 s (about 1000), while the log grows. */
    ks_assert_i64_eq(held[0], held[1]);
    assert_true(held[1] < 1100);
    assert_true(held[2] > 14000);
    /* It moves again once broker 2 is back in the ISR. */
    assert_true(held_end > 15000);
    /* min.insync.replicas=1: the HW follows the leader alone. */
    hw_with_leader_min_insync(1, free_);
    assert_true(free_[0] > 12000 && free_[1] > free_[0]);
}

/* The cap of Partition.effectiveMinIsr (Partition.scala:381-383):
 * min.insync.replicas above the replication factor counts as the
 * replication factor, so an RF=2 topic with min.insync.replicas=3 takes
 * acks=all writes with both replicas in sync and its HW moves. */
static void min_insync_above_rf_is_capped(void **state)
{
    (void)state;
    g_autoptr(KsSimTest) t = ks_sim_test_new("cluster nodes=3\n"
                                             "topic t partitions=1 replication-factor=2 "
                                             "replica-placement-start=0 min.insync.replicas=3\n"
                                             "producer p topic=t rate=100/s acks=all\n"
                                             "run until 5s\n");
    ks_sim_test_run(t);
    KsSimStats stats;
    ks_sim_get_stats(t->sim, &stats);
    ks_assert_i64_eq(stats.records_refused, 0);
    assert_true(stats.records_acked > 400);
    assert_true(ks_sim_test_partition(t, "t", 0).high_watermark > 400);
}

/* KIP-101/KIP-279 (AbstractFetcherThread.truncateToEpochEndOffsets,
 * LeaderEpochFileCache.endOffsetFor): a returning replica asks the leader
 * where its own latest epoch ends and truncates there, exactly the suffix
 * the new leader never had. Old leader 2 (acks=1, records flowing) dies;
 * broker 1 leads from epoch 1 on; when 2 returns it cuts its log from its
 * log end to the offset epoch 1 starts at. */
static void returning_leader_truncates_divergent_suffix(void **state)
{
    (void)state;
    g_autoptr(KsSimTest) t =
        ks_sim_test_new("cluster nodes=3 zones=a,b,c\n"
                        "topic t partitions=1 replication-factor=2 replica-placement-start=1\n"
                        "producer p topic=t acks=1 node=n2 rate=20000/s\n"
                        "at 5s crash broker 2\n"
                        "at 30s restart broker 2\n"
                        "run until 31s\n");
    ks_sim_test_run_until(t, 29 * S);
    KsPartitionInfo p = ks_sim_test_partition(t, "t", 0);
    ks_assert_i64_eq(p.leader, 1);
    ks_assert_i64_eq(p.leader_epoch, 1);
    KsReplicaInfo old = ks_sim_test_replica(t, "t", 0, 2);
    int64_t old_end = old.log_end_offset, old_hw = old.high_watermark;
    int64_t epoch1_start = ks_sim_test_epoch_start(t, "t", 0, 1, 1);
    ks_assert_i64_eq(ks_sim_test_epoch_start(t, "t", 0, 1, 2), -1);
    assert_true(epoch1_start < old_end);

    ks_sim_test_run(t);
    const KsSimTestEvent *e = ks_sim_test_find(t, 30 * S, "\"type\":\"truncated\"");
    assert_non_null(e);
    ks_assert_i64_eq(e->ev.truncated.broker, 2);
    ks_assert_i64_eq(e->ev.truncated.from_offset, old_end);
    ks_assert_i64_eq(e->ev.truncated.to_offset, epoch1_start);
    /* Not the pre-KIP-101 rule (truncate to the HW). */
    assert_true(epoch1_start > old_hw);
    ks_assert_i64_eq(ks_sim_test_count(t, 30 * S, 31 * S, "\"type\":\"truncated\""), 1);
}

/* ReplicaManager.fetchMessages / DelayedFetch: a follower fetch with no
 * new data waits at the leader up to replica.fetch.wait.max.ms (500 ms by
 * default), so an idle cluster costs one request per follower session per
 * wait; it is answered as soon as a record is appended
 * (tryCompleteDelayedRequests), so acks=all needs no wait. */
/* The follower fetch requests @text's run sends after @from. */
static int64_t fetches_after(const char *text, KsTime from)
{
    g_autoptr(KsSimTest) t = ks_sim_test_new(text);
    KsSimStats a, b;
    ks_sim_test_run_until(t, from);
    ks_sim_get_stats(t->sim, &a);
    ks_sim_test_run(t);
    ks_sim_get_stats(t->sim, &b);
    return b.fetch_requests - a.fetch_requests;
}

static int64_t idle_fetches(const char *wait)
{
    g_autofree char *text =
        g_strdup_printf("cluster nodes=3\n"
                        "set replica.fetch.wait.max.ms=%s\n" ONE_PARTITION "run until 12s\n",
                        wait);
    return fetches_after(text, 2 * S);
}

static void idle_fetch_long_polls_up_to_wait_max(void **state)
{
    (void)state;
    /* Two followers, 10 s: 20 requests per 500 ms follower, 100 per 100 ms. */
    int64_t slow = idle_fetches("500ms"), fast = idle_fetches("100ms");
    assert_true(slow >= 38 && slow <= 42);
    assert_true(fast >= 190 && fast <= 202);

    g_autoptr(KsSimTest) t =
        ks_sim_test_new("cluster nodes=3\n" ONE_PARTITION "producer p topic=t acks=all\n"
                        "at 5100ms produce producer=p count=1\n"
                        "run until 6s\n");
    ks_sim_test_run_until(t, 5100 * MS + 20 * MS);
    ks_assert_i64_eq(ks_sim_test_partition(t, "t", 0).high_watermark, 1);
    KsSimStats stats;
    ks_sim_get_stats(t->sim, &stats);
    ks_assert_i64_eq(stats.records_acked, 1);
}

/* RemoteLeaderEndPoint (Kafka 3.9 RemoteLeaderEndPoint.scala:64): the Fetch
 * request carries the FOLLOWER's replica.fetch.wait.max.ms, and the leader
 * parks it that long. Only broker 2's line says 5s: over 10 idle seconds
 * its session sends about 2 requests to leader 1 and broker 3's about 20,
 * not 40 in all (the leader's 500 ms for both) nor 4 (5 s for both). */
static void follower_fetch_waits_its_own_wait_max(void **state)
{
    (void)state;
    int64_t n = fetches_after("node n1\nnode n2\nnode n3\n"
                              "broker 1 node=n1\n"
                              "broker 2 node=n2 replica.fetch.wait.max.ms=5s\n"
                              "broker 3 node=n3\n" ONE_PARTITION "run until 12s\n",
                              2 * S);
    assert_true(n >= 20 && n <= 24);
}

/* replica.fetch.min.bytes (RemoteLeaderEndPoint.scala:65, the Fetch's
 * MinBytes; DelayedFetch.tryComplete sums the bytes past the follower's
 * fetch offset, each partition's capped at replica.fetch.max.bytes, 1 MiB).
 * With a MinBytes no partition can reach and wait.max.ms=50ms, records
 * flow at 1000/s yet the leader answers only when the wait ends: the
 * leader's record of follower 2's fetch moves every 50 ms and a round
 * trip, and the HW climbs in steps of about 50 records. */
static void min_bytes_out_of_reach_answers_at_max_wait(void **state)
{
    (void)state;
    g_autoptr(KsSimTest) t = ks_sim_test_new(
        "cluster nodes=3\n"
        "set replica.fetch.wait.max.ms=50ms replica.fetch.min.bytes=2147483647\n" ONE_PARTITION
        "producer p topic=t rate=1000/s acks=1\n"
        "run until 3s\n");
    ks_sim_test_run_until(t, 1 * S);
    KsTime last = follower_at_leader(t, 2)->last_fetch, gap_min = G_MAXINT64, gap_max = 0;
    int64_t hw = ks_sim_test_partition(t, "t", 0).high_watermark;
    int fetches = 0, steps = 0, step_min = G_MAXINT;
    while (ks_sim_test_next_instant(t) && ks_sim_now(t->sim) <= 2 * S) {
        KsTime at = follower_at_leader(t, 2)->last_fetch;
        if (at != last) {
            gap_min = MIN(gap_min, at - last);
            gap_max = MAX(gap_max, at - last);
            last = at;
            fetches++;
        }
        int64_t now_hw = ks_sim_test_partition(t, "t", 0).high_watermark;
        if (now_hw != hw) {
            step_min = MIN(step_min, (int)(now_hw - hw));
            hw = now_hw;
            steps++;
        }
    }
    assert_true(gap_min >= 50 * MS && gap_max <= 55 * MS);
    assert_true(fetches >= 18 && fetches <= 20);
    assert_true(steps >= 18 && steps <= 21);
    assert_true(step_min >= 40);
}

/* The time follower 2's copy of t-0 first holds @records records, with
 * @set, when 2 records are written at 2 s and 3 more at 2.3 s (100 bytes
 * each: no producer says record-size) and the followers wait up to 10 s. */
static KsTime follower_holds_at(const char *set, int64_t records)
{
    g_autofree char *text = g_strdup_printf("cluster nodes=3\n"
                                            "set replica.fetch.wait.max.ms=10s %s\n" ONE_PARTITION
                                            "producer p topic=t acks=1\n"
                                            "at 2s produce producer=p count=2\n"
                                            "at 2300ms produce producer=p count=3\n"
                                            "run until 3s\n",
                                            set);
    g_autoptr(KsSimTest) t = ks_sim_test_new(text);
    ks_sim_test_run_until(t, 1 * S);
    while (ks_sim_test_next_instant(t))
        if (ks_sim_test_replica(t, "t", 0, 2).log_end_offset >= records)
            return ks_sim_now(t->sim);
    return -1;
}

/* MinBytes of a few batches: the parked fetch is answered as soon as the
 * leader holds that many bytes past the follower (DelayedFetch case G), not
 * at the first record and not at the 10 s wait; with the default, 1 byte,
 * at the first record. */
static void min_bytes_answers_when_enough_bytes_arrive(void **state)
{
    (void)state;
    KsTime first = follower_holds_at("", 2);
    assert_true(first > 2 * S && first < 2 * S + 20 * MS);
    /* 200 bytes at 2 s fall short of 500; 500 at 2.3 s reach it. */
    KsTime five = follower_holds_at("replica.fetch.min.bytes=500", 2);
    assert_true(five > 2300 * MS && five < 2300 * MS + 20 * MS);
    ks_assert_i64_eq(follower_holds_at("replica.fetch.min.bytes=500", 5), five);
    /* 501 bytes are never there: the answer waits the full 10 s. */
    ks_assert_i64_eq(follower_holds_at("replica.fetch.min.bytes=501", 2), -1);
}

/* A machine is not a process. Leader 1's followers fetch from it when it
 * dies at 2 s. A killed process has its connections reset by the kernel:
 * each follower backs off replica.fetch.backoff.ms (1 s) and tries again,
 * about 10 times each before 12 s (AbstractFetcherThread.scala:319-323).
 * A machine that lost power says nothing: the fetch in flight waits for
 * the follower's request.timeout.ms (30 s, BrokerBlockingSender.scala:93),
 * so nothing more is sent; with 4 s, each follower times out at 6 s, backs
 * off 1 s, and its new connection waits socket.connection.setup.timeout.ms
 * (10 s, below replica.socket.timeout.ms; BrokerBlockingSender.scala:109):
 * one more request each. */
static int64_t fetches_after_leader_dies(const char *crash, const char *set)
{
    g_autofree char *text = g_strdup_printf("cluster nodes=3\n%s" ONE_PARTITION "at 2s crash %s\n"
                                            "run until 12s\n",
                                            set, crash);
    return fetches_after(text, 2 * S + 10 * MS);
}

static void follower_fetch_to_dead_machine_times_out(void **state)
{
    (void)state;
    int64_t killed = fetches_after_leader_dies("broker 1", "");
    assert_true(killed >= 18 && killed <= 20);
    ks_assert_i64_eq(fetches_after_leader_dies("node n1", ""), 0);
    ks_assert_i64_eq(fetches_after_leader_dies("node n1", "set request.timeout.ms=4s\n"), 2);
}

/* Broker 3's log end of t-0 just after @how (crash broker 3, crash node
 * n3 or stop broker 3) at 20 s, with @extra settings; the leader, broker 1,
 * had 2000 records by then. */
static int64_t log_end_after(const char *how, const char *extra)
{
    g_autofree char *text =
        g_strdup_printf("seed 3\ncluster nodes=3\n%s"
                        "topic t partitions=1 replication-factor=3 replica-placement-start=0\n"
                        "producer p topic=t rate=100/s acks=all\n"
                        "at 20s %s\nrun until 21s\n",
                        extra, how);
    g_autoptr(KsSimTest) t = ks_sim_test_new(text);
    ks_sim_test_run_until(t, 20 * KS_TIME_S + 1);
    return ks_sim_test_replica(t, "t", 0, 3).log_end_offset;
}

/* A process crash keeps the page cache, so every record broker 3 had is
 * in its log; a power loss keeps what was on disk: nothing with Kafka's
 * defaults before Linux's first writeback (30 s after the log turned
 * dirty), everything with flush.messages=1, what the last writeback wrote
 * when it came earlier. A clean stop flushes. */
static void power_loss_keeps_only_what_is_on_disk(void **state)
{
    (void)state;
    int64_t all = log_end_after("crash broker 3", "");
    assert_true(all >= 1990 && all <= 2000);
    ks_assert_i64_eq(log_end_after("crash node n3", ""), 0);
    ks_assert_i64_eq(log_end_after("crash node n3", "set flush.messages=1\n"), all);
    ks_assert_i64_eq(log_end_after("crash node n3", "set log.flush.interval.messages=1\n"), all);
    /* Written back at 15 s (dirty since the first record, expired after
     * 10 s, on the 5 s grid): about 15 s of the 20 s survive. */
    int64_t wb = log_end_after("crash node n3", "set os.dirty.expire.ms=10s\n");
    assert_true(wb >= 1490 && wb <= 1500);
    /* The log flusher: every second from 30 s after the start, too late. */
    ks_assert_i64_eq(log_end_after("crash node n3", "set log.flush.scheduler.interval.ms=1000 "
                                                    "log.flush.interval.ms=1000\n"),
                     0);
    ks_assert_i64_eq(log_end_after("crash node n3", "set os.dirty.writeback.ms=0 "
                                                    "os.dirty.expire.ms=1s\n"),
                     0);
}

/* A zombie leader (net-faults.c): broker 3 leads t-0, and at 5 s its
 * machine, with the producer, is cut from the other brokers and from the
 * one ZooKeeper server. Its acks=all writes park: its followers are gone,
 * its HW stays. At 23.161 s its session expires and broker 1 takes over,
 * but broker 3 is not told: what it parked waits on, and is answered
 * REQUEST_TIMED_OUT when request.timeout.ms (30 s) has passed since the
 * send, not NOT_LEADER_OR_FOLLOWER at the election. The producer, which
 * reaches only broker 3, sends again and parks there again; at the heal
 * (40 s) broker 3 hears of its successor and fails what it parked with
 * NOT_LEADER_OR_FOLLOWER (Kafka completes a DelayedProduce whose replica
 * is no longer leader with that error), then truncates and follows. */
static void zombie_leader_parks_acks_all_until_timeout_or_told(void **state)
{
    g_autoptr(KsSimTest) t =
        ks_sim_test_new("seed 1\n"
                        "cluster nodes=3\n"
                        "zookeeper servers=1 node=n1\n"
                        "topic t partitions=1 replication-factor=3 min.insync.replicas=2 "
                        "replica-placement-start=2\n"
                        "producer p topic=t rate=100/s acks=all node=n3\n"
                        "at 5s partition-network n3 | n1,n2\n"
                        "at 40s heal-network\n"
                        "run until 50s\n");
    ks_sim_test_run_until(t, 30 * S);
    assert_int_equal(ks_sim_test_partition(t, "t", 0).leader, 1);
    ks_assert_i64_eq(ks_sim_test_count(t, 0, 30 * S, "\"type\":\"produce_failing\""), 0);
    ks_sim_test_run(t);
    const KsSimTestEvent *timed_out = ks_sim_test_find(t, 0, "REQUEST_TIMED_OUT");
    assert_non_null(timed_out);
    ks_assert_i64_eq(timed_out->ev.t, 35 * S + 100);
    const KsSimTestEvent *told = ks_sim_test_find(t, timed_out->ev.t + 1, "NOT_LEADER_OR_FOLLOWER");
    assert_non_null(told);
    assert_true(told->ev.t > 40 * S && told->ev.t < 40 * S + 10 * MS);
    assert_int_equal(ks_sim_test_partition(t, "t", 0).leader, 1);
}

/* Followers whose fetch answers were lost in a cut (at 5.0017 s, while
 * broker 1's answers carrying the record of 5 s travel) wait for their
 * requests to time out (30 s after they were sent, at 4.5105 s). The
 * leader removes them as lagging after replica.lag.time.max.ms (10 s)
 * and, with the HW held by min.insync.replicas=2, must not take them back
 * before a fetch tells it where they are: they rejoin only after they
 * reconnect (a new connection's fetch names every partition), a second
 * later, and the record is committed. */
static void follower_waiting_on_lost_fetch_rejoins_after_reconnect(void **state)
{
    g_autoptr(KsSimTest) t =
        ks_sim_test_new("cluster nodes=3\n"
                        "set replica.lag.time.max.ms=10000\n"
                        "topic t partitions=1 replication-factor=3 replica-placement-start=0 "
                        "min.insync.replicas=2\n"
                        "at 5s produce topic=t count=1\n"
                        "at 5.0017s partition-network n1 | n2,n3\n"
                        "at 6s heal-network\n"
                        "run until 60s\n");
    ks_sim_test_run(t);
    const char *expanded = "\"type\":\"isr_expanded\"";
    ks_assert_i64_eq(ks_sim_test_count(t, 0, 34 * S, expanded), 0);
    const KsSimTestEvent *back = ks_sim_test_find(t, 0, expanded);
    assert_non_null(back);
    assert_true(back->ev.t > 34510500 && back->ev.t < 36 * S);
    g_autofree char *isr = ks_sim_test_isr(t, "t", 0);
    assert_string_equal(isr, "1,2,3");
    ks_assert_i64_eq(ks_sim_test_partition(t, "t", 0).high_watermark, 1);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(lagging_follower_leaves_isr_after_lag_time),
        cmocka_unit_test(silent_follower_without_writes_stays_in_isr),
        cmocka_unit_test(hw_is_min_isr_leo_and_never_goes_back),
        cmocka_unit_test(follower_rejoins_only_at_hw),
        cmocka_unit_test(acks_all_below_min_insync_is_refused),
        cmocka_unit_test(hw_held_while_isr_under_leaders_min_insync),
        cmocka_unit_test(min_insync_above_rf_is_capped),
        cmocka_unit_test(follower_fetch_waits_its_own_wait_max),
        cmocka_unit_test(min_bytes_out_of_reach_answers_at_max_wait),
        cmocka_unit_test(min_bytes_answers_when_enough_bytes_arrive),
        cmocka_unit_test(returning_leader_truncates_divergent_suffix),
        cmocka_unit_test(idle_fetch_long_polls_up_to_wait_max),
        cmocka_unit_test(follower_fetch_to_dead_machine_times_out),
        cmocka_unit_test(power_loss_keeps_only_what_is_on_disk),
        cmocka_unit_test(zombie_leader_parks_acks_all_until_timeout_or_told),
        cmocka_unit_test(follower_waiting_on_lost_fetch_rejoins_after_reconnect),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
