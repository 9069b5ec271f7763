/* SPDX-License-Identifier: MIT */
/*
 * scenario-decl.c - declarations: what the cluster is before time starts.
 *
 * One row per declaration keyword (decl_rows: seed, set, cluster, node, node-type and site
 * (scenario-decl-capacity.c), network and link (scenario-decl-net.c), broker, zookeeper, topic,
 * producer, flume, group, consumer) with its usage, keys and handler. A handler checks the meaning
 * of its line and appends the plan's element, keeping the indexes of the parser in step.
 *
 * Kafka's own rules apply where Kafka checks them: topic names (Topic.java:
 * at most 249 characters of letters, digits, '.', '_' and '-', not "." or
 * "..", and no two that collide once '.' reads as '_'), a replication factor no larger than the
 * brokers ("Replication factor: 4 larger than available brokers: 3."), and the
 * producer configs Kafka refuses when the producer is built
 * (ks_config_producer_effective), reported at the config that made the
 * conflict. Because `set` lines may come after a producer, those checks run
 * once the declarations are over (ks_scn_finish_declarations), at the first
 * timeline, run or expect line. Runs once per declaration line.
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
/* Declarations                                                               */

typedef struct DeclRow DeclRow;
typedef bool (*DeclFn)(Parser *p, const DeclRow *row, const KsToken *head, Args *a, GError **error);

struct DeclRow {
    LineSpec spec;
    KsDeclKind kind;
    const char *why; /* why it is not supported yet */
    DeclFn handle;
};

static bool decl_seed(Parser *p, const DeclRow *row, const KsToken *head, Args *a, GError **error)
{
    if (p->seed_line)
        return ks_scn_fail(p, head, VALUE, error, "the seed is already set on line %d",
                           p->seed_line);
    int64_t seed;
    if (!ks_scn_arg_int(p, a->pos->pdata[0], 0, INT64_MAX, &seed, error))
        return false;
    p->plan->has_seed = true;
    p->plan->seed = (uint64_t)seed;
    p->seed_line = head->line;
    return true;
}

static bool decl_set(Parser *p, const DeclRow *row, const KsToken *head, Args *a, GError **error)
{
    if (a->uses->len == 0)
        return ks_scn_fail(p, head, SYNTAX, error, "set needs at least one config; usage: %s",
                           row->spec.usage);
    for (guint i = 0; i < a->uses->len; i++) {
        const ConfigUse *u = &g_array_index(a->uses, ConfigUse, i);
        KsConfigKey k = u->info->key;
        if (p->set_at[k].line)
            return ks_scn_fail(p, u->key, VALUE, error, "%s is already set on line %d",
                               u->info->name, p->set_at[k].line);
        p->set_at[k] = ks_scn_loc_of(u->key);
        ks_config_set_put_from(p->plan->defaults, a->configs, k);
    }
    return true;
}

static bool add_node(Parser *p, const KsToken *t, const char *name, const char *zone, KsLoc loc,
                     GError **error)
{
    KsPlanNode *old = g_hash_table_lookup(p->nodes, name);
    if (old)
        return ks_scn_fail(p, t, VALUE, error, "node '%s' is already declared on line %d", name,
                           old->loc.line);
    if (g_hash_table_contains(p->clients, name))
        return ks_scn_fail(p, t, VALUE, error, "'%s' is already the name of a client", name);
    if (p->plan->nodes->len >= MAX_NODES)
        return ks_scn_fail(p, t, VALUE, error, "too many nodes (at most %d)", MAX_NODES);
    KsPlanNode *node = g_new0(KsPlanNode, 1);
    node->name = g_strdup(name);
    node->zone = g_strdup(zone);
    node->loc = loc;
    node->added_at = -1;
    g_ptr_array_add(p->plan->nodes, node);
    g_hash_table_insert(p->nodes, node->name, node);
    return true;
}

bool ks_scn_add_broker(Parser *p, const KsToken *t, int64_t id, GError **error)
{
    BrokerInfo *old = g_hash_table_lookup(p->brokers, GINT_TO_POINTER((int)id));
    if (old)
        return ks_scn_fail(p, t, VALUE, error, "broker %" PRId64 " is already declared on line %d",
                           id, old->line);
    if (g_hash_table_size(p->brokers) >= MAX_BROKERS)
        return ks_scn_fail(p, t, VALUE, error, "too many brokers (at most %d)", MAX_BROKERS);
    BrokerInfo *b = g_new0(BrokerInfo, 1);
    b->line = t->line;
    b->added_at = -1;
    g_hash_table_insert(p->brokers, GINT_TO_POINTER((int)id), b);
    return true;
}

static bool decl_cluster(Parser *p, const DeclRow *row, const KsToken *head, Args *a,
                         GError **error)
{
    int64_t nodes, per_node = 1;
    const Arg *an = ks_scn_need(p, a, &row->spec, head, "nodes", error);
    if (!an || !ks_scn_arg_int(p, an, 1, MAX_NODES, &nodes, error))
        return false;
    const Arg *ab = ks_scn_get(a, "brokers-per-node");
    if (ab && !ks_scn_arg_int(p, ab, 1, MAX_BROKERS, &per_node, error))
        return false;
    if (nodes * per_node > MAX_BROKERS)
        return ks_scn_fail(p, ab ? ab->first : an->first, VALUE, error,
                           "%" PRId64 " nodes with %" PRId64 " brokers each is %" PRId64
                           " brokers; at most %d",
                           nodes, per_node, nodes * per_node, MAX_BROKERS);
    const Arg *az = ks_scn_get(a, "zones");
    if (az && az->is_set) {
        g_autofree char *s = ks_scn_arg_show(az);
        return ks_scn_fail(p, az->first, VALUE, error,
                           "%s: write the zones without braces, e.g. %s", s, az->example);
    }
    if (az)
        for (guint i = 0; i < az->items->len; i++) {
            const KsToken *z = az->items->pdata[i];
            if (!ks_scn_tok_is_name(z)) {
                g_autofree char *s = ks_scn_tok_show(z);
                return ks_scn_fail(p, z, VALUE, error, "'%s': expected a zone name, e.g. %s", s,
                                   az->example);
            }
            if (!ks_scn_check_name_len(p, z, error))
                return false;
        }
    g_autofree char *type = NULL, *site = NULL;
    const Arg *at = ks_scn_get(a, "type"), *as = ks_scn_get(a, "site");
    if (at && !ks_scn_arg_node_type(p, at, &type, error))
        return false;
    if (as && !ks_scn_cluster_site(p, as, az, &site, error))
        return false;
    KsLoc loc = ks_scn_loc_of(head);
    for (int64_t i = 1; i <= nodes; i++) {
        g_autofree char *name = g_strdup_printf("n%" PRId64, i);
        g_autofree char *zone = NULL;
        if (az)
            zone = ks_scn_tok_text(az->items->pdata[(i - 1) % az->items->len]);
        if (g_hash_table_contains(p->nodes, name)) {
            KsPlanNode *old = g_hash_table_lookup(p->nodes, name);
            return ks_scn_fail(p, head, VALUE, error,
                               "cluster declares node '%s', which is already declared on line %d",
                               name, old->loc.line);
        }
        if (!add_node(p, head, name, zone, loc, error))
            return false;
        KsPlanNode *pn = g_ptr_array_index(p->plan->nodes, p->plan->nodes->len - 1);
        pn->type = g_strdup(type);
        pn->site = g_strdup(site);
        for (int64_t j = 1; j <= per_node; j++) {
            int64_t id = (i - 1) * per_node + j;
            BrokerInfo *old = g_hash_table_lookup(p->brokers, GINT_TO_POINTER((int)id));
            if (old)
                return ks_scn_fail(p, head, VALUE, error,
                                   "cluster declares broker %" PRId64
                                   ", which is already declared on line %d",
                                   id, old->line);
            if (!ks_scn_add_broker(p, head, id, error))
                return false;
            KsPlanBroker *b = g_new0(KsPlanBroker, 1);
            b->id = (KsBrokerId)id;
            b->node = g_strdup(name);
            /* Cloud deployments set broker.rack to the availability zone. */
            b->rack = g_strdup(zone);
            b->configs = ks_config_set_new();
            b->loc = loc;
            g_ptr_array_add(p->plan->brokers, b);
        }
    }
    return true;
}

static bool decl_node(Parser *p, const DeclRow *row, const KsToken *head, Args *a, GError **error)
{
    const Arg *an = a->pos->pdata[0];
    g_autofree char *name = NULL, *zone = NULL;
    if (!ks_scn_arg_name(p, an, "a node name", &name, error))
        return false;
    const Arg *az = ks_scn_get(a, "zone");
    if (az && !ks_scn_arg_name(p, az, "a zone name", &zone, error))
        return false;
    if (!add_node(p, ks_scn_scalar(an), name, zone, ks_scn_loc_of(head), error))
        return false;
    const Arg *at = ks_scn_get(a, "type"), *as = ks_scn_get(a, "site");
    KsPlanNode *node = g_ptr_array_index(p->plan->nodes, p->plan->nodes->len - 1);
    return (!at || ks_scn_arg_node_type(p, at, &node->type, error)) &&
           (!as ||
            ks_scn_node_site(p, as, zone, az ? ks_scn_scalar(az) : NULL, &node->site, error));
}

bool ks_scn_broker_place(Parser *p, const LineSpec *spec, const KsToken *head, Args *a, char **node,
                         char **rack, GError **error)
{
    const Arg *an = ks_scn_need(p, a, spec, head, "node", error);
    if (!an || !ks_scn_arg_node(p, an, node, error))
        return false;
    const Arg *ar = ks_scn_get(a, "rack");
    return !ar || ks_scn_arg_name(p, ar, "a rack name", rack, error);
}

static bool decl_broker(Parser *p, const DeclRow *row, const KsToken *head, Args *a, GError **error)
{
    const Arg *ai = a->pos->pdata[0];
    int64_t id;
    if (!ks_scn_arg_int(p, ai, 0, INT32_MAX, &id, error))
        return false;
    if (!ks_scn_add_broker(p, ks_scn_scalar(ai), id, error))
        return false;
    KsPlanBroker *b = g_new0(KsPlanBroker, 1);
    b->id = (KsBrokerId)id;
    b->loc = ks_scn_loc_of(head);
    g_ptr_array_add(p->plan->brokers, b);
    if (!ks_scn_broker_place(p, &row->spec, head, a, &b->node, &b->rack, error))
        return false;
    BrokerInfo *info = g_hash_table_lookup(p->brokers, GINT_TO_POINTER(b->id));
    for (guint i = 0; i < a->uses->len; i++) {
        const ConfigUse *u = &g_array_index(a->uses, ConfigUse, i);
        if (u->info->key == KS_CFG_REPLICA_FETCH_WAIT_MAX_MS)
            info->wait_at = ks_scn_loc_of(u->key);
        else if (u->info->key == KS_CFG_REPLICA_LAG_TIME_MAX_MS)
            info->lag_at = ks_scn_loc_of(u->key);
    }
    b->configs = g_steal_pointer(&a->configs);
    return true;
}

static bool decl_capacity(Parser *p, const DeclRow *row, const KsToken *head, Args *a,
                          GError **error)
{
    return (row->kind == KS_DECL_SITE      ? ks_scn_site
            : row->kind == KS_DECL_NETWORK ? ks_scn_network
            : row->kind == KS_DECL_LINK    ? ks_scn_link
                                           : ks_scn_node_type)(p, &row->spec, head, a, error);
}

static bool decl_zookeeper(Parser *p, const DeclRow *row, const KsToken *head, Args *a,
                           GError **error)
{
    if (p->zookeeper_line)
        return ks_scn_fail(p, head, VALUE, error, "zookeeper is already declared on line %d",
                           p->zookeeper_line);
    p->zookeeper_line = head->line;
    KsPlanZookeeper *zk = g_new0(KsPlanZookeeper, 1);
    zk->servers = 1;
    zk->loc = ks_scn_loc_of(head);
    p->plan->zookeeper = zk;
    const Arg *as = ks_scn_get(a, "servers");
    int64_t servers = 1;
    if (as && !ks_scn_arg_int(p, as, 1, MAX_ZK_SERVERS, &servers, error))
        return false;
    zk->servers = (int32_t)servers;
    return ks_scn_zookeeper_nodes(p, a, zk, error);
}

/* Kafka's rules (Topic.validate): [a-zA-Z0-9._-], at most 249 characters,
 * not "." or "..". The lexer already keeps names to the legal characters. */
static bool check_topic_name(Parser *p, const KsToken *t, const char *name, GError **error)
{
    if (t->kind == KS_TOK_STRING || !ks_scn_tok_is_name(t)) {
        g_autofree char *s = ks_scn_tok_show(t);
        return ks_scn_fail(
            p, t, VALUE, error,
            "'%s' is not a topic name: use letters, digits, '.', '_' and '-', e.g. orders", s);
    }
    if (strcmp(name, ".") == 0 || strcmp(name, "..") == 0)
        return ks_scn_fail(p, t, VALUE, error, "Topic name cannot be \".\" or \"..\"");
    if (t->len > MAX_NAME)
        return ks_scn_fail(p, t, VALUE, error,
                           "topic name is %zu characters long; Kafka allows at most %d", t->len,
                           MAX_NAME);
    return true;
}

/* A topic's partitions=, replication-factor= and replica-placement-start=. */
static bool topic_counts(Parser *p, Args *a, KsPlanTopic *t, TopicAux *aux, GError **error)
{
    int64_t v;
    const Arg *ap = ks_scn_get(a, "partitions");
    if (ap) {
        if (!ks_scn_arg_int(p, ap, 1, MAX_PARTITIONS, &v, error))
            return false;
        t->partitions = (int32_t)v;
    }
    const Arg *ar = ks_scn_get(a, "replication-factor");
    if (ar) {
        if (!ks_scn_arg_int(p, ar, 1, MAX_BROKERS, &v, error))
            return false;
        t->replication_factor = (int32_t)v;
        aux->rf_loc = ks_scn_loc_of(ar->first);
    }
    const Arg *as = ks_scn_get(a, "replica-placement-start");
    if (as) {
        if (!ks_scn_arg_int(p, as, 0, MAX_BROKERS, &v, error))
            return false;
        t->placement_start = (int32_t)v;
        aux->start_loc = ks_scn_loc_of(as->first);
    }
    return true;
}

static bool decl_topic(Parser *p, const DeclRow *row, const KsToken *head, Args *a, GError **error)
{
    const Arg *an = a->pos->pdata[0];
    if (!ks_scn_want_scalar(p, an, "a topic name", error))
        return false;
    const KsToken *nt = ks_scn_scalar(an);
    g_autofree char *name = ks_scn_tok_text(nt);
    if (!check_topic_name(p, nt, name, error))
        return false;
    KsPlanTopic *old = g_hash_table_lookup(p->topics, name);
    if (old)
        return ks_scn_fail(p, nt, VALUE, error, "topic '%s' is already declared on line %d", name,
                           old->loc.line);
    g_autofree char *norm = g_strdelimit(g_strdup(name), ".", '_');
    old = g_hash_table_lookup(p->topic_norm, norm);
    if (old)
        return ks_scn_fail(
            p, nt, VALUE, error,
            "topic '%s' collides with topic '%s' (line %d): Kafka treats '.' and '_' "
            "alike in topic names",
            name, old->name, old->loc.line);
    if (p->plan->topics->len >= MAX_TOPICS)
        return ks_scn_fail(p, nt, VALUE, error, "too many topics (at most %d)", MAX_TOPICS);

    KsPlanTopic *t = g_new0(KsPlanTopic, 1);
    t->name = g_steal_pointer(&name);
    t->partitions = -1;
    t->replication_factor = -1;
    t->placement_start = -1;
    t->loc = ks_scn_loc_of(head);
    g_ptr_array_add(p->plan->topics, t);
    g_hash_table_insert(p->topics, t->name, t);
    g_hash_table_insert(p->topic_norm, g_steal_pointer(&norm), t);
    TopicAux aux = {.rf_loc = ks_scn_loc_of(nt)};
    const Arg *aa = ks_scn_get(a, "replica-assignment");
    if (!(aa ? ks_scn_replica_assignment(p, a, aa, t, &aux, error)
             : topic_counts(p, a, t, &aux, error)))
        return false;
    g_array_append_val(p->topic_aux, aux);
    t->configs = g_steal_pointer(&a->configs);
    return true;
}

static const char *const partitioner_names[] = {"default", "key", "round-robin", "sticky", NULL};
static const KsPartitionerKind partitioner_kinds[] = {
    KS_PARTITIONER_DEFAULT,
    KS_PARTITIONER_KEY,
    KS_PARTITIONER_ROUND_ROBIN,
    KS_PARTITIONER_STICKY,
};

bool ks_scn_arg_rate(Parser *p, const Arg *a, int64_t *out, GError **error)
{
    if (!ks_scn_want_scalar(p, a, "a rate", error))
        return false;
    const KsToken *t = ks_scn_scalar(a);
    if (t->kind == KS_TOK_INT && t->value == 0) {
        *out = 0;
        return true;
    }
    if (t->kind != KS_TOK_RATE) {
        g_autofree char *s = ks_scn_arg_show(a);
        return ks_scn_fail(p, t, VALUE, error, "%s: expected records per second, e.g. %s", s,
                           a->example);
    }
    if (t->value > MAX_RATE)
        return ks_scn_range_error(p, a, t, 0, MAX_RATE, error);
    *out = t->value;
    return true;
}

/* Keeps @configs of a producer or flume line for check_producer_configs(),
 * with where the line gives the configs it checks. */
static void add_producer_check(Parser *p, KsConfigSet *configs, const KsToken *name, const Args *a)
{
    ProducerCheck c = {.configs = configs, .name = ks_scn_loc_of(name)};
    for (guint i = 0; i < a->uses->len; i++) {
        const ConfigUse *u = &g_array_index(a->uses, ConfigUse, i);
        for (size_t k = 0; k < G_N_ELEMENTS(producer_checked); k++)
            if (producer_checked[k] == u->info->key)
                c.at[k] = ks_scn_loc_of(u->key);
    }
    g_array_append_val(p->producer_checks, c);
}

/* Where @c's line gives the first of @keys (ended by KS_CFG_COUNT) it gives;
 * else the client's name. */
static KsLoc producer_blame(const ProducerCheck *c, const KsConfigKey *keys)
{
    for (; *keys != KS_CFG_COUNT; keys++)
        for (size_t k = 0; k < G_N_ELEMENTS(producer_checked); k++)
            if (producer_checked[k] == *keys && c->at[k].line)
                return c->at[k];
    return c->name;
}

/* The configs behind @refusal, the likeliest fix first; ended by
 * KS_CFG_COUNT. */
static const KsConfigKey *refusal_blame(KsProducerRefusal refusal)
{
    static const KsConfigKey none[] = {KS_CFG_COUNT};
    static const KsConfigKey retries[] = {KS_CFG_RETRIES, KS_CFG_ENABLE_IDEMPOTENCE, KS_CFG_COUNT};
    static const KsConfigKey acks[] = {KS_CFG_ACKS, KS_CFG_ENABLE_IDEMPOTENCE, KS_CFG_COUNT};
    static const KsConfigKey in_flight[] = {KS_CFG_MAX_IN_FLIGHT_REQUESTS_PER_CONNECTION,
                                            KS_CFG_ENABLE_IDEMPOTENCE, KS_CFG_COUNT};
    static const KsConfigKey delivery[] = {KS_CFG_DELIVERY_TIMEOUT_MS, KS_CFG_LINGER_MS,
                                           KS_CFG_REQUEST_TIMEOUT_MS, KS_CFG_COUNT};
    switch (refusal) {
    case KS_PRODUCER_REFUSAL_NONE:
        return none;
    case KS_PRODUCER_REFUSAL_RETRIES:
        return retries;
    case KS_PRODUCER_REFUSAL_ACKS:
        return acks;
    case KS_PRODUCER_REFUSAL_IN_FLIGHT:
        return in_flight;
    case KS_PRODUCER_REFUSAL_DELIVERY_TIMEOUT:
        return delivery;
    }
    g_assert_not_reached();
}

/*
 * Checks a producer's configs against each other as Kafka 3.2 to 3.9 does
 * when the producer is built, with Kafka's messages; the rules are
 * ks_config_producer_effective()'s. It runs once every `set` line is known,
 * since a config is given when the producer's line or a `set` line gives it.
 * Where Kafka adjusts a config silently instead of refusing it (idempotence
 * turned off, delivery.timeout.ms raised), the adjusted value is stored in
 * the producer's configs, so the plan says what the model must do. An error
 * points at the offending config on the line, else at the name.
 */
static bool check_producer_configs(Parser *p, const ProducerCheck *c, GError **error)
{
    KsProducerRefusal refusal =
        ks_config_producer_effective(c->configs, p->plan->defaults, NULL, NULL);
    if (refusal == KS_PRODUCER_REFUSAL_NONE)
        return true;
    KsLoc at = producer_blame(c, refusal_blame(refusal));
    return ks_scn_fail_at(p, at.line, at.col, VALUE, error, "%s",
                          ks_config_producer_refusal_message(refusal));
}

/*
 * Refuses a broker whose configs KafkaConfig.validateValues refuses (the
 * broker would not start), with Kafka's message. The error points at
 * replica.fetch.wait.max.ms on the broker's line, else at
 * replica.lag.time.max.ms there (for the lag rule), else at the `set` that
 * gives either, the waiting time first.
 */
static bool check_broker_configs(Parser *p, const KsPlanBroker *b, GError **error)
{
    KsBrokerRefusal refusal = ks_config_broker_refusal(b->configs, p->plan->defaults);
    if (refusal == KS_BROKER_REFUSAL_NONE)
        return true;
    const BrokerInfo *info = g_hash_table_lookup(p->brokers, GINT_TO_POINTER(b->id));
    bool lag = refusal == KS_BROKER_REFUSAL_LAG_TIME;
    const KsLoc choices[] = {
        info->wait_at,
        lag ? info->lag_at : (KsLoc){0},
        p->set_at[KS_CFG_REPLICA_FETCH_WAIT_MAX_MS],
        lag ? p->set_at[KS_CFG_REPLICA_LAG_TIME_MAX_MS] : (KsLoc){0},
        b->loc,
    };
    KsLoc at = b->loc;
    for (size_t i = 0; i < G_N_ELEMENTS(choices); i++) {
        if (choices[i].line) {
            at = choices[i];
            break;
        }
    }
    return ks_scn_fail_at(p, at.line, at.col, VALUE, error, "%s (broker %d)",
                          ks_config_broker_refusal_message(refusal), b->id);
}

/* Stores in a checked producer's configs the values Kafka adjusts. */
static void adjust_producer_configs(Parser *p, const ProducerCheck *c)
{
    KsConfigSet *cfg = c->configs;
    const KsConfigSet *def = p->plan->defaults;
    bool idempotent;
    KsTime delivery;
    ks_config_producer_effective(cfg, def, &idempotent, &delivery);
    if (idempotent != (ks_config_resolve(KS_CFG_ENABLE_IDEMPOTENCE, cfg, def) != 0))
        ks_config_set_put(cfg, KS_CFG_ENABLE_IDEMPOTENCE, idempotent);
    if (delivery != ks_config_resolve(KS_CFG_DELIVERY_TIMEOUT_MS, cfg, def))
        ks_config_set_put(cfg, KS_CFG_DELIVERY_TIMEOUT_MS, delivery);
}

bool ks_scn_check_console_producer(Parser *p, const KsToken *head, GError **error)
{
    if (p->tl.console_checked)
        return true;
    p->tl.console_checked = true;
    KsProducerRefusal refusal = ks_config_producer_effective(NULL, p->plan->defaults, NULL, NULL);
    if (refusal == KS_PRODUCER_REFUSAL_NONE)
        return true;
    KsLoc at = ks_scn_loc_of(head);
    bool found = false;
    for (const KsConfigKey *k = refusal_blame(refusal); *k != KS_CFG_COUNT; k++) {
        KsLoc s = p->set_at[*k];
        if (s.line && (!found || s.line > at.line || (s.line == at.line && s.col > at.col))) {
            at = s;
            found = true;
        }
    }
    return ks_scn_fail_at(
        p, at.line, at.col, VALUE, error,
        "%s (`produce` without producer= on line %d sends with the `set` configs)",
        ks_config_producer_refusal_message(refusal), head->line);
}

/* The line's topic= value, a declared topic; *@out is a copy of its name. */
static bool want_topic(Parser *p, const DeclRow *row, const KsToken *head, Args *a, char **out,
                       GError **error)
{
    const Arg *at = ks_scn_need(p, a, &row->spec, head, "topic", error);
    if (!at)
        return false;
    KsPlanTopic *topic = ks_scn_arg_topic(p, at, error);
    if (!topic)
        return false;
    *out = g_strdup(topic->name);
    return true;
}

/* The name of a new client, the line's first value: a name no other
 * client or node has. */
static bool new_client_name(Parser *p, Args *a, const char *what, char **out, GError **error)
{
    const Arg *an = a->pos->pdata[0];
    if (!ks_scn_arg_name(p, an, what, out, error))
        return false;
    return ks_scn_check_client_name(p, ks_scn_scalar(an), *out, error);
}

static bool decl_producer(Parser *p, const DeclRow *row, const KsToken *head, Args *a,
                          GError **error)
{
    g_autofree char *name = NULL;
    if (!new_client_name(p, a, "a producer name", &name, error))
        return false;
    KsPlanProducer *pr = g_new0(KsPlanProducer, 1);
    pr->name = g_steal_pointer(&name);
    pr->partition = -1;
    pr->record_size = 100;
    pr->count = -1;
    pr->loc = ks_scn_loc_of(head);
    g_ptr_array_add(p->plan->producers, pr);
    ks_scn_add_client(p, pr->name, CLIENT_PRODUCER, head->line);
    KsLoc part_loc = {0, 0};
    g_array_append_val(p->producer_part, part_loc);

    if (!want_topic(p, row, head, a, &pr->topic, error))
        return false;
    const Arg *ar = ks_scn_get(a, "rate");
    if (ar && !ks_scn_arg_rate(p, ar, &pr->rate_per_s, error))
        return false;
    const Arg *ak = ks_scn_get(a, "keys");
    if (ak && !ks_scn_arg_int(p, ak, 0, MAX_KEYS, &pr->keys, error))
        return false;
    const Arg *apre = ks_scn_get(a, "key-prefix");
    if (apre) {
        if (!ks_scn_arg_text(p, apre, "a name or a quoted string", &pr->key_prefix, error))
            return false;
        if (pr->keys == 0)
            return ks_scn_fail(
                p, apre->first, VALUE, error,
                "key-prefix= only names the keys of keys=N; add keys=, e.g. keys=1000");
    } else {
        pr->key_prefix = g_strdup("key-");
    }
    const Arg *as = ks_scn_get(a, "record-size");
    if (as && !ks_scn_arg_int(p, as, 1, MAX_RECORD_SIZE, &pr->record_size, error))
        return false;
    const Arg *ac = ks_scn_get(a, "count");
    if (ac && !ks_scn_arg_int(p, ac, 1, MAX_COUNT, &pr->count, error))
        return false;
    const Arg *anode = ks_scn_get(a, "node");
    if (anode && !ks_scn_arg_node(p, anode, &pr->node, error))
        return false;
    const Arg *apart = ks_scn_get(a, "partition");
    const Arg *apn = ks_scn_get(a, "partitioner");
    int which = 0;
    if (apn && !ks_scn_arg_choice(p, apn, partitioner_names, &which, error))
        return false;
    pr->partitioner = partitioner_kinds[which];
    if (apart) {
        if (apn)
            return ks_scn_fail(
                p, apart->first, VALUE, error,
                "partition= sends every record to one partition; it cannot be combined "
                "with partitioner=");
        int64_t part;
        if (!ks_scn_arg_int(p, apart, 0, MAX_PARTITIONS - 1, &part, error))
            return false;
        pr->partition = (int32_t)part;
        pr->partitioner = KS_PARTITIONER_EXPLICIT;
        g_array_index(p->producer_part, KsLoc, p->producer_part->len - 1) =
            ks_scn_loc_of(apart->first);
    }
    if (pr->partitioner == KS_PARTITIONER_KEY && pr->keys == 0)
        return ks_scn_fail(p, apn->first, VALUE, error,
                           "partitioner=key needs keys to hash; add keys=N, e.g. keys=1000");
    pr->configs = g_steal_pointer(&a->configs);
    add_producer_check(p, pr->configs, ks_scn_scalar(a->pos->pdata[0]), a);

    /* Everything is valid; can the simulator run this partitioner? */
    if (!p->allow_unsupported && ks_support_decl(row->kind) &&
        !ks_support_partitioner(pr->partitioner)) {
        if (apart)
            return ks_scn_fail(p, apart->first, UNSUPPORTED, error,
                               "partition= (explicit partitioning) is not supported yet: %s",
                               WHY_GENERIC);
        return ks_scn_fail(p, apn ? apn->first : head, UNSUPPORTED, error,
                           "partitioner=%s is not supported yet: %s", partitioner_names[which],
                           WHY_GENERIC);
    }
    return true;
}

static bool decl_flume(Parser *p, const DeclRow *row, const KsToken *head, Args *a, GError **error)
{
    g_autofree char *name = NULL;
    if (!new_client_name(p, a, "an agent name", &name, error))
        return false;
    KsPlanFlume *f = g_new0(KsPlanFlume, 1);
    f->name = g_steal_pointer(&name);
    /* Flume's defaults: memory channel capacity 100, Kafka sink batchSize 100. */
    f->channel_capacity = 100;
    f->batch_size = 100;
    f->loc = ks_scn_loc_of(head);
    g_ptr_array_add(p->plan->flumes, f);
    ks_scn_add_client(p, f->name, CLIENT_FLUME, head->line);
    if (!ks_scn_flume_sink(p, a, f, error))
        return false;
    if (f->sink == KS_FLUME_SINK_KAFKA && !want_topic(p, row, head, a, &f->topic, error))
        return false;
    const Arg *ar = ks_scn_need(p, a, &row->spec, head, "rate", error);
    if (!ar || !ks_scn_arg_rate(p, ar, &f->rate_per_s, error))
        return false;
    const Arg *ac = ks_scn_get(a, "capacity");
    if (ac && !ks_scn_arg_int(p, ac, 1, MAX_CAPACITY, &f->channel_capacity, error))
        return false;
    const Arg *ab = ks_scn_get(a, "batch-size");
    if (ab && !ks_scn_arg_int(p, ab, 1, MAX_CAPACITY, &f->batch_size, error))
        return false;
    if (!ks_scn_flume_keys(p, a, f, error))
        return false;
    const Arg *anode = ks_scn_get(a, "node");
    if (anode && !ks_scn_arg_node(p, anode, &f->node, error))
        return false;
    f->configs = g_steal_pointer(&a->configs);
    add_producer_check(p, f->configs, ks_scn_scalar(a->pos->pdata[0]), a);
    return true;
}

static const char *const assignor_names[] = {"range", "roundrobin", "sticky", "cooperative-sticky",
                                             NULL};
static const char *const protocol_names[] = {"eager", "cooperative", NULL};

static bool decl_group(Parser *p, const DeclRow *row, const KsToken *head, Args *a, GError **error)
{
    const Arg *an = a->pos->pdata[0];
    g_autofree char *name = NULL;
    if (!ks_scn_arg_name(p, an, "a group name", &name, error))
        return false;
    GroupInfo *gi = g_hash_table_lookup(p->groups, name);
    if (gi && gi->explicit_line)
        return ks_scn_fail(p, ks_scn_scalar(an), VALUE, error,
                           "group '%s' is already declared on line %d", name, gi->explicit_line);
    int assignor = KS_ASSIGNOR_RANGE, protocol = -1;
    const Arg *aa = ks_scn_get(a, "assignor");
    if (aa && !ks_scn_arg_choice(p, aa, assignor_names, &assignor, error))
        return false;
    const Arg *ap = ks_scn_get(a, "protocol");
    if (ap && !ks_scn_arg_choice(p, ap, protocol_names, &protocol, error))
        return false;
    if (protocol == KS_PROTOCOL_COOPERATIVE && assignor != KS_ASSIGNOR_COOPERATIVE_STICKY)
        return ks_scn_fail(
            p, ap->first, VALUE, error,
            "protocol=cooperative needs assignor=cooperative-sticky, the only assignor "
            "that supports incremental rebalancing");
    /* cooperative-sticky rebalances cooperatively unless told otherwise. */
    if (protocol < 0)
        protocol = assignor == KS_ASSIGNOR_COOPERATIVE_STICKY ? KS_PROTOCOL_COOPERATIVE
                                                              : KS_PROTOCOL_EAGER;
    if (!gi) {
        if (!ks_scn_use_group(p, ks_scn_scalar(an), name, error))
            return false;
        gi = g_hash_table_lookup(p->groups, name);
    }
    gi->explicit_line = head->line;
    gi->group->assignor = (KsAssignorKind)assignor;
    gi->group->protocol = (KsRebalanceProtocol)protocol;
    gi->group->loc = ks_scn_loc_of(head);
    return true;
}

static bool decl_consumer(Parser *p, const DeclRow *row, const KsToken *head, Args *a,
                          GError **error)
{
    const Arg *an = a->pos->pdata[0];
    g_autofree char *name = NULL;
    if (!ks_scn_arg_name(p, an, "a consumer name", &name, error))
        return false;
    const Arg *ag = ks_scn_need(p, a, &row->spec, head, "group", error);
    if (!ag)
        return false;
    const Arg *at = ks_scn_need(p, a, &row->spec, head, "topics", error);
    if (!at)
        return false;
    return ks_scn_define_consumer(p, ks_scn_scalar(an), name, ag, at, a, ks_scn_loc_of(head), true,
                                  error);
}

static const KeySpec no_keys[] = {KEYS_END};
static const KeySpec cluster_keys[] = {
    KEY("nodes", "3"),        KEY("brokers-per-node", "1"), KEY("zones", "eu-1a,eu-1b,eu-1c"),
    KEY("type", "m5.xlarge"), KEY("site", "aws"),           KEYS_END};
static const KeySpec node_keys[] = {KEY("zone", "eu-1a"), KEY("type", "m5.xlarge"),
                                    KEY("site", "aws"), KEYS_END};
static const KeySpec broker_keys[] = {KEY("node", "n1"), KEY("rack", "eu-1a"), KEYS_END};
static const KeySpec zookeeper_keys[] = {KEY("node", "zk1"), KEY("servers", "3"), KEYS_END};
static const KeySpec topic_keys[] = {KEY("partitions", "6"), KEY("replication-factor", "3"),
                                     KEY("replica-placement-start", "0"),
                                     KEY("replica-assignment", "\"1:2:3,2:3:1\""), KEYS_END};
static const KeySpec producer_keys[] = {KEY("topic", "orders"),    KEY("rate", "500/s"),
                                        KEY("partitioner", "key"), KEY("partition", "0"),
                                        KEY("keys", "1000"),       KEY("key-prefix", "user-"),
                                        KEY("record-size", "100"), KEY("count", "1000"),
                                        KEY("node", "n1"),         KEYS_END};
static const KeySpec flume_keys[] = {KEY("topic", "logs"),
                                     KEY("rate", "200/s"),
                                     KEY("capacity", "100"),
                                     KEY("batch-size", "100"),
                                     KEY("node", "n1"),
                                     KEY("channel", "file"),
                                     KEY("transactionCapacity", "100"),
                                     KEY("source-batch", "20"),
                                     KEY("sink", "hdfs"),
                                     KEY("roll-interval", "30s"),
                                     KEY("write-rate", "500/s"),
                                     KEY("peak", "1000/s"),
                                     KEY("peak-every", "60s"),
                                     KEY("peak-for", "10s"),
                                     KEYS_END};
static const KeySpec group_keys[] = {KEY("assignor", "range"), KEY("protocol", "eager"), KEYS_END};
static const KeySpec consumer_keys[] = {KEY("group", "billing"),
                                        KEY("topics", "orders,payments"),
                                        KEY("node", "n1"),
                                        KEY("processing", "2ms"),
                                        KEY("commit", "sync"),
                                        KEY("commit-every", "100"),
                                        KEY("from-offset", "500"),
                                        KEY("from-time", "5s"),
                                        KEYS_END};

static const DeclRow decl_rows[] = {
    {{"seed", "seed N", 1, 1, "a number", "seed 42", no_keys, 0, NULL, false},
     KS_DECL_SEED,
     NULL,
     decl_seed},
    {{"set", "set CONFIG=VALUE ...", 0, 0, NULL, NULL, no_keys, ALL_SCOPES, NULL, false},
     KS_DECL_SET,
     NULL,
     decl_set},
    {{"cluster", "cluster nodes=N [brokers-per-node=M] [zones=A,B,...] [type=T] [site=S]", 0, 0,
      NULL, NULL, cluster_keys, 0, NULL, false},
     KS_DECL_CLUSTER,
     NULL,
     decl_cluster},
    {{"node", "node NAME [zone=Z] [type=T] [site=S]", 1, 1, "a name", "node n1 zone=eu-1a",
      node_keys, 0, NULL, false},
     KS_DECL_NODE,
     NULL,
     decl_node},
    {{"node-type",
      "node-type NAME [vcpus=N] [memory=SIZE] [network=RATE] [disk=RATE] [disk-size=SIZE] "
      "[price=USD/h] [storage-price=USD/GB-month]",
      1, 1, "a name", "node-type big vcpus=8", ks_scn_node_type_keys, 0, NULL, false},
     KS_DECL_NODE_TYPE,
     NULL,
     decl_capacity},
    {{"site",
      "site NAME [kind=private|public] [region=R] [zones=A,B,...] [wan-latency=DURATION] "
      "[wan-bandwidth=RATE]",
      1, 1, "a name", "site aws kind=public", ks_scn_site_keys, 0, NULL, false},
     KS_DECL_SITE,
     NULL,
     decl_capacity},
    {{"network", "network [loopback=D] [same-zone=D] [cross-zone=D] [cross-site=D] [jitter=D]", 0,
      0, NULL, NULL, ks_scn_network_keys, 0, NULL, false},
     KS_DECL_NETWORK,
     NULL,
     decl_capacity},
    {{"link", "link NODE NODE [latency=D] [loss=P%]", 2, 2, "a node name", "link n1 n2 latency=5ms",
      ks_scn_link_keys, 0, NULL, false},
     KS_DECL_LINK,
     NULL,
     decl_capacity},
    {{"broker", "broker ID node=NAME [rack=R] [broker configs]", 1, 1, "an id", "broker 1 node=n1",
      broker_keys, KS_SCOPE_BROKER, "a broker", false},
     KS_DECL_BROKER,
     NULL,
     decl_broker},
    {{"zookeeper", "zookeeper [servers=N] [node=NAME | node=NAME,NAME,...]", 0, 0, NULL, NULL,
      zookeeper_keys, 0, NULL, false},
     KS_DECL_ZOOKEEPER,
     "the ZooKeeper ensemble is not modelled yet",
     decl_zookeeper},
    {{"topic",
      "topic NAME [partitions=N] [replication-factor=R] [replica-placement-start=N] "
      "[replica-assignment=\"B:B,B:B,...\"] [topic configs]",
      1, 1, "a name", "topic orders partitions=6", topic_keys, KS_SCOPE_TOPIC, "a topic", false},
     KS_DECL_TOPIC,
     NULL,
     decl_topic},
    {{"producer",
      "producer NAME topic=T [rate=R/s] [partitioner=default|key|round-robin|sticky] "
      "[partition=N] [keys=N] [key-prefix=S] [record-size=BYTES] [count=N] [node=NAME] "
      "[producer configs]",
      1, 1, "a name", "producer web topic=orders rate=500/s", producer_keys, KS_SCOPE_PRODUCER,
      "a producer", false},
     KS_DECL_PRODUCER,
     NULL,
     decl_producer},
    {{"flume",
      "flume NAME [sink=kafka|hdfs] topic=T rate=R/s [channel=memory|file] [capacity=N] "
      "[transactionCapacity=N] [batch-size=N] [source-batch=N] [peak=R/s peak-every=D peak-for=D] "
      "[roll-interval=D] [write-rate=R/s] [node=NAME] [producer configs]",
      1, 1, "a name", "flume agent1 topic=logs rate=200/s", flume_keys, KS_SCOPE_PRODUCER,
      "a flume agent", false},
     KS_DECL_FLUME,
     "Flume agents are not modelled yet",
     decl_flume},
    {{"group",
      "group NAME [assignor=range|roundrobin|sticky|cooperative-sticky] "
      "[protocol=eager|cooperative]",
      1, 1, "a name", "group billing assignor=range", group_keys, 0, NULL, false},
     KS_DECL_GROUP,
     WHY_CONSUMERS,
     decl_group},
    {{"consumer",
      "consumer NAME group=G topics=T1,T2,... [node=NAME] [processing=DURATION] "
      "[commit=auto|sync|async|before] [commit-every=N] [from-offset=N | from-time=T] "
      "[consumer configs]",
      1, 1, "a name", "consumer c1 group=billing topics=orders", consumer_keys, KS_SCOPE_CONSUMER,
      "a consumer", false},
     KS_DECL_CONSUMER,
     WHY_CONSUMERS,
     decl_consumer},
};

bool ks_scn_parse_declaration(Parser *p, const KsToken *kw, GError **error)
{
    const DeclRow *row = NULL;
    for (size_t i = 0; i < G_N_ELEMENTS(decl_rows); i++)
        if (ks_scn_tok_is(kw, decl_rows[i].spec.name))
            row = &decl_rows[i];
    if (!row) {
        g_autoptr(GPtrArray) names = g_ptr_array_new();
        for (size_t i = 0; i < G_N_ELEMENTS(decl_rows); i++)
            g_ptr_array_add(names, (gpointer)decl_rows[i].spec.name);
        static const char *const others[] = {"at", "every", "run", "expect"};
        for (size_t i = 0; i < G_N_ELEMENTS(others); i++)
            g_ptr_array_add(names, (gpointer)others[i]);
        g_autofree char *word = ks_scn_tok_show(kw);
        if (ks_scn_is_action_verb(kw))
            return ks_scn_fail(p, kw, SYNTAX, error,
                               "'%s' is an action; actions need a time: at 5s %s ...", word, word);
        const char *what = p->tl.decls_done ? "keyword" : "declaration";
        const char *s = kw->kind == KS_TOK_WORD ? ks_scn_suggest(word, names) : NULL;
        if (s)
            return ks_scn_fail(p, kw, SYNTAX, error, "unknown %s '%s'; did you mean '%s'?", what,
                               word, s);
        g_autofree char *list = ks_scn_join_strs(names, 100);
        return ks_scn_fail(p, kw, SYNTAX, error, "unknown %s '%s'; a line starts with one of %s",
                           what, word, list);
    }
    if (p->tl.decls_done)
        return ks_scn_fail(p, kw, SYNTAX, error,
                           "declarations come before the timeline; move it above line %d",
                           p->tl.timeline_line);
    ks_scn_advance(p);
    g_autoptr(Args) a = ks_scn_collect_args(p, &row->spec, kw, error);
    if (!a)
        return false;
    if (!row->handle(p, row, kw, a, error))
        return false;
    if (!p->allow_unsupported && !ks_support_decl(row->kind))
        return ks_scn_unsupported(p, kw, row->spec.name, row->why, error);
    return ks_scn_check_config_support(p, a, error);
}

/* A topic's partition count and replication factor, Kafka's defaults
 * resolved. */
static int32_t topic_partitions(const KsPlan *plan, const KsPlanTopic *t)
{
    return t->partitions >= 0
               ? t->partitions
               : (int32_t)ks_config_resolve(KS_CFG_NUM_PARTITIONS, NULL, plan->defaults);
}

static int32_t topic_replication(const KsPlan *plan, const KsPlanTopic *t)
{
    return t->replication_factor >= 0
               ? t->replication_factor
               : (int32_t)ks_config_resolve(KS_CFG_DEFAULT_REPLICATION_FACTOR, NULL,
                                            plan->defaults);
}

/* The checks of ks_scn_finish_declarations(), which change nothing. */
static bool check_declarations(Parser *p, GError **error)
{
    KsPlan *plan = p->plan;
    int n_brokers = (int)plan->brokers->len;
    if (n_brokers == 0)
        return ks_scn_fail_at(
            p, 1, 1, VALUE, error,
            "no brokers: add `cluster nodes=3 brokers-per-node=1` or broker lines");
    int64_t total = 0;
    for (guint i = 0; i < plan->topics->len; i++) {
        const KsPlanTopic *t = plan->topics->pdata[i];
        const TopicAux *aux = &g_array_index(p->topic_aux, TopicAux, i);
        if (!ks_scn_check_assignment(p, t, aux, error))
            return false;
        int32_t rf = topic_replication(plan, t);
        if (rf > n_brokers)
            return ks_scn_fail_at(p, aux->rf_loc.line, aux->rf_loc.col, VALUE, error,
                                  "Replication factor: %d larger than available brokers: %d.", rf,
                                  n_brokers);
        if (t->placement_start >= n_brokers)
            return ks_scn_fail_at(
                p, aux->start_loc.line, aux->start_loc.col, VALUE, error,
                "replica-placement-start=%d is out of range: with %d broker%s it must "
                "be between 0 and %d",
                t->placement_start, n_brokers, n_brokers == 1 ? "" : "s", n_brokers - 1);
        total += topic_partitions(plan, t);
        if (total > MAX_TOTAL_PARTITIONS)
            return ks_scn_fail_at(p, t->loc.line, t->loc.col, VALUE, error,
                                  "too many partitions: the topics have more than %d together",
                                  MAX_TOTAL_PARTITIONS);
    }
    for (guint i = 0; i < plan->producers->len; i++) {
        const KsPlanProducer *pr = plan->producers->pdata[i];
        const KsLoc *loc = &g_array_index(p->producer_part, KsLoc, i);
        if (pr->partitioner != KS_PARTITIONER_EXPLICIT)
            continue;
        const KsPlanTopic *t = g_hash_table_lookup(p->topics, pr->topic);
        int32_t n = topic_partitions(plan, t);
        if (pr->partition >= n) {
            g_autofree char *number = g_strdup_printf("%d", pr->partition);
            return ks_scn_no_such_partition(p, loc->line, loc->col, t->name, n, number, error);
        }
    }
    for (guint i = 0; i < plan->brokers->len; i++)
        if (!check_broker_configs(p, plan->brokers->pdata[i], error))
            return false;
    for (guint i = 0; i < p->producer_checks->len; i++)
        if (!check_producer_configs(p, &g_array_index(p->producer_checks, ProducerCheck, i), error))
            return false;
    return true;
}

bool ks_scn_finish_declarations(Parser *p, int line, GError **error)
{
    if (p->tl.decls_done)
        return true;
    if (!check_declarations(p, error))
        return false;
    KsPlan *plan = p->plan;
    for (guint i = 0; i < plan->topics->len; i++) {
        KsPlanTopic *t = plan->topics->pdata[i];
        t->partitions = topic_partitions(plan, t);
        t->replication_factor = topic_replication(plan, t);
    }
    for (guint i = 0; i < p->producer_checks->len; i++)
        adjust_producer_configs(p, &g_array_index(p->producer_checks, ProducerCheck, i));
    p->tl.decls_done = true;
    p->tl.timeline_line = line;
    return true;
}

void ks_scn_add_decl_keywords(GPtrArray *words)
{
    for (size_t i = 0; i < G_N_ELEMENTS(decl_rows); i++) {
        ks_scn_add_keyword(words, decl_rows[i].spec.name);
        ks_scn_add_keys(words, decl_rows[i].spec.keys);
    }
}

void ks_scn_add_decl_value_keywords(GPtrArray *words)
{
    for (int i = 0; partitioner_names[i]; i++)
        ks_scn_add_keyword(words, partitioner_names[i]);
    for (int i = 0; assignor_names[i]; i++)
        ks_scn_add_keyword(words, assignor_names[i]);
    for (int i = 0; protocol_names[i]; i++)
        ks_scn_add_keyword(words, protocol_names[i]);
}
