/* SPDX-License-Identifier: MIT */
/*
 * test-net.c - the message layer's rules (sim/net.c): latency by distance,
 * send order at equal arrival times, and the drop of a message whose
 * receiver stopped or restarted while it travelled.
 *
 * Each test builds a bare KsSim (an engine and the layer's state) and
 * endpoints on hand-made nodes, so the rules are seen without a cluster.
 */
#include "ks-test.h"

#include "sim/net.h"
#include "sim/model.h"

typedef struct {
    KsSim sim;
    KsNode a, b, c; /* a and b in zone z1, c in z2 */
    GArray *log;    /* of Arrival, in handler order */
} Fixture;

typedef struct {
    KsTime t;
    uint64_t arg;
    bool delivered;
    bool silent; /* ks_net_dropped_silently */
} Arrival;

static int setup(void **state)
{
    Fixture *f = g_new0(Fixture, 1);
    f->sim.engine = ks_engine_new();
    f->a = (KsNode){.name = (char *)"a", .zone = (char *)"z1", .up = true};
    f->b = (KsNode){.name = (char *)"b", .zone = (char *)"z1", .up = true};
    f->c = (KsNode){.name = (char *)"c", .zone = (char *)"z2", .up = true};
    f->log = g_array_new(FALSE, FALSE, sizeof(Arrival));
    *state = f;
    return 0;
}

static int teardown(void **state)
{
    Fixture *f = *state;
    ks_engine_free(f->sim.engine);
    ks_net_clear(&f->sim.net);
    g_array_free(f->log, TRUE);
    g_free(f);
    return 0;
}

static void record(KsSim *sim, void *ctx, uint64_t arg, bool delivered)
{
    Fixture *f = ctx;
    Arrival a = {.t = ks_engine_now(sim->engine),
                 .arg = arg,
                 .delivered = delivered,
                 .silent = ks_net_dropped_silently(sim)};
    g_array_append_val(f->log, a);
}

static const Arrival *arrival(const Fixture *f, guint i)
{
    assert_true(i < f->log->len);
    return &g_array_index(f->log, Arrival, i);
}

static void test_net_latency_follows_distance(void **state)
{
    Fixture *f = *state;
    KsNetEndpoint on_a, also_on_a, on_b, on_c, client;
    ks_net_endpoint_init(&on_a, &f->a, true);
    ks_net_endpoint_init(&also_on_a, &f->a, true);
    ks_net_endpoint_init(&on_b, &f->b, true);
    ks_net_endpoint_init(&on_c, &f->c, true);
    ks_net_endpoint_init(&client, NULL, true);
    assert_true(ks_net_send(&f->sim, &on_a, &also_on_a, KS_NET_FETCH_REQUEST, record, f, 1));
    assert_true(ks_net_send(&f->sim, &on_a, &on_b, KS_NET_FETCH_REQUEST, record, f, 2));
    assert_true(ks_net_send(&f->sim, &on_a, &on_c, KS_NET_FETCH_REQUEST, record, f, 3));
    assert_true(ks_net_send(&f->sim, &client, &on_c, KS_NET_PRODUCE_REQUEST, record, f, 4));
    ks_engine_run_until(f->sim.engine, KS_TIME_S);
    ks_assert_i64_eq(f->log->len, 4);
    /* Loopback 50us, same zone 500us, across zones 1ms, a client's own
     * machine (no zone) 500us. */
    ks_assert_i64_eq(arrival(f, 0)->arg, 1);
    ks_assert_i64_eq(arrival(f, 0)->t, 50);
    ks_assert_i64_eq(arrival(f, 1)->arg, 2);
    ks_assert_i64_eq(arrival(f, 1)->t, 500);
    ks_assert_i64_eq(arrival(f, 2)->arg, 4);
    ks_assert_i64_eq(arrival(f, 2)->t, 500);
    ks_assert_i64_eq(arrival(f, 3)->arg, 3);
    ks_assert_i64_eq(arrival(f, 3)->t, 1000);
    for (guint i = 0; i < 4; i++)
        assert_true(arrival(f, i)->delivered);
    ks_assert_i64_eq(ks_engine_events_run(f->sim.engine), 4);
}

static void test_net_equal_times_arrive_in_send_order(void **state)
{
    Fixture *f = *state;
    KsNetEndpoint from, to;
    ks_net_endpoint_init(&from, &f->a, true);
    ks_net_endpoint_init(&to, &f->b, true);
    for (uint64_t i = 0; i < 50; i++)
        ks_net_send(&f->sim, &from, &to, i % 2 ? KS_NET_FETCH_REQUEST : KS_NET_PRODUCE_REQUEST,
                    record, f, i);
    ks_engine_run_until(f->sim.engine, KS_TIME_S);
    ks_assert_i64_eq(f->log->len, 50);
    for (guint i = 0; i < 50; i++) {
        ks_assert_i64_eq(arrival(f, i)->arg, i);
        ks_assert_i64_eq(arrival(f, i)->t, 500);
    }
}

/* A request to a broker that crashes and restarts while the request
 * travels reaches neither process: the handler hears it was dropped, at
 * the time it would have arrived, in one engine event. */
static void test_net_drops_message_to_restarted_receiver(void **state)
{
    Fixture *f = *state;
    KsNetEndpoint from, to;
    ks_net_endpoint_init(&from, &f->a, true);
    ks_net_endpoint_init(&to, &f->b, false);
    ks_net_endpoint_start(&to);
    ks_net_send(&f->sim, &from, &to, KS_NET_PRODUCE_REQUEST, record, f, 1);
    ks_engine_run_until(f->sim.engine, 100);
    ks_net_endpoint_stop(&to);
    ks_net_endpoint_start(&to);
    assert_true(to.up);
    ks_net_send(&f->sim, &from, &to, KS_NET_PRODUCE_REQUEST, record, f, 2);
    ks_engine_run_until(f->sim.engine, KS_TIME_S);
    ks_assert_i64_eq(f->log->len, 2);
    ks_assert_i64_eq(arrival(f, 0)->arg, 1);
    ks_assert_i64_eq(arrival(f, 0)->t, 500);
    assert_false(arrival(f, 0)->delivered);
    /* Sent to the new process: delivered. */
    ks_assert_i64_eq(arrival(f, 1)->arg, 2);
    assert_true(arrival(f, 1)->delivered);
    ks_assert_i64_eq(ks_engine_events_run(f->sim.engine), 2);
}

static void test_net_drops_message_to_stopped_receiver(void **state)
{
    Fixture *f = *state;
    KsNetEndpoint from, to;
    ks_net_endpoint_init(&from, &f->a, true);
    ks_net_endpoint_init(&to, &f->b, true);
    ks_net_send(&f->sim, &from, &to, KS_NET_FETCH_RESPONSE, record, f, 1);
    ks_net_endpoint_stop(&to);
    ks_engine_run_until(f->sim.engine, KS_TIME_S);
    ks_assert_i64_eq(f->log->len, 1);
    assert_false(arrival(f, 0)->delivered);
}

/* A process's own timer dies with it: after a restart it is dropped. */
static void test_net_local_timer_dies_with_process(void **state)
{
    Fixture *f = *state;
    KsNetEndpoint p;
    ks_net_endpoint_init(&p, &f->a, false);
    ks_net_endpoint_start(&p);
    ks_net_after(&f->sim, &p, 10, record, f, 1);
    ks_net_after(&f->sim, &p, 30, record, f, 2);
    ks_engine_run_until(f->sim.engine, 20);
    ks_net_endpoint_stop(&p);
    ks_net_endpoint_start(&p);
    ks_engine_run_until(f->sim.engine, KS_TIME_S);
    ks_assert_i64_eq(f->log->len, 2);
    assert_true(arrival(f, 0)->delivered);
    ks_assert_i64_eq(arrival(f, 1)->t, 30);
    assert_false(arrival(f, 1)->delivered);
}

/* A dead process's kernel still resets its connections while its machine
 * is up; a machine that is down sends nothing. */
static void test_net_machine_down_sends_nothing(void **state)
{
    Fixture *f = *state;
    KsNetEndpoint dead, client;
    ks_net_endpoint_init(&dead, &f->a, false);
    ks_net_endpoint_init(&client, NULL, true);
    assert_true(ks_net_send(&f->sim, &dead, &client, KS_NET_PRODUCE_RESPONSE, record, f, 1));
    f->a.up = false;
    assert_false(ks_net_send(&f->sim, &dead, &client, KS_NET_PRODUCE_RESPONSE, record, f, 2));
    ks_engine_run_until(f->sim.engine, KS_TIME_S);
    ks_assert_i64_eq(f->log->len, 1);
    ks_assert_i64_eq(arrival(f, 0)->arg, 1);
}

/* Both ends see a connection close when the server process stops; opening
 * tells a refused connection (process down) from an unreachable machine. */
static void test_net_connection_state(void **state)
{
    Fixture *f = *state;
    KsNetEndpoint client, server;
    KsNetConn conn;
    ks_net_endpoint_init(&client, NULL, true);
    ks_net_endpoint_init(&server, &f->b, false);
    ks_net_conn_init(&f->sim.net, &conn, &client, &server);
    assert_false(ks_net_conn_is_open(&conn));
    assert_int_equal(ks_net_conn_open(&f->sim, &conn), KS_NET_CONN_REFUSED);
    ks_net_endpoint_start(&server);
    assert_int_equal(ks_net_conn_open(&f->sim, &conn), KS_NET_CONN_OPEN);
    assert_true(ks_net_conn_is_open(&conn));
    ks_net_endpoint_stop(&server);
    ks_net_endpoint_start(&server);
    assert_false(ks_net_conn_is_open(&conn)); /* opened to the old process */
    f->b.up = false;
    assert_int_equal(ks_net_conn_open(&f->sim, &conn), KS_NET_CONN_UNREACHABLE);
    f->b.up = true;
    assert_int_equal(ks_net_conn_open(&f->sim, &conn), KS_NET_CONN_OPEN);
    assert_true(ks_net_conn_is_open(&conn));
    /* A link that changes makes every connection check again. */
    f->sim.net.links_gen++;
    assert_false(ks_net_conn_is_open(&conn));
    assert_int_equal(ks_net_conn_open(&f->sim, &conn), KS_NET_CONN_OPEN);
    assert_true(ks_net_conn_is_open(&conn));
}

/* `network loopback=10us same-zone=100us cross-zone=2ms`: the distances
 * take the declared latencies. */
static void test_net_configured_latency(void **state)
{
    Fixture *f = *state;
    KsPlanNetwork cfg = {
        .loopback = 10, .same_zone = 100, .cross_zone = 2000, .cross_site = -1, .jitter = 0};
    ks_net_configure(&f->sim.net, &cfg, 1);
    KsNetEndpoint a1, a2, b, c, client;
    ks_net_endpoint_init(&a1, &f->a, true);
    ks_net_endpoint_init(&a2, &f->a, true);
    ks_net_endpoint_init(&b, &f->b, true);
    ks_net_endpoint_init(&c, &f->c, true);
    ks_net_endpoint_init(&client, NULL, true);
    ks_net_send(&f->sim, &a1, &a2, KS_NET_FETCH_REQUEST, record, f, 1);
    ks_net_send(&f->sim, &a1, &b, KS_NET_FETCH_REQUEST, record, f, 2);
    ks_net_send(&f->sim, &a1, &c, KS_NET_FETCH_REQUEST, record, f, 3);
    ks_net_send(&f->sim, &client, &c, KS_NET_PRODUCE_REQUEST, record, f, 4);
    ks_engine_run_until(f->sim.engine, KS_TIME_S);
    ks_assert_i64_eq(f->log->len, 4);
    ks_assert_i64_eq(arrival(f, 0)->t, 10);
    ks_assert_i64_eq(arrival(f, 1)->t, 100);
    ks_assert_i64_eq(arrival(f, 2)->arg, 4);
    ks_assert_i64_eq(arrival(f, 2)->t, 100);
    ks_assert_i64_eq(arrival(f, 3)->t, 2000);
}

/* `link a c latency=5ms`: both ways, and only that pair. */
static void test_net_link_overrides_distance(void **state)
{
    Fixture *f = *state;
    ks_net_configure(&f->sim.net, NULL, 1);
    ks_net_set_link(&f->sim.net, &f->a, &f->c, 5000, 0);
    assert_int_equal(ks_net_latency(&f->sim, &f->a, &f->c), 5000);
    assert_int_equal(ks_net_latency(&f->sim, &f->c, &f->a), 5000);
    assert_int_equal(ks_net_latency(&f->sim, &f->a, &f->b), 500);
    assert_int_equal(ks_net_latency(&f->sim, &f->b, &f->c), 1000);
}

/* Sends 200 messages a -> b with jitter 300us from @seed; returns the
 * arrival times. */
static GArray *jittered_times(uint64_t seed)
{
    KsSim sim = {0};
    sim.engine = ks_engine_new();
    KsPlanNetwork cfg = {-1, -1, -1, -1, 300, {0, 0}};
    ks_net_configure(&sim.net, &cfg, seed);
    KsNode a = {.name = (char *)"a", .zone = (char *)"z1", .up = true};
    KsNode b = {.name = (char *)"b", .zone = (char *)"z1", .up = true};
    KsNetEndpoint ea, eb;
    ks_net_endpoint_init(&ea, &a, true);
    ks_net_endpoint_init(&eb, &b, true);
    Fixture f = {.log = g_array_new(FALSE, FALSE, sizeof(Arrival))};
    for (int i = 0; i < 200; i++)
        ks_net_send(&sim, &ea, &eb, KS_NET_FETCH_REQUEST, record, &f, (uint64_t)i);
    ks_engine_run_until(sim.engine, KS_TIME_S);
    GArray *times = g_array_new(FALSE, FALSE, sizeof(KsTime));
    for (guint i = 0; i < f.log->len; i++) {
        const Arrival *x = &g_array_index(f.log, Arrival, i);
        assert_int_equal(x->arg, i); /* order kept, as TCP keeps it */
        g_array_append_val(times, x->t);
    }
    g_array_free(f.log, TRUE);
    ks_engine_free(sim.engine);
    ks_net_clear(&sim.net);
    return times;
}

/* Jitter comes from the seed: the same seed gives the same times, another
 * seed others; each within [latency, latency + jitter] of its send, and
 * never before the message sent before it. */
static void test_net_jitter_is_deterministic(void **state)
{
    GArray *x = jittered_times(42), *y = jittered_times(42), *z = jittered_times(43);
    ks_assert_i64_eq(x->len, 200);
    assert_memory_equal(x->data, y->data, x->len * sizeof(KsTime));
    bool differs = false, jittered = false;
    for (guint i = 0; i < x->len; i++) {
        KsTime t = g_array_index(x, KsTime, i);
        assert_true(t >= 500 && t <= 800);
        jittered = jittered || t != 500;
        differs = differs || t != g_array_index(z, KsTime, i);
        if (i > 0)
            assert_true(t >= g_array_index(x, KsTime, i - 1));
    }
    assert_true(jittered);
    assert_true(differs);
    g_array_free(x, TRUE);
    g_array_free(y, TRUE);
    g_array_free(z, TRUE);
}

/* A cut both ways, then one way: what crosses is lost silently (the
 * handler runs once, delivered false, dropped_silently true); heal-network
 * lets everything through again. */
static void test_net_cuts_both_ways_and_one_way(void **state)
{
    Fixture *f = *state;
    KsNetEndpoint a, b;
    ks_net_endpoint_init(&a, &f->a, true);
    ks_net_endpoint_init(&b, &f->b, true);
    assert_true(ks_net_connected(&f->sim, &f->a, &f->b));
    ks_net_cut(&f->sim.net, &f->a, &f->b, KS_NET_CUT);
    ks_net_cut(&f->sim.net, &f->b, &f->a, KS_NET_CUT);
    assert_false(ks_net_connected(&f->sim, &f->a, &f->b));
    assert_true(ks_net_connected(&f->sim, &f->a, &f->c));
    ks_net_send(&f->sim, &a, &b, KS_NET_FETCH_REQUEST, record, f, 1);
    ks_net_send(&f->sim, &b, &a, KS_NET_FETCH_REQUEST, record, f, 2);
    ks_engine_run_until(f->sim.engine, KS_TIME_MS);
    ks_assert_i64_eq(f->log->len, 2);
    assert_false(arrival(f, 0)->delivered);
    assert_true(arrival(f, 0)->silent);
    assert_false(arrival(f, 1)->delivered);
    assert_true(arrival(f, 1)->silent);
    ks_net_heal(&f->sim.net);
    /* One way: a's messages to b are lost, b's to a pass. */
    ks_net_cut(&f->sim.net, &f->a, &f->b, KS_NET_CUT);
    assert_false(ks_net_link_up(&f->sim, &f->a, &f->b));
    assert_true(ks_net_link_up(&f->sim, &f->b, &f->a));
    assert_false(ks_net_connected(&f->sim, &f->b, &f->a));
    ks_net_send(&f->sim, &a, &b, KS_NET_FETCH_REQUEST, record, f, 3);
    ks_net_send(&f->sim, &b, &a, KS_NET_FETCH_REQUEST, record, f, 4);
    ks_engine_run_until(f->sim.engine, 2 * KS_TIME_MS);
    ks_assert_i64_eq(f->log->len, 4);
    assert_false(arrival(f, 2)->delivered);
    assert_true(arrival(f, 3)->delivered);
    assert_false(arrival(f, 3)->silent);
    /* A message in flight when the link is cut is lost too. */
    ks_net_heal(&f->sim.net);
    ks_net_send(&f->sim, &a, &b, KS_NET_FETCH_REQUEST, record, f, 5);
    ks_net_cut(&f->sim.net, &f->a, &f->b, KS_NET_CUT);
    ks_engine_run_until(f->sim.engine, 3 * KS_TIME_MS);
    assert_false(arrival(f, 4)->delivered);
    ks_net_heal(&f->sim.net);
    assert_true(ks_net_connected(&f->sim, &f->a, &f->b));
}

/* Counts the messages of @n sent a -> b that a link with @loss_ppm loses. */
static int lost_of(Fixture *f, int64_t loss_ppm, uint64_t seed, int n)
{
    ks_net_configure(&f->sim.net, NULL, seed);
    if (f->sim.net.links)
        g_array_set_size(f->sim.net.links, 0);
    ks_net_set_link(&f->sim.net, &f->a, &f->b, -1, loss_ppm);
    KsNetEndpoint a, b;
    ks_net_endpoint_init(&a, &f->a, true);
    ks_net_endpoint_init(&b, &f->b, true);
    g_array_set_size(f->log, 0);
    for (int i = 0; i < n; i++)
        ks_net_send(&f->sim, &a, &b, KS_NET_FETCH_REQUEST, record, f, (uint64_t)i);
    ks_engine_run_until(f->sim.engine, ks_engine_now(f->sim.engine) + KS_TIME_S);
    int lost = 0;
    for (guint i = 0; i < f->log->len; i++)
        lost += !arrival(f, i)->delivered && arrival(f, i)->silent;
    return lost;
}

/* `link a b loss=25%`: about a quarter lost, the same ones for a seed. */
static void test_net_lossy_link(void **state)
{
    Fixture *f = *state;
    int lost = lost_of(f, 250000, 9, 2000);
    assert_true(lost > 400 && lost < 600);
    ks_assert_i64_eq(lost_of(f, 250000, 9, 2000), lost);
    ks_assert_i64_eq(lost_of(f, 0, 9, 100), 0);
    ks_assert_i64_eq(lost_of(f, 1000000, 9, 100), 100);
}

/* A connection open when its link is cut stays open in its client's eyes
 * (it learns by a timeout); a new one is unreachable. */
static void test_net_cut_connection(void **state)
{
    Fixture *f = *state;
    KsNetEndpoint client, server;
    ks_net_endpoint_init(&client, &f->a, true);
    ks_net_endpoint_init(&server, &f->c, true);
    KsNetConn conn;
    ks_net_conn_init(&f->sim.net, &conn, &client, &server);
    assert_int_equal(ks_net_conn_open(&f->sim, &conn), KS_NET_CONN_OPEN);
    assert_false(ks_net_conn_is_cut(&f->sim, &conn));
    ks_net_cut(&f->sim.net, &f->c, &f->a, KS_NET_CUT); /* answers cannot come back */
    assert_false(ks_net_conn_is_open(&conn));
    assert_true(ks_net_conn_is_cut(&f->sim, &conn));
    assert_true(ks_net_silent_between(&f->sim, &client, &server));
    ks_net_conn_close(&conn);
    assert_int_equal(ks_net_conn_open(&f->sim, &conn), KS_NET_CONN_UNREACHABLE);
    ks_net_heal(&f->sim.net);
    assert_int_equal(ks_net_conn_open(&f->sim, &conn), KS_NET_CONN_OPEN);
}

/* A paused receiver handles what reaches it when it resumes, in order;
 * what it sends meanwhile leaves then. */
static void test_net_pause_holds_messages(void **state)
{
    Fixture *f = *state;
    KsNetEndpoint a, b;
    ks_net_endpoint_init(&a, &f->a, true);
    ks_net_endpoint_init(&b, &f->b, true);
    b.paused_until = 10 * KS_TIME_MS;
    ks_net_send(&f->sim, &a, &b, KS_NET_FETCH_REQUEST, record, f, 1);
    ks_net_send(&f->sim, &a, &b, KS_NET_FETCH_REQUEST, record, f, 2);
    ks_net_send(&f->sim, &b, &a, KS_NET_FETCH_RESPONSE, record, f, 3);
    ks_engine_run_until(f->sim.engine, KS_TIME_S);
    ks_assert_i64_eq(f->log->len, 3);
    ks_assert_i64_eq(arrival(f, 0)->arg, 1);
    ks_assert_i64_eq(arrival(f, 0)->t, 10 * KS_TIME_MS);
    assert_true(arrival(f, 0)->delivered);
    ks_assert_i64_eq(arrival(f, 1)->arg, 2);
    ks_assert_i64_eq(arrival(f, 2)->t, 10 * KS_TIME_MS + 500);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_net_latency_follows_distance, setup, teardown),
        cmocka_unit_test_setup_teardown(test_net_equal_times_arrive_in_send_order, setup, teardown),
        cmocka_unit_test_setup_teardown(test_net_drops_message_to_restarted_receiver, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(test_net_drops_message_to_stopped_receiver, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(test_net_local_timer_dies_with_process, setup, teardown),
        cmocka_unit_test_setup_teardown(test_net_machine_down_sends_nothing, setup, teardown),
        cmocka_unit_test_setup_teardown(test_net_connection_state, setup, teardown),
        cmocka_unit_test_setup_teardown(test_net_configured_latency, setup, teardown),
        cmocka_unit_test_setup_teardown(test_net_link_overrides_distance, setup, teardown),
        cmocka_unit_test(test_net_jitter_is_deterministic),
        cmocka_unit_test_setup_teardown(test_net_cuts_both_ways_and_one_way, setup, teardown),
        cmocka_unit_test_setup_teardown(test_net_lossy_link, setup, teardown),
        cmocka_unit_test_setup_teardown(test_net_cut_connection, setup, teardown),
        cmocka_unit_test_setup_teardown(test_net_pause_holds_messages, setup, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
