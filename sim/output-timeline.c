/* SPDX-License-Identifier: MIT */
/*
 * output-timeline.c - the timeline a person reads while a run goes on.
 *
 * One line per meaningful event: the time (seconds, aligned), a category
 * word, and a sentence. A snapshot prints the cluster as kafka-topics
 * --describe would, indented under its line. Colours only when asked (the
 * tool asks when stdout is a terminal). Internal bookkeeping events (a
 * broker registering in ZooKeeper, initial leaders of large topics) are left
 * to the trace.
 *
 * Every sentence must be true of the state it describes: a partition left
 * without a leader says "no other live replica is in sync" only when no ISR
 * member is registered; at a controller failover the dead leader's replica
 * leaves the ISR before the election (ReplicaStateMachine before
 * PartitionStateMachine), which it says instead. The end summary accounts
 * for every record: produced = acknowledged + refused + still pending, with
 * the lost ones a part of the acknowledged; a summed figure says what it
 * sums ("partition-seconds without a live leader").
 *
 * The timeline explains itself to a class: output-status.c writes status
 * lines while something waits (no engine event marks a silence), and
 * output-gloss.c a one-line gloss after the first use of each of Kafka's
 * terms. With --verbose the model also emits requests, one line each.
 * Lines are written through ks_timeline_put() and ks_timeline_put_sub()
 * (output-timeline-private.h), which note the terms used.
 */
#include "kafkasim/output.h"
#include "output-faults.h"
#include "output-reassign.h"

#include "output-timeline-private.h"

#include <inttypes.h>
#include <string.h>

#include "kafkasim/scenario.h"
#include "kafkasim/text.h"
#include "kafkasim/query.h"

/* Topics with more partitions than this get one creation line, not one line
 * per partition. */
#define MAX_PARTITION_LINES 12

KsTimeline *ks_timeline_new(KsSim *sim, bool color, KsLineFn write, void *ctx)
{
    KsTimeline *tl = g_new0(KsTimeline, 1);
    tl->sim = sim;
    tl->color = color;
    tl->write = write;
    tl->ctx = ctx;
    tl->explain = true;
    tl->gone = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, g_free);
    tl->next_status = KS_TIMELINE_STATUS_EVERY;
    return tl;
}

void ks_timeline_free(KsTimeline *tl)
{
    if (tl) {
        g_hash_table_destroy(tl->gone);
    }
    g_free(tl);
}

char *ks_format_time(KsTime t)
{
    int64_t s = t / KS_TIME_S, us = t % KS_TIME_S;
    if (us % KS_TIME_MS == 0)
        return g_strdup_printf("%" PRId64 ".%03" PRId64 "s", s, us / KS_TIME_MS);
    return g_strdup_printf("%" PRId64 ".%06" PRId64 "s", s, us);
}

char *ks_format_usd(int64_t micro_usd)
{
    return g_strdup_printf("$%" PRId64 ".%06" PRId64, micro_usd / 1000000, micro_usd % 1000000);
}

static void header(KsTimeline *tl);

void ks_timeline_put(KsTimeline *tl, KsTime t, const char *category, const char *color,
                     const char *fmt, ...)
{
    if (!tl->header_done) {
        tl->header_done = true;
        header(tl);
    }
    /* The glosses of the lines before, after all of them (a topic's
     * partition lines, a snapshot's table). */
    if (!tl->hold_glosses)
        ks_timeline_flush_glosses(tl);
    va_list ap;
    va_start(ap, fmt);
    g_autofree char *text = g_strdup_vprintf(fmt, ap);
    va_end(ap);
    g_autofree char *time = ks_format_time(t);
    g_autofree char *out = NULL;
    if (tl->color)
        out = g_strdup_printf(C_DIM "%11s" C_RESET "  %s%-10s" C_RESET "  %s", time, color,
                              category, text);
    else
        out = g_strdup_printf("%11s  %-10s  %s", time, category, text);
    tl->write(out, tl->ctx);
    ks_timeline_note_terms(tl, text);
}

void ks_timeline_put_sub(KsTimeline *tl, const char *text)
{
    g_autofree char *out = g_strdup_printf("%25s%s", "", text);
    tl->write(out, tl->ctx);
    ks_timeline_note_terms(tl, text);
}

/* Whether a broker of @isr is registered in ZooKeeper, which is what the
 * controller counts as live. */
static bool isr_has_live_member(const KsSim *sim, const KsIntList *isr)
{
    for (size_t i = 0; i < isr->len; i++) {
        KsBrokerInfo info;
        if (ks_query_find_broker(sim, (KsBrokerId)isr->items[i], &info) && info.registered)
            return true;
    }
    return false;
}

/* How a leader was chosen, in words (the trace's reason name when the
 * timeline has no words of its own for it). */
static const char *election_text(KsReason reason)
{
    static const char *const texts[] = {
        [KS_REASON_OFFLINE] = "offline election: first live in-sync replica",
        [KS_REASON_UNCLEAN] = "unclean election: first live replica, not in sync",
        [KS_REASON_PREFERRED] = "preferred election",
        [KS_REASON_CONTROLLED_SHUTDOWN] = "controlled shutdown",
        [KS_REASON_REASSIGNMENT] = "reassignment: the leader moves into the target replicas",
    };
    if (reason < G_N_ELEMENTS(texts) && texts[reason])
        return texts[reason];
    return ks_reason_name(reason);
}

static void header(KsTimeline *tl)
{
    const KsSim *sim = tl->sim;
    GString *s = g_string_new(NULL);
    guint n_brokers = (guint)ks_query_n_brokers(sim);
    guint n_nodes = (guint)ks_query_n_nodes(sim);
    g_string_append_printf(s, "%u broker%s (", n_brokers, n_brokers == 1 ? "" : "s");
    for (guint i = 0; i < n_brokers; i++) {
        KsBrokerInfo b;
        if (i == 8 && n_brokers > 10) {
            g_string_append_printf(s, ", ... %u more", n_brokers - 8);
            break;
        }
        ks_query_broker(sim, i, &b);
        g_string_append_printf(s, "%s%" PRId32 " on %s", i ? ", " : "", b.id, b.node);
        if (b.rack)
            g_string_append_printf(s, " rack %s", b.rack);
    }
    g_string_append_printf(s, ") on %u node%s, seed %" G_GUINT64_FORMAT, n_nodes,
                           n_nodes == 1 ? "" : "s", ks_query_seed(sim));
    ks_timeline_put(tl, 0, "cluster", C_BOLD, "%s", s->str);
    g_string_free(s, TRUE);
}

static const char *acks_text(int32_t acks)
{
    return acks == -1 ? "all" : acks == 0 ? "0" : "1";
}

static const char *partitioner_text(KsPartitionerKind k)
{
    switch (k) {
    case KS_PARTITIONER_DEFAULT:
        return "default";
    case KS_PARTITIONER_KEY:
        return "key";
    case KS_PARTITIONER_ROUND_ROBIN:
        return "round-robin";
    case KS_PARTITIONER_STICKY:
        return "sticky";
    case KS_PARTITIONER_EXPLICIT:
        return "explicit";
    }
    return "?";
}

static void producer_started(KsTimeline *tl, const KsEvent *ev)
{
    KsProducerInfo p;
    if (!ks_query_find_producer(tl->sim, ev->producer_event.producer, &p))
        return;
    GString *s = g_string_new(NULL);
    g_string_append_printf(s, "%s started: ", p.name);
    if (p.rate_per_s > 0)
        g_string_append_printf(s, "%" PRId64 "/s", p.rate_per_s);
    else
        g_string_append(s, "on demand");
    g_string_append_printf(s, " to %s, acks=%s, partitioner %s", p.topic, acks_text(p.acks),
                           partitioner_text(p.partitioner));
    if (p.partitioner == KS_PARTITIONER_EXPLICIT)
        g_string_append_printf(s, " (partition %" PRId32 ")", p.partition);
    if (p.keys > 0)
        g_string_append_printf(s, ", %" PRId64 " keys", p.keys);
    ks_timeline_put(tl, ev->t, "producer", C_CYAN, "%s", s->str);
    g_string_free(s, TRUE);
}

static void snapshot(KsTimeline *tl, const KsEvent *ev)
{
    const KsSim *sim = tl->sim;
    KsBrokerId controller = ks_query_controller(sim);
    GString *s = g_string_new(NULL);
    g_string_append_printf(s, "%s: controller %s", ev->snapshot.name,
                           controller == KS_NO_BROKER ? "none" : "");
    if (controller != KS_NO_BROKER)
        g_string_append_printf(s, "%" PRId32 " (epoch %" PRId32 ")", controller,
                               ks_query_controller_epoch(sim));
    g_string_append(s, ", brokers up:");
    for (size_t i = 0; i < ks_query_n_brokers(sim); i++) {
        KsBrokerInfo b;
        ks_query_broker(sim, i, &b);
        if (b.alive)
            g_string_append_printf(s, " %" PRId32, b.id);
    }
    ks_timeline_put(tl, ev->t, "snapshot", C_BOLD, "%s", s->str);
    g_string_free(s, TRUE);

    g_autoptr(GString) table = g_string_new(NULL);
    ks_describe_topics(sim, table);
    g_auto(GStrv) rows = g_strsplit(table->str, "\n", -1);
    for (char **r = rows; *r && **r; r++) {
        /* Tabs would not align under the time column: show them as two
         * spaces, as a terminal with short tab stops roughly would. */
        g_autofree char *spaced = g_strdelimit(g_strdup(*r), "\t", ' ');
        ks_timeline_put_sub(tl, spaced + (spaced[0] == ' ' ? 1 : 0));
    }
    /* Offsets, which kafka-topics does not show. */
    for (size_t i = 0; i < ks_query_n_topics(sim); i++) {
        KsTopicInfo t;
        ks_query_topic(sim, i, &t);
        if (t.n_partitions > MAX_PARTITION_LINES)
            continue;
        for (int32_t p = 0; p < t.n_partitions; p++) {
            KsPartitionInfo part;
            ks_query_partition(sim, i, p, &part);
            GString *o = g_string_new(NULL);
            g_string_append_printf(o, "%s-%" PRId32 " offsets:", t.name, p);
            for (int32_t r = 0; r < part.n_replicas; r++) {
                KsReplicaInfo rep;
                ks_query_replica(sim, i, p, r, &rep);
                g_string_append_printf(o, "  broker %" PRId32 " LEO %" PRId64 " HW %" PRId64,
                                       rep.broker, rep.log_end_offset, rep.high_watermark);
            }
            ks_timeline_put_sub(tl, o->str);
            g_string_free(o, TRUE);
        }
    }
}

/* A describe action's table (read from the queries now, as the action
 * runs) under its line, column for column; blank lines (kafka-consumer-
 * groups.sh prints one before each table and notice) are left out. */
static void describe_table(KsTimeline *tl, const KsEvent *ev)
{
    const char *tag = NULL;
    g_autoptr(GString) headline = g_string_new(NULL);
    g_autoptr(GString) table = g_string_new(NULL);
    ks_describe_event(tl->sim, ev, &tag, headline, table);
    ks_timeline_put(tl, ev->t, tag, C_BOLD, "%s", headline->str);
    g_auto(GStrv) rows = g_strsplit(table->str, "\n", -1);
    for (char **r = rows; *r; r++)
        if (**r) {
            g_autofree char *spaced = g_strdelimit(g_strdup(*r), "\t", ' ');
            ks_timeline_put_sub(tl, spaced);
        }
}

/* "orders-0, orders-1" or "nothing". */
/* " (power-loss 800, acks1-failover 12)": the causes of the lost records
 * that have any, or "" when none is lost. */
static char *lost_split(const KsSimStats *st)
{
    if (st->records_lost == 0)
        return g_strdup("");
    const struct {
        const char *name;
        int64_t n;
    } causes[] = {
        {"unclean", st->records_lost_unclean},
        {"power-loss", st->records_lost_power_loss},
        {"zombie", st->records_lost_zombie},
        {"acks1-failover", st->records_lost_acks1_failover},
    };
    GString *out = g_string_new(" (");
    for (size_t i = 0; i < G_N_ELEMENTS(causes); i++)
        if (causes[i].n > 0)
            g_string_append_printf(out, "%s%s %" PRId64, out->len > 2 ? ", " : "", causes[i].name,
                                   causes[i].n);
    g_string_append_c(out, ')');
    return g_string_free(out, FALSE);
}

static char *partition_names(const KsPartitionList *l)
{
    if (l->len == 0)
        return g_strdup("nothing");
    GString *s = g_string_new(NULL);
    for (size_t i = 0; i < l->len; i++)
        g_string_append_printf(s, "%s%s-%" PRId32, i ? ", " : "", l->items[i].topic,
                               l->items[i].partition);
    return g_string_free(s, FALSE);
}

/* Consumers and groups. */
static void group_line(KsTimeline *tl, const KsEvent *ev)
{
    g_autofree char *a = NULL;
    switch (ev->type) {
    case KS_EV_CONSUMER_STARTED:
        ks_timeline_put(tl, ev->t, "consumer", C_CYAN, "%s started in group %s",
                        ev->consumer_event.consumer, ev->consumer_event.group);
        break;
    case KS_EV_CONSUMER_STOPPED:
        ks_timeline_put(tl, ev->t, "consumer", C_CYAN, "%s closed: it commits and leaves group %s",
                        ev->consumer_event.consumer, ev->consumer_event.group);
        break;
    case KS_EV_CONSUMER_CRASHED:
        ks_timeline_put(tl, ev->t, "consumer", C_RED,
                        "%s crashed: group %s learns it only when its session times out",
                        ev->consumer_event.consumer, ev->consumer_event.group);
        break;
    case KS_EV_CONSUMER_FAILED:
        ks_timeline_put(tl, ev->t, "consumer", C_RED, "%s: poll() threw %s; the application stops",
                        ev->consumer_failed.consumer, ev->consumer_failed.error);
        break;
    case KS_EV_GROUP_REBALANCING: {
        const struct KsEvent_group_rebalancing *r = &ev->group_rebalancing;
        if (r->consumer)
            ks_timeline_put(tl, ev->t, "group", C_YELLOW, "%s is rebalancing: %s %s", r->group,
                            r->consumer, r->reason);
        else
            ks_timeline_put(tl, ev->t, "group", C_YELLOW, "%s is rebalancing (%s)", r->group,
                            r->reason);
        break;
    }
    case KS_EV_GROUP_GENERATION: {
        const struct KsEvent_group_generation *g = &ev->group_generation;
        if (g->members.len == 0) {
            ks_timeline_put(tl, ev->t, "group", C_YELLOW,
                            "%s generation %" PRId64 ": no members, Empty", g->group,
                            g->generation);
            break;
        }
        GString *m = g_string_new(NULL);
        for (size_t i = 0; i < g->members.len; i++)
            g_string_append_printf(m, "%s%s", i ? ", " : "", g->members.items[i]);
        ks_timeline_put(tl, ev->t, "group", C_YELLOW,
                        "%s generation %" PRId64 ": members %s, leader %s runs %s", g->group,
                        g->generation, m->str, g->leader, g->protocol);
        g_string_free(m, TRUE);
        break;
    }
    case KS_EV_MEMBER_REMOVED: {
        const struct KsEvent_member_removed *r = &ev->member_removed;
        ks_timeline_put(tl, ev->t, "group", C_YELLOW, "%s removes %s (%s)", r->group, r->consumer,
                        r->reason);
        break;
    }
    case KS_EV_PARTITIONS_ASSIGNED:
        a = partition_names(&ev->partitions_moved.partitions);
        if (ev->partitions_moved.partitions.len == 0)
            ks_timeline_put(tl, ev->t, "group", C_DIM,
                            "%s gets no partition in generation %" PRId64 ": idle",
                            ev->partitions_moved.consumer, ev->partitions_moved.generation);
        else if (ev->partitions_moved.stopped_us > 0)
            ks_timeline_put(tl, ev->t, "group", C_GREEN,
                            "%s gets %s (generation %" PRId64 ", after %.3f s without partitions)",
                            ev->partitions_moved.consumer, a, ev->partitions_moved.generation,
                            (double)ev->partitions_moved.stopped_us / KS_TIME_S);
        else
            ks_timeline_put(tl, ev->t, "group", C_GREEN, "%s gets %s (generation %" PRId64 ")",
                            ev->partitions_moved.consumer, a, ev->partitions_moved.generation);
        break;
    case KS_EV_PARTITIONS_REVOKED:
        a = partition_names(&ev->partitions_moved.partitions);
        ks_timeline_put(tl, ev->t, "group", C_YELLOW, "%s gives up %s",
                        ev->partitions_moved.consumer, a);
        break;
    case KS_EV_OFFSETS_COMMITTED:
        ks_timeline_put(tl, ev->t, "commit", C_DIM, "%s commits %s for %s (%s)",
                        ev->offsets_committed.consumer, ev->offsets_committed.offsets,
                        ev->offsets_committed.group, ev->offsets_committed.when);
        break;
    case KS_EV_RECORDS_REDELIVERED: {
        const struct KsEvent_consumer_range *r = &ev->consumer_range;
        ks_timeline_put(tl, ev->t, "consumer", C_RED,
                        "%s-%" PRId64 " offsets %" PRId64 "-%" PRId64
                        " delivered again to %s (processed, "
                        "not committed)",
                        r->topic, r->partition, r->from_offset, r->to_offset, r->consumer);
        break;
    }
    case KS_EV_RECORDS_SKIPPED: {
        const struct KsEvent_consumer_range *r = &ev->consumer_range;
        ks_timeline_put(tl, ev->t, "consumer", C_RED,
                        "%s-%" PRId64 " offsets %" PRId64 "-%" PRId64
                        " skipped by %s: committed, never "
                        "processed",
                        r->topic, r->partition, r->from_offset, r->to_offset, r->group);
        break;
    }
    case KS_EV_OFFSET_RESET: {
        const struct KsEvent_offset_reset *r = &ev->offset_reset;
        if (r->offset < 0)
            ks_timeline_put(tl, ev->t, "consumer", C_RED,
                            "%s: no committed offset for %s-%" PRId64
                            " and auto.offset.reset=none: NoOffsetForPartitionException",
                            r->consumer, r->topic, r->partition);
        else if (r->time_us >= 0) {
            g_autofree char *sought = ks_format_time(r->time_us);
            g_autofree char *found = r->found_us >= 0 ? ks_format_time(r->found_us) : NULL;
            if (found)
                ks_timeline_put(tl, ev->t, "consumer", C_CYAN,
                                "%s seeks %s-%" PRId64 " to time %s: offset %" PRId64
                                ", the first record produced at or after it (at %s)",
                                r->consumer, r->topic, r->partition, sought, r->offset, found);
            else
                ks_timeline_put(tl, ev->t, "consumer", C_CYAN,
                                "%s seeks %s-%" PRId64 " to time %s: no record produced at or "
                                "after it, so to the end, offset %" PRId64,
                                r->consumer, r->topic, r->partition, sought, r->offset);
        } else if (strcmp(r->policy, "from-offset") == 0 || strcmp(r->policy, "to-offset") == 0)
            ks_timeline_put(tl, ev->t, "consumer", C_CYAN,
                            "%s seeks %s-%" PRId64 " to offset %" PRId64, r->consumer, r->topic,
                            r->partition, r->offset);
        else
            ks_timeline_put(tl, ev->t, "consumer", C_CYAN,
                            "%s: no committed offset for %s-%" PRId64
                            ", starts at %s offset %" PRId64,
                            r->consumer, r->topic, r->partition, r->policy, r->offset);
        break;
    }
    case KS_EV_GROUP_LOADED:
        ks_timeline_put(tl, ev->t, "group", C_YELLOW,
                        "broker %" PRId32 " is now coordinator of %s: loaded %" PRId64
                        " committed offset%s from __consumer_offsets",
                        ev->group_loaded.broker, ev->group_loaded.group, ev->group_loaded.offsets,
                        ev->group_loaded.offsets == 1 ? "" : "s");
        break;
    case KS_EV_GROUP_UNLOADED:
        ks_timeline_put(tl, ev->t, "group", C_YELLOW,
                        "broker %" PRId32 " is no longer coordinator of %s (%s): Dead there "
                        "until the new coordinator loads it",
                        ev->group_unloaded.broker, ev->group_unloaded.group,
                        ev->group_unloaded.reason);
        break;
    case KS_EV_GROUP_DELETE:
        if (ev->group_deleted.error)
            ks_timeline_put(tl, ev->t, "group", C_RED,
                            "delete group %s failed: %s (the group is %s)", ev->group_deleted.group,
                            ev->group_deleted.error, ev->group_deleted.state);
        else
            ks_timeline_put(tl, ev->t, "group", C_YELLOW,
                            "group %s deleted: Dead, %" PRId64 " committed offset%s removed",
                            ev->group_deleted.group, ev->group_deleted.offsets,
                            ev->group_deleted.offsets == 1 ? "" : "s");
        break;
    case KS_EV_OFFSETS_EXPIRED:
        ks_timeline_put(tl, ev->t, "group", C_YELLOW,
                        "%s: %" PRId64 " committed offset%s expired (Empty longer than "
                        "offsets.retention.minutes): the group is Dead",
                        ev->group_deleted.group, ev->group_deleted.offsets,
                        ev->group_deleted.offsets == 1 ? "" : "s");
        break;
    default:
        break;
    }
}

void ks_timeline_sink(const KsEvent *ev, void *timeline)
{
    KsTimeline *tl = timeline;
    g_autofree char *a = NULL, *b = NULL, *c = NULL;
    switch (ev->type) {
    case KS_EV_SAY:
        ks_timeline_put(tl, ev->t, "say", C_BOLD, "%s%s%s", tl->color ? C_BOLD : "", ev->say.text,
                        tl->color ? C_RESET : "");
        break;
    case KS_EV_SNAPSHOT:
        snapshot(tl, ev);
        break;
    case KS_EV_DESCRIBE_GROUPS:
    case KS_EV_DESCRIBE:
        describe_table(tl, ev);
        break;
    case KS_EV_EXPECT:
        if (ev->expect.held)
            ks_timeline_put(tl, ev->t, "expect", C_GREEN, "held: %s (line %" PRId64 ")",
                            ev->expect.condition, ev->expect.line);
        else
            ks_timeline_put(tl, ev->t, "expect", C_RED, "FAILED: %s (line %" PRId64 "): %s",
                            ev->expect.condition, ev->expect.line, ev->expect.actual);
        break;
    case KS_EV_NOTE:
        ks_timeline_put(tl, ev->t, "note", C_DIM, "line %" PRId64 ": %s", ev->note.line,
                        ev->note.text);
        break;
    case KS_EV_BROKER_STARTED:
        /* At 0 s the cluster line says it; later it is `add broker`. */
        if (ev->t > 0)
            ks_timeline_put(tl, ev->t, "broker", C_GREEN,
                            "broker %" PRId32 " started: a new broker joins the cluster",
                            ev->broker_event.broker);
        break;
    case KS_EV_BROKER_REGISTERED:
        break;
    case KS_EV_BROKER_CRASHED:
        ks_timeline_put(tl, ev->t, "broker", C_RED, "broker %" PRId32 " crashed",
                        ev->broker_event.broker);
        break;
    case KS_EV_BROKER_RESTARTED:
        ks_timeline_put(tl, ev->t, "broker", C_GREEN, "broker %" PRId32 " restarted",
                        ev->broker_event.broker);
        break;
    case KS_EV_BROKER_STOPPING: {
        KsBrokerId id = ev->broker_stopping.broker;
        int64_t leads = ev->broker_stopping.still_leads;
        int64_t left = ev->broker_stopping.attempts_left;
        if (left < 0)
            ks_timeline_put(tl, ev->t, "broker", C_YELLOW,
                            "broker %" PRId32 " shuts down without handing its leadership over%s",
                            id, leads < 0 ? " (controlled.shutdown.enable=false)" : "");
        else if (leads < 0)
            ks_timeline_put(tl, ev->t, "broker", C_YELLOW,
                            "broker %" PRId32 " asks for a controlled shutdown: %s%s", id,
                            ks_timeline_no_controller_text(tl->sim),
                            left > 0 ? ", it will ask again" : ", it stops now");
        else if (leads == 0)
            ks_timeline_put(
                tl, ev->t, "broker", C_YELLOW,
                "broker %" PRId32 " controlled shutdown: it leads no partition any more", id);
        else
            ks_timeline_put(tl, ev->t, "broker", C_YELLOW,
                            "broker %" PRId32 " controlled shutdown: it still leads %" PRId64
                            " partition%s with no other in-sync replica; %s",
                            id, leads, leads == 1 ? "" : "s",
                            left > 0
                                ? "it will ask again after controlled.shutdown.retry.backoff.ms"
                                : "that was its last attempt, it stops now");
        break;
    }
    case KS_EV_BROKER_STOPPED:
        ks_timeline_put(tl, ev->t, "broker", C_RED, "broker %" PRId32 " stopped",
                        ev->broker_event.broker);
        break;
    case KS_EV_BROKER_START_FAILED:
        if (strcmp(ev->broker_start_failed.error, "NodeExists") != 0) {
            ks_timeline_put(tl, ev->t, "broker", C_RED,
                            "broker %" PRId32
                            " failed to start: no ZooKeeper server takes its connection "
                            "without a quorum (%s)",
                            ev->broker_start_failed.broker, ev->broker_start_failed.error);
            break;
        }
        a = ev->broker_start_failed.old_session_expires_us < 0
                ? g_strdup("cannot expire before ZooKeeper has a quorum again")
                : ks_format_time(ev->broker_start_failed.old_session_expires_us);
        ks_timeline_put(tl, ev->t, "broker", C_RED,
                        "broker %" PRId32 " failed to start: /brokers/ids/%" PRId32
                        " still belongs to its old ZooKeeper session (%s), which %s%s",
                        ev->broker_start_failed.broker, ev->broker_start_failed.broker,
                        ev->broker_start_failed.error,
                        ev->broker_start_failed.old_session_expires_us < 0 ? "" : "expires at ", a);
        break;
    case KS_EV_NODE_ADDED:
        ks_timeline_put(tl, ev->t, "node", C_GREEN, "node %s added: a new machine, no broker yet",
                        ev->node_event.node);
        break;
    case KS_EV_NODE_RESIZED: {
        g_autofree char *down = ks_format_time(ev->node_resized.downtime_us);
        ks_timeline_put(tl, ev->t, "node", C_YELLOW,
                        "node %s stops to be resized: %s -> %s; its brokers start again in %s",
                        ev->node_resized.node,
                        ev->node_resized.old_node_type ? ev->node_resized.old_node_type : "untyped",
                        ev->node_resized.node_type, down);
        break;
    }
    case KS_EV_NODE_CRASHED:
        ks_timeline_put(tl, ev->t, "node", C_RED, "node %s crashed", ev->node_event.node);
        break;
    case KS_EV_NODE_RESTARTED:
        ks_timeline_put(tl, ev->t, "node", C_GREEN, "node %s restarted", ev->node_event.node);
        break;
    case KS_EV_SESSION_EXPIRED:
        ks_timeline_put(tl, ev->t, "zookeeper", C_MAGENTA,
                        "session of broker %" PRId32 " expired: /brokers/ids/%" PRId32 " is gone",
                        ev->broker_event.broker, ev->broker_event.broker);
        break;
    case KS_EV_SESSION_CLOSED:
        ks_timeline_put(tl, ev->t, "zookeeper", C_MAGENTA,
                        "broker %" PRId32 " closed its session: /brokers/ids/%" PRId32
                        " is gone at once",
                        ev->broker_event.broker, ev->broker_event.broker);
        break;
    case KS_EV_CONTROLLER_ELECTED:
        ks_timeline_put(tl, ev->t, "controller", C_MAGENTA,
                        "broker %" PRId32 " is the controller (epoch %" PRId64 ")",
                        ev->controller_elected.broker, ev->controller_elected.controller_epoch);
        break;
    case KS_EV_TOPIC_CREATED: {
        int64_t n = ev->topic_created.partitions;
        ks_timeline_put(tl, ev->t, "topic", C_BLUE,
                        "%s created: %" PRId64 " partition%s, replication factor %" PRId64,
                        ev->topic_created.topic, n, n == 1 ? "" : "s",
                        ev->topic_created.replication_factor);
        break;
    }
    case KS_EV_LEADER_ELECTED: {
        const struct KsEvent_leader_elected *le = &ev->leader_elected;
        a = ks_text_broker(le->leader);
        b = ks_text_broker(le->previous_leader);
        c = ks_text_ids(le->isr.items, le->isr.len);
        if (le->reason == KS_REASON_INITIAL) {
            size_t topic;
            KsTopicInfo t;
            KsPartitionInfo part;
            ks_query_find_topic(tl->sim, le->topic, &topic);
            ks_query_topic(tl->sim, topic, &t);
            if (t.n_partitions > MAX_PARTITION_LINES)
                break;
            int32_t pi = (int32_t)le->partition;
            ks_query_partition(tl->sim, topic, pi, &part);
            g_autofree KsBrokerId *ids = g_new(KsBrokerId, part.n_replicas);
            for (int32_t i = 0; i < part.n_replicas; i++) {
                KsReplicaInfo rep;
                ks_query_replica(tl->sim, topic, pi, i, &rep);
                ids[i] = rep.broker;
            }
            g_autofree char *reps = ks_text_ids(ids, part.n_replicas);
            g_autofree char *text =
                g_strdup_printf("%s-%" PRId64 ": leader %s, replicas %s, isr %s", le->topic,
                                le->partition, a, reps, c);
            ks_timeline_put_sub(tl, text);
        } else if (le->leader == KS_NO_BROKER && isr_has_live_member(tl->sim, &le->isr)) {
            /* onControllerFailover: the replica state machine takes dead
             * replicas out of the ISRs before the partition state machine
             * elects (KafkaController.scala:316-317,
             * ReplicaStateMachine.scala:330-350). */
            ks_timeline_put(
                tl, ev->t, "leader", C_RED,
                "%s-%" PRId64 " has no leader: leader %s's broker failed and its replica "
                "leaves the ISR before the controller elects, leader epoch %" PRId64 ", isr %s",
                le->topic, le->partition, b, le->leader_epoch, c);
        } else if (le->leader == KS_NO_BROKER) {
            ks_timeline_put(tl, ev->t, "leader", C_RED,
                            "%s-%" PRId64
                            " is offline: leader %s's broker failed and no other live "
                            "replica is in sync, leader epoch %" PRId64 ", isr %s",
                            le->topic, le->partition, b, le->leader_epoch, c);
        } else {
            ks_timeline_put(
                tl, ev->t, "leader", C_YELLOW,
                "%s-%" PRId64 ": leader %s -> %s (%s), leader epoch %" PRId64 ", isr %s", le->topic,
                le->partition, b, a, election_text(le->reason), le->leader_epoch, c);
        }
        break;
    }
    case KS_EV_ISR_SHRUNK: {
        const struct KsEvent_isr_shrunk *is = &ev->isr_shrunk;
        if (is->reason == KS_REASON_REASSIGNMENT)
            break; /* the completion line says it (output-reassign.c) */
        c = ks_text_ids(is->isr.items, is->isr.len);
        ks_timeline_put(tl, ev->t, "isr", C_YELLOW,
                        "%s-%" PRId64 ": broker %" PRId32
                        " left the ISR (%s), leader epoch %" PRId64 ", isr %s",
                        is->topic, is->partition, is->broker,
                        is->reason == KS_REASON_LAGGING ? "lagging: replica.lag.time.max.ms"
                        : is->reason == KS_REASON_CONTROLLED_SHUTDOWN
                            ? "its broker is shutting down"
                            : "its broker failed",
                        is->leader_epoch, c);
        break;
    }
    case KS_EV_ISR_EXPANDED:
        c = ks_text_ids(ev->isr_expanded.isr.items, ev->isr_expanded.isr.len);
        ks_timeline_put(tl, ev->t, "isr", C_GREEN,
                        "%s-%" PRId64 ": broker %" PRId32 " rejoined the ISR, isr %s",
                        ev->isr_expanded.topic, ev->isr_expanded.partition, ev->isr_expanded.broker,
                        c);
        break;
    case KS_EV_PREFERRED_ELECTION: {
        const char *topic = ev->preferred_election.topic;
        int64_t moved = ev->preferred_election.moved, asked = ev->preferred_election.asked;
        if (ev->preferred_election.partition >= 0)
            a = g_strdup_printf("%s-%" PRId64, topic, ev->preferred_election.partition);
        else
            a = g_strdup(topic ? topic : "every partition");
        if (asked < 0)
            ks_timeline_put(tl, ev->t, "leader", C_RED,
                            "preferred-leader election for %s: %s, nothing done", a,
                            ks_timeline_no_controller_text(tl->sim));
        else
            ks_timeline_put(
                tl, ev->t, "leader", C_YELLOW,
                "preferred-leader election for %s: %" PRId64 " of %" PRId64
                " partition%s moved to the preferred replica (the others already had it, "
                "or it is not live and in sync)",
                a, moved, asked, asked == 1 ? "" : "s");
        break;
    }
    case KS_EV_TRUNCATED: {
        int64_t dropped = ev->truncated.from_offset - ev->truncated.to_offset;
        ks_timeline_put(tl, ev->t, "log", C_RED,
                        "%s-%" PRId64 " on broker %" PRId32 " truncated from offset %" PRId64
                        " to %" PRId64 " (%" PRId64 " record%s dropped)",
                        ev->truncated.topic, ev->truncated.partition, ev->truncated.broker,
                        ev->truncated.from_offset, ev->truncated.to_offset, dropped,
                        dropped == 1 ? "" : "s");
        break;
    }
    case KS_EV_PRODUCER_STARTED:
        producer_started(tl, ev);
        break;
    case KS_EV_PRODUCER_STOPPED:
        ks_timeline_put(tl, ev->t, "producer", C_CYAN, "%s stopped", ev->producer_event.producer);
        break;
    case KS_EV_PRODUCE: {
        int64_t n = ev->produce.records;
        if (ev->produce.partition >= 0)
            a = g_strdup_printf(" partition %" PRId64, ev->produce.partition);
        else if (ev->produce.key)
            a = g_strdup_printf(" with key \"%s\"", ev->produce.key);
        ks_timeline_put(tl, ev->t, "produce", C_CYAN, "%s sends %" PRId64 " record%s to %s%s",
                        ev->produce.producer, n, n == 1 ? "" : "s", ev->produce.topic, a ? a : "");
        break;
    }
    case KS_EV_PRODUCE_FAILING:
        if (ev->produce_failing.partition < 0)
            ks_timeline_put(tl, ev->t, "producer", C_RED, "%s: \"%s\" It refreshes its metadata",
                            ev->produce_failing.producer, ev->produce_failing.message);
        else
            ks_timeline_put(tl, ev->t, "producer", C_RED,
                            "%s: writes to %s-%" PRId64 " fail with %s, retrying",
                            ev->produce_failing.producer, ev->produce_failing.topic,
                            ev->produce_failing.partition, ev->produce_failing.error);
        break;
    case KS_EV_PRODUCE_RECOVERED: {
        int64_t n = ev->produce_recovered.records_given_up;
        ks_timeline_put(tl, ev->t, "producer", C_GREEN,
                        "%s: writes to %s-%" PRId64 " succeed again (%" PRId64
                        " record%s given up meanwhile)",
                        ev->produce_recovered.producer, ev->produce_recovered.topic,
                        ev->produce_recovered.partition, n, n == 1 ? "" : "s");
        break;
    }
    case KS_EV_RECORDS_EXPIRED: {
        const struct KsEvent_records_expired *re = &ev->records_expired;
        if (re->max_block_ms >= 0)
            ks_timeline_put(tl, ev->t, "producer", C_RED,
                            "%s: send() of %" PRId64 " record%s failed: TimeoutException: Topic %s "
                            "not present in metadata after %" PRId64 " ms",
                            re->producer, re->records, re->records == 1 ? "" : "s", re->topic,
                            re->max_block_ms);
        else if (re->delivery_timeout_ms >= 0)
            ks_timeline_put(tl, ev->t, "producer", C_RED,
                            "%s: Expiring %" PRId64 " record(s) for %s-%" PRId64 ": %" PRId64
                            " ms has passed since batch creation",
                            re->producer, re->records, re->topic, re->partition,
                            re->delivery_timeout_ms);
        else
            ks_timeline_put(tl, ev->t, "producer", C_RED,
                            "%s: gave up on %" PRId64 " record%s for %s-%" PRId64
                            " (%s, retries exhausted)",
                            re->producer, re->records, re->records == 1 ? "" : "s", re->topic,
                            re->partition, re->reason);
        break;
    }
    case KS_EV_CONSUMER_STARTED:
    case KS_EV_CONSUMER_CRASHED:
    case KS_EV_CONSUMER_STOPPED:
        /* For the status lines: since when a member sends nothing. */
        if (ev->type == KS_EV_CONSUMER_STARTED) {
            g_hash_table_remove(tl->gone, ev->consumer_event.consumer);
        } else {
            KsConsumerGone gone = {ev->t, ev->type == KS_EV_CONSUMER_CRASHED};
            g_hash_table_replace(tl->gone, g_strdup(ev->consumer_event.consumer),
                                 g_memdup2(&gone, sizeof gone));
        }
        group_line(tl, ev);
        break;
    case KS_EV_CONSUMER_FAILED:
    case KS_EV_GROUP_REBALANCING:
    case KS_EV_GROUP_GENERATION:
    case KS_EV_MEMBER_REMOVED:
    case KS_EV_PARTITIONS_ASSIGNED:
    case KS_EV_PARTITIONS_REVOKED:
    case KS_EV_OFFSETS_COMMITTED:
    case KS_EV_RECORDS_REDELIVERED:
    case KS_EV_RECORDS_SKIPPED:
    case KS_EV_OFFSET_RESET:
    case KS_EV_GROUP_LOADED:
    case KS_EV_GROUP_UNLOADED:
    case KS_EV_GROUP_DELETE:
    case KS_EV_OFFSETS_EXPIRED:
        group_line(tl, ev);
        break;
    case KS_EV_FLUME_STARTED:
    case KS_EV_FLUME_CRASHED:
    case KS_EV_FLUME_RESTARTED:
    case KS_EV_CHANNEL_FILL:
    case KS_EV_CHANNEL_FULL:
    case KS_EV_SINK_ROLLED_BACK:
    case KS_EV_HDFS_FILE_ROLLED:
    case KS_EV_ZK_SERVER_CRASHED:
    case KS_EV_ZK_SERVER_RESTARTED:
    case KS_EV_ZK_LEADER_ELECTED:
    case KS_EV_ZK_QUORUM_LOST: {
        const char *category;
        a = ks_timeline_fault_text(ev, &category);
        ks_timeline_put(tl, ev->t, category,
                        ev->type >= KS_EV_ZK_SERVER_CRASHED ? C_MAGENTA : C_CYAN, "%s", a);
        break;
    }
    case KS_EV_REQUEST: {
        const struct KsEvent_request *r = &ev->request;
        ks_timeline_put(tl, ev->t, "request", C_DIM, "%s -> broker %" PRId32 ": %s%s%s%s", r->from,
                        r->to, r->api, r->detail ? " (" : "", r->detail ? r->detail : "",
                        r->detail ? ")" : "");
        break;
    }
    case KS_EV_REASSIGN_PLANNED:
    case KS_EV_REASSIGN_STARTED:
    case KS_EV_REASSIGN_CAUGHT_UP:
    case KS_EV_REASSIGN_COMPLETED:
    case KS_EV_PARTITIONS_ADDED:
        ks_timeline_reassign(tl, ev);
        break;
    case KS_EV_NETWORK_PARTITIONED:
    case KS_EV_NETWORK_HEALED:
    case KS_EV_BROKER_PAUSED:
    case KS_EV_BROKER_RESUMED:
    case KS_EV_ZK_CONTACT_LOST:
    case KS_EV_ZK_CONTACT_REGAINED:
    case KS_EV_ZOMBIE_LEADER:
    case KS_EV_REQUEST_TIMED_OUT:
        ks_timeline_net_event(tl, ev);
        break;
    case KS_EV_UNFLUSHED_LOST: {
        const struct KsEvent_unflushed_lost *u = &ev->unflushed_lost;
        if (u->records == 0)
            ks_timeline_put(tl, ev->t, "log", C_DIM,
                            "broker %" PRId32
                            " lost nothing with %s's power: its logs were on disk",
                            u->broker, u->node);
        else
            ks_timeline_put(tl, ev->t, "log", C_RED,
                            "broker %" PRId32 " lost %" PRId64 " unflushed record%s in %" PRId64
                            " partition%s with %s's power: its logs go back to what was on disk",
                            u->broker, u->records, u->records == 1 ? "" : "s", u->partitions,
                            u->partitions == 1 ? "" : "s", u->node);
        break;
    }
    case KS_EV_COUNT:
        break;
    }
}

void ks_timeline_write_summary(KsTimeline *tl, bool checked_end)
{
    KsSim *sim = tl->sim;
    KsSimStats stats;
    ks_sim_get_stats(sim, &stats);
    const KsSimStats *st = &stats;
    ks_timeline_flush_glosses(tl);
    g_autofree char *now = ks_format_time(ks_sim_now(sim));
    g_autofree char *unavail = ks_format_time(st->unavailable_us);
    unavail[strlen(unavail) - 1] = '\0'; /* a count of partition-seconds, not a time */
    g_autofree char *l1 = g_strdup_printf("Run ended at %s (seed %" G_GUINT64_FORMAT
                                          ", %" G_GUINT64_FORMAT " events)",
                                          now, ks_query_seed(sim), st->events);
    g_autofree char *split = lost_split(st);
    g_autofree char *l2 = g_strdup_printf(
        "  records: %" PRId64 " produced = %" PRId64 " acknowledged + %" PRId64
        " refused + %" PRId64 " still pending at the end; %" PRId64 " of the acknowledged lost%s",
        st->records_produced, st->records_acked, st->records_refused, st->records_pending,
        st->records_lost, split);
    g_autofree char *l3 = g_strdup_printf("  leader elections: %" PRId64
                                          "; partition-seconds without a live leader (summed over "
                                          "partitions): %s",
                                          st->leader_elections, unavail);
    tl->write("", tl->ctx);
    tl->write(l1, tl->ctx);
    tl->write(l2, tl->ctx);
    tl->write(l3, tl->ctx);
    if (ks_query_has_cost(sim)) {
        KsCostInfo c;
        ks_query_cost(sim, &c);
        int64_t transfer = c.total_micro_usd - c.machines_micro_usd - c.storage_micro_usd;
        g_autofree char *total = ks_format_usd(c.total_micro_usd);
        g_autofree char *mach = ks_format_usd(c.machines_micro_usd);
        g_autofree char *stor = ks_format_usd(c.storage_micro_usd);
        g_autofree char *xfer = ks_format_usd(transfer);
        g_autofree char *l4 = g_strdup_printf(
            "  cost: %s (machines %s, storage %s, data transfer %s)", total, mach, stor, xfer);
        tl->write(l4, tl->ctx);
    }

    const GPtrArray *results = ks_sim_expect_results(sim);
    guint held = 0;
    for (guint i = 0; i < results->len; i++)
        held += ((const KsExpectResult *)g_ptr_array_index(results, i))->held;
    if (results->len == 0 && checked_end)
        return;
    g_autofree char *head =
        g_strdup_printf("Expectations: %u held, %u failed", held, results->len - held);
    tl->write(head, tl->ctx);
    for (guint i = 0; i < results->len; i++) {
        const KsExpectResult *r = g_ptr_array_index(results, i);
        g_autofree char *row = NULL;
        if (r->held)
            row = g_strdup_printf("  %sheld%s    line %-4d %s", tl->color ? C_GREEN : "",
                                  tl->color ? C_RESET : "", r->line, r->text);
        else
            row = g_strdup_printf("  %sFAILED%s  line %-4d %s: %s", tl->color ? C_RED : "",
                                  tl->color ? C_RESET : "", r->line, r->text, r->actual);
        tl->write(row, tl->ctx);
    }
    const KsPlan *plan = ks_query_plan(sim);
    if (!checked_end && plan->expects->len > 0) {
        g_autofree char *note = g_strdup_printf(
            "  (%u end-of-run expectation%s not checked: the run was stopped early by --until)",
            plan->expects->len, plan->expects->len == 1 ? "" : "s");
        tl->write(note, tl->ctx);
    }
}
