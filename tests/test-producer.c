/* SPDX-License-Identifier: MIT */
/*
 * test-producer.c - the Kafka producer's rules (sim/producer.c):
 * partitioning, batching, requests in flight, retries and their limits,
 * idempotence.
 *
 * Each test runs a small inline scenario (three brokers, topics with
 * replicas [1,2,3]) and counts what a user sees: records per partition,
 * produce requests, records given up and when, records in the log:
 *  - a key goes to murmur2(key) mod partitions, every time, and the
 *    round-robin partitioner spreads records evenly;
 *  - a batch is sent when full (batch.size) or when linger.ms has passed,
 *    so the request count follows both;
 *  - no more than max.in.flight.requests.per.connection requests are
 *    unanswered on a connection;
 *  - a failing batch is retried until delivery.timeout.ms, or until
 *    `retries` runs out, then its records are refused;
 *  - an idempotent producer's retry of records already in the log is not
 *    appended again; without idempotence it is.
 * The Kafka sources cited are those of 3.9 (clients).
 */
#include "ks-sim-test.h"

#include "sim/producer-private.h"
#include "sim/model.h"

#include <string.h>

#define S  KS_TIME_S
#define MS KS_TIME_MS

#define CLUSTER "cluster nodes=3\n"
#define TOPIC_T "topic t partitions=1 replication-factor=3 replica-placement-start=0\n"

static int64_t leo(const KsSimTest *t, const char *topic, int32_t index)
{
    return ks_sim_test_partition(t, topic, index).log_end_offset;
}

/* BuiltInPartitioner.partitionForKey: Utils.toPositive(Utils.murmur2(key))
 * % numPartitions, for every record with a key and no partition. The
 * partitions follow tests/refs' vectors (alice and bob -> 0, dave -> 1,
 * carol and erin -> 2); sent three times, alice's records all land on 0. */
static void key_goes_to_its_murmur2_partition_every_time(void **state)
{
    (void)state;
    g_autoptr(KsSimTest) t = ks_sim_test_new(CLUSTER "topic o partitions=3 replication-factor=3 "
                                                     "replica-placement-start=0\n"
                                                     "at 1s produce topic=o key=alice count=10\n"
                                                     "at 1s produce topic=o key=dave count=5\n"
                                                     "at 1s produce topic=o key=carol count=7\n"
                                                     "at 2s produce topic=o key=alice count=10\n"
                                                     "at 3s produce topic=o key=alice count=10\n"
                                                     "at 3s produce topic=o key=erin count=2\n"
                                                     "run until 4s\n");
    ks_sim_test_run(t);
    ks_assert_i64_eq(leo(t, "o", 0), 30);
    ks_assert_i64_eq(leo(t, "o", 1), 5);
    ks_assert_i64_eq(leo(t, "o", 2), 9);
}

/* RoundRobinPartitioner.partition: a counter per topic, modulo the
 * available partitions: 30 records on 3 partitions are 10 each (a
 * key-less default producer would fill one sticky batch instead). */
static void round_robin_spreads_evenly(void **state)
{
    (void)state;
    g_autoptr(KsSimTest) t = ks_sim_test_new(CLUSTER "topic s partitions=3 replication-factor=3 "
                                                     "replica-placement-start=0\n"
                                                     "producer d topic=s partitioner=round-robin "
                                                     "rate=30/s count=30\n"
                                                     "run until 2s\n");
    ks_sim_test_run(t);
    for (int32_t i = 0; i < 3; i++)
        ks_assert_i64_eq(leo(t, "s", i), 10);
}

/* RecordAccumulator.ready: a batch is sendable when full (batch.size) or
 * once it has waited linger.ms. 1000 records/s of 100 bytes for 10 s:
 * linger.ms=0 sends each record as it comes (10,000 requests); 100 ms
 * batches 100 records (about 100 requests); with linger.ms=1s the 16 KiB
 * batch fills first (163 records, about 61 requests); batch.size=1000
 * holds 10 records (1000 requests). */
static int64_t requests_with(const char *configs)
{
    g_autofree char *text = g_strdup_printf(CLUSTER TOPIC_T "producer p topic=t rate=1000/s %s\n"
                                                            "run until 10s\n",
                                            configs);
    g_autoptr(KsSimTest) t = ks_sim_test_new(text);
    ks_sim_test_run(t);
    KsSimStats stats;
    ks_sim_get_stats(t->sim, &stats);
    return stats.produce_requests;
}

static void batches_follow_linger_and_batch_size(void **state)
{
    (void)state;
    int64_t each = requests_with("linger.ms=0");
    assert_true(each >= 9990 && each <= 10000);
    int64_t linger = requests_with("linger.ms=100ms");
    assert_true(linger >= 98 && linger <= 101);
    int64_t full = requests_with("linger.ms=1s");
    assert_true(full >= 60 && full <= 62);
    ks_assert_i64_eq(requests_with("linger.ms=1s batch.size=1000"), 1000);
}

/* NetworkClient/Sender: a connection takes a new request only while fewer
 * than max.in.flight.requests.per.connection are unanswered
 * (InFlightRequests.canSendMore). Records at 10,000/s with acks=all
 * (answers wait a replication round trip) fill the window; sampled at
 * every instant, the leader's connection never holds more. */
/* Requests producer p has sent broker 1 and not had answered. No query
 * shows a client's connections, so this is the one read of the model's own
 * state (sim/model.h) here. */
static int in_flight_to_leader(const KsSimTest *t)
{
    KsProducer *p = ks_sim_find_producer(t->sim, "p");
    KsBroker *leader = ks_sim_find_broker(t->sim, 1);
    if (leader->slot >= (int)p->conns->len)
        return 0;
    const KsConnection *c = g_ptr_array_index(p->conns, (guint)leader->slot);
    return c ? c->in_flight : 0;
}

static int max_in_flight_seen(int64_t limit)
{
    g_autofree char *text =
        g_strdup_printf(CLUSTER TOPIC_T "producer p topic=t rate=10000/s acks=all "
                                        "max.in.flight.requests.per.connection=%" PRId64 "\n"
                                        "run until 1s\n",
                        limit);
    g_autoptr(KsSimTest) t = ks_sim_test_new(text);
    int seen = 0;
    ks_sim_test_run_until(t, 0);
    do
        seen = MAX(seen, in_flight_to_leader(t));
    while (ks_sim_test_next_instant(t));
    return seen;
}

static void in_flight_requests_are_bounded(void **state)
{
    (void)state;
    ks_assert_i64_eq(max_in_flight_seen(1), 1);
    ks_assert_i64_eq(max_in_flight_seen(2), 2);
    ks_assert_i64_eq(max_in_flight_seen(5), 5);
}

/* Sender.completeBatch / canRetry and RecordAccumulator.expiredBatches: a
 * retriable error is retried while attempts < retries and the batch is
 * younger than delivery.timeout.ms; then its records fail. Brokers 2 and 3
 * die at 1 s (min.insync.replicas=2, acks=all): writes wait; the ISR is
 * {1} from 19 s, so the HW stays (Kafka 3.9 Partition.scala:1166-1170) and
 * the parked requests time out at 31 s (REQUEST_TIMED_OUT); their retries
 * are refused NOT_ENOUGH_REPLICAS. `patient` (retries unlimited,
 * delivery.timeout.ms=30s) gives its first records up 30 s after they
 * came, not before, while their request is still parked
 * (Sender.getExpiredInflightBatches: the reason is delivery.timeout.ms);
 * `brief` (retries=2) gives up at the third failure, long before its
 * delivery timeout. */
static void retries_then_delivery_timeout_give_up(void **state)
{
    (void)state;
    g_autoptr(KsSimTest) t = ks_sim_test_new(
        CLUSTER "topic t partitions=1 replication-factor=3 "
                "replica-placement-start=0 min.insync.replicas=2\n"
                "producer patient topic=t rate=10/s acks=all delivery.timeout.ms=30s\n"
                "producer brief topic=t rate=10/s acks=all retries=2 "
                "delivery.timeout.ms=120s\n"
                "at 1s crash broker 2\n"
                "at 1s crash broker 3\n"
                "run until 40s\n");
    ks_sim_test_run(t);
    const KsSimTestEvent *patient =
        ks_sim_test_find(t, 0, "\"type\":\"records_expired\",\"producer\":\"patient\"");
    assert_non_null(patient);
    assert_non_null(strstr(patient->json, "\"reason\":\"delivery.timeout.ms\""));
    assert_true(patient->ev.t > 30 * S && patient->ev.t < 32 * S);

    const KsSimTestEvent *brief =
        ks_sim_test_find(t, 0, "\"type\":\"records_expired\",\"producer\":\"brief\"");
    assert_non_null(brief);
    assert_non_null(strstr(brief->json, "\"reason\":\"NOT_ENOUGH_REPLICAS"));
    assert_true(brief->ev.t >= 31 * S && brief->ev.t < 32 * S);

    KsSimStats stats;
    ks_sim_get_stats(t->sim, &stats);
    assert_true(stats.records_refused > 0);
    ks_assert_i64_eq(stats.records_lost, 0);
}

/* KIP-98 (ProducerStateManager, ProducerAppendInfo.checkSequence): the
 * broker keeps the sequence numbers of each idempotent producer's latest
 * batches and answers a retry of one of them without appending it again.
 * The HW is held back (broker 3 is dead but still in the ISR), so 10
 * acks=all records time out after request.timeout.ms=2s and are sent
 * again after KIP-580's growing backoff (80-120, 160-240, 320-480,
 * 640-960 ms: attempts at about 2, 4.1, 6.3 and 8.7 s, the fifth after
 * 11 s): idempotent, the log holds 10 records; without idempotence, a copy
 * per attempt. */
static int64_t log_after_retries(const char *idempotence)
{
    g_autofree char *text = g_strdup_printf(
        CLUSTER "set zookeeper.session.timeout.ms=60s replica.lag.time.max.ms=60s\n" TOPIC_T
                "producer p topic=t acks=all request.timeout.ms=2s delivery.timeout.ms=60s "
                "enable.idempotence=%s\n"
                "at 1s crash broker 3\n"
                "at 2s produce producer=p count=10\n"
                "run until 11s\n",
        idempotence);
    g_autoptr(KsSimTest) t = ks_sim_test_new(text);
    ks_sim_test_run(t);
    g_autofree char *isr = ks_sim_test_isr(t, "t", 0);
    ks_assert_str_eq(isr, "1,2,3");
    return leo(t, "t", 0);
}

static void idempotent_retry_appends_no_duplicate(void **state)
{
    (void)state;
    ks_assert_i64_eq(log_after_retries("true"), 10);
    ks_assert_i64_eq(log_after_retries("false"), 40);
}

/* KIP-580, ExponentialBackoff.backoff (Kafka 3.9.0,
 * clients/src/main/java/org/apache/kafka/common/utils/ExponentialBackoff.java):
 * initial * 2^attempts times [0.8, 1.2), capped at max after the jitter;
 * with initial >= max it is max, without jitter. With Kafka's defaults
 * (retry.backoff.ms 100, retry.backoff.max.ms 1000) the n-th retry waits
 * 80-120, 160-240, 320-480, 640-960, then 800-1000 ms; the draws differ
 * from one attempt to the next and repeat with the seed. */
static void backoff_doubles_with_jitter_up_to_its_max(void **state)
{
    (void)state;
    static const KsTime lo[] = {80, 160, 320, 640, 800, 800, 800};
    static const KsTime hi[] = {120, 240, 480, 960, 1000, 1000, 1000};
    KsRng a, b;
    ks_rng_init_stream(&a, 7, 1);
    ks_rng_init_stream(&b, 7, 1);
    bool varied = false;
    KsTime first = -1;
    for (int round = 0; round < 50; round++) {
        for (int64_t n = 0; n < 7; n++) {
            KsTime v = ks_producer_backoff(&a, 100 * MS, 1000 * MS, n);
            assert_true(v >= lo[n] * MS && v <= hi[n] * MS && v % MS == 0);
            ks_assert_i64_eq(ks_producer_backoff(&b, 100 * MS, 1000 * MS, n), v);
            if (n == 0) {
                varied |= first >= 0 && v != first;
                first = v;
            }
        }
    }
    assert_true(varied);
    /* retry.backoff.ms=5s with the default max: a static 1 s. */
    for (int i = 0; i < 10; i++)
        ks_assert_i64_eq(ks_producer_backoff(&a, 5000 * MS, 1000 * MS, i), 1000 * MS);
    /* reconnect.backoff.ms given alone: max = initial, no doubling. */
    ks_assert_i64_eq(ks_producer_backoff(&a, 50 * MS, 50 * MS, 3), 50 * MS);
}

/* ClusterConnectionStates.disconnected (:181-196) and connectionDelay
 * (:105-118): after each refused connection (broker 2's process is dead,
 * its machine up) the next attempt waits reconnect.backoff.ms * 2^failures
 * (±20 %) from the start of the last one, up to reconnect.backoff.max.ms:
 * 40-60, 80-120, 160-240, 320-480, 640-960, then 800-1000 ms. */
static void reconnects_back_off_exponentially(void **state)
{
    (void)state;
    static const KsTime lo[] = {40, 80, 160, 320, 640, 800, 800};
    static const KsTime hi[] = {60, 120, 240, 480, 960, 1000, 1000};
    g_autoptr(KsSimTest) t = ks_sim_test_new(CLUSTER "topic t partitions=1 replication-factor=3 "
                                                     "replica-placement-start=1\n"
                                                     "producer p topic=t rate=100/s acks=all\n"
                                                     "at 1s crash broker 2\n"
                                                     "run until 8s\n");
    ks_sim_test_run_until(t, 1 * S - 1);
    KsProducer *p = g_ptr_array_index(t->sim->producers, 0);
    int seen = 0;
    bool jittered = false;
    while (seen < 7 && ks_sim_test_next_instant(t)) {
        KsConnection *c = p->conns->len > 1 ? g_ptr_array_index(p->conns, 1) : NULL;
        if (!c || c->failures != seen + 1)
            continue;
        KsTime wait = c->reconnect_at - c->attempt_at;
        assert_true(wait >= lo[seen] * MS && wait <= hi[seen] * MS);
        jittered |= wait != MIN(1000, 50 << seen) * MS;
        seen++;
    }
    ks_assert_i64_eq(seen, 7);
    assert_true(jittered);
}

/* A machine is not a process (NetworkClient.java:866-874,
 * InFlightRequests.java:155-180, Sender.java:587-592): after `crash node`
 * the producer hears nothing until its oldest request outlives
 * request.timeout.ms (then, 1 ms later in Kafka's whole milliseconds, every
 * request in flight fails REQUEST_TIMED_OUT together); after `crash broker`
 * (the kernel resets the connection) it is refused at once. A new
 * connection to the dead machine then waits
 * socket.connection.setup.timeout.ms, 8-12 s for the first attempt
 * (ClusterConnectionStates.java:60-64; NetworkClient.java:889-900). */
static void dead_machine_is_noticed_by_request_timeout(void **state)
{
    (void)state;
    const char *base = CLUSTER "set zookeeper.session.timeout.ms=60s\n"
                               "topic t partitions=1 replication-factor=3 "
                               "replica-placement-start=1\n"
                               "producer p topic=t rate=100/s acks=all request.timeout.ms=5s\n";
    g_autofree char *machine = g_strconcat(base, "at 2s crash node n2\nrun until 30s\n", NULL);
    g_autoptr(KsSimTest) t = ks_sim_test_new(machine);
    ks_sim_test_run(t);
    const KsSimTestEvent *timeout = ks_sim_test_find(t, 0, "due to request timeout");
    assert_non_null(timeout);
    assert_true(timeout->ev.t > 7 * S && timeout->ev.t <= 7 * S + 2 * MS);
    ks_assert_i64_eq(ks_sim_test_count(t, 0, timeout->ev.t, "could not be established"), 0);
    ks_assert_i64_eq(
        ks_sim_test_count(t, timeout->ev.t, timeout->ev.t + 1, "\"error\":\"REQUEST_TIMED_OUT\""),
        1);
    const KsSimTestEvent *connect = ks_sim_test_find(t, 0, "could not be established");
    assert_non_null(connect);
    assert_true(connect->ev.t >= timeout->ev.t + 8 * S && connect->ev.t <= timeout->ev.t + 12 * S);

    g_autofree char *process = g_strconcat(base, "at 2s crash broker 2\nrun until 30s\n", NULL);
    g_autoptr(KsSimTest) u = ks_sim_test_new(process);
    ks_sim_test_run(u);
    connect = ks_sim_test_find(u, 0, "could not be established");
    assert_non_null(connect);
    assert_true(connect->ev.t >= 2 * S && connect->ev.t < 2 * S + 20 * MS);
    assert_null(ks_sim_test_find(u, 0, "due to request timeout"));
}

/* Sender.getExpiredInflightBatches (:186-218): a batch whose retry waits in
 * the leader's purgatory (broker 3 dead but in the ISR) is given up when it
 * reaches delivery.timeout.ms, 15 s after it was created, not when the
 * retry is answered; the answer that comes later does not acknowledge it.
 * It was created when send() stopped blocking for the topic's metadata
 * (KafkaProducer.waitOnMetadata), one Metadata round trip after 2 s. */
static void in_flight_batch_expires_at_delivery_timeout(void **state)
{
    (void)state;
    g_autoptr(KsSimTest) t =
        ks_sim_test_new(CLUSTER "topic t partitions=1 replication-factor=3 "
                                "replica-placement-start=0 min.insync.replicas=2\n"
                                "producer p topic=t acks=all request.timeout.ms=10s "
                                "delivery.timeout.ms=15s\n"
                                "at 1s crash broker 3\n"
                                "at 2s produce producer=p count=10\n"
                                "run until 30s\n");
    ks_sim_test_run(t);
    const KsSimTestEvent *e = ks_sim_test_find(t, 0, "\"type\":\"records_expired\"");
    assert_non_null(e);
    assert_true(e->ev.t > 17 * S && e->ev.t <= 17 * S + 5 * MS);
    assert_non_null(strstr(e->json, "\"reason\":\"delivery.timeout.ms\""));
    KsSimStats stats;
    ks_sim_get_stats(t->sim, &stats);
    ks_assert_i64_eq(stats.records_acked, 0);
    ks_assert_i64_eq(stats.records_refused, 10);
}

/* The timeline's "succeed again" is true: no failure of the same partition
 * follows it within a millisecond, and a success to a request sent before
 * the failures began (broker 2 killed at 5 s) announces nothing. */
static void succeed_again_is_not_followed_by_a_failure(void **state)
{
    (void)state;
    g_autoptr(KsSimTest) t =
        ks_sim_test_new("cluster nodes=3\n"
                        "topic events partitions=1 replication-factor=2 replica-placement-start=1\n"
                        "producer fast topic=events rate=20000/s acks=1 node=n2\n"
                        "at 5s crash broker 2\n"
                        "run until 25s\n");
    ks_sim_test_run(t);
    ks_assert_i64_eq(ks_sim_test_count(t, 5 * S, 23 * S, "\"type\":\"produce_recovered\""), 0);
    /* Before 5 s the producer may recover once from the NOT_LEADER_OR_FOLLOWER
     * it meets while the topic's LeaderAndIsr is still travelling. */
    ks_assert_i64_eq(ks_sim_test_count(t, 5 * S, 25 * S, "\"type\":\"produce_recovered\""), 1);
    const KsSimTestEvent *r = ks_sim_test_find(t, 5 * S, "\"type\":\"produce_recovered\"");
    ks_assert_i64_eq(ks_sim_test_count(t, r->ev.t, r->ev.t + MS, "\"type\":\"produce_failing\""),
                     0);
}

/* KIP-951 (Sender.java:715-719, ProducerBatch.java:113-136,
 * RecordAccumulator.java:813-815): after NOT_LEADER_OR_FOLLOWER the retry
 * goes to the new leader at once, not after retry.backoff.ms (900 ms here,
 * 720-1000 ms with jitter): broker 1 takes its leadership back after its
 * restart (the controller's imbalance check) and
 * the writes succeed again within milliseconds. */
static void retry_to_a_new_leader_skips_the_backoff(void **state)
{
    (void)state;
    g_autoptr(KsSimTest) t =
        ks_sim_test_new(CLUSTER "set leader.imbalance.check.interval.seconds=5\n" TOPIC_T
                                "producer p topic=t rate=1000/s acks=all retry.backoff.ms=900ms "
                                "enable.idempotence=false\n"
                                "at 2s crash broker 1\n"
                                "at 25s restart broker 1\n"
                                "run until 32s\n");
    ks_sim_test_run(t);
    const KsSimTestEvent *f = ks_sim_test_find(t, 25 * S, "\"error\":\"NOT_LEADER_OR_FOLLOWER\"");
    assert_non_null(f);
    const KsSimTestEvent *r = ks_sim_test_find(t, f->ev.t, "\"type\":\"produce_recovered\"");
    assert_non_null(r);
    assert_true(r->ev.t - f->ev.t < 10 * MS);
}

/* KafkaProducer.waitOnMetadata: with no broker to answer, send() blocks
 * max.block.ms and fails with TimeoutException; the next send() blocks
 * from then on. The records count as refused. */
static void send_blocked_on_metadata_times_out(void **state)
{
    (void)state;
    g_autoptr(KsSimTest) t = ks_sim_test_new(CLUSTER TOPIC_T "set max.block.ms=5s\n"
                                                             "at 1s crash broker 1\n"
                                                             "at 1s crash broker 2\n"
                                                             "at 1s crash broker 3\n"
                                                             "at 2s produce topic=t count=10\n"
                                                             "at 3s produce topic=t count=5\n"
                                                             "run until 20s\n");
    ks_sim_test_run(t);
    const KsSimTestEvent *first =
        ks_sim_test_find(t, 0, "\"type\":\"records_expired\",\"producer\":\"console\"");
    assert_non_null(first);
    ks_assert_i64_eq(first->ev.t, 7 * S);
    ks_assert_i64_eq(first->ev.records_expired.records, 10);
    assert_non_null(strstr(first->json, "\"reason\":\"max.block.ms\",\"max_block_ms\":5000"));
    const KsSimTestEvent *second = ks_sim_test_find(t, first->ev.t + 1, "\"records_expired\"");
    assert_non_null(second);
    ks_assert_i64_eq(second->ev.t, 12 * S);
    ks_assert_i64_eq(second->ev.records_expired.records, 5);
    KsSimStats stats;
    ks_sim_get_stats(t->sim, &stats);
    ks_assert_i64_eq(stats.records_produced, 15);
    ks_assert_i64_eq(stats.records_refused, 15);
}

/* A rate-driven producer's application thread is blocked too: one record
 * fails per max.block.ms, the first blocking since it arrived. */
static void rate_producer_fails_one_send_per_max_block(void **state)
{
    (void)state;
    g_autoptr(KsSimTest) t =
        ks_sim_test_new(CLUSTER TOPIC_T "producer p topic=t rate=10/s max.block.ms=2s\n"
                                        "at 0s crash broker 1\n"
                                        "at 0s crash broker 2\n"
                                        "at 0s crash broker 3\n"
                                        "run until 9s\n");
    ks_sim_test_run(t);
    ks_assert_i64_eq(ks_sim_test_count(t, 0, KS_TIME_NEVER, "\"reason\":\"max.block.ms\""), 4);
    KsSimStats stats;
    ks_sim_get_stats(t->sim, &stats);
    ks_assert_i64_eq(stats.records_produced, 4);
    ks_assert_i64_eq(stats.records_refused, 4);
}

/* A process that dies while send() waits for metadata gives that send up
 * (ks_producer_abandon, as a Flume agent's crash calls it). */
static void abandon_gives_up_blocked_sends(void **state)
{
    (void)state;
    g_autoptr(KsSimTest) t = ks_sim_test_new(CLUSTER TOPIC_T "at 1s crash broker 1\n"
                                                             "at 1s crash broker 2\n"
                                                             "at 1s crash broker 3\n"
                                                             "at 2s produce topic=t count=10\n"
                                                             "run until 20s\n");
    ks_sim_test_run_until(t, 3 * S);
    KsProducer *p = t->sim->consoles[0];
    assert_non_null(p);
    ks_assert_i64_eq(p->pending->len, 1);
    ks_producer_abandon(t->sim, p);
    ks_assert_i64_eq(p->pending->len, 0);
    ks_sim_test_run(t);
    KsSimStats stats;
    ks_sim_get_stats(t->sim, &stats);
    ks_assert_i64_eq(stats.records_produced, 10);
    ks_assert_i64_eq(stats.records_refused, 10);
    ks_assert_i64_eq(ks_sim_test_count(t, 0, KS_TIME_NEVER, "\"reason\":\"max.block.ms\""), 0);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(key_goes_to_its_murmur2_partition_every_time),
        cmocka_unit_test(round_robin_spreads_evenly),
        cmocka_unit_test(batches_follow_linger_and_batch_size),
        cmocka_unit_test(in_flight_requests_are_bounded),
        cmocka_unit_test(retries_then_delivery_timeout_give_up),
        cmocka_unit_test(idempotent_retry_appends_no_duplicate),
        cmocka_unit_test(backoff_doubles_with_jitter_up_to_its_max),
        cmocka_unit_test(reconnects_back_off_exponentially),
        cmocka_unit_test(dead_machine_is_noticed_by_request_timeout),
        cmocka_unit_test(in_flight_batch_expires_at_delivery_timeout),
        cmocka_unit_test(succeed_again_is_not_followed_by_a_failure),
        cmocka_unit_test(retry_to_a_new_leader_skips_the_backoff),
        cmocka_unit_test(send_blocked_on_metadata_times_out),
        cmocka_unit_test(rate_producer_fails_one_send_per_max_block),
        cmocka_unit_test(abandon_gives_up_blocked_sends),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
