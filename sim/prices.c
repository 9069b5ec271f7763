/* SPDX-License-Identifier: MIT */
/*
 * prices.c - the price table (see prices.h and docs/prices.md).
 *
 * One row per machine type: vCPUs, memory, the network bandwidth and the
 * disk (block storage) throughput the provider states as the type's
 * baseline, the volume a broker gets by default (1 TB; the cloud types have
 * no local disk), the on-demand price per hour, and the price of that
 * volume per GB-month (AWS gp3, GCP pd-balanced, Azure Premium SSD v2's
 * capacity price). Burst figures ("up to 10 Gbit/s") are not used: a broker
 * under sustained load gets the baseline. The on-premises type is our own
 * assumption, stated in docs/prices.md: a 16-core server with 64 GB, a
 * 10 Gbit/s NIC and local NVMe, its purchase, power and space spread over
 * three years, storage included in the machine price.
 *
 * Read-only data: nothing here changes during a run.
 */
#include "kafkasim/prices.h"

#include <string.h>

#include <glib.h>

#define GB     ((int64_t)1000 * 1000 * 1000)
#define GIB    ((int64_t)1024 * 1024 * 1024)
#define MBIT_S ((int64_t)1000 * 1000 / 8) /* bytes per second */
#define MB_S   ((int64_t)1000 * 1000)
#define TB     ((int64_t)1000 * GB)

typedef struct {
    const char *name;
    const char *provider;
    int64_t vcpus;
    int64_t memory_gib;
    int64_t network_mbit_s;
    int64_t disk_mb_s;
    int64_t price_micro_usd_per_h;
    int64_t storage_micro_usd_per_gb_month;
} PriceRow;

/* clang-format off */
static const PriceRow rows[] = {
    /* AWS EC2, us-east-1, Linux on demand; network and EBS baselines. */
    {"m5.large",          "aws",    2,   8,   750,   81,    96000, 80000},
    {"m5.xlarge",         "aws",    4,  16,  1250,  143,   192000, 80000},
    {"m5.2xlarge",        "aws",    8,  32,  2500,  287,   384000, 80000},
    {"m5.4xlarge",        "aws",   16,  64,  5000,  593,   768000, 80000},
    {"m6i.large",         "aws",    2,   8,   781,   81,    96000, 80000},
    {"m6i.xlarge",        "aws",    4,  16,  1562,  156,   192000, 80000},
    {"m6i.2xlarge",       "aws",    8,  32,  3125,  312,   384000, 80000},
    {"m6i.4xlarge",       "aws",   16,  64,  6250,  625,   768000, 80000},
    {"r5.large",          "aws",    2,  16,   750,   81,   126000, 80000},
    {"r5.xlarge",         "aws",    4,  32,  1250,  143,   252000, 80000},
    {"r5.2xlarge",        "aws",    8,  64,  2500,  287,   504000, 80000},
    {"r5.4xlarge",        "aws",   16, 128,  5000,  593,  1008000, 80000},
    /* GCP Compute Engine, us-central1; egress cap and pd-balanced limit. */
    {"n2-standard-2",     "gcp",    2,   8, 10000,  240,    97118, 100000},
    {"n2-standard-4",     "gcp",    4,  16, 10000,  240,   194236, 100000},
    {"n2-standard-8",     "gcp",    8,  32, 16000,  800,   388472, 100000},
    {"n2-standard-16",    "gcp",   16,  64, 32000, 1200,   776944, 100000},
    /* Azure, East US, Linux pay as you go; uncached disk throughput. */
    {"Standard_D2s_v5",   "azure",  2,   8, 12500,   85,    96000, 81000},
    {"Standard_D4s_v5",   "azure",  4,  16, 12500,  145,   192000, 81000},
    {"Standard_D8s_v5",   "azure",  8,  32, 12500,  290,   384000, 81000},
    {"Standard_D16s_v5",  "azure", 16,  64, 12500,  600,   768000, 81000},
    /* Our own on-premises server (docs/prices.md). */
    {"onprem",            "onprem", 16, 64, 10000, 2000,   350000,     0},
};
/* clang-format on */

static const KsTransferPrices transfer = {
    .within_zone = 0,
    .across_zones = 20000,
    .across_sites = 20000,
    .internet = 90000,
};

const KsTransferPrices *ks_prices_transfer(void)
{
    return &transfer;
}

size_t ks_prices_n_types(void)
{
    return G_N_ELEMENTS(rows);
}

KsPlanNodeType *ks_prices_type_new(size_t i)
{
    g_return_val_if_fail(i < G_N_ELEMENTS(rows), NULL);
    const PriceRow *r = &rows[i];
    KsPlanNodeType *t = g_new0(KsPlanNodeType, 1);
    t->name = g_strdup(r->name);
    t->vcpus = r->vcpus;
    t->memory_bytes = r->memory_gib * GIB;
    t->network_bytes_per_s = r->network_mbit_s * MBIT_S;
    t->disk_bytes_per_s = r->disk_mb_s * MB_S;
    t->disk_bytes = strcmp(r->provider, "onprem") == 0 ? 4 * TB : TB;
    t->price_micro_usd_per_h = r->price_micro_usd_per_h;
    t->storage_micro_usd_per_gb_month = r->storage_micro_usd_per_gb_month;
    return t;
}

int ks_prices_find(const char *name)
{
    for (size_t i = 0; i < G_N_ELEMENTS(rows); i++)
        if (strcmp(rows[i].name, name) == 0)
            return (int)i;
    return -1;
}

const char *ks_prices_provider(size_t i)
{
    g_return_val_if_fail(i < G_N_ELEMENTS(rows), NULL);
    return rows[i].provider;
}
