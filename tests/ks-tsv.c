/* SPDX-License-Identifier: MIT */
/*
 * ks-tsv.c - reads the reference vector files of tests/refs (see ks-tsv.h).
 */
#include "ks-tsv.h"

#include <string.h>

void tsv_free(Tsv *t)
{
    if (t == NULL)
        return;
    g_free(t->name);
    g_strfreev(t->header);
    g_ptr_array_unref(t->rows);
    g_array_unref(t->line_nos);
    g_free(t);
}

/* KS_REFS_DIR is set by tests/meson.build; G_TEST_SRCDIR/refs is the same
 * directory when the test runs some other way. */
char *refs_path(const char *file)
{
    const char *dir = g_getenv("KS_REFS_DIR");
    if (dir != NULL && *dir != '\0')
        return g_build_filename(dir, file, NULL);
    const char *srcdir = g_getenv("G_TEST_SRCDIR");
    if (srcdir == NULL || *srcdir == '\0')
        fail_msg("neither KS_REFS_DIR nor G_TEST_SRCDIR is set; run through meson test");
    return g_build_filename(srcdir, "refs", file, NULL);
}

Tsv *tsv_load(const char *file)
{
    g_autofree char *path = refs_path(file);
    g_autofree char *text = NULL;
    g_autoptr(GError) error = NULL;
    if (!g_file_get_contents(path, &text, NULL, &error))
        fail_msg("%s", error->message);

    Tsv *t = g_new0(Tsv, 1);
    t->name = g_strdup(file);
    t->rows = g_ptr_array_new_with_free_func((GDestroyNotify)g_strfreev);
    t->line_nos = g_array_new(FALSE, FALSE, sizeof(guint));
    g_auto(GStrv) lines = g_strsplit(text, "\n", -1);
    for (guint i = 0; lines[i] != NULL; i++) {
        char *line = lines[i];
        size_t len = strlen(line);
        if (len > 0 && line[len - 1] == '\r')
            line[len - 1] = '\0';
        if (line[0] == '\0' || line[0] == '#')
            continue;
        GStrv fields = g_strsplit(line, "\t", -1);
        if (t->header == NULL) {
            t->header = fields;
            continue;
        }
        if (g_strv_length(fields) != g_strv_length(t->header))
            fail_msg("%s:%u: %u fields, the header has %u", file, i + 1, g_strv_length(fields),
                     g_strv_length(t->header));
        g_ptr_array_add(t->rows, fields);
        guint line_no = i + 1;
        g_array_append_val(t->line_nos, line_no);
    }
    if (t->header == NULL)
        fail_msg("%s: no header line", file);
    return t;
}

const char *tsv_get(const Tsv *t, guint row, const char *column)
{
    for (guint c = 0; t->header[c] != NULL; c++) {
        if (strcmp(t->header[c], column) == 0)
            return ((GStrv)g_ptr_array_index(t->rows, row))[c];
    }
    fail_msg("%s: no column \"%s\"", t->name, column);
    return NULL;
}

guint tsv_line(const Tsv *t, guint row)
{
    return g_array_index(t->line_nos, guint, row);
}

int64_t tsv_i64(const Tsv *t, guint row, const char *column)
{
    const char *text = tsv_get(t, row, column);
    gint64 value = 0;
    g_autoptr(GError) error = NULL;
    if (!g_ascii_string_to_signed(text, 10, INT64_MIN, INT64_MAX, &value, &error))
        fail_msg("%s:%u: %s: %s", t->name, tsv_line(t, row), column, error->message);
    return value;
}
