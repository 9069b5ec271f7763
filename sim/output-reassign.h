/* SPDX-License-Identifier: MIT */
/*
 * output-reassign.h - the timeline's lines for partition reassignment (see
 * output-reassign.c).
 *
 * Private to sim/: called by output-timeline.c.
 */
#pragma once

#include <stdbool.h>
#include <stdint.h>

#include "kafkasim/event.h"
#include "kafkasim/output.h"

/* Writes the lines of @ev if it is a reassignment event; returns whether it
 * was one. */
bool ks_timeline_reassign(KsTimeline *tl, const KsEvent *ev);

/* @bytes in decimal units, e.g. "12.5 MB". Free with g_free(). */
char *ks_text_bytes(int64_t bytes);
