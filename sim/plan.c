/* SPDX-License-Identifier: MIT */
/*
 * plan.c - the parsed scenario: construction, destruction and lookups.
 *
 * A plan is plain data. The finders walk the arrays linearly (brokers, which
 * are sorted by id, by binary search): they are for building the model and
 * for tools, which call them once per entity, never per event. The parser
 * keeps its own hash indexes while it reads, since it checks every name.
 */
#include "kafkasim/plan.h"

#include <string.h>

KsPlan *ks_plan_new(const char *file)
{
    KsPlan *plan = g_new0(KsPlan, 1);
    plan->file = g_strdup(file);
    plan->defaults = ks_config_set_new();
    plan->nodes = g_ptr_array_new_with_free_func(ks_plan_node_free);
    plan->node_types = g_ptr_array_new_with_free_func(ks_plan_node_type_free);
    plan->sites = g_ptr_array_new_with_free_func(ks_plan_site_free);
    plan->links = g_ptr_array_new_with_free_func(ks_plan_link_free);
    plan->brokers = g_ptr_array_new_with_free_func(ks_plan_broker_free);
    plan->topics = g_ptr_array_new_with_free_func(ks_plan_topic_free);
    plan->producers = g_ptr_array_new_with_free_func(ks_plan_producer_free);
    plan->flumes = g_ptr_array_new_with_free_func(ks_plan_flume_free);
    plan->groups = g_ptr_array_new_with_free_func(ks_plan_group_free);
    plan->consumers = g_ptr_array_new_with_free_func(ks_plan_consumer_free);
    plan->actions = g_ptr_array_new_with_free_func(ks_plan_action_free);
    plan->expects = g_ptr_array_new_with_free_func(ks_plan_expect_free);
    return plan;
}

void ks_plan_free(KsPlan *plan)
{
    if (!plan)
        return;
    if (plan->parser_free)
        plan->parser_free(plan->parser);
    g_free(plan->file);
    ks_config_set_free(plan->defaults);
    g_ptr_array_unref(plan->nodes);
    g_ptr_array_unref(plan->node_types);
    g_ptr_array_unref(plan->sites);
    g_ptr_array_unref(plan->links);
    g_free(plan->network);
    g_ptr_array_unref(plan->brokers);
    g_ptr_array_unref(plan->topics);
    g_ptr_array_unref(plan->producers);
    g_ptr_array_unref(plan->flumes);
    g_ptr_array_unref(plan->groups);
    g_ptr_array_unref(plan->consumers);
    if (plan->zookeeper) {
        g_free(plan->zookeeper->node);
        if (plan->zookeeper->nodes)
            g_ptr_array_unref(plan->zookeeper->nodes);
        g_free(plan->zookeeper);
    }
    g_ptr_array_unref(plan->actions);
    g_ptr_array_unref(plan->expects);
    g_free(plan);
}

const KsPlanNode *ks_plan_find_node(const KsPlan *plan, const char *name)
{
    g_return_val_if_fail(plan && name, NULL);
    for (guint i = 0; i < plan->nodes->len; i++) {
        const KsPlanNode *n = plan->nodes->pdata[i];
        if (strcmp(n->name, name) == 0)
            return n;
    }
    return NULL;
}

const KsPlanBroker *ks_plan_find_broker(const KsPlan *plan, KsBrokerId id)
{
    g_return_val_if_fail(plan, NULL);
    guint lo = 0, hi = plan->brokers->len;
    while (lo < hi) {
        guint mid = lo + (hi - lo) / 2;
        const KsPlanBroker *b = plan->brokers->pdata[mid];
        if (b->id == id)
            return b;
        if (b->id < id)
            lo = mid + 1;
        else
            hi = mid;
    }
    return NULL;
}

const KsPlanTopic *ks_plan_find_topic(const KsPlan *plan, const char *name)
{
    g_return_val_if_fail(plan && name, NULL);
    for (guint i = 0; i < plan->topics->len; i++) {
        const KsPlanTopic *t = plan->topics->pdata[i];
        if (strcmp(t->name, name) == 0)
            return t;
    }
    return NULL;
}

const KsPlanProducer *ks_plan_find_producer(const KsPlan *plan, const char *name)
{
    g_return_val_if_fail(plan && name, NULL);
    for (guint i = 0; i < plan->producers->len; i++) {
        const KsPlanProducer *p = plan->producers->pdata[i];
        if (strcmp(p->name, name) == 0)
            return p;
    }
    return NULL;
}

const KsPlanConsumer *ks_plan_find_consumer(const KsPlan *plan, const char *name)
{
    g_return_val_if_fail(plan && name, NULL);
    for (guint i = 0; i < plan->consumers->len; i++) {
        const KsPlanConsumer *c = plan->consumers->pdata[i];
        if (strcmp(c->name, name) == 0)
            return c;
    }
    return NULL;
}

const KsPlanGroup *ks_plan_find_group(const KsPlan *plan, const char *name)
{
    g_return_val_if_fail(plan && name, NULL);
    for (guint i = 0; i < plan->groups->len; i++) {
        const KsPlanGroup *g = plan->groups->pdata[i];
        if (strcmp(g->name, name) == 0)
            return g;
    }
    return NULL;
}

void ks_plan_node_free(gpointer p)
{
    KsPlanNode *n = p;
    if (!n)
        return;
    g_free(n->name);
    g_free(n->zone);
    g_free(n->type);
    g_free(n->site);
    g_free(n);
}

void ks_plan_site_free(gpointer p)
{
    KsPlanSite *s = p;
    if (!s)
        return;
    g_free(s->name);
    g_free(s->region);
    g_ptr_array_unref(s->zones);
    g_free(s);
}

void ks_plan_link_free(gpointer p)
{
    KsPlanLink *l = p;
    if (!l)
        return;
    g_free(l->a);
    g_free(l->b);
    g_free(l);
}

void ks_plan_node_type_free(gpointer p)
{
    KsPlanNodeType *t = p;
    if (!t)
        return;
    g_free(t->name);
    g_free(t);
}

void ks_plan_broker_free(gpointer p)
{
    KsPlanBroker *b = p;
    if (!b)
        return;
    g_free(b->node);
    g_free(b->rack);
    ks_config_set_free(b->configs);
    g_free(b);
}

void ks_plan_topic_free(gpointer p)
{
    KsPlanTopic *t = p;
    if (!t)
        return;
    g_free(t->name);
    g_free(t->assignment);
    ks_config_set_free(t->configs);
    g_free(t);
}

void ks_plan_producer_free(gpointer p)
{
    KsPlanProducer *pr = p;
    if (!pr)
        return;
    g_free(pr->name);
    g_free(pr->topic);
    g_free(pr->node);
    g_free(pr->key_prefix);
    ks_config_set_free(pr->configs);
    g_free(pr);
}

void ks_plan_flume_free(gpointer p)
{
    KsPlanFlume *f = p;
    if (!f)
        return;
    g_free(f->name);
    g_free(f->topic);
    g_free(f->node);
    ks_config_set_free(f->configs);
    g_free(f);
}

void ks_plan_group_free(gpointer p)
{
    KsPlanGroup *g = p;
    if (!g)
        return;
    g_free(g->name);
    g_free(g);
}

void ks_plan_consumer_free(gpointer p)
{
    KsPlanConsumer *c = p;
    if (!c)
        return;
    g_free(c->name);
    g_free(c->group);
    if (c->topics)
        g_ptr_array_unref(c->topics);
    g_free(c->node);
    ks_config_set_free(c->configs);
    g_free(c);
}

void ks_plan_expect_free(gpointer p)
{
    KsPlanExpect *e = p;
    if (!e)
        return;
    g_free(e->partition.topic);
    g_free(e->name);
    if (e->set_ids)
        g_array_unref(e->set_ids);
    if (e->set_names)
        g_ptr_array_unref(e->set_names);
    g_free(e->word);
    g_free(e->text);
    g_free(e);
}

void ks_plan_action_free(gpointer p)
{
    KsPlanAction *a = p;
    if (!a)
        return;
    g_free(a->name);
    g_free(a->text);
    g_free(a->group);
    if (a->topics)
        g_ptr_array_unref(a->topics);
    g_free(a->topic);
    g_free(a->key);
    g_free(a->producer);
    g_free(a->node);
    g_free(a->node_type);
    g_free(a->rack);
    if (a->side_a)
        g_ptr_array_unref(a->side_a);
    if (a->side_b)
        g_ptr_array_unref(a->side_b);
    g_free(a->target.topic);
    if (a->replicas)
        g_array_unref(a->replicas);
    if (a->plan_brokers)
        g_array_unref(a->plan_brokers);
    ks_config_set_free(a->configs);
    ks_plan_expect_free(a->expect);
    g_free(a);
}
