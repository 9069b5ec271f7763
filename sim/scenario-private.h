/* SPDX-License-Identifier: MIT */
/*
 * scenario-private.h - what the files of the scenario parser share.
 *
 * The parser is one module in six files, one per part of a line:
 * scenario-args.c (values, configs, errors), scenario-lookup.c (names),
 * scenario-decl.c (declarations), scenario-expect.c (conditions),
 * scenario-action.c (actions) and scenario.c (lines, files, the public
 * API). They share the parser's state (Parser, owned by the plan it builds,
 * see scenario.c), the argument types and the functions below, prefixed
 * ks_scn_ since they cross files; nothing outside these files includes
 * this header. Each function is documented here or at its definition.
 */
#pragma once

#include <stdbool.h>
#include <stdint.h>

#include <glib.h>

#include "kafkasim/config.h"
#include "kafkasim/plan.h"
#include "kafkasim/scenario.h"
#include "lexer.h"

/* Limits on what a scenario can make us allocate. */
#define MAX_FILE_BYTES       (16 * 1024 * 1024)
#define MAX_NAME             249 /* Kafka's limit on topic names; used for all names */
#define MAX_NODES            10000
#define MAX_BROKERS          10000
#define MAX_TOPICS           100000
#define MAX_PARTITIONS       100000 /* per topic */
#define MAX_TOTAL_PARTITIONS 1000000
#define MAX_CLIENTS          100000
#define MAX_GROUPS           100000
#define MAX_ZK_SERVERS       255
#define MAX_ACTIONS          1000000
#define MAX_TIME             (365 * 24 * KS_TIME_H)
#define MAX_RATE             1000000000
#define MAX_COUNT            1000000000
#define MAX_KEYS             100000000
#define MAX_RECORD_SIZE      (10 * 1024 * 1024)
#define MAX_CAPACITY         100000000
#define MAX_LIST             10000 /* items in one list or set */

#define ALL_SCOPES (KS_SCOPE_BROKER | KS_SCOPE_TOPIC | KS_SCOPE_PRODUCER | KS_SCOPE_CONSUMER)

/* Reasons shown with "not supported yet". */
#define WHY_GENERIC   "the simulator does not model it yet"
#define WHY_CONSUMERS "consumers arrive with consumer groups"

/* ------------------------------------------------------------------------ */
/* Parser state                                                               */

typedef struct {
    KsLoc rf_loc;    /* replication-factor= or replica-assignment= value, else the topic's name */
    KsLoc start_loc; /* replica-placement-start= value */
    /* replica-assignment=: its line, and each broker id it names -> where
     * it is first written (scenario-assign.c); NULL without the key. */
    int assign_line;
    GHashTable *assign_seen;
} TopicAux;

typedef struct {
    int line;
    KsTime added_at; /* -1: declared; else when `add broker` adds it */
    /* Where its broker line gives replica.fetch.wait.max.ms and
     * replica.lag.time.max.ms (line 0: not there), for check_broker_configs. */
    KsLoc wait_at, lag_at;
} BrokerInfo;

/* A topic's partition count from a time on (`add partitions`). */
typedef struct {
    const KsPlanTopic *topic;
    KsTime at;
    int32_t count;
} GrownTopic;

/* The configs Kafka's producer checks against each other when it is built
 * (check_producer_configs). */
static const KsConfigKey producer_checked[] = {
    KS_CFG_ENABLE_IDEMPOTENCE,
    KS_CFG_ACKS,
    KS_CFG_RETRIES,
    KS_CFG_MAX_IN_FLIGHT_REQUESTS_PER_CONNECTION,
    KS_CFG_DELIVERY_TIMEOUT_MS,
    KS_CFG_LINGER_MS,
    KS_CFG_REQUEST_TIMEOUT_MS,
};

/* A producer's or flume agent's configs, kept until the `set` lines are all
 * known, with where its line gives each of producer_checked (line 0: not on
 * the line). */
typedef struct {
    KsConfigSet *configs; /* the plan's */
    KsLoc name;           /* the client's name */
    KsLoc at[G_N_ELEMENTS(producer_checked)];
} ProducerCheck;

typedef enum {
    CLIENT_PRODUCER,
    CLIENT_FLUME,
    CLIENT_CONSUMER,
} ClientKind;

typedef struct {
    ClientKind kind;
    int line;
} ClientInfo;

typedef struct {
    KsPlanGroup *group; /* owned by the plan */
    int explicit_line;  /* line of its `group` declaration; 0: implicit */
} GroupInfo;

/* A declaration line given to ks_scenario_parse_line(). */
typedef struct {
    char *text;
    int line_no;
} DeclLine;

/* What a line may change of the timeline; saved before each line and put
 * back if the line fails, so a failed timeline line changes nothing. */
typedef struct {
    bool decls_done;   /* a timeline, run or expect line was seen */
    int timeline_line; /* the first such line */
    bool have_at;
    KsTime last_at;
    int last_at_line;
    KsTime max_every; /* latest first time of an `every` line */
    int max_every_line;
    int first_every_line;
    int first_every_col;
    bool console_checked; /* check_console_producer() has run */
    guint n_added;        /* length of Parser.added */
    guint n_actions;      /* actions parsed, of at most MAX_ACTIONS */
} Timeline;

/* The parser's state: indexes of the plan's names and what the lines so far
 * have said. Owned by the plan it builds (KsPlan.parser), so that more lines
 * can be parsed against it later (ks_scenario_parse_line()). */
typedef struct {
    const char *file; /* the plan's */
    KsPlan *plan;
    bool allow_unsupported;
    bool allow_now; /* an action line may leave out `at TIME` */
    /* Declarations parsed one line at a time, as DeclLine, so the plan can
     * be rebuilt as it was when a line fails; NULL until the first. */
    GPtrArray *decl_lines;

    /* The current line. */
    const KsToken *toks;
    guint n;
    guint pos;

    /* Declarations. */
    int seed_line;
    int zookeeper_line;
    KsLoc set_at[KS_CFG_COUNT]; /* the key where `set` gave each config; line 0: not set */
    GHashTable *nodes;          /* name -> KsPlanNode (borrowed from the plan) */
    GHashTable *brokers;        /* id -> BrokerInfo (owned) */
    GArray *added;              /* KsBrokerId of brokers that `add broker` adds */
    GArray *grown;              /* of GrownTopic: what `add partitions` lines make */
    GHashTable *topics;         /* name -> KsPlanTopic (borrowed) */
    GHashTable *topic_norm;     /* name with '.' as '_' -> KsPlanTopic (borrowed) */
    GArray *topic_aux;          /* TopicAux, parallel to plan->topics */
    GArray *producer_part;      /* KsLoc of partition=, parallel to plan->producers */
    GArray *producer_checks;    /* ProducerCheck of producers and flume agents, in file order */
    GHashTable *clients;        /* name -> ClientInfo (owned) */
    GHashTable *groups;         /* name -> GroupInfo (owned) */

    /* Timeline. */
    Timeline tl;
    KsTime now; /* time of the action being parsed; KS_SCENARIO_NOW: now */
} Parser;

#define SYNTAX      KS_SCENARIO_ERROR_SYNTAX
#define VALUE       KS_SCENARIO_ERROR_VALUE
#define REFERENCE   KS_SCENARIO_ERROR_REFERENCE
#define UNSUPPORTED KS_SCENARIO_ERROR_UNSUPPORTED

typedef struct {
    const char *name;
    const char *example; /* a complete example: "partitions=6" */
} KeySpec;

/* A KeySpec row: KEY("partitions", "6") is {"partitions", "partitions=6"}. */
/* clang-format off */
#define KEY(name, value) {name, name "=" value}
#define KEYS_END         {NULL, NULL}
/* clang-format on */

typedef struct {
    const KsToken *key;   /* NULL: positional */
    const KsToken *first; /* first token of the value ('{' of a set, '|') */
    const KsToken *last;  /* last token of the value */
    GPtrArray *items;     /* const KsToken *: the scalar values */
    bool is_set;          /* written {a,b} */
    bool is_list;         /* written a,b */
    bool is_pipe;         /* the '|' of partition-network */
    const char *example;
} Arg;

typedef struct {
    const KsToken *key;
    const KsConfigInfo *info;
} ConfigUse;

typedef struct {
    GPtrArray *pos;   /* Arg *, positional values in order (owns them) */
    GPtrArray *keyed; /* Arg *, the row's own keys (owns them) */
    KsConfigSet *configs;
    GArray *uses; /* ConfigUse, in the order written */
} Args;

typedef struct {
    const char *name;
    const char *usage;
    int min_pos, max_pos; /* positional values */
    const char *pos_what; /* what the first positional is: "a topic name" */
    const char *pos_example;
    const KeySpec *keys; /* NULL, or ends with {NULL} */
    unsigned scopes;     /* configs allowed on the line; 0: none */
    const char *entity;  /* "a topic": for "cannot be set on a topic" */
    bool allows_pipe;
} LineSpec;

typedef struct CondRow CondRow; /* a row of scenario-expect.c */

void ks_scn_args_free(Args *a);
G_DEFINE_AUTOPTR_CLEANUP_FUNC(Args, ks_scn_args_free)

/* scenario-args.c */

void ks_scn_advance(Parser *p);

/* One of @choices (NULL-terminated); *@out is its index. */
bool ks_scn_arg_choice(Parser *p, const Arg *a, const char *const *choices, int *out,
                       GError **error);

void ks_scn_arg_free(gpointer data);

bool ks_scn_arg_int(Parser *p, const Arg *a, int64_t min, int64_t max, int64_t *out,
                    GError **error);

/* A name: a word (or a number-like word such as "2024"). */
bool ks_scn_arg_name(Parser *p, const Arg *a, const char *what, char **out, GError **error);

/* The value as written: "partitions=abc", or "'abc'" for a positional. */
char *ks_scn_arg_show(const Arg *a);

/* A name or a quoted string. */
bool ks_scn_arg_text(Parser *p, const Arg *a, const char *what, char **out, GError **error);

/* Refuses the unsupported configs of a line that is otherwise valid. */
bool ks_scn_check_config_support(Parser *p, const Args *a, GError **error);

bool ks_scn_check_name_len(Parser *p, const KsToken *t, GError **error);

/* Collects and checks the arguments of a line from the cursor to its end. */
Args *ks_scn_collect_args(Parser *p, const LineSpec *spec, const KsToken *head, GError **error);

const KsToken *ks_scn_cur(Parser *p);

/* "; did you mean 'x'?" or "". */
char *ks_scn_did_you_mean(const char *word, GPtrArray *candidates);

bool ks_scn_fail(Parser *p, const KsToken *t, int code, GError **error, const char *fmt, ...)
    G_GNUC_PRINTF(5, 6);

bool ks_scn_fail_at(Parser *p, int line, int col, int code, GError **error, const char *fmt, ...)
    G_GNUC_PRINTF(6, 7);

/* A keyed argument of the row, or NULL if not given. */
const Arg *ks_scn_get(Args *a, const char *key);

/* "a, b or c". */
char *ks_scn_join_or(GPtrArray *items);

char *ks_scn_join_strs(GPtrArray *items, guint max);

KsLoc ks_scn_loc_of(const KsToken *t);

/* Requires a keyed argument. */
const Arg *ks_scn_need(Parser *p, Args *a, const LineSpec *spec, const KsToken *head,
                       const char *key, GError **error);

/* Reads a value at the cursor: a scalar, a list a,b,c or a set {a,b}. */
Arg *ks_scn_parse_value(Parser *p, const KsToken *key, GError **error);

bool ks_scn_range_error(Parser *p, const Arg *a, const KsToken *t, int64_t min, int64_t max,
                        GError **error);

const KsToken *ks_scn_scalar(const Arg *a);

/* The candidate closest to @word, if it is close enough to be a typo. */
const char *ks_scn_suggest(const char *word, GPtrArray *candidates);

const char *ks_scn_time_show(KsTime t, char *buf, size_t size);

/* A time or duration token: a DURATION, or the number 0. */
bool ks_scn_tok_duration(Parser *p, const KsToken *t, const Arg *a, const char *what,
                         const char *example, KsTime *out, GError **error);

bool ks_scn_tok_is(const KsToken *t, const char *word);

/* Whether @t can be read as a name: a word, or a number or duration, whose
 * text is made of name characters too ("2024", "1m"). */
bool ks_scn_tok_is_name(const KsToken *t);

/* The token as written, shortened for a message; "end of line" for EOL. */
char *ks_scn_tok_show(const KsToken *t);

char *ks_scn_tok_text(const KsToken *t);

bool ks_scn_unsupported(Parser *p, const KsToken *t, const char *what, const char *why,
                        GError **error);

/* Requires a single value. */
bool ks_scn_want_scalar(Parser *p, const Arg *a, const char *what, GError **error);

/* Adds @w to @words unless it is there (the keyword list). */
void ks_scn_add_keyword(GPtrArray *words, const char *w);

/* Adds the key names of @keys (NULL or ending with {NULL}) to @words. */
void ks_scn_add_keys(GPtrArray *words, const KeySpec *keys);

/* scenario-lookup.c */

void ks_scn_add_client(Parser *p, const char *name, ClientKind kind, int line);

/* "brokers are 1, 2, 3" (ranges for many), "the only broker is 1" or "no
 * broker is declared": the brokers declared or added so far. */
char *ks_scn_describe_brokers(Parser *p);

/* scenario-assign.c */

/* A topic line's replica-assignment= value @aa (kafka-topics.sh
 * --replica-assignment: "1:2:3,2:3:1") into @t's assignment, partition count
 * and replication factor, keeping in @aux where each broker is named.
 * Refuses the line's other placement keys (of @a), empty entries,
 * non-numbers, a broker twice in one partition and partitions of differing
 * lengths, with Kafka's messages. */
bool ks_scn_replica_assignment(Parser *p, Args *a, const Arg *aa, KsPlanTopic *t, TopicAux *aux,
                               GError **error);

/* Once every broker is declared: refuses @t's assignment if it names a
 * broker that is not ("Unknown broker(s) in replica assignment: 7."). */
bool ks_scn_check_assignment(Parser *p, const KsPlanTopic *t, const TopicAux *aux, GError **error);

/* A set (or list) of known broker ids. @sorted: ascending, else as written. */
/* scenario-reassign.c: the `reassign` action's line into @act. */
extern const KeySpec ks_scn_reassign_keys[];
bool ks_scn_reassign(Parser *p, const LineSpec *spec, const KsToken *head, Args *a,
                     KsPlanAction *act, GError **error);
/* @topic's partition count as lines at the parser's time see it: the
 * declared one, or what an `add partitions` before makes
 * (scenario-reassign.c). */
int32_t ks_scn_partitions_now(const Parser *p, const KsPlanTopic *topic);
/* The `add partitions` action's line (scenario-reassign.c). */
extern const KeySpec ks_scn_add_partitions_keys[];
bool ks_scn_add_partitions(Parser *p, const LineSpec *spec, const KsToken *head, Args *a,
                           KsPlanAction *act, GError **error);
/* A byte rate with its unit (10MB/s, 1Gbit/s) in bytes per second
 * (scenario-decl-capacity.c). */
bool ks_scn_arg_byte_rate(Parser *p, const Arg *a, int64_t *out, GError **error);
/* Brokers as a list, a set or a range A..B, each declared and existing at
 * the time of the line; sorted by id, none twice (scenario-lookup.c). */
bool ks_scn_arg_broker_range(Parser *p, const Arg *a, GArray **out, GError **error);
bool ks_scn_arg_broker_set(Parser *p, const Arg *a, bool sorted, bool allow_empty, GArray **out,
                           GError **error);

bool ks_scn_arg_node(Parser *p, const Arg *a, char **out, GError **error);

KsPlanTopic *ks_scn_arg_topic(Parser *p, const Arg *a, GError **error);

/* A list of declared topic names, without repeats. */
bool ks_scn_arg_topics(Parser *p, const Arg *a, GPtrArray **out, GError **error);

bool ks_scn_check_client_name(Parser *p, const KsToken *t, const char *name, GError **error);

bool ks_scn_find_consumer(Parser *p, const KsToken *t, const char *name, GError **error);

bool ks_scn_find_group(Parser *p, const KsToken *t, const char *name, GError **error);

bool ks_scn_find_node(Parser *p, const KsToken *t, const char *name, GError **error);

bool ks_scn_find_producer(Parser *p, const KsToken *t, const char *name, GError **error);

/* "orders has 6 partitions (0-5); there is no orders-9". */
bool ks_scn_no_such_partition(Parser *p, int line, int col, const char *topic, int32_t n_partitions,
                              const char *number, GError **error);

bool ks_scn_tok_broker(Parser *p, const KsToken *t, const char *example, KsBrokerId *out,
                       GError **error);

/* A partition written TOPIC-N: split at the last '-' followed only by
 * digits, so a topic may itself contain '-' and digits ("a-1-2" is
 * partition 2 of topic "a-1"). */
bool ks_scn_tok_partition(Parser *p, const KsToken *t, KsPlanPartition *out, GError **error);

/* The group @name, declared implicitly (with Kafka's defaults) if new. */
bool ks_scn_use_group(Parser *p, const KsToken *t, const char *name, GError **error);

/* scenario-decl.c */

/* A rate: N/s, or 0. */
bool ks_scn_arg_rate(Parser *p, const Arg *a, int64_t *out, GError **error);

/* scenario-flume.c: the keys of a flume line beyond its name, topic, rate,
 * capacity, batch-size and node, and the nodes of the zookeeper line. */
bool ks_scn_flume_sink(Parser *p, Args *a, KsPlanFlume *f, GError **error);
bool ks_scn_flume_keys(Parser *p, Args *a, KsPlanFlume *f, GError **error);
bool ks_scn_zookeeper_nodes(Parser *p, Args *a, KsPlanZookeeper *zk, GError **error);
bool ks_scn_find_flume(Parser *p, const KsToken *t, const char *name, GError **error);

bool ks_scn_add_broker(Parser *p, const KsToken *t, int64_t id, GError **error);

/*
 * A `produce` action without producer= sends with a console producer built
 * from the `set` defaults alone, so Kafka would refuse to build it when the
 * defaults conflict: `set enable.idempotence=true` with `set acks=1`, for
 * example. The same `set` lines are fine in a scenario without such an
 * action, where they are only defaults for declared producers, each checked
 * on its own by check_producer_configs(). Runs at the first such action, when
 * every `set` line is known; the error points at the latest `set` token of
 * the conflict, the one that made it one. `set` actions of the timeline are
 * not counted.
 */
bool ks_scn_check_console_producer(Parser *p, const KsToken *head, GError **error);

/* scenario-consumer.c */

/* A KS_CONFIG_ENUM_LIST config's value, one name or a list a,b,c, into
 * @into. */
bool ks_scn_config_list(Parser *p, const KsConfigInfo *info, Arg *a, KsConfigSet *into,
                        GError **error);

/* Where to read from, as @offset_key=N or @time_key=T (one of them) into
 * *@offset or *@time (each untouched without its key). */
bool ks_scn_consumer_seek_keys(Parser *p, Args *a, const char *offset_key, const char *time_key,
                               int64_t *offset, KsTime *time, GError **error);
/* Builds a consumer from group= and topics= (shared by the declaration and
 * by `start consumer` defining a new one). */
bool ks_scn_define_consumer(Parser *p, const KsToken *nt, const char *name, const Arg *ag,
                            const Arg *at, Args *a, KsLoc loc, bool at_zero, GError **error);
/* seek consumer's partition (optional, the second value) and to-offset= or
 * to-time= into @act. */
bool ks_scn_seek_target(Parser *p, const KsToken *head, Args *a, KsPlanAction *act, GError **error);

/* Once the declarations are over: defaults resolved, counts checked. */
bool ks_scn_finish_declarations(Parser *p, int line, GError **error);

/* A broker's node= (required, a declared node) and rack= (optional) of a
 * `broker` declaration or an `add broker` action. */
bool ks_scn_broker_place(Parser *p, const LineSpec *spec, const KsToken *head, Args *a, char **node,
                         char **rack, GError **error);

/* Parses a declaration line whose keyword @kw is at the cursor; refuses it
 * once the timeline has begun. */
bool ks_scn_parse_declaration(Parser *p, const KsToken *kw, GError **error);

/* scenario-decl-capacity.c */

/* The keys of `node-type`, and the declaration whose arguments are @a. */
extern const KeySpec ks_scn_node_type_keys[];
bool ks_scn_node_type(Parser *p, const LineSpec *spec, const KsToken *head, Args *a,
                      GError **error);
/* The keys of `site`, and the declaration whose arguments are @a. */
extern const KeySpec ks_scn_site_keys[];
bool ks_scn_site(Parser *p, const LineSpec *spec, const KsToken *head, Args *a, GError **error);
/* A node's site=: a declared site whose zones (if it lists any) include
 * @zone (NULL: none given; @zone_tok, where to blame it). */
bool ks_scn_node_site(Parser *p, const Arg *as, const char *zone, const KsToken *zone_tok,
                      char **out, GError **error);
/* The same for `cluster`'s site= and every zone of its zones= (@az, may be
 * NULL). */
bool ks_scn_cluster_site(Parser *p, const Arg *as, const Arg *az, char **out, GError **error);
/* A node type declared above or in the price table (which it then adds to
 * the plan's node_types); *@out is its name. */
bool ks_scn_arg_node_type(Parser *p, const Arg *a, char **out, GError **error);

/* scenario-decl-net.c */

/* The keys of `network` and `link`, and the declarations. */
extern const KeySpec ks_scn_network_keys[];
extern const KeySpec ks_scn_link_keys[];
bool ks_scn_network(Parser *p, const LineSpec *spec, const KsToken *head, Args *a, GError **error);
bool ks_scn_link(Parser *p, const LineSpec *spec, const KsToken *head, Args *a, GError **error);
/* A share written "10%" or "0.5%", as parts per million. */
bool ks_scn_arg_share(Parser *p, const Arg *v, int64_t *ppm, GError **error);

/* Adds the declaration keywords and their keys to @words. */
void ks_scn_add_decl_keywords(GPtrArray *words);

/* Adds the value words of declarations (partitioners, assignors,
 * protocols) to @words. */
void ks_scn_add_decl_value_keywords(GPtrArray *words);

/* scenario-expect.c */

bool ks_scn_check_cond_support(Parser *p, const CondRow *row, const KsToken *t, GError **error);

/* Parses the condition at the cursor up to the end of the line. */
KsPlanExpect *ks_scn_parse_condition(Parser *p, const KsToken *expect_tok, const CondRow **out_row,
                                     const KsToken **out_tok, GError **error);

/* Adds the condition names to @words. */
void ks_scn_add_cond_keywords(GPtrArray *words);

/* Adds the group state names to @words. */
void ks_scn_add_cond_value_keywords(GPtrArray *words);

/* scenario-action.c */

/* Parses the action at the cursor, to run first at @at (KS_SCENARIO_NOW:
 * when the caller adds it) and then every @every (0: once). Returns a new
 * action, not added to the plan, or NULL with @error set. */
KsPlanAction *ks_scn_parse_action(Parser *p, KsTime at, KsTime every, GError **error);

/* Whether @kw is the verb of an action other than `set` (which is also a
 * declaration). */
bool ks_scn_is_action_verb(const KsToken *kw);

/* Adds the action names and their keys to @words. */
void ks_scn_add_action_keywords(GPtrArray *words);
