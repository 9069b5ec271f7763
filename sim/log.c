/* SPDX-License-Identifier: MIT */
/*
 * log.c - a partition replica's log and its leader-epoch cache.
 *
 * A log is an array of runs (see KsLogRun in model.h): appends extend the
 * last run when epoch, producer and sequence continue it, so a log that only
 * grows under one leader stays one run per producer and memory does not grow
 * with traffic. Finding an offset is a binary search over runs, copying and
 * truncating touch only the runs involved.
 *
 * The leader-epoch cache follows Kafka's LeaderEpochFileCache (KIP-101):
 * a list of (epoch, start offset) in which both strictly increase. assign()
 * and endOffsetFor() are Kafka's rules, checked against the cases of
 * LeaderEpochFileCacheTest in tests/test-log.c.
 *
 * What is on disk (KsLogDisk). Kafka appends to the page cache and fsyncs
 * only when told to, by two settings (UnifiedLog.append, LogManager's
 * kafka-log-flusher task, Kafka 3.9):
 *  - flush.messages (broker: log.flush.interval.messages, default
 *    Long.MAX_VALUE): after an append, leader's or follower's, the log is
 *    flushed whole when log end - recovery point >= the setting;
 *  - flush.ms (broker: log.flush.interval.ms, default null, which means
 *    log.flush.scheduler.interval.ms, default Long.MAX_VALUE): the flusher
 *    task runs every log.flush.scheduler.interval.ms from 30 s after the
 *    broker starts (LogManager.InitialTaskDelayMs) and flushes a log whose
 *    last flush is at least flush.ms old and that holds unflushed records.
 * With the defaults Kafka never fsyncs a partition's log while it runs
 * (only at a clean shutdown): durability is replication's job, and the
 * operating system writes the page cache back on its own. That writeback
 * is Linux's, modelled simply: the flusher thread wakes every
 * vm.dirty_writeback_centisecs (500: 5 s; 0: never), on a grid from the
 * start of the run, and writes out every file that has been dirty for at
 * least vm.dirty_expire_centisecs (3000: 30 s), the whole file (Linux
 * tracks the age of an inode's oldest dirty data, its dirtied_when, and
 * writes back the inode's dirty pages). One log is one file here; writeback
 * forced by memory pressure (vm.dirty_background_ratio) is not modelled.
 *
 * Nothing runs on a timer: every rule is a function of time between two
 * changes of the log, so ks_log_writeback, called before each change (and
 * before the disk state is read), applies the flusher runs and writeback
 * wake-ups that fell since the last call, in O(1): the first of them that
 * finds the log dirty writes all of it, and the rest find it clean. A run
 * at the instant of an append sees the log as it was before the append.
 */
#include "model.h"

void ks_log_init(KsLog *log)
{
    log->runs = g_array_new(FALSE, FALSE, sizeof(KsLogRun));
    log->end = 0;
    log->disk = (KsLogDisk){.dirty_since = -1};
}

void ks_log_clear(KsLog *log)
{
    if (log->runs)
        g_array_free(log->runs, TRUE);
    log->runs = NULL;
    log->end = 0;
}

/* Appends @count records after the last run, extending it when the new
 * records continue it. */
void ks_log_append(KsLog *log, int64_t count, int32_t epoch, int32_t producer,
                   int32_t producer_epoch, int64_t first_seq)
{
    if (count <= 0)
        return;
    if (log->runs->len > 0) {
        KsLogRun *last = &g_array_index(log->runs, KsLogRun, log->runs->len - 1);
        if (last->epoch == epoch && last->producer == producer &&
            last->producer_epoch == producer_epoch &&
            (producer < 0 || last->first_seq + last->count == first_seq)) {
            last->count += count;
            log->end += count;
            return;
        }
    }
    KsLogRun run = {.base = log->end,
                    .count = count,
                    .epoch = epoch,
                    .producer = producer,
                    .producer_epoch = producer_epoch,
                    .first_seq = first_seq};
    g_array_append_val(log->runs, run);
    log->end += count;
}

/* Index of the run holding @offset (0 <= offset < end). */
static guint run_index(const KsLog *log, int64_t offset)
{
    guint lo = 0, hi = log->runs->len;
    while (hi - lo > 1) {
        guint mid = lo + (hi - lo) / 2;
        if (g_array_index(log->runs, KsLogRun, mid).base <= offset)
            lo = mid;
        else
            hi = mid;
    }
    return lo;
}

int32_t ks_log_epoch_at(const KsLog *log, int64_t offset)
{
    if (offset < 0 || offset >= log->end)
        return -1;
    return g_array_index(log->runs, KsLogRun, run_index(log, offset)).epoch;
}

/* Copies @src's records from @dst's end up to @upto (exclusive) onto @dst,
 * keeping their epochs and identities: what a follower's fetch does.
 * Returns the index of the first run of @dst that the copy extended or
 * added, so the caller can look at what arrived without walking the log. */
guint ks_log_copy(KsLog *dst, const KsLog *src, int64_t upto)
{
    guint first = dst->runs->len > 0 ? dst->runs->len - 1 : 0;
    upto = MIN(upto, src->end);
    if (dst->end >= upto)
        return dst->runs->len;
    for (guint i = run_index(src, dst->end); i < src->runs->len && dst->end < upto; i++) {
        const KsLogRun *r = &g_array_index(src->runs, KsLogRun, i);
        int64_t from = MAX(dst->end, r->base);
        int64_t to = MIN(upto, r->base + r->count);
        if (to > from)
            ks_log_append(dst, to - from, r->epoch, r->producer, r->producer_epoch,
                          r->first_seq + (from - r->base));
    }
    return first;
}

/* Removes every record at or after @offset. */
void ks_log_truncate(KsLog *log, int64_t offset)
{
    if (offset >= log->end)
        return;
    offset = MAX(offset, 0);
    guint keep = log->runs->len;
    while (keep > 0 && g_array_index(log->runs, KsLogRun, keep - 1).base >= offset)
        keep--;
    g_array_set_size(log->runs, keep);
    if (keep > 0) {
        KsLogRun *last = &g_array_index(log->runs, KsLogRun, keep - 1);
        last->count = MIN(last->count, offset - last->base);
    }
    log->end = offset;
    log->disk.recovery_point = MIN(log->disk.recovery_point, offset);
    log->disk.durable = MIN(log->disk.durable, offset);
}

/* ---- what is on disk ---- */

/* The first time at or after @lo on the grid @start + k * @step (k >= 0);
 * KS_TIME_NEVER past the end of time. */
static KsTime next_tick(KsTime start, KsTime step, KsTime lo)
{
    if (lo <= start)
        return start;
    int64_t k = (lo - start - 1) / step + 1;
    if (k > (KS_TIME_NEVER - start) / step)
        return KS_TIME_NEVER;
    return start + k * step;
}

/* @a + @b, at most KS_TIME_NEVER (both >= 0). */
static KsTime add_time(KsTime a, KsTime b)
{
    return b >= KS_TIME_NEVER - a ? KS_TIME_NEVER : a + b;
}

void ks_log_writeback(KsLog *log, const KsFlushPolicy *p, KsTime now)
{
    KsLogDisk *d = &log->disk;
    KsTime from = d->checked;
    if (now <= from)
        return;
    d->checked = now;
    /* The runs and wake-ups in (from, now] see the log as it is now. */
    KsTime os = KS_TIME_NEVER, kafka = KS_TIME_NEVER;
    if (d->dirty_since >= 0 && p->writeback != KS_TIME_NEVER && p->dirty_expire != KS_TIME_NEVER)
        os = next_tick(0, p->writeback, MAX(from + 1, add_time(d->dirty_since, p->dirty_expire)));
    if (log->end > d->recovery_point && p->flusher_start != KS_TIME_NEVER &&
        p->flusher_interval != KS_TIME_NEVER && p->flush_ms != KS_TIME_NEVER)
        kafka = next_tick(p->flusher_start, p->flusher_interval,
                          MAX(from + 1, add_time(d->last_flush, p->flush_ms)));
    if (os <= now) {
        d->durable = log->end;
        d->dirty_since = -1;
    }
    if (kafka <= now) {
        d->recovery_point = log->end;
        d->last_flush = kafka;
        d->durable = log->end;
        d->dirty_since = -1;
    }
}

void ks_log_flush(KsLog *log, KsTime now)
{
    KsLogDisk *d = &log->disk;
    if (log->end > d->recovery_point) {
        d->recovery_point = log->end;
        d->last_flush = now;
    }
    d->durable = log->end;
    d->dirty_since = -1;
}

void ks_log_written(KsLog *log, const KsFlushPolicy *p, KsTime now)
{
    KsLogDisk *d = &log->disk;
    d->checked = MAX(d->checked, now);
    if (log->end - d->recovery_point >= p->flush_messages) {
        ks_log_flush(log, now);
        return;
    }
    if (d->dirty_since < 0 && log->end > d->durable)
        d->dirty_since = now;
}

int64_t ks_log_power_loss(KsLog *log)
{
    int64_t lost = log->end - log->disk.durable;
    ks_log_truncate(log, log->disk.durable);
    log->disk.dirty_since = -1;
    return lost;
}

/* LeaderEpochFileCache.assign: ignored when the latest entry already has
 * @epoch with a start at or before @start; otherwise every entry with a
 * greater-or-equal epoch or start is removed and (epoch, start) added. */
void ks_epochs_assign(GArray *epochs, int32_t epoch, int64_t start)
{
    if (epochs->len > 0) {
        const KsEpochEntry *last = &g_array_index(epochs, KsEpochEntry, epochs->len - 1);
        if (last->epoch == epoch && last->start <= start)
            return;
    }
    while (epochs->len > 0) {
        const KsEpochEntry *last = &g_array_index(epochs, KsEpochEntry, epochs->len - 1);
        if (last->epoch < epoch && last->start < start)
            break;
        g_array_set_size(epochs, epochs->len - 1);
    }
    KsEpochEntry e = {.epoch = epoch, .start = start};
    g_array_append_val(epochs, e);
}

/* LeaderEpochFileCache.truncateFromEnd: after the log was truncated to @end,
 * entries starting at or after it are gone. */
void ks_epochs_truncate_from_end(GArray *epochs, int64_t end)
{
    while (epochs->len > 0 && g_array_index(epochs, KsEpochEntry, epochs->len - 1).start >= end)
        g_array_set_size(epochs, epochs->len - 1);
}

int32_t ks_epochs_latest(const GArray *epochs)
{
    return epochs->len ? g_array_index(epochs, KsEpochEntry, epochs->len - 1).epoch : -1;
}

/* LeaderEpochFileCache.endOffsetFor: the epoch and end offset a leader
 * answers to OffsetsForLeaderEpoch(@requested), given its LEO @leo.
 * (-1, -1) when it cannot tell. */
void ks_epochs_end_offset_for(const GArray *epochs, int32_t requested, int64_t leo,
                              int32_t *out_epoch, int64_t *out_end)
{
    *out_epoch = -1;
    *out_end = -1;
    if (requested < 0 || epochs->len == 0)
        return;
    if (requested == ks_epochs_latest(epochs)) {
        *out_epoch = requested;
        *out_end = leo;
        return;
    }
    const KsEpochEntry *floor = NULL, *higher = NULL;
    for (guint i = 0; i < epochs->len; i++) {
        const KsEpochEntry *e = &g_array_index(epochs, KsEpochEntry, i);
        if (e->epoch <= requested)
            floor = e;
        else if (!higher)
            higher = e;
    }
    if (!higher)
        return;
    *out_epoch = floor ? floor->epoch : requested;
    *out_end = higher->start;
}
