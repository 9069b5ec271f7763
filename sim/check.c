/* SPDX-License-Identifier: MIT */
/*
 * check.c - evaluates `expect` conditions against the model.
 *
 * Each condition reads the model's state the way a Kafka tool would show it
 * (kafka-topics --describe for leader, ISR and replicas; the partition
 * leader's log for offsets) and says, in words, what it saw, so a failed
 * expectation tells the user what happened instead. It reads only through
 * the queries of query.h and, for groups and consumers, query-groups.h:
 * a group's lag and offsets as kafka-consumer-groups.sh --describe shows
 * them (lag = high watermark - committed, "-" when nothing is committed),
 * positions, states, coordinators, assignments and idle consumers as the
 * group coordinator holds them. A group named in the scenario exists only
 * once a consumer has joined it (Kafka creates groups on first use), so
 * until then its conditions fail and say so; its state is Dead then, as
 * Kafka reports a group it does not know.
 *
 * Two tables say what can be checked: the evaluators, one per KsExpectKind,
 * and the statistics, one per KsStatKind; an entry without a function is a
 * condition the model cannot answer yet, and ks_support_expect() and
 * ks_support_stat() read exactly that.
 */
#include "kafkasim/query.h"

#include <inttypes.h>
#include <stdlib.h>
#include <stddef.h>
#include <string.h>

#include "actions-private.h"
#include "kafkasim/query-faults.h"
#include "kafkasim/query-groups.h"
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

typedef int64_t (*StatFn)(const KsSim *sim, const KsSimStats *stats);

#define STAT_READER(field)                                                                         \
    static int64_t stat_##field(const KsSim *sim, const KsSimStats *s)                             \
    {                                                                                              \
        return s->field;                                                                           \
    }
STAT_READER(records_produced)
STAT_READER(records_acked)
STAT_READER(records_refused)
STAT_READER(records_lost)
STAT_READER(records_lost_unclean)
STAT_READER(records_lost_power_loss)
STAT_READER(records_lost_zombie)
STAT_READER(records_lost_acks1_failover)
STAT_READER(leader_elections)
STAT_READER(unavailable_us)

/* The groups' counters, summed over every group. */
#define GROUP_STAT(field)                                                                          \
    static int64_t stat_##field(const KsSim *sim, const KsSimStats *s)                             \
    {                                                                                              \
        int64_t sum = 0;                                                                           \
        for (size_t i = 0; i < ks_query_n_groups(sim); i++) {                                      \
            KsGroupInfo g;                                                                         \
            ks_query_group(sim, i, &g);                                                            \
            sum += g.field;                                                                        \
        }                                                                                          \
        return sum;                                                                                \
    }
GROUP_STAT(records_consumed)
GROUP_STAT(records_duplicated)
GROUP_STAT(records_skipped)
GROUP_STAT(rebalances)

/* The cost, from capacity.c (0 when no node has a type). */
static int64_t stat_cost_micro_usd(const KsSim *sim, const KsSimStats *s)
{
    KsCostInfo c;
    ks_query_cost(sim, &c);
    return c.total_micro_usd;
}

static int64_t stat_cross_zone_bytes(const KsSim *sim, const KsSimStats *s)
{
    KsCostInfo c;
    ks_query_cost(sim, &c);
    return c.transfer_bytes[KS_TRANSFER_ACROSS_ZONES];
}

static const StatFn stat_table[] = {
    [KS_STAT_RECORDS_PRODUCED] = stat_records_produced,
    [KS_STAT_RECORDS_ACKED] = stat_records_acked,
    [KS_STAT_RECORDS_REFUSED] = stat_records_refused,
    [KS_STAT_RECORDS_LOST] = stat_records_lost,
    [KS_STAT_RECORDS_CONSUMED] = stat_records_consumed,
    [KS_STAT_RECORDS_DUPLICATED] = stat_records_duplicated,
    [KS_STAT_RECORDS_SKIPPED] = stat_records_skipped,
    [KS_STAT_LEADER_ELECTIONS] = stat_leader_elections,
    [KS_STAT_REBALANCES] = stat_rebalances,
    [KS_STAT_UNAVAILABLE_US] = stat_unavailable_us,
    [KS_STAT_COST_MICRO_USD] = stat_cost_micro_usd,
    [KS_STAT_CROSS_ZONE_BYTES] = stat_cross_zone_bytes,
    [KS_STAT_RECORDS_LOST_UNCLEAN] = stat_records_lost_unclean,
    [KS_STAT_RECORDS_LOST_POWER_LOSS] = stat_records_lost_power_loss,
    [KS_STAT_RECORDS_LOST_ZOMBIE] = stat_records_lost_zombie,
    [KS_STAT_RECORDS_LOST_ACKS1_FAILOVER] = stat_records_lost_acks1_failover,
};
/* KS_STAT_RECORDS_LOST_ACKS1_FAILOVER is the last kind: a new kind needs its row. */
G_STATIC_ASSERT(G_N_ELEMENTS(stat_table) == KS_STAT_RECORDS_LOST_ACKS1_FAILOVER + 1);

bool ks_check_has_stat(KsStatKind kind)
{
    return (guint)kind < G_N_ELEMENTS(stat_table) && stat_table[kind] != NULL;
}

int64_t ks_check_stat(const KsSim *sim, KsStatKind kind)
{
    g_return_val_if_fail(sim != NULL && ks_check_has_stat(kind), 0);
    KsSimStats stats;
    ks_sim_get_stats(sim, &stats);
    return stat_table[kind](sim, &stats);
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
    int64_t v = ks_check_stat(sim, s->e->stat);
    *out_actual = g_strdup_printf("it is %" PRId64, v);
    return compare(v, s->e->cmp, s->e->number);
}

static bool eval_no_acked_data_loss(const KsSim *sim, const Subject *s, char **out_actual)
{
    int64_t lost = ks_check_stat(sim, KS_STAT_RECORDS_LOST);
    *out_actual =
        g_strdup_printf("%" PRId64 " acknowledged record%s lost", lost, lost == 1 ? "" : "s");
    return lost == 0;
}

/* ---- groups and consumers ---- */

/* Finds the condition's group; false with *@out_actual set when the group
 * does not exist (yet: Kafka creates a group when a consumer first joins). */
static bool find_group(const KsSim *sim, const Subject *s, KsGroupInfo *out, size_t *out_index,
                       char **out_actual)
{
    size_t index;
    if (!ks_query_find_group(sim, s->e->name, &index)) {
        *out_actual = g_strdup_printf("group %s does not exist", s->e->name);
        return false;
    }
    ks_query_group(sim, index, out);
    if (out_index)
        *out_index = index;
    return true;
}

/* The group's row for the condition's partition; false with *@out_actual
 * set when the group does not exist or does not read the partition. */
static bool find_offsets(const KsSim *sim, const Subject *s, KsGroupOffsetInfo *out,
                         char **out_actual)
{
    KsGroupInfo g;
    size_t index;
    if (!find_group(sim, s, &g, &index, out_actual))
        return false;
    g_autoptr(GArray) offsets = ks_query_group_offsets(sim, index);
    for (guint i = 0; i < offsets->len; i++) {
        const KsGroupOffsetInfo *o = &g_array_index(offsets, KsGroupOffsetInfo, i);
        if (o->partition == s->pidx && strcmp(o->topic, s->pname) == 0) {
            *out = *o;
            return true;
        }
    }
    *out_actual = g_strdup_printf("group %s does not read %s-%d", g.name, s->pname, s->pidx);
    return false;
}

/* The sum of the group's lags, as kafka-consumer-groups.sh shows them:
 * partitions with nothing committed have no lag ("-") and are named. */
static bool eval_lag(const KsSim *sim, const Subject *s, char **out_actual)
{
    KsGroupInfo g;
    size_t index;
    if (!find_group(sim, s, &g, &index, out_actual))
        return false;
    g_autoptr(GArray) offsets = ks_query_group_offsets(sim, index);
    int64_t lag = 0;
    g_autoptr(GString) unknown = g_string_new(NULL);
    for (guint i = 0; i < offsets->len; i++) {
        const KsGroupOffsetInfo *o = &g_array_index(offsets, KsGroupOffsetInfo, i);
        if (o->lag >= 0)
            lag += o->lag;
        else
            g_string_append_printf(unknown, "%s%s-%d", unknown->len ? ", " : "", o->topic,
                                   o->partition);
    }
    *out_actual = unknown->len
                      ? g_strdup_printf("lag of %s is %" PRId64 "; nothing committed for %s",
                                        g.name, lag, unknown->str)
                      : g_strdup_printf("lag of %s is %" PRId64, g.name, lag);
    return compare(lag, s->e->cmp, s->e->number);
}

/* The group's committed offset for the partition, or its owner's
 * @position; when there is none (-1) only != holds. */
static bool eval_group_offset(const KsSim *sim, const Subject *s, bool position, char **out_actual)
{
    KsGroupOffsetInfo o;
    if (!find_offsets(sim, s, &o, out_actual))
        return false;
    int64_t v = position ? o.position : o.committed;
    if (v < 0) {
        *out_actual =
            position ? g_strdup_printf("%s-%d has no owner in %s", s->pname, s->pidx, s->e->name)
                     : g_strdup_printf("%s has committed nothing for %s-%d", s->e->name, s->pname,
                                       s->pidx);
        return s->e->cmp == KS_CMP_NE;
    }
    if (position)
        *out_actual =
            g_strdup_printf("position of %s on %s-%d is %" PRId64, o.owner, s->pname, s->pidx, v);
    else
        *out_actual = g_strdup_printf("committed offset of %s for %s-%d is %" PRId64, s->e->name,
                                      s->pname, s->pidx, v);
    return compare(v, s->e->cmp, s->e->number);
}

static bool eval_committed(const KsSim *sim, const Subject *s, char **out_actual)
{
    return eval_group_offset(sim, s, false, out_actual);
}

static bool eval_position(const KsSim *sim, const Subject *s, char **out_actual)
{
    return eval_group_offset(sim, s, true, out_actual);
}

static bool eval_group_state(const KsSim *sim, const Subject *s, char **out_actual)
{
    KsGroupInfo g;
    g_autofree char *missing = NULL;
    /* Kafka describes a group it does not know as Dead. */
    const char *state = find_group(sim, s, &g, NULL, &missing) ? g.state : "Dead";
    *out_actual =
        missing ? g_strdup_printf("%s: its state is Dead", missing)
                : g_strdup_printf("state of %s is %s (generation %d)", g.name, state, g.generation);
    bool equal = strcmp(state, s->e->word) == 0;
    return s->e->cmp == KS_CMP_NE ? !equal : equal;
}

static bool eval_coordinator(const KsSim *sim, const Subject *s, char **out_actual)
{
    KsGroupInfo g;
    if (!find_group(sim, s, &g, NULL, out_actual))
        return false;
    g_autofree char *who = ks_text_broker(g.coordinator);
    *out_actual = g_strdup_printf("coordinator of %s is %s (__consumer_offsets-%d)", g.name, who,
                                  g.offsets_partition);
    return compare(g.coordinator, s->e->cmp, s->e->number);
}

static int cmp_str_ptr(gconstpointer a, gconstpointer b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

static bool eval_assignment(const KsSim *sim, const Subject *s, char **out_actual)
{
    KsConsumerInfo c;
    size_t index;
    bool started = ks_query_find_consumer(sim, s->e->name, &c);
    if (!started || !ks_query_find_group(sim, c.group, &index)) {
        /* Nothing assigned: only the empty set matches. */
        *out_actual = started ? g_strdup_printf("group %s does not exist", c.group)
                              : g_strdup_printf("consumer %s has not started", s->e->name);
        bool empty = s->e->set_names->len == 0;
        return s->e->cmp == KS_CMP_NE ? !empty : empty;
    }
    g_autoptr(GArray) parts = ks_query_member_assignment(sim, index, s->e->name);
    g_autoptr(GPtrArray) names = g_ptr_array_new_with_free_func(g_free);
    for (guint i = 0; i < parts->len; i++) {
        const KsGroupOffsetInfo *o = &g_array_index(parts, KsGroupOffsetInfo, i);
        g_ptr_array_add(names, g_strdup_printf("%s-%d", o->topic, o->partition));
    }
    g_ptr_array_sort(names, cmp_str_ptr);
    g_ptr_array_add(names, NULL);
    g_autofree char *list = g_strjoinv(",", (char **)names->pdata);
    g_ptr_array_remove_index(names, names->len - 1);
    *out_actual = g_strdup_printf("assignment of %s is {%s}", s->e->name, list);
    bool equal = names->len == s->e->set_names->len;
    for (guint i = 0; equal && i < names->len; i++)
        equal = strcmp(names->pdata[i], s->e->set_names->pdata[i]) == 0;
    return s->e->cmp == KS_CMP_NE ? !equal : equal;
}

static bool eval_idle(const KsSim *sim, const Subject *s, char **out_actual)
{
    KsConsumerInfo c;
    if (!ks_query_find_consumer(sim, s->e->name, &c)) /* `start consumer` defines it later */
        c = (KsConsumerInfo){.name = s->e->name};
    if (!c.running)
        *out_actual = g_strdup_printf("consumer %s is not running", c.name);
    else
        *out_actual = g_strdup_printf("consumer %s is %s", c.name, c.idle ? "idle" : "not idle");
    return compare(c.running && c.idle, s->e->cmp, s->e->number);
}

static bool eval_no_duplicates(const KsSim *sim, const Subject *s, char **out_actual)
{
    g_autoptr(GString) text = g_string_new(NULL);
    int64_t total = 0;
    for (size_t i = 0; i < ks_query_n_groups(sim); i++) {
        KsGroupInfo g;
        ks_query_group(sim, i, &g);
        if (g.records_duplicated == 0)
            continue;
        total += g.records_duplicated;
        g_string_append_printf(text, "%s%s %" PRId64, text->len ? ", " : "", g.name,
                               g.records_duplicated);
    }
    *out_actual = total == 0 ? g_strdup("no record was delivered twice to a group")
                             : g_strdup_printf("%" PRId64 " record%s delivered again (%s)", total,
                                               total == 1 ? "" : "s", text->str);
    return total == 0;
}

static bool eval_flume(const KsSim *sim, const Subject *s, char **out_actual)
{
    KsFlumeInfo f;
    if (!ks_query_find_flume(sim, s->e->name, &f))
        g_assert_not_reached(); /* the parser checked the name */
    bool dropped = s->e->kind == KS_EXPECT_FLUME_DROPPED;
    int64_t v = dropped ? f.dropped : f.fill;
    if (dropped)
        *out_actual = g_strdup_printf("agent %s dropped %" PRId64 " events", f.name, v);
    else
        *out_actual = g_strdup_printf("agent %s's channel holds %" PRId64 " of %" PRId64 " events",
                                      f.name, v, f.capacity);
    return compare(v, s->e->cmp, s->e->number);
}

static bool eval_quorum(const KsSim *sim, const Subject *s, char **out_actual)
{
    KsZookeeperInfo z;
    ks_query_zookeeper(sim, &z);
    *out_actual = g_strdup_printf("%d of %d ZooKeeper servers up, %s", z.up, z.servers,
                                  z.quorum ? "a quorum" : "no quorum");
    return compare(z.quorum, s->e->cmp, s->e->number);
}

static bool eval_connected(const KsSim *sim, const Subject *s, char **out_actual)
{
    bool c = ks_query_connected(sim, s->e->name, s->e->word);
    *out_actual =
        g_strdup_printf("%s and %s are %s", s->e->name, s->e->word, c ? "connected" : "cut apart");
    return compare(c, s->e->cmp, s->e->number);
}

static const EvalFn evaluators[] = {
    [KS_EXPECT_LEADER] = eval_leader,
    [KS_EXPECT_ISR] = eval_isr,
    [KS_EXPECT_REPLICAS] = eval_replicas,
    [KS_EXPECT_LEADER_EPOCH] = eval_leader_epoch,
    [KS_EXPECT_LOG_END_OFFSET] = eval_log_end_offset,
    [KS_EXPECT_HIGH_WATERMARK] = eval_high_watermark,
    [KS_EXPECT_ALIVE] = eval_alive,
    [KS_EXPECT_CONTROLLER] = eval_controller,
    [KS_EXPECT_LAG] = eval_lag,
    [KS_EXPECT_COMMITTED] = eval_committed,
    [KS_EXPECT_GROUP_STATE] = eval_group_state,
    [KS_EXPECT_ASSIGNMENT] = eval_assignment,
    [KS_EXPECT_NO_ACKED_DATA_LOSS] = eval_no_acked_data_loss,
    [KS_EXPECT_NO_DUPLICATES] = eval_no_duplicates,
    [KS_EXPECT_POSITION] = eval_position,
    [KS_EXPECT_IDLE] = eval_idle,
    [KS_EXPECT_COORDINATOR] = eval_coordinator,
    [KS_EXPECT_STAT] = eval_stat,
    [KS_EXPECT_FLUME_DROPPED] = eval_flume,
    [KS_EXPECT_CHANNEL_FILL] = eval_flume,
    [KS_EXPECT_ZOOKEEPER_QUORUM] = eval_quorum,
    [KS_EXPECT_CONNECTED] = eval_connected,
};
/* KS_EXPECT_CONNECTED is the last kind: a new kind needs its row. */
G_STATIC_ASSERT(G_N_ELEMENTS(evaluators) == KS_EXPECT_CONNECTED + 1);

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
        KsTopicInfo t;
        ks_query_topic(sim, s.topic, &t);
        /* A partition `add partitions` was to make, when it made none. */
        if (e->partition.partition >= t.n_partitions) {
            *out_actual = g_strdup_printf("%s has %d partitions; there is no %s-%d", t.name,
                                          t.n_partitions, t.name, e->partition.partition);
            return false;
        }
        ks_query_partition(sim, s.topic, e->partition.partition, &s.part);
    }
    return evaluators[e->kind](sim, &s, out_actual);
}
