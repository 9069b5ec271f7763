/* SPDX-License-Identifier: MIT */
/*
 * lexer.h - the line lexer of the scenario language (private to sim/).
 *
 * The language is line-oriented, so the lexer hands out one line at a time:
 * an array of tokens that always ends with KS_TOK_EOL (a blank or comment-only
 * line is just the EOL). Every token knows the 1-based line and column of its
 * FIRST character; a tab counts as one column, and inside strings a UTF-8
 * sequence counts as one column too. Tokens point into the caller's text, so
 * the text must outlive them; only a STRING's decoded value is a copy.
 *
 * Numbers are integers, never floating point: "1.5s" is read digit by digit
 * into exactly 1500000 microseconds, and a value that is not a whole number of
 * microseconds (or, for rates, of records per second) is an error, not a
 * rounding. A run of name characters is classified once it has been read in
 * full: "3" is an INT, "-1" an INT, "10s" and "2m" DURATIONs, "500/s" a RATE,
 * and anything else ("orders-3", "eu-1a", "1a", "1.5") a WORD. The
 * capacity quantities "10Gbit/s", "500MB/s", "0.50/h" and "0.08/GB-month"
 * are WORDs too, read by the declarations that take them.
 *
 * The lexer also enforces the file's shape: no NUL bytes, no non-ASCII
 * outside strings and comments, lines of at most KS_LEX_MAX_LINE bytes. Its
 * errors use the scenario error domain and the final "FILE:LINE:COL: error:"
 * form.
 */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <glib.h>

#include "kafkasim/plan.h"
#include "kafkasim/types.h"

/* Longest line, in bytes, newline excluded: 1 MiB, so that a topic's
 * replica-assignment= of tens of thousands of partitions fits on its line. */
#define KS_LEX_MAX_LINE 1048576

typedef enum {
    KS_TOK_WORD,     /* a name or keyword: letters, digits, '.', '-', '_' */
    KS_TOK_INT,      /* a whole number, optionally negative: 3, -1 */
    KS_TOK_DURATION, /* a number with a unit us ms s m h: 250us, 1.5s */
    KS_TOK_RATE,     /* a number of records per second: 500/s */
    KS_TOK_STRING,   /* "text" with \" \\ \n escapes */
    KS_TOK_EQUALS,   /* = (the key=value separator) */
    KS_TOK_COMMA,    /* , */
    KS_TOK_LBRACE,   /* { */
    KS_TOK_RBRACE,   /* } */
    KS_TOK_PIPE,     /* | or -> (src tells which) */
    KS_TOK_OP,       /* == != < <= > >= (see cmp) */
    KS_TOK_EOL,      /* end of the line; always the last token */
} KsTokenKind;

typedef struct {
    KsTokenKind kind;
    int line;
    int col;
    const char *src; /* the token as written, in the caller's text */
    size_t len;      /* bytes of src; 0 for EOL */
    int64_t value;   /* INT: the number; DURATION: microseconds; RATE: per second */
    KsCmp cmp;       /* OP only */
    char *str;       /* STRING only: the decoded text, owned by the lexer */
} KsToken;

typedef struct KsLexer KsLexer;

typedef enum {
    KS_LEX_LINE,  /* a line was read */
    KS_LEX_END,   /* no more lines */
    KS_LEX_ERROR, /* the error was set */
} KsLexResult;

/* Returns a lexer over @len bytes of @text (borrowed; it must outlive the
 * lexer and its tokens). @file (copied) names the text in messages. A UTF-8
 * byte order mark at the very start is skipped. Free with ks_lexer_free(). */
KsLexer *ks_lexer_new(const char *file, const char *text, size_t len);

/* Numbers the next line @line_no (>= 1) instead of 1 more than the last:
 * for a text that is one line of a longer one. */
void ks_lexer_set_next_line(KsLexer *lx, int line_no);

/* Frees @lx and its tokens; NULL is a no-op. */
void ks_lexer_free(KsLexer *lx);

/* Reads the next line. On KS_LEX_LINE, *@out_tokens and *@out_n describe its
 * tokens (the last is KS_TOK_EOL); they stay valid until the next call. On
 * KS_LEX_ERROR, @error is set; calling again after an error is not allowed. */
KsLexResult ks_lexer_next_line(KsLexer *lx, const KsToken **out_tokens, guint *out_n,
                               GError **error);

/* Reads a whole duration from @len bytes of @text ("250us", "1.5s", "2m").
 * Returns true and sets *@out, or false with a short reason in *@out_why
 * (static). A bare number, even 0, is not a duration here. */
bool ks_lex_duration(const char *text, size_t len, KsTime *out, const char **out_why);

/* Sets @error to "FILE:LINE:COL: error: MESSAGE" in the scenario domain. */
void ks_lex_set_error(GError **error, int code, const char *file, int line, int col,
                      const char *fmt, ...) G_GNUC_PRINTF(6, 7);

/* The name of a token kind for messages: "a name", "a number", ... */
const char *ks_token_kind_describe(KsTokenKind kind);

G_DEFINE_AUTOPTR_CLEANUP_FUNC(KsLexer, ks_lexer_free)
