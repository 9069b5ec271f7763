/* SPDX-License-Identifier: MIT */
/*
 * test-consumer-seek.c - seeking (sim/consumer-seek.c), as a user sees it:
 *  - from-time= starts each partition at the first record produced at or
 *    after the time (offsetsForTimes), so the consumer reads exactly the
 *    records produced since then;
 *  - a time after every record seeks to the end (offsetsForTimes answers
 *    null; the application seeks to the end);
 *  - `seek consumer ... to-time=` and `to-offset=` at run time move the
 *    position, and what is read again counts as duplicated;
 *  - seeking a partition the consumer is not assigned is refused, with a
 *    note, as KafkaConsumer.seek throws;
 *  - the answer comes from the leader's log: records lost with the old
 *    leader are not found any more.
 */
#include "ks-sim-test.h"

#include "kafkasim/query-groups.h"

#include <string.h>

#define S KS_TIME_S

#define BASE                                                                                       \
    "cluster nodes=3\n"                                                                            \
    "set offsets.topic.num.partitions=3 group.initial.rebalance.delay.ms=0\n"                      \
    "topic t partitions=1 replication-factor=3 replica-placement-start=0\n"

/* 30 records at 1 s, 20 at 6 s: from 5 s reads the 20, the seek lands on
 * offset 30 and says which time it found. */
static void test_consumer_seek_from_time_reads_what_came_after(void **state)
{
    g_autoptr(KsSimTest) t =
        ks_sim_test_new(BASE "at 1s produce topic=t count=30\n"
                             "at 6s produce topic=t count=20\n"
                             "at 10s start consumer c group=g topics=t from-time=5s\n"
                             "at 10s start consumer all group=h topics=t from-time=0s\n"
                             "run until 20s\n");
    ks_sim_test_run(t);
    assert_int_equal(ks_sim_test_consumed(t, "c"), 20);
    assert_int_equal(ks_sim_test_consumed(t, "all"), 50);
    const KsSimTestEvent *e =
        ks_sim_test_find(t, 10 * S,
                         "\"type\":\"offset_reset\",\"group\":\"g\",\"consumer\":\"c\",\"topic\":"
                         "\"t\",\"partition\":0,\"policy\":\"from-time\",\"offset\":30,"
                         "\"time_us\":5000000,\"found_us\":6");
    assert_non_null(e);
}

/* Nothing was produced at or after 15 s: the consumer starts at the end
 * and reads only what comes later. */
static void test_consumer_seek_after_every_record_goes_to_the_end(void **state)
{
    g_autoptr(KsSimTest) t =
        ks_sim_test_new(BASE "at 1s produce topic=t count=30\n"
                             "at 10s start consumer c group=g topics=t from-time=15s\n"
                             "at 14s produce topic=t count=5\n"
                             "run until 20s\n");
    ks_sim_test_run(t);
    assert_int_equal(ks_sim_test_consumed(t, "c"), 5);
    const KsSimTestEvent *e =
        ks_sim_test_find(t, 10 * S, "\"policy\":\"from-time\",\"offset\":30,\"time_us\":15000000}");
    assert_non_null(e);
}

/* A consumer that has read everything seeks back: to a time, it reads the
 * later 20 again; to an offset, the last 10. The group counts them as
 * duplicated. */
static void test_consumer_seek_action_reads_again(void **state)
{
    g_autoptr(KsSimTest) t =
        ks_sim_test_new(BASE "at 1s produce topic=t count=30\n"
                             "at 6s produce topic=t count=20\n"
                             "at 8s start consumer c group=g topics=t auto.offset.reset=earliest\n"
                             "at 12s seek consumer c t-0 to-time=5s\n"
                             "at 14s seek consumer c to-offset=40\n"
                             "run until 20s\n");
    ks_sim_test_run(t);
    assert_int_equal(ks_sim_test_consumed(t, "c"), 80);
    assert_int_equal(ks_sim_test_group(t, "g").records_duplicated, 30);
    assert_non_null(ks_sim_test_find(t, 12 * S, "\"policy\":\"to-time\",\"offset\":30"));
    assert_non_null(ks_sim_test_find(t, 14 * S, "\"policy\":\"to-offset\",\"offset\":40"));
}

/* KafkaConsumer.seek on a partition it does not own throws; a stopped
 * consumer cannot seek. */
static void test_consumer_seek_needs_the_partition(void **state)
{
    g_autoptr(KsSimTest) t =
        ks_sim_test_new("cluster nodes=3\n"
                        "set offsets.topic.num.partitions=3 group.initial.rebalance.delay.ms=0\n"
                        "topic t partitions=2 replication-factor=3\n"
                        "consumer a group=g topics=t\n"
                        "consumer b group=g topics=t\n"
                        "at 10s seek consumer a t-1 to-offset=0\n"
                        "at 11s stop consumer b\n"
                        "at 12s seek consumer b to-time=1s\n"
                        "run until 13s\n");
    ks_sim_test_run(t);
    assert_non_null(ks_sim_test_find(t, 10 * S, "is not assigned t-1: seek throws"));
    assert_non_null(ks_sim_test_find(t, 12 * S, "consumer b is not running"));
}

/* acks=1 records only the old leader had: once it is gone they are gone,
 * and a seek to their time finds the new leader's later records. */
static void test_consumer_seek_asks_the_leaders_log(void **state)
{
    g_autoptr(KsSimTest) t = ks_sim_test_new(
        "cluster nodes=3\n"
        "set offsets.topic.num.partitions=1 acks=1\n"
        "set group.initial.rebalance.delay.ms=0 unclean.leader.election.enable=true\n"
        "topic t partitions=1 replication-factor=2 replica-placement-start=0\n"
        "consumer early group=e topics=t\n"
        "at 1s produce topic=t count=10\n"
        "at 3s crash broker 2\n"
        "at 5s produce topic=t count=10\n"
        "at 6s crash broker 1\n"
        "at 25s restart broker 2\n"
        "at 40s produce topic=t count=4\n"
        "at 50s start consumer c group=g topics=t from-time=4s\n"
        "run until 60s\n");
    ks_sim_test_run(t);
    /* Offsets 10-19 (produced at 5 s) went with broker 1: the first record
     * produced after 4 s is now the new leader's offset 10, from 40 s. */
    assert_non_null(ks_sim_test_find(t, 50 * S,
                                     "\"policy\":\"from-time\",\"offset\":10,"
                                     "\"time_us\":4000000,\"found_us\":40"));
    assert_int_equal(ks_sim_test_consumed(t, "c"), 4);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_consumer_seek_from_time_reads_what_came_after),
        cmocka_unit_test(test_consumer_seek_after_every_record_goes_to_the_end),
        cmocka_unit_test(test_consumer_seek_action_reads_again),
        cmocka_unit_test(test_consumer_seek_needs_the_partition),
        cmocka_unit_test(test_consumer_seek_asks_the_leaders_log),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
