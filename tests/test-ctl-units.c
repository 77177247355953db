/* test-ctl-units.c: crt-heartbeatctl's pure helpers, table-driven: set words, durations and
 * times, text width and escaping, table layout. */
#include "config.h"

#include <string.h>

#include "hb-ctl.h"
#include "hb-ctl-format.h"
#include "hb-ctl-settings.h"

/* ---- pure helpers ---- */

typedef struct {
  const char *word;
  const char *key;        /* NULL: an error is expected */
  const char *value;      /* GVariant text of the value under key */
  int error_code;         /* HbCtlError when key is NULL */
} SettingCase;

static void
test_settings (void)
{
  static const SettingCase cases[] = {
    { "every=30m", "every", "'30m'", 0 },
    { "every=90", "every", "'90'", 0 },
    { "every=", NULL, NULL, HB_CTL_ERROR_FAILED },
    { "dry-run=yes", "dry_run", "true", 0 },
    { "dry_run=Off", "dry_run", "false", 0 },
    { "enabled=1", "enabled", "true", 0 },
    { "enabled=0", "enabled", "false", 0 },
    { "enabled=TRUE", "enabled", "true", 0 },
    { "enabled=maybe", NULL, NULL, HB_CTL_ERROR_FAILED },
    { "max-tokens=300", "max_tokens", "uint32 300", 0 },
    { "max-tokens=-3", NULL, NULL, HB_CTL_ERROR_FAILED },
    { "max-tokens=99999999999", NULL, NULL, HB_CTL_ERROR_FAILED },
    { "temperature=0.25", "temperature", "0.25", 0 },
    { "temperature=warm", NULL, NULL, HB_CTL_ERROR_FAILED },
    { "temperature=nan", NULL, NULL, HB_CTL_ERROR_FAILED },
    { "model=", "model", "''", 0 },
    { "model=qwen2.5:7b", "model", "'qwen2.5:7b'", 0 },
    { "target=last", "target", "'last'", 0 },
    { "timezone=Europe/Berlin", "timezone", "'Europe/Berlin'", 0 },
    { "active-hours-end=24:00", "active_hours_end", "'24:00'", 0 },
    { "active-hours=09:00-17:00", "active_hours_start", "'09:00'", 0 },
    { "active-hours=", "active_hours_end", "''", 0 },
    { "active-hours=09:00", NULL, NULL, HB_CTL_ERROR_FAILED },
    { "active-hours=9-10-11", NULL, NULL, HB_CTL_ERROR_FAILED },
    { "colour=blue", NULL, NULL, HB_CTL_ERROR_USAGE },
    { "every", NULL, NULL, HB_CTL_ERROR_USAGE },
    { "=5", NULL, NULL, HB_CTL_ERROR_USAGE },
    { "model=\xff", NULL, NULL, HB_CTL_ERROR_USAGE },
  };

  for (guint i = 0; i < G_N_ELEMENTS (cases); i++)
    {
      const SettingCase *c = &cases[i];
      g_auto(GVariantDict) dict = G_VARIANT_DICT_INIT (NULL);
      g_autoptr(GError) error = NULL;
      gboolean ok = hb_ctl_settings_add (&dict, c->word, &error);
      /* Escaped: TAP output must be UTF-8, and one word here is not. */
      g_autofree char *shown = g_strescape (c->word, NULL);

      g_test_message ("%s", shown);
      if (c->key == NULL)
        {
          g_assert_false (ok);
          g_assert_error (error, HB_CTL_ERROR, c->error_code);
          /* The message names the key (or says what the word lacks). */
          if (c->error_code == HB_CTL_ERROR_FAILED)
            {
              g_autofree char *name = g_strndup (c->word, strchr (c->word, '=') - c->word);

              g_assert_true (g_str_has_prefix (error->message, name));
            }
        }
      else
        {
          g_autoptr(GVariant) value = g_variant_dict_lookup_value (&dict, c->key, NULL);
          g_autofree char *text = NULL;

          g_assert_no_error (error);
          g_assert_true (ok);
          g_assert_nonnull (value);
          text = g_variant_print (value, TRUE);
          g_assert_cmpstr (text, ==, c->value);
        }
    }
}

static void
test_settings_twice (void)
{
  g_auto(GVariantDict) dict = G_VARIANT_DICT_INIT (NULL);
  g_autoptr(GError) error = NULL;
  g_autoptr(GVariant) end = NULL;

  g_assert_true (hb_ctl_settings_add (&dict, "active-hours=22:00-06:00", &error));
  g_assert_no_error (error);
  end = g_variant_dict_lookup_value (&dict, "active_hours_end", G_VARIANT_TYPE_STRING);
  g_assert_cmpstr (g_variant_get_string (end, NULL), ==, "06:00");
  g_assert_false (hb_ctl_settings_add (&dict, "active-hours-start=08:00", &error));
  g_assert_error (error, HB_CTL_ERROR, HB_CTL_ERROR_USAGE);
}

static void
test_format (void)
{
  static const struct { guint64 seconds; const char *text; } durations[] = {
    { 0, "0s" }, { 45, "45s" }, { 60, "1m" }, { 1800, "30m" }, { 5400, "1h30m" },
    { 86400, "1d" }, { 3661, "1h1m1s" },
  };
  static const struct { gint64 delta_s; const char *text; } relative[] = {
    { 0, "now" }, { 30, "in 30 s" }, { -30, "30 s ago" }, { 240, "in 4 min" },
    { -3 * 3600 - 5 * 60, "3 h 5 min ago" }, { 7200, "in 2 h" }, { 2 * 86400, "in 2 days" },
    { -86400, "1 day ago" },
  };
  g_autoptr(GTimeZone) utc = g_time_zone_new_utc ();
  /* 2024-05-01 14:01:00 UTC */
  gint64 now = G_GINT64_CONSTANT (1714572060) * G_USEC_PER_SEC;
  g_autofree char *soon = NULL;
  g_autofree char *later = NULL;
  g_autofree char *never = NULL;

  for (guint i = 0; i < G_N_ELEMENTS (durations); i++)
    {
      g_autofree char *text = hb_ctl_format_duration (durations[i].seconds);

      g_assert_cmpstr (text, ==, durations[i].text);
    }
  for (guint i = 0; i < G_N_ELEMENTS (relative); i++)
    {
      g_autofree char *text = hb_ctl_format_relative (now + relative[i].delta_s * G_USEC_PER_SEC,
                                                      now);

      g_assert_cmpstr (text, ==, relative[i].text);
    }
  soon = hb_ctl_format_time ((guint64) (now + 240 * G_USEC_PER_SEC), now, utc);
  g_assert_cmpstr (soon, ==, "in 4 min (14:05:00)");
  later = hb_ctl_format_time ((guint64) (now + G_GINT64_CONSTANT (86400) * G_USEC_PER_SEC), now, utc);
  g_assert_cmpstr (later, ==, "in 1 day (2024-05-02 14:01)");
  never = hb_ctl_format_time (0, now, utc);
  g_assert_cmpstr (never, ==, "never");
}

static void
test_text (void)
{
  g_autofree char *cut = hb_ctl_text_truncate ("abcdefgh", 5);
  g_autofree char *wide = hb_ctl_text_truncate ("日本語テキスト", 5);
  g_autofree char *kept = hb_ctl_text_truncate ("abc", 3);
  g_autofree char *clean = hb_ctl_text_sanitize ("a\nb\033[31m\xff", FALSE);
  g_autofree char *lines = hb_ctl_text_sanitize ("a\nb\tc\033", TRUE);

  g_assert_cmpuint (hb_ctl_text_width ("abc"), ==, 3);
  g_assert_cmpuint (hb_ctl_text_width ("日本"), ==, 4);
  g_assert_cmpuint (hb_ctl_text_width ("e\xcc\x81"), ==, 1);   /* e + combining acute */
  g_assert_cmpstr (cut, ==, "abcd\xe2\x80\xa6");
  g_assert_cmpstr (wide, ==, "日本\xe2\x80\xa6");
  g_assert_cmpstr (kept, ==, "abc");
  g_assert_cmpstr (clean, ==, "a\\nb\\u001B[31m\xef\xbf\xbd");
  g_assert_cmpstr (lines, ==, "a\nb\tc\\u001B");
}

static void
test_table (void)
{
  const char *const headers[] = { "ID", "STATE", NULL };
  const char *const row1[] = { "日本", "ok" };
  const char *const row2[] = { "a very long thread id", "failed" };
  g_autoptr(HbCtlTable) table = hb_ctl_table_new (headers);
  g_autofree char *text = NULL;
  g_auto(GStrv) lines = NULL;

  hb_ctl_table_set_max_width (table, 0, 8);
  hb_ctl_table_add_row (table, row1);
  hb_ctl_table_add_row (table, row2);
  text = hb_ctl_table_render (table, NULL);
  lines = g_strsplit (text, "\n", -1);
  g_assert_cmpstr (lines[0], ==, "ID        STATE");
  g_assert_cmpstr (lines[1], ==, "日本      ok");
  g_assert_cmpstr (lines[2], ==, "a very \xe2\x80\xa6  failed");
  g_assert_cmpstr (lines[3], ==, "");
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);
  g_test_add_func ("/ctl/settings", test_settings);
  g_test_add_func ("/ctl/settings-twice", test_settings_twice);
  g_test_add_func ("/ctl/format", test_format);
  g_test_add_func ("/ctl/text", test_text);
  g_test_add_func ("/ctl/table", test_table);
  return g_test_run ();
}
