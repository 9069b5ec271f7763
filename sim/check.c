/* SPDX-License-Identifier: MIT */
/*
 * check.c - evaluates `expect` conditions against the model.
 *
 * Each condition reads the model's state the way a Kafka tool would show it
 * (kafka-topics --describe for leader, ISR and replicas; the partition
 * leader's log for offsets) and says, in words, what it saw, so a failed
 * expectation tells the user what happened instead. It reads only through
 * the queries of query.h.
 *
 * Two tables say what can be checked: the evaluators, one per KsExpectKind,
 * and the statistics, one per KsStatKind; an entry without a function is a
 * condition the model cannot answer yet, and ks_support_expect() and
 * ks_support_stat() read exactly that.
 */
#include "kafkasim/query.h"

#include <inttypes.h>
#include <stddef.h>
#include <string.h>

#include "actions-private.h"
#include "kafkasim/text.h"

static bool compare(int64_t actual, KsCmp cmp, int64_t expected)
{
    switch (cmp) {
    case KS_CMP_EQ:
        return actual == expected;
    case KS_CMP_NE:
        return actual != expected;
    case KS_CMP_LT:
        return actual < expected;
    case KS_CMP_LE:
        return actual <= expected;
    case KS_CMP_GT:
        return actual > expected;
    case KS_CMP_GE:
        return actual >= expected;
    }
    return false;
}

static int cmp_id(gconstpointer a, gconstpointer b)
{
    KsBrokerId x = *(const KsBrokerId *)a, y = *(const KsBrokerId *)b;
    return (x > y) - (x < y);
}

/* Compares a set of broker ids (any order) with the expected sorted set. */
static bool compare_sets(const KsBrokerId *ids, size_t n, KsCmp cmp, const GArray *expected)
{
    g_autoptr(GArray) sorted = g_array_new(FALSE, FALSE, sizeof(KsBrokerId));
    g_array_append_vals(sorted, ids, (guint)n);
    g_array_sort(sorted, cmp_id);
    bool equal = sorted->len == expected->len &&
                 memcmp(sorted->data, expected->data, sorted->len * sizeof(KsBrokerId)) == 0;
    return cmp == KS_CMP_NE ? !equal : equal;
}

/* ---- statistics ---- */

typedef int64_t (*StatFn)(const KsSimStats *stats);

#define STAT_READER(field)                                                                         \
    static int64_t stat_##field(const KsSimStats *s)                                               \
    {                                                                                              \
        return s->field;                                                                           \
    }
STAT_READER(records_produced)
STAT_READER(records_acked)
STAT_READER(records_refused)
STAT_READER(records_lost)
STAT_READER(leader_elections)
STAT_READER(unavailable_us)

/* NULL: the model does not count it yet (consumers and groups). */
static const StatFn stat_table[] = {
    [KS_STAT_RECORDS_PRODUCED] = stat_records_produced,
    [KS_STAT_RECORDS_ACKED] = stat_records_acked,
    [KS_STAT_RECORDS_REFUSED] = stat_records_refused,
    [KS_STAT_RECORDS_LOST] = stat_records_lost,
    [KS_STAT_RECORDS_CONSUMED] = NULL,
    [KS_STAT_RECORDS_DUPLICATED] = NULL,
    [KS_STAT_LEADER_ELECTIONS] = stat_leader_elections,
    [KS_STAT_REBALANCES] = NULL,
    [KS_STAT_UNAVAILABLE_US] = stat_unavailable_us,
};
/* KS_STAT_UNAVAILABLE_US is the last kind: a new kind needs its row. */
G_STATIC_ASSERT(G_N_ELEMENTS(stat_table) == KS_STAT_UNAVAILABLE_US + 1);

bool ks_check_has_stat(KsStatKind kind)
{
    return (guint)kind < G_N_ELEMENTS(stat_table) && stat_table[kind] != NULL;
}

static int64_t stat_value(const KsSim *sim, KsStatKind kind)
{
    KsSimStats stats;
    ks_sim_get_stats(sim, &stats);
    return stat_table[kind](&stats);
}

/* ---- evaluators ---- */

/* What an evaluator gets: the condition and, for partition conditions, the
 * partition as the queries see it. */
typedef struct {
    const KsPlanExpect *e;
    size_t topic;
    KsPartitionInfo part;
    const char *pname; /* topic name */
    int32_t pidx;
} Subject;

typedef bool (*EvalFn)(const KsSim *sim, const Subject *s, char **out_actual);

static bool eval_leader(const KsSim *sim, const Subject *s, char **out_actual)
{
    g_autofree char *who = ks_text_broker(s->part.leader);
    /* With every broker gone the leader is ZooKeeper's last record
     * (output-describe.c). */
    bool stale = s->part.leader != KS_NO_BROKER && !ks_query_any_broker_alive(sim);
    *out_actual = g_strdup_printf("leader of %s-%d is %s%s", s->pname, s->pidx, who,
                                  stale ? " as ZooKeeper last recorded it (no broker is alive; "
                                          "no controller)"
                                        : "");
    return compare(s->part.leader, s->e->cmp, s->e->number);
}

static bool eval_isr(const KsSim *sim, const Subject *s, char **out_actual)
{
    g_autofree char *ids = ks_text_ids(s->part.isr, s->part.n_isr);
    *out_actual = g_strdup_printf("isr of %s-%d is %s", s->pname, s->pidx, ids);
    return compare_sets(s->part.isr, s->part.n_isr, s->e->cmp, s->e->set_ids);
}

static bool eval_replicas(const KsSim *sim, const Subject *s, char **out_actual)
{
    int32_t n = s->part.n_replicas;
    g_autofree KsBrokerId *ids = g_new(KsBrokerId, n);
    for (int32_t i = 0; i < n; i++) {
        KsReplicaInfo r;
        ks_query_replica(sim, s->topic, s->pidx, i, &r);
        ids[i] = r.broker;
    }
    g_autofree char *text = ks_text_ids(ids, n);
    *out_actual = g_strdup_printf("replicas of %s-%d are %s", s->pname, s->pidx, text);
    return compare_sets(ids, n, s->e->cmp, s->e->set_ids);
}

static bool eval_leader_epoch(const KsSim *sim, const Subject *s, char **out_actual)
{
    *out_actual =
        g_strdup_printf("leader epoch of %s-%d is %d", s->pname, s->pidx, s->part.leader_epoch);
    return compare(s->part.leader_epoch, s->e->cmp, s->e->number);
}

/* A number of the leader's log, @what (e.g. "log end offset"), which is
 * -1 without a leader. */
static bool eval_leader_offset(const Subject *s, const char *what, int64_t v, char **out_actual)
{
    *out_actual = s->part.leader != KS_NO_BROKER
                      ? g_strdup_printf("%s of %s-%d is %" PRId64, what, s->pname, s->pidx, v)
                      : g_strdup_printf("%s-%d has no leader", s->pname, s->pidx);
    return compare(v, s->e->cmp, s->e->number);
}

static bool eval_log_end_offset(const KsSim *sim, const Subject *s, char **out_actual)
{
    return eval_leader_offset(s, "log end offset", s->part.log_end_offset, out_actual);
}

static bool eval_high_watermark(const KsSim *sim, const Subject *s, char **out_actual)
{
    return eval_leader_offset(s, "high watermark", s->part.high_watermark, out_actual);
}

static bool eval_alive(const KsSim *sim, const Subject *s, char **out_actual)
{
    KsBrokerInfo b;
    if (!ks_query_find_broker(sim, s->e->broker, &b))
        g_assert_not_reached(); /* the parser checked the id */
    *out_actual = g_strdup_printf("broker %d is %s", b.id, b.alive ? "alive" : "down");
    return compare(b.alive, s->e->cmp, s->e->number);
}

static bool eval_controller(const KsSim *sim, const Subject *s, char **out_actual)
{
    KsBrokerId c = ks_query_controller(sim);
    g_autofree char *who = ks_text_broker(c);
    *out_actual = g_strdup_printf("controller is %s", who);
    return compare(c, s->e->cmp, s->e->number);
}

static bool eval_stat(const KsSim *sim, const Subject *s, char **out_actual)
{
    int64_t v = stat_value(sim, s->e->stat);
    *out_actual = g_strdup_printf("it is %" PRId64, v);
    return compare(v, s->e->cmp, s->e->number);
}

static bool eval_no_acked_data_loss(const KsSim *sim, const Subject *s, char **out_actual)
{
    int64_t lost = stat_value(sim, KS_STAT_RECORDS_LOST);
    *out_actual =
        g_strdup_printf("%" PRId64 " acknowledged record%s lost", lost, lost == 1 ? "" : "s");
    return lost == 0;
}

/* NULL: the model cannot answer it yet (consumers and groups). */
static const EvalFn evaluators[] = {
    [KS_EXPECT_LEADER] = eval_leader,
    [KS_EXPECT_ISR] = eval_isr,
    [KS_EXPECT_REPLICAS] = eval_replicas,
    [KS_EXPECT_LEADER_EPOCH] = eval_leader_epoch,
    [KS_EXPECT_LOG_END_OFFSET] = eval_log_end_offset,
    [KS_EXPECT_HIGH_WATERMARK] = eval_high_watermark,
    [KS_EXPECT_ALIVE] = eval_alive,
    [KS_EXPECT_CONTROLLER] = eval_controller,
    [KS_EXPECT_LAG] = NULL,
    [KS_EXPECT_COMMITTED] = NULL,
    [KS_EXPECT_GROUP_STATE] = NULL,
    [KS_EXPECT_ASSIGNMENT] = NULL,
    [KS_EXPECT_NO_ACKED_DATA_LOSS] = eval_no_acked_data_loss,
    [KS_EXPECT_NO_DUPLICATES] = NULL,
    [KS_EXPECT_STAT] = eval_stat,
};
/* KS_EXPECT_STAT is the last kind: a new kind needs its row. */
G_STATIC_ASSERT(G_N_ELEMENTS(evaluators) == KS_EXPECT_STAT + 1);

bool ks_check_has_evaluator(KsExpectKind kind)
{
    return (guint)kind < G_N_ELEMENTS(evaluators) && evaluators[kind] != NULL;
}

bool ks_check_expect(const KsSim *sim, const KsPlanExpect *e, char **out_actual)
{
    g_return_val_if_fail(sim != NULL && e != NULL && out_actual != NULL, false);
    /* The parser refuses a condition without an evaluator. */
    g_return_val_if_fail(ks_check_has_evaluator(e->kind), false);
    g_return_val_if_fail(e->kind != KS_EXPECT_STAT || ks_check_has_stat(e->stat), false);
    Subject s = {.e = e, .pname = e->partition.topic, .pidx = e->partition.partition};
    if (e->partition.topic) {
        if (!ks_query_find_topic(sim, e->partition.topic, &s.topic))
            g_assert_not_reached(); /* the parser checked the name */
        ks_query_partition(sim, s.topic, e->partition.partition, &s.part);
    }
    return evaluators[e->kind](sim, &s, out_actual);
}
