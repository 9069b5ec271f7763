/* SPDX-License-Identifier: MIT */
/*
 * output-trace.c - the JSON-lines trace: one object per event, for programs.
 *
 * Every object starts with "t_us" (simulated microseconds) and "type" (see
 * ks_event_type_name()), followed by the fields that type carries, under
 * names that say what they are ("leader", "previous_leader", "isr"). The
 * fields, their order and which are left out when unset all come from the
 * event table (event.h); nothing here knows one type from another, and
 * docs/trace.md lists them. Key order is fixed (json-glib keeps insertion order), so the same run
 * gives the same bytes. The file is written as PATH.tmp and renamed at the end.
 */
#include "kafkasim/output.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>

#include <glib/gstdio.h>
#include <json-glib/json-glib.h>

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

/* Writes @f's value in @base under its name. */
static void add_field(JsonBuilder *b, const void *base, const KsEventField *f)
{
    const void *v = ks_event_field_value(base, f);
    switch (f->kind) {
    case KS_EVENT_KIND_INT:
        ks_json_int(b, f->name, *(const KS_EVENT_CTYPE_INT *)v);
        break;
    case KS_EVENT_KIND_TIME:
        ks_json_int(b, f->name, *(const KS_EVENT_CTYPE_TIME *)v);
        break;
    case KS_EVENT_KIND_BOOL:
        ks_json_bool(b, f->name, *(const KS_EVENT_CTYPE_BOOL *)v);
        break;
    case KS_EVENT_KIND_BROKER:
        ks_json_broker(b, f->name, *(const KS_EVENT_CTYPE_BROKER *)v);
        break;
    case KS_EVENT_KIND_STRING:
        ks_json_str(b, f->name, *(KS_EVENT_CTYPE_STRING const *)v);
        break;
    case KS_EVENT_KIND_REASON:
        ks_json_str(b, f->name, ks_reason_name(*(const KS_EVENT_CTYPE_REASON *)v));
        break;
    case KS_EVENT_KIND_INT_LIST: {
        const KsIntList *l = v;
        ks_json_ids(b, f->name, l->items, l->len);
        break;
    }
    case KS_EVENT_KIND_STRING_LIST: {
        const KsStringList *l = v;
        json_builder_set_member_name(b, f->name);
        json_builder_begin_array(b);
        for (size_t i = 0; i < l->len; i++)
            json_builder_add_string_value(b, l->items[i]);
        json_builder_end_array(b);
        break;
    }
    case KS_EVENT_KIND_PARTITION_LIST: {
        const KsPartitionList *l = v;
        json_builder_set_member_name(b, f->name);
        json_builder_begin_array(b);
        for (size_t i = 0; i < l->len; i++) {
            json_builder_begin_object(b);
            ks_json_str(b, "topic", l->items[i].topic);
            ks_json_int(b, "partition", l->items[i].partition);
            json_builder_end_object(b);
        }
        json_builder_end_array(b);
        break;
    }
    case KS_EVENT_KIND_TOPICS:
        /* Written under "topics", the one name the table gives this kind. */
        ks_json_topics(b, *(KS_EVENT_CTYPE_TOPICS const *)v);
        break;
    }
}

/* Every one of @fields, in order, leaving out the unset ones flagged
 * KS_EVENT_FLAG_OMIT. */
static void add_fields(JsonBuilder *b, const void *base, const KsEventField *fields, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        const KsEventField *f = &fields[i];
        if (!((f->flags & KS_EVENT_FLAG_OMIT) && ks_event_field_unset(base, f)))
            add_field(b, base, f);
    }
}

/* @b's object as text, without a newline. */
static char *finish(JsonBuilder *b, JsonGenerator *gen, gsize *len)
{
    json_builder_end_object(b);
    g_autoptr(JsonNode) root = json_builder_get_root(b);
    json_generator_set_root(gen, root);
    return json_generator_to_data(gen, len);
}

char *ks_event_format_fields_json(const void *base, const KsEventField *fields, size_t n_fields)
{
    g_autoptr(JsonBuilder) b = json_builder_new();
    g_autoptr(JsonGenerator) gen = json_generator_new();
    json_builder_begin_object(b);
    add_fields(b, base, fields, n_fields);
    return finish(b, gen, NULL);
}

/* @ev as one JSON object, without a newline. */
static char *to_json(JsonGenerator *gen, const KsEvent *ev, gsize *len)
{
    const KsEventTypeInfo *info = ks_event_type_info(ev->type);
    g_autoptr(JsonBuilder) b = json_builder_new();
    json_builder_begin_object(b);
    ks_json_int(b, "t_us", ev->t);
    ks_json_str(b, "type", info->name);
    add_fields(b, ev, info->fields, info->n_fields);
    return finish(b, gen, len);
}

char *ks_event_format_json(const KsEvent *event)
{
    g_autoptr(JsonGenerator) gen = json_generator_new();
    return to_json(gen, event, NULL);
}

void ks_trace_sink(const KsEvent *ev, void *trace)
{
    KsTrace *t = trace;
    if (t->failed)
        return;
    gsize len = 0;
    g_autofree char *text = to_json(t->gen, ev, &len);
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
