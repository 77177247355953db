/* hb-config.c: per-thread heartbeat configuration: defaults, all-or-nothing merge of updates,
 * best-effort resolution of stored JSON (never fails), and the model chain.
 *
 * Objects are walked with json_object_get_members(), which keeps insertion order (json-glib
 * 1.6's JsonObjectIter does not), so errors come out in the order the fields were given.
 *
 * The override object we store holds normalised values only ("every" as integer seconds,
 * "local" as ""), so what CRT readers find in heartbeat_config_json stays in CRT's shape.
 */
#include "config.h"

#include "hb-json.h"

#include <string.h>

#include "hb-config-private.h"
#include "hb-duration.h"
#include "hb-error.h"

const char *
hb_target_to_string (HbTarget target)
{
  return target == HB_TARGET_LAST ? "last" : "none";
}

HbThreadConfig *
hb_thread_config_new_default (void)
{
  HbThreadConfig *cfg = g_new0 (HbThreadConfig, 1);

  cfg->enabled = TRUE;
  cfg->every = HB_EVERY_DEFAULT;
  cfg->target = HB_TARGET_NONE;
  cfg->model = g_strdup ("");
  cfg->max_tokens = HB_MAX_TOKENS_DEFAULT;
  cfg->temperature = HB_TEMPERATURE_DEFAULT;
  cfg->dry_run = FALSE;
  cfg->active_start = -1;
  cfg->active_end = -1;
  cfg->timezone = g_strdup ("");
  return cfg;
}

HbThreadConfig *
hb_thread_config_copy (const HbThreadConfig *cfg)
{
  HbThreadConfig *copy;

  g_return_val_if_fail (cfg != NULL, NULL);

  copy = g_memdup2 (cfg, sizeof *cfg);
  copy->model = g_strdup (cfg->model != NULL ? cfg->model : "");
  copy->timezone = g_strdup (cfg->timezone != NULL ? cfg->timezone : "");
  return copy;
}

void
hb_thread_config_free (HbThreadConfig *cfg)
{
  if (cfg == NULL)
    return;
  g_free (cfg->model);
  g_free (cfg->timezone);
  g_free (cfg);
}

gboolean
hb_thread_config_equal (const HbThreadConfig *a, const HbThreadConfig *b)
{
  if (a == NULL || b == NULL)
    return a == b;
  return !a->enabled == !b->enabled && a->every == b->every && a->target == b->target
         && g_strcmp0 (a->model, b->model) == 0 && a->max_tokens == b->max_tokens
         && a->temperature == b->temperature && !a->dry_run == !b->dry_run
         && a->active_start == b->active_start && a->active_end == b->active_end
         && g_strcmp0 (a->timezone, b->timezone) == 0;
}

void
hb_field_error_free (HbFieldError *e)
{
  if (e == NULL)
    return;
  g_free (e->field);
  g_free (e->message);
  g_free (e);
}

JsonObject *
hb_thread_config_to_json (const HbThreadConfig *cfg)
{
  JsonObject *obj = json_object_new ();

  g_return_val_if_fail (cfg != NULL, obj);

  for (int i = 0; i < HB_N_FIELDS; i++)
    json_object_set_member (obj, hb_thread_config_fields[i], hb_config_field_to_node (cfg, i));
  return obj;
}

char *
hb_thread_config_to_json_text (const HbThreadConfig *cfg)
{
  GString *out = g_string_sized_new (256);
  int hours[] = { cfg->active_start, cfg->active_end };

  /* Field by field in hb_thread_config_fields' order, as hb_config_field_to_node() has them. */
  G_STATIC_ASSERT (HB_N_FIELDS == 10);
  g_string_append (out, "{\"enabled\":");
  g_string_append (out, cfg->enabled ? "true" : "false");
  g_string_append (out, ",\"every\":");
  hb_json_append_int64 (out, cfg->every);
  g_string_append (out, ",\"target\":");
  hb_json_append_string (out, hb_target_to_string (cfg->target));
  g_string_append (out, ",\"model\":");
  hb_json_append_string (out, cfg->model != NULL ? cfg->model : "");
  g_string_append (out, ",\"max_tokens\":");
  hb_json_append_int64 (out, cfg->max_tokens);
  g_string_append (out, ",\"temperature\":");
  hb_json_append_double (out, cfg->temperature);
  g_string_append (out, ",\"dry_run\":");
  g_string_append (out, cfg->dry_run ? "true" : "false");
  for (guint i = 0; i < G_N_ELEMENTS (hours); i++)
    {
      g_string_append (out, i == 0 ? ",\"active_hours_start\":" : ",\"active_hours_end\":");
      if (hours[i] < 0 || hours[i] > 1440)
        g_string_append (out, "null");
      else
        {
          g_autofree char *hhmm = hb_format_hhmm (hours[i]);

          hb_json_append_string (out, hhmm);
        }
    }
  g_string_append (out, ",\"timezone\":");
  hb_json_append_string (out, cfg->timezone != NULL ? cfg->timezone : "");
  g_string_append_c (out, '}');
  return g_string_free (out, FALSE);
}

/* Apply a stored override object on @defaults. Values that do not validate are skipped and
 * described in @problems (if not NULL); unknown keys and nulls are skipped silently. With
 * @repair, active hours that break the cross-field rule fall back to the defaults' (merge
 * wants to see them broken, to refuse the change). */
static HbThreadConfig *
hb_resolve_internal (const HbThreadConfig *defaults, JsonObject *overrides, gboolean repair,
                     GString *problems)
{
  g_autoptr(HbThreadConfig) builtin = NULL;
  HbThreadConfig *cfg;
  g_autofree char *rule = NULL;
  g_autoptr(GList) names = NULL;
  int field;

  if (defaults == NULL)
    defaults = builtin = hb_thread_config_new_default ();
  cfg = hb_thread_config_copy (defaults);
  if (overrides == NULL)
    return cfg;

  names = json_object_get_members (overrides);
  for (GList *l = names; l != NULL; l = l->next)
    {
      const char *name = l->data;
      JsonNode *node = json_object_get_member (overrides, name);

      field = hb_config_field_lookup (name);

      /* CRT writes every field, null meaning unset; keys we do not know are CRT's business. */
      if (field < 0 || JSON_NODE_HOLDS_NULL (node))
        continue;
      if (!hb_config_apply_field (cfg, field, node, &rule) && problems != NULL)
        g_string_append_printf (problems, "%s%s: %s", problems->len > 0 ? "; " : "", name, rule);
      g_clear_pointer (&rule, g_free);
    }

  field = repair ? hb_config_check_active_hours (cfg, &rule) : -1;
  if (field >= 0)
    {
      if (problems != NULL)
        g_string_append_printf (problems, "%s%s: %s (active hours ignored)",
                                problems->len > 0 ? "; " : "", hb_thread_config_fields[field], rule);
      cfg->active_start = defaults->active_start;
      cfg->active_end = defaults->active_end;
    }
  return cfg;
}

HbThreadConfig *
hb_thread_config_resolve_object (const HbThreadConfig *defaults, JsonObject *overrides)
{
  return hb_resolve_internal (defaults, overrides, TRUE, NULL);
}

/* json-glib says "<data>:3:4: Parse error: unexpected ..."; we say where in plainer words. Its
 * message may quote a token cut in the middle of a UTF-8 sequence, and ours ends up in a D-Bus
 * string property, so it is made valid first. */
static char *
hb_describe_json_error (const char *raw_message)
{
  g_autofree char *message = g_utf8_make_valid (raw_message, -1);
  const char *p = message;
  char *endp = NULL;
  guint64 line;

  if (!g_str_has_prefix (p, "<data>:"))
    return g_strdup_printf ("not valid JSON: %s", message);
  p += strlen ("<data>:");
  line = g_ascii_strtoull (p, &endp, 10);
  if (endp == p || *endp != ':')
    return g_strdup_printf ("not valid JSON: %s", message);
  p = endp + 1;
  while (g_ascii_isdigit (*p))
    p++;
  while (*p == ':' || *p == ' ')
    p++;
  if (g_str_has_prefix (p, "Parse error: "))
    p += strlen ("Parse error: ");
  return g_strdup_printf ("not valid JSON at line %" G_GUINT64_FORMAT ": %s", line, p);
}

HbThreadConfig *
hb_thread_config_resolve (const HbThreadConfig *defaults, const char *overrides_json,
                          char **problem)
{
  g_autoptr(JsonParser) parser = NULL;
  g_autoptr(GError) local_error = NULL;
  g_autoptr(GString) problems = g_string_new (NULL);
  HbThreadConfig *cfg = NULL;
  JsonNode *root;

  if (problem != NULL)
    *problem = NULL;
  if (overrides_json == NULL || *overrides_json == '\0')
    return hb_resolve_internal (defaults, NULL, TRUE, NULL);

  parser = json_parser_new ();
  if (hb_json_text_has_trailing_container (overrides_json, strlen (overrides_json)))
    {
      g_string_append (problems, "heartbeat_config_json: not valid JSON: more than one value");
      cfg = hb_resolve_internal (defaults, NULL, TRUE, NULL);
    }
  else if (!json_parser_load_from_data (parser, overrides_json, -1, &local_error))
    {
      g_autofree char *why = hb_describe_json_error (local_error->message);

      g_string_append_printf (problems, "heartbeat_config_json: %s", why);
      cfg = hb_resolve_internal (defaults, NULL, TRUE, NULL);
    }
  else if ((root = json_parser_get_root (parser)) == NULL || JSON_NODE_HOLDS_NULL (root))
    cfg = hb_resolve_internal (defaults, NULL, TRUE, NULL);   /* blank, or CRT's "null" */
  else if (!JSON_NODE_HOLDS_OBJECT (root))
    {
      g_string_append_printf (problems, "heartbeat_config_json: expected a JSON object (got %s)",
                              hb_json_node_kind (root));
      cfg = hb_resolve_internal (defaults, NULL, TRUE, NULL);
    }
  else
    cfg = hb_resolve_internal (defaults, json_node_get_object (root), TRUE, problems);

  if (problem != NULL && problems->len > 0)
    *problem = g_strdup (problems->str);
  return cfg;
}

static void
hb_field_errors_add (GPtrArray *errors, const char *field, char *message)
{
  HbFieldError *e = g_new0 (HbFieldError, 1);

  e->field = g_strdup (field);
  e->message = message;
  g_ptr_array_add (errors, e);
}

JsonObject *
hb_thread_config_merge (const HbThreadConfig *defaults, JsonObject *overrides, JsonObject *changes,
                        GPtrArray **field_errors, GError **error)
{
  g_autoptr(HbThreadConfig) builtin = NULL;
  g_autoptr(GPtrArray) errors = g_ptr_array_new_with_free_func ((GDestroyNotify) hb_field_error_free);
  g_autoptr(JsonObject) result = json_object_new ();
  g_autoptr(GList) stored_names = NULL;
  g_autoptr(GList) change_names = NULL;

  if (field_errors != NULL)
    *field_errors = NULL;
  if (defaults == NULL)
    defaults = builtin = hb_thread_config_new_default ();

  /* Keep what was stored, normalised; a stored value that no longer validates (or came from
   * CRT as null or as a key we do not know) is dropped, as resolve would ignore it anyway. */
  if (overrides != NULL)
    {
      stored_names = json_object_get_members (overrides);
      for (GList *l = stored_names; l != NULL; l = l->next)
        {
          const char *name = l->data;
          JsonNode *node = json_object_get_member (overrides, name);
          g_autoptr(HbThreadConfig) scratch = hb_thread_config_copy (defaults);
          g_autofree char *rule = NULL;
          int field = hb_config_field_lookup (name);

          if (field >= 0 && !JSON_NODE_HOLDS_NULL (node)
              && hb_config_apply_field (scratch, field, node, &rule))
            json_object_set_member (result, name, hb_config_field_to_node (scratch, field));
        }
    }

  if (changes != NULL)
    {
      change_names = json_object_get_members (changes);
      for (GList *l = change_names; l != NULL; l = l->next)
        {
          const char *name = l->data;
          JsonNode *node = json_object_get_member (changes, name);
          g_autoptr(HbThreadConfig) scratch = hb_thread_config_copy (defaults);
          char *rule = NULL;
          int field = hb_config_field_lookup (name);

          if (field < 0)
            {
              g_autofree char *echo = hb_echo_value (name);

              hb_field_errors_add (errors, echo, g_strdup ("unknown field"));
            }
          else if (JSON_NODE_HOLDS_NULL (node))
            json_object_remove_member (result, name);
          else if (hb_config_apply_field (scratch, field, node, &rule))
            json_object_set_member (result, name, hb_config_field_to_node (scratch, field));
          else
            hb_field_errors_add (errors, name, rule);
        }
    }

  if (errors->len == 0)
    {
      g_autoptr(HbThreadConfig) merged = hb_resolve_internal (defaults, result, FALSE, NULL);
      char *rule = NULL;
      int field = hb_config_check_active_hours (merged, &rule);

      if (field >= 0)
        hb_field_errors_add (errors, hb_thread_config_fields[field], rule);
    }

  if (errors->len > 0)
    {
      g_autoptr(GString) text = g_string_new (NULL);

      for (guint i = 0; i < errors->len; i++)
        {
          HbFieldError *e = g_ptr_array_index (errors, i);

          g_string_append_printf (text, "%s%s: %s", i > 0 ? "; " : "", e->field, e->message);
        }
      g_set_error_literal (error, HB_ERROR, HB_ERROR_INVALID_CONFIG, text->str);
      if (field_errors != NULL)
        *field_errors = g_steal_pointer (&errors);
      return NULL;
    }
  return g_steal_pointer (&result);
}

char *
hb_config_overrides_to_string (JsonObject *overrides)
{
  g_autoptr(JsonNode) root = json_node_new (JSON_NODE_OBJECT);
  g_autoptr(JsonObject) empty = NULL;

  if (overrides == NULL)
    overrides = empty = json_object_new ();
  json_node_set_object (root, overrides);
  return json_to_string (root, FALSE);
}

const char *
hb_config_effective_model (const HbThreadConfig *cfg, const char *daemon_default)
{
  const char *env;

  if (cfg != NULL && cfg->model != NULL && *cfg->model != '\0')
    return cfg->model;
  if (daemon_default != NULL && *daemon_default != '\0')
    return daemon_default;
  env = g_getenv ("CRT_OLLAMA_MODEL");
  if (env != NULL && *env != '\0')
    return env;
  return HB_DEFAULT_MODEL;
}
