/* SPDX-License-Identifier: MIT */
/*
 * scenario-expect.c - expect conditions, checked at the end of the run or
 * at a time (`at 30s expect ...`).
 *
 * One row per condition (cond_rows): leader, isr, replicas, leader epoch,
 * offsets, broker liveness, the controller, consumer lag and commits, group
 * state and assignment, read positions, idle consumers, a group's
 * coordinator, data loss and duplicates, and the summary's
 * statistics. A row names the condition, its
 * shape ("leader orders-0 == 2") and its handler, which reads the operator
 * and the expected value into a KsPlanExpect. Sets are compared sorted, so
 * `isr orders-0 == {3,1,2}` means the set {1,2,3}. A condition the simulator
 * cannot check yet is refused after it has been validated, as every line
 * is. Runs once per expect line.
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
/* Expect conditions                                                          */

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
    const KsToken *t = ks_scn_cur(p);
    g_autofree char *s = ks_scn_tok_show(t);
    if (t->kind == KS_TOK_EOL)
        return ks_scn_fail(p, t, SYNTAX, error, "the condition is incomplete; usage: expect %s",
                           row->usage);
    return ks_scn_fail(p, t, SYNTAX, error, "unexpected '%s'; usage: expect %s", s, row->usage);
}

static bool want_op(Parser *p, const CondRow *row, bool eq_only, KsCmp *out, GError **error)
{
    const KsToken *t = ks_scn_cur(p);
    if (t->kind == KS_TOK_EQUALS)
        return ks_scn_fail(p, t, SYNTAX, error, "write '==' to compare, not '='; usage: expect %s",
                           row->usage);
    if (t->kind != KS_TOK_OP)
        return cond_fail(p, row, error);
    if (eq_only && t->cmp != KS_CMP_EQ && t->cmp != KS_CMP_NE) {
        g_autofree char *s = ks_scn_tok_show(t);
        return ks_scn_fail(p, t, SYNTAX, error, "%s compares with == or !=, not %s", row->name, s);
    }
    *out = t->cmp;
    ks_scn_advance(p);
    return true;
}

static bool want_count(Parser *p, const CondRow *row, int64_t *out, GError **error)
{
    const KsToken *t = ks_scn_cur(p);
    if (t->kind != KS_TOK_INT)
        return cond_fail(p, row, error);
    if (t->value < 0)
        return ks_scn_fail(p, t, VALUE, error, "%" PRId64 " is out of range: it must be at least 0",
                           t->value);
    *out = t->value;
    ks_scn_advance(p);
    return true;
}

static bool want_partition(Parser *p, const CondRow *row, KsPlanPartition *out, GError **error)
{
    const KsToken *t = ks_scn_cur(p);
    if (!ks_scn_tok_is_name(t))
        return cond_fail(p, row, error);
    if (!ks_scn_tok_partition(p, t, out, error))
        return false;
    ks_scn_advance(p);
    return true;
}

typedef bool (*FindFn)(Parser *p, const KsToken *t, const char *name, GError **error);

/* A declared name at the cursor, checked with @find (group or consumer). */
static bool want_declared(Parser *p, const CondRow *row, FindFn find, char **out, GError **error)
{
    const KsToken *t = ks_scn_cur(p);
    if (!ks_scn_tok_is_name(t))
        return cond_fail(p, row, error);
    g_autofree char *name = ks_scn_tok_text(t);
    if (!find(p, t, name, error))
        return false;
    *out = g_steal_pointer(&name);
    ks_scn_advance(p);
    return true;
}

static bool want_group(Parser *p, const CondRow *row, char **out, GError **error)
{
    return want_declared(p, row, ks_scn_find_group, out, error);
}

static bool want_consumer(Parser *p, const CondRow *row, char **out, GError **error)
{
    return want_declared(p, row, ks_scn_find_consumer, out, error);
}

/* A broker id, or `none`. */
static bool want_broker_or_none(Parser *p, const CondRow *row, int64_t *out, GError **error)
{
    const KsToken *t = ks_scn_cur(p);
    if (ks_scn_tok_is(t, "none")) {
        *out = KS_NO_BROKER;
        ks_scn_advance(p);
        return true;
    }
    if (t->kind != KS_TOK_INT)
        return cond_fail(p, row, error);
    KsBrokerId id;
    g_autofree char *example = g_strdup_printf("expect %s", row->usage);
    if (!ks_scn_tok_broker(p, t, example, &id, error))
        return false;
    *out = id;
    ks_scn_advance(p);
    return true;
}

/* A set {a,b} at the cursor; free with ks_scn_arg_free(). */
static Arg *want_set(Parser *p, const CondRow *row, GError **error)
{
    if (ks_scn_cur(p)->kind != KS_TOK_LBRACE) {
        cond_fail(p, row, error);
        return NULL;
    }
    return ks_scn_parse_value(p, NULL, error);
}

/* PARTITION then an operator (only == and != if @eq_only). */
static bool want_partition_op(Parser *p, const CondRow *row, bool eq_only, KsPlanExpect *e,
                              GError **error)
{
    return want_partition(p, row, &e->partition, error) && want_op(p, row, eq_only, &e->cmp, error);
}

static bool cond_leader(Parser *p, const CondRow *row, KsPlanExpect *e, GError **error)
{
    return want_partition_op(p, row, true, e, error) &&
           want_broker_or_none(p, row, &e->number, error);
}

static bool cond_broker_set(Parser *p, const CondRow *row, KsPlanExpect *e, GError **error)
{
    if (!want_partition_op(p, row, true, e, error))
        return false;
    Arg *a = want_set(p, row, error);
    if (!a)
        return false;
    a->example = "{1,3}";
    bool ok = ks_scn_arg_broker_set(p, a, true, true, &e->set_ids, error);
    ks_scn_arg_free(a);
    return ok;
}

static bool cond_offset(Parser *p, const CondRow *row, KsPlanExpect *e, GError **error)
{
    return want_partition_op(p, row, false, e, error) && want_count(p, row, &e->number, error);
}

/* Nothing (true), or `==|!= true|false`, into e->cmp and e->number. */
static bool want_truth(Parser *p, const CondRow *row, KsPlanExpect *e, GError **error)
{
    e->cmp = KS_CMP_EQ;
    e->number = 1;
    if (ks_scn_cur(p)->kind == KS_TOK_EOL)
        return true;
    if (!want_op(p, row, true, &e->cmp, error))
        return false;
    if (ks_scn_tok_is(ks_scn_cur(p), "true"))
        e->number = 1;
    else if (ks_scn_tok_is(ks_scn_cur(p), "false"))
        e->number = 0;
    else
        return cond_fail(p, row, error);
    ks_scn_advance(p);
    return true;
}

static bool cond_alive(Parser *p, const CondRow *row, KsPlanExpect *e, GError **error)
{
    if (!ks_scn_tok_is(ks_scn_cur(p), "broker"))
        return cond_fail(p, row, error);
    ks_scn_advance(p);
    const KsToken *t = ks_scn_cur(p);
    if (t->kind != KS_TOK_INT)
        return cond_fail(p, row, error);
    if (!ks_scn_tok_broker(p, t, "expect alive broker 1", &e->broker, error))
        return false;
    ks_scn_advance(p);
    return want_truth(p, row, e, error);
}

static bool cond_idle(Parser *p, const CondRow *row, KsPlanExpect *e, GError **error)
{
    return want_consumer(p, row, &e->name, error) && want_truth(p, row, e, error);
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

static bool cond_group_partition(Parser *p, const CondRow *row, KsPlanExpect *e, GError **error)
{
    return want_group(p, row, &e->name, error) && want_partition_op(p, row, false, e, error) &&
           want_count(p, row, &e->number, error);
}

static bool cond_coordinator(Parser *p, const CondRow *row, KsPlanExpect *e, GError **error)
{
    return want_group(p, row, &e->name, error) && want_op(p, row, true, &e->cmp, error) &&
           want_broker_or_none(p, row, &e->number, error);
}

static const char *const group_states[] = {
    "Empty", "PreparingRebalance", "CompletingRebalance", "Stable", "Dead", NULL};

static bool cond_group_state(Parser *p, const CondRow *row, KsPlanExpect *e, GError **error)
{
    if (!want_group(p, row, &e->name, error) || !want_op(p, row, true, &e->cmp, error))
        return false;
    const KsToken *t = ks_scn_cur(p);
    if (t->kind != KS_TOK_WORD)
        return cond_fail(p, row, error);
    g_autoptr(GPtrArray) names = g_ptr_array_new();
    for (int i = 0; group_states[i]; i++) {
        if (ks_scn_tok_is(t, group_states[i])) {
            e->word = g_strdup(group_states[i]);
            ks_scn_advance(p);
            return true;
        }
        g_ptr_array_add(names, (gpointer)group_states[i]);
    }
    g_autofree char *word = ks_scn_tok_text(t);
    const char *s = ks_scn_suggest(word, names);
    if (s)
        return ks_scn_fail(p, t, VALUE, error, "unknown group state '%s'; did you mean '%s'?", word,
                           s);
    g_autofree char *list = ks_scn_join_strs(names, 10);
    return ks_scn_fail(p, t, VALUE, error, "unknown group state '%s'; Kafka's states are %s", word,
                       list);
}

static gint cmp_str_ptr(gconstpointer a, gconstpointer b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

static bool cond_assignment(Parser *p, const CondRow *row, KsPlanExpect *e, GError **error)
{
    if (!want_consumer(p, row, &e->name, error) || !want_op(p, row, true, &e->cmp, error))
        return false;
    Arg *a = want_set(p, row, error);
    if (!a)
        return false;
    e->set_names = g_ptr_array_new_with_free_func(g_free);
    bool ok = true;
    for (guint i = 0; ok && i < a->items->len; i++) {
        const KsToken *it = a->items->pdata[i];
        KsPlanPartition part = {0};
        ok = ks_scn_tok_partition(p, it, &part, error);
        if (!ok)
            break;
        char *name = g_strdup_printf("%s-%d", part.topic, part.partition);
        g_free(part.topic);
        for (guint j = 0; j < e->set_names->len; j++)
            if (strcmp(e->set_names->pdata[j], name) == 0) {
                ok = ks_scn_fail(p, it, VALUE, error, "partition %s is listed twice", name);
                break;
            }
        g_ptr_array_add(e->set_names, name);
    }
    ks_scn_arg_free(a);
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
    const KsToken *t = ks_scn_cur(p);
    if (row->stat == KS_STAT_UNAVAILABLE_US && t->kind == KS_TOK_DURATION) {
        e->number = t->value;
        ks_scn_advance(p);
        return true;
    }
    return want_count(p, row, &e->number, error);
}

/* records-lost [CAUSE] OP N: all lost records, or those of one cause. */
static bool cond_records_lost(Parser *p, const CondRow *row, KsPlanExpect *e, GError **error)
{
    static const struct {
        const char *name;
        KsStatKind stat;
    } causes[] = {
        {"unclean", KS_STAT_RECORDS_LOST_UNCLEAN},
        {"power-loss", KS_STAT_RECORDS_LOST_POWER_LOSS},
        {"zombie", KS_STAT_RECORDS_LOST_ZOMBIE},
        {"acks1-failover", KS_STAT_RECORDS_LOST_ACKS1_FAILOVER},
    };
    const KsToken *t = ks_scn_cur(p);
    if (t->kind != KS_TOK_WORD)
        return cond_stat(p, row, e, error);
    for (size_t i = 0; i < G_N_ELEMENTS(causes); i++) {
        if (ks_scn_tok_is(t, causes[i].name)) {
            ks_scn_advance(p);
            if (!want_op(p, row, false, &e->cmp, error))
                return false;
            e->stat = causes[i].stat;
            return want_count(p, row, &e->number, error);
        }
    }
    g_autofree char *word = ks_scn_tok_show(t);
    return ks_scn_fail(p, t, SYNTAX, error,
                       "unknown cause '%s'; causes are unclean, power-loss, zombie, "
                       "acks1-failover; usage: expect %s",
                       word, row->usage);
}

/* A declared flume agent's name, into e->name. */
static bool want_flume(Parser *p, const CondRow *row, char **out, GError **error)
{
    const KsToken *t = ks_scn_cur(p);
    if (!ks_scn_tok_is_name(t))
        return cond_fail(p, row, error);
    g_autofree char *name = ks_scn_tok_text(t);
    if (!ks_scn_find_flume(p, t, name, error))
        return false;
    ks_scn_advance(p);
    *out = g_steal_pointer(&name);
    return true;
}

static bool cond_flume(Parser *p, const CondRow *row, KsPlanExpect *e, GError **error)
{
    return want_flume(p, row, &e->name, error) && want_op(p, row, false, &e->cmp, error) &&
           want_count(p, row, &e->number, error);
}

static bool cond_quorum(Parser *p, const CondRow *row, KsPlanExpect *e, GError **error)
{
    return want_truth(p, row, e, error);
}

/* A node by name, or a broker's node ("broker 2", or 2 alone). */
static bool want_place(Parser *p, const CondRow *row, char **out, GError **error)
{
    const KsToken *t = ks_scn_cur(p);
    bool said_broker = ks_scn_tok_is(t, "broker");
    if (said_broker) {
        ks_scn_advance(p);
        t = ks_scn_cur(p);
    }
    if (t->kind == KS_TOK_INT) {
        KsBrokerId id;
        if (!ks_scn_tok_broker(p, t, "expect connected broker 1 broker 2", &id, error))
            return false;
        const KsPlanBroker *b = ks_plan_find_broker(p->plan, id);
        if (!b)
            return ks_scn_fail(p, t, VALUE, error,
                               "broker %d is added while running: name its node instead", id);
        *out = g_strdup(b->node);
        ks_scn_advance(p);
        return true;
    }
    if (said_broker || t->kind != KS_TOK_WORD)
        return cond_fail(p, row, error);
    g_autofree char *name = ks_scn_tok_text(t);
    if (!ks_scn_find_node(p, t, name, error))
        return false;
    *out = g_steal_pointer(&name);
    ks_scn_advance(p);
    return true;
}

static bool cond_connected(Parser *p, const CondRow *row, KsPlanExpect *e, GError **error)
{
    return want_place(p, row, &e->name, error) && want_place(p, row, &e->word, error) &&
           want_truth(p, row, e, error);
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
     cond_group_partition},
    {"group-state",
     "group-state GROUP ==|!= Empty|PreparingRebalance|CompletingRebalance|Stable|Dead",
     KS_EXPECT_GROUP_STATE, 0, WHY_CONSUMERS, cond_group_state},
    {"assignment", "assignment CONSUMER ==|!= {PARTITION,...}", KS_EXPECT_ASSIGNMENT, 0,
     WHY_CONSUMERS, cond_assignment},
    {"no-acked-data-loss", "no-acked-data-loss", KS_EXPECT_NO_ACKED_DATA_LOSS, 0,
     "the ledger does not track lost records yet", cond_none},
    {"no-duplicates", "no-duplicates", KS_EXPECT_NO_DUPLICATES, 0, WHY_CONSUMERS, cond_none},
    {"position", "position GROUP PARTITION OP N", KS_EXPECT_POSITION, 0, WHY_CONSUMERS,
     cond_group_partition},
    {"idle", "idle CONSUMER [==|!= true|false]", KS_EXPECT_IDLE, 0, WHY_CONSUMERS, cond_idle},
    {"coordinator", "coordinator GROUP ==|!= BROKER|none", KS_EXPECT_COORDINATOR, 0, WHY_CONSUMERS,
     cond_coordinator},
    {"flume-dropped", "flume-dropped AGENT OP N", KS_EXPECT_FLUME_DROPPED, 0, NULL, cond_flume},
    {"channel-fill", "channel-fill AGENT OP N", KS_EXPECT_CHANNEL_FILL, 0, NULL, cond_flume},
    {"zookeeper-quorum", "zookeeper-quorum [==|!= true|false]", KS_EXPECT_ZOOKEEPER_QUORUM, 0, NULL,
     cond_quorum},
    {"connected", "connected NODE|broker ID NODE|broker ID [==|!= true|false]", KS_EXPECT_CONNECTED,
     0, NULL, cond_connected},
    STAT_ROW("records-produced", KS_STAT_RECORDS_PRODUCED, NULL),
    STAT_ROW("records-acked", KS_STAT_RECORDS_ACKED, NULL),
    STAT_ROW("records-refused", KS_STAT_RECORDS_REFUSED, NULL),
    {"records-lost", "records-lost [unclean|power-loss|zombie|acks1-failover] OP N", KS_EXPECT_STAT,
     KS_STAT_RECORDS_LOST, "the ledger does not track lost records yet", cond_records_lost},
    STAT_ROW("records-consumed", KS_STAT_RECORDS_CONSUMED, WHY_CONSUMERS),
    STAT_ROW("records-duplicated", KS_STAT_RECORDS_DUPLICATED, WHY_CONSUMERS),
    STAT_ROW("records-skipped", KS_STAT_RECORDS_SKIPPED, WHY_CONSUMERS),
    STAT_ROW("leader-elections", KS_STAT_LEADER_ELECTIONS, NULL),
    STAT_ROW("rebalances", KS_STAT_REBALANCES, WHY_CONSUMERS),
    STAT_ROW("unavailable-us", KS_STAT_UNAVAILABLE_US, NULL),
    STAT_ROW("cost-micro-usd", KS_STAT_COST_MICRO_USD, NULL),
    STAT_ROW("cross-zone-bytes", KS_STAT_CROSS_ZONE_BYTES, NULL),
};

KsPlanExpect *ks_scn_parse_condition(Parser *p, const KsToken *expect_tok, const CondRow **out_row,
                                     const KsToken **out_tok, GError **error)
{
    const KsToken *t = ks_scn_cur(p);
    if (t->kind == KS_TOK_EOL) {
        ks_scn_fail(p, expect_tok, SYNTAX, error,
                    "expect needs a condition, e.g. expect leader orders-0 == 1");
        return NULL;
    }
    const CondRow *row = NULL;
    for (size_t i = 0; i < G_N_ELEMENTS(cond_rows); i++)
        if (ks_scn_tok_is(t, cond_rows[i].name))
            row = &cond_rows[i];
    if (!row) {
        g_autoptr(GPtrArray) names = g_ptr_array_new();
        for (size_t i = 0; i < G_N_ELEMENTS(cond_rows); i++)
            g_ptr_array_add(names, (gpointer)cond_rows[i].name);
        g_autofree char *word = ks_scn_tok_show(t);
        const char *s = t->kind == KS_TOK_WORD ? ks_scn_suggest(word, names) : NULL;
        if (s)
            ks_scn_fail(p, t, SYNTAX, error, "unknown condition '%s'; did you mean '%s'?", word, s);
        else {
            g_autofree char *list = ks_scn_join_strs(names, 100);
            ks_scn_fail(p, t, SYNTAX, error, "unknown condition '%s'; conditions are %s", word,
                        list);
        }
        return NULL;
    }
    KsPlanExpect *e = g_new0(KsPlanExpect, 1);
    e->kind = row->kind;
    e->partition.partition = -1;
    e->broker = KS_NO_BROKER;
    e->loc = ks_scn_loc_of(t);
    ks_scn_advance(p);
    if (!row->handle(p, row, e, error)) {
        ks_plan_expect_free(e);
        return NULL;
    }
    if (ks_scn_cur(p)->kind != KS_TOK_EOL) {
        g_autofree char *s = ks_scn_tok_show(ks_scn_cur(p));
        ks_scn_fail(p, ks_scn_cur(p), SYNTAX, error,
                    "unexpected '%s' after the condition; usage: expect %s", s, row->usage);
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

bool ks_scn_check_cond_support(Parser *p, const CondRow *row, const KsToken *t, GError **error)
{
    if (p->allow_unsupported)
        return true;
    if (!ks_support_expect(row->kind) ||
        (row->kind == KS_EXPECT_STAT && !ks_support_stat(row->stat))) {
        g_autofree char *what = g_strdup_printf("expect %s", row->name);
        return ks_scn_unsupported(p, t, what, row->why, error);
    }
    return true;
}

void ks_scn_add_cond_keywords(GPtrArray *words)
{
    for (size_t i = 0; i < G_N_ELEMENTS(cond_rows); i++)
        ks_scn_add_keyword(words, cond_rows[i].name);
}

void ks_scn_add_cond_value_keywords(GPtrArray *words)
{
    for (int i = 0; group_states[i]; i++)
        ks_scn_add_keyword(words, group_states[i]);
}
