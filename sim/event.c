/* SPDX-License-Identifier: MIT */
/*
 * event.c - names of the event types, as the trace writes them.
 */
#include "kafkasim/event.h"

#include <glib.h>

static const char *const names[KS_EV_COUNT] = {
    [KS_EV_SAY] = "say",
    [KS_EV_SNAPSHOT] = "snapshot",
    [KS_EV_EXPECT] = "expect",
    [KS_EV_NOTE] = "note",
    [KS_EV_BROKER_STARTED] = "broker_started",
    [KS_EV_BROKER_CRASHED] = "broker_crashed",
    [KS_EV_BROKER_RESTARTED] = "broker_restarted",
    [KS_EV_BROKER_STOPPING] = "broker_stopping",
    [KS_EV_BROKER_STOPPED] = "broker_stopped",
    [KS_EV_BROKER_START_FAILED] = "broker_start_failed",
    [KS_EV_NODE_CRASHED] = "node_crashed",
    [KS_EV_NODE_RESTARTED] = "node_restarted",
    [KS_EV_SESSION_EXPIRED] = "session_expired",
    [KS_EV_SESSION_CLOSED] = "session_closed",
    [KS_EV_BROKER_REGISTERED] = "broker_registered",
    [KS_EV_CONTROLLER_ELECTED] = "controller_elected",
    [KS_EV_TOPIC_CREATED] = "topic_created",
    [KS_EV_LEADER_ELECTED] = "leader_elected",
    [KS_EV_ISR_SHRUNK] = "isr_shrunk",
    [KS_EV_ISR_EXPANDED] = "isr_expanded",
    [KS_EV_PREFERRED_ELECTION] = "preferred_election",
    [KS_EV_TRUNCATED] = "truncated",
    [KS_EV_PRODUCER_STARTED] = "producer_started",
    [KS_EV_PRODUCER_STOPPED] = "producer_stopped",
    [KS_EV_PRODUCE] = "produce",
    [KS_EV_PRODUCE_FAILING] = "produce_failing",
    [KS_EV_PRODUCE_RECOVERED] = "produce_recovered",
    [KS_EV_RECORDS_EXPIRED] = "records_expired",
};

static const char *const reasons[] = {
    [KS_REASON_NONE] = "none",           [KS_REASON_INITIAL] = "initial",
    [KS_REASON_OFFLINE] = "offline",     [KS_REASON_UNCLEAN] = "unclean",
    [KS_REASON_PREFERRED] = "preferred", [KS_REASON_LEADER_FAILED] = "leader_failed",
    [KS_REASON_LAGGING] = "lagging",     [KS_REASON_BROKER_FAILED] = "broker_failed",
    [KS_REASON_CAUGHT_UP] = "caught_up", [KS_REASON_CONTROLLED_SHUTDOWN] = "controlled_shutdown",
};

const char *ks_reason_name(KsReason reason)
{
    g_return_val_if_fail(reason < G_N_ELEMENTS(reasons), "unknown");
    return reasons[reason];
}

KsEvent ks_event_init(KsEventType type, KsTime t)
{
    return (KsEvent){.t = t,
                     .type = type,
                     .broker = -1,
                     .broker2 = -1,
                     .partition = -1,
                     .epoch = -1,
                     .n = -1,
                     .n2 = -1,
                     .line = -1};
}

const char *ks_event_type_name(KsEventType type)
{
    g_return_val_if_fail(type < KS_EV_COUNT, "unknown");
    return names[type];
}
