/* SPDX-License-Identifier: MIT */
/*
 * broker-private.h - the brokers' own state and functions: follower fetch
 * sessions (fetcher.c), produce requests and their waits as the broker
 * sees them (broker.c, purgatory.c), and the calls other model modules
 * make into a broker: LeaderAndIsr, produce, the process lifecycle.
 *
 * Private to sim/. Included by broker.c and fetcher.c (first), by the
 * modules that call a broker (controller.c, producer.c, sim.c), by
 * invariants.c, which checks the sessions, and by the model's tests.
 * Never by a view.
 */
#pragma once

#include "model.h"

typedef struct KsProduceRequest KsProduceRequest;
typedef struct KsProduceWait KsProduceWait;
typedef struct KsConnection KsConnection;       /* producer-private.h */
typedef struct KsProducerBatch KsProducerBatch; /* producer-private.h */

/*
 * A follower broker's fetch session with one leader broker (Kafka's
 * ReplicaFetcherThread with num.replica.fetchers=1): one request carries
 * every partition the follower replicates from that leader. The leader
 * answers at once when it has data, else parks the request for up to
 * replica.fetch.wait.max.ms and answers as soon as data arrives.
 */
typedef enum {
    KS_FETCH_IDLE,     /* nothing in flight */
    KS_FETCH_REQUEST,  /* request on its way to the leader */
    KS_FETCH_PARKED,   /* waiting at the leader for data */
    KS_FETCH_RESPONSE, /* response on its way back */
    KS_FETCH_BACKOFF,  /* leader unreachable: waiting replica.fetch.backoff.ms */
} KsFetchState;

typedef struct {
    KsReplica *replica; /* follower replica */
    int32_t leader_epoch;
    int64_t upto;        /* copy the leader's log up to here */
    int64_t hw;          /* leader's HW when it answered */
    int64_t truncate_to; /* >= 0: truncate to this first (epoch reconciliation) */
    bool throttled;      /* the replication throttle held records back (reassign.c) */
} KsFetchAnswer;

/*
 * Fetch sessions are incremental (KIP-227): a request names only partitions
 * whose fetch position changed, a response carries only partitions with new
 * records or a new high watermark. Here a replica is "dirty" from the moment
 * its leader appends or moves the HW, or its own log changes, until the
 * next response that carries it. A clean replica's position at the leader
 * has not changed: it was caught up at the session's latest fetch
 * (last_arrival), which the leader reads when it needs lastCaughtUpTime. So
 * a round trip costs the partitions that changed, not the whole session.
 */
struct KsFetcher {
    /* Written by fetcher.c only. */
    KsBroker *follower;
    KsBroker *leader;
    GPtrArray *replicas; /* of KsReplica*: the follower's replicas led by `leader` */
    GPtrArray *dirty;    /* of KsReplica*: the changed ones (entries of replicas that
                            left the session are skipped) */
    KsTime last_arrival; /* when the latest request reached the leader */
    KsTime sent_at;      /* when the latest request left the follower */
    bool connected;      /* a request reached the leader since the last failure */
    bool silenced;       /* waiting for the timeout of a request into silence */
    KsFetchState state;
    uint64_t gen;              /* bumps when a request is abandoned */
    KsDelayed park;            /* the request, parked at the leader (DelayedFetch) */
    KsDelayedTimeouts parking; /* the leader's timeout for it */
    GArray *answers;           /* of KsFetchAnswer: the response in flight */
    /* replica.fetch.min.bytes of the follower (its Fetch's MinBytes) and,
     * while parked with MinBytes > 1, the bytes the leader could answer
     * with (DelayedFetch.tryComplete's accumulatedSize) and each replica's
     * share of it, by fetcher_slot (-1: not in the parked request). */
    int64_t min_bytes;
    int64_t parked_bytes;
    GArray *counted; /* of int64_t, parallel to replicas */
};

/* One batch of a produce request, as the broker sees it. */
typedef struct {
    KsPartition *part; /* any topic's: its id is sim-wide */
    int32_t producer_epoch;
    int64_t epoch_base_seq; /* where that producer epoch starts (KIP-360) */
    int64_t first_seq;
    int64_t count;
    KsProducerBatch *batch; /* the producer's batch; NULL for acks=0 (settled at send) */
    int error;              /* KsKafkaError */
    int32_t leader_epoch;   /* the epoch the leader took it in; -1: not taken (broker.c) */
    KsProduceWait *wait;    /* acks=all: its wait at the leader, while waiting */
    /* KIP-951, with NOT_LEADER_OR_FOLLOWER: the leader and epoch the
     * answering broker knows (KS_NO_BROKER, -1: none); producer.c. */
    KsBrokerId current_leader;
    int32_t current_epoch;
} KsRequestBatch;

/* A produce request from one producer to one broker. Engine events carry
 * it by pointer: it lives, in its connection's list, until its response is
 * handled (acks=0: until it reaches the broker). */
struct KsProduceRequest {
    GList link; /* its node in the connection's requests (data: the request) */
    KsConnection *conn;
    KsTime sent;
    KsDelayed parked; /* acks=all, in the broker's purgatory until request.timeout.ms */
    GArray *batches;  /* of KsRequestBatch */
    int pending;      /* batches waiting for the HW (acks=all) */
    bool serving;     /* the broker is still going through it */
};

/* acks=all: one batch of a request waiting at the leader for its HW. */
struct KsProduceWait {
    KsWatch watch;   /* first: on @key, need = the HW that covers it */
    KsWatchKey *key; /* part->waits, or part->zombie_waits at a zombie leader */
    KsProduceRequest *request;
    KsPartition *part;
    guint batch;               /* index in request->batches */
    KsProduceWait *next_spare; /* in its broker's free list, once done */
};

/* broker.c: LeaderAndIsr, produce, the ISR task and the process. */
/* A topic config as broker @b (NULL: a broker with no own configs) reads
 * it (LogConfig.fromProps over KafkaConfig.extractLogConfigMap): the
 * topic's own setting, else @b's broker line, else `set`, else Kafka's. */
int64_t ks_topic_config(const KsSim *sim, const KsTopic *topic, const KsBroker *b, KsConfigKey key);
/* Partition.effectiveMinIsr: the leader's min.insync.replicas, at most the
 * replication factor. */
int32_t ks_partition_min_isr(const KsSim *sim, const KsPartition *part);
/* Partition.isUnderMinIsr: the ISR is smaller than ks_partition_min_isr. */
bool ks_partition_under_min_isr(const KsSim *sim, const KsPartition *part);
/* ReplicaManager.becomeLeaderOrFollower for one partition, when a
 * LeaderAndIsr reaches @replica's broker: it leads in @epoch if @leader is
 * its broker, else follows @leader (KS_NO_BROKER: stops, StopReplica). */
void ks_broker_apply_leader_and_isr(KsSim *sim, KsReplica *replica, KsBrokerId leader,
                                    int32_t epoch);
/* The replica acting as @part's leader stops acting (none: nothing). */
void ks_broker_step_down(KsSim *sim, KsPartition *part);
/* A follower of @part caught up: its leader proposes it joins the ISR. */
void ks_broker_propose_isr_expand(KsSim *sim, KsPartition *part, KsReplica *replica);
/* The net handler of the controller's answer to an AlterPartition. */
void ks_broker_alter_partition_answered(KsSim *sim, void *ctx, uint64_t arg, bool delivered);
/* UpdateMetadata changed the live brokers in @b's metadata cache: a
 * follower that became alive there may join the ISR of what @b leads
 * (Partition.isReplicaIsrEligible reads the cache). */
void ks_broker_live_brokers_changed(KsSim *sim, KsBroker *b);
void ks_broker_maybe_advance_hw(KsSim *sim, KsPartition *part);
/* The leader of @part appends @count records of its own (the group
 * coordinator's offset commits); returns the log end after them. */
int64_t ks_broker_append_internal(KsSim *sim, KsPartition *part, int64_t count);
/* Sets up the broker's end of a producer connection (its purgatory). */
void ks_broker_init_connection(KsSim *sim, KsConnection *conn);
/* A produce request reaches its broker (KafkaApis.handleProduceRequest). */
void ks_broker_handle_produce(KsSim *sim, KsProduceRequest *req);
/* Answers every acks=all write parked at @part's leader with @err. */
void ks_broker_fail_waits(KsSim *sim, KsPartition *part, KsKafkaError err);
/* Answers with @err the acks=all writes parked at broker @b as a zombie
 * leader of @part (it was told, or its process stopped). */
void ks_broker_fail_zombie_waits(KsSim *sim, KsPartition *part, const KsBroker *b,
                                 KsKafkaError err);
/* Builds broker @pb (its slot is the next one) and adds it to the sim. */
KsBroker *ks_broker_add(KsSim *sim, const KsPlanBroker *pb);
void ks_broker_free(KsBroker *broker);
/* Starts @b's process (@type: started or restarted); the start fails, with
 * an event, while its previous ZooKeeper session lives. */
void ks_broker_restart(KsSim *sim, KsBroker *broker, KsEventType type);
/* stop-broker: controlled shutdown, with its retries, then the stop. */
void ks_broker_stop_controlled(KsSim *sim, KsBroker *broker);
/* crash-broker: the process dies at once. */
void ks_broker_crash_process(KsSim *sim, KsBroker *broker);

/* disk.c: the flush rules of @r's log (its broker's, with its topic's own
 * flush.messages and flush.ms). Call ks_replica_writeback before changing
 * @r's log and ks_replica_written after appending to it (log.c). */
KsFlushPolicy ks_replica_flush_policy(const KsReplica *r);
void ks_replica_writeback(KsSim *sim, KsReplica *r);
void ks_replica_written(KsSim *sim, KsReplica *r);

/* disk.c: @b's flush settings, from its configs; its process stops (the
 * log flusher with it), starts, or shuts down cleanly (every log flushed);
 * its machine loses power (after its process died): every log goes back to
 * what was on disk. */
void ks_disk_init_broker(KsSim *sim, KsBroker *b);
void ks_disk_process_stops(KsSim *sim, KsBroker *b);
void ks_disk_process_starts(KsSim *sim, KsBroker *b);
void ks_disk_clean_shutdown(KsSim *sim, KsBroker *b);
void ks_disk_power_loss(KsSim *sim, KsBroker *b);

/* fetcher.c: follower fetch sessions (ReplicaFetcherThread). */
/* lastCaughtUpTime of follower @r as its leader sees it. */
KsTime ks_fetcher_last_caught_up(const KsReplica *r);
/* The leader's log or HW of @part changed: every follower hears of it. */
void ks_fetcher_mark_followers_dirty(KsPartition *part);
/* Answers every follower session parked at @part's leader that covers it. */
void ks_fetcher_wake_parked(KsSim *sim, KsPartition *part);
/* @r joins its broker's session with @leader and is fetched for. */
void ks_fetcher_join(KsSim *sim, KsReplica *r, KsBroker *leader);
/* @r leaves its session, if it is in one. */
void ks_fetcher_remove(KsReplica *r);
/* @b's process died: its sessions and those fetching from it break. */
void ks_fetcher_broker_died(KsSim *sim, KsBroker *b);
/* Frees one entry of KsBroker.fetchers (NULL: none). */
void ks_fetcher_free(gpointer data);
