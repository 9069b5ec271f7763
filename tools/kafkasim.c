/* SPDX-License-Identifier: MIT */
/*
 * kafkasim.c - the command-line program: a table of subcommands, each
 * parsing its options with a GOptionContext and calling the library.
 *
 * Exit status (DESIGN contract): 0 every expectation held; 1 an expectation
 * failed; 2 bad input (scenario, option, output path), with the message on
 * stderr. Output files are written whole or not at all (outfile.h): every
 * path is checked before anything runs, and a run that does not complete
 * (bad input) leaves none behind. "-" is standard input for the scenario
 * and standard output for --trace and --summary-json.
 */
#include <errno.h>
#include <inttypes.h>
#include <locale.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <glib.h>

#include "diagrams.h"
#include "kafkasim/dot.h"
#include "kafkasim/metrics.h"
#include "kafkasim/output.h"
#include "kafkasim/partitioner.h"
#include "kafkasim/plan.h"
#include "kafkasim/query.h"
#include "kafkasim/report.h"
#include "kafkasim/sampler.h"
#include "kafkasim/scenario.h"
#include "kafkasim/sim.h"
#include "ks-config.h"
#include "outfile.h"
#include "repl.h"

enum { EXIT_HELD = 0, EXIT_FAILED = 1, EXIT_BAD_INPUT = 2 };

typedef struct {
    const char *name;
    const char *args;    /* shown after the name in usage */
    const char *summary; /* one line */
    int (*run)(int argc, char **argv);
} Command;

static int bad_input(const char *fmt, ...) G_GNUC_PRINTF(1, 2);

/* Prints "kafkasim: error: ..." and returns the bad-input status. */
static int bad_input(const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    g_autofree char *msg = g_strdup_vprintf(fmt, ap);
    va_end(ap);
    fprintf(stderr, "kafkasim: error: %s\n", msg);
    return EXIT_BAD_INPUT;
}

static const char *command_summary(const char *name);

/* Parses @argv with @entries, for `kafkasim @command @params`. */
static bool parse_options(const char *command, const char *params, GOptionEntry *entries, int *argc,
                          char ***argv, int *status)
{
    g_autofree char *prgname = g_strdup_printf("kafkasim %s", command);
    g_set_prgname(prgname);
    g_autoptr(GOptionContext) ctx = g_option_context_new(params);
    g_option_context_set_summary(ctx, command_summary(command));
    g_option_context_add_main_entries(ctx, entries, NULL);
    g_autoptr(GError) err = NULL;
    if (!g_option_context_parse(ctx, argc, argv, &err)) {
        *status = bad_input("%s (see 'kafkasim %s --help')", err->message, command);
        return false;
    }
    return true;
}

/* The scenario file of @command, the one argument left in @argv after its
 * options; NULL with the exit status in @status when there is not one. */
static const char *one_file(const char *command, int argc, char **argv, int *status)
{
    if (argc == 2)
        return argv[1];
    *status = bad_input("%s takes one scenario file (see 'kafkasim %s --help')", command, command);
    return NULL;
}

/* Parses the options of @command, which takes one scenario file; returns
 * the file, or NULL with the exit status in @status. */
static const char *parse_file_command(const char *command, GOptionEntry *entries, int argc,
                                      char **argv, int *status)
{
    if (!parse_options(command, "FILE", entries, &argc, &argv, status))
        return NULL;
    return one_file(command, argc, argv, status);
}

/* Where the timeline goes, and the progress bar it must not mix with. */
typedef struct {
    FILE *out;
    bool bar_drawn; /* a progress bar is on stderr's last line */
} TextOut;

/* Prints a line of the timeline on the TextOut @ctx, over the progress
 * bar if one is drawn. */
static void print_line(const char *line, void *ctx)
{
    TextOut *t = ctx;
    if (t->bar_drawn) {
        fputs("\r\033[K", stderr);
        t->bar_drawn = false;
    }
    fputs(line, t->out);
    fputc('\n', t->out);
}

/* The progress bar: on stderr, only when it is a terminal, and only once a
 * run has taken a second of wall time (the wall clock is read here, in the
 * program, never in the simulator). */
typedef struct {
    bool enabled;
    gint64 started; /* g_get_monotonic_time() at the start */
    int shown;      /* the percentage last drawn, -1: none */
} Progress;

static void progress_update(Progress *pr, TextOut *text, KsTime now, KsTime end)
{
    if (!pr->enabled || g_get_monotonic_time() - pr->started < G_USEC_PER_SEC)
        return;
    int pct = end > 0 ? (int)(now * 100 / end) : 100;
    if (pct == pr->shown && text->bar_drawn)
        return;
    enum { WIDTH = 40 };
    char bar[WIDTH + 1];
    for (int i = 0; i < WIDTH; i++)
        bar[i] = i < pct * WIDTH / 100 ? '#' : '.';
    bar[WIDTH] = '\0';
    g_autofree char *t = ks_format_time(now);
    fprintf(stderr, "\r\033[K[%s] %3d%%  simulated %s", bar, pct, t);
    fflush(stderr);
    pr->shown = pct;
    text->bar_drawn = true;
}

static void progress_clear(TextOut *text)
{
    if (text->bar_drawn)
        fputs("\r\033[K", stderr);
    text->bar_drawn = false;
}

/* --step: the timeline pauses after a `say`, a `snapshot` and a failed
 * expectation until Enter is pressed. It pauses only when standard input
 * and the timeline's stream are terminals, unless KS_STEP_ANY_INPUT=1 in
 * the environment lets any standard input answer (for tests). At the end
 * of standard input it stops pausing. */
typedef struct {
    KsTimeline *tl;
    TextOut *text;
    bool tty; /* answers come from a terminal, which echoes the Enter */
    bool done;
} Stepper;

static void step_sink(const KsEvent *ev, void *ctx)
{
    Stepper *st = ctx;
    ks_timeline_sink(ev, st->tl);
    bool pause = ev->type == KS_EV_SAY || ev->type == KS_EV_SNAPSHOT ||
                 (ev->type == KS_EV_EXPECT && !ev->expect.held);
    if (!pause || st->done)
        return;
    ks_timeline_flush_glosses(st->tl);
    fprintf(st->text->out, "%25s[paused: press Enter to go on]%s", "", st->tty ? " " : "\n");
    fflush(st->text->out);
    int c;
    while ((c = getchar()) != EOF && c != '\n')
        ;
    if (c == EOF)
        st->done = true;
}

/* ks_timeline_run_until() as a run function for the sampling views. */
static void timeline_run_until(KsTime t, void *tl)
{
    ks_timeline_run_until(tl, t);
}

/* Whether --step can pause: it needs a person at a terminal. */
static bool step_possible(FILE *text)
{
    const char *any = g_getenv("KS_STEP_ANY_INPUT");
    if (any && strcmp(any, "1") == 0)
        return true;
    return isatty(STDIN_FILENO) && isatty(fileno(text));
}

/* The parser refuses scenarios over 16 MiB; standard input is read up to
 * one byte more, so an endless input costs no more than that. */
enum { STDIN_READ_LIMIT = 16 * 1024 * 1024 + 1 };

/* Parses standard input as the scenario "<stdin>". */
static KsPlan *parse_stdin(GError **err)
{
    g_autoptr(GString) buf = g_string_sized_new(4096);
    char chunk[65536];
    size_t got;
    while (buf->len < STDIN_READ_LIMIT && (got = fread(chunk, 1, sizeof chunk, stdin)) > 0)
        g_string_append_len(buf, chunk, (gssize)got);
    if (ferror(stdin)) {
        g_set_error(err, KS_SCENARIO_ERROR, KS_SCENARIO_ERROR_IO,
                    "<stdin>:1:1: error: cannot read the file: %s", g_strerror(errno));
        return NULL;
    }
    return ks_scenario_parse("<stdin>", buf->str, buf->len, err);
}

/* Loads the scenario @file; "-" is standard input. */
static KsPlan *load_plan(const char *file, int *status)
{
    g_autoptr(GError) err = NULL;
    KsPlan *plan = strcmp(file, "-") == 0 ? parse_stdin(&err) : ks_scenario_parse_file(file, &err);
    if (!plan) {
        fprintf(stderr, "%s\n", err->message);
        *status = EXIT_BAD_INPUT;
    }
    return plan;
}

static bool parse_seed(const char *text, uint64_t *out, int *status)
{
    char *end = NULL;
    guint64 v = g_ascii_strtoull(text, &end, 10);
    if (!*text || *end || v > INT64_MAX || text[0] == '-') {
        *status = bad_input("--seed %s: expected a whole number from 0 to %" PRId64, text,
                            (int64_t)INT64_MAX);
        return false;
    }
    *out = v;
    return true;
}

static bool parse_time_option(const char *option, const char *text, KsTime *out, int *status)
{
    g_autoptr(GError) err = NULL;
    if (!ks_scenario_parse_duration(text, out, &err)) {
        *status = bad_input("%s %s: %s", option, text, err->message);
        return false;
    }
    return true;
}

/* --until and --at can stop a run early, not make it longer: the scenario's
 * end is where its expectations belong. */
static int check_within_run(const char *option, const char *text, KsTime t, const KsPlan *plan)
{
    if (t <= plan->run_until)
        return EXIT_HELD;
    g_autofree char *end = ks_scenario_format_duration(plan->run_until);
    return bad_input("%s %s is after the end of the run (%s): it can only stop a run earlier",
                     option, text, end);
}

/* A scenario ready to run: what run and describe share. */
typedef struct {
    KsPlan *plan;
    KsSim *sim;
    bool checked_end; /* the run goes to the scenario's end */
} Prepared;

static void prepared_clear(Prepared *p)
{
    g_clear_pointer(&p->sim, ks_sim_free);
    g_clear_pointer(&p->plan, ks_plan_free);
}

G_DEFINE_AUTO_CLEANUP_CLEAR_FUNC(Prepared, prepared_clear)

/* Loads @file and builds its sim with the --seed @seed and the stop time
 * @stop given by @stop_option (each NULL when not given). Returns false
 * with the exit status in @status, after printing why. */
static bool prepare(const char *file, const char *seed, const char *stop_option, const char *stop,
                    Prepared *out, int *status)
{
    uint64_t seed_value = 0;
    if (seed && !parse_seed(seed, &seed_value, status))
        return false;
    KsTime stop_value = 0;
    if (stop && !parse_time_option(stop_option, stop, &stop_value, status))
        return false;
    if (!(out->plan = load_plan(file, status)))
        return false;
    if (stop && (*status = check_within_run(stop_option, stop, stop_value, out->plan)) != EXIT_HELD)
        return false;
    out->checked_end = !stop || stop_value == out->plan->run_until;
    g_autoptr(GError) err = NULL;
    out->sim = ks_sim_new(out->plan, seed != NULL, seed_value,
                          stop ? stop_value : out->plan->run_until, &err);
    if (!out->sim) {
        fprintf(stderr, "%s\n", err->message);
        *status = EXIT_BAD_INPUT;
        return false;
    }
    return true;
}

/* The output files of `run`, in the order they are checked. */
enum { OUT_TRACE, OUT_SUMMARY, OUT_METRICS, OUT_DOT, OUT_HTML, N_OUTS };

typedef struct {
    const char *seed, *until, *color, *metrics_interval;
    bool quiet, step, no_explain, verbose;
    bool counts;         /* --counts: the benchmark's counts line after the summary */
    bool svg;            /* --svg, with or without a folder */
    const char *svg_dir; /* --svg DIR or --svg=DIR; NULL: beside the --dot files */
} RunOptions;

/*
 * --counts: one line of the standard benchmark's counts (bench/README.md),
 * named as its SimPy peer names them, so tools/bench can compare the two.
 * Replicated records and leader changes are summed over the topics a
 * scenario declares (not __consumer_offsets); produce_failed counts records
 * the producers gave up on (the peer drops whole batches instead).
 */
static void print_counts(FILE *out, const KsSim *sim)
{
    KsSimStats st;
    ks_sim_get_stats(sim, &st);
    int64_t replicated = 0, leader_changes = 0;
    for (size_t i = 0; i < ks_query_n_brokers(sim); i++) {
        KsBrokerTraffic tr;
        ks_query_broker_traffic(sim, i, &tr);
        replicated += tr.records_replicated_in;
    }
    for (size_t i = 0; i < ks_query_n_topics(sim); i++) {
        KsTopicInfo t;
        ks_query_topic(sim, i, &t);
        if (!g_str_has_prefix(t.name, "__"))
            leader_changes += t.leader_elections;
    }
    fprintf(out,
            "records_produced=%" PRId64 " records_replicated=%" PRId64 " records_consumed=%" PRId64
            " produce_failed=%" PRId64 " leader_changes=%" PRId64 " events=%" PRIu64 "\n",
            st.records_produced, replicated, st.records_consumed, st.records_refused,
            leader_changes, st.events);
}

/* The --metrics-interval: 1 s unless given, and more than nothing. */
static bool parse_metrics_interval(const RunOptions *opt, const KsOutFile *metrics, KsTime *out,
                                   int *status)
{
    *out = KS_TIME_S;
    if (!opt->metrics_interval)
        return true;
    if (!metrics->path) {
        *status = bad_input("--metrics-interval sets how often --metrics samples: add --metrics");
        return false;
    }
    if (!parse_time_option("--metrics-interval", opt->metrics_interval, out, status))
        return false;
    if (*out > 0)
        return true;
    *status =
        bad_input("--metrics-interval %s: expected a duration above 0", opt->metrics_interval);
    return false;
}

/* The folder of --svg, its files named as --dot's, or NULL when no SVG is
 * asked for. When --svg cannot be honoured (no folder, no Graphviz built
 * in) prints why, sets @status and returns NULL. */
static const char *svg_folder(const RunOptions *opt, const char *dot_dir, int *status)
{
    if (!opt->svg)
        return NULL;
    const char *dir = opt->svg_dir ? opt->svg_dir : dot_dir;
    if (!dir) {
        *status = bad_input("--svg needs a folder: --svg DIR, or --dot DIR to write the SVG "
                            "files beside the DOT files");
        return NULL;
    }
    g_autoptr(GError) err = NULL;
    g_autofree char *svg = NULL;
    if (!ks_dot_can_render() && !ks_dot_to_svg("digraph {}", &svg, &err)) {
        *status = bad_input("--svg: %s", err->message);
        return NULL;
    }
    return dir;
}

/* Runs the scenario @file and writes @outs, whole or not at all; the
 * caller discards @outs afterwards (which deletes what was not committed). */
static int run_to_outputs(const char *file, const RunOptions *opt, KsOutFile *outs)
{
    g_autoptr(GError) err = NULL;
    if (!ks_outfile_check_all(outs, N_OUTS, file, &err))
        return bad_input("%s", err->message);
    int status = EXIT_HELD;
    KsTime metrics_interval = 0;
    if (!parse_metrics_interval(opt, &outs[OUT_METRICS], &metrics_interval, &status))
        return status;
    const char *dot_dir = outs[OUT_DOT].path;
    const char *svg_dir = svg_folder(opt, dot_dir, &status);
    if (status != EXIT_HELD)
        return status;
    /* The SVG folder may be the DOT folder: checked on its own. */
    KsOutFile svg_out = {.option = "--svg", .path = svg_dir, .kind = KS_OUTFILE_FOLDER};
    bool svg_checked = !svg_dir || ks_outfile_check_all(&svg_out, 1, file, &err);
    ks_outfile_discard(&svg_out);
    if (!svg_checked)
        return bad_input("%s", err->message);
    /* When a data file goes to standard output, the text a person reads
     * goes to standard error, so the two never mix. */
    FILE *text = stdout;
    for (size_t i = 0; i < N_OUTS; i++)
        if (ks_outfile_is_stdout(&outs[i]))
            text = stderr;
    bool use_color = isatty(fileno(text));
    if (opt->color && strcmp(opt->color, "always") == 0)
        use_color = true;
    else if (opt->color && strcmp(opt->color, "never") == 0)
        use_color = false;
    else if (opt->color && strcmp(opt->color, "auto") != 0)
        return bad_input("--color %s: expected auto, always or never", opt->color);

    g_auto(Prepared) p = {0};
    if (!prepare(file, opt->seed, "--until", opt->until, &p, &status))
        return status;
    KsOutFile *trace = &outs[OUT_TRACE], *summary = &outs[OUT_SUMMARY];
    KsOutFile *metrics = &outs[OUT_METRICS], *html = &outs[OUT_HTML];
    if ((trace->path && !ks_outfile_open(trace, &err)) ||
        (summary->path && !ks_outfile_open(summary, &err)) ||
        (metrics->path && !ks_outfile_open(metrics, &err)) ||
        (html->path && !ks_outfile_open(html, &err)))
        return bad_input("%s", err->message);
    KsTrace *tr = trace->path ? ks_trace_new_stream(p.sim, trace->f) : NULL;
    TextOut out = {.out = text};
    g_autoptr(KsTimeline) tl = ks_timeline_new(p.sim, use_color, print_line, &out);
    ks_timeline_set_explain(tl, !opt->no_explain);
    Stepper stepper = {.tl = tl, .text = &out, .tty = isatty(STDIN_FILENO)};
    bool step = opt->step && !opt->quiet && step_possible(text);
    if (opt->step && !step)
        fprintf(stderr, "kafkasim: --step pauses only with a terminal to answer it (and a "
                        "timeline to read): the run goes straight through\n");
    if (!opt->quiet)
        ks_sim_add_sink(p.sim, step ? step_sink : ks_timeline_sink, step ? (void *)&stepper : tl);
    if (tr)
        ks_sim_add_sink(p.sim, ks_trace_sink, tr);
    g_autoptr(KsDiagrams) diagrams = dot_dir || svg_dir ? ks_diagrams_new(p.sim) : NULL;
    if (diagrams)
        ks_sim_add_sink(p.sim, ks_diagrams_sink, diagrams);
    KsSampler samplers[2];
    size_t n_samplers = 0;
    g_autoptr(KsMetrics) mx =
        metrics->path ? ks_metrics_new(p.sim, metrics_interval, metrics->f) : NULL;
    if (mx) {
        ks_sim_add_sink(p.sim, ks_metrics_sink, mx);
        samplers[n_samplers++] = (KsSampler){metrics_interval, ks_metrics_sample, mx};
    }
    g_autoptr(KsReport) report = html->path ? ks_report_new(p.sim) : NULL;
    if (report) {
        ks_sim_add_sink(p.sim, ks_report_sink, report);
        samplers[n_samplers++] = (KsSampler){ks_report_interval(report), ks_report_sample, report};
    }
    ks_sim_set_verbose(p.sim, opt->verbose);

    /* The run in slices, for the progress bar and the sampling views; the
     * slices change nothing (sim.h). The timeline adds its status lines at
     * its own boundaries. */
    Progress progress = {
        .enabled = !step && isatty(STDERR_FILENO), .started = g_get_monotonic_time(), .shown = -1};
    g_autoptr(KsSampling) sampling = ks_sampling_new(p.sim, samplers, n_samplers);
    enum { SLICES = 200 };
    KsTime end = ks_sim_end(p.sim);
    for (int k = 1; k <= SLICES; k++) {
        KsTime t = end / SLICES * k + (k == SLICES ? end % SLICES : 0);
        if (opt->quiet)
            ks_sampling_run_until(sampling, t, NULL, NULL);
        else
            ks_sampling_run_until(sampling, t, timeline_run_until, tl);
        progress_update(&progress, &out, t, end);
    }
    progress_clear(&out);
    if (p.checked_end)
        ks_sim_finish(p.sim);
    if (diagrams)
        ks_diagrams_add_end(diagrams);
    ks_timeline_write_summary(tl, p.checked_end);
    if (opt->counts)
        print_counts(text, p.sim);
    fflush(text);

    /* The run completed (whatever its verdict): its outputs are kept. */
    if (tr && !ks_trace_close(tr, true, &err))
        return bad_input("%s", err->message);
    if (summary->path) {
        g_autofree char *json = ks_summary_json(p.sim);
        fputs(json, summary->f);
    }
    if (report) {
        g_autofree char *page = ks_report_format(report, p.checked_end);
        fputs(page, html->f);
    }
    if (diagrams && !ks_diagrams_write(diagrams, "--dot", dot_dir, "--svg", svg_dir, &err))
        return bad_input("%s", err->message);
    for (size_t i = 0; i < N_OUTS; i++)
        if (outs[i].f && !ks_outfile_commit(&outs[i], &err))
            return bad_input("%s", err->message);
    return ks_sim_all_held(p.sim) ? EXIT_HELD : EXIT_FAILED;
}

/* --svg takes its folder optionally (GOption's optional arguments are
 * callbacks without a context of their own, hence program state). */
static struct {
    bool given;
    char *dir;
} svg_arg;

static gboolean take_svg(const char *name, const char *value, void *data, GError **error)
{
    svg_arg.given = true;
    g_free(svg_arg.dir);
    svg_arg.dir = g_strdup(value);
    return TRUE;
}

static int cmd_run(int argc, char **argv)
{
    g_autofree char *seed = NULL, *until = NULL, *trace = NULL, *summary = NULL, *metrics = NULL,
                    *metrics_interval = NULL, *dot = NULL, *html = NULL, *color = NULL;
    gboolean quiet = FALSE, step = FALSE, no_explain = FALSE, verbose = FALSE, counts = FALSE;
    GOptionEntry entries[] = {
        {"seed", 0, 0, G_OPTION_ARG_STRING, &seed, "Seed of the run (overrides the scenario's)",
         "N"},
        {"until", 0, 0, G_OPTION_ARG_STRING, &until, "Stop the run at time T (e.g. 12s)", "T"},
        {"trace", 0, 0, G_OPTION_ARG_FILENAME, &trace,
         "Write every event as JSON lines ('-' is standard output)", "FILE"},
        {"summary-json", 0, 0, G_OPTION_ARG_FILENAME, &summary,
         "Write the final state as JSON ('-' is standard output)", "FILE"},
        {"metrics", 0, 0, G_OPTION_ARG_FILENAME, &metrics,
         "Write metrics as CSV, sampled every --metrics-interval", "FILE"},
        {"metrics-interval", 0, 0, G_OPTION_ARG_STRING, &metrics_interval,
         "Time between metrics samples (default 1s)", "T"},
        {"dot", 0, 0, G_OPTION_ARG_FILENAME, &dot,
         "Write a topology diagram (DOT) at every snapshot and at the end into folder DIR", "DIR"},
        {"svg", 0, G_OPTION_FLAG_OPTIONAL_ARG, G_OPTION_ARG_CALLBACK, take_svg,
         "Render the diagrams as SVG into DIR (default: the --dot folder)", "DIR"},
        {"html", 0, 0, G_OPTION_ARG_FILENAME, &html,
         "Write an HTML report of the run: one page, time slider, no network", "FILE"},
        {"quiet", 'q', 0, G_OPTION_ARG_NONE, &quiet, "Print only the summary", NULL},
        {"step", 0, 0, G_OPTION_ARG_NONE, &step,
         "Pause at every say, snapshot and failed expectation until Enter (on a terminal)", NULL},
        {"no-explain", 0, 0, G_OPTION_ARG_NONE, &no_explain,
         "No one-line glosses of Kafka's terms (LEO, HW, ISR, ...) in the timeline", NULL},
        {"verbose", 'v', 0, G_OPTION_ARG_NONE, &verbose,
         "Requests too (produce, fetch, heartbeats, commits): for small scenarios", NULL},
        {"color", 0, 0, G_OPTION_ARG_STRING, &color, "Colour: auto, always or never", "WHEN"},
        {"counts", 0, 0, G_OPTION_ARG_NONE, &counts,
         "After the summary, one line of the benchmark's counts (records, leader changes, events)",
         NULL},
        {NULL}};
    int status = EXIT_HELD;
    if (!parse_options("run", "FILE", entries, &argc, &argv, &status))
        return status;
    g_autofree char *svg_dir = g_steal_pointer(&svg_arg.dir);
    /* GOption gives --svg the word after it unless that is an option, so
     * in `--dot DIR --svg FILE` it took the scenario: it is given back. */
    g_autofree char *taken = NULL;
    char *given_back[2];
    if (argc == 1 && svg_dir && g_file_test(svg_dir, G_FILE_TEST_IS_REGULAR)) {
        taken = g_steal_pointer(&svg_dir);
        given_back[0] = argv[0];
        given_back[1] = taken;
        argc = 2;
        argv = given_back;
    }
    const char *file = one_file("run", argc, argv, &status);
    if (!file)
        return status;
    KsOutFile outs[N_OUTS] = {
        [OUT_TRACE] = {.option = "--trace", .path = trace, .kind = KS_OUTFILE_FILE},
        [OUT_SUMMARY] = {.option = "--summary-json", .path = summary, .kind = KS_OUTFILE_FILE},
        [OUT_METRICS] = {.option = "--metrics", .path = metrics, .kind = KS_OUTFILE_FILE},
        [OUT_DOT] = {.option = "--dot", .path = dot, .kind = KS_OUTFILE_FOLDER},
        [OUT_HTML] = {.option = "--html", .path = html, .kind = KS_OUTFILE_FILE},
    };
    RunOptions opt = {.seed = seed,
                      .until = until,
                      .color = color,
                      .metrics_interval = metrics_interval,
                      .quiet = quiet,
                      .step = step,
                      .no_explain = no_explain,
                      .verbose = verbose,
                      .counts = counts,
                      .svg = svg_arg.given,
                      .svg_dir = svg_dir};
    status = run_to_outputs(file, &opt, outs);
    for (size_t i = 0; i < N_OUTS; i++)
        ks_outfile_discard(&outs[i]);
    return status;
}

static int cmd_check(int argc, char **argv)
{
    GOptionEntry entries[] = {{NULL}};
    int status = EXIT_HELD;
    const char *file = parse_file_command("check", entries, argc, argv, &status);
    if (!file)
        return status;
    g_autoptr(KsPlan) plan = load_plan(file, &status);
    if (!plan)
        return status;
    g_autofree char *end = ks_scenario_format_duration(plan->run_until);
    printf("%s: ok: %u broker%s, %u topic%s, %u producer%s, %u timeline action%s, "
           "%u expectation%s, runs until %s\n",
           plan->file, plan->brokers->len, plan->brokers->len == 1 ? "" : "s", plan->topics->len,
           plan->topics->len == 1 ? "" : "s", plan->producers->len,
           plan->producers->len == 1 ? "" : "s", plan->actions->len,
           plan->actions->len == 1 ? "" : "s", plan->expects->len,
           plan->expects->len == 1 ? "" : "s", end);
    return EXIT_HELD;
}

/* Finds the partition @name ("orders-1": the topic, then '-' and the
 * number) in @sim; returns false after printing why, with the status in
 * @status. */
static bool find_partition(const KsSim *sim, const char *name, size_t *out_topic,
                           int32_t *out_partition, int *status)
{
    const char *dash = strrchr(name, '-');
    char *end = NULL;
    gint64 p = dash && dash[1] ? g_ascii_strtoll(dash + 1, &end, 10) : -1;
    g_autofree char *topic = dash ? g_strndup(name, (gsize)(dash - name)) : NULL;
    KsTopicInfo t;
    if (!topic || !end || *end || p < 0 || !g_ascii_isdigit(dash[1])) {
        *status = bad_input("--log %s: expected a partition, TOPIC-N (e.g. orders-0)", name);
        return false;
    }
    if (!ks_query_find_topic(sim, topic, out_topic)) {
        *status = bad_input("--log %s: no topic is called %s", name, topic);
        return false;
    }
    ks_query_topic(sim, *out_topic, &t);
    if (p >= t.n_partitions) {
        *status = bad_input("--log %s: %s has %" PRId32 " partition%s (0-%" PRId32 ")", name, topic,
                            t.n_partitions, t.n_partitions == 1 ? "" : "s", t.n_partitions - 1);
        return false;
    }
    *out_partition = (int32_t)p;
    return true;
}

/* Topics as kafka-topics.sh --describe prints them; with --groups or
 * --group, consumer groups as kafka-consumer-groups.sh --describe
 * --all-groups (or --group G) does instead, Kafka's notices on stderr;
 * with --brokers, --log P or --zk, the brokers, a partition's log per
 * replica or ZooKeeper's znodes (output.h). */
static int cmd_describe(int argc, char **argv)
{
    g_autofree char *at = NULL, *seed = NULL, *group = NULL, *log = NULL;
    gboolean groups = FALSE, members = FALSE, state = FALSE, brokers = FALSE, zk = FALSE;
    GOptionEntry entries[] = {
        {"at", 0, 0, G_OPTION_ARG_STRING, &at, "Describe the cluster at time T (default: end)",
         "T"},
        {"seed", 0, 0, G_OPTION_ARG_STRING, &seed, "Seed of the run", "N"},
        {"groups", 0, 0, G_OPTION_ARG_NONE, &groups,
         "Consumer groups, as kafka-consumer-groups.sh --describe --all-groups", NULL},
        {"group", 0, 0, G_OPTION_ARG_STRING, &group, "Only consumer group G", "G"},
        {"members", 0, 0, G_OPTION_ARG_NONE, &members, "Groups: the --members table", NULL},
        {"state", 0, 0, G_OPTION_ARG_NONE, &state, "Groups: the --state table", NULL},
        {"brokers", 0, 0, G_OPTION_ARG_NONE, &brokers,
         "Brokers: the partitions each leads and follows, the records through it", NULL},
        {"log", 0, 0, G_OPTION_ARG_STRING, &log,
         "Partition P's log per replica: offsets by leader epoch, HW, LEO, truncations", "P"},
        {"zk", 0, 0, G_OPTION_ARG_NONE, &zk, "ZooKeeper's znodes and their data", NULL},
        {NULL}};
    int status = EXIT_HELD;
    const char *file = parse_file_command("describe", entries, argc, argv, &status);
    if (!file)
        return status;
    if (members && state)
        return bad_input("--members and --state are two different tables: give one");
    if ((members || state) && !groups && !group)
        return bad_input("%s describes groups: add --groups or --group G",
                         members ? "--members" : "--state");
    int tables = (groups || group) + brokers + (log != NULL) + zk;
    if (tables > 1)
        return bad_input("--groups (or --group), --brokers, --log and --zk are different tables: "
                         "give one");
    g_auto(Prepared) p = {0};
    if (!prepare(file, seed, "--at", at, &p, &status))
        return status;
    ks_sim_run(p.sim);
    g_autoptr(GString) out = g_string_new(NULL);
    g_autoptr(GString) err = g_string_new(NULL);
    size_t topic = 0;
    int32_t partition = 0;
    if (log && !find_partition(p.sim, log, &topic, &partition, &status))
        return status;
    if (groups || group)
        ks_describe_groups(p.sim, group,
                           members ? KS_GROUP_LAYOUT_MEMBERS
                                   : (state ? KS_GROUP_LAYOUT_STATE : KS_GROUP_LAYOUT_OFFSETS),
                           out, err);
    else if (brokers)
        ks_describe_brokers(p.sim, out);
    else if (log)
        ks_describe_log(p.sim, topic, partition, out);
    else if (zk)
        ks_describe_zk(p.sim, out);
    else
        ks_describe_topics(p.sim, out);
    fputs(err->str, stderr);
    fputs(out->str, stdout);
    return EXIT_HELD;
}

static int cmd_partition(int argc, char **argv)
{
    int partitions = 0;
    GOptionEntry entries[] = {
        {"partitions", 'p', 0, G_OPTION_ARG_INT, &partitions, "Partition count of the topic", "N"},
        {NULL}};
    int status = EXIT_HELD;
    if (!parse_options("partition", "KEY...", entries, &argc, &argv, &status))
        return status;
    if (partitions <= 0)
        return bad_input("partition needs --partitions N with N >= 1");
    if (argc < 2)
        return bad_input("partition needs at least one key");
    for (int i = 1; i < argc; i++) {
        int32_t h = ks_murmur2(argv[i], strlen(argv[i]));
        printf("%s\t%" PRId32 "\t(murmur2 %" PRId32 ", toPositive %" PRId32 ", %% %d)\n", argv[i],
               ks_partition_for_key(argv[i], strlen(argv[i]), partitions), h, ks_to_positive(h),
               partitions);
    }
    return EXIT_HELD;
}

static int cmd_not_yet(int argc, char **argv)
{
    return bad_input("'%s' is not supported yet", argv[0]);
}

static const Command commands[] = {
    {"run", "FILE [options]", "Run a scenario: timeline, summary, verdict on its expectations",
     cmd_run},
    {"check", "FILE", "Parse and validate a scenario without running it", cmd_check},
    {"describe", "FILE [--at T] [--groups]",
     "Show topics (kafka-topics.sh --describe), groups (kafka-consumer-groups.sh), brokers, a "
     "partition's log or ZooKeeper at time T",
     cmd_describe},
    {"partition", "--partitions N KEY...", "Which partition each key goes to (Kafka's murmur2)",
     cmd_partition},
    {"repl", "[FILE]", "Run a scenario one command at a time (step, run until T, actions)",
     ks_repl_main},
    {"sweep", "FILE --seeds A..B", "Run many seeds (not supported yet)", cmd_not_yet},
};

static const char *command_summary(const char *name)
{
    for (size_t i = 0; i < G_N_ELEMENTS(commands); i++)
        if (strcmp(commands[i].name, name) == 0)
            return commands[i].summary;
    return NULL;
}

static void usage(FILE *out)
{
    fprintf(out, "Usage: kafkasim COMMAND ...\n\n"
                 "A deterministic simulator of an Apache Kafka cluster.\n\nCommands:\n");
    for (size_t i = 0; i < G_N_ELEMENTS(commands); i++)
        fprintf(out, "  %-10s %-24s %s\n", commands[i].name, commands[i].args, commands[i].summary);
    fprintf(out, "\n'kafkasim COMMAND --help' shows a command's options.\n"
                 "Exit status: 0 expectations held, 1 an expectation failed, 2 bad input.\n");
}

int main(int argc, char **argv)
{
    /* Character handling only (help text with "…"); numbers and messages
     * stay locale-independent, so output is the same on every machine. */
    setlocale(LC_CTYPE, "");
    if (argc < 2) {
        usage(stderr);
        return EXIT_BAD_INPUT;
    }
    if (strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "-h") == 0 ||
        strcmp(argv[1], "help") == 0) {
        usage(stdout);
        return EXIT_HELD;
    }
    if (strcmp(argv[1], "--version") == 0) {
        printf("kafkasim %s\n", KS_VERSION);
        return EXIT_HELD;
    }
    for (size_t i = 0; i < G_N_ELEMENTS(commands); i++)
        if (strcmp(argv[1], commands[i].name) == 0)
            return commands[i].run(argc - 1, argv + 1);
    fprintf(stderr, "kafkasim: error: unknown command '%s'\n\n", argv[1]);
    usage(stderr);
    return EXIT_BAD_INPUT;
}
