/* SPDX-License-Identifier: MIT */
/*
 * support.c - what the simulator can run today (see support.h).
 *
 * No list here: every answer is read from the table of the module that does
 * the work, so a feature is supported exactly when it has code. Actions:
 * sim.c's dispatch table (a kind with a handler); declarations: sim.c's
 * builders; expectations: check.c's evaluators; statistics: check.c's stats
 * table. Partitioners are all implemented (partitioner.c, producer.c).
 */
#include "kafkasim/support.h"

#include "actions-private.h"

bool ks_support_decl(KsDeclKind kind)
{
    return ks_sim_has_decl_builder(kind);
}

bool ks_support_action(KsActionKind kind)
{
    return ks_sim_has_action_handler(kind);
}

bool ks_support_expect(KsExpectKind kind)
{
    return ks_check_has_evaluator(kind);
}

bool ks_support_partitioner(KsPartitionerKind kind)
{
    switch (kind) {
    case KS_PARTITIONER_DEFAULT:
    case KS_PARTITIONER_KEY:
    case KS_PARTITIONER_ROUND_ROBIN:
    case KS_PARTITIONER_STICKY:
    case KS_PARTITIONER_EXPLICIT:
        return true;
    }
    return false;
}

bool ks_support_stat(KsStatKind kind)
{
    return ks_check_has_stat(kind);
}
