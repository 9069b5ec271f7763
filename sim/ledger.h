/* SPDX-License-Identifier: MIT */
/*
 * ledger.h - what became of every record: produced, pending, acknowledged,
 * refused, lost; per producer, per partition and in total (sim/ledger.c).
 *
 * Private to sim/. The model modules report each transition once, from
 * where it happens (see the essay in ledger.c); the views and the checks
 * only read. The ledger owns all of its state; it borrows partitions and
 * replicas, which outlive it, and writes one field of a partition, its
 * KsPartition.ledger (a pointer to the partition's accounts).
 */
#pragma once

#include <stdint.h>

#include <glib.h>

#include "model.h"

/* Why an acknowledged record was lost (see the essay in ledger.c). */
typedef enum {
    KS_LOSS_UNCLEAN,        /* an unclean leader election chose a replica without it */
    KS_LOSS_POWER,          /* it was not on disk when its replica's machine lost power */
    KS_LOSS_ZOMBIE,         /* a leader whose epoch was already superseded acknowledged it */
    KS_LOSS_ACKS1_FAILOVER, /* acks=0/1: acknowledged before the followers copied it */
    KS_LOSS_N_CAUSES,
} KsLossCause;

/* The cause's name in the scenario language and the timeline: "unclean",
 * "power-loss", "zombie", "acks1-failover". Static. */
const char *ks_loss_cause_name(KsLossCause cause);

/* Counts of records. produced = pending + acked + refused holds at every
 * moment; lost counts acknowledged records (lost <= acked), and lost_by
 * splits it by cause (they add up to lost). */
typedef struct {
    int64_t produced; /* handed to a producer by the application */
    int64_t pending;  /* handed to a producer, not yet acknowledged or refused */
    int64_t acked;    /* acknowledged to the producer */
    int64_t refused;  /* given up on by the producer */
    int64_t lost;     /* acknowledged, and no longer in the partition's log */
    int64_t lost_by[KS_LOSS_N_CAUSES];
} KsLedgerCounts;

/* A range of a producer's sequence numbers in one partition. */
typedef struct {
    int64_t first;
    int64_t count;
} KsSeqRange;

typedef struct KsLedger KsLedger;

KsLedger *ks_ledger_new(void);
/* Frees @l; NULL is a no-op. */
void ks_ledger_free(KsLedger *l);

/* ---- transitions, each reported from one place ---- */

/* producer.c, when the application hands @count records to @producer (its
 * index in KsSim.producers) for @part: they are pending. */
void ks_ledger_produced(KsLedger *l, int producer, KsPartition *part, int64_t count);
/* How the producer settled a batch. */
typedef enum {
    KS_LEDGER_ACKED,        /* a success answer: judged for loss at once */
    KS_LEDGER_ACKED_UNSEEN, /* acks=0, as it leaves: judged when it lands */
    KS_LEDGER_REFUSED,      /* given up on */
} KsLedgerFate;

/* producer.c, when a batch of sequences [first_seq, first_seq + count) is
 * settled: pending -> acked or refused. An acknowledged range counts as
 * lost, from then on, while the partition's log lacks it. */
void ks_ledger_settled(KsLedger *l, int producer, KsPartition *part, int64_t first_seq,
                       int64_t count, KsLedgerFate fate);
/* producer.c, acks=0: the broker has handled the request that carried an
 * ACKED_UNSEEN range (or it was dropped): the range is judged now. */
void ks_ledger_landed(KsLedger *l, int producer, KsPartition *part, int64_t first_seq,
                      int64_t count);
/* broker.c, when @replica's log takes @producer's sequences [first_seq,
 * first_seq + count) (a leader's append). */
void ks_ledger_written(KsLedger *l, int producer, KsReplica *replica, int64_t first_seq,
                       int64_t count);
/* controller.c, after @part's leader or ISR changed: the replica whose log
 * counts may be another one now. */
void ks_ledger_leader_changed(KsLedger *l, KsPartition *part);
/* broker.c, after @replica's log was truncated. */
void ks_ledger_truncated(KsLedger *l, KsReplica *replica);
/* controller.c, as it elects a new leader for @part, uncleanly or not:
 * what the new log of record lacks is lost for that reason. */
void ks_ledger_election(KsLedger *l, KsPartition *part, bool unclean);
/* producer.c, as a leader answers @producer's sequences [first_seq,
 * first_seq + count) in an epoch the controller had already superseded by
 * electing another leader (or none): if they are ever lost, a zombie
 * leader lost them. */
void ks_ledger_zombie_acked(KsLedger *l, int producer, KsPartition *part, int64_t first_seq,
                            int64_t count);
/* broker.c, as @replica's machine loses power: before its log goes back to
 * offset @to (what it held past it is remembered as cut by the power
 * loss), and after (ks_ledger_power_lost: the log of record may have
 * changed, or shrunk). */
void ks_ledger_power_cut(KsLedger *l, KsReplica *replica, int64_t to);
/* Records [@first_seq, +@n) of @producer were acknowledged by a leader that
 * leads, in the same leader epoch, a log a power loss cut: its followers
 * may hold other records of that epoch at those offsets, so if they are
 * ever lost, a power loss is the cause. */
void ks_ledger_acked_after_power_cut(KsLedger *l, int producer, KsPartition *part,
                                     int64_t first_seq, int64_t n);
void ks_ledger_power_lost(KsLedger *l, KsReplica *replica);

/* ---- next: consumer groups (the consumer issue) ----
 * Per group and partition the ledger will keep the offset ranges a group
 * has processed: ks_ledger_consumed(l, group, part, first_offset, count)
 * counts what it had processed before as duplicated, and
 * ks_ledger_skipped(l, group, part, first_offset, count) what a commit
 * moved past unprocessed. They slot into KsLedgerPartition (ledger.c) as a
 * per-group array beside the per-producer streams, with the same range
 * sets; totals go to a KsLedgerGroupCounts beside KsLedgerCounts. */

/* ---- queries ---- */

/* Totals over every producer and partition. */
const KsLedgerCounts *ks_ledger_total(const KsLedger *l);
/* One producer's counts over its partitions (zero for one never used). */
KsLedgerCounts ks_ledger_producer_counts(const KsLedger *l, int producer);
/* One partition's counts over its producers. */
KsLedgerCounts ks_ledger_partition_counts(const KsLedger *l, const KsPartition *part);
/* @producer's acknowledged and lost sequences in @part, as KsSeqRange
 * sorted by first, disjoint and never adjacent (borrowed; NULL when it
 * never wrote there). */
const GArray *ks_ledger_find_acked(const KsLedger *l, int producer, const KsPartition *part);
const GArray *ks_ledger_find_lost(const KsLedger *l, int producer, const KsPartition *part);

/* ---- the cross-check ---- */

/* @part's lost records counted from scratch: every producer's acknowledged
 * ranges against the partition's log, the way the ledger counted before it
 * kept its own state. Costs the log's runs. */
int64_t ks_ledger_recount_lost(const KsSim *sim, const KsPartition *part);
/* Records of @acked (KsSeqRange, sorted by first, disjoint) that are in none
 * of @present's ranges (sorted by first, possibly overlapping). */
int64_t ks_ledger_missing(const GArray *acked, const GArray *present);
