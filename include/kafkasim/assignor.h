/* SPDX-License-Identifier: MIT */
/*
 * assignor.h - Kafka's consumer partition assignors (classic group
 * protocol): "range", "roundrobin", "sticky", "cooperative-sticky", as the
 * group leader runs them in Kafka 3.9 (RangeAssignor, RoundRobinAssignor,
 * StickyAssignor, CooperativeStickyAssignor).
 *
 * A pure function of the group's members and the topic metadata: no state,
 * no randomness. The essay at the top of sim/assignor.c says what each
 * assignor does and what is not modelled.
 */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <glib.h>

#include "kafkasim/event.h"
#include "kafkasim/plan.h"

/* KsAssignorKind (the assignors a group can agree on, by protocol name) and
 * KsRebalanceProtocol (ConsumerPartitionAssignor.RebalanceProtocol: EAGER or
 * COOPERATIVE) are the scenario plan's, so a group's plan feeds the assignor
 * directly. */

/* AbstractStickyAssignor.DEFAULT_GENERATION: a member that reports no
 * generation (a new member, or a subscription without one). */
#define KS_ASSIGNOR_NO_GENERATION ((int32_t)-1)

/* KsTopicPartition (one partition of one topic; @topic is borrowed, see
 * each function) is the event stream's, so an assignment can be reported
 * as it is. */

/* A topic as the leader's metadata knows it. Topics with no partitions, or
 * missing from the list, do not exist; subscribing to them is not an error,
 * they are simply not assigned (AbstractPartitionAssignor). */
typedef struct {
    const char *name;
    int32_t n_partitions;
} KsAssignorTopic;

/* A member's JoinGroup subscription, as the leader sees it. */
typedef struct {
    const char *member_id;         /* unique in the group */
    const char *group_instance_id; /* NULL: a dynamic member */
    const char *const *topics;     /* subscribed topic names, in any order */
    size_t n_topics;
    /* sticky and cooperative-sticky only (ignored by range and roundrobin):
     * the partitions the member reports it owned, and the generation it
     * owned them in (StickyAssignor: its user data; CooperativeStickyAssignor:
     * ownedPartitions and generationId), KS_ASSIGNOR_NO_GENERATION if none. */
    const KsTopicPartition *owned;
    size_t n_owned;
    int32_t generation;
} KsAssignorMember;

/* The result of one assignment. Opaque; read it with the accessors. */
typedef struct KsAssignment KsAssignment;

/* Parses a protocol name ("range", "roundrobin", "sticky",
 * "cooperative-sticky") into @out_kind. Returns false, leaving @out_kind
 * untouched, for any other name. */
bool ks_assignor_parse(const char *name, KsAssignorKind *out_kind);

/* The protocol name of @kind, a static string. */
const char *ks_assignor_name(KsAssignorKind kind);

/* The rebalance protocol a group using only @kind follows: COOPERATIVE for
 * cooperative-sticky (the only one that supports it), else EAGER. */
KsRebalanceProtocol ks_assignor_protocol(KsAssignorKind kind);

/* Runs assignor @kind over @members (n_members >= 0, member ids unique)
 * and the metadata @topics (names unique). Every member gets an entry, maybe
 * empty. For cooperative-sticky the result is what the leader sends in this
 * rebalance: a partition that moves from one member to another is withheld
 * (assigned to nobody) so its owner revokes it first; the follow-up
 * rebalance, where it is no longer owned, hands it over
 * (ks_assignment_n_withheld() says whether one is needed).
 *
 * The result borrows the member ids and topic names of @members and
 * @topics: they must outlive it. Returns a new assignment; free with
 * ks_assignment_free(). Input Kafka would ignore (owned partitions of
 * topics no one subscribes to, or beyond a topic's partition count) is
 * ignored. NULL member ids, topic names, or arrays with a non-zero count
 * are programmer errors (g_return_val_if_fail, returns NULL).
 *
 * Pass @members in the order the leader received them (the JoinGroup
 * response order): the sticky assignors visit members in the order of
 * Kafka's HashMap of member ids, and insertion order decides among ids that
 * share a bucket. */
KsAssignment *ks_assignor_assign(KsAssignorKind kind, const KsAssignorTopic *topics,
                                 size_t n_topics, const KsAssignorMember *members,
                                 size_t n_members);

/* Frees @a; accepts NULL. */
void ks_assignment_free(KsAssignment *a);

/* The number of members, the same as given to ks_assignor_assign(). */
size_t ks_assignment_n_members(const KsAssignment *a);

/* The member id of member @i, in the order given to ks_assignor_assign(). */
const char *ks_assignment_member_id(const KsAssignment *a, size_t i);

/* Member @i's partitions, sorted by topic name, then partition number;
 * @out_n receives the count. Borrowed from @a; NULL when the count is 0. */
const KsTopicPartition *ks_assignment_partitions(const KsAssignment *a, size_t i, size_t *out_n);

/* The index of the member whose id is @member_id, or -1. */
ptrdiff_t ks_assignment_find(const KsAssignment *a, const char *member_id);

/* cooperative-sticky only: how many partitions this assignment withholds
 * because they must first be revoked from their current owner (Kafka's
 * partitionsTransferringOwnership). 0 for the other assignors. */
size_t ks_assignment_n_withheld(const KsAssignment *a);

/* Withheld partition @i (i < ks_assignment_n_withheld()), in topic and
 * partition order, and in @out_member the index of the member it will go to
 * once revoked. */
KsTopicPartition ks_assignment_withheld(const KsAssignment *a, size_t i, size_t *out_member);

G_DEFINE_AUTOPTR_CLEANUP_FUNC(KsAssignment, ks_assignment_free)
