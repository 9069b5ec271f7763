/* SPDX-License-Identifier: MIT */
/*
 * scenario-flume.c - the keys of a `flume` line beyond those every client
 * has (its channel, its sink, the shape of its source), and the nodes of
 * the `zookeeper` line.
 *
 * Defaults are Apache Flume 1.11.0's (the latest release): a memory
 * channel holds capacity=100 events with transactionCapacity=100
 * (MemoryChannel), a file channel 1,000,000 with 10,000
 * (FileChannelConfiguration); the Kafka sink takes flumeBatchSize=100
 * events per transaction and its producer runs with kafka.producer.acks=1
 * (KafkaSinkConstants); the HDFS sink takes hdfs.batchSize=100 and rolls
 * its file every hdfs.rollInterval=30 s; the source puts events in batches
 * of 20 (ExecSource's batchSize). Flume refuses a transaction larger than
 * transactionCapacity and a transactionCapacity larger than the capacity,
 * so the parser does too.
 */
#include "scenario-private.h"

#include <inttypes.h>

#include "kafkasim/config.h"

#define FLUME_MEMORY_CAPACITY         100
#define FLUME_MEMORY_TRANSACTION      100
#define FLUME_FILE_CAPACITY           1000000
#define FLUME_FILE_TRANSACTION        10000
#define FLUME_SOURCE_BATCH            20
#define FLUME_HDFS_ROLL_INTERVAL      (30 * KS_TIME_S)
#define FLUME_HDFS_DEFAULT_WRITE_RATE 1000

static const char *const channel_names[] = {"memory", "file", NULL};
static const char *const sink_names[] = {"kafka", "hdfs", NULL};

static bool arg_duration(Parser *p, const Arg *a, const char *what, KsTime *out, GError **error)
{
    return ks_scn_want_scalar(p, a, what, error) &&
           ks_scn_tok_duration(p, ks_scn_scalar(a), a, what, a->example, out, error);
}

bool ks_scn_flume_sink(Parser *p, Args *a, KsPlanFlume *f, GError **error)
{
    int sink = KS_FLUME_SINK_KAFKA;
    const Arg *as = ks_scn_get(a, "sink");
    if (as && !ks_scn_arg_choice(p, as, sink_names, &sink, error))
        return false;
    f->sink = (KsFlumeSink)sink;
    f->roll_interval = FLUME_HDFS_ROLL_INTERVAL;
    f->write_rate = FLUME_HDFS_DEFAULT_WRITE_RATE;
    static const char *const hdfs_only[] = {"roll-interval", "write-rate"};
    for (size_t i = 0; i < G_N_ELEMENTS(hdfs_only); i++) {
        const Arg *k = ks_scn_get(a, hdfs_only[i]);
        if (k && f->sink != KS_FLUME_SINK_HDFS)
            return ks_scn_fail(p, k->key, VALUE, error,
                               "%s= is a setting of the HDFS sink; add sink=hdfs", hdfs_only[i]);
    }
    const Arg *at = ks_scn_get(a, "topic");
    if (at && f->sink == KS_FLUME_SINK_HDFS)
        return ks_scn_fail(p, at->key, VALUE, error,
                           "topic= is a setting of the Kafka sink; an HDFS sink writes files");
    const Arg *ar = ks_scn_get(a, "roll-interval");
    if (ar && !arg_duration(p, ar, "a roll interval", &f->roll_interval, error))
        return false;
    if (ar && f->roll_interval <= 0)
        return ks_scn_fail(p, ar->first, VALUE, error, "roll-interval must be longer than 0s");
    const Arg *aw = ks_scn_get(a, "write-rate");
    if (aw && !ks_scn_arg_rate(p, aw, &f->write_rate, error))
        return false;
    if (aw && f->write_rate <= 0)
        return ks_scn_fail(p, aw->first, VALUE, error, "write-rate must be more than 0/s");
    return true;
}

/* The source's shape: peak=, peak-every= and peak-for= go together. */
static bool flume_peak(Parser *p, Args *a, KsPlanFlume *f, GError **error)
{
    const Arg *ap = ks_scn_get(a, "peak"), *ae = ks_scn_get(a, "peak-every"),
              *af = ks_scn_get(a, "peak-for");
    if (!ap && !ae && !af)
        return true;
    const Arg *given = ap ? ap : ae ? ae : af;
    if (!ap || !ae || !af)
        return ks_scn_fail(p, given->key, VALUE, error,
                           "a peak needs peak=, peak-every= and peak-for=, e.g. peak=1000/s "
                           "peak-every=60s peak-for=10s");
    if (!ks_scn_arg_rate(p, ap, &f->peak_rate, error) ||
        !arg_duration(p, ae, "a period", &f->peak_every, error) ||
        !arg_duration(p, af, "a duration", &f->peak_for, error))
        return false;
    if (f->peak_every <= 0 || f->peak_for <= 0 || f->peak_for >= f->peak_every)
        return ks_scn_fail(p, af->first, VALUE, error,
                           "peak-for must be longer than 0s and shorter than peak-every");
    return true;
}

bool ks_scn_flume_keys(Parser *p, Args *a, KsPlanFlume *f, GError **error)
{
    int channel = KS_FLUME_CHANNEL_MEMORY;
    const Arg *ach = ks_scn_get(a, "channel");
    if (ach && !ks_scn_arg_choice(p, ach, channel_names, &channel, error))
        return false;
    f->channel = (KsFlumeChannel)channel;
    const Arg *ac = ks_scn_get(a, "capacity"), *ab = ks_scn_get(a, "batch-size");
    if (!ac && f->channel == KS_FLUME_CHANNEL_FILE)
        f->channel_capacity = FLUME_FILE_CAPACITY;
    f->transaction_capacity =
        f->channel == KS_FLUME_CHANNEL_FILE ? FLUME_FILE_TRANSACTION : FLUME_MEMORY_TRANSACTION;
    const Arg *at = ks_scn_get(a, "transactionCapacity");
    if (at && !ks_scn_arg_int(p, at, 1, MAX_CAPACITY, &f->transaction_capacity, error))
        return false;
    if (!at)
        f->transaction_capacity = MIN(f->transaction_capacity, f->channel_capacity);
    if (f->transaction_capacity > f->channel_capacity)
        return ks_scn_fail(p, at->first, VALUE, error,
                           "transactionCapacity=%" PRId64 " is larger than capacity=%" PRId64
                           ": Flume refuses a channel whose transactions exceed it",
                           f->transaction_capacity, f->channel_capacity);
    f->source_batch = FLUME_SOURCE_BATCH;
    const Arg *asb = ks_scn_get(a, "source-batch");
    if (asb && !ks_scn_arg_int(p, asb, 1, MAX_CAPACITY, &f->source_batch, error))
        return false;
    if (!asb)
        f->source_batch = MIN(f->source_batch, f->transaction_capacity);
    if (f->batch_size > f->transaction_capacity || f->source_batch > f->transaction_capacity) {
        bool take = f->batch_size > f->transaction_capacity;
        const Arg *blame = take ? (ab ? ab : at ? at : ac) : (asb ? asb : at ? at : ac);
        return ks_scn_fail(p, blame->first, VALUE, error,
                           "%s=%" PRId64 " is larger than transactionCapacity=%" PRId64
                           ": a %s cannot hold more events than a transaction",
                           take ? "batch-size" : "source-batch",
                           take ? f->batch_size : f->source_batch, f->transaction_capacity,
                           take ? "take" : "put");
    }
    if (f->rate_per_s <= 0)
        return ks_scn_fail(p, ks_scn_get(a, "rate")->first, VALUE, error,
                           "a Flume source needs a rate above 0/s, e.g. rate=200/s");
    /* KafkaSink's producer: acks=1 unless kafka.producer.acks says otherwise. */
    if (!ks_config_set_has(a->configs, KS_CFG_ACKS))
        ks_config_set_put(a->configs, KS_CFG_ACKS, 1);
    return flume_peak(p, a, f, error);
}

bool ks_scn_zookeeper_nodes(Parser *p, Args *a, KsPlanZookeeper *zk, GError **error)
{
    const Arg *an = ks_scn_get(a, "node");
    if (!an)
        return true;
    if (an->is_set)
        return ks_scn_fail(p, an->first, VALUE, error,
                           "node= takes a node, or one node per server without braces, e.g. "
                           "node=n1,n2,n3");
    if (an->items->len > 1 && (int32_t)an->items->len != zk->servers)
        return ks_scn_fail(p, an->first, VALUE, error,
                           "node= names %u nodes for %d server%s: name one node for all, or one "
                           "per server",
                           an->items->len, zk->servers, zk->servers == 1 ? "" : "s");
    zk->nodes = g_ptr_array_new_with_free_func(g_free);
    for (int32_t i = 0; i < zk->servers; i++) {
        const KsToken *t = an->items->pdata[an->items->len > 1 ? i : 0];
        if (!ks_scn_tok_is_name(t)) {
            g_autofree char *s = ks_scn_tok_show(t);
            return ks_scn_fail(p, t, VALUE, error, "'%s': expected a node name, e.g. %s", s,
                               an->example);
        }
        g_autofree char *name = ks_scn_tok_text(t);
        if (!ks_scn_find_node(p, t, name, error))
            return false;
        g_ptr_array_add(zk->nodes, g_steal_pointer(&name));
    }
    zk->node = g_strdup(zk->nodes->pdata[0]);
    return true;
}
