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
 *   cli-test KAFKASIM describe FILE T EXPECTED
 *       `describe FILE --at T` prints EXPECTED byte for byte (the layout of
 *       kafka-topics.sh --describe).
 *   cli-test KAFKASIM until FILE T T_US
 *       `run FILE --until T` stops at T: the summary's time is T_US, and
 *       the summary says the end-of-run expectations were not checked.
 *   cli-test KAFKASIM partition N KEY EXPECTED
 *       `partition --partitions N KEY` names partition EXPECTED.
 *   cli-test KAFKASIM deterministic FILE
 *       two runs with the same --seed give byte-identical traces and
 *       summaries.
 *   cli-test KAFKASIM trace-golden FILE DIR
 *       the timeline `run FILE` prints, its `--trace` and its
 *       `--summary-json` equal DIR/NAME.timeline, DIR/NAME.trace.jsonl and
 *       DIR/NAME.summary.json byte for byte, where NAME
 *       is FILE's name without ".ks". With KS_UPDATE_GOLDEN=1 in the
 *       environment it writes those files instead (and passes), so a change
 *       of behaviour updates them in the same commit and the diff shows it.
 *
 * Exit status: 0 pass, 1 fail (with the reason on stderr), 77 skip.
 */
#include <stdio.h>
#include <string.h>

#include <glib.h>
#include <glib/gstdio.h>

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

/* Runs kafkasim with @args; returns its exit status (-1 if it did not exit
 * normally, e.g. a crash). */
static int run(const char *const *args, char **out, char **err)
{
    g_autoptr(GPtrArray) argv = g_ptr_array_new();
    g_ptr_array_add(argv, (char *)kafkasim);
    for (const char *const *a = args; *a; a++)
        g_ptr_array_add(argv, (char *)*a);
    g_ptr_array_add(argv, NULL);
    int wait_status = 0;
    g_autoptr(GError) error = NULL;
    if (!g_spawn_sync(NULL, (char **)argv->pdata, NULL, G_SPAWN_DEFAULT, NULL, NULL, out, err,
                      &wait_status, &error)) {
        fprintf(stderr, "cannot run %s: %s\n", kafkasim, error->message);
        return -1;
    }
    if (!WIFEXITED(wait_status))
        return -1;
    return WEXITSTATUS(wait_status);
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

/* Runs @file with @seed; returns its trace followed by its summary. */
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
    return a && b ? g_strconcat(a, b, NULL) : NULL;
}

static int check_deterministic(const char *file)
{
    g_autofree char *dir = g_dir_make_tmp("kafkasim-det-XXXXXX", NULL);
    g_autofree char *a = run_trace(file, "7", dir, "a.jsonl");
    g_autofree char *b = run_trace(file, "7", dir, "b.jsonl");
    g_rmdir(dir);
    if (!a || !b)
        return fail("no trace written");
    if (strlen(a) < 100)
        return fail("the trace is nearly empty:\n%s", a);
    if (strcmp(a, b) != 0)
        return fail("two runs with the same seed gave different traces or summaries");
    return 0;
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

static int check_describe(const char *file, const char *at, const char *expected_path)
{
    const char *args[] = {"describe", file, "--at", at, NULL};
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

int main(int argc, char **argv)
{
    if (argc >= 3)
        kafkasim = argv[1];
    if (argc == 5 && strcmp(argv[2], "golden") == 0)
        return check_golden(argv[3], argv[4]);
    if (argc == 6 && strcmp(argv[2], "describe") == 0)
        return check_describe(argv[3], argv[4], argv[5]);
    if (argc == 6 && strcmp(argv[2], "until") == 0)
        return check_until(argv[3], argv[4], argv[5]);
    if (argc == 5 && strcmp(argv[2], "trace-golden") == 0)
        return check_trace_golden(argv[3], argv[4]);
    if (argc == 6 && strcmp(argv[2], "partition") == 0)
        return check_partition(argv[3], argv[4], argv[5]);
    if (argc != 4)
        return fail("usage: cli-test KAFKASIM bad|scenario|deterministic FILE");
    kafkasim = argv[1];
    if (strcmp(argv[2], "bad") == 0)
        return check_bad(argv[3]);
    if (strcmp(argv[2], "scenario") == 0)
        return check_scenario(argv[3]);
    if (strcmp(argv[2], "deterministic") == 0)
        return check_deterministic(argv[3]);
    return fail("unknown mode %s", argv[2]);
}
