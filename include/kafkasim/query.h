/* SPDX-License-Identifier: MIT */
/*
 * query.h - read-only questions about a simulation: what every view shows.
 *
 * The timeline, the summary JSON, kafka-topics tables, `expect` checks, and
 * later diagrams, metrics, the HTML report and the REPL, read the cluster
 * through these functions and nothing else; the model's structs stay
 * private to sim/. Every query takes a const KsSim and never changes state:
 * no event is scheduled or run, no random number drawn, no counter moved,
 * so asking anything between two steps (sim.h) changes nothing in the run
 * that follows. The same run asked at the same moment gives the same
 * answers.
 *
 * Answers are small value structs the query fills in (KsBrokerInfo,
 * KsPartitionInfo, ...). Strings and arrays in them are borrowed from the
 * sim: names live as long as the sim; the ISR array is valid until the sim
 * runs again (the next ks_sim_step() or ks_sim_run_until()), so copy it to
 * keep it. Indices are positions in stable orders: nodes, topics and
 * producers in declaration order (console producers of `produce` last, in
 * order of first use), brokers sorted by id. An index out of range is a
 * programmer error (g_return_if_fail).
 *
 * The clock, the statistics and the expectation results are read-only
 * queries of sim.h too: ks_sim_now(), ks_sim_end(), ks_sim_next_event_time(),
 * ks_sim_get_stats(), ks_sim_expect_results(), ks_sim_all_held().
 */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <glib.h>

#include "kafkasim/plan.h"
#include "kafkasim/sim.h"
#include "kafkasim/types.h"

typedef struct {
    const char *name;
    const char *zone; /* NULL: none */
    bool up;
} KsNodeInfo;

typedef struct {
    KsBrokerId id;
    const char *node;
    const char *rack; /* broker.rack; NULL: none */
    bool alive;       /* its process runs */
    bool registered;  /* /brokers/ids/<id> exists (its ZooKeeper session lives) */
} KsBrokerInfo;

typedef struct {
    const char *name;
    size_t index; /* declaration order */
    int32_t n_partitions;
    int32_t replication_factor;
    int32_t min_insync;           /* min.insync.replicas, resolved without broker lines (a
                                     broker's own value is its topics' default) */
    bool unclean_election;        /* unclean.leader.election.enable, likewise */
    const KsConfigSet *overrides; /* the topic's own configs, as declared */
    int64_t leader_elections;     /* leader changes the controller made in it */
} KsTopicInfo;

/* A partition as the controller and its leader see it. */
typedef struct {
    const char *topic;
    int32_t partition;
    KsBrokerId leader; /* KS_NO_BROKER: offline */
    int32_t leader_epoch;
    int32_t n_replicas;    /* replicas in assignment order: ks_query_replica() */
    const KsBrokerId *isr; /* n_isr ids, in Kafka's stored order (borrowed) */
    size_t n_isr;
    /* The leader's log: -1 when there is no leader. */
    int64_t log_start_offset;
    int64_t log_end_offset;
    int64_t high_watermark;
} KsPartitionInfo;

/* One replica of a partition, as its own broker holds it. */
typedef struct {
    KsBrokerId broker;
    bool alive;     /* its broker's process runs */
    bool is_leader; /* it is the partition's current leader */
    bool in_isr;
    int64_t log_start_offset;
    int64_t log_end_offset; /* LEO */
    int64_t high_watermark; /* this replica's HW */
} KsReplicaInfo;

typedef struct {
    const char *name;
    const char *topic;
    bool console;       /* the console producer of `produce` lines naming none */
    bool running;       /* started and not stopped */
    int64_t rate_per_s; /* 0: sends only on `produce` */
    int32_t acks;       /* -1 (all), 0 or 1 */
    KsPartitionerKind partitioner;
    int32_t partition; /* KS_PARTITIONER_EXPLICIT: its partition, else -1 */
    int64_t keys;      /* distinct keys, 0: null keys */
    bool idempotent;   /* enable.idempotence, resolved */
} KsProducerInfo;

/* A node's machine and how busy it has been (capacity.c). Utilisation is
 * the share of the run so far, in thousandths, during which the link or the
 * disk was transferring: 1000 means it never rested. */
typedef struct {
    const char *type;      /* its node type; NULL: unlimited (no type) */
    int64_t bytes_out;     /* sent over its network */
    int64_t bytes_in;      /* received over its network */
    int64_t bytes_written; /* written to its disk (produce and replication) */
    int32_t network_out_permille;
    int32_t network_in_permille;
    int32_t disk_permille;
    KsTime backlog; /* how far ahead of now its busiest queue is booked */
    /* The same over the last 10 s only (the whole run if shorter): the load
     * it carries now, as describe brokers shows it. */
    int32_t recent_network_out_permille;
    int32_t recent_network_in_permille;
    int32_t recent_disk_permille;
    /* Busy time so far, for rates between two samples (metrics). */
    KsTime network_out_busy, network_in_busy, disk_busy;
    int64_t network_bytes_per_s; /* its type's network bandwidth, each way */
} KsNodeLoadInfo;

/* The kinds of data transfer the cost counts. */
typedef enum {
    KS_TRANSFER_WITHIN_ZONE,
    KS_TRANSFER_ACROSS_ZONES,
    KS_TRANSFER_ACROSS_SITES,
    KS_TRANSFER_INTERNET,
    KS_TRANSFER_N_KINDS,
} KsTransferKind;

/* One node type's share of the cost. */
typedef struct {
    const char *type;
    int32_t nodes;                 /* nodes of this type */
    KsTime machine_us;             /* their time, summed */
    int64_t price_micro_usd_per_h; /* per machine */
    int64_t machines_micro_usd;
    int64_t storage_bytes;                  /* their volumes, summed */
    int64_t storage_micro_usd_per_gb_month; /* a month is 730 hours */
    int64_t storage_micro_usd;
} KsCostTypeInfo;

/* The run's cost so far, in millionths of a US dollar (prices.h). */
typedef struct {
    int64_t machines_micro_usd;
    int64_t storage_micro_usd;
    int64_t transfer_bytes[KS_TRANSFER_N_KINDS];
    int64_t transfer_micro_usd[KS_TRANSFER_N_KINDS];
    int64_t total_micro_usd;
} KsCostInfo;

/* The plan the sim runs (borrowed). */
const KsPlan *ks_query_plan(const KsSim *sim);

/* The run's seed (the --seed override, else the plan's, else 1). */
uint64_t ks_query_seed(const KsSim *sim);

size_t ks_query_n_nodes(const KsSim *sim);
void ks_query_node(const KsSim *sim, size_t index, KsNodeInfo *out);
/* Node @index's load so far (all zero, type NULL, for a node without a
 * type: it has no limits to measure against). */
void ks_query_node_load(const KsSim *sim, size_t index, KsNodeLoadInfo *out);

/* Whether the run is priced: some node has a type. Only then do the
 * summary and the timeline show a cost. */
bool ks_query_has_cost(const KsSim *sim);
/* The cost so far; all zero when the run is not priced. */
void ks_query_cost(const KsSim *sim, KsCostInfo *out);
/* The node types in use, in the order first declared or used, and the
 * @index-th's share of the cost. */
size_t ks_query_n_cost_types(const KsSim *sim);
void ks_query_cost_type(const KsSim *sim, size_t index, KsCostTypeInfo *out);
/* "within_zone", "across_zones", "across_sites", "internet". */
const char *ks_transfer_kind_name(KsTransferKind kind);

/* Brokers, sorted by id. */
size_t ks_query_n_brokers(const KsSim *sim);
void ks_query_broker(const KsSim *sim, size_t index, KsBrokerInfo *out);
/* Fills *@out and returns true, or returns false if no broker has @id. */
bool ks_query_find_broker(const KsSim *sim, KsBrokerId id, KsBrokerInfo *out);
/* False once every broker process is gone: the partition states are then
 * what ZooKeeper last recorded, and no controller can act on them. */
bool ks_query_any_broker_alive(const KsSim *sim);

/* The active controller (KS_NO_BROKER: none) and the controller epoch, as
 * /controller and /controller_epoch hold them. */
KsBrokerId ks_query_controller(const KsSim *sim);
int32_t ks_query_controller_epoch(const KsSim *sim);

size_t ks_query_n_topics(const KsSim *sim);
void ks_query_topic(const KsSim *sim, size_t index, KsTopicInfo *out);
/* Sets *@out_index and returns true, or returns false if no topic is
 * called @name. */
bool ks_query_find_topic(const KsSim *sim, const char *name, size_t *out_index);
/* Topic indices sorted by name, as Kafka's tools list topics. Returns a new
 * array of size_t; free with g_array_unref(). */
GArray *ks_query_topics_by_name(const KsSim *sim);

/* Partition @partition (0 .. n_partitions-1) of topic @topic (an index). */
void ks_query_partition(const KsSim *sim, size_t topic, int32_t partition, KsPartitionInfo *out);
/* Replica @replica (0 .. n_replicas-1, assignment order: 0 is the
 * preferred leader) of that partition. */
void ks_query_replica(const KsSim *sim, size_t topic, int32_t partition, int32_t replica,
                      KsReplicaInfo *out);

/* One entry of a replica's leader-epoch cache (KIP-101): records from
 * start_offset on were appended under epoch, up to the next entry's start
 * or the log end. */
typedef struct {
    int32_t epoch;
    int64_t start_offset;
} KsEpochStart;

/* That replica's leader-epoch cache, oldest first. Returns a new array of
 * KsEpochStart; free with g_array_unref(). */
GArray *ks_query_replica_epochs(const KsSim *sim, size_t topic, int32_t partition, int32_t replica);

/* What a truncation removed from a replica: offsets [to_offset,
 * from_offset), at time t (a follower reconciling its log with a new
 * leader's, KIP-101/279). */
typedef struct {
    KsTime t;
    int64_t from_offset; /* its log end before */
    int64_t to_offset;   /* its log end after */
    bool power_loss;     /* its machine lost power: what was not on disk went, committed
                            or not (else a follower's truncation to its leader) */
} KsTruncationInfo;

/* Every truncation of that replica so far, oldest first. Returns a new
 * array of KsTruncationInfo; free with g_array_unref(). */
GArray *ks_query_replica_truncations(const KsSim *sim, size_t topic, int32_t partition,
                                     int32_t replica);

/* Records through a broker since the start of the run: both roles of every
 * broker, leader for some partitions and follower for others. */
typedef struct {
    int64_t records_in;             /* appended as leader: producers, group commits */
    int64_t records_replicated_in;  /* copied from leaders, as follower */
    int64_t records_replicated_out; /* sent to followers, as leader */
    int64_t records_out;            /* sent to consumers, as leader */
} KsBrokerTraffic;

/* The traffic of broker @index (sorted by id, as ks_query_broker()). */
void ks_query_broker_traffic(const KsSim *sim, size_t index, KsBrokerTraffic *out);

/* Producers: the declared ones, then console producers. */
size_t ks_query_n_producers(const KsSim *sim);
void ks_query_producer(const KsSim *sim, size_t index, KsProducerInfo *out);
/* Fills *@out and returns true, or returns false if no declared producer
 * is called @name. */
bool ks_query_find_producer(const KsSim *sim, const char *name, KsProducerInfo *out);

/* Evaluates @expect (borrowed; a kind ks_support_expect() accepts) against
 * the state now, without recording it (ks_sim_check_expect_now() records).
 * Returns whether it holds and sets *@out_actual to a new string saying what
 * the model shows, e.g. "leader of orders-0 is 3"; free with g_free(). */
bool ks_check_expect(const KsSim *sim, const KsPlanExpect *expect, char **out_actual);
