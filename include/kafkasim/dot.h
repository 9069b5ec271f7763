/* SPDX-License-Identifier: MIT */
/*
 * dot.h - the cluster's topology as a Graphviz diagram.
 *
 * ks_dot_topology() writes the diagram as DOT text, always: machines (with
 * their zone) holding their brokers (with their rack), the controller,
 * every partition with its leader and followers, consumer groups with
 * their coordinator and consumers. It reads the cluster only through the
 * read-only queries, so drawing changes nothing in the run; the same
 * scenario and seed give the same bytes. ks_dot_to_svg() lays the text out
 * and renders it as SVG with Graphviz's own library, in process, when the
 * program was built with it (the `graphviz` Meson feature); without it, it
 * fails with a message saying how to get it.
 */
#pragma once

#include <stdbool.h>

#include <glib.h>

#include "kafkasim/types.h"

#define KS_DOT_ERROR (ks_dot_error_quark())
GQuark ks_dot_error_quark(void);

typedef enum {
    KS_DOT_ERROR_NO_GRAPHVIZ, /* built without Graphviz's library */
    KS_DOT_ERROR_RENDER,      /* Graphviz refused the text or could not lay it out */
} KsDotError;

/* Above this many brokers the diagram is a summary (per broker: partitions
 * led and followed, records stored) instead of one box per partition. */
#define KS_DOT_DETAIL_MAX_BROKERS 12

/* The topology of @sim now as a DOT digraph titled @title (NULL: no title;
 * the simulated time is added to it). Returns a new string; free with
 * g_free(). */
char *ks_dot_topology(const KsSim *sim, const char *title);

/* Whether ks_dot_to_svg() can render (the program was built with
 * Graphviz's library). */
bool ks_dot_can_render(void);

/* Renders the DOT text @dot (borrowed) as SVG with Graphviz's `dot`
 * layout. On success sets *@out_svg to a new string (free with g_free())
 * and returns true; otherwise returns false with @error set: in the
 * KS_DOT_ERROR domain, KS_DOT_ERROR_NO_GRAPHVIZ with the one-line fix when
 * Graphviz is not built in, KS_DOT_ERROR_RENDER with Graphviz's own message
 * when it refuses the text. */
bool ks_dot_to_svg(const char *dot, char **out_svg, GError **error);
