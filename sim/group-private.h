/* SPDX-License-Identifier: MIT */
/*
 * group-private.h - the group coordinator's state (group.c) and the
 * messages between consumers and their coordinator.
 *
 * Private to sim/. A KsGroup is what Kafka's GroupMetadata holds on the
 * broker leading the group's __consumer_offsets partition, plus the
 * group's commit records (what that partition's log holds for it) and the
 * per-partition consumption accounting of the ledger (ledger-groups.c).
 * Groups live as long as the KsSim; members are created on their first
 * JoinGroup and freed when they leave or expire.
 */
#pragma once

#include <stdbool.h>
#include <stdint.h>

#include <glib.h>

#include "kafkasim/assignor.h"
#include "model.h"

typedef struct KsGroup KsGroup;
typedef struct KsGroupMember KsGroupMember;
typedef struct KsConsumer KsConsumer;

/* GroupState.scala, in kafka-consumer-groups.sh's words. */
typedef enum {
    KS_GROUP_EMPTY,
    KS_GROUP_PREPARING_REBALANCE,
    KS_GROUP_COMPLETING_REBALANCE,
    KS_GROUP_STABLE,
    KS_GROUP_DEAD,
} KsGroupState;

const char *ks_group_state_name(KsGroupState state);

/* What a group request is. */
typedef enum {
    KS_GREQ_FIND_COORDINATOR,
    KS_GREQ_JOIN,
    KS_GREQ_SYNC,
    KS_GREQ_HEARTBEAT,
    KS_GREQ_LEAVE,
    KS_GREQ_COMMIT,
    KS_GREQ_OFFSET_FETCH,
    KS_GREQ_LIST_OFFSETS, /* to a partition leader, by timestamp (consumer-seek.c) */
} KsGroupRequestKind;

/* One committed offset, as a request or a response carries it. */
typedef struct {
    KsPartition *part;
    int64_t offset; /* -1: none committed; list offsets: none found */
    KsTime found;   /* list offsets: the timestamp of the record found */
    int64_t end;    /* list offsets: the leader's high watermark */
} KsOffsetEntry;

/* A request from a consumer to a broker, and the response that goes back
 * in the same message (owned by whoever holds it in flight; freed by the
 * consumer's response handler, or by the broker when it cannot answer). */
typedef struct {
    KsGroupRequestKind kind;
    KsConsumer *consumer;
    KsBroker *broker;       /* where it was sent */
    uint64_t token;         /* the consumer's request token when it was sent */
    int32_t generation;     /* request: the member's; response: the group's */
    int error;              /* response: KsKafkaError */
    bool is_leader;         /* join response: this member runs the assignor */
    GArray *offsets;        /* of KsOffsetEntry: commit, offset fetch */
    GPtrArray *members;     /* join response to the leader: of KsConsumer* in join order */
    GPtrArray *assign;      /* sync request from the leader: of GPtrArray* (KsPartition*),
                               one per member of @members; sync response: [0] is the member's */
    KsBrokerId coordinator; /* find-coordinator response */
    bool has_id;            /* join: the member knows its id (after MEMBER_ID_REQUIRED) */
    const char *reason;     /* leave: why ("left", "max.poll.interval.ms") */
    GPtrArray *owned;       /* join: of KsPartition*, the partitions it owns (cooperative) */
    int32_t owned_generation;
    KsTime time; /* list offsets: the timestamp sought */
    KsTime sent; /* when the consumer sent it (its request timeout counts from then) */
} KsGroupMsg;

void ks_group_msg_free(KsGroupMsg *m);

/* A commit record in the group's __consumer_offsets partition. */
typedef struct {
    KsPartition *part;  /* the consumed partition */
    int64_t offset;     /* the committed offset */
    int64_t log_offset; /* where the record is in the offsets partition */
    int32_t log_epoch;  /* the leader epoch it was appended under */
    bool visible;       /* acknowledged (HW covered it) or loaded by a new coordinator */
} KsCommitRecord;

/* A commit request waiting for the offsets partition's HW. */
typedef struct {
    KsGroupMsg *msg;
    int64_t need;       /* HW that covers its records */
    guint first, count; /* its records in group->commits */
} KsPendingCommit;

/* Offsets [first, first + count) of one partition. */
typedef struct {
    int64_t first;
    int64_t count;
} KsOffsetRange;

/* What the ledger knows of one partition a group consumed. */
typedef struct {
    KsPartition *part;
    GArray *processed;     /* of KsOffsetRange (offsets): processed at least once, disjoint */
    int64_t origin;        /* the first position the group started from; -1 none */
    int64_t consumed;      /* every processing, duplicates included */
    int64_t duplicated;    /* processings of an offset processed before */
    int64_t skip_reported; /* records_skipped events cover offsets below this */
} KsGroupPart;

struct KsGroupMember {
    KsGroup *group;
    KsConsumer *consumer; /* the process; a restarted one is a new member */
    char *member_id;      /* the consumer's member id when it joined (owned) */
    KsTime session_timeout;
    KsTime rebalance_timeout;
    KsGroupMsg *join_waiting; /* JoinGroup parked until the join phase completes */
    KsGroupMsg *sync_waiting; /* SyncGroup parked until the leader's assignment */
    GPtrArray *assignment;    /* of KsPartition*: the current generation's */
    GPtrArray *owned;         /* of KsPartition*: owned partitions it reported (cooperative) */
    int32_t owned_generation;
    KsTimer session;
};

struct KsGroup {
    KsSim *sim;
    char *name;
    const KsPlanGroup *plan;
    int32_t offsets_partition;
    KsGroupState state;
    int32_t generation;
    KsAssignorKind assignor;
    KsRebalanceProtocol protocol;
    GPtrArray *members; /* of KsGroupMember* (owned), in join order */
    GPtrArray *gone;    /* of KsGroupMember* (owned): removed, kept for their timers */
    GPtrArray *fenced;  /* of char* (owned): member ids a later process with the same
                           group.instance.id replaced (FENCED_INSTANCE_ID) */
    KsGroupMember *leader;
    /* Where it is served: the broker and leader epoch of the offsets
     * partition it was loaded under; NULL: not loaded anywhere. */
    KsBroker *coordinator;
    uint64_t coordinator_incarnation;
    int32_t loaded_epoch;
    KsTime loaded_at; /* COORDINATOR_LOAD_IN_PROGRESS until then */
    /* The join phase (DelayedJoin / InitialDelayedJoin). */
    KsTimer join_timer;
    KsTime initial_delay_left; /* InitialDelayedJoin: rebalance time left; -1 none */
    bool new_member_in_delay;
    /* Offsets. */
    GArray *commits;       /* of KsCommitRecord, in log order */
    GPtrArray *pending;    /* of KsPendingCommit* (owned) */
    GPtrArray *parts;      /* of KsGroupPart* (owned), by (topic, partition) */
    GPtrArray *part_by_id; /* the same, by KsPartition.id (NULL: none yet) */
    int64_t rebalances;
    /* Persisted by the last completed sync (GroupMetadataManager.storeGroup). */
    int32_t stored_generation;
    /* Its end (group-load.c). */
    bool unloaded;      /* its coordinator gave it up (Dead there); no broker serves it
                           until one loads it */
    bool removed;       /* deleted or expired: Dead, until a JoinGroup creates it anew */
    KsTime empty_since; /* it last became Empty (offsets.retention.minutes); -1 */
    KsTimer expiry;     /* the coordinator's next offsets expiry check that matters */
};

/* group.c: the coordinator. */
/* Whether commit record @r is still in the offsets partition's log. */
bool ks_group_record_present(const KsPartition *part, const KsCommitRecord *r);
/* @g's __consumer_offsets partition, NULL before the topic exists. */
KsPartition *ks_group_offsets_part(const KsSim *sim, const KsGroup *g);
/* Sends @m back from @from to its consumer with @err. */
void ks_group_respond_from(KsSim *sim, KsBroker *from, KsGroupMsg *m, int err);
/* Whether @g's in-memory state is live: its coordinator still runs the
 * incarnation that loaded it, and has not given it up. */
bool ks_group_served(const KsGroup *g);
/* @m's session starts again (a heartbeat, or a new coordinator). */
void ks_group_heartbeat_ok(KsSim *sim, KsGroupMember *m);
/* Whether @b may serve @g now (loading it if it must): KS_ERR_NONE, or the
 * error to answer. */
int ks_group_check_coordinator(KsSim *sim, KsGroup *g, KsBroker *b);
/* Whether @m is @c's current incarnation. */
bool ks_group_member_is(const KsGroupMember *m, const KsConsumer *c);
KsGroup *ks_group_get(KsSim *sim, const char *name);
void ks_group_free(KsGroup *g);
/* The broker now leading @g's offsets partition, or NULL. */
KsBroker *ks_group_coordinator(const KsSim *sim, const KsGroup *g);
/* A group request reaches @m->broker. */
void ks_group_handle(KsSim *sim, KsGroupMsg *m);
/* The coordinator's committed offset of @part for @g, or -1. */
int64_t ks_group_committed(const KsSim *sim, const KsGroup *g, const KsPartition *part);
/* @part's HW moved: complete commits and wake consumer fetches. */
void ks_group_hw_advanced(KsSim *sim, KsPartition *part);
int32_t ks_group_offsets_partition(const KsSim *sim, const char *name);

/* group-load.c: a group changing coordinator, and its end. */
/* How long a new coordinator takes to read a group from its log. Kafka
 * loads on its scheduler thread; the time depends on the partition's size
 * and is short, so a constant small delay stands for it. */
#define KS_GROUP_LOAD_TIME (5 * KS_TIME_MS)
/* @b leads @g's offsets partition now and loads the group from its log;
 * the previous coordinator, if it still held it, gives it up first. */
void ks_group_load(KsSim *sim, KsGroup *g, KsBroker *b, KsPartition *part);
/* broker.c: @part of __consumer_offsets loses its leader replica: the
 * groups that replica's broker served are given up (Dead there). */
void ks_group_resigned(KsSim *sim, KsPartition *part);
/* broker.c: @part of __consumer_offsets has a new leader replica (or a
 * new leader epoch): it loads the groups it will serve
 * (GroupCoordinator.onElection). */
void ks_group_elected(KsSim *sim, KsPartition *part);
/* broker.c: @b's process died: so did the groups it served. */
void ks_group_broker_died(KsSim *sim, KsBroker *b);
/* @g just became Empty: the offsets expiry checks start to matter. */
void ks_group_became_empty(KsSim *sim, KsGroup *g);
void ks_group_expiry_fired(KsEngine *engine, void *ctx, uint64_t arg);
/* A JoinGroup for a removed group creates it anew (Empty, generation 0). */
void ks_group_recreate(KsGroup *g);

/* group-protocol.c: the assignor a group runs. */
/* @c's protocols and rebalance protocol, from its configs (@over: those
 * of its start action, or NULL) and its group. */
void ks_group_member_protocols(KsConsumer *c, const KsConfigSet *over);
/* Whether @c may join @g: it supports a protocol all members support. */
bool ks_group_supports_protocols(const KsGroup *g, const KsConsumer *c);
/* At the end of the join phase: the members' vote (selectProtocol), and
 * the rebalance protocol they share. */
void ks_group_select_protocol(KsGroup *g);

/* consumer-seek.c: the partitions' time index (batches' timestamps, for
 * ListOffsets by time), kept only when the scenario seeks by time. */
void ks_consumer_seek_setup(KsSim *sim);
/* broker.c: the leader of @part appended [@base, @base + @count) in leader
 * epoch @epoch, produced at @time. */
void ks_consumer_seek_appended(KsPartition *part, int64_t base, int64_t count, int32_t epoch,
                               KsTime time);

/* ledger-groups.c: what each group processed. */
KsGroupPart *ks_ledger_group_part(KsGroup *g, KsPartition *part);
/* @c processed records [@first, @first + @count) of @part. */
void ks_ledger_consumed(KsSim *sim, KsGroup *g, KsPartition *part, int64_t first, int64_t count);
/* @c takes @part at @position: emits redelivery and skip events. */
void ks_ledger_position_taken(KsSim *sim, KsGroup *g, KsConsumer *c, KsPartition *part,
                              int64_t position);
int64_t ks_ledger_group_skipped(const KsSim *sim, const KsGroup *g);
int64_t ks_ledger_group_consumed(const KsGroup *g);
int64_t ks_ledger_group_duplicated(const KsGroup *g);
