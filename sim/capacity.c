/* SPDX-License-Identifier: MIT */
/*
 * capacity.c - machines with limits, and what a run costs.
 *
 * A node may have a type (`node-type`, or one of the price table's,
 * prices.h): vCPUs, memory, network bandwidth, disk throughput and size,
 * an hourly price. A node without a type has no limits and costs nothing,
 * which is what every scenario without `type=` gets: its messages take
 * their latency and no more, so its timeline is as before.
 *
 * What a typed node's limits do. Every message carries a size in bytes
 * (its records: record-size times their count; control messages count as
 * none). A node has three queues, each a FIFO served at the type's rate:
 * its network out, its network in (a NIC is full duplex), and its disk
 * writes. A message of B bytes sent at t from node A to node C:
 *   out = max(t, A.out_free) + B / A.network;   A.out_free = out
 *   in  = max(out, C.in_free + B / C.network);  C.in_free  = in
 *   and, for a produce request or a fetch response (the receiver appends
 *   them to its log), disk = max(in, C.disk_free) + B / C.disk.
 * The message arrives that much later than its latency says. So when a
 * broker's traffic (produce in, replication out and in, consumer fetches
 * out) needs more than its node can move, the queue grows, requests wait,
 * latency rises, a follower's fetches come back late and it leaves the ISR
 * after replica.lag.time.max.ms, consumers fall behind: throughput
 * saturates at what the node moves. This is a fluid approximation: no TCP
 * windows, no page cache (reads cost no disk), no CPU.
 *
 * Cost (ks_query_cost): every typed node is billed for the whole run at
 * its type's hourly price (a resized node at each type for the time it had
 * it), with its volume (disk-size) at the type's price per GB-month (a
 * month is 730 hours, as the providers count); data transfer is billed by
 * kind at the table's prices: free within a zone (or where a zone is not
 * given, or to a client on a machine of its own), across zones where both
 * ends have different zones, across sites between nodes of two sites, to
 * the internet from a node of a public site to a client on a machine of its
 * own. Everything is integer arithmetic in millionths of a dollar, rounded
 * down at each line, so the cost is a pure function of the scenario and the
 * table.
 *
 * Sites: a message between two sites also takes the larger of their WAN
 * latencies and queues on the sender site's uplink out and the receiver
 * site's uplink in (wan-bandwidth), so replication over a thin WAN link
 * backs up like a small NIC.
 *
 * Cost of the transfer call: a few multiplications per message, only when
 * some node has a type or a site is declared.
 */
#include "capacity.h"

#include <string.h>

#include "kafkasim/prices.h"
#include "model.h"

#define US_PER_H        ((int64_t)3600 * 1000 * 1000)
#define HOURS_PER_MONTH 730
#define BYTES_PER_GB    ((int64_t)1000 * 1000 * 1000)

#define RING     16
#define RECENT_S 10
enum { Q_OUT, Q_IN, Q_DISK };

struct KsCapacityNode {
    const KsPlanNodeType *type;          /* NULL: unlimited, not billed */
    int site;                            /* index in the plan's sites; -1: none */
    KsTime since;                        /* it has had this type since */
    KsTime out_free, in_free, disk_free; /* when each queue is next idle */
    KsTime out_busy, in_busy, disk_busy; /* time spent transferring */
    int64_t bytes_out, bytes_in, bytes_written;
    /* The same busy time by the second it started in, for the utilisation
     * of the last RECENT_S seconds: a ring of RING seconds, each slot
     * stamped with its second (seconds booked ahead, while a queue is
     * backed up, are kept up to RING - RECENT_S seconds ahead). */
    int64_t ring_second[RING];
    KsTime ring_busy[RING][3];
};

struct KsCapacity {
    GPtrArray *nodes;     /* of KsCapacityNode*, owned, one per typed node */
    GArray *record_bytes; /* of int64_t, by topic index (declared topics) */
    int64_t transfer_bytes[KS_TRANSFER_N_KINDS];
    GArray *billed;  /* of Billed: machine time of types nodes had before a resize */
    GArray *uplinks; /* of Uplink, by site index */
};

/* A site's WAN uplink: a queue each way. */
typedef struct {
    KsTime out_free, in_free;
} Uplink;

typedef struct {
    const KsPlanNodeType *type;
    KsTime us;
} Billed;

static const KsPlanNodeType *find_type(const KsPlan *plan, const char *name)
{
    for (guint i = 0; i < plan->node_types->len; i++) {
        const KsPlanNodeType *t = plan->node_types->pdata[i];
        if (strcmp(t->name, name) == 0)
            return t;
    }
    return NULL;
}

static KsCapacityNode *node_add(KsCapacity *cap, KsNode *n, const KsPlanNodeType *type)
{
    KsCapacityNode *cn = g_new0(KsCapacityNode, 1);
    cn->type = type;
    g_ptr_array_add(cap->nodes, cn);
    n->cap = cn;
    return cn;
}

static int find_site(const KsPlan *plan, const char *name)
{
    for (guint i = 0; name && i < plan->sites->len; i++)
        if (strcmp(((const KsPlanSite *)plan->sites->pdata[i])->name, name) == 0)
            return (int)i;
    return -1;
}

void ks_capacity_add_node(KsSim *sim, KsCapacity *cap, KsNode *node, const KsPlanNode *pn)
{
    if (!cap)
        return;
    KsCapacityNode *cn = node_add(cap, node, pn->type ? find_type(sim->plan, pn->type) : NULL);
    cn->site = find_site(sim->plan, pn->site);
    cn->since = ks_engine_now(sim->engine);
}

/* Made when some node has a type or the timeline resizes one to a type
 * (the plan's node_types then holds it), or sites are declared; then every
 * node has its KsCapacityNode, typed or not. */
bool ks_capacity_build(KsSim *sim, GError **error)
{
    const KsPlan *plan = sim->plan;
    if (plan->node_types->len == 0 && plan->sites->len == 0)
        return true;
    KsCapacity *cap = g_new0(KsCapacity, 1);
    cap->nodes = g_ptr_array_new_with_free_func(g_free);
    cap->billed = g_array_new(FALSE, FALSE, sizeof(Billed));
    cap->uplinks = g_array_new(FALSE, TRUE, sizeof(Uplink));
    g_array_set_size(cap->uplinks, plan->sites->len);
    for (guint i = 0; i < sim->nodes->len; i++)
        ks_capacity_add_node(sim, cap, g_ptr_array_index(sim->nodes, i), plan->nodes->pdata[i]);
    cap->record_bytes = g_array_new(FALSE, TRUE, sizeof(int64_t));
    g_array_set_size(cap->record_bytes, plan->topics->len);
    for (guint i = 0; i < plan->producers->len; i++) {
        const KsPlanProducer *pp = plan->producers->pdata[i];
        KsTopic *t = ks_sim_find_topic(sim, pp->topic);
        int64_t *rb = &g_array_index(cap->record_bytes, int64_t, t->index);
        *rb = MAX(*rb, pp->record_size);
    }
    sim->capacity = cap;
    return true;
}

const char *ks_capacity_set_node_type(KsSim *sim, KsNode *node, const char *type)
{
    const KsPlanNodeType *t = find_type(sim->plan, type);
    g_return_val_if_fail(sim->capacity && t, NULL);
    KsCapacityNode *cn = node->cap;
    const char *old = cn && cn->type ? cn->type->name : NULL;
    KsTime now = ks_engine_now(sim->engine);
    if (cn && cn->type) {
        Billed b = {cn->type, now - cn->since};
        g_array_append_val(sim->capacity->billed, b);
    } else if (!cn) {
        cn = node_add(sim->capacity, node, t);
        cn->site = -1;
    }
    /* A new machine: its queues start idle; what it moved before still
     * counts in its load. */
    cn->type = t;
    cn->since = now;
    cn->out_free = MIN(cn->out_free, now);
    cn->in_free = MIN(cn->in_free, now);
    cn->disk_free = MIN(cn->disk_free, now);
    return old;
}

void ks_capacity_free(KsCapacity *cap)
{
    if (!cap)
        return;
    g_ptr_array_free(cap->nodes, TRUE);
    g_array_free(cap->billed, TRUE);
    g_array_free(cap->uplinks, TRUE);
    g_array_free(cap->record_bytes, TRUE);
    g_free(cap);
}

int64_t ks_capacity_record_bytes(const KsSim *sim, const KsTopic *topic)
{
    const KsCapacity *cap = sim->capacity;
    if (cap && (guint)topic->index < cap->record_bytes->len) {
        int64_t rb = g_array_index(cap->record_bytes, int64_t, topic->index);
        if (rb > 0)
            return rb;
    }
    return KS_DEFAULT_RECORD_SIZE;
}

/* The time @bytes take at @rate bytes per second, rounded up (0: no limit). */
static KsTime duration(int64_t bytes, int64_t rate)
{
    if (rate <= 0)
        return 0;
    return (KsTime)(((__int128)bytes * 1000000 + rate - 1) / rate);
}

static const KsPlanSite *site_of(const KsSim *sim, const KsNode *n)
{
    return n && n->cap && n->cap->site >= 0 ? sim->plan->sites->pdata[n->cap->site] : NULL;
}

static KsTransferKind transfer_kind(const KsSim *sim, const KsNode *from, const KsNode *to)
{
    const KsPlanSite *sa = site_of(sim, from), *sb = site_of(sim, to);
    if (sa && sb && sa != sb)
        return KS_TRANSFER_ACROSS_SITES;
    if (!to && sa && sa->public_cloud)
        return KS_TRANSFER_INTERNET;
    if (from && to && from->zone && to->zone && strcmp(from->zone, to->zone) != 0)
        return KS_TRANSFER_ACROSS_ZONES;
    return KS_TRANSFER_WITHIN_ZONE;
}

static int64_t network_rate(const KsCapacityNode *c)
{
    return c && c->type ? c->type->network_bytes_per_s : 0;
}

/* Between two sites: the larger WAN latency, and the sender's uplink out,
 * then the receiver's uplink in, each a queue at the site's wan-bandwidth.
 * Returns when the bytes are through, from @t. */
static KsTime wan(KsSim *sim, const KsNode *from, const KsNode *to, int64_t bytes, KsTime t,
                  KsTime *latency)
{
    KsCapacity *cap = sim->capacity;
    const KsPlanSite *sa = site_of(sim, from), *sb = site_of(sim, to);
    *latency = MAX(sa->wan_latency, sb->wan_latency);
    Uplink *ua = &g_array_index(cap->uplinks, Uplink, from->cap->site);
    Uplink *ub = &g_array_index(cap->uplinks, Uplink, to->cap->site);
    t = MAX(t, ua->out_free) + duration(bytes, sa->wan_bytes_per_s);
    ua->out_free = t;
    t = MAX(t, ub->in_free + duration(bytes, sb->wan_bytes_per_s));
    ub->in_free = t;
    return t;
}

/* Books @d of busy time on queue @q of @c, starting at @start. */
static void book_recent(KsCapacityNode *c, int q, KsTime start, KsTime d, KsTime now)
{
    int64_t s = MIN(start, now + (RING - RECENT_S - 1) * KS_TIME_S) / KS_TIME_S;
    int slot = (int)(s % RING);
    if (c->ring_second[slot] != s + 1) { /* stamps are second + 1: 0 is empty */
        c->ring_second[slot] = s + 1;
        for (int k = 0; k < 3; k++)
            c->ring_busy[slot][k] = 0;
    }
    c->ring_busy[slot][q] += d;
}

/* The share of the last RECENT_S seconds (or of the run, if shorter) queue
 * @q of @c was busy, in thousandths. */
static int32_t recent_permille(const KsCapacityNode *c, int q, KsTime now)
{
    int64_t s_now = now / KS_TIME_S, first = MAX(0, s_now - (RECENT_S - 1));
    KsTime span = now - first * KS_TIME_S, busy = 0;
    for (int slot = 0; slot < RING; slot++) {
        int64_t s = c->ring_second[slot] - 1;
        if (s >= first && s <= s_now)
            busy += c->ring_busy[slot][q];
    }
    return span > 0 ? (int32_t)MIN(1000, busy * 1000 / span) : 0;
}

KsTime ks_capacity_transfer(KsSim *sim, const KsNode *from, const KsNode *to, KsNetKind kind,
                            int64_t bytes)
{
    KsCapacity *cap = sim->capacity;
    if (!cap || from == to)
        return 0;
    KsTransferKind tk = transfer_kind(sim, from, to);
    KsTime now = ks_engine_now(sim->engine), t = now, latency = 0;
    if (tk == KS_TRANSFER_ACROSS_SITES)
        t = wan(sim, from, to, bytes, t, &latency);
    if (bytes <= 0)
        return t - now + latency;
    cap->transfer_bytes[tk] += bytes;
    KsCapacityNode *a = from ? from->cap : NULL;
    if (a) {
        KsTime d = duration(bytes, network_rate(a));
        book_recent(a, Q_OUT, MAX(t, a->out_free), d, now);
        t = MAX(t, a->out_free) + d;
        a->out_free = t;
        a->out_busy += d;
        a->bytes_out += bytes;
    }
    KsCapacityNode *c = to ? to->cap : NULL;
    if (c) {
        KsTime d = duration(bytes, network_rate(c));
        t = MAX(t, c->in_free + d);
        book_recent(c, Q_IN, t - d, d, now);
        c->in_free = t;
        c->in_busy += d;
        c->bytes_in += bytes;
        if (c->type && (kind == KS_NET_PRODUCE_REQUEST || kind == KS_NET_FETCH_RESPONSE)) {
            KsTime w = duration(bytes, c->type->disk_bytes_per_s);
            book_recent(c, Q_DISK, MAX(t, c->disk_free), w, now);
            t = MAX(t, c->disk_free) + w;
            c->disk_free = t;
            c->disk_busy += w;
            c->bytes_written += bytes;
        }
    }
    return t - now + latency;
}

/* ---- queries (kafkasim/query.h) ---- */

static int32_t permille(KsTime busy, KsTime now)
{
    return now > 0 ? (int32_t)MIN(1000, busy * 1000 / now) : 0;
}

void ks_query_node_load(const KsSim *sim, size_t index, KsNodeLoadInfo *out)
{
    g_return_if_fail(sim != NULL && out != NULL);
    g_return_if_fail(index < sim->nodes->len);
    const KsNode *n = g_ptr_array_index(sim->nodes, index);
    *out = (KsNodeLoadInfo){0};
    const KsCapacityNode *c = n->cap;
    if (!c || !c->type)
        return;
    KsTime now = ks_engine_now(sim->engine);
    out->type = c->type->name;
    out->bytes_out = c->bytes_out;
    out->bytes_in = c->bytes_in;
    out->bytes_written = c->bytes_written;
    out->network_out_permille = permille(c->out_busy, now);
    out->network_in_permille = permille(c->in_busy, now);
    out->disk_permille = permille(c->disk_busy, now);
    out->recent_network_out_permille = recent_permille(c, Q_OUT, now);
    out->recent_network_in_permille = recent_permille(c, Q_IN, now);
    out->recent_disk_permille = recent_permille(c, Q_DISK, now);
    out->network_out_busy = c->out_busy;
    out->network_in_busy = c->in_busy;
    out->disk_busy = c->disk_busy;
    out->network_bytes_per_s = c->type->network_bytes_per_s;
    out->backlog = MAX(0, MAX(c->out_free, MAX(c->in_free, c->disk_free)) - now);
}

bool ks_query_has_cost(const KsSim *sim)
{
    return sim->capacity != NULL;
}

size_t ks_query_n_cost_types(const KsSim *sim)
{
    return sim->capacity ? sim->plan->node_types->len : 0;
}

static int64_t mul_div(int64_t a, int64_t b, int64_t c)
{
    return (int64_t)((__int128)a * b / c);
}

void ks_query_cost_type(const KsSim *sim, size_t index, KsCostTypeInfo *out)
{
    g_return_if_fail(sim != NULL && out != NULL);
    g_return_if_fail(index < ks_query_n_cost_types(sim));
    const KsPlanNodeType *t = sim->plan->node_types->pdata[index];
    KsTime now = ks_engine_now(sim->engine);
    *out = (KsCostTypeInfo){.type = t->name,
                            .price_micro_usd_per_h = t->price_micro_usd_per_h,
                            .storage_micro_usd_per_gb_month = t->storage_micro_usd_per_gb_month};
    for (guint i = 0; i < sim->capacity->nodes->len; i++) {
        const KsCapacityNode *c = sim->capacity->nodes->pdata[i];
        if (c->type != t)
            continue;
        out->nodes++;
        out->machine_us += now - c->since;
        out->storage_bytes += t->disk_bytes;
    }
    for (guint i = 0; i < sim->capacity->billed->len; i++) {
        const Billed *b = &g_array_index(sim->capacity->billed, Billed, i);
        if (b->type == t)
            out->machine_us += b->us;
    }
    out->machines_micro_usd = mul_div(out->machine_us, t->price_micro_usd_per_h, US_PER_H);
    /* Each machine's volume, GB * price per GB-month * its months. */
    out->storage_micro_usd =
        (int64_t)((__int128)t->disk_bytes * t->storage_micro_usd_per_gb_month * out->machine_us /
                  ((__int128)BYTES_PER_GB * HOURS_PER_MONTH * US_PER_H));
}

void ks_query_cost(const KsSim *sim, KsCostInfo *out)
{
    g_return_if_fail(sim != NULL && out != NULL);
    *out = (KsCostInfo){0};
    if (!sim->capacity)
        return;
    for (size_t i = 0; i < ks_query_n_cost_types(sim); i++) {
        KsCostTypeInfo ti;
        ks_query_cost_type(sim, i, &ti);
        out->machines_micro_usd += ti.machines_micro_usd;
        out->storage_micro_usd += ti.storage_micro_usd;
    }
    const KsTransferPrices *tp = ks_prices_transfer();
    const int64_t price[KS_TRANSFER_N_KINDS] = {tp->within_zone, tp->across_zones, tp->across_sites,
                                                tp->internet};
    out->total_micro_usd = out->machines_micro_usd + out->storage_micro_usd;
    for (int k = 0; k < KS_TRANSFER_N_KINDS; k++) {
        out->transfer_bytes[k] = sim->capacity->transfer_bytes[k];
        out->transfer_micro_usd[k] = mul_div(out->transfer_bytes[k], price[k], BYTES_PER_GB);
        out->total_micro_usd += out->transfer_micro_usd[k];
    }
}

const char *ks_transfer_kind_name(KsTransferKind kind)
{
    switch (kind) {
    case KS_TRANSFER_WITHIN_ZONE:
        return "within_zone";
    case KS_TRANSFER_ACROSS_ZONES:
        return "across_zones";
    case KS_TRANSFER_ACROSS_SITES:
        return "across_sites";
    case KS_TRANSFER_INTERNET:
        return "internet";
    case KS_TRANSFER_N_KINDS:
        break;
    }
    return "?";
}
