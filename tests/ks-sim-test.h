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
 * The state at an instant is read through the query API (kafkasim/query.h),
 * as the views read it; the helpers below name partitions by topic name and
 * replicas by broker id. A test that needs what no query shows (the
 * leader's record of a follower's fetch, a producer's requests in flight)
 * includes sim/model.h itself and says why.
 */
#pragma once

#include "ks-test.h"

#include "kafkasim/event.h"
#include "kafkasim/plan.h"
#include "kafkasim/query-groups.h"
#include "kafkasim/query.h"
#include "kafkasim/sim.h"

typedef struct {
    KsEvent ev; /* the integer, time, broker and reason fields; no pointers */
    char *json; /* its trace line */
} KsSimTestEvent;

typedef struct {
    KsPlan *plan;
    KsSim *sim;
    GPtrArray *events; /* of KsSimTestEvent*, in emit order */
} KsSimTest;

/* scenarios/quickstart.ks without its narration and checks: broker 2 of
 * three crashes at 3 s (it leads orders-1) and restarts at 25 s. */
#define KS_SIM_TEST_QUICKSTART                                                                     \
    "seed 42\n"                                                                                    \
    "cluster nodes=3 brokers-per-node=1\n"                                                         \
    "topic orders partitions=3 replication-factor=3 min.insync.replicas=2 "                        \
    "replica-placement-start=0\n"                                                                  \
    "producer web topic=orders rate=200/s keys=100 acks=all\n"                                     \
    "at 3s crash broker 2\n"                                                                       \
    "at 25s restart broker 2\n"                                                                    \
    "run until 30s\n"

/* Parses @text and builds its sim; fails the test if either refuses. */
KsSimTest *ks_sim_test_new(const char *text);
void ks_sim_test_free(KsSimTest *t);

/* Runs every engine event up to and including @until. */
void ks_sim_test_run_until(KsSimTest *t, KsTime until);
/* Runs the events of the next instant that has any; false at the end. */
bool ks_sim_test_next_instant(KsSimTest *t);
/* Runs to the scenario's end. */
void ks_sim_test_run(KsSimTest *t);

/* The first event at or after @from whose trace line contains @match, or
 * NULL. */
const KsSimTestEvent *ks_sim_test_find(const KsSimTest *t, KsTime from, const char *match);
/* How many events in [@from, @to] have @match in their trace line. */
int ks_sim_test_count(const KsSimTest *t, KsTime from, KsTime to, const char *match);

/* Partition @index of @topic now (its isr is valid until the sim runs
 * again); fails the test if there is none. */
KsPartitionInfo ks_sim_test_partition(const KsSimTest *t, const char *topic, int32_t index);
/* Broker @id's replica of that partition now. */
KsReplicaInfo ks_sim_test_replica(const KsSimTest *t, const char *topic, int32_t index,
                                  KsBrokerId id);
/* The broker of replica @i (assignment order) of that partition. */
KsBrokerId ks_sim_test_assigned(const KsSimTest *t, const char *topic, int32_t index, int32_t i);
/* The ISR of that partition, in stored order, e.g. "2,3,1" (free it). */
char *ks_sim_test_isr(const KsSimTest *t, const char *topic, int32_t index);
/* Broker @id now. */
KsBrokerInfo ks_sim_test_broker(const KsSimTest *t, KsBrokerId id);
/* The start offset of @epoch in broker @id's leader-epoch cache of that
 * partition, or -1 if the cache has no such epoch. */
int64_t ks_sim_test_epoch_start(const KsSimTest *t, const char *topic, int32_t index, KsBrokerId id,
                                int32_t epoch);

/* Consumer group @name now (kafkasim/query-groups.h); fails the test if
 * there is none. */
KsGroupInfo ks_sim_test_group(const KsSimTest *t, const char *name);
/* The records consumer @consumer processed (fails the test if there is no
 * such consumer). */
int64_t ks_sim_test_consumed(const KsSimTest *t, const char *consumer);

G_DEFINE_AUTOPTR_CLEANUP_FUNC(KsSimTest, ks_sim_test_free)
