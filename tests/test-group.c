/* SPDX-License-Identifier: MIT */
/*
 * test-group.c - the group coordinator's rules (sim/group.c), as a user
 * of kafka-consumer-groups.sh would see them:
 *  - the coordinator is the leader of partition abs(hashCode(group.id)) %
 *    offsets.topic.num.partitions of __consumer_offsets, which is created
 *    on first use (Kafka's vectors, end to end);
 *  - a new group waits group.initial.rebalance.delay.ms, extended while
 *    members keep joining, then goes CompletingRebalance -> Stable with
 *    generation 1; every later rebalance adds one;
 *  - a consumer that stops leaves at once (LeaveGroup), one that crashes
 *    is removed only when its session times out;
 *  - __consumer_offsets is not created while fewer brokers are alive than
 *    offsets.topic.replication.factor;
 *  - the members' partition.assignment.strategy lists choose the assignor
 *    by vote (selectProtocol), and a member with none in common is refused;
 *  - a second process with a static member's group.instance.id takes its
 *    place, and the first is fenced.
 * The Kafka sources cited are those of 3.9 (core GroupCoordinator.scala).
 */
#include "ks-sim-test.h"

#include "kafkasim/query-groups.h"

#include <string.h>

#define S  KS_TIME_S
#define MS KS_TIME_MS

#define CLUSTER "cluster nodes=3\nset offsets.topic.num.partitions=50\n"
#define TOPIC_T "topic t partitions=3 replication-factor=3 replica-placement-start=0\n"

/* GroupMetadataManager.partitionFor, on the running cluster: the group's
 * coordinator is the leader of that partition of __consumer_offsets.
 * Vectors from consumer_groups.md (50 partitions). */
static void test_group_coordinator_is_the_offsets_partition_leader(void **state)
{
    static const struct {
        const char *id;
        int32_t partition;
    } vectors[] = {{"my-group", 12}, {"otherGroup", 13}, {"group1", 40}, {"hello", 22}};
    for (size_t v = 0; v < G_N_ELEMENTS(vectors); v++) {
        g_autofree char *text = g_strdup_printf(CLUSTER TOPIC_T "consumer c group=%s topics=t\n"
                                                                "run until 10s\n",
                                                vectors[v].id);
        g_autoptr(KsSimTest) t = ks_sim_test_new(text);
        ks_sim_test_run(t);
        KsGroupInfo g = ks_sim_test_group(t, vectors[v].id);
        assert_int_equal(g.offsets_partition, vectors[v].partition);
        KsPartitionInfo op = ks_sim_test_partition(t, "__consumer_offsets", vectors[v].partition);
        assert_int_equal(g.coordinator, op.leader);
        assert_true(
            ks_sim_test_find(t, 0, "\"type\":\"topic_created\",\"topic\":\"__consumer_offsets\""));
    }
}

/* InitialDelayedJoin: the first join waits 3 s; a member that joins
 * meanwhile extends it by another 3 s (at most the rebalance timeout). */
static void test_group_initial_delay_then_stable_generation_1(void **state)
{
    g_autoptr(KsSimTest) t =
        ks_sim_test_new(CLUSTER TOPIC_T "consumer c1 group=g topics=t\n"
                                        "at 2s start consumer c2 group=g topics=t\n"
                                        "run until 20s\n");
    ks_sim_test_run_until(t, 1 * S);
    KsGroupInfo g = ks_sim_test_group(t, "g");
    assert_string_equal(g.state, "PreparingRebalance");
    assert_int_equal(g.generation, 0);
    ks_sim_test_run_until(t, 5900 * MS);
    assert_string_equal(ks_sim_test_group(t, "g").state, "PreparingRebalance");
    const KsSimTestEvent *gen = ks_sim_test_find(t, 0, "\"type\":\"group_generation\"");
    assert_null(gen);
    ks_sim_test_run(t);
    gen = ks_sim_test_find(t, 0, "\"type\":\"group_generation\"");
    assert_non_null(gen);
    /* The first join arrived after a FindCoordinator that created
     * __consumer_offsets (COORDINATOR_NOT_AVAILABLE, retry.backoff.ms) and
     * a second; then +3 s, +3 s. */
    assert_true(gen->ev.t >= 6 * S && gen->ev.t < 6 * S + 500 * MS);
    assert_non_null(strstr(gen->json, "\"generation\":1,\"state\":\"CompletingRebalance\""));
    g = ks_sim_test_group(t, "g");
    assert_string_equal(g.state, "Stable");
    assert_int_equal(g.generation, 1);
    assert_int_equal(g.n_members, 2);
    assert_int_equal(g.rebalances, 1);
    assert_string_equal(g.protocol, "range");
}

/* A member that closes sends LeaveGroup: the group rebalances at once,
 * generation 2. One that crashes says nothing: it is removed when
 * session.timeout.ms has passed since its last heartbeat. */
static void test_group_leave_is_at_once_crash_waits_for_session_timeout(void **state)
{
    g_autoptr(KsSimTest) t =
        ks_sim_test_new(CLUSTER TOPIC_T "set group.initial.rebalance.delay.ms=0\n"
                                        "consumer c1 group=g topics=t\n"
                                        "consumer c2 group=g topics=t\n"
                                        "consumer c3 group=g topics=t session.timeout.ms=10s\n"
                                        "at 20s stop consumer c1\n"
                                        "at 40s crash consumer c3\n"
                                        "run until 60s\n");
    ks_sim_test_run_until(t, 19 * S);
    assert_int_equal(ks_sim_test_group(t, "g").generation, 1);
    ks_sim_test_run_until(t, 21 * S);
    const KsSimTestEvent *left = ks_sim_test_find(
        t, 20 * S, "\"type\":\"member_removed\",\"group\":\"g\",\"consumer\":\"c1\"");
    assert_non_null(left);
    assert_true(left->ev.t < 20 * S + 10 * MS);
    assert_non_null(strstr(left->json, "\"reason\":\"left\""));
    /* The others learn it from their next heartbeat (heartbeat.interval.ms)
     * and rejoin. */
    ks_sim_test_run_until(t, 24 * S);
    assert_string_equal(ks_sim_test_group(t, "g").state, "Stable");
    assert_int_equal(ks_sim_test_group(t, "g").generation, 2);
    ks_sim_test_run(t);
    const KsSimTestEvent *gone = ks_sim_test_find(
        t, 40 * S, "\"type\":\"member_removed\",\"group\":\"g\",\"consumer\":\"c3\"");
    assert_non_null(gone);
    assert_non_null(strstr(gone->json, "\"reason\":\"session timeout\""));
    /* Its last heartbeat was at most heartbeat.interval.ms (3 s) before
     * the crash. */
    assert_true(gone->ev.t > 40 * S + 7 * S && gone->ev.t <= 40 * S + 10 * S + 10 * MS);
    KsGroupInfo g = ks_sim_test_group(t, "g");
    assert_int_equal(g.generation, 3);
    assert_int_equal(g.n_members, 1);
    assert_int_equal(g.rebalances, 3);
}

/* Kafka 3.x refuses to create __consumer_offsets with fewer live brokers
 * than offsets.topic.replication.factor: no coordinator, no group. */
static void test_group_no_offsets_topic_without_enough_brokers(void **state)
{
    g_autoptr(KsSimTest) t = ks_sim_test_new("cluster nodes=1\n"
                                             "topic t partitions=1 replication-factor=1\n"
                                             "consumer c group=g topics=t\n"
                                             "run until 10s\n");
    ks_sim_test_run(t);
    assert_null(ks_sim_test_find(t, 0, "\"topic\":\"__consumer_offsets\""));
    KsGroupInfo g = ks_sim_test_group(t, "g");
    assert_int_equal(g.generation, 0);
    assert_int_equal(g.coordinator, KS_NO_BROKER);
    g_autoptr(KsSimTest) t1 = ks_sim_test_new("cluster nodes=1\n"
                                              "set offsets.topic.replication.factor=1\n"
                                              "topic t partitions=1 replication-factor=1\n"
                                              "consumer c group=g topics=t\n"
                                              "run until 10s\n");
    ks_sim_test_run(t1);
    assert_string_equal(ks_sim_test_group(t1, "g").state, "Stable");
    assert_int_equal(ks_sim_test_group(t1, "g").coordinator, 1);
}

/* A third member joins a group of two with six partitions. Eager: every
 * member revokes everything, one rebalance. Cooperative (KIP-429): the
 * first rebalance takes one partition from each old member and gives it to
 * nobody; they revoke just that one and rejoin, and the follow-up
 * rebalance hands both to the newcomer. */
static void test_group_cooperative_revokes_only_what_moves(void **state)
{
    for (int coop = 0; coop < 2; coop++) {
        g_autofree char *text = g_strdup_printf(
            "cluster nodes=3\n"
            "set offsets.topic.num.partitions=3 group.initial.rebalance.delay.ms=1000\n"
            "topic t partitions=6 replication-factor=3 replica-placement-start=0\n"
            "group g assignor=%s\n"
            "consumer c1 group=g topics=t\n"
            "consumer c2 group=g topics=t\n"
            "at 10s start consumer c3 group=g topics=t\n"
            "run until 30s\n",
            coop ? "cooperative-sticky" : "sticky");
        g_autoptr(KsSimTest) t = ks_sim_test_new(text);
        ks_sim_test_run(t);
        KsGroupInfo g = ks_sim_test_group(t, "g");
        assert_string_equal(g.rebalance_protocol, coop ? "cooperative" : "eager");
        assert_int_equal(g.generation, coop ? 3 : 2);
        size_t gi = 0;
        assert_true(ks_query_find_group(t->sim, "g", &gi));
        g_autoptr(GArray) members = ks_query_group_members(t->sim, gi);
        assert_int_equal(members->len, 3);
        for (guint i = 0; i < members->len; i++)
            assert_int_equal(g_array_index(members, KsMemberInfo, i).n_assigned, 2);
        for (const char *const *c = (const char *const[]){"c1", "c2", NULL}; *c; c++) {
            g_autofree char *match = g_strdup_printf(
                "\"type\":\"partitions_revoked\",\"group\":\"g\",\"consumer\":\"%s\"", *c);
            const KsSimTestEvent *rev = ks_sim_test_find(t, 10 * S, match);
            assert_non_null(rev);
            /* Cooperative: one partition; eager: its three. */
            int n = 0;
            for (const char *p = rev->json; (p = strstr(p, "\"partition\":")); p++)
                n++;
            assert_int_equal(n, coop ? 1 : 3);
        }
    }
}

/* Static membership (KIP-345): a member with group.instance.id that comes
 * back within its session timeout takes its old place -- same generation,
 * same partitions, no rebalance; it does not leave on close, so only its
 * session timeout moves its partitions. */
static void test_group_static_member_restart_causes_no_rebalance(void **state)
{
    g_autoptr(KsSimTest) t =
        ks_sim_test_new("cluster nodes=3\n"
                        "set offsets.topic.num.partitions=3 group.initial.rebalance.delay.ms=1000\n"
                        "topic t partitions=4 replication-factor=3 replica-placement-start=0\n"
                        "consumer c1 group=g topics=t group.instance.id=a session.timeout.ms=10s\n"
                        "consumer c2 group=g topics=t group.instance.id=b session.timeout.ms=10s\n"
                        "at 10s crash consumer c1\n"
                        "at 15s start consumer c1\n"
                        "at 20s stop consumer c2\n"
                        "run until 40s\n");
    ks_sim_test_run_until(t, 19 * S);
    assert_int_equal(ks_sim_test_count(t, 5 * S, 19 * S, "\"type\":\"group_rebalancing\""), 0);
    KsGroupInfo g = ks_sim_test_group(t, "g");
    assert_int_equal(g.generation, 1);
    assert_non_null(ks_sim_test_find(t, 15 * S,
                                     "\"type\":\"partitions_assigned\",\"group\":\"g\","
                                     "\"consumer\":\"c1\",\"generation\":1,\"partitions\":"
                                     "[{\"topic\":\"t\",\"partition\":0},{\"topic\":\"t\","
                                     "\"partition\":1}]"));
    size_t gi = 0;
    assert_true(ks_query_find_group(t->sim, "g", &gi));
    g_autoptr(GArray) members = ks_query_group_members(t->sim, gi);
    assert_string_equal(g_array_index(members, KsMemberInfo, 0).instance_id, "a");
    /* c2 closed at 20 s without LeaveGroup: removed at its session
     * timeout, 10 s after its last heartbeat. */
    ks_sim_test_run(t);
    const KsSimTestEvent *gone = ks_sim_test_find(
        t, 20 * S, "\"type\":\"member_removed\",\"group\":\"g\",\"consumer\":\"c2\"");
    assert_non_null(gone);
    assert_true(gone->ev.t > 27 * S && gone->ev.t <= 30 * S + 10 * MS);
    assert_int_equal(ks_sim_test_group(t, "g").generation, 2);
}

/* A session timeout outside [group.min.session.timeout.ms,
 * group.max.session.timeout.ms] is refused at JoinGroup
 * (INVALID_SESSION_TIMEOUT); a member that does not poll within
 * max.poll.interval.ms is sent out by its own heartbeat thread (LeaveGroup)
 * and the group rebalances without it. */
static void test_group_session_bounds_and_poll_timeout(void **state)
{
    g_autoptr(KsSimTest) t = ks_sim_test_new("cluster nodes=3\n"
                                             "set offsets.topic.num.partitions=3\n"
                                             "topic t\n"
                                             "consumer c group=g topics=t session.timeout.ms=3s\n"
                                             "run until 10s\n");
    ks_sim_test_run(t);
    assert_non_null(ks_sim_test_find(t, 0,
                                     "\"type\":\"consumer_failed\",\"consumer\":\"c\","
                                     "\"group\":\"g\",\"error\":\"INVALID_SESSION_TIMEOUT\""));
    assert_int_equal(ks_sim_test_group(t, "g").n_members, 0);

    g_autoptr(KsSimTest) t2 =
        ks_sim_test_new("cluster nodes=3\n"
                        "set offsets.topic.num.partitions=3 group.initial.rebalance.delay.ms=1000\n"
                        "topic t partitions=2 replication-factor=3\n"
                        "producer p topic=t rate=100/s\n"
                        "consumer slow group=g topics=t processing=100ms max.poll.interval.ms=10s\n"
                        "consumer fast group=g topics=t processing=1ms\n"
                        "run until 60s\n");
    ks_sim_test_run(t2);
    const KsSimTestEvent *out =
        ks_sim_test_find(t2, 0,
                         "\"type\":\"member_removed\",\"group\":\"g\",\"consumer\":\"slow\","
                         "\"reason\":\"max.poll.interval.ms\"");
    assert_non_null(out);
    KsGroupInfo g = ks_sim_test_group(t2, "g");
    assert_int_equal(g.n_members, 1);
    assert_int_equal(g.generation, 2);
}

/* selectProtocol: the candidates are the assignors every member
 * supports; each member votes for the first candidate in its own list,
 * and the most votes win (range, 2 to 1). A consumer that supports none of
 * the group's protocols is refused: its poll throws
 * INCONSISTENT_GROUP_PROTOCOL. Only cooperative-sticky in every list
 * rebalances cooperatively. */
static void test_group_members_vote_for_the_assignor(void **state)
{
    g_autoptr(KsSimTest) t = ks_sim_test_new(
        CLUSTER "set group.initial.rebalance.delay.ms=1s\n" TOPIC_T
                "consumer a group=g topics=t partition.assignment.strategy=roundrobin,range\n"
                "consumer b group=g topics=t partition.assignment.strategy=range,roundrobin\n"
                "consumer c group=g topics=t partition.assignment.strategy="
                "org.apache.kafka.clients.consumer.RangeAssignor,roundrobin,sticky\n"
                "consumer e group=h topics=t partition.assignment.strategy=cooperative-sticky\n"
                "consumer f group=k topics=t partition.assignment.strategy="
                "range,cooperative-sticky\n"
                "at 5s start consumer d group=g topics=t partition.assignment.strategy=sticky\n"
                "run until 10s\n");
    ks_sim_test_run(t);
    KsGroupInfo g = ks_sim_test_group(t, "g");
    ks_assert_str_eq(g.protocol, "range");
    assert_int_equal(g.generation, 1);
    assert_int_equal(g.n_members, 3);
    assert_non_null(ks_sim_test_find(t, 5 * S,
                                     "\"consumer\":\"d\",\"group\":\"g\",\"error\":"
                                     "\"INCONSISTENT_GROUP_PROTOCOL\""));
    ks_assert_str_eq(ks_sim_test_group(t, "h").rebalance_protocol, "cooperative");
    ks_assert_str_eq(ks_sim_test_group(t, "k").rebalance_protocol, "eager");
    ks_assert_str_eq(ks_sim_test_group(t, "k").protocol, "range");
}

/* Two processes with one group.instance.id: the second takes the static
 * member's place without a rebalance, and the first, fenced, stops at its
 * next heartbeat (FencedInstanceIdException). */
static void test_group_duplicate_instance_id_is_fenced(void **state)
{
    g_autoptr(KsSimTest) t =
        ks_sim_test_new(CLUSTER "set group.initial.rebalance.delay.ms=0\n" TOPIC_T
                                "consumer x group=g topics=t group.instance.id=s1\n"
                                "consumer o group=g topics=t\n"
                                "at 5s start consumer y group=g topics=t group.instance.id=s1\n"
                                "run until 15s\n");
    ks_sim_test_run(t);
    const KsSimTestEvent *e = ks_sim_test_find(
        t, 5 * S, "\"consumer\":\"x\",\"group\":\"g\",\"error\":\"FENCED_INSTANCE_ID\"");
    assert_non_null(e);
    assert_true(e->ev.t < 5 * S + 3500 * MS); /* its next heartbeat */
    KsConsumerInfo x, y;
    assert_true(ks_query_find_consumer(t->sim, "x", &x));
    assert_true(ks_query_find_consumer(t->sim, "y", &y));
    assert_false(x.running);
    assert_true(y.running);
    KsGroupInfo g = ks_sim_test_group(t, "g");
    ks_assert_str_eq(g.state, "Stable");
    assert_int_equal(g.n_members, 2);
    assert_int_equal(g.generation, 2); /* x, then o; y caused none */
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_group_coordinator_is_the_offsets_partition_leader),
        cmocka_unit_test(test_group_initial_delay_then_stable_generation_1),
        cmocka_unit_test(test_group_leave_is_at_once_crash_waits_for_session_timeout),
        cmocka_unit_test(test_group_no_offsets_topic_without_enough_brokers),
        cmocka_unit_test(test_group_cooperative_revokes_only_what_moves),
        cmocka_unit_test(test_group_static_member_restart_causes_no_rebalance),
        cmocka_unit_test(test_group_session_bounds_and_poll_timeout),
        cmocka_unit_test(test_group_members_vote_for_the_assignor),
        cmocka_unit_test(test_group_duplicate_instance_id_is_fenced),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
