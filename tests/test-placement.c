/* SPDX-License-Identifier: MIT */
/*
 * test-placement.c - replica placement against Kafka's
 * AdminUtils.assignReplicasToBrokers.
 *
 * Every row of tests/refs/replica_assignment_vectors.tsv is asserted. The
 * hand-written cases restate the AdminUtils javadoc, AdminRackAwareTest,
 * RackAwareTest's distribution checks and AddPartitionsTest. Kafka draws
 * the start index and the shift at random, so the distribution properties
 * are checked for every pair of values it could draw.
 */
#include "ks-test.h"
#include "ks-tsv.h"

#include <string.h>

#include "kafkasim/placement.h"

/* ------------------------------------------------------------ vector file */

static int64_t parse_i64(const char *text, const char *where)
{
    gint64 value = 0;
    g_autoptr(GError) error = NULL;
    if (!g_ascii_string_to_signed(text, 10, INT64_MIN, INT64_MAX, &value, &error))
        fail_msg("%s: %s", where, error->message);
    return value;
}

/* ------------------------------------------------------------- helpers */

/* "1,2,3" as broker ids. */
static GArray *parse_ids(const char *text)
{
    GArray *ids = g_array_new(FALSE, FALSE, sizeof(KsBrokerId));
    g_auto(GStrv) parts = g_strsplit(text, ",", -1);
    for (guint i = 0; parts[i] != NULL; i++) {
        KsBrokerId id = (KsBrokerId)parse_i64(parts[i], text);
        g_array_append_val(ids, id);
    }
    return ids;
}

/* A broker list as the vectors write it: "0:rack1,1:rack3" or "0,1,2". The
 * rack strings point into @keep, which must outlive the result. */
static GArray *parse_brokers(const char *text, GStrv *keep)
{
    GArray *brokers = g_array_new(FALSE, FALSE, sizeof(KsPlacementBroker));
    *keep = g_strsplit(text, ",", -1);
    for (guint i = 0; (*keep)[i] != NULL; i++) {
        char *colon = strchr((*keep)[i], ':');
        if (colon != NULL)
            *colon = '\0';
        KsPlacementBroker b = {
            .id = (KsBrokerId)parse_i64((*keep)[i], text),
            .rack = colon != NULL ? colon + 1 : NULL,
        };
        g_array_append_val(brokers, b);
    }
    return brokers;
}

/* Brokers @ids[0..n-1] with racks @racks (NULL: no racks). */
static GArray *make_brokers(const KsBrokerId *ids, const char *const *racks, size_t n)
{
    GArray *brokers = g_array_new(FALSE, FALSE, sizeof(KsPlacementBroker));
    for (size_t i = 0; i < n; i++) {
        KsPlacementBroker b = {.id = ids[i], .rack = racks != NULL ? racks[i] : NULL};
        g_array_append_val(brokers, b);
    }
    return brokers;
}

/* Runs a placement that must succeed; returns n_partitions * rf ids. */
static KsBrokerId *assign_ok(const GArray *brokers, int32_t n_partitions, int32_t rf,
                             int32_t start_index, int32_t shift, int32_t start_partition)
{
    KsBrokerId *out = g_new(KsBrokerId, (size_t)n_partitions * (size_t)rf);
    g_autoptr(GError) error = NULL;
    if (!ks_placement_assign((const KsPlacementBroker *)brokers->data, brokers->len, n_partitions,
                             rf, start_index, shift, start_partition, out, &error))
        fail_msg("placement failed: %s", error != NULL ? error->message : "(no error)");
    assert_null(error);
    return out;
}

static void assert_replicas(const KsBrokerId *got, const KsBrokerId *want, int32_t rf,
                            int32_t partition)
{
    for (int32_t j = 0; j < rf; j++) {
        if (got[j] != want[j]) {
            GString *a = g_string_new(NULL), *b = g_string_new(NULL);
            for (int32_t k = 0; k < rf; k++) {
                g_string_append_printf(a, "%s%" PRId32, k ? "," : "", got[k]);
                g_string_append_printf(b, "%s%" PRId32, k ? "," : "", want[k]);
            }
            fail_msg("partition %" PRId32 ": replicas [%s], expected [%s]", partition, a->str,
                     b->str);
        }
    }
}

static const char *rack_of(const GArray *brokers, KsBrokerId id)
{
    for (guint i = 0; i < brokers->len; i++) {
        const KsPlacementBroker *b = &g_array_index(brokers, KsPlacementBroker, i);
        if (b->id == id)
            return b->rack;
    }
    fail_msg("broker %" PRId32 " is not in the list", id);
    return NULL;
}

static guint count_racks(const GArray *brokers)
{
    g_autoptr(GHashTable) racks = g_hash_table_new(g_str_hash, g_str_equal);
    for (guint i = 0; i < brokers->len; i++)
        g_hash_table_add(racks, (gpointer)g_array_index(brokers, KsPlacementBroker, i).rack);
    return g_hash_table_size(racks);
}

/* ----------------------------------------------------------------- vectors */

static void test_placement_vectors(void **state)
{
    g_autoptr(Tsv) t = tsv_load("replica_assignment_vectors.tsv");
    /* The file keeps the 25 rows Kafka's tests assert; fewer means it was cut. */
    assert_true(t->rows->len >= 25);
    guint rack_aware_rows = 0, added_rows = 0;
    for (guint i = 0; i < t->rows->len; i++) {
        g_auto(GStrv) keep = NULL;
        g_autoptr(GArray) brokers = parse_brokers(tsv_get(t, i, "brokers"), &keep);
        int32_t n_partitions = (int32_t)tsv_i64(t, i, "num_partitions");
        int32_t rf = (int32_t)tsv_i64(t, i, "rf");
        int32_t start_partition = (int32_t)tsv_i64(t, i, "start_partition_id");
        int32_t partition = (int32_t)tsv_i64(t, i, "partition");
        g_autoptr(GArray) want = parse_ids(tsv_get(t, i, "replicas"));

        g_autofree KsBrokerId *out =
            assign_ok(brokers, n_partitions, rf, (int32_t)tsv_i64(t, i, "start_index"),
                      (int32_t)tsv_i64(t, i, "next_replica_shift"), start_partition);
        int32_t first = start_partition < 0 ? 0 : start_partition;
        if (want->len != (guint)rf || partition < first || partition >= first + n_partitions)
            fail_msg("%s:%u: row does not fit its own parameters", t->name, tsv_line(t, i));
        for (int32_t j = 0; j < rf; j++) {
            KsBrokerId got = out[(size_t)(partition - first) * (size_t)rf + (size_t)j];
            KsBrokerId expected = g_array_index(want, KsBrokerId, j);
            if (got != expected)
                fail_msg("%s:%u: partition %" PRId32 " replica %" PRId32 " is %" PRId32
                         ", expected %" PRId32,
                         t->name, tsv_line(t, i), partition, j, got, expected);
        }
        rack_aware_rows += g_array_index(brokers, KsPlacementBroker, 0).rack != NULL;
        added_rows += start_partition > 0;
    }
    print_message("# %s: %u rows checked (%u rack-aware, %u with start_partition_id > 0)\n",
                  t->name, t->rows->len, rack_aware_rows, added_rows);
}

/* The table in the AdminUtils javadoc: brokers 0..4, 10 partitions, rf 3,
 * start 0. Row r, column b says which partition has broker b as its replica
 * number r / 2 (two rows per replica number). */
static void test_placement_javadoc_table(void **state)
{
    static const int32_t table[6][5] = {
        {0, 1, 2, 3, 4}, /* 1st replica */
        {5, 6, 7, 8, 9}, /* 1st replica */
        {4, 0, 1, 2, 3}, /* 2nd replica */
        {8, 9, 5, 6, 7}, /* 2nd replica */
        {3, 4, 0, 1, 2}, /* 3rd replica */
        {7, 8, 9, 5, 6}, /* 3rd replica */
    };
    const KsBrokerId ids[5] = {0, 1, 2, 3, 4};
    g_autoptr(GArray) brokers = make_brokers(ids, NULL, 5);
    g_autofree KsBrokerId *out = assign_ok(brokers, 10, 3, 0, 0, -1);
    for (int row = 0; row < 6; row++) {
        for (int broker = 0; broker < 5; broker++)
            ks_assert_i64_eq(out[table[row][broker] * 3 + row / 2], broker);
    }
}

/* Kafka sorts the brokers by id; the order they are given in is irrelevant. */
static void test_placement_sorts_brokers_by_id(void **state)
{
    const KsBrokerId sorted_ids[5] = {3, 8, 11, 20, 42};
    const KsBrokerId shuffled_ids[5] = {20, 3, 42, 11, 8};
    const char *const racks[5] = {"b", "a", "a", "c", "b"};
    const char *const shuffled_racks[5] = {"c", "b", "b", "a", "a"};
    g_autoptr(GArray) sorted = make_brokers(sorted_ids, NULL, 5);
    g_autoptr(GArray) shuffled = make_brokers(shuffled_ids, NULL, 5);
    g_autoptr(GArray) sorted_racked = make_brokers(sorted_ids, racks, 5);
    g_autoptr(GArray) shuffled_racked = make_brokers(shuffled_ids, shuffled_racks, 5);

    g_autofree KsBrokerId *a = assign_ok(sorted, 12, 3, 2, 4, 0);
    g_autofree KsBrokerId *b = assign_ok(shuffled, 12, 3, 2, 4, 0);
    assert_memory_equal(a, b, 12 * 3 * sizeof *a);
    /* The leader of partition 0 is the broker at sorted position 2. */
    ks_assert_i64_eq(a[0], 11);

    g_autofree KsBrokerId *c = assign_ok(sorted_racked, 12, 3, 2, 4, 0);
    g_autofree KsBrokerId *d = assign_ok(shuffled_racked, 12, 3, 2, 4, 0);
    assert_memory_equal(c, d, 12 * 3 * sizeof *c);
}

/* ------------------------------------------------------------- rack-aware */

/* AdminRackAwareTest#testGetRackAlternatedBrokerListAndAssignReplicasToBrokers
 * and the getRackAlternatedBrokerList javadoc. With rf 1 and start 0 the
 * leaders of partitions 0..n-1 are the rack-alternated list itself. */
static void test_placement_rack_alternated_list(void **state)
{
    const KsBrokerId ids[6] = {0, 1, 2, 3, 4, 5};
    const char *const racks[6] = {"rack1", "rack3", "rack3", "rack2", "rack2", "rack1"};
    g_autoptr(GArray) six = make_brokers(ids, racks, 6);
    g_autofree KsBrokerId *leaders6 = assign_ok(six, 6, 1, 0, 0, 0);
    const KsBrokerId want6[6] = {0, 3, 1, 5, 4, 2};
    assert_replicas(leaders6, want6, 6, 0);

    g_autoptr(GArray) five = make_brokers(ids, racks, 5); /* without broker 5 */
    g_autofree KsBrokerId *leaders5 = assign_ok(five, 5, 1, 0, 0, 0);
    const KsBrokerId want5[5] = {0, 3, 1, 4, 2};
    assert_replicas(leaders5, want5, 5, 0);

    const KsBrokerId nine_ids[9] = {8, 7, 6, 5, 4, 3, 2, 1, 0};
    const char *const nine_racks[9] = {"rack3", "rack3", "rack3", "rack2", "rack2",
                                       "rack2", "rack1", "rack1", "rack1"};
    g_autoptr(GArray) nine = make_brokers(nine_ids, nine_racks, 9);
    g_autofree KsBrokerId *leaders9 = assign_ok(nine, 9, 1, 0, 0, 0);
    const KsBrokerId want9[9] = {0, 3, 6, 1, 4, 7, 2, 5, 8};
    assert_replicas(leaders9, want9, 9, 0);

    /* The javadoc's 6 partitions with rf 3, then partition 6 shifted. */
    g_autofree KsBrokerId *out = assign_ok(six, 7, 3, 0, 0, 0);
    const KsBrokerId want[7][3] = {{0, 3, 1}, {3, 1, 5}, {1, 5, 4}, {5, 4, 2},
                                   {4, 2, 0}, {2, 0, 3}, {0, 4, 2}};
    for (int32_t p = 0; p < 7; p++)
        assert_replicas(out + p * 3, want[p], 3, p);
}

/* Rack names sort as Java strings (UTF-16 code units), which differs from
 * UTF-8 byte order only between U+E000..U+FFFF and characters beyond the
 * BMP: Java puts "\U00010000" before "\uFF21". */
static void test_placement_rack_names_sort_like_java(void **state)
{
    const KsBrokerId ids[4] = {0, 1, 2, 3};
    const char *const racks[4] = {"\uff21", "\U00010000", "\uff21", "\U00010000"};
    g_autoptr(GArray) brokers = make_brokers(ids, racks, 4);
    g_autofree KsBrokerId *leaders = assign_ok(brokers, 4, 1, 0, 0, 0);
    const KsBrokerId want[4] = {1, 0, 3, 2};
    assert_replicas(leaders, want, 4, 0);
}

/* AdminRackAwareTest#testSkipBrokerWithReplicaAlreadyAssigned: racks
 * {0:a, 1:b, 2:c, 3:a, 4:a}, 6 partitions, rf 4, fixed start 2. Kafka's
 * test checks only that no partition has a broker twice; the exact lists
 * come from a line-by-line transcription of AdminUtils (refs
 * replica_assignment.md's algorithm). Partitions 4 and 5 pin down that the
 * candidate counter k runs on from one follower to the next: restarting it
 * for each follower would give [1,4,2,0] and [2,4,1,0]. */
static void test_placement_skip_broker_with_replica(void **state)
{
    const KsBrokerId ids[5] = {0, 1, 2, 3, 4};
    const char *const racks[5] = {"a", "b", "c", "a", "a"};
    g_autoptr(GArray) brokers = make_brokers(ids, racks, 5);
    g_autofree KsBrokerId *out = assign_ok(brokers, 6, 4, 2, 2, -1);
    const KsBrokerId want[6][4] = {{2, 0, 1, 3}, {3, 1, 2, 4}, {4, 2, 1, 3},
                                   {0, 1, 2, 3}, {1, 4, 2, 3}, {2, 4, 1, 3}};
    for (int32_t p = 0; p < 6; p++)
        assert_replicas(out + p * 4, want[p], 4, p);
}

/* ------------------------------------------------------- adding partitions */

/* AddPartitionsTest#testReplicaPlacementAllServers: 4 brokers, partition 0
 * is [2,3,0,1]; growing to 7 partitions gives leaders 3,0,1,2,3,0 for
 * p1..p6, each with all four brokers (the order within the lists is what
 * AdminUtils.assignReplicasToBrokers derives). */
static void test_placement_add_partitions_all_servers(void **state)
{
    const KsBrokerId ids[4] = {0, 1, 2, 3};
    g_autoptr(GArray) brokers = make_brokers(ids, NULL, 4);
    int32_t start = ks_placement_start_for_added((const KsPlacementBroker *)brokers->data, 4, 2);
    ks_assert_i64_eq(start, 2);
    g_autofree KsBrokerId *out = assign_ok(brokers, 6, 4, start, start, 1);
    const KsBrokerId want[6][4] = {{3, 2, 0, 1}, {0, 3, 1, 2}, {1, 0, 2, 3},
                                   {2, 3, 0, 1}, {3, 0, 1, 2}, {0, 1, 2, 3}};
    const KsBrokerId leaders[6] = {3, 0, 1, 2, 3, 0};
    for (int32_t i = 0; i < 6; i++) {
        ks_assert_i64_eq(out[i * 4], leaders[i]);
        int seen = 0;
        for (int j = 0; j < 4; j++)
            seen |= 1 << out[i * 4 + j];
        ks_assert_i64_eq(seen, 0xf);
        assert_replicas(out + i * 4, want[i], 4, i + 1);
    }
}

/* AddPartitionsTest#testReplicaPlacementPartialServers: partition 0 is
 * [1,2]; growing to 3 partitions gives p1 led by 2 on {0,2} and p2 led by 3
 * on {1,3}. */
static void test_placement_add_partitions_partial_servers(void **state)
{
    const KsBrokerId ids[4] = {0, 1, 2, 3};
    g_autoptr(GArray) brokers = make_brokers(ids, NULL, 4);
    int32_t start = ks_placement_start_for_added((const KsPlacementBroker *)brokers->data, 4, 1);
    ks_assert_i64_eq(start, 1);
    g_autofree KsBrokerId *out = assign_ok(brokers, 2, 2, start, start, 1);
    /* Leader first, then the only other member of the set. */
    const KsBrokerId want[2][2] = {{2, 0}, {3, 1}};
    assert_replicas(out, want[0], 2, 1);
    assert_replicas(out + 2, want[1], 2, 2);
}

/* The first broker whose id is >= the old leader, by position in the
 * id-sorted list; 0 when there is none. */
static void test_placement_start_for_added(void **state)
{
    const KsBrokerId ids[3] = {30, 10, 20};
    g_autoptr(GArray) brokers = make_brokers(ids, NULL, 3);
    const KsPlacementBroker *b = (const KsPlacementBroker *)brokers->data;
    ks_assert_i64_eq(ks_placement_start_for_added(b, 3, 5), 0);
    ks_assert_i64_eq(ks_placement_start_for_added(b, 3, 10), 0);
    ks_assert_i64_eq(ks_placement_start_for_added(b, 3, 15), 1);
    ks_assert_i64_eq(ks_placement_start_for_added(b, 3, 20), 1);
    ks_assert_i64_eq(ks_placement_start_for_added(b, 3, 30), 2);
    ks_assert_i64_eq(ks_placement_start_for_added(b, 3, 31), 0);
    ks_assert_i64_eq(ks_placement_start_for_added(NULL, 0, 7), 0);
}

/* ------------------------------------------------------------------ errors */

static void assert_assign_fails(const GArray *brokers, int32_t n_partitions, int32_t rf, int code,
                                const char *message)
{
    KsBrokerId out[4] = {-7, -7, -7, -7};
    g_autoptr(GError) error = NULL;
    bool ok = ks_placement_assign(brokers->len ? (const KsPlacementBroker *)brokers->data : NULL,
                                  brokers->len, n_partitions, rf, 0, 0, 0, out, &error);
    assert_false(ok);
    assert_non_null(error);
    assert_true(error->domain == KS_PLACEMENT_ERROR);
    ks_assert_i64_eq(error->code, code);
    ks_assert_str_eq(error->message, message);
    for (int i = 0; i < 4; i++)
        ks_assert_i64_eq(out[i], -7);
}

/* Kafka's messages, checked in Kafka's order (partitions, then rf, then
 * racks), and the output left untouched. */
static void test_placement_errors(void **state)
{
    const KsBrokerId ids[3] = {0, 1, 2};
    const char *const racks[3] = {"a", NULL, "b"};
    g_autoptr(GArray) plain = make_brokers(ids, NULL, 3);
    g_autoptr(GArray) partial = make_brokers(ids, racks, 3);
    g_autoptr(GArray) none = make_brokers(ids, NULL, 0);

    assert_assign_fails(plain, 0, 1, KS_PLACEMENT_ERROR_INVALID_PARTITIONS,
                        "Number of partitions must be larger than 0.");
    assert_assign_fails(plain, -3, 0, KS_PLACEMENT_ERROR_INVALID_PARTITIONS,
                        "Number of partitions must be larger than 0.");
    assert_assign_fails(plain, 1, 0, KS_PLACEMENT_ERROR_INVALID_REPLICATION_FACTOR,
                        "Replication factor must be larger than 0.");
    assert_assign_fails(plain, 1, -1, KS_PLACEMENT_ERROR_INVALID_REPLICATION_FACTOR,
                        "Replication factor must be larger than 0.");
    assert_assign_fails(plain, 1, 4, KS_PLACEMENT_ERROR_INVALID_REPLICATION_FACTOR,
                        "Replication factor: 4 larger than available brokers: 3.");
    assert_assign_fails(none, 1, 1, KS_PLACEMENT_ERROR_INVALID_REPLICATION_FACTOR,
                        "Replication factor: 1 larger than available brokers: 0.");
    assert_assign_fails(partial, 1, 4, KS_PLACEMENT_ERROR_INVALID_REPLICATION_FACTOR,
                        "Replication factor: 4 larger than available brokers: 3.");
    assert_assign_fails(partial, 1, 1, KS_PLACEMENT_ERROR_PARTIAL_RACKS,
                        "Not all brokers have rack information for replica rack aware "
                        "assignment.");

    /* A NULL error is allowed and the call still fails. */
    KsBrokerId out[1] = {-7};
    assert_false(
        ks_placement_assign((const KsPlacementBroker *)plain->data, 3, 1, 5, 0, 0, 0, out, NULL));
    ks_assert_i64_eq(out[0], -7);
}

/* -------------------------------------------------------------- properties */

/* RackAwareTest#checkReplicaDistribution, for one placement. */
typedef struct {
    bool rack_aware;             /* every replica of a partition on its own rack */
    bool leaders_even;           /* each broker leads n_partitions / n brokers */
    bool replicas_even;          /* each broker holds n_partitions * rf / n */
    int32_t racks_per_partition; /* if > 0: distinct racks per partition */
} Checks;

static void check_distribution(const GArray *brokers, const KsBrokerId *out, int32_t n_partitions,
                               int32_t rf, Checks checks, const char *what)
{
    guint n = brokers->len;
    g_autoptr(GHashTable) leaders = g_hash_table_new(g_direct_hash, g_direct_equal);
    g_autoptr(GHashTable) replicas = g_hash_table_new(g_direct_hash, g_direct_equal);
    for (int32_t p = 0; p < n_partitions; p++) {
        const KsBrokerId *r = out + (size_t)p * (size_t)rf;
        g_autoptr(GHashTable) racks = g_hash_table_new(g_str_hash, g_str_equal);
        for (int32_t j = 0; j < rf; j++) {
            /* Always: no broker twice in one partition (rf <= brokers). */
            for (int32_t k = 0; k < j; k++) {
                if (r[j] == r[k])
                    fail_msg("%s: partition %" PRId32 " has broker %" PRId32 " twice", what, p,
                             r[j]);
            }
            const char *rack = rack_of(brokers, r[j]);
            if (rack != NULL)
                g_hash_table_add(racks, (gpointer)rack);
            gpointer key = GINT_TO_POINTER(r[j]);
            g_hash_table_insert(
                replicas, key,
                GINT_TO_POINTER(GPOINTER_TO_INT(g_hash_table_lookup(replicas, key)) + 1));
        }
        gpointer leader = GINT_TO_POINTER(r[0]);
        g_hash_table_insert(
            leaders, leader,
            GINT_TO_POINTER(GPOINTER_TO_INT(g_hash_table_lookup(leaders, leader)) + 1));
        if (checks.rack_aware && g_hash_table_size(racks) != (guint)rf)
            fail_msg("%s: partition %" PRId32 " has %u racks for %" PRId32 " replicas", what, p,
                     g_hash_table_size(racks), rf);
        if (checks.racks_per_partition > 0 &&
            g_hash_table_size(racks) != (guint)checks.racks_per_partition)
            fail_msg("%s: partition %" PRId32 " has %u racks, expected %" PRId32, what, p,
                     g_hash_table_size(racks), checks.racks_per_partition);
    }
    for (guint i = 0; i < n; i++) {
        gpointer id = GINT_TO_POINTER(g_array_index(brokers, KsPlacementBroker, i).id);
        int led = GPOINTER_TO_INT(g_hash_table_lookup(leaders, id));
        int held = GPOINTER_TO_INT(g_hash_table_lookup(replicas, id));
        if (checks.leaders_even && led != n_partitions / (int32_t)n)
            fail_msg("%s: broker %d leads %d partitions, expected %d", what, GPOINTER_TO_INT(id),
                     led, n_partitions / (int32_t)n);
        if (checks.replicas_even && held != n_partitions * rf / (int32_t)n)
            fail_msg("%s: broker %d holds %d replicas, expected %d", what, GPOINTER_TO_INT(id),
                     held, n_partitions * rf / (int32_t)n);
    }
}

/* Runs one placement for every (start index, shift) pair Kafka could draw. */
static void check_every_start(const GArray *brokers, int32_t n_partitions, int32_t rf,
                              int32_t start_partition, Checks checks, const char *name)
{
    int32_t n = (int32_t)brokers->len;
    for (int32_t start = 0; start < n; start++) {
        for (int32_t shift = 0; shift < n; shift++) {
            g_autofree KsBrokerId *out =
                assign_ok(brokers, n_partitions, rf, start, shift, start_partition);
            g_autofree char *what =
                g_strdup_printf("%s, %" PRId32 " partitions from %" PRId32 ", rf %" PRId32
                                ", start %" PRId32 ", shift %" PRId32,
                                name, n_partitions, start_partition, rf, start, shift);
            check_distribution(brokers, out, n_partitions, rf, checks, what);
        }
    }
}

/* Rack-unaware: when the partition count is a multiple of the broker count,
 * leaders and replicas are spread exactly evenly, for every rf, every start
 * pair, and also when adding partitions from a multiple of n. */
static void test_placement_properties_rack_unaware(void **state)
{
    static const KsBrokerId set1[] = {42};
    static const KsBrokerId set2[] = {5, 1};
    static const KsBrokerId set3[] = {7, 8, 9};
    static const KsBrokerId set5[] = {0, 1, 2, 3, 4};
    static const KsBrokerId set6[] = {3, 1, 4, 15, 9, 2};
    static const struct {
        const KsBrokerId *ids;
        size_t n;
    } sets[] = {{set1, 1}, {set2, 2}, {set3, 3}, {set5, 5}, {set6, 6}};
    const Checks even = {.leaders_even = true, .replicas_even = true};
    const Checks distinct_only = {0};

    for (size_t s = 0; s < G_N_ELEMENTS(sets); s++) {
        g_autoptr(GArray) brokers = make_brokers(sets[s].ids, NULL, sets[s].n);
        int32_t n = (int32_t)sets[s].n;
        for (int32_t rf = 1; rf <= n; rf++) {
            check_every_start(brokers, 3 * n, rf, 0, even, "rack-unaware");
            check_every_start(brokers, 2 * n, rf, n, even, "rack-unaware expansion");
            check_every_start(brokers, n + 1, rf, 3, distinct_only, "rack-unaware uneven");
        }
    }
}

/* The cases of AdminRackAwareTest, each for every (start, shift) pair: Kafka
 * runs most of them with random start values, so the properties must hold
 * for all of them. */
static void test_placement_properties_rack_aware(void **state)
{
    static const KsBrokerId ids6[] = {0, 1, 2, 3, 4, 5};
    static const char *const r123[] = {"rack1", "rack2", "rack2", "rack3", "rack3", "rack1"};
    static const char *const uneven[] = {"rack1", "rack1", "rack2", "rack3", "rack3", "rack1"};
    static const char *const more[] = {"rack1", "rack2", "rack2", "rack3", "rack3", "rack2"};
    static const char *const single[] = {"rack1", "rack1", "rack1", "rack1", "rack1", "rack1"};
    static const KsBrokerId ids6b[] = {6, 7, 8, 9, 10, 11};
    static const KsBrokerId ids3[] = {0, 1, 4};
    static const char *const r3[] = {"rack1", "rack2", "rack3"};
    static const KsBrokerId ids12[] = {0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11};
    static const char *const r12[] = {"rack1", "rack2", "rack2", "rack3", "rack3", "rack1",
                                      "rack1", "rack2", "rack2", "rack3", "rack1", "rack3"};
    static const KsBrokerId ids5[] = {0, 1, 2, 3, 4};
    static const char *const abc[] = {"a", "b", "c", "a", "a"};

    const Checks all = {.rack_aware = true, .leaders_even = true, .replicas_even = true};
    /* Not static: `all` is not a constant expression in C (clang refuses). */
    const struct {
        const char *name;
        const KsBrokerId *ids;
        const char *const *racks;
        size_t n;
        int32_t n_partitions, rf, start_partition;
        Checks checks;
    } cases[] = {
        {"testAssignmentWithRackAware", ids6, r123, 6, 6, 3, 0, all},
        {"testAssignmentWithRackAwareWithUnevenReplicas",
         ids6,
         r123,
         6,
         13,
         3,
         0,
         {.rack_aware = true}},
        {"testAssignmentWithRackAwareWithUnevenRacks",
         ids6,
         uneven,
         6,
         12,
         3,
         0,
         {.rack_aware = true, .leaders_even = true}},
        {"testAssignmentWith2ReplicasRackAware", ids6, r123, 6, 12, 2, 0, all},
        {"testRackAwareExpansion", ids6b, r123, 6, 12, 2, 12, all},
        {"testAssignmentWith2ReplicasRackAwareWith6Partitions", ids6, r123, 6, 6, 2, 0, all},
        {"testAssignmentWith2ReplicasRackAwareWith6PartitionsAnd3Brokers", ids3, r3, 3, 3, 2, 0,
         all},
        {"testLargeNumberPartitionsAssignment", ids12, r12, 12, 96, 3, 0, all},
        {"testMoreReplicasThanRacks", ids6, more, 6, 6, 5, 0, {.racks_per_partition = 3}},
        {"testLessReplicasThanRacks", ids6, more, 6, 6, 2, 0, {.racks_per_partition = 2}},
        {"testSingleRack",
         ids6,
         single,
         6,
         6,
         3,
         0,
         {.leaders_even = true, .racks_per_partition = 1}},
        {"testSkipBrokerWithReplicaAlreadyAssigned", ids5, abc, 5, 6, 4, 0, {0}},
    };
    for (size_t c = 0; c < G_N_ELEMENTS(cases); c++) {
        g_autoptr(GArray) brokers = make_brokers(cases[c].ids, cases[c].racks, cases[c].n);
        check_every_start(brokers, cases[c].n_partitions, cases[c].rf, cases[c].start_partition,
                          cases[c].checks, cases[c].name);
    }
}

/* Rack-aware, every rf: replicas of a partition sit on min(rf, racks)
 * distinct racks (at most one per rack when rf <= racks, every rack used
 * when rf >= racks), never on one broker twice. */
static void test_placement_properties_rack_spread(void **state)
{
    static const KsBrokerId ids[] = {10, 11, 12, 13, 14, 15, 16};
    static const char *const layouts[][7] = {
        {"x", "y", "z", "x", "y", "z", "x"},
        {"a", "a", "a", "a", "b", "c", "c"},
        {"r1", "r2", "r3", "r4", "r1", "r2", "r1"},
    };
    for (size_t l = 0; l < G_N_ELEMENTS(layouts); l++) {
        g_autoptr(GArray) brokers = make_brokers(ids, layouts[l], 7);
        int32_t n_racks = (int32_t)count_racks(brokers);
        for (int32_t rf = 1; rf <= 7; rf++) {
            Checks spread = {.racks_per_partition = MIN(rf, n_racks)};
            check_every_start(brokers, 14, rf, 0, spread, "rack spread");
            check_every_start(brokers, 9, rf, 5, spread, "rack spread, added");
        }
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_placement_vectors),
        cmocka_unit_test(test_placement_javadoc_table),
        cmocka_unit_test(test_placement_sorts_brokers_by_id),
        cmocka_unit_test(test_placement_rack_alternated_list),
        cmocka_unit_test(test_placement_rack_names_sort_like_java),
        cmocka_unit_test(test_placement_skip_broker_with_replica),
        cmocka_unit_test(test_placement_add_partitions_all_servers),
        cmocka_unit_test(test_placement_add_partitions_partial_servers),
        cmocka_unit_test(test_placement_start_for_added),
        cmocka_unit_test(test_placement_errors),
        cmocka_unit_test(test_placement_properties_rack_unaware),
        cmocka_unit_test(test_placement_properties_rack_aware),
        cmocka_unit_test(test_placement_properties_rack_spread),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
