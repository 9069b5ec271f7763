/* SPDX-License-Identifier: MIT */
/*
 * prices.h - the price table: common cloud machine types, an on-premises
 * type, and the data-transfer prices the run's cost is computed with.
 *
 * The figures are the providers' published on-demand list prices (Linux,
 * AWS us-east-1, GCP us-central1, Azure East US) as docs/prices.md lists
 * them with the date they stand for (KS_PRICES_DATE). A scenario's own
 * `node-type` lines add to them; a run's cost is a pure function of its
 * scenario and this table (capacity.c).
 */
#pragma once

#include <stddef.h>
#include <stdint.h>

#include "kafkasim/plan.h"

/* The date the table's figures stand for. */
#define KS_PRICES_DATE "2024-06"

/* Data transfer, in millionths of a US dollar per GB (10^9 bytes) moved. */
typedef struct {
    int64_t within_zone;  /* free within one availability zone */
    int64_t across_zones; /* $0.01/GB out of one zone plus $0.01/GB into the other */
    int64_t across_sites; /* between regions or sites (inter-region) */
    int64_t internet;     /* out to the internet (first 10 TB a month) */
} KsTransferPrices;

/* The table's transfer prices (AWS's, which GCP and Azure resemble). */
const KsTransferPrices *ks_prices_transfer(void);

/* How many machine types the table holds, and the @i-th (0-based) as a new
 * plan type (free with ks_plan_node_type_free()); its loc is {0, 0}. */
size_t ks_prices_n_types(void);
KsPlanNodeType *ks_prices_type_new(size_t i);

/* The index of the table's type called @name, or -1. */
int ks_prices_find(const char *name);

/* The provider of the @i-th type: "aws", "gcp", "azure" or "onprem". */
const char *ks_prices_provider(size_t i);
