/* hb-config-fields.c: the one validator for thread config fields, and their normalised JSON
 * form. Every source of config (updates, stored JSON, the daemon's [defaults]) goes through it.
 */
#include "config.h"

#include <math.h>
#include <string.h>

#include "hb-config-private.h"
#include "hb-duration.h"
#include "hb-error.h"
#include "hb-schedule.h"

#define HB_MODEL_MAX 200

const char *const hb_thread_config_fields[] = {
  "enabled", "every", "target", "model", "max_tokens", "temperature", "dry_run",
  "active_hours_start", "active_hours_end", "timezone", NULL,
};

G_STATIC_ASSERT (G_N_ELEMENTS (hb_thread_config_fields) == HB_N_FIELDS + 1);

int
hb_config_field_lookup (const char *name)
{
  for (int i = 0; i < HB_N_FIELDS; i++)
    if (strcmp (name, hb_thread_config_fields[i]) == 0)
      return i;
  return -1;
}

gboolean
hb_config_model_name_valid (const char *model, GError **error)
{
  gsize len = model != NULL ? strlen (model) : 0;

  if (len > HB_MODEL_MAX)
    {
      g_set_error (error, HB_ERROR, HB_ERROR_INVALID_CONFIG,
                   "must be at most %d bytes (got %" G_GSIZE_FORMAT ")", HB_MODEL_MAX, len);
      return FALSE;
    }
  if (len > 0 && !g_utf8_validate (model, len, NULL))
    {
      g_set_error_literal (error, HB_ERROR, HB_ERROR_INVALID_CONFIG, "must be valid UTF-8");
      return FALSE;
    }
  for (const char *p = model; p != NULL && *p != '\0'; p = g_utf8_next_char (p))
    if (g_unichar_iscntrl (g_utf8_get_char (p)))
      {
        g_set_error_literal (error, HB_ERROR, HB_ERROR_INVALID_CONFIG,
                             "must not contain control characters");
        return FALSE;
      }
  return TRUE;
}

const char *
hb_json_node_kind (JsonNode *node)
{
  GType type;

  switch (JSON_NODE_TYPE (node))
    {
    case JSON_NODE_OBJECT:
      return "object";
    case JSON_NODE_ARRAY:
      return "array";
    case JSON_NODE_NULL:
      return "null";
    case JSON_NODE_VALUE:
    default:
      break;
    }
  type = json_node_get_value_type (node);
  if (type == G_TYPE_BOOLEAN)
    return "boolean";
  if (type == G_TYPE_INT64)
    return "integer";
  if (type == G_TYPE_DOUBLE)
    return "number";
  if (type == G_TYPE_STRING)
    return "string";
  return "value";
}

/* Only read a node through a typed getter after this says yes: the getters convert silently
 * or g_critical on the wrong type. */
static gboolean
hb_node_is (JsonNode *node, GType type)
{
  return JSON_NODE_HOLDS_VALUE (node) && json_node_get_value_type (node) == type;
}

/* An integer field: a JSON integer, or a number without a fractional part (Python writes
 * 1800.0 as easily as 1800). Returns FALSE with @rule set otherwise. */
static gboolean
hb_node_get_whole (JsonNode *node, const char *expected, gint64 *out, char **rule)
{
  double d;

  if (hb_node_is (node, G_TYPE_INT64))
    {
      *out = json_node_get_int (node);
      return TRUE;
    }
  if (!hb_node_is (node, G_TYPE_DOUBLE))
    {
      *rule = g_strdup_printf ("expected %s (got %s)", expected, hb_json_node_kind (node));
      return FALSE;
    }
  d = json_node_get_double (node);
  if (d != floor (d) || d < -9.0e18 || d > 9.0e18)
    {
      *rule = g_strdup_printf ("must be a whole number (got %g)", d);
      return FALSE;
    }
  *out = (gint64) d;
  return TRUE;
}

static gboolean
hb_node_get_string (JsonNode *node, const char **out, char **rule)
{
  if (!hb_node_is (node, G_TYPE_STRING))
    {
      *rule = g_strdup_printf ("expected a string (got %s)", hb_json_node_kind (node));
      return FALSE;
    }
  *out = json_node_get_string (node);
  return TRUE;
}

static gboolean
hb_in_range (gint64 value, gint64 min, gint64 max, const char *unit, char **rule)
{
  if (value >= min && value <= max)
    return TRUE;
  *rule = g_strdup_printf ("must be between %" G_GINT64_FORMAT " and %" G_GINT64_FORMAT "%s (got %"
                           G_GINT64_FORMAT ")", min, max, unit, value);
  return FALSE;
}

static gboolean
hb_apply_every (HbThreadConfig *cfg, JsonNode *node, char **rule)
{
  gint64 seconds;

  if (hb_node_is (node, G_TYPE_STRING))
    {
      g_autoptr(GError) local_error = NULL;
      guint64 parsed;

      if (!hb_parse_duration (json_node_get_string (node), &parsed, &local_error))
        {
          *rule = g_strdup (local_error->message);
          return FALSE;
        }
      seconds = parsed > G_MAXINT64 ? G_MAXINT64 : (gint64) parsed;
    }
  else if (!hb_node_get_whole (node, "integer seconds or a duration string", &seconds, rule))
    return FALSE;

  if (!hb_in_range (seconds, HB_EVERY_MIN, HB_EVERY_MAX, " seconds", rule))
    return FALSE;
  cfg->every = (guint) seconds;
  return TRUE;
}

static gboolean
hb_apply_hhmm (int *slot, gboolean is_start, JsonNode *node, char **rule)
{
  g_autoptr(GError) local_error = NULL;
  const char *str;
  int minutes;

  if (!hb_node_get_string (node, &str, rule))
    return FALSE;
  if (!hb_parse_hhmm (str, &minutes, &local_error))
    {
      *rule = g_strdup (local_error->message);
      return FALSE;
    }
  if (is_start && minutes == 1440)
    {
      *rule = g_strdup ("24:00 is only allowed as an end time");
      return FALSE;
    }
  *slot = minutes;
  return TRUE;
}

gboolean
hb_config_apply_field (HbThreadConfig *cfg, HbField field, JsonNode *node, char **rule)
{
  g_autoptr(GError) local_error = NULL;
  const char *str = NULL;
  gint64 whole;

  switch (field)
    {
    case HB_FIELD_ENABLED:
    case HB_FIELD_DRY_RUN:
      if (!hb_node_is (node, G_TYPE_BOOLEAN))
        {
          *rule = g_strdup_printf ("expected true or false (got %s)", hb_json_node_kind (node));
          return FALSE;
        }
      if (field == HB_FIELD_ENABLED)
        cfg->enabled = json_node_get_boolean (node);
      else
        cfg->dry_run = json_node_get_boolean (node);
      return TRUE;

    case HB_FIELD_EVERY:
      return hb_apply_every (cfg, node, rule);

    case HB_FIELD_TARGET:
      if (!hb_node_get_string (node, &str, rule))
        return FALSE;
      if (strcmp (str, "none") != 0 && strcmp (str, "last") != 0)
        {
          g_autofree char *echo = hb_echo_value (str);

          *rule = g_strdup_printf ("must be \"none\" or \"last\" (got \"%s\")", echo);
          return FALSE;
        }
      cfg->target = strcmp (str, "last") == 0 ? HB_TARGET_LAST : HB_TARGET_NONE;
      return TRUE;

    case HB_FIELD_MODEL:
      if (!hb_node_get_string (node, &str, rule))
        return FALSE;
      if (!hb_config_model_name_valid (str, &local_error))
        {
          *rule = g_strdup (local_error->message);
          return FALSE;
        }
      g_free (cfg->model);
      cfg->model = g_strdup (str);
      return TRUE;

    case HB_FIELD_MAX_TOKENS:
      if (!hb_node_get_whole (node, "an integer", &whole, rule)
          || !hb_in_range (whole, HB_MAX_TOKENS_MIN, HB_MAX_TOKENS_MAX, "", rule))
        return FALSE;
      cfg->max_tokens = (guint) whole;
      return TRUE;

    case HB_FIELD_TEMPERATURE:
      {
        double t;

        if (hb_node_is (node, G_TYPE_DOUBLE))
          t = json_node_get_double (node);
        else if (hb_node_is (node, G_TYPE_INT64))
          t = (double) json_node_get_int (node);
        else
          {
            *rule = g_strdup_printf ("expected a number (got %s)", hb_json_node_kind (node));
            return FALSE;
          }
        if (!(t >= 0.0 && t <= 1.0))
          {
            *rule = g_strdup_printf ("must be between 0 and 1 (got %g)", t);
            return FALSE;
          }
        cfg->temperature = t;
        return TRUE;
      }

    case HB_FIELD_ACTIVE_START:
      return hb_apply_hhmm (&cfg->active_start, TRUE, node, rule);

    case HB_FIELD_ACTIVE_END:
      return hb_apply_hhmm (&cfg->active_end, FALSE, node, rule);

    case HB_FIELD_TIMEZONE:
      {
        g_autoptr(GTimeZone) tz = NULL;

        if (!hb_node_get_string (node, &str, rule))
          return FALSE;
        tz = hb_timezone_lookup (str, &local_error);
        if (tz == NULL)
          {
            *rule = g_strdup (local_error->message);
            return FALSE;
          }
        g_free (cfg->timezone);
        cfg->timezone = g_strdup (strcmp (str, "local") == 0 ? "" : str);
        return TRUE;
      }

    case HB_N_FIELDS:
    default:
      g_assert_not_reached ();
    }
}

JsonNode *
hb_config_field_to_node (const HbThreadConfig *cfg, HbField field)
{
  JsonNode *node = json_node_alloc ();
  int minutes;

  switch (field)
    {
    case HB_FIELD_ENABLED:
      return json_node_init_boolean (node, cfg->enabled);
    case HB_FIELD_EVERY:
      return json_node_init_int (node, cfg->every);
    case HB_FIELD_TARGET:
      return json_node_init_string (node, hb_target_to_string (cfg->target));
    case HB_FIELD_MODEL:
      return json_node_init_string (node, cfg->model != NULL ? cfg->model : "");
    case HB_FIELD_MAX_TOKENS:
      return json_node_init_int (node, cfg->max_tokens);
    case HB_FIELD_TEMPERATURE:
      return json_node_init_double (node, cfg->temperature);
    case HB_FIELD_DRY_RUN:
      return json_node_init_boolean (node, cfg->dry_run);
    case HB_FIELD_ACTIVE_START:
    case HB_FIELD_ACTIVE_END:
      minutes = field == HB_FIELD_ACTIVE_START ? cfg->active_start : cfg->active_end;
      if (minutes < 0 || minutes > 1440)
        return json_node_init_null (node);
      {
        g_autofree char *hhmm = hb_format_hhmm (minutes);

        return json_node_init_string (node, hhmm);
      }
    case HB_FIELD_TIMEZONE:
      return json_node_init_string (node, cfg->timezone != NULL ? cfg->timezone : "");
    case HB_N_FIELDS:
    default:
      g_assert_not_reached ();
    }
}

int
hb_config_check_active_hours (const HbThreadConfig *cfg, char **rule)
{
  if (cfg->active_start >= 0 && cfg->active_end < 0)
    {
      *rule = g_strdup ("required when active_hours_start is set");
      return HB_FIELD_ACTIVE_END;
    }
  if (cfg->active_start < 0 && cfg->active_end >= 0)
    {
      *rule = g_strdup ("required when active_hours_end is set");
      return HB_FIELD_ACTIVE_START;
    }
  if (cfg->active_start >= 0 && cfg->active_start == cfg->active_end)
    {
      g_autofree char *hhmm = hb_format_hhmm (cfg->active_end);

      *rule = g_strdup_printf ("must differ from active_hours_start (both %s); "
                               "use 00:00 to 24:00 for the whole day", hhmm);
      return HB_FIELD_ACTIVE_END;
    }
  return -1;
}
