/* SPDX-License-Identifier: MIT */
/*
 * invariants.c - what must hold of the model's state between two engine
 * events, checked in one place (STYLE 9.5, item 3).
 *
 * Each rule below is either one of Kafka's (the ISR is a subset of the
 * replicas and holds the leader; a high watermark never passes its log end;
 * the committed prefix is the same on every in-sync replica, unless a power
 * loss cut one of the two logs; the leader-epoch
 * cache is monotonic, as LeaderEpochFileCache keeps it) or one of the
 * model's own bookkeeping rules that the code relies on without saying so at
 * each use (a replica's fetch session slot, a producer's active set, the
 * purgatory timer following the oldest parked request). The first broken rule
 * is reported in words, with the time and what it is about, so a property
 * test can print it as is.
 *
 * The rules hold between engine events, not inside one: a controller
 * decision, for example, announces the new leader before the replicas have
 * switched fetch sessions. Callers check after an event has run.
 *
 * Rules about the controller's view (ctrl_live, offline partitions) hold once
 * an active controller has handled every /brokers/ids change; while its
 * process is dead, or a change is queued, it lags by design and those rules
 * are skipped.
 *
 * Cost: one pass over the state, O(brokers + partitions * replicas + log runs
 * + epoch entries + producer batches and requests), with a hash set for the
 * few rules that need membership. Nothing is sorted. The committed-prefix rule
 * walks each in-sync follower's runs beside the leader's, so a log of many
 * runs (producers interleaving on one partition) costs its runs again per
 * follower. The ledger's rule recounts lost records from scratch: one more
 * pass over each partition's log of record, and a sort only where a
 * producer's runs are out of sequence order.
 */
#include "kafkasim/sim.h"

#include <inttypes.h>
#include <stdarg.h>

#include "broker-private.h"
#include "consumer-private.h"
#include "producer-private.h"
#include "registry-private.h"
#include "zk-ensemble.h"
#include "ledger.h"
#include "model.h"
#include "reassign.h"

G_DEFINE_QUARK(ks - sim - error - quark, ks_sim_error)

typedef struct {
    const KsSim *sim;
    KsTime now;
    GError **error;
} Check;

/* Sets the error to "at T: MESSAGE" and returns false. */
static bool G_GNUC_PRINTF(2, 3) fail(Check *c, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    g_autofree char *msg = g_strdup_vprintf(fmt, ap);
    va_end(ap);
    g_set_error(c->error, KS_SIM_ERROR, KS_SIM_ERROR_INVARIANT, "at %" PRId64 ".%06" PRId64 "s: %s",
                c->now / KS_TIME_S, c->now % KS_TIME_S, msg);
    return false;
}

#define REQUIRE(c, cond, ...)                                                                      \
    do {                                                                                           \
        if (!(cond))                                                                               \
            return fail((c), __VA_ARGS__);                                                         \
    } while (0)

/* Whether the controller is active and has seen every registration change:
 * its view of the brokers is then ZooKeeper's. */
static bool controller_settled(const KsSim *sim)
{
    const KsBroker *ctl = ks_sim_find_broker(sim, sim->registry->controller);
    return ctl && ctl->alive && !sim->registry->broker_change_pending;
}

/* controllerContext.isReplicaOnline, as controller.c judges it. */
static bool eligible(const KsSim *sim, KsBrokerId id)
{
    const KsBroker *b = ks_sim_find_broker(sim, id);
    return b && b->ctrl_live && !b->shutting_down;
}

static const KsReplica *find_replica(const KsPartition *part, KsBrokerId id)
{
    for (int32_t i = 0; i < part->n_replicas; i++)
        if (part->replicas[i]->broker->id == id)
            return part->replicas[i];
    return NULL;
}

/* ---- brokers, ZooKeeper and the controller ---- */

static bool check_fetcher(Check *c, const KsBroker *b, guint leader_slot, const KsFetcher *f)
{
    REQUIRE(c, f->follower == b && f->leader->slot == (int)leader_slot,
            "broker %d: its fetch session in slot %u names follower %d and leader %d", b->id,
            leader_slot, f->follower->id, f->leader->id);
    REQUIRE(c, f->state >= KS_FETCH_IDLE && f->state <= KS_FETCH_BACKOFF,
            "broker %d: fetch session to %d has state %d", b->id, f->leader->id, (int)f->state);
    if (!b->alive)
        REQUIRE(c, f->replicas->len == 0 && f->state == KS_FETCH_IDLE,
                "broker %d is down but its fetch session to %d has %u partitions, state %d", b->id,
                f->leader->id, f->replicas->len, (int)f->state);
    REQUIRE(c,
            (f->state == KS_FETCH_PARKED) == ks_purgatory_parked(&f->park) &&
                ks_purgatory_parked(&f->park) == ks_timer_is_armed(&f->parking.timer),
            "broker %d: fetch session to %d is %s but its park timer is %s", b->id, f->leader->id,
            f->state == KS_FETCH_PARKED ? "parked" : "not parked",
            ks_timer_is_armed(&f->parking.timer) ? "armed" : "not armed");
    if (!f->leader->alive)
        REQUIRE(c, f->state != KS_FETCH_PARKED,
                "broker %d: fetch session is parked at broker %d, which is down", b->id,
                f->leader->id);
    guint n_dirty = 0;
    for (guint k = 0; k < f->replicas->len; k++) {
        const KsReplica *r = g_ptr_array_index(f->replicas, k);
        const KsPartition *part = r->part;
        REQUIRE(c, r->fetcher == f && r->fetcher_slot == (int)k,
                "%s-%d: replica on broker %d is in slot %u of the session to %d, but says "
                "slot %d of %s",
                part->topic->name, part->index, r->broker->id, k, f->leader->id, r->fetcher_slot,
                r->fetcher == f ? "that session" : "another");
        REQUIRE(c, find_replica(part, r->broker->id) == r,
                "%s-%d: broker %d fetches for a replica the partition no longer has",
                part->topic->name, part->index, r->broker->id);
        REQUIRE(c, r->broker == b,
                "%s-%d: replica of broker %d is in the fetch session of broker %d",
                part->topic->name, part->index, r->broker->id, b->id);
        /* A follower fetches from the broker that acts as leader (the
         * controller may have chosen another already: LeaderAndIsr travels). */
        REQUIRE(c, part->leader_replica && part->leader_replica->broker == f->leader,
                "%s-%d: broker %d fetches it from broker %d, but %s acts as leader",
                part->topic->name, part->index, b->id, f->leader->id,
                part->leader_replica ? "another broker" : "no broker");
        n_dirty += r->dirty;
    }
    /* Every dirty replica must be listed, or its next fetch would never
     * carry it; the list may also hold stale entries, which are skipped. */
    if (n_dirty > 0) {
        g_autoptr(GHashTable) listed = g_hash_table_new(g_direct_hash, g_direct_equal);
        for (guint k = 0; k < f->dirty->len; k++) {
            const KsReplica *r = g_ptr_array_index(f->dirty, k);
            if (r->fetcher == f && r->dirty)
                g_hash_table_add(listed, (gpointer)r);
        }
        REQUIRE(c, g_hash_table_size(listed) == n_dirty,
                "broker %d: fetch session to %d has %u dirty partitions but lists %u", b->id,
                f->leader->id, n_dirty, g_hash_table_size(listed));
    }
    return true;
}

static bool check_brokers(Check *c)
{
    const KsSim *sim = c->sim;
    guint n = sim->brokers->len;
    for (guint i = 0; i < n; i++) {
        const KsBroker *b = g_ptr_array_index(sim->brokers, i);
        REQUIRE(c,
                b->sim == sim && b->slot >= 0 && (guint)b->slot < sim->broker_slots->len &&
                    g_ptr_array_index(sim->broker_slots, b->slot) == b &&
                    ks_sim_find_broker(sim, b->id) == b,
                "broker %d: slot %d at position %u is not its own", b->id, b->slot, i);
        REQUIRE(c, b->ep.up == b->alive && b->ep.node == b->node,
                "broker %d: its network endpoint says %s", b->id, b->ep.up ? "up" : "down");
        if (i > 0) {
            const KsBroker *prev = g_ptr_array_index(sim->brokers, i - 1);
            REQUIRE(c, prev->id < b->id, "brokers %d and %d are out of id order", prev->id, b->id);
        }
        if (b->alive)
            REQUIRE(c, b->node->up, "broker %d runs on node %s, which is down", b->id,
                    b->node->name);
        /* A live broker registered at startup, and only its own death, or
         * losing the quorum (cut off, paused: net-faults.c), lets the
         * session expire. */
        if (b->alive && !b->zk_lost)
            REQUIRE(c, b->registered, "broker %d is running but not registered in ZooKeeper",
                    b->id);
        /* Without a ZooKeeper quorum an expiry waits for the next leader,
         * which re-arms it (zk-ensemble.c). */
        if (b->registered && !b->alive && ks_zk_has_quorum(sim)) {
            REQUIRE(c, ks_timer_is_armed(&b->session_timer),
                    "broker %d is down and still registered, but its session never expires", b->id);
            REQUIRE(c, ks_timer_deadline(&b->session_timer) >= c->now,
                    "broker %d: its session expiry is in the past", b->id);
        }
        if (!b->registered)
            REQUIRE(c, !ks_timer_is_armed(&b->session_timer),
                    "broker %d is not registered but has a session timer armed", b->id);
        REQUIRE(c, !b->shutting_down || b->ctrl_live,
                "broker %d is shutting down in the controller's view but not live in it", b->id);
        REQUIRE(c, b->shutting_down_since < 0 || b->alive,
                "broker %d is down but still in a controlled shutdown begun at %" PRId64 "us",
                b->id, b->shutting_down_since);
        REQUIRE(c, b->shutdown_attempts >= 0, "broker %d has %d shutdown attempts left", b->id,
                b->shutdown_attempts);
        for (guint k = 0; k < b->replicas->len; k++) {
            const KsReplica *r = g_ptr_array_index(b->replicas, k);
            REQUIRE(c, r->broker == b, "broker %d lists a replica of %s-%d hosted by broker %d",
                    b->id, r->part->topic->name, r->part->index, r->broker->id);
            REQUIRE(c, find_replica(r->part, b->id) == r,
                    "broker %d hosts a replica of %s-%d that is not in its replicas", b->id,
                    r->part->topic->name, r->part->index);
        }
        for (guint k = 0; k < b->fetchers->len; k++) {
            const KsFetcher *f = g_ptr_array_index(b->fetchers, k);
            if (f && !check_fetcher(c, b, k, f))
                return false;
        }
    }

    if (sim->registry->controller == KS_NO_BROKER) {
        for (guint i = 0; i < n; i++) {
            const KsBroker *b = g_ptr_array_index(sim->brokers, i);
            REQUIRE(c, !b->alive, "there is no controller, yet broker %d is running", b->id);
        }
    } else {
        const KsBroker *ctl = ks_sim_find_broker(sim, sim->registry->controller);
        REQUIRE(c, ctl != NULL, "the controller is broker %d, which does not exist",
                sim->registry->controller);
        REQUIRE(c, ctl->registered, "the controller, broker %d, is not registered", ctl->id);
        REQUIRE(c, sim->registry->controller_epoch >= 1, "controller %d has epoch %d", ctl->id,
                sim->registry->controller_epoch);
    }
    if (controller_settled(sim)) {
        for (guint i = 0; i < n; i++) {
            const KsBroker *b = g_ptr_array_index(sim->brokers, i);
            REQUIRE(c, b->ctrl_live == b->registered,
                    "broker %d is %s in ZooKeeper but %s to the active controller", b->id,
                    b->registered ? "registered" : "not registered",
                    b->ctrl_live ? "live" : "dead");
        }
    }
    return true;
}

/* ---- logs and leader-epoch caches ---- */

static bool check_log(Check *c, const KsPartition *part, const KsReplica *r)
{
    const KsSim *sim = c->sim;
    const char *tn = part->topic->name;
    const GArray *runs = r->log.runs;
    const GArray *epochs = r->epochs;
    int64_t next = 0;
    int32_t prev_epoch = -1;
    guint e = 0; /* the cache entry that covers the current run */
    for (guint i = 0; i < runs->len; i++) {
        const KsLogRun *run = &g_array_index(runs, KsLogRun, i);
        REQUIRE(c, run->base == next && run->count > 0,
                "%s-%d on broker %d: run %u covers [%" PRId64 ", %" PRId64
                ") after offset %" PRId64,
                tn, part->index, r->broker->id, i, run->base, run->base + run->count, next);
        next += run->count;
        REQUIRE(c, run->epoch >= prev_epoch && run->epoch <= part->leader_epoch,
                "%s-%d on broker %d: offset %" PRId64 " has leader epoch %d after %d "
                "(partition epoch %d)",
                tn, part->index, r->broker->id, run->base, run->epoch, prev_epoch,
                part->leader_epoch);
        prev_epoch = run->epoch;
        REQUIRE(c, run->producer >= -1 && run->producer < (int32_t)sim->producers->len,
                "%s-%d on broker %d: run at %" PRId64 " names producer %d", tn, part->index,
                r->broker->id, run->base, run->producer);
        if (run->producer >= 0) {
            const KsProducer *p = g_ptr_array_index(sim->producers, run->producer);
            REQUIRE(c,
                    p->topic == part->topic && part->index < p->n_parts && run->first_seq >= 0 &&
                        run->first_seq + run->count <= p->parts[part->index].next_seq,
                    "%s-%d on broker %d: offset %" PRId64 " holds sequences [%" PRId64 ", %" PRId64
                    ") of producer %s, which never sent them",
                    tn, part->index, r->broker->id, run->base, run->first_seq,
                    run->first_seq + run->count, p->name);
        }
        /* The cache says which epoch each offset was written in: the entry
         * at or below the run's first offset has the run's epoch, and the
         * next entry starts at or after its end. */
        while (e + 1 < epochs->len && g_array_index(epochs, KsEpochEntry, e + 1).start <= run->base)
            e++;
        const KsEpochEntry *ent = epochs->len ? &g_array_index(epochs, KsEpochEntry, e) : NULL;
        REQUIRE(c, ent && ent->start <= run->base && ent->epoch == run->epoch,
                "%s-%d on broker %d: offset %" PRId64 " was written in leader epoch %d, but its "
                "epoch cache says %d",
                tn, part->index, r->broker->id, run->base, run->epoch,
                ent && ent->start <= run->base ? ent->epoch : -1);
        if (e + 1 < epochs->len) {
            const KsEpochEntry *after = &g_array_index(epochs, KsEpochEntry, e + 1);
            REQUIRE(c, after->start >= run->base + run->count,
                    "%s-%d on broker %d: epoch cache starts epoch %d at %" PRId64
                    ", inside the records [%" PRId64 ", %" PRId64 ") of epoch %d",
                    tn, part->index, r->broker->id, after->epoch, after->start, run->base,
                    run->base + run->count, run->epoch);
        }
    }
    REQUIRE(c, r->log.end == next, "%s-%d on broker %d: log end %" PRId64 ", runs sum to %" PRId64,
            tn, part->index, r->broker->id, r->log.end, next);
    REQUIRE(c, r->hw >= 0 && r->hw <= r->log.end,
            "%s-%d on broker %d: high watermark %" PRId64 " beyond log end %" PRId64, tn,
            part->index, r->broker->id, r->hw, r->log.end);
    for (guint i = 0; i < epochs->len; i++) {
        const KsEpochEntry *ent = &g_array_index(epochs, KsEpochEntry, i);
        REQUIRE(c, ent->epoch >= 0 && ent->epoch <= part->leader_epoch,
                "%s-%d on broker %d: epoch cache has epoch %d, partition epoch is %d", tn,
                part->index, r->broker->id, ent->epoch, part->leader_epoch);
        REQUIRE(c, ent->start >= 0 && ent->start <= r->log.end,
                "%s-%d on broker %d: epoch %d starts at %" PRId64 ", beyond log end %" PRId64, tn,
                part->index, r->broker->id, ent->epoch, ent->start, r->log.end);
        if (i > 0) {
            const KsEpochEntry *prev = &g_array_index(epochs, KsEpochEntry, i - 1);
            REQUIRE(
                c, prev->epoch < ent->epoch && prev->start < ent->start,
                "%s-%d on broker %d: epoch cache goes from (%d, %" PRId64 ") to (%d, %" PRId64 ")",
                tn, part->index, r->broker->id, prev->epoch, prev->start, ent->epoch, ent->start);
        }
    }
    return true;
}

/* The run of @log holding @offset, from index *@i on (a forward walk). */
static const KsLogRun *run_at(const KsLog *log, guint *i, int64_t offset)
{
    while (*i < log->runs->len) {
        const KsLogRun *run = &g_array_index(log->runs, KsLogRun, *i);
        if (offset < run->base + run->count)
            return run;
        (*i)++;
    }
    return NULL;
}

/* Whether @a and @b hold the same records (epoch, producer, sequence) on
 * [0, @limit); sets *@out_at to the first offset where they differ. */
static bool same_prefix(const KsLog *a, const KsLog *b, int64_t limit, int64_t *out_at)
{
    guint ia = 0, ib = 0;
    for (int64_t o = 0; o < limit;) {
        const KsLogRun *ra = run_at(a, &ia, o), *rb = run_at(b, &ib, o);
        if (!ra || !rb || ra->epoch != rb->epoch || ra->producer != rb->producer ||
            (ra->producer >= 0 &&
             ra->first_seq + (o - ra->base) != rb->first_seq + (o - rb->base))) {
            *out_at = o;
            return false;
        }
        o = MIN(limit, MIN(ra->base + ra->count, rb->base + rb->count));
    }
    return true;
}

/* ---- partitions ---- */

/* Whether a power loss has ever cut @r's log. */
static bool lost_to_power(const KsReplica *r)
{
    for (guint k = 0; r->truncations && k < r->truncations->len; k++)
        if (g_array_index(r->truncations, KsTruncation, k).power_loss)
            return true;
    return false;
}

/* Whether a power loss has ever cut a replica of @part's log. */
static bool power_cut(const KsPartition *part)
{
    for (int32_t i = 0; i < part->n_replicas; i++)
        if (lost_to_power(part->replicas[i]))
            return true;
    return false;
}

/* @w, an acks=all wait on @part, is the wait of one batch of its request. */
static bool check_wait_batch(Check *c, const KsPartition *part, const KsProduceWait *w)
{
    const KsProduceRequest *req = w->request;
    REQUIRE(c, w->batch < req->batches->len, "%s-%d: a wait names batch %u of %u",
            part->topic->name, part->index, w->batch, req->batches->len);
    const KsRequestBatch *rb = &g_array_index(req->batches, KsRequestBatch, w->batch);
    REQUIRE(c, rb->wait == w && rb->part == part && w->watch.op == &req->parked,
            "%s-%d: a wait is not its request batch's", part->topic->name, part->index);
    return true;
}

static bool check_replication(Check *c, const KsPartition *part)
{
    const char *tn = part->topic->name;
    const KsReplica *lr = part->leader_replica;
    if (!lr)
        return true;
    REQUIRE(c, lr->fetcher == NULL && !lr->must_truncate, "%s-%d: leader %d is still %s", tn,
            part->index, part->leader,
            lr->fetcher ? "in a fetch session as a follower" : "waiting to truncate");
    REQUIRE(c, ks_epochs_latest(lr->epochs) == part->leader_replica_epoch,
            "%s-%d: leader %d's epoch cache ends at epoch %d, it leads in %d", tn, part->index,
            lr->broker->id, ks_epochs_latest(lr->epochs), part->leader_replica_epoch);
    /* The committed prefix: every in-sync replica has the leader's records
     * below its high watermark (what acks=all promises). The ISR is the
     * controller's: it holds for a leader that acts in the controller's
     * current epoch (an unclean election names an ISR the old leader,
     * still acting until its LeaderAndIsr arrives, never had). */
    for (int32_t i = 0; part->leader_replica_epoch == part->leader_epoch && i < part->n_replicas;
         i++) {
        const KsReplica *r = part->replicas[i];
        /* A power loss may have taken what an in-sync replica had (until
         * the controller removes it): that is the promise a power loss
         * breaks, and the only one. */
        if (r == lr || !r->in_isr || r->power_cut || lr->power_cut)
            continue;
        REQUIRE(c, r->log.end >= lr->hw,
                "%s-%d: broker %d is in the ISR with log end %" PRId64
                ", below the leader's high watermark %" PRId64,
                tn, part->index, r->broker->id, r->log.end, lr->hw);
        /* A replica that lost records to a power loss and then led again
         * in the same epoch (its controller kept it leader: Kafka bumps no
         * epoch for a leader it finds alive) wrote other records at the
         * offsets its followers still hold in that epoch; leader epochs
         * cannot tell them apart, in Kafka as here, so the logs may differ
         * below the HW for good (docs/fidelity.md, "Power loss"). */
        if (lost_to_power(r) || lost_to_power(lr))
            continue;
        int64_t at;
        REQUIRE(c, same_prefix(&lr->log, &r->log, lr->hw, &at),
                "%s-%d: in-sync broker %d differs from leader %d at offset %" PRId64
                ", below the high watermark %" PRId64,
                tn, part->index, r->broker->id, part->leader, at, lr->hw);
    }
    /* acks=all writes wait at the leader, in the order of the offsets they
     * wait for, for a high watermark it has not reached. */
    const KsBroker *leader = lr->broker;
    int64_t prev = -1;
    for (GList *l = part->waits.head; l; l = l->next) {
        const KsProduceWait *w = l->data;
        const KsProduceRequest *req = w->request;
        REQUIRE(c,
                w->part == part && w->key == &part->waits && req->conn->broker == leader &&
                    leader->alive,
                "%s-%d: an acks=all write waits at broker %d, the leader is %d (%s)", tn,
                part->index, req->conn->broker->id, leader->id, leader->alive ? "up" : "down");
        int64_t need = w->watch.need;
        REQUIRE(c, need > lr->hw && need <= lr->log.end && need >= prev && w->watch.node == l,
                "%s-%d: an acks=all write waits for high watermark %" PRId64
                " (leader's is %" PRId64 ", log end %" PRId64 ", previous wait %" PRId64 ")",
                tn, part->index, need, lr->hw, lr->log.end, prev);
        prev = need;
        if (!check_wait_batch(c, part, w))
            return false;
    }
    return true;
}

/* acks=all writes parked at a zombie leader wait at a live broker that
 * acts as leader no more, for a high watermark its replica has not reached
 * (it never will: they time out, or fail when it is told). */
static bool check_zombie_waits(Check *c, const KsPartition *part)
{
    const char *tn = part->topic->name;
    for (GList *l = part->zombie_waits.head; l; l = l->next) {
        const KsProduceWait *w = l->data;
        const KsProduceRequest *req = w->request;
        const KsBroker *b = req->conn->broker;
        const KsReplica *r = find_replica(part, b->id);
        REQUIRE(c,
                w->part == part && w->key == &part->zombie_waits && w->watch.node == l &&
                    b->alive && r && r != part->leader_replica && w->watch.need > r->hw,
                "%s-%d: an acks=all write parked at zombie broker %d (%s) for high watermark "
                "%" PRId64 ", its replica's is %" PRId64,
                tn, part->index, b->id,
                !b->alive                   ? "down"
                : r == part->leader_replica ? "leader"
                                            : "up",
                w->watch.need, r ? r->hw : -1);
        if (!check_wait_batch(c, part, w))
            return false;
    }
    return true;
}

/* Rules about the controller's decisions, once it has seen every change. */
static bool check_controller_view(Check *c, const KsPartition *part)
{
    const KsSim *sim = c->sim;
    const char *tn = part->topic->name;
    if (part->leader != KS_NO_BROKER)
        REQUIRE(c, ks_sim_find_broker(sim, part->leader)->ctrl_live,
                "%s-%d: led by broker %d, which the controller knows is dead", tn, part->index,
                part->leader);
    if (part->isr->len > 1) {
        for (guint k = 0; k < part->isr->len; k++) {
            KsBrokerId id = g_array_index(part->isr, KsBrokerId, k);
            REQUIRE(c, ks_sim_find_broker(sim, id)->ctrl_live,
                    "%s-%d: ISR of %u keeps broker %d, which the controller knows is dead", tn,
                    part->index, part->isr->len, id);
        }
    }
    if (part->leader == KS_NO_BROKER) {
        for (int32_t i = 0; i < part->n_replicas; i++) {
            const KsReplica *r = part->replicas[i];
            bool could =
                eligible(sim, r->broker->id) &&
                (r->in_isr || ks_topic_config(sim, part->topic,
                                              ks_sim_find_broker(sim, sim->registry->controller),
                                              KS_CFG_UNCLEAN_LEADER_ELECTION_ENABLE));
            REQUIRE(c, !could, "%s-%d: offline although broker %d, %s, could lead", tn, part->index,
                    r->broker->id, r->in_isr ? "in the ISR" : "an unclean choice");
        }
    }
    /* A broker's view lags the controller's (LeaderAndIsr travels) but is
     * never ahead of it: epochs never go back. */
    for (int32_t i = 0; i < part->n_replicas; i++) {
        const KsReplica *r = part->replicas[i];
        REQUIRE(c, r->known_epoch <= part->leader_epoch,
                "%s-%d: broker %d knows leader epoch %d, the controller wrote %d", tn, part->index,
                r->broker->id, r->known_epoch, part->leader_epoch);
    }
    return true;
}

static bool check_partition(Check *c, const KsTopic *t, int32_t p)
{
    const KsSim *sim = c->sim;
    const KsPartition *part = t->partitions[p];
    const char *tn = t->name;
    REQUIRE(c, part->topic == t && part->index == p && part->n_replicas >= 1,
            "%s-%d: wrong topic, index or replica count", tn, p);
    for (int32_t i = 0; i < part->n_replicas; i++) {
        const KsReplica *r = part->replicas[i];
        REQUIRE(c, r->part == part && r->broker == ks_sim_find_broker(sim, r->broker->id),
                "%s-%d: replica %d is not this partition's", tn, p, i);
        for (int32_t j = 0; j < i; j++)
            REQUIRE(c, part->replicas[j]->broker != r->broker,
                    "%s-%d: broker %d holds two of its replicas", tn, p, r->broker->id);
        if (r->fetcher) {
            const KsFetcher *f = r->fetcher;
            REQUIRE(c,
                    r->fetcher_slot >= 0 && (guint)r->fetcher_slot < f->replicas->len &&
                        g_ptr_array_index(f->replicas, r->fetcher_slot) == r,
                    "%s-%d: broker %d's replica says slot %d of its session to %d, which holds "
                    "something else",
                    tn, p, r->broker->id, r->fetcher_slot, f->leader->id);
        } else {
            REQUIRE(c, !r->dirty, "%s-%d: broker %d's replica is dirty outside any session", tn, p,
                    r->broker->id);
        }
        if (!check_log(c, part, r))
            return false;
    }
    if (!t->created) {
        REQUIRE(c, part->leader == KS_NO_BROKER && part->isr->len == 0,
                "%s-%d has a leader or an ISR before its topic exists", tn, p);
        return true;
    }

    /* While it is reassigned, its replicas hold the original and the target
     * ones (RS = TRS + ORS), target first. */
    guint n_target = 0;
    const KsBrokerId *target = ks_reassign_target(sim, part, &n_target);
    for (guint k = 0; k < n_target; k++)
        REQUIRE(c, (int32_t)k < part->n_replicas && part->replicas[k]->broker->id == target[k],
                "%s-%d is being reassigned to broker %d as replica %u, which it does not have", tn,
                p, target[k], k);

    /* The ISR: a non-empty subset of the replicas, without repeats, and the
     * replicas' flags say the same. */
    REQUIRE(c, part->isr->len >= 1, "%s-%d: the ISR is empty", tn, p);
    guint flagged = 0;
    for (int32_t i = 0; i < part->n_replicas; i++)
        flagged += part->replicas[i]->in_isr;
    REQUIRE(c, flagged == part->isr->len, "%s-%d: the ISR has %u members, %u replicas say so", tn,
            p, part->isr->len, flagged);
    for (guint k = 0; k < part->isr->len; k++) {
        KsBrokerId id = g_array_index(part->isr, KsBrokerId, k);
        const KsReplica *r = find_replica(part, id);
        REQUIRE(c, r != NULL, "%s-%d: ISR member %d is not a replica", tn, p, id);
        REQUIRE(c, r->in_isr, "%s-%d: ISR member %d's replica says it is not in the ISR", tn, p,
                id);
        for (guint j = 0; j < k; j++)
            REQUIRE(c, g_array_index(part->isr, KsBrokerId, j) != id,
                    "%s-%d: broker %d is in the ISR twice", tn, p, id);
    }

    /* The leader. */
    REQUIRE(c, part->leader_epoch >= 0, "%s-%d: leader epoch %d", tn, p, part->leader_epoch);
    if (part->leader == KS_NO_BROKER) {
        REQUIRE(c, part->leader_replica == NULL, "%s-%d: no leader, yet a leader replica", tn, p);
        REQUIRE(c, g_queue_is_empty((GQueue *)&part->waits),
                "%s-%d: no leader, yet writes wait on it", tn, p);
    } else {
        const KsReplica *lr = find_replica(part, part->leader);
        REQUIRE(c, lr != NULL, "%s-%d: leader %d is not a replica", tn, p, part->leader);
        REQUIRE(c, lr->in_isr, "%s-%d: leader %d is not in the ISR", tn, p, part->leader);
    }
    /* The replica acting as leader: one of the partition's, leading in an
     * epoch the controller wrote; in the current one, the controller's
     * leader. */
    const KsReplica *acting = part->leader_replica;
    if (acting) {
        REQUIRE(c, find_replica(part, acting->broker->id) == acting,
                "%s-%d: the acting leader is not one of its replicas", tn, p);
        REQUIRE(c, part->leader_replica_epoch <= part->leader_epoch,
                "%s-%d: broker %d leads in epoch %d, the controller wrote %d", tn, p,
                acting->broker->id, part->leader_replica_epoch, part->leader_epoch);
        REQUIRE(c,
                part->leader_replica_epoch < part->leader_epoch ||
                    acting->broker->id == part->leader,
                "%s-%d: broker %d acts as leader in epoch %d, which the controller gave to %d", tn,
                p, acting->broker->id, part->leader_epoch, part->leader);
    }
    if (!check_replication(c, part) || !check_zombie_waits(c, part))
        return false;
    if (controller_settled(sim) && !check_controller_view(c, part))
        return false;

    /* Unavailability accounting follows the leader's state. */
    bool available = ks_partition_available(sim, part);
    REQUIRE(c, (part->unavailable_since < 0) == available,
            "%s-%d is %s but its unavailability interval is %s", tn, p,
            available ? "available" : "unavailable",
            part->unavailable_since < 0 ? "closed" : "open");
    REQUIRE(c, part->unavailable_since <= c->now && part->unavailable_us >= 0,
            "%s-%d: unavailable since %" PRId64 "us, %" PRId64 "us so far", tn, p,
            part->unavailable_since, part->unavailable_us);
    return true;
}

static bool check_topics(Check *c)
{
    const KsSim *sim = c->sim;
    guint hosted = 0, replicas = 0;
    for (guint i = 0; i < sim->brokers->len; i++)
        hosted += ((const KsBroker *)g_ptr_array_index(sim->brokers, i))->replicas->len;
    for (guint i = 0; i < sim->topics->len; i++) {
        const KsTopic *t = g_ptr_array_index(sim->topics, i);
        REQUIRE(c, t->index == (int)i, "topic %s has index %d at position %u", t->name, t->index,
                i);
        for (int32_t p = 0; p < t->n_partitions; p++) {
            if (!check_partition(c, t, p))
                return false;
            replicas += (guint)t->partitions[p]->n_replicas;
        }
    }
    REQUIRE(c, hosted == replicas, "brokers host %u replicas, partitions have %u", hosted,
            replicas);
    return true;
}

/* ---- producers ---- */

static bool check_requests(Check *c, const KsProducer *p, const KsConnection *conn,
                           GHashTable *queued, GHashTable *sent, guint *n_waits)
{
    const char *pn = p->name;
    guint n_requests = g_queue_get_length((GQueue *)&conn->requests);
    /* Metadata requests (no batches) expect an answer whatever acks is. */
    guint n_metadata = 0;
    for (GList *l = conn->requests.head; l; l = l->next)
        n_metadata += ((const KsProduceRequest *)l->data)->batches->len == 0;
    if (p->acks != 0)
        REQUIRE(c, conn->in_flight == (int)n_requests,
                "producer %s: %d requests in flight to broker %d, %u outstanding", pn,
                conn->in_flight, conn->broker->id, n_requests);
    else
        REQUIRE(c, conn->in_flight == (int)n_metadata,
                "producer %s (acks=0) counts %d requests in flight, %u Metadata", pn,
                conn->in_flight, n_metadata);
    REQUIRE(c, conn->drain->len == 0, "producer %s: a request to broker %d is half built", pn,
            conn->broker->id);
    guint n_parked = 0;
    for (GList *l = conn->requests.head; l; l = l->next) {
        const KsProduceRequest *req = l->data;
        REQUIRE(c, req->conn == conn && !req->serving,
                "producer %s: a request on the connection to %d is not its own, or still served",
                pn, conn->broker->id);
        int pending = 0;
        for (guint i = 0; i < req->batches->len; i++) {
            const KsRequestBatch *rb = &g_array_index(req->batches, KsRequestBatch, i);
            REQUIRE(c,
                    rb->part && rb->part->topic == p->topic &&
                        rb->part == p->topic->partitions[rb->part->index] && rb->count > 0,
                    "producer %s: a request holds %" PRId64 " records for a partition not its own",
                    pn, rb->count);
            if (rb->wait) {
                pending++;
                REQUIRE(c, rb->wait->request == req && rb->wait->batch == i,
                        "producer %s: a request batch's wait points elsewhere", pn);
            }
            if (p->acks == 0) {
                REQUIRE(c, rb->batch == NULL, "producer %s: an acks=0 request keeps its batch", pn);
                continue;
            }
            const KsProducerBatch *batch = rb->batch;
            if (!batch)
                continue; /* given up by delivery.timeout.ms while in flight */
            REQUIRE(c, g_hash_table_contains(queued, batch) && batch->in_flight,
                    "producer %s: a request to %d carries a batch of %s-%d that is %s", pn,
                    conn->broker->id, p->topic->name, rb->part->index,
                    !g_hash_table_contains(queued, batch) ? "no longer queued" : "not in flight");
            REQUIRE(c, g_hash_table_add(sent, (gpointer)batch),
                    "producer %s: one batch of %s-%d is in two requests", pn, p->topic->name,
                    rb->part->index);
            REQUIRE(c,
                    batch->partition == rb->part->index && batch->first_seq == rb->first_seq &&
                        batch->count == rb->count,
                    "producer %s: a request's copy of a batch of %s-%d differs from the batch", pn,
                    p->topic->name, rb->part->index);
        }
        *n_waits += (guint)pending;
        REQUIRE(c, req->pending == pending,
                "producer %s: a request counts %d waiting batches, %d wait", pn, req->pending,
                pending);
        n_parked += pending > 0;
    }
    const GQueue *parked = &conn->parked.ops;
    REQUIRE(c, parked->length == n_parked,
            "producer %s: %u requests wait at broker %d, %u are parked", pn, n_parked,
            conn->broker->id, parked->length);
    KsTime prev = -1;
    for (GList *l = parked->head; l; l = l->next) {
        const KsDelayed *op = l->data;
        const KsProduceRequest *req =
            (const KsProduceRequest *)((const char *)op - offsetof(KsProduceRequest, parked));
        REQUIRE(c,
                req->pending > 0 && req->conn == conn && op->deadline >= prev &&
                    op->timeouts == &conn->parked && &op->link == l,
                "producer %s: the purgatory of broker %d is out of order", pn, conn->broker->id);
        prev = op->deadline;
    }
    const KsDelayed *head = parked->head ? parked->head->data : NULL;
    const KsTimer *timer = &conn->parked.timer;
    REQUIRE(c, ks_timer_is_armed(timer) == (head != NULL),
            "producer %s: the purgatory timer at broker %d is %s with %u parked requests", pn,
            conn->broker->id, ks_timer_is_armed(timer) ? "armed" : "idle", n_parked);
    if (head)
        REQUIRE(c, ks_timer_deadline(timer) == head->deadline,
                "producer %s: the purgatory timer at broker %d is not the oldest request's "
                "deadline",
                pn, conn->broker->id);
    return true;
}

static bool check_producer(Check *c, const KsProducer *p, guint index, int64_t *buffered,
                           guint *n_waits)
{
    const KsSim *sim = c->sim;
    const char *pn = p->name;
    int32_t np = p->n_parts; /* its metadata may not have the latest partitions yet */
    REQUIRE(c, np <= p->topic->n_partitions, "producer %s knows %d partitions of %s, which has %d",
            p->name, np, p->topic->name, p->topic->n_partitions);
    REQUIRE(c, p->index == (int)index && p->sim == sim, "producer %s: index %d at position %u", pn,
            p->index, index);
    g_autoptr(GHashTable) queued = g_hash_table_new(g_direct_hash, g_direct_equal);
    g_autoptr(GHashTable) sent = g_hash_table_new(g_direct_hash, g_direct_equal);
    guint active = 0, in_flight = 0;
    int32_t retrying = 0;
    g_autofree int32_t *leads = g_new0(int32_t, sim->broker_slots->len);
    for (int32_t i = 0; i < np; i++) {
        const KsProducerPartition *pp = &p->parts[i];
        guint len = g_queue_get_length((GQueue *)&pp->batches);
        REQUIRE(c, p->queue_sizes[i] == (int32_t)len,
                "producer %s: queue size of %s-%d is %d, it holds %u batches", pn, p->topic->name,
                i, p->queue_sizes[i], len);
        if (len == 0) {
            REQUIRE(c, pp->active_slot == -1, "producer %s: %s-%d is active with no batch", pn,
                    p->topic->name, i);
        } else {
            active++;
            REQUIRE(c,
                    pp->active_slot >= 0 && (guint)pp->active_slot < p->active->len &&
                        g_array_index(p->active, int32_t, pp->active_slot) == i,
                    "producer %s: %s-%d has batches but is not in the active set", pn,
                    p->topic->name, i);
        }
        /* Batches in creation order: sequences increase without overlap,
         * and so do the arrival times of their first records (retries keep
         * their place; expire_batches relies on the order). */
        int64_t seq_end = 0;
        KsTime created = 0;
        int unsent = 0;
        for (GList *l = pp->batches.head; l; l = l->next) {
            const KsProducerBatch *b = l->data;
            REQUIRE(c, b->partition == i && b->count > 0 && b->count <= p->batch_records,
                    "producer %s: a batch of %" PRId64 " records for %d is queued on %s-%d", pn,
                    b->count, b->partition, p->topic->name, i);
            REQUIRE(c, b->first_seq >= seq_end,
                    "producer %s: %s-%d's batches are out of order (sequence %" PRId64
                    " after %" PRId64 ")",
                    pn, p->topic->name, i, b->first_seq, seq_end);
            seq_end = b->first_seq + b->count;
            REQUIRE(c, b->created >= created,
                    "producer %s: %s-%d's batch of sequence %" PRId64 " was created at %" PRId64
                    "us, before the batch ahead of it (%" PRId64 "us)",
                    pn, p->topic->name, i, b->first_seq, b->created, created);
            created = b->created;
            REQUIRE(c, !b->in_flight || b->attempts >= 1,
                    "producer %s: a batch of %s-%d is in flight without an attempt", pn,
                    p->topic->name, i);
            in_flight += b->in_flight;
            unsent += !b->in_flight;
            retrying += !b->in_flight && b->attempts > 0;
            *buffered += b->count;
            g_hash_table_add(queued, l->data);
        }
        REQUIRE(c, seq_end <= pp->next_seq,
                "producer %s: %s-%d has a batch beyond its next sequence %" PRId64, pn,
                p->topic->name, i, pp->next_seq);
        /* The drain and the wake timer visit only partitions whose bit in
         * the active set says a batch is not in flight. */
        REQUIRE(c,
                pp->unsent == unsent && (len == 0 || (ks_producer_next_unsent(p, pp->active_slot) ==
                                                      pp->active_slot) == (unsent > 0)),
                "producer %s: %s-%d has %d batches not in flight, counted %d (or its bit is "
                "wrong)",
                pn, p->topic->name, i, unsent, pp->unsent);
        const GArray *acked =
            ks_ledger_find_acked(sim->ledger, (int)index, p->topic->partitions[i]);
        for (guint k = 0; acked && k < acked->len; k++) {
            const KsSeqRange *a = &g_array_index(acked, KsSeqRange, k);
            REQUIRE(c, a->first >= 0 && a->count > 0 && a->first + a->count <= pp->next_seq,
                    "producer %s: %s-%d acknowledged [%" PRId64 ", %" PRId64 "), never sent", pn,
                    p->topic->name, i, a->first, a->first + a->count);
        }
        /* Metadata: leader, connection and availability agree. */
        if (pp->leader == KS_NO_BROKER) {
            REQUIRE(c, pp->conn == NULL && !p->available[i],
                    "producer %s: %s-%d has no leader but a connection or availability", pn,
                    p->topic->name, i);
        } else {
            const KsBroker *lb = ks_sim_find_broker(sim, pp->leader);
            REQUIRE(c,
                    lb && (guint)lb->slot < p->conns->len &&
                        pp->conn == g_ptr_array_index(p->conns, lb->slot) && p->available[i],
                    "producer %s: %s-%d's connection is not to its leader %d", pn, p->topic->name,
                    i, pp->leader);
            leads[lb->slot]++;
        }
    }
    REQUIRE(c, active == p->active->len, "producer %s: %u partitions have batches, %u are active",
            pn, active, p->active->len);
    /* The round-robin list holds the available partitions, in order. */
    int32_t listed = 0;
    for (int32_t i = 0; i < p->n_parts; i++) {
        if (!p->available[i])
            continue;
        REQUIRE(c, listed < p->n_avail && p->avail_list[listed] == i,
                "producer %s: %s-%d is available but not next in its round-robin list", pn,
                p->topic->name, i);
        listed++;
    }
    REQUIRE(c, listed == p->n_avail, "producer %s: %d partitions available, %d listed", pn, listed,
            p->n_avail);
    guint n_sent = 0;
    int32_t troubled = 0;
    for (guint i = 0; i < p->conns->len; i++) {
        const KsConnection *conn = g_ptr_array_index(p->conns, i);
        if (!conn)
            continue;
        REQUIRE(c, conn->producer == p && conn->broker->slot == (int)i,
                "producer %s: connection %u is not to the broker in slot %u", pn, i, i);
        REQUIRE(c, conn->troubled == (conn->failures > 0 || conn->connecting_until > 0),
                "producer %s: connection to %d has %d failures, connecting until %" PRId64
                ", troubled %d",
                pn, conn->broker->id, conn->failures, conn->connecting_until, conn->troubled);
        troubled += conn->troubled;
        REQUIRE(c, conn->in_flight >= 0 && conn->failures >= 0,
                "producer %s: connection to %d has %d in flight, %d failures", pn, conn->broker->id,
                conn->in_flight, conn->failures);
        if (p->acks != 0)
            REQUIRE(c, conn->in_flight <= p->max_in_flight,
                    "producer %s: %d requests in flight to broker %d, the limit is %" PRId64, pn,
                    conn->in_flight, conn->broker->id, p->max_in_flight);
        REQUIRE(c, conn->leads == leads[i],
                "producer %s: connection to %d leads %d partitions, metadata says %d", pn,
                conn->broker->id, conn->leads, leads[i]);
        if (!check_requests(c, p, conn, queued, sent, n_waits))
            return false;
    }
    REQUIRE(c, troubled == p->troubled, "producer %s: %d connections in trouble, counted %d", pn,
            troubled, p->troubled);
    REQUIRE(c, retrying == p->retrying, "producer %s: %d batches wait for a retry, counted %d", pn,
            retrying, p->retrying);
    n_sent = g_hash_table_size(sent);
    REQUIRE(c, p->acks == 0 || n_sent == in_flight,
            "producer %s: %u batches are in flight, requests carry %u", pn, in_flight, n_sent);
    return true;
}

static bool check_producers(Check *c)
{
    const KsSim *sim = c->sim;
    int64_t buffered = 0;
    guint n_waits = 0, partition_waits = 0;
    for (guint i = 0; i < sim->producers->len; i++)
        if (!check_producer(c, g_ptr_array_index(sim->producers, i), i, &buffered, &n_waits))
            return false;
    for (guint i = 0; i < sim->topics->len; i++) {
        const KsTopic *t = g_ptr_array_index(sim->topics, i);
        for (int32_t p = 0; p < t->n_partitions; p++)
            partition_waits += g_queue_get_length((GQueue *)&t->partitions[p]->waits) +
                               g_queue_get_length((GQueue *)&t->partitions[p]->zombie_waits);
    }
    REQUIRE(c, n_waits == partition_waits, "requests hold %u acks=all waits, partitions %u",
            n_waits, partition_waits);
    const KsLedgerCounts *s = ks_ledger_total(sim->ledger);
    REQUIRE(c, s->pending == buffered && s->produced == s->pending + s->acked + s->refused,
            "%" PRId64 " records produced, but %" PRId64 " acknowledged + %" PRId64
            " refused + %" PRId64 " pending, and the producers buffer %" PRId64,
            s->produced, s->acked, s->refused, s->pending, buffered);
    return true;
}

/* The ledger keeps lost records as they are lost: its count must be the
 * one counted from scratch, partition by partition. */
static bool check_ledger(Check *c)
{
    const KsSim *sim = c->sim;
    int64_t total = 0;
    for (guint i = 0; i < sim->topics->len; i++) {
        const KsTopic *t = g_ptr_array_index(sim->topics, i);
        for (int32_t p = 0; p < t->n_partitions; p++) {
            const KsPartition *part = t->partitions[p];
            KsLedgerCounts counts = ks_ledger_partition_counts(sim->ledger, part);
            int64_t kept = counts.lost;
            int64_t recounted = ks_ledger_recount_lost(sim, part);
            REQUIRE(c, kept == recounted,
                    "%s-%d: the ledger has %" PRId64 " records lost, counted afresh %" PRId64,
                    t->name, p, kept, recounted);
            int64_t by_cause = 0;
            for (int k = 0; k < KS_LOSS_N_CAUSES; k++) {
                REQUIRE(c, counts.lost_by[k] >= 0, "%s-%d: %" PRId64 " records lost by %s", t->name,
                        p, counts.lost_by[k], ks_loss_cause_name(k));
                by_cause += counts.lost_by[k];
            }
            REQUIRE(c, by_cause == kept,
                    "%s-%d: %" PRId64 " records lost, but its causes add up to %" PRId64, t->name,
                    p, kept, by_cause);
            total += kept;
        }
    }
    REQUIRE(c, total == ks_ledger_total(sim->ledger)->lost,
            "the ledger's partitions have %" PRId64 " records lost, its total %" PRId64, total,
            ks_ledger_total(sim->ledger)->lost);
    return true;
}

/* Consumer groups: one owner per partition in a Stable generation, both as
 * the coordinator stored it and as the running members hold it; a
 * position never behind the records its consumer is processing; a
 * committed offset never past the partition's log (the leader's LEO: a new
 * leader's HW may lag its predecessor's for a moment, its log may not)
 * unless an unclean election may have cut it; every record a consumer
 * processed counted once by its group's ledger, the ledger's per-partition
 * counts adding up (consumed = distinct offsets + duplicated). */
static bool check_groups(Check *c)
{
    const KsSim *sim = c->sim;
    for (guint i = 0; i < sim->groups->len; i++) {
        const KsGroup *g = g_ptr_array_index(sim->groups, i);
        g_autoptr(GHashTable) owned = g_hash_table_new(NULL, NULL);
        for (guint k = 0; g->state == KS_GROUP_STABLE && k < g->members->len; k++) {
            const KsGroupMember *m = g_ptr_array_index(g->members, k);
            for (guint j = 0; j < m->assignment->len; j++) {
                KsPartition *part = g_ptr_array_index(m->assignment, j);
                REQUIRE(c, g_hash_table_add(owned, part),
                        "group %s generation %d gives %s-%d to two members", g->name, g->generation,
                        part->topic->name, part->index);
            }
        }
        int64_t by_members = 0;
        g_autoptr(GHashTable) held =
            g_hash_table_new_full(g_int64_hash, g_int64_equal, g_free, NULL);
        for (guint k = 0; k < sim->consumers->len; k++) {
            const KsConsumer *con = g_ptr_array_index(sim->consumers, k);
            if (con->group != g)
                continue;
            by_members += con->records_consumed;
            if (!con->running || con->generation < 0)
                continue;
            for (guint j = 0; j < con->assigned->len; j++) {
                const KsConsumerPart *cp = &g_array_index(con->assigned, KsConsumerPart, j);
                int64_t *key = g_new(int64_t, 1);
                *key = (int64_t)con->generation << 32 | (uint32_t)cp->part->id;
                REQUIRE(c, g_hash_table_add(held, key),
                        "%s-%d is held by two members of %s in generation %d",
                        cp->part->topic->name, cp->part->index, g->name, con->generation);
            }
            for (guint j = 0; con->app == KS_APP_PROCESSING && j < con->batch->len; j++) {
                const KsConsumerRange *r = &g_array_index(con->batch, KsConsumerRange, j);
                const KsConsumerPart *cp = ks_consumer_part((KsConsumer *)con, r->part);
                REQUIRE(c, !cp || cp->position >= r->first + r->count,
                        "%s's position on %s-%d is %" PRId64 ", behind the records it processes "
                        "(to %" PRId64 ")",
                        con->name, r->part->topic->name, r->part->index, cp->position,
                        r->first + r->count);
            }
        }
        REQUIRE(c, by_members == ks_ledger_group_consumed(g),
                "the members of %s processed %" PRId64 " records, its ledger counts %" PRId64,
                g->name, by_members, ks_ledger_group_consumed(g));
        for (guint k = 0; k < g->parts->len; k++) {
            const KsGroupPart *gp = g_ptr_array_index(g->parts, k);
            int64_t distinct = 0;
            for (guint j = 0; j < gp->processed->len; j++)
                distinct += g_array_index(gp->processed, KsOffsetRange, j).count;
            REQUIRE(c, gp->consumed == distinct + gp->duplicated,
                    "%s on %s-%d: %" PRId64 " consumed, %" PRId64 " distinct, %" PRId64
                    " duplicated",
                    g->name, gp->part->topic->name, gp->part->index, gp->consumed, distinct,
                    gp->duplicated);
            const KsReplica *lr = gp->part->leader_replica;
            int64_t committed = ks_group_committed(sim, g, gp->part);
            REQUIRE(c,
                    !lr || gp->part->topic->unclean_election || power_cut(gp->part) ||
                        committed <= lr->log.end,
                    "%s's committed offset of %s-%d is %" PRId64 ", past the log end %" PRId64,
                    g->name, gp->part->topic->name, gp->part->index, committed,
                    lr ? lr->log.end : -1);
        }
    }
    return true;
}

bool ks_sim_check_invariants(const KsSim *sim, GError **error)
{
    g_return_val_if_fail(sim != NULL, false);
    g_return_val_if_fail(error == NULL || *error == NULL, false);
    Check c = {.sim = sim, .now = ks_engine_now(sim->engine), .error = error};
    return check_brokers(&c) && check_topics(&c) && check_producers(&c) && check_ledger(&c) &&
           check_groups(&c);
}
