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
 * came, not before; `brief` (retries=2) gives up at the third failure,
 * long before its delivery timeout. */
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
    assert_non_null(strstr(patient->json, "\"reason\":\"REQUEST_TIMED_OUT\""));
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
 * again, every 2 s: idempotent, the log holds 10 records; without
 * idempotence, a copy per attempt. */
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
    ks_assert_i64_eq(log_after_retries("false"), 50);
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
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
