/* SPDX-License-Identifier: MIT */
/*
 * ks-tsv.h - the reference vector files of tests/refs, for the tests that
 * check Kafka's algorithms row by row. Failures go through cmocka's
 * fail_msg, naming the file and line.
 */
#pragma once

#include "ks-test.h"

/* A tab-separated vector file: '#' lines are comments, the first other line
 * names the columns, every later non-empty line is a row. */
typedef struct {
    char *name;
    GStrv header;
    GPtrArray *rows;  /* GStrv, as many fields as the header */
    GArray *line_nos; /* guint, the file line of each row, for messages */
} Tsv;

/* Path of @file in the reference directory: KS_REFS_DIR (set by
 * tests/meson.build), else G_TEST_SRCDIR/refs. Free with g_free(). */
char *refs_path(const char *file);

/* Loads @file from the reference directory. Free with tsv_free(). */
Tsv *tsv_load(const char *file);
void tsv_free(Tsv *t);

/* Field @column of @row; fails if there is no such column. */
const char *tsv_get(const Tsv *t, guint row, const char *column);

/* The file line of @row, for messages. */
guint tsv_line(const Tsv *t, guint row);

/* Field @column of @row as a 64-bit integer; fails if it is not one. */
int64_t tsv_i64(const Tsv *t, guint row, const char *column);

G_DEFINE_AUTOPTR_CLEANUP_FUNC(Tsv, tsv_free)
