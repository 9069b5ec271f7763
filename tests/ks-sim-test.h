/* SPDX-License-Identifier: MIT */
/*
 * ks-sim-test.h - a whole simulation built from a scenario written inline,
 * for the tests of one model module's rules (test-broker.c, ...).
 *
 * ks_sim_test_new() parses the text and builds the sim (a bad scenario
 * fails the test with the parser's message); ks_sim_test_run_until() runs
 * it up to and including a simulated time, as often as wanted, and
 * ks_sim_test_run() to the scenario's `run until`. Every event of the run is
 * kept: its time, type and integer fields (strings and lists are borrowed
 * only while an event is emitted, so the copy clears them) and its trace
 * line, which the finders match by substring, e.g.
 * "\"type\":\"isr_shrunk\",\"topic\":\"t\",\"partition\":0,\"broker\":3".
 *
 * The tests read the model's state through sim/model.h for what events do
 * not show (a replica's log end, the HW); ks_sim_test_partition() and
 * ks_sim_test_replica() are the only lookups they need.
 */
#pragma once

#include "ks-test.h"

#include "kafkasim/event.h"
#include "kafkasim/plan.h"
#include "kafkasim/sim.h"
#include "sim/model.h"

typedef struct {
    KsEvent ev; /* the integer, time, broker and reason fields; no pointers */
    char *json; /* its trace line */
} KsSimTestEvent;

typedef struct {
    KsPlan *plan;
    KsSim *sim;
    GPtrArray *events; /* of KsSimTestEvent*, in emit order */
    bool started;
} KsSimTest;

/* Parses @text and builds its sim; fails the test if either refuses. */
KsSimTest *ks_sim_test_new(const char *text);
void ks_sim_test_free(KsSimTest *t);

/* Runs every engine event up to and including @until. */
void ks_sim_test_run_until(KsSimTest *t, KsTime until);
/* Runs to the scenario's end. */
void ks_sim_test_run(KsSimTest *t);

/* The first event at or after @from whose trace line contains @match, or
 * NULL. */
const KsSimTestEvent *ks_sim_test_find(const KsSimTest *t, KsTime from, const char *match);
/* How many events in [@from, @to] have @match in their trace line. */
int ks_sim_test_count(const KsSimTest *t, KsTime from, KsTime to, const char *match);

/* Partition @index of @topic; fails the test if there is none. */
KsPartition *ks_sim_test_partition(const KsSimTest *t, const char *topic, int32_t index);
/* Broker @id's replica of partition @index of @topic. */
KsReplica *ks_sim_test_replica(const KsSimTest *t, const char *topic, int32_t index, KsBrokerId id);
/* The ISR of partition @index of @topic, in stored order, e.g. "2,3,1". */
char *ks_sim_test_isr(const KsSimTest *t, const char *topic, int32_t index);

G_DEFINE_AUTOPTR_CLEANUP_FUNC(KsSimTest, ks_sim_test_free)
