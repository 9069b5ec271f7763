/* SPDX-License-Identifier: MIT */
/*
 * output-json.c - object members for the JSON views (see output-json.h).
 */
#include "output-json.h"

void ks_json_int(JsonBuilder *b, const char *key, int64_t value)
{
    json_builder_set_member_name(b, key);
    json_builder_add_int_value(b, value);
}

void ks_json_bool(JsonBuilder *b, const char *key, bool value)
{
    json_builder_set_member_name(b, key);
    json_builder_add_boolean_value(b, value);
}

void ks_json_str(JsonBuilder *b, const char *key, const char *value)
{
    json_builder_set_member_name(b, key);
    if (value)
        json_builder_add_string_value(b, value);
    else
        json_builder_add_null_value(b);
}

void ks_json_broker(JsonBuilder *b, const char *key, KsBrokerId id)
{
    json_builder_set_member_name(b, key);
    if (id == KS_NO_BROKER)
        json_builder_add_null_value(b);
    else
        json_builder_add_int_value(b, id);
}

void ks_json_ids(JsonBuilder *b, const char *key, const KsBrokerId *ids, size_t n)
{
    json_builder_set_member_name(b, key);
    json_builder_begin_array(b);
    for (size_t i = 0; i < n; i++)
        json_builder_add_int_value(b, ids[i]);
    json_builder_end_array(b);
}
