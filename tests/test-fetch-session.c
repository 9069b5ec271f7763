/* SPDX-License-Identifier: MIT */
/*
 * test-fetch-session.c - consumer fetch sessions, KIP-227
 * (sim/fetch-session.c), as the requests show them (--verbose):
 *  - the first fetch to a broker is full, later ones are incremental and
 *    name only the partitions whose offset moved;
 *  - with max.incremental.fetch.session.cache.slots full, a newcomer with
 *    more partitions evicts a session older than 120 s; the evicted
 *    consumer's next fetch gets FETCH_SESSION_ID_NOT_FOUND and it goes
 *    full again, sessionless since it cannot evict in turn;
 *  - a consumer that closes removes its sessions from the broker, one
 *    that crashes leaves them there;
 *  - a broker's restart empties its cache, and the consumer starts over
 *    with a full fetch.
 */
#include "ks-sim-test.h"

#include "sim/consumer-private.h"

#include <string.h>

#define S KS_TIME_S

#define ONE_BROKER                                                                                 \
    "cluster nodes=1\n"                                                                            \
    "set offsets.topic.num.partitions=1 offsets.topic.replication.factor=1\n"                      \
    "set group.initial.rebalance.delay.ms=0\n"                                                     \
    "topic small partitions=1 replication-factor=1\n"                                              \
    "topic big partitions=2 replication-factor=1\n"

static KsSimTest *verbose_test(const char *text)
{
    KsSimTest *t = ks_sim_test_new(text);
    ks_sim_set_verbose(t->sim, true);
    return t;
}

/* @name's fetch state for broker 1. */
static const KsConsumerFetch *fetch_of(const KsSimTest *t, const char *name)
{
    KsConsumer *c = ks_consumer_find(t->sim, name);
    assert_non_null(c);
    KsBroker *b = ks_sim_find_broker(t->sim, 1);
    assert_true((guint)b->slot < c->fetches->len);
    return g_ptr_array_index(c->fetches, b->slot);
}

/* Full first, then incremental requests; an idle partition is not named. */
static void test_fetch_session_full_then_incremental(void **state)
{
    g_autoptr(KsSimTest) t =
        verbose_test(ONE_BROKER "consumer a group=ga topics=big auto.offset.reset=earliest\n"
                                "at 2s produce topic=big partition=0 count=10\n"
                                "run until 5s\n");
    ks_sim_test_run(t);
    const KsSimTestEvent *first =
        ks_sim_test_find(t, 0, "\"api\":\"ConsumerFetch\",\"from\":\"consumer a\"");
    assert_non_null(first);
    assert_non_null(strstr(first->json, "\"detail\":\"full, 2 partitions\""));
    assert_non_null(ks_sim_test_find(t, 0, "incremental, session 1 epoch 1, 0 of 2 partitions"));
    /* The records of big-0 move its offset: that one partition is named. */
    assert_non_null(ks_sim_test_find(t, 2 * S, "1 of 2 partitions named"));
    assert_int_equal(ks_sim_test_count(t, 0, KS_TIME_NEVER,
                                       "ConsumerFetch\",\"from\":\"consumer "
                                       "a\",\"to\":1,\"detail\":\"full"),
                     1);
    assert_int_equal(ks_sim_test_consumed(t, "a"), 10);
    assert_int_equal(ks_fetch_session_count(ks_sim_find_broker(t->sim, 1)), 1);
}

/* One slot: a's session (1 partition) is older than 120 s when b (2
 * partitions) arrives, so b takes its slot; a's next incremental fetch is
 * FETCH_SESSION_ID_NOT_FOUND, and a, smaller, cannot take the slot back. */
static void test_fetch_session_eviction(void **state)
{
    g_autoptr(KsSimTest) t =
        verbose_test(ONE_BROKER "set max.incremental.fetch.session.cache.slots=1\n"
                                "consumer a group=ga topics=small\n"
                                "consumer b group=gb topics=big\n"
                                "at 0s stop consumer b\n"
                                "at 130s start consumer b\n"
                                "at 200s produce topic=small count=5\n"
                                "run until 210s\n");
    ks_sim_test_run_until(t, 129 * S);
    assert_int_equal(fetch_of(t, "a")->session_id, 1);
    ks_sim_test_run_until(t, 135 * S);
    assert_int_equal(fetch_of(t, "b")->session_id, 2);
    assert_int_equal(fetch_of(t, "a")->session_id, 0);
    /* a went full again, and stays without a session. */
    const KsSimTestEvent *e =
        ks_sim_test_find(t, 130 * S, "\"api\":\"ConsumerFetch\",\"from\":\"consumer a\"");
    assert_non_null(e);
    assert_non_null(ks_sim_test_find(t, e->ev.t, "consumer a\",\"to\":1,\"detail\":\"full"));
    ks_sim_test_run(t);
    assert_int_equal(fetch_of(t, "a")->session_id, 0);
    assert_int_equal(ks_sim_test_consumed(t, "a"), 5);
    assert_int_equal(ks_fetch_session_count(ks_sim_find_broker(t->sim, 1)), 1);
}

/* close() removes the session (FINAL_EPOCH); a crash leaves it. */
static void test_fetch_session_close_and_crash(void **state)
{
    g_autoptr(KsSimTest) t = verbose_test(ONE_BROKER "consumer a group=ga topics=small\n"
                                                     "consumer b group=gb topics=big\n"
                                                     "at 5s stop consumer a\n"
                                                     "at 5s crash consumer b\n"
                                                     "run until 10s\n");
    ks_sim_test_run_until(t, 4 * S);
    KsBroker *b1 = ks_sim_find_broker(t->sim, 1);
    assert_int_equal(ks_fetch_session_count(b1), 2);
    ks_sim_test_run(t);
    assert_int_equal(ks_fetch_session_count(b1), 1);
}

/* The broker's process restarts: its sessions are gone and the consumer
 * starts over with a full fetch, then goes on incrementally. */
static void test_fetch_session_after_broker_restart(void **state)
{
    g_autoptr(KsSimTest) t =
        verbose_test("cluster nodes=3\n"
                     "set offsets.topic.num.partitions=1 group.initial.rebalance.delay.ms=0\n"
                     "topic t partitions=1 replication-factor=3 replica-placement-start=0\n"
                     "consumer a group=ga topics=t auto.offset.reset=earliest\n"
                     "at 5s stop broker 1\n"
                     "at 10s restart broker 1\n"
                     "at 20s elect-preferred t\n"
                     "at 25s produce topic=t count=7\n"
                     "run until 30s\n");
    ks_sim_test_run(t);
    /* Back at broker 1 after the preferred election: a full request first. */
    const KsSimTestEvent *e = ks_sim_test_find(t, 20 * S, "consumer a\",\"to\":1");
    assert_non_null(e);
    assert_non_null(strstr(e->json, "\"detail\":\"full"));
    assert_non_null(ks_sim_test_find(t, e->ev.t + 1, "consumer a\",\"to\":1,\"detail\":\"incr"));
    assert_int_equal(ks_sim_test_consumed(t, "a"), 7);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_fetch_session_full_then_incremental),
        cmocka_unit_test(test_fetch_session_eviction),
        cmocka_unit_test(test_fetch_session_close_and_crash),
        cmocka_unit_test(test_fetch_session_after_broker_restart),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
