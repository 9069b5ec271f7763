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
    /* Its fetch session with that broker (fetch-session.c). */
    int32_t session_id;  /* 0: none */
    int32_t next_epoch;  /* of the next request; 0: a full one */
    GArray *sent;        /* of KsConsumerRange: the session's partitions and offsets */
    int32_t req_session; /* the request in flight: its session id and epoch */
    int32_t req_epoch;
    int32_t resp_session; /* the answer: the session id; its error */
    KsKafkaError error;
    KsTime sent_at;  /* when the request in flight left */
    bool connecting; /* it waits for a connection attempt instead */
} KsConsumerFetch;

/* Which of a consumer's two connections to a broker (consumer-net.c). */
typedef enum {
    KS_LINK_NODE,        /* FindCoordinator, fetches */
    KS_LINK_COORDINATOR, /* the group requests to its coordinator */
} KsConsumerLink;

/* A consumer's connection to one broker (consumer-net.c). */
typedef struct {
    KsNetConn net;
    KsTime connecting_until; /* an attempt to a silent broker fails then; 0: none */
    KsTime closed_at;        /* the client last closed it (a timeout); -1: never */
} KsConsumerConn;

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
    KsTime connect_timeout; /* socket.connection.setup.timeout.ms */
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
    /* Its metadata (consumer-metadata.c): partition counts by topic index,
     * as of its last refresh, and, while it leads the group, those its
     * assignment used (assignmentSnapshot; empty otherwise). */
    KsTime metadata_max_age, meta_refreshed;
    GArray *meta_counts;  /* of int32_t; NULL before its first start */
    GArray *snapshot;     /* of int32_t */
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
    GPtrArray *fetch_to;    /* scratch of ks_consumer_send_fetches: KsBroker* per assigned */
    GArray *conns;          /* of KsConsumerConn, two per broker slot (consumer-net.c) */
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
/* The coordinator answered @m (or could not: @delivered false). A request
 * or answer lost silently (a cut, a machine that is down) waits for its
 * timeout (consumer-net.c) before the consumer hears of it. */
void ks_consumer_group_response(KsSim *sim, KsGroupMsg *m, bool delivered);
/* The same, at once: the answer, or the failure the consumer sees. */
void ks_consumer_group_answer(KsSim *sim, KsGroupMsg *m, bool delivered);
/* markCoordinatorUnknown: the coordinator is looked for again after
 * retry.backoff.ms. */
void ks_consumer_coordinator_lost(KsSim *sim, KsConsumer *c);
/* The API name of a group request kind ("Heartbeat", ...). */
const char *ks_consumer_api_name(KsGroupRequestKind kind);
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

/* fetch-session.c: fetch sessions (KIP-227). Sizes of what a fetch
 * names, for the capacity model's network limits. */
#define KS_FETCH_REQUEST_BYTES            64
#define KS_FETCH_PARTITION_REQUEST_BYTES  32
#define KS_FETCH_RESPONSE_BYTES           16
#define KS_FETCH_PARTITION_RESPONSE_BYTES 42
/* The request @f->parts is about to go: the session id and epoch it
 * carries; returns how many partitions it names (all of them when full,
 * else the ones added, moved or forgotten). */
int64_t ks_fetch_session_build(KsConsumerFetch *f);
int64_t ks_fetch_request_bytes(int64_t named);
/* At broker @b: the session step of @f's request (FetchManager.newContext);
 * KS_ERR_NONE, or FETCH_SESSION_ID_NOT_FOUND / INVALID_FETCH_SESSION_EPOCH. */
KsKafkaError ks_fetch_session_serve(KsSim *sim, KsBroker *b, KsConsumerFetch *f);
/* The client got the answer to its request (@err its error). */
void ks_fetch_session_answered(KsConsumerFetch *f, KsKafkaError err);
/* The answer will not come (connection failed, or dropped): a full
 * request next, in a new session. */
void ks_fetch_session_lost(KsConsumerFetch *f);
/* The consumer's process ends: it forgets its sessions; @close: it closes
 * them at their brokers (KafkaConsumer.close). */
void ks_fetch_sessions_end(KsConsumer *c, bool close);
/* Sessions in @b's cache now. */
int32_t ks_fetch_session_count(KsBroker *b);
void ks_fetch_session_cache_free(KsFetchSessionCache *cache);

/* consumer-fetch.c */
/* The leader of @part as @c's metadata names it: the metadata cache of the
 * broker it asks (its coordinator while that process runs, else the first
 * broker whose process runs), read at once; NULL while that cache names
 * no live leader (LEADER_NOT_AVAILABLE). Fetches and ListOffsets use it. */
KsBroker *ks_consumer_leader_of(const KsSim *sim, const KsConsumer *c, const KsPartition *part);
void ks_consumer_send_fetches(KsSim *sim, KsConsumer *c);
void ks_consumer_fetch_hw_advanced(KsSim *sim, KsPartition *part);
void ks_consumer_fetch_reset(KsConsumer *c);
/* The connection to @b closed: the fetch in flight there fails. */
void ks_consumer_fetch_disconnected(KsSim *sim, KsConsumer *c, KsBroker *b);
void ks_consumer_fetch_free(gpointer p);

/* consumer-metadata.c: partition counts in the consumer's metadata. */
void ks_consumer_metadata_start(KsSim *sim, KsConsumer *c, KsTime max_age);
void ks_consumer_metadata_free(KsConsumer *c);
/* @t's partition count in @c's metadata. */
int32_t ks_consumer_metadata_count(const KsConsumer *c, const KsTopic *t);
/* @c, the group's leader, assigned over its metadata now. */
void ks_consumer_metadata_assigned(KsConsumer *c);
/* At a poll: refreshes the metadata when metadata.max.age.ms has passed;
 * a leader whose subscribed topics' counts changed asks to rejoin. */
void ks_consumer_metadata_poll(KsSim *sim, KsConsumer *c);

/* consumer-net.c: connections and request timeouts. */
/* Whether a request to @b or its answer was lost without a word: dropped
 * on a cut or lossy link (inside a net handler), or @b's machine is down. */
bool ks_consumer_lost_silently(const KsSim *sim, const KsBroker *b);
/* Before a request to @b: -1 when it can go now (the connection is open,
 * or believed open, or the broker's kernel will refuse it); else the delay
 * after which it fails, its connection attempt to a silent broker timing
 * out (socket.connection.setup.timeout.ms). */
KsTime ks_consumer_conn_wait(KsSim *sim, KsConsumer *c, KsBroker *b, KsConsumerLink link);
/* Whether @c believes its connection to @b open: it is, or it was cut or
 * its machine went down since (no reset came). */
bool ks_consumer_conn_believed_open(KsSim *sim, KsConsumer *c, KsBroker *b, KsConsumerLink link);
/* Whether @c closed @link to @b after @t (a request sent then has failed
 * with it). */
bool ks_consumer_conn_closed_since(KsSim *sim, KsConsumer *c, KsBroker *b, KsConsumerLink link,
                                   KsTime t);
/* Sends @m to @b, or fails it when its connection attempt times out. */
void ks_consumer_send_group(KsSim *sim, KsConsumer *c, KsBroker *b, KsGroupMsg *m,
                            KsNetHandler arrives);
/* @m or its answer was lost silently: the consumer hears of it when its
 * request timeout runs out, counted from when it was sent. */
void ks_consumer_group_lost(KsSim *sim, KsGroupMsg *m);
/* NetworkClient closes @link to @b: a request of @api timed out, or
 * (@connecting) its connection attempt did (@api NULL: the client chose
 * to, no line on the timeline). @m (NULL: none) fails, then on the node's
 * connection the fetch in flight there; on the coordinator's, the
 * coordinator is unknown again. */
void ks_consumer_disconnect(KsSim *sim, KsConsumer *c, KsBroker *b, KsConsumerLink link,
                            const char *api, bool connecting, KsGroupMsg *m);
/* A new process: no connection is open. */
void ks_consumer_conns_reset(KsConsumer *c);
void ks_consumer_conns_free(KsConsumer *c);
