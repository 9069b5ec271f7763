/* SPDX-License-Identifier: MIT */
/*
 * sim.h - one simulation run: a plan turned into a model, driven by the
 * engine along the plan's timeline.
 *
 * ks_sim_new() builds the cluster the plan declares (nodes, brokers, topics
 * placed as Kafka places them, producers) and schedules the timeline;
 * ks_sim_run() advances simulated time to the end, emitting KsEvents to
 * every sink; ks_sim_finish() checks the end-of-run expectations. The run is
 * a pure function of the plan and the seed: no wall clock, no global state,
 * so two runs with the same inputs emit the same events byte for byte.
 *
 * The run and its steps. Simulated time moves only through the engine's
 * events, run in (time, scheduling order). A step is exactly one engine
 * event: a request arriving, a timer firing, a timeline action. One event
 * may emit any number of KsEvents (a broker crash emits its own, the
 * controller's elections and ISR changes), or none (most fetches). Start-up
 * (brokers register, topics are created, producers start) is not an engine
 * event: it happens once, at time 0, before the first event runs, whichever
 * of ks_sim_run(), ks_sim_run_until() or ks_sim_step() comes first. However
 * a run is cut up (one ks_sim_run(), ks_sim_run_until() in slices, one
 * ks_sim_step() at a time, or a mix) the events and their order are the
 * same, so a REPL or a --step mode sees exactly what a plain run prints.
 * The run functions are driven from outside: a sink must not call them (it
 * runs inside an event), though it may add actions.
 *
 * A running sim takes new timeline actions (ks_sim_add_action()): they run
 * at their time, after whatever was already scheduled for that instant.
 * Everything the views show is read through the queries of query.h, which
 * never change state; reading between two steps changes nothing that
 * follows.
 */
#pragma once

#include <stdbool.h>
#include <stdint.h>

#include <glib.h>

#include "kafkasim/event.h"
#include "kafkasim/plan.h"
#include "kafkasim/types.h"

/* The counters of the summary's "stats" object. The records_* ones come
 * from the ledger (sim/ledger.c): produced = pending + acked + refused. */
typedef struct {
    uint64_t events;          /* engine events run */
    int64_t records_produced; /* records the applications handed to producers */
    int64_t records_pending;  /* handed to a producer, not yet acknowledged or refused */
    int64_t records_acked;    /* records acknowledged to the producer */
    int64_t records_refused;  /* records the producer gave up on (an error it
                                 could not retry, or delivery.timeout.ms) */
    int64_t records_lost;     /* acknowledged records no longer in the log */
    /* records_lost by cause (they add up to it; sim/ledger.c): an unclean
     * election, unflushed data at a power loss, an acknowledgement by a
     * leader whose epoch was superseded, acks=0/1 records not yet copied at
     * a clean failover. */
    int64_t records_lost_unclean;
    int64_t records_lost_power_loss;
    int64_t records_lost_zombie;
    int64_t records_lost_acks1_failover;
    int64_t records_consumed;
    int64_t records_duplicated;
    int64_t leader_elections; /* leader changes made by the controller */
    int64_t rebalances;
    KsTime unavailable_us; /* partition-time without a live leader */
    int64_t produce_requests;
    int64_t fetch_requests;
} KsSimStats;

/* The outcome of one expectation. */
typedef struct {
    int line;
    char *text; /* the condition as written */
    KsTime t;   /* when it was checked */
    bool held;
    char *actual; /* what the model showed, e.g. "leader orders-0 is 3" */
} KsExpectResult;

/* Builds the model of @plan (borrowed: it must outlive the sim). @seed
 * overrides the plan's seed when @has_seed (else the plan's `seed`, else 1).
 * @end is when the run stops: the plan's end, or earlier (--until). Returns
 * a new sim (free with ks_sim_free()), or NULL with @error set to a
 * "FILE:LINE:COL: error: ..." message when Kafka itself would refuse the
 * cluster (a topic whose brokers have racks only in part). */
KsSim *ks_sim_new(const KsPlan *plan, bool has_seed, uint64_t seed, KsTime end, GError **error);

/* Frees @sim; NULL is a no-op. */
void ks_sim_free(KsSim *sim);

/* With @verbose, the model also emits a KS_EV_REQUEST for every request a
 * producer, a follower or a consumer sends (produce, fetch, heartbeats,
 * commits, ...): for small scenarios (--verbose). Emitting is not an engine
 * event: the run is the same either way. Off by default. */
void ks_sim_set_verbose(KsSim *sim, bool verbose);

/* Adds a view: @fn(event, @ctx) receives every event from now on. */
void ks_sim_add_sink(KsSim *sim, KsEventSinkFn fn, void *ctx);

/* Starts the cluster (brokers register, a controller is elected, topics are
 * created, producers start) at time 0 unless started already, then runs
 * every event up to the end; the clock ends at the end. */
void ks_sim_run(KsSim *sim);

/* Like ks_sim_run() but stops at @t: runs every event due at or before @t
 * (events those events schedule for @t included), then sets the clock to
 * @t. @t must be between ks_sim_now() and ks_sim_end(); call it again with
 * a later @t to go on. */
void ks_sim_run_until(KsSim *sim, KsTime t);

/* Runs exactly one engine event (after start-up, if the sim has not
 * started) and returns true; the clock is then at that event's time.
 * Returns false when no event is left at or before the end: the clock is
 * then at the end, as after ks_sim_run(). */
bool ks_sim_step(KsSim *sim);

/* When the next engine event will run, or KS_TIME_NEVER if none is left at
 * or before the end. Changes nothing. */
KsTime ks_sim_next_event_time(const KsSim *sim);

/* When the run stops: the @end given to ks_sim_new(). */
KsTime ks_sim_end(const KsSim *sim);

/* Adds @action to the timeline of a running (or not yet started) sim. Takes
 * ownership of @action in every case: the sim keeps it until
 * ks_sim_free(), or frees it at once on failure. The action must be valid
 * against the sim's plan, as the scenario parser makes them (every broker,
 * node, topic and producer it names exists). It runs at @action->at (and
 * then every @action->every, until the end), after the events already
 * scheduled for that instant; an action due now runs at the next
 * ks_sim_step() or ks_sim_run_until(). Returns false with @error
 * (KS_SIM_ERROR_TIME) if @action->at is before ks_sim_now() or after the
 * end, or (KS_SIM_ERROR_UNSUPPORTED) if the model cannot run its kind (see
 * ks_support_action()). */
bool ks_sim_add_action(KsSim *sim, KsPlanAction *action, GError **error);

/* Evaluates @expect (borrowed; a kind ks_support_expect() accepts) now,
 * records the result with the other expectation results (the summary and
 * ks_sim_all_held() count it) and emits it as a KS_EV_EXPECT, as a timed
 * `expect` action does. Returns the result, borrowed from @sim. */
const KsExpectResult *ks_sim_check_expect_now(KsSim *sim, const KsPlanExpect *expect);

/* The scenario's name of an action kind, e.g. "crash broker". Static. */
const char *ks_sim_action_name(KsActionKind kind);

/* Checks the end-of-run expectations, after ks_sim_run(). */
void ks_sim_finish(KsSim *sim);

/* Current simulated time. */
KsTime ks_sim_now(const KsSim *sim);

/* Copies the statistics so far into *@out, with the derived counters
 * (unavailability, lost records, events) computed for this moment. */
void ks_sim_get_stats(const KsSim *sim, KsSimStats *out);

/* The expectation results so far, in the order they were checked: timed ones
 * as their time came, then the end-of-run ones in file order. Borrowed; of
 * KsExpectResult*. */
const GPtrArray *ks_sim_expect_results(const KsSim *sim);

/* Whether every expectation checked so far held. */
bool ks_sim_all_held(const KsSim *sim);

#define KS_SIM_ERROR (ks_sim_error_quark())
GQuark ks_sim_error_quark(void);

typedef enum {
    KS_SIM_ERROR_INVARIANT,   /* the model's state broke one of its invariants */
    KS_SIM_ERROR_TIME,        /* an added action is due before now or after the end */
    KS_SIM_ERROR_UNSUPPORTED, /* an added action the model cannot run yet */
} KsSimError;

/* Checks the model's invariants (sim/invariants.c lists them: ISR and
 * leader, logs and leader-epoch caches, the committed prefix, fetch
 * sessions, the controller's view, producers' accumulators, requests and
 * purgatories, the record counts, the ledger's lost records against a
 * count from scratch). They hold between engine events, so call
 * it from outside the engine, or after the event that is running returns.
 * Returns true, or false with @error (KS_SIM_ERROR_INVARIANT) saying in
 * words, with the time, the first one broken. Costs one pass over the
 * state. */
bool ks_sim_check_invariants(const KsSim *sim, GError **error);

G_DEFINE_AUTOPTR_CLEANUP_FUNC(KsSim, ks_sim_free)
