/* SPDX-License-Identifier: MIT */
/*
 * lexer.c - the line lexer of the scenario language.
 *
 * Hand-written rather than GScanner (STYLE 9.7): the language is
 * line-oriented, names contain '-' and '.', "10s" and "500/s" are single
 * tokens, and every token must carry the position of its first character.
 * One pass over each line, no backtracking beyond the current token, so the
 * cost is linear in the input; a 16 MiB file is lexed in well under a second.
 *
 * Classification works on a maximal run of name characters ([A-Za-z0-9._-]):
 * the run is read first, then looked at as a whole. That is what makes
 * "orders-3" a name while "3" is a number and "3s" a duration, without any
 * lookahead rules.
 */
#include "lexer.h"

#include <string.h>

#include "kafkasim/scenario.h"

struct KsLexer {
    char *file;
    const char *text;
    size_t len;
    size_t pos;  /* start of the next line */
    int line_no; /* number of the line last returned */
    GArray *tokens;
};

void ks_lex_set_error(GError **error, int code, const char *file, int line, int col,
                      const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    g_autofree char *msg = g_strdup_vprintf(fmt, ap);
    va_end(ap);
    /* The message is one line by contract, whatever a caller put in it. */
    for (char *c = msg; *c; c++)
        if (*c == '\n' || *c == '\r')
            *c = ' ';
    g_set_error(error, KS_SCENARIO_ERROR, code, "%s:%d:%d: error: %s", file, line, col, msg);
}

const char *ks_token_kind_describe(KsTokenKind kind)
{
    switch (kind) {
    case KS_TOK_WORD:
        return "a name";
    case KS_TOK_INT:
        return "a number";
    case KS_TOK_DURATION:
        return "a duration";
    case KS_TOK_RATE:
        return "a rate";
    case KS_TOK_STRING:
        return "a string";
    case KS_TOK_EQUALS:
        return "'='";
    case KS_TOK_COMMA:
        return "','";
    case KS_TOK_LBRACE:
        return "'{'";
    case KS_TOK_RBRACE:
        return "'}'";
    case KS_TOK_PIPE:
        return "'|' or '->'";
    case KS_TOK_OP:
        return "a comparison";
    case KS_TOK_EOL:
        return "the end of the line";
    }
    return "a token";
}

static void clear_tokens(GArray *tokens)
{
    for (guint i = 0; i < tokens->len; i++)
        g_free(g_array_index(tokens, KsToken, i).str);
    g_array_set_size(tokens, 0);
}

KsLexer *ks_lexer_new(const char *file, const char *text, size_t len)
{
    KsLexer *lx = g_new0(KsLexer, 1);
    lx->file = g_strdup(file);
    lx->text = text;
    lx->len = len;
    if (len >= 3 && memcmp(text, "\xEF\xBB\xBF", 3) == 0)
        lx->pos = 3;
    lx->tokens = g_array_new(FALSE, TRUE, sizeof(KsToken));
    return lx;
}

void ks_lexer_set_next_line(KsLexer *lx, int line_no)
{
    g_return_if_fail(lx && line_no >= 1);
    lx->line_no = line_no - 1;
}

void ks_lexer_free(KsLexer *lx)
{
    if (!lx)
        return;
    clear_tokens(lx->tokens);
    g_array_free(lx->tokens, TRUE);
    g_free(lx->file);
    g_free(lx);
}

static bool is_name_char(char c)
{
    return g_ascii_isalnum(c) || c == '.' || c == '-' || c == '_';
}

static int64_t gcd64(int64_t a, int64_t b)
{
    while (b) {
        int64_t t = a % b;
        a = b;
        b = t;
    }
    return a;
}

/*
 * Computes (@ip.@fp) * @unit exactly, where @ip and @fp are runs of decimal
 * digits (@fp may be empty). Returns NULL and sets *@out, or a reason:
 * "inexact" when the product is not whole, "large" when it overflows.
 *
 * With the fraction f/10^k in lowest terms against the unit
 * (g = gcd(unit, 10^k)), f * unit / 10^k is whole exactly when 10^k/g
 * divides f, and then it is (f / (10^k/g)) * (unit/g), which cannot overflow.
 */
static const char *exact_number(const char *ip, size_t ipn, const char *fp, size_t fpn,
                                int64_t unit, int64_t *out)
{
    int64_t whole = 0;
    for (size_t i = 0; i < ipn; i++) {
        int d = ip[i] - '0';
        if (whole > (INT64_MAX - d) / 10)
            return "large";
        whole = whole * 10 + d;
    }
    while (fpn > 0 && fp[fpn - 1] == '0')
        fpn--;
    int64_t frac = 0;
    if (fpn > 0) {
        if (fpn > 18)
            return "inexact";
        int64_t p = 1, f = 0;
        for (size_t i = 0; i < fpn; i++) {
            p *= 10;
            f = f * 10 + (fp[i] - '0');
        }
        int64_t g = gcd64(unit, p), d = p / g;
        if (f % d != 0)
            return "inexact";
        frac = (f / d) * (unit / g);
    }
    if (whole > (INT64_MAX - frac) / unit)
        return "large";
    *out = whole * unit + frac;
    return NULL;
}

/* Splits @s (@n bytes) into digits, optional '.' digits, and a rest. Returns
 * false unless @s starts with a digit and any '.' is followed by digits. */
static bool split_number(const char *s, size_t n, size_t *ipn, const char **fp, size_t *fpn,
                         const char **rest, size_t *restn)
{
    size_t i = 0;
    while (i < n && g_ascii_isdigit(s[i]))
        i++;
    if (i == 0)
        return false;
    *ipn = i;
    *fp = s + i;
    *fpn = 0;
    if (i < n && s[i] == '.') {
        size_t j = i + 1;
        while (j < n && g_ascii_isdigit(s[j]))
            j++;
        if (j == i + 1)
            return false;
        *fp = s + i + 1;
        *fpn = j - i - 1;
        i = j;
    }
    *rest = s + i;
    *restn = n - i;
    return true;
}

static int64_t unit_of(const char *u, size_t n)
{
    static const struct {
        const char *name;
        int64_t us;
    } units[] = {
        {"us", KS_TIME_US}, {"ms", KS_TIME_MS}, {"s", KS_TIME_S},
        {"m", KS_TIME_MIN}, {"h", KS_TIME_H},
    };
    for (size_t i = 0; i < G_N_ELEMENTS(units); i++)
        if (strlen(units[i].name) == n && memcmp(units[i].name, u, n) == 0)
            return units[i].us;
    return 0;
}

/* Reads @n bytes as a duration. Returns 1 and sets *@out if it is one, 0 if
 * it does not have a duration's shape (it is then a name), or -1 with a
 * reason in *@why if it has the shape but not an exact value. */
static int read_duration(const char *s, size_t n, KsTime *out, const char **why)
{
    size_t ipn, fpn, restn;
    const char *fp, *rest;
    if (!split_number(s, n, &ipn, &fp, &fpn, &rest, &restn))
        return 0;
    int64_t unit = unit_of(rest, restn);
    if (!unit)
        return 0;
    const char *r = exact_number(s, ipn, fp, fpn, unit, out);
    if (!r)
        return 1;
    *why = strcmp(r, "large") == 0 ? "is too large" : "is not a whole number of microseconds";
    return -1;
}

bool ks_lex_duration(const char *text, size_t len, KsTime *out, const char **out_why)
{
    KsTime t;
    const char *why = NULL;
    int r = read_duration(text, len, &t, &why);
    if (r == 1) {
        *out = t;
        return true;
    }
    if (r == 0) {
        size_t ipn, fpn, restn;
        const char *fp, *rest;
        if (split_number(text, len, &ipn, &fp, &fpn, &rest, &restn) && restn == 0)
            why = "needs a unit: us, ms, s, m or h";
        else if (split_number(text, len, &ipn, &fp, &fpn, &rest, &restn))
            why = "has an unknown unit: use us, ms, s, m or h";
        else
            why = "is not a duration: write a number and a unit, e.g. 10s, 250ms, 1.5s";
    }
    *out_why = why;
    return false;
}

static bool is_int_text(const char *s, size_t n)
{
    size_t i = (n > 0 && s[0] == '-') ? 1 : 0;
    if (i == n)
        return false;
    for (; i < n; i++)
        if (!g_ascii_isdigit(s[i]))
            return false;
    return true;
}

/* Per-line lexing state. */
typedef struct {
    KsLexer *lx;
    const char *s; /* the line */
    size_t n;
    size_t i; /* byte position */
    int col;  /* column of byte i */
} Cursor;

static KsToken *push(Cursor *c, KsTokenKind kind, size_t start, int col, size_t len)
{
    KsToken t = {.kind = kind, .line = c->lx->line_no, .col = col, .src = c->s + start, .len = len};
    g_array_append_val(c->lx->tokens, t);
    return &g_array_index(c->lx->tokens, KsToken, c->lx->tokens->len - 1);
}

static bool fail(Cursor *c, int col, GError **error, const char *fmt, ...) G_GNUC_PRINTF(4, 5);

static bool fail(Cursor *c, int col, GError **error, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    g_autofree char *msg = g_strdup_vprintf(fmt, ap);
    va_end(ap);
    ks_lex_set_error(error, KS_SCENARIO_ERROR_SYNTAX, c->lx->file, c->lx->line_no, col, "%s", msg);
    return false;
}

/* Lexes a string starting at the opening quote. */
static bool lex_string(Cursor *c, GError **error)
{
    size_t start = c->i;
    int col0 = c->col;
    GString *out = g_string_new(NULL);
    c->i++;
    c->col++;
    for (;;) {
        if (c->i >= c->n) {
            g_string_free(out, TRUE);
            return fail(c, col0, error, "unterminated string: add the closing '\"'");
        }
        unsigned char ch = (unsigned char)c->s[c->i];
        if (ch == '"') {
            c->i++;
            c->col++;
            break;
        }
        if (ch == '\\') {
            char e = c->i + 1 < c->n ? c->s[c->i + 1] : '\0';
            if (c->i + 1 >= c->n) {
                g_string_free(out, TRUE);
                return fail(c, col0, error, "unterminated string: add the closing '\"'");
            }
            if (e == '"' || e == '\\')
                g_string_append_c(out, e);
            else if (e == 'n')
                g_string_append_c(out, '\n');
            else {
                g_string_free(out, TRUE);
                if ((unsigned char)e < 0x20 || (unsigned char)e >= 0x7f)
                    return fail(c, c->col, error,
                                "unknown escape in a string; use \\\", \\\\ or \\n");
                return fail(c, c->col, error,
                            "unknown escape '\\%c' in a string; use \\\", \\\\ or \\n", e);
            }
            c->i += 2;
            c->col += 2;
            continue;
        }
        if (ch < 0x20 && ch != '\t') {
            g_string_free(out, TRUE);
            return fail(c, c->col, error,
                        "control character (byte 0x%02x) in a string; write \\n for a newline", ch);
        }
        if (ch >= 0x80) {
            gunichar u = g_utf8_get_char_validated(c->s + c->i, (gssize)(c->n - c->i));
            if (u == (gunichar)-1 || u == (gunichar)-2) {
                g_string_free(out, TRUE);
                return fail(c, c->col, error, "invalid UTF-8 in a string");
            }
            const char *next = g_utf8_next_char(c->s + c->i);
            size_t w = (size_t)(next - (c->s + c->i));
            g_string_append_len(out, c->s + c->i, (gssize)w);
            c->i += w;
            c->col++;
            continue;
        }
        g_string_append_c(out, (char)ch);
        c->i++;
        c->col++;
    }
    KsToken *t = push(c, KS_TOK_STRING, start, col0, c->i - start);
    t->str = g_string_free(out, FALSE);
    return true;
}

/* Whether a number followed by '/' and @unit (@n bytes) is a quantity per
 * unit that the capacity declarations read as a word: a throughput with a
 * size unit ("10Gbit/s", "500MB/s": the run before '/' is not a bare number)
 * or a price ("0.50/h", "0.08/GB-month"). A bare number per second stays a
 * rate. */
static bool per_unit_word(bool numeric, const char *unit, size_t n)
{
    if (!numeric)
        return n == 1 && unit[0] == 's';
    return (n == 1 && unit[0] == 'h') || (n == 8 && memcmp(unit, "GB-month", 8) == 0);
}

/* Lexes a run of name characters (and a following "/s" for a rate, or the
 * per-unit words of per_unit_word()). */
static bool lex_run(Cursor *c, GError **error)
{
    size_t start = c->i;
    int col0 = c->col;
    while (c->i < c->n && is_name_char(c->s[c->i]))
        c->i++;
    size_t n = c->i - start;
    const char *s = c->s + start;
    c->col += (int)n;

    size_t ipn, fpn, restn;
    const char *fp, *rest;
    bool numeric = split_number(s, n, &ipn, &fp, &fpn, &rest, &restn) && restn == 0;

    /* A share, "10%" (a link's loss): one word, read by its parser. */
    if (numeric && c->i < c->n && c->s[c->i] == '%') {
        c->i++;
        c->col++;
        push(c, KS_TOK_WORD, start, col0, n + 1);
        return true;
    }

    if (c->i < c->n && c->s[c->i] == '/' && n > 0 && g_ascii_isdigit(s[0])) {
        size_t k = c->i + 1;
        while (k < c->n && is_name_char(c->s[k]))
            k++;
        if (per_unit_word(numeric, c->s + c->i + 1, k - c->i - 1)) {
            c->col += (int)(k - c->i);
            c->i = k;
            push(c, KS_TOK_WORD, start, col0, k - start);
            return true;
        }
    }

    if (c->i < c->n && c->s[c->i] == '/' && numeric) {
        size_t j = c->i + 1;
        size_t k = j;
        while (k < c->n && is_name_char(c->s[k]))
            k++;
        if (k - j != 1 || c->s[j] != 's')
            return fail(c, col0, error,
                        "bad rate '%.*s': write a number of records per second, e.g. 500/s",
                        (int)(k - start), s);
        int64_t v;
        const char *r = exact_number(s, ipn, fp, fpn, 1, &v);
        if (r && strcmp(r, "large") == 0)
            return fail(c, col0, error, "rate '%.*s/s' is too large", (int)n, s);
        if (r)
            return fail(c, col0, error, "rate '%.*s/s' is not a whole number of records per second",
                        (int)n, s);
        c->col += 2;
        c->i = k;
        push(c, KS_TOK_RATE, start, col0, k - start)->value = v;
        return true;
    }

    if (is_int_text(s, n)) {
        bool neg = s[0] == '-';
        int64_t v = 0;
        for (size_t i = neg ? 1 : 0; i < n; i++) {
            int d = s[i] - '0';
            /* -9223372036854775808 is refused too; nothing needs it. */
            if (v > (INT64_MAX - d) / 10)
                return fail(c, col0, error, "number '%.*s' is too large", (int)n, s);
            v = v * 10 + d;
        }
        push(c, KS_TOK_INT, start, col0, n)->value = neg ? -v : v;
        return true;
    }

    KsTime t;
    const char *why = NULL;
    int r = read_duration(s, n, &t, &why);
    if (r < 0)
        return fail(c, col0, error, "duration '%.*s' %s", (int)n, s, why);
    if (r > 0) {
        push(c, KS_TOK_DURATION, start, col0, n)->value = t;
        return true;
    }
    push(c, KS_TOK_WORD, start, col0, n);
    return true;
}

/* Lexes one line (without its newline) into lx->tokens. */
static bool lex_line(KsLexer *lx, const char *s, size_t n, GError **error)
{
    Cursor c = {.lx = lx, .s = s, .n = n, .i = 0, .col = 1};
    int end_col = 1; /* just past the last token: where EOL sits */

    /* A NUL anywhere, comments included, means this is not a text file. */
    const char *nul = memchr(s, '\0', n);
    if (nul) {
        int col = 1;
        for (const char *p = s; p < nul; p++)
            col += ((unsigned char)*p & 0xC0) != 0x80;
        return fail(&c, col, error, "NUL byte in the file: a scenario is a text file");
    }

    while (c.i < c.n) {
        char ch = c.s[c.i];
        if (ch == ' ' || ch == '\t') {
            c.i++;
            c.col++;
            continue;
        }
        if (ch == '#')
            break;
        bool ok = true;
        size_t i0 = c.i;
        int col0 = c.col;
        if (ch == '"') {
            ok = lex_string(&c, error);
        } else if (ch == '-' && c.i + 1 < c.n && c.s[c.i + 1] == '>') {
            /* "->": a one-way cut (partition-network n1 -> n2), a '|' that
             * cuts one direction only; its text tells the two apart. */
            push(&c, KS_TOK_PIPE, i0, col0, 2);
            c.i += 2;
            c.col += 2;
        } else if (is_name_char(ch)) {
            ok = lex_run(&c, error);
        } else if (ch == '=' || ch == '!' || ch == '<' || ch == '>') {
            bool eq_next = c.i + 1 < c.n && c.s[c.i + 1] == '=';
            KsTokenKind kind = KS_TOK_OP;
            KsCmp cmp = KS_CMP_EQ;
            size_t len = eq_next ? 2 : 1;
            if (ch == '=') {
                if (!eq_next)
                    kind = KS_TOK_EQUALS;
            } else if (ch == '!') {
                if (!eq_next)
                    return fail(&c, c.col, error, "unexpected '!'; did you mean '!='?");
                cmp = KS_CMP_NE;
            } else if (ch == '<') {
                cmp = eq_next ? KS_CMP_LE : KS_CMP_LT;
            } else {
                cmp = eq_next ? KS_CMP_GE : KS_CMP_GT;
            }
            push(&c, kind, i0, col0, len)->cmp = cmp;
            c.i += len;
            c.col += (int)len;
        } else if (ch == ',' || ch == '{' || ch == '}' || ch == '|') {
            KsTokenKind kind = ch == ','   ? KS_TOK_COMMA
                               : ch == '{' ? KS_TOK_LBRACE
                               : ch == '}' ? KS_TOK_RBRACE
                                           : KS_TOK_PIPE;
            push(&c, kind, i0, col0, 1);
            c.i++;
            c.col++;
        } else if ((unsigned char)ch >= 0x80) {
            return fail(&c, c.col, error,
                        "non-ASCII character outside a string: names use only ASCII letters, "
                        "digits, '.', '-' and '_'");
        } else if ((unsigned char)ch < 0x20 || ch == 0x7f) {
            return fail(&c, c.col, error, "unexpected control character (byte 0x%02x)",
                        (unsigned char)ch);
        } else if (ch == '\'') {
            return fail(&c, c.col, error, "unexpected character '''; strings use double quotes");
        } else if (ch == ':') {
            return fail(&c, c.col, error,
                        "unexpected character ':'; a value with ':' goes in double quotes, e.g. "
                        "replica-assignment=\"1:2,2:3\"");
        } else {
            return fail(&c, c.col, error, "unexpected character '%c'", ch);
        }
        if (!ok)
            return false;
        end_col = c.col;
    }
    KsToken eol = {.kind = KS_TOK_EOL, .line = lx->line_no, .col = end_col, .src = s + c.i};
    g_array_append_val(lx->tokens, eol);
    return true;
}

KsLexResult ks_lexer_next_line(KsLexer *lx, const KsToken **out_tokens, guint *out_n,
                               GError **error)
{
    clear_tokens(lx->tokens);
    if (lx->pos >= lx->len)
        return KS_LEX_END;
    if (lx->line_no == G_MAXINT) {
        ks_lex_set_error(error, KS_SCENARIO_ERROR_SYNTAX, lx->file, lx->line_no, 1,
                         "too many lines");
        return KS_LEX_ERROR;
    }
    lx->line_no++;
    const char *s = lx->text + lx->pos;
    size_t rest = lx->len - lx->pos;
    const char *nl = memchr(s, '\n', rest);
    size_t n = nl ? (size_t)(nl - s) : rest;
    lx->pos += nl ? n + 1 : n;
    if (n > 0 && s[n - 1] == '\r')
        n--;
    if (n > KS_LEX_MAX_LINE) {
        ks_lex_set_error(error, KS_SCENARIO_ERROR_SYNTAX, lx->file, lx->line_no,
                         KS_LEX_MAX_LINE + 1, "line is longer than %d characters", KS_LEX_MAX_LINE);
        return KS_LEX_ERROR;
    }
    if (!lex_line(lx, s, n, error))
        return KS_LEX_ERROR;
    *out_tokens = (const KsToken *)(void *)lx->tokens->data;
    *out_n = lx->tokens->len;
    return KS_LEX_LINE;
}
