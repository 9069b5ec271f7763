/* SPDX-License-Identifier: MIT */
/*
 * test-registry.c - ZooKeeper as the controller sees it (sim/registry.c):
 * broker sessions, the ephemeral /brokers/ids/<id> nodes and /controller.
 *
 * Each test runs a small inline scenario and checks when a node goes away,
 * which is what decides how long a crashed broker's partitions stay
 * unavailable:
 *  - ZooKeeper 3.8.4 (the one Kafka 3.9 ships) clamps the requested
 *    session timeout to [2, 20] ticks of 3000 ms, puts a renewed session in
 *    the bucket of the first tick boundary after now + timeout, and the
 *    client pings every readTimeout/2 - 1 s when idle;
 *  - a crashed broker keeps its node until its session expires: in the
 *    bucket its last ping put it in, a range of instants drawn from the
 *    run's seed (13 to 21 s after the crash with the defaults);
 *  - a broker that stops cleanly closes its session, and its node goes at
 *    once;
 *  - a broker restarted while its old session lives cannot register
 *    (NodeExists) and exits; after the expiry it can;
 *  - /controller is ephemeral: when the controller's session expires
 *    another live broker takes it with the controller epoch plus one, and
 *    a non-controller's expiry leaves the controller alone.
 * The Kafka sources cited are those of 3.9 (ZooKeeper mode).
 */
#include "ks-sim-test.h"

/* The registry's settings and session arithmetic are not in the query
 * API: the tests below read them from the model itself. */
#include "sim/registry-private.h"

#include "sim/model.h"

#include <string.h>

#define S  KS_TIME_S
#define MS KS_TIME_MS

/* The instant of broker @id's session expiry in @t's events, or -1. */
static KsTime expiry_of(const KsSimTest *t, KsBrokerId id)
{
    g_autofree char *match = g_strdup_printf("\"type\":\"session_expired\",\"broker\":%d", id);
    const KsSimTestEvent *e = ks_sim_test_find(t, 0, match);
    return e ? e->ev.t : -1;
}

/* ZooKeeperServer.processConnectRequest clamps the client's requested
 * timeout to [minSessionTimeout, maxSessionTimeout], by default
 * [2 * tickTime, 20 * tickTime] (setMinSessionTimeout/setMaxSessionTimeout
 * with -1), and tickTime is ZooKeeperServer.DEFAULT_TICK_TIME, 3000 ms:
 * Kafka 3.9's config/zookeeper.properties sets none of them. */
static void requested_timeout_is_clamped_to_2_and_20_ticks(void **state)
{
    (void)state;
    KsRegistry *r = ks_registry_new(1);
    ks_assert_i64_eq(r->tick_time, 3 * S);
    ks_assert_i64_eq(ks_registry_negotiate(r, 4 * S), 6 * S);
    ks_assert_i64_eq(ks_registry_negotiate(r, 6 * S), 6 * S);
    ks_assert_i64_eq(ks_registry_negotiate(r, 18 * S), 18 * S);
    ks_assert_i64_eq(ks_registry_negotiate(r, 60 * S), 60 * S);
    ks_assert_i64_eq(ks_registry_negotiate(r, 90 * S), 60 * S);
    ks_registry_free(r);
}

/* ClientCnxn: readTimeout = negotiated * 2 / 3 (onConnected); an idle
 * SendThread pings when readTimeout/2 - idleSend - (idleSend > 1000 ? 1000
 * : 0) <= 0, or idleSend > MAX_SEND_PING_INTERVAL (10000 ms). */
static void idle_client_pings_every_third_of_the_timeout_less_a_second(void **state)
{
    (void)state;
    ks_assert_i64_eq(ks_registry_ping_interval(18 * S), 5 * S); /* 6000 - 1000 */
    ks_assert_i64_eq(ks_registry_ping_interval(6 * S), 1001 * MS);
    ks_assert_i64_eq(ks_registry_ping_interval(60 * S), 10001 * MS);
    ks_assert_i64_eq(ks_registry_ping_interval(3 * S), 1000 * MS); /* readTimeout/2 */
}

/* ExpiryQueue.update puts a touched session in the bucket
 * roundToNextInterval(now + timeout) = (t / tickTime + 1) * tickTime: the
 * first tick boundary strictly after now + timeout, so a deadline already
 * on a boundary moves a whole tick. */
static void expiry_is_rounded_up_to_the_next_tick(void **state)
{
    (void)state;
    for (uint64_t seed = 1; seed <= 20; seed++) {
        KsRegistry *r = ks_registry_new(seed);
        KsTime tick = r->tick_time;
        assert_true(r->tick_phase >= 0 && r->tick_phase < tick);
        for (KsTime touched = 0; touched < 2 * tick; touched += 250 * MS + 7) {
            KsTime e = ks_registry_expiry_bucket(r, touched, 18 * S);
            assert_true(e > touched + 18 * S);
            assert_true(e <= touched + 18 * S + tick);
            ks_assert_i64_eq((e - r->tick_phase) % tick, 0);
        }
        /* On a boundary: a whole tick later. */
        KsTime on = 10 * tick + r->tick_phase - 18 * S;
        ks_assert_i64_eq(ks_registry_expiry_bucket(r, on, 18 * S),
                         10 * tick + r->tick_phase + tick);
        ks_registry_free(r);
    }
}

/* Kafka 3.9 with ZooKeeper 3.8.4 and the defaults: a crashed broker's last
 * ping was up to 5 s before the crash (ClientCnxn), and its session expires
 * at the first tick boundary after that ping + 18 s (ExpiryQueue,
 * SessionTrackerImpl.run): 13 to 21 s after the crash, never exactly a
 * constant, and the same for the same seed. */
static void crash_detection_is_a_range_drawn_from_the_seed(void **state)
{
    (void)state;
    KsTime expiries[12];
    for (int seed = 1; seed <= 12; seed++) {
        g_autofree char *text = g_strdup_printf("seed %d\n"
                                                "cluster nodes=3\n"
                                                "topic t partitions=1 replication-factor=3 "
                                                "replica-placement-start=0\n"
                                                "at 7s crash broker 2\n"
                                                "run until 30s\n",
                                                seed);
        g_autoptr(KsSimTest) t = ks_sim_test_new(text);
        ks_sim_test_run(t);
        KsTime e = expiry_of(t, 2);
        assert_true(e > 7 * S + 13 * S && e <= 7 * S + 21 * S);
        ks_assert_i64_eq((e - t->sim->registry->tick_phase) % (3 * S), 0);
        expiries[seed - 1] = e;

        /* Same seed, same instant. */
        g_autoptr(KsSimTest) again = ks_sim_test_new(text);
        ks_sim_test_run(again);
        ks_assert_i64_eq(expiry_of(again, 2), e);
    }
    /* Different seeds, different instants (12 draws, at least 3 values). */
    int distinct = 0;
    for (int i = 0; i < 12; i++) {
        bool repeat = false;
        for (int j = 0; j < i; j++)
            repeat = repeat || expiries[j] == expiries[i];
        distinct += !repeat;
    }
    assert_true(distinct >= 3);
}

/* A crashed broker's session lives until the bucket its last ping put it
 * in expires (SessionTrackerImpl.run, ExpiryQueue.poll): until then the
 * ephemeral /brokers/ids/<id> stays and the controller sees the broker as
 * live (KafkaController.processBrokerChange only runs on the node's
 * deletion). Here 6 s is granted as asked (2 ticks,
 * ZooKeeperServer.processConnectRequest) and the client pings every
 * 1001 ms (ClientCnxn), so the expiry lies in (2 s - 1.001 s + 6 s,
 * 2 s + 6 s + 3 s]. */
static void crashed_broker_node_stays_until_session_timeout(void **state)
{
    (void)state;
    g_autoptr(KsSimTest) t = ks_sim_test_new("cluster nodes=3\n"
                                             "set zookeeper.session.timeout.ms=6s\n"
                                             "topic t partitions=1 replication-factor=3 "
                                             "replica-placement-start=0\n"
                                             "at 2s crash broker 3\n"
                                             "run until 12s\n");
    ks_sim_test_run_until(t, 7 * S - 1 * MS);
    assert_false(ks_sim_test_broker(t, 3).alive);
    assert_true(ks_sim_test_broker(t, 3).registered);
    assert_null(ks_sim_test_find(t, 0, "\"type\":\"session_expired\""));
    g_autofree char *isr_before = ks_sim_test_isr(t, "t", 0);
    ks_assert_str_eq(isr_before, "1,2,3");

    ks_sim_test_run(t);
    KsTime e = expiry_of(t, 3);
    assert_true(e > 2 * S - 1001 * MS + 6 * S && e <= 2 * S + 9 * S);
    assert_false(ks_sim_test_broker(t, 3).registered);
    /* The controller learns of it then, and only then. */
    const KsSimTestEvent *shrunk = ks_sim_test_find(t, 0, "\"type\":\"isr_shrunk\"");
    assert_non_null(shrunk);
    ks_assert_i64_eq(shrunk->ev.t, e);
    ks_assert_i64_eq(shrunk->ev.isr_shrunk.reason, KS_REASON_BROKER_FAILED);
}

/* A timeout below 2 ticks is raised to 6 s (processConnectRequest), so a
 * broker asking for 1 s is not declared dead 1 s after its crash. */
static void short_timeout_is_raised_to_two_ticks(void **state)
{
    (void)state;
    g_autoptr(KsSimTest) t = ks_sim_test_new("cluster nodes=3\n"
                                             "set zookeeper.session.timeout.ms=1s\n"
                                             "topic t partitions=1 replication-factor=3 "
                                             "replica-placement-start=0\n"
                                             "at 2s crash broker 3\n"
                                             "run until 12s\n");
    ks_sim_test_run(t);
    KsTime e = expiry_of(t, 3);
    /* 6 s after a ping at most 1001 ms before the crash, rounded up to a tick. */
    assert_true(e > 2 * S - 1001 * MS + 6 * S && e <= 2 * S + 9 * S);
}

/* A clean stop closes the session (KafkaServer.shutdown ->
 * KafkaZkClient.close): ZooKeeper deletes the ephemeral nodes at once, no
 * timeout, so the controller removes the broker right away. */
static void clean_shutdown_removes_node_at_once(void **state)
{
    (void)state;
    g_autoptr(KsSimTest) t = ks_sim_test_new("cluster nodes=3\n"
                                             "topic t partitions=1 replication-factor=3 "
                                             "replica-placement-start=0\n"
                                             "at 2s stop broker 3\n"
                                             "run until 30s\n");
    ks_sim_test_run_until(t, 2 * S + 1);
    const KsSimTestEvent *closed = ks_sim_test_find(t, 0, "\"type\":\"session_closed\"");
    assert_non_null(closed);
    ks_assert_i64_eq(closed->ev.broker_event.broker, 3);
    assert_true(closed->ev.t >= 2 * S && closed->ev.t < 2 * S + KS_TIME_MS);
    assert_false(ks_sim_test_broker(t, 3).registered);
    g_autofree char *isr = ks_sim_test_isr(t, "t", 0);
    ks_assert_str_eq(isr, "1,2");

    ks_sim_test_run(t);
    assert_null(ks_sim_test_find(t, 0, "\"type\":\"session_expired\""));
}

/* KafkaZkClient.registerBroker -> checkedEphemeralCreate: the node still
 * belongs to the old session, so the create fails with NodeExists and
 * KafkaServer.startup exits ("Fatal error during KafkaServer startup").
 * Once the old session expired the same restart succeeds. */
static void restart_before_expiry_fails_with_node_exists(void **state)
{
    (void)state;
    g_autoptr(KsSimTest) t = ks_sim_test_new("cluster nodes=3\n"
                                             "topic t partitions=1 replication-factor=3 "
                                             "replica-placement-start=0\n"
                                             "at 2s crash broker 3\n"
                                             "at 5s restart broker 3\n"
                                             "at 24s restart broker 3\n"
                                             "run until 25s\n");
    ks_sim_test_run_until(t, 6 * S);
    const KsSimTestEvent *failed = ks_sim_test_find(t, 0, "\"type\":\"broker_start_failed\"");
    assert_non_null(failed);
    ks_assert_i64_eq(failed->ev.t, 5 * S);
    ks_assert_i64_eq(failed->ev.broker_start_failed.broker, 3);
    /* The old session's bucket: 13 to 21 s after the crash (the defaults). */
    KsTime expires = failed->ev.broker_start_failed.old_session_expires_us;
    assert_true(expires > 15 * S && expires <= 23 * S);
    assert_non_null(strstr(failed->json, "\"error\":\"NodeExists\""));
    assert_false(ks_sim_test_broker(t, 3).alive);

    ks_sim_test_run(t);
    const KsSimTestEvent *reg =
        ks_sim_test_find(t, 6 * S, "\"type\":\"broker_registered\",\"broker\":3");
    assert_non_null(reg);
    ks_assert_i64_eq(reg->ev.t, 24 * S);
    ks_assert_i64_eq(expiry_of(t, 3), expires);
    assert_true(ks_sim_test_broker(t, 3).alive);
    ks_assert_i64_eq(ks_sim_test_count(t, 0, 25 * S, "\"type\":\"broker_start_failed\""), 1);
}

/* /controller is an ephemeral node (KafkaZkClient.registerControllerAndIncrementControllerEpoch):
 * the first broker to start creates it with controller epoch 1; when its
 * session expires the live brokers race to create it again
 * (KafkaController.elect) and the winner increments /controller_epoch. */
static void controller_moves_when_its_session_expires(void **state)
{
    (void)state;
    g_autoptr(KsSimTest) t = ks_sim_test_new("cluster nodes=3\n"
                                             "topic t partitions=1 replication-factor=3 "
                                             "replica-placement-start=0\n"
                                             "at 5s crash broker 1\n"
                                             "run until 30s\n");
    /* Never before 13 s after the crash (last ping 5 s before it at most). */
    ks_sim_test_run_until(t, 18 * S);
    ks_assert_i64_eq(ks_query_controller(t->sim), 1);
    ks_assert_i64_eq(ks_sim_test_count(t, 0, 18 * S, "\"type\":\"controller_elected\""), 1);
    const KsSimTestEvent *first = ks_sim_test_find(t, 0, "\"type\":\"controller_elected\"");
    ks_assert_i64_eq(first->ev.controller_elected.broker, 1);
    ks_assert_i64_eq(first->ev.controller_elected.controller_epoch, 1);

    ks_sim_test_run(t);
    const KsSimTestEvent *next = ks_sim_test_find(t, 1, "\"type\":\"controller_elected\"");
    assert_non_null(next);
    ks_assert_i64_eq(next->ev.t, expiry_of(t, 1));
    assert_true(next->ev.t > 18 * S && next->ev.t <= 26 * S);
    assert_true(next->ev.controller_elected.broker == 2 || next->ev.controller_elected.broker == 3);
    ks_assert_i64_eq(next->ev.controller_elected.controller_epoch, 2);
    ks_assert_i64_eq(ks_query_controller(t->sim), next->ev.controller_elected.broker);
}

/* Only the controller's own session owns /controller: another broker's
 * expiry is a broker change (processBrokerChange), not a new election. */
static void other_brokers_expiry_keeps_the_controller(void **state)
{
    (void)state;
    g_autoptr(KsSimTest) t = ks_sim_test_new("cluster nodes=3\n"
                                             "topic t partitions=1 replication-factor=3 "
                                             "replica-placement-start=0\n"
                                             "at 5s crash broker 2\n"
                                             "run until 30s\n");
    ks_sim_test_run(t);
    assert_non_null(ks_sim_test_find(t, 0, "\"type\":\"session_expired\",\"broker\":2"));
    ks_assert_i64_eq(ks_sim_test_count(t, 0, 30 * S, "\"type\":\"controller_elected\""), 1);
    ks_assert_i64_eq(ks_query_controller(t->sim), 1);
    ks_assert_i64_eq(ks_query_controller_epoch(t->sim), 1);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(requested_timeout_is_clamped_to_2_and_20_ticks),
        cmocka_unit_test(idle_client_pings_every_third_of_the_timeout_less_a_second),
        cmocka_unit_test(expiry_is_rounded_up_to_the_next_tick),
        cmocka_unit_test(crashed_broker_node_stays_until_session_timeout),
        cmocka_unit_test(short_timeout_is_raised_to_two_ticks),
        cmocka_unit_test(crash_detection_is_a_range_drawn_from_the_seed),
        cmocka_unit_test(clean_shutdown_removes_node_at_once),
        cmocka_unit_test(restart_before_expiry_fails_with_node_exists),
        cmocka_unit_test(controller_moves_when_its_session_expires),
        cmocka_unit_test(other_brokers_expiry_keeps_the_controller),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
