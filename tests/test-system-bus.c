/* test-system-bus.c: a system bus with polkitd and the activatable daemon, for test-system.c. */
#include "config.h"

#include <glib/gstdio.h>
#include <glib-unix.h>
#include <pwd.h>
#include <signal.h>
#include <string.h>
#include <sys/syscall.h>
#include <unistd.h>

/* The harness's process handling (spawn, abort-time kill, log registration) serves polkitd too. */
#include "hb-test-proc.h"
#include "test-system-bus.h"

#define POLKITD "/usr/lib/polkit-1/polkitd"
#define POLKIT_NAME "org.freedesktop.PolicyKit1"
#define POLKIT_ACTIONS_DIR "/usr/share/polkit-1/actions"
/* Activation and the first polkit answer can take a while on a loaded machine. */
#define CALL_TIMEOUT_MS 30000

struct _HbSystemBus
{
  HbTestEnv *env;
  char *servicedir;   /* its own directory: the bus is told about it before it starts */
  char *config_path;
  HbTestProc polkitd;
  char *polkitd_log;
  uid_t service_uid;
  gid_t service_gid;
};

static const char *
polkit_bus_policy (void)
{
  static const char *const candidates[] = {
    "/usr/share/dbus-1/system.d/" POLKIT_NAME ".conf",
    "/etc/dbus-1/system.d/" POLKIT_NAME ".conf",
  };

  for (guint i = 0; i < G_N_ELEMENTS (candidates); i++)
    if (g_file_test (candidates[i], G_FILE_TEST_EXISTS))
      return candidates[i];
  return NULL;
}

static gboolean
run_quietly (const char *const *argv)
{
  int status = -1;

  return g_spawn_sync (NULL, (char **) argv, NULL,
                       G_SPAWN_SEARCH_PATH | G_SPAWN_STDOUT_TO_DEV_NULL | G_SPAWN_STDERR_TO_DEV_NULL,
                       NULL, NULL, NULL, NULL, &status, NULL)
         && g_spawn_check_wait_status (status, NULL);
}

char *
hb_system_bus_unsupported (void)
{
  static const char *const tools[] = {
    "dbus-daemon", "gdbus", "setpriv", "unshare", "mount", "sqlite3", "useradd", "userdel",
  };
  const char *unshare_argv[] = { "unshare", "--mount", "--propagation", "private", "true", NULL };

  if (getuid () != 0)
    return g_strdup ("not root: the system bus tests switch users and run polkitd");
  if (!g_file_test (POLKITD, G_FILE_TEST_IS_EXECUTABLE))
    return g_strdup (POLKITD " is missing (Debian package polkitd)");
  if (getpwnam ("polkitd") == NULL)
    return g_strdup ("there is no polkitd user (Debian package polkitd)");
  if (polkit_bus_policy () == NULL)
    return g_strdup ("polkit's bus policy " POLKIT_NAME ".conf is missing");
  for (guint i = 0; i < G_N_ELEMENTS (tools); i++)
    {
      g_autofree char *path = g_find_program_in_path (tools[i]);

      if (path == NULL)
        return g_strdup_printf ("%s is not installed", tools[i]);
    }
  if (!run_quietly (unshare_argv))
    return g_strdup ("no mount namespaces here (polkitd gets the project's actions in one)");
  return NULL;
}

gboolean
hb_system_bus_ensure_service_user (gboolean *created, GError **error)
{
  const char *argv[] = { "useradd", "--system", "--user-group", "--no-create-home",
                         "--home-dir", "/nonexistent", "--shell", "/usr/sbin/nologin",
                         "--comment", "crt-heartbeat tests", HB_TEST_SERVICE_USER, NULL };
  int status = -1;

  *created = FALSE;
  if (getpwnam (HB_TEST_SERVICE_USER) != NULL)
    return TRUE;
  if (!g_spawn_sync (NULL, (char **) argv, NULL, G_SPAWN_SEARCH_PATH, NULL, NULL, NULL, NULL,
                     &status, error)
      || !g_spawn_check_wait_status (status, error))
    {
      g_prefix_error (error, "useradd %s: ", HB_TEST_SERVICE_USER);
      return FALSE;
    }
  *created = TRUE;
  return TRUE;
}

void
hb_system_bus_remove_service_user (void)
{
  const char *argv[] = { "userdel", HB_TEST_SERVICE_USER, NULL };

  if (!run_quietly (argv))
    g_printerr ("# could not remove the user %s\n", HB_TEST_SERVICE_USER);
}

/* ---- setting up ---- */

static char *
tmp_path (HbSystemBus *sb, const char *name)
{
  return g_build_filename (hb_test_env_get_tmpdir (sb->env), name, NULL);
}

/* The harness keeps its tree private to root; here other users must reach the bus socket, and
 * the service user its state. */
static void
open_up_tree (HbSystemBus *sb)
{
  g_autofree char *busdir = tmp_path (sb, "bus");
  g_autoptr(GDir) dir = g_dir_open (busdir, 0, NULL);
  const char *name;

  g_assert_no_errno (g_chmod (hb_test_env_get_tmpdir (sb->env), 0755));
  g_assert_no_errno (g_chmod (busdir, 0755));
  g_assert_nonnull (dir);
  while ((name = g_dir_read_name (dir)) != NULL)
    {
      g_autofree char *socket = g_build_filename (busdir, name, NULL);

      g_assert_no_errno (g_chmod (socket, 0777));
    }
  g_assert_no_errno (chown (hb_test_env_get_state_dir (sb->env), sb->service_uid,
                            sb->service_gid));
  g_assert_no_errno (chown (hb_test_env_get_workspace (sb->env), sb->service_uid,
                            sb->service_gid));
}

static void
write_file (const char *path, const char *contents, int mode)
{
  g_autoptr(GError) error = NULL;

  g_file_set_contents_full (path, contents, -1, G_FILE_SET_CONTENTS_NONE, mode, &error);
  g_assert_no_error (error);
}

/* polkitd in a mount namespace of its own: the built actions over the system's, and no local
 * rules, so that only the project's defaults decide. */
static void
start_polkitd (HbSystemBus *sb)
{
  static const char script[] =
    "mount --bind \"$1\" " POLKIT_ACTIONS_DIR " || exit 1\n"
    "for d in /etc/polkit-1/rules.d /usr/share/polkit-1/rules.d; do\n"
    "  if [ -d \"$d\" ]; then mount --bind \"$2\" \"$d\" || exit 1; fi\n"
    "done\n"
    /* Started as root, polkitd switches to the polkitd user itself. */
    "exec " POLKITD "\n";
  g_autofree char *actions = tmp_path (sb, "polkit-actions");
  g_autofree char *rules = tmp_path (sb, "polkit-rules");
  g_autofree char *policy = NULL;
  g_autofree char *copy = g_build_filename (actions, "org.crt.heartbeat.policy", NULL);
  g_autoptr(GSubprocessLauncher) launcher = NULL;
  g_autoptr(GError) error = NULL;
  const char *argv[] = { "unshare", "--mount", "--propagation", "private", "--",
                         "/bin/sh", "-c", script, "sh", actions, rules, NULL };

  g_assert_no_errno (g_mkdir (actions, 0755));
  g_assert_no_errno (g_mkdir (rules, 0755));
  g_file_get_contents (HB_TEST_POLKIT_POLICY, &policy, NULL, &error);
  g_assert_no_error (error);
  write_file (copy, policy, 0644);

  sb->polkitd_log = tmp_path (sb, "polkitd.log");
  hb_test_register_log (sb->polkitd_log);
  launcher = hb_test_env_new_launcher (sb->env, G_SUBPROCESS_FLAGS_STDERR_MERGE);
  g_subprocess_launcher_set_stdout_file_path (launcher, sb->polkitd_log);
  hb_test_proc_spawn (&sb->polkitd, launcher, argv, &error);
  g_assert_no_error (error);
  if (!hb_test_wait_for_name (hb_test_env_get_connection (sb->env), POLKIT_NAME, TRUE,
                              HB_TEST_TIMEOUT_MS, &error))
    g_error ("polkitd did not appear on the bus (exit status %d): %s", sb->polkitd.status,
             error->message);
}

/* The Environment= settings of the built unit, as "NAME=VALUE NAME=VALUE" (they hold no
 * quoting), so that the daemon here runs with what systemd would give it. */
static char *
unit_environment (void)
{
  g_autofree char *unit = NULL;
  g_auto(GStrv) lines = NULL;
  g_autoptr(GError) error = NULL;
  GString *env = g_string_new (NULL);

  g_file_get_contents (HB_TEST_SYSTEMD_UNIT, &unit, NULL, &error);
  g_assert_no_error (error);
  lines = g_strsplit (unit, "\n", -1);
  for (guint i = 0; lines[i] != NULL; i++)
    if (g_str_has_prefix (lines[i], "Environment="))
      g_string_append_printf (env, "%s ", lines[i] + strlen ("Environment="));
  return g_string_free (env, FALSE);
}

/* The activation file as installed, but with Exec= doing what systemd would: switch to the
 * service user (dbus-daemon honours User= only through its setuid helper, which a test bus does
 * not use), set HOME from the user's entry and the unit's Environment=, and point the daemon at
 * this test's bus and state. */
static void
write_activation_file (HbSystemBus *sb)
{
  struct passwd *pw = getpwuid (sb->service_uid);
  g_autofree char *unit_env = unit_environment ();
  g_autofree char *daemon = g_test_build_filename (G_TEST_BUILT, "..", "src", "crt-heartbeatd",
                                                   NULL);
  g_autofree char *path = g_build_filename (sb->servicedir, HB_TEST_BUS_NAME ".service", NULL);
  g_autofree char *text = NULL;
  g_autoptr(GVariant) reply = NULL;
  g_autoptr(GError) error = NULL;

  g_assert_nonnull (pw);
  text = g_strdup_printf ("[D-BUS Service]\n"
                          "Name=%s\n"
                          "Exec=/usr/bin/env DBUS_SYSTEM_BUS_ADDRESS=%s HOME=%s %s"
                          "setpriv --reuid=%u --regid=%u --clear-groups "
                          "%s --system --verbose --config %s --db %s --workspace %s "
                          "--backend-url %s\n"
                          "User=%s\n",
                          HB_TEST_BUS_NAME, hb_test_env_get_bus_address (sb->env),
                          pw->pw_dir, unit_env,
                          (guint) sb->service_uid, (guint) sb->service_gid, daemon,
                          sb->config_path, hb_test_env_get_db_path (sb->env),
                          hb_test_env_get_workspace (sb->env), hb_test_env_get_fake_url (sb->env),
                          HB_TEST_SERVICE_USER);
  write_file (path, text, 0644);
  /* The bus read the (then empty) directory at start-up: make it look again now. */
  reply = g_dbus_connection_call_sync (hb_test_env_get_connection (sb->env),
                                       "org.freedesktop.DBus", "/org/freedesktop/DBus",
                                       "org.freedesktop.DBus", "ReloadConfig", NULL, NULL,
                                       G_DBUS_CALL_FLAGS_NONE, CALL_TIMEOUT_MS, NULL, &error);
  g_assert_no_error (error);
}

HbSystemBus *
hb_system_bus_new (void)
{
  g_autoptr(GError) error = NULL;
  HbSystemBus *sb = g_new0 (HbSystemBus, 1);
  struct passwd *pw = getpwnam (HB_TEST_SERVICE_USER);
  const char *includes[] = { HB_TEST_BUS_POLICY, polkit_bus_policy (), NULL };
  const char *servicedirs[] = { NULL, NULL };
  HbTestEnvOptions options = { HB_TEST_BUS_SYSTEM, includes, servicedirs, FALSE };

  g_assert_nonnull (pw);
  sb->service_uid = pw->pw_uid;
  sb->service_gid = pw->pw_gid;
  sb->servicedir = g_dir_make_tmp ("hb-system-services-XXXXXX", &error);
  g_assert_no_error (error);
  servicedirs[0] = sb->servicedir;
  hb_test_proc_clear (&sb->polkitd);

  sb->env = hb_test_env_new (&options);
  open_up_tree (sb);
  /* Scheduling off, so that only calls change anything. */
  sb->config_path = tmp_path (sb, "heartbeat.conf");
  write_file (sb->config_path, "[daemon]\nenabled=false\n", 0644);
  start_polkitd (sb);
  write_activation_file (sb);
  return sb;
}

/* ---- the activated daemon ---- */

GPid
hb_system_bus_get_owner_pid (HbSystemBus *sb)
{
  g_autoptr(GVariant) reply = NULL;
  guint32 pid;

  reply = g_dbus_connection_call_sync (hb_test_env_get_connection (sb->env),
                                       "org.freedesktop.DBus", "/org/freedesktop/DBus",
                                       "org.freedesktop.DBus", "GetConnectionUnixProcessID",
                                       g_variant_new ("(s)", HB_TEST_BUS_NAME),
                                       G_VARIANT_TYPE ("(u)"), G_DBUS_CALL_FLAGS_NONE,
                                       CALL_TIMEOUT_MS, NULL, NULL);
  if (reply == NULL)
    return 0;
  g_variant_get (reply, "(u)", &pid);
  return (GPid) pid;
}

GVariant *
hb_system_bus_call (HbSystemBus *sb, const char *path, const char *interface, const char *method,
                    GVariant *parameters, const GVariantType *reply_type, GError **error)
{
  return g_dbus_connection_call_sync (hb_test_env_get_connection (sb->env), HB_TEST_BUS_NAME,
                                      path, interface, method, parameters, reply_type,
                                      G_DBUS_CALL_FLAGS_NONE, CALL_TIMEOUT_MS, NULL, error);
}

GPid
hb_system_bus_activate (HbSystemBus *sb)
{
  g_autoptr(GVariant) reply = NULL;
  g_autoptr(GError) error = NULL;
  GPid pid;

  reply = hb_system_bus_call (sb, HB_TEST_MANAGER_PATH, "org.freedesktop.DBus.Properties",
                              "GetAll", g_variant_new ("(s)", HB_TEST_MANAGER_IFACE),
                              G_VARIANT_TYPE ("(a{sv})"), &error);
  g_assert_no_error (error);
  pid = hb_system_bus_get_owner_pid (sb);
  g_assert_cmpint (pid, >, 0);
  g_assert_true (hb_test_wait_for_property (hb_test_env_get_connection (sb->env), HB_TEST_BUS_NAME,
                                            HB_TEST_MANAGER_PATH, HB_TEST_MANAGER_IFACE,
                                            "BackendState", g_variant_new_string ("available"),
                                            HB_TEST_TIMEOUT_MS, &error));
  g_assert_no_error (error);
  return pid;
}

static gboolean
on_pidfd (int fd, GIOCondition condition, gpointer user_data)
{
  *(gboolean *) user_data = TRUE;
  return G_SOURCE_REMOVE;
}

static gboolean
flag_is_set (gpointer user_data)
{
  return *(gboolean *) user_data;
}

/* The daemon is dbus-daemon's child, not ours: a pidfd tells when it is gone. */
static void
stop_daemon (HbSystemBus *sb)
{
  GPid pid = hb_system_bus_get_owner_pid (sb);
  gboolean gone = FALSE;
  int fd;
  guint source;

  if (pid <= 0)
    return;
  fd = (int) syscall (SYS_pidfd_open, (pid_t) pid, 0);
  g_assert_no_errno (kill (pid, SIGTERM));
  if (fd < 0)
    {
      /* Without pidfds, the name going away is the next best sign. */
      g_assert_true (hb_test_wait_for_name (hb_test_env_get_connection (sb->env),
                                            HB_TEST_BUS_NAME, FALSE, HB_TEST_TIMEOUT_MS, NULL));
      return;
    }
  source = g_unix_fd_add (fd, G_IO_IN, on_pidfd, &gone);
  if (!hb_test_wait_until (flag_is_set, &gone, HB_TEST_TIMEOUT_MS))
    {
      g_source_remove (source);
      kill (pid, SIGKILL);
      g_test_fail_printf ("crt-heartbeatd (pid %d) ignored SIGTERM", (int) pid);
    }
  close (fd);
}

void
hb_system_bus_free (HbSystemBus *sb)
{
  g_autofree char *service = NULL;

  if (sb == NULL)
    return;
  stop_daemon (sb);
  hb_test_proc_stop (&sb->polkitd, 5000);
  if (g_test_failed ())
    hb_test_print_log ("polkitd", sb->polkitd_log);
  hb_test_proc_clear (&sb->polkitd);
  g_clear_pointer (&sb->env, hb_test_env_free);

  service = g_build_filename (sb->servicedir, HB_TEST_BUS_NAME ".service", NULL);
  g_unlink (service);
  g_rmdir (sb->servicedir);
  g_free (sb->servicedir);
  g_free (sb->config_path);
  g_free (sb->polkitd_log);
  g_free (sb);
}

HbTestEnv *hb_system_bus_get_env (HbSystemBus *sb) { return sb->env; }
uid_t hb_system_bus_get_service_uid (HbSystemBus *sb) { return sb->service_uid; }

GDBusConnection *
hb_system_bus_get_connection (HbSystemBus *sb)
{
  return hb_test_env_get_connection (sb->env);
}

/* ---- acting as someone else ---- */

static HbTestCommandResult *
run_as (HbSystemBus *sb, uid_t uid, gid_t gid, const char *const *command, GError **error)
{
  g_autoptr(GPtrArray) argv = g_ptr_array_new_with_free_func (g_free);

  g_ptr_array_add (argv, g_strdup ("setpriv"));
  g_ptr_array_add (argv, g_strdup_printf ("--reuid=%u", (guint) uid));
  g_ptr_array_add (argv, g_strdup_printf ("--regid=%u", (guint) gid));
  g_ptr_array_add (argv, g_strdup ("--clear-groups"));
  for (guint i = 0; command[i] != NULL; i++)
    g_ptr_array_add (argv, g_strdup (command[i]));
  g_ptr_array_add (argv, NULL);
  return hb_test_run_command (sb->env, (const char *const *) argv->pdata, CALL_TIMEOUT_MS, error);
}

HbTestCommandResult *
hb_system_bus_gdbus_call_as (HbSystemBus *sb, uid_t uid, const char *const *args, GError **error)
{
  g_autoptr(GPtrArray) command = g_ptr_array_new ();

  g_ptr_array_add (command, (char *) "gdbus");
  g_ptr_array_add (command, (char *) "call");
  g_ptr_array_add (command, (char *) "--address");
  g_ptr_array_add (command, (char *) hb_test_env_get_bus_address (sb->env));
  for (guint i = 0; args[i] != NULL; i++)
    g_ptr_array_add (command, (char *) args[i]);
  g_ptr_array_add (command, NULL);
  return run_as (sb, uid, uid, (const char *const *) command->pdata, error);
}

/* ---- the state a caller could change ---- */

static int
compare_lines (gconstpointer a, gconstpointer b)
{
  return g_strcmp0 (*(const char *const *) a, *(const char *const *) b);
}

static void
append_sorted_lines (GString *out, GPtrArray *lines)
{
  g_ptr_array_sort (lines, compare_lines);
  for (guint i = 0; i < lines->len; i++)
    g_string_append_printf (out, "%s\n", (const char *) lines->pdata[i]);
}

/* "PATH IFACE.NAME = VALUE" for each property in @props (a{sv}). */
static void
add_property_lines (GPtrArray *lines, const char *path, const char *iface, GVariant *props)
{
  GVariantIter iter;
  const char *name;
  GVariant *value;

  g_variant_iter_init (&iter, props);
  while (g_variant_iter_loop (&iter, "{&sv}", &name, &value))
    {
      g_autofree char *text = g_variant_print (value, TRUE);

      g_ptr_array_add (lines, g_strdup_printf ("%s %s.%s = %s", path, iface, name, text));
    }
}

/* One line per property of every object, sorted, so that dictionary order does not matter. */
static void
append_objects (HbSystemBus *sb, GString *out)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(GVariant) objects = NULL;
  g_autoptr(GVariant) manager = NULL;
  g_autoptr(GVariant) props = NULL;
  g_autoptr(GPtrArray) lines = g_ptr_array_new_with_free_func (g_free);
  g_autoptr(GVariantIter) iter = NULL;
  const char *path;
  GVariant *ifaces;

  manager = hb_system_bus_call (sb, HB_TEST_MANAGER_PATH, "org.freedesktop.DBus.Properties",
                                "GetAll", g_variant_new ("(s)", HB_TEST_MANAGER_IFACE),
                                G_VARIANT_TYPE ("(a{sv})"), &error);
  g_assert_no_error (error);
  props = g_variant_get_child_value (manager, 0);
  add_property_lines (lines, HB_TEST_MANAGER_PATH, HB_TEST_MANAGER_IFACE, props);

  objects = hb_system_bus_call (sb, HB_TEST_MANAGER_PATH, "org.freedesktop.DBus.ObjectManager",
                                "GetManagedObjects", NULL, G_VARIANT_TYPE ("(a{oa{sa{sv}}})"),
                                &error);
  g_assert_no_error (error);
  g_variant_get (objects, "(a{oa{sa{sv}}})", &iter);
  while (g_variant_iter_loop (iter, "{&o@a{sa{sv}}}", &path, &ifaces))
    {
      GVariantIter by_iface;
      const char *iface;
      GVariant *p;

      g_variant_iter_init (&by_iface, ifaces);
      while (g_variant_iter_loop (&by_iface, "{&s@a{sv}}", &iface, &p))
        add_property_lines (lines, path, iface, p);
    }
  append_sorted_lines (out, lines);
}

/* The database as the service user reads it (as root, sqlite3 could leave root-owned -wal or
 * -shm files behind that the daemon then cannot open). */
static void
append_database (HbSystemBus *sb, GString *out)
{
  const char *const command[] = { "sqlite3", "-readonly", hb_test_env_get_db_path (sb->env),
                                  ".dump", NULL };
  g_autoptr(GError) error = NULL;
  g_autoptr(HbTestCommandResult) r = run_as (sb, sb->service_uid, sb->service_gid, command,
                                             &error);

  g_assert_no_error (error);
  if (r->exit_status != 0)
    g_error ("sqlite3 .dump failed (%d): %s", r->exit_status, r->err);
  g_string_append (out, r->out);
}

char *
hb_system_bus_snapshot (HbSystemBus *sb)
{
  GString *out = g_string_new (NULL);
  g_autofree char *md_path = g_build_filename (hb_test_env_get_workspace (sb->env),
                                               "HEARTBEAT.md", NULL);
  g_autofree char *md = NULL;
  g_autoptr(GError) error = NULL;
  HbTestFakeStats stats = { 0 };

  append_objects (sb, out);
  append_database (sb, out);
  if (!g_file_get_contents (md_path, &md, NULL, NULL))
    md = g_strdup ("(none)");
  g_string_append_printf (out, "HEARTBEAT.md: %s\n", md);
  g_assert_true (hb_test_fake_get_stats (sb->env, &stats, &error));
  g_assert_no_error (error);
  g_string_append_printf (out, "model requests: %u\n", stats.requests);
  hb_test_fake_stats_clear (&stats);
  return g_string_free (out, FALSE);
}
