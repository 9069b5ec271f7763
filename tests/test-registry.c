/* SPDX-License-Identifier: MIT */
/*
 * test-registry.c - ZooKeeper as the controller sees it (sim/registry.c):
 * broker sessions, the ephemeral /brokers/ids/<id> nodes and /controller.
 *
 * Each test runs a small inline scenario and checks when a node goes away,
 * which is what decides how long a crashed broker's partitions stay
 * unavailable:
 *  - a crashed broker keeps its node until its session times out
 *    (zookeeper.session.timeout.ms after the crash), not a moment earlier;
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

#include <string.h>

#define S KS_TIME_S

/* A ZooKeeper session ends zookeeper.session.timeout.ms after its client
 * stopped heartbeating (ZooKeeper's SessionTrackerImpl; KafkaConfig
 * zookeeper.session.timeout.ms, 18 s by default): until then the
 * ephemeral /brokers/ids/<id> of a crashed broker stays and the controller
 * sees the broker as live (KafkaController.processBrokerChange only runs on
 * the node's deletion). */
static void crashed_broker_node_stays_until_session_timeout(void **state)
{
    (void)state;
    g_autoptr(KsSimTest) t = ks_sim_test_new("cluster nodes=3\n"
                                             "set zookeeper.session.timeout.ms=6s\n"
                                             "topic t partitions=1 replication-factor=3 "
                                             "replica-placement-start=0\n"
                                             "at 2s crash broker 3\n"
                                             "run until 12s\n");
    ks_sim_test_run_until(t, 8 * S - 1);
    assert_false(ks_sim_test_broker(t, 3).alive);
    assert_true(ks_sim_test_broker(t, 3).registered);
    assert_null(ks_sim_test_find(t, 0, "\"type\":\"session_expired\""));
    g_autofree char *isr_before = ks_sim_test_isr(t, "t", 0);
    ks_assert_str_eq(isr_before, "1,2,3");

    ks_sim_test_run(t);
    const KsSimTestEvent *e = ks_sim_test_find(t, 0, "\"type\":\"session_expired\"");
    assert_non_null(e);
    ks_assert_i64_eq(e->ev.broker_event.broker, 3);
    ks_assert_i64_eq(e->ev.t, 8 * S);
    assert_false(ks_sim_test_broker(t, 3).registered);
    /* The controller learns of it then, and only then. */
    const KsSimTestEvent *shrunk = ks_sim_test_find(t, 0, "\"type\":\"isr_shrunk\"");
    assert_non_null(shrunk);
    ks_assert_i64_eq(shrunk->ev.t, 8 * S);
    ks_assert_i64_eq(shrunk->ev.isr_shrunk.reason, KS_REASON_BROKER_FAILED);
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
                                             "at 21s restart broker 3\n"
                                             "run until 25s\n");
    ks_sim_test_run_until(t, 6 * S);
    const KsSimTestEvent *failed = ks_sim_test_find(t, 0, "\"type\":\"broker_start_failed\"");
    assert_non_null(failed);
    ks_assert_i64_eq(failed->ev.t, 5 * S);
    ks_assert_i64_eq(failed->ev.broker_start_failed.broker, 3);
    /* 18 s, the default, after the crash. */
    ks_assert_i64_eq(failed->ev.broker_start_failed.old_session_expires_us, 20 * S);
    assert_non_null(strstr(failed->json, "\"error\":\"NodeExists\""));
    assert_false(ks_sim_test_broker(t, 3).alive);

    ks_sim_test_run(t);
    const KsSimTestEvent *reg =
        ks_sim_test_find(t, 6 * S, "\"type\":\"broker_registered\",\"broker\":3");
    assert_non_null(reg);
    ks_assert_i64_eq(reg->ev.t, 21 * S);
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
    ks_sim_test_run_until(t, 23 * S - 1);
    ks_assert_i64_eq(ks_query_controller(t->sim), 1);
    ks_assert_i64_eq(ks_sim_test_count(t, 0, 23 * S, "\"type\":\"controller_elected\""), 1);
    const KsSimTestEvent *first = ks_sim_test_find(t, 0, "\"type\":\"controller_elected\"");
    ks_assert_i64_eq(first->ev.controller_elected.broker, 1);
    ks_assert_i64_eq(first->ev.controller_elected.controller_epoch, 1);

    ks_sim_test_run(t);
    const KsSimTestEvent *next = ks_sim_test_find(t, 1, "\"type\":\"controller_elected\"");
    assert_non_null(next);
    ks_assert_i64_eq(next->ev.t, 23 * S);
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
        cmocka_unit_test(crashed_broker_node_stays_until_session_timeout),
        cmocka_unit_test(clean_shutdown_removes_node_at_once),
        cmocka_unit_test(restart_before_expiry_fails_with_node_exists),
        cmocka_unit_test(controller_moves_when_its_session_expires),
        cmocka_unit_test(other_brokers_expiry_keeps_the_controller),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
