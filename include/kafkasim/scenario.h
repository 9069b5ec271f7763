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

/*
 * One line at a time. A plan keeps the parser's state (the names it
 * declares, the time of its last `at` line, ...), so lines can be parsed
 * against it after the file: the REPL reads one line at a time, and an
 * action can be added to a running simulation. ks_scenario_parse_full() is
 * itself a loop over the same function.
 */

/* The time of an action that runs when it is added (a line without
 * `at TIME`): KsPlanAction.at of such an action. */
#define KS_SCENARIO_NOW ((KsTime)-1)

typedef enum {
    KS_SCENARIO_LINE_NONE,        /* blank or a comment */
    KS_SCENARIO_LINE_DECLARATION, /* applied to the plan */
    KS_SCENARIO_LINE_RUN,         /* applied to the plan: has_run, run_until */
    KS_SCENARIO_LINE_ACTION,      /* `at`, `every` or now: see .action */
    KS_SCENARIO_LINE_EXPECT,      /* an end-of-run `expect`: see .expect */
} KsScenarioLineKind;

/* What a line was. */
typedef struct {
    KsScenarioLineKind kind;
    KsPlanAction *action; /* ACTION: new, owned by the caller */
    KsPlanExpect *expect; /* EXPECT: new, owned by the caller */
} KsScenarioLine;

/* Frees what @line owns and zeroes it. */
void ks_scenario_line_clear(KsScenarioLine *line);

/*
 * Parses @text, one line (a final newline is allowed), as line @line_no of
 * @plan's file, against what @plan declares, with the same checks and the
 * same "FILE:LINE:COL: error:" messages as in a file. @plan is a plan the
 * parser returned (its lines are known), or a new one from ks_plan_new() to
 * be built line by line (then finish it with ks_scenario_finish()); the
 * flags it was parsed with still apply.
 *
 * An action line may leave out `at TIME`: the action then runs "now", when
 * the caller adds it, and its `at` is KS_SCENARIO_NOW; whether a broker it
 * names has been added by then is for the caller, who knows the time, to
 * check. A timeline action or end-of-run expect is returned in @out, new
 * and owned by the caller, and is not added to @plan; the plan's parser
 * state counts it as seen (so a later `at` line may not go back before
 * it). A declaration is applied to @plan: allowed only while no timeline,
 * run or expect line has been parsed. A `run` line is applied to @plan.
 *
 * Returns true and fills @out, or false with @error set and @out zeroed.
 * A line that fails leaves @plan and its parser state as they were; a plan
 * still taking declarations is rebuilt from its earlier lines for that, so
 * pointers to its nodes, brokers, topics, ... do not survive a failed line.
 */
bool ks_scenario_parse_line(KsPlan *plan, const char *text, int line_no, KsScenarioLine *out,
                            GError **error);

/* Ends a plan built with ks_scenario_parse_line() as the end of a file
 * does: defaults resolved and counts checked if no timeline line came, an
 * `every` without a `run` refused, the end of the run set, actions sorted
 * by time and brokers by id. Returns false with @error set on an error. */
bool ks_scenario_finish(KsPlan *plan, GError **error);

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
