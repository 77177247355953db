/* test-scheduler-util.c: database set-up, property and signal helpers for the scheduler tests,
 * and the daemon's wall clock moved with libfaketime */
#include "config.h"

#include <errno.h>
#include <math.h>
#include <signal.h>
#include <sqlite3.h>
#include <stdarg.h>
#include <sys/types.h>
#include <glib/gstdio.h>

#include "test-scheduler-util.h"

double
sched_now_s (void)
{
  return (double) g_get_real_time () / G_USEC_PER_SEC;
}

gint64
sched_db_us (double seconds)
{
  return (gint64) llround (seconds * G_USEC_PER_SEC);
}

/* ---- the database ------------------------------------------------------------------------- */

static sqlite3 *
db_open (HbTestEnv *env)
{
  sqlite3 *db = NULL;
  int rc = sqlite3_open (hb_test_env_get_db_path (env), &db);

  if (rc != SQLITE_OK)
    g_error ("Cannot open %s: %s", hb_test_env_get_db_path (env), sqlite3_errmsg (db));
  /* The daemon writes too: wait for its locks instead of failing. */
  sqlite3_busy_timeout (db, 10000);
  return db;
}

static void
db_exec_sql (HbTestEnv *env, const char *sql)
{
  sqlite3 *db = db_open (env);
  char *message = NULL;

  if (sqlite3_exec (db, sql, NULL, NULL, &message) != SQLITE_OK)
    g_error ("SQL failed: %s: %s", sql, message);
  sqlite3_close (db);
}

void
sched_db_exec (HbTestEnv *env, const char *fmt, ...)
{
  va_list ap;
  char *sql;

  va_start (ap, fmt);
  sql = sqlite3_vmprintf (fmt, ap);
  va_end (ap);
  db_exec_sql (env, sql);
  sqlite3_free (sql);
}

double
sched_db_double (HbTestEnv *env, const char *fmt, ...)
{
  sqlite3 *db = db_open (env);
  sqlite3_stmt *stmt = NULL;
  double value = NAN;
  va_list ap;
  char *sql;

  va_start (ap, fmt);
  sql = sqlite3_vmprintf (fmt, ap);
  va_end (ap);
  if (sqlite3_prepare_v2 (db, sql, -1, &stmt, NULL) != SQLITE_OK)
    g_error ("SQL failed: %s: %s", sql, sqlite3_errmsg (db));
  if (sqlite3_step (stmt) == SQLITE_ROW && sqlite3_column_type (stmt, 0) != SQLITE_NULL)
    value = sqlite3_column_double (stmt, 0);
  sqlite3_finalize (stmt);
  sqlite3_free (sql);
  sqlite3_close (db);
  return value;
}

void
sched_db_init (HbTestEnv *env)
{
  g_autofree char *md = g_build_filename (hb_test_env_get_workspace (env), "HEARTBEAT.md", NULL);
  g_autoptr(GError) error = NULL;

  /* As CRT creates them, with its heartbeat columns; the daemon adds the rest. */
  db_exec_sql (env,
               "CREATE TABLE thread_sessions (thread_id TEXT PRIMARY KEY,"
               " first_created REAL NOT NULL, last_active REAL NOT NULL,"
               " message_count INTEGER DEFAULT 0, greeting_shown INTEGER DEFAULT 0,"
               " onboarding_completed INTEGER DEFAULT 0, onboarding_step INTEGER DEFAULT 0,"
               " user_name TEXT, style_profile_json TEXT, heartbeat_config_json TEXT,"
               " heartbeat_last_run REAL, heartbeat_last_summary TEXT,"
               " heartbeat_last_actions_json TEXT);"
               "CREATE TABLE recent_queries (id INTEGER PRIMARY KEY AUTOINCREMENT,"
               " thread_id TEXT NOT NULL, query_text TEXT NOT NULL,"
               " query_normalized TEXT NOT NULL, detected_slot TEXT, response_text TEXT,"
               " timestamp REAL NOT NULL);");
  g_file_set_contents (md, "# Heartbeat\n\n- Look at the thread; post only when it helps.\n", -1,
                       &error);
  g_assert_no_error (error);
}

void
sched_db_add_thread (HbTestEnv *env, const char *id, double last_run_s, const char *config_json)
{
  double now = sched_now_s ();

  if (last_run_s > 0)
    sched_db_exec (env,
                   "INSERT INTO thread_sessions (thread_id, first_created, last_active,"
                   " heartbeat_last_run, heartbeat_config_json) VALUES (%Q, %.6f, %.6f, %.6f, %Q)",
                   id, now - 86400, now - 3600, last_run_s, config_json);
  else
    sched_db_exec (env,
                   "INSERT INTO thread_sessions (thread_id, first_created, last_active,"
                   " heartbeat_config_json) VALUES (%Q, %.6f, %.6f, %Q)",
                   id, now - 86400, now - 3600, config_json);
}

/* ---- the daemon --------------------------------------------------------------------------- */

HbTestDaemon *
sched_start (HbTestEnv *env, const char *config, const char *const *env_vars)
{
  g_autofree char *path = g_build_filename (hb_test_env_get_tmpdir (env), "heartbeat.conf", NULL);
  const char *args[] = { "--config", path, NULL };
  HbTestDaemonOptions options = { .args = args, .env = env_vars };
  g_autoptr(GError) error = NULL;
  HbTestDaemon *d;

  g_file_set_contents (path, config, -1, &error);
  g_assert_no_error (error);
  d = hb_test_daemon_start (env, &options, &error);
  g_assert_no_error (error);
  return d;
}

void
sched_signal_daemon (HbTestDaemon *d, int signo)
{
  GPid pid = hb_test_daemon_get_pid (d);

  g_assert_cmpint (pid, >, 0);
  g_assert_no_errno (kill ((pid_t) pid, signo));
}

/* ---- properties --------------------------------------------------------------------------- */

char *
sched_thread_path (const char *id)
{
  g_autofree char *escaped = g_dbus_escape_object_path (id);

  return g_strconcat (HB_TEST_THREADS_PATH "/", escaped, NULL);
}

GVariant *
sched_get (HbTestEnv *env, const char *path, const char *iface, const char *prop)
{
  g_autoptr(GError) error = NULL;
  GVariant *v = hb_test_get_property (hb_test_env_get_connection (env), HB_TEST_BUS_NAME, path,
                                      iface, prop, &error);

  g_assert_no_error (error);
  return v;
}

static guint64
variant_u64 (GVariant *v)
{
  if (g_variant_is_of_type (v, G_VARIANT_TYPE_UINT32))
    return g_variant_get_uint32 (v);
  g_assert_true (g_variant_is_of_type (v, G_VARIANT_TYPE_UINT64));
  return g_variant_get_uint64 (v);
}

guint64
sched_get_u64 (HbTestEnv *env, const char *path, const char *iface, const char *prop)
{
  g_autoptr(GVariant) v = sched_get (env, path, iface, prop);

  return variant_u64 (v);
}

gboolean
sched_get_bool (HbTestEnv *env, const char *path, const char *iface, const char *prop)
{
  g_autoptr(GVariant) v = sched_get (env, path, iface, prop);

  g_assert_true (g_variant_is_of_type (v, G_VARIANT_TYPE_BOOLEAN));
  return g_variant_get_boolean (v);
}

char *
sched_get_str (HbTestEnv *env, const char *path, const char *iface, const char *prop)
{
  g_autoptr(GVariant) v = sched_get (env, path, iface, prop);

  g_assert_true (g_variant_is_of_type (v, G_VARIANT_TYPE_STRING));
  return g_variant_dup_string (v, NULL);
}

guint64
sched_thread_u64 (HbTestEnv *env, const char *id, const char *prop)
{
  g_autofree char *path = sched_thread_path (id);

  return sched_get_u64 (env, path, HB_TEST_THREAD_IFACE, prop);
}

char *
sched_thread_str (HbTestEnv *env, const char *id, const char *prop)
{
  g_autofree char *path = sched_thread_path (id);

  return sched_get_str (env, path, HB_TEST_THREAD_IFACE, prop);
}

guint64
sched_manager_u64 (HbTestEnv *env, const char *prop)
{
  return sched_get_u64 (env, HB_TEST_MANAGER_PATH, HB_TEST_MANAGER_IFACE, prop);
}

GVariant *
sched_wait_change (HbTestEnv *env, const char *path, const char *iface, const char *prop,
                   GVariant *old, guint timeout_ms)
{
  /* Subscribed before the first read, so that no change falls between the two. */
  g_autoptr(HbTestSignalRecorder) rec =
    hb_test_signal_recorder_new (hb_test_env_get_connection (env), NULL, path,
                                 "org.freedesktop.DBus.Properties", "PropertiesChanged", iface);
  gint64 deadline = g_get_monotonic_time () + (gint64) timeout_ms * 1000;
  g_autoptr(GVariant) old_value = g_variant_ref_sink (old);

  for (;;)
    {
      g_autoptr(GVariant) now = sched_get (env, path, iface, prop);
      g_autoptr(GVariant) signal = NULL;
      g_autoptr(GError) error = NULL;
      gint64 left = (deadline - g_get_monotonic_time ()) / 1000;

      if (!g_variant_equal (now, old))
        return g_steal_pointer (&now);
      if (left <= 0)
        {
          g_autofree char *text = g_variant_print (now, FALSE);

          g_error ("%s.%s stayed %s for %u ms", path, prop, text, timeout_ms);
        }
      signal = hb_test_signal_recorder_wait (rec, (guint) left, &error);
      if (signal == NULL)
        g_assert_error (error, G_IO_ERROR, G_IO_ERROR_TIMED_OUT);
    }
}

void
sched_wait_equal (HbTestEnv *env, const char *path, const char *iface, const char *prop,
                  GVariant *expected, guint timeout_ms)
{
  g_autoptr(GError) error = NULL;

  hb_test_wait_for_property (hb_test_env_get_connection (env), HB_TEST_BUS_NAME, path, iface,
                             prop, expected, timeout_ms, &error);
  g_assert_no_error (error);
}

void
sched_manager_call (HbTestEnv *env, const char *method, GVariant *params)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(GVariant) reply =
    g_dbus_connection_call_sync (hb_test_env_get_connection (env), HB_TEST_BUS_NAME,
                                 HB_TEST_MANAGER_PATH, HB_TEST_MANAGER_IFACE, method, params, NULL,
                                 G_DBUS_CALL_FLAGS_NONE, HB_TEST_TIMEOUT_MS, NULL, &error);

  g_assert_no_error (error);
}

void
sched_set_thread_property (HbTestEnv *env, const char *id, const char *prop, GVariant *value)
{
  g_autofree char *path = sched_thread_path (id);
  g_autoptr(GError) error = NULL;
  g_autoptr(GVariant) reply =
    g_dbus_connection_call_sync (hb_test_env_get_connection (env), HB_TEST_BUS_NAME, path,
                                 "org.freedesktop.DBus.Properties", "Set",
                                 g_variant_new ("(ssv)", HB_TEST_THREAD_IFACE, prop, value), NULL,
                                 G_DBUS_CALL_FLAGS_NONE, HB_TEST_TIMEOUT_MS, NULL, &error);

  g_assert_no_error (error);
}

/* ---- signals ------------------------------------------------------------------------------ */

HbTestSignalRecorder *
sched_record (HbTestEnv *env, const char *member, const char *thread_id)
{
  /* Any sender: only the daemon emits these on the private bus, and it may not own the name
   * yet when the recorder is made. */
  return hb_test_signal_recorder_new (hb_test_env_get_connection (env), NULL,
                                      HB_TEST_MANAGER_PATH, HB_TEST_MANAGER_IFACE, member,
                                      thread_id);
}

GVariant *
sched_next_result (HbTestSignalRecorder *completed, guint timeout_ms)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(GVariant) params = hb_test_signal_recorder_wait (completed, timeout_ms, &error);
  GVariant *result = NULL;

  g_assert_no_error (error);
  g_variant_get (params, "(&s@a{sv})", NULL, &result);
  return result;
}

void
sched_assert_quiet (HbTestSignalRecorder *rec, guint ms)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(GVariant) params = hb_test_signal_recorder_wait (rec, ms, &error);

  if (params != NULL)
    {
      g_autofree char *text = g_variant_print (params, FALSE);

      g_error ("Unexpected signal within %u ms: %s", ms, text);
    }
  g_assert_error (error, G_IO_ERROR, G_IO_ERROR_TIMED_OUT);
}

const char *
sched_result_str (GVariant *result, const char *key)
{
  const char *value = NULL;

  if (!g_variant_lookup (result, key, "&s", &value))
    g_error ("The result has no string %s", key);
  return value;
}

gint64
sched_result_time (GVariant *result, const char *key)
{
  guint64 value = 0;

  if (!g_variant_lookup (result, key, "t", &value))
    g_error ("The result has no time %s", key);
  return (gint64) value;
}

/* ---- the fake ----------------------------------------------------------------------------- */

void
sched_fake_default (HbTestEnv *env, guint status, guint delay_ms)
{
  g_autoptr(GError) error = NULL;
  HbFakeStep step = { .kind = HB_FAKE_CONTENT, .delay_ms = delay_ms };

  if (status != 200)
    step = (HbFakeStep) { .kind = HB_FAKE_STATUS, .status = status, .delay_ms = delay_ms,
                          .text = (char *) "{\"error\":\"server busy, please try again\"}" };
  else
    step.text = (char *) "{\"action\":\"none\",\"reasoning\":\"Nothing needs doing.\"}";
  hb_test_fake_set_default (env, &step, &error);
  g_assert_no_error (error);
}

guint
sched_fake_requests (HbTestEnv *env)
{
  HbTestFakeStats stats = { 0 };
  g_autoptr(GError) error = NULL;
  guint n;

  hb_test_fake_get_stats (env, &stats, &error);
  g_assert_no_error (error);
  n = stats.requests;
  hb_test_fake_stats_clear (&stats);
  return n;
}

/* ---- the daemon's wall clock -------------------------------------------------------------- */

struct _SchedClock
{
  HbTestEnv *env;
  char *file;       /* libfaketime's FAKETIME_TIMESTAMP_FILE */
  gint64 offset_s;
};

const char *
sched_clock_library (void)
{
  /* The MT build first: the daemon reads the clock from several threads, and with the cache
   * off every call parses the file into libfaketime's shared state, which only the MT build
   * guards with a lock. */
  static const char *const names[] = { "libfaketimeMT.so.1", "libfaketime.so.1" };
  static const char *const dirs[] = {
    "/usr/lib/x86_64-linux-gnu/faketime", "/usr/lib/aarch64-linux-gnu/faketime",
    "/usr/lib64/faketime", "/usr/lib/faketime", "/usr/local/lib/faketime",
  };
  static char *found = NULL;
  const char *forced = g_getenv ("HB_TEST_LIBFAKETIME");

  if (forced != NULL && forced[0] != '\0')
    return forced;
  for (guint n = 0; found == NULL && n < G_N_ELEMENTS (names); n++)
    for (guint i = 0; found == NULL && i < G_N_ELEMENTS (dirs); i++)
      {
        g_autofree char *path = g_build_filename (dirs[i], names[n], NULL);

        if (g_file_test (path, G_FILE_TEST_IS_REGULAR))
          found = g_steal_pointer (&path);
      }
  if (found == NULL)
    g_test_skip ("libfaketime is not installed (Debian package faketime)");
  return found;
}

SchedClock *
sched_clock_new (HbTestEnv *env)
{
  SchedClock *wall = g_new0 (SchedClock, 1);

  wall->env = env;
  wall->file = g_build_filename (hb_test_env_get_tmpdir (env), "faketime.rc", NULL);
  sched_clock_set_offset (wall, 0);
  return wall;
}

gboolean
sched_clock_setup (HbTestEnv **env, SchedClock **wall)
{
  if (sched_clock_library () == NULL)
    return FALSE;
  *env = hb_test_env_new (NULL);
  *wall = sched_clock_new (*env);
  sched_db_init (*env);
  return TRUE;
}

void
sched_clock_free (SchedClock *wall)
{
  if (wall == NULL)
    return;
  g_free (wall->file);
  g_free (wall);
}

void
sched_clock_set_offset (SchedClock *wall, gint64 offset_s)
{
  g_autofree char *text = g_strdup_printf ("%+" G_GINT64_FORMAT "\n", offset_s);
  g_autoptr(GError) error = NULL;

  /* Written to a temporary file and renamed: the daemon, reading on every clock call, sees the
   * old offset or the new one, never an empty file. */
  g_file_set_contents (wall->file, text, -1, &error);
  g_assert_no_error (error);
  wall->offset_s = offset_s;
}

gint64
sched_clock_now (SchedClock *wall)
{
  return g_get_real_time () + wall->offset_s * G_USEC_PER_SEC;
}

HbTestDaemon *
sched_clock_start (SchedClock *wall, const char *config)
{
  const char *library = sched_clock_library ();
  const char *old = g_getenv ("LD_PRELOAD");
  g_autofree char *preload = NULL;
  g_autofree char *file = g_strconcat ("FAKETIME_TIMESTAMP_FILE=", wall->file, NULL);
  const char *env_vars[] = {
    NULL, file, "FAKETIME_NO_CACHE=1", "FAKETIME_DONT_FAKE_MONOTONIC=1", "NO_FAKE_STAT=1",
    /* Unset: FAKETIME would win over the file, FAKETIME_SHARED would join another's state. */
    "FAKETIME", "FAKETIME_SHARED", NULL,
  };
  HbTestDaemon *d;
  GPid pid;

  g_assert_nonnull (library);
  preload = g_strdup_printf ("LD_PRELOAD=%s%s%s", old != NULL ? old : "",
                             old != NULL && old[0] != '\0' ? ":" : "", library);
  env_vars[0] = preload;
  d = sched_start (wall->env, config, env_vars);

  pid = hb_test_daemon_get_pid (d);
  for (guint i = 0; i < 2; i++)
    {
      g_autofree char *path = g_strdup_printf (i == 0 ? "/dev/shm/faketime_shm_%d"
                                                      : "/dev/shm/sem.faketime_sem_%d", (int) pid);

      if (g_unlink (path) != 0 && errno != ENOENT)
        g_error ("Cannot remove %s: %s", path, g_strerror (errno));
    }
  return d;
}

GVariant *
sched_clock_run_now (SchedClock *wall, HbTestSignalRecorder *completed, const char *id)
{
  gint64 before = sched_clock_now (wall);
  GVariant *result;

  sched_manager_call (wall->env, "RunNow", g_variant_new ("(s)", id));
  result = sched_next_result (completed, SCHED_RUN_TIMEOUT_MS);
  g_assert_cmpstr (sched_result_str (result, "thread_id"), ==, id);
  sched_assert_within ("started_at", sched_result_time (result, "started_at"), before,
                       sched_clock_now (wall));
  return result;
}

void
sched_assert_within (const char *what, gint64 t, gint64 lo, gint64 hi)
{
  if (t < lo || t > hi)
    g_error ("%s is %+.3f s from the earliest time expected, outside [0, %.3f s]", what,
             (double) (t - lo) / G_USEC_PER_SEC, (double) (hi - lo) / G_USEC_PER_SEC);
}
