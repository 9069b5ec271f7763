/* SPDX-License-Identifier: MIT */
/*
 * repl.c - `kafkasim repl [FILE]`: run a scenario one command at a time.
 *
 * The REPL loads FILE (or, without one, takes declarations typed line by
 * line until the first command that needs the cluster) and drives the
 * simulation through the step API of sim.h and the timeline view of
 * output.h, so what it prints is what `kafkasim run` prints, status lines
 * and glosses included, cut where the user stops. Commands:
 *
 *   step               run to the next moment the timeline has something
 *                      to say (all of that instant's events)
 *   next event         run exactly one engine event
 *   run until T        run to time T (`run for D`: D more; `run`: the end)
 *   status             the status lines now: what waits, and why
 *   describe [topics]  kafka-topics.sh --describe; `describe groups [G]`
 *   expect COND        checks COND now, as a timed `expect` does
 *   diagram            (not in this build: diagrams arrive with --dot/--svg)
 *   time, help, quit
 *   anything else      a scenario line: a timeline action (`crash broker
 *                      2`, `at 40s restart broker 2`, `start consumer c3
 *                      group=g topics=t`), parsed by the scenario parser
 *
 * Errors in a line are the parser's, "<repl>:LINE:COL: error: ...", LINE
 * counting the lines typed; the REPL goes on after them. It reads a pipe as
 * well as a terminal: with no terminal it prints each command after a
 * prompt, so a piped session reads as a transcript (the tests pipe one).
 * Line editing and history come from libedit when the program is built
 * with it (HAVE_LIBEDIT) and standard input is a terminal. At the end of
 * input or on `quit`, it writes the run's summary, with the end-of-run
 * expectations checked if the run reached its end.
 */
#include "repl.h"

#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <glib.h>

#ifdef HAVE_LIBEDIT
#include <editline/readline.h>
#endif

#include "kafkasim/output.h"
#include "kafkasim/scenario.h"
#include "kafkasim/sim.h"

#define PROMPT "kafkasim> "

typedef struct {
    KsPlan *plan;
    bool from_file;
    KsSim *sim;
    KsTimeline *tl;
    bool explain, color, has_seed, verbose;
    uint64_t seed;
    int line_no;        /* commands read so far */
    uint64_t printed;   /* timeline lines written so far */
    GPtrArray *expects; /* of KsPlanExpect*: checked ones, which results borrow */
    GPtrArray *decls;   /* without a file: the declaration lines typed (owned) */
    GArray *decl_lines; /* of int: their line numbers */
} Repl;

static void print_line(const char *line, void *ctx)
{
    Repl *r = ctx;
    r->printed++;
    puts(line);
}

static void note(const char *fmt, ...) G_GNUC_PRINTF(1, 2);

/* A line of the REPL's own, as against the timeline's. */
static void note(const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    g_autofree char *text = g_strdup_vprintf(fmt, ap);
    va_end(ap);
    printf("-- %s\n", text);
}

static void error_at(const Repl *r, const char *fmt, ...) G_GNUC_PRINTF(2, 3);

static void error_at(const Repl *r, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    g_autofree char *text = g_strdup_vprintf(fmt, ap);
    va_end(ap);
    fflush(stdout);
    fprintf(stderr, "<repl>:%d:1: error: %s\n", r->line_no, text);
    fflush(stderr);
}

/* Rebuilds the plan of a session without a file from its declaration
 * lines but line @drop, whose declaration the parser refused only when the
 * declarations ended (a replication factor above the brokers declared),
 * and those that named what it declared. */
static void drop_declaration(Repl *r, int drop)
{
    KsPlan *plan = ks_plan_new("<repl>");
    GPtrArray *decls = g_ptr_array_new_with_free_func(g_free);
    GArray *decl_lines = g_array_new(FALSE, FALSE, sizeof(int));
    for (guint i = 0; i < r->decls->len; i++) {
        int line_no = g_array_index(r->decl_lines, int, i);
        KsScenarioLine line = {0};
        if (line_no != drop &&
            ks_scenario_parse_line(plan, g_ptr_array_index(r->decls, i), line_no, &line, NULL)) {
            g_ptr_array_add(decls, g_strdup(g_ptr_array_index(r->decls, i)));
            g_array_append_val(decl_lines, line_no);
        } else {
            note("the declaration of line %d is dropped: declare it again, corrected", line_no);
        }
        ks_scenario_line_clear(&line);
    }
    g_ptr_array_unref(r->decls);
    g_array_unref(r->decl_lines);
    r->decls = decls;
    r->decl_lines = decl_lines;
    ks_plan_free(r->plan);
    r->plan = plan;
}

/* ks_scenario_parse_line() with "<repl>" naming the line in messages. */
static bool parse_line(Repl *r, const char *text, KsScenarioLine *out)
{
    g_autoptr(GError) err = NULL;
    if (ks_scenario_parse_line(r->plan, text, r->line_no, out, &err)) {
        if (!r->from_file && out->kind == KS_SCENARIO_LINE_DECLARATION) {
            g_ptr_array_add(r->decls, g_strdup(text));
            g_array_append_val(r->decl_lines, r->line_no);
        }
        return true;
    }
    /* The parser names the plan's file; the line is the REPL's. */
    const char *msg = err->message;
    size_t n = strlen(r->plan->file);
    if (strncmp(msg, r->plan->file, n) == 0 && msg[n] == ':')
        msg += n;
    fflush(stdout);
    fprintf(stderr, "%s%s\n", msg == err->message ? "" : "<repl>", msg);
    fflush(stderr);
    int at_line = 0;
    if (!r->from_file && msg != err->message && sscanf(msg, ":%d:", &at_line) == 1 &&
        at_line != r->line_no)
        for (guint i = 0; i < r->decl_lines->len; i++)
            if (g_array_index(r->decl_lines, int, i) == at_line) {
                drop_declaration(r, at_line);
                break;
            }
    return false;
}

/* Builds the sim once the plan is complete: at once with a file, at the
 * first command that needs it without one. */
static bool ensure_sim(Repl *r)
{
    if (r->sim)
        return true;
    g_autoptr(GError) err = NULL;
    if (!r->from_file) {
        KsScenarioLine line = {0};
        if (!r->plan->has_run && !parse_line(r, "run until 1h", &line))
            return false;
        ks_scenario_line_clear(&line);
        if (!ks_scenario_finish(r->plan, &err)) {
            fprintf(stderr, "%s\n", err->message);
            return false;
        }
    }
    r->sim = ks_sim_new(r->plan, r->has_seed, r->seed, r->plan->run_until, &err);
    if (!r->sim) {
        fprintf(stderr, "%s\n", err->message);
        return false;
    }
    r->tl = ks_timeline_new(r->sim, r->color, print_line, r);
    ks_timeline_set_explain(r->tl, r->explain);
    ks_sim_add_sink(r->sim, ks_timeline_sink, r->tl);
    ks_sim_set_verbose(r->sim, r->verbose);
    return true;
}

static void show_time(const Repl *r)
{
    g_autofree char *now = ks_format_time(ks_sim_now(r->sim));
    g_autofree char *end = ks_format_time(ks_sim_end(r->sim));
    KsTime next = ks_sim_next_event_time(r->sim);
    g_autofree char *next_text = next == KS_TIME_NEVER ? NULL : ks_format_time(next);
    if (next_text)
        note("at %s; next event at %s; the run ends at %s", now, next_text, end);
    else
        note("at %s, the end of the run", now);
}

/* step: to the next instant that prints, and the rest of that instant. */
static void cmd_step(Repl *r)
{
    uint64_t before = r->printed;
    while (r->printed == before)
        if (!ks_timeline_step(r->tl)) {
            show_time(r);
            return;
        }
    KsTime now = ks_sim_now(r->sim);
    while (ks_sim_next_event_time(r->sim) == now)
        ks_timeline_step(r->tl);
}

static void cmd_next_event(Repl *r)
{
    uint64_t before = r->printed;
    if (!ks_timeline_step(r->tl) || r->printed == before)
        show_time(r);
}

static void cmd_run(Repl *r, const char *args)
{
    KsTime now = ks_sim_now(r->sim), end = ks_sim_end(r->sim), t = end;
    const char *how = NULL;
    if (*args) {
        if (g_str_has_prefix(args, "until "))
            how = "until";
        else if (g_str_has_prefix(args, "for "))
            how = "for";
        if (!how) {
            error_at(r, "run takes `until TIME`, `for DURATION` or nothing (to the end)");
            return;
        }
        g_autoptr(GError) err = NULL;
        const char *value = args + strlen(how) + 1;
        if (!ks_scenario_parse_duration(value, &t, &err)) {
            error_at(r, "run %s %s: %s", how, value, err->message);
            return;
        }
        if (strcmp(how, "for") == 0)
            t += now;
    }
    if (t < now) {
        g_autofree char *at = ks_format_time(now);
        error_at(r, "the simulation is already at %s: it only goes forward", at);
        return;
    }
    if (t > end) {
        g_autofree char *e = ks_format_time(end);
        note("the run ends at %s: running to there", e);
        t = end;
    }
    ks_timeline_run_until(r->tl, t);
    show_time(r);
}

static void cmd_describe(Repl *r, const char *args)
{
    g_autoptr(GString) out = g_string_new(NULL);
    g_autoptr(GString) err = g_string_new(NULL);
    g_auto(GStrv) words = g_strsplit_set(args, " \t", -1);
    const char *what = words[0] && *words[0] ? words[0] : "topics";
    if (strcmp(what, "topics") == 0) {
        ks_describe_topics(r->sim, out);
    } else if (strcmp(what, "groups") == 0 || strcmp(what, "group") == 0) {
        const char *group = words[0] && words[1] && *words[1] ? words[1] : NULL;
        ks_describe_groups(r->sim, group, KS_GROUP_LAYOUT_OFFSETS, out, err);
    } else {
        error_at(r, "describe %s: not available; describe topics or describe groups [GROUP]", what);
        return;
    }
    fputs(err->str, stdout);
    fputs(out->str, stdout);
}

static void cmd_expect(Repl *r, const char *text)
{
    KsScenarioLine line = {0};
    if (!parse_line(r, text, &line))
        return;
    if (line.kind != KS_SCENARIO_LINE_EXPECT) {
        ks_scenario_line_clear(&line);
        error_at(r, "expect takes a condition, e.g. `expect leader orders-0 == 1`");
        return;
    }
    ks_sim_check_expect_now(r->sim, line.expect);
    g_ptr_array_add(r->expects, g_steal_pointer(&line.expect));
    ks_scenario_line_clear(&line);
}

/* "at T ACTION": the REPL schedules ACTION at T itself, so T need only
 * be ahead of the simulation, not of the file's last `at` line. Returns the
 * line with "at T" blanked (columns stay those of @text) and sets *@at, or
 * returns NULL when @text is not such a line. */
static char *split_at(const char *text, KsTime *at)
{
    if (!g_str_has_prefix(text, "at "))
        return NULL;
    const char *t = text + 3;
    while (*t == ' ' || *t == '\t')
        t++;
    size_t n = strcspn(t, " \t");
    g_autofree char *token = g_strndup(t, n);
    if (!ks_scenario_parse_duration(token, at, NULL))
        return NULL;
    char *blanked = g_strdup(text);
    memset(blanked, ' ', (size_t)(t - text) + n);
    return blanked;
}

/* A scenario line: a timeline action (now, or at its time). */
static void cmd_scenario_line(Repl *r, const char *text)
{
    KsScenarioLine line = {0};
    KsTime at = KS_SCENARIO_NOW;
    g_autofree char *blanked = split_at(text, &at);
    if (!parse_line(r, blanked ? blanked : text, &line))
        return;
    if (blanked && line.kind != KS_SCENARIO_LINE_ACTION) {
        ks_scenario_line_clear(&line);
        error_at(r, "only a timeline action takes `at TIME` here; type an expect when the run "
                    "is at its time");
        return;
    }
    if (blanked)
        line.action->at = at;
    /* A declaration went into the plan; the first action or expectation
     * ends the declarations of a session without a file. */
    if ((line.kind != KS_SCENARIO_LINE_ACTION && line.kind != KS_SCENARIO_LINE_EXPECT) ||
        !ensure_sim(r)) {
        ks_scenario_line_clear(&line);
        return;
    }
    if (line.kind == KS_SCENARIO_LINE_EXPECT) {
        /* "expect" with leading blanks or in another case: check it now. */
        ks_sim_check_expect_now(r->sim, line.expect);
        g_ptr_array_add(r->expects, g_steal_pointer(&line.expect));
    } else if (line.kind == KS_SCENARIO_LINE_ACTION) {
        KsPlanAction *action = g_steal_pointer(&line.action);
        if (action->at == KS_SCENARIO_NOW)
            action->at = ks_sim_now(r->sim);
        at = action->at;
        g_autoptr(GError) err = NULL;
        if (!ks_sim_add_action(r->sim, action, &err))
            error_at(r, "%s", err->message);
        else if (at == ks_sim_now(r->sim))
            ks_timeline_run_until(r->tl, at);
        else {
            g_autofree char *t = ks_format_time(at);
            note("scheduled for %s", t);
        }
    }
    ks_scenario_line_clear(&line);
}

static void help(void)
{
    puts("Commands:\n"
         "  step               run to the next moment the timeline has something to say\n"
         "  next event         run exactly one engine event\n"
         "  run until T        run to time T; run for D: D more; run: to the end\n"
         "  status             what waits now, and why\n"
         "  describe [topics]  kafka-topics.sh --describe; describe groups [GROUP]\n"
         "  expect COND        check a condition now (e.g. expect leader orders-1 == 3)\n"
         "  diagram            a topology diagram (not in this build)\n"
         "  time               where the simulation is\n"
         "  help, quit\n"
         "Any timeline action of the scenario language runs now, or at its time with `at T`:\n"
         "  crash broker 2, restart broker 2, at 40s restart broker 2,\n"
         "  start consumer c3 group=g topics=t, say \"...\", snapshot NAME");
}

/* Runs one command; returns false on quit. */
static bool dispatch(Repl *r, const char *text)
{
    g_autofree char *cmd = g_strstrip(g_strdup(text));
    if (!*cmd || *cmd == '#')
        return true;
    if (strcmp(cmd, "quit") == 0 || strcmp(cmd, "exit") == 0)
        return false;
    if (strcmp(cmd, "help") == 0) {
        help();
        return true;
    }
    if (strcmp(cmd, "diagram") == 0) {
        note("diagrams are not available in this build yet: they arrive with --dot and --svg");
        return true;
    }
    bool command = strcmp(cmd, "step") == 0 || strcmp(cmd, "next event") == 0 ||
                   strcmp(cmd, "next") == 0 || strcmp(cmd, "run") == 0 ||
                   g_str_has_prefix(cmd, "run ") || strcmp(cmd, "time") == 0 ||
                   strcmp(cmd, "status") == 0 || strcmp(cmd, "describe") == 0 ||
                   g_str_has_prefix(cmd, "describe ") || g_str_has_prefix(cmd, "expect ");
    if (!command) {
        /* A scenario line: without a file, declarations build the cluster
         * until the first action. */
        cmd_scenario_line(r, cmd);
        if (r->tl)
            ks_timeline_flush_glosses(r->tl);
        return true;
    }
    if (!ensure_sim(r))
        return true;
    if (strcmp(cmd, "step") == 0)
        cmd_step(r);
    else if (strcmp(cmd, "next event") == 0 || strcmp(cmd, "next") == 0)
        cmd_next_event(r);
    else if (strcmp(cmd, "run") == 0 || g_str_has_prefix(cmd, "run "))
        cmd_run(r, cmd[3] ? cmd + 4 : "");
    else if (strcmp(cmd, "time") == 0)
        show_time(r);
    else if (strcmp(cmd, "status") == 0) {
        uint64_t before = r->printed;
        ks_timeline_write_status(r->tl);
        if (r->printed == before)
            note("nothing has waited a second or more");
    } else if (strcmp(cmd, "describe") == 0 || g_str_has_prefix(cmd, "describe "))
        cmd_describe(r, cmd[8] ? cmd + 9 : "");
    else
        cmd_expect(r, cmd);
    ks_timeline_flush_glosses(r->tl);
    return true;
}

/* The next command, or NULL at the end of input. Free with g_free(). */
static char *read_command(bool tty)
{
#ifdef HAVE_LIBEDIT
    if (tty) {
        char *line = readline(PROMPT);
        if (!line)
            return NULL;
        if (*line)
            add_history(line);
        char *copy = g_strdup(line);
        free(line);
        return copy;
    }
#endif
    if (tty) {
        fputs(PROMPT, stdout);
        fflush(stdout);
    }
    char *line = NULL;
    size_t cap = 0;
    ssize_t n = getline(&line, &cap, stdin);
    if (n < 0) {
        free(line);
        return NULL;
    }
    if (n > 0 && line[n - 1] == '\n')
        line[n - 1] = '\0';
    char *copy = g_strdup(line);
    free(line);
    if (!tty)
        printf(PROMPT "%s\n", copy);
    return copy;
}

static void repl_clear(Repl *r)
{
    g_clear_pointer(&r->tl, ks_timeline_free);
    g_clear_pointer(&r->sim, ks_sim_free);
    g_clear_pointer(&r->expects, g_ptr_array_unref);
    g_clear_pointer(&r->decls, g_ptr_array_unref);
    g_clear_pointer(&r->decl_lines, g_array_unref);
    g_clear_pointer(&r->plan, ks_plan_free);
}

int ks_repl_main(int argc, char **argv)
{
    g_autofree char *seed = NULL, *color = NULL;
    gboolean no_explain = FALSE, verbose = FALSE;
    GOptionEntry entries[] = {
        {"seed", 0, 0, G_OPTION_ARG_STRING, &seed, "Seed of the run (overrides the scenario's)",
         "N"},
        {"no-explain", 0, 0, G_OPTION_ARG_NONE, &no_explain,
         "No one-line glosses of Kafka's terms in the timeline", NULL},
        {"verbose", 'v', 0, G_OPTION_ARG_NONE, &verbose,
         "Requests too (produce, fetch, heartbeats, commits)", NULL},
        {"color", 0, 0, G_OPTION_ARG_STRING, &color, "Colour: auto, always or never", "WHEN"},
        {NULL}};
    g_set_prgname("kafkasim repl");
    g_autoptr(GOptionContext) ctx = g_option_context_new("[FILE]");
    g_option_context_set_summary(ctx, "Run a scenario one command at a time ('help' lists them)");
    g_option_context_add_main_entries(ctx, entries, NULL);
    g_autoptr(GError) err = NULL;
    if (!g_option_context_parse(ctx, &argc, &argv, &err) || argc > 2) {
        fprintf(stderr, "kafkasim: error: %s (see 'kafkasim repl --help')\n",
                err ? err->message : "repl takes at most one scenario file");
        return 2;
    }
    Repl r = {.explain = !no_explain,
              .verbose = verbose,
              .decls = g_ptr_array_new_with_free_func(g_free),
              .decl_lines = g_array_new(FALSE, FALSE, sizeof(int)),
              .expects = g_ptr_array_new_with_free_func(ks_plan_expect_free)};
    bool tty = isatty(STDIN_FILENO);
    r.color = isatty(STDOUT_FILENO);
    if (color && strcmp(color, "always") == 0)
        r.color = true;
    else if (color && strcmp(color, "never") == 0)
        r.color = false;
    else if (color && strcmp(color, "auto") != 0) {
        fprintf(stderr, "kafkasim: error: --color %s: expected auto, always or never\n", color);
        repl_clear(&r);
        return 2;
    }
    if (seed) {
        char *end = NULL;
        r.seed = g_ascii_strtoull(seed, &end, 10);
        if (!*seed || *end || seed[0] == '-' || r.seed > INT64_MAX) {
            fprintf(stderr,
                    "kafkasim: error: --seed %s: expected a whole number from 0 to %" PRId64 "\n",
                    seed, (int64_t)INT64_MAX);
            repl_clear(&r);
            return 2;
        }
        r.has_seed = true;
    }
    if (argc == 2) {
        r.from_file = true;
        r.plan = ks_scenario_parse_file(argv[1], &err);
        if (!r.plan || !ensure_sim(&r)) {
            if (err)
                fprintf(stderr, "%s\n", err->message);
            repl_clear(&r);
            return 2;
        }
        g_autofree char *end = ks_format_time(ks_sim_end(r.sim));
        note("%s loaded: the run ends at %s; 'help' lists the commands", argv[1], end);
    } else {
        r.plan = ks_plan_new("<repl>");
        note("no scenario: declare a cluster line by line (cluster, topic, producer, ...); "
             "'help' lists the commands");
    }
    char *line;
    while ((line = read_command(tty))) {
        r.line_no++;
        bool go_on = dispatch(&r, line);
        g_free(line);
        fflush(stdout);
        if (!go_on)
            break;
    }
    if (r.sim) {
        bool at_end = ks_sim_now(r.sim) == ks_sim_end(r.sim);
        if (at_end)
            ks_sim_finish(r.sim);
        ks_timeline_write_summary(r.tl, true);
        guint n = r.plan->expects->len;
        if (!at_end && n > 0)
            printf("  (%u end-of-run expectation%s not checked: the run is not at its end)\n", n,
                   n == 1 ? "" : "s");
    }
    fflush(stdout);
    repl_clear(&r);
    return 0;
}
