/* test-config-bus.c: D-Bus a{sv} SetConfig changes -> JSON changes, every wrong type per field. */
#include "config.h"

#include <glib.h>
#include <string.h>

#include "hb-config.h"
#include "hb-error.h"

static GVariant *
parse_vardict (const char *text)
{
  g_autoptr(GError) error = NULL;
  GVariant *v = g_variant_parse (G_VARIANT_TYPE_VARDICT, text, NULL, NULL, &error);

  if (v == NULL)
    g_error ("bad a{sv} in the table: %s (%s)", text, error->message);
  return v;   /* g_variant_parse() returns a full, non-floating reference */
}

static char *
object_to_string (JsonObject *obj)
{
  return hb_config_overrides_to_string (obj);
}

/* {a{sv} in GVariant text, the JSON changes, or NULL and the error} */
static const struct {
  const char *variant;
  const char *json;
  const char *message;
} rows[] = {
  { "@a{sv} {}", "{}", NULL },
  /* enabled / dry_run: b */
  { "{'enabled': <false>}", "{\"enabled\":false}", NULL },
  { "{'dry_run': <true>}", "{\"dry_run\":true}", NULL },
  { "{'enabled': <'true'>}", NULL, "enabled: expected type b (boolean), got s" },
  { "{'enabled': <uint32 1>}", NULL, "enabled: expected type b (boolean), got u" },
  { "{'dry_run': <1>}", NULL, "dry_run: expected type b (boolean), got i" },
  { "{'dry_run': <byte 1>}", NULL, "dry_run: expected type b (boolean), got y" },
  /* every: u, s, i/x/t */
  { "{'every': <uint32 90>}", "{\"every\":90}", NULL },
  { "{'every': <'1h30m'>}", "{\"every\":\"1h30m\"}", NULL },
  { "{'every': <int32 600>}", "{\"every\":600}", NULL },
  { "{'every': <int64 600>}", "{\"every\":600}", NULL },
  { "{'every': <uint64 600>}", "{\"every\":600}", NULL },
  { "{'every': <int32 -5>}", "{\"every\":-5}", NULL },          /* the merge says why */
  { "{'every': <uint64 18446744073709551615>}", NULL,
    "every: must be at most 86400 seconds (got 18446744073709551615)" },
  { "{'every': <1800.0>}", NULL, "every: expected type u (seconds) or s (duration), got d" },
  { "{'every': <true>}", NULL, "every: expected type u (seconds) or s (duration), got b" },
  { "{'every': <byte 90>}", NULL, "every: expected type u (seconds) or s (duration), got y" },
  { "{'every': <int16 90>}", NULL, "every: expected type u (seconds) or s (duration), got n" },
  { "{'every': <<uint32 90>>}", NULL, "every: expected type u (seconds) or s (duration), got v" },
  { "{'every': <[uint32 90]>}", NULL, "every: expected type u (seconds) or s (duration), got au" },
  /* max_tokens: u (i/x/t) */
  { "{'max_tokens': <uint32 100>}", "{\"max_tokens\":100}", NULL },
  { "{'max_tokens': <int32 100>}", "{\"max_tokens\":100}", NULL },
  { "{'max_tokens': <int64 100>}", "{\"max_tokens\":100}", NULL },
  { "{'max_tokens': <uint64 100>}", "{\"max_tokens\":100}", NULL },
  { "{'max_tokens': <100.0>}", NULL, "max_tokens: expected type u (integer), got d" },
  { "{'max_tokens': <'100'>}", NULL, "max_tokens: expected type u (integer), got s" },
  { "{'max_tokens': <uint64 18446744073709551615>}", NULL,
    "max_tokens: must be at most 4000 (got 18446744073709551615)" },
  /* temperature: d */
  { "{'temperature': <0.25>}", "{\"temperature\":0.25}", NULL },
  { "{'temperature': <uint32 1>}", NULL, "temperature: expected type d (number), got u" },
  { "{'temperature': <'0.5'>}", NULL, "temperature: expected type d (number), got s" },
  /* strings */
  { "{'target': <'last'>}", "{\"target\":\"last\"}", NULL },
  { "{'target': <uint32 1>}", NULL, "target: expected type s (string), got u" },
  { "{'model': <'qwen2.5:7b'>}", "{\"model\":\"qwen2.5:7b\"}", NULL },
  { "{'model': <''>}", "{\"model\":\"\"}", NULL },
  { "{'model': <['a']>}", NULL, "model: expected type s (string), got as" },
  { "{'model': <objectpath '/a'>}", NULL, "model: expected type s (string), got o" },
  { "{'timezone': <'Europe/Berlin'>}", "{\"timezone\":\"Europe/Berlin\"}", NULL },
  { "{'timezone': <true>}", NULL, "timezone: expected type s (string), got b" },
  /* active hours: s, "" clears */
  { "{'active_hours_start': <'09:00'>, 'active_hours_end': <'17:00'>}",
    "{\"active_hours_start\":\"09:00\",\"active_hours_end\":\"17:00\"}", NULL },
  { "{'active_hours_start': <''>, 'active_hours_end': <''>}",
    "{\"active_hours_start\":null,\"active_hours_end\":null}", NULL },
  { "{'active_hours_start': <uint32 540>}", NULL, "active_hours_start: expected type s (string), got u" },
  { "{'active_hours_end': <@ms nothing>}", NULL, "active_hours_end: expected type s (string), got ms" },
  /* unknown keys, several errors */
  { "{'evry': <uint32 60>}", NULL, "evry: unknown field" },
  { "{'every': <true>, 'bogus': <1>, 'temperature': <1>}", NULL,
    "every: expected type u (seconds) or s (duration), got b; bogus: unknown field; "
    "temperature: expected type d (number), got i" },
};

static void
test_variant_table (void)
{
  for (gsize i = 0; i < G_N_ELEMENTS (rows); i++)
    {
      g_autoptr(GVariant) asv = parse_vardict (rows[i].variant);
      g_autoptr(GError) error = NULL;
      g_autoptr(JsonObject) changes = NULL;

      g_test_message ("variant %s", rows[i].variant);
      changes = hb_config_changes_from_variant (asv, &error);
      if (rows[i].json != NULL)
        {
          g_autofree char *text = NULL;

          g_assert_no_error (error);
          text = object_to_string (changes);
          g_assert_cmpstr (text, ==, rows[i].json);
        }
      else
        {
          g_assert_null (changes);
          g_assert_error (error, HB_ERROR, HB_ERROR_INVALID_CONFIG);
          g_assert_cmpstr (error->message, ==, rows[i].message);
        }
    }
}

static void
test_variant_not_vardict (void)
{
  g_autoptr(GVariant) tuple = g_variant_ref_sink (g_variant_new ("(s)", "every"));
  g_autoptr(GVariant) strdict = g_variant_parse (G_VARIANT_TYPE ("a{ss}"), "{'every': '60'}", NULL, NULL, NULL);
  g_autoptr(GError) error = NULL;

  g_assert_null (hb_config_changes_from_variant (tuple, &error));
  g_assert_error (error, HB_ERROR, HB_ERROR_INVALID_CONFIG);
  g_assert_cmpstr (error->message, ==, "changes: expected type a{sv} (got (s))");
  g_clear_error (&error);
  g_assert_null (hb_config_changes_from_variant (strdict, &error));
  g_assert_cmpstr (error->message, ==, "changes: expected type a{sv} (got a{ss})");
  g_clear_error (&error);
  g_assert_null (hb_config_changes_from_variant (NULL, &error));
  g_assert_error (error, HB_ERROR, HB_ERROR_INVALID_CONFIG);
}

/* From the bus to the stored overrides: the same validator decides. */
static void
test_variant_then_merge (void)
{
  g_autoptr(GVariant) ok = parse_vardict ("{'every': <'90s'>, 'active_hours_start': <''>,"
                                          " 'active_hours_end': <''>, 'max_tokens': <uint32 64>}");
  g_autoptr(GVariant) bad = parse_vardict ("{'every': <int32 -5>}");
  g_autoptr(GError) error = NULL;
  g_autoptr(JsonObject) changes = NULL;
  g_autoptr(JsonObject) bad_changes = NULL;
  g_autoptr(JsonObject) overrides = NULL;
  g_autoptr(JsonObject) stored = NULL;
  g_autofree char *text = NULL;

  stored = json_object_new ();
  json_object_set_string_member (stored, "active_hours_start", "09:00");
  json_object_set_string_member (stored, "active_hours_end", "17:00");
  json_object_set_string_member (stored, "target", "last");

  changes = hb_config_changes_from_variant (ok, &error);
  g_assert_no_error (error);
  overrides = hb_thread_config_merge (NULL, stored, changes, NULL, &error);
  g_assert_no_error (error);
  text = hb_config_overrides_to_string (overrides);
  g_assert_cmpstr (text, ==, "{\"target\":\"last\",\"every\":90,\"max_tokens\":64}");

  bad_changes = hb_config_changes_from_variant (bad, &error);
  g_assert_no_error (error);
  g_assert_null (hb_thread_config_merge (NULL, stored, bad_changes, NULL, &error));
  g_assert_cmpstr (error->message, ==, "every: must be between 60 and 86400 seconds (got -5)");
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);

  g_test_add_func ("/config-bus/table", test_variant_table);
  g_test_add_func ("/config-bus/not-vardict", test_variant_not_vardict);
  g_test_add_func ("/config-bus/then-merge", test_variant_then_merge);

  return g_test_run ();
}
