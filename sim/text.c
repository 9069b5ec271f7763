/* SPDX-License-Identifier: MIT */
/*
 * text.c - small text helpers (see text.h).
 */
#include "kafkasim/text.h"

#include <inttypes.h>
#include <string.h>

#include <glib.h>

/* Two rows of the matrix are enough: the words are short keywords and
 * config names. */
unsigned ks_text_distance(const char *a, const char *b)
{
    size_t la = strlen(a), lb = strlen(b);
    if (la > 64 || lb > 64)
        return 255;
    unsigned prev[65], row[65];
    for (size_t j = 0; j <= lb; j++)
        prev[j] = (unsigned)j;
    for (size_t i = 1; i <= la; i++) {
        row[0] = (unsigned)i;
        for (size_t j = 1; j <= lb; j++) {
            unsigned sub = prev[j - 1] + (g_ascii_tolower(a[i - 1]) != g_ascii_tolower(b[j - 1]));
            row[j] = MIN(sub, MIN(prev[j] + 1, row[j - 1] + 1));
        }
        memcpy(prev, row, sizeof prev);
    }
    return prev[lb];
}

const char *ks_text_suggest(const char *word, const char *const *candidates, size_t n)
{
    const char *best = NULL;
    unsigned best_d = 255;
    for (size_t i = 0; i < n; i++) {
        unsigned d = ks_text_distance(word, candidates[i]);
        if (d < best_d) {
            best_d = d;
            best = candidates[i];
        }
    }
    unsigned limit = MAX(2u, (unsigned)strlen(word) / 3);
    return best_d <= limit ? best : NULL;
}

char *ks_text_ids(const KsBrokerId *ids, size_t n)
{
    GString *s = g_string_new("{");
    for (size_t i = 0; i < n; i++)
        g_string_append_printf(s, "%s%" PRId32, i ? "," : "", ids[i]);
    g_string_append_c(s, '}');
    return g_string_free(s, FALSE);
}

char *ks_text_broker(KsBrokerId id)
{
    return id == KS_NO_BROKER ? g_strdup("none") : g_strdup_printf("%" PRId32, id);
}
