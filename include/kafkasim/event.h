/* SPDX-License-Identifier: MIT */
/*
 * event.h - the stream of things that happen in a run.
 *
 * The model reports every meaningful change (a broker crashed, a leader was
 * elected, a follower was truncated, a producer started failing) as one
 * KsEvent, emitted through ks_sim_emit(). Views subscribe to the stream: the
 * timeline text, the JSON-lines trace, the statistics. A view reads events
 * and the model's state and never changes either (DESIGN principle 5).
 *
 * Events are not requests: a produce or fetch request is not an event here,
 * or a large run would drown its reader. Requests are counted in the
 * statistics; their effects (an ISR change, an acknowledged write being
 * refused) are events.
 *
 * An event is its time, its type and a payload: one small struct per
 * payload shape, in a union, named after the type that carries it
 * (ev.leader_elected.previous_leader) or, when several types carry the same
 * fields, after what they have in common (ev.broker_event.broker serves
 * broker_started, broker_crashed, ...); its struct is struct KsEvent_<shape>. Everything about a
 * payload comes from the one table below, KS_EVENT_SHAPES and KS_EVENT_TYPES: the structs, the type
 * enum, the trace names, the JSON-lines trace (which writes every field generically, in the table's
 * order) and docs/trace.md (which a test keeps in step with the table). The timeline writes its own
 * sentences from the same typed fields.
 *
 * ks_event_init() sets every integer, time and broker field of the type's
 * payload to -1 ("unset", KS_NO_BROKER), every pointer to NULL and every
 * list to empty. Pointers (strings, lists) are borrowed for the duration of
 * the emit call only.
 */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "kafkasim/types.h"

/* Why a leader or an ISR changed. */
typedef enum {
    KS_REASON_NONE,
    KS_REASON_INITIAL,             /* leader_elected: the topic was created */
    KS_REASON_OFFLINE,             /* leader_elected: first live ISR member in assignment order */
    KS_REASON_UNCLEAN,             /* leader_elected: first live replica, possibly out of sync */
    KS_REASON_PREFERRED,           /* leader_elected: the preferred replica is back */
    KS_REASON_LEADER_FAILED,       /* leader_elected (none): the leader's broker failed and
                                      no other live ISR member exists */
    KS_REASON_LAGGING,             /* isr_shrunk by the leader: replica.lag.time.max.ms */
    KS_REASON_BROKER_FAILED,       /* isr_shrunk by the controller: the broker's session expired */
    KS_REASON_CAUGHT_UP,           /* isr_expanded: the follower reached the high watermark */
    KS_REASON_CONTROLLED_SHUTDOWN, /* leader_elected, isr_shrunk: the broker is stopping */
    KS_REASON_REASSIGNMENT,        /* leader_elected, isr_shrunk: a partition reassignment
                                      completed (the leader moved into the target replicas,
                                      removed replicas left the ISR) */
} KsReason;

/* The trace name of @reason, e.g. "offline". Static. */
const char *ks_reason_name(KsReason reason);

/* Lists an event can carry. Items are borrowed, like every pointer. */
typedef struct {
    const int32_t *items;
    size_t len;
} KsIntList;

typedef struct {
    const char *const *items;
    size_t len;
} KsStringList;

/* One partition of any topic. */
typedef struct {
    const char *topic;
    int32_t partition;
} KsTopicPartition;

typedef struct {
    const KsTopicPartition *items;
    size_t len;
} KsPartitionList;

/* What a field holds, which says its C type and its JSON type. */
typedef enum {
    KS_EVENT_KIND_INT,            /* int64_t; JSON integer */
    KS_EVENT_KIND_TIME,           /* KsTime, simulated microseconds; JSON integer */
    KS_EVENT_KIND_BOOL,           /* bool; JSON true or false */
    KS_EVENT_KIND_BROKER,         /* KsBrokerId; JSON integer, null for KS_NO_BROKER */
    KS_EVENT_KIND_STRING,         /* const char *; JSON string, null for NULL */
    KS_EVENT_KIND_REASON,         /* KsReason; JSON string (ks_reason_name()) */
    KS_EVENT_KIND_INT_LIST,       /* KsIntList; JSON array of integers */
    KS_EVENT_KIND_STRING_LIST,    /* KsStringList; JSON array of strings */
    KS_EVENT_KIND_PARTITION_LIST, /* KsPartitionList; JSON array of {"topic", "partition"} */
    KS_EVENT_KIND_TOPICS,         /* KsSim *: the cluster whose topics the trace shows, as
                                     the summary's "topics" array (a snapshot) */
} KsEventFieldKind;

#define KS_EVENT_CTYPE_INT            int64_t
#define KS_EVENT_CTYPE_TIME           KsTime
#define KS_EVENT_CTYPE_BOOL           bool
#define KS_EVENT_CTYPE_BROKER         KsBrokerId
#define KS_EVENT_CTYPE_STRING         const char *
#define KS_EVENT_CTYPE_REASON         KsReason
#define KS_EVENT_CTYPE_INT_LIST       KsIntList
#define KS_EVENT_CTYPE_STRING_LIST    KsStringList
#define KS_EVENT_CTYPE_PARTITION_LIST KsPartitionList
#define KS_EVENT_CTYPE_TOPICS         KsSim *

/* Field flags. */
#define KS_EVENT_FLAG_ALWAYS 0u
/* Left out of the trace when unset (-1, KS_NO_BROKER or NULL). */
#define KS_EVENT_FLAG_OMIT 1u
/* May be null in the trace (documentation; the writer writes null for any
 * unset broker or string it does not omit). */
#define KS_EVENT_FLAG_NULLABLE 2u

/*
 * The table. S(shape) opens a payload shape (the union member's name),
 * F(shape, name, KIND, FLAG, unit, meaning) is one of its fields, in trace
 * order (the C member and the trace key are both `name`; KIND is a
 * KS_EVENT_KIND_ and FLAG a KS_EVENT_FLAG_ without its prefix), E(shape)
 * closes it. T(ENUM, trace_name, shape, meaning) is one event type, in enum
 * order. Adding a field or a type here is all the trace needs; the timeline
 * needs a sentence, docs/trace.md a rerun of its test (see there).
 */
// clang-format off
#define KS_EVENT_SHAPES(S, F, E) \
    S(say) \
        F(say, text, STRING, ALWAYS, "", "the text, as the scenario wrote it") \
    E(say) \
    S(snapshot) \
        F(snapshot, name, STRING, ALWAYS, "", "the snapshot's name (\"snapshot\" when unnamed)") \
        F(snapshot, topics, TOPICS, ALWAYS, "", "every topic's partitions with leader, leader epoch, replicas, ISR and offsets, as the summary's \"topics\"") \
    E(snapshot) \
    S(describe_groups) \
        F(describe_groups, group, STRING, OMIT, "", "the group asked for; absent: every group") \
    E(describe_groups) \
    S(describe) \
        F(describe, what, STRING, ALWAYS, "", "\"brokers\", \"log\" or \"zk\": the table asked for") \
        F(describe, topic, STRING, OMIT, "", "describe log: the partition's topic") \
        F(describe, partition, INT, OMIT, "partition", "describe log: the partition") \
    E(describe) \
    S(expect) \
        F(expect, line, INT, ALWAYS, "line", "the expect line in the scenario") \
        F(expect, condition, STRING, ALWAYS, "", "the condition, as written") \
        F(expect, held, BOOL, ALWAYS, "", "whether it held") \
        F(expect, actual, STRING, ALWAYS, "", "what the run had, in words") \
    E(expect) \
    S(note) \
        F(note, line, INT, ALWAYS, "line", "the timeline action's line in the scenario") \
        F(note, text, STRING, ALWAYS, "", "why the action changed nothing") \
    E(note) \
    S(broker_event) \
        F(broker_event, broker, BROKER, ALWAYS, "broker id", "the broker") \
    E(broker_event) \
    S(broker_stopping) \
        F(broker_stopping, broker, BROKER, ALWAYS, "broker id", "the broker") \
        F(broker_stopping, still_leads, INT, ALWAYS, "partitions", "partitions it still leads after its controlled shutdown request; -1 when it asked nothing (no active controller, or controlled.shutdown.enable=false)") \
        F(broker_stopping, attempts_left, INT, ALWAYS, "attempts", "controlled shutdown attempts left; -1 when it asked nothing (controlled.shutdown.enable=false)") \
    E(broker_stopping) \
    S(broker_start_failed) \
        F(broker_start_failed, broker, BROKER, ALWAYS, "broker id", "the broker whose process exited at startup") \
        F(broker_start_failed, error, STRING, ALWAYS, "", "ZooKeeper's error: \"NodeExists\" (`/brokers/ids/<id>` still belongs to its old session) or \"ZooKeeperClientTimeoutException\" (the ensemble has no quorum)") \
        F(broker_start_failed, old_session_expires_us, TIME, ALWAYS, "us", "when the old ZooKeeper session expires; -1 while ZooKeeper has no quorum (it cannot expire then)") \
    E(broker_start_failed) \
    S(node_event) \
        F(node_event, node, STRING, ALWAYS, "", "the node (machine) name") \
    E(node_event) \
    S(node_resized) \
        F(node_resized, node, STRING, ALWAYS, "", "the node (machine) name") \
        F(node_resized, node_type, STRING, ALWAYS, "", "its new machine type") \
        F(node_resized, old_node_type, STRING, NULLABLE, "", "its machine type before; null: none (unlimited)") \
        F(node_resized, downtime_us, TIME, ALWAYS, "us", "how long the machine is down before its brokers start again") \
    E(node_resized) \
    S(controller_elected) \
        F(controller_elected, broker, BROKER, ALWAYS, "broker id", "the new controller") \
        F(controller_elected, controller_epoch, INT, ALWAYS, "epoch", "the controller epoch") \
    E(controller_elected) \
    S(topic_created) \
        F(topic_created, topic, STRING, ALWAYS, "", "the topic") \
        F(topic_created, partitions, INT, ALWAYS, "partitions", "its partition count") \
        F(topic_created, replication_factor, INT, ALWAYS, "replicas", "its replication factor") \
    E(topic_created) \
    S(leader_elected) \
        F(leader_elected, topic, STRING, ALWAYS, "", "the topic") \
        F(leader_elected, partition, INT, OMIT, "partition", "the partition") \
        F(leader_elected, leader, BROKER, NULLABLE, "broker id", "the new leader; null when none is live and in sync (offline)") \
        F(leader_elected, previous_leader, BROKER, NULLABLE, "broker id", "the leader before; null when there was none") \
        F(leader_elected, leader_epoch, INT, ALWAYS, "epoch", "the partition's leader epoch after the change") \
        F(leader_elected, isr, INT_LIST, ALWAYS, "broker ids", "the in-sync replicas after the change") \
        F(leader_elected, reason, REASON, ALWAYS, "", "how the leader was chosen: initial, offline, unclean, preferred, leader_failed, controlled_shutdown or reassignment (the leader moved into the target replicas)") \
    E(leader_elected) \
    S(isr_shrunk) \
        F(isr_shrunk, topic, STRING, ALWAYS, "", "the topic") \
        F(isr_shrunk, partition, INT, OMIT, "partition", "the partition") \
        F(isr_shrunk, broker, BROKER, ALWAYS, "broker id", "the replica removed from the ISR") \
        F(isr_shrunk, leader_epoch, INT, ALWAYS, "epoch", "the partition's leader epoch") \
        F(isr_shrunk, isr, INT_LIST, ALWAYS, "broker ids", "the in-sync replicas after the change") \
        F(isr_shrunk, reason, REASON, ALWAYS, "", "lagging (replica.lag.time.max.ms, by the leader), broker_failed (session expired, by the controller), controlled_shutdown or reassignment (a replica the reassignment removes)") \
    E(isr_shrunk) \
    S(isr_expanded) \
        F(isr_expanded, topic, STRING, ALWAYS, "", "the topic") \
        F(isr_expanded, partition, INT, OMIT, "partition", "the partition") \
        F(isr_expanded, broker, BROKER, ALWAYS, "broker id", "the replica added to the ISR") \
        F(isr_expanded, isr, INT_LIST, ALWAYS, "broker ids", "the in-sync replicas after the change") \
        F(isr_expanded, reason, REASON, ALWAYS, "", "caught_up: the follower reached the high watermark") \
    E(isr_expanded) \
    S(preferred_election) \
        F(preferred_election, topic, STRING, NULLABLE, "", "the topic asked about; null for every topic") \
        F(preferred_election, partition, INT, OMIT, "partition", "the partition asked about; absent for every partition") \
        F(preferred_election, moved, INT, ALWAYS, "partitions", "partitions that moved to their preferred replica") \
        F(preferred_election, asked, INT, ALWAYS, "partitions", "partitions asked about; -1 with no active controller or no ZooKeeper quorum (nothing done)") \
    E(preferred_election) \
    S(truncated) \
        F(truncated, topic, STRING, ALWAYS, "", "the topic") \
        F(truncated, partition, INT, OMIT, "partition", "the partition") \
        F(truncated, broker, BROKER, ALWAYS, "broker id", "the broker whose replica was truncated") \
        F(truncated, from_offset, INT, ALWAYS, "offset", "its log end before") \
        F(truncated, to_offset, INT, ALWAYS, "offset", "its log end after") \
    E(truncated) \
    S(producer_event) \
        F(producer_event, producer, STRING, ALWAYS, "", "the producer") \
        F(producer_event, topic, STRING, ALWAYS, "", "the topic it writes to") \
    E(producer_event) \
    S(produce) \
        F(produce, producer, STRING, ALWAYS, "", "the producer") \
        F(produce, topic, STRING, ALWAYS, "", "the topic") \
        F(produce, partition, INT, OMIT, "partition", "the partition asked for; absent when the partitioner chooses") \
        F(produce, records, INT, ALWAYS, "records", "records sent") \
        F(produce, key, STRING, NULLABLE, "", "their key; null for none") \
    E(produce) \
    S(produce_failing) \
        F(produce_failing, producer, STRING, ALWAYS, "", "the producer") \
        F(produce_failing, topic, STRING, ALWAYS, "", "the topic") \
        F(produce_failing, partition, INT, OMIT, "partition", "the partition whose writes fail; absent when a broker cannot be reached") \
        F(produce_failing, broker, BROKER, OMIT, "broker id", "the broker it cannot connect to; absent when a partition's writes fail") \
        F(produce_failing, message, STRING, OMIT, "", "Kafka's log message for the failed connection; absent with error") \
        F(produce_failing, error, STRING, OMIT, "", "the Kafka error name the writes fail with; absent with broker") \
    E(produce_failing) \
    S(produce_recovered) \
        F(produce_recovered, producer, STRING, ALWAYS, "", "the producer") \
        F(produce_recovered, topic, STRING, ALWAYS, "", "the topic") \
        F(produce_recovered, partition, INT, OMIT, "partition", "the partition") \
        F(produce_recovered, records_given_up, INT, ALWAYS, "records", "records given up while it failed") \
    E(produce_recovered) \
    S(records_expired) \
        F(records_expired, producer, STRING, ALWAYS, "", "the producer") \
        F(records_expired, topic, STRING, ALWAYS, "", "the topic") \
        F(records_expired, partition, INT, OMIT, "partition", "the partition") \
        F(records_expired, records, INT, ALWAYS, "records", "records given up") \
        F(records_expired, reason, STRING, ALWAYS, "", "\"delivery.timeout.ms\", \"max.block.ms\" (send() waited that long for metadata: TimeoutException), or the Kafka error name of the last attempt when retries ran out") \
        F(records_expired, delivery_timeout_ms, INT, OMIT, "ms", "the producer's delivery.timeout.ms; absent when retries ran out or send() timed out") \
        F(records_expired, max_block_ms, INT, OMIT, "ms", "the producer's max.block.ms when send() timed out waiting for metadata; absent otherwise") \
    E(records_expired) \
    S(consumer_event) \
        F(consumer_event, consumer, STRING, ALWAYS, "", "the consumer") \
        F(consumer_event, group, STRING, ALWAYS, "", "its group") \
    E(consumer_event) \
    S(consumer_failed) \
        F(consumer_failed, consumer, STRING, ALWAYS, "", "the consumer") \
        F(consumer_failed, group, STRING, ALWAYS, "", "its group") \
        F(consumer_failed, error, STRING, ALWAYS, "", "the Kafka error its poll() threw, e.g. \"INVALID_SESSION_TIMEOUT\"") \
    E(consumer_failed) \
    S(group_rebalancing) \
        F(group_rebalancing, group, STRING, ALWAYS, "", "the group") \
        F(group_rebalancing, generation, INT, ALWAYS, "generation", "the generation being replaced (0 before the first)") \
        F(group_rebalancing, consumer, STRING, NULLABLE, "", "the member whose join, leave or expiry started it") \
        F(group_rebalancing, reason, STRING, ALWAYS, "", "\"joined\", \"rejoined\", \"left\", \"session timeout\" or \"max.poll.interval.ms\"") \
    E(group_rebalancing) \
    S(group_generation) \
        F(group_generation, group, STRING, ALWAYS, "", "the group") \
        F(group_generation, generation, INT, ALWAYS, "generation", "the new generation") \
        F(group_generation, state, STRING, ALWAYS, "", "\"CompletingRebalance\", or \"Empty\" when no member is left") \
        F(group_generation, protocol, STRING, ALWAYS, "", "the assignor the members run") \
        F(group_generation, leader, STRING, NULLABLE, "", "the member that runs the assignor; null when empty") \
        F(group_generation, members, STRING_LIST, ALWAYS, "", "the members, in join order") \
    E(group_generation) \
    S(member_removed) \
        F(member_removed, group, STRING, ALWAYS, "", "the group") \
        F(member_removed, consumer, STRING, ALWAYS, "", "the member removed") \
        F(member_removed, reason, STRING, ALWAYS, "", "\"left\", \"session timeout\", \"max.poll.interval.ms\" or \"did not rejoin\"") \
    E(member_removed) \
    S(partitions_moved) \
        F(partitions_moved, group, STRING, ALWAYS, "", "the group") \
        F(partitions_moved, consumer, STRING, ALWAYS, "", "the member") \
        F(partitions_moved, generation, INT, ALWAYS, "generation", "the generation") \
        F(partitions_moved, partitions, PARTITION_LIST, ALWAYS, "", "the partitions; empty: the member is idle (assigned) or had none (revoked)") \
        F(partitions_moved, stopped_us, TIME, OMIT, "us", "assigned only: how long the member consumed nothing before this assignment (eager: since it revoked everything or started; 0 when it kept partitions, as cooperative members do)") \
    E(partitions_moved) \
    S(offsets_committed) \
        F(offsets_committed, group, STRING, ALWAYS, "", "the group") \
        F(offsets_committed, consumer, STRING, ALWAYS, "", "the member that committed") \
        F(offsets_committed, offsets, STRING, ALWAYS, "", "the committed offsets, e.g. \"orders-0=120 orders-1=98\"") \
        F(offsets_committed, when, STRING, ALWAYS, "", "\"first after assignment\", \"before rebalance\" or \"on close\": only these commits are events") \
    E(offsets_committed) \
    S(consumer_range) \
        F(consumer_range, group, STRING, ALWAYS, "", "the group") \
        F(consumer_range, consumer, STRING, NULLABLE, "", "the member that takes the partition") \
        F(consumer_range, topic, STRING, ALWAYS, "", "the topic") \
        F(consumer_range, partition, INT, ALWAYS, "partition", "the partition") \
        F(consumer_range, from_offset, INT, ALWAYS, "offset", "first offset of the range") \
        F(consumer_range, to_offset, INT, ALWAYS, "offset", "last offset of the range (inclusive)") \
    E(consumer_range) \
    S(offset_reset) \
        F(offset_reset, group, STRING, ALWAYS, "", "the group") \
        F(offset_reset, consumer, STRING, ALWAYS, "", "the member") \
        F(offset_reset, topic, STRING, ALWAYS, "", "the topic") \
        F(offset_reset, partition, INT, ALWAYS, "partition", "the partition") \
        F(offset_reset, policy, STRING, ALWAYS, "", "auto.offset.reset (earliest, latest or none), or a seek: \"from-offset\" or \"from-time\" (start consumer), \"to-offset\" or \"to-time\" (seek consumer)") \
        F(offset_reset, offset, INT, ALWAYS, "offset", "where it starts; -1 with none (NoOffsetForPartitionException)") \
        F(offset_reset, time_us, TIME, OMIT, "us", "a seek to a time: the time sought (offsetsForTimes)") \
        F(offset_reset, found_us, TIME, OMIT, "us", "a seek to a time: the timestamp of the record found; absent when no record below the high watermark was produced at or after the time, and the seek goes to the end") \
    E(offset_reset) \
    S(group_loaded) \
        F(group_loaded, group, STRING, ALWAYS, "", "the group") \
        F(group_loaded, broker, BROKER, ALWAYS, "broker id", "its new coordinator") \
        F(group_loaded, offsets, INT, ALWAYS, "partitions", "committed offsets it loaded") \
    E(group_loaded) \
    S(flume_event) \
        F(flume_event, agent, STRING, ALWAYS, "", "the Flume agent") \
        F(flume_event, channel, STRING, ALWAYS, "", "its channel: \"memory\" or \"file\"") \
        F(flume_event, events, INT, ALWAYS, "events", "events in its channel after the change (a file channel replays them on restart)") \
        F(flume_event, lost, INT, ALWAYS, "events", "events its memory channel lost with the process; 0 otherwise") \
    E(flume_event) \
    S(channel_fill) \
        F(channel_fill, agent, STRING, ALWAYS, "", "the Flume agent") \
        F(channel_fill, events, INT, ALWAYS, "events", "events in its channel (queued and taken by an open sink transaction)") \
        F(channel_fill, capacity, INT, ALWAYS, "events", "the channel's capacity") \
        F(channel_fill, dropped, INT, ALWAYS, "events", "events the source dropped since the agent's previous channel line (ChannelFullException)") \
    E(channel_fill) \
    S(flume_sink) \
        F(flume_sink, agent, STRING, ALWAYS, "", "the Flume agent") \
        F(flume_sink, events, INT, ALWAYS, "events", "events of the sink transaction (rolled back) or of the file (rolled)") \
        F(flume_sink, error, STRING, OMIT, "", "why the transaction was rolled back; absent for a rolled file") \
    E(flume_sink) \
    S(zk_server) \
        F(zk_server, server, INT, ALWAYS, "server id", "the ZooKeeper server (myid)") \
        F(zk_server, node, STRING, NULLABLE, "", "the node it runs on; null: a machine of its own") \
    E(zk_server) \
    S(zk_quorum) \
        F(zk_quorum, leader, INT, ALWAYS, "server id", "the ensemble's leader; -1 when none") \
        F(zk_quorum, up, INT, ALWAYS, "servers", "servers running") \
        F(zk_quorum, servers, INT, ALWAYS, "servers", "servers in the ensemble") \
    E(zk_quorum) \
    S(request) \
        F(request, api, STRING, ALWAYS, "", "Kafka's name of the request: Produce, Fetch (a follower's), ConsumerFetch, FindCoordinator, JoinGroup, SyncGroup, Heartbeat, LeaveGroup, OffsetCommit, OffsetFetch") \
        F(request, from, STRING, ALWAYS, "", "who sends it: \"producer NAME\", \"broker ID\" or \"consumer NAME\"") \
        F(request, to, BROKER, ALWAYS, "broker id", "the broker it goes to") \
        F(request, detail, STRING, OMIT, "", "what it carries, in words") \
    E(request) \
    S(reassign_plan) \
        F(reassign_plan, topic, STRING, NULLABLE, "", "the topic planned; null for every topic (reassign all)") \
        F(reassign_plan, brokers, INT_LIST, ALWAYS, "broker ids", "the brokers the plan spreads the replicas over (--broker-list)") \
        F(reassign_plan, moves, STRING_LIST, ALWAYS, "", "one item per partition whose replicas change: \"orders-0: 1,2,3 -> 4,1,2\"") \
        F(reassign_plan, partitions, INT, ALWAYS, "partitions", "partitions the plan covers (moved or not)") \
        F(reassign_plan, throttle, INT, OMIT, "bytes/s", "the replication throttle of the moves (--throttle); absent: none") \
    E(reassign_plan) \
    S(reassignment) \
        F(reassignment, topic, STRING, ALWAYS, "", "the topic") \
        F(reassignment, partition, INT, ALWAYS, "partition", "the partition") \
        F(reassignment, replicas, INT_LIST, ALWAYS, "broker ids", "the target replicas, in order (TRS)") \
        F(reassignment, previous, INT_LIST, ALWAYS, "broker ids", "the replicas before (ORS)") \
        F(reassignment, leader, BROKER, ALWAYS, "broker id", "the partition's leader; null: none") \
        F(reassignment, leader_epoch, INT, ALWAYS, "epoch", "the leader epoch the controller wrote") \
        F(reassignment, throttle, INT, OMIT, "bytes/s", "the replication throttle of its moving replicas; absent: none") \
        F(reassignment, elapsed_us, TIME, OMIT, "us", "completed: time since it started; absent when it starts") \
    E(reassignment) \
    S(reassign_replica) \
        F(reassign_replica, topic, STRING, ALWAYS, "", "the topic") \
        F(reassign_replica, partition, INT, ALWAYS, "partition", "the partition") \
        F(reassign_replica, broker, BROKER, ALWAYS, "broker id", "the broker of the new replica") \
        F(reassign_replica, records, INT, ALWAYS, "records", "records its log holds now (copied from the leader)") \
        F(reassign_replica, bytes, INT, ALWAYS, "bytes", "those records in bytes (record-size)") \
        F(reassign_replica, elapsed_us, TIME, ALWAYS, "us", "time since the reassignment started") \
    E(reassign_replica) \
    S(group_unloaded) \
        F(group_unloaded, group, STRING, ALWAYS, "", "the group") \
        F(group_unloaded, broker, BROKER, ALWAYS, "broker id", "the coordinator that gave it up") \
        F(group_unloaded, reason, STRING, ALWAYS, "", "\"moved\" (another broker leads its __consumer_offsets partition now, or none does) or \"broker died\"") \
    E(group_unloaded) \
    S(group_deleted) \
        F(group_deleted, group, STRING, ALWAYS, "", "the group") \
        F(group_deleted, offsets, INT, ALWAYS, "partitions", "committed offsets removed") \
        F(group_deleted, error, STRING, OMIT, "", "group_delete only: the Kafka error the deletion failed with (NON_EMPTY_GROUP, GROUP_ID_NOT_FOUND, COORDINATOR_NOT_AVAILABLE); absent when it was deleted") \
        F(group_deleted, state, STRING, ALWAYS, "", "the group's state after it (\"Dead\" when deleted or expired)") \
    E(group_deleted) \
    S(partitions_added) \
        F(partitions_added, topic, STRING, ALWAYS, "", "the topic") \
        F(partitions_added, previous, INT, ALWAYS, "partitions", "its partition count before") \
        F(partitions_added, partitions, INT, ALWAYS, "partitions", "its partition count now") \
        F(partitions_added, keys, INT, ALWAYS, "keys", "the keys of the producers that write it with keys (keys=), summed") \
        F(partitions_added, keys_moved, INT, ALWAYS, "keys", "of those, the keys murmur2 now maps to another partition") \
        F(partitions_added, producers, STRING_LIST, ALWAYS, "", "per keyed producer: \"web: 412 of 500 keys move\"") \
    E(partitions_added) \
    S(network_split) \
        F(network_split, side_a, STRING, NULLABLE, "", "the nodes of one side, comma-separated; null for a heal") \
        F(network_split, side_b, STRING, NULLABLE, "", "the nodes of the other side; null for a heal") \
        F(network_split, one_way, BOOL, ALWAYS, "", "only messages from side_a to side_b are affected (partition-network A -> B)") \
        F(network_split, loss_ppm, INT, ALWAYS, "per million", "the share of messages dropped: 1000000 for a cut") \
    E(network_split) \
    S(broker_pause) \
        F(broker_pause, broker, BROKER, ALWAYS, "broker id", "the broker") \
        F(broker_pause, duration_us, TIME, ALWAYS, "us", "how long it is frozen (pause); 0 when it resumes") \
    E(broker_pause) \
    S(zk_contact) \
        F(zk_contact, broker, BROKER, ALWAYS, "broker id", "the broker") \
        F(zk_contact, expires_us, TIME, ALWAYS, "us", "lost: when its session expires if contact does not come back (-1 while the ensemble has no quorum); regained: -1") \
        F(zk_contact, leads, STRING, NULLABLE, "", "the partitions it still believes it leads, comma-separated (a zombie leader once its session expired); null when none") \
    E(zk_contact) \
    S(request_timeout) \
        F(request_timeout, from, STRING, ALWAYS, "", "who waited: \"broker ID (follower)\", \"controller (broker ID)\" or \"consumer NAME\" (a producer's timeout is its own `produce_failing` line)") \
        F(request_timeout, to, BROKER, ALWAYS, "broker id", "the broker that did not answer") \
        F(request_timeout, api, STRING, ALWAYS, "", "Fetch (a follower's or a consumer's; \"Fetch (connecting)\" when its connection attempt timed out), LeaderAndIsr/UpdateMetadata (the controller's), or a consumer's group request (Heartbeat, JoinGroup, SyncGroup, OffsetCommit, OffsetFetch, LeaveGroup, FindCoordinator) or ListOffsets (\" (connecting)\" likewise)") \
        F(request_timeout, timeout_us, TIME, ALWAYS, "us", "the timeout that expired: replica.socket.timeout.ms, request.timeout.ms (a consumer's; JoinGroup: max.poll.interval.ms + 5 s if longer), socket.connection.setup.timeout.ms or the controller's") \
    E(request_timeout) \
    S(unflushed_lost) \
        F(unflushed_lost, broker, BROKER, ALWAYS, "broker id", "the broker whose machine lost power") \
        F(unflushed_lost, node, STRING, ALWAYS, "", "its node (machine)") \
        F(unflushed_lost, partitions, INT, ALWAYS, "partitions", "its replicas whose log lost records") \
        F(unflushed_lost, records, INT, ALWAYS, "records", "records its logs lost: what was written but neither flushed by Kafka (flush.messages, flush.ms) nor written back by the operating system") \
    E(unflushed_lost)

#define KS_EVENT_TYPES(T) \
    /* Narration and checks. */ \
    T(SAY, say, say, "the scenario's say action") \
    T(SNAPSHOT, snapshot, snapshot, "the scenario's snapshot action: the cluster as it is") \
    T(DESCRIBE_GROUPS, describe_groups, describe_groups, "the scenario's describe groups action: the timeline shows consumer groups as kafka-consumer-groups.sh --describe does, as they are at that instant") \
    T(DESCRIBE, describe, describe, "the scenario's describe brokers, describe log or describe zk action: the timeline shows that table as it is at that instant") \
    T(EXPECT, expect, expect, "an expect line was checked") \
    T(NOTE, note, note, "a timeline action changed nothing") \
    /* Machines and processes. */ \
    T(BROKER_STARTED, broker_started, broker_event, "a broker's process started") \
    T(BROKER_CRASHED, broker_crashed, broker_event, "a broker's process crashed") \
    T(BROKER_RESTARTED, broker_restarted, broker_event, "a broker's process started again") \
    T(BROKER_STOPPING, broker_stopping, broker_stopping, "a broker was asked to stop and asked the controller for a controlled shutdown (or could not)") \
    T(BROKER_STOPPED, broker_stopped, broker_event, "a broker's process stopped cleanly") \
    T(BROKER_START_FAILED, broker_start_failed, broker_start_failed, "a broker's process exited at startup: `/brokers/ids/<id>` still belonged to its old session, or no ZooKeeper server took its connection (no quorum)") \
    T(NODE_CRASHED, node_crashed, node_event, "a machine crashed, with every process on it") \
    T(NODE_RESTARTED, node_restarted, node_event, "a machine came back") \
    T(NODE_ADDED, node_added, node_event, "a new machine joined (add node); it runs no broker until one is added") \
    T(NODE_RESIZED, node_resized, node_resized, "a machine changed type while its brokers were stopped (resize node, rolling-resize)") \
    /* ZooKeeper and the controller. */ \
    T(SESSION_EXPIRED, session_expired, broker_event, "a broker's ZooKeeper session expired") \
    T(SESSION_CLOSED, session_closed, broker_event, "a broker closed its ZooKeeper session on shutdown") \
    T(BROKER_REGISTERED, broker_registered, broker_event, "a broker created `/brokers/ids/<id>`") \
    T(CONTROLLER_ELECTED, controller_elected, controller_elected, "a broker became the controller") \
    /* Topics and partitions. */ \
    T(TOPIC_CREATED, topic_created, topic_created, "a topic was created") \
    T(LEADER_ELECTED, leader_elected, leader_elected, "a partition's leader changed (or it went offline)") \
    T(ISR_SHRUNK, isr_shrunk, isr_shrunk, "a replica left a partition's ISR") \
    T(ISR_EXPANDED, isr_expanded, isr_expanded, "a replica joined a partition's ISR") \
    T(PREFERRED_ELECTION, preferred_election, preferred_election, "a preferred-leader election was asked for (kafka-leader-election --election-type PREFERRED)") \
    T(TRUNCATED, truncated, truncated, "a follower truncated its log to its leader's") \
    /* Clients. */ \
    T(PRODUCER_STARTED, producer_started, producer_event, "a producer started") \
    T(PRODUCER_STOPPED, producer_stopped, producer_event, "a producer stopped") \
    T(PRODUCE, produce, produce, "the scenario's produce action sent records") \
    T(PRODUCE_FAILING, produce_failing, produce_failing, "a producer's writes started failing (or failing differently)") \
    T(PRODUCE_RECOVERED, produce_recovered, produce_recovered, "a producer's writes to a partition succeed again") \
    T(RECORDS_EXPIRED, records_expired, records_expired, "a producer gave records up") \
    /* Consumers and groups. */ \
    T(CONSUMER_STARTED, consumer_started, consumer_event, "a consumer started") \
    T(CONSUMER_STOPPED, consumer_stopped, consumer_event, "a consumer closed cleanly (LeaveGroup)") \
    T(CONSUMER_CRASHED, consumer_crashed, consumer_event, "a consumer's process died without a word") \
    T(CONSUMER_FAILED, consumer_failed, consumer_failed, "a consumer's poll() threw and its application stopped") \
    T(GROUP_REBALANCING, group_rebalancing, group_rebalancing, "a group went to PreparingRebalance") \
    T(GROUP_GENERATION, group_generation, group_generation, "a group's join phase completed: a new generation") \
    T(MEMBER_REMOVED, member_removed, member_removed, "the coordinator removed a member") \
    T(PARTITIONS_ASSIGNED, partitions_assigned, partitions_moved, "a member received its assignment (SyncGroup)") \
    T(PARTITIONS_REVOKED, partitions_revoked, partitions_moved, "a member gave partitions up before or after a rebalance") \
    T(OFFSETS_COMMITTED, offsets_committed, offsets_committed, "a member's commit was acknowledged (first after an assignment, before a rebalance, on close)") \
    T(RECORDS_REDELIVERED, records_redelivered, consumer_range, "records the group processed will be delivered again: its committed offset is behind them") \
    T(RECORDS_SKIPPED, records_skipped, consumer_range, "records committed as consumed that no member processed") \
    T(OFFSET_RESET, offset_reset, offset_reset, "a member had no committed offset for a partition (auto.offset.reset) or sought one") \
    T(GROUP_LOADED, group_loaded, group_loaded, "a new coordinator loaded a group from __consumer_offsets") \
    /* Flume agents. */ \
    T(FLUME_STARTED, flume_started, flume_event, "a Flume agent started") \
    T(FLUME_CRASHED, flume_crashed, flume_event, "a Flume agent's process died") \
    T(FLUME_RESTARTED, flume_restarted, flume_event, "a Flume agent started again") \
    T(CHANNEL_FILL, channel_fill, channel_fill, "a Flume channel's fill level moved by a tenth of its capacity (at most 1000 events), or its source dropped events (at most one line per agent per second)") \
    T(CHANNEL_FULL, channel_full, channel_fill, "a Flume channel refused a put: the source's events are dropped (ChannelFullException) until it has room again") \
    T(SINK_ROLLED_BACK, sink_rolled_back, flume_sink, "a Flume sink transaction failed: its events go back to the channel") \
    T(HDFS_FILE_ROLLED, hdfs_file_rolled, flume_sink, "a Flume HDFS sink closed its file (hdfs.rollInterval)") \
    /* The ZooKeeper ensemble. */ \
    T(ZK_SERVER_CRASHED, zk_server_crashed, zk_server, "a ZooKeeper server's process died") \
    T(ZK_SERVER_RESTARTED, zk_server_restarted, zk_server, "a ZooKeeper server started again") \
    T(ZK_LEADER_ELECTED, zk_leader_elected, zk_quorum, "the ensemble elected a leader: it has a quorum and takes writes") \
    T(ZK_QUORUM_LOST, zk_quorum_lost, zk_quorum, "no leader can be elected: fewer than a majority of the servers run, or none reaches a majority across a network partition; the ensemble takes no writes and expires no session") \
    /* Requests: only with --verbose (ks_sim_set_verbose). */ \
    T(REQUEST, request, request, "a request leaves its sender (only with --verbose)") \
    /* Partition reassignment (reassign, kafka-reassign-partitions.sh). */ \
    T(REASSIGN_PLANNED, reassign_planned, reassign_plan, "a reassignment plan was made, as kafka-reassign-partitions.sh --generate proposes it, and executed") \
    T(REASSIGN_STARTED, reassign_started, reassignment, "the controller started a partition reassignment: the replicas are the target and the original ones (RS = TRS + ORS), new replicas start as followers") \
    T(REASSIGN_CAUGHT_UP, reassign_caught_up, reassign_replica, "a replica a reassignment adds copied the log and joined the ISR") \
    T(REASSIGN_COMPLETED, reassign_completed, reassignment, "a partition reassignment completed: the target replicas are in the ISR, the leader is one of them, the removed replicas are stopped and deleted, the assignment is written") \
    /* Groups' ends. */ \
    T(GROUP_UNLOADED, group_unloaded, group_unloaded, "a coordinator gave a group up (its __consumer_offsets partition moved away or its process died): Dead there until a new coordinator loads it") \
    T(GROUP_DELETE, group_delete, group_deleted, "kafka-consumer-groups.sh --delete: the group was deleted (Dead, its offsets removed), or the error it failed with") \
    T(OFFSETS_EXPIRED, offsets_expired, group_deleted, "an Empty group's committed offsets outlived offsets.retention.minutes: removed, and the group is Dead") \
    T(PARTITIONS_ADDED, partitions_added, partitions_added, "partitions were added to a topic (kafka-topics.sh --alter --partitions); leader_elected lines with reason initial follow for the new ones") \
    /* The network and pauses. */ \
    T(NETWORK_PARTITIONED, network_partitioned, network_split, "partition-network cut (or made lossy) the links between two sets of nodes") \
    T(NETWORK_HEALED, network_healed, network_split, "heal-network: every link passes again") \
    T(BROKER_PAUSED, broker_paused, broker_pause, "a broker froze (a long GC pause, a frozen VM): alive and silent") \
    T(BROKER_RESUMED, broker_resumed, broker_pause, "a paused broker runs again, with the state it had") \
    T(ZK_CONTACT_LOST, zk_contact_lost, zk_contact, "a running broker can no longer reach a ZooKeeper server of the quorum (cut or paused): its session is no longer renewed") \
    T(ZK_CONTACT_REGAINED, zk_contact_regained, zk_contact, "a running broker reaches the quorum again: pings renew its session, or, if it expired, the broker registers anew and gives up the leadership and controllership it still believed in") \
    T(ZOMBIE_LEADER, zombie_leader, zk_contact, "the session of a running broker expired while it was cut off: the controller moves its partitions, but it still believes it leads them and answers producers that reach it") \
    T(REQUEST_TIMED_OUT, request_timed_out, request_timeout, "a request got no answer within its timeout (the network between was cut, or the receiver paused or lost power): at most one line per sender and receiver per timeout") \
    /* Power loss. */ \
    T(UNFLUSHED_LOST, unflushed_lost, unflushed_lost, "a broker's machine lost power (crash node): its logs went back to what was on disk")
// clang-format on

#define KS_EVENT_ENUM_(ENUM, name, shape, doc) KS_EV_##ENUM,
typedef enum { KS_EVENT_TYPES(KS_EVENT_ENUM_) KS_EV_COUNT } KsEventType;
#undef KS_EVENT_ENUM_

#define KS_EVENT_OPEN_(shape)                                struct KsEvent_##shape {
#define KS_EVENT_FIELD_(shape, name, kind, flags, unit, doc) KS_EVENT_CTYPE_##kind name;
#define KS_EVENT_CLOSE_(shape)                                                                     \
    }                                                                                              \
    shape;
struct KsEvent {
    KsTime t;
    KsEventType type;
    union {
        KS_EVENT_SHAPES(KS_EVENT_OPEN_, KS_EVENT_FIELD_, KS_EVENT_CLOSE_)
    };
};
#undef KS_EVENT_OPEN_
#undef KS_EVENT_FIELD_
#undef KS_EVENT_CLOSE_

/* One field of a payload, from the table. */
typedef struct {
    const char *name; /* C member and trace key */
    KsEventFieldKind kind;
    unsigned flags;   /* KS_EVENT_FLAG_OMIT, KS_EVENT_FLAG_NULLABLE */
    size_t offset;    /* of the value in KsEvent (or in what a descriptor describes) */
    const char *unit; /* "" for none */
    const char *doc;
} KsEventField;

/* One event type, from the table. */
typedef struct {
    const char *name;  /* trace name, e.g. "leader_elected" */
    const char *shape; /* its payload's union member */
    const char *doc;
    const KsEventField *fields; /* in trace order */
    size_t n_fields;
} KsEventTypeInfo;

/* What the table says about @type. Static. */
const KsEventTypeInfo *ks_event_type_info(KsEventType type);

/* Where @field's value is in @base, a KsEvent for the table's fields (cast
 * it to the KS_EVENT_CTYPE_ of the field's kind). */
static inline const void *ks_event_field_value(const void *base, const KsEventField *field)
{
    return (const char *)base + field->offset;
}

/* Whether @field is unset in @base: -1 for integers, times and brokers,
 * NULL for strings and topics, empty for lists; never for bools and
 * reasons. */
bool ks_event_field_unset(const void *base, const KsEventField *field);

/* Returns an event of @type at @t with every field of its payload unset. */
KsEvent ks_event_init(KsEventType type, KsTime t);

/* @event as its line of the JSON-lines trace, without the newline
 * (output-trace.c). Free with g_free(). */
char *ks_event_format_json(const KsEvent *event);

/* The JSON object of @n_fields @fields read from @base, as the trace
 * writes an event's payload: in order, the unset KS_EVENT_FLAG_OMIT ones
 * left out. For descriptors beyond the table (tests). Free with g_free(). */
char *ks_event_format_fields_json(const void *base, const KsEventField *fields, size_t n_fields);

/* The trace name of @type, e.g. "leader_elected". Static. */
const char *ks_event_type_name(KsEventType type);

/* Receives every event of a run, in order. */
typedef void (*KsEventSinkFn)(const KsEvent *event, void *ctx);
