/* hb-config-private.h: the per-field validator shared by the config sources (JSON updates,
 * stored JSON, the daemon's [defaults] group). Not part of the public contract. */
#pragma once

#include "hb-config.h"

G_BEGIN_DECLS

/* Indices into hb_thread_config_fields. */
typedef enum {
  HB_FIELD_ENABLED,
  HB_FIELD_EVERY,
  HB_FIELD_TARGET,
  HB_FIELD_MODEL,
  HB_FIELD_MAX_TOKENS,
  HB_FIELD_TEMPERATURE,
  HB_FIELD_DRY_RUN,
  HB_FIELD_ACTIVE_START,
  HB_FIELD_ACTIVE_END,
  HB_FIELD_TIMEZONE,
  HB_N_FIELDS,
} HbField;

/* The index of field @name, or -1. */
int hb_config_field_lookup (const char *name);

/* What a JSON node holds ("string", "integer", "object", ...), for "expected X (got Y)". */
const char *hb_json_node_kind (JsonNode *node);

/* Validate @node (not a JSON null) for @field and store it in @cfg. On failure @cfg is untouched
 * and @rule (newly allocated) says which rule was broken, without the field name. */
gboolean hb_config_apply_field (HbThreadConfig *cfg, HbField field, JsonNode *node, char **rule);

/* The normalised JSON form of one field of @cfg (active hours unset: null). */
JsonNode *hb_config_field_to_node (const HbThreadConfig *cfg, HbField field);

/* The cross-field rule on an effective config: active hours both or neither, and not equal.
 * Returns the field to blame and sets @rule, or returns -1. */
int hb_config_check_active_hours (const HbThreadConfig *cfg, char **rule);

G_END_DECLS
