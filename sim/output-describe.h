/* SPDX-License-Identifier: MIT */
/*
 * output-describe.h - kafka-consumer-groups.sh --describe as pure functions
 * over the structs of query-groups.h, so a test can feed them Kafka's own
 * example data (real consumer ids, /10.0.0.x hosts) and compare bytes.
 * Private to sim/ (and its tests); the simulator's views call
 * ks_describe_groups() in output.h, which gathers a KsGroupView per group.
 */
#pragma once

#include <stddef.h>

#include <glib.h>

#include "kafkasim/output.h"
#include "kafkasim/query-groups.h"
#include "kafkasim/query.h"

/* Everything the three layouts read about one group. Every pointer is
 * borrowed. */
typedef struct {
    KsGroupInfo info;
    const KsMemberInfo *members; /* sorted by id */
    size_t n_members;
    const KsGroupOffsetInfo *offsets; /* sorted by (topic, partition); a row's owner
                                         is a member id or NULL */
    size_t n_offsets;
    const char *coordinator; /* --state: "<host>:<port>  (<id>)"; NULL: none ("-") */
} KsGroupView;

/* Appends @g's table in @layout to @out, byte for byte as Kafka 3.x's
 * ConsumerGroupCommand prints it: an empty line, the header, one line per
 * row, a final newline. Before it, the notice Kafka prints on stderr (an
 * Empty group "has no active members", a rebalancing group's warning) goes
 * to @err, or to @out when @err is NULL. A table without rows (an Empty
 * group with nothing committed) is not printed, as in Kafka; a Dead group
 * prints only "Error: Consumer group '...' does not exist." on @out. */
void ks_describe_group_write(const KsGroupView *g, KsGroupLayout layout, GString *out,
                             GString *err);

/* The port broker @b listens on: brokers sharing a node listen on 9092,
 * 9093, ... in id order (a node is one host). */
int ks_describe_broker_port(const KsSim *sim, const KsBrokerInfo *b);
