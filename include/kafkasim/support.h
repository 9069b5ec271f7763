/* SPDX-License-Identifier: MIT */
/*
 * support.h - what the simulator can run today.
 *
 * The scenario language is larger than the model behind it: it parses every
 * declaration, action and condition of the design, and asks these functions
 * whether the model can run it. What the model cannot run is refused by the
 * parser with a "not supported yet" error, so a scenario never silently does
 * less than it says.
 *
 * The answers come from the model's own tables, so nothing is listed twice:
 * an action is supported when sim.c's dispatch table has a handler for it, a
 * declaration when sim.c has a builder for it, a condition or a statistic
 * when check.c has an evaluator or a counter for it. A module supports a new
 * feature by filling its table entry. The functions live in the model
 * library (sim/support.c), so a program that parses scenarios links
 * kafkasim_dep.
 */
#pragma once

#include <stdbool.h>

#include "kafkasim/plan.h"

typedef enum {
    KS_DECL_SEED,
    KS_DECL_SET,
    KS_DECL_CLUSTER,
    KS_DECL_NODE,
    KS_DECL_BROKER,
    KS_DECL_ZOOKEEPER,
    KS_DECL_TOPIC,
    KS_DECL_PRODUCER,
    KS_DECL_FLUME,
    KS_DECL_GROUP,
    KS_DECL_CONSUMER,
    KS_DECL_NODE_TYPE,
    KS_DECL_SITE,
    KS_DECL_NETWORK,
    KS_DECL_LINK,
} KsDeclKind;

/* Whether the model can run a declaration, a timeline action, an `expect`
 * condition, a partitioner, a statistic of `expect STAT OP N`. Kinds out of
 * range are not supported. */
bool ks_support_decl(KsDeclKind kind);
bool ks_support_action(KsActionKind kind);
bool ks_support_expect(KsExpectKind kind);
bool ks_support_partitioner(KsPartitionerKind kind);
bool ks_support_stat(KsStatKind kind);
