/* hb-ctl-settings.c: the words of `set` as SetConfig changes. Only the form of each value is
 * checked here; the daemon checks ranges and names (one set of rules, kept in one place). */
#include "config.h"

#include <math.h>
#include <string.h>

#include "hb-ctl.h"
#include "hb-ctl-settings.h"

typedef enum {
  KIND_STRING,
  KIND_DURATION,
  KIND_UINT,
  KIND_DOUBLE,
  KIND_BOOL,
  KIND_HOURS,
} Kind;

typedef struct {
  const char *name;   /* as the user writes it */
  const char *key;    /* SetConfig's key; NULL for active-hours (two keys) */
  Kind kind;
} Setting;

static const Setting settings[] = {
  { "every", "every", KIND_DURATION },
  { "active-hours", NULL, KIND_HOURS },
  { "active-hours-start", "active_hours_start", KIND_STRING },
  { "active-hours-end", "active_hours_end", KIND_STRING },
  { "timezone", "timezone", KIND_STRING },
  { "dry-run", "dry_run", KIND_BOOL },
  { "enabled", "enabled", KIND_BOOL },
  { "target", "target", KIND_STRING },
  { "model", "model", KIND_STRING },
  { "max-tokens", "max_tokens", KIND_UINT },
  { "temperature", "temperature", KIND_DOUBLE },
};

static const char *const setting_names[] = {
  "every", "active-hours", "active-hours-start", "active-hours-end", "timezone", "dry-run",
  "enabled", "target", "model", "max-tokens", "temperature", NULL,
};

G_STATIC_ASSERT (G_N_ELEMENTS (settings) + 1 == G_N_ELEMENTS (setting_names));

const char *const *
hb_ctl_settings_keys (void)
{
  return setting_names;
}

gboolean
hb_ctl_parse_bool (const char *text, gboolean *value)
{
  static const char *const yes[] = { "yes", "true", "on", "1" };
  static const char *const no[] = { "no", "false", "off", "0" };

  for (guint i = 0; i < G_N_ELEMENTS (yes); i++)
    {
      if (g_ascii_strcasecmp (text, yes[i]) == 0 || g_ascii_strcasecmp (text, no[i]) == 0)
        {
          *value = g_ascii_strcasecmp (text, yes[i]) == 0;
          return TRUE;
        }
    }
  return FALSE;
}

static const Setting *
lookup (const char *name)
{
  g_autofree char *dashed = g_strdelimit (g_strdup (name), "_", '-');

  for (guint i = 0; i < G_N_ELEMENTS (settings); i++)
    if (strcmp (settings[i].name, dashed) == 0)
      return &settings[i];
  return NULL;
}

static gboolean
insert (GVariantDict *changes, const Setting *s, const char *key, GVariant *value, GError **error)
{
  g_autoptr(GVariant) owned = g_variant_ref_sink (value);

  if (g_variant_dict_contains (changes, key))
    {
      g_set_error (error, HB_CTL_ERROR, HB_CTL_ERROR_USAGE, "%s: given twice", s->name);
      return FALSE;
    }
  g_variant_dict_insert_value (changes, key, owned);
  return TRUE;
}

static gboolean
add_hours (GVariantDict *changes, const Setting *s, const char *value, GError **error)
{
  g_auto(GStrv) parts = NULL;

  /* Empty: all day again (SetConfig removes both with empty strings). */
  if (value[0] == '\0')
    return insert (changes, s, "active_hours_start", g_variant_new_string (""), error)
           && insert (changes, s, "active_hours_end", g_variant_new_string (""), error);
  parts = g_strsplit (value, "-", -1);
  if (g_strv_length (parts) != 2 || parts[0][0] == '\0' || parts[1][0] == '\0')
    {
      g_set_error (error, HB_CTL_ERROR, HB_CTL_ERROR_FAILED,
                   "%s: expected HH:MM-HH:MM (or nothing for all day), not \"%s\"", s->name, value);
      return FALSE;
    }
  return insert (changes, s, "active_hours_start", g_variant_new_string (parts[0]), error)
         && insert (changes, s, "active_hours_end", g_variant_new_string (parts[1]), error);
}

static GVariant *
parse_value (const Setting *s, const char *value, GError **error)
{
  guint64 n;
  gboolean b;
  double d;
  char *end = NULL;

  switch (s->kind)
    {
    case KIND_STRING:
      return g_variant_new_string (value);
    case KIND_DURATION:
      if (value[0] == '\0')
        break;
      /* The daemon parses durations ("90", "30m", "1h30m"): one parser, one set of rules. */
      return g_variant_new_string (value);
    case KIND_UINT:
      if (!g_ascii_string_to_unsigned (value, 10, 0, G_MAXUINT32, &n, NULL))
        {
          g_set_error (error, HB_CTL_ERROR, HB_CTL_ERROR_FAILED,
                       "%s: expected a whole number, not \"%s\"", s->name, value);
          return NULL;
        }
      return g_variant_new_uint32 ((guint32) n);
    case KIND_DOUBLE:
      d = g_ascii_strtod (value, &end);
      if (value[0] == '\0' || g_ascii_isspace (value[0]) || *end != '\0' || !isfinite (d))
        {
          g_set_error (error, HB_CTL_ERROR, HB_CTL_ERROR_FAILED,
                       "%s: expected a number such as 0.7, not \"%s\"", s->name, value);
          return NULL;
        }
      return g_variant_new_double (d);
    case KIND_BOOL:
      if (!hb_ctl_parse_bool (value, &b))
        {
          g_set_error (error, HB_CTL_ERROR, HB_CTL_ERROR_FAILED,
                       "%s: expected yes or no (true/false, on/off, 1/0), not \"%s\"", s->name,
                       value);
          return NULL;
        }
      return g_variant_new_boolean (b);
    case KIND_HOURS:
    default:
      g_assert_not_reached ();
    }
  g_set_error (error, HB_CTL_ERROR, HB_CTL_ERROR_FAILED, "%s: must not be empty", s->name);
  return NULL;
}

gboolean
hb_ctl_settings_add (GVariantDict *changes, const char *word, GError **error)
{
  const char *eq = strchr (word, '=');
  g_autofree char *name = NULL;
  const char *value;
  const Setting *s;
  GVariant *v;

  if (!g_utf8_validate (word, -1, NULL))
    {
      g_set_error_literal (error, HB_CTL_ERROR, HB_CTL_ERROR_USAGE,
                           "set: arguments must be valid UTF-8");
      return FALSE;
    }
  if (eq == NULL || eq == word)
    {
      g_set_error (error, HB_CTL_ERROR, HB_CTL_ERROR_USAGE,
                   "set: expected key=value, not \"%s\"", word);
      return FALSE;
    }
  name = g_strndup (word, eq - word);
  value = eq + 1;
  s = lookup (name);
  if (s == NULL)
    {
      g_autofree char *known = g_strjoinv (", ", (char **) setting_names);

      g_set_error (error, HB_CTL_ERROR, HB_CTL_ERROR_USAGE, "set: unknown key \"%s\" (known: %s)",
                   name, known);
      return FALSE;
    }
  if (s->kind == KIND_HOURS)
    return add_hours (changes, s, value, error);
  v = parse_value (s, value, error);
  if (v == NULL)
    return FALSE;
  return insert (changes, s, s->key, v, error);
}
