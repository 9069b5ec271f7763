/* SPDX-License-Identifier: MIT */
/*
 * scenario-lookup.c - names a line refers to, looked up with helpful errors.
 *
 * Nodes, brokers (declared or added by an `add broker` action before the
 * current time), topics, partitions written TOPIC-N, producers, consumers and
 * groups: each lookup reads the parser's hash indexes (which only index the
 * plan's arrays and are never iterated) and, when the name is unknown, says
 * what exists ("brokers are 1, 2 and 3") and suggests the nearest name. A
 * group named by a consumer is declared implicitly, with Kafka's defaults.
 * Runs once per name per line while parsing.
 */
#include "scenario-private.h"

#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include <glib.h>

#include "kafkasim/config.h"
#include "kafkasim/support.h"
#include "kafkasim/text.h"

/* ------------------------------------------------------------------------ */
/* Lookups with helpful errors                                                */

/* "brokers are 1, 2, 3" or, for many, ranges: "brokers are 1-300". */
char *ks_scn_describe_brokers(Parser *p)
{
    g_autoptr(GArray) ids = g_array_new(FALSE, FALSE, sizeof(KsBrokerId));
    for (guint i = 0; i < p->plan->brokers->len; i++)
        g_array_append_val(ids, ((KsPlanBroker *)p->plan->brokers->pdata[i])->id);
    g_array_append_vals(ids, p->added->data, p->added->len);
    if (ids->len == 0)
        return g_strdup("no broker is declared");
    g_array_sort(ids, ks_broker_id_cmp);
    GString *s = g_string_new(ids->len == 1 ? "the only broker is " : "brokers are ");
    const KsBrokerId *v = (const KsBrokerId *)(void *)ids->data;
    if (ids->len <= 10) {
        for (guint i = 0; i < ids->len; i++)
            g_string_append_printf(s, "%s%d", i ? ", " : "", v[i]);
        return g_string_free(s, FALSE);
    }
    guint runs = 0;
    for (guint i = 0; i < ids->len && runs < 10; runs++) {
        guint j = i;
        while (j + 1 < ids->len && v[j + 1] == v[j] + 1)
            j++;
        if (j > i)
            g_string_append_printf(s, "%s%d-%d", runs ? ", " : "", v[i], v[j]);
        else
            g_string_append_printf(s, "%s%d", runs ? ", " : "", v[i]);
        i = j + 1;
        if (runs == 9 && i < ids->len)
            g_string_append(s, ", ...");
    }
    return g_string_free(s, FALSE);
}

/* Names of the elements of @arr (each starting with a char *name). */
static char *describe_names(GPtrArray *arr, const char *plural, const char *none)
{
    if (arr->len == 0)
        return g_strdup(none);
    g_autoptr(GPtrArray) names = g_ptr_array_new();
    for (guint i = 0; i < arr->len; i++)
        g_ptr_array_add(names, *(char **)arr->pdata[i]);
    g_autofree char *list = ks_scn_join_strs(names, 10);
    return g_strdup_printf("%s %s", plural, list);
}

bool ks_scn_find_node(Parser *p, const KsToken *t, const char *name, GError **error)
{
    const KsPlanNode *node = g_hash_table_lookup(p->nodes, name);
    if (node && p->now != KS_SCENARIO_NOW && node->added_at > p->now) {
        char b1[32], b2[32];
        return ks_scn_fail(p, t, REFERENCE, error,
                           "node '%s' is added at %s (line %d); it does not exist at %s", name,
                           ks_scn_time_show(node->added_at, b1, sizeof b1), node->loc.line,
                           ks_scn_time_show(p->now, b2, sizeof b2));
    }
    if (node)
        return true;
    g_autofree char *known = describe_names(p->plan->nodes, "nodes are", "no node is declared");
    return ks_scn_fail(p, t, REFERENCE, error, "node '%s' is not declared; %s", name, known);
}

bool ks_scn_arg_node(Parser *p, const Arg *a, char **out, GError **error)
{
    g_autofree char *name = NULL;
    if (!ks_scn_arg_name(p, a, "a node name", &name, error))
        return false;
    if (!ks_scn_find_node(p, ks_scn_scalar(a), name, error))
        return false;
    *out = g_steal_pointer(&name);
    return true;
}

static KsPlanTopic *find_topic(Parser *p, const KsToken *t, const char *name, GError **error)
{
    KsPlanTopic *topic = g_hash_table_lookup(p->topics, name);
    if (topic)
        return topic;
    g_autofree char *known = describe_names(p->plan->topics, "topics are", "no topic is declared");
    ks_scn_fail(p, t, REFERENCE, error, "topic '%s' is not declared; %s", name, known);
    return NULL;
}

KsPlanTopic *ks_scn_arg_topic(Parser *p, const Arg *a, GError **error)
{
    g_autofree char *name = NULL;
    if (!ks_scn_arg_name(p, a, "a topic name", &name, error))
        return NULL;
    return find_topic(p, ks_scn_scalar(a), name, error);
}

/* The time before which broker @id does not exist (it is added later), or -1. */
static bool find_broker(Parser *p, const KsToken *t, int64_t id, GError **error)
{
    BrokerInfo *b =
        id >= 0 && id <= INT32_MAX ? g_hash_table_lookup(p->brokers, GINT_TO_POINTER(id)) : NULL;
    if (!b) {
        g_autofree char *known = ks_scn_describe_brokers(p);
        return ks_scn_fail(p, t, REFERENCE, error, "broker %" PRId64 " is not declared; %s", id,
                           known);
    }
    if (p->now != KS_SCENARIO_NOW && b->added_at > p->now) {
        char b1[32], b2[32];
        return ks_scn_fail(p, t, REFERENCE, error,
                           "broker %" PRId64 " is added at %s (line %d); it does not exist at %s",
                           id, ks_scn_time_show(b->added_at, b1, sizeof b1), b->line,
                           ks_scn_time_show(p->now, b2, sizeof b2));
    }
    return true;
}

bool ks_scn_tok_broker(Parser *p, const KsToken *t, const char *example, KsBrokerId *out,
                       GError **error)
{
    if (t->kind != KS_TOK_INT) {
        g_autofree char *s = ks_scn_tok_show(t);
        return ks_scn_fail(p, t, VALUE, error,
                           "expected a broker id (a whole number), found '%s', e.g. %s", s,
                           example);
    }
    if (!find_broker(p, t, t->value, error))
        return false;
    *out = (KsBrokerId)t->value;
    return true;
}

bool ks_scn_no_such_partition(Parser *p, int line, int col, const char *topic, int32_t n_partitions,
                              const char *number, GError **error)
{
    if (n_partitions == 1)
        return ks_scn_fail_at(p, line, col, REFERENCE, error,
                              "%s has 1 partition (0); there is no %s-%s", topic, topic, number);
    return ks_scn_fail_at(p, line, col, REFERENCE, error,
                          "%s has %d partitions (0-%d); there is no %s-%s", topic, n_partitions,
                          n_partitions - 1, topic, number);
}

bool ks_scn_tok_partition(Parser *p, const KsToken *t, KsPlanPartition *out, GError **error)
{
    g_autofree char *text = ks_scn_tok_text(t);
    size_t n = t->len;
    size_t dash = n;
    if (ks_scn_tok_is_name(t))
        for (size_t i = n; i-- > 0;)
            if (text[i] == '-') {
                dash = i;
                break;
            }
    bool digits = dash + 1 < n;
    for (size_t i = dash + 1; i < n; i++)
        if (!g_ascii_isdigit(text[i]))
            digits = false;
    if (dash == n || dash == 0 || !digits) {
        g_autofree char *s = ks_scn_tok_show(t);
        if (ks_scn_tok_is_name(t) && g_hash_table_contains(p->topics, text))
            return ks_scn_fail(p, t, VALUE, error,
                               "'%s' is a topic; name one of its partitions, e.g. %s-0", s, s);
        return ks_scn_fail(p, t, VALUE, error,
                           "expected a partition written TOPIC-N, e.g. orders-0; found '%s'", s);
    }
    text[dash] = '\0';
    KsPlanTopic *topic = find_topic(p, t, text, error);
    if (!topic)
        return false;
    int64_t part = 0;
    for (size_t i = dash + 1; i < n && part <= INT32_MAX; i++)
        part = part * 10 + (text[i] - '0');
    int32_t count = ks_scn_partitions_now(p, topic);
    if (part >= count)
        return ks_scn_no_such_partition(p, t->line, t->col, topic->name, count, text + dash + 1,
                                        error);
    out->topic = g_strdup(topic->name);
    out->partition = (int32_t)part;
    return true;
}

bool ks_scn_check_client_name(Parser *p, const KsToken *t, const char *name, GError **error)
{
    ClientInfo *c = g_hash_table_lookup(p->clients, name);
    if (c) {
        static const char *const kinds[] = {"producer", "flume agent", "consumer"};
        return ks_scn_fail(
            p, t, VALUE, error,
            "'%s' is already the name of a %s (line %d); client names must be unique", name,
            kinds[c->kind], c->line);
    }
    KsPlanNode *node = g_hash_table_lookup(p->nodes, name);
    if (node)
        return ks_scn_fail(
            p, t, VALUE, error,
            "'%s' is already the name of a node (line %d); a client may not share it", name,
            node->loc.line);
    if (g_hash_table_size(p->clients) >= MAX_CLIENTS)
        return ks_scn_fail(p, t, VALUE, error, "too many clients (at most %d)", MAX_CLIENTS);
    return true;
}

void ks_scn_add_client(Parser *p, const char *name, ClientKind kind, int line)
{
    ClientInfo *c = g_new0(ClientInfo, 1);
    c->kind = kind;
    c->line = line;
    g_hash_table_insert(p->clients, (gpointer)name, c);
}

bool ks_scn_use_group(Parser *p, const KsToken *t, const char *name, GError **error)
{
    if (g_hash_table_contains(p->groups, name))
        return true;
    if (p->plan->groups->len >= MAX_GROUPS)
        return ks_scn_fail(p, t, VALUE, error, "too many groups (at most %d)", MAX_GROUPS);
    KsPlanGroup *g = g_new0(KsPlanGroup, 1);
    g->name = g_strdup(name);
    g->assignor = KS_ASSIGNOR_RANGE;
    g->protocol = KS_PROTOCOL_EAGER;
    g->loc = ks_scn_loc_of(t);
    g_ptr_array_add(p->plan->groups, g);
    GroupInfo *gi = g_new0(GroupInfo, 1);
    gi->group = g;
    g_hash_table_insert(p->groups, g->name, gi);
    return true;
}

bool ks_scn_find_group(Parser *p, const KsToken *t, const char *name, GError **error)
{
    if (g_hash_table_contains(p->groups, name))
        return true;
    g_autofree char *known =
        describe_names(p->plan->groups, "groups are", "no consumer group is declared");
    return ks_scn_fail(p, t, REFERENCE, error, "group '%s' is not declared; %s", name, known);
}

static const char *client_kind_name(ClientKind kind)
{
    switch (kind) {
    case CLIENT_PRODUCER:
        return "producer";
    case CLIENT_FLUME:
        return "flume agent";
    case CLIENT_CONSUMER:
        return "consumer";
    }
    return "client";
}

/* Checks that @name is a declared client of @kind. */
static bool find_client(Parser *p, const KsToken *t, const char *name, ClientKind kind,
                        GError **error)
{
    ClientInfo *c = g_hash_table_lookup(p->clients, name);
    if (c && c->kind == kind)
        return true;
    if (c)
        return ks_scn_fail(p, t, REFERENCE, error, "'%s' is a %s (line %d), not a %s", name,
                           client_kind_name(c->kind), c->line, client_kind_name(kind));
    GPtrArray *declared = kind == CLIENT_CONSUMER ? p->plan->consumers
                          : kind == CLIENT_FLUME  ? p->plan->flumes
                                                  : p->plan->producers;
    g_autofree char *are = g_strdup_printf("%ss are", client_kind_name(kind));
    g_autofree char *none = g_strdup_printf("no %s is declared", client_kind_name(kind));
    g_autofree char *known = describe_names(declared, are, none);
    return ks_scn_fail(p, t, REFERENCE, error, "%s '%s' is not declared; %s",
                       client_kind_name(kind), name, known);
}

bool ks_scn_find_consumer(Parser *p, const KsToken *t, const char *name, GError **error)
{
    return find_client(p, t, name, CLIENT_CONSUMER, error);
}

bool ks_scn_find_producer(Parser *p, const KsToken *t, const char *name, GError **error)
{
    return find_client(p, t, name, CLIENT_PRODUCER, error);
}

bool ks_scn_find_flume(Parser *p, const KsToken *t, const char *name, GError **error)
{
    return find_client(p, t, name, CLIENT_FLUME, error);
}

bool ks_scn_arg_topics(Parser *p, const Arg *a, GPtrArray **out, GError **error)
{
    if (a->is_set) {
        g_autofree char *s = ks_scn_arg_show(a);
        return ks_scn_fail(p, a->first, VALUE, error,
                           "%s: write the topics without braces, e.g. %s", s, a->example);
    }
    g_autoptr(GPtrArray) topics = g_ptr_array_new_with_free_func(g_free);
    for (guint i = 0; i < a->items->len; i++) {
        const KsToken *t = a->items->pdata[i];
        if (!ks_scn_tok_is_name(t)) {
            g_autofree char *s = ks_scn_tok_show(t);
            return ks_scn_fail(p, t, VALUE, error, "'%s': expected a topic name, e.g. %s", s,
                               a->example);
        }
        g_autofree char *name = ks_scn_tok_text(t);
        KsPlanTopic *topic = find_topic(p, t, name, error);
        if (!topic)
            return false;
        for (guint j = 0; j < topics->len; j++)
            if (strcmp(topics->pdata[j], name) == 0)
                return ks_scn_fail(p, t, VALUE, error, "topic '%s' is listed twice", name);
        g_ptr_array_add(topics, g_steal_pointer(&name));
    }
    *out = g_steal_pointer(&topics);
    return true;
}

bool ks_scn_arg_broker_range(Parser *p, const Arg *a, GArray **out, GError **error)
{
    const KsToken *t = a->items->len == 1 ? a->items->pdata[0] : NULL;
    g_autofree char *text = t && t->kind == KS_TOK_WORD ? ks_scn_tok_text(t) : NULL;
    const char *dots = text ? strstr(text, "..") : NULL;
    if (!dots)
        return ks_scn_arg_broker_set(p, a, true, false, out, error);
    char *end1, *end2;
    int64_t lo = g_ascii_strtoll(text, &end1, 10), hi = g_ascii_strtoll(dots + 2, &end2, 10);
    if (end1 != dots || end1 == text || *end2 != '\0' || end2 == dots + 2 || lo > hi || lo < 0 ||
        hi - lo > 100000)
        return ks_scn_fail(p, t, VALUE, error,
                           "'%s': expected brokers as a range FIRST..LAST, e.g. %s", text,
                           a->example);
    g_autoptr(GArray) ids = g_array_new(FALSE, FALSE, sizeof(KsBrokerId));
    for (int64_t id = lo; id <= hi; id++) {
        if (!find_broker(p, t, id, error))
            return false;
        KsBrokerId b = (KsBrokerId)id;
        g_array_append_val(ids, b);
    }
    *out = g_steal_pointer(&ids);
    return true;
}

bool ks_scn_arg_broker_set(Parser *p, const Arg *a, bool sorted, bool allow_empty, GArray **out,
                           GError **error)
{
    g_autoptr(GArray) ids = g_array_new(FALSE, FALSE, sizeof(KsBrokerId));
    for (guint i = 0; i < a->items->len; i++) {
        const KsToken *t = a->items->pdata[i];
        KsBrokerId id;
        if (!ks_scn_tok_broker(p, t, a->example, &id, error))
            return false;
        for (guint j = 0; j < ids->len; j++)
            if (g_array_index(ids, KsBrokerId, j) == id)
                return ks_scn_fail(p, t, VALUE, error, "broker %d is listed twice", id);
        g_array_append_val(ids, id);
    }
    if (ids->len == 0 && !allow_empty) {
        g_autofree char *s = ks_scn_arg_show(a);
        return ks_scn_fail(p, a->first, VALUE, error, "%s: the set is empty, e.g. %s", s,
                           a->example);
    }
    if (sorted)
        g_array_sort(ids, ks_broker_id_cmp);
    *out = g_steal_pointer(&ids);
    return true;
}
