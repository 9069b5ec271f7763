/* SPDX-License-Identifier: MIT */
/*
 * test-flume.c - Flume agents (sim/flume.c), as Flume 1.11.0 runs them.
 *
 * Each test runs a small inline scenario and reads the agent through
 * kafkasim/query-faults.h, as the summary and the conditions do:
 *  - the defaults are Flume's: a memory channel of 100 events with
 *    transactionCapacity 100, a file channel of 1,000,000 with 10,000,
 *    flumeBatchSize 100, source puts of 20, and the Kafka sink's producer
 *    with acks=1 (KafkaSinkConstants) even when `set acks=all` is the
 *    cluster's default for producers;
 *  - while Kafka cannot take writes the channel fills, and a full channel
 *    refuses whole puts (ChannelFullException): dropped and counted, with
 *    one channel_full event for a run of refusals;
 *  - an empty poll makes the sink runner sleep 1 s, 2 s, ... 5 s
 *    (SinkRunner), so a channel smaller than a second of events overflows
 *    even while Kafka is healthy;
 *  - a memory channel dies with the agent, a file channel is replayed and
 *    its open take rolled back; the agent's producer dies with it;
 *  - a refused event rolls the whole take back, and the sink retries 5 s
 *    later;
 *  - an HDFS sink drains at its write rate and rolls its file every roll
 *    interval;
 *  - a peak multiplies the source's rate for its window.
 */
#include "ks-sim-test.h"

#include "kafkasim/query-faults.h"

#include <string.h>

#define S  KS_TIME_S
#define MS KS_TIME_MS

static KsFlumeInfo agent(const KsSimTest *t, const char *name)
{
    KsFlumeInfo f;
    assert_true(ks_query_find_flume(t->sim, name, &f));
    return f;
}

/* Flume 1.11.0's MemoryChannel (capacity 100, transactionCapacity 100),
 * KafkaSink (flumeBatchSize 100, kafka.producer.acks=1); a `set acks=all`
 * is a default for Kafka producers, which Flume's own default overrides. */
static void defaults_are_flumes(void **state)
{
    (void)state;
    g_autoptr(KsSimTest) t = ks_sim_test_new("cluster nodes=3\n"
                                             "set acks=all\n"
                                             "topic logs partitions=1 replication-factor=3\n"
                                             "flume a topic=logs rate=10/s\n"
                                             "flume b topic=logs rate=10/s channel=file\n"
                                             "flume c topic=logs rate=10/s acks=all\n"
                                             "run until 1s\n");
    KsFlumeInfo a = agent(t, "a"), b = agent(t, "b");
    ks_assert_i64_eq(a.capacity, 100);
    ks_assert_i64_eq(a.transaction_capacity, 100);
    ks_assert_str_eq(a.channel, "memory");
    ks_assert_str_eq(a.sink, "kafka");
    ks_assert_i64_eq(b.capacity, 1000000);
    ks_assert_i64_eq(b.transaction_capacity, 10000);
    ks_assert_i64_eq(t->plan->flumes->len, 3);
    const KsPlanFlume *pa = g_ptr_array_index(t->plan->flumes, 0);
    ks_assert_i64_eq(pa->batch_size, 100);
    ks_assert_i64_eq(pa->source_batch, 20);
    KsProducerInfo p;
    assert_true(ks_query_find_producer(t->sim, "a", &p));
    ks_assert_i64_eq(p.acks, 1);
    assert_true(ks_query_find_producer(t->sim, "c", &p));
    ks_assert_i64_eq(p.acks, -1);
}

/* The only replica of the topic dies: the sink's take waits on its
 * producer's retries, the source keeps putting 20 events every 100 ms
 * (200/s), and once the channel's 1000 events are full every put fails. */
static void full_channel_drops_the_sources_events(void **state)
{
    (void)state;
    g_autoptr(KsSimTest) t = ks_sim_test_new("cluster nodes=1\n"
                                             "topic logs partitions=1 replication-factor=1\n"
                                             "flume a topic=logs rate=200/s capacity=1000 "
                                             "transactionCapacity=100\n"
                                             "at 2s crash broker 1\n"
                                             "run until 20s\n");
    ks_sim_test_run_until(t, 2 * S);
    KsFlumeInfo before = agent(t, "a");
    ks_assert_i64_eq(before.dropped, 0);
    assert_true(before.fill < 1000);
    ks_sim_test_run(t);
    KsFlumeInfo f = agent(t, "a");
    ks_assert_i64_eq(f.fill, 1000);
    ks_assert_i64_eq(f.max_fill, 1000);
    assert_true(f.dropped > 0);
    ks_assert_i64_eq(f.dropped % 20, 0); /* whole puts */
    /* Every event that arrived is in the channel, delivered or dropped. */
    ks_assert_i64_eq(f.received, f.fill + f.delivered + f.dropped);
    /* One event for the run of refusals, then channel lines once a second. */
    ks_assert_i64_eq(ks_sim_test_count(t, 0, 20 * S, "\"type\":\"channel_full\""), 1);
    const KsSimTestEvent *full = ks_sim_test_find(t, 0, "\"type\":\"channel_full\"");
    assert_true(full->ev.t > 2 * S && full->ev.t < 9 * S);
    assert_true(ks_sim_test_count(t, 0, 20 * S, "\"type\":\"channel_fill\"") <= 20);
}

/* SinkRunner: the first poll at 0 s finds nothing and sleeps 1 s; by then
 * 200 events arrived for a channel of 100, so half are dropped although
 * Kafka is fine. A channel that holds a few seconds does not drop. */
static void empty_polls_back_off_and_a_small_channel_overflows(void **state)
{
    (void)state;
    g_autoptr(KsSimTest) t = ks_sim_test_new("cluster nodes=3\n"
                                             "topic logs partitions=1 replication-factor=3\n"
                                             "flume small topic=logs rate=200/s\n"
                                             "flume big topic=logs rate=200/s capacity=2000 "
                                             "transactionCapacity=100\n"
                                             "run until 30s\n");
    ks_sim_test_run_until(t, 999 * MS);
    ks_assert_i64_eq(agent(t, "small").delivered, 0);
    ks_assert_i64_eq(agent(t, "small").fill, 100);
    ks_assert_i64_eq(agent(t, "small").dropped, 80);
    ks_sim_test_run(t);
    KsFlumeInfo small = agent(t, "small"), big = agent(t, "big");
    assert_true(small.dropped > 0);
    assert_true(small.delivered > 0);
    ks_assert_i64_eq(big.dropped, 0);
    ks_assert_i64_eq(big.received, big.fill + big.delivered);
}

/* The agents die with events in their channels: the memory channel's are
 * lost, the file channel's (and its open take's) are replayed and sent.
 * The broker dies once the sinks' producers know the topic: before that,
 * send() would block for metadata (max.block.ms) rather than fail. */
static void memory_channel_dies_file_channel_is_replayed(void **state)
{
    (void)state;
    g_autoptr(KsSimTest) t = ks_sim_test_new("cluster nodes=1\n"
                                             "topic logs partitions=1 replication-factor=1\n"
                                             "flume m topic=logs rate=100/s capacity=10000 "
                                             "transactionCapacity=100\n"
                                             "flume f topic=logs rate=100/s channel=file\n"
                                             "at 3s crash broker 1\n"
                                             "at 7s crash flume m\n"
                                             "at 7s crash flume f\n"
                                             "at 8s restart flume m\n"
                                             "at 8s restart flume f\n"
                                             "at 25s restart broker 1\n"
                                             "run until 50s\n");
    ks_sim_test_run_until(t, 7 * S - 1);
    int64_t held = agent(t, "m").fill;
    assert_true(held >= 300);
    ks_sim_test_run_until(t, 7 * S);
    KsFlumeInfo m = agent(t, "m"), f = agent(t, "f");
    assert_false(m.alive);
    ks_assert_i64_eq(m.fill, 0);
    ks_assert_i64_eq(m.lost, held);
    ks_assert_i64_eq(f.lost, 0);
    assert_true(f.fill >= 300);
    const KsSimTestEvent *crash =
        ks_sim_test_find(t, 0, "\"type\":\"flume_crashed\",\"agent\":\"m\"");
    assert_non_null(crash);
    ks_assert_i64_eq(crash->ev.flume_event.lost, held);

    ks_sim_test_run(t);
    m = agent(t, "m");
    f = agent(t, "f");
    assert_true(m.alive && f.alive);
    /* Everything the file channel held reached Kafka in the end. */
    ks_assert_i64_eq(f.received, f.delivered + f.fill);
    ks_assert_i64_eq(m.received, m.delivered + m.fill + m.lost);
    /* Drained, but for what arrived while the idle sink slept (at most
     * maxBackoffSleep, 5 s, at 100/s). */
    assert_true(f.fill <= 520 && m.fill <= 520);
    /* The crashed agents' producers died with them: their takes were given
     * up, and every record Kafka acknowledged is one a live sink committed
     * (or has in an open take). */
    KsSimStats st;
    ks_sim_get_stats(t->sim, &st);
    assert_true(st.records_refused > 0);
    assert_true(st.records_acked >= m.delivered + f.delivered);
    assert_true(st.records_acked <= m.delivered + f.delivered + 200);
}

/* A take whose events are refused (delivery.timeout.ms passes while the
 * only replica is down) rolls back whole: the events go back to the
 * channel and the sink retries 5 s later. */
static void refused_take_rolls_back(void **state)
{
    (void)state;
    g_autoptr(KsSimTest) t = ks_sim_test_new("cluster nodes=1\n"
                                             "topic logs partitions=1 replication-factor=1\n"
                                             "flume a topic=logs rate=100/s capacity=10000 "
                                             "transactionCapacity=100 delivery.timeout.ms=3000 "
                                             "request.timeout.ms=1000 linger.ms=0\n"
                                             "at 3s crash broker 1\n"
                                             "at 25s restart broker 1\n"
                                             "run until 50s\n");
    ks_sim_test_run_until(t, 11 * S);
    const KsSimTestEvent *rb = ks_sim_test_find(t, 0, "\"type\":\"sink_rolled_back\"");
    assert_non_null(rb);
    assert_true(rb->ev.flume_sink.events > 0);
    assert_true(rb->ev.t >= 3 * S);
    KsFlumeInfo f = agent(t, "a");
    assert_true(f.rolled_back > 0);
    ks_assert_i64_eq(f.received, f.fill + f.delivered);
    /* The next attempt waits maxBackoffSleep. */
    const KsSimTestEvent *next = ks_sim_test_find(t, rb->ev.t + 1, "\"type\":\"sink_rolled_back\"");
    if (next)
        assert_true(next->ev.t - rb->ev.t >= 5 * S);
    ks_sim_test_run(t);
    f = agent(t, "a");
    assert_true(f.fill <= 520);
    ks_assert_i64_eq(f.dropped, 0);
    ks_assert_i64_eq(f.received, f.fill + f.delivered);
}

/* An HDFS sink that writes 100 events a second cannot keep up with 200:
 * the channel fills and drops; it rolls its file every 10 s. */
static void hdfs_sink_writes_at_its_rate_and_rolls(void **state)
{
    (void)state;
    g_autoptr(KsSimTest) t = ks_sim_test_new("cluster nodes=1\n"
                                             "flume h sink=hdfs rate=200/s capacity=1000 "
                                             "transactionCapacity=100 write-rate=100/s "
                                             "roll-interval=10s\n"
                                             "run until 35s\n");
    ks_sim_test_run(t);
    KsFlumeInfo h = agent(t, "h");
    ks_assert_str_eq(h.sink, "hdfs");
    assert_null(h.topic);
    /* About 100 events a second, 35 s, less the first empty poll's 1 s. */
    assert_true(h.delivered >= 3200 && h.delivered <= 3500);
    assert_true(h.dropped > 0);
    ks_assert_i64_eq(h.files_rolled, 3);
    ks_assert_i64_eq(ks_sim_test_count(t, 0, 35 * S, "\"type\":\"hdfs_file_rolled\""), 3);
}

/* peak=1000/s for 2 s of every 10 s on top of 100/s: 2 * 1000 + 8 * 100
 * events in each period. */
static void peak_raises_the_rate_in_its_window(void **state)
{
    (void)state;
    g_autoptr(KsSimTest) t = ks_sim_test_new("cluster nodes=1\n"
                                             "topic logs partitions=1 replication-factor=1\n"
                                             "flume a topic=logs rate=100/s peak=1000/s "
                                             "peak-every=10s peak-for=2s channel=file\n"
                                             "run until 20s\n");
    ks_sim_test_run(t);
    int64_t received = agent(t, "a").received;
    assert_true(received >= 2 * 2800 - 200 && received <= 2 * 2800 + 200);
}

/* The conditions read the same numbers. */
static void conditions_read_the_agent(void **state)
{
    (void)state;
    g_autoptr(KsSimTest) t = ks_sim_test_new("cluster nodes=1\n"
                                             "topic logs partitions=1 replication-factor=1\n"
                                             "flume a topic=logs rate=200/s\n"
                                             "run until 5s\n"
                                             "expect flume-dropped a > 0\n"
                                             "expect channel-fill a <= 100\n"
                                             "expect flume-dropped a == 0\n");
    ks_sim_test_run(t);
    ks_sim_finish(t->sim);
    const GPtrArray *results = ks_sim_expect_results(t->sim);
    ks_assert_i64_eq(results->len, 3);
    assert_true(((const KsExpectResult *)results->pdata[0])->held);
    assert_true(((const KsExpectResult *)results->pdata[1])->held);
    const KsExpectResult *r = results->pdata[2];
    assert_false(r->held);
    assert_non_null(strstr(r->actual, "agent a dropped"));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(defaults_are_flumes),
        cmocka_unit_test(full_channel_drops_the_sources_events),
        cmocka_unit_test(empty_polls_back_off_and_a_small_channel_overflows),
        cmocka_unit_test(memory_channel_dies_file_channel_is_replayed),
        cmocka_unit_test(refused_take_rolls_back),
        cmocka_unit_test(hdfs_sink_writes_at_its_rate_and_rolls),
        cmocka_unit_test(peak_raises_the_rate_in_its_window),
        cmocka_unit_test(conditions_read_the_agent),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
