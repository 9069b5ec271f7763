/* SPDX-License-Identifier: MIT */
/*
 * ks-scenario-test.c - the scenario-language tests' shared fixtures (see
 * ks-scenario-test.h).
 */
#include "ks-scenario-test.h"

#include <string.h>

#include "kafkasim/scenario.h"

/* The source tree, from KS_SOURCE_ROOT (meson sets it). A test that needs
 * the tree is skipped, not passed, where it is not set. */
const char *source_root(void)
{
    const char *env = g_getenv("KS_SOURCE_ROOT");
    if (!env || !*env) {
        print_message("KS_SOURCE_ROOT is not set: skipped\n");
        skip();
    }
    return env;
}

/* Parses @text, unsupported features allowed; fails the test on error. */
KsPlan *parse_ok(const char *text)
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
char *parse_err_flags(const char *text, unsigned flags, int *code)
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

char *parse_err(const char *text, int *code)
{
    return parse_err_flags(text, 0, code);
}

const KsPlanAction *action(const KsPlan *plan, guint i)
{
    return plan->actions->pdata[i];
}

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

char *describe_plan(const KsPlan *plan)
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
        g_string_append_printf(s, "topic %s %d %d %d", t->name, t->partitions,
                               t->replication_factor, t->placement_start);
        for (int32_t k = 0; t->assignment && k < t->partitions * t->replication_factor; k++)
            g_string_append_printf(s, "%c%d", k % t->replication_factor ? ':' : ' ',
                                   t->assignment[k]);
        g_string_append_c(s, '\n');
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
void assert_same_by_lines(const char *file, const char *text)
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
