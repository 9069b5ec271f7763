/* SPDX-License-Identifier: MIT */
/*
 * query-groups.h - read-only questions about consumer groups and consumers.
 *
 * The consumer side of query.h, with the same rules: every query takes a
 * const KsSim and changes nothing; strings are borrowed from the sim and
 * live as long as it; arrays handed out are new and the caller frees them.
 * Views (kafka-consumer-groups.sh tables, the summary JSON's "groups",
 * `expect lag ...` and the other group conditions, the timeline, diagrams)
 * read groups only through these functions.
 *
 * Orders are stable and Kafka's own where Kafka has one: groups sorted by
 * name, members by member id, partitions by (topic name, partition). A
 * member id is the consumer's name (DESIGN: Kafka's is client.id plus a
 * UUID; the name keeps runs deterministic and sorts the same way).
 */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <glib.h>

#include "kafkasim/sim.h"
#include "kafkasim/types.h"

/* A group as its coordinator holds it (GroupMetadata in Kafka). */
typedef struct {
    const char *name;               /* group.id */
    const char *state;              /* "Empty", "PreparingRebalance", "CompletingRebalance",
                                       "Stable" or "Dead", as kafka-consumer-groups.sh prints it */
    int32_t generation;             /* 0 before the first rebalance completes */
    const char *protocol;           /* the assignor the group chose ("range", ...); "" before one */
    const char *rebalance_protocol; /* "eager" or "cooperative" */
    KsBrokerId coordinator;         /* leader of its __consumer_offsets partition;
                                       KS_NO_BROKER: none available */
    int32_t offsets_partition;      /* abs(hashCode(group.id)) % offsets.topic.num.partitions */
    size_t n_members;               /* members in the current generation or joining */
    int64_t rebalances;             /* rebalances completed so far */
    int64_t records_consumed;       /* records processed by its members, every delivery */
    int64_t records_duplicated;     /* deliveries of a record the group had processed before */
    int64_t records_skipped;        /* records committed as consumed but never processed */
} KsGroupInfo;

/* One member of a group. */
typedef struct {
    const char *id;          /* member id: the consumer's name */
    const char *client_id;   /* client.id */
    const char *host;        /* "/" then the consumer's node name, as Java prints an address */
    const char *instance_id; /* group.instance.id; NULL: a dynamic member */
    bool leader;             /* the member that runs the assignor */
    size_t n_assigned;       /* partitions assigned in the current generation */
} KsMemberInfo;

/* A partition of a group's topics: kafka-consumer-groups.sh's row. */
typedef struct {
    const char *topic;
    int32_t partition;
    int64_t committed;      /* CURRENT-OFFSET: the committed offset; -1: none */
    int64_t log_end_offset; /* LOG-END-OFFSET: the partition's high watermark (read_uncommitted) */
    int64_t lag;            /* log_end_offset - committed; -1 when either is unknown */
    int64_t position;       /* the owner's position (next offset it will read); -1: no owner */
    const char *owner;      /* member id of the owner; NULL: unowned */
} KsGroupOffsetInfo;

/* A consumer process, in or out of a group. */
typedef struct {
    const char *name;
    const char *group; /* group.id */
    const char *node;  /* the node it runs on; NULL: a machine of its own */
    bool running;      /* started and not stopped or crashed */
    bool idle;         /* in the group's current generation with no partition: more
                          consumers than partitions */
    int64_t records_consumed;
} KsConsumerInfo;

/* Groups, sorted by name. */
size_t ks_query_n_groups(const KsSim *sim);
void ks_query_group(const KsSim *sim, size_t index, KsGroupInfo *out);
/* Sets *@out_index and returns true, or returns false if no group is called @name. */
bool ks_query_find_group(const KsSim *sim, const char *name, size_t *out_index);

/* The members of group @group (an index), sorted by id. Returns a new array
 * of KsMemberInfo; free with g_array_unref(). */
GArray *ks_query_group_members(const KsSim *sim, size_t group);

/* The partitions member @member of group @group owns in the current
 * generation, sorted by (topic, partition). Returns a new array of
 * KsGroupOffsetInfo; free with g_array_unref(). An unknown member gives an
 * empty array. */
GArray *ks_query_member_assignment(const KsSim *sim, size_t group, const char *member);

/* Every partition of the topics group @group subscribes to or has committed
 * offsets for, sorted by (topic, partition). Returns a new array of
 * KsGroupOffsetInfo; free with g_array_unref(). */
GArray *ks_query_group_offsets(const KsSim *sim, size_t group);

/* Consumers, in declaration order, then those started later by
 * `start consumer`, in order of start. */
size_t ks_query_n_consumers(const KsSim *sim);
void ks_query_consumer(const KsSim *sim, size_t index, KsConsumerInfo *out);
/* Fills *@out and returns true, or returns false if no consumer is called @name. */
bool ks_query_find_consumer(const KsSim *sim, const char *name, KsConsumerInfo *out);
