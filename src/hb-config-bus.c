/* hb-config-bus.c: D-Bus SetConfig changes (a{sv}) to the JSON changes the validator takes.
 *
 * Only the D-Bus types are checked here; values (ranges, names, durations) are left to
 * hb_thread_config_merge() so that a rule has one wording whichever way a change arrives.
 */
#include "config.h"

#include <string.h>

#include "hb-config-private.h"
#include "hb-duration.h"
#include "hb-error.h"

/* An integer change. u is documented; i, x and t are what dynamic languages' bindings send.
 * Only a t too large for JSON is refused here; the merge checks the range of the rest. */
static JsonNode *
hb_variant_integer_node (GVariant *value, guint max, const char *unit, const char *expected,
                         char **rule)
{
  gint64 n;

  if (g_variant_is_of_type (value, G_VARIANT_TYPE_UINT32))
    n = g_variant_get_uint32 (value);
  else if (g_variant_is_of_type (value, G_VARIANT_TYPE_INT32))
    n = g_variant_get_int32 (value);
  else if (g_variant_is_of_type (value, G_VARIANT_TYPE_INT64))
    n = g_variant_get_int64 (value);
  else if (g_variant_is_of_type (value, G_VARIANT_TYPE_UINT64) && g_variant_get_uint64 (value) <= G_MAXINT64)
    n = (gint64) g_variant_get_uint64 (value);
  else if (g_variant_is_of_type (value, G_VARIANT_TYPE_UINT64))
    {
      *rule = g_strdup_printf ("must be at most %u%s (got %" G_GUINT64_FORMAT ")", max, unit,
                               g_variant_get_uint64 (value));
      return NULL;
    }
  else
    {
      *rule = g_strdup_printf ("expected type %s, got %s", expected, g_variant_get_type_string (value));
      return NULL;
    }
  return json_node_init_int (json_node_alloc (), n);
}

/* The JSON form of one change, or NULL with @rule set. */
static JsonNode *
hb_variant_to_node (HbField field, GVariant *value, char **rule)
{
  const char *got = g_variant_get_type_string (value);

  switch (field)
    {
    case HB_FIELD_ENABLED:
    case HB_FIELD_DRY_RUN:
      if (g_variant_is_of_type (value, G_VARIANT_TYPE_BOOLEAN))
        return json_node_init_boolean (json_node_alloc (), g_variant_get_boolean (value));
      *rule = g_strdup_printf ("expected type b (boolean), got %s", got);
      break;

    case HB_FIELD_EVERY:
      if (g_variant_is_of_type (value, G_VARIANT_TYPE_STRING))
        return json_node_init_string (json_node_alloc (), g_variant_get_string (value, NULL));
      return hb_variant_integer_node (value, HB_EVERY_MAX, " seconds",
                                      "u (seconds) or s (duration)", rule);

    case HB_FIELD_MAX_TOKENS:
      return hb_variant_integer_node (value, HB_MAX_TOKENS_MAX, "", "u (integer)", rule);

    case HB_FIELD_TEMPERATURE:
      if (g_variant_is_of_type (value, G_VARIANT_TYPE_DOUBLE))
        return json_node_init_double (json_node_alloc (), g_variant_get_double (value));
      *rule = g_strdup_printf ("expected type d (number), got %s", got);
      break;

    case HB_FIELD_ACTIVE_START:
    case HB_FIELD_ACTIVE_END:
      /* D-Bus has no null: the empty string clears. */
      if (g_variant_is_of_type (value, G_VARIANT_TYPE_STRING)
          && *g_variant_get_string (value, NULL) == '\0')
        return json_node_init_null (json_node_alloc ());
      G_GNUC_FALLTHROUGH;
    case HB_FIELD_TARGET:
    case HB_FIELD_MODEL:
    case HB_FIELD_TIMEZONE:
      if (g_variant_is_of_type (value, G_VARIANT_TYPE_STRING))
        return json_node_init_string (json_node_alloc (), g_variant_get_string (value, NULL));
      *rule = g_strdup_printf ("expected type s (string), got %s", got);
      break;

    case HB_N_FIELDS:
    default:
      g_assert_not_reached ();
    }

  return NULL;
}

JsonObject *
hb_config_changes_from_variant (GVariant *asv, GError **error)
{
  g_autoptr(JsonObject) changes = json_object_new ();
  g_autoptr(GString) problems = g_string_new (NULL);
  GVariantIter iter;
  const char *key;
  GVariant *raw;

  if (asv == NULL || !g_variant_is_of_type (asv, G_VARIANT_TYPE_VARDICT))
    {
      g_set_error (error, HB_ERROR, HB_ERROR_INVALID_CONFIG, "changes: expected type a{sv} (got %s)",
                   asv != NULL ? g_variant_get_type_string (asv) : "nothing");
      return NULL;
    }

  g_variant_iter_init (&iter, asv);
  while (g_variant_iter_next (&iter, "{&sv}", &key, &raw))
    {
      g_autoptr(GVariant) value = raw;
      g_autofree char *rule = NULL;
      g_autofree char *name = NULL;
      int field = hb_config_field_lookup (key);
      JsonNode *node = NULL;

      if (field < 0)
        rule = g_strdup ("unknown field");
      else if ((node = hb_variant_to_node (field, value, &rule)) != NULL)
        {
          json_object_set_member (changes, key, node);
          continue;
        }
      name = hb_echo_value (key);
      g_string_append_printf (problems, "%s%s: %s", problems->len > 0 ? "; " : "", name, rule);
    }

  if (problems->len > 0)
    {
      g_set_error_literal (error, HB_ERROR, HB_ERROR_INVALID_CONFIG, problems->str);
      return NULL;
    }
  return g_steal_pointer (&changes);
}
