/* SPDX-License-Identifier: MIT */
/*
 * scenario-assign.c - a topic's replica-assignment= value, written as
 * kafka-topics.sh --replica-assignment takes it:
 *
 *   topic orders replica-assignment="1:2:3,2:3:1,3:1:2"
 *
 * Partitions are separated by ',' and the brokers of one partition by ':';
 * the first broker of each list is the preferred leader. The number of lists
 * is the partition count and their length the replication factor, so
 * partitions=, replication-factor= and replica-placement-start= are refused
 * beside it, as kafka-topics refuses --partitions and --replication-factor
 * with --replica-assignment.
 *
 * The checks follow TopicCommand.parseReplicaAssignment (Kafka 3.9) and use
 * its messages: a broker twice in one partition ("Partition replica lists
 * may not contain duplicate entries: 1"), a partition whose list is longer
 * or shorter than partition 0's ("Partition 1 has different replication
 * factor: [2, 3]"). Spaces around a broker id are allowed (Kafka trims
 * them). Where Kafka's parser is lax, this one is strict: an empty partition
 * or broker id anywhere is an error (Java's split drops trailing empty
 * strings, so Kafka takes "1:2,2:3," as two partitions). Every broker must
 * be declared: ZooKeeper-mode Kafka does not check that when it creates a
 * topic (ZkAdminManager.createTopics), which leaves such a replica offline
 * for ever, but refuses it when partitions are added, with the message used
 * here ("Unknown broker(s) in replica assignment: 7."). Since a broker may
 * be declared below the topic, that check waits for the end of the
 * declarations (ks_scn_check_assignment).
 *
 * Runs once per topic line that has the key, in one pass over the value:
 * one hash lookup per broker id written (the benchmark's 30,000 partitions
 * of 3 replicas take a few milliseconds).
 */
#include "scenario-private.h"

#include <inttypes.h>
#include <stdarg.h>
#include <stdint.h>

#include <glib.h>

#define EXAMPLE "replica-assignment=\"1:2:3,2:3:1\""

/* At most this many broker ids in a message. */
#define SHOW_MAX 20

/* What the pass knows of one broker id. */
typedef struct {
    int col;           /* where it is first written */
    int32_t last_part; /* the last partition that lists it */
    int32_t dup_part;  /* the last partition that lists it twice */
} Seen;

typedef struct {
    Parser *p;
    const KsToken *t;
    const char *s; /* the value, inside the quotes */
    size_t n;
    size_t i;
    GArray *ids;      /* KsBrokerId, partition after partition */
    GHashTable *seen; /* id -> Seen (owned) */
    int32_t part;     /* the partition being read */
    GArray *dups;     /* KsBrokerId: the ids it lists twice, in the order found */
    size_t dup_at;    /* where the first of them is repeated */
} Reader;

static int col_at(const Reader *r, size_t i)
{
    return r->t->col + 1 + (int)i;
}

static bool fail_at(Reader *r, size_t i, GError **error, const char *fmt, ...) G_GNUC_PRINTF(4, 5);

static bool fail_at(Reader *r, size_t i, GError **error, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    g_autofree char *msg = g_strdup_vprintf(fmt, ap);
    va_end(ap);
    return ks_scn_fail_at(r->p, r->t->line, col_at(r, i), VALUE, error, "%s", msg);
}

static void skip_blanks(Reader *r)
{
    while (r->i < r->n && (r->s[r->i] == ' ' || r->s[r->i] == '\t'))
        r->i++;
}

/* The first SHOW_MAX of @n ids joined by @sep, then @more if some are left
 * out: every list of ids the messages show. */
static char *join_ids(const KsBrokerId *ids, guint n, const char *sep, const char *more)
{
    GString *s = g_string_new(NULL);
    for (guint k = 0; k < n && k < SHOW_MAX; k++)
        g_string_append_printf(s, "%s%" PRId32, k ? sep : "", ids[k]);
    if (n > SHOW_MAX)
        g_string_append(s, more);
    return g_string_free(s, FALSE);
}

/* One broker id at the cursor, blanks around it skipped. */
static bool read_broker(Reader *r, bool first_of_partition, GError **error)
{
    skip_blanks(r);
    size_t start = r->i;
    size_t k = start;
    bool negative = k < r->n && r->s[k] == '-';
    if (negative)
        k++;
    int64_t v = 0;
    size_t digits = k;
    while (k < r->n && g_ascii_isdigit(r->s[k]) && v <= INT32_MAX)
        v = v * 10 + (r->s[k++] - '0');
    size_t end = k;
    while (end < r->n && r->s[end] != ':' && r->s[end] != ',')
        end++;
    r->i = k;
    skip_blanks(r);
    if (start == end) {
        if (first_of_partition && (start == r->n || r->s[start] == ','))
            return fail_at(r, start, error,
                           "partition %" PRId32 " is empty: replica-assignment lists the brokers "
                           "of every partition, e.g. %s",
                           r->part, EXAMPLE);
        return fail_at(r, start, error,
                       "partition %" PRId32 " has an empty broker id: brokers are separated by "
                       "':', e.g. %s",
                       r->part, EXAMPLE);
    }
    if (k == digits || v > INT32_MAX || (r->i < r->n && r->s[r->i] != ':' && r->s[r->i] != ',')) {
        while (end > start && (r->s[end - 1] == ' ' || r->s[end - 1] == '\t'))
            end--;
        g_autofree char *word = g_strndup(r->s + start, MIN(end - start, 40));
        return fail_at(r, start, error,
                       "'%s' is not a broker id (a whole number); write the brokers of each "
                       "partition separated by ':', e.g. %s",
                       word, EXAMPLE);
    }
    KsBrokerId id = (KsBrokerId)(negative ? -v : v);
    g_array_append_val(r->ids, id);
    Seen *seen = g_hash_table_lookup(r->seen, GINT_TO_POINTER(id));
    if (!seen) {
        seen = g_new(Seen, 1);
        *seen = (Seen){.col = col_at(r, start), .last_part = -1, .dup_part = -1};
        g_hash_table_insert(r->seen, GINT_TO_POINTER(id), seen);
    }
    if (seen->last_part != r->part) {
        seen->last_part = r->part;
    } else if (seen->dup_part != r->part) {
        /* Listed twice: reported once the whole list is read, as Kafka
         * lists every duplicate of the partition. */
        seen->dup_part = r->part;
        if (r->dups->len == 0)
            r->dup_at = start;
        g_array_append_val(r->dups, id);
    }
    return true;
}

/* Refuses the partition just read if it lists a broker twice. */
static bool check_duplicates(Reader *r, GError **error)
{
    if (r->dups->len == 0)
        return true;
    g_autofree char *list =
        join_ids((const KsBrokerId *)(void *)r->dups->data, r->dups->len, ",", "");
    return fail_at(r, r->dup_at, error,
                   "Partition replica lists may not contain duplicate entries: %s (partition "
                   "%" PRId32 ")",
                   list, r->part);
}

bool ks_scn_replica_assignment(Parser *p, Args *args, const Arg *a, KsPlanTopic *t, TopicAux *aux,
                               GError **error)
{
    static const char *const others[] = {"partitions", "replication-factor",
                                         "replica-placement-start"};
    for (size_t i = 0; i < G_N_ELEMENTS(others); i++) {
        const Arg *o = ks_scn_get(args, others[i]);
        if (o)
            return ks_scn_fail(p, o->key, VALUE, error,
                               "%s= can't be used with replica-assignment=, which places every "
                               "replica of every partition",
                               others[i]);
    }
    if (!ks_scn_want_scalar(p, a, "an assignment", error))
        return false;
    const KsToken *tok = ks_scn_scalar(a);
    if (tok->kind != KS_TOK_STRING) {
        g_autofree char *s = ks_scn_arg_show(a);
        return ks_scn_fail(p, tok, VALUE, error,
                           "%s: write the assignment in double quotes, e.g. %s", s, EXAMPLE);
    }
    g_autoptr(GArray) ids = g_array_new(FALSE, FALSE, sizeof(KsBrokerId));
    g_autoptr(GHashTable) seen = g_hash_table_new_full(g_direct_hash, g_direct_equal, NULL, g_free);
    g_autoptr(GArray) dups = g_array_new(FALSE, FALSE, sizeof(KsBrokerId));
    Reader r = {.p = p,
                .t = tok,
                .s = tok->src + 1,
                .n = tok->len - 2,
                .ids = ids,
                .seen = seen,
                .dups = dups};
    skip_blanks(&r);
    if (r.i == r.n) {
        g_autofree char *s = ks_scn_arg_show(a);
        return ks_scn_fail(p, tok, VALUE, error,
                           "%s is empty: list the brokers of every partition, e.g. %s", s, EXAMPLE);
    }
    r.i = 0;
    int32_t rf = 0;
    for (;; r.part++) {
        if (r.part >= MAX_PARTITIONS)
            return fail_at(&r, r.i, error, "replica-assignment has more than %d partitions",
                           MAX_PARTITIONS);
        guint first = ids->len;
        skip_blanks(&r);
        size_t part_at = r.i;
        for (;;) {
            if (!read_broker(&r, ids->len == first, error))
                return false;
            if (r.i < r.n && r.s[r.i] == ':') {
                r.i++;
                continue;
            }
            break;
        }
        if (!check_duplicates(&r, error))
            return false;
        int32_t len = (int32_t)(ids->len - first);
        if (r.part == 0) {
            rf = len;
        } else if (len != rf) {
            /* Java's List.toString: "[2, 3]". */
            g_autofree char *list =
                join_ids(&g_array_index(ids, KsBrokerId, first), (guint)len, ", ", ", ...");
            return fail_at(&r, part_at, error,
                           "Partition %" PRId32 " has different replication factor: [%s] "
                           "(partition 0 has %" PRId32 " replica%s)",
                           r.part, list, rf, rf == 1 ? "" : "s");
        }
        if (r.i >= r.n)
            break;
        r.i++; /* the ',' */
    }
    aux->rf_loc = ks_scn_loc_of(tok);
    aux->assign_line = tok->line;
    aux->assign_seen = g_steal_pointer(&seen);
    t->partitions = r.part + 1;
    t->replication_factor = rf;
    t->assignment = (KsBrokerId *)(void *)g_array_free(g_steal_pointer(&ids), FALSE);
    return true;
}

static gint cmp_id(gconstpointer a, gconstpointer b)
{
    KsBrokerId x = *(const KsBrokerId *)a, y = *(const KsBrokerId *)b;
    return (x > y) - (x < y);
}

bool ks_scn_check_assignment(Parser *p, const KsPlanTopic *t, const TopicAux *aux, GError **error)
{
    if (!t->assignment)
        return true;
    size_t n = (size_t)t->partitions * (size_t)t->replication_factor;
    g_autoptr(GArray) unknown = NULL;
    KsBrokerId first = 0;
    for (size_t k = 0; k < n; k++) {
        KsBrokerId id = t->assignment[k];
        if (g_hash_table_contains(p->brokers, GINT_TO_POINTER(id)))
            continue;
        if (!unknown) {
            unknown = g_array_new(FALSE, FALSE, sizeof(KsBrokerId));
            first = id;
        }
        g_array_append_val(unknown, id);
    }
    if (!unknown)
        return true;
    /* Each unknown id once, in ascending order; the error points at the
     * first written. */
    g_array_sort(unknown, cmp_id);
    KsBrokerId *u = (KsBrokerId *)(void *)unknown->data;
    guint n_unique = 0;
    for (guint k = 0; k < unknown->len; k++)
        if (k == 0 || u[k] != u[n_unique - 1])
            u[n_unique++] = u[k];
    g_autofree char *list = join_ids(u, n_unique, ", ", ", ...");
    g_autofree char *known = ks_scn_describe_brokers(p);
    const Seen *seen = g_hash_table_lookup(aux->assign_seen, GINT_TO_POINTER(first));
    return ks_scn_fail_at(p, aux->assign_line, seen->col, REFERENCE, error,
                          "Unknown broker(s) in replica assignment: %s. (no such broker when the "
                          "topic is created; %s)",
                          list, known);
}
