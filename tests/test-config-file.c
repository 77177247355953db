/* test-config-file.c: the daemon's key file: defaults, every group, a bad value per key with its
 * message, unknown groups/keys (warnings), missing files, hb_parse_bool. */
#include "config.h"

#include <glib.h>
#include <glib/gstdio.h>
#include <string.h>

#include "hb-config.h"
#include "hb-error.h"

/* Warnings from the daemon's log domain, captured instead of aborting the test (GTest makes
 * warnings fatal, and g_test_expect_message() does not see structured logging in GLib 2.74). */
static GPtrArray *captured;

static GLogWriterOutput
capture_writer (GLogLevelFlags level, const GLogField *fields, gsize n_fields, gpointer user_data)
{
  const char *domain = NULL, *message = NULL;

  for (gsize i = 0; i < n_fields; i++)
    {
      if (strcmp (fields[i].key, "GLIB_DOMAIN") == 0)
        domain = fields[i].value;
      else if (strcmp (fields[i].key, "MESSAGE") == 0)
        message = fields[i].value;
    }
  if (captured != NULL && (level & G_LOG_LEVEL_WARNING) && g_strcmp0 (domain, "crt-heartbeat") == 0)
    {
      g_ptr_array_add (captured, g_strdup (message));
      return G_LOG_WRITER_HANDLED;
    }
  return g_log_writer_default (level, fields, n_fields, user_data);
}

static void
assert_defaults (const HbDaemonConfig *cfg)
{
  g_autoptr(HbThreadConfig) thread_defaults = hb_thread_config_new_default ();

  g_assert_false (cfg->enabled);
  g_assert_false (cfg->enabled_set);
  g_assert_null (cfg->database);
  g_assert_null (cfg->ledger_database);
  g_assert_null (cfg->memory_database);
  g_assert_null (cfg->workspace);
  g_assert_cmpuint (cfg->max_concurrent, ==, 1);
  g_assert_cmpuint (cfg->prompt_max_bytes, ==, 32768);
  g_assert_true (cfg->skip_unchanged);
  g_assert_cmpuint (cfg->offset_max, ==, 300);
  g_assert_cmpuint (cfg->breaker_threshold, ==, 3);
  g_assert_cmpstr (cfg->backend_kind, ==, "ollama");
  g_assert_null (cfg->backend_url);
  g_assert_null (cfg->api_key_file);
  g_assert_cmpstr (cfg->default_model, ==, "");
  g_assert_cmpuint (cfg->connect_timeout, ==, 10);
  g_assert_cmpuint (cfg->headers_timeout, ==, 300);
  g_assert_cmpuint (cfg->total_timeout, ==, 600);
  g_assert_cmpuint (cfg->max_body, ==, 1048576);
  g_assert_cmpstr (cfg->keep_alive, ==, "30m");
  g_assert_false (cfg->stream);
  g_assert_cmpuint (cfg->retries, ==, 2);
  g_assert_cmpuint (cfg->post_interval, ==, 1800);
  g_assert_cmpuint (cfg->comment_interval, ==, 20);
  g_assert_cmpuint (cfg->comments_per_day, ==, 50);
  g_assert_null (cfg->http_listen);
  g_assert_true (hb_thread_config_equal (cfg->defaults, thread_defaults));
}

static void
test_file_defaults (void)
{
  g_autoptr(HbDaemonConfig) fresh = hb_daemon_config_new_default ();
  g_autoptr(HbDaemonConfig) empty = hb_daemon_config_load_from_data ("", NULL);
  g_autoptr(HbDaemonConfig) comments = hb_daemon_config_load_from_data ("# nothing\n\n[daemon]\n", NULL);
  g_autoptr(HbDaemonConfig) missing = NULL;
  g_autoptr(GError) error = NULL;

  assert_defaults (fresh);
  assert_defaults (empty);
  assert_defaults (comments);

  missing = hb_daemon_config_load ("/nonexistent/crt-heartbeat.conf", FALSE, &error);
  g_assert_no_error (error);
  assert_defaults (missing);
  g_assert_null (hb_daemon_config_load ("/nonexistent/crt-heartbeat.conf", TRUE, &error));
  g_assert_error (error, G_FILE_ERROR, G_FILE_ERROR_NOENT);
}

static const char full_file[] =
  "[daemon]\n"
  "enabled=true\n"
  "database=/var/lib/crt/db.sqlite\n"
  "ledger-database=/var/lib/crt/ledger.sqlite\n"
  "memory-database=/var/lib/crt/memory.sqlite\n"
  "workspace=/srv/workspace\n"
  "max-concurrent=4\n"
  "prompt-max-bytes=65536\n"
  "skip-unchanged=no\n"
  "offset-max=0\n"
  "breaker-threshold=5\n"
  "[backend]\n"
  "kind=openai\n"
  "url=https://llm.example:8443/v1\n"
  "api-key-file=/etc/crt/key\n"
  "model=qwen2.5:7b\n"
  "connect-timeout=5\n"
  "headers-timeout=2m\n"
  "total-timeout=1h\n"
  "max-body=2097152\n"
  "keep-alive=1h30m\n"
  "stream=true\n"
  "retries=0\n"
  "[defaults]\n"
  "every=30m\n"
  "target=last\n"
  "max_tokens=800\n"
  "temperature=0.25\n"
  "dry_run=true\n"
  "active_hours_start=09:00\n"
  "active_hours_end=17:00\n"
  "timezone=Europe/Berlin\n"
  "[budgets]\n"
  "post-interval=1h\n"
  "comment-interval=45\n"
  "comments-per-day=10\n"
  "[http]\n"
  "listen=127.0.0.1:8080\n";

static void
test_file_full (void)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(HbDaemonConfig) cfg = hb_daemon_config_load_from_data (full_file, &error);

  g_assert_no_error (error);
  g_assert_true (cfg->enabled);
  g_assert_true (cfg->enabled_set);
  g_assert_cmpstr (cfg->database, ==, "/var/lib/crt/db.sqlite");
  g_assert_cmpstr (cfg->ledger_database, ==, "/var/lib/crt/ledger.sqlite");
  g_assert_cmpstr (cfg->memory_database, ==, "/var/lib/crt/memory.sqlite");
  g_assert_cmpstr (cfg->workspace, ==, "/srv/workspace");
  g_assert_cmpuint (cfg->max_concurrent, ==, 4);
  g_assert_cmpuint (cfg->prompt_max_bytes, ==, 65536);
  g_assert_false (cfg->skip_unchanged);
  g_assert_cmpuint (cfg->offset_max, ==, 0);
  g_assert_cmpuint (cfg->breaker_threshold, ==, 5);
  g_assert_cmpstr (cfg->backend_kind, ==, "openai");
  g_assert_cmpstr (cfg->backend_url, ==, "https://llm.example:8443/v1");
  g_assert_cmpstr (cfg->api_key_file, ==, "/etc/crt/key");
  g_assert_cmpstr (cfg->default_model, ==, "qwen2.5:7b");
  g_assert_cmpuint (cfg->connect_timeout, ==, 5);
  g_assert_cmpuint (cfg->headers_timeout, ==, 120);
  g_assert_cmpuint (cfg->total_timeout, ==, 3600);
  g_assert_cmpuint (cfg->max_body, ==, 2097152);
  g_assert_cmpstr (cfg->keep_alive, ==, "90m");
  g_assert_true (cfg->stream);
  g_assert_cmpuint (cfg->retries, ==, 0);
  g_assert_cmpuint (cfg->post_interval, ==, 3600);
  g_assert_cmpuint (cfg->comment_interval, ==, 45);
  g_assert_cmpuint (cfg->comments_per_day, ==, 10);
  g_assert_cmpstr (cfg->http_listen, ==, "127.0.0.1:8080");

  g_assert_true (cfg->defaults->enabled);
  g_assert_cmpuint (cfg->defaults->every, ==, 1800);
  g_assert_cmpint (cfg->defaults->target, ==, HB_TARGET_LAST);
  g_assert_cmpuint (cfg->defaults->max_tokens, ==, 800);
  g_assert_cmpfloat (cfg->defaults->temperature, ==, 0.25);
  g_assert_true (cfg->defaults->dry_run);
  g_assert_cmpint (cfg->defaults->active_start, ==, 540);
  g_assert_cmpint (cfg->defaults->active_end, ==, 1020);
  g_assert_cmpstr (cfg->defaults->timezone, ==, "Europe/Berlin");
}

/* Values that load: {group, key, value, what to check as a string} */
static const struct {
  const char *group, *key, *value;
  const char *expected;
} good_values[] = {
  { "daemon", "enabled", "off", "enabled=0" },
  { "daemon", "enabled", "YES", "enabled=1" },
  { "daemon", "database", "", "database=(null)" },
  { "daemon", "offset-max", "5m", "offset-max=300" },
  { "backend", "keep-alive", "30m", "keep-alive=30m" },
  { "backend", "keep-alive", "1d", "keep-alive=24h" },
  { "backend", "keep-alive", "90", "keep-alive=90s" },
  { "backend", "keep-alive", "0", "keep-alive=0s" },
  { "backend", "keep-alive", "-1", "keep-alive=-1m" },
  { "backend", "url", "http://127.0.0.1:11434", "url=http://127.0.0.1:11434" },
  { "backend", "url", "", "url=(null)" },
  { "http", "listen", "[::1]:8080", "listen=[::1]:8080" },
  { "http", "listen", "localhost:0", "listen=localhost:0" },
  { "http", "listen", "", "listen=(null)" },
  { "defaults", "active_hours_start", "", "active=-1" },
  { "defaults", "timezone", "local", "timezone=" },
  { "defaults", "every", "600", "every=600" },
  { "defaults", "temperature", "1", "temperature=1" },
};

static char *
describe (const HbDaemonConfig *cfg, const char *key)
{
  if (strcmp (key, "enabled") == 0)
    return g_strdup_printf ("enabled=%d", cfg->enabled);
  if (strcmp (key, "database") == 0)
    return g_strdup_printf ("database=%s", cfg->database ? cfg->database : "(null)");
  if (strcmp (key, "offset-max") == 0)
    return g_strdup_printf ("offset-max=%u", cfg->offset_max);
  if (strcmp (key, "keep-alive") == 0)
    return g_strdup_printf ("keep-alive=%s", cfg->keep_alive);
  if (strcmp (key, "url") == 0)
    return g_strdup_printf ("url=%s", cfg->backend_url ? cfg->backend_url : "(null)");
  if (strcmp (key, "listen") == 0)
    return g_strdup_printf ("listen=%s", cfg->http_listen ? cfg->http_listen : "(null)");
  if (strcmp (key, "active_hours_start") == 0)
    return g_strdup_printf ("active=%d", cfg->defaults->active_start);
  if (strcmp (key, "timezone") == 0)
    return g_strdup_printf ("timezone=%s", cfg->defaults->timezone);
  if (strcmp (key, "every") == 0)
    return g_strdup_printf ("every=%u", cfg->defaults->every);
  if (strcmp (key, "temperature") == 0)
    return g_strdup_printf ("temperature=%g", cfg->defaults->temperature);
  g_assert_not_reached ();
}

static void
test_file_good_values (void)
{
  for (gsize i = 0; i < G_N_ELEMENTS (good_values); i++)
    {
      g_autofree char *data = g_strdup_printf ("[%s]\n%s=%s\n", good_values[i].group, good_values[i].key,
                                               good_values[i].value);
      g_autoptr(GError) error = NULL;
      g_autoptr(HbDaemonConfig) cfg = hb_daemon_config_load_from_data (data, &error);
      g_autofree char *got = NULL;

      g_test_message ("%s", data);
      g_assert_no_error (error);
      got = describe (cfg, good_values[i].key);
      g_assert_cmpstr (got, ==, good_values[i].expected);
    }
}

/* One bad value per key: {group, key, value, the whole message} */
static const struct {
  const char *group, *key, *value;
  const char *message;
} bad_values[] = {
  { "daemon", "enabled", "maybe", "[daemon] enabled: expected true or false (got \"maybe\")" },
  { "daemon", "database", "a\\tb", "[daemon] database: must not contain control characters" },
  { "daemon", "ledger-database", "x\\ty", "[daemon] ledger-database: must not contain control characters" },
  { "daemon", "memory-database", "a\\nb", "[daemon] memory-database: must not contain control characters" },
  { "daemon", "workspace", "\\r", "[daemon] workspace: must not contain control characters" },
  { "daemon", "max-concurrent", "0", "[daemon] max-concurrent: must be between 1 and 64 (got 0)" },
  { "daemon", "max-concurrent", "65", "[daemon] max-concurrent: must be between 1 and 64 (got 65)" },
  { "daemon", "max-concurrent", "two", "[daemon] max-concurrent: expected a whole number (got \"two\")" },
  { "daemon", "max-concurrent", "-1", "[daemon] max-concurrent: expected a whole number (got \"-1\")" },
  { "daemon", "prompt-max-bytes", "100",
    "[daemon] prompt-max-bytes: must be between 4096 and 16777216 bytes (got 100)" },
  { "daemon", "prompt-max-bytes", "32k", "[daemon] prompt-max-bytes: expected a whole number (got \"32k\")" },
  { "daemon", "skip-unchanged", "2", "[daemon] skip-unchanged: expected true or false (got \"2\")" },
  { "daemon", "offset-max", "86401", "[daemon] offset-max: must be between 0 and 86400 seconds (got 86401)" },
  { "daemon", "offset-max", "5x",
    "[daemon] offset-max: invalid duration \"5x\": unknown unit 'x' (use d, h, m or s)" },
  { "daemon", "breaker-threshold", "0", "[daemon] breaker-threshold: must be between 1 and 1000 (got 0)" },
  { "backend", "kind", "claude", "[backend] kind: must be \"ollama\" or \"openai\" (got \"claude\")" },
  { "backend", "url", "ftp://host/x", "[backend] url: must be an http:// or https:// URL with a host (got \"ftp://host/x\")" },
  { "backend", "url", "127.0.0.1:11434", "[backend] url: must be an http:// or https:// URL with a host (got \"127.0.0.1:11434\")" },
  { "backend", "url", "http://", "[backend] url: must be an http:// or https:// URL with a host (got \"http://\")" },
  { "backend", "api-key-file", "k\\t", "[backend] api-key-file: must not contain control characters" },
  { "backend", "model", "bad\\nmodel", "[backend] model: must not contain control characters" },
  { "backend", "connect-timeout", "0", "[backend] connect-timeout: must be between 1 and 3600 seconds (got 0)" },
  { "backend", "connect-timeout", "2h", "[backend] connect-timeout: must be between 1 and 3600 seconds (got 7200)" },
  { "backend", "headers-timeout", "0", "[backend] headers-timeout: must be between 1 and 86400 seconds (got 0)" },
  { "backend", "total-timeout", "2d", "[backend] total-timeout: must be between 1 and 86400 seconds (got 172800)" },
  { "backend", "total-timeout", "60",
    "[backend] total-timeout: must be at least connect-timeout (10) and headers-timeout (300)" },
  { "backend", "max-body", "100", "[backend] max-body: must be between 1024 and 268435456 bytes (got 100)" },
  { "backend", "keep-alive", "forever", "[backend] keep-alive: invalid duration \"forever\": expected a number (units: d, h, m, s)" },
  { "backend", "keep-alive", "-x", "[backend] keep-alive: invalid duration \"x\": expected a number (units: d, h, m, s)" },
  { "backend", "stream", "sometimes", "[backend] stream: expected true or false (got \"sometimes\")" },
  { "backend", "retries", "11", "[backend] retries: must be between 0 and 10 (got 11)" },
  { "budgets", "post-interval", "8d", "[budgets] post-interval: must be between 0 and 604800 seconds (got 691200)" },
  { "budgets", "comment-interval", "-1", "[budgets] comment-interval: invalid duration \"-1\": negative durations are not allowed" },
  { "budgets", "comments-per-day", "10001", "[budgets] comments-per-day: must be between 0 and 10000 (got 10001)" },
  { "http", "listen", "nohost", "[http] listen: expected host:port, e.g. 127.0.0.1:8080 (got \"nohost\")" },
  { "http", "listen", "127.0.0.1:99999", "[http] listen: expected host:port, e.g. 127.0.0.1:8080 (got \"127.0.0.1:99999\")" },
  { "http", "listen", ":8080", "[http] listen: expected host:port, e.g. 127.0.0.1:8080 (got \":8080\")" },
  { "http", "listen", "::1:8080", "[http] listen: expected host:port, e.g. 127.0.0.1:8080 (got \"::1:8080\")" },
  { "defaults", "enabled", "maybe", "[defaults] enabled: expected true or false (got \"maybe\")" },
  { "defaults", "every", "30", "[defaults] every: must be between 60 and 86400 seconds (got 30)" },
  { "defaults", "every", "1m1h", "[defaults] every: invalid duration \"1m1h\": units must appear at most once each, in the order d, h, m, s" },
  { "defaults", "target", "all", "[defaults] target: must be \"none\" or \"last\" (got \"all\")" },
  { "defaults", "model", "m\\tx", "[defaults] model: must not contain control characters" },
  { "defaults", "max_tokens", "lots", "[defaults] max_tokens: expected an integer (got \"lots\")" },
  { "defaults", "max_tokens", "5", "[defaults] max_tokens: must be between 10 and 4000 (got 5)" },
  { "defaults", "temperature", "hot", "[defaults] temperature: expected a number (got \"hot\")" },
  { "defaults", "temperature", "1.5", "[defaults] temperature: must be between 0 and 1 (got 1.5)" },
  { "defaults", "dry_run", "perhaps", "[defaults] dry_run: expected true or false (got \"perhaps\")" },
  { "defaults", "active_hours_start", "09:00", "[defaults] active_hours_end: required when active_hours_start is set" },
  { "defaults", "active_hours_end", "25:00", "[defaults] active_hours_end: invalid time \"25:00\": must be 00:00..23:59 or 24:00" },
  { "defaults", "timezone", "Mars/Olympus", "[defaults] timezone: unknown time zone \"Mars/Olympus\"" },
};

static void
test_file_bad_values (void)
{
  for (gsize i = 0; i < G_N_ELEMENTS (bad_values); i++)
    {
      g_autofree char *data = g_strdup_printf ("[%s]\n%s=%s\n", bad_values[i].group, bad_values[i].key,
                                               bad_values[i].value);
      g_autofree char *expected = g_strconcat ("config: ", bad_values[i].message, NULL);
      g_autoptr(GError) error = NULL;
      g_autoptr(HbDaemonConfig) cfg = hb_daemon_config_load_from_data (data, &error);

      g_test_message ("%s", data);
      g_assert_null (cfg);
      g_assert_error (error, HB_ERROR, HB_ERROR_INVALID_CONFIG);
      g_assert_cmpstr (error->message, ==, expected);
    }
}

static void
test_file_errors_collected (void)
{
  g_autoptr(GError) error = NULL;

  g_assert_null (hb_daemon_config_load_from_data ("[daemon]\nmax-concurrent=0\n[backend]\nretries=99\n"
                                                  "[defaults]\nevery=1\ntarget=x\n", &error));
  g_assert_cmpstr (error->message, ==,
                   "config: [daemon] max-concurrent: must be between 1 and 64 (got 0); "
                   "[backend] retries: must be between 0 and 10 (got 99); "
                   "[defaults] every: must be between 60 and 86400 seconds (got 1); "
                   "[defaults] target: must be \"none\" or \"last\" (got \"x\")");
  g_clear_error (&error);

  g_assert_null (hb_daemon_config_load_from_data ("[backend]\nkind=openai\n", &error));
  g_assert_cmpstr (error->message, ==, "config: [backend] url: required when kind=openai");
  g_clear_error (&error);

  g_assert_null (hb_daemon_config_load_from_data ("this is not a key file\n", &error));
  g_assert_error (error, HB_ERROR, HB_ERROR_INVALID_CONFIG);
  g_assert_true (g_str_has_prefix (error->message, "config: not a valid key file: "));
}

static void
test_file_unknown_warns (void)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(HbDaemonConfig) cfg = NULL;

  captured = g_ptr_array_new_with_free_func (g_free);
  cfg = hb_daemon_config_load_from_data ("[daemon]\nmax-concurent=2\nmax-concurrent=3\n"
                                         "[Daemon]\nenabled=true\n"
                                         "[defaults]\nevry=60\nevery=120\n", &error);
  g_assert_no_error (error);
  g_assert_cmpuint (cfg->max_concurrent, ==, 3);
  g_assert_false (cfg->enabled_set);
  g_assert_cmpuint (cfg->defaults->every, ==, 120);
  g_assert_cmpuint (captured->len, ==, 3);
  g_assert_cmpstr (captured->pdata[0], ==, "config: unknown key max-concurent in [daemon] ignored");
  g_assert_cmpstr (captured->pdata[1], ==, "config: unknown group [Daemon] ignored");
  g_assert_cmpstr (captured->pdata[2], ==, "config: unknown key evry in [defaults] ignored");
  g_clear_pointer (&captured, g_ptr_array_unref);
}

static void
test_file_on_disk (void)
{
  g_autoptr(GError) error = NULL;
  g_autofree char *dir = g_dir_make_tmp ("hb-config-XXXXXX", &error);
  g_autofree char *good = g_build_filename (dir, "good.conf", NULL);
  g_autofree char *bad = g_build_filename (dir, "bad.conf", NULL);
  g_autoptr(HbDaemonConfig) cfg = NULL;
  g_autofree char *expected = NULL;

  g_assert_no_error (error);
  g_assert_true (g_file_set_contents (good, "[daemon]\nenabled=false\nworkspace=/w\n", -1, NULL));
  g_assert_true (g_file_set_contents (bad, "[backend]\nretries=many\n", -1, NULL));

  cfg = hb_daemon_config_load (good, TRUE, &error);
  g_assert_no_error (error);
  g_assert_false (cfg->enabled);
  g_assert_true (cfg->enabled_set);     /* said so explicitly: the env var must not override */
  g_assert_cmpstr (cfg->workspace, ==, "/w");

  g_assert_null (hb_daemon_config_load (bad, FALSE, &error));
  expected = g_strdup_printf ("%s: [backend] retries: expected a whole number (got \"many\")", bad);
  g_assert_cmpstr (error->message, ==, expected);

  g_assert_cmpint (g_unlink (good), ==, 0);
  g_assert_cmpint (g_unlink (bad), ==, 0);
  g_assert_cmpint (g_rmdir (dir), ==, 0);
}

static void
test_parse_bool (void)
{
  static const struct { const char *str; gboolean ok, value; } rows[] = {
    { "1", TRUE, TRUE }, { "true", TRUE, TRUE }, { "yes", TRUE, TRUE }, { "on", TRUE, TRUE },
    { "TRUE", TRUE, TRUE }, { "Yes", TRUE, TRUE }, { "ON", TRUE, TRUE },
    { "0", TRUE, FALSE }, { "false", TRUE, FALSE }, { "no", TRUE, FALSE }, { "off", TRUE, FALSE },
    { "FALSE", TRUE, FALSE }, { "Off", TRUE, FALSE },
    { "", FALSE, FALSE }, { "2", FALSE, FALSE }, { "y", FALSE, FALSE }, { "n", FALSE, FALSE },
    { " true", FALSE, FALSE }, { "true ", FALSE, FALSE }, { "enable", FALSE, FALSE }, { "01", FALSE, FALSE },
  };
  gboolean out;

  for (gsize i = 0; i < G_N_ELEMENTS (rows); i++)
    {
      out = 42;
      g_assert_cmpint (hb_parse_bool (rows[i].str, &out), ==, rows[i].ok);
      g_assert_cmpint (out, ==, rows[i].ok ? rows[i].value : 42);
    }
  g_assert_false (hb_parse_bool (NULL, &out));
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);
  g_log_set_writer_func (capture_writer, NULL, NULL);

  g_test_add_func ("/config-file/defaults", test_file_defaults);
  g_test_add_func ("/config-file/full", test_file_full);
  g_test_add_func ("/config-file/good-values", test_file_good_values);
  g_test_add_func ("/config-file/bad-values", test_file_bad_values);
  g_test_add_func ("/config-file/errors-collected", test_file_errors_collected);
  g_test_add_func ("/config-file/unknown-warns", test_file_unknown_warns);
  g_test_add_func ("/config-file/on-disk", test_file_on_disk);
  g_test_add_func ("/config-file/parse-bool", test_parse_bool);

  return g_test_run ();
}
