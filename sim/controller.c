/* SPDX-License-Identifier: MIT */
/*
 * controller.c - the decisions of the ZooKeeper-era controller
 * (KafkaController.scala, PartitionStateMachine.scala,
 * ReplicaStateMachine.scala, Election.scala).
 *
 *  - New partition: leader = first live replica in assignment order, ISR =
 *    every live replica in assignment order, leader epoch 0.
 *  - Broker failure (its ZooKeeper session expired), in Kafka's order:
 *    1. each partition it led gets the first replica, in ASSIGNMENT order,
 *       that is live and in the ISR; the ISR loses the dead brokers; the
 *       leader epoch goes up by one. With no live ISR member the partition
 *       stays offline, unless unclean.leader.election.enable lets the first
 *       live replica lead with an ISR of itself.
 *    2. the broker leaves the ISR of every other partition it replicates
 *       (epoch + 1), except that an ISR of one is left as it is; if that
 *       one was the leader, the partition has no leader ("Leader: none").
 *  - Broker startup: its replicas become followers of the current leaders;
 *    offline partitions are elected again by the same rules, so a broker
 *    that was the last ISR member comes back as leader.
 *  - "Live" is the controller's view: a registered broker. A crashed broker
 *    is still live until its session expires.
 *
 * The controller's requests (LeaderAndIsr, UpdateMetadata) take effect at
 * once; their latency is left to the metadata issue.
 */
#include "model.h"

static bool is_live(KsSim *sim, KsBrokerId id)
{
    const KsBroker *b = ks_sim_find_broker(sim, id);
    return b && b->registered;
}

/* Makes @leader (KS_NO_BROKER: none) the leader of @part with ISR @isr
 * (taken), in a new leader epoch, and tells the replicas. */
void ks_controller_set_leader(KsSim *sim, KsPartition *part, KsBrokerId leader, GArray *isr,
                              const char *reason)
{
    KsBrokerId old = part->leader;
    bool initial = g_strcmp0(reason, "initial") == 0;
    KsBroker *old_broker = old == KS_NO_BROKER ? NULL : ks_sim_find_broker(sim, old);

    /* A leader that loses leadership answers its parked acks=all writes with
     * NOT_LEADER_OR_FOLLOWER (the DelayedProduce completes with an error). */
    if (old != leader && old_broker && old_broker->alive)
        while (!g_queue_is_empty(&part->waits))
            ks_producer_on_wait_done(sim, g_queue_pop_head(&part->waits),
                                     KS_ERR_NOT_LEADER_OR_FOLLOWER);

    part->leader = leader;
    if (!initial)
        part->leader_epoch++;
    part->partition_epoch++;
    g_array_free(part->isr, TRUE);
    part->isr = isr;
    if (!initial && leader != KS_NO_BROKER && leader != old)
        sim->stats.leader_elections++;

    KsEvent ev = ks_event_init(KS_EV_LEADER_ELECTED, ks_engine_now(sim->engine));
    ev.topic = part->topic->name;
    ev.partition = part->index;
    ev.broker = leader;
    ev.broker2 = old;
    ev.epoch = part->leader_epoch;
    ev.ids = (const KsBrokerId *)(void *)part->isr->data;
    ev.n_ids = part->isr->len;
    ev.text = reason;
    ks_sim_emit(sim, &ev);

    if (leader != KS_NO_BROKER)
        ks_broker_become_leader(sim, part);
    else
        for (int32_t i = 0; i < part->n_replicas; i++)
            ks_broker_stop_following(sim, &part->replicas[i]);
    ks_partition_update_availability(sim, part);
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
        KsBrokerId id = part->replicas[i].broker->id;
        if (is_live(sim, id) && ks_partition_in_isr(part, id)) {
            ks_controller_set_leader(sim, part, id, live_isr(sim, part), "offline");
            return true;
        }
    }
    if (!part->topic->unclean_election)
        return false;
    for (int32_t i = 0; i < part->n_replicas; i++) {
        KsBrokerId id = part->replicas[i].broker->id;
        if (is_live(sim, id)) {
            GArray *isr = g_array_new(FALSE, FALSE, sizeof(KsBrokerId));
            g_array_append_val(isr, id);
            ks_controller_set_leader(sim, part, id, isr, "unclean");
            return true;
        }
    }
    return false;
}

void ks_controller_create_topic(KsSim *sim, KsTopic *topic)
{
    for (int32_t p = 0; p < topic->n_partitions; p++) {
        KsPartition *part = &topic->partitions[p];
        GArray *isr = g_array_new(FALSE, FALSE, sizeof(KsBrokerId));
        KsBrokerId leader = KS_NO_BROKER;
        for (int32_t i = 0; i < part->n_replicas; i++) {
            KsBrokerId id = part->replicas[i].broker->id;
            if (!is_live(sim, id))
                continue;
            g_array_append_val(isr, id);
            if (leader == KS_NO_BROKER)
                leader = id;
        }
        ks_controller_set_leader(sim, part, leader, isr, "initial");
    }
}

void ks_controller_on_broker_failure(KsSim *sim, KsBroker *b)
{
    /* 1. Partitions it led. */
    for (guint i = 0; i < b->replicas->len; i++) {
        KsReplica *r = g_ptr_array_index(b->replicas, i);
        if (r->part->leader == b->id)
            elect(sim, r->part);
    }
    /* 2. Its replicas leave the ISRs (ReplicaStateMachine.doRemoveReplicasFromIsr). */
    for (guint i = 0; i < b->replicas->len; i++) {
        KsReplica *r = g_ptr_array_index(b->replicas, i);
        KsPartition *part = r->part;
        if (!ks_partition_in_isr(part, b->id))
            continue;
        bool last = part->isr->len == 1;
        if (last && part->leader != b->id)
            continue;
        GArray *isr = g_array_new(FALSE, FALSE, sizeof(KsBrokerId));
        for (guint k = 0; k < part->isr->len; k++) {
            KsBrokerId id = g_array_index(part->isr, KsBrokerId, k);
            if (id != b->id || last)
                g_array_append_val(isr, id);
        }
        if (part->leader == b->id) {
            ks_controller_set_leader(sim, part, KS_NO_BROKER, isr, "no live in-sync replica");
            continue;
        }
        /* Same leader, smaller ISR, new leader epoch. */
        g_array_free(part->isr, TRUE);
        part->isr = isr;
        part->leader_epoch++;
        part->partition_epoch++;
        KsEvent ev = ks_event_init(KS_EV_ISR_SHRUNK, ks_engine_now(sim->engine));
        ev.topic = part->topic->name;
        ev.partition = part->index;
        ev.broker = b->id;
        ev.epoch = part->leader_epoch;
        ev.ids = (const KsBrokerId *)(void *)part->isr->data;
        ev.n_ids = part->isr->len;
        ev.text = "broker failed";
        ks_sim_emit(sim, &ev);
        if (part->leader != KS_NO_BROKER) {
            ks_broker_become_leader(sim, part);
            ks_broker_maybe_advance_hw(sim, part);
        }
    }
}

void ks_controller_on_broker_startup(KsSim *sim, KsBroker *b)
{
    for (guint i = 0; i < b->replicas->len; i++) {
        KsReplica *r = g_ptr_array_index(b->replicas, i);
        KsPartition *part = r->part;
        if (part->leader == KS_NO_BROKER) {
            elect(sim, part);
        } else if (part->leader != b->id &&
                   (!r->fetcher || r->fetcher->leader->id != part->leader)) {
            ks_broker_become_follower(sim, r);
        }
    }
}
