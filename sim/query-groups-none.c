/* SPDX-License-Identifier: MIT */
/*
 * query-groups-none.c - query-groups.h for a model without consumer groups:
 * no group, no consumer. Every definition is weak, so the group
 * coordinator's real queries replace these at link time; this file goes
 * when they arrive. It lets the views of groups (describe groups, the
 * summary's "groups", the group conditions) build and run today.
 */
#include "kafkasim/query-groups.h"

#define WEAK __attribute__((weak))

WEAK size_t ks_query_n_groups(const KsSim *sim)
{
    return 0;
}

WEAK void ks_query_group(const KsSim *sim, size_t index, KsGroupInfo *out)
{
    g_return_if_reached();
}

WEAK bool ks_query_find_group(const KsSim *sim, const char *name, size_t *out_index)
{
    return false;
}

WEAK GArray *ks_query_group_members(const KsSim *sim, size_t group)
{
    g_return_val_if_reached(NULL);
}

WEAK GArray *ks_query_member_assignment(const KsSim *sim, size_t group, const char *member)
{
    g_return_val_if_reached(NULL);
}

WEAK GArray *ks_query_group_offsets(const KsSim *sim, size_t group)
{
    g_return_val_if_reached(NULL);
}

WEAK size_t ks_query_n_consumers(const KsSim *sim)
{
    return 0;
}

WEAK void ks_query_consumer(const KsSim *sim, size_t index, KsConsumerInfo *out)
{
    g_return_if_reached();
}

WEAK bool ks_query_find_consumer(const KsSim *sim, const char *name, KsConsumerInfo *out)
{
    return false;
}
