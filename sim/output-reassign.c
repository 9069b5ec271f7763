/* SPDX-License-Identifier: MIT */
/*
 * output-reassign.c - the timeline's sentences for partition reassignment:
 * the plan (current -> proposed per partition), each partition's start, each
 * new replica that caught up, and the completion with its duration.
 *
 * The controller's own steps show as ordinary lines: the leader moving into
 * the target replicas is a `leader` line (reassignment); the removed
 * replicas leaving the ISR are in the trace (isr_shrunk, reason
 * reassignment) and summed up by the completion line here, not repeated.
 */
#include "output-reassign.h"

#include <inttypes.h>

#include "kafkasim/text.h"
#include "output-timeline-private.h"

char *ks_text_bytes(int64_t bytes)
{
    if (bytes < 1000)
        return g_strdup_printf("%" PRId64 " B", bytes);
    static const char *const units[] = {"kB", "MB", "GB", "TB"};
    double v = (double)bytes / 1000.0;
    guint u = 0;
    while (v >= 1000.0 && u + 1 < G_N_ELEMENTS(units)) {
        v /= 1000.0;
        u++;
    }
    return g_strdup_printf("%.1f %s", v, units[u]);
}

/* " (throttled to 10.0 MB/s)" or "". */
static char *throttle_text(int64_t throttle)
{
    if (throttle <= 0)
        return g_strdup("");
    g_autofree char *b = ks_text_bytes(throttle);
    return g_strdup_printf(", throttled to %s/s", b);
}

/* The ids of @a that are not in @b. */
static char *ids_minus(const KsIntList *a, const KsIntList *b)
{
    g_autoptr(GArray) out = g_array_new(FALSE, FALSE, sizeof(KsBrokerId));
    for (size_t i = 0; i < a->len; i++) {
        bool in = false;
        for (size_t j = 0; j < b->len; j++)
            in |= a->items[i] == b->items[j];
        if (!in)
            g_array_append_val(out, a->items[i]);
    }
    return ks_text_ids((const KsBrokerId *)(const void *)out->data, out->len);
}

bool ks_timeline_reassign(KsTimeline *tl, const KsEvent *ev)
{
    switch (ev->type) {
    case KS_EV_REASSIGN_PLANNED: {
        const struct KsEvent_reassign_plan *p = &ev->reassign_plan;
        g_autofree char *brokers = ks_text_ids(p->brokers.items, p->brokers.len);
        g_autofree char *thr = throttle_text(p->throttle);
        ks_timeline_put(tl, ev->t, "reassign", C_BOLD,
                        "plan for %s over brokers %s (kafka-reassign-partitions.sh --generate): "
                        "%zu of %" PRId64 " partition%s move%s",
                        p->topic ? p->topic : "every topic", brokers, p->moves.len, p->partitions,
                        p->partitions == 1 ? "" : "s", thr);
        for (size_t i = 0; i < p->moves.len; i++)
            ks_timeline_put_sub(tl, p->moves.items[i]);
        return true;
    }
    case KS_EV_REASSIGN_STARTED: {
        const struct KsEvent_reassignment *r = &ev->reassignment;
        g_autofree char *to = ks_text_ids(r->replicas.items, r->replicas.len);
        g_autofree char *from = ks_text_ids(r->previous.items, r->previous.len);
        g_autofree char *adding = ids_minus(&r->replicas, &r->previous);
        g_autofree char *removing = ids_minus(&r->previous, &r->replicas);
        g_autofree char *thr = throttle_text(r->throttle);
        ks_timeline_put(tl, ev->t, "reassign", C_YELLOW,
                        "%s-%" PRId64 ": reassignment %s -> %s started: adding %s, removing %s, "
                        "leader epoch %" PRId64 "%s",
                        r->topic, r->partition, from, to, adding, removing, r->leader_epoch, thr);
        return true;
    }
    case KS_EV_REASSIGN_CAUGHT_UP: {
        const struct KsEvent_reassign_replica *r = &ev->reassign_replica;
        g_autofree char *took = ks_format_time(r->elapsed_us);
        g_autofree char *bytes = ks_text_bytes(r->bytes);
        ks_timeline_put(tl, ev->t, "reassign", C_GREEN,
                        "%s-%" PRId64 ": new replica on broker %" PRId32
                        " caught up and joined the ISR after %s (%" PRId64 " records, %s copied)",
                        r->topic, r->partition, r->broker, took, r->records, bytes);
        return true;
    }
    case KS_EV_REASSIGN_COMPLETED: {
        const struct KsEvent_reassignment *r = &ev->reassignment;
        g_autofree char *to = ks_text_ids(r->replicas.items, r->replicas.len);
        g_autofree char *removed = ids_minus(&r->previous, &r->replicas);
        g_autofree char *leader = ks_text_broker(r->leader);
        g_autofree char *took = ks_format_time(r->elapsed_us);
        ks_timeline_put(tl, ev->t, "reassign", C_GREEN,
                        "%s-%" PRId64 ": reassignment completed in %s: replicas %s, leader %s, "
                        "leader epoch %" PRId64 "; removed %s stopped and deleted",
                        r->topic, r->partition, took, to, leader, r->leader_epoch, removed);
        return true;
    }
    case KS_EV_PARTITIONS_ADDED: {
        const struct KsEvent_partitions_added *a = &ev->partitions_added;
        if (a->keys == 0) {
            ks_timeline_put(tl, ev->t, "topic", C_BOLD,
                            "%s: %" PRId64 " -> %" PRId64 " partitions (kafka-topics.sh --alter "
                            "--partitions); clients use the new ones after their next metadata "
                            "refresh",
                            a->topic, a->previous, a->partitions);
            return true;
        }
        ks_timeline_put(tl, ev->t, "topic", C_BOLD,
                        "%s: %" PRId64 " -> %" PRId64 " partitions (kafka-topics.sh --alter "
                        "--partitions): %" PRId64 " of %" PRId64
                        " keys now map to another partition, from each producer's next metadata "
                        "refresh on",
                        a->topic, a->previous, a->partitions, a->keys_moved, a->keys);
        for (size_t i = 0; a->producers.len > 1 && i < a->producers.len; i++)
            ks_timeline_put_sub(tl, a->producers.items[i]);
        return true;
    }
    default:
        return false;
    }
}
