/* SPDX-License-Identifier: MIT */
/*
 * output-trace.c - the JSON-lines trace: one object per event, for programs.
 *
 * Every object starts with "t_us" (simulated microseconds) and "type" (see
 * ks_event_type_name()), followed by the fields that type carries, under
 * names that say what they are ("leader", "previous_leader", "isr"). Key
 * order is fixed (json-glib keeps insertion order), so the same run gives
 * the same bytes. The file is written as PATH.tmp and renamed at the end.
 */
#include "kafkasim/output.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>

#include <glib/gstdio.h>
#include <json-glib/json-glib.h>

#include "model.h"
#include "output-json.h"

struct KsTrace {
    KsSim *sim;
    char *path;
    char *tmp;
    FILE *f;
    JsonGenerator *gen;
    bool failed;
    bool borrowed; /* @f belongs to the caller (ks_trace_new_stream) */
};

KsTrace *ks_trace_open(KsSim *sim, const char *path, GError **error)
{
    g_autofree char *tmp = g_strconcat(path, ".tmp", NULL);
    FILE *f = g_fopen(tmp, "w");
    if (!f) {
        int e = errno;
        g_set_error(error, G_FILE_ERROR, g_file_error_from_errno(e),
                    "cannot write the trace to %s: %s", path, g_strerror(e));
        return NULL;
    }
    KsTrace *t = g_new0(KsTrace, 1);
    t->sim = sim;
    t->path = g_strdup(path);
    t->tmp = g_steal_pointer(&tmp);
    t->f = f;
    t->gen = json_generator_new();
    return t;
}

KsTrace *ks_trace_new_stream(KsSim *sim, FILE *f)
{
    KsTrace *t = g_new0(KsTrace, 1);
    t->sim = sim;
    t->f = f;
    t->borrowed = true;
    t->gen = json_generator_new();
    return t;
}

static void add_partition(JsonBuilder *b, const KsEvent *ev)
{
    ks_json_str(b, "topic", ev->topic);
    if (ev->partition >= 0)
        ks_json_int(b, "partition", ev->partition);
}

static void build(JsonBuilder *b, const KsEvent *ev, KsSim *sim)
{
    switch (ev->type) {
    case KS_EV_SAY:
        ks_json_str(b, "text", ev->text);
        break;
    case KS_EV_SNAPSHOT:
        ks_json_str(b, "name", ev->text);
        ks_json_topics(b, sim);
        break;
    case KS_EV_NOTE:
        ks_json_int(b, "line", ev->line);
        ks_json_str(b, "text", ev->text);
        break;
    case KS_EV_EXPECT:
        ks_json_int(b, "line", ev->line);
        ks_json_str(b, "condition", ev->text);
        ks_json_bool(b, "held", ev->held);
        ks_json_str(b, "actual", ev->text2);
        break;
    case KS_EV_BROKER_STARTED:
    case KS_EV_BROKER_CRASHED:
    case KS_EV_BROKER_RESTARTED:
    case KS_EV_SESSION_EXPIRED:
    case KS_EV_BROKER_REGISTERED:
        ks_json_broker(b, "broker", ev->broker);
        break;
    case KS_EV_BROKER_STOPPING:
        ks_json_broker(b, "broker", ev->broker);
        ks_json_int(b, "still_leads", ev->n);
        ks_json_int(b, "attempts_left", ev->n2);
        break;
    case KS_EV_BROKER_STOPPED:
    case KS_EV_SESSION_CLOSED:
        ks_json_broker(b, "broker", ev->broker);
        break;
    case KS_EV_BROKER_START_FAILED:
        ks_json_broker(b, "broker", ev->broker);
        ks_json_str(b, "error", "NodeExists");
        ks_json_int(b, "old_session_expires_us", ev->n);
        break;
    case KS_EV_NODE_CRASHED:
    case KS_EV_NODE_RESTARTED:
        ks_json_str(b, "node", ev->text);
        break;
    case KS_EV_CONTROLLER_ELECTED:
        ks_json_broker(b, "broker", ev->broker);
        ks_json_int(b, "controller_epoch", ev->epoch);
        break;
    case KS_EV_TOPIC_CREATED:
        ks_json_str(b, "topic", ev->topic);
        ks_json_int(b, "partitions", ev->n);
        ks_json_int(b, "replication_factor", ev->n2);
        break;
    case KS_EV_LEADER_ELECTED:
        add_partition(b, ev);
        ks_json_broker(b, "leader", ev->broker);
        ks_json_broker(b, "previous_leader", ev->broker2);
        ks_json_int(b, "leader_epoch", ev->epoch);
        ks_json_ids(b, "isr", ev->ids, ev->n_ids);
        ks_json_str(b, "reason", ks_reason_name(ev->reason));
        break;
    case KS_EV_ISR_SHRUNK:
    case KS_EV_ISR_EXPANDED:
        add_partition(b, ev);
        ks_json_broker(b, "broker", ev->broker);
        if (ev->type == KS_EV_ISR_SHRUNK)
            ks_json_int(b, "leader_epoch", ev->epoch);
        ks_json_ids(b, "isr", ev->ids, ev->n_ids);
        ks_json_str(b, "reason", ks_reason_name(ev->reason));
        break;
    case KS_EV_PREFERRED_ELECTION:
        ks_json_str(b, "topic", ev->topic);
        if (ev->partition >= 0)
            ks_json_int(b, "partition", ev->partition);
        ks_json_int(b, "moved", ev->n);
        ks_json_int(b, "asked", ev->n2);
        break;
    case KS_EV_TRUNCATED:
        add_partition(b, ev);
        ks_json_broker(b, "broker", ev->broker);
        ks_json_int(b, "from_offset", ev->n);
        ks_json_int(b, "to_offset", ev->n2);
        break;
    case KS_EV_PRODUCER_STARTED:
    case KS_EV_PRODUCER_STOPPED:
        ks_json_str(b, "producer", ev->text);
        ks_json_str(b, "topic", ev->topic);
        break;
    case KS_EV_PRODUCE:
        ks_json_str(b, "producer", ev->text);
        add_partition(b, ev);
        ks_json_int(b, "records", ev->n);
        ks_json_str(b, "key", ev->text2);
        break;
    case KS_EV_PRODUCE_FAILING:
        ks_json_str(b, "producer", ev->text);
        add_partition(b, ev);
        if (ev->partition < 0) {
            ks_json_broker(b, "broker", ev->broker);
            ks_json_str(b, "message", ev->text2);
        } else {
            ks_json_str(b, "error", ev->text2);
        }
        break;
    case KS_EV_PRODUCE_RECOVERED:
        ks_json_str(b, "producer", ev->text);
        add_partition(b, ev);
        ks_json_int(b, "records_given_up", ev->n);
        break;
    case KS_EV_RECORDS_EXPIRED:
        ks_json_str(b, "producer", ev->text);
        add_partition(b, ev);
        ks_json_int(b, "records", ev->n);
        ks_json_str(b, "reason", ev->text2);
        if (ev->n2 >= 0)
            ks_json_int(b, "delivery_timeout_ms", ev->n2);
        break;
    case KS_EV_COUNT:
        break;
    }
}

void ks_trace_sink(const KsEvent *ev, void *trace)
{
    KsTrace *t = trace;
    if (t->failed)
        return;
    g_autoptr(JsonBuilder) b = json_builder_new();
    json_builder_begin_object(b);
    ks_json_int(b, "t_us", ev->t);
    ks_json_str(b, "type", ks_event_type_name(ev->type));
    build(b, ev, t->sim);
    json_builder_end_object(b);
    g_autoptr(JsonNode) root = json_builder_get_root(b);
    json_generator_set_root(t->gen, root);
    gsize len = 0;
    g_autofree char *text = json_generator_to_data(t->gen, &len);
    if (fwrite(text, 1, len, t->f) != len || fputc('\n', t->f) == EOF)
        t->failed = true;
}

bool ks_trace_close(KsTrace *t, bool keep, GError **error)
{
    bool ok = !t->failed;
    if (t->borrowed) {
        if (fflush(t->f) != 0 || ferror(t->f))
            ok = false;
        if (!ok)
            g_set_error(error, G_FILE_ERROR, G_FILE_ERROR_IO, "cannot write the trace: %s",
                        g_strerror(errno));
        g_object_unref(t->gen);
        g_free(t);
        return ok;
    }
    if (fclose(t->f) != 0)
        ok = false;
    if (keep && ok && g_rename(t->tmp, t->path) != 0) {
        int e = errno;
        g_set_error(error, G_FILE_ERROR, g_file_error_from_errno(e), "cannot write %s: %s", t->path,
                    g_strerror(e));
        ok = false;
    } else if (keep && !ok) {
        g_set_error(error, G_FILE_ERROR, G_FILE_ERROR_IO, "cannot write %s: write failed", t->path);
    }
    if (!keep || !ok)
        g_unlink(t->tmp);
    g_object_unref(t->gen);
    g_free(t->path);
    g_free(t->tmp);
    g_free(t);
    return ok;
}
