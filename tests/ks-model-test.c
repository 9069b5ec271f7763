/* SPDX-License-Identifier: MIT */
/*
 * ks-model-test.c - running a scenario with the model's invariants checked
 * (see ks-model-test.h).
 *
 * It reads the model's state (sim/model.h) to step the engine and to judge
 * the end state, and never changes it.
 */
#include "ks-model-test.h"

#include <stdio.h>
#include <string.h>

#include "kafkasim/rng.h"
#include "kafkasim/scenario.h"
#include "kafkasim/sim.h"
#include "sim/producer-private.h"
#include "sim/registry-private.h"
#include "sim/ledger.h"
#include "sim/model.h"

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

/* What only moves forward, per partition (Kafka: the leader epoch; within
 * the epoch a broker leads in, its high watermark and log end: the
 * controller's epoch may be ahead while LeaderAndIsr travels). */
typedef struct {
    int32_t epoch;
    int32_t acting; /* the epoch the acting leader leads in */
    int64_t hw;
    int64_t leo;
} Progress;

void run_clear(Run *r)
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
void print_scenario(const char *text)
{
    g_auto(GStrv) lines = g_strsplit(text, "\n", -1);
    printf("# --- scenario ---\n");
    for (char **l = lines; *l; l++)
        if (**l)
            printf("#   %s\n", *l);
    fflush(stdout);
}

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
            const KsPartition *part = topic->partitions[p];
            if (k == r->seen->len) {
                Progress init = {.epoch = -1, .acting = -1};
                g_array_append_val(r->seen, init);
            }
            Progress *was = &g_array_index(r->seen, Progress, k);
            const KsReplica *lr = part->leader_replica;
            if (part->leader_epoch < was->epoch)
                return g_strdup_printf("%s-%d: leader epoch went back from %d to %d", topic->name,
                                       p, was->epoch, part->leader_epoch);
            /* A power loss takes a dead leader's log back to what was on
             * disk: the one way its epoch's log shrinks. */
            if (lr && part->leader_replica_epoch == was->acting && lr->broker->node->up &&
                (lr->hw < was->hw || lr->log.end < was->leo))
                return g_strdup_printf(
                    "%s-%d: in leader epoch %d the leader's high watermark or log "
                    "end went back, from %" PRId64 "/%" PRId64 " to %" PRId64 "/%" PRId64,
                    topic->name, p, was->acting, was->hw, was->leo, lr->hw, lr->log.end);
            *was = (Progress){.epoch = part->leader_epoch,
                              .acting = lr ? part->leader_replica_epoch : -1,
                              .hw = lr ? lr->hw : -1,
                              .leo = lr ? lr->log.end : -1};
        }
    }
    return NULL;
}

/* Parses and runs @text with the invariants checked after every event that
 * emitted something and after every @stride-th instant. The first violation
 * is kept in r->violation and ends the checks; unless @collect, it fails
 * the test, showing the scenario. */
void run_scenario(Run *r, const char *name, const char *text, int stride, bool collect)
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

void run_checked(Run *r, const char *name, const char *text, int stride)
{
    run_scenario(r, name, text, stride, false);
}

/* Runs @text as the program does, in one ks_sim_run(), hashing its events
 * without stopping or checking. */
void run_plain(Run *r, const char *name, const char *text)
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
void assert_expectations(const Run *r)
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
void assert_healed(const Run *r)
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
            const KsPartition *part = topic->partitions[p];
            const KsReplica *lr = part->leader_replica;
            if (!lr)
                fail_scenario(r->text, "%s-%d has no leader at the end", topic->name, p);
            if ((int32_t)part->isr->len != part->n_replicas)
                fail_scenario(r->text, "%s-%d: ISR of %u of %d replicas at the end", topic->name, p,
                              part->isr->len, part->n_replicas);
            for (int32_t i = 0; i < part->n_replicas; i++) {
                const KsReplica *rep = part->replicas[i];
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
void assert_nothing_lost(const Run *r, bool one_failure_at_a_time)
{
    /* A power loss (crash node) takes what was not on disk: with the
     * default flush settings, acknowledged records too when every replica
     * of a partition loses power; that loss, and no other, is allowed when
     * several machines may be down at once. */
    int64_t lost = r->stats.records_lost;
    if (!one_failure_at_a_time)
        lost -= r->stats.records_lost_power_loss;
    if (lost == 0)
        return;
    fail_scenario(r->text, "%" PRId64 " acknowledged records lost with acks=all%s", lost,
                  one_failure_at_a_time ? ", one broker down at a time" : "");
}

/* Whether a power loss has cut the log of a replica of @part. */
static bool cut_by_power_loss(const KsPartition *part)
{
    for (int32_t i = 0; i < part->n_replicas; i++) {
        const GArray *cuts = part->replicas[i]->truncations;
        for (guint k = 0; cuts && k < cuts->len; k++)
            if (g_array_index(cuts, KsTruncation, k).power_loss)
                return true;
    }
    return false;
}

/* Within one producer epoch, an idempotent producer's records are in each
 * partition's log once, in the order it sent them (enable.idempotence: the
 * broker refuses a sequence out of order, so retries reorder nothing and
 * duplicate nothing). Gaps are records it gave up on. Across an epoch bump
 * (KIP-360) Kafka promises neither: the producer re-sequences batches whose
 * fate it does not know, and one that was written after all is written
 * again. Nor after a power loss without flush: a leader that lost records
 * and led again in the same leader epoch writes over offsets its followers
 * hold, and a follower can end with a record twice (bug 10 of
 * test-model-regress.c); such partitions are not judged. */
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

char *idempotent_order_violation(const Run *r)
{
    const KsSim *sim = r->sim;
    guint n = sim->producers->len;
    g_autofree int64_t *next = g_new(int64_t, n);
    g_autofree int32_t *epoch = g_new(int32_t, n);
    for (guint t = 0; t < sim->topics->len; t++) {
        const KsTopic *topic = g_ptr_array_index(sim->topics, t);
        for (int32_t p = 0; p < topic->n_partitions; p++) {
            const KsReplica *lr = topic->partitions[p]->leader_replica;
            if (!lr || cut_by_power_loss(topic->partitions[p]))
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
            const KsReplica *lr = topic->partitions[p]->leader_replica;
            if (cut_by_power_loss(topic->partitions[p]))
                continue;
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
void assert_idempotent_order(const Run *r)
{
    g_autofree char *duplicate = idempotent_duplicate(r);
    if (duplicate)
        fail_scenario(r->text, "%s", duplicate);
    g_autofree char *violation = idempotent_order_violation(r);
    if (!violation)
        return;
    fail_scenario(r->text, "%s", violation);
}

int run_model_tests(const char *group, const struct CMUnitTest *all, size_t n_all)
{
    /* KS_MODEL_ONLY=WORD runs the tests whose name contains WORD. */
    g_autofree struct CMUnitTest *tests = g_new(struct CMUnitTest, n_all);
    size_t n = 0;
    const char *only = g_getenv("KS_MODEL_ONLY");
    for (size_t i = 0; i < n_all; i++)
        if (!only || strstr(all[i].name, only))
            tests[n++] = all[i];
    return _cmocka_run_group_tests(group, tests, n, NULL, NULL);
}
