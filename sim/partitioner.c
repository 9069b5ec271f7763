/* SPDX-License-Identifier: MIT */
/*
 * partitioner.c - Kafka's producer partitioners and the hashes behind them.
 *
 * Every function here follows one Kafka class line by line; paths are inside
 * apache/kafka (trunk, Oct 2024).
 *
 * ks_murmur2 is Utils.murmur2
 * (clients/src/main/java/org/apache/kafka/common/utils/Utils.java): the
 * 32-bit MurmurHash2 with seed 0x9747b28c, little-endian 4-byte blocks, a
 * fall-through tail and the final mix. Java does it in signed int, whose
 * overflow wraps; we do it in uint32_t, whose overflow is defined in C, and
 * convert to int32_t at the end. ks_partition_for_key is
 * BuiltInPartitioner.partitionForKey
 * (clients/src/main/java/org/apache/kafka/clients/producer/internals/BuiltInPartitioner.java):
 * toPositive(murmur2(key)) % numPartitions, over all partitions.
 *
 * ks_round_robin_next is RoundRobinPartitioner.partition
 * (clients/src/main/java/org/apache/kafka/clients/producer/RoundRobinPartitioner.java):
 * a per-topic AtomicInteger read with getAndIncrement, so the first record
 * uses 0, then an index into the list of partitions that have a leader
 * (the producer keeps it as Cluster.availablePartitionsForTopic does). The counter
 * wraps like a Java int: after 2^31 - 1 comes -2^31, whose toPositive is 0.
 *
 * ks_sticky_partition and ks_sticky_on_append are the KIP-794 sticky
 * partitioner, BuiltInPartitioner (same path as above), with the queue
 * sizes RecordAccumulator.partitionReady collects
 * (clients/src/main/java/org/apache/kafka/clients/producer/internals/RecordAccumulator.java).
 * Two differences, both deliberate. Kafka switches eagerly, inside
 * updatePartitionInfo right after the append that crossed batch.size; we
 * switch lazily, at the next null-key record, so the choice sees the
 * leaders and queues of the moment the record is sent (the header's
 * contract). And the simulator assumes batches are full at batch.size
 * bytes, so the "allBatchesFull / 2 * batch.size" postponement does not
 * arise. When a new partition is chosen we do NOT re-draw until it differs
 * from the previous one: that re-draw belongs to the legacy KIP-480
 * StickyPartitionCache.nextPartition, whereas BuiltInPartitioner.nextPartition
 * takes whatever one draw gives, the old partition included. Since KIP-794
 * is Kafka's default since 3.3, we follow it.
 *
 * ks_java_string_hash is java.lang.String.hashCode over UTF-16 code units,
 * and ks_java_abs is Utils.abs (Utils.java): together they pick a group's
 * coordinator, Utils.abs(groupId.hashCode) % offsets.topic.num.partitions in
 * GroupMetadataManager.partitionFor
 * (core/src/main/scala/kafka/coordinator/group/GroupMetadataManager.scala)
 * and GroupCoordinatorService.partitionFor
 * (group-coordinator/src/main/java/org/apache/kafka/coordinator/group/GroupCoordinatorService.java).
 *
 * Workload: murmur2 runs once per keyed record, the sticky and round-robin
 * choices once per record (a switch, O(partitions), once per batch), the
 * string hash once per group lookup. None of them allocates.
 */
#include "kafkasim/partitioner.h"

#include <glib.h>

#include "kafkasim/rng.h"
#include "sim/partitioner-private.h"

/* Reinterprets a 32-bit pattern as the signed int Java holds. Converting an
 * out-of-range value to int32_t is implementation-defined in C, so the upper
 * half is mapped by arithmetic that stays in range. */
static int32_t u32_to_i32(uint32_t u)
{
    if (u <= (uint32_t)INT32_MAX)
        return (int32_t)u;
    return (int32_t)(u - 0x80000000u) + INT32_MIN;
}

int32_t ks_murmur2(const void *data, size_t len)
{
    g_return_val_if_fail(data != NULL || len == 0, 0);

    const uint8_t *bytes = data;
    const uint32_t seed = 0x9747b28cu;
    const uint32_t m = 0x5bd1e995u;
    const unsigned r = 24;

    /* Java takes the length as an int; keys are far below 2 GiB. */
    uint32_t h = seed ^ (uint32_t)len;

    size_t n_blocks = len / 4;
    for (size_t i = 0; i < n_blocks; i++) {
        const uint8_t *b = bytes + 4 * i;
        uint32_t k =
            (uint32_t)b[0] | (uint32_t)b[1] << 8 | (uint32_t)b[2] << 16 | (uint32_t)b[3] << 24;
        k *= m;
        k ^= k >> r;
        k *= m;
        h *= m;
        h ^= k;
    }

    /* The last len % 4 bytes; with none left there is no multiply here. */
    const uint8_t *tail = bytes + 4 * n_blocks;
    switch (len % 4) {
    case 3:
        h ^= (uint32_t)tail[2] << 16;
        G_GNUC_FALLTHROUGH;
    case 2:
        h ^= (uint32_t)tail[1] << 8;
        G_GNUC_FALLTHROUGH;
    case 1:
        h ^= (uint32_t)tail[0];
        h *= m;
        break;
    default:
        break;
    }

    h ^= h >> 13;
    h *= m;
    h ^= h >> 15;
    return u32_to_i32(h);
}

int32_t ks_partition_for_key(const void *key, size_t len, int32_t n_partitions)
{
    g_return_val_if_fail(n_partitions > 0, 0);
    return ks_to_positive(ks_murmur2(key, len)) % n_partitions;
}

/* Whether partition @p has a leader; a NULL mask means they all have. */
static bool has_leader(const bool *available, int32_t p)
{
    return available == NULL || available[p];
}

int32_t ks_round_robin_next(KsRoundRobin *rr, const int32_t *available, int32_t n_available,
                            int32_t n_partitions)
{
    g_return_val_if_fail(rr != NULL, 0);
    g_return_val_if_fail(n_partitions > 0, 0);

    /* getAndIncrement: this record uses the value before the increment. */
    int32_t next_value = ks_to_positive(u32_to_i32(rr->counter++));
    if (!available)
        return next_value % n_partitions;
    if (n_available > 0)
        return available[next_value % n_available];
    return next_value % n_partitions;
}

/*
 * The sticky choice. Kafka has three cases (nextPartition and
 * updatePartitionLoadStats): no load statistics, uniform over partitions
 * with a leader; statistics, weighted over partitions with a leader; no
 * partition with a leader, uniform over all. Kafka also falls back to
 * uniform when the topic has one partition, or when every partition has a
 * leader and all queue sizes are equal. Those two fallbacks give the same
 * answer as the weighted table: with equal queues every weight is 1, and
 * with one partition there is one candidate. So one table serves every
 * case: a candidate's weight is (max queue + 1) - its queue with
 * statistics, 1 without, and the candidates are the partitions with a
 * leader, or all partitions if none has one. The maximum is taken over the
 * candidates only, as Kafka takes it over the first `length` entries.
 *
 * Weights are computed in 64 bits: (max + 1) - q is at most 2^32 even for
 * nonsensical negative queue sizes, and the sum over 2^31 partitions still
 * fits. Building the table is O(partitions); it happens once per switch,
 * that is once per batch, which Kafka amortises differently (it rebuilds
 * the table on every ready check and binary-searches it per switch).
 */
typedef struct {
    const bool *available;      /* NULL: every partition has a leader */
    const int32_t *queue_sizes; /* NULL: no load statistics */
    bool none_available;        /* candidates are then all partitions */
    int64_t max_plus_1;
    uint64_t total; /* the sum of every weight */
} Weights;

/* One pass over the partitions: the candidates, their largest queue and
 * the sum of their queues give every weight and their total, since
 * sum((max + 1) - q) = candidates * (max + 1) - sum(q). A switch then costs
 * this pass and the scan of ks_sticky_choice_at to the partition drawn. */
static Weights weights_init(const bool *available, const int32_t *queue_sizes, int32_t n_partitions)
{
    Weights w = {.available = available, .queue_sizes = queue_sizes, .max_plus_1 = 1};
    int64_t n_available = 0, max = INT64_MIN, sum = 0;
    for (int32_t p = 0; p < n_partitions; p++) {
        if (!has_leader(available, p))
            continue;
        n_available++;
        if (queue_sizes != NULL) {
            sum += queue_sizes[p];
            if (queue_sizes[p] > max)
                max = queue_sizes[p];
        }
    }
    w.none_available = n_available == 0;
    if (w.none_available) {
        w.total = (uint64_t)n_partitions;
    } else if (queue_sizes != NULL) {
        /* At least one partition has a leader here, so max is set. */
        w.max_plus_1 = max + 1;
        w.total = (uint64_t)(n_available * w.max_plus_1 - sum);
    } else {
        w.total = (uint64_t)n_available;
    }
    return w;
}

/* Weight of partition @p in the table, 0 if it is not a candidate. */
static uint64_t weight_of(const Weights *w, int32_t p)
{
    if (w->none_available)
        return 1;
    if (!has_leader(w->available, p))
        return 0;
    if (w->queue_sizes == NULL)
        return 1;
    return (uint64_t)(w->max_plus_1 - w->queue_sizes[p]);
}

/* The partition whose cumulative weight first exceeds @v (< w->total). */
static int32_t choice_at(const Weights *w, int32_t n_partitions, uint64_t v)
{
    uint64_t cumulative = 0;
    for (int32_t p = 0; p < n_partitions; p++) {
        cumulative += weight_of(w, p);
        /* Strictly greater, as Kafka's binarySearch + 1 trick finds. */
        if (cumulative > v)
            return p;
    }
    g_return_val_if_reached(0);
}

uint64_t ks_sticky_choice_range(const bool *available, const int32_t *queue_sizes,
                                int32_t n_partitions)
{
    g_return_val_if_fail(n_partitions > 0, 1);
    return weights_init(available, queue_sizes, n_partitions).total;
}

int32_t ks_sticky_choice_at(const bool *available, const int32_t *queue_sizes, int32_t n_partitions,
                            uint64_t v)
{
    g_return_val_if_fail(n_partitions > 0, 0);
    Weights w = weights_init(available, queue_sizes, n_partitions);
    return choice_at(&w, n_partitions, v);
}

int32_t ks_sticky_partition(KsSticky *st, KsRng *rng, const bool *available,
                            const int32_t *queue_sizes, int32_t n_partitions, int64_t batch_size)
{
    g_return_val_if_fail(st != NULL, 0);
    g_return_val_if_fail(rng != NULL, 0);
    g_return_val_if_fail(n_partitions > 0, 0);

    /* Kafka rejects a sticky batch size below 1; treating it as 1 switches
     * after every record, which is what a tiny batch size means. */
    int64_t switch_bytes = batch_size < 1 ? 1 : batch_size;

    /* The current partition is kept even if it lost its leader: Kafka's
     * accumulator appends to the sticky partition it peeks, leader or not,
     * until enough bytes went to it. An out-of-range current partition
     * (state from another topic size) counts as none. */
    if (st->current >= 0 && st->current < n_partitions && st->bytes_in_current < switch_bytes)
        return st->current;

    Weights w = weights_init(available, queue_sizes, n_partitions);
    uint64_t v = ks_rng_below(rng, w.total);
    st->current = choice_at(&w, n_partitions, v);
    st->bytes_in_current = 0;
    return st->current;
}

void ks_sticky_on_append(KsSticky *st, int64_t bytes)
{
    g_return_if_fail(st != NULL);
    g_return_if_fail(bytes >= 0);
    st->bytes_in_current += bytes;
}

/*
 * KsStickyIndex: two Fenwick trees over the partitions, of "has a leader"
 * (0/1) and of the queue size of a partition with a leader (else 0), and a
 * histogram of those queue sizes for their maximum. The prefix weight of
 * the first k partitions is then candidates(k) * (max + 1) - queues(k),
 * and the choice descends the trees to the first prefix above the draw,
 * as ks_sticky_choice_at scans to it.
 */
struct KsStickyIndex {
    int32_t n;
    bool adaptive;
    bool *available;
    int32_t *queue;
    int64_t *count_tree; /* 1-based Fenwick trees */
    int64_t *queue_tree;
    int64_t n_available, queue_sum;
    GArray *histogram; /* of int64_t: candidates by queue size */
    int32_t max;       /* largest queue size of a candidate, -1 with none */
    int32_t top_step;  /* the largest power of two <= n */
};

KsStickyIndex *ks_sticky_index_new(int32_t n_partitions, bool adaptive)
{
    g_return_val_if_fail(n_partitions > 0, NULL);
    KsStickyIndex *ix = g_new0(KsStickyIndex, 1);
    ix->n = n_partitions;
    ix->adaptive = adaptive;
    ix->available = g_new0(bool, n_partitions);
    ix->queue = g_new0(int32_t, n_partitions);
    ix->count_tree = g_new0(int64_t, (gsize)n_partitions + 1);
    ix->queue_tree = g_new0(int64_t, (gsize)n_partitions + 1);
    ix->histogram = g_array_new(FALSE, TRUE, sizeof(int64_t));
    ix->max = -1;
    ix->top_step = 1;
    while (ix->top_step <= n_partitions / 2)
        ix->top_step *= 2;
    return ix;
}

void ks_sticky_index_free(KsStickyIndex *ix)
{
    if (!ix)
        return;
    g_free(ix->available);
    g_free(ix->queue);
    g_free(ix->count_tree);
    g_free(ix->queue_tree);
    g_array_free(ix->histogram, TRUE);
    g_free(ix);
}

static void tree_add(int64_t *tree, int32_t n, int32_t p, int64_t delta)
{
    for (int32_t i = p + 1; i <= n; i += i & -i)
        tree[i] += delta;
}

/* Adds (@sign 1) or removes (-1) partition @p as a candidate. */
static void index_account(KsStickyIndex *ix, int32_t p, int sign)
{
    int32_t q = ix->queue[p];
    tree_add(ix->count_tree, ix->n, p, sign);
    tree_add(ix->queue_tree, ix->n, p, sign * (int64_t)q);
    ix->n_available += sign;
    ix->queue_sum += sign * (int64_t)q;
    if ((guint)q >= ix->histogram->len)
        g_array_set_size(ix->histogram, (guint)q + 1);
    g_array_index(ix->histogram, int64_t, q) += sign;
    if (sign > 0 && q > ix->max)
        ix->max = q;
    while (ix->max >= 0 && g_array_index(ix->histogram, int64_t, ix->max) == 0)
        ix->max--;
}

void ks_sticky_index_set(KsStickyIndex *ix, int32_t p, bool available, int32_t queue_size)
{
    g_return_if_fail(ix != NULL && p >= 0 && p < ix->n && queue_size >= 0);
    if (ix->available[p] == available && ix->queue[p] == queue_size)
        return;
    if (ix->available[p])
        index_account(ix, p, -1);
    ix->available[p] = available;
    ix->queue[p] = queue_size;
    if (available)
        index_account(ix, p, 1);
}

int32_t ks_sticky_partition_indexed(KsSticky *st, KsRng *rng, const KsStickyIndex *ix,
                                    int64_t batch_size)
{
    g_return_val_if_fail(st != NULL && rng != NULL && ix != NULL, 0);
    int64_t switch_bytes = batch_size < 1 ? 1 : batch_size;
    if (st->current >= 0 && st->current < ix->n && st->bytes_in_current < switch_bytes)
        return st->current;
    st->bytes_in_current = 0;
    if (ix->n_available == 0) {
        st->current = (int32_t)ks_rng_below(rng, (uint64_t)ix->n);
        return st->current;
    }
    /* Without load statistics every candidate weighs 1. */
    int64_t m = ix->adaptive ? (int64_t)ix->max + 1 : 1;
    int64_t q = ix->adaptive ? 1 : 0;
    uint64_t v = ks_rng_below(rng, (uint64_t)(ix->n_available * m - q * ix->queue_sum));
    int32_t pos = 0;
    int64_t count = 0, queues = 0;
    for (int32_t step = ix->top_step; step > 0; step /= 2) {
        int32_t next = pos + step;
        if (next > ix->n)
            continue;
        int64_t c = count + ix->count_tree[next], s = queues + ix->queue_tree[next];
        if ((uint64_t)(c * m - q * s) <= v) {
            pos = next;
            count = c;
            queues = s;
        }
    }
    st->current = pos; /* the first partition whose prefix exceeds v */
    return st->current;
}

/*
 * Java hashes the string's UTF-16 code units: a character beyond the Basic
 * Multilingual Plane counts as its two surrogates, high then low. A C
 * string cannot hold U+0000, and valid UTF-8 cannot hold a lone surrogate,
 * so those Java strings have no counterpart here.
 */
int32_t ks_java_string_hash(const char *utf8)
{
    g_return_val_if_fail(utf8 != NULL, 0);
    g_return_val_if_fail(g_utf8_validate(utf8, -1, NULL), 0);

    uint32_t h = 0;
    for (const char *s = utf8; *s != '\0'; s = g_utf8_next_char(s)) {
        gunichar c = g_utf8_get_char(s);
        if (c < 0x10000) {
            h = 31 * h + c;
        } else {
            uint32_t high = 0xd800 + ((c - 0x10000) >> 10);
            uint32_t low = 0xdc00 + ((c - 0x10000) & 0x3ff);
            h = 31 * h + high;
            h = 31 * h + low;
        }
    }
    return u32_to_i32(h);
}

int32_t ks_java_abs(int32_t x)
{
    /* Math.abs(Integer.MIN_VALUE) is MIN_VALUE again; Utils.abs maps it to
     * 0 so the partition index is never negative. Negating it in C would be
     * undefined, so it is handled before the negation. */
    if (x == INT32_MIN)
        return 0;
    return x < 0 ? -x : x;
}
