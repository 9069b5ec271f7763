/* SPDX-License-Identifier: MIT */
/*
 * output-describe.c - kafka-topics.sh --describe, byte for byte.
 *
 * The layout of TopicCommand in Kafka 2.4 to 2.7: a topic line, then one
 * line per partition starting with a tab, fields separated by tabs.
 * "Leader: none" when there is no leader. Configs lists the topic's own
 * overrides, not broker defaults. Kafka 2.8 added a TopicId column (KIP-516)
 * and 3.8 the ELR columns; the simulator keeps the earlier layout, which
 * tests compare byte for byte with the reference outputs in tests/refs.
 *
 * Once every broker is gone the table is not what any tool could print:
 * kafka-topics.sh needs --bootstrap-server since Kafka 3.0 (TopicCommand),
 * and no broker answers. What it shows then is ZooKeeper's last record:
 * each partition's state znode keeps what the last controller wrote
 * (KafkaZkClient.updateLeaderAndIsr), and no broker is left to become
 * controller (KafkaController.elect runs in a live broker). A line after
 * the table says so; while any broker runs, the table is exactly Kafka's.
 *
 * Groups: kafka-consumer-groups.sh --describe (ConsumerGroupCommand of Kafka
 * 3.x) in its three layouts, offsets (the default), --members and --state.
 * Each is a Java printf format applied to the header and to every row, each
 * starting with a newline, columns left-aligned and as wide as their
 * longest value but at least 15 (25 for --state), then one more newline.
 * CURRENT-OFFSET is the committed offset, LOG-END-OFFSET the high watermark
 * (ListOffsets, read_uncommitted), LAG their difference; "-" where a value
 * is missing. The formatters read only a KsGroupView, so the tests feed
 * them Kafka's reference examples; ks_describe_groups() builds the views
 * from query-groups.h. In the simulator CONSUMER-ID is the member id (the
 * consumer's name, not client.id plus a UUID), HOST "/" and its node, and
 * a coordinator is "<node>:<port>  (<id>)", ports counting from 9092 for
 * the brokers sharing a node.
 */
#include "output-describe.h"

#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

#include "kafkasim/config.h"
#include "kafkasim/output.h"
#include "kafkasim/query-groups.h"
#include "kafkasim/query.h"

static void append_ids(GString *out, const KsBrokerId *ids, size_t n)
{
    for (size_t i = 0; i < n; i++)
        g_string_append_printf(out, "%s%" PRId32, i ? "," : "", ids[i]);
}

void ks_describe_topics(const KsSim *sim, GString *out)
{
    g_autoptr(GArray) order = ks_query_topics_by_name(sim);
    for (guint i = 0; i < order->len; i++) {
        KsTopicInfo t;
        ks_query_topic(sim, g_array_index(order, size_t, i), &t);
        g_string_append_printf(out,
                               "Topic: %s\tPartitionCount: %" PRId32 "\tReplicationFactor: %" PRId32
                               "\tConfigs: ",
                               t.name, t.n_partitions, t.replication_factor);
        bool first = true;
        for (int k = 0; k < KS_CFG_COUNT; k++) {
            if (!ks_config_set_has(t.overrides, k))
                continue;
            g_autofree char *v = ks_config_set_format(t.overrides, k);
            g_string_append_printf(out, "%s%s=%s", first ? "" : ",", ks_config_info(k)->name, v);
            first = false;
        }
        g_string_append_c(out, '\n');
        for (int32_t p = 0; p < t.n_partitions; p++) {
            KsPartitionInfo part;
            ks_query_partition(sim, t.index, p, &part);
            g_string_append_printf(out, "\tTopic: %s\tPartition: %" PRId32 "\tLeader: ", t.name, p);
            if (part.leader == KS_NO_BROKER)
                g_string_append(out, "none");
            else
                g_string_append_printf(out, "%" PRId32, part.leader);
            g_string_append(out, "\tReplicas: ");
            for (int32_t r = 0; r < part.n_replicas; r++) {
                KsReplicaInfo rep;
                ks_query_replica(sim, t.index, p, r, &rep);
                g_string_append_printf(out, "%s%" PRId32, r ? "," : "", rep.broker);
            }
            g_string_append(out, "\tIsr: ");
            append_ids(out, part.isr, part.n_isr);
            g_string_append_c(out, '\n');
        }
    }
    if (ks_query_n_brokers(sim) > 0 && !ks_query_any_broker_alive(sim))
        g_string_append(out, "(no broker is alive: leaders and ISRs are as ZooKeeper last recorded "
                             "them; no controller)\n");
}

/* ---- kafka-consumer-groups.sh --describe ---- */

/* Kafka's MISSING_COLUMN_VALUE. */
static const char missing[] = "-";

/* Kafka's column width: the longest of @min and @value. */
static int widen(int width, const char *value)
{
    int len = (int)strlen(value);
    return len > width ? len : width;
}

static char *number_text(int64_t v)
{
    return v < 0 ? g_strdup(missing) : g_strdup_printf("%" PRId64, v);
}

/* One row of the offsets table. */
typedef struct {
    const KsGroupOffsetInfo *o;
    const KsMemberInfo *m; /* NULL: committed but owned by nobody */
} Row;

static bool owned_by(const KsGroupOffsetInfo *o, const KsMemberInfo *m)
{
    return o->owner && strcmp(o->owner, m->id) == 0;
}

static const KsMemberInfo *find_owner(const KsGroupView *g, const KsGroupOffsetInfo *o)
{
    for (size_t i = 0; i < g->n_members; i++)
        if (owned_by(o, &g->members[i]))
            return &g->members[i];
    return NULL;
}

/* Within a member Kafka sorts by partition number alone (sortBy
 * (_.partition)); partitions of the same number go by topic name here, so
 * runs repeat. */
static int cmp_by_partition(const void *a, const void *b)
{
    const KsGroupOffsetInfo *x = ((const Row *)a)->o, *y = ((const Row *)b)->o;
    if (x->partition != y->partition)
        return (x->partition > y->partition) - (x->partition < y->partition);
    return strcmp(x->topic, y->topic);
}

/* Members with partitions, most partitions first (ties keep the members'
 * order, by id), each member's partitions by number; then partitions that
 * have a committed offset and no owner, by (topic, partition). */
static GArray *offset_rows(const KsGroupView *g)
{
    GArray *rows = g_array_new(FALSE, FALSE, sizeof(Row));
    g_autofree size_t *order = g_new(size_t, g->n_members + 1);
    g_autofree size_t *owned = g_new0(size_t, g->n_members + 1);
    for (size_t i = 0; i < g->n_members; i++) {
        for (size_t k = 0; k < g->n_offsets; k++)
            owned[i] += owned_by(&g->offsets[k], &g->members[i]);
        size_t j = i; /* a stable insertion sort, descending */
        for (; j > 0 && owned[order[j - 1]] < owned[i]; j--)
            order[j] = order[j - 1];
        order[j] = i;
    }
    for (size_t i = 0; i < g->n_members; i++) {
        const KsMemberInfo *m = &g->members[order[i]];
        guint first = rows->len;
        for (size_t k = 0; k < g->n_offsets; k++) {
            Row r = {&g->offsets[k], m};
            if (owned_by(r.o, m))
                g_array_append_val(rows, r);
        }
        if (rows->len > first) /* an empty GArray may have no data to point into */
            qsort(&g_array_index(rows, Row, first), rows->len - first, sizeof(Row),
                  cmp_by_partition);
    }
    for (size_t k = 0; k < g->n_offsets; k++) {
        Row r = {&g->offsets[k], NULL};
        if (r.o->committed >= 0 && !find_owner(g, r.o))
            g_array_append_val(rows, r);
    }
    return rows;
}

/* A newline, then Kafka's `%-Ns` for each of @n values but the one at
 * @skip (none: @n), separated by spaces; a width of 0 leaves the value as
 * it is (the last column). */
static void append_row(GString *out, const int *widths, const char *const *values, size_t n,
                       size_t skip)
{
    g_string_append_c(out, '\n');
    const char *sep = "";
    for (size_t i = 0; i < n; i++) {
        if (i == skip)
            continue;
        g_string_append_printf(out, "%s%-*s", sep, widths[i], values[i]);
        sep = " ";
    }
}

static void write_offsets(const KsGroupView *g, const GArray *rows, GString *out)
{
    enum { N = 9 };
    int w[N] = {15, 15, 10, 15, 15, 15, 15, 15, 0};
    w[0] = widen(w[0], g->info.name);
    for (guint i = 0; i < rows->len; i++) {
        const Row *r = &g_array_index(rows, Row, i);
        w[1] = widen(w[1], r->o->topic);
        w[6] = widen(w[6], r->m ? r->m->id : missing);
        w[7] = widen(w[7], r->m ? r->m->host : missing);
    }
    static const char *const header[N] = {"GROUP",          "TOPIC",          "PARTITION",
                                          "CURRENT-OFFSET", "LOG-END-OFFSET", "LAG",
                                          "CONSUMER-ID",    "HOST",           "CLIENT-ID"};
    append_row(out, w, header, N, N);
    for (guint i = 0; i < rows->len; i++) {
        const Row *r = &g_array_index(rows, Row, i);
        const KsGroupOffsetInfo *o = r->o;
        g_autofree char *part = g_strdup_printf("%" PRId32, o->partition);
        g_autofree char *committed = number_text(o->committed);
        g_autofree char *end = number_text(o->log_end_offset);
        g_autofree char *lag = number_text(
            o->committed >= 0 && o->log_end_offset >= 0 ? o->log_end_offset - o->committed : -1);
        const char *cells[N] = {g->info.name,
                                o->topic,
                                part,
                                committed,
                                end,
                                lag,
                                r->m ? r->m->id : missing,
                                r->m ? r->m->host : missing,
                                r->m ? r->m->client_id : missing};
        append_row(out, w, cells, N, N);
    }
    g_string_append_c(out, '\n');
}

static void write_members(const KsGroupView *g, GString *out)
{
    bool instances = false;
    for (size_t i = 0; i < g->n_members; i++)
        instances |= g->members[i].instance_id != NULL;
    /* GROUP, CONSUMER-ID, [GROUP-INSTANCE-ID,] HOST, CLIENT-ID, #PARTITIONS
     * and an empty last cell: Kafka's format ends in "%-15s ". */
    enum { GROUP, ID, INSTANCE, HOST, CLIENT, COUNT, END, N };
    int w[N] = {widen(15, g->info.name), 15, 17, 15, 15, 15, 0};
    for (size_t i = 0; i < g->n_members; i++) {
        const KsMemberInfo *m = &g->members[i];
        w[ID] = widen(w[ID], m->id);
        w[INSTANCE] = widen(w[INSTANCE], m->instance_id ? m->instance_id : missing);
        w[HOST] = widen(w[HOST], m->host);
        w[CLIENT] = widen(w[CLIENT], m->client_id);
    }
    /* Without static members the column is left out. */
    size_t skip = instances ? N : INSTANCE;
    const char *header[N] = {
        "GROUP", "CONSUMER-ID", "GROUP-INSTANCE-ID", "HOST", "CLIENT-ID", "#PARTITIONS", ""};
    append_row(out, w, header, N, skip);
    for (size_t i = 0; i < g->n_members; i++) {
        const KsMemberInfo *m = &g->members[i];
        g_autofree char *count = g_strdup_printf("%zu", m->n_assigned);
        const char *cells[N] = {
            g->info.name, m->id, m->instance_id ? m->instance_id : missing, m->host, m->client_id,
            count,        ""};
        append_row(out, w, cells, N, skip);
    }
    g_string_append_c(out, '\n');
}

static void write_state(const KsGroupView *g, GString *out)
{
    const char *coordinator = g->coordinator ? g->coordinator : missing;
    /* Kafka sizes the first column by the coordinator's text, not the
     * group's name. */
    int w[5] = {widen(25, coordinator), 25, 20, 15, 0};
    static const char *const header[5] = {"GROUP", "COORDINATOR (ID)", "ASSIGNMENT-STRATEGY",
                                          "STATE", "#MEMBERS"};
    append_row(out, w, header, 5, 5);
    g_autofree char *members = g_strdup_printf("%zu", g->n_members);
    const char *cells[5] = {g->info.name, coordinator, g->info.protocol, g->info.state, members};
    append_row(out, w, cells, 5, 5);
    g_string_append_c(out, '\n');
}

/* Kafka's printError for a Dead or unknown group, on stdout. */
static void write_not_found(const char *group, GString *out)
{
    g_string_append_printf(out, "\nError: Consumer group '%s' does not exist.\n", group);
}

void ks_describe_group_write(const KsGroupView *g, KsGroupLayout layout, GString *out, GString *err)
{
    g_return_if_fail(g != NULL && out != NULL);
    /* Kafka's shouldPrintMemberState: a notice by state, then the table
     * only if it has rows (--state always has its one). */
    const char *state = g->info.state;
    if (strcmp(state, "Dead") == 0) {
        write_not_found(g->info.name, out);
        return;
    }
    GString *notice = err ? err : out;
    if (strcmp(state, "Empty") == 0)
        g_string_append_printf(notice, "\nConsumer group '%s' has no active members.\n",
                               g->info.name);
    else if (strcmp(state, "Stable") != 0)
        g_string_append_printf(notice, "\nWarning: Consumer group '%s' is rebalancing.\n",
                               g->info.name);
    switch (layout) {
    case KS_GROUP_LAYOUT_OFFSETS: {
        g_autoptr(GArray) rows = offset_rows(g);
        if (rows->len > 0)
            write_offsets(g, rows, out);
        break;
    }
    case KS_GROUP_LAYOUT_MEMBERS:
        if (g->n_members > 0)
            write_members(g, out);
        break;
    case KS_GROUP_LAYOUT_STATE:
        write_state(g, out);
        break;
    }
}

/* "<node>:<port>  (<id>)": brokers on one node listen on 9092, 9093, ...
 * in id order. NULL without a coordinator. */
static char *coordinator_text(const KsSim *sim, KsBrokerId id)
{
    KsBrokerInfo b;
    if (id == KS_NO_BROKER || !ks_query_find_broker(sim, id, &b))
        return NULL;
    int port = 9092;
    for (size_t i = 0; i < ks_query_n_brokers(sim); i++) {
        KsBrokerInfo other;
        ks_query_broker(sim, i, &other);
        port += other.id < id && strcmp(other.node, b.node) == 0;
    }
    return g_strdup_printf("%s:%d  (%" PRId32 ")", b.node, port, id);
}

static void describe_group(const KsSim *sim, size_t index, KsGroupLayout layout, GString *out,
                           GString *err)
{
    KsGroupView v = {0};
    ks_query_group(sim, index, &v.info);
    g_autoptr(GArray) members = ks_query_group_members(sim, index);
    g_autoptr(GArray) offsets = ks_query_group_offsets(sim, index);
    g_autofree char *coordinator = coordinator_text(sim, v.info.coordinator);
    v.members = (const KsMemberInfo *)(const void *)members->data;
    v.n_members = members->len;
    v.offsets = (const KsGroupOffsetInfo *)(const void *)offsets->data;
    v.n_offsets = offsets->len;
    v.coordinator = coordinator;
    ks_describe_group_write(&v, layout, out, err);
}

void ks_describe_groups(const KsSim *sim, const char *group, KsGroupLayout layout, GString *out,
                        GString *err)
{
    g_return_if_fail(sim != NULL && out != NULL);
    if (group) {
        size_t index;
        if (ks_query_find_group(sim, group, &index))
            describe_group(sim, index, layout, out, err);
        else
            write_not_found(group, out);
        return;
    }
    for (size_t i = 0; i < ks_query_n_groups(sim); i++)
        describe_group(sim, i, layout, out, err);
}
