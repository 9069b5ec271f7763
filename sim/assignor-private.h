/* SPDX-License-Identifier: MIT */
/*
 * assignor-private.h - what sim/assignor.c (the common part, range and
 * roundrobin) shares with sim/assignor-sticky.c (the sticky assignors).
 *
 * Inside the assignors a partition is an int32_t id: the assignable topics
 * are sorted in Java's String order and numbered, and topic t's partition p
 * is topic_base[t] + p. So ascending ids are Kafka's (topic, partition)
 * order, and per-partition state lives in plain arrays indexed by id.
 * Members are indices into the caller's array.
 */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <glib.h>

#include "kafkasim/assignor.h"

typedef struct {
    /* The assignable topics (Kafka's partitionsPerTopic): subscribed by
     * some member and present in the metadata with partitions. */
    size_t n_topics;
    const char **topic_name; /* borrowed from the caller */
    int32_t *topic_np;
    int32_t *topic_base;
    int32_t n_parts;
    int32_t *part_topic; /* partition id -> topic index */

    const KsAssignorMember *members; /* borrowed */
    size_t n_members;
    bool *subscribed;        /* [m * n_topics + t] */
    size_t *n_member_topics; /* assignable topics member m subscribes to */
    size_t *id_rank;         /* m's position in member-id order */
    size_t *hash_order;      /* members in Java HashMap iteration order */
    GArray **owned;          /* m's owned partition ids, deduplicated, in order */
    GPtrArray **sub_names;   /* m's subscribed names (existing or not), sorted */
} KsAssignorCtx;

/* Runs StickyAssignor (@cooperative false) or CooperativeStickyAssignor.
 * Fills @owner (partition id -> member index, or -1) and, for cooperative,
 * @withheld_to (partition id -> the member it goes to once revoked, or -1);
 * both have ctx->n_parts entries, initialised to -1 by the caller. */
void ks_assignor_sticky_run(const KsAssignorCtx *ctx, bool cooperative, int32_t *owner,
                            int32_t *withheld_to);

/* Java's String.hashCode of the UTF-8 string @s (over its UTF-16 code
 * units). */
uint32_t ks_assignor_java_hash(const char *s);

/* The bucket of a key with hashCode @hash in a java.util.HashMap table of
 * @capacity (a power of two): HashMap.hash spreads the high half down. */
uint32_t ks_assignor_java_bucket(uint32_t hash, uint32_t capacity);

/* The table capacity after a put that found @bin_before keys in its bucket
 * and left the map with @size_after keys (HashMap.putVal: a bucket past 8
 * keys resizes a table under 64; a size past 3/4 of it doubles it). */
uint32_t ks_assignor_java_grow(uint32_t capacity, size_t bin_before, size_t size_after);
