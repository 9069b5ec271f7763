/* SPDX-License-Identifier: MIT */
/*
 * model.h - the core of the simulated cluster's state: the sim, nodes,
 * brokers, topics, partitions, replicas and their logs, which every model
 * module reads.
 *
 * Private to sim/ (and to the tests of the model). The model modules (net,
 * purgatory, registry, broker, fetcher, controller, producer, ledger)
 * include it after their own private header; each module's own state and
 * functions are in that header (broker-private.h, controller-private.h,
 * producer-private.h, registry-private.h, ledger.h, net.h, purgatory.h), and
 * a module includes another's header only to call it. The views (output-*.c,
 * check.c) never include it: they read the run through kafkasim/query.h,
 * which query.c implements on top of this state.
 *
 * Each struct says which module writes each group of fields; everyone else
 * only reads them. Everything lives as long as the KsSim that owns it:
 * brokers, partitions, replicas and clients are never freed during a run,
 * which is what lets them embed engine timers.
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
/* Owned by other modules, defined in their private headers. */
typedef struct KsFetcher KsFetcher;                     /* broker-private.h */
typedef struct KsFetchSessionCache KsFetchSessionCache; /* fetch-session.c */
typedef struct KsProducer KsProducer;                   /* producer-private.h */
typedef struct KsRegistry KsRegistry;                   /* registry-private.h */
typedef struct KsMetadata KsMetadata;                   /* metadata-private.h */
typedef struct KsFlume KsFlume;                         /* flume-private.h */
typedef struct KsZkEnsemble KsZkEnsemble;               /* zk-ensemble.h */

/* Written by sim.c (built) and broker.c (crash-node, restart-node). */
struct KsNode {
    char *name;
    char *zone; /* NULL: none */
    bool up;
    struct KsCapacityNode *cap; /* capacity.c: its type and load; NULL: unlimited */
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

/*
 * What of a log is on disk (log.c's flush rules). Kafka writes records to
 * the page cache and fsyncs only when its own flush settings say so; the
 * operating system writes dirty pages back on its own schedule. A process
 * crash loses nothing (the page cache survives); a power loss keeps only
 * `durable`.
 */
typedef struct {
    int64_t recovery_point; /* Kafka's: flushed by its own fsync (UnifiedLog.recoveryPoint) */
    KsTime last_flush;      /* when Kafka last flushed it (LocalLog.lastFlushTime) */
    int64_t durable;        /* on disk: fsynced, or written back by the operating system */
    KsTime dirty_since;     /* the file turned dirty (the inode's dirtied_when); -1: clean */
    KsTime checked;         /* the flush rules are applied up to this time */
} KsLogDisk;

typedef struct {
    GArray *runs; /* of KsLogRun, by offset, contiguous from 0 */
    int64_t end;  /* log end offset (LEO) */
    KsLogDisk disk;
} KsLog;

/* When a log is flushed: Kafka's settings for it and its machine's
 * writeback (see log.c). Durations are KsTime; KS_TIME_NEVER: never. */
typedef struct {
    int64_t flush_messages;  /* flush.messages (log.flush.interval.messages) */
    KsTime flush_ms;         /* flush.ms (log.flush.interval.ms) */
    KsTime flusher_start;    /* the log flusher's first run (its process's start + 30 s);
                                KS_TIME_NEVER while the process is down */
    KsTime flusher_interval; /* log.flush.scheduler.interval.ms */
    KsTime dirty_expire;     /* vm.dirty_expire_centisecs */
    KsTime writeback;        /* vm.dirty_writeback_centisecs; KS_TIME_NEVER: 0, off */
} KsFlushPolicy;

/* Offsets [to, from) truncated from a replica at time t. */
typedef struct {
    KsTime t;
    int64_t from;    /* its log end before */
    int64_t to;      /* its log end after */
    bool power_loss; /* its machine lost power: what was not on disk is gone */
} KsTruncation;

/* One entry of a replica's leader-epoch cache (KIP-101). */
typedef struct {
    int32_t epoch;
    int64_t start;
} KsEpochEntry;

struct KsReplica {
    /* Set once by sim.c. */
    KsPartition *part;
    KsBroker *broker;
    /* Written by broker.c (appends, ISR, HW) and fetcher.c (copies,
     * truncation); the ISR flag follows ks_partition_set_isr(). */
    bool in_isr; /* its broker is in the partition's ISR */
    KsLog log;
    GArray *epochs; /* of KsEpochEntry: epochs and start offsets both increasing */
    int64_t hw;     /* this replica's high watermark */
    /* Kept by the leader about this replica as a follower (Replica.scala):
     * written by fetcher.c on each fetch, reset by broker.c on a new epoch. */
    int64_t fetch_leo; /* follower's LEO as of its last fetch */
    KsTime last_fetch; /* time of its last fetch */
    int64_t leader_leo_at_last_fetch;
    KsTime last_caught_up; /* lastCaughtUpTimeMs */
    /* Kept by the follower: written by fetcher.c (must_truncate also by
     * broker.c when it becomes a follower or leader). */
    bool must_truncate; /* became follower: reconcile with the leader first */
    KsFetcher *fetcher; /* the fetch session it is in, or NULL */
    int fetcher_slot;   /* its index in that session */
    bool dirty;         /* in its session's incremental fetch (see KsFetcher) */
    /* What its broker last learnt from the controller (LeaderAndIsr), and
     * whether the leader's AlterPartition in flight adds or removes it:
     * written by broker.c. */
    int32_t known_epoch;     /* leader epoch of the latest LeaderAndIsr applied */
    KsBrokerId known_leader; /* the leader it names (KS_NO_BROKER: StopReplica) */
    bool isr_change_pending; /* in the leader's AlterPartition in flight */
    /* What truncation removed from this replica, oldest first (fetcher.c),
     * for the views (describe log); NULL until the first truncation. */
    GArray *truncations; /* of KsTruncation */
    /* Its machine lost power while it was in the ISR, so it may lack what
     * the ISR promised (broker.c; cleared when it leaves the ISR). */
    bool power_cut;
    /* The leader epoch it led in when a power loss cut its log (disk.c);
     * -1: none. Leading again in that epoch, it writes over offsets its
     * followers hold in it (broker.c reads it when it answers). */
    int32_t power_cut_epoch;
};

/* The leader's AlterPartition in flight for a partition (Partition.scala's
 * PendingExpandIsr / PendingShrinkIsr): written by broker.c. */
typedef struct {
    bool inflight;
    bool shrink;     /* removes the replicas flagged isr_change_pending, else adds */
    int32_t epoch;   /* the leader epoch it was sent under */
    KsBrokerId from; /* the leader that sent it */
    uint32_t gen;    /* +1 at every proposal and every reset: tells stale answers */
} KsAlterIsr;

struct KsPartition {
    /* Set once by sim.c. */
    KsTopic *topic;
    int32_t index; /* within its topic */
    int32_t id;    /* sim-wide, stable: creation order across topics */
    int32_t n_replicas;
    KsReplica **replicas; /* assignment order: replicas[0] is the preferred leader;
                             reassign.c replaces the array while a reassignment runs */
    /* Owned storage of every replica it ever had: the block it was created
     * with (n_block of them), then those reassignments added (NULL: none).
     * A replica a reassignment removed stays allocated, out of `replicas`,
     * so a pointer an engine event still holds is never dangling. */
    KsReplica *replica_block;
    int32_t n_block;
    GPtrArray *added_replicas; /* of KsReplica*, owned */
    /* Written by controller.c: what ZooKeeper holds and the controller
     * decided (leader, epoch, ISR, including the ISR changes it commits for
     * a leader's AlterPartition). */
    KsBrokerId leader; /* KS_NO_BROKER: offline */
    int32_t leader_epoch;
    GArray *isr; /* of KsBrokerId, in stored order; change it only with
                    ks_partition_set_isr() and friends */
    /* Written by broker.c: the replica that acts as leader (its broker
     * applied the LeaderAndIsr naming it; the controller's choice above may
     * be ahead of it) and the epoch it leads in; the AlterPartition it has
     * in flight. */
    KsReplica *leader_replica;    /* NULL: none acts (offline, or not told yet) */
    KsReplica *zombie;            /* a former leader, cut off, that has not been told: it
                                   * still takes writes (while its process lives) */
    uint64_t zombie_incarnation;  /* its process then (net.c) */
    int32_t zombie_epoch;         /* the leader epoch it still writes in */
    int32_t leader_replica_epoch; /* the leader epoch it acts in */
    KsAlterIsr alter;
    /* Written by broker.c. */
    KsWatchKey waits;         /* of KsProduceWait*: acks=all writes waiting for the HW, by
                                 required HW (purgatory.c) */
    KsWatchKey zombie_waits;  /* of KsProduceWait*: acks=all writes waiting at a zombie
                                 leader, whose HW no longer moves: they time out, or fail
                                 when it is told or dies */
    KsTime unavailable_since; /* -1: available */
    KsTime unavailable_us;
    /* Written by ledger.c. */
    struct KsLedgerPartition *ledger; /* ledger.c's accounts of it, NULL until used */
    /* consumer-seek.c's time index (batches' timestamps); NULL unless the
     * scenario seeks by time. */
    GArray *times;
};

struct KsTopic {
    /* Set once by sim.c, except `created` (controller.c). */
    char *name;
    int index;
    int32_t n_partitions;
    int32_t replication_factor;
    KsPartition **partitions;     /* n_partitions of them, by index; `add partitions` grows
                                     the array (partitions themselves never move) */
    KsPartition *partition_block; /* owned: the partitions it was created with */
    int32_t n_partition_block;
    GPtrArray *added_partitions; /* of KsPartition*, owned: added later; NULL: none */
    /* The topic's own value, else `set`'s: for a broker without its own
     * (queries). The model reads ks_topic_config(), which asks the leader
     * (min.insync.replicas) or the controller (unclean election) first. */
    int32_t min_insync;
    bool unclean_election;
    /* Its own flush.messages and flush.ms (or `set`'s); -1: its brokers'
     * log.flush.interval.messages and log.flush.interval.ms (broker.c). */
    int64_t flush_messages;
    KsTime flush_ms;
    bool created; /* the controller has created its partitions */
    const KsPlanTopic *plan;
    int64_t leader_elections; /* leader changes the controller made (controller.c) */
};

struct KsBroker {
    /* Set once by broker.c (ks_broker_add). */
    KsSim *sim; /* owner, for engine callbacks */
    KsBrokerId id;
    int slot; /* stable: creation order, never reused (KsSim.brokers is sorted by id) */
    KsNode *node;
    KsNetEndpoint ep; /* the process, as the network sees it (net.c) */
    char *rack;
    const KsPlanBroker *plan;
    /* Written by broker.c. */
    bool alive;                        /* process running (ep.up says the same to net.c) */
    struct KsProduceWait *spare_waits; /* acks=all waits free for reuse (next_spare) */
    /* ZooKeeper session: written by registry.c. */
    bool registered;       /* its /brokers/ids node exists */
    KsTimer session_timer; /* expiry of a dead broker's session */
    KsTime registered_at;  /* its session was created (ZooKeeper touched it) */
    bool zk_lost;          /* alive but cut off from the quorum, or paused: no pings */
    /* The controller's view: written by controller.c. */
    bool ctrl_live;     /* live in the controller's view (controllerContext) */
    bool shutting_down; /* in the controller's shuttingDownBrokerIds */
    /* Controlled shutdown: written by broker.c. */
    int shutdown_attempts;      /* controlled shutdown requests left, while stopping */
    KsTime shutting_down_since; /* its controlled shutdown began; -1: not stopping */
    /* The controller's requests to it (ControllerChannelManager's queue):
     * written by controller.c. */
    struct KsControllerQueue *ctrl_queue;
    /* Set up by sim.c (replicas) and broker.c (sessions, configs);
     * fetchers written by fetcher.c. */
    GPtrArray *replicas;    /* of KsReplica* hosted here */
    GPtrArray *fetchers;    /* of KsFetcher*, by leader broker slot, created on demand */
    KsTime lag_max;         /* replica.lag.time.max.ms */
    KsTime fetch_wait_max;  /* replica.fetch.wait.max.ms */
    KsTime fetch_backoff;   /* replica.fetch.backoff.ms */
    KsTime request_timeout; /* request.timeout.ms (its fetcher's NetworkClient) */
    KsTime connect_timeout; /* the lesser of replica.socket.timeout.ms and
                               socket.connection.setup.timeout.ms */
    KsTime session_timeout; /* zookeeper.session.timeout.ms */
    KsFlushPolicy flush;    /* when its logs reach the disk (log.c); topics may override */
    /* Records through it, for the views (describe brokers): appended as
     * leader (producers, group commits; broker.c), copied from leaders and
     * sent to followers (fetcher.c), sent to consumers (consumer-fetch.c). */
    int64_t records_in;
    int64_t records_replicated_in;
    int64_t records_replicated_out;
    int64_t records_out;
    /* Consumer fetches parked here (DelayedFetch), in no order; nodes are
     * their own links (consumer-fetch.c). */
    GQueue consumer_fetches_parked;
    /* Consumer fetch sessions (KIP-227): written by fetch-session.c. */
    KsFetchSessionCache *fetch_sessions;
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
    /* The group APIs (group.c, consumer.c). */
    KS_ERR_COORDINATOR_LOAD_IN_PROGRESS = 14,
    KS_ERR_COORDINATOR_NOT_AVAILABLE = 15,
    KS_ERR_NOT_COORDINATOR = 16,
    KS_ERR_ILLEGAL_GENERATION = 22,
    KS_ERR_INCONSISTENT_GROUP_PROTOCOL = 23,
    KS_ERR_UNKNOWN_MEMBER_ID = 25,
    KS_ERR_INVALID_SESSION_TIMEOUT = 26,
    KS_ERR_REBALANCE_IN_PROGRESS = 27,
    KS_ERR_MEMBER_ID_REQUIRED = 79,
    KS_ERR_FENCED_INSTANCE_ID = 82,
    /* DeleteGroups (group-load.c). */
    KS_ERR_NON_EMPTY_GROUP = 68,
    KS_ERR_GROUP_ID_NOT_FOUND = 69,
    /* Fetch sessions (fetch-session.c). */
    KS_ERR_FETCH_SESSION_ID_NOT_FOUND = 70,
    KS_ERR_INVALID_FETCH_SESSION_EPOCH = 71,
} KsKafkaError;

const char *ks_kafka_error_name(KsKafkaError err);

typedef struct {
    KsEventSinkFn fn;
    void *ctx;
} KsSink;

struct KsSim {
    /* Built by sim.c (brokers by broker.c, consoles by producer.c). */
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
    KsNet net;                   /* messages in flight (net.c) */
    struct KsCapacity *capacity; /* machines' limits and cost (capacity.c); NULL: none typed */
    struct KsScaling *scaling;   /* brokers added at run time (scaling.c); NULL: none yet */
    struct KsReassign *reassign; /* partition reassignments (reassign.c); NULL: none yet */
    struct KsLedger *ledger;     /* what became of every record (ledger.c) */
    KsRegistry *registry;        /* ZooKeeper: sessions, /controller (registry.c) */
    KsMetadata *metadata;        /* the brokers' metadata caches (metadata.c) */
    KsZkEnsemble *zk;            /* the ZooKeeper servers and their quorum (zk-ensemble.c) */
    GPtrArray *flumes;           /* of KsFlume*, declaration order (flume.c) */
    /* Views: written by sim.c; stats counted by the modules that see
     * what they count. */
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
    bool verbose; /* requests are emitted too (ks_sim_set_verbose) */
};

/* sim.c */
void ks_sim_emit(KsSim *sim, const KsEvent *event);
/* Emits a request event when the sim is verbose (check sim->verbose before
 * building @detail): @api is Kafka's request name, @from its sender. */
void ks_sim_emit_request(KsSim *sim, const char *api, const char *from, KsBrokerId to,
                         const char *detail);
KsBroker *ks_sim_find_broker(const KsSim *sim, KsBrokerId id);
KsNode *ks_sim_find_node(const KsSim *sim, const char *name);
KsTopic *ks_sim_find_topic(const KsSim *sim, const char *name);
KsProducer *ks_sim_find_producer(const KsSim *sim, const char *name);
/* Builds partition @index of @t into @part (zeroed storage the topic owns):
 * its replicas on brokers @ids (@rf of them, in assignment order), no
 * leader yet, a sim-wide id. */
void ks_sim_init_partition(KsSim *sim, KsTopic *t, KsPartition *part, int32_t index,
                           const KsBrokerId *ids, int32_t rf);
/* A zeroed partition for @t to add, owned by @t. */
KsPartition *ks_sim_new_partition(KsTopic *t);
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
/* The leader epoch @offset was appended in; -1 if @log does not hold it. */
int32_t ks_log_epoch_at(const KsLog *log, int64_t offset);
/* The flush rules (log.c): call ks_log_writeback before every change of
 * @log's end (an append, a copy, a truncation) and whenever its disk state
 * is read, ks_log_written after an append or a copy. */
void ks_log_writeback(KsLog *log, const KsFlushPolicy *p, KsTime now);
void ks_log_written(KsLog *log, const KsFlushPolicy *p, KsTime now);
/* Kafka fsyncs the whole log (UnifiedLog.flush): a clean shutdown. */
void ks_log_flush(KsLog *log, KsTime now);
/* The machine lost power: the log goes back to what is on disk. Returns how
 * many records went. */
int64_t ks_log_power_loss(KsLog *log);
void ks_epochs_assign(GArray *epochs, int32_t epoch, int64_t start);
void ks_epochs_truncate_from_end(GArray *epochs, int64_t end);
int32_t ks_epochs_latest(const GArray *epochs);
void ks_epochs_end_offset_for(const GArray *epochs, int32_t requested, int64_t leo,
                              int32_t *out_epoch, int64_t *out_end);

/* Partitions: implemented in broker.c, which owns the ISR. */
/* A new replica of @part on @b, with an empty log, hosted by @b (added to
 * b->replicas); ks_replica_clear frees what it holds, not @r itself. */
void ks_replica_init(KsReplica *r, KsPartition *part, KsBroker *b);
void ks_replica_clear(KsReplica *r);
/* ks_replica_clear, then frees @p (a KsReplica* allocated alone). */
void ks_replica_free(gpointer p);
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
void ks_partition_update_availability(KsSim *sim, KsPartition *part);
bool ks_partition_available(const KsSim *sim, const KsPartition *part);
