/* SPDX-License-Identifier: MIT */
/*
 * outfile.c - output files written whole or not at all (see outfile.h).
 *
 * Checking resolves each path once: an existing file is known by its device
 * and inode (stat follows symlinks, /dev/stdout included), a file still to
 * be created by its canonical path (its folder resolved, a dangling
 * symlink followed), so two spellings of one file are caught. A character
 * device (a terminal, /dev/null) may take two outputs: it is a sink, and
 * nothing replaces it. Only "-" twice is refused there, as it is anywhere.
 */
#include "outfile.h"

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <glib/gstdio.h>

/* Symlinks followed before giving up, as the kernel does (ELOOP). */
enum { MAX_LINKS = 40 };

/* Temporary files being written, deleted if a signal (Ctrl-C, a closed
 * pipe) ends the program first: program state, not the library's. */
enum { MAX_PENDING = 8 };
static const char *volatile pending[MAX_PENDING];

static void remove_pending(int sig)
{
    for (int i = 0; i < MAX_PENDING; i++)
        if (pending[i])
            unlink(pending[i]);
    signal(sig, SIG_DFL);
    raise(sig);
}

static const int caught[] = {SIGINT, SIGTERM, SIGHUP, SIGPIPE};

/* Installs remove_pending once, and blocks (@block) or unblocks the signals
 * it catches: a temporary file is created and tracked with them blocked, so
 * a signal between the two cannot leave it behind. */
static void guard(bool block)
{
    static bool installed;
    sigset_t set;
    sigemptyset(&set);
    for (size_t i = 0; i < G_N_ELEMENTS(caught); i++) {
        sigaddset(&set, caught[i]);
        struct sigaction sa = {.sa_handler = remove_pending}, old;
        sigemptyset(&sa.sa_mask);
        /* A signal the caller ignores stays ignored. */
        if (!installed && sigaction(caught[i], NULL, &old) == 0 && old.sa_handler == SIG_DFL)
            sigaction(caught[i], &sa, NULL);
    }
    installed = true;
    sigprocmask(block ? SIG_BLOCK : SIG_UNBLOCK, &set, NULL);
}

static void track(const char *tmp)
{
    for (int i = 0; i < MAX_PENDING; i++)
        if (!pending[i]) {
            pending[i] = tmp;
            return;
        }
}

static void untrack(const char *tmp)
{
    for (int i = 0; i < MAX_PENDING; i++)
        if (pending[i] == tmp)
            pending[i] = NULL;
}

static bool is_stdout_path(const char *path)
{
    return strcmp(path, "-") == 0;
}

static bool fail(GError **error, const KsOutFile *o, const char *fmt, ...) G_GNUC_PRINTF(3, 4);

/* Sets @error to "OPTION PATH: WHY" and returns false. */
static bool fail(GError **error, const KsOutFile *o, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    g_autofree char *why = g_strdup_vprintf(fmt, ap);
    va_end(ap);
    g_set_error(error, G_FILE_ERROR, G_FILE_ERROR_FAILED, "%s %s: %s", o->option, o->path, why);
    return false;
}

/* Follows @path while it is a symlink; returns where it finally points (a
 * path that need not exist), or NULL after too many links. */
static char *follow_links(const char *path)
{
    char *p = g_strdup(path);
    for (int i = 0; i < MAX_LINKS; i++) {
        GStatBuf st;
        g_autofree char *link = NULL;
        if (g_lstat(p, &st) != 0 || !S_ISLNK(st.st_mode) || !(link = g_file_read_link(p, NULL)))
            return p;
        g_autofree char *dir = g_path_get_dirname(p);
        g_free(p);
        p = g_path_is_absolute(link) ? g_steal_pointer(&link) : g_build_filename(dir, link, NULL);
    }
    g_free(p);
    return NULL;
}

/* Resolves an output that does not exist yet: its folder must. */
static bool check_new(KsOutFile *o, GError **error)
{
    /* A folder to be made may be named with a trailing slash. */
    g_autofree char *path = g_strdup(o->path);
    for (size_t n = strlen(path); n > 1 && path[n - 1] == '/'; n--)
        path[n - 1] = '\0';
    g_autofree char *target = follow_links(path);
    if (!target)
        return fail(error, o, "%s", g_strerror(ELOOP));
    g_autofree char *dir = g_path_get_dirname(target);
    GStatBuf st;
    if (g_stat(dir, &st) != 0 || !S_ISDIR(st.st_mode))
        return fail(error, o, "the folder %s does not exist", dir);
    g_autofree char *real_dir = realpath(dir, NULL);
    if (!real_dir)
        return fail(error, o, "%s: %s", dir, g_strerror(errno));
    g_autofree char *base = g_path_get_basename(target);
    o->canon = g_build_filename(real_dir, base, NULL);
    o->target = g_strdup(o->canon);
    return true;
}

static bool check_one(KsOutFile *o, GError **error)
{
    GStatBuf st;
    int e = 0;
    if (!*o->path)
        return fail(error, o, "an empty name; expected a %s",
                    o->kind == KS_OUTFILE_FILE ? "file" : "folder");
    if (is_stdout_path(o->path)) {
        if (o->kind != KS_OUTFILE_FILE)
            return fail(error, o, "standard output is not a folder");
        if (fstat(STDOUT_FILENO, &st) != 0)
            return fail(error, o, "standard output is closed");
        o->exists = o->through = true;
        o->sink = S_ISCHR(st.st_mode);
        o->dev = st.st_dev;
        o->ino = st.st_ino;
        return true;
    }
    if (g_stat(o->path, &st) != 0) {
        e = errno;
        if (e == ENOENT && o->kind == KS_OUTFILE_FILE && g_str_has_suffix(o->path, "/"))
            return fail(error, o, "names a folder; expected a file");
        if (e == ENOENT)
            return check_new(o, error);
        if (e == ENOTDIR) {
            g_autofree char *dir = g_path_get_dirname(o->path);
            return fail(error, o, "the folder %s does not exist", dir);
        }
        return fail(error, o, "%s", g_strerror(e));
    }
    o->exists = true;
    o->dev = st.st_dev;
    o->ino = st.st_ino;
    if (o->kind == KS_OUTFILE_FOLDER)
        return S_ISDIR(st.st_mode) ? true : fail(error, o, "is not a folder; expected a folder");
    if (S_ISDIR(st.st_mode))
        return fail(error, o, "is a folder; expected a file");
    o->through = !S_ISREG(st.st_mode);
    o->sink = S_ISCHR(st.st_mode);
    o->mode = st.st_mode & 07777;
    if (o->through) {
        o->target = g_strdup(o->path);
        return true;
    }
    /* A regular file, perhaps through symlinks: the file itself is
     * replaced, in its own folder. */
    o->target = realpath(o->path, NULL);
    return o->target ? true : fail(error, o, "%s", g_strerror(errno));
}

static bool same_file(const KsOutFile *a, const KsOutFile *b)
{
    if (is_stdout_path(a->path) && is_stdout_path(b->path))
        return true;
    if (a->exists != b->exists)
        return false;
    if (!a->exists)
        return strcmp(a->canon, b->canon) == 0;
    return a->dev == b->dev && a->ino == b->ino && !a->sink;
}

/* Whether the scenario file @input is @o. */
static bool is_input(const KsOutFile *o, const char *input)
{
    GStatBuf st;
    if (!input || is_stdout_path(input) || !o->exists || g_stat(input, &st) != 0)
        return false;
    return st.st_dev == o->dev && st.st_ino == o->ino;
}

bool ks_outfile_check_all(KsOutFile *outs, size_t n, const char *input, GError **error)
{
    for (size_t i = 0; i < n; i++) {
        KsOutFile *o = &outs[i];
        if (!o->path)
            continue;
        if (!check_one(o, error))
            return false;
        if (is_input(o, input))
            return fail(error, o, "is the scenario file; it would be overwritten");
        for (size_t j = 0; j < i; j++)
            if (outs[j].path && same_file(&outs[j], o)) {
                g_set_error(error, G_FILE_ERROR, G_FILE_ERROR_FAILED,
                            "%s %s and %s %s name the same file", outs[j].option, outs[j].path,
                            o->option, o->path);
                return false;
            }
    }
    return true;
}

bool ks_outfile_is_stdout(const KsOutFile *o)
{
    GStatBuf st;
    if (!o->path)
        return false;
    if (is_stdout_path(o->path))
        return true;
    return o->exists && fstat(STDOUT_FILENO, &st) == 0 && st.st_dev == o->dev &&
           st.st_ino == o->ino;
}

static bool fail_errno(GError **error, const KsOutFile *o, int e)
{
    g_set_error(error, G_FILE_ERROR, g_file_error_from_errno(e), "cannot write %s: %s",
                is_stdout_path(o->path) ? "to standard output" : o->path, g_strerror(e));
    return false;
}

bool ks_outfile_open(KsOutFile *o, GError **error)
{
    g_return_val_if_fail(o->path && !o->f && o->kind == KS_OUTFILE_FILE, false);
    if (is_stdout_path(o->path)) {
        o->f = stdout;
        return true;
    }
    if (o->through) {
        o->f = g_fopen(o->target, "w");
        return o->f ? true : fail_errno(error, o, errno);
    }
    o->tmp = g_strconcat(o->target, ".tmp-XXXXXX", NULL);
    guard(true);
    int fd = g_mkstemp_full(o->tmp, O_WRONLY | O_CLOEXEC, 0666);
    int e = errno;
    if (fd >= 0)
        track(o->tmp);
    guard(false);
    if (fd < 0) {
        g_clear_pointer(&o->tmp, g_free);
        return fail_errno(error, o, e);
    }
    /* An existing file keeps its permissions (a new one gets the umask's). */
    if ((o->exists && fchmod(fd, o->mode) != 0) || !(o->f = fdopen(fd, "w"))) {
        e = errno;
        close(fd);
        ks_outfile_discard(o);
        return fail_errno(error, o, e);
    }
    return true;
}

bool ks_outfile_commit(KsOutFile *o, GError **error)
{
    g_return_val_if_fail(o->f, false);
    FILE *f = g_steal_pointer(&o->f);
    errno = EIO;
    bool ok = fflush(f) == 0 && !ferror(f);
    int e = errno;
    if (f != stdout && fclose(f) != 0 && ok) {
        ok = false;
        e = errno;
    }
    if (ok && o->tmp && g_rename(o->tmp, o->target) != 0) {
        ok = false;
        e = errno;
    }
    if (!ok) {
        ks_outfile_discard(o);
        return fail_errno(error, o, e);
    }
    if (o->tmp)
        untrack(o->tmp);
    g_clear_pointer(&o->tmp, g_free);
    return true;
}

void ks_outfile_discard(KsOutFile *o)
{
    if (o->f && o->f != stdout)
        fclose(o->f);
    o->f = NULL;
    if (o->tmp) {
        g_unlink(o->tmp);
        untrack(o->tmp);
    }
    g_clear_pointer(&o->tmp, g_free);
    g_clear_pointer(&o->target, g_free);
    g_clear_pointer(&o->canon, g_free);
}
