/* SPDX-License-Identifier: MIT */
/*
 * test-model.c - properties of the whole model, over generated scenarios.
 *
 * Each scenario is TEXT written by a seeded generator (ks_rng), parsed with
 * ks_scenario_parse() and run with ks_sim_check_invariants() called after
 * every engine event that emits a KsEvent: the sink asks the engine to stop
 * once that event returns, so the check sees a settled state, never a
 * controller decision half applied (events are emitted mid-change: a
 * LEADER_ELECTED is announced before the replicas switch fetch sessions).
 * Between those, every 61st simulated instant is checked too, and every
 * instant in a sample of "dense" scenarios. After each check the test also
 * verifies that what only moves forward did (leader and controller epochs,
 * a leader's HW and log end within its epoch). A violation fails the test
 * with its message and the scenario, printed as TAP comments: save it as a
 * .ks file and `kafkasim run` it.
 *
 * The properties:
 *  1. acks=all is safe: RF 3, min.insync.replicas=2, no unclean election,
 *     at most one broker down at any time, then no acknowledged record is
 *     lost, an idempotent producer's records are each in the log once and
 *     in order, and the cluster heals once every broker is back.
 *  2. Liveness: whatever failed, once every broker is back for longer than
 *     the session timeout plus replica.lag.time.max.ms, every partition has
 *     a leader, a full ISR, every replica the leader's log end, the HW is
 *     the log end and no record waits in a producer. With acks=all only and
 *     no unclean election, nothing acknowledged is lost either.
 *  3. acks=1 can lose acknowledged records, by construction: a leader dies
 *     one fetch round trip after acknowledging; with acks=all the same
 *     timing loses nothing.
 *  4. Determinism: a scenario run twice gives the same events (hashed) and
 *     the same statistics, and so does the run the program makes (no stops,
 *     no checks).
 *  5. Robustness: random action sequences, nonsense ones included (restart a
 *     live broker, crash a dead one, two brokers per node, RF 1 and 2,
 *     min.insync.replicas above RF, unclean election), never break an
 *     invariant or crash.
 * Every scenario of scenarios/ also runs with the invariants checked, and
 * each bug these tests found in the model keeps its smallest scenario as a
 * regression test.
 *
 * Environment: KS_MODEL_FIRST and KS_MODEL_SEEDS choose the seeds of the
 * generated properties (a failure names its seed on the scenario's `seed`
 * line), KS_MODEL_ONLY=WORD runs the tests whose name contains WORD,
 * KS_MODEL_DENSE=1 checks every instant, KS_MODEL_DUMP=FILE writes each
 * scenario there before it runs.
 *
 * The test reads the model's state (sim/model.h) to step the engine and to
 * judge the end state; it changes it only to check that the checker itself
 * catches damage done by hand.
 */
#include "ks-test.h"

#include <stdio.h>
#include <string.h>

#include "kafkasim/rng.h"
#include "kafkasim/scenario.h"
#include "kafkasim/sim.h"
#include "sim/producer-private.h"
#include "sim/registry-private.h"
#include "sim/ledger.h"
#include "sim/model.h"

/* ---- running a scenario with the invariants checked ---- */

typedef struct {
    KsSim *sim;
    uint64_t hash; /* FNV-1a over every event's fields */
    uint64_t n_events;
    int64_t truncations;
    int64_t truncated_records;
    bool emitted; /* since the last check */
    bool plain;   /* no stops, no checks: the run as the program makes it */
} Watch;

static void hash_bytes(uint64_t *h, const void *data, size_t n)
{
    const unsigned char *p = data;
    for (size_t i = 0; i < n; i++) {
        *h ^= p[i];
        *h *= 0x100000001b3ull;
    }
}

static void hash_str(uint64_t *h, const char *s)
{
    if (s)
        hash_bytes(h, s, strlen(s) + 1);
    else
        hash_bytes(h, "\xff", 1);
}

/* Hashes the event and asks the engine to stop once the event that emitted
 * it returns, so the invariants are checked right after it. */
static void watch_sink(const KsEvent *ev, void *ctx)
{
    Watch *w = ctx;
    uint64_t *h = &w->hash;
    /* Its trace line has every field the event's type carries. */
    g_autofree char *json = ks_event_format_json(ev);
    hash_str(h, json);
    w->n_events++;
    if (ev->type == KS_EV_TRUNCATED) {
        w->truncations++;
        w->truncated_records += ev->truncated.from_offset - ev->truncated.to_offset;
    }
    w->emitted = true;
    if (!w->plain)
        ks_engine_stop(w->sim->engine);
}

/* One run of a scenario, with its text kept for failure messages. */
typedef struct {
    char *text;
    KsPlan *plan;
    KsSim *sim;
    Watch watch;
    KsSimStats stats;
    char *violation; /* the first invariant broken, or NULL */
    GArray *seen;    /* of Progress, by partition: as of the last check */
    int32_t controller_epoch;
} Run;

/* What only moves forward, per partition (Kafka: the leader epoch; within
 * one epoch the leader's high watermark and log end). */
typedef struct {
    int32_t epoch;
    int64_t hw;
    int64_t leo;
} Progress;

static void run_clear(Run *r)
{
    ks_sim_free(r->sim);
    ks_plan_free(r->plan);
    g_free(r->text);
    g_free(r->violation);
    if (r->seen)
        g_array_free(r->seen, TRUE);
    *r = (Run){0};
}

/* Prints @text as TAP comment lines (cmocka cuts long failure messages). */
static void print_scenario(const char *text)
{
    g_auto(GStrv) lines = g_strsplit(text, "\n", -1);
    printf("# --- scenario ---\n");
    for (char **l = lines; *l; l++)
        if (**l)
            printf("#   %s\n", *l);
    fflush(stdout);
}

/* Fails the test with @msg, after printing the scenario. */
#define fail_scenario(text, ...)                                                                   \
    do {                                                                                           \
        print_scenario(text);                                                                      \
        fail_msg(__VA_ARGS__);                                                                     \
    } while (0)

/* How often the invariants are checked besides after every emitted event:
 * after every @stride-th simulated instant (1: every one). Checking every
 * instant of every scenario costs several times the runs themselves; the
 * dense ones are a sample, and KS_MODEL_DENSE=1 makes every scenario dense. */
enum { DENSE = 1, SPARSE = 61 };

/* Checks that what only moves forward did, since the last call; returns a
 * new message, or NULL. */
static char *progress_violation(Run *r)
{
    const KsSim *sim = r->sim;
    if (sim->registry->controller_epoch < r->controller_epoch)
        return g_strdup_printf("the controller epoch went back from %d to %d", r->controller_epoch,
                               sim->registry->controller_epoch);
    r->controller_epoch = sim->registry->controller_epoch;
    if (!r->seen)
        r->seen = g_array_new(FALSE, TRUE, sizeof(Progress));
    guint k = 0;
    for (guint t = 0; t < sim->topics->len; t++) {
        const KsTopic *topic = g_ptr_array_index(sim->topics, t);
        for (int32_t p = 0; p < topic->n_partitions; p++, k++) {
            const KsPartition *part = &topic->partitions[p];
            if (k == r->seen->len) {
                Progress init = {.epoch = -1};
                g_array_append_val(r->seen, init);
            }
            Progress *was = &g_array_index(r->seen, Progress, k);
            const KsReplica *lr = part->leader_replica;
            if (part->leader_epoch < was->epoch)
                return g_strdup_printf("%s-%d: leader epoch went back from %d to %d", topic->name,
                                       p, was->epoch, part->leader_epoch);
            if (lr && part->leader_epoch == was->epoch &&
                (lr->hw < was->hw || lr->log.end < was->leo))
                return g_strdup_printf(
                    "%s-%d: in leader epoch %d the leader's high watermark or log "
                    "end went back, from %" PRId64 "/%" PRId64 " to %" PRId64 "/%" PRId64,
                    topic->name, p, was->epoch, was->hw, was->leo, lr->hw, lr->log.end);
            *was = (Progress){
                .epoch = part->leader_epoch, .hw = lr ? lr->hw : -1, .leo = lr ? lr->log.end : -1};
        }
    }
    return NULL;
}

/* Parses and runs @text with the invariants checked after every event that
 * emitted something and after every @stride-th instant. The first violation
 * is kept in r->violation and ends the checks; unless @collect, it fails
 * the test, showing the scenario. */
static void run_scenario(Run *r, const char *name, const char *text, int stride, bool collect)
{
    g_autoptr(GError) error = NULL;
    if (g_getenv("KS_MODEL_DUMP"))
        g_file_set_contents(g_getenv("KS_MODEL_DUMP"), text, -1, NULL);
    if (g_getenv("KS_MODEL_DENSE"))
        stride = DENSE;
    *r = (Run){0};
    r->text = g_strdup(text);
    r->plan = ks_scenario_parse(name, text, strlen(text), &error);
    if (!r->plan)
        fail_scenario(text, "%s", error->message);
    r->sim = ks_sim_new(r->plan, false, 0, r->plan->run_until, &error);
    if (!r->sim)
        fail_scenario(text, "%s", error->message);
    r->watch.sim = r->sim;
    r->watch.hash = 0xcbf29ce484222325ull;
    ks_sim_add_sink(r->sim, watch_sink, &r->watch);

    KsEngine *engine = r->sim->engine;
    /* Start-up, then events until the first one that emits (generated
     * scenarios begin with an action at 0s, so that is the first event). */
    ks_sim_run(r->sim);
    for (uint64_t instant = 0;; instant++) {
        if (!r->violation && (r->watch.emitted || instant % (uint64_t)stride == 0) &&
            !ks_sim_check_invariants(r->sim, &error)) {
            r->violation = g_strdup(error->message);
            if (!collect)
                fail_scenario(text, "%s: %s", name, error->message);
            g_clear_error(&error);
        }
        if (!r->violation) {
            char *back = progress_violation(r);
            if (back && !collect)
                fail_scenario(text, "%s: %s", name, back);
            r->violation = back;
        }
        r->watch.emitted = false;
        KsTime next = ks_engine_next_time(engine);
        if (next > r->sim->end)
            break;
        ks_engine_run_until(engine, next);
    }
    ks_sim_run(r->sim); /* the clock to the end */
    if (g_getenv("KS_MODEL_VERBOSE"))
        fprintf(stderr, "%s: %" PRIu64 " events, %" PRIu64 " emitted\n", name,
                ks_engine_events_run(engine), r->watch.n_events);
    ks_sim_finish(r->sim);
    ks_sim_get_stats(r->sim, &r->stats);
    /* At the end too: the ledger's lost count is the recount, and the
     * summary's numbers add up. */
    const KsSimStats *s = &r->stats;
    char *end_violation = NULL;
    if (!ks_sim_check_invariants(r->sim, &error))
        end_violation = g_strdup_printf("at the end: %s", error->message);
    else if (s->records_produced != s->records_acked + s->records_refused + s->records_pending)
        end_violation = g_strdup_printf("the summary says %" PRId64 " records produced, %" PRId64
                                        " acknowledged, %" PRId64 " refused, %" PRId64 " pending",
                                        s->records_produced, s->records_acked, s->records_refused,
                                        s->records_pending);
    if (end_violation && !collect)
        fail_scenario(text, "%s: %s", name, end_violation);
    if (end_violation && !r->violation)
        r->violation = end_violation;
    else
        g_free(end_violation);
}

static void run_checked(Run *r, const char *name, const char *text, int stride)
{
    run_scenario(r, name, text, stride, false);
}

/* Runs @text as the program does, in one ks_sim_run(), hashing its events
 * without stopping or checking. */
static void run_plain(Run *r, const char *name, const char *text)
{
    g_autoptr(GError) error = NULL;
    *r = (Run){0};
    r->text = g_strdup(text);
    r->plan = ks_scenario_parse(name, text, strlen(text), &error);
    if (!r->plan)
        fail_scenario(text, "%s", error->message);
    r->sim = ks_sim_new(r->plan, false, 0, r->plan->run_until, &error);
    if (!r->sim)
        fail_scenario(text, "%s", error->message);
    r->watch = (Watch){.sim = r->sim, .hash = 0xcbf29ce484222325ull, .plain = true};
    ks_sim_add_sink(r->sim, watch_sink, &r->watch);
    ks_sim_run(r->sim);
    ks_sim_finish(r->sim);
    ks_sim_get_stats(r->sim, &r->stats);
}

/* Fails unless every expect line of the scenario held. */
static void assert_expectations(const Run *r)
{
    const GPtrArray *results = ks_sim_expect_results(r->sim);
    for (guint i = 0; i < results->len; i++) {
        const KsExpectResult *e = g_ptr_array_index(results, i);
        if (!e->held)
            fail_scenario(r->text, "line %d: expect %s: %s", e->line, e->text, e->actual);
    }
}

/* Liveness at the end: every broker runs, every partition has a leader and
 * a full ISR, every replica has the leader's log end and the leader's high
 * watermark covers it, and no record is still in a producer's buffer. */
static void assert_healed(const Run *r)
{
    const KsSim *sim = r->sim;
    for (guint i = 0; i < sim->brokers->len; i++) {
        const KsBroker *b = g_ptr_array_index(sim->brokers, i);
        if (!b->alive)
            fail_scenario(r->text, "broker %d is down at the end", b->id);
    }
    for (guint t = 0; t < sim->topics->len; t++) {
        const KsTopic *topic = g_ptr_array_index(sim->topics, t);
        for (int32_t p = 0; p < topic->n_partitions; p++) {
            const KsPartition *part = &topic->partitions[p];
            const KsReplica *lr = part->leader_replica;
            if (!lr)
                fail_scenario(r->text, "%s-%d has no leader at the end", topic->name, p);
            if ((int32_t)part->isr->len != part->n_replicas)
                fail_scenario(r->text, "%s-%d: ISR of %u of %d replicas at the end", topic->name, p,
                              part->isr->len, part->n_replicas);
            for (int32_t i = 0; i < part->n_replicas; i++) {
                const KsReplica *rep = &part->replicas[i];
                if (rep->log.end != lr->log.end)
                    fail_scenario(
                        r->text, "%s-%d: broker %d has log end %" PRId64 ", leader %d has %" PRId64,
                        topic->name, p, rep->broker->id, rep->log.end, part->leader, lr->log.end);
            }
            if (lr->hw != lr->log.end)
                fail_scenario(r->text, "%s-%d: high watermark %" PRId64 ", log end %" PRId64,
                              topic->name, p, lr->hw, lr->log.end);
        }
    }
    const KsSimStats *s = &r->stats;
    if (s->records_produced != s->records_acked + s->records_refused)
        fail_scenario(r->text,
                      "%" PRId64 " records produced, %" PRId64 " acknowledged, %" PRId64
                      " refused: some are still buffered",
                      s->records_produced, s->records_acked, s->records_refused);
}

/* acks=all without unclean election loses no acknowledged record, however
 * many brokers fail (their logs survive a crash): a record is acknowledged
 * once every ISR member has it, and only an ISR member can lead. */
static void assert_nothing_lost(const Run *r, bool one_failure_at_a_time)
{
    if (r->stats.records_lost == 0)
        return;
    fail_scenario(r->text, "%" PRId64 " acknowledged records lost with acks=all%s",
                  r->stats.records_lost,
                  one_failure_at_a_time ? ", one broker down at a time" : "");
}

/* Within one producer epoch, an idempotent producer's records are in each
 * partition's log once, in the order it sent them (enable.idempotence: the
 * broker refuses a sequence out of order, so retries reorder nothing and
 * duplicate nothing). Gaps are records it gave up on. Across an epoch bump
 * (KIP-360) Kafka promises neither: the producer re-sequences batches whose
 * fate it does not know, and one that was written after all is written
 * again. */
typedef struct {
    int32_t epoch;
    int64_t first;
    int64_t count;
} EpochRange;

static int cmp_epoch_range(gconstpointer a, gconstpointer b)
{
    const EpochRange *x = a, *y = b;
    if (x->epoch != y->epoch)
        return (x->epoch > y->epoch) - (x->epoch < y->epoch);
    return (x->first > y->first) - (x->first < y->first);
}

static char *idempotent_order_violation(const Run *r)
{
    const KsSim *sim = r->sim;
    guint n = sim->producers->len;
    g_autofree int64_t *next = g_new(int64_t, n);
    g_autofree int32_t *epoch = g_new(int32_t, n);
    for (guint t = 0; t < sim->topics->len; t++) {
        const KsTopic *topic = g_ptr_array_index(sim->topics, t);
        for (int32_t p = 0; p < topic->n_partitions; p++) {
            const KsReplica *lr = topic->partitions[p].leader_replica;
            if (!lr)
                continue;
            for (guint i = 0; i < n; i++) {
                next[i] = 0;
                epoch[i] = -1;
            }
            for (guint k = 0; k < lr->log.runs->len; k++) {
                const KsLogRun *run = &g_array_index(lr->log.runs, KsLogRun, k);
                if (run->producer < 0)
                    continue;
                const KsProducer *prod = g_ptr_array_index(sim->producers, run->producer);
                if (!prod->idempotent)
                    continue;
                if (run->producer_epoch != epoch[run->producer]) {
                    epoch[run->producer] = run->producer_epoch;
                    next[run->producer] = run->first_seq;
                }
                if (run->first_seq < next[run->producer])
                    return g_strdup_printf(
                        "%s-%d: idempotent producer %s's sequences [%" PRId64 ", %" PRId64
                        ") at offset %" PRId64 " come after sequence %" PRId64,
                        topic->name, p, prod->name, run->first_seq, run->first_seq + run->count,
                        run->base, next[run->producer] - 1);
                next[run->producer] = run->first_seq + run->count;
            }
        }
    }
    return NULL;
}

/* Whether some idempotent producer's record is twice in a partition's log:
 * a duplicate, which idempotence exists to prevent. Returns a new message,
 * or NULL. */
static char *idempotent_duplicate(const Run *r)
{
    const KsSim *sim = r->sim;
    g_autoptr(GArray) ranges = g_array_new(FALSE, FALSE, sizeof(EpochRange));
    for (guint t = 0; t < sim->topics->len; t++) {
        const KsTopic *topic = g_ptr_array_index(sim->topics, t);
        for (int32_t p = 0; p < topic->n_partitions; p++) {
            const KsReplica *lr = topic->partitions[p].leader_replica;
            for (guint i = 0; lr && i < sim->producers->len; i++) {
                const KsProducer *prod = g_ptr_array_index(sim->producers, i);
                if (!prod->idempotent)
                    continue;
                g_array_set_size(ranges, 0);
                for (guint k = 0; k < lr->log.runs->len; k++) {
                    const KsLogRun *run = &g_array_index(lr->log.runs, KsLogRun, k);
                    if (run->producer == (int32_t)i) {
                        EpochRange range = {.epoch = run->producer_epoch,
                                            .first = run->first_seq,
                                            .count = run->count};
                        g_array_append_val(ranges, range);
                    }
                }
                g_array_sort(ranges, cmp_epoch_range);
                for (guint k = 1; k < ranges->len; k++) {
                    const EpochRange *a = &g_array_index(ranges, EpochRange, k - 1);
                    const EpochRange *b = &g_array_index(ranges, EpochRange, k);
                    if (a->epoch == b->epoch && b->first < a->first + a->count)
                        return g_strdup_printf("%s-%d: idempotent producer %s's sequence %" PRId64
                                               " is in the log twice",
                                               topic->name, p, prod->name, b->first);
                }
            }
        }
    }
    return NULL;
}

/* Idempotence within a producer epoch (above): no duplicate, no
 * reordering. */
static void assert_idempotent_order(const Run *r)
{
    g_autofree char *duplicate = idempotent_duplicate(r);
    if (duplicate)
        fail_scenario(r->text, "%s", duplicate);
    g_autofree char *violation = idempotent_order_violation(r);
    if (!violation)
        return;
    fail_scenario(r->text, "%s", violation);
}

/* ---- writing scenarios ---- */

typedef struct {
    KsTime t;
    guint order;
    char *line;
} Line;

typedef struct {
    KsRng rng;
    GString *head;   /* declarations */
    GArray *actions; /* of Line, sorted when written out */
    GString *tail;   /* run and expect lines */
} Gen;

static void gen_init(Gen *g, uint64_t seed, uint64_t stream)
{
    ks_rng_init_stream(&g->rng, seed, stream);
    g->head = g_string_new(NULL);
    g->actions = g_array_new(FALSE, FALSE, sizeof(Line));
    g->tail = g_string_new(NULL);
}

static int64_t gen_range(Gen *g, int64_t lo, int64_t hi)
{
    return lo + (int64_t)ks_rng_below(&g->rng, (uint64_t)(hi - lo + 1));
}

static bool gen_chance(Gen *g, int percent)
{
    return (int)ks_rng_below(&g->rng, 100) < percent;
}

static void G_GNUC_PRINTF(3, 4) gen_at(Gen *g, KsTime t, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    Line l = {.t = t, .order = g->actions->len, .line = g_strdup_vprintf(fmt, ap)};
    va_end(ap);
    g_array_append_val(g->actions, l);
}

static int cmp_line(gconstpointer a, gconstpointer b)
{
    const Line *x = a, *y = b;
    if (x->t != y->t)
        return x->t < y->t ? -1 : 1;
    return (x->order > y->order) - (x->order < y->order);
}

/* The scenario's text; frees the generator. */
static char *gen_finish(Gen *g)
{
    g_array_sort(g->actions, cmp_line);
    GString *s = g->head;
    for (guint i = 0; i < g->actions->len; i++) {
        Line *l = &g_array_index(g->actions, Line, i);
        g_string_append_printf(s, "at %" PRId64 "ms %s\n", l->t / KS_TIME_MS, l->line);
        g_free(l->line);
    }
    g_string_append(s, g->tail->str);
    g_array_free(g->actions, TRUE);
    g_string_free(g->tail, TRUE);
    return g_string_free(s, FALSE);
}

static const char *const partitioners[] = {"default", "key", "round-robin", "sticky"};

/* A producer line: rate, keys, partitioner and batching drawn at random. */
static void gen_producer(Gen *g, const char *name, const char *topic, int32_t partitions,
                         int n_nodes, const char *acks)
{
    g_string_append_printf(g->head, "producer %s topic=%s rate=%" PRId64 "/s", name, topic,
                           gen_range(g, 5, 60));
    int64_t keys = gen_chance(g, 50) ? gen_range(g, 1, 60) : 0;
    if (keys > 0)
        g_string_append_printf(g->head, " keys=%" PRId64, keys);
    if (gen_chance(g, 15))
        g_string_append_printf(g->head, " partition=%" PRId64, gen_range(g, 0, partitions - 1));
    else {
        const char *pt = partitioners[gen_range(g, 0, 3)];
        if (strcmp(pt, "key") != 0 || keys > 0)
            g_string_append_printf(g->head, " partitioner=%s", pt);
    }
    if (acks)
        g_string_append_printf(g->head, " acks=%s", acks);
    g_string_append_printf(g->head, " linger.ms=%" PRId64,
                           gen_chance(g, 50) ? 0 : gen_range(g, 1, 30));
    g_string_append_printf(g->head, " max.in.flight.requests.per.connection=%" PRId64,
                           gen_range(g, 1, 5));
    if (gen_chance(g, 30))
        g_string_append_printf(g->head, " batch.size=%" PRId64, gen_range(g, 100, 3000));
    if (gen_chance(g, 50))
        g_string_append_printf(g->head, " node=n%" PRId64, gen_range(g, 1, n_nodes));
    g_string_append_c(g->head, '\n');
}

/* ---- property 1 (and 2): acks=all with one broker down at a time ---- */

/* A cluster of 3 to 5 brokers, one per node; topics of RF 3 with
 * min.insync.replicas=2; acks=all producers. Failures come one at a time:
 * a crash, a controlled shutdown (sometimes cut short by a crash) or a
 * machine's crash, each followed by a restart that succeeds (after the
 * ZooKeeper session expired, or after the shutdown finished), then a gap
 * that may be shorter than the time the broker needs to rejoin the ISRs.
 * At the end every broker is restarted and producers stop, and the run goes
 * on for 60 s. */
static char *gen_one_down(uint64_t seed)
{
    Gen g;
    gen_init(&g, seed, ks_rng_stream_id("one-down"));
    int n = (int)gen_range(&g, 3, 5);
    KsTime session = gen_range(&g, 6, 18) * KS_TIME_S;
    KsTime lag = gen_range(&g, 5, 30) * KS_TIME_S;
    KsTime backoff = gen_range(&g, 1, 5) * KS_TIME_S;
    g_string_append_printf(g.head, "seed %" PRIu64 "\n", seed);
    g_string_append_printf(g.head, "cluster nodes=%d brokers-per-node=1%s\n", n,
                           gen_chance(&g, 30) ? " zones=z1,z2,z3" : "");
    g_string_append_printf(g.head,
                           "set zookeeper.session.timeout.ms=%" PRId64
                           " replica.lag.time.max.ms=%" PRId64
                           " controlled.shutdown.retry.backoff.ms=%" PRId64 "\n",
                           session / KS_TIME_MS, lag / KS_TIME_MS, backoff / KS_TIME_MS);
    if (gen_chance(&g, 30))
        g_string_append(g.head, "set leader.imbalance.check.interval.seconds=10\n");
    int n_topics = (int)gen_range(&g, 1, 2);
    int32_t parts[2];
    for (int t = 0; t < n_topics; t++) {
        parts[t] = (int32_t)gen_range(&g, 1, 6);
        g_string_append_printf(g.head,
                               "topic t%d partitions=%d replication-factor=3 min.insync.replicas=2",
                               t, parts[t]);
        if (gen_chance(&g, 50))
            g_string_append_printf(g.head, " replica-placement-start=%" PRId64,
                                   gen_range(&g, 0, n - 1));
        g_string_append_c(g.head, '\n');
    }
    int n_producers = (int)gen_range(&g, 1, 3);
    for (int i = 0; i < n_producers; i++) {
        g_autofree char *name = g_strdup_printf("p%d", i);
        int t = (int)gen_range(&g, 0, n_topics - 1);
        g_autofree char *topic = g_strdup_printf("t%d", t);
        gen_producer(&g, name, topic, parts[t], n, "all");
        if (gen_chance(&g, 20)) {
            /* Idempotence off: retries may duplicate, never lose. */
            g.head->len--;
            g_string_append(g.head, " enable.idempotence=false\n");
        }
    }

    gen_at(&g, 0, "say \"start\"");
    KsTime t = gen_range(&g, 500, 5000) * KS_TIME_MS;
    KsTime faults_end = gen_range(&g, 30, 90) * KS_TIME_S;
    while (t < faults_end) {
        int victim = (int)gen_range(&g, 1, n);
        KsTime back;
        switch (gen_range(&g, 0, 3)) {
        case 0: /* crash, restart once the session has expired */
            gen_at(&g, t, "crash broker %d", victim);
            if (gen_chance(&g, 30)) /* too early: NodeExists, the broker stays down */
                gen_at(&g, t + gen_range(&g, 100, session / KS_TIME_MS - 100) * KS_TIME_MS,
                       "restart broker %d", victim);
            back = t + session + gen_range(&g, 100, 15000) * KS_TIME_MS;
            gen_at(&g, back, "restart broker %d", victim);
            break;
        case 1: /* controlled shutdown, restart once it finished */
            gen_at(&g, t, "stop broker %d", victim);
            back = t + 3 * backoff + gen_range(&g, 100, 15000) * KS_TIME_MS;
            gen_at(&g, back, "restart broker %d", victim);
            break;
        case 2: /* the machine dies and comes back */
            gen_at(&g, t, "crash node n%d", victim);
            back = t + session + gen_range(&g, 100, 15000) * KS_TIME_MS;
            gen_at(&g, back, "restart node n%d", victim);
            break;
        default: /* nothing fails; a preferred election instead */
            gen_at(&g, t, "elect-preferred");
            back = t;
            break;
        }
        /* Meanwhile, the applications do things. */
        for (int k = (int)gen_range(&g, 0, 2); k > 0; k--) {
            KsTime at = t + gen_range(&g, 0, back - t + 1000) * 1;
            int topic = (int)gen_range(&g, 0, n_topics - 1);
            if (gen_chance(&g, 50))
                gen_at(&g, at, "produce topic=t%d key=k%" PRId64 " count=%" PRId64, topic,
                       gen_range(&g, 0, 20), gen_range(&g, 1, 50));
            else
                gen_at(&g, at, "produce topic=t%d count=%" PRId64, topic, gen_range(&g, 1, 50));
        }
        t = back + gen_range(&g, 100, 20000) * KS_TIME_MS;
    }
    for (int i = 0; i < n_producers; i++)
        gen_at(&g, t, "stop producer p%d", i);
    for (int b = 1; b <= n; b++)
        gen_at(&g, t, "restart broker %d", b);
    g_string_append_printf(g.tail, "run until %" PRId64 "ms\n", (t + 130 * KS_TIME_S) / KS_TIME_MS);
    g_string_append(g.tail, "expect no-acked-data-loss\nexpect records-lost == 0\n");
    return gen_finish(&g);
}

/* The seeds a property runs: KS_MODEL_FIRST and KS_MODEL_SEEDS override
 * them, to replay one failing seed or to search many more. */
static uint64_t first_seed(uint64_t normal)
{
    const char *env = g_getenv("KS_MODEL_FIRST");
    return env ? g_ascii_strtoull(env, NULL, 10) : normal;
}

/* Under AddressSanitizer a run costs about fifteen times as much, so the
 * sanitizer build runs an eighth of the generated scenarios (meson's unit
 * test timeout is 30 s); the normal build runs them all. */
#if defined(__SANITIZE_ADDRESS__)
#define KS_MODEL_SANITIZED 1
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
#define KS_MODEL_SANITIZED 1
#endif
#endif

static int n_seeds(int normal)
{
    const char *env = g_getenv("KS_MODEL_SEEDS");
    if (env)
        return atoi(env);
#ifdef KS_MODEL_SANITIZED
    return MAX(1, normal / 8);
#else
    return normal;
#endif
}

static void test_model_acks_all_one_broker_down_loses_nothing(void **state)
{
    int64_t acked = 0, elections = 0;
    uint64_t first = first_seed(1000);
    for (int i = 0; i < n_seeds(200); i++) {
        uint64_t seed = first + (uint64_t)i;
        g_autofree char *text = gen_one_down(seed);
        Run r;
        run_checked(&r, "one-down.ks", text, seed % 25 == 0 ? DENSE : SPARSE);
        assert_expectations(&r);
        assert_nothing_lost(&r, true);
        assert_healed(&r);
        assert_idempotent_order(&r);
        acked += r.stats.records_acked;
        elections += r.stats.leader_elections;
        run_clear(&r);
    }
    /* The scenarios did something. */
    assert_true(acked > 0);
    assert_true(elections > 0);
}

/* ---- properties 2, 4 and 5: anything goes ---- */

typedef struct {
    bool nonsense; /* actions in any order: restart live brokers, crash dead ones */
    bool heal;     /* end by restarting everything and letting it settle */
    bool safe;     /* acks=all producers only, no unclean election */
    bool groups;   /* consumer groups too, from a stream of their own */
} ChaosOptions;

/* Consumers of the topics, in groups of every assignor and protocol, with
 * every commit mode, some static, and their starts, stops and crashes,
 * drawn from @seed's "groups" stream so the rest of the scenario is what
 * it is without them. */
static void gen_groups(Gen *g, uint64_t seed, int n_topics, KsTime end)
{
    Gen c;
    gen_init(&c, seed, ks_rng_stream_id("groups"));
    static const char *const assignors[] = {"range", "roundrobin", "sticky", "cooperative-sticky"};
    static const char *const commits[] = {"auto", "sync", "async", "before"};
    g_string_append_printf(
        g->head,
        "set offsets.topic.replication.factor=1 offsets.topic.num.partitions=%" PRId64
        " group.initial.rebalance.delay.ms=%" PRId64 "\n",
        gen_range(&c, 1, 10), gen_range(&c, 0, 3000));
    int n_groups = (int)gen_range(&c, 1, 2);
    for (int k = 0; k < n_groups; k++)
        g_string_append_printf(g->head, "group g%d assignor=%s\n", k,
                               assignors[gen_range(&c, 0, 3)]);
    int n_consumers = (int)gen_range(&c, 1, 5);
    for (int k = 0; k < n_consumers; k++) {
        g_string_append_printf(
            g->head,
            "consumer c%d group=g%" PRId64 " topics=t%" PRId64 " processing=%" PRId64
            "ms commit=%s session.timeout.ms=%" PRId64 " heartbeat.interval.ms=%" PRId64
            " max.poll.records=%" PRId64 " auto.offset.reset=%s%s\n",
            k, gen_range(&c, 0, n_groups - 1), gen_range(&c, 0, n_topics - 1), gen_range(&c, 0, 20),
            commits[gen_range(&c, 0, 3)], gen_range(&c, 6000, 20000), gen_range(&c, 500, 2000),
            gen_range(&c, 1, 500), gen_chance(&c, 50) ? "earliest" : "latest",
            gen_chance(&c, 20) ? " group.instance.id=s" : "");
        if (g_str_has_suffix(g->head->str, "=s\n")) {
            g->head->len--;
            g_string_append_printf(g->head, "%d\n", k);
        }
    }
    int n_actions = (int)gen_range(&c, 2, 15);
    for (int k = 0; k < n_actions; k++) {
        KsTime t = gen_range(&c, 1, end / KS_TIME_MS) * KS_TIME_MS;
        int who = (int)gen_range(&c, 0, n_consumers - 1);
        static const char *const verbs[] = {"crash", "stop", "start"};
        gen_at(g, t, "%s consumer c%d", verbs[gen_range(&c, 0, 2)], who);
    }
    g_string_free(c.head, TRUE);
    g_string_free(c.tail, TRUE);
    g_array_free(c.actions, TRUE);
}

/* Any cluster (one or two brokers per node), topics of any replication
 * factor with min.insync.replicas from 1 to above it and unclean election
 * on or off, producers of every acks with keys, partitions and batching, and
 * a timeline of broker, node and producer actions, produce and preferred
 * elections. With @nonsense the actions come in any order (a live broker
 * restarted, a dead one crashed or stopped, a node crashed twice); without
 * it several brokers may still be down at once. With @heal the run ends with
 * every node and broker restarted after their sessions expired, producers
 * stopped, and 60 s more. */
static char *gen_chaos(uint64_t seed, ChaosOptions opt)
{
    Gen g;
    gen_init(&g, seed, ks_rng_stream_id(opt.nonsense ? "nonsense" : "chaos"));
    int n_nodes = (int)gen_range(&g, 2, 4);
    int per_node = (int)gen_range(&g, 1, 2);
    int n = n_nodes * per_node;
    KsTime session = gen_range(&g, 3, 18) * KS_TIME_S;
    KsTime lag = gen_range(&g, 2, 30) * KS_TIME_S;
    KsTime backoff = gen_range(&g, 1, 5) * KS_TIME_S;
    int64_t retries = gen_range(&g, 0, 3);
    g_string_append_printf(g.head, "seed %" PRIu64 "\n", seed);
    g_string_append_printf(g.head, "cluster nodes=%d brokers-per-node=%d%s\n", n_nodes, per_node,
                           gen_chance(&g, 30) ? " zones=z1,z2" : "");
    g_string_append_printf(g.head,
                           "set zookeeper.session.timeout.ms=%" PRId64
                           " replica.lag.time.max.ms=%" PRId64
                           " controlled.shutdown.retry.backoff.ms=%" PRId64
                           " controlled.shutdown.max.retries=%" PRId64 "\n",
                           session / KS_TIME_MS, lag / KS_TIME_MS, backoff / KS_TIME_MS, retries);
    if (gen_chance(&g, 20))
        g_string_append(g.head, "set controlled.shutdown.enable=false\n");
    if (gen_chance(&g, 30))
        g_string_append(g.head, "set replica.fetch.wait.max.ms=20 replica.fetch.backoff.ms=50\n");
    if (gen_chance(&g, 40))
        g_string_append_printf(
            g.head, "set leader.imbalance.check.interval.seconds=%" PRId64 "%s\n",
            gen_range(&g, 5, 20),
            gen_chance(&g, 50) ? " leader.imbalance.per.broker.percentage=0" : "");
    else if (gen_chance(&g, 30))
        g_string_append(g.head, "set auto.leader.rebalance.enable=false\n");
    int n_topics = (int)gen_range(&g, 1, 3);
    int32_t parts[3];
    for (int t = 0; t < n_topics; t++) {
        parts[t] = (int32_t)gen_range(&g, 1, 5);
        int64_t rf = gen_range(&g, 1, MIN(3, n));
        g_string_append_printf(g.head,
                               "topic t%d partitions=%d replication-factor=%" PRId64
                               " min.insync.replicas=%" PRId64,
                               t, parts[t], rf, gen_range(&g, 1, rf + 1));
        if (!opt.safe && gen_chance(&g, 30))
            g_string_append(g.head, " unclean.leader.election.enable=true");
        g_string_append_c(g.head, '\n');
    }
    static const char *const acks[] = {"0", "1", "all"};
    int n_producers = (int)gen_range(&g, 1, 3);
    for (int i = 0; i < n_producers; i++) {
        g_autofree char *name = g_strdup_printf("p%d", i);
        int t = (int)gen_range(&g, 0, n_topics - 1);
        g_autofree char *topic = g_strdup_printf("t%d", t);
        gen_producer(&g, name, topic, parts[t], n_nodes,
                     opt.safe ? "all" : acks[gen_range(&g, 0, 2)]);
        if (gen_chance(&g, 30)) {
            g.head->len--;
            g_string_append_printf(g.head, " retries=%" PRId64 " request.timeout.ms=%" PRId64 "\n",
                                   gen_range(&g, 0, 5), gen_range(&g, 1000, 30000));
        }
    }

    gen_at(&g, 0, "say \"start\"");
    KsTime end = gen_range(&g, 20, 90) * KS_TIME_S;
    if (opt.groups)
        gen_groups(&g, seed, n_topics, end);
    int n_actions = (int)gen_range(&g, 5, 40);
    for (int k = 0; k < n_actions; k++) {
        KsTime t = gen_range(&g, 1, end / KS_TIME_MS) * KS_TIME_MS;
        int b = (int)gen_range(&g, 1, n);
        int node = (int)gen_range(&g, 1, n_nodes);
        int topic = (int)gen_range(&g, 0, n_topics - 1);
        int p = (int)gen_range(&g, 0, n_producers - 1);
        switch (gen_range(&g, 0, 12)) {
        case 0:
        case 1:
            gen_at(&g, t, "crash broker %d", b);
            if (!opt.nonsense)
                gen_at(&g, t + session + gen_range(&g, 0, 10000) * KS_TIME_MS, "restart broker %d",
                       b);
            break;
        case 2:
            gen_at(&g, t, "stop broker %d", b);
            if (!opt.nonsense)
                gen_at(&g, t + gen_range(&g, 0, 20000) * KS_TIME_MS, "restart broker %d", b);
            break;
        case 3:
            gen_at(&g, t, "restart broker %d", b);
            break;
        case 4:
            gen_at(&g, t, "crash node n%d", node);
            if (!opt.nonsense)
                gen_at(&g, t + gen_range(&g, 0, 25000) * KS_TIME_MS, "restart node n%d", node);
            break;
        case 5:
            gen_at(&g, t, "restart node n%d", node);
            break;
        case 6:
            gen_at(&g, t, "produce topic=t%d key=k%" PRId64 " count=%" PRId64, topic,
                   gen_range(&g, 0, 9), gen_range(&g, 1, 30));
            break;
        case 7:
            gen_at(&g, t, "produce topic=t%d partition=%" PRId64 " count=%" PRId64, topic,
                   gen_range(&g, 0, parts[topic] - 1), gen_range(&g, 1, 30));
            break;
        case 8:
            gen_at(&g, t, "produce producer=p%d count=%" PRId64 "%s", p, gen_range(&g, 1, 30),
                   gen_chance(&g, 50) ? " key=x" : "");
            break;
        case 9:
            if (gen_chance(&g, 50))
                gen_at(&g, t, "elect-preferred");
            else if (gen_chance(&g, 50))
                gen_at(&g, t, "elect-preferred t%d", topic);
            else
                gen_at(&g, t, "elect-preferred t%d-%" PRId64, topic,
                       gen_range(&g, 0, parts[topic] - 1));
            break;
        case 10:
            gen_at(&g, t, "stop producer p%d", p);
            if (!opt.nonsense)
                gen_at(&g, t + gen_range(&g, 0, 10000) * KS_TIME_MS, "start producer p%d", p);
            break;
        case 11:
            gen_at(&g, t, "start producer p%d", p);
            break;
        default:
            gen_at(&g, t, "snapshot");
            break;
        }
    }
    KsTime last = 0;
    for (guint i = 0; i < g.actions->len; i++)
        last = MAX(last, g_array_index(g.actions, Line, i).t);
    if (opt.heal) {
        /* Nodes first (their brokers start, or fail to while an old session
         * lives), then every broker once every session has expired and
         * every controlled shutdown has ended. */
        KsTime t = last + 1000 * KS_TIME_MS;
        for (int i = 0; i < n_producers; i++)
            gen_at(&g, t, "stop producer p%d", i);
        for (int i = 1; i <= n_nodes; i++)
            gen_at(&g, t, "restart node n%d", i);
        t += MAX(session, (retries + 1) * backoff) + 1000 * KS_TIME_MS;
        for (int i = 1; i <= n; i++)
            gen_at(&g, t, "restart broker %d", i);
        /* Long enough for delivery.timeout.ms (120 s) too: a batch that was
         * written but whose answer was lost, and that has fallen out of the
         * broker's five-batch duplicate window, is refused as out of
         * sequence until it expires, as in Kafka. */
        last = t + 130 * KS_TIME_S;
    }
    g_string_append_printf(g.tail, "run until %" PRId64 "ms\n", MAX(last, end) / KS_TIME_MS);
    return gen_finish(&g);
}

/* Property 2: after everything is restarted and has had time, the cluster is
 * whole again, whatever happened before. */
static void test_model_liveness_after_everything_restarts(void **state)
{
    uint64_t first = first_seed(5000);
    for (int i = 0; i < n_seeds(100); i++) {
        uint64_t seed = first + (uint64_t)i;
        bool safe = seed % 2 == 0;
        g_autofree char *text = gen_chaos(seed, (ChaosOptions){.heal = true, .safe = safe});
        Run r;
        run_checked(&r, "liveness.ks", text, seed % 20 == 0 ? DENSE : SPARSE);
        assert_healed(&r);
        assert_idempotent_order(&r);
        if (safe)
            assert_nothing_lost(&r, false);
        run_clear(&r);
    }
}

/* Property 5: nonsense in any order never breaks an invariant or the
 * program. */
static void test_model_random_actions_keep_invariants(void **state)
{
    uint64_t first = first_seed(9000);
    for (int i = 0; i < n_seeds(200); i++) {
        uint64_t seed = first + (uint64_t)i;
        bool safe = seed % 3 == 0;
        g_autofree char *text = gen_chaos(seed, (ChaosOptions){.nonsense = true, .safe = safe});
        Run r;
        run_checked(&r, "nonsense.ks", text, seed % 20 == 0 ? DENSE : SPARSE);
        if (safe)
            assert_nothing_lost(&r, false);
        run_clear(&r);
    }
}

/* Property 6: consumer groups over the same chaos -- members joining,
 * leaving, crashing, coordinators failing with their brokers -- never break
 * an invariant (one owner per partition per generation, positions, the
 * groups' ledger). */
static void test_model_groups_keep_invariants(void **state)
{
    uint64_t first = first_seed(11000);
    for (int i = 0; i < n_seeds(60); i++) {
        uint64_t seed = first + (uint64_t)i;
        g_autofree char *text =
            gen_chaos(seed, (ChaosOptions){.nonsense = seed % 2 == 0, .groups = true});
        Run r;
        run_checked(&r, "groups.ks", text, seed % 20 == 0 ? DENSE : SPARSE);
        run_clear(&r);
    }
}

static void assert_same_stats(const KsSimStats *a, const KsSimStats *b, const char *text)
{
    const int64_t x[] = {(int64_t)a->events, a->records_produced, a->records_acked,
                         a->records_refused, a->records_lost,     a->leader_elections,
                         a->unavailable_us,  a->produce_requests, a->fetch_requests};
    const int64_t y[] = {(int64_t)b->events, b->records_produced, b->records_acked,
                         b->records_refused, b->records_lost,     b->leader_elections,
                         b->unavailable_us,  b->produce_requests, b->fetch_requests};
    for (size_t i = 0; i < G_N_ELEMENTS(x); i++)
        if (x[i] != y[i])
            fail_scenario(text, "statistic %zu differs between two runs: %" PRId64 " and %" PRId64,
                          i, x[i], y[i]);
}

/* Property 4: the same scenario gives the same events and statistics, run
 * twice with the invariants checked (the engine stopped and resumed after
 * every event that emits) and once as the program runs it. */
static void test_model_same_scenario_same_run(void **state)
{
    uint64_t first = first_seed(7000);
    for (int i = 0; i < n_seeds(40); i++) {
        g_autofree char *text = gen_chaos(first + (uint64_t)i, (ChaosOptions){.nonsense = true});
        Run a, b, c;
        run_checked(&a, "twice.ks", text, SPARSE);
        run_checked(&b, "twice.ks", text, SPARSE);
        run_plain(&c, "twice.ks", text);
        if (a.watch.hash != b.watch.hash || a.watch.n_events != b.watch.n_events)
            fail_scenario(text, "two runs emitted different events (%" PRIu64 " and %" PRIu64 ")",
                          a.watch.n_events, b.watch.n_events);
        if (a.watch.hash != c.watch.hash || a.watch.n_events != c.watch.n_events)
            fail_scenario(text,
                          "the checked run and the plain one emitted different events (%" PRIu64
                          " and %" PRIu64 ")",
                          a.watch.n_events, c.watch.n_events);
        assert_same_stats(&a.stats, &b.stats, text);
        assert_same_stats(&a.stats, &c.stats, text);
        run_clear(&a);
        run_clear(&b);
        run_clear(&c);
    }
}

/* ---- property 3: acks=1 can lose acknowledged records ---- */

/* Three brokers in three zones; the producer sits on the leader's machine,
 * so the leader answers in 0.1 ms while a follower's fetch round trip takes
 * 2 ms. With acks=1 the leader answers after its own append; when it
 * crashes, the records of its last round trip exist nowhere else, and the
 * follower elected 18 s later (the session timeout) never had them. With
 * acks=all the leader answers only once the ISR has them, so the same timing
 * loses nothing (Kafka's produce purgatory and HW rules). */
static char *acks_scenario(const char *acks)
{
    return g_strdup_printf("seed 7\n"
                           "cluster nodes=3 zones=eu-1a,eu-1b,eu-1c\n"
                           "topic t partitions=1 replication-factor=3 replica-placement-start=2\n"
                           "producer p topic=t acks=%s node=n3 rate=20000/s\n"
                           "at 0s say \"broker 3 leads t-0; the producer is on its machine\"\n"
                           "at 0s expect leader t-0 == 3\n"
                           "at 2s crash broker 3\n"
                           "run until 21s\n"
                           "expect leader t-0 == 1\n"
                           "expect isr t-0 == {1,2}\n",
                           acks);
}

static void test_model_acks_1_loses_what_acks_all_keeps(void **state)
{
    g_autofree char *one = acks_scenario("1");
    g_autofree char *all = acks_scenario("all");
    Run r1, rall;
    run_checked(&r1, "acks-1.ks", one, DENSE);
    assert_expectations(&r1);
    run_checked(&rall, "acks-all.ks", all, DENSE);
    assert_expectations(&rall);
    /* acks=1: acknowledged, then gone; fewer than one round trip's worth
     * (20000/s * 2 ms = 40 records, plus the batch in flight). */
    if (r1.stats.records_lost <= 0 || r1.stats.records_lost >= 200)
        fail_scenario(one, "acks=1 lost %" PRId64 " records, expected 1 to 199",
                      r1.stats.records_lost);
    ks_assert_i64_eq(rall.stats.records_lost, 0);
    /* Both wrote for 2 s at the same rate, and acks=all acknowledged at
     * least as much as acks=1 kept. */
    assert_true(rall.stats.records_acked > 0);
    assert_true(r1.stats.records_acked - r1.stats.records_lost > 0);
    run_clear(&r1);
    run_clear(&rall);
}

/* ---- every scenario of scenarios/ keeps the invariants ---- */

static void test_model_example_scenarios_keep_invariants(void **state)
{
    const char *root = g_getenv("KS_SOURCE_ROOT");
    if (!root) {
        print_message("KS_SOURCE_ROOT is not set: scenarios/ not run\n");
        skip();
    }
    g_autofree char *dir = g_build_filename(root, "scenarios", NULL);
    g_autoptr(GDir) d = g_dir_open(dir, 0, NULL);
    assert_non_null(d);
    g_autoptr(GPtrArray) names = g_ptr_array_new_with_free_func(g_free);
    for (const char *n; (n = g_dir_read_name(d));)
        if (g_str_has_suffix(n, ".ks"))
            g_ptr_array_add(names, g_strdup(n));
    assert_true(names->len > 0);
    for (guint i = 0; i < names->len; i++) {
        const char *n = g_ptr_array_index(names, i);
        g_autofree char *path = g_build_filename(dir, n, NULL);
        g_autofree char *text = NULL;
        assert_true(g_file_get_contents(path, &text, NULL, NULL));
        Run r;
        run_checked(&r, n, text, SPARSE);
        assert_expectations(&r);
        run_clear(&r);
    }
}

/* ---- the checker itself ---- */

/* Expects ks_sim_check_invariants() to refuse @sim with a message holding
 * @words. */
static void assert_broken(const KsSim *sim, const char *words)
{
    g_autoptr(GError) error = NULL;
    if (ks_sim_check_invariants(sim, &error))
        fail_msg("the invariants hold, expected a violation about \"%s\"", words);
    assert_true(g_error_matches(error, KS_SIM_ERROR, KS_SIM_ERROR_INVARIANT));
    if (!strstr(error->message, words))
        fail_msg("violation \"%s\", expected one about \"%s\"", error->message, words);
}

static void assert_holds(const KsSim *sim)
{
    g_autoptr(GError) error = NULL;
    if (!ks_sim_check_invariants(sim, &error))
        fail_msg("%s", error->message);
}

/* The invariants hold before a run and after it, and each kind of damage
 * done by hand to the state is caught, in words, then undone. */
static void test_model_checker_catches_broken_state(void **state)
{
    const char *text = "cluster nodes=3 brokers-per-node=1\n"
                       "topic t partitions=2 replication-factor=3 replica-placement-start=0\n"
                       "producer p topic=t rate=100/s max.in.flight.requests.per.connection=1\n"
                       "at 2s crash broker 3\n"
                       "run until 5s\n";
    g_autoptr(GError) error = NULL;
    g_autoptr(KsPlan) plan = ks_scenario_parse("checker.ks", text, strlen(text), &error);
    assert_non_null(plan);
    g_autoptr(KsSim) sim = ks_sim_new(plan, false, 0, plan->run_until, &error);
    assert_non_null(sim);
    assert_holds(sim);
    ks_sim_run(sim);
    assert_holds(sim);

    KsTopic *t = ks_sim_find_topic(sim, "t");
    KsPartition *part = &t->partitions[0];
    KsReplica *lr = part->leader_replica;
    assert_non_null(lr);
    assert_true(lr->log.end > 0);

    /* The ISR names a broker twice. */
    KsBrokerId first = g_array_index(part->isr, KsBrokerId, 0);
    g_array_append_val(part->isr, first);
    assert_broken(sim, "ISR has");
    g_array_set_size(part->isr, part->isr->len - 1);

    /* A replica's flag disagrees with the ISR. */
    KsReplica *other = &part->replicas[part->replicas[0].in_isr ? 2 : 0];
    bool was = other->in_isr;
    other->in_isr = !was;
    assert_broken(sim, "ISR");
    other->in_isr = was;

    /* A high watermark beyond the log end. */
    int64_t hw = lr->hw;
    lr->hw = lr->log.end + 1;
    assert_broken(sim, "high watermark");
    lr->hw = hw;

    /* A log whose end is not the sum of its runs. */
    lr->log.end++;
    assert_broken(sim, "runs sum to");
    lr->log.end--;

    /* An epoch cache that goes backwards. */
    KsEpochEntry bad = {.epoch = 0, .start = lr->log.end};
    g_array_append_val(lr->epochs, bad);
    assert_broken(sim, "epoch cache");
    g_array_set_size(lr->epochs, lr->epochs->len - 1);

    /* A follower in a fetch session at the wrong slot. */
    KsReplica *f = NULL;
    for (int32_t i = 0; i < part->n_replicas && !f; i++)
        if (part->replicas[i].fetcher)
            f = &part->replicas[i];
    assert_non_null(f);
    f->fetcher_slot += 1000;
    assert_broken(sim, "slot");
    f->fetcher_slot -= 1000;

    /* A producer's queue size that is not its queue's length. */
    KsProducer *p = ks_sim_find_producer(sim, "p");
    p->queue_sizes[0] += 1;
    assert_broken(sim, "queue size");
    p->queue_sizes[0] -= 1;

    /* Records that were produced but are nowhere. */
    KsPartition *p0 = &p->topic->partitions[0];
    ks_ledger_produced(sim->ledger, p->index, p0, 1);
    assert_broken(sim, "records produced");
    ks_ledger_settled(sim->ledger, p->index, p0, 0, 1, KS_LEDGER_REFUSED);

    assert_holds(sim);
    ks_sim_finish(sim);
}

/* ---- regressions: the smallest scenario of each bug these tests found ---- */

/* Runs @text with the invariants checked after every instant; any
 * violation, and any expect line that does not hold, fails the test. */
static void run_regression(Run *r, const char *name, const char *text)
{
    run_scenario(r, name, text, DENSE, true);
    if (r->violation)
        fail_scenario(text, "%s", r->violation);
    assert_expectations(r);
}

/* Bug 1. The controller makes broker 1 leader (epoch 2) while it is dead
 * but still registered; its epoch cache gets (2, its log end). Broker 2
 * leads again from 23 s with epoch-1 records broker 1 lacks. Back at 30 s,
 * broker 1 truncates to its own log end (nothing to cut), keeps the (2, ...)
 * entry, and appends the epoch-1 records under it. Kafka's
 * UnifiedLog.truncateTo calls leaderEpochCache.truncateFromEnd(logEndOffset)
 * even when no record goes, which removes that entry (the same happens to a
 * live broker elected and deposed before its first append). */
static void test_model_regression_1_epoch_cache_above_log_end(void **state)
{
    const char *text = "cluster nodes=3 brokers-per-node=1\n"
                       "topic t partitions=1 replication-factor=3 replica-placement-start=0\n"
                       "producer p topic=t rate=100/s\n"
                       "at 0s say \"replicas [1,2,3]: broker 1 leads\"\n"
                       "at 1s stop broker 1\n"
                       "at 2s restart broker 1\n"
                       "at 5s crash broker 1\n"
                       "at 6s elect-preferred t-0\n"
                       "at 30s restart broker 1\n"
                       "run until 40s\n";
    Run r;
    run_scenario(&r, "bug-1.ks", text, DENSE, true);
    if (r.violation)
        fail_scenario(text, "%s", r.violation);
    run_clear(&r);
}

/* Bug 2. Broker 1 cannot hand over t-0 (RF 1), so its controlled shutdown
 * retries; it crashes meanwhile. Restarted at 30 s, it is a new process, yet
 * `stop broker 1` at 40 s is refused ("already shutting down") and it never
 * stops: crash_broker() leaves shutting_down_since and shutdown_attempts. */
static void test_model_regression_2_stop_after_crash_during_shutdown(void **state)
{
    const char *text = "cluster nodes=3 brokers-per-node=1\n"
                       "topic t partitions=1 replication-factor=1 replica-placement-start=0\n"
                       "at 1s stop broker 1\n"
                       "at 2s crash broker 1\n"
                       "at 30s restart broker 1\n"
                       "at 40s stop broker 1\n"
                       "run until 60s\n"
                       "expect alive broker 1 == false\n";
    Run r;
    run_regression(&r, "bug-2.ks", text);
    run_clear(&r);
}

/* Bug 3. Broker 3 (an ISR member) crashes, then broker 1, the controller:
 * nobody removes broker 3 from the ISR when its session expires, and when it
 * restarts nobody tells it to follow. The ISR {2,1,3} holds the high
 * watermark back, so acks=all writes time out (request.timeout.ms=2000);
 * their idempotent retries find the records in broker 2's log and are
 * acknowledged at once. Broker 2 crashes; broker 3, in the ISR without those
 * records, is elected at 37.9 s: acknowledged records are lost with
 * acks=all, min.insync.replicas=2 and no unclean election. Kafka answers a
 * duplicate only when the high watermark covers its original offsets. */
static void test_model_regression_3_duplicate_acked_before_hw(void **state)
{
    const char *text =
        "cluster nodes=3 brokers-per-node=1\n"
        "set replica.lag.time.max.ms=120000\n"
        "topic t partitions=1 replication-factor=3 min.insync.replicas=2 "
        "replica-placement-start=1\n"
        "producer p topic=t rate=100/s acks=all request.timeout.ms=2000\n"
        "at 0s say \"replicas [2,1,3]: broker 2 leads, broker 1 is the controller\"\n"
        "at 1s crash broker 3\n"
        "at 2s crash broker 1\n"
        "at 19.5s restart broker 3\n"
        "at 19.9s crash broker 2\n"
        "run until 40s\n"
        "expect leader t-0 == 3\n"
        "expect records-lost == 0\n";
    Run r;
    run_regression(&r, "bug-3.ks", text);
    run_clear(&r);
}

/* Bug 4. Node n1 dies with t-0's leader on it; the producer's requests to
 * it are answered only by request.timeout.ms (30 s). From 19 s broker 2
 * leads and takes the newer batches; the old ones come back at 31 s, are
 * retried and written after them. Kafka's leader refuses a sequence that is
 * not the next one (OUT_OF_ORDER_SEQUENCE_NUMBER) and the producer retries
 * in order, so an idempotent producer's records stay in order. */
static void test_model_regression_4_idempotent_reorder(void **state)
{
    const char *text = "cluster nodes=3 brokers-per-node=1\n"
                       "topic t partitions=1 replication-factor=3 replica-placement-start=0\n"
                       "producer p topic=t rate=1000/s node=n2\n"
                       "at 0s say \"replicas [1,2,3]: broker 1 leads\"\n"
                       "at 1.0002s crash node n1\n"
                       "at 35s stop producer p\n"
                       "run until 40s\n"
                       "expect no-acked-data-loss\n";
    Run r;
    run_regression(&r, "bug-4.ks", text);
    char *disorder = idempotent_order_violation(&r);
    if (disorder)
        printf("# %s\n", disorder);
    bool present = disorder != NULL;
    g_free(disorder);
    if (present)
        fail_scenario(text, "an idempotent producer's records are out of order");
    run_clear(&r);
}

/* Bug 5. With max.in.flight.requests.per.connection=1 and the high
 * watermark held back by a dead ISR member, the producer sleeps until its
 * one request is answered and takes the records that arrived meanwhile only
 * when it wakes. The `produce` at 10 s comes first: its record gets a
 * batch (one record per batch here) and a sequence ahead of the 90 records
 * that arrived between 1 s and 10 s. Kafka numbers records in send() order. */
static void test_model_regression_5_produce_overtakes_arrivals(void **state)
{
    const char *text = "cluster nodes=3 brokers-per-node=1\n"
                       "topic t partitions=1 replication-factor=3 replica-placement-start=0\n"
                       "producer p topic=t rate=10/s batch.size=100 "
                       "max.in.flight.requests.per.connection=1\n"
                       "at 0s say \"replicas [1,2,3]: broker 1 leads\"\n"
                       "at 1s crash broker 3\n"
                       "at 10s produce producer=p key=late\n"
                       "run until 30s\n"
                       "expect no-acked-data-loss\n";
    Run r;
    run_regression(&r, "bug-5.ks", text);
    run_clear(&r);
}

/* Bug 6. Two brokers, unclean election on. Producer a's 10 records are
 * written by broker 2 in epoch 2; broker 2 dies and broker 1 (empty) leads
 * uncleanly in epoch 4 and takes producer b's 3 records; broker 1 dies and
 * broker 2 leads uncleanly in epoch 6. Broker 1 returns at 60 s: its cache
 * is (4,0), the leader's (2,0),(6,10). Asked for the end of epoch 4, the
 * leader answers epoch 2 ends at 10. Kafka's follower looks up epoch 2 in
 * its own cache, finds it below its first entry, takes its end as 0
 * (LeaderEpochFileCache.endOffsetFor) and truncates to 0. The model finds no
 * entry at or below 2 and truncates to 10 (nothing), keeping b's 3 records
 * at offsets 0-2 where the leader has a's, and rejoins the ISR. At 64 s the
 * preferred election makes broker 1 leader and broker 2 drops its 10
 * committed records for broker 1's mixture. */
static void test_model_regression_6_follower_keeps_divergent_prefix(void **state)
{
    const char *text = "cluster nodes=2 brokers-per-node=1\n"
                       "topic t partitions=1 replication-factor=2 replica-placement-start=0 "
                       "unclean.leader.election.enable=true\n"
                       "producer a topic=t rate=0/s acks=1\n"
                       "producer b topic=t rate=0/s acks=1\n"
                       "at 0s say \"replicas [1,2]: broker 1 leads\"\n"
                       "at 1s crash broker 1\n"
                       "at 20s produce producer=a count=10\n"
                       "at 21s crash broker 2\n"
                       "at 22s restart broker 1\n"
                       "at 40s produce producer=b count=3\n"
                       "at 41s crash broker 1\n"
                       "at 42s restart broker 2\n"
                       "at 60s restart broker 1\n"
                       "run until 70s\n";
    Run r;
    run_scenario(&r, "bug-6.ks", text, DENSE, true);
    if (r.violation)
        fail_scenario(text, "%s", r.violation);
    /* Kafka: broker 1 drops b's 3 records at 60 s, and the preferred
     * election at 64 s, clean, truncates nothing. */
    ks_assert_i64_eq(r.watch.truncated_records, 3);
    run_clear(&r);
}

int main(void)
{
    const struct CMUnitTest all[] = {
        cmocka_unit_test(test_model_acks_all_one_broker_down_loses_nothing),
        cmocka_unit_test(test_model_liveness_after_everything_restarts),
        cmocka_unit_test(test_model_same_scenario_same_run),
        cmocka_unit_test(test_model_random_actions_keep_invariants),
        cmocka_unit_test(test_model_groups_keep_invariants),
        cmocka_unit_test(test_model_acks_1_loses_what_acks_all_keeps),
        cmocka_unit_test(test_model_example_scenarios_keep_invariants),
        cmocka_unit_test(test_model_checker_catches_broken_state),
        cmocka_unit_test(test_model_regression_1_epoch_cache_above_log_end),
        cmocka_unit_test(test_model_regression_2_stop_after_crash_during_shutdown),
        cmocka_unit_test(test_model_regression_3_duplicate_acked_before_hw),
        cmocka_unit_test(test_model_regression_4_idempotent_reorder),
        cmocka_unit_test(test_model_regression_5_produce_overtakes_arrivals),
        cmocka_unit_test(test_model_regression_6_follower_keeps_divergent_prefix),
    };
    /* KS_MODEL_ONLY=WORD runs the tests whose name contains WORD. */
    struct CMUnitTest tests[G_N_ELEMENTS(all)];
    size_t n = 0;
    const char *only = g_getenv("KS_MODEL_ONLY");
    for (size_t i = 0; i < G_N_ELEMENTS(all); i++)
        if (!only || strstr(all[i].name, only))
            tests[n++] = all[i];
    return _cmocka_run_group_tests("test-model", tests, n, NULL, NULL);
}
