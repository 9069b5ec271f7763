/* SPDX-License-Identifier: MIT */
/*
 * sim.c - one run: builds the model from the plan, starts the cluster,
 * plays the timeline, and hands every event to the views.
 *
 * The model is built by one builder per kind of declaration (nodes,
 * brokers, topics, producers), in the order of KsDeclKind; a kind without a
 * builder is one the model cannot run yet (ks_support_decl()). Timeline
 * actions go through the dispatch table below, one entry per KsActionKind,
 * whose handlers live in the modules that own the behaviour.
 *
 * Start-up at time 0, in this order: brokers start and register in id
 * order (the first becomes controller), topics are created (replicas placed
 * by Kafka's AdminUtils, leaders and ISRs set by the controller), declared
 * producers start. Start-up is not an engine event: it happens before the
 * first one, when the run (or the first step) begins. Timeline actions at
 * time 0 run after that. Actions due at the same instant run in file order
 * (the engine's (time, seq) rule); an action added to a running sim runs
 * after those already scheduled for its instant.
 */
#include "kafkasim/sim.h"

#include <stdarg.h>
#include <string.h>

#include "actions-private.h"
#include "broker-private.h"
#include "capacity.h"
#include "scaling.h"
#include "reassign.h"
#include "controller-private.h"
#include "producer-private.h"
#include "registry-private.h"
#include "metadata-private.h"
#include "consumer-private.h"
#include "flume-private.h"
#include "zk-ensemble.h"
#include "ledger.h"
#include "model.h"
#include "kafkasim/placement.h"
#include "kafkasim/scenario.h"

void ks_sim_emit(KsSim *sim, const KsEvent *event)
{
    for (guint i = 0; i < sim->sinks->len; i++) {
        const KsSink *s = &g_array_index(sim->sinks, KsSink, i);
        s->fn(event, s->ctx);
    }
}

void ks_sim_emit_request(KsSim *sim, const char *api, const char *from, KsBrokerId to,
                         const char *detail)
{
    if (!sim->verbose)
        return;
    KsEvent ev = ks_event_init(KS_EV_REQUEST, ks_engine_now(sim->engine));
    ev.request.api = api;
    ev.request.from = from;
    ev.request.to = to;
    ev.request.detail = detail;
    ks_sim_emit(sim, &ev);
}

void ks_sim_set_verbose(KsSim *sim, bool verbose)
{
    sim->verbose = verbose;
}

void ks_sim_add_sink(KsSim *sim, KsEventSinkFn fn, void *ctx)
{
    KsSink s = {.fn = fn, .ctx = ctx};
    g_array_append_val(sim->sinks, s);
}

KsBroker *ks_sim_find_broker(const KsSim *sim, KsBrokerId id)
{
    /* The id index ks_broker_add keeps: a broker added later is found the
     * same way. */
    return sim->broker_ids ? g_hash_table_lookup(sim->broker_ids, GINT_TO_POINTER(id)) : NULL;
}

KsNode *ks_sim_find_node(const KsSim *sim, const char *name)
{
    for (guint i = 0; i < sim->nodes->len; i++) {
        KsNode *n = g_ptr_array_index(sim->nodes, i);
        if (strcmp(n->name, name) == 0)
            return n;
    }
    return NULL;
}

KsTopic *ks_sim_find_topic(const KsSim *sim, const char *name)
{
    for (guint i = 0; i < sim->topics->len; i++) {
        KsTopic *t = g_ptr_array_index(sim->topics, i);
        if (strcmp(t->name, name) == 0)
            return t;
    }
    return NULL;
}

static gint cmp_topic_name(gconstpointer a, gconstpointer b)
{
    const KsTopic *x = *(KsTopic *const *)a, *y = *(KsTopic *const *)b;
    return strcmp(x->name, y->name);
}

GPtrArray *ks_sim_sorted_topics(const KsSim *sim)
{
    GPtrArray *sorted = g_ptr_array_sized_new(sim->topics->len);
    for (guint i = 0; i < sim->topics->len; i++)
        g_ptr_array_add(sorted, g_ptr_array_index(sim->topics, i));
    g_ptr_array_sort(sorted, cmp_topic_name);
    return sorted;
}

KsProducer *ks_sim_find_producer(const KsSim *sim, const char *name)
{
    for (guint i = 0; i < sim->producers->len; i++) {
        KsProducer *p = g_ptr_array_index(sim->producers, i);
        if (p->plan && strcmp(p->name, name) == 0)
            return p;
    }
    return NULL;
}

/* ---- building the model ---- */

static void node_free(gpointer p)
{
    KsNode *n = p;
    g_free(n->name);
    g_free(n->zone);
    g_free(n);
}

static void broker_free(gpointer p)
{
    ks_broker_free(p);
}

static void partition_clear(KsPartition *part)
{
    for (int32_t r = 0; r < part->n_block; r++)
        ks_replica_clear(&part->replica_block[r]);
    if (part->added_replicas)
        g_ptr_array_free(part->added_replicas, TRUE);
    g_free(part->replica_block);
    g_free(part->replicas);
    g_array_free(part->isr, TRUE);
    if (part->times)
        g_array_free(part->times, TRUE);
    for (GList *l; (l = g_queue_pop_head_link(&part->waits));)
        g_free(l->data);
    for (GList *l; (l = g_queue_pop_head_link(&part->zombie_waits));)
        g_free(l->data);
}

static void added_partition_free(gpointer p)
{
    partition_clear(p);
    g_free(p);
}

static void topic_free(gpointer p)
{
    KsTopic *t = p;
    for (int32_t i = 0; i < t->n_partition_block; i++)
        partition_clear(&t->partition_block[i]);
    if (t->added_partitions)
        g_ptr_array_free(t->added_partitions, TRUE);
    g_free(t->partition_block);
    g_free(t->partitions);
    g_free(t->name);
    g_free(t);
}

void ks_sim_init_partition(KsSim *sim, KsTopic *t, KsPartition *part, int32_t index,
                           const KsBrokerId *ids, int32_t rf)
{
    part->topic = t;
    part->index = index;
    part->id = sim->n_partitions++;
    part->n_replicas = rf;
    part->replica_block = g_new0(KsReplica, rf);
    part->n_block = rf;
    part->replicas = g_new0(KsReplica *, rf);
    part->leader = KS_NO_BROKER;
    g_queue_init(&part->waits);
    g_queue_init(&part->zombie_waits);
    part->unavailable_since = ks_engine_now(sim->engine);
    for (int32_t r = 0; r < rf; r++) {
        KsReplica *rep = &part->replica_block[r];
        part->replicas[r] = rep;
        ks_replica_init(rep, part, ks_sim_find_broker(sim, ids[r]));
    }
    ks_partition_set_isr(part, g_array_new(FALSE, FALSE, sizeof(KsBrokerId)));
}

KsPartition *ks_sim_new_partition(KsTopic *t)
{
    KsPartition *part = g_new0(KsPartition, 1);
    if (!t->added_partitions)
        t->added_partitions = g_ptr_array_new_with_free_func(added_partition_free);
    g_ptr_array_add(t->added_partitions, part);
    return part;
}

static void producer_free_cb(gpointer p)
{
    ks_producer_free(p);
}

/* Places @pt's replicas with Kafka's AdminUtils algorithm into @ids
 * (partitions * rf broker ids). */
static bool place_topic(KsSim *sim, const KsPlanTopic *pt, KsBrokerId *ids, GError **error)
{
    size_t n = sim->brokers->len;
    g_autofree KsPlacementBroker *pbs = g_new0(KsPlacementBroker, n);
    for (size_t i = 0; i < n; i++) {
        KsBroker *b = g_ptr_array_index(sim->brokers, i);
        pbs[i] = (KsPlacementBroker){.id = b->id, .rack = b->rack};
    }
    int32_t start, shift;
    if (pt->placement_start >= 0) {
        start = shift = pt->placement_start;
    } else {
        /* Kafka draws both at random; here they come from the topic's own
         * substream of the run's seed. */
        KsRng rng;
        g_autofree char *stream = g_strconcat("topic:", pt->name, NULL);
        ks_rng_init_stream(&rng, sim->seed, ks_rng_stream_id(stream));
        start = (int32_t)ks_rng_below(&rng, n);
        shift = (int32_t)ks_rng_below(&rng, n);
    }
    g_autoptr(GError) err = NULL;
    if (!ks_placement_assign(pbs, n, pt->partitions, pt->replication_factor, start, shift, 0, ids,
                             &err)) {
        g_set_error(error, KS_PLACEMENT_ERROR, err->code, "%s:%d:%d: error: topic %s: %s",
                    sim->plan->file, pt->loc.line, pt->loc.col, pt->name, err->message);
        return false;
    }
    return true;
}

/* Builds @pt's partitions, its replicas where its replica-assignment puts
 * them (the parser checked the brokers), else where AdminUtils does. */
static bool add_topic(KsSim *sim, const KsPlanTopic *pt, GError **error)
{
    int32_t rf = pt->replication_factor;
    g_autofree KsBrokerId *placed = NULL;
    const KsBrokerId *ids = pt->assignment;
    if (!ids) {
        placed = g_new(KsBrokerId, (size_t)pt->partitions * rf);
        if (!place_topic(sim, pt, placed, error))
            return false;
        ids = placed;
    }

    KsTopic *t = g_new0(KsTopic, 1);
    t->name = g_strdup(pt->name);
    t->index = (int)sim->topics->len;
    t->n_partitions = pt->partitions;
    t->replication_factor = rf;
    t->plan = pt;
    t->min_insync =
        (int32_t)ks_config_resolve(KS_CFG_MIN_INSYNC_REPLICAS, pt->configs, sim->defaults);
    t->unclean_election =
        ks_config_resolve(KS_CFG_UNCLEAN_LEADER_ELECTION_ENABLE, pt->configs, sim->defaults) != 0;
    /* flush.messages and flush.ms: the topic's own, else `set`'s, else its
     * brokers' log.flush.interval.* (ks_replica_flush_policy). */
    t->flush_messages = ks_config_set_has(pt->configs, KS_CFG_FLUSH_MESSAGES) ||
                                ks_config_set_has(sim->defaults, KS_CFG_FLUSH_MESSAGES)
                            ? ks_config_resolve(KS_CFG_FLUSH_MESSAGES, pt->configs, sim->defaults)
                            : -1;
    t->flush_ms = ks_config_set_has(pt->configs, KS_CFG_FLUSH_MS) ||
                          ks_config_set_has(sim->defaults, KS_CFG_FLUSH_MS)
                      ? ks_config_resolve(KS_CFG_FLUSH_MS, pt->configs, sim->defaults)
                      : -1;
    t->partition_block = g_new0(KsPartition, pt->partitions);
    t->n_partition_block = pt->partitions;
    t->partitions = g_new0(KsPartition *, pt->partitions);
    for (int32_t p = 0; p < pt->partitions; p++) {
        t->partitions[p] = &t->partition_block[p];
        ks_sim_init_partition(sim, t, t->partitions[p], p, ids + (size_t)p * rf, rf);
    }
    g_ptr_array_add(sim->topics, t);
    return true;
}

KsTopic *ks_sim_create_internal_topic(KsSim *sim, const KsPlanTopic *pt, GError **error)
{
    if (!add_topic(sim, pt, error))
        return NULL;
    KsTopic *t = g_ptr_array_index(sim->topics, sim->topics->len - 1);
    KsEvent ev = ks_event_init(KS_EV_TOPIC_CREATED, ks_engine_now(sim->engine));
    ev.topic_created.topic = t->name;
    ev.topic_created.partitions = t->n_partitions;
    ev.topic_created.replication_factor = t->replication_factor;
    ks_sim_emit(sim, &ev);
    ks_controller_create_topic(sim, t);
    return t;
}

static void run_action(KsEngine *engine, void *ctx, uint64_t index);

void ks_sim_note(KsSim *sim, int line, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    g_autofree char *text = g_strdup_vprintf(fmt, ap);
    va_end(ap);
    KsEvent ev = ks_event_init(KS_EV_NOTE, ks_engine_now(sim->engine));
    ev.note.text = text;
    ev.note.line = line;
    ks_sim_emit(sim, &ev);
}

static void expect_result_free(gpointer p)
{
    KsExpectResult *r = p;
    g_free(r->text);
    g_free(r->actual);
    g_free(r);
}

/* ---- one builder per kind of declaration ---- */

typedef bool (*BuildFn)(KsSim *sim, GError **error);

/* seed, set and cluster: the parser resolves them into the plan (the run's
 * seed, the defaults, nodes and brokers), which ks_sim_new() reads. */
static bool build_resolved(KsSim *sim, GError **error)
{
    return true;
}

static bool build_nodes(KsSim *sim, GError **error)
{
    for (guint i = 0; i < sim->plan->nodes->len; i++) {
        const KsPlanNode *pn = g_ptr_array_index(sim->plan->nodes, i);
        if (pn->added_at >= 0)
            continue; /* `add node` makes it (scaling.c) */
        KsNode *n = g_new0(KsNode, 1);
        n->name = g_strdup(pn->name);
        n->zone = g_strdup(pn->zone);
        n->up = true;
        g_ptr_array_add(sim->nodes, n);
    }
    return true;
}

static bool build_brokers(KsSim *sim, GError **error)
{
    for (guint i = 0; i < sim->plan->brokers->len; i++)
        ks_broker_add(sim, g_ptr_array_index(sim->plan->brokers, i));
    return true;
}

/* After the nodes: the servers run on them. */
static bool build_zookeeper(KsSim *sim, GError **error)
{
    sim->zk = ks_zk_new(sim);
    return true;
}

static bool build_topics(KsSim *sim, GError **error)
{
    for (guint i = 0; i < sim->plan->topics->len; i++)
        if (!add_topic(sim, g_ptr_array_index(sim->plan->topics, i), error))
            return false;
    return true;
}

static bool build_producers(KsSim *sim, GError **error)
{
    for (guint i = 0; i < sim->plan->producers->len; i++) {
        const KsPlanProducer *pp = g_ptr_array_index(sim->plan->producers, i);
        g_ptr_array_add(sim->producers,
                        ks_producer_new(sim, pp, ks_sim_find_topic(sim, pp->topic), (int)i));
    }
    sim->consoles = g_new0(KsProducer *, sim->topics->len);
    return true;
}

/* After the producers: an agent's Kafka sink producer joins them. */
static bool build_flumes(KsSim *sim, GError **error)
{
    ks_flume_build(sim);
    return true;
}

/* Groups come into being when a consumer first uses them (group.c). */
static bool build_groups(KsSim *sim, GError **error)
{
    return true;
}

static bool build_consumers(KsSim *sim, GError **error)
{
    for (guint i = 0; i < sim->plan->consumers->len; i++)
        g_ptr_array_add(sim->consumers,
                        ks_consumer_new(sim, g_ptr_array_index(sim->plan->consumers, i), (int)i));
    ks_consumer_seek_setup(sim);
    return true;
}

/* Run in this order; NULL: the model cannot run that declaration yet. */
static const BuildFn builders[] = {
    [KS_DECL_SEED] = build_resolved,      [KS_DECL_SET] = build_resolved,
    [KS_DECL_CLUSTER] = build_resolved,   [KS_DECL_NODE] = build_nodes,
    [KS_DECL_BROKER] = build_brokers,     [KS_DECL_ZOOKEEPER] = build_zookeeper,
    [KS_DECL_TOPIC] = build_topics,       [KS_DECL_PRODUCER] = build_producers,
    [KS_DECL_FLUME] = build_flumes,       [KS_DECL_GROUP] = build_groups,
    [KS_DECL_CONSUMER] = build_consumers, [KS_DECL_NODE_TYPE] = ks_capacity_build,
    [KS_DECL_SITE] = build_resolved, /* capacity.c reads the sites */
    [KS_DECL_NETWORK] = ks_net_build,     [KS_DECL_LINK] = build_resolved, /* net.c reads them */
};
G_STATIC_ASSERT(G_N_ELEMENTS(builders) == KS_DECL_LINK + 1);

bool ks_sim_has_decl_builder(KsDeclKind kind)
{
    return (guint)kind < G_N_ELEMENTS(builders) && builders[kind] != NULL;
}

KsSim *ks_sim_new(const KsPlan *plan, bool has_seed, uint64_t seed, KsTime end, GError **error)
{
    g_autoptr(KsSim) sim = g_new0(KsSim, 1);
    sim->plan = plan;
    sim->seed = has_seed ? seed : plan->has_seed ? plan->seed : 1;
    sim->engine = ks_engine_new();
    sim->defaults = plan->defaults;
    sim->ledger = ks_ledger_new();
    sim->nodes = g_ptr_array_new_with_free_func(node_free);
    sim->brokers = g_ptr_array_new_with_free_func(broker_free);
    sim->topics = g_ptr_array_new_with_free_func(topic_free);
    sim->producers = g_ptr_array_new_with_free_func(producer_free_cb);
    sim->groups = g_ptr_array_new_with_free_func((GDestroyNotify)ks_group_free);
    sim->consumers = g_ptr_array_new_with_free_func((GDestroyNotify)ks_consumer_free);
    sim->flumes = g_ptr_array_new_with_free_func((GDestroyNotify)ks_flume_free);
    sim->sinks = g_array_new(FALSE, FALSE, sizeof(KsSink));
    sim->actions = g_ptr_array_new();
    sim->added_actions = g_ptr_array_new_with_free_func(ks_plan_action_free);

    sim->expect_results = g_ptr_array_new_with_free_func(expect_result_free);
    sim->registry = ks_registry_new(sim->seed);
    sim->metadata = ks_metadata_new();
    sim->end = end;

    for (guint k = 0; k < G_N_ELEMENTS(builders); k++)
        if (builders[k] && !builders[k](sim, error))
            return NULL;
    for (guint i = 0; i < plan->actions->len; i++) {
        const KsPlanAction *a = g_ptr_array_index(plan->actions, i);
        g_ptr_array_add(sim->actions, (gpointer)a);
        if (a->at <= end)
            ks_engine_schedule_at(sim->engine, a->at, run_action, sim, i);
    }
    return g_steal_pointer(&sim);
}

void ks_sim_free(KsSim *sim)
{
    if (!sim)
        return;
    /* Producers first: freeing them reads the broker list. */
    g_ptr_array_free(sim->producers, TRUE);
    g_ptr_array_free(sim->flumes, TRUE);
    /* Groups before consumers: a group frees the requests it holds, a
     * consumer those still in flight. */
    g_ptr_array_free(sim->groups, TRUE);
    g_ptr_array_free(sim->consumers, TRUE);
    g_free(sim->consoles);
    if (sim->broker_ids) {
        g_hash_table_destroy(sim->broker_ids);
        g_ptr_array_free(sim->broker_slots, TRUE);
    }
    ks_net_clear(&sim->net);
    ks_capacity_free(sim->capacity);

    g_ptr_array_free(sim->topics, TRUE);
    if (sim->offsets_plan)
        ks_plan_topic_free(sim->offsets_plan);
    g_ptr_array_free(sim->brokers, TRUE);
    ks_scaling_free(sim->scaling);
    ks_reassign_free(sim->reassign);
    g_ptr_array_free(sim->nodes, TRUE);
    g_array_free(sim->sinks, TRUE);
    g_ptr_array_free(sim->expect_results, TRUE);
    ks_ledger_free(sim->ledger);
    ks_engine_free(sim->engine);
    g_ptr_array_free(sim->actions, TRUE);
    g_ptr_array_free(sim->added_actions, TRUE);
    ks_registry_free(sim->registry);
    ks_metadata_free(sim->metadata);
    ks_zk_free(sim->zk);
    g_free(sim);
}

/* ---- timeline actions: narration and expectations ---- */

static KsExpectResult *check_now(KsSim *sim, const KsPlanExpect *e, bool emit)
{
    KsExpectResult *r = g_new0(KsExpectResult, 1);
    r->line = e->loc.line;
    r->text = g_strdup(e->text);
    r->t = ks_engine_now(sim->engine);
    r->held = ks_check_expect(sim, e, &r->actual);
    g_ptr_array_add(sim->expect_results, r);
    if (emit) {
        KsEvent ev = ks_event_init(KS_EV_EXPECT, r->t);
        ev.expect.line = r->line;
        ev.expect.condition = r->text;
        ev.expect.held = r->held;
        ev.expect.actual = r->actual;
        ks_sim_emit(sim, &ev);
    }
    return r;
}

static void action_say(KsSim *sim, const KsPlanAction *a)
{
    KsEvent ev = ks_event_init(KS_EV_SAY, ks_engine_now(sim->engine));
    ev.say.text = a->text;
    ks_sim_emit(sim, &ev);
}

static void action_snapshot(KsSim *sim, const KsPlanAction *a)
{
    KsEvent ev = ks_event_init(KS_EV_SNAPSHOT, ks_engine_now(sim->engine));
    ev.snapshot.name = a->name ? a->name : "snapshot";
    ev.snapshot.topics = sim;
    ks_sim_emit(sim, &ev);
}

/* The event says what is described; the views draw the table from the
 * queries while it is emitted, so it shows the cluster as it is then. */
static void action_describe_groups(KsSim *sim, const KsPlanAction *a)
{
    KsEvent ev = ks_event_init(KS_EV_DESCRIBE_GROUPS, ks_engine_now(sim->engine));
    ev.describe_groups.group = a->name;
    ks_sim_emit(sim, &ev);
}

static void action_describe(KsSim *sim, const KsPlanAction *a)
{
    KsEvent ev = ks_event_init(KS_EV_DESCRIBE, ks_engine_now(sim->engine));
    ev.describe.what = a->kind == KS_ACTION_DESCRIBE_BROKERS ? "brokers"
                       : a->kind == KS_ACTION_DESCRIBE_LOG   ? "log"
                                                             : "zk";
    if (a->kind == KS_ACTION_DESCRIBE_LOG) {
        ev.describe.topic = a->target.topic;
        ev.describe.partition = a->target.partition;
    }
    ks_sim_emit(sim, &ev);
}

static void action_expect(KsSim *sim, const KsPlanAction *a)
{
    check_now(sim, a->expect, true);
}

/* A machine's brokers (broker.c), then its ZooKeeper servers. */
static void action_crash_node(KsSim *sim, const KsPlanAction *a)
{
    ks_broker_action_crash_node(sim, a);
    ks_zk_node_crashed(sim, ks_sim_find_node(sim, a->name));
}

static void action_restart_node(KsSim *sim, const KsPlanAction *a)
{
    ks_broker_action_restart_node(sim, a);
    ks_zk_node_restarted(sim, ks_sim_find_node(sim, a->name));
}

/* ---- the dispatch table ---- */

typedef struct {
    const char *name; /* as the scenario language writes it */
    KsActionFn run;   /* NULL: the model cannot run it yet */
} ActionRow;

static const ActionRow action_table[] = {
    [KS_ACTION_CRASH_BROKER] = {"crash broker", ks_broker_action_crash},
    [KS_ACTION_RESTART_BROKER] = {"restart broker", ks_broker_action_restart},
    [KS_ACTION_STOP_BROKER] = {"stop broker", ks_broker_action_stop},
    [KS_ACTION_ADD_BROKER] = {"add broker", ks_scaling_action_add_broker},
    [KS_ACTION_CRASH_NODE] = {"crash node", action_crash_node},
    [KS_ACTION_RESTART_NODE] = {"restart node", action_restart_node},
    [KS_ACTION_START_CONSUMER] = {"start consumer", ks_consumer_action_start},
    [KS_ACTION_STOP_CONSUMER] = {"stop consumer", ks_consumer_action_stop},
    [KS_ACTION_CRASH_CONSUMER] = {"crash consumer", ks_consumer_action_crash},
    [KS_ACTION_START_PRODUCER] = {"start producer", ks_producer_action_start},
    [KS_ACTION_STOP_PRODUCER] = {"stop producer", ks_producer_action_stop},
    [KS_ACTION_PRODUCE] = {"produce", ks_producer_action_produce},
    [KS_ACTION_SAY] = {"say", action_say},
    [KS_ACTION_SNAPSHOT] = {"snapshot", action_snapshot},
    [KS_ACTION_PARTITION_NETWORK] = {"partition-network", ks_net_action_partition},
    [KS_ACTION_HEAL_NETWORK] = {"heal-network", ks_net_action_heal},
    [KS_ACTION_ELECT_PREFERRED] = {"elect-preferred", ks_controller_action_elect_preferred},
    [KS_ACTION_REASSIGN] = {"reassign", ks_reassign_action},
    [KS_ACTION_SET_CONFIG] = {"set", NULL},
    [KS_ACTION_DESCRIBE_GROUPS] = {"describe groups", action_describe_groups},
    [KS_ACTION_DESCRIBE_BROKERS] = {"describe brokers", action_describe},
    [KS_ACTION_DESCRIBE_LOG] = {"describe log", action_describe},
    [KS_ACTION_DESCRIBE_ZK] = {"describe zk", action_describe},
    [KS_ACTION_EXPECT] = {"expect", action_expect},
    [KS_ACTION_SEEK_CONSUMER] = {"seek consumer", ks_consumer_action_seek},
    [KS_ACTION_CRASH_FLUME] = {"crash flume", ks_flume_action_crash},
    [KS_ACTION_RESTART_FLUME] = {"restart flume", ks_flume_action_restart},
    [KS_ACTION_CRASH_ZOOKEEPER] = {"crash zookeeper", ks_zk_action_crash},
    [KS_ACTION_RESTART_ZOOKEEPER] = {"restart zookeeper", ks_zk_action_restart},
    [KS_ACTION_RESIZE_NODE] = {"resize node", ks_scaling_action_resize_node},
    [KS_ACTION_ROLLING_RESIZE] = {"rolling-resize", ks_scaling_action_rolling_resize},
    [KS_ACTION_ADD_NODE] = {"add node", ks_scaling_action_add_node},
    [KS_ACTION_DELETE_GROUP] = {"delete group", ks_group_action_delete},
    [KS_ACTION_ADD_PARTITIONS] = {"add partitions", ks_reassign_action_add_partitions},
    [KS_ACTION_PAUSE_BROKER] = {"pause broker", ks_net_action_pause},
};
/* KS_ACTION_PAUSE_BROKER is the last kind: a new kind needs its row. */
G_STATIC_ASSERT(G_N_ELEMENTS(action_table) == KS_ACTION_PAUSE_BROKER + 1);

bool ks_sim_has_action_handler(KsActionKind kind)
{
    return (guint)kind < G_N_ELEMENTS(action_table) && action_table[kind].run != NULL;
}

const char *ks_sim_action_name(KsActionKind kind)
{
    g_return_val_if_fail((guint)kind < G_N_ELEMENTS(action_table), NULL);
    return action_table[kind].name;
}

/* The engine event of action @index of sim->actions: runs it and, for an
 * `every` action, schedules its next run. */
static void run_action(KsEngine *engine, void *ctx, uint64_t index)
{
    KsSim *sim = ctx;
    const KsPlanAction *a = g_ptr_array_index(sim->actions, index);
    /* The parser and ks_sim_add_action() refuse a kind without a handler. */
    g_assert(action_table[a->kind].run != NULL);
    action_table[a->kind].run(sim, a);

    if (a->every > 0) {
        KsTime next = ks_engine_now(engine) + a->every;
        if (next <= sim->end)
            ks_engine_schedule_at(engine, next, run_action, sim, index);
    }
}

/* ---- the run ---- */

/* Start-up at time 0 (see the essay); once. */
static void start_cluster(KsSim *sim)
{
    if (sim->started)
        return;
    sim->started = true;
    for (guint i = 0; i < sim->brokers->len; i++)
        ks_broker_restart(sim, g_ptr_array_index(sim->brokers, i), KS_EV_BROKER_STARTED);
    for (guint i = 0; i < sim->topics->len; i++) {
        KsTopic *t = g_ptr_array_index(sim->topics, i);
        KsEvent ev = ks_event_init(KS_EV_TOPIC_CREATED, 0);
        ev.topic_created.topic = t->name;
        ev.topic_created.partitions = t->n_partitions;
        ev.topic_created.replication_factor = t->replication_factor;
        ks_sim_emit(sim, &ev);
        ks_controller_create_topic(sim, t);
    }
    for (guint i = 0; i < sim->producers->len; i++)
        ks_producer_start(sim, g_ptr_array_index(sim->producers, i));
    ks_flume_start_all(sim);
    for (guint i = 0; i < sim->consumers->len; i++) {
        KsConsumer *c = g_ptr_array_index(sim->consumers, i);
        if (c->plan->start_at_zero)
            ks_consumer_start(sim, c, NULL);
    }
}

void ks_sim_run(KsSim *sim)
{
    ks_sim_run_until(sim, sim->end);
}

void ks_sim_run_until(KsSim *sim, KsTime t)
{
    g_return_if_fail(sim != NULL);
    g_return_if_fail(t >= ks_engine_now(sim->engine) && t <= sim->end);
    start_cluster(sim);
    ks_engine_run_until(sim->engine, t);
}

bool ks_sim_step(KsSim *sim)
{
    g_return_val_if_fail(sim != NULL, false);
    start_cluster(sim);
    if (ks_engine_step(sim->engine, sim->end))
        return true;
    /* Nothing left before the end: the clock goes there, as after a run. */
    ks_engine_run_until(sim->engine, sim->end);
    return false;
}

KsTime ks_sim_next_event_time(const KsSim *sim)
{
    g_return_val_if_fail(sim != NULL, KS_TIME_NEVER);
    KsTime t = ks_engine_next_event_time(sim->engine);
    return t <= sim->end ? t : KS_TIME_NEVER;
}

KsTime ks_sim_end(const KsSim *sim)
{
    g_return_val_if_fail(sim != NULL, 0);
    return sim->end;
}

bool ks_sim_add_action(KsSim *sim, KsPlanAction *action, GError **error)
{
    g_return_val_if_fail(sim != NULL, false);
    g_return_val_if_fail(action != NULL, false);
    g_return_val_if_fail((guint)action->kind < G_N_ELEMENTS(action_table), false);
    const char *name = action_table[action->kind].name;
    KsTime now = ks_engine_now(sim->engine);
    if (!action_table[action->kind].run) {
        g_set_error(error, KS_SIM_ERROR, KS_SIM_ERROR_UNSUPPORTED, "%s is not supported yet", name);
        ks_plan_action_free(action);
        return false;
    }
    if (action->at < now || action->at > sim->end) {
        g_autofree char *at = ks_scenario_format_duration(action->at);
        g_autofree char *when = ks_scenario_format_duration(action->at < now ? now : sim->end);
        if (action->at < now)
            g_set_error(error, KS_SIM_ERROR, KS_SIM_ERROR_TIME,
                        "%s at %s is in the past: the simulation is at %s", name, at, when);
        else
            g_set_error(error, KS_SIM_ERROR, KS_SIM_ERROR_TIME,
                        "%s at %s is after the end of the run (%s)", name, at, when);
        ks_plan_action_free(action);
        return false;
    }
    /* A `start consumer` line may define its consumer (the parser adds it
     * to the plan): the model gets it now, in the plan's order. */
    while (sim->consumers->len < sim->plan->consumers->len) {
        guint i = sim->consumers->len;
        g_ptr_array_add(sim->consumers,
                        ks_consumer_new(sim, g_ptr_array_index(sim->plan->consumers, i), (int)i));
    }
    guint index = sim->actions->len;
    g_ptr_array_add(sim->added_actions, action);
    g_ptr_array_add(sim->actions, action);
    ks_engine_schedule_at(sim->engine, action->at, run_action, sim, index);
    return true;
}

const KsExpectResult *ks_sim_check_expect_now(KsSim *sim, const KsPlanExpect *expect)
{
    g_return_val_if_fail(sim != NULL, NULL);
    g_return_val_if_fail(expect != NULL, NULL);
    g_return_val_if_fail(ks_check_has_evaluator(expect->kind), NULL);
    return check_now(sim, expect, true);
}

void ks_sim_finish(KsSim *sim)
{
    for (guint i = 0; i < sim->plan->expects->len; i++)
        check_now(sim, g_ptr_array_index(sim->plan->expects, i), false);
}

KsTime ks_sim_now(const KsSim *sim)
{
    return ks_engine_now(sim->engine);
}

void ks_sim_get_stats(const KsSim *sim, KsSimStats *out)
{
    KsTime now = ks_engine_now(sim->engine);
    *out = sim->stats;
    out->unavailable_us = 0;
    for (guint i = 0; i < sim->topics->len; i++) {
        const KsTopic *t = g_ptr_array_index(sim->topics, i);
        for (int32_t p = 0; p < t->n_partitions; p++) {
            const KsPartition *part = t->partitions[p];
            out->unavailable_us += part->unavailable_us;
            if (part->unavailable_since >= 0)
                out->unavailable_us += now - part->unavailable_since;
        }
    }
    const KsLedgerCounts *ledger = ks_ledger_total(sim->ledger);
    out->records_produced = ledger->produced;
    out->records_pending = ledger->pending;
    out->records_acked = ledger->acked;
    out->records_refused = ledger->refused;
    out->records_lost = ledger->lost;
    out->records_lost_unclean = ledger->lost_by[KS_LOSS_UNCLEAN];
    out->records_lost_power_loss = ledger->lost_by[KS_LOSS_POWER];
    out->records_lost_zombie = ledger->lost_by[KS_LOSS_ZOMBIE];
    out->records_lost_acks1_failover = ledger->lost_by[KS_LOSS_ACKS1_FAILOVER];
    out->events = ks_engine_events_run(sim->engine);
}

const GPtrArray *ks_sim_expect_results(const KsSim *sim)
{
    return sim->expect_results;
}

bool ks_sim_all_held(const KsSim *sim)
{
    for (guint i = 0; i < sim->expect_results->len; i++)
        if (!((KsExpectResult *)g_ptr_array_index(sim->expect_results, i))->held)
            return false;
    return true;
}
