/* hb-test-instance.c: daemon instances: start, wait for the bus name, stop, restart. */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <glib/gstdio.h>
#include <signal.h>
#include <string.h>
#include <unistd.h>

#include "hb-test-proc.h"

void
hb_test_daemon_free (HbTestDaemon *d)
{
  hb_test_proc_stop (&d->proc, 5000);
  hb_test_proc_clear (&d->proc);
  g_free (d->log_path);
  g_free (d->program);
  g_strfreev (d->args);
  g_strfreev (d->envp);
  g_free (d);
}

static gboolean
daemon_launch (HbTestDaemon *d, GError **error)
{
  HbTestEnv *env = d->env;
  g_autoptr(GSubprocessLauncher) launcher = NULL;
  g_autoptr(GPtrArray) argv = g_ptr_array_new ();
  g_autofree char *joined = NULL;
  g_autofree char *banner = NULL;
  int fd;

  g_ptr_array_add (argv, d->program);
  g_ptr_array_add (argv, (char *) "--session");
  g_ptr_array_add (argv, (char *) "--verbose");
  g_ptr_array_add (argv, (char *) "--db");
  g_ptr_array_add (argv, env->db_path);
  g_ptr_array_add (argv, (char *) "--workspace");
  g_ptr_array_add (argv, env->workspace);
  if (!d->no_backend_url && env->fake_url != NULL)
    {
      g_ptr_array_add (argv, (char *) "--backend-url");
      g_ptr_array_add (argv, env->fake_url);
    }
  for (guint i = 0; d->args != NULL && d->args[i] != NULL; i++)
    g_ptr_array_add (argv, d->args[i]);
  g_ptr_array_add (argv, NULL);

  /* Appended, so that a restart keeps the earlier instance's log above the new one. */
  fd = g_open (d->log_path, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0600);
  if (fd < 0)
    {
      g_set_error (error, G_IO_ERROR, g_io_error_from_errno (errno), "Cannot open %s: %s",
                   d->log_path, g_strerror (errno));
      return FALSE;
    }
  joined = g_strjoinv (" ", (char **) argv->pdata);
  banner = g_strdup_printf ("---- start %u: %s\n", ++d->starts, joined);
  if (write (fd, banner, strlen (banner)) < 0)
    g_debug ("Could not write to %s", d->log_path);

  launcher = hb_test_env_new_launcher (env, G_SUBPROCESS_FLAGS_STDERR_MERGE);
  g_subprocess_launcher_take_stdout_fd (launcher, fd);
  for (guint i = 0; d->envp != NULL && d->envp[i] != NULL; i++)
    {
      const char *eq = strchr (d->envp[i], '=');
      g_autofree char *name = g_strndup (d->envp[i], eq != NULL ? (gsize) (eq - d->envp[i])
                                                                : strlen (d->envp[i]));

      if (eq != NULL)
        g_subprocess_launcher_setenv (launcher, name, eq + 1, TRUE);
      else
        g_subprocess_launcher_unsetenv (launcher, name);
    }
  return hb_test_proc_spawn (&d->proc, launcher, (const char *const *) argv->pdata, error);
}

HbTestDaemon *
hb_test_daemon_spawn (HbTestEnv *env, const HbTestDaemonOptions *options, GError **error)
{
  static const HbTestDaemonOptions defaults = { 0 };
  const HbTestDaemonOptions *o = options != NULL ? options : &defaults;
  HbTestDaemon *d = g_new0 (HbTestDaemon, 1);

  d->env = env;
  d->program = o->program != NULL
                 ? g_strdup (o->program)
                 : g_test_build_filename (G_TEST_BUILT, "..", "src", "crt-heartbeatd", NULL);
  d->args = g_strdupv ((char **) o->args);
  d->envp = g_strdupv ((char **) o->env);
  d->no_backend_url = o->no_backend_url;
  d->log_path = g_strdup_printf ("%s/daemon-%u.log", env->tmpdir, env->daemons->len + 1);
  hb_test_proc_clear (&d->proc);
  hb_test_register_log (d->log_path);
  if (!daemon_launch (d, error))
    {
      hb_test_daemon_free (d);
      return NULL;
    }
  g_ptr_array_add (env->daemons, d);
  return d;
}

HbTestDaemon *
hb_test_daemon_start (HbTestEnv *env, const HbTestDaemonOptions *options, GError **error)
{
  HbTestDaemon *d = hb_test_daemon_spawn (env, options, error);

  if (d == NULL || !hb_test_daemon_wait_for_name (d, HB_TEST_TIMEOUT_MS, error))
    return NULL;
  return d;
}

typedef struct {
  HbTestDaemon *d;
  GCancellable *cancel;
  guint calls;       /* GetConnectionUnixProcessID calls in flight */
  gboolean ours;
} OwnerWait;

static void
owner_pid_cb (GObject *source, GAsyncResult *res, gpointer user_data)
{
  OwnerWait *w = user_data;
  g_autoptr(GVariant) reply = NULL;
  guint32 pid;

  w->calls--;
  reply = g_dbus_connection_call_finish (G_DBUS_CONNECTION (source), res, NULL);
  if (reply == NULL)
    return;   /* the owner went away meanwhile: a later NameOwnerChanged tells more */
  g_variant_get (reply, "(u)", &pid);
  if (w->d->proc.proc != NULL && (GPid) pid == w->d->proc.pid)
    w->ours = TRUE;
}

static void
owner_appeared_cb (GDBusConnection *conn, const char *name, const char *owner, gpointer user_data)
{
  OwnerWait *w = user_data;

  w->calls++;
  g_dbus_connection_call (conn, "org.freedesktop.DBus", "/org/freedesktop/DBus",
                          "org.freedesktop.DBus", "GetConnectionUnixProcessID",
                          g_variant_new ("(s)", owner), G_VARIANT_TYPE ("(u)"),
                          G_DBUS_CALL_FLAGS_NONE, -1, w->cancel, owner_pid_cb, w);
}

static gboolean
owner_wait_done (gpointer user_data)
{
  OwnerWait *w = user_data;

  return w->ours || w->d->proc.exited;
}

static gboolean
owner_wait_idle (gpointer user_data)
{
  return ((OwnerWait *) user_data)->calls == 0;
}

gboolean
hb_test_daemon_wait_for_name (HbTestDaemon *d, guint timeout_ms, GError **error)
{
  g_autoptr(GCancellable) cancel = g_cancellable_new ();
  OwnerWait w = { d, cancel, 0, FALSE };
  guint watch;

  watch = g_bus_watch_name_on_connection (d->env->conn, HB_TEST_BUS_NAME,
                                          G_BUS_NAME_WATCHER_FLAGS_NONE, owner_appeared_cb,
                                          NULL, &w, NULL);
  hb_test_wait_until (owner_wait_done, &w, timeout_ms);
  g_bus_unwatch_name (watch);
  g_cancellable_cancel (cancel);
  hb_test_wait_until (owner_wait_idle, &w, HB_TEST_TIMEOUT_MS);

  if (w.ours)
    return TRUE;
  if (d->proc.exited)
    g_set_error (error, G_IO_ERROR, G_IO_ERROR_FAILED,
                 "%s exited with status %d before owning %s (log: %s)", d->program,
                 d->proc.status, HB_TEST_BUS_NAME, d->log_path);
  else
    g_set_error (error, G_IO_ERROR, G_IO_ERROR_TIMED_OUT,
                 "%s (pid %d) did not own %s within %u ms (log: %s)", d->program,
                 (int) d->proc.pid, HB_TEST_BUS_NAME, timeout_ms, d->log_path);
  return FALSE;
}

gboolean
hb_test_daemon_wait_exit (HbTestDaemon *d, guint timeout_ms, int *exit_status, GError **error)
{
  if (!hb_test_proc_wait (&d->proc, timeout_ms, error))
    return FALSE;
  if (exit_status != NULL)
    *exit_status = d->proc.status;
  return TRUE;
}

gboolean
hb_test_daemon_term (HbTestDaemon *d, guint timeout_ms, int *exit_status, GError **error)
{
  if (d->proc.proc != NULL && !d->proc.exited)
    g_subprocess_send_signal (d->proc.proc, SIGTERM);
  return hb_test_daemon_wait_exit (d, timeout_ms, exit_status, error);
}

void
hb_test_daemon_kill (HbTestDaemon *d)
{
  if (d->proc.proc != NULL && !d->proc.exited)
    g_subprocess_force_exit (d->proc.proc);
  if (!hb_test_proc_wait (&d->proc, HB_TEST_TIMEOUT_MS, NULL))
    g_error ("crt-heartbeatd (pid %d) survived SIGKILL", (int) d->proc.pid);
}

gboolean
hb_test_daemon_restart (HbTestDaemon *d, int *exit_status, GError **error)
{
  int status = -1;

  if (hb_test_daemon_is_running (d) && !hb_test_daemon_term (d, 5000, &status, error))
    return FALSE;
  if (exit_status != NULL)
    *exit_status = status;
  return daemon_launch (d, error) && hb_test_daemon_wait_for_name (d, HB_TEST_TIMEOUT_MS, error);
}

gboolean
hb_test_daemon_is_running (HbTestDaemon *d)
{
  return d->proc.proc != NULL && !d->proc.exited;
}

GPid
hb_test_daemon_get_pid (HbTestDaemon *d)
{
  return hb_test_daemon_is_running (d) ? d->proc.pid : 0;
}

const char *
hb_test_daemon_get_log_path (HbTestDaemon *d)
{
  return d->log_path;
}

char *
hb_test_daemon_read_log (HbTestDaemon *d)
{
  char *text = NULL;

  if (!g_file_get_contents (d->log_path, &text, NULL, NULL))
    return g_strdup ("");
  return text;
}
