/* SPDX-License-Identifier: MIT */
/*
 * test-ledger.c - counting acknowledged records that are no longer in a log.
 *
 * The ledger counts with interval arithmetic over sequence ranges; these
 * tests compare it with a trivially correct model, a bitmap of one bit per
 * record, on hand-written cases and on random ones from a fixed seed.
 */
#include "ks-test.h"

#include "kafkasim/rng.h"
#include "sim/producer-private.h"
#include "sim/model.h"

static GArray *ranges(const int64_t (*pairs)[2], size_t n)
{
    GArray *a = g_array_new(FALSE, FALSE, sizeof(KsSeqRange));
    for (size_t i = 0; i < n; i++) {
        KsSeqRange r = {.first = pairs[i][0], .count = pairs[i][1]};
        g_array_append_val(a, r);
    }
    return a;
}

static void test_ledger_missing_by_hand(void **state)
{
    const int64_t acked[][2] = {{0, 10}, {20, 5}};
    const int64_t present_all[][2] = {{0, 30}};
    const int64_t present_gap[][2] = {{0, 4}, {6, 10}};
    const int64_t present_overlap[][2] = {{0, 8}, {2, 3}, {5, 5}, {22, 1}};
    g_autoptr(GArray) a = ranges(acked, 2);
    g_autoptr(GArray) all = ranges(present_all, 1);
    g_autoptr(GArray) gap = ranges(present_gap, 2);
    g_autoptr(GArray) overlap = ranges(present_overlap, 4);
    g_autoptr(GArray) none = ranges(NULL, 0);
    ks_assert_i64_eq(ks_ledger_missing(a, all), 0);
    /* 4..5 of the first range and all of the second are gone. */
    ks_assert_i64_eq(ks_ledger_missing(a, gap), 2 + 5);
    /* Overlapping runs (a record written twice) count once. */
    ks_assert_i64_eq(ks_ledger_missing(a, overlap), 0 + 4);
    ks_assert_i64_eq(ks_ledger_missing(a, none), 15);
}

/* Random acknowledged and present ranges over 2000 sequence numbers,
 * checked against a bitmap. */
static void test_ledger_missing_matches_bitmap(void **state)
{
    KsRng rng;
    ks_rng_init(&rng, 2024);
    for (int round = 0; round < 500; round++) {
        enum { N = 2000 };
        bool acked_bit[N] = {false}, present_bit[N] = {false};
        g_autoptr(GArray) acked = g_array_new(FALSE, FALSE, sizeof(KsSeqRange));
        g_autoptr(GArray) present = g_array_new(FALSE, FALSE, sizeof(KsSeqRange));
        /* Acknowledged: disjoint, increasing. */
        for (int64_t pos = (int64_t)ks_rng_below(&rng, 20); pos < N;) {
            int64_t count = 1 + (int64_t)ks_rng_below(&rng, 60);
            count = MIN(count, N - pos);
            KsSeqRange r = {.first = pos, .count = count};
            g_array_append_val(acked, r);
            for (int64_t k = pos; k < pos + count; k++)
                acked_bit[k] = true;
            pos += count + (int64_t)ks_rng_below(&rng, 40);
        }
        /* Present: sorted by first, overlapping at random. */
        for (int64_t pos = 0; pos < N;) {
            int64_t count = 1 + (int64_t)ks_rng_below(&rng, 80);
            count = MIN(count, N - pos);
            KsSeqRange r = {.first = pos, .count = count};
            g_array_append_val(present, r);
            for (int64_t k = pos; k < pos + count; k++)
                present_bit[k] = true;
            int64_t step = (int64_t)ks_rng_below(&rng, 120) - 20;
            pos += MAX(1, count + step);
        }
        int64_t expected = 0;
        for (int k = 0; k < N; k++)
            expected += acked_bit[k] && !present_bit[k];
        ks_assert_i64_eq(ks_ledger_missing(acked, present), expected);
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_ledger_missing_by_hand),
        cmocka_unit_test(test_ledger_missing_matches_bitmap),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
