/* SPDX-License-Identifier: MIT */
/*
 * outfile.h - the program's output files, written whole or not at all.
 *
 * Every output path is checked before anything runs
 * (ks_outfile_check_all); each is then opened (ks_outfile_open), written
 * through its FILE, and finally either committed (the run completed) or
 * discarded (it did not). A regular file, new or existing, is written to a
 * temporary file in its own folder and renamed over it on commit, so a
 * reader never sees half a file and a failed run leaves the old one. A
 * symlink is followed and its target replaced that way; the link stays.
 * Anything else that exists (a FIFO, a terminal, /dev/null, /dev/stdout) is
 * written through as is. "-" is standard output. A temporary file is also
 * deleted when SIGINT, SIGTERM, SIGHUP or SIGPIPE ends the program (a crash
 * can leave one behind, never a partial file under the final name).
 */
#pragma once

#include <stdbool.h>
#include <stdio.h>
#include <sys/types.h>

#include <glib.h>

typedef enum {
    KS_OUTFILE_FILE,   /* a file is written there */
    KS_OUTFILE_FOLDER, /* files are written into it (--dot DIR) */
} KsOutFileKind;

/* One output option. The caller fills @option, @path and @kind; the rest
 * belongs to outfile.c. */
typedef struct {
    const char *option; /* "--trace", for messages */
    const char *path;   /* as given; NULL: not asked for; "-": standard output */
    KsOutFileKind kind;

    bool exists;  /* the resolved path exists */
    bool through; /* written through (not a regular file), never replaced */
    bool sink;    /* a character device: may take more than one output */
    dev_t dev;    /* identity, when it exists */
    ino_t ino;    /* identity, when it exists */
    mode_t mode;  /* permissions of an existing regular file, kept */
    char *target; /* the path finally written: a symlink's target */
    char *canon;  /* absolute and canonical, when it does not exist yet */
    char *tmp;    /* the temporary file, while open */
    FILE *f;      /* while open */
} KsOutFile;

/* Checks every output in @outs (those with a path) and that no two name one
 * file, nor the scenario @input (NULL or "-": standard input). Returns false
 * with @error set to a one-line message naming the option. */
bool ks_outfile_check_all(KsOutFile *outs, size_t n, const char *input, GError **error);

/* Whether @o is the file standard output writes to. */
bool ks_outfile_is_stdout(const KsOutFile *o);

/* Opens @o (checked) for writing: its FILE is then @o->f. Returns false
 * with @error set if it cannot be created. */
bool ks_outfile_open(KsOutFile *o, GError **error);

/* Flushes and closes @o and renames its temporary file into place. Returns
 * false with @error set (and nothing renamed) if any write failed. */
bool ks_outfile_commit(KsOutFile *o, GError **error);

/* Closes @o and deletes its temporary file: nothing is written. Safe on an
 * output that was never opened, and after commit. */
void ks_outfile_discard(KsOutFile *o);
