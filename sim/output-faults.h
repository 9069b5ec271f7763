/* SPDX-License-Identifier: MIT */
/*
 * output-faults.h - the views' words for Flume agents and the ZooKeeper
 * ensemble (output-faults.c). Private to sim/; included by
 * output-timeline.c and output-summary.c.
 */
#pragma once

#include "kafkasim/event.h"
#include "output-json.h"

/* The timeline sentence of a Flume or ZooKeeper-ensemble event, and its
 * category ("flume", "zookeeper"). Free with g_free(). */
char *ks_timeline_fault_text(const KsEvent *event, const char **category);

/* Why a request to the controller did nothing: "no active controller",
 * or, without a ZooKeeper quorum, that it cannot write. Static. */
const char *ks_timeline_no_controller_text(const KsSim *sim);

/* The summary's "flumes" (when agents are declared) and "zookeeper" (when
 * the scenario has a `zookeeper` line) members. */
void ks_json_faults(JsonBuilder *b, const KsSim *sim);
