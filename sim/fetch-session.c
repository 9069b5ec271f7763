/* SPDX-License-Identifier: MIT */
/*
 * fetch-session.c - consumer fetch sessions (KIP-227): the client's
 * FetchSessionHandler and the broker's FetchSessionCache (Kafka 3.9:
 * clients/.../FetchSessionHandler.java, core/.../server/FetchSession.scala).
 *
 * A consumer keeps one session per broker it fetches from. Its first
 * request to a broker is full (session id 0, epoch 0: every partition it
 * wants from there); the broker answers with a new session id if its
 * cache has a slot, or can free one, and with none otherwise (the
 * consumer stays sessionless: full requests every time). Later requests
 * are incremental (the session id and the next epoch, 1, 2, ...): they
 * name only the partitions added or whose fetch offset changed, and the
 * partitions to forget; the answer names only the partitions with
 * records. A full request comes again after an error answer
 * (FETCH_SESSION_ID_NOT_FOUND: the session is gone, after a broker
 * restart or an eviction, starts over without an id;
 * INVALID_FETCH_SESSION_EPOCH and a broken connection close the session
 * and open a new one), and after the consumer restarts. A consumer that
 * closes (stop consumer) removes its sessions (the FINAL_EPOCH fetch
 * KafkaConsumer.close sends); one that crashes leaves them to eviction.
 * A partition whose leader moves is forgotten by the old leader's session
 * and added to the new one's, incrementally, as Kafka does.
 *
 * The cache holds max.incremental.fetch.session.cache.slots sessions per
 * broker (1000). When it is full a new session takes the slot of the
 * least recently used one if that one was unused for 120 s
 * (MIN_INCREMENTAL_FETCH_SESSION_EVICTION_MS), else of the smallest
 * session (fewest partitions, then lowest id) among those created more
 * than 120 s before their last use, if the new one has more partitions;
 * else the new client stays sessionless (FetchSessionCache.tryEvict,
 * touch). Session ids count up per broker from 1 (Kafka draws them at
 * random). A broker's cache lives in its process: a restart empties it.
 *
 * Sizes: with the capacity model's network limits, a request weighs
 * KS_FETCH_REQUEST_BYTES plus KS_FETCH_PARTITION_REQUEST_BYTES per
 * partition it names, an answer KS_FETCH_RESPONSE_BYTES plus
 * KS_FETCH_PARTITION_RESPONSE_BYTES per partition it names, plus its
 * records: the fields of FetchRequest/FetchResponse v15, topic names
 * left out.
 *
 * Followers' fetches (fetcher.c) do not use sessions: they name every
 * partition every time (docs/fidelity.md).
 */
#include "consumer-private.h"

#define EVICTION_MS (120000 * KS_TIME_MS)

typedef struct {
    int32_t id;
    int32_t epoch;    /* the epoch the next incremental request must carry */
    int32_t size;     /* partitions, at its last use */
    KsTime created;   /* creationMs */
    KsTime last_used; /* lastUsedMs */
    bool evictable;   /* in evictableByAll: created more than EVICTION_MS before its last use */
} KsFetchSession;

struct KsFetchSessionCache {
    uint64_t incarnation; /* the process it lives in */
    int32_t next_id;
    GArray *sessions; /* of KsFetchSession */
};

void ks_fetch_session_cache_free(KsFetchSessionCache *cache)
{
    if (!cache)
        return;
    g_array_free(cache->sessions, TRUE);
    g_free(cache);
}

/* @b's cache, empty after a restart of its process. */
static KsFetchSessionCache *cache_of(KsBroker *b)
{
    if (!b->fetch_sessions) {
        b->fetch_sessions = g_new0(KsFetchSessionCache, 1);
        b->fetch_sessions->sessions = g_array_new(FALSE, FALSE, sizeof(KsFetchSession));
        b->fetch_sessions->incarnation = b->ep.incarnation;
    }
    KsFetchSessionCache *cache = b->fetch_sessions;
    if (cache->incarnation != b->ep.incarnation) {
        g_array_set_size(cache->sessions, 0);
        cache->incarnation = b->ep.incarnation;
    }
    return cache;
}

/* Session @id by bisection: ids count up and new sessions go at the end,
 * removals keep the order, so the array is sorted by id. */
static KsFetchSession *find(KsFetchSessionCache *cache, int32_t id, guint *index)
{
    guint lo = 0, hi = id != 0 ? cache->sessions->len : 0;
    while (lo < hi) {
        guint mid = lo + (hi - lo) / 2;
        KsFetchSession *s = &g_array_index(cache->sessions, KsFetchSession, mid);
        if (s->id == id) {
            if (index)
                *index = mid;
            return s;
        }
        if (s->id < id)
            lo = mid + 1;
        else
            hi = mid;
    }
    return NULL;
}

static void touch(KsFetchSession *s, KsTime now, int32_t size)
{
    s->last_used = now;
    s->size = size;
    s->evictable = now - s->created > EVICTION_MS;
}

/* FetchSessionCache.tryEvict for a new unprivileged session of @size. */
static bool try_evict(KsFetchSessionCache *cache, int32_t size, KsTime now)
{
    GArray *all = cache->sessions;
    guint oldest = 0, smallest = G_MAXUINT;
    for (guint i = 0; i < all->len; i++) {
        const KsFetchSession *s = &g_array_index(all, KsFetchSession, i);
        if (s->last_used < g_array_index(all, KsFetchSession, oldest).last_used)
            oldest = i;
        if (!s->evictable)
            continue;
        const KsFetchSession *m =
            smallest == G_MAXUINT ? NULL : &g_array_index(all, KsFetchSession, smallest);
        if (!m || s->size < m->size || (s->size == m->size && s->id < m->id))
            smallest = i;
    }
    if (all->len == 0)
        return false;
    if (now - g_array_index(all, KsFetchSession, oldest).last_used > EVICTION_MS) {
        g_array_remove_index(all, oldest);
        return true;
    }
    /* EvictableKey(false, size, 0) against the smallest: it goes only for
     * a session with more partitions. */
    if (smallest == G_MAXUINT || size <= g_array_index(all, KsFetchSession, smallest).size)
        return false;
    g_array_remove_index(all, smallest);
    return true;
}

/* maybeCreateSession: the new session's id, or 0 (sessionless). */
static int32_t create(KsSim *sim, KsBroker *b, int32_t size)
{
    KsFetchSessionCache *cache = cache_of(b);
    KsTime now = ks_engine_now(sim->engine);
    int64_t slots =
        ks_config_resolve(KS_CFG_MAX_INCREMENTAL_FETCH_SESSION_CACHE_SLOTS, NULL, sim->defaults);
    if ((int64_t)cache->sessions->len >= slots && !try_evict(cache, size, now))
        return 0;
    KsFetchSession s = {.id = ++cache->next_id, .epoch = 1, .created = now};
    touch(&s, now, size);
    g_array_append_val(cache->sessions, s);
    return s.id;
}

KsKafkaError ks_fetch_session_serve(KsSim *sim, KsBroker *b, KsConsumerFetch *f)
{
    KsFetchSessionCache *cache = cache_of(b);
    int32_t size = (int32_t)f->parts->len;
    f->resp_session = 0;
    if (f->req_epoch == 0) {
        /* A full request: a session it names is closed first. */
        guint i;
        if (find(cache, f->req_session, &i))
            g_array_remove_index(cache->sessions, i);
        f->resp_session = create(sim, b, size);
        return KS_ERR_NONE;
    }
    KsFetchSession *s = find(cache, f->req_session, NULL);
    if (!s)
        return KS_ERR_FETCH_SESSION_ID_NOT_FOUND;
    if (s->epoch != f->req_epoch)
        return KS_ERR_INVALID_FETCH_SESSION_EPOCH;
    s->epoch++;
    touch(s, ks_engine_now(sim->engine), size);
    f->resp_session = s->id;
    return KS_ERR_NONE;
}

int32_t ks_fetch_session_count(KsBroker *b)
{
    return (int32_t)cache_of(b)->sessions->len;
}

/* ---- the client ---- */

/* Whether @r's partition was in the session at the same offset. */
static bool unchanged(const KsConsumerFetch *f, const KsConsumerRange *r)
{
    for (guint i = 0; i < f->sent->len; i++) {
        const KsConsumerRange *o = &g_array_index(f->sent, KsConsumerRange, i);
        if (o->part == r->part)
            return o->first == r->first;
    }
    return false;
}

static bool wanted(const KsConsumerFetch *f, const KsPartition *part)
{
    for (guint i = 0; i < f->parts->len; i++)
        if (g_array_index(f->parts, KsConsumerRange, i).part == part)
            return true;
    return false;
}

int64_t ks_fetch_session_build(KsConsumerFetch *f)
{
    int64_t named = f->parts->len;
    if (f->next_epoch > 0) {
        named = 0;
        for (guint i = 0; i < f->parts->len; i++)
            named += !unchanged(f, &g_array_index(f->parts, KsConsumerRange, i));
        for (guint i = 0; i < f->sent->len; i++)
            named += !wanted(f, g_array_index(f->sent, KsConsumerRange, i).part);
    }
    f->req_session = f->session_id;
    f->req_epoch = f->next_epoch;
    g_array_set_size(f->sent, 0);
    g_array_append_vals(f->sent, f->parts->data, f->parts->len);
    return named;
}

void ks_fetch_session_answered(KsConsumerFetch *f, KsKafkaError err)
{
    if (err == KS_ERR_FETCH_SESSION_ID_NOT_FOUND) {
        f->session_id = 0; /* FetchMetadata.INITIAL */
        f->next_epoch = 0;
    } else if (err != KS_ERR_NONE) {
        f->next_epoch = 0; /* nextCloseExisting */
    } else if (f->req_epoch == 0) {
        f->session_id = f->resp_session;
        f->next_epoch = f->session_id != 0 ? 1 : 0;
    } else {
        f->next_epoch++;
    }
}

void ks_fetch_session_lost(KsConsumerFetch *f)
{
    f->next_epoch = 0;
}

void ks_fetch_sessions_end(KsConsumer *c, bool close)
{
    for (guint i = 0; i < c->fetches->len; i++) {
        KsConsumerFetch *f = g_ptr_array_index(c->fetches, i);
        if (!f)
            continue;
        guint k;
        if (close && f->broker->alive && find(cache_of(f->broker), f->session_id, &k))
            g_array_remove_index(cache_of(f->broker)->sessions, k);
        f->session_id = 0;
        f->next_epoch = 0;
        g_array_set_size(f->sent, 0);
    }
}

int64_t ks_fetch_request_bytes(int64_t named)
{
    return KS_FETCH_REQUEST_BYTES + named * KS_FETCH_PARTITION_REQUEST_BYTES;
}
