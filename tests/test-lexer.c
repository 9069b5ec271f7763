/* SPDX-License-Identifier: MIT */
/*
 * test-lexer.c - the scenario language's lexer (sim/lexer.c).
 *
 * Every token kind with its exact line and column, names against numbers,
 * exact numbers, string escapes, tabs, CRLF and a byte-order mark, the
 * errors each malformed token gets (at its position) and the duration
 * function the parser uses.
 */
#include "ks-test.h"

#include <string.h>

#include "sim/lexer.h"

typedef struct {
    KsLexer *lx;
    const KsToken *toks;
    guint n;
} Lexed;

/* Lexes the first line of @text. */
static void lex1(Lexed *l, const char *text)
{
    l->lx = ks_lexer_new("t.ks", text, strlen(text));
    g_autoptr(GError) error = NULL;
    KsLexResult r = ks_lexer_next_line(l->lx, &l->toks, &l->n, &error);
    if (r != KS_LEX_LINE)
        fail_msg("lexing failed: %s", error ? error->message : "no line");
}

/* Lexes @text until the first error and returns its message. */
static char *lex_err(const char *text, size_t len)
{
    g_autoptr(KsLexer) lx = ks_lexer_new("t.ks", text, len);
    g_autoptr(GError) error = NULL;
    const KsToken *toks;
    guint n;
    KsLexResult r;
    while ((r = ks_lexer_next_line(lx, &toks, &n, &error)) == KS_LEX_LINE)
        ;
    if (r != KS_LEX_ERROR)
        fail_msg("expected a lexer error");
    return g_strdup(error->message);
}

static void assert_tok(const KsToken *t, KsTokenKind kind, int line, int col, const char *src)
{
    ks_assert_i64_eq(t->kind, kind);
    ks_assert_i64_eq(t->line, line);
    ks_assert_i64_eq(t->col, col);
    g_autofree char *s = g_strndup(t->src, t->len);
    ks_assert_str_eq(s, src);
}

static void test_lexer_every_token_kind(void **state)
{
    Lexed l;
    lex1(&l, "orders-3 3 -1 10s 500/s \"a b\" = , { } | == != < <= > >= # note \"x\"");
    ks_assert_i64_eq(l.n, 18);
    assert_tok(&l.toks[0], KS_TOK_WORD, 1, 1, "orders-3");
    assert_tok(&l.toks[1], KS_TOK_INT, 1, 10, "3");
    ks_assert_i64_eq(l.toks[1].value, 3);
    assert_tok(&l.toks[2], KS_TOK_INT, 1, 12, "-1");
    ks_assert_i64_eq(l.toks[2].value, -1);
    assert_tok(&l.toks[3], KS_TOK_DURATION, 1, 15, "10s");
    ks_assert_i64_eq(l.toks[3].value, 10 * KS_TIME_S);
    assert_tok(&l.toks[4], KS_TOK_RATE, 1, 19, "500/s");
    ks_assert_i64_eq(l.toks[4].value, 500);
    assert_tok(&l.toks[5], KS_TOK_STRING, 1, 25, "\"a b\"");
    ks_assert_str_eq(l.toks[5].str, "a b");
    assert_tok(&l.toks[6], KS_TOK_EQUALS, 1, 31, "=");
    assert_tok(&l.toks[7], KS_TOK_COMMA, 1, 33, ",");
    assert_tok(&l.toks[8], KS_TOK_LBRACE, 1, 35, "{");
    assert_tok(&l.toks[9], KS_TOK_RBRACE, 1, 37, "}");
    assert_tok(&l.toks[10], KS_TOK_PIPE, 1, 39, "|");
    static const KsCmp cmps[] = {KS_CMP_EQ, KS_CMP_NE, KS_CMP_LT, KS_CMP_LE, KS_CMP_GT, KS_CMP_GE};
    static const int cols[] = {41, 44, 47, 49, 52, 54};
    for (int i = 0; i < 6; i++) {
        ks_assert_i64_eq(l.toks[11 + i].kind, KS_TOK_OP);
        ks_assert_i64_eq(l.toks[11 + i].cmp, cmps[i]);
        ks_assert_i64_eq(l.toks[11 + i].col, cols[i]);
    }
    /* EOL sits just past the last token, before the comment. */
    ks_assert_i64_eq(l.toks[17].kind, KS_TOK_EOL);
    ks_assert_i64_eq(l.toks[17].col, 56);
    ks_lexer_free(l.lx);
}

static void test_lexer_key_value_without_spaces(void **state)
{
    Lexed l;
    lex1(&l, "topics=a,b replicas={1,3} x==y");
    assert_tok(&l.toks[0], KS_TOK_WORD, 1, 1, "topics");
    assert_tok(&l.toks[1], KS_TOK_EQUALS, 1, 7, "=");
    assert_tok(&l.toks[2], KS_TOK_WORD, 1, 8, "a");
    assert_tok(&l.toks[3], KS_TOK_COMMA, 1, 9, ",");
    assert_tok(&l.toks[4], KS_TOK_WORD, 1, 10, "b");
    assert_tok(&l.toks[6], KS_TOK_EQUALS, 1, 20, "=");
    assert_tok(&l.toks[7], KS_TOK_LBRACE, 1, 21, "{");
    assert_tok(&l.toks[8], KS_TOK_INT, 1, 22, "1");
    assert_tok(&l.toks[10], KS_TOK_INT, 1, 24, "3");
    assert_tok(&l.toks[12], KS_TOK_WORD, 1, 27, "x");
    assert_tok(&l.toks[13], KS_TOK_OP, 1, 28, "==");
    assert_tok(&l.toks[14], KS_TOK_WORD, 1, 30, "y");
    ks_lexer_free(l.lx);
}

static void test_lexer_names_versus_numbers(void **state)
{
    static const struct {
        const char *text;
        KsTokenKind kind;
        int64_t value;
    } cases[] = {
        {"1a", KS_TOK_WORD, 0},
        {"eu-1a", KS_TOK_WORD, 0},
        {"orders-3", KS_TOK_WORD, 0},
        {"min.insync.replicas", KS_TOK_WORD, 0},
        {"c1", KS_TOK_WORD, 0},
        {"1.5", KS_TOK_WORD, 0},
        {"1.", KS_TOK_WORD, 0},
        {"10sec", KS_TOK_WORD, 0},
        {"-5s", KS_TOK_WORD, 0},
        {"3", KS_TOK_INT, 3},
        {"007", KS_TOK_INT, 7},
        {"-1", KS_TOK_INT, -1},
        {"9223372036854775807", KS_TOK_INT, INT64_MAX},
        {"2m", KS_TOK_DURATION, 2 * KS_TIME_MIN},
        {"10s", KS_TOK_DURATION, 10 * KS_TIME_S},
        {"250us", KS_TOK_DURATION, 250},
        {"3ms", KS_TOK_DURATION, 3000},
        {"1h", KS_TOK_DURATION, KS_TIME_H},
        {"1.5s", KS_TOK_DURATION, 1500000},
        {"0.0005s", KS_TOK_DURATION, 500},
        {"0.0000000025h", KS_TOK_DURATION, 9},
        {"1.500000000000000000000s", KS_TOK_DURATION, 1500000},
        {"0s", KS_TOK_DURATION, 0},
        {"2.0/s", KS_TOK_RATE, 2},
        {"0/s", KS_TOK_RATE, 0},
        /* Capacity quantities: a size unit per second, a price per hour or
         * per GB-month, are one word each. */
        {"10Gbit/s", KS_TOK_WORD, 0},
        {"500MB/s", KS_TOK_WORD, 0},
        {"0.50/h", KS_TOK_WORD, 0},
        {"0.08/GB-month", KS_TOK_WORD, 0},
    };
    for (size_t i = 0; i < G_N_ELEMENTS(cases); i++) {
        Lexed l;
        lex1(&l, cases[i].text);
        ks_assert_i64_eq(l.n, 2);
        if (l.toks[0].kind != cases[i].kind)
            fail_msg("'%s' lexed as kind %d, expected %d", cases[i].text, l.toks[0].kind,
                     cases[i].kind);
        if (cases[i].kind != KS_TOK_WORD)
            ks_assert_i64_eq(l.toks[0].value, cases[i].value);
        ks_lexer_free(l.lx);
    }
}

static void test_lexer_numbers_must_be_exact(void **state)
{
    static const struct {
        const char *text, *message;
    } cases[] = {
        {"1.5us", "t.ks:1:1: error: duration '1.5us' is not a whole number of microseconds"},
        {"x 0.0001ms",
         "t.ks:1:3: error: duration '0.0001ms' is not a whole number of microseconds"},
        {"99999999999h", "t.ks:1:1: error: duration '99999999999h' is too large"},
        {"1.5/s", "t.ks:1:1: error: rate '1.5/s' is not a whole number of records per second"},
        {"500/m", "t.ks:1:1: error: bad rate '500/m': write a number of records per second, e.g. "
                  "500/s"},
        {"9223372036854775808", "t.ks:1:1: error: number '9223372036854775808' is too large"},
    };
    for (size_t i = 0; i < G_N_ELEMENTS(cases); i++) {
        g_autofree char *msg = lex_err(cases[i].text, strlen(cases[i].text));
        ks_assert_str_eq(msg, cases[i].message);
    }
}

static void test_lexer_string_escapes(void **state)
{
    Lexed l;
    lex1(&l, "say \"a\\\"b\\\\c\\nd\" \"\" \"caf\xc3\xa9\" x");
    ks_assert_str_eq(l.toks[1].str, "a\"b\\c\nd");
    ks_assert_i64_eq(l.toks[1].col, 5);
    ks_assert_str_eq(l.toks[2].str, "");
    ks_assert_i64_eq(l.toks[2].col, 18);
    ks_assert_str_eq(l.toks[3].str, "caf\xc3\xa9");
    /* é is one column: "café" spans columns 21-26, x is at 28. */
    assert_tok(&l.toks[4], KS_TOK_WORD, 1, 28, "x");
    ks_lexer_free(l.lx);
}

static void test_lexer_errors_name_their_position(void **state)
{
    static const struct {
        const char *text, *message;
    } cases[] = {
        {"say \"abc", "t.ks:1:5: error: unterminated string: add the closing '\"'"},
        {"say \"abc\\", "t.ks:1:5: error: unterminated string: add the closing '\"'"},
        {"say \"a\\tb\"", "t.ks:1:7: error: unknown escape '\\t' in a string; use \\\", \\\\ or "
                          "\\n"},
        {"topic caf\xc3\xa9", "t.ks:1:10: error: non-ASCII character outside a string: names "
                              "use only ASCII letters, digits, '.', '-' and '_'"},
        {"a ! b", "t.ks:1:3: error: unexpected '!'; did you mean '!='?"},
        {"a @b", "t.ks:1:3: error: unexpected character '@'"},
        {"a 'b'", "t.ks:1:3: error: unexpected character '''; strings use double quotes"},
        {"k=1:2", "t.ks:1:4: error: unexpected character ':'; a value with ':' goes in double "
                  "quotes, e.g. replica-assignment=\"1:2,2:3\""},
        {"a\x01", "t.ks:1:2: error: unexpected control character (byte 0x01)"},
        {"ok\nok\r\nx\rx", "t.ks:3:2: error: unexpected control character (byte 0x0d)"},
        {"say \"\xff\"", "t.ks:1:6: error: invalid UTF-8 in a string"},
        {"x 1.5/sx", "t.ks:1:3: error: bad rate '1.5/sx': write a number of records per second, "
                     "e.g. 500/s"},
    };
    for (size_t i = 0; i < G_N_ELEMENTS(cases); i++) {
        g_autofree char *msg = lex_err(cases[i].text, strlen(cases[i].text));
        ks_assert_str_eq(msg, cases[i].message);
    }
    /* NUL bytes anywhere, even in a comment. */
    static const char nul[] = "ok\n# a \0 b\n";
    g_autofree char *msg = lex_err(nul, sizeof nul - 1);
    ks_assert_str_eq(msg, "t.ks:2:5: error: NUL byte in the file: a scenario is a text file");
}

static void test_lexer_lines_tabs_crlf_and_bom(void **state)
{
    const char *text = "\xEF\xBB\xBF"
                       "a\tb\r\n"
                       "\n"
                       "   # only a comment\n"
                       "\t\tc";
    g_autoptr(KsLexer) lx = ks_lexer_new("t.ks", text, strlen(text));
    const KsToken *t;
    guint n;
    ks_assert_i64_eq(ks_lexer_next_line(lx, &t, &n, NULL), KS_LEX_LINE);
    ks_assert_i64_eq(n, 3);
    assert_tok(&t[0], KS_TOK_WORD, 1, 1, "a");
    assert_tok(&t[1], KS_TOK_WORD, 1, 3, "b");
    ks_assert_i64_eq(ks_lexer_next_line(lx, &t, &n, NULL), KS_LEX_LINE);
    ks_assert_i64_eq(n, 1);
    ks_assert_i64_eq(t[0].kind, KS_TOK_EOL);
    ks_assert_i64_eq(ks_lexer_next_line(lx, &t, &n, NULL), KS_LEX_LINE);
    ks_assert_i64_eq(n, 1);
    ks_assert_i64_eq(ks_lexer_next_line(lx, &t, &n, NULL), KS_LEX_LINE);
    assert_tok(&t[0], KS_TOK_WORD, 4, 3, "c");
    ks_assert_i64_eq(ks_lexer_next_line(lx, &t, &n, NULL), KS_LEX_END);
}

static void test_lexer_refuses_overlong_lines(void **state)
{
    size_t len = KS_LEX_MAX_LINE + 10;
    g_autofree char *text = g_malloc(len + 1);
    memset(text, 'a', len);
    text[len] = '\0';
    g_autofree char *msg = lex_err(text, len);
    ks_assert_str_eq(msg, "t.ks:1:1048577: error: line is longer than 1048576 characters");
}

static void test_lexer_duration_function(void **state)
{
    KsTime t = 0;
    const char *why = NULL;
    assert_true(ks_lex_duration("1.5s", 4, &t, &why));
    ks_assert_i64_eq(t, 1500000);
    assert_false(ks_lex_duration("5", 1, &t, &why));
    ks_assert_str_eq(why, "needs a unit: us, ms, s, m or h");
    assert_false(ks_lex_duration("5d", 2, &t, &why));
    ks_assert_str_eq(why, "has an unknown unit: use us, ms, s, m or h");
    assert_false(ks_lex_duration("abc", 3, &t, &why));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_lexer_every_token_kind),
        cmocka_unit_test(test_lexer_key_value_without_spaces),
        cmocka_unit_test(test_lexer_names_versus_numbers),
        cmocka_unit_test(test_lexer_numbers_must_be_exact),
        cmocka_unit_test(test_lexer_string_escapes),
        cmocka_unit_test(test_lexer_errors_name_their_position),
        cmocka_unit_test(test_lexer_lines_tabs_crlf_and_bom),
        cmocka_unit_test(test_lexer_refuses_overlong_lines),
        cmocka_unit_test(test_lexer_duration_function),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
