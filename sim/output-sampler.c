/* SPDX-License-Identifier: MIT */
/*
 * output-sampler.c - runs a sim in slices so views can read it at fixed
 * instants (sampler.h says why this leaves the run unchanged).
 *
 * Each slice ends at the earliest next instant of any sampler (or where
 * the caller stops: a progress bar cuts the run too); a run with a 1 s
 * interval over 30 s is 31 slices. The cost is one comparison per
 * sampler per slice on top of the run itself. Also here: what more than
 * one sampling view counts (partitions by availability, rates).
 */
#include "kafkasim/sampler.h"

#include <glib.h>

#include "kafkasim/query.h"
#include "kafkasim/sim.h"

struct KsSampling {
    KsSim *sim;
    GArray *samplers; /* of KsSampler */
    KsTime next;      /* the next sampling instant; KS_TIME_NEVER: none left */
};

/* The first sampling instant after @t: the earliest next multiple of an
 * interval, or the end; KS_TIME_NEVER after the end. */
static KsTime instant_after(const KsSampling *s, KsTime t)
{
    KsTime end = ks_sim_end(s->sim);
    if (t >= end)
        return KS_TIME_NEVER;
    KsTime next = end;
    for (guint i = 0; i < s->samplers->len; i++) {
        KsTime interval = g_array_index(s->samplers, KsSampler, i).interval;
        next = MIN(next, (t / interval + 1) * interval);
    }
    return next;
}

KsSampling *ks_sampling_new(KsSim *sim, const KsSampler *samplers, size_t n_samplers)
{
    g_return_val_if_fail(sim != NULL, NULL);
    for (size_t i = 0; i < n_samplers; i++)
        g_return_val_if_fail(samplers[i].interval > 0 && samplers[i].fn != NULL, NULL);
    KsSampling *s = g_new0(KsSampling, 1);
    s->sim = sim;
    s->samplers = g_array_sized_new(FALSE, FALSE, sizeof(KsSampler), (guint)n_samplers);
    g_array_append_vals(s->samplers, samplers, (guint)n_samplers);
    KsTime now = ks_sim_now(sim);
    s->next = n_samplers == 0 ? KS_TIME_NEVER : now == 0 ? 0 : instant_after(s, now);
    return s;
}

void ks_sampling_free(KsSampling *s)
{
    if (!s)
        return;
    g_array_unref(s->samplers);
    g_free(s);
}

/* ks_sim_run_until() as a run function. */
static void run_sim(KsTime t, void *sim)
{
    ks_sim_run_until(sim, t);
}

void ks_sampling_run_until(KsSampling *s, KsTime t, void (*run)(KsTime t, void *run_ctx),
                           void *run_ctx)
{
    g_return_if_fail(s != NULL);
    if (!run) {
        run = run_sim;
        run_ctx = s->sim;
    }
    KsTime end = ks_sim_end(s->sim);
    for (; s->next <= t; s->next = instant_after(s, s->next)) {
        run(s->next, run_ctx);
        for (guint i = 0; i < s->samplers->len; i++) {
            const KsSampler *sp = &g_array_index(s->samplers, KsSampler, i);
            if (s->next % sp->interval == 0 || s->next == end)
                sp->fn(s->sim, sp->ctx);
        }
    }
    run(t, run_ctx);
}

void ks_sampler_count_partitions(const KsSim *sim, KsPartitionCounts *out)
{
    *out = (KsPartitionCounts){0};
    for (size_t t = 0; t < ks_query_n_topics(sim); t++) {
        KsTopicInfo topic;
        ks_query_topic(sim, t, &topic);
        for (int32_t p = 0; p < topic.n_partitions; p++) {
            KsPartitionInfo part;
            ks_query_partition(sim, t, p, &part);
            KsBrokerInfo leader;
            out->partitions++;
            out->offline += part.leader == KS_NO_BROKER;
            out->unavailable += !ks_query_find_broker(sim, part.leader, &leader) || !leader.alive;
            out->under_replicated +=
                part.leader != KS_NO_BROKER && (int32_t)part.n_isr < part.n_replicas;
        }
    }
}

double ks_sampler_rate(int64_t count, KsTime span)
{
    return span > 0 ? (double)count * (double)KS_TIME_S / (double)span : 0.0;
}
