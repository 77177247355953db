/* hb-test-daemon.c: the test environment: temporary tree, private bus, fake Ollama, daemons. */
#include "config.h"

#include <fcntl.h>
#include <glib/gstdio.h>
#include <gio/gunixinputstream.h>
#include <glib-unix.h>
#include <string.h>
#include <unistd.h>

#include "hb-test-proc.h"

/* ---- the private bus ---- */

static const char bus_allow_all[] =
  "  <policy context=\"default\">\n"
  "    <allow send_destination=\"*\" eavesdrop=\"true\"/>\n"
  "    <allow eavesdrop=\"true\"/>\n"
  "    <allow own=\"*\"/>\n"
  "  </policy>\n";

/* What system.conf allows: holes for names and method calls come from included policy files. */
static const char bus_system_default[] =
  "  <policy context=\"default\">\n"
  "    <allow user=\"*\"/>\n"
  "    <deny own=\"*\"/>\n"
  "    <deny send_type=\"method_call\"/>\n"
  "    <allow send_type=\"signal\"/>\n"
  "    <allow send_requested_reply=\"true\" send_type=\"method_return\"/>\n"
  "    <allow send_requested_reply=\"true\" send_type=\"error\"/>\n"
  "    <allow receive_type=\"method_call\"/>\n"
  "    <allow receive_type=\"method_return\"/>\n"
  "    <allow receive_type=\"error\"/>\n"
  "    <allow receive_type=\"signal\"/>\n"
  "    <allow send_destination=\"org.freedesktop.DBus\" send_interface=\"org.freedesktop.DBus\"/>\n"
  "    <allow send_destination=\"org.freedesktop.DBus\"\n"
  "           send_interface=\"org.freedesktop.DBus.Introspectable\"/>\n"
  "    <allow send_destination=\"org.freedesktop.DBus\"\n"
  "           send_interface=\"org.freedesktop.DBus.Properties\"/>\n"
  "  </policy>\n";

static void
append_elements (GString *s, const char *element, const char *const *values)
{
  for (guint i = 0; values != NULL && values[i] != NULL; i++)
    {
      g_autofree char *escaped = g_markup_escape_text (values[i], -1);

      g_string_append_printf (s, "  <%s>%s</%s>\n", element, escaped, element);
    }
}

static char *
bus_config_new (const HbTestEnvOptions *o, const char *listen_dir)
{
  GString *s = g_string_new (NULL);
  g_autofree char *dir = g_markup_escape_text (listen_dir, -1);
  gboolean system = o->type == HB_TEST_BUS_SYSTEM;

  g_string_append (s, "<!DOCTYPE busconfig PUBLIC "
                   "\"-//freedesktop//DTD D-Bus Bus Configuration 1.0//EN\"\n"
                   " \"http://www.freedesktop.org/standards/dbus/1.0/busconfig.dtd\">\n"
                   "<busconfig>\n");
  g_string_append_printf (s, "  <type>%s</type>\n", system ? "system" : "session");
  g_string_append_printf (s, "  <listen>unix:dir=%s</listen>\n", dir);
  g_string_append (s, "  <auth>EXTERNAL</auth>\n");
  g_string_append (s, system ? bus_system_default : bus_allow_all);
  append_elements (s, "servicedir", o->servicedirs);
  /* After the default policy, so that included files can punch holes in it. */
  append_elements (s, "include", o->includes);
  g_string_append (s, "</busconfig>\n");
  return g_string_free (s, FALSE);
}

static void
start_bus (HbTestEnv *env, const HbTestEnvOptions *o)
{
  g_autoptr(GError) error = NULL;
  g_autofree char *listen_dir = g_build_filename (env->tmpdir, "bus", NULL);
  g_autofree char *config_path = g_build_filename (env->tmpdir, "bus.conf", NULL);
  g_autofree char *config = bus_config_new (o, listen_dir);
  g_autofree char *config_arg = g_strconcat ("--config-file=", config_path, NULL);
  const char *argv[] = { "dbus-daemon", config_arg, "--nofork", "--print-address=3", NULL };
  g_autoptr(GSubprocessLauncher) launcher = NULL;
  g_autoptr(GInputStream) pipe_in = NULL;
  g_autoptr(GDataInputStream) lines = NULL;
  g_autoptr(GCancellable) cancel = g_cancellable_new ();
  g_autoptr(GAsyncResult) res = NULL;
  int fds[2];

  g_assert_no_errno (g_mkdir_with_parents (listen_dir, 0700));
  g_file_set_contents (config_path, config, -1, &error);
  g_assert_no_error (error);
  g_assert_true (g_unix_open_pipe (fds, FD_CLOEXEC, &error));
  g_assert_no_error (error);

  env->bus_log = g_build_filename (env->tmpdir, "dbus-daemon.log", NULL);
  hb_test_register_log (env->bus_log);
  launcher = g_subprocess_launcher_new (G_SUBPROCESS_FLAGS_STDERR_MERGE);
  g_subprocess_launcher_set_stdout_file_path (launcher, env->bus_log);
  g_subprocess_launcher_take_fd (launcher, fds[1], 3);
  hb_test_proc_spawn (&env->bus, launcher, argv, &error);
  g_assert_no_error (error);
  /* The launcher holds the write end: drop it so that an early exit reads as EOF. */
  g_clear_object (&launcher);

  pipe_in = g_unix_input_stream_new (fds[0], TRUE);
  lines = g_data_input_stream_new (pipe_in);
  g_data_input_stream_read_line_async (lines, G_PRIORITY_DEFAULT, cancel,
                                       hb_test_store_result_cb, &res);
  hb_test_await (&res, cancel, NULL, HB_TEST_TIMEOUT_MS);
  env->bus_address = g_data_input_stream_read_line_finish_utf8 (lines, res, NULL, &error);
  g_assert_no_error (error);
  g_assert_nonnull (env->bus_address);
  g_strstrip (env->bus_address);

  env->conn = g_dbus_connection_new_for_address_sync (
    env->bus_address,
    G_DBUS_CONNECTION_FLAGS_AUTHENTICATION_CLIENT | G_DBUS_CONNECTION_FLAGS_MESSAGE_BUS_CONNECTION,
    NULL, NULL, &error);
  g_assert_no_error (error);
}

/* ---- the fake Ollama program ---- */

static gboolean
parse_fake_url (const char *text, char **url_out)
{
  g_autofree char *copy = g_strstrip (g_strdup (text));
  const char *port;
  guint64 n;

  if (!g_str_has_prefix (copy, "http://127.0.0.1:"))
    return FALSE;
  port = copy + strlen ("http://127.0.0.1:");
  if (!g_ascii_string_to_unsigned (port, 10, 1, 65535, &n, NULL))
    return FALSE;
  *url_out = g_steal_pointer (&copy);
  return TRUE;
}

typedef struct {
  HbTestEnv *env;
  const char *port_file;
} FakeWait;

static gboolean
fake_ready (gpointer user_data)
{
  FakeWait *w = user_data;
  g_autofree char *text = NULL;

  if (w->env->fake.exited)
    return TRUE;
  return g_file_get_contents (w->port_file, &text, NULL, NULL)
         && parse_fake_url (text, &w->env->fake_url);
}

static void
start_fake (HbTestEnv *env)
{
  g_autoptr(GError) error = NULL;
  g_autofree char *program = g_test_build_filename (G_TEST_BUILT, "fake-ollama", NULL);
  g_autofree char *port_file = g_build_filename (env->tmpdir, "fake-ollama.port", NULL);
  g_autoptr(GFile) dir = g_file_new_for_path (env->tmpdir);
  g_autoptr(GFileMonitor) monitor = NULL;
  g_autoptr(GSubprocessLauncher) launcher = NULL;
  const char *argv[] = { program, "--port-file", port_file, NULL };
  FakeWait w = { env, port_file };

  /* The monitor only wakes the loop up when the port file appears; fake_ready() decides. */
  monitor = g_file_monitor_directory (dir, G_FILE_MONITOR_WATCH_MOVES, NULL, &error);
  g_assert_no_error (error);

  env->fake_log = g_build_filename (env->tmpdir, "fake-ollama.log", NULL);
  hb_test_register_log (env->fake_log);
  launcher = g_subprocess_launcher_new (G_SUBPROCESS_FLAGS_STDERR_MERGE);
  g_subprocess_launcher_set_stdout_file_path (launcher, env->fake_log);
  hb_test_proc_spawn (&env->fake, launcher, argv, &error);
  g_assert_no_error (error);

  if (!hb_test_wait_until (fake_ready, &w, HB_TEST_TIMEOUT_MS) || env->fake_url == NULL)
    {
      if (env->fake.exited)
        g_error ("%s exited with status %d before writing %s", program, env->fake.status,
                 port_file);
      g_error ("%s wrote no URL to %s within %u ms", program, port_file, HB_TEST_TIMEOUT_MS);
    }
}

/* ---- the environment ---- */

static void
make_dir (HbTestEnv *env, const char *name, int mode)
{
  g_autofree char *path = g_build_filename (env->tmpdir, name, NULL);

  g_assert_no_errno (g_mkdir_with_parents (path, mode));
}

HbTestEnv *
hb_test_env_new (const HbTestEnvOptions *options)
{
  static const HbTestEnvOptions defaults = { 0 };
  const HbTestEnvOptions *o = options != NULL ? options : &defaults;
  g_autoptr(GError) error = NULL;
  HbTestEnv *env = g_new0 (HbTestEnv, 1);

  env->tmpdir = g_dir_make_tmp ("hb-test-XXXXXX", &error);
  g_assert_no_error (error);
  env->state_dir = g_build_filename (env->tmpdir, "state", NULL);
  env->workspace = g_build_filename (env->tmpdir, "workspace", NULL);
  env->db_path = g_build_filename (env->state_dir, "heartbeat.db", NULL);
  make_dir (env, "state", 0700);
  make_dir (env, "workspace", 0700);
  make_dir (env, "home", 0700);
  make_dir (env, "xdg/config", 0700);
  make_dir (env, "xdg/data", 0700);
  make_dir (env, "xdg/cache", 0700);
  make_dir (env, "xdg/state", 0700);
  make_dir (env, "xdg/runtime", 0700);
  env->daemons = g_ptr_array_new_with_free_func ((GDestroyNotify) hb_test_daemon_free);
  hb_test_proc_clear (&env->bus);
  hb_test_proc_clear (&env->fake);

  start_bus (env, o);
  if (!o->no_fake_ollama)
    start_fake (env);
  return env;
}

static void
remove_tree (const char *path)
{
  g_autoptr(GDir) dir = g_dir_open (path, 0, NULL);
  const char *name;

  while (dir != NULL && (name = g_dir_read_name (dir)) != NULL)
    {
      g_autofree char *child = g_build_filename (path, name, NULL);

      if (g_file_test (child, G_FILE_TEST_IS_DIR) && !g_file_test (child, G_FILE_TEST_IS_SYMLINK))
        remove_tree (child);
      else
        g_unlink (child);
    }
  g_rmdir (path);
}

void
hb_test_env_print_logs (HbTestEnv *env)
{
  for (guint i = 0; i < env->daemons->len; i++)
    {
      HbTestDaemon *d = g_ptr_array_index (env->daemons, i);
      g_autofree char *title = g_strdup_printf ("crt-heartbeatd #%u", i + 1);

      hb_test_print_log (title, d->log_path);
    }
  if (env->fake_log != NULL)
    hb_test_print_log ("fake-ollama", env->fake_log);
  hb_test_print_log ("dbus-daemon", env->bus_log);
}

void
hb_test_env_free (HbTestEnv *env)
{
  if (env == NULL)
    return;
  for (guint i = 0; i < env->daemons->len; i++)
    {
      HbTestProc *p = &((HbTestDaemon *) g_ptr_array_index (env->daemons, i))->proc;

      hb_test_proc_stop_cleanly (p, "crt-heartbeatd", 5000);
    }
  hb_test_proc_stop_cleanly (&env->fake, "fake-ollama", 5000);
  if (g_test_failed ())
    {
      hb_test_env_print_logs (env);
      g_printerr ("Test files in %s\n", env->tmpdir);
    }
  g_ptr_array_free (g_steal_pointer (&env->daemons), TRUE);

  if (env->conn != NULL)
    g_dbus_connection_close_sync (env->conn, NULL, NULL);
  g_clear_object (&env->conn);
  hb_test_proc_stop (&env->bus, 5000);
  hb_test_proc_clear (&env->fake);
  hb_test_proc_clear (&env->bus);
  hb_test_forget_logs ();

  if (g_strcmp0 (g_getenv ("HB_TEST_KEEP_TMP"), "1") != 0)
    remove_tree (env->tmpdir);
  g_free (env->tmpdir);
  g_free (env->state_dir);
  g_free (env->workspace);
  g_free (env->db_path);
  g_free (env->bus_log);
  g_free (env->bus_address);
  g_free (env->fake_log);
  g_free (env->fake_url);
  g_free (env);
}

const char *hb_test_env_get_tmpdir (HbTestEnv *env) { return env->tmpdir; }
const char *hb_test_env_get_state_dir (HbTestEnv *env) { return env->state_dir; }
const char *hb_test_env_get_workspace (HbTestEnv *env) { return env->workspace; }
const char *hb_test_env_get_db_path (HbTestEnv *env) { return env->db_path; }
const char *hb_test_env_get_bus_address (HbTestEnv *env) { return env->bus_address; }
GDBusConnection *hb_test_env_get_connection (HbTestEnv *env) { return env->conn; }
const char *hb_test_env_get_fake_url (HbTestEnv *env) { return env->fake_url; }

GDBusConnection *
hb_test_env_open_connection (HbTestEnv *env, GError **error)
{
  return g_dbus_connection_new_for_address_sync (
    env->bus_address,
    G_DBUS_CONNECTION_FLAGS_AUTHENTICATION_CLIENT | G_DBUS_CONNECTION_FLAGS_MESSAGE_BUS_CONNECTION,
    NULL, NULL, error);
}

GSubprocessLauncher *
hb_test_env_new_launcher (HbTestEnv *env, GSubprocessFlags flags)
{
  static const char *const xdg[][2] = {
    { "XDG_CONFIG_HOME", "xdg/config" }, { "XDG_DATA_HOME", "xdg/data" },
    { "XDG_CACHE_HOME", "xdg/cache" }, { "XDG_STATE_HOME", "xdg/state" },
    { "XDG_RUNTIME_DIR", "xdg/runtime" }, { "HOME", "home" },
  };
  GSubprocessLauncher *launcher = g_subprocess_launcher_new (flags);

  g_subprocess_launcher_setenv (launcher, "DBUS_SESSION_BUS_ADDRESS", env->bus_address, TRUE);
  g_subprocess_launcher_setenv (launcher, "DBUS_SYSTEM_BUS_ADDRESS", env->bus_address, TRUE);
  g_subprocess_launcher_unsetenv (launcher, "DBUS_STARTER_ADDRESS");
  g_subprocess_launcher_unsetenv (launcher, "DBUS_STARTER_BUS_TYPE");
  g_subprocess_launcher_setenv (launcher, "STATE_DIRECTORY", env->state_dir, TRUE);
  for (guint i = 0; i < G_N_ELEMENTS (xdg); i++)
    {
      g_autofree char *path = g_build_filename (env->tmpdir, xdg[i][1], NULL);

      g_subprocess_launcher_setenv (launcher, xdg[i][0], path, TRUE);
    }
  return launcher;
}
