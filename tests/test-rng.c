/* SPDX-License-Identifier: MIT */
/*
 * test-rng.c - the run's random generator: the published xoshiro256** and
 * splitmix64 outputs, seeding, substreams, unbiased bounded draws and FNV-1a
 * stream names.
 *
 * The pinned sequences for seeded generators, substreams and bounded draws
 * were computed by an independent Python transcription of the reference
 * algorithms (xoshiro256**, splitmix64, Lemire's method), which itself
 * reproduces the published vectors checked in the first two tests.
 */
#include "ks-test.h"

#include "kafkasim/rng.h"

/* xoshiro256** from the state {1, 2, 3, 4}: the reference implementation's
 * first ten outputs (the vector rand_xoshiro and others test against). */
static void test_rng_matches_xoshiro256starstar_reference(void **state)
{
    static const uint64_t expected[] = {
        11520u,
        0u,
        1509978240u,
        1215971899390074240u,
        1216172134540287360u,
        607988272756665600u,
        16172922978634559625u,
        8476171486693032832u,
        10595114339597558777u,
        2904607092377533576u,
    };
    KsRng rng = {.s = {1, 2, 3, 4}};
    for (size_t i = 0; i < G_N_ELEMENTS(expected); i++)
        assert_true(ks_rng_next(&rng) == expected[i]);
}

/* ks_rng_init fills the state with the first four outputs of splitmix64
 * started at the seed; for 1234567 those are splitmix64's published first
 * outputs. */
static void test_rng_init_seeds_through_splitmix64(void **state)
{
    KsRng rng;
    ks_rng_init(&rng, 1234567);
    assert_true(rng.s[0] == 6457827717110365317u);
    assert_true(rng.s[1] == 3203168211198807973u);
    assert_true(rng.s[2] == 9817491932198370423u);
    assert_true(rng.s[3] == 4593380528125082431u);
}

static void test_rng_seed_42_gives_known_sequence(void **state)
{
    static const uint64_t expected[] = {1546998764402558742u, 6990951692964543102u,
                                        12544586762248559009u, 17057574109182124193u};
    KsRng rng;
    ks_rng_init(&rng, 42);
    for (size_t i = 0; i < G_N_ELEMENTS(expected); i++)
        assert_true(ks_rng_next(&rng) == expected[i]);
}

static void test_rng_same_seed_same_sequence(void **state)
{
    KsRng a, b, c;
    ks_rng_init(&a, 7);
    ks_rng_init(&b, 7);
    ks_rng_init(&c, 8);
    int differ = 0;
    for (int i = 0; i < 1000; i++) {
        uint64_t x = ks_rng_next(&a);
        assert_true(x == ks_rng_next(&b));
        differ += x != ks_rng_next(&c);
    }
    ks_assert_i64_eq(differ, 1000);
}

/* Seed 0 must not give xoshiro's one bad state (all zeros, which only
 * outputs zeros). */
static void test_rng_seed_zero_is_valid(void **state)
{
    KsRng rng;
    ks_rng_init(&rng, 0);
    assert_true(rng.s[0] | rng.s[1] | rng.s[2] | rng.s[3]);
    assert_true(ks_rng_next(&rng) == 11091344671253066420u);
    assert_true(ks_rng_next(&rng) == 13793997310169335082u);
}

static void test_rng_below_stays_in_bounds(void **state)
{
    /* Small bounds, and bounds whose rejection zone is large. */
    const uint64_t half = 1ull << 63;
    const uint64_t bounds[] = {1, 2, 3, 7, 1000, (1ull << 32) + 1, half + 1, UINT64_MAX};
    KsRng rng;
    ks_rng_init(&rng, 99);
    for (size_t b = 0; b < G_N_ELEMENTS(bounds); b++)
        for (int i = 0; i < 10000; i++)
            assert_true(ks_rng_below(&rng, bounds[b]) < bounds[b]);
    /* A bound of 1 leaves one value, and still consumes one draw. */
    KsRng one, plain;
    ks_rng_init(&one, 5);
    ks_rng_init(&plain, 5);
    ks_assert_i64_eq(ks_rng_below(&one, 1), 0);
    ks_rng_next(&plain);
    assert_true(ks_rng_next(&one) == ks_rng_next(&plain));
}

static void test_rng_below_known_values(void **state)
{
    static const uint64_t expected[] = {83, 378, 680, 924, 991, 769, 719, 850};
    KsRng rng;
    ks_rng_init(&rng, 42);
    for (size_t i = 0; i < G_N_ELEMENTS(expected); i++)
        ks_assert_i64_eq(ks_rng_below(&rng, 1000), expected[i]);
}

/* 60,000 dice rolls from seed 42: the exact counts, and each face within
 * 5 standard deviations (about 456) of 10,000, so a biased or broken
 * reduction would show even if the pinned counts were regenerated. */
static void test_rng_below_counts_are_uniform(void **state)
{
    static const int64_t expected[6] = {10020, 9972, 9948, 9910, 10129, 10021};
    int64_t counts[6] = {0};
    KsRng rng;
    ks_rng_init(&rng, 42);
    for (int i = 0; i < 60000; i++)
        counts[ks_rng_below(&rng, 6)]++;
    for (int f = 0; f < 6; f++) {
        ks_assert_i64_eq(counts[f], expected[f]);
        assert_true(counts[f] > 10000 - 456 && counts[f] < 10000 + 456);
    }

    static const int64_t expected10[10] = {9926, 9970, 10037, 9889,  10064,
                                           9920, 9860, 10068, 10193, 10073};
    int64_t counts10[10] = {0};
    ks_rng_init(&rng, 42);
    for (int i = 0; i < 100000; i++)
        counts10[ks_rng_below(&rng, 10)]++;
    for (int f = 0; f < 10; f++)
        ks_assert_i64_eq(counts10[f], expected10[f]);
}

/* A bound just above 2^63 rejects almost half the raw draws: the values and
 * the number of draws consumed are those of Lemire's method exactly. */
static void test_rng_below_rejects_biased_draws(void **state)
{
    static const uint64_t expected[] = {9147776489032658738u, 7099593415032875292u,
                                        6633989454467100377u, 7022439175346172479u};
    const uint64_t bound = (1ull << 63) + 1;
    KsRng rng;
    ks_rng_init(&rng, 42);
    for (size_t i = 0; i < G_N_ELEMENTS(expected); i++)
        assert_true(ks_rng_below(&rng, bound) == expected[i]);

    /* 1000 draws consume 2032 raw outputs: the state after them equals a
     * generator advanced 2032 times. */
    KsRng a, b;
    ks_rng_init(&a, 42);
    ks_rng_init(&b, 42);
    for (int i = 0; i < 1000; i++)
        ks_rng_below(&a, bound);
    for (int i = 0; i < 2032; i++)
        ks_rng_next(&b);
    assert_memory_equal(a.s, b.s, sizeof a.s);
}

static void test_rng_streams_are_distinct_and_reproducible(void **state)
{
    KsRng plain, s0, s1, s2, s1_again;
    ks_rng_init(&plain, 42);
    ks_rng_init_stream(&s0, 42, 0);
    ks_rng_init_stream(&s1, 42, 1);
    ks_rng_init_stream(&s2, 42, 2);
    ks_rng_init_stream(&s1_again, 42, 1);
    int same_plain = 0, same_01 = 0, same_12 = 0;
    for (int i = 0; i < 1000; i++) {
        uint64_t p = ks_rng_next(&plain), a = ks_rng_next(&s0), b = ks_rng_next(&s1),
                 c = ks_rng_next(&s2);
        same_plain += p == a;
        same_01 += a == b;
        same_12 += b == c;
        assert_true(b == ks_rng_next(&s1_again));
    }
    ks_assert_i64_eq(same_plain, 0);
    ks_assert_i64_eq(same_01, 0);
    ks_assert_i64_eq(same_12, 0);

    /* A stream depends on the seed too. */
    KsRng other_seed;
    ks_rng_init_stream(&other_seed, 43, 1);
    ks_rng_init_stream(&s1, 42, 1);
    assert_true(ks_rng_next(&other_seed) != ks_rng_next(&s1));
}

/* The derivation documented in rng.c, mix(seed ^ mix(stream)), pinned. */
static void test_rng_stream_known_values(void **state)
{
    KsRng rng;
    ks_rng_init_stream(&rng, 42, 7);
    assert_true(ks_rng_next(&rng) == 283071609874821864u);
    assert_true(ks_rng_next(&rng) == 4645387402201358480u);
    assert_true(ks_rng_next(&rng) == 3528647705404538512u);
    ks_rng_init_stream(&rng, 42, 0);
    assert_true(ks_rng_next(&rng) == 1612282365895558498u);
}

/* FNV-1a 64 test vectors from the FNV reference suite. */
static void test_rng_stream_id_is_fnv1a(void **state)
{
    assert_true(ks_rng_stream_id("") == 0xcbf29ce484222325u);
    assert_true(ks_rng_stream_id("a") == 0xaf63dc4c8601ec8cu);
    assert_true(ks_rng_stream_id("foobar") == 0x85944171f73967e8u);
    assert_true(ks_rng_stream_id("producer-web") == 2624672073991925976u);
    assert_true(ks_rng_stream_id("orders-0") != ks_rng_stream_id("orders-1"));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_rng_matches_xoshiro256starstar_reference),
        cmocka_unit_test(test_rng_init_seeds_through_splitmix64),
        cmocka_unit_test(test_rng_seed_42_gives_known_sequence),
        cmocka_unit_test(test_rng_same_seed_same_sequence),
        cmocka_unit_test(test_rng_seed_zero_is_valid),
        cmocka_unit_test(test_rng_below_stays_in_bounds),
        cmocka_unit_test(test_rng_below_known_values),
        cmocka_unit_test(test_rng_below_counts_are_uniform),
        cmocka_unit_test(test_rng_below_rejects_biased_draws),
        cmocka_unit_test(test_rng_streams_are_distinct_and_reproducible),
        cmocka_unit_test(test_rng_stream_known_values),
        cmocka_unit_test(test_rng_stream_id_is_fnv1a),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
