/* SPDX-License-Identifier: MIT */
/*
 * ks-sim-test.c - a whole simulation from an inline scenario (see
 * ks-sim-test.h).
 */
#include "ks-sim-test.h"

#include <string.h>

#include "kafkasim/scenario.h"

static void event_free(gpointer data)
{
    KsSimTestEvent *e = data;
    g_free(e->json);
    g_free(e);
}

/* Keeps @ev with its borrowed pointers cleared: the table says which
 * fields are strings or lists. */
static void record(const KsEvent *ev, void *ctx)
{
    KsSimTest *t = ctx;
    KsSimTestEvent *e = g_new0(KsSimTestEvent, 1);
    e->ev = *ev;
    const KsEventTypeInfo *info = ks_event_type_info(ev->type);
    for (size_t i = 0; i < info->n_fields; i++) {
        const KsEventField *f = &info->fields[i];
        void *at = (char *)&e->ev + f->offset;
        switch (f->kind) {
        case KS_EVENT_KIND_STRING:
            *(const char **)at = NULL;
            break;
        case KS_EVENT_KIND_INT_LIST:
            *(KsIntList *)at = (KsIntList){0};
            break;
        case KS_EVENT_KIND_STRING_LIST:
            *(KsStringList *)at = (KsStringList){0};
            break;
        case KS_EVENT_KIND_PARTITION_LIST:
            *(KsPartitionList *)at = (KsPartitionList){0};
            break;
        case KS_EVENT_KIND_TOPICS:
            *(KsSim **)at = NULL;
            break;
        default:
            break;
        }
    }
    e->json = ks_event_format_json(ev);
    g_ptr_array_add(t->events, e);
}

KsSimTest *ks_sim_test_new(const char *text)
{
    g_autoptr(GError) error = NULL;
    KsSimTest *t = g_new0(KsSimTest, 1);
    t->events = g_ptr_array_new_with_free_func(event_free);
    t->plan = ks_scenario_parse("inline.ks", text, strlen(text), &error);
    if (!t->plan)
        fail_msg("%s", error->message);
    t->sim = ks_sim_new(t->plan, false, 0, t->plan->run_until, &error);
    if (!t->sim)
        fail_msg("%s", error->message);
    ks_sim_add_sink(t->sim, record, t);
    return t;
}

void ks_sim_test_free(KsSimTest *t)
{
    if (!t)
        return;
    ks_sim_free(t->sim);
    ks_plan_free(t->plan);
    g_ptr_array_free(t->events, TRUE);
    g_free(t);
}

void ks_sim_test_run_until(KsSimTest *t, KsTime until)
{
    ks_sim_run_until(t->sim, until);
}

bool ks_sim_test_next_instant(KsSimTest *t)
{
    KsTime next = ks_sim_next_event_time(t->sim);
    if (next == KS_TIME_NEVER)
        return false;
    ks_sim_run_until(t->sim, next);
    return true;
}

void ks_sim_test_run(KsSimTest *t)
{
    ks_sim_run(t->sim);
}

const KsSimTestEvent *ks_sim_test_find(const KsSimTest *t, KsTime from, const char *match)
{
    for (guint i = 0; i < t->events->len; i++) {
        const KsSimTestEvent *e = g_ptr_array_index(t->events, i);
        if (e->ev.t >= from && strstr(e->json, match))
            return e;
    }
    return NULL;
}

int ks_sim_test_count(const KsSimTest *t, KsTime from, KsTime to, const char *match)
{
    int n = 0;
    for (guint i = 0; i < t->events->len; i++) {
        const KsSimTestEvent *e = g_ptr_array_index(t->events, i);
        if (e->ev.t >= from && e->ev.t <= to && strstr(e->json, match))
            n++;
    }
    return n;
}

static size_t topic_index(const KsSimTest *t, const char *topic)
{
    size_t index;
    if (!ks_query_find_topic(t->sim, topic, &index))
        fail_msg("no topic %s", topic);
    return index;
}

KsPartitionInfo ks_sim_test_partition(const KsSimTest *t, const char *topic, int32_t index)
{
    size_t ti = topic_index(t, topic);
    KsTopicInfo info;
    ks_query_topic(t->sim, ti, &info);
    if (index < 0 || index >= info.n_partitions)
        fail_msg("no partition %s-%d", topic, index);
    KsPartitionInfo out;
    ks_query_partition(t->sim, ti, index, &out);
    return out;
}

/* The position of broker @id among the partition's replicas. */
static int32_t replica_index(const KsSimTest *t, const char *topic, int32_t index, KsBrokerId id)
{
    KsPartitionInfo p = ks_sim_test_partition(t, topic, index);
    for (int32_t i = 0; i < p.n_replicas; i++)
        if (ks_sim_test_assigned(t, topic, index, i) == id)
            return i;
    fail_msg("broker %d has no replica of %s-%d", id, topic, index);
    return -1;
}

KsReplicaInfo ks_sim_test_replica(const KsSimTest *t, const char *topic, int32_t index,
                                  KsBrokerId id)
{
    KsReplicaInfo out;
    ks_query_replica(t->sim, topic_index(t, topic), index, replica_index(t, topic, index, id),
                     &out);
    return out;
}

KsBrokerId ks_sim_test_assigned(const KsSimTest *t, const char *topic, int32_t index, int32_t i)
{
    KsReplicaInfo out;
    ks_query_replica(t->sim, topic_index(t, topic), index, i, &out);
    return out.broker;
}

char *ks_sim_test_isr(const KsSimTest *t, const char *topic, int32_t index)
{
    KsPartitionInfo p = ks_sim_test_partition(t, topic, index);
    GString *s = g_string_new(NULL);
    for (size_t i = 0; i < p.n_isr; i++)
        g_string_append_printf(s, "%s%d", i ? "," : "", p.isr[i]);
    return g_string_free(s, FALSE);
}

KsBrokerInfo ks_sim_test_broker(const KsSimTest *t, KsBrokerId id)
{
    KsBrokerInfo out;
    if (!ks_query_find_broker(t->sim, id, &out))
        fail_msg("no broker %d", id);
    return out;
}

int64_t ks_sim_test_epoch_start(const KsSimTest *t, const char *topic, int32_t index, KsBrokerId id,
                                int32_t epoch)
{
    g_autoptr(GArray) epochs = ks_query_replica_epochs(t->sim, topic_index(t, topic), index,
                                                       replica_index(t, topic, index, id));
    for (guint i = 0; i < epochs->len; i++) {
        const KsEpochStart *e = &g_array_index(epochs, KsEpochStart, i);
        if (e->epoch == epoch)
            return e->start_offset;
    }
    return -1;
}

KsGroupInfo ks_sim_test_group(const KsSimTest *t, const char *name)
{
    size_t i = 0;
    if (!ks_query_find_group(t->sim, name, &i))
        fail_msg("no group %s", name);
    KsGroupInfo g;
    ks_query_group(t->sim, i, &g);
    return g;
}

int64_t ks_sim_test_consumed(const KsSimTest *t, const char *consumer)
{
    KsConsumerInfo ci;
    if (!ks_query_find_consumer(t->sim, consumer, &ci))
        fail_msg("no consumer %s", consumer);
    return ci.records_consumed;
}
