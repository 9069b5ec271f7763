/* SPDX-License-Identifier: MIT */
/*
 * output-dot-private.h - reading DOT text into Graphviz's graph so that
 * rendering it gives the same bytes every time. Private to sim/; only with
 * Graphviz built in (KS_HAVE_GRAPHVIZ).
 */
#pragma once

#include "ks-config.h"

#if KS_HAVE_GRAPHVIZ
#include <graphviz/cgraph.h>

/* Parses @dot (borrowed) as agmemread() does, but with object ids given in
 * the order names first appear in the text. Returns a new graph (close
 * with agclose()), or NULL if Graphviz refuses the text. */
Agraph_t *ks_dot_read(const char *dot);
#endif
