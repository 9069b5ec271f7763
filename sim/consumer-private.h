/* SPDX-License-Identifier: MIT */
/*
 * consumer-private.h - a consumer client (consumer.c, consumer-fetch.c):
 * Kafka's ConsumerCoordinator, Fetcher and SubscriptionState in one.
 *
 * Private to sim/. Consumers live as long as the KsSim: a stopped or
 * crashed one keeps its struct (its counters, its name) and may start
 * again. Everything it holds about its group membership and positions is
 * reset when it starts.
 */
#pragma once

#include <stdbool.h>
#include <stdint.h>

#include <glib.h>

#include "group-private.h"

/* When the application commits (the consumer line's commit= key). */
typedef enum {
    KS_COMMIT_AUTO,   /* enable.auto.commit: in poll, every auto.commit.interval.ms */
    KS_COMMIT_SYNC,   /* commitSync() after processing each poll's records */
    KS_COMMIT_ASYNC,  /* commitAsync() after processing each poll's records */
    KS_COMMIT_BEFORE, /* commitSync() right after poll, before processing: at-most-once */
} KsCommitMode;

/* The membership side of the client (AbstractCoordinator.MemberState). */
typedef enum {
    KS_MEMBER_UNJOINED,
    KS_MEMBER_JOINING, /* JoinGroup in flight */
    KS_MEMBER_SYNCING, /* SyncGroup in flight */
    KS_MEMBER_STABLE,
} KsMemberState;

/* What the application thread is doing. */
typedef enum {
    KS_APP_POLLING,    /* in poll(), waiting for records or the group */
    KS_APP_PROCESSING, /* processing the records the last poll returned */
    KS_APP_COMMITTING, /* in commitSync() */
} KsAppState;

/* One assigned partition (SubscriptionState's TopicPartitionState). */
typedef struct {
    KsPartition *part;
    int64_t position; /* next offset poll returns; -1: not known yet */
    int64_t fetched;  /* records [position, fetched) are in the buffer */
    bool fetching;    /* in a fetch in flight */
    bool no_offset;   /* auto.offset.reset=none and nothing committed */
    /* A seek (consumer-seek.c), made by the application between polls:
     * NULL policy: none; with a time, ListOffsets for it is wanted
     * (listing false) or in flight; with an offset (seek_ready), it
     * applies at the next poll. */
    const char *seek_policy; /* "from-time", "to-time" or "to-offset" */
    KsTime seek_time;        /* -1: to an offset */
    KsTime seek_found;       /* the time of the record found; -1: none (the end) */
    int64_t seek_offset;
    bool listing, seek_ready;
} KsConsumerPart;

/* A range a poll returned, being processed. */
typedef struct {
    KsPartition *part;
    int64_t first, count;
} KsConsumerRange;

/* A consumer's fetch to one broker (one request for all its partitions led
 * there), parked at the broker for fetch.max.wait.ms when it has too little
 * data (the broker's DelayedFetch). */
typedef struct {
    KsConsumer *consumer;
    KsBroker *broker;
    uint64_t seq;         /* +1 per request and at reset: stale messages are dropped */
    KsTime backoff_until; /* the broker could not be reached: no request before then */
    bool in_flight;
    KsDelayed park;
    KsDelayedTimeouts parking;
    GList parked_link; /* while parked: in its broker's consumer_fetches_parked */
    GArray *parts;     /* of KsConsumerRange: the request (first = position), then the answer */
} KsConsumerFetch;

struct KsConsumer {
    KsSim *sim;
    char *name;
    int index;
    const KsPlanConsumer *plan;
    KsGroup *group;
    GPtrArray *topic_names; /* of char* (owned), as subscribed */
    KsNode *node;
    char *host; /* "/" and its node's name (its own name without a node) */
    KsNetEndpoint ep;
    /* Configs, resolved at start. */
    KsTime session_timeout, heartbeat_interval, max_poll_interval, auto_commit_interval;
    KsTime fetch_max_wait, retry_backoff, request_timeout, processing;
    int64_t max_poll_records, fetch_min_records, max_partition_records, from_offset;
    KsTime from_time; /* from-time=: -1 none */
    int offset_reset; /* 0 latest, 1 earliest, 2 none */
    KsCommitMode commit;
    int64_t commit_every;         /* commit-every=: records between commits; 0: per poll */
    int64_t since_commit;         /* records processed since the last commit-every commit */
    int64_t chunk;                /* records the processing timer covers */
    char *instance_id;            /* group.instance.id: a static member; NULL: dynamic */
    int incarnation;              /* starts so far */
    char *member_id;              /* this incarnation's: the name, then NAME-2, NAME-3, ... */
    int64_t assignors;            /* its protocols, partition.assignment.strategy's encoding */
    KsRebalanceProtocol protocol; /* eager or cooperative (group-protocol.c) */
    bool running;
    uint64_t token; /* +1 at start, stop and crash, and when the coordinator is lost */
    /* Membership. */
    KsBroker *coordinator; /* NULL: unknown */
    bool finding;
    KsMemberState mstate;
    int32_t generation; /* -1: none */
    bool rejoin_needed;
    bool committing;      /* a commit in flight */
    bool join_prepared;   /* onJoinPrepare's commit is done for the coming join */
    GArray *assigned;     /* of KsConsumerPart, sorted by (topic, partition) */
    GPtrArray *revoked;   /* of KsPartition*: what an eager member gave up before
                             rejoining, which StickyAssignor's user data still reports */
    KsTime stopped_since; /* it has consumed nothing since then; -1: it holds partitions */
    KsTimer heartbeat;
    KsTime last_heartbeat_ok;
    /* The application. */
    KsAppState app;
    KsTimer app_timer;
    GArray *batch; /* of KsConsumerRange: the records being processed */
    KsTime batch_start;
    KsTime last_poll;
    KsTime next_auto_commit;
    bool first_commit_done; /* since the last assignment */
    GPtrArray *fetches;     /* of KsConsumerFetch* (owned), by broker slot */
    GHashTable *msgs;       /* set of its KsGroupMsg* alive (in flight, or held by the
                               coordinator), freed with it; membership only, never
                               iterated for anything observable */
    int64_t records_consumed;
};

/* consumer.c */
KsConsumer *ks_consumer_new(KsSim *sim, const KsPlanConsumer *plan, int index);
void ks_consumer_free(KsConsumer *c);
KsConsumer *ks_consumer_find(const KsSim *sim, const char *name);
void ks_consumer_start(KsSim *sim, KsConsumer *c, const KsPlanAction *overrides);
/* The coordinator answered @m (or could not: @delivered false). */
void ks_consumer_group_response(KsSim *sim, KsGroupMsg *m, bool delivered);
void ks_consumer_poll(KsSim *sim, KsConsumer *c);
/* Polls again after retry.backoff.ms (unless it stopped meanwhile). */
void ks_consumer_retry_later(KsSim *sim, KsConsumer *c);
KsConsumerPart *ks_consumer_part(KsConsumer *c, const KsPartition *part);
bool ks_consumer_owns(const KsConsumer *c, const KsPartition *part);

KsGroupMsg *ks_consumer_msg_new(KsConsumer *c, KsGroupRequestKind kind);
void ks_consumer_emit_reset(KsSim *sim, KsConsumer *c, const KsPartition *p, const char *policy,
                            int64_t offset, KsTime time, KsTime found);

/* consumer-commit.c */
/* Accounts the first @n records of the batch as processed and removes them
 * from it; returns how many there were. */
int64_t ks_consumer_account(KsSim *sim, KsConsumer *c, int64_t n);
/* Records left in the batch. */
int64_t ks_consumer_batch_left(const KsConsumer *c);
/* Records to process before the next stop: the batch, or with
 * commit-every= up to the next commit. */
int64_t ks_consumer_next_chunk(const KsConsumer *c);
/* What a commit carries for @cp: its position, or with commit-every= the
 * first record of the batch not processed yet. */
int64_t ks_consumer_processed_offset(const KsConsumer *c, const KsConsumerPart *cp);

/* consumer-seek.c */
/* In poll: applies the seeks whose offset is known and sends ListOffsets
 * for those to a time. */
void ks_consumer_seek_list(KsSim *sim, KsConsumer *c);

/* consumer-fetch.c */
/* The leader of @part as @c's metadata names it: the metadata cache of the
 * broker it asks (its coordinator while that process runs, else the first
 * broker whose process runs), read at once; NULL while that cache names
 * no live leader (LEADER_NOT_AVAILABLE). Fetches and ListOffsets use it. */
KsBroker *ks_consumer_leader_of(const KsSim *sim, const KsConsumer *c, const KsPartition *part);
void ks_consumer_send_fetches(KsSim *sim, KsConsumer *c);
void ks_consumer_fetch_hw_advanced(KsSim *sim, KsPartition *part);
void ks_consumer_fetch_reset(KsConsumer *c);
void ks_consumer_fetch_free(gpointer p);
