/* SPDX-License-Identifier: MIT */
/*
 * output-dot-read.c - Graphviz graphs with ids that do not depend on
 * memory addresses (output-dot-private.h).
 *
 * Graphviz's default id discipline makes a named object's id the address
 * of its interned name, and gives anonymous objects (edges, anonymous
 * subgraphs) ids from one counter shared by every graph of the process.
 * The dot layout orders subgraphs by id, so the same DOT text rendered
 * twice, or after another graph, can come out as an SVG with its clusters
 * in another order: same picture, different bytes. This discipline gives
 * named objects even ids in the order their names first appear (2, 4, ...)
 * and anonymous ones odd ids from a counter of the graph's own, which is
 * what a reader of the text would number them: the same text, the same
 * bytes, in any process.
 */
#include "output-dot-private.h"

#if KS_HAVE_GRAPHVIZ
#include <stdio.h>
#include <string.h>

#include <glib.h>

/* The ids of one graph. */
typedef struct {
    GHashTable *ids;  /* name (borrowed from names) -> id */
    GPtrArray *names; /* of char *, owned: names[id / 2 - 1] */
    IDTYPE next_anonymous;
} Ids;

static void *ids_open(Agraph_t *g, Agdisc_t *disc)
{
    Ids *s = g_new0(Ids, 1);
    s->ids = g_hash_table_new(g_str_hash, g_str_equal);
    s->names = g_ptr_array_new_with_free_func(g_free);
    s->next_anonymous = 1;
    return s;
}

static long ids_map(void *state, int objtype, char *str, IDTYPE *id, int createflag)
{
    Ids *s = state;
    if (!str) {
        *id = s->next_anonymous;
        s->next_anonymous += 2;
        return TRUE;
    }
    void *found = NULL;
    if (g_hash_table_lookup_extended(s->ids, str, NULL, &found)) {
        *id = (IDTYPE)GPOINTER_TO_SIZE(found);
        return TRUE;
    }
    if (!createflag)
        return FALSE;
    char *name = g_strdup(str);
    g_ptr_array_add(s->names, name);
    *id = (IDTYPE)s->names->len * 2;
    g_hash_table_insert(s->ids, name, GSIZE_TO_POINTER((gsize)*id));
    return TRUE;
}

/* Ids are never asked for by number, nor given back. */
static long ids_alloc(void *state, int objtype, IDTYPE request)
{
    return FALSE;
}

static void ids_free(void *state, int objtype, IDTYPE id)
{
}

static char *ids_print(void *state, int objtype, IDTYPE id)
{
    Ids *s = state;
    if (id % 2 != 0 || id == 0 || id / 2 > s->names->len)
        return NULL;
    return g_ptr_array_index(s->names, id / 2 - 1);
}

static void ids_close(void *state)
{
    Ids *s = state;
    g_hash_table_destroy(s->ids);
    g_ptr_array_unref(s->names);
    g_free(s);
}

static void ids_register(void *state, int objtype, void *obj)
{
}

static const Agiddisc_t ids_disc = {ids_open,  ids_map,   ids_alloc,   ids_free,
                                    ids_print, ids_close, ids_register};

Agraph_t *ks_dot_read(const char *dot)
{
    g_return_val_if_fail(dot != NULL && *dot != '\0', NULL);
    FILE *f = fmemopen((void *)dot, strlen(dot), "r");
    if (!f)
        return NULL;
    /* Graphviz takes the discipline as mutable; it never writes it. */
    Agdisc_t disc = {&AgMemDisc, (Agiddisc_t *)&ids_disc, &AgIoDisc};
    Agraph_t *g = agread(f, &disc);
    fclose(f);
    return g;
}
#endif
