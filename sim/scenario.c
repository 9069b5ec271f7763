/* SPDX-License-Identifier: MIT */
/*
 * scenario.c - parser and validator of the scenario language.
 *
 * The lexer (lexer.c) hands over one line of tokens at a time; this file
 * decides what the line means. Everything the language knows is a row of a
 * table (tmux style): declarations (decl_rows), timeline actions
 * (action_rows) and expect conditions (cond_rows). A row names the keyword,
 * its usage line, the key=value arguments it takes with an example of each,
 * which Kafka configs may be set on it, why the simulator may not run it yet,
 * and the handler that builds the plan from it. Usage text, error messages,
 * the keyword list and docs/scenario-language.md therefore cannot drift apart.
 *
 * A line goes through the same steps whatever it is:
 *  1. its arguments are collected (KEY=value pairs, positional values, lists
 *     "a,b" and sets "{1,2}"), and every key is checked: the row's own keys,
 *     else a Kafka config from the config table, checked for scope and value;
 *  2. the row's handler checks the meaning (names declared, numbers in
 *     range) and builds the plan's element;
 *  3. only then, if the simulator cannot run it (support.h), the line is
 *     refused with a "not supported yet" error: a user always learns about a
 *     real mistake before learning about a missing feature.
 *
 * Parsing stops at the first error, whose message is the final one-line
 * "FILE:LINE:COL: error: ..." text. Names are looked up in hash tables that
 * only index the plan's arrays (never iterated, so no hash order leaks into
 * the plan). Everything a user can make us allocate has a limit.
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

static bool line_at(Parser *p, const KsToken *kw, GError **error)
{
    const KsToken *tt = ks_scn_cur(p);
    KsTime at;
    if (!want_time(p, "at 5s crash broker 2", &at, error))
        return false;
    char b1[32], b2[32];
    if (p->have_at && at < p->last_at)
        return ks_scn_fail(p, tt, VALUE, error, "time goes backwards: %s is before %s (line %d)",
                           ks_scn_time_show(at, b1, sizeof b1),
                           ks_scn_time_show(p->last_at, b2, sizeof b2), p->last_at_line);
    if (p->plan->has_run && at > p->plan->run_until)
        return ks_scn_fail(p, tt, VALUE, error, "%s is after the end of the run at %s (line %d)",
                           ks_scn_time_show(at, b1, sizeof b1),
                           ks_scn_time_show(p->plan->run_until, b2, sizeof b2),
                           p->plan->run_loc.line);
    p->have_at = true;
    p->last_at = at;
    p->last_at_line = kw->line;
    return ks_scn_parse_action(p, at, 0, error);
}

static bool line_every(Parser *p, const KsToken *kw, GError **error)
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
    if (!p->first_every_line) {
        p->first_every_line = kw->line;
        p->first_every_col = kw->col;
    }
    if (every > p->max_every || !p->max_every_line) {
        p->max_every = MAX(p->max_every, every);
        p->max_every_line = kw->line;
    }
    return ks_scn_parse_action(p, every, every, error);
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
    KsTime base = until || !p->have_at ? 0 : p->last_at;
    char b1[32], b2[32];
    if (t > MAX_TIME - base)
        return ks_scn_fail(p, tt, VALUE, error, "the run would end after %s (365 days)",
                           ks_scn_time_show(MAX_TIME, b1, sizeof b1));
    KsTime end = base + t;
    if (p->have_at && end < p->last_at)
        return ks_scn_fail(p, tt, VALUE, error,
                           "the run ends at %s, before the action at %s on line %d",
                           ks_scn_time_show(end, b1, sizeof b1),
                           ks_scn_time_show(p->last_at, b2, sizeof b2), p->last_at_line);
    if (p->max_every_line && p->max_every > end)
        return ks_scn_fail(p, tt, VALUE, error,
                           "the run ends at %s, before the `every` line %d first runs (at %s)",
                           ks_scn_time_show(end, b1, sizeof b1), p->max_every_line,
                           ks_scn_time_show(p->max_every, b2, sizeof b2));
    plan->has_run = true;
    plan->run_until = end;
    plan->run_loc = ks_scn_loc_of(kw);
    return true;
}

static bool line_expect(Parser *p, const KsToken *kw, GError **error)
{
    const CondRow *row = NULL;
    const KsToken *ct = NULL;
    KsPlanExpect *e = ks_scn_parse_condition(p, kw, &row, &ct, error);
    if (!e)
        return false;
    g_ptr_array_add(p->plan->expects, e);
    return ks_scn_check_cond_support(p, row, ct, error);
}

static bool parse_line(Parser *p, GError **error)
{
    const KsToken *kw = ks_scn_cur(p);
    if (kw->kind != KS_TOK_WORD) {
        g_autofree char *s = ks_scn_tok_show(kw);
        return ks_scn_fail(p, kw, SYNTAX, error,
                           "a line starts with a keyword such as `topic` or `at`, not '%s'", s);
    }
    bool at = ks_scn_tok_is(kw, "at"), every = ks_scn_tok_is(kw, "every"),
         run = ks_scn_tok_is(kw, "run"), expect = ks_scn_tok_is(kw, "expect");
    if (!(at || every || run || expect))
        return ks_scn_parse_declaration(p, kw, error);
    if (!ks_scn_finish_declarations(p, kw->line, error))
        return false;
    ks_scn_advance(p);
    if (at)
        return line_at(p, kw, error);
    if (every)
        return line_every(p, kw, error);
    if (run)
        return line_run(p, kw, error);
    return line_expect(p, kw, error);
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
    if (p->first_every_line && !plan->has_run)
        return ks_scn_fail_at(
            p, p->first_every_line, p->first_every_col, VALUE, error,
            "every repeats until the end of the run, but there is no run line; add "
            "`run until TIME` or `run for DURATION`");
    if (!plan->has_run)
        plan->run_until = p->have_at ? p->last_at : 0;
    g_ptr_array_sort(plan->actions, cmp_action);
    g_ptr_array_sort(plan->brokers, cmp_broker);
    return true;
}

static void parser_clear(Parser *p)
{
    g_clear_pointer(&p->nodes, g_hash_table_unref);
    g_clear_pointer(&p->brokers, g_hash_table_unref);
    g_clear_pointer(&p->added, g_array_unref);
    g_clear_pointer(&p->topics, g_hash_table_unref);
    g_clear_pointer(&p->topic_norm, g_hash_table_unref);
    g_clear_pointer(&p->topic_aux, g_array_unref);
    g_clear_pointer(&p->producer_part, g_array_unref);
    g_clear_pointer(&p->producer_checks, g_array_unref);
    g_clear_pointer(&p->clients, g_hash_table_unref);
    g_clear_pointer(&p->groups, g_hash_table_unref);
}

/* ------------------------------------------------------------------------ */
/* Public API                                                                 */

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
    Parser p = {
        .file = file,
        .plan = plan,
        .allow_unsupported = flags & KS_SCENARIO_PARSE_ALLOW_UNSUPPORTED,
        .nodes = g_hash_table_new(g_str_hash, g_str_equal),
        .brokers = g_hash_table_new_full(g_direct_hash, g_direct_equal, NULL, g_free),
        .added = g_array_new(FALSE, FALSE, sizeof(KsBrokerId)),
        .topics = g_hash_table_new(g_str_hash, g_str_equal),
        .topic_norm = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, NULL),
        .topic_aux = g_array_new(FALSE, FALSE, sizeof(TopicAux)),
        .producer_part = g_array_new(FALSE, FALSE, sizeof(KsLoc)),
        .producer_checks = g_array_new(FALSE, FALSE, sizeof(ProducerCheck)),
        .clients = g_hash_table_new_full(g_str_hash, g_str_equal, NULL, g_free),
        .groups = g_hash_table_new_full(g_str_hash, g_str_equal, NULL, g_free),
    };
    g_autoptr(KsLexer) lx = ks_lexer_new(file, text ? text : "", len);
    bool ok = true;
    for (;;) {
        const KsToken *toks;
        guint n;
        KsLexResult r = ks_lexer_next_line(lx, &toks, &n, error);
        if (r == KS_LEX_END)
            break;
        if (r == KS_LEX_ERROR) {
            ok = false;
            break;
        }
        if (n == 1)
            continue; /* blank or comment */
        p.toks = toks;
        p.n = n;
        p.pos = 0;
        if (!parse_line(&p, error)) {
            ok = false;
            break;
        }
    }
    if (ok)
        ok = finish(&p, error);
    parser_clear(&p);
    if (!ok)
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
