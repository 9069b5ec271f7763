/* SPDX-License-Identifier: MIT */
/*
 * config.c - the table of Kafka configs a scenario may set.
 *
 * Names and defaults are Kafka's own, ZooKeeper era (3.x): see
 * ReplicationConfigs.java, ServerLogConfigs.java, ZkConfigs.java,
 * ProducerConfig.java and ConsumerConfig.java in Apache Kafka. A row with
 * supported = false is a real Kafka config the model does not honour yet;
 * the parser refuses it rather than accept a setting that changes nothing.
 * The table is indexed by KsConfigKey and walked linearly by name: it has a
 * few dozen rows and is read only while parsing.
 *
 * At the end, the rules by which Kafka's producer adjusts or refuses its
 * configs when it is built (ks_config_producer_effective): the parser and
 * the model both use them, so they cannot disagree; and the cross-checks
 * of KafkaConfig.validateValues by which a broker refuses to start
 * (ks_config_broker_refusal).
 */
#include "kafkasim/config.h"

#include <string.h>

#include "kafkasim/text.h"

#define B            KS_SCOPE_BROKER
#define T            KS_SCOPE_TOPIC
#define P            KS_SCOPE_PRODUCER
#define C            KS_SCOPE_CONSUMER
#define MS           KS_TIME_MS
#define MAX_DURATION (365 * 24 * KS_TIME_H)

static const KsConfigChoice acks_choices[] = {
    {"all", -1}, {"-1", -1}, {"0", 0}, {"1", 1}, {NULL, 0},
};

static const KsConfigChoice offset_reset_choices[] = {
    {"latest", 0},
    {"earliest", 1},
    {"none", 2},
    {NULL, 0},
};

/* ConsumerPartitionAssignor names and Kafka's class names. */
static const KsConfigChoice assignor_choices[] = {
    {"range", 0},
    {"roundrobin", 1},
    {"sticky", 2},
    {"cooperative-sticky", 3},
    {"org.apache.kafka.clients.consumer.RangeAssignor", 0},
    {"org.apache.kafka.clients.consumer.RoundRobinAssignor", 1},
    {"org.apache.kafka.clients.consumer.StickyAssignor", 2},
    {"org.apache.kafka.clients.consumer.CooperativeStickyAssignor", 3},
    {NULL, 0},
};

/* [RangeAssignor, CooperativeStickyAssignor] (ConsumerConfig). */
#define ASSIGNORS_DEFAULT ((0 + 1) | (3 + 1) << 3)

#define ROW(k, n, ty, sc, d, lo, hi, ch, sup, dc)                                                  \
    ROWX(k, n, ty, sc, d, lo, hi, ch, NULL, NULL, sup, dc)

/* A string config: Kafka's default text @dt (NULL: null) and an example. */
#define ROWS(k, n, sc, dt, ex, sup, dc)                                                            \
    ROWX(k, n, KS_CONFIG_STRING, sc, 0, 0, 0, NULL, dt, ex, sup, dc)

#define ROWX(k, n, ty, sc, d, lo, hi, ch, dt, ex, sup, dc)                                         \
    [k] = {.key = k,                                                                               \
           .name = n,                                                                              \
           .type = ty,                                                                             \
           .scopes = sc,                                                                           \
           .def = d,                                                                               \
           .min = lo,                                                                              \
           .max = hi,                                                                              \
           .choices = ch,                                                                          \
           .def_text = dt,                                                                         \
           .example = ex,                                                                          \
           .supported = sup,                                                                       \
           .doc = dc}

static const KsConfigInfo table[KS_CFG_COUNT] = {
    ROW(KS_CFG_REPLICA_LAG_TIME_MAX_MS, "replica.lag.time.max.ms", KS_CONFIG_MS, B, 30000 * MS,
        1 * MS, MAX_DURATION, NULL, true,
        "a follower that has not caught up for this long leaves the ISR"),
    ROW(KS_CFG_MIN_INSYNC_REPLICAS, "min.insync.replicas", KS_CONFIG_INT, B | T, 1, 1, 1000, NULL,
        true, "acks=all writes need at least this many in-sync replicas"),
    ROW(KS_CFG_UNCLEAN_LEADER_ELECTION_ENABLE, "unclean.leader.election.enable", KS_CONFIG_BOOL,
        B | T, 0, 0, 1, NULL, true, "may an out-of-sync replica become leader"),
    ROW(KS_CFG_AUTO_LEADER_REBALANCE_ENABLE, "auto.leader.rebalance.enable", KS_CONFIG_BOOL, B, 1,
        0, 1, NULL, true, "the controller moves leadership back to preferred replicas"),
    ROW(KS_CFG_LEADER_IMBALANCE_PER_BROKER_PERCENTAGE, "leader.imbalance.per.broker.percentage",
        KS_CONFIG_INT, B, 10, 0, 100, NULL, true,
        "imbalance above which the preferred leaders are restored"),
    ROW(KS_CFG_LEADER_IMBALANCE_CHECK_INTERVAL_SECONDS, "leader.imbalance.check.interval.seconds",
        KS_CONFIG_SECONDS, B, 300 * KS_TIME_S, 1 * KS_TIME_S, MAX_DURATION, NULL, true,
        "how often the controller checks leader imbalance"),
    ROW(KS_CFG_DEFAULT_REPLICATION_FACTOR, "default.replication.factor", KS_CONFIG_INT, B, 1, 1,
        1000, NULL, true, "replication factor of a topic that does not give one"),
    ROW(KS_CFG_NUM_PARTITIONS, "num.partitions", KS_CONFIG_INT, B, 1, 1, 100000, NULL, true,
        "partition count of a topic that does not give one"),
    ROW(KS_CFG_REPLICA_FETCH_WAIT_MAX_MS, "replica.fetch.wait.max.ms", KS_CONFIG_MS, B, 500 * MS, 0,
        MAX_DURATION, NULL, true, "longest a follower's fetch waits at the leader for data"),
    ROW(KS_CFG_REPLICA_FETCH_MIN_BYTES, "replica.fetch.min.bytes", KS_CONFIG_BYTES, B, 1, 1,
        INT32_MAX, NULL, true, "bytes a follower's fetch waits for"),
    ROW(KS_CFG_REPLICA_FETCH_MAX_BYTES, "replica.fetch.max.bytes", KS_CONFIG_BYTES, B, 1048576, 1,
        INT32_MAX, NULL, false, "bytes a follower fetches per partition at most"),
    ROW(KS_CFG_REPLICA_FETCH_BACKOFF_MS, "replica.fetch.backoff.ms", KS_CONFIG_MS, B, 1000 * MS, 0,
        MAX_DURATION, NULL, true, "pause after a failed follower fetch"),
    ROW(KS_CFG_REPLICA_SOCKET_TIMEOUT_MS, "replica.socket.timeout.ms", KS_CONFIG_MS, B, 30000 * MS,
        1 * MS, MAX_DURATION, NULL, true,
        "longest a follower waits to connect to its leader's machine"),
    ROW(KS_CFG_ZOOKEEPER_SESSION_TIMEOUT_MS, "zookeeper.session.timeout.ms", KS_CONFIG_MS, B,
        18000 * MS, 1 * MS, MAX_DURATION, NULL, true,
        "a broker silent this long loses its ZooKeeper session"),
    ROW(KS_CFG_CONTROLLED_SHUTDOWN_ENABLE, "controlled.shutdown.enable", KS_CONFIG_BOOL, B, 1, 0, 1,
        NULL, true, "a stopping broker hands its leadership over first"),
    ROW(KS_CFG_CONTROLLED_SHUTDOWN_MAX_RETRIES, "controlled.shutdown.max.retries", KS_CONFIG_INT, B,
        3, 0, 1000, NULL, true, "controlled shutdown attempts while partitions cannot move"),
    ROW(KS_CFG_CONTROLLED_SHUTDOWN_RETRY_BACKOFF_MS, "controlled.shutdown.retry.backoff.ms",
        KS_CONFIG_MS, B, 5000 * MS, 0, MAX_DURATION, NULL, true,
        "pause between controlled shutdown attempts"),
    ROW(KS_CFG_RETENTION_MS, "retention.ms", KS_CONFIG_MS, B | T, 604800000 * MS, -1 * MS,
        MAX_DURATION, NULL, false, "how long records are kept"),
    ROW(KS_CFG_GROUP_INITIAL_REBALANCE_DELAY_MS, "group.initial.rebalance.delay.ms", KS_CONFIG_MS,
        B, 3000 * MS, 0, MAX_DURATION, NULL, true,
        "how long a new group waits for more members before its first rebalance"),
    ROW(KS_CFG_OFFSETS_TOPIC_NUM_PARTITIONS, "offsets.topic.num.partitions", KS_CONFIG_INT, B, 50,
        1, 100000, NULL, true, "partitions of __consumer_offsets"),
    ROW(KS_CFG_OFFSETS_TOPIC_REPLICATION_FACTOR, "offsets.topic.replication.factor", KS_CONFIG_INT,
        B, 3, 1, 1000, NULL, true,
        "replicas of __consumer_offsets; it is not created while fewer brokers are alive"),
    ROW(KS_CFG_GROUP_MIN_SESSION_TIMEOUT_MS, "group.min.session.timeout.ms", KS_CONFIG_MS, B,
        6000 * MS, 0, MAX_DURATION, NULL, true, "smallest session timeout a consumer may ask for"),
    ROW(KS_CFG_GROUP_MAX_SESSION_TIMEOUT_MS, "group.max.session.timeout.ms", KS_CONFIG_MS, B,
        1800000 * MS, 0, MAX_DURATION, NULL, true,
        "largest session timeout a consumer may ask for"),
    ROW(KS_CFG_LOG_FLUSH_INTERVAL_MESSAGES, "log.flush.interval.messages", KS_CONFIG_INT, B,
        INT64_MAX, 1, INT64_MAX, NULL, true,
        "a log is fsynced once it holds this many unflushed records (the broker's flush.messages)"),
    ROW(KS_CFG_FLUSH_MESSAGES, "flush.messages", KS_CONFIG_INT, T, INT64_MAX, 1, INT64_MAX, NULL,
        true, "the topic's own log.flush.interval.messages"),
    ROW(KS_CFG_LOG_FLUSH_INTERVAL_MS, "log.flush.interval.ms", KS_CONFIG_MS, B,
        KS_CONFIG_LONG_MAX_MS, 0, KS_CONFIG_LONG_MAX_MS, NULL, true,
        "the log flusher fsyncs a log last flushed this long ago (unset: "
        "log.flush.scheduler.interval.ms; the broker's flush.ms)"),
    ROW(KS_CFG_FLUSH_MS, "flush.ms", KS_CONFIG_MS, T, KS_CONFIG_LONG_MAX_MS, 0,
        KS_CONFIG_LONG_MAX_MS, NULL, true, "the topic's own log.flush.interval.ms"),
    ROW(KS_CFG_LOG_FLUSH_SCHEDULER_INTERVAL_MS, "log.flush.scheduler.interval.ms", KS_CONFIG_MS, B,
        KS_CONFIG_LONG_MAX_MS, 1 * MS, KS_CONFIG_LONG_MAX_MS, NULL, true,
        "how often the log flusher runs, from 30 s after the broker starts"),
    ROW(KS_CFG_OS_DIRTY_EXPIRE_MS, "os.dirty.expire.ms", KS_CONFIG_MS, B, 30000 * MS, 0,
        MAX_DURATION, NULL, true,
        "the machine writes back a file dirty this long (Linux vm.dirty_expire_centisecs)"),
    ROW(KS_CFG_OS_DIRTY_WRITEBACK_MS, "os.dirty.writeback.ms", KS_CONFIG_MS, B, 5000 * MS, 0,
        MAX_DURATION, NULL, true,
        "how often the machine's flusher wakes; 0: never (Linux vm.dirty_writeback_centisecs)"),
    ROW(KS_CFG_ACKS, "acks", KS_CONFIG_ENUM, P, -1, 0, 0, acks_choices, true,
        "how many replicas must have a write before it is acknowledged: 0, 1 or all"),
    ROW(KS_CFG_LINGER_MS, "linger.ms", KS_CONFIG_MS, P, 0, 0, MAX_DURATION, NULL, true,
        "how long the producer waits to fill a batch"),
    ROW(KS_CFG_BATCH_SIZE, "batch.size", KS_CONFIG_BYTES, P, 16384, 1, INT32_MAX, NULL, true,
        "bytes per partition batch"),
    ROW(KS_CFG_RETRIES, "retries", KS_CONFIG_INT, P, INT32_MAX, 0, INT32_MAX, NULL, true,
        "how often a failed send is retried"),
    ROW(KS_CFG_RETRY_BACKOFF_MS, "retry.backoff.ms", KS_CONFIG_MS, P | C, 100 * MS, 0, MAX_DURATION,
        NULL, true, "pause before a retry"),
    ROW(KS_CFG_REQUEST_TIMEOUT_MS, "request.timeout.ms", KS_CONFIG_MS, B | P | C, 30000 * MS,
        1 * MS, MAX_DURATION, NULL, true, "how long a request waits for its response"),
    ROW(KS_CFG_DELIVERY_TIMEOUT_MS, "delivery.timeout.ms", KS_CONFIG_MS, P, 120000 * MS, 1 * MS,
        MAX_DURATION, NULL, true,
        "how long a record may take to be acknowledged, retries included"),
    ROW(KS_CFG_MAX_IN_FLIGHT_REQUESTS_PER_CONNECTION, "max.in.flight.requests.per.connection",
        KS_CONFIG_INT, P, 5, 1, 1000, NULL, true, "unanswered requests per broker"),
    ROW(KS_CFG_ENABLE_IDEMPOTENCE, "enable.idempotence", KS_CONFIG_BOOL, P, 1, 0, 1, NULL, true,
        "retries never write a record twice"),
    ROW(KS_CFG_BUFFER_MEMORY, "buffer.memory", KS_CONFIG_BYTES, P, 33554432, 1, INT64_MAX / 2, NULL,
        false, "bytes of records the producer buffers"),
    ROW(KS_CFG_MAX_BLOCK_MS, "max.block.ms", KS_CONFIG_MS, P, 60000 * MS, 0, MAX_DURATION, NULL,
        true, "how long send() blocks waiting for the topic's metadata, then fails"),
    ROW(KS_CFG_METADATA_MAX_AGE_MS, "metadata.max.age.ms", KS_CONFIG_MS, P | C, 300000 * MS, 0,
        MAX_DURATION, NULL, true, "metadata older than this is refreshed"),
    ROW(KS_CFG_PARTITIONER_IGNORE_KEYS, "partitioner.ignore.keys", KS_CONFIG_BOOL, P, 0, 0, 1, NULL,
        true, "partition keyed records as if their key were null"),
    ROW(KS_CFG_PARTITIONER_ADAPTIVE_PARTITIONING_ENABLE, "partitioner.adaptive.partitioning.enable",
        KS_CONFIG_BOOL, P, 1, 0, 1, NULL, true,
        "sticky partitions favour brokers with shorter queues"),
    ROW(KS_CFG_PARTITIONER_AVAILABILITY_TIMEOUT_MS, "partitioner.availability.timeout.ms",
        KS_CONFIG_MS, P, 0, 0, MAX_DURATION, NULL, false,
        "skip partitions whose broker has not answered for this long"),
    ROW(KS_CFG_RETRY_BACKOFF_MAX_MS, "retry.backoff.max.ms", KS_CONFIG_MS, P | C, 1000 * MS, 0,
        MAX_DURATION, NULL, true, "longest pause before a retry (the pause doubles up to it)"),
    ROW(KS_CFG_RECONNECT_BACKOFF_MS, "reconnect.backoff.ms", KS_CONFIG_MS, P | C, 50 * MS, 0,
        MAX_DURATION, NULL, true, "pause before reconnecting to a broker"),
    ROW(KS_CFG_RECONNECT_BACKOFF_MAX_MS, "reconnect.backoff.max.ms", KS_CONFIG_MS, P | C, 1000 * MS,
        0, MAX_DURATION, NULL, true,
        "longest pause before reconnecting (the pause doubles up to it)"),
    ROW(KS_CFG_SOCKET_CONNECTION_SETUP_TIMEOUT_MS, "socket.connection.setup.timeout.ms",
        KS_CONFIG_MS, B | P | C, 10000 * MS, 0, MAX_DURATION, NULL, true,
        "how long a connection attempt to a silent machine waits"),
    ROW(KS_CFG_SOCKET_CONNECTION_SETUP_TIMEOUT_MAX_MS, "socket.connection.setup.timeout.max.ms",
        KS_CONFIG_MS, P | C, 30000 * MS, 0, MAX_DURATION, NULL, true,
        "longest connection attempt (the wait doubles up to it)"),
    ROW(KS_CFG_AUTO_OFFSET_RESET, "auto.offset.reset", KS_CONFIG_ENUM, C, 0, 0, 0,
        offset_reset_choices, true, "where a consumer without a committed offset starts"),
    ROW(KS_CFG_ENABLE_AUTO_COMMIT, "enable.auto.commit", KS_CONFIG_BOOL, C, 1, 0, 1, NULL, true,
        "the consumer commits its positions periodically"),
    ROW(KS_CFG_AUTO_COMMIT_INTERVAL_MS, "auto.commit.interval.ms", KS_CONFIG_MS, C, 5000 * MS, 0,
        MAX_DURATION, NULL, true, "how often positions are auto-committed"),
    ROW(KS_CFG_SESSION_TIMEOUT_MS, "session.timeout.ms", KS_CONFIG_MS, C, 45000 * MS, 1 * MS,
        MAX_DURATION, NULL, true, "a consumer silent this long is removed from its group"),
    ROW(KS_CFG_HEARTBEAT_INTERVAL_MS, "heartbeat.interval.ms", KS_CONFIG_MS, C, 3000 * MS, 1 * MS,
        MAX_DURATION, NULL, true, "how often a consumer heartbeats to its coordinator"),
    ROW(KS_CFG_MAX_POLL_INTERVAL_MS, "max.poll.interval.ms", KS_CONFIG_MS, C, 300000 * MS, 1 * MS,
        MAX_DURATION, NULL, true, "a consumer that does not poll for this long leaves its group"),
    ROW(KS_CFG_MAX_POLL_RECORDS, "max.poll.records", KS_CONFIG_INT, C, 500, 1, INT32_MAX, NULL,
        true, "records one poll returns at most"),
    ROW(KS_CFG_FETCH_MIN_BYTES, "fetch.min.bytes", KS_CONFIG_BYTES, C, 1, 0, INT32_MAX, NULL, true,
        "bytes a consumer fetch waits for"),
    ROW(KS_CFG_FETCH_MAX_WAIT_MS, "fetch.max.wait.ms", KS_CONFIG_MS, C, 500 * MS, 0, MAX_DURATION,
        NULL, true, "longest a consumer fetch waits at the broker for data"),
    ROW(KS_CFG_PARTITION_ASSIGNMENT_STRATEGY, "partition.assignment.strategy", KS_CONFIG_ENUM_LIST,
        C, ASSIGNORS_DEFAULT, ASSIGNORS_DEFAULT, ASSIGNORS_DEFAULT, assignor_choices, true,
        "the assignors the consumer supports, in its order of preference"),
    ROWS(KS_CFG_GROUP_INSTANCE_ID, "group.instance.id", C, NULL, "consumer-1", true,
         "a static member's id: a restart within the session timeout keeps its partitions"),
    ROWS(KS_CFG_CLIENT_RACK, "client.rack", C, "", "eu-1a", false,
         "the consumer's rack, for fetching from the nearest replica"),
    ROW(KS_CFG_MAX_PARTITION_FETCH_BYTES, "max.partition.fetch.bytes", KS_CONFIG_BYTES, C, 1048576,
        1, INT32_MAX, NULL, true, "bytes one fetch returns per partition at most"),
    ROW(KS_CFG_OFFSETS_RETENTION_MINUTES, "offsets.retention.minutes", KS_CONFIG_MINUTES, B,
        10080 * KS_TIME_MIN, KS_TIME_MIN, MAX_DURATION, NULL, true,
        "an Empty group's committed offsets are removed this long after it became Empty"),
    ROW(KS_CFG_OFFSETS_RETENTION_CHECK_INTERVAL_MS, "offsets.retention.check.interval.ms",
        KS_CONFIG_MS, B, 600000 * MS, MS, MAX_DURATION, NULL, true,
        "how often the coordinator looks for expired offsets"),
    ROW(KS_CFG_MAX_INCREMENTAL_FETCH_SESSION_CACHE_SLOTS,
        "max.incremental.fetch.session.cache.slots", KS_CONFIG_INT, B, 1000, 0, INT32_MAX, NULL,
        true, "consumer fetch sessions a broker keeps (KIP-227)"),
};

const KsConfigInfo *ks_config_info(KsConfigKey key)
{
    g_return_val_if_fail(key < KS_CFG_COUNT, NULL);
    return &table[key];
}

const KsConfigInfo *ks_config_find(const char *name)
{
    for (size_t i = 0; i < KS_CFG_COUNT; i++)
        if (strcmp(table[i].name, name) == 0)
            return &table[i];
    return NULL;
}

const char *ks_config_suggest(const char *name)
{
    const char *names[KS_CFG_COUNT];
    for (size_t i = 0; i < KS_CFG_COUNT; i++)
        names[i] = table[i].name;
    return ks_text_suggest(name, names, KS_CFG_COUNT);
}

/* Formats @us with @unit_us as the plain-number unit of the config's name. */
static char *format_plain(int64_t us, int64_t unit_us)
{
    if (us % unit_us == 0)
        return g_strdup_printf("%" G_GINT64_FORMAT, us / unit_us);
    return g_strdup_printf("%" G_GINT64_FORMAT "us", us);
}

char *ks_config_format_value(KsConfigKey key, int64_t value)
{
    const KsConfigInfo *info = ks_config_info(key);
    switch (info->type) {
    case KS_CONFIG_INT:
    case KS_CONFIG_BYTES:
        return g_strdup_printf("%" G_GINT64_FORMAT, value);
    case KS_CONFIG_BOOL:
        return g_strdup(value ? "true" : "false");
    case KS_CONFIG_MS:
        return format_plain(value, KS_TIME_MS);
    case KS_CONFIG_SECONDS:
        return format_plain(value, KS_TIME_S);
    case KS_CONFIG_MINUTES:
        return format_plain(value, KS_TIME_MIN);
    case KS_CONFIG_ENUM:
        for (const KsConfigChoice *c = info->choices; c->name; c++)
            if (c->value == value)
                return g_strdup(c->name);
        return g_strdup_printf("%" G_GINT64_FORMAT, value);
    case KS_CONFIG_STRING:
        return g_strdup(info->example);
    case KS_CONFIG_ENUM_LIST: {
        GString *out = g_string_new(NULL);
        for (int i = 0; ks_config_list_at(value, i) >= 0; i++)
            for (const KsConfigChoice *c = info->choices; c->name; c++)
                if (c->value == ks_config_list_at(value, i)) {
                    g_string_append_printf(out, "%s%s", i ? "," : "", c->name);
                    break;
                }
        return g_string_free(out, FALSE);
    }
    }
    g_assert_not_reached();
}

int64_t ks_config_list_at(int64_t list, int i)
{
    if (i < 0 || i >= KS_CONFIG_LIST_MAX)
        return -1;
    return ((list >> (3 * i)) & 7) - 1;
}

int64_t ks_config_list_add(int64_t list, int64_t item)
{
    int n = 0;
    while (ks_config_list_at(list, n) >= 0)
        n++;
    g_return_val_if_fail(n < KS_CONFIG_LIST_MAX && item >= 0 && item < 7, list);
    return list | (item + 1) << (3 * n);
}

static bool is_name_text(const char *text)
{
    if (!*text)
        return false;
    for (const char *c = text; *c; c++)
        if (!g_ascii_isalnum(*c) && *c != '.' && *c != '-' && *c != '_')
            return false;
    return true;
}

char *ks_config_format_text(const char *text)
{
    if (is_name_text(text))
        return g_strdup(text);
    GString *s = g_string_new("\"");
    for (const char *c = text; *c; c++) {
        if (*c == '"' || *c == '\\')
            g_string_append_c(s, '\\');
        if (*c == '\n')
            g_string_append(s, "\\n");
        else
            g_string_append_c(s, *c);
    }
    g_string_append_c(s, '"');
    return g_string_free(s, FALSE);
}

/* One key's value in a set. */
typedef struct {
    bool is_set;
    int64_t value;
    char *text; /* KS_CONFIG_STRING only; owned */
} Slot;

/* Slots indexed by KsConfigKey, grown to the highest key put, so a set
 * costs only what it holds and the table may grow without a limit. */
struct KsConfigSet {
    GArray *slots; /* Slot */
};

static void slot_clear(gpointer data)
{
    Slot *s = data;
    g_free(s->text);
}

KsConfigSet *ks_config_set_new(void)
{
    KsConfigSet *set = g_new0(KsConfigSet, 1);
    set->slots = g_array_new(FALSE, TRUE, sizeof(Slot));
    g_array_set_clear_func(set->slots, slot_clear);
    return set;
}

void ks_config_set_free(KsConfigSet *set)
{
    if (!set)
        return;
    g_array_unref(set->slots);
    g_free(set);
}

static const Slot *find_slot(const KsConfigSet *set, KsConfigKey key)
{
    if (!set || key >= set->slots->len)
        return NULL;
    const Slot *s = &g_array_index(set->slots, Slot, key);
    return s->is_set ? s : NULL;
}

static Slot *put_slot(KsConfigSet *set, KsConfigKey key)
{
    if (key >= set->slots->len)
        g_array_set_size(set->slots, key + 1);
    Slot *s = &g_array_index(set->slots, Slot, key);
    g_clear_pointer(&s->text, g_free);
    s->is_set = true;
    return s;
}

bool ks_config_set_has(const KsConfigSet *set, KsConfigKey key)
{
    return find_slot(set, key) != NULL;
}

bool ks_config_set_is_empty(const KsConfigSet *set)
{
    for (guint k = 0; set && k < set->slots->len; k++)
        if (g_array_index(set->slots, Slot, k).is_set)
            return false;
    return true;
}

void ks_config_set_put(KsConfigSet *set, KsConfigKey key, int64_t value)
{
    g_return_if_fail(set && key < KS_CFG_COUNT && table[key].type != KS_CONFIG_STRING);
    put_slot(set, key)->value = value;
}

void ks_config_set_put_string(KsConfigSet *set, KsConfigKey key, const char *text)
{
    g_return_if_fail(set && key < KS_CFG_COUNT && table[key].type == KS_CONFIG_STRING && text);
    put_slot(set, key)->text = g_strdup(text);
}

void ks_config_set_put_from(KsConfigSet *dst, const KsConfigSet *src, KsConfigKey key)
{
    g_return_if_fail(dst);
    const Slot *s = find_slot(src, key);
    if (!s)
        return;
    Slot *d = put_slot(dst, key);
    d->value = s->value;
    d->text = g_strdup(s->text);
}

int64_t ks_config_set_get(const KsConfigSet *set, KsConfigKey key)
{
    const Slot *s = find_slot(set, key);
    return s ? s->value : 0;
}

const char *ks_config_set_get_string(const KsConfigSet *set, KsConfigKey key)
{
    const Slot *s = find_slot(set, key);
    return s ? s->text : NULL;
}

char *ks_config_set_format(const KsConfigSet *set, KsConfigKey key)
{
    const Slot *s = find_slot(set, key);
    if (!s)
        return NULL;
    if (table[key].type == KS_CONFIG_STRING)
        return ks_config_format_text(s->text);
    return ks_config_format_value(key, s->value);
}

int64_t ks_config_resolve(KsConfigKey key, const KsConfigSet *entity, const KsConfigSet *defaults)
{
    if (ks_config_set_has(entity, key))
        return ks_config_set_get(entity, key);
    if (ks_config_set_has(defaults, key))
        return ks_config_set_get(defaults, key);
    return table[key].def;
}

const char *ks_config_resolve_string(KsConfigKey key, const KsConfigSet *entity,
                                     const KsConfigSet *defaults)
{
    if (ks_config_set_has(entity, key))
        return ks_config_set_get_string(entity, key);
    if (ks_config_set_has(defaults, key))
        return ks_config_set_get_string(defaults, key);
    return table[key].def_text;
}

static bool given(KsConfigKey key, const KsConfigSet *own, const KsConfigSet *defaults)
{
    return ks_config_set_has(own, key) || ks_config_set_has(defaults, key);
}

KsProducerRefusal ks_config_producer_effective(const KsConfigSet *own, const KsConfigSet *defaults,
                                               bool *out_idempotent, KsTime *out_delivery_timeout)
{
    KsProducerRefusal refusal = KS_PRODUCER_REFUSAL_NONE;

    /* ProducerConfig.postProcessAndValidateIdempotenceConfigs. */
    bool idempotent = ks_config_resolve(KS_CFG_ENABLE_IDEMPOTENCE, own, defaults) != 0;
    if (idempotent) {
        KsProducerRefusal conflict = KS_PRODUCER_REFUSAL_NONE;
        if (ks_config_resolve(KS_CFG_RETRIES, own, defaults) == 0)
            conflict = KS_PRODUCER_REFUSAL_RETRIES;
        else if (ks_config_resolve(KS_CFG_ACKS, own, defaults) != -1)
            conflict = KS_PRODUCER_REFUSAL_ACKS;
        else if (ks_config_resolve(KS_CFG_MAX_IN_FLIGHT_REQUESTS_PER_CONNECTION, own, defaults) > 5)
            conflict = KS_PRODUCER_REFUSAL_IN_FLIGHT;
        if (conflict != KS_PRODUCER_REFUSAL_NONE) {
            if (given(KS_CFG_ENABLE_IDEMPOTENCE, own, defaults))
                refusal = conflict;
            else
                idempotent = false;
        }
    }

    /* KafkaProducer.configureDeliveryTimeout: (int) Math.min((long) lingerMs +
     * requestTimeoutMs, Integer.MAX_VALUE). */
    KsTime delivery = ks_config_resolve(KS_CFG_DELIVERY_TIMEOUT_MS, own, defaults);
    KsTime least = MIN(ks_config_resolve(KS_CFG_LINGER_MS, own, defaults) +
                           ks_config_resolve(KS_CFG_REQUEST_TIMEOUT_MS, own, defaults),
                       (KsTime)INT32_MAX * KS_TIME_MS);
    if (delivery < least) {
        if (!given(KS_CFG_DELIVERY_TIMEOUT_MS, own, defaults))
            delivery = least;
        else if (refusal == KS_PRODUCER_REFUSAL_NONE)
            refusal = KS_PRODUCER_REFUSAL_DELIVERY_TIMEOUT;
    }

    if (out_idempotent)
        *out_idempotent = idempotent;
    if (out_delivery_timeout)
        *out_delivery_timeout = delivery;
    return refusal;
}

const char *ks_config_producer_refusal_message(KsProducerRefusal refusal)
{
    switch (refusal) {
    case KS_PRODUCER_REFUSAL_NONE:
        return NULL;
    case KS_PRODUCER_REFUSAL_RETRIES:
        return "Must set retries to non-zero when using the idempotent producer.";
    case KS_PRODUCER_REFUSAL_ACKS:
        return "Must set acks to all in order to use the idempotent producer. Otherwise we cannot "
               "guarantee idempotence.";
    case KS_PRODUCER_REFUSAL_IN_FLIGHT:
        return "Must set max.in.flight.requests.per.connection to at most 5 to use the idempotent "
               "producer.";
    case KS_PRODUCER_REFUSAL_DELIVERY_TIMEOUT:
        return "delivery.timeout.ms should be equal to or larger than linger.ms + "
               "request.timeout.ms";
    }
    g_assert_not_reached();
}

KsBrokerRefusal ks_config_broker_refusal(const KsConfigSet *own, const KsConfigSet *defaults)
{
    int64_t wait = ks_config_resolve(KS_CFG_REPLICA_FETCH_WAIT_MAX_MS, own, defaults);
    if (wait > ks_config_resolve(KS_CFG_REPLICA_SOCKET_TIMEOUT_MS, own, defaults))
        return KS_BROKER_REFUSAL_SOCKET_TIMEOUT;
    if (wait > ks_config_resolve(KS_CFG_REPLICA_LAG_TIME_MAX_MS, own, defaults))
        return KS_BROKER_REFUSAL_LAG_TIME;
    return KS_BROKER_REFUSAL_NONE;
}

const char *ks_config_broker_refusal_message(KsBrokerRefusal refusal)
{
    switch (refusal) {
    case KS_BROKER_REFUSAL_NONE:
        return NULL;
    case KS_BROKER_REFUSAL_SOCKET_TIMEOUT:
        return "requirement failed: replica.socket.timeout.ms should always be at least "
               "replica.fetch.wait.max.ms to prevent unnecessary socket timeouts";
    case KS_BROKER_REFUSAL_LAG_TIME:
        return "requirement failed: replica.fetch.wait.max.ms should always be less than or equal "
               "to replica.lag.time.max.ms to prevent frequent changes in ISR";
    }
    g_assert_not_reached();
}
