/* SPDX-License-Identifier: MIT */
/*
 * ks-parse-test.c - helpers of the parser's tests (see ks-parse-test.h).
 */
#include "ks-parse-test.h"

#include <string.h>

#include "kafkasim/scenario.h"

KsPlan *parse_ok(const char *text)
{
    g_autoptr(GError) error = NULL;
    KsPlan *plan = ks_scenario_parse_full("test.ks", text, strlen(text),
                                          KS_SCENARIO_PARSE_ALLOW_UNSUPPORTED, &error);
    if (!plan)
        fail_msg("parse failed: %s", error->message);
    return plan;
}

const KsPlanExpect *expect_n(const KsPlan *plan, guint i)
{
    return plan->expects->pdata[i];
}
