/* SPDX-License-Identifier: MIT */
/*
 * scenario-decl-net.c - the network's declarations: `network` (latency by
 * distance, jitter) and `link A B` (one pair of nodes: latency, loss), and
 * the share a lossy link drops ("10%").
 *
 * `network loopback=50us same-zone=500us cross-zone=1ms cross-site=30ms
 * jitter=100us` sets the one-way latencies net.c uses; a key left out keeps
 * its default (net.c), so `network jitter=100us` only adds jitter. `link n1
 * n2 latency=5ms loss=10%` overrides the distance between two declared
 * nodes, both ways. One `network` line per scenario, one `link` per pair.
 */
#include "scenario-private.h"

#include <math.h>
#include <string.h>

const KeySpec ks_scn_network_keys[] = {KEY("loopback", "50us"),  KEY("same-zone", "500us"),
                                       KEY("cross-zone", "1ms"), KEY("cross-site", "30ms"),
                                       KEY("jitter", "100us"),   KEYS_END};
const KeySpec ks_scn_link_keys[] = {KEY("latency", "5ms"), KEY("loss", "10%"), KEYS_END};

/* A duration key of the line, if given, into *@out (left as is if not). */
static bool opt_duration(Parser *p, Args *a, const char *key, KsTime *out, GError **error)
{
    const Arg *v = ks_scn_get(a, key);
    if (!v)
        return true;
    return ks_scn_want_scalar(p, v, "a duration", error) &&
           ks_scn_tok_duration(p, ks_scn_scalar(v), v, "a duration", v->example, out, error);
}

bool ks_scn_network(Parser *p, const LineSpec *spec, const KsToken *head, Args *a, GError **error)
{
    KsPlan *plan = p->plan;
    if (plan->network)
        return ks_scn_fail(p, head, VALUE, error, "network is already declared on line %d",
                           plan->network->loc.line);
    KsPlanNetwork *n = g_new0(KsPlanNetwork, 1);
    *n = (KsPlanNetwork){-1, -1, -1, -1, 0, ks_scn_loc_of(head)};
    plan->network = n;
    return opt_duration(p, a, "loopback", &n->loopback, error) &&
           opt_duration(p, a, "same-zone", &n->same_zone, error) &&
           opt_duration(p, a, "cross-zone", &n->cross_zone, error) &&
           opt_duration(p, a, "cross-site", &n->cross_site, error) &&
           opt_duration(p, a, "jitter", &n->jitter, error);
}

bool ks_scn_arg_share(Parser *p, const Arg *v, int64_t *ppm, GError **error)
{
    if (!ks_scn_want_scalar(p, v, "a share", error))
        return false;
    const KsToken *t = ks_scn_scalar(v);
    g_autofree char *text = ks_scn_tok_text(t);
    size_t n = strlen(text);
    char *end = NULL;
    double d = n > 1 && text[n - 1] == '%' ? g_ascii_strtod(text, &end) : -1;
    if (!end || end != text + n - 1 || !(d >= 0 && d <= 100))
        return ks_scn_fail(p, t, VALUE, error, "'%s': expected a share from 0%% to 100%%, e.g. %s",
                           text, v->example);
    *ppm = (int64_t)llround(d * 10000);
    return true;
}

bool ks_scn_link(Parser *p, const LineSpec *spec, const KsToken *head, Args *a, GError **error)
{
    char *names[2] = {NULL, NULL};
    for (int i = 0; i < 2; i++) {
        const Arg *an = a->pos->pdata[i];
        if (!ks_scn_arg_name(p, an, "a node name", &names[i], error) ||
            !ks_scn_find_node(p, ks_scn_scalar(an), names[i], error)) {
            g_free(names[0]);
            g_free(names[1]);
            return false;
        }
    }
    KsPlanLink *l = g_new0(KsPlanLink, 1);
    *l = (KsPlanLink){names[0], names[1], -1, 0, ks_scn_loc_of(head)};
    const KsToken *second = ks_scn_scalar(a->pos->pdata[1]);
    if (strcmp(l->a, l->b) == 0) {
        ks_plan_link_free(l);
        return ks_scn_fail(p, second, VALUE, error, "a link joins two different nodes, e.g. %s",
                           spec->pos_example);
    }
    for (guint i = 0; i < p->plan->links->len; i++) {
        const KsPlanLink *o = p->plan->links->pdata[i];
        if ((!strcmp(o->a, l->a) && !strcmp(o->b, l->b)) ||
            (!strcmp(o->a, l->b) && !strcmp(o->b, l->a))) {
            int line = o->loc.line;
            ks_plan_link_free(l);
            return ks_scn_fail(p, second, VALUE, error,
                               "the link between these nodes is already declared on line %d", line);
        }
    }
    g_ptr_array_add(p->plan->links, l);
    const Arg *v = ks_scn_get(a, "loss");
    if (v && !ks_scn_arg_share(p, v, &l->loss_ppm, error))
        return false;
    return opt_duration(p, a, "latency", &l->latency, error);
}
