/* SPDX-License-Identifier: MIT */
/*
 * rng.h - the run's seeded random generator.
 *
 * xoshiro256** seeded through splitmix64: 32 bytes of state, the same
 * sequence on every platform (only 64-bit integer arithmetic), and cheap to
 * split. A run has one seed; every entity that draws random numbers (a
 * producer's key choice, a topic's replica start index) takes its own
 * substream with ks_rng_init_stream(seed, stream), so adding a producer to a
 * scenario does not change what any other entity draws. There is no global
 * state and no floating point.
 */
#pragma once

#include <stdint.h>

#include "kafkasim/types.h"

/* Plain value type: embed it, copy it, no free. */
struct KsRng {
    uint64_t s[4];
};

/* Seeds @rng from @seed. Any seed, 0 included, gives a valid generator. */
void ks_rng_init(KsRng *rng, uint64_t seed);

/* Seeds @rng with substream @stream of @seed: streams of one seed are
 * independent of each other, and stream 0 differs from ks_rng_init(seed). */
void ks_rng_init_stream(KsRng *rng, uint64_t seed, uint64_t stream);

/* Next 64 random bits. */
uint64_t ks_rng_next(KsRng *rng);

/* Uniform integer in [0, @bound), without modulo bias; @bound must be > 0. */
uint64_t ks_rng_below(KsRng *rng, uint64_t bound);

/* Hashes a string to a stream id (64-bit FNV-1a), to name substreams. */
uint64_t ks_rng_stream_id(const char *name);
