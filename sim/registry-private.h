/* SPDX-License-Identifier: MIT */
/*
 * registry-private.h - the part of ZooKeeper the controller depends on
 * (registry.c): broker sessions, /brokers/ids, /controller and
 * /controller_epoch.
 *
 * Private to sim/. Included by registry.c (first), by the modules that
 * register brokers or read who the controller is (broker.c, controller.c,
 * sim.c, invariants.c, query.c) and by the model's tests. Never by a view:
 * those ask kafkasim/query.h (ks_query_controller()).
 */
#pragma once

#include "model.h"

/* ZooKeeper's state, as far as the model needs it. One per sim (KsSim.registry). */
struct KsRegistry {
    /* All written by registry.c. */
    KsBrokerId controller;      /* /controller: KS_NO_BROKER when none */
    int32_t controller_epoch;   /* /controller_epoch: 0 before the first election */
    bool broker_change_pending; /* a /brokers/ids watch event is queued */
    KsRng rng;                  /* who wins the race to create /controller */
    /* The ZooKeeper server's session settings (ZooKeeperServer): tickTime and
     * the bounds a requested session timeout is clamped to. Kafka 3.9's
     * config/zookeeper.properties sets none of them, so ZooKeeper 3.8.4's
     * defaults apply: 3000 ms, 2 and 20 ticks. */
    KsTime tick_time;
    KsTime min_session_timeout;
    KsTime max_session_timeout;
    KsTime tick_phase; /* where the server's tick grid lies on the run's clock */
    KsRng session_rng; /* where in its ping cycle each broker dies */
};

KsRegistry *ks_registry_new(uint64_t seed);
void ks_registry_free(KsRegistry *registry);
/* Registering fails (false) while the broker's previous session lives. */
void ks_registry_init_broker(KsBroker *broker);
bool ks_registry_register_broker(KsSim *sim, KsBroker *broker);
/* The session timeout ZooKeeper grants for a requested one
 * (ZooKeeperServer.processConnectRequest: clamped to [min, max]). */
KsTime ks_registry_negotiate(const KsRegistry *registry, KsTime requested);
/* How long an idle client waits before it pings, for a negotiated timeout
 * (ClientCnxn.SendThread.run). */
KsTime ks_registry_ping_interval(KsTime negotiated);
/* The bucket a session touched at @touched expires in
 * (ExpiryQueue.roundToNextInterval: the first tick boundary strictly after
 * @touched + @negotiated). */
KsTime ks_registry_expiry_bucket(const KsRegistry *registry, KsTime touched, KsTime negotiated);
/* When a dead broker's session will expire; KS_TIME_NEVER while
 * ZooKeeper has no quorum (it cannot expire then); -1 with no session of a
 * dead broker. */
KsTime ks_registry_session_expiry(const KsBroker *broker);
void ks_registry_broker_died(KsSim *sim, KsBroker *broker);
/* After a cut, a heal or a pause began or ended: every running broker
 * that lost the quorum stops renewing its session (it expires as a dead
 * broker's would); one that regained it renews it, or registers anew if it
 * expired meanwhile. */
void ks_registry_contact_changed(KsSim *sim);
/* A zombie_leader event for @b, running with an expired session. */
void ks_registry_emit_zombie(KsSim *sim, KsBroker *b);
/* The broker closes its session on a clean shutdown: its nodes go at once. */
void ks_registry_close_session(KsSim *sim, KsBroker *broker);
