/* SPDX-License-Identifier: MIT */
/*
 * query-waits.h - read-only questions about what is waiting in a run: a
 * partition without a working leader, acks=all writes parked at a leader
 * until the high watermark covers them, records a producer holds and has
 * not had acknowledged, writes a leader refuses.
 *
 * The same rules as query.h: a const KsSim, nothing changes, strings are
 * borrowed from the sim. The timeline's status lines ("orders-1: no leader
 * for 10 s ...") and the REPL read these; they say why a silence in the
 * timeline is a silence.
 */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "kafkasim/sim.h"
#include "kafkasim/types.h"

/* What waits on one partition at this moment. */
typedef struct {
    /* Since when no live broker leads it (the "partition time without a live
     * leader" of the summary); -1: it has one. */
    KsTime no_leader_since;
    /* acks=all records that reached the leader and wait in its purgatory
     * for the high watermark to cover them. */
    int64_t parked_records;
    KsTime parked_since; /* when the oldest of them was sent; -1: none parked */
    /* Records the producers hold for it and have not had acknowledged: in
     * their accumulators, or sent and unanswered (parked ones included). */
    int64_t producer_records;
    /* Producers whose last write to it failed, and the first one's error
     * (Kafka's name, e.g. "NOT_ENOUGH_REPLICAS"; NULL: none failing). */
    int64_t failing_producers;
    const char *error;
    KsTime failing_since; /* that producer's writes fail since then; -1: none */
    /* min.insync.replicas as its leader reads it (its topic's, else the
     * leader's broker line, else Kafka's), at most the replication factor. */
    int32_t min_insync;
} KsPartitionWaits;

/* Fills *@out for partition @partition of topic @topic (an index). */
void ks_query_partition_waits(const KsSim *sim, size_t topic, int32_t partition,
                              KsPartitionWaits *out);

/* When broker @id's ZooKeeper session expires, if it is registered and its
 * session is running out (its process is gone and ZooKeeper has not noticed
 * yet); -1 otherwise (no such broker, unregistered, or alive). */
KsTime ks_query_session_expiry(const KsSim *sim, KsBrokerId id);
