/* SPDX-License-Identifier: MIT */
/*
 * flume-private.h - Flume agents (flume.c): a source, a channel and a sink
 * each, the sink writing to Kafka through a producer of producer.c or to
 * HDFS.
 *
 * Private to sim/. Included by flume.c (first), by sim.c (builds, starts
 * and frees the agents, runs their actions), check.c and query-flume.c
 * (read them) and by the model's tests. Every field is written by flume.c.
 */
#pragma once

#include "model.h"

struct KsFlume {
    KsSim *sim; /* owner, for engine callbacks */
    const KsPlanFlume *plan;
    bool alive; /* the agent's process runs */
    /* The Kafka sink's producer: in sim->producers, which owns it; a new
     * one after every restart (the old one finishes what it sent). NULL
     * with an HDFS sink. */
    KsProducer *producer;
    KsPlanProducer producer_plan; /* what it is built from: borrows the plan's strings */
    /* Source: events arrive at the plan's rate (or peak rate) and are put
     * into the channel source_batch at a time. */
    KsTimer source_timer;
    /* Channel: `queued` events wait for the sink; `taken` are in the
     * sink's open transaction, still counted against the capacity
     * (MemoryChannel releases their room when the take commits). */
    int64_t queued;
    int64_t taken;
    int64_t max_fill;
    /* Sink. */
    KsTimer sink_timer;  /* the sink runner's next poll, or an HDFS write's end */
    bool writing;        /* HDFS: a write is under way */
    int64_t waiting;     /* Kafka: records of the open take not yet settled */
    bool failed;         /* Kafka: one of them was refused */
    int64_t backoffs;    /* polls in a row that found the channel empty */
    int64_t file_events; /* HDFS: events in the open file */
    KsTimer roll_timer;  /* HDFS: hdfs.rollInterval of the open file */
    /* Counters, over the whole run. */
    int64_t received;    /* events that reached the source */
    int64_t dropped;     /* refused by a full channel (ChannelFullException) */
    int64_t lost;        /* in a memory channel when the agent died */
    int64_t delivered;   /* taken by a committed sink transaction */
    int64_t rolled_back; /* taken by a sink transaction that failed */
    int64_t files_rolled;
    /* Timeline: the fill level is reported once a second at most. */
    KsTimer report_timer;
    int64_t last_reported;    /* the fill level last reported */
    int64_t dropped_reported; /* dropped as of the last report */
    bool refusing;            /* the last put was refused */
};

/* Builds the agents of the plan (their producers go into sim->producers). */
void ks_flume_build(KsSim *sim);
void ks_flume_free(KsFlume *flume);
/* Starts every agent at time 0. */
void ks_flume_start_all(KsSim *sim);
KsFlume *ks_flume_find(const KsSim *sim, const char *name);
/* Events in the channel: queued and taken. */
int64_t ks_flume_fill(const KsFlume *flume);
/* The channel's and the sink's names: "memory", "file"; "kafka", "hdfs". */
const char *ks_flume_channel_name(KsFlumeChannel channel);
const char *ks_flume_sink_name(KsFlumeSink sink);

/* Timeline actions. */
void ks_flume_action_crash(KsSim *sim, const KsPlanAction *action);
void ks_flume_action_restart(KsSim *sim, const KsPlanAction *action);
