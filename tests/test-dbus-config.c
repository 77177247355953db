/* test-dbus-config.c: a thread's configuration through the bus: every writable property set
 * (through GDBus and busctl), announced and kept across a restart; every invalid value refused
 * with InvalidArgs naming the field while nothing changes; SetConfig all or nothing; ResetConfig.
 */
#include "config.h"

#include <math.h>
#include <string.h>

#include "test-dbus-util.h"

#define CONFIG_SQL "SELECT heartbeat_config_json FROM thread_sessions WHERE thread_id = ?"

typedef struct
{
  const char *property;
  const char *value;      /* GVariant text */
  const char *busctl_sig; /* set with busctl set-property when not NULL */
  const char *busctl_arg;
} ValidWrite;

/* Non-default values, half of them written with busctl. */
static const ValidWrite valid_writes[] = {
  { "Enabled", "false", NULL, NULL },
  { "Every", "uint32 3600", "u", "3600" },
  { "Target", "'last'", NULL, NULL },
  { "Model", "'other:1b'", "s", "other:1b" },
  { "MaxTokens", "uint32 1000", NULL, NULL },
  { "Temperature", "0.25", "d", "0.25" },
  { "DryRun", "true", "b", "true" },
  { "ActiveHoursStart", "'08:30'", NULL, NULL },
  { "ActiveHoursEnd", "'18:00'", "s", "18:00" },
  { "TimeZone", "'Europe/Berlin'", NULL, NULL },
};

/* A floating variant from constant text (a typo there is a bug of the test, and critical). */
static GVariant *
parse (const char *text)
{
  return g_variant_new_parsed (text, NULL);
}

/* SetConfig's arguments: the a{sv} text wrapped in a tuple. */
static GVariant *
config_args (const char *changes)
{
  g_autofree char *text = g_strdup_printf ("(%s,)", changes);

  return g_variant_new_parsed (text, NULL);
}

static HbTestSignalRecorder *
changed_recorder (HbTestEnv *env, const char *path)
{
  return hb_test_signal_recorder_new (hb_test_env_get_connection (env), NULL, path,
                                      "org.freedesktop.DBus.Properties", "PropertiesChanged",
                                      HB_TEST_THREAD_IFACE);
}

static void
set_config (HbTestEnv *env, const char *path, const char *changes)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(GVariant) reply = hb_dbus_test_call (env, path, HB_TEST_THREAD_IFACE, "SetConfig",
                                                 config_args (changes),
                                                 "()", &error);

  g_assert_no_error (error);
}

static void
assert_property (GVariant *props, const char *property, GVariant *expected)
{
  g_autoptr(GVariant) want = g_variant_ref_sink (expected);
  g_autoptr(GVariant) got = g_variant_lookup_value (props, property, NULL);
  g_autofree char *got_text = got != NULL ? g_variant_print (got, TRUE) : g_strdup ("(missing)");
  g_autofree char *want_text = g_variant_print (want, TRUE);

  g_test_message ("%s: %s", property, got_text);
  g_assert_cmpstr (got_text, ==, want_text);
}

static void
test_valid_writes_persist (void)
{
  HbTestDaemon *daemon = NULL;
  g_autoptr(HbTestEnv) env = hb_dbus_test_start (NULL, &daemon);
  g_autofree char *path = hb_dbus_test_add_thread (env, "writes");
  g_autoptr(HbTestSignalRecorder) changed = changed_recorder (env, path);
  g_autoptr(GVariant) props = NULL;
  g_autoptr(GError) error = NULL;
  g_autofree char *stored = NULL;
  int status = -1;

  /* Active hours go in pairs: set both first, then each alone may change. */
  set_config (env, path, "{'active_hours_start': <'09:00'>, 'active_hours_end': <'17:00'>}");
  for (guint i = 0; i < G_N_ELEMENTS (valid_writes); i++)
    {
      const ValidWrite *w = &valid_writes[i];

      g_test_message ("setting %s = %s%s", w->property, w->value,
                      w->busctl_sig != NULL ? " with busctl" : "");
      if (w->busctl_sig != NULL)
        {
          g_autoptr(HbTestCommandResult) r = hb_test_busctl (env, &error, "set-property",
                                                             HB_TEST_BUS_NAME, path,
                                                             HB_TEST_THREAD_IFACE, w->property,
                                                             w->busctl_sig, w->busctl_arg, NULL);

          g_assert_no_error (error);
          if (r->exit_status != 0)
            g_test_message ("busctl: %s%s", r->out, r->err);
          g_assert_cmpint (r->exit_status, ==, 0);
        }
      else
        {
          hb_dbus_test_set_property (env, path, w->property, parse (w->value), &error);
          g_assert_no_error (error);
        }
      g_assert_true (hb_dbus_test_wait_changed (changed, w->property, parse (w->value), &error));
      g_assert_no_error (error);
    }

  stored = hb_dbus_test_db_text (env, CONFIG_SQL, "writes", NULL);
  g_assert_nonnull (stored);
  g_assert_nonnull (strstr (stored, "Europe/Berlin"));

  g_assert_true (hb_test_daemon_restart (daemon, &status, &error));
  g_assert_no_error (error);
  g_assert_cmpint (status, ==, 0);
  props = hb_dbus_test_get_all (env, path);
  for (guint i = 0; i < G_N_ELEMENTS (valid_writes); i++)
    assert_property (props, valid_writes[i].property, parse (valid_writes[i].value));
  assert_property (props, "ConfigProblem", g_variant_new_string (""));
}

typedef struct
{
  const char *property;
  const char *value;   /* GVariant text, or "nan" / "inf" for those doubles */
  const char *field;
} InvalidWrite;

static const InvalidWrite invalid_writes[] = {
  { "Enabled", "'yes'", "enabled" },
  { "Enabled", "uint32 1", "enabled" },
  { "Every", "uint32 59", "every" },
  { "Every", "uint32 86401", "every" },
  { "Every", "uint32 0", "every" },
  { "Every", "'30m'", "every" },
  { "Every", "int32 600", "every" },
  { "Target", "'all'", "target" },
  { "Target", "'everyone'", "target" },
  { "Target", "uint32 1", "target" },
  { "Model", "uint32 1", "model" },
  { "Model", "true", "model" },
  { "MaxTokens", "uint32 9", "max_tokens" },
  { "MaxTokens", "uint32 4001", "max_tokens" },
  { "MaxTokens", "uint32 0", "max_tokens" },
  { "MaxTokens", "2.5", "max_tokens" },
  { "Temperature", "-0.1", "temperature" },
  { "Temperature", "1.1", "temperature" },
  { "Temperature", "nan", "temperature" },
  { "Temperature", "inf", "temperature" },
  { "Temperature", "uint32 1", "temperature" },
  { "DryRun", "'true'", "dry_run" },
  { "DryRun", "uint32 0", "dry_run" },
  { "ActiveHoursStart", "'25:00'", "active_hours" },
  { "ActiveHoursStart", "'12:60'", "active_hours" },
  { "ActiveHoursStart", "'ab:cd'", "active_hours" },
  { "ActiveHoursStart", "'24:00'", "active_hours" },
  { "ActiveHoursStart", "'0900'", "active_hours" },
  { "ActiveHoursStart", "'17:00'", "active_hours" },  /* equal to the end */
  { "ActiveHoursStart", "''", "active_hours" },       /* the end alone is left */
  { "ActiveHoursStart", "uint32 900", "active_hours" },
  { "ActiveHoursEnd", "'24:01'", "active_hours" },
  { "ActiveHoursEnd", "'x'", "active_hours" },
  { "ActiveHoursEnd", "'09:00'", "active_hours" },    /* equal to the start */
  { "ActiveHoursEnd", "''", "active_hours" },
  { "TimeZone", "'Mars/Olympus'", "timezone" },
  { "TimeZone", "'Not a zone'", "timezone" },
  { "TimeZone", "'../../etc/passwd'", "timezone" },
  { "TimeZone", "uint32 1", "timezone" },
};

static GVariant *
invalid_value (const char *text)
{
  if (g_str_equal (text, "nan"))
    return g_variant_new_double (NAN);
  if (g_str_equal (text, "inf"))
    return g_variant_new_double (INFINITY);
  return parse (text);
}

/* Every invalid value is refused, naming the field (the D-Bus property name counts too, as
 * GDBus itself names it for a value of the wrong type), and changes nothing anywhere. */
static void
test_invalid_writes_refused (void)
{
  g_autoptr(HbTestEnv) env = hb_dbus_test_start (NULL, NULL);
  g_autofree char *path = hb_dbus_test_add_thread (env, "invalid writes");
  g_autoptr(GVariant) before = NULL;
  g_autofree char *stored = NULL;

  set_config (env, path, "{'active_hours_start': <'09:00'>, 'active_hours_end': <'17:00'>}");
  before = hb_dbus_test_get_all (env, path);
  stored = hb_dbus_test_db_text (env, CONFIG_SQL, "invalid writes", NULL);
  for (guint i = 0; i < G_N_ELEMENTS (invalid_writes); i++)
    {
      const InvalidWrite *w = &invalid_writes[i];
      g_autoptr(GError) error = NULL;
      g_autoptr(GVariant) after = NULL;
      g_autofree char *stored_after = NULL;
      g_autofree char *before_text = g_variant_print (before, TRUE);
      g_autofree char *after_text = NULL;

      g_test_message ("%s = %s", w->property, w->value);
      g_assert_false (hb_dbus_test_set_property (env, path, w->property,
                                                 invalid_value (w->value), &error));
      hb_dbus_test_assert_error (error, HB_DBUS_INVALID_ARGS, w->field, w->property, NULL);
      after = hb_dbus_test_get_all (env, path);
      after_text = g_variant_print (after, TRUE);
      g_assert_cmpstr (after_text, ==, before_text);
      stored_after = hb_dbus_test_db_text (env, CONFIG_SQL, "invalid writes", NULL);
      g_assert_cmpstr (stored_after, ==, stored);
    }
}

static void
assert_set_config_refused (HbTestEnv *env, const char *path, const char *changes,
                           const char *field)
{
  g_autoptr(GVariant) before = hb_dbus_test_get_all (env, path);
  g_autofree char *before_text = g_variant_print (before, TRUE);
  g_autofree char *stored = hb_dbus_test_db_text (env, CONFIG_SQL, "set config", NULL);
  g_autofree char *stored_after = NULL;
  g_autofree char *after_text = NULL;
  g_autoptr(GVariant) after = NULL;
  g_autoptr(GVariant) reply = NULL;
  g_autoptr(GError) error = NULL;

  g_test_message ("SetConfig %s", changes);
  reply = hb_dbus_test_call (env, path, HB_TEST_THREAD_IFACE, "SetConfig",
                             config_args (changes), "()",
                             &error);
  g_assert_null (reply);
  hb_dbus_test_assert_error (error, HB_DBUS_INVALID_ARGS, field, NULL);
  after = hb_dbus_test_get_all (env, path);
  after_text = g_variant_print (after, TRUE);
  g_assert_cmpstr (after_text, ==, before_text);
  stored_after = hb_dbus_test_db_text (env, CONFIG_SQL, "set config", NULL);
  g_assert_cmpstr (stored_after, ==, stored);
}

static const struct
{
  const char *property;
  const char *value;
} defaults[] = {
  { "Enabled", "true" },
  { "Every", "uint32 1800" },
  { "Target", "'none'" },
  { "Model", "''" },
  { "MaxTokens", "uint32 500" },
  { "Temperature", "0.7" },
  { "DryRun", "false" },
  { "ActiveHoursStart", "''" },
  { "ActiveHoursEnd", "''" },
  { "TimeZone", "''" },
};

/* SetConfig applies all or nothing; ResetConfig brings the defaults back, for good. */
static void
test_set_config_and_reset (void)
{
  HbTestDaemon *daemon = NULL;
  g_autoptr(HbTestEnv) env = hb_dbus_test_start (NULL, &daemon);
  g_autofree char *path = hb_dbus_test_add_thread (env, "set config");
  g_autoptr(HbTestSignalRecorder) changed = changed_recorder (env, path);
  g_autoptr(GVariant) props = NULL;
  g_autoptr(GVariant) reset = NULL;
  g_autoptr(GError) error = NULL;
  int status = -1;

  props = hb_dbus_test_get_all (env, path);
  for (guint i = 0; i < G_N_ELEMENTS (defaults); i++)
    assert_property (props, defaults[i].property, parse (defaults[i].value));

  /* One active hour alone, then one bad key among good ones, an unknown key, a wrong type. */
  g_assert_false (hb_dbus_test_set_property (env, path, "ActiveHoursStart",
                                             g_variant_new_string ("09:00"), &error));
  hb_dbus_test_assert_error (error, HB_DBUS_INVALID_ARGS, "active_hours", NULL);
  g_clear_error (&error);
  assert_set_config_refused (env, path,
                             "{'every': <uint32 600>, 'max_tokens': <uint32 9000>, "
                             "'target': <'last'>}", "max_tokens");
  assert_set_config_refused (env, path, "{'every': <uint32 600>, 'colour': <'red'>}", "colour");
  assert_set_config_refused (env, path, "{'max_tokens': <'many'>}", "max_tokens");
  assert_set_config_refused (env, path, "{'every': <'soon'>}", "every");
  assert_set_config_refused (env, path, "{'every': <600.0>}", "every");
  /* Other integer types are taken (bindings send them), but the range still holds. */
  assert_set_config_refused (env, path, "{'every': <int64 59>}", "every");
  assert_set_config_refused (env, path, "{'max_tokens': <int32 -5>}", "max_tokens");
  assert_set_config_refused (env, path, "{'active_hours_start': <'22:00'>}", "active_hours");

  set_config (env, path,
              "{'enabled': <false>, 'every': <'1h30m'>, 'target': <'last'>, 'model': <'m:1'>, "
              "'max_tokens': <uint32 10>, 'temperature': <0.0>, 'dry_run': <true>, "
              "'active_hours_start': <'22:00'>, 'active_hours_end': <'06:00'>, "
              "'timezone': <'America/New_York'>}");
  g_assert_true (hb_dbus_test_wait_changed (changed, "Every", g_variant_new_uint32 (5400), &error));
  g_assert_no_error (error);
  g_clear_pointer (&props, g_variant_unref);
  props = hb_dbus_test_get_all (env, path);
  assert_property (props, "Enabled", g_variant_new_boolean (FALSE));
  assert_property (props, "Every", g_variant_new_uint32 (5400));
  assert_property (props, "Target", g_variant_new_string ("last"));
  assert_property (props, "Model", g_variant_new_string ("m:1"));
  assert_property (props, "MaxTokens", g_variant_new_uint32 (10));
  assert_property (props, "Temperature", g_variant_new_double (0.0));
  assert_property (props, "DryRun", g_variant_new_boolean (TRUE));
  assert_property (props, "ActiveHoursStart", g_variant_new_string ("22:00"));
  assert_property (props, "ActiveHoursEnd", g_variant_new_string ("06:00"));
  assert_property (props, "TimeZone", g_variant_new_string ("America/New_York"));

  /* Fields not named keep their values; an empty string removes active hours. */
  set_config (env, path, "{'active_hours_start': <''>, 'active_hours_end': <''>}");
  g_assert_true (hb_dbus_test_wait_changed (changed, "ActiveHoursStart", g_variant_new_string (""),
                                            &error));
  g_clear_pointer (&props, g_variant_unref);
  props = hb_dbus_test_get_all (env, path);
  assert_property (props, "ActiveHoursEnd", g_variant_new_string (""));
  assert_property (props, "Every", g_variant_new_uint32 (5400));

  reset = hb_dbus_test_call (env, path, HB_TEST_THREAD_IFACE, "ResetConfig", NULL, "()", &error);
  g_assert_no_error (error);
  g_assert_true (hb_dbus_test_wait_changed (changed, "Every", g_variant_new_uint32 (1800), &error));
  g_assert_no_error (error);
  g_assert_true (hb_test_daemon_restart (daemon, &status, &error));
  g_assert_no_error (error);
  g_clear_pointer (&props, g_variant_unref);
  props = hb_dbus_test_get_all (env, path);
  for (guint i = 0; i < G_N_ELEMENTS (defaults); i++)
    assert_property (props, defaults[i].property, parse (defaults[i].value));
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);

  g_test_add_func ("/dbus/config/valid-writes-persist", test_valid_writes_persist);
  g_test_add_func ("/dbus/config/invalid-writes-refused", test_invalid_writes_refused);
  g_test_add_func ("/dbus/config/set-config-and-reset", test_set_config_and_reset);

  return g_test_run ();
}
