/* SPDX-License-Identifier: MIT */
/*
 * scenario-reassign.c - the `reassign` action's line:
 *
 *   reassign PARTITION replicas=BROKER,...        one partition, replicas in order
 *   reassign topic TOPIC brokers=IDS              a plan for one topic
 *   reassign all brokers=IDS                      a plan for every topic
 *
 *   add partitions TOPIC count=N                  the topic grows to N partitions
 *
 * the reassign forms each with [throttle=RATE] (kafka-reassign-partitions.sh --throttle, in
 * bytes per second with a unit: 10MB/s); a plan also takes
 * [placement-start=N], the fixed start index of its placement. IDS is a
 * list (1,2,3), a set ({1,2,3}) or a range (1..6). Every broker must exist
 * at the time of the line (`add broker` before it). Runs once per line.
 */
#include "scenario-private.h"

#include <inttypes.h>

const KeySpec ks_scn_reassign_keys[] = {KEY("replicas", "4,5,6"), KEY("brokers", "1..6"),
                                        KEY("throttle", "10MB/s"), KEY("placement-start", "0"),
                                        KEYS_END};

const KeySpec ks_scn_add_partitions_keys[] = {KEY("count", "12"), KEYS_END};

int32_t ks_scn_partitions_now(const Parser *p, const KsPlanTopic *topic)
{
    int32_t n = topic->partitions;
    for (guint i = 0; p->grown && i < p->grown->len; i++) {
        const GrownTopic *g = &g_array_index(p->grown, GrownTopic, i);
        if (g->topic == topic && (p->now == KS_SCENARIO_NOW || g->at <= p->now))
            n = MAX(n, g->count);
    }
    return n;
}

bool ks_scn_add_partitions(Parser *p, const LineSpec *spec, const KsToken *head, Args *a,
                           KsPlanAction *act, GError **error)
{
    KsPlanTopic *topic = ks_scn_arg_topic(p, a->pos->pdata[0], error);
    if (!topic)
        return false;
    const Arg *ac = ks_scn_need(p, a, spec, head, "count", error);
    int64_t count;
    if (!ac || !ks_scn_arg_int(p, ac, 1, 1000000, &count, error))
        return false;
    if (count <= topic->partitions)
        return ks_scn_fail(p, ks_scn_scalar(ac), VALUE, error,
                           "count=%" PRId64 ": the number of partitions can only be increased; "
                           "%s is declared with %" PRId32,
                           count, topic->name, topic->partitions);
    act->topic = g_strdup(topic->name);
    act->count = count;
    if (!p->grown)
        p->grown = g_array_new(FALSE, FALSE, sizeof(GrownTopic));
    GrownTopic g = {topic, p->now == KS_SCENARIO_NOW ? 0 : p->now, (int32_t)count};
    g_array_append_val(p->grown, g);
    return true;
}

/* A key that belongs to the other form of the action. */
static bool refuse_key(Parser *p, Args *a, const char *key, const char *why, GError **error)
{
    const Arg *k = ks_scn_get(a, key);
    if (!k)
        return true;
    return ks_scn_fail(p, k->key, VALUE, error, "'%s' %s", key, why);
}

static bool parse_plan(Parser *p, const LineSpec *spec, const KsToken *head, Args *a,
                       KsPlanAction *act, GError **error)
{
    if (!refuse_key(p, a, "replicas",
                    "is for one partition (reassign orders-0 replicas=4,5,6); a plan takes "
                    "brokers=",
                    error))
        return false;
    const Arg *ab = ks_scn_need(p, a, spec, head, "brokers", error);
    if (!ab || !ks_scn_arg_broker_range(p, ab, &act->plan_brokers, error))
        return false;
    int32_t rf = 0;
    if (act->target.topic) {
        const KsPlanTopic *t = g_hash_table_lookup(p->topics, act->target.topic);
        rf = t->replication_factor;
    } else {
        GHashTableIter it;
        gpointer v;
        g_hash_table_iter_init(&it, p->topics);
        while (g_hash_table_iter_next(&it, NULL, &v))
            rf = MAX(rf, ((const KsPlanTopic *)v)->replication_factor);
    }
    if ((int32_t)act->plan_brokers->len < rf)
        return ks_scn_fail(p, ab->first, VALUE, error,
                           "Replication factor: %" PRId32 " larger than available brokers: %u.", rf,
                           act->plan_brokers->len);
    const Arg *as = ks_scn_get(a, "placement-start");
    int64_t start = -1;
    if (as && !ks_scn_arg_int(p, as, 0, INT32_MAX, &start, error))
        return false;
    act->placement_start = (int32_t)start;
    return true;
}

bool ks_scn_reassign(Parser *p, const LineSpec *spec, const KsToken *head, Args *a,
                     KsPlanAction *act, GError **error)
{
    act->placement_start = -1;
    const Arg *a0 = a->pos->pdata[0];
    if (!ks_scn_want_scalar(p, a0, "a partition, 'topic TOPIC' or 'all'", error))
        return false;
    const KsToken *t0 = ks_scn_scalar(a0);
    const Arg *at = ks_scn_get(a, "throttle");
    if (at && !ks_scn_arg_byte_rate(p, at, &act->throttle, error))
        return false;
    if (at && act->throttle <= 0)
        return ks_scn_fail(p, ks_scn_scalar(at), VALUE, error,
                           "throttle must be more than 0 bytes/s, e.g. throttle=10MB/s");
    if (ks_scn_tok_is(t0, "topic")) {
        if (a->pos->len < 2)
            return ks_scn_fail(p, t0, SYNTAX, error, "'reassign topic' needs a topic, e.g. %s",
                               "reassign topic orders brokers=1,2,3,4");
        KsPlanTopic *topic = ks_scn_arg_topic(p, a->pos->pdata[1], error);
        if (!topic)
            return false;
        act->target.topic = g_strdup(topic->name);
        return parse_plan(p, spec, head, a, act, error);
    }
    if (a->pos->len > 1) {
        const KsToken *extra = ks_scn_scalar(a->pos->pdata[1]);
        g_autofree char *shown = ks_scn_tok_show(extra);
        return ks_scn_fail(p, extra, SYNTAX, error, "unexpected '%s'; usage: %s", shown,
                           spec->usage);
    }
    if (ks_scn_tok_is(t0, "all"))
        return parse_plan(p, spec, head, a, act, error);
    if (!ks_scn_tok_partition(p, t0, &act->target, error))
        return false;
    if (!refuse_key(p, a, "brokers",
                    "is for a plan (reassign topic orders brokers=1..4); one partition takes "
                    "replicas=",
                    error) ||
        !refuse_key(p, a, "placement-start", "is for a plan (reassign topic or reassign all)",
                    error))
        return false;
    const Arg *ar = ks_scn_need(p, a, spec, head, "replicas", error);
    return ar && ks_scn_arg_broker_set(p, ar, false, false, &act->replicas, error);
}
