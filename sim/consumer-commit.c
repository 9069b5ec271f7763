/* SPDX-License-Identifier: MIT */
/*
 * consumer-commit.c - the batch a poll returned, as the application works
 * through it, and what it may commit meanwhile.
 *
 * A poll's records are processed in order, one processing= time each;
 * the batch holds what is not processed yet, so records leave it as they
 * are accounted (to the ledger and the consumer's count). An application
 * that commits every N records (commit-every=) processes the batch in
 * chunks that end where the count since its last commit reaches N, and
 * commits there what it has processed: for a partition with records left
 * in the batch, the first of them; for the others, the position. That is
 * the offsets map a Kafka application passes to commitSync(offsets) or
 * commitAsync(offsets, callback), rather than the positions a plain
 * commitSync() would commit (which cover the whole poll).
 */
#include "consumer-private.h"

int64_t ks_consumer_account(KsSim *sim, KsConsumer *c, int64_t n)
{
    int64_t done = 0;
    guint i = 0;
    for (; i < c->batch->len && n > 0; i++) {
        KsConsumerRange *r = &g_array_index(c->batch, KsConsumerRange, i);
        int64_t k = MIN(n, r->count);
        ks_ledger_consumed(sim, c->group, r->part, r->first, k);
        c->records_consumed += k;
        done += k;
        n -= k;
        r->first += k;
        r->count -= k;
        if (r->count > 0)
            break;
    }
    /* Drop the ranges processed to their end. */
    guint gone = 0;
    while (gone < c->batch->len && g_array_index(c->batch, KsConsumerRange, gone).count == 0)
        gone++;
    if (gone > 0)
        g_array_remove_range(c->batch, 0, gone);
    return done;
}

int64_t ks_consumer_batch_left(const KsConsumer *c)
{
    int64_t n = 0;
    for (guint i = 0; i < c->batch->len; i++)
        n += g_array_index(c->batch, KsConsumerRange, i).count;
    return n;
}

int64_t ks_consumer_next_chunk(const KsConsumer *c)
{
    int64_t left = ks_consumer_batch_left(c);
    if (c->commit_every <= 0)
        return left;
    return MIN(left, MAX(1, c->commit_every - c->since_commit));
}

int64_t ks_consumer_processed_offset(const KsConsumer *c, const KsConsumerPart *cp)
{
    for (guint i = 0; c->commit_every > 0 && i < c->batch->len; i++) {
        const KsConsumerRange *r = &g_array_index(c->batch, KsConsumerRange, i);
        if (r->part == cp->part)
            return r->first;
    }
    return cp->position;
}
