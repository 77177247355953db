/* test-faults-common.c: helpers of the fault tests. */
#include "config.h"

#include <string.h>

#include "test-faults-common.h"

sqlite3 *
faults_db_open (const char *db_path)
{
  sqlite3 *db = NULL;

  if (sqlite3_open_v2 (db_path, &db, SQLITE_OPEN_READONLY, NULL) != SQLITE_OK)
    g_error ("%s: %s", db_path, sqlite3_errmsg (db));
  sqlite3_busy_timeout (db, 10000);
  return db;
}

gint64
faults_db_int (const char *db_path, const char *sql)
{
  sqlite3 *db = faults_db_open (db_path);
  sqlite3_stmt *stmt = NULL;
  gint64 v;

  if (sqlite3_prepare_v2 (db, sql, -1, &stmt, NULL) != SQLITE_OK ||
      sqlite3_step (stmt) != SQLITE_ROW)
    g_error ("%s: %s", sql, sqlite3_errmsg (db));
  v = sqlite3_column_int64 (stmt, 0);
  sqlite3_finalize (stmt);
  sqlite3_close (db);
  return v;
}

typedef struct {
  const char *db_path;
  const char *sql;
  gint64 want;
} DbWait;

static gboolean
db_reached (gpointer user_data)
{
  DbWait *w = user_data;

  return faults_db_int (w->db_path, w->sql) == w->want;
}

static gboolean
db_tick (gpointer user_data)
{
  return G_SOURCE_CONTINUE;
}

gboolean
faults_wait_db_int (const char *db_path, const char *sql, gint64 want, guint timeout_ms)
{
  DbWait w = { db_path, sql, want };
  guint id = g_timeout_add (10, db_tick, NULL);
  gboolean ok = hb_test_wait_until (db_reached, &w, timeout_ms);

  g_source_remove (id);
  return ok;
}

gboolean
faults_wait_db_settled (const char *db_path)
{
  /* Written after the run is announced: the due time computed from the last run, at least its
   * interval later (the one set for the thread, else the shortest allowed). */
  return faults_wait_db_int (db_path, "SELECT COUNT(*) FROM thread_sessions"
                                      " WHERE heartbeat_last_run IS NOT NULL AND"
                                      " (heartbeat_next_due IS NULL OR"
                                      "  heartbeat_next_due < heartbeat_last_run + coalesce("
                                      "    json_extract (heartbeat_config_json, '$.every'), 60))",
                             0, HB_TEST_TIMEOUT_MS);
}

static void
dump_table (sqlite3 *db, const char *table, GString *out)
{
  g_autofree char *sql = g_strdup_printf ("SELECT * FROM \"%s\" ORDER BY 1", table);
  sqlite3_stmt *stmt = NULL;

  g_string_append_printf (out, "== %s\n", table);
  if (sqlite3_prepare_v2 (db, sql, -1, &stmt, NULL) != SQLITE_OK)
    g_error ("%s: %s", sql, sqlite3_errmsg (db));
  while (sqlite3_step (stmt) == SQLITE_ROW)
    {
      for (int i = 0; i < sqlite3_column_count (stmt); i++)
        {
          const char *text = (const char *) sqlite3_column_text (stmt, i);

          g_string_append_printf (out, "%s|", text != NULL ? text : "NULL");
        }
      g_string_append_c (out, '\n');
    }
  sqlite3_finalize (stmt);
}

char *
faults_db_dump (const char *db_path)
{
  sqlite3 *db = faults_db_open (db_path);
  sqlite3_stmt *stmt = NULL;
  g_autoptr(GPtrArray) tables = g_ptr_array_new_with_free_func (g_free);
  GString *out = g_string_new (NULL);

  if (sqlite3_prepare_v2 (db, "SELECT name, sql FROM sqlite_master ORDER BY name", -1, &stmt,
                          NULL) != SQLITE_OK)
    g_error ("sqlite_master: %s", sqlite3_errmsg (db));
  while (sqlite3_step (stmt) == SQLITE_ROW)
    {
      const char *name = (const char *) sqlite3_column_text (stmt, 0);
      const char *sql = (const char *) sqlite3_column_text (stmt, 1);

      g_string_append_printf (out, "%s: %s\n", name, sql != NULL ? sql : "");
      if (sql != NULL && g_str_has_prefix (sql, "CREATE TABLE"))
        g_ptr_array_add (tables, g_strdup (name));
    }
  sqlite3_finalize (stmt);
  for (guint i = 0; i < tables->len; i++)
    dump_table (db, tables->pdata[i], out);
  sqlite3_close (db);
  return g_string_free (out, FALSE);
}

char *
faults_dump_difference (const char *before, const char *after)
{
  g_auto(GStrv) a = g_strsplit (before, "\n", -1);
  g_auto(GStrv) b = g_strsplit (after, "\n", -1);

  for (guint i = 0; a[i] != NULL || b[i] != NULL; i++)
    {
      if (a[i] != NULL && b[i] != NULL && g_str_equal (a[i], b[i]))
        continue;
      {
        const char *x = a[i] != NULL ? a[i] : "(end)";
        const char *y = b[i] != NULL ? b[i] : "(end)";
        gsize k = 0;

        /* From a little before the first differing character. */
        while (x[k] != '\0' && x[k] == y[k])
          k++;
        k = k > 40 ? k - 40 : 0;
        return g_strdup_printf ("line %u: before \"...%.200s\", after \"...%.200s\"", i + 1,
                                x + MIN (k, strlen (x)), y + MIN (k, strlen (y)));
      }
    }
  return NULL;
}

const char *const *
faults_config_args (HbTestEnv *env, const char *ini)
{
  g_autoptr(GError) error = NULL;
  static char *args[3];
  char *path = g_build_filename (hb_test_env_get_tmpdir (env), "heartbeat.conf", NULL);

  g_file_set_contents (path, ini, -1, &error);
  g_assert_no_error (error);
  g_free (args[1]);
  args[0] = (char *) "--config";
  args[1] = path;
  args[2] = NULL;
  return (const char *const *) args;
}

static void
on_completed (GDBusConnection *conn, const char *sender, const char *path, const char *iface,
              const char *signal, GVariant *params, gpointer user_data)
{
  FaultsRuns *runs = user_data;
  g_autoptr(GVariant) result = NULL;
  const char *run_id = "";

  g_variant_get (params, "(&s@a{sv})", NULL, &result);
  g_variant_lookup (result, "run_id", "&s", &run_id);
  g_hash_table_replace (runs->results, g_strdup (run_id), g_variant_ref (result));
  runs->count++;
}

FaultsRuns *
faults_runs_new (GDBusConnection *conn)
{
  FaultsRuns *runs = g_new0 (FaultsRuns, 1);

  runs->conn = g_object_ref (conn);
  runs->results = g_hash_table_new_full (g_str_hash, g_str_equal, g_free,
                                         (GDestroyNotify) g_variant_unref);
  runs->sub = g_dbus_connection_signal_subscribe (conn, HB_TEST_BUS_NAME, HB_TEST_MANAGER_IFACE,
                                                  "HeartbeatCompleted", HB_TEST_MANAGER_PATH,
                                                  NULL, G_DBUS_SIGNAL_FLAGS_NONE, on_completed,
                                                  runs, NULL);
  g_autoptr(GVariant) id = NULL;

  /* A round trip, so that the match rule is in force before anything is triggered. */
  id = g_dbus_connection_call_sync (conn, "org.freedesktop.DBus", "/org/freedesktop/DBus",
                                    "org.freedesktop.DBus", "GetId", NULL, NULL,
                                    G_DBUS_CALL_FLAGS_NONE, -1, NULL, NULL);
  return runs;
}

void
faults_runs_free (FaultsRuns *runs)
{
  g_dbus_connection_signal_unsubscribe (runs->conn, runs->sub);
  g_object_unref (runs->conn);
  g_hash_table_unref (runs->results);
  g_free (runs);
}

typedef struct {
  FaultsRuns *runs;
  const char *run_id;
} RunWait;

static gboolean
run_done (gpointer user_data)
{
  RunWait *w = user_data;

  return g_hash_table_contains (w->runs->results, w->run_id);
}

GVariant *
faults_runs_wait (FaultsRuns *runs, const char *run_id, guint timeout_ms)
{
  RunWait w = { runs, run_id };

  if (!hb_test_wait_until (run_done, &w, timeout_ms))
    return NULL;
  return g_hash_table_lookup (runs->results, run_id);
}

static GVariant *
call_manager (GDBusConnection *conn, const char *method, const char *thread_id,
              const char *reply_type)
{
  g_autoptr(GError) error = NULL;
  GVariant *reply;

  reply = g_dbus_connection_call_sync (conn, HB_TEST_BUS_NAME, HB_TEST_MANAGER_PATH,
                                       HB_TEST_MANAGER_IFACE, method,
                                       g_variant_new ("(s)", thread_id),
                                       G_VARIANT_TYPE (reply_type), G_DBUS_CALL_FLAGS_NONE,
                                       HB_TEST_TIMEOUT_MS, NULL, &error);
  g_assert_no_error (error);
  return reply;
}

char *
faults_run_now (GDBusConnection *conn, const char *thread_id)
{
  g_autoptr(GVariant) reply = call_manager (conn, "RunNow", thread_id, "(s)");
  char *run_id;

  g_variant_get (reply, "(s)", &run_id);
  return run_id;
}

void
faults_add_thread (GDBusConnection *conn, const char *thread_id)
{
  g_autoptr(GVariant) reply = call_manager (conn, "AddThread", thread_id, "(o)");
}

const char *
faults_result_string (GVariant *result, const char *key)
{
  const char *s = "";

  g_variant_lookup (result, key, "&s", &s);
  return s;
}

guint64
faults_result_time (GVariant *result, const char *key)
{
  guint64 t = 0;

  g_variant_lookup (result, key, "t", &t);
  return t;
}

gboolean
faults_daemon_answers (GDBusConnection *conn, GError **error)
{
  g_autoptr(GVariant) ping = NULL;
  g_autoptr(GVariant) version = NULL;

  ping = g_dbus_connection_call_sync (conn, HB_TEST_BUS_NAME, HB_TEST_MANAGER_PATH,
                                      "org.freedesktop.DBus.Peer", "Ping", NULL, NULL,
                                      G_DBUS_CALL_FLAGS_NO_AUTO_START, HB_TEST_TIMEOUT_MS, NULL,
                                      error);
  if (ping == NULL)
    return FALSE;
  version = hb_test_get_property (conn, HB_TEST_BUS_NAME, HB_TEST_MANAGER_PATH,
                                  HB_TEST_MANAGER_IFACE, "Version", error);
  return version != NULL;
}

gboolean
faults_text_is_escaped (const char *text)
{
  static const char *const entities[] = { "&amp;", "&lt;", "&gt;", "&quot;", "&#39;" };

  if (text == NULL || !g_utf8_validate (text, -1, NULL))
    return FALSE;
  for (const char *p = text; *p != '\0'; p++)
    {
      gboolean known = FALSE;

      if (*p == '<' || *p == '>' || *p == '"' || *p == '\'')
        return FALSE;
      if (*p != '&')
        continue;
      for (gsize i = 0; i < G_N_ELEMENTS (entities) && !known; i++)
        known = g_str_has_prefix (p, entities[i]);
      if (!known)
        return FALSE;
    }
  return TRUE;
}
