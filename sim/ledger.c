/* SPDX-License-Identifier: MIT */
/*
 * ledger.c - what became of every acknowledged record.
 *
 * A producer remembers the sequence ranges it saw acknowledged, per
 * partition (KsProducerPartition.acked); a log remembers, per run, which
 * producer's sequences it holds. A record is lost when it was acknowledged
 * and the partition's log no longer has it: the acks=1 leader died before a
 * follower copied it, or an unclean election chose a replica that never had
 * it. Counting is exact, by interval arithmetic over ranges, never by
 * sampling.
 *
 * The partition's log is its leader's; an offline partition is judged by the
 * replica that a clean election would pick (the first ISR member in
 * assignment order), since that is the data that comes back with it.
 */
#include "producer-private.h"
#include "model.h"

static int cmp_range(gconstpointer a, gconstpointer b)
{
    const KsSeqRange *x = a, *y = b;
    return (x->first > y->first) - (x->first < y->first);
}

/* The replica whose log counts for @part. */
static const KsReplica *reference_replica(KsPartition *part)
{
    KsReplica *lr = ks_partition_leader_replica(part);
    if (lr)
        return lr;
    for (int32_t i = 0; i < part->n_replicas; i++)
        if (ks_partition_in_isr(part, part->replicas[i].broker->id))
            return &part->replicas[i];
    return &part->replicas[0];
}

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

int64_t ks_ledger_records_lost(const KsSim *sim)
{
    int64_t lost = 0;
    g_autoptr(GArray) acked = g_array_new(FALSE, FALSE, sizeof(KsSeqRange));
    g_autoptr(GArray) present = g_array_new(FALSE, FALSE, sizeof(KsSeqRange));
    for (guint i = 0; i < sim->producers->len; i++) {
        const KsProducer *p = g_ptr_array_index(sim->producers, i);
        for (int32_t k = 0; k < p->topic->n_partitions; k++) {
            const GArray *ranges = p->parts[k].acked;
            if (ranges->len == 0)
                continue;
            g_array_set_size(acked, 0);
            g_array_append_vals(acked, ranges->data, ranges->len);
            g_array_sort(acked, cmp_range);
            g_array_set_size(present, 0);
            const KsReplica *ref = reference_replica(&p->topic->partitions[k]);
            for (guint r = 0; r < ref->log.runs->len; r++) {
                const KsLogRun *run = &g_array_index(ref->log.runs, KsLogRun, r);
                if (run->producer != p->index)
                    continue;
                KsSeqRange s = {.first = run->first_seq, .count = run->count};
                g_array_append_val(present, s);
            }
            g_array_sort(present, cmp_range);
            lost += ks_ledger_missing(acked, present);
        }
    }
    return lost;
}
