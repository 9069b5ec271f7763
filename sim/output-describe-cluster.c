/* SPDX-License-Identifier: MIT */
/*
 * output-describe-cluster.c - the tables Kafka has no single tool for:
 * brokers, a partition's log per replica, and ZooKeeper's znodes.
 *
 * describe brokers shows the dual role of every broker: the partitions it
 * leads and those it follows, and the records through it in each role
 * (appended as leader, copied as follower, sent to followers and to
 * consumers), one row per broker by id, then which partitions each leads
 * and follows by name. Kafka shows these as broker metrics
 * (BytesInPerSec, ReplicationBytesInPerSec, ...); the model counts
 * records.
 *
 * describe log TOPIC-P is what kafka-dump-log.sh and each replica's
 * leader-epoch-checkpoint file would tell about one partition: per replica
 * its log start, high watermark and log end offset; its offsets by leader
 * epoch (the epoch cache of KIP-101: each epoch from its start offset to
 * the next one's); and what truncation removed. Offsets belong to the
 * partition: a truncated offset was above the high watermark, never
 * committed, and is written again with other records.
 *
 * describe zk is zookeeper-shell's `ls -R /` with each znode's data, as far
 * as the model has ZooKeeper: /brokers/ids (ephemeral, one per live
 * session, in Kafka's JSON), /brokers/topics with each partition's state
 * (leader, leader epoch, ISR; the epoch of the controller that wrote it is
 * not modelled and is left out), /config/topics with each topic's own
 * configs, /controller and /controller_epoch. Kafka 3.x consumers keep
 * their offsets in __consumer_offsets, so /consumers is empty, as it is on
 * a real 3.x cluster. __consumer_offsets's partition states are counted,
 * not listed.
 *
 * Columns are padded to their longest value and separated by a space, the
 * way Kafka's tools print tables; every list is in a stable order (brokers
 * by id, topics by name, partitions by number).
 */
#include "output-describe.h"

#include <inttypes.h>
#include <string.h>

#include "kafkasim/config.h"
#include "kafkasim/event.h"
#include "kafkasim/output.h"
#include "kafkasim/query.h"

/* ---- a table of text cells ---- */

typedef struct {
    GPtrArray *rows; /* of GPtrArray * of char * */
} Table;

static Table table_new(void)
{
    return (Table){g_ptr_array_new_with_free_func((GDestroyNotify)g_ptr_array_unref)};
}

/* Adds a row of @n cells; each is taken (freed with the table). */
static void table_add(Table *t, size_t n, char **cells)
{
    GPtrArray *row = g_ptr_array_new_with_free_func(g_free);
    for (size_t i = 0; i < n; i++)
        g_ptr_array_add(row, cells[i]);
    g_ptr_array_add(t->rows, row);
}

/* Appends @t to @out, each column as wide as its longest cell, and frees
 * it. */
static void table_write(Table *t, GString *out)
{
    g_autofree size_t *width = NULL;
    size_t n = 0;
    for (guint r = 0; r < t->rows->len; r++) {
        GPtrArray *row = g_ptr_array_index(t->rows, r);
        if (row->len > n) {
            width = g_renew(size_t, width, row->len);
            memset(width + n, 0, (row->len - n) * sizeof *width);
            n = row->len;
        }
        for (guint c = 0; c < row->len; c++)
            width[c] = MAX(width[c], strlen(g_ptr_array_index(row, c)));
    }
    for (guint r = 0; r < t->rows->len; r++) {
        GPtrArray *row = g_ptr_array_index(t->rows, r);
        for (guint c = 0; c < row->len; c++) {
            const char *cell = g_ptr_array_index(row, c);
            if (c + 1 < row->len)
                g_string_append_printf(out, "%-*s ", (int)width[c], cell);
            else
                g_string_append(out, cell);
        }
        g_string_append_c(out, '\n');
    }
    g_ptr_array_unref(t->rows);
}

#define CELLS(...)  ((char *[]){__VA_ARGS__})
#define ROW(t, ...) table_add((t), G_N_ELEMENTS(CELLS(__VA_ARGS__)), CELLS(__VA_ARGS__))

static char *i64(int64_t v)
{
    return g_strdup_printf("%" PRId64, v);
}

/* Kafka's internal topics (__consumer_offsets), listed apart. */
static bool internal_topic(const char *topic)
{
    return g_str_has_prefix(topic, "__");
}

/* ---- describe brokers ---- */

static const char *broker_state(const KsSim *sim, const KsBrokerInfo *b)
{
    if (!b->alive)
        return b->registered ? "down (ZooKeeper session open)" : "down";
    return ks_query_controller(sim) == b->id ? "up, controller" : "up";
}

/* "orders-0, orders-2 and 17 of __consumer_offsets", or "nothing". */
static void append_partitions(GString *out, const GPtrArray *names, int64_t internal)
{
    for (guint i = 0; i < names->len; i++)
        g_string_append_printf(out, "%s%s", i ? ", " : "", (const char *)names->pdata[i]);
    if (internal > 0)
        g_string_append_printf(out, "%s%" PRId64 " of __consumer_offsets",
                               names->len ? " and " : "", internal);
    if (names->len == 0 && internal == 0)
        g_string_append(out, "nothing");
}

/* What broker @id leads and follows: partitions of user topics by (topic,
 * partition) into @leads and @follows, internal ones counted. */
static void broker_roles(const KsSim *sim, KsBrokerId id, GPtrArray *leads, GPtrArray *follows,
                         int64_t *internal_leads, int64_t *internal_follows)
{
    g_autoptr(GArray) order = ks_query_topics_by_name(sim);
    for (guint i = 0; i < order->len; i++) {
        KsTopicInfo t;
        ks_query_topic(sim, g_array_index(order, size_t, i), &t);
        for (int32_t p = 0; p < t.n_partitions; p++) {
            KsPartitionInfo part;
            ks_query_partition(sim, t.index, p, &part);
            for (int32_t r = 0; r < part.n_replicas; r++) {
                KsReplicaInfo rep;
                ks_query_replica(sim, t.index, p, r, &rep);
                if (rep.broker != id)
                    continue;
                if (internal_topic(t.name))
                    *(rep.is_leader ? internal_leads : internal_follows) += 1;
                else
                    g_ptr_array_add(rep.is_leader ? leads : follows,
                                    g_strdup_printf("%s-%" PRId32, t.name, p));
            }
        }
    }
}

/* The load of the node called @name; false if it has no type (no limits). */
static bool node_load(const KsSim *sim, const char *name, KsNodeLoadInfo *load)
{
    for (size_t i = 0; i < ks_query_n_nodes(sim); i++) {
        KsNodeInfo n;
        ks_query_node(sim, i, &n);
        if (strcmp(n.name, name) != 0)
            continue;
        ks_query_node_load(sim, i, load);
        return load->type != NULL;
    }
    return false;
}

static char *percent(int32_t permille)
{
    return g_strdup_printf("%d%%", (permille + 5) / 10);
}

/* With machine types, three more columns: the share of its node's network
 * (each way) and disk in use over the last 10 s. */
static void add_utilisation(const KsSim *sim, GPtrArray *row, const char *node, bool header)
{
    if (header) {
        g_ptr_array_add(row, g_strdup("NET-IN"));
        g_ptr_array_add(row, g_strdup("NET-OUT"));
        g_ptr_array_add(row, g_strdup("DISK"));
        return;
    }
    KsNodeLoadInfo load;
    bool typed = node_load(sim, node, &load);
    g_ptr_array_add(row, typed ? percent(load.recent_network_in_permille) : g_strdup("-"));
    g_ptr_array_add(row, typed ? percent(load.recent_network_out_permille) : g_strdup("-"));
    g_ptr_array_add(row, typed ? percent(load.recent_disk_permille) : g_strdup("-"));
}

void ks_describe_brokers(const KsSim *sim, GString *out)
{
    g_return_if_fail(sim != NULL && out != NULL);
    bool typed = ks_query_has_cost(sim);
    Table t = table_new();
    ROW(&t, g_strdup("BROKER"), g_strdup("HOST"), g_strdup("RACK"), g_strdup("STATE"),
        g_strdup("LEADER-FOR"), g_strdup("FOLLOWER-FOR"), g_strdup("RECORDS-IN"),
        g_strdup("REPLICATION-IN"), g_strdup("REPLICATION-OUT"), g_strdup("RECORDS-OUT"));
    if (typed)
        add_utilisation(sim, g_ptr_array_index(t.rows, 0), NULL, true);
    g_autoptr(GString) roles = g_string_new(NULL);
    for (size_t i = 0; i < ks_query_n_brokers(sim); i++) {
        KsBrokerInfo b;
        ks_query_broker(sim, i, &b);
        KsBrokerTraffic tr;
        ks_query_broker_traffic(sim, i, &tr);
        g_autoptr(GPtrArray) leads = g_ptr_array_new_with_free_func(g_free);
        g_autoptr(GPtrArray) follows = g_ptr_array_new_with_free_func(g_free);
        int64_t internal_leads = 0, internal_follows = 0;
        broker_roles(sim, b.id, leads, follows, &internal_leads, &internal_follows);
        ROW(&t, g_strdup_printf("%" PRId32, b.id),
            g_strdup_printf("%s:%d", b.node, ks_describe_broker_port(sim, &b)),
            g_strdup(b.rack ? b.rack : "-"), g_strdup(broker_state(sim, &b)),
            i64(leads->len + internal_leads), i64(follows->len + internal_follows),
            i64(tr.records_in), i64(tr.records_replicated_in), i64(tr.records_replicated_out),
            i64(tr.records_out));
        if (typed)
            add_utilisation(sim, g_ptr_array_index(t.rows, t.rows->len - 1), b.node, false);
        g_string_append_printf(roles, "Broker %" PRId32 " leads ", b.id);
        append_partitions(roles, leads, internal_leads);
        g_string_append(roles, "; follows ");
        append_partitions(roles, follows, internal_follows);
        g_string_append(roles, "\n");
    }
    table_write(&t, out);
    g_string_append(out, roles->str);
    if (typed)
        g_string_append(out, "NET-IN, NET-OUT, DISK: the share of the broker's machine (its node "
                             "type's network each way, its disk writes) in use over the last "
                             "10 s; brokers on one node share it\n");
}

/* ---- describe log TOPIC-P ---- */

/* "-": an offset range with no record. */
static char *last_offset(int64_t start, int64_t end)
{
    return end > start ? i64(end - 1) : g_strdup("-");
}

void ks_describe_log(const KsSim *sim, size_t topic, int32_t partition, GString *out)
{
    g_return_if_fail(sim != NULL && out != NULL);
    KsPartitionInfo part;
    ks_query_partition(sim, topic, partition, &part);
    g_string_append_printf(out, "Topic: %s\tPartition: %" PRId32 "\tLeader: ", part.topic,
                           partition);
    if (part.leader == KS_NO_BROKER)
        g_string_append(out, "none");
    else
        g_string_append_printf(out, "%" PRId32, part.leader);
    g_string_append_printf(out, "\tLeaderEpoch: %" PRId32 "\tIsr: ", part.leader_epoch);
    for (size_t i = 0; i < part.n_isr; i++)
        g_string_append_printf(out, "%s%" PRId32, i ? "," : "", part.isr[i]);
    g_string_append(out, "\n");

    Table replicas = table_new(), epochs = table_new(), cuts = table_new(), power = table_new();
    ROW(&replicas, g_strdup("BROKER"), g_strdup("ROLE"), g_strdup("STATE"), g_strdup("IN-ISR"),
        g_strdup("LOG-START-OFFSET"), g_strdup("HIGH-WATERMARK"), g_strdup("LOG-END-OFFSET"));
    ROW(&epochs, g_strdup("BROKER"), g_strdup("LEADER-EPOCH"), g_strdup("FIRST-OFFSET"),
        g_strdup("LAST-OFFSET"), g_strdup("RECORDS"));
    ROW(&cuts, g_strdup("BROKER"), g_strdup("AT"), g_strdup("FIRST-OFFSET"),
        g_strdup("LAST-OFFSET"), g_strdup("RECORDS"));
    ROW(&power, g_strdup("BROKER"), g_strdup("AT"), g_strdup("FIRST-OFFSET"),
        g_strdup("LAST-OFFSET"), g_strdup("RECORDS"));
    guint n_cuts = 0, n_power = 0;
    for (int32_t r = 0; r < part.n_replicas; r++) {
        KsReplicaInfo rep;
        ks_query_replica(sim, topic, partition, r, &rep);
        ROW(&replicas, g_strdup_printf("%" PRId32, rep.broker),
            g_strdup(rep.is_leader ? "leader" : "follower"), g_strdup(rep.alive ? "up" : "down"),
            g_strdup(rep.in_isr ? "yes" : "no"), i64(rep.log_start_offset), i64(rep.high_watermark),
            i64(rep.log_end_offset));
        g_autoptr(GArray) es = ks_query_replica_epochs(sim, topic, partition, r);
        for (guint k = 0; k < es->len; k++) {
            const KsEpochStart *e = &g_array_index(es, KsEpochStart, k);
            int64_t end = k + 1 < es->len ? g_array_index(es, KsEpochStart, k + 1).start_offset
                                          : rep.log_end_offset;
            ROW(&epochs, g_strdup_printf("%" PRId32, rep.broker), g_strdup_printf("%d", e->epoch),
                i64(e->start_offset), last_offset(e->start_offset, end),
                i64(end - e->start_offset));
        }
        g_autoptr(GArray) ts = ks_query_replica_truncations(sim, topic, partition, r);
        for (guint k = 0; k < ts->len; k++) {
            const KsTruncationInfo *c = &g_array_index(ts, KsTruncationInfo, k);
            ROW(c->power_loss ? &power : &cuts, g_strdup_printf("%" PRId32, rep.broker),
                ks_format_time(c->t), i64(c->to_offset), i64(c->from_offset - 1),
                i64(c->from_offset - c->to_offset));
            if (c->power_loss)
                n_power++;
            else
                n_cuts++;
        }
    }
    table_write(&replicas, out);
    g_string_append(out, "\nOffsets by leader epoch (each replica's leader-epoch cache):\n");
    table_write(&epochs, out);
    if (n_power > 0) {
        g_string_append(out, "\nLost with its machine's power (not on disk yet, committed or "
                             "not):\n");
        table_write(&power, out);
    } else {
        g_ptr_array_unref(power.rows);
    }
    if (n_cuts == 0) {
        g_ptr_array_unref(cuts.rows);
        if (n_power == 0)
            g_string_append(out, "\nNo replica has truncated its log.\n");
        return;
    }
    g_string_append(out,
                    "\nTruncated (above the high watermark, so never committed; those offsets are "
                    "written again with other records):\n");
    table_write(&cuts, out);
}

/* ---- describe zk ---- */

/* Appends a znode line: its path, then its data when @data is not NULL. */
static void znode(GString *out, const char *path, const char *data, const char *note)
{
    g_string_append(out, path);
    if (data)
        g_string_append_printf(out, " %s", data);
    if (note)
        g_string_append_printf(out, "  (%s)", note);
    g_string_append_c(out, '\n');
}

static void append_json_ids(GString *out, const KsBrokerId *ids, size_t n)
{
    g_string_append_c(out, '[');
    for (size_t i = 0; i < n; i++)
        g_string_append_printf(out, "%s%" PRId32, i ? "," : "", ids[i]);
    g_string_append_c(out, ']');
}

/* /brokers/topics/T and its partitions' state. */
static void zk_topic(const KsSim *sim, const KsTopicInfo *t, GString *out)
{
    g_autoptr(GString) data = g_string_new("{\"partitions\":{");
    for (int32_t p = 0; p < t->n_partitions; p++) {
        KsPartitionInfo part;
        ks_query_partition(sim, t->index, p, &part);
        g_autofree KsBrokerId *ids = g_new(KsBrokerId, part.n_replicas);
        for (int32_t r = 0; r < part.n_replicas; r++) {
            KsReplicaInfo rep;
            ks_query_replica(sim, t->index, p, r, &rep);
            ids[r] = rep.broker;
        }
        g_string_append_printf(data, "%s\"%" PRId32 "\":", p ? "," : "", p);
        append_json_ids(data, ids, (size_t)part.n_replicas);
    }
    g_string_append(data, "},\"version\":3}");
    g_autofree char *path = g_strdup_printf("/brokers/topics/%s", t->name);
    g_autofree char *partitions = g_strconcat(path, "/partitions", NULL);
    if (internal_topic(t->name)) {
        g_autofree char *note = g_strdup_printf(
            "%" PRId32 " partitions: their assignment and states are not shown", t->n_partitions);
        znode(out, path, NULL, note);
        return;
    }
    znode(out, path, data->str, NULL);
    znode(out, partitions, NULL, NULL);
    for (int32_t p = 0; p < t->n_partitions; p++) {
        KsPartitionInfo part;
        ks_query_partition(sim, t->index, p, &part);
        g_autofree char *dir = g_strdup_printf("%s/%" PRId32, partitions, p);
        g_autofree char *state = g_strconcat(dir, "/state", NULL);
        g_autoptr(GString) s = g_string_new(NULL);
        g_string_append_printf(s, "{\"leader\":%" PRId32 ",\"leader_epoch\":%" PRId32 ",\"isr\":",
                               part.leader, part.leader_epoch);
        append_json_ids(s, part.isr, part.n_isr);
        g_string_append(s, ",\"version\":1}");
        znode(out, dir, NULL, NULL);
        znode(out, state, s->str, NULL);
    }
}

/* /config/topics/T: the topic's own configs, values as strings. */
static void zk_topic_config(const KsTopicInfo *t, GString *out)
{
    g_autoptr(GString) data = g_string_new("{\"version\":1,\"config\":{");
    bool first = true;
    for (int k = 0; k < KS_CFG_COUNT; k++) {
        if (!ks_config_set_has(t->overrides, k))
            continue;
        g_autofree char *v = ks_config_set_format(t->overrides, k);
        g_string_append_printf(data, "%s\"%s\":\"%s\"", first ? "" : ",", ks_config_info(k)->name,
                               v);
        first = false;
    }
    g_string_append(data, "}}");
    g_autofree char *path = g_strdup_printf("/config/topics/%s", t->name);
    znode(out, path, data->str, NULL);
}

void ks_describe_zk(const KsSim *sim, GString *out)
{
    g_return_if_fail(sim != NULL && out != NULL);
    znode(out, "/", NULL, NULL);
    znode(out, "/brokers", NULL, NULL);
    znode(out, "/brokers/ids", NULL, NULL);
    for (size_t i = 0; i < ks_query_n_brokers(sim); i++) {
        KsBrokerInfo b;
        ks_query_broker(sim, i, &b);
        if (!b.registered)
            continue;
        int port = ks_describe_broker_port(sim, &b);
        g_autoptr(GString) data = g_string_new(NULL);
        g_string_append_printf(data, "{\"endpoints\":[\"PLAINTEXT://%s:%d\"],\"host\":\"%s\",",
                               b.node, port, b.node);
        g_string_append_printf(data, "\"port\":%d,\"rack\":", port);
        if (b.rack)
            g_string_append_printf(data, "\"%s\"", b.rack);
        else
            g_string_append(data, "null");
        g_string_append(data, ",\"version\":5}");
        g_autofree char *path = g_strdup_printf("/brokers/ids/%" PRId32, b.id);
        g_autofree char *note =
            g_strdup_printf("ephemeral: broker %" PRId32 "'s session%s", b.id,
                            b.alive ? ""
                                    : "; its process is down, the node goes when the session "
                                      "expires");
        znode(out, path, data->str, note);
    }
    znode(out, "/brokers/topics", NULL, NULL);
    g_autoptr(GArray) order = ks_query_topics_by_name(sim);
    for (guint i = 0; i < order->len; i++) {
        KsTopicInfo t;
        ks_query_topic(sim, g_array_index(order, size_t, i), &t);
        zk_topic(sim, &t, out);
    }
    znode(out, "/config", NULL, NULL);
    znode(out, "/config/topics", NULL, NULL);
    for (guint i = 0; i < order->len; i++) {
        KsTopicInfo t;
        ks_query_topic(sim, g_array_index(order, size_t, i), &t);
        zk_topic_config(&t, out);
    }
    znode(out, "/consumers", NULL,
          "empty: consumer groups keep their offsets in __consumer_offsets");
    KsBrokerId controller = ks_query_controller(sim);
    if (controller != KS_NO_BROKER) {
        g_autofree char *data =
            g_strdup_printf("{\"version\":2,\"brokerid\":%" PRId32 "}", controller);
        g_autofree char *note =
            g_strdup_printf("ephemeral: broker %" PRId32 "'s session", controller);
        znode(out, "/controller", data, note);
    }
    g_autofree char *epoch = g_strdup_printf("%" PRId32, ks_query_controller_epoch(sim));
    znode(out, "/controller_epoch", epoch, NULL);
}

/* ---- the describe actions, for the timeline ---- */

void ks_describe_event(const KsSim *sim, const KsEvent *ev, const char **out_tag, GString *headline,
                       GString *table)
{
    g_return_if_fail(sim != NULL && ev != NULL && out_tag != NULL);
    if (ev->type == KS_EV_DESCRIBE_GROUPS) {
        const char *group = ev->describe_groups.group;
        ks_describe_groups(sim, group, KS_GROUP_LAYOUT_OFFSETS, table, NULL);
        *out_tag = "groups";
        g_string_append_printf(headline, "describe groups%s%s%s", group ? " " : "",
                               group ? group : "", table->len ? "" : ": no consumer group yet");
        return;
    }
    g_return_if_fail(ev->type == KS_EV_DESCRIBE);
    const char *what = ev->describe.what;
    *out_tag = what;
    if (strcmp(what, "log") == 0) {
        size_t topic;
        g_string_append_printf(headline, "describe log %s-%" PRId64, ev->describe.topic,
                               ev->describe.partition);
        if (ks_query_find_topic(sim, ev->describe.topic, &topic))
            ks_describe_log(sim, topic, (int32_t)ev->describe.partition, table);
    } else if (strcmp(what, "brokers") == 0) {
        g_string_append(headline, "describe brokers");
        ks_describe_brokers(sim, table);
    } else {
        g_string_append(headline, "describe zk");
        ks_describe_zk(sim, table);
    }
}
