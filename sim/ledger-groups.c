/* SPDX-License-Identifier: MIT */
/*
 * ledger-groups.c - what each consumer group did with every record: the
 * consumer side of the ledger.
 *
 * Per group and partition the ledger keeps the offsets processed at least
 * once, as sorted disjoint ranges (consumption is sequential, so a handful
 * of ranges at most), and counts every processing (consumed) and every
 * processing of an offset processed before (duplicated). A record is
 * skipped when the group's committed offset is past it and no member ever
 * processed it, nor is processing it now: it was committed before it was
 * processed (at-most-once), and the member died first. Skips are counted
 * from the first position the group started at, so records before a
 * `latest` start are not skipped, just never read. All counts are exact,
 * by interval arithmetic.
 *
 * When a member takes a partition at a committed offset below what the
 * group processed, the records in between will be delivered again: one
 * records_redelivered event says so, with the range; records_skipped
 * likewise names a committed range no one processed.
 */
#include <inttypes.h>

#include "consumer-private.h"

/* Orders a group's partitions by topic name, then partition. */
static int cmp_part(const KsPartition *x, const KsPartition *y)
{
    int c = g_strcmp0(x->topic->name, y->topic->name);
    return c ? c : (x->index > y->index) - (x->index < y->index);
}

/* The group's entry for @part, made on first use: found by the
 * partition's id; g->parts keeps them sorted by cmp_part for the reports,
 * a binary search giving where a new one goes. */
KsGroupPart *ks_ledger_group_part(KsGroup *g, KsPartition *part)
{
    if ((guint)part->id < g->part_by_id->len && g->part_by_id->pdata[part->id])
        return g->part_by_id->pdata[part->id];
    guint lo = 0, hi = g->parts->len;
    while (lo < hi) {
        guint mid = lo + (hi - lo) / 2;
        if (cmp_part(((KsGroupPart *)g_ptr_array_index(g->parts, mid))->part, part) < 0)
            lo = mid + 1;
        else
            hi = mid;
    }
    KsGroupPart *gp = g_new0(KsGroupPart, 1);
    gp->part = part;
    gp->processed = g_array_new(FALSE, FALSE, sizeof(KsOffsetRange));
    gp->origin = -1;
    gp->skip_reported = -1;
    g_ptr_array_insert(g->parts, (gint)lo, gp);
    if ((guint)part->id >= g->part_by_id->len)
        g_ptr_array_set_size(g->part_by_id, part->id + 1);
    g->part_by_id->pdata[part->id] = gp;
    return gp;
}

/* Records of [@first, @end) in @ranges (sorted, disjoint). */
static int64_t overlap(const GArray *ranges, int64_t first, int64_t end)
{
    int64_t n = 0;
    for (guint i = 0; i < ranges->len; i++) {
        const KsOffsetRange *r = &g_array_index(ranges, KsOffsetRange, i);
        int64_t lo = MAX(first, r->first), hi = MIN(end, r->first + r->count);
        if (hi > lo)
            n += hi - lo;
    }
    return n;
}

/* Adds [@first, @end) to @ranges, merging. */
static void add_range(GArray *ranges, int64_t first, int64_t end)
{
    guint i = 0;
    while (i < ranges->len && g_array_index(ranges, KsOffsetRange, i).first +
                                      g_array_index(ranges, KsOffsetRange, i).count <
                                  first)
        i++;
    while (i < ranges->len && g_array_index(ranges, KsOffsetRange, i).first <= end) {
        const KsOffsetRange *r = &g_array_index(ranges, KsOffsetRange, i);
        first = MIN(first, r->first);
        end = MAX(end, r->first + r->count);
        g_array_remove_index(ranges, i);
    }
    KsOffsetRange n = {first, end - first};
    g_array_insert_val(ranges, i, n);
}

void ks_ledger_consumed(KsSim *sim, KsGroup *g, KsPartition *part, int64_t first, int64_t count)
{
    if (count <= 0)
        return;
    KsGroupPart *gp = ks_ledger_group_part(g, part);
    int64_t dup = overlap(gp->processed, first, first + count);
    gp->consumed += count;
    gp->duplicated += dup;
    sim->stats.records_consumed += count;
    sim->stats.records_duplicated += dup;
    add_range(gp->processed, first, first + count);
}

static void emit_range(KsSim *sim, KsEventType type, KsGroup *g, KsConsumer *c,
                       const KsPartition *part, int64_t first, int64_t end)
{
    KsEvent ev = ks_event_init(type, ks_engine_now(sim->engine));
    ev.consumer_range.group = g->name;
    ev.consumer_range.consumer = c ? c->name : NULL;
    ev.consumer_range.topic = part->topic->name;
    ev.consumer_range.partition = part->index;
    ev.consumer_range.from_offset = first;
    ev.consumer_range.to_offset = end - 1;
    ks_sim_emit(sim, &ev);
}

void ks_ledger_position_taken(KsSim *sim, KsGroup *g, KsConsumer *c, KsPartition *part,
                              int64_t position)
{
    KsGroupPart *gp = ks_ledger_group_part(g, part);
    if (gp->origin < 0)
        gp->origin = position;
    /* Processed records at or after the position come again. */
    int64_t high = -1;
    if (gp->processed->len > 0) {
        const KsOffsetRange *last =
            &g_array_index(gp->processed, KsOffsetRange, gp->processed->len - 1);
        high = last->first + last->count;
    }
    if (high > position && overlap(gp->processed, position, high) > 0) {
        int64_t from = position;
        while (overlap(gp->processed, from, from + 1) == 0)
            from++;
        emit_range(sim, KS_EV_RECORDS_REDELIVERED, g, c, part, from, high);
    }
    /* Committed but never processed, before the position. */
    int64_t o = MAX(gp->origin, gp->skip_reported);
    for (guint i = 0; i < gp->processed->len && o < position; i++) {
        const KsOffsetRange *r = &g_array_index(gp->processed, KsOffsetRange, i);
        if (r->first > o)
            emit_range(sim, KS_EV_RECORDS_SKIPPED, g, c, part, o, MIN(r->first, position));
        o = MAX(o, r->first + r->count);
    }
    if (o < position)
        emit_range(sim, KS_EV_RECORDS_SKIPPED, g, c, part, o, position);
    gp->skip_reported = MAX(gp->skip_reported, position);
}

/* Records of @gp that @c is processing now. */
static void add_in_flight(const KsSim *sim, const KsGroup *g, const KsGroupPart *gp, GArray *ranges)
{
    for (guint i = 0; i < sim->consumers->len; i++) {
        const KsConsumer *c = g_ptr_array_index(sim->consumers, i);
        if (!c->running || c->group != g ||
            (c->app != KS_APP_PROCESSING && c->app != KS_APP_COMMITTING))
            continue;
        for (guint k = 0; k < c->batch->len; k++) {
            const KsConsumerRange *r = &g_array_index(c->batch, KsConsumerRange, k);
            if (r->part == gp->part)
                add_range(ranges, r->first, r->first + r->count);
        }
    }
}

int64_t ks_ledger_group_skipped(const KsSim *sim, const KsGroup *g)
{
    int64_t skipped = 0;
    for (guint i = 0; i < g->parts->len; i++) {
        const KsGroupPart *gp = g_ptr_array_index(g->parts, i);
        int64_t committed = ks_group_committed(sim, g, gp->part);
        if (gp->origin < 0 || committed <= gp->origin)
            continue;
        g_autoptr(GArray) done = g_array_copy(gp->processed);
        add_in_flight(sim, g, gp, done);
        skipped += committed - gp->origin - overlap(done, gp->origin, committed);
    }
    return skipped;
}

int64_t ks_ledger_group_consumed(const KsGroup *g)
{
    int64_t n = 0;
    for (guint i = 0; i < g->parts->len; i++)
        n += ((const KsGroupPart *)g_ptr_array_index(g->parts, i))->consumed;
    return n;
}

int64_t ks_ledger_group_duplicated(const KsGroup *g)
{
    int64_t n = 0;
    for (guint i = 0; i < g->parts->len; i++)
        n += ((const KsGroupPart *)g_ptr_array_index(g->parts, i))->duplicated;
    return n;
}
