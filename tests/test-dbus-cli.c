/* test-dbus-cli.c: the daemon through the real command lines an operator types: busctl (list,
 * tree, introspect, call, get-property, set-property) and gdbus (call, introspect, monitor).
 * The same command lines are shown in the README.
 */
#include "config.h"

#include <string.h>

#include "test-dbus-util.h"

static void
assert_ok (HbTestCommandResult *r, GError *error)
{
  g_assert_no_error (error);
  g_assert_nonnull (r);
  if (r->exit_status != 0)
    g_test_message ("stdout: %s\nstderr: %s", r->out, r->err);
  g_assert_cmpint (r->exit_status, ==, 0);
}

static void
assert_contains (const char *haystack, const char *needle)
{
  if (strstr (haystack, needle) == NULL)
    g_error ("\"%s\" not in:\n%s", needle, haystack);
}

static void
test_busctl_list_tree_introspect (void)
{
  g_autoptr(HbTestEnv) env = hb_dbus_test_start (NULL, NULL);
  g_autofree char *path = hb_dbus_test_add_thread (env, "cli thread");
  g_autoptr(HbTestCommandResult) list = NULL;
  g_autoptr(HbTestCommandResult) tree = NULL;
  g_autoptr(HbTestCommandResult) manager = NULL;
  g_autoptr(HbTestCommandResult) thread = NULL;
  g_autoptr(GError) error = NULL;

  list = hb_test_busctl (env, &error, "list", "--no-legend", NULL);
  assert_ok (list, error);
  assert_contains (list->out, HB_TEST_BUS_NAME);

  tree = hb_test_busctl (env, &error, "tree", "--list", HB_TEST_BUS_NAME, NULL);
  assert_ok (tree, error);
  assert_contains (tree->out, path);

  manager = hb_test_busctl (env, &error, "introspect", HB_TEST_BUS_NAME, HB_TEST_MANAGER_PATH,
                            HB_TEST_MANAGER_IFACE, NULL);
  assert_ok (manager, error);
  assert_contains (manager->out, ".RunNow");
  assert_contains (manager->out, ".HeartbeatCompleted");
  assert_contains (manager->out, ".BackendState");

  thread = hb_test_busctl (env, &error, "introspect", HB_TEST_BUS_NAME, path,
                           HB_TEST_THREAD_IFACE, NULL);
  assert_ok (thread, error);
  assert_contains (thread->out, ".Every");
  assert_contains (thread->out, "writable");
  assert_contains (thread->out, ".GetHistory");
}

/* busctl call RunNow: its reply line is `s "RUN-ID"`, and that run completes. */
static void
test_busctl_run_now (void)
{
  g_autoptr(HbTestEnv) env = hb_dbus_test_start (NULL, NULL);
  g_autofree char *path = hb_dbus_test_add_thread (env, "default");
  g_autoptr(HbTestSignalRecorder) done = hb_dbus_test_completed_recorder (env);
  g_autoptr(HbTestCommandResult) r = NULL;
  g_autoptr(HbTestCommandResult) thread_call = NULL;
  g_autoptr(GVariant) result = NULL;
  g_autoptr(GError) error = NULL;
  g_auto(GStrv) words = NULL;
  g_autofree char *run_id = NULL;
  const char *status = NULL;

  r = hb_test_busctl (env, &error, "call", HB_TEST_BUS_NAME, HB_TEST_MANAGER_PATH,
                      HB_TEST_MANAGER_IFACE, "RunNow", "s", "default", NULL);
  assert_ok (r, error);
  g_assert_true (g_str_has_prefix (r->out, "s \""));
  words = g_strsplit (g_strstrip (r->out), "\"", -1);
  g_assert_cmpuint (g_strv_length (words), ==, 3);
  run_id = g_strdup (words[1]);
  g_assert_true (g_uuid_string_is_valid (run_id));
  result = hb_dbus_test_wait_completed (done, run_id);
  g_assert_true (g_variant_lookup (result, "status", "&s", &status));
  g_assert_cmpstr (status, ==, "no-action");

  /* The Thread's own RunNow, and an unknown thread's error on stderr. */
  thread_call = hb_test_busctl (env, &error, "call", HB_TEST_BUS_NAME, path, HB_TEST_THREAD_IFACE,
                                "RunNow", NULL);
  assert_ok (thread_call, error);
  g_clear_pointer (&r, hb_test_command_result_free);
  r = hb_test_busctl (env, &error, "call", HB_TEST_BUS_NAME, HB_TEST_MANAGER_PATH,
                      HB_TEST_MANAGER_IFACE, "RunNow", "s", "missing", NULL);
  g_assert_no_error (error);
  g_assert_cmpint (r->exit_status, !=, 0);
  assert_contains (r->err, "missing");
}

static void
test_busctl_properties (void)
{
  g_autoptr(HbTestEnv) env = hb_dbus_test_start (NULL, NULL);
  g_autofree char *path = hb_dbus_test_add_thread (env, "props");
  g_autoptr(HbTestCommandResult) get = NULL;
  g_autoptr(HbTestCommandResult) set = NULL;
  g_autoptr(HbTestCommandResult) bad = NULL;
  g_autoptr(HbTestCommandResult) after = NULL;
  g_autoptr(HbTestCommandResult) state = NULL;
  g_autoptr(GError) error = NULL;

  get = hb_test_busctl (env, &error, "get-property", HB_TEST_BUS_NAME, path,
                        HB_TEST_THREAD_IFACE, "Every", NULL);
  assert_ok (get, error);
  g_assert_cmpstr (g_strstrip (get->out), ==, "u 1800");

  set = hb_test_busctl (env, &error, "set-property", HB_TEST_BUS_NAME, path,
                        HB_TEST_THREAD_IFACE, "Every", "u", "600", NULL);
  assert_ok (set, error);
  bad = hb_test_busctl (env, &error, "set-property", HB_TEST_BUS_NAME, path,
                        HB_TEST_THREAD_IFACE, "Every", "u", "59", NULL);
  g_assert_no_error (error);
  g_assert_cmpint (bad->exit_status, !=, 0);
  assert_contains (bad->err, "every");

  after = hb_test_busctl (env, &error, "get-property", HB_TEST_BUS_NAME, path,
                          HB_TEST_THREAD_IFACE, "Every", "Target", "ThreadId", NULL);
  assert_ok (after, error);
  g_assert_cmpstr (g_strstrip (after->out), ==, "u 600\ns \"none\"\ns \"props\"");

  state = hb_test_busctl (env, &error, "get-property", HB_TEST_BUS_NAME, HB_TEST_MANAGER_PATH,
                          HB_TEST_MANAGER_IFACE, "Enabled", NULL);
  assert_ok (state, error);
  g_assert_cmpstr (g_strstrip (state->out), ==, "b false");
}

/* gdbus call prints a GVariant text: parse it as one. */
static void
test_gdbus_call (void)
{
  g_autoptr(HbTestEnv) env = hb_dbus_test_start (NULL, NULL);
  g_autofree char *path = hb_dbus_test_add_thread (env, "default");
  g_autoptr(HbTestSignalRecorder) done = hb_dbus_test_completed_recorder (env);
  g_autoptr(HbTestCommandResult) r = NULL;
  g_autoptr(HbTestCommandResult) intro = NULL;
  g_autoptr(GVariant) reply = NULL;
  g_autoptr(GVariant) result = NULL;
  g_autoptr(GError) error = NULL;
  const char *run_id = NULL;

  r = hb_test_gdbus (env, &error, "call", "--dest", HB_TEST_BUS_NAME, "--object-path",
                     HB_TEST_MANAGER_PATH, "--method", HB_TEST_MANAGER_IFACE ".RunNow", "default",
                     NULL);
  assert_ok (r, error);
  reply = g_variant_parse (G_VARIANT_TYPE ("(s)"), r->out, NULL, NULL, &error);
  g_assert_no_error (error);
  g_variant_get (reply, "(&s)", &run_id);
  g_assert_true (g_uuid_string_is_valid (run_id));
  result = hb_dbus_test_wait_completed (done, run_id);

  intro = hb_test_gdbus (env, &error, "introspect", "--dest", HB_TEST_BUS_NAME, "--object-path",
                         path, NULL);
  assert_ok (intro, error);
  assert_contains (intro->out, "interface " HB_TEST_THREAD_IFACE);
  assert_contains (intro->out, "readwrite u Every");
}

/* ---- gdbus monitor, read line by line while the test goes on ---- */

typedef struct
{
  GDataInputStream *in;
  GString *text;
  GCancellable *cancel;
  gboolean eof;
} Reader;

static void
read_line_cb (GObject *source, GAsyncResult *res, gpointer user_data)
{
  Reader *r = user_data;
  g_autoptr(GError) error = NULL;
  g_autofree char *line = g_data_input_stream_read_line_finish_utf8 (r->in, res, NULL, &error);

  if (line == NULL)
    {
      r->eof = TRUE;
      return;
    }
  g_string_append (r->text, line);
  g_string_append_c (r->text, '\n');
  g_data_input_stream_read_line_async (r->in, G_PRIORITY_DEFAULT, r->cancel, read_line_cb, r);
}

typedef struct
{
  Reader *reader;
  const char *needle;
} Seen;

static gboolean
seen (gpointer user_data)
{
  Seen *s = user_data;

  return s->reader->eof || strstr (s->reader->text->str, s->needle) != NULL;
}

static gboolean
reader_eof (gpointer user_data)
{
  return ((Reader *) user_data)->eof;
}

static gboolean
output_within (Reader *r, const char *needle, guint timeout_ms)
{
  Seen s = { r, needle };

  hb_test_wait_until (seen, &s, timeout_ms);
  return strstr (r->text->str, needle) != NULL;
}

static void
wait_for_output (Reader *r, const char *needle)
{
  if (!output_within (r, needle, HB_TEST_TIMEOUT_MS))
    g_error ("\"%s\" not seen in:\n%s", needle, r->text->str);
}

static void
test_gdbus_monitor (void)
{
  g_autoptr(HbTestEnv) env = hb_dbus_test_start (NULL, NULL);
  g_autoptr(GSubprocess) monitor = NULL;
  g_autoptr(GError) error = NULL;
  g_autoptr(GCancellable) cancel = g_cancellable_new ();
  g_autofree char *run_id = NULL;
  g_autoptr(GString) text = g_string_new (NULL);
  Reader reader = { NULL, text, cancel, FALSE };

  g_free (hb_dbus_test_add_thread (env, "monitored"));
  monitor = g_subprocess_new (G_SUBPROCESS_FLAGS_STDOUT_PIPE | G_SUBPROCESS_FLAGS_STDERR_MERGE,
                              &error, "gdbus", "monitor", "--address",
                              hb_test_env_get_bus_address (env), "--dest", HB_TEST_BUS_NAME,
                              NULL);
  g_assert_no_error (error);
  reader.in = g_data_input_stream_new (g_subprocess_get_stdout_pipe (monitor));
  g_data_input_stream_read_line_async (reader.in, G_PRIORITY_DEFAULT, cancel, read_line_cb,
                                       &reader);
  wait_for_output (&reader, "is owned by");
  /* gdbus adds its match rules without waiting for them: warm up with runs of another thread
   * until their signals show, so the checked run cannot fall before the rules are in force. */
  g_free (hb_dbus_test_add_thread (env, "warm-up"));
  for (guint i = 0; i < 20; i++)
    {
      g_free (hb_dbus_test_run_now (env, "warm-up"));
      if (output_within (&reader, "HeartbeatCompleted ('warm-up'", 1000))
        break;
    }
  wait_for_output (&reader, "HeartbeatCompleted ('warm-up'");

  run_id = hb_dbus_test_run_now (env, "monitored");
  wait_for_output (&reader, "org.crt.Heartbeat1.Manager.RunStarted ('monitored'");
  wait_for_output (&reader, "org.crt.Heartbeat1.Manager.HeartbeatCompleted ('monitored'");
  assert_contains (reader.text->str, run_id);

  g_subprocess_force_exit (monitor);
  hb_test_wait_until (reader_eof, &reader, HB_TEST_TIMEOUT_MS);
  g_cancellable_cancel (cancel);
  g_subprocess_wait (monitor, NULL, NULL);
  g_object_unref (reader.in);
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);

  g_test_add_func ("/dbus/cli/busctl-list-tree-introspect", test_busctl_list_tree_introspect);
  g_test_add_func ("/dbus/cli/busctl-run-now", test_busctl_run_now);
  g_test_add_func ("/dbus/cli/busctl-properties", test_busctl_properties);
  g_test_add_func ("/dbus/cli/gdbus-call", test_gdbus_call);
  g_test_add_func ("/dbus/cli/gdbus-monitor", test_gdbus_monitor);

  return g_test_run ();
}
