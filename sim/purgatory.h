/* SPDX-License-Identifier: MIT */
/*
 * purgatory.h - delayed operations on a broker (see purgatory.c).
 *
 * Private to sim/. An operation (KsDelayed) is embedded in what waits: a
 * produce request, a follower's fetch session. It waits on a timeout list
 * (KsDelayedTimeouts: one engine timer for the list) and may watch keys
 * (KsWatchKey, embedded in what it waits for, e.g. a partition) through
 * watch entries (KsWatch) it owns. Every list is intrusive: an operation
 * or a watch carries its own list link, so parking, watching and leaving
 * allocate and free nothing.
 */
#pragma once

#include <stdbool.h>
#include <stdint.h>

#include <glib.h>

#include "kafkasim/engine.h"
#include "kafkasim/types.h"

typedef struct KsDelayed KsDelayed;
typedef struct KsDelayedTimeouts KsDelayedTimeouts;

/* Expiry: @op has left its list when this runs. */
typedef void (*KsDelayedFn)(void *ctx, KsDelayed *op);

struct KsDelayed {
    KsDelayedTimeouts *timeouts; /* the list it waits in; NULL: not parked */
    KsTime deadline;
    GList link; /* while parked: its entry in timeouts->ops (data: the op) */
};

/* Operations that share a timeout, in deadline order, with one timer armed
 * at the earliest deadline. Embedded in its owner; lives as long as it. */
struct KsDelayedTimeouts {
    KsEngine *engine;
    void *ctx;  /* for expire */
    GQueue ops; /* of KsDelayed* by their own links, deadlines not decreasing */
    KsTimer timer;
    KsDelayedFn expire;
};

/* One operation's interest in a key, ordered by @need (what the key must
 * reach for it to complete, e.g. a high watermark). Owned by the op. */
typedef struct {
    KsDelayed *op;
    int64_t need;
    GList *node; /* &link while watching, else NULL */
    GList link;  /* its entry in the key's watchers (data: the watch) */
} KsWatch;

/* What operations wait for: a queue of KsWatch* in order of need, the newest
 * first among equal needs. Embedded in what is waited for. Its links belong
 * to the watches: g_queue_clear or g_queue_pop_head would free them, so an
 * owner takes what is left with g_queue_pop_head_link. */
typedef GQueue KsWatchKey;

/* Completes @w (it has left its key's watchers) with @status. */
typedef void (*KsWatchFn)(void *ctx, KsWatch *w, int status);

/* @expire(@ctx, op) runs for each operation whose deadline came. */
void ks_purgatory_init_timeouts(KsDelayedTimeouts *t, KsEngine *engine, KsDelayedFn expire,
                                void *ctx);
/* Parks @op until @deadline, which must not be earlier than any deadline
 * already in @t (one timeout per list: arrival order is deadline order). */
void ks_purgatory_park(KsDelayedTimeouts *t, KsDelayed *op, KsTime deadline);
static inline bool ks_purgatory_parked(const KsDelayed *op)
{
    return op->timeouts != NULL;
}
/* @op leaves its list (it completed, or was cancelled); the timer follows
 * the next deadline. Does nothing if @op is not parked. */
void ks_purgatory_cancel(KsDelayed *op);
/* Forgets every operation of @t without expiring them (teardown). */
void ks_purgatory_clear_timeouts(KsDelayedTimeouts *t);

void ks_purgatory_init_key(KsWatchKey *key);
/* @w (op, need set by the caller) watches @key. */
void ks_purgatory_watch(KsWatchKey *key, KsWatch *w);
/* @w stops watching @key. */
void ks_purgatory_unwatch(KsWatchKey *key, KsWatch *w);
/* checkAndComplete: completes, in order, every watcher of @key whose need
 * is at most @reached, with @status. */
void ks_purgatory_check(KsWatchKey *key, int64_t reached, KsWatchFn complete, void *ctx,
                        int status);
/* Completes every watcher of @key with @status (the key went away). */
void ks_purgatory_complete_all(KsWatchKey *key, KsWatchFn complete, void *ctx, int status);
static inline bool ks_purgatory_key_empty(const KsWatchKey *key)
{
    return key->head == NULL;
}
