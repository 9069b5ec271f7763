/* SPDX-License-Identifier: MIT */
/*
 * ks-assignor-test.h - what the assignor tests share (test-assignor.c,
 * test-assignor-sticky.c): a consumer group and its metadata built up in a
 * test, its assignment, and the assignment as text.
 *
 * A Group owns every string and array the assignor borrows from it
 * (g_autoptr(Group)); the assignments returned are the caller's
 * (g_autoptr(KsAssignment)), and so are the strings (g_autofree).
 */
#pragma once

#include "ks-test.h"

#include "kafkasim/assignor.h"

/* A group and its metadata, owning every string the assignor borrows. */
typedef struct {
    GArray *topics;     /* KsAssignorTopic */
    GArray *members;    /* KsAssignorMember */
    GPtrArray *strings; /* every string above, owned */
    GPtrArray *arrays;  /* topic lists and owned lists, owned (g_free) */
} Group;

Group *group_new(void);
void group_free(Group *g);
/* A copy of @s owned by @g (NULL stays NULL). */
const char *group_str(Group *g, const char *s);
void group_add_topic(Group *g, const char *name, int32_t n_partitions);
/* Adds a member subscribed to the NULL-terminated @topics. */
KsAssignorMember *group_add_member(Group *g, const char *id, const char *instance,
                                   const char *const *topics);
/* Sets member @m's owned partitions to @n partitions at @tps (copied). */
void member_set_owned(Group *g, KsAssignorMember *m, const KsTopicPartition *tps, size_t n,
                      int32_t generation);
KsAssignment *group_assign(const Group *g, KsAssignorKind kind);
/* "topic-p" partition names, the notation of the reference file. */
KsTopicPartition parse_tp(Group *g, const char *name);
/* qsort order of partitions: by topic, then partition. */
int compare_tp(const void *a, const void *b);
/* @n partitions as "t-0,t-1" (a new string). */
char *format_tps(const KsTopicPartition *tps, size_t n);
/* Member @i's list as text, for comparisons and messages. */
char *format_member(const KsAssignment *a, size_t i);
/* How many partitions member @m of @a got. */
size_t count_of(const KsAssignment *a, size_t m);

/* The follow-up rebalance: every member now owns what @a gave it, in the
 * next generation. */
Group *next_generation(const Group *g, const KsAssignment *a, int32_t generation);
/* A partition of @g is in @a's member @i. */
bool has_partition(const KsAssignment *a, size_t i, const char *topic, int32_t partition);
/* Whether member @m subscribes to @topic. */
bool naive_subscribes(const KsAssignorMember *m, const char *topic);
/* @g's topics and members with their subscriptions, for failure messages. */
char *describe_group(const Group *g);

/* Topic names the random groups draw from. */
extern const char *const topic_pool[8];

G_DEFINE_AUTOPTR_CLEANUP_FUNC(Group, group_free)
