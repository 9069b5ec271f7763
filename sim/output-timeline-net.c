/* SPDX-License-Identifier: MIT */
/*
 * output-timeline-net.c - the timeline's lines for the network and pauses:
 * cuts and heals, paused and resumed brokers, a broker losing and
 * regaining the ZooKeeper quorum, a zombie leader, request timeouts.
 *
 * Request timeouts come at a readable rate: net.c's users emit at most one
 * per sender and receiver per timeout period, not one per message.
 */
#include <inttypes.h>

#include "output-timeline-private.h"
#include "kafkasim/output.h"

static void put_split(KsTimeline *tl, const KsEvent *ev)
{
    const struct KsEvent_network_split *s = &ev->network_split;
    if (ev->type == KS_EV_NETWORK_HEALED) {
        ks_timeline_put(tl, ev->t, "network", C_GREEN,
                        "network healed: every link passes again (established connections that "
                        "timed out reconnect)");
        return;
    }
    const char *arrow = s->one_way ? "->" : "|";
    if (s->loss_ppm >= 1000000)
        ks_timeline_put(tl, ev->t, "network", C_RED,
                        "network partitioned: %s %s %s (%s); established connections do not "
                        "notice until a request times out",
                        s->side_a, arrow, s->side_b,
                        s->one_way ? "messages from the left side are lost" : "no message crosses");
    else
        ks_timeline_put(tl, ev->t, "network", C_YELLOW,
                        "network lossy: %s %s %s drops %" PRId64 ".%04" PRId64 "%% of messages",
                        s->side_a, arrow, s->side_b, s->loss_ppm / 10000, s->loss_ppm % 10000);
}

static char *leads_text(const char *leads)
{
    return leads ? g_strdup_printf("it still believes it leads %s", leads)
                 : g_strdup("it leads nothing");
}

bool ks_timeline_net_event(KsTimeline *tl, const KsEvent *ev)
{
    switch (ev->type) {
    case KS_EV_NETWORK_PARTITIONED:
    case KS_EV_NETWORK_HEALED:
        put_split(tl, ev);
        return true;
    case KS_EV_BROKER_PAUSED: {
        g_autofree char *d = ks_format_time(ev->broker_pause.duration_us);
        ks_timeline_put(tl, ev->t, "broker", C_YELLOW,
                        "broker %" PRId32 " paused for %s (a long GC pause or a frozen VM): alive, "
                        "silent, no pings to ZooKeeper",
                        ev->broker_pause.broker, d);
        return true;
    }
    case KS_EV_BROKER_RESUMED:
        ks_timeline_put(tl, ev->t, "broker", C_GREEN,
                        "broker %" PRId32 " resumed with the state it had before the pause",
                        ev->broker_pause.broker);
        return true;
    case KS_EV_ZK_CONTACT_LOST: {
        const struct KsEvent_zk_contact *z = &ev->zk_contact;
        g_autofree char *at = z->expires_us >= 0 ? ks_format_time(z->expires_us) : NULL;
        ks_timeline_put(tl, ev->t, "zookeeper", C_MAGENTA,
                        "broker %" PRId32 " cannot reach the ZooKeeper quorum: its session "
                        "is not renewed%s%s",
                        z->broker, at ? " and expires at " : " (no quorum: it cannot expire)",
                        at ? at : "");
        return true;
    }
    case KS_EV_ZK_CONTACT_REGAINED:
        ks_timeline_put(tl, ev->t, "zookeeper", C_MAGENTA,
                        "broker %" PRId32 " reaches the ZooKeeper quorum again",
                        ev->zk_contact.broker);
        return true;
    case KS_EV_ZOMBIE_LEADER: {
        g_autofree char *leads = leads_text(ev->zk_contact.leads);
        ks_timeline_put(tl, ev->t, "zombie", C_RED,
                        "broker %" PRId32 " runs on with an expired session: %s and takes the "
                        "writes of producers that reach it (acks=1 writes there will be lost)",
                        ev->zk_contact.broker, leads);
        return true;
    }
    case KS_EV_REQUEST_TIMED_OUT: {
        const struct KsEvent_request_timeout *r = &ev->request_timeout;
        g_autofree char *d = ks_format_time(r->timeout_us);
        ks_timeline_put(tl, ev->t, "timeout", C_YELLOW,
                        "%s: %s request to broker %" PRId32 " got no answer in %s; disconnecting",
                        r->from, r->api, r->to, d);
        return true;
    }
    default:
        return false;
    }
}
