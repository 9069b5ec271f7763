/* SPDX-License-Identifier: MIT */
/*
 * disk.c - what of each broker's logs is on disk, and what a power loss
 * takes.
 *
 * A machine is not a process. `crash broker` kills a process: its logs are
 * in the machine's page cache, which survives, so nothing written is lost
 * (and the kernel resets its connections: net.c). `crash node` is a power
 * loss: what neither Kafka nor the operating system had written to disk is
 * gone, and each log on the machine goes back to its durable offset.
 *
 * The rules of when a log reaches the disk are log.c's (Kafka's
 * flush.messages and flush.ms, Linux's writeback); this module gives each
 * replica its rules (its broker's settings, its topic's overrides), follows
 * the broker's process (the log flusher task runs only while it does, from
 * 30 s after its start; a clean shutdown flushes every log, as
 * LogManager.shutdown does) and applies a power loss: each log is cut to what
 * was on disk, its leader-epoch cache and high watermark with it, as
 * Kafka's recovery finds them on restart (LogLoader: what the disk holds is
 * kept; the epoch cache is truncated to the log end); the replica is
 * marked as having lost data while in the ISR; the ledger learns what was
 * cut (ks_ledger_power_cut) so it can say why records were lost.
 *
 * Cost: nothing per record; one O(1) check per append or copy
 * (ks_replica_writeback); a pass over a broker's replicas when its process
 * starts or stops and at a power loss.
 */
#include "broker-private.h"
#include "ledger.h"
#include "model.h"

/* A duration config as a flush setting: Long.MAX_VALUE ms is never. */
static KsTime flush_time(int64_t v)
{
    return v >= KS_CONFIG_LONG_MAX_MS ? KS_TIME_NEVER : v;
}

KsFlushPolicy ks_replica_flush_policy(const KsReplica *r)
{
    KsFlushPolicy p = r->broker->flush;
    const KsTopic *t = r->part->topic;
    if (t->flush_messages >= 0)
        p.flush_messages = t->flush_messages;
    if (t->flush_ms >= 0)
        p.flush_ms = flush_time(t->flush_ms);
    return p;
}

void ks_replica_writeback(KsSim *sim, KsReplica *r)
{
    KsFlushPolicy p = ks_replica_flush_policy(r);
    ks_log_writeback(&r->log, &p, ks_engine_now(sim->engine));
}

void ks_replica_written(KsSim *sim, KsReplica *r)
{
    KsFlushPolicy p = ks_replica_flush_policy(r);
    ks_log_written(&r->log, &p, ks_engine_now(sim->engine));
}

/* The broker's flush settings (LogConfig's broker defaults) and its
 * machine's writeback. log.flush.interval.ms unset means
 * log.flush.scheduler.interval.ms (KafkaConfig.logFlushIntervalMs). */
void ks_disk_init_broker(KsSim *sim, KsBroker *b)
{
    const KsConfigSet *own = b->plan->configs, *def = sim->defaults;
    KsFlushPolicy *p = &b->flush;
    p->flush_messages = ks_config_resolve(KS_CFG_LOG_FLUSH_INTERVAL_MESSAGES, own, def);
    p->flusher_interval =
        flush_time(ks_config_resolve(KS_CFG_LOG_FLUSH_SCHEDULER_INTERVAL_MS, own, def));
    bool has_ms = ks_config_set_has(own, KS_CFG_LOG_FLUSH_INTERVAL_MS) ||
                  ks_config_set_has(def, KS_CFG_LOG_FLUSH_INTERVAL_MS);
    p->flush_ms = has_ms ? flush_time(ks_config_resolve(KS_CFG_LOG_FLUSH_INTERVAL_MS, own, def))
                         : p->flusher_interval;
    p->flusher_start = KS_TIME_NEVER;
    p->dirty_expire = ks_config_resolve(KS_CFG_OS_DIRTY_EXPIRE_MS, own, def);
    KsTime wb = ks_config_resolve(KS_CFG_OS_DIRTY_WRITEBACK_MS, own, def);
    p->writeback = wb > 0 ? wb : KS_TIME_NEVER;
}

bool ks_partition_available(const KsSim *sim, const KsPartition *part)
{
    if (part->leader == KS_NO_BROKER)
        return false;
    const KsBroker *b = ks_sim_find_broker(sim, part->leader);
    return b && b->alive;
}

/* Opens or closes the partition's current unavailability interval. */
void ks_partition_update_availability(KsSim *sim, KsPartition *part)
{
    KsTime now = ks_engine_now(sim->engine);
    bool up = ks_partition_available(sim, part);
    if (up && part->unavailable_since >= 0) {
        part->unavailable_us += now - part->unavailable_since;
        part->unavailable_since = -1;
    } else if (!up && part->unavailable_since < 0) {
        part->unavailable_since = now;
    }
}

void ks_partition_emit_isr_change(KsSim *sim, KsEventType type, KsPartition *part, KsBrokerId who,
                                  KsReason reason)
{
    KsEvent ev = ks_event_init(type, ks_engine_now(sim->engine));
    KsIntList isr = {ks_partition_isr_ids(part), part->isr->len};
    if (type == KS_EV_ISR_SHRUNK) {
        ev.isr_shrunk.topic = part->topic->name;
        ev.isr_shrunk.partition = part->index;
        ev.isr_shrunk.broker = who;
        ev.isr_shrunk.leader_epoch = part->leader_epoch;
        ev.isr_shrunk.isr = isr;
        ev.isr_shrunk.reason = reason;
    } else {
        ev.isr_expanded.topic = part->topic->name;
        ev.isr_expanded.partition = part->index;
        ev.isr_expanded.broker = who;
        ev.isr_expanded.isr = isr;
        ev.isr_expanded.reason = reason;
    }
    ks_sim_emit(sim, &ev);
}

/* @b's machine lost power: each of its logs goes back to what was on disk
 * (Kafka's recovery on restart keeps what the disk holds and truncates the
 * leader-epoch cache and high watermark to it); the ledger learns what was
 * cut. Its process is already dead. */
void ks_disk_power_loss(KsSim *sim, KsBroker *b)
{
    KsTime now = ks_engine_now(sim->engine);
    int64_t records = 0, partitions = 0;
    for (guint i = 0; i < b->replicas->len; i++) {
        KsReplica *r = g_ptr_array_index(b->replicas, i);
        ks_replica_writeback(sim, r);
        int64_t old_end = r->log.end;
        ks_ledger_power_cut(sim->ledger, r, r->log.disk.durable);
        int64_t lost = ks_log_power_loss(&r->log);
        if (r->in_isr)
            r->power_cut = true;
        if (lost == 0)
            continue;
        ks_epochs_truncate_from_end(r->epochs, r->log.end);
        /* A dead leader stays the partition's acting leader until another
         * takes over (broker.c); its cache ends at the epoch it led in, from
         * its new end, as a new LeaderAndIsr would leave it. */
        if (r->part->leader_replica == r) {
            ks_epochs_assign(r->epochs, r->part->leader_replica_epoch, r->log.end);
            r->power_cut_epoch = r->part->leader_replica_epoch;
        }
        r->hw = MIN(r->hw, r->log.end);
        if (!r->truncations)
            r->truncations = g_array_new(FALSE, FALSE, sizeof(KsTruncation));
        KsTruncation cut = {now, old_end, r->log.end, true};
        g_array_append_val(r->truncations, cut);
        records += lost;
        partitions++;
    }
    KsEvent ev = ks_event_init(KS_EV_UNFLUSHED_LOST, now);
    ev.unflushed_lost.broker = b->id;
    ev.unflushed_lost.node = b->node->name;
    ev.unflushed_lost.partitions = partitions;
    ev.unflushed_lost.records = records;
    ks_sim_emit(sim, &ev);
    for (guint i = 0; i < b->replicas->len; i++)
        ks_ledger_power_lost(sim->ledger, g_ptr_array_index(b->replicas, i));
}

void ks_disk_process_stops(KsSim *sim, KsBroker *b)
{
    /* Its log flusher stops with it; the page cache stays the machine's. */
    for (guint i = 0; i < b->replicas->len; i++)
        ks_replica_writeback(sim, g_ptr_array_index(b->replicas, i));
    b->flush.flusher_start = KS_TIME_NEVER;
}

void ks_disk_process_starts(KsSim *sim, KsBroker *b)
{
    /* LogManager loads its logs (a log's last flush is its load) and starts
     * the log flusher after InitialTaskDelayMs, 30 s. */
    KsTime now = ks_engine_now(sim->engine);
    for (guint i = 0; i < b->replicas->len; i++) {
        KsReplica *r = g_ptr_array_index(b->replicas, i);
        ks_replica_writeback(sim, r);
        r->log.disk.last_flush = now;
    }
    b->flush.flusher_start = now + 30 * KS_TIME_S;
}

void ks_disk_clean_shutdown(KsSim *sim, KsBroker *b)
{
    /* LogManager.shutdown flushes every log: a clean stop leaves it on disk. */
    for (guint i = 0; i < b->replicas->len; i++) {
        KsReplica *r = g_ptr_array_index(b->replicas, i);
        ks_log_flush(&r->log, ks_engine_now(sim->engine));
    }
}
