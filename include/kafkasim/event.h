/* SPDX-License-Identifier: MIT */
/*
 * event.h - the stream of things that happen in a run.
 *
 * The model reports every meaningful change (a broker crashed, a leader was
 * elected, a follower was truncated, a producer started failing) as one
 * KsEvent, emitted through ks_sim_emit(). Views subscribe to the stream: the
 * timeline text, the JSON-lines trace, the statistics. A view reads events
 * and the model's state and never changes either (DESIGN principle 5).
 *
 * Events are not requests: a produce or fetch request is not an event here,
 * or a large run would drown its reader. Requests are counted in the
 * statistics; their effects (an ISR change, an acknowledged write being
 * refused) are events.
 *
 * An event is a small flat struct; which fields a type uses is listed with
 * the type. Unused integer fields are -1, unused pointers NULL. Pointers are
 * borrowed for the duration of the emit call only.
 */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "kafkasim/types.h"

typedef enum {
    /* Narration and checks. */
    KS_EV_SAY,      /* text */
    KS_EV_SNAPSHOT, /* text: snapshot name */
    KS_EV_EXPECT,   /* text: condition, held: result, line: source line */
    KS_EV_NOTE,     /* text: why a timeline action changed nothing, line: its line */
    /* Machines and processes. */
    KS_EV_BROKER_STARTED,      /* broker */
    KS_EV_BROKER_CRASHED,      /* broker */
    KS_EV_BROKER_RESTARTED,    /* broker */
    KS_EV_BROKER_STOPPING,     /* broker, n: partitions it still leads after the controlled
                                  shutdown request, n2: attempts left (-1: none asked, the
                                  controller is unavailable or controlled shutdown is off) */
    KS_EV_BROKER_STOPPED,      /* broker: its process stopped cleanly */
    KS_EV_BROKER_START_FAILED, /* broker, n: when its old session expires: the
                                  process exited at startup because
                                  /brokers/ids/<id> still belongs to it */
    KS_EV_NODE_CRASHED,        /* text: node */
    KS_EV_NODE_RESTARTED,      /* text: node */
    /* ZooKeeper and the controller. */
    KS_EV_SESSION_EXPIRED,    /* broker: whose ZooKeeper session expired */
    KS_EV_SESSION_CLOSED,     /* broker: it closed its ZooKeeper session on shutdown */
    KS_EV_BROKER_REGISTERED,  /* broker: /brokers/ids/<id> created */
    KS_EV_CONTROLLER_ELECTED, /* broker: new controller, epoch: controller epoch */
    /* Topics and partitions. */
    KS_EV_TOPIC_CREATED,      /* topic, n: partitions, n2: replication factor */
    KS_EV_LEADER_ELECTED,     /* topic, partition, broker: new leader (-1: none),
                                 broker2: old leader, epoch: leader epoch, ids: ISR,
                                 reason */
    KS_EV_ISR_SHRUNK,         /* topic, partition, broker: removed, ids: new ISR,
                                 epoch: leader epoch, reason */
    KS_EV_ISR_EXPANDED,       /* topic, partition, broker: added, ids: new ISR, reason */
    KS_EV_PREFERRED_ELECTION, /* topic (NULL: all), partition (-1: all), n: partitions
                                 that moved to their preferred replica, n2: partitions
                                 asked about, -1 with no active controller
                                 (kafka-leader-election --election-type PREFERRED) */
    KS_EV_TRUNCATED,          /* topic, partition, broker: truncated replica,
                                 n: old log end, n2: new log end */
    /* Clients. */
    KS_EV_PRODUCER_STARTED,  /* text: producer */
    KS_EV_PRODUCER_STOPPED,  /* text: producer */
    KS_EV_PRODUCE,           /* text: producer, topic, partition (-1: partitioner),
                                n: records, text2: key (NULL: none) */
    KS_EV_PRODUCE_FAILING,   /* text: producer, topic, partition, text2: Kafka error name;
                                or partition -1, broker: a broker it cannot connect to,
                                text2: Kafka's log message */
    KS_EV_PRODUCE_RECOVERED, /* text: producer, topic, partition, n: records given up
                                meanwhile */
    KS_EV_RECORDS_EXPIRED,   /* text: producer, topic, partition, n: records given up
                                (delivery.timeout.ms), n2: that timeout in ms */
    KS_EV_COUNT
} KsEventType;

/* Why a leader or an ISR changed. */
typedef enum {
    KS_REASON_NONE,
    KS_REASON_INITIAL,             /* leader_elected: the topic was created */
    KS_REASON_OFFLINE,             /* leader_elected: first live ISR member in assignment order */
    KS_REASON_UNCLEAN,             /* leader_elected: first live replica, possibly out of sync */
    KS_REASON_PREFERRED,           /* leader_elected: the preferred replica is back */
    KS_REASON_LEADER_FAILED,       /* leader_elected (none): the leader's broker failed and
                                      no other live ISR member exists */
    KS_REASON_LAGGING,             /* isr_shrunk by the leader: replica.lag.time.max.ms */
    KS_REASON_BROKER_FAILED,       /* isr_shrunk by the controller: the broker's session expired */
    KS_REASON_CAUGHT_UP,           /* isr_expanded: the follower reached the high watermark */
    KS_REASON_CONTROLLED_SHUTDOWN, /* leader_elected, isr_shrunk: the broker is stopping */
} KsReason;

/* The trace name of @reason, e.g. "offline". Static. */
const char *ks_reason_name(KsReason reason);

struct KsEvent {
    KsTime t;
    KsEventType type;
    KsBrokerId broker;
    KsBrokerId broker2;
    const char *topic;
    int32_t partition;
    int32_t epoch;
    int64_t n;
    int64_t n2;
    const KsBrokerId *ids; /* n_ids broker ids */
    size_t n_ids;
    const char *text;
    const char *text2;
    KsReason reason;
    bool held;
    int line;
};

/* Returns an event of @type at @t with every other field unused. */
KsEvent ks_event_init(KsEventType type, KsTime t);

/* The trace name of @type, e.g. "leader_elected". Static. */
const char *ks_event_type_name(KsEventType type);

/* Receives every event of a run, in order. */
typedef void (*KsEventSinkFn)(const KsEvent *event, void *ctx);
