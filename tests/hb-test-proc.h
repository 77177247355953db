/* hb-test-proc.h: internals shared by the hb-test-*.c files: child processes, the env and daemon
 * structures, log registration and async waiting. Tests include hb-test-daemon.h only. */
#pragma once

#include <gio/gio.h>

#include "hb-test-daemon.h"

G_BEGIN_DECLS

typedef struct {
  GSubprocess *proc;
  GPid pid;
  gboolean exited;
  int status;        /* exit code, or 128 + signal number */
} HbTestProc;

struct _HbTestEnv {
  char *tmpdir;
  char *state_dir;
  char *workspace;
  char *db_path;

  HbTestProc bus;
  char *bus_log;
  char *bus_address;
  GDBusConnection *conn;

  HbTestProc fake;
  char *fake_log;
  char *fake_url;

  GPtrArray *daemons;   /* HbTestDaemon, owned */
};

struct _HbTestDaemon {
  HbTestEnv *env;
  HbTestProc proc;
  char *log_path;
  char *program;
  GStrv args;
  GStrv envp;
  gboolean no_backend_url;
  guint starts;
};

/* Stop (SIGTERM, then SIGKILL) and free; the env's daemon array calls it. */
void hb_test_daemon_free (HbTestDaemon *d);

/* Spawn @argv from @launcher (which gets the harness's child setup); stdout/stderr as the
 * launcher says. The process is registered so that an aborting test kills it. */
gboolean hb_test_proc_spawn (HbTestProc *p, GSubprocessLauncher *launcher,
                             const char *const *argv, GError **error);
gboolean hb_test_proc_wait (HbTestProc *p, guint timeout_ms, GError **error);
/* SIGTERM, wait up to @timeout_ms, then SIGKILL. Returns the exit status, -1 if never started. */
int hb_test_proc_stop (HbTestProc *p, guint timeout_ms);
/* Stop a process still running at teardown and fail the test unless it exits with status 0:
 * a crash on the way out, a hang past @timeout_ms, or a sanitizer report such as leaks at exit
 * (the asan test setup) is a failure of the test that ran it. */
void hb_test_proc_stop_cleanly (HbTestProc *p, const char *what, guint timeout_ms);
void hb_test_proc_clear (HbTestProc *p);

/* A launcher with the environment of the private bus and an isolated home. */
GSubprocessLauncher *hb_test_env_new_launcher (HbTestEnv *env, GSubprocessFlags flags);

/* Register a log file to print if the test aborts. */
void hb_test_register_log (const char *path);
void hb_test_print_log (const char *title, const char *path);
/* Forget the registered logs (a finished test's logs are not printed by a later abort). */
void hb_test_forget_logs (void);

/* Wait for an async operation whose callback stores its result in *@slot. At the deadline (or if
 * @proc exits first, when not NULL) @cancellable is cancelled and the callback awaited. */
GAsyncResult *hb_test_await (GAsyncResult **slot, GCancellable *cancellable, HbTestProc *proc,
                             guint timeout_ms);
void hb_test_store_result_cb (GObject *source, GAsyncResult *res, gpointer user_data);

G_END_DECLS
