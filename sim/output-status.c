/* SPDX-License-Identifier: MIT */
/*
 * output-status.c - status lines: why the timeline is silent.
 *
 * Most of a failure is waiting: a crashed leader's ZooKeeper session runs
 * out for up to 21 s before the controller moves its partitions, and
 * meanwhile every acks=all write to a partition whose ISR still names the
 * crashed broker waits for a high watermark that cannot move. No event
 * marks that time, so the timeline said nothing. At every status boundary
 * (each KS_TIMELINE_STATUS_EVERY of simulated time, before the end) a status
 * line says, for each partition that has waited a second or more, what
 * waits and why:
 *
 *     orders-1: no leader for 2 s (broker 2 is down, but its ZooKeeper
 *     session has not expired: the controller still counts it as live);
 *     400 records not yet acknowledged
 *
 * A status line is a view: it is written between two slices of the run
 * (ks_sim_run_until() to the boundary, then the queries of query.h and
 * query-waits.h), so it schedules no engine event and changes nothing that
 * follows; the same run prints the same lines. Waits shorter than a second
 * are the cluster's ordinary business (an acks=all write waits a few
 * milliseconds for its followers' fetches) and are not reported. Above
 * MAX_STATUS_PARTITIONS waiting partitions, one line counts the rest.
 */
#include "output-timeline-private.h"

#include <inttypes.h>
#include <string.h>

#include <glib.h>

#include "kafkasim/query-groups.h"
#include "kafkasim/query-waits.h"
#include "kafkasim/query.h"
#include "kafkasim/text.h"

#define STATUS_QUIET_UNDER    KS_TIME_S
#define MAX_STATUS_PARTITIONS 6

/* "2 s" or "1.683 s". */
static char *format_span(KsTime us)
{
    if (us % KS_TIME_S == 0)
        return g_strdup_printf("%" PRId64 " s", us / KS_TIME_S);
    return g_strdup_printf("%" PRId64 ".%03" PRId64 " s", us / KS_TIME_S,
                           us % KS_TIME_S / KS_TIME_MS);
}

/* "2,000 records" or "1 record", with @what before "records" ("acks=all "
 * or ""). */
static char *format_records(int64_t n, const char *what)
{
    g_autofree char *digits = g_strdup_printf("%" PRId64, n);
    GString *s = g_string_new(NULL);
    size_t len = strlen(digits);
    for (size_t i = 0; i < len; i++) {
        if (i > 0 && (len - i) % 3 == 0)
            g_string_append_c(s, ',');
        g_string_append_c(s, digits[i]);
    }
    g_string_append_printf(s, " %s%s", what, n == 1 ? "record" : "records");
    return g_string_free(s, FALSE);
}

/* Why @part has no working leader. */
static void why_no_leader(const KsSim *sim, const KsPartitionInfo *part, const KsTopicInfo *topic,
                          GString *s)
{
    KsBrokerInfo b;
    if (part->leader == KS_NO_BROKER) {
        g_string_append(s, topic->unclean_election
                               ? "no replica of it is live"
                               : "no replica in its ISR is live, and "
                                 "unclean.leader.election.enable=false keeps the others out");
    } else if (ks_query_controller(sim) == KS_NO_BROKER) {
        g_string_append(s, "there is no active controller to elect a new one");
    } else if (ks_query_find_broker(sim, part->leader, &b) && !b.alive && b.registered) {
        g_string_append_printf(s,
                               "broker %" PRId32 " is down, but its ZooKeeper session has not "
                               "expired, so the controller still counts it as live",
                               part->leader);
    } else {
        g_string_append_printf(s, "the controller's choice, broker %" PRId32 ", has not taken over",
                               part->leader);
    }
}

/* Why acks=all writes to @part wait for its HW: the ISR members that have
 * not copied them. */
static void why_parked(const KsSim *sim, size_t topic, const KsPartitionInfo *part,
                       int32_t min_insync, GString *s)
{
    if ((int32_t)part->n_isr < min_insync) {
        /* Partition.maybeIncrementLeaderHW: not under min.insync.replicas. */
        g_autofree char *isr = ks_text_ids(part->isr, part->n_isr);
        g_string_append_printf(s,
                               "isr %s is smaller than min.insync.replicas=%" PRId32
                               ", and the leader does not move the HW meanwhile",
                               isr, min_insync);
        return;
    }
    g_autoptr(GString) down = g_string_new(NULL), behind = g_string_new(NULL);
    int n_down = 0, n_behind = 0;
    bool session_runs = false;
    for (int32_t r = 0; r < part->n_replicas; r++) {
        KsReplicaInfo rep;
        ks_query_replica(sim, topic, part->partition, r, &rep);
        if (!rep.in_isr || rep.is_leader)
            continue;
        if (!rep.alive) {
            g_string_append_printf(down, "%s%" PRId32, n_down++ ? ", " : "", rep.broker);
            session_runs = session_runs || ks_query_session_expiry(sim, rep.broker) >= 0;
        } else if (rep.log_end_offset < part->log_end_offset) {
            g_string_append_printf(behind, "%s%" PRId32, n_behind++ ? ", " : "", rep.broker);
        }
    }
    if (n_down > 0)
        g_string_append_printf(s, "broker%s %s %s in the ISR but down, and stay%s there until %s",
                               n_down > 1 ? "s" : "", down->str, n_down > 1 ? "are" : "is",
                               n_down > 1 ? "" : "s",
                               !session_runs ? "replica.lag.time.max.ms passes"
                               : n_down > 1  ? "their ZooKeeper sessions expire"
                                             : "its ZooKeeper session expires");
    else if (n_behind > 0)
        g_string_append_printf(s, "broker%s %s in the ISR %s not copied them yet",
                               n_behind > 1 ? "s" : "", behind->str, n_behind > 1 ? "have" : "has");
    else
        g_string_append(s, "the followers' fetches have not moved the HW yet");
}

/* "acks=all " when every producer of @topic writes with acks=all (or 1, or
 * 0), else "". Static. */
static const char *topic_acks(const KsSim *sim, const char *topic)
{
    int32_t acks = -2;
    for (size_t i = 0; i < ks_query_n_producers(sim); i++) {
        KsProducerInfo p;
        ks_query_producer(sim, i, &p);
        if (strcmp(p.topic, topic) != 0)
            continue;
        if (acks != -2 && acks != p.acks)
            return "";
        acks = p.acks;
    }
    return acks == -1 ? "acks=all " : acks == 1 ? "acks=1 " : acks == 0 ? "acks=0 " : "";
}

/* The status of one partition, or NULL when nothing has waited long. */
static char *partition_status(const KsTimeline *tl, size_t topic, const KsTopicInfo *t, int32_t p)
{
    const KsSim *sim = tl->sim;
    KsTime now = ks_sim_now(sim);
    KsPartitionWaits w;
    ks_query_partition_waits(sim, topic, p, &w);
    bool no_leader = w.no_leader_since >= 0 && now - w.no_leader_since >= STATUS_QUIET_UNDER;
    bool parked = w.parked_records > 0 && now - w.parked_since >= STATUS_QUIET_UNDER;
    bool failing = w.failing_producers > 0 && now - w.failing_since >= STATUS_QUIET_UNDER;
    if (!no_leader && !parked && !failing)
        return NULL;
    KsPartitionInfo part;
    ks_query_partition(sim, topic, p, &part);
    GString *s = g_string_new(NULL);
    g_string_append_printf(s, "%s-%" PRId32 ": ", t->name, p);
    if (no_leader) {
        g_autofree char *span = format_span(now - w.no_leader_since);
        g_string_append_printf(s, "no leader for %s (", span);
        why_no_leader(sim, &part, t, s);
        g_string_append(s, ")");
    } else if (failing) {
        g_autofree char *span = format_span(now - w.failing_since);
        g_string_append_printf(s, "writes have failed for %s with %s", span, w.error);
        if (strncmp(w.error, "NOT_ENOUGH_REPLICAS", 19) == 0) {
            g_autofree char *isr = ks_text_ids(part.isr, part.n_isr);
            g_string_append_printf(s, " (isr %s is smaller than min.insync.replicas=%" PRId32 ")",
                                   isr, w.min_insync);
        }
    } else {
        g_autofree char *span = format_span(now - w.parked_since);
        g_string_append_printf(s, "acks=all writes have waited %s for the HW (", span);
        why_parked(sim, topic, &part, w.min_insync, s);
        g_string_append(s, ")");
    }
    if (w.producer_records > 0) {
        g_autofree char *n = format_records(w.producer_records, topic_acks(sim, t->name));
        g_string_append_printf(s, "; %s not yet acknowledged", n);
        if (w.parked_records > 0 && part.leader != KS_NO_BROKER) {
            g_autofree char *m = format_records(w.parked_records, "");
            if (w.parked_records == w.producer_records)
                g_string_append_printf(s, " (all sent and waiting at leader %" PRId32 ")",
                                       part.leader);
            else
                g_string_append_printf(s,
                                       " (%s sent and waiting at leader %" PRId32
                                       ", the rest in the producer's buffer)",
                                       m, part.leader);
        }
    }
    return g_string_free(s, FALSE);
}

/* The status of member @m of group @g (an index) whose consumer runs no
 * more but is still a member: nobody reads its partitions until its session
 * times out. NULL when that has lasted under a second, or is not so. */
static char *member_status(const KsTimeline *tl, size_t g, const KsGroupInfo *group,
                           const KsMemberInfo *m)
{
    const KsSim *sim = tl->sim;
    KsConsumerInfo c;
    if (m->n_assigned == 0 || !ks_query_find_consumer(sim, m->id, &c) || c.running)
        return NULL;
    const KsConsumerGone *gone = g_hash_table_lookup(tl->gone, m->id);
    KsTime now = ks_sim_now(sim);
    if (!gone || now - gone->at < STATUS_QUIET_UNDER)
        return NULL;
    g_autoptr(GArray) parts = ks_query_member_assignment(sim, g, m->id);
    GString *s = g_string_new(NULL);
    g_string_append_printf(s, "%s: %s ", group->name, m->id);
    g_autofree char *span = format_span(now - gone->at);
    g_string_append_printf(s, "%s %s ago%s", gone->crashed ? "crashed" : "stopped", span,
                           gone->crashed || !m->instance_id ? ""
                                                            : " (a static member does not leave)");
    g_string_append_printf(s, " but stays a member until its session times out, so nobody "
                              "reads ");
    int64_t lag = 0;
    for (guint i = 0; i < parts->len; i++) {
        const KsGroupOffsetInfo *o = &g_array_index(parts, KsGroupOffsetInfo, i);
        g_string_append_printf(s, "%s%s-%" PRId32, i ? ", " : "", o->topic, o->partition);
        lag += o->lag > 0 ? o->lag : 0;
    }
    g_autofree char *n = format_records(lag, "");
    g_string_append_printf(s, " (lag %s)", n);
    return g_string_free(s, FALSE);
}

void ks_timeline_write_status(KsTimeline *tl)
{
    const KsSim *sim = tl->sim;
    g_autoptr(GPtrArray) lines = g_ptr_array_new_with_free_func(g_free);
    for (size_t i = 0; i < ks_query_n_topics(sim); i++) {
        KsTopicInfo t;
        ks_query_topic(sim, i, &t);
        for (int32_t p = 0; p < t.n_partitions; p++) {
            char *status = partition_status(tl, i, &t, p);
            if (status)
                g_ptr_array_add(lines, status);
        }
    }
    for (size_t g = 0; g < ks_query_n_groups(sim); g++) {
        KsGroupInfo group;
        ks_query_group(sim, g, &group);
        g_autoptr(GArray) members = ks_query_group_members(sim, g);
        for (guint i = 0; i < members->len; i++) {
            char *status = member_status(tl, g, &group, &g_array_index(members, KsMemberInfo, i));
            if (status)
                g_ptr_array_add(lines, status);
        }
    }
    KsTime now = ks_sim_now(sim);
    ks_timeline_flush_glosses(tl);
    tl->hold_glosses = true;
    for (guint i = 0; i < lines->len && i < MAX_STATUS_PARTITIONS; i++)
        ks_timeline_put(tl, now, "waiting", C_YELLOW, "%s", (const char *)lines->pdata[i]);
    if (lines->len > MAX_STATUS_PARTITIONS)
        ks_timeline_put(tl, now, "waiting", C_YELLOW, "and %u more partitions waiting likewise",
                        lines->len - MAX_STATUS_PARTITIONS);
    tl->hold_glosses = false;
    ks_timeline_flush_glosses(tl);
}

/* Writes the status of every boundary before @t (and before the end) that
 * has not been written, running the sim to each first. */
static void statuses_before(KsTimeline *tl, KsTime t)
{
    KsTime end = ks_sim_end(tl->sim);
    while (tl->next_status < ks_sim_now(tl->sim))
        tl->next_status += KS_TIMELINE_STATUS_EVERY;
    while (tl->next_status < t && tl->next_status < end) {
        ks_sim_run_until(tl->sim, tl->next_status);
        ks_timeline_write_status(tl);
        tl->next_status += KS_TIMELINE_STATUS_EVERY;
    }
}

void ks_timeline_run_until(KsTimeline *tl, KsTime t)
{
    statuses_before(tl, t + 1);
    ks_sim_run_until(tl->sim, t);
}

bool ks_timeline_step(KsTimeline *tl)
{
    KsTime next = ks_sim_next_event_time(tl->sim);
    if (next != KS_TIME_NEVER)
        statuses_before(tl, next);
    return ks_sim_step(tl->sim);
}
