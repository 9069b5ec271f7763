/* SPDX-License-Identifier: MIT */
/*
 * fetcher.c - follower fetch sessions: how a follower broker copies its
 * leaders' logs (Kafka's ReplicaFetcherThread, AbstractFetcherThread and
 * the leader's side of a follower fetch in ReplicaManager.fetchMessages,
 * with incremental fetch sessions, KIP-227).
 *
 * Kafka's rules (see docs and tests/refs):
 *
 *  - A follower broker keeps one fetch session per leader broker (one
 *    replica fetcher thread, num.replica.fetchers=1); one request carries
 *    all the partitions it follows there, with its log end offset (LEO) for
 *    each. The leader records the follower's position when the request
 *    arrives (Replica.updateFetchState; a follower that caught up rejoins
 *    the ISR, Partition.maybeExpandIsr), answers at once if it has records
 *    the follower lacks, else parks the request (DelayedFetch) for up to
 *    the follower's own replica.fetch.wait.max.ms (its Fetch request's
 *    MaxWaitMs) and answers as soon as a record arrives (with MinBytes > 1,
 *    as soon as enough bytes arrived: see "MinBytes" below). The
 *    follower appends what it got and fetches again at once. So replication
 *    costs two messages per round trip, however many partitions the session
 *    covers (DESIGN principle 2).
 *  - Sessions are incremental: a replica is "dirty" from the moment its
 *    leader appends or moves the HW, or its own log changes, until the next
 *    response that carries it; a clean replica's position is read lazily
 *    from the session's latest fetch (see KsFetcher in broker-private.h).
 *  - A replica that becomes a follower first reconciles its log with the
 *    leader's by leader epoch (KIP-101, KIP-279): the leader tells it where
 *    its latest epoch ends and it truncates what the leader never had; when
 *    it never saw that epoch it falls back epoch by epoch (the rounds of
 *    KIP-279, computed here in one answer since both caches are at hand).
 *  - A leader that cannot be reached is retried after
 *    replica.fetch.backoff.ms (AbstractFetcherThread.processFetchRequest,
 *    3.9 AbstractFetcherThread.scala:319-323, delayPartitions). A killed
 *    leader process has its connections reset by its kernel: the follower
 *    learns at once. A leader whose machine lost power says nothing
 *    (net.c): the follower's request meets silence and its NetworkClient
 *    gives up only when the request outlives the broker's own
 *    request.timeout.ms (BrokerBlockingSender.scala:93, the client's
 *    default request timeout; NetworkClient handleTimedOutRequests); a new
 *    connection to a machine that is down fails after the lesser of
 *    socket.connection.setup.timeout.ms and replica.socket.timeout.ms
 *    (BrokerBlockingSender.scala:94, :109-110, awaitReady). Meanwhile the
 *    session sends nothing (its thread blocks in sendAndReceive).
 *
 * MinBytes (replica.fetch.min.bytes, default 1). The follower's Fetch
 * carries MinBytes = its replica.fetch.min.bytes next to MaxWaitMs
 * (Kafka 3.9 RemoteLeaderEndPoint.scala:64-65, :221, buildFetch). The
 * leader answers at once if the bytes it read for the request reach
 * MinBytes, or on an error or a diverging epoch, or when the request has no
 * partitions or MaxWaitMs <= 0 (ReplicaManager.fetchMessages,
 * ReplicaManager.scala:1524-1557, bytesReadable; the read is capped per
 * partition at replica.fetch.max.bytes and in all at
 * replica.fetch.response.max.bytes, 10 MiB). Otherwise it parks a
 * DelayedFetch whose tryComplete sums, per partition, the bytes between the
 * follower's fetch offset and the leader's log end (a follower reads up to
 * the LEO, FetchIsolation.LOG_END), each capped at the partition's max
 * bytes, with no total cap, and completes when the sum reaches MinBytes
 * (DelayedFetch.scala:75-147, cases F and G) or at MaxWaitMs. Bytes are
 * records times the topic's record size, the rule capacity.c applies to
 * every fetch answer (ks_capacity_record_bytes). Kafka puts no bound on
 * the key (ReplicationConfigs.java:161; KafkaConfig.validateValues checks
 * only replica.fetch.wait.max.ms against its neighbours). The default, 1,
 * keeps the plain rule above: any record wakes the request. With more, the
 * leader walks the session once when the request arrives, then adds each
 * append's bytes to the parked sum (ks_fetcher_wake_parked) instead of
 * walking again. Not modelled: case F (a fetch offset on an older segment
 * than the log end completes at once) and a HW-only move, which a follower
 * fetch ignores in Kafka but wakes here under the default as it always did.
 *
 * broker.c decides who follows whom (LeaderAndIsr) and owns the ISR and the
 * high watermark; this file owns the sessions and the messages they send
 * (through net.c) and their parking at the leader (purgatory.c). Sessions
 * are indexed by the leader's stable slot in KsBroker.fetchers.
 *
 * Invariants (checked by invariants.c): a dead broker has no replica in a
 * fetch session; a session is parked exactly when its park timer is armed;
 * a replica is in at most one session, at the slot it records.
 *
 * How often: per round trip two messages and work proportional to the
 * partitions that changed, not to the session's size.
 */
#include "broker-private.h"
#include "metadata-private.h"
#include "ledger.h"
#include "capacity.h"
#include "reassign.h"
#include "model.h"

#include <inttypes.h>

/* ---- incremental sessions: what changed ---- */

/* Whether the lazy rule holds for @r: it is clean in its session and was
 * caught up at the session's latest fetch (its position then equalled the
 * leader's log end, and no append has marked it since). */
static bool clean_and_caught_up(const KsReplica *r)
{
    const KsReplica *lr = r->part->leader_replica;
    return r->fetcher && !r->dirty && lr && r->fetch_leo >= 0 && r->fetch_leo >= lr->log.end;
}

/* lastCaughtUpTime as the leader sees it. */
KsTime ks_fetcher_last_caught_up(const KsReplica *r)
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
void ks_fetcher_mark_followers_dirty(KsPartition *part)
{
    for (int32_t i = 0; i < part->n_replicas; i++)
        if (part->replicas[i] != part->leader_replica)
            mark_dirty(part->replicas[i]);
}

/* ---- fetch sessions ---- */

static void fetcher_kick(KsSim *sim, KsFetcher *f);
static void fetcher_abandon(KsSim *sim, KsFetcher *f);
static void fetch_park_expired(void *ctx, KsDelayed *op);

/* @follower's session with @leader, or NULL if it never had one. */
static KsFetcher *fetcher_find(const KsBroker *follower, const KsBroker *leader)
{
    GPtrArray *all = follower->fetchers;
    return (guint)leader->slot < all->len ? g_ptr_array_index(all, leader->slot) : NULL;
}

static KsFetcher *fetcher_get(KsBroker *follower, KsBroker *leader)
{
    KsFetcher *f = fetcher_find(follower, leader);
    if (!f) {
        f = g_new0(KsFetcher, 1);
        f->follower = follower;
        f->leader = leader;
        f->replicas = g_ptr_array_new();
        f->dirty = g_ptr_array_new();
        f->answers = g_array_new(FALSE, FALSE, sizeof(KsFetchAnswer));
        f->counted = g_array_new(FALSE, FALSE, sizeof(int64_t));
        f->min_bytes = ks_config_resolve(KS_CFG_REPLICA_FETCH_MIN_BYTES, follower->plan->configs,
                                         follower->sim->defaults);
        ks_purgatory_init_timeouts(&f->parking, follower->sim->engine, fetch_park_expired, f);
        if (follower->fetchers->len <= (guint)leader->slot)
            g_ptr_array_set_size(follower->fetchers, leader->slot + 1);
        follower->fetchers->pdata[leader->slot] = f;
    }
    return f;
}

void ks_fetcher_free(gpointer data)
{
    KsFetcher *f = data;
    if (!f)
        return;
    ks_purgatory_clear_timeouts(&f->parking);
    g_ptr_array_free(f->replicas, TRUE);
    g_ptr_array_free(f->dirty, TRUE);
    g_array_free(f->answers, TRUE);
    g_array_free(f->counted, TRUE);
    g_free(f);
}

void ks_fetcher_remove(KsReplica *r)
{
    KsFetcher *f = r->fetcher;
    if (!f)
        return;
    materialize(r);
    /* Swap-remove: O(1), and the order inside a session never shows. */
    KsReplica *last = g_ptr_array_index(f->replicas, f->replicas->len - 1);
    int64_t *counted = &g_array_index(f->counted, int64_t, 0);
    if (counted[r->fetcher_slot] > 0)
        f->parked_bytes -= counted[r->fetcher_slot];
    counted[r->fetcher_slot] = counted[last->fetcher_slot];
    f->replicas->pdata[r->fetcher_slot] = last;
    last->fetcher_slot = r->fetcher_slot;
    g_ptr_array_set_size(f->replicas, f->replicas->len - 1);
    g_array_set_size(f->counted, f->replicas->len);
    r->fetcher = NULL;
    r->fetcher_slot = -1;
    r->dirty = false; /* its entry in f->dirty, if any, is skipped */
    /* A fetcher thread left without partitions is shut down, which closes
     * its client and ends a wait for a timeout
     * (ReplicaManager.becomeLeaderOrFollower → shutdownIdleFetcherThreads,
     * AbstractFetcherThread.initiateShutdown → initiateClose). */
    if (f->replicas->len == 0 && f->silenced)
        fetcher_abandon(r->broker->sim, f);
}

/* Forgets whatever request the session had outstanding; its events will find
 * a newer generation and do nothing. */
static void fetcher_abandon(KsSim *sim, KsFetcher *f)
{
    f->gen++;
    f->silenced = false;
    f->state = KS_FETCH_IDLE;
    ks_purgatory_cancel(&f->park);
    g_array_set_size(f->answers, 0);
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

    /* Partition.isReplicaIsrEligible (ZooKeeper mode): the follower is
     * alive in the leader's metadata cache. */
    if (!r->in_isr && ks_metadata_broker_alive(sim, lr->broker, r->broker->id) && fo >= lr->hw) {
        const KsEpochEntry *cur = &g_array_index(lr->epochs, KsEpochEntry, lr->epochs->len - 1);
        if (fo >= cur->start)
            ks_broker_propose_isr_expand(sim, part, r);
    }
}

/* The leader's side of a fetch when it arrives: records the position of
 * each follower replica that changed (and so may move the ISR and the HW);
 * the others were caught up and still are. Returns whether there is
 * something to answer with now: records a follower lacks, or a log to
 * reconcile. */
/* The @i-th entry of @f's changed replicas, or NULL if it has left the
 * session or was answered since. */
static KsReplica *dirty_entry(const KsFetcher *f, guint i)
{
    KsReplica *r = g_ptr_array_index(f->dirty, i);
    return r->fetcher == f && r->dirty ? r : NULL;
}

/* Kafka's replica.fetch.max.bytes, the cap on one partition's share (the
 * simulator does not take the key: it is always Kafka's default) and
 * replica.fetch.response.max.bytes, the cap on one read (its default). */
#define FETCH_PARTITION_MAX_BYTES INT64_C(1048576)
#define FETCH_RESPONSE_MAX_BYTES  INT64_C(10485760)

/* The bytes the leader holds past follower @r's fetch offset, as
 * DelayedFetch.tryComplete counts them: none while the replication
 * throttle holds the partition back (shouldLeaderThrottle). */
static int64_t bytes_behind(KsSim *sim, const KsFetcher *f, KsReplica *r)
{
    const KsReplica *lr = r->part->leader_replica;
    if (!lr || lr->log.end <= r->log.end || ks_reassign_throttle_exhausted(sim, f->leader, r))
        return 0;
    int64_t rb = ks_capacity_record_bytes(sim, r->part->topic);
    int64_t lag = lr->log.end - r->log.end;
    return lag >= FETCH_PARTITION_MAX_BYTES / rb ? FETCH_PARTITION_MAX_BYTES
                                                 : MIN(lag * rb, FETCH_PARTITION_MAX_BYTES);
}

/* Whether a replica of @f must reconcile its log (a diverging epoch). */
static bool has_truncation(const KsFetcher *f)
{
    for (guint i = 0; i < f->dirty->len; i++) {
        const KsReplica *r = dirty_entry(f, i);
        if (r && r->must_truncate)
            return true;
    }
    return false;
}

/* MinBytes > 1: walks the session once, recording each replica's share,
 * and tells whether the read reaches MinBytes now (bytesReadable). */
static bool enough_bytes_now(KsSim *sim, KsFetcher *f)
{
    f->parked_bytes = 0;
    g_array_set_size(f->counted, f->replicas->len);
    for (guint i = 0; i < f->replicas->len; i++) {
        int64_t b = bytes_behind(sim, f, g_ptr_array_index(f->replicas, i));
        g_array_index(f->counted, int64_t, i) = b;
        f->parked_bytes += b;
    }
    return MIN(f->parked_bytes, FETCH_RESPONSE_MAX_BYTES) >= f->min_bytes;
}

static bool fetch_arrives_at_leader(KsSim *sim, KsFetcher *f)
{
    bool has_data = false;
    f->last_arrival = ks_engine_now(sim->engine);
    for (guint i = 0; i < f->dirty->len; i++) {
        KsReplica *r = dirty_entry(f, i);
        if (!r)
            continue;
        if (r->must_truncate) {
            has_data = true;
            continue;
        }
        record_follower_fetch(sim, r->part, r->part->leader_replica, r);
        ks_broker_maybe_advance_hw(sim, r->part);
        has_data |= r->part->leader_replica->log.end > r->log.end &&
                    !ks_reassign_throttle_exhausted(sim, f->leader, r);
    }
    return has_data;
}

/* Reads the answer from the leader's logs, as they are now, for the
 * replicas that changed; they are clean again once answered. */
static void fill_answers(KsSim *sim, KsFetcher *f)
{
    g_array_set_size(f->answers, 0);
    for (guint i = 0; i < f->dirty->len; i++) {
        KsReplica *r = dirty_entry(f, i);
        if (!r)
            continue;
        KsPartition *part = r->part;
        KsReplica *lr = part->leader_replica;
        KsFetchAnswer a = {.replica = r,
                           .leader_epoch = part->leader_replica_epoch,
                           .upto = lr->log.end,
                           .hw = lr->hw,
                           .truncate_to = r->must_truncate ? truncation_offset(r, lr) : -1};
        /* The replication throttle may hold some of the records back. */
        int64_t from = a.truncate_to >= 0 ? MIN(a.truncate_to, r->log.end) : r->log.end;
        int64_t allowed = ks_reassign_throttle_take(sim, f->leader, r, a.upto - from);
        if (allowed < a.upto - from) {
            a.upto = from + allowed;
            a.throttled = true;
        }
        g_array_append_val(f->answers, a);
        r->dirty = false;
    }
    g_ptr_array_set_size(f->dirty, 0);
}

static void fetch_response_arrives(KsSim *sim, void *ctx, uint64_t gen, bool delivered);

/* The bytes of the records the answers carry (only when machines have
 * limits: capacity.c). */
static int64_t answers_bytes(const KsSim *sim, const KsFetcher *f)
{
    if (!sim->capacity)
        return 0;
    int64_t bytes = 0;
    for (guint i = 0; i < f->answers->len; i++) {
        const KsFetchAnswer *a = &g_array_index(f->answers, KsFetchAnswer, i);
        int64_t from =
            a->truncate_to >= 0 ? MIN(a->truncate_to, a->replica->log.end) : a->replica->log.end;
        if (a->upto > from)
            bytes += (a->upto - from) * ks_capacity_record_bytes(sim, a->replica->part->topic);
    }
    return bytes;
}

static void fetcher_respond(KsSim *sim, KsFetcher *f)
{
    fill_answers(sim, f);
    f->state = KS_FETCH_RESPONSE;
    ks_purgatory_cancel(&f->park);
    ks_net_send_bytes(sim, &f->leader->ep, &f->follower->ep, KS_NET_FETCH_RESPONSE,
                      answers_bytes(sim, f), fetch_response_arrives, f, f->gen);
}

/* The leader was unreachable: wait replica.fetch.backoff.ms, then retry. */
static void fetch_retry(KsEngine *engine, void *ctx, uint64_t gen)
{
    KsFetcher *f = ctx;
    if (gen != f->gen || f->state != KS_FETCH_BACKOFF)
        return;
    f->state = KS_FETCH_IDLE;
    /* A new connection: its first request names every partition with its
     * position and epoch, so the leader checks each again (it may have
     * restarted, or lost records to a power loss, meanwhile). */
    for (guint i = 0; i < f->replicas->len; i++)
        mark_dirty(g_ptr_array_index(f->replicas, i));
    fetcher_kick(f->follower->sim, f);
}

/* The connection broke after @delay: back off replica.fetch.backoff.ms. */
static void fetcher_backoff(KsSim *sim, KsFetcher *f, KsTime delay)
{
    f->state = KS_FETCH_BACKOFF;
    f->connected = false;
    f->silenced = false;
    ks_engine_schedule(sim->engine, delay + f->follower->fetch_backoff, fetch_retry, f, f->gen);
}

/* The leader's kernel reset the connection: the follower hears it a round
 * trip after sending. */
static void fetcher_fail(KsSim *sim, KsFetcher *f)
{
    fetcher_backoff(sim, f, 2 * ks_net_latency(sim, f->follower->node, f->leader->node));
}

/* The request timed out (see the rules above). */
static void fetcher_await_timeout(KsSim *sim, KsFetcher *f);

static void fetch_timed_out(KsEngine *engine, void *ctx, uint64_t gen)
{
    KsFetcher *f = ctx;
    if (gen != f->gen || f->state != KS_FETCH_REQUEST)
        return;
    KsSim *sim = f->follower->sim;
    if (!ks_net_endpoint_is_silent(&f->leader->ep)) { /* a cut, not a power loss */
        KsEvent ev = ks_event_init(KS_EV_REQUEST_TIMED_OUT, ks_engine_now(engine));
        g_autofree char *from = g_strdup_printf("broker %d (follower)", f->follower->id);
        ev.request_timeout.from = from;
        ev.request_timeout.to = f->leader->id;
        /* Not yet connected: the connection attempt timed out. */
        ev.request_timeout.api = f->connected ? "Fetch" : "Fetch (connecting)";
        ev.request_timeout.timeout_us =
            f->connected ? f->follower->request_timeout : f->follower->connect_timeout;
        ks_sim_emit(sim, &ev);
    }
    fetcher_backoff(sim, f, 0);
}

/* The request went into the silence of a machine that is down: the session
 * waits for its timeout, counted from when it was sent. */
static void fetcher_await_timeout(KsSim *sim, KsFetcher *f)
{
    KsTime limit = f->connected ? f->follower->request_timeout : f->follower->connect_timeout;
    KsTime now = ks_engine_now(sim->engine);
    f->state = KS_FETCH_REQUEST;
    f->silenced = true;
    if (f->replicas->len == 0) {
        fetcher_abandon(sim, f); /* its thread was shut down meanwhile */
        return;
    }
    ks_engine_schedule(sim->engine, MAX(f->sent_at + limit - now, 0), fetch_timed_out, f, f->gen);
}

/* The request reaches the leader, or finds its process gone (net.c). A
 * request the follower abandoned meanwhile is ignored. */
static void fetch_request_arrives(KsSim *sim, void *ctx, uint64_t gen, bool delivered)
{
    KsFetcher *f = ctx;
    if (gen != f->gen || f->state != KS_FETCH_REQUEST)
        return;
    if (!delivered) {
        if (ks_net_endpoint_is_silent(&f->leader->ep) || ks_net_dropped_silently(sim))
            fetcher_await_timeout(sim, f);
        else
            fetcher_fail(sim, f);
        return;
    }
    f->connected = true;
    bool answer = fetch_arrives_at_leader(sim, f);
    if (f->min_bytes > 1) /* a log to reconcile answers at once too */
        answer = enough_bytes_now(sim, f) || has_truncation(f);
    if (answer) {
        fetcher_respond(sim, f);
    } else {
        /* The Fetch request carries the follower's own
         * replica.fetch.wait.max.ms as MaxWaitMs (RemoteLeaderEndPoint,
         * Kafka 3.9 RemoteLeaderEndPoint.scala:64): the leader parks it that
         * long, whatever its own setting. */
        f->state = KS_FETCH_PARKED;
        ks_purgatory_park(&f->parking, &f->park,
                          ks_engine_now(sim->engine) + f->follower->fetch_wait_max);
    }
}

/* replica.fetch.wait.max.ms passed with nothing new: answer anyway, so the
 * follower learns the high watermark. */
static void fetch_park_expired(void *ctx, KsDelayed *op)
{
    KsFetcher *f = ctx;
    if (f->state == KS_FETCH_PARKED)
        fetcher_respond(f->follower->sim, f);
}

/* Applies the leader's answer to the follower's replicas. A response to a
 * request the follower abandoned (it crashed, or its leader changed) is
 * ignored; net.c drops one whose follower process is gone. */
static void fetch_response_arrives(KsSim *sim, void *ctx, uint64_t gen, bool delivered)
{
    KsFetcher *f = ctx;
    if (gen == f->gen && f->state == KS_FETCH_RESPONSE && !delivered &&
        ks_net_dropped_silently(sim)) {
        fetcher_await_timeout(sim, f); /* the answer was lost in a cut */
        return;
    }
    if (gen != f->gen || f->state != KS_FETCH_RESPONSE || !delivered)
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
                ks_replica_writeback(sim, r);
                ks_log_truncate(&r->log, a->truncate_to);
                ks_ledger_truncated(sim->ledger, r);
                if (!r->truncations)
                    r->truncations = g_array_new(FALSE, FALSE, sizeof(KsTruncation));
                KsTruncation cut = {ks_engine_now(sim->engine), old_end, r->log.end, false};
                g_array_append_val(r->truncations, cut);
                r->hw = MIN(r->hw, r->log.end);
                KsEvent ev = ks_event_init(KS_EV_TRUNCATED, ks_engine_now(sim->engine));
                ev.truncated.topic = part->topic->name;
                ev.truncated.partition = part->index;
                ev.truncated.broker = r->broker->id;
                ev.truncated.from_offset = old_end;
                ev.truncated.to_offset = r->log.end;
                ks_sim_emit(sim, &ev);
            }
            mark_dirty(r); /* the leader must learn where it stands now */
            continue;
        }
        KsReplica *lr = ks_partition_leader_replica(part);
        int64_t from = r->log.end;
        ks_replica_writeback(sim, r);
        /* A follower adds a cache entry when it appends the first batch of a
         * new epoch; only the runs this copy touched can hold one. */
        for (guint k = ks_log_copy(&r->log, &lr->log, a->upto); k < r->log.runs->len; k++) {
            const KsLogRun *run = &g_array_index(r->log.runs, KsLogRun, k);
            if (run->epoch > ks_epochs_latest(r->epochs))
                ks_epochs_assign(r->epochs, run->epoch, MAX(run->base, from));
        }
        if (r->log.end != from)
            ks_replica_written(sim, r); /* appendAsFollower: the same flush rules */
        r->hw = MIN(a->hw, r->log.end);
        r->broker->records_replicated_in += r->log.end - from;
        f->leader->records_replicated_out += r->log.end - from;
        if (r->log.end != from || a->throttled)
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
    /* A follower that crashed has no replicas in any session. */
    if (f->state != KS_FETCH_IDLE || f->replicas->len == 0)
        return;
    f->state = KS_FETCH_REQUEST;
    f->sent_at = ks_engine_now(sim->engine);
    sim->stats.fetch_requests++;
    if (sim->verbose) {
        g_autofree char *from = g_strdup_printf("broker %" PRId32, f->follower->id);
        g_autofree char *detail =
            g_strdup_printf("%u partition%s", f->replicas->len, f->replicas->len == 1 ? "" : "s");
        ks_sim_emit_request(sim, "Fetch", from, f->leader->id, detail);
    }
    ks_net_send(sim, &f->follower->ep, &f->leader->ep, KS_NET_FETCH_REQUEST, fetch_request_arrives,
                f, f->gen);
}

/* Answers, now, every follower session parked at @part's leader that covers
 * @part: the leader has new records for it. A session whose MinBytes is
 * above 1 adds @part's new share to its parked sum, and is answered when
 * the sum reaches MinBytes (DelayedFetch.tryComplete, case G). */
void ks_fetcher_wake_parked(KsSim *sim, KsPartition *part)
{
    for (int32_t i = 0; i < part->n_replicas; i++) {
        KsReplica *r = part->replicas[i];
        KsFetcher *f = r->fetcher;
        if (!f || f->state != KS_FETCH_PARKED || !part->leader_replica ||
            f->leader != part->leader_replica->broker)
            continue;
        if (f->min_bytes > 1) {
            int64_t *share = &g_array_index(f->counted, int64_t, r->fetcher_slot);
            if (*share < 0)
                continue;
            int64_t now = bytes_behind(sim, f, r);
            f->parked_bytes += now - *share;
            *share = now;
            if (f->parked_bytes < f->min_bytes)
                continue;
        }
        fetcher_respond(sim, f);
    }
}

/* @b's process died: its sessions are abandoned and its replicas leave
 * them; every session fetching from it finds a broken connection and backs
 * off, or, when its machine lost power, waits for its request to time out
 * (a request still travelling finds the silence when it arrives). */
void ks_fetcher_broker_died(KsSim *sim, KsBroker *b)
{
    for (guint i = 0; i < b->replicas->len; i++)
        ks_fetcher_remove(g_ptr_array_index(b->replicas, i));
    for (guint i = 0; i < sim->brokers->len; i++) {
        KsBroker *other = g_ptr_array_index(sim->brokers, i);
        KsFetcher *mine = fetcher_find(b, other);
        if (mine)
            fetcher_abandon(sim, mine);
        KsFetcher *to_me = fetcher_find(other, b);
        if (!to_me || (to_me->state != KS_FETCH_REQUEST && to_me->state != KS_FETCH_PARKED))
            continue;
        bool silent = ks_net_endpoint_is_silent(&b->ep);
        if (silent && to_me->state == KS_FETCH_REQUEST)
            continue;
        fetcher_abandon(sim, to_me);
        if (silent)
            fetcher_await_timeout(sim, to_me);
        else
            fetcher_fail(sim, to_me);
    }
}

/* @r joins its broker's session with @leader as a dirty replica, and the
 * session fetches if it was idle. */
void ks_fetcher_join(KsSim *sim, KsReplica *r, KsBroker *leader)
{
    KsFetcher *f = fetcher_get(r->broker, leader);
    r->fetcher = f;
    r->fetcher_slot = (int)f->replicas->len;
    g_ptr_array_add(f->replicas, r);
    int64_t outside = -1; /* not in a request parked now */
    g_array_append_val(f->counted, outside);
    mark_dirty(r);
    fetcher_kick(sim, f);
}
