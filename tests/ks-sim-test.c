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

static void stop(KsEngine *engine, void *ctx, uint64_t arg)
{
    (void)ctx;
    (void)arg;
    ks_engine_stop(engine);
}

void ks_sim_test_run_until(KsSimTest *t, KsTime until)
{
    KsEngine *engine = t->sim->engine;
    if (!t->started) {
        /* ks_sim_run() starts the cluster and runs to the end: a stop
         * scheduled first halts it at @until, before the rest of that
         * instant, which the engine then runs. */
        t->started = true;
        ks_engine_schedule_at(engine, until, stop, NULL, 0);
        ks_sim_run(t->sim);
    }
    ks_engine_run_until(engine, until);
}

void ks_sim_test_run(KsSimTest *t)
{
    t->started = true;
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

KsPartition *ks_sim_test_partition(const KsSimTest *t, const char *topic, int32_t index)
{
    KsTopic *tp = ks_sim_find_topic(t->sim, topic);
    if (!tp || index < 0 || index >= tp->n_partitions)
        fail_msg("no partition %s-%d", topic, index);
    return &tp->partitions[index];
}

KsReplica *ks_sim_test_replica(const KsSimTest *t, const char *topic, int32_t index, KsBrokerId id)
{
    KsReplica *r = ks_partition_replica(ks_sim_test_partition(t, topic, index), id);
    if (!r)
        fail_msg("broker %d has no replica of %s-%d", id, topic, index);
    return r;
}

char *ks_sim_test_isr(const KsSimTest *t, const char *topic, int32_t index)
{
    const KsPartition *p = ks_sim_test_partition(t, topic, index);
    GString *s = g_string_new(NULL);
    for (guint i = 0; i < p->isr->len; i++)
        g_string_append_printf(s, "%s%d", i ? "," : "", ks_partition_isr_ids(p)[i]);
    return g_string_free(s, FALSE);
}
