/* SPDX-License-Identifier: MIT */
/*
 * partitioner-private.h - the deterministic half of the sticky partition
 * choice, shared with the tests.
 *
 * ks_sticky_partition() makes one random draw per switch: a value v in
 * [0, range) from ks_rng_below(), then maps v to a partition through a
 * cumulative weight table, as BuiltInPartitioner.nextPartition does. These
 * two functions are that table; splitting them out lets a test walk v over
 * the whole range and check the exact selection counts Kafka's
 * BuiltInPartitionerTest#adaptivePartitionsTest asserts, whatever the
 * generator returns.
 */
#pragma once

#include <stdbool.h>
#include <stdint.h>

/* The number of values the next sticky choice draws from: the sum of the
 * weights of the candidate partitions (see ks_sticky_partition() for the
 * weights and candidates). @available and @queue_sizes may be NULL, meaning
 * "every partition has a leader" and "no load statistics". @n_partitions
 * must be > 0; the result is then always >= 1. */
uint64_t ks_sticky_choice_range(const bool *available, const int32_t *queue_sizes,
                                int32_t n_partitions);

/* The partition the sticky partitioner chooses for the random value @v, which
 * must be below ks_sticky_choice_range() of the same arguments: the first
 * candidate, in partition order, whose cumulative weight is greater than @v. */
int32_t ks_sticky_choice_at(const bool *available, const int32_t *queue_sizes, int32_t n_partitions,
                            uint64_t v);
