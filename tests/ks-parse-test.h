/* SPDX-License-Identifier: MIT */
/*
 * ks-parse-test.h - what the parser's tests share: parsing a scenario that
 * must parse, and reading its expectations.
 */
#pragma once

#include "ks-test.h"

#include "kafkasim/plan.h"

/* Parses @text as "test.ks", features the simulator cannot run yet
 * allowed; fails the test on error. Free with ks_plan_free(). */
KsPlan *parse_ok(const char *text);

/* The @i-th expectation checked at the end of @plan's run. */
const KsPlanExpect *expect_n(const KsPlan *plan, guint i);
