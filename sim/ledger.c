/* SPDX-License-Identifier: MIT */
/*
 * ledger.c - what became of every record.
 *
 * Every record an application hands to a producer is, at any moment,
 * exactly one of pending (in the producer's accumulator or in flight),
 * acknowledged or refused; an acknowledged record is moreover lost while
 * the partition's log no longer holds it. The ledger counts these per
 * producer, per partition and in total, and it is the only place that
 * does: the summary, the timeline's last lines and the `records-*`
 * conditions read it.
 *
 * Where each transition is reported from (one call per site):
 *   produced   producer.c, as records reach the accumulator (accumulate)
 *   acked      producer.c, when a success answer settles a batch
 *   refused    producer.c, when a batch is given up on (both: one call,
 *              ks_ledger_settled, in settle_batch); an acks=0 batch counts
 *              as acknowledged as it leaves, and its range is judged once
 *              the broker has handled the request (ks_ledger_landed, in
 *              ks_producer_respond): the producer never hears
 *   written    broker.c, at the leader's append (ks_broker_handle_produce)
 *   truncated  broker.c, where a follower truncates (fetch response)
 *   leader     controller.c, whenever a partition's leader or ISR is
 *              written (write_leader_and_isr)
 *
 * Loss. The identity of a record is (producer, partition, sequence); see
 * KsLogRun. The log that counts for a partition, its log of record, is its
 * leader's; an offline partition is judged by the replica a clean election
 * would pick (the first ISR member in assignment order, else the first
 * replica), since that is the data that comes back with it. A record is
 * lost while it is acknowledged and absent from the log of record. That
 * happens at an acks=1 failover or an unclean election, the moment the new
 * leader lacks what the old one acknowledged (the old leader's truncation,
 * when it comes back, only makes it so on disk); or when an answer arrives
 * after the leader that wrote the records lost its place. Each producer
 * stream keeps three range sets of sequences: acked, written (what the log
 * of record holds) and lost = acked - written. They are maintained as the
 * events happen: an acknowledgement adds its range and, at once, the part
 * of it that is not written to lost; an append adds to written; a change of
 * the log of record (an election, a truncation of that log) re-derives the
 * partition's written sets from the new log's runs and lost from them. A
 * read costs nothing. A range is counted lost once, however many replicas
 * later truncate it; it stops counting only if a replica that still holds
 * it leads again (an unclean election back to an old leader that had not
 * truncated yet), as counting from scratch would say too. ks_ledger_recount_lost() keeps the old
 * way of counting, from scratch, for the invariant checker to compare.
 *
 * Causes. Every lost range is attributed, once, as it becomes lost, to
 * one of four causes, kept per stream as range sets beside `lost`, so a
 * range that stops being lost (an old leader that still holds it leads
 * again) leaves its cause's count too:
 *   power-loss      the log of record lacks it because a power loss cut
 *                   it from that replica (ks_ledger_power_cut keeps, per
 *                   replica, the sequences a power loss removed), or it
 *                   was acknowledged by a leader leading, in the same
 *                   epoch, a log a power loss cut, whose followers may
 *                   hold other records of that epoch at its offsets
 *                   (ks_ledger_acked_after_power_cut);
 *   zombie          else, it was acknowledged by a leader whose leader
 *                   epoch the controller had already superseded, naming
 *                   another leader or none, when it answered
 *                   (ks_ledger_zombie_acked, from the broker's answer):
 *                   this depends only on epochs, leaders and the time of
 *                   the ack, not on how the leader came to be a zombie;
 *   unclean         else, the latest election was unclean;
 *   acks1-failover  else: a clean election (or a leader's machine going
 *                   down) moved the log of record to a replica that never
 *                   had it, which only acks=0/1 records can be.
 *
 * Invariants: produced = pending + acked + refused, per stream and hence
 * per producer, per partition and in total; pending equals the records in
 * the producers' batches (the invariant checker compares); lost is a subset
 * of acked; every range set is sorted, disjoint and has no two adjacent
 * ranges; lost equals the from-scratch count.
 *
 * Cost. Ranges, never records (DESIGN principle 3): a producer writing one
 * partition under one leader has one acked range and one written range
 * however many records it sends; a refused batch or a loss leaves a gap, so
 * memory grows with such episodes, not with traffic. A partition finds its
 * accounts through KsPartition.ledger and a producer's stream by index, so
 * every transition is O(1) in the usual case: `produced` runs once per run
 * of records to one partition and is a handful of additions;
 * acknowledgements and appends extend the last range (O(log ranges) plus a
 * move otherwise). Counts are kept per stream and in total; a producer's or
 * a partition's are summed when asked (views only). An election or a
 * truncation of the log of record costs one pass over that log's runs and a
 * sort of each stream's written ranges; both are rare next to records. In
 * scenarios/acks-and-data-loss.ks (1.6 million records) the ledger is about
 * 6% of the instructions.
 */
#include "ledger.h"
#include "model.h"

/* One producer's records in one partition. */
typedef struct {
    GArray *acked;                     /* of KsSeqRange: acknowledged sequences */
    GArray *written;                   /* of KsSeqRange: sequences the log of record holds */
    GArray *lost;                      /* of KsSeqRange: acked minus written */
    GArray *lost_by[KS_LOSS_N_CAUSES]; /* lost, split by cause; NULL: none yet */
    GArray *zombie;      /* of KsSeqRange: acknowledged by a superseded leader; NULL: none */
    GArray *after_power; /* of KsSeqRange: acknowledged by a leader leading, in the same
                            epoch, a log a power loss cut; NULL: none */
    KsLedgerCounts counts;
} KsLedgerStream;

/* Sequences a power loss cut from one replica's log. */
typedef struct {
    const KsReplica *replica;
    int32_t producer;
    KsSeqRange range;
} KsPowerCut;

/* One partition: its producers' streams and where its log of record is.
 * The partition points at it (KsPartition.ledger). */
typedef struct KsLedgerPartition {
    KsPartition *part;
    const KsReplica *ref; /* the replica whose log counts */
    GPtrArray *streams;   /* of KsLedgerStream*, by producer index; NULL: none */
    KsLossCause cause;    /* of what the log of record lacks, unless zombie or power-loss:
                             its latest election's */
    GArray *power_cuts;   /* of KsPowerCut; NULL: none */
    /* Next (consumer groups): GPtrArray *groups, of per-group offset range
     * sets (processed, skipped) and their counts. */
} KsLedgerPartition;

struct KsLedger {
    GPtrArray *parts;   /* of KsLedgerPartition* (owned), in order of first use */
    KsLedgerCounts all; /* totals */
};

/* ---- range sets: GArrays of KsSeqRange, sorted, disjoint, not adjacent ---- */

static int64_t range_end(const KsSeqRange *r)
{
    return r->first + r->count;
}

static int cmp_range(gconstpointer a, gconstpointer b)
{
    const KsSeqRange *x = a, *y = b;
    return (x->first > y->first) - (x->first < y->first);
}

/* Index of the first range of @set that ends at or after @pos. */
static guint first_reaching(const GArray *set, int64_t pos)
{
    guint lo = 0, hi = set->len;
    while (lo < hi) {
        guint mid = lo + (hi - lo) / 2;
        if (range_end(&g_array_index(set, KsSeqRange, mid)) < pos)
            lo = mid + 1;
        else
            hi = mid;
    }
    return lo;
}

/* Adds [first, first + count) to @set; returns how many of its records
 * were not in it already. */
static int64_t set_add(GArray *set, int64_t first, int64_t count)
{
    if (count <= 0)
        return 0;
    /* The usual case: the range continues the last one. */
    KsSeqRange *last = set->len ? &g_array_index(set, KsSeqRange, set->len - 1) : NULL;
    if (last && range_end(last) == first) {
        last->count += count;
        return count;
    }
    int64_t end = first + count, covered = 0;
    guint i = first_reaching(set, first), j = i;
    /* Ranges i .. j-1 overlap or touch the new one: they merge into it. */
    while (j < set->len && g_array_index(set, KsSeqRange, j).first <= end) {
        const KsSeqRange *r = &g_array_index(set, KsSeqRange, j);
        covered += MAX(0, MIN(end, range_end(r)) - MAX(first, r->first));
        first = MIN(first, r->first);
        end = MAX(end, range_end(r));
        j++;
    }
    KsSeqRange merged = {.first = first, .count = end - first};
    if (j > i) {
        g_array_index(set, KsSeqRange, i) = merged;
        g_array_remove_range(set, i + 1, j - i - 1);
    } else {
        g_array_insert_val(set, i, merged);
    }
    return count - covered;
}

/* Removes [first, first + count) from @set; returns how many records it
 * held of it. */
static int64_t set_remove(GArray *set, int64_t first, int64_t count)
{
    int64_t end = first + count, removed = 0;
    guint i = first_reaching(set, first + 1);
    while (i < set->len && g_array_index(set, KsSeqRange, i).first < end) {
        KsSeqRange r = g_array_index(set, KsSeqRange, i);
        removed += MIN(end, range_end(&r)) - MAX(first, r.first);
        KsSeqRange left = {.first = r.first, .count = first - r.first};
        KsSeqRange right = {.first = end, .count = range_end(&r) - end};
        g_array_remove_index(set, i);
        if (right.count > 0)
            g_array_insert_val(set, i, right);
        if (left.count > 0) {
            g_array_insert_val(set, i, left);
            i++;
        }
        if (right.count > 0)
            i++;
    }
    return removed;
}

/* Appends to @out the parts of [first, first + count) that are in no range
 * of @set. */
static void set_complement_of(GArray *out, const GArray *set, int64_t first, int64_t count)
{
    int64_t pos = first, end = first + count;
    for (guint i = first_reaching(set, first + 1); i < set->len && pos < end; i++) {
        const KsSeqRange *r = &g_array_index(set, KsSeqRange, i);
        if (r->first > pos) {
            KsSeqRange gap = {.first = pos, .count = MIN(end, r->first) - pos};
            g_array_append_val(out, gap);
        }
        pos = MAX(pos, range_end(r));
    }
    if (pos < end) {
        KsSeqRange gap = {.first = pos, .count = end - pos};
        g_array_append_val(out, gap);
    }
}

/* Sorts @set and merges overlapping and adjacent ranges. */
static void set_normalize(GArray *set)
{
    g_array_sort(set, cmp_range);
    guint out = 0;
    for (guint i = 0; i < set->len; i++) {
        const KsSeqRange *r = &g_array_index(set, KsSeqRange, i);
        KsSeqRange *last = out > 0 ? &g_array_index(set, KsSeqRange, out - 1) : NULL;
        if (last && r->first <= range_end(last))
            last->count = MAX(range_end(last), range_end(r)) - last->first;
        else
            g_array_index(set, KsSeqRange, out++) = *r;
    }
    g_array_set_size(set, out);
}

static int64_t set_size(const GArray *set)
{
    int64_t n = 0;
    for (guint i = 0; set && i < set->len; i++)
        n += g_array_index(set, KsSeqRange, i).count;
    return n;
}

/* Appends to @out the records in both @a and @b (sets), in order. */
static void set_intersection(GArray *out, const GArray *a, const GArray *b)
{
    guint i = 0, j = 0;
    while (a && b && i < a->len && j < b->len) {
        const KsSeqRange *x = &g_array_index(a, KsSeqRange, i);
        const KsSeqRange *y = &g_array_index(b, KsSeqRange, j);
        int64_t lo = MAX(x->first, y->first), hi = MIN(range_end(x), range_end(y));
        if (hi > lo) {
            KsSeqRange r = {.first = lo, .count = hi - lo};
            g_array_append_val(out, r);
        }
        if (range_end(x) < range_end(y))
            i++;
        else
            j++;
    }
}

/* @a minus @b, into @out (emptied first). */
static void set_difference(GArray *out, const GArray *a, const GArray *b)
{
    g_array_set_size(out, 0);
    for (guint i = 0; a && i < a->len; i++) {
        const KsSeqRange *r = &g_array_index(a, KsSeqRange, i);
        set_complement_of(out, b, r->first, r->count);
    }
}

static GArray *set_new(void)
{
    return g_array_new(FALSE, FALSE, sizeof(KsSeqRange));
}

static void set_free(GArray *set)
{
    if (set)
        g_array_free(set, TRUE);
}

const char *ks_loss_cause_name(KsLossCause cause)
{
    switch (cause) {
    case KS_LOSS_UNCLEAN:
        return "unclean";
    case KS_LOSS_POWER:
        return "power-loss";
    case KS_LOSS_ZOMBIE:
        return "zombie";
    case KS_LOSS_ACKS1_FAILOVER:
        return "acks1-failover";
    case KS_LOSS_N_CAUSES:
        break;
    }
    return "?";
}

/* ---- the ledger's own state ---- */

/* The replica whose log counts for @part: its acting leader, unless that
 * leader's machine is down (a clean election will pass it over), else the
 * first in-sync replica on a machine that is up, else the first in-sync
 * replica, else the first replica. */
static const KsReplica *reference_replica(KsPartition *part)
{
    KsReplica *lr = ks_partition_leader_replica(part);
    if (lr && lr->broker->node->up)
        return lr;
    for (int32_t i = 0; i < part->n_replicas; i++)
        if (part->replicas[i]->in_isr && part->replicas[i]->broker->node->up)
            return part->replicas[i];
    if (lr)
        return lr;
    for (int32_t i = 0; i < part->n_replicas; i++)
        if (part->replicas[i]->in_isr)
            return part->replicas[i];
    return part->replicas[0];
}

static void stream_free(gpointer data)
{
    KsLedgerStream *s = data;
    if (!s)
        return;
    g_array_free(s->acked, TRUE);
    g_array_free(s->written, TRUE);
    g_array_free(s->lost, TRUE);
    for (int c = 0; c < KS_LOSS_N_CAUSES; c++)
        set_free(s->lost_by[c]);
    set_free(s->zombie);
    set_free(s->after_power);
    g_free(s);
}

static void partition_free(gpointer data)
{
    KsLedgerPartition *lp = data;
    g_ptr_array_free(lp->streams, TRUE);
    if (lp->power_cuts)
        g_array_free(lp->power_cuts, TRUE);
    g_free(lp);
}

KsLedger *ks_ledger_new(void)
{
    KsLedger *l = g_new0(KsLedger, 1);
    l->parts = g_ptr_array_new_with_free_func(partition_free);
    return l;
}

void ks_ledger_free(KsLedger *l)
{
    if (!l)
        return;
    g_ptr_array_free(l->parts, TRUE);
    g_free(l);
}

static KsLedgerStream *find_stream(const KsLedgerPartition *lp, int producer)
{
    if (!lp || producer < 0 || (guint)producer >= lp->streams->len)
        return NULL;
    return g_ptr_array_index(lp->streams, producer);
}

/* Re-derives the written sets of @lp's streams from its log of record, in
 * one pass over the log's runs. */
static void derive_written(KsLedgerPartition *lp)
{
    for (guint p = 0; p < lp->streams->len; p++) {
        KsLedgerStream *s = g_ptr_array_index(lp->streams, p);
        if (s)
            g_array_set_size(s->written, 0);
    }
    const GArray *runs = lp->ref->log.runs;
    for (guint i = 0; i < runs->len; i++) {
        const KsLogRun *run = &g_array_index(runs, KsLogRun, i);
        KsLedgerStream *s = find_stream(lp, run->producer);
        KsSeqRange r = {.first = run->first_seq, .count = run->count};
        if (s)
            g_array_append_val(s->written, r);
    }
    for (guint p = 0; p < lp->streams->len; p++) {
        KsLedgerStream *s = g_ptr_array_index(lp->streams, p);
        if (s)
            set_normalize(s->written);
    }
}

/* Where one producer's records in one partition are counted. */
typedef struct {
    KsLedgerStream *s;
    KsLedgerPartition *lp;
    int producer;
} Accounts;

/* The accounts of @producer in @part, made on first use. */
static G_GNUC_NO_INLINE Accounts open_accounts(KsLedger *l, int producer, KsPartition *part)
{
    KsLedgerPartition *lp = part->ledger;
    if (!lp) {
        lp = g_new0(KsLedgerPartition, 1);
        lp->part = part;
        lp->ref = reference_replica(part);
        lp->cause = KS_LOSS_ACKS1_FAILOVER;
        lp->streams = g_ptr_array_new_with_free_func(stream_free);
        g_ptr_array_add(l->parts, lp);
        part->ledger = lp;
    }
    if ((guint)producer >= lp->streams->len)
        g_ptr_array_set_size(lp->streams, producer + 1);
    KsLedgerStream *s = g_new0(KsLedgerStream, 1);
    s->acked = g_array_new(FALSE, FALSE, sizeof(KsSeqRange));
    s->written = g_array_new(FALSE, FALSE, sizeof(KsSeqRange));
    s->lost = g_array_new(FALSE, FALSE, sizeof(KsSeqRange));
    g_ptr_array_index(lp->streams, producer) = s;
    derive_written(lp);
    return (Accounts){.s = s, .lp = lp, .producer = producer};
}

static inline Accounts accounts(KsLedger *l, int producer, KsPartition *part)
{
    KsLedgerPartition *lp = part->ledger;
    KsLedgerStream *s = find_stream(lp, producer);
    if (G_LIKELY(s))
        return (Accounts){.s = s, .lp = lp, .producer = producer};
    return open_accounts(l, producer, part);
}

/* Adds @d to the stream's counts and the totals (a partition's and a
 * producer's are sums of streams, made when asked). */
static void add(KsLedger *l, const Accounts *a, KsLedgerCounts d)
{
    KsLedgerCounts *all[] = {&a->s->counts, &l->all};
    for (size_t i = 0; i < G_N_ELEMENTS(all); i++) {
        all[i]->produced += d.produced;
        all[i]->pending += d.pending;
        all[i]->acked += d.acked;
        all[i]->refused += d.refused;
        all[i]->lost += d.lost;
        for (int c = 0; c < KS_LOSS_N_CAUSES; c++)
            all[i]->lost_by[c] += d.lost_by[c];
    }
}

/* Adds the ranges of @fresh (newly lost, a set) to the cause sets of @a's
 * stream, each to its cause (see the essay), and returns the counts. */
static KsLedgerCounts attribute(const Accounts *a, const GArray *fresh, KsLossCause cause)
{
    KsLedgerCounts d = {0};
    if (!fresh || fresh->len == 0)
        return d;
    g_autoptr(GArray) rest = set_new();
    g_autoptr(GArray) part = set_new();
    g_autoptr(GArray) left = set_new();
    g_array_append_vals(rest, fresh->data, fresh->len);
    /* A power loss first: the log of record had those records and lost
     * them, whoever acknowledged them. */
    KsLossCause order[2] = {KS_LOSS_POWER, KS_LOSS_ZOMBIE};
    for (int k = 0; k < 2; k++) {
        g_autoptr(GArray) marked = set_new();
        if (order[k] == KS_LOSS_ZOMBIE && a->s->zombie) {
            g_array_append_vals(marked, a->s->zombie->data, a->s->zombie->len);
        } else if (order[k] == KS_LOSS_POWER) {
            if (a->s->after_power)
                g_array_append_vals(marked, a->s->after_power->data, a->s->after_power->len);
            for (guint i = 0; a->lp->power_cuts && i < a->lp->power_cuts->len; i++) {
                const KsPowerCut *pc = &g_array_index(a->lp->power_cuts, KsPowerCut, i);
                if (pc->replica == a->lp->ref && pc->producer == a->producer)
                    g_array_append_val(marked, pc->range);
            }
            set_normalize(marked);
        }
        g_array_set_size(part, 0);
        set_intersection(part, rest, marked);
        if (part->len == 0)
            continue;
        GArray **into = &a->s->lost_by[order[k]];
        if (!*into)
            *into = set_new();
        for (guint i = 0; i < part->len; i++) {
            const KsSeqRange *r = &g_array_index(part, KsSeqRange, i);
            d.lost_by[order[k]] += set_add(*into, r->first, r->count);
        }
        set_difference(left, rest, part);
        g_array_set_size(rest, 0);
        g_array_append_vals(rest, left->data, left->len);
    }
    GArray **into = &a->s->lost_by[cause];
    for (guint i = 0; i < rest->len; i++) {
        const KsSeqRange *r = &g_array_index(rest, KsSeqRange, i);
        if (!*into)
            *into = set_new();
        d.lost_by[cause] += set_add(*into, r->first, r->count);
    }
    return d;
}

/* Called once per run of records to one partition (the partitioner may
 * pick per record): kept to a few additions. */
void ks_ledger_produced(KsLedger *l, int producer, KsPartition *part, int64_t n)
{
    Accounts a = accounts(l, producer, part);
    a.s->counts.produced += n;
    a.s->counts.pending += n;
    l->all.produced += n;
    l->all.pending += n;
}

/* Whether [first, first + count) lies within one range of @set. */
static bool set_covers(const GArray *set, int64_t first, int64_t count)
{
    if (set->len == 0)
        return false;
    /* The usual case: the last range, just extended by the append. */
    const KsSeqRange *last = &g_array_index(set, KsSeqRange, set->len - 1);
    if (last->first <= first && range_end(last) >= first + count)
        return true;
    guint i = first_reaching(set, first + 1);
    if (i == set->len)
        return false;
    const KsSeqRange *r = &g_array_index(set, KsSeqRange, i);
    return r->first <= first && range_end(r) >= first + count;
}

/* Acknowledged [first, first + n): what the log of record lacks of it is
 * lost from now on. */
static void judge(KsLedger *l, const Accounts *a, int64_t first, int64_t n)
{
    set_add(a->s->acked, first, n);
    if (set_covers(a->s->written, first, n))
        return;
    g_autoptr(GArray) gone = set_new();
    g_autoptr(GArray) fresh = set_new();
    set_complement_of(gone, a->s->written, first, n);
    set_difference(fresh, gone, a->s->lost);
    int64_t lost = 0;
    for (guint i = 0; i < fresh->len; i++) {
        const KsSeqRange *r = &g_array_index(fresh, KsSeqRange, i);
        lost += set_add(a->s->lost, r->first, r->count);
    }
    KsLedgerCounts d = attribute(a, fresh, a->lp->cause);
    d.lost = lost;
    add(l, a, d);
}

void ks_ledger_landed(KsLedger *l, int producer, KsPartition *part, int64_t first_seq, int64_t n)
{
    Accounts a = accounts(l, producer, part);
    judge(l, &a, first_seq, n);
}

void ks_ledger_settled(KsLedger *l, int producer, KsPartition *part, int64_t first_seq, int64_t n,
                       KsLedgerFate fate)
{
    Accounts a = accounts(l, producer, part);
    int64_t *field = fate == KS_LEDGER_REFUSED ? &a.s->counts.refused : &a.s->counts.acked;
    int64_t *total = fate == KS_LEDGER_REFUSED ? &l->all.refused : &l->all.acked;
    a.s->counts.pending -= n;
    l->all.pending -= n;
    *field += n;
    *total += n;
    if (fate == KS_LEDGER_ACKED)
        judge(l, &a, first_seq, n);
}

void ks_ledger_written(KsLedger *l, int producer, KsReplica *replica, int64_t first_seq, int64_t n)
{
    KsLedgerPartition *lp = replica->part->ledger;
    if (!lp || lp->ref != replica || producer < 0)
        return;
    Accounts a = accounts(l, producer, replica->part);
    set_add(a.s->written, first_seq, n);
    /* An acknowledged record written again is not lost any more (no path
     * resends one today; this keeps the count exact if one does). */
    if (a.s->lost->len > 0) {
        KsLedgerCounts d = {.lost = -set_remove(a.s->lost, first_seq, n)};
        for (int c = 0; c < KS_LOSS_N_CAUSES; c++)
            if (a.s->lost_by[c])
                d.lost_by[c] = -set_remove(a.s->lost_by[c], first_seq, n);
        add(l, &a, d);
    }
}

/* The log of record of @lp changed: re-derives its streams' written and
 * lost sets from it; what is newly lost is attributed to its cause. */
static void rederive(KsLedger *l, KsLedgerPartition *lp)
{
    derive_written(lp);
    g_autoptr(GArray) fresh = set_new();
    for (guint p = 0; p < lp->streams->len; p++) {
        KsLedgerStream *s = g_ptr_array_index(lp->streams, p);
        if (!s)
            continue;
        GArray *old = s->lost;
        s->lost = set_new();
        for (guint i = 0; i < s->acked->len; i++) {
            const KsSeqRange *a = &g_array_index(s->acked, KsSeqRange, i);
            set_complement_of(s->lost, s->written, a->first, a->count);
        }
        set_normalize(s->lost);
        Accounts a = {.s = s, .lp = lp, .producer = (int)p};
        KsLedgerCounts d = {.lost = set_size(s->lost) - set_size(old)};
        /* What is no longer lost leaves its cause too. */
        for (int c = 0; c < KS_LOSS_N_CAUSES; c++) {
            if (!s->lost_by[c] || s->lost_by[c]->len == 0)
                continue;
            GArray *kept = set_new();
            set_intersection(kept, s->lost_by[c], s->lost);
            d.lost_by[c] = set_size(kept) - set_size(s->lost_by[c]);
            g_array_free(s->lost_by[c], TRUE);
            s->lost_by[c] = kept;
        }
        set_difference(fresh, s->lost, old);
        g_array_free(old, TRUE);
        KsLedgerCounts by = attribute(&a, fresh, lp->cause);
        for (int c = 0; c < KS_LOSS_N_CAUSES; c++)
            d.lost_by[c] += by.lost_by[c];
        add(l, &a, d);
    }
}

void ks_ledger_leader_changed(KsLedger *l, KsPartition *part)
{
    KsLedgerPartition *lp = part->ledger;
    if (!lp)
        return;
    const KsReplica *ref = reference_replica(part);
    if (ref == lp->ref)
        return;
    lp->ref = ref;
    rederive(l, lp);
}

void ks_ledger_truncated(KsLedger *l, KsReplica *replica)
{
    KsLedgerPartition *lp = replica->part->ledger;
    if (lp && lp->ref == replica)
        rederive(l, lp);
}

void ks_ledger_election(KsLedger *l, KsPartition *part, bool unclean)
{
    if (part->ledger)
        part->ledger->cause = unclean ? KS_LOSS_UNCLEAN : KS_LOSS_ACKS1_FAILOVER;
}

void ks_ledger_zombie_acked(KsLedger *l, int producer, KsPartition *part, int64_t first_seq,
                            int64_t n)
{
    Accounts a = accounts(l, producer, part);
    if (!a.s->zombie)
        a.s->zombie = set_new();
    set_add(a.s->zombie, first_seq, n);
}

void ks_ledger_acked_after_power_cut(KsLedger *l, int producer, KsPartition *part,
                                     int64_t first_seq, int64_t n)
{
    Accounts a = accounts(l, producer, part);
    if (!a.s->after_power)
        a.s->after_power = set_new();
    set_add(a.s->after_power, first_seq, n);
}

void ks_ledger_power_cut(KsLedger *l, KsReplica *replica, int64_t to)
{
    KsLedgerPartition *lp = replica->part->ledger;
    const GArray *runs = replica->log.runs;
    if (!lp || to >= replica->log.end)
        return;
    if (!lp->power_cuts)
        lp->power_cuts = g_array_new(FALSE, FALSE, sizeof(KsPowerCut));
    for (guint i = runs->len; i > 0; i--) {
        const KsLogRun *run = &g_array_index(runs, KsLogRun, i - 1);
        if (run->base + run->count <= to)
            break;
        if (run->producer < 0)
            continue;
        int64_t skip = MAX(0, to - run->base);
        KsPowerCut pc = {.replica = replica,
                         .producer = run->producer,
                         .range = {.first = run->first_seq + skip, .count = run->count - skip}};
        g_array_append_val(lp->power_cuts, pc);
    }
}

void ks_ledger_power_lost(KsLedger *l, KsReplica *replica)
{
    KsLedgerPartition *lp = replica->part->ledger;
    if (!lp)
        return;
    const KsReplica *ref = reference_replica(replica->part);
    if (ref == lp->ref && ref != replica)
        return;
    lp->ref = ref;
    rederive(l, lp);
}

/* ---- queries ---- */

const KsLedgerCounts *ks_ledger_total(const KsLedger *l)
{
    return &l->all;
}

static void sum_into(KsLedgerCounts *sum, const KsLedgerCounts *c)
{
    sum->produced += c->produced;
    sum->pending += c->pending;
    sum->acked += c->acked;
    sum->refused += c->refused;
    sum->lost += c->lost;
    for (int k = 0; k < KS_LOSS_N_CAUSES; k++)
        sum->lost_by[k] += c->lost_by[k];
}

KsLedgerCounts ks_ledger_producer_counts(const KsLedger *l, int producer)
{
    KsLedgerCounts sum = {0};
    for (guint i = 0; i < l->parts->len; i++) {
        const KsLedgerStream *s = find_stream(g_ptr_array_index(l->parts, i), producer);
        if (s)
            sum_into(&sum, &s->counts);
    }
    return sum;
}

KsLedgerCounts ks_ledger_partition_counts(const KsLedger *l, const KsPartition *part)
{
    KsLedgerCounts sum = {0};
    const KsLedgerPartition *lp = part->ledger;
    for (guint p = 0; lp && p < lp->streams->len; p++) {
        const KsLedgerStream *s = g_ptr_array_index(lp->streams, p);
        if (s)
            sum_into(&sum, &s->counts);
    }
    return sum;
}

const GArray *ks_ledger_find_acked(const KsLedger *l, int producer, const KsPartition *part)
{
    const KsLedgerStream *s = find_stream(part->ledger, producer);
    return s ? s->acked : NULL;
}

const GArray *ks_ledger_find_lost(const KsLedger *l, int producer, const KsPartition *part)
{
    const KsLedgerStream *s = find_stream(part->ledger, producer);
    return s ? s->lost : NULL;
}

/* ---- the cross-check: counting from scratch ---- */

int64_t ks_ledger_missing(const GArray *acked, const GArray *present)
{
    int64_t lost = 0;
    guint j = 0;
    for (guint i = 0; i < acked->len; i++) {
        const KsSeqRange *a = &g_array_index(acked, KsSeqRange, i);
        int64_t pos = a->first, end = a->first + a->count;
        while (pos < end) {
            while (j < present->len) {
                const KsSeqRange *p = &g_array_index(present, KsSeqRange, j);
                if (p->first + p->count > pos)
                    break;
                j++;
            }
            if (j == present->len) {
                lost += end - pos;
                break;
            }
            const KsSeqRange *p = &g_array_index(present, KsSeqRange, j);
            if (p->first > pos) {
                int64_t gap_end = MIN(end, p->first);
                lost += gap_end - pos;
                pos = gap_end;
            } else {
                pos = MIN(end, p->first + p->count);
            }
        }
    }
    return lost;
}

int64_t ks_ledger_recount_lost(const KsSim *sim, const KsPartition *part)
{
    const KsLedgerPartition *lp = part->ledger;
    if (!lp)
        return 0;
    /* Judged afresh, not by the ledger's idea of which log counts: one pass
     * over its runs puts each producer's sequences in a list of their own. */
    const KsReplica *ref = reference_replica((KsPartition *)part);
    guint n = lp->streams->len;
    g_autoptr(GArray) present = g_array_new(FALSE, FALSE, sizeof(KsSeqRange));
    g_autofree guint *count = g_new0(guint, n + 1), *next = g_new0(guint, n);
    g_autofree bool *unsorted = g_new0(bool, n);
    const GArray *runs = ref->log.runs;
    for (guint r = 0; r < runs->len; r++) {
        int32_t p = g_array_index(runs, KsLogRun, r).producer;
        if (p >= 0 && (guint)p < n)
            count[p + 1]++;
    }
    for (guint p = 0; p < n; p++)
        count[p + 1] += count[p]; /* count[p]: where producer p's ranges start */
    g_array_set_size(present, count[n]);
    for (guint r = 0; r < runs->len; r++) {
        const KsLogRun *run = &g_array_index(runs, KsLogRun, r);
        if (run->producer < 0 || (guint)run->producer >= n)
            continue;
        guint p = (guint)run->producer, at = count[p] + next[p]++;
        KsSeqRange *sr = &g_array_index(present, KsSeqRange, at);
        *sr = (KsSeqRange){.first = run->first_seq, .count = run->count};
        if (at > count[p] && sr[-1].first > sr->first)
            unsorted[p] = true;
    }
    int64_t lost = 0;
    g_autoptr(GArray) mine = g_array_new(FALSE, FALSE, sizeof(KsSeqRange));
    for (guint p = 0; p < n; p++) {
        const KsLedgerStream *s = g_ptr_array_index(lp->streams, p);
        if (!s || s->acked->len == 0)
            continue;
        g_array_set_size(mine, 0);
        g_array_append_vals(mine, &g_array_index(present, KsSeqRange, count[p]),
                            count[p + 1] - count[p]);
        /* A producer's runs are in sequence order unless retries or a new
         * producer epoch reordered them: sort only then. */
        if (unsorted[p])
            g_array_sort(mine, cmp_range);
        lost += ks_ledger_missing(s->acked, mine);
    }
    return lost;
}
