/* test-config.c: per-thread config: merge (validation, partial updates, all-or-nothing, cross-field
 * rules), resolve of stored JSON (garbage, CRT's shape), JSON round trip, model chain. */
#include "config.h"

#include <glib.h>
#include <string.h>

#include "hb-config.h"
#include "hb-error.h"

static JsonObject *
parse_object (const char *json)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(JsonNode) node = json_from_string (json, &error);

  if (node == NULL || !JSON_NODE_HOLDS_OBJECT (node))
    g_error ("bad JSON object in the table: %s (%s)", json, error != NULL ? error->message : "");
  return json_object_ref (json_node_get_object (node));
}

static void
test_defaults (void)
{
  g_autoptr(HbThreadConfig) cfg = hb_thread_config_new_default ();
  g_autoptr(HbThreadConfig) copy = NULL;
  gsize n = 0;

  g_assert_true (cfg->enabled);
  g_assert_cmpuint (cfg->every, ==, 1800);
  g_assert_cmpint (cfg->target, ==, HB_TARGET_NONE);
  g_assert_cmpstr (cfg->model, ==, "");
  g_assert_cmpuint (cfg->max_tokens, ==, 500);
  g_assert_cmpfloat (cfg->temperature, ==, 0.7);
  g_assert_false (cfg->dry_run);
  g_assert_cmpint (cfg->active_start, ==, -1);
  g_assert_cmpint (cfg->active_end, ==, -1);
  g_assert_cmpstr (cfg->timezone, ==, "");
  g_assert_cmpstr (hb_target_to_string (HB_TARGET_NONE), ==, "none");
  g_assert_cmpstr (hb_target_to_string (HB_TARGET_LAST), ==, "last");

  copy = hb_thread_config_copy (cfg);
  g_assert_true (hb_thread_config_equal (cfg, copy));
  g_assert_true (copy->model != cfg->model);
  copy->every = 60;
  g_assert_false (hb_thread_config_equal (cfg, copy));
  copy->every = cfg->every;
  g_free (copy->timezone);
  copy->timezone = g_strdup ("UTC");
  g_assert_false (hb_thread_config_equal (cfg, copy));

  while (hb_thread_config_fields[n] != NULL)
    n++;
  g_assert_cmpuint (n, ==, 10);
}

/* Valid changes on top of no overrides: the stored (normalised) form. */
static const struct {
  const char *changes;
  const char *stored;
} merge_ok[] = {
  { "{}", "{}" },
  { "{\"enabled\": false}", "{\"enabled\":false}" },
  { "{\"enabled\": true}", "{\"enabled\":true}" },
  { "{\"every\": 60}", "{\"every\":60}" },
  { "{\"every\": 86400}", "{\"every\":86400}" },
  { "{\"every\": 1800.0}", "{\"every\":1800}" },
  { "{\"every\": \"90s\"}", "{\"every\":90}" },
  { "{\"every\": \"30m\"}", "{\"every\":1800}" },
  { "{\"every\": \"1h30m\"}", "{\"every\":5400}" },
  { "{\"every\": \"1h 30m\"}", "{\"every\":5400}" },
  { "{\"every\": \"1d\"}", "{\"every\":86400}" },
  { "{\"every\": \"600\"}", "{\"every\":600}" },
  { "{\"target\": \"none\"}", "{\"target\":\"none\"}" },
  { "{\"target\": \"last\"}", "{\"target\":\"last\"}" },
  { "{\"model\": \"\"}", "{\"model\":\"\"}" },
  { "{\"model\": \"qwen2.5:7b\"}", "{\"model\":\"qwen2.5:7b\"}" },
  { "{\"model\": \"hf.co/user/m\u00e9:Q4_K_M\"}", "{\"model\":\"hf.co/user/m\u00e9:Q4_K_M\"}" },
  { "{\"max_tokens\": 10}", "{\"max_tokens\":10}" },
  { "{\"max_tokens\": 4000}", "{\"max_tokens\":4000}" },
  { "{\"max_tokens\": 500.0}", "{\"max_tokens\":500}" },
  { "{\"temperature\": 0}", "{\"temperature\":0.0}" },
  { "{\"temperature\": 1}", "{\"temperature\":1.0}" },
  { "{\"temperature\": 0.5}", "{\"temperature\":0.5}" },
  { "{\"dry_run\": true}", "{\"dry_run\":true}" },
  { "{\"active_hours_start\": \"09:00\", \"active_hours_end\": \"17:00\"}",
    "{\"active_hours_start\":\"09:00\",\"active_hours_end\":\"17:00\"}" },
  { "{\"active_hours_start\": \"22:00\", \"active_hours_end\": \"06:00\"}",
    "{\"active_hours_start\":\"22:00\",\"active_hours_end\":\"06:00\"}" },
  { "{\"active_hours_start\": \"18:00\", \"active_hours_end\": \"24:00\"}",
    "{\"active_hours_start\":\"18:00\",\"active_hours_end\":\"24:00\"}" },
  { "{\"active_hours_start\": \"00:00\", \"active_hours_end\": \"24:00\"}",
    "{\"active_hours_start\":\"00:00\",\"active_hours_end\":\"24:00\"}" },
  { "{\"active_hours_start\": null, \"active_hours_end\": null}", "{}" },
  { "{\"timezone\": \"UTC\"}", "{\"timezone\":\"UTC\"}" },
  { "{\"timezone\": \"Europe/Berlin\"}", "{\"timezone\":\"Europe/Berlin\"}" },
  { "{\"timezone\": \"\"}", "{\"timezone\":\"\"}" },
  { "{\"timezone\": \"local\"}", "{\"timezone\":\"\"}" },
  { "{\"every\": null, \"model\": null}", "{}" },
};

static void
test_merge_valid (void)
{
  for (gsize i = 0; i < G_N_ELEMENTS (merge_ok); i++)
    {
      g_autoptr(JsonObject) changes = parse_object (merge_ok[i].changes);
      g_autoptr(GError) error = NULL;
      g_autoptr(GPtrArray) field_errors = NULL;
      g_autoptr(JsonObject) result = NULL;
      g_autofree char *stored = NULL;

      g_test_message ("changes %s", merge_ok[i].changes);
      result = hb_thread_config_merge (NULL, NULL, changes, &field_errors, &error);
      g_assert_no_error (error);
      g_assert_null (field_errors);
      g_assert_nonnull (result);
      stored = hb_config_overrides_to_string (result);
      g_assert_cmpstr (stored, ==, merge_ok[i].stored);
    }
}

/* Invalid changes (on top of no overrides): the exact error message. */
static const struct {
  const char *changes;
  const char *message;
} merge_bad[] = {
  { "{\"enabled\": \"yes\"}", "enabled: expected true or false (got string)" },
  { "{\"enabled\": 1}", "enabled: expected true or false (got integer)" },
  { "{\"enabled\": {}}", "enabled: expected true or false (got object)" },
  { "{\"enabled\": [true]}", "enabled: expected true or false (got array)" },
  { "{\"every\": 30}", "every: must be between 60 and 86400 seconds (got 30)" },
  { "{\"every\": 59}", "every: must be between 60 and 86400 seconds (got 59)" },
  { "{\"every\": 86401}", "every: must be between 60 and 86400 seconds (got 86401)" },
  { "{\"every\": -5}", "every: must be between 60 and 86400 seconds (got -5)" },
  { "{\"every\": 0}", "every: must be between 60 and 86400 seconds (got 0)" },
  { "{\"every\": \"30s\"}", "every: must be between 60 and 86400 seconds (got 30)" },
  { "{\"every\": \"2d\"}", "every: must be between 60 and 86400 seconds (got 172800)" },
  { "{\"every\": \"99999999999999999999s\"}",
    "every: invalid duration \"99999999999999999999s\": too large" },
  { "{\"every\": \"5x\"}", "every: invalid duration \"5x\": unknown unit 'x' (use d, h, m or s)" },
  { "{\"every\": \"\"}", "every: invalid duration \"\": empty" },
  { "{\"every\": \"-5m\"}", "every: invalid duration \"-5m\": negative durations are not allowed" },
  { "{\"every\": 90.5}", "every: must be a whole number (got 90.5)" },
  { "{\"every\": true}", "every: expected integer seconds or a duration string (got boolean)" },
  { "{\"every\": [60]}", "every: expected integer seconds or a duration string (got array)" },
  { "{\"every\": {\"s\": 60}}", "every: expected integer seconds or a duration string (got object)" },
  { "{\"target\": \"all\"}", "target: must be \"none\" or \"last\" (got \"all\")" },
  { "{\"target\": \"Last\"}", "target: must be \"none\" or \"last\" (got \"Last\")" },
  { "{\"target\": \"\"}", "target: must be \"none\" or \"last\" (got \"\")" },
  { "{\"target\": 1}", "target: expected a string (got integer)" },
  { "{\"target\": [\"last\"]}", "target: expected a string (got array)" },
  { "{\"model\": 5}", "model: expected a string (got integer)" },
  { "{\"model\": true}", "model: expected a string (got boolean)" },
  { "{\"model\": \"a\\nb\"}", "model: must not contain control characters" },
  { "{\"model\": \"llama\\u0007\"}", "model: must not contain control characters" },
  { "{\"model\": \"x\\u0085\"}", "model: must not contain control characters" },
  { "{\"max_tokens\": 9}", "max_tokens: must be between 10 and 4000 (got 9)" },
  { "{\"max_tokens\": 4001}", "max_tokens: must be between 10 and 4000 (got 4001)" },
  { "{\"max_tokens\": -1}", "max_tokens: must be between 10 and 4000 (got -1)" },
  { "{\"max_tokens\": 12.5}", "max_tokens: must be a whole number (got 12.5)" },
  { "{\"max_tokens\": \"500\"}", "max_tokens: expected an integer (got string)" },
  { "{\"max_tokens\": false}", "max_tokens: expected an integer (got boolean)" },
  { "{\"temperature\": 1.5}", "temperature: must be between 0 and 1 (got 1.5)" },
  { "{\"temperature\": -0.1}", "temperature: must be between 0 and 1 (got -0.1)" },
  { "{\"temperature\": 2}", "temperature: must be between 0 and 1 (got 2)" },
  { "{\"temperature\": \"0.5\"}", "temperature: expected a number (got string)" },
  { "{\"temperature\": true}", "temperature: expected a number (got boolean)" },
  { "{\"temperature\": {}}", "temperature: expected a number (got object)" },
  { "{\"dry_run\": \"false\"}", "dry_run: expected true or false (got string)" },
  { "{\"dry_run\": 0}", "dry_run: expected true or false (got integer)" },
  { "{\"active_hours_start\": \"24:00\", \"active_hours_end\": \"06:00\"}",
    "active_hours_start: 24:00 is only allowed as an end time" },
  { "{\"active_hours_start\": \"7:00\", \"active_hours_end\": \"17:00\"}",
    "active_hours_start: invalid time \"7:00\": expected HH:MM with two digits each" },
  { "{\"active_hours_start\": \"09:00\", \"active_hours_end\": \"24:01\"}",
    "active_hours_end: invalid time \"24:01\": must be 00:00..23:59 or 24:00" },
  { "{\"active_hours_start\": \"09:00\", \"active_hours_end\": \"ab:cd\"}",
    "active_hours_end: invalid time \"ab:cd\": expected HH:MM with two digits each" },
  { "{\"active_hours_start\": 900, \"active_hours_end\": \"17:00\"}",
    "active_hours_start: expected a string (got integer)" },
  { "{\"active_hours_start\": \"09:00\", \"active_hours_end\": false}",
    "active_hours_end: expected a string (got boolean)" },
  { "{\"active_hours_start\": [\"09:00\"], \"active_hours_end\": \"17:00\"}",
    "active_hours_start: expected a string (got array)" },
  { "{\"timezone\": \"Mars/Olympus\"}", "timezone: unknown time zone \"Mars/Olympus\"" },
  { "{\"timezone\": \"../etc/passwd\"}",
    "timezone: \"../etc/passwd\" is not a time zone name (expected an IANA name like Europe/Berlin)" },
  { "{\"timezone\": \"utc\"}", "timezone: unknown time zone \"utc\"" },
  { "{\"timezone\": 0}", "timezone: expected a string (got integer)" },
  { "{\"evry\": 60}", "evry: unknown field" },
  { "{\"Enabled\": true}", "Enabled: unknown field" },
  { "{\"every_seconds\": null}", "every_seconds: unknown field" },
  /* cross-field rules, checked on the merged result */
  { "{\"active_hours_start\": \"09:00\"}", "active_hours_end: required when active_hours_start is set" },
  { "{\"active_hours_end\": \"17:00\"}", "active_hours_start: required when active_hours_end is set" },
  { "{\"active_hours_start\": \"09:00\", \"active_hours_end\": \"09:00\"}",
    "active_hours_end: must differ from active_hours_start (both 09:00); use 00:00 to 24:00 for the whole day" },
  { "{\"active_hours_start\": \"00:00\", \"active_hours_end\": \"00:00\"}",
    "active_hours_end: must differ from active_hours_start (both 00:00); use 00:00 to 24:00 for the whole day" },
  /* every error is collected, in order */
  { "{\"every\": 30, \"target\": \"x\", \"max_tokens\": 1, \"bogus\": 1}",
    "every: must be between 60 and 86400 seconds (got 30); target: must be \"none\" or \"last\" (got \"x\"); "
    "max_tokens: must be between 10 and 4000 (got 1); bogus: unknown field" },
};

static void
test_merge_invalid (void)
{
  g_autoptr(JsonObject) overrides = parse_object ("{\"every\": 600, \"target\": \"last\"}");
  g_autofree char *before = hb_config_overrides_to_string (overrides);

  for (gsize i = 0; i < G_N_ELEMENTS (merge_bad); i++)
    {
      g_autoptr(JsonObject) changes = parse_object (merge_bad[i].changes);
      g_autoptr(GError) error = NULL;
      g_autoptr(GPtrArray) field_errors = NULL;
      g_autoptr(JsonObject) result = NULL;
      g_autofree char *after = NULL;
      g_autofree char *joined = NULL;
      GString *rebuilt = g_string_new (NULL);

      g_test_message ("changes %s", merge_bad[i].changes);
      result = hb_thread_config_merge (NULL, overrides, changes, &field_errors, &error);
      g_assert_null (result);
      g_assert_error (error, HB_ERROR, HB_ERROR_INVALID_CONFIG);
      g_assert_cmpstr (error->message, ==, merge_bad[i].message);

      /* The field errors say the same, one by one. */
      g_assert_nonnull (field_errors);
      g_assert_cmpuint (field_errors->len, >=, 1);
      for (guint k = 0; k < field_errors->len; k++)
        {
          HbFieldError *e = g_ptr_array_index (field_errors, k);

          g_string_append_printf (rebuilt, "%s%s: %s", k > 0 ? "; " : "", e->field, e->message);
        }
      joined = g_string_free (rebuilt, FALSE);
      g_assert_cmpstr (joined, ==, merge_bad[i].message);

      /* All or nothing: the stored overrides are untouched. */
      after = hb_config_overrides_to_string (overrides);
      g_assert_cmpstr (after, ==, before);
    }
}

static void
test_merge_collects_errors (void)
{
  g_autoptr(JsonObject) changes = parse_object ("{\"every\": 1, \"enabled\": 3, \"timezone\": \"Nowhere/City\","
                                                " \"model\": \"ok\"}");
  g_autoptr(GPtrArray) field_errors = NULL;
  g_autoptr(JsonObject) result = NULL;
  HbFieldError *e;

  result = hb_thread_config_merge (NULL, NULL, changes, &field_errors, NULL);
  g_assert_null (result);
  g_assert_cmpuint (field_errors->len, ==, 3);
  e = g_ptr_array_index (field_errors, 0);
  g_assert_cmpstr (e->field, ==, "every");
  e = g_ptr_array_index (field_errors, 1);
  g_assert_cmpstr (e->field, ==, "enabled");
  e = g_ptr_array_index (field_errors, 2);
  g_assert_cmpstr (e->field, ==, "timezone");
  g_assert_cmpstr (e->message, ==, "unknown time zone \"Nowhere/City\"");

  /* Neither out parameter is required. */
  g_assert_null (hb_thread_config_merge (NULL, NULL, changes, NULL, NULL));
}

/* Merges on top of existing overrides: {overrides, changes, result}. */
static const struct {
  const char *overrides;
  const char *changes;
  const char *stored;
} merge_onto[] = {
  /* partial: what the update leaves out is kept (CRT reset it) */
  { "{\"every\": 600, \"target\": \"last\"}", "{\"max_tokens\": 100}",
    "{\"every\":600,\"target\":\"last\",\"max_tokens\":100}" },
  { "{\"every\": 600, \"target\": \"last\"}", "{\"every\": \"2h\"}", "{\"every\":7200,\"target\":\"last\"}" },
  { "{\"every\": 600, \"target\": \"last\"}", "{}", "{\"every\":600,\"target\":\"last\"}" },
  /* null removes the override */
  { "{\"every\": 600, \"target\": \"last\"}", "{\"every\": null}", "{\"target\":\"last\"}" },
  { "{\"active_hours_start\": \"09:00\", \"active_hours_end\": \"17:00\"}",
    "{\"active_hours_start\": null, \"active_hours_end\": null}", "{}" },
  { "{\"active_hours_start\": \"09:00\", \"active_hours_end\": \"17:00\"}",
    "{\"active_hours_end\": \"12:00\"}", "{\"active_hours_start\":\"09:00\",\"active_hours_end\":\"12:00\"}" },
  /* a stored object in CRT's shape (nulls, unknown keys, stale invalid values) is cleaned */
  { "{\"enabled\": true, \"every\": 30, \"model\": null, \"foo\": 1, \"target\": \"last\","
    " \"active_hours_start\": null, \"timezone\": \"UTC\"}",
    "{\"dry_run\": true}", "{\"enabled\":true,\"target\":\"last\",\"timezone\":\"UTC\",\"dry_run\":true}" },
};

static void
test_merge_onto_overrides (void)
{
  for (gsize i = 0; i < G_N_ELEMENTS (merge_onto); i++)
    {
      g_autoptr(JsonObject) overrides = parse_object (merge_onto[i].overrides);
      g_autoptr(JsonObject) changes = parse_object (merge_onto[i].changes);
      g_autofree char *before = hb_config_overrides_to_string (overrides);
      g_autoptr(GError) error = NULL;
      g_autoptr(JsonObject) result = NULL;
      g_autofree char *stored = NULL;
      g_autofree char *after = NULL;

      result = hb_thread_config_merge (NULL, overrides, changes, NULL, &error);
      g_assert_no_error (error);
      stored = hb_config_overrides_to_string (result);
      g_assert_cmpstr (stored, ==, merge_onto[i].stored);
      after = hb_config_overrides_to_string (overrides);
      g_assert_cmpstr (after, ==, before);   /* a copy: @overrides is not modified */
    }
}

static void
test_merge_cross_field (void)
{
  g_autoptr(HbThreadConfig) defaults = hb_thread_config_new_default ();
  g_autoptr(JsonObject) stored = parse_object ("{\"active_hours_start\": \"09:00\", \"active_hours_end\": \"17:00\"}");
  g_autoptr(JsonObject) drop_end = parse_object ("{\"active_hours_end\": null}");
  g_autoptr(JsonObject) start_only = parse_object ("{\"active_hours_start\": \"10:00\"}");
  g_autoptr(JsonObject) same = parse_object ("{\"active_hours_start\": \"17:00\"}");
  g_autoptr(GError) error = NULL;
  g_autoptr(JsonObject) result = NULL;
  g_autoptr(HbThreadConfig) effective = NULL;

  /* Clearing one half of stored hours leaves a half window: refused. */
  g_assert_null (hb_thread_config_merge (defaults, stored, drop_end, NULL, &error));
  g_assert_error (error, HB_ERROR, HB_ERROR_INVALID_CONFIG);
  g_assert_cmpstr (error->message, ==, "active_hours_end: required when active_hours_start is set");
  g_clear_error (&error);

  /* With daemon defaults 09:00-17:00, setting only the start is a whole window... */
  defaults->active_start = 9 * 60;
  defaults->active_end = 17 * 60;
  result = hb_thread_config_merge (defaults, NULL, start_only, NULL, &error);
  g_assert_no_error (error);
  effective = hb_thread_config_resolve_object (defaults, result);
  g_assert_cmpint (effective->active_start, ==, 10 * 60);
  g_assert_cmpint (effective->active_end, ==, 17 * 60);

  /* ...but a start equal to the inherited end is not. */
  g_assert_null (hb_thread_config_merge (defaults, NULL, same, NULL, &error));
  g_assert_cmpstr (error->message, ==, "active_hours_end: must differ from active_hours_start (both 17:00); "
                   "use 00:00 to 24:00 for the whole day");
}

/* Stored JSON -> effective config + problem. */
typedef struct {
  const char *json;
  const char *problem;       /* exact, or a prefix when it ends in '*'; NULL: no problem */
  guint every;
  HbTarget target;
  guint max_tokens;
  int active_start, active_end;
  const char *timezone;
} ResolveRow;

static const ResolveRow resolve_rows[] = {
  { NULL, NULL, 1800, HB_TARGET_NONE, 500, -1, -1, "" },
  { "", NULL, 1800, HB_TARGET_NONE, 500, -1, -1, "" },
  { "   ", NULL, 1800, HB_TARGET_NONE, 500, -1, -1, "" },
  { "null", NULL, 1800, HB_TARGET_NONE, 500, -1, -1, "" },
  { "{}", NULL, 1800, HB_TARGET_NONE, 500, -1, -1, "" },
  { "{", "heartbeat_config_json: not valid JSON at line 1: *", 1800, HB_TARGET_NONE, 500, -1, -1, "" },
  { "not json", "heartbeat_config_json: not valid JSON at line 1: *", 1800, HB_TARGET_NONE, 500, -1, -1, "" },
  { "{\"every\": 600,}", "heartbeat_config_json: not valid JSON at line 1: *", 1800, HB_TARGET_NONE, 500, -1, -1, "" },
  { "\n\n{\"every\" 600}", "heartbeat_config_json: not valid JSON at line 3: *", 1800, HB_TARGET_NONE, 500, -1, -1, "" },
  { "\xff\xfe{}", "heartbeat_config_json: not valid JSON*", 1800, HB_TARGET_NONE, 500, -1, -1, "" },
  { "[1, 2]", "heartbeat_config_json: expected a JSON object (got array)", 1800, HB_TARGET_NONE, 500, -1, -1, "" },
  { "42", "heartbeat_config_json: expected a JSON object (got integer)", 1800, HB_TARGET_NONE, 500, -1, -1, "" },
  { "\"every\"", "heartbeat_config_json: expected a JSON object (got string)", 1800, HB_TARGET_NONE, 500, -1, -1, "" },
  /* CRT's full object, nulls meaning unset */
  { "{\"enabled\": true, \"every\": 900, \"target\": \"last\", \"model\": null, \"max_tokens\": 300,"
    " \"temperature\": 0.5, \"dry_run\": false, \"active_hours_start\": null, \"active_hours_end\": null,"
    " \"timezone\": \"UTC\"}", NULL, 900, HB_TARGET_LAST, 300, -1, -1, "UTC" },
  { "{\"enabled\": true, \"every\": 1800, \"target\": \"none\", \"model\": \"llama3.1:8b\", \"max_tokens\": 500,"
    " \"temperature\": 0.7, \"dry_run\": false, \"active_hours_start\": \"08:00\", \"active_hours_end\": \"20:00\","
    " \"timezone\": \"UTC\"}", NULL, 1800, HB_TARGET_NONE, 500, 480, 1200, "UTC" },
  { "{\"every\": 1800.0, \"max_tokens\": 250.0}", NULL, 1800, HB_TARGET_NONE, 250, -1, -1, "" },
  { "{\"every\": \"30m\", \"last_run\": 1700000000.5, \"extra\": {\"a\": [1]}}", NULL, 1800, HB_TARGET_NONE, 500, -1, -1, "" },
  /* invalid values: defaults for those, the rest kept, every problem named */
  { "{\"every\": 30, \"max_tokens\": 99999, \"target\": \"last\"}",
    "every: must be between 60 and 86400 seconds (got 30); max_tokens: must be between 10 and 4000 (got 99999)",
    1800, HB_TARGET_LAST, 500, -1, -1, "" },
  { "{\"enabled\": \"yes\", \"every\": {\"x\": 1}, \"max_tokens\": [1]}",
    "enabled: expected true or false (got string); every: expected integer seconds or a duration string (got object); "
    "max_tokens: expected an integer (got array)", 1800, HB_TARGET_NONE, 500, -1, -1, "" },
  { "{\"timezone\": \"Mars/Olympus\", \"every\": 120}", "timezone: unknown time zone \"Mars/Olympus\"",
    120, HB_TARGET_NONE, 500, -1, -1, "" },
  { "{\"active_hours_start\": \"09:00\"}",
    "active_hours_end: required when active_hours_start is set (active hours ignored)",
    1800, HB_TARGET_NONE, 500, -1, -1, "" },
  { "{\"active_hours_start\": \"09:00\", \"active_hours_end\": \"09:00\"}",
    "active_hours_end: must differ from active_hours_start (both 09:00); use 00:00 to 24:00 for the whole day "
    "(active hours ignored)", 1800, HB_TARGET_NONE, 500, -1, -1, "" },
  { "{\"active_hours_start\": \"9am\", \"active_hours_end\": \"17:00\"}",
    "active_hours_start: invalid time \"9am\": expected HH:MM with two digits each; "
    "active_hours_start: required when active_hours_end is set (active hours ignored)",
    1800, HB_TARGET_NONE, 500, -1, -1, "" },
  { "{\"active_hours_start\": \"22:00\", \"active_hours_end\": \"24:00\", \"timezone\": \"America/New_York\"}",
    NULL, 1800, HB_TARGET_NONE, 500, 1320, 1440, "America/New_York" },
};

static void
test_resolve (void)
{
  for (gsize i = 0; i < G_N_ELEMENTS (resolve_rows); i++)
    {
      const ResolveRow *row = &resolve_rows[i];
      static char sentinel[] = "sentinel";
      char *raw = sentinel;
      g_autofree char *problem = NULL;
      g_autoptr(HbThreadConfig) cfg = NULL;
      g_autofree char *shown = g_strescape (row->json != NULL ? row->json : "(null)", NULL);

      g_test_message ("stored %s", shown);
      cfg = hb_thread_config_resolve (NULL, row->json, &raw);
      g_assert_nonnull (cfg);
      g_assert_true (raw != sentinel);   /* always set, to NULL when all was fine */
      problem = raw;
      if (row->problem == NULL)
        g_assert_null (problem);
      else if (g_str_has_suffix (row->problem, "*"))
        {
          g_autofree char *prefix = g_strndup (row->problem, strlen (row->problem) - 1);

          g_assert_nonnull (problem);
          if (!g_str_has_prefix (problem, prefix))
            g_error ("problem \"%s\" does not start with \"%s\"", problem, prefix);
        }
      else
        g_assert_cmpstr (problem, ==, row->problem);
      g_assert_cmpuint (cfg->every, ==, row->every);
      g_assert_cmpint (cfg->target, ==, row->target);
      g_assert_cmpuint (cfg->max_tokens, ==, row->max_tokens);
      g_assert_cmpint (cfg->active_start, ==, row->active_start);
      g_assert_cmpint (cfg->active_end, ==, row->active_end);
      g_assert_cmpstr (cfg->timezone, ==, row->timezone);
    }
}

static void
test_resolve_on_daemon_defaults (void)
{
  g_autoptr(HbThreadConfig) defaults = hb_thread_config_new_default ();
  g_autoptr(HbThreadConfig) cfg = NULL;
  g_autoptr(HbThreadConfig) cfg2 = NULL;
  g_autofree char *problem = NULL;

  defaults->every = 600;
  defaults->active_start = 8 * 60;
  defaults->active_end = 18 * 60;
  g_free (defaults->timezone);
  defaults->timezone = g_strdup ("Europe/Berlin");

  cfg = hb_thread_config_resolve (defaults, "{\"target\": \"last\", \"every\": 5}", &problem);
  g_assert_cmpuint (cfg->every, ==, 600);        /* invalid: the daemon default, not the built-in */
  g_assert_cmpint (cfg->target, ==, HB_TARGET_LAST);
  g_assert_cmpint (cfg->active_start, ==, 480);
  g_assert_cmpstr (cfg->timezone, ==, "Europe/Berlin");
  g_assert_cmpstr (problem, ==, "every: must be between 60 and 86400 seconds (got 5)");

  /* A half window in the stored JSON falls back to the defaults' whole window. */
  cfg2 = hb_thread_config_resolve (defaults, "{\"active_hours_end\": \"08:00\"}", NULL);
  g_assert_cmpint (cfg2->active_start, ==, 480);
  g_assert_cmpint (cfg2->active_end, ==, 1080);
}

static void
test_to_json_round_trip (void)
{
  g_autoptr(HbThreadConfig) cfg = hb_thread_config_new_default ();
  g_autoptr(JsonObject) def_json = hb_thread_config_to_json (cfg);
  g_autofree char *def_text = hb_config_overrides_to_string (def_json);
  g_autofree char *empty = hb_config_overrides_to_string (NULL);

  g_assert_cmpstr (def_text, ==,
                   "{\"enabled\":true,\"every\":1800,\"target\":\"none\",\"model\":\"\",\"max_tokens\":500,"
                   "\"temperature\":0.69999999999999996,\"dry_run\":false,\"active_hours_start\":null,"
                   "\"active_hours_end\":null,\"timezone\":\"\"}");
  g_assert_cmpstr (empty, ==, "{}");

  for (int variant = 0; variant < 4; variant++)
    {
      g_autoptr(HbThreadConfig) src = hb_thread_config_new_default ();
      g_autoptr(JsonObject) json = NULL;
      g_autoptr(JsonObject) overrides = NULL;
      g_autoptr(HbThreadConfig) back = NULL;
      g_autoptr(GError) error = NULL;

      src->enabled = variant % 2 == 0;
      src->every = 60 + variant * 1000;
      src->target = variant % 2 ? HB_TARGET_LAST : HB_TARGET_NONE;
      g_free (src->model);
      src->model = g_strdup (variant == 0 ? "" : "qwen2.5:7b");
      src->max_tokens = 10 + variant;
      src->temperature = variant / 3.0;
      src->dry_run = variant > 1;
      src->active_start = variant == 0 ? -1 : variant == 1 ? 22 * 60 : 18 * 60;
      src->active_end = variant == 0 ? -1 : variant == 1 ? 6 * 60 : 1440;
      g_free (src->timezone);
      src->timezone = g_strdup (variant == 3 ? "America/New_York" : "");

      json = hb_thread_config_to_json (src);
      g_assert_cmpuint (json_object_get_size (json), ==, 10);
      overrides = hb_thread_config_merge (NULL, NULL, json, NULL, &error);
      g_assert_no_error (error);
      back = hb_thread_config_resolve_object (NULL, overrides);
      g_assert_true (hb_thread_config_equal (src, back));
    }
}

/* The fingerprint's text of a config is json_to_string()'s of the object, byte for byte: stored
 * fingerprints must keep comparing equal. */
static void
test_to_json_text (void)
{
  static const char *const models[] = { "", "qwen2.5:7b", "odd \"quoted\" \\ name", "caf\xc3\xa9/\xe2\x82\xac" };
  static const double temperatures[] = { 0, 0.7, 1, 1.0 / 3, 0.1, 1e-7 };
  static const int hours[][2] = { { -1, -1 }, { 0, 1440 }, { 22 * 60, 6 * 60 }, { 7 * 60 + 5, 1439 } };

  for (guint i = 0; i < 96; i++)
    {
      g_autoptr(HbThreadConfig) cfg = hb_thread_config_new_default ();
      g_autoptr(JsonObject) obj = NULL;
      g_autoptr(JsonNode) node = NULL;
      g_autofree char *want = NULL;
      g_autofree char *got = NULL;

      cfg->enabled = i % 2 == 0;
      cfg->every = 60 + i * 97;
      cfg->target = i % 3 == 0 ? HB_TARGET_LAST : HB_TARGET_NONE;
      g_free (cfg->model);
      cfg->model = g_strdup (models[i % G_N_ELEMENTS (models)]);
      cfg->max_tokens = 10 + i * 41;
      cfg->temperature = temperatures[i % G_N_ELEMENTS (temperatures)];
      cfg->dry_run = i % 5 == 0;
      cfg->active_start = hours[i % G_N_ELEMENTS (hours)][0];
      cfg->active_end = hours[i % G_N_ELEMENTS (hours)][1];
      g_free (cfg->timezone);
      cfg->timezone = g_strdup (i % 4 == 0 ? "America/New_York" : "");

      obj = hb_thread_config_to_json (cfg);
      node = json_node_init_object (json_node_alloc (), obj);
      want = json_to_string (node, FALSE);
      got = hb_thread_config_to_json_text (cfg);
      g_assert_cmpstr (got, ==, want);
    }
}

static void
test_effective_model (void)
{
  g_autoptr(HbThreadConfig) cfg = hb_thread_config_new_default ();

  g_assert_true (g_setenv ("CRT_OLLAMA_MODEL", "env-model", TRUE));
  g_assert_cmpstr (hb_config_effective_model (cfg, "daemon-model"), ==, "daemon-model");
  g_assert_cmpstr (hb_config_effective_model (cfg, ""), ==, "env-model");
  g_assert_cmpstr (hb_config_effective_model (cfg, NULL), ==, "env-model");
  g_assert_cmpstr (hb_config_effective_model (NULL, NULL), ==, "env-model");

  g_free (cfg->model);
  cfg->model = g_strdup ("thread-model");
  g_assert_cmpstr (hb_config_effective_model (cfg, "daemon-model"), ==, "thread-model");
  g_assert_cmpstr (hb_config_effective_model (cfg, NULL), ==, "thread-model");

  g_free (cfg->model);
  cfg->model = g_strdup ("");
  g_assert_true (g_setenv ("CRT_OLLAMA_MODEL", "", TRUE));   /* empty counts as unset */
  g_assert_cmpstr (hb_config_effective_model (cfg, NULL), ==, HB_DEFAULT_MODEL);
  g_unsetenv ("CRT_OLLAMA_MODEL");
  g_assert_cmpstr (hb_config_effective_model (cfg, ""), ==, "llama3.2:latest");
  g_assert_cmpstr (hb_config_effective_model (cfg, "daemon-model"), ==, "daemon-model");
}

static void
test_model_limits (void)
{
  g_autofree char *max = g_strnfill (200, 'm');
  g_autofree char *over = g_strnfill (201, 'm');
  g_autoptr(GError) error = NULL;

  g_assert_true (hb_config_model_name_valid ("", NULL));
  g_assert_true (hb_config_model_name_valid (max, NULL));
  g_assert_false (hb_config_model_name_valid (over, &error));
  g_assert_cmpstr (error->message, ==, "must be at most 200 bytes (got 201)");
  g_clear_error (&error);
  g_assert_false (hb_config_model_name_valid ("bad\xff", &error));
  g_assert_cmpstr (error->message, ==, "must be valid UTF-8");
  g_clear_error (&error);
  g_assert_false (hb_config_model_name_valid ("tab\there", &error));
  g_assert_cmpstr (error->message, ==, "must not contain control characters");
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);

  g_test_add_func ("/config/defaults", test_defaults);
  g_test_add_func ("/config/merge/valid", test_merge_valid);
  g_test_add_func ("/config/merge/invalid", test_merge_invalid);
  g_test_add_func ("/config/merge/collects-errors", test_merge_collects_errors);
  g_test_add_func ("/config/merge/onto-overrides", test_merge_onto_overrides);
  g_test_add_func ("/config/merge/cross-field", test_merge_cross_field);
  g_test_add_func ("/config/resolve", test_resolve);
  g_test_add_func ("/config/resolve/daemon-defaults", test_resolve_on_daemon_defaults);
  g_test_add_func ("/config/to-json-round-trip", test_to_json_round_trip);
  g_test_add_func ("/config/to-json-text", test_to_json_text);
  g_test_add_func ("/config/effective-model", test_effective_model);
  g_test_add_func ("/config/model-limits", test_model_limits);

  return g_test_run ();
}
