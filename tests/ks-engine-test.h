/* SPDX-License-Identifier: MIT */
/*
 * ks-engine-test.h - what the engine's tests share (test-engine.c,
 * test-engine-diff.c): the record of one callback run, which both keep a
 * log of and compare.
 */
#pragma once

#include "ks-test.h"

#include "kafkasim/engine.h"

/* One callback run: when it ran and what it was. */
typedef struct {
    KsTime time;
    uint64_t id;
} Fired;
