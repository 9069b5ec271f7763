/* SPDX-License-Identifier: MIT */
/*
 * partitioner.h - how a producer picks a record's partition, as Kafka does.
 *
 * Kafka's producer (KafkaProducer.partition, BuiltInPartitioner,
 * RoundRobinPartitioner) in order of precedence: an explicit partition;
 * else murmur2 of the serialized key, (murmur2 & 0x7fffffff) % partitions,
 * over ALL partitions of the topic (a keyed record is never rerouted away
 * from a leaderless partition); else, for a null key, the KIP-794 sticky
 * partition. RoundRobinPartitioner ignores keys and cycles over the
 * partitions that have a leader. These functions are pure or own only the
 * small state they are given; the producer module holds that state.
 */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "kafkasim/types.h"

/* Kafka's Utils.murmur2 (seed 0x9747b28c) of @len bytes at @data, as the
 * signed 32-bit value Java returns. */
int32_t ks_murmur2(const void *data, size_t len);

/* Kafka's Utils.toPositive: clears the sign bit (it is not abs()). */
static inline int32_t ks_to_positive(int32_t x)
{
    return x & 0x7fffffff;
}

/* Partition of a keyed record: toPositive(murmur2(key)) % @n_partitions.
 * @n_partitions must be > 0. A string key is hashed as its UTF-8 bytes,
 * which is what Kafka's StringSerializer sends. */
int32_t ks_partition_for_key(const void *key, size_t len, int32_t n_partitions);

/* RoundRobinPartitioner's per-topic state. Zero-initialise. */
typedef struct {
    uint32_t counter;
} KsRoundRobin;

/* Next partition: counter++, then the (toPositive(counter) % @n_available)-th
 * of @available, the partitions that have a leader in increasing order
 * (Cluster.availablePartitionsForTopic); NULL means all @n_partitions. If
 * none is available, toPositive(counter) % @n_partitions. O(1). */
int32_t ks_round_robin_next(KsRoundRobin *rr, const int32_t *available, int32_t n_available,
                            int32_t n_partitions);

/* The KIP-794 sticky partitioner's per-topic state (BuiltInPartitioner).
 * Zero-initialise, then set current to -1. */
typedef struct {
    int32_t current;          /* sticky partition, -1 before the first record */
    int64_t bytes_in_current; /* bytes produced to it since it was chosen */
} KsSticky;

/* Partition for the next null-key record. Chooses a new sticky partition when
 * there is none yet, or when the current one has taken at least @batch_size
 * bytes (the switch Kafka makes once a batch is full; simplified: batches
 * are assumed full when batch_size bytes were produced). The choice is
 * weighted random (adaptive partitioning) when @queue_sizes is not NULL:
 * weight of p = (max queue size + 1) - queue_sizes[p], leaderless partitions
 * excluded; uniform among partitions with a leader when @queue_sizes is
 * NULL; uniform among all partitions when none has a leader. Draws from
 * @rng. Call ks_sticky_on_append() after the record is appended. */
int32_t ks_sticky_partition(KsSticky *st, KsRng *rng, const bool *available,
                            const int32_t *queue_sizes, int32_t n_partitions, int64_t batch_size);

/* Accounts @bytes appended to the current sticky partition. */
void ks_sticky_on_append(KsSticky *st, int64_t bytes);

/* The sticky partitioner's weighted choice over many partitions: the same
 * table as ks_sticky_partition's (weight (max queue + 1) - queue of each
 * partition with a leader, uniform when none has one), kept in Fenwick
 * trees of the candidates and of their queue sizes, so that a change and a
 * choice cost O(log partitions) instead of a pass over the partitions.
 * Tell it every change of a partition's leader or queue size. */
typedef struct KsStickyIndex KsStickyIndex;

/* Every partition starts without a leader and with an empty queue;
 * @adaptive: weigh by queue sizes (else uniform over the candidates). */
KsStickyIndex *ks_sticky_index_new(int32_t n_partitions, bool adaptive);
void ks_sticky_index_free(KsStickyIndex *ix);
/* Partition @p now has a leader or not, and @queue_size batches (>= 0). */
void ks_sticky_index_set(KsStickyIndex *ix, int32_t p, bool available, int32_t queue_size);
/* ks_sticky_partition with the table @ix holds: the same choice and the
 * same draw from @rng. */
int32_t ks_sticky_partition_indexed(KsSticky *st, KsRng *rng, const KsStickyIndex *ix,
                                    int64_t batch_size);

/* Java's String.hashCode of the UTF-16 code units of @utf8 (UTF-8 input),
 * with int32 wrap-around: the hash Kafka's group coordinator lookup uses. */
int32_t ks_java_string_hash(const char *utf8);

/* Kafka's Utils.abs: |x|, except that INT32_MIN gives 0. */
int32_t ks_java_abs(int32_t x);
