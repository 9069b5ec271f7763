/* SPDX-License-Identifier: MIT */
/*
 * broker.c - the replica manager of every broker: appends on the leader,
 * follower fetch sessions, the ISR and the high watermark.
 *
 * Kafka's rules, from Partition.scala, Replica.scala, ReplicaManager.scala
 * and AbstractFetcherThread.scala (see docs and tests/refs):
 *
 *  - A follower broker keeps one fetch session per leader broker (one
 *    replica fetcher thread); one request carries all the partitions it
 *    follows there, with its log end offset (LEO) for each. The leader
 *    answers at once if it has records the follower lacks, else parks the
 *    request for up to replica.fetch.wait.max.ms and answers as soon as a
 *    record arrives. The follower appends what it got and fetches again at
 *    once. So replication costs two events per round trip, however many
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
 *    leader's by leader epoch (KIP-101, KIP-279): it asks the leader for the
 *    end offset of its latest epoch and truncates what the leader never
 *    had, possibly over several rounds.
 *
 * Simplifications, each the job of a later issue: the controller's
 * LeaderAndIsr reaches brokers instantly; leader-made ISR changes take effect
 * at once (AlterIsr is not modelled); the HW checkpoint is the in-memory HW.
 */
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
    for (guint i = 0; i < part->isr->len; i++)
        if (g_array_index(part->isr, KsBrokerId, i) == id)
            return true;
    return false;
}

KsReplica *ks_partition_leader_replica(KsPartition *part)
{
    return part->leader == KS_NO_BROKER ? NULL : ks_partition_replica(part, part->leader);
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
                            const char *reason)
{
    KsEvent ev = ks_event_init(type, ks_engine_now(sim->engine));
    ev.topic = part->topic->name;
    ev.partition = part->index;
    ev.broker = who;
    ev.epoch = part->leader_epoch;
    ev.ids = (const KsBrokerId *)(void *)part->isr->data;
    ev.n_ids = part->isr->len;
    ev.text = reason;
    ks_sim_emit(sim, &ev);
}

/* ---- fetch sessions ---- */

static void fetcher_kick(KsSim *sim, KsFetcher *f);

static KsFetcher *fetcher_get(KsSim *sim, KsBroker *follower, KsBroker *leader)
{
    KsFetcher *f = follower->fetchers[leader->index];
    if (!f) {
        f = g_new0(KsFetcher, 1);
        f->follower = follower;
        f->leader = leader;
        f->replicas = g_ptr_array_new();
        f->answers = g_array_new(FALSE, FALSE, sizeof(KsFetchAnswer));
        follower->fetchers[leader->index] = f;
    }
    return f;
}

static void fetcher_remove(KsReplica *r)
{
    KsFetcher *f = r->fetcher;
    if (!f)
        return;
    /* Swap-remove: O(1), and the order inside a session never shows. */
    KsReplica *last = g_ptr_array_index(f->replicas, f->replicas->len - 1);
    f->replicas->pdata[r->fetcher_slot] = last;
    last->fetcher_slot = r->fetcher_slot;
    g_ptr_array_set_size(f->replicas, f->replicas->len - 1);
    r->fetcher = NULL;
    r->fetcher_slot = -1;
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
    KsBroker *leader = ks_sim_find_broker(sim, part->leader);
    r->must_truncate = true;
    KsFetcher *f = fetcher_get(sim, r->broker, leader);
    r->fetcher = f;
    r->fetcher_slot = (int)f->replicas->len;
    g_ptr_array_add(f->replicas, r);
    fetcher_kick(sim, f);
}

void ks_broker_become_leader(KsSim *sim, KsPartition *part, bool new_leader)
{
    KsReplica *lr = ks_partition_leader_replica(part);
    KsTime now = ks_engine_now(sim->engine);
    fetcher_remove(lr);
    lr->must_truncate = false;
    ks_epochs_assign(lr->epochs, part->leader_epoch, lr->log.end);
    lr->hw = MIN(lr->hw, lr->log.end);
    /* Replica.resetReplicaState, on every new leader epoch: ISR members
     * count as caught up now, others as never, so a follower that left the
     * ISR does not hold the HW back. A new leader knows nothing of its
     * followers' logs until they fetch; a re-elected one keeps what it knew. */
    for (int32_t i = 0; i < part->n_replicas; i++) {
        KsReplica *r = &part->replicas[i];
        if (r == lr)
            continue;
        bool in_sync = ks_partition_in_isr(part, r->broker->id);
        r->last_caught_up = in_sync ? now : -1;
        if (new_leader) {
            r->fetch_leo = -1;
            r->leader_leo_at_last_fetch = -1;
            r->last_fetch = -1;
        } else {
            r->leader_leo_at_last_fetch = lr->log.end;
            r->last_fetch = in_sync ? now : -1;
        }
    }
    for (int32_t i = 0; i < part->n_replicas; i++)
        if (&part->replicas[i] != lr)
            ks_broker_become_follower(sim, &part->replicas[i]);
}

/* The truncation offset of follower @r against leader @lr, after Kafka's
 * AbstractFetcherThread.getOffsetTruncationState with KIP-279: ask the
 * leader for the end of the follower's latest epoch; if the follower knows
 * that epoch, truncate to the smaller end; if it knows only an earlier one,
 * truncate to that epoch's end and ask again. */
static int64_t truncation_offset(const KsReplica *r, const KsReplica *lr)
{
    int64_t leo = r->log.end;
    int32_t ask = ks_epochs_latest(r->epochs);
    for (int round = 0; round < 64; round++) {
        int32_t epoch;
        int64_t end;
        ks_epochs_end_offset_for(lr->epochs, ask, lr->log.end, &epoch, &end);
        if (epoch < 0)
            return MIN(r->hw, leo); /* the leader cannot tell: fall back to the HW */
        int32_t own_epoch;
        int64_t own_end;
        ks_epochs_end_offset_for(r->epochs, epoch, leo, &own_epoch, &own_end);
        const KsEpochEntry *floor = NULL;
        for (guint i = 0; i < r->epochs->len; i++)
            if (g_array_index(r->epochs, KsEpochEntry, i).epoch <= epoch)
                floor = &g_array_index(r->epochs, KsEpochEntry, i);
        if (!floor)
            return MIN(end, leo);
        if (floor->epoch == epoch)
            return MIN(MIN(end, own_end >= 0 ? own_end : leo), leo);
        /* It never saw `epoch`: cut back to the end of the epoch it knows
         * below it, and ask again about that one. */
        int32_t e2;
        int64_t end2;
        ks_epochs_end_offset_for(r->epochs, floor->epoch, leo, &e2, &end2);
        leo = MIN(end2 >= 0 ? end2 : leo, leo);
        ask = floor->epoch;
    }
    return leo;
}

/* The leader's side of a fetch by follower @r at its LEO (Replica.scala
 * updateFetchState, Partition.maybeExpandIsr). */
static void track_follower_fetch(KsSim *sim, KsPartition *part, KsReplica *lr, KsReplica *r)
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

    if (!ks_partition_in_isr(part, r->broker->id) && r->broker->registered && fo >= lr->hw) {
        const KsEpochEntry *cur = &g_array_index(lr->epochs, KsEpochEntry, lr->epochs->len - 1);
        if (fo >= cur->start) {
            KsBrokerId id = r->broker->id;
            g_array_append_val(part->isr, id);
            part->partition_epoch++;
            emit_isr_change(sim, KS_EV_ISR_EXPANDED, part, id, "caught up");
        }
    }
}

/* Serves the session's request at the leader: updates what the leader knows
 * of each follower, then fills the answers. Returns whether the answer
 * carries anything (records or a truncation), i.e. whether to answer now. */
static bool fetcher_serve(KsSim *sim, KsFetcher *f)
{
    bool has_data = false;
    g_array_set_size(f->answers, 0);
    for (guint i = 0; i < f->replicas->len; i++) {
        KsReplica *r = g_ptr_array_index(f->replicas, i);
        KsPartition *part = r->part;
        KsReplica *lr = ks_partition_leader_replica(part);
        KsFetchAnswer a = {.replica = r, .leader_epoch = part->leader_epoch, .truncate_to = -1};
        if (r->must_truncate) {
            a.truncate_to = truncation_offset(r, lr);
            has_data = true;
        } else {
            track_follower_fetch(sim, part, lr, r);
            ks_broker_maybe_advance_hw(sim, part);
            if (lr->log.end > r->log.end)
                has_data = true;
        }
        a.upto = lr->log.end;
        a.hw = lr->hw;
        g_array_append_val(f->answers, a);
    }
    return has_data;
}

static void fetch_response_arrives(KsEngine *engine, void *ctx, uint64_t gen);

static void fetcher_respond(KsSim *sim, KsFetcher *f)
{
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
    if (fetcher_serve(sim, f)) {
        fetcher_respond(sim, f);
    } else {
        f->state = KS_FETCH_PARKED;
        ks_timer_arm(sim->engine, &f->park_timer, f->leader->fetch_wait_max);
    }
}

/* replica.fetch.wait.max.ms passed with nothing new: answer anyway, so the
 * follower learns the high watermark and the leader learns it is alive. */
static void fetch_park_expired(KsEngine *engine, void *ctx, uint64_t arg)
{
    KsFetcher *f = ctx;
    KsSim *sim = f->follower->sim;
    if (f->state != KS_FETCH_PARKED)
        return;
    fetcher_serve(sim, f);
    fetcher_respond(sim, f);
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
            if (a->truncate_to < old_end) {
                ks_log_truncate(&r->log, a->truncate_to);
                ks_epochs_truncate_from_end(r->epochs, a->truncate_to);
                r->hw = MIN(r->hw, r->log.end);
                KsEvent ev = ks_event_init(KS_EV_TRUNCATED, ks_engine_now(sim->engine));
                ev.topic = part->topic->name;
                ev.partition = part->index;
                ev.broker = r->broker->id;
                ev.n = old_end;
                ev.n2 = r->log.end;
                ks_sim_emit(sim, &ev);
            }
            continue;
        }
        KsReplica *lr = ks_partition_leader_replica(part);
        int64_t from = r->log.end;
        ks_log_copy(&r->log, &lr->log, a->upto);
        /* A follower adds a cache entry when it appends the first batch of a
         * new epoch. */
        for (guint k = 0; k < r->log.runs->len; k++) {
            const KsLogRun *run = &g_array_index(r->log.runs, KsLogRun, k);
            if (run->base + run->count > from && run->epoch > ks_epochs_latest(r->epochs))
                ks_epochs_assign(r->epochs, run->epoch, MAX(run->base, from));
        }
        r->hw = MIN(a->hw, r->log.end);
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
    if (!f->park_timer.fn)
        ks_timer_init(&f->park_timer, fetch_park_expired, f);
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
        if (f && f->state == KS_FETCH_PARKED && f->leader->id == part->leader) {
            fetcher_serve(sim, f);
            fetcher_respond(sim, f);
        }
    }
}

/* ---- high watermark and ISR ---- */

/* Partition.maybeIncrementLeaderHW, then completes the acks=all writes the
 * new HW covers. */
void ks_broker_maybe_advance_hw(KsSim *sim, KsPartition *part)
{
    KsReplica *lr = ks_partition_leader_replica(part);
    if (!lr)
        return;
    KsTime now = ks_engine_now(sim->engine);
    int64_t hw = lr->log.end;
    for (int32_t i = 0; i < part->n_replicas; i++) {
        KsReplica *r = &part->replicas[i];
        if (r == lr)
            continue;
        bool in_isr = ks_partition_in_isr(part, r->broker->id);
        bool caught_up =
            r->fetch_leo >= 0 && r->broker->registered &&
            (r->fetch_leo >= lr->log.end ||
             (r->last_caught_up >= 0 && now - r->last_caught_up <= r->broker->lag_max));
        if (in_isr || caught_up)
            hw = MIN(hw, r->fetch_leo);
    }
    if (hw <= lr->hw)
        return;
    lr->hw = hw;
    int32_t effective_min = MIN(part->topic->min_insync, part->n_replicas);
    while (!g_queue_is_empty(&part->waits)) {
        KsProduceWait *w = g_queue_peek_head(&part->waits);
        if (w->required_hw > lr->hw)
            break;
        g_queue_pop_head(&part->waits);
        KsKafkaError err = (int32_t)part->isr->len < effective_min
                               ? KS_ERR_NOT_ENOUGH_REPLICAS_AFTER_APPEND
                               : KS_ERR_NONE;
        ks_producer_on_wait_done(sim, w, err);
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
            r != lr && r->fetch_leo != lr->log.end && now - r->last_caught_up > lr->broker->lag_max;
        if (!stuck) {
            i++;
            continue;
        }
        g_array_remove_index(part->isr, i);
        part->partition_epoch++;
        emit_isr_change(sim, KS_EV_ISR_SHRUNK, part, id, "lagging");
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

/* ---- appends, start and crash ---- */

/* Appends @count records to @part's leader log under its current epoch.
 * When @wait is not NULL (acks=all) it is queued until the HW covers the
 * records. Returns the first record's offset. */
int64_t ks_broker_append(KsSim *sim, KsPartition *part, int64_t count, int32_t producer,
                         int64_t first_seq, KsProduceWait *wait)
{
    KsReplica *lr = ks_partition_leader_replica(part);
    int64_t base = lr->log.end;
    ks_log_append(&lr->log, count, part->leader_epoch, producer, first_seq);
    if (wait) {
        wait->required_hw = lr->log.end;
        g_queue_push_tail(&part->waits, wait);
    }
    ks_broker_maybe_advance_hw(sim, part);
    wake_parked_followers(sim, part);
    return base;
}

void ks_broker_start(KsSim *sim, KsBroker *b)
{
    b->alive = true;
    b->incarnation++;
    ks_engine_schedule(sim->engine, b->lag_max / 2, isr_expiration, b, b->incarnation);
}

/* The broker process dies: every session it follows with is gone, every
 * follower fetching from it gets a broken connection, and every acks=all
 * write parked on it is answered with a network error by the producer's
 * side of the connection. Its logs stay on disk. */
void ks_broker_crash(KsSim *sim, KsBroker *b)
{
    b->alive = false;
    b->incarnation++;
    for (guint i = 0; i < sim->brokers->len; i++) {
        KsBroker *other = g_ptr_array_index(sim->brokers, i);
        KsFetcher *own = b->fetchers[i];
        if (own)
            fetcher_abandon(sim, own);
        KsFetcher *to_me = other->fetchers[b->index];
        if (to_me && (to_me->state == KS_FETCH_REQUEST || to_me->state == KS_FETCH_PARKED)) {
            fetcher_abandon(sim, to_me);
            fetcher_fail(sim, to_me);
        }
    }
    for (guint i = 0; i < b->replicas->len; i++) {
        KsReplica *r = g_ptr_array_index(b->replicas, i);
        KsPartition *part = r->part;
        if (part->leader != b->id)
            continue;
        while (!g_queue_is_empty(&part->waits))
            ks_producer_on_wait_done(sim, g_queue_pop_head(&part->waits), KS_ERR_NETWORK_EXCEPTION);
        ks_partition_update_availability(sim, part);
    }
}
