/* SPDX-License-Identifier: MIT */
/*
 * test-metadata.c - every broker's metadata cache (sim/metadata.c) and the
 * producer's Metadata requests that read it (sim/producer-metadata.c).
 *
 * What Kafka 3.9 (ZooKeeper mode) does and these tests check:
 *  - a broker's cache changes only when an UpdateMetadata request from the
 *    controller arrives (KafkaApis.handleUpdateMetadataRequest ->
 *    ZkMetadataCache.updateMetadata): right after topic creation or an
 *    election no broker knows the new state, one network trip later every
 *    live broker does;
 *  - a broker process that starts has an empty cache until its first
 *    UpdateMetadata (ZkMetadataCache is built empty);
 *  - a leader that the cache does not hold alive is not named
 *    (getPartitionMetadata: LEADER_NOT_AVAILABLE);
 *  - FindCoordinator names the leader of the group's offsets partition as
 *    the asked broker's cache holds it (KafkaApis.getCoordinator), a dead
 *    broker whose session lives included;
 *  - a follower joins the ISR only if the leader's cache holds it alive
 *    (Partition.isReplicaIsrEligible);
 *  - a producer's first record waits for a Metadata answer that names the
 *    topic (KafkaProducer.waitOnMetadata), and its refreshes back off
 *    exponentially on equivalent answers (Metadata.timeToAllowUpdate).
 */
#include "ks-sim-test.h"

#include "sim/metadata-private.h"
#include "sim/consumer-private.h"
#include "sim/group-private.h"
#include "sim/model.h"
#include "sim/producer-private.h"

#define S  KS_TIME_S
#define MS KS_TIME_MS

#define CLUSTER "cluster nodes=3\n"
#define TOPIC_T "topic t partitions=1 replication-factor=3 replica-placement-start=0\n"

static KsPartition *part_t0(const KsSimTest *t)
{
    return ks_sim_find_topic(t->sim, "t")->partitions[0];
}

static KsBroker *broker(const KsSimTest *t, KsBrokerId id)
{
    return ks_sim_find_broker(t->sim, id);
}

/* The topic is created at 0 s; its UpdateMetadata needs a network trip. */
static void cache_fills_only_with_update_metadata(void **state)
{
    (void)state;
    g_autoptr(KsSimTest) t = ks_sim_test_new(CLUSTER TOPIC_T "run until 1s\n");
    ks_sim_test_run_until(t, 0);
    KsMetadataPartition mp;
    for (KsBrokerId id = 1; id <= 3; id++) {
        assert_false(ks_metadata_partition(t->sim, broker(t, id), part_t0(t), &mp));
        ks_assert_i64_eq(ks_metadata_leader(t->sim, broker(t, id), part_t0(t)), KS_NO_BROKER);
    }
    ks_sim_test_run_until(t, 100 * MS);
    for (KsBrokerId id = 1; id <= 3; id++) {
        assert_true(ks_metadata_partition(t->sim, broker(t, id), part_t0(t), &mp));
        ks_assert_i64_eq(mp.leader, 1);
        ks_assert_i64_eq(mp.leader_epoch, 0);
        ks_assert_i64_eq(mp.isr_len, 3);
        ks_assert_i64_eq(ks_metadata_leader(t->sim, broker(t, id), part_t0(t)), 1);
        assert_true(ks_metadata_broker_alive(t->sim, broker(t, id), 3));
    }
}

/* Broker 1, the leader, is killed: until its session expires every cache
 * names it; at the election instant the caches still do (the controller's
 * requests are on their way), one trip later they name broker 2 in the new
 * epoch and no longer hold broker 1 alive. */
static void caches_learn_an_election_one_trip_later(void **state)
{
    (void)state;
    const char *text = CLUSTER TOPIC_T "at 1s crash broker 1\nrun until 40s\n";
    g_autoptr(KsSimTest) probe = ks_sim_test_new(text);
    ks_sim_test_run(probe);
    const KsSimTestEvent *e = ks_sim_test_find(probe, 0, "\"leader\":2");
    assert_non_null(e);
    KsTime elected = e->ev.t;

    g_autoptr(KsSimTest) t = ks_sim_test_new(text);
    ks_sim_test_run_until(t, elected - 1);
    ks_assert_i64_eq(ks_metadata_leader(t->sim, broker(t, 2), part_t0(t)), 1);
    ks_sim_test_run_until(t, elected);
    ks_assert_i64_eq(part_t0(t)->leader, 2); /* ZooKeeper holds the new leader */
    KsMetadataPartition mp;
    assert_true(ks_metadata_partition(t->sim, broker(t, 3), part_t0(t), &mp));
    ks_assert_i64_eq(mp.leader, 1); /* the cache does not, yet */
    ks_assert_i64_eq(mp.leader_epoch, 0);
    ks_sim_test_run_until(t, elected + 100 * MS);
    for (KsBrokerId id = 2; id <= 3; id++) {
        assert_true(ks_metadata_partition(t->sim, broker(t, id), part_t0(t), &mp));
        ks_assert_i64_eq(mp.leader, 2);
        ks_assert_i64_eq(mp.leader_epoch, part_t0(t)->leader_epoch);
        assert_false(ks_metadata_broker_alive(t->sim, broker(t, id), 1));
    }
}

/* A restarted broker answers from an empty cache until the controller
 * sends it the whole state. */
static void restarted_broker_starts_with_an_empty_cache(void **state)
{
    (void)state;
    g_autoptr(KsSimTest) t =
        ks_sim_test_new(CLUSTER TOPIC_T "at 1s crash broker 3\nat 30s restart broker 3\n"
                                        "run until 31s\n");
    ks_sim_test_run_until(t, 29 * S);
    ks_assert_i64_eq(ks_metadata_leader(t->sim, broker(t, 3), part_t0(t)), 1);
    ks_sim_test_run_until(t, 30 * S);
    ks_assert_i64_eq(ks_metadata_version(t->sim, broker(t, 3)), 0);
    assert_null(ks_metadata_live_brokers(t->sim, broker(t, 3)));
    ks_sim_test_run_until(t, 31 * S);
    assert_true(ks_metadata_version(t->sim, broker(t, 3)) > 0);
    ks_assert_i64_eq(ks_metadata_leader(t->sim, broker(t, 3), part_t0(t)), 1);
}

/* KafkaProducer.waitOnMetadata: the records of a `produce` at 2 s wait in
 * send() and are appended when the first Metadata answer arrives, one
 * round trip later; the answer tells the producer the live brokers. */
static void first_send_waits_for_a_metadata_answer(void **state)
{
    (void)state;
    g_autoptr(KsSimTest) t = ks_sim_test_new(CLUSTER TOPIC_T "producer p topic=t acks=all\n"
                                                             "at 2s produce producer=p count=10\n"
                                                             "run until 3s\n");
    ks_sim_test_run_until(t, 2 * S);
    KsProducer *p = ks_sim_find_producer(t->sim, "p");
    assert_false(p->meta.known);
    ks_assert_i64_eq(p->pending->len, 1);
    ks_assert_i64_eq(p->active->len, 0);
    assert_non_null(p->meta.request);
    ks_sim_test_run_until(t, 2 * S + 10 * MS);
    assert_true(p->meta.known);
    ks_assert_i64_eq(p->pending->len, 0);
    ks_assert_i64_eq(p->meta.nodes->len, 3);
    ks_assert_i64_eq(p->parts[0].leader, 1);
    ks_sim_test_run(t);
    ks_assert_i64_eq(ks_sim_test_partition(t, "t", 0).log_end_offset, 10);
}

/* While leader 1 is dead but its session lives, every answer names it
 * again: the equivalent answers pile up and the next refresh waits
 * retry.backoff.ms doubled per answer, capped at retry.backoff.max.ms
 * (1 s, jitter 0.8-1.2 then capped: 800-1000 ms). An answer with a newer
 * leader epoch resets the count. */
static void equivalent_answers_back_off_exponentially(void **state)
{
    (void)state;
    g_autoptr(KsSimTest) t =
        ks_sim_test_new(CLUSTER "set zookeeper.session.timeout.ms=30s\n" TOPIC_T
                                "producer p topic=t acks=all rate=100/s\n"
                                "at 1s crash broker 1\n"
                                "run until 45s\n");
    ks_sim_test_run_until(t, 15 * S);
    KsProducer *p = ks_sim_find_producer(t->sim, "p");
    assert_true(p->meta.equivalent >= 8 && p->meta.equivalent <= 20);
    KsTime wait = p->meta.equivalent_until - p->meta.last_success;
    assert_true(wait >= 800 * MS && wait <= 1000 * MS);
    ks_assert_i64_eq(p->parts[0].leader, 1);
    ks_sim_test_run(t);
    ks_assert_i64_eq(p->parts[0].leader, 2);
    ks_assert_i64_eq(p->meta.equivalent, 0);
}

/* FindCoordinator at broker @asked for @consumer's group, answered now:
 * the answer's coordinator, or KS_NO_BROKER with the error. The message
 * carries a stale token, so the consumer drops it when it arrives. */
static KsBrokerId find_coordinator_at(KsSimTest *t, const char *consumer, KsBrokerId asked,
                                      int *error)
{
    KsGroupMsg *m = g_new0(KsGroupMsg, 1);
    m->kind = KS_GREQ_FIND_COORDINATOR;
    m->consumer = ks_consumer_find(t->sim, consumer);
    m->broker = broker(t, asked);
    m->token = m->consumer->token - 1;
    ks_group_handle(t->sim, m);
    *error = m->error;
    return m->error == KS_ERR_NONE ? m->coordinator : KS_NO_BROKER;
}

/* billing's offsets live in __consumer_offsets-9, led by broker 2, which is
 * killed at 15 s; its session expires at about 34.2 s (seed 2). Until then
 * broker 1's cache holds broker 2 alive and leading, so FindCoordinator
 * names it (the consumer then finds it unreachable and asks again); after
 * the election's UpdateMetadata it names broker 1. */
static void find_coordinator_answers_from_the_cache(void **state)
{
    (void)state;
    g_autoptr(KsSimTest) t = ks_sim_test_new(
        "seed 2\ncluster nodes=3 brokers-per-node=1\nset offsets.topic.num.partitions=10\n"
        "topic orders partitions=2 replication-factor=3 replica-placement-start=0\n"
        "producer shop topic=orders rate=200/s\ngroup billing\n"
        "consumer c1 group=billing topics=orders processing=2ms auto.offset.reset=earliest\n"
        "at 15s crash broker 2\nrun until 40s\n");
    int err;
    ks_sim_test_run_until(t, 14 * S);
    ks_assert_i64_eq(find_coordinator_at(t, "c1", 1, &err), 2);
    ks_sim_test_run_until(t, 20 * S);
    ks_assert_i64_eq(find_coordinator_at(t, "c1", 1, &err), 2);
    ks_assert_i64_eq(err, KS_ERR_NONE);
    ks_sim_test_run_until(t, 36 * S);
    ks_assert_i64_eq(t->sim->offsets_topic->partitions[9]->leader, 1);
    ks_assert_i64_eq(find_coordinator_at(t, "c1", 3, &err), 1);
    ks_sim_test_run(t); /* the answers arrive: the consumer drops them */
}

/* Partition.isReplicaIsrEligible in ZooKeeper mode: a follower joins the
 * ISR only if the leader's metadata cache holds its broker alive. Brokers
 * 1 and 2 (t-0's replicas) come back at 40 s, 2 leads, and 1 rejoins about
 * 3 ms later; with the leader's cache emptied just before (as a restarted
 * process's is), broker 1 stays out, caught up or not. */
static void isr_expansion_needs_the_follower_alive_in_the_leaders_cache(void **state)
{
    (void)state;
    const char *text = "cluster nodes=3\n"
                       "topic t partitions=1 replication-factor=2 replica-placement-start=0\n"
                       "at 1s crash broker 2\nat 2s crash broker 1\n"
                       "at 40s restart broker 1\nat 40s restart broker 2\nrun until 45s\n";
    g_autoptr(KsSimTest) t = ks_sim_test_new(text);
    ks_sim_test_run(t);
    g_autofree char *isr = ks_sim_test_isr(t, "t", 0);
    ks_assert_str_eq(isr, "2,1");

    g_autoptr(KsSimTest) u = ks_sim_test_new(text);
    ks_sim_test_run_until(u, 40 * S + 2 * MS);
    ks_assert_i64_eq(part_t0(u)->leader, 2);
    ks_metadata_reset(u->sim, broker(u, 2));
    ks_sim_test_run(u);
    g_autofree char *stale = ks_sim_test_isr(u, "t", 0);
    ks_assert_str_eq(stale, "2");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(cache_fills_only_with_update_metadata),
        cmocka_unit_test(caches_learn_an_election_one_trip_later),
        cmocka_unit_test(restarted_broker_starts_with_an_empty_cache),
        cmocka_unit_test(first_send_waits_for_a_metadata_answer),
        cmocka_unit_test(equivalent_answers_back_off_exponentially),
        cmocka_unit_test(find_coordinator_answers_from_the_cache),
        cmocka_unit_test(isr_expansion_needs_the_follower_alive_in_the_leaders_cache),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
