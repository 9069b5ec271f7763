/* SPDX-License-Identifier: MIT */
/*
 * test-partitioner.c - murmur2, key partitioning, round-robin, the KIP-794
 * sticky partitioner and the group coordinator hash, against Kafka.
 *
 * The vector files in tests/refs (murmur2_vectors.tsv,
 * key_partition_vectors.tsv, group_coordinator_vectors.tsv) are read at run
 * time and every row is asserted. The other cases restate Kafka's own tests
 * (UtilsTest#testMurmur2, RoundRobinPartitionerTest, BuiltInPartitionerTest).
 * Random draws are never pinned to values: a sticky test replays the
 * generator on a copy and checks that the partitioner took exactly one draw
 * per switch and mapped it through the weight table, which holds whatever
 * numbers the generator produces.
 */
#include "ks-test.h"
#include "ks-tsv.h"

#include <string.h>

#include "kafkasim/partitioner.h"
#include "kafkasim/rng.h"
#include "sim/partitioner-private.h"

/* Fails naming the file line, so a bad row can be found at once. */
static void row_check(const Tsv *t, guint row, const char *what, int64_t actual, int64_t expected)
{
    if (actual != expected)
        fail_msg("%s:%u: %s is %" PRId64 ", expected %" PRId64, t->name, tsv_line(t, row), what,
                 actual, expected);
}

static GByteArray *parse_hex(const char *hex)
{
    size_t len = strlen(hex);
    if (len % 2 != 0)
        fail_msg("odd-length hex \"%s\"", hex);
    GByteArray *bytes = g_byte_array_sized_new((guint)(len / 2));
    for (size_t i = 0; i < len; i += 2) {
        int high = g_ascii_xdigit_value(hex[i]), low = g_ascii_xdigit_value(hex[i + 1]);
        if (high < 0 || low < 0)
            fail_msg("bad hex \"%s\"", hex);
        guint8 byte = (guint8)(high << 4 | low);
        g_byte_array_append(bytes, &byte, 1);
    }
    return bytes;
}

static void report_rows(const Tsv *t)
{
    print_message("# %s: %u rows checked\n", t->name, t->rows->len);
}

static int32_t murmur2_of(const char *text)
{
    return ks_murmur2(text, strlen(text));
}

/* ---------------------------------------------------------------- murmur2 */

static void test_partitioner_murmur2_vectors(void **state)
{
    g_autoptr(Tsv) t = tsv_load("murmur2_vectors.tsv");
    /* The file keeps Kafka's six asserted rows; fewer means it was cut. */
    assert_true(t->rows->len >= 6);
    for (guint i = 0; i < t->rows->len; i++) {
        g_autoptr(GByteArray) input = parse_hex(tsv_get(t, i, "input_hex"));
        int32_t hash = ks_murmur2(input->data, input->len);
        row_check(t, i, "len", input->len, tsv_i64(t, i, "len"));
        row_check(t, i, "murmur2", hash, tsv_i64(t, i, "murmur2_int32"));
        row_check(t, i, "to_positive", ks_to_positive(hash), tsv_i64(t, i, "to_positive"));
        g_autofree char *hex = g_strdup_printf("0x%08" PRIx32, (uint32_t)hash);
        if (g_ascii_strcasecmp(hex, tsv_get(t, i, "murmur2_u32_hex")) != 0)
            fail_msg("murmur2_vectors.tsv:%u: %s, expected %s", tsv_line(t, i), hex,
                     tsv_get(t, i, "murmur2_u32_hex"));
    }
    report_rows(t);
}

/* UtilsTest#testMurmur2 and the vectors in tests/refs/murmur2_vectors.tsv. */
static void test_partitioner_murmur2_kafka_examples(void **state)
{
    ks_assert_i64_eq(murmur2_of("21"), -973932308);
    ks_assert_i64_eq(murmur2_of("foobar"), -790332482);
    ks_assert_i64_eq(murmur2_of("abc"), 479470107);
    /* An empty key is a real key, distinct from a null one. */
    ks_assert_i64_eq(ks_murmur2("", 0), 275646681);
    ks_assert_i64_eq(ks_murmur2(NULL, 0), 275646681);
}

/* Java's bytes are signed and Utils.murmur2 masks each with 0xff; a C
 * version that sign-extends goes wrong only on bytes >= 0x80, which no
 * vector row has. These values come from an independent Python
 * transcription of Utils.murmur2 that reproduces every row of
 * murmur2_vectors.tsv; they cover every tail length and full blocks. */
static void test_partitioner_murmur2_high_bytes(void **state)
{
    static const struct {
        const char *hex;
        int32_t hash;
    } cases[] = {
        {"ff", -311467685},       {"ffff", -1642832928},     {"ffffff", 1548199422},
        {"ffffffff", 644171429},  {"fffefdfcfb", 524068735}, {"80818283848586", -47880214},
        {"00000001", -173113808}, /* IntegerSerializer's bytes for 1 */
        {"c3a9", 186971271},      /* U+00E9 as UTF-8 */
        {"f09f9880", 131881617},  /* U+1F600 as UTF-8 */
    };
    for (size_t i = 0; i < G_N_ELEMENTS(cases); i++) {
        g_autoptr(GByteArray) bytes = parse_hex(cases[i].hex);
        ks_assert_i64_eq(ks_murmur2(bytes->data, bytes->len), cases[i].hash);
    }
}

/* ------------------------------------------------------- key partitions */

static void test_partitioner_key_partition_vectors(void **state)
{
    g_autoptr(Tsv) t = tsv_load("key_partition_vectors.tsv");
    for (guint i = 0; i < t->rows->len; i++) {
        g_autoptr(GByteArray) key = parse_hex(tsv_get(t, i, "key_hex"));
        int64_t n = tsv_i64(t, i, "num_partitions");
        row_check(t, i, "partition", ks_partition_for_key(key->data, key->len, (int32_t)n),
                  tsv_i64(t, i, "partition"));
    }
    report_rows(t);

    /* A (key, n) value worked out from Utils.toPositive(murmur2(key)) % n. */
    ks_assert_i64_eq(ks_partition_for_key("key", 3, 3), 1);
    /* Empty keys all go to toPositive(275646681) % n. */
    for (int32_t n = 1; n <= 100; n++)
        ks_assert_i64_eq(ks_partition_for_key("", 0, n), 275646681 % n);
}

/* partition = to_positive % n for every murmur2 row and several topic sizes,
 * taking to_positive from the file, so the formula is checked on data we did
 * not compute. */
static void test_partitioner_key_partition_formula(void **state)
{
    g_autoptr(Tsv) t = tsv_load("murmur2_vectors.tsv");
    const int32_t sizes[] = {1, 2, 3, 7, 12, 50, 1000, INT32_MAX};
    for (guint i = 0; i < t->rows->len; i++) {
        g_autoptr(GByteArray) key = parse_hex(tsv_get(t, i, "input_hex"));
        int64_t positive = tsv_i64(t, i, "to_positive");
        for (size_t s = 0; s < G_N_ELEMENTS(sizes); s++)
            row_check(t, i, "partition", ks_partition_for_key(key->data, key->len, sizes[s]),
                      positive % sizes[s]);
    }
}

static void test_partitioner_to_positive_is_not_abs(void **state)
{
    ks_assert_i64_eq(ks_to_positive(-1), INT32_MAX);
    ks_assert_i64_eq(ks_to_positive(INT32_MIN), 0);
    ks_assert_i64_eq(ks_to_positive(-973932308), 1173551340);
    ks_assert_i64_eq(ks_to_positive(12345), 12345);
}

/* ------------------------------------------------- group coordinator hash */

/* String.hashCode computed from UTF-16BE bytes: an independent path to the
 * expected value, sharing no code with ks_java_string_hash. */
static int32_t java_hash_of_utf16be(const GByteArray *units)
{
    uint32_t h = 0;
    for (guint i = 0; i + 1 < units->len; i += 2)
        h = 31 * h + ((uint32_t)units->data[i] << 8 | units->data[i + 1]);
    int64_t wide = h;
    return (int32_t)(wide > INT32_MAX ? wide - 4294967296LL : wide);
}

static void test_partitioner_group_coordinator_vectors(void **state)
{
    g_autoptr(Tsv) t = tsv_load("group_coordinator_vectors.tsv");
    assert_true(t->rows->len >= 6);
    for (guint i = 0; i < t->rows->len; i++) {
        const char *group = tsv_get(t, i, "group_id");
        g_autoptr(GByteArray) units = parse_hex(tsv_get(t, i, "group_id_utf16be_hex"));
        int64_t hash = tsv_i64(t, i, "java_hashCode");
        int64_t n = tsv_i64(t, i, "num_partitions");

        row_check(t, i, "hash of the UTF-16 column", java_hash_of_utf16be(units), hash);
        row_check(t, i, "ks_java_string_hash", ks_java_string_hash(group), hash);
        row_check(t, i, "ks_java_abs", ks_java_abs(ks_java_string_hash(group)),
                  tsv_i64(t, i, "utils_abs"));
        row_check(t, i, "partition", ks_java_abs(ks_java_string_hash(group)) % n,
                  tsv_i64(t, i, "partition"));
    }
    report_rows(t);
}

/* Reference hash through GLib's UTF-16 encoder. */
static int32_t java_hash_via_glib(const char *utf8)
{
    glong n_units = 0;
    g_autofree gunichar2 *units = g_utf8_to_utf16(utf8, -1, NULL, &n_units, NULL);
    assert_non_null(units);
    uint32_t h = 0;
    for (glong i = 0; i < n_units; i++)
        h = 31 * h + units[i];
    int64_t wide = h;
    return (int32_t)(wide > INT32_MAX ? wide - 4294967296LL : wide);
}

static void test_partitioner_java_string_hash(void **state)
{
    ks_assert_i64_eq(ks_java_string_hash(""), 0);
    ks_assert_i64_eq(ks_java_string_hash("a"), 97);
    ks_assert_i64_eq(ks_java_string_hash("hello"), 99162322);
    ks_assert_i64_eq(ks_java_string_hash("Hello World"), -862545276);
    /* U+00E9 is one code unit; U+1F600 is the pair d83d de00. */
    ks_assert_i64_eq(ks_java_string_hash("\u00e9"), 0xe9);
    ks_assert_i64_eq(ks_java_string_hash("\U0001F600"), 31 * 0xd83d + 0xde00);
    /* A classic: this string's hashCode is Integer.MIN_VALUE, which
     * Utils.abs turns into 0, so the group lands on partition 0. */
    ks_assert_i64_eq(ks_java_string_hash("polygenelubricants"), INT32_MIN);
    ks_assert_i64_eq(ks_java_abs(ks_java_string_hash("polygenelubricants")) % 50, 0);

    const char *samples[] = {
        "consumer-group-1",
        "\u65e5\u672c\u8a9e",
        "a\U0001F600b\uffff",
        "\U0010FFFF\U00010000\ud7ff\ue000",
        "a-rather-long-group-id-that-wraps-around-many-times",
    };
    for (size_t i = 0; i < G_N_ELEMENTS(samples); i++)
        ks_assert_i64_eq(ks_java_string_hash(samples[i]), java_hash_via_glib(samples[i]));
}

static void test_partitioner_java_abs(void **state)
{
    ks_assert_i64_eq(ks_java_abs(INT32_MIN), 0);
    ks_assert_i64_eq(ks_java_abs(INT32_MIN + 1), INT32_MAX);
    ks_assert_i64_eq(ks_java_abs(INT32_MAX), INT32_MAX);
    ks_assert_i64_eq(ks_java_abs(-204443313), 204443313);
    ks_assert_i64_eq(ks_java_abs(0), 0);
    ks_assert_i64_eq(ks_java_abs(7), 7);
}

/* ------------------------------------------------------------ round-robin */

/* RoundRobinPartitionerTest: 30 sends to a 3-partition topic give 10 each,
 * also with another topic's sends interleaved (one counter per topic). */
static void test_partitioner_round_robin_even_per_topic(void **state)
{
    KsRoundRobin topic_a = {0}, topic_b = {0};
    int counts_a[3] = {0}, counts_b[5] = {0};
    for (int i = 0; i < 30; i++) {
        counts_a[ks_round_robin_next(&topic_a, NULL, 3, 3)]++;
        if (i % 2 == 0)
            counts_b[ks_round_robin_next(&topic_b, NULL, 5, 5)]++;
    }
    for (int p = 0; p < 3; p++)
        ks_assert_i64_eq(counts_a[p], 10);
    for (int p = 0; p < 5; p++)
        ks_assert_i64_eq(counts_b[p], 3);
}

/* getAndIncrement: the first record goes to the first partition. */
static void test_partitioner_round_robin_starts_at_zero(void **state)
{
    KsRoundRobin rr = {0};
    const int32_t available[3] = {1, 2, 3};
    ks_assert_i64_eq(ks_round_robin_next(&rr, NULL, 4, 4), 0);
    ks_assert_i64_eq(ks_round_robin_next(&rr, NULL, 4, 4), 1);
    KsRoundRobin other = {0};
    ks_assert_i64_eq(ks_round_robin_next(&other, available, 3, 4), 1);
    ks_assert_i64_eq(ks_round_robin_next(&other, available, 3, 4), 2);
    ks_assert_i64_eq(ks_round_robin_next(&other, available, 3, 4), 3);
    ks_assert_i64_eq(ks_round_robin_next(&other, available, 3, 4), 1);
}

/* Partition 1 without a leader: 100 sends alternate 0, 2 and split 50/50. */
static void test_partitioner_round_robin_skips_leaderless(void **state)
{
    KsRoundRobin rr = {0};
    const int32_t available[2] = {0, 2};
    int counts[3] = {0};
    for (int i = 0; i < 100; i++) {
        int32_t p = ks_round_robin_next(&rr, available, 2, 3);
        ks_assert_i64_eq(p, i % 2 == 0 ? 0 : 2);
        counts[p]++;
    }
    ks_assert_i64_eq(counts[0], 50);
    ks_assert_i64_eq(counts[1], 0);
    ks_assert_i64_eq(counts[2], 50);
}

/* With no leader anywhere, every partition is used in turn. */
static void test_partitioner_round_robin_no_leader_anywhere(void **state)
{
    KsRoundRobin rr = {0};
    const int32_t none[1] = {0};
    for (int i = 0; i < 9; i++)
        ks_assert_i64_eq(ks_round_robin_next(&rr, none, 0, 3), i % 3);
}

/* The counter is a Java int: after 2^31 - 1 comes -2^31, whose toPositive
 * is 0; after -1 (toPositive 2^31 - 1) comes 0. */
static void test_partitioner_round_robin_wraps_like_java(void **state)
{
    KsRoundRobin rr = {.counter = 0x7fffffffu};
    ks_assert_i64_eq(ks_round_robin_next(&rr, NULL, 3, 3), INT32_MAX % 3);
    ks_assert_i64_eq(ks_round_robin_next(&rr, NULL, 3, 3), 0);
    ks_assert_i64_eq(ks_round_robin_next(&rr, NULL, 3, 3), 1);

    rr.counter = UINT32_MAX;
    ks_assert_i64_eq(ks_round_robin_next(&rr, NULL, 3, 3), INT32_MAX % 3);
    ks_assert_i64_eq(rr.counter, 0);
    ks_assert_i64_eq(ks_round_robin_next(&rr, NULL, 3, 3), 0);
}

/* ------------------------------------------------------------------ sticky */

/* BuiltInPartitionerTest#adaptivePartitionsTest: queue sizes [5,0,3,0,1]
 * give weights [1,6,3,6,5] and cumulative [1,7,10,16,21]; v = 0..20 picks
 * partitions 0..4 exactly 1, 6, 3, 6, 5 times. */
static void test_partitioner_sticky_adaptive_weights(void **state)
{
    const int32_t queues[5] = {5, 0, 3, 0, 1};
    const int32_t expected_for_v[21] = {0, 1, 1, 1, 1, 1, 1, 2, 2, 2, 3,
                                        3, 3, 3, 3, 3, 4, 4, 4, 4, 4};
    ks_assert_i64_eq(ks_sticky_choice_range(NULL, queues, 5), 21);
    int counts[5] = {0};
    for (uint64_t v = 0; v < 21; v++) {
        int32_t p = ks_sticky_choice_at(NULL, queues, 5, v);
        ks_assert_i64_eq(p, expected_for_v[v]);
        counts[p]++;
    }
    const int expected_counts[5] = {1, 6, 3, 6, 5};
    for (int p = 0; p < 5; p++)
        ks_assert_i64_eq(counts[p], expected_counts[p]);
}

/* Leaderless partitions are out of the table, and the maximum queue is taken
 * over the others only, as Kafka builds the table from partitions with a
 * leader: partition 0 (no leader, empty queue) would otherwise weigh the
 * most. */
static void test_partitioner_sticky_weights_exclude_leaderless(void **state)
{
    const bool available[4] = {false, true, true, true};
    const int32_t queues[4] = {0, 5, 0, 2};
    /* max 5 over 1..3: weights p1 1, p2 6, p3 4. */
    ks_assert_i64_eq(ks_sticky_choice_range(available, queues, 4), 11);
    ks_assert_i64_eq(ks_sticky_choice_at(available, queues, 4, 0), 1);
    for (uint64_t v = 1; v < 7; v++)
        ks_assert_i64_eq(ks_sticky_choice_at(available, queues, 4, v), 2);
    for (uint64_t v = 7; v < 11; v++)
        ks_assert_i64_eq(ks_sticky_choice_at(available, queues, 4, v), 3);

    /* A leaderless partition with the longest queue does not raise the
     * maximum: it stays 5, not 9. */
    const int32_t longest_leaderless[4] = {9, 5, 0, 2};
    ks_assert_i64_eq(ks_sticky_choice_range(available, longest_leaderless, 4), 11);
    ks_assert_i64_eq(ks_sticky_choice_at(available, longest_leaderless, 4, 0), 1);
    ks_assert_i64_eq(ks_sticky_choice_at(available, longest_leaderless, 4, 10), 3);
}

/* The Fenwick index gives the table's choice and draw: random leaders and
 * queue sizes, with and without statistics, over sizes that are and are not
 * powers of two, each choice against ks_sticky_partition on plain arrays. */
static void test_partitioner_sticky_index_matches_table(void **state)
{
    KsRng changes;
    ks_rng_init(&changes, 7);
    for (int32_t n = 1; n <= 37; n += 3) {
        for (int adaptive = 0; adaptive < 2; adaptive++) {
            KsStickyIndex *ix = ks_sticky_index_new(n, adaptive);
            bool *available = g_new0(bool, n);
            int32_t *queues = g_new0(int32_t, n);
            KsSticky by_table = {.current = -1}, by_index = {.current = -1};
            KsRng rng_table, rng_index;
            ks_rng_init(&rng_table, (uint64_t)n);
            ks_rng_init(&rng_index, (uint64_t)n);
            for (int step = 0; step < 400; step++) {
                int32_t p = (int32_t)ks_rng_below(&changes, (uint64_t)n);
                available[p] = ks_rng_below(&changes, 5) != 0;
                queues[p] = (int32_t)ks_rng_below(&changes, 9);
                ks_sticky_index_set(ix, p, available[p], queues[p]);
                /* A batch size of 1 switches at every record: one draw each. */
                int32_t a = ks_sticky_partition(&by_table, &rng_table, available,
                                                adaptive ? queues : NULL, n, 1);
                int32_t b = ks_sticky_partition_indexed(&by_index, &rng_index, ix, 1);
                ks_assert_i64_eq(b, a);
                ks_sticky_on_append(&by_table, 1);
                ks_sticky_on_append(&by_index, 1);
            }
            g_free(available);
            g_free(queues);
            ks_sticky_index_free(ix);
        }
    }
}

/* Without statistics, or with equal queues, the choice is uniform over the
 * partitions with a leader; with no leader anywhere, uniform over all. */
static void test_partitioner_sticky_uniform_cases(void **state)
{
    const bool some[4] = {true, false, true, true};
    ks_assert_i64_eq(ks_sticky_choice_range(some, NULL, 4), 3);
    ks_assert_i64_eq(ks_sticky_choice_at(some, NULL, 4, 0), 0);
    ks_assert_i64_eq(ks_sticky_choice_at(some, NULL, 4, 1), 2);
    ks_assert_i64_eq(ks_sticky_choice_at(some, NULL, 4, 2), 3);

    const int32_t equal[4] = {7, 7, 7, 7};
    ks_assert_i64_eq(ks_sticky_choice_range(NULL, equal, 4), 4);
    for (uint64_t v = 0; v < 4; v++)
        ks_assert_i64_eq(ks_sticky_choice_at(NULL, equal, 4, v), (int64_t)v);

    const bool none[4] = {false, false, false, false};
    const int32_t queues[4] = {9, 0, 3, 1};
    ks_assert_i64_eq(ks_sticky_choice_range(none, queues, 4), 4);
    for (uint64_t v = 0; v < 4; v++)
        ks_assert_i64_eq(ks_sticky_choice_at(none, queues, 4, v), (int64_t)v);
}

/* What ks_sticky_partition must return for a switch drawn from @rng, which
 * is advanced by exactly the one draw the partitioner should take. */
static int32_t expected_switch(KsRng *rng, const bool *available, const int32_t *queues, int32_t n)
{
    uint64_t v = ks_rng_below(rng, ks_sticky_choice_range(available, queues, n));
    return ks_sticky_choice_at(available, queues, n, v);
}

static void assert_same_rng(const KsRng *a, const KsRng *b)
{
    if (memcmp(a->s, b->s, sizeof a->s) != 0)
        fail_msg("the partitioner did not take exactly the expected draws");
}

/* BuiltInPartitionerTest#testStickyPartitioning: sticky size 3, 1-byte
 * records: three records stay, the fourth triggers one new draw. */
static void test_partitioner_sticky_stays_then_switches(void **state)
{
    KsRng rng, replay;
    ks_rng_init(&rng, 794);
    replay = rng;
    KsSticky st = {.current = -1};

    for (int round = 0; round < 20; round++) {
        int32_t expected = expected_switch(&replay, NULL, NULL, 5);
        for (int record = 0; record < 3; record++) {
            ks_assert_i64_eq(ks_sticky_partition(&st, &rng, NULL, NULL, 5, 3), expected);
            assert_same_rng(&rng, &replay);
            ks_sticky_on_append(&st, 1);
        }
    }
}

/* The first null-key record draws a partition; so does one whose sticky
 * partition is beyond the topic's partition count (state that no longer
 * fits the topic is not trusted). */
static void test_partitioner_sticky_first_record_draws(void **state)
{
    KsRng rng, replay;
    ks_rng_init(&rng, 5);
    replay = rng;
    KsSticky fresh = {.current = -1};
    ks_assert_i64_eq(ks_sticky_partition(&fresh, &rng, NULL, NULL, 4, 100),
                     expected_switch(&replay, NULL, NULL, 4));
    assert_same_rng(&rng, &replay);

    KsSticky stale = {.current = 7, .bytes_in_current = 0};
    ks_assert_i64_eq(ks_sticky_partition(&stale, &rng, NULL, NULL, 4, 100),
                     expected_switch(&replay, NULL, NULL, 4));
    assert_same_rng(&rng, &replay);
    assert_true(stale.current >= 0 && stale.current < 4);
}

/* The sticky partition is kept for the whole batch even when its leader
 * goes away (Kafka appends to the partition it peeked), and the next choice
 * then avoids it. */
static void test_partitioner_sticky_switches_away_from_lost_leader(void **state)
{
    KsRng rng;
    ks_rng_init(&rng, 1);
    for (int trial = 0; trial < 50; trial++) {
        bool available[4] = {true, true, true, true};
        KsSticky st = {.current = -1};
        int32_t first = ks_sticky_partition(&st, &rng, available, NULL, 4, 100);
        available[first] = false;
        ks_sticky_on_append(&st, 60);
        ks_assert_i64_eq(ks_sticky_partition(&st, &rng, available, NULL, 4, 100), first);
        ks_sticky_on_append(&st, 40);
        int32_t next = ks_sticky_partition(&st, &rng, available, NULL, 4, 100);
        assert_true(next != first);
        ks_assert_i64_eq(st.bytes_in_current, 0);
    }
}

/* BuiltInPartitionerTest#unavailablePartitionsTest: a partition without a
 * leader is never chosen while another has one, with or without load
 * statistics, even when it has the shortest queue. */
static void test_partitioner_sticky_never_picks_leaderless(void **state)
{
    KsRng rng;
    ks_rng_init(&rng, 2);
    const bool available[5] = {false, true, false, true, false};
    const int32_t queues[5] = {0, 9, 0, 9, 0};
    KsSticky with_stats = {.current = -1}, without = {.current = -1};
    for (int i = 0; i < 1000; i++) {
        int32_t p = ks_sticky_partition(&with_stats, &rng, available, queues, 5, 1);
        assert_true(p == 1 || p == 3);
        ks_sticky_on_append(&with_stats, 1);
        p = ks_sticky_partition(&without, &rng, available, NULL, 5, 1);
        assert_true(p == 1 || p == 3);
        ks_sticky_on_append(&without, 1);
    }
}

/* A one-partition topic always gets partition 0, leader or not; with no
 * leader anywhere, the choice is among all partitions. */
static void test_partitioner_sticky_no_leader(void **state)
{
    KsRng rng, replay;
    ks_rng_init(&rng, 3);
    const bool none[1] = {false};
    KsSticky st = {.current = -1};
    for (int i = 0; i < 10; i++) {
        ks_assert_i64_eq(ks_sticky_partition(&st, &rng, none, NULL, 1, 1), 0);
        ks_sticky_on_append(&st, 1);
        ks_assert_i64_eq(ks_sticky_partition(&st, &rng, NULL, NULL, 1, 1), 0);
        ks_sticky_on_append(&st, 1);
    }

    const bool none4[4] = {false, false, false, false};
    const int32_t queues[4] = {3, 0, 0, 0};
    replay = rng;
    KsSticky all = {.current = -1};
    for (int i = 0; i < 100; i++) {
        ks_assert_i64_eq(ks_sticky_partition(&all, &rng, none4, queues, 4, 1),
                         expected_switch(&replay, none4, queues, 4));
        ks_sticky_on_append(&all, 1);
    }
    assert_same_rng(&rng, &replay);
}

/* KIP-794 takes one draw per switch and keeps its result, even if it is the
 * partition just left (no re-draw as in the legacy KIP-480 cache). The
 * replay takes exactly one draw per switch, so any re-draw would make the
 * generators diverge. Queue sizes change as records go out, as in a run. */
static void test_partitioner_sticky_one_draw_per_switch(void **state)
{
    KsRng rng, replay;
    ks_rng_init_stream(&rng, 42, 7);
    replay = rng;
    int32_t queues[3] = {0, 0, 0};
    KsSticky st = {.current = -1};
    for (int i = 0; i < 500; i++) {
        int32_t expected = expected_switch(&replay, NULL, queues, 3);
        ks_assert_i64_eq(ks_sticky_partition(&st, &rng, NULL, queues, 3, 10), expected);
        assert_same_rng(&rng, &replay);
        ks_sticky_on_append(&st, 10);
        queues[expected] = (queues[expected] + 1) % 4;
    }
}

/* Same seed, same partitions: the partitioner holds no hidden state. */
static void test_partitioner_sticky_deterministic(void **state)
{
    KsRng a, b;
    ks_rng_init(&a, 99);
    ks_rng_init(&b, 99);
    KsSticky sa = {.current = -1}, sb = {.current = -1};
    const int32_t queues[6] = {1, 4, 0, 2, 2, 5};
    for (int i = 0; i < 300; i++) {
        ks_assert_i64_eq(ks_sticky_partition(&sa, &a, NULL, queues, 6, 5),
                         ks_sticky_partition(&sb, &b, NULL, queues, 6, 5));
        ks_sticky_on_append(&sa, 3);
        ks_sticky_on_append(&sb, 3);
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_partitioner_murmur2_vectors),
        cmocka_unit_test(test_partitioner_murmur2_kafka_examples),
        cmocka_unit_test(test_partitioner_murmur2_high_bytes),
        cmocka_unit_test(test_partitioner_key_partition_vectors),
        cmocka_unit_test(test_partitioner_key_partition_formula),
        cmocka_unit_test(test_partitioner_to_positive_is_not_abs),
        cmocka_unit_test(test_partitioner_group_coordinator_vectors),
        cmocka_unit_test(test_partitioner_java_string_hash),
        cmocka_unit_test(test_partitioner_java_abs),
        cmocka_unit_test(test_partitioner_round_robin_even_per_topic),
        cmocka_unit_test(test_partitioner_round_robin_starts_at_zero),
        cmocka_unit_test(test_partitioner_round_robin_skips_leaderless),
        cmocka_unit_test(test_partitioner_round_robin_no_leader_anywhere),
        cmocka_unit_test(test_partitioner_round_robin_wraps_like_java),
        cmocka_unit_test(test_partitioner_sticky_adaptive_weights),
        cmocka_unit_test(test_partitioner_sticky_weights_exclude_leaderless),
        cmocka_unit_test(test_partitioner_sticky_uniform_cases),
        cmocka_unit_test(test_partitioner_sticky_stays_then_switches),
        cmocka_unit_test(test_partitioner_sticky_first_record_draws),
        cmocka_unit_test(test_partitioner_sticky_switches_away_from_lost_leader),
        cmocka_unit_test(test_partitioner_sticky_never_picks_leaderless),
        cmocka_unit_test(test_partitioner_sticky_no_leader),
        cmocka_unit_test(test_partitioner_sticky_one_draw_per_switch),
        cmocka_unit_test(test_partitioner_sticky_deterministic),
        cmocka_unit_test(test_partitioner_sticky_index_matches_table),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
