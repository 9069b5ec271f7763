/* SPDX-License-Identifier: MIT */
/*
 * group-protocol.c - which assignor a group runs: the members' protocols
 * and the coordinator's vote (GroupMetadata.supportsProtocols,
 * candidateProtocols, selectProtocol; MemberMetadata.vote), and which
 * rebalance protocol a consumer follows (ConsumerCoordinator: the highest
 * protocol every assignor of its list supports).
 *
 * A consumer's protocols are its partition.assignment.strategy, in its
 * order of preference; without one, its group line's assignor= (the group
 * line stands for the configuration all its members share). A member may
 * join a group that has members only if it supports a protocol they all
 * support, else INCONSISTENT_GROUP_PROTOCOL. When the join phase
 * completes, the candidates are the protocols every member supports; each
 * member votes for the first candidate in its own list, and the protocol
 * with the most votes wins. Kafka breaks a tie by the order of its hash
 * map of member ids; here the vote cast first, in join order, wins.
 */
#include "consumer-private.h"

void ks_group_member_protocols(KsConsumer *c, const KsConfigSet *over)
{
    const KsConfigSet *own = over && ks_config_set_has(over, KS_CFG_PARTITION_ASSIGNMENT_STRATEGY)
                                 ? over
                                 : c->plan->configs;
    const KsPlanGroup *pg = c->group->plan;
    bool given = ks_config_set_has(own, KS_CFG_PARTITION_ASSIGNMENT_STRATEGY) ||
                 ks_config_set_has(c->sim->defaults, KS_CFG_PARTITION_ASSIGNMENT_STRATEGY);
    if (!given) {
        c->assignors = ks_config_list_add(0, pg ? pg->assignor : KS_ASSIGNOR_RANGE);
        c->protocol = pg ? pg->protocol : KS_PROTOCOL_EAGER;
        return;
    }
    c->assignors = ks_config_resolve(KS_CFG_PARTITION_ASSIGNMENT_STRATEGY, own, c->sim->defaults);
    c->protocol = KS_PROTOCOL_COOPERATIVE;
    for (int i = 0; ks_config_list_at(c->assignors, i) >= 0; i++)
        if (ks_config_list_at(c->assignors, i) != KS_ASSIGNOR_COOPERATIVE_STICKY)
            c->protocol = KS_PROTOCOL_EAGER;
}

static bool supports(const KsConsumer *c, int64_t assignor)
{
    for (int i = 0; ks_config_list_at(c->assignors, i) >= 0; i++)
        if (ks_config_list_at(c->assignors, i) == assignor)
            return true;
    return false;
}

/* Whether every member of @g (and @c, if not NULL) supports @assignor. */
static bool all_support(const KsGroup *g, const KsConsumer *c, int64_t assignor)
{
    if (c && !supports(c, assignor))
        return false;
    for (guint i = 0; i < g->members->len; i++)
        if (!supports(((const KsGroupMember *)g_ptr_array_index(g->members, i))->consumer,
                      assignor))
            return false;
    return true;
}

bool ks_group_supports_protocols(const KsGroup *g, const KsConsumer *c)
{
    if (g->members->len == 0)
        return true;
    for (int i = 0; ks_config_list_at(c->assignors, i) >= 0; i++)
        if (all_support(g, NULL, ks_config_list_at(c->assignors, i)))
            return true;
    return false;
}

void ks_group_select_protocol(KsGroup *g)
{
    if (g->members->len == 0)
        return;
    int64_t votes[KS_ASSIGNOR_COOPERATIVE_STICKY + 1] = {0};
    int64_t order[KS_ASSIGNOR_COOPERATIVE_STICKY + 1];
    int n_order = 0;
    bool cooperative = true;
    for (guint i = 0; i < g->members->len; i++) {
        const KsConsumer *c = ((const KsGroupMember *)g_ptr_array_index(g->members, i))->consumer;
        cooperative &= c->protocol == KS_PROTOCOL_COOPERATIVE;
        for (int k = 0; ks_config_list_at(c->assignors, k) >= 0; k++) {
            int64_t a = ks_config_list_at(c->assignors, k);
            if (!all_support(g, NULL, a))
                continue;
            if (votes[a]++ == 0)
                order[n_order++] = a;
            break;
        }
    }
    for (int i = 0; i < n_order; i++)
        if (i == 0 || votes[order[i]] > votes[g->assignor])
            g->assignor = (KsAssignorKind)order[i];
    g->protocol = cooperative ? KS_PROTOCOL_COOPERATIVE : KS_PROTOCOL_EAGER;
}
