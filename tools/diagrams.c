/* SPDX-License-Identifier: MIT */
/*
 * diagrams.c - the diagrams of `run --dot DIR` and `--svg` (see diagrams.h).
 *
 * A diagram's name is its snapshot's name and the time, which is unique
 * unless two snapshots of one name run at the same instant; the second
 * then gets "-2", and so on. Names are checked with a hash table used only
 * for lookups; the diagrams are written in the order they were drawn.
 */
#include "diagrams.h"

#include <errno.h>
#include <string.h>

#include <glib/gstdio.h>

#include "kafkasim/dot.h"
#include "kafkasim/output.h"
#include "kafkasim/sim.h"
#include "outfile.h"

struct KsDiagrams {
    KsSim *sim;
    GPtrArray *names;  /* of char *: file names without extension, in drawing order */
    GPtrArray *dots;   /* of char *: the DOT text of each */
    GHashTable *taken; /* the names, for lookups only */
};

KsDiagrams *ks_diagrams_new(KsSim *sim)
{
    KsDiagrams *d = g_new0(KsDiagrams, 1);
    d->sim = sim;
    d->names = g_ptr_array_new_with_free_func(g_free);
    d->dots = g_ptr_array_new_with_free_func(g_free);
    d->taken = g_hash_table_new(g_str_hash, g_str_equal);
    return d;
}

void ks_diagrams_free(KsDiagrams *d)
{
    if (!d)
        return;
    g_hash_table_destroy(d->taken);
    g_ptr_array_free(d->names, TRUE);
    g_ptr_array_free(d->dots, TRUE);
    g_free(d);
}

/* Draws the cluster now as the diagram @title. */
static void add(KsDiagrams *d, const char *title)
{
    g_autofree char *now = ks_format_time(ks_sim_now(d->sim));
    char *name = g_strdup_printf("%s-%s", title, now);
    for (int n = 2; g_hash_table_contains(d->taken, name); n++) {
        g_free(name);
        name = g_strdup_printf("%s-%s-%d", title, now, n);
    }
    g_ptr_array_add(d->names, name);
    g_hash_table_add(d->taken, name);
    g_ptr_array_add(d->dots, ks_dot_topology(d->sim, title));
}

void ks_diagrams_sink(const KsEvent *event, void *diagrams)
{
    if (event->type == KS_EV_SNAPSHOT)
        add(diagrams, event->snapshot.name);
}

void ks_diagrams_add_end(KsDiagrams *d)
{
    add(d, "end");
}

/* Makes the folder @dir unless it exists (its parent was checked). */
static bool make_folder(const char *option, const char *dir, GError **error)
{
    if (g_mkdir(dir, 0777) == 0 || errno == EEXIST)
        return true;
    int e = errno;
    g_set_error(error, G_FILE_ERROR, g_file_error_from_errno(e),
                "%s %s: cannot make the folder: %s", option, dir, g_strerror(e));
    return false;
}

/* Writes @text to @dir/@name@ext, whole or not at all. */
static bool write_one(const char *option, const char *dir, const char *name, const char *ext,
                      const char *text, GError **error)
{
    g_autofree char *base = g_strconcat(name, ext, NULL);
    g_autofree char *path = g_build_filename(dir, base, NULL);
    KsOutFile o = {.option = option, .path = path, .kind = KS_OUTFILE_FILE};
    bool ok = ks_outfile_check_all(&o, 1, NULL, error) && ks_outfile_open(&o, error);
    if (ok) {
        fputs(text, o.f);
        ok = ks_outfile_commit(&o, error);
    }
    ks_outfile_discard(&o);
    return ok;
}

bool ks_diagrams_write(KsDiagrams *d, const char *dot_option, const char *dot_dir,
                       const char *svg_option, const char *svg_dir, GError **error)
{
    g_autoptr(GPtrArray) svgs = g_ptr_array_new_with_free_func(g_free);
    for (guint i = 0; svg_dir && i < d->dots->len; i++) {
        char *svg = NULL;
        if (!ks_dot_to_svg(g_ptr_array_index(d->dots, i), &svg, error)) {
            g_prefix_error(error, "%s: ", svg_option);
            return false;
        }
        g_ptr_array_add(svgs, svg);
    }
    if ((dot_dir && !make_folder(dot_option, dot_dir, error)) ||
        (svg_dir && !make_folder(svg_option, svg_dir, error)))
        return false;
    for (guint i = 0; i < d->names->len; i++) {
        const char *name = g_ptr_array_index(d->names, i);
        if (dot_dir &&
            !write_one(dot_option, dot_dir, name, ".dot", g_ptr_array_index(d->dots, i), error))
            return false;
        if (svg_dir &&
            !write_one(svg_option, svg_dir, name, ".svg", g_ptr_array_index(svgs, i), error))
            return false;
    }
    return true;
}
