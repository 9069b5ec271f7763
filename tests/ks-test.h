/* SPDX-License-Identifier: MIT */
/*
 * ks-test.h - what every cmocka test includes.
 *
 * cmocka 1.1 needs <stdarg.h>, <stddef.h>, <stdint.h> and <setjmp.h> before
 * <cmocka.h>. Its assert_int_equal prints both values as unsigned hex, which
 * is unreadable for times and negative numbers, so integer comparisons go
 * through ks_assert_i64_eq(), which prints them in decimal.
 */
#pragma once

#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <inttypes.h>
#include <stdbool.h>

#include <glib.h>

#define ks_assert_i64_eq(actual, expected)                                                         \
    do {                                                                                           \
        int64_t ks_a_ = (int64_t)(actual), ks_e_ = (int64_t)(expected);                            \
        if (ks_a_ != ks_e_)                                                                        \
            fail_msg("%s == %" PRId64 ", expected %s == %" PRId64, #actual, ks_a_, #expected,      \
                     ks_e_);                                                                       \
    } while (0)

#define ks_assert_str_eq(actual, expected)                                                         \
    do {                                                                                           \
        const char *ks_a_ = (actual), *ks_e_ = (expected);                                         \
        if (g_strcmp0(ks_a_, ks_e_) != 0)                                                          \
            fail_msg("%s is \"%s\", expected \"%s\"", #actual, ks_a_ ? ks_a_ : "(null)",           \
                     ks_e_ ? ks_e_ : "(null)");                                                    \
    } while (0)
