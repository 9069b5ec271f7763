/* SPDX-License-Identifier: MIT */
/*
 * plan.h - a parsed, validated scenario.
 *
 * The scenario parser (scenario.h) turns a file into a KsPlan; the simulator
 * (sim.h) builds its model from the plan and runs its timeline. A plan that
 * ks_scenario_parse() returned is valid: every name it references is
 * declared, every number is in range, the timeline is in time order, and
 * every declaration, action and condition in it is one the simulator
 * supports. The simulator therefore never meets bad input.
 *
 * Everything is plain data owned by the plan: strings are g_strdup'd, arrays
 * are GPtrArrays that own their elements. Free the whole with ks_plan_free().
 */
#pragma once

#include <stdbool.h>
#include <stdint.h>

#include <glib.h>

#include "kafkasim/config.h"
#include "kafkasim/types.h"

/* Where something was written: 1-based line and column. */
typedef struct {
    int line;
    int col;
} KsLoc;

/* A machine. Brokers (and later clients) run on nodes; a node's zone says
 * which network latency applies between it and others. */
typedef struct {
    char *name;
    char *zone; /* NULL: no zone */
    char *type; /* its machine type (a node-type or one of the price table's); NULL: unlimited */
    char *site; /* its site (`site`); NULL: none */
    KsTime added_at; /* -1: declared; else the time `add node` adds it */
    KsLoc loc;
} KsPlanNode;

/* A site (`site`): a data centre or a cloud region, whose nodes reach
 * other sites through its uplink (a WAN link). */
typedef struct {
    char *name;
    bool public_cloud;       /* kind=public; else private (on premises) */
    char *region;            /* NULL: not given */
    GPtrArray *zones;        /* of char*: its zones; empty: any */
    KsTime wan_latency;      /* one way, to another site (the larger of the two applies) */
    int64_t wan_bytes_per_s; /* its uplink, each way; 0: unlimited */
    KsLoc loc;
} KsPlanSite;

/* The network (`network`): one-way latency by distance, and jitter. A
 * field at -1 keeps the default (net.c). */
typedef struct {
    KsTime loopback;   /* within one machine */
    KsTime same_zone;  /* between machines of one zone, or where a zone is not given */
    KsTime cross_zone; /* between zones */
    KsTime cross_site; /* between sites; -1: the sites' wan-latency */
    KsTime jitter;     /* each message waits up to this much more, drawn from the seed */
    KsLoc loc;
} KsPlanNetwork;

/* One link between two nodes (`link`), both ways, overriding the distance. */
typedef struct {
    char *a, *b;
    KsTime latency;   /* -1: by distance */
    int64_t loss_ppm; /* messages dropped, per million */
    KsLoc loc;
} KsPlanLink;

/* A machine type (`node-type`): what a node of that type can do and what it
 * costs. Sizes in bytes, throughputs in bytes per second (0: unlimited),
 * prices in millionths of a US dollar. */
typedef struct {
    char *name;
    int64_t vcpus;
    int64_t memory_bytes;
    int64_t network_bytes_per_s; /* each way (NIC in and out) */
    int64_t disk_bytes_per_s;    /* writes */
    int64_t disk_bytes;          /* the volume's size */
    int64_t price_micro_usd_per_h;
    int64_t storage_micro_usd_per_gb_month; /* the volume, per GB (10^9 bytes) and month */
    KsLoc loc;
} KsPlanNodeType;

typedef struct {
    KsBrokerId id;
    char *node;
    char *rack; /* broker.rack; NULL: none */
    KsConfigSet *configs;
    KsLoc loc;
} KsPlanBroker;

typedef struct {
    char *name;
    int32_t partitions;
    int32_t replication_factor;
    /* Kafka's fixed start index for replica placement: both the start index
     * and the replica shift. -1: drawn from the run's seed, as Kafka draws
     * them at random. */
    int32_t placement_start;
    /* replica-assignment= (kafka-topics.sh --replica-assignment): the
     * replicas of each partition, partitions * replication_factor broker
     * ids, partition after partition, the preferred leader first; owned.
     * NULL: placed by Kafka's AdminUtils algorithm. */
    KsBrokerId *assignment;
    KsConfigSet *configs;
    KsLoc loc;
} KsPlanTopic;

typedef enum {
    KS_PARTITIONER_DEFAULT,     /* Kafka's built-in: murmur2 for keys, sticky for null keys */
    KS_PARTITIONER_KEY,         /* murmur2 of the key; requires keys */
    KS_PARTITIONER_ROUND_ROBIN, /* RoundRobinPartitioner: ignores keys */
    KS_PARTITIONER_STICKY,      /* KIP-794 sticky, keys ignored (partitioner.ignore.keys) */
    KS_PARTITIONER_EXPLICIT,    /* every record names its partition */
} KsPartitionerKind;

/* Bytes per record (key and value) when a producer does not say. */
#define KS_DEFAULT_RECORD_SIZE 100

typedef struct {
    char *name;
    char *topic;
    char *node;         /* where it runs; NULL: a client node of its own */
    int64_t rate_per_s; /* records per second; 0: sends only on `produce` */
    KsPartitionerKind partitioner;
    int32_t partition;   /* KS_PARTITIONER_EXPLICIT only, else -1 */
    int64_t keys;        /* number of distinct keys; 0: null keys */
    char *key_prefix;    /* keys are key_prefix + "0" .. key_prefix + (keys-1) */
    int64_t record_size; /* bytes per record (value plus key), default 100 */
    int64_t count;       /* stop after this many records; -1: no limit */
    KsConfigSet *configs;
    KsLoc loc;
} KsPlanProducer;

/* A Flume agent's channel (Flume 1.11.0: MemoryChannel, FileChannel). */
typedef enum {
    KS_FLUME_CHANNEL_MEMORY, /* lost when the agent dies */
    KS_FLUME_CHANNEL_FILE,   /* survives the agent: replayed on restart */
} KsFlumeChannel;

/* A Flume agent's sink. */
typedef enum {
    KS_FLUME_SINK_KAFKA, /* KafkaSink: an embedded Kafka producer */
    KS_FLUME_SINK_HDFS,  /* HDFSEventSink: writes files, rolled every roll interval */
} KsFlumeSink;

typedef struct {
    char *name;
    char *topic; /* Kafka sink only; NULL for an HDFS sink */
    char *node;
    int64_t rate_per_s;       /* log lines per second arriving at the agent */
    int64_t channel_capacity; /* events the channel holds before it refuses */
    int64_t batch_size;       /* events per take from the channel */
    KsConfigSet *configs;     /* of its embedded Kafka producer */
    KsLoc loc;
    KsFlumeChannel channel;       /* channel=memory|file */
    int64_t transaction_capacity; /* transactionCapacity: events per put or take */
    int64_t source_batch;         /* source-batch: events per put (ExecSource batchSize) */
    KsFlumeSink sink;             /* sink=kafka|hdfs */
    KsTime roll_interval;         /* HDFS: hdfs.rollInterval */
    int64_t write_rate;           /* HDFS: events per second the sink writes */
    /* The source's shape: `rate`, except for `peak_for` at the start of
     * every `peak_every`, when it is `peak_rate`; peak_every 0: steady. */
    int64_t peak_rate;
    KsTime peak_every;
    KsTime peak_for;
} KsPlanFlume;

typedef enum {
    KS_ASSIGNOR_RANGE,
    KS_ASSIGNOR_ROUNDROBIN,
    KS_ASSIGNOR_STICKY,
    KS_ASSIGNOR_COOPERATIVE_STICKY,
} KsAssignorKind;

typedef enum {
    KS_PROTOCOL_EAGER,
    KS_PROTOCOL_COOPERATIVE,
} KsRebalanceProtocol;

typedef struct {
    char *name;
    KsAssignorKind assignor;
    KsRebalanceProtocol protocol;
    KsLoc loc;
} KsPlanGroup;

typedef struct {
    char *name;
    char *group;
    GPtrArray *topics; /* of char*, in the order written */
    char *node;
    KsConfigSet *configs;
    bool start_at_zero; /* declared before the timeline: starts at 0 s */
    /* The simulated application (keys, not Kafka configs): */
    KsTime processing;    /* processing=: time per record */
    int commit;           /* commit=: -1 auto (enable.auto.commit), 0 sync, 1 async, 2 before */
    int64_t from_offset;  /* from-offset=: seek every assigned partition here; -1: none */
    KsTime from_time;     /* from-time=: seek every assigned partition to the first record
                             produced at or after it (offsetsForTimes); -1: none */
    int64_t commit_every; /* commit-every=: commit after this many records; 0: per poll */
    KsLoc loc;
} KsPlanConsumer;

typedef struct {
    char *node;      /* NULL: a node of its own */
    int32_t servers; /* ensemble size, default 1 */
    KsLoc loc;
    /* Server i+1 runs on nodes[i]: node= with one node per server
     * (node=n1,n2,n3), or the one node= for all; NULL: its own machine.
     * NULL when no server names a node. */
    GPtrArray *nodes; /* of char* (owned) */
} KsPlanZookeeper;

/* A partition named in a scenario ("orders-3"). */
typedef struct {
    char *topic;
    int32_t partition;
} KsPlanPartition;

typedef enum {
    KS_CMP_EQ,
    KS_CMP_NE,
    KS_CMP_LT,
    KS_CMP_LE,
    KS_CMP_GT,
    KS_CMP_GE,
} KsCmp;

/* What an `expect` line checks. */
typedef enum {
    KS_EXPECT_LEADER,         /* leader P == ID|none */
    KS_EXPECT_ISR,            /* isr P == {ids} */
    KS_EXPECT_REPLICAS,       /* replicas P == {ids} (assignment order ignored) */
    KS_EXPECT_LEADER_EPOCH,   /* leader-epoch P OP N */
    KS_EXPECT_LOG_END_OFFSET, /* log-end-offset P OP N (the leader's LEO) */
    KS_EXPECT_HIGH_WATERMARK, /* high-watermark P OP N */
    KS_EXPECT_ALIVE,          /* alive broker ID [== true|false] */
    KS_EXPECT_CONTROLLER,     /* controller == ID */
    KS_EXPECT_LAG,            /* lag GROUP OP N (sum over partitions) */
    KS_EXPECT_COMMITTED,      /* committed GROUP P OP N */
    KS_EXPECT_GROUP_STATE,    /* group-state GROUP == Stable|... */
    KS_EXPECT_ASSIGNMENT,     /* assignment CONSUMER == {P, ...} */
    KS_EXPECT_NO_ACKED_DATA_LOSS,
    KS_EXPECT_NO_DUPLICATES,
    KS_EXPECT_POSITION,         /* position GROUP P OP N (the owner's next offset) */
    KS_EXPECT_IDLE,             /* idle CONSUMER [== true|false] */
    KS_EXPECT_COORDINATOR,      /* coordinator GROUP == ID|none */
    KS_EXPECT_STAT,             /* STAT OP N, e.g. records-acked >= 100 */
    KS_EXPECT_FLUME_DROPPED,    /* flume-dropped AGENT OP N */
    KS_EXPECT_CHANNEL_FILL,     /* channel-fill AGENT OP N (events in its channel) */
    KS_EXPECT_ZOOKEEPER_QUORUM, /* zookeeper-quorum == true|false */
    KS_EXPECT_CONNECTED,        /* connected A B [== true|false]: nodes or brokers; both ways */
} KsExpectKind;

/* The counters KS_EXPECT_STAT can name; same names as the summary's stats,
 * with '-' for '_' (records-acked is stats.records_acked). */
typedef enum {
    KS_STAT_RECORDS_PRODUCED,
    KS_STAT_RECORDS_ACKED,
    KS_STAT_RECORDS_REFUSED,
    KS_STAT_RECORDS_LOST,
    KS_STAT_RECORDS_CONSUMED,
    KS_STAT_RECORDS_DUPLICATED,
    KS_STAT_RECORDS_SKIPPED, /* the groups' "skipped", summed */
    KS_STAT_LEADER_ELECTIONS,
    KS_STAT_REBALANCES,
    KS_STAT_UNAVAILABLE_US,
    KS_STAT_COST_MICRO_USD,   /* the run's cost so far (capacity.c) */
    KS_STAT_CROSS_ZONE_BYTES, /* record bytes moved between zones */
    /* records-lost CAUSE: the lost records of one cause (sim/ledger.c). */
    KS_STAT_RECORDS_LOST_UNCLEAN,
    KS_STAT_RECORDS_LOST_POWER_LOSS,
    KS_STAT_RECORDS_LOST_ZOMBIE,
    KS_STAT_RECORDS_LOST_ACKS1_FAILOVER,
} KsStatKind;

typedef struct {
    KsExpectKind kind;
    KsPlanPartition partition; /* partition conditions; topic NULL otherwise */
    KsBrokerId broker;         /* alive */
    char *name;                /* group (lag, committed, position, group-state,
                                  coordinator), consumer (assignment, idle),
                                  flume agent (flume-dropped, channel-fill) */
    KsStatKind stat;           /* KS_EXPECT_STAT */
    KsCmp cmp;
    /* The expected value, in the field its kind uses: integers, broker ids
     * and booleans (0/1) in `number` ("none" as a leader or coordinator is
     * KS_NO_BROKER);
     * sets of broker ids in `set_ids`; sets of partition names in
     * `set_names`; a state name in `word`. */
    int64_t number;
    GArray *set_ids;      /* of KsBrokerId, sorted ascending; isr, replicas */
    GPtrArray *set_names; /* of char*, sorted; assignment ("orders-0") */
    char *word;           /* group-state */
    char *text;           /* the condition as written, for reports */
    KsLoc loc;
} KsPlanExpect;

typedef enum {
    KS_ACTION_CRASH_BROKER,      /* crash broker ID: process dies, no goodbye */
    KS_ACTION_RESTART_BROKER,    /* restart broker ID */
    KS_ACTION_STOP_BROKER,       /* stop broker ID: controlled shutdown */
    KS_ACTION_ADD_BROKER,        /* add broker ID node=N [rack=R] */
    KS_ACTION_CRASH_NODE,        /* crash node NAME: every broker on it */
    KS_ACTION_RESTART_NODE,      /* restart node NAME */
    KS_ACTION_START_CONSUMER,    /* start consumer NAME [group=G topics=T,...] */
    KS_ACTION_STOP_CONSUMER,     /* stop consumer NAME: graceful LeaveGroup */
    KS_ACTION_CRASH_CONSUMER,    /* crash consumer NAME: silent, session timeout */
    KS_ACTION_START_PRODUCER,    /* start producer NAME */
    KS_ACTION_STOP_PRODUCER,     /* stop producer NAME */
    KS_ACTION_PRODUCE,           /* produce topic=T [key=K] [partition=N] [count=N] [producer=P] */
    KS_ACTION_SAY,               /* say "text" */
    KS_ACTION_SNAPSHOT,          /* snapshot [NAME] */
    KS_ACTION_PARTITION_NETWORK, /* partition-network A,B | C */
    KS_ACTION_HEAL_NETWORK,      /* heal-network */
    KS_ACTION_ELECT_PREFERRED,   /* elect-preferred [TOPIC | P] */
    KS_ACTION_REASSIGN,          /* reassign P replicas={ids} */
    KS_ACTION_SET_CONFIG,        /* set KEY=VALUE... at run time */
    KS_ACTION_DESCRIBE_GROUPS,   /* describe groups [GROUP]: kafka-consumer-groups.sh --describe */
    KS_ACTION_DESCRIBE_BROKERS,  /* describe brokers: each broker's partitions and traffic */
    KS_ACTION_DESCRIBE_LOG,      /* describe log PARTITION: each replica's log */
    KS_ACTION_DESCRIBE_ZK,       /* describe zk: the znode tree */
    KS_ACTION_EXPECT,            /* expect CONDITION at this time */
    KS_ACTION_SEEK_CONSUMER,     /* seek consumer NAME [P] to-offset=N|to-time=T */
    KS_ACTION_CRASH_FLUME,       /* crash flume NAME: the agent's process dies */
    KS_ACTION_RESTART_FLUME,     /* restart flume NAME */
    KS_ACTION_CRASH_ZOOKEEPER,   /* crash zookeeper N: server N of the ensemble */
    KS_ACTION_RESTART_ZOOKEEPER, /* restart zookeeper N */
    KS_ACTION_RESIZE_NODE,       /* resize node NAME type=T: restart its brokers on type T */
    KS_ACTION_ROLLING_RESIZE,    /* rolling-resize type=T: every node in turn */
    KS_ACTION_ADD_NODE,          /* add node NAME [zone=Z] [type=T] [site=S] */
    KS_ACTION_DELETE_GROUP,      /* delete group NAME: kafka-consumer-groups.sh --delete */
    KS_ACTION_ADD_PARTITIONS,    /* add partitions TOPIC count=N: the topic grows to N */
    KS_ACTION_PAUSE_BROKER,      /* pause broker ID for DURATION: alive and silent */
} KsActionKind;

typedef struct {
    KsActionKind kind;
    KsTime at;         /* first time it runs */
    KsTime every;      /* > 0: runs again every `every` until the end of the run */
    KsBrokerId broker; /* broker actions; the server id of zookeeper actions */
    char *name;        /* node, consumer, producer, flume agent, snapshot or described
                          group name; NULL if none */
    char *text;        /* say */
    /* start consumer: overrides of the declared consumer (NULL: as declared) */
    char *group;
    GPtrArray *topics;
    /* produce */
    char *topic;
    char *key;         /* NULL: null key */
    int32_t partition; /* -1: chosen by the partitioner */
    int64_t count;     /* records, default 1 */
    char *producer;    /* NULL: a console producer with default configs */
    /* add broker */
    char *node;
    char *rack;
    /* partition-network: node names on each side */
    GPtrArray *side_a, *side_b;
    bool one_way;     /* partition-network A -> B: only messages from A to B are cut */
    int64_t loss_ppm; /* partition-network ... loss=P%: lossy instead of cut; 0: cut */
    KsTime pause;     /* pause broker: how long */
    /* elect-preferred (topic NULL: all), reassign */
    KsPlanPartition target;
    GArray *replicas;     /* of KsBrokerId, in the order given */
    KsConfigSet *configs; /* set KEY=VALUE at run time; start consumer overrides */
    int64_t from_offset;  /* start consumer: from-offset= override, seek: to-offset=; -1: none */
    KsTime from_time;     /* start consumer: from-time= override, seek: to-time=; -1: none */
    KsPlanExpect *expect; /* KS_ACTION_EXPECT */
    char *node_type;      /* resize node, rolling-resize: the new machine type */
    KsTime downtime;      /* resize node, rolling-resize: a machine's stop, resize and boot */
    /* reassign: target.partition >= 0 with `replicas` moves one partition;
     * otherwise a plan over `plan_brokers` for target.topic (NULL: every
     * topic), as kafka-reassign-partitions.sh --generate makes it. */
    GArray *plan_brokers;    /* of KsBrokerId, sorted; NULL for one partition */
    int32_t placement_start; /* the plan's fixed start index; -1: drawn from the seed */
    int64_t throttle;        /* bytes/s (--throttle); 0: none */
    KsLoc loc;
} KsPlanAction;

struct KsPlan {
    char *file; /* path as given, for messages */
    bool has_seed;
    uint64_t seed;
    KsConfigSet *defaults;      /* `set` lines */
    GPtrArray *nodes;           /* of KsPlanNode, in declaration order */
    GPtrArray *node_types;      /* of KsPlanNodeType, in declaration order */
    GPtrArray *sites;           /* of KsPlanSite, in declaration order */
    GPtrArray *brokers;         /* of KsPlanBroker, sorted by id */
    GPtrArray *topics;          /* of KsPlanTopic, in declaration order */
    GPtrArray *producers;       /* of KsPlanProducer */
    GPtrArray *flumes;          /* of KsPlanFlume */
    GPtrArray *groups;          /* of KsPlanGroup */
    GPtrArray *consumers;       /* of KsPlanConsumer */
    KsPlanZookeeper *zookeeper; /* NULL: the default single server */
    KsPlanNetwork *network;     /* NULL: the default latencies */
    GPtrArray *links;           /* of KsPlanLink, in declaration order */
    GPtrArray *actions;         /* of KsPlanAction, sorted by `at`, ties in file order */
    GPtrArray *expects;         /* of KsPlanExpect: end-of-run `expect` lines */
    bool has_run;
    KsTime run_until; /* end of the run */
    KsLoc run_loc;
    /* The parser's indexes and timeline state, kept with a plan the parser
     * built so that ks_scenario_parse_line() can parse more lines against
     * it. Owned; freed by ks_plan_free() with parser_free. NULL otherwise. */
    void *parser;
    GDestroyNotify parser_free;
};

/* Returns a new, empty plan for @file (copied). Free with ks_plan_free(). */
KsPlan *ks_plan_new(const char *file);

/* Frees @plan and everything in it; NULL is a no-op. */
void ks_plan_free(KsPlan *plan);

/* Finders: borrowed pointers into @plan, or NULL. */
const KsPlanNode *ks_plan_find_node(const KsPlan *plan, const char *name);
const KsPlanBroker *ks_plan_find_broker(const KsPlan *plan, KsBrokerId id);
const KsPlanTopic *ks_plan_find_topic(const KsPlan *plan, const char *name);
const KsPlanProducer *ks_plan_find_producer(const KsPlan *plan, const char *name);
const KsPlanConsumer *ks_plan_find_consumer(const KsPlan *plan, const char *name);
const KsPlanGroup *ks_plan_find_group(const KsPlan *plan, const char *name);

/* Free functions for the elements, usable as GDestroyNotify. */
void ks_plan_node_free(gpointer p);
void ks_plan_node_type_free(gpointer p);
void ks_plan_site_free(gpointer p);
void ks_plan_link_free(gpointer p);
void ks_plan_broker_free(gpointer p);
void ks_plan_topic_free(gpointer p);
void ks_plan_producer_free(gpointer p);
void ks_plan_flume_free(gpointer p);
void ks_plan_group_free(gpointer p);
void ks_plan_consumer_free(gpointer p);
void ks_plan_expect_free(gpointer p);
void ks_plan_action_free(gpointer p);

G_DEFINE_AUTOPTR_CLEANUP_FUNC(KsPlan, ks_plan_free)
G_DEFINE_AUTOPTR_CLEANUP_FUNC(KsPlanAction, ks_plan_action_free)
G_DEFINE_AUTOPTR_CLEANUP_FUNC(KsPlanExpect, ks_plan_expect_free)
G_DEFINE_AUTOPTR_CLEANUP_FUNC(KsPlanNodeType, ks_plan_node_type_free)
G_DEFINE_AUTOPTR_CLEANUP_FUNC(KsPlanNode, ks_plan_node_free)
