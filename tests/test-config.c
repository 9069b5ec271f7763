/* SPDX-License-Identifier: MIT */
/*
 * test-config.c - the table of Kafka configs.
 *
 * The table is data that several people edit (each module flips its own
 * `supported` flags), so most of these tests check the table against
 * itself: every key has its row, names are unique, defaults lie within the
 * bounds, enum defaults are among the choices, and every default, written
 * the way ks_config_format_value() writes it, parses back to itself.
 */
#include "ks-test.h"

#include <string.h>

#include "kafkasim/config.h"
#include "kafkasim/scenario.h"

static bool is_duration(KsConfigType t)
{
    return t == KS_CONFIG_MS || t == KS_CONFIG_SECONDS || t == KS_CONFIG_MINUTES;
}

static void test_config_table_has_a_row_per_key(void **state)
{
    for (int k = 0; k < KS_CFG_COUNT; k++) {
        const KsConfigInfo *info = ks_config_info((KsConfigKey)k);
        assert_non_null(info);
        ks_assert_i64_eq(info->key, k);
        assert_non_null(info->name);
        assert_non_null(info->doc);
        assert_true(info->doc[0] != '\0');
        /* Kafka's names: lowercase words joined by '.'. Only a few client
         * configs have no dot at all (acks, retries). */
        for (const char *c = info->name; *c; c++)
            if (!g_ascii_islower(*c) && !g_ascii_isdigit(*c) && *c != '.')
                fail_msg("config name '%s' has the character '%c'", info->name, *c);
        if (!strchr(info->name, '.') && strcmp(info->name, "acks") != 0 &&
            strcmp(info->name, "retries") != 0)
            fail_msg("config name '%s' has no '.'; Kafka's names do", info->name);
        for (int j = 0; j < k; j++)
            if (strcmp(ks_config_info((KsConfigKey)j)->name, info->name) == 0)
                fail_msg("config name '%s' is in the table twice", info->name);
        unsigned all = KS_SCOPE_BROKER | KS_SCOPE_TOPIC | KS_SCOPE_PRODUCER | KS_SCOPE_CONSUMER;
        assert_true(info->scopes != 0);
        assert_true((info->scopes & ~all) == 0);
    }
}

static void test_config_defaults_within_bounds(void **state)
{
    for (int k = 0; k < KS_CFG_COUNT; k++) {
        const KsConfigInfo *info = ks_config_info((KsConfigKey)k);
        switch (info->type) {
        case KS_CONFIG_ENUM: {
            assert_non_null(info->choices);
            bool found = false;
            int n = 0;
            for (const KsConfigChoice *c = info->choices; c->name; c++, n++) {
                found |= c->value == info->def;
                for (const KsConfigChoice *d = info->choices; d < c; d++)
                    if (strcmp(c->name, d->name) == 0)
                        fail_msg("%s lists the choice '%s' twice", info->name, c->name);
            }
            assert_true(n > 0);
            if (!found)
                fail_msg("%s: default %" PRId64 " is not among its choices", info->name, info->def);
            break;
        }
        case KS_CONFIG_STRING:
            assert_null(info->choices);
            assert_non_null(info->example);
            break;
        case KS_CONFIG_ENUM_LIST:
            /* Every item of the default is a choice. */
            assert_non_null(info->choices);
            assert_true(ks_config_list_at(info->def, 0) >= 0);
            for (int i = 0; ks_config_list_at(info->def, i) >= 0; i++) {
                const KsConfigChoice *c = info->choices;
                while (c->name && c->value != ks_config_list_at(info->def, i))
                    c++;
                assert_non_null(c->name);
            }
            break;
        case KS_CONFIG_BOOL:
            assert_null(info->choices);
            ks_assert_i64_eq(info->min, 0);
            ks_assert_i64_eq(info->max, 1);
            assert_true(info->def == 0 || info->def == 1);
            break;
        case KS_CONFIG_INT:
        case KS_CONFIG_BYTES:
        case KS_CONFIG_MS:
        case KS_CONFIG_SECONDS:
        case KS_CONFIG_MINUTES:
            assert_null(info->choices);
            if (info->min > info->max || info->def < info->min || info->def > info->max)
                fail_msg("%s: default %" PRId64 " is outside [%" PRId64 ", %" PRId64 "]",
                         info->name, info->def, info->min, info->max);
            break;
        }
        /* A duration's name says its plain unit, as in Kafka. */
        if (info->type == KS_CONFIG_MS)
            assert_true(g_str_has_suffix(info->name, ".ms"));
        if (info->type == KS_CONFIG_SECONDS)
            assert_true(g_str_has_suffix(info->name, ".seconds"));
        if (info->type == KS_CONFIG_MINUTES)
            assert_true(g_str_has_suffix(info->name, ".minutes"));
        if (g_str_has_suffix(info->name, ".ms"))
            assert_true(is_duration(info->type));
    }
}

static void test_config_kafka_defaults(void **state)
{
    /* A few of Kafka's own defaults, in KsTime for durations. */
    ks_assert_i64_eq(ks_config_info(KS_CFG_ACKS)->def, -1); /* all, since Kafka 3.0 */
    ks_assert_i64_eq(ks_config_info(KS_CFG_MIN_INSYNC_REPLICAS)->def, 1);
    ks_assert_i64_eq(ks_config_info(KS_CFG_REPLICA_LAG_TIME_MAX_MS)->def, 30 * KS_TIME_S);
    ks_assert_i64_eq(ks_config_info(KS_CFG_SESSION_TIMEOUT_MS)->def, 45 * KS_TIME_S);
    ks_assert_i64_eq(ks_config_info(KS_CFG_HEARTBEAT_INTERVAL_MS)->def, 3 * KS_TIME_S);
    ks_assert_i64_eq(ks_config_info(KS_CFG_BATCH_SIZE)->def, 16384);
    ks_assert_i64_eq(ks_config_info(KS_CFG_NUM_PARTITIONS)->def, 1);
    ks_assert_i64_eq(ks_config_info(KS_CFG_DEFAULT_REPLICATION_FACTOR)->def, 1);
    ks_assert_i64_eq(ks_config_info(KS_CFG_ENABLE_IDEMPOTENCE)->def, 1);
}

static void test_config_find_and_suggest(void **state)
{
    const KsConfigInfo *info = ks_config_find("min.insync.replicas");
    assert_non_null(info);
    ks_assert_i64_eq(info->key, KS_CFG_MIN_INSYNC_REPLICAS);
    ks_assert_i64_eq(ks_config_find("acks")->key, KS_CFG_ACKS);
    assert_null(ks_config_find("min.insync.replica"));
    assert_null(ks_config_find("ACKS"));
    assert_null(ks_config_find(""));
    for (int k = 0; k < KS_CFG_COUNT; k++) {
        const KsConfigInfo *row = ks_config_info((KsConfigKey)k);
        assert_ptr_equal(ks_config_find(row->name), row);
        /* A name suggests itself. */
        ks_assert_str_eq(ks_config_suggest(row->name), row->name);
    }
    ks_assert_str_eq(ks_config_suggest("min.insync.replica"), "min.insync.replicas");
    ks_assert_str_eq(ks_config_suggest("ackz"), "acks");
    ks_assert_str_eq(ks_config_suggest("session.timeout"), "session.timeout.ms");
    assert_null(ks_config_suggest("totally.unrelated.thing"));
    assert_null(ks_config_suggest(""));
    assert_null(ks_config_suggest("x"));
}

static void test_config_set_and_resolve_chain(void **state)
{
    g_autoptr(KsConfigSet) entity = ks_config_set_new();
    g_autoptr(KsConfigSet) defaults = ks_config_set_new();
    KsConfigKey k = KS_CFG_MIN_INSYNC_REPLICAS;
    assert_false(ks_config_set_has(entity, k));
    assert_false(ks_config_set_has(NULL, k));
    /* Kafka's default, then the cluster-wide default, then the entity's own. */
    ks_assert_i64_eq(ks_config_resolve(k, entity, defaults), 1);
    ks_assert_i64_eq(ks_config_resolve(k, NULL, NULL), 1);
    ks_config_set_put(defaults, k, 2);
    ks_assert_i64_eq(ks_config_resolve(k, entity, defaults), 2);
    ks_assert_i64_eq(ks_config_resolve(k, NULL, defaults), 2);
    ks_config_set_put(entity, k, 3);
    ks_assert_i64_eq(ks_config_resolve(k, entity, defaults), 3);
    ks_assert_i64_eq(ks_config_resolve(k, entity, NULL), 3);
    /* Setting one key leaves the others alone, including the last number one. */
    KsConfigKey last = (KsConfigKey)(KS_CFG_COUNT - 1);
    while (ks_config_info(last)->type == KS_CONFIG_STRING)
        last--;
    assert_false(ks_config_set_has(entity, last));
    ks_config_set_put(entity, last, 0);
    assert_true(ks_config_set_has(entity, last));
    assert_false(ks_config_set_has(entity, KS_CFG_ACKS));
    /* 0 is a value like any other. */
    ks_config_set_put(entity, KS_CFG_ACKS, 0);
    ks_assert_i64_eq(ks_config_resolve(KS_CFG_ACKS, entity, NULL), 0);
    ks_config_set_free(NULL);
}

static void test_config_format_value(void **state)
{
    static const struct {
        KsConfigKey key;
        int64_t value;
        const char *text;
    } cases[] = {
        {KS_CFG_ACKS, -1, "all"},
        {KS_CFG_ACKS, 0, "0"},
        {KS_CFG_ACKS, 1, "1"},
        {KS_CFG_LINGER_MS, 5 * KS_TIME_MS, "5"},
        {KS_CFG_LINGER_MS, 1500, "1500us"},
        {KS_CFG_LINGER_MS, 0, "0"},
        {KS_CFG_REPLICA_LAG_TIME_MAX_MS, 30 * KS_TIME_S, "30000"},
        {KS_CFG_RETENTION_MS, -KS_TIME_MS, "-1"},
        {KS_CFG_LEADER_IMBALANCE_CHECK_INTERVAL_SECONDS, 300 * KS_TIME_S, "300"},
        {KS_CFG_LEADER_IMBALANCE_CHECK_INTERVAL_SECONDS, 1500 * KS_TIME_MS, "1500000us"},
        {KS_CFG_UNCLEAN_LEADER_ELECTION_ENABLE, 1, "true"},
        {KS_CFG_UNCLEAN_LEADER_ELECTION_ENABLE, 0, "false"},
        {KS_CFG_AUTO_OFFSET_RESET, 1, "earliest"},
        {KS_CFG_PARTITION_ASSIGNMENT_STRATEGY, 3 + 1, "cooperative-sticky"},
        {KS_CFG_PARTITION_ASSIGNMENT_STRATEGY, (0 + 1) | (3 + 1) << 3, "range,cooperative-sticky"},
        {KS_CFG_BATCH_SIZE, 16384, "16384"},
        {KS_CFG_MIN_INSYNC_REPLICAS, 2, "2"},
    };
    for (size_t i = 0; i < G_N_ELEMENTS(cases); i++) {
        g_autofree char *s = ks_config_format_value(cases[i].key, cases[i].value);
        ks_assert_str_eq(s, cases[i].text);
    }
}

/* Every default, bound and a value in between, formatted, parses back to
 * itself through a scenario's `set` line: the table and the parser agree. */
static void test_config_format_parse_round_trip(void **state)
{
    for (int k = 0; k < KS_CFG_COUNT; k++) {
        const KsConfigInfo *info = ks_config_info((KsConfigKey)k);
        if (info->type == KS_CONFIG_STRING)
            continue; /* test_config_string_round_trip */
        int64_t values[4] = {info->def, info->min, info->max,
                             info->min + (info->max - info->min) / 3};
        int n = 4;
        if (info->type == KS_CONFIG_ENUM) {
            n = 0;
            for (const KsConfigChoice *c = info->choices; c->name && n < 4; c++)
                values[n++] = c->value;
        }
        /* KafkaConfig.validateValues ties the follower's wait to the lag
         * time and to replica.socket.timeout.ms (30 s by default): the
         * partner is set out of the way, and a wait above 30 s must be
         * refused. */
        const char *partner = info->key == KS_CFG_REPLICA_LAG_TIME_MAX_MS ||
                                      info->key == KS_CFG_REPLICA_SOCKET_TIMEOUT_MS
                                  ? "set replica.fetch.wait.max.ms=0\n"
                              : info->key == KS_CFG_REPLICA_FETCH_WAIT_MAX_MS
                                  ? "set replica.lag.time.max.ms=8760h\n"
                                  : "";
        for (int i = 0; i < n; i++) {
            g_autofree char *v = ks_config_format_value(info->key, values[i]);
            g_autofree char *text =
                g_strdup_printf("cluster nodes=1\n%sset %s=%s\n", partner, info->name, v);
            g_autoptr(GError) error = NULL;
            g_autoptr(KsPlan) plan = ks_scenario_parse_full(
                "t.ks", text, strlen(text), KS_SCENARIO_PARSE_ALLOW_UNSUPPORTED, &error);
            if (info->key == KS_CFG_REPLICA_FETCH_WAIT_MAX_MS && values[i] > 30 * KS_TIME_S) {
                assert_null(plan);
                assert_non_null(strstr(error->message, "replica.socket.timeout.ms should always"));
                continue;
            }
            if (!plan)
                fail_msg("set %s=%s: %s", info->name, v, error->message);
            ks_assert_i64_eq(ks_config_resolve(info->key, NULL, plan->defaults), values[i]);
        }
    }
}

/* One set holds every config of the table at once, numbers and strings,
 * each with its own value: no fixed capacity, no key shadows another, and a
 * value put again replaces the old one. */
static void test_config_set_holds_every_key(void **state)
{
    g_autoptr(KsConfigSet) set = ks_config_set_new();
    assert_true(ks_config_set_is_empty(set));
    assert_true(ks_config_set_is_empty(NULL));
    for (int round = 0; round < 2; round++) {
        for (int k = KS_CFG_COUNT - 1; k >= 0; k--) {
            g_autofree char *text = g_strdup_printf("v%d-%d", k, round);
            if (ks_config_info((KsConfigKey)k)->type == KS_CONFIG_STRING)
                ks_config_set_put_string(set, (KsConfigKey)k, text);
            else
                ks_config_set_put(set, (KsConfigKey)k, 1000 * round + k);
        }
        assert_false(ks_config_set_is_empty(set));
        for (int k = 0; k < KS_CFG_COUNT; k++) {
            assert_true(ks_config_set_has(set, (KsConfigKey)k));
            g_autofree char *text = g_strdup_printf("v%d-%d", k, round);
            if (ks_config_info((KsConfigKey)k)->type == KS_CONFIG_STRING) {
                ks_assert_str_eq(ks_config_set_get_string(set, (KsConfigKey)k), text);
                ks_assert_str_eq(ks_config_resolve_string((KsConfigKey)k, NULL, set), text);
            } else {
                ks_assert_i64_eq(ks_config_set_get(set, (KsConfigKey)k), 1000 * round + k);
            }
        }
    }
    /* A copy takes each key's value, whatever its type. */
    g_autoptr(KsConfigSet) copy = ks_config_set_new();
    for (int k = 0; k < KS_CFG_COUNT; k++)
        ks_config_set_put_from(copy, set, (KsConfigKey)k);
    for (int k = 0; k < KS_CFG_COUNT; k++) {
        g_autofree char *a = ks_config_set_format(set, (KsConfigKey)k);
        g_autofree char *b = ks_config_set_format(copy, (KsConfigKey)k);
        ks_assert_str_eq(a, b);
    }
    /* Nothing is copied from a set without the key. */
    g_autoptr(KsConfigSet) empty = ks_config_set_new();
    g_autoptr(KsConfigSet) other = ks_config_set_new();
    ks_config_set_put_from(other, empty, KS_CFG_CLIENT_RACK);
    ks_config_set_put_from(other, NULL, KS_CFG_ACKS);
    assert_true(ks_config_set_is_empty(other));
    assert_null(ks_config_set_format(other, KS_CFG_ACKS));
}

/* A string config keeps its text through a scenario, is written back the
 * way the parser reads it, and parses back to the same text. */
static void test_config_string_round_trip(void **state)
{
    assert_null(ks_config_resolve_string(KS_CFG_GROUP_INSTANCE_ID, NULL, NULL));
    ks_assert_str_eq(ks_config_resolve_string(KS_CFG_CLIENT_RACK, NULL, NULL), "");
    static const struct {
        KsConfigKey key;
        const char *written, *text, *formatted;
    } cases[] = {
        {KS_CFG_GROUP_INSTANCE_ID, "consumer-1", "consumer-1", "consumer-1"},
        {KS_CFG_GROUP_INSTANCE_ID, "2024", "2024", "2024"},
        {KS_CFG_CLIENT_RACK, "\"eu west 1a\"", "eu west 1a", "\"eu west 1a\""},
        {KS_CFG_CLIENT_RACK, "\"say \\\"hi\\\"\\n\"", "say \"hi\"\n", "\"say \\\"hi\\\"\\n\""},
        {KS_CFG_CLIENT_RACK, "\"\"", "", "\"\""},
    };
    for (size_t i = 0; i < G_N_ELEMENTS(cases); i++) {
        const char *name = ks_config_info(cases[i].key)->name;
        const char *written = cases[i].written;
        for (int pass = 0; pass < 2; pass++) {
            g_autofree char *text = g_strdup_printf("cluster nodes=1\nset %s=%s\n", name, written);
            g_autoptr(GError) error = NULL;
            g_autoptr(KsPlan) plan = ks_scenario_parse_full(
                "t.ks", text, strlen(text), KS_SCENARIO_PARSE_ALLOW_UNSUPPORTED, &error);
            if (!plan)
                fail_msg("set %s=%s: %s", name, written, error->message);
            ks_assert_str_eq(ks_config_resolve_string(cases[i].key, NULL, plan->defaults),
                             cases[i].text);
            g_autofree char *f = ks_config_set_format(plan->defaults, cases[i].key);
            ks_assert_str_eq(f, cases[i].formatted);
            written = cases[i].formatted; /* the second pass parses what was written */
            if (pass == 1)
                break;
        }
    }
}

/* Configs of one producer, written as `set` would write them: "acks=1". */
static KsConfigSet *configs_of(const char *const *pairs)
{
    KsConfigSet *set = ks_config_set_new();
    for (; pairs && *pairs; pairs += 2) {
        const KsConfigInfo *info = ks_config_find(pairs[0]);
        if (!info)
            fail_msg("unknown config %s", pairs[0]);
        int64_t v;
        if (info->type == KS_CONFIG_ENUM) {
            const KsConfigChoice *c = info->choices;
            while (c->name && strcmp(c->name, pairs[1]) != 0)
                c++;
            assert_non_null(c->name);
            v = c->value;
        } else if (info->type == KS_CONFIG_BOOL) {
            v = strcmp(pairs[1], "true") == 0;
        } else if (info->type == KS_CONFIG_MS && g_ascii_isdigit(pairs[1][strlen(pairs[1]) - 1])) {
            v = g_ascii_strtoll(pairs[1], NULL, 10) * KS_TIME_MS; /* plain milliseconds */
        } else if (info->type == KS_CONFIG_MS) {
            g_autoptr(GError) error = NULL;
            if (!ks_scenario_parse_duration(pairs[1], &v, &error))
                fail_msg("%s=%s: %s", pairs[0], pairs[1], error->message);
        } else {
            v = g_ascii_strtoll(pairs[1], NULL, 10);
        }
        ks_config_set_put(set, info->key, v);
    }
    return set;
}

/* Kafka 3.2+'s producer: idempotence off when not asked for and acks,
 * retries or in-flight requests conflict; refused when asked for. The
 * delivery timeout raised to linger.ms + request.timeout.ms (capped at
 * Integer.MAX_VALUE ms) when not given; refused when given. */
static void test_config_producer_effective(void **state)
{
#define NONE_   KS_PRODUCER_REFUSAL_NONE
#define KS_S(n) ((n)*KS_TIME_S)
    static const struct {
        const char *own[8], *defaults[8];
        KsProducerRefusal refusal;
        bool idempotent;
        KsTime delivery;
    } cases[] = {
        /* Kafka's defaults: idempotent, 120 s. */
        {{NULL}, {NULL}, NONE_, true, KS_S(120)},
        /* Not asked for: turned off, whichever set holds the conflict. */
        {{"acks", "1"}, {NULL}, NONE_, false, KS_S(120)},
        {{NULL}, {"acks", "0"}, NONE_, false, KS_S(120)},
        {{"retries", "0"}, {NULL}, NONE_, false, KS_S(120)},
        {{"max.in.flight.requests.per.connection", "6"}, {NULL}, NONE_, false, KS_S(120)},
        {{"max.in.flight.requests.per.connection", "5"}, {NULL}, NONE_, true, KS_S(120)},
        /* Off when asked off, whatever else. */
        {{"enable.idempotence", "false", "acks", "1"}, {NULL}, NONE_, false, KS_S(120)},
        /* Asked for, in either set: refused, in Kafka's order. */
        {{"enable.idempotence", "true", "acks", "1"},
         {NULL},
         KS_PRODUCER_REFUSAL_ACKS,
         true,
         KS_S(120)},
        {{"acks", "0"}, {"enable.idempotence", "true"}, KS_PRODUCER_REFUSAL_ACKS, true, KS_S(120)},
        {{NULL},
         {"enable.idempotence", "true", "max.in.flight.requests.per.connection", "9"},
         KS_PRODUCER_REFUSAL_IN_FLIGHT,
         true,
         KS_S(120)},
        {{"acks", "1", "max.in.flight.requests.per.connection", "9", "retries", "0"},
         {"enable.idempotence", "true"},
         KS_PRODUCER_REFUSAL_RETRIES,
         true,
         KS_S(120)},
        {{"acks", "1", "max.in.flight.requests.per.connection", "9"},
         {"enable.idempotence", "true"},
         KS_PRODUCER_REFUSAL_ACKS,
         true,
         KS_S(120)},
        /* The entity's own acks=all settles the defaults' conflict. */
        {{"acks", "all"}, {"enable.idempotence", "true", "acks", "1"}, NONE_, true, KS_S(120)},
        /* Delivery timeout: raised when not given, kept when enough. */
        {{"linger.ms", "100s"}, {NULL}, NONE_, true, KS_S(130)},
        {{NULL}, {"request.timeout.ms", "200s"}, NONE_, true, KS_S(200)},
        {{"linger.ms", "5"}, {NULL}, NONE_, true, KS_S(120)},
        {{"delivery.timeout.ms", "31s", "linger.ms", "1s"}, {NULL}, NONE_, true, KS_S(31)},
        {{"delivery.timeout.ms", "30s"}, {NULL}, NONE_, true, KS_S(30)}, /* equal is enough */
        /* ...refused when given below the sum, from either set. */
        {{"delivery.timeout.ms", "10s", "linger.ms", "21s"},
         {NULL},
         KS_PRODUCER_REFUSAL_DELIVERY_TIMEOUT,
         true,
         KS_S(10)},
        {{"request.timeout.ms", "20s", "linger.ms", "1ms"},
         {"delivery.timeout.ms", "20s"},
         KS_PRODUCER_REFUSAL_DELIVERY_TIMEOUT,
         true,
         KS_S(20)},
        /* Idempotence is checked first (ProducerConfig, before
         * KafkaProducer's own check). */
        {{"enable.idempotence", "true", "acks", "1", "delivery.timeout.ms", "1s"},
         {NULL},
         KS_PRODUCER_REFUSAL_ACKS,
         true,
         KS_S(1)},
        /* (int) Math.min((long) linger + request, Integer.MAX_VALUE): 30 days
         * of linger raise the timeout to 2147483647 ms, which is enough when
         * given. */
        {{"linger.ms", "720h"}, {NULL}, NONE_, true, (KsTime)INT32_MAX * KS_TIME_MS},
        {{"linger.ms", "720h", "delivery.timeout.ms", "2147483647"},
         {NULL},
         NONE_,
         true,
         (KsTime)INT32_MAX * KS_TIME_MS},
        {{"linger.ms", "720h", "delivery.timeout.ms", "2147483646"},
         {NULL},
         KS_PRODUCER_REFUSAL_DELIVERY_TIMEOUT,
         true,
         (KsTime)(INT32_MAX - 1) * KS_TIME_MS},
    };
#undef NONE_
#undef KS_S
    for (size_t i = 0; i < G_N_ELEMENTS(cases); i++) {
        g_autoptr(KsConfigSet) own = configs_of(cases[i].own);
        g_autoptr(KsConfigSet) def = configs_of(cases[i].defaults);
        bool idempotent = !cases[i].idempotent;
        KsTime delivery = -1;
        KsProducerRefusal r = ks_config_producer_effective(own, def, &idempotent, &delivery);
        if (r != cases[i].refusal || idempotent != cases[i].idempotent ||
            delivery != cases[i].delivery)
            fail_msg("case %zu: refusal %d idempotent %d delivery %" PRId64
                     "; expected %d, %d, %" PRId64,
                     i, r, idempotent, delivery, cases[i].refusal, cases[i].idempotent,
                     cases[i].delivery);
        /* The outputs are optional. */
        ks_assert_i64_eq(ks_config_producer_effective(own, def, NULL, NULL), r);
        if (r != KS_PRODUCER_REFUSAL_NONE)
            continue;
        /* Storing the effective values, as the parser does, changes nothing
         * when the model asks again. */
        ks_config_set_put(own, KS_CFG_ENABLE_IDEMPOTENCE, idempotent);
        ks_config_set_put(own, KS_CFG_DELIVERY_TIMEOUT_MS, delivery);
        bool again_idempotent;
        KsTime again_delivery;
        ks_assert_i64_eq(ks_config_producer_effective(own, def, &again_idempotent, &again_delivery),
                         KS_PRODUCER_REFUSAL_NONE);
        ks_assert_i64_eq(again_idempotent, idempotent);
        ks_assert_i64_eq(again_delivery, delivery);
    }

    /* The console producer of `produce` has no configs of its own. */
    g_autoptr(KsConfigSet) def = configs_of((const char *const[]){"acks", "1", NULL});
    bool idempotent = true;
    KsTime delivery = 0;
    ks_assert_i64_eq(ks_config_producer_effective(NULL, def, &idempotent, &delivery),
                     KS_PRODUCER_REFUSAL_NONE);
    assert_false(idempotent);
    ks_assert_i64_eq(delivery, 120 * KS_TIME_S);
    ks_assert_i64_eq(ks_config_producer_effective(NULL, NULL, &idempotent, &delivery),
                     KS_PRODUCER_REFUSAL_NONE);
    assert_true(idempotent);
}

/* Kafka's ConfigException messages, word for word. */
static void test_config_producer_refusal_messages(void **state)
{
    assert_null(ks_config_producer_refusal_message(KS_PRODUCER_REFUSAL_NONE));
    ks_assert_str_eq(ks_config_producer_refusal_message(KS_PRODUCER_REFUSAL_RETRIES),
                     "Must set retries to non-zero when using the idempotent producer.");
    ks_assert_str_eq(ks_config_producer_refusal_message(KS_PRODUCER_REFUSAL_ACKS),
                     "Must set acks to all in order to use the idempotent producer. Otherwise we "
                     "cannot guarantee idempotence.");
    ks_assert_str_eq(ks_config_producer_refusal_message(KS_PRODUCER_REFUSAL_IN_FLIGHT),
                     "Must set max.in.flight.requests.per.connection to at most 5 to use the "
                     "idempotent producer.");
    ks_assert_str_eq(ks_config_producer_refusal_message(KS_PRODUCER_REFUSAL_DELIVERY_TIMEOUT),
                     "delivery.timeout.ms should be equal to or larger than linger.ms + "
                     "request.timeout.ms");
}

/* KafkaConfig.validateValues (Kafka 3.9 KafkaConfig.scala:888-891): the
 * follower's wait must not pass replica.socket.timeout.ms (30 s, checked
 * first) nor replica.lag.time.max.ms; the broker's own line wins over
 * `set`, and equal values are allowed. */
static void test_config_broker_refusals(void **state)
{
    g_autoptr(KsConfigSet) def = ks_config_set_new();
    g_autoptr(KsConfigSet) own = ks_config_set_new();
    ks_assert_i64_eq(ks_config_broker_refusal(NULL, NULL), KS_BROKER_REFUSAL_NONE);
    ks_config_set_put(def, KS_CFG_REPLICA_LAG_TIME_MAX_MS, 400 * KS_TIME_MS);
    ks_assert_i64_eq(ks_config_broker_refusal(NULL, def), KS_BROKER_REFUSAL_LAG_TIME);
    ks_config_set_put(own, KS_CFG_REPLICA_FETCH_WAIT_MAX_MS, 400 * KS_TIME_MS);
    ks_assert_i64_eq(ks_config_broker_refusal(own, def), KS_BROKER_REFUSAL_NONE);
    ks_config_set_put(own, KS_CFG_REPLICA_FETCH_WAIT_MAX_MS, 31 * KS_TIME_S);
    ks_assert_i64_eq(ks_config_broker_refusal(own, def), KS_BROKER_REFUSAL_SOCKET_TIMEOUT);
    ks_assert_str_eq(ks_config_broker_refusal_message(KS_BROKER_REFUSAL_LAG_TIME),
                     "requirement failed: replica.fetch.wait.max.ms should always be less than "
                     "or equal to replica.lag.time.max.ms to prevent frequent changes in ISR");
    ks_assert_str_eq(ks_config_broker_refusal_message(KS_BROKER_REFUSAL_SOCKET_TIMEOUT),
                     "requirement failed: replica.socket.timeout.ms should always be at least "
                     "replica.fetch.wait.max.ms to prevent unnecessary socket timeouts");
    assert_null(ks_config_broker_refusal_message(KS_BROKER_REFUSAL_NONE));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_config_table_has_a_row_per_key),
        cmocka_unit_test(test_config_defaults_within_bounds),
        cmocka_unit_test(test_config_kafka_defaults),
        cmocka_unit_test(test_config_find_and_suggest),
        cmocka_unit_test(test_config_set_and_resolve_chain),
        cmocka_unit_test(test_config_format_value),
        cmocka_unit_test(test_config_format_parse_round_trip),
        cmocka_unit_test(test_config_set_holds_every_key),
        cmocka_unit_test(test_config_string_round_trip),
        cmocka_unit_test(test_config_producer_effective),
        cmocka_unit_test(test_config_producer_refusal_messages),
        cmocka_unit_test(test_config_broker_refusals),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
