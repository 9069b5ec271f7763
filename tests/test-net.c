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
    Arrival a = {.t = ks_engine_now(sim->engine), .arg = arg, .delivered = delivered};
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
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
