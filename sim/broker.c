/* SPDX-License-Identifier: MIT */
/*
 * broker.c - the replica manager of every broker: produce requests on the
 * leader, follower fetch sessions, the ISR and the high watermark.
 *
 * Kafka's rules, from Partition.scala, Replica.scala, ReplicaManager.scala,
 * DelayedProduce.scala and AbstractFetcherThread.scala (see docs and
 * tests/refs):
 *
 *  - Produce (Partition.appendRecordsToLeader): a broker that does not lead
 *    the partition answers NOT_LEADER_OR_FOLLOWER; an acks=all write while
 *    the ISR is smaller than the effective min.insync.replicas (at most the
 *    replication factor) is refused with NOT_ENOUGH_REPLICAS and not
 *    written. Otherwise the leader appends; acks=1 is answered at once,
 *    acks=all is parked in the purgatory until the high watermark covers it
 *    (then NONE, or NOT_ENOUGH_REPLICAS_AFTER_APPEND if the ISR shrank below
 *    the minimum meanwhile) or until request.timeout.ms (REQUEST_TIMED_OUT).
 *    An idempotent producer's batches carry sequence numbers: a retry of
 *    records already in the log is not appended again (and acks=all still
 *    waits for the HW to cover the original offsets); a batch that does
 *    not follow the last one is refused with OUT_OF_ORDER_SEQUENCE_NUMBER,
 *    so retries keep the producer's order.
 *  - A follower broker keeps one fetch session per leader broker (one
 *    replica fetcher thread); one request carries all the partitions it
 *    follows there, with its log end offset (LEO) for each. The leader
 *    records the follower's position when the request arrives, answers at
 *    once if it has records the follower lacks, else parks the request for
 *    up to replica.fetch.wait.max.ms and answers as soon as a record
 *    arrives. The follower appends what it got and fetches again at once.
 *    So replication costs two events per round trip, however many
 *    partitions the session covers (DESIGN principle 2).
 *  - The leader tracks, per follower, lastCaughtUpTime: on a fetch at offset
 *    f, if f >= its LEO now, the follower is caught up now; else if f >= the
 *    LEO it had at the follower's previous fetch, it was caught up then. A
 *    follower leaves the ISR when its LEO differs from the leader's and it
 *    has not been caught up for replica.lag.time.max.ms; the leader checks
 *    every replica.lag.time.max.ms / 2. It rejoins once its LEO reaches the
 *    HW and the start of the leader's current epoch.
 *  - The high watermark is the smallest LEO among the ISR (and followers
 *    caught up enough to join), only ever moving forward. ZooKeeper-era
 *    Kafka (<= 3.6) has no min.insync.replicas rule on HW advancement.
 *  - A replica that becomes a follower first reconciles its log with the
 *    leader's by leader epoch (KIP-101, KIP-279): the leader tells it where
 *    its latest epoch ends and it truncates what the leader never had; when
 *    it never saw that epoch it falls back epoch by epoch (the rounds of
 *    KIP-279, computed here in one answer since both caches are at hand).
 *
 * Simplifications, each the job of a later issue: the controller's
 * LeaderAndIsr reaches brokers instantly; leader-made ISR changes take effect
 * at once (AlterIsr is not modelled); the HW checkpoint is the in-memory HW;
 * fetch sizes (replica.fetch.max.bytes) and bandwidth are not limited.
 */
#include "ledger.h"
#include "model.h"

/* ---- partitions and replicas ---- */

KsReplica *ks_partition_replica(KsPartition *part, KsBrokerId id)
{
    for (int32_t i = 0; i < part->n_replicas; i++)
        if (part->replicas[i].broker->id == id)
            return &part->replicas[i];
    return NULL;
}

bool ks_partition_in_isr(const KsPartition *part, KsBrokerId id)
{
    for (int32_t i = 0; i < part->n_replicas; i++)
        if (part->replicas[i].broker->id == id)
            return part->replicas[i].in_isr;
    return false;
}

KsReplica *ks_partition_leader_replica(KsPartition *part)
{
    return part->leader_replica;
}

void ks_partition_set_isr(KsPartition *part, GArray *isr)
{
    if (part->isr)
        g_array_free(part->isr, TRUE);
    part->isr = isr;
    for (int32_t i = 0; i < part->n_replicas; i++)
        part->replicas[i].in_isr = false;
    for (guint k = 0; k < isr->len; k++)
        ks_partition_replica(part, g_array_index(isr, KsBrokerId, k))->in_isr = true;
}

bool ks_partition_available(const KsSim *sim, const KsPartition *part)
{
    if (part->leader == KS_NO_BROKER)
        return false;
    const KsBroker *b = ks_sim_find_broker(sim, part->leader);
    return b && b->alive;
}

/* Opens or closes the partition's current unavailability interval. */
void ks_partition_update_availability(KsSim *sim, KsPartition *part)
{
    KsTime now = ks_engine_now(sim->engine);
    bool up = ks_partition_available(sim, part);
    if (up && part->unavailable_since >= 0) {
        part->unavailable_us += now - part->unavailable_since;
        part->unavailable_since = -1;
    } else if (!up && part->unavailable_since < 0) {
        part->unavailable_since = now;
    }
}

static void emit_isr_change(KsSim *sim, KsEventType type, KsPartition *part, KsBrokerId who,
                            KsReason reason)
{
    KsEvent ev = ks_event_init(type, ks_engine_now(sim->engine));
    ev.topic = part->topic->name;
    ev.partition = part->index;
    ev.broker = who;
    ev.epoch = part->leader_epoch;
    ev.ids = ks_partition_isr_ids(part);
    ev.n_ids = part->isr->len;
    ev.reason = reason;
    ks_sim_emit(sim, &ev);
}

/* ---- incremental fetch sessions: what changed ---- */

/* Whether the lazy rule holds for @r: it is clean in its session and was
 * caught up at the session's latest fetch (its position then equalled the
 * leader's log end, and no append has marked it since). */
static bool clean_and_caught_up(const KsReplica *r)
{
    const KsReplica *lr = r->part->leader_replica;
    return r->fetcher && !r->dirty && lr && r->fetch_leo >= 0 && r->fetch_leo >= lr->log.end;
}

/* lastCaughtUpTime as the leader sees it. */
static KsTime last_caught_up(const KsReplica *r)
{
    if (clean_and_caught_up(r))
        return MAX(r->last_caught_up, r->fetcher->last_arrival);
    return r->last_caught_up;
}

/* Writes the lazy fetch state into the replica before it stops being clean,
 * as if each of the session's fetches had recorded it. */
static void materialize(KsReplica *r)
{
    if (clean_and_caught_up(r) && r->fetcher->last_arrival > r->last_fetch) {
        r->last_caught_up = MAX(r->last_caught_up, r->fetcher->last_arrival);
        r->last_fetch = r->fetcher->last_arrival;
        r->leader_leo_at_last_fetch = r->fetch_leo;
    }
}

/* @r goes into its session's next fetch (see KsFetcher in model.h). */
static void mark_dirty(KsReplica *r)
{
    if (!r->fetcher || r->dirty)
        return;
    materialize(r);
    r->dirty = true;
    g_ptr_array_add(r->fetcher->dirty, r);
}

/* The leader's log or HW of @part changed: every follower hears of it. */
static void mark_followers_dirty(KsPartition *part)
{
    for (int32_t i = 0; i < part->n_replicas; i++)
        if (&part->replicas[i] != part->leader_replica)
            mark_dirty(&part->replicas[i]);
}

/* ---- produce: the leader's side ---- */

static void purgatory_expired(KsEngine *engine, void *ctx, uint64_t arg);

/* The request leaves the purgatory; the timer follows the next oldest. */
static void unpark(KsSim *sim, KsProduceRequest *req)
{
    KsConnection *c = req->conn;
    bool was_head = g_queue_peek_head(&c->parked) == req;
    g_queue_remove(&c->parked, req);
    if (!was_head)
        return;
    KsProduceRequest *next = g_queue_peek_head(&c->parked);
    if (next)
        ks_timer_arm_at(sim->engine, &c->purgatory, next->deadline);
    else
        ks_timer_cancel(sim->engine, &c->purgatory);
}

/* One acks=all batch is settled with @err; the request is answered when its
 * last batch is. */
static void complete_wait(KsSim *sim, KsProduceWait *w, KsKafkaError err)
{
    KsProduceRequest *req = w->request;
    KsRequestBatch *rb = &g_array_index(req->batches, KsRequestBatch, w->batch);
    rb->error = err;
    rb->wait = NULL;
    g_free(w);
    if (--req->pending > 0 || req->serving)
        return;
    unpark(sim, req);
    ks_producer_respond(sim, req);
}

void ks_broker_fail_waits(KsSim *sim, KsPartition *part, KsKafkaError err)
{
    while (!g_queue_is_empty(&part->waits))
        complete_wait(sim, g_queue_pop_head(&part->waits), err);
}

/* DelayedProduce expiry: the oldest parked requests of a connection that
 * waited request.timeout.ms are answered with REQUEST_TIMED_OUT for the
 * batches still waiting. */
static void purgatory_expired(KsEngine *engine, void *ctx, uint64_t arg)
{
    KsConnection *c = ctx;
    KsSim *sim = c->broker->sim;
    KsTime now = ks_engine_now(engine);
    for (KsProduceRequest *req; (req = g_queue_peek_head(&c->parked)) && req->deadline <= now;) {
        for (guint i = 0; i < req->batches->len && req->pending > 0; i++) {
            KsProduceWait *w = g_array_index(req->batches, KsRequestBatch, i).wait;
            if (w) {
                g_queue_remove(&w->part->waits, w);
                complete_wait(sim, w, KS_ERR_REQUEST_TIMED_OUT);
            }
        }
    }
}

/* What the leader knows of an idempotent producer (ProducerStateManager),
 * read from its log: whether @rb is a duplicate of records already there
 * (then *@out_dup_end is where they end), the next batch in sequence, or
 * out of sequence. Like Kafka, which keeps the producer's last five
 * batches, only the producer's five latest runs are looked at. */
typedef enum { SEQ_APPEND, SEQ_DUPLICATE, SEQ_OUT_OF_ORDER } SeqCheck;

static SeqCheck check_sequence(const KsReplica *lr, int32_t producer, const KsRequestBatch *rb,
                               int64_t *out_dup_end)
{
    const GArray *runs = lr->log.runs;
    const KsLogRun *latest = NULL;
    int seen = 0;
    for (guint i = runs->len; i-- > 0 && seen < 5;) {
        const KsLogRun *run = &g_array_index(runs, KsLogRun, i);
        if (run->producer != producer)
            continue;
        seen++;
        if (!latest)
            latest = run;
        if (run->producer_epoch == rb->producer_epoch && run->first_seq <= rb->first_seq &&
            rb->first_seq + rb->count <= run->first_seq + run->count) {
            *out_dup_end = run->base + (rb->first_seq + rb->count - run->first_seq);
            return SEQ_DUPLICATE;
        }
    }
    /* An unknown producer (its records are gone, or it never wrote here)
     * may start anywhere. A new producer epoch starts where the producer
     * re-sequenced its batches: the first one it had not seen
     * acknowledged (Kafka renumbers them from 0; here they keep their
     * numbers and the epoch remembers where it starts). */
    if (!latest)
        return SEQ_APPEND;
    if (rb->producer_epoch > latest->producer_epoch)
        return rb->first_seq == rb->epoch_base_seq ? SEQ_APPEND : SEQ_OUT_OF_ORDER;
    if (rb->producer_epoch == latest->producer_epoch &&
        rb->first_seq == latest->first_seq + latest->count)
        return SEQ_APPEND;
    return SEQ_OUT_OF_ORDER;
}

/* Queues @w in @part's waits, which stay in order of required HW (a
 * duplicate's records are older than what is already waiting). */
static gint cmp_wait(gconstpointer a, gconstpointer b, gpointer unused)
{
    const KsProduceWait *x = a, *y = b;
    return (x->required_hw > y->required_hw) - (x->required_hw < y->required_hw);
}

static void wake_parked_followers(KsSim *sim, KsPartition *part);

void ks_broker_handle_produce(KsSim *sim, KsProduceRequest *req)
{
    KsConnection *c = req->conn;
    KsProducer *p = c->producer;
    KsBroker *b = c->broker;
    req->serving = true;
    for (guint i = 0; i < req->batches->len; i++) {
        KsRequestBatch *rb = &g_array_index(req->batches, KsRequestBatch, i);
        KsPartition *part = &p->topic->partitions[rb->partition];
        if (part->leader != b->id) {
            rb->error = KS_ERR_NOT_LEADER_OR_FOLLOWER;
            continue;
        }
        KsReplica *lr = ks_partition_leader_replica(part);
        /* Partition.effectiveMinIsr: min.insync.replicas, at most the
         * replication factor. */
        int32_t min_isr = MIN(part->topic->min_insync, part->n_replicas);
        if (p->acks == -1 && (int32_t)part->isr->len < min_isr) {
            rb->error = KS_ERR_NOT_ENOUGH_REPLICAS;
            continue;
        }
        /* The idempotent producer's sequence (ProducerAppendInfo): a
         * duplicate is acknowledged once the HW covers its original
         * offsets, a gap is refused so the producer keeps its order. */
        int64_t dup_end = -1;
        SeqCheck seq = p->idempotent ? check_sequence(lr, p->index, rb, &dup_end) : SEQ_APPEND;
        if (seq == SEQ_OUT_OF_ORDER) {
            rb->error = KS_ERR_OUT_OF_ORDER_SEQUENCE_NUMBER;
            continue;
        }
        if (seq == SEQ_APPEND) {
            ks_log_append(&lr->log, rb->count, part->leader_epoch, p->index, rb->producer_epoch,
                          rb->first_seq);
            ks_ledger_written(sim->ledger, p->index, lr, rb->first_seq, rb->count);
            mark_followers_dirty(part);
        }
        int64_t required = seq == SEQ_APPEND ? lr->log.end : dup_end;
        if (p->acks == -1 && required > lr->hw) {
            KsProduceWait *w = g_new0(KsProduceWait, 1);
            w->request = req;
            w->part = part;
            w->batch = i;
            w->required_hw = required;
            rb->wait = w;
            req->pending++;
            g_queue_insert_sorted(&part->waits, w, cmp_wait, NULL);
        }
        if (seq == SEQ_APPEND) {
            ks_broker_maybe_advance_hw(sim, part);
            wake_parked_followers(sim, part);
        }
    }
    req->serving = false;
    if (req->pending == 0) {
        ks_producer_respond(sim, req);
        return;
    }
    req->deadline = ks_engine_now(sim->engine) + p->request_timeout;
    if (g_queue_is_empty(&c->parked))
        ks_timer_arm_at(sim->engine, &c->purgatory, req->deadline);
    g_queue_push_tail(&c->parked, req);
}

void ks_broker_init_connection(KsConnection *c)
{
    ks_timer_init(&c->purgatory, purgatory_expired, c);
}

/* ---- fetch sessions ---- */

static void fetcher_kick(KsSim *sim, KsFetcher *f);
static void fetch_park_expired(KsEngine *engine, void *ctx, uint64_t arg);

static KsFetcher *fetcher_get(KsBroker *follower, KsBroker *leader)
{
    KsFetcher *f = follower->fetchers[leader->index];
    if (!f) {
        f = g_new0(KsFetcher, 1);
        f->follower = follower;
        f->leader = leader;
        f->replicas = g_ptr_array_new();
        f->dirty = g_ptr_array_new();
        f->answers = g_array_new(FALSE, FALSE, sizeof(KsFetchAnswer));
        ks_timer_init(&f->park_timer, fetch_park_expired, f);
        follower->fetchers[leader->index] = f;
    }
    return f;
}

static void fetcher_remove(KsReplica *r)
{
    KsFetcher *f = r->fetcher;
    if (!f)
        return;
    materialize(r);
    /* Swap-remove: O(1), and the order inside a session never shows. */
    KsReplica *last = g_ptr_array_index(f->replicas, f->replicas->len - 1);
    f->replicas->pdata[r->fetcher_slot] = last;
    last->fetcher_slot = r->fetcher_slot;
    g_ptr_array_set_size(f->replicas, f->replicas->len - 1);
    r->fetcher = NULL;
    r->fetcher_slot = -1;
    r->dirty = false; /* its entry in f->dirty, if any, is skipped */
}

/* Forgets whatever request the session had outstanding; its events will find
 * a newer generation and do nothing. */
static void fetcher_abandon(KsSim *sim, KsFetcher *f)
{
    f->gen++;
    f->state = KS_FETCH_IDLE;
    ks_timer_cancel(sim->engine, &f->park_timer);
    g_array_set_size(f->answers, 0);
}

void ks_broker_stop_following(KsSim *sim, KsReplica *replica)
{
    fetcher_remove(replica);
}

void ks_broker_become_follower(KsSim *sim, KsReplica *r)
{
    KsPartition *part = r->part;
    fetcher_remove(r);
    if (!r->broker->alive || part->leader == KS_NO_BROKER || part->leader == r->broker->id)
        return;
    KsFetcher *f = fetcher_get(r->broker, ks_sim_find_broker(sim, part->leader));
    r->must_truncate = true;
    r->fetcher = f;
    r->fetcher_slot = (int)f->replicas->len;
    g_ptr_array_add(f->replicas, r);
    mark_dirty(r);
    fetcher_kick(sim, f);
}

void ks_broker_become_leader(KsSim *sim, KsPartition *part, bool new_leader, KsBrokerId skip)
{
    KsReplica *lr = ks_partition_leader_replica(part);
    KsTime now = ks_engine_now(sim->engine);
    fetcher_remove(lr);
    lr->must_truncate = false;
    ks_epochs_assign(lr->epochs, part->leader_epoch, lr->log.end);
    lr->hw = MIN(lr->hw, lr->log.end);
    /* The followers (re)join their sessions first, so the reset below is
     * what the leader knows of them. */
    for (int32_t i = 0; i < part->n_replicas; i++)
        if (&part->replicas[i] != lr && part->replicas[i].broker->id != skip)
            ks_broker_become_follower(sim, &part->replicas[i]);
    /* Replica.resetReplicaState, on every new leader epoch: ISR members
     * count as caught up now, others as never, so a follower that left the
     * ISR does not hold the HW back. A new leader knows nothing of its
     * followers' logs until they fetch; a re-elected one keeps what it knew. */
    for (int32_t i = 0; i < part->n_replicas; i++) {
        KsReplica *r = &part->replicas[i];
        if (r == lr)
            continue;
        r->last_caught_up = r->in_isr ? now : -1;
        if (new_leader) {
            r->fetch_leo = -1;
            r->leader_leo_at_last_fetch = -1;
            r->last_fetch = -1;
        } else {
            r->leader_leo_at_last_fetch = lr->log.end;
            r->last_fetch = r->in_isr ? now : -1;
        }
    }
}

/* The truncation offset of follower @r against leader @lr, after Kafka's
 * AbstractFetcherThread.getOffsetTruncationState (KIP-279): the leader
 * answers endOffsetFor(the follower's latest epoch) = (E, O); the follower
 * looks E up in its own cache the same way. If it finds E, it truncates to
 * the smaller of the two ends; if it finds an earlier epoch E', it cuts to
 * E''s end and asks again about E'; if its cache cannot tell, it truncates
 * to O. A leader that cannot tell either means falling back to the HW. */
static int64_t truncation_offset(const KsReplica *r, const KsReplica *lr)
{
    int64_t leo = r->log.end;
    int32_t ask = ks_epochs_latest(r->epochs);
    for (int round = 0; round < 64; round++) {
        int32_t epoch, own_epoch;
        int64_t end, own_end;
        ks_epochs_end_offset_for(lr->epochs, ask, lr->log.end, &epoch, &end);
        if (epoch < 0)
            return MIN(r->hw, leo);
        ks_epochs_end_offset_for(r->epochs, epoch, leo, &own_epoch, &own_end);
        if (own_end < 0)
            return MIN(end, leo);
        if (own_epoch == epoch)
            return MIN(MIN(own_end, end), leo);
        /* It never saw `epoch`: cut back to where its own earlier epoch
         * ends, and ask again about that one. */
        leo = MIN(own_end, leo);
        ask = own_epoch;
    }
    return leo;
}

/* Records the follower's fetch at its LEO, at the leader, when the request
 * arrives (Replica.updateFetchState, Partition.maybeExpandIsr). */
static void record_follower_fetch(KsSim *sim, KsPartition *part, KsReplica *lr, KsReplica *r)
{
    KsTime now = ks_engine_now(sim->engine);
    int64_t fo = r->log.end;
    if (fo >= lr->log.end)
        r->last_caught_up = now;
    else if (r->leader_leo_at_last_fetch >= 0 && fo >= r->leader_leo_at_last_fetch)
        r->last_caught_up = MAX(r->last_caught_up, r->last_fetch);
    r->leader_leo_at_last_fetch = lr->log.end;
    r->last_fetch = now;
    r->fetch_leo = fo;

    if (!r->in_isr && r->broker->registered && fo >= lr->hw) {
        const KsEpochEntry *cur = &g_array_index(lr->epochs, KsEpochEntry, lr->epochs->len - 1);
        if (fo >= cur->start) {
            KsBrokerId id = r->broker->id;
            g_array_append_val(part->isr, id);
            r->in_isr = true;
            emit_isr_change(sim, KS_EV_ISR_EXPANDED, part, id, KS_REASON_CAUGHT_UP);
        }
    }
}

/* The leader's side of a fetch when it arrives: records the position of
 * each follower replica that changed (and so may move the ISR and the HW);
 * the others were caught up and still are. Returns whether there is
 * something to answer with now: records a follower lacks, or a log to
 * reconcile. */
static bool fetch_arrives_at_leader(KsSim *sim, KsFetcher *f)
{
    bool has_data = false;
    f->last_arrival = ks_engine_now(sim->engine);
    for (guint i = 0; i < f->dirty->len; i++) {
        KsReplica *r = g_ptr_array_index(f->dirty, i);
        if (r->fetcher != f || !r->dirty)
            continue;
        KsPartition *part = r->part;
        KsReplica *lr = part->leader_replica;
        if (r->must_truncate) {
            has_data = true;
            continue;
        }
        record_follower_fetch(sim, part, lr, r);
        ks_broker_maybe_advance_hw(sim, part);
        has_data |= lr->log.end > r->log.end;
    }
    return has_data;
}

/* Reads the answer from the leader's logs, as they are now, for the
 * replicas that changed; they are clean again once answered. */
static void fill_answers(KsFetcher *f)
{
    g_array_set_size(f->answers, 0);
    for (guint i = 0; i < f->dirty->len; i++) {
        KsReplica *r = g_ptr_array_index(f->dirty, i);
        if (r->fetcher != f || !r->dirty)
            continue;
        KsPartition *part = r->part;
        KsReplica *lr = part->leader_replica;
        KsFetchAnswer a = {.replica = r,
                           .leader_epoch = part->leader_epoch,
                           .upto = lr->log.end,
                           .hw = lr->hw,
                           .truncate_to = r->must_truncate ? truncation_offset(r, lr) : -1};
        g_array_append_val(f->answers, a);
        r->dirty = false;
    }
    g_ptr_array_set_size(f->dirty, 0);
}

static void fetch_response_arrives(KsEngine *engine, void *ctx, uint64_t gen);

static void fetcher_respond(KsSim *sim, KsFetcher *f)
{
    fill_answers(f);
    f->state = KS_FETCH_RESPONSE;
    ks_timer_cancel(sim->engine, &f->park_timer);
    KsTime lat = ks_net_latency(sim, f->leader->node, f->follower->node);
    ks_engine_schedule(sim->engine, lat, fetch_response_arrives, f, f->gen);
}

/* The leader was unreachable: wait replica.fetch.backoff.ms, then retry. */
static void fetch_retry(KsEngine *engine, void *ctx, uint64_t gen)
{
    KsFetcher *f = ctx;
    if (gen != f->gen || f->state != KS_FETCH_BACKOFF)
        return;
    f->state = KS_FETCH_IDLE;
    fetcher_kick(f->follower->sim, f);
}

static void fetcher_fail(KsSim *sim, KsFetcher *f)
{
    f->state = KS_FETCH_BACKOFF;
    KsTime rtt = 2 * ks_net_latency(sim, f->follower->node, f->leader->node);
    ks_engine_schedule(sim->engine, rtt + f->follower->fetch_backoff, fetch_retry, f, f->gen);
}

static void fetch_request_arrives(KsEngine *engine, void *ctx, uint64_t gen)
{
    KsFetcher *f = ctx;
    KsSim *sim = f->follower->sim;
    if (gen != f->gen || f->state != KS_FETCH_REQUEST)
        return;
    if (!f->leader->alive) {
        fetcher_fail(sim, f);
        return;
    }
    if (fetch_arrives_at_leader(sim, f)) {
        fetcher_respond(sim, f);
    } else {
        f->state = KS_FETCH_PARKED;
        ks_timer_arm(sim->engine, &f->park_timer, f->leader->fetch_wait_max);
    }
}

/* replica.fetch.wait.max.ms passed with nothing new: answer anyway, so the
 * follower learns the high watermark. */
static void fetch_park_expired(KsEngine *engine, void *ctx, uint64_t arg)
{
    KsFetcher *f = ctx;
    if (f->state == KS_FETCH_PARKED)
        fetcher_respond(f->follower->sim, f);
}

/* Applies the leader's answer to the follower's replicas. */
static void fetch_response_arrives(KsEngine *engine, void *ctx, uint64_t gen)
{
    KsFetcher *f = ctx;
    KsSim *sim = f->follower->sim;
    if (gen != f->gen || f->state != KS_FETCH_RESPONSE)
        return;
    for (guint i = 0; i < f->answers->len; i++) {
        const KsFetchAnswer *a = &g_array_index(f->answers, KsFetchAnswer, i);
        KsReplica *r = a->replica;
        KsPartition *part = r->part;
        /* Skip answers overtaken by a leadership change. */
        if (r->fetcher != f || part->leader_epoch != a->leader_epoch)
            continue;
        if (a->truncate_to >= 0) {
            int64_t old_end = r->log.end;
            r->must_truncate = false;
            /* UnifiedLog.truncateTo always truncates the epoch cache, even
             * when no record goes: a replica that led without appending has
             * an entry at its log end that must not survive. */
            ks_epochs_truncate_from_end(r->epochs, MIN(a->truncate_to, old_end));
            if (a->truncate_to < old_end) {
                ks_log_truncate(&r->log, a->truncate_to);
                ks_ledger_truncated(sim->ledger, r);
                r->hw = MIN(r->hw, r->log.end);
                KsEvent ev = ks_event_init(KS_EV_TRUNCATED, ks_engine_now(sim->engine));
                ev.topic = part->topic->name;
                ev.partition = part->index;
                ev.broker = r->broker->id;
                ev.n = old_end;
                ev.n2 = r->log.end;
                ks_sim_emit(sim, &ev);
            }
            mark_dirty(r); /* the leader must learn where it stands now */
            continue;
        }
        KsReplica *lr = ks_partition_leader_replica(part);
        int64_t from = r->log.end;
        /* A follower adds a cache entry when it appends the first batch of a
         * new epoch; only the runs this copy touched can hold one. */
        for (guint k = ks_log_copy(&r->log, &lr->log, a->upto); k < r->log.runs->len; k++) {
            const KsLogRun *run = &g_array_index(r->log.runs, KsLogRun, k);
            if (run->epoch > ks_epochs_latest(r->epochs))
                ks_epochs_assign(r->epochs, run->epoch, MAX(run->base, from));
        }
        r->hw = MIN(a->hw, r->log.end);
        if (r->log.end != from)
            mark_dirty(r); /* its next fetch carries the new position */
    }
    g_array_set_size(f->answers, 0);
    f->state = KS_FETCH_IDLE;
    fetcher_kick(sim, f);
}

/* Sends the session's next request if it has partitions and nothing is in
 * flight. */
static void fetcher_kick(KsSim *sim, KsFetcher *f)
{
    if (f->state != KS_FETCH_IDLE || f->replicas->len == 0 || !f->follower->alive)
        return;
    f->state = KS_FETCH_REQUEST;
    sim->stats.fetch_requests++;
    KsTime lat = ks_net_latency(sim, f->follower->node, f->leader->node);
    ks_engine_schedule(sim->engine, lat, fetch_request_arrives, f, f->gen);
}

/* Answers, now, every follower session parked at @part's leader that covers
 * @part: the leader has new records for it. */
static void wake_parked_followers(KsSim *sim, KsPartition *part)
{
    for (int32_t i = 0; i < part->n_replicas; i++) {
        KsFetcher *f = part->replicas[i].fetcher;
        if (f && f->state == KS_FETCH_PARKED && f->leader->id == part->leader)
            fetcher_respond(sim, f);
    }
}

/* ---- high watermark and ISR ---- */

/* Partition.maybeIncrementLeaderHW, then completes the acks=all writes the
 * new HW covers. Whether a follower outside the ISR is caught up is judged
 * with the leader's replica.lag.time.max.ms. */
void ks_broker_maybe_advance_hw(KsSim *sim, KsPartition *part)
{
    KsReplica *lr = ks_partition_leader_replica(part);
    if (!lr)
        return;
    KsTime now = ks_engine_now(sim->engine);
    KsTime lag_max = lr->broker->lag_max;
    int64_t hw = lr->log.end;
    for (int32_t i = 0; i < part->n_replicas; i++) {
        KsReplica *r = &part->replicas[i];
        if (r == lr)
            continue;
        bool caught_up = r->fetch_leo >= 0 && r->broker->registered &&
                         (r->fetch_leo >= lr->log.end ||
                          (last_caught_up(r) >= 0 && now - last_caught_up(r) <= lag_max));
        if (r->in_isr || caught_up)
            hw = MIN(hw, r->fetch_leo);
    }
    if (hw <= lr->hw)
        return;
    lr->hw = hw;
    mark_followers_dirty(part);
    int32_t min_isr = MIN(part->topic->min_insync, part->n_replicas);
    while (!g_queue_is_empty(&part->waits)) {
        KsProduceWait *w = g_queue_peek_head(&part->waits);
        if (w->required_hw > lr->hw)
            break;
        g_queue_pop_head(&part->waits);
        complete_wait(sim, w,
                      (int32_t)part->isr->len < min_isr ? KS_ERR_NOT_ENOUGH_REPLICAS_AFTER_APPEND
                                                        : KS_ERR_NONE);
    }
}

/* Partition.maybeShrinkIsr for one partition led by a live broker. */
static void maybe_shrink_isr(KsSim *sim, KsPartition *part, KsReplica *lr)
{
    KsTime now = ks_engine_now(sim->engine);
    for (guint i = 0; i < part->isr->len;) {
        KsBrokerId id = g_array_index(part->isr, KsBrokerId, i);
        KsReplica *r = ks_partition_replica(part, id);
        bool stuck =
            r != lr && r->fetch_leo != lr->log.end && now - last_caught_up(r) > lr->broker->lag_max;
        if (!stuck) {
            i++;
            continue;
        }
        g_array_remove_index(part->isr, i);
        r->in_isr = false;
        emit_isr_change(sim, KS_EV_ISR_SHRUNK, part, id, KS_REASON_LAGGING);
    }
    ks_broker_maybe_advance_hw(sim, part);
}

/* The "isr-expiration" task ReplicaManager runs every
 * replica.lag.time.max.ms / 2 on each broker. */
static void isr_expiration(KsEngine *engine, void *ctx, uint64_t incarnation)
{
    KsBroker *b = ctx;
    if (!b->alive || b->incarnation != incarnation)
        return;
    for (guint i = 0; i < b->replicas->len; i++) {
        KsReplica *r = g_ptr_array_index(b->replicas, i);
        if (r->part->leader == b->id)
            maybe_shrink_isr(b->sim, r->part, r);
    }
    ks_engine_schedule(engine, b->lag_max / 2, isr_expiration, b, incarnation);
}

/* ---- start and crash ---- */

void ks_broker_start(KsSim *sim, KsBroker *b)
{
    b->alive = true;
    b->incarnation++;
    ks_engine_schedule(sim->engine, b->lag_max / 2, isr_expiration, b, b->incarnation);
}

/* The broker process dies: its fetcher threads are gone (its replicas
 * belong to no session until the controller tells it whom to follow
 * again), every follower fetching from it gets a broken connection, and
 * every acks=all write parked on it is answered with a network error by the
 * producer's side of the connection. Its logs stay on disk. */
void ks_broker_crash(KsSim *sim, KsBroker *b)
{
    b->alive = false;
    b->incarnation++;
    for (guint i = 0; i < b->replicas->len; i++)
        fetcher_remove(g_ptr_array_index(b->replicas, i));
    for (guint i = 0; i < sim->brokers->len; i++) {
        KsBroker *other = g_ptr_array_index(sim->brokers, i);
        if (b->fetchers[i])
            fetcher_abandon(sim, b->fetchers[i]);
        KsFetcher *to_me = other->fetchers[b->index];
        if (to_me && (to_me->state == KS_FETCH_REQUEST || to_me->state == KS_FETCH_PARKED)) {
            fetcher_abandon(sim, to_me);
            fetcher_fail(sim, to_me);
        }
    }
    for (guint i = 0; i < b->replicas->len; i++) {
        KsPartition *part = ((KsReplica *)g_ptr_array_index(b->replicas, i))->part;
        if (part->leader != b->id)
            continue;
        ks_broker_fail_waits(sim, part, KS_ERR_NETWORK_EXCEPTION);
        ks_partition_update_availability(sim, part);
    }
}
