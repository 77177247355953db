/* hb-test-daemon.h: a harness for integration tests that run the real crt-heartbeatd.
 *
 * One HbTestEnv per test case: a temporary directory, a private dbus-daemon (session-type by
 * default, or system-type with a deny-by-default policy plus extra policy files), the fake Ollama
 * program and any number of daemon instances, all sharing one state directory. Waiting is always
 * done by running the default main context until an event or a deadline; nothing sleeps.
 *
 * When a test fails (a fatal assertion aborts, or g_test_failed() is TRUE at teardown) the logs of
 * the daemons, the fake Ollama and the bus are printed to stderr. Children get PR_SET_PDEATHSIG
 * so an aborted test leaves no process behind.
 */
#pragma once

#include <gio/gio.h>
#include <json-glib/json-glib.h>

#include "hb-fake-ollama.h"

G_BEGIN_DECLS

#define HB_TEST_BUS_NAME "org.crt.Heartbeat"
#define HB_TEST_MANAGER_PATH "/org/crt/Heartbeat"
#define HB_TEST_THREADS_PATH "/org/crt/Heartbeat/threads"
#define HB_TEST_MANAGER_IFACE "org.crt.Heartbeat1.Manager"
#define HB_TEST_THREAD_IFACE "org.crt.Heartbeat1.Thread"

/* Default deadline of the wait helpers, generous for slow CI machines. */
#define HB_TEST_TIMEOUT_MS 10000

/* ---- waiting ---------------------------------------------------------------------------- */

typedef gboolean (*HbTestPredicate) (gpointer user_data);

/* Iterate the default main context until @predicate returns TRUE (checked first, then after each
 * dispatch) or @timeout_ms passes. Returns whether the predicate held. */
gboolean hb_test_wait_until (HbTestPredicate predicate, gpointer user_data, guint timeout_ms);

/* Wait until @name has an owner (@owned TRUE) or none (@owned FALSE). */
gboolean hb_test_wait_for_name (GDBusConnection *conn, const char *name, gboolean owned,
                                guint timeout_ms, GError **error);

/* Records matching signals from the moment it is created (its match rule is in force on the bus
 * when this returns), so that a test can subscribe, then trigger, then wait without a race. NULL matches anything; @arg0 matches the first string
 * argument. */
typedef struct _HbTestSignalRecorder HbTestSignalRecorder;

HbTestSignalRecorder *hb_test_signal_recorder_new (GDBusConnection *conn, const char *sender,
                                                   const char *path, const char *interface,
                                                   const char *member, const char *arg0);
void hb_test_signal_recorder_free (HbTestSignalRecorder *rec);
G_DEFINE_AUTOPTR_CLEANUP_FUNC (HbTestSignalRecorder, hb_test_signal_recorder_free)

/* The parameters of the next signal not yet returned (transfer full), waiting for it if needed.
 * NULL with G_IO_ERROR_TIMED_OUT at the deadline. */
GVariant *hb_test_signal_recorder_wait (HbTestSignalRecorder *rec, guint timeout_ms,
                                        GError **error);

/* Signals received so far (returned or not). */
guint hb_test_signal_recorder_get_count (HbTestSignalRecorder *rec);

/* Subscribe and wait in one go: only for signals triggered by something that happens after the
 * call (otherwise create a recorder before triggering). */
GVariant *hb_test_wait_for_signal (GDBusConnection *conn, const char *sender, const char *path,
                                   const char *interface, const char *member, const char *arg0,
                                   guint timeout_ms, GError **error);

/* Read a property with org.freedesktop.DBus.Properties.Get (transfer full). */
GVariant *hb_test_get_property (GDBusConnection *conn, const char *bus_name, const char *path,
                                const char *interface, const char *property, GError **error);

/* Wait until @property equals @expected (sunk if floating). Reads it once, then again only when
 * PropertiesChanged names it; G_IO_ERROR_TIMED_OUT names the last value seen. */
gboolean hb_test_wait_for_property (GDBusConnection *conn, const char *bus_name, const char *path,
                                    const char *interface, const char *property,
                                    GVariant *expected, guint timeout_ms, GError **error);

/* ---- the environment: temporary directory, private bus, fake Ollama ---------------------- */

typedef enum {
  HB_TEST_BUS_SESSION,  /* <type>session</type>, everything allowed */
  HB_TEST_BUS_SYSTEM,   /* <type>system</type>, system.conf's deny-by-default policy */
} HbTestBusType;

typedef struct {
  HbTestBusType type;
  const char *const *includes;    /* extra <include> files (bus policies), NULL-terminated */
  const char *const *servicedirs; /* extra <servicedir> directories (activation files) */
  gboolean no_fake_ollama;        /* do not start the fake Ollama */
} HbTestEnvOptions;

typedef struct _HbTestEnv HbTestEnv;
typedef struct _HbTestDaemon HbTestDaemon;

/* Set up everything; aborts the test (g_assert_no_error) when something cannot be started.
 * @options may be NULL (session bus, fake Ollama started). */
HbTestEnv *hb_test_env_new (const HbTestEnvOptions *options);

/* Stop the daemons (SIGTERM, then SIGKILL past the deadline), the fake and the bus; print the
 * logs if the test failed; remove the temporary directory (kept when HB_TEST_KEEP_TMP=1). */
void hb_test_env_free (HbTestEnv *env);
G_DEFINE_AUTOPTR_CLEANUP_FUNC (HbTestEnv, hb_test_env_free)

const char *hb_test_env_get_tmpdir (HbTestEnv *env);
const char *hb_test_env_get_state_dir (HbTestEnv *env);   /* <tmp>/state */
const char *hb_test_env_get_workspace (HbTestEnv *env);   /* <tmp>/workspace */
const char *hb_test_env_get_db_path (HbTestEnv *env);     /* <tmp>/state/heartbeat.db */
const char *hb_test_env_get_bus_address (HbTestEnv *env);
/* The test's own connection to the private bus (transfer none). */
GDBusConnection *hb_test_env_get_connection (HbTestEnv *env);
/* A further, independent connection (transfer full). */
GDBusConnection *hb_test_env_open_connection (HbTestEnv *env, GError **error);

/* Print every log of the environment (daemons, fake Ollama, bus) to stderr. */
void hb_test_env_print_logs (HbTestEnv *env);

/* ---- the fake Ollama program (control requests sent synchronously with libsoup) ---------- */

/* "http://127.0.0.1:PORT"; NULL with no_fake_ollama. */
const char *hb_test_env_get_fake_url (HbTestEnv *env);

typedef struct {
  guint requests;
  guint in_flight;
  guint max_in_flight;
  JsonObject *last_request;   /* owned, NULL before the first chat request */
} HbTestFakeStats;

void hb_test_fake_stats_clear (HbTestFakeStats *stats);

gboolean hb_test_fake_push (HbTestEnv *env, const HbFakeStep *step, GError **error);
gboolean hb_test_fake_push_content (HbTestEnv *env, const char *content, GError **error);
gboolean hb_test_fake_set_default (HbTestEnv *env, const HbFakeStep *step, GError **error);
/* @json is sent as is to /_fake/push (for steps the struct cannot express). */
gboolean hb_test_fake_push_json (HbTestEnv *env, const char *json, GError **error);
gboolean hb_test_fake_set_models (HbTestEnv *env, const char *const *models, GError **error);
gboolean hb_test_fake_get_stats (HbTestEnv *env, HbTestFakeStats *out, GError **error);
gboolean hb_test_fake_reset (HbTestEnv *env, GError **error);

/* ---- daemon instances -------------------------------------------------------------------- */

typedef struct {
  const char *const *args;   /* appended to the command line */
  const char *const *env;    /* "NAME=VALUE" set (or "NAME" unset) in its environment */
  const char *program;       /* NULL: the build's src/crt-heartbeatd */
  gboolean no_backend_url;   /* leave out --backend-url */
} HbTestDaemonOptions;

/* Start an instance: crt-heartbeatd --session --verbose --db <db> --workspace <ws>
 * --backend-url <fake> [args], stdout and stderr appended to its log file. The env owns it. */
HbTestDaemon *hb_test_daemon_spawn (HbTestEnv *env, const HbTestDaemonOptions *options,
                                    GError **error);
/* Spawn, then wait until it owns org.crt.Heartbeat. */
HbTestDaemon *hb_test_daemon_start (HbTestEnv *env, const HbTestDaemonOptions *options,
                                    GError **error);

/* Wait until org.crt.Heartbeat is owned by this instance's process (its pid, as the bus tells).
 * Fails at once if the process exits first. */
gboolean hb_test_daemon_wait_for_name (HbTestDaemon *d, guint timeout_ms, GError **error);

/* Wait for the process to exit; @exit_status gets the exit code, or 128 + signal number. */
gboolean hb_test_daemon_wait_exit (HbTestDaemon *d, guint timeout_ms, int *exit_status,
                                   GError **error);
/* SIGTERM, then wait_exit. */
gboolean hb_test_daemon_term (HbTestDaemon *d, guint timeout_ms, int *exit_status,
                              GError **error);
/* SIGKILL, and wait for the process to be gone. */
void hb_test_daemon_kill (HbTestDaemon *d);
/* Stop it with SIGTERM if running (its exit status in @exit_status, -1 if it was not running)
 * and start it again with the same options and state, waiting for the name. */
gboolean hb_test_daemon_restart (HbTestDaemon *d, int *exit_status, GError **error);

gboolean hb_test_daemon_is_running (HbTestDaemon *d);
GPid hb_test_daemon_get_pid (HbTestDaemon *d);  /* 0 when not running */
const char *hb_test_daemon_get_log_path (HbTestDaemon *d);
char *hb_test_daemon_read_log (HbTestDaemon *d);

/* ---- command-line tools against the private bus ----------------------------------------- */

typedef struct {
  int exit_status;   /* exit code, or 128 + signal number */
  char *out;
  char *err;
} HbTestCommandResult;

void hb_test_command_result_free (HbTestCommandResult *r);
G_DEFINE_AUTOPTR_CLEANUP_FUNC (HbTestCommandResult, hb_test_command_result_free)

/* Run @argv with DBUS_SESSION_BUS_ADDRESS and DBUS_SYSTEM_BUS_ADDRESS set to the private bus,
 * capturing its output. Fails (G_IO_ERROR_TIMED_OUT, process killed) past the deadline; a
 * non-zero exit is not an error. */
HbTestCommandResult *hb_test_run_command (HbTestEnv *env, const char *const *argv,
                                          guint timeout_ms, GError **error);
/* busctl --address=ADDR ARGS...: NULL-terminated arguments. */
HbTestCommandResult *hb_test_busctl (HbTestEnv *env, GError **error, ...) G_GNUC_NULL_TERMINATED;
/* gdbus COMMAND --address ADDR ARGS...: NULL-terminated, starting with the command ("call"). */
HbTestCommandResult *hb_test_gdbus (HbTestEnv *env, GError **error, const char *command, ...)
  G_GNUC_NULL_TERMINATED;

G_END_DECLS
