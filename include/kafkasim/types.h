/* SPDX-License-Identifier: MIT */
/*
 * types.h - the time type and forward declarations shared by every module.
 *
 * Headers include this one instead of each other, so no two headers ever
 * depend on each other. Time is always a KsTime: whole microseconds since the
 * start of the run. Nothing inside sim/ uses milliseconds; the scenario parser
 * converts Kafka's "*.ms" configs on the way in.
 */
#pragma once

#include <stdint.h>

typedef int64_t KsTime;

#define KS_TIME_US    ((KsTime)1)
#define KS_TIME_MS    ((KsTime)1000)
#define KS_TIME_S     ((KsTime)1000 * KS_TIME_MS)
#define KS_TIME_MIN   ((KsTime)60 * KS_TIME_S)
#define KS_TIME_H     ((KsTime)60 * KS_TIME_MIN)
#define KS_TIME_NEVER INT64_MAX

/* A broker id as Kafka has it: any non-negative 32-bit integer. */
typedef int32_t KsBrokerId;
#define KS_NO_BROKER ((KsBrokerId)-1)

/* Orders two KsBrokerId ascending, for qsort and g_array_sort. */
static inline int ks_broker_id_cmp(const void *a, const void *b)
{
    KsBrokerId x = *(const KsBrokerId *)a, y = *(const KsBrokerId *)b;
    return (x > y) - (x < y);
}

typedef struct KsEngine KsEngine;
typedef struct KsTimer KsTimer;
typedef struct KsRng KsRng;
typedef struct KsPlan KsPlan;
typedef struct KsConfigSet KsConfigSet;
typedef struct KsSim KsSim;
typedef struct KsCluster KsCluster;
typedef struct KsEvent KsEvent;
