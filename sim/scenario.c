/* SPDX-License-Identifier: MIT */
/*
 * scenario.c - parser and validator of the scenario language: lines,
 * files and the public API.
 *
 * The lexer (lexer.c) hands over one line of tokens at a time; the parser
 * decides what the line means. Everything the language knows is a row of a
 * table (tmux style): declarations (decl_rows, scenario-decl.c), timeline
 * actions (action_rows, scenario-action.c) and expect conditions
 * (cond_rows, scenario-expect.c). A row names the keyword, its usage line,
 * the key=value arguments it takes with an example of each, which Kafka
 * configs may be set on it, why the simulator may not run it yet, and the
 * handler that builds the plan from it. Usage text, error messages, the
 * keyword list and docs/scenario-language.md therefore cannot drift apart.
 *
 * A line goes through the same steps whatever it is:
 *  1. its arguments are collected (KEY=value pairs, positional values, lists
 *     "a,b" and sets "{1,2}"), and every key is checked: the row's own keys,
 *     else a Kafka config from the config table, checked for scope and value
 *     (scenario-args.c);
 *  2. the row's handler checks the meaning (names declared, scenario-lookup.c;
 *     numbers in range) and builds the plan's element;
 *  3. only then, if the simulator cannot run it (support.h), the line is
 *     refused with a "not supported yet" error: a user always learns about a
 *     real mistake before learning about a missing feature.
 *
 * This file owns the lines: `at`, `every`, `run` and `expect`, and the one
 * function that parses a line of tokens (parse_tokens). A file is a loop
 * over it; ks_scenario_parse_line() is the same function over one line of
 * text, against a plan that keeps the parser's state (Parser, owned by the
 * plan), for the REPL and for actions added to a running simulation. A
 * timeline line that fails puts the timeline state back as it was, so a bad
 * line typed at a prompt changes nothing. Parsing a file stops at the first
 * error, whose message is the final one-line "FILE:LINE:COL: error: ..."
 * text. Names are looked up in hash tables that only index the plan's
 * arrays (never iterated, so no hash order leaks into the plan). Everything
 * a user can make us allocate has a limit.
 */
#include "kafkasim/scenario.h"

#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include <glib.h>

#include "kafkasim/config.h"
#include "kafkasim/support.h"
#include "kafkasim/text.h"
#include "lexer.h"
#include "scenario-private.h"

G_DEFINE_QUARK(ks - scenario - error - quark, ks_scenario_error)
/* ------------------------------------------------------------------------ */
/* Lines                                                                      */

/* The time of an `at` line or the end of a run: a duration, or 0. */
static bool want_time(Parser *p, const char *example, KsTime *out, GError **error)
{
    const KsToken *t = ks_scn_cur(p);
    if (!ks_scn_tok_duration(p, t, NULL, "a time", example, out, error))
        return false;
    ks_scn_advance(p);
    return true;
}

/* Parses the action of an `at` or `every` line, or of a line without
 * either that runs it now, into @out. */
static bool line_action(Parser *p, KsTime at, KsTime every, KsScenarioLine *out, GError **error)
{
    out->action = ks_scn_parse_action(p, at, every, error);
    out->kind = out->action ? KS_SCENARIO_LINE_ACTION : KS_SCENARIO_LINE_NONE;
    return out->action != NULL;
}

static bool line_at(Parser *p, const KsToken *kw, KsScenarioLine *out, GError **error)
{
    const KsToken *tt = ks_scn_cur(p);
    KsTime at;
    if (!want_time(p, "at 5s crash broker 2", &at, error))
        return false;
    char b1[32], b2[32];
    if (p->tl.have_at && at < p->tl.last_at)
        return ks_scn_fail(p, tt, VALUE, error, "time goes backwards: %s is before %s (line %d)",
                           ks_scn_time_show(at, b1, sizeof b1),
                           ks_scn_time_show(p->tl.last_at, b2, sizeof b2), p->tl.last_at_line);
    if (p->plan->has_run && at > p->plan->run_until)
        return ks_scn_fail(p, tt, VALUE, error, "%s is after the end of the run at %s (line %d)",
                           ks_scn_time_show(at, b1, sizeof b1),
                           ks_scn_time_show(p->plan->run_until, b2, sizeof b2),
                           p->plan->run_loc.line);
    p->tl.have_at = true;
    p->tl.last_at = at;
    p->tl.last_at_line = kw->line;
    return line_action(p, at, 0, out, error);
}

static bool line_every(Parser *p, const KsToken *kw, KsScenarioLine *out, GError **error)
{
    const KsToken *tt = ks_scn_cur(p);
    KsTime every;
    if (!want_time(p, "every 5s snapshot", &every, error))
        return false;
    char b1[32], b2[32];
    if (every == 0)
        return ks_scn_fail(p, tt, VALUE, error,
                           "every needs a period greater than 0, e.g. every 5s");
    if (p->plan->has_run && every > p->plan->run_until)
        return ks_scn_fail(p, tt, VALUE, error, "every %s never runs: the run ends at %s (line %d)",
                           ks_scn_time_show(every, b1, sizeof b1),
                           ks_scn_time_show(p->plan->run_until, b2, sizeof b2),
                           p->plan->run_loc.line);
    if (!p->tl.first_every_line) {
        p->tl.first_every_line = kw->line;
        p->tl.first_every_col = kw->col;
    }
    if (every > p->tl.max_every || !p->tl.max_every_line) {
        p->tl.max_every = MAX(p->tl.max_every, every);
        p->tl.max_every_line = kw->line;
    }
    return line_action(p, every, every, out, error);
}

static bool line_run(Parser *p, const KsToken *kw, GError **error)
{
    KsPlan *plan = p->plan;
    if (plan->has_run)
        return ks_scn_fail(p, kw, VALUE, error, "the run is already set on line %d",
                           plan->run_loc.line);
    const KsToken *how = ks_scn_cur(p);
    bool until = ks_scn_tok_is(how, "until");
    if (!until && !ks_scn_tok_is(how, "for"))
        return ks_scn_fail(p, how, SYNTAX, error,
                           "write `run until TIME` or `run for DURATION`, e.g. "
                           "run until 30s");
    ks_scn_advance(p);
    const KsToken *tt = ks_scn_cur(p);
    KsTime t;
    if (!want_time(p, until ? "run until 30s" : "run for 30s", &t, error))
        return false;
    if (ks_scn_cur(p)->kind != KS_TOK_EOL) {
        g_autofree char *s = ks_scn_tok_show(ks_scn_cur(p));
        return ks_scn_fail(p, ks_scn_cur(p), SYNTAX, error, "unexpected '%s' after the run's time",
                           s);
    }
    /* `run for` counts from the latest `at` line above it. */
    KsTime base = until || !p->tl.have_at ? 0 : p->tl.last_at;
    char b1[32], b2[32];
    if (t > MAX_TIME - base)
        return ks_scn_fail(p, tt, VALUE, error, "the run would end after %s (365 days)",
                           ks_scn_time_show(MAX_TIME, b1, sizeof b1));
    KsTime end = base + t;
    if (p->tl.have_at && end < p->tl.last_at)
        return ks_scn_fail(p, tt, VALUE, error,
                           "the run ends at %s, before the action at %s on line %d",
                           ks_scn_time_show(end, b1, sizeof b1),
                           ks_scn_time_show(p->tl.last_at, b2, sizeof b2), p->tl.last_at_line);
    if (p->tl.max_every_line && p->tl.max_every > end)
        return ks_scn_fail(p, tt, VALUE, error,
                           "the run ends at %s, before the `every` line %d first runs (at %s)",
                           ks_scn_time_show(end, b1, sizeof b1), p->tl.max_every_line,
                           ks_scn_time_show(p->tl.max_every, b2, sizeof b2));
    plan->has_run = true;
    plan->run_until = end;
    plan->run_loc = ks_scn_loc_of(kw);
    return true;
}

static bool line_expect(Parser *p, const KsToken *kw, KsScenarioLine *out, GError **error)
{
    const CondRow *row = NULL;
    const KsToken *ct = NULL;
    g_autoptr(KsPlanExpect) e = ks_scn_parse_condition(p, kw, &row, &ct, error);
    if (!e || !ks_scn_check_cond_support(p, row, ct, error))
        return false;
    out->kind = KS_SCENARIO_LINE_EXPECT;
    out->expect = g_steal_pointer(&e);
    return true;
}

/* Whether the line at @kw is an action without a time, to run now. */
static bool is_now_action(Parser *p, const KsToken *kw)
{
    if (!p->allow_now)
        return false;
    /* `set` is a declaration until the timeline begins, then an action. */
    return ks_scn_is_action_verb(kw) || (p->tl.decls_done && ks_scn_tok_is(kw, "set"));
}

static bool parse_line(Parser *p, KsScenarioLine *out, GError **error)
{
    const KsToken *kw = ks_scn_cur(p);
    if (kw->kind != KS_TOK_WORD) {
        g_autofree char *s = ks_scn_tok_show(kw);
        return ks_scn_fail(p, kw, SYNTAX, error,
                           "a line starts with a keyword such as `topic` or `at`, not '%s'", s);
    }
    bool at = ks_scn_tok_is(kw, "at"), every = ks_scn_tok_is(kw, "every"),
         run = ks_scn_tok_is(kw, "run"), expect = ks_scn_tok_is(kw, "expect");
    bool now = !(at || every || run || expect) && is_now_action(p, kw);
    if (!(at || every || run || expect || now)) {
        out->kind = KS_SCENARIO_LINE_DECLARATION;
        return ks_scn_parse_declaration(p, kw, error);
    }
    if (!ks_scn_finish_declarations(p, kw->line, error))
        return false;
    if (now)
        return line_action(p, KS_SCENARIO_NOW, 0, out, error);
    ks_scn_advance(p);
    if (at)
        return line_at(p, kw, out, error);
    if (every)
        return line_every(p, kw, out, error);
    if (expect)
        return line_expect(p, kw, out, error);
    out->kind = KS_SCENARIO_LINE_RUN;
    return line_run(p, kw, error);
}

/* Parses the line of tokens @toks (@n of them, the last KS_TOK_EOL) into
 * @out: the one implementation of a line, for files and single lines alike.
 * A line that fails leaves the timeline state as it was. */
static bool parse_tokens(Parser *p, const KsToken *toks, guint n, KsScenarioLine *out,
                         GError **error)
{
    *out = (KsScenarioLine){0};
    p->toks = toks;
    p->n = n;
    p->pos = 0;
    Timeline mark = p->tl;
    guint n_grown = p->grown ? p->grown->len : 0;
    if (parse_line(p, out, error))
        return true;
    ks_scenario_line_clear(out);
    if (p->grown)
        g_array_set_size(p->grown, n_grown);
    for (guint i = mark.n_added; i < p->added->len; i++)
        g_hash_table_remove(p->brokers,
                            GINT_TO_POINTER((int)g_array_index(p->added, KsBrokerId, i)));
    g_array_set_size(p->added, mark.n_added);
    p->tl = mark;
    return false;
}

static gint cmp_action(gconstpointer a, gconstpointer b)
{
    const KsPlanAction *x = *(KsPlanAction *const *)a, *y = *(KsPlanAction *const *)b;
    if (x->at != y->at)
        return x->at < y->at ? -1 : 1;
    return (x->loc.line > y->loc.line) - (x->loc.line < y->loc.line);
}

static gint cmp_broker(gconstpointer a, gconstpointer b)
{
    const KsPlanBroker *x = *(KsPlanBroker *const *)a, *y = *(KsPlanBroker *const *)b;
    return (x->id > y->id) - (x->id < y->id);
}

static bool finish(Parser *p, GError **error)
{
    if (!ks_scn_finish_declarations(p, 0, error))
        return false;
    KsPlan *plan = p->plan;
    if (p->tl.first_every_line && !plan->has_run)
        return ks_scn_fail_at(
            p, p->tl.first_every_line, p->tl.first_every_col, VALUE, error,
            "every repeats until the end of the run, but there is no run line; add "
            "`run until TIME` or `run for DURATION`");
    if (!plan->has_run)
        plan->run_until = p->tl.have_at ? p->tl.last_at : 0;
    g_ptr_array_sort(plan->actions, cmp_action);
    g_ptr_array_sort(plan->brokers, cmp_broker);
    return true;
}

static void topic_aux_clear(gpointer data)
{
    TopicAux *aux = data;
    g_clear_pointer(&aux->assign_seen, g_hash_table_unref);
}

static void parser_free(gpointer data)
{
    Parser *p = data;
    g_hash_table_unref(p->nodes);
    g_hash_table_unref(p->brokers);
    g_array_unref(p->added);
    if (p->grown)
        g_array_unref(p->grown);
    g_hash_table_unref(p->topics);
    g_hash_table_unref(p->topic_norm);
    g_array_unref(p->topic_aux);
    g_array_unref(p->producer_part);
    g_array_unref(p->producer_checks);
    g_hash_table_unref(p->clients);
    g_hash_table_unref(p->groups);
    if (p->decl_lines)
        g_ptr_array_unref(p->decl_lines);
    g_free(p);
}

/* The parser state of @plan, new (and owned by @plan) if it has none. */
static Parser *plan_parser(KsPlan *plan, unsigned flags)
{
    if (plan->parser)
        return plan->parser;
    Parser *p = g_new0(Parser, 1);
    GArray *topic_aux = g_array_new(FALSE, FALSE, sizeof(TopicAux));
    g_array_set_clear_func(topic_aux, topic_aux_clear);
    *p = (Parser){
        .file = plan->file,
        .plan = plan,
        .allow_unsupported = flags & KS_SCENARIO_PARSE_ALLOW_UNSUPPORTED,
        .nodes = g_hash_table_new(g_str_hash, g_str_equal),
        .brokers = g_hash_table_new_full(g_direct_hash, g_direct_equal, NULL, g_free),
        .added = g_array_new(FALSE, FALSE, sizeof(KsBrokerId)),
        .topics = g_hash_table_new(g_str_hash, g_str_equal),
        .topic_norm = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, NULL),
        .topic_aux = topic_aux,
        .producer_part = g_array_new(FALSE, FALSE, sizeof(KsLoc)),
        .producer_checks = g_array_new(FALSE, FALSE, sizeof(ProducerCheck)),
        .clients = g_hash_table_new_full(g_str_hash, g_str_equal, NULL, g_free),
        .groups = g_hash_table_new_full(g_str_hash, g_str_equal, NULL, g_free),
    };
    plan->parser = p;
    plan->parser_free = parser_free;
    return p;
}

/* ------------------------------------------------------------------------ */
/* Public API                                                                 */

void ks_scenario_line_clear(KsScenarioLine *line)
{
    g_return_if_fail(line);
    g_clear_pointer(&line->action, ks_plan_action_free);
    g_clear_pointer(&line->expect, ks_plan_expect_free);
    line->kind = KS_SCENARIO_LINE_NONE;
}

/* Parses @text, one line numbered @line_no, with ks_scenario_parse_line()'s
 * rules. */
static bool parse_text(Parser *p, const char *text, int line_no, KsScenarioLine *out,
                       GError **error)
{
    *out = (KsScenarioLine){0};
    size_t len = strlen(text);
    const char *nl = memchr(text, '\n', len);
    if (nl && nl + 1 != text + len) {
        ks_lex_set_error(error, SYNTAX, p->file, line_no, (int)(nl - text) + 1,
                         "one line at a time: the text goes on after its end of line");
        return false;
    }
    g_autoptr(KsLexer) lx = ks_lexer_new(p->file, text, len);
    ks_lexer_set_next_line(lx, line_no);
    const KsToken *toks;
    guint n;
    KsLexResult r = ks_lexer_next_line(lx, &toks, &n, error);
    if (r == KS_LEX_ERROR)
        return false;
    if (r == KS_LEX_END || n == 1)
        return true; /* blank or comment */
    bool allow_now = p->allow_now;
    p->allow_now = true;
    bool ok = parse_tokens(p, toks, n, out, error);
    p->allow_now = allow_now;
    return ok;
}

static void decl_line_free(gpointer data)
{
    DeclLine *d = data;
    g_free(d->text);
    g_free(d);
}

/* Puts @plan back as its recorded declaration lines made it, after a line
 * that failed while the declarations were open (a declaration can fail
 * half made). The lines are parsed again into a new plan, whose contents
 * then replace @plan's: the same lines give the same plan. */
static void rebuild_declarations(KsPlan *plan)
{
    Parser *old = plan->parser;
    g_autoptr(KsPlan) fresh = ks_plan_new(plan->file);
    Parser *p =
        plan_parser(fresh, old->allow_unsupported ? KS_SCENARIO_PARSE_ALLOW_UNSUPPORTED : 0);
    for (guint i = 0; old->decl_lines && i < old->decl_lines->len; i++) {
        const DeclLine *d = old->decl_lines->pdata[i];
        KsScenarioLine out;
        bool ok = parse_text(p, d->text, d->line_no, &out, NULL);
        g_assert(ok && out.kind == KS_SCENARIO_LINE_DECLARATION); /* it parsed before */
    }
    p->decl_lines = g_steal_pointer(&old->decl_lines);
    KsPlan swap = *plan;
    *plan = *fresh;
    *fresh = swap;
    /* The caller's actions and expects stay where they were. */
    GPtrArray *actions = plan->actions, *expects = plan->expects;
    plan->actions = fresh->actions;
    plan->expects = fresh->expects;
    fresh->actions = actions;
    fresh->expects = expects;
    p->plan = plan;
    p->file = plan->file;
    old->plan = fresh;
    old->file = fresh->file;
}

bool ks_scenario_parse_line(KsPlan *plan, const char *text, int line_no, KsScenarioLine *out,
                            GError **error)
{
    g_return_val_if_fail(plan && text && out && line_no >= 1, false);
    g_return_val_if_fail(!error || !*error, false);
    Parser *p = plan_parser(plan, 0);
    bool decls_open = !p->tl.decls_done;
    if (!parse_text(p, text, line_no, out, error)) {
        if (decls_open)
            rebuild_declarations(plan);
        return false;
    }
    if (out->kind == KS_SCENARIO_LINE_DECLARATION) {
        if (!p->decl_lines)
            p->decl_lines = g_ptr_array_new_with_free_func(decl_line_free);
        DeclLine *d = g_new0(DeclLine, 1);
        d->text = g_strdup(text);
        d->line_no = line_no;
        g_ptr_array_add(p->decl_lines, d);
    }
    return true;
}

bool ks_scenario_finish(KsPlan *plan, GError **error)
{
    g_return_val_if_fail(plan, false);
    return finish(plan_parser(plan, 0), error);
}

KsPlan *ks_scenario_parse_full(const char *file, const char *text, size_t len, unsigned flags,
                               GError **error)
{
    g_return_val_if_fail(file, NULL);
    g_return_val_if_fail(text || len == 0, NULL);
    g_return_val_if_fail(!error || !*error, NULL);
    if (len > MAX_FILE_BYTES) {
        ks_lex_set_error(error, KS_SCENARIO_ERROR_IO, file, 1, 1,
                         "the file is larger than 16 MiB; scenarios are limited to that");
        return NULL;
    }
    g_autoptr(KsPlan) plan = ks_plan_new(file);
    Parser *p = plan_parser(plan, flags);
    g_autoptr(KsLexer) lx = ks_lexer_new(file, text ? text : "", len);
    for (;;) {
        const KsToken *toks;
        guint n;
        KsLexResult r = ks_lexer_next_line(lx, &toks, &n, error);
        if (r == KS_LEX_END)
            break;
        if (r == KS_LEX_ERROR)
            return NULL;
        if (n == 1)
            continue; /* blank or comment */
        KsScenarioLine line;
        if (!parse_tokens(p, toks, n, &line, error))
            return NULL;
        if (line.action)
            g_ptr_array_add(plan->actions, g_steal_pointer(&line.action));
        if (line.expect)
            g_ptr_array_add(plan->expects, g_steal_pointer(&line.expect));
    }
    if (!finish(p, error))
        return NULL;
    return g_steal_pointer(&plan);
}

KsPlan *ks_scenario_parse(const char *file, const char *text, size_t len, GError **error)
{
    return ks_scenario_parse_full(file, text, len, 0, error);
}

KsPlan *ks_scenario_parse_file(const char *path, GError **error)
{
    g_return_val_if_fail(path, NULL);
    FILE *f = fopen(path, "rb");
    if (!f) {
        int e = errno;
        ks_lex_set_error(error, KS_SCENARIO_ERROR_IO, path, 1, 1, "cannot read the file: %s",
                         g_strerror(e));
        return NULL;
    }
    /* Read at most one byte more than the limit, so a huge file (or an
     * endless one such as /dev/zero) costs no more than the limit. */
    GString *buf = g_string_sized_new(4096);
    char chunk[65536];
    size_t got;
    while ((got = fread(chunk, 1, sizeof chunk, f)) > 0) {
        g_string_append_len(buf, chunk, (gssize)got);
        if (buf->len > MAX_FILE_BYTES)
            break;
    }
    bool bad = ferror(f) != 0;
    int e = errno;
    fclose(f);
    if (bad) {
        g_string_free(buf, TRUE);
        ks_lex_set_error(error, KS_SCENARIO_ERROR_IO, path, 1, 1, "cannot read the file: %s",
                         g_strerror(e));
        return NULL;
    }
    KsPlan *plan = ks_scenario_parse(path, buf->str, buf->len, error);
    g_string_free(buf, TRUE);
    return plan;
}

bool ks_scenario_parse_duration(const char *text, KsTime *out, GError **error)
{
    g_return_val_if_fail(text && out, false);
    if (strcmp(text, "0") == 0) {
        *out = 0;
        return true;
    }
    const char *why = NULL;
    KsTime t;
    if (ks_lex_duration(text, strlen(text), &t, &why)) {
        *out = t;
        return true;
    }
    g_autofree char *shown = g_strescape(text, NULL);
    g_set_error(error, KS_SCENARIO_ERROR, KS_SCENARIO_ERROR_VALUE, "duration '%s' %s", shown, why);
    return false;
}

/* Appends @whole and, if not zero, the decimals of @frac (a fraction in
 * thousandths), without trailing zeros. */
static char *format_decimal(int64_t whole, int64_t thousandths, const char *unit)
{
    if (thousandths == 0)
        return g_strdup_printf("%" PRId64 "%s", whole, unit);
    char digits[4];
    g_snprintf(digits, sizeof digits, "%03" PRId64, thousandths);
    for (int i = 2; i > 0 && digits[i] == '0'; i--)
        digits[i] = '\0';
    return g_strdup_printf("%" PRId64 ".%s%s", whole, digits, unit);
}

char *ks_scenario_format_duration(KsTime t)
{
    g_return_val_if_fail(t >= 0, g_strdup("0s"));
    if (t == 0)
        return g_strdup("0s");
    if (t % KS_TIME_H == 0)
        return g_strdup_printf("%" PRId64 "h", t / KS_TIME_H);
    if (t % KS_TIME_MIN == 0)
        return g_strdup_printf("%" PRId64 "m", t / KS_TIME_MIN);
    if (t >= KS_TIME_S && t % KS_TIME_MS == 0)
        return format_decimal(t / KS_TIME_S, (t % KS_TIME_S) / KS_TIME_MS, "s");
    if (t >= KS_TIME_MS)
        return format_decimal(t / KS_TIME_MS, t % KS_TIME_MS, "ms");
    return g_strdup_printf("%" PRId64 "us", t);
}

const char *const *ks_scenario_keywords(void)
{
    static gsize list;
    if (g_once_init_enter(&list)) {
        GPtrArray *w = g_ptr_array_new();
        static const char *const lines[] = {"at", "every", "run", "until", "for", "expect"};
        for (size_t i = 0; i < G_N_ELEMENTS(lines); i++)
            ks_scn_add_keyword(w, lines[i]);
        ks_scn_add_decl_keywords(w);
        ks_scn_add_action_keywords(w);
        ks_scn_add_cond_keywords(w);
        static const char *const words[] = {"broker", "none", "true", "false"};
        for (size_t i = 0; i < G_N_ELEMENTS(words); i++)
            ks_scn_add_keyword(w, words[i]);
        ks_scn_add_decl_value_keywords(w);
        ks_scn_add_cond_value_keywords(w);
        g_ptr_array_add(w, NULL);
        /* Built once and never freed: it is static data in all but name. */
        g_once_init_leave(&list, (gsize)g_ptr_array_free(w, FALSE));
    }
    return (const char *const *)list;
}
