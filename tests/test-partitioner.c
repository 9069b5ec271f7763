/* SPDX-License-Identifier: MIT */
#include "ks-test.h"

static void test_partitioner_placeholder(void **state)
{
    skip();
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_partitioner_placeholder),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
