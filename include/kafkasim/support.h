/* SPDX-License-Identifier: MIT */
/*
 * support.h - what the simulator can run today.
 *
 * The scenario language is larger than the model behind it: it parses every
 * declaration, action and condition of the design, and asks these functions
 * whether the model can run it. What the model cannot run is refused by the
 * parser with a "not supported yet" error, so a scenario never silently does
 * less than it says. Each module flips its own entries as it grows.
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
} KsDeclKind;

bool ks_support_decl(KsDeclKind kind);
bool ks_support_action(KsActionKind kind);
bool ks_support_expect(KsExpectKind kind);
bool ks_support_partitioner(KsPartitionerKind kind);
bool ks_support_stat(KsStatKind kind);
