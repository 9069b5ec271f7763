/* SPDX-License-Identifier: MIT */
/*
 * flume.c - Apache Flume agents that ship log lines into Kafka (or HDFS),
 * as Flume 1.11.0 (the latest release) runs them.
 *
 * An agent is one process with a source, a channel and a sink:
 *  - The source receives log lines at the scenario's rate (rate=, and a
 *    peak rate for peak-for at the start of every peak-every) and puts them
 *    into the channel in transactions of source-batch events (ExecSource's
 *    batchSize, 20). A put the channel has no room for fails whole with
 *    ChannelFullException and its events are dropped and counted: the
 *    source does not keep them.
 *  - The channel holds at most `capacity` events. Events a sink has taken
 *    in a transaction that has not committed still count against it
 *    (MemoryChannel releases their room when the take commits), and go back
 *    to the head of the channel if the transaction rolls back. A memory
 *    channel dies with the process; a file channel is on disk and is
 *    replayed when the agent restarts, its open take rolled back.
 *  - The sink runner (SinkRunner.PollingRunner) polls the sink in a loop.
 *    A poll that finds the channel empty returns BACKOFF and the runner
 *    sleeps 1 s times the empty polls in a row, at most 5 s
 *    (backoffSleepIncrement, maxBackoffSleep); a poll that fails
 *    (EventDeliveryException) rolls its transaction back and sleeps 5 s.
 *  - The Kafka sink (KafkaSink.process) takes up to flumeBatchSize events
 *    (batch-size=, 100), hands each to its Kafka producer, flushes and waits
 *    for every one: all acknowledged, it commits; one refused, it rolls the
 *    whole take back and the acknowledged ones will be sent again
 *    (duplicates in Kafka: Flume delivers at least once). The producer is
 *    the simulator's own (producer.c), built from the agent's line with
 *    Flume's defaults: acks=1 unless the line says otherwise, everything
 *    else Kafka's. While Kafka cannot take the writes, the producer retries
 *    until delivery.timeout.ms; the sink waits, the source keeps putting,
 *    and the channel fills.
 *  - The HDFS sink (sink=hdfs) takes up to batch-size events and writes
 *    them at write-rate events per second; the file it writes to is closed
 *    ("rolled") roll-interval after it was opened (hdfs.rollInterval, 30 s).
 *
 * On the timeline, the channel's fill level is reported at most once a
 * second per agent, when it moved by a tenth of the capacity (at most 1000
 * events) or events were dropped since the last report; the first refused put of a run of them is
 * reported at once.
 *
 * Simplified: MemoryChannel's keep-alive (a put waits up to 3 s for room
 * before it fails) is not modelled: a put that does not fit fails at once.
 * Byte capacities, interceptors, several sinks or sink groups, and log
 * lines written while the agent is down are not modelled. A crashed
 * agent's producer dies with it (ks_producer_abandon): what it held is
 * given up, though a request already on the wire may still be written.
 */
#include "flume-private.h"

#include "producer-private.h"

#include <string.h>

#include "actions-private.h"

/* SinkRunner's backoff: backoffSleepIncrement and maxBackoffSleep. */
#define BACKOFF_STEP (1000 * KS_TIME_MS)
#define BACKOFF_MAX  (5000 * KS_TIME_MS)
#define REPORT_EVERY KS_TIME_S

static void source_put(KsEngine *engine, void *ctx, uint64_t arg);
static void sink_poll(KsEngine *engine, void *ctx, uint64_t arg);
static void roll_file(KsEngine *engine, void *ctx, uint64_t arg);
static void report(KsEngine *engine, void *ctx, uint64_t arg);

const char *ks_flume_channel_name(KsFlumeChannel channel)
{
    return channel == KS_FLUME_CHANNEL_FILE ? "file" : "memory";
}

const char *ks_flume_sink_name(KsFlumeSink sink)
{
    return sink == KS_FLUME_SINK_HDFS ? "hdfs" : "kafka";
}

int64_t ks_flume_fill(const KsFlume *f)
{
    return f->queued + f->taken;
}

KsFlume *ks_flume_find(const KsSim *sim, const char *name)
{
    for (guint i = 0; i < sim->flumes->len; i++) {
        KsFlume *f = g_ptr_array_index(sim->flumes, i);
        if (strcmp(f->plan->name, name) == 0)
            return f;
    }
    return NULL;
}

static void sink_settled(KsSim *sim, void *owner, int64_t records, bool acked);

/* A Kafka producer for the agent's sink, in sim->producers. */
static void new_producer(KsSim *sim, KsFlume *f)
{
    if (f->plan->sink != KS_FLUME_SINK_KAFKA)
        return;
    if (f->producer) {
        f->producer->on_settled = NULL;
        f->producer->owner = NULL;
    }
    KsProducer *p = ks_producer_new(sim, &f->producer_plan, ks_sim_find_topic(sim, f->plan->topic),
                                    (int)sim->producers->len);
    p->on_settled = sink_settled;
    p->owner = f;
    g_ptr_array_add(sim->producers, p);
    f->producer = p;
}

void ks_flume_build(KsSim *sim)
{
    for (guint i = 0; i < sim->plan->flumes->len; i++) {
        const KsPlanFlume *pf = g_ptr_array_index(sim->plan->flumes, i);
        KsFlume *f = g_new0(KsFlume, 1);
        f->sim = sim;
        f->plan = pf;
        f->producer_plan = (KsPlanProducer){.name = pf->name,
                                            .topic = pf->topic,
                                            .node = pf->node,
                                            .partitioner = KS_PARTITIONER_DEFAULT,
                                            .partition = -1,
                                            .record_size = KS_DEFAULT_RECORD_SIZE,
                                            .count = -1,
                                            .configs = pf->configs,
                                            .loc = pf->loc};
        ks_timer_init(&f->source_timer, source_put, f);
        ks_timer_init(&f->sink_timer, sink_poll, f);
        ks_timer_init(&f->roll_timer, roll_file, f);
        ks_timer_init(&f->report_timer, report, f);
        new_producer(sim, f);
        g_ptr_array_add(sim->flumes, f);
    }
}

void ks_flume_free(KsFlume *f)
{
    g_free(f);
}

/* ---- events ---- */

static void emit_agent(KsSim *sim, KsFlume *f, KsEventType type, int64_t lost)
{
    KsEvent ev = ks_event_init(type, ks_engine_now(sim->engine));
    ev.flume_event.agent = f->plan->name;
    ev.flume_event.channel = ks_flume_channel_name(f->plan->channel);
    ev.flume_event.events = ks_flume_fill(f);
    ev.flume_event.lost = lost;
    ks_sim_emit(sim, &ev);
}

/* How far the fill level must move to be reported again: a tenth of the
 * capacity, at most 1000 events (a file channel's million would never
 * move), at least 1. */
static int64_t report_step(const KsFlume *f)
{
    return CLAMP(f->plan->channel_capacity / 10, 1, 1000);
}

static void emit_fill(KsSim *sim, KsFlume *f, KsEventType type, int64_t dropped)
{
    KsEvent ev = ks_event_init(type, ks_engine_now(sim->engine));
    ev.channel_fill.agent = f->plan->name;
    ev.channel_fill.events = ks_flume_fill(f);
    ev.channel_fill.capacity = f->plan->channel_capacity;
    ev.channel_fill.dropped = dropped;
    ks_sim_emit(sim, &ev);
}

static void emit_sink(KsSim *sim, KsFlume *f, KsEventType type, int64_t events, const char *error)
{
    KsEvent ev = ks_event_init(type, ks_engine_now(sim->engine));
    ev.flume_sink.agent = f->plan->name;
    ev.flume_sink.events = events;
    ev.flume_sink.error = error;
    ks_sim_emit(sim, &ev);
}

/* Once a second while the agent runs: the fill level, if it moved by a
 * tenth of the capacity, and the events dropped since the last line. */
static void report(KsEngine *engine, void *ctx, uint64_t arg)
{
    KsFlume *f = ctx;
    if (!f->alive)
        return;
    int64_t dropped = f->dropped - f->dropped_reported;
    int64_t moved = ks_flume_fill(f) - f->last_reported;
    if (moved >= report_step(f) || -moved >= report_step(f) || dropped > 0) {
        f->last_reported = ks_flume_fill(f);
        f->dropped_reported = f->dropped;
        emit_fill(f->sim, f, KS_EV_CHANNEL_FILL, dropped);
    }
    ks_timer_arm(engine, &f->report_timer, REPORT_EVERY);
}

/* ---- source ---- */

static int64_t rate_at(const KsPlanFlume *pf, KsTime t)
{
    if (pf->peak_every > 0 && t % pf->peak_every < pf->peak_for)
        return pf->peak_rate;
    return pf->rate_per_s;
}

/* The next put: when source_batch more events have arrived at the rate of
 * now. */
static void arm_source(KsSim *sim, KsFlume *f)
{
    int64_t rate = rate_at(f->plan, ks_engine_now(sim->engine));
    KsTime gap = (f->plan->source_batch * KS_TIME_S + rate - 1) / rate;
    ks_timer_arm(sim->engine, &f->source_timer, MAX(gap, 1));
}

static void source_put(KsEngine *engine, void *ctx, uint64_t arg)
{
    KsFlume *f = ctx;
    KsSim *sim = f->sim;
    int64_t n = f->plan->source_batch;
    f->received += n;
    if (ks_flume_fill(f) + n > f->plan->channel_capacity) {
        f->dropped += n;
        if (!f->refusing) {
            f->refusing = true;
            emit_fill(sim, f, KS_EV_CHANNEL_FULL, n);
        }
    } else {
        f->refusing = false;
        f->queued += n;
        f->max_fill = MAX(f->max_fill, ks_flume_fill(f));
    }
    arm_source(sim, f);
}

/* ---- sink ---- */

static void backoff(KsSim *sim, KsFlume *f, KsTime sleep)
{
    ks_timer_arm(sim->engine, &f->sink_timer, sleep);
}

static void commit_take(KsFlume *f)
{
    f->delivered += f->taken;
    f->taken = 0;
}

static void rollback_take(KsSim *sim, KsFlume *f, const char *error)
{
    int64_t n = f->taken;
    f->rolled_back += n;
    f->queued += n;
    f->taken = 0;
    emit_sink(sim, f, KS_EV_SINK_ROLLED_BACK, n, error);
}

/* Every record of the take settled: commit or roll back, then poll again. */
static void sink_settled(KsSim *sim, void *owner, int64_t records, bool acked)
{
    KsFlume *f = owner;
    f->waiting -= records;
    f->failed |= !acked;
    if (f->waiting > 0)
        return;
    if (f->failed) {
        rollback_take(sim, f, "EventDeliveryException: failed to publish events");
        backoff(sim, f, BACKOFF_MAX);
    } else {
        commit_take(f);
        backoff(sim, f, 0);
    }
}

static void roll_file(KsEngine *engine, void *ctx, uint64_t arg)
{
    KsFlume *f = ctx;
    f->files_rolled++;
    emit_sink(f->sim, f, KS_EV_HDFS_FILE_ROLLED, f->file_events, NULL);
    f->file_events = 0;
}

static void sink_poll(KsEngine *engine, void *ctx, uint64_t arg)
{
    KsFlume *f = ctx;
    KsSim *sim = f->sim;
    if (!f->alive)
        return;
    if (f->writing) { /* an HDFS write ended: the take commits */
        f->writing = false;
        f->file_events += f->taken;
        if (!ks_timer_is_armed(&f->roll_timer))
            ks_timer_arm(engine, &f->roll_timer, f->plan->roll_interval);
        commit_take(f);
    }
    int64_t n = MIN(f->plan->batch_size, f->queued);
    if (n == 0) {
        f->backoffs++;
        backoff(sim, f, MIN(f->backoffs * BACKOFF_STEP, BACKOFF_MAX));
        return;
    }
    f->backoffs = 0;
    f->queued -= n;
    f->taken = n;
    if (f->plan->sink == KS_FLUME_SINK_HDFS) {
        f->writing = true;
        ks_timer_arm(engine, &f->sink_timer,
                     MAX((n * KS_TIME_S + f->plan->write_rate - 1) / f->plan->write_rate, 1));
        return;
    }
    f->waiting = n;
    f->failed = false;
    ks_producer_send(sim, f->producer, n, NULL, -1);
}

/* ---- the process ---- */

static void start(KsSim *sim, KsFlume *f, KsEventType type)
{
    f->alive = true;
    f->refusing = false;
    f->backoffs = 0;
    emit_agent(sim, f, type, 0);
    f->last_reported = ks_flume_fill(f);
    f->dropped_reported = f->dropped;
    arm_source(sim, f);
    ks_timer_arm(sim->engine, &f->sink_timer, 0);
    ks_timer_arm(sim->engine, &f->report_timer, REPORT_EVERY);
}

void ks_flume_start_all(KsSim *sim)
{
    for (guint i = 0; i < sim->flumes->len; i++)
        start(sim, g_ptr_array_index(sim->flumes, i), KS_EV_FLUME_STARTED);
}

void ks_flume_action_crash(KsSim *sim, const KsPlanAction *a)
{
    KsFlume *f = ks_flume_find(sim, a->name);
    if (!f->alive) {
        ks_sim_note(sim, a->loc.line, "flume agent %s is already down", f->plan->name);
        return;
    }
    f->alive = false;
    if (f->producer) { /* the sink's producer dies with the process */
        f->producer->on_settled = NULL;
        ks_producer_abandon(sim, f->producer);
    }
    ks_timer_cancel(sim->engine, &f->source_timer);
    ks_timer_cancel(sim->engine, &f->sink_timer);
    ks_timer_cancel(sim->engine, &f->roll_timer);
    ks_timer_cancel(sim->engine, &f->report_timer);
    f->writing = false;
    f->waiting = 0;
    f->file_events = 0;
    int64_t lost = 0;
    if (f->plan->channel == KS_FLUME_CHANNEL_MEMORY) {
        lost = ks_flume_fill(f);
        f->queued = 0;
    } else {
        f->queued += f->taken; /* the open take is rolled back on replay */
    }
    f->taken = 0;
    f->lost += lost;
    emit_agent(sim, f, KS_EV_FLUME_CRASHED, lost);
}

void ks_flume_action_restart(KsSim *sim, const KsPlanAction *a)
{
    KsFlume *f = ks_flume_find(sim, a->name);
    if (f->alive) {
        ks_sim_note(sim, a->loc.line, "flume agent %s is already running", f->plan->name);
        return;
    }
    if (f->plan->sink == KS_FLUME_SINK_KAFKA) {
        new_producer(sim, f);
        ks_producer_start(sim, f->producer);
    }
    start(sim, f, KS_EV_FLUME_RESTARTED);
}
