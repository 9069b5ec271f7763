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

struct KsTrace {
    char *path;
    char *tmp;
    FILE *f;
    JsonGenerator *gen;
    bool failed;
};

KsTrace *ks_trace_open(const char *path, GError **error)
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
    t->path = g_strdup(path);
    t->tmp = g_steal_pointer(&tmp);
    t->f = f;
    t->gen = json_generator_new();
    return t;
}

static void add_int(JsonBuilder *b, const char *key, int64_t v)
{
    json_builder_set_member_name(b, key);
    json_builder_add_int_value(b, v);
}

static void add_str(JsonBuilder *b, const char *key, const char *v)
{
    json_builder_set_member_name(b, key);
    if (v)
        json_builder_add_string_value(b, v);
    else
        json_builder_add_null_value(b);
}

/* A broker id, or null for none. */
static void add_broker(JsonBuilder *b, const char *key, KsBrokerId id)
{
    json_builder_set_member_name(b, key);
    if (id == KS_NO_BROKER)
        json_builder_add_null_value(b);
    else
        json_builder_add_int_value(b, id);
}

static void add_ids(JsonBuilder *b, const char *key, const KsBrokerId *ids, size_t n)
{
    json_builder_set_member_name(b, key);
    json_builder_begin_array(b);
    for (size_t i = 0; i < n; i++)
        json_builder_add_int_value(b, ids[i]);
    json_builder_end_array(b);
}

static void add_partition(JsonBuilder *b, const KsEvent *ev)
{
    add_str(b, "topic", ev->topic);
    if (ev->partition >= 0)
        add_int(b, "partition", ev->partition);
}

static void build(JsonBuilder *b, const KsEvent *ev)
{
    switch (ev->type) {
    case KS_EV_SAY:
        add_str(b, "text", ev->text);
        break;
    case KS_EV_SNAPSHOT:
        add_str(b, "name", ev->text);
        break;
    case KS_EV_EXPECT:
        add_int(b, "line", ev->line);
        add_str(b, "condition", ev->text);
        json_builder_set_member_name(b, "held");
        json_builder_add_boolean_value(b, ev->held);
        add_str(b, "actual", ev->text2);
        break;
    case KS_EV_BROKER_STARTED:
    case KS_EV_BROKER_CRASHED:
    case KS_EV_BROKER_RESTARTED:
    case KS_EV_SESSION_EXPIRED:
    case KS_EV_BROKER_REGISTERED:
        add_broker(b, "broker", ev->broker);
        break;
    case KS_EV_BROKER_START_FAILED:
        add_broker(b, "broker", ev->broker);
        add_str(b, "error", "NodeExists");
        add_int(b, "old_session_expires_us", ev->n);
        break;
    case KS_EV_NODE_CRASHED:
    case KS_EV_NODE_RESTARTED:
        add_str(b, "node", ev->text);
        break;
    case KS_EV_CONTROLLER_ELECTED:
        add_broker(b, "broker", ev->broker);
        add_int(b, "controller_epoch", ev->epoch);
        break;
    case KS_EV_TOPIC_CREATED:
        add_str(b, "topic", ev->topic);
        add_int(b, "partitions", ev->n);
        add_int(b, "replication_factor", ev->n2);
        break;
    case KS_EV_LEADER_ELECTED:
        add_partition(b, ev);
        add_broker(b, "leader", ev->broker);
        add_broker(b, "previous_leader", ev->broker2);
        add_int(b, "leader_epoch", ev->epoch);
        add_ids(b, "isr", ev->ids, ev->n_ids);
        add_str(b, "reason", ev->text);
        break;
    case KS_EV_ISR_SHRUNK:
    case KS_EV_ISR_EXPANDED:
        add_partition(b, ev);
        add_broker(b, "broker", ev->broker);
        add_ids(b, "isr", ev->ids, ev->n_ids);
        if (ev->text)
            add_str(b, "reason", ev->text);
        break;
    case KS_EV_TRUNCATED:
        add_partition(b, ev);
        add_broker(b, "broker", ev->broker);
        add_int(b, "from_offset", ev->n);
        add_int(b, "to_offset", ev->n2);
        break;
    case KS_EV_PRODUCER_STARTED:
    case KS_EV_PRODUCER_STOPPED:
        add_str(b, "producer", ev->text);
        add_str(b, "topic", ev->topic);
        break;
    case KS_EV_PRODUCE:
        add_str(b, "producer", ev->text);
        add_partition(b, ev);
        add_int(b, "records", ev->n);
        add_str(b, "key", ev->text2);
        break;
    case KS_EV_PRODUCE_FAILING:
        add_str(b, "producer", ev->text);
        add_partition(b, ev);
        add_str(b, "error", ev->text2);
        break;
    case KS_EV_PRODUCE_RECOVERED:
        add_str(b, "producer", ev->text);
        add_partition(b, ev);
        add_int(b, "records_given_up", ev->n);
        break;
    case KS_EV_RECORDS_EXPIRED:
        add_str(b, "producer", ev->text);
        add_partition(b, ev);
        add_int(b, "records", ev->n);
        add_str(b, "reason", ev->text2);
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
    add_int(b, "t_us", ev->t);
    add_str(b, "type", ks_event_type_name(ev->type));
    build(b, ev);
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
