/* SPDX-License-Identifier: MIT */
/*
 * test-group-load.c - a group's coordinator changing, and its end
 * (sim/group-load.c), as kafka-consumer-groups.sh would show it:
 *  - `delete group` is refused with NON_EMPTY_GROUP while the group has
 *    members, deletes an Empty one (Dead, its committed offsets gone), and
 *    answers GROUP_ID_NOT_FOUND for a Dead or unknown group; consumers
 *    that come back start a new group (generation 1, auto.offset.reset);
 *  - a coordinator that dies gives its groups up: Dead until the new
 *    coordinator loads them, then Stable again with their offsets;
 *  - an Empty group's offsets expire offsets.retention.minutes after it
 *    became Empty, at the next offsets.retention.check.interval.ms check,
 *    and an Empty group without offsets is Dead at the next check;
 *  - deletion tombstones the new leader never got are not a deletion: the
 *    group and its offsets come back after the failover.
 * The Kafka sources cited are those of 3.9 (core GroupCoordinator.scala,
 * GroupMetadataManager.scala).
 */
#include "ks-sim-test.h"

#include "kafkasim/query-groups.h"

#include <string.h>

#define S KS_TIME_S

#define BASE                                                                                       \
    "cluster nodes=3\n"                                                                            \
    "set offsets.topic.num.partitions=1 group.initial.rebalance.delay.ms=0\n"                      \
    "topic t partitions=2 replication-factor=3 replica-placement-start=0\n"                        \
    "consumer c group=g topics=t auto.offset.reset=earliest\n"

/* The committed offset of t-@p for @group, -1 for none. */
static int64_t committed(const KsSimTest *t, const char *group, int32_t p)
{
    size_t gi;
    assert_true(ks_query_find_group(t->sim, group, &gi));
    g_autoptr(GArray) rows = ks_query_group_offsets(t->sim, gi);
    for (guint i = 0; i < rows->len; i++) {
        const KsGroupOffsetInfo *r = &g_array_index(rows, KsGroupOffsetInfo, i);
        if (strcmp(r->topic, "t") == 0 && r->partition == p)
            return r->committed;
    }
    return -1;
}

/* handleDeleteGroups: Stable -> NON_EMPTY_GROUP; Empty -> Dead, offsets
 * removed; Dead -> GROUP_ID_NOT_FOUND. A consumer that comes back creates
 * the group anew and reads from auto.offset.reset: everything again. */
static void test_group_delete_only_when_empty(void **state)
{
    g_autoptr(KsSimTest) t = ks_sim_test_new(BASE "at 1s produce topic=t count=40\n"
                                                  "at 10s delete group g\n"
                                                  "at 12s stop consumer c\n"
                                                  "at 15s delete group g\n"
                                                  "at 16s delete group g\n"
                                                  "at 20s start consumer c\n"
                                                  "run until 30s\n");
    ks_sim_test_run_until(t, 11 * S);
    assert_non_null(ks_sim_test_find(t, 10 * S,
                                     "\"type\":\"group_delete\",\"group\":\"g\",\"offsets\":0,"
                                     "\"error\":\"NON_EMPTY_GROUP\",\"state\":\"Stable\""));
    assert_string_equal(ks_sim_test_group(t, "g").state, "Stable");

    ks_sim_test_run_until(t, 14 * S);
    assert_string_equal(ks_sim_test_group(t, "g").state, "Empty");
    assert_int_equal(committed(t, "g", 1), 40);
    ks_sim_test_run_until(t, 15 * S);
    assert_non_null(ks_sim_test_find(
        t, 15 * S, "\"type\":\"group_delete\",\"group\":\"g\",\"offsets\":2,\"state\":\"Dead\""));
    assert_string_equal(ks_sim_test_group(t, "g").state, "Dead");
    assert_int_equal(committed(t, "g", 0), -1);
    assert_int_equal(committed(t, "g", 1), -1);

    ks_sim_test_run_until(t, 17 * S);
    assert_non_null(
        ks_sim_test_find(t, 16 * S, "\"error\":\"GROUP_ID_NOT_FOUND\",\"state\":\"Dead\""));

    ks_sim_test_run(t);
    KsGroupInfo g = ks_sim_test_group(t, "g");
    assert_string_equal(g.state, "Stable");
    assert_int_equal(g.generation, 1);
    assert_int_equal(ks_sim_test_consumed(t, "c"), 80);
    assert_int_equal(g.records_duplicated, 40);
}

/* A group nobody has used does not exist for the coordinator. */
static void test_group_delete_unknown_group(void **state)
{
    g_autoptr(KsSimTest) t = ks_sim_test_new(BASE "group h\n"
                                                  "at 5s delete group h\n"
                                                  "run until 6s\n");
    ks_sim_test_run(t);
    assert_non_null(ks_sim_test_find(
        t, 5 * S, "\"group\":\"h\",\"offsets\":0,\"error\":\"GROUP_ID_NOT_FOUND\""));
}

/* onResignation: the coordinator's process dies and the group is Dead
 * there; the new leader of the offsets partition loads it, Stable again,
 * with its committed offsets. */
static void test_group_dead_while_its_coordinator_moves(void **state)
{
    g_autoptr(KsSimTest) probe = ks_sim_test_new(BASE "run until 8s\n");
    ks_sim_test_run(probe);
    KsBrokerId coord = ks_sim_test_group(probe, "g").coordinator;
    assert_true(coord != KS_NO_BROKER);

    g_autofree char *text = g_strdup_printf(BASE "at 1s produce topic=t count=40\n"
                                                 "at 10s crash broker %d\n"
                                                 "run until 40s\n",
                                            coord);
    g_autoptr(KsSimTest) t = ks_sim_test_new(text);
    ks_sim_test_run_until(t, 10 * S);
    int64_t before = committed(t, "g", 1);
    assert_int_equal(before, 40);
    assert_string_equal(ks_sim_test_group(t, "g").state, "Dead");
    g_autofree char *match =
        g_strdup_printf("\"type\":\"group_unloaded\",\"group\":\"g\",\"broker\":%d,"
                        "\"reason\":\"broker died\"",
                        coord);
    const KsSimTestEvent *e = ks_sim_test_find(t, 10 * S, match);
    assert_non_null(e);
    assert_int_equal(e->ev.t, 10 * S);

    ks_sim_test_run(t);
    KsGroupInfo g = ks_sim_test_group(t, "g");
    assert_string_equal(g.state, "Stable");
    assert_true(g.coordinator != coord);
    assert_non_null(ks_sim_test_find(t, 10 * S, "\"type\":\"group_loaded\",\"group\":\"g\""));
    assert_int_equal(committed(t, "g", 1), before);
}

/* KIP-211: the offsets of a group Empty since 12 s expire once it has
 * been Empty for a minute, at the first check after that (checks every
 * 10 s: 80 s); the group is Dead. */
static void test_group_offsets_expire_after_retention(void **state)
{
    g_autoptr(KsSimTest) t = ks_sim_test_new(
        BASE "set offsets.retention.minutes=1 offsets.retention.check.interval.ms=10s\n"
             "at 1s produce topic=t count=40\n"
             "at 12s stop consumer c\n"
             "run until 90s\n");
    ks_sim_test_run_until(t, 79 * S);
    assert_string_equal(ks_sim_test_group(t, "g").state, "Empty");
    assert_int_equal(committed(t, "g", 1), 40);
    ks_sim_test_run(t);
    const KsSimTestEvent *e =
        ks_sim_test_find(t, 0, "\"type\":\"offsets_expired\",\"group\":\"g\",\"offsets\":2");
    assert_non_null(e);
    assert_int_equal(e->ev.t, 80 * S);
    assert_string_equal(ks_sim_test_group(t, "g").state, "Dead");
    assert_int_equal(committed(t, "g", 1), -1);
}

/* cleanupGroupMetadata: an Empty group without offsets is Dead at the
 * next check. The consumer crashed before its first auto-commit; its
 * session expires at 47 s (session.timeout.ms 45 s), checks run every
 * 30 s. */
static void test_group_empty_without_offsets_is_dead_at_next_check(void **state)
{
    g_autoptr(KsSimTest) t = ks_sim_test_new(BASE "set offsets.retention.check.interval.ms=30s\n"
                                                  "at 1s produce topic=t count=40\n"
                                                  "at 2s crash consumer c\n"
                                                  "run until 70s\n");
    ks_sim_test_run_until(t, 59 * S);
    assert_string_equal(ks_sim_test_group(t, "g").state, "Empty");
    assert_int_equal(committed(t, "g", 1), -1);
    ks_sim_test_run(t);
    const KsSimTestEvent *e =
        ks_sim_test_find(t, 0, "\"type\":\"offsets_expired\",\"group\":\"g\",\"offsets\":0");
    assert_non_null(e);
    assert_int_equal(e->ev.t, 60 * S);
    assert_string_equal(ks_sim_test_group(t, "g").state, "Dead");
}

/* The tombstones are appended acks=0: the followers of the offsets
 * partition are down when the group is deleted, and its leader dies at
 * once. The broker that leads next never had them: it loads the group
 * (Empty) and its offsets as they were. */
static void test_group_delete_lost_with_its_coordinator(void **state)
{
    g_autoptr(KsSimTest) probe = ks_sim_test_new(BASE "run until 8s\n");
    ks_sim_test_run(probe);
    KsBrokerId coord = ks_sim_test_group(probe, "g").coordinator;
    KsBrokerId others[2];
    for (int b = 1, k = 0; b <= 3; b++)
        if (b != coord)
            others[k++] = b;

    g_autofree char *text = g_strdup_printf(BASE "at 1s produce topic=t count=40\n"
                                                 "at 12s stop consumer c\n"
                                                 "at 13s crash broker %d\n"
                                                 "at 13s crash broker %d\n"
                                                 "at 15s delete group g\n"
                                                 "at 15s crash broker %d\n"
                                                 "at 40s restart broker %d\n"
                                                 "run until 50s\n",
                                            others[0], others[1], coord, others[0]);
    g_autoptr(KsSimTest) t = ks_sim_test_new(text);
    ks_sim_test_run_until(t, 16 * S);
    assert_non_null(ks_sim_test_find(t, 15 * S,
                                     "\"type\":\"group_delete\",\"group\":\"g\","
                                     "\"offsets\":2,\"state\":\"Dead\""));
    assert_string_equal(ks_sim_test_group(t, "g").state, "Dead");
    ks_sim_test_run(t);
    KsGroupInfo g = ks_sim_test_group(t, "g");
    assert_int_equal(g.coordinator, others[0]);
    assert_string_equal(g.state, "Empty");
    assert_int_equal(committed(t, "g", 1), 40);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_group_delete_only_when_empty),
        cmocka_unit_test(test_group_delete_unknown_group),
        cmocka_unit_test(test_group_dead_while_its_coordinator_moves),
        cmocka_unit_test(test_group_offsets_expire_after_retention),
        cmocka_unit_test(test_group_empty_without_offsets_is_dead_at_next_check),
        cmocka_unit_test(test_group_delete_lost_with_its_coordinator),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
