/* SPDX-License-Identifier: MIT */
/*
 * diagrams.h - the topology diagrams of `run --dot DIR` and `--svg`.
 *
 * One diagram per `snapshot` action, drawn when it runs, and one at the end
 * of the run, each named after its snapshot and its time
 * ("after-failover-22.000s.dot", "end-30.000s.dot"). They are kept in
 * memory while the run goes, rendered as SVG once it has completed, and
 * only then written, each file whole (outfile.h): a run that does not
 * complete writes none.
 */
#pragma once

#include <stdbool.h>

#include <glib.h>

#include "kafkasim/event.h"
#include "kafkasim/types.h"

typedef struct KsDiagrams KsDiagrams;

/* Returns an empty set of diagrams of @sim (borrowed; it must outlive
 * them). Free with ks_diagrams_free(). */
KsDiagrams *ks_diagrams_new(KsSim *sim);
void ks_diagrams_free(KsDiagrams *d);

/* Event sink: pass to ks_sim_add_sink() with the diagrams as context; it
 * draws the cluster at every snapshot. */
void ks_diagrams_sink(const KsEvent *event, void *diagrams);

/* Draws the cluster as it is now, as the diagram "end". */
void ks_diagrams_add_end(KsDiagrams *d);

/* Writes every diagram as DOT into the folder @dot_dir and as SVG into
 * @svg_dir (either NULL: not written), making a folder that does not exist
 * yet (its parent must). Every SVG is rendered before the first file is
 * written. Returns false with @error set (a one-line message naming
 * @dot_option or @svg_option) if rendering or writing fails. */
bool ks_diagrams_write(KsDiagrams *d, const char *dot_option, const char *dot_dir,
                       const char *svg_option, const char *svg_dir, GError **error);

G_DEFINE_AUTOPTR_CLEANUP_FUNC(KsDiagrams, ks_diagrams_free)
