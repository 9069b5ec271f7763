/* SPDX-License-Identifier: MIT */
/*
 * rng.c - the run's seeded random generator: xoshiro256** seeded through
 * splitmix64.
 *
 * xoshiro256** (Blackman and Vigna, 2018) keeps 256 bits of state in four
 * 64-bit words and uses only shifts, rotations, xors and 64-bit
 * multiplications, so it gives the same sequence on every platform. Its only
 * bad state is all zeros. We never reach it: ks_rng_init() fills the four
 * words with four consecutive outputs of splitmix64, and splitmix64's output
 * function is a bijection of its counter, so at most one of the four words
 * can be zero.
 *
 * Substreams. ks_rng_init_stream(seed, stream) seeds the generator exactly as
 * ks_rng_init() would, from a derived seed:
 *
 *     derived = mix(seed ^ mix(stream))
 *
 * where mix(x) is the first output of a splitmix64 generator whose state is
 * x. mix is a bijection, so two different streams of one seed always get
 * different derived seeds, and so different states. Stream 0 is not the plain
 * seed: mix(0) is a fixed non-zero constant, so ks_rng_init_stream(seed, 0)
 * and ks_rng_init(seed) differ (for seed 42, checked by the tests). Entities
 * name their stream with ks_rng_stream_id("producer web") or by a number;
 * because each entity draws from its own stream, adding one entity to a
 * scenario does not shift what any other entity draws.
 *
 * Bounded draws use Lemire's multiply-shift method ("Fast Random Integer
 * Generation in an Interval", 2019): the high 64 bits of x * bound are a
 * value in [0, bound), biased only for the x whose low 64 bits fall below
 * 2^64 mod bound; those are rejected and redrawn. The rejection threshold
 * needs a division, which is only computed in the rare case where the low
 * bits are below bound at all, so the common case is one multiplication.
 *
 * Workload: random draws are rare next to events (a key choice per produced
 * batch, a start index per topic), so none of this is on a hot path; it is
 * still branch-light because it costs nothing to be.
 */
#include "kafkasim/rng.h"

#include <glib.h>

#define SPLITMIX64_GAMMA 0x9e3779b97f4a7c15ULL
#define FNV1A64_OFFSET   0xcbf29ce484222325ULL
#define FNV1A64_PRIME    0x100000001b3ULL

/* Advances a splitmix64 state and returns its next output (Vigna's
 * splitmix64.c). */
static uint64_t splitmix64_next(uint64_t *state)
{
    uint64_t z = (*state += SPLITMIX64_GAMMA);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
    return z ^ (z >> 31);
}

/* The first output of a splitmix64 generator started at @x: a bijective
 * 64-bit mixing function. */
static uint64_t mix(uint64_t x)
{
    return splitmix64_next(&x);
}

static inline uint64_t rotl(uint64_t x, int k)
{
    return (x << k) | (x >> (64 - k));
}

void ks_rng_init(KsRng *rng, uint64_t seed)
{
    g_return_if_fail(rng != NULL);

    uint64_t state = seed;
    for (int i = 0; i < 4; i++)
        rng->s[i] = splitmix64_next(&state);
}

void ks_rng_init_stream(KsRng *rng, uint64_t seed, uint64_t stream)
{
    g_return_if_fail(rng != NULL);

    ks_rng_init(rng, mix(seed ^ mix(stream)));
}

uint64_t ks_rng_next(KsRng *rng)
{
    uint64_t *s = rng->s;
    uint64_t result = rotl(s[1] * 5, 7) * 9;
    uint64_t t = s[1] << 17;

    s[2] ^= s[0];
    s[3] ^= s[1];
    s[1] ^= s[2];
    s[0] ^= s[3];
    s[2] ^= t;
    s[3] = rotl(s[3], 45);
    return result;
}

uint64_t ks_rng_below(KsRng *rng, uint64_t bound)
{
    g_return_val_if_fail(rng != NULL, 0);
    g_return_val_if_fail(bound > 0, 0);

    __extension__ typedef unsigned __int128 u128;
    u128 m = (u128)ks_rng_next(rng) * bound;
    uint64_t low = (uint64_t)m;
    if (G_UNLIKELY(low < bound)) {
        /* 2^64 mod bound, computed in 64 bits: (2^64 - bound) mod bound. */
        uint64_t threshold = -bound % bound;
        while (low < threshold) {
            m = (u128)ks_rng_next(rng) * bound;
            low = (uint64_t)m;
        }
    }
    return (uint64_t)(m >> 64);
}

uint64_t ks_rng_stream_id(const char *name)
{
    g_return_val_if_fail(name != NULL, 0);

    uint64_t h = FNV1A64_OFFSET;
    for (const unsigned char *p = (const unsigned char *)name; *p; p++) {
        h ^= *p;
        h *= FNV1A64_PRIME;
    }
    return h;
}
