/* test-dbus-util.c: helpers shared by the D-Bus integration tests (see test-dbus-util.h). */
#include "config.h"

#include <stdarg.h>
#include <string.h>

#include "test-dbus-util.h"

HbTestEnv *
hb_dbus_test_start (const HbTestDaemonOptions *options, HbTestDaemon **daemon)
{
  HbTestEnv *env = hb_test_env_new (NULL);
  g_autoptr(GError) error = NULL;
  HbTestDaemon *d = hb_test_daemon_start (env, options, &error);

  g_assert_no_error (error);
  g_assert_nonnull (d);
  if (daemon != NULL)
    *daemon = d;
  return env;
}

GVariant *
hb_dbus_test_call (HbTestEnv *env, const char *path, const char *iface, const char *method,
                   GVariant *params, const char *reply_type, GError **error)
{
  return g_dbus_connection_call_sync (hb_test_env_get_connection (env), HB_TEST_BUS_NAME, path,
                                      iface, method, params,
                                      reply_type != NULL ? G_VARIANT_TYPE (reply_type) : NULL,
                                      G_DBUS_CALL_FLAGS_NONE, HB_TEST_TIMEOUT_MS, NULL, error);
}

/* A Manager method taking a thread id and returning one string or path (asserted). */
static char *
manager_call (HbTestEnv *env, const char *method, const char *id, const char *reply_type)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(GVariant) reply = hb_dbus_test_call (env, HB_TEST_MANAGER_PATH, HB_TEST_MANAGER_IFACE,
                                                 method, g_variant_new ("(s)", id), reply_type,
                                                 &error);
  g_autoptr(GVariant) value = NULL;

  g_assert_no_error (error);
  value = g_variant_get_child_value (reply, 0);
  return g_variant_dup_string (value, NULL);
}

char *
hb_dbus_test_add_thread (HbTestEnv *env, const char *id)
{
  return manager_call (env, "AddThread", id, "(o)");
}

char *
hb_dbus_test_run_now (HbTestEnv *env, const char *id)
{
  char *run_id = manager_call (env, "RunNow", id, "(s)");

  g_assert_cmpstr (run_id, !=, "");
  return run_id;
}

HbTestSignalRecorder *
hb_dbus_test_completed_recorder (HbTestEnv *env)
{
  return hb_test_signal_recorder_new (hb_test_env_get_connection (env), NULL, HB_TEST_MANAGER_PATH,
                                      HB_TEST_MANAGER_IFACE, "HeartbeatCompleted", NULL);
}

GVariant *
hb_dbus_test_get_all (HbTestEnv *env, const char *path)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(GVariant) reply = hb_dbus_test_call (env, path, "org.freedesktop.DBus.Properties",
                                                 "GetAll",
                                                 g_variant_new ("(s)", HB_TEST_THREAD_IFACE),
                                                 "(a{sv})", &error);

  g_assert_no_error (error);
  return g_variant_get_child_value (reply, 0);
}

gboolean
hb_dbus_test_set_property (HbTestEnv *env, const char *path, const char *property,
                           GVariant *value, GError **error)
{
  g_autoptr(GVariant) v = g_variant_ref_sink (value);
  g_autoptr(GVariant) reply = hb_dbus_test_call (env, path, "org.freedesktop.DBus.Properties",
                                                 "Set",
                                                 g_variant_new ("(ssv)", HB_TEST_THREAD_IFACE,
                                                                property, v),
                                                 "()", error);

  return reply != NULL;
}

void
hb_dbus_test_assert_error (const GError *error, const char *name, ...)
{
  g_autofree char *remote = NULL;
  const char *word;
  gboolean any = FALSE;
  gboolean found = FALSE;
  va_list ap;

  g_assert_nonnull (error);
  remote = g_dbus_error_get_remote_error (error);
  if (g_strcmp0 (remote, name) != 0)
    g_test_message ("error: %s", error->message);
  g_assert_cmpstr (remote, ==, name);
  va_start (ap, name);
  while ((word = va_arg (ap, const char *)) != NULL)
    {
      any = TRUE;
      found = found || strstr (error->message, word) != NULL;
    }
  va_end (ap);
  if (any && !found)
    g_error ("The message \"%s\" names none of the expected words", error->message);
}

GVariant *
hb_dbus_test_wait_completed (HbTestSignalRecorder *rec, const char *run_id)
{
  for (;;)
    {
      g_autoptr(GError) error = NULL;
      g_autoptr(GVariant) params = hb_test_signal_recorder_wait (rec, HB_TEST_TIMEOUT_MS, &error);
      g_autoptr(GVariant) result = NULL;
      const char *got = NULL;

      g_assert_no_error (error);
      result = g_variant_get_child_value (params, 1);
      if (g_variant_lookup (result, "run_id", "&s", &got) && g_strcmp0 (got, run_id) == 0)
        return g_steal_pointer (&result);
    }
}

gboolean
hb_dbus_test_wait_changed (HbTestSignalRecorder *rec, const char *property, GVariant *expected,
                           GError **error)
{
  g_autoptr(GVariant) want = g_variant_ref_sink (expected);

  for (;;)
    {
      g_autoptr(GVariant) params = hb_test_signal_recorder_wait (rec, HB_TEST_TIMEOUT_MS, error);
      g_autoptr(GVariant) changed = NULL;
      g_autoptr(GVariant) value = NULL;

      if (params == NULL)
        {
          g_prefix_error (error, "PropertiesChanged of %s: ", property);
          return FALSE;
        }
      changed = g_variant_get_child_value (params, 1);
      value = g_variant_lookup_value (changed, property, NULL);
      if (value != NULL && g_variant_equal (value, want))
        return TRUE;
    }
}

void
hb_dbus_test_drain (void)
{
  /* Never blocks: it stops as soon as nothing was ready to dispatch. */
  while (g_main_context_iteration (NULL, FALSE))
    ;
}

/* ---- signal log ---- */

struct _HbDbusSignalLog
{
  GDBusConnection *conn;
  guint subscription;
  GPtrArray *entries;   /* GVariant (s path, s member, v params) */
};

static void
log_signal_cb (GDBusConnection *conn, const char *sender, const char *path,
               const char *interface, const char *member, GVariant *parameters,
               gpointer user_data)
{
  HbDbusSignalLog *log = user_data;

  g_ptr_array_add (log->entries,
                   g_variant_ref_sink (g_variant_new ("(ssv)", path, member, parameters)));
}

HbDbusSignalLog *
hb_dbus_signal_log_new (GDBusConnection *conn)
{
  HbDbusSignalLog *log = g_new0 (HbDbusSignalLog, 1);
  g_autoptr(GVariant) reply = NULL;
  g_autoptr(GError) error = NULL;

  log->conn = g_object_ref (conn);
  log->entries = g_ptr_array_new_with_free_func ((GDestroyNotify) g_variant_unref);
  log->subscription = g_dbus_connection_signal_subscribe (conn, NULL, NULL, NULL, NULL, NULL,
                                                          G_DBUS_SIGNAL_FLAGS_NONE, log_signal_cb,
                                                          log, NULL);
  /* A round trip: the bus has the match rule when this returns. */
  reply = g_dbus_connection_call_sync (conn, "org.freedesktop.DBus", "/org/freedesktop/DBus",
                                       "org.freedesktop.DBus", "GetId", NULL, NULL,
                                       G_DBUS_CALL_FLAGS_NONE, HB_TEST_TIMEOUT_MS, NULL, &error);
  g_assert_no_error (error);
  return log;
}

void
hb_dbus_signal_log_free (HbDbusSignalLog *log)
{
  g_dbus_connection_signal_unsubscribe (log->conn, log->subscription);
  g_ptr_array_unref (log->entries);
  g_object_unref (log->conn);
  g_free (log);
}

int
hb_dbus_signal_log_find (HbDbusSignalLog *log, int from, const char *path, const char *member,
                         GVariant **params_out)
{
  for (guint i = MAX (from, 0); i < log->entries->len; i++)
    {
      GVariant *e = log->entries->pdata[i];
      const char *p, *m;
      g_autoptr(GVariant) params = NULL;

      g_variant_get (e, "(&s&sv)", &p, &m, &params);
      if ((path != NULL && strcmp (p, path) != 0) || strcmp (m, member) != 0)
        continue;
      if (params_out != NULL)
        *params_out = g_steal_pointer (&params);
      return (int) i;
    }
  return -1;
}

/* ---- the database ---- */

static sqlite3 *
db_open (HbTestEnv *env, int flags)
{
  sqlite3 *db = NULL;
  int rc = sqlite3_open_v2 (hb_test_env_get_db_path (env), &db, flags, NULL);

  if (rc != SQLITE_OK)
    g_error ("Cannot open %s: %s", hb_test_env_get_db_path (env), sqlite3_errstr (rc));
  sqlite3_busy_timeout (db, HB_TEST_TIMEOUT_MS);
  return db;
}

sqlite3 *
hb_dbus_test_db_open (HbTestEnv *env)
{
  return db_open (env, SQLITE_OPEN_READONLY);
}

static sqlite3_stmt *
prepare (sqlite3 *db, const char *sql, va_list ap)
{
  sqlite3_stmt *stmt = NULL;
  const char *arg;
  int i = 1;

  if (sqlite3_prepare_v2 (db, sql, -1, &stmt, NULL) != SQLITE_OK)
    g_error ("%s: %s", sql, sqlite3_errmsg (db));
  while ((arg = va_arg (ap, const char *)) != NULL)
    sqlite3_bind_text (stmt, i++, arg, -1, SQLITE_TRANSIENT);
  return stmt;
}

char *
hb_dbus_test_db_text (HbTestEnv *env, const char *sql, ...)
{
  sqlite3 *db = hb_dbus_test_db_open (env);
  sqlite3_stmt *stmt;
  char *text = NULL;
  va_list ap;
  int rc;

  va_start (ap, sql);
  stmt = prepare (db, sql, ap);
  va_end (ap);
  rc = sqlite3_step (stmt);
  if (rc == SQLITE_ROW)
    text = g_strdup ((const char *) sqlite3_column_text (stmt, 0));
  else if (rc != SQLITE_DONE)
    g_error ("%s: %s", sql, sqlite3_errmsg (db));
  sqlite3_finalize (stmt);
  sqlite3_close (db);
  return text;
}

void
hb_dbus_test_db_exec (HbTestEnv *env, const char *sql, ...)
{
  sqlite3 *db = db_open (env, SQLITE_OPEN_READWRITE);
  sqlite3_stmt *stmt;
  va_list ap;

  va_start (ap, sql);
  stmt = prepare (db, sql, ap);
  va_end (ap);
  if (sqlite3_step (stmt) != SQLITE_DONE)
    g_error ("%s: %s", sql, sqlite3_errmsg (db));
  sqlite3_finalize (stmt);
  sqlite3_close (db);
}
