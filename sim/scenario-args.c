/* SPDX-License-Identifier: MIT */
/*
 * scenario-args.c - the values of a scenario line.
 *
 * A line is a keyword followed by values: positionals ("topic orders"),
 * KEY=value pairs ("partitions=6"), lists ("zones=a,b"), sets
 * ("replicas={1,2,3}") and, for partition-network, a '|'. This file reads
 * them all the same way (ks_scn_collect_args): each key is checked against
 * the row's own keys (a LineSpec), else against Kafka's config table
 * (config.h) for its scope and its value in the config's type, numbers,
 * durations, booleans, enum names and text. The typed getters (arg_int,
 * arg_name, arg_text, arg_choice, tok_duration) turn a value into what the
 * plan holds or fail with the value as written and an example of a good one.
 *
 * It also holds what every other file of the parser uses: the
 * "FILE:LINE:COL: error:" constructors (ks_scn_fail, ks_scn_fail_at), the
 * token cursor, and the "did you mean" suggestions. Nothing here looks up a
 * name: scenario-lookup.c does. Runs once per line while parsing.
 */
#include "scenario-private.h"

#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include <glib.h>

#include "kafkasim/config.h"
#include "kafkasim/support.h"
#include "kafkasim/text.h"

/* ------------------------------------------------------------------------ */
/* Errors and small helpers                                                   */

bool ks_scn_fail_at(Parser *p, int line, int col, int code, GError **error, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    g_autofree char *msg = g_strdup_vprintf(fmt, ap);
    va_end(ap);
    ks_lex_set_error(error, code, p->file, line, col, "%s", msg);
    return false;
}

bool ks_scn_fail(Parser *p, const KsToken *t, int code, GError **error, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    g_autofree char *msg = g_strdup_vprintf(fmt, ap);
    va_end(ap);
    ks_lex_set_error(error, code, p->file, t->line, t->col, "%s", msg);
    return false;
}

KsLoc ks_scn_loc_of(const KsToken *t)
{
    return (KsLoc){.line = t->line, .col = t->col};
}

const KsToken *ks_scn_cur(Parser *p)
{
    return &p->toks[p->pos];
}

void ks_scn_advance(Parser *p)
{
    if (p->toks[p->pos].kind != KS_TOK_EOL)
        p->pos++;
}

char *ks_scn_tok_text(const KsToken *t)
{
    return g_strndup(t->src, t->len);
}

char *ks_scn_tok_show(const KsToken *t)
{
    if (t->kind == KS_TOK_EOL)
        return g_strdup("end of line");
    if (t->len > 60)
        return g_strdup_printf("%.50s...", t->src);
    return ks_scn_tok_text(t);
}

bool ks_scn_tok_is(const KsToken *t, const char *word)
{
    return t->kind == KS_TOK_WORD && strlen(word) == t->len && memcmp(t->src, word, t->len) == 0;
}

bool ks_scn_tok_is_name(const KsToken *t)
{
    return t->kind == KS_TOK_WORD || t->kind == KS_TOK_INT || t->kind == KS_TOK_DURATION;
}

const char *ks_scn_time_show(KsTime t, char *buf, size_t size)
{
    g_autofree char *s = ks_scenario_format_duration(t);
    g_strlcpy(buf, s, size);
    return buf;
}

const char *ks_scn_suggest(const char *word, GPtrArray *candidates)
{
    return ks_text_suggest(word, (const char *const *)candidates->pdata, candidates->len);
}

char *ks_scn_did_you_mean(const char *word, GPtrArray *candidates)
{
    const char *s = ks_scn_suggest(word, candidates);
    return s ? g_strdup_printf("; did you mean '%s'?", s) : g_strdup("");
}

char *ks_scn_join_or(GPtrArray *items)
{
    GString *s = g_string_new(NULL);
    for (guint i = 0; i < items->len; i++) {
        if (i)
            g_string_append(s, i + 1 == items->len ? " or " : ", ");
        g_string_append(s, items->pdata[i]);
    }
    return g_string_free(s, FALSE);
}

char *ks_scn_join_strs(GPtrArray *items, guint max)
{
    GString *s = g_string_new(NULL);
    for (guint i = 0; i < items->len && i < max; i++)
        g_string_append_printf(s, "%s%s", i ? ", " : "", (const char *)items->pdata[i]);
    if (items->len > max)
        g_string_append(s, ", ...");
    return g_string_free(s, FALSE);
}

/* ------------------------------------------------------------------------ */
/* Arguments: KEY=value pairs, positional values, lists and sets              */

void ks_scn_arg_free(gpointer data)
{
    Arg *a = data;
    g_ptr_array_unref(a->items);
    g_free(a);
}

void ks_scn_args_free(Args *a)
{
    if (!a)
        return;
    g_ptr_array_unref(a->pos);
    g_ptr_array_unref(a->keyed);
    ks_config_set_free(a->configs);
    g_array_unref(a->uses);
    g_free(a);
}

static Args *args_new(void)
{
    Args *a = g_new0(Args, 1);
    a->pos = g_ptr_array_new_with_free_func(ks_scn_arg_free);
    a->keyed = g_ptr_array_new_with_free_func(ks_scn_arg_free);
    a->configs = ks_config_set_new();
    a->uses = g_array_new(FALSE, FALSE, sizeof(ConfigUse));
    return a;
}

static bool is_scalar(const KsToken *t)
{
    return t->kind == KS_TOK_WORD || t->kind == KS_TOK_INT || t->kind == KS_TOK_DURATION ||
           t->kind == KS_TOK_RATE || t->kind == KS_TOK_STRING;
}

char *ks_scn_arg_show(const Arg *a)
{
    const char *end = a->last->src + a->last->len;
    size_t n = (size_t)(end - a->first->src);
    g_autofree char *v =
        n > 60 ? g_strdup_printf("%.50s...", a->first->src) : g_strndup(a->first->src, n);
    if (a->key)
        return g_strdup_printf("%.*s=%s", (int)a->key->len, a->key->src, v);
    return g_strdup_printf("'%s'", v);
}

Arg *ks_scn_parse_value(Parser *p, const KsToken *key, GError **error)
{
    const KsToken *t = ks_scn_cur(p);
    Arg *a = g_new0(Arg, 1);
    a->key = key;
    a->first = t;
    a->last = t;
    a->items = g_ptr_array_new();
    if (t->kind == KS_TOK_LBRACE) {
        a->is_set = true;
        ks_scn_advance(p);
        if (ks_scn_cur(p)->kind == KS_TOK_RBRACE) {
            a->last = ks_scn_cur(p);
            ks_scn_advance(p);
            return a;
        }
        for (;;) {
            const KsToken *v = ks_scn_cur(p);
            if (v->kind == KS_TOK_EOL) {
                ks_scn_fail(p, t, SYNTAX, error, "unterminated set: add the closing '}'");
                goto bad;
            }
            if (!is_scalar(v)) {
                g_autofree char *s = ks_scn_tok_show(v);
                ks_scn_fail(p, v, SYNTAX, error, "expected a value in the set, found '%s'", s);
                goto bad;
            }
            if (a->items->len >= MAX_LIST) {
                ks_scn_fail(p, v, VALUE, error, "too many values in one set (at most %d)",
                            MAX_LIST);
                goto bad;
            }
            g_ptr_array_add(a->items, (gpointer)v);
            ks_scn_advance(p);
            const KsToken *s = ks_scn_cur(p);
            if (s->kind == KS_TOK_COMMA) {
                ks_scn_advance(p);
                continue;
            }
            if (s->kind == KS_TOK_RBRACE) {
                a->last = s;
                ks_scn_advance(p);
                return a;
            }
            if (s->kind == KS_TOK_EOL) {
                ks_scn_fail(p, t, SYNTAX, error, "unterminated set: add the closing '}'");
                goto bad;
            }
            g_autofree char *shown = ks_scn_tok_show(s);
            ks_scn_fail(p, s, SYNTAX, error, "expected ',' or '}' in the set, found '%s'", shown);
            goto bad;
        }
    }
    if (!is_scalar(t)) {
        g_autofree char *s = ks_scn_tok_show(t);
        if (key && t->kind == KS_TOK_EOL)
            ks_scn_fail(p, key, SYNTAX, error, "%.*s= needs a value", (int)key->len, key->src);
        else if (key)
            ks_scn_fail(p, t, SYNTAX, error, "%.*s= needs a value, found '%s'", (int)key->len,
                        key->src, s);
        else
            ks_scn_fail(p, t, SYNTAX, error, "unexpected '%s'", s);
        goto bad;
    }
    g_ptr_array_add(a->items, (gpointer)t);
    ks_scn_advance(p);
    while (ks_scn_cur(p)->kind == KS_TOK_COMMA) {
        const KsToken *comma = ks_scn_cur(p);
        ks_scn_advance(p);
        const KsToken *v = ks_scn_cur(p);
        if (!is_scalar(v)) {
            ks_scn_fail(p, v->kind == KS_TOK_EOL ? comma : v, SYNTAX, error,
                        "expected a value after ','");
            goto bad;
        }
        if (a->items->len >= MAX_LIST) {
            ks_scn_fail(p, v, VALUE, error, "too many values in one list (at most %d)", MAX_LIST);
            goto bad;
        }
        a->is_list = true;
        g_ptr_array_add(a->items, (gpointer)v);
        a->last = v;
        ks_scn_advance(p);
    }
    return a;
bad:
    ks_scn_arg_free(a);
    return NULL;
}

const Arg *ks_scn_get(Args *a, const char *key)
{
    for (guint i = 0; i < a->keyed->len; i++) {
        const Arg *arg = a->keyed->pdata[i];
        if (ks_scn_tok_is(arg->key, key))
            return arg;
    }
    return NULL;
}

bool ks_scn_want_scalar(Parser *p, const Arg *a, const char *what, GError **error)
{
    if (!a->is_set && !a->is_list)
        return true;
    g_autofree char *s = ks_scn_arg_show(a);
    return ks_scn_fail(p, a->first, VALUE, error, "%s: expected %s, not a %s, e.g. %s", s, what,
                       a->is_set ? "set" : "list", a->example);
}

const KsToken *ks_scn_scalar(const Arg *a)
{
    return a->items->pdata[0];
}

bool ks_scn_range_error(Parser *p, const Arg *a, const KsToken *t, int64_t min, int64_t max,
                        GError **error)
{
    g_autofree char *s = a ? ks_scn_arg_show(a) : ks_scn_tok_show(t);
    if (max == INT64_MAX)
        return ks_scn_fail(p, t, VALUE, error, "%s is out of range: it must be at least %" PRId64,
                           s, min);
    return ks_scn_fail(p, t, VALUE, error,
                       "%s is out of range: it must be between %" PRId64 " and %" PRId64, s, min,
                       max);
}

bool ks_scn_arg_int(Parser *p, const Arg *a, int64_t min, int64_t max, int64_t *out, GError **error)
{
    *out = 0; /* defined on failure too, so no caller reads an unset value */
    if (!ks_scn_want_scalar(p, a, "a whole number", error))
        return false;
    const KsToken *t = ks_scn_scalar(a);
    if (t->kind != KS_TOK_INT) {
        g_autofree char *s = ks_scn_arg_show(a);
        return ks_scn_fail(p, t, VALUE, error, "%s: expected a whole number, e.g. %s", s,
                           a->example);
    }
    if (t->value < min || t->value > max)
        return ks_scn_range_error(p, a, t, min, max, error);
    *out = t->value;
    return true;
}

bool ks_scn_check_name_len(Parser *p, const KsToken *t, GError **error)
{
    if (t->len <= MAX_NAME)
        return true;
    return ks_scn_fail(p, t, VALUE, error, "name is %zu characters long; names have at most %d",
                       t->len, MAX_NAME);
}

bool ks_scn_arg_name(Parser *p, const Arg *a, const char *what, char **out, GError **error)
{
    if (!ks_scn_want_scalar(p, a, what, error))
        return false;
    const KsToken *t = ks_scn_scalar(a);
    if (!ks_scn_tok_is_name(t)) {
        g_autofree char *s = ks_scn_arg_show(a);
        return ks_scn_fail(p, t, VALUE, error, "%s: expected %s, e.g. %s", s, what, a->example);
    }
    if (!ks_scn_check_name_len(p, t, error))
        return false;
    *out = ks_scn_tok_text(t);
    return true;
}

bool ks_scn_arg_text(Parser *p, const Arg *a, const char *what, char **out, GError **error)
{
    if (!ks_scn_want_scalar(p, a, what, error))
        return false;
    const KsToken *t = ks_scn_scalar(a);
    if (t->kind == KS_TOK_STRING) {
        *out = g_strdup(t->str);
        return true;
    }
    if (!ks_scn_tok_is_name(t)) {
        g_autofree char *s = ks_scn_arg_show(a);
        return ks_scn_fail(p, t, VALUE, error, "%s: expected %s, e.g. %s", s, what, a->example);
    }
    *out = ks_scn_tok_text(t);
    return true;
}

bool ks_scn_tok_duration(Parser *p, const KsToken *t, const Arg *a, const char *what,
                         const char *example, KsTime *out, GError **error)
{
    g_autofree char *s =
        a ? ks_scn_arg_show(a) : g_strdup_printf("'%.*s'", (int)MIN(t->len, 50), t->src);
    if (t->kind == KS_TOK_DURATION) {
        if (t->value > MAX_TIME) {
            char buf[32];
            return ks_scn_fail(p, t, VALUE, error, "%s is too long: times go up to %s (365 days)",
                               s, ks_scn_time_show(MAX_TIME, buf, sizeof buf));
        }
        *out = t->value;
        return true;
    }
    if (t->kind == KS_TOK_INT && t->value == 0) {
        *out = 0;
        return true;
    }
    if (t->kind == KS_TOK_INT)
        return ks_scn_fail(p, t, VALUE, error,
                           "%s needs a unit: write %" PRId64 "s or %" PRId64 "ms", s, t->value,
                           t->value);
    if (t->kind == KS_TOK_WORD && t->len > 0 && (g_ascii_isdigit(t->src[0]))) {
        const char *why = NULL;
        KsTime dummy;
        ks_lex_duration(t->src, t->len, &dummy, &why);
        return ks_scn_fail(p, t, VALUE, error, "bad duration %s: it %s", s, why);
    }
    if (t->kind == KS_TOK_WORD && t->len > 1 && t->src[0] == '-' && g_ascii_isdigit(t->src[1]))
        return ks_scn_fail(p, t, VALUE, error, "%s: %s cannot be negative", s, what);
    g_autofree char *shown = ks_scn_tok_show(t);
    return ks_scn_fail(p, t, VALUE, error, "expected %s, found '%s', e.g. %s", what, shown,
                       example);
}

bool ks_scn_arg_choice(Parser *p, const Arg *a, const char *const *choices, int *out,
                       GError **error)
{
    if (!ks_scn_want_scalar(p, a, "one name", error))
        return false;
    const KsToken *t = ks_scn_scalar(a);
    g_autoptr(GPtrArray) c = g_ptr_array_new();
    for (int i = 0; choices[i]; i++) {
        if (ks_scn_tok_is(t, choices[i])) {
            *out = i;
            return true;
        }
        g_ptr_array_add(c, (gpointer)choices[i]);
    }
    g_autofree char *s = ks_scn_arg_show(a);
    g_autofree char *list = ks_scn_join_strs(c, 20);
    g_autofree char *word = ks_scn_tok_text(t);
    g_autofree char *dym = ks_scn_did_you_mean(word, c);
    return ks_scn_fail(p, t, VALUE, error, "%s: expected one of %s%s", s, list, dym);
}

/* ------------------------------------------------------------------------ */
/* Kafka configs                                                              */

static char *scope_text(unsigned scopes)
{
    static const char *const names[] = {"broker", "topic", "producer", "consumer"};
    g_autoptr(GPtrArray) parts = g_ptr_array_new();
    for (unsigned i = 0; i < G_N_ELEMENTS(names); i++)
        if (scopes & (1u << i))
            g_ptr_array_add(parts, (gpointer)names[i]);
    GString *s = g_string_new(NULL);
    for (guint i = 0; i < parts->len; i++) {
        if (i)
            g_string_append(s, i + 1 == parts->len ? " and " : ", ");
        g_string_append(s, parts->pdata[i]);
    }
    return g_string_free(s, FALSE);
}

/* Reads the text of the string config @info from @a: a name or a quoted
 * string, at most MAX_NAME bytes (Kafka's limit on group.instance.id). */
static bool config_text(Parser *p, const KsConfigInfo *info, const Arg *a, KsConfigSet *into,
                        GError **error)
{
    const KsToken *t = ks_scn_scalar(a);
    if (t->kind != KS_TOK_STRING && !ks_scn_tok_is_name(t)) {
        g_autofree char *s = ks_scn_arg_show(a);
        return ks_scn_fail(p, t, VALUE, error, "%s: expected a name or a quoted string, e.g. %s=%s",
                           s, info->name, info->example);
    }
    g_autofree char *text = t->kind == KS_TOK_STRING ? g_strdup(t->str) : ks_scn_tok_text(t);
    if (strlen(text) > MAX_NAME)
        return ks_scn_fail(p, t, VALUE, error, "%s is %zu bytes long; it may have at most %d",
                           info->name, strlen(text), MAX_NAME);
    ks_config_set_put_string(into, info->key, text);
    return true;
}

/* Reads the value of config @info from @a, in its type, into @into. */
static bool config_value(Parser *p, const KsConfigInfo *info, Arg *a, KsConfigSet *into,
                         GError **error)
{
    g_autofree char *example_val = ks_config_format_value(info->key, info->def);
    g_autofree char *example = g_strdup_printf("%s=%s", info->name, example_val);
    if (info->type == KS_CONFIG_ENUM_LIST)
        return ks_scn_config_list(p, info, a, into, error);
    a->example = example;
    bool ok = ks_scn_want_scalar(p, a, "one value", error);
    a->example = NULL;
    if (!ok)
        return false;
    if (info->type == KS_CONFIG_STRING)
        return config_text(p, info, a, into, error);
    const KsToken *t = ks_scn_scalar(a);
    g_autofree char *s = ks_scn_arg_show(a);
    int64_t v = 0;
    switch (info->type) {
    case KS_CONFIG_INT:
    case KS_CONFIG_BYTES:
        if (t->kind != KS_TOK_INT)
            return ks_scn_fail(p, t, VALUE, error, "%s: expected a whole number, e.g. %s", s,
                               example);
        v = t->value;
        break;
    case KS_CONFIG_BOOL:
        if (ks_scn_tok_is(t, "true"))
            v = 1;
        else if (ks_scn_tok_is(t, "false"))
            v = 0;
        else
            return ks_scn_fail(p, t, VALUE, error, "%s: expected true or false", s);
        break;
    case KS_CONFIG_MS:
    case KS_CONFIG_SECONDS:
    case KS_CONFIG_MINUTES: {
        int64_t unit = info->type == KS_CONFIG_MS        ? KS_TIME_MS
                       : info->type == KS_CONFIG_SECONDS ? KS_TIME_S
                                                         : KS_TIME_MIN;
        const char *unit_name = info->type == KS_CONFIG_MS        ? "milliseconds"
                                : info->type == KS_CONFIG_SECONDS ? "seconds"
                                                                  : "minutes";
        if (t->kind == KS_TOK_INT) {
            if (t->value > INT64_MAX / unit || t->value < INT64_MIN / unit)
                return ks_scn_range_error(p, a, t, info->min / unit, info->max / unit, error);
            v = t->value * unit;
        } else if (t->kind == KS_TOK_DURATION) {
            v = t->value;
        } else {
            return ks_scn_fail(p, t, VALUE, error, "%s: expected %s or a duration, e.g. %s", s,
                               unit_name, example);
        }
        if (v < info->min || v > info->max) {
            g_autofree char *lo = ks_config_format_value(info->key, info->min);
            g_autofree char *hi = ks_config_format_value(info->key, info->max);
            return ks_scn_fail(p, t, VALUE, error,
                               "%s is out of range: it must be between %s and %s (%s)", s, lo, hi,
                               unit_name);
        }
        ks_config_set_put(into, info->key, v);
        return true;
    }
    case KS_CONFIG_ENUM: {
        g_autoptr(GPtrArray) names = g_ptr_array_new();
        for (const KsConfigChoice *c = info->choices; c->name; c++) {
            if (is_scalar(t) && t->kind != KS_TOK_STRING && strlen(c->name) == t->len &&
                memcmp(c->name, t->src, t->len) == 0) {
                ks_config_set_put(into, info->key, c->value);
                return true;
            }
            g_ptr_array_add(names, (gpointer)c->name);
        }
        g_autofree char *list = ks_scn_join_strs(names, 20);
        return ks_scn_fail(p, t, VALUE, error, "%s: expected one of %s", s, list);
    }
    case KS_CONFIG_STRING:
    case KS_CONFIG_ENUM_LIST:
        g_assert_not_reached(); /* config_text(), ks_scn_config_list() above */
    }
    if (v < info->min || v > info->max)
        return ks_scn_range_error(p, a, t, info->min, info->max, error);
    ks_config_set_put(into, info->key, v);
    return true;
}

/* ------------------------------------------------------------------------ */
/* Rows                                                                       */

Args *ks_scn_collect_args(Parser *p, const LineSpec *spec, const KsToken *head, GError **error)
{
    g_autoptr(Args) a = args_new();
    while (ks_scn_cur(p)->kind != KS_TOK_EOL) {
        const KsToken *t = ks_scn_cur(p);
        if (t->kind == KS_TOK_PIPE) {
            if (!spec->allows_pipe) {
                ks_scn_fail(p, t, SYNTAX, error, "unexpected '%.*s'; usage: %s", (int)t->len,
                            t->src, spec->usage);
                return NULL;
            }
            Arg *pipe = g_new0(Arg, 1);
            pipe->first = pipe->last = t;
            pipe->items = g_ptr_array_new();
            pipe->is_pipe = true;
            g_ptr_array_add(a->pos, pipe);
            ks_scn_advance(p);
            continue;
        }
        bool keyed = t->kind == KS_TOK_WORD && p->toks[p->pos + 1].kind == KS_TOK_EQUALS;
        if (!keyed) {
            if (t->kind == KS_TOK_EQUALS) {
                ks_scn_fail(p, t, SYNTAX, error, "'=' needs a key before it: KEY=VALUE");
                return NULL;
            }
            if ((int)a->pos->len >= spec->max_pos && t->kind == KS_TOK_WORD) {
                /* A key written without its value: "set retention.ms". */
                g_autofree char *word = ks_scn_tok_text(t);
                const KsConfigInfo *ci = ks_config_find(word);
                for (const KeySpec *k = spec->keys; k && k->name; k++)
                    if (strcmp(k->name, word) == 0) {
                        ks_scn_fail(p, t, SYNTAX, error, "%s needs a value, e.g. %s", word,
                                    k->example);
                        return NULL;
                    }
                if (ci && spec->scopes) {
                    g_autofree char *v = ks_config_format_value(ci->key, ci->def);
                    ks_scn_fail(p, t, SYNTAX, error, "%s needs a value, e.g. %s=%s", word, word, v);
                    return NULL;
                }
            }
            if ((int)a->pos->len >= spec->max_pos) {
                g_autofree char *s = ks_scn_tok_show(t);
                g_autoptr(GPtrArray) keys = g_ptr_array_new();
                for (const KeySpec *k = spec->keys; k && k->name; k++)
                    g_ptr_array_add(keys, (gpointer)k->name);
                const char *near = t->kind == KS_TOK_WORD ? ks_scn_suggest(s, keys) : NULL;
                if (near)
                    ks_scn_fail(p, t, SYNTAX, error,
                                "unexpected '%s'; did you mean %s=...? usage: %s", s, near,
                                spec->usage);
                else
                    ks_scn_fail(p, t, SYNTAX, error, "unexpected '%s'; usage: %s", s, spec->usage);
                return NULL;
            }
            Arg *v = ks_scn_parse_value(p, NULL, error);
            if (!v)
                return NULL;
            v->example = spec->pos_example;
            g_ptr_array_add(a->pos, v);
            continue;
        }
        const KsToken *key = t;
        ks_scn_advance(p);
        ks_scn_advance(p);
        g_autofree char *name = ks_scn_tok_text(key);
        const KeySpec *own = NULL;
        for (const KeySpec *k = spec->keys; k && k->name; k++)
            if (strcmp(k->name, name) == 0)
                own = k;
        const KsConfigInfo *info = own ? NULL : ks_config_find(name);
        if (own) {
            if (ks_scn_get(a, name)) {
                ks_scn_fail(p, key, SYNTAX, error, "%s= is given twice", name);
                return NULL;
            }
            Arg *v = ks_scn_parse_value(p, key, error);
            if (!v)
                return NULL;
            v->example = own->example;
            g_ptr_array_add(a->keyed, v);
            continue;
        }
        bool configs_only = spec->scopes && !(spec->keys && spec->keys[0].name);
        if (!info && (strchr(name, '.') || configs_only)) {
            const char *s = ks_config_suggest(name);
            if (s)
                ks_scn_fail(p, key, VALUE, error, "unknown config '%s'; did you mean '%s'?", name,
                            s);
            else
                ks_scn_fail(p, key, VALUE, error,
                            "unknown config '%s'; docs/scenario-language.md lists the configs "
                            "kafkasim knows",
                            name);
            return NULL;
        }
        if (!info) {
            g_autoptr(GPtrArray) cands = g_ptr_array_new();
            for (const KeySpec *k = spec->keys; k && k->name; k++)
                g_ptr_array_add(cands, (gpointer)k->name);
            g_autofree char *own_list = ks_scn_join_strs(cands, 30);
            for (int k = 0; k < KS_CFG_COUNT; k++)
                if (ks_config_info((KsConfigKey)k)->scopes & spec->scopes)
                    g_ptr_array_add(cands, (gpointer)ks_config_info((KsConfigKey)k)->name);
            const char *s = ks_scn_suggest(name, cands);
            if (s)
                ks_scn_fail(p, key, SYNTAX, error, "unknown key '%s' for %s; did you mean '%s'?",
                            name, spec->name, s);
            else if (spec->keys && spec->keys[0].name)
                ks_scn_fail(p, key, SYNTAX, error, "unknown key '%s' for %s; valid keys: %s%s",
                            name, spec->name, own_list, spec->scopes ? " and Kafka configs" : "");
            else
                ks_scn_fail(p, key, SYNTAX, error,
                            "unknown key '%s': %s takes no key=value arguments", name, spec->name);
            return NULL;
        }
        if (!spec->scopes) {
            ks_scn_fail(
                p, key, VALUE, error,
                "'%s' is a Kafka config; %s takes none (set it cluster-wide with `set %s=...`)",
                name, spec->name, name);
            return NULL;
        }
        if (!(info->scopes & spec->scopes)) {
            g_autofree char *sc = scope_text(info->scopes);
            ks_scn_fail(p, key, VALUE, error, "'%s' is a %s config; it cannot be set on %s", name,
                        sc, spec->entity);
            return NULL;
        }
        if (ks_config_set_has(a->configs, info->key)) {
            ks_scn_fail(p, key, SYNTAX, error, "%s= is given twice", name);
            return NULL;
        }
        Arg *v = ks_scn_parse_value(p, key, error);
        if (!v)
            return NULL;
        bool ok = config_value(p, info, v, a->configs, error);
        ks_scn_arg_free(v);
        if (!ok)
            return NULL;
        ConfigUse use = {.key = key, .info = info};
        g_array_append_val(a->uses, use);
    }
    if ((int)a->pos->len < spec->min_pos) {
        if (spec->pos_what)
            ks_scn_fail(p, head, SYNTAX, error, "%s needs %s; usage: %s", spec->name,
                        spec->pos_what, spec->usage);
        else
            ks_scn_fail(p, head, SYNTAX, error, "usage: %s", spec->usage);
        return NULL;
    }
    return g_steal_pointer(&a);
}

const Arg *ks_scn_need(Parser *p, Args *a, const LineSpec *spec, const KsToken *head,
                       const char *key, GError **error)
{
    const Arg *arg = ks_scn_get(a, key);
    if (!arg) {
        const char *example = key;
        for (const KeySpec *k = spec->keys; k && k->name; k++)
            if (strcmp(k->name, key) == 0)
                example = k->example;
        ks_scn_fail(p, head, SYNTAX, error, "%s needs %s=, e.g. %s; usage: %s", spec->name, key,
                    example, spec->usage);
    }
    return arg;
}

bool ks_scn_check_config_support(Parser *p, const Args *a, GError **error)
{
    if (p->allow_unsupported)
        return true;
    for (guint i = 0; i < a->uses->len; i++) {
        const ConfigUse *u = &g_array_index(a->uses, ConfigUse, i);
        if (!u->info->supported)
            return ks_scn_fail(p, u->key, UNSUPPORTED, error,
                               "config '%s' is not supported yet: the simulator does not model it",
                               u->info->name);
    }
    return true;
}

bool ks_scn_unsupported(Parser *p, const KsToken *t, const char *what, const char *why,
                        GError **error)
{
    return ks_scn_fail(p, t, UNSUPPORTED, error, "'%s' is not supported yet: %s", what,
                       why ? why : WHY_GENERIC);
}

void ks_scn_add_keyword(GPtrArray *words, const char *w)
{
    for (guint i = 0; i < words->len; i++)
        if (strcmp(words->pdata[i], w) == 0)
            return;
    g_ptr_array_add(words, (gpointer)w);
}

void ks_scn_add_keys(GPtrArray *words, const KeySpec *keys)
{
    for (const KeySpec *k = keys; k && k->name; k++)
        ks_scn_add_keyword(words, k->name);
}
