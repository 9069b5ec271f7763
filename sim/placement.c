/* SPDX-License-Identifier: MIT */
/*
 * placement.c - replica placement for new partitions, as Kafka's
 * AdminUtils.assignReplicasToBrokers does it
 * (server-common/src/main/java/org/apache/kafka/admin/AdminUtils.java, the
 * Java port of the Scala kafka.admin.AdminUtils; same algorithm).
 *
 * The broker list is sorted by id first, as AdminZkClient.getBrokerMetadatas
 * does (core/src/main/scala/kafka/zk/AdminZkClient.scala); from then on only
 * positions in a list matter. Rack-unaware: partition p's leader is at
 * position (p + start_index) % n, and follower j at
 * (leader + 1 + (shift + j) % (n - 1)) % n, where shift grows by one at each
 * partition id that is a positive multiple of n. Rack-aware: the same walk
 * over the rack-alternated list (one broker from each rack in turn, racks in
 * name order), with the follower offset scaled by the number of racks, and
 * candidates skipped while they would repeat a rack (or a broker) that
 * already holds a replica of the partition and an unused one remains.
 *
 * Kafka draws start_index and shift at random unless a fixed start index
 * sets both; here the caller always passes them, so placement is a pure
 * function. All position arithmetic is in int64_t: Java does it in int and
 * never overflows for real inputs, and we must not overflow at all (signed
 * overflow is undefined in C).
 *
 * Workload: runs once per topic creation or partition addition. Cost is
 * O(n log n) to sort, then O(partitions * rf) rack-unaware; rack-aware
 * examines at most n - 1 candidates per follower, so O(partitions * rf * n)
 * in the worst case, and a few hundred bytes of scratch memory.
 */
#include "kafkasim/placement.h"

#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

G_DEFINE_QUARK(ks - placement - error - quark, ks_placement_error)

static int compare_by_id(const void *a, const void *b)
{
    const KsPlacementBroker *x = a, *y = b;
    return (x->id > y->id) - (x->id < y->id);
}

/* Position of code point @c in UTF-16 code-unit order: characters beyond the
 * BMP are surrogate pairs (0xd800..0xdfff), so they sort after U+0000..U+D7FF
 * but before U+E000..U+FFFF. Moving that last block above U+10FFFF makes
 * code-point comparison agree with Java's String.compareTo. */
static uint32_t utf16_rank(gunichar c)
{
    return (c >= 0xe000 && c <= 0xffff) ? c + 0x200000 : c;
}

/* Java's String.compareTo, which orders the rack names (Arrays.sort in
 * getRackAlternatedBrokerList). For ASCII names this is strcmp. */
static int compare_java_strings(const char *a, const char *b)
{
    while (*a != '\0' && *b != '\0') {
        gunichar ca = g_utf8_get_char(a), cb = g_utf8_get_char(b);
        if (ca != cb)
            return utf16_rank(ca) < utf16_rank(cb) ? -1 : 1;
        a = g_utf8_next_char(a);
        b = g_utf8_next_char(b);
    }
    return (*a != '\0') - (*b != '\0');
}

/* Orders brokers by rack name, then by id, as getInverseMap groups them. */
static int compare_by_rack_then_id(const void *a, const void *b)
{
    const KsPlacementBroker *x = a, *y = b;
    int by_rack = compare_java_strings(x->rack, y->rack);
    return by_rack != 0 ? by_rack : compare_by_id(a, b);
}

/* AdminUtils.replicaIndex: the list position of the follower at offset
 * @j after the leader at @first. Never @first itself, thanks to the +1 and
 * the modulus n - 1; n >= 2 whenever a follower is placed. */
static int64_t replica_index(int64_t first, int64_t shift, int64_t j, int64_t n)
{
    return (first + 1 + (shift + j) % (n - 1)) % n;
}

static void assign_rack_unaware(const KsPlacementBroker *sorted, int64_t n, int32_t n_partitions,
                                int32_t rf, int64_t start_index, int64_t shift, int64_t p,
                                KsBrokerId *out)
{
    for (int32_t i = 0; i < n_partitions; i++, p++) {
        /* The shift moves at each new round over the list, so followers of
         * the second round differ from those of the first. */
        if (p > 0 && p % n == 0)
            shift++;
        int64_t first = (p + start_index) % n;
        KsBrokerId *replicas = out + (size_t)i * (size_t)rf;
        replicas[0] = sorted[first].id;
        for (int32_t j = 0; j < rf - 1; j++)
            replicas[j + 1] = sorted[replica_index(first, shift, j, n)].id;
    }
}

static void assign_rack_aware(const KsPlacementBroker *sorted, int64_t n, int32_t n_partitions,
                              int32_t rf, int64_t start_index, int64_t shift, int64_t p,
                              KsBrokerId *out)
{
    /* Group the brokers by rack: racks in name order, ids ascending within a
     * rack. Each rack becomes a run [rack_start[r], rack_start[r + 1]). */
    g_autofree KsPlacementBroker *by_rack = g_memdup2(sorted, (size_t)n * sizeof *sorted);
    qsort(by_rack, (size_t)n, sizeof *by_rack, compare_by_rack_then_id);
    g_autofree int64_t *rack_start = g_new(int64_t, n + 1);
    int64_t n_racks = 0;
    for (int64_t i = 0; i < n; i++) {
        if (i == 0 || strcmp(by_rack[i].rack, by_rack[i - 1].rack) != 0)
            rack_start[n_racks++] = i;
    }
    rack_start[n_racks] = n;

    /* The rack-alternated list: take the next broker of each rack in turn,
     * skipping racks already used up. */
    g_autofree KsBrokerId *list = g_new(KsBrokerId, n);
    g_autofree int64_t *rack_of = g_new(int64_t, n);
    g_autofree int64_t *taken = g_new0(int64_t, n_racks);
    for (int64_t len = 0, r = 0; len < n; r = (r + 1) % n_racks) {
        if (rack_start[r] + taken[r] < rack_start[r + 1]) {
            list[len] = by_rack[rack_start[r] + taken[r]++].id;
            rack_of[len++] = r;
        }
    }

    /* Which racks and list positions hold a replica of the partition being
     * placed; cleared through @chosen after each partition. Positions stand
     * for brokers because ids are distinct. */
    g_autofree bool *rack_used = g_new0(bool, n_racks);
    g_autofree bool *pos_used = g_new0(bool, n);
    g_autofree int64_t *chosen = g_new(int64_t, rf);

    for (int32_t i = 0; i < n_partitions; i++, p++) {
        if (p > 0 && p % n == 0)
            shift++;
        int64_t first = (p + start_index) % n;
        chosen[0] = first;
        rack_used[rack_of[first]] = true;
        pos_used[first] = true;
        int64_t racks_used = 1, brokers_used = 1;

        /* k runs on across followers and counts every candidate examined,
         * accepted or not, exactly as Kafka's k does. A candidate is taken
         * if its rack is new (or every rack is used) and the broker is new
         * (or every broker is used). Within n - 1 steps every other broker
         * is examined, and rf <= n leaves one acceptable, so this ends. */
        int64_t k = 0;
        for (int32_t j = 1; j < rf; j++) {
            for (;;) {
                int64_t pos = replica_index(first, shift * n_racks, k++, n);
                bool rack_ok = !rack_used[rack_of[pos]] || racks_used == n_racks;
                bool broker_ok = !pos_used[pos] || brokers_used == n;
                if (rack_ok && broker_ok) {
                    racks_used += !rack_used[rack_of[pos]];
                    brokers_used += !pos_used[pos];
                    rack_used[rack_of[pos]] = true;
                    pos_used[pos] = true;
                    chosen[j] = pos;
                    break;
                }
            }
        }

        KsBrokerId *replicas = out + (size_t)i * (size_t)rf;
        for (int32_t j = 0; j < rf; j++) {
            replicas[j] = list[chosen[j]];
            rack_used[rack_of[chosen[j]]] = false;
            pos_used[chosen[j]] = false;
        }
    }
}

bool ks_placement_assign(const KsPlacementBroker *brokers, size_t n_brokers, int32_t n_partitions,
                         int32_t rf, int32_t start_index, int32_t replica_shift,
                         int32_t start_partition, KsBrokerId *out_replicas, GError **error)
{
    g_return_val_if_fail(brokers != NULL || n_brokers == 0, false);
    g_return_val_if_fail(out_replicas != NULL, false);
    g_return_val_if_fail(error == NULL || *error == NULL, false);

    /* User errors, in Kafka's order and with Kafka's messages. */
    if (n_partitions <= 0) {
        g_set_error_literal(error, KS_PLACEMENT_ERROR, KS_PLACEMENT_ERROR_INVALID_PARTITIONS,
                            "Number of partitions must be larger than 0.");
        return false;
    }
    if (rf <= 0) {
        g_set_error_literal(error, KS_PLACEMENT_ERROR,
                            KS_PLACEMENT_ERROR_INVALID_REPLICATION_FACTOR,
                            "Replication factor must be larger than 0.");
        return false;
    }
    if ((size_t)rf > n_brokers) {
        g_set_error(error, KS_PLACEMENT_ERROR, KS_PLACEMENT_ERROR_INVALID_REPLICATION_FACTOR,
                    "Replication factor: %" PRId32 " larger than available brokers: %zu.", rf,
                    n_brokers);
        return false;
    }
    size_t n_with_rack = 0;
    for (size_t i = 0; i < n_brokers; i++)
        n_with_rack += brokers[i].rack != NULL;
    if (n_with_rack != 0 && n_with_rack != n_brokers) {
        g_set_error_literal(error, KS_PLACEMENT_ERROR, KS_PLACEMENT_ERROR_PARTIAL_RACKS,
                            "Not all brokers have rack information for replica rack aware "
                            "assignment.");
        return false;
    }

    /* Programmer errors: the caller draws or fixes these in range. */
    g_return_val_if_fail(n_brokers <= INT32_MAX, false);
    g_return_val_if_fail(start_index >= 0 && (size_t)start_index < n_brokers, false);
    g_return_val_if_fail(replica_shift >= 0 && (size_t)replica_shift < n_brokers, false);
    int64_t first_partition = start_partition < 0 ? 0 : start_partition;
    g_return_val_if_fail(first_partition + n_partitions - 1 <= INT32_MAX, false);
    for (size_t i = 0; i < n_brokers; i++)
        g_return_val_if_fail(brokers[i].rack == NULL || g_utf8_validate(brokers[i].rack, -1, NULL),
                             false);

    g_autofree KsPlacementBroker *sorted = g_memdup2(brokers, n_brokers * sizeof *brokers);
    qsort(sorted, n_brokers, sizeof *sorted, compare_by_id);
    for (size_t i = 1; i < n_brokers; i++)
        g_return_val_if_fail(sorted[i - 1].id != sorted[i].id, false);

    int64_t n = (int64_t)n_brokers;
    if (n_with_rack == 0)
        assign_rack_unaware(sorted, n, n_partitions, rf, start_index, replica_shift,
                            first_partition, out_replicas);
    else
        assign_rack_aware(sorted, n, n_partitions, rf, start_index, replica_shift, first_partition,
                          out_replicas);
    return true;
}

/*
 * AdminZkClient.addPartitions: startIndex = max(0, the index in the
 * id-sorted broker list of the first broker whose id >= the first replica
 * of partition 0). With distinct ids that index is the number of ids below
 * it, so no sort is needed. Kafka passes this position as the fixed start
 * index even when placement then runs over the rack-alternated list, where
 * positions mean other brokers; we return the same number and let
 * ks_placement_assign use it the same way.
 */
int32_t ks_placement_start_for_added(const KsPlacementBroker *brokers, size_t n_brokers,
                                     KsBrokerId first_replica_of_p0)
{
    g_return_val_if_fail(brokers != NULL || n_brokers == 0, 0);
    g_return_val_if_fail(n_brokers <= INT32_MAX, 0);

    size_t below = 0;
    bool found = false;
    for (size_t i = 0; i < n_brokers; i++) {
        if (brokers[i].id < first_replica_of_p0)
            below++;
        else
            found = true;
    }
    return found ? (int32_t)below : 0;
}
