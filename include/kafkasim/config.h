/* SPDX-License-Identifier: MIT */
/*
 * config.h - Kafka configuration names, types and defaults.
 *
 * One table (sim/config.c) lists every Kafka config a scenario may set, under
 * Kafka's own name, with Kafka's own default and the kinds of entity it
 * configures (broker, topic, producer, consumer). A scenario sets a config on
 * the line of the thing it configures (`topic t min.insync.replicas=2`) or as
 * a cluster-wide default (`set min.insync.replicas=2`). The model reads a
 * value with ks_config_resolve(): the entity's own setting, else the
 * cluster-wide default, else Kafka's default.
 *
 * Values are int64: integers and byte sizes as they are, booleans as 0/1,
 * enums as the value of the chosen name (acks=all is -1, as in Kafka), and
 * durations as KsTime microseconds. A config whose name ends in ".ms" takes a
 * plain number of milliseconds, as in Kafka, or a duration with its unit
 * ("10s"); ".seconds" and ".minutes" configs likewise take plain numbers in
 * their own unit. KS_CONFIG_STRING configs (group.instance.id, client.rack)
 * hold text instead: a name (`client.rack=eu-1a`) or a quoted string.
 */
#pragma once

#include <stdbool.h>
#include <stdint.h>

#include <glib.h>

#include "kafkasim/types.h"

typedef enum {
    /* Broker and topic configs. */
    KS_CFG_REPLICA_LAG_TIME_MAX_MS,
    KS_CFG_MIN_INSYNC_REPLICAS,
    KS_CFG_UNCLEAN_LEADER_ELECTION_ENABLE,
    KS_CFG_AUTO_LEADER_REBALANCE_ENABLE,
    KS_CFG_LEADER_IMBALANCE_PER_BROKER_PERCENTAGE,
    KS_CFG_LEADER_IMBALANCE_CHECK_INTERVAL_SECONDS,
    KS_CFG_DEFAULT_REPLICATION_FACTOR,
    KS_CFG_NUM_PARTITIONS,
    KS_CFG_REPLICA_FETCH_WAIT_MAX_MS,
    KS_CFG_REPLICA_FETCH_MIN_BYTES,
    KS_CFG_REPLICA_FETCH_MAX_BYTES,
    KS_CFG_REPLICA_FETCH_BACKOFF_MS,
    KS_CFG_REPLICA_SOCKET_TIMEOUT_MS,
    KS_CFG_ZOOKEEPER_SESSION_TIMEOUT_MS,
    KS_CFG_CONTROLLED_SHUTDOWN_ENABLE,
    KS_CFG_CONTROLLED_SHUTDOWN_MAX_RETRIES,
    KS_CFG_CONTROLLED_SHUTDOWN_RETRY_BACKOFF_MS,
    KS_CFG_RETENTION_MS,
    KS_CFG_GROUP_INITIAL_REBALANCE_DELAY_MS,
    KS_CFG_OFFSETS_TOPIC_NUM_PARTITIONS,
    KS_CFG_OFFSETS_TOPIC_REPLICATION_FACTOR,
    KS_CFG_GROUP_MIN_SESSION_TIMEOUT_MS,
    KS_CFG_GROUP_MAX_SESSION_TIMEOUT_MS,
    /* When logs are flushed to disk (sim/log.c): Kafka's settings, then the
     * operating system's writeback (Linux's vm.dirty_* sysctls, in ms). */
    KS_CFG_LOG_FLUSH_INTERVAL_MESSAGES,
    KS_CFG_FLUSH_MESSAGES,
    KS_CFG_LOG_FLUSH_INTERVAL_MS,
    KS_CFG_FLUSH_MS,
    KS_CFG_LOG_FLUSH_SCHEDULER_INTERVAL_MS,
    KS_CFG_OS_DIRTY_EXPIRE_MS,
    KS_CFG_OS_DIRTY_WRITEBACK_MS,
    /* Producer configs. */
    KS_CFG_ACKS,
    KS_CFG_LINGER_MS,
    KS_CFG_BATCH_SIZE,
    KS_CFG_RETRIES,
    KS_CFG_RETRY_BACKOFF_MS,
    KS_CFG_REQUEST_TIMEOUT_MS,
    KS_CFG_DELIVERY_TIMEOUT_MS,
    KS_CFG_MAX_IN_FLIGHT_REQUESTS_PER_CONNECTION,
    KS_CFG_ENABLE_IDEMPOTENCE,
    KS_CFG_BUFFER_MEMORY,
    KS_CFG_MAX_BLOCK_MS,
    KS_CFG_METADATA_MAX_AGE_MS,
    KS_CFG_PARTITIONER_IGNORE_KEYS,
    KS_CFG_PARTITIONER_ADAPTIVE_PARTITIONING_ENABLE,
    KS_CFG_PARTITIONER_AVAILABILITY_TIMEOUT_MS,
    KS_CFG_RETRY_BACKOFF_MAX_MS,
    KS_CFG_RECONNECT_BACKOFF_MS,
    KS_CFG_RECONNECT_BACKOFF_MAX_MS,
    KS_CFG_SOCKET_CONNECTION_SETUP_TIMEOUT_MS,
    KS_CFG_SOCKET_CONNECTION_SETUP_TIMEOUT_MAX_MS,
    /* Consumer configs. */
    KS_CFG_AUTO_OFFSET_RESET,
    KS_CFG_ENABLE_AUTO_COMMIT,
    KS_CFG_AUTO_COMMIT_INTERVAL_MS,
    KS_CFG_SESSION_TIMEOUT_MS,
    KS_CFG_HEARTBEAT_INTERVAL_MS,
    KS_CFG_MAX_POLL_INTERVAL_MS,
    KS_CFG_MAX_POLL_RECORDS,
    KS_CFG_FETCH_MIN_BYTES,
    KS_CFG_FETCH_MAX_WAIT_MS,
    KS_CFG_PARTITION_ASSIGNMENT_STRATEGY,
    KS_CFG_GROUP_INSTANCE_ID,
    KS_CFG_CLIENT_RACK,
    KS_CFG_MAX_PARTITION_FETCH_BYTES,
    /* Broker configs of the group coordinator, added later. */
    KS_CFG_OFFSETS_RETENTION_MINUTES,
    KS_CFG_OFFSETS_RETENTION_CHECK_INTERVAL_MS,
    KS_CFG_MAX_INCREMENTAL_FETCH_SESSION_CACHE_SLOTS,
    KS_CFG_COUNT
} KsConfigKey;

typedef enum {
    KS_CONFIG_INT,       /* integer within [min, max] */
    KS_CONFIG_BYTES,     /* byte count within [min, max] */
    KS_CONFIG_BOOL,      /* true or false */
    KS_CONFIG_MS,        /* duration; a plain number is milliseconds */
    KS_CONFIG_SECONDS,   /* duration; a plain number is seconds */
    KS_CONFIG_MINUTES,   /* duration; a plain number is minutes */
    KS_CONFIG_ENUM,      /* one of the names in `choices` */
    KS_CONFIG_STRING,    /* text: a name or a quoted string, at most 249 bytes */
    KS_CONFIG_ENUM_LIST, /* a list of names in `choices`, in order (see ks_config_list_at) */
} KsConfigType;

/* Kafka's Long.MAX_VALUE milliseconds as a duration (the largest whole
 * number of milliseconds a KsTime holds): "never" for the flush settings. */
#define KS_CONFIG_LONG_MAX_MS ((INT64_MAX / KS_TIME_MS) * KS_TIME_MS)

/* Which entities a config may be set on (a bit set). `set` accepts all. */
typedef enum {
    KS_SCOPE_BROKER = 1 << 0,
    KS_SCOPE_TOPIC = 1 << 1,
    KS_SCOPE_PRODUCER = 1 << 2,
    KS_SCOPE_CONSUMER = 1 << 3,
} KsConfigScope;

/* One accepted name of an enum config and the value it stands for. */
typedef struct {
    const char *name;
    int64_t value;
} KsConfigChoice;

typedef struct {
    KsConfigKey key;
    const char *name; /* Kafka's name, e.g. "min.insync.replicas" */
    KsConfigType type;
    unsigned scopes;               /* KsConfigScope bits */
    int64_t def;                   /* Kafka's default (durations in KsTime); not STRING */
    int64_t min, max;              /* inclusive bounds for INT, BYTES and durations */
    const KsConfigChoice *choices; /* ENUM only; ends with {NULL, 0} */
    const char *def_text;          /* STRING only: Kafka's default; NULL: null */
    const char *example;           /* STRING only: a value for messages, e.g. "eu-1a" */
    bool supported;                /* false: the model does not honour it yet */
    const char *doc;               /* one line, for error messages and docs */
} KsConfigInfo;

/* A KS_CONFIG_ENUM_LIST value holds up to KS_CONFIG_LIST_MAX choice values
 * (each 0..6), three bits each, the first lowest, stored as value + 1 (0
 * ends the list). ks_config_list_at() is the @i-th item's choice value, or
 * -1 past the end; ks_config_list_add() appends @item to @list. */
#define KS_CONFIG_LIST_MAX 8
int64_t ks_config_list_at(int64_t list, int i);
int64_t ks_config_list_add(int64_t list, int64_t item);

/* The table row for @key. Never NULL for a valid key. */
const KsConfigInfo *ks_config_info(KsConfigKey key);

/* The row whose name is @name, or NULL. */
const KsConfigInfo *ks_config_find(const char *name);

/* The known config name closest to @name (edit distance), or NULL if none is
 * close enough to be a likely typo. Borrowed, static. */
const char *ks_config_suggest(const char *name);

/* Formats @value of @key the way a scenario would write it ("10s", "all",
 * "true", "2"). A KS_CONFIG_STRING key has no number values: for it this
 * returns the row's example value. Returns a new string; free with g_free(). */
char *ks_config_format_value(KsConfigKey key, int64_t value);

/* Formats @text the way a scenario writes a string config's value: as is
 * when it is a non-empty run of name characters (letters, digits, '.', '-',
 * '_'), else quoted with \", \\ and \n escapes. Returns a new string. */
char *ks_config_format_text(const char *text);

/*
 * A set of config values: which keys are set, and to what. Every entity of
 * the plan (broker, topic, producer, consumer) and the cluster-wide `set`
 * defaults have one. Opaque; it grows with the keys put into it, so the
 * table may hold any number of configs.
 */

/* Returns a new empty set; free with ks_config_set_free(). */
KsConfigSet *ks_config_set_new(void);

/* Frees @set; NULL is a no-op. */
void ks_config_set_free(KsConfigSet *set);

/* Whether @set has a value for @key (NULL @set has none). */
bool ks_config_set_has(const KsConfigSet *set, KsConfigKey key);

/* Whether @set has no value at all (NULL @set is empty). */
bool ks_config_set_is_empty(const KsConfigSet *set);

/* Stores @value for @key in @set. @key must not be a KS_CONFIG_STRING key. */
void ks_config_set_put(KsConfigSet *set, KsConfigKey key, int64_t value);

/* Stores a copy of @text for the KS_CONFIG_STRING key @key in @set. */
void ks_config_set_put_string(KsConfigSet *set, KsConfigKey key, const char *text);

/* Copies @src's value of @key, whatever its type, into @dst; nothing if
 * @src has none. */
void ks_config_set_put_from(KsConfigSet *dst, const KsConfigSet *src, KsConfigKey key);

/* @set's own value of the number config @key, or 0 if it has none. */
int64_t ks_config_set_get(const KsConfigSet *set, KsConfigKey key);

/* @set's own text of the string config @key, or NULL if it has none.
 * Borrowed: valid until @set changes or is freed. */
const char *ks_config_set_get_string(const KsConfigSet *set, KsConfigKey key);

/* @set's value of @key as a scenario writes it (see ks_config_format_value()
 * and ks_config_format_text()), or NULL if it has none. Returns a new
 * string; free with g_free(). */
char *ks_config_set_format(const KsConfigSet *set, KsConfigKey key);

/* The value of @key for an entity: @entity's own setting if it has one, else
 * the cluster-wide @defaults, else Kafka's default. Either set may be NULL.
 * For a number config; see ks_config_resolve_string() for text. */
int64_t ks_config_resolve(KsConfigKey key, const KsConfigSet *entity, const KsConfigSet *defaults);

/* The same chain for the KS_CONFIG_STRING key @key; NULL where Kafka's
 * default is null (group.instance.id). Borrowed from the sets or static. */
const char *ks_config_resolve_string(KsConfigKey key, const KsConfigSet *entity,
                                     const KsConfigSet *defaults);

/* Why Kafka's producer refuses its configs when it is built (a
 * ConfigException from the KafkaProducer constructor), in the order Kafka
 * checks; see ks_config_producer_effective(). */
typedef enum {
    KS_PRODUCER_REFUSAL_NONE,             /* Kafka builds the producer */
    KS_PRODUCER_REFUSAL_RETRIES,          /* enable.idempotence given true, retries=0 */
    KS_PRODUCER_REFUSAL_ACKS,             /* enable.idempotence given true, acks not all */
    KS_PRODUCER_REFUSAL_IN_FLIGHT,        /* enable.idempotence given true, more than 5 in flight */
    KS_PRODUCER_REFUSAL_DELIVERY_TIMEOUT, /* delivery.timeout.ms given, below the sum */
} KsProducerRefusal;

/*
 * The settings Kafka's producer (3.2 to 3.9) actually runs with, from its
 * own configs @own (NULL: none, as for the console producer of a `produce`
 * action) and the cluster-wide @defaults (may be NULL). A config is "given"
 * when @own or @defaults has it, as Kafka counts a config the user passed in.
 * This is the one place kafkasim states these rules:
 *
 *  - ProducerConfig.postProcessAndValidateIdempotenceConfigs: when
 *    enable.idempotence resolves to true and retries is 0, acks is not all
 *    or max.in.flight.requests.per.connection is above 5, idempotence is
 *    turned off if enable.idempotence was not given; if it was given, Kafka
 *    refuses (retries checked first, then acks, then in-flight requests).
 *  - KafkaProducer.configureDeliveryTimeout: the least delivery timeout is
 *    linger.ms + request.timeout.ms, capped at Integer.MAX_VALUE ms. A
 *    delivery.timeout.ms below it is raised to it if it was not given; if it
 *    was given, Kafka refuses.
 *
 * (Kafka 4.0 differs: it also refuses more than 5 requests in flight when
 * idempotence is on by default.)
 *
 * Stores the effective idempotence in *@out_idempotent and the effective
 * delivery timeout (KsTime) in *@out_delivery_timeout; either pointer may be
 * NULL. Returns the first refusal in Kafka's order, else
 * KS_PRODUCER_REFUSAL_NONE; on a refusal the outputs hold the values as given
 * (a refused producer never runs). The parser refuses every producer that
 * Kafka would refuse, and stores the adjusted values in a declared
 * producer's configs; since a stored value counts as given and never
 * conflicts, calling this again on the plan's configs gives the same values.
 * This function can't fail.
 */
KsProducerRefusal ks_config_producer_effective(const KsConfigSet *own, const KsConfigSet *defaults,
                                               bool *out_idempotent, KsTime *out_delivery_timeout);

/* Kafka's exception message for @refusal, word for word; NULL for
 * KS_PRODUCER_REFUSAL_NONE. Borrowed, static. */
const char *ks_config_producer_refusal_message(KsProducerRefusal refusal);

/* Why a Kafka broker refuses to start with its configs: the cross-checks
 * of KafkaConfig.validateValues (Kafka 3.9 KafkaConfig.scala:888-891) the
 * model's configs can break, in Kafka's order. */
typedef enum {
    KS_BROKER_REFUSAL_NONE,
    KS_BROKER_REFUSAL_SOCKET_TIMEOUT, /* replica.fetch.wait.max.ms above replica.socket.timeout.ms
                                         (30 s, Kafka's default: not a config here) */
    KS_BROKER_REFUSAL_LAG_TIME,       /* replica.fetch.wait.max.ms above replica.lag.time.max.ms */
} KsBrokerRefusal;

/* The first refusal of a broker whose own configs are @own (NULL: none)
 * over the cluster-wide @defaults (may be NULL). */
KsBrokerRefusal ks_config_broker_refusal(const KsConfigSet *own, const KsConfigSet *defaults);

/* Kafka's exception message for @refusal, word for word (a Scala require:
 * "requirement failed: ..."); NULL for KS_BROKER_REFUSAL_NONE. Static. */
const char *ks_config_broker_refusal_message(KsBrokerRefusal refusal);

G_DEFINE_AUTOPTR_CLEANUP_FUNC(KsConfigSet, ks_config_set_free)
