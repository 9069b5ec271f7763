/* SPDX-License-Identifier: MIT */
/*
 * placement.h - where a new topic's replicas go: Kafka's
 * AdminUtils.assignReplicasToBrokers, rack-unaware and rack-aware, as used
 * by ZooKeeper-mode topic creation and partition addition.
 *
 * Kafka draws the start index and the replica shift at random in
 * [0, brokers); a "fixed start index" sets both. The caller draws them (from
 * the run's seed) or fixes them, so every placement is reproducible and can
 * rebuild a real cluster's layout.
 */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <glib.h>

#include "kafkasim/types.h"

#define KS_PLACEMENT_ERROR (ks_placement_error_quark())
GQuark ks_placement_error_quark(void);

typedef enum {
    KS_PLACEMENT_ERROR_INVALID_PARTITIONS,         /* partitions <= 0 */
    KS_PLACEMENT_ERROR_INVALID_REPLICATION_FACTOR, /* rf <= 0 or rf > brokers */
    KS_PLACEMENT_ERROR_PARTIAL_RACKS,              /* some brokers have a rack, some not */
} KsPlacementError;

/* A broker as placement sees it. */
typedef struct {
    KsBrokerId id;
    const char *rack; /* NULL: no rack */
} KsPlacementBroker;

/* Places replicas for partitions @start_partition .. @start_partition +
 * @n_partitions - 1 (start_partition < 0 means 0), @rf replicas each, over
 * @brokers (any order: they are sorted by id first, as Kafka does). Uses the
 * rack-aware algorithm when every broker has a rack, the rack-unaware one
 * when none has; a mix is an error, as in Kafka's default (enforced) mode.
 * @start_index and @replica_shift must be in [0, n_brokers).
 *
 * On success fills @out_replicas (n_partitions * rf ids, partition after
 * partition, each in assignment order: the first is the preferred leader) and
 * returns true. On failure returns false with @error set to Kafka's message,
 * e.g. "Replication factor: 4 larger than available brokers: 3.", and leaves
 * @out_replicas untouched. */
bool ks_placement_assign(const KsPlacementBroker *brokers, size_t n_brokers, int32_t n_partitions,
                         int32_t rf, int32_t start_index, int32_t replica_shift,
                         int32_t start_partition, KsBrokerId *out_replicas, GError **error);

/* The fixed start index Kafka uses when adding partitions to a topic whose
 * partition 0 is led (first replica) by @first_replica_of_p0: the position,
 * in the id-sorted broker list, of the first broker whose id is >= it, or 0
 * if none. */
int32_t ks_placement_start_for_added(const KsPlacementBroker *brokers, size_t n_brokers,
                                     KsBrokerId first_replica_of_p0);
