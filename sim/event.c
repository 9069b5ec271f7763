/* SPDX-License-Identifier: MIT */
/*
 * event.c - the event table (event.h) as data: each type's trace name and
 * fields, for the views that walk it, and unset payloads.
 */
#include "kafkasim/event.h"

#include <string.h>

#include <glib.h>

#define OPEN_(shape) static const KsEventField fields_##shape[] = {
#define FIELD_(shape, name, kind, flags, unit, doc)                                                \
    {#name, KS_EVENT_KIND_##kind, KS_EVENT_FLAG_##flags, offsetof(KsEvent, shape.name), unit, doc},
#define CLOSE_(shape)                                                                              \
    }                                                                                              \
    ;
KS_EVENT_SHAPES(OPEN_, FIELD_, CLOSE_)
#undef OPEN_
#undef FIELD_
#undef CLOSE_

#define TYPE_(ENUM, name, shape, doc)                                                              \
    [KS_EV_##ENUM] = {#name, #shape, doc, fields_##shape, G_N_ELEMENTS(fields_##shape)},
static const KsEventTypeInfo types[KS_EV_COUNT] = {KS_EVENT_TYPES(TYPE_)};
#undef TYPE_

static const char *const reasons[] = {
    [KS_REASON_NONE] = "none",
    [KS_REASON_INITIAL] = "initial",
    [KS_REASON_OFFLINE] = "offline",
    [KS_REASON_UNCLEAN] = "unclean",
    [KS_REASON_PREFERRED] = "preferred",
    [KS_REASON_LEADER_FAILED] = "leader_failed",
    [KS_REASON_LAGGING] = "lagging",
    [KS_REASON_BROKER_FAILED] = "broker_failed",
    [KS_REASON_CAUGHT_UP] = "caught_up",
    [KS_REASON_CONTROLLED_SHUTDOWN] = "controlled_shutdown",
    [KS_REASON_REASSIGNMENT] = "reassignment",
};

const char *ks_reason_name(KsReason reason)
{
    g_return_val_if_fail(reason < G_N_ELEMENTS(reasons), "unknown");
    return reasons[reason];
}

const KsEventTypeInfo *ks_event_type_info(KsEventType type)
{
    g_return_val_if_fail(type < KS_EV_COUNT, NULL);
    return &types[type];
}

bool ks_event_field_unset(const void *base, const KsEventField *field)
{
    const void *v = ks_event_field_value(base, field);
    switch (field->kind) {
    case KS_EVENT_KIND_INT:
        return *(const KS_EVENT_CTYPE_INT *)v == -1;
    case KS_EVENT_KIND_TIME:
        return *(const KS_EVENT_CTYPE_TIME *)v == -1;
    case KS_EVENT_KIND_BROKER:
        return *(const KS_EVENT_CTYPE_BROKER *)v == KS_NO_BROKER;
    case KS_EVENT_KIND_STRING:
        return *(KS_EVENT_CTYPE_STRING const *)v == NULL;
    case KS_EVENT_KIND_TOPICS:
        return *(KS_EVENT_CTYPE_TOPICS const *)v == NULL;
    case KS_EVENT_KIND_INT_LIST:
        return ((const KS_EVENT_CTYPE_INT_LIST *)v)->len == 0;
    case KS_EVENT_KIND_STRING_LIST:
        return ((const KS_EVENT_CTYPE_STRING_LIST *)v)->len == 0;
    case KS_EVENT_KIND_PARTITION_LIST:
        return ((const KS_EVENT_CTYPE_PARTITION_LIST *)v)->len == 0;
    case KS_EVENT_KIND_BOOL:
    case KS_EVENT_KIND_REASON:
        break;
    }
    return false;
}

KsEvent ks_event_init(KsEventType type, KsTime t)
{
    KsEvent ev;
    /* Pointers NULL, lists empty, bools false; integers are set below. */
    memset(&ev, 0, sizeof ev);
    ev.t = t;
    ev.type = type;
    const KsEventTypeInfo *info = ks_event_type_info(type);
    for (size_t i = 0; info && i < info->n_fields; i++) {
        const KsEventField *f = &info->fields[i];
        void *v = (char *)&ev + f->offset;
        if (f->kind == KS_EVENT_KIND_INT)
            *(KS_EVENT_CTYPE_INT *)v = -1;
        else if (f->kind == KS_EVENT_KIND_TIME)
            *(KS_EVENT_CTYPE_TIME *)v = -1;
        else if (f->kind == KS_EVENT_KIND_BROKER)
            *(KS_EVENT_CTYPE_BROKER *)v = KS_NO_BROKER;
    }
    return ev;
}

const char *ks_event_type_name(KsEventType type)
{
    g_return_val_if_fail(type < KS_EV_COUNT, "unknown");
    return types[type].name;
}
