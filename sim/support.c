/* SPDX-License-Identifier: MIT */
/*
 * support.c - what the simulator can run today (see support.h).
 *
 * Each switch lists every kind, without a default, so adding a kind to the
 * language without deciding here fails to compile (-Wswitch).
 */
#include "kafkasim/support.h"

bool ks_support_decl(KsDeclKind kind)
{
    switch (kind) {
    case KS_DECL_SEED:
    case KS_DECL_SET:
    case KS_DECL_CLUSTER:
    case KS_DECL_NODE:
    case KS_DECL_BROKER:
    case KS_DECL_TOPIC:
    case KS_DECL_PRODUCER:
        return true;
    case KS_DECL_ZOOKEEPER:
    case KS_DECL_FLUME:
    case KS_DECL_GROUP:
    case KS_DECL_CONSUMER:
        return false;
    }
    return false;
}

bool ks_support_action(KsActionKind kind)
{
    switch (kind) {
    case KS_ACTION_CRASH_BROKER:
    case KS_ACTION_RESTART_BROKER:
    case KS_ACTION_STOP_BROKER:
    case KS_ACTION_CRASH_NODE:
    case KS_ACTION_RESTART_NODE:
    case KS_ACTION_START_PRODUCER:
    case KS_ACTION_STOP_PRODUCER:
    case KS_ACTION_PRODUCE:
    case KS_ACTION_SAY:
    case KS_ACTION_SNAPSHOT:
    case KS_ACTION_EXPECT:
    case KS_ACTION_ELECT_PREFERRED:
        return true;
    case KS_ACTION_ADD_BROKER:
    case KS_ACTION_START_CONSUMER:
    case KS_ACTION_STOP_CONSUMER:
    case KS_ACTION_CRASH_CONSUMER:
    case KS_ACTION_PARTITION_NETWORK:
    case KS_ACTION_HEAL_NETWORK:
    case KS_ACTION_REASSIGN:
    case KS_ACTION_SET_CONFIG:
        return false;
    }
    return false;
}

bool ks_support_expect(KsExpectKind kind)
{
    switch (kind) {
    case KS_EXPECT_LEADER:
    case KS_EXPECT_REPLICAS:
    case KS_EXPECT_LEADER_EPOCH:
    case KS_EXPECT_LOG_END_OFFSET:
    case KS_EXPECT_ALIVE:
    case KS_EXPECT_STAT:
    case KS_EXPECT_ISR:
    case KS_EXPECT_HIGH_WATERMARK:
    case KS_EXPECT_CONTROLLER:
    case KS_EXPECT_NO_ACKED_DATA_LOSS:
        return true;
    case KS_EXPECT_LAG:
    case KS_EXPECT_COMMITTED:
    case KS_EXPECT_GROUP_STATE:
    case KS_EXPECT_ASSIGNMENT:
    case KS_EXPECT_NO_DUPLICATES:
        return false;
    }
    return false;
}

bool ks_support_partitioner(KsPartitionerKind kind)
{
    switch (kind) {
    case KS_PARTITIONER_DEFAULT:
    case KS_PARTITIONER_KEY:
    case KS_PARTITIONER_ROUND_ROBIN:
    case KS_PARTITIONER_STICKY:
    case KS_PARTITIONER_EXPLICIT:
        return true;
    }
    return false;
}

bool ks_support_stat(KsStatKind kind)
{
    switch (kind) {
    case KS_STAT_RECORDS_PRODUCED:
    case KS_STAT_RECORDS_ACKED:
    case KS_STAT_RECORDS_REFUSED:
    case KS_STAT_LEADER_ELECTIONS:
    case KS_STAT_UNAVAILABLE_US:
    case KS_STAT_RECORDS_LOST:
        return true;
    case KS_STAT_RECORDS_CONSUMED:
    case KS_STAT_RECORDS_DUPLICATED:
    case KS_STAT_REBALANCES:
        return false;
    }
    return false;
}
