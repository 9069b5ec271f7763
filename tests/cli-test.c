/* SPDX-License-Identifier: MIT */
/*
 * cli-test.c - runs the kafkasim program the way a user does and checks what
 * a user would see. One program, several modes, one Meson test per file:
 *
 *   cli-test KAFKASIM bad FILE
 *       FILE is a malformed scenario whose first line is
 *       "# error: LINE:COL: SUBSTRING". `run` and `check` must both exit 2
 *       with exactly one line on stderr, "FILE:LINE:COL: error: ...",
 *       containing SUBSTRING, print nothing on stdout, and leave no output
 *       file behind.
 *   cli-test KAFKASIM scenario FILE
 *       `run FILE` must exit 0 (every expect held) and write a summary whose
 *       expectations all held.
 *   cli-test KAFKASIM golden FILE EXPECTED.json
 *       the summary JSON of `run FILE` equals EXPECTED.json byte for byte:
 *       this pins the contract's key order and shapes.
 *   cli-test KAFKASIM describe FILE T EXPECTED [OPTION...]
 *       `describe FILE --at T [OPTION...]` prints EXPECTED byte for byte
 *       (the layout of kafka-topics.sh --describe, or with --groups of
 *       kafka-consumer-groups.sh --describe).
 *   cli-test KAFKASIM until FILE T T_US
 *       `run FILE --until T` stops at T: the summary's time is T_US, and
 *       the summary says the end-of-run expectations were not checked.
 *   cli-test KAFKASIM partition N KEY EXPECTED
 *       `partition --partitions N KEY` names partition EXPECTED.
 *   cli-test KAFKASIM deterministic FILE varies|fixed
 *       for each of three seeds, two runs with that --seed give
 *       byte-identical traces and summaries; with "varies", the three seeds
 *       also give three different runs (traces and summaries, the summary's
 *       own "seed" line aside). "fixed" is for scenarios with nothing left
 *       to chance (see tests/meson.build).
 *   cli-test KAFKASIM outputs CASE FILE
 *       the output files of `run FILE` (FILE's expectations all hold) are
 *       written whole or not at all; CASE is one of the cases of
 *       output_cases[] below, each saying what it checks.
 *   cli-test KAFKASIM trace-golden FILE DIR
 *       the timeline `run FILE` prints, its `--trace` and its
 *       `--summary-json` equal DIR/NAME.timeline, DIR/NAME.trace.jsonl and
 *       DIR/NAME.summary.json byte for byte, where NAME
 *       is FILE's name without ".ks". With KS_UPDATE_GOLDEN=1 in the
 *       environment it writes those files instead (and passes), so a change
 *       of behaviour updates them in the same commit and the diff shows it.
 *   cli-test KAFKASIM diagrams FILE DIR [DOT]
 *       the DOT files `run FILE --dot TMP` writes (one per snapshot, one at
 *       the end) equal DIR/NAME.<file> byte for byte, and no other
 *       DIR/NAME.*.dot exists (KS_UPDATE_GOLDEN=1 writes them); with DOT,
 *       the path of Graphviz's dot program, `dot -Tsvg` accepts each of
 *       them without a word on stderr.
 *   cli-test KAFKASIM refused WANT ARG...
 *       `kafkasim ARG...` is bad input: exit 2, one line on stderr,
 *       "kafkasim: error: ..." containing WANT, nothing on stdout.
 *   cli-test KAFKASIM svg FILE
 *       `--svg DIR`, `--svg=DIR` and `--dot DIR --svg` write one SVG per
 *       DOT file, where they say; built without Graphviz, `--svg` exits 2
 *       with the one-line fix and writes nothing.
 *
 * Exit status: 0 pass, 1 fail (with the reason on stderr), 77 skip.
 */
#include <fcntl.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>
#include <signal.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <glib.h>
#include <glib/gstdio.h>

#include "ks-config.h"

static const char *kafkasim;

static G_GNUC_PRINTF(1, 2) int fail(const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    g_autofree char *msg = g_strdup_vprintf(fmt, ap);
    va_end(ap);
    fprintf(stderr, "FAIL: %s\n", msg);
    return 1;
}

/* In the child, before exec: standard input from the file named by @path. */
static void stdin_from(void *path)
{
    int fd = open(path, O_RDONLY);
    if (fd >= 0)
        dup2(fd, STDIN_FILENO);
}

/* Runs kafkasim with @args and standard input from @stdin_path (NULL: this
 * program's); returns its exit status (-1 if it did not exit normally, e.g.
 * a crash). */
static int run_stdin(const char *const *args, const char *stdin_path, char **out, char **err)
{
    g_autoptr(GPtrArray) argv = g_ptr_array_new();
    g_ptr_array_add(argv, (char *)kafkasim);
    for (const char *const *a = args; *a; a++)
        g_ptr_array_add(argv, (char *)*a);
    g_ptr_array_add(argv, NULL);
    int wait_status = 0;
    g_autoptr(GError) error = NULL;
    if (!g_spawn_sync(NULL, (char **)argv->pdata, NULL,
                      stdin_path ? G_SPAWN_CHILD_INHERITS_STDIN : G_SPAWN_DEFAULT,
                      stdin_path ? stdin_from : NULL, (void *)stdin_path, out, err, &wait_status,
                      &error)) {
        fprintf(stderr, "cannot run %s: %s\n", kafkasim, error->message);
        return -1;
    }
    if (!WIFEXITED(wait_status))
        return -1;
    return WEXITSTATUS(wait_status);
}

static int run(const char *const *args, char **out, char **err)
{
    return run_stdin(args, NULL, out, err);
}

static int count_files(const char *dir)
{
    g_autoptr(GDir) d = g_dir_open(dir, 0, NULL);
    int n = 0;
    while (d && g_dir_read_name(d))
        n++;
    return n;
}

static int check_bad(const char *file)
{
    g_autofree char *text = NULL;
    if (!g_file_get_contents(file, &text, NULL, NULL))
        return fail("cannot read %s", file);
    int line = 0, col = 0, used = 0;
    if (sscanf(text, "# error: %d:%d: %n", &line, &col, &used) != 2 || used == 0)
        return fail("%s: first line must be '# error: LINE:COL: SUBSTRING'", file);
    g_autofree char *substring = g_strndup(text + used, strcspn(text + used, "\n"));
    g_autofree char *prefix = g_strdup_printf("%s:%d:%d: error: ", file, line, col);

    g_autofree char *dir = g_dir_make_tmp("kafkasim-bad-XXXXXX", NULL);
    g_autofree char *summary = g_build_filename(dir, "summary.json", NULL);
    g_autofree char *trace = g_build_filename(dir, "trace.jsonl", NULL);
    const char *run_args[] = {"run", file, "--summary-json", summary, "--trace", trace, NULL};
    const char *check_args[] = {"check", file, NULL};
    const char *const *cases[] = {run_args, check_args};
    int result = 0;
    for (size_t i = 0; i < G_N_ELEMENTS(cases) && result == 0; i++) {
        g_autofree char *out = NULL, *err = NULL;
        int status = run(cases[i], &out, &err);
        if (status != 2)
            result = fail("%s %s: exit status %d, expected 2; stderr: %s", cases[i][0], file,
                          status, err);
        else if (!g_str_has_prefix(err, prefix))
            result = fail("%s: stderr is\n  %s\nexpected it to start with\n  %s", cases[i][0], err,
                          prefix);
        else if (!strstr(err, substring))
            result = fail("%s: message\n  %s\ndoes not contain '%s'", cases[i][0], err, substring);
        else if (strchr(err, '\n') != err + strlen(err) - 1)
            result = fail("%s: the message must be exactly one line:\n%s", cases[i][0], err);
        else if (*out)
            result = fail("%s: printed on stdout for bad input:\n%s", cases[i][0], out);
        else if (count_files(dir) != 0)
            result = fail("%s: left an output file behind in %s", cases[i][0], dir);
    }
    g_remove(summary);
    g_remove(trace);
    g_rmdir(dir);
    return result;
}

static int check_scenario(const char *file)
{
    g_autofree char *dir = g_dir_make_tmp("kafkasim-scn-XXXXXX", NULL);
    g_autofree char *summary = g_build_filename(dir, "summary.json", NULL);
    const char *args[] = {"run", file, "--quiet", "--summary-json", summary, NULL};
    g_autofree char *out = NULL, *err = NULL;
    int status = run(args, &out, &err);
    int result = 0;
    if (status != 0)
        result = fail("run %s: exit status %d, expected 0\n%s%s", file, status, out, err);
    g_autofree char *json = NULL;
    if (result == 0 && !g_file_get_contents(summary, &json, NULL, NULL))
        result = fail("no summary written");
    else if (result == 0 && strstr(json, "\"held\" : false"))
        result = fail("summary has a failed expectation:\n%s", json);
    else if (result == 0 && !strstr(json, "\"held\" : true"))
        result = fail("%s checks nothing: a scenario needs expect lines", file);
    g_remove(summary);
    g_rmdir(dir);
    return result;
}

/* Runs @file with @seed; returns its trace followed by its summary, without
 * the summary's "seed" line (which names the seed, whatever the run did). */
static char *run_trace(const char *file, const char *seed, const char *dir, const char *tag)
{
    g_autofree char *trace = g_build_filename(dir, tag, NULL);
    g_autofree char *summary = g_strconcat(trace, ".json", NULL);
    const char *args[] = {"run",   file,     "--quiet", "--trace", trace, "--summary-json",
                          summary, "--seed", seed,      NULL};
    g_autofree char *out = NULL, *err = NULL;
    if (run(args, &out, &err) < 0)
        return NULL;
    g_autofree char *a = NULL, *b = NULL;
    g_file_get_contents(trace, &a, NULL, NULL);
    g_file_get_contents(summary, &b, NULL, NULL);
    g_remove(trace);
    g_remove(summary);
    if (!a || !b)
        return NULL;
    g_autofree char *seed_line = g_strdup_printf("\n  \"seed\" : %s,\n", seed);
    char *at = strstr(b, seed_line);
    if (!at)
        return NULL;
    memmove(at + 1, at + strlen(seed_line), strlen(at + strlen(seed_line)) + 1);
    return g_strconcat(a, b, NULL);
}

static int check_deterministic(const char *file, const char *how)
{
    bool varies = strcmp(how, "varies") == 0;
    if (!varies && strcmp(how, "fixed") != 0)
        return fail("deterministic: expected varies or fixed, not %s", how);
    const char *seeds[] = {"1", "2", "3"};
    char *runs[G_N_ELEMENTS(seeds)] = {NULL};
    /* KS_TEST_SAMPLE (the sanitizer build): seeds 1 and 2, seed 1 twice. */
    bool sample = g_getenv("KS_TEST_SAMPLE") != NULL;
    size_t n_seeds = sample ? 2 : G_N_ELEMENTS(seeds);
    g_autofree char *dir = g_dir_make_tmp("kafkasim-det-XXXXXX", NULL);
    int result = 0;
    for (size_t i = 0; i < n_seeds && result == 0; i++) {
        runs[i] = run_trace(file, seeds[i], dir, "a.jsonl");
        g_autofree char *again =
            sample && i > 0 ? g_strdup(runs[i]) : run_trace(file, seeds[i], dir, "b.jsonl");
        if (!runs[i] || !again)
            result = fail("--seed %s: no trace or summary written", seeds[i]);
        else if (strlen(runs[i]) < 100)
            result = fail("--seed %s: the trace is nearly empty:\n%s", seeds[i], runs[i]);
        else if (strcmp(runs[i], again) != 0)
            result = fail("two runs with --seed %s gave different traces or summaries", seeds[i]);
        for (size_t j = 0; j < i && result == 0 && varies; j++)
            if (strcmp(runs[i], runs[j]) == 0)
                result = fail("--seed %s and --seed %s gave the same run: the seed changes "
                              "nothing",
                              seeds[j], seeds[i]);
    }
    for (size_t i = 0; i < G_N_ELEMENTS(seeds); i++)
        g_free(runs[i]);
    g_rmdir(dir);
    return result;
}

static int check_golden(const char *file, const char *expected_path)
{
    g_autofree char *dir = g_dir_make_tmp("kafkasim-gold-XXXXXX", NULL);
    g_autofree char *summary = g_build_filename(dir, "summary.json", NULL);
    const char *args[] = {"run", file, "--quiet", "--summary-json", summary, NULL};
    g_autofree char *out = NULL, *err = NULL, *got = NULL, *want = NULL;
    int status = run(args, &out, &err);
    g_file_get_contents(summary, &got, NULL, NULL);
    g_remove(summary);
    g_rmdir(dir);
    if (status != 0)
        return fail("run %s: exit status %d\n%s", file, status, err);
    if (!g_file_get_contents(expected_path, &want, NULL, NULL))
        return fail("cannot read %s", expected_path);
    if (!got || strcmp(got, want) != 0)
        return fail("the summary of %s differs from %s; it is:\n%s", file, expected_path, got);
    return 0;
}

/* Compares @got with the file at @path, or writes it there when updating. */
static int compare_golden(const char *what, const char *got, const char *path)
{
    if (g_getenv("KS_UPDATE_GOLDEN")) {
        g_autoptr(GError) error = NULL;
        if (!g_file_set_contents(path, got, -1, &error))
            return fail("cannot write %s: %s", path, error->message);
        return 0;
    }
    g_autofree char *want = NULL;
    if (!g_file_get_contents(path, &want, NULL, NULL))
        return fail("cannot read %s (KS_UPDATE_GOLDEN=1 writes it)", path);
    if (strcmp(got, want) == 0)
        return 0;
    size_t at = 0, line = 1;
    while (got[at] && got[at] == want[at])
        line += got[at++] == '\n';
    return fail("the %s differs from %s from line %zu on (KS_UPDATE_GOLDEN=1 rewrites it after "
                "a deliberate change); it is now:\n%s",
                what, path, line, got);
}

static int check_trace_golden(const char *file, const char *golden_dir)
{
    g_autofree char *base = g_path_get_basename(file);
    g_autofree char *name = g_strndup(base, strlen(base) - (g_str_has_suffix(base, ".ks") ? 3 : 0));
    g_autofree char *tmp = g_dir_make_tmp("kafkasim-trace-XXXXXX", NULL);
    g_autofree char *trace = g_build_filename(tmp, "trace.jsonl", NULL);
    g_autofree char *summary = g_build_filename(tmp, "summary.json", NULL);
    const char *args[] = {"run", file, "--trace", trace, "--summary-json", summary, NULL};
    g_autofree char *out = NULL, *err = NULL, *got_trace = NULL, *got_summary = NULL;
    int status = run(args, &out, &err);
    g_file_get_contents(trace, &got_trace, NULL, NULL);
    g_file_get_contents(summary, &got_summary, NULL, NULL);
    g_remove(trace);
    g_remove(summary);
    g_rmdir(tmp);
    if (status != 0 && status != 1)
        return fail("run %s: exit status %d\n%s", file, status, err);
    if (!got_trace || !got_summary)
        return fail("run %s wrote no trace or no summary", file);
    g_autofree char *timeline_path = g_strconcat(golden_dir, "/", name, ".timeline", NULL);
    g_autofree char *trace_path = g_strconcat(golden_dir, "/", name, ".trace.jsonl", NULL);
    g_autofree char *summary_path = g_strconcat(golden_dir, "/", name, ".summary.json", NULL);
    int result = compare_golden("timeline", out, timeline_path);
    if (result == 0)
        result = compare_golden("trace", got_trace, trace_path);
    return result ? result : compare_golden("summary", got_summary, summary_path);
}

/* The names of the files in @dir ending in @suffix, sorted. */
static GPtrArray *files_in(const char *dir, const char *prefix, const char *suffix)
{
    GPtrArray *names = g_ptr_array_new_with_free_func(g_free);
    g_autoptr(GDir) d = g_dir_open(dir, 0, NULL);
    for (const char *n; d && (n = g_dir_read_name(d));)
        if (g_str_has_prefix(n, prefix) && g_str_has_suffix(n, suffix))
            g_ptr_array_add(names, g_strdup(n));
    g_ptr_array_sort(names, (GCompareFunc)g_ascii_strcasecmp);
    return names;
}

/* Runs Graphviz's @dot_program -Tsvg on @path: it must exit 0 and say
 * nothing on stderr. */
static int dot_accepts(const char *dot_program, const char *path)
{
    const char *argv[] = {dot_program, "-Tsvg", "-o", "/dev/null", path, NULL};
    g_autofree char *out = NULL, *err = NULL;
    int wait_status = 0;
    g_autoptr(GError) error = NULL;
    if (!g_spawn_sync(NULL, (char **)argv, NULL, G_SPAWN_DEFAULT, NULL, NULL, &out, &err,
                      &wait_status, &error))
        return fail("cannot run %s: %s", dot_program, error->message);
    if (!WIFEXITED(wait_status) || WEXITSTATUS(wait_status) != 0 || *err)
        return fail("%s -Tsvg %s refused it:\n%s", dot_program, path, err);
    return 0;
}

static void remove_tree(const char *dir);

static int check_diagrams(const char *file, const char *golden_dir, const char *dot_program)
{
    g_autofree char *base = g_path_get_basename(file);
    g_autofree char *name = g_strndup(base, strlen(base) - (g_str_has_suffix(base, ".ks") ? 3 : 0));
    g_autofree char *tmp = g_dir_make_tmp("kafkasim-dot-XXXXXX", NULL);
    g_autofree char *dir = g_build_filename(tmp, "diagrams", NULL);
    const char *args[] = {"run", file, "--quiet", "--dot", dir, NULL};
    g_autofree char *out = NULL, *err = NULL;
    int status = run(args, &out, &err);
    g_autoptr(GPtrArray) got = files_in(dir, "", ".dot");
    g_autofree char *prefix = g_strconcat(name, ".", NULL);
    g_autoptr(GPtrArray) want = files_in(golden_dir, prefix, ".dot");
    int result = 0;
    if (status != 0 && status != 1)
        result = fail("run %s --dot: exit status %d\n%s", file, status, err);
    else if (got->len == 0)
        result = fail("run %s --dot wrote no diagram", file);
    for (guint i = 0; result == 0 && i < got->len; i++) {
        g_autofree char *path = g_build_filename(dir, got->pdata[i], NULL);
        g_autofree char *golden_name = g_strconcat(prefix, got->pdata[i], NULL);
        g_autofree char *golden = g_build_filename(golden_dir, golden_name, NULL);
        g_autofree char *text = NULL;
        if (!g_file_get_contents(path, &text, NULL, NULL))
            result = fail("cannot read %s", path);
        else if ((result = compare_golden("diagram", text, golden)) == 0 && dot_program)
            result = dot_accepts(dot_program, path);
    }
    if (result == 0 && !g_getenv("KS_UPDATE_GOLDEN") && want->len != got->len)
        result = fail("run %s --dot wrote %u diagrams; %s has %u %s*.dot files", file, got->len,
                      golden_dir, want->len, prefix);
    remove_tree(tmp);
    return result;
}

/* The SVG files in @dir: one per diagram of the quickstart (three
 * snapshots and the end), each an SVG document. */
static int expect_svgs(const char *dir, const char *how)
{
    g_autoptr(GPtrArray) svgs = files_in(dir, "", ".svg");
    if (svgs->len != 4)
        return fail("%s: %u SVG files in %s, expected 4", how, svgs->len, dir);
    for (guint i = 0; i < svgs->len; i++) {
        g_autofree char *path = g_build_filename(dir, svgs->pdata[i], NULL);
        g_autofree char *text = NULL;
        if (!g_file_get_contents(path, &text, NULL, NULL) || !strstr(text, "</svg>"))
            return fail("%s: %s is not a whole SVG document", how, path);
    }
    return 0;
}

static int check_svg(const char *file)
{
    g_autofree char *tmp = g_dir_make_tmp("kafkasim-svg-XXXXXX", NULL);
    g_autofree char *spaced = g_build_filename(tmp, "spaced", NULL);
    g_autofree char *equals = g_build_filename(tmp, "equals", NULL);
    g_autofree char *beside = g_build_filename(tmp, "beside", NULL);
    g_autofree char *equals_arg = g_strconcat("--svg=", equals, NULL);
    const char *a[] = {"run", file, "--quiet", "--svg", spaced, NULL};
    const char *b[] = {"run", equals_arg, "--quiet", file, NULL};
    const char *c[] = {"run", "--dot", beside, "--svg", file, "--quiet", NULL};
    const char *const *cases[] = {a, b, c};
    const char *dirs[] = {spaced, equals, beside};
    int result = 0;
    for (size_t i = 0; result == 0 && i < G_N_ELEMENTS(cases); i++) {
        g_autofree char *out = NULL, *err = NULL;
        int status = run(cases[i], &out, &err);
        if (!KS_HAVE_GRAPHVIZ) {
            if (status != 2 || !strstr(err, "apt-get install libgraphviz-dev") ||
                count_files(tmp) != 0)
                result = fail("--svg without Graphviz: exit status %d, stderr %s", status, err);
        } else if (status != 0) {
            result = fail("--svg (case %zu): exit status %d\n%s", i + 1, status, err);
        } else {
            result = expect_svgs(dirs[i], cases[i][3]);
        }
    }
    g_autoptr(GPtrArray) dots = files_in(beside, "", ".dot");
    if (result == 0 && KS_HAVE_GRAPHVIZ && dots->len != 4)
        result = fail("--dot DIR --svg: %u DOT files beside the SVG files, expected 4", dots->len);
    const char *bare[] = {"run", file, "--svg", NULL};
    g_autofree char *out = NULL, *err = NULL;
    if (result == 0 && (run(bare, &out, &err) != 2 || !strstr(err, "--svg needs a folder")))
        result = fail("a bare --svg without --dot: stderr %s", err);
    remove_tree(tmp);
    return result;
}

/* @extra: further options (NULL-terminated), e.g. --groups. */
static int check_describe(const char *file, const char *at, const char *expected_path, char **extra)
{
    const char *args[16] = {"describe", file, "--at", at};
    for (int i = 0; extra[i] && i < 11; i++)
        args[4 + i] = extra[i];
    g_autofree char *out = NULL, *err = NULL, *want = NULL;
    int status = run(args, &out, &err);
    if (status != 0)
        return fail("describe %s --at %s: exit status %d\n%s", file, at, status, err);
    if (!g_file_get_contents(expected_path, &want, NULL, NULL))
        return fail("cannot read %s", expected_path);
    if (strcmp(out, want) != 0)
        return fail("describe %s --at %s printed\n%s\nexpected (%s)\n%s", file, at, out,
                    expected_path, want);
    return 0;
}

static int check_until(const char *file, const char *at, const char *at_us)
{
    g_autofree char *dir = g_dir_make_tmp("kafkasim-until-XXXXXX", NULL);
    g_autofree char *summary = g_build_filename(dir, "summary.json", NULL);
    const char *args[] = {"run", file, "--quiet", "--until", at, "--summary-json", summary, NULL};
    g_autofree char *out = NULL, *err = NULL, *json = NULL;
    int status = run(args, &out, &err);
    g_file_get_contents(summary, &json, NULL, NULL);
    g_remove(summary);
    g_rmdir(dir);
    if (status != 0)
        return fail("run %s --until %s: exit status %d\n%s%s", file, at, status, out, err);
    g_autofree char *want_time = g_strdup_printf("\"time_us\" : %s,", at_us);
    if (!json || !strstr(json, want_time))
        return fail("the summary does not say %s:\n%s", want_time, json);
    if (!strstr(out, "not checked: the run was stopped early by --until"))
        return fail("the summary does not say the end-of-run expectations were not checked:\n%s",
                    out);
    return 0;
}

static int check_partition(const char *n, const char *key, const char *expected)
{
    const char *args[] = {"partition", "--partitions", n, key, NULL};
    g_autofree char *out = NULL, *err = NULL;
    int status = run(args, &out, &err);
    g_autofree char *want = g_strdup_printf("%s\t%s\t", key, expected);
    if (status != 0 || !g_str_has_prefix(out, want))
        return fail("partition --partitions %s %s printed (status %d)\n%s\nexpected it to "
                    "start with '%s'",
                    n, key, status, out, want);
    return 0;
}

/* ---- output files: whole or not at all ---- */

/* One case of `outputs`: FILE, a scenario whose expectations hold, and a
 * fresh temporary folder to write in. */
typedef struct {
    const char *scenario;
    char *dir;
} OutCase;

static char *in_dir(const OutCase *c, const char *name)
{
    return g_build_filename(c->dir, name, NULL);
}

static char *read_all(const char *path)
{
    char *text = NULL;
    return g_file_get_contents(path, &text, NULL, NULL) ? text : NULL;
}

static bool write_all(const char *path, const char *text)
{
    return g_file_set_contents(path, text, -1, NULL);
}

/* Runs kafkasim with @args: it must refuse them as bad input (exit 2, one
 * line "kafkasim: error: ..." containing @want, nothing on stdout). */
static int expect_refused(const char *const *args, const char *want)
{
    g_autofree char *out = NULL, *err = NULL;
    int status = run(args, &out, &err);
    if (status != 2)
        return fail("%s: exit status %d, expected 2; stderr: %s", want, status, err);
    if (!g_str_has_prefix(err, "kafkasim: error: ") || !strstr(err, want))
        return fail("stderr is\n  %s\nexpected 'kafkasim: error: ...%s...'", err, want);
    if (strchr(err, '\n') != err + strlen(err) - 1)
        return fail("the message must be exactly one line:\n%s", err);
    if (*out)
        return fail("printed on stdout when refusing: %s", out);
    return 0;
}

static int expect_file(const char *path, const char *want)
{
    g_autofree char *got = read_all(path);
    if (!got || strcmp(got, want) != 0)
        return fail("%s holds\n%s\nexpected\n%s", path, got ? got : "(nothing)", want);
    return 0;
}

static int expect_count(const OutCase *c, int want)
{
    int n = count_files(c->dir);
    return n == want ? 0 : fail("%s holds %d files, expected %d", c->dir, n, want);
}

/* Runs FILE writing its trace and summary to @trace and @summary (either
 * NULL) with @extra options; returns its stdout, or NULL (after saying why)
 * if it did not exit 0. */
static char *run_ok(const OutCase *c, const char *trace, const char *summary, char **err)
{
    const char *args[8] = {"run", c->scenario, "--quiet"};
    int n = 3;
    if (trace) {
        args[n++] = "--trace";
        args[n++] = trace;
    }
    if (summary) {
        args[n++] = "--summary-json";
        args[n++] = summary;
    }
    char *out = NULL;
    int status = run(args, &out, err);
    if (status == 0)
        return out;
    fail("run %s: exit status %d, expected 0: %s", c->scenario, status, *err);
    g_free(out);
    return NULL;
}

/* The trace and summary of an ordinary run of FILE, for comparison. */
static bool reference(const OutCase *c, char **trace, char **summary)
{
    g_autofree char *t = in_dir(c, "ref.jsonl"), *s = in_dir(c, "ref.json");
    g_autofree char *err = NULL, *out = run_ok(c, t, s, &err);
    *trace = read_all(t);
    *summary = read_all(s);
    g_remove(t);
    g_remove(s);
    return out && *trace && *summary;
}

/* Runs kafkasim with @args: it must exit 0 and print @want on stdout.
 * Its stderr goes to @err unless NULL. */
static int expect_stdout(const char *const *args, const char *want, char **err)
{
    g_autofree char *out = NULL, *err_text = NULL;
    int status = run(args, &out, &err_text);
    if (status != 0 || strcmp(out, want) != 0) {
        g_autofree char *cmd = g_strjoinv(" ", (char **)args);
        return fail("%s: exit status %d, and stdout is not\n%s\nbut\n%s", cmd, status, want, out);
    }
    if (err)
        *err = g_steal_pointer(&err_text);
    return 0;
}

/* A folder where a file is expected: refused, nothing written. */
static int out_folder(OutCase *c)
{
    const char *args[] = {"run", c->scenario, "--trace", c->dir, NULL};
    int r = expect_refused(args, "is a folder; expected a file");
    return r ? r : expect_count(c, 0);
}

/* A folder that does not exist: refused, nothing written anywhere. */
static int out_missing_folder(OutCase *c)
{
    g_autofree char *summary = in_dir(c, "nope/summary.json");
    g_autofree char *trace = in_dir(c, "trace.jsonl");
    const char *args[] = {"run", c->scenario, "--trace", trace, "--summary-json", summary, NULL};
    int r = expect_refused(args, "does not exist");
    return r ? r : expect_count(c, 0);
}

/* Two options naming one file, spelled differently or through a symlink,
 * and either option naming the scenario: refused, nothing touched. */
static int out_same_file(OutCase *c)
{
    g_autofree char *sub = in_dir(c, "sub"), *a = in_dir(c, "a.json");
    g_autofree char *a2 = in_dir(c, "sub/../a.json");
    g_mkdir(sub, 0755);
    const char *args[] = {"run", c->scenario, "--trace", a, "--summary-json", a2, NULL};
    int r = expect_refused(args, "name the same file");
    if (r || (r = expect_count(c, 1)))
        return r;
    g_autofree char *real = in_dir(c, "real.json"), *link = in_dir(c, "link.json");
    if (!write_all(real, "old") || symlink("real.json", link) != 0)
        return fail("cannot set up %s", c->dir);
    const char *linked[] = {"run", c->scenario, "--summary-json", real, "--trace", link, NULL};
    if ((r = expect_refused(linked, "name the same file")) || (r = expect_file(real, "old")))
        return r;
    g_autofree char *text = read_all(c->scenario), *copy = in_dir(c, "copy.ks");
    if (!write_all(copy, text))
        return fail("cannot copy %s", c->scenario);
    const char *self[] = {"run", copy, "--trace", copy, NULL};
    if ((r = expect_refused(self, "is the scenario file")) || (r = expect_file(copy, text)))
        return r;
    const char *both[] = {"run", c->scenario, "--trace", "-", "--summary-json", "-", NULL};
    return expect_refused(both, "name the same file");
}

/* The outputs that are not supported yet are checked all the same. */
static int out_not_yet(OutCase *c)
{
    g_autofree char *html = in_dir(c, "nope/report.html"), *file = in_dir(c, "file");
    const char *a[] = {"run", c->scenario, "--html", html, NULL};
    const char *b[] = {"run", c->scenario, "--metrics", c->dir, NULL};
    const char *d[] = {"run", c->scenario, "--dot", file, NULL};
    int r = expect_refused(a, "does not exist");
    if (r || (r = expect_refused(b, "is a folder; expected a file")))
        return r;
    if (!write_all(file, "x"))
        return fail("cannot write %s", file);
    return (r = expect_refused(d, "expected a folder")) ? r : expect_count(c, 1);
}

/* A scenario that is bad input: the old summary stays, no trace appears. */
static int out_bad_input(OutCase *c)
{
    g_autofree char *bad = in_dir(c, "bad.ks"), *summary = in_dir(c, "summary.json");
    g_autofree char *trace = in_dir(c, "trace.jsonl");
    if (!write_all(bad, "seed 1\nbogus\n") || !write_all(summary, "old"))
        return fail("cannot set up %s", c->dir);
    const char *args[] = {"run", bad, "--trace", trace, "--summary-json", summary, NULL};
    g_autofree char *out = NULL, *err = NULL;
    int status = run(args, &out, &err);
    if (status != 2 || !strstr(err, "bad.ks:2:1: error: "))
        return fail("bad scenario: exit status %d, stderr %s", status, err);
    int r = expect_file(summary, "old");
    return r ? r : expect_count(c, 2);
}

/* An expectation that fails is still a completed run: both files written. */
static int out_failed_expectation(OutCase *c)
{
    g_autofree char *text = read_all(c->scenario), *failing = in_dir(c, "failing.ks");
    g_autofree char *trace = in_dir(c, "trace.jsonl"), *summary = in_dir(c, "summary.json");
    g_autofree char *with = g_strconcat(text, "\nexpect records-acked > 999999999999\n", NULL);
    if (!write_all(failing, with))
        return fail("cannot write %s", failing);
    const char *args[] = {"run", failing, "-q", "--trace", trace, "--summary-json", summary, NULL};
    g_autofree char *out = NULL, *err = NULL;
    int status = run(args, &out, &err);
    g_autofree char *t = read_all(trace), *s = read_all(summary);
    if (status != 1)
        return fail("exit status %d, expected 1: %s", status, err);
    if (!t || strlen(t) < 100 || !s || !strstr(s, "\"held\" : false"))
        return fail("the trace or the summary of a failed expectation is missing or incomplete");
    return expect_count(c, 3);
}

/* An existing regular file is replaced whole, keeping its permissions,
 * with no temporary file left. */
static int out_replace(OutCase *c)
{
    g_autofree char *summary = in_dir(c, "summary.json");
    if (!write_all(summary, "old") || g_chmod(summary, 0640) != 0)
        return fail("cannot set up %s", summary);
    g_autofree char *err = NULL, *out = run_ok(c, NULL, summary, &err);
    g_autofree char *s = read_all(summary);
    GStatBuf st;
    if (!out)
        return 1;
    if (!s || !g_str_has_prefix(s, "{\n  \"time_us\""))
        return fail("%s was not replaced by the summary: %s", summary, s);
    if (g_stat(summary, &st) != 0 || (st.st_mode & 0777) != 0640)
        return fail("%s lost its permissions 0640", summary);
    return expect_count(c, 1);
}

/* A symlink is written through: its target gets the file, the link stays
 * (a dangling one creates its target). */
static int out_symlink(OutCase *c)
{
    g_autofree char *real = in_dir(c, "real"), *target = in_dir(c, "real/summary.json");
    g_autofree char *link = in_dir(c, "link"), *dangling = in_dir(c, "dangling");
    g_autofree char *created = in_dir(c, "real/trace.jsonl");
    g_autofree char *want_trace = NULL, *want_summary = NULL;
    if (!reference(c, &want_trace, &want_summary))
        return 1;
    if (g_mkdir(real, 0755) != 0 || !write_all(target, "old") ||
        symlink("real/summary.json", link) != 0 || symlink("real/trace.jsonl", dangling) != 0)
        return fail("cannot set up %s", c->dir);
    g_autofree char *err = NULL, *out = run_ok(c, dangling, link, &err);
    if (!out)
        return 1;
    GStatBuf st;
    if (g_lstat(link, &st) != 0 || !S_ISLNK(st.st_mode) || g_lstat(dangling, &st) != 0 ||
        !S_ISLNK(st.st_mode))
        return fail("a symlink was replaced instead of written through");
    int r = expect_file(target, want_summary);
    if (r || (r = expect_file(created, want_trace)))
        return r;
    int n = count_files(real);
    return n == 2 ? expect_count(c, 3) : fail("%s holds %d files, expected 2", real, n);
}

typedef struct {
    const char *path;
    GString *got;
} FifoReader;

static void *read_fifo(void *data)
{
    FifoReader *r = data;
    int fd = open(r->path, O_RDONLY);
    char buf[4096];
    ssize_t n;
    while (fd >= 0 && (n = read(fd, buf, sizeof buf)) > 0)
        g_string_append_len(r->got, buf, n);
    if (fd >= 0)
        close(fd);
    return NULL;
}

/* A FIFO is written through (a reader gets the whole trace) and stays. */
static int out_fifo(OutCase *c)
{
    g_autofree char *fifo = in_dir(c, "fifo");
    g_autofree char *want_trace = NULL, *want_summary = NULL;
    if (!reference(c, &want_trace, &want_summary))
        return 1;
    if (mkfifo(fifo, 0600) != 0)
        return fail("cannot make a FIFO in %s", c->dir);
    FifoReader reader = {fifo, g_string_new(NULL)};
    GThread *th = g_thread_new("fifo-reader", read_fifo, &reader);
    g_autofree char *err = NULL, *out = run_ok(c, fifo, NULL, &err);
    /* If kafkasim never opened it, release the reader. */
    int fd = open(fifo, O_WRONLY | O_NONBLOCK);
    if (fd >= 0)
        close(fd);
    g_thread_join(th);
    g_autofree char *got = g_string_free(reader.got, FALSE);
    GStatBuf st;
    if (!out)
        return 1;
    if (strcmp(got, want_trace) != 0)
        return fail("the FIFO's reader got\n%s\nexpected the trace\n%s", got, want_trace);
    if (g_lstat(fifo, &st) != 0 || !S_ISFIFO(st.st_mode))
        return fail("the FIFO was replaced");
    return expect_count(c, 1);
}

/* Ended by a signal while its outputs are open (kafkasim waits to open a
 * FIFO nobody reads, after the trace's temporary file is made): nothing is
 * left behind. */
static int out_interrupted(OutCase *c)
{
    g_autofree char *fifo = in_dir(c, "fifo"), *trace = in_dir(c, "trace.jsonl");
    if (mkfifo(fifo, 0600) != 0)
        return fail("cannot make a FIFO in %s", c->dir);
    const char *argv[] = {kafkasim,         "run", c->scenario, "--trace", trace,
                          "--summary-json", fifo,  NULL};
    GPid pid;
    g_autoptr(GError) error = NULL;
    if (!g_spawn_async(NULL, (char **)argv, NULL,
                       G_SPAWN_DO_NOT_REAP_CHILD | G_SPAWN_STDOUT_TO_DEV_NULL |
                           G_SPAWN_STDERR_TO_DEV_NULL,
                       NULL, NULL, &pid, &error))
        return fail("cannot run %s: %s", kafkasim, error->message);
    int waited = 0;
    while (count_files(c->dir) < 2 && waited++ < 1000)
        g_usleep(10000);
    kill(pid, SIGTERM);
    int wait_status = 0;
    waitpid(pid, &wait_status, 0);
    g_spawn_close_pid(pid);
    if (waited > 1000)
        return fail("kafkasim never made the trace's temporary file");
    if (!WIFSIGNALED(wait_status) || WTERMSIG(wait_status) != SIGTERM)
        return fail("kafkasim was not ended by SIGTERM (status %d)", wait_status);
    return expect_count(c, 1);
}

/* "-" is standard output: it gets the data alone, the timeline goes to
 * standard error. /dev/stdout (here a pipe) is written through, and is the
 * same file as "-". */
static int out_stdout(OutCase *c)
{
    g_autofree char *want_trace = NULL, *want_summary = NULL;
    if (!reference(c, &want_trace, &want_summary))
        return 1;
    const char *trace[] = {"run", c->scenario, "--trace", "-", NULL};
    const char *dev[] = {"run", c->scenario, "-q", "--trace", "/dev/stdout", NULL};
    const char *summary[] = {"run", c->scenario, "-q", "--summary-json", "-", NULL};
    const char *twice[] = {"run", c->scenario, "--trace", "/dev/stdout", "--summary-json",
                           "-",   NULL};
    g_autofree char *err = NULL;
    int r = expect_stdout(trace, want_trace, &err);
    if (!r && !strstr(err, "Expectations:"))
        r = fail("--trace -: the timeline and its summary are not on stderr:\n%s", err);
    if (r || (r = expect_stdout(dev, want_trace, NULL)) ||
        (r = expect_stdout(summary, want_summary, NULL)) ||
        (r = expect_refused(twice, "name the same file")))
        return r;
    return expect_count(c, 0);
}

/* "-" as the scenario is standard input, named <stdin> in messages. */
static int out_stdin(OutCase *c)
{
    const char *from_file[] = {"run", c->scenario, NULL};
    const char *from_stdin[] = {"run", "-", NULL};
    const char *check[] = {"check", "-", NULL};
    g_autofree char *want = NULL, *out = NULL, *err = NULL, *err0 = NULL;
    if (run(from_file, &want, &err0) != 0)
        return fail("run %s failed: %s", c->scenario, err0);
    int status = run_stdin(from_stdin, c->scenario, &out, &err);
    if (status != 0 || strcmp(out, want) != 0)
        return fail("run - < %s: exit status %d, and it printed\n%s\nnot\n%s", c->scenario, status,
                    out, want);
    g_autofree char *out2 = NULL, *err2 = NULL;
    status = run_stdin(check, c->scenario, &out2, &err2);
    if (status != 0 || !g_str_has_prefix(out2, "<stdin>: ok: "))
        return fail("check - < %s: exit status %d, printed %s", c->scenario, status, out2);
    g_autofree char *bad = in_dir(c, "bad.ks"), *out3 = NULL, *err3 = NULL;
    if (!write_all(bad, "seed 1\nbogus\n"))
        return fail("cannot write %s", bad);
    status = run_stdin(check, bad, &out3, &err3);
    if (status != 2 || !g_str_has_prefix(err3, "<stdin>:2:1: error: "))
        return fail("check - < bad.ks: exit status %d, stderr %s", status, err3);
    return 0;
}

static const struct {
    const char *name;
    int (*check)(OutCase *c);
} output_cases[] = {
    {"folder", out_folder},       {"missing-folder", out_missing_folder},
    {"same-file", out_same_file}, {"not-yet", out_not_yet},
    {"bad-input", out_bad_input}, {"failed-expectation", out_failed_expectation},
    {"replace", out_replace},     {"symlink", out_symlink},
    {"fifo", out_fifo},           {"stdout", out_stdout},
    {"stdin", out_stdin},         {"interrupted", out_interrupted},
};

/* Deletes @dir and everything in it (one level of folders). */
static void remove_tree(const char *dir)
{
    g_autoptr(GDir) d = g_dir_open(dir, 0, NULL);
    for (const char *n; d && (n = g_dir_read_name(d));) {
        g_autofree char *p = g_build_filename(dir, n, NULL);
        if (g_remove(p) != 0)
            remove_tree(p);
    }
    g_rmdir(dir);
}

static int check_outputs(const char *name, const char *file)
{
    for (size_t i = 0; i < G_N_ELEMENTS(output_cases); i++) {
        if (strcmp(output_cases[i].name, name) != 0)
            continue;
        OutCase c = {file, g_dir_make_tmp("kafkasim-out-XXXXXX", NULL)};
        int result = output_cases[i].check(&c);
        remove_tree(c.dir);
        g_free(c.dir);
        return result;
    }
    return fail("unknown outputs case %s", name);
}

int main(int argc, char **argv)
{
    if (argc >= 3)
        kafkasim = argv[1];
    if (argc == 5 && strcmp(argv[2], "golden") == 0)
        return check_golden(argv[3], argv[4]);
    if (argc >= 6 && strcmp(argv[2], "describe") == 0)
        return check_describe(argv[3], argv[4], argv[5], argv + 6);
    if (argc == 6 && strcmp(argv[2], "until") == 0)
        return check_until(argv[3], argv[4], argv[5]);
    if (argc == 5 && strcmp(argv[2], "trace-golden") == 0)
        return check_trace_golden(argv[3], argv[4]);
    if ((argc == 5 || argc == 6) && strcmp(argv[2], "diagrams") == 0)
        return check_diagrams(argv[3], argv[4], argc == 6 ? argv[5] : NULL);
    if (argc == 4 && strcmp(argv[2], "svg") == 0)
        return check_svg(argv[3]);
    if (argc >= 5 && strcmp(argv[2], "refused") == 0)
        return expect_refused((const char *const *)argv + 4, argv[3]);
    if (argc == 6 && strcmp(argv[2], "partition") == 0)
        return check_partition(argv[3], argv[4], argv[5]);
    if (argc == 5 && strcmp(argv[2], "deterministic") == 0)
        return check_deterministic(argv[3], argv[4]);
    if (argc == 5 && strcmp(argv[2], "outputs") == 0)
        return check_outputs(argv[3], argv[4]);
    if (argc != 4)
        return fail("usage: cli-test KAFKASIM bad|scenario FILE");
    kafkasim = argv[1];
    if (strcmp(argv[2], "bad") == 0)
        return check_bad(argv[3]);
    if (strcmp(argv[2], "scenario") == 0)
        return check_scenario(argv[3]);
    return fail("unknown mode %s", argv[2]);
}
