/* SPDX-License-Identifier: MIT */
/*
 * sampler.h - reading the cluster at fixed instants without changing the run.
 *
 * Views that show the cluster over time (the metrics CSV, the HTML report's
 * charts and slider) need its state at 0 s, 1 s, 2 s, ... A view cannot
 * schedule engine events of its own for that: the run would then differ
 * with and without it (its event count, the order of equal-time events).
 * Instead the run is cut into slices, ks_sim_run_until() (or the
 * timeline's, which cuts it further for its status lines) to each sampling
 * instant in turn, which sim.h guarantees runs the same events in the same
 * order as one ks_sim_run(); between two slices every view reads the state
 * through the read-only queries. The state read at instant T is the state
 * after every event due at or before T.
 */
#pragma once

#include <stddef.h>
#include <stdint.h>

#include <glib.h>

#include "kafkasim/types.h"

/* Called at a sampling instant, ks_sim_now(@sim) being that instant. Must
 * not run the sim. */
typedef void (*KsSampleFn)(KsSim *sim, void *ctx);

/* One view that samples: @fn(sim, @ctx) at 0, at every multiple of
 * @interval (> 0) before the end, and at the end. */
typedef struct {
    KsTime interval;
    KsSampleFn fn;
    void *ctx;
} KsSampler;

typedef struct KsSampling KsSampling;

/* Returns the sampling of @sim by the @n_samplers @samplers (copied; none
 * is fine), from the sim's current time on. Free with ks_sampling_free(). */
KsSampling *ks_sampling_new(KsSim *sim, const KsSampler *samplers, size_t n_samplers);

/* Frees @s; NULL is a no-op. */
void ks_sampling_free(KsSampling *s);

/* Drives the sim to @t (ks_sim_now() .. ks_sim_end()) through @run(t,
 * @run_ctx), a function that does what ks_sim_run_until() does (NULL:
 * ks_sim_run_until itself), stopping at every sampling instant on the way
 * to call the samplers due there, in the order given. Called again with a
 * later @t it goes on. */
void ks_sampling_run_until(KsSampling *s, KsTime t, void (*run)(KsTime t, void *run_ctx),
                           void *run_ctx);

/* What the sampling views count over every partition at an instant. */
typedef struct {
    int64_t partitions;
    int64_t offline;          /* no leader (Kafka's OfflinePartitionsCount) */
    int64_t unavailable;      /* no live leader: offline, or led by a broker whose
                                 process is gone while ZooKeeper still names it */
    int64_t under_replicated; /* a leader, and fewer in-sync replicas than replicas */
} KsPartitionCounts;

/* Fills *@out for @sim now: one pass over every partition. */
void ks_sampler_count_partitions(const KsSim *sim, KsPartitionCounts *out);

/* @count per second over @span; 0 when @span is not positive. */
double ks_sampler_rate(int64_t count, KsTime span);

G_DEFINE_AUTOPTR_CLEANUP_FUNC(KsSampling, ks_sampling_free)
