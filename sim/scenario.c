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

G_DEFINE_QUARK(ks - scenario - error - quark, ks_scenario_error)

/* Limits on what a scenario can make us allocate. */
#define MAX_FILE_BYTES       (16 * 1024 * 1024)
#define MAX_NAME             249 /* Kafka's limit on topic names; used for all names */
#define MAX_NODES            10000
#define MAX_BROKERS          10000
#define MAX_TOPICS           100000
#define MAX_PARTITIONS       100000 /* per topic */
#define MAX_TOTAL_PARTITIONS 1000000
#define MAX_CLIENTS          100000
#define MAX_GROUPS           100000
#define MAX_ZK_SERVERS       255
#define MAX_ACTIONS          1000000
#define MAX_TIME             (365 * 24 * KS_TIME_H)
#define MAX_RATE             100000000
#define MAX_COUNT            1000000000
#define MAX_KEYS             100000000
#define MAX_RECORD_SIZE      (10 * 1024 * 1024)
#define MAX_CAPACITY         100000000
#define MAX_LIST             10000 /* items in one list or set */

#define ALL_SCOPES (KS_SCOPE_BROKER | KS_SCOPE_TOPIC | KS_SCOPE_PRODUCER | KS_SCOPE_CONSUMER)

/* Reasons shown with "not supported yet". */
#define WHY_GENERIC   "the simulator does not model it yet"
#define WHY_CONSUMERS "consumers arrive with consumer groups"

/* ------------------------------------------------------------------------ */
/* Parser state                                                               */

typedef struct {
    KsLoc rf_loc;    /* replication-factor= value, else the topic's name */
    KsLoc start_loc; /* replica-placement-start= value */
} TopicAux;

typedef struct {
    int line;
    KsTime added_at; /* -1: declared; else when `add broker` adds it */
} BrokerInfo;

/* The configs Kafka's producer checks against each other when it is built
 * (check_producer_configs). */
static const KsConfigKey producer_checked[] = {
    KS_CFG_ENABLE_IDEMPOTENCE,
    KS_CFG_ACKS,
    KS_CFG_RETRIES,
    KS_CFG_MAX_IN_FLIGHT_REQUESTS_PER_CONNECTION,
    KS_CFG_DELIVERY_TIMEOUT_MS,
    KS_CFG_LINGER_MS,
    KS_CFG_REQUEST_TIMEOUT_MS,
};

/* A producer's or flume agent's configs, kept until the `set` lines are all
 * known, with where its line gives each of producer_checked (line 0: not on
 * the line). */
typedef struct {
    KsConfigSet *configs; /* the plan's */
    KsLoc name;           /* the client's name */
    KsLoc at[G_N_ELEMENTS(producer_checked)];
} ProducerCheck;

typedef enum {
    CLIENT_PRODUCER,
    CLIENT_FLUME,
    CLIENT_CONSUMER,
} ClientKind;

typedef struct {
    ClientKind kind;
    int line;
} ClientInfo;

typedef struct {
    KsPlanGroup *group; /* owned by the plan */
    int explicit_line;  /* line of its `group` declaration; 0: implicit */
} GroupInfo;

typedef struct {
    const char *file;
    KsPlan *plan;
    bool allow_unsupported;

    /* The current line. */
    const KsToken *toks;
    guint n;
    guint pos;

    /* Declarations. */
    bool decls_done;   /* a timeline, run or expect line was seen */
    int timeline_line; /* the first such line */
    int seed_line;
    int zookeeper_line;
    KsLoc set_at[KS_CFG_COUNT]; /* the key where `set` gave each config; line 0: not set */
    GHashTable *nodes;          /* name -> KsPlanNode (borrowed from the plan) */
    GHashTable *brokers;        /* id -> BrokerInfo (owned) */
    GArray *added;              /* KsBrokerId of brokers that `add broker` adds */
    GHashTable *topics;         /* name -> KsPlanTopic (borrowed) */
    GHashTable *topic_norm;     /* name with '.' as '_' -> KsPlanTopic (borrowed) */
    GArray *topic_aux;          /* TopicAux, parallel to plan->topics */
    GArray *producer_part;      /* KsLoc of partition=, parallel to plan->producers */
    GArray *producer_checks;    /* ProducerCheck of producers and flume agents, in file order */
    GHashTable *clients;        /* name -> ClientInfo (owned) */
    GHashTable *groups;         /* name -> GroupInfo (owned) */

    /* Timeline. */
    bool have_at;
    KsTime last_at;
    int last_at_line;
    KsTime max_every; /* latest first time of an `every` line */
    int max_every_line;
    int first_every_line;
    int first_every_col;
    KsTime now;           /* time of the action being parsed */
    bool console_checked; /* check_console_producer() has run */
} Parser;

/* ------------------------------------------------------------------------ */
/* Errors and small helpers                                                   */

static bool fail_at(Parser *p, int line, int col, int code, GError **error, const char *fmt, ...)
    G_GNUC_PRINTF(6, 7);

static bool fail_at(Parser *p, int line, int col, int code, GError **error, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    g_autofree char *msg = g_strdup_vprintf(fmt, ap);
    va_end(ap);
    ks_lex_set_error(error, code, p->file, line, col, "%s", msg);
    return false;
}

static bool fail(Parser *p, const KsToken *t, int code, GError **error, const char *fmt, ...)
    G_GNUC_PRINTF(5, 6);

static bool fail(Parser *p, const KsToken *t, int code, GError **error, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    g_autofree char *msg = g_strdup_vprintf(fmt, ap);
    va_end(ap);
    ks_lex_set_error(error, code, p->file, t->line, t->col, "%s", msg);
    return false;
}

#define SYNTAX      KS_SCENARIO_ERROR_SYNTAX
#define VALUE       KS_SCENARIO_ERROR_VALUE
#define REFERENCE   KS_SCENARIO_ERROR_REFERENCE
#define UNSUPPORTED KS_SCENARIO_ERROR_UNSUPPORTED

static KsLoc loc_of(const KsToken *t)
{
    return (KsLoc){.line = t->line, .col = t->col};
}

static const KsToken *cur(Parser *p)
{
    return &p->toks[p->pos];
}

static void advance(Parser *p)
{
    if (p->toks[p->pos].kind != KS_TOK_EOL)
        p->pos++;
}

static char *tok_text(const KsToken *t)
{
    return g_strndup(t->src, t->len);
}

/* The token as written, shortened for a message; "end of line" for EOL. */
static char *tok_show(const KsToken *t)
{
    if (t->kind == KS_TOK_EOL)
        return g_strdup("end of line");
    if (t->len > 60)
        return g_strdup_printf("%.50s...", t->src);
    return tok_text(t);
}

static bool tok_is(const KsToken *t, const char *word)
{
    return t->kind == KS_TOK_WORD && strlen(word) == t->len && memcmp(t->src, word, t->len) == 0;
}

/* Whether @t can be read as a name: a word, or a number or duration, whose
 * text is made of name characters too ("2024", "1m"). */
static bool tok_is_name(const KsToken *t)
{
    return t->kind == KS_TOK_WORD || t->kind == KS_TOK_INT || t->kind == KS_TOK_DURATION;
}

static const char *time_show(KsTime t, char *buf, size_t size)
{
    g_autofree char *s = ks_scenario_format_duration(t);
    g_strlcpy(buf, s, size);
    return buf;
}

/* The candidate closest to @word, if it is close enough to be a typo. */
static const char *suggest(const char *word, GPtrArray *candidates)
{
    return ks_text_suggest(word, (const char *const *)candidates->pdata, candidates->len);
}

/* "; did you mean 'x'?" or "". */
static char *did_you_mean(const char *word, GPtrArray *candidates)
{
    const char *s = suggest(word, candidates);
    return s ? g_strdup_printf("; did you mean '%s'?", s) : g_strdup("");
}

/* "a, b or c". */
static char *join_or(GPtrArray *items)
{
    GString *s = g_string_new(NULL);
    for (guint i = 0; i < items->len; i++) {
        if (i)
            g_string_append(s, i + 1 == items->len ? " or " : ", ");
        g_string_append(s, items->pdata[i]);
    }
    return g_string_free(s, FALSE);
}

static char *join_strs(GPtrArray *items, guint max)
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

typedef struct {
    const char *name;
    const char *example; /* a complete example: "partitions=6" */
} KeySpec;

typedef struct {
    const KsToken *key;   /* NULL: positional */
    const KsToken *first; /* first token of the value ('{' of a set, '|') */
    const KsToken *last;  /* last token of the value */
    GPtrArray *items;     /* const KsToken *: the scalar values */
    bool is_set;          /* written {a,b} */
    bool is_list;         /* written a,b */
    bool is_pipe;         /* the '|' of partition-network */
    const char *example;
} Arg;

typedef struct {
    const KsToken *key;
    const KsConfigInfo *info;
} ConfigUse;

typedef struct {
    GPtrArray *pos;   /* Arg *, positional values in order (owns them) */
    GPtrArray *keyed; /* Arg *, the row's own keys (owns them) */
    KsConfigSet *configs;
    GArray *uses; /* ConfigUse, in the order written */
} Args;

static void arg_free(gpointer data)
{
    Arg *a = data;
    g_ptr_array_unref(a->items);
    g_free(a);
}

static void args_free(Args *a)
{
    if (!a)
        return;
    g_ptr_array_unref(a->pos);
    g_ptr_array_unref(a->keyed);
    ks_config_set_free(a->configs);
    g_array_unref(a->uses);
    g_free(a);
}

G_DEFINE_AUTOPTR_CLEANUP_FUNC(Args, args_free)

static Args *args_new(void)
{
    Args *a = g_new0(Args, 1);
    a->pos = g_ptr_array_new_with_free_func(arg_free);
    a->keyed = g_ptr_array_new_with_free_func(arg_free);
    a->configs = ks_config_set_new();
    a->uses = g_array_new(FALSE, FALSE, sizeof(ConfigUse));
    return a;
}

static bool is_scalar(const KsToken *t)
{
    return t->kind == KS_TOK_WORD || t->kind == KS_TOK_INT || t->kind == KS_TOK_DURATION ||
           t->kind == KS_TOK_RATE || t->kind == KS_TOK_STRING;
}

/* The value as written: "partitions=abc", or "'abc'" for a positional. */
static char *arg_show(const Arg *a)
{
    const char *end = a->last->src + a->last->len;
    size_t n = (size_t)(end - a->first->src);
    g_autofree char *v =
        n > 60 ? g_strdup_printf("%.50s...", a->first->src) : g_strndup(a->first->src, n);
    if (a->key)
        return g_strdup_printf("%.*s=%s", (int)a->key->len, a->key->src, v);
    return g_strdup_printf("'%s'", v);
}

/* Reads a value at the cursor: a scalar, a list a,b,c or a set {a,b}. */
static Arg *parse_value(Parser *p, const KsToken *key, GError **error)
{
    const KsToken *t = cur(p);
    Arg *a = g_new0(Arg, 1);
    a->key = key;
    a->first = t;
    a->last = t;
    a->items = g_ptr_array_new();
    if (t->kind == KS_TOK_LBRACE) {
        a->is_set = true;
        advance(p);
        if (cur(p)->kind == KS_TOK_RBRACE) {
            a->last = cur(p);
            advance(p);
            return a;
        }
        for (;;) {
            const KsToken *v = cur(p);
            if (v->kind == KS_TOK_EOL) {
                fail(p, t, SYNTAX, error, "unterminated set: add the closing '}'");
                goto bad;
            }
            if (!is_scalar(v)) {
                g_autofree char *s = tok_show(v);
                fail(p, v, SYNTAX, error, "expected a value in the set, found '%s'", s);
                goto bad;
            }
            if (a->items->len >= MAX_LIST) {
                fail(p, v, VALUE, error, "too many values in one set (at most %d)", MAX_LIST);
                goto bad;
            }
            g_ptr_array_add(a->items, (gpointer)v);
            advance(p);
            const KsToken *s = cur(p);
            if (s->kind == KS_TOK_COMMA) {
                advance(p);
                continue;
            }
            if (s->kind == KS_TOK_RBRACE) {
                a->last = s;
                advance(p);
                return a;
            }
            if (s->kind == KS_TOK_EOL) {
                fail(p, t, SYNTAX, error, "unterminated set: add the closing '}'");
                goto bad;
            }
            g_autofree char *shown = tok_show(s);
            fail(p, s, SYNTAX, error, "expected ',' or '}' in the set, found '%s'", shown);
            goto bad;
        }
    }
    if (!is_scalar(t)) {
        g_autofree char *s = tok_show(t);
        if (key && t->kind == KS_TOK_EOL)
            fail(p, key, SYNTAX, error, "%.*s= needs a value", (int)key->len, key->src);
        else if (key)
            fail(p, t, SYNTAX, error, "%.*s= needs a value, found '%s'", (int)key->len, key->src,
                 s);
        else
            fail(p, t, SYNTAX, error, "unexpected '%s'", s);
        goto bad;
    }
    g_ptr_array_add(a->items, (gpointer)t);
    advance(p);
    while (cur(p)->kind == KS_TOK_COMMA) {
        const KsToken *comma = cur(p);
        advance(p);
        const KsToken *v = cur(p);
        if (!is_scalar(v)) {
            fail(p, v->kind == KS_TOK_EOL ? comma : v, SYNTAX, error, "expected a value after ','");
            goto bad;
        }
        if (a->items->len >= MAX_LIST) {
            fail(p, v, VALUE, error, "too many values in one list (at most %d)", MAX_LIST);
            goto bad;
        }
        a->is_list = true;
        g_ptr_array_add(a->items, (gpointer)v);
        a->last = v;
        advance(p);
    }
    return a;
bad:
    arg_free(a);
    return NULL;
}

/* A keyed argument of the row, or NULL if not given. */
static const Arg *get(Args *a, const char *key)
{
    for (guint i = 0; i < a->keyed->len; i++) {
        const Arg *arg = a->keyed->pdata[i];
        if (tok_is(arg->key, key))
            return arg;
    }
    return NULL;
}

/* Requires a single value. */
static bool want_scalar(Parser *p, const Arg *a, const char *what, GError **error)
{
    if (!a->is_set && !a->is_list)
        return true;
    g_autofree char *s = arg_show(a);
    return fail(p, a->first, VALUE, error, "%s: expected %s, not a %s, e.g. %s", s, what,
                a->is_set ? "set" : "list", a->example);
}

static const KsToken *scalar(const Arg *a)
{
    return a->items->pdata[0];
}

static bool range_error(Parser *p, const Arg *a, const KsToken *t, int64_t min, int64_t max,
                        GError **error)
{
    g_autofree char *s = a ? arg_show(a) : tok_show(t);
    if (max == INT64_MAX)
        return fail(p, t, VALUE, error, "%s is out of range: it must be at least %" PRId64, s, min);
    return fail(p, t, VALUE, error,
                "%s is out of range: it must be between %" PRId64 " and %" PRId64, s, min, max);
}

static bool arg_int(Parser *p, const Arg *a, int64_t min, int64_t max, int64_t *out, GError **error)
{
    *out = 0; /* defined on failure too, so no caller reads an unset value */
    if (!want_scalar(p, a, "a whole number", error))
        return false;
    const KsToken *t = scalar(a);
    if (t->kind != KS_TOK_INT) {
        g_autofree char *s = arg_show(a);
        return fail(p, t, VALUE, error, "%s: expected a whole number, e.g. %s", s, a->example);
    }
    if (t->value < min || t->value > max)
        return range_error(p, a, t, min, max, error);
    *out = t->value;
    return true;
}

static bool check_name_len(Parser *p, const KsToken *t, GError **error)
{
    if (t->len <= MAX_NAME)
        return true;
    return fail(p, t, VALUE, error, "name is %zu characters long; names have at most %d", t->len,
                MAX_NAME);
}

/* A name: a word (or a number-like word such as "2024"). */
static bool arg_name(Parser *p, const Arg *a, const char *what, char **out, GError **error)
{
    if (!want_scalar(p, a, what, error))
        return false;
    const KsToken *t = scalar(a);
    if (!tok_is_name(t)) {
        g_autofree char *s = arg_show(a);
        return fail(p, t, VALUE, error, "%s: expected %s, e.g. %s", s, what, a->example);
    }
    if (!check_name_len(p, t, error))
        return false;
    *out = tok_text(t);
    return true;
}

/* A name or a quoted string. */
static bool arg_text(Parser *p, const Arg *a, const char *what, char **out, GError **error)
{
    if (!want_scalar(p, a, what, error))
        return false;
    const KsToken *t = scalar(a);
    if (t->kind == KS_TOK_STRING) {
        *out = g_strdup(t->str);
        return true;
    }
    if (!tok_is_name(t)) {
        g_autofree char *s = arg_show(a);
        return fail(p, t, VALUE, error, "%s: expected %s, e.g. %s", s, what, a->example);
    }
    *out = tok_text(t);
    return true;
}

/* A time or duration token: a DURATION, or the number 0. */
static bool tok_duration(Parser *p, const KsToken *t, const Arg *a, const char *what,
                         const char *example, KsTime *out, GError **error)
{
    g_autofree char *s = a ? arg_show(a) : g_strdup_printf("'%.*s'", (int)MIN(t->len, 50), t->src);
    if (t->kind == KS_TOK_DURATION) {
        if (t->value > MAX_TIME) {
            char buf[32];
            return fail(p, t, VALUE, error, "%s is too long: times go up to %s (365 days)", s,
                        time_show(MAX_TIME, buf, sizeof buf));
        }
        *out = t->value;
        return true;
    }
    if (t->kind == KS_TOK_INT && t->value == 0) {
        *out = 0;
        return true;
    }
    if (t->kind == KS_TOK_INT)
        return fail(p, t, VALUE, error, "%s needs a unit: write %" PRId64 "s or %" PRId64 "ms", s,
                    t->value, t->value);
    if (t->kind == KS_TOK_WORD && t->len > 0 && (g_ascii_isdigit(t->src[0]))) {
        const char *why = NULL;
        KsTime dummy;
        ks_lex_duration(t->src, t->len, &dummy, &why);
        return fail(p, t, VALUE, error, "bad duration %s: it %s", s, why);
    }
    if (t->kind == KS_TOK_WORD && t->len > 1 && t->src[0] == '-' && g_ascii_isdigit(t->src[1]))
        return fail(p, t, VALUE, error, "%s: %s cannot be negative", s, what);
    g_autofree char *shown = tok_show(t);
    return fail(p, t, VALUE, error, "expected %s, found '%s', e.g. %s", what, shown, example);
}

/* One of @choices (NULL-terminated); *@out is its index. */
static bool arg_choice(Parser *p, const Arg *a, const char *const *choices, int *out,
                       GError **error)
{
    if (!want_scalar(p, a, "one name", error))
        return false;
    const KsToken *t = scalar(a);
    g_autoptr(GPtrArray) c = g_ptr_array_new();
    for (int i = 0; choices[i]; i++) {
        if (tok_is(t, choices[i])) {
            *out = i;
            return true;
        }
        g_ptr_array_add(c, (gpointer)choices[i]);
    }
    g_autofree char *s = arg_show(a);
    g_autofree char *list = join_strs(c, 20);
    g_autofree char *word = tok_text(t);
    g_autofree char *dym = did_you_mean(word, c);
    return fail(p, t, VALUE, error, "%s: expected one of %s%s", s, list, dym);
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
    const KsToken *t = scalar(a);
    if (t->kind != KS_TOK_STRING && !tok_is_name(t)) {
        g_autofree char *s = arg_show(a);
        return fail(p, t, VALUE, error, "%s: expected a name or a quoted string, e.g. %s=%s", s,
                    info->name, info->example);
    }
    g_autofree char *text = t->kind == KS_TOK_STRING ? g_strdup(t->str) : tok_text(t);
    if (strlen(text) > MAX_NAME)
        return fail(p, t, VALUE, error, "%s is %zu bytes long; it may have at most %d", info->name,
                    strlen(text), MAX_NAME);
    ks_config_set_put_string(into, info->key, text);
    return true;
}

/* Reads the value of config @info from @a, in its type, into @into. */
static bool config_value(Parser *p, const KsConfigInfo *info, Arg *a, KsConfigSet *into,
                         GError **error)
{
    g_autofree char *example_val = ks_config_format_value(info->key, info->def);
    g_autofree char *example = g_strdup_printf("%s=%s", info->name, example_val);
    a->example = example;
    bool ok = want_scalar(p, a, "one value", error);
    a->example = NULL;
    if (!ok)
        return false;
    if (info->type == KS_CONFIG_STRING)
        return config_text(p, info, a, into, error);
    const KsToken *t = scalar(a);
    g_autofree char *s = arg_show(a);
    int64_t v = 0;
    switch (info->type) {
    case KS_CONFIG_INT:
    case KS_CONFIG_BYTES:
        if (t->kind != KS_TOK_INT)
            return fail(p, t, VALUE, error, "%s: expected a whole number, e.g. %s", s, example);
        v = t->value;
        break;
    case KS_CONFIG_BOOL:
        if (tok_is(t, "true"))
            v = 1;
        else if (tok_is(t, "false"))
            v = 0;
        else
            return fail(p, t, VALUE, error, "%s: expected true or false", s);
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
                return range_error(p, a, t, info->min / unit, info->max / unit, error);
            v = t->value * unit;
        } else if (t->kind == KS_TOK_DURATION) {
            v = t->value;
        } else {
            return fail(p, t, VALUE, error, "%s: expected %s or a duration, e.g. %s", s, unit_name,
                        example);
        }
        if (v < info->min || v > info->max) {
            g_autofree char *lo = ks_config_format_value(info->key, info->min);
            g_autofree char *hi = ks_config_format_value(info->key, info->max);
            return fail(p, t, VALUE, error, "%s is out of range: it must be between %s and %s (%s)",
                        s, lo, hi, unit_name);
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
        g_autofree char *list = join_strs(names, 20);
        return fail(p, t, VALUE, error, "%s: expected one of %s", s, list);
    }
    case KS_CONFIG_STRING:
        g_assert_not_reached(); /* config_text() above */
    }
    if (v < info->min || v > info->max)
        return range_error(p, a, t, info->min, info->max, error);
    ks_config_set_put(into, info->key, v);
    return true;
}

/* ------------------------------------------------------------------------ */
/* Rows                                                                       */

typedef struct {
    const char *name;
    const char *usage;
    int min_pos, max_pos; /* positional values */
    const char *pos_what; /* what the first positional is: "a topic name" */
    const char *pos_example;
    const KeySpec *keys; /* ends with {NULL} */
    unsigned scopes;     /* configs allowed on the line; 0: none */
    const char *entity;  /* "a topic": for "cannot be set on a topic" */
    bool allows_pipe;
} LineSpec;

/* Collects and checks the arguments of a line from the cursor to its end. */
static Args *collect_args(Parser *p, const LineSpec *spec, const KsToken *head, GError **error)
{
    g_autoptr(Args) a = args_new();
    while (cur(p)->kind != KS_TOK_EOL) {
        const KsToken *t = cur(p);
        if (t->kind == KS_TOK_PIPE) {
            if (!spec->allows_pipe) {
                fail(p, t, SYNTAX, error, "unexpected '|'; usage: %s", spec->usage);
                return NULL;
            }
            Arg *pipe = g_new0(Arg, 1);
            pipe->first = pipe->last = t;
            pipe->items = g_ptr_array_new();
            pipe->is_pipe = true;
            g_ptr_array_add(a->pos, pipe);
            advance(p);
            continue;
        }
        bool keyed = t->kind == KS_TOK_WORD && p->toks[p->pos + 1].kind == KS_TOK_EQUALS;
        if (!keyed) {
            if (t->kind == KS_TOK_EQUALS) {
                fail(p, t, SYNTAX, error, "'=' needs a key before it: KEY=VALUE");
                return NULL;
            }
            if ((int)a->pos->len >= spec->max_pos && t->kind == KS_TOK_WORD) {
                /* A key written without its value: "set retention.ms". */
                g_autofree char *word = tok_text(t);
                const KsConfigInfo *ci = ks_config_find(word);
                for (const KeySpec *k = spec->keys; k && k->name; k++)
                    if (strcmp(k->name, word) == 0) {
                        fail(p, t, SYNTAX, error, "%s needs a value, e.g. %s", word, k->example);
                        return NULL;
                    }
                if (ci && spec->scopes) {
                    g_autofree char *v = ks_config_format_value(ci->key, ci->def);
                    fail(p, t, SYNTAX, error, "%s needs a value, e.g. %s=%s", word, word, v);
                    return NULL;
                }
            }
            if ((int)a->pos->len >= spec->max_pos) {
                g_autofree char *s = tok_show(t);
                g_autoptr(GPtrArray) keys = g_ptr_array_new();
                for (const KeySpec *k = spec->keys; k && k->name; k++)
                    g_ptr_array_add(keys, (gpointer)k->name);
                const char *near = t->kind == KS_TOK_WORD ? suggest(s, keys) : NULL;
                if (near)
                    fail(p, t, SYNTAX, error, "unexpected '%s'; did you mean %s=...? usage: %s", s,
                         near, spec->usage);
                else
                    fail(p, t, SYNTAX, error, "unexpected '%s'; usage: %s", s, spec->usage);
                return NULL;
            }
            Arg *v = parse_value(p, NULL, error);
            if (!v)
                return NULL;
            v->example = spec->pos_example;
            g_ptr_array_add(a->pos, v);
            continue;
        }
        const KsToken *key = t;
        advance(p);
        advance(p);
        g_autofree char *name = tok_text(key);
        const KeySpec *own = NULL;
        for (const KeySpec *k = spec->keys; k && k->name; k++)
            if (strcmp(k->name, name) == 0)
                own = k;
        const KsConfigInfo *info = own ? NULL : ks_config_find(name);
        if (own) {
            if (get(a, name)) {
                fail(p, key, SYNTAX, error, "%s= is given twice", name);
                return NULL;
            }
            Arg *v = parse_value(p, key, error);
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
                fail(p, key, VALUE, error, "unknown config '%s'; did you mean '%s'?", name, s);
            else
                fail(p, key, VALUE, error,
                     "unknown config '%s'; docs/scenario-language.md lists the configs "
                     "kafkasim knows",
                     name);
            return NULL;
        }
        if (!info) {
            g_autoptr(GPtrArray) cands = g_ptr_array_new();
            for (const KeySpec *k = spec->keys; k && k->name; k++)
                g_ptr_array_add(cands, (gpointer)k->name);
            g_autofree char *own_list = join_strs(cands, 30);
            for (int k = 0; k < KS_CFG_COUNT; k++)
                if (ks_config_info((KsConfigKey)k)->scopes & spec->scopes)
                    g_ptr_array_add(cands, (gpointer)ks_config_info((KsConfigKey)k)->name);
            const char *s = suggest(name, cands);
            if (s)
                fail(p, key, SYNTAX, error, "unknown key '%s' for %s; did you mean '%s'?", name,
                     spec->name, s);
            else if (spec->keys && spec->keys[0].name)
                fail(p, key, SYNTAX, error, "unknown key '%s' for %s; valid keys: %s%s", name,
                     spec->name, own_list, spec->scopes ? " and Kafka configs" : "");
            else
                fail(p, key, SYNTAX, error, "unknown key '%s': %s takes no key=value arguments",
                     name, spec->name);
            return NULL;
        }
        if (!spec->scopes) {
            fail(p, key, VALUE, error,
                 "'%s' is a Kafka config; %s takes none (set it cluster-wide with `set %s=...`)",
                 name, spec->name, name);
            return NULL;
        }
        if (!(info->scopes & spec->scopes)) {
            g_autofree char *sc = scope_text(info->scopes);
            fail(p, key, VALUE, error, "'%s' is a %s config; it cannot be set on %s", name, sc,
                 spec->entity);
            return NULL;
        }
        if (ks_config_set_has(a->configs, info->key)) {
            fail(p, key, SYNTAX, error, "%s= is given twice", name);
            return NULL;
        }
        Arg *v = parse_value(p, key, error);
        if (!v)
            return NULL;
        bool ok = config_value(p, info, v, a->configs, error);
        arg_free(v);
        if (!ok)
            return NULL;
        ConfigUse use = {.key = key, .info = info};
        g_array_append_val(a->uses, use);
    }
    if ((int)a->pos->len < spec->min_pos) {
        if (spec->pos_what)
            fail(p, head, SYNTAX, error, "%s needs %s; usage: %s", spec->name, spec->pos_what,
                 spec->usage);
        else
            fail(p, head, SYNTAX, error, "usage: %s", spec->usage);
        return NULL;
    }
    return g_steal_pointer(&a);
}

/* Requires a keyed argument. */
static const Arg *need(Parser *p, Args *a, const LineSpec *spec, const KsToken *head,
                       const char *key, GError **error)
{
    const Arg *arg = get(a, key);
    if (!arg) {
        const char *example = key;
        for (const KeySpec *k = spec->keys; k && k->name; k++)
            if (strcmp(k->name, key) == 0)
                example = k->example;
        fail(p, head, SYNTAX, error, "%s needs %s=, e.g. %s; usage: %s", spec->name, key, example,
             spec->usage);
    }
    return arg;
}

/* Refuses the unsupported configs of a line that is otherwise valid. */
static bool check_config_support(Parser *p, const Args *a, GError **error)
{
    if (p->allow_unsupported)
        return true;
    for (guint i = 0; i < a->uses->len; i++) {
        const ConfigUse *u = &g_array_index(a->uses, ConfigUse, i);
        if (!u->info->supported)
            return fail(p, u->key, UNSUPPORTED, error,
                        "config '%s' is not supported yet: the simulator does not model it",
                        u->info->name);
    }
    return true;
}

static bool unsupported(Parser *p, const KsToken *t, const char *what, const char *why,
                        GError **error)
{
    return fail(p, t, UNSUPPORTED, error, "'%s' is not supported yet: %s", what,
                why ? why : WHY_GENERIC);
}

/* ------------------------------------------------------------------------ */
/* Lookups with helpful errors                                                */

static gint cmp_broker_id(gconstpointer a, gconstpointer b)
{
    KsBrokerId x = *(const KsBrokerId *)a, y = *(const KsBrokerId *)b;
    return (x > y) - (x < y);
}

/* "brokers are 1, 2, 3" or, for many, ranges: "brokers are 1-300". */
static char *describe_brokers(Parser *p)
{
    g_autoptr(GArray) ids = g_array_new(FALSE, FALSE, sizeof(KsBrokerId));
    for (guint i = 0; i < p->plan->brokers->len; i++)
        g_array_append_val(ids, ((KsPlanBroker *)p->plan->brokers->pdata[i])->id);
    g_array_append_vals(ids, p->added->data, p->added->len);
    if (ids->len == 0)
        return g_strdup("no broker is declared");
    g_array_sort(ids, cmp_broker_id);
    GString *s = g_string_new(ids->len == 1 ? "the only broker is " : "brokers are ");
    const KsBrokerId *v = (const KsBrokerId *)(void *)ids->data;
    if (ids->len <= 10) {
        for (guint i = 0; i < ids->len; i++)
            g_string_append_printf(s, "%s%d", i ? ", " : "", v[i]);
        return g_string_free(s, FALSE);
    }
    guint runs = 0;
    for (guint i = 0; i < ids->len && runs < 10; runs++) {
        guint j = i;
        while (j + 1 < ids->len && v[j + 1] == v[j] + 1)
            j++;
        if (j > i)
            g_string_append_printf(s, "%s%d-%d", runs ? ", " : "", v[i], v[j]);
        else
            g_string_append_printf(s, "%s%d", runs ? ", " : "", v[i]);
        i = j + 1;
        if (runs == 9 && i < ids->len)
            g_string_append(s, ", ...");
    }
    return g_string_free(s, FALSE);
}

/* Names of the elements of @arr (each starting with a char *name). */
static char *describe_names(GPtrArray *arr, const char *plural, const char *none)
{
    if (arr->len == 0)
        return g_strdup(none);
    g_autoptr(GPtrArray) names = g_ptr_array_new();
    for (guint i = 0; i < arr->len; i++)
        g_ptr_array_add(names, *(char **)arr->pdata[i]);
    g_autofree char *list = join_strs(names, 10);
    return g_strdup_printf("%s %s", plural, list);
}

static bool find_node(Parser *p, const KsToken *t, const char *name, GError **error)
{
    if (g_hash_table_contains(p->nodes, name))
        return true;
    g_autofree char *known = describe_names(p->plan->nodes, "nodes are", "no node is declared");
    return fail(p, t, REFERENCE, error, "node '%s' is not declared; %s", name, known);
}

static bool arg_node(Parser *p, const Arg *a, char **out, GError **error)
{
    g_autofree char *name = NULL;
    if (!arg_name(p, a, "a node name", &name, error))
        return false;
    if (!find_node(p, scalar(a), name, error))
        return false;
    *out = g_steal_pointer(&name);
    return true;
}

static KsPlanTopic *find_topic(Parser *p, const KsToken *t, const char *name, GError **error)
{
    KsPlanTopic *topic = g_hash_table_lookup(p->topics, name);
    if (topic)
        return topic;
    g_autofree char *known = describe_names(p->plan->topics, "topics are", "no topic is declared");
    fail(p, t, REFERENCE, error, "topic '%s' is not declared; %s", name, known);
    return NULL;
}

static KsPlanTopic *arg_topic(Parser *p, const Arg *a, GError **error)
{
    g_autofree char *name = NULL;
    if (!arg_name(p, a, "a topic name", &name, error))
        return NULL;
    return find_topic(p, scalar(a), name, error);
}

/* The time before which broker @id does not exist (it is added later), or -1. */
static bool find_broker(Parser *p, const KsToken *t, int64_t id, GError **error)
{
    BrokerInfo *b =
        id >= 0 && id <= INT32_MAX ? g_hash_table_lookup(p->brokers, GINT_TO_POINTER(id)) : NULL;
    if (!b) {
        g_autofree char *known = describe_brokers(p);
        return fail(p, t, REFERENCE, error, "broker %" PRId64 " is not declared; %s", id, known);
    }
    if (b->added_at > p->now) {
        char b1[32], b2[32];
        return fail(p, t, REFERENCE, error,
                    "broker %" PRId64 " is added at %s (line %d); it does not exist at %s", id,
                    time_show(b->added_at, b1, sizeof b1), b->line,
                    time_show(p->now, b2, sizeof b2));
    }
    return true;
}

static bool tok_broker(Parser *p, const KsToken *t, const char *example, KsBrokerId *out,
                       GError **error)
{
    if (t->kind != KS_TOK_INT) {
        g_autofree char *s = tok_show(t);
        return fail(p, t, VALUE, error,
                    "expected a broker id (a whole number), found '%s', e.g. %s", s, example);
    }
    if (!find_broker(p, t, t->value, error))
        return false;
    *out = (KsBrokerId)t->value;
    return true;
}

/* "orders has 6 partitions (0-5); there is no orders-9". */
static bool no_such_partition(Parser *p, int line, int col, const KsPlanTopic *topic,
                              const char *number, GError **error)
{
    if (topic->partitions == 1)
        return fail_at(p, line, col, REFERENCE, error, "%s has 1 partition (0); there is no %s-%s",
                       topic->name, topic->name, number);
    return fail_at(p, line, col, REFERENCE, error, "%s has %d partitions (0-%d); there is no %s-%s",
                   topic->name, topic->partitions, topic->partitions - 1, topic->name, number);
}

/* A partition written TOPIC-N: split at the last '-' followed only by
 * digits, so a topic may itself contain '-' and digits ("a-1-2" is
 * partition 2 of topic "a-1"). */
static bool tok_partition(Parser *p, const KsToken *t, KsPlanPartition *out, GError **error)
{
    g_autofree char *text = tok_text(t);
    size_t n = t->len;
    size_t dash = n;
    if (tok_is_name(t))
        for (size_t i = n; i-- > 0;)
            if (text[i] == '-') {
                dash = i;
                break;
            }
    bool digits = dash + 1 < n;
    for (size_t i = dash + 1; i < n; i++)
        if (!g_ascii_isdigit(text[i]))
            digits = false;
    if (dash == n || dash == 0 || !digits) {
        g_autofree char *s = tok_show(t);
        if (tok_is_name(t) && g_hash_table_contains(p->topics, text))
            return fail(p, t, VALUE, error,
                        "'%s' is a topic; name one of its partitions, e.g. %s-0", s, s);
        return fail(p, t, VALUE, error,
                    "expected a partition written TOPIC-N, e.g. orders-0; found '%s'", s);
    }
    text[dash] = '\0';
    KsPlanTopic *topic = find_topic(p, t, text, error);
    if (!topic)
        return false;
    int64_t part = 0;
    for (size_t i = dash + 1; i < n && part <= INT32_MAX; i++)
        part = part * 10 + (text[i] - '0');
    if (part >= topic->partitions)
        return no_such_partition(p, t->line, t->col, topic, text + dash + 1, error);
    out->topic = g_strdup(topic->name);
    out->partition = (int32_t)part;
    return true;
}

static bool check_client_name(Parser *p, const KsToken *t, const char *name, GError **error)
{
    ClientInfo *c = g_hash_table_lookup(p->clients, name);
    if (c) {
        static const char *const kinds[] = {"producer", "flume agent", "consumer"};
        return fail(p, t, VALUE, error,
                    "'%s' is already the name of a %s (line %d); client names must be unique", name,
                    kinds[c->kind], c->line);
    }
    KsPlanNode *node = g_hash_table_lookup(p->nodes, name);
    if (node)
        return fail(p, t, VALUE, error,
                    "'%s' is already the name of a node (line %d); a client may not share it", name,
                    node->loc.line);
    if (g_hash_table_size(p->clients) >= MAX_CLIENTS)
        return fail(p, t, VALUE, error, "too many clients (at most %d)", MAX_CLIENTS);
    return true;
}

static void add_client(Parser *p, const char *name, ClientKind kind, int line)
{
    ClientInfo *c = g_new0(ClientInfo, 1);
    c->kind = kind;
    c->line = line;
    g_hash_table_insert(p->clients, (gpointer)name, c);
}

/* The group @name, declared implicitly (with Kafka's defaults) if new. */
static bool use_group(Parser *p, const KsToken *t, const char *name, GError **error)
{
    if (g_hash_table_contains(p->groups, name))
        return true;
    if (p->plan->groups->len >= MAX_GROUPS)
        return fail(p, t, VALUE, error, "too many groups (at most %d)", MAX_GROUPS);
    KsPlanGroup *g = g_new0(KsPlanGroup, 1);
    g->name = g_strdup(name);
    g->assignor = KS_ASSIGNOR_RANGE;
    g->protocol = KS_PROTOCOL_EAGER;
    g->loc = loc_of(t);
    g_ptr_array_add(p->plan->groups, g);
    GroupInfo *gi = g_new0(GroupInfo, 1);
    gi->group = g;
    g_hash_table_insert(p->groups, g->name, gi);
    return true;
}

static bool find_group(Parser *p, const KsToken *t, const char *name, GError **error)
{
    if (g_hash_table_contains(p->groups, name))
        return true;
    g_autofree char *known =
        describe_names(p->plan->groups, "groups are", "no consumer group is declared");
    return fail(p, t, REFERENCE, error, "group '%s' is not declared; %s", name, known);
}

static const char *client_kind_name(ClientKind kind)
{
    switch (kind) {
    case CLIENT_PRODUCER:
        return "producer";
    case CLIENT_FLUME:
        return "flume agent";
    case CLIENT_CONSUMER:
        return "consumer";
    }
    return "client";
}

/* Checks that @name is a declared client of @kind. */
static bool find_client(Parser *p, const KsToken *t, const char *name, ClientKind kind,
                        GError **error)
{
    ClientInfo *c = g_hash_table_lookup(p->clients, name);
    if (c && c->kind == kind)
        return true;
    if (c)
        return fail(p, t, REFERENCE, error, "'%s' is a %s (line %d), not a %s", name,
                    client_kind_name(c->kind), c->line, client_kind_name(kind));
    GPtrArray *declared = kind == CLIENT_CONSUMER ? p->plan->consumers : p->plan->producers;
    g_autofree char *are = g_strdup_printf("%ss are", client_kind_name(kind));
    g_autofree char *none = g_strdup_printf("no %s is declared", client_kind_name(kind));
    g_autofree char *known = describe_names(declared, are, none);
    return fail(p, t, REFERENCE, error, "%s '%s' is not declared; %s", client_kind_name(kind), name,
                known);
}

static bool find_consumer(Parser *p, const KsToken *t, const char *name, GError **error)
{
    return find_client(p, t, name, CLIENT_CONSUMER, error);
}

static bool find_producer(Parser *p, const KsToken *t, const char *name, GError **error)
{
    return find_client(p, t, name, CLIENT_PRODUCER, error);
}

/* A list of declared topic names, without repeats. */
static bool arg_topics(Parser *p, const Arg *a, GPtrArray **out, GError **error)
{
    if (a->is_set) {
        g_autofree char *s = arg_show(a);
        return fail(p, a->first, VALUE, error, "%s: write the topics without braces, e.g. %s", s,
                    a->example);
    }
    g_autoptr(GPtrArray) topics = g_ptr_array_new_with_free_func(g_free);
    for (guint i = 0; i < a->items->len; i++) {
        const KsToken *t = a->items->pdata[i];
        if (!tok_is_name(t)) {
            g_autofree char *s = tok_show(t);
            return fail(p, t, VALUE, error, "'%s': expected a topic name, e.g. %s", s, a->example);
        }
        g_autofree char *name = tok_text(t);
        KsPlanTopic *topic = find_topic(p, t, name, error);
        if (!topic)
            return false;
        for (guint j = 0; j < topics->len; j++)
            if (strcmp(topics->pdata[j], name) == 0)
                return fail(p, t, VALUE, error, "topic '%s' is listed twice", name);
        g_ptr_array_add(topics, g_steal_pointer(&name));
    }
    *out = g_steal_pointer(&topics);
    return true;
}

/* A set (or list) of known broker ids. @sorted: ascending, else as written. */
static bool arg_broker_set(Parser *p, const Arg *a, bool sorted, bool allow_empty, GArray **out,
                           GError **error)
{
    g_autoptr(GArray) ids = g_array_new(FALSE, FALSE, sizeof(KsBrokerId));
    for (guint i = 0; i < a->items->len; i++) {
        const KsToken *t = a->items->pdata[i];
        KsBrokerId id;
        if (!tok_broker(p, t, a->example, &id, error))
            return false;
        for (guint j = 0; j < ids->len; j++)
            if (g_array_index(ids, KsBrokerId, j) == id)
                return fail(p, t, VALUE, error, "broker %d is listed twice", id);
        g_array_append_val(ids, id);
    }
    if (ids->len == 0 && !allow_empty) {
        g_autofree char *s = arg_show(a);
        return fail(p, a->first, VALUE, error, "%s: the set is empty, e.g. %s", s, a->example);
    }
    if (sorted)
        g_array_sort(ids, cmp_broker_id);
    *out = g_steal_pointer(&ids);
    return true;
}

/* ------------------------------------------------------------------------ */
/* Declarations                                                               */

typedef struct DeclRow DeclRow;
typedef bool (*DeclFn)(Parser *p, const DeclRow *row, const KsToken *head, Args *a, GError **error);

struct DeclRow {
    LineSpec spec;
    KsDeclKind kind;
    const char *why; /* why it is not supported yet */
    DeclFn handle;
};

static bool decl_seed(Parser *p, const DeclRow *row, const KsToken *head, Args *a, GError **error)
{
    if (p->seed_line)
        return fail(p, head, VALUE, error, "the seed is already set on line %d", p->seed_line);
    int64_t seed;
    if (!arg_int(p, a->pos->pdata[0], 0, INT64_MAX, &seed, error))
        return false;
    p->plan->has_seed = true;
    p->plan->seed = (uint64_t)seed;
    p->seed_line = head->line;
    return true;
}

static bool decl_set(Parser *p, const DeclRow *row, const KsToken *head, Args *a, GError **error)
{
    if (a->uses->len == 0)
        return fail(p, head, SYNTAX, error, "set needs at least one config; usage: %s",
                    row->spec.usage);
    for (guint i = 0; i < a->uses->len; i++) {
        const ConfigUse *u = &g_array_index(a->uses, ConfigUse, i);
        KsConfigKey k = u->info->key;
        if (p->set_at[k].line)
            return fail(p, u->key, VALUE, error, "%s is already set on line %d", u->info->name,
                        p->set_at[k].line);
        p->set_at[k] = loc_of(u->key);
        ks_config_set_put_from(p->plan->defaults, a->configs, k);
    }
    return true;
}

static bool add_node(Parser *p, const KsToken *t, const char *name, const char *zone, KsLoc loc,
                     GError **error)
{
    KsPlanNode *old = g_hash_table_lookup(p->nodes, name);
    if (old)
        return fail(p, t, VALUE, error, "node '%s' is already declared on line %d", name,
                    old->loc.line);
    if (g_hash_table_contains(p->clients, name))
        return fail(p, t, VALUE, error, "'%s' is already the name of a client", name);
    if (p->plan->nodes->len >= MAX_NODES)
        return fail(p, t, VALUE, error, "too many nodes (at most %d)", MAX_NODES);
    KsPlanNode *node = g_new0(KsPlanNode, 1);
    node->name = g_strdup(name);
    node->zone = g_strdup(zone);
    node->loc = loc;
    g_ptr_array_add(p->plan->nodes, node);
    g_hash_table_insert(p->nodes, node->name, node);
    return true;
}

static bool add_broker(Parser *p, const KsToken *t, int64_t id, GError **error)
{
    BrokerInfo *old = g_hash_table_lookup(p->brokers, GINT_TO_POINTER((int)id));
    if (old)
        return fail(p, t, VALUE, error, "broker %" PRId64 " is already declared on line %d", id,
                    old->line);
    if (g_hash_table_size(p->brokers) >= MAX_BROKERS)
        return fail(p, t, VALUE, error, "too many brokers (at most %d)", MAX_BROKERS);
    BrokerInfo *b = g_new0(BrokerInfo, 1);
    b->line = t->line;
    b->added_at = -1;
    g_hash_table_insert(p->brokers, GINT_TO_POINTER((int)id), b);
    return true;
}

static bool decl_cluster(Parser *p, const DeclRow *row, const KsToken *head, Args *a,
                         GError **error)
{
    int64_t nodes, per_node = 1;
    const Arg *an = need(p, a, &row->spec, head, "nodes", error);
    if (!an || !arg_int(p, an, 1, MAX_NODES, &nodes, error))
        return false;
    const Arg *ab = get(a, "brokers-per-node");
    if (ab && !arg_int(p, ab, 1, MAX_BROKERS, &per_node, error))
        return false;
    if (nodes * per_node > MAX_BROKERS)
        return fail(p, ab ? ab->first : an->first, VALUE, error,
                    "%" PRId64 " nodes with %" PRId64 " brokers each is %" PRId64
                    " brokers; at most %d",
                    nodes, per_node, nodes * per_node, MAX_BROKERS);
    const Arg *az = get(a, "zones");
    if (az && az->is_set) {
        g_autofree char *s = arg_show(az);
        return fail(p, az->first, VALUE, error, "%s: write the zones without braces, e.g. %s", s,
                    az->example);
    }
    if (az)
        for (guint i = 0; i < az->items->len; i++) {
            const KsToken *z = az->items->pdata[i];
            if (!tok_is_name(z)) {
                g_autofree char *s = tok_show(z);
                return fail(p, z, VALUE, error, "'%s': expected a zone name, e.g. %s", s,
                            az->example);
            }
            if (!check_name_len(p, z, error))
                return false;
        }
    KsLoc loc = loc_of(head);
    for (int64_t i = 1; i <= nodes; i++) {
        g_autofree char *name = g_strdup_printf("n%" PRId64, i);
        g_autofree char *zone = NULL;
        if (az)
            zone = tok_text(az->items->pdata[(i - 1) % az->items->len]);
        if (g_hash_table_contains(p->nodes, name)) {
            KsPlanNode *old = g_hash_table_lookup(p->nodes, name);
            return fail(p, head, VALUE, error,
                        "cluster declares node '%s', which is already declared on line %d", name,
                        old->loc.line);
        }
        if (!add_node(p, head, name, zone, loc, error))
            return false;
        for (int64_t j = 1; j <= per_node; j++) {
            int64_t id = (i - 1) * per_node + j;
            BrokerInfo *old = g_hash_table_lookup(p->brokers, GINT_TO_POINTER((int)id));
            if (old)
                return fail(p, head, VALUE, error,
                            "cluster declares broker %" PRId64
                            ", which is already declared on line %d",
                            id, old->line);
            if (!add_broker(p, head, id, error))
                return false;
            KsPlanBroker *b = g_new0(KsPlanBroker, 1);
            b->id = (KsBrokerId)id;
            b->node = g_strdup(name);
            /* Cloud deployments set broker.rack to the availability zone. */
            b->rack = g_strdup(zone);
            b->configs = ks_config_set_new();
            b->loc = loc;
            g_ptr_array_add(p->plan->brokers, b);
        }
    }
    return true;
}

static bool decl_node(Parser *p, const DeclRow *row, const KsToken *head, Args *a, GError **error)
{
    const Arg *an = a->pos->pdata[0];
    g_autofree char *name = NULL, *zone = NULL;
    if (!arg_name(p, an, "a node name", &name, error))
        return false;
    const Arg *az = get(a, "zone");
    if (az && !arg_name(p, az, "a zone name", &zone, error))
        return false;
    return add_node(p, scalar(an), name, zone, loc_of(head), error);
}

static bool decl_broker(Parser *p, const DeclRow *row, const KsToken *head, Args *a, GError **error)
{
    const Arg *ai = a->pos->pdata[0];
    int64_t id;
    if (!arg_int(p, ai, 0, INT32_MAX, &id, error))
        return false;
    if (!add_broker(p, scalar(ai), id, error))
        return false;
    KsPlanBroker *b = g_new0(KsPlanBroker, 1);
    b->id = (KsBrokerId)id;
    b->loc = loc_of(head);
    g_ptr_array_add(p->plan->brokers, b);
    const Arg *an = need(p, a, &row->spec, head, "node", error);
    if (!an || !arg_node(p, an, &b->node, error))
        return false;
    const Arg *ar = get(a, "rack");
    if (ar && !arg_name(p, ar, "a rack name", &b->rack, error))
        return false;
    b->configs = g_steal_pointer(&a->configs);
    return true;
}

static bool decl_zookeeper(Parser *p, const DeclRow *row, const KsToken *head, Args *a,
                           GError **error)
{
    if (p->zookeeper_line)
        return fail(p, head, VALUE, error, "zookeeper is already declared on line %d",
                    p->zookeeper_line);
    p->zookeeper_line = head->line;
    KsPlanZookeeper *zk = g_new0(KsPlanZookeeper, 1);
    zk->servers = 1;
    zk->loc = loc_of(head);
    p->plan->zookeeper = zk;
    const Arg *an = get(a, "node");
    if (an && !arg_node(p, an, &zk->node, error))
        return false;
    const Arg *as = get(a, "servers");
    int64_t servers = 1;
    if (as && !arg_int(p, as, 1, MAX_ZK_SERVERS, &servers, error))
        return false;
    zk->servers = (int32_t)servers;
    return true;
}

/* Kafka's rules (Topic.validate): [a-zA-Z0-9._-], at most 249 characters,
 * not "." or "..". The lexer already keeps names to the legal characters. */
static bool check_topic_name(Parser *p, const KsToken *t, const char *name, GError **error)
{
    if (t->kind == KS_TOK_STRING || !tok_is_name(t)) {
        g_autofree char *s = tok_show(t);
        return fail(p, t, VALUE, error,
                    "'%s' is not a topic name: use letters, digits, '.', '_' and '-', e.g. orders",
                    s);
    }
    if (strcmp(name, ".") == 0 || strcmp(name, "..") == 0)
        return fail(p, t, VALUE, error, "Topic name cannot be \".\" or \"..\"");
    if (t->len > MAX_NAME)
        return fail(p, t, VALUE, error,
                    "topic name is %zu characters long; Kafka allows at most %d", t->len, MAX_NAME);
    return true;
}

static bool decl_topic(Parser *p, const DeclRow *row, const KsToken *head, Args *a, GError **error)
{
    const Arg *an = a->pos->pdata[0];
    if (!want_scalar(p, an, "a topic name", error))
        return false;
    const KsToken *nt = scalar(an);
    g_autofree char *name = tok_text(nt);
    if (!check_topic_name(p, nt, name, error))
        return false;
    KsPlanTopic *old = g_hash_table_lookup(p->topics, name);
    if (old)
        return fail(p, nt, VALUE, error, "topic '%s' is already declared on line %d", name,
                    old->loc.line);
    g_autofree char *norm = g_strdelimit(g_strdup(name), ".", '_');
    old = g_hash_table_lookup(p->topic_norm, norm);
    if (old)
        return fail(p, nt, VALUE, error,
                    "topic '%s' collides with topic '%s' (line %d): Kafka treats '.' and '_' "
                    "alike in topic names",
                    name, old->name, old->loc.line);
    if (p->plan->topics->len >= MAX_TOPICS)
        return fail(p, nt, VALUE, error, "too many topics (at most %d)", MAX_TOPICS);

    KsPlanTopic *t = g_new0(KsPlanTopic, 1);
    t->name = g_steal_pointer(&name);
    t->partitions = -1;
    t->replication_factor = -1;
    t->placement_start = -1;
    t->loc = loc_of(head);
    g_ptr_array_add(p->plan->topics, t);
    g_hash_table_insert(p->topics, t->name, t);
    g_hash_table_insert(p->topic_norm, g_steal_pointer(&norm), t);
    TopicAux aux = {.rf_loc = loc_of(nt)};
    int64_t v;
    const Arg *ap = get(a, "partitions");
    if (ap) {
        if (!arg_int(p, ap, 1, MAX_PARTITIONS, &v, error))
            return false;
        t->partitions = (int32_t)v;
    }
    const Arg *ar = get(a, "replication-factor");
    if (ar) {
        if (!arg_int(p, ar, 1, MAX_BROKERS, &v, error))
            return false;
        t->replication_factor = (int32_t)v;
        aux.rf_loc = loc_of(ar->first);
    }
    const Arg *as = get(a, "replica-placement-start");
    if (as) {
        if (!arg_int(p, as, 0, MAX_BROKERS, &v, error))
            return false;
        t->placement_start = (int32_t)v;
        aux.start_loc = loc_of(as->first);
    }
    g_array_append_val(p->topic_aux, aux);
    t->configs = g_steal_pointer(&a->configs);
    return true;
}

static const char *const partitioner_names[] = {"default", "key", "round-robin", "sticky", NULL};
static const KsPartitionerKind partitioner_kinds[] = {
    KS_PARTITIONER_DEFAULT,
    KS_PARTITIONER_KEY,
    KS_PARTITIONER_ROUND_ROBIN,
    KS_PARTITIONER_STICKY,
};

static bool arg_rate(Parser *p, const Arg *a, int64_t *out, GError **error)
{
    if (!want_scalar(p, a, "a rate", error))
        return false;
    const KsToken *t = scalar(a);
    if (t->kind == KS_TOK_INT && t->value == 0) {
        *out = 0;
        return true;
    }
    if (t->kind != KS_TOK_RATE) {
        g_autofree char *s = arg_show(a);
        return fail(p, t, VALUE, error, "%s: expected records per second, e.g. %s", s, a->example);
    }
    if (t->value > MAX_RATE)
        return range_error(p, a, t, 0, MAX_RATE, error);
    *out = t->value;
    return true;
}

/* Keeps @configs of a producer or flume line for check_producer_configs(),
 * with where the line gives the configs it checks. */
static void add_producer_check(Parser *p, KsConfigSet *configs, const KsToken *name, const Args *a)
{
    ProducerCheck c = {.configs = configs, .name = loc_of(name)};
    for (guint i = 0; i < a->uses->len; i++) {
        const ConfigUse *u = &g_array_index(a->uses, ConfigUse, i);
        for (size_t k = 0; k < G_N_ELEMENTS(producer_checked); k++)
            if (producer_checked[k] == u->info->key)
                c.at[k] = loc_of(u->key);
    }
    g_array_append_val(p->producer_checks, c);
}

/* Where @c's line gives the first of @keys (ended by KS_CFG_COUNT) it gives;
 * else the client's name. */
static KsLoc producer_blame(const ProducerCheck *c, const KsConfigKey *keys)
{
    for (; *keys != KS_CFG_COUNT; keys++)
        for (size_t k = 0; k < G_N_ELEMENTS(producer_checked); k++)
            if (producer_checked[k] == *keys && c->at[k].line)
                return c->at[k];
    return c->name;
}

/* The configs behind @refusal, the likeliest fix first; ended by
 * KS_CFG_COUNT. */
static const KsConfigKey *refusal_blame(KsProducerRefusal refusal)
{
    static const KsConfigKey none[] = {KS_CFG_COUNT};
    static const KsConfigKey retries[] = {KS_CFG_RETRIES, KS_CFG_ENABLE_IDEMPOTENCE, KS_CFG_COUNT};
    static const KsConfigKey acks[] = {KS_CFG_ACKS, KS_CFG_ENABLE_IDEMPOTENCE, KS_CFG_COUNT};
    static const KsConfigKey in_flight[] = {KS_CFG_MAX_IN_FLIGHT_REQUESTS_PER_CONNECTION,
                                            KS_CFG_ENABLE_IDEMPOTENCE, KS_CFG_COUNT};
    static const KsConfigKey delivery[] = {KS_CFG_DELIVERY_TIMEOUT_MS, KS_CFG_LINGER_MS,
                                           KS_CFG_REQUEST_TIMEOUT_MS, KS_CFG_COUNT};
    switch (refusal) {
    case KS_PRODUCER_REFUSAL_NONE:
        return none;
    case KS_PRODUCER_REFUSAL_RETRIES:
        return retries;
    case KS_PRODUCER_REFUSAL_ACKS:
        return acks;
    case KS_PRODUCER_REFUSAL_IN_FLIGHT:
        return in_flight;
    case KS_PRODUCER_REFUSAL_DELIVERY_TIMEOUT:
        return delivery;
    }
    g_assert_not_reached();
}

/*
 * Checks a producer's configs against each other as Kafka 3.2 to 3.9 does
 * when the producer is built, with Kafka's messages; the rules are
 * ks_config_producer_effective()'s. It runs once every `set` line is known,
 * since a config is given when the producer's line or a `set` line gives it.
 * Where Kafka adjusts a config silently instead of refusing it (idempotence
 * turned off, delivery.timeout.ms raised), the adjusted value is stored in
 * the producer's configs, so the plan says what the model must do. An error
 * points at the offending config on the line, else at the name.
 */
static bool check_producer_configs(Parser *p, const ProducerCheck *c, GError **error)
{
    KsConfigSet *cfg = c->configs;
    const KsConfigSet *def = p->plan->defaults;
    bool idempotent;
    KsTime delivery;
    KsProducerRefusal refusal = ks_config_producer_effective(cfg, def, &idempotent, &delivery);
    if (refusal != KS_PRODUCER_REFUSAL_NONE) {
        KsLoc at = producer_blame(c, refusal_blame(refusal));
        return fail_at(p, at.line, at.col, VALUE, error, "%s",
                       ks_config_producer_refusal_message(refusal));
    }
    if (idempotent != (ks_config_resolve(KS_CFG_ENABLE_IDEMPOTENCE, cfg, def) != 0))
        ks_config_set_put(cfg, KS_CFG_ENABLE_IDEMPOTENCE, idempotent);
    if (delivery != ks_config_resolve(KS_CFG_DELIVERY_TIMEOUT_MS, cfg, def))
        ks_config_set_put(cfg, KS_CFG_DELIVERY_TIMEOUT_MS, delivery);
    return true;
}

/*
 * A `produce` action without producer= sends with a console producer built
 * from the `set` defaults alone, so Kafka would refuse to build it when the
 * defaults conflict: `set enable.idempotence=true` with `set acks=1`, for
 * example. The same `set` lines are fine in a scenario without such an
 * action, where they are only defaults for declared producers, each checked
 * on its own by check_producer_configs(). Runs at the first such action, when
 * every `set` line is known; the error points at the latest `set` token of
 * the conflict, the one that made it one. `set` actions of the timeline are
 * not counted.
 */
static bool check_console_producer(Parser *p, const KsToken *head, GError **error)
{
    if (p->console_checked)
        return true;
    p->console_checked = true;
    KsProducerRefusal refusal = ks_config_producer_effective(NULL, p->plan->defaults, NULL, NULL);
    if (refusal == KS_PRODUCER_REFUSAL_NONE)
        return true;
    KsLoc at = loc_of(head);
    bool found = false;
    for (const KsConfigKey *k = refusal_blame(refusal); *k != KS_CFG_COUNT; k++) {
        KsLoc s = p->set_at[*k];
        if (s.line && (!found || s.line > at.line || (s.line == at.line && s.col > at.col))) {
            at = s;
            found = true;
        }
    }
    return fail_at(p, at.line, at.col, VALUE, error,
                   "%s (`produce` without producer= on line %d sends with the `set` configs)",
                   ks_config_producer_refusal_message(refusal), head->line);
}

static bool decl_producer(Parser *p, const DeclRow *row, const KsToken *head, Args *a,
                          GError **error)
{
    const Arg *an = a->pos->pdata[0];
    g_autofree char *name = NULL;
    if (!arg_name(p, an, "a producer name", &name, error))
        return false;
    if (!check_client_name(p, scalar(an), name, error))
        return false;
    KsPlanProducer *pr = g_new0(KsPlanProducer, 1);
    pr->name = g_steal_pointer(&name);
    pr->partition = -1;
    pr->record_size = 100;
    pr->count = -1;
    pr->loc = loc_of(head);
    g_ptr_array_add(p->plan->producers, pr);
    add_client(p, pr->name, CLIENT_PRODUCER, head->line);
    KsLoc part_loc = {0, 0};
    g_array_append_val(p->producer_part, part_loc);

    const Arg *at = need(p, a, &row->spec, head, "topic", error);
    if (!at)
        return false;
    KsPlanTopic *topic = arg_topic(p, at, error);
    if (!topic)
        return false;
    pr->topic = g_strdup(topic->name);
    const Arg *ar = get(a, "rate");
    if (ar && !arg_rate(p, ar, &pr->rate_per_s, error))
        return false;
    const Arg *ak = get(a, "keys");
    if (ak && !arg_int(p, ak, 0, MAX_KEYS, &pr->keys, error))
        return false;
    const Arg *apre = get(a, "key-prefix");
    if (apre) {
        if (!arg_text(p, apre, "a name or a quoted string", &pr->key_prefix, error))
            return false;
        if (pr->keys == 0)
            return fail(p, apre->first, VALUE, error,
                        "key-prefix= only names the keys of keys=N; add keys=, e.g. keys=1000");
    } else {
        pr->key_prefix = g_strdup("key-");
    }
    const Arg *as = get(a, "record-size");
    if (as && !arg_int(p, as, 1, MAX_RECORD_SIZE, &pr->record_size, error))
        return false;
    const Arg *ac = get(a, "count");
    if (ac && !arg_int(p, ac, 1, MAX_COUNT, &pr->count, error))
        return false;
    const Arg *anode = get(a, "node");
    if (anode && !arg_node(p, anode, &pr->node, error))
        return false;
    const Arg *apart = get(a, "partition");
    const Arg *apn = get(a, "partitioner");
    int which = 0;
    if (apn && !arg_choice(p, apn, partitioner_names, &which, error))
        return false;
    pr->partitioner = partitioner_kinds[which];
    if (apart) {
        if (apn)
            return fail(p, apart->first, VALUE, error,
                        "partition= sends every record to one partition; it cannot be combined "
                        "with partitioner=");
        int64_t part;
        if (!arg_int(p, apart, 0, MAX_PARTITIONS - 1, &part, error))
            return false;
        pr->partition = (int32_t)part;
        pr->partitioner = KS_PARTITIONER_EXPLICIT;
        g_array_index(p->producer_part, KsLoc, p->producer_part->len - 1) = loc_of(apart->first);
    }
    if (pr->partitioner == KS_PARTITIONER_KEY && pr->keys == 0)
        return fail(p, apn->first, VALUE, error,
                    "partitioner=key needs keys to hash; add keys=N, e.g. keys=1000");
    pr->configs = g_steal_pointer(&a->configs);
    add_producer_check(p, pr->configs, scalar(an), a);

    /* Everything is valid; can the simulator run this partitioner? */
    if (!p->allow_unsupported && ks_support_decl(row->kind) &&
        !ks_support_partitioner(pr->partitioner)) {
        if (apart)
            return fail(p, apart->first, UNSUPPORTED, error,
                        "partition= (explicit partitioning) is not supported yet: %s", WHY_GENERIC);
        return fail(p, apn ? apn->first : head, UNSUPPORTED, error,
                    "partitioner=%s is not supported yet: %s", partitioner_names[which],
                    WHY_GENERIC);
    }
    return true;
}

static bool decl_flume(Parser *p, const DeclRow *row, const KsToken *head, Args *a, GError **error)
{
    const Arg *an = a->pos->pdata[0];
    g_autofree char *name = NULL;
    if (!arg_name(p, an, "an agent name", &name, error))
        return false;
    if (!check_client_name(p, scalar(an), name, error))
        return false;
    KsPlanFlume *f = g_new0(KsPlanFlume, 1);
    f->name = g_steal_pointer(&name);
    /* Flume's defaults: memory channel capacity 100, Kafka sink batchSize 100. */
    f->channel_capacity = 100;
    f->batch_size = 100;
    f->loc = loc_of(head);
    g_ptr_array_add(p->plan->flumes, f);
    add_client(p, f->name, CLIENT_FLUME, head->line);
    const Arg *at = need(p, a, &row->spec, head, "topic", error);
    if (!at)
        return false;
    KsPlanTopic *topic = arg_topic(p, at, error);
    if (!topic)
        return false;
    f->topic = g_strdup(topic->name);
    const Arg *ar = need(p, a, &row->spec, head, "rate", error);
    if (!ar || !arg_rate(p, ar, &f->rate_per_s, error))
        return false;
    const Arg *ac = get(a, "capacity");
    if (ac && !arg_int(p, ac, 1, MAX_CAPACITY, &f->channel_capacity, error))
        return false;
    const Arg *ab = get(a, "batch-size");
    if (ab && !arg_int(p, ab, 1, MAX_CAPACITY, &f->batch_size, error))
        return false;
    if (f->batch_size > f->channel_capacity)
        return fail(p, ab ? ab->first : ac->first, VALUE, error,
                    "batch-size=%" PRId64 " is larger than capacity=%" PRId64
                    ": a take cannot hold more than the channel",
                    f->batch_size, f->channel_capacity);
    const Arg *anode = get(a, "node");
    if (anode && !arg_node(p, anode, &f->node, error))
        return false;
    f->configs = g_steal_pointer(&a->configs);
    add_producer_check(p, f->configs, scalar(an), a);
    return true;
}

static const char *const assignor_names[] = {"range", "roundrobin", "sticky", "cooperative-sticky",
                                             NULL};
static const char *const protocol_names[] = {"eager", "cooperative", NULL};

static bool decl_group(Parser *p, const DeclRow *row, const KsToken *head, Args *a, GError **error)
{
    const Arg *an = a->pos->pdata[0];
    g_autofree char *name = NULL;
    if (!arg_name(p, an, "a group name", &name, error))
        return false;
    GroupInfo *gi = g_hash_table_lookup(p->groups, name);
    if (gi && gi->explicit_line)
        return fail(p, scalar(an), VALUE, error, "group '%s' is already declared on line %d", name,
                    gi->explicit_line);
    int assignor = KS_ASSIGNOR_RANGE, protocol = -1;
    const Arg *aa = get(a, "assignor");
    if (aa && !arg_choice(p, aa, assignor_names, &assignor, error))
        return false;
    const Arg *ap = get(a, "protocol");
    if (ap && !arg_choice(p, ap, protocol_names, &protocol, error))
        return false;
    if (protocol == KS_PROTOCOL_COOPERATIVE && assignor != KS_ASSIGNOR_COOPERATIVE_STICKY)
        return fail(p, ap->first, VALUE, error,
                    "protocol=cooperative needs assignor=cooperative-sticky, the only assignor "
                    "that supports incremental rebalancing");
    /* cooperative-sticky rebalances cooperatively unless told otherwise. */
    if (protocol < 0)
        protocol = assignor == KS_ASSIGNOR_COOPERATIVE_STICKY ? KS_PROTOCOL_COOPERATIVE
                                                              : KS_PROTOCOL_EAGER;
    if (!gi) {
        if (!use_group(p, scalar(an), name, error))
            return false;
        gi = g_hash_table_lookup(p->groups, name);
    }
    gi->explicit_line = head->line;
    gi->group->assignor = (KsAssignorKind)assignor;
    gi->group->protocol = (KsRebalanceProtocol)protocol;
    gi->group->loc = loc_of(head);
    return true;
}

/* Builds a consumer from group= and topics= (shared by the declaration and
 * by `start consumer` defining a new one). */
static bool define_consumer(Parser *p, const KsToken *nt, const char *name, const Arg *ag,
                            const Arg *at, Args *a, KsLoc loc, bool at_zero, GError **error)
{
    if (!check_client_name(p, nt, name, error))
        return false;
    KsPlanConsumer *c = g_new0(KsPlanConsumer, 1);
    c->name = g_strdup(name);
    c->start_at_zero = at_zero;
    c->loc = loc;
    g_ptr_array_add(p->plan->consumers, c);
    add_client(p, c->name, CLIENT_CONSUMER, loc.line);
    if (!arg_name(p, ag, "a group name", &c->group, error))
        return false;
    if (!use_group(p, scalar(ag), c->group, error))
        return false;
    if (!arg_topics(p, at, &c->topics, error))
        return false;
    const Arg *anode = get(a, "node");
    if (anode && !arg_node(p, anode, &c->node, error))
        return false;
    c->configs = g_steal_pointer(&a->configs);
    return true;
}

static bool decl_consumer(Parser *p, const DeclRow *row, const KsToken *head, Args *a,
                          GError **error)
{
    const Arg *an = a->pos->pdata[0];
    g_autofree char *name = NULL;
    if (!arg_name(p, an, "a consumer name", &name, error))
        return false;
    const Arg *ag = need(p, a, &row->spec, head, "group", error);
    if (!ag)
        return false;
    const Arg *at = need(p, a, &row->spec, head, "topics", error);
    if (!at)
        return false;
    return define_consumer(p, scalar(an), name, ag, at, a, loc_of(head), true, error);
}

static const KeySpec no_keys[] = {{NULL, NULL}};
static const KeySpec cluster_keys[] = {
    {"nodes", "nodes=3"},
    {"brokers-per-node", "brokers-per-node=1"},
    {"zones", "zones=eu-1a,eu-1b,eu-1c"},
    {NULL, NULL},
};
static const KeySpec node_keys[] = {{"zone", "zone=eu-1a"}, {NULL, NULL}};
static const KeySpec broker_keys[] = {{"node", "node=n1"}, {"rack", "rack=eu-1a"}, {NULL, NULL}};
static const KeySpec zookeeper_keys[] = {
    {"node", "node=zk1"},
    {"servers", "servers=3"},
    {NULL, NULL},
};
static const KeySpec topic_keys[] = {
    {"partitions", "partitions=6"},
    {"replication-factor", "replication-factor=3"},
    {"replica-placement-start", "replica-placement-start=0"},
    {NULL, NULL},
};
static const KeySpec producer_keys[] = {
    {"topic", "topic=orders"},
    {"rate", "rate=500/s"},
    {"partitioner", "partitioner=key"},
    {"partition", "partition=0"},
    {"keys", "keys=1000"},
    {"key-prefix", "key-prefix=user-"},
    {"record-size", "record-size=100"},
    {"count", "count=1000"},
    {"node", "node=n1"},
    {NULL, NULL},
};
static const KeySpec flume_keys[] = {
    {"topic", "topic=logs"},          {"rate", "rate=200/s"}, {"capacity", "capacity=100"},
    {"batch-size", "batch-size=100"}, {"node", "node=n1"},    {NULL, NULL},
};
static const KeySpec group_keys[] = {
    {"assignor", "assignor=range"},
    {"protocol", "protocol=eager"},
    {NULL, NULL},
};
static const KeySpec consumer_keys[] = {
    {"group", "group=billing"},
    {"topics", "topics=orders,payments"},
    {"node", "node=n1"},
    {NULL, NULL},
};

static const DeclRow decl_rows[] = {
    {{"seed", "seed N", 1, 1, "a number", "seed 42", no_keys, 0, NULL, false},
     KS_DECL_SEED,
     NULL,
     decl_seed},
    {{"set", "set CONFIG=VALUE ...", 0, 0, NULL, NULL, no_keys, ALL_SCOPES, NULL, false},
     KS_DECL_SET,
     NULL,
     decl_set},
    {{"cluster", "cluster nodes=N [brokers-per-node=M] [zones=A,B,...]", 0, 0, NULL, NULL,
      cluster_keys, 0, NULL, false},
     KS_DECL_CLUSTER,
     NULL,
     decl_cluster},
    {{"node", "node NAME [zone=Z]", 1, 1, "a name", "node n1 zone=eu-1a", node_keys, 0, NULL,
      false},
     KS_DECL_NODE,
     NULL,
     decl_node},
    {{"broker", "broker ID node=NAME [rack=R] [broker configs]", 1, 1, "an id", "broker 1 node=n1",
      broker_keys, KS_SCOPE_BROKER, "a broker", false},
     KS_DECL_BROKER,
     NULL,
     decl_broker},
    {{"zookeeper", "zookeeper [node=NAME] [servers=N]", 0, 0, NULL, NULL, zookeeper_keys, 0, NULL,
      false},
     KS_DECL_ZOOKEEPER,
     "the ZooKeeper ensemble is not modelled yet",
     decl_zookeeper},
    {{"topic",
      "topic NAME [partitions=N] [replication-factor=R] [replica-placement-start=N] [topic "
      "configs]",
      1, 1, "a name", "topic orders partitions=6", topic_keys, KS_SCOPE_TOPIC, "a topic", false},
     KS_DECL_TOPIC,
     NULL,
     decl_topic},
    {{"producer",
      "producer NAME topic=T [rate=R/s] [partitioner=default|key|round-robin|sticky] "
      "[partition=N] [keys=N] [key-prefix=S] [record-size=BYTES] [count=N] [node=NAME] "
      "[producer configs]",
      1, 1, "a name", "producer web topic=orders rate=500/s", producer_keys, KS_SCOPE_PRODUCER,
      "a producer", false},
     KS_DECL_PRODUCER,
     NULL,
     decl_producer},
    {{"flume",
      "flume NAME topic=T rate=R/s [capacity=N] [batch-size=N] [node=NAME] [producer configs]", 1,
      1, "a name", "flume agent1 topic=logs rate=200/s", flume_keys, KS_SCOPE_PRODUCER,
      "a flume agent", false},
     KS_DECL_FLUME,
     "Flume agents are not modelled yet",
     decl_flume},
    {{"group",
      "group NAME [assignor=range|roundrobin|sticky|cooperative-sticky] "
      "[protocol=eager|cooperative]",
      1, 1, "a name", "group billing assignor=range", group_keys, 0, NULL, false},
     KS_DECL_GROUP,
     WHY_CONSUMERS,
     decl_group},
    {{"consumer", "consumer NAME group=G topics=T1,T2,... [node=NAME] [consumer configs]", 1, 1,
      "a name", "consumer c1 group=billing topics=orders", consumer_keys, KS_SCOPE_CONSUMER,
      "a consumer", false},
     KS_DECL_CONSUMER,
     WHY_CONSUMERS,
     decl_consumer},
};

/* ------------------------------------------------------------------------ */
/* Expect conditions                                                          */

typedef struct CondRow CondRow;
typedef bool (*CondFn)(Parser *p, const CondRow *row, KsPlanExpect *e, GError **error);

struct CondRow {
    const char *name;
    const char *usage;
    KsExpectKind kind;
    KsStatKind stat; /* KS_EXPECT_STAT rows */
    const char *why;
    CondFn handle;
};

static bool cond_fail(Parser *p, const CondRow *row, GError **error)
{
    const KsToken *t = cur(p);
    g_autofree char *s = tok_show(t);
    if (t->kind == KS_TOK_EOL)
        return fail(p, t, SYNTAX, error, "the condition is incomplete; usage: expect %s",
                    row->usage);
    return fail(p, t, SYNTAX, error, "unexpected '%s'; usage: expect %s", s, row->usage);
}

static bool want_op(Parser *p, const CondRow *row, bool eq_only, KsCmp *out, GError **error)
{
    const KsToken *t = cur(p);
    if (t->kind == KS_TOK_EQUALS)
        return fail(p, t, SYNTAX, error, "write '==' to compare, not '='; usage: expect %s",
                    row->usage);
    if (t->kind != KS_TOK_OP)
        return cond_fail(p, row, error);
    if (eq_only && t->cmp != KS_CMP_EQ && t->cmp != KS_CMP_NE) {
        g_autofree char *s = tok_show(t);
        return fail(p, t, SYNTAX, error, "%s compares with == or !=, not %s", row->name, s);
    }
    *out = t->cmp;
    advance(p);
    return true;
}

static bool want_count(Parser *p, const CondRow *row, int64_t *out, GError **error)
{
    const KsToken *t = cur(p);
    if (t->kind != KS_TOK_INT)
        return cond_fail(p, row, error);
    if (t->value < 0)
        return fail(p, t, VALUE, error, "%" PRId64 " is out of range: it must be at least 0",
                    t->value);
    *out = t->value;
    advance(p);
    return true;
}

static bool want_partition(Parser *p, const CondRow *row, KsPlanPartition *out, GError **error)
{
    const KsToken *t = cur(p);
    if (!tok_is_name(t))
        return cond_fail(p, row, error);
    if (!tok_partition(p, t, out, error))
        return false;
    advance(p);
    return true;
}

static bool want_group(Parser *p, const CondRow *row, char **out, GError **error)
{
    const KsToken *t = cur(p);
    if (!tok_is_name(t))
        return cond_fail(p, row, error);
    g_autofree char *name = tok_text(t);
    if (!find_group(p, t, name, error))
        return false;
    *out = g_steal_pointer(&name);
    advance(p);
    return true;
}

/* A broker id, or `none`. */
static bool want_broker_or_none(Parser *p, const CondRow *row, int64_t *out, GError **error)
{
    const KsToken *t = cur(p);
    if (tok_is(t, "none")) {
        *out = KS_NO_BROKER;
        advance(p);
        return true;
    }
    if (t->kind != KS_TOK_INT)
        return cond_fail(p, row, error);
    KsBrokerId id;
    g_autofree char *example = g_strdup_printf("expect %s", row->usage);
    if (!tok_broker(p, t, example, &id, error))
        return false;
    *out = id;
    advance(p);
    return true;
}

static bool cond_leader(Parser *p, const CondRow *row, KsPlanExpect *e, GError **error)
{
    return want_partition(p, row, &e->partition, error) && want_op(p, row, true, &e->cmp, error) &&
           want_broker_or_none(p, row, &e->number, error);
}

static bool cond_broker_set(Parser *p, const CondRow *row, KsPlanExpect *e, GError **error)
{
    if (!want_partition(p, row, &e->partition, error) || !want_op(p, row, true, &e->cmp, error))
        return false;
    if (cur(p)->kind != KS_TOK_LBRACE)
        return cond_fail(p, row, error);
    Arg *a = parse_value(p, NULL, error);
    if (!a)
        return false;
    a->example = "{1,3}";
    bool ok = arg_broker_set(p, a, true, true, &e->set_ids, error);
    arg_free(a);
    return ok;
}

static bool cond_offset(Parser *p, const CondRow *row, KsPlanExpect *e, GError **error)
{
    return want_partition(p, row, &e->partition, error) && want_op(p, row, false, &e->cmp, error) &&
           want_count(p, row, &e->number, error);
}

static bool cond_alive(Parser *p, const CondRow *row, KsPlanExpect *e, GError **error)
{
    if (!tok_is(cur(p), "broker"))
        return cond_fail(p, row, error);
    advance(p);
    const KsToken *t = cur(p);
    if (t->kind != KS_TOK_INT)
        return cond_fail(p, row, error);
    if (!tok_broker(p, t, "expect alive broker 1", &e->broker, error))
        return false;
    advance(p);
    e->cmp = KS_CMP_EQ;
    e->number = 1;
    if (cur(p)->kind == KS_TOK_EOL)
        return true;
    if (!want_op(p, row, true, &e->cmp, error))
        return false;
    if (tok_is(cur(p), "true"))
        e->number = 1;
    else if (tok_is(cur(p), "false"))
        e->number = 0;
    else
        return cond_fail(p, row, error);
    advance(p);
    return true;
}

static bool cond_controller(Parser *p, const CondRow *row, KsPlanExpect *e, GError **error)
{
    return want_op(p, row, true, &e->cmp, error) && want_broker_or_none(p, row, &e->number, error);
}

static bool cond_lag(Parser *p, const CondRow *row, KsPlanExpect *e, GError **error)
{
    return want_group(p, row, &e->name, error) && want_op(p, row, false, &e->cmp, error) &&
           want_count(p, row, &e->number, error);
}

static bool cond_committed(Parser *p, const CondRow *row, KsPlanExpect *e, GError **error)
{
    return want_group(p, row, &e->name, error) && want_partition(p, row, &e->partition, error) &&
           want_op(p, row, false, &e->cmp, error) && want_count(p, row, &e->number, error);
}

static const char *const group_states[] = {
    "Empty", "PreparingRebalance", "CompletingRebalance", "Stable", "Dead", NULL};

static bool cond_group_state(Parser *p, const CondRow *row, KsPlanExpect *e, GError **error)
{
    if (!want_group(p, row, &e->name, error) || !want_op(p, row, true, &e->cmp, error))
        return false;
    const KsToken *t = cur(p);
    if (t->kind != KS_TOK_WORD)
        return cond_fail(p, row, error);
    g_autoptr(GPtrArray) names = g_ptr_array_new();
    for (int i = 0; group_states[i]; i++) {
        if (tok_is(t, group_states[i])) {
            e->word = g_strdup(group_states[i]);
            advance(p);
            return true;
        }
        g_ptr_array_add(names, (gpointer)group_states[i]);
    }
    g_autofree char *word = tok_text(t);
    const char *s = suggest(word, names);
    if (s)
        return fail(p, t, VALUE, error, "unknown group state '%s'; did you mean '%s'?", word, s);
    g_autofree char *list = join_strs(names, 10);
    return fail(p, t, VALUE, error, "unknown group state '%s'; Kafka's states are %s", word, list);
}

static gint cmp_str_ptr(gconstpointer a, gconstpointer b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

static bool cond_assignment(Parser *p, const CondRow *row, KsPlanExpect *e, GError **error)
{
    const KsToken *t = cur(p);
    if (!tok_is_name(t))
        return cond_fail(p, row, error);
    e->name = tok_text(t);
    if (!find_consumer(p, t, e->name, error))
        return false;
    advance(p);
    if (!want_op(p, row, true, &e->cmp, error))
        return false;
    if (cur(p)->kind != KS_TOK_LBRACE)
        return cond_fail(p, row, error);
    Arg *a = parse_value(p, NULL, error);
    if (!a)
        return false;
    e->set_names = g_ptr_array_new_with_free_func(g_free);
    bool ok = true;
    for (guint i = 0; ok && i < a->items->len; i++) {
        const KsToken *it = a->items->pdata[i];
        KsPlanPartition part = {0};
        ok = tok_partition(p, it, &part, error);
        if (!ok)
            break;
        char *name = g_strdup_printf("%s-%d", part.topic, part.partition);
        g_free(part.topic);
        for (guint j = 0; j < e->set_names->len; j++)
            if (strcmp(e->set_names->pdata[j], name) == 0) {
                ok = fail(p, it, VALUE, error, "partition %s is listed twice", name);
                break;
            }
        g_ptr_array_add(e->set_names, name);
    }
    arg_free(a);
    if (ok)
        g_ptr_array_sort(e->set_names, cmp_str_ptr);
    return ok;
}

static bool cond_none(Parser *p, const CondRow *row, KsPlanExpect *e, GError **error)
{
    return true;
}

static bool cond_stat(Parser *p, const CondRow *row, KsPlanExpect *e, GError **error)
{
    e->stat = row->stat;
    if (!want_op(p, row, false, &e->cmp, error))
        return false;
    const KsToken *t = cur(p);
    if (row->stat == KS_STAT_UNAVAILABLE_US && t->kind == KS_TOK_DURATION) {
        e->number = t->value;
        advance(p);
        return true;
    }
    return want_count(p, row, &e->number, error);
}

#define STAT_ROW(n, s, w)                                                                          \
    {                                                                                              \
        n, n " OP N", KS_EXPECT_STAT, s, w, cond_stat                                              \
    }

static const CondRow cond_rows[] = {
    {"leader", "leader PARTITION ==|!= BROKER|none", KS_EXPECT_LEADER, 0, NULL, cond_leader},
    {"isr", "isr PARTITION ==|!= {BROKER,...}", KS_EXPECT_ISR, 0,
     "the simulator does not track the ISR yet", cond_broker_set},
    {"replicas", "replicas PARTITION ==|!= {BROKER,...}", KS_EXPECT_REPLICAS, 0, NULL,
     cond_broker_set},
    {"leader-epoch", "leader-epoch PARTITION OP N", KS_EXPECT_LEADER_EPOCH, 0, NULL, cond_offset},
    {"log-end-offset", "log-end-offset PARTITION OP N", KS_EXPECT_LOG_END_OFFSET, 0, NULL,
     cond_offset},
    {"high-watermark", "high-watermark PARTITION OP N", KS_EXPECT_HIGH_WATERMARK, 0,
     "the simulator does not track the high watermark yet", cond_offset},
    {"alive", "alive broker ID [==|!= true|false]", KS_EXPECT_ALIVE, 0, NULL, cond_alive},
    {"controller", "controller ==|!= BROKER|none", KS_EXPECT_CONTROLLER, 0,
     "the controller is not modelled yet", cond_controller},
    {"lag", "lag GROUP OP N", KS_EXPECT_LAG, 0, WHY_CONSUMERS, cond_lag},
    {"committed", "committed GROUP PARTITION OP N", KS_EXPECT_COMMITTED, 0, WHY_CONSUMERS,
     cond_committed},
    {"group-state",
     "group-state GROUP ==|!= Empty|PreparingRebalance|CompletingRebalance|Stable|Dead",
     KS_EXPECT_GROUP_STATE, 0, WHY_CONSUMERS, cond_group_state},
    {"assignment", "assignment CONSUMER ==|!= {PARTITION,...}", KS_EXPECT_ASSIGNMENT, 0,
     WHY_CONSUMERS, cond_assignment},
    {"no-acked-data-loss", "no-acked-data-loss", KS_EXPECT_NO_ACKED_DATA_LOSS, 0,
     "the ledger does not track lost records yet", cond_none},
    {"no-duplicates", "no-duplicates", KS_EXPECT_NO_DUPLICATES, 0, WHY_CONSUMERS, cond_none},
    STAT_ROW("records-produced", KS_STAT_RECORDS_PRODUCED, NULL),
    STAT_ROW("records-acked", KS_STAT_RECORDS_ACKED, NULL),
    STAT_ROW("records-refused", KS_STAT_RECORDS_REFUSED, NULL),
    STAT_ROW("records-lost", KS_STAT_RECORDS_LOST, "the ledger does not track lost records yet"),
    STAT_ROW("records-consumed", KS_STAT_RECORDS_CONSUMED, WHY_CONSUMERS),
    STAT_ROW("records-duplicated", KS_STAT_RECORDS_DUPLICATED, WHY_CONSUMERS),
    STAT_ROW("leader-elections", KS_STAT_LEADER_ELECTIONS, NULL),
    STAT_ROW("rebalances", KS_STAT_REBALANCES, WHY_CONSUMERS),
    STAT_ROW("unavailable-us", KS_STAT_UNAVAILABLE_US, NULL),
};

/* Parses the condition at the cursor up to the end of the line. */
static KsPlanExpect *parse_condition(Parser *p, const KsToken *expect_tok, const CondRow **out_row,
                                     const KsToken **out_tok, GError **error)
{
    const KsToken *t = cur(p);
    if (t->kind == KS_TOK_EOL) {
        fail(p, expect_tok, SYNTAX, error,
             "expect needs a condition, e.g. expect leader orders-0 == 1");
        return NULL;
    }
    const CondRow *row = NULL;
    for (size_t i = 0; i < G_N_ELEMENTS(cond_rows); i++)
        if (tok_is(t, cond_rows[i].name))
            row = &cond_rows[i];
    if (!row) {
        g_autoptr(GPtrArray) names = g_ptr_array_new();
        for (size_t i = 0; i < G_N_ELEMENTS(cond_rows); i++)
            g_ptr_array_add(names, (gpointer)cond_rows[i].name);
        g_autofree char *word = tok_show(t);
        const char *s = t->kind == KS_TOK_WORD ? suggest(word, names) : NULL;
        if (s)
            fail(p, t, SYNTAX, error, "unknown condition '%s'; did you mean '%s'?", word, s);
        else {
            g_autofree char *list = join_strs(names, 100);
            fail(p, t, SYNTAX, error, "unknown condition '%s'; conditions are %s", word, list);
        }
        return NULL;
    }
    KsPlanExpect *e = g_new0(KsPlanExpect, 1);
    e->kind = row->kind;
    e->partition.partition = -1;
    e->broker = KS_NO_BROKER;
    e->loc = loc_of(t);
    advance(p);
    if (!row->handle(p, row, e, error)) {
        ks_plan_expect_free(e);
        return NULL;
    }
    if (cur(p)->kind != KS_TOK_EOL) {
        g_autofree char *s = tok_show(cur(p));
        fail(p, cur(p), SYNTAX, error, "unexpected '%s' after the condition; usage: expect %s", s,
             row->usage);
        ks_plan_expect_free(e);
        return NULL;
    }
    /* The condition as written: from its first token to its last. */
    const KsToken *last = &p->toks[p->pos - 1];
    e->text = g_strndup(t->src, (size_t)(last->src + last->len - t->src));
    *out_row = row;
    *out_tok = t;
    return e;
}

static bool check_cond_support(Parser *p, const CondRow *row, const KsToken *t, GError **error)
{
    if (p->allow_unsupported)
        return true;
    if (!ks_support_expect(row->kind) ||
        (row->kind == KS_EXPECT_STAT && !ks_support_stat(row->stat))) {
        g_autofree char *what = g_strdup_printf("expect %s", row->name);
        return unsupported(p, t, what, row->why, error);
    }
    return true;
}

/* ------------------------------------------------------------------------ */
/* Actions                                                                    */

typedef struct ActionRow ActionRow;
typedef bool (*ActionFn)(Parser *p, const ActionRow *row, const KsToken *head, Args *a,
                         KsPlanAction *act, GError **error);

struct ActionRow {
    LineSpec spec; /* spec.name is the full name: "crash broker" */
    const char *verb;
    const char *object; /* NULL: a one-word action */
    KsActionKind kind;
    bool once; /* may not be used with `every` */
    const char *why;
    ActionFn handle;
};

static bool act_broker(Parser *p, const ActionRow *row, const KsToken *head, Args *a,
                       KsPlanAction *act, GError **error)
{
    const Arg *ai = a->pos->pdata[0];
    if (!want_scalar(p, ai, "a broker id", error))
        return false;
    return tok_broker(p, scalar(ai), ai->example, &act->broker, error);
}

static bool act_add_broker(Parser *p, const ActionRow *row, const KsToken *head, Args *a,
                           KsPlanAction *act, GError **error)
{
    const Arg *ai = a->pos->pdata[0];
    int64_t id;
    if (!arg_int(p, ai, 0, INT32_MAX, &id, error))
        return false;
    const Arg *an = need(p, a, &row->spec, head, "node", error);
    if (!an || !arg_node(p, an, &act->node, error))
        return false;
    const Arg *ar = get(a, "rack");
    if (ar && !arg_name(p, ar, "a rack name", &act->rack, error))
        return false;
    if (!add_broker(p, scalar(ai), id, error))
        return false;
    BrokerInfo *b = g_hash_table_lookup(p->brokers, GINT_TO_POINTER((int)id));
    b->added_at = p->now;
    KsBrokerId bid = (KsBrokerId)id;
    g_array_append_val(p->added, bid);
    act->broker = bid;
    act->configs = g_steal_pointer(&a->configs);
    return true;
}

static bool act_node(Parser *p, const ActionRow *row, const KsToken *head, Args *a,
                     KsPlanAction *act, GError **error)
{
    return arg_node(p, a->pos->pdata[0], &act->name, error);
}

static bool act_start_consumer(Parser *p, const ActionRow *row, const KsToken *head, Args *a,
                               KsPlanAction *act, GError **error)
{
    const Arg *an = a->pos->pdata[0];
    if (!arg_name(p, an, "a consumer name", &act->name, error))
        return false;
    const Arg *ag = get(a, "group"), *at = get(a, "topics");
    ClientInfo *c = g_hash_table_lookup(p->clients, act->name);
    if (!c && ag && at)
        return define_consumer(p, scalar(an), act->name, ag, at, a, loc_of(head), false, error);
    if (!c || c->kind != CLIENT_CONSUMER) {
        if (c)
            return find_consumer(p, scalar(an), act->name, error);
        return fail(p, scalar(an), REFERENCE, error,
                    "consumer '%s' is not declared; declare it above, or give both group= and "
                    "topics= to start a new one",
                    act->name);
    }
    if (ag) {
        if (!arg_name(p, ag, "a group name", &act->group, error))
            return false;
        if (!use_group(p, scalar(ag), act->group, error))
            return false;
    }
    if (at && !arg_topics(p, at, &act->topics, error))
        return false;
    if (get(a, "node"))
        return fail(
            p, get(a, "node")->key, VALUE, error,
            "node= is part of a consumer's declaration; a declared consumer keeps its node");
    if (!ks_config_set_is_empty(a->configs))
        act->configs = g_steal_pointer(&a->configs);
    return true;
}

static bool act_consumer(Parser *p, const ActionRow *row, const KsToken *head, Args *a,
                         KsPlanAction *act, GError **error)
{
    const Arg *an = a->pos->pdata[0];
    if (!arg_name(p, an, "a consumer name", &act->name, error))
        return false;
    return find_consumer(p, scalar(an), act->name, error);
}

static bool act_producer(Parser *p, const ActionRow *row, const KsToken *head, Args *a,
                         KsPlanAction *act, GError **error)
{
    const Arg *an = a->pos->pdata[0];
    if (!arg_name(p, an, "a producer name", &act->name, error))
        return false;
    return find_producer(p, scalar(an), act->name, error);
}

static bool act_produce(Parser *p, const ActionRow *row, const KsToken *head, Args *a,
                        KsPlanAction *act, GError **error)
{
    act->count = 1;
    act->partition = -1;
    const Arg *apr = get(a, "producer");
    const KsPlanProducer *pr = NULL;
    if (apr) {
        if (!arg_name(p, apr, "a producer name", &act->producer, error))
            return false;
        if (!find_producer(p, scalar(apr), act->producer, error))
            return false;
        pr = ks_plan_find_producer(p->plan, act->producer);
    }
    const Arg *at = get(a, "topic");
    KsPlanTopic *topic = NULL;
    if (at) {
        topic = arg_topic(p, at, error);
        if (!topic)
            return false;
        /* The model sends with the producer, to the producer's topic. */
        if (pr && strcmp(topic->name, pr->topic) != 0)
            return fail(p, scalar(at), VALUE, error,
                        "producer '%s' writes to '%s'; 'produce producer=%s' cannot send to '%s' "
                        "(leave out topic=, or leave out producer= to send with the `set` configs)",
                        pr->name, pr->topic, pr->name, topic->name);
    } else if (pr) {
        /* A producer's own topic is the natural default. */
        topic = g_hash_table_lookup(p->topics, pr->topic);
    } else {
        return fail(p, head, SYNTAX, error, "produce needs topic=, e.g. topic=orders; usage: %s",
                    row->spec.usage);
    }
    act->topic = g_strdup(topic->name);
    const Arg *ak = get(a, "key");
    if (ak && !arg_text(p, ak, "a key (a name or a quoted string)", &act->key, error))
        return false;
    const Arg *ap = get(a, "partition");
    if (ap) {
        int64_t part;
        if (!arg_int(p, ap, 0, INT32_MAX, &part, error))
            return false;
        if (part >= topic->partitions) {
            g_autofree char *number = g_strdup_printf("%" PRId64, part);
            return no_such_partition(p, ap->first->line, ap->first->col, topic, number, error);
        }
        act->partition = (int32_t)part;
    }
    const Arg *ac = get(a, "count");
    if (ac && !arg_int(p, ac, 1, MAX_COUNT, &act->count, error))
        return false;
    return pr || check_console_producer(p, head, error);
}

static bool act_say(Parser *p, const ActionRow *row, const KsToken *head, Args *a,
                    KsPlanAction *act, GError **error)
{
    const Arg *as = a->pos->pdata[0];
    if (as->is_list || as->is_set || scalar(as)->kind != KS_TOK_STRING)
        return fail(p, as->first, SYNTAX, error,
                    "say takes one quoted string, e.g. say \"broker 2 is back\"");
    act->text = g_strdup(scalar(as)->str);
    return true;
}

static bool act_snapshot(Parser *p, const ActionRow *row, const KsToken *head, Args *a,
                         KsPlanAction *act, GError **error)
{
    if (a->pos->len == 0)
        return true;
    return arg_name(p, a->pos->pdata[0], "a snapshot name", &act->name, error);
}

static bool act_partition_network(Parser *p, const ActionRow *row, const KsToken *head, Args *a,
                                  KsPlanAction *act, GError **error)
{
    act->side_a = g_ptr_array_new_with_free_func(g_free);
    act->side_b = g_ptr_array_new_with_free_func(g_free);
    GPtrArray *side = act->side_a;
    const Arg *pipe = NULL;
    for (guint i = 0; i < a->pos->len; i++) {
        const Arg *arg = a->pos->pdata[i];
        if (arg->is_pipe) {
            if (pipe)
                return fail(p, arg->first, SYNTAX, error,
                            "partition-network splits the nodes in two: use one '|'");
            pipe = arg;
            side = act->side_b;
            continue;
        }
        if (arg->is_set)
            return fail(p, arg->first, SYNTAX, error,
                        "write the nodes without braces: partition-network n1,n2 | n3");
        for (guint j = 0; j < arg->items->len; j++) {
            const KsToken *t = arg->items->pdata[j];
            if (!tok_is_name(t)) {
                g_autofree char *s = tok_show(t);
                return fail(p, t, VALUE, error, "'%s': expected a node name, e.g. %s", s,
                            row->spec.pos_example);
            }
            g_autofree char *name = tok_text(t);
            if (!find_node(p, t, name, error))
                return false;
            for (guint k = 0; k < act->side_a->len; k++)
                if (strcmp(act->side_a->pdata[k], name) == 0)
                    return fail(p, t, VALUE, error,
                                side == act->side_a ? "node '%s' is listed twice"
                                                    : "node '%s' is on both sides of '|'",
                                name);
            for (guint k = 0; k < act->side_b->len; k++)
                if (strcmp(act->side_b->pdata[k], name) == 0)
                    return fail(p, t, VALUE, error, "node '%s' is listed twice", name);
            g_ptr_array_add(side, g_steal_pointer(&name));
        }
    }
    if (!pipe || act->side_a->len == 0 || act->side_b->len == 0)
        return fail(p, pipe ? pipe->first : head, SYNTAX, error,
                    "partition-network needs nodes on both sides of '|', e.g. %s",
                    row->spec.pos_example);
    return true;
}

static bool act_none(Parser *p, const ActionRow *row, const KsToken *head, Args *a,
                     KsPlanAction *act, GError **error)
{
    return true;
}

static bool act_elect_preferred(Parser *p, const ActionRow *row, const KsToken *head, Args *a,
                                KsPlanAction *act, GError **error)
{
    act->target.partition = -1;
    if (a->pos->len == 0)
        return true;
    const Arg *at = a->pos->pdata[0];
    if (!want_scalar(p, at, "a topic or a partition", error))
        return false;
    const KsToken *t = scalar(at);
    g_autofree char *name = tok_is_name(t) ? tok_text(t) : NULL;
    /* A declared topic wins over a partition of the same spelling. */
    if (name && g_hash_table_contains(p->topics, name)) {
        act->target.topic = g_steal_pointer(&name);
        return true;
    }
    return tok_partition(p, t, &act->target, error);
}

static bool act_reassign(Parser *p, const ActionRow *row, const KsToken *head, Args *a,
                         KsPlanAction *act, GError **error)
{
    const Arg *at = a->pos->pdata[0];
    if (!want_scalar(p, at, "a partition", error))
        return false;
    if (!tok_partition(p, scalar(at), &act->target, error))
        return false;
    const Arg *ar = need(p, a, &row->spec, head, "replicas", error);
    if (!ar)
        return false;
    return arg_broker_set(p, ar, false, false, &act->replicas, error);
}

static bool act_set(Parser *p, const ActionRow *row, const KsToken *head, Args *a,
                    KsPlanAction *act, GError **error)
{
    if (a->uses->len == 0)
        return fail(p, head, SYNTAX, error, "set needs at least one config; usage: %s",
                    row->spec.usage);
    act->configs = g_steal_pointer(&a->configs);
    return true;
}

static const KeySpec add_broker_keys[] = {
    {"node", "node=n4"}, {"rack", "rack=eu-1a"}, {NULL, NULL}};
static const KeySpec start_consumer_keys[] = {
    {"group", "group=billing"},
    {"topics", "topics=orders"},
    {"node", "node=n1"},
    {NULL, NULL},
};
static const KeySpec produce_keys[] = {
    {"topic", "topic=orders"}, {"key", "key=user-7"},        {"partition", "partition=0"},
    {"count", "count=10"},     {"producer", "producer=web"}, {NULL, NULL},
};
static const KeySpec reassign_keys[] = {{"replicas", "replicas={1,2,3}"}, {NULL, NULL}};

#define ACT(verb, obj, full, usage, minp, maxp, what, ex, keys, scopes, entity, pipe, kind, once,  \
            why, fn)                                                                               \
    {                                                                                              \
        {full, usage, minp, maxp, what, ex, keys, scopes, entity, pipe}, verb, obj, kind, once,    \
            why, fn                                                                                \
    }

static const ActionRow action_rows[] = {
    ACT("crash", "broker", "crash broker", "crash broker ID", 1, 1, "a broker id", "crash broker 2",
        no_keys, 0, NULL, false, KS_ACTION_CRASH_BROKER, false, NULL, act_broker),
    ACT("restart", "broker", "restart broker", "restart broker ID", 1, 1, "a broker id",
        "restart broker 2", no_keys, 0, NULL, false, KS_ACTION_RESTART_BROKER, false, NULL,
        act_broker),
    ACT("stop", "broker", "stop broker", "stop broker ID", 1, 1, "a broker id", "stop broker 2",
        no_keys, 0, NULL, false, KS_ACTION_STOP_BROKER, false,
        "controlled shutdown is not modelled yet", act_broker),
    ACT("add", "broker", "add broker", "add broker ID node=NAME [rack=R] [broker configs]", 1, 1,
        "a new broker id", "add broker 4 node=n4", add_broker_keys, KS_SCOPE_BROKER, "a broker",
        false, KS_ACTION_ADD_BROKER, true, "adding brokers at run time is not modelled yet",
        act_add_broker),
    ACT("crash", "node", "crash node", "crash node NAME", 1, 1, "a node name", "crash node n2",
        no_keys, 0, NULL, false, KS_ACTION_CRASH_NODE, false, NULL, act_node),
    ACT("restart", "node", "restart node", "restart node NAME", 1, 1, "a node name",
        "restart node n2", no_keys, 0, NULL, false, KS_ACTION_RESTART_NODE, false, NULL, act_node),
    ACT("start", "consumer", "start consumer",
        "start consumer NAME [group=G topics=T,...] [consumer configs]", 1, 1, "a consumer name",
        "start consumer c2 group=billing topics=orders", start_consumer_keys, KS_SCOPE_CONSUMER,
        "a consumer", false, KS_ACTION_START_CONSUMER, false, WHY_CONSUMERS, act_start_consumer),
    ACT("stop", "consumer", "stop consumer", "stop consumer NAME", 1, 1, "a consumer name",
        "stop consumer c1", no_keys, 0, NULL, false, KS_ACTION_STOP_CONSUMER, false, WHY_CONSUMERS,
        act_consumer),
    ACT("crash", "consumer", "crash consumer", "crash consumer NAME", 1, 1, "a consumer name",
        "crash consumer c2", no_keys, 0, NULL, false, KS_ACTION_CRASH_CONSUMER, false,
        WHY_CONSUMERS, act_consumer),
    ACT("start", "producer", "start producer", "start producer NAME", 1, 1, "a producer name",
        "start producer web", no_keys, 0, NULL, false, KS_ACTION_START_PRODUCER, false, NULL,
        act_producer),
    ACT("stop", "producer", "stop producer", "stop producer NAME", 1, 1, "a producer name",
        "stop producer web", no_keys, 0, NULL, false, KS_ACTION_STOP_PRODUCER, false, NULL,
        act_producer),
    ACT("produce", NULL, "produce",
        "produce topic=T [key=K] [partition=N] [count=N] [producer=NAME]", 0, 0, NULL, NULL,
        produce_keys, 0, NULL, false, KS_ACTION_PRODUCE, false, NULL, act_produce),
    ACT("say", NULL, "say", "say \"TEXT\"", 1, 1, "a quoted text", "say \"hello\"", no_keys, 0,
        NULL, false, KS_ACTION_SAY, false, NULL, act_say),
    ACT("snapshot", NULL, "snapshot", "snapshot [NAME]", 0, 1, NULL, "snapshot after-failover",
        no_keys, 0, NULL, false, KS_ACTION_SNAPSHOT, false, NULL, act_snapshot),
    ACT("partition-network", NULL, "partition-network", "partition-network NODE,... | NODE,...", 0,
        G_MAXINT, NULL, "partition-network n1 | n2,n3", no_keys, 0, NULL, true,
        KS_ACTION_PARTITION_NETWORK, false, "network partitions are not modelled yet",
        act_partition_network),
    ACT("heal-network", NULL, "heal-network", "heal-network", 0, 0, NULL, NULL, no_keys, 0, NULL,
        false, KS_ACTION_HEAL_NETWORK, false, "network partitions are not modelled yet", act_none),
    ACT("elect-preferred", NULL, "elect-preferred", "elect-preferred [TOPIC | PARTITION]", 0, 1,
        NULL, "elect-preferred orders-0", no_keys, 0, NULL, false, KS_ACTION_ELECT_PREFERRED, false,
        "preferred-leader election is not modelled yet", act_elect_preferred),
    ACT("reassign", NULL, "reassign", "reassign PARTITION replicas={BROKER,...}", 1, 1,
        "a partition", "reassign orders-0 replicas={1,2,3}", reassign_keys, 0, NULL, false,
        KS_ACTION_REASSIGN, false, "partition reassignment is not modelled yet", act_reassign),
    ACT("set", NULL, "set", "set CONFIG=VALUE ...", 0, 0, NULL, NULL, no_keys, ALL_SCOPES,
        "anything", false, KS_ACTION_SET_CONFIG, false,
        "changing configs at run time is not modelled yet", act_set),
    ACT("expect", NULL, "expect", "expect CONDITION", 0, 0, NULL, NULL, no_keys, 0, NULL, false,
        KS_ACTION_EXPECT, false, NULL, NULL),
};

static const ActionRow *find_action(Parser *p, GError **error)
{
    const KsToken *verb = cur(p);
    const KsToken *object = &p->toks[MIN(p->pos + 1, p->n - 1)];
    bool verb_known = false;
    g_autoptr(GPtrArray) objects = g_ptr_array_new();
    for (size_t i = 0; i < G_N_ELEMENTS(action_rows); i++) {
        const ActionRow *r = &action_rows[i];
        if (!tok_is(verb, r->verb))
            continue;
        verb_known = true;
        if (!r->object)
            return r;
        if (tok_is(object, r->object))
            return r;
        g_ptr_array_add(objects, (gpointer)r->object);
    }
    if (verb_known) {
        g_autofree char *list = join_or(objects);
        g_autofree char *v = tok_text(verb);
        g_autofree char *o = tok_show(object);
        g_autofree char *word = tok_text(object);
        g_autofree char *dym =
            object->kind == KS_TOK_WORD ? did_you_mean(word, objects) : g_strdup("");
        if (object->kind == KS_TOK_EOL)
            fail(p, verb, SYNTAX, error, "'%s' needs what to %s: %s", v, v, list);
        else
            fail(p, object, SYNTAX, error, "cannot %s '%s'%s; '%s' takes %s", v, o, dym, v, list);
        return NULL;
    }
    g_autoptr(GPtrArray) names = g_ptr_array_new();
    for (size_t i = 0; i < G_N_ELEMENTS(action_rows); i++) {
        bool dup = false;
        for (guint j = 0; j < names->len; j++)
            dup |= strcmp(names->pdata[j], action_rows[i].verb) == 0;
        if (!dup)
            g_ptr_array_add(names, (gpointer)action_rows[i].verb);
    }
    g_autofree char *word = tok_show(verb);
    const char *s = verb->kind == KS_TOK_WORD ? suggest(word, names) : NULL;
    if (verb->kind == KS_TOK_EOL)
        fail(p, verb, SYNTAX, error, "expected an action, e.g. crash broker 2");
    else if (s)
        fail(p, verb, SYNTAX, error, "unknown action '%s'; did you mean '%s'?", word, s);
    else {
        g_autofree char *list = join_strs(names, 100);
        fail(p, verb, SYNTAX, error, "unknown action '%s'; actions are %s", word, list);
    }
    return NULL;
}

/* Parses the action at the cursor, to run first at @at and then every
 * @every (0: once). */
static bool parse_action(Parser *p, KsTime at, KsTime every, GError **error)
{
    const ActionRow *row = find_action(p, error);
    if (!row)
        return false;
    const KsToken *head = cur(p);
    advance(p);
    if (row->object)
        advance(p);
    if (every && row->once)
        return fail(p, head, VALUE, error, "'%s' happens once; it cannot be used with every",
                    row->spec.name);
    if (p->plan->actions->len >= MAX_ACTIONS)
        return fail(p, head, VALUE, error, "too many actions (at most %d)", MAX_ACTIONS);
    p->now = at;
    KsPlanAction *act = g_new0(KsPlanAction, 1);
    act->kind = row->kind;
    act->at = at;
    act->every = every;
    act->broker = KS_NO_BROKER;
    act->partition = -1;
    act->target.partition = -1;
    act->loc = loc_of(head);
    g_ptr_array_add(p->plan->actions, act);

    if (row->kind == KS_ACTION_EXPECT) {
        const CondRow *cond = NULL;
        const KsToken *ct = NULL;
        act->expect = parse_condition(p, head, &cond, &ct, error);
        if (!act->expect)
            return false;
        if (!p->allow_unsupported && !ks_support_action(row->kind))
            return unsupported(p, head, row->spec.name, row->why, error);
        return check_cond_support(p, cond, ct, error);
    }
    g_autoptr(Args) a = collect_args(p, &row->spec, head, error);
    if (!a)
        return false;
    if (!row->handle(p, row, head, a, act, error))
        return false;
    if (!p->allow_unsupported && !ks_support_action(row->kind))
        return unsupported(p, head, row->spec.name, row->why, error);
    return check_config_support(p, a, error);
}

/* ------------------------------------------------------------------------ */
/* Lines                                                                      */

/* Once the declarations are over: defaults resolved, counts checked. */
static bool finish_declarations(Parser *p, int line, GError **error)
{
    if (p->decls_done)
        return true;
    p->decls_done = true;
    p->timeline_line = line;
    KsPlan *plan = p->plan;
    int n_brokers = (int)plan->brokers->len;
    if (n_brokers == 0)
        return fail_at(p, 1, 1, VALUE, error,
                       "no brokers: add `cluster nodes=3 brokers-per-node=1` or broker lines");
    int64_t total = 0;
    for (guint i = 0; i < plan->topics->len; i++) {
        KsPlanTopic *t = plan->topics->pdata[i];
        const TopicAux *aux = &g_array_index(p->topic_aux, TopicAux, i);
        if (t->partitions < 0)
            t->partitions = (int32_t)ks_config_resolve(KS_CFG_NUM_PARTITIONS, NULL, plan->defaults);
        if (t->replication_factor < 0)
            t->replication_factor =
                (int32_t)ks_config_resolve(KS_CFG_DEFAULT_REPLICATION_FACTOR, NULL, plan->defaults);
        if (t->replication_factor > n_brokers)
            return fail_at(p, aux->rf_loc.line, aux->rf_loc.col, VALUE, error,
                           "Replication factor: %d larger than available brokers: %d.",
                           t->replication_factor, n_brokers);
        if (t->placement_start >= n_brokers)
            return fail_at(p, aux->start_loc.line, aux->start_loc.col, VALUE, error,
                           "replica-placement-start=%d is out of range: with %d broker%s it must "
                           "be between 0 and %d",
                           t->placement_start, n_brokers, n_brokers == 1 ? "" : "s", n_brokers - 1);
        total += t->partitions;
        if (total > MAX_TOTAL_PARTITIONS)
            return fail_at(p, t->loc.line, t->loc.col, VALUE, error,
                           "too many partitions: the topics have more than %d together",
                           MAX_TOTAL_PARTITIONS);
    }
    for (guint i = 0; i < plan->producers->len; i++) {
        const KsPlanProducer *pr = plan->producers->pdata[i];
        const KsLoc *loc = &g_array_index(p->producer_part, KsLoc, i);
        if (pr->partitioner != KS_PARTITIONER_EXPLICIT)
            continue;
        const KsPlanTopic *t = g_hash_table_lookup(p->topics, pr->topic);
        if (pr->partition >= t->partitions) {
            g_autofree char *number = g_strdup_printf("%d", pr->partition);
            return no_such_partition(p, loc->line, loc->col, t, number, error);
        }
    }
    for (guint i = 0; i < p->producer_checks->len; i++)
        if (!check_producer_configs(p, &g_array_index(p->producer_checks, ProducerCheck, i), error))
            return false;
    return true;
}

/* The time of an `at` line or the end of a run: a duration, or 0. */
static bool want_time(Parser *p, const char *example, KsTime *out, GError **error)
{
    const KsToken *t = cur(p);
    if (!tok_duration(p, t, NULL, "a time", example, out, error))
        return false;
    advance(p);
    return true;
}

static bool line_at(Parser *p, const KsToken *kw, GError **error)
{
    const KsToken *tt = cur(p);
    KsTime at;
    if (!want_time(p, "at 5s crash broker 2", &at, error))
        return false;
    char b1[32], b2[32];
    if (p->have_at && at < p->last_at)
        return fail(p, tt, VALUE, error, "time goes backwards: %s is before %s (line %d)",
                    time_show(at, b1, sizeof b1), time_show(p->last_at, b2, sizeof b2),
                    p->last_at_line);
    if (p->plan->has_run && at > p->plan->run_until)
        return fail(p, tt, VALUE, error, "%s is after the end of the run at %s (line %d)",
                    time_show(at, b1, sizeof b1), time_show(p->plan->run_until, b2, sizeof b2),
                    p->plan->run_loc.line);
    p->have_at = true;
    p->last_at = at;
    p->last_at_line = kw->line;
    return parse_action(p, at, 0, error);
}

static bool line_every(Parser *p, const KsToken *kw, GError **error)
{
    const KsToken *tt = cur(p);
    KsTime every;
    if (!want_time(p, "every 5s snapshot", &every, error))
        return false;
    char b1[32], b2[32];
    if (every == 0)
        return fail(p, tt, VALUE, error, "every needs a period greater than 0, e.g. every 5s");
    if (p->plan->has_run && every > p->plan->run_until)
        return fail(p, tt, VALUE, error, "every %s never runs: the run ends at %s (line %d)",
                    time_show(every, b1, sizeof b1), time_show(p->plan->run_until, b2, sizeof b2),
                    p->plan->run_loc.line);
    if (!p->first_every_line) {
        p->first_every_line = kw->line;
        p->first_every_col = kw->col;
    }
    if (every > p->max_every || !p->max_every_line) {
        p->max_every = MAX(p->max_every, every);
        p->max_every_line = kw->line;
    }
    return parse_action(p, every, every, error);
}

static bool line_run(Parser *p, const KsToken *kw, GError **error)
{
    KsPlan *plan = p->plan;
    if (plan->has_run)
        return fail(p, kw, VALUE, error, "the run is already set on line %d", plan->run_loc.line);
    const KsToken *how = cur(p);
    bool until = tok_is(how, "until");
    if (!until && !tok_is(how, "for"))
        return fail(p, how, SYNTAX, error,
                    "write `run until TIME` or `run for DURATION`, e.g. "
                    "run until 30s");
    advance(p);
    const KsToken *tt = cur(p);
    KsTime t;
    if (!want_time(p, until ? "run until 30s" : "run for 30s", &t, error))
        return false;
    if (cur(p)->kind != KS_TOK_EOL) {
        g_autofree char *s = tok_show(cur(p));
        return fail(p, cur(p), SYNTAX, error, "unexpected '%s' after the run's time", s);
    }
    /* `run for` counts from the latest `at` line above it. */
    KsTime base = until || !p->have_at ? 0 : p->last_at;
    char b1[32], b2[32];
    if (t > MAX_TIME - base)
        return fail(p, tt, VALUE, error, "the run would end after %s (365 days)",
                    time_show(MAX_TIME, b1, sizeof b1));
    KsTime end = base + t;
    if (p->have_at && end < p->last_at)
        return fail(p, tt, VALUE, error, "the run ends at %s, before the action at %s on line %d",
                    time_show(end, b1, sizeof b1), time_show(p->last_at, b2, sizeof b2),
                    p->last_at_line);
    if (p->max_every_line && p->max_every > end)
        return fail(p, tt, VALUE, error,
                    "the run ends at %s, before the `every` line %d first runs (at %s)",
                    time_show(end, b1, sizeof b1), p->max_every_line,
                    time_show(p->max_every, b2, sizeof b2));
    plan->has_run = true;
    plan->run_until = end;
    plan->run_loc = loc_of(kw);
    return true;
}

static bool line_expect(Parser *p, const KsToken *kw, GError **error)
{
    const CondRow *row = NULL;
    const KsToken *ct = NULL;
    KsPlanExpect *e = parse_condition(p, kw, &row, &ct, error);
    if (!e)
        return false;
    g_ptr_array_add(p->plan->expects, e);
    return check_cond_support(p, row, ct, error);
}

static bool line_decl(Parser *p, const KsToken *kw, GError **error)
{
    const DeclRow *row = NULL;
    for (size_t i = 0; i < G_N_ELEMENTS(decl_rows); i++)
        if (tok_is(kw, decl_rows[i].spec.name))
            row = &decl_rows[i];
    if (!row) {
        g_autoptr(GPtrArray) names = g_ptr_array_new();
        for (size_t i = 0; i < G_N_ELEMENTS(decl_rows); i++)
            g_ptr_array_add(names, (gpointer)decl_rows[i].spec.name);
        static const char *const others[] = {"at", "every", "run", "expect"};
        for (size_t i = 0; i < G_N_ELEMENTS(others); i++)
            g_ptr_array_add(names, (gpointer)others[i]);
        g_autofree char *word = tok_show(kw);
        for (size_t i = 0; i < G_N_ELEMENTS(action_rows); i++)
            if (kw->kind == KS_TOK_WORD && tok_is(kw, action_rows[i].verb) &&
                strcmp(action_rows[i].verb, "set") != 0)
                return fail(p, kw, SYNTAX, error,
                            "'%s' is an action; actions need a time: at 5s %s ...", word, word);
        const char *what = p->decls_done ? "keyword" : "declaration";
        const char *s = kw->kind == KS_TOK_WORD ? suggest(word, names) : NULL;
        if (s)
            return fail(p, kw, SYNTAX, error, "unknown %s '%s'; did you mean '%s'?", what, word, s);
        g_autofree char *list = join_strs(names, 100);
        return fail(p, kw, SYNTAX, error, "unknown %s '%s'; a line starts with one of %s", what,
                    word, list);
    }
    if (p->decls_done)
        return fail(p, kw, SYNTAX, error,
                    "declarations come before the timeline; move it above line %d",
                    p->timeline_line);
    advance(p);
    g_autoptr(Args) a = collect_args(p, &row->spec, kw, error);
    if (!a)
        return false;
    if (!row->handle(p, row, kw, a, error))
        return false;
    if (!p->allow_unsupported && !ks_support_decl(row->kind))
        return unsupported(p, kw, row->spec.name, row->why, error);
    return check_config_support(p, a, error);
}

static bool parse_line(Parser *p, GError **error)
{
    const KsToken *kw = cur(p);
    if (kw->kind != KS_TOK_WORD) {
        g_autofree char *s = tok_show(kw);
        return fail(p, kw, SYNTAX, error,
                    "a line starts with a keyword such as `topic` or `at`, not '%s'", s);
    }
    bool at = tok_is(kw, "at"), every = tok_is(kw, "every"), run = tok_is(kw, "run"),
         expect = tok_is(kw, "expect");
    if (!(at || every || run || expect))
        return line_decl(p, kw, error);
    if (!finish_declarations(p, kw->line, error))
        return false;
    advance(p);
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
    if (!finish_declarations(p, 0, error))
        return false;
    KsPlan *plan = p->plan;
    if (p->first_every_line && !plan->has_run)
        return fail_at(p, p->first_every_line, p->first_every_col, VALUE, error,
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

static void add_keyword(GPtrArray *words, const char *w)
{
    for (guint i = 0; i < words->len; i++)
        if (strcmp(words->pdata[i], w) == 0)
            return;
    g_ptr_array_add(words, (gpointer)w);
}

static void add_keys(GPtrArray *words, const KeySpec *keys)
{
    for (const KeySpec *k = keys; k && k->name; k++)
        add_keyword(words, k->name);
}

const char *const *ks_scenario_keywords(void)
{
    static gsize list;
    if (g_once_init_enter(&list)) {
        GPtrArray *w = g_ptr_array_new();
        static const char *const lines[] = {"at", "every", "run", "until", "for", "expect"};
        for (size_t i = 0; i < G_N_ELEMENTS(lines); i++)
            add_keyword(w, lines[i]);
        for (size_t i = 0; i < G_N_ELEMENTS(decl_rows); i++) {
            add_keyword(w, decl_rows[i].spec.name);
            add_keys(w, decl_rows[i].spec.keys);
        }
        for (size_t i = 0; i < G_N_ELEMENTS(action_rows); i++) {
            add_keyword(w, action_rows[i].spec.name);
            add_keys(w, action_rows[i].spec.keys);
        }
        for (size_t i = 0; i < G_N_ELEMENTS(cond_rows); i++)
            add_keyword(w, cond_rows[i].name);
        static const char *const words[] = {"broker", "none", "true", "false"};
        for (size_t i = 0; i < G_N_ELEMENTS(words); i++)
            add_keyword(w, words[i]);
        for (int i = 0; partitioner_names[i]; i++)
            add_keyword(w, partitioner_names[i]);
        for (int i = 0; assignor_names[i]; i++)
            add_keyword(w, assignor_names[i]);
        for (int i = 0; protocol_names[i]; i++)
            add_keyword(w, protocol_names[i]);
        for (int i = 0; group_states[i]; i++)
            add_keyword(w, group_states[i]);
        g_ptr_array_add(w, NULL);
        /* Built once and never freed: it is static data in all but name. */
        g_once_init_leave(&list, (gsize)g_ptr_array_free(w, FALSE));
    }
    return (const char *const *)list;
}
