/* SPDX-License-Identifier: MIT */
/*
 * check.c - evaluates `expect` conditions against the model.
 *
 * Each condition reads the model's state the way a Kafka tool would show it
 * (kafka-topics --describe for leader, ISR and replicas; the partition
 * leader's log for offsets) and says, in words, what it saw, so a failed
 * expectation tells the user what happened instead.
 */
#include "kafkasim/text.h"
#include "model.h"

#include <inttypes.h>
#include <string.h>

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

static int64_t stat_value(const KsSim *sim, KsStatKind kind)
{
    KsSimStats stats;
    ks_sim_get_stats(sim, &stats);
    const KsSimStats *s = &stats;
    switch (kind) {
    case KS_STAT_RECORDS_PRODUCED:
        return s->records_produced;
    case KS_STAT_RECORDS_ACKED:
        return s->records_acked;
    case KS_STAT_RECORDS_REFUSED:
        return s->records_refused;
    case KS_STAT_RECORDS_LOST:
        return s->records_lost;
    case KS_STAT_RECORDS_CONSUMED:
        return s->records_consumed;
    case KS_STAT_RECORDS_DUPLICATED:
        return s->records_duplicated;
    case KS_STAT_LEADER_ELECTIONS:
        return s->leader_elections;
    case KS_STAT_REBALANCES:
        return s->rebalances;
    case KS_STAT_UNAVAILABLE_US:
        return s->unavailable_us;
    }
    return 0;
}

bool ks_check_expect(const KsSim *sim, const KsPlanExpect *e, char **out_actual)
{
    KsPartition *part = NULL;
    if (e->partition.topic) {
        KsTopic *t = ks_sim_find_topic(sim, e->partition.topic);
        part = &t->partitions[e->partition.partition];
    }
    const char *pname = e->partition.topic;
    int32_t pidx = e->partition.partition;
    KsReplica *lr = part ? ks_partition_leader_replica(part) : NULL;

    switch (e->kind) {
    case KS_EXPECT_LEADER: {
        g_autofree char *who = ks_text_broker(part->leader);
        *out_actual = g_strdup_printf("leader of %s-%d is %s", pname, pidx, who);
        return compare(part->leader, e->cmp, e->number);
    }
    case KS_EXPECT_ISR: {
        g_autofree char *ids = ks_text_ids(ks_partition_isr_ids(part), part->isr->len);
        *out_actual = g_strdup_printf("isr of %s-%d is %s", pname, pidx, ids);
        return compare_sets(ks_partition_isr_ids(part), part->isr->len, e->cmp, e->set_ids);
    }
    case KS_EXPECT_REPLICAS: {
        g_autofree KsBrokerId *ids = g_new(KsBrokerId, part->n_replicas);
        for (int32_t i = 0; i < part->n_replicas; i++)
            ids[i] = part->replicas[i].broker->id;
        g_autofree char *s = ks_text_ids(ids, part->n_replicas);
        *out_actual = g_strdup_printf("replicas of %s-%d are %s", pname, pidx, s);
        return compare_sets(ids, part->n_replicas, e->cmp, e->set_ids);
    }
    case KS_EXPECT_LEADER_EPOCH:
        *out_actual =
            g_strdup_printf("leader epoch of %s-%d is %d", pname, pidx, part->leader_epoch);
        return compare(part->leader_epoch, e->cmp, e->number);
    case KS_EXPECT_LOG_END_OFFSET: {
        int64_t v = lr ? lr->log.end : -1;
        *out_actual = lr ? g_strdup_printf("log end offset of %s-%d is %" PRId64, pname, pidx, v)
                         : g_strdup_printf("%s-%d has no leader", pname, pidx);
        return compare(v, e->cmp, e->number);
    }
    case KS_EXPECT_HIGH_WATERMARK: {
        int64_t v = lr ? lr->hw : -1;
        *out_actual = lr ? g_strdup_printf("high watermark of %s-%d is %" PRId64, pname, pidx, v)
                         : g_strdup_printf("%s-%d has no leader", pname, pidx);
        return compare(v, e->cmp, e->number);
    }
    case KS_EXPECT_ALIVE: {
        KsBroker *b = ks_sim_find_broker(sim, e->broker);
        *out_actual = g_strdup_printf("broker %d is %s", b->id, b->alive ? "alive" : "down");
        return compare(b->alive, e->cmp, e->number);
    }
    case KS_EXPECT_CONTROLLER: {
        g_autofree char *who = ks_text_broker(sim->controller);
        *out_actual = g_strdup_printf("controller is %s", who);
        return compare(sim->controller, e->cmp, e->number);
    }
    case KS_EXPECT_STAT: {
        int64_t v = stat_value(sim, e->stat);
        *out_actual = g_strdup_printf("it is %" PRId64, v);
        return compare(v, e->cmp, e->number);
    }
    case KS_EXPECT_NO_ACKED_DATA_LOSS: {
        int64_t lost = stat_value(sim, KS_STAT_RECORDS_LOST);
        *out_actual =
            g_strdup_printf("%" PRId64 " acknowledged record%s lost", lost, lost == 1 ? "" : "s");
        return lost == 0;
    }
    case KS_EXPECT_LAG:
    case KS_EXPECT_COMMITTED:
    case KS_EXPECT_GROUP_STATE:
    case KS_EXPECT_ASSIGNMENT:
    case KS_EXPECT_NO_DUPLICATES:
        /* The parser refuses these (support.c). */
        g_assert_not_reached();
    }
    g_assert_not_reached();
}
