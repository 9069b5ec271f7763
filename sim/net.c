/* SPDX-License-Identifier: MIT */
/*
 * net.c - how long a message takes between two machines.
 *
 * One-way latency by distance: within a node (loopback) 50 us; between
 * nodes of the same zone, or where a zone is not given, 500 us; between
 * zones 1 ms. Clients declared without a node run on a machine of their own
 * in no zone. These are typical figures for one data centre and for
 * neighbouring availability zones; scenarios will be able to set them with
 * the network issue, along with network partitions.
 */
#include "model.h"

#define LOOPBACK_US   50
#define SAME_ZONE_US  500
#define CROSS_ZONE_US 1000

KsTime ks_net_latency(const KsSim *sim, const KsNode *from, const KsNode *to)
{
    if (from && from == to)
        return LOOPBACK_US;
    if (from && to && from->zone && to->zone && g_strcmp0(from->zone, to->zone) != 0)
        return CROSS_ZONE_US;
    return SAME_ZONE_US;
}
