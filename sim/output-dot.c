/* SPDX-License-Identifier: MIT */
/*
 * output-dot.c - the topology diagram: DOT text, and SVG through Graphviz.
 *
 * The diagram is for a class looking at a projected screen, so it says
 * what kafka-topics.sh --describe says, as a picture. Machines are
 * clusters (their zone in the label) holding their brokers (rack, the
 * controller marked, a crashed broker greyed, with whether ZooKeeper still
 * holds its session, since that is why its partitions keep a dead leader
 * for zookeeper.session.timeout.ms). Partitions sit in one cluster per
 * topic; each points at its leader (solid) and its followers (dashed, red
 * when out of the ISR); a partition without a leader is red and says
 * OFFLINE. Consumer groups are clusters of their consumers, with a dotted
 * edge to the group's coordinator (the leader of its __consumer_offsets
 * partition) and an edge from each consumer to each partition it owns; a
 * member of the current generation without a partition says it is idle.
 * __consumer_offsets itself (50 partitions by default) is not drawn.
 *
 * Above KS_DOT_DETAIL_MAX_BROKERS brokers a partition-level picture is
 * unreadable, so a summary replaces it: per broker, the partitions it
 * leads and follows and the records its replicas hold, which shows the
 * dual role of every broker and where the load sits.
 *
 * Everything is read through the queries (query.h, query-groups.h) in
 * stable orders: nodes and topics as declared or by name, brokers by id,
 * groups by name. No hash table is walked, so the same run gives the same
 * bytes. Rendering goes through Graphviz's library (ks_dot_read, gvLayout,
 * gvRenderData), which takes the text as it is; the DOT text never depends
 * on whether Graphviz is built in.
 */
#include "kafkasim/dot.h"

#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

#include "kafkasim/output.h"
#include "kafkasim/query-groups.h"
#include "kafkasim/query.h"
#include "ks-config.h"

#if KS_HAVE_GRAPHVIZ
#include <graphviz/cgraph.h>
#include <graphviz/gvc.h>
#include <graphviz/gvplugin.h>

/* The two plugins the diagrams need, linked in: the dot layout and the
 * core renderers (SVG among them). */
extern gvplugin_library_t gvplugin_dot_layout_LTX_library;
extern gvplugin_library_t gvplugin_core_LTX_library;
#endif

#include "output-dot-private.h"

G_DEFINE_QUARK(ks - dot - error - quark, ks_dot_error)

/* Colours: one meaning each, kept apart for colour-blind readers (blue and
 * orange-red rather than green and red). */
#define COLOR_LINK      "#1f4e79" /* leader and in-sync follower edges */
#define COLOR_LAGGING   "#c0392b" /* out-of-sync follower edges, offline partitions */
#define COLOR_GROUP     "#6c3483" /* groups, consumers, their edges */
#define COLOR_DOWN_FILL "#d9d9d9"
#define COLOR_DOWN_TEXT "#6b6b6b"

/* Appends @s as a DOT double-quoted string; a newline in @s becomes a
 * centred line break. */
static void append_quoted(GString *out, const char *s)
{
    g_string_append_c(out, '"');
    for (const char *c = s; *c; c++) {
        if (*c == '\n')
            g_string_append(out, "\\n");
        else if (*c == '"' || *c == '\\')
            g_string_append_c(out, '\\'), g_string_append_c(out, *c);
        else
            g_string_append_c(out, *c);
    }
    g_string_append_c(out, '"');
}

static char *broker_id_text(KsBrokerId id)
{
    return g_strdup_printf("broker %" PRId32, id);
}

/* Whether @topic is one of Kafka's internal topics, left out of the
 * picture. */
static bool internal_topic(const char *topic)
{
    return g_str_has_prefix(topic, "__");
}

/* Per broker: what the summary and the broker labels count. */
typedef struct {
    int64_t leads, follows, records;
} BrokerLoad;

/* Counts, for every broker (by query index), the partitions of user topics
 * it leads and follows and the records its replicas of them hold: one pass
 * over the replicas, each broker found by binary search (the query lists
 * brokers by id). */
static BrokerLoad *broker_loads(const KsSim *sim)
{
    size_t n = ks_query_n_brokers(sim);
    BrokerLoad *loads = g_new0(BrokerLoad, n + 1);
    g_autofree KsBrokerId *ids = g_new(KsBrokerId, n + 1);
    for (size_t b = 0; b < n; b++) {
        KsBrokerInfo bi;
        ks_query_broker(sim, b, &bi);
        ids[b] = bi.id;
    }
    for (size_t t = 0; t < ks_query_n_topics(sim); t++) {
        KsTopicInfo ti;
        ks_query_topic(sim, t, &ti);
        if (internal_topic(ti.name))
            continue;
        for (int32_t p = 0; p < ti.n_partitions; p++) {
            KsPartitionInfo pi;
            ks_query_partition(sim, t, p, &pi);
            for (int32_t r = 0; r < pi.n_replicas; r++) {
                KsReplicaInfo rep;
                ks_query_replica(sim, t, p, r, &rep);
                const KsBrokerId *at = bsearch(&rep.broker, ids, n, sizeof *ids, ks_broker_id_cmp);
                if (!at)
                    continue;
                BrokerLoad *load = &loads[at - ids];
                load->leads += rep.is_leader;
                load->follows += !rep.is_leader;
                load->records += rep.log_end_offset - rep.log_start_offset;
            }
        }
    }
    return loads;
}

/* One broker box. */
static void write_broker(GString *out, const KsSim *sim, const KsBrokerInfo *b,
                         const BrokerLoad *load)
{
    g_autoptr(GString) label = g_string_new(NULL);
    g_string_append_printf(label, "broker %" PRId32, b->id);
    if (b->rack)
        g_string_append_printf(label, "\nrack %s", b->rack);
    bool controller = ks_query_controller(sim) == b->id;
    if (controller)
        g_string_append_printf(label, "\nCONTROLLER (epoch %" PRId32 ")",
                               ks_query_controller_epoch(sim));
    if (!b->alive)
        g_string_append(label, b->registered ? "\ndown (ZooKeeper session still open)" : "\ndown");
    g_string_append_printf(label, "\nleads %" PRId64 ", follows %" PRId64, load->leads,
                           load->follows);
    g_autofree char *id = broker_id_text(b->id);
    g_string_append(out, "    ");
    append_quoted(out, id);
    g_string_append(out, " [shape=box, label=");
    append_quoted(out, label->str);
    if (!b->alive)
        g_string_append(out,
                        ", style=\"filled,dashed\", fillcolor=\"" COLOR_DOWN_FILL
                        "\", fontcolor=\"" COLOR_DOWN_TEXT "\", color=\"" COLOR_DOWN_TEXT "\"");
    else
        g_string_append(out, ", style=filled, fillcolor=\"#eaf2fb\"");
    if (controller)
        g_string_append(out, ", penwidth=3");
    g_string_append(out, "];\n");
}

/* One cluster per machine, holding its brokers (by id). */
static void write_nodes(GString *out, const KsSim *sim, const BrokerLoad *loads)
{
    for (size_t n = 0; n < ks_query_n_nodes(sim); n++) {
        KsNodeInfo node;
        ks_query_node(sim, n, &node);
        g_autofree char *cluster = g_strdup_printf("cluster_node_%zu", n);
        g_autoptr(GString) label = g_string_new(node.name);
        if (node.zone)
            g_string_append_printf(label, "\nzone %s", node.zone);
        if (!node.up)
            g_string_append(label, "\nmachine down");
        g_string_append(out, "  subgraph ");
        append_quoted(out, cluster);
        g_string_append(out, " {\n    label=");
        append_quoted(out, label->str);
        g_string_append(out, node.up ? ";\n    style=rounded;\n"
                                     : ";\n    style=\"rounded,filled\"; fillcolor=\"#eeeeee\";\n");
        for (size_t b = 0; b < ks_query_n_brokers(sim); b++) {
            KsBrokerInfo bi;
            ks_query_broker(sim, b, &bi);
            if (strcmp(bi.node, node.name) == 0)
                write_broker(out, sim, &bi, &loads[b]);
        }
        g_string_append(out, "  }\n");
    }
}

static char *partition_id_text(const char *topic, int32_t partition)
{
    return g_strdup_printf("%s-%" PRId32, topic, partition);
}

/* An edge from @from to @to with the attributes @attrs. */
static void write_edge(GString *out, const char *from, const char *to, const char *attrs)
{
    g_string_append(out, "  ");
    append_quoted(out, from);
    g_string_append(out, " -> ");
    append_quoted(out, to);
    g_string_append_printf(out, " [%s];\n", attrs);
}

/* Whether @part has a leader whose broker is down: the controller has not
 * replaced it yet (it waits for the broker's ZooKeeper session to expire),
 * so the partition takes no writes. */
static bool leader_down(const KsSim *sim, const KsPartitionInfo *part)
{
    KsBrokerInfo b;
    return part->leader != KS_NO_BROKER && ks_query_find_broker(sim, part->leader, &b) && !b.alive;
}

/* A partition box and its edges to its replicas' brokers. */
static void write_partition(GString *out, const KsSim *sim, size_t topic, int32_t p, GString *edges)
{
    KsPartitionInfo part;
    ks_query_partition(sim, topic, p, &part);
    g_autofree char *id = partition_id_text(part.topic, p);
    g_autoptr(GString) label = g_string_new(id);
    const char *style = "style=\"rounded,filled\", fillcolor=white";
    if (part.leader == KS_NO_BROKER) {
        g_string_append(label, "\nOFFLINE: no leader");
        style = "style=\"rounded,filled,bold\", fillcolor=\"#f5b7b1\", color=\"" COLOR_LAGGING "\"";
    } else {
        g_string_append_printf(label, "\nepoch %" PRId32 ", HW %" PRId64 ", LEO %" PRId64,
                               part.leader_epoch, part.high_watermark, part.log_end_offset);
        g_string_append(label, "\nISR ");
        for (size_t i = 0; i < part.n_isr; i++)
            g_string_append_printf(label, "%s%" PRId32, i ? "," : "", part.isr[i]);
        if (leader_down(sim, &part)) {
            g_string_append(label, "\nUNAVAILABLE: its leader is down");
            style = "style=\"rounded,filled\", fillcolor=\"#f5b7b1\"";
        } else if ((int32_t)part.n_isr < part.n_replicas) {
            g_string_append(label, "\nunder-replicated");
            style = "style=\"rounded,filled\", fillcolor=\"#fdebd0\"";
        }
    }
    g_string_append(out, "    ");
    append_quoted(out, id);
    g_string_append(out, " [shape=box, label=");
    append_quoted(out, label->str);
    g_string_append_printf(out, ", %s];\n", style);

    for (int32_t r = 0; r < part.n_replicas; r++) {
        KsReplicaInfo rep;
        ks_query_replica(sim, topic, p, r, &rep);
        g_autofree char *broker = broker_id_text(rep.broker);
        const char *attrs =
            rep.is_leader ? "style=solid, penwidth=2, color=\"" COLOR_LINK "\", label=\"leader\""
            : rep.in_isr  ? "style=dashed, color=\"" COLOR_LINK "\""
                          : "style=dashed, color=\"" COLOR_LAGGING "\", fontcolor=\"" COLOR_LAGGING
                           "\", label=\"out of sync\"";
        write_edge(edges, id, broker, attrs);
    }
}

/* One cluster per user topic, by name, holding its partitions; their
 * edges go to @edges, written after every cluster. */
static void write_topics(GString *out, const KsSim *sim, GString *edges)
{
    g_autoptr(GArray) order = ks_query_topics_by_name(sim);
    for (guint i = 0; i < order->len; i++) {
        KsTopicInfo t;
        ks_query_topic(sim, g_array_index(order, size_t, i), &t);
        if (internal_topic(t.name))
            continue;
        g_autofree char *cluster = g_strdup_printf("cluster_topic_%s", t.name);
        g_autofree char *label = g_strdup_printf(
            "topic %s\n%" PRId32 " partition%s, replication factor %" PRId32, t.name,
            t.n_partitions, t.n_partitions == 1 ? "" : "s", t.replication_factor);
        g_string_append(out, "  subgraph ");
        append_quoted(out, cluster);
        g_string_append(out, " {\n    label=");
        append_quoted(out, label);
        g_string_append(out, ";\n    style=\"rounded,dashed\";\n");
        for (int32_t p = 0; p < t.n_partitions; p++)
            write_partition(out, sim, t.index, p, edges);
        g_string_append(out, "  }\n");
    }
}

static char *consumer_id_text(const char *name)
{
    return g_strdup_printf("consumer %s", name);
}

/* One consumer of group @group (an index) and its edges to the partitions
 * it owns. */
static void write_consumer(GString *out, const KsSim *sim, size_t group, const KsConsumerInfo *c,
                           GString *edges)
{
    g_autofree char *id = consumer_id_text(c->name);
    g_autoptr(GArray) owned = ks_query_member_assignment(sim, group, c->name);
    g_autoptr(GString) label = g_string_new(c->name);
    const char *style = "style=filled, fillcolor=\"#f4ecf7\"";
    if (!c->running) {
        g_string_append(label, "\nnot running");
        style = "style=\"filled,dashed\", fillcolor=\"" COLOR_DOWN_FILL
                "\", fontcolor=\"" COLOR_DOWN_TEXT "\"";
    } else if (c->idle) {
        g_string_append(label, "\nIDLE: no partition");
        style = "style=\"filled,dashed\", fillcolor=white";
    } else if (owned->len == 0) {
        /* Not in a completed generation yet (joining, or no coordinator). */
        g_string_append(label, "\nno assignment yet");
    }
    g_string_append(out, "    ");
    append_quoted(out, id);
    g_string_append(out, " [shape=ellipse, color=\"" COLOR_GROUP "\", label=");
    append_quoted(out, label->str);
    g_string_append_printf(out, ", %s];\n", style);
    for (guint k = 0; k < owned->len; k++) {
        const KsGroupOffsetInfo *o = &g_array_index(owned, KsGroupOffsetInfo, k);
        if (internal_topic(o->topic))
            continue;
        g_autofree char *part = partition_id_text(o->topic, o->partition);
        write_edge(edges, id, part, "color=\"" COLOR_GROUP "\", arrowhead=vee");
    }
}

/* One cluster per group, by name: the group (state, generation,
 * coordinator) and its consumers, in the order they were declared or
 * started. */
static void write_groups(GString *out, const KsSim *sim, GString *edges)
{
    for (size_t g = 0; g < ks_query_n_groups(sim); g++) {
        KsGroupInfo gi;
        ks_query_group(sim, g, &gi);
        g_autofree char *cluster = g_strdup_printf("cluster_group_%s", gi.name);
        g_autofree char *id = g_strdup_printf("group %s", gi.name);
        g_autoptr(GString) label = g_string_new(NULL);
        g_string_append_printf(label, "group %s\n%s, generation %" PRId32, gi.name, gi.state,
                               gi.generation);
        if (gi.coordinator == KS_NO_BROKER)
            g_string_append(label, "\nno coordinator available");
        g_string_append(out, "  subgraph ");
        append_quoted(out, cluster);
        g_string_append(out, " {\n    label=\"\";\n    style=rounded;\n    color=\"" COLOR_GROUP
                             "\";\n    ");
        append_quoted(out, id);
        g_string_append(out, " [shape=folder, color=\"" COLOR_GROUP "\", label=");
        append_quoted(out, label->str);
        g_string_append(out, "];\n");
        for (size_t c = 0; c < ks_query_n_consumers(sim); c++) {
            KsConsumerInfo ci;
            ks_query_consumer(sim, c, &ci);
            if (strcmp(ci.group, gi.name) == 0)
                write_consumer(out, sim, g, &ci, edges);
        }
        g_string_append(out, "  }\n");
        if (gi.coordinator != KS_NO_BROKER) {
            g_autofree char *broker = broker_id_text(gi.coordinator);
            g_autofree char *attrs =
                g_strdup_printf("style=dotted, color=\"" COLOR_GROUP "\", fontcolor=\"" COLOR_GROUP
                                "\", label=\"coordinator\\n(__consumer_offsets-%" PRId32 ")\"",
                                gi.offsets_partition);
            write_edge(edges, id, broker, attrs);
        }
    }
}

/* ---- the summary, above KS_DOT_DETAIL_MAX_BROKERS brokers ---- */

/* Brokers per table: tables stand side by side, so a few hundred brokers
 * make a wide picture rather than one endless column. */
enum { SUMMARY_ROWS = 25 };

/* Appends @text to an HTML-like label, escaped. */
static void append_cell(GString *out, const char *bgcolor, const char *text)
{
    g_autofree char *escaped = g_markup_escape_text(text, -1);
    if (bgcolor)
        g_string_append_printf(out, "<td bgcolor=\"%s\">%s</td>", bgcolor, escaped);
    else
        g_string_append_printf(out, "<td>%s</td>", escaped);
}

/* Opens a plaintext node @id holding a table whose header row is the
 * @n @columns. */
static void open_table(GString *out, const char *id, const char *const *columns, size_t n)
{
    g_string_append(out, "  ");
    append_quoted(out, id);
    g_string_append(out, " [shape=plaintext, label=<<table border=\"0\" cellborder=\"1\" "
                         "cellspacing=\"0\" cellpadding=\"3\">\n    <tr>");
    for (size_t i = 0; i < n; i++)
        g_string_append_printf(out, "<td><b>%s</b></td>", columns[i]);
    g_string_append(out, "</tr>\n");
}

static void close_table(GString *out)
{
    g_string_append(out, "  </table>>];\n");
}

/* One row of the brokers table. */
static void write_broker_row(GString *out, const KsSim *sim, const KsBrokerInfo *b,
                             const BrokerLoad *load)
{
    KsNodeInfo node = {.name = b->node};
    for (size_t n = 0; n < ks_query_n_nodes(sim); n++) {
        ks_query_node(sim, n, &node);
        if (strcmp(node.name, b->node) == 0)
            break;
    }
    bool controller = ks_query_controller(sim) == b->id;
    const char *bg = !b->alive ? COLOR_DOWN_FILL : controller ? "#fff2cc" : NULL;
    g_autofree char *id = g_strdup_printf("%" PRId32, b->id);
    g_autofree char *machine =
        node.zone ? g_strdup_printf("%s (%s)", node.name, node.zone) : g_strdup(node.name);
    g_autofree char *leads = g_strdup_printf("%" PRId64, load->leads);
    g_autofree char *follows = g_strdup_printf("%" PRId64, load->follows);
    g_autofree char *records = g_strdup_printf("%" PRId64, load->records);
    const char *state = !b->alive    ? (b->registered ? "down (session open)" : "down")
                        : controller ? "CONTROLLER"
                                     : "up";
    g_string_append(out, "    <tr>");
    const char *cells[] = {id, machine, b->rack ? b->rack : "-", state, leads, follows, records};
    for (size_t i = 0; i < G_N_ELEMENTS(cells); i++)
        append_cell(out, bg, cells[i]);
    g_string_append(out, "</tr>\n");
}

/* The brokers as tables of SUMMARY_ROWS rows, by id, and the groups as one
 * table, by name. */
static void write_summary(GString *out, const KsSim *sim, const BrokerLoad *loads)
{
    static const char *const broker_columns[] = {"broker", "machine", "rack",   "state",
                                                 "leads",  "follows", "records"};
    size_t n = ks_query_n_brokers(sim);
    for (size_t b = 0; b < n; b++) {
        if (b % SUMMARY_ROWS == 0) {
            g_autofree char *id = g_strdup_printf("brokers %zu", b / SUMMARY_ROWS + 1);
            open_table(out, id, broker_columns, G_N_ELEMENTS(broker_columns));
        }
        KsBrokerInfo bi;
        ks_query_broker(sim, b, &bi);
        write_broker_row(out, sim, &bi, &loads[b]);
        if (b % SUMMARY_ROWS == SUMMARY_ROWS - 1 || b == n - 1)
            close_table(out);
    }
    if (ks_query_n_groups(sim) == 0)
        return;
    static const char *const group_columns[] = {"group", "state", "generation", "coordinator",
                                                "members"};
    open_table(out, "groups", group_columns, G_N_ELEMENTS(group_columns));
    for (size_t g = 0; g < ks_query_n_groups(sim); g++) {
        KsGroupInfo gi;
        ks_query_group(sim, g, &gi);
        g_autofree char *generation = g_strdup_printf("%" PRId32, gi.generation);
        g_autofree char *coordinator = gi.coordinator == KS_NO_BROKER
                                           ? g_strdup("none")
                                           : g_strdup_printf("broker %" PRId32, gi.coordinator);
        g_autofree char *members = g_strdup_printf("%zu", gi.n_members);
        const char *cells[] = {gi.name, gi.state, generation, coordinator, members};
        g_string_append(out, "    <tr>");
        for (size_t i = 0; i < G_N_ELEMENTS(cells); i++)
            append_cell(out, NULL, cells[i]);
        g_string_append(out, "</tr>\n");
    }
    close_table(out);
}

/* The graph's title: @title, the time, the controller, and in the summary
 * what it counts. */
static char *graph_label(const KsSim *sim, const char *title, bool summary)
{
    g_autofree char *now = ks_format_time(ks_sim_now(sim));
    GString *label = g_string_new(NULL);
    if (title)
        g_string_append_printf(label, "%s at %s", title, now);
    else
        g_string_append_printf(label, "at %s", now);
    KsBrokerId controller = ks_query_controller(sim);
    if (controller == KS_NO_BROKER)
        g_string_append(label, "\nno controller");
    else
        g_string_append_printf(label, "\ncontroller: broker %" PRId32 " (epoch %" PRId32 ")",
                               controller, ks_query_controller_epoch(sim));
    int64_t partitions = 0, offline = 0, down = 0, under = 0;
    for (size_t t = 0; t < ks_query_n_topics(sim); t++) {
        KsTopicInfo ti;
        ks_query_topic(sim, t, &ti);
        if (internal_topic(ti.name))
            continue;
        for (int32_t p = 0; p < ti.n_partitions; p++) {
            KsPartitionInfo part;
            ks_query_partition(sim, t, p, &part);
            partitions++;
            offline += part.leader == KS_NO_BROKER;
            down += leader_down(sim, &part);
            under += part.leader != KS_NO_BROKER && (int32_t)part.n_isr < part.n_replicas;
        }
    }
    g_string_append_printf(label,
                           "\n%" PRId64 " partitions: %" PRId64 " offline, %" PRId64
                           " with their leader down, %" PRId64 " under-replicated",
                           partitions, offline, down, under);
    if (summary)
        g_string_append_printf(label,
                               "\nsummary of %zu brokers (partitions are drawn up to %d brokers): "
                               "the partitions each leads and follows, the records it stores",
                               ks_query_n_brokers(sim), KS_DOT_DETAIL_MAX_BROKERS);
    return g_string_free(label, FALSE);
}

char *ks_dot_topology(const KsSim *sim, const char *title)
{
    g_return_val_if_fail(sim != NULL, NULL);
    bool summary = ks_query_n_brokers(sim) > KS_DOT_DETAIL_MAX_BROKERS;
    g_autofree BrokerLoad *loads = broker_loads(sim);
    g_autofree char *label = graph_label(sim, title, summary);
    GString *out = g_string_new("digraph kafkasim {\n  graph [label=");
    append_quoted(out, label);
    /* Detail flows left to right (consumers, partitions, brokers); the
     * summary's tables stand side by side. */
    g_string_append_printf(out,
                           ", labelloc=t, fontname=\"Helvetica\", rankdir=%s, newrank=true, "
                           "nodesep=0.25, ranksep=1.0];\n"
                           "  node [fontname=\"Helvetica\", fontsize=11];\n"
                           "  edge [fontname=\"Helvetica\", fontsize=9];\n",
                           summary ? "TB" : "LR");
    g_autoptr(GString) edges = g_string_new(NULL);
    if (summary) {
        write_summary(out, sim, loads);
    } else {
        write_groups(out, sim, edges);
        write_topics(out, sim, edges);
        write_nodes(out, sim, loads);
    }
    g_string_append(out, edges->str);
    g_string_append(out, "}\n");
    return g_string_free(out, FALSE);
}

bool ks_dot_can_render(void)
{
    return KS_HAVE_GRAPHVIZ;
}

#if KS_HAVE_GRAPHVIZ
bool ks_dot_to_svg(const char *dot, char **out_svg, GError **error)
{
    g_return_val_if_fail(dot != NULL && out_svg != NULL, false);
    /* Graphviz reports on stderr unless told otherwise; library code never
     * prints, so its messages are kept for the error instead. */
    agseterr(AGMAX);
    agreseterrors();
    /* Only the linked-in plugins, not those Graphviz's configuration lists:
     * without its Pango plugin the text is measured with Graphviz's own
     * font metrics rather than the fonts a machine has, so the SVG is the
     * same bytes on every machine (and the Pango plugin of Graphviz 2.42
     * reads a font name freed with the previous context). */
    const lt_symlist_t builtins[] = {
        {"gvplugin_dot_layout_LTX_library", &gvplugin_dot_layout_LTX_library},
        {"gvplugin_core_LTX_library", &gvplugin_core_LTX_library},
        {NULL, NULL},
    };
    GVC_t *gvc = gvContextPlugins(builtins, 0);
    Agraph_t *g = ks_dot_read(dot);
    bool ok = false;
    if (g && gvLayout(gvc, g, "dot") == 0) {
        char *data = NULL;
        unsigned int len = 0;
        if (gvRenderData(gvc, g, "svg", &data, &len) == 0 && data) {
            *out_svg = g_strndup(data, len);
            ok = true;
        }
        gvFreeRenderData(data);
        gvFreeLayout(gvc, g);
    }
    if (!ok) {
        /* The last message Graphviz kept (malloc'd by it, or NULL). */
        char *why = aglasterr();
        g_set_error(error, KS_DOT_ERROR, KS_DOT_ERROR_RENDER,
                    "Graphviz cannot draw the diagram: %s",
                    why && *g_strstrip(why) ? why : "no message");
        free(why);
    }
    if (g)
        agclose(g);
    gvFreeContext(gvc);
    return ok;
}
#else
bool ks_dot_to_svg(const char *dot, char **out_svg, GError **error)
{
    g_return_val_if_fail(dot != NULL && out_svg != NULL, false);
    g_set_error_literal(error, KS_DOT_ERROR, KS_DOT_ERROR_NO_GRAPHVIZ,
                        "SVG needs Graphviz's library, which this kafkasim was built without: "
                        "run `apt-get install libgraphviz-dev`, then rebuild (meson setup "
                        "--reconfigure build && ninja -C build)");
    return false;
}
#endif
