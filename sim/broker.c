/* SPDX-License-Identifier: MIT */
/*
 * broker.c - every broker: its process (start, controlled shutdown, crash)
 * and its replica manager: produce requests on the leader, leadership
 * changes, the ISR and the high watermark. The follower fetch sessions
 * (their messages, incremental state and log reconciliation) are in
 * fetcher.c.
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
 *    (then NONE) or until the request's timeout, the producer's
 *    request.timeout.ms (REQUEST_TIMED_OUT). Since the HW does not move
 *    while the ISR is under the minimum (below), a write parked before the
 *    ISR shrank ends REQUEST_TIMED_OUT unless the ISR grows back in time;
 *    Kafka's NOT_ENOUGH_REPLICAS_AFTER_APPEND needs the HW to cover the
 *    write while the (maximal) ISR is under the minimum, which only
 *    AlterPartition's pending ISR can produce, and that is not modelled.
 *  - min.insync.replicas is the leader's: the topic's own setting, else
 *    the leader broker's (its broker line, else `set`), else 1
 *    (KafkaConfig.extractLogConfigMap and LogManager: a broker's log
 *    configs are its topics' defaults; Partition.effectiveMinIsr reads the
 *    leader's log config).
 *    An idempotent producer's batches carry sequence numbers: a retry of
 *    records already in the log is not appended again (and acks=all still
 *    waits for the HW to cover the original offsets); a batch that does
 *    not follow the last one is refused with OUT_OF_ORDER_SEQUENCE_NUMBER,
 *    so retries keep the producer's order.
 *  - Followers copy the leader's log through fetch sessions (fetcher.c),
 *    which record each follower's position at the leader.
 *  - The leader tracks, per follower, lastCaughtUpTime: on a fetch at offset
 *    f, if f >= its LEO now, the follower is caught up now; else if f >= the
 *    LEO it had at the follower's previous fetch, it was caught up then. A
 *    follower leaves the ISR when its LEO differs from the leader's and it
 *    has not been caught up for replica.lag.time.max.ms; the leader checks
 *    every replica.lag.time.max.ms / 2. It rejoins once its LEO reaches the
 *    HW and the start of the leader's current epoch.
 *  - Leader-made ISR changes go through the controller (AlterPartition,
 *    Kafka 3.9 in ZooKeeper mode with its default
 *    inter.broker.protocol.version): the leader proposes the shrink (every
 *    stuck follower at once) or the expansion, changes nothing until the
 *    controller's answer, proposes nothing else meanwhile, and counts the
 *    replicas its proposal adds or removes for the HW (Partition.scala's
 *    PendingShrinkIsr / PendingExpandIsr and maximalIsr). The controller
 *    writes the ISR (controller.c) and the timeline shows the change then;
 *    a refused or lost proposal is forgotten and made again.
 *  - LeaderAndIsr (ReplicaManager.becomeLeaderOrFollower) is applied when
 *    it reaches the broker (the controller's queue, controller.c): a
 *    broker leads from the LeaderAndIsr naming it until the one naming
 *    another (KsPartition.leader_replica: the controller's choice may be
 *    ahead of it, and a leader that is still alive takes writes in its old
 *    epoch meanwhile); an older epoch is ignored. A follower joins its
 *    leader's fetch session when that broker leads in the follower's epoch;
 *    its first fetch finds out on arrival, and a leader that has not learnt
 *    yet refuses it, so it retries after replica.fetch.backoff.ms
 *    (AbstractFetcherThread.delayPartitions).
 *  - The high watermark is the smallest LEO among the ISR (and followers
 *    caught up enough to join), only ever moving forward, and it does not
 *    move at all while the ISR is smaller than the effective
 *    min.insync.replicas (Partition.maybeIncrementLeaderHW, Kafka 3.9
 *    Partition.scala:1166-1170, KAFKA-15583 since 3.7): acks=1 writes are
 *    then acknowledged but stay above the HW, invisible to consumers.
 *  - The process (KafkaServer): a start registers in ZooKeeper and fails
 *    while the previous session still owns the broker's node; a stop is a
 *    controlled shutdown (controlled.shutdown.enable, .max.retries,
 *    .retry.backoff.ms) that asks the controller to move leadership away
 *    and retries while the broker still leads; a crash stops at once and
 *    leaves the session to expire.
 *
 * Messages (produce, fetch and their answers) travel through net.c, which
 * decides whether they reach a process that crashed or restarted; parked
 * produce requests and fetches wait in the purgatory (purgatory.c). Brokers
 * are addressed by id through the sim's id index and own a stable slot
 * (creation order), which indexes a follower's fetch sessions and a
 * producer's connections, so a broker added later changes no one's index.
 * Invariants (checked by invariants.c): a dead broker has no replica in a
 * fetch session and nothing parked; a session is parked exactly when its
 * park timer is armed; waits at a leader are in order of the HW they need.
 *
 * How often: per produce request one append per batch and at most one wait;
 * per fetch round trip two messages, however many partitions; the ISR task
 * every replica.lag.time.max.ms / 2 per live broker.
 *
 * Simplifications, each the job of a later issue: only leadership is per
 * broker: ISR changes the controller makes itself (a dead broker leaves)
 * reach the leader's HW and min-ISR checks at once; when a new
 * leader takes over, the old one (if it has not heard yet) steps down in
 * the same instant; the HW checkpoint is the in-memory HW; fetch sizes
 * (replica.fetch.max.bytes) and bandwidth are not limited.
 */
#include "broker-private.h"
#include "actions-private.h"
#include "controller-private.h"
#include "producer-private.h"
#include "registry-private.h"
#include "metadata-private.h"
#include "zk-ensemble.h"
#include "consumer-private.h"
#include "ledger.h"
#include "model.h"

/* ---- partitions and replicas ---- */

void ks_replica_init(KsReplica *r, KsPartition *part, KsBroker *b)
{
    r->part = part;
    r->broker = b;
    ks_log_init(&r->log);
    /* A new log counts as flushed when it is created (LocalLog). */
    r->log.disk.last_flush = r->log.disk.checked = ks_engine_now(b->sim->engine);
    r->epochs = g_array_new(FALSE, FALSE, sizeof(KsEpochEntry));
    r->fetch_leo = -1;
    r->leader_leo_at_last_fetch = -1;
    r->last_caught_up = -1;
    r->fetcher_slot = -1;
    r->power_cut_epoch = -1;
    g_ptr_array_add(b->replicas, r);
}

void ks_replica_clear(KsReplica *r)
{
    ks_log_clear(&r->log);
    g_array_free(r->epochs, TRUE);
    if (r->truncations)
        g_array_free(r->truncations, TRUE);
}

void ks_replica_free(gpointer p)
{
    ks_replica_clear(p);
    g_free(p);
}

KsReplica *ks_partition_replica(KsPartition *part, KsBrokerId id)
{
    for (int32_t i = 0; i < part->n_replicas; i++)
        if (part->replicas[i]->broker->id == id)
            return part->replicas[i];
    return NULL;
}

bool ks_partition_in_isr(const KsPartition *part, KsBrokerId id)
{
    for (int32_t i = 0; i < part->n_replicas; i++)
        if (part->replicas[i]->broker->id == id)
            return part->replicas[i]->in_isr;
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
        part->replicas[i]->in_isr = false;
    for (guint k = 0; k < isr->len; k++)
        ks_partition_replica(part, g_array_index(isr, KsBrokerId, k))->in_isr = true;
    for (int32_t i = 0; i < part->n_replicas; i++)
        if (!part->replicas[i]->in_isr)
            part->replicas[i]->power_cut = false;
}

/* ---- topic configs as a broker resolves them ---- */

int64_t ks_topic_config(const KsSim *sim, const KsTopic *topic, const KsBroker *b, KsConfigKey key)
{
    if (ks_config_set_has(topic->plan->configs, key))
        return ks_config_set_get(topic->plan->configs, key);
    return ks_config_resolve(key, b ? b->plan->configs : NULL, sim->defaults);
}

int32_t ks_partition_min_isr(const KsSim *sim, const KsPartition *part)
{
    const KsReplica *lr = part->leader_replica;
    int64_t configured =
        ks_topic_config(sim, part->topic, lr ? lr->broker : NULL, KS_CFG_MIN_INSYNC_REPLICAS);
    return (int32_t)MIN(configured, (int64_t)part->n_replicas);
}

bool ks_partition_under_min_isr(const KsSim *sim, const KsPartition *part)
{
    return (int32_t)part->isr->len < ks_partition_min_isr(sim, part);
}

/* ---- produce: the leader's side ---- */

/* One acks=all batch is settled with @err; the request is answered when its
 * last batch is. */
static void complete_wait(KsSim *sim, KsProduceWait *w, KsKafkaError err)
{
    KsProduceRequest *req = w->request;
    KsRequestBatch *rb = &g_array_index(req->batches, KsRequestBatch, w->batch);
    rb->error = err;
    rb->wait = NULL;
    KsBroker *b = req->conn->broker;
    w->next_spare = b->spare_waits;
    b->spare_waits = w;
    if (--req->pending > 0 || req->serving)
        return;
    ks_purgatory_cancel(&req->parked);
    ks_producer_respond(sim, req);
}

/* A watch of @part's waits is satisfied (or failed): its batch is settled. */
static void wait_done(void *sim, KsWatch *watch, int err)
{
    complete_wait(sim, (KsProduceWait *)watch, err);
}

void ks_broker_fail_waits(KsSim *sim, KsPartition *part, KsKafkaError err)
{
    ks_purgatory_complete_all(&part->waits, wait_done, sim, err);
}

void ks_broker_fail_zombie_waits(KsSim *sim, KsPartition *part, const KsBroker *b, KsKafkaError err)
{
    /* From the head again after each: an answer may settle other waits. */
    for (GList *l = part->zombie_waits.head; l;) {
        KsProduceWait *w = l->data;
        if (w->request->conn->broker != b) {
            l = l->next;
            continue;
        }
        ks_purgatory_unwatch(w->key, &w->watch);
        complete_wait(sim, w, err);
        l = part->zombie_waits.head;
    }
}

/* @part's leader becomes a zombie: its parked acks=all writes wait on where
 * it cannot hear the controller, until their request times out. */
static void park_as_zombie(KsPartition *part)
{
    for (GList *l; (l = g_queue_pop_head_link(&part->waits));) {
        KsProduceWait *w = l->data;
        w->key = &part->zombie_waits;
        g_queue_push_tail_link(&part->zombie_waits, l);
    }
}

/* DelayedProduce expiry: a parked request that waited request.timeout.ms
 * is answered with REQUEST_TIMED_OUT for the batches still waiting. */
static void produce_expired(void *sim, KsDelayed *op)
{
    KsProduceRequest *req = (KsProduceRequest *)((char *)op - offsetof(KsProduceRequest, parked));
    for (guint i = 0; i < req->batches->len && req->pending > 0; i++) {
        KsProduceWait *w = g_array_index(req->batches, KsRequestBatch, i).wait;
        if (w) {
            ks_purgatory_unwatch(w->key, &w->watch);
            complete_wait(sim, w, KS_ERR_REQUEST_TIMED_OUT);
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

void ks_broker_handle_produce(KsSim *sim, KsProduceRequest *req)
{
    KsConnection *c = req->conn;
    KsProducer *p = c->producer;
    KsBroker *b = c->broker;
    req->serving = true;
    for (guint i = 0; i < req->batches->len; i++) {
        KsRequestBatch *rb = &g_array_index(req->batches, KsRequestBatch, i);
        KsPartition *part = rb->part;
        /* The broker's own view: it leads once the LeaderAndIsr naming it
         * has arrived, and until the one naming another does. */
        KsReplica *lr = ks_partition_leader_replica(part);
        bool zombie = part->zombie && part->zombie->broker == b &&
                      part->zombie_incarnation == b->ep.incarnation && b->zk_lost;
        if (zombie)
            lr = part->zombie; /* it has not heard of its successor */
        else if (!lr || lr->broker != b) {
            rb->error = KS_ERR_NOT_LEADER_OR_FOLLOWER;
            continue;
        }
        if (p->acks == -1 && ks_partition_under_min_isr(sim, part)) {
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
        /* The epoch it believes it leads in (a zombie's is stale): the
         * ledger tells a zombie's acknowledgements from a leader's by it. */
        int32_t epoch = zombie ? part->zombie_epoch : part->leader_replica_epoch;
        rb->leader_epoch = epoch;
        if (seq == SEQ_APPEND) {
            ks_replica_writeback(sim, lr);
            ks_log_append(&lr->log, rb->count, epoch, p->index, rb->producer_epoch, rb->first_seq);
            ks_replica_written(sim, lr);
            b->records_in += rb->count;
            ks_ledger_written(sim->ledger, p->index, lr, rb->first_seq, rb->count);
            ks_consumer_seek_appended(part, lr->log.end - rb->count, rb->count, epoch,
                                      rb->batch ? rb->batch->created : ks_engine_now(sim->engine));
            ks_fetcher_mark_followers_dirty(part);
        }
        int64_t required = seq == SEQ_APPEND ? lr->log.end : dup_end;
        /* A zombie's followers fetch elsewhere: its HW never moves, and its
         * acks=all writes wait until the request times out. */
        if (zombie)
            required = INT64_MAX;
        if (p->acks == -1 && required > lr->hw) {
            /* It watches @part's HW; a duplicate's records are older than
             * what already waits, so the watch keeps the order of need. */
            KsProduceWait *w = b->spare_waits;
            if (w)
                b->spare_waits = w->next_spare;
            else
                w = g_new(KsProduceWait, 1);
            *w = (KsProduceWait){0};
            w->watch.op = &req->parked;
            w->watch.need = required;
            w->request = req;
            w->part = part;
            w->batch = i;
            w->key = zombie ? &part->zombie_waits : &part->waits;
            rb->wait = w;
            req->pending++;
            ks_purgatory_watch(w->key, &w->watch);
        }
        if (seq == SEQ_APPEND) {
            ks_broker_maybe_advance_hw(sim, part);
            ks_fetcher_wake_parked(sim, part);
        }
    }
    req->serving = false;
    if (req->pending == 0) {
        ks_producer_respond(sim, req);
        return;
    }
    ks_purgatory_park(&c->parked, &req->parked, ks_engine_now(sim->engine) + p->request_timeout);
}

void ks_broker_init_connection(KsSim *sim, KsConnection *c)
{
    ks_purgatory_init_timeouts(&c->parked, sim->engine, produce_expired, sim);
}

/* ---- leadership: LeaderAndIsr as a broker applies it ---- */

/* The AlterPartition in flight, if any, is forgotten: the partition is back
 * to its committed state (a new LeaderAndIsr resets it). */
static void alter_reset(KsPartition *part)
{
    part->alter.inflight = false;
    part->alter.gen++;
    for (int32_t i = 0; i < part->n_replicas; i++)
        part->replicas[i]->isr_change_pending = false;
}

void ks_broker_step_down(KsSim *sim, KsPartition *part)
{
    KsReplica *lr = part->leader_replica;
    if (!lr)
        return;
    /* A leader that cannot hear of this (its machine is cut off from
     * ZooKeeper, or paused) acts on as leader: a zombie (net-faults.c). */
    bool zombie = lr->broker->alive && lr->broker->zk_lost;
    if (zombie) {
        part->zombie = lr;
        part->zombie_incarnation = lr->broker->ep.incarnation;
        part->zombie_epoch = part->leader_replica_epoch;
        park_as_zombie(part);
    }
    if (part->topic == sim->offsets_topic)
        ks_group_resigned(sim, part);
    /* Its parked acks=all writes are answered NOT_LEADER_OR_FOLLOWER (the
     * DelayedProduce completes with an error), unless it is a zombie; its
     * followers' fetches are answered with an error and they wait for
     * their own LeaderAndIsr. */
    if (lr->broker->alive)
        ks_broker_fail_waits(sim, part, KS_ERR_NOT_LEADER_OR_FOLLOWER);
    for (int32_t i = 0; i < part->n_replicas; i++) {
        KsReplica *r = part->replicas[i];
        if (r->fetcher && r->fetcher->leader == lr->broker)
            ks_fetcher_remove(r);
    }
    alter_reset(part);
    part->leader_replica = NULL;
    ks_ledger_leader_changed(sim->ledger, part);
}

/* Partition.makeLeader: @lr leads @part in @epoch. */
static void become_leader(KsSim *sim, KsReplica *lr, int32_t epoch)
{
    KsPartition *part = lr->part;
    KsTime now = ks_engine_now(sim->engine);
    bool new_leader = part->leader_replica != lr;
    if (part->zombie == lr)
        part->zombie = NULL;
    /* Told at last: what it parked as a zombie fails (Kafka completes a
     * DelayedProduce from another leader epoch with an error). */
    ks_broker_fail_zombie_waits(sim, part, lr->broker, KS_ERR_NOT_LEADER_OR_FOLLOWER);
    if (new_leader)
        ks_broker_step_down(sim, part);
    alter_reset(part);
    part->leader_replica = lr;
    part->leader_replica_epoch = epoch;
    ks_fetcher_remove(lr);
    lr->must_truncate = false;
    ks_epochs_assign(lr->epochs, epoch, lr->log.end);
    lr->hw = MIN(lr->hw, lr->log.end);
    /* Replica.resetReplicaState, on every new leader epoch: ISR members
     * count as caught up now, others as never, so a follower that left the
     * ISR does not hold the HW back. A new leader knows nothing of its
     * followers' logs until they fetch; a re-elected one keeps what it knew. */
    for (int32_t i = 0; i < part->n_replicas; i++) {
        KsReplica *r = part->replicas[i];
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
    ks_ledger_leader_changed(sim->ledger, part);
    ks_broker_maybe_advance_hw(sim, part);
    if (part->topic == sim->offsets_topic)
        ks_group_elected(sim, part);
}

static void follow_probe(KsSim *sim, void *ctx, uint64_t epoch, bool delivered);
static void follow_retry(KsSim *sim, void *ctx, uint64_t epoch, bool delivered);

/* Whether @r's leader, as @r knows it, leads in (at least) @r's epoch. */
static bool leader_ready(const KsReplica *r)
{
    const KsReplica *lr = r->part->leader_replica;
    return lr && lr->broker->id == r->known_leader &&
           r->part->leader_replica_epoch >= r->known_epoch;
}

static KsTime latency_to_leader(KsSim *sim, const KsReplica *r)
{
    const KsBroker *leader = ks_sim_find_broker(sim, r->known_leader);
    return ks_net_latency(sim, r->broker->node, leader->node);
}

/* Partition.makeFollower, then the fetcher's first fetch: it joins the
 * leader's session if that broker already leads in (at least) the epoch
 * the follower knows. Else the first fetch finds out when it reaches the
 * leader (follow_probe): the leader may have learnt by then; if not, it
 * answers NOT_LEADER_OR_FOLLOWER or UNKNOWN_LEADER_EPOCH and the fetcher
 * retries after replica.fetch.backoff.ms (AbstractFetcherThread
 * .delayPartitions). */
static void try_follow(KsSim *sim, KsReplica *r)
{
    if (r->fetcher || r->known_leader == KS_NO_BROKER || r->known_leader == r->broker->id)
        return;
    if (leader_ready(r)) {
        r->must_truncate = true;
        ks_fetcher_join(sim, r, r->part->leader_replica->broker);
        return;
    }
    ks_net_after(sim, &r->broker->ep, latency_to_leader(sim, r), follow_probe, r,
                 (uint64_t)(uint32_t)r->known_epoch);
}

/* The first fetch reaches the leader. */
static void follow_probe(KsSim *sim, void *ctx, uint64_t epoch, bool delivered)
{
    KsReplica *r = ctx;
    if (!delivered || (uint64_t)(uint32_t)r->known_epoch != epoch || r->fetcher)
        return;
    if (leader_ready(r)) {
        r->must_truncate = true;
        ks_fetcher_join(sim, r, r->part->leader_replica->broker);
        return;
    }
    ks_net_after(sim, &r->broker->ep, latency_to_leader(sim, r) + r->broker->fetch_backoff,
                 follow_retry, r, epoch);
}

static void follow_retry(KsSim *sim, void *ctx, uint64_t epoch, bool delivered)
{
    KsReplica *r = ctx;
    if (delivered && (uint64_t)(uint32_t)r->known_epoch == epoch)
        try_follow(sim, r);
}

void ks_broker_apply_leader_and_isr(KsSim *sim, KsReplica *r, KsBrokerId leader, int32_t epoch)
{
    KsPartition *part = r->part;
    /* Epochs never go back: an older request is answered and ignored. */
    if (epoch < r->known_epoch)
        return;
    if (part->zombie == r)
        part->zombie = NULL; /* told at last: it follows (and truncates) */
    ks_broker_fail_zombie_waits(sim, part, r->broker, KS_ERR_NOT_LEADER_OR_FOLLOWER);
    /* The same state again (a new controller's first requests): nothing to do. */
    if (epoch == r->known_epoch && leader == r->known_leader && r->fetcher &&
        r->fetcher->leader->id == leader)
        return;
    r->known_epoch = epoch;
    r->known_leader = leader;
    if (leader == r->broker->id) {
        /* Someone newer may lead already (this request was overtaken). */
        KsReplica *lr = part->leader_replica;
        if ((lr == r && part->leader_replica_epoch == epoch) ||
            (lr && lr != r && part->leader_replica_epoch > epoch))
            return;
        become_leader(sim, r, epoch);
        return;
    }
    if (part->leader_replica == r)
        ks_broker_step_down(sim, part);
    /* A follower reconciles its log with the new epoch's leader again. */
    ks_fetcher_remove(r);
    try_follow(sim, r);
}

/* ---- high watermark and ISR ---- */

/* Partition.maybeIncrementLeaderHW, then completes the acks=all writes the
 * new HW covers. Nothing moves while the ISR is under the effective
 * min.insync.replicas (Partition.scala:1166-1170). Whether a follower
 * outside the ISR is caught up is judged with the leader's
 * replica.lag.time.max.ms. */
void ks_broker_maybe_advance_hw(KsSim *sim, KsPartition *part)
{
    KsReplica *lr = ks_partition_leader_replica(part);
    if (!lr || ks_partition_under_min_isr(sim, part))
        return;
    KsTime now = ks_engine_now(sim->engine);
    KsTime lag_max = lr->broker->lag_max;
    int64_t hw = lr->log.end;
    for (int32_t i = 0; i < part->n_replicas; i++) {
        KsReplica *r = part->replicas[i];
        if (r == lr)
            continue;
        bool caught_up =
            r->fetch_leo >= 0 && ks_metadata_broker_alive(sim, lr->broker, r->broker->id) &&
            (r->fetch_leo >= lr->log.end ||
             (ks_fetcher_last_caught_up(r) >= 0 && now - ks_fetcher_last_caught_up(r) <= lag_max));
        /* Partition.maximalIsr: while an AlterPartition is in flight the
         * replicas it adds or removes count too. */
        if (r->in_isr || caught_up || r->isr_change_pending)
            hw = MIN(hw, r->fetch_leo);
    }
    if (hw <= lr->hw)
        return;
    lr->hw = hw;
    ks_fetcher_mark_followers_dirty(part);
    /* The ISR is not under the minimum here, so every covered write
     * succeeds (checkEnoughReplicasReachOffset, Partition.scala:1125-1134). */
    ks_purgatory_check(&part->waits, lr->hw, wait_done, sim, KS_ERR_NONE);
    ks_group_hw_advanced(sim, part);
}

int64_t ks_broker_append_internal(KsSim *sim, KsPartition *part, int64_t count)
{
    KsReplica *lr = ks_partition_leader_replica(part);
    ks_replica_writeback(sim, lr);
    ks_log_append(&lr->log, count, part->leader_replica_epoch, -1, 0, 0);
    ks_replica_written(sim, lr);
    lr->broker->records_in += count;
    ks_fetcher_mark_followers_dirty(part);
    int64_t end = lr->log.end;
    ks_broker_maybe_advance_hw(sim, part);
    ks_fetcher_wake_parked(sim, part);
    return end;
}

static void submit_alter_partition(KsSim *sim, KsPartition *part, bool shrink);

/* Partition.maybeExpandIsr runs on every follower fetch; a fetch that came
 * while another proposal was in flight (or was refused) proposed nothing,
 * and a caught-up follower in an incremental session may send no position
 * again: the leader looks at what it last recorded, once the way is free. */
static void maybe_expand_again(KsSim *sim, KsPartition *part)
{
    const KsReplica *lr = part->leader_replica;
    if (!lr || part->alter.inflight)
        return;
    const KsEpochEntry *cur = &g_array_index(lr->epochs, KsEpochEntry, lr->epochs->len - 1);
    for (int32_t i = 0; i < part->n_replicas; i++) {
        KsReplica *r = part->replicas[i];
        /* Its position as last recorded, unless it truncated since (its
         * next fetch carries the new one). */
        if (r != lr && !r->in_isr && r->fetcher && r->fetcher->leader == lr->broker &&
            !r->must_truncate && ks_metadata_broker_alive(sim, lr->broker, r->broker->id) &&
            r->fetch_leo >= lr->hw && r->fetch_leo >= cur->start && r->fetch_leo <= r->log.end &&
            /* ... and a fetch can come to tell it (no cut, no pause between,
             * no request lost in an earlier cut that it still waits on). */
            !r->fetcher->silenced && ks_net_connected(sim, r->broker->node, lr->broker->node) &&
            !ks_net_endpoint_paused(sim, &r->broker->ep)) {
            ks_broker_propose_isr_expand(sim, part, r);
            return;
        }
    }
}

/* Partition.submitAlterPartition: the leader sends its proposal (the
 * replicas flagged isr_change_pending join, or leave with @shrink) to the
 * controller, and changes nothing until the answer. */
static void submit_alter_partition(KsSim *sim, KsPartition *part, bool shrink)
{
    KsAlterIsr *a = &part->alter;
    KsBroker *from = part->leader_replica->broker;
    a->inflight = true;
    a->shrink = shrink;
    a->epoch = part->leader_replica_epoch;
    a->from = from->id;
    a->gen++;
    KsBroker *c = ks_sim_find_broker(sim, sim->registry->controller);
    uint64_t arg = (uint64_t)(uint32_t)sim->registry->controller_epoch << 32 | a->gen;
    if (!c || !ks_net_send(sim, &from->ep, &c->ep, KS_NET_ALTER_PARTITION,
                           ks_controller_alter_partition, part, arg))
        alter_reset(part);
}

void ks_broker_alter_partition_answered(KsSim *sim, void *ctx, uint64_t arg, bool delivered)
{
    KsPartition *part = ctx;
    if (!part->alter.inflight || (uint32_t)(arg >> 1) != part->alter.gen)
        return;
    /* Committed (the controller wrote the ISR) or refused: either way the
     * leader is back to the committed state and may propose again. */
    alter_reset(part);
    ks_broker_maybe_advance_hw(sim, part);
    maybe_expand_again(sim, part);
}

void ks_broker_live_brokers_changed(KsSim *sim, KsBroker *b)
{
    for (guint i = 0; i < b->replicas->len; i++) {
        KsReplica *r = g_ptr_array_index(b->replicas, i);
        if (r->part->leader_replica == r)
            maybe_expand_again(sim, r->part);
    }
}

void ks_broker_propose_isr_expand(KsSim *sim, KsPartition *part, KsReplica *r)
{
    if (part->alter.inflight)
        return;
    r->isr_change_pending = true;
    submit_alter_partition(sim, part, false);
}

/* Partition.maybeShrinkIsr for one partition led by a live broker: the
 * followers stuck for replica.lag.time.max.ms leave in one proposal. */
static void maybe_shrink_isr(KsSim *sim, KsPartition *part, KsReplica *lr)
{
    KsTime now = ks_engine_now(sim->engine);
    bool any = false;
    if (part->alter.inflight)
        return;
    for (guint i = 0; i < part->isr->len; i++) {
        KsBrokerId id = g_array_index(part->isr, KsBrokerId, i);
        KsReplica *r = ks_partition_replica(part, id);
        bool stuck = r != lr && r->fetch_leo != lr->log.end &&
                     now - ks_fetcher_last_caught_up(r) > lr->broker->lag_max;
        r->isr_change_pending = stuck;
        any |= stuck;
    }
    if (any)
        submit_alter_partition(sim, part, true);
}

/* The "isr-expiration" task ReplicaManager runs every
 * replica.lag.time.max.ms / 2 on each broker; it dies with the process. */
static void isr_expiration(KsSim *sim, void *ctx, uint64_t arg, bool delivered)
{
    KsBroker *b = ctx;
    if (!delivered)
        return;
    for (guint i = 0; i < b->replicas->len; i++) {
        KsReplica *r = g_ptr_array_index(b->replicas, i);
        if (r->part->leader_replica == r)
            maybe_shrink_isr(sim, r->part, r);
    }
    ks_net_after(sim, &b->ep, b->lag_max / 2, isr_expiration, b, 0);
}

/* ---- building ---- */

KsBroker *ks_broker_add(KsSim *sim, const KsPlanBroker *pb)
{
    KsBroker *b = g_new0(KsBroker, 1);
    const KsConfigSet *def = sim->defaults;
    if (!sim->broker_ids) {
        sim->broker_ids = g_hash_table_new(g_direct_hash, g_direct_equal);
        sim->broker_slots = g_ptr_array_new();
    }
    b->sim = sim;
    b->id = pb->id;
    b->slot = (int)sim->broker_slots->len;
    b->node = ks_sim_find_node(sim, pb->node);
    ks_net_endpoint_init(&b->ep, b->node, false);
    b->rack = g_strdup(pb->rack);
    b->plan = pb;
    b->replicas = g_ptr_array_new();
    b->fetchers = g_ptr_array_new_with_free_func(ks_fetcher_free);
    ks_registry_init_broker(b);
    b->shutting_down_since = -1;
    b->lag_max = ks_config_resolve(KS_CFG_REPLICA_LAG_TIME_MAX_MS, pb->configs, def);
    b->fetch_wait_max = ks_config_resolve(KS_CFG_REPLICA_FETCH_WAIT_MAX_MS, pb->configs, def);
    b->fetch_backoff = ks_config_resolve(KS_CFG_REPLICA_FETCH_BACKOFF_MS, pb->configs, def);
    b->request_timeout = ks_config_resolve(KS_CFG_REQUEST_TIMEOUT_MS, pb->configs, def);
    b->connect_timeout =
        MIN(ks_config_resolve(KS_CFG_REPLICA_SOCKET_TIMEOUT_MS, pb->configs, def),
            ks_config_resolve(KS_CFG_SOCKET_CONNECTION_SETUP_TIMEOUT_MS, pb->configs, def));
    b->session_timeout = ks_config_resolve(KS_CFG_ZOOKEEPER_SESSION_TIMEOUT_MS, pb->configs, def);
    ks_disk_init_broker(sim, b);
    g_ptr_array_add(sim->broker_slots, b);
    g_hash_table_insert(sim->broker_ids, GINT_TO_POINTER(b->id), b);
    /* sim->brokers stays sorted by id, the order every walk shows. */
    guint at = sim->brokers->len;
    while (at > 0 && ((KsBroker *)g_ptr_array_index(sim->brokers, at - 1))->id > b->id)
        at--;
    g_ptr_array_insert(sim->brokers, (gint)at, b);
    return b;
}

void ks_broker_free(KsBroker *b)
{
    if (!b)
        return;
    ks_controller_queue_free(b->ctrl_queue);
    for (KsProduceWait *w = b->spare_waits, *next; w; w = next) {
        next = w->next_spare;
        g_free(w);
    }
    g_ptr_array_free(b->fetchers, TRUE);
    g_ptr_array_free(b->replicas, TRUE);
    ks_fetch_session_cache_free(b->fetch_sessions);
    g_free(b->rack);
    g_free(b);
}

/* ---- the process: start, stop, crash ---- */

/* Emits @type about @b: broker_start_failed with @n the old session's
 * expiry, broker_stopping with @n the partitions it still leads and @n2 its
 * attempts left, or a broker_event (@n, @n2 unused). */
static void emit_lifecycle(KsSim *sim, KsEventType type, const KsBroker *b, int64_t n, int64_t n2)
{
    KsEvent ev = ks_event_init(type, ks_engine_now(sim->engine));
    if (type == KS_EV_BROKER_START_FAILED) {
        ev.broker_start_failed.broker = b->id;
        /* Without a quorum no server accepts the connection:
         * zookeeper.connection.timeout.ms passes and startup fails. */
        ev.broker_start_failed.error =
            ks_zk_has_quorum(sim) ? "NodeExists" : "ZooKeeperClientTimeoutException";
        ev.broker_start_failed.old_session_expires_us = n == KS_TIME_NEVER ? -1 : n;
    } else if (type == KS_EV_BROKER_STOPPING) {
        ev.broker_stopping.broker = b->id;
        ev.broker_stopping.still_leads = n;
        ev.broker_stopping.attempts_left = n2;
    } else {
        ev.broker_event.broker = b->id;
    }
    ks_sim_emit(sim, &ev);
}

/* The broker process dies: its fetcher threads are gone (its replicas
 * belong to no session until the controller tells it whom to follow
 * again), every follower fetching from it gets a broken connection, and
 * every acks=all write parked on it is answered with a network error by the
 * producer's side of the connection. Its logs stay on disk. */
static void process_dies(KsSim *sim, KsBroker *b)
{
    ks_disk_process_stops(sim, b);
    b->alive = false;
    ks_net_endpoint_stop(&b->ep);
    sim->net.servers_gen++;
    ks_fetcher_broker_died(sim, b);
    for (guint i = 0; i < b->replicas->len; i++) {
        KsPartition *part = ((KsReplica *)g_ptr_array_index(b->replicas, i))->part;
        if (part->leader_replica && part->leader_replica->broker == b)
            ks_broker_fail_waits(sim, part, KS_ERR_NETWORK_EXCEPTION);
        ks_broker_fail_zombie_waits(sim, part, b, KS_ERR_NETWORK_EXCEPTION);
        if (part->leader == b->id)
            ks_partition_update_availability(sim, part);
    }
}

/* Starts @b's process. Its startup ends by registering in ZooKeeper; if its
 * previous session still owns /brokers/ids/<id>, that fails and the process
 * exits, as a Kafka broker restarted too soon after a crash does. */
void ks_broker_restart(KsSim *sim, KsBroker *b, KsEventType type)
{
    KsTime expiry = ks_registry_session_expiry(b);
    if (expiry >= 0 || !ks_zk_has_quorum(sim)) {
        emit_lifecycle(sim, KS_EV_BROKER_START_FAILED, b, expiry, -1);
        return;
    }
    /* A new process knows no role (ReplicaManager starts empty): what it led
     * and what it followed wait for the controller's LeaderAndIsr. */
    for (guint i = 0; i < b->replicas->len; i++) {
        KsReplica *r = g_ptr_array_index(b->replicas, i);
        if (r->part->leader_replica == r)
            ks_broker_step_down(sim, r->part);
        r->known_epoch = -1;
        r->known_leader = KS_NO_BROKER;
    }
    b->alive = true;
    ks_disk_process_starts(sim, b);
    ks_net_endpoint_start(&b->ep);
    sim->net.servers_gen++;
    ks_metadata_reset(sim, b); /* a new process knows nothing until UpdateMetadata */
    ks_net_after(sim, &b->ep, b->lag_max / 2, isr_expiration, b, 0);
    emit_lifecycle(sim, type, b, -1, -1);
    ks_registry_register_broker(sim, b);
    for (guint i = 0; i < b->replicas->len; i++)
        ks_partition_update_availability(sim,
                                         ((KsReplica *)g_ptr_array_index(b->replicas, i))->part);
}

/* The broker's process stops after a shutdown: connections close, and it
 * closes its ZooKeeper session, so the controller learns at once. */
static void finish_stop(KsSim *sim, KsBroker *b)
{
    b->shutdown_attempts = 0;
    b->shutting_down_since = -1;
    process_dies(sim, b);
    ks_disk_clean_shutdown(sim, b);
    emit_lifecycle(sim, KS_EV_BROKER_STOPPED, b, -1, -1);
    ks_group_broker_died(sim, b);
    ks_registry_close_session(sim, b);
}

static void shutdown_attempt(KsSim *sim, void *ctx, uint64_t arg, bool delivered);

/* One ControlledShutdown request (KafkaServer.controlledShutdown): the
 * controller moves what it can. While the broker still leads partitions
 * with more than one replica it waits controlled.shutdown.retry.backoff.ms
 * and asks again, up to controlled.shutdown.max.retries requests; after
 * the last failed one it stops at once, without a backoff (Kafka 3.9
 * KafkaServer.scala:931-934, "Proceeding to do an unclean shutdown as all
 * the controlled shutdown attempts failed", :968-969). The request to the
 * controller and its answer are instant (the controller's own requests
 * to brokers travel: controller.c). */
static void request_controlled_shutdown(KsSim *sim, KsBroker *b)
{
    int64_t still_led = ks_controller_controlled_shutdown(sim, b);
    b->shutdown_attempts--;
    emit_lifecycle(sim, KS_EV_BROKER_STOPPING, b, still_led, b->shutdown_attempts);
    if (still_led == 0 || b->shutdown_attempts == 0) {
        finish_stop(sim, b);
        return;
    }
    KsTime backoff = ks_config_resolve(KS_CFG_CONTROLLED_SHUTDOWN_RETRY_BACKOFF_MS,
                                       b->plan->configs, sim->defaults);
    ks_net_after(sim, &b->ep, backoff, shutdown_attempt, b, 0);
}

/* The retry backoff passed; a process that crashed meanwhile is gone. */
static void shutdown_attempt(KsSim *sim, void *ctx, uint64_t arg, bool delivered)
{
    KsBroker *b = ctx;
    if (delivered && b->shutdown_attempts > 0)
        request_controlled_shutdown(sim, b);
}

void ks_broker_stop_controlled(KsSim *sim, KsBroker *b)
{
    const KsConfigSet *cfg = b->plan->configs;
    int64_t retries =
        ks_config_resolve(KS_CFG_CONTROLLED_SHUTDOWN_ENABLE, cfg, sim->defaults)
            ? ks_config_resolve(KS_CFG_CONTROLLED_SHUTDOWN_MAX_RETRIES, cfg, sim->defaults)
            : 0;
    if (retries <= 0) {
        emit_lifecycle(sim, KS_EV_BROKER_STOPPING, b, -1, -1);
        finish_stop(sim, b);
        return;
    }
    b->shutdown_attempts = (int)retries;
    b->shutting_down_since = ks_engine_now(sim->engine);
    request_controlled_shutdown(sim, b);
}

void ks_broker_crash_process(KsSim *sim, KsBroker *b)
{
    /* A crash ends a controlled shutdown in progress. */
    b->shutdown_attempts = 0;
    b->shutting_down_since = -1;
    process_dies(sim, b);
    emit_lifecycle(sim, KS_EV_BROKER_CRASHED, b, -1, -1);
    ks_group_broker_died(sim, b);
    ks_registry_broker_died(sim, b);
}

/* ---- timeline actions: brokers and the nodes they run on ---- */

void ks_broker_action_crash(KsSim *sim, const KsPlanAction *a)
{
    KsBroker *b = ks_sim_find_broker(sim, a->broker);
    if (b->alive)
        ks_broker_crash_process(sim, b);
    else
        ks_sim_note(sim, a->loc.line, "broker %d is already down", b->id);
}

void ks_broker_action_restart(KsSim *sim, const KsPlanAction *a)
{
    KsBroker *b = ks_sim_find_broker(sim, a->broker);
    if (b->alive)
        ks_sim_note(sim, a->loc.line, "broker %d is already running", b->id);
    else if (!b->node->up)
        ks_sim_note(sim, a->loc.line, "broker %d cannot start: its node %s is down", b->id,
                    b->node->name);
    else
        ks_broker_restart(sim, b, KS_EV_BROKER_RESTARTED);
}

void ks_broker_action_stop(KsSim *sim, const KsPlanAction *a)
{
    KsBroker *b = ks_sim_find_broker(sim, a->broker);
    if (!b->alive)
        ks_sim_note(sim, a->loc.line, "broker %d is already down", b->id);
    else if (b->shutting_down_since >= 0)
        ks_sim_note(sim, a->loc.line, "broker %d is already shutting down", b->id);
    else
        ks_broker_stop_controlled(sim, b);
}

/* A machine dies (@up false: every broker process on it crashes, and then
 * loses what its logs had not put on disk: a power loss) or comes back
 * (@up true: its brokers start again), brokers in id order. */
static void set_node_up(KsSim *sim, const KsPlanAction *a, bool up)
{
    KsNode *node = ks_sim_find_node(sim, a->name);
    if (node->up == up) {
        ks_sim_note(sim, a->loc.line, "node %s is already %s", node->name, up ? "up" : "down");
        return;
    }
    node->up = up;
    sim->net.servers_gen++;
    KsEvent ev =
        ks_event_init(up ? KS_EV_NODE_RESTARTED : KS_EV_NODE_CRASHED, ks_engine_now(sim->engine));
    ev.node_event.node = node->name;
    ks_sim_emit(sim, &ev);
    for (guint i = 0; i < sim->brokers->len; i++) {
        KsBroker *nb = g_ptr_array_index(sim->brokers, i);
        if (nb->node != node || nb->alive == up)
            continue;
        if (up)
            ks_broker_restart(sim, nb, KS_EV_BROKER_RESTARTED);
        else
            ks_broker_crash_process(sim, nb);
    }
    /* Every broker of the machine, crashed before or just now: the page
     * cache was the machine's. */
    for (guint i = 0; i < sim->brokers->len; i++) {
        KsBroker *nb = g_ptr_array_index(sim->brokers, i);
        if (nb->node != node)
            continue;
        if (!up) {
            ks_disk_power_loss(sim, nb);
            continue;
        }
        /* The log of record may move back to a replica on this machine. */
        for (guint k = 0; k < nb->replicas->len; k++)
            ks_ledger_leader_changed(sim->ledger,
                                     ((KsReplica *)g_ptr_array_index(nb->replicas, k))->part);
    }
}

void ks_broker_action_crash_node(KsSim *sim, const KsPlanAction *a)
{
    set_node_up(sim, a, false);
}

void ks_broker_action_restart_node(KsSim *sim, const KsPlanAction *a)
{
    set_node_up(sim, a, true);
}
