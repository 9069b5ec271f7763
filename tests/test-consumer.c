/* SPDX-License-Identifier: MIT */
/*
 * test-consumer.c - the consumer's rules (sim/consumer.c,
 * sim/consumer-fetch.c) and the ledger's counts of what groups read
 * (sim/ledger-groups.c), as a user sees them:
 *  - where reading starts: auto.offset.reset=earliest, latest, or a seek
 *    (from-offset=); every group reads the whole topic on its own;
 *  - after a crash the next owner starts at the committed offset: the
 *    records processed but not committed are delivered again, exactly
 *    processed-minus-committed of them;
 *  - committing before processing (at-most-once) and crashing skips
 *    exactly committed-minus-processed records;
 *  - committing every N records (commit-every=) redelivers fewer than N;
 *  - a restarted dynamic consumer is a new member, and the old one stays
 *    until its session times out;
 *  - with more consumers than partitions the extra ones are idle and each
 *    partition has one owner;
 *  - the coordinator's failure keeps the committed offsets (they are
 *    replicated records of __consumer_offsets) and the group goes on.
 * A test that needs what no query shows (the offsets a group processed)
 * includes sim/consumer-private.h and says why.
 */
#include "ks-sim-test.h"

#include "kafkasim/query-groups.h"
#include "sim/consumer-private.h"

#include <string.h>

#define S  KS_TIME_S
#define MS KS_TIME_MS

#define BASE                                                                                       \
    "cluster nodes=3\n"                                                                            \
    "set offsets.topic.num.partitions=3 group.initial.rebalance.delay.ms=0\n"                      \
    "topic t partitions=1 replication-factor=3 replica-placement-start=0\n"

static KsGroupOffsetInfo offsets_of(const KsSimTest *t, const char *name, int32_t partition)
{
    size_t i = 0;
    assert_true(ks_query_find_group(t->sim, name, &i));
    g_autoptr(GArray) rows = ks_query_group_offsets(t->sim, i);
    for (guint k = 0; k < rows->len; k++) {
        KsGroupOffsetInfo r = g_array_index(rows, KsGroupOffsetInfo, k);
        if (strcmp(r.topic, "t") == 0 && r.partition == partition)
            return r;
    }
    fail_msg("group %s has no row for t-%d", name, partition);
    return (KsGroupOffsetInfo){0};
}

/* The end of what group @name processed of t-0 (no query shows it: the
 * ledger's processed ranges). */
static int64_t processed_end(const KsSimTest *t, const char *name)
{
    KsGroup *g = ks_group_get(t->sim, name);
    KsGroupPart *gp = ks_ledger_group_part(g, ks_sim_find_topic(t->sim, "t")->partitions[0]);
    assert_true(gp->processed->len > 0);
    const KsOffsetRange *r = &g_array_index(gp->processed, KsOffsetRange, gp->processed->len - 1);
    return r->first + r->count;
}

/* Three groups on one topic, each reading all of it from its own start:
 * earliest reads the 100 old records, latest only what comes after it
 * started (the high watermark then), a seek to 40 the last 60 of them. */
static void test_consumer_reads_from_earliest_latest_or_an_offset(void **state)
{
    g_autoptr(KsSimTest) t = ks_sim_test_new(
        BASE "at 1s produce topic=t count=100\n"
             "at 5s start consumer early group=g1 topics=t auto.offset.reset=earliest\n"
             "at 5s start consumer late group=g2 topics=t\n"
             "at 5s start consumer seek group=g3 topics=t from-offset=40\n"
             "at 10s produce topic=t count=10\n"
             "run until 20s\n");
    ks_sim_test_run(t);
    assert_int_equal(ks_sim_test_consumed(t, "early"), 110);
    assert_int_equal(ks_sim_test_consumed(t, "late"), 10);
    assert_int_equal(ks_sim_test_consumed(t, "seek"), 70);
    for (const char *const *g = (const char *const[]){"g1", "g2", "g3", NULL}; *g; g++) {
        KsGroupOffsetInfo r = offsets_of(t, *g, 0);
        assert_int_equal(r.position, 110);
        assert_int_equal(r.log_end_offset, 110);
        /* Auto-commit every 5 s: the last commit has everything. */
        assert_int_equal(r.committed, 110);
        assert_int_equal(r.lag, 0);
    }
    assert_non_null(ks_sim_test_find(t, 0,
                                     "\"type\":\"offset_reset\",\"group\":\"g2\",\"consumer\":"
                                     "\"late\",\"topic\":\"t\",\"partition\":0,"
                                     "\"policy\":\"latest\",\"offset\":100"));
}

/* auto.offset.reset=none with nothing committed: poll() throws
 * NoOffsetForPartitionException for the partition (an event) and nothing is
 * read from it; with a committed offset the same consumer reads on from it. */
static void test_consumer_offset_reset_none(void **state)
{
    g_autoptr(KsSimTest) t = ks_sim_test_new(
        BASE "at 1s produce topic=t count=50\n"
             "at 2s start consumer first group=g topics=t auto.offset.reset=earliest\n"
             "at 8s stop consumer first\n"
             "at 9s produce topic=t count=20\n"
             "at 10s start consumer strict group=g topics=t auto.offset.reset=none\n"
             "at 10s start consumer lonely group=h topics=t auto.offset.reset=none\n"
             "run until 20s\n");
    ks_sim_test_run(t);
    assert_int_equal(ks_sim_test_consumed(t, "first"), 50);
    assert_int_equal(ks_sim_test_consumed(t, "strict"), 20);
    assert_int_equal(ks_sim_test_consumed(t, "lonely"), 0);
    assert_non_null(ks_sim_test_find(t, 10 * S,
                                     "\"type\":\"offset_reset\",\"group\":\"h\",\"consumer\":"
                                     "\"lonely\",\"topic\":\"t\",\"partition\":0,\"policy\":"
                                     "\"none\",\"offset\":-1"));
    assert_null(ks_sim_test_find(t, 10 * S, "\"type\":\"offset_reset\",\"group\":\"g\""));
}

/* A crash between two auto-commits: the member that takes the partition
 * starts at the committed offset, and everything the dead one processed
 * after it comes again, exactly that many records. */
static void test_consumer_redelivery_after_crash_is_processed_minus_committed(void **state)
{
    g_autoptr(KsSimTest) t =
        ks_sim_test_new(BASE "producer p topic=t rate=50/s\n"
                             "consumer c1 group=g topics=t processing=10ms session.timeout.ms=6s\n"
                             "at 1s start consumer c2 group=g topics=t session.timeout.ms=6s\n"
                             "at 17500ms crash consumer c1\n"
                             "run until 40s\n");
    ks_sim_test_run_until(t, 17500 * MS);
    int64_t processed = processed_end(t, "g");
    int64_t committed = offsets_of(t, "g", 0).committed;
    assert_true(processed > committed && committed > 0);
    assert_int_equal(ks_sim_test_group(t, "g").records_duplicated, 0);
    ks_sim_test_run(t);
    KsGroupInfo g = ks_sim_test_group(t, "g");
    assert_int_equal(g.records_duplicated, processed - committed);
    assert_int_equal(g.records_skipped, 0);
    assert_int_equal(g.records_consumed,
                     ks_sim_test_consumed(t, "c1") + ks_sim_test_consumed(t, "c2"));
    const KsSimTestEvent *again = ks_sim_test_find(t, 17 * S, "\"type\":\"records_redelivered\"");
    assert_non_null(again);
    g_autofree char *range =
        g_strdup_printf("\"from_offset\":%" G_GINT64_FORMAT ",\"to_offset\":%" G_GINT64_FORMAT,
                        committed, processed - 1);
    assert_non_null(strstr(again->json, range));
    /* c2 was idle until then (one partition); it read everything since. */
    assert_int_equal(offsets_of(t, "g", 0).owner[1], '2');
}

/* At-most-once: commitSync right after poll, then process. A crash in the
 * middle of a batch leaves committed offsets past what was processed:
 * those records are never read by the group. */
static void test_consumer_commit_before_processing_skips_on_crash(void **state)
{
    g_autoptr(KsSimTest) t = ks_sim_test_new(
        BASE "producer p topic=t rate=200/s\n"
             "consumer c1 group=g topics=t processing=20ms commit=before max.poll.records=100 "
             "session.timeout.ms=6s\n"
             "at 1s start consumer c2 group=g topics=t session.timeout.ms=6s commit=before\n"
             "at 12345ms crash consumer c1\n"
             "run until 30s\n");
    ks_sim_test_run_until(t, 12345 * MS);
    int64_t processed = processed_end(t, "g");
    int64_t committed = offsets_of(t, "g", 0).committed;
    assert_true(committed > processed);
    ks_sim_test_run(t);
    KsGroupInfo g = ks_sim_test_group(t, "g");
    assert_int_equal(g.records_skipped, committed - processed);
    assert_int_equal(g.records_duplicated, 0);
    assert_non_null(ks_sim_test_find(t, 12 * S, "\"type\":\"records_skipped\""));
}

/* Four consumers, three partitions: range gives one partition each to the
 * first three members by id; the fourth is idle. */
static void test_consumer_more_consumers_than_partitions_one_idle(void **state)
{
    g_autoptr(KsSimTest) t = ks_sim_test_new("cluster nodes=3\n"
                                             "set offsets.topic.num.partitions=3\n"
                                             "topic t partitions=3 replication-factor=3\n"
                                             "consumer a group=g topics=t\n"
                                             "consumer b group=g topics=t\n"
                                             "consumer c group=g topics=t\n"
                                             "consumer d group=g topics=t\n"
                                             "run until 20s\n");
    ks_sim_test_run(t);
    int idle = 0;
    for (const char *const *n = (const char *const[]){"a", "b", "c", "d", NULL}; *n; n++) {
        KsConsumerInfo ci;
        assert_true(ks_query_find_consumer(t->sim, *n, &ci));
        idle += ci.idle;
    }
    assert_int_equal(idle, 1);
    KsConsumerInfo d;
    assert_true(ks_query_find_consumer(t->sim, "d", &d));
    assert_true(d.idle);
    for (int32_t p = 0; p < 3; p++)
        assert_non_null(offsets_of(t, "g", p).owner);
    assert_string_not_equal(offsets_of(t, "g", 0).owner, offsets_of(t, "g", 1).owner);
    assert_string_not_equal(offsets_of(t, "g", 1).owner, offsets_of(t, "g", 2).owner);
    assert_non_null(ks_sim_test_find(t, 0,
                                     "\"type\":\"partitions_assigned\",\"group\":\"g\","
                                     "\"consumer\":\"d\",\"generation\":1,\"partitions\":[]"));
}

/* The coordinator's broker crashes: the offsets partition gets a new
 * leader, which loads the group; the committed offsets were replicated,
 * so none goes back, and the member goes on from them. */
static void test_consumer_coordinator_failover_keeps_committed_offsets(void **state)
{
#define FAILOVER                                                                                   \
    BASE "producer p topic=t rate=100/s\n"                                                         \
         "consumer c group=g topics=t auto.offset.reset=earliest\n"
    /* Which broker coordinates g: a first run tells, the same run again
     * crashes it. */
    g_autoptr(KsSimTest) probe = ks_sim_test_new(FAILOVER "run until 19s\n");
    ks_sim_test_run(probe);
    KsBrokerId coord = ks_sim_test_group(probe, "g").coordinator;
    assert_int_not_equal(coord, KS_NO_BROKER);
    int64_t committed = offsets_of(probe, "g", 0).committed;
    assert_true(committed > 0);

    g_autofree char *text =
        g_strdup_printf(FAILOVER "at 20s crash broker %d\nrun until 70s\n", (int)coord);
    g_autoptr(KsSimTest) t = ks_sim_test_new(text);
    ks_sim_test_run_until(t, 19 * S);
    assert_int_equal(offsets_of(t, "g", 0).committed, committed);
    ks_sim_test_run(t);
    KsGroupInfo after = ks_sim_test_group(t, "g");
    assert_int_not_equal(after.coordinator, coord);
    assert_int_not_equal(after.coordinator, KS_NO_BROKER);
    assert_non_null(ks_sim_test_find(t, 20 * S, "\"type\":\"group_loaded\",\"group\":\"g\""));
    KsGroupOffsetInfo r = offsets_of(t, "g", 0);
    assert_true(r.committed > committed);
    /* Nothing read twice: the commits survived. */
    assert_int_equal(after.records_duplicated, 0);
    assert_true(r.lag >= 0 && r.lag < 1000);
#undef FAILOVER
}

/* commit-every=100: the application commits after each 100 records it
 * processed, within a poll of 500, the offsets it processed; a crash
 * redelivers fewer than 100 records. Committing per poll, nothing was
 * committed before the crash, in the middle of the first poll. */
static void test_consumer_commit_every_n_records_bounds_redelivery(void **state)
{
    g_autoptr(KsSimTest) t = ks_sim_test_new(
        BASE "at 1s produce topic=t count=1000\n"
             "at 2s start consumer a group=g topics=t auto.offset.reset=earliest processing=1ms "
             "commit=sync commit-every=100 session.timeout.ms=6s\n"
             "at 2s start consumer b group=h topics=t auto.offset.reset=earliest processing=1ms "
             "commit=sync session.timeout.ms=6s\n"
             "at 2600ms crash consumer a\n"
             "at 2600ms crash consumer b\n"
             "at 3s start consumer a2 group=g topics=t processing=1ms\n"
             "run until 20s\n");
    ks_sim_test_run_until(t, 3 * KS_TIME_S);
    assert_int_equal(offsets_of(t, "g", 0).committed, 300);
    assert_int_equal(offsets_of(t, "h", 0).committed, -1);
    assert_non_null(ks_sim_test_find(t, 2 * S, "\"offsets\":\"t-0=100\""));
    int64_t processed = ks_sim_test_consumed(t, "a");
    assert_true(processed > 300 && processed < 400);
    ks_sim_test_run(t);
    KsGroupInfo g = ks_sim_test_group(t, "g");
    assert_int_equal(g.records_duplicated, processed - 300);
    assert_int_equal(ks_sim_test_consumed(t, "a2"), 700);
}

/* The member ids of group @name, sorted, joined by spaces. */
static char *member_ids(const KsSimTest *t, const char *name)
{
    size_t i = 0;
    assert_true(ks_query_find_group(t->sim, name, &i));
    g_autoptr(GArray) ms = ks_query_group_members(t->sim, i);
    g_autoptr(GString) out = g_string_new(NULL);
    for (guint k = 0; k < ms->len; k++)
        g_string_append_printf(out, "%s%s", k ? " " : "", g_array_index(ms, KsMemberInfo, k).id);
    return g_string_free(g_steal_pointer(&out), FALSE);
}

/* A dynamic consumer restarted is a new member, c-2; the old member c
 * stays in the group, holding up the rebalance its successor started,
 * until its session times out. */
static void test_consumer_restart_is_a_new_member(void **state)
{
    g_autoptr(KsSimTest) t =
        ks_sim_test_new(BASE "consumer c group=g topics=t session.timeout.ms=10s\n"
                             "consumer d group=g topics=t session.timeout.ms=10s\n"
                             "at 5s crash consumer c\n"
                             "at 7s start consumer c\n"
                             "run until 30s\n");
    ks_sim_test_run_until(t, 9 * S);
    g_autofree char *during = member_ids(t, "g");
    ks_assert_str_eq(during, "c c-2 d");
    ks_assert_str_eq(ks_sim_test_group(t, "g").state, "PreparingRebalance");
    assert_non_null(ks_sim_test_find(t, 7 * S, "\"reason\":\"joined\"}"));
    ks_sim_test_run(t);
    g_autofree char *after = member_ids(t, "g");
    ks_assert_str_eq(after, "c-2 d");
    assert_non_null(ks_sim_test_find(
        t, 12 * S,
        "\"type\":\"member_removed\",\"group\":\"g\",\"consumer\":\"c\",\"reason\":"
        "\"session timeout\""));
    KsConsumerInfo ci;
    assert_true(ks_query_find_consumer(t->sim, "c", &ci));
    assert_false(ci.idle);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_consumer_reads_from_earliest_latest_or_an_offset),
        cmocka_unit_test(test_consumer_offset_reset_none),
        cmocka_unit_test(test_consumer_redelivery_after_crash_is_processed_minus_committed),
        cmocka_unit_test(test_consumer_commit_before_processing_skips_on_crash),
        cmocka_unit_test(test_consumer_more_consumers_than_partitions_one_idle),
        cmocka_unit_test(test_consumer_coordinator_failover_keeps_committed_offsets),
        cmocka_unit_test(test_consumer_commit_every_n_records_bounds_redelivery),
        cmocka_unit_test(test_consumer_restart_is_a_new_member),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
