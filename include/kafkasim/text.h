/* SPDX-License-Identifier: MIT */
/*
 * text.h - small text helpers shared by the parser, the checks and the
 * views: typo suggestions and how broker ids are written.
 */
#pragma once

#include <stddef.h>

#include "kafkasim/types.h"

/* Levenshtein distance between @a and @b, ignoring ASCII case; 255 for
 * words longer than 64 characters. */
unsigned ks_text_distance(const char *a, const char *b);

/* The one of @n @candidates nearest to @word, if it is near enough to be a
 * typo of it (at most a third of the word's length, at least 2, edits);
 * else NULL. Borrowed from @candidates. */
const char *ks_text_suggest(const char *word, const char *const *candidates, size_t n);

/* "{1,2,3}": broker ids in the order given. Returns a new string; free with
 * g_free(). */
char *ks_text_ids(const KsBrokerId *ids, size_t n);

/* "3", or "none" for KS_NO_BROKER. Returns a new string; free with
 * g_free(). */
char *ks_text_broker(KsBrokerId id);
