/* SPDX-License-Identifier: MIT */
/*
 * test-reassign.c - partition reassignment (sim/reassign.c) and its plans
 * (sim/reassign-plan.c):
 *
 *  - the controller's phases as KafkaController.onPartitionReassignment
 *    runs them: RS = TRS + (ORS - TRS) with a new leader epoch, the new
 *    replica copies and joins the ISR, the leader moves into TRS, the
 *    removed replica leaves the ISR (one epoch each) and the assignment is
 *    TRS;
 *  - under load, with every invariant checked after every event: no
 *    acknowledged record lost, never a partition without a leader;
 *  - the throttle paces the copy at its rate;
 *  - a plan is AdminUtils' placement over the brokers given: Kafka's own
 *    examples (the AdminUtils javadoc table, AdminRackAwareTest), and the
 *    same plan for the same seed.
 *  - a topic's replica-assignment= places and leads as written, and
 *    partitions added to it later are placed by Kafka's own rule.
 */
#include "ks-model-test.h"
#include "ks-sim-test.h"

#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

#include "kafkasim/partitioner.h"
#include "kafkasim/query.h"

#define S  KS_TIME_S
#define MS KS_TIME_MS

static KsTime when(const KsSimTest *t, KsTime from, const char *match)
{
    const KsSimTestEvent *e = ks_sim_test_find(t, from, match);
    if (!e)
        fail_msg("no event %s after %" PRId64 " us", match, from);
    return e->ev.t;
}

/* The replicas of @topic-@index in assignment order, e.g. "4,2,3,1". */
static char *assigned(const KsSimTest *t, const char *topic, int32_t index)
{
    KsPartitionInfo p = ks_sim_test_partition(t, topic, index);
    GString *s = g_string_new(NULL);
    for (int32_t i = 0; i < p.n_replicas; i++)
        g_string_append_printf(s, "%s%" PRId32, i ? "," : "",
                               ks_sim_test_assigned(t, topic, index, i));
    return g_string_free(s, FALSE);
}

/* Partitions 0 .. @n - 1 of @topic are on @want[p] (as assigned() writes
 * them), each led by its first replica. */
static void assert_placed(const KsSimTest *t, const char *topic, const char *const *want, int32_t n)
{
    for (int32_t p = 0; p < n; p++) {
        g_autofree char *got = assigned(t, topic, p);
        ks_assert_str_eq(got, want[p]);
        ks_assert_i64_eq(ks_sim_test_partition(t, topic, p).leader, atoi(want[p]));
    }
}

/* AddPartitionsTest#testReplicaPlacementAllServers: brokers 0..3,
 * partition 0 on [2,3,0,1], grown to 7 partitions. */
static const char *const all_servers_grown[] = {"2,3,0,1", "3,2,0,1", "0,3,1,2", "1,0,2,3",
                                                "2,3,0,1", "3,0,1,2", "0,1,2,3"};

/* Four machines of 1 Gbit/s; t-0 on brokers 1,2,3 led by 1; 1,000
 * records/s of 1 kB, acks=all. */
#define FOUR                                                                                       \
    "seed 5\n"                                                                                     \
    "node-type m vcpus=4 memory=16GB network=1Gbit/s disk=500MB/s disk-size=500GB price=0.2/h\n"   \
    "cluster nodes=4 type=m\n"                                                                     \
    "topic t partitions=1 replication-factor=3 min.insync.replicas=2 "                             \
    "replica-placement-start=0\n"                                                                  \
    "producer p topic=t rate=1000/s record-size=1000 acks=all\n"

/* Kafka's phases, one after the other, with the leader epochs they write. */
static void test_reassign_phases(void **state)
{
    g_autoptr(KsSimTest) t =
        ks_sim_test_new(FOUR "at 5s reassign t-0 replicas=4,2,3 throttle=3MB/s\nrun until 30s\n");
    ks_sim_test_run_until(t, 5 * S);
    /* Phase A: RS = TRS, then the original replicas not in it; epoch + 1. */
    g_autofree char *rs = assigned(t, "t", 0);
    ks_assert_str_eq(rs, "4,2,3,1");
    KsPartitionInfo p = ks_sim_test_partition(t, "t", 0);
    ks_assert_i64_eq(p.leader, 1);
    ks_assert_i64_eq(p.leader_epoch, 1);
    assert_non_null(
        ks_sim_test_find(t, 5 * S,
                         "\"type\":\"reassign_started\",\"topic\":\"t\",\"partition\":0,"
                         "\"replicas\":[4,2,3],\"previous\":[1,2,3],\"leader\":1,"
                         "\"leader_epoch\":1,\"throttle\":3000000"));
    /* The new replica copies ~5 MB at 3 MB/s while 1 MB/s more arrives, so
     * it is not done at 6 s. */
    ks_sim_test_run_until(t, 6 * S);
    KsReplicaInfo r4 = ks_sim_test_replica(t, "t", 0, 4);
    assert_false(r4.in_isr);
    assert_true(r4.log_end_offset > 0);
    ks_sim_test_run(t);
    KsTime caught = when(t, 5 * S,
                         "\"type\":\"reassign_caught_up\",\"topic\":\"t\","
                         "\"partition\":0,\"broker\":4");
    KsTime joined = when(t, 5 * S,
                         "\"type\":\"isr_expanded\",\"topic\":\"t\",\"partition\":0,"
                         "\"broker\":4");
    ks_assert_i64_eq(caught, joined);
    /* Phase B, at once: the leader moves into TRS (first live in-sync
     * replica of TRS: 4), then broker 1 leaves the ISR; one epoch each. */
    KsTime moved = when(t, caught,
                        "\"type\":\"leader_elected\",\"topic\":\"t\",\"partition\":0,"
                        "\"leader\":4,\"previous_leader\":1,\"leader_epoch\":2");
    KsTime dropped = when(t, caught,
                          "\"type\":\"isr_shrunk\",\"topic\":\"t\",\"partition\":0,\"broker\":1,"
                          "\"leader_epoch\":3,\"isr\":[2,3,4],\"reason\":\"reassignment\"");
    KsTime done = when(t, caught,
                       "\"type\":\"reassign_completed\",\"topic\":\"t\",\"partition\":0,"
                       "\"replicas\":[4,2,3],\"previous\":[1,2,3],\"leader\":4,\"leader_epoch\":3");
    ks_assert_i64_eq(moved, caught);
    ks_assert_i64_eq(dropped, caught);
    ks_assert_i64_eq(done, caught);
    g_autofree char *trs = assigned(t, "t", 0);
    ks_assert_str_eq(trs, "4,2,3");
    KsBrokerInfo b1 = ks_sim_test_broker(t, 1);
    assert_true(b1.alive);
    KsSimStats st;
    ks_sim_get_stats(t->sim, &st);
    ks_assert_i64_eq(st.records_lost, 0);
    ks_assert_i64_eq(st.unavailable_us, 0);
}

/* A reassignment that only reorders the replicas, or keeps the leader,
 * completes at once: the leader stays and only its epoch moves (after the
 * controller's first automatic preferred-leader check, at 5 s). */
static void test_reassign_keeping_the_leader(void **state)
{
    g_autoptr(KsSimTest) t =
        ks_sim_test_new(FOUR "at 6s reassign t-0 replicas=3,2,1\nrun until 8s\n");
    ks_sim_test_run(t);
    KsTime done = when(t, 6 * S, "\"type\":\"reassign_completed\"");
    ks_assert_i64_eq(done, 6 * S);
    KsPartitionInfo p = ks_sim_test_partition(t, "t", 0);
    ks_assert_i64_eq(p.leader, 1);
    ks_assert_i64_eq(p.leader_epoch, 2);
    g_autofree char *trs = assigned(t, "t", 0);
    ks_assert_str_eq(trs, "3,2,1");
    ks_assert_i64_eq(ks_sim_test_count(t, 0, 8 * S, "\"type\":\"leader_elected\""), 1);
}

/* A partition already moving is not moved again; the second asks says so. */
static void test_reassign_one_at_a_time(void **state)
{
    g_autoptr(KsSimTest) t =
        ks_sim_test_new(FOUR "at 5s reassign t-0 replicas=4,2,3 throttle=1MB/s\n"
                             "at 6s reassign t-0 replicas=1,2,4\n"
                             "run until 8s\n");
    ks_sim_test_run(t);
    assert_non_null(ks_sim_test_find(t, 6 * S, "is already being reassigned"));
    ks_assert_i64_eq(ks_sim_test_count(t, 0, 8 * S, "\"type\":\"reassign_started\""), 1);
}

/* The copy takes what the throttle allows: 10 MB at 1 MB/s is about ten
 * seconds, and without a throttle a 1 Gbit/s link moves it in a fraction
 * of one. */
static KsTime copy_time(const char *throttle)
{
    g_autofree char *text = g_strdup_printf(
        FOUR "at 10s stop producer p\nat 11s reassign t-0 replicas=4,2,3%s\nrun until 40s\n",
        throttle);
    g_autoptr(KsSimTest) t = ks_sim_test_new(text);
    ks_sim_test_run(t);
    KsReplicaInfo r4 = ks_sim_test_replica(t, "t", 0, 4);
    ks_assert_i64_eq(r4.log_end_offset, 10000);
    return when(t, 11 * S, "\"type\":\"reassign_completed\"") - 11 * S;
}

static void test_reassign_throttle_paces_the_copy(void **state)
{
    KsTime throttled = copy_time(" throttle=1MB/s");
    KsTime free_run = copy_time("");
    assert_in_range(throttled, 9 * S, 11 * S);
    assert_true(free_run < 500 * MS);
}

/* Under load, every invariant holds after every event (the replicas and the
 * ISR of a partition being moved included), the leader moves with no
 * acknowledged record lost and no instant without a leader. */
static void test_reassign_under_load_keeps_invariants(void **state)
{
    const char *text =
        FOUR "topic u partitions=3 replication-factor=2 min.insync.replicas=1\n"
             "producer q topic=u rate=800/s keys=50 acks=all metadata.max.age.ms=5s\n"
             "at 1s add node n5 type=m\n"
             "at 1s add broker 5 node=n5\n"
             "at 3s reassign t-0 replicas=4,5,2 throttle=3MB/s\n"
             "at 4s reassign all brokers=1..5 throttle=2MB/s placement-start=1\n"
             "at 6s crash broker 3\n"
             "at 20s add partitions u count=5\n"
             "at 30s restart broker 3\n"
             "at 50s stop producer p\n"
             "at 50s stop producer q\n"
             "run until 60s\n"
             "expect no-acked-data-loss\n"
             "expect replicas t-0 == {2,4,5}\n"
             "expect leader t-0 == 4\n";
    Run r;
    run_checked(&r, "reassign-under-load.ks", text, DENSE);
    assert_expectations(&r);
    assert_nothing_lost(&r, true);
    assert_healed(&r);
    run_clear(&r);
}

/* The plan is AdminUtils.assignReplicasToBrokers over the brokers given:
 * with a fixed start index 0, brokers 0..4, 10 partitions, replication
 * factor 3, Kafka's javadoc table (AdminRackAwareTest#testReplicaAssignment,
 * tests/refs/replica_assignment.md). */
static void test_reassign_plan_is_kafkas_table(void **state)
{
    g_autoptr(KsSimTest) t =
        ks_sim_test_new("seed 1\nnode n1\nnode n2\nnode n3\nnode n4\nnode n5\n"
                        "broker 0 node=n1\nbroker 1 node=n2\nbroker 2 node=n3\nbroker 3 node=n4\n"
                        "broker 4 node=n5\n"
                        "topic t partitions=10 replication-factor=3 replica-placement-start=3\n"
                        "at 1s reassign topic t brokers=0..4 placement-start=0\n"
                        "run until 20s\n");
    ks_sim_test_run(t);
    static const char *const want[] = {"0,1,2", "1,2,3", "2,3,4", "3,4,0", "4,0,1",
                                       "0,2,3", "1,3,4", "2,4,0", "3,0,1", "4,1,2"};
    for (int32_t p = 0; p < 10; p++) {
        g_autofree char *got = assigned(t, "t", p);
        ks_assert_str_eq(got, want[p]);
    }
    assert_non_null(ks_sim_test_find(t, S,
                                     "\"type\":\"reassign_planned\",\"topic\":\"t\","
                                     "\"brokers\":[0,1,2,3,4],\"moves\":[\"t-0: 3,2,4 -> "
                                     "0,1,2\""));
}

/* Rack-aware (AdminRackAwareTest#testGetRackAlternatedBrokerListAndAssign
 * ReplicasToBrokers): racks {0:rack1, 1:rack3, 2:rack3, 3:rack2, 4:rack2,
 * 5:rack1}, 7 partitions, replication factor 3, fixed start 0. */
static void test_reassign_plan_is_rack_aware(void **state)
{
    g_autoptr(KsSimTest) t = ks_sim_test_new(
        "seed 1\nnode n1\nnode n2\nnode n3\nnode n4\nnode n5\nnode n6\n"
        "broker 0 node=n1 rack=rack1\nbroker 1 node=n2 rack=rack3\nbroker 2 node=n3 rack=rack3\n"
        "broker 3 node=n4 rack=rack2\nbroker 4 node=n5 rack=rack2\nbroker 5 node=n6 rack=rack1\n"
        "topic t partitions=7 replication-factor=3 replica-placement-start=2\n"
        "at 1s reassign topic t brokers={0,1,2,3,4,5} placement-start=0\n"
        "run until 20s\n");
    ks_sim_test_run(t);
    static const char *const want[] = {"0,3,1", "3,1,5", "1,5,4", "5,4,2",
                                       "4,2,0", "2,0,3", "0,4,2"};
    for (int32_t p = 0; p < 7; p++) {
        g_autofree char *got = assigned(t, "t", p);
        ks_assert_str_eq(got, want[p]);
    }
}

/* Without placement-start the plan's start and shift come from the seed:
 * the same seed, the same plan; its partitions are spread evenly. */
static char *plan_line(uint64_t seed)
{
    g_autofree char *text =
        g_strdup_printf("seed %" PRIu64 "\ncluster nodes=6\n"
                        "topic t partitions=12 replication-factor=3 replica-placement-start=0\n"
                        "at 1s reassign all brokers=1..6\nrun until 2s\n",
                        seed);
    g_autoptr(KsSimTest) t = ks_sim_test_new(text);
    ks_sim_test_run(t);
    const KsSimTestEvent *e = ks_sim_test_find(t, S, "\"type\":\"reassign_planned\"");
    assert_non_null(e);
    return g_strdup(e->json);
}

static void test_reassign_plan_follows_the_seed(void **state)
{
    g_autofree char *a = plan_line(7), *b = plan_line(7);
    ks_assert_str_eq(a, b);
    bool differs = false;
    for (uint64_t seed = 8; seed < 14 && !differs; seed++) {
        g_autofree char *c = plan_line(seed);
        differs = strcmp(a, c) != 0;
    }
    assert_true(differs);
}

/* The load each machine carries (its network's share in use over the
 * last 10 s, as describe brokers shows it) falls when the partitions are
 * spread over twice the brokers. */
static int32_t recent_in(const KsSimTest *t, size_t node)
{
    KsNodeLoadInfo load;
    ks_query_node_load(t->sim, node, &load);
    ks_assert_str_eq(load.type, "m");
    return load.recent_network_in_permille;
}

static void test_reassign_spreads_the_load(void **state)
{
    g_autoptr(KsSimTest) t = ks_sim_test_new(
        "seed 2\n"
        "node-type m vcpus=4 memory=16GB network=100Mbit/s disk=500MB/s disk-size=500GB "
        "price=0.2/h\n"
        "cluster nodes=2 type=m\n"
        "topic t partitions=4 replication-factor=2 replica-placement-start=0\n"
        "producer p topic=t rate=2000/s record-size=1000 acks=all\n"
        "at 1s add node n3 type=m\nat 1s add node n4 type=m\n"
        "at 1s add broker 3 node=n3\nat 1s add broker 4 node=n4\n"
        "at 12s reassign all brokers=1..4 placement-start=0 throttle=10MB/s\n"
        "at 30s elect-preferred\n"
        "run until 50s\n");
    ks_sim_test_run_until(t, 11 * S);
    int32_t before = recent_in(t, 0);
    ks_sim_test_run(t);
    int32_t after = recent_in(t, 0);
    /* Each of two brokers takes 1 MB/s from the producer (it leads half the
     * partitions) and 1 MB/s of replicas: 2 of its NIC's 12.5 MB/s; with
     * four brokers, half that. */
    assert_in_range(before, 140, 180);
    assert_in_range(after, before * 4 / 10, before * 6 / 10);
    int32_t new_node = recent_in(t, 2);
    assert_in_range(new_node, before * 4 / 10, before * 6 / 10);
}

/* add partitions places the new ones as AdminZkClient.addPartitions
 * does (AddPartitionsTest, ZooKeeper mode). */
static void test_add_partitions_placement_is_kafkas(void **state)
{
    g_autoptr(KsSimTest) t =
        ks_sim_test_new("seed 1\nnode n1\nnode n2\nnode n3\nnode n4\n"
                        "broker 0 node=n1\nbroker 1 node=n2\nbroker 2 node=n3\nbroker 3 node=n4\n"
                        "topic t partitions=1 replication-factor=4\n"
                        "topic u partitions=1 replication-factor=2\n"
                        "at 1s reassign t-0 replicas=2,3,0,1\n"
                        "at 1s reassign u-0 replicas=1,2\n"
                        "at 5s add partitions t count=7\n"
                        "at 5s add partitions u count=3\n"
                        "run until 8s\n");
    ks_sim_test_run(t);
    assert_placed(t, "t", all_servers_grown, 7);
    /* #testReplicaPlacementPartialServers: [1,2] grown to 3: p1 leader 2 on
     * {0,2}, p2 leader 3 on {1,3}. */
    g_autofree char *u1 = assigned(t, "u", 1), *u2 = assigned(t, "u", 2);
    ks_assert_str_eq(u1, "2,0");
    ks_assert_str_eq(u2, "3,1");
}

/* replica-assignment= puts each partition's replicas where it says, the
 * first of each list leading once the controller has created the topic
 * (KafkaController.onNewPartitionCreation: the first live replica leads).
 * Partitions added later follow AdminZkClient.addPartitions from partition
 * 0's first replica, as for any topic (all_servers_grown). */
static void test_replica_assignment_places_and_leads(void **state)
{
    g_autoptr(KsSimTest) t =
        ks_sim_test_new("seed 1\nnode n1\nnode n2\nnode n3\nnode n4\n"
                        "broker 0 node=n1\nbroker 1 node=n2\nbroker 2 node=n3\nbroker 3 node=n4\n"
                        "topic o replica-assignment=\"3:1:2,1:0:3,0:3:1,2:0:1,1:2:3\"\n"
                        "topic t replica-assignment=\"2:3:0:1\"\n"
                        "at 5s add partitions t count=7\n"
                        "run until 8s\n");
    ks_sim_test_run_until(t, 2 * S);
    static const char *const orders[] = {"3,1,2", "1,0,3", "0,3,1", "2,0,1", "1,2,3"};
    assert_placed(t, "o", orders, 5);
    ks_sim_test_run(t);
    assert_placed(t, "t", all_servers_grown, 7);
}

/* The keys that move are those murmur2 maps elsewhere; the producer and
 * the group pick the new partitions up at their metadata refresh. */
static void test_add_partitions_keys_and_clients(void **state)
{
    g_autoptr(KsSimTest) t = ks_sim_test_new(
        "seed 4\ncluster nodes=3\n"
        "topic orders partitions=3 replication-factor=2 replica-placement-start=0\n"
        "producer web topic=orders rate=300/s keys=100 acks=all metadata.max.age.ms=10s\n"
        "consumer c1 group=g topics=orders metadata.max.age.ms=10s\n"
        "at 8s add partitions orders count=6\n"
        "at 9s add partitions orders count=5\n"
        "run until 20s\n");
    ks_sim_test_run_until(t, 8 * S);
    int64_t moved = 0;
    for (int k = 0; k < 100; k++) {
        g_autofree char *key = g_strdup_printf("key-%d", k);
        moved +=
            ks_partition_for_key(key, strlen(key), 3) != ks_partition_for_key(key, strlen(key), 6);
    }
    g_autofree char *line = g_strdup_printf("\"type\":\"partitions_added\",\"topic\":\"orders\","
                                            "\"previous\":3,\"partitions\":6,\"keys\":100,"
                                            "\"keys_moved\":%" PRId64,
                                            moved);
    assert_non_null(ks_sim_test_find(t, 8 * S, line));
    assert_true(moved > 30 && moved < 70);
    /* Not used before the producer's refresh (10 s after its first answer). */
    ks_sim_test_run_until(t, 9 * S + 900 * MS);
    ks_assert_i64_eq(ks_sim_test_partition(t, "orders", 5).log_end_offset, 0);
    ks_sim_test_run(t);
    assert_true(ks_sim_test_partition(t, "orders", 5).log_end_offset > 0);
    /* No decrease. */
    assert_non_null(ks_sim_test_find(t, 9 * S, "can only be increased"));
    /* c1 leads its group alone: at its refresh it rejoins and takes all six. */
    KsGroupInfo g = ks_sim_test_group(t, "g");
    ks_assert_i64_eq(g.generation, 2);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_reassign_phases),
        cmocka_unit_test(test_reassign_keeping_the_leader),
        cmocka_unit_test(test_reassign_one_at_a_time),
        cmocka_unit_test(test_reassign_throttle_paces_the_copy),
        cmocka_unit_test(test_reassign_under_load_keeps_invariants),
        cmocka_unit_test(test_reassign_plan_is_kafkas_table),
        cmocka_unit_test(test_reassign_plan_is_rack_aware),
        cmocka_unit_test(test_reassign_plan_follows_the_seed),
        cmocka_unit_test(test_reassign_spreads_the_load),
        cmocka_unit_test(test_add_partitions_placement_is_kafkas),
        cmocka_unit_test(test_replica_assignment_places_and_leads),
        cmocka_unit_test(test_add_partitions_keys_and_clients),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
