/* SPDX-License-Identifier: MIT */
/*
 * ks-assignor-test.c - the assignor tests' shared group (see
 * ks-assignor-test.h).
 */
#include "ks-assignor-test.h"

#include <stdlib.h>
#include <string.h>

Group *group_new(void)
{
    Group *g = g_new0(Group, 1);
    g->topics = g_array_new(FALSE, FALSE, sizeof(KsAssignorTopic));
    g->members = g_array_new(FALSE, FALSE, sizeof(KsAssignorMember));
    g->strings = g_ptr_array_new_with_free_func(g_free);
    g->arrays = g_ptr_array_new_with_free_func(g_free);
    return g;
}

void group_free(Group *g)
{
    if (g == NULL)
        return;
    g_array_unref(g->topics);
    g_array_unref(g->members);
    g_ptr_array_unref(g->strings);
    g_ptr_array_unref(g->arrays);
    g_free(g);
}

const char *group_str(Group *g, const char *s)
{
    if (s == NULL)
        return NULL;
    char *copy = g_strdup(s);
    g_ptr_array_add(g->strings, copy);
    return copy;
}

void group_add_topic(Group *g, const char *name, int32_t n_partitions)
{
    KsAssignorTopic t = {group_str(g, name), n_partitions};
    g_array_append_val(g->topics, t);
}

/* Adds a member subscribed to the NULL-terminated @topics. */
KsAssignorMember *group_add_member(Group *g, const char *id, const char *instance,
                                   const char *const *topics)
{
    size_t n = topics != NULL ? g_strv_length((GStrv)topics) : 0;
    const char **copy = g_new0(const char *, n + 1);
    for (size_t i = 0; i < n; i++)
        copy[i] = group_str(g, topics[i]);
    g_ptr_array_add(g->arrays, copy);
    KsAssignorMember m = {group_str(g, id),         group_str(g, instance), copy, n, NULL, 0,
                          KS_ASSIGNOR_NO_GENERATION};
    g_array_append_val(g->members, m);
    return &g_array_index(g->members, KsAssignorMember, g->members->len - 1);
}

/* Sets member @m's owned partitions to @n partitions at @tps (copied). */
void member_set_owned(Group *g, KsAssignorMember *m, const KsTopicPartition *tps, size_t n,
                      int32_t generation)
{
    KsTopicPartition *copy = g_new0(KsTopicPartition, n + 1);
    for (size_t i = 0; i < n; i++)
        copy[i] = (KsTopicPartition){group_str(g, tps[i].topic), tps[i].partition};
    g_ptr_array_add(g->arrays, copy);
    m->owned = copy;
    m->n_owned = n;
    m->generation = generation;
}

KsAssignment *group_assign(const Group *g, KsAssignorKind kind)
{
    return ks_assignor_assign(kind, (const KsAssignorTopic *)(void *)g->topics->data,
                              g->topics->len, (const KsAssignorMember *)(void *)g->members->data,
                              g->members->len);
}

/* "topic-p" partition names, the notation of the reference file. */
KsTopicPartition parse_tp(Group *g, const char *name)
{
    const char *dash = strrchr(name, '-');
    if (dash == NULL)
        fail_msg("bad partition name \"%s\"", name);
    g_autofree char *topic = g_strndup(name, (gsize)(dash - name));
    return (KsTopicPartition){group_str(g, topic), (int32_t)atoi(dash + 1)};
}

int compare_tp(const void *a, const void *b)
{
    const KsTopicPartition *x = a, *y = b;
    int c = strcmp(x->topic, y->topic);
    return c != 0 ? c : (x->partition > y->partition) - (x->partition < y->partition);
}

char *format_tps(const KsTopicPartition *tps, size_t n)
{
    GString *s = g_string_new("[");
    for (size_t i = 0; i < n; i++)
        g_string_append_printf(s, "%s%s-%d", i > 0 ? ", " : "", tps[i].topic, tps[i].partition);
    g_string_append_c(s, ']');
    return g_string_free(s, FALSE);
}

/* Member @i's list as text, for comparisons and messages. */
char *format_member(const KsAssignment *a, size_t i)
{
    size_t n = 0;
    const KsTopicPartition *tps = ks_assignment_partitions(a, i, &n);
    return format_tps(tps, n);
}

size_t count_of(const KsAssignment *a, size_t m)
{
    size_t n = 0;
    ks_assignment_partitions(a, m, &n);
    return n;
}

/* The follow-up rebalance: every member now owns what @a gave it, in the
 * next generation. */
Group *next_generation(const Group *g, const KsAssignment *a, int32_t generation)
{
    Group *next = group_new();
    for (guint t = 0; t < g->topics->len; t++) {
        const KsAssignorTopic *topic = &g_array_index(g->topics, KsAssignorTopic, t);
        group_add_topic(next, topic->name, topic->n_partitions);
    }
    for (size_t i = 0; i < ks_assignment_n_members(a); i++) {
        const KsAssignorMember *m = &g_array_index(g->members, KsAssignorMember, i);
        g_autofree const char **topics = g_new0(const char *, m->n_topics + 1);
        memcpy(topics, m->topics, m->n_topics * sizeof *topics);
        KsAssignorMember *copy = group_add_member(next, m->member_id, m->group_instance_id, topics);
        size_t n = 0;
        const KsTopicPartition *tps = ks_assignment_partitions(a, i, &n);
        member_set_owned(next, copy, tps, n, generation);
    }
    return next;
}

/* A partition of @g is in @a's member @i. */
bool has_partition(const KsAssignment *a, size_t i, const char *topic, int32_t partition)
{
    size_t n = 0;
    const KsTopicPartition *tps = ks_assignment_partitions(a, i, &n);
    for (size_t k = 0; k < n; k++) {
        if (strcmp(tps[k].topic, topic) == 0 && tps[k].partition == partition)
            return true;
    }
    return false;
}

bool naive_subscribes(const KsAssignorMember *m, const char *topic)
{
    for (size_t i = 0; i < m->n_topics; i++) {
        if (strcmp(m->topics[i], topic) == 0)
            return true;
    }
    return false;
}

char *describe_group(const Group *g)
{
    GString *s = g_string_new("topics:");
    for (guint t = 0; t < g->topics->len; t++) {
        const KsAssignorTopic *x = &g_array_index(g->topics, KsAssignorTopic, t);
        g_string_append_printf(s, " %s=%d", x->name, x->n_partitions);
    }
    for (guint i = 0; i < g->members->len; i++) {
        const KsAssignorMember *m = &g_array_index(g->members, KsAssignorMember, i);
        g_string_append_printf(s, "; %s(%s):", m->member_id,
                               m->group_instance_id ? m->group_instance_id : "-");
        for (size_t k = 0; k < m->n_topics; k++)
            g_string_append_printf(s, " %s", m->topics[k]);
    }
    return g_string_free(s, FALSE);
}

const char *const topic_pool[8] = {"orders", "a", "B", "t1", "t10", "t2", "Z9", "pay-ments"};
