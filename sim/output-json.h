/* SPDX-License-Identifier: MIT */
/*
 * output-json.h - object members for the JSON views (trace, summary), each
 * a key and its value in one call, so key order stays the order of calls.
 * Private to sim/.
 */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <json-glib/json-glib.h>

#include "kafkasim/types.h"

void ks_json_int(JsonBuilder *b, const char *key, int64_t value);
void ks_json_bool(JsonBuilder *b, const char *key, bool value);
/* A string, or null for NULL. */
void ks_json_str(JsonBuilder *b, const char *key, const char *value);
/* A broker id, or null for KS_NO_BROKER. */
void ks_json_broker(JsonBuilder *b, const char *key, KsBrokerId id);
/* An array of broker ids, in the order given. */
void ks_json_ids(JsonBuilder *b, const char *key, const KsBrokerId *ids, size_t n);

/* "topics": every topic's partitions with leader, epoch, replicas, ISR and
 * offsets, as the summary JSON has them (output-summary.c). */
void ks_json_topics(JsonBuilder *b, const KsSim *sim);
