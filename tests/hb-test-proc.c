/* hb-test-proc.c: child processes of the harness, and what happens to them when a test aborts.
 *
 * A failed g_assert aborts the test program before any teardown runs, so the logs that explain
 * the failure are printed from a handler of SIGABRT (g_error: SIGTRAP; crashes: SIGSEGV, SIGBUS),
 * and the children are killed there (and by PR_SET_PDEATHSIG should the test die otherwise).
 */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <string.h>
#include <sys/prctl.h>
#include <unistd.h>

#include "hb-test-proc.h"

#define MAX_REGISTERED 64

/* Fixed-size tables: the abort handler may only use async-signal-safe calls. */
static char *registered_logs[MAX_REGISTERED];
static volatile GPid registered_pids[MAX_REGISTERED];
static gboolean abort_handler_installed;

static void
write_all (int fd, const char *buf, size_t len)
{
  while (len > 0)
    {
      ssize_t n = write (fd, buf, len);

      if (n < 0 && errno == EINTR)
        continue;
      if (n <= 0)
        return;
      buf += n;
      len -= (size_t) n;
    }
}

static void
copy_file_to_stderr (const char *path)
{
  char buf[4096];
  ssize_t n;
  int fd = open (path, O_RDONLY | O_CLOEXEC);

  if (fd < 0)
    return;
  write_all (STDERR_FILENO, "\n==== ", 6);
  write_all (STDERR_FILENO, path, strlen (path));
  write_all (STDERR_FILENO, " ====\n", 6);
  while ((n = read (fd, buf, sizeof buf)) > 0)
    write_all (STDERR_FILENO, buf, (size_t) n);
  close (fd);
}

static void
abort_handler (int signum)
{
  for (guint i = 0; i < MAX_REGISTERED; i++)
    if (registered_pids[i] > 0)
      kill (registered_pids[i], SIGKILL);
  for (guint i = 0; i < MAX_REGISTERED; i++)
    if (registered_logs[i] != NULL)
      copy_file_to_stderr (registered_logs[i]);
  signal (signum, SIG_DFL);
  raise (signum);
}

static void
install_abort_handler (void)
{
  if (abort_handler_installed)
    return;
  /* g_assert aborts; g_error traps; a crash in the harness should explain itself too. */
  signal (SIGABRT, abort_handler);
  signal (SIGTRAP, abort_handler);
  signal (SIGSEGV, abort_handler);
  signal (SIGBUS, abort_handler);
  abort_handler_installed = TRUE;
}

void
hb_test_register_log (const char *path)
{
  install_abort_handler ();
  for (guint i = 0; i < MAX_REGISTERED; i++)
    if (registered_logs[i] == NULL)
      {
        registered_logs[i] = g_strdup (path);
        return;
      }
}

void
hb_test_forget_logs (void)
{
  for (guint i = 0; i < MAX_REGISTERED; i++)
    g_clear_pointer (&registered_logs[i], g_free);
}

static void
register_pid (GPid pid, gboolean add)
{
  for (guint i = 0; i < MAX_REGISTERED; i++)
    if (registered_pids[i] == (add ? 0 : pid))
      {
        registered_pids[i] = add ? pid : 0;
        return;
      }
}

void
hb_test_print_log (const char *title, const char *path)
{
  g_autofree char *text = NULL;

  if (!g_file_get_contents (path, &text, NULL, NULL))
    return;
  g_printerr ("\n==== %s (%s) ====\n%s==== end of %s ====\n", title, path, text, title);
}

/* Runs in the child between fork and exec. */
static void
child_setup (gpointer user_data)
{
  pid_t parent = (pid_t) GPOINTER_TO_INT (user_data);

  prctl (PR_SET_PDEATHSIG, SIGKILL);
  if (getppid () != parent)
    _exit (127);
}

static void
proc_exited_cb (GObject *source, GAsyncResult *res, gpointer user_data)
{
  HbTestProc *p = user_data;
  GSubprocess *proc = G_SUBPROCESS (source);

  g_subprocess_wait_finish (proc, res, NULL);
  if (g_subprocess_get_if_signaled (proc))
    p->status = 128 + g_subprocess_get_term_sig (proc);
  else
    p->status = g_subprocess_get_exit_status (proc);
  if (p->pid > 0)
    register_pid (p->pid, FALSE);
  p->exited = TRUE;
  g_object_unref (proc);
}

gboolean
hb_test_proc_spawn (HbTestProc *p, GSubprocessLauncher *launcher, const char *const *argv,
                    GError **error)
{
  const char *id;

  install_abort_handler ();
  g_subprocess_launcher_set_child_setup (launcher, child_setup,
                                         GINT_TO_POINTER ((int) getpid ()), NULL);
  hb_test_proc_clear (p);
  p->proc = g_subprocess_launcher_spawnv (launcher, argv, error);
  if (p->proc == NULL)
    {
      g_prefix_error (error, "Could not start %s: ", argv[0]);
      return FALSE;
    }
  /* NULL when the process is already gone (a quick command): nothing to kill then. */
  id = g_subprocess_get_identifier (p->proc);
  p->pid = id != NULL ? (GPid) g_ascii_strtoll (id, NULL, 10) : 0;
  if (p->pid > 0)
    register_pid (p->pid, TRUE);
  /* The callback owns a reference, so a process is always reaped, even after a clear. */
  g_subprocess_wait_async (p->proc, NULL, proc_exited_cb, p);
  g_object_ref (p->proc);
  return TRUE;
}

static gboolean
proc_has_exited (gpointer user_data)
{
  return ((HbTestProc *) user_data)->exited;
}

gboolean
hb_test_proc_wait (HbTestProc *p, guint timeout_ms, GError **error)
{
  if (p->proc == NULL)
    return TRUE;
  if (!hb_test_wait_until (proc_has_exited, p, timeout_ms))
    {
      g_set_error (error, G_IO_ERROR, G_IO_ERROR_TIMED_OUT,
                   "Process %d still running after %u ms", (int) p->pid, timeout_ms);
      return FALSE;
    }
  return TRUE;
}

int
hb_test_proc_stop (HbTestProc *p, guint timeout_ms)
{
  if (p->proc == NULL)
    return -1;
  if (!p->exited)
    {
      g_subprocess_send_signal (p->proc, SIGTERM);
      if (!hb_test_proc_wait (p, timeout_ms, NULL))
        {
          g_subprocess_force_exit (p->proc);
          /* SIGKILL cannot be ignored: failing to reap now means something is badly wrong. */
          if (!hb_test_proc_wait (p, HB_TEST_TIMEOUT_MS, NULL))
            g_error ("Process %d survived SIGKILL", (int) p->pid);
        }
    }
  return p->status;
}

void
hb_test_proc_stop_cleanly (HbTestProc *p, const char *what, guint timeout_ms)
{
  gboolean was_running = p->proc != NULL && !p->exited;
  int status = hb_test_proc_stop (p, timeout_ms);

  if (was_running && status != 0)
    {
      /* Under the asan setup a sanitizer report (leaks at exit included) is in its log. */
      g_printerr ("%s (pid %d) exited with status %d when stopped at teardown\n", what,
                  (int) p->pid, status);
      g_test_fail ();
    }
}

void
hb_test_proc_clear (HbTestProc *p)
{
  /* Only ever called for exited (or never started) processes: the wait callback holds a pointer
   * to @p until the process is reaped. */
  g_assert (p->proc == NULL || p->exited);
  g_clear_object (&p->proc);
  p->pid = 0;
  p->exited = FALSE;
  p->status = -1;
}

void
hb_test_store_result_cb (GObject *source, GAsyncResult *res, gpointer user_data)
{
  GAsyncResult **slot = user_data;

  *slot = g_object_ref (res);
}

typedef struct {
  GAsyncResult **slot;
  HbTestProc *proc;
} AwaitData;

static gboolean
await_done (gpointer user_data)
{
  AwaitData *a = user_data;

  return *a->slot != NULL || (a->proc != NULL && a->proc->exited);
}

static gboolean
await_landed (gpointer user_data)
{
  return *(GAsyncResult **) user_data != NULL;
}

GAsyncResult *
hb_test_await (GAsyncResult **slot, GCancellable *cancellable, HbTestProc *proc,
               guint timeout_ms)
{
  AwaitData a = { slot, proc };

  if (!hb_test_wait_until (await_done, &a, timeout_ms) || *slot == NULL)
    {
      g_cancellable_cancel (cancellable);
      /* The callback still refers to @slot: it must have run before the caller returns. */
      if (!hb_test_wait_until (await_landed, slot, HB_TEST_TIMEOUT_MS))
        g_error ("An operation ignored its cancellation");
    }
  return *slot;
}
