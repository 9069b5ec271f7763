/* SPDX-License-Identifier: MIT */
/*
 * actions-private.h - timeline actions and what the model can run.
 *
 * Private to sim/. Every KsActionKind has one entry in sim.c's dispatch
 * table: its name and its handler, a function of the module that owns the
 * behaviour (broker and node lifecycle in broker.c, producers in
 * producer.c, elect-preferred in controller.c, narration and expectations in
 * sim.c). A kind whose handler is NULL is one the model cannot run yet, and
 * ks_support_action() says so to the parser: the table is the only list.
 * Expectations (check.c's evaluators), statistics (check.c's stats table)
 * and declarations (sim.c's builders) follow the same rule; support.c only
 * asks these tables.
 */
#pragma once

#include <stdbool.h>

#include <glib.h>

#include "kafkasim/plan.h"
#include "kafkasim/support.h"
#include "kafkasim/types.h"

/* Runs @action (borrowed) now. The plan was validated, so every name it
 * holds exists; a handler that finds the action cannot change anything (a
 * crash of a broker already down) says why with ks_sim_note(). */
typedef void (*KsActionFn)(KsSim *sim, const KsPlanAction *action);

/* Emits a KS_EV_NOTE: the action of line @line changed nothing, and why. */
void ks_sim_note(KsSim *sim, int line, const char *fmt, ...) G_GNUC_PRINTF(3, 4);

/* broker.c: broker and node lifecycle. */
void ks_broker_action_crash(KsSim *sim, const KsPlanAction *action);
void ks_broker_action_restart(KsSim *sim, const KsPlanAction *action);
void ks_broker_action_stop(KsSim *sim, const KsPlanAction *action);
void ks_broker_action_crash_node(KsSim *sim, const KsPlanAction *action);
void ks_broker_action_restart_node(KsSim *sim, const KsPlanAction *action);

/* scaling.c: add broker; resize node (its brokers stop, it changes type,
 * they start again) and rolling-resize (every node in turn, each once the
 * last one's brokers are back in their ISRs). */
void ks_scaling_action_add_broker(KsSim *sim, const KsPlanAction *action);
void ks_scaling_action_resize_node(KsSim *sim, const KsPlanAction *action);
void ks_scaling_action_rolling_resize(KsSim *sim, const KsPlanAction *action);
/* add node NAME ...: a new machine, up, with no broker yet. */
void ks_scaling_action_add_node(KsSim *sim, const KsPlanAction *action);

/* producer.c */
void ks_producer_action_start(KsSim *sim, const KsPlanAction *action);
void ks_producer_action_stop(KsSim *sim, const KsPlanAction *action);
/* `produce`: through the named producer, or the topic's console producer
 * (created on first use, with Kafka's default configs and the `set`
 * defaults). */
void ks_producer_action_produce(KsSim *sim, const KsPlanAction *action);

/* consumer.c: start (a declared consumer again, or a new one), stop
 * (close(): commit, LeaveGroup) and crash (silent: found at the session
 * timeout). */
void ks_consumer_action_start(KsSim *sim, const KsPlanAction *action);
void ks_consumer_action_stop(KsSim *sim, const KsPlanAction *action);
void ks_consumer_action_crash(KsSim *sim, const KsPlanAction *action);
/* consumer-seek.c: seek consumer NAME [PARTITION] to-offset=N|to-time=T. */
void ks_consumer_action_seek(KsSim *sim, const KsPlanAction *action);
/* group-load.c: delete group NAME (kafka-consumer-groups.sh --delete). */
void ks_group_action_delete(KsSim *sim, const KsPlanAction *action);

/* controller.c: kafka-leader-election --election-type PREFERRED. */
void ks_controller_action_elect_preferred(KsSim *sim, const KsPlanAction *action);

/* The tables behind support.h. */
bool ks_sim_has_action_handler(KsActionKind kind);
bool ks_sim_has_decl_builder(KsDeclKind kind);
bool ks_check_has_evaluator(KsExpectKind kind);
bool ks_check_has_stat(KsStatKind kind);
/* The counter @kind now, as `expect` compares it and the summary's "stats"
 * shows it; @kind must have a row (ks_check_has_stat()). */
int64_t ks_check_stat(const KsSim *sim, KsStatKind kind);
