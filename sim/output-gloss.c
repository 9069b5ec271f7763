/* SPDX-License-Identifier: MIT */
/*
 * output-gloss.c - one-line glosses of the timeline's jargon.
 *
 * A class reading the timeline meets LEO, HW, ISR, leader epochs, acks and
 * the group words without being told what they are. The first time a line
 * uses a term, the gloss of the term follows the event's lines (after a
 * snapshot's whole table, not inside it), once per run; `--no-explain`
 * turns glosses off. A term is found as a whole word of the line (a word
 * runs over letters, digits, '.' and '_', so "replica.lag.time.max.ms" is
 * not "lag"), or as a word's start for the entries marked so ("offsets",
 * "committed"). Glosses follow the order of the table below, which is also
 * the order a reader meets the terms in the quick start, and say what
 * Kafka 3.9 does, in the timeline's own words.
 */
#include "output-timeline-private.h"

#include <string.h>

#include <glib.h>

typedef struct {
    const char *needles[4]; /* whole words; a trailing '*' matches a word's start */
    const char *text;
} Gloss;

static const Gloss glosses[] = {
    {{"controller"},
     "controller: the one broker, elected through ZooKeeper, that chooses partition leaders and "
     "records ISR changes; its epoch goes up with each new controller, so brokers can ignore "
     "a deposed one"},
    {{"replication factor", "ReplicationFactor"},
     "replication factor: how many brokers keep a copy (a replica) of each partition"},
    {{"leader", "Leader"},
     "leader: the replica of a partition that takes its writes; the other replicas (followers) "
     "fetch from it to copy its log"},
    {{"isr", "ISR", "Isr"},
     "ISR (in-sync replicas): the leader and the followers caught up with it; only they can "
     "become leader without losing acknowledged records, and acks=all waits for all of them"},
    {{"acks"},
     "acks: how many replicas must have a record before the producer is told it is written: 0 "
     "none, 1 the leader, all every replica in the ISR"},
    {{"min.insync.replicas"},
     "min.insync.replicas: with acks=all, the leader refuses writes (NOT_ENOUGH_REPLICAS) while "
     "the ISR is smaller than this"},
    {{"ZooKeeper session", "session of broker", "closed its session"},
     "ZooKeeper session: a broker counts as live while its session lives; a broker that dies "
     "without closing it keeps it until zookeeper.session.timeout.ms runs out"},
    {{"session times out", "session timeout"},
     "consumer session: a consumer stays in its group while its heartbeats reach the group "
     "coordinator within session.timeout.ms"},
    {{"leader epoch"},
     "leader epoch: a number the controller raises at every leader change; a replica coming "
     "back compares epochs with the leader to find where their logs part, and truncates there"},
    {{"offset*"},
     "offset: a record's position in its partition's log, counted from 0; once a record is "
     "committed to the log its offset is never reused"},
    {{"LEO"}, "LEO (log end offset): the offset the next record appended to that replica gets"},
    {{"HW"},
     "HW (high watermark): the offset below which every replica in the ISR has the records; "
     "consumers read only below it, and an acks=all write is answered when it passes the write"},
    {{"truncat*"},
     "truncation: a replica drops the records past the point where its log parted from the "
     "leader's; records no acks=all producer was told about can go this way"},
    {{"unclean"},
     "unclean election: a replica outside the ISR becomes leader "
     "(unclean.leader.election.enable=true); what it lacks is lost"},
    {{"preferred"},
     "preferred replica: the first replica in the assignment; Kafka moves leadership back to it "
     "to spread the load"},
    {{"generation"},
     "generation: the group's number for one membership; it goes up at every rebalance, and a "
     "member of an older generation cannot commit"},
    {{"rebalanc*"},
     "rebalance: the group's members rejoin and its partitions are divided among them again; "
     "meanwhile they consume nothing (eager) or only what they keep (cooperative)"},
    {{"coordinator"},
     "group coordinator: the broker leading the group's __consumer_offsets partition; it runs "
     "the group's rebalances and stores its commits"},
    {{"commit*"},
     "commit: a consumer stores in __consumer_offsets the offset of the next record to process, "
     "where its group resumes after a rebalance or a restart"},
    {{"LAG", "lag"},
     "consumer lag: records of a partition past the group's committed offset (log end offset "
     "minus committed offset)"},
};

G_STATIC_ASSERT(G_N_ELEMENTS(glosses) <= 64);

static bool word_char(char c)
{
    return g_ascii_isalnum(c) || c == '.' || c == '_';
}

/* Whether @needle occurs in @text as a word (or a word's start). */
static bool has_word(const char *text, const char *needle)
{
    size_t n = strlen(needle);
    bool prefix = n > 0 && needle[n - 1] == '*';
    if (prefix)
        n--;
    for (const char *p = text; *p; p++) {
        if (strncmp(p, needle, n) != 0)
            continue;
        /* A '.' joins a config name's words, or ends a sentence. */
        bool starts = p == text || !word_char(p[-1]);
        bool ends = prefix || !word_char(p[n]) || (p[n] == '.' && !word_char(p[n + 1]));
        if (starts && ends)
            return true;
    }
    return false;
}

void ks_timeline_note_terms(KsTimeline *tl, const char *text)
{
    if (!tl->explain)
        return;
    for (size_t i = 0; i < G_N_ELEMENTS(glosses); i++) {
        uint64_t bit = UINT64_C(1) << i;
        if ((tl->glossed | tl->gloss_due) & bit)
            continue;
        for (size_t k = 0; k < G_N_ELEMENTS(glosses[i].needles) && glosses[i].needles[k]; k++)
            if (has_word(text, glosses[i].needles[k])) {
                tl->gloss_due |= bit;
                break;
            }
    }
}

void ks_timeline_flush_glosses(KsTimeline *tl)
{
    uint64_t due = tl->gloss_due;
    tl->gloss_due = 0;
    tl->glossed |= due;
    for (size_t i = 0; i < G_N_ELEMENTS(glosses); i++) {
        if (!(due & (UINT64_C(1) << i)))
            continue;
        g_autofree char *out = g_strdup_printf("%25s%s-- %s%s", "", tl->color ? C_DIM : "",
                                               glosses[i].text, tl->color ? C_RESET : "");
        tl->write(out, tl->ctx);
    }
}

void ks_timeline_set_explain(KsTimeline *tl, bool explain)
{
    tl->explain = explain;
}
