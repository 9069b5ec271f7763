/* SPDX-License-Identifier: MIT */
/*
 * output-summary.c - the summary JSON (DESIGN's contract): the final state
 * of brokers, topics and groups, the statistics and the expectations.
 *
 * Keys come in the contract's order and may be added to, never renamed.
 * Lists are sorted: brokers by id, topics by name, partitions by number,
 * groups by name, members by id, a group's offsets and a member's
 * assignment by (topic, partition). A partition without a leader has
 * "leader": -1, as in Kafka's partition state znode; its offsets are then
 * -1 too.
 *
 * A group has the contract's name, state, generation, protocol (the
 * assignor; "" before the first rebalance), duplicates, members with their
 * assignment and offsets, then lag and skipped. Its offsets are every
 * partition of the topics it reads or has committed offsets for, as
 * kafka-consumer-groups.sh --describe computes them: committed (-1: none),
 * lag (high watermark - committed; -1: unknown) and, added, the owner's
 * position (-1: no owner). "lag" is the sum of the known lags (what `expect
 * lag` compares), "skipped" the records committed but never processed.
 *
 * "cost", last, only when some node has a machine type: see cost().
 */
#include "kafkasim/output.h"

#include <string.h>

#include <json-glib/json-glib.h>

#include "actions-private.h"
#include "kafkasim/prices.h"
#include "kafkasim/query-groups.h"
#include "kafkasim/query.h"
#include "output-faults.h"
#include "output-json.h"

static void brokers(JsonBuilder *b, const KsSim *sim)
{
    json_builder_set_member_name(b, "brokers");
    json_builder_begin_array(b);
    for (size_t i = 0; i < ks_query_n_brokers(sim); i++) {
        KsBrokerInfo br;
        ks_query_broker(sim, i, &br);
        json_builder_begin_object(b);
        ks_json_int(b, "id", br.id);
        ks_json_str(b, "node", br.node);
        ks_json_str(b, "rack", br.rack);
        ks_json_bool(b, "alive", br.alive);
        json_builder_end_object(b);
    }
    json_builder_end_array(b);
}

void ks_json_topics(JsonBuilder *b, const KsSim *sim)
{
    g_autoptr(GArray) order = ks_query_topics_by_name(sim);
    json_builder_set_member_name(b, "topics");
    json_builder_begin_array(b);
    for (guint i = 0; i < order->len; i++) {
        KsTopicInfo t;
        ks_query_topic(sim, g_array_index(order, size_t, i), &t);
        json_builder_begin_object(b);
        ks_json_str(b, "name", t.name);
        json_builder_set_member_name(b, "partitions");
        json_builder_begin_array(b);
        for (int32_t p = 0; p < t.n_partitions; p++) {
            KsPartitionInfo part;
            ks_query_partition(sim, t.index, p, &part);
            g_autofree KsBrokerId *replicas = g_new(KsBrokerId, part.n_replicas);
            for (int32_t r = 0; r < part.n_replicas; r++) {
                KsReplicaInfo rep;
                ks_query_replica(sim, t.index, p, r, &rep);
                replicas[r] = rep.broker;
            }
            json_builder_begin_object(b);
            ks_json_int(b, "partition", p);
            ks_json_int(b, "leader", part.leader);
            ks_json_int(b, "leader_epoch", part.leader_epoch);
            ks_json_ids(b, "replicas", replicas, part.n_replicas);
            ks_json_ids(b, "isr", part.isr, part.n_isr);
            ks_json_int(b, "log_start_offset", part.log_start_offset);
            ks_json_int(b, "log_end_offset", part.log_end_offset);
            ks_json_int(b, "high_watermark", part.high_watermark);
            json_builder_end_object(b);
        }
        json_builder_end_array(b);
        json_builder_end_object(b);
    }
    json_builder_end_array(b);
}

static void group_members(JsonBuilder *b, const KsSim *sim, size_t group)
{
    g_autoptr(GArray) members = ks_query_group_members(sim, group);
    json_builder_set_member_name(b, "members");
    json_builder_begin_array(b);
    for (guint i = 0; i < members->len; i++) {
        const KsMemberInfo *m = &g_array_index(members, KsMemberInfo, i);
        g_autoptr(GArray) parts = ks_query_member_assignment(sim, group, m->id);
        json_builder_begin_object(b);
        ks_json_str(b, "id", m->id);
        json_builder_set_member_name(b, "assignment");
        json_builder_begin_array(b);
        for (guint k = 0; k < parts->len; k++) {
            const KsGroupOffsetInfo *o = &g_array_index(parts, KsGroupOffsetInfo, k);
            g_autofree char *name = g_strdup_printf("%s-%d", o->topic, o->partition);
            json_builder_add_string_value(b, name);
        }
        json_builder_end_array(b);
        json_builder_end_object(b);
    }
    json_builder_end_array(b);
}

/* "offsets", and returns the group's total lag. */
static int64_t group_offsets(JsonBuilder *b, const KsSim *sim, size_t group)
{
    g_autoptr(GArray) offsets = ks_query_group_offsets(sim, group);
    int64_t lag = 0;
    json_builder_set_member_name(b, "offsets");
    json_builder_begin_array(b);
    for (guint i = 0; i < offsets->len; i++) {
        const KsGroupOffsetInfo *o = &g_array_index(offsets, KsGroupOffsetInfo, i);
        g_autofree char *name = g_strdup_printf("%s-%d", o->topic, o->partition);
        json_builder_begin_object(b);
        ks_json_str(b, "partition", name);
        ks_json_int(b, "committed", o->committed);
        ks_json_int(b, "lag", o->lag);
        ks_json_int(b, "position", o->position);
        json_builder_end_object(b);
        lag += o->lag >= 0 ? o->lag : 0;
    }
    json_builder_end_array(b);
    return lag;
}

static void groups(JsonBuilder *b, const KsSim *sim)
{
    json_builder_set_member_name(b, "groups");
    json_builder_begin_array(b);
    for (size_t i = 0; i < ks_query_n_groups(sim); i++) {
        KsGroupInfo g;
        ks_query_group(sim, i, &g);
        json_builder_begin_object(b);
        ks_json_str(b, "name", g.name);
        ks_json_str(b, "state", g.state);
        ks_json_int(b, "generation", g.generation);
        ks_json_str(b, "protocol", g.protocol);
        ks_json_int(b, "duplicates", g.records_duplicated);
        group_members(b, sim, i);
        int64_t lag = group_offsets(b, sim, i);
        ks_json_int(b, "lag", lag);
        ks_json_int(b, "skipped", g.records_skipped);
        json_builder_end_object(b);
    }
    json_builder_end_array(b);
}

static void stats(JsonBuilder *b, const KsSim *sim)
{
    KsSimStats stats;
    ks_sim_get_stats(sim, &stats);
    const KsSimStats *s = &stats;
    json_builder_set_member_name(b, "stats");
    json_builder_begin_object(b);
    ks_json_int(b, "events", (int64_t)s->events);
    ks_json_int(b, "records_produced", s->records_produced);
    ks_json_int(b, "records_acked", s->records_acked);
    ks_json_int(b, "records_refused", s->records_refused);
    ks_json_int(b, "records_lost", s->records_lost);
    ks_json_int(b, "records_consumed", ks_check_stat(sim, KS_STAT_RECORDS_CONSUMED));
    ks_json_int(b, "records_duplicated", ks_check_stat(sim, KS_STAT_RECORDS_DUPLICATED));
    ks_json_int(b, "leader_elections", s->leader_elections);
    ks_json_int(b, "rebalances", ks_check_stat(sim, KS_STAT_REBALANCES));
    ks_json_int(b, "unavailable_us", s->unavailable_us);
    ks_json_int(b, "produce_requests", s->produce_requests);
    ks_json_int(b, "fetch_requests", s->fetch_requests);
    ks_json_int(b, "records_pending", s->records_pending);
    ks_json_int(b, "records_lost_unclean", s->records_lost_unclean);
    ks_json_int(b, "records_lost_power_loss", s->records_lost_power_loss);
    ks_json_int(b, "records_lost_zombie", s->records_lost_zombie);
    ks_json_int(b, "records_lost_acks1_failover", s->records_lost_acks1_failover);
    json_builder_end_object(b);
}

static void expectations(JsonBuilder *b, const KsSim *sim)
{
    const GPtrArray *results = ks_sim_expect_results(sim);
    json_builder_set_member_name(b, "expectations");
    json_builder_begin_array(b);
    for (guint i = 0; i < results->len; i++) {
        const KsExpectResult *r = g_ptr_array_index(results, i);
        json_builder_begin_object(b);
        ks_json_int(b, "line", r->line);
        ks_json_str(b, "text", r->text);
        ks_json_bool(b, "held", r->held);
        ks_json_int(b, "t_us", r->t);
        ks_json_str(b, "actual", r->actual);
        json_builder_end_object(b);
    }
    json_builder_end_array(b);
}

/* Present when some node has a type (capacity.c): machines by type,
 * storage, data transfer by kind, all in millionths of a US dollar. */
static void cost(JsonBuilder *b, const KsSim *sim)
{
    if (!ks_query_has_cost(sim))
        return;
    KsCostInfo c;
    ks_query_cost(sim, &c);
    json_builder_set_member_name(b, "cost");
    json_builder_begin_object(b);
    ks_json_str(b, "currency", "USD");
    ks_json_str(b, "prices", "docs/prices.md " KS_PRICES_DATE);
    ks_json_int(b, "total_micro_usd", c.total_micro_usd);
    json_builder_set_member_name(b, "machines");
    json_builder_begin_array(b);
    for (size_t i = 0; i < ks_query_n_cost_types(sim); i++) {
        KsCostTypeInfo t;
        ks_query_cost_type(sim, i, &t);
        json_builder_begin_object(b);
        ks_json_str(b, "type", t.type);
        ks_json_int(b, "nodes", t.nodes);
        ks_json_int(b, "machine_us", t.machine_us);
        ks_json_int(b, "price_micro_usd_per_h", t.price_micro_usd_per_h);
        ks_json_int(b, "micro_usd", t.machines_micro_usd);
        ks_json_int(b, "storage_bytes", t.storage_bytes);
        ks_json_int(b, "storage_micro_usd_per_gb_month", t.storage_micro_usd_per_gb_month);
        ks_json_int(b, "storage_micro_usd", t.storage_micro_usd);
        json_builder_end_object(b);
    }
    json_builder_end_array(b);
    ks_json_int(b, "machines_micro_usd", c.machines_micro_usd);
    ks_json_int(b, "storage_micro_usd", c.storage_micro_usd);
    json_builder_set_member_name(b, "transfer");
    json_builder_begin_object(b);
    for (int k = 0; k < KS_TRANSFER_N_KINDS; k++) {
        json_builder_set_member_name(b, ks_transfer_kind_name(k));
        json_builder_begin_object(b);
        ks_json_int(b, "bytes", c.transfer_bytes[k]);
        ks_json_int(b, "micro_usd", c.transfer_micro_usd[k]);
        json_builder_end_object(b);
    }
    json_builder_end_object(b);
    json_builder_end_object(b);
}

char *ks_summary_json(const KsSim *sim)
{
    g_autoptr(JsonBuilder) b = json_builder_new();
    json_builder_begin_object(b);
    ks_json_int(b, "time_us", ks_sim_now(sim));
    ks_json_int(b, "seed", (int64_t)ks_query_seed(sim));
    ks_json_broker(b, "controller", ks_query_controller(sim));
    ks_json_int(b, "controller_epoch", ks_query_controller_epoch(sim));
    brokers(b, sim);
    ks_json_topics(b, sim);
    groups(b, sim);
    ks_json_faults(b, sim);
    stats(b, sim);
    expectations(b, sim);
    cost(b, sim);
    json_builder_end_object(b);

    g_autoptr(JsonNode) root = json_builder_get_root(b);
    g_autoptr(JsonGenerator) gen = json_generator_new();
    json_generator_set_pretty(gen, TRUE);
    json_generator_set_indent(gen, 2);
    json_generator_set_root(gen, root);
    char *text = json_generator_to_data(gen, NULL);
    char *with_newline = g_strconcat(text, "\n", NULL);
    g_free(text);
    return with_newline;
}
