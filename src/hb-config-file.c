/* hb-config-file.c: the daemon's own configuration file (GKeyFile).
 *
 * Keys are described by one table (group, key, kind, limits, where the value goes) so that every
 * key is parsed, range-checked and reported the same way: "[group] key: rule". Every error is
 * collected before failing, so one edit fixes a file. The [defaults] group goes through the
 * thread config validator itself.
 */
#include "config.h"

#include <string.h>

#include "hb-config-private.h"
#include "hb-duration.h"
#include "hb-error.h"

#define HB_KIB 1024
#define HB_MIB (1024 * 1024)

typedef enum {
  HB_KEY_PATH,        /* string; "" means unset (NULL) */
  HB_KEY_BOOL,
  HB_KEY_UINT,        /* guint, plain integer */
  HB_KEY_SIZE,        /* gsize, bytes */
  HB_KEY_SECONDS,     /* guint, integer seconds or a duration */
  HB_KEY_BACKEND_KIND,
  HB_KEY_URL,
  HB_KEY_MODEL,
  HB_KEY_KEEP_ALIVE,
  HB_KEY_LISTEN,
} HbKeyKind;

typedef struct {
  const char *group;
  const char *key;
  HbKeyKind kind;
  gsize offset;
  guint64 min;
  guint64 max;
} HbKeySpec;

#define HB_AT(member) G_STRUCT_OFFSET (HbDaemonConfig, member)

static const HbKeySpec hb_keys[] = {
  { "daemon", "enabled", HB_KEY_BOOL, HB_AT (enabled), 0, 0 },
  { "daemon", "database", HB_KEY_PATH, HB_AT (database), 0, 0 },
  { "daemon", "ledger-database", HB_KEY_PATH, HB_AT (ledger_database), 0, 0 },
  { "daemon", "memory-database", HB_KEY_PATH, HB_AT (memory_database), 0, 0 },
  { "daemon", "workspace", HB_KEY_PATH, HB_AT (workspace), 0, 0 },
  { "daemon", "max-concurrent", HB_KEY_UINT, HB_AT (max_concurrent), 1, 64 },
  { "daemon", "prompt-max-bytes", HB_KEY_SIZE, HB_AT (prompt_max_bytes), 4 * HB_KIB, 16 * HB_MIB },
  { "daemon", "skip-unchanged", HB_KEY_BOOL, HB_AT (skip_unchanged), 0, 0 },
  { "daemon", "offset-max", HB_KEY_SECONDS, HB_AT (offset_max), 0, 86400 },
  { "daemon", "breaker-threshold", HB_KEY_UINT, HB_AT (breaker_threshold), 1, 1000 },
  { "backend", "kind", HB_KEY_BACKEND_KIND, HB_AT (backend_kind), 0, 0 },
  { "backend", "url", HB_KEY_URL, HB_AT (backend_url), 0, 0 },
  { "backend", "api-key-file", HB_KEY_PATH, HB_AT (api_key_file), 0, 0 },
  { "backend", "model", HB_KEY_MODEL, HB_AT (default_model), 0, 0 },
  { "backend", "connect-timeout", HB_KEY_SECONDS, HB_AT (connect_timeout), 1, 3600 },
  { "backend", "headers-timeout", HB_KEY_SECONDS, HB_AT (headers_timeout), 1, 86400 },
  { "backend", "total-timeout", HB_KEY_SECONDS, HB_AT (total_timeout), 1, 86400 },
  { "backend", "max-body", HB_KEY_SIZE, HB_AT (max_body), 1 * HB_KIB, 256 * HB_MIB },
  { "backend", "keep-alive", HB_KEY_KEEP_ALIVE, HB_AT (keep_alive), 0, 0 },
  { "backend", "stream", HB_KEY_BOOL, HB_AT (stream), 0, 0 },
  { "backend", "retries", HB_KEY_UINT, HB_AT (retries), 0, 10 },
  { "budgets", "post-interval", HB_KEY_SECONDS, HB_AT (post_interval), 0, 7 * 86400 },
  { "budgets", "comment-interval", HB_KEY_SECONDS, HB_AT (comment_interval), 0, 86400 },
  { "budgets", "comments-per-day", HB_KEY_UINT, HB_AT (comments_per_day), 0, 10000 },
  { "http", "listen", HB_KEY_LISTEN, HB_AT (http_listen), 0, 0 },
};

static const char *const hb_groups[] = { "daemon", "backend", "defaults", "budgets", "http", NULL };

gboolean
hb_parse_bool (const char *str, gboolean *out)
{
  static const char *const yes[] = { "1", "true", "yes", "on" };
  static const char *const no[] = { "0", "false", "no", "off" };

  if (str == NULL)
    return FALSE;
  for (gsize i = 0; i < G_N_ELEMENTS (yes); i++)
    {
      if (g_ascii_strcasecmp (str, yes[i]) == 0 || g_ascii_strcasecmp (str, no[i]) == 0)
        {
          *out = g_ascii_strcasecmp (str, yes[i]) == 0;
          return TRUE;
        }
    }
  return FALSE;
}

HbDaemonConfig *
hb_daemon_config_new_default (void)
{
  HbDaemonConfig *cfg = g_new0 (HbDaemonConfig, 1);

  cfg->enabled = FALSE;
  cfg->max_concurrent = 1;
  cfg->prompt_max_bytes = 32768;
  cfg->skip_unchanged = TRUE;
  cfg->offset_max = 300;
  cfg->breaker_threshold = 3;
  cfg->backend_kind = g_strdup ("ollama");
  cfg->default_model = g_strdup ("");
  cfg->connect_timeout = 10;
  cfg->headers_timeout = 300;
  cfg->total_timeout = 600;
  cfg->max_body = HB_MIB;
  cfg->keep_alive = g_strdup ("30m");
  cfg->stream = FALSE;
  cfg->retries = 2;
  cfg->post_interval = 1800;
  cfg->comment_interval = 20;
  cfg->comments_per_day = 50;
  cfg->defaults = hb_thread_config_new_default ();
  return cfg;
}

void
hb_daemon_config_free (HbDaemonConfig *cfg)
{
  if (cfg == NULL)
    return;
  g_free (cfg->database);
  g_free (cfg->ledger_database);
  g_free (cfg->memory_database);
  g_free (cfg->workspace);
  g_free (cfg->backend_kind);
  g_free (cfg->backend_url);
  g_free (cfg->api_key_file);
  g_free (cfg->default_model);
  g_free (cfg->keep_alive);
  g_free (cfg->http_listen);
  hb_thread_config_free (cfg->defaults);
  g_free (cfg);
}

static gboolean
hb_has_control_chars (const char *str)
{
  for (const char *p = str; *p != '\0'; p++)
    if ((guchar) *p < 0x20 || *p == 0x7f)
      return TRUE;
  return FALSE;
}

/* "host:port", "[v6]:port"; port 0 (any free port) is allowed for tests. */
static gboolean
hb_listen_valid (const char *str)
{
  const char *colon = strrchr (str, ':');
  g_autofree char *host = NULL;
  guint64 port;

  if (colon == NULL || colon == str
      || !g_ascii_string_to_unsigned (colon + 1, 10, 0, 65535, &port, NULL))
    return FALSE;
  host = g_strndup (str, colon - str);
  if (strchr (host, ':') != NULL)
    return host[0] == '[' && host[strlen (host) - 1] == ']' && strlen (host) > 2;
  return strchr (host, '[') == NULL && strchr (host, ']') == NULL;
}

/* Ollama reads keep_alive with Go's time.ParseDuration (no "d", no bare numbers, negative means
 * keep loaded forever), so we store a form it accepts. */
static char *
hb_keep_alive_normalise (const char *str, char **rule)
{
  g_autoptr(GError) local_error = NULL;
  guint64 seconds;

  if (str[0] == '-')
    {
      if (!hb_parse_duration (str + 1, &seconds, &local_error))
        {
          *rule = g_strdup (local_error->message);
          return NULL;
        }
      return g_strdup ("-1m");
    }
  if (!hb_parse_duration (str, &seconds, &local_error))
    {
      *rule = g_strdup (local_error->message);
      return NULL;
    }
  if (seconds % 3600 == 0 && seconds > 0)
    return g_strdup_printf ("%" G_GUINT64_FORMAT "h", seconds / 3600);
  if (seconds % 60 == 0 && seconds > 0)
    return g_strdup_printf ("%" G_GUINT64_FORMAT "m", seconds / 60);
  return g_strdup_printf ("%" G_GUINT64_FORMAT "s", seconds);
}

static gboolean
hb_url_valid (const char *str)
{
  g_autoptr(GUri) uri = g_uri_parse (str, G_URI_FLAGS_NONE, NULL);
  const char *scheme, *host;

  if (uri == NULL)
    return FALSE;
  scheme = g_uri_get_scheme (uri);
  host = g_uri_get_host (uri);
  return (g_ascii_strcasecmp (scheme, "http") == 0 || g_ascii_strcasecmp (scheme, "https") == 0)
         && host != NULL && *host != '\0';
}

static void
hb_set_string (HbDaemonConfig *cfg, gsize offset, char *value)
{
  char **slot = G_STRUCT_MEMBER_P (cfg, offset);

  g_free (*slot);
  *slot = value;
}

/* Parse @value for @spec into @cfg, or return the broken rule. */
static char *
hb_apply_key (HbDaemonConfig *cfg, const HbKeySpec *spec, const char *value)
{
  g_autoptr(GError) local_error = NULL;
  g_autofree char *echo = hb_echo_value (value);
  char *rule = NULL;
  gboolean b;
  guint64 n;

  switch (spec->kind)
    {
    case HB_KEY_BOOL:
      if (!hb_parse_bool (value, &b))
        return g_strdup_printf ("expected true or false (got \"%s\")", echo);
      G_STRUCT_MEMBER (gboolean, cfg, spec->offset) = b;
      if (spec->offset == HB_AT (enabled))
        cfg->enabled_set = TRUE;
      return NULL;

    case HB_KEY_UINT:
    case HB_KEY_SIZE:
    case HB_KEY_SECONDS:
      if (spec->kind == HB_KEY_SECONDS)
        {
          if (!hb_parse_duration (value, &n, &local_error))
            return g_strdup (local_error->message);
        }
      else if (!g_ascii_string_to_unsigned (value, 10, 0, G_MAXUINT64, &n, NULL))
        return g_strdup_printf ("expected a whole number (got \"%s\")", echo);
      if (n < spec->min || n > spec->max)
        return g_strdup_printf ("must be between %" G_GUINT64_FORMAT " and %" G_GUINT64_FORMAT
                                "%s (got %" G_GUINT64_FORMAT ")", spec->min, spec->max,
                                spec->kind == HB_KEY_SECONDS ? " seconds"
                                : spec->kind == HB_KEY_SIZE ? " bytes" : "", n);
      if (spec->kind == HB_KEY_SIZE)
        G_STRUCT_MEMBER (gsize, cfg, spec->offset) = n;
      else
        G_STRUCT_MEMBER (guint, cfg, spec->offset) = (guint) n;
      return NULL;

    case HB_KEY_PATH:
      if (hb_has_control_chars (value))
        return g_strdup ("must not contain control characters");
      hb_set_string (cfg, spec->offset, *value != '\0' ? g_strdup (value) : NULL);
      return NULL;

    case HB_KEY_BACKEND_KIND:
      if (strcmp (value, "ollama") != 0 && strcmp (value, "openai") != 0)
        return g_strdup_printf ("must be \"ollama\" or \"openai\" (got \"%s\")", echo);
      hb_set_string (cfg, spec->offset, g_strdup (value));
      return NULL;

    case HB_KEY_URL:
      if (*value != '\0' && !hb_url_valid (value))
        return g_strdup_printf ("must be an http:// or https:// URL with a host (got \"%s\")", echo);
      hb_set_string (cfg, spec->offset, *value != '\0' ? g_strdup (value) : NULL);
      return NULL;

    case HB_KEY_MODEL:
      if (!hb_config_model_name_valid (value, &local_error))
        return g_strdup (local_error->message);
      hb_set_string (cfg, spec->offset, g_strdup (value));
      return NULL;

    case HB_KEY_KEEP_ALIVE:
      {
        char *normalised = hb_keep_alive_normalise (value, &rule);

        if (normalised == NULL)
          return rule;
        hb_set_string (cfg, spec->offset, normalised);
        return NULL;
      }

    case HB_KEY_LISTEN:
      if (*value != '\0' && !hb_listen_valid (value))
        return g_strdup_printf ("expected host:port, e.g. 127.0.0.1:8080 (got \"%s\")", echo);
      hb_set_string (cfg, spec->offset, *value != '\0' ? g_strdup (value) : NULL);
      return NULL;

    default:
      g_assert_not_reached ();
    }
}

static void
hb_add_error (GString *errors, const char *group, const char *key, const char *rule)
{
  g_string_append_printf (errors, "%s[%s] %s: %s", errors->len > 0 ? "; " : "", group, key, rule);
}

/* [defaults] values are strings in a key file; give the validator the JSON types it expects. */
static JsonNode *
hb_defaults_value_to_node (HbField field, const char *value, char **rule)
{
  JsonNode *node = json_node_alloc ();
  g_autofree char *echo = hb_echo_value (value);
  gboolean b;
  gint64 n;
  double d;
  char *end = NULL;

  switch (field)
    {
    case HB_FIELD_ENABLED:
    case HB_FIELD_DRY_RUN:
      if (hb_parse_bool (value, &b))
        return json_node_init_boolean (node, b);
      *rule = g_strdup_printf ("expected true or false (got \"%s\")", echo);
      break;
    case HB_FIELD_MAX_TOKENS:
      if (g_ascii_string_to_signed (value, 10, G_MININT64, G_MAXINT64, &n, NULL))
        return json_node_init_int (node, n);
      *rule = g_strdup_printf ("expected an integer (got \"%s\")", echo);
      break;
    case HB_FIELD_TEMPERATURE:
      d = g_ascii_strtod (value, &end);
      if (*value != '\0' && end != NULL && *end == '\0' && !g_ascii_isspace (*value))
        return json_node_init_double (node, d);
      *rule = g_strdup_printf ("expected a number (got \"%s\")", echo);
      break;
    case HB_FIELD_ACTIVE_START:
    case HB_FIELD_ACTIVE_END:
      if (*value == '\0')
        return json_node_init_null (node);
      return json_node_init_string (node, value);
    case HB_FIELD_EVERY:
    case HB_FIELD_TARGET:
    case HB_FIELD_MODEL:
    case HB_FIELD_TIMEZONE:
    case HB_N_FIELDS:
    default:
      return json_node_init_string (node, value);
    }
  json_node_free (node);
  return NULL;
}

static void
hb_load_defaults (HbDaemonConfig *cfg, GKeyFile *kf, const char *source, GString *errors)
{
  g_auto(GStrv) keys = g_key_file_get_keys (kf, "defaults", NULL, NULL);
  g_autoptr(JsonObject) changes = json_object_new ();
  g_autoptr(GPtrArray) field_errors = NULL;
  g_autoptr(JsonObject) overrides = NULL;

  for (gsize i = 0; keys != NULL && keys[i] != NULL; i++)
    {
      g_autoptr(GError) local_error = NULL;
      g_autofree char *value = NULL;
      g_autofree char *rule = NULL;
      int field = hb_config_field_lookup (keys[i]);
      JsonNode *node;

      if (field < 0)
        {
          g_warning ("%s: unknown key %s in [defaults] ignored", source, keys[i]);
          continue;
        }
      value = g_key_file_get_string (kf, "defaults", keys[i], &local_error);
      if (value == NULL)
        hb_add_error (errors, "defaults", keys[i], local_error->message);
      else if ((node = hb_defaults_value_to_node (field, value, &rule)) == NULL)
        hb_add_error (errors, "defaults", keys[i], rule);
      else
        json_object_set_member (changes, keys[i], node);
    }

  /* The built-in defaults are the base; the merge applies the cross-field rules too. */
  overrides = hb_thread_config_merge (NULL, NULL, changes, &field_errors, NULL);
  if (overrides == NULL)
    {
      for (guint i = 0; field_errors != NULL && i < field_errors->len; i++)
        {
          HbFieldError *e = g_ptr_array_index (field_errors, i);

          hb_add_error (errors, "defaults", e->field, e->message);
        }
      return;
    }
  hb_thread_config_free (cfg->defaults);
  cfg->defaults = hb_thread_config_resolve_object (NULL, overrides);
}

static void
hb_check_backend (HbDaemonConfig *cfg, GString *errors)
{
  g_autofree char *rule = NULL;

  if (cfg->headers_timeout > cfg->total_timeout || cfg->connect_timeout > cfg->total_timeout)
    {
      rule = g_strdup_printf ("must be at least connect-timeout (%u) and headers-timeout (%u)",
                              cfg->connect_timeout, cfg->headers_timeout);
      hb_add_error (errors, "backend", "total-timeout", rule);
    }
  if (strcmp (cfg->backend_kind, "openai") == 0 && cfg->backend_url == NULL)
    hb_add_error (errors, "backend", "url", "required when kind=openai");
}

static HbDaemonConfig *
hb_daemon_config_parse (const char *data, const char *source, GError **error)
{
  g_autoptr(GKeyFile) kf = g_key_file_new ();
  g_autoptr(GError) local_error = NULL;
  g_autoptr(HbDaemonConfig) cfg = hb_daemon_config_new_default ();
  g_autoptr(GString) errors = g_string_new (NULL);
  g_auto(GStrv) groups = NULL;

  if (!g_key_file_load_from_data (kf, data, (gsize) -1, G_KEY_FILE_NONE, &local_error))
    {
      g_set_error (error, HB_ERROR, HB_ERROR_INVALID_CONFIG, "%s: not a valid key file: %s",
                   source, local_error->message);
      return NULL;
    }

  groups = g_key_file_get_groups (kf, NULL);
  for (gsize g = 0; groups[g] != NULL; g++)
    {
      g_auto(GStrv) keys = NULL;

      if (!g_strv_contains (hb_groups, groups[g]))
        {
          g_warning ("%s: unknown group [%s] ignored", source, groups[g]);
          continue;
        }
      if (strcmp (groups[g], "defaults") == 0)
        {
          hb_load_defaults (cfg, kf, source, errors);
          continue;
        }
      keys = g_key_file_get_keys (kf, groups[g], NULL, NULL);
      for (gsize k = 0; keys != NULL && keys[k] != NULL; k++)
        {
          const HbKeySpec *spec = NULL;
          g_autofree char *value = NULL;
          g_autofree char *rule = NULL;

          for (gsize i = 0; i < G_N_ELEMENTS (hb_keys) && spec == NULL; i++)
            if (strcmp (hb_keys[i].group, groups[g]) == 0 && strcmp (hb_keys[i].key, keys[k]) == 0)
              spec = &hb_keys[i];
          if (spec == NULL)
            {
              g_warning ("%s: unknown key %s in [%s] ignored", source, keys[k], groups[g]);
              continue;
            }
          value = g_key_file_get_string (kf, groups[g], keys[k], &local_error);
          if (value == NULL)
            {
              hb_add_error (errors, groups[g], keys[k], local_error->message);
              g_clear_error (&local_error);
              continue;
            }
          rule = hb_apply_key (cfg, spec, value);
          if (rule != NULL)
            hb_add_error (errors, groups[g], keys[k], rule);
        }
    }

  if (errors->len == 0)
    hb_check_backend (cfg, errors);
  if (errors->len > 0)
    {
      g_set_error (error, HB_ERROR, HB_ERROR_INVALID_CONFIG, "%s: %s", source, errors->str);
      return NULL;
    }
  return g_steal_pointer (&cfg);
}

HbDaemonConfig *
hb_daemon_config_load_from_data (const char *data, GError **error)
{
  g_return_val_if_fail (data != NULL, NULL);

  return hb_daemon_config_parse (data, "config", error);
}

HbDaemonConfig *
hb_daemon_config_load (const char *path, gboolean must_exist, GError **error)
{
  g_autoptr(GError) local_error = NULL;
  g_autofree char *data = NULL;

  g_return_val_if_fail (path != NULL, NULL);

  if (!g_file_get_contents (path, &data, NULL, &local_error))
    {
      if (!must_exist && g_error_matches (local_error, G_FILE_ERROR, G_FILE_ERROR_NOENT))
        return hb_daemon_config_new_default ();
      g_propagate_error (error, g_steal_pointer (&local_error));
      return NULL;
    }
  return hb_daemon_config_parse (data, path, error);
}
