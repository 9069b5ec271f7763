/* SPDX-License-Identifier: MIT */
/*
 * output-sampler.c - runs a sim in slices so views can read it at fixed
 * instants (sampler.h says why this leaves the run unchanged).
 *
 * Each slice ends at the earliest next instant of any sampler; a run with
 * a 1 s interval over 30 s is 31 slices. The cost is one comparison per
 * sampler per slice on top of the run itself. Also here: what more than
 * one sampling view counts (partitions by availability, rates).
 */
#include "kafkasim/sampler.h"

#include <glib.h>

#include "kafkasim/query.h"
#include "kafkasim/sim.h"

/* The first multiple of @interval after @t. */
static KsTime next_multiple(KsTime t, KsTime interval)
{
    return (t / interval + 1) * interval;
}

void ks_sampler_run(KsSim *sim, const KsSampler *samplers, size_t n_samplers)
{
    g_return_if_fail(sim != NULL);
    for (size_t i = 0; i < n_samplers; i++)
        g_return_if_fail(samplers[i].interval > 0 && samplers[i].fn != NULL);
    KsTime end = ks_sim_end(sim);
    KsTime t = ks_sim_now(sim);
    for (;;) {
        ks_sim_run_until(sim, t);
        for (size_t i = 0; i < n_samplers; i++)
            if (t % samplers[i].interval == 0 || t == end)
                samplers[i].fn(sim, samplers[i].ctx);
        if (t >= end)
            break;
        KsTime next = end;
        for (size_t i = 0; i < n_samplers; i++)
            next = MIN(next, next_multiple(t, samplers[i].interval));
        t = next;
    }
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
