/* SPDX-License-Identifier: MIT */
/*
 * output.h - the views of a run: the timeline a person reads, the JSON-lines
 * trace a program reads, the summary JSON, and kafka-topics style tables.
 *
 * Views read the event stream and the model's state; they never change
 * either. None of them prints: text goes to a caller's line callback or into
 * a GString, files are written whole (g_file_set_contents) or, for the
 * trace, to PATH.tmp renamed into place only when the run completes, so a
 * failed run never leaves a partial output file.
 */
#pragma once

#include <stdbool.h>
#include <stdio.h>

#include <glib.h>

#include "kafkasim/event.h"
#include "kafkasim/types.h"

/* Receives one line of text, without its newline. */
typedef void (*KsLineFn)(const char *line, void *ctx);

typedef struct KsTimeline KsTimeline;

/* Returns a timeline view of @sim that writes through @write(@ctx), with
 * ANSI colours when @color. Free with ks_timeline_free(). */
KsTimeline *ks_timeline_new(KsSim *sim, bool color, KsLineFn write, void *ctx);

/* Frees @tl; NULL is a no-op. */
void ks_timeline_free(KsTimeline *tl);

/* Event sink: pass to ks_sim_add_sink() with the timeline as context. */
void ks_timeline_sink(const KsEvent *event, void *timeline);

/* Whether a one-line gloss follows the first use of each term (LEO, HW,
 * ISR, leader epoch, acks, ...). On by default; --no-explain turns it off. */
void ks_timeline_set_explain(KsTimeline *tl, bool explain);

/* Writes the glosses of the terms met since the last call, one line each
 * (the timeline calls it before each new line; a caller that pauses after
 * an event calls it first). */
void ks_timeline_flush_glosses(KsTimeline *tl);

/* How often, in simulated time, status lines say what waits. */
#define KS_TIMELINE_STATUS_EVERY (5 * KS_TIME_S)

/* Drives the sim to @t as ks_sim_run_until() does, stopping at every
 * status boundary (each multiple of KS_TIMELINE_STATUS_EVERY before the
 * end) to write a status line for each partition that has been without a
 * leader, or whose writes have waited or been refused, for a second or
 * more, and why. The boundaries only cut the run in slices: the events and
 * their order are those of ks_sim_run() (sim.h). */
void ks_timeline_run_until(KsTimeline *tl, KsTime t);

/* ks_sim_step() with the status lines of the boundaries it passes. */
bool ks_timeline_step(KsTimeline *tl);

/* Writes the status lines for now (nothing when nothing waits). */
void ks_timeline_write_status(KsTimeline *tl);

/* Writes the end-of-run summary (statistics and expectation verdicts).
 * @checked_end: whether the end-of-run expectations were checked. */
void ks_timeline_write_summary(KsTimeline *tl, bool checked_end);

typedef struct KsTrace KsTrace;

/* Opens a JSON-lines trace of @sim that will become @path: events are
 * written to "@path.tmp" as they come; a snapshot's object carries the
 * state of every partition. Returns NULL with @error set if the file cannot
 * be created. */
KsTrace *ks_trace_open(KsSim *sim, const char *path, GError **error);

/* Returns a trace of @sim written to @f as events come, for a caller that
 * owns the file (and decides where it ends up); ks_trace_close() then only
 * flushes @f and reports whether every write succeeded. */
KsTrace *ks_trace_new_stream(KsSim *sim, FILE *f);

/* Event sink: one JSON object per line, with "t_us" and "type" first. */
void ks_trace_sink(const KsEvent *event, void *trace);

/* Closes @trace: renames the temporary file to its final path when @keep,
 * deletes it otherwise. Returns false with @error set if writing failed. */
bool ks_trace_close(KsTrace *trace, bool keep, GError **error);

/* The summary JSON of the run (DESIGN's contract), pretty-printed. Returns a
 * new string; free with g_free(). */
char *ks_summary_json(const KsSim *sim);

/* Appends kafka-topics.sh --describe output for every topic (Kafka 2.4 to
 * 3.7 layout: tab-separated, topics by name, partitions by number). */
void ks_describe_topics(const KsSim *sim, GString *out);

/* Which table of `kafka-consumer-groups.sh --describe` to print. */
typedef enum {
    KS_GROUP_LAYOUT_OFFSETS, /* the default (= --offsets) */
    KS_GROUP_LAYOUT_MEMBERS, /* --members */
    KS_GROUP_LAYOUT_STATE,   /* --state */
} KsGroupLayout;

/* Appends kafka-consumer-groups.sh --describe output in @layout for group
 * @group, or for every group by name when @group is NULL (--all-groups),
 * byte for byte as Kafka 3.x prints it. Kafka's stderr notices (an Empty
 * group, a rebalancing one) go to @err, or into @out when @err is NULL. An
 * unknown @group gives Kafka's "does not exist" error. */
void ks_describe_groups(const KsSim *sim, const char *group, KsGroupLayout layout, GString *out,
                        GString *err);

/* Appends a table of every broker, by id: host, rack, state, how many
 * partitions it leads and follows, the records appended to it as leader,
 * copied to it as follower, sent by it to followers and to consumers; then
 * one line per broker naming the partitions it leads and follows. */
void ks_describe_brokers(const KsSim *sim, GString *out);

/* Appends partition @partition of topic @topic (an index) as each replica
 * holds it: log start, high watermark and log end offset, its offsets by
 * leader epoch, and what truncation removed from it. */
void ks_describe_log(const KsSim *sim, size_t topic, int32_t partition, GString *out);

/* Appends the znodes of the modelled ZooKeeper, one per line, path first,
 * then its data in Kafka's JSON. */
void ks_describe_zk(const KsSim *sim, GString *out);

/* For a describe action's event (KS_EV_DESCRIBE_GROUPS, KS_EV_DESCRIBE)
 * being emitted: sets *@out_tag to a static word naming the table
 * ("groups", "brokers", "log", "zk"), appends the action as written to
 * @headline and the table, as the cluster is now, to @table (groups in the
 * offsets layout, Kafka's notices included). */
void ks_describe_event(const KsSim *sim, const KsEvent *ev, const char **out_tag, GString *headline,
                       GString *table);

/* Formats @t as the timeline's time column, e.g. "5.000s" or "0.012500s". */
char *ks_format_time(KsTime t);

/* Formats @micro_usd (>= 0) millionths of a dollar, e.g. "$1.250000". */
char *ks_format_usd(int64_t micro_usd);

G_DEFINE_AUTOPTR_CLEANUP_FUNC(KsTimeline, ks_timeline_free)
