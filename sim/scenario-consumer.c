/* SPDX-License-Identifier: MIT */
/*
 * scenario-consumer.c - the consumer's own keys on the lines that declare
 * or start one, and the seek action's target.
 *
 * A consumer line carries, beside Kafka configs, keys that describe the
 * application around the Kafka consumer: processing= (time per record),
 * commit= (when it commits), commit-every= (commit after every N records
 * rather than after every poll), and where it starts reading: from-offset=
 * (a seek to an offset in onPartitionsAssigned) or from-time= (a seek to
 * what offsetsForTimes answers for that time). `start consumer` may give
 * the last two again; `seek consumer` gives its target as to-offset= or
 * to-time=. Runs once per consumer line.
 */
#include "scenario-private.h"

#include <inttypes.h>
#include <string.h>

#include <glib.h>

bool ks_scn_config_list(Parser *p, const KsConfigInfo *info, Arg *a, KsConfigSet *into,
                        GError **error)
{
    if (a->is_set)
        return ks_scn_fail(p, a->first, VALUE, error,
                           "%s takes a list written a,b (no braces), e.g. %s=range,roundrobin",
                           info->name, info->name);
    int64_t list = 0;
    for (guint i = 0; i < a->items->len; i++) {
        const KsToken *t = a->items->pdata[i];
        g_autofree char *word = ks_scn_tok_text(t);
        const KsConfigChoice *c = info->choices;
        while (c->name && (t->kind == KS_TOK_STRING || strcmp(c->name, word) != 0))
            c++;
        if (!c->name) {
            g_autoptr(GPtrArray) names = g_ptr_array_new();
            for (const KsConfigChoice *d = info->choices; d->name; d++)
                g_ptr_array_add(names, (gpointer)d->name);
            g_autofree char *all = ks_scn_join_strs(names, 20);
            return ks_scn_fail(p, t, VALUE, error, "%s: expected a list of %s", word, all);
        }
        for (int k = 0; ks_config_list_at(list, k) >= 0; k++)
            if (ks_config_list_at(list, k) == c->value)
                return ks_scn_fail(p, t, VALUE, error, "%s is listed twice in %s", word,
                                   info->name);
        list = ks_config_list_add(list, c->value);
    }
    ks_config_set_put(into, info->key, list);
    return true;
}

static const char *const commit_names[] = {"sync", "async", "before", "auto", NULL};

bool ks_scn_consumer_seek_keys(Parser *p, Args *a, const char *offset_key, const char *time_key,
                               int64_t *offset, KsTime *time, GError **error)
{
    const Arg *ao = ks_scn_get(a, offset_key), *at = ks_scn_get(a, time_key);
    if (ao && at)
        return ks_scn_fail(p, at->key, VALUE, error,
                           "%s= and %s= both say where to read from; give one of them", offset_key,
                           time_key);
    if (ao && !ks_scn_arg_int(p, ao, 0, INT64_MAX / 2, offset, error))
        return false;
    return !at || ks_scn_tok_duration(p, ks_scn_scalar(at), at, "a time", "5s", time, error);
}

/* The simulated application's keys: processing=, commit=, commit-every=,
 * from-offset=, from-time=. */
static bool consumer_app_keys(Parser *p, Args *a, KsPlanConsumer *c, GError **error)
{
    c->commit = -1;
    c->from_offset = -1;
    c->from_time = -1;
    const Arg *ap = ks_scn_get(a, "processing");
    if (ap && !ks_scn_tok_duration(p, ks_scn_scalar(ap), ap, "a duration per record", "2ms",
                                   &c->processing, error))
        return false;
    const Arg *ac = ks_scn_get(a, "commit");
    int commit = -1;
    if (ac && !ks_scn_arg_choice(p, ac, commit_names, &commit, error))
        return false;
    c->commit = commit == 3 ? -1 : commit;
    const Arg *ae = ks_scn_get(a, "commit-every");
    if (ae) {
        if (!ks_scn_arg_int(p, ae, 1, INT32_MAX, &c->commit_every, error))
            return false;
        if (c->commit != 0 && c->commit != 1)
            return ks_scn_fail(p, ae->key, VALUE, error,
                               "commit-every= counts records between explicit commits; it needs "
                               "commit=sync or commit=async");
    }
    return ks_scn_consumer_seek_keys(p, a, "from-offset", "from-time", &c->from_offset,
                                     &c->from_time, error);
}

bool ks_scn_define_consumer(Parser *p, const KsToken *nt, const char *name, const Arg *ag,
                            const Arg *at, Args *a, KsLoc loc, bool at_zero, GError **error)
{
    if (!ks_scn_check_client_name(p, nt, name, error))
        return false;
    KsPlanConsumer *c = g_new0(KsPlanConsumer, 1);
    c->name = g_strdup(name);
    c->start_at_zero = at_zero;
    c->loc = loc;
    g_ptr_array_add(p->plan->consumers, c);
    ks_scn_add_client(p, c->name, CLIENT_CONSUMER, loc.line);
    if (!ks_scn_arg_name(p, ag, "a group name", &c->group, error))
        return false;
    if (!ks_scn_use_group(p, ks_scn_scalar(ag), c->group, error))
        return false;
    if (!ks_scn_arg_topics(p, at, &c->topics, error))
        return false;
    const Arg *anode = ks_scn_get(a, "node");
    if (anode && !ks_scn_arg_node(p, anode, &c->node, error))
        return false;
    if (!consumer_app_keys(p, a, c, error))
        return false;
    c->configs = g_steal_pointer(&a->configs);
    return true;
}

bool ks_scn_seek_target(Parser *p, const KsToken *head, Args *a, KsPlanAction *act, GError **error)
{
    act->target.partition = -1;
    if (a->pos->len > 1) {
        const Arg *ap = a->pos->pdata[1];
        if (!ks_scn_want_scalar(p, ap, "a partition", error))
            return false;
        if (!ks_scn_tok_partition(p, ks_scn_scalar(ap), &act->target, error))
            return false;
    }
    if (!ks_scn_get(a, "to-offset") && !ks_scn_get(a, "to-time"))
        return ks_scn_fail(p, head, SYNTAX, error,
                           "seek needs where to: to-offset=N or to-time=T, e.g. "
                           "seek consumer c1 orders-0 to-time=5s");
    return ks_scn_consumer_seek_keys(p, a, "to-offset", "to-time", &act->from_offset,
                                     &act->from_time, error);
}
