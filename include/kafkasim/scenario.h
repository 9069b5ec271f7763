/* SPDX-License-Identifier: MIT */
/*
 * scenario.h - the scenario language: lexer, parser and validation.
 *
 * A scenario is line-oriented: declarations first (seed, set, cluster, node,
 * broker, zookeeper, topic, producer, flume, group, consumer), then a
 * timeline (`at TIME action`, `every DURATION action`), a `run until TIME` or
 * `run for DURATION`, and `expect` conditions. docs/scenario-language.md is
 * the reference; the DESIGN's grammar is the contract.
 *
 * Every error is reported as one line, "FILE:LINE:COL: error: MESSAGE",
 * already formatted in the GError's message, so the program prints it as is.
 * Parsing stops at the first error. Something the language has but the
 * simulator cannot run yet is refused with a "not supported yet" error
 * (KS_SCENARIO_ERROR_UNSUPPORTED), never silently ignored.
 */
#pragma once

#include <stdbool.h>
#include <stddef.h>

#include <glib.h>

#include "kafkasim/plan.h"
#include "kafkasim/types.h"

#define KS_SCENARIO_ERROR (ks_scenario_error_quark())
GQuark ks_scenario_error_quark(void);

typedef enum {
    KS_SCENARIO_ERROR_IO,          /* the file cannot be read */
    KS_SCENARIO_ERROR_SYNTAX,      /* malformed token or line */
    KS_SCENARIO_ERROR_VALUE,       /* well-formed but wrong value */
    KS_SCENARIO_ERROR_REFERENCE,   /* names something undeclared */
    KS_SCENARIO_ERROR_UNSUPPORTED, /* valid Kafka, not simulated yet */
} KsScenarioError;

/* Reads and parses the scenario at @path. Returns a new valid plan (free with
 * ks_plan_free()), or NULL with @error set. */
KsPlan *ks_scenario_parse_file(const char *path, GError **error);

/* Parses @len bytes of @text; @file names it in messages. Same contract as
 * ks_scenario_parse_file(). The text need not be NUL-terminated. */
KsPlan *ks_scenario_parse(const char *file, const char *text, size_t len, GError **error);

/* Flags of ks_scenario_parse_full(). */
typedef enum {
    /* Accept what the simulator cannot run yet instead of refusing it with
     * KS_SCENARIO_ERROR_UNSUPPORTED. The plan is then fully validated but may
     * hold things the simulator cannot run: for tests of the parser and for
     * tools that only read the plan (describe, docs), never for `run`. */
    KS_SCENARIO_PARSE_ALLOW_UNSUPPORTED = 1 << 0,
} KsScenarioParseFlags;

/* ks_scenario_parse() with KsScenarioParseFlags @flags. */
KsPlan *ks_scenario_parse_full(const char *file, const char *text, size_t len, unsigned flags,
                               GError **error);

/* Parses a duration written as in a scenario ("250us", "10ms", "1.5s", "2m",
 * "1h", or "0"). Returns true and sets *@out, or false and sets @error (a
 * message without location; the caller adds it). */
bool ks_scenario_parse_duration(const char *text, KsTime *out, GError **error);

/* Formats @t (>= 0) as a duration the parser accepts back exactly, in the
 * largest unit among h, m, s, ms, us that needs at most three decimals:
 * "0s", "250us", "1.5ms", "1.5s", "2m", "90m", "1h". Hours and minutes are
 * used only when whole (90 minutes is "90m", not "1.5h"), and a unit only
 * when the value is at least one of it (250us, not "0.25ms"). Returns a new
 * string; free with g_free(). */
char *ks_scenario_format_duration(KsTime t);

/* Every keyword the language knows (declarations, actions and their object
 * words, expect conditions, `at`, `every`, `run`, ...), NULL-terminated,
 * static. The documentation test checks that each is documented. */
const char *const *ks_scenario_keywords(void);
