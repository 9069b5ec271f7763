/* SPDX-License-Identifier: MIT */
/*
 * metadata-private.h - every broker's metadata cache (Kafka's
 * ZkMetadataCache), filled only by the controller's UpdateMetadata
 * requests, and the reads clients' requests make of it (see metadata.c).
 *
 * Private to sim/. Included by metadata.c (first), by controller.c (which
 * notes what it writes and stamps each UpdateMetadata), by broker.c (a
 * process that starts has an empty cache), by the clients whose requests a
 * broker answers from its cache (producer.c, consumer-fetch.c, group.c) and
 * by the model's tests. The KsMetadata lives in KsSim.metadata, created and
 * freed by sim.c; everything in it is written by metadata.c only.
 */
#pragma once

#include "model.h"

typedef struct KsMetadata KsMetadata;

/* One partition as a broker's cache holds it (UpdateMetadataPartitionState).
 * The ISR points into the cache's storage: valid until the next call that
 * changes the metadata (ks_metadata_changed, ks_metadata_publish). The
 * replicas are the partition's assignment, which the model never changes,
 * so they are read from the partition itself. */
typedef struct {
    KsBrokerId leader; /* KS_NO_BROKER: none */
    int32_t leader_epoch;
    guint isr_len;
    const KsBrokerId *isr;
} KsMetadataPartition;

KsMetadata *ks_metadata_new(void);
void ks_metadata_free(KsMetadata *md);

/* The controller's side. @part's leader, epoch or ISR was just written in
 * ZooKeeper: the next UpdateMetadata carries its new state. */
void ks_metadata_changed(KsSim *sim, const KsPartition *part);
/* An UpdateMetadata leaves (ControllerBrokerRequestBatch): returns the
 * version it carries, every partition change noted so far and the
 * controller's live brokers (liveOrShuttingDownBrokers) now. One version
 * serves every broker of one controller event. */
uint64_t ks_metadata_publish(KsSim *sim);

/* The broker's side. UpdateMetadata of @version arrives at @b
 * (ZkMetadataCache.updateMetadata): its cache holds that state from now.
 * Returns whether its live brokers changed. */
bool ks_metadata_apply(KsSim *sim, const KsBroker *b, uint64_t version);
/* @b's process starts: its cache is empty until an UpdateMetadata comes. */
void ks_metadata_reset(KsSim *sim, const KsBroker *b);

/* Reads of @b's cache. Whether @part is in it, and then its state in *out
 * (ZkMetadataCache.getPartitionInfo). */
bool ks_metadata_partition(const KsSim *sim, const KsBroker *b, const KsPartition *part,
                           KsMetadataPartition *out);
/* Whether @id is alive in @b's cache (ZkMetadataCache.hasAliveBroker). */
bool ks_metadata_broker_alive(const KsSim *sim, const KsBroker *b, KsBrokerId id);
/* The alive brokers in @b's cache, by id (getAliveBrokerNodes); NULL while
 * it has none. */
const GArray *ks_metadata_live_brokers(const KsSim *sim, const KsBroker *b);
/* The leader of @part a Metadata answer from @b names: KS_NO_BROKER when
 * the partition is unknown, has no leader, or its leader is not alive in
 * the cache (ZkMetadataCache.getPartitionMetadata: LEADER_NOT_AVAILABLE). */
KsBrokerId ks_metadata_leader(const KsSim *sim, const KsBroker *b, const KsPartition *part);
/* The version @b's cache holds (0: empty), for tests and invariants. */
uint64_t ks_metadata_version(const KsSim *sim, const KsBroker *b);
