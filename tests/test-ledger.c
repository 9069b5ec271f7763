/* SPDX-License-Identifier: MIT */
/*
 * test-ledger.c - the ledger's own rules: what becomes of every record.
 *
 * The first tests drive a KsLedger by hand over one partition of three
 * replicas whose logs the test writes, as broker.c and controller.c would:
 * records move from pending to acknowledged or refused, an acknowledged
 * range that the partition's log no longer holds counts as lost exactly
 * once, a truncation of unacknowledged records loses nothing, and ranges
 * merge so memory does not grow with records. Every case also compares the
 * kept count with the from-scratch recount. The last tests check the
 * recount's interval arithmetic against a bitmap of one bit per record.
 */
#include "ks-test.h"

#include "kafkasim/rng.h"
#include "sim/ledger.h"
#include "sim/model.h"

/* One partition of three replicas, replica 0 leading, all in sync, and a
 * ledger; only what the ledger reads is filled in. */
typedef struct {
    KsSim sim;
    KsPartition part;
    KsReplica reps[3];
    KsReplica *rep_ptrs[3];
    KsBroker brokers[3];
    KsNode nodes[3];
    KsLedger *l;
} Fixture;

static Fixture *fixture_new(void)
{
    Fixture *f = g_new0(Fixture, 1);
    f->part.n_replicas = 3;
    f->part.replicas = f->rep_ptrs;
    for (int i = 0; i < 3; i++) {
        f->rep_ptrs[i] = &f->reps[i];
        f->reps[i].part = &f->part;
        f->reps[i].in_isr = true;
        f->nodes[i].up = true;
        f->brokers[i].id = i + 1;
        f->brokers[i].node = &f->nodes[i];
        f->reps[i].broker = &f->brokers[i];
        ks_log_init(&f->reps[i].log);
    }
    f->part.leader_replica = &f->reps[0];
    f->l = ks_ledger_new();
    f->sim.ledger = f->l;
    return f;
}

static void fixture_free(Fixture *f)
{
    for (int i = 0; i < 3; i++)
        ks_log_clear(&f->reps[i].log);
    ks_ledger_free(f->l);
    g_free(f);
}

/* @producer's sequences [first, first + count) appended to @r's log. */
static void append(Fixture *f, KsReplica *r, int producer, int64_t first, int64_t count)
{
    ks_log_append(&r->log, count, 0, producer, 0, first);
    ks_ledger_written(f->l, producer, r, first, count);
}

/* @r becomes the leader (NULL: offline; then the first ISR member counts). */
static void elect(Fixture *f, KsReplica *r)
{
    f->part.leader_replica = r;
    ks_ledger_leader_changed(f->l, &f->part);
}

static void truncate_to(Fixture *f, KsReplica *r, int64_t offset)
{
    ks_log_truncate(&r->log, offset);
    ks_ledger_truncated(f->l, r);
}

static void settle(Fixture *f, int producer, int64_t first, int64_t count, KsLedgerFate fate)
{
    ks_ledger_settled(f->l, producer, &f->part, first, count, fate);
}

static int64_t lost(Fixture *f)
{
    int64_t kept = ks_ledger_partition_counts(f->l, &f->part).lost;
    ks_assert_i64_eq(kept, ks_ledger_recount_lost(&f->sim, &f->part));
    ks_assert_i64_eq(ks_ledger_total(f->l)->lost, kept);
    return kept;
}

static void assert_adds_up(const KsLedgerCounts *c)
{
    ks_assert_i64_eq(c->produced, c->pending + c->acked + c->refused);
    assert_true(c->lost >= 0 && c->lost <= c->acked);
}

static void test_ledger_pending_moves_to_acked_and_refused(void **state)
{
    Fixture *f = fixture_new();
    ks_ledger_produced(f->l, 0, &f->part, 10);
    ks_ledger_produced(f->l, 1, &f->part, 5);
    ks_assert_i64_eq(ks_ledger_total(f->l)->pending, 15);
    append(f, &f->reps[0], 0, 0, 4);
    settle(f, 0, 0, 4, KS_LEDGER_ACKED);
    settle(f, 0, 4, 3, KS_LEDGER_REFUSED);
    settle(f, 1, 0, 5, KS_LEDGER_REFUSED);
    KsLedgerCounts p0 = ks_ledger_producer_counts(f->l, 0);
    ks_assert_i64_eq(p0.produced, 10);
    ks_assert_i64_eq(p0.acked, 4);
    ks_assert_i64_eq(p0.refused, 3);
    ks_assert_i64_eq(p0.pending, 3);
    KsLedgerCounts p1 = ks_ledger_producer_counts(f->l, 1);
    ks_assert_i64_eq(p1.refused, 5);
    ks_assert_i64_eq(p1.pending, 0);
    const KsLedgerCounts *all = ks_ledger_total(f->l);
    ks_assert_i64_eq(all->pending, 3);
    ks_assert_i64_eq(all->refused, 8);
    KsLedgerCounts part = ks_ledger_partition_counts(f->l, &f->part);
    assert_memory_equal(&part, all, sizeof part);
    assert_adds_up(&p0);
    assert_adds_up(&p1);
    assert_adds_up(all);
    /* A producer never used counts nothing. */
    ks_assert_i64_eq(ks_ledger_producer_counts(f->l, 7).produced, 0);
    ks_assert_i64_eq(lost(f), 0);

    /* acks=0: acknowledged as they leave, judged when they land. */
    settle(f, 0, 7, 3, KS_LEDGER_ACKED_UNSEEN);
    ks_assert_i64_eq(ks_ledger_total(f->l)->pending, 0);
    ks_assert_i64_eq(ks_ledger_total(f->l)->acked, 7);
    ks_assert_i64_eq(lost(f), 0);
    append(f, &f->reps[0], 0, 7, 2); /* the broker wrote 7..8, not 9 */
    ks_ledger_landed(f->l, 0, &f->part, 7, 3);
    ks_assert_i64_eq(lost(f), 1);
    assert_adds_up(ks_ledger_total(f->l));
    fixture_free(f);
}

/* Producer 0 hands over ten records, the leader (replica 0) writes them,
 * replica 1 copies the first five, and the first @acked are answered. */
static void leader_wrote_ten(Fixture *f, int64_t acked)
{
    ks_ledger_produced(f->l, 0, &f->part, 10);
    append(f, &f->reps[0], 0, 0, 10);
    ks_log_copy(&f->reps[1].log, &f->reps[0].log, 5);
    settle(f, 0, 0, acked, KS_LEDGER_ACKED);
}

/* acks=1: the leader acknowledged 0..9, a follower had copied 0..4 when it
 * took over. The five count as lost once: at the election, not again when
 * the old leader truncates, nor at later elections. */
static void test_ledger_acked_then_truncated_is_lost_once(void **state)
{
    Fixture *f = fixture_new();
    KsReplica *a = &f->reps[0], *b = &f->reps[1];
    leader_wrote_ten(f, 10);
    ks_assert_i64_eq(lost(f), 0);
    elect(f, b);
    ks_assert_i64_eq(lost(f), 5);
    ks_assert_i64_eq(ks_ledger_producer_counts(f->l, 0).lost, 5);
    truncate_to(f, a, 5); /* the old leader follows and truncates */
    ks_assert_i64_eq(lost(f), 5);
    elect(f, b); /* an ISR change: the same log counts */
    ks_assert_i64_eq(lost(f), 5);
    ks_log_copy(&a->log, &b->log, 5);
    elect(f, a);
    ks_assert_i64_eq(lost(f), 5);
    const GArray *gone = ks_ledger_find_lost(f->l, 0, &f->part);
    assert_non_null(gone);
    ks_assert_i64_eq(gone->len, 1);
    ks_assert_i64_eq(g_array_index(gone, KsSeqRange, 0).first, 5);
    ks_assert_i64_eq(g_array_index(gone, KsSeqRange, 0).count, 5);
    /* The new leader writes new records at the same offsets: not a loss. */
    ks_ledger_produced(f->l, 0, &f->part, 5);
    append(f, a, 0, 10, 5);
    settle(f, 0, 10, 5, KS_LEDGER_ACKED);
    ks_assert_i64_eq(lost(f), 5);
    assert_adds_up(ks_ledger_total(f->l));
    fixture_free(f);
}

/* The leader wrote 0..9 but had acknowledged only 0..4 when a follower
 * with 0..4 took over: cutting 5..9 off loses nothing. Their answer, if it
 * still comes, brings the loss with it. */
static void test_ledger_truncating_unacked_records_loses_nothing(void **state)
{
    Fixture *f = fixture_new();
    KsReplica *a = &f->reps[0], *b = &f->reps[1];
    leader_wrote_ten(f, 5);
    elect(f, b);
    truncate_to(f, a, 5);
    ks_assert_i64_eq(lost(f), 0);
    ks_assert_i64_eq(ks_ledger_total(f->l)->pending, 5);
    settle(f, 0, 5, 5, KS_LEDGER_ACKED);
    ks_assert_i64_eq(lost(f), 5);
    fixture_free(f);
}

/* Offline, the first ISR member's log counts; an unclean election of a
 * replica that never had the records loses them, and if the replica that
 * has them leads again they are back (as the recount says). */
static void test_ledger_offline_and_unclean(void **state)
{
    Fixture *f = fixture_new();
    KsReplica *a = &f->reps[0], *c = &f->reps[2];
    ks_ledger_produced(f->l, 0, &f->part, 8);
    append(f, a, 0, 0, 8);
    settle(f, 0, 0, 8, KS_LEDGER_ACKED);
    f->reps[1].in_isr = false;
    c->in_isr = false;
    elect(f, NULL); /* offline: replica 0 is the first in the ISR */
    ks_assert_i64_eq(lost(f), 0);
    elect(f, c); /* unclean */
    ks_assert_i64_eq(lost(f), 8);
    elect(f, a);
    ks_assert_i64_eq(lost(f), 0);
    fixture_free(f);
}

/* Adjacent and overlapping ranges merge: a producer that writes one
 * partition under one leader has one range however many records it sends. */
static void test_ledger_ranges_merge(void **state)
{
    Fixture *f = fixture_new();
    ks_ledger_produced(f->l, 0, &f->part, 100000);
    for (int64_t i = 0; i < 10000; i++) {
        append(f, &f->reps[0], 0, i * 10, 10);
        settle(f, 0, i * 10, 10, KS_LEDGER_ACKED);
    }
    const GArray *acked = ks_ledger_find_acked(f->l, 0, &f->part);
    ks_assert_i64_eq(acked->len, 1);
    ks_assert_i64_eq(g_array_index(acked, KsSeqRange, 0).count, 100000);
    ks_assert_i64_eq(f->reps[0].log.runs->len, 1);
    fixture_free(f);

    /* Out of order, with gaps, overlaps and a duplicate write. */
    f = fixture_new();
    ks_ledger_produced(f->l, 0, &f->part, 40);
    elect(f, &f->reps[1]); /* nothing is ever written there: all acked are lost */
    const int64_t ranges[][2] = {{20, 5}, {0, 5}, {10, 5}, {5, 5}, {30, 5}, {25, 5}, {15, 5}};
    for (size_t i = 0; i < G_N_ELEMENTS(ranges); i++)
        settle(f, 0, ranges[i][0], ranges[i][1], KS_LEDGER_ACKED);
    acked = ks_ledger_find_acked(f->l, 0, &f->part);
    const GArray *gone = ks_ledger_find_lost(f->l, 0, &f->part);
    ks_assert_i64_eq(acked->len, 1);
    ks_assert_i64_eq(gone->len, 1);
    ks_assert_i64_eq(g_array_index(acked, KsSeqRange, 0).count, 35);
    ks_assert_i64_eq(lost(f), 35);
    /* An overlapping range acknowledged again adds no loss twice. */
    ks_ledger_landed(f->l, 0, &f->part, 30, 10);
    ks_assert_i64_eq(lost(f), 40);
    /* Written again (twice, overlapping): no longer lost. */
    append(f, &f->reps[1], 0, 8, 4);
    append(f, &f->reps[1], 0, 10, 4);
    ks_assert_i64_eq(lost(f), 34);
    gone = ks_ledger_find_lost(f->l, 0, &f->part);
    ks_assert_i64_eq(gone->len, 2);
    ks_assert_i64_eq(g_array_index(gone, KsSeqRange, 0).count, 8);
    ks_assert_i64_eq(g_array_index(gone, KsSeqRange, 1).first, 14);
    fixture_free(f);
}

/* Random appends, copies, truncations, elections and answers over one
 * partition, two producers: the kept count always equals the recount. */
static void test_ledger_matches_recount_on_random_histories(void **state)
{
    KsRng rng;
    ks_rng_init(&rng, 77);
    for (int round = 0; round < 200; round++) {
        Fixture *f = fixture_new();
        int64_t next[2] = {0, 0};
        for (int step = 0; step < 200; step++) {
            int producer = (int)ks_rng_below(&rng, 2);
            KsReplica *r = &f->reps[ks_rng_below(&rng, 3)];
            KsReplica *leader = f->part.leader_replica;
            switch (ks_rng_below(&rng, 6)) {
            case 0: { /* a batch written and maybe answered */
                int64_t n = 1 + (int64_t)ks_rng_below(&rng, 5);
                ks_ledger_produced(f->l, producer, &f->part, n);
                if (leader && ks_rng_below(&rng, 4) > 0)
                    append(f, leader, producer, next[producer], n);
                settle(f, producer, next[producer], n,
                       ks_rng_below(&rng, 5) == 0 ? KS_LEDGER_REFUSED : KS_LEDGER_ACKED);
                next[producer] += n;
                break;
            }
            case 1:
            case 2:
                if (leader && r != leader) {
                    if (r->log.end > leader->log.end)
                        truncate_to(f, r, leader->log.end);
                    ks_log_copy(&r->log, &leader->log, leader->log.end);
                }
                break;
            case 3:
                truncate_to(f, r, (int64_t)ks_rng_below(&rng, (uint64_t)r->log.end + 1));
                break;
            case 4:
                elect(f, ks_rng_below(&rng, 4) == 0 ? NULL : r);
                break;
            default:
                r->in_isr = !r->in_isr;
                elect(f, leader);
                break;
            }
            lost(f);
            assert_adds_up(ks_ledger_total(f->l));
        }
        fixture_free(f);
    }
}

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

/* The lost records of @cause in the partition; the causes add up to the
 * whole. */
static int64_t lost_by(Fixture *f, KsLossCause cause)
{
    KsLedgerCounts c = ks_ledger_partition_counts(f->l, &f->part);
    int64_t sum = 0;
    for (int k = 0; k < KS_LOSS_N_CAUSES; k++)
        sum += c.lost_by[k];
    ks_assert_i64_eq(sum, lost(f));
    ks_assert_i64_eq(ks_ledger_total(f->l)->lost_by[cause], c.lost_by[cause]);
    return c.lost_by[cause];
}

/* acks=1 and a clean failover to a follower that had copied half: the
 * other half is lost to acks1-failover. */
static void test_ledger_cause_acks1_failover(void **state)
{
    Fixture *f = fixture_new();
    leader_wrote_ten(f, 10);
    ks_ledger_election(f->l, &f->part, false);
    elect(f, &f->reps[1]);
    ks_assert_i64_eq(lost_by(f, KS_LOSS_ACKS1_FAILOVER), 5);
    ks_assert_i64_eq(lost_by(f, KS_LOSS_UNCLEAN), 0);
    fixture_free(f);
}

/* The same failover made by an unclean election: unclean. When the old
 * leader leads again with its records, nothing is lost and no cause
 * counts anything. */
static void test_ledger_cause_unclean_and_back(void **state)
{
    Fixture *f = fixture_new();
    leader_wrote_ten(f, 10);
    ks_ledger_election(f->l, &f->part, true);
    elect(f, &f->reps[1]);
    ks_assert_i64_eq(lost_by(f, KS_LOSS_UNCLEAN), 5);
    elect(f, &f->reps[0]);
    ks_assert_i64_eq(lost_by(f, KS_LOSS_UNCLEAN), 0);
    ks_assert_i64_eq(lost(f), 0);
    fixture_free(f);
}

/* Records acknowledged by a leader whose epoch was already superseded are
 * zombie losses whatever the election was; the others follow it. */
static void test_ledger_cause_zombie(void **state)
{
    Fixture *f = fixture_new();
    leader_wrote_ten(f, 7);
    ks_ledger_zombie_acked(f->l, 0, &f->part, 7, 3);
    settle(f, 0, 7, 3, KS_LEDGER_ACKED);
    ks_ledger_election(f->l, &f->part, true);
    elect(f, &f->reps[1]);
    ks_assert_i64_eq(lost_by(f, KS_LOSS_ZOMBIE), 3);
    ks_assert_i64_eq(lost_by(f, KS_LOSS_UNCLEAN), 2);
    /* An answer that arrives after the failover is judged at once: its
     * records go to the cause too. */
    ks_ledger_produced(f->l, 0, &f->part, 2);
    ks_ledger_zombie_acked(f->l, 0, &f->part, 10, 2);
    settle(f, 0, 10, 2, KS_LEDGER_ACKED);
    ks_assert_i64_eq(lost_by(f, KS_LOSS_ZOMBIE), 5);
    fixture_free(f);
}

/* Every replica had 0..9 (acks=all); a power loss takes 4..9 from the
 * leader's log (the log of record): power-loss. A clean election of a
 * follower whose own log a power loss cut to 6 gives 6..7 back; what it
 * lacks is still the power loss's, not a failover's. */
static void test_ledger_cause_power_loss(void **state)
{
    Fixture *f = fixture_new();
    KsReplica *a = &f->reps[0], *b = &f->reps[1];
    ks_ledger_produced(f->l, 0, &f->part, 10);
    append(f, a, 0, 0, 10);
    ks_log_copy(&b->log, &a->log, 10);
    settle(f, 0, 0, 10, KS_LEDGER_ACKED);
    ks_ledger_power_cut(f->l, b, 6);
    ks_log_truncate(&b->log, 6);
    ks_ledger_power_lost(f->l, b);
    ks_assert_i64_eq(lost(f), 0); /* the leader's log still counts */
    ks_ledger_power_cut(f->l, a, 4);
    ks_log_truncate(&a->log, 4);
    ks_ledger_power_lost(f->l, a);
    ks_assert_i64_eq(lost_by(f, KS_LOSS_POWER), 6);
    ks_ledger_election(f->l, &f->part, false);
    elect(f, b);
    ks_assert_i64_eq(lost_by(f, KS_LOSS_POWER), 4);
    ks_assert_i64_eq(lost_by(f, KS_LOSS_ACKS1_FAILOVER), 0);
    fixture_free(f);
}

/* A leader's machine goes down: the log of record moves at once to the
 * first in-sync replica on a machine that is up, which a clean election
 * will pick. */
static void test_ledger_leader_machine_down_moves_the_log_of_record(void **state)
{
    Fixture *f = fixture_new();
    leader_wrote_ten(f, 10);
    f->nodes[0].up = false;
    ks_ledger_power_cut(f->l, &f->reps[0], 10);
    ks_ledger_power_lost(f->l, &f->reps[0]);
    ks_assert_i64_eq(lost_by(f, KS_LOSS_ACKS1_FAILOVER), 5);
    f->nodes[0].up = true;
    ks_ledger_leader_changed(f->l, &f->part);
    ks_assert_i64_eq(lost(f), 0);
    fixture_free(f);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_ledger_pending_moves_to_acked_and_refused),
        cmocka_unit_test(test_ledger_acked_then_truncated_is_lost_once),
        cmocka_unit_test(test_ledger_truncating_unacked_records_loses_nothing),
        cmocka_unit_test(test_ledger_offline_and_unclean),
        cmocka_unit_test(test_ledger_ranges_merge),
        cmocka_unit_test(test_ledger_matches_recount_on_random_histories),
        cmocka_unit_test(test_ledger_missing_by_hand),
        cmocka_unit_test(test_ledger_missing_matches_bitmap),
        cmocka_unit_test(test_ledger_cause_acks1_failover),
        cmocka_unit_test(test_ledger_cause_unclean_and_back),
        cmocka_unit_test(test_ledger_cause_zombie),
        cmocka_unit_test(test_ledger_cause_power_loss),
        cmocka_unit_test(test_ledger_leader_machine_down_moves_the_log_of_record),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
