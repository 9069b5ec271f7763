/* SPDX-License-Identifier: MIT */
/*
 * scenario-decl-capacity.c - machine types: the `node-type` declaration,
 * the `type=` of `node` and `cluster`, and the quantities they are written
 * in.
 *
 * A node type is declared once (`node-type big vcpus=8 memory=32GB
 * network=10Gbit/s disk=500MB/s disk-size=2TB price=0.50/h`) or taken from
 * the price table by its name (`node n1 type=m5.xlarge`, prices.h); either
 * way the plan's node_types holds it once, in the order first declared or
 * used, and a node names it. A declared type may not reuse a table name, so
 * "m5.xlarge" means the same machine in every scenario.
 *
 * Quantities are exact, as durations are: sizes in B, KB, MB, GB, TB
 * (powers of 1000) or KiB, MiB, GiB, TiB (powers of 1024); throughputs in
 * bit, Kbit, Mbit, Gbit or B, KB, MB, GB per second; prices in US dollars
 * with at most six decimals per hour (`0.50/h`) or per GB-month
 * (`0.08/GB-month`). A value that is not a whole number of bytes (or of
 * millionths of a dollar) is an error, not a rounding. Runs once per line
 * that declares or uses a type.
 */
#include "scenario-private.h"

#include <inttypes.h>
#include <string.h>

#include <glib.h>

#include "kafkasim/prices.h"

typedef struct {
    const char *name;
    int64_t mult;
    int64_t div;
} Unit;

static const Unit size_units[] = {
    {"B", 1, 1},
    {"KB", 1000, 1},
    {"MB", 1000 * 1000, 1},
    {"GB", (int64_t)1000 * 1000 * 1000, 1},
    {"TB", (int64_t)1000 * 1000 * 1000 * 1000, 1},
    {"KiB", 1024, 1},
    {"MiB", 1024 * 1024, 1},
    {"GiB", (int64_t)1024 * 1024 * 1024, 1},
    {"TiB", (int64_t)1024 * 1024 * 1024 * 1024, 1},
    {NULL, 0, 0},
};

static const Unit rate_units[] = {
    {"bit/s", 1, 8},
    {"Kbit/s", 1000, 8},
    {"Mbit/s", 1000 * 1000, 8},
    {"Gbit/s", (int64_t)1000 * 1000 * 1000, 8},
    {"B/s", 1, 1},
    {"KB/s", 1000, 1},
    {"MB/s", 1000 * 1000, 1},
    {"GB/s", (int64_t)1000 * 1000 * 1000, 1},
    {NULL, 0, 0},
};

static const Unit hour_units[] = {{"/h", 1000 * 1000, 1}, {NULL, 0, 0}};
static const Unit month_units[] = {{"/GB-month", 1000 * 1000, 1}, {NULL, 0, 0}};

const KeySpec ks_scn_node_type_keys[] = {KEY("vcpus", "8"),
                                         KEY("memory", "32GB"),
                                         KEY("network", "10Gbit/s"),
                                         KEY("disk", "500MB/s"),
                                         KEY("disk-size", "2TB"),
                                         KEY("price", "0.50/h"),
                                         KEY("storage-price", "0.08/GB-month"),
                                         KEYS_END};

/* Reads "DIGITS[.DIGITS]UNIT" from @s (@n bytes) into *@out, exactly:
 * (number * mult / div) must be whole and at most 2^62. Returns false if
 * it has another shape or is not exact. */
static bool read_quantity(const char *s, size_t n, const Unit *units, int64_t *out)
{
    size_t i = 0;
    __int128 whole = 0, frac = 0, scale = 1;
    while (i < n && g_ascii_isdigit(s[i])) {
        whole = whole * 10 + (s[i++] - '0');
        if (whole > ((__int128)1 << 62))
            return false;
    }
    if (i == 0)
        return false;
    if (i < n && s[i] == '.') {
        size_t f0 = ++i;
        while (i < n && g_ascii_isdigit(s[i]) && i - f0 < 12) {
            frac = frac * 10 + (s[i++] - '0');
            scale *= 10;
        }
        if (i == f0)
            return false;
    }
    for (const Unit *u = units; u->name; u++) {
        if (strlen(u->name) != n - i || memcmp(u->name, s + i, n - i) != 0)
            continue;
        __int128 num = (whole * scale + frac) * u->mult;
        __int128 den = scale * u->div;
        if (num % den != 0 || num / den > ((__int128)1 << 62))
            return false;
        *out = (int64_t)(num / den);
        return true;
    }
    return false;
}

static bool arg_quantity(Parser *p, const Arg *a, const Unit *units, const char *what, int64_t *out,
                         GError **error);

bool ks_scn_arg_byte_rate(Parser *p, const Arg *a, int64_t *out, GError **error)
{
    return arg_quantity(p, a, rate_units, "a throughput", out, error);
}

static bool arg_quantity(Parser *p, const Arg *a, const Unit *units, const char *what, int64_t *out,
                         GError **error)
{
    if (!ks_scn_want_scalar(p, a, what, error))
        return false;
    const KsToken *t = ks_scn_scalar(a);
    if (t->kind != KS_TOK_STRING && read_quantity(t->src, t->len, units, out))
        return true;
    g_autofree char *s = ks_scn_arg_show(a);
    return ks_scn_fail(p, t, VALUE, error, "%s: expected %s, e.g. %s", s, what, a->example);
}

/* The plan's type called @name, or NULL. */
static KsPlanNodeType *plan_type(Parser *p, const char *name)
{
    for (guint i = 0; i < p->plan->node_types->len; i++) {
        KsPlanNodeType *t = p->plan->node_types->pdata[i];
        if (strcmp(t->name, name) == 0)
            return t;
    }
    return NULL;
}

bool ks_scn_node_type(Parser *p, const LineSpec *spec, const KsToken *head, Args *a, GError **error)
{
    const Arg *an = a->pos->pdata[0];
    g_autofree char *name = NULL;
    if (!ks_scn_arg_name(p, an, "a type name", &name, error))
        return false;
    const KsPlanNodeType *old = plan_type(p, name);
    if (old && old->loc.line)
        return ks_scn_fail(p, ks_scn_scalar(an), VALUE, error,
                           "node type '%s' is already declared on line %d", name, old->loc.line);
    if (ks_prices_find(name) >= 0)
        return ks_scn_fail(p, ks_scn_scalar(an), VALUE, error,
                           "'%s' is a type of the price table (docs/prices.md); give yours "
                           "another name",
                           name);
    KsPlanNodeType *t = g_new0(KsPlanNodeType, 1);
    t->name = g_steal_pointer(&name);
    t->loc = ks_scn_loc_of(head);
    g_ptr_array_add(p->plan->node_types, t);
    const Arg *v;
    if ((v = ks_scn_get(a, "vcpus")) && !ks_scn_arg_int(p, v, 1, 100000, &t->vcpus, error))
        return false;
    if ((v = ks_scn_get(a, "memory")) &&
        !arg_quantity(p, v, size_units, "a size", &t->memory_bytes, error))
        return false;
    if ((v = ks_scn_get(a, "network")) &&
        !arg_quantity(p, v, rate_units, "a throughput", &t->network_bytes_per_s, error))
        return false;
    if ((v = ks_scn_get(a, "disk")) &&
        !arg_quantity(p, v, rate_units, "a throughput", &t->disk_bytes_per_s, error))
        return false;
    if ((v = ks_scn_get(a, "disk-size")) &&
        !arg_quantity(p, v, size_units, "a size", &t->disk_bytes, error))
        return false;
    if ((v = ks_scn_get(a, "price")) &&
        !arg_quantity(p, v, hour_units, "a price per hour", &t->price_micro_usd_per_h, error))
        return false;
    if ((v = ks_scn_get(a, "storage-price")) &&
        !arg_quantity(p, v, month_units, "a price per GB-month", &t->storage_micro_usd_per_gb_month,
                      error))
        return false;
    return true;
}

bool ks_scn_arg_node_type(Parser *p, const Arg *a, char **out, GError **error)
{
    g_autofree char *name = NULL;
    if (!ks_scn_arg_name(p, a, "a node type", &name, error))
        return false;
    if (!plan_type(p, name)) {
        int row = ks_prices_find(name);
        if (row < 0) {
            g_autoptr(GPtrArray) names = g_ptr_array_new_with_free_func(g_free);
            for (guint i = 0; i < p->plan->node_types->len; i++)
                g_ptr_array_add(names,
                                g_strdup(((KsPlanNodeType *)p->plan->node_types->pdata[i])->name));
            for (size_t i = 0; i < ks_prices_n_types(); i++) {
                KsPlanNodeType *t = ks_prices_type_new(i);
                g_ptr_array_add(names, g_steal_pointer(&t->name));
                ks_plan_node_type_free(t);
            }
            g_autofree char *hint = ks_scn_did_you_mean(name, names);
            return ks_scn_fail(p, ks_scn_scalar(a), REFERENCE, error,
                               "node type '%s' is neither declared with node-type nor in the "
                               "price table (docs/prices.md)%s",
                               name, hint);
        }
        g_ptr_array_add(p->plan->node_types, ks_prices_type_new((size_t)row));
    }
    *out = g_steal_pointer(&name);
    return true;
}

/* ---- sites ---- */

const KeySpec ks_scn_site_keys[] = {KEY("kind", "public"),           KEY("region", "eu-west-1"),
                                    KEY("zones", "a,b,c"),           KEY("wan-latency", "15ms"),
                                    KEY("wan-bandwidth", "1Gbit/s"), KEYS_END};

static const char *const site_kinds[] = {"private", "public", NULL};

static KsPlanSite *plan_site(Parser *p, const char *name)
{
    for (guint i = 0; i < p->plan->sites->len; i++) {
        KsPlanSite *s = p->plan->sites->pdata[i];
        if (strcmp(s->name, name) == 0)
            return s;
    }
    return NULL;
}

bool ks_scn_site(Parser *p, const LineSpec *spec, const KsToken *head, Args *a, GError **error)
{
    const Arg *an = a->pos->pdata[0];
    g_autofree char *name = NULL;
    if (!ks_scn_arg_name(p, an, "a site name", &name, error))
        return false;
    const KsPlanSite *old = plan_site(p, name);
    if (old)
        return ks_scn_fail(p, ks_scn_scalar(an), VALUE, error,
                           "site '%s' is already declared on line %d", name, old->loc.line);
    KsPlanSite *s = g_new0(KsPlanSite, 1);
    s->name = g_steal_pointer(&name);
    s->zones = g_ptr_array_new_with_free_func(g_free);
    s->wan_latency = 10 * KS_TIME_MS;
    s->loc = ks_scn_loc_of(head);
    g_ptr_array_add(p->plan->sites, s);
    const Arg *v;
    int kind = 0;
    if ((v = ks_scn_get(a, "kind")) && !ks_scn_arg_choice(p, v, site_kinds, &kind, error))
        return false;
    s->public_cloud = kind == 1;
    if ((v = ks_scn_get(a, "region")) && !ks_scn_arg_name(p, v, "a region name", &s->region, error))
        return false;
    if ((v = ks_scn_get(a, "zones")))
        for (guint i = 0; i < v->items->len; i++) {
            const KsToken *z = v->items->pdata[i];
            if (!ks_scn_tok_is_name(z)) {
                g_autofree char *shown = ks_scn_tok_show(z);
                return ks_scn_fail(p, z, VALUE, error, "'%s': expected a zone name, e.g. %s", shown,
                                   v->example);
            }
            g_ptr_array_add(s->zones, ks_scn_tok_text(z));
        }
    if ((v = ks_scn_get(a, "wan-latency")) &&
        !(ks_scn_want_scalar(p, v, "a duration", error) &&
          ks_scn_tok_duration(p, ks_scn_scalar(v), v, "a duration", v->example, &s->wan_latency,
                              error)))
        return false;
    if ((v = ks_scn_get(a, "wan-bandwidth")) &&
        !arg_quantity(p, v, rate_units, "a throughput", &s->wan_bytes_per_s, error))
        return false;
    return true;
}

bool ks_scn_node_site(Parser *p, const Arg *as, const char *zone, const KsToken *zone_tok,
                      char **out, GError **error)
{
    g_autofree char *name = NULL;
    if (!ks_scn_arg_name(p, as, "a site name", &name, error))
        return false;
    const KsPlanSite *s = plan_site(p, name);
    if (!s)
        return ks_scn_fail(p, ks_scn_scalar(as), REFERENCE, error,
                           "site '%s' is not declared; declare it above with `site %s`", name,
                           name);
    if (zone && s->zones->len > 0) {
        bool known = false;
        for (guint i = 0; i < s->zones->len; i++)
            known = known || strcmp(s->zones->pdata[i], zone) == 0;
        if (!known) {
            g_autofree char *list = ks_scn_join_strs(s->zones, 20);
            return ks_scn_fail(p, zone_tok ? zone_tok : ks_scn_scalar(as), VALUE, error,
                               "zone '%s' is not a zone of site '%s' (%s)", zone, s->name, list);
        }
    }
    *out = g_steal_pointer(&name);
    return true;
}

bool ks_scn_cluster_site(Parser *p, const Arg *as, const Arg *az, char **out, GError **error)
{
    if (!az)
        return ks_scn_node_site(p, as, NULL, NULL, out, error);
    for (guint i = 0; i < az->items->len; i++) {
        g_autofree char *z = ks_scn_tok_text(az->items->pdata[i]);
        g_clear_pointer(out, g_free);
        if (!ks_scn_node_site(p, as, z, az->items->pdata[i], out, error))
            return false;
    }
    return true;
}
