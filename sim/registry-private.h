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
};

KsRegistry *ks_registry_new(uint64_t seed);
void ks_registry_free(KsRegistry *registry);
/* Registering fails (false) while the broker's previous session lives. */
void ks_registry_init_broker(KsBroker *broker);
bool ks_registry_register_broker(KsSim *sim, KsBroker *broker);
/* When a dead broker's session will expire, or -1. */
KsTime ks_registry_session_expiry(const KsBroker *broker);
void ks_registry_broker_died(KsSim *sim, KsBroker *broker);
/* The broker closes its session on a clean shutdown: its nodes go at once. */
void ks_registry_close_session(KsSim *sim, KsBroker *broker);
