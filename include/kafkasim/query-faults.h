/* SPDX-License-Identifier: MIT */
/*
 * query-faults.h - read-only questions about Flume agents and the
 * ZooKeeper ensemble.
 *
 * The same rules as query.h: every query takes a const KsSim and changes
 * nothing; strings are borrowed from the sim. Views (the summary JSON's
 * "flumes" and "zookeeper", `expect flume-dropped`, `channel-fill` and
 * `zookeeper-quorum`) read agents and servers only through these.
 */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "kafkasim/sim.h"
#include "kafkasim/types.h"

/* A Flume agent, its channel and its counters over the run. */
typedef struct {
    const char *name;
    const char *channel; /* "memory" or "file" */
    const char *sink;    /* "kafka" or "hdfs" */
    const char *topic;   /* the Kafka sink's topic; NULL for HDFS */
    bool alive;
    int64_t capacity;
    int64_t transaction_capacity;
    int64_t fill;         /* events in the channel now (queued and taken) */
    int64_t max_fill;     /* the most it held */
    int64_t received;     /* events that reached the source */
    int64_t dropped;      /* refused by a full channel (ChannelFullException) */
    int64_t lost;         /* lost with a memory channel when the agent died */
    int64_t delivered;    /* committed by the sink */
    int64_t rolled_back;  /* taken by sink transactions that failed */
    int64_t files_rolled; /* HDFS files closed */
} KsFlumeInfo;

/* Agents, in declaration order. */
size_t ks_query_n_flumes(const KsSim *sim);
void ks_query_flume(const KsSim *sim, size_t index, KsFlumeInfo *out);
/* By name; false if there is no such agent. */
bool ks_query_find_flume(const KsSim *sim, const char *name, KsFlumeInfo *out);

/* The ZooKeeper ensemble. */
typedef struct {
    int32_t servers;
    int32_t up;     /* servers running */
    int32_t leader; /* server id; -1 with none */
    int32_t epoch;  /* leader elections so far (the zxid's epoch) */
    bool quorum;    /* a leader serves a majority: writes and session expiry work */
} KsZookeeperInfo;

void ks_query_zookeeper(const KsSim *sim, KsZookeeperInfo *out);
/* Whether server @id (1-based) runs. */
bool ks_query_zookeeper_server_up(const KsSim *sim, int32_t id);

/* Whether messages pass both ways between two nodes now (net-faults.c);
 * false if either name is unknown. */
bool ks_query_connected(const KsSim *sim, const char *node_a, const char *node_b);
