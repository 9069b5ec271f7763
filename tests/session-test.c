/* SPDX-License-Identifier: MIT */
/*
 * session-test.c - a person's session at the program, piped in: the REPL
 * and --step.
 *
 *   session-test KAFKASIM INPUT EXPECTED ARG...
 *       runs `kafkasim ARG...` with standard input from INPUT and checks
 *       that what it prints equals EXPECTED byte for byte: standard output
 *       and standard error interleaved, as on a terminal, then
 *       "--- exit N ---".
 *       With KS_UPDATE_GOLDEN=1 in the environment it writes EXPECTED
 *       instead (and passes), as the golden tests do.
 *
 * --step pauses only when a person can answer at a terminal; the tests set
 * KS_STEP_ANY_INPUT=1 (tests/meson.build) so the piped Enter keys answer.
 */
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include <glib.h>

/* In the child: standard input from @path, standard error into standard
 * output, so the transcript has the errors where a terminal shows them. */
static void child_setup(void *path)
{
    int fd = open(path, O_RDONLY);
    if (fd >= 0)
        dup2(fd, STDIN_FILENO);
    dup2(STDOUT_FILENO, STDERR_FILENO);
}

int main(int argc, char **argv)
{
    if (argc < 5) {
        fprintf(stderr, "usage: session-test KAFKASIM INPUT EXPECTED ARG...\n");
        return 1;
    }
    g_autoptr(GPtrArray) args = g_ptr_array_new();
    g_ptr_array_add(args, argv[1]);
    for (int i = 4; i < argc; i++)
        g_ptr_array_add(args, argv[i]);
    g_ptr_array_add(args, NULL);
    g_autofree char *out = NULL, *err = NULL;
    int status = 0;
    g_autoptr(GError) error = NULL;
    if (!g_spawn_sync(NULL, (char **)args->pdata, NULL, G_SPAWN_CHILD_INHERITS_STDIN, child_setup,
                      argv[2], &out, &err, &status, &error)) {
        fprintf(stderr, "FAIL: cannot run %s: %s\n", argv[1], error->message);
        return 1;
    }
    if (!WIFEXITED(status)) {
        fprintf(stderr, "FAIL: %s did not exit normally (a crash?)\n%s", argv[1], err);
        return 1;
    }
    g_autofree char *got = g_strdup_printf("%s--- exit %d ---\n", out, WEXITSTATUS(status));
    if (g_strcmp0(g_getenv("KS_UPDATE_GOLDEN"), "1") == 0) {
        if (!g_file_set_contents(argv[3], got, -1, &error)) {
            fprintf(stderr, "FAIL: %s\n", error->message);
            return 1;
        }
        return 0;
    }
    g_autofree char *want = NULL;
    if (!g_file_get_contents(argv[3], &want, NULL, &error)) {
        fprintf(stderr, "FAIL: %s (KS_UPDATE_GOLDEN=1 writes it)\n", error->message);
        return 1;
    }
    if (strcmp(got, want) == 0)
        return 0;
    g_auto(GStrv) g = g_strsplit(got, "\n", -1), w = g_strsplit(want, "\n", -1);
    for (int i = 0;; i++) {
        if (!g[i] || !w[i] || strcmp(g[i], w[i]) != 0) {
            fprintf(stderr, "FAIL: %s differs at line %d:\n  expected: %s\n  got:      %s\n",
                    argv[3], i + 1, w[i] ? w[i] : "(end)", g[i] ? g[i] : "(end)");
            return 1;
        }
    }
}
