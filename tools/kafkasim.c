/* SPDX-License-Identifier: MIT */
/*
 * kafkasim.c - the command-line program: a table of subcommands, each
 * parsing its options with a GOptionContext and calling the library.
 *
 * Exit status (DESIGN contract): 0 every expectation held; 1 an expectation
 * failed; 2 bad input (scenario, option, output path), with the message on
 * stderr. Bad input never leaves an output file behind.
 */
#include <inttypes.h>
#include <locale.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <glib.h>

#include "kafkasim/output.h"
#include "kafkasim/partitioner.h"
#include "kafkasim/plan.h"
#include "kafkasim/scenario.h"
#include "kafkasim/sim.h"
#include "ks-config.h"

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

static void print_line(const char *line, void *ctx)
{
    fputs(line, stdout);
    fputc('\n', stdout);
}

/* Options that the command line accepts but the simulator cannot honour
 * yet: refused, never ignored. */
static int refuse_unsupported(const char *metrics, const char *dot, gboolean svg, const char *html,
                              gboolean step)
{
    const char *what = metrics ? "--metrics"
                       : dot   ? "--dot"
                       : svg   ? "--svg"
                       : html  ? "--html"
                       : step  ? "--step"
                               : NULL;
    if (!what)
        return -1;
    return bad_input("%s is not supported yet: it arrives with the views (diagrams, metrics, "
                     "report) and the interactive step mode",
                     what);
}

static KsPlan *load_plan(const char *file, int *status)
{
    g_autoptr(GError) err = NULL;
    KsPlan *plan = ks_scenario_parse_file(file, &err);
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

static int cmd_run(int argc, char **argv)
{
    g_autofree char *seed = NULL, *until = NULL, *trace = NULL, *summary = NULL, *metrics = NULL,
                    *dot = NULL, *html = NULL, *color = NULL;
    gboolean svg = FALSE, quiet = FALSE, step = FALSE;
    GOptionEntry entries[] = {
        {"seed", 0, 0, G_OPTION_ARG_STRING, &seed, "Seed of the run (overrides the scenario's)",
         "N"},
        {"until", 0, 0, G_OPTION_ARG_STRING, &until, "Stop the run at time T (e.g. 12s)", "T"},
        {"trace", 0, 0, G_OPTION_ARG_FILENAME, &trace, "Write every event as JSON lines", "FILE"},
        {"summary-json", 0, 0, G_OPTION_ARG_FILENAME, &summary, "Write the final state as JSON",
         "FILE"},
        {"metrics", 0, 0, G_OPTION_ARG_FILENAME, &metrics, "Write metrics as CSV (not yet)",
         "FILE"},
        {"dot", 0, 0, G_OPTION_ARG_FILENAME, &dot, "Write topology diagrams (not yet)", "DIR"},
        {"svg", 0, 0, G_OPTION_ARG_NONE, &svg, "Render the diagrams as SVG (not yet)", NULL},
        {"html", 0, 0, G_OPTION_ARG_FILENAME, &html, "Write an HTML report (not yet)", "FILE"},
        {"quiet", 'q', 0, G_OPTION_ARG_NONE, &quiet, "Print only the summary", NULL},
        {"step", 0, 0, G_OPTION_ARG_NONE, &step, "Pause after each event (not yet)", NULL},
        {"color", 0, 0, G_OPTION_ARG_STRING, &color, "Colour: auto, always or never", "WHEN"},
        {NULL}};
    int status = EXIT_HELD;
    if (!parse_options("run", "FILE", entries, &argc, &argv, &status))
        return status;
    if (argc != 2)
        return bad_input("run takes one scenario file (see 'kafkasim run --help')");
    int refused = refuse_unsupported(metrics, dot, svg, html, step);
    if (refused >= 0)
        return refused;
    bool use_color = isatty(STDOUT_FILENO);
    if (color && strcmp(color, "always") == 0)
        use_color = true;
    else if (color && strcmp(color, "never") == 0)
        use_color = false;
    else if (color && strcmp(color, "auto") != 0)
        return bad_input("--color %s: expected auto, always or never", color);
    uint64_t seed_value = 0;
    if (seed && !parse_seed(seed, &seed_value, &status))
        return status;
    KsTime until_value = 0;
    if (until && !parse_time_option("--until", until, &until_value, &status))
        return status;

    g_autoptr(KsPlan) plan = load_plan(argv[1], &status);
    if (!plan)
        return status;
    if (until && (status = check_within_run("--until", until, until_value, plan)) != EXIT_HELD)
        return status;
    KsTime end = until ? until_value : plan->run_until;
    bool checked_end = !until || until_value == plan->run_until;

    g_autoptr(GError) err = NULL;
    g_autoptr(KsSim) sim = ks_sim_new(plan, seed != NULL, seed_value, end, &err);
    if (!sim) {
        fprintf(stderr, "%s\n", err->message);
        return EXIT_BAD_INPUT;
    }
    KsTrace *tr = NULL;
    if (trace && !(tr = ks_trace_open(sim, trace, &err)))
        return bad_input("%s", err->message);
    g_autoptr(KsTimeline) tl = ks_timeline_new(sim, use_color, print_line, NULL);
    if (!quiet)
        ks_sim_add_sink(sim, ks_timeline_sink, tl);
    if (tr)
        ks_sim_add_sink(sim, ks_trace_sink, tr);

    ks_sim_run(sim);
    if (checked_end)
        ks_sim_finish(sim);
    ks_timeline_write_summary(tl, checked_end);
    fflush(stdout);

    if (tr && !ks_trace_close(tr, true, &err))
        return bad_input("%s", err->message);
    if (summary) {
        g_autofree char *json = ks_summary_json(sim);
        if (!g_file_set_contents(summary, json, -1, &err))
            return bad_input("cannot write the summary: %s", err->message);
    }
    return ks_sim_all_held(sim) ? EXIT_HELD : EXIT_FAILED;
}

static int cmd_check(int argc, char **argv)
{
    GOptionEntry entries[] = {{NULL}};
    int status = EXIT_HELD;
    if (!parse_options("check", "FILE", entries, &argc, &argv, &status))
        return status;
    if (argc != 2)
        return bad_input("check takes one scenario file (see 'kafkasim check --help')");
    g_autoptr(KsPlan) plan = load_plan(argv[1], &status);
    if (!plan)
        return status;
    g_autofree char *end = ks_scenario_format_duration(plan->run_until);
    printf("%s: ok: %u broker%s, %u topic%s, %u producer%s, %u timeline action%s, "
           "%u expectation%s, runs until %s\n",
           argv[1], plan->brokers->len, plan->brokers->len == 1 ? "" : "s", plan->topics->len,
           plan->topics->len == 1 ? "" : "s", plan->producers->len,
           plan->producers->len == 1 ? "" : "s", plan->actions->len,
           plan->actions->len == 1 ? "" : "s", plan->expects->len,
           plan->expects->len == 1 ? "" : "s", end);
    return EXIT_HELD;
}

static int cmd_describe(int argc, char **argv)
{
    g_autofree char *at = NULL, *seed = NULL;
    GOptionEntry entries[] = {{"at", 0, 0, G_OPTION_ARG_STRING, &at,
                               "Describe the cluster at time T (default: end)", "T"},
                              {"seed", 0, 0, G_OPTION_ARG_STRING, &seed, "Seed of the run", "N"},
                              {NULL}};
    int status = EXIT_HELD;
    if (!parse_options("describe", "FILE", entries, &argc, &argv, &status))
        return status;
    if (argc != 2)
        return bad_input("describe takes one scenario file (see 'kafkasim describe --help')");
    uint64_t seed_value = 0;
    if (seed && !parse_seed(seed, &seed_value, &status))
        return status;
    KsTime at_value = 0;
    if (at && !parse_time_option("--at", at, &at_value, &status))
        return status;
    g_autoptr(KsPlan) plan = load_plan(argv[1], &status);
    if (!plan)
        return status;
    if (at && (status = check_within_run("--at", at, at_value, plan)) != EXIT_HELD)
        return status;
    g_autoptr(GError) err = NULL;
    g_autoptr(KsSim) sim =
        ks_sim_new(plan, seed != NULL, seed_value, at ? at_value : plan->run_until, &err);
    if (!sim) {
        fprintf(stderr, "%s\n", err->message);
        return EXIT_BAD_INPUT;
    }
    ks_sim_run(sim);
    g_autoptr(GString) out = g_string_new(NULL);
    ks_describe_topics(sim, out);
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
    {"describe", "FILE [--at T]", "Show topics as kafka-topics.sh --describe would, at time T",
     cmd_describe},
    {"partition", "--partitions N KEY...", "Which partition each key goes to (Kafka's murmur2)",
     cmd_partition},
    {"repl", "[FILE]", "Interactive mode (not supported yet)", cmd_not_yet},
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
