/* fuzz-config: a thread's stored overrides and a change set -> hb_thread_config_merge().
 *
 * Input: the stored override JSON, a NUL byte, then the changes: a JSON object, or else the
 * bytes of a serialised D-Bus a{sv} (as SetConfig receives it). Promises checked:
 *  - resolving any stored text gives a config within every field's range;
 *  - a merge either fails with HB_ERROR_INVALID_CONFIG and at least one field error, or returns
 *    overrides that survive storage: serialised, parsed and resolved again they give the same
 *    config without a problem, and merging them with no changes gives them back. */
#include "config.h"

#include <math.h>
#include <string.h>

#include "hb-config.h"
#include "hb-error.h"
#include "hb-fuzz.h"
#include "hb-llm-private.h"
#include "hb-schedule.h"

int
LLVMFuzzerInitialize (int *argc, char ***argv)
{
  hb_fuzz_init ();
  return 0;
}

static void
check_config (const HbThreadConfig *cfg)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(GTimeZone) tz = NULL;

  hb_fuzz_check (cfg != NULL, "no config");
  hb_fuzz_check (cfg->every >= HB_EVERY_MIN && cfg->every <= HB_EVERY_MAX, "every %u", cfg->every);
  hb_fuzz_check (cfg->max_tokens >= HB_MAX_TOKENS_MIN && cfg->max_tokens <= HB_MAX_TOKENS_MAX,
                 "max_tokens %u", cfg->max_tokens);
  hb_fuzz_check (isfinite (cfg->temperature) && cfg->temperature >= 0 && cfg->temperature <= 1,
                 "temperature %g", cfg->temperature);
  hb_fuzz_check (cfg->target == HB_TARGET_NONE || cfg->target == HB_TARGET_LAST, "target %d",
                 (int) cfg->target);
  hb_fuzz_check ((cfg->active_start < 0) == (cfg->active_end < 0), "half an active window");
  hb_fuzz_check (cfg->active_start < 0
                 || (cfg->active_start <= 1439 && cfg->active_end <= 1440
                     && cfg->active_start != cfg->active_end),
                 "active window %d..%d", cfg->active_start, cfg->active_end);
  hb_fuzz_check (cfg->model != NULL && hb_config_model_name_valid (cfg->model, &error),
                 "invalid model kept");
  tz = hb_timezone_lookup (cfg->timezone, &error);
  hb_fuzz_check (tz != NULL, "unknown time zone kept: %s", error->message);
}

/* json-glib 1.6 leaks every container after the first value ("{} {}"): such text is kept away
 * from it, here and (until hb_thread_config_resolve() refuses it itself) from resolve. */
static gboolean
json_glib_would_leak (const char *text)
{
  return hb_json_text_has_trailing_container (text, strlen (text));
}

static JsonObject *
parse_object (const char *text)
{
  g_autoptr(JsonParser) parser = json_parser_new ();
  JsonNode *root;

  if (json_glib_would_leak (text) || !json_parser_load_from_data (parser, text, -1, NULL))
    return NULL;
  root = json_parser_get_root (parser);
  if (root == NULL || !JSON_NODE_HOLDS_OBJECT (root))
    return NULL;
  return json_object_ref (json_node_get_object (root));
}

/* The changes as SetConfig would pass them: decoded from a{sv} bytes. NULL when refused. */
static JsonObject *
changes_from_variant_bytes (const uint8_t *data, size_t size)
{
  g_autoptr(GBytes) bytes = g_bytes_new (data, size);
  g_autoptr(GVariant) asv = g_variant_ref_sink (
    g_variant_new_from_bytes (G_VARIANT_TYPE_VARDICT, bytes, FALSE));
  g_autoptr(GError) error = NULL;
  JsonObject *changes = hb_config_changes_from_variant (asv, &error);

  if (changes == NULL)
    hb_fuzz_check (g_error_matches (error, HB_ERROR, HB_ERROR_INVALID_CONFIG),
                   "a{sv} refused with another error: %s", error->message);
  return changes;
}

static void
check_merged (const HbThreadConfig *defaults, JsonObject *merged)
{
  g_autoptr(HbThreadConfig) cfg = hb_thread_config_resolve_object (defaults, merged);
  g_autofree char *stored = hb_config_overrides_to_string (merged);
  g_autofree char *problem = NULL;
  g_autoptr(HbThreadConfig) reloaded = hb_thread_config_resolve (defaults, stored, &problem);
  g_autoptr(JsonObject) again = NULL;
  g_autoptr(GError) error = NULL;
  g_autofree char *stored_again = NULL;

  check_config (cfg);
  hb_fuzz_check (problem == NULL, "stored overrides %s have a problem: %s", stored, problem);
  hb_fuzz_check (hb_thread_config_equal (cfg, reloaded), "overrides %s change when reloaded",
                 stored);

  again = hb_thread_config_merge (defaults, merged, NULL, NULL, &error);
  hb_fuzz_check (again != NULL, "merging %s with nothing fails: %s", stored, error->message);
  stored_again = hb_config_overrides_to_string (again);
  hb_fuzz_check (strcmp (stored, stored_again) == 0, "merging %s with nothing gives %s", stored,
                 stored_again);
}

int
LLVMFuzzerTestOneInput (const uint8_t *data, size_t size)
{
  g_autoptr(HbThreadConfig) defaults = hb_thread_config_new_default ();
  g_autofree char *stored = NULL;
  g_autofree char *changes_text = hb_fuzz_split (data, size, &stored);
  g_autofree char *problem = NULL;
  g_autoptr(HbThreadConfig) resolved = NULL;
  g_autoptr(JsonObject) overrides = NULL;
  g_autoptr(JsonObject) changes = NULL;
  g_autoptr(JsonObject) merged = NULL;
  g_autoptr(GPtrArray) field_errors = NULL;
  g_autoptr(GError) error = NULL;
  size_t rest = strlen (stored) < size ? size - strlen (stored) - 1 : 0;

  if (json_glib_would_leak (stored))
    return 0;
  resolved = hb_thread_config_resolve (defaults, stored, &problem);
  overrides = parse_object (stored);
  check_config (resolved);
  hb_fuzz_check (problem == NULL || g_utf8_validate (problem, -1, NULL), "problem not UTF-8");

  changes = parse_object (changes_text);
  if (changes == NULL)
    changes = changes_from_variant_bytes (data + (size - rest), rest);
  if (changes == NULL)
    return 0;

  merged = hb_thread_config_merge (defaults, overrides, changes, &field_errors, &error);
  if (merged == NULL)
    {
      hb_fuzz_check (g_error_matches (error, HB_ERROR, HB_ERROR_INVALID_CONFIG),
                     "merge failed with another error: %s", error->message);
      hb_fuzz_check (field_errors != NULL && field_errors->len > 0, "no field errors");
      for (guint i = 0; i < field_errors->len; i++)
        {
          HbFieldError *e = g_ptr_array_index (field_errors, i);

          hb_fuzz_check (e->field != NULL && e->message != NULL, "incomplete field error");
        }
      return 0;
    }
  hb_fuzz_check (field_errors == NULL, "field errors on success");
  check_merged (defaults, merged);
  return 0;
}
