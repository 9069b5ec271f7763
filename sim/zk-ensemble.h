/* SPDX-License-Identifier: MIT */
/*
 * zk-ensemble.h - the ZooKeeper servers (zk-ensemble.c): which run, which
 * leads, whether a quorum takes writes.
 *
 * Private to sim/. Included by zk-ensemble.c (first), by registry.c and
 * controller.c (nothing is written to ZooKeeper without a quorum), by
 * sim.c (builds it, runs its actions), query-faults.c and invariants.c,
 * and by the model's tests.
 */
#pragma once

#include "model.h"

/* An AlterPartition the controller received while there was no quorum:
 * its ZooKeeper write waits for one. */
typedef struct {
    KsPartition *part;
    uint64_t arg; /* as ks_controller_alter_partition() got it */
} KsZkParkedAlter;

struct KsZkEnsemble {
    /* All written by zk-ensemble.c. */
    int32_t n;           /* servers, ids 1..n */
    bool *up;            /* by id - 1 */
    int32_t *synced;     /* by id - 1: the last epoch it followed (its zxid's epoch) */
    KsNode **nodes;      /* by id - 1: where it runs; NULL: a machine of its own */
    int32_t leader;      /* the leader's id; 0: none (looking) */
    int32_t epoch;       /* leader elections so far */
    KsTimer election;    /* a leader election under way */
    KsTime *acked_until; /* by id - 1: until when the leader counts it as a synced
                          * follower: KS_TIME_NEVER while it follows and is reached, the
                          * cut's instant + syncLimit ticks once cut off, -1: not at all */
    KsTimer step_down;   /* the leader's synced followers drop below a majority */
    bool viable;         /* a leader leads or a majority can elect one (false from
                          * zk_quorum_lost to the next majority) */
    GArray *alters;      /* of KsZkParkedAlter, in arrival order */
};

/* Builds the ensemble the plan declares (one server without a
 * `zookeeper` line); its first leader is elected at once. */
KsZkEnsemble *ks_zk_new(KsSim *sim);
void ks_zk_free(KsZkEnsemble *zk);
/* Whether a leader serves a majority it reaches: ZooKeeper takes writes,
 * creates and deletes nodes, and expires sessions only then. */
bool ks_zk_has_quorum(const KsSim *sim);
/* Whether a process on @node reaches a running server on the quorum's
 * side of any network partition (one that reaches, both ways, a majority
 * of the ensemble's servers, itself included): a broker there renews its
 * session. The ensemble's own leadership follows the same rule. Without a
 * quorum at all, ks_zk_has_quorum says so; this asks only about the
 * network. */
bool ks_zk_reachable(const KsSim *sim, const KsNode *node);
/* The majority of @n servers. */
int32_t ks_zk_majority(int32_t n);
/* The controller's write for an AlterPartition waits for a quorum. */
void ks_zk_park_alter(KsSim *sim, KsPartition *part, uint64_t arg);
/* The machine @node lost power or came back: the servers on it too. */
void ks_zk_node_crashed(KsSim *sim, const KsNode *node);
void ks_zk_node_restarted(KsSim *sim, const KsNode *node);
/* partition-network or heal-network changed which servers reach each
 * other: a leader cut off from its majority steps down syncLimit ticks
 * later, a majority that finds itself without one elects. */
void ks_zk_network_changed(KsSim *sim);

/* Timeline actions. */
void ks_zk_action_crash(KsSim *sim, const KsPlanAction *action);
void ks_zk_action_restart(KsSim *sim, const KsPlanAction *action);
