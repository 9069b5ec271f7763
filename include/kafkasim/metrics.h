/* SPDX-License-Identifier: MIT */
/*
 * metrics.h - the metrics CSV: the cluster sampled at fixed instants.
 *
 * One row per (sample time, subject, metric), in the long form a
 * spreadsheet pivots: time_s,kind,subject,metric,value. docs/metrics.md
 * lists every metric. Samples are taken between slices of the run
 * (sampler.h), so writing metrics never changes the run.
 */
#pragma once

#include <stdbool.h>
#include <stdio.h>

#include <glib.h>

#include "kafkasim/event.h"
#include "kafkasim/types.h"

typedef struct KsMetrics KsMetrics;

/* Returns a metrics view of @sim (borrowed; it must outlive the view)
 * writing CSV rows to @f (borrowed: the caller opens, commits or discards
 * it), starting with the header. @interval (> 0) is the time between
 * samples, which throughput rates are averaged over. Add ks_metrics_sink()
 * as a sink of @sim and ks_metrics_sample() as a sampler with the same
 * interval. Free with ks_metrics_free(). */
KsMetrics *ks_metrics_new(KsSim *sim, KsTime interval, FILE *f);

/* Frees @m; NULL is a no-op. */
void ks_metrics_free(KsMetrics *m);

/* Event sink: notes leader changes, so that records a replica received
 * are counted for the broker that led the partition then. */
void ks_metrics_sink(const KsEvent *event, void *metrics);

/* A KsSampleFn: writes the rows of the instant ks_sim_now(@sim). */
void ks_metrics_sample(KsSim *sim, void *metrics);

G_DEFINE_AUTOPTR_CLEANUP_FUNC(KsMetrics, ks_metrics_free)
