/* SPDX-License-Identifier: MIT */
/*
 * capacity.h - machines with limits, and what a run costs (see capacity.c).
 *
 * Private to sim/. The sim owns one KsCapacity when some node has a type
 * (sim->capacity; NULL otherwise, and then nothing here is ever asked and
 * every transfer takes no time). Each typed node points at its own
 * KsCapacityNode (KsNode.cap), owned by the KsCapacity.
 */
#pragma once

#include <stdbool.h>
#include <stdint.h>

#include <glib.h>

#include "kafkasim/plan.h"
#include "kafkasim/types.h"
#include "net.h"

typedef struct KsCapacity KsCapacity;
typedef struct KsCapacityNode KsCapacityNode;
typedef struct KsTopic KsTopic;

/* Builds sim->capacity from the plan's node types, or leaves it NULL when
 * no node has one. A builder of sim.c's table; never fails. */
bool ks_capacity_build(KsSim *sim, GError **error);
void ks_capacity_free(KsCapacity *cap);
/* Gives @node (declared as @pn) its type, site and load, billed from now;
 * nothing when @cap is NULL. */
void ks_capacity_add_node(KsSim *sim, KsCapacity *cap, KsNode *node, const KsPlanNode *pn);

/* How much longer than its latency a message of @bytes takes from @from to
 * @to, sent now: the time it waits for, and spends on, the sender's
 * network, the receiver's, and for writes (@kind a produce request or a
 * fetch response) the receiver's disk. Books that time on the three and
 * counts the bytes by kind of transfer. 0 when sim->capacity is NULL or
 * @bytes is 0. The one call net.c makes. */
KsTime ks_capacity_transfer(KsSim *sim, const KsNode *from, const KsNode *to, KsNetKind kind,
                            int64_t bytes);
/* Whether two machines are on different sites (their messages cross a
 * WAN; net.c's `network cross-site=` latency). */
bool ks_capacity_across_sites(const KsSim *sim, const KsNode *from, const KsNode *to);

/* Gives @node the plan's type called @type (declared or from the table),
 * its queues idle; returns the name of its type before, or NULL (none). */
const char *ks_capacity_set_node_type(KsSim *sim, KsNode *node, const char *type);

/* Bytes per record of @topic: the largest record-size of the producers
 * that write it (KS_DEFAULT_RECORD_SIZE if none say). */
int64_t ks_capacity_record_bytes(const KsSim *sim, const KsTopic *topic);
