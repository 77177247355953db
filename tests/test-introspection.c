/* test-introspection.c: the integration harness checked on its own, and the daemon's API checked
 * against the introspection XML.
 *
 * The harness tests run a private bus alone, or with a stand-in daemon: this very program, run
 * with HB_TEST_STAND_IN=1, exports the generated Manager skeleton and owns org.crt.Heartbeat like
 * crt-heartbeatd does. The last tests run the real daemon.
 */
#include "config.h"

#include <glib-unix.h>
#include <libsoup/soup.h>
#include <glib/gstdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "hb-exported.h"
#include "hb-test-daemon.h"

/* ---- comparing interfaces ---- */

static char *
method_signature (GDBusMethodInfo *m)
{
  GString *s = g_string_new ("(");

  for (guint i = 0; m->in_args != NULL && m->in_args[i] != NULL; i++)
    g_string_append (s, m->in_args[i]->signature);
  g_string_append (s, ") -> (");
  for (guint i = 0; m->out_args != NULL && m->out_args[i] != NULL; i++)
    g_string_append (s, m->out_args[i]->signature);
  g_string_append (s, ")");
  return g_string_free (s, FALSE);
}

static char *
signal_signature (GDBusSignalInfo *sig)
{
  GString *s = g_string_new ("(");

  for (guint i = 0; sig->args != NULL && sig->args[i] != NULL; i++)
    g_string_append (s, sig->args[i]->signature);
  g_string_append (s, ")");
  return g_string_free (s, FALSE);
}

/* Every member of @want that @got lacks or describes differently; members only in @got are
 * fine (the API may grow). */
static GPtrArray *
interface_differences (GDBusInterfaceInfo *want, GDBusInterfaceInfo *got)
{
  GPtrArray *diffs = g_ptr_array_new_with_free_func (g_free);

  for (guint i = 0; want->methods != NULL && want->methods[i] != NULL; i++)
    {
      GDBusMethodInfo *m = want->methods[i];
      GDBusMethodInfo *g = g_dbus_interface_info_lookup_method (got, m->name);
      g_autofree char *ws = method_signature (m);
      g_autofree char *gs = g != NULL ? method_signature (g) : NULL;

      if (g == NULL)
        g_ptr_array_add (diffs, g_strdup_printf ("method %s missing", m->name));
      else if (strcmp (ws, gs) != 0)
        g_ptr_array_add (diffs, g_strdup_printf ("method %s is %s, not %s", m->name, gs, ws));
    }
  for (guint i = 0; want->signals != NULL && want->signals[i] != NULL; i++)
    {
      GDBusSignalInfo *s = want->signals[i];
      GDBusSignalInfo *g = g_dbus_interface_info_lookup_signal (got, s->name);
      g_autofree char *ws = signal_signature (s);
      g_autofree char *gs = g != NULL ? signal_signature (g) : NULL;

      if (g == NULL)
        g_ptr_array_add (diffs, g_strdup_printf ("signal %s missing", s->name));
      else if (strcmp (ws, gs) != 0)
        g_ptr_array_add (diffs, g_strdup_printf ("signal %s is %s, not %s", s->name, gs, ws));
    }
  for (guint i = 0; want->properties != NULL && want->properties[i] != NULL; i++)
    {
      GDBusPropertyInfo *p = want->properties[i];
      GDBusPropertyInfo *g = g_dbus_interface_info_lookup_property (got, p->name);

      if (g == NULL)
        g_ptr_array_add (diffs, g_strdup_printf ("property %s missing", p->name));
      else if (strcmp (p->signature, g->signature) != 0 || p->flags != g->flags)
        g_ptr_array_add (diffs, g_strdup_printf ("property %s is %s (flags %d), not %s (flags %d)",
                                                 p->name, g->signature, g->flags, p->signature,
                                                 p->flags));
    }
  return diffs;
}

static GDBusNodeInfo *
load_interface_xml (const char *iface)
{
  g_autoptr(GError) error = NULL;
  g_autofree char *file = g_strconcat (iface, ".xml", NULL);
  const char *dir = g_getenv ("HB_TEST_INTERFACES_DIR");
  g_autofree char *path = dir != NULL
                            ? g_build_filename (dir, file, NULL)
                            : g_test_build_filename (G_TEST_DIST, "..", "introspection", file, NULL);
  g_autofree char *xml = NULL;
  GDBusNodeInfo *node;

  g_file_get_contents (path, &xml, NULL, &error);
  g_assert_no_error (error);
  node = g_dbus_node_info_new_for_xml (xml, &error);
  g_assert_no_error (error);
  g_assert_nonnull (g_dbus_node_info_lookup_interface (node, iface));
  return node;
}

static GDBusNodeInfo *
introspect (GDBusConnection *conn, const char *path)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(GVariant) reply = NULL;
  const char *xml;
  GDBusNodeInfo *node;

  reply = g_dbus_connection_call_sync (conn, HB_TEST_BUS_NAME, path,
                                       "org.freedesktop.DBus.Introspectable", "Introspect", NULL,
                                       G_VARIANT_TYPE ("(s)"), G_DBUS_CALL_FLAGS_NONE,
                                       HB_TEST_TIMEOUT_MS, NULL, &error);
  g_assert_no_error (error);
  g_variant_get (reply, "(&s)", &xml);
  node = g_dbus_node_info_new_for_xml (xml, &error);
  g_assert_no_error (error);
  return node;
}

/* Assert that the object at @path implements @iface exactly as its XML says. */
static void
assert_object_matches_xml (GDBusConnection *conn, const char *path, const char *iface)
{
  g_autoptr(GDBusNodeInfo) want = load_interface_xml (iface);
  g_autoptr(GDBusNodeInfo) got = introspect (conn, path);
  GDBusInterfaceInfo *got_iface = g_dbus_node_info_lookup_interface (got, iface);
  g_autoptr(GPtrArray) diffs = NULL;
  g_autofree char *joined = NULL;

  g_assert_nonnull (got_iface);
  diffs = interface_differences (g_dbus_node_info_lookup_interface (want, iface), got_iface);
  g_ptr_array_add (diffs, NULL);
  joined = g_strjoinv ("; ", (char **) diffs->pdata);
  g_assert_cmpstr (joined, ==, "");
  if (g_str_equal (iface, HB_TEST_MANAGER_IFACE))
    g_assert_nonnull (g_dbus_node_info_lookup_interface (got,
                                                         "org.freedesktop.DBus.ObjectManager"));
}

/* ---- the stand-in daemon ---- */

/* g_dbus_escape_object_path ("stand-in") */
#define STAND_IN_THREAD_PATH HB_TEST_THREADS_PATH "/stand_2din"

static gboolean
stand_in_quit (gpointer user_data)
{
  g_main_loop_quit (user_data);
  return G_SOURCE_REMOVE;
}

static void
stand_in_name_acquired (GDBusConnection *conn, const char *name, gpointer user_data)
{
  g_print ("stand-in: owns %s\n", name);
}

static void
stand_in_name_lost (GDBusConnection *conn, const char *name, gpointer user_data)
{
  g_print ("stand-in: cannot have %s\n", name);
  exit (1);
}

static int
stand_in_main (int argc, char **argv)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(GMainLoop) loop = g_main_loop_new (NULL, FALSE);
  g_autoptr(GDBusConnection) conn = g_bus_get_sync (G_BUS_TYPE_SESSION, NULL, &error);
  g_autoptr(GDBusObjectManagerServer) manager = NULL;
  g_autoptr(HbObjectSkeleton) object = NULL;
  g_autoptr(HbExportedManager) exported = hb_exported_manager_skeleton_new ();
  g_autoptr(HbExportedThread) thread = hb_exported_thread_skeleton_new ();
  GBusNameOwnerFlags flags = G_BUS_NAME_OWNER_FLAGS_ALLOW_REPLACEMENT;

  if (conn == NULL)
    {
      g_printerr ("stand-in: %s\n", error->message);
      return 1;
    }
  for (int i = 1; i < argc; i++)
    if (g_str_equal (argv[i], "--replace"))
      flags |= G_BUS_NAME_OWNER_FLAGS_REPLACE;
  /* An object manager only manages objects below its own path, so the Manager interface is
   * exported beside it at the same path; thread objects go below. */
  manager = g_dbus_object_manager_server_new (HB_TEST_MANAGER_PATH);
  object = hb_object_skeleton_new (STAND_IN_THREAD_PATH);
  hb_object_skeleton_set_exported_thread (object, thread);
  g_dbus_object_manager_server_export (manager, G_DBUS_OBJECT_SKELETON (object));
  g_dbus_object_manager_server_set_connection (manager, conn);
  if (!g_dbus_interface_skeleton_export (G_DBUS_INTERFACE_SKELETON (exported), conn,
                                         HB_TEST_MANAGER_PATH, &error))
    {
      g_printerr ("stand-in: %s\n", error->message);
      return 1;
    }
  /* Before owning the name: a test may send SIGTERM as soon as it sees the owner. */
  g_unix_signal_add (SIGTERM, stand_in_quit, loop);
  g_bus_own_name_on_connection (conn, HB_TEST_BUS_NAME, flags, stand_in_name_acquired,
                                stand_in_name_lost, NULL, NULL);
  g_main_loop_run (loop);
  g_print ("stand-in: terminated\n");
  return 0;
}

static HbTestDaemonOptions *
stand_in_options (const char *const *args)
{
  static const char *const env[] = { "HB_TEST_STAND_IN=1", NULL };
  static char *program;
  static HbTestDaemonOptions options;

  if (program == NULL)
    program = g_test_build_filename (G_TEST_BUILT, "test-introspection", NULL);
  options = (HbTestDaemonOptions) { .args = args, .env = env, .program = program };
  return &options;
}

/* ---- harness tests ---- */

static const HbTestEnvOptions bus_only = { .no_fake_ollama = TRUE };

static void
assert_command_ok (HbTestCommandResult *r, GError *error)
{
  g_assert_no_error (error);
  g_assert_nonnull (r);
  if (r->exit_status != 0)
    g_printerr ("stdout: %s\nstderr: %s\n", r->out, r->err);
  g_assert_cmpint (r->exit_status, ==, 0);
}

static void
test_busctl_list (void)
{
  g_autoptr(HbTestEnv) env = hb_test_env_new (&bus_only);
  const char *me = g_dbus_connection_get_unique_name (hb_test_env_get_connection (env));
  g_autoptr(GError) error = NULL;
  g_autoptr(HbTestCommandResult) r = NULL;

  r = hb_test_busctl (env, &error, "list", "--no-legend", NULL);
  assert_command_ok (r, error);
  g_assert_nonnull (strstr (r->out, "org.freedesktop.DBus"));
  g_assert_nonnull (strstr (r->out, me));
}

/* busctl --user also reaches the private bus: sd-bus takes DBUS_SESSION_BUS_ADDRESS when set. */
static void
test_busctl_user (void)
{
  g_autoptr(HbTestEnv) env = hb_test_env_new (&bus_only);
  const char *me = g_dbus_connection_get_unique_name (hb_test_env_get_connection (env));
  const char *argv[] = { "busctl", "--user", "--no-pager", "--no-legend", "list", NULL };
  g_autoptr(GError) error = NULL;
  g_autoptr(HbTestCommandResult) r = NULL;

  r = hb_test_run_command (env, argv, HB_TEST_TIMEOUT_MS, &error);
  assert_command_ok (r, error);
  g_assert_nonnull (strstr (r->out, me));
}

static void
test_gdbus_list_names (void)
{
  g_autoptr(HbTestEnv) env = hb_test_env_new (&bus_only);
  const char *me = g_dbus_connection_get_unique_name (hb_test_env_get_connection (env));
  g_autoptr(GError) error = NULL;
  g_autoptr(HbTestCommandResult) r = NULL;

  r = hb_test_gdbus (env, &error, "call", "--dest", "org.freedesktop.DBus", "--object-path",
                     "/org/freedesktop/DBus", "--method", "org.freedesktop.DBus.ListNames", NULL);
  assert_command_ok (r, error);
  g_assert_true (g_str_has_prefix (r->out, "(["));
  g_assert_nonnull (strstr (r->out, me));
}

static void
test_command_status_and_timeout (void)
{
  g_autoptr(HbTestEnv) env = hb_test_env_new (&bus_only);
  const char *exit3[] = { "sh", "-c", "echo \"$DBUS_SESSION_BUS_ADDRESS\"; echo oops >&2; exit 3",
                          NULL };
  const char *hang[] = { "tail", "-f", "/dev/null", NULL };
  g_autoptr(GError) error = NULL;
  g_autoptr(HbTestCommandResult) r = NULL;
  g_autoptr(HbTestCommandResult) r2 = NULL;
  g_autofree char *want = g_strconcat (hb_test_env_get_bus_address (env), "\n", NULL);

  r = hb_test_run_command (env, exit3, HB_TEST_TIMEOUT_MS, &error);
  g_assert_no_error (error);
  g_assert_cmpint (r->exit_status, ==, 3);
  g_assert_cmpstr (r->out, ==, want);
  g_assert_cmpstr (r->err, ==, "oops\n");

  /* tail -f never ends on its own: only the deadline stops it. */
  r2 = hb_test_run_command (env, hang, 300, &error);
  g_assert_error (error, G_IO_ERROR, G_IO_ERROR_TIMED_OUT);
  g_assert_null (r2);
}

static void
test_wait_for_name (void)
{
  g_autoptr(HbTestEnv) env = hb_test_env_new (&bus_only);
  GDBusConnection *conn = hb_test_env_get_connection (env);
  g_autoptr(GDBusConnection) other = NULL;
  g_autoptr(GError) error = NULL;
  guint owner;

  /* Nobody owns it: waiting for an owner must time out, not pass. */
  g_assert_false (hb_test_wait_for_name (conn, "org.crt.HeartbeatTest", TRUE, 200, &error));
  g_assert_error (error, G_IO_ERROR, G_IO_ERROR_TIMED_OUT);
  g_clear_error (&error);

  other = hb_test_env_open_connection (env, &error);
  g_assert_no_error (error);
  owner = g_bus_own_name_on_connection (other, "org.crt.HeartbeatTest", G_BUS_NAME_OWNER_FLAGS_NONE,
                                        NULL, NULL, NULL, NULL);
  g_assert_true (hb_test_wait_for_name (conn, "org.crt.HeartbeatTest", TRUE, HB_TEST_TIMEOUT_MS,
                                        &error));
  g_assert_no_error (error);
  g_bus_unown_name (owner);
  g_assert_true (hb_test_wait_for_name (conn, "org.crt.HeartbeatTest", FALSE, HB_TEST_TIMEOUT_MS,
                                        &error));
  g_assert_no_error (error);
}

static void
emit (GDBusConnection *conn, const char *member, const char *arg0)
{
  g_autoptr(GError) error = NULL;

  g_dbus_connection_emit_signal (conn, NULL, "/org/crt/HeartbeatTest", "org.crt.HeartbeatTest",
                                 member, g_variant_new ("(su)", arg0, 7), &error);
  g_assert_no_error (error);
}

static void
test_signal_recorder (void)
{
  g_autoptr(HbTestEnv) env = hb_test_env_new (&bus_only);
  GDBusConnection *conn = hb_test_env_get_connection (env);
  g_autoptr(GDBusConnection) other = hb_test_env_open_connection (env, NULL);
  g_autoptr(HbTestSignalRecorder) rec = NULL;
  g_autoptr(GVariant) params = NULL;
  g_autoptr(GVariant) none = NULL;
  g_autoptr(GError) error = NULL;
  const char *arg0;
  guint32 n;

  g_assert_nonnull (other);
  rec = hb_test_signal_recorder_new (conn, g_dbus_connection_get_unique_name (other), NULL,
                                     "org.crt.HeartbeatTest", "Happened", "wanted");
  /* Emitted before anyone waits: the recorder must still have them, and only the match. */
  emit (other, "Happened", "unwanted");
  emit (other, "Other", "wanted");
  emit (other, "Happened", "wanted");
  params = hb_test_signal_recorder_wait (rec, HB_TEST_TIMEOUT_MS, &error);
  g_assert_no_error (error);
  g_variant_get (params, "(&su)", &arg0, &n);
  g_assert_cmpstr (arg0, ==, "wanted");
  g_assert_cmpuint (n, ==, 7);

  none = hb_test_signal_recorder_wait (rec, 300, &error);
  g_assert_error (error, G_IO_ERROR, G_IO_ERROR_TIMED_OUT);
  g_assert_null (none);
  g_assert_cmpuint (hb_test_signal_recorder_get_count (rec), ==, 1);
}

static gboolean
set_backend_state (gpointer user_data)
{
  hb_exported_manager_set_backend_state (user_data, "available");
  return G_SOURCE_REMOVE;
}

/* The generated skeleton on a second connection; the wait must see its PropertiesChanged. */
static void
test_wait_for_property (void)
{
  g_autoptr(HbTestEnv) env = hb_test_env_new (&bus_only);
  GDBusConnection *conn = hb_test_env_get_connection (env);
  g_autoptr(GDBusConnection) other = hb_test_env_open_connection (env, NULL);
  g_autoptr(HbExportedManager) skel = hb_exported_manager_skeleton_new ();
  const char *name = g_dbus_connection_get_unique_name (other);
  g_autoptr(GVariant) value = NULL;
  g_autoptr(GError) error = NULL;

  hb_exported_manager_set_backend_state (skel, "unknown");
  g_dbus_interface_skeleton_export (G_DBUS_INTERFACE_SKELETON (skel), other,
                                    HB_TEST_MANAGER_PATH, &error);
  g_assert_no_error (error);

  value = hb_test_get_property (conn, name, HB_TEST_MANAGER_PATH, HB_TEST_MANAGER_IFACE,
                                "BackendState", &error);
  g_assert_no_error (error);
  g_assert_cmpstr (g_variant_get_string (value, NULL), ==, "unknown");

  g_assert_false (hb_test_wait_for_property (conn, name, HB_TEST_MANAGER_PATH,
                                             HB_TEST_MANAGER_IFACE, "BackendState",
                                             g_variant_new_string ("available"), 300, &error));
  g_assert_error (error, G_IO_ERROR, G_IO_ERROR_TIMED_OUT);
  g_assert_nonnull (strstr (error->message, "'unknown'"));
  g_clear_error (&error);

  /* Changed only once the wait runs: the value must come from PropertiesChanged. */
  g_idle_add (set_backend_state, skel);
  g_assert_true (hb_test_wait_for_property (conn, name, HB_TEST_MANAGER_PATH,
                                            HB_TEST_MANAGER_IFACE, "BackendState",
                                            g_variant_new_string ("available"),
                                            HB_TEST_TIMEOUT_MS, &error));
  g_assert_no_error (error);
  g_dbus_interface_skeleton_unexport (G_DBUS_INTERFACE_SKELETON (skel));
}

/* A system-type bus denies by default; an included policy file opens one name. */
static void
test_system_bus_policy (void)
{
  g_autoptr(GError) error = NULL;
  g_autofree char *policy_path = NULL;
  const char *policy =
    "<!DOCTYPE busconfig PUBLIC \"-//freedesktop//DTD D-BUS Bus Configuration 1.0//EN\"\n"
    " \"http://www.freedesktop.org/standards/dbus/1.0/busconfig.dtd\">\n"
    "<busconfig><policy context=\"default\">"
    "<allow own=\"org.crt.HeartbeatTest\"/></policy></busconfig>\n";
  int fd = g_file_open_tmp ("hb-policy-XXXXXX.conf", &policy_path, &error);
  const char *includes[] = { NULL, NULL };
  HbTestEnvOptions opts = { .type = HB_TEST_BUS_SYSTEM, .includes = includes,
                            .no_fake_ollama = TRUE };
  g_autoptr(HbTestEnv) env = NULL;
  g_autoptr(GVariant) ok = NULL;
  g_autoptr(GVariant) denied = NULL;

  g_assert_no_error (error);
  close (fd);
  g_file_set_contents (policy_path, policy, -1, &error);
  g_assert_no_error (error);
  includes[0] = policy_path;
  env = hb_test_env_new (&opts);

  ok = g_dbus_connection_call_sync (hb_test_env_get_connection (env), "org.freedesktop.DBus",
                                    "/org/freedesktop/DBus", "org.freedesktop.DBus", "RequestName",
                                    g_variant_new ("(su)", "org.crt.HeartbeatTest", 0),
                                    G_VARIANT_TYPE ("(u)"), G_DBUS_CALL_FLAGS_NONE, -1, NULL,
                                    &error);
  g_assert_no_error (error);
  denied = g_dbus_connection_call_sync (hb_test_env_get_connection (env), "org.freedesktop.DBus",
                                        "/org/freedesktop/DBus", "org.freedesktop.DBus",
                                        "RequestName",
                                        g_variant_new ("(su)", "org.crt.HeartbeatOther", 0),
                                        G_VARIANT_TYPE ("(u)"), G_DBUS_CALL_FLAGS_NONE, -1, NULL,
                                        &error);
  g_assert_error (error, G_DBUS_ERROR, G_DBUS_ERROR_ACCESS_DENIED);
  g_assert_null (denied);
  g_unlink (policy_path);
}

/* Start, introspect, refuse a second instance, replace, stop, restart: the stand-in behaves
 * as the daemon must, so this checks the harness end to end. */
static void
test_stand_in_daemon (void)
{
  g_autoptr(HbTestEnv) env = hb_test_env_new (&bus_only);
  const char *const replace[] = { "--replace", NULL };
  g_autoptr(GError) error = NULL;
  g_autofree char *log = NULL;
  HbTestDaemon *first, *second, *third;
  int status = -1;

  first = hb_test_daemon_start (env, stand_in_options (NULL), &error);
  g_assert_no_error (error);
  assert_object_matches_xml (hb_test_env_get_connection (env), HB_TEST_MANAGER_PATH,
                             HB_TEST_MANAGER_IFACE);
  assert_object_matches_xml (hb_test_env_get_connection (env), STAND_IN_THREAD_PATH,
                             HB_TEST_THREAD_IFACE);

  second = hb_test_daemon_spawn (env, stand_in_options (NULL), &error);
  g_assert_no_error (error);
  g_assert_true (hb_test_daemon_wait_exit (second, HB_TEST_TIMEOUT_MS, &status, &error));
  g_assert_no_error (error);
  g_assert_cmpint (status, ==, 1);

  third = hb_test_daemon_start (env, stand_in_options (replace), &error);
  g_assert_no_error (error);
  g_assert_true (hb_test_daemon_wait_exit (first, HB_TEST_TIMEOUT_MS, &status, &error));
  g_assert_cmpint (status, ==, 1);

  g_assert_true (hb_test_daemon_term (third, 5000, &status, &error));
  g_assert_no_error (error);
  g_assert_cmpint (status, ==, 0);
  g_assert_false (hb_test_daemon_is_running (third));
  g_assert_cmpint (hb_test_daemon_get_pid (third), ==, 0);

  g_assert_true (hb_test_daemon_restart (third, &status, &error));
  g_assert_no_error (error);
  g_assert_cmpint (status, ==, -1);
  g_assert_true (hb_test_daemon_is_running (third));
  hb_test_daemon_kill (third);
  g_assert_false (hb_test_daemon_is_running (third));

  log = hb_test_daemon_read_log (third);
  g_assert_nonnull (strstr (log, "---- start 2: "));
  g_assert_null (strstr (log, "--backend-url"));   /* no fake Ollama, so no URL to pass */
  g_assert_nonnull (strstr (log, "stand-in: terminated"));
  g_assert_nonnull (strstr (log, "--workspace"));
}

/* The comparison itself must notice what is missing or different. */
static void
test_compare_detects_differences (void)
{
  g_autofree char *escaped = g_dbus_escape_object_path ("stand-in");
  g_autofree char *thread_path = g_strconcat (HB_TEST_THREADS_PATH "/", escaped, NULL);
  g_autoptr(GDBusNodeInfo) want = load_interface_xml (HB_TEST_MANAGER_IFACE);
  g_autoptr(GError) error = NULL;
  g_autoptr(GDBusNodeInfo) got = g_dbus_node_info_new_for_xml (
    "<node><interface name='org.crt.Heartbeat1.Manager'>"
    "<method name='RunNow'><arg name='t' type='s' direction='in'/></method>"
    "<method name='Extra'/>"
    "<property name='Version' type='u' access='readwrite'/>"
    "<signal name='RunStarted'><arg type='s'/><arg type='s'/></signal>"
    "</interface></node>", &error);
  g_autoptr(GPtrArray) diffs = NULL;
  g_autoptr(GPtrArray) none = NULL;

  g_assert_no_error (error);
  /* The stand-in's thread path is spelt out by hand: check it is the escaped id. */
  g_assert_cmpstr (thread_path, ==, STAND_IN_THREAD_PATH);
  diffs = interface_differences (g_dbus_node_info_lookup_interface (want, HB_TEST_MANAGER_IFACE),
                                 got->interfaces[0]);
  g_assert_true (g_ptr_array_find_with_equal_func (diffs, "method Start missing", g_str_equal,
                                                   NULL));
  g_assert_true (g_ptr_array_find_with_equal_func (diffs, "method RunNow is (s) -> (), not (s) -> (s)",
                                                   g_str_equal, NULL));
  g_assert_true (g_ptr_array_find_with_equal_func (diffs, "signal HeartbeatCompleted missing",
                                                   g_str_equal, NULL));
  g_assert_false (g_ptr_array_find_with_equal_func (diffs, "signal RunStarted missing",
                                                    g_str_equal, NULL));
  g_assert_true (g_ptr_array_find_with_equal_func (diffs, "property BackendState missing",
                                                   g_str_equal, NULL));
  g_assert_true (g_ptr_array_find_with_equal_func (
    diffs, "property Version is u (flags 3), not u (flags 1)", g_str_equal, NULL));

  /* The generated code is built from the same XML: it must match it exactly. */
  none = interface_differences (g_dbus_node_info_lookup_interface (want, HB_TEST_MANAGER_IFACE),
                                hb_exported_manager_interface_info ());
  g_assert_cmpuint (none->len, ==, 0);
}

/* ---- the real daemon ---- */

static void
test_daemon_introspection (void)
{
  g_autoptr(HbTestEnv) env = hb_test_env_new (NULL);
  GDBusConnection *conn = hb_test_env_get_connection (env);
  g_autoptr(GError) error = NULL;
  g_autoptr(GVariant) reply = NULL;
  const char *path;

  hb_test_daemon_start (env, NULL, &error);
  g_assert_no_error (error);
  assert_object_matches_xml (conn, HB_TEST_MANAGER_PATH, HB_TEST_MANAGER_IFACE);

  reply = g_dbus_connection_call_sync (conn, HB_TEST_BUS_NAME, HB_TEST_MANAGER_PATH,
                                       HB_TEST_MANAGER_IFACE, "AddThread",
                                       g_variant_new ("(s)", "introspection test"),
                                       G_VARIANT_TYPE ("(o)"), G_DBUS_CALL_FLAGS_NONE,
                                       HB_TEST_TIMEOUT_MS, NULL, &error);
  g_assert_no_error (error);
  g_variant_get (reply, "(&o)", &path);
  g_assert_true (g_str_has_prefix (path, HB_TEST_THREADS_PATH "/"));
  assert_object_matches_xml (conn, path, HB_TEST_THREAD_IFACE);
}

/* The control helpers against the real fake-ollama program: one chat request by hand. */
static void
test_fake_control (void)
{
  g_autoptr(HbTestEnv) env = hb_test_env_new (&(HbTestEnvOptions) { .type = HB_TEST_BUS_SESSION });
  const char *const models[] = { "llama3.2:latest", "other:1b", NULL };
  const char *chat = "{\"model\":\"llama3.2:latest\",\"stream\":false,"
                     "\"messages\":[{\"role\":\"user\",\"content\":\"hi\"}]}";
  g_autofree char *uri = g_strconcat (hb_test_env_get_fake_url (env), "/api/chat", NULL);
  g_autoptr(SoupSession) session = soup_session_new ();
  g_autoptr(SoupMessage) msg = soup_message_new ("POST", uri);
  g_autoptr(GBytes) req = g_bytes_new_static (chat, strlen (chat));
  g_autoptr(GBytes) body = NULL;
  g_autoptr(GError) error = NULL;
  HbTestFakeStats stats = { 0 };

  g_assert_true (hb_test_fake_set_models (env, models, &error));
  g_assert_no_error (error);
  g_assert_true (hb_test_fake_push_content (env, "{\"action\":\"none\"}", &error));
  g_assert_no_error (error);
  g_assert_true (hb_test_fake_get_stats (env, &stats, &error));
  g_assert_no_error (error);
  g_assert_cmpuint (stats.requests, ==, 0);
  g_assert_null (stats.last_request);

  soup_message_set_request_body_from_bytes (msg, "application/json", req);
  body = soup_session_send_and_read (session, msg, NULL, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (soup_message_get_status (msg), ==, 200);
  g_assert_nonnull (g_strstr_len (g_bytes_get_data (body, NULL), g_bytes_get_size (body),
                                  "action"));

  g_assert_true (hb_test_fake_get_stats (env, &stats, &error));
  g_assert_no_error (error);
  g_assert_cmpuint (stats.requests, ==, 1);
  g_assert_cmpuint (stats.max_in_flight, ==, 1);
  g_assert_nonnull (stats.last_request);
  g_assert_cmpstr (json_object_get_string_member_with_default (stats.last_request, "model", ""),
                   ==, "llama3.2:latest");
  hb_test_fake_stats_clear (&stats);

  g_assert_true (hb_test_fake_reset (env, &error));
  g_assert_no_error (error);
  g_assert_true (hb_test_fake_get_stats (env, &stats, &error));
  g_assert_cmpuint (stats.requests, ==, 0);
  hb_test_fake_stats_clear (&stats);
}

int
main (int argc, char **argv)
{
  if (g_strcmp0 (g_getenv ("HB_TEST_STAND_IN"), "1") == 0)
    return stand_in_main (argc, argv);

  g_test_init (&argc, &argv, NULL);

  g_test_add_func ("/harness/busctl-list", test_busctl_list);
  g_test_add_func ("/harness/busctl-user", test_busctl_user);
  g_test_add_func ("/harness/gdbus-list-names", test_gdbus_list_names);
  g_test_add_func ("/harness/command-status-and-timeout", test_command_status_and_timeout);
  g_test_add_func ("/harness/wait-for-name", test_wait_for_name);
  g_test_add_func ("/harness/signal-recorder", test_signal_recorder);
  g_test_add_func ("/harness/wait-for-property", test_wait_for_property);
  g_test_add_func ("/harness/system-bus-policy", test_system_bus_policy);
  g_test_add_func ("/harness/stand-in-daemon", test_stand_in_daemon);
  g_test_add_func ("/introspection/compare-detects-differences", test_compare_detects_differences);
  g_test_add_func ("/harness/fake-control", test_fake_control);
  g_test_add_func ("/introspection/daemon", test_daemon_introspection);

  return g_test_run ();
}
