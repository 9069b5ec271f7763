/* SPDX-License-Identifier: MIT */
/*
 * ks-scenario-test.h - what the scenario-language tests share
 * (test-scenario-*.c): parsing a scenario written inline, expecting it to
 * parse or to fail with one message, and comparing a plan parsed at once
 * with the same lines parsed one at a time.
 *
 * Every plan returned is owned by the caller (g_autoptr(KsPlan)); every
 * message is a new string (g_autofree). A failure fails the calling test.
 */
#pragma once

#include "ks-test.h"

#include "kafkasim/plan.h"

/* The first line of most test scenarios: three nodes, one broker each. */
#define CLUSTER3 "cluster nodes=3 brokers-per-node=1\n"

/* The source tree, from KS_SOURCE_ROOT (meson sets it). A test that needs
 * the tree is skipped, not passed, where it is not set. */
const char *source_root(void);

/* Parses @text, unsupported features allowed; fails the test on error. */
KsPlan *parse_ok(const char *text);

/* Parses @text with @flags and returns the error message; fails the test if
 * it parses. Sets *@code if not NULL. */
char *parse_err_flags(const char *text, unsigned flags, int *code);

/* Parses @text as the simulator would (unsupported refused) and returns the
 * error message; fails the test if it parses. Sets *@code if not NULL. */
char *parse_err(const char *text, int *code);

/* Action @i of @plan, borrowed. */
const KsPlanAction *action(const KsPlan *plan, guint i);

/* Everything @plan holds, one line per broker, topic, action and expect
 * (a new string). */
char *describe_plan(const KsPlan *plan);

/* A file parsed at once and the same lines parsed one by one give the same
 * plan; a file that fails fails with the same message either way. */
void assert_same_by_lines(const char *file, const char *text);
