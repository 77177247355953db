/* test-dbus-objects.c: the daemon's objects and name on the bus: the ObjectManager, odd thread
 * ids through object paths, threads written by another process, --replace and a refused second
 * instance, and HEARTBEAT.md through the Manager.
 */
#include "config.h"

#include <string.h>

#include "test-dbus-util.h"

static GDBusInterfaceInfo *
thread_interface_info (GDBusNodeInfo **node_out)
{
  g_autofree char *path = g_test_build_filename (G_TEST_DIST, "..", "introspection",
                                                 HB_TEST_THREAD_IFACE ".xml", NULL);
  g_autofree char *xml = NULL;
  g_autoptr(GError) error = NULL;

  g_file_get_contents (path, &xml, NULL, &error);
  g_assert_no_error (error);
  *node_out = g_dbus_node_info_new_for_xml (xml, &error);
  g_assert_no_error (error);
  return g_dbus_node_info_lookup_interface (*node_out, HB_TEST_THREAD_IFACE);
}

/* @props has every property the XML gives the Thread interface, each of its type. */
static void
assert_all_thread_properties (GVariant *props)
{
  g_autoptr(GDBusNodeInfo) node = NULL;
  GDBusInterfaceInfo *info = thread_interface_info (&node);

  for (guint i = 0; info->properties[i] != NULL; i++)
    {
      GDBusPropertyInfo *p = info->properties[i];
      g_autoptr(GVariant) v = g_variant_lookup_value (props, p->name, NULL);

      if (v == NULL)
        g_error ("Property %s missing", p->name);
      g_assert_cmpstr (g_variant_get_type_string (v), ==, p->signature);
    }
}

static void
test_managed_objects (void)
{
  g_autoptr(HbTestEnv) env = hb_dbus_test_start (NULL, NULL);
  g_autofree char *b = hb_dbus_test_add_thread (env, "b thread");
  g_autofree char *a = hb_dbus_test_add_thread (env, "a thread");
  g_autoptr(GVariant) reply = NULL;
  g_autoptr(GVariant) objects = NULL;
  g_autoptr(GVariant) list = NULL;
  g_autoptr(GVariant) threads = NULL;
  g_autoptr(GError) error = NULL;
  const char *const expected[] = { a, b, NULL };
  g_autofree const char **paths = NULL;

  reply = hb_dbus_test_call (env, HB_TEST_MANAGER_PATH, "org.freedesktop.DBus.ObjectManager",
                             "GetManagedObjects", NULL, "(a{oa{sa{sv}}})", &error);
  g_assert_no_error (error);
  objects = g_variant_get_child_value (reply, 0);
  g_assert_cmpuint (g_variant_n_children (objects), ==, 2);
  for (guint i = 0; expected[i] != NULL; i++)
    {
      g_autoptr(GVariant) ifaces = g_variant_lookup_value (objects, expected[i],
                                                           G_VARIANT_TYPE ("a{sa{sv}}"));
      g_autoptr(GVariant) props = NULL;
      const char *id = NULL;

      g_assert_nonnull (ifaces);
      props = g_variant_lookup_value (ifaces, HB_TEST_THREAD_IFACE, G_VARIANT_TYPE_VARDICT);
      g_assert_nonnull (props);
      assert_all_thread_properties (props);
      g_assert_true (g_variant_lookup (props, "ThreadId", "&s", &id));
      g_assert_cmpstr (id, ==, i == 0 ? "a thread" : "b thread");
    }

  /* The Threads property and ListThreads: the same paths, sorted by id. */
  g_assert_true (hb_test_wait_for_property (hb_test_env_get_connection (env), HB_TEST_BUS_NAME,
                                            HB_TEST_MANAGER_PATH, HB_TEST_MANAGER_IFACE,
                                            "Threads", g_variant_new_objv (expected, -1),
                                            HB_TEST_TIMEOUT_MS, &error));
  g_assert_no_error (error);
  list = hb_dbus_test_call (env, HB_TEST_MANAGER_PATH, HB_TEST_MANAGER_IFACE, "ListThreads", NULL,
                            "(ao)", &error);
  g_assert_no_error (error);
  threads = g_variant_get_child_value (list, 0);
  paths = g_variant_get_objv (threads, NULL);
  g_assert_cmpstrv (paths, expected);
}

static const char *const odd_ids[] = {
  "with spaces",
  "a/b/c",
  "/leading and trailing/",
  "ünïcødé ☃ 線程",
  "quotes \" ' ` and \\ backslash",
  "-",
  "_2d",          /* what "-" escapes to: the two must not collide */
  "..",
  "emoji 💓",
};

static void
assert_id_round_trips (HbTestEnv *env, const char *id)
{
  g_autofree char *escaped = g_dbus_escape_object_path (id);
  g_autofree char *expected = g_strconcat (HB_TEST_THREADS_PATH "/", escaped, NULL);
  g_autofree char *path = hb_dbus_test_add_thread (env, id);
  g_autofree char *again = hb_dbus_test_add_thread (env, id);
  g_autofree char *unescaped = NULL;
  g_autoptr(GVariant) value = NULL;
  g_autoptr(GVariant) got = NULL;
  g_autoptr(GError) error = NULL;
  const char *got_path = NULL;

  g_test_message ("id \"%s\" -> %s", id, path);
  g_assert_cmpstr (path, ==, expected);
  g_assert_cmpstr (again, ==, path);
  g_assert_true (g_variant_is_object_path (path));
  unescaped = (char *) g_dbus_unescape_object_path (strrchr (path, '/') + 1);
  g_assert_cmpstr (unescaped, ==, id);

  value = hb_test_get_property (hb_test_env_get_connection (env), HB_TEST_BUS_NAME, path,
                                HB_TEST_THREAD_IFACE, "ThreadId", &error);
  g_assert_no_error (error);
  g_assert_cmpstr (g_variant_get_string (value, NULL), ==, id);

  got = hb_dbus_test_call (env, HB_TEST_MANAGER_PATH, HB_TEST_MANAGER_IFACE, "GetThread",
                           g_variant_new ("(s)", id), "(o)", &error);
  g_assert_no_error (error);
  g_variant_get (got, "(&o)", &got_path);
  g_assert_cmpstr (got_path, ==, path);
}

static void
test_odd_thread_ids (void)
{
  g_autoptr(HbTestEnv) env = hb_dbus_test_start (NULL, NULL);
  g_autofree char *long_id = g_strnfill (300, 'x');
  g_autofree char *long_unicode = NULL;
  GString *s = g_string_new (NULL);

  for (guint i = 0; i < G_N_ELEMENTS (odd_ids); i++)
    assert_id_round_trips (env, odd_ids[i]);
  assert_id_round_trips (env, long_id);
  for (guint i = 0; i < 100; i++)
    g_string_append (s, "é/ ");
  long_unicode = g_string_free (s, FALSE);
  assert_id_round_trips (env, long_unicode);
}

static gboolean
object_path_is (GVariant *params, const char *path)
{
  const char *got = NULL;

  g_variant_get_child (params, 0, "&o", &got);
  return g_strcmp0 (got, path) == 0;
}

/* Rows written by the chat application appear as objects, and disappear with their rows. */
static void
test_thread_from_another_process (void)
{
  g_autoptr(HbTestEnv) env = hb_dbus_test_start (NULL, NULL);
  GDBusConnection *conn = hb_test_env_get_connection (env);
  const char *id = "written by chat/app";
  g_autofree char *escaped = g_dbus_escape_object_path (id);
  g_autofree char *path = g_strconcat (HB_TEST_THREADS_PATH "/", escaped, NULL);
  g_autoptr(HbTestSignalRecorder) added = NULL;
  g_autoptr(HbTestSignalRecorder) removed = NULL;
  g_autoptr(GVariant) params = NULL;
  g_autoptr(GVariant) gone = NULL;
  g_autoptr(GVariant) ifaces = NULL;
  g_autoptr(GVariant) props = NULL;
  g_autoptr(GVariant) found = NULL;
  g_autoptr(GVariant) missing = NULL;
  g_autoptr(GError) error = NULL;
  const char *thread_id = NULL;

  /* The database exists once the daemon runs; a thread of its own makes sure it has the table. */
  g_free (hb_dbus_test_add_thread (env, "own"));
  added = hb_test_signal_recorder_new (conn, NULL, HB_TEST_MANAGER_PATH,
                                       "org.freedesktop.DBus.ObjectManager", "InterfacesAdded",
                                       NULL);
  removed = hb_test_signal_recorder_new (conn, NULL, HB_TEST_MANAGER_PATH,
                                         "org.freedesktop.DBus.ObjectManager",
                                         "InterfacesRemoved", NULL);
  hb_dbus_test_db_exec (env,
                        "INSERT INTO thread_sessions (thread_id, first_created, last_active) "
                        "VALUES (?, strftime('%s', 'now'), strftime('%s', 'now'))", id, NULL);
  params = hb_test_signal_recorder_wait (added, HB_TEST_TIMEOUT_MS, &error);
  g_assert_no_error (error);
  g_assert_true (object_path_is (params, path));
  ifaces = g_variant_get_child_value (params, 1);
  props = g_variant_lookup_value (ifaces, HB_TEST_THREAD_IFACE, G_VARIANT_TYPE_VARDICT);
  g_assert_nonnull (props);
  assert_all_thread_properties (props);
  g_assert_true (g_variant_lookup (props, "ThreadId", "&s", &thread_id));
  g_assert_cmpstr (thread_id, ==, id);
  found = hb_dbus_test_call (env, HB_TEST_MANAGER_PATH, HB_TEST_MANAGER_IFACE, "GetThread",
                             g_variant_new ("(s)", id), "(o)", &error);
  g_assert_no_error (error);

  hb_dbus_test_db_exec (env, "DELETE FROM thread_sessions WHERE thread_id = ?", id, NULL);
  gone = hb_test_signal_recorder_wait (removed, HB_TEST_TIMEOUT_MS, &error);
  g_assert_no_error (error);
  g_assert_true (object_path_is (gone, path));
  missing = hb_dbus_test_call (env, HB_TEST_MANAGER_PATH, HB_TEST_MANAGER_IFACE, "GetThread",
                               g_variant_new ("(s)", id), "(o)", &error);
  g_assert_null (missing);
  hb_dbus_test_assert_error (error, HB_DBUS_UNKNOWN_THREAD, NULL);
  /* Only the removed one went. */
  hb_dbus_test_drain ();
  g_assert_cmpuint (hb_test_signal_recorder_get_count (removed), ==, 1);
}

/* A second instance is refused with a clear message; --replace takes over. */
static void
test_replace (void)
{
  HbTestDaemon *first = NULL;
  g_autoptr(HbTestEnv) env = hb_dbus_test_start (NULL, &first);
  const char *const replace[] = { "--replace", NULL };
  HbTestDaemonOptions replacing = { .args = replace };
  g_autoptr(GError) error = NULL;
  g_autofree char *log = NULL;
  HbTestDaemon *second, *third;
  int status = -1;

  second = hb_test_daemon_spawn (env, NULL, &error);
  g_assert_no_error (error);
  g_assert_true (hb_test_daemon_wait_exit (second, HB_TEST_TIMEOUT_MS, &status, &error));
  g_assert_no_error (error);
  g_assert_cmpint (status, ==, 1);
  log = hb_test_daemon_read_log (second);
  g_assert_nonnull (strstr (log, "org.crt.Heartbeat"));
  g_assert_nonnull (strstr (log, "--replace"));
  g_assert_true (hb_test_daemon_is_running (first));

  third = hb_test_daemon_start (env, &replacing, &error);
  g_assert_no_error (error);
  g_assert_true (hb_test_daemon_wait_exit (first, HB_TEST_TIMEOUT_MS, &status, &error));
  g_assert_no_error (error);
  g_assert_cmpint (status, ==, 0);
  /* The new owner serves. */
  g_free (hb_dbus_test_add_thread (env, "after replace"));
  g_assert_true (hb_test_daemon_is_running (third));
}

static void
get_heartbeat_md (HbTestEnv *env, char **content, guint64 *modified, char **path)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(GVariant) reply = hb_dbus_test_call (env, HB_TEST_MANAGER_PATH, HB_TEST_MANAGER_IFACE,
                                                 "GetHeartbeatMd", NULL, "(sts)", &error);

  g_assert_no_error (error);
  g_variant_get (reply, "(sts)", content, modified, path);
}

static gboolean
set_heartbeat_md (HbTestEnv *env, const char *content, GError **error)
{
  g_autoptr(GVariant) reply = hb_dbus_test_call (env, HB_TEST_MANAGER_PATH, HB_TEST_MANAGER_IFACE,
                                                 "SetHeartbeatMd",
                                                 g_variant_new ("(s)", content), "()", error);

  return reply != NULL;
}

static void
test_heartbeat_md (void)
{
  g_autoptr(HbTestEnv) env = hb_dbus_test_start (NULL, NULL);
  const char *text = "# Heartbeat\n\n## Checklist\n- look at open contradictions\n";
  g_autofree char *content = NULL;
  g_autofree char *path = NULL;
  g_autofree char *on_disk = NULL;
  g_autofree char *expected_path = g_build_filename (hb_test_env_get_workspace (env),
                                                     "HEARTBEAT.md", NULL);
  g_autofree char *full = g_strnfill (65536, 'a');
  g_autofree char *too_big = g_strnfill (65537, 'b');
  g_autoptr(GError) error = NULL;
  guint64 modified = 0;
  g_autofree char *remote = NULL;

  g_assert_true (set_heartbeat_md (env, text, &error));
  g_assert_no_error (error);
  get_heartbeat_md (env, &content, &modified, &path);
  g_assert_cmpstr (content, ==, text);
  g_assert_cmpuint (modified, >, 0);
  g_assert_cmpstr (path, ==, expected_path);
  g_file_get_contents (path, &on_disk, NULL, &error);
  g_assert_no_error (error);
  g_assert_cmpstr (on_disk, ==, text);

  /* 64 KiB is the limit: exactly that is fine, a byte more is refused and changes nothing. */
  full[0] = '#';
  g_assert_true (set_heartbeat_md (env, full, &error));
  g_assert_no_error (error);
  g_assert_false (set_heartbeat_md (env, too_big, &error));
  remote = g_dbus_error_get_remote_error (error);
  g_test_message ("%s: %s", remote, error->message);
  g_assert_true (g_strcmp0 (remote, HB_DBUS_INVALID_ARGS) == 0
                 || g_strcmp0 (remote, "org.crt.Heartbeat1.Error.InvalidInstructions") == 0);
  g_clear_pointer (&content, g_free);
  g_clear_pointer (&path, g_free);
  get_heartbeat_md (env, &content, &modified, &path);
  g_assert_cmpstr (content, ==, full);
}

static void
manager_call (HbTestEnv *env, const char *method)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(GVariant) reply = hb_dbus_test_call (env, HB_TEST_MANAGER_PATH, HB_TEST_MANAGER_IFACE,
                                                 method, NULL, "()", &error);

  g_assert_no_error (error);
}

static void
assert_schedule (HbTestEnv *env, const char *path, gboolean scheduled, const char *skip_reason)
{
  GDBusConnection *conn = hb_test_env_get_connection (env);
  g_autoptr(GError) error = NULL;
  g_autoptr(GVariant) next_run = NULL;

  g_assert_true (hb_test_wait_for_property (conn, HB_TEST_BUS_NAME, path, HB_TEST_THREAD_IFACE,
                                            "SkipReason", g_variant_new_string (skip_reason),
                                            HB_TEST_TIMEOUT_MS, &error));
  g_assert_no_error (error);
  next_run = hb_test_get_property (conn, HB_TEST_BUS_NAME, path, HB_TEST_THREAD_IFACE, "NextRun",
                                   &error);
  g_assert_no_error (error);
  g_test_message ("NextRun %" G_GUINT64_FORMAT, g_variant_get_uint64 (next_run));
  if (scheduled)
    g_assert_cmpuint (g_variant_get_uint64 (next_run), >, 0);
  else
    g_assert_cmpuint (g_variant_get_uint64 (next_run), ==, 0);
}

/* While the scheduler is stopped (as at start-up), a thread is not scheduled and says why. */
static void
test_stopped_thread_not_scheduled (void)
{
  g_autoptr(HbTestEnv) env = hb_dbus_test_start (NULL, NULL);
  g_autofree char *path = hb_dbus_test_add_thread (env, "schedule");

  assert_schedule (env, path, FALSE, "stopped");
  manager_call (env, "Start");
  assert_schedule (env, path, TRUE, "");
  manager_call (env, "Stop");
  assert_schedule (env, path, FALSE, "stopped");
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);

  g_test_add_func ("/dbus/objects/managed-objects", test_managed_objects);
  g_test_add_func ("/dbus/objects/odd-thread-ids", test_odd_thread_ids);
  g_test_add_func ("/dbus/objects/thread-from-another-process", test_thread_from_another_process);
  g_test_add_func ("/dbus/objects/replace", test_replace);
  g_test_add_func ("/dbus/objects/heartbeat-md", test_heartbeat_md);
  g_test_add_func ("/dbus/objects/stopped-thread-not-scheduled", test_stopped_thread_not_scheduled);

  return g_test_run ();
}
