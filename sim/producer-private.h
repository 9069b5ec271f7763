/* SPDX-License-Identifier: MIT */
/*
 * producer-private.h - the producers' own state: the record accumulator
 * and its batches, each producer's connections to brokers, its metadata,
 * its configs and partitioner, and the calls other modules make into
 * producer.c, producer-accum.c, producer-conn.c and producer-metadata.c.
 *
 * Private to sim/. Included by the producer*.c files (first), by
 * the modules that call a producer or read its state (broker.c answers its
 * requests, ledger.c reads what it sent, sim.c builds and drives it,
 * invariants.c checks it, query.c reports it) and by the model's tests.
 * Every field is written by producer.c, except the batches, the active set
 * and the arrivals (producer-accum.c), `meta` (producer-metadata.c), a
 * connection's attempt state (failures, attempt_at, reconnect_at,
 * connecting_until), which producer-conn.c keeps, and its purgatory
 * (`parked`), which broker.c and purgatory.c manage. Never included by a view.
 */
#pragma once

#include "broker-private.h"
#include "kafkasim/partitioner.h"
#include "model.h"

/* Per-partition accumulator state of one producer (RecordAccumulator). */
typedef struct {
    GQueue batches;         /* of KsProducerBatch*, in creation order; nodes: their link */
    int active_slot;        /* its index in KsProducer.active, -1 with no batch */
    int32_t unsent;         /* its batches not in flight (bit active_slot of unsent_bits) */
    bool listed_open;       /* in the producer's open_parts */
    KsBrokerId leader;      /* the producer's metadata: leader as last seen */
    int32_t leader_epoch;   /* and its epoch */
    KsConnection *conn;     /* the connection to that leader, NULL with none */
    bool failing;           /* its last attempt failed */
    KsTime failing_since;   /* when it started failing */
    int last_error;         /* KsKafkaError last reported while failing */
    int64_t refused;        /* records given up since it started failing */
    int64_t next_seq;       /* sequence number of its next record */
    int32_t producer_epoch; /* bumped when a gap in sequences can never be filled */
    int64_t epoch_base_seq; /* the sequence the current producer epoch starts at */
    int64_t acked_upto;     /* one past the highest acknowledged sequence */
} KsProducerPartition;

struct KsProducerBatch {
    GList link; /* its node in the partition's batches (data: the batch) */
    int32_t partition;
    int64_t first_seq;
    int64_t count;
    KsTime created;       /* arrival of its first record: linger.ms, delivery.timeout.ms */
    KsTime retry_after;   /* retry.backoff.ms after a failure */
    KsTime sent;          /* when its current or last attempt left */
    int32_t leader_epoch; /* the leader epoch its last attempt went to (KIP-951) */
    int attempts;
    bool in_flight;
    KsProduceRequest *request; /* while in flight: the request carrying it */
    guint slot;                /* and its index in that request's batches */
};

/*
 * A producer's connection to one broker, both ends of it: what the client
 * knows (requests in flight, failed connection attempts) and what the
 * broker holds for it (acks=all requests parked in its DelayedProduce
 * purgatory until the high watermark covers them or request.timeout.ms
 * passes). Parked requests are in arrival order, which is deadline order,
 * so one timer per connection covers them all.
 */
/* A batch's linger.ms deadline, as created: it counts while the batch is
 * its partition's newest, not sent yet (ks_producer_linger_deadline). */
typedef struct {
    KsTime at;
    const KsProducerBatch *batch;
    int32_t partition;
} KsLingerDeadline;

struct KsConnection {
    KsProducer *producer;
    KsBroker *broker;
    KsNetConn net;            /* the client's connection (net.c) */
    int in_flight;            /* requests sent and not answered (acks 1 and all) */
    int failures;             /* connection attempts that failed in a row */
    KsTime attempt_at;        /* the last connection attempt began */
    KsTime reconnect_at;      /* no attempt before this (reconnect.backoff.ms) */
    KsTime connecting_until;  /* an attempt to a silent machine times out then; 0: none */
    bool troubled;            /* failures > 0 or connecting_until > 0, counted in
                                 producer->troubled (producer-conn.c keeps both) */
    KsTime closed_at;         /* the client last closed it after a request timeout */
    GQueue lost;              /* requests whose answer cannot come (server machine down) */
    KsTimer timeout;          /* request.timeout.ms of the oldest of them */
    GQueue requests;          /* every live KsProduceRequest sent on it (owned; nodes: link) */
    KsDelayedTimeouts parked; /* acks=all requests waiting at the broker (purgatory.c) */
    int32_t leads;            /* partitions its broker leads, in the producer's metadata */
    GPtrArray *drain;         /* scratch: batches of the request being built */
    uint64_t ready_pass;      /* the drain pass that found it ready (producer-accum.c) */
};

/* What a producer knows of its topic's metadata and how it asks (Metadata,
 * ProducerMetadata): written by producer-metadata.c. */
typedef struct {
    bool added;                /* the first send() added the topic */
    bool known;                /* the last answer named the topic: send() does not block */
    bool requested;            /* an update is wanted (Metadata.needFullUpdate) */
    bool answered;             /* an answer has come */
    KsProduceRequest *request; /* the Metadata request in flight, NULL with none */
    KsKafkaError error;        /* how it went so far */
    int64_t attempts;          /* failed requests in a row */
    int64_t equivalent;        /* answers in a row in which no leader epoch went up */
    KsTime last_success;       /* lastSuccessfulRefreshMs */
    KsTime attempts_until;     /* no request before (backoff of attempts) */
    KsTime equivalent_until;   /* nor before this (backoff of equivalent answers) */
    KsTime unblocked_at;       /* send() last stopped blocking */
    KsTime block_floor;        /* the last send() that timed out gave up then: the next
                                  one blocks from then on (max.block.ms) */
    KsTime next;               /* when it must look again; KS_TIME_NEVER: on an event */
    GArray *nodes;             /* of KsBrokerId: brokers it may ask (bootstrap: all) */
    /* The answer on its way back (written when the broker answers). */
    bool answer_known;
    KsBrokerId *answer_leader; /* by partition: KS_NO_BROKER for LEADER_NOT_AVAILABLE */
    int32_t *answer_epoch;     /* by partition */
    int32_t answer_cap;        /* the size of answer_leader and answer_epoch */
    int32_t answer_n;          /* partitions the answer names (0 .. answer_n - 1) */
    GArray *answer_nodes;      /* of KsBrokerId: the cache's live brokers */
} KsProducerMetadata;

/* A send() made while the producer blocked waiting for metadata. */
typedef struct {
    int64_t count;
    char *key; /* owned; NULL: none */
    int32_t partition;
    KsTime since; /* send() was called */
} KsPendingSend;

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
    KsTime retry_backoff;     /* retry.backoff.ms, at most retry.backoff.max.ms */
    KsTime retry_backoff_max; /* retry.backoff.max.ms */
    KsTime reconnect_backoff;
    KsTime reconnect_backoff_max;
    KsTime setup_timeout;
    KsTime setup_timeout_max;
    KsTime request_timeout;
    KsTime delivery_timeout;
    KsTime metadata_max_age;
    KsTime max_block; /* max.block.ms: how long send() waits for metadata */
    bool idempotent;
    bool ignore_keys;
    bool adaptive;
    /* Partitioning. */
    KsPartitionerKind partitioner;
    KsRoundRobin rr;
    KsSticky sticky;
    KsTime expiry_floor;         /* no batch reaches delivery.timeout.ms before (a lower bound) */
    GArray *open_parts;          /* of int32_t: partitions whose newest batch may still take
                                    records, each once; the others leave when found */
    GArray *lingers;             /* of KsLingerDeadline: a min-heap of the linger.ms deadlines of
                                    the batches created, stale ones left in (producer-accum.c) */
    uint64_t drain_pass;         /* passes of the Sender's drain so far */
    KsStickyIndex *sticky_index; /* available and queue_sizes, for the sticky choice */
    KsRng rng;
    KsRng jitter; /* the backoffs' random factors */
    KsProducerMetadata meta;
    GArray *pending;      /* of KsPendingSend: sends waiting for metadata */
    bool *available;      /* partitions with a leader in its metadata */
    int32_t *avail_list;  /* the same, as a list in increasing order (round-robin) */
    int32_t n_avail;      /* length of avail_list */
    int32_t *queue_sizes; /* batches queued per partition (adaptive sticky) */
    /* Record arrivals at the configured rate: the k-th record (1-based) after
     * rate_start arrives at rate_start + ceil(k * 1e6 / rate). Records are
     * taken into batches when the producer wakes, each with its own arrival
     * time, so no event per record is needed. */
    bool running;
    KsTime rate_start;
    int64_t rate_arrived;       /* records taken since rate_start */
    int64_t generated;          /* rate-driven records so far (the count= limit) */
    KsProducerPartition *parts; /* by partition: n_parts of them */
    int32_t n_parts;            /* partitions of its topic in its metadata (grows when an
                                   answer names partitions added since) */
    GArray *active;             /* of int32_t: partitions with batches */
    guint64 *unsent_bits;       /* bit i: the partition in active slot i has a batch not in
                                   flight (only those can be sent, linger or back off) */
    int32_t unlinked;           /* partitions without a connection to a leader */
    int32_t retrying;           /* batches tried before and not in flight (their retry
                                   backoff matters to the wake timer) */
    int32_t troubled;           /* connections failing or connecting (KsConnection.troubled):
                                   with none, the checks of connection states are skipped */
    uint64_t conns_gen;         /* +1 when a connection opens or closes, or leaders move */
    /* The generations (net.links_gen, net.servers_gen, conns_gen) under
     * which every connection a partition may ask was last found open or
     * cut: while they hold, it still is (producer-accum.c). */
    uint64_t settled_links, settled_servers, settled_conns;
    bool settled_valid;
    GPtrArray *conns;   /* of KsConnection* (owned), by broker slot */
    GPtrArray *sending; /* scratch of the drain: connections with a request to send */
    /* Spares, reused before allocating: a batch or a request is made per
     * batch of records, and most live briefly. */
    GQueue spare_batches;  /* of KsProducerBatch* (owned; nodes: their link) */
    GQueue spare_requests; /* of KsProduceRequest* (owned; nodes: link), batches emptied */
    KsTimer wake;          /* next arrival, linger, retry or expiry */
    /* The application that hands it records and waits for their outcome
     * (a Flume agent's Kafka sink): told of every batch settled. NULL: none. */
    void (*on_settled)(KsSim *sim, void *owner, int64_t records, bool acked);
    void *owner;
};

/* producer.c */
KsProducer *ks_producer_new(KsSim *sim, const KsPlanProducer *plan, KsTopic *topic, int index);
void ks_producer_free(KsProducer *producer);
void ks_producer_start(KsSim *sim, KsProducer *producer);
void ks_producer_stop(KsSim *sim, KsProducer *producer);
void ks_producer_send(KsSim *sim, KsProducer *producer, int64_t count, const char *key,
                      int32_t partition);
/* The process died: every record it holds is given up, none is sent or
 * retried any more (a Flume agent's crash). */
void ks_producer_abandon(KsSim *sim, KsProducer *producer);
/* The broker is done with @req: its answer leaves for the producer (acks=0:
 * a produce request's is dropped). */
void ks_producer_respond(KsSim *sim, KsProduceRequest *req);
/* The connection to @b, made on first use. */
KsConnection *ks_producer_conn_for(KsProducer *producer, KsBroker *b);
/* A request to fill (a Metadata request is one with no batches). */
KsProduceRequest *ks_producer_request_new(KsProducer *producer);

/* producer-metadata.c */
void ks_producer_metadata_init(KsSim *sim, KsProducer *producer);
void ks_producer_metadata_clear(KsProducer *producer);
/* Asks for a metadata update at the next poll the backoffs allow. */
void ks_producer_request_metadata(KsSim *sim, KsProducer *producer);
/* KafkaProducer.waitOnMetadata: whether send() must wait, the topic not
 * being known yet (the first call asks at once). */
bool ks_producer_metadata_blocked(KsSim *sim, KsProducer *producer);
/* DefaultMetadataUpdater.maybeUpdate: sends a Metadata request if one is
 * due and a broker can take it; sets meta.next to when to look again. */
void ks_producer_metadata_poll(KsSim *sim, KsProducer *producer);
/* The answer to @req (or its failure) reached the producer. */
void ks_producer_metadata_answered(KsSim *sim, KsProduceRequest *req);
/* Points every partition at the connection to its leader as the
 * producer's metadata names it. */
void ks_producer_metadata_relink(KsSim *sim, KsProducer *producer);
/* KIP-951: broker @b answers @rb NOT_LEADER_OR_FOLLOWER and names the
 * leader it knows. */
void ks_producer_current_leader(KsSim *sim, const KsBroker *b, KsRequestBatch *rb);
/* KIP-951: the producer takes @rb's current leader if its epoch is newer;
 * returns whether it did (then relink). */
bool ks_producer_update_leadership(KsProducer *producer, const KsRequestBatch *rb);

/* Sends the request of the batches gathered in @c->drain. */
void ks_producer_send_request(KsSim *sim, KsConnection *c);
/* What the producer does whenever something happened: takes the records
 * that arrived, gives up on expired ones, sends what is ready, asks for
 * metadata when due, and sleeps until the next thing that can matter. */
void ks_producer_process(KsSim *sim, KsProducer *producer);

/* producer-accum.c: the record accumulator. */
/* A partition's newest and oldest batch, NULL with none (inline: they are
 * asked for every record). */
static inline KsProducerBatch *ks_producer_newest_batch(const KsProducerPartition *pp)
{
    return pp->batches.tail ? pp->batches.tail->data : NULL;
}

static inline KsProducerBatch *ks_producer_oldest_batch(const KsProducerPartition *pp)
{
    return pp->batches.head ? pp->batches.head->data : NULL;
}

/* A partition's first batch not in flight (the one its next request
 * would carry), its node in the batches; NULL with none. */
static inline GList *ks_producer_first_unsent(const KsProducerPartition *pp)
{
    GList *l = pp->batches.head;
    while (l && ((const KsProducerBatch *)l->data)->in_flight)
        l = l->next;
    return l;
}
/* @batch is now (@unsent) or no longer a batch not in flight (it was made,
 * sent, put back for a retry, or settled unsent): keeps its partition's
 * count, unsent_bits, and the count of retries waiting. */
void ks_producer_count_unsent(KsProducer *producer, const KsProducerBatch *batch, bool unsent);
/* The first active slot from @from on whose partition has a batch not in
 * flight, -1 with none; in slot order, which is the active set's order. */
int ks_producer_next_unsent(const KsProducer *producer, int from);
/* Takes the records that arrived at the rate since the last time. */
void ks_producer_take_arrivals(KsSim *sim, KsProducer *producer);
/* Appends the sends that waited for metadata, once it is known. */
void ks_producer_flush_pending(KsSim *sim, KsProducer *producer);
/* max.block.ms: fails the sends that waited that long for metadata. */
void ks_producer_block_timeouts(KsSim *sim, KsProducer *producer);
/* When the send() blocked now gives up; KS_TIME_NEVER: none blocks. */
KsTime ks_producer_block_deadline(const KsSim *sim, const KsProducer *producer);
/* Gives up every send() still waiting for metadata (the process died). */
void ks_producer_drop_pending(KsSim *sim, KsProducer *producer);
/* The batch is done: acknowledged (judged by the ledger now when @seen,
 * else when the acks=0 request lands) or refused. */
void ks_producer_settle_batch(KsSim *sim, KsProducer *producer, KsProducerBatch *batch, bool acked,
                              bool seen);
/* KIP-360: a new producer epoch for @pp, starting at its oldest batch. */
void ks_producer_bump_epoch(KsProducerPartition *pp);
/* producer.c: its metadata names @n partitions of its topic (more than
 * before): the per-partition state grows, the new ones without a leader. */
void ks_producer_grow(KsProducer *p, int32_t n);
/* Rebuilds avail_list from available (after a metadata change). */
void ks_producer_list_available(KsProducer *p);
/* KIP-951: whether @batch's partition has a newer leader than its last
 * attempt went to. */
bool ks_producer_leader_changed(const KsProducer *producer, const KsProducerBatch *batch);
/* Sends requests until every broker is at its limit or nothing is ready. */
void ks_producer_drain(KsSim *sim, KsProducer *producer);
/* Gives up on batches that reached delivery.timeout.ms, sent or not. */
void ks_producer_expire_batches(KsSim *sim, KsProducer *producer);
/* The earliest moment a record not arrived yet could make a batch ready. */
KsTime ks_producer_arrival_deadline(KsSim *sim, KsProducer *producer);
/* The earliest linger.ms deadline after @now of a partition's newest batch
 * not sent yet (never tried), or KS_TIME_NEVER; drops the deadlines that no
 * longer count. */
KsTime ks_producer_linger_deadline(KsProducer *producer, KsTime now);

/* producer-conn.c */
/* ExponentialBackoff.backoff(@attempts) of Kafka's clients, in whole
 * milliseconds as Kafka computes it: @initial * 2^attempts, at most
 * 2^log2(@max / @initial), times a factor drawn from [0.8, 1.2) with @rng,
 * then capped at @max. With @max <= @initial it is @max, without jitter. */
KsTime ks_producer_backoff(KsRng *rng, KsTime initial, KsTime max, int64_t attempts);
/* NetworkClient.ready: whether a request can go on @c now; connects (or
 * notes a failed attempt) when it must. */
bool ks_producer_connection_ready(KsSim *sim, KsConnection *c);
/* Tells the timeline Kafka's log line @message about @c's broker. */
void ks_producer_emit_connection(KsSim *sim, KsConnection *c, const char *message);
