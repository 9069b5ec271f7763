/* SPDX-License-Identifier: MIT */
/*
 * reassign.h - partition reassignment and its replication throttle (see
 * reassign.c), and the plans kafka-reassign-partitions.sh --generate makes
 * (reassign-plan.c).
 *
 * Private to sim/. The sim owns one KsReassign, made at the first
 * reassignment (sim->reassign; NULL before), freed with the sim. Called by
 * the controller (an ISR grew), by the fetcher (how much a throttled
 * replica may copy) and by sim.c (the `reassign` action).
 */
#pragma once

#include <stdbool.h>
#include <stdint.h>

#include <glib.h>

#include "kafkasim/plan.h"
#include "kafkasim/types.h"

typedef struct KsReassign KsReassign;
typedef struct KsPartition KsPartition;
typedef struct KsReplica KsReplica;
typedef struct KsBroker KsBroker;

void ks_reassign_free(KsReassign *r);

/* The `reassign` action: one partition, or a plan for a topic or for
 * every topic. */
void ks_reassign_action(KsSim *sim, const KsPlanAction *action);

/* Starts moving @part to @target (@n ids, in order) with @throttle bytes/s
 * (0: none), as KafkaController.onPartitionReassignment's phase A does.
 * Returns false, with a note for line @line, when it cannot start. */
bool ks_reassign_partition(KsSim *sim, KsPartition *part, const KsBrokerId *target, guint n,
                           int64_t throttle, int line);

/* The controller wrote a larger ISR for @part (AlterPartition): a
 * replica the reassignment adds may have caught up, and the reassignment
 * may complete (phase B). Cheap when @part is not being reassigned. */
void ks_reassign_isr_expanded(KsSim *sim, KsPartition *part);

/* Whether @part is being reassigned. */
bool ks_reassign_active(const KsSim *sim, const KsPartition *part);
/* The target replicas of @part's running reassignment (*@n of them), or
 * NULL when none runs. */
const KsBrokerId *ks_reassign_target(const KsSim *sim, const KsPartition *part, guint *n);

/* The replication throttle (ReplicationQuotaManager) for follower @r
 * fetching from @leader: records the leader may send it now, at most
 * @want, and books their bytes on both brokers' quotas. Returns @want for
 * an unthrottled replica. */
int64_t ks_reassign_throttle_take(KsSim *sim, const KsBroker *leader, const KsReplica *r,
                                  int64_t want);
/* Whether the throttle holds back every record @r lacks right now (the
 * leader then parks the fetch instead of answering at once). */
bool ks_reassign_throttle_exhausted(KsSim *sim, const KsBroker *leader, const KsReplica *r);

/* reassign-plan.c: ReassignPartitionsCommand.calculateAssignment for
 * @topic over @brokers (sorted ids, @n of them): AdminUtils placement with
 * the topic's partition count and the replication factor of its
 * partition 0, start index and shift fixed (@start >= 0) or drawn from the
 * seed. Fills @out (n_partitions * rf ids) and returns true, or returns
 * false with @error set to Kafka's message. */
bool ks_reassign_generate(const KsSim *sim, const char *topic_name, int32_t n_partitions,
                          int32_t rf, const KsBrokerId *brokers, guint n, int32_t start, int line,
                          KsBrokerId *out, GError **error);

/* partitions-add.c: `add partitions TOPIC count=N` (AdminZkClient
 * .addPartitions): the topic grows to N partitions placed as Kafka places
 * added ones; the timeline says how many of each keyed producer's keys
 * now map to another partition. */
void ks_reassign_action_add_partitions(KsSim *sim, const KsPlanAction *action);
