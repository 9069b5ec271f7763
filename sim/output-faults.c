/* SPDX-License-Identifier: MIT */
/*
 * output-faults.c - what the views say about Flume agents and the
 * ZooKeeper ensemble: the timeline's sentences for their events and the
 * summary JSON's "flumes" and "zookeeper" members.
 *
 * The summary has "flumes" only when the scenario declares an agent and
 * "zookeeper" only when it has a `zookeeper` line, so the summaries of
 * other scenarios are unchanged. Agents are in declaration order (the
 * order of the scenario, as `flume` lines give them).
 */
#include "output-faults.h"

#include <inttypes.h>

#include "kafkasim/query-faults.h"
#include "kafkasim/query.h"

static const char *events_word(int64_t n)
{
    return n == 1 ? "event" : "events";
}

char *ks_timeline_fault_text(const KsEvent *ev, const char **category)
{
    *category = "flume";
    switch (ev->type) {
    case KS_EV_FLUME_STARTED:
        return g_strdup_printf("agent %s started (%s channel)", ev->flume_event.agent,
                               ev->flume_event.channel);
    case KS_EV_FLUME_CRASHED:
        if (ev->flume_event.lost > 0)
            return g_strdup_printf("agent %s crashed: its memory channel lost %" PRId64 " %s",
                                   ev->flume_event.agent, ev->flume_event.lost,
                                   events_word(ev->flume_event.lost));
        return g_strdup_printf("agent %s crashed; its %s channel keeps %" PRId64 " %s",
                               ev->flume_event.agent, ev->flume_event.channel,
                               ev->flume_event.events, events_word(ev->flume_event.events));
    case KS_EV_FLUME_RESTARTED:
        return g_strdup_printf("agent %s restarted with %" PRId64 " %s in its %s channel",
                               ev->flume_event.agent, ev->flume_event.events,
                               events_word(ev->flume_event.events), ev->flume_event.channel);
    case KS_EV_CHANNEL_FILL: {
        int64_t pct = ev->channel_fill.events * 100 / ev->channel_fill.capacity;
        if (ev->channel_fill.dropped > 0)
            return g_strdup_printf("agent %s channel %" PRId64 "/%" PRId64 " (%" PRId64
                                   "%%); %" PRId64 " %s dropped since its last line",
                                   ev->channel_fill.agent, ev->channel_fill.events,
                                   ev->channel_fill.capacity, pct, ev->channel_fill.dropped,
                                   events_word(ev->channel_fill.dropped));
        return g_strdup_printf("agent %s channel %" PRId64 "/%" PRId64 " (%" PRId64 "%%)",
                               ev->channel_fill.agent, ev->channel_fill.events,
                               ev->channel_fill.capacity, pct);
    }
    case KS_EV_CHANNEL_FULL:
        return g_strdup_printf("agent %s: ChannelFullException, the channel holds %" PRId64
                               "/%" PRId64 "; the source drops its events until there is room",
                               ev->channel_fill.agent, ev->channel_fill.events,
                               ev->channel_fill.capacity);
    case KS_EV_SINK_ROLLED_BACK:
        return g_strdup_printf("agent %s sink: %s; %" PRId64 " %s back to the channel, retry in 5s",
                               ev->flume_sink.agent, ev->flume_sink.error, ev->flume_sink.events,
                               events_word(ev->flume_sink.events));
    case KS_EV_HDFS_FILE_ROLLED:
        return g_strdup_printf("agent %s HDFS sink rolled its file: %" PRId64 " %s",
                               ev->flume_sink.agent, ev->flume_sink.events,
                               events_word(ev->flume_sink.events));
    default:
        break;
    }
    *category = "zookeeper";
    switch (ev->type) {
    case KS_EV_ZK_SERVER_CRASHED:
        return g_strdup_printf("ZooKeeper server %" PRId64 " crashed", ev->zk_server.server);
    case KS_EV_ZK_SERVER_RESTARTED:
        return g_strdup_printf("ZooKeeper server %" PRId64 " restarted", ev->zk_server.server);
    case KS_EV_ZK_LEADER_ELECTED:
        return g_strdup_printf("server %" PRId64 " leads the ensemble (%" PRId64 " of %" PRId64
                               " up): writes resume, every session's timeout starts again",
                               ev->zk_quorum.leader, ev->zk_quorum.up, ev->zk_quorum.servers);
    case KS_EV_ZK_QUORUM_LOST:
        return g_strdup_printf("quorum lost (%" PRId64 " of %" PRId64
                               " up): no writes, no session expiry; metadata is frozen",
                               ev->zk_quorum.up, ev->zk_quorum.servers);
    default:
        g_return_val_if_reached(g_strdup(""));
    }
}

const char *ks_timeline_no_controller_text(const KsSim *sim)
{
    KsZookeeperInfo z;
    ks_query_zookeeper(sim, &z);
    return z.quorum ? "no active controller"
                    : "the controller cannot write to ZooKeeper, which has no quorum";
}

static void flumes(JsonBuilder *b, const KsSim *sim)
{
    json_builder_set_member_name(b, "flumes");
    json_builder_begin_array(b);
    for (size_t i = 0; i < ks_query_n_flumes(sim); i++) {
        KsFlumeInfo f;
        ks_query_flume(sim, i, &f);
        json_builder_begin_object(b);
        ks_json_str(b, "name", f.name);
        ks_json_str(b, "channel", f.channel);
        ks_json_str(b, "sink", f.sink);
        ks_json_str(b, "topic", f.topic);
        ks_json_bool(b, "alive", f.alive);
        ks_json_int(b, "capacity", f.capacity);
        ks_json_int(b, "transaction_capacity", f.transaction_capacity);
        ks_json_int(b, "fill", f.fill);
        ks_json_int(b, "max_fill", f.max_fill);
        ks_json_int(b, "events_received", f.received);
        ks_json_int(b, "events_dropped", f.dropped);
        ks_json_int(b, "events_lost", f.lost);
        ks_json_int(b, "events_delivered", f.delivered);
        ks_json_int(b, "events_rolled_back", f.rolled_back);
        ks_json_int(b, "files_rolled", f.files_rolled);
        json_builder_end_object(b);
    }
    json_builder_end_array(b);
}

void ks_json_faults(JsonBuilder *b, const KsSim *sim)
{
    if (ks_query_n_flumes(sim) > 0)
        flumes(b, sim);
    if (!ks_query_plan(sim)->zookeeper)
        return;
    KsZookeeperInfo z;
    ks_query_zookeeper(sim, &z);
    json_builder_set_member_name(b, "zookeeper");
    json_builder_begin_object(b);
    ks_json_int(b, "servers", z.servers);
    json_builder_set_member_name(b, "up");
    json_builder_begin_array(b);
    for (int32_t id = 1; id <= z.servers; id++)
        if (ks_query_zookeeper_server_up(sim, id))
            json_builder_add_int_value(b, id);
    json_builder_end_array(b);
    ks_json_int(b, "leader", z.leader);
    ks_json_int(b, "epoch", z.epoch);
    ks_json_bool(b, "quorum", z.quorum);
    json_builder_end_object(b);
}
