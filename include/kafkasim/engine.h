/* SPDX-License-Identifier: MIT */
/*
 * engine.h - simulated clock, event queue and timers.
 *
 * Time is a KsTime, microseconds since the start of the run. A scheduled
 * callback is an event; events fire in (time, seq) order, where seq is a
 * per-engine counter taken when the event is scheduled, so two events due at
 * the same microsecond run in the order they were scheduled. That total order
 * is what makes runs reproducible. Nothing here reads the wall clock and
 * nothing here knows about Kafka.
 *
 * Plain events cannot be cancelled: they are the cheap, common case (a
 * request arriving, a periodic tick). Anything that must be cancelled or
 * moved (a session timeout re-armed on every heartbeat, a request timeout) is
 * a KsTimer, owned by the caller and re-armed in O(1) when its deadline moves
 * later (see ks_timer_arm_at()).
 */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <glib.h>

#include "kafkasim/types.h"

/* Runs when an event fires. @ctx and @arg are whatever the scheduler passed;
 * the engine never frees @ctx. */
typedef void (*KsEventFn)(KsEngine *engine, void *ctx, uint64_t arg);

/* Returns a new engine at time 0 with an empty queue. Free with
 * ks_engine_free(). */
KsEngine *ks_engine_new(void);

/* Frees @engine and drops its pending events (their contexts are not freed).
 * NULL is a no-op. */
void ks_engine_free(KsEngine *engine);

/* Current simulated time: the time of the event running now, or the time the
 * last ks_engine_run_until() stopped at. */
KsTime ks_engine_now(const KsEngine *engine);

/* Schedules @fn(@engine, @ctx, @arg) at absolute time @when, which must not be
 * in the past (when >= now). */
void ks_engine_schedule_at(KsEngine *engine, KsTime when, KsEventFn fn, void *ctx, uint64_t arg);

/* Schedules @fn @delay microseconds from now; @delay must be >= 0. */
void ks_engine_schedule(KsEngine *engine, KsTime delay, KsEventFn fn, void *ctx, uint64_t arg);

/* Runs every event due at or before @until, in (time, seq) order, including
 * events that those events schedule, then sets the clock to @until. Stops
 * early, with the clock at the last event run, if a callback calls
 * ks_engine_stop(). Returns how many events ran. */
uint64_t ks_engine_run_until(KsEngine *engine, KsTime until);

/* Runs the earliest event due at or before @until, and only that one: stale
 * timer entries met on the way are skipped (they are not events), and events
 * that it schedules wait for the next call. Returns true if an event ran,
 * false if none is due by @until; either way the clock is at the time of the
 * last queue entry taken (never after @until), not moved to @until. Calling
 * it until it returns false, then ks_engine_run_until(@until), runs the same
 * events in the same order as one ks_engine_run_until(@until). */
bool ks_engine_step(KsEngine *engine, KsTime until);

/* Time of the next event that will really run: like ks_engine_next_time(),
 * but stale timer entries are looked through (a cancelled timer's entry is
 * ignored, a timer re-armed later counts at its deadline). KS_TIME_NEVER if
 * none. O(1) when the earliest entry is live, else one pass over the queue. */
KsTime ks_engine_next_event_time(const KsEngine *engine);

/* Asks ks_engine_run_until() to return after the event running now. */
void ks_engine_stop(KsEngine *engine);

/* Time of the earliest pending event, or KS_TIME_NEVER if none. A stale timer
 * entry may make this earlier than the next event that really runs. */
KsTime ks_engine_next_time(const KsEngine *engine);

/* Number of entries in the queue (stale timer entries included). */
size_t ks_engine_pending(const KsEngine *engine);

/* Number of events that have run since the engine was made (stale timer
 * entries that were skipped are not counted). */
uint64_t ks_engine_events_run(const KsEngine *engine);

/*
 * Timers.
 *
 * A timer is embedded in its owner and initialised once. Arming sets its
 * deadline; re-arming replaces it; cancelling disarms it. Order among equal
 * deadlines is the order of the arm calls, exactly as for events.
 *
 * Re-arming to a later deadline (the session-timeout pattern) touches no
 * queue: the entry already queued fires early, sees the later deadline and
 * re-queues itself there. Re-arming to an earlier deadline queues a new
 * entry and leaves the old one to be skipped when it surfaces (a generation
 * counter tells them apart). So the queue holds at most a few entries per
 * timer, and a heartbeat costs O(1).
 *
 * The fields are private; they are in the header only so a timer can be
 * embedded without an allocation.
 */
struct KsTimer {
    KsEventFn fn;
    void *ctx;
    KsTime deadline;  /* when it fires, if armed */
    KsTime queued_at; /* time of the live queue entry, if queued */
    uint64_t seq;     /* order among equal deadlines: taken at arm time */
    uint64_t gen;     /* generation of the live queue entry */
    bool armed;
    bool queued;
};

/* Initialises @timer, disarmed; @fn(@engine, @ctx, 0) runs when it fires. */
void ks_timer_init(KsTimer *timer, KsEventFn fn, void *ctx);

/* Arms (or re-arms) @timer to fire at @when (>= now). */
void ks_timer_arm_at(KsEngine *engine, KsTimer *timer, KsTime when);

/* Arms (or re-arms) @timer to fire @delay (>= 0) from now. */
void ks_timer_arm(KsEngine *engine, KsTimer *timer, KsTime delay);

/* Disarms @timer; a no-op if it is not armed. The owner may free the timer
 * only once no queue entry refers to it: call ks_timer_cancel() and keep the
 * owner alive until the engine is freed, or until the engine has run past
 * the latest deadline the timer was ever armed for (a re-arm to an earlier
 * deadline leaves the old entry queued at the later one). */
void ks_timer_cancel(KsEngine *engine, KsTimer *timer);

/* Whether @timer is armed. */
bool ks_timer_is_armed(const KsTimer *timer);

/* Deadline of an armed timer (undefined when disarmed). */
KsTime ks_timer_deadline(const KsTimer *timer);

G_DEFINE_AUTOPTR_CLEANUP_FUNC(KsEngine, ks_engine_free)
