/* SPDX-License-Identifier: MIT */
/*
 * test-log.c - the replica log and the leader-epoch cache.
 *
 * The epoch cache cases are Kafka's LeaderEpochFileCacheTest
 * (core/src/test/scala/unit/kafka/server/epoch/); the log cases check what
 * a follower and a truncation do to runs of records.
 */
#include "ks-test.h"

#include "sim/model.h"

static GArray *cache(void)
{
    return g_array_new(FALSE, FALSE, sizeof(KsEpochEntry));
}

static void assert_cache(GArray *c, const KsEpochEntry *want, guint n)
{
    ks_assert_i64_eq(c->len, n);
    for (guint i = 0; i < n; i++) {
        ks_assert_i64_eq(g_array_index(c, KsEpochEntry, i).epoch, want[i].epoch);
        ks_assert_i64_eq(g_array_index(c, KsEpochEntry, i).start, want[i].start);
    }
}

static void assert_end_offset(GArray *c, int32_t requested, int64_t leo, int32_t epoch, int64_t end)
{
    int32_t e;
    int64_t o;
    ks_epochs_end_offset_for(c, requested, leo, &e, &o);
    ks_assert_i64_eq(e, epoch);
    ks_assert_i64_eq(o, end);
}

/* assign (2,11) then (2,12): the second is ignored; the latest epoch's end is
 * the LEO. */
static void test_log_epoch_same_epoch_later_offset_is_ignored(void **state)
{
    g_autoptr(GArray) c = cache();
    ks_epochs_assign(c, 2, 11);
    ks_epochs_assign(c, 2, 12);
    assert_cache(c, (KsEpochEntry[]){{2, 11}}, 1);
    assert_end_offset(c, 2, 14, 2, 14);
}

/* An epoch below every known one ends where the first known one starts. */
static void test_log_epoch_unknown_lower_epoch(void **state)
{
    g_autoptr(GArray) c = cache();
    ks_epochs_assign(c, 5, 11);
    ks_epochs_assign(c, 6, 12);
    ks_epochs_assign(c, 7, 13);
    assert_end_offset(c, 4, 20, 4, 11);
    /* assign (7,12) removes every entry at or after offset 12. */
    ks_epochs_assign(c, 7, 12);
    assert_cache(c, (KsEpochEntry[]){{5, 11}, {7, 12}}, 2);
    assert_end_offset(c, 5, 20, 5, 12);
    assert_end_offset(c, 6, 20, 5, 12);
}

static void test_log_epoch_end_offset_is_next_epoch_start(void **state)
{
    g_autoptr(GArray) c = cache();
    const int64_t pairs[][2] = {{1, 11}, {1, 12}, {2, 13}, {2, 14}, {3, 15}, {3, 16}};
    for (size_t i = 0; i < G_N_ELEMENTS(pairs); i++)
        ks_epochs_assign(c, (int32_t)pairs[i][0], pairs[i][1]);
    assert_cache(c, (KsEpochEntry[]){{1, 11}, {2, 13}, {3, 15}}, 3);
    assert_end_offset(c, 2, 17, 2, 15);
}

static void test_log_epoch_gaps(void **state)
{
    g_autoptr(GArray) c = cache();
    ks_epochs_assign(c, 0, 10);
    ks_epochs_assign(c, 2, 13);
    ks_epochs_assign(c, 4, 17);
    assert_end_offset(c, 1, 20, 0, 13);
    assert_end_offset(c, 2, 20, 2, 17);
    assert_end_offset(c, 3, 20, 2, 17);
    /* Above the latest epoch, and on an empty cache: undefined. */
    assert_end_offset(c, 5, 20, -1, -1);
    g_autoptr(GArray) empty = cache();
    assert_end_offset(empty, 0, 0, -1, -1);
}

static void test_log_epoch_first_offset_wins(void **state)
{
    g_autoptr(GArray) c = cache();
    ks_epochs_assign(c, 2, 6);
    ks_epochs_assign(c, 2, 10);
    assert_cache(c, (KsEpochEntry[]){{2, 6}}, 1);
}

static void test_log_epoch_truncate_from_end(void **state)
{
    g_autoptr(GArray) c = cache();
    ks_epochs_assign(c, 0, 0);
    ks_epochs_assign(c, 1, 5);
    ks_epochs_assign(c, 2, 9);
    ks_epochs_truncate_from_end(c, 9);
    assert_cache(c, (KsEpochEntry[]){{0, 0}, {1, 5}}, 2);
    ks_epochs_truncate_from_end(c, 3);
    assert_cache(c, (KsEpochEntry[]){{0, 0}}, 1);
}

/* Appends that continue a run extend it: a log that only grows under one
 * leader and one producer stays one run. */
static void test_log_appends_coalesce(void **state)
{
    KsLog log;
    ks_log_init(&log);
    for (int i = 0; i < 1000; i++)
        ks_log_append(&log, 100, 0, 3, 0, (int64_t)i * 100);
    ks_assert_i64_eq(log.end, 100000);
    ks_assert_i64_eq(log.runs->len, 1);
    /* A new epoch, another producer, or a gap in sequences starts a run. */
    ks_log_append(&log, 1, 1, 3, 0, 100000);
    ks_log_append(&log, 1, 1, 4, 0, 0);
    ks_log_append(&log, 1, 1, 4, 0, 5);
    ks_assert_i64_eq(log.runs->len, 4);
    ks_assert_i64_eq(g_array_index(log.runs, KsLogRun, 0).epoch, 0);
    ks_assert_i64_eq(g_array_index(log.runs, KsLogRun, 1).base, 100000);
    ks_assert_i64_eq(g_array_index(log.runs, KsLogRun, 1).epoch, 1);
    ks_log_clear(&log);
}

/* A follower copies the leader's records up to a point, with their epochs
 * and identities, and truncation cuts inside a run. */
static void test_log_copy_and_truncate(void **state)
{
    KsLog leader, follower;
    ks_log_init(&leader);
    ks_log_init(&follower);
    ks_log_append(&leader, 10, 0, 1, 0, 0);
    ks_log_append(&leader, 5, 1, 1, 0, 10);
    ks_log_append(&leader, 5, 2, 2, 0, 0);
    ks_assert_i64_eq(ks_log_copy(&follower, &leader, 12), 0);
    ks_assert_i64_eq(follower.end, 12);
    ks_assert_i64_eq(follower.runs->len, 2);
    /* The second copy extends run 1 first: that is where new records start. */
    ks_assert_i64_eq(ks_log_copy(&follower, &leader, 100), 1);
    ks_assert_i64_eq(follower.end, 20);
    ks_assert_i64_eq(follower.runs->len, 3);
    /* Nothing new to copy: nothing changed. */
    ks_assert_i64_eq(ks_log_copy(&follower, &leader, 100), 3);
    const KsLogRun *mid = &g_array_index(follower.runs, KsLogRun, 1);
    ks_assert_i64_eq(mid->base, 10);
    ks_assert_i64_eq(mid->count, 5);
    ks_assert_i64_eq(mid->first_seq, 10);

    ks_log_truncate(&follower, 13);
    ks_assert_i64_eq(follower.end, 13);
    ks_assert_i64_eq(follower.runs->len, 2);
    ks_assert_i64_eq(g_array_index(follower.runs, KsLogRun, 1).count, 3);
    ks_log_truncate(&follower, 10);
    ks_assert_i64_eq(follower.runs->len, 1);
    ks_log_truncate(&follower, 50);
    ks_assert_i64_eq(follower.end, 10);
    ks_log_clear(&leader);
    ks_log_clear(&follower);
}

/* Kafka's defaults and Linux's writeback: nothing is fsynced, the machine
 * writes back after 30 s, on its 5 s wake-ups. */
static KsFlushPolicy default_policy(void)
{
    return (KsFlushPolicy){.flush_messages = INT64_MAX,
                           .flush_ms = KS_TIME_NEVER,
                           .flusher_start = KS_TIME_NEVER,
                           .flusher_interval = KS_TIME_NEVER,
                           .dirty_expire = 30 * KS_TIME_S,
                           .writeback = 5 * KS_TIME_S};
}

/* Appends @count records at @now under @p's rules. */
static void write_at(KsLog *log, const KsFlushPolicy *p, KsTime now, int64_t count)
{
    ks_log_writeback(log, p, now);
    ks_log_append(log, count, 0, 1, 0, log->end);
    ks_log_written(log, p, now);
}

/* With Kafka's defaults only the operating system writes a log back: the
 * first wake-up at least 30 s after the file turned dirty writes all of
 * it, newest records included; a power loss keeps that and no more. */
static void test_log_writeback_after_dirty_expire(void **state)
{
    KsFlushPolicy p = default_policy();
    KsLog log;
    ks_log_init(&log);
    write_at(&log, &p, 1 * KS_TIME_S, 10);
    ks_log_writeback(&log, &p, 34 * KS_TIME_S);
    ks_assert_i64_eq(log.disk.durable, 0);
    write_at(&log, &p, 34 * KS_TIME_S + 999 * KS_TIME_MS, 5);
    ks_log_writeback(&log, &p, 35 * KS_TIME_S); /* 1 s + 30 s, on the 5 s grid */
    ks_assert_i64_eq(log.disk.durable, 15);
    ks_assert_i64_eq(log.disk.recovery_point, 0); /* Kafka flushed nothing */
    write_at(&log, &p, 36 * KS_TIME_S, 3);
    ks_log_writeback(&log, &p, 50 * KS_TIME_S);
    ks_assert_i64_eq(ks_log_power_loss(&log), 3);
    ks_assert_i64_eq(log.end, 15);
    /* With writeback off (0), nothing ever reaches the disk. */
    p.writeback = KS_TIME_NEVER;
    write_at(&log, &p, 60 * KS_TIME_S, 4);
    ks_log_writeback(&log, &p, 1000 * KS_TIME_S);
    ks_assert_i64_eq(ks_log_power_loss(&log), 4);
    ks_log_clear(&log);
}

/* flush.messages: after an append, the whole log is fsynced once it holds
 * that many unflushed records (UnifiedLog.append); 1 fsyncs every append. */
static void test_log_flush_messages(void **state)
{
    KsFlushPolicy p = default_policy();
    p.flush_messages = 10;
    KsLog log;
    ks_log_init(&log);
    write_at(&log, &p, 1 * KS_TIME_S, 4);
    write_at(&log, &p, 2 * KS_TIME_S, 4);
    ks_assert_i64_eq(log.disk.durable, 0);
    write_at(&log, &p, 3 * KS_TIME_S, 4);
    ks_assert_i64_eq(log.disk.recovery_point, 12);
    ks_assert_i64_eq(log.disk.durable, 12);
    ks_assert_i64_eq(log.disk.last_flush, 3 * KS_TIME_S);
    write_at(&log, &p, 4 * KS_TIME_S, 3);
    ks_assert_i64_eq(ks_log_power_loss(&log), 3);
    p.flush_messages = 1;
    for (int i = 0; i < 5; i++)
        write_at(&log, &p, (5 + i) * KS_TIME_S, 2);
    ks_assert_i64_eq(ks_log_power_loss(&log), 0);
    ks_assert_i64_eq(log.end, 22);
    ks_log_clear(&log);
}

/* flush.ms: the log flusher runs every log.flush.scheduler.interval.ms
 * from its start and fsyncs a log holding unflushed records whose last
 * flush is at least flush.ms old (LogManager.flushDirtyLogs). */
static void test_log_flush_ms_by_the_flusher(void **state)
{
    KsFlushPolicy p = default_policy();
    p.writeback = KS_TIME_NEVER;
    p.flusher_start = 30 * KS_TIME_S;
    p.flusher_interval = 1 * KS_TIME_S;
    p.flush_ms = 5 * KS_TIME_S;
    KsLog log;
    ks_log_init(&log);
    write_at(&log, &p, 1 * KS_TIME_S, 10);
    ks_log_writeback(&log, &p, 29 * KS_TIME_S);
    ks_assert_i64_eq(log.disk.durable, 0); /* the flusher has not started */
    ks_log_writeback(&log, &p, 30 * KS_TIME_S);
    ks_assert_i64_eq(log.disk.durable, 10);
    ks_assert_i64_eq(log.disk.last_flush, 30 * KS_TIME_S);
    write_at(&log, &p, 31 * KS_TIME_S, 2);
    ks_log_writeback(&log, &p, 34 * KS_TIME_S + 999 * KS_TIME_MS);
    ks_assert_i64_eq(log.disk.durable, 10);
    ks_log_writeback(&log, &p, 36 * KS_TIME_S);
    ks_assert_i64_eq(log.disk.durable, 12);
    ks_assert_i64_eq(log.disk.last_flush, 35 * KS_TIME_S);
    /* A process that is down runs no flusher. */
    p.flusher_start = KS_TIME_NEVER;
    write_at(&log, &p, 37 * KS_TIME_S, 1);
    ks_log_writeback(&log, &p, 100 * KS_TIME_S);
    ks_assert_i64_eq(log.disk.durable, 12);
    /* A clean shutdown flushes it all. */
    ks_log_flush(&log, 100 * KS_TIME_S);
    ks_assert_i64_eq(ks_log_power_loss(&log), 0);
    ks_log_clear(&log);
}

/* Truncation takes what is on disk down with the log's end. */
static void test_log_truncate_clamps_the_disk(void **state)
{
    KsFlushPolicy p = default_policy();
    p.flush_messages = 1;
    KsLog log;
    ks_log_init(&log);
    write_at(&log, &p, 1 * KS_TIME_S, 10);
    ks_log_truncate(&log, 6);
    ks_assert_i64_eq(log.disk.durable, 6);
    ks_assert_i64_eq(log.disk.recovery_point, 6);
    ks_log_clear(&log);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_log_epoch_same_epoch_later_offset_is_ignored),
        cmocka_unit_test(test_log_epoch_unknown_lower_epoch),
        cmocka_unit_test(test_log_epoch_end_offset_is_next_epoch_start),
        cmocka_unit_test(test_log_epoch_gaps),
        cmocka_unit_test(test_log_epoch_first_offset_wins),
        cmocka_unit_test(test_log_epoch_truncate_from_end),
        cmocka_unit_test(test_log_appends_coalesce),
        cmocka_unit_test(test_log_copy_and_truncate),
        cmocka_unit_test(test_log_writeback_after_dirty_expire),
        cmocka_unit_test(test_log_flush_messages),
        cmocka_unit_test(test_log_flush_ms_by_the_flusher),
        cmocka_unit_test(test_log_truncate_clamps_the_disk),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
