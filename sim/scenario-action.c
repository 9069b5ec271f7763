/* SPDX-License-Identifier: MIT */
/*
 * scenario-action.c - timeline actions: what happens to the cluster and
 * when.
 *
 * One row per action (action_rows: crash, restart and stop a broker, add a
 * broker, crash and restart a node, start, stop, crash and seek a consumer or
 * producer, produce, say, snapshot, partition-network, heal-network,
 * elect-preferred, reassign, set, describe groups, brokers, log and zk,
 * expect; crash and restart a flume agent or a ZooKeeper server). A row names its verb and object,
 * its usage, keys and handler; the handler fills a KsPlanAction.
 * ks_scn_parse_action builds one action from the tokens after `at TIME` or
 * `every PERIOD` (or from the start of the line for an action that runs
 * "now"), checks it against the declarations and the time it runs at
 * (a broker that `add broker` adds later does not exist yet), and hands it
 * to the caller: scenario.c appends it to the plan or returns it to the
 * caller of ks_scenario_parse_line(). Runs once per action line.
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
    if (!ks_scn_want_scalar(p, ai, "a broker id", error))
        return false;
    return ks_scn_tok_broker(p, ks_scn_scalar(ai), ai->example, &act->broker, error);
}

static bool act_add_broker(Parser *p, const ActionRow *row, const KsToken *head, Args *a,
                           KsPlanAction *act, GError **error)
{
    const Arg *ai = a->pos->pdata[0];
    int64_t id;
    if (!ks_scn_arg_int(p, ai, 0, INT32_MAX, &id, error))
        return false;
    if (!ks_scn_broker_place(p, &row->spec, head, a, &act->node, &act->rack, error))
        return false;
    if (!ks_scn_add_broker(p, ks_scn_scalar(ai), id, error))
        return false;
    BrokerInfo *b = g_hash_table_lookup(p->brokers, GINT_TO_POINTER((int)id));
    b->added_at = p->now == KS_SCENARIO_NOW ? 0 : p->now;
    KsBrokerId bid = (KsBrokerId)id;
    g_array_append_val(p->added, bid);
    act->broker = bid;
    act->configs = g_steal_pointer(&a->configs);
    return true;
}

static bool act_node(Parser *p, const ActionRow *row, const KsToken *head, Args *a,
                     KsPlanAction *act, GError **error)
{
    return ks_scn_arg_node(p, a->pos->pdata[0], &act->name, error);
}

/* add node NAME [zone=Z] [type=T] [site=S]: a machine that exists from
 * this time on (scaling.c). */
static bool act_add_node(Parser *p, const ActionRow *row, const KsToken *head, Args *a,
                         KsPlanAction *act, GError **error)
{
    const Arg *an = a->pos->pdata[0], *az = ks_scn_get(a, "zone");
    const Arg *at = ks_scn_get(a, "type"), *as = ks_scn_get(a, "site");
    g_autoptr(KsPlanNode) node = g_new0(KsPlanNode, 1);
    if (!ks_scn_arg_name(p, an, "a node name", &node->name, error) ||
        (az && !ks_scn_arg_name(p, az, "a zone name", &node->zone, error)) ||
        (at && !ks_scn_arg_node_type(p, at, &node->type, error)) ||
        (as &&
         !ks_scn_node_site(p, as, node->zone, az ? ks_scn_scalar(az) : NULL, &node->site, error)))
        return false;
    const KsPlanNode *old = g_hash_table_lookup(p->nodes, node->name);
    if (old || g_hash_table_contains(p->clients, node->name))
        return ks_scn_fail(p, ks_scn_scalar(an), VALUE, error, "'%s' is already the name of a %s",
                           node->name, old ? "node" : "client");
    node->added_at = p->now == KS_SCENARIO_NOW ? 0 : p->now;
    node->loc = ks_scn_loc_of(head);
    act->name = g_strdup(node->name);
    g_hash_table_insert(p->nodes, node->name, node);
    g_ptr_array_add(p->plan->nodes, g_steal_pointer(&node));
    return true;
}

/* resize node NAME type=T, rolling-resize type=T (scaling.c). */
static bool act_resize(Parser *p, const ActionRow *row, const KsToken *head, Args *a,
                       KsPlanAction *act, GError **error)
{
    if (a->pos->len > 0 && !ks_scn_arg_node(p, a->pos->pdata[0], &act->name, error))
        return false;
    const Arg *at = ks_scn_need(p, a, &row->spec, head, "type", error);
    if (!at || !ks_scn_arg_node_type(p, at, &act->node_type, error))
        return false;
    act->downtime = 30 * KS_TIME_S;
    const Arg *ad = ks_scn_get(a, "downtime");
    return !ad || (ks_scn_want_scalar(p, ad, "a duration", error) &&
                   ks_scn_tok_duration(p, ks_scn_scalar(ad), ad, "a duration", ad->example,
                                       &act->downtime, error));
}

static bool act_start_consumer(Parser *p, const ActionRow *row, const KsToken *head, Args *a,
                               KsPlanAction *act, GError **error)
{
    const Arg *an = a->pos->pdata[0];
    if (!ks_scn_arg_name(p, an, "a consumer name", &act->name, error))
        return false;
    const Arg *ag = ks_scn_get(a, "group"), *at = ks_scn_get(a, "topics");
    ClientInfo *c = g_hash_table_lookup(p->clients, act->name);
    if (!c && ag && at)
        return ks_scn_define_consumer(p, ks_scn_scalar(an), act->name, ag, at, a,
                                      ks_scn_loc_of(head), false, error);
    if (!c || c->kind != CLIENT_CONSUMER) {
        if (c)
            return ks_scn_find_consumer(p, ks_scn_scalar(an), act->name, error);
        return ks_scn_fail(
            p, ks_scn_scalar(an), REFERENCE, error,
            "consumer '%s' is not declared; declare it above, or give both group= and "
            "topics= to start a new one",
            act->name);
    }
    if (ag) {
        if (!ks_scn_arg_name(p, ag, "a group name", &act->group, error))
            return false;
        if (!ks_scn_use_group(p, ks_scn_scalar(ag), act->group, error))
            return false;
    }
    if (at && !ks_scn_arg_topics(p, at, &act->topics, error))
        return false;
    if (!ks_scn_consumer_seek_keys(p, a, "from-offset", "from-time", &act->from_offset,
                                   &act->from_time, error))
        return false;
    for (const char *const *k = (const char *const[]){"processing", "commit", "commit-every", NULL};
         *k; k++)
        if (ks_scn_get(a, *k))
            return ks_scn_fail(p, ks_scn_get(a, *k)->key, VALUE, error,
                               "%s= is part of a consumer's declaration; a declared consumer "
                               "keeps it",
                               *k);
    if (ks_scn_get(a, "node"))
        return ks_scn_fail(
            p, ks_scn_get(a, "node")->key, VALUE, error,
            "node= is part of a consumer's declaration; a declared consumer keeps its node");
    if (!ks_config_set_is_empty(a->configs))
        act->configs = g_steal_pointer(&a->configs);
    return true;
}

/* The action's client, the line's first value, declared by a line of
 * @kind. */
static bool act_client(Parser *p, Args *a, ClientKind kind, KsPlanAction *act, GError **error)
{
    const Arg *an = a->pos->pdata[0];
    const char *what = kind == CLIENT_CONSUMER ? "a consumer name" : "a producer name";
    if (!ks_scn_arg_name(p, an, what, &act->name, error))
        return false;
    if (kind == CLIENT_CONSUMER)
        return ks_scn_find_consumer(p, ks_scn_scalar(an), act->name, error);
    return ks_scn_find_producer(p, ks_scn_scalar(an), act->name, error);
}

static bool act_consumer(Parser *p, const ActionRow *row, const KsToken *head, Args *a,
                         KsPlanAction *act, GError **error)
{
    return act_client(p, a, CLIENT_CONSUMER, act, error);
}

static bool act_seek_consumer(Parser *p, const ActionRow *row, const KsToken *head, Args *a,
                              KsPlanAction *act, GError **error)
{
    return act_client(p, a, CLIENT_CONSUMER, act, error) &&
           ks_scn_seek_target(p, head, a, act, error);
}

static bool act_producer(Parser *p, const ActionRow *row, const KsToken *head, Args *a,
                         KsPlanAction *act, GError **error)
{
    return act_client(p, a, CLIENT_PRODUCER, act, error);
}

static bool act_flume(Parser *p, const ActionRow *row, const KsToken *head, Args *a,
                      KsPlanAction *act, GError **error)
{
    const Arg *an = a->pos->pdata[0];
    return ks_scn_arg_name(p, an, "a flume agent name", &act->name, error) &&
           ks_scn_find_flume(p, ks_scn_scalar(an), act->name, error);
}

static bool act_zookeeper(Parser *p, const ActionRow *row, const KsToken *head, Args *a,
                          KsPlanAction *act, GError **error)
{
    int64_t id;
    int32_t n = p->plan->zookeeper ? p->plan->zookeeper->servers : 1;
    if (!ks_scn_arg_int(p, a->pos->pdata[0], 1, n, &id, error))
        return false;
    act->broker = (KsBrokerId)id;
    return true;
}

static bool act_produce(Parser *p, const ActionRow *row, const KsToken *head, Args *a,
                        KsPlanAction *act, GError **error)
{
    act->count = 1;
    act->partition = -1;
    const Arg *apr = ks_scn_get(a, "producer");
    const KsPlanProducer *pr = NULL;
    if (apr) {
        if (!ks_scn_arg_name(p, apr, "a producer name", &act->producer, error))
            return false;
        if (!ks_scn_find_producer(p, ks_scn_scalar(apr), act->producer, error))
            return false;
        pr = ks_plan_find_producer(p->plan, act->producer);
    }
    const Arg *at = ks_scn_get(a, "topic");
    KsPlanTopic *topic = NULL;
    if (at) {
        topic = ks_scn_arg_topic(p, at, error);
        if (!topic)
            return false;
        /* The model sends with the producer, to the producer's topic. */
        if (pr && strcmp(topic->name, pr->topic) != 0)
            return ks_scn_fail(
                p, ks_scn_scalar(at), VALUE, error,
                "producer '%s' writes to '%s'; 'produce producer=%s' cannot send to '%s' "
                "(leave out topic=, or leave out producer= to send with the `set` configs)",
                pr->name, pr->topic, pr->name, topic->name);
    } else if (pr) {
        /* A producer's own topic is the natural default. */
        topic = g_hash_table_lookup(p->topics, pr->topic);
    } else {
        return ks_scn_fail(p, head, SYNTAX, error,
                           "produce needs topic=, e.g. topic=orders; usage: %s", row->spec.usage);
    }
    act->topic = g_strdup(topic->name);
    const Arg *ak = ks_scn_get(a, "key");
    if (ak && !ks_scn_arg_text(p, ak, "a key (a name or a quoted string)", &act->key, error))
        return false;
    const Arg *ap = ks_scn_get(a, "partition");
    if (ap) {
        int64_t part;
        if (!ks_scn_arg_int(p, ap, 0, INT32_MAX, &part, error))
            return false;
        if (part >= topic->partitions) {
            g_autofree char *number = g_strdup_printf("%" PRId64, part);
            return ks_scn_no_such_partition(p, ap->first->line, ap->first->col, topic->name,
                                            topic->partitions, number, error);
        }
        act->partition = (int32_t)part;
    }
    const Arg *ac = ks_scn_get(a, "count");
    if (ac && !ks_scn_arg_int(p, ac, 1, MAX_COUNT, &act->count, error))
        return false;
    return pr || ks_scn_check_console_producer(p, head, error);
}

static bool act_say(Parser *p, const ActionRow *row, const KsToken *head, Args *a,
                    KsPlanAction *act, GError **error)
{
    const Arg *as = a->pos->pdata[0];
    if (as->is_list || as->is_set || ks_scn_scalar(as)->kind != KS_TOK_STRING)
        return ks_scn_fail(p, as->first, SYNTAX, error,
                           "say takes one quoted string, e.g. say \"broker 2 is back\"");
    act->text = g_strdup(ks_scn_scalar(as)->str);
    return true;
}

static bool act_snapshot(Parser *p, const ActionRow *row, const KsToken *head, Args *a,
                         KsPlanAction *act, GError **error)
{
    if (a->pos->len == 0)
        return true;
    return ks_scn_arg_name(p, a->pos->pdata[0], "a snapshot name", &act->name, error);
}

static bool act_describe_groups(Parser *p, const ActionRow *row, const KsToken *head, Args *a,
                                KsPlanAction *act, GError **error)
{
    if (a->pos->len == 0)
        return true; /* every group, as --all-groups */
    const Arg *ag = a->pos->pdata[0];
    if (!ks_scn_arg_name(p, ag, "a group name", &act->name, error))
        return false;
    return ks_scn_find_group(p, ks_scn_scalar(ag), act->name, error);
}

static bool act_describe_log(Parser *p, const ActionRow *row, const KsToken *head, Args *a,
                             KsPlanAction *act, GError **error)
{
    const Arg *at = a->pos->pdata[0];
    if (!ks_scn_want_scalar(p, at, "a partition", error))
        return false;
    return ks_scn_tok_partition(p, ks_scn_scalar(at), &act->target, error);
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
                return ks_scn_fail(p, arg->first, SYNTAX, error,
                                   "partition-network splits the nodes in two: use one '|'");
            pipe = arg;
            side = act->side_b;
            continue;
        }
        if (arg->is_set)
            return ks_scn_fail(p, arg->first, SYNTAX, error,
                               "write the nodes without braces: partition-network n1,n2 | n3");
        for (guint j = 0; j < arg->items->len; j++) {
            const KsToken *t = arg->items->pdata[j];
            if (!ks_scn_tok_is_name(t)) {
                g_autofree char *s = ks_scn_tok_show(t);
                return ks_scn_fail(p, t, VALUE, error, "'%s': expected a node name, e.g. %s", s,
                                   row->spec.pos_example);
            }
            g_autofree char *name = ks_scn_tok_text(t);
            if (!ks_scn_find_node(p, t, name, error))
                return false;
            for (guint k = 0; k < act->side_a->len; k++)
                if (strcmp(act->side_a->pdata[k], name) == 0)
                    return ks_scn_fail(p, t, VALUE, error,
                                       side == act->side_a ? "node '%s' is listed twice"
                                                           : "node '%s' is on both sides of '|'",
                                       name);
            for (guint k = 0; k < act->side_b->len; k++)
                if (strcmp(act->side_b->pdata[k], name) == 0)
                    return ks_scn_fail(p, t, VALUE, error, "node '%s' is listed twice", name);
            g_ptr_array_add(side, g_steal_pointer(&name));
        }
    }
    if (!pipe || act->side_a->len == 0 || act->side_b->len == 0)
        return ks_scn_fail(p, pipe ? pipe->first : head, SYNTAX, error,
                           "partition-network needs nodes on both sides of '|', e.g. %s",
                           row->spec.pos_example);
    act->one_way = pipe->first->src[0] == '-';
    const Arg *loss = ks_scn_get(a, "loss");
    if (loss && !ks_scn_arg_share(p, loss, &act->loss_ppm, error))
        return false;
    return true;
}

/* pause broker ID for DURATION */
static bool act_pause(Parser *p, const ActionRow *row, const KsToken *head, Args *a,
                      KsPlanAction *act, GError **error)
{
    if (!act_broker(p, row, head, a, act, error))
        return false;
    const Arg *af = a->pos->len > 1 ? a->pos->pdata[1] : NULL;
    const Arg *ad = a->pos->len > 2 ? a->pos->pdata[2] : NULL;
    if (!af || !ad || !ks_scn_tok_is(ks_scn_scalar(af), "for"))
        return ks_scn_fail(p, af ? ks_scn_scalar(af) : head, SYNTAX, error, "write how long: %s",
                           row->spec.pos_example);
    if (!ks_scn_want_scalar(p, ad, "a duration", error) ||
        !ks_scn_tok_duration(p, ks_scn_scalar(ad), ad, "a duration", "8s", &act->pause, error))
        return false;
    if (act->pause <= 0)
        return ks_scn_fail(p, ks_scn_scalar(ad), VALUE, error,
                           "a pause lasts longer than 0, e.g. %s", row->spec.pos_example);
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
    if (!ks_scn_want_scalar(p, at, "a topic or a partition", error))
        return false;
    const KsToken *t = ks_scn_scalar(at);
    g_autofree char *name = ks_scn_tok_is_name(t) ? ks_scn_tok_text(t) : NULL;
    /* A declared topic wins over a partition of the same spelling. */
    if (name && g_hash_table_contains(p->topics, name)) {
        act->target.topic = g_steal_pointer(&name);
        return true;
    }
    return ks_scn_tok_partition(p, t, &act->target, error);
}

static bool act_reassign(Parser *p, const ActionRow *row, const KsToken *head, Args *a,
                         KsPlanAction *act, GError **error)
{
    return ks_scn_reassign(p, &row->spec, head, a, act, error);
}

static bool act_add_partitions(Parser *p, const ActionRow *row, const KsToken *head, Args *a,
                               KsPlanAction *act, GError **error)
{
    return ks_scn_add_partitions(p, &row->spec, head, a, act, error);
}

static bool act_set(Parser *p, const ActionRow *row, const KsToken *head, Args *a,
                    KsPlanAction *act, GError **error)
{
    if (a->uses->len == 0)
        return ks_scn_fail(p, head, SYNTAX, error, "set needs at least one config; usage: %s",
                           row->spec.usage);
    act->configs = g_steal_pointer(&a->configs);
    return true;
}

static const KeySpec add_broker_keys[] = {KEY("node", "n4"), KEY("rack", "eu-1a"), KEYS_END};
static const KeySpec start_consumer_keys[] = {
    KEY("group", "billing"),   KEY("topics", "orders"), KEY("node", "n1"),
    KEY("processing", "2ms"),  KEY("commit", "sync"),   KEY("commit-every", "100"),
    KEY("from-offset", "500"), KEY("from-time", "5s"),  KEYS_END};
static const KeySpec seek_consumer_keys[] = {KEY("to-offset", "500"), KEY("to-time", "5s"),
                                             KEYS_END};
static const KeySpec produce_keys[] = {KEY("topic", "orders"), KEY("key", "user-7"),
                                       KEY("partition", "0"),  KEY("count", "10"),
                                       KEY("producer", "web"), KEYS_END};
static const KeySpec add_node_keys[] = {KEY("zone", "eu-1a"), KEY("type", "m5.xlarge"),
                                        KEY("site", "aws"), KEYS_END};
static const KeySpec partition_keys[] = {KEY("loss", "10%"), KEYS_END};
static const KeySpec resize_keys[] = {KEY("type", "m5.2xlarge"), KEY("downtime", "30s"), KEYS_END};

#define ACT(verb, obj, full, usage, minp, maxp, what, ex, keys, scopes, entity, pipe, kind, once,  \
            why, fn)                                                                               \
    {                                                                                              \
        {full, usage, minp, maxp, what, ex, keys, scopes, entity, pipe}, verb, obj, kind, once,    \
            why, fn                                                                                \
    }

static const ActionRow action_rows[] = {
    ACT("crash", "broker", "crash broker", "crash broker ID", 1, 1, "a broker id", "crash broker 2",
        NULL, 0, NULL, false, KS_ACTION_CRASH_BROKER, false, NULL, act_broker),
    ACT("restart", "broker", "restart broker", "restart broker ID", 1, 1, "a broker id",
        "restart broker 2", NULL, 0, NULL, false, KS_ACTION_RESTART_BROKER, false, NULL,
        act_broker),
    ACT("stop", "broker", "stop broker", "stop broker ID", 1, 1, "a broker id", "stop broker 2",
        NULL, 0, NULL, false, KS_ACTION_STOP_BROKER, false,
        "controlled shutdown is not modelled yet", act_broker),
    ACT("add", "broker", "add broker", "add broker ID node=NAME [rack=R] [broker configs]", 1, 1,
        "a new broker id", "add broker 4 node=n4", add_broker_keys, KS_SCOPE_BROKER, "a broker",
        false, KS_ACTION_ADD_BROKER, true, NULL, act_add_broker),
    ACT("add", "node", "add node", "add node NAME [zone=Z] [type=T] [site=S]", 1, 1,
        "a new node name", "add node n4 zone=eu-1a", add_node_keys, 0, NULL, false,
        KS_ACTION_ADD_NODE, true, NULL, act_add_node),
    ACT("add", "partitions", "add partitions", "add partitions TOPIC count=N", 1, 1, "a topic",
        "add partitions orders count=12", ks_scn_add_partitions_keys, 0, NULL, false,
        KS_ACTION_ADD_PARTITIONS, true, NULL, act_add_partitions),
    ACT("crash", "node", "crash node", "crash node NAME", 1, 1, "a node name", "crash node n2",
        NULL, 0, NULL, false, KS_ACTION_CRASH_NODE, false, NULL, act_node),
    ACT("restart", "node", "restart node", "restart node NAME", 1, 1, "a node name",
        "restart node n2", NULL, 0, NULL, false, KS_ACTION_RESTART_NODE, false, NULL, act_node),
    ACT("start", "consumer", "start consumer",
        "start consumer NAME [group=G topics=T,...] [from-offset=N | from-time=T] "
        "[consumer configs]",
        1, 1, "a consumer name", "start consumer c2 group=billing topics=orders",
        start_consumer_keys, KS_SCOPE_CONSUMER, "a consumer", false, KS_ACTION_START_CONSUMER,
        false, WHY_CONSUMERS, act_start_consumer),
    ACT("stop", "consumer", "stop consumer", "stop consumer NAME", 1, 1, "a consumer name",
        "stop consumer c1", NULL, 0, NULL, false, KS_ACTION_STOP_CONSUMER, false, WHY_CONSUMERS,
        act_consumer),
    ACT("crash", "consumer", "crash consumer", "crash consumer NAME", 1, 1, "a consumer name",
        "crash consumer c2", NULL, 0, NULL, false, KS_ACTION_CRASH_CONSUMER, false, WHY_CONSUMERS,
        act_consumer),
    ACT("seek", "consumer", "seek consumer",
        "seek consumer NAME [PARTITION] to-offset=N | to-time=T", 1, 2, "a consumer name",
        "seek consumer c1 orders-0 to-time=5s", seek_consumer_keys, 0, NULL, false,
        KS_ACTION_SEEK_CONSUMER, false, WHY_CONSUMERS, act_seek_consumer),
    ACT("start", "producer", "start producer", "start producer NAME", 1, 1, "a producer name",
        "start producer web", NULL, 0, NULL, false, KS_ACTION_START_PRODUCER, false, NULL,
        act_producer),
    ACT("stop", "producer", "stop producer", "stop producer NAME", 1, 1, "a producer name",
        "stop producer web", NULL, 0, NULL, false, KS_ACTION_STOP_PRODUCER, false, NULL,
        act_producer),
    ACT("produce", NULL, "produce",
        "produce topic=T [key=K] [partition=N] [count=N] [producer=NAME]", 0, 0, NULL, NULL,
        produce_keys, 0, NULL, false, KS_ACTION_PRODUCE, false, NULL, act_produce),
    ACT("say", NULL, "say", "say \"TEXT\"", 1, 1, "a quoted text", "say \"hello\"", NULL, 0, NULL,
        false, KS_ACTION_SAY, false, NULL, act_say),
    ACT("snapshot", NULL, "snapshot", "snapshot [NAME]", 0, 1, NULL, "snapshot after-failover",
        NULL, 0, NULL, false, KS_ACTION_SNAPSHOT, false, NULL, act_snapshot),
    ACT("partition-network", NULL, "partition-network",
        "partition-network NODE,... | NODE,... [loss=P%] (or NODE,... -> NODE,...: one way)", 0,
        G_MAXINT, NULL, "partition-network n1 | n2,n3", partition_keys, 0, NULL, true,
        KS_ACTION_PARTITION_NETWORK, false, NULL, act_partition_network),
    ACT("heal-network", NULL, "heal-network", "heal-network", 0, 0, NULL, NULL, NULL, 0, NULL,
        false, KS_ACTION_HEAL_NETWORK, false, NULL, act_none),
    ACT("pause", "broker", "pause broker", "pause broker ID for DURATION", 1, 3, "a broker id",
        "pause broker 2 for 8s", NULL, 0, NULL, false, KS_ACTION_PAUSE_BROKER, false, NULL,
        act_pause),
    ACT("elect-preferred", NULL, "elect-preferred", "elect-preferred [TOPIC | PARTITION]", 0, 1,
        NULL, "elect-preferred orders-0", NULL, 0, NULL, false, KS_ACTION_ELECT_PREFERRED, false,
        "preferred-leader election is not modelled yet", act_elect_preferred),
    ACT("reassign", NULL, "reassign",
        "reassign PARTITION replicas=BROKER,... | reassign topic TOPIC brokers=IDS | "
        "reassign all brokers=IDS [throttle=RATE] [placement-start=N]",
        1, 2, "a partition, 'topic TOPIC' or 'all'", "reassign orders-0 replicas=4,5,6",
        ks_scn_reassign_keys, 0, NULL, false, KS_ACTION_REASSIGN, true, NULL, act_reassign),
    ACT("set", NULL, "set", "set CONFIG=VALUE ...", 0, 0, NULL, NULL, NULL, ALL_SCOPES, "anything",
        false, KS_ACTION_SET_CONFIG, false, "changing configs at run time is not modelled yet",
        act_set),
    ACT("describe", "groups", "describe groups", "describe groups [GROUP]", 0, 1, "a group name",
        "describe groups billing", NULL, 0, NULL, false, KS_ACTION_DESCRIBE_GROUPS, false,
        WHY_CONSUMERS, act_describe_groups),
    ACT("describe", "brokers", "describe brokers", "describe brokers", 0, 0, NULL, NULL, NULL, 0,
        NULL, false, KS_ACTION_DESCRIBE_BROKERS, false, NULL, act_none),
    ACT("describe", "log", "describe log", "describe log PARTITION", 1, 1, "a partition",
        "describe log orders-0", NULL, 0, NULL, false, KS_ACTION_DESCRIBE_LOG, false, NULL,
        act_describe_log),
    ACT("describe", "zk", "describe zk", "describe zk", 0, 0, NULL, NULL, NULL, 0, NULL, false,
        KS_ACTION_DESCRIBE_ZK, false, NULL, act_none),
    ACT("expect", NULL, "expect", "expect CONDITION", 0, 0, NULL, NULL, NULL, 0, NULL, false,
        KS_ACTION_EXPECT, false, NULL, NULL),
    ACT("crash", "flume", "crash flume", "crash flume NAME", 1, 1, "a flume agent name",
        "crash flume agent1", NULL, 0, NULL, false, KS_ACTION_CRASH_FLUME, false, NULL, act_flume),
    ACT("restart", "flume", "restart flume", "restart flume NAME", 1, 1, "a flume agent name",
        "restart flume agent1", NULL, 0, NULL, false, KS_ACTION_RESTART_FLUME, false, NULL,
        act_flume),
    ACT("crash", "zookeeper", "crash zookeeper", "crash zookeeper N", 1, 1, "a server number",
        "crash zookeeper 2", NULL, 0, NULL, false, KS_ACTION_CRASH_ZOOKEEPER, false, NULL,
        act_zookeeper),
    ACT("restart", "zookeeper", "restart zookeeper", "restart zookeeper N", 1, 1, "a server number",
        "restart zookeeper 2", NULL, 0, NULL, false, KS_ACTION_RESTART_ZOOKEEPER, false, NULL,
        act_zookeeper),
    ACT("resize", "node", "resize node", "resize node NAME type=T [downtime=DURATION]", 1, 1,
        "a node name", "resize node n1 type=m5.2xlarge", resize_keys, 0, NULL, false,
        KS_ACTION_RESIZE_NODE, false, NULL, act_resize),
    ACT("rolling-resize", NULL, "rolling-resize", "rolling-resize type=T [downtime=DURATION]", 0, 0,
        NULL, NULL, resize_keys, 0, NULL, false, KS_ACTION_ROLLING_RESIZE, false, NULL, act_resize),
    ACT("delete", "group", "delete group", "delete group GROUP", 1, 1, "a group name",
        "delete group billing", NULL, 0, NULL, false, KS_ACTION_DELETE_GROUP, false, WHY_CONSUMERS,
        act_describe_groups),
};

static const ActionRow *find_action(Parser *p, GError **error)
{
    const KsToken *verb = ks_scn_cur(p);
    const KsToken *object = &p->toks[MIN(p->pos + 1, p->n - 1)];
    bool verb_known = false;
    g_autoptr(GPtrArray) objects = g_ptr_array_new();
    for (size_t i = 0; i < G_N_ELEMENTS(action_rows); i++) {
        const ActionRow *r = &action_rows[i];
        if (!ks_scn_tok_is(verb, r->verb))
            continue;
        verb_known = true;
        if (!r->object)
            return r;
        if (ks_scn_tok_is(object, r->object))
            return r;
        g_ptr_array_add(objects, (gpointer)r->object);
    }
    if (verb_known) {
        g_autofree char *list = ks_scn_join_or(objects);
        g_autofree char *v = ks_scn_tok_text(verb);
        g_autofree char *o = ks_scn_tok_show(object);
        g_autofree char *word = ks_scn_tok_text(object);
        g_autofree char *dym =
            object->kind == KS_TOK_WORD ? ks_scn_did_you_mean(word, objects) : g_strdup("");
        if (object->kind == KS_TOK_EOL)
            ks_scn_fail(p, verb, SYNTAX, error, "'%s' needs what to %s: %s", v, v, list);
        else
            ks_scn_fail(p, object, SYNTAX, error, "cannot %s '%s'%s; '%s' takes %s", v, o, dym, v,
                        list);
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
    g_autofree char *word = ks_scn_tok_show(verb);
    const char *s = verb->kind == KS_TOK_WORD ? ks_scn_suggest(word, names) : NULL;
    if (verb->kind == KS_TOK_EOL)
        ks_scn_fail(p, verb, SYNTAX, error, "expected an action, e.g. crash broker 2");
    else if (s)
        ks_scn_fail(p, verb, SYNTAX, error, "unknown action '%s'; did you mean '%s'?", word, s);
    else {
        g_autofree char *list = ks_scn_join_strs(names, 100);
        ks_scn_fail(p, verb, SYNTAX, error, "unknown action '%s'; actions are %s", word, list);
    }
    return NULL;
}

/* Reads the rest of the line into @act: its values, checked, then whether
 * the simulator can run it. */
static bool fill_action(Parser *p, const ActionRow *row, const KsToken *head, KsPlanAction *act,
                        GError **error)
{
    if (row->kind == KS_ACTION_EXPECT) {
        const CondRow *cond = NULL;
        const KsToken *ct = NULL;
        act->expect = ks_scn_parse_condition(p, head, &cond, &ct, error);
        if (!act->expect)
            return false;
        if (!p->allow_unsupported && !ks_support_action(row->kind))
            return ks_scn_unsupported(p, head, row->spec.name, row->why, error);
        return ks_scn_check_cond_support(p, cond, ct, error);
    }
    g_autoptr(Args) a = ks_scn_collect_args(p, &row->spec, head, error);
    if (!a)
        return false;
    if (!row->handle(p, row, head, a, act, error))
        return false;
    if (!p->allow_unsupported && !ks_support_action(row->kind))
        return ks_scn_unsupported(p, head, row->spec.name, row->why, error);
    return ks_scn_check_config_support(p, a, error);
}

KsPlanAction *ks_scn_parse_action(Parser *p, KsTime at, KsTime every, GError **error)
{
    const ActionRow *row = find_action(p, error);
    if (!row)
        return NULL;
    const KsToken *head = ks_scn_cur(p);
    ks_scn_advance(p);
    if (row->object)
        ks_scn_advance(p);
    if (every && row->once) {
        ks_scn_fail(p, head, VALUE, error, "'%s' happens once; it cannot be used with every",
                    row->spec.name);
        return NULL;
    }
    if (p->tl.n_actions >= MAX_ACTIONS) {
        ks_scn_fail(p, head, VALUE, error, "too many actions (at most %d)", MAX_ACTIONS);
        return NULL;
    }
    p->now = at;
    g_autoptr(KsPlanAction) act = g_new0(KsPlanAction, 1);
    act->from_offset = -1;
    act->from_time = -1;
    act->kind = row->kind;
    act->at = at;
    act->every = every;
    act->broker = KS_NO_BROKER;
    act->partition = -1;
    act->target.partition = -1;
    act->loc = ks_scn_loc_of(head);
    if (!fill_action(p, row, head, act, error))
        return NULL;
    p->tl.n_actions++;
    return g_steal_pointer(&act);
}

bool ks_scn_is_action_verb(const KsToken *kw)
{
    for (size_t i = 0; i < G_N_ELEMENTS(action_rows); i++)
        if (kw->kind == KS_TOK_WORD && ks_scn_tok_is(kw, action_rows[i].verb) &&
            strcmp(action_rows[i].verb, "set") != 0)
            return true;
    return false;
}

void ks_scn_add_action_keywords(GPtrArray *words)
{
    for (size_t i = 0; i < G_N_ELEMENTS(action_rows); i++) {
        ks_scn_add_keyword(words, action_rows[i].spec.name);
        ks_scn_add_keys(words, action_rows[i].spec.keys);
    }
}
