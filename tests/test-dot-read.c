/* SPDX-License-Identifier: MIT */
/*
 * test-dot-read.c - rendering is reproducible (sim/output-dot-read.c): the
 * same DOT text gives the same SVG bytes however many other graphs the
 * process drew before, with clusters in the order the text has them.
 * Graphviz's default ids (addresses of interned names, one counter for the
 * whole process) broke both; the HTML report, which draws many diagrams in
 * one run, must be the same bytes on every run.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>
#include <glib.h>

#include "kafkasim/dot.h"

#define FIRST                                                                                      \
    "digraph a { subgraph cluster_b { b1; b2; } subgraph cluster_a { a1; a2; } "                   \
    "b1 -> a1; b2 -> a2 [style=dashed]; a1 -> b2; x -> b1; }"
#define OTHER "digraph o { subgraph cluster_z { z1; z2; z3; } s -> z1; z2 -> s; z3 -> s; }"

static char *render(const char *dot)
{
    char *svg = NULL;
    g_autoptr(GError) error = NULL;
    if (!ks_dot_to_svg(dot, &svg, &error))
        fail_msg("%s", error->message);
    return svg;
}

static void test_dot_read_same_text_same_bytes(void **state)
{
    if (!ks_dot_can_render())
        skip();
    g_autofree char *first = render(FIRST);
    for (int i = 0; i < 5; i++) {
        g_autofree char *other = render(OTHER);
        assert_non_null(other);
        g_autofree char *again = render(FIRST);
        assert_string_equal(first, again);
    }
    /* Clusters come in the text's order: cluster_b, then cluster_a. */
    const char *b = strstr(first, "<title>cluster_b</title>");
    const char *a = strstr(first, "<title>cluster_a</title>");
    assert_non_null(a);
    assert_non_null(b);
    assert_true(b < a);
    /* Names print as written. */
    assert_non_null(strstr(first, "<title>b1&#45;&gt;a1</title>"));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_dot_read_same_text_same_bytes),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
