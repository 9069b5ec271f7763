/* SPDX-License-Identifier: MIT */
/*
 * test-scenario.c - the scenario language: lexer, parser, validation.
 *
 * Lexer tests check every token kind with its exact position; parser tests
 * check the plan a newcomer's scenario turns into (defaults, cluster
 * expansion, configs, timeline order, run semantics, conditions). The
 * data-driven tests parse every file of tests/bad/ (each must fail with the
 * error its first line announces) and of scenarios/ (each must parse), and
 * check that docs/scenario-language.md documents every keyword.
 */
#include "ks-test.h"

#include <stdio.h>
#include <string.h>

#include "kafkasim/config.h"
#include "kafkasim/scenario.h"
#include "kafkasim/support.h"
#include "sim/lexer.h"

/* ------------------------------------------------------------------------ */
/* Helpers                                                                    */

/* The source tree, from KS_SOURCE_ROOT (meson sets it). A test that needs
 * the tree is skipped, not passed, where it is not set. */
static const char *source_root(void)
{
    const char *env = g_getenv("KS_SOURCE_ROOT");
    if (!env || !*env) {
        print_message("KS_SOURCE_ROOT is not set: skipped\n");
        skip();
    }
    return env;
}

/* Parses @text, unsupported features allowed; fails the test on error. */
static KsPlan *parse_ok(const char *text)
{
    g_autoptr(GError) error = NULL;
    KsPlan *plan = ks_scenario_parse_full("test.ks", text, strlen(text),
                                          KS_SCENARIO_PARSE_ALLOW_UNSUPPORTED, &error);
    if (!plan)
        fail_msg("parse failed: %s", error->message);
    return plan;
}

/* Parses @text (as the simulator would: unsupported refused) and returns the
 * error message; fails the test if it parses. Sets *@code if not NULL. */
static char *parse_err_flags(const char *text, unsigned flags, int *code)
{
    g_autoptr(GError) error = NULL;
    g_autoptr(KsPlan) plan = ks_scenario_parse_full("test.ks", text, strlen(text), flags, &error);
    if (plan)
        fail_msg("expected an error for:\n%s", text);
    assert_true(error->domain == KS_SCENARIO_ERROR);
    assert_null(strchr(error->message, '\n'));
    if (code)
        *code = error->code;
    return g_strdup(error->message);
}

static char *parse_err(const char *text, int *code)
{
    return parse_err_flags(text, 0, code);
}

#define CLUSTER3 "cluster nodes=3 brokers-per-node=1\n"

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

/* ------------------------------------------------------------------------ */
/* Lexer                                                                      */

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
    ks_assert_str_eq(msg, "t.ks:1:65537: error: line is longer than 65536 characters");
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

/* ------------------------------------------------------------------------ */
/* Durations                                                                  */

static void test_scenario_format_duration_examples(void **state)
{
    static const struct {
        KsTime t;
        const char *text;
    } cases[] = {
        {0, "0s"},
        {250, "250us"},
        {1500, "1.5ms"},
        {1000, "1ms"},
        {1001, "1.001ms"},
        {1500000, "1.5s"},
        {1000001, "1000.001ms"},
        {1000000, "1s"},
        {90 * KS_TIME_S, "90s"},
        {2 * KS_TIME_MIN, "2m"},
        {90 * KS_TIME_MIN, "90m"},
        {KS_TIME_H, "1h"},
        {25 * KS_TIME_H, "25h"},
        /* Not exact in three decimals of a second: milliseconds instead. */
        {123456789, "123456.789ms"},
    };
    for (size_t i = 0; i < G_N_ELEMENTS(cases); i++) {
        g_autofree char *s = ks_scenario_format_duration(cases[i].t);
        ks_assert_str_eq(s, cases[i].text);
    }
}

static void test_scenario_duration_round_trip(void **state)
{
    /* Every duration formats to text that parses back to itself. */
    uint64_t x = 88172645463325252ull;
    for (int i = 0; i < 20000; i++) {
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        static const KsTime scales[] = {1, 1000, 1000000, 60000000, 3600000000};
        KsTime t = (KsTime)(x % 100000) * scales[i % 5] + (i % 7 == 0 ? (KsTime)(x % 999) : 0);
        g_autofree char *s = ks_scenario_format_duration(t);
        KsTime back = -1;
        g_autoptr(GError) error = NULL;
        if (!ks_scenario_parse_duration(s, &back, &error))
            fail_msg("'%s' (from %" PRId64 ") does not parse: %s", s, t, error->message);
        ks_assert_i64_eq(back, t);
    }
}

static void test_scenario_parse_duration_errors(void **state)
{
    KsTime t = -1;
    assert_true(ks_scenario_parse_duration("0", &t, NULL));
    ks_assert_i64_eq(t, 0);
    assert_true(ks_scenario_parse_duration("2m", &t, NULL));
    ks_assert_i64_eq(t, 2 * KS_TIME_MIN);
    static const struct {
        const char *text, *message;
    } cases[] = {
        {"1.5us", "duration '1.5us' is not a whole number of microseconds"},
        {"5", "duration '5' needs a unit: us, ms, s, m or h"},
        {"", "duration '' is not a duration: write a number and a unit, e.g. 10s, 250ms, 1.5s"},
        {" 5s", "duration ' 5s' is not a duration: write a number and a unit, e.g. 10s, 250ms, "
                "1.5s"},
        {"-1s", "duration '-1s' is not a duration: write a number and a unit, e.g. 10s, 250ms, "
                "1.5s"},
    };
    for (size_t i = 0; i < G_N_ELEMENTS(cases); i++) {
        g_autoptr(GError) error = NULL;
        assert_false(ks_scenario_parse_duration(cases[i].text, &t, &error));
        ks_assert_i64_eq(error->code, KS_SCENARIO_ERROR_VALUE);
        ks_assert_str_eq(error->message, cases[i].message);
    }
}

/* ------------------------------------------------------------------------ */
/* Declarations                                                               */

static void test_scenario_cluster_expands_node_major(void **state)
{
    g_autoptr(KsPlan) plan = parse_ok("seed 7\n"
                                      "cluster nodes=3 brokers-per-node=2 zones=eu-1a,eu-1b\n");
    assert_true(plan->has_seed);
    ks_assert_i64_eq(plan->seed, 7);
    ks_assert_i64_eq(plan->nodes->len, 3);
    static const char *const zones[] = {"eu-1a", "eu-1b", "eu-1a"};
    for (guint i = 0; i < 3; i++) {
        const KsPlanNode *n = plan->nodes->pdata[i];
        g_autofree char *name = g_strdup_printf("n%u", i + 1);
        ks_assert_str_eq(n->name, name);
        ks_assert_str_eq(n->zone, zones[i]);
        ks_assert_i64_eq(n->loc.line, 2);
    }
    ks_assert_i64_eq(plan->brokers->len, 6);
    static const char *const nodes[] = {"n1", "n1", "n2", "n2", "n3", "n3"};
    for (guint i = 0; i < 6; i++) {
        const KsPlanBroker *b = plan->brokers->pdata[i];
        ks_assert_i64_eq(b->id, i + 1);
        ks_assert_str_eq(b->node, nodes[i]);
        /* With zones, broker.rack is the node's zone. */
        ks_assert_str_eq(b->rack, zones[i / 2]);
    }
    ks_assert_str_eq(ks_plan_find_broker(plan, 4)->node, "n2");
    assert_null(ks_plan_find_broker(plan, 7));
    ks_assert_str_eq(ks_plan_find_node(plan, "n3")->zone, "eu-1a");
}

static void test_scenario_cluster_combines_with_explicit_lines(void **state)
{
    g_autoptr(KsPlan) plan = parse_ok("node zk zone=eu-1c\n"
                                      "broker 0 node=zk rack=r0\n"
                                      "cluster nodes=2\n"
                                      "broker 100 node=n2\n");
    ks_assert_i64_eq(plan->nodes->len, 3);
    ks_assert_str_eq(((KsPlanNode *)plan->nodes->pdata[0])->name, "zk");
    /* Brokers come sorted by id, whatever the order of the lines. */
    static const KsBrokerId ids[] = {0, 1, 2, 100};
    ks_assert_i64_eq(plan->brokers->len, 4);
    for (guint i = 0; i < 4; i++)
        ks_assert_i64_eq(((KsPlanBroker *)plan->brokers->pdata[i])->id, ids[i]);
    const KsPlanBroker *b0 = ks_plan_find_broker(plan, 0);
    ks_assert_str_eq(b0->rack, "r0");
    assert_null(ks_plan_find_broker(plan, 1)->rack);
    ks_assert_i64_eq(ks_plan_find_broker(plan, 100)->loc.line, 4);

    g_autofree char *msg = parse_err("node x\nbroker 2 node=x\ncluster nodes=2\n", NULL);
    ks_assert_str_eq(msg, "test.ks:3:1: error: cluster declares broker 2, which is already "
                          "declared on line 2");
}

static void test_scenario_topic_defaults(void **state)
{
    g_autoptr(KsPlan) plan = parse_ok(CLUSTER3 "topic plain\n"
                                               "topic big partitions=12 replication-factor=3 "
                                               "replica-placement-start=2\n"
                                               "set num.partitions=6 default.replication.factor=2\n"
                                               "topic a-1\n");
    ks_assert_i64_eq(plan->topics->len, 3);
    /* `set` is cluster-wide whatever its place among the declarations. */
    const KsPlanTopic *plain = ks_plan_find_topic(plan, "plain");
    ks_assert_i64_eq(plain->partitions, 6);
    ks_assert_i64_eq(plain->replication_factor, 2);
    ks_assert_i64_eq(plain->placement_start, -1);
    const KsPlanTopic *big = ks_plan_find_topic(plan, "big");
    ks_assert_i64_eq(big->partitions, 12);
    ks_assert_i64_eq(big->replication_factor, 3);
    ks_assert_i64_eq(big->placement_start, 2);
    ks_assert_str_eq(((KsPlanTopic *)plan->topics->pdata[2])->name, "a-1");

    g_autoptr(KsPlan) bare = parse_ok(CLUSTER3 "topic t\n");
    ks_assert_i64_eq(ks_plan_find_topic(bare, "t")->partitions, 1);
    ks_assert_i64_eq(ks_plan_find_topic(bare, "t")->replication_factor, 1);

    int code;
    g_autofree char *msg = parse_err(CLUSTER3 "set default.replication.factor=4\ntopic t\n", &code);
    ks_assert_str_eq(msg,
                     "test.ks:3:7: error: Replication factor: 4 larger than available brokers: 3.");
    ks_assert_i64_eq(code, KS_SCENARIO_ERROR_VALUE);
}

static void test_scenario_configs_resolve(void **state)
{
    g_autoptr(KsPlan) plan = parse_ok(CLUSTER3 "broker 9 node=n1 replica.lag.time.max.ms=10000\n"
                                               "set acks=1 linger.ms=5 min.insync.replicas=2\n"
                                               "topic t min.insync.replicas=3 retention.ms=-1\n"
                                               "producer a topic=t\n"
                                               "producer b topic=t acks=all linger.ms=1.5ms "
                                               "batch.size=1000\n"
                                               "consumer c topics=t group=g session.timeout.ms=6s "
                                               "auto.offset.reset=earliest\n");
    const KsConfigSet *d = plan->defaults;
    const KsPlanBroker *b9 = ks_plan_find_broker(plan, 9);
    ks_assert_i64_eq(ks_config_resolve(KS_CFG_REPLICA_LAG_TIME_MAX_MS, b9->configs, d),
                     10 * KS_TIME_S);
    ks_assert_i64_eq(
        ks_config_resolve(KS_CFG_REPLICA_LAG_TIME_MAX_MS, ks_plan_find_broker(plan, 1)->configs, d),
        30 * KS_TIME_S);
    const KsPlanTopic *t = ks_plan_find_topic(plan, "t");
    ks_assert_i64_eq(ks_config_resolve(KS_CFG_MIN_INSYNC_REPLICAS, t->configs, d), 3);
    ks_assert_i64_eq(ks_config_resolve(KS_CFG_RETENTION_MS, t->configs, d), -KS_TIME_MS);
    const KsPlanProducer *a = ks_plan_find_producer(plan, "a");
    const KsPlanProducer *b = ks_plan_find_producer(plan, "b");
    ks_assert_i64_eq(ks_config_resolve(KS_CFG_ACKS, a->configs, d), 1);
    ks_assert_i64_eq(ks_config_resolve(KS_CFG_ACKS, b->configs, d), -1);
    ks_assert_i64_eq(ks_config_resolve(KS_CFG_LINGER_MS, a->configs, d), 5 * KS_TIME_MS);
    ks_assert_i64_eq(ks_config_resolve(KS_CFG_LINGER_MS, b->configs, d), 1500);
    ks_assert_i64_eq(ks_config_resolve(KS_CFG_BATCH_SIZE, b->configs, d), 1000);
    ks_assert_i64_eq(ks_config_resolve(KS_CFG_BATCH_SIZE, a->configs, d), 16384);
    const KsPlanConsumer *c = ks_plan_find_consumer(plan, "c");
    ks_assert_i64_eq(ks_config_resolve(KS_CFG_SESSION_TIMEOUT_MS, c->configs, d), 6 * KS_TIME_S);
    ks_assert_i64_eq(ks_config_resolve(KS_CFG_AUTO_OFFSET_RESET, c->configs, d), 1);
    ks_assert_i64_eq(ks_config_resolve(KS_CFG_HEARTBEAT_INTERVAL_MS, c->configs, d), 3 * KS_TIME_S);
}

static void test_scenario_config_values_by_type(void **state)
{
    static const struct {
        const char *line;
        KsConfigKey key;
        int64_t value;
    } ok[] = {
        {"set acks=all", KS_CFG_ACKS, -1},
        {"set acks=-1", KS_CFG_ACKS, -1},
        {"set acks=0", KS_CFG_ACKS, 0},
        {"set acks=1", KS_CFG_ACKS, 1},
        {"set linger.ms=0", KS_CFG_LINGER_MS, 0},
        {"set linger.ms=250us", KS_CFG_LINGER_MS, 250},
        {"set leader.imbalance.check.interval.seconds=30",
         KS_CFG_LEADER_IMBALANCE_CHECK_INTERVAL_SECONDS, 30 * KS_TIME_S},
        {"set leader.imbalance.check.interval.seconds=2m",
         KS_CFG_LEADER_IMBALANCE_CHECK_INTERVAL_SECONDS, 2 * KS_TIME_MIN},
        {"set partitioner.ignore.keys=true", KS_CFG_PARTITIONER_IGNORE_KEYS, 1},
        {"set enable.auto.commit=false", KS_CFG_ENABLE_AUTO_COMMIT, 0},
        {"set partition.assignment.strategy=cooperative-sticky",
         KS_CFG_PARTITION_ASSIGNMENT_STRATEGY, 3},
    };
    for (size_t i = 0; i < G_N_ELEMENTS(ok); i++) {
        g_autofree char *text = g_strdup_printf(CLUSTER3 "%s\n", ok[i].line);
        g_autoptr(KsPlan) plan = parse_ok(text);
        assert_true(ks_config_set_has(plan->defaults, ok[i].key));
        ks_assert_i64_eq(ks_config_set_get(plan->defaults, ok[i].key), ok[i].value);
    }
    static const struct {
        const char *line, *message;
    } bad[] = {
        {"set acks=2", "2:10: error: acks=2: expected one of all, -1, 0, 1"},
        {"set acks=\"all\"", "2:10: error: acks=\"all\": expected one of all, -1, 0, 1"},
        {"set linger.ms=x", "2:15: error: linger.ms=x: expected milliseconds or a duration, e.g. "
                            "linger.ms=0"},
        {"set leader.imbalance.check.interval.seconds=0",
         "2:45: error: leader.imbalance.check.interval.seconds=0 is out of range: it must be "
         "between 1 and 31536000 (seconds)"},
        {"set batch.size=0", "2:16: error: batch.size=0 is out of range: it must be between 1 "
                             "and 2147483647"},
        {"set batch.size=1,2", "2:16: error: batch.size=1,2: expected one value, not a list, "
                               "e.g. batch.size=16384"},
        {"set linger.ms=99999999999999999",
         "2:15: error: linger.ms=99999999999999999 is out of range: it must be between 0 and "
         "31536000000"},
        {"set partitioner.ignore.keys=1",
         "2:29: error: partitioner.ignore.keys=1: expected true or false"},
        {"set retention.ms", "2:5: error: retention.ms needs a value, e.g. retention.ms=604800000"},
        {"set acks all", "2:5: error: acks needs a value, e.g. acks=all"},
        {"set acks=", "2:5: error: acks= needs a value"},
        {"set acks", "2:5: error: acks needs a value, e.g. acks=all"},
        {"set foo", "2:5: error: unexpected 'foo'; usage: set CONFIG=VALUE ..."},
        {"set foo=1", "2:5: error: unknown config 'foo'; docs/scenario-language.md lists"},
        {"set = 1", "2:5: error: '=' needs a key before it: KEY=VALUE"},
        {"set", "2:1: error: set needs at least one config; usage: set CONFIG=VALUE ..."},
        {"set 5", "2:5: error: unexpected '5'; usage: set CONFIG=VALUE ..."},
    };
    for (size_t i = 0; i < G_N_ELEMENTS(bad); i++) {
        g_autofree char *text = g_strdup_printf(CLUSTER3 "%s\n", bad[i].line);
        g_autofree char *msg = parse_err(text, NULL);
        if (!g_str_has_prefix(msg + strlen("test.ks:"), bad[i].message))
            fail_msg("for '%s':\n  got      %s\n  expected test.ks:%s", bad[i].line, msg,
                     bad[i].message);
    }
}

/* Kafka 3.2+ turns idempotence off, without a word, when the user did not ask
 * for it and acks, retries or max.in.flight.requests.per.connection conflict
 * with it; the plan says so, so the model does not de-duplicate retries. */
static void test_scenario_producer_idempotence_as_kafka_decides(void **state)
{
    g_autoptr(KsPlan) plan = parse_ok(CLUSTER3 "topic t\n"
                                               "producer acks1 topic=t acks=1\n"
                                               "producer acks0 topic=t\n"
                                               "producer noretry topic=t retries=0\n"
                                               "producer inflight6 topic=t "
                                               "max.in.flight.requests.per.connection=6\n"
                                               "producer asked topic=t enable.idempotence=true "
                                               "acks=all\n"
                                               "producer plain topic=t acks=all "
                                               "max.in.flight.requests.per.connection=5\n"
                                               "producer off topic=t enable.idempotence=false "
                                               "acks=1\n"
                                               "flume agent topic=t rate=1/s acks=1\n"
                                               /* set applies above it too */
                                               "set acks=0\n");
    const KsConfigSet *d = plan->defaults;
    static const char *const disabled[] = {"acks1", "acks0", "noretry", "inflight6", "off"};
    for (size_t i = 0; i < G_N_ELEMENTS(disabled); i++) {
        const KsPlanProducer *pr = ks_plan_find_producer(plan, disabled[i]);
        if (!ks_config_set_has(pr->configs, KS_CFG_ENABLE_IDEMPOTENCE))
            fail_msg("producer %s: enable.idempotence is not in its configs", disabled[i]);
        ks_assert_i64_eq(ks_config_set_get(pr->configs, KS_CFG_ENABLE_IDEMPOTENCE), 0);
    }
    const KsPlanFlume *f = plan->flumes->pdata[0];
    assert_true(ks_config_set_has(f->configs, KS_CFG_ENABLE_IDEMPOTENCE));
    ks_assert_i64_eq(ks_config_set_get(f->configs, KS_CFG_ENABLE_IDEMPOTENCE), 0);
    /* Asked for, with acks=all: stays on. */
    const KsPlanProducer *asked = ks_plan_find_producer(plan, "asked");
    ks_assert_i64_eq(ks_config_resolve(KS_CFG_ENABLE_IDEMPOTENCE, asked->configs, d), 1);
    /* No conflict: left unset, so Kafka's default (on) applies. */
    const KsPlanProducer *plain = ks_plan_find_producer(plan, "plain");
    assert_false(ks_config_set_has(plain->configs, KS_CFG_ENABLE_IDEMPOTENCE));
    ks_assert_i64_eq(ks_config_resolve(KS_CFG_ENABLE_IDEMPOTENCE, plain->configs, d), 1);
    assert_false(ks_config_set_has(d, KS_CFG_ENABLE_IDEMPOTENCE));

    /* Kafka checks a producer, not the defaults: no producer, no error. */
    g_autoptr(KsPlan) none = parse_ok(CLUSTER3 "set enable.idempotence=true acks=1\n");
    assert_non_null(none);
    /* A producer's own acks=all settles the conflict of `set`. */
    g_autoptr(KsPlan) own =
        parse_ok(CLUSTER3 "set enable.idempotence=true acks=1\ntopic t\nproducer p topic=t "
                          "acks=all\n");
    ks_assert_i64_eq(ks_config_resolve(KS_CFG_ENABLE_IDEMPOTENCE,
                                       ks_plan_find_producer(own, "p")->configs, own->defaults),
                     1);
}

/* A delivery.timeout.ms that is not set explicitly is raised to linger.ms +
 * request.timeout.ms, as KafkaProducer does; an explicit one is an error. */
static void test_scenario_producer_delivery_timeout(void **state)
{
    g_autoptr(KsPlan) plan = parse_ok(CLUSTER3 "topic t\n"
                                               "producer slow topic=t linger.ms=100s\n"
                                               "producer fine topic=t linger.ms=5\n"
                                               "producer edge topic=t delivery.timeout.ms=31s "
                                               "linger.ms=1s\n");
    const KsPlanProducer *slow = ks_plan_find_producer(plan, "slow");
    assert_true(ks_config_set_has(slow->configs, KS_CFG_DELIVERY_TIMEOUT_MS));
    ks_assert_i64_eq(ks_config_set_get(slow->configs, KS_CFG_DELIVERY_TIMEOUT_MS), 130 * KS_TIME_S);
    const KsPlanProducer *fine = ks_plan_find_producer(plan, "fine");
    assert_false(ks_config_set_has(fine->configs, KS_CFG_DELIVERY_TIMEOUT_MS));
    const KsPlanProducer *edge = ks_plan_find_producer(plan, "edge");
    ks_assert_i64_eq(ks_config_resolve(KS_CFG_DELIVERY_TIMEOUT_MS, edge->configs, plan->defaults),
                     31 * KS_TIME_S);
}

/* The errors Kafka's producer raises when it is built, at the token to fix. */
static void test_scenario_producer_config_conflicts(void **state)
{
    static const char acks[] = "Must set acks to all in order to use the idempotent producer. "
                               "Otherwise we cannot guarantee idempotence.";
    static const char retries[] = "Must set retries to non-zero when using the idempotent "
                                  "producer.";
    static const char inflight[] = "Must set max.in.flight.requests.per.connection to at most 5 "
                                   "to use the idempotent producer.";
    static const char delivery[] = "delivery.timeout.ms should be equal to or larger than "
                                   "linger.ms + request.timeout.ms";
    static const struct {
        const char *text, *where, *message;
    } cases[] = {
        /* At the conflicting config when the line gives it. */
        {"producer p topic=t enable.idempotence=true acks=0\n", "3:44", acks},
        {"producer p topic=t acks=1 enable.idempotence=true\n", "3:20", acks},
        {"set enable.idempotence=true\nproducer p topic=t retries=0\n", "4:20", retries},
        /* Else at enable.idempotence on the line. */
        {"set acks=1\nproducer p topic=t enable.idempotence=true\n", "4:20", acks},
        /* Else at the producer's name. */
        {"set max.in.flight.requests.per.connection=6 enable.idempotence=true\n"
         "producer p topic=t\n",
         "4:10", inflight},
        /* Kafka checks retries, then acks, then in-flight requests. */
        {"producer p topic=t acks=1 max.in.flight.requests.per.connection=9 retries=0 "
         "enable.idempotence=true\n",
         "3:67", retries},
        /* Flume's embedded producer is a Kafka producer too. */
        {"flume f topic=t rate=1/s enable.idempotence=true acks=1\n", "3:50", acks},
        {"producer p topic=t delivery.timeout.ms=10s\n", "3:20", delivery},
        {"set delivery.timeout.ms=10s\nproducer p topic=t linger.ms=0\n", "4:20", delivery},
        {"set delivery.timeout.ms=10s\nproducer p topic=t\n", "4:10", delivery},
        {"producer p topic=t request.timeout.ms=20s delivery.timeout.ms=20s linger.ms=1ms\n",
         "3:43", delivery},
    };
    for (size_t i = 0; i < G_N_ELEMENTS(cases); i++) {
        g_autofree char *text = g_strconcat(CLUSTER3 "topic t\n", cases[i].text, NULL);
        int code = 0;
        g_autofree char *msg = parse_err_flags(text, KS_SCENARIO_PARSE_ALLOW_UNSUPPORTED, &code);
        g_autofree char *want =
            g_strdup_printf("test.ks:%s: error: %s", cases[i].where, cases[i].message);
        if (strcmp(msg, want) != 0)
            fail_msg("for:\n%s  got      %s\n  expected %s", text, msg, want);
        ks_assert_i64_eq(code, KS_SCENARIO_ERROR_VALUE);
    }
}

/* What the parser stores in a producer's configs is what the shared rule
 * (ks_config_producer_effective) says, and asking the rule again about the
 * stored configs, as the model does, changes nothing. */
static void test_scenario_producer_configs_follow_the_shared_rule(void **state)
{
    g_autoptr(KsPlan) plan = parse_ok(CLUSTER3 "set linger.ms=10ms\ntopic t\n"
                                               "producer acks1 topic=t acks=1\n"
                                               "producer slow topic=t linger.ms=100s\n"
                                               "producer both topic=t retries=0 "
                                               "request.timeout.ms=150s\n"
                                               "producer given topic=t enable.idempotence=true "
                                               "delivery.timeout.ms=40s\n"
                                               "producer plain topic=t\n"
                                               "flume f topic=t rate=1/s acks=0\n");
    const KsConfigSet *d = plan->defaults;
    for (guint i = 0; i <= plan->producers->len; i++) {
        const KsConfigSet *own = i < plan->producers->len
                                     ? ((KsPlanProducer *)plan->producers->pdata[i])->configs
                                     : ((KsPlanFlume *)plan->flumes->pdata[0])->configs;
        bool idempotent;
        KsTime delivery;
        ks_assert_i64_eq(ks_config_producer_effective(own, d, &idempotent, &delivery),
                         KS_PRODUCER_REFUSAL_NONE);
        ks_assert_i64_eq(idempotent, ks_config_resolve(KS_CFG_ENABLE_IDEMPOTENCE, own, d));
        ks_assert_i64_eq(delivery, ks_config_resolve(KS_CFG_DELIVERY_TIMEOUT_MS, own, d));
    }
    const KsConfigSet *both = ks_plan_find_producer(plan, "both")->configs;
    ks_assert_i64_eq(ks_config_resolve(KS_CFG_ENABLE_IDEMPOTENCE, both, d), 0);
    ks_assert_i64_eq(ks_config_resolve(KS_CFG_DELIVERY_TIMEOUT_MS, both, d),
                     150 * KS_TIME_S + 10 * KS_TIME_MS);
    const KsConfigSet *plain = ks_plan_find_producer(plan, "plain")->configs;
    assert_false(ks_config_set_has(plain, KS_CFG_ENABLE_IDEMPOTENCE));
    assert_false(ks_config_set_has(plain, KS_CFG_DELIVERY_TIMEOUT_MS));
}

/* `produce producer=P` sends with P, to P's topic: topic= may only repeat
 * it, and partition= is checked against it. */
static void test_scenario_produce_with_producer_keeps_its_topic(void **state)
{
    static const char decls[] = CLUSTER3 "topic orders partitions=3\ntopic big partitions=12\n"
                                         "producer web topic=orders\n";
    g_autofree char *same = g_strconcat(decls,
                                        "at 1s produce producer=web topic=orders "
                                        "partition=2\n",
                                        NULL);
    g_autoptr(KsPlan) plan = parse_ok(same);
    const KsPlanAction *a = plan->actions->pdata[0];
    ks_assert_str_eq(a->topic, "orders");
    ks_assert_str_eq(a->producer, "web");
    ks_assert_i64_eq(a->partition, 2);

    static const struct {
        const char *line, *where, *message;
    } cases[] = {
        {"at 1s produce producer=web topic=big\n", "5:34",
         "producer 'web' writes to 'orders'; 'produce producer=web' cannot send to 'big' (leave "
         "out topic=, or leave out producer= to send with the `set` configs)"},
        /* The topic is wrong before the partition is. */
        {"at 1s produce topic=big partition=7 producer=web\n", "5:21",
         "producer 'web' writes to 'orders'; 'produce producer=web' cannot send to 'big'"},
        /* partition=7 exists in big, not in the producer's topic. */
        {"at 1s produce producer=web partition=7\n", "5:38",
         "orders has 3 partitions (0-2); there is no orders-7"},
        {"at 1s produce producer=web topic=orders partition=3\n", "5:51",
         "orders has 3 partitions (0-2); there is no orders-3"},
        /* Without producer=, any topic. */
        {"at 1s produce topic=big partition=12\n", "5:35",
         "big has 12 partitions (0-11); there is no big-12"},
    };
    for (size_t i = 0; i < G_N_ELEMENTS(cases); i++) {
        g_autofree char *text = g_strconcat(decls, cases[i].line, NULL);
        int code = 0;
        g_autofree char *msg = parse_err_flags(text, KS_SCENARIO_PARSE_ALLOW_UNSUPPORTED, &code);
        g_autofree char *want =
            g_strdup_printf("test.ks:%s: error: %s", cases[i].where, cases[i].message);
        if (!g_str_has_prefix(msg, want))
            fail_msg("for:\n%s  got      %s\n  expected %s...", text, msg, want);
    }
    g_autofree char *other = g_strconcat(decls, "at 1s produce topic=big partition=11\n", NULL);
    g_autoptr(KsPlan) console = parse_ok(other);
    assert_null(((KsPlanAction *)console->actions->pdata[0])->producer);
}

/* `produce` without producer= sends with a producer built from the `set`
 * lines alone, so `set` lines that Kafka's producer would refuse are an
 * error then, at the later token of the conflict; without such an action
 * they are only defaults for declared producers. */
static void test_scenario_set_conflicts_with_console_produce(void **state)
{
    static const char acks[] = "Must set acks to all in order to use the idempotent producer. "
                               "Otherwise we cannot guarantee idempotence.";
    static const char retries[] = "Must set retries to non-zero when using the idempotent "
                                  "producer.";
    static const char inflight[] = "Must set max.in.flight.requests.per.connection to at most 5 "
                                   "to use the idempotent producer.";
    static const char delivery[] = "delivery.timeout.ms should be equal to or larger than "
                                   "linger.ms + request.timeout.ms";
    static const struct {
        const char *sets, *where, *message;
    } cases[] = {
        /* The later of the two `set` tokens, across lines or on one. */
        {"set enable.idempotence=true\nset retries=3 acks=1\n", "4:15", acks},
        {"set acks=1\nset retries=3 enable.idempotence=true\n", "4:15", acks},
        {"set acks=1 enable.idempotence=true\n", "3:12", acks},
        {"set enable.idempotence=true acks=0\n", "3:29", acks},
        {"set retries=0 enable.idempotence=true\n", "3:15", retries},
        {"set enable.idempotence=true max.in.flight.requests.per.connection=6\n", "3:29", inflight},
        /* Kafka's order: retries before acks. */
        {"set enable.idempotence=true retries=0 acks=1\n", "3:29", retries},
        {"set delivery.timeout.ms=10s\n", "3:5", delivery},
        {"set delivery.timeout.ms=40s\nset linger.ms=15s\n", "4:5", delivery},
        {"set linger.ms=15s\nset delivery.timeout.ms=40s\n", "4:5", delivery},
        {"set request.timeout.ms=5s linger.ms=1s delivery.timeout.ms=5s\n", "3:40", delivery},
        /* `set` lines below the topic count as well. */
        {"topic u\nset enable.idempotence=true\nset acks=1\n", "5:5", acks},
    };
    for (size_t i = 0; i < G_N_ELEMENTS(cases); i++) {
        g_autofree char *text =
            g_strconcat(CLUSTER3 "topic t\n", cases[i].sets, "at 1s produce topic=t\n", NULL);
        int produce_line = 1;
        for (const char *c = text; *c; c++)
            produce_line += *c == '\n';
        produce_line--;
        int code = 0;
        g_autofree char *msg = parse_err_flags(text, KS_SCENARIO_PARSE_ALLOW_UNSUPPORTED, &code);
        g_autofree char *want = g_strdup_printf(
            "test.ks:%s: error: %s (`produce` without producer= on line %d sends with the `set` "
            "configs)",
            cases[i].where, cases[i].message, produce_line);
        if (strcmp(msg, want) != 0)
            fail_msg("for:\n%s  got      %s\n  expected %s", text, msg, want);
        ks_assert_i64_eq(code, KS_SCENARIO_ERROR_VALUE);
    }

    /* Not errors: Kafka turns idempotence off when it was not asked for,
     * raises a delivery timeout that was not given, and builds no console
     * producer for a scenario whose `produce` lines all name a producer. */
    static const char *const fine[] = {
        "set acks=1\nat 1s produce topic=t\n",
        "set enable.idempotence=false acks=1\nat 1s produce topic=t\n",
        "set linger.ms=200s\nat 1s produce topic=t\n",
        "set enable.idempotence=true acks=1\n",
        ("set enable.idempotence=true acks=1\nproducer p topic=t acks=all\n"
         "at 1s produce producer=p\n"),
        /* A `set` action changes configs at run time, after the console
         * producer is built. */
        "set enable.idempotence=true\nat 1s set acks=1\nat 2s produce topic=t\n",
    };
    for (size_t i = 0; i < G_N_ELEMENTS(fine); i++) {
        g_autofree char *text = g_strconcat(CLUSTER3 "topic t\n", fine[i], NULL);
        g_autoptr(KsPlan) plan = parse_ok(text);
        assert_non_null(plan);
    }

    /* The same `set` lines with a console `produce` further down: refused. */
    g_autofree char *msg = parse_err_flags(CLUSTER3 "topic t\n"
                                                    "set enable.idempotence=true acks=1\n"
                                                    "producer p topic=t acks=all\n"
                                                    "at 1s produce producer=p\n"
                                                    "every 1s produce topic=t\n"
                                                    "run until 5s\n",
                                           KS_SCENARIO_PARSE_ALLOW_UNSUPPORTED, NULL);
    if (!g_str_has_prefix(msg, "test.ks:3:29: error: Must set acks to all") ||
        !strstr(msg, "on line 6"))
        fail_msg("got %s", msg);
}

static void test_scenario_producer_defaults_and_partitioners(void **state)
{
    g_autoptr(KsPlan) plan =
        parse_ok(CLUSTER3 "topic t partitions=4\n"
                          "producer plain topic=t\n"
                          "producer keyed topic=t rate=500/s partitioner=key keys=1000 "
                          "key-prefix=\"user \" record-size=512 count=10000 node=n2\n"
                          "producer pinned topic=t partition=3 rate=0\n"
                          "producer rr topic=t partitioner=round-robin\n"
                          "producer st topic=t partitioner=sticky keys=5\n");
    const KsPlanProducer *p = ks_plan_find_producer(plan, "plain");
    ks_assert_str_eq(p->topic, "t");
    assert_null(p->node);
    ks_assert_i64_eq(p->rate_per_s, 0);
    ks_assert_i64_eq(p->partitioner, KS_PARTITIONER_DEFAULT);
    ks_assert_i64_eq(p->partition, -1);
    ks_assert_i64_eq(p->keys, 0);
    ks_assert_str_eq(p->key_prefix, "key-");
    ks_assert_i64_eq(p->record_size, 100);
    ks_assert_i64_eq(p->count, -1);
    ks_assert_i64_eq(p->loc.line, 3);
    ks_assert_i64_eq(p->loc.col, 1);
    const KsPlanProducer *k = ks_plan_find_producer(plan, "keyed");
    ks_assert_i64_eq(k->rate_per_s, 500);
    ks_assert_i64_eq(k->partitioner, KS_PARTITIONER_KEY);
    ks_assert_i64_eq(k->keys, 1000);
    ks_assert_str_eq(k->key_prefix, "user ");
    ks_assert_i64_eq(k->record_size, 512);
    ks_assert_i64_eq(k->count, 10000);
    ks_assert_str_eq(k->node, "n2");
    const KsPlanProducer *e = ks_plan_find_producer(plan, "pinned");
    ks_assert_i64_eq(e->partitioner, KS_PARTITIONER_EXPLICIT);
    ks_assert_i64_eq(e->partition, 3);
    ks_assert_i64_eq(ks_plan_find_producer(plan, "rr")->partitioner, KS_PARTITIONER_ROUND_ROBIN);
    ks_assert_i64_eq(ks_plan_find_producer(plan, "st")->partitioner, KS_PARTITIONER_STICKY);
    assert_null(ks_plan_find_producer(plan, "nope"));
}

static void test_scenario_groups_and_consumers(void **state)
{
    g_autoptr(KsPlan) plan = parse_ok(CLUSTER3 "topic orders\ntopic payments\n"
                                               "consumer c1 group=billing topics=orders,payments\n"
                                               "group billing assignor=roundrobin\n"
                                               "group coop assignor=cooperative-sticky\n"
                                               "group eager assignor=cooperative-sticky "
                                               "protocol=eager\n"
                                               "consumer c2 group=other topics=orders node=n3\n");
    ks_assert_i64_eq(plan->groups->len, 4);
    /* Kafka creates groups on first use; a later `group` line configures it. */
    const KsPlanGroup *billing = ks_plan_find_group(plan, "billing");
    ks_assert_i64_eq(billing->assignor, KS_ASSIGNOR_ROUNDROBIN);
    ks_assert_i64_eq(billing->protocol, KS_PROTOCOL_EAGER);
    ks_assert_i64_eq(billing->loc.line, 5);
    const KsPlanGroup *coop = ks_plan_find_group(plan, "coop");
    ks_assert_i64_eq(coop->protocol, KS_PROTOCOL_COOPERATIVE);
    ks_assert_i64_eq(ks_plan_find_group(plan, "eager")->protocol, KS_PROTOCOL_EAGER);
    const KsPlanGroup *other = ks_plan_find_group(plan, "other");
    ks_assert_i64_eq(other->assignor, KS_ASSIGNOR_RANGE);
    ks_assert_i64_eq(other->protocol, KS_PROTOCOL_EAGER);
    const KsPlanConsumer *c1 = ks_plan_find_consumer(plan, "c1");
    ks_assert_str_eq(c1->group, "billing");
    ks_assert_i64_eq(c1->topics->len, 2);
    ks_assert_str_eq(c1->topics->pdata[0], "orders");
    ks_assert_str_eq(c1->topics->pdata[1], "payments");
    assert_true(c1->start_at_zero);
    assert_null(c1->node);
    ks_assert_str_eq(ks_plan_find_consumer(plan, "c2")->node, "n3");

    const unsigned all = KS_SCENARIO_PARSE_ALLOW_UNSUPPORTED;
    g_autofree char *m1 = parse_err_flags(CLUSTER3 "group g\ngroup g\n", all, NULL);
    ks_assert_str_eq(m1, "test.ks:3:7: error: group 'g' is already declared on line 2");
    g_autofree char *m2 = parse_err(CLUSTER3 "topic t\nconsumer c group=g topics=t,t\n", NULL);
    /* (consumer lines are validated before any "not supported yet") */
    ks_assert_str_eq(m2, "test.ks:3:29: error: topic 't' is listed twice");
    g_autofree char *m3 = parse_err(CLUSTER3 "topic t\nconsumer c group=g\n", NULL);
    ks_assert_str_eq(m3, "test.ks:3:1: error: consumer needs topics=, e.g. "
                         "topics=orders,payments; usage: consumer NAME group=G topics=T1,T2,... "
                         "[node=NAME] [processing=DURATION] [commit=auto|sync|async|before] "
                         "[from-offset=N] [consumer configs]");
}

static void test_scenario_zookeeper_and_flume(void **state)
{
    g_autoptr(KsPlan) plan = parse_ok(CLUSTER3 "node zk1\nzookeeper node=zk1 servers=3\n"
                                               "topic logs\n"
                                               "flume agent topic=logs rate=200/s capacity=1000 "
                                               "batch-size=50 acks=1\n"
                                               "flume plain topic=logs rate=1/s\n");
    assert_non_null(plan->zookeeper);
    ks_assert_str_eq(plan->zookeeper->node, "zk1");
    ks_assert_i64_eq(plan->zookeeper->servers, 3);
    ks_assert_i64_eq(plan->flumes->len, 2);
    const KsPlanFlume *f = plan->flumes->pdata[0];
    ks_assert_i64_eq(f->rate_per_s, 200);
    ks_assert_i64_eq(f->channel_capacity, 1000);
    ks_assert_i64_eq(f->batch_size, 50);
    ks_assert_i64_eq(ks_config_resolve(KS_CFG_ACKS, f->configs, plan->defaults), 1);
    const KsPlanFlume *g = plan->flumes->pdata[1];
    ks_assert_i64_eq(g->channel_capacity, 100);
    ks_assert_i64_eq(g->batch_size, 100);

    g_autoptr(KsPlan) none = parse_ok(CLUSTER3);
    assert_null(none->zookeeper);
}

/* ------------------------------------------------------------------------ */
/* Timeline                                                                   */

static const KsPlanAction *action(const KsPlan *plan, guint i)
{
    return plan->actions->pdata[i];
}

static void test_scenario_actions_sorted_with_ties_in_file_order(void **state)
{
    g_autoptr(KsPlan) plan = parse_ok(CLUSTER3 "topic t\n"
                                               "at 0 say \"start\"\n"
                                               "every 5s snapshot\n"
                                               "at 5s crash broker 2\n"
                                               "every 2s produce topic=t\n"
                                               "at 9s restart broker 2\n"
                                               "run until 30s\n");
    ks_assert_i64_eq(plan->actions->len, 5);
    static const struct {
        KsActionKind kind;
        KsTime at, every;
        int line;
    } want[] = {
        {KS_ACTION_SAY, 0, 0, 3},
        {KS_ACTION_PRODUCE, 2 * KS_TIME_S, 2 * KS_TIME_S, 6},
        {KS_ACTION_SNAPSHOT, 5 * KS_TIME_S, 5 * KS_TIME_S, 4},
        {KS_ACTION_CRASH_BROKER, 5 * KS_TIME_S, 0, 5},
        {KS_ACTION_RESTART_BROKER, 9 * KS_TIME_S, 0, 7},
    };
    for (guint i = 0; i < G_N_ELEMENTS(want); i++) {
        ks_assert_i64_eq(action(plan, i)->kind, want[i].kind);
        ks_assert_i64_eq(action(plan, i)->at, want[i].at);
        ks_assert_i64_eq(action(plan, i)->every, want[i].every);
        ks_assert_i64_eq(action(plan, i)->loc.line, want[i].line);
    }
    ks_assert_i64_eq(action(plan, 0)->loc.col, 6);
    ks_assert_str_eq(action(plan, 0)->text, "start");
    ks_assert_i64_eq(action(plan, 3)->broker, 2);
    assert_true(plan->has_run);
    ks_assert_i64_eq(plan->run_until, 30 * KS_TIME_S);
    ks_assert_i64_eq(plan->run_loc.line, 8);
}

static void test_scenario_run_semantics(void **state)
{
    /* `run for` counts from the latest `at` line above it. */
    g_autoptr(KsPlan) a = parse_ok(CLUSTER3 "at 5s crash broker 1\nat 7s restart broker 1\n"
                                            "run for 10s\n");
    ks_assert_i64_eq(a->run_until, 17 * KS_TIME_S);
    g_autoptr(KsPlan) b = parse_ok(CLUSTER3 "run for 10s\n");
    ks_assert_i64_eq(b->run_until, 10 * KS_TIME_S);
    /* Without a run line the run ends with the last action. */
    g_autoptr(KsPlan) c = parse_ok(CLUSTER3 "at 5s crash broker 1\nat 7s restart broker 1\n");
    assert_false(c->has_run);
    ks_assert_i64_eq(c->run_until, 7 * KS_TIME_S);
    g_autoptr(KsPlan) d = parse_ok(CLUSTER3);
    ks_assert_i64_eq(d->run_until, 0);
    /* Actions may follow the run line as long as they fall inside it. */
    g_autoptr(KsPlan) e = parse_ok(CLUSTER3 "run until 20s\nat 20s crash broker 1\n"
                                            "every 20s snapshot\nexpect alive broker 1\n");
    ks_assert_i64_eq(e->actions->len, 2);
    ks_assert_i64_eq(e->expects->len, 1);
    g_autoptr(KsPlan) f = parse_ok(CLUSTER3 "run until 0\n");
    assert_true(f->has_run);
    ks_assert_i64_eq(f->run_until, 0);

    g_autofree char *m1 =
        parse_err(CLUSTER3 "at 5s crash broker 1\nrun for 1h\nrun until 2h\n", NULL);
    ks_assert_str_eq(m1, "test.ks:4:1: error: the run is already set on line 3");
    g_autofree char *m2 = parse_err(CLUSTER3 "run until 8760h\nrun for 1s\n", NULL);
    ks_assert_str_eq(m2, "test.ks:3:1: error: the run is already set on line 2");
    g_autofree char *m3 = parse_err(CLUSTER3 "at 8760h say \"x\"\nrun for 1s\n", NULL);
    ks_assert_str_eq(m3, "test.ks:3:9: error: the run would end after 8760h (365 days)");
    g_autofree char *m4 = parse_err(CLUSTER3 "run until 5s now\n", NULL);
    ks_assert_str_eq(m4, "test.ks:2:14: error: unexpected 'now' after the run's time");
}

static void test_scenario_action_arguments(void **state)
{
    g_autoptr(KsPlan) plan =
        parse_ok(CLUSTER3 "topic orders partitions=3\ntopic a-1 partitions=3\n"
                          "producer web topic=orders\n"
                          "consumer c1 group=billing topics=orders\n"
                          "at 1s produce topic=orders key=user-7 count=10\n"
                          "at 1s produce producer=web key=\"a key\" partition=2\n"
                          "at 2s add broker 4 node=n1 rack=r1 replica.lag.time.max.ms=5s\n"
                          "at 2s crash broker 4\n"
                          "at 3s partition-network n1,n2 | n3\n"
                          "at 3s partition-network n1 n2 | n3\n"
                          "at 4s heal-network\n"
                          "at 4s elect-preferred\n"
                          "at 4s elect-preferred a-1\n"
                          "at 4s elect-preferred a-1-2\n"
                          "at 5s reassign orders-1 replicas={3,1,2}\n"
                          "at 5s set acks=0 min.insync.replicas=2\n"
                          "at 6s start consumer c2 group=billing topics=orders,a-1\n"
                          "at 6s start consumer c1 group=other session.timeout.ms=10s\n"
                          "at 7s stop consumer c1\nat 7s crash consumer c2\n"
                          "at 8s stop producer web\nat 8s start producer web\n"
                          "at 9s crash node n2\nat 9s restart node n2\n"
                          "at 9s snapshot\nat 9s snapshot after-failover\n");
    const KsPlanAction *a = action(plan, 0);
    ks_assert_i64_eq(a->kind, KS_ACTION_PRODUCE);
    ks_assert_str_eq(a->topic, "orders");
    ks_assert_str_eq(a->key, "user-7");
    ks_assert_i64_eq(a->count, 10);
    ks_assert_i64_eq(a->partition, -1);
    assert_null(a->producer);
    a = action(plan, 1);
    ks_assert_str_eq(a->topic, "orders"); /* the producer's topic */
    ks_assert_str_eq(a->producer, "web");
    ks_assert_str_eq(a->key, "a key");
    ks_assert_i64_eq(a->partition, 2);
    ks_assert_i64_eq(a->count, 1);
    a = action(plan, 2);
    ks_assert_i64_eq(a->kind, KS_ACTION_ADD_BROKER);
    ks_assert_i64_eq(a->broker, 4);
    ks_assert_str_eq(a->node, "n1");
    ks_assert_str_eq(a->rack, "r1");
    ks_assert_i64_eq(ks_config_resolve(KS_CFG_REPLICA_LAG_TIME_MAX_MS, a->configs, NULL),
                     5 * KS_TIME_S);
    /* An added broker is not one of the brokers that start at 0 s. */
    assert_null(ks_plan_find_broker(plan, 4));
    ks_assert_i64_eq(action(plan, 3)->broker, 4);
    for (guint i = 4; i <= 5; i++) {
        a = action(plan, i);
        ks_assert_i64_eq(a->kind, KS_ACTION_PARTITION_NETWORK);
        ks_assert_i64_eq(a->side_a->len, 2);
        ks_assert_str_eq(a->side_a->pdata[1], "n2");
        ks_assert_i64_eq(a->side_b->len, 1);
        ks_assert_str_eq(a->side_b->pdata[0], "n3");
    }
    ks_assert_i64_eq(action(plan, 6)->kind, KS_ACTION_HEAL_NETWORK);
    a = action(plan, 7);
    assert_null(a->target.topic);
    a = action(plan, 8);
    ks_assert_str_eq(a->target.topic, "a-1"); /* a topic wins over partition 1 of "a" */
    ks_assert_i64_eq(a->target.partition, -1);
    a = action(plan, 9);
    ks_assert_str_eq(a->target.topic, "a-1");
    ks_assert_i64_eq(a->target.partition, 2);
    a = action(plan, 10);
    ks_assert_i64_eq(a->kind, KS_ACTION_REASSIGN);
    ks_assert_str_eq(a->target.topic, "orders");
    ks_assert_i64_eq(a->target.partition, 1);
    ks_assert_i64_eq(a->replicas->len, 3);
    ks_assert_i64_eq(g_array_index(a->replicas, KsBrokerId, 0), 3); /* order kept */
    a = action(plan, 11);
    ks_assert_i64_eq(a->kind, KS_ACTION_SET_CONFIG);
    ks_assert_i64_eq(ks_config_resolve(KS_CFG_ACKS, a->configs, NULL), 0);
    ks_assert_i64_eq(ks_config_resolve(KS_CFG_MIN_INSYNC_REPLICAS, a->configs, NULL), 2);
    /* start consumer with group= and topics= defines a new consumer... */
    a = action(plan, 12);
    ks_assert_str_eq(a->name, "c2");
    assert_null(a->group);
    const KsPlanConsumer *c2 = ks_plan_find_consumer(plan, "c2");
    assert_false(c2->start_at_zero);
    ks_assert_i64_eq(c2->topics->len, 2);
    /* ...and overrides a declared one. */
    a = action(plan, 13);
    ks_assert_str_eq(a->name, "c1");
    ks_assert_str_eq(a->group, "other");
    assert_null(a->topics);
    ks_assert_i64_eq(ks_config_resolve(KS_CFG_SESSION_TIMEOUT_MS, a->configs, NULL),
                     10 * KS_TIME_S);
    assert_non_null(ks_plan_find_group(plan, "other"));
    ks_assert_i64_eq(action(plan, 14)->kind, KS_ACTION_STOP_CONSUMER);
    ks_assert_i64_eq(action(plan, 15)->kind, KS_ACTION_CRASH_CONSUMER);
    ks_assert_str_eq(action(plan, 15)->name, "c2");
    ks_assert_i64_eq(action(plan, 16)->kind, KS_ACTION_STOP_PRODUCER);
    ks_assert_i64_eq(action(plan, 17)->kind, KS_ACTION_START_PRODUCER);
    ks_assert_i64_eq(action(plan, 18)->kind, KS_ACTION_CRASH_NODE);
    ks_assert_str_eq(action(plan, 19)->name, "n2");
    assert_null(action(plan, 20)->name);
    ks_assert_str_eq(action(plan, 21)->name, "after-failover");
}

static void test_scenario_added_broker_exists_only_after_it_is_added(void **state)
{
    const unsigned all = KS_SCENARIO_PARSE_ALLOW_UNSUPPORTED;
    g_autofree char *m1 = parse_err_flags(
        CLUSTER3 "at 5s add broker 4 node=n1\nevery 1s crash broker 4\nrun until 9s\n", all, NULL);
    ks_assert_str_eq(
        m1, "test.ks:3:23: error: broker 4 is added at 5s (line 2); it does not exist at 1s");
    g_autofree char *m2 = parse_err_flags(CLUSTER3 "at 5s add broker 3 node=n1\n", all, NULL);
    ks_assert_str_eq(m2, "test.ks:2:18: error: broker 3 is already declared on line 1");
    g_autofree char *m3 = parse_err_flags(CLUSTER3 "at 5s add broker 4 node=n9\n", all, NULL);
    ks_assert_str_eq(m3, "test.ks:2:25: error: node 'n9' is not declared; nodes are n1, n2, n3");
}

/* ------------------------------------------------------------------------ */
/* Expect                                                                     */

static const KsPlanExpect *expect_n(const KsPlan *plan, guint i)
{
    return plan->expects->pdata[i];
}

static void test_scenario_expect_conditions(void **state)
{
    g_autoptr(KsPlan) plan =
        parse_ok(CLUSTER3 "topic orders partitions=2\nconsumer c1 group=billing topics=orders\n"
                          "expect leader orders-0 == 1   # trailing comment\n"
                          "expect leader orders-1 != none\n"
                          "expect isr orders-0 == {3,1}\n"
                          "expect replicas orders-0 != {}\n"
                          "expect leader-epoch orders-0 >= 2\n"
                          "expect log-end-offset orders-1 < 100\n"
                          "expect high-watermark orders-1 <= 99\n"
                          "expect alive broker 2\n"
                          "expect alive broker 3 == false\n"
                          "expect controller == 1\n"
                          "expect lag billing > 0\n"
                          "expect committed billing orders-1 == 5\n"
                          "expect group-state billing == Stable\n"
                          "expect assignment c1 == {orders-1,orders-0}\n"
                          "expect no-acked-data-loss\n"
                          "expect no-duplicates\n"
                          "expect records-acked >= 100\n"
                          "expect unavailable-us < 1.5s\n"
                          "expect unavailable-us == 250\n"
                          "expect rebalances == 1\n");
    ks_assert_i64_eq(plan->expects->len, 20);
    const KsPlanExpect *e = expect_n(plan, 0);
    ks_assert_i64_eq(e->kind, KS_EXPECT_LEADER);
    ks_assert_str_eq(e->partition.topic, "orders");
    ks_assert_i64_eq(e->partition.partition, 0);
    ks_assert_i64_eq(e->cmp, KS_CMP_EQ);
    ks_assert_i64_eq(e->number, 1);
    ks_assert_str_eq(e->text, "leader orders-0 == 1");
    ks_assert_i64_eq(e->loc.line, 4);
    ks_assert_i64_eq(e->loc.col, 8);
    e = expect_n(plan, 1);
    ks_assert_i64_eq(e->cmp, KS_CMP_NE);
    ks_assert_i64_eq(e->number, KS_NO_BROKER);
    e = expect_n(plan, 2);
    ks_assert_i64_eq(e->kind, KS_EXPECT_ISR);
    ks_assert_i64_eq(e->set_ids->len, 2);
    ks_assert_i64_eq(g_array_index(e->set_ids, KsBrokerId, 0), 1); /* sorted */
    ks_assert_i64_eq(g_array_index(e->set_ids, KsBrokerId, 1), 3);
    e = expect_n(plan, 3);
    ks_assert_i64_eq(e->kind, KS_EXPECT_REPLICAS);
    ks_assert_i64_eq(e->set_ids->len, 0);
    e = expect_n(plan, 4);
    ks_assert_i64_eq(e->kind, KS_EXPECT_LEADER_EPOCH);
    ks_assert_i64_eq(e->cmp, KS_CMP_GE);
    ks_assert_i64_eq(e->number, 2);
    ks_assert_i64_eq(expect_n(plan, 5)->cmp, KS_CMP_LT);
    ks_assert_i64_eq(expect_n(plan, 5)->kind, KS_EXPECT_LOG_END_OFFSET);
    ks_assert_i64_eq(expect_n(plan, 6)->cmp, KS_CMP_LE);
    ks_assert_i64_eq(expect_n(plan, 6)->kind, KS_EXPECT_HIGH_WATERMARK);
    e = expect_n(plan, 7);
    ks_assert_i64_eq(e->kind, KS_EXPECT_ALIVE);
    ks_assert_i64_eq(e->broker, 2);
    ks_assert_i64_eq(e->cmp, KS_CMP_EQ);
    ks_assert_i64_eq(e->number, 1);
    ks_assert_i64_eq(expect_n(plan, 8)->number, 0);
    e = expect_n(plan, 9);
    ks_assert_i64_eq(e->kind, KS_EXPECT_CONTROLLER);
    ks_assert_i64_eq(e->number, 1);
    assert_null(e->partition.topic);
    e = expect_n(plan, 10);
    ks_assert_i64_eq(e->kind, KS_EXPECT_LAG);
    ks_assert_str_eq(e->name, "billing");
    ks_assert_i64_eq(e->cmp, KS_CMP_GT);
    e = expect_n(plan, 11);
    ks_assert_i64_eq(e->kind, KS_EXPECT_COMMITTED);
    ks_assert_str_eq(e->name, "billing");
    ks_assert_i64_eq(e->partition.partition, 1);
    ks_assert_i64_eq(e->number, 5);
    e = expect_n(plan, 12);
    ks_assert_i64_eq(e->kind, KS_EXPECT_GROUP_STATE);
    ks_assert_str_eq(e->word, "Stable");
    e = expect_n(plan, 13);
    ks_assert_i64_eq(e->kind, KS_EXPECT_ASSIGNMENT);
    ks_assert_str_eq(e->name, "c1");
    ks_assert_i64_eq(e->set_names->len, 2);
    ks_assert_str_eq(e->set_names->pdata[0], "orders-0");
    ks_assert_str_eq(e->set_names->pdata[1], "orders-1");
    ks_assert_i64_eq(expect_n(plan, 14)->kind, KS_EXPECT_NO_ACKED_DATA_LOSS);
    ks_assert_i64_eq(expect_n(plan, 15)->kind, KS_EXPECT_NO_DUPLICATES);
    e = expect_n(plan, 16);
    ks_assert_i64_eq(e->kind, KS_EXPECT_STAT);
    ks_assert_i64_eq(e->stat, KS_STAT_RECORDS_ACKED);
    ks_assert_i64_eq(e->number, 100);
    ks_assert_str_eq(e->text, "records-acked >= 100");
    e = expect_n(plan, 17);
    ks_assert_i64_eq(e->stat, KS_STAT_UNAVAILABLE_US);
    ks_assert_i64_eq(e->number, 1500000);
    ks_assert_i64_eq(expect_n(plan, 18)->number, 250);
    ks_assert_i64_eq(expect_n(plan, 19)->stat, KS_STAT_REBALANCES);
}

static void test_scenario_every_stat_has_a_condition(void **state)
{
    static const char *const names[] = {
        "records-produced", "records-acked",    "records-refused",
        "records-lost",     "records-consumed", "records-duplicated",
        "leader-elections", "rebalances",       "unavailable-us",
    };
    for (int s = KS_STAT_RECORDS_PRODUCED; s <= KS_STAT_UNAVAILABLE_US; s++) {
        g_autofree char *text = g_strdup_printf(CLUSTER3 "expect %s >= 0\n", names[s]);
        g_autoptr(KsPlan) plan = parse_ok(text);
        ks_assert_i64_eq(expect_n(plan, 0)->stat, s);
    }
}

static void test_scenario_timed_expect(void **state)
{
    g_autoptr(KsPlan) plan = parse_ok(CLUSTER3 "topic t\nat 5s expect leader t-0 == 2\n"
                                               "every 10s expect alive broker 1\n"
                                               "run until 20s\nexpect records-produced == 0\n");
    ks_assert_i64_eq(plan->actions->len, 2);
    const KsPlanAction *a = action(plan, 0);
    ks_assert_i64_eq(a->kind, KS_ACTION_EXPECT);
    ks_assert_i64_eq(a->at, 5 * KS_TIME_S);
    ks_assert_i64_eq(a->expect->kind, KS_EXPECT_LEADER);
    ks_assert_str_eq(a->expect->text, "leader t-0 == 2");
    ks_assert_i64_eq(a->expect->loc.col, 14);
    ks_assert_i64_eq(action(plan, 1)->every, 10 * KS_TIME_S);
    ks_assert_i64_eq(plan->expects->len, 1);
}

static void test_scenario_partition_names(void **state)
{
    /* Split at the last '-' followed only by digits. */
    g_autoptr(KsPlan) plan = parse_ok(CLUSTER3 "topic a-1 partitions=3\ntopic 2024 partitions=2\n"
                                               "topic x.y_z partitions=11\n"
                                               "expect leader a-1-2 == 1\n"
                                               "expect leader 2024-1 == 1\n"
                                               "expect leader x.y_z-10 == 1\n");
    ks_assert_str_eq(expect_n(plan, 0)->partition.topic, "a-1");
    ks_assert_i64_eq(expect_n(plan, 0)->partition.partition, 2);
    ks_assert_str_eq(expect_n(plan, 1)->partition.topic, "2024");
    ks_assert_i64_eq(expect_n(plan, 2)->partition.partition, 10);

    static const struct {
        const char *text, *message;
    } bad[] = {
        {"expect leader a-1-3 == 1", "a-1 has 3 partitions (0-2); there is no a-1-3"},
        {"expect leader b-0 == 1", "topic 'b' is not declared; topics are a-1, 2024, x.y_z"},
        {"expect leader a-x == 1", "expected a partition written TOPIC-N, e.g. orders-0; found "
                                   "'a-x'"},
        {"expect leader -1 == 1", "expected a partition written TOPIC-N, e.g. orders-0; found "
                                  "'-1'"},
        {"expect leader \"a-1-0\" == 1", "unexpected '\"a-1-0\"'; usage: expect leader "
                                         "PARTITION ==|!= BROKER|none"},
    };
    for (size_t i = 0; i < G_N_ELEMENTS(bad); i++) {
        g_autofree char *text = g_strdup_printf(CLUSTER3 "topic a-1 partitions=3\ntopic 2024\n"
                                                         "topic x.y_z\n%s\n",
                                                bad[i].text);
        g_autofree char *msg = parse_err(text, NULL);
        if (!strstr(msg, bad[i].message))
            fail_msg("for '%s':\n  got %s\n  expected ... %s", bad[i].text, msg, bad[i].message);
    }
    g_autofree char *huge =
        parse_err(CLUSTER3 "topic a\nexpect leader a-99999999999999999999 == 1\n", NULL);
    ks_assert_str_eq(huge, "test.ks:3:15: error: a has 1 partition (0); there is no "
                           "a-99999999999999999999");
}

/* ------------------------------------------------------------------------ */
/* Errors and support                                                         */

static void test_scenario_error_codes(void **state)
{
    static const struct {
        const char *text;
        int code;
    } cases[] = {
        {CLUSTER3 "topik t\n", KS_SCENARIO_ERROR_SYNTAX},
        {CLUSTER3 "topic t partitions=abc\n", KS_SCENARIO_ERROR_VALUE},
        {CLUSTER3 "at 1s crash broker 9\n", KS_SCENARIO_ERROR_REFERENCE},
        {CLUSTER3 "at 1s say \"x\n", KS_SCENARIO_ERROR_SYNTAX},
    };
    for (size_t i = 0; i < G_N_ELEMENTS(cases); i++) {
        int code = -1;
        g_autofree char *msg = parse_err(cases[i].text, &code);
        ks_assert_i64_eq(code, cases[i].code);
        assert_true(g_str_has_prefix(msg, "test.ks:2:"));
    }
}

static void test_scenario_validates_before_refusing_unsupported(void **state)
{
    /* A real mistake on an unsupported line is reported as the mistake. */
    int code;
    g_autofree char *m1 = parse_err(CLUSTER3 "consumer c group=g topics=nope\n", &code);
    ks_assert_str_eq(m1, "test.ks:2:27: error: topic 'nope' is not declared; no topic is declared");
    ks_assert_i64_eq(code, KS_SCENARIO_ERROR_REFERENCE);
    g_autofree char *m2 = parse_err(CLUSTER3 "topic t retention.ms=abc\n", &code);
    ks_assert_i64_eq(code, KS_SCENARIO_ERROR_VALUE);
    ks_assert_str_eq(m2, "test.ks:2:22: error: retention.ms=abc: expected milliseconds or a "
                         "duration, e.g. retention.ms=604800000");
    g_autofree char *m3 = parse_err(CLUSTER3 "topic t\nat 1s crash consumer c\n", &code);
    ks_assert_str_eq(m3, "test.ks:3:22: error: consumer 'c' is not declared; no consumer is "
                         "declared");
}

/* One line per declaration, action, condition, stat and partitioner, with
 * what it needs above it. Whether each is refused follows support.c, so the
 * test keeps up as the simulator grows. */
typedef enum { SUP_DECL, SUP_ACTION, SUP_EXPECT, SUP_STAT, SUP_PARTITIONER } SupKind;

static bool supported(SupKind k, int kind)
{
    switch (k) {
    case SUP_DECL:
        return ks_support_decl((KsDeclKind)kind);
    case SUP_ACTION:
        return ks_support_action((KsActionKind)kind);
    case SUP_EXPECT:
        return ks_support_expect((KsExpectKind)kind);
    case SUP_STAT:
        return ks_support_stat((KsStatKind)kind);
    case SUP_PARTITIONER:
        return ks_support_partitioner((KsPartitionerKind)kind);
    }
    return false;
}

static void test_scenario_refuses_what_is_not_supported(void **state)
{
#define PRE   CLUSTER3 "topic t partitions=2\n"
#define PRE_P PRE "producer web topic=t\n"
#define PRE_C PRE "consumer c1 group=g topics=t\n"
    static const struct {
        SupKind k;
        int kind;
        const char *text; /* the line under test is the last one */
        int col;          /* where the refusal points */
        const char *what; /* quoted in the message; NULL: partitioner message */
    } cases[] = {
        {SUP_DECL, KS_DECL_SEED, PRE "seed 1\n", 1, "seed"},
        {SUP_DECL, KS_DECL_SET, PRE "set num.partitions=2\n", 1, "set"},
        {SUP_DECL, KS_DECL_CLUSTER, "cluster nodes=1\n", 1, "cluster"},
        {SUP_DECL, KS_DECL_NODE, "node n1\nbroker 1 node=n1\nnode n2\n", 1, "node"},
        {SUP_DECL, KS_DECL_BROKER, "node n1\nbroker 1 node=n1\n", 1, "broker"},
        {SUP_DECL, KS_DECL_ZOOKEEPER, PRE "zookeeper servers=3\n", 1, "zookeeper"},
        {SUP_DECL, KS_DECL_TOPIC, CLUSTER3 "topic t\n", 1, "topic"},
        {SUP_DECL, KS_DECL_PRODUCER, PRE "producer web topic=t\n", 1, "producer"},
        {SUP_DECL, KS_DECL_FLUME, PRE "flume f topic=t rate=1/s\n", 1, "flume"},
        {SUP_DECL, KS_DECL_GROUP, PRE "group g\n", 1, "group"},
        {SUP_DECL, KS_DECL_CONSUMER, PRE "consumer c1 group=g topics=t\n", 1, "consumer"},
        {SUP_ACTION, KS_ACTION_CRASH_BROKER, PRE "at 1s crash broker 1\n", 7, "crash broker"},
        {SUP_ACTION, KS_ACTION_RESTART_BROKER, PRE "at 1s restart broker 1\n", 7, "restart broker"},
        {SUP_ACTION, KS_ACTION_STOP_BROKER, PRE "at 1s stop broker 1\n", 7, "stop broker"},
        {SUP_ACTION, KS_ACTION_ADD_BROKER, PRE "at 1s add broker 4 node=n1\n", 7, "add broker"},
        {SUP_ACTION, KS_ACTION_CRASH_NODE, PRE "at 1s crash node n1\n", 7, "crash node"},
        {SUP_ACTION, KS_ACTION_RESTART_NODE, PRE "at 1s restart node n1\n", 7, "restart node"},
        {SUP_ACTION, KS_ACTION_START_CONSUMER, PRE_C "at 1s start consumer c1\n", 7,
         "start consumer"},
        {SUP_ACTION, KS_ACTION_STOP_CONSUMER, PRE_C "at 1s stop consumer c1\n", 7, "stop consumer"},
        {SUP_ACTION, KS_ACTION_CRASH_CONSUMER, PRE_C "at 1s crash consumer c1\n", 7,
         "crash consumer"},
        {SUP_ACTION, KS_ACTION_START_PRODUCER, PRE_P "at 1s start producer web\n", 7,
         "start producer"},
        {SUP_ACTION, KS_ACTION_STOP_PRODUCER, PRE_P "at 1s stop producer web\n", 7,
         "stop producer"},
        {SUP_ACTION, KS_ACTION_PRODUCE, PRE "at 1s produce topic=t\n", 7, "produce"},
        {SUP_ACTION, KS_ACTION_SAY, PRE "at 1s say \"hi\"\n", 7, "say"},
        {SUP_ACTION, KS_ACTION_SNAPSHOT, PRE "at 1s snapshot\n", 7, "snapshot"},
        {SUP_ACTION, KS_ACTION_PARTITION_NETWORK, PRE "at 1s partition-network n1 | n2\n", 7,
         "partition-network"},
        {SUP_ACTION, KS_ACTION_HEAL_NETWORK, PRE "at 1s heal-network\n", 7, "heal-network"},
        {SUP_ACTION, KS_ACTION_ELECT_PREFERRED, PRE "at 1s elect-preferred t\n", 7,
         "elect-preferred"},
        {SUP_ACTION, KS_ACTION_REASSIGN, PRE "at 1s reassign t-0 replicas={2}\n", 7, "reassign"},
        {SUP_ACTION, KS_ACTION_SET_CONFIG, PRE "at 1s set num.partitions=3\n", 7, "set"},
        {SUP_ACTION, KS_ACTION_EXPECT, PRE "at 1s expect alive broker 1\n", 7, "expect"},
        {SUP_EXPECT, KS_EXPECT_LEADER, PRE "expect leader t-0 == 1\n", 8, "expect leader"},
        {SUP_EXPECT, KS_EXPECT_ISR, PRE "expect isr t-0 == {1}\n", 8, "expect isr"},
        {SUP_EXPECT, KS_EXPECT_REPLICAS, PRE "expect replicas t-0 == {1}\n", 8, "expect replicas"},
        {SUP_EXPECT, KS_EXPECT_LEADER_EPOCH, PRE "expect leader-epoch t-0 == 0\n", 8,
         "expect leader-epoch"},
        {SUP_EXPECT, KS_EXPECT_LOG_END_OFFSET, PRE "expect log-end-offset t-0 == 0\n", 8,
         "expect log-end-offset"},
        {SUP_EXPECT, KS_EXPECT_HIGH_WATERMARK, PRE "expect high-watermark t-0 == 0\n", 8,
         "expect high-watermark"},
        {SUP_EXPECT, KS_EXPECT_ALIVE, PRE "expect alive broker 1\n", 8, "expect alive"},
        {SUP_EXPECT, KS_EXPECT_CONTROLLER, PRE "expect controller == 1\n", 8, "expect controller"},
        {SUP_EXPECT, KS_EXPECT_LAG, PRE_C "expect lag g == 0\n", 8, "expect lag"},
        {SUP_EXPECT, KS_EXPECT_COMMITTED, PRE_C "expect committed g t-0 == 0\n", 8,
         "expect committed"},
        {SUP_EXPECT, KS_EXPECT_GROUP_STATE, PRE_C "expect group-state g == Stable\n", 8,
         "expect group-state"},
        {SUP_EXPECT, KS_EXPECT_ASSIGNMENT, PRE_C "expect assignment c1 == {t-0}\n", 8,
         "expect assignment"},
        {SUP_EXPECT, KS_EXPECT_NO_ACKED_DATA_LOSS, PRE "expect no-acked-data-loss\n", 8,
         "expect no-acked-data-loss"},
        {SUP_EXPECT, KS_EXPECT_NO_DUPLICATES, PRE "expect no-duplicates\n", 8,
         "expect no-duplicates"},
        {SUP_STAT, KS_STAT_RECORDS_PRODUCED, PRE "expect records-produced >= 0\n", 8,
         "expect records-produced"},
        {SUP_STAT, KS_STAT_RECORDS_ACKED, PRE "expect records-acked >= 0\n", 8,
         "expect records-acked"},
        {SUP_STAT, KS_STAT_RECORDS_REFUSED, PRE "expect records-refused >= 0\n", 8,
         "expect records-refused"},
        {SUP_STAT, KS_STAT_RECORDS_LOST, PRE "expect records-lost >= 0\n", 8,
         "expect records-lost"},
        {SUP_STAT, KS_STAT_RECORDS_CONSUMED, PRE "expect records-consumed >= 0\n", 8,
         "expect records-consumed"},
        {SUP_STAT, KS_STAT_RECORDS_DUPLICATED, PRE "expect records-duplicated >= 0\n", 8,
         "expect records-duplicated"},
        {SUP_STAT, KS_STAT_LEADER_ELECTIONS, PRE "expect leader-elections >= 0\n", 8,
         "expect leader-elections"},
        {SUP_STAT, KS_STAT_REBALANCES, PRE "expect rebalances >= 0\n", 8, "expect rebalances"},
        {SUP_STAT, KS_STAT_UNAVAILABLE_US, PRE "expect unavailable-us >= 0\n", 8,
         "expect unavailable-us"},
        {SUP_PARTITIONER, KS_PARTITIONER_DEFAULT, PRE "producer p topic=t partitioner=default\n",
         32, NULL},
        {SUP_PARTITIONER, KS_PARTITIONER_KEY, PRE "producer p topic=t partitioner=key keys=9\n", 32,
         NULL},
        {SUP_PARTITIONER, KS_PARTITIONER_ROUND_ROBIN,
         PRE "producer p topic=t partitioner=round-robin\n", 32, NULL},
        {SUP_PARTITIONER, KS_PARTITIONER_STICKY, PRE "producer p topic=t partitioner=sticky\n", 32,
         NULL},
        {SUP_PARTITIONER, KS_PARTITIONER_EXPLICIT, PRE "producer p topic=t partition=1\n", 30,
         NULL},
    };
#undef PRE
#undef PRE_P
#undef PRE_C
    int checked = 0;
    for (size_t i = 0; i < G_N_ELEMENTS(cases); i++) {
        const char *text = cases[i].text;
        int line = 0;
        for (const char *c = text; *c; c++)
            line += *c == '\n';
        /* Everything parses once unsupported lines are allowed. */
        g_autoptr(KsPlan) all = parse_ok(text);
        assert_non_null(all);
        g_autoptr(GError) error = NULL;
        g_autoptr(KsPlan) plan = ks_scenario_parse("test.ks", text, strlen(text), &error);
        bool sup = supported(cases[i].k, cases[i].kind);
        g_autofree char *at_line = g_strdup_printf("test.ks:%d:", line);
        if (error && error->code == KS_SCENARIO_ERROR_UNSUPPORTED &&
            !g_str_has_prefix(error->message, at_line))
            continue; /* a line above it is refused first: cannot tell */
        if (cases[i].k == SUP_PARTITIONER && !ks_support_decl(KS_DECL_PRODUCER))
            continue; /* the producer line itself is refused */
        checked++;
        if (sup) {
            if (!plan)
                fail_msg("supported, yet refused: %s", error->message);
            continue;
        }
        if (plan)
            fail_msg("not supported, yet accepted:\n%s", text);
        ks_assert_i64_eq(error->code, KS_SCENARIO_ERROR_UNSUPPORTED);
        g_autofree char *prefix =
            cases[i].what
                ? g_strdup_printf("test.ks:%d:%d: error: '%s' is not supported yet: ", line,
                                  cases[i].col, cases[i].what)
                : g_strdup_printf("test.ks:%d:%d: error: partition", line, cases[i].col);
        if (!g_str_has_prefix(error->message, prefix))
            fail_msg("got      %s\nexpected %s...", error->message, prefix);
    }
    assert_true(checked > 0);

    /* Configs: every row of the table, set cluster-wide. */
    for (int k = 0; k < KS_CFG_COUNT; k++) {
        const KsConfigInfo *info = ks_config_info((KsConfigKey)k);
        g_autofree char *v = ks_config_format_value(info->key, info->def);
        g_autofree char *text = g_strdup_printf(CLUSTER3 "set %s=%s\n", info->name, v);
        g_autoptr(GError) error = NULL;
        g_autoptr(KsPlan) plan = ks_scenario_parse("test.ks", text, strlen(text), &error);
        if (info->supported) {
            if (!plan)
                fail_msg("%s is supported, yet refused: %s", info->name, error->message);
            continue;
        }
        assert_null(plan);
        ks_assert_i64_eq(error->code, KS_SCENARIO_ERROR_UNSUPPORTED);
        g_autofree char *want = g_strdup_printf("test.ks:2:5: error: config '%s' is not "
                                                "supported yet: the simulator does not model it",
                                                info->name);
        ks_assert_str_eq(error->message, want);
    }
}

static void test_scenario_messages_for_newcomers(void **state)
{
    static const struct {
        const char *text, *message;
    } cases[] = {
        {"brokr 1 node=n1\n", "1:1: error: unknown declaration 'brokr'; did you mean 'broker'?"},
        {"5s\n", "1:1: error: a line starts with a keyword such as `topic` or `at`, not '5s'"},
        {CLUSTER3 "at 1s crash\n", "2:7: error: 'crash' needs what to crash: broker, node or "
                                   "consumer"},
        {CLUSTER3 "at 1s\n", "2:6: error: expected an action, e.g. crash broker 2"},
        {CLUSTER3 "at 1s dance\n", "2:7: error: unknown action 'dance'; actions are crash, "
                                   "restart, stop, add, start, produce, say, snapshot, "
                                   "partition-network, heal-network, elect-preferred, reassign, "
                                   "set, expect"},
        {CLUSTER3 "at 1s crash brokr 1\n", "2:13: error: cannot crash 'brokr'; did you mean "
                                           "'broker'?; 'crash' takes broker, node or consumer"},
        {CLUSTER3 "at 1s crash broker\n", "2:7: error: crash broker needs a broker id; usage: "
                                          "crash broker ID"},
        {CLUSTER3 "at 1s crash broker n1\n", "2:20: error: expected a broker id (a whole "
                                             "number), found 'n1', e.g. crash broker 2"},
        {CLUSTER3 "at 1s crash broker 1 2\n", "2:22: error: unexpected '2'; usage: crash broker "
                                              "ID"},
        {CLUSTER3 "at 1s crash node n7\n", "2:18: error: node 'n7' is not declared; nodes are "
                                           "n1, n2, n3"},
        {CLUSTER3 "topic t\nat 1s start producer p\n", "3:22: error: producer 'p' is not "
                                                       "declared; no producer is declared"},
        {CLUSTER3 "at 1s snapshot {a}\n", "2:16: error: '{a}': expected a snapshot name, not a "
                                          "set, e.g. snapshot after-failover"},
        {CLUSTER3 "expect\n", "2:1: error: expect needs a condition, e.g. expect leader "
                              "orders-0 == 1"},
        {CLUSTER3 "expect lag\n", "2:11: error: the condition is incomplete; usage: expect lag "
                                  "GROUP OP N"},
        {CLUSTER3 "expect controller == 9\n", "2:22: error: broker 9 is not declared; brokers "
                                              "are 1, 2, 3"},
        {CLUSTER3 "topic t\nat 1s produce topic=t partition=x\n",
         "3:33: error: partition=x: expected a whole number, e.g. partition=0"},
        {CLUSTER3 "topic t\nat 1s produce topic=t count=0\n",
         "3:29: error: count=0 is out of range: it must be between 1 and 1000000000"},
        {CLUSTER3 "topic t\nat 1s reassign t-0 replicas={1,x}\n",
         "3:32: error: expected a broker id (a whole number), found 'x', e.g. replicas={1,2,3}"},
        {CLUSTER3 "at 1s partition-network n1 | n2 | n3\n",
         "2:33: error: partition-network splits the nodes in two: use one '|'"},
        {CLUSTER3 "topic t\nproducer p topic=t\nat 1s stop producer n1\n",
         "4:21: error: producer 'n1' is not declared; producers are p"},
        {CLUSTER3 "topic t | x\n", "2:9: error: unexpected '|'; usage: topic NAME"},
        {CLUSTER3 "topic t partition 3\n", "2:9: error: unexpected 'partition'; did you mean "
                                           "partitions=...? usage: topic NAME"},
        {CLUSTER3 "node n1\n", "2:6: error: node 'n1' is already declared on line 1"},
        {CLUSTER3 "topic t topics=x\n", "2:9: error: unknown key 'topics' for topic"},
        {CLUSTER3 "topic t acks=all\n", "2:9: error: 'acks' is a producer config; it cannot be "
                                        "set on a topic"},
        {CLUSTER3 "topic t retry.backoff.ms=5\n",
         "2:9: error: 'retry.backoff.ms' is a producer and consumer config; it cannot be set on "
         "a topic"},
        {CLUSTER3 "node n9 acks=1\n", "2:9: error: 'acks' is a Kafka config; node takes none"},
        {"broker 1 node=n1\n", "1:15: error: node 'n1' is not declared; no node is declared"},
        {"node n1\nbroker -1 node=n1\n", "2:8: error: '-1' is out of range: it must be between "
                                         "0 and 2147483647"},
        {CLUSTER3 "zookeeper\nzookeeper\n", "3:1: error: zookeeper is already declared on line "
                                            "2"},
        {CLUSTER3 "topic t\nproducer p topic=t partitioner=murmur\n",
         "3:32: error: partitioner=murmur: expected one of default, key, round-robin, sticky"},
        {CLUSTER3 "topic t\nproducer p topic=t partitioner=kye\n",
         "3:32: error: partitioner=kye: expected one of default, key, round-robin, sticky; did "
         "you mean 'key'?"},
        {CLUSTER3 "topic t\nconsumer c group=g topics={t}\n",
         "3:27: error: topics={t}: write the topics without braces, e.g. topics=orders,payments"},
        {CLUSTER3 "group g assignor=rr\n", "2:18: error: assignor=rr: expected one of range, "
                                           "roundrobin, sticky, cooperative-sticky"},
    };
    for (size_t i = 0; i < G_N_ELEMENTS(cases); i++) {
        /* These are mistakes, whatever the simulator supports today. */
        g_autofree char *msg =
            parse_err_flags(cases[i].text, KS_SCENARIO_PARSE_ALLOW_UNSUPPORTED, NULL);
        if (!g_str_has_prefix(msg + strlen("test.ks:"), cases[i].message))
            fail_msg("for:\n%s  got      %s\n  expected test.ks:%s", cases[i].text, msg,
                     cases[i].message);
    }
}

static void test_scenario_limits(void **state)
{
    /* A file over 16 MiB is refused before anything is read. */
    size_t big = 16 * 1024 * 1024 + 1;
    g_autofree char *text = g_malloc0(big);
    g_autoptr(GError) error = NULL;
    g_autoptr(KsPlan) plan = ks_scenario_parse("big.ks", text, big, &error);
    assert_null(plan);
    ks_assert_i64_eq(error->code, KS_SCENARIO_ERROR_IO);
    ks_assert_str_eq(error->message, "big.ks:1:1: error: the file is larger than 16 MiB; "
                                     "scenarios are limited to that");

    g_autofree char *m1 = parse_err("cluster nodes=10001\n", NULL);
    ks_assert_str_eq(m1, "test.ks:1:15: error: nodes=10001 is out of range: it must be between 1 "
                         "and 10000");
    g_autofree char *m2 = parse_err(CLUSTER3 "topic t partitions=100001\n", NULL);
    ks_assert_str_eq(m2, "test.ks:2:20: error: partitions=100001 is out of range: it must be "
                         "between 1 and 100000");
    GString *many = g_string_new(CLUSTER3);
    for (int i = 0; i < 11; i++)
        g_string_append_printf(many, "topic t%d partitions=100000\n", i);
    g_autofree char *m3 = parse_err(many->str, NULL);
    g_string_free(many, TRUE);
    ks_assert_str_eq(m3, "test.ks:12:1: error: too many partitions: the topics have more than "
                         "1000000 together");
    GString *name = g_string_new(CLUSTER3 "topic ");
    for (int i = 0; i < 250; i++)
        g_string_append_c(name, 'x');
    g_string_append_c(name, '\n');
    g_autofree char *m4 = parse_err(name->str, NULL);
    g_string_free(name, TRUE);
    ks_assert_str_eq(m4, "test.ks:2:7: error: topic name is 250 characters long; Kafka allows at "
                         "most 249");
    /* The largest cluster still parses. */
    g_autoptr(KsPlan) large = parse_ok("cluster nodes=100 brokers-per-node=100\n");
    ks_assert_i64_eq(large->brokers->len, 10000);
    g_autofree char *m5 = parse_err("cluster nodes=100 brokers-per-node=100\nnode x\n"
                                    "broker 0 node=x\n",
                                    NULL);
    ks_assert_str_eq(m5, "test.ks:3:8: error: too many brokers (at most 10000)");
}

static void test_scenario_parse_file(void **state)
{
    g_autoptr(GError) error = NULL;
    g_autoptr(KsPlan) plan = ks_scenario_parse_file("/nonexistent/x.ks", &error);
    assert_null(plan);
    ks_assert_i64_eq(error->code, KS_SCENARIO_ERROR_IO);
    ks_assert_str_eq(
        error->message,
        "/nonexistent/x.ks:1:1: error: cannot read the file: No such file or directory");
    g_clear_error(&error);
    g_autoptr(KsPlan) dir = ks_scenario_parse_file("/", &error);
    assert_null(dir);
    ks_assert_i64_eq(error->code, KS_SCENARIO_ERROR_IO);
}

/* Random garbage and mutated scenarios never crash, hang or leak, and every
 * error is one well-formed line. */
static void test_scenario_survives_garbage(void **state)
{
    static const char base[] =
        "seed 42\ncluster nodes=3 brokers-per-node=2 zones=a,b\n"
        "topic orders partitions=6 replication-factor=3\n"
        "producer web topic=orders rate=500/s partitioner=key keys=1000 acks=all\n"
        "consumer c1 group=billing topics=orders\n"
        "at 2s crash broker 2\nat 3s say \"hi \\\"there\\\"\"\n"
        "at 4s partition-network n1 | n2,n3\nevery 5s snapshot\nrun until 30s\n"
        "expect isr orders-0 == {1,3}\nexpect leader orders-0 != none\n";
    static const char alphabet[] = "a1-_.=,{}|\"\\#\n \t<>!0s/é\x01";
    uint64_t x = 0x9E3779B97F4A7C15ull;
    for (int i = 0; i < 3000; i++) {
        g_autofree char *text = g_strdup(base);
        size_t len = strlen(text);
        int edits = 1 + i % 4;
        for (int e = 0; e < edits; e++) {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            text[x % len] = alphabet[(x >> 20) % (sizeof alphabet - 1)];
        }
        g_autoptr(GError) error = NULL;
        g_autoptr(KsPlan) plan = ks_scenario_parse_full(
            "fuzz.ks", text, len, i % 2 ? KS_SCENARIO_PARSE_ALLOW_UNSUPPORTED : 0, &error);
        if (!plan) {
            assert_true(g_str_has_prefix(error->message, "fuzz.ks:"));
            assert_non_null(strstr(error->message, ": error: "));
            assert_null(strchr(error->message, '\n'));
        }
    }
}

static void test_scenario_parsing_is_deterministic(void **state)
{
    const char *text = CLUSTER3 "topic t partitions=3\nproducer p topic=t\n"
                                "every 3s produce topic=t\nat 3s crash broker 1\n"
                                "every 1s snapshot\nat 3s restart broker 1\nrun until 9s\n";
    g_autoptr(KsPlan) a = parse_ok(text);
    g_autoptr(KsPlan) b = parse_ok(text);
    ks_assert_i64_eq(a->actions->len, b->actions->len);
    for (guint i = 0; i < a->actions->len; i++) {
        ks_assert_i64_eq(action(a, i)->loc.line, action(b, i)->loc.line);
        ks_assert_i64_eq(action(a, i)->at, action(b, i)->at);
    }
    /* Ties at 3s keep file order; every's first run is its period. */
    static const int lines[] = {6, 4, 5, 7};
    for (guint i = 0; i < 4; i++)
        ks_assert_i64_eq(action(a, i)->loc.line, lines[i]);
}

/* ------------------------------------------------------------------------ */
/* Files: tests/bad, scenarios, docs                                          */

static gint cmp_path(gconstpointer a, gconstpointer b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

/* The .ks files of @dir, sorted; none if it does not exist. */
static GPtrArray *list_ks_files(const char *dir)
{
    GPtrArray *files = g_ptr_array_new_with_free_func(g_free);
    g_autoptr(GDir) d = g_dir_open(dir, 0, NULL);
    if (!d)
        return files;
    const char *name;
    while ((name = g_dir_read_name(d)))
        if (g_str_has_suffix(name, ".ks"))
            g_ptr_array_add(files, g_build_filename(dir, name, NULL));
    g_ptr_array_sort(files, cmp_path);
    return files;
}

static void test_scenario_bad_files_fail_as_announced(void **state)
{
    g_autofree char *dir = g_build_filename(source_root(), "tests", "bad", NULL);
    g_autoptr(GPtrArray) files = list_ks_files(dir);
    if (files->len < 40)
        fail_msg("%s has %u .ks files; expected at least 40", dir, files->len);
    for (guint i = 0; i < files->len; i++) {
        const char *path = files->pdata[i];
        g_autofree char *text = NULL;
        gsize len;
        assert_true(g_file_get_contents(path, &text, &len, NULL));
        /* First line: "# error: LINE:COL: message-substring". */
        const char *nl = memchr(text, '\n', len);
        assert_non_null(nl);
        g_autofree char *first = g_strndup(text, (gsize)(nl - text));
        if (!g_str_has_prefix(first, "# error: "))
            fail_msg("%s: the first line must be '# error: LINE:COL: message'", path);
        const char *spec = first + strlen("# error: ");
        int line = 0, col = 0, used = 0;
        if (sscanf(spec, "%d:%d: %n", &line, &col, &used) != 2 || used == 0)
            fail_msg("%s: cannot read LINE:COL in '%s'", path, first);
        const char *want = spec + used;

        g_autoptr(GError) error = NULL;
        g_autoptr(KsPlan) plan = ks_scenario_parse_file(path, &error);
        if (plan)
            fail_msg("%s parses, but it should fail with: %s", path, want);
        g_autofree char *prefix = g_strdup_printf("%s:%d:%d: error: ", path, line, col);
        if (!g_str_has_prefix(error->message, prefix) ||
            !strstr(error->message + strlen(prefix), want))
            fail_msg("%s:\n  got      %s\n  expected %s...%s...", path, error->message, prefix,
                     want);
        assert_null(strchr(error->message, '\n'));
    }
}

static void assert_same_by_lines(const char *file, const char *text);

/* Every example scenario parses, and parses the same one line at a time. */
static void test_scenario_example_scenarios_parse(void **state)
{
    g_autofree char *dir = g_build_filename(source_root(), "scenarios", NULL);
    g_autoptr(GPtrArray) files = list_ks_files(dir);
    if (files->len == 0)
        fail_msg("%s has no .ks files", dir);
    for (guint i = 0; i < files->len; i++) {
        g_autoptr(GError) error = NULL;
        g_autoptr(KsPlan) plan = ks_scenario_parse_file(files->pdata[i], &error);
        if (!plan)
            fail_msg("%s", error->message);
        g_autofree char *text = NULL;
        if (!g_file_get_contents(files->pdata[i], &text, NULL, NULL))
            fail_msg("cannot read %s", (const char *)files->pdata[i]);
        assert_same_by_lines(files->pdata[i], text);
    }
}

static void test_scenario_keywords_are_documented(void **state)
{
    g_autofree char *path = g_build_filename(source_root(), "docs", "scenario-language.md", NULL);
    g_autofree char *doc = NULL;
    if (!g_file_get_contents(path, &doc, NULL, NULL))
        fail_msg("cannot read %s", path);
    const char *const *words = ks_scenario_keywords();
    int n = 0;
    for (; words[n]; n++) {
        g_autofree char *code = g_strdup_printf("`%s`", words[n]);
        if (!strstr(doc, code))
            fail_msg("keyword %s is not documented in %s", code, path);
        for (int j = 0; j < n; j++)
            if (strcmp(words[j], words[n]) == 0)
                fail_msg("keyword '%s' is listed twice", words[n]);
    }
    /* The tables are all there: a sample of each kind. */
    static const char *const expected[] = {"seed",
                                           "zookeeper",
                                           "crash broker",
                                           "add broker",
                                           "partition-network",
                                           "no-acked-data-loss",
                                           "unavailable-us",
                                           "replica-placement-start",
                                           "until",
                                           "cooperative-sticky",
                                           "Stable"};
    for (size_t i = 0; i < G_N_ELEMENTS(expected); i++) {
        bool found = false;
        for (int j = 0; j < n; j++)
            found |= strcmp(words[j], expected[i]) == 0;
        if (!found)
            fail_msg("'%s' is missing from ks_scenario_keywords()", expected[i]);
    }
    assert_ptr_equal(ks_scenario_keywords(), words);
    /* And every Kafka config, as a row of the doc's table. */
    for (int k = 0; k < KS_CFG_COUNT; k++) {
        g_autofree char *row = g_strdup_printf("\n| %s |", ks_config_info((KsConfigKey)k)->name);
        if (!strstr(doc, row))
            fail_msg("config %s has no row in the table of %s", row + 3, path);
    }
}

/* ------------------------------------------------------------------------ */
/* One line at a time                                                         */

/* Everything a plan's action or expect holds, as one line of text. */
static void append_expect(GString *s, const KsPlanExpect *e)
{
    if (!e)
        return;
    g_string_append_printf(
        s, " expect{%d %s-%d b=%d name=%s stat=%d cmp=%d n=%" PRId64 " word=%s text=%s @%d:%d",
        e->kind, e->partition.topic ? e->partition.topic : "-", e->partition.partition, e->broker,
        e->name ? e->name : "-", e->stat, e->cmp, e->number, e->word ? e->word : "-",
        e->text ? e->text : "-", e->loc.line, e->loc.col);
    for (guint i = 0; e->set_ids && i < e->set_ids->len; i++)
        g_string_append_printf(s, " id%d", g_array_index(e->set_ids, KsBrokerId, i));
    for (guint i = 0; e->set_names && i < e->set_names->len; i++)
        g_string_append_printf(s, " %s", (const char *)e->set_names->pdata[i]);
    g_string_append_c(s, '}');
}

static void append_names(GString *s, const GPtrArray *names)
{
    for (guint i = 0; names && i < names->len; i++)
        g_string_append_printf(s, " %s", (const char *)names->pdata[i]);
}

static char *describe_plan(const KsPlan *plan)
{
    GString *s = g_string_new(NULL);
    g_string_append_printf(s, "seed=%d/%" PRIu64 " run=%d/%" PRId64 "@%d brokers=%u topics=%u\n",
                           plan->has_seed, plan->seed, plan->has_run, plan->run_until,
                           plan->run_loc.line, plan->brokers->len, plan->topics->len);
    for (guint i = 0; i < plan->brokers->len; i++)
        g_string_append_printf(s, "broker %d\n",
                               ((const KsPlanBroker *)plan->brokers->pdata[i])->id);
    for (guint i = 0; i < plan->topics->len; i++) {
        const KsPlanTopic *t = plan->topics->pdata[i];
        g_string_append_printf(s, "topic %s %d %d\n", t->name, t->partitions,
                               t->replication_factor);
    }
    for (guint i = 0; i < plan->actions->len; i++) {
        const KsPlanAction *a = plan->actions->pdata[i];
        g_string_append_printf(
            s,
            "action %d at=%" PRId64 " every=%" PRId64 " b=%d name=%s text=%s group=%s topic=%s "
            "key=%s part=%d count=%" PRId64 " producer=%s node=%s rack=%s target=%s-%d @%d:%d",
            a->kind, a->at, a->every, a->broker, a->name ? a->name : "-", a->text ? a->text : "-",
            a->group ? a->group : "-", a->topic ? a->topic : "-", a->key ? a->key : "-",
            a->partition, a->count, a->producer ? a->producer : "-", a->node ? a->node : "-",
            a->rack ? a->rack : "-", a->target.topic ? a->target.topic : "-", a->target.partition,
            a->loc.line, a->loc.col);
        append_names(s, a->topics);
        append_names(s, a->side_a);
        append_names(s, a->side_b);
        for (guint j = 0; a->replicas && j < a->replicas->len; j++)
            g_string_append_printf(s, " r%d", g_array_index(a->replicas, KsBrokerId, j));
        append_expect(s, a->expect);
        g_string_append_c(s, '\n');
    }
    for (guint i = 0; i < plan->expects->len; i++) {
        append_expect(s, plan->expects->pdata[i]);
        g_string_append_c(s, '\n');
    }
    return g_string_free(s, FALSE);
}

/* Parses @text line by line with ks_scenario_parse_line(); NULL on error. */
static KsPlan *parse_by_lines(const char *file, const char *text, GError **error)
{
    g_autoptr(KsPlan) plan = ks_plan_new(file);
    g_auto(GStrv) lines = g_strsplit(text, "\n", -1);
    for (int i = 0; lines[i]; i++) {
        KsScenarioLine line;
        if (!ks_scenario_parse_line(plan, lines[i], i + 1, &line, error))
            return NULL;
        if (line.kind == KS_SCENARIO_LINE_ACTION)
            g_ptr_array_add(plan->actions, g_steal_pointer(&line.action));
        if (line.kind == KS_SCENARIO_LINE_EXPECT)
            g_ptr_array_add(plan->expects, g_steal_pointer(&line.expect));
        assert_null(line.action);
        assert_null(line.expect);
    }
    if (!ks_scenario_finish(plan, error))
        return NULL;
    return g_steal_pointer(&plan);
}

/* A file parsed at once and the same lines parsed one by one give the same
 * plan; a file that fails fails with the same message either way. */
static void assert_same_by_lines(const char *file, const char *text)
{
    g_autoptr(GError) e1 = NULL;
    g_autoptr(GError) e2 = NULL;
    g_autoptr(KsPlan) whole = ks_scenario_parse(file, text, strlen(text), &e1);
    g_autoptr(KsPlan) lines = parse_by_lines(file, text, &e2);
    if (!whole || !lines) {
        if (!whole && !lines) {
            ks_assert_str_eq(e2->message, e1->message);
            return;
        }
        fail_msg("%s: %s", file, whole ? e2->message : e1->message);
    }
    g_autofree char *a = describe_plan(whole);
    g_autofree char *b = describe_plan(lines);
    ks_assert_str_eq(b, a);
}

static void test_scenario_lines_one_by_one_equal_the_file(void **state)
{
    static const char text[] =
        "seed 7\n"
        "# a comment\n"
        "cluster nodes=3 brokers-per-node=1 zones=a,b,c\n"
        "set min.insync.replicas=2 num.partitions=3\n"
        "topic orders replication-factor=3\n"
        "topic logs partitions=2\n"
        "producer web topic=orders rate=100/s partitioner=key keys=50 acks=all\n"
        "\n"
        "at 1s say \"start\"\n"
        "every 5s snapshot\n"
        "at 2s crash broker 2\n"
        "at 2s expect leader orders-0 != 2\n"
        "at 4s restart broker 2\n"
        "at 6s elect-preferred orders-0\n"
        "at 7s produce topic=logs count=10\n"
        "run for 20s\n"
        "expect isr orders-0 == {3,1,2}\n"
        "expect records-acked > 0\n";
    assert_same_by_lines("test.ks", text);
    /* Errors of every kind, at the same place either way. */
    static const char *const bad[] = {
        CLUSTER3 "topic t\nat 2s crash broker 9\n",
        CLUSTER3 "at 5s say \"a\"\nat 2s say \"b\"\n",
        CLUSTER3 "topic t replication-factor=4\nat 1s say \"x\"\n",
        CLUSTER3 "every 5s snapshot\n",
        CLUSTER3 "at 1s say \"x\"\ntopic late\n",
    };
    for (size_t i = 0; i < G_N_ELEMENTS(bad); i++)
        assert_same_by_lines("test.ks", bad[i]);
}

/* Parses @line into a finished plan and returns its error message. */
static char *line_err(KsPlan *plan, const char *line, int line_no)
{
    g_autofree char *before = describe_plan(plan);
    g_autoptr(GError) error = NULL;
    KsScenarioLine out = {.kind = KS_SCENARIO_LINE_RUN};
    if (ks_scenario_parse_line(plan, line, line_no, &out, &error))
        fail_msg("expected an error for: %s", line);
    ks_assert_i64_eq(out.kind, KS_SCENARIO_LINE_NONE);
    assert_null(out.action);
    assert_null(out.expect);
    g_autofree char *after = describe_plan(plan);
    ks_assert_str_eq(after, before);
    return g_strdup(error->message);
}

static KsScenarioLine line_ok(KsPlan *plan, const char *line, int line_no)
{
    g_autoptr(GError) error = NULL;
    KsScenarioLine out;
    if (!ks_scenario_parse_line(plan, line, line_no, &out, &error))
        fail_msg("%s: %s", line, error->message);
    return out;
}

/* A bad line gets the message it would get in the file, and changes
 * neither the plan nor what later lines are checked against. */
static void test_scenario_bad_line_leaves_the_plan_unchanged(void **state)
{
    static const char text[] = CLUSTER3 "topic t\nat 10s say \"x\"\nrun until 60s\n";
    g_autoptr(KsPlan) plan = ks_scenario_parse("test.ks", text, strlen(text), NULL);
    assert_non_null(plan);

    g_autofree char *m1 = line_err(plan, "at 20s crash broker 9", 5);
    g_autofree char *f1 = parse_err(CLUSTER3 "topic t\nat 10s say \"x\"\nrun until 60s\n"
                                             "at 20s crash broker 9\n",
                                    NULL);
    ks_assert_str_eq(m1, f1);
    ks_assert_str_eq(m1, "test.ks:5:21: error: broker 9 is not declared; brokers are 1, 2, 3");

    /* The failed line's time is not remembered: 15s is still after 10s. */
    g_autofree char *m2 = line_err(plan, "at 50s crash broker 9", 5);
    KsScenarioLine ok = line_ok(plan, "at 15s crash broker 1", 6);
    ks_assert_i64_eq(ok.kind, KS_SCENARIO_LINE_ACTION);
    ks_assert_i64_eq(ok.action->at, 15 * KS_TIME_S);
    ks_assert_i64_eq(ok.action->broker, 1);
    ks_assert_i64_eq(ok.action->loc.line, 6);
    ks_scenario_line_clear(&ok);
    assert_null(ok.action);
    /* ... but a line that was parsed is. */
    g_autofree char *m3 = line_err(plan, "at 12s say \"y\"", 7);
    ks_assert_str_eq(m3, "test.ks:7:4: error: time goes backwards: 12s is before 15s (line 6)");

    g_autofree char *m4 = line_err(plan, "at 70s say \"late\"", 8);
    ks_assert_str_eq(m4, "test.ks:8:4: error: 70s is after the end of the run at 1m (line 4)");
    g_autofree char *m5 = line_err(plan, "run until 90s", 8);
    ks_assert_str_eq(m5, "test.ks:8:1: error: the run is already set on line 4");
    g_autofree char *m6 = line_err(plan, "expect leader t-7 == 1", 8);
    ks_assert_str_eq(m6, "test.ks:8:15: error: t has 1 partition (0); there is no t-7");
    g_autofree char *m7 = line_err(plan, "topic late", 8);
    ks_assert_str_eq(m7, "test.ks:8:1: error: declarations come before the timeline; move it "
                         "above line 3");
    g_autofree char *m8 = line_err(plan, "at 20s say \"a\"\nat 21s say \"b\"", 8);
    ks_assert_str_eq(m8, "test.ks:8:15: error: one line at a time: the text goes on after its "
                         "end of line");

    /* A broker added by a line that is then refused is not known later. */
    if (!ks_support_action(KS_ACTION_ADD_BROKER)) {
        const KsPlanNode *node = plan->nodes->pdata[0];
        g_autofree char *add = g_strdup_printf("at 20s add broker 7 node=%s", node->name);
        g_autofree char *m9 = line_err(plan, add, 9);
        assert_non_null(strstr(m9, "is not supported yet"));
        g_autofree char *m10 = line_err(plan, "at 21s crash broker 7", 10);
        assert_non_null(strstr(m10, "broker 7 is not declared"));
    }
    assert_non_null(m2);
}

/* While a plan built line by line still takes declarations, a line that
 * fails, half made or not, leaves nothing of itself behind. */
static void test_scenario_bad_declaration_line_leaves_nothing(void **state)
{
    g_autoptr(KsPlan) plan = ks_plan_new("test.ks");
    KsScenarioLine l = line_ok(plan, "cluster nodes=3 brokers-per-node=1", 1);
    ks_assert_i64_eq(l.kind, KS_SCENARIO_LINE_DECLARATION);
    line_ok(plan, "topic t", 2);
    /* Refused after it was built: the consumer, its implicit group and its
     * name are all gone again. */
    if (!ks_support_decl(KS_DECL_CONSUMER)) {
        g_autofree char *m1 = line_err(plan, "consumer c group=g topics=t", 3);
        ks_assert_str_eq(m1, "test.ks:3:1: error: 'consumer' is not supported yet: consumers "
                             "arrive with consumer groups");
        ks_assert_i64_eq(plan->consumers->len, 0);
        ks_assert_i64_eq(plan->groups->len, 0);
    }
    line_ok(plan, "producer c topic=t", 3);
    ks_assert_i64_eq(plan->producers->len, 1);
    /* A broker declared by a line that then fails is not declared. */
    g_autofree char *m2 = line_err(plan, "broker 7 node=nowhere", 4);
    assert_non_null(strstr(m2, "node 'nowhere' is not declared"));
    g_autofree char *m3 = line_err(plan, "broker 7 node=nowhere", 4);
    ks_assert_str_eq(m3, m2);
    /* A timeline line that fails leaves the declarations open... */
    g_autofree char *m4 = line_err(plan, "at 1s crash broker 9", 4);
    assert_non_null(strstr(m4, "broker 9 is not declared"));
    KsScenarioLine d = line_ok(plan, "set num.partitions=4", 4);
    ks_assert_i64_eq(d.kind, KS_SCENARIO_LINE_DECLARATION);
    /* ... and the plan ends as the same lines in a file end. */
    KsScenarioLine a = line_ok(plan, "at 1s crash broker 1", 5);
    g_ptr_array_add(plan->actions, g_steal_pointer(&a.action));
    g_autoptr(GError) error = NULL;
    assert_true(ks_scenario_finish(plan, &error));
    static const char file[] = "cluster nodes=3 brokers-per-node=1\ntopic t\nproducer c topic=t\n"
                               "set num.partitions=4\nat 1s crash broker 1\n";
    g_autoptr(KsPlan) whole = ks_scenario_parse("test.ks", file, strlen(file), NULL);
    assert_non_null(whole);
    g_autofree char *x = describe_plan(whole);
    g_autofree char *y = describe_plan(plan);
    ks_assert_str_eq(y, x);
    ks_assert_i64_eq(((const KsPlanTopic *)plan->topics->pdata[0])->partitions, 4);
}

/* A line without `at TIME` runs now; expect and run lines keep their
 * meaning; blank lines and comments are nothing. */
static void test_scenario_line_now_and_kinds(void **state)
{
    g_autoptr(KsPlan) plan = parse_ok(CLUSTER3 "topic t\nat 10s say \"x\"\n");
    KsScenarioLine l1 = line_ok(plan, "crash broker 2\n", 4);
    ks_assert_i64_eq(l1.kind, KS_SCENARIO_LINE_ACTION);
    ks_assert_i64_eq(l1.action->at, KS_SCENARIO_NOW);
    ks_assert_i64_eq(l1.action->kind, KS_ACTION_CRASH_BROKER);
    ks_assert_i64_eq(l1.action->loc.col, 1);
    ks_scenario_line_clear(&l1);
    KsScenarioLine l2 = line_ok(plan, "set min.insync.replicas=2", 5);
    ks_assert_i64_eq(l2.kind, KS_SCENARIO_LINE_ACTION);
    ks_assert_i64_eq(l2.action->kind, KS_ACTION_SET_CONFIG);
    ks_assert_i64_eq(l2.action->at, KS_SCENARIO_NOW);
    ks_scenario_line_clear(&l2);
    KsScenarioLine l3 = line_ok(plan, "expect leader t-0 != none", 6);
    ks_assert_i64_eq(l3.kind, KS_SCENARIO_LINE_EXPECT);
    ks_assert_i64_eq(l3.expect->kind, KS_EXPECT_LEADER);
    ks_scenario_line_clear(&l3);
    KsScenarioLine l4 = line_ok(plan, "  # nothing", 7);
    ks_assert_i64_eq(l4.kind, KS_SCENARIO_LINE_NONE);
    KsScenarioLine l5 = line_ok(plan, "run for 5s", 8);
    ks_assert_i64_eq(l5.kind, KS_SCENARIO_LINE_RUN);
    assert_true(plan->has_run);
    ks_assert_i64_eq(plan->run_until, 15 * KS_TIME_S);
    ks_assert_i64_eq(plan->actions->len, 1);
    ks_assert_i64_eq(plan->expects->len, 0);
    /* In a file, an action still needs its time. */
    g_autofree char *m = parse_err(CLUSTER3 "crash broker 2\n", NULL);
    ks_assert_str_eq(m, "test.ks:2:1: error: 'crash' is an action; actions need a time: at 5s "
                        "crash ...");
    /* A new plan is built line by line: declarations first. */
    g_autoptr(KsPlan) fresh = ks_plan_new("new.ks");
    KsScenarioLine d = line_ok(fresh, "cluster nodes=1", 1);
    ks_assert_i64_eq(d.kind, KS_SCENARIO_LINE_DECLARATION);
    ks_assert_i64_eq(fresh->brokers->len, 1);
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
        cmocka_unit_test(test_scenario_format_duration_examples),
        cmocka_unit_test(test_scenario_duration_round_trip),
        cmocka_unit_test(test_scenario_parse_duration_errors),
        cmocka_unit_test(test_scenario_cluster_expands_node_major),
        cmocka_unit_test(test_scenario_cluster_combines_with_explicit_lines),
        cmocka_unit_test(test_scenario_topic_defaults),
        cmocka_unit_test(test_scenario_configs_resolve),
        cmocka_unit_test(test_scenario_config_values_by_type),
        cmocka_unit_test(test_scenario_producer_idempotence_as_kafka_decides),
        cmocka_unit_test(test_scenario_producer_delivery_timeout),
        cmocka_unit_test(test_scenario_producer_config_conflicts),
        cmocka_unit_test(test_scenario_producer_configs_follow_the_shared_rule),
        cmocka_unit_test(test_scenario_produce_with_producer_keeps_its_topic),
        cmocka_unit_test(test_scenario_set_conflicts_with_console_produce),
        cmocka_unit_test(test_scenario_producer_defaults_and_partitioners),
        cmocka_unit_test(test_scenario_groups_and_consumers),
        cmocka_unit_test(test_scenario_zookeeper_and_flume),
        cmocka_unit_test(test_scenario_actions_sorted_with_ties_in_file_order),
        cmocka_unit_test(test_scenario_run_semantics),
        cmocka_unit_test(test_scenario_action_arguments),
        cmocka_unit_test(test_scenario_added_broker_exists_only_after_it_is_added),
        cmocka_unit_test(test_scenario_expect_conditions),
        cmocka_unit_test(test_scenario_every_stat_has_a_condition),
        cmocka_unit_test(test_scenario_timed_expect),
        cmocka_unit_test(test_scenario_partition_names),
        cmocka_unit_test(test_scenario_error_codes),
        cmocka_unit_test(test_scenario_validates_before_refusing_unsupported),
        cmocka_unit_test(test_scenario_refuses_what_is_not_supported),
        cmocka_unit_test(test_scenario_messages_for_newcomers),
        cmocka_unit_test(test_scenario_limits),
        cmocka_unit_test(test_scenario_parse_file),
        cmocka_unit_test(test_scenario_survives_garbage),
        cmocka_unit_test(test_scenario_parsing_is_deterministic),
        cmocka_unit_test(test_scenario_bad_files_fail_as_announced),
        cmocka_unit_test(test_scenario_example_scenarios_parse),
        cmocka_unit_test(test_scenario_keywords_are_documented),
        cmocka_unit_test(test_scenario_lines_one_by_one_equal_the_file),
        cmocka_unit_test(test_scenario_bad_line_leaves_the_plan_unchanged),
        cmocka_unit_test(test_scenario_line_now_and_kinds),
        cmocka_unit_test(test_scenario_bad_declaration_line_leaves_nothing),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
