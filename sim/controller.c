/* SPDX-License-Identifier: MIT */
/*
 * controller.c - the decisions of the ZooKeeper-era controller
 * (KafkaController.scala, ZkPartitionStateMachine, ZkReplicaStateMachine,
 * Election.scala).
 *
 * The controller acts on its own view of which brokers are live
 * (controllerContext.liveBrokers, KsBroker.ctrl_live here): it learns of
 * registrations and expired sessions through ZooKeeper (registry.c), and a
 * controller whose process is dead acts on nothing until its own session
 * expires and a successor fails over.
 *
 *  - New partition: leader = first live replica in assignment order, ISR =
 *    every live replica in assignment order, leader epoch 0.
 *  - Broker change (processBrokerChange): brokers that appeared are started
 *    up first, then brokers that disappeared are failed, all of them in one
 *    go, so two sessions expiring together never elect one of each other.
 *  - Broker failure (onBrokerFailure -> onReplicasBecomeOffline):
 *    1. every partition whose leader is dead goes offline and the offline
 *       election runs: the first replica, in ASSIGNMENT order, that is live
 *       and in the ISR leads; the ISR loses the dead brokers; the leader
 *       epoch goes up by one. With no live ISR member the partition stays
 *       offline, unless unclean.leader.election.enable lets the first live
 *       replica lead with an ISR of itself. That config is read as the
 *       controller reads it: the topic's own, else the controller broker's
 *       line, else `set` (ZkPartitionStateMachine with getLogConfigs over
 *       the controller's config.originals()).
 *    2. each dead broker, in id order, leaves the ISR of every partition
 *       that still lists it (doRemoveReplicasFromIsr): epoch + 1; an ISR of
 *       one is left as it is, and if that one was the leader the partition
 *       has no leader ("Leader: none, Isr: 2").
 *  - Broker startup: its replicas follow the current leaders; every offline
 *    partition is elected again, so the last ISR member leads on return.
 *  - Failover (onControllerFailover): the replica state machine starts
 *    first (dead replicas leave the ISRs, as in 2), then the partition state
 *    machine elects every partition without a live leader (as in 1). A
 *    partition the dead controller led therefore goes through two epochs.
 *  - Controlled shutdown (doControlledShutdown): the partitions the broker
 *    leads move to the first live ISR member not shutting down, those it
 *    follows drop it from their ISR; it is answered with the partitions it
 *    still leads among those with more than one replica
 *    (ControllerContext.partitionLeadersOnBroker), so a single-replica
 *    partition never holds the shutdown back.
 *  - Auto leader rebalance (checkAndTriggerAutoLeaderRebalance): 5 s after
 *    failover, then every leader.imbalance.check.interval.seconds, for each
 *    broker, if more than leader.imbalance.per.broker.percentage of the
 *    partitions it is preferred for are led by someone else, those whose
 *    preferred replica is live and in the ISR get it back as leader.
 *
 *  - AlterPartition (processAlterPartition): a leader's proposal to shrink
 *    or expand the ISR is refused if this broker is no longer the
 *    controller, if the leader no longer leads in the epoch it sent
 *    (FENCED_LEADER_EPOCH), or if a replica it adds is not live
 *    (INELIGIBLE_REPLICA); else the ISR is written (the leader epoch stays),
 *    UpdateMetadata goes out, and the answer travels back.
 *
 * What the controller decides is written at once (ZooKeeper and its own
 * context: the partition's leader, epoch and ISR); the brokers learn it by
 * request (ControllerChannelManager). Each controller event ends with one
 * LeaderAndIsr per broker it concerns (StopReplica rides in it), then
 * UpdateMetadata to every live broker; each broker has one queue and one
 * request in flight (RequestSendThread sends one and waits for its answer)
 * through net.c, so a broker learns a decision one trip later, and later
 * still when requests queue. A broker that dies loses its queue when the
 * controller learns it; a request that finds its broker down is dropped
 * (Kafka retries every 100 ms until then; a returning broker is sent its
 * whole state anyway); a new controller starts with empty queues and sends
 * every live broker its whole state. UpdateMetadata fills the broker's
 * metadata cache (metadata.c), which answers clients' Metadata and
 * FindCoordinator requests.
 *
 * Cost: a decision costs one queued item per replica on a live broker; a
 * request, two messages per broker per controller event, plus
 * UpdateMetadata's two per live broker.
 */
#include "controller-private.h"
#include "zk-ensemble.h"
#include "actions-private.h"
#include "broker-private.h"
#include "registry-private.h"
#include "metadata-private.h"
#include "ledger.h"
#include "reassign.h"
#include "model.h"

#include <string.h>

/* controllerContext.isReplicaOnline: live, and not shutting down. */
static bool is_live(KsSim *sim, KsBrokerId id)
{
    const KsBroker *b = ks_sim_find_broker(sim, id);
    return b && b->ctrl_live && !b->shutting_down;
}

static bool controller_active(KsSim *sim)
{
    const KsBroker *c = ks_sim_find_broker(sim, sim->registry->controller);
    return c && c->alive;
}

/* ---- the channel to each broker (ControllerChannelManager) ---- */

/* One partition of a LeaderAndIsr request: @leader leads @part in @epoch
 * (KS_NO_BROKER: the replica stops, as StopReplica tells it). */
typedef struct {
    KsPartition *part;
    KsBrokerId leader;
    int32_t epoch;
} LeaderAndIsrItem;

typedef struct {
    KsNetKind kind;   /* KS_NET_LEADER_AND_ISR or KS_NET_UPDATE_METADATA */
    GArray *items;    /* of LeaderAndIsrItem; NULL for UpdateMetadata */
    uint64_t version; /* UpdateMetadata: the metadata it carries (metadata.c) */
} ControllerRequest;

/* The requests waiting for one broker and the one in flight at its head
 * (RequestSendThread sends one and blocks for its answer). */
struct KsControllerQueue {
    KsBroker *broker;
    GArray *building; /* of LeaderAndIsrItem: the batch of the controller event running */
    GQueue requests;  /* of ControllerRequest*; the head is in flight when busy */
    bool busy;
    uint64_t gen; /* +1 when the queue is dropped: answers to older sends are stale */
};

static void request_free(ControllerRequest *req)
{
    if (req->items)
        g_array_free(req->items, TRUE);
    g_free(req);
}

void ks_controller_queue_free(KsControllerQueue *q)
{
    if (!q)
        return;
    g_array_free(q->building, TRUE);
    g_queue_clear_full(&q->requests, (GDestroyNotify)request_free);
    g_free(q);
}

static KsControllerQueue *queue_of(KsBroker *b)
{
    if (!b->ctrl_queue) {
        b->ctrl_queue = g_new0(KsControllerQueue, 1);
        b->ctrl_queue->broker = b;
        b->ctrl_queue->building = g_array_new(FALSE, FALSE, sizeof(LeaderAndIsrItem));
        g_queue_init(&b->ctrl_queue->requests);
    }
    return b->ctrl_queue;
}

/* ControllerChannelManager.removeBroker, and a new controller's empty
 * channel: what was queued is forgotten, answers in flight are stale. */
static void queue_drop(KsBroker *b)
{
    KsControllerQueue *q = b->ctrl_queue;
    if (!q)
        return;
    g_array_set_size(q->building, 0);
    g_queue_clear_full(&q->requests, (GDestroyNotify)request_free);
    g_queue_init(&q->requests);
    q->busy = false;
    q->gen++;
}

static KsBroker *active_controller(KsSim *sim)
{
    KsBroker *c = ks_sim_find_broker(sim, sim->registry->controller);
    return c && c->alive ? c : NULL;
}

static void request_arrives(KsSim *sim, void *ctx, uint64_t gen, bool delivered);

/* RequestSendThread.doWork: sends the head request if none is in flight. */
static void queue_kick(KsSim *sim, KsControllerQueue *q)
{
    KsBroker *c = active_controller(sim);
    if (q->busy || g_queue_is_empty(&q->requests) || !c)
        return;
    const ControllerRequest *req = g_queue_peek_head(&q->requests);
    q->busy = true;
    ks_net_send(sim, &c->ep, &q->broker->ep, req->kind, request_arrives, q, q->gen);
}

static void queue_next(KsSim *sim, KsControllerQueue *q)
{
    request_free(g_queue_pop_head(&q->requests));
    q->busy = false;
    queue_kick(sim, q);
}

/* controller.socket.timeout.ms (30 s; KafkaConfig): the RequestSendThread
 * waits that long for an answer, then reconnects and sends the request
 * again. */
#define CONTROLLER_SOCKET_TIMEOUT (30000 * KS_TIME_MS)

static void resend(KsEngine *engine, void *ctx, uint64_t gen)
{
    KsControllerQueue *q = ctx;
    KsBroker *b = q->broker;
    if (gen != q->gen || !q->busy)
        return;
    KsEvent ev = ks_event_init(KS_EV_REQUEST_TIMED_OUT, ks_engine_now(engine));
    g_autofree char *from = g_strdup_printf("controller (broker %d)", b->sim->registry->controller);
    ev.request_timeout.from = from;
    ev.request_timeout.to = b->id;
    ev.request_timeout.api = "LeaderAndIsr/UpdateMetadata";
    ev.request_timeout.timeout_us = CONTROLLER_SOCKET_TIMEOUT;
    ks_sim_emit(b->sim, &ev);
    q->busy = false;
    queue_kick(b->sim, q);
}

/* A request or its answer lost on the way (a cut): the controller hears
 * nothing until its timeout. */
static void lost_on_the_way(KsSim *sim, KsControllerQueue *q)
{
    ks_engine_schedule(sim->engine, CONTROLLER_SOCKET_TIMEOUT, resend, q, q->gen);
}

static void response_arrives(KsSim *sim, void *ctx, uint64_t gen, bool delivered)
{
    KsControllerQueue *q = ctx;
    if (gen == q->gen && !delivered && ks_net_dropped_silently(sim))
        lost_on_the_way(sim, q);
    else if (gen == q->gen && delivered)
        queue_next(sim, q);
}

/* The broker applies the request and answers. One that finds its broker
 * down is dropped: the broker's return is announced by its new session,
 * and the controller then sends it its whole state. */
static void request_arrives(KsSim *sim, void *ctx, uint64_t gen, bool delivered)
{
    KsControllerQueue *q = ctx;
    if (gen != q->gen)
        return;
    if (!delivered && ks_net_dropped_silently(sim) && q->broker->alive) {
        lost_on_the_way(sim, q);
        return;
    }
    if (!delivered) {
        queue_next(sim, q);
        return;
    }
    const ControllerRequest *req = g_queue_peek_head(&q->requests);
    if (req->kind == KS_NET_UPDATE_METADATA && ks_metadata_apply(sim, q->broker, req->version))
        ks_broker_live_brokers_changed(sim, q->broker);
    for (guint i = 0; req->items && i < req->items->len; i++) {
        const LeaderAndIsrItem *it = &g_array_index(req->items, LeaderAndIsrItem, i);
        /* A reassignment may have removed the replica since (reassign.c):
         * it was stopped then, and nothing is left to apply. */
        KsReplica *r = ks_partition_replica(it->part, q->broker->id);
        if (r)
            ks_broker_apply_leader_and_isr(sim, r, it->leader, it->epoch);
    }
    KsBroker *c = ks_sim_find_broker(sim, sim->registry->controller);
    if (c)
        ks_net_send(sim, &q->broker->ep, &c->ep, KS_NET_CONTROLLER_RESPONSE, response_arrives, q,
                    gen);
}

/* Adds @part to the LeaderAndIsr being built for @b. */
static void send_leader_and_isr(KsBroker *b, KsPartition *part, KsBrokerId leader)
{
    LeaderAndIsrItem it = {part, leader, part->leader_epoch};
    g_array_append_val(queue_of(b)->building, it);
}

/* ControllerBrokerRequestBatch.sendRequestsToBrokers, at the end of each
 * controller event: one LeaderAndIsr per broker with what the event
 * decided for it, then UpdateMetadata to every live broker when anything
 * changed (@metadata: an ISR change without LeaderAndIsr). */
static void send_requests(KsSim *sim, bool metadata)
{
    for (guint i = 0; i < sim->brokers->len; i++) {
        KsBroker *b = g_ptr_array_index(sim->brokers, i);
        KsControllerQueue *q = b->ctrl_queue;
        if (!q || q->building->len == 0)
            continue;
        ControllerRequest *req = g_new0(ControllerRequest, 1);
        req->kind = KS_NET_LEADER_AND_ISR;
        req->items = q->building;
        q->building = g_array_new(FALSE, FALSE, sizeof(LeaderAndIsrItem));
        g_queue_push_tail(&q->requests, req);
        metadata = true;
    }
    if (!metadata)
        return;
    uint64_t version = ks_metadata_publish(sim);
    for (guint i = 0; i < sim->brokers->len; i++) {
        KsBroker *b = g_ptr_array_index(sim->brokers, i);
        if (!b->ctrl_live)
            continue;
        ControllerRequest *req = g_new0(ControllerRequest, 1);
        req->kind = KS_NET_UPDATE_METADATA;
        req->version = version;
        g_queue_push_tail(&queue_of(b)->requests, req);
        queue_kick(sim, b->ctrl_queue);
    }
}

/* Writes a new leader and ISR for @part (the partition state znode) and
 * queues LeaderAndIsr to its replicas: the leader epoch goes up by one,
 * except at creation. @leader may be KS_NO_BROKER (offline) and may be the
 * current leader (an ISR change made by the controller); @isr is taken.
 * @removed names the broker an ISR change removes, for the event. */
static void write_leader_and_isr(KsSim *sim, KsPartition *part, KsBrokerId leader, GArray *isr,
                                 KsReason reason, KsBrokerId removed)
{
    KsBrokerId old = part->leader;
    guint old_isr_len = part->isr->len;

    part->leader = leader;
    if (reason != KS_REASON_INITIAL)
        part->leader_epoch++;
    ks_partition_set_isr(part, isr);
    ks_metadata_changed(sim, part);
    /* Offline: its leader died, and a dead process leads nothing. */
    if (leader != old && leader != KS_NO_BROKER && reason != KS_REASON_INITIAL)
        ks_ledger_election(sim->ledger, part, reason == KS_REASON_UNCLEAN);
    if (leader == KS_NO_BROKER)
        ks_broker_step_down(sim, part);
    ks_ledger_leader_changed(sim->ledger, part);
    if (reason != KS_REASON_INITIAL && leader != KS_NO_BROKER && leader != old) {
        sim->stats.leader_elections++;
        part->topic->leader_elections++;
    }

    if (leader != old || reason == KS_REASON_INITIAL) {
        KsEvent ev = ks_event_init(KS_EV_LEADER_ELECTED, ks_engine_now(sim->engine));
        ev.leader_elected.topic = part->topic->name;
        ev.leader_elected.partition = part->index;
        ev.leader_elected.leader = leader;
        ev.leader_elected.previous_leader = old;
        ev.leader_elected.leader_epoch = part->leader_epoch;
        ev.leader_elected.isr = (KsIntList){ks_partition_isr_ids(part), part->isr->len};
        ev.leader_elected.reason = reason;
        ks_sim_emit(sim, &ev);
    } else if (part->isr->len < old_isr_len) {
        ks_partition_emit_isr_change(sim, KS_EV_ISR_SHRUNK, part, removed, reason);
    }
    /* An ISR of one that stays (its member died, the partition was already
     * offline) still takes a new epoch, as in Kafka, but nothing shows. */

    /* LeaderAndIsr goes to the replicas on live brokers, except the one an
     * ISR change removes (ReplicaStateMachine: OfflineReplica). */
    for (int32_t i = 0; i < part->n_replicas; i++) {
        KsBroker *b = part->replicas[i]->broker;
        if (b->ctrl_live && (leader != old || b->id != removed))
            send_leader_and_isr(b, part, leader);
    }
    ks_partition_update_availability(sim, part);
}

void ks_controller_set_leader(KsSim *sim, KsPartition *part, KsBrokerId leader, GArray *isr,
                              KsReason reason)
{
    write_leader_and_isr(sim, part, leader, isr, reason, KS_NO_BROKER);
}

bool ks_controller_is_live(KsSim *sim, KsBrokerId id)
{
    return is_live(sim, id);
}

bool ks_controller_can_write(KsSim *sim)
{
    return controller_active(sim) && ks_zk_has_quorum(sim);
}

void ks_controller_send_requests(KsSim *sim)
{
    send_requests(sim, true);
}

void ks_controller_drop_from_isr(KsSim *sim, KsPartition *part, KsBrokerId id, KsReason reason)
{
    GArray *isr = g_array_new(FALSE, FALSE, sizeof(KsBrokerId));
    for (guint k = 0; k < part->isr->len; k++)
        if (g_array_index(part->isr, KsBrokerId, k) != id)
            g_array_append_val(isr, g_array_index(part->isr, KsBrokerId, k));
    write_leader_and_isr(sim, part, part->leader, isr, reason, id);
}

/* The ISR of @part without the brokers the controller considers dead. */
static GArray *live_isr(KsSim *sim, const KsPartition *part)
{
    GArray *isr = g_array_new(FALSE, FALSE, sizeof(KsBrokerId));
    for (guint i = 0; i < part->isr->len; i++) {
        KsBrokerId id = g_array_index(part->isr, KsBrokerId, i);
        if (is_live(sim, id))
            g_array_append_val(isr, id);
    }
    return isr;
}

/* Offline-partition election (PartitionLeaderElectionAlgorithms): first
 * live ISR member in assignment order, or, if the topic allows unclean
 * election, first live replica. Returns false if nobody can lead. */
static bool elect(KsSim *sim, KsPartition *part)
{
    for (int32_t i = 0; i < part->n_replicas; i++) {
        KsBrokerId id = part->replicas[i]->broker->id;
        if (is_live(sim, id) && ks_partition_in_isr(part, id)) {
            ks_controller_set_leader(sim, part, id, live_isr(sim, part), KS_REASON_OFFLINE);
            return true;
        }
    }
    /* ZkPartitionStateMachine reads the topic's config with the
     * controller's own broker config as defaults (Kafka 3.9
     * PartitionStateMachine.scala:482-503, KafkaZkClient.getLogConfigs). */
    if (!ks_topic_config(sim, part->topic, ks_sim_find_broker(sim, sim->registry->controller),
                         KS_CFG_UNCLEAN_LEADER_ELECTION_ENABLE))
        return false;
    for (int32_t i = 0; i < part->n_replicas; i++) {
        KsBrokerId id = part->replicas[i]->broker->id;
        if (is_live(sim, id)) {
            GArray *isr = g_array_new(FALSE, FALSE, sizeof(KsBrokerId));
            g_array_append_val(isr, id);
            ks_controller_set_leader(sim, part, id, isr, KS_REASON_UNCLEAN);
            return true;
        }
    }
    return false;
}

/* The partition after @part (NULL: the first) among the created topics',
 * in topic then partition order, or NULL after the last:
 * for (KsPartition *p = NULL; (p = next_created(sim, p));) */
static KsPartition *next_created(const KsSim *sim, const KsPartition *part)
{
    guint t = part ? (guint)part->topic->index : 0;
    int32_t p = part ? part->index + 1 : 0;
    for (; t < sim->topics->len; t++, p = 0) {
        KsTopic *topic = g_ptr_array_index(sim->topics, t);
        if (topic->created && p < topic->n_partitions)
            return topic->partitions[p];
    }
    return NULL;
}

/* triggerOnlinePartitionStateChange: elects every created partition that
 * has no live leader. */
static void elect_offline_partitions(KsSim *sim)
{
    for (KsPartition *part = NULL; (part = next_created(sim, part));)
        if (part->leader == KS_NO_BROKER || !is_live(sim, part->leader))
            elect(sim, part);
}

/* OfflineReplica (doRemoveReplicasFromIsr): @r's broker leaves its
 * partition's ISR, with @reason. */
static void remove_replica_from_isr(KsSim *sim, KsReplica *r, KsReason reason)
{
    KsBroker *b = r->broker;
    KsPartition *part = r->part;
    bool last = part->isr->len == 1;
    GArray *isr = g_array_new(FALSE, FALSE, sizeof(KsBrokerId));
    for (guint k = 0; k < part->isr->len; k++) {
        KsBrokerId id = g_array_index(part->isr, KsBrokerId, k);
        if (id != b->id || last)
            g_array_append_val(isr, id);
    }
    if (part->leader == b->id)
        write_leader_and_isr(sim, part, KS_NO_BROKER, isr, KS_REASON_LEADER_FAILED, b->id);
    else
        write_leader_and_isr(sim, part, part->leader, isr, reason, b->id);
}

/* OfflineReplica for every replica of dead broker @b. */
static void remove_from_isrs(KsSim *sim, KsBroker *b)
{
    for (guint i = 0; i < b->replicas->len; i++) {
        KsReplica *r = g_ptr_array_index(b->replicas, i);
        if (r->part->topic->created && r->in_isr)
            remove_replica_from_isr(sim, r, KS_REASON_BROKER_FAILED);
    }
}

/* OnlineReplica for @b's replicas (onBrokerStartup, and a new
 * controller's first requests): LeaderAndIsr for every partition it holds
 * that has a leader. */
static void send_state(KsBroker *b)
{
    for (guint i = 0; i < b->replicas->len; i++) {
        KsPartition *part = ((KsReplica *)g_ptr_array_index(b->replicas, i))->part;
        if (part->topic->created && part->leader != KS_NO_BROKER)
            send_leader_and_isr(b, part, part->leader);
    }
}

void ks_controller_create_topic(KsSim *sim, KsTopic *topic)
{
    topic->created = true;
    ks_controller_create_partitions(sim, topic, 0);
}

/* onNewPartitionCreation: NewPartition, then OnlinePartition for
 * partitions @from and on of @topic. */
void ks_controller_create_partitions(KsSim *sim, KsTopic *topic, int32_t from)
{
    for (int32_t p = from; p < topic->n_partitions; p++) {
        KsPartition *part = topic->partitions[p];
        GArray *isr = g_array_new(FALSE, FALSE, sizeof(KsBrokerId));
        KsBrokerId leader = KS_NO_BROKER;
        for (int32_t i = 0; i < part->n_replicas; i++) {
            KsBrokerId id = part->replicas[i]->broker->id;
            if (!is_live(sim, id))
                continue;
            g_array_append_val(isr, id);
            if (leader == KS_NO_BROKER)
                leader = id;
        }
        ks_controller_set_leader(sim, part, leader, isr, KS_REASON_INITIAL);
    }
    send_requests(sim, false);
}

void ks_controller_broker_change(KsSim *sim)
{
    if (!controller_active(sim))
        return;
    g_autoptr(GPtrArray) appeared = g_ptr_array_new();
    g_autoptr(GPtrArray) gone = g_ptr_array_new();
    for (guint i = 0; i < sim->brokers->len; i++) {
        KsBroker *b = g_ptr_array_index(sim->brokers, i);
        if (b->registered && !b->ctrl_live)
            g_ptr_array_add(appeared, b);
        else if (!b->registered && b->ctrl_live)
            g_ptr_array_add(gone, b);
    }
    if (appeared->len > 0) {
        for (guint i = 0; i < appeared->len; i++) {
            KsBroker *b = g_ptr_array_index(appeared, i);
            b->ctrl_live = true;
            b->shutting_down = false;
        }
        for (guint i = 0; i < appeared->len; i++)
            send_state(g_ptr_array_index(appeared, i));
        elect_offline_partitions(sim);
    }
    if (gone->len > 0) {
        for (guint i = 0; i < gone->len; i++) {
            KsBroker *b = g_ptr_array_index(gone, i);
            b->ctrl_live = false;
            b->shutting_down = false;
            queue_drop(b);
        }
        elect_offline_partitions(sim);
        for (guint i = 0; i < gone->len; i++)
            remove_from_isrs(sim, g_ptr_array_index(gone, i));
    }
    send_requests(sim, false);
}

/* ---- controlled shutdown ---- */

int64_t ks_controller_controlled_shutdown(KsSim *sim, KsBroker *b)
{
    /* Without a ZooKeeper quorum the controller cannot write the moves:
     * the request gets no answer, as if there were no controller. */
    if (!controller_active(sim) || !b->ctrl_live || !ks_zk_has_quorum(sim))
        return -1;
    b->shutting_down = true;
    for (guint i = 0; i < b->replicas->len; i++) {
        KsReplica *r = g_ptr_array_index(b->replicas, i);
        KsPartition *part = r->part;
        if (!part->topic->created || part->n_replicas < 2 || part->leader == KS_NO_BROKER)
            continue;
        if (part->leader == b->id) {
            /* ControlledShutdownPartitionLeaderElectionStrategy: first
             * replica in assignment order that is live, not shutting down
             * and in the ISR; the ISR loses the shutting-down brokers. */
            for (int32_t k = 0; k < part->n_replicas; k++) {
                KsReplica *cand = part->replicas[k];
                if (!cand->in_isr || !is_live(sim, cand->broker->id))
                    continue;
                GArray *isr = g_array_new(FALSE, FALSE, sizeof(KsBrokerId));
                for (guint j = 0; j < part->isr->len; j++) {
                    KsBrokerId id = g_array_index(part->isr, KsBrokerId, j);
                    const KsBroker *m = ks_sim_find_broker(sim, id);
                    if (!m->shutting_down)
                        g_array_append_val(isr, id);
                }
                ks_controller_set_leader(sim, part, cand->broker->id, isr,
                                         KS_REASON_CONTROLLED_SHUTDOWN);
                break;
            }
        } else {
            /* StopReplica (its fetcher stops), then OfflineReplica: it
             * leaves the ISR. */
            send_leader_and_isr(b, part, KS_NO_BROKER);
            if (r->in_isr)
                remove_replica_from_isr(sim, r, KS_REASON_CONTROLLED_SHUTDOWN);
        }
    }
    send_requests(sim, false);
    /* ControllerContext.partitionLeadersOnBroker (Kafka 3.9
     * ControllerContext.scala:486-491): only partitions with more than one
     * replica count, so one with a single replica never holds the shutdown
     * back. */
    int64_t still_led = 0;
    for (guint i = 0; i < b->replicas->len; i++) {
        const KsPartition *part = ((KsReplica *)g_ptr_array_index(b->replicas, i))->part;
        still_led += part->leader == b->id && part->n_replicas > 1;
    }
    return still_led;
}

/* ---- AlterPartition ---- */

/* KafkaController.processAlterPartition (KafkaController.scala:2288-2482)
 * for the proposal in @ctx (a KsPartition) sent under controller epoch
 * arg >> 32: refused if this broker is no longer the controller, if the
 * sender no longer leads in the epoch it sent (FENCED_LEADER_EPOCH), or if
 * a replica it adds is not live (INELIGIBLE_REPLICA, KIP-841); else the
 * ISR is written (the leader epoch stays) and UpdateMetadata goes out. The
 * answer travels back to the leader. */
void ks_controller_alter_partition(KsSim *sim, void *ctx, uint64_t arg, bool delivered)
{
    KsPartition *part = ctx;
    const KsAlterIsr *a = &part->alter;
    uint32_t gen = (uint32_t)arg;
    if (!a->inflight || a->gen != gen)
        return;
    KsBroker *from = ks_sim_find_broker(sim, a->from);
    if (!delivered) {
        /* The connection broke: the leader forgets the proposal and
         * proposes again at its next check. */
        ks_broker_alter_partition_answered(sim, part, (uint64_t)gen << 1, true);
        return;
    }
    if (!ks_zk_has_quorum(sim)) { /* the ISR write waits for a quorum */
        ks_zk_park_alter(sim, part, arg);
        return;
    }
    bool ok = (uint32_t)(arg >> 32) == (uint32_t)sim->registry->controller_epoch &&
              part->leader == a->from && part->leader_epoch == a->epoch;
    for (int32_t i = 0; ok && i < part->n_replicas; i++) {
        const KsReplica *r = part->replicas[i];
        if (r->isr_change_pending && !a->shrink)
            ok = is_live(sim, r->broker->id) && !r->in_isr;
    }
    if (ok) {
        for (int32_t i = 0; i < part->n_replicas; i++) {
            KsReplica *r = part->replicas[i];
            if (!r->isr_change_pending || r->in_isr != a->shrink)
                continue;
            GArray *isr = g_array_new(FALSE, FALSE, sizeof(KsBrokerId));
            KsBrokerId id = r->broker->id;
            for (guint k = 0; k < part->isr->len; k++)
                if (g_array_index(part->isr, KsBrokerId, k) != id)
                    g_array_append_val(isr, g_array_index(part->isr, KsBrokerId, k));
            if (!a->shrink)
                g_array_append_val(isr, id);
            ks_partition_set_isr(part, isr);
            ks_metadata_changed(sim, part);
            ks_ledger_leader_changed(sim->ledger, part);
            ks_partition_emit_isr_change(sim, a->shrink ? KS_EV_ISR_SHRUNK : KS_EV_ISR_EXPANDED,
                                         part, id,
                                         a->shrink ? KS_REASON_LAGGING : KS_REASON_CAUGHT_UP);
        }
        if (!a->shrink)
            ks_reassign_isr_expanded(sim, part);
        send_requests(sim, true);
    }
    KsBroker *c = ks_sim_find_broker(sim, sim->registry->controller);
    if (c && from)
        ks_net_send(sim, &c->ep, &from->ep, KS_NET_ALTER_PARTITION_RESPONSE,
                    ks_broker_alter_partition_answered, part, (uint64_t)gen << 1 | ok);
}

/* ---- preferred leaders ---- */

/* Preferred-replica election for @part: its first replica leads again if it
 * is live and in the ISR. */
static bool elect_preferred(KsSim *sim, KsPartition *part)
{
    KsBrokerId preferred = part->replicas[0]->broker->id;
    if (part->leader == preferred || !is_live(sim, preferred) ||
        !ks_partition_in_isr(part, preferred))
        return false;
    GArray *isr = g_array_new(FALSE, FALSE, sizeof(KsBrokerId));
    g_array_append_vals(isr, part->isr->data, part->isr->len);
    ks_controller_set_leader(sim, part, preferred, isr, KS_REASON_PREFERRED);
    return true;
}

static void auto_rebalance(KsEngine *engine, void *ctx, uint64_t epoch);

void ks_controller_elect_preferred(KsSim *sim, const char *topic, int32_t partition)
{
    int64_t asked = 0, moved = 0;
    bool active = controller_active(sim) && ks_zk_has_quorum(sim);
    KsEvent ev = ks_event_init(KS_EV_PREFERRED_ELECTION, ks_engine_now(sim->engine));
    for (guint t = 0; t < sim->topics->len; t++) {
        KsTopic *tp = g_ptr_array_index(sim->topics, t);
        if (!tp->created || (topic && strcmp(tp->name, topic) != 0))
            continue;
        for (int32_t p = 0; p < tp->n_partitions; p++) {
            if (partition >= 0 && p != partition)
                continue;
            asked++;
            moved += active && elect_preferred(sim, tp->partitions[p]);
        }
    }
    ev.preferred_election.topic = topic;
    ev.preferred_election.partition = partition;
    ev.preferred_election.moved = moved;
    ev.preferred_election.asked = active ? asked : -1;
    ks_sim_emit(sim, &ev);
    send_requests(sim, false);
}

void ks_controller_action_elect_preferred(KsSim *sim, const KsPlanAction *action)
{
    ks_controller_elect_preferred(sim, action->target.topic, action->target.partition);
}

/* A controller config: the controller broker's own setting, else the
 * cluster-wide default, else Kafka's. */
static int64_t controller_config(KsSim *sim, KsConfigKey key)
{
    const KsBroker *c = ks_sim_find_broker(sim, sim->registry->controller);
    return ks_config_resolve(key, c ? c->plan->configs : NULL, sim->defaults);
}

static void schedule_auto_rebalance(KsSim *sim, KsTime delay)
{
    if (controller_config(sim, KS_CFG_AUTO_LEADER_REBALANCE_ENABLE))
        ks_engine_schedule(sim->engine, delay, auto_rebalance, sim,
                           (uint64_t)sim->registry->controller_epoch);
}

/* checkAndTriggerAutoLeaderRebalance, run by the controller of @epoch. */
static void auto_rebalance(KsEngine *engine, void *ctx, uint64_t epoch)
{
    KsSim *sim = ctx;
    if ((uint64_t)sim->registry->controller_epoch != epoch || !controller_active(sim))
        return;
    if (!ks_zk_has_quorum(sim)) { /* nothing can be written: try at the next check */
        schedule_auto_rebalance(
            sim, controller_config(sim, KS_CFG_LEADER_IMBALANCE_CHECK_INTERVAL_SECONDS));
        return;
    }
    int64_t percentage = controller_config(sim, KS_CFG_LEADER_IMBALANCE_PER_BROKER_PERCENTAGE);
    for (guint i = 0; i < sim->brokers->len; i++) {
        KsBroker *b = g_ptr_array_index(sim->brokers, i);
        int64_t preferred = 0, imbalanced = 0;
        for (KsPartition *part = NULL; (part = next_created(sim, part));) {
            if (part->replicas[0]->broker != b)
                continue;
            preferred++;
            imbalanced += part->leader != b->id;
        }
        /* Strictly greater than the percentage: 1 of 10 at 10% is fine. */
        if (preferred == 0 || imbalanced * 100 <= preferred * percentage || !b->ctrl_live)
            continue;
        for (KsPartition *part = NULL; (part = next_created(sim, part));)
            if (part->replicas[0]->broker == b)
                elect_preferred(sim, part);
    }
    send_requests(sim, false);
    schedule_auto_rebalance(sim,
                            controller_config(sim, KS_CFG_LEADER_IMBALANCE_CHECK_INTERVAL_SECONDS));
}

/* ---- failover ---- */

/* KafkaController.onControllerFailover: the new controller reads the live
 * brokers from ZooKeeper, then starts the replica state machine (dead
 * replicas leave the ISRs) and the partition state machine (partitions
 * without a live leader are elected). */
void ks_controller_failover(KsSim *sim)
{
    for (guint i = 0; i < sim->brokers->len; i++) {
        KsBroker *b = g_ptr_array_index(sim->brokers, i);
        b->ctrl_live = b->registered;
        b->shutting_down = false; /* a new controller's context starts empty */
        queue_drop(b);            /* and so does its channel */
    }
    for (guint i = 0; i < sim->brokers->len; i++) {
        KsBroker *b = g_ptr_array_index(sim->brokers, i);
        if (b->ctrl_live)
            send_state(b);
    }
    for (guint i = 0; i < sim->brokers->len; i++) {
        KsBroker *b = g_ptr_array_index(sim->brokers, i);
        if (!b->ctrl_live)
            remove_from_isrs(sim, b);
    }
    elect_offline_partitions(sim);
    send_requests(sim, true);
    schedule_auto_rebalance(sim, 5 * KS_TIME_S);
}
