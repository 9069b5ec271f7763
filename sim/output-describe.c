/* SPDX-License-Identifier: MIT */
/*
 * output-describe.c - kafka-topics.sh --describe, byte for byte.
 *
 * The layout of TopicCommand in Kafka 2.4 to 2.7: a topic line, then one
 * line per partition starting with a tab, fields separated by tabs.
 * "Leader: none" when there is no leader. Configs lists the topic's own
 * overrides, not broker defaults. Kafka 2.8 added a TopicId column (KIP-516)
 * and 3.8 the ELR columns; the simulator keeps the earlier layout, which
 * tests compare byte for byte with the reference outputs in tests/refs.
 *
 * Once every broker is gone the table is not what any tool could print:
 * kafka-topics.sh needs --bootstrap-server since Kafka 3.0 (TopicCommand),
 * and no broker answers. What it shows then is ZooKeeper's last record:
 * each partition's state znode keeps what the last controller wrote
 * (KafkaZkClient.updateLeaderAndIsr), and no broker is left to become
 * controller (KafkaController.elect runs in a live broker). A line after
 * the table says so; while any broker runs, the table is exactly Kafka's.
 */
#include "kafkasim/output.h"

#include <inttypes.h>
#include <string.h>

#include "kafkasim/config.h"
#include "kafkasim/query.h"

static void append_ids(GString *out, const KsBrokerId *ids, size_t n)
{
    for (size_t i = 0; i < n; i++)
        g_string_append_printf(out, "%s%" PRId32, i ? "," : "", ids[i]);
}

void ks_describe_topics(const KsSim *sim, GString *out)
{
    g_autoptr(GArray) order = ks_query_topics_by_name(sim);
    for (guint i = 0; i < order->len; i++) {
        KsTopicInfo t;
        ks_query_topic(sim, g_array_index(order, size_t, i), &t);
        g_string_append_printf(out,
                               "Topic: %s\tPartitionCount: %" PRId32 "\tReplicationFactor: %" PRId32
                               "\tConfigs: ",
                               t.name, t.n_partitions, t.replication_factor);
        bool first = true;
        for (int k = 0; k < KS_CFG_COUNT; k++) {
            if (!ks_config_set_has(t.overrides, k))
                continue;
            g_autofree char *v = ks_config_set_format(t.overrides, k);
            g_string_append_printf(out, "%s%s=%s", first ? "" : ",", ks_config_info(k)->name, v);
            first = false;
        }
        g_string_append_c(out, '\n');
        for (int32_t p = 0; p < t.n_partitions; p++) {
            KsPartitionInfo part;
            ks_query_partition(sim, t.index, p, &part);
            g_string_append_printf(out, "\tTopic: %s\tPartition: %" PRId32 "\tLeader: ", t.name, p);
            if (part.leader == KS_NO_BROKER)
                g_string_append(out, "none");
            else
                g_string_append_printf(out, "%" PRId32, part.leader);
            g_string_append(out, "\tReplicas: ");
            for (int32_t r = 0; r < part.n_replicas; r++) {
                KsReplicaInfo rep;
                ks_query_replica(sim, t.index, p, r, &rep);
                g_string_append_printf(out, "%s%" PRId32, r ? "," : "", rep.broker);
            }
            g_string_append(out, "\tIsr: ");
            append_ids(out, part.isr, part.n_isr);
            g_string_append_c(out, '\n');
        }
    }
    if (ks_query_n_brokers(sim) > 0 && !ks_query_any_broker_alive(sim))
        g_string_append(out, "(no broker is alive: leaders and ISRs are as ZooKeeper last recorded "
                             "them; no controller)\n");
}
