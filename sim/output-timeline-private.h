/* SPDX-License-Identifier: MIT */
/*
 * output-timeline-private.h - the timeline view's state and its line
 * writers, shared by the files of the timeline: output-timeline.c (a
 * sentence per event), output-status.c (status lines during silences) and
 * output-gloss.c (one-line glosses of the jargon it prints).
 *
 * Private to sim/. The view owns nothing of the sim; it only reads it.
 */
#pragma once

#include <stdbool.h>
#include <stdint.h>

#include <glib.h>

#include "kafkasim/output.h"

/* When a consumer stopped running, and how. */
typedef struct {
    KsTime at;
    bool crashed; /* else stopped (closed) */
} KsConsumerGone;

struct KsTimeline {
    KsSim *sim; /* borrowed */
    bool color;
    KsLineFn write;
    void *ctx;
    bool header_done;
    bool explain;       /* glosses on (the default) */
    uint64_t glossed;   /* bit per gloss: already printed */
    uint64_t gloss_due; /* bit per gloss: met in the lines of the current block */
    bool hold_glosses;  /* a block of lines is being written: glosses after it */
    KsTime next_status; /* the next status boundary */
    GHashTable *gone;   /* consumer name (owned) -> KsConsumerGone* (owned) since its
                           crash or stop, until it starts again; lookups only */
};

#define C_RESET   "\033[0m"
#define C_BOLD    "\033[1m"
#define C_RED     "\033[31m"
#define C_GREEN   "\033[32m"
#define C_YELLOW  "\033[33m"
#define C_BLUE    "\033[34m"
#define C_MAGENTA "\033[35m"
#define C_CYAN    "\033[36m"
#define C_DIM     "\033[2m"

/* Writes "TIME  CATEGORY  text" with the category in @color (the run's
 * header first, if not written yet), and notes the jargon it uses. */
void ks_timeline_put(KsTimeline *tl, KsTime t, const char *category, const char *color,
                     const char *fmt, ...) G_GNUC_PRINTF(5, 6);

/* output-timeline-net.c: the lines of the network's events (cuts, heals,
 * pauses, ZooKeeper contact, zombie leaders, request timeouts); false for
 * another event. */
bool ks_timeline_net_event(KsTimeline *tl, const KsEvent *ev);

/* Writes an indented continuation line, and notes the jargon it uses. */
void ks_timeline_put_sub(KsTimeline *tl, const char *text);

/* output-gloss.c: notes which terms @text uses that have not been glossed
 * yet, for ks_timeline_flush_glosses() (output.h). */
void ks_timeline_note_terms(KsTimeline *tl, const char *text);
