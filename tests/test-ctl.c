/* test-ctl.c: crt-heartbeatctl, every command as a program against the real daemon on a private
 * bus: output, --json, exit codes. Its pure helpers are tested in test-ctl-units.c. */
#include "config.h"

#include <signal.h>
#include <string.h>
#include <glib/gstdio.h>

#include "hb-ctl.h"
#include "hb-ctl-format.h"
#include "hb-ctl-settings.h"
#include "hb-test-daemon.h"

/* ---- against the daemon ---- */

static const char *const daemon_env[] = { "CRT_HEARTBEAT_ENABLED", NULL };
static const HbTestDaemonOptions daemon_options = { .env = daemon_env };

static HbTestEnv *
start_env (void)
{
  HbTestEnv *env = hb_test_env_new (NULL);
  g_autoptr(GError) error = NULL;
  g_autofree char *md = g_build_filename (hb_test_env_get_workspace (env), "HEARTBEAT.md", NULL);

  g_mkdir_with_parents (hb_test_env_get_workspace (env), 0700);
  g_file_set_contents (md, "# Heartbeat\n\n## Rules\n- Be brief.\n", -1, &error);
  g_assert_no_error (error);
  hb_test_daemon_start (env, &daemon_options, &error);
  g_assert_no_error (error);
  return env;
}

static char *
ctl_path (void)
{
  return g_test_build_filename (G_TEST_BUILT, "..", "src", "ctl", "crt-heartbeatctl", NULL);
}

/* crt-heartbeatctl --session --no-pager ARGS... (NULL-terminated); @prefix runs it through
 * another program (e.g. "env", "EDITOR=..."), NULL for none. */
static HbTestCommandResult *
run_ctlv (HbTestEnv *env, const char *const *prefix, const char *const *args)
{
  g_autoptr(GPtrArray) argv = g_ptr_array_new_with_free_func (g_free);
  g_autoptr(GError) error = NULL;
  HbTestCommandResult *r;

  for (guint i = 0; prefix != NULL && prefix[i] != NULL; i++)
    g_ptr_array_add (argv, g_strdup (prefix[i]));
  g_ptr_array_add (argv, ctl_path ());
  g_ptr_array_add (argv, g_strdup ("--session"));
  g_ptr_array_add (argv, g_strdup ("--no-pager"));
  for (guint i = 0; args[i] != NULL; i++)
    g_ptr_array_add (argv, g_strdup (args[i]));
  g_ptr_array_add (argv, NULL);
  r = hb_test_run_command (env, (const char *const *) argv->pdata, 60000, &error);
  g_assert_no_error (error);
  g_test_message ("exit %d\nstdout: %s\nstderr: %s", r->exit_status, r->out, r->err);
  return r;
}

#define run_ctl(env, ...) run_ctlv ((env), NULL, (const char *const[]) { __VA_ARGS__, NULL })

static void
assert_exit (HbTestCommandResult *r, int status)
{
  if (r->exit_status != status)
    g_printerr ("stdout: %s\nstderr: %s\n", r->out, r->err);
  g_assert_cmpint (r->exit_status, ==, status);
}

static void
assert_contains (const char *haystack, const char *needle)
{
  if (strstr (haystack, needle) == NULL)
    g_printerr ("\"%s\" not in:\n%s\n", needle, haystack);
  g_assert_nonnull (strstr (haystack, needle));
}

static JsonNode *
parse_json (const char *text)
{
  g_autoptr(JsonParser) parser = json_parser_new ();
  g_autoptr(GError) error = NULL;

  json_parser_load_from_data (parser, text, -1, &error);
  g_assert_no_error (error);
  g_assert_nonnull (json_parser_get_root (parser));
  return json_node_copy (json_parser_get_root (parser));
}

static JsonObject *
json_object_of (JsonNode *node)
{
  g_assert_true (JSON_NODE_HOLDS_OBJECT (node));
  return json_node_get_object (node);
}

static const char *
json_string (JsonObject *o, const char *member)
{
  JsonNode *n = json_object_get_member (o, member);

  g_assert_nonnull (n);
  g_assert_true (JSON_NODE_HOLDS_VALUE (n));
  g_assert_cmpint (json_node_get_value_type (n), ==, G_TYPE_STRING);
  return json_node_get_string (n);
}

static void
add_thread (HbTestEnv *env, const char *id)
{
  g_autoptr(HbTestCommandResult) r = run_ctl (env, "add", id);

  assert_exit (r, 0);
}

static char *
thread_path (const char *id)
{
  g_autofree char *escaped = g_dbus_escape_object_path (id);

  return g_strconcat (HB_TEST_THREADS_PATH "/", escaped, NULL);
}

static GVariant *
thread_property (HbTestEnv *env, const char *id, const char *name)
{
  g_autofree char *path = thread_path (id);
  g_autoptr(GError) error = NULL;
  GVariant *v = hb_test_get_property (hb_test_env_get_connection (env), HB_TEST_BUS_NAME, path,
                                      HB_TEST_THREAD_IFACE, name, &error);

  g_assert_no_error (error);
  return v;
}

static void
test_unreachable (void)
{
  g_autoptr(HbTestEnv) env = hb_test_env_new (&(HbTestEnvOptions) { .no_fake_ollama = TRUE });
  g_autoptr(HbTestCommandResult) r = run_ctl (env, "status");
  g_autoptr(HbTestCommandResult) j = run_ctl (env, "--json", "list");
  g_autoptr(HbTestCommandResult) s = run_ctl (env, "show", "x");

  assert_exit (r, 3);
  assert_contains (r->err, "not running");
  g_assert_cmpstr (r->out, ==, "");
  assert_exit (j, 3);
  g_assert_cmpstr (j->out, ==, "");
  assert_exit (s, 3);
}

static void
test_usage (void)
{
  g_autoptr(HbTestEnv) env = hb_test_env_new (&(HbTestEnvOptions) { .no_fake_ollama = TRUE });
  const char *const *cases[] = {
    (const char *const[]) { "frobnicate", NULL },
    (const char *const[]) { "show", NULL },
    (const char *const[]) { "show", "a", "b", NULL },
    (const char *const[]) { "list", "--wait", NULL },
    (const char *const[]) { "--system", "status", NULL },   /* with --session */
    (const char *const[]) { "--no-such-option", NULL },
    (const char *const[]) { "set", "t", NULL },
    (const char *const[]) { "set", "t", "colour=blue", NULL },
    (const char *const[]) { "set", "t", "every", NULL },
    (const char *const[]) { "history", "t", "-n", "5000", NULL },
    (const char *const[]) { "instructions", "set", NULL },
  };

  /* No daemon at all: usage errors are found before the bus is asked. */
  for (guint i = 0; i < G_N_ELEMENTS (cases); i++)
    {
      g_autoptr(HbTestCommandResult) r = run_ctlv (env, NULL, cases[i]);

      assert_exit (r, 2);
      g_assert_cmpstr (r->out, ==, "");
      g_assert_cmpstr (r->err, !=, "");
    }
}

static void
test_status (void)
{
  g_autoptr(HbTestEnv) env = start_env ();
  g_autoptr(HbTestCommandResult) r = run_ctl (env, "status");
  g_autoptr(HbTestCommandResult) j = run_ctl (env, "status", "--json");
  g_autoptr(JsonNode) node = NULL;
  JsonObject *o;

  assert_exit (r, 0);
  assert_contains (r->out, "Scheduler:");
  assert_contains (r->out, "stopped");
  assert_contains (r->out, hb_test_env_get_fake_url (env));
  assert_contains (r->out, "Next wake-up:");
  g_assert_null (strstr (r->out, "\033["));   /* not a terminal: no colours */
  assert_exit (j, 0);
  node = parse_json (j->out);
  o = json_object_of (node);
  g_assert_false (json_object_get_boolean_member (o, "Enabled"));
  g_assert_cmpstr (json_string (o, "Bus"), ==, "session");
  g_assert_cmpstr (json_string (o, "BackendUrl"), ==, hb_test_env_get_fake_url (env));
}

static void
test_add_list_show (void)
{
  g_autoptr(HbTestEnv) env = start_env ();
  const char *long_id = "ein sehr langer Faden mit Umlauten äöü und noch mehr Text dahinter";
  g_autoptr(HbTestCommandResult) list = NULL;
  g_autoptr(HbTestCommandResult) json = NULL;
  g_autoptr(HbTestCommandResult) quiet = NULL;
  g_autoptr(HbTestCommandResult) show = NULL;
  g_autoptr(HbTestCommandResult) show_json = NULL;
  g_autoptr(HbTestCommandResult) again = NULL;
  g_autoptr(JsonNode) node = NULL;
  g_autoptr(JsonNode) shown = NULL;
  g_autofree char *path = thread_path ("日本 thread");
  JsonArray *array;

  add_thread (env, "日本 thread");
  add_thread (env, long_id);
  again = run_ctl (env, "--json", "add", "日本 thread");   /* idempotent */
  assert_exit (again, 0);
  {
    g_autoptr(JsonNode) added = parse_json (again->out);

    g_assert_cmpstr (json_string (json_object_of (added), "path"), ==, path);
  }

  list = run_ctl (env, "list");
  assert_exit (list, 0);
  assert_contains (list->out, "THREAD");
  assert_contains (list->out, "日本 thread");
  assert_contains (list->out, "30m");
  g_assert_null (strstr (list->out, long_id));         /* cut in the table ... */
  assert_contains (list->out, "ein sehr langer Faden");
  assert_contains (list->out, "\xe2\x80\xa6");          /* ... with an ellipsis */

  quiet = run_ctl (env, "list", "-q");
  assert_exit (quiet, 0);
  assert_contains (quiet->out, long_id);                /* whole in the id list */

  json = run_ctl (env, "list", "--json");
  assert_exit (json, 0);
  node = parse_json (json->out);
  g_assert_true (JSON_NODE_HOLDS_ARRAY (node));
  array = json_node_get_array (node);
  g_assert_cmpuint (json_array_get_length (array), ==, 2);
  g_assert_cmpstr (json_string (json_array_get_object_element (array, 0), "ThreadId"), ==,
                   long_id);   /* sorted by id */

  show = run_ctl (env, "show", "日本 thread");
  assert_exit (show, 0);
  assert_contains (show->out, "Every:");
  assert_contains (show->out, "30m");
  assert_contains (show->out, "all day");
  assert_contains (show->out, path);
  show_json = run_ctl (env, "show", "日本 thread", "--json");
  assert_exit (show_json, 0);
  shown = parse_json (show_json->out);
  g_assert_cmpstr (json_string (json_object_of (shown), "ThreadId"), ==, "日本 thread");
  g_assert_cmpint (json_object_get_int_member (json_object_of (shown), "Every"), ==, 1800);
}

static void
test_unknown_thread (void)
{
  g_autoptr(HbTestEnv) env = start_env ();
  const char *const *cases[] = {
    (const char *const[]) { "show", "nope", NULL },
    (const char *const[]) { "history", "nope", NULL },
    (const char *const[]) { "set", "nope", "every=5m", NULL },
    (const char *const[]) { "reset", "nope", NULL },
    (const char *const[]) { "run", "nope", NULL },
    (const char *const[]) { "run", "--wait", "nope", NULL },
    (const char *const[]) { "preview", "nope", NULL },
    (const char *const[]) { "--json", "show", "nope", NULL },
  };

  for (guint i = 0; i < G_N_ELEMENTS (cases); i++)
    {
      g_autoptr(HbTestCommandResult) r = run_ctlv (env, NULL, cases[i]);

      assert_exit (r, 1);
      g_assert_cmpstr (r->out, ==, "");
      /* One line, the daemon's message without GDBus's prefix, and the error's name. */
      assert_contains (r->err, "nope");
      assert_contains (r->err, "(UnknownThread)\n");
      g_assert_null (strstr (r->err, "GDBus.Error"));
      g_assert_cmpuint (strchr (r->err, '\n') - r->err + 1, ==, strlen (r->err));
    }
}

static void
test_set_reset (void)
{
  g_autoptr(HbTestEnv) env = start_env ();
  g_autoptr(HbTestCommandResult) set = NULL;
  g_autoptr(HbTestCommandResult) bad = NULL;
  g_autoptr(HbTestCommandResult) bad_bool = NULL;
  g_autoptr(HbTestCommandResult) json = NULL;
  g_autoptr(HbTestCommandResult) reset = NULL;
  g_autoptr(JsonNode) node = NULL;
  g_autoptr(GVariant) every = NULL;
  g_autoptr(GVariant) start = NULL;
  g_autoptr(GVariant) end = NULL;
  g_autoptr(GVariant) tz = NULL;
  g_autoptr(GVariant) dry = NULL;
  g_autoptr(GVariant) tokens = NULL;
  g_autoptr(GVariant) after_bad = NULL;
  g_autoptr(GVariant) tokens_after_bad = NULL;
  g_autoptr(GVariant) every_reset = NULL;

  add_thread (env, "t");
  set = run_ctl (env, "set", "t", "every=10m", "active-hours=09:00-17:00",
                 "timezone=Europe/Berlin", "dry-run=yes", "max-tokens=300", "temperature=0.5",
                 "target=last", "enabled=off");
  assert_exit (set, 0);
  every = thread_property (env, "t", "Every");
  start = thread_property (env, "t", "ActiveHoursStart");
  end = thread_property (env, "t", "ActiveHoursEnd");
  tz = thread_property (env, "t", "TimeZone");
  dry = thread_property (env, "t", "DryRun");
  tokens = thread_property (env, "t", "MaxTokens");
  g_assert_cmpuint (g_variant_get_uint32 (every), ==, 600);
  g_assert_cmpstr (g_variant_get_string (start, NULL), ==, "09:00");
  g_assert_cmpstr (g_variant_get_string (end, NULL), ==, "17:00");
  g_assert_cmpstr (g_variant_get_string (tz, NULL), ==, "Europe/Berlin");
  g_assert_true (g_variant_get_boolean (dry));
  g_assert_cmpuint (g_variant_get_uint32 (tokens), ==, 300);

  /* A value the daemon refuses: exit 1, the field named, and nothing applied (all or nothing:
   * the valid max-tokens beside it is not applied either). */
  bad = run_ctl (env, "set", "t", "max-tokens=400", "every=10s");
  assert_exit (bad, 1);
  assert_contains (bad->err, "every");
  after_bad = thread_property (env, "t", "Every");
  tokens_after_bad = thread_property (env, "t", "MaxTokens");
  g_assert_cmpuint (g_variant_get_uint32 (after_bad), ==, 600);
  g_assert_cmpuint (g_variant_get_uint32 (tokens_after_bad), ==, 300);

  /* A value of the wrong form, found by the client. */
  bad_bool = run_ctl (env, "set", "t", "dry-run=perhaps");
  assert_exit (bad_bool, 1);
  assert_contains (bad_bool->err, "dry-run");

  json = run_ctl (env, "--json", "set", "t", "every=1h");
  assert_exit (json, 0);
  node = parse_json (json->out);
  g_assert_cmpstr (json_string (json_object_of (node), "thread_id"), ==, "t");
  g_assert_true (JSON_NODE_HOLDS_OBJECT (json_object_get_member (json_object_of (node), "changes")));

  reset = run_ctl (env, "reset", "t");
  assert_exit (reset, 0);
  every_reset = thread_property (env, "t", "Every");
  g_assert_cmpuint (g_variant_get_uint32 (every_reset), ==, 1800);
}

/* run --wait: subscribed before RunNow, so it sees the signal, and reports the very run id the
 * signal carries; the exit code follows the run's status. */
static void
run_and_compare (HbTestEnv *env, const char *content, const char *want_status, int want_exit)
{
  GDBusConnection *conn = hb_test_env_get_connection (env);
  g_autoptr(HbTestSignalRecorder) rec = NULL;
  g_autoptr(HbTestCommandResult) r = NULL;
  g_autoptr(JsonNode) node = NULL;
  g_autoptr(GVariant) signal = NULL;
  g_autoptr(GVariant) result = NULL;
  g_autoptr(GError) error = NULL;
  const char *thread_id, *signal_run_id = NULL, *signal_status = NULL;

  g_assert_true (hb_test_fake_push_content (env, content, &error));
  g_assert_no_error (error);
  rec = hb_test_signal_recorder_new (conn, HB_TEST_BUS_NAME, HB_TEST_MANAGER_PATH,
                                     HB_TEST_MANAGER_IFACE, "HeartbeatCompleted", "t");
  r = run_ctl (env, "--json", "run", "--wait", "t");
  assert_exit (r, want_exit);
  node = parse_json (r->out);

  signal = hb_test_signal_recorder_wait (rec, HB_TEST_TIMEOUT_MS, &error);
  g_assert_no_error (error);
  g_variant_get (signal, "(&s@a{sv})", &thread_id, &result);
  g_assert_cmpstr (thread_id, ==, "t");
  g_assert_true (g_variant_lookup (result, "run_id", "&s", &signal_run_id));
  g_assert_true (g_variant_lookup (result, "status", "&s", &signal_status));
  g_assert_cmpstr (json_string (json_object_of (node), "run_id"), ==, signal_run_id);
  g_assert_cmpstr (json_string (json_object_of (node), "status"), ==, signal_status);
  g_assert_cmpstr (signal_status, ==, want_status);
}

static void
test_run_wait (void)
{
  g_autoptr(HbTestEnv) env = start_env ();
  g_autoptr(HbTestCommandResult) text = NULL;
  g_autoptr(GError) error = NULL;

  add_thread (env, "t");
  run_and_compare (env, "{\"action\": \"none\", \"reasoning\": \"Nothing new.\"}", "no-action", 0);
  run_and_compare (env, "this is not a decision", "invalid", 1);

  /* The text form names the run and its status. */
  g_assert_true (hb_test_fake_push_content (env, "{\"action\": \"none\", \"reasoning\": \"Quiet.\"}",
                                            &error));
  g_assert_no_error (error);
  text = run_ctl (env, "run", "t", "--wait");
  assert_exit (text, 0);
  assert_contains (text->out, "Run:");
  assert_contains (text->out, "Status:");
  assert_contains (text->out, "no-action");
}

static void
test_run_history (void)
{
  g_autoptr(HbTestEnv) env = start_env ();
  GDBusConnection *conn = hb_test_env_get_connection (env);
  g_autoptr(HbTestSignalRecorder) rec = NULL;
  g_autoptr(HbTestCommandResult) run = NULL;
  g_autoptr(HbTestCommandResult) history = NULL;
  g_autoptr(HbTestCommandResult) one = NULL;
  g_autoptr(HbTestCommandResult) empty = NULL;
  g_autoptr(JsonNode) started = NULL;
  g_autoptr(JsonNode) runs = NULL;
  g_autoptr(GError) error = NULL;
  g_autofree char *run_id = NULL;

  add_thread (env, "t");
  empty = run_ctl (env, "history", "t");
  assert_exit (empty, 0);
  assert_contains (empty->out, "No runs");

  for (int i = 0; i < 2; i++)
    {
      g_autoptr(GVariant) done = NULL;
      g_autoptr(HbTestCommandResult) r = NULL;

      rec = hb_test_signal_recorder_new (conn, HB_TEST_BUS_NAME, HB_TEST_MANAGER_PATH,
                                         HB_TEST_MANAGER_IFACE, "HeartbeatCompleted", "t");
      r = run_ctl (env, "--json", "run", "t");
      assert_exit (r, 0);
      g_clear_pointer (&started, json_node_unref);
      started = parse_json (r->out);
      g_free (run_id);
      run_id = g_strdup (json_string (json_object_of (started), "run_id"));
      done = hb_test_signal_recorder_wait (rec, HB_TEST_TIMEOUT_MS, &error);
      g_assert_no_error (error);
      g_clear_pointer (&rec, hb_test_signal_recorder_free);
    }

  history = run_ctl (env, "history", "t");
  assert_exit (history, 0);
  assert_contains (history->out, "STATUS");
  assert_contains (history->out, run_id);

  one = run_ctl (env, "history", "t", "-n", "1", "--json");
  assert_exit (one, 0);
  runs = parse_json (one->out);
  g_assert_true (JSON_NODE_HOLDS_ARRAY (runs));
  g_assert_cmpuint (json_array_get_length (json_node_get_array (runs)), ==, 1);
  g_assert_cmpstr (json_string (json_array_get_object_element (json_node_get_array (runs), 0),
                                "run_id"), ==, run_id);   /* newest first */
}

static void
test_preview (void)
{
  g_autoptr(HbTestEnv) env = start_env ();
  g_autoptr(HbTestCommandResult) r = NULL;
  g_autoptr(HbTestCommandResult) j = NULL;
  g_autoptr(JsonNode) node = NULL;
  g_autoptr(GError) error = NULL;
  const char *reply = "{\"action\": \"none\", \"reasoning\": \"All quiet here.\"}";

  add_thread (env, "t");
  g_assert_true (hb_test_fake_push_content (env, reply, &error));
  g_assert_no_error (error);
  r = run_ctl (env, "preview", "t");
  assert_exit (r, 0);
  assert_contains (r->out, "Prompt (model");
  assert_contains (r->out, "Be brief.");            /* HEARTBEAT.md is part of the prompt */
  assert_contains (r->out, "Reply:");
  assert_contains (r->out, "All quiet here.");
  assert_contains (r->out, "Verdict:");
  assert_contains (r->out, "valid");

  g_assert_true (hb_test_fake_push_content (env, reply, &error));
  g_assert_no_error (error);
  j = run_ctl (env, "--json", "preview", "t");
  assert_exit (j, 0);
  node = parse_json (j->out);
  g_assert_cmpstr (json_string (json_object_of (node), "verdict"), ==, "valid");
  assert_contains (json_string (json_object_of (node), "prompt"), "Be brief.");
}

static void
test_start_stop (void)
{
  g_autoptr(HbTestEnv) env = start_env ();
  GDBusConnection *conn = hb_test_env_get_connection (env);
  g_autoptr(HbTestCommandResult) start = NULL;
  g_autoptr(HbTestCommandResult) status = NULL;
  g_autoptr(HbTestCommandResult) stop = NULL;
  g_autoptr(JsonNode) node = NULL;
  g_autoptr(GError) error = NULL;

  start = run_ctl (env, "start");
  assert_exit (start, 0);
  g_assert_true (hb_test_wait_for_property (conn, HB_TEST_BUS_NAME, HB_TEST_MANAGER_PATH,
                                            HB_TEST_MANAGER_IFACE, "Enabled",
                                            g_variant_new_boolean (TRUE), HB_TEST_TIMEOUT_MS,
                                            &error));
  g_assert_no_error (error);
  status = run_ctl (env, "status");
  assert_contains (status->out, "running");

  stop = run_ctl (env, "--json", "stop");
  assert_exit (stop, 0);
  node = parse_json (stop->out);
  g_assert_false (json_object_get_boolean_member (json_object_of (node), "enabled"));
  g_assert_true (hb_test_wait_for_property (conn, HB_TEST_BUS_NAME, HB_TEST_MANAGER_PATH,
                                            HB_TEST_MANAGER_IFACE, "Enabled",
                                            g_variant_new_boolean (FALSE), HB_TEST_TIMEOUT_MS,
                                            &error));
  g_assert_no_error (error);
}

static void
test_instructions (void)
{
  g_autoptr(HbTestEnv) env = start_env ();
  g_autofree char *file = g_build_filename (hb_test_env_get_tmpdir (env), "new.md", NULL);
  g_autofree char *binary = g_build_filename (hb_test_env_get_tmpdir (env), "bad.md", NULL);
  g_autofree char *on_disk = NULL;
  const char *text = "# Heartbeat\n\n## Rules\n- Be nice.\n";
  const char *const sed[] = { "env", "EDITOR=sed -i s/nice/kind/", NULL };
  const char *const noop[] = { "env", "EDITOR=true", NULL };
  const char *const edit[] = { "instructions", "--edit", NULL };
  const char *const edit_json[] = { "--json", "instructions", "--edit", NULL };
  g_autoptr(HbTestCommandResult) set = NULL;
  g_autoptr(HbTestCommandResult) show = NULL;
  g_autoptr(HbTestCommandResult) json = NULL;
  g_autoptr(HbTestCommandResult) edited = NULL;
  g_autoptr(HbTestCommandResult) unchanged = NULL;
  g_autoptr(HbTestCommandResult) bad = NULL;
  g_autoptr(JsonNode) node = NULL;
  g_autoptr(JsonNode) same = NULL;
  g_autoptr(GError) error = NULL;
  g_autofree char *md = g_build_filename (hb_test_env_get_workspace (env), "HEARTBEAT.md", NULL);

  g_file_set_contents (file, text, -1, &error);
  g_assert_no_error (error);
  set = run_ctl (env, "instructions", "set", file);
  assert_exit (set, 0);
  show = run_ctl (env, "instructions");
  assert_exit (show, 0);
  g_assert_cmpstr (show->out, ==, text);

  json = run_ctl (env, "instructions", "--json");
  assert_exit (json, 0);
  node = parse_json (json->out);
  g_assert_cmpstr (json_string (json_object_of (node), "content"), ==, text);
  g_assert_cmpstr (json_string (json_object_of (node), "path"), ==, md);

  edited = run_ctlv (env, sed, edit);
  assert_exit (edited, 0);
  assert_contains (edited->out, "replaced");
  g_file_get_contents (md, &on_disk, NULL, &error);
  g_assert_no_error (error);
  g_assert_cmpstr (on_disk, ==, "# Heartbeat\n\n## Rules\n- Be kind.\n");

  unchanged = run_ctlv (env, noop, edit_json);
  assert_exit (unchanged, 0);
  same = parse_json (unchanged->out);
  g_assert_false (json_object_get_boolean_member (json_object_of (same), "changed"));

  /* Not UTF-8: refused by the client, by name, and the file stays. */
  g_file_set_contents (binary, "\xff\xfe\x00rules", 8, &error);
  g_assert_no_error (error);
  bad = run_ctl (env, "instructions", "set", binary);
  assert_exit (bad, 1);
  assert_contains (bad->err, "UTF-8");
  g_clear_pointer (&on_disk, g_free);
  g_file_get_contents (md, &on_disk, NULL, &error);
  g_assert_cmpstr (on_disk, ==, "# Heartbeat\n\n## Rules\n- Be kind.\n");
}

/* ---- monitor: a long-running child read line by line ---- */

typedef struct {
  char *line;
  gboolean done;
  GError *error;
} LineRead;

static void
line_read_cb (GObject *source, GAsyncResult *res, gpointer user_data)
{
  LineRead *lr = user_data;

  lr->line = g_data_input_stream_read_line_finish_utf8 (G_DATA_INPUT_STREAM (source), res, NULL,
                                                        &lr->error);
  lr->done = TRUE;
}

static gboolean
line_read_done (gpointer user_data)
{
  return ((LineRead *) user_data)->done;
}

/* Read lines until one contains @needle; returns it (transfer full). */
static char *
read_line_with (GDataInputStream *in, const char *needle)
{
  for (;;)
    {
      LineRead lr = { 0 };

      g_data_input_stream_read_line_async (in, G_PRIORITY_DEFAULT, NULL, line_read_cb, &lr);
      g_assert_true (hb_test_wait_until (line_read_done, &lr, HB_TEST_TIMEOUT_MS));
      g_assert_no_error (lr.error);
      g_assert_nonnull (lr.line);   /* not EOF */
      g_test_message ("monitor: %s", lr.line);
      if (strstr (lr.line, needle) != NULL)
        return lr.line;
      g_free (lr.line);
    }
}

static void
monitor_case (gboolean json)
{
  g_autoptr(HbTestEnv) env = start_env ();
  g_autoptr(GSubprocessLauncher) launcher =
    g_subprocess_launcher_new (G_SUBPROCESS_FLAGS_STDOUT_PIPE | G_SUBPROCESS_FLAGS_STDERR_PIPE);
  g_autofree char *ctl = ctl_path ();
  const char *argv[] = { ctl, "--session", json ? "--json" : "monitor", "monitor", NULL };
  g_autoptr(GSubprocess) proc = NULL;
  g_autoptr(GDataInputStream) out = NULL;
  g_autoptr(GDataInputStream) err = NULL;
  g_autoptr(GError) error = NULL;
  g_autoptr(GVariant) reply = NULL;
  g_autofree char *ready = NULL;
  g_autofree char *added = NULL;
  g_autofree char *started = NULL;

  if (!json)
    argv[3] = NULL;
  g_subprocess_launcher_setenv (launcher, "DBUS_SESSION_BUS_ADDRESS",
                                hb_test_env_get_bus_address (env), TRUE);
  proc = g_subprocess_launcher_spawnv (launcher, argv, &error);
  g_assert_no_error (error);
  out = g_data_input_stream_new (g_subprocess_get_stdout_pipe (proc));
  err = g_data_input_stream_new (g_subprocess_get_stderr_pipe (proc));
  /* It says so once its subscription is in force. */
  ready = read_line_with (err, "Monitoring");

  reply = g_dbus_connection_call_sync (hb_test_env_get_connection (env), HB_TEST_BUS_NAME,
                                       HB_TEST_MANAGER_PATH, HB_TEST_MANAGER_IFACE, "AddThread",
                                       g_variant_new ("(s)", "watched thread"), NULL,
                                       G_DBUS_CALL_FLAGS_NONE, HB_TEST_TIMEOUT_MS, NULL, &error);
  g_assert_no_error (error);
  added = read_line_with (out, "watched thread");
  if (json)
    {
      g_autoptr(JsonNode) node = parse_json (added);

      g_assert_cmpstr (json_string (json_object_of (node), "event"), ==, "added");
      g_assert_cmpstr (json_string (json_object_of (node), "thread_id"), ==, "watched thread");
    }
  else
    assert_contains (added, "added");

  g_clear_pointer (&reply, g_variant_unref);
  reply = g_dbus_connection_call_sync (hb_test_env_get_connection (env), HB_TEST_BUS_NAME,
                                       HB_TEST_MANAGER_PATH, HB_TEST_MANAGER_IFACE, "Start", NULL,
                                       NULL, G_DBUS_CALL_FLAGS_NONE, HB_TEST_TIMEOUT_MS, NULL,
                                       &error);
  g_assert_no_error (error);
  started = read_line_with (out, "Enabled");

  /* Ctrl-C ends it cleanly. */
  g_subprocess_send_signal (proc, SIGINT);
  g_subprocess_wait (proc, NULL, &error);
  g_assert_no_error (error);
  g_assert_true (g_subprocess_get_if_exited (proc));
  g_assert_cmpint (g_subprocess_get_exit_status (proc), ==, 0);
}

static void
test_monitor (void)
{
  monitor_case (FALSE);
}

static void
test_monitor_json (void)
{
  monitor_case (TRUE);
}

/* Every command's --json output is one valid JSON document. */
static void
test_json_everywhere (void)
{
  g_autoptr(HbTestEnv) env = start_env ();
  const char *const *cases[] = {
    (const char *const[]) { "status", NULL },
    (const char *const[]) { "add", "j", NULL },
    (const char *const[]) { "list", NULL },
    (const char *const[]) { "show", "j", NULL },
    (const char *const[]) { "set", "j", "every=5m", NULL },
    (const char *const[]) { "reset", "j", NULL },
    (const char *const[]) { "run", "j", NULL },
    (const char *const[]) { "run", "--wait", "j", NULL },
    (const char *const[]) { "history", "j", NULL },
    (const char *const[]) { "preview", "j", NULL },
    (const char *const[]) { "start", NULL },
    (const char *const[]) { "stop", NULL },
    (const char *const[]) { "instructions", NULL },
  };

  for (guint i = 0; i < G_N_ELEMENTS (cases); i++)
    {
      g_autoptr(GPtrArray) args = g_ptr_array_new ();
      g_autoptr(HbTestCommandResult) r = NULL;
      g_autoptr(JsonNode) node = NULL;

      g_ptr_array_add (args, (char *) "--json");
      for (guint k = 0; cases[i][k] != NULL; k++)
        g_ptr_array_add (args, (char *) cases[i][k]);
      g_ptr_array_add (args, NULL);
      r = run_ctlv (env, NULL, (const char *const *) args->pdata);
      assert_exit (r, 0);
      node = parse_json (r->out);
      g_assert_true (JSON_NODE_HOLDS_OBJECT (node) || JSON_NODE_HOLDS_ARRAY (node));
    }
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);

  g_test_add_func ("/ctl/usage", test_usage);
  g_test_add_func ("/ctl/unreachable", test_unreachable);
  g_test_add_func ("/ctl/status", test_status);
  g_test_add_func ("/ctl/add-list-show", test_add_list_show);
  g_test_add_func ("/ctl/unknown-thread", test_unknown_thread);
  g_test_add_func ("/ctl/set-reset", test_set_reset);
  g_test_add_func ("/ctl/run-wait", test_run_wait);
  g_test_add_func ("/ctl/run-history", test_run_history);
  g_test_add_func ("/ctl/preview", test_preview);
  g_test_add_func ("/ctl/start-stop", test_start_stop);
  g_test_add_func ("/ctl/instructions", test_instructions);
  g_test_add_func ("/ctl/monitor", test_monitor);
  g_test_add_func ("/ctl/monitor-json", test_monitor_json);
  g_test_add_func ("/ctl/json-everywhere", test_json_everywhere);

  return g_test_run ();
}
