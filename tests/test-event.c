/* SPDX-License-Identifier: MIT */
/*
 * test-event.c - the event table, the trace lines written from it, and
 * docs/trace.md kept in step with it.
 *
 *  1. Every kind of field, lists included, is written as the trace
 *     documents it (a descriptor of one field per kind, not from the table,
 *     so kinds no event type uses yet are covered too).
 *  2. Fields flagged "omit when unset" are left out exactly when unset, and
 *     ks_event_init() leaves every integer field unset.
 *  3. The table is well formed: unique trace names, a meaning for every
 *     type and field, no field named twice in one type, "t_us" and "type"
 *     never reused.
 *  4. docs/trace.md holds, between its two markers, exactly what the table
 *     says (every type, field, JSON type, unit and meaning). When it does
 *     not, the test names the first type or field that is missing or
 *     different; KS_UPDATE_DOCS=1 meson test -C build event rewrites that
 *     part.
 */
#include "ks-test.h"

#include <string.h>

#include "kafkasim/event.h"

/* ---- 1. every kind ---- */

typedef struct {
    int64_t i;
    KsTime t;
    bool b;
    KsBrokerId broker;
    KsBrokerId no_broker;
    const char *s;
    const char *no_s;
    KsReason reason;
    KsIntList ints;
    KsStringList strings;
    KsPartitionList partitions;
    KsIntList no_ints;
} AllKinds;

#define FIELD(name, kind, flags)                                                                   \
    {                                                                                              \
#name, KS_EVENT_KIND_##kind, flags, offsetof(AllKinds, name), "", ""                       \
    }

static const KsEventField all_kinds[] = {
    FIELD(i, INT, KS_EVENT_FLAG_ALWAYS),
    FIELD(t, TIME, KS_EVENT_FLAG_ALWAYS),
    FIELD(b, BOOL, KS_EVENT_FLAG_ALWAYS),
    FIELD(broker, BROKER, KS_EVENT_FLAG_ALWAYS),
    FIELD(no_broker, BROKER, KS_EVENT_FLAG_NULLABLE),
    FIELD(s, STRING, KS_EVENT_FLAG_ALWAYS),
    FIELD(no_s, STRING, KS_EVENT_FLAG_NULLABLE),
    FIELD(reason, REASON, KS_EVENT_FLAG_ALWAYS),
    FIELD(ints, INT_LIST, KS_EVENT_FLAG_ALWAYS),
    FIELD(strings, STRING_LIST, KS_EVENT_FLAG_ALWAYS),
    FIELD(partitions, PARTITION_LIST, KS_EVENT_FLAG_ALWAYS),
    FIELD(no_ints, INT_LIST, KS_EVENT_FLAG_ALWAYS),
};

static void test_event_every_kind_written(void **state)
{
    const int32_t generations[] = {3, -1, 2147483647};
    const char *const members[] = {"consumer-1-a", "say \"hi\""};
    const KsTopicPartition parts[] = {{"orders", 0}, {"my-topic-2", 11}};
    AllKinds v = {
        .i = -42,
        .t = 1500000,
        .b = true,
        .broker = 7,
        .no_broker = KS_NO_BROKER,
        .s = "x",
        .no_s = NULL,
        .reason = KS_REASON_CAUGHT_UP,
        .ints = {generations, 3},
        .strings = {members, 2},
        .partitions = {parts, 2},
    };
    g_autofree char *json = ks_event_format_fields_json(&v, all_kinds, G_N_ELEMENTS(all_kinds));
    ks_assert_str_eq(json, "{\"i\":-42,\"t\":1500000,\"b\":true,\"broker\":7,\"no_broker\":null,"
                           "\"s\":\"x\",\"no_s\":null,\"reason\":\"caught_up\","
                           "\"ints\":[3,-1,2147483647],"
                           "\"strings\":[\"consumer-1-a\",\"say \\\"hi\\\"\"],"
                           "\"partitions\":[{\"topic\":\"orders\",\"partition\":0},"
                           "{\"topic\":\"my-topic-2\",\"partition\":11}],"
                           "\"no_ints\":[]}");
}

static void test_event_omit_when_unset(void **state)
{
    static const KsEventField omitted[] = {
        {"broker", KS_EVENT_KIND_BROKER, KS_EVENT_FLAG_OMIT, offsetof(AllKinds, no_broker), "", ""},
        {"s", KS_EVENT_KIND_STRING, KS_EVENT_FLAG_OMIT, offsetof(AllKinds, no_s), "", ""},
        {"ints", KS_EVENT_KIND_INT_LIST, KS_EVENT_FLAG_OMIT, offsetof(AllKinds, no_ints), "", ""},
        {"i", KS_EVENT_KIND_INT, KS_EVENT_FLAG_OMIT, offsetof(AllKinds, i), "", ""},
    };
    AllKinds v = {.no_broker = KS_NO_BROKER, .i = -1};
    g_autofree char *none = ks_event_format_fields_json(&v, omitted, G_N_ELEMENTS(omitted));
    ks_assert_str_eq(none, "{}");
    v.i = 0;
    v.no_s = "";
    g_autofree char *some = ks_event_format_fields_json(&v, omitted, G_N_ELEMENTS(omitted));
    ks_assert_str_eq(some, "{\"s\":\"\",\"i\":0}");
}

/* A producer's failure has a partition and an error, or a broker and a
 * message: the trace shows the pair it has. */
static void test_event_lines_of_real_types(void **state)
{
    KsEvent ev = ks_event_init(KS_EV_PRODUCE_FAILING, 2000050);
    ev.produce_failing.producer = "safe";
    ev.produce_failing.topic = "payments";
    ev.produce_failing.partition = 0;
    ev.produce_failing.error = "NETWORK_EXCEPTION";
    g_autofree char *by_partition = ks_event_format_json(&ev);
    ks_assert_str_eq(by_partition,
                     "{\"t_us\":2000050,\"type\":\"produce_failing\",\"producer\":\"safe\","
                     "\"topic\":\"payments\",\"partition\":0,\"error\":\"NETWORK_EXCEPTION\"}");

    ev = ks_event_init(KS_EV_PRODUCE_FAILING, 7);
    ev.produce_failing.producer = "safe";
    ev.produce_failing.topic = "payments";
    ev.produce_failing.broker = 2;
    ev.produce_failing.message = "no";
    g_autofree char *by_broker = ks_event_format_json(&ev);
    ks_assert_str_eq(by_broker, "{\"t_us\":7,\"type\":\"produce_failing\",\"producer\":\"safe\","
                                "\"topic\":\"payments\",\"broker\":2,\"message\":\"no\"}");

    const KsBrokerId isr[] = {1, 3};
    ev = ks_event_init(KS_EV_LEADER_ELECTED, 5);
    ev.leader_elected.topic = "t";
    ev.leader_elected.partition = 1;
    ev.leader_elected.previous_leader = 2;
    ev.leader_elected.leader_epoch = 4;
    ev.leader_elected.isr = (KsIntList){isr, 2};
    ev.leader_elected.reason = KS_REASON_OFFLINE;
    g_autofree char *elected = ks_event_format_json(&ev);
    ks_assert_str_eq(elected, "{\"t_us\":5,\"type\":\"leader_elected\",\"topic\":\"t\","
                              "\"partition\":1,\"leader\":null,\"previous_leader\":2,"
                              "\"leader_epoch\":4,\"isr\":[1,3],\"reason\":\"offline\"}");
}

static void test_event_init_leaves_fields_unset(void **state)
{
    for (int type = 0; type < KS_EV_COUNT; type++) {
        KsEvent ev = ks_event_init((KsEventType)type, 9);
        const KsEventTypeInfo *info = ks_event_type_info((KsEventType)type);
        ks_assert_i64_eq(ev.t, 9);
        ks_assert_i64_eq(ev.type, type);
        for (size_t i = 0; i < info->n_fields; i++) {
            const KsEventField *f = &info->fields[i];
            bool settable = f->kind != KS_EVENT_KIND_BOOL && f->kind != KS_EVENT_KIND_REASON;
            if (settable && !ks_event_field_unset(&ev, f))
                fail_msg("%s.%s is set by ks_event_init()", info->name, f->name);
        }
    }
}

/* ---- 3. the table ---- */

static void test_event_table_well_formed(void **state)
{
    g_autoptr(GHashTable) names = g_hash_table_new(g_str_hash, g_str_equal);
    for (int type = 0; type < KS_EV_COUNT; type++) {
        const KsEventTypeInfo *info = ks_event_type_info((KsEventType)type);
        ks_assert_str_eq(ks_event_type_name((KsEventType)type), info->name);
        if (!g_hash_table_add(names, (gpointer)info->name))
            fail_msg("two event types are named %s", info->name);
        if (!*info->doc || info->n_fields == 0)
            fail_msg("%s has no meaning or no field", info->name);
        g_autoptr(GHashTable) fields = g_hash_table_new(g_str_hash, g_str_equal);
        g_hash_table_add(fields, (gpointer) "t_us");
        g_hash_table_add(fields, (gpointer) "type");
        for (size_t i = 0; i < info->n_fields; i++) {
            const KsEventField *f = &info->fields[i];
            if (!g_hash_table_add(fields, (gpointer)f->name))
                fail_msg("%s has two fields named %s", info->name, f->name);
            if (!*f->doc)
                fail_msg("%s.%s has no meaning", info->name, f->name);
        }
    }
    /* The trace names stay as they were: they are in every trace. */
    ks_assert_str_eq(ks_event_type_name(KS_EV_SAY), "say");
    ks_assert_str_eq(ks_event_type_name(KS_EV_LEADER_ELECTED), "leader_elected");
    ks_assert_str_eq(ks_event_type_name(KS_EV_RECORDS_EXPIRED), "records_expired");
}

/* ---- 4. docs/trace.md ---- */

#define DOC_BEGIN "<!-- BEGIN event table: generated, see tests/test-event.c -->\n"
#define DOC_END   "<!-- END event table -->\n"

static const char *json_type(const KsEventField *f)
{
    bool null = f->flags & KS_EVENT_FLAG_NULLABLE;
    switch (f->kind) {
    case KS_EVENT_KIND_INT:
    case KS_EVENT_KIND_TIME:
        return "integer";
    case KS_EVENT_KIND_BOOL:
        return "boolean";
    case KS_EVENT_KIND_BROKER:
        return null ? "integer or null" : "integer";
    case KS_EVENT_KIND_STRING:
        return null ? "string or null" : "string";
    case KS_EVENT_KIND_REASON:
        return "string";
    case KS_EVENT_KIND_INT_LIST:
        return "array of integers";
    case KS_EVENT_KIND_STRING_LIST:
        return "array of strings";
    case KS_EVENT_KIND_PARTITION_LIST:
        return "array of {\"topic\", \"partition\"}";
    case KS_EVENT_KIND_TOPICS:
        return "array of topics (as the summary's)";
    }
    return "?";
}

/* The heading a type has in the doc, and the row each field has. */
static char *type_heading(const KsEventTypeInfo *info)
{
    return g_strdup_printf("### `%s`\n", info->name);
}

static char *field_row(const KsEventField *f)
{
    return g_strdup_printf("| `%s` | %s | %s | %s | %s |\n", f->name, json_type(f),
                           (f->flags & KS_EVENT_FLAG_OMIT) ? "when set" : "always", f->unit,
                           f->doc);
}

/* The generated part of docs/trace.md, markers included. */
static char *render_doc(void)
{
    GString *s = g_string_new(DOC_BEGIN);
    for (int type = 0; type < KS_EV_COUNT; type++) {
        const KsEventTypeInfo *info = ks_event_type_info((KsEventType)type);
        g_autofree char *heading = type_heading(info);
        g_string_append_printf(s, "\n%s\n%c%s.\n\n", heading, g_ascii_toupper(info->doc[0]),
                               info->doc + 1);
        g_string_append(s, "| field | JSON type | present | unit | meaning |\n"
                           "| --- | --- | --- | --- | --- |\n");
        for (size_t i = 0; i < info->n_fields; i++) {
            g_autofree char *row = field_row(&info->fields[i]);
            g_string_append(s, row);
        }
    }
    g_string_append(s, "\n" DOC_END);
    return g_string_free(s, FALSE);
}

static void test_event_doc_in_step(void **state)
{
    const char *root = g_getenv("KS_SOURCE_ROOT");
    if (!root) {
        print_message("KS_SOURCE_ROOT is not set: docs/trace.md not checked\n");
        skip();
    }
    g_autofree char *path = g_build_filename(root, "docs", "trace.md", NULL);
    g_autofree char *doc = NULL;
    GError *error = NULL;
    if (!g_file_get_contents(path, &doc, NULL, &error))
        fail_msg("%s", error->message);
    char *begin = strstr(doc, DOC_BEGIN);
    char *end = begin ? strstr(begin, DOC_END) : NULL;
    if (!end)
        fail_msg("%s has no generated part between \"%.*s\" and \"%.*s\"", path,
                 (int)strlen(DOC_BEGIN) - 1, DOC_BEGIN, (int)strlen(DOC_END) - 1, DOC_END);
    end += strlen(DOC_END);
    g_autofree char *want = render_doc();
    g_autofree char *have = g_strndup(begin, (gsize)(end - begin));
    if (strcmp(want, have) == 0)
        return;
    if (g_getenv("KS_UPDATE_DOCS")) {
        g_autofree char *head = g_strndup(doc, (gsize)(begin - doc));
        g_autofree char *text = g_strconcat(head, want, end, NULL);
        if (!g_file_set_contents(path, text, -1, &error))
            fail_msg("%s", error->message);
        print_message("rewrote the event table in %s\n", path);
        return;
    }
    /* Name the first type or field the doc lacks, then any other change. */
    for (int type = 0; type < KS_EV_COUNT; type++) {
        const KsEventTypeInfo *info = ks_event_type_info((KsEventType)type);
        g_autofree char *heading = type_heading(info);
        const char *section = strstr(have, heading);
        if (!section)
            fail_msg("docs/trace.md does not describe event type %s", info->name);
        const char *next = strstr(section + 1, "\n### ");
        g_autofree char *body =
            next ? g_strndup(section, (gsize)(next - section)) : g_strdup(section);
        for (size_t i = 0; i < info->n_fields; i++) {
            g_autofree char *row = field_row(&info->fields[i]);
            if (!strstr(body, row))
                fail_msg("docs/trace.md does not describe %s's field %s as the table does: %s",
                         info->name, info->fields[i].name, row);
        }
    }
    fail_msg("docs/trace.md's event table is not what the table in event.h gives (order or "
             "text); KS_UPDATE_DOCS=1 meson test -C build event rewrites it");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_event_every_kind_written),
        cmocka_unit_test(test_event_omit_when_unset),
        cmocka_unit_test(test_event_lines_of_real_types),
        cmocka_unit_test(test_event_init_leaves_fields_unset),
        cmocka_unit_test(test_event_table_well_formed),
        cmocka_unit_test(test_event_doc_in_step),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
