/* SPDX-License-Identifier: MIT */
/*
 * model.h - the simulated cluster's state, shared by the model modules.
 *
 * Private to sim/. The model modules (net, purgatory, registry, broker,
 * controller, producer, ledger) change this state; the views (output-*.c, check.c) only
 * read it. Everything lives as long as the KsSim that owns it: brokers,
 * partitions, replicas and clients are never freed during a run, which is
 * what lets them embed engine timers.
 *
 * Sizes in the large benchmark: 300 brokers, 30,000 partitions, 90,000
 * replicas. Replicas are allocated per partition in one array; a log is a
 * short array of runs (see KsLogRun), not of records, so memory does not
 * grow with traffic.
 */
#pragma once

#include <stdbool.h>
#include <stdint.h>

#include <glib.h>

#include "kafkasim/config.h"
#include "kafkasim/engine.h"
#include "kafkasim/event.h"
#include "kafkasim/partitioner.h"
#include "kafkasim/plan.h"
#include "kafkasim/query.h"
#include "kafkasim/rng.h"
#include "kafkasim/sim.h"
#include "kafkasim/types.h"
#include "net.h"
#include "purgatory.h"

typedef struct KsNode KsNode;
typedef struct KsBroker KsBroker;
typedef struct KsTopic KsTopic;
typedef struct KsPartition KsPartition;
typedef struct KsReplica KsReplica;
typedef struct KsFetcher KsFetcher;
typedef struct KsProducer KsProducer;
typedef struct KsProduceRequest KsProduceRequest;
typedef struct KsProduceWait KsProduceWait;
typedef struct KsConnection KsConnection;

struct KsNode {
    char *name;
    char *zone; /* NULL: none */
    bool up;
};

/*
 * A run of consecutive records in one log, appended under one leader epoch
 * by one producer with consecutive sequence numbers. Kafka stores batches;
 * a run is what adjacent batches become when nothing distinguishes them, so
 * a log written by one producer under one leader is one run, however long.
 * Producers writing the same partition interleave their batches, and then
 * there is a run per batch. The identity of a record is (producer,
 * partition, sequence): the ledger uses it to tell an acknowledged record
 * that survived from one that was truncated away.
 */
typedef struct {
    int64_t base; /* offset of the first record */
    int64_t count;
    int32_t epoch;          /* leader epoch it was appended in */
    int32_t producer;       /* index of the producer, -1 for none */
    int32_t producer_epoch; /* the idempotent producer's epoch (KIP-360) */
    int64_t first_seq;      /* producer's sequence number of the first record */
} KsLogRun;

typedef struct {
    GArray *runs; /* of KsLogRun, by offset, contiguous from 0 */
    int64_t end;  /* log end offset (LEO) */
} KsLog;

/* One entry of a replica's leader-epoch cache (KIP-101). */
typedef struct {
    int32_t epoch;
    int64_t start;
} KsEpochEntry;

struct KsReplica {
    KsPartition *part;
    KsBroker *broker;
    bool in_isr; /* its broker is in the partition's ISR */
    KsLog log;
    GArray *epochs; /* of KsEpochEntry: epochs and start offsets both increasing */
    int64_t hw;     /* this replica's high watermark */
    /* Kept by the leader about this replica as a follower (Replica.scala). */
    int64_t fetch_leo; /* follower's LEO as of its last fetch */
    KsTime last_fetch; /* time of its last fetch */
    int64_t leader_leo_at_last_fetch;
    KsTime last_caught_up; /* lastCaughtUpTimeMs */
    /* Kept by the follower. */
    bool must_truncate; /* became follower: reconcile with the leader first */
    KsFetcher *fetcher; /* the fetch session it is in, or NULL */
    int fetcher_slot;   /* its index in that session */
    bool dirty;         /* in its session's incremental fetch (see KsFetcher) */
};

struct KsPartition {
    KsTopic *topic;
    int32_t index; /* within its topic */
    int32_t id;    /* sim-wide, stable: creation order across topics */
    int32_t n_replicas;
    KsReplica *replicas;       /* assignment order: replicas[0] is the preferred leader */
    KsBrokerId leader;         /* KS_NO_BROKER: offline */
    KsReplica *leader_replica; /* the leader's replica, NULL when offline */
    int32_t leader_epoch;
    GArray *isr;              /* of KsBrokerId, in stored order; change it only with
                                 ks_partition_set_isr() and friends */
    KsWatchKey waits;         /* of KsProduceWait*: acks=all writes waiting for the HW, by
                                 required HW (purgatory.c) */
    KsTime unavailable_since; /* -1: available */
    KsTime unavailable_us;
    struct KsLedgerPartition *ledger; /* ledger.c's accounts of it, NULL until used */
};

struct KsTopic {
    char *name;
    int index;
    int32_t n_partitions;
    int32_t replication_factor;
    KsPartition *partitions;
    int32_t min_insync;
    bool unclean_election;
    bool created; /* the controller has created its partitions */
    const KsPlanTopic *plan;
};

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
    KsBroker *follower;
    KsBroker *leader;
    GPtrArray *replicas; /* of KsReplica*: the follower's replicas led by `leader` */
    GPtrArray *dirty;    /* of KsReplica*: the changed ones (entries of replicas that
                            left the session are skipped) */
    KsTime last_arrival; /* when the latest request reached the leader */
    KsFetchState state;
    uint64_t gen;              /* bumps when a request is abandoned */
    KsDelayed park;            /* the request, parked at the leader (DelayedFetch) */
    KsDelayedTimeouts parking; /* the leader's timeout for it */
    GArray *answers;           /* of KsFetchAnswer: the response in flight */
};

struct KsBroker {
    KsSim *sim; /* owner, for engine callbacks */
    KsBrokerId id;
    int slot; /* stable: creation order, never reused (KsSim.brokers is sorted by id) */
    KsNode *node;
    KsNetEndpoint ep; /* the process, as the network sees it (net.c) */
    char *rack;
    const KsPlanBroker *plan;
    bool alive; /* process running (ep.up says the same to net.c) */
    /* ZooKeeper session (registry.c). */
    bool registered;            /* its /brokers/ids node exists */
    bool ctrl_live;             /* live in the controller's view (controllerContext) */
    bool shutting_down;         /* in the controller's shuttingDownBrokerIds */
    int shutdown_attempts;      /* controlled shutdown requests left, while stopping */
    KsTime shutting_down_since; /* its controlled shutdown began; -1: not stopping */
    KsTimer session_timer;      /* expiry of a dead broker's session */
    GPtrArray *replicas;        /* of KsReplica* hosted here */
    GPtrArray *fetchers;        /* of KsFetcher*, by leader broker slot, created on demand */
    KsTime lag_max;             /* replica.lag.time.max.ms */
    KsTime fetch_wait_max;      /* replica.fetch.wait.max.ms */
    KsTime fetch_backoff;       /* replica.fetch.backoff.ms */
    KsTime session_timeout;     /* zookeeper.session.timeout.ms */
};

/* Per-partition accumulator state of one producer (RecordAccumulator). */
typedef struct {
    GQueue batches;         /* of KsProducerBatch*, in creation order */
    int active_slot;        /* its index in KsProducer.active, -1 with no batch */
    KsBrokerId leader;      /* the producer's metadata: leader as last seen */
    KsConnection *conn;     /* the connection to that leader, NULL with none */
    bool failing;           /* its last attempt failed */
    int last_error;         /* KsKafkaError last reported while failing */
    int64_t refused;        /* records given up since it started failing */
    int64_t next_seq;       /* sequence number of its next record */
    int32_t producer_epoch; /* bumped when a gap in sequences can never be filled */
    int64_t epoch_base_seq; /* the sequence the current producer epoch starts at */
    int64_t acked_upto;     /* one past the highest acknowledged sequence */
} KsProducerPartition;

typedef struct {
    int64_t first;
    int64_t count;
} KsSeqRange;

typedef struct {
    int32_t partition;
    int64_t first_seq;
    int64_t count;
    KsTime created;     /* arrival of its first record: linger.ms, delivery.timeout.ms */
    KsTime retry_after; /* retry.backoff.ms after a failure */
    int attempts;
    bool in_flight;
} KsProducerBatch;

/*
 * A producer's connection to one broker, both ends of it: what the client
 * knows (requests in flight, failed connection attempts) and what the
 * broker holds for it (acks=all requests parked in its DelayedProduce
 * purgatory until the high watermark covers them or request.timeout.ms
 * passes). Parked requests are in arrival order, which is deadline order,
 * so one timer per connection covers them all.
 */
struct KsConnection {
    KsProducer *producer;
    KsBroker *broker;
    KsNetConn net;            /* the client's connection (net.c) */
    int in_flight;            /* requests sent and not answered (acks 1 and all) */
    int failures;             /* connection attempts that failed in a row */
    KsTime reconnect_at;      /* no attempt before this (reconnect.backoff.ms) */
    GQueue requests;          /* every live KsProduceRequest sent on it (owned) */
    KsDelayedTimeouts parked; /* acks=all requests waiting at the broker (purgatory.c) */
    int32_t leads;            /* partitions its broker leads, in the producer's metadata */
    GPtrArray *drain;         /* scratch: batches of the request being built */
};

struct KsProducer {
    KsSim *sim; /* owner, for engine callbacks */
    char *name;
    int index;
    KsTopic *topic;
    KsNode *node;
    KsNetEndpoint ep;           /* the client process (net.c) */
    const KsPlanProducer *plan; /* NULL: the console producer of `produce` */
    /* Configs, resolved. */
    int32_t acks;
    KsTime linger;
    int64_t batch_records; /* records per batch: batch.size / record size, at least 1 */
    int64_t record_size;
    int64_t max_in_flight;
    int64_t retries;
    KsTime retry_backoff;
    KsTime request_timeout;
    KsTime delivery_timeout;
    bool idempotent;
    bool ignore_keys;
    bool adaptive;
    /* Partitioning. */
    KsPartitionerKind partitioner;
    KsRoundRobin rr;
    KsSticky sticky;
    KsRng rng;
    bool has_metadata;    /* it has fetched metadata at least once */
    bool *available;      /* partitions with a leader in its metadata */
    int32_t *queue_sizes; /* batches queued per partition (adaptive sticky) */
    /* Record arrivals at the configured rate: the k-th record (1-based) after
     * rate_start arrives at rate_start + ceil(k * 1e6 / rate). Records are
     * taken into batches when the producer wakes, each with its own arrival
     * time, so no event per record is needed. */
    bool running;
    KsTime rate_start;
    int64_t rate_arrived;       /* records taken since rate_start */
    int64_t generated;          /* rate-driven records so far (the count= limit) */
    KsProducerPartition *parts; /* by partition */
    GArray *active;             /* of int32_t: partitions with batches */
    GPtrArray *conns;           /* of KsConnection* (owned), by broker slot */
    KsTimer wake;               /* next arrival, linger, retry or expiry */
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
    KsProduceWait *wait;    /* acks=all: its wait at the leader, while waiting */
} KsRequestBatch;

/* A produce request from one producer to one broker. Engine events carry
 * it by pointer: it lives, in its connection's list, until its response is
 * handled (acks=0: until it reaches the broker). */
struct KsProduceRequest {
    KsConnection *conn;
    KsTime sent;
    KsDelayed parked; /* acks=all, in the broker's purgatory until request.timeout.ms */
    GArray *batches;  /* of KsRequestBatch */
    int pending;      /* batches waiting for the HW (acks=all) */
    bool serving;     /* the broker is still going through it */
};

/* acks=all: one batch of a request waiting at the leader for its HW. */
struct KsProduceWait {
    KsWatch watch; /* first: on part->waits, need = the HW that covers it */
    KsProduceRequest *request;
    KsPartition *part;
    guint batch; /* index in request->batches */
};

/* Kafka's error codes as the model uses them (Errors.java). */
typedef enum {
    KS_ERR_NONE = 0,
    KS_ERR_REQUEST_TIMED_OUT = 7,
    KS_ERR_NOT_LEADER_OR_FOLLOWER = 6,
    KS_ERR_LEADER_NOT_AVAILABLE = 5,
    KS_ERR_NETWORK_EXCEPTION = 13,
    KS_ERR_NOT_ENOUGH_REPLICAS = 19,
    KS_ERR_NOT_ENOUGH_REPLICAS_AFTER_APPEND = 20,
    KS_ERR_OUT_OF_ORDER_SEQUENCE_NUMBER = 45,
} KsKafkaError;

const char *ks_kafka_error_name(KsKafkaError err);

struct KsSim {
    const KsPlan *plan;
    uint64_t seed;
    KsEngine *engine;
    GPtrArray *nodes;        /* of KsNode*, declaration order */
    GPtrArray *brokers;      /* of KsBroker*, sorted by id */
    GHashTable *broker_ids;  /* id -> KsBroker*, for lookup only (never iterated) */
    GPtrArray *broker_slots; /* of KsBroker*, by slot */
    int32_t n_partitions;    /* partitions created so far: the next partition id */
    GPtrArray *topics;       /* of KsTopic*, declaration order */
    GPtrArray *producers;    /* of KsProducer*: declared ones, then consoles */
    KsProducer **consoles;   /* by topic index: the producer of `produce` actions
                                that name none, created on first use */
    /* Consumer groups (group.c, consumer.c). */
    GPtrArray *groups;         /* of KsGroup*, sorted by name, created on first use */
    GPtrArray *consumers;      /* of KsConsumer*: declared ones, then those started later */
    KsTopic *offsets_topic;    /* __consumer_offsets; NULL until first FindCoordinator */
    KsPlanTopic *offsets_plan; /* its declaration, made by the model (owned) */
    KsConfigSet *defaults;
    KsNet net;               /* messages in flight (net.c) */
    struct KsLedger *ledger; /* what became of every record (ledger.c) */
    /* Registry and controller. */
    KsBrokerId controller;      /* KS_NO_BROKER: none */
    bool broker_change_pending; /* a /brokers/ids watch event is queued */
    int32_t controller_epoch;
    KsRng registry_rng;
    /* Views. */
    GArray *sinks; /* of KsSink */
    KsSimStats stats;
    GPtrArray *expect_results; /* of KsExpectResult*, in check order */
    /* Timeline actions, indexed by their engine events' argument: the
     * plan's (borrowed), then those added while running (owned, also in
     * added_actions). */
    GPtrArray *actions;
    GPtrArray *added_actions; /* of KsPlanAction*, owned */
    KsTime end;
    bool started;
};

/* sim.c */
void ks_sim_emit(KsSim *sim, const KsEvent *event);
KsBroker *ks_sim_find_broker(const KsSim *sim, KsBrokerId id);
KsNode *ks_sim_find_node(const KsSim *sim, const char *name);
KsTopic *ks_sim_find_topic(const KsSim *sim, const char *name);
KsProducer *ks_sim_find_producer(const KsSim *sim, const char *name);
/* Creates the internal topic @pt (owned by the caller, outliving the sim)
 * through the controller, as Kafka's auto topic creation does. */
KsTopic *ks_sim_create_internal_topic(KsSim *sim, const KsPlanTopic *pt, GError **error);
/* The topics sorted by name, in a new array that owns nothing. */
GPtrArray *ks_sim_sorted_topics(const KsSim *sim);

/* log.c: the log, its runs and the leader-epoch cache. */
void ks_log_init(KsLog *log);
void ks_log_clear(KsLog *log);
void ks_log_append(KsLog *log, int64_t count, int32_t epoch, int32_t producer,
                   int32_t producer_epoch, int64_t first_seq);
guint ks_log_copy(KsLog *dst, const KsLog *src, int64_t upto);
void ks_log_truncate(KsLog *log, int64_t offset);
void ks_epochs_assign(GArray *epochs, int32_t epoch, int64_t start);
void ks_epochs_truncate_from_end(GArray *epochs, int64_t end);
int32_t ks_epochs_latest(const GArray *epochs);
void ks_epochs_end_offset_for(const GArray *epochs, int32_t requested, int64_t leo,
                              int32_t *out_epoch, int64_t *out_end);

/* broker.c: replica manager: appends, fetch sessions, ISR, high watermark. */
KsReplica *ks_partition_replica(KsPartition *part, KsBrokerId id);
bool ks_partition_in_isr(const KsPartition *part, KsBrokerId id);
KsReplica *ks_partition_leader_replica(KsPartition *part);
/* The ISR as an array of ids, in stored order (part->isr->len of them). */
static inline const KsBrokerId *ks_partition_isr_ids(const KsPartition *part)
{
    return (const KsBrokerId *)(const void *)part->isr->data;
}
/* Replaces @part's ISR with @isr (taken) and keeps the replicas' in_isr
 * flags in step. */
void ks_partition_set_isr(KsPartition *part, GArray *isr);
/* Emits isr_shrunk or isr_expanded (@type) for @part's current ISR: @who
 * left or joined it, for @reason. */
void ks_partition_emit_isr_change(KsSim *sim, KsEventType type, KsPartition *part, KsBrokerId who,
                                  KsReason reason);
/* @part's leader takes the current epoch; the other replicas on live
 * brokers, except @skip (KS_NO_BROKER: none), are told to follow it. */
void ks_broker_become_leader(KsSim *sim, KsPartition *part, bool new_leader, KsBrokerId skip);
void ks_broker_become_follower(KsSim *sim, KsReplica *replica);
void ks_broker_stop_following(KsSim *sim, KsReplica *replica);
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
void ks_partition_update_availability(KsSim *sim, KsPartition *part);
bool ks_partition_available(const KsSim *sim, const KsPartition *part);

/* registry.c: ZooKeeper sessions, broker registration, /controller.
 * Registering fails (false) while the broker's previous session lives. */
void ks_registry_init_broker(KsBroker *broker);
bool ks_registry_register_broker(KsSim *sim, KsBroker *broker);
/* When a dead broker's session will expire, or -1. */
KsTime ks_registry_session_expiry(const KsBroker *broker);
void ks_registry_broker_died(KsSim *sim, KsBroker *broker);
/* The broker closes its session on a clean shutdown: its nodes go at once. */
void ks_registry_close_session(KsSim *sim, KsBroker *broker);

/* controller.c: elections and ISR changes made by the controller. */
void ks_controller_elect(KsSim *sim);
void ks_controller_failover(KsSim *sim);
void ks_controller_create_topic(KsSim *sim, KsTopic *topic);
void ks_controller_broker_change(KsSim *sim);
/* KafkaController.doControlledShutdown for @broker: returns how many
 * partitions it still leads, or -1 if there is no active controller. */
int64_t ks_controller_controlled_shutdown(KsSim *sim, KsBroker *broker);
/* kafka-leader-election --election-type PREFERRED for @topic (NULL: all)
 * and @partition (-1: all of the topic). */
void ks_controller_elect_preferred(KsSim *sim, const char *topic, int32_t partition);
void ks_controller_set_leader(KsSim *sim, KsPartition *part, KsBrokerId leader, GArray *isr,
                              KsReason reason);

/* producer.c */
KsProducer *ks_producer_new(KsSim *sim, const KsPlanProducer *plan, KsTopic *topic, int index);
void ks_producer_free(KsProducer *producer);
void ks_producer_start(KsSim *sim, KsProducer *producer);
void ks_producer_stop(KsSim *sim, KsProducer *producer);
void ks_producer_send(KsSim *sim, KsProducer *producer, int64_t count, const char *key,
                      int32_t partition);
/* The broker is done with @req: its answer leaves for the producer (acks=0:
 * it is dropped). */
void ks_producer_respond(KsSim *sim, KsProduceRequest *req);

/* check.c: ks_check_expect() is in kafkasim/query.h. */

typedef struct {
    KsEventSinkFn fn;
    void *ctx;
} KsSink;
