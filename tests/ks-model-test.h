/* SPDX-License-Identifier: MIT */
/*
 * ks-model-test.h - running a scenario with the model's invariants checked,
 * for the whole-model tests (test-model.c, test-model-regress.c).
 *
 * Each scenario is TEXT, parsed with ks_scenario_parse() and run with
 * ks_sim_check_invariants() called after every engine event that emits a
 * KsEvent: the sink asks the engine to stop once that event returns, so the
 * check sees a settled state, never a controller decision half applied
 * (events are emitted mid-change: a LEADER_ELECTED is announced before the
 * replicas switch fetch sessions). Between those, every SPARSE-th simulated
 * instant is checked too, or every instant (DENSE). After each check the
 * run also verifies that what only moves forward did (leader and controller
 * epochs, a leader's HW and log end within its epoch). A violation fails the
 * test with its message and the scenario, printed as TAP comments: save it
 * as a .ks file and `kafkasim run` it.
 *
 * Environment: KS_MODEL_ONLY=WORD runs the tests whose name contains WORD,
 * KS_MODEL_DENSE=1 checks every instant, KS_MODEL_DUMP=FILE writes each
 * scenario there before it runs.
 *
 * A Run owns its text, plan and sim; run_clear() frees them.
 */
#pragma once

#include "ks-test.h"

#include "kafkasim/plan.h"
#include "kafkasim/sim.h"

typedef struct {
    KsSim *sim;
    uint64_t hash; /* FNV-1a over every event's fields */
    uint64_t n_events;
    int64_t truncations;
    int64_t truncated_records;
    bool emitted; /* since the last check */
    bool plain;   /* no stops, no checks: the run as the program makes it */
} Watch;

/* One run of a scenario, with its text kept for failure messages. */
typedef struct {
    char *text;
    KsPlan *plan;
    KsSim *sim;
    Watch watch;
    KsSimStats stats;
    char *violation; /* the first invariant broken, or NULL */
    GArray *seen;    /* of Progress, by partition: as of the last check */
    int32_t controller_epoch;
} Run;

/* How often the invariants are checked besides after every emitted event:
 * after every @stride-th simulated instant (1: every one). Checking every
 * instant of every scenario costs several times the runs themselves; the
 * dense ones are a sample, and KS_MODEL_DENSE=1 makes every scenario dense. */
enum { DENSE = 1, SPARSE = 61 };

void run_clear(Run *r);

/* Prints @text as TAP comment lines (cmocka cuts long failure messages). */
void print_scenario(const char *text);

/* Fails the test with @msg, after printing the scenario. */
#define fail_scenario(text, ...)                                                                   \
    do {                                                                                           \
        print_scenario(text);                                                                      \
        fail_msg(__VA_ARGS__);                                                                     \
    } while (0)

/* Parses and runs @text with the invariants checked after every event that
 * emitted something and after every @stride-th instant. The first violation
 * is kept in r->violation and ends the checks; unless @collect, it fails
 * the test, showing the scenario. */
void run_scenario(Run *r, const char *name, const char *text, int stride, bool collect);
/* run_scenario() that fails the test on the first violation. */
void run_checked(Run *r, const char *name, const char *text, int stride);
/* Runs @text as the program does, in one ks_sim_run(), hashing its events
 * without stopping or checking. */
void run_plain(Run *r, const char *name, const char *text);

/* Fails unless every expect line of the scenario held. */
void assert_expectations(const Run *r);
/* Liveness at the end: every broker runs, every partition has a leader and
 * a full ISR, every replica has the leader's log end and the leader's high
 * watermark covers it, and no record is still in a producer's buffer. */
void assert_healed(const Run *r);
/* acks=all without unclean election loses no acknowledged record. */
void assert_nothing_lost(const Run *r, bool one_failure_at_a_time);
/* Whether an idempotent producer's records are out of order within one
 * producer epoch: a new message, or NULL. */
char *idempotent_order_violation(const Run *r);
/* Idempotence within a producer epoch: no duplicate, no reordering. */
void assert_idempotent_order(const Run *r);

/* Runs the tests of @all named @group whose name contains KS_MODEL_ONLY (all
 * of them if it is not set); returns cmocka's result. */
int run_model_tests(const char *group, const struct CMUnitTest *all, size_t n_all);
