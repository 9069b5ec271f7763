/* SPDX-License-Identifier: MIT */
/*
 * output-metrics.c - the metrics CSV (metrics.h; docs/metrics.md lists the
 * metrics and what each counts).
 *
 * Rows are written at each sampling instant in a fixed order: the cluster,
 * brokers by id, partitions by (topic name, number), groups by name, so the
 * same run gives the same bytes. Gauges (leader, ISR size, offsets, lag,
 * group state) are read through the queries at the instant; counters since
 * the previous sample (records and bytes in and out of each broker) are
 * derived from what the queries show, because the model keeps no per-broker
 * traffic counts and a view never adds to the model:
 *
 *  - A replica whose log end offset grew by N received N records: from
 *    producers when its broker led the partition (records and bytes in),
 *    else from the leader (replication bytes in on the follower, out on
 *    the leader). Leadership is read at every leader change (the sink), before
 *    the new leader appends anything, so records are counted for the broker
 *    that led when they arrived. A log that shrank (truncation) restarts
 *    from its new end.
 *  - A group that read N records further on a partition (its owner's
 *    position, or without an owner its committed offset) read them from
 *    the partition's leader at the sample (bytes out). A position that
 *    went back (a new owner starting from the committed offset) restarts
 *    from there, so records delivered again count again.
 *
 * Bytes are records times the record size of the topic's first declared
 * producer (record-size= on the producer line, default 100): logs carry
 * record counts, not sizes. Lookups use hash tables keyed by partition and
 * broker, never iterated: rows follow the queries' orders.
 *
 * Cost per sample: one pass over every replica and every group's offsets,
 * plus at each leader change one pass over that partition's replicas.
 */
#include "kafkasim/metrics.h"

#include <inttypes.h>
#include <string.h>

#include "kafkasim/plan.h"
#include "kafkasim/query-groups.h"
#include "kafkasim/query.h"
#include "kafkasim/sampler.h"
#include "kafkasim/sim.h"

/* Counts since the previous sample, for one broker, named after Kafka's
 * BrokerTopicMetrics (MessagesInPerSec, BytesInPerSec, ...). */
typedef struct {
    int64_t records_in;     /* appended as leader: from producers */
    int64_t bytes_in;       /* those records' bytes */
    int64_t bytes_out;      /* read by consumers from partitions it leads */
    int64_t repl_bytes_in;  /* appended as follower: fetched from the leader */
    int64_t repl_bytes_out; /* its followers' appends while it led */
} Traffic;

struct KsMetrics {
    KsSim *sim;
    KsTime interval;
    FILE *f;
    GHashTable *leo;     /* "topic\tpartition\tbroker" -> int64_t *: LEO last counted */
    GHashTable *traffic; /* broker id -> Traffic * */
    GHashTable *reads;   /* "group\ttopic\tpartition" -> int64_t *: read up to there */
    GHashTable *busy;    /* node name -> KsTime[3]: its queues' busy time at the last sample */
    bool sampled;        /* a sample was taken: the counters below hold */
    KsTime last_t;
    int64_t last_acked, last_consumed;
    GString *row;
};

KsMetrics *ks_metrics_new(KsSim *sim, KsTime interval, FILE *f)
{
    g_return_val_if_fail(sim != NULL && interval > 0 && f != NULL, NULL);
    KsMetrics *m = g_new0(KsMetrics, 1);
    m->sim = sim;
    m->interval = interval;
    m->f = f;
    m->leo = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, g_free);
    m->traffic = g_hash_table_new_full(g_direct_hash, g_direct_equal, NULL, g_free);
    m->reads = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, g_free);
    m->busy = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, g_free);
    m->row = g_string_new(NULL);
    fputs("time_s,kind,subject,metric,value\n", f);
    return m;
}

void ks_metrics_free(KsMetrics *m)
{
    if (!m)
        return;
    g_hash_table_destroy(m->leo);
    g_hash_table_destroy(m->traffic);
    g_hash_table_destroy(m->reads);
    g_hash_table_destroy(m->busy);
    g_string_free(m->row, TRUE);
    g_free(m);
}

static Traffic *traffic_of(KsMetrics *m, KsBrokerId id)
{
    Traffic *t = g_hash_table_lookup(m->traffic, GINT_TO_POINTER(id));
    if (!t) {
        t = g_new0(Traffic, 1);
        g_hash_table_insert(m->traffic, GINT_TO_POINTER(id), t);
    }
    return t;
}

/* Bytes per record of @topic: its first declared producer's record size. */
static int64_t record_size(const KsSim *sim, const char *topic)
{
    const KsPlan *plan = ks_query_plan(sim);
    for (guint i = 0; i < plan->producers->len; i++) {
        const KsPlanProducer *p = g_ptr_array_index(plan->producers, i);
        if (strcmp(p->topic, topic) == 0)
            return p->record_size;
    }
    return KS_DEFAULT_RECORD_SIZE;
}

/* Counts what each replica of partition @p of topic @topic received since
 * it was last counted, @leader having led it meanwhile. */
static void count_appends(KsMetrics *m, size_t topic, int32_t p, KsBrokerId leader)
{
    KsPartitionInfo part;
    ks_query_partition(m->sim, topic, p, &part);
    int64_t size = record_size(m->sim, part.topic);
    for (int32_t r = 0; r < part.n_replicas; r++) {
        KsReplicaInfo rep;
        ks_query_replica(m->sim, topic, p, r, &rep);
        g_autofree char *key = g_strdup_printf("%s\t%d\t%d", part.topic, p, rep.broker);
        int64_t *last = g_hash_table_lookup(m->leo, key);
        if (!last) {
            last = g_new0(int64_t, 1);
            g_hash_table_insert(m->leo, g_steal_pointer(&key), last);
        }
        int64_t got = rep.log_end_offset - *last;
        *last = rep.log_end_offset;
        if (got <= 0)
            continue;
        Traffic *to = traffic_of(m, rep.broker);
        if (rep.broker == leader) {
            to->records_in += got;
            to->bytes_in += got * size;
        } else {
            to->repl_bytes_in += got * size;
            if (leader != KS_NO_BROKER)
                traffic_of(m, leader)->repl_bytes_out += got * size;
        }
    }
}

void ks_metrics_sink(const KsEvent *event, void *metrics)
{
    KsMetrics *m = metrics;
    if (event->type != KS_EV_LEADER_ELECTED || event->leader_elected.partition < 0)
        return;
    size_t topic;
    if (ks_query_find_topic(m->sim, event->leader_elected.topic, &topic))
        count_appends(m, topic, event->leader_elected.partition,
                      event->leader_elected.previous_leader);
}

/* Counts what each group's members read since the last sample, and sets
 * @lags[g] to group g's lag (the sum of its known lags, as the summary's). */
static void count_reads(KsMetrics *m, int64_t *lags)
{
    for (size_t g = 0; g < ks_query_n_groups(m->sim); g++) {
        KsGroupInfo group;
        ks_query_group(m->sim, g, &group);
        g_autoptr(GArray) offsets = ks_query_group_offsets(m->sim, g);
        for (guint i = 0; i < offsets->len; i++) {
            const KsGroupOffsetInfo *o = &g_array_index(offsets, KsGroupOffsetInfo, i);
            lags[g] += MAX(o->lag, 0);
            g_autofree char *key =
                g_strdup_printf("%s\t%s\t%d", group.name, o->topic, o->partition);
            int64_t *last = g_hash_table_lookup(m->reads, key);
            if (!last) {
                last = g_new(int64_t, 1);
                *last = -1;
                g_hash_table_insert(m->reads, g_steal_pointer(&key), last);
            }
            /* Without an owner, the group has read up to its committed offset. */
            int64_t read = o->position >= 0 ? o->position : o->committed;
            int64_t got = *last >= 0 && read >= 0 ? read - *last : 0;
            *last = read;
            size_t topic;
            KsPartitionInfo part;
            if (got <= 0 || !ks_query_find_topic(m->sim, o->topic, &topic))
                continue;
            ks_query_partition(m->sim, topic, o->partition, &part);
            if (part.leader == KS_NO_BROKER)
                continue;
            traffic_of(m, part.leader)->bytes_out += got * record_size(m->sim, o->topic);
        }
    }
}

/* "12", "12.5", "0.000250": seconds without trailing zeros. */
static void append_seconds(GString *s, KsTime t)
{
    g_string_append_printf(s, "%" PRId64, t / KS_TIME_S);
    int64_t frac = t % KS_TIME_S;
    if (frac == 0)
        return;
    char digits[8];
    g_snprintf(digits, sizeof digits, "%06" PRId64, frac);
    for (int i = 5; i > 0 && digits[i] == '0'; i--)
        digits[i] = '\0';
    g_string_append_printf(s, ".%s", digits);
}

/* Writes one row; @subject and @value never hold a comma or a quote
 * (names are scenario NAMEs, values numbers and Kafka's state words). */
static void row(KsMetrics *m, const char *kind, const char *subject, const char *metric,
                const char *value)
{
    g_string_truncate(m->row, 0);
    append_seconds(m->row, ks_sim_now(m->sim));
    g_string_append_printf(m->row, ",%s,%s,%s,%s\n", kind, subject, metric, value);
    fputs(m->row->str, m->f);
}

static void row_int(KsMetrics *m, const char *kind, const char *subject, const char *metric,
                    int64_t value)
{
    char buf[32];
    g_snprintf(buf, sizeof buf, "%" PRId64, value);
    row(m, kind, subject, metric, buf);
}

/* @count per second over @span, with three decimals. */
static void row_rate(KsMetrics *m, const char *kind, const char *subject, const char *metric,
                     int64_t count, KsTime span)
{
    char buf[48];
    g_snprintf(buf, sizeof buf, "%.3f", ks_sampler_rate(count, span));
    row(m, kind, subject, metric, buf);
}

/* The index of broker @id among the brokers (sorted by id), or -1. */
static ptrdiff_t broker_index(const KsSim *sim, KsBrokerId id)
{
    size_t lo = 0, hi = ks_query_n_brokers(sim);
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        KsBrokerInfo b;
        ks_query_broker(sim, mid, &b);
        if (b.id == id)
            return (ptrdiff_t)mid;
        if (b.id < id)
            lo = mid + 1;
        else
            hi = mid;
    }
    return -1;
}

/* Counts each replica's appends and how many partitions each broker leads
 * (@leaders, by broker index), in one pass. */
static void pass_partitions(KsMetrics *m, int64_t *leaders)
{
    for (size_t t = 0; t < ks_query_n_topics(m->sim); t++) {
        KsTopicInfo topic;
        ks_query_topic(m->sim, t, &topic);
        for (int32_t p = 0; p < topic.n_partitions; p++) {
            KsPartitionInfo part;
            ks_query_partition(m->sim, t, p, &part);
            count_appends(m, t, p, part.leader);
            ptrdiff_t i = broker_index(m->sim, part.leader);
            if (i >= 0)
                leaders[i]++;
        }
    }
}

static void cluster_rows(KsMetrics *m, KsTime span)
{
    KsPartitionCounts counts;
    ks_sampler_count_partitions(m->sim, &counts);
    KsSimStats st;
    ks_sim_get_stats(m->sim, &st);
    const char *c = "cluster", *s = "cluster";
    row_int(m, c, s, "controller", ks_query_controller(m->sim));
    row_int(m, c, s, "partitions", counts.partitions);
    row_int(m, c, s, "under_replicated_partitions", counts.under_replicated);
    row_int(m, c, s, "offline_partitions", counts.offline);
    row_int(m, c, s, "unavailable_partitions", counts.unavailable);
    char seconds[32];
    g_snprintf(seconds, sizeof seconds, "%.6f", (double)st.unavailable_us / (double)KS_TIME_S);
    row(m, c, s, "unavailable_partition_seconds", seconds);
    row_int(m, c, s, "records_produced", st.records_produced);
    row_int(m, c, s, "records_acked", st.records_acked);
    row_int(m, c, s, "records_refused", st.records_refused);
    row_int(m, c, s, "records_lost", st.records_lost);
    row_int(m, c, s, "records_consumed", st.records_consumed);
    row_rate(m, c, s, "produce_records_per_s", m->sampled ? st.records_acked - m->last_acked : 0,
             span);
    row_rate(m, c, s, "consume_records_per_s",
             m->sampled ? st.records_consumed - m->last_consumed : 0, span);
    m->last_acked = st.records_acked;
    m->last_consumed = st.records_consumed;
}

/* The share of @span that broker @b's node (when it has a type) spent
 * receiving, sending and writing since the previous sample: three rows. */
static void utilisation_rows(KsMetrics *m, const char *id, const KsBrokerInfo *b, KsTime span)
{
    for (size_t i = 0; i < ks_query_n_nodes(m->sim); i++) {
        KsNodeInfo n;
        ks_query_node(m->sim, i, &n);
        if (strcmp(n.name, b->node) != 0)
            continue;
        KsNodeLoadInfo load;
        ks_query_node_load(m->sim, i, &load);
        if (!load.type)
            return;
        KsTime *last = g_hash_table_lookup(m->busy, n.name);
        if (!last) {
            last = g_new0(KsTime, 3);
            g_hash_table_insert(m->busy, g_strdup(n.name), last);
        }
        const KsTime now[3] = {load.network_in_busy, load.network_out_busy, load.disk_busy};
        static const char *const names[3] = {"network_in_utilisation", "network_out_utilisation",
                                             "disk_utilisation"};
        for (int k = 0; k < 3; k++) {
            char buf[32];
            double share = span > 0 ? (double)(now[k] - last[k]) / (double)span : 0.0;
            g_snprintf(buf, sizeof buf, "%.3f", MIN(share, 1.0));
            row(m, "broker", id, names[k], buf);
        }
        return;
    }
}

/* Remembers every typed node's busy time, after the broker rows. */
static void utilisation_mark(KsMetrics *m)
{
    GHashTableIter it;
    gpointer key, value;
    g_hash_table_iter_init(&it, m->busy);
    while (g_hash_table_iter_next(&it, &key, &value)) {
        for (size_t i = 0; i < ks_query_n_nodes(m->sim); i++) {
            KsNodeInfo n;
            ks_query_node(m->sim, i, &n);
            if (strcmp(n.name, key) != 0)
                continue;
            KsNodeLoadInfo load;
            ks_query_node_load(m->sim, i, &load);
            KsTime *last = value;
            last[0] = load.network_in_busy;
            last[1] = load.network_out_busy;
            last[2] = load.disk_busy;
        }
    }
}

static void broker_rows(KsMetrics *m, KsTime span, const int64_t *leaders)
{
    for (size_t i = 0; i < ks_query_n_brokers(m->sim); i++) {
        KsBrokerInfo b;
        ks_query_broker(m->sim, i, &b);
        char id[16];
        g_snprintf(id, sizeof id, "%d", b.id);
        Traffic *t = traffic_of(m, b.id);
        row_int(m, "broker", id, "alive", b.alive);
        row_int(m, "broker", id, "leader_partitions", leaders[i]);
        row_rate(m, "broker", id, "records_in_per_s", t->records_in, span);
        row_rate(m, "broker", id, "bytes_in_per_s", t->bytes_in, span);
        row_rate(m, "broker", id, "bytes_out_per_s", t->bytes_out, span);
        row_rate(m, "broker", id, "replication_bytes_in_per_s", t->repl_bytes_in, span);
        row_rate(m, "broker", id, "replication_bytes_out_per_s", t->repl_bytes_out, span);
        utilisation_rows(m, id, &b, span);
        *t = (Traffic){0};
    }
    utilisation_mark(m);
}

static void partition_rows(KsMetrics *m)
{
    g_autoptr(GArray) order = ks_query_topics_by_name(m->sim);
    for (guint i = 0; i < order->len; i++) {
        size_t t = g_array_index(order, size_t, i);
        KsTopicInfo topic;
        ks_query_topic(m->sim, t, &topic);
        for (int32_t p = 0; p < topic.n_partitions; p++) {
            KsPartitionInfo part;
            ks_query_partition(m->sim, t, p, &part);
            g_autofree char *name = g_strdup_printf("%s-%d", topic.name, p);
            row_int(m, "partition", name, "leader", part.leader);
            row_int(m, "partition", name, "leader_epoch", part.leader_epoch);
            row_int(m, "partition", name, "isr_size", (int64_t)part.n_isr);
            row_int(m, "partition", name, "replicas", part.n_replicas);
            row_int(m, "partition", name, "log_start_offset", part.log_start_offset);
            row_int(m, "partition", name, "log_end_offset", part.log_end_offset);
            row_int(m, "partition", name, "high_watermark", part.high_watermark);
        }
    }
}

static void group_rows(KsMetrics *m, const int64_t *lags)
{
    for (size_t g = 0; g < ks_query_n_groups(m->sim); g++) {
        KsGroupInfo group;
        ks_query_group(m->sim, g, &group);
        row(m, "group", group.name, "state", group.state);
        row_int(m, "group", group.name, "generation", group.generation);
        row_int(m, "group", group.name, "members", (int64_t)group.n_members);
        row_int(m, "group", group.name, "lag", lags[g]);
        row_int(m, "group", group.name, "records_consumed", group.records_consumed);
    }
}

void ks_metrics_sample(KsSim *sim, void *metrics)
{
    KsMetrics *m = metrics;
    g_return_if_fail(sim == m->sim);
    KsTime now = ks_sim_now(sim);
    KsTime span = m->sampled ? now - m->last_t : 0;
    g_autofree int64_t *leaders = g_new0(int64_t, ks_query_n_brokers(sim));
    pass_partitions(m, leaders);
    g_autofree int64_t *lags = g_new0(int64_t, ks_query_n_groups(sim));
    count_reads(m, lags);
    cluster_rows(m, span);
    broker_rows(m, span, leaders);
    partition_rows(m);
    group_rows(m, lags);
    m->sampled = true;
    m->last_t = now;
}
