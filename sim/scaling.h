/* SPDX-License-Identifier: MIT */
/*
 * scaling.h - adding and resizing machines at run time (see scaling.c).
 *
 * Private to sim/. The sim owns one KsScaling, made at the first scaling
 * action (sim->scaling; NULL before), freed with the sim.
 */
#pragma once

#include "kafkasim/plan.h"
#include "kafkasim/types.h"

typedef struct KsScaling KsScaling;

void ks_scaling_free(KsScaling *sc);
