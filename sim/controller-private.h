/* SPDX-License-Identifier: MIT */
/*
 * controller-private.h - the calls into the controller (controller.c, and
 * the /controller election in registry.c): elections, topic creation,
 * broker changes, controlled shutdown, preferred leader election.
 *
 * The controller keeps no state of its own beyond the model's: who the
 * controller is and its epoch are ZooKeeper's (KsRegistry), its view of
 * live and shutting-down brokers is in KsBroker (ctrl_live, shutting_down,
 * written by controller.c only), and what it decides is written into the
 * partitions (leader, epoch, ISR). Its requests to each broker wait in
 * KsBroker.ctrl_queue (controller.c's KsControllerQueue).
 *
 * Private to sim/. Included by controller.c (first), by the modules that
 * call the controller (registry.c, broker.c, sim.c) and by the model's
 * tests. Never by a view.
 */
#pragma once

#include "model.h"

void ks_controller_elect(KsSim *sim);
void ks_controller_failover(KsSim *sim);
void ks_controller_create_topic(KsSim *sim, KsTopic *topic);
/* The partitions @from and on of @topic were added (AdminZkClient
 * .addPartitions): each gets its first live replica as leader and its live
 * replicas as ISR, and LeaderAndIsr and UpdateMetadata go out. */
void ks_controller_create_partitions(KsSim *sim, KsTopic *topic, int32_t from);
void ks_controller_broker_change(KsSim *sim);
/* KafkaController.doControlledShutdown for @broker: returns how many
 * partitions it still leads, or -1 if there is no active controller. */
int64_t ks_controller_controlled_shutdown(KsSim *sim, KsBroker *broker);
/* kafka-leader-election --election-type PREFERRED for @topic (NULL: all)
 * and @partition (-1: all of the topic). */
void ks_controller_elect_preferred(KsSim *sim, const char *topic, int32_t partition);
/* The net handler of a leader's AlterPartition (@ctx: its KsPartition). */
void ks_controller_alter_partition(KsSim *sim, void *ctx, uint64_t arg, bool delivered);
/* Frees a broker's request queue (KsBroker.ctrl_queue; NULL: none). */
typedef struct KsControllerQueue KsControllerQueue;
void ks_controller_queue_free(KsControllerQueue *q);
void ks_controller_set_leader(KsSim *sim, KsPartition *part, KsBrokerId leader, GArray *isr,
                              KsReason reason);

/* For the reassignment (reassign.c), which runs as controller events. */
/* controllerContext.isReplicaOnline: live, and not shutting down. */
bool ks_controller_is_live(KsSim *sim, KsBrokerId id);
/* There is an active controller and ZooKeeper takes writes. */
bool ks_controller_can_write(KsSim *sim);
/* Ends a controller event: LeaderAndIsr and UpdateMetadata go out. */
void ks_controller_send_requests(KsSim *sim);
/* OfflineReplica for a replica the reassignment removes: @id leaves
 * @part's ISR (leader epoch + 1), the leader stays; LeaderAndIsr goes to
 * the other replicas. */
void ks_controller_drop_from_isr(KsSim *sim, KsPartition *part, KsBrokerId id, KsReason reason);
