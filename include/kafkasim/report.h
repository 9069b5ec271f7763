/* SPDX-License-Identifier: MIT */
/*
 * report.h - the HTML report: one self-contained page of a whole run.
 *
 * A time slider over the run; at each moment the cluster (brokers, the
 * controller, every partition's leader and ISR), the topology diagram,
 * every partition's log per replica as bars, the narration, the timeline's
 * lines, the expectations with their verdicts and charts over time. The
 * page's script and style are compiled into the program; the run is
 * embedded as JSON. It loads nothing from anywhere.
 *
 * The report is a view: it reads the event stream, the timeline's lines and
 * the read-only queries, at every event and at sampling instants
 * (sampler.h), and never changes the run.
 */
#pragma once

#include <stdbool.h>

#include <glib.h>

#include "kafkasim/event.h"
#include "kafkasim/types.h"

typedef struct KsReport KsReport;

/* Returns a report of @sim (borrowed; it must outlive the report). Add
 * ks_report_sink() as a sink of @sim and ks_report_sample() as a sampler
 * with ks_report_interval(). Free with ks_report_free(). */
KsReport *ks_report_new(KsSim *sim);

/* Frees @r; NULL is a no-op. */
void ks_report_free(KsReport *r);

/* The time between the report's samples: a round step giving at most a
 * few hundred over the run, at least 1 s. */
KsTime ks_report_interval(const KsReport *r);

/* Event sink: records the event's timeline lines and the cluster as it
 * is after the event. */
void ks_report_sink(const KsEvent *event, void *report);

/* A KsSampleFn: records the cluster and the charts' values at
 * ks_sim_now(@sim). */
void ks_report_sample(KsSim *sim, void *report);

/* The page, once the run is over (and its end-of-run expectations checked
 * when @checked_end). Returns a new string; free with g_free(). */
char *ks_report_format(KsReport *r, bool checked_end);

G_DEFINE_AUTOPTR_CLEANUP_FUNC(KsReport, ks_report_free)
