/* SPDX-License-Identifier: MIT */
/*
 * output-html.c - the HTML report (report.h): the run as data embedded in
 * one page whose script draws it (sim/report/).
 *
 * What the page needs is recorded as the run goes, as JSON (json-glib):
 *
 *  - frames: the cluster after every event that changes it (as the
 *    diagram sees it, and truncations) and at every sampling instant
 *    (sampler.h): brokers and the controller, each shown partition's
 *    leader, epoch, ISR and replicas with their logs (log start, HW, LEO,
 *    the leader-epoch cache: the coloured ranges of the bars);
 *  - group frames: each group's state, lag and members with their
 *    partitions (at most MAX_MEMBER_PARTITIONS listed), at group events and
 *    sampling instants (a group's offsets cost a pass over its partitions); Frames at the same
 * instant replace each other, so a moment shows the state after everything that happened at it. At
 *    most MAX_PARTITIONS partitions are shown, internal topics
 *    (__consumer_offsets) left out: a classroom report is read, not
 *    searched.
 *  - lines: what the timeline prints, each with its event's time: the
 *    report runs a timeline view of its own (output.h), so the page says
 *    exactly what the terminal says;
 *  - says, truncations (the offsets a follower cut, for the bars), the
 *    expectation verdicts (read at the end: each has its time);
 *  - diagrams (dot.h): the topology as DOT text at every event that changes
 *    it (leadership, ISR, liveness, membership) and at snapshots, the last
 *    of each instant, consecutive identical ones once; rendered as SVG at
 *    the end. Frames point to the diagram of their moment. Graphviz not
 *    built in, the page says so in one line instead. Above
 *    MAX_PARTITIONS_DIAGRAM_PER_CHANGE partitions (where a change can come
 *    in thousands at one instant) only at snapshots and sampling instants.
 *  - series for the charts, at the sampling instants: records acknowledged
 *    and consumed per second, unavailable partitions (no leader, or a
 *    leader whose process is gone: the summary's unavailable time),
 *    under-replicated partitions, each group's lag.
 *
 * The page is sim/report/report.html with its style, its script and the
 * data put in place of three markers; the three files are compiled in as a
 * GResource. The data is JSON inside a <script type="application/json">;
 * every '<' in it is written \u003c, so no text of the run (a say, a
 * name) can close that element. The page's Content-Security-Policy allows
 * nothing from outside: it works offline and in a projector's browser.
 *
 * Cost: a frame is one pass over the shown partitions' replicas (at most
 * MAX_PARTITIONS of them) and the groups, taken at every event.
 */
#include "kafkasim/report.h"

#include <string.h>

#include <gio/gio.h>
#include <json-glib/json-glib.h>

#include "kafkasim/dot.h"
#include "kafkasim/output.h"
#include "kafkasim/query-groups.h"
#include "kafkasim/query.h"
#include "kafkasim/sampler.h"
#include "kafkasim/sim.h"
#include "ks-report-resources.h"

/* Partitions whose logs and states the page shows. */
#define MAX_PARTITIONS 60
/* Partitions listed per group member (a count says how many in all). */
#define MAX_MEMBER_PARTITIONS 24
/* Samples over the run, at most (the interval is rounded up to 1-2-5). */
#define MAX_SAMPLES 300
/* Above this many partitions diagrams are drawn at snapshots and sampling
 * instants only, not at every change. */
#define MAX_PARTITIONS_DIAGRAM_PER_CHANGE 500

#define RESOURCE_PATH "/org/kafkasim/report/"

typedef struct {
    size_t topic;
    int32_t partition;
} Shown;

struct KsReport {
    KsSim *sim;
    KsTimeline *tl;           /* the report's own timeline: its lines */
    KsTime event_t;           /* time of the event the timeline is writing */
    JsonArray *summary_lines; /* the timeline's end summary; NULL while the run goes */
    bool started;             /* the shown partitions are chosen */
    GArray *shown;            /* of Shown */
    int64_t n_partitions;     /* partitions of non-internal topics */
    JsonArray *frames, *lines, *says, *truncations;
    KsTime last_frame_t;
    JsonArray *group_frames; /* {t, g}: every group, at group events and samples */
    KsTime last_groups_t;
    /* Diagrams: DOT texts, rendered as SVG at the end. */
    GPtrArray *dots;       /* of char *, owned */
    KsTime last_dot_t;     /* when the last one was drawn */
    bool topology_changed; /* since the last one */
    /* Series. */
    JsonArray *s_t, *s_produce, *s_consume, *s_unavailable, *s_under;
    JsonObject *s_lag; /* group name -> array, padded with 0 before it existed */
    bool sampled;
    KsTime last_sample_t;
    int64_t last_acked, last_consumed;
};

/* Appends the timeline's @line: to the lines, or after the run to the
 * summary. */
static void capture_line(const char *line, void *ctx)
{
    KsReport *r = ctx;
    if (r->summary_lines) {
        json_array_add_string_element(r->summary_lines, line);
        return;
    }
    JsonObject *o = json_object_new();
    json_object_set_int_member(o, "t", r->event_t);
    json_object_set_string_member(o, "text", line);
    json_array_add_object_element(r->lines, o);
}

KsReport *ks_report_new(KsSim *sim)
{
    g_return_val_if_fail(sim != NULL, NULL);
    KsReport *r = g_new0(KsReport, 1);
    r->sim = sim;
    r->tl = ks_timeline_new(sim, false, capture_line, r);
    r->shown = g_array_new(FALSE, FALSE, sizeof(Shown));
    r->frames = json_array_new();
    r->lines = json_array_new();
    r->says = json_array_new();
    r->truncations = json_array_new();
    r->s_t = json_array_new();
    r->s_produce = json_array_new();
    r->s_consume = json_array_new();
    r->s_unavailable = json_array_new();
    r->s_under = json_array_new();
    r->s_lag = json_object_new();
    r->last_frame_t = -1;
    r->group_frames = json_array_new();
    r->last_groups_t = -1;
    r->dots = g_ptr_array_new_with_free_func(g_free);
    r->last_dot_t = -1;
    r->topology_changed = true;
    return r;
}

void ks_report_free(KsReport *r)
{
    if (!r)
        return;
    ks_timeline_free(r->tl);
    g_array_unref(r->shown);
    g_ptr_array_unref(r->dots);
    g_clear_pointer(&r->summary_lines, json_array_unref);
    JsonArray *arrays[] = {r->frames,        r->group_frames, r->lines,     r->says,
                           r->truncations,   r->s_t,          r->s_produce, r->s_consume,
                           r->s_unavailable, r->s_under};
    for (size_t i = 0; i < G_N_ELEMENTS(arrays); i++)
        json_array_unref(arrays[i]);
    json_object_unref(r->s_lag);
    g_free(r);
}

KsTime ks_report_interval(const KsReport *r)
{
    static const int64_t steps[] = {1, 2, 5};
    KsTime end = ks_sim_end(r->sim);
    for (KsTime scale = KS_TIME_S;; scale *= 10)
        for (size_t i = 0; i < G_N_ELEMENTS(steps); i++)
            if (end / (steps[i] * scale) <= MAX_SAMPLES)
                return steps[i] * scale;
}

/* Chooses the shown partitions: topics by name, internal ones left out. */
static void choose_partitions(KsReport *r)
{
    r->started = true;
    g_autoptr(GArray) order = ks_query_topics_by_name(r->sim);
    for (guint i = 0; i < order->len; i++) {
        KsTopicInfo t;
        ks_query_topic(r->sim, g_array_index(order, size_t, i), &t);
        if (g_str_has_prefix(t.name, "__"))
            continue;
        r->n_partitions += t.n_partitions;
        for (int32_t p = 0; p < t.n_partitions && r->shown->len < MAX_PARTITIONS; p++)
            g_array_append_val(r->shown, ((Shown){t.index, p}));
    }
}

static JsonArray *ids_array(const KsBrokerId *ids, size_t n)
{
    JsonArray *a = json_array_sized_new((guint)n);
    for (size_t i = 0; i < n; i++)
        json_array_add_int_element(a, ids[i]);
    return a;
}

static JsonObject *replica_object(const KsSim *sim, const Shown *s, int32_t replica)
{
    KsReplicaInfo rep;
    ks_query_replica(sim, s->topic, s->partition, replica, &rep);
    JsonObject *o = json_object_new();
    json_object_set_int_member(o, "b", rep.broker);
    json_object_set_boolean_member(o, "up", rep.alive);
    json_object_set_int_member(o, "ls", rep.log_start_offset);
    json_object_set_int_member(o, "hw", rep.high_watermark);
    json_object_set_int_member(o, "leo", rep.log_end_offset);
    g_autoptr(GArray) epochs = ks_query_replica_epochs(sim, s->topic, s->partition, replica);
    JsonArray *ep = json_array_sized_new(epochs->len);
    for (guint i = 0; i < epochs->len; i++) {
        const KsEpochStart *e = &g_array_index(epochs, KsEpochStart, i);
        JsonArray *pair = json_array_sized_new(2);
        json_array_add_int_element(pair, e->epoch);
        json_array_add_int_element(pair, e->start_offset);
        json_array_add_array_element(ep, pair);
    }
    json_object_set_array_member(o, "ep", ep);
    return o;
}

static JsonArray *partitions_array(const KsReport *r)
{
    JsonArray *a = json_array_sized_new(r->shown->len);
    for (guint i = 0; i < r->shown->len; i++) {
        const Shown *s = &g_array_index(r->shown, Shown, i);
        KsPartitionInfo part;
        ks_query_partition(r->sim, s->topic, s->partition, &part);
        JsonObject *o = json_object_new();
        json_object_set_int_member(o, "leader", part.leader);
        json_object_set_int_member(o, "epoch", part.leader_epoch);
        json_object_set_int_member(o, "hw", part.high_watermark);
        json_object_set_array_member(o, "isr", ids_array(part.isr, part.n_isr));
        JsonArray *reps = json_array_sized_new((guint)part.n_replicas);
        for (int32_t k = 0; k < part.n_replicas; k++)
            json_array_add_object_element(reps, replica_object(r->sim, s, k));
        json_object_set_array_member(o, "r", reps);
        json_array_add_object_element(a, o);
    }
    return a;
}

static JsonObject *timed(KsTime t)
{
    JsonObject *o = json_object_new();
    json_object_set_int_member(o, "t", t);
    return o;
}

/* A group's lag as the summary sums it: the known lags. */
static int64_t group_lag(const GArray *offsets)
{
    int64_t lag = 0;
    for (guint i = 0; i < offsets->len; i++)
        lag += MAX(g_array_index(offsets, KsGroupOffsetInfo, i).lag, 0);
    return lag;
}

static void add_lag(KsReport *r, const char *name, int64_t value);

/* Every group now, as the groups frame of instant @t (replacing one of the
 * same instant); with @series, each group's lag is a sample of its chart
 * too. A group's offsets cost one pass over its partitions, so groups are
 * recorded at group events and samples, not with every frame. */
static void capture_groups(KsReport *r, KsTime t, bool series)
{
    const KsSim *sim = r->sim;
    JsonArray *a = json_array_new();
    for (size_t g = 0; g < ks_query_n_groups(sim); g++) {
        KsGroupInfo info;
        ks_query_group(sim, g, &info);
        g_autoptr(GArray) offsets = ks_query_group_offsets(sim, g);
        g_autoptr(GArray) members = ks_query_group_members(sim, g);
        int64_t lag = group_lag(offsets);
        if (series)
            add_lag(r, info.name, lag);
        JsonObject *o = json_object_new();
        json_object_set_string_member(o, "name", info.name);
        json_object_set_string_member(o, "state", info.state);
        json_object_set_int_member(o, "gen", info.generation);
        json_object_set_int_member(o, "lag", lag);
        JsonArray *ms = json_array_new();
        for (guint i = 0; i < members->len; i++) {
            const KsMemberInfo *m = &g_array_index(members, KsMemberInfo, i);
            g_autoptr(GArray) parts = ks_query_member_assignment(sim, g, m->id);
            JsonObject *mo = json_object_new();
            json_object_set_string_member(mo, "id", m->id);
            JsonArray *pa = json_array_new();
            for (guint k = 0; k < MIN(parts->len, MAX_MEMBER_PARTITIONS); k++) {
                const KsGroupOffsetInfo *p = &g_array_index(parts, KsGroupOffsetInfo, k);
                g_autofree char *name = g_strdup_printf("%s-%d", p->topic, p->partition);
                json_array_add_string_element(pa, name);
            }
            json_object_set_array_member(mo, "parts", pa);
            json_object_set_int_member(mo, "n", parts->len);
            json_array_add_object_element(ms, mo);
        }
        json_object_set_array_member(o, "members", ms);
        json_array_add_object_element(a, o);
    }
    JsonObject *f = timed(t);
    json_object_set_array_member(f, "g", a);
    if (r->last_groups_t == t)
        json_array_remove_element(r->group_frames, json_array_get_length(r->group_frames) - 1);
    json_array_add_object_element(r->group_frames, f);
    r->last_groups_t = t;
}

/* Records the cluster now as the frame of instant @t, replacing a frame of
 * the same instant. */
static void capture_frame(KsReport *r, KsTime t)
{
    if (!r->started)
        choose_partitions(r);
    JsonObject *f = json_object_new();
    json_object_set_int_member(f, "t", t);
    json_object_set_int_member(f, "controller", ks_query_controller(r->sim));
    JsonArray *brokers = json_array_new();
    for (size_t i = 0; i < ks_query_n_brokers(r->sim); i++) {
        KsBrokerInfo b;
        ks_query_broker(r->sim, i, &b);
        JsonObject *bo = json_object_new();
        json_object_set_int_member(bo, "id", b.id);
        json_object_set_boolean_member(bo, "alive", b.alive);
        json_array_add_object_element(brokers, bo);
    }
    json_object_set_array_member(f, "brokers", brokers);
    json_object_set_array_member(f, "p", partitions_array(r));
    json_object_set_int_member(f, "d", (int64_t)r->dots->len - 1);
    if (r->last_frame_t == t)
        json_array_remove_element(r->frames, json_array_get_length(r->frames) - 1);
    json_array_add_object_element(r->frames, f);
    r->last_frame_t = t;
}

/* Whether events of @type change what the diagram shows: leadership,
 * ISRs, brokers' liveness, group membership and assignments; snapshots
 * always get a diagram. */
static bool changes_topology(KsEventType type)
{
    switch (type) {
    case KS_EV_SAY:
    case KS_EV_DESCRIBE_GROUPS:
    case KS_EV_EXPECT:
    case KS_EV_NOTE:
    case KS_EV_PREFERRED_ELECTION:
    case KS_EV_TRUNCATED:
    case KS_EV_PRODUCER_STARTED:
    case KS_EV_PRODUCER_STOPPED:
    case KS_EV_PRODUCE:
    case KS_EV_PRODUCE_FAILING:
    case KS_EV_PRODUCE_RECOVERED:
    case KS_EV_RECORDS_EXPIRED:
    case KS_EV_OFFSETS_COMMITTED:
    case KS_EV_RECORDS_REDELIVERED:
    case KS_EV_RECORDS_SKIPPED:
    case KS_EV_OFFSET_RESET:
        return false;
    default:
        return true;
    }
}

/* Whether events of @type change what the groups panel shows: members,
 * their states and assignments. */
static bool changes_groups(KsEventType type)
{
    switch (type) {
    case KS_EV_CONSUMER_STARTED:
    case KS_EV_CONSUMER_STOPPED:
    case KS_EV_CONSUMER_CRASHED:
    case KS_EV_CONSUMER_FAILED:
    case KS_EV_GROUP_REBALANCING:
    case KS_EV_GROUP_GENERATION:
    case KS_EV_MEMBER_REMOVED:
    case KS_EV_PARTITIONS_ASSIGNED:
    case KS_EV_PARTITIONS_REVOKED:
    case KS_EV_GROUP_LOADED:
    case KS_EV_GROUP_UNLOADED:
    case KS_EV_GROUP_DELETE:
    case KS_EV_OFFSETS_EXPIRED:
        return true;
    default:
        return false;
    }
}

/* Draws the diagram of the cluster now, the last of instant @t: one drawn
 * earlier at @t is replaced, one identical to the last is not kept twice. */
static void draw(KsReport *r, KsTime t)
{
    if (!r->started)
        choose_partitions(r);
    char *dot = ks_dot_topology(r->sim, NULL);
    r->topology_changed = false;
    if (r->dots->len > 0 && r->last_dot_t == t)
        g_ptr_array_remove_index(r->dots, r->dots->len - 1);
    if (r->dots->len > 0 && strcmp(g_ptr_array_index(r->dots, r->dots->len - 1), dot) == 0)
        g_free(dot);
    else
        g_ptr_array_add(r->dots, dot);
    r->last_dot_t = t;
}

void ks_report_sink(const KsEvent *event, void *report)
{
    KsReport *r = report;
    r->event_t = event->t;
    ks_timeline_sink(event, r->tl);
    if (event->type == KS_EV_SAY) {
        JsonObject *o = timed(event->t);
        json_object_set_string_member(o, "text", event->say.text);
        json_array_add_object_element(r->says, o);
    } else if (event->type == KS_EV_TRUNCATED) {
        JsonObject *o = timed(event->t);
        g_autofree char *name =
            g_strdup_printf("%s-%d", event->truncated.topic, (int)event->truncated.partition);
        json_object_set_string_member(o, "p", name);
        json_object_set_int_member(o, "b", event->truncated.broker);
        json_object_set_int_member(o, "from", event->truncated.from_offset);
        json_object_set_int_member(o, "to", event->truncated.to_offset);
        json_array_add_object_element(r->truncations, o);
    }
    if (changes_topology(event->type)) {
        r->topology_changed = true;
        if (event->type == KS_EV_SNAPSHOT || r->n_partitions <= MAX_PARTITIONS_DIAGRAM_PER_CHANGE)
            draw(r, event->t);
    }
    /* Other events change nothing a frame shows (or, for a truncation, only
     * logs): the frame before them still holds. */
    if (changes_topology(event->type) || event->type == KS_EV_TRUNCATED)
        capture_frame(r, event->t);
    if (changes_groups(event->type))
        capture_groups(r, event->t, false);
}

/* Appends @value to the series @name of group lags, first padding it with
 * zeros for the samples before the group existed. */
static void add_lag(KsReport *r, const char *name, int64_t value)
{
    JsonArray *a = json_object_has_member(r->s_lag, name)
                       ? json_object_get_array_member(r->s_lag, name)
                       : NULL;
    if (!a) {
        a = json_array_new();
        for (guint i = 0; i + 1 < json_array_get_length(r->s_t); i++)
            json_array_add_int_element(a, 0);
        json_object_set_array_member(r->s_lag, name, a);
    }
    json_array_add_int_element(a, value);
}

void ks_report_sample(KsSim *sim, void *report)
{
    KsReport *r = report;
    KsTime now = ks_sim_now(sim);
    if (r->topology_changed)
        draw(r, now);
    capture_frame(r, now);
    KsSimStats st;
    ks_sim_get_stats(sim, &st);
    KsTime span = r->sampled ? now - r->last_sample_t : 0;
    KsPartitionCounts counts;
    ks_sampler_count_partitions(sim, &counts);
    json_array_add_int_element(r->s_t, now);
    json_array_add_double_element(
        r->s_produce, ks_sampler_rate(r->sampled ? st.records_acked - r->last_acked : 0, span));
    json_array_add_double_element(
        r->s_consume,
        ks_sampler_rate(r->sampled ? st.records_consumed - r->last_consumed : 0, span));
    json_array_add_int_element(r->s_unavailable, counts.unavailable);
    json_array_add_int_element(r->s_under, counts.under_replicated);
    capture_groups(r, now, true);
    r->sampled = true;
    r->last_sample_t = now;
    r->last_acked = st.records_acked;
    r->last_consumed = st.records_consumed;
}

static JsonArray *expects_array(const KsSim *sim)
{
    const GPtrArray *results = ks_sim_expect_results(sim);
    JsonArray *a = json_array_new();
    for (guint i = 0; i < results->len; i++) {
        const KsExpectResult *e = g_ptr_array_index(results, i);
        JsonObject *o = timed(e->t);
        json_object_set_int_member(o, "line", e->line);
        json_object_set_string_member(o, "text", e->text);
        json_object_set_boolean_member(o, "held", e->held);
        json_object_set_string_member(o, "actual", e->actual ? e->actual : "");
        json_array_add_object_element(a, o);
    }
    return a;
}

/* The diagrams as SVG, each from its <svg> element on (no XML prolog: it
 * goes inside the page). If Graphviz cannot render (not built in), an
 * empty array and *@out_note saying why in one line. */
static JsonArray *render_diagrams(const KsReport *r, char **out_note)
{
    JsonArray *a = json_array_new();
    for (guint i = 0; i < r->dots->len; i++) {
        g_autofree char *svg = NULL;
        g_autoptr(GError) err = NULL;
        if (!ks_dot_to_svg(g_ptr_array_index(r->dots, i), &svg, &err)) {
            *out_note = g_strdup_printf("No topology diagram: %s", err->message);
            json_array_unref(a);
            return json_array_new();
        }
        const char *start = strstr(svg, "<svg");
        json_array_add_string_element(a, start ? start : svg);
    }
    return a;
}

/* The run as the page's JSON, every '<' escaped. */
static char *data_json(KsReport *r)
{
    const KsPlan *plan = ks_query_plan(r->sim);
    JsonObject *d = json_object_new();
    g_autofree char *title = g_path_get_basename(plan->file);
    json_object_set_string_member(d, "title", title);
    json_object_set_int_member(d, "seed", (int64_t)ks_query_seed(r->sim));
    json_object_set_int_member(d, "end_us", ks_sim_end(r->sim));
    json_object_set_int_member(d, "interval_us", ks_report_interval(r));
    JsonArray *names = json_array_new();
    for (guint i = 0; i < r->shown->len; i++) {
        const Shown *s = &g_array_index(r->shown, Shown, i);
        KsTopicInfo t;
        ks_query_topic(r->sim, s->topic, &t);
        g_autofree char *name = g_strdup_printf("%s-%d", t.name, s->partition);
        json_array_add_string_element(names, name);
    }
    json_object_set_array_member(d, "partitions", names);
    json_object_set_int_member(d, "partitions_total", r->n_partitions);
    json_object_set_array_member(d, "frames", json_array_ref(r->frames));
    json_object_set_array_member(d, "group_frames", json_array_ref(r->group_frames));
    json_object_set_array_member(d, "lines", json_array_ref(r->lines));
    json_object_set_array_member(d, "summary", json_array_ref(r->summary_lines));
    json_object_set_array_member(d, "says", json_array_ref(r->says));
    json_object_set_array_member(d, "truncations", json_array_ref(r->truncations));
    json_object_set_array_member(d, "expects", expects_array(r->sim));
    JsonObject *series = json_object_new();
    json_object_set_array_member(series, "t", json_array_ref(r->s_t));
    json_object_set_array_member(series, "produce", json_array_ref(r->s_produce));
    json_object_set_array_member(series, "consume", json_array_ref(r->s_consume));
    json_object_set_array_member(series, "unavailable", json_array_ref(r->s_unavailable));
    json_object_set_array_member(series, "under", json_array_ref(r->s_under));
    json_object_set_object_member(series, "lag", json_object_ref(r->s_lag));
    json_object_set_object_member(d, "series", series);
    g_autofree char *note = NULL;
    json_object_set_array_member(d, "diagrams", render_diagrams(r, &note));
    json_object_set_string_member(d, "diagram_note", note ? note : "");
    g_autoptr(JsonNode) node = json_node_init_object(json_node_alloc(), d);
    json_object_unref(d);
    g_autofree char *text = json_to_string(node, FALSE);
    g_autoptr(GString) out = g_string_new(text);
    g_string_replace(out, "<", "\\u003c", 0);
    return g_string_free(g_steal_pointer(&out), FALSE);
}

/* The compiled-in file @name, as a string. */
static char *resource_text(const char *name)
{
    g_autofree char *path = g_strconcat(RESOURCE_PATH, name, NULL);
    g_autoptr(GBytes) bytes =
        g_resource_lookup_data(ks_report_get_resource(), path, G_RESOURCE_LOOKUP_FLAGS_NONE, NULL);
    g_assert(bytes != NULL);
    gsize len = 0;
    const char *data = g_bytes_get_data(bytes, &len);
    return g_strndup(data, len);
}

/* Replaces the one @marker in @page by @text. */
static void put(GString *page, const char *marker, const char *text)
{
    const char *at = strstr(page->str, marker);
    g_assert(at != NULL);
    gssize pos = at - page->str;
    g_string_erase(page, pos, (gssize)strlen(marker));
    g_string_insert(page, pos, text);
}

char *ks_report_format(KsReport *r, bool checked_end)
{
    g_return_val_if_fail(r != NULL, NULL);
    if (!r->started)
        capture_frame(r, ks_sim_now(r->sim));
    g_clear_pointer(&r->summary_lines, json_array_unref);
    r->summary_lines = json_array_new();
    ks_timeline_write_summary(r->tl, checked_end);
    g_autofree char *html = resource_text("report.html");
    g_autofree char *css = resource_text("report.css");
    g_autofree char *js = resource_text("report.js");
    g_autofree char *data = data_json(r);
    g_autoptr(GString) page = g_string_new(html);
    put(page, "/*@KS_CSS@*/", css);
    put(page, "/*@KS_JS@*/", js);
    put(page, "/*@KS_DATA@*/", data);
    return g_string_free(g_steal_pointer(&page), FALSE);
}
