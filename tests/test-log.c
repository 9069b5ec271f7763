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
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
