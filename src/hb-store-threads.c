/* hb-store-threads.c: thread_sessions as the daemon sees it (list, get, ensure, config, next due)
 * and the data version. */
#include "config.h"

#include "hb-error.h"
#include "hb-store-private.h"

void
hb_thread_row_free (HbThreadRow *row)
{
  if (row == NULL)
    return;
  g_free (row->thread_id);
  g_free (row->config_json);
  g_free (row->last_summary);
  g_free (row->last_actions_json);
  g_free (row->last_status);
  g_free (row->last_reason);
  g_free (row->last_fingerprint);
  g_free (row);
}

/* The newest finished run gives the status; the newest run that looked at the context (also a
 * skip because nothing changed) gives the fingerprint the scheduler compares with. */
#define THREAD_ROW_SELECT \
  "SELECT ts.thread_id, ts.heartbeat_config_json, ts.heartbeat_last_run," \
  " ts.heartbeat_last_summary, ts.heartbeat_last_actions_json, ts.heartbeat_next_due," \
  " ts.last_active," \
  " (SELECT r.status FROM heartbeat_runs r WHERE r.thread_id = ts.thread_id" \
  "   AND r.status <> 'running' ORDER BY r.finished_at DESC, r.rowid DESC LIMIT 1)," \
  " (SELECT r.reason FROM heartbeat_runs r WHERE r.thread_id = ts.thread_id" \
  "   AND r.status <> 'running' ORDER BY r.finished_at DESC, r.rowid DESC LIMIT 1)," \
  " (SELECT r.fingerprint FROM heartbeat_runs r WHERE r.thread_id = ts.thread_id" \
  "   AND (r.status IN ('acted', 'no-action', 'dry-run')" \
  "        OR (r.status = 'skipped' AND r.reason = 'unchanged'))" \
  "   ORDER BY r.finished_at DESC, r.rowid DESC LIMIT 1)" \
  " FROM main.thread_sessions ts"

static HbThreadRow *
read_thread_row (sqlite3_stmt *stmt)
{
  HbThreadRow *row = g_new0 (HbThreadRow, 1);

  row->thread_id = hb_db_column_text (stmt, 0);
  row->config_json = sqlite3_column_type (stmt, 1) == SQLITE_NULL ? NULL
                                                                   : hb_db_column_text (stmt, 1);
  row->last_run = hb_db_column_time (stmt, 2);
  row->last_summary = hb_db_column_text (stmt, 3);
  row->last_actions_json = hb_db_column_text (stmt, 4);
  row->next_due = hb_db_column_time (stmt, 5);
  row->last_active = sqlite3_column_double (stmt, 6);
  row->last_status = hb_db_column_text (stmt, 7);
  row->last_reason = hb_db_column_text (stmt, 8);
  row->last_fingerprint = hb_db_column_text (stmt, 9);
  return row;
}

/* Rows of THREAD_ROW_SELECT + @where, bound with @thread_id when not NULL. */
static GPtrArray *
query_threads (HbStore *self, const char *where, const char *thread_id, GError **error)
{
  g_autofree char *sql = g_strconcat (THREAD_ROW_SELECT, where, NULL);
  g_autoptr(sqlite3_stmt) stmt = hb_db_prepare (self, sql, error);
  g_autoptr(GPtrArray) rows = g_ptr_array_new_with_free_func ((GDestroyNotify) hb_thread_row_free);
  int rc;

  if (stmt == NULL)
    return NULL;
  if (thread_id != NULL)
    hb_db_bind (stmt, "t", thread_id);
  while ((rc = hb_db_step (self, stmt, error)) == SQLITE_ROW)
    g_ptr_array_add (rows, read_thread_row (stmt));
  if (rc < 0)
    return NULL;
  return g_steal_pointer (&rows);
}

static void
list_threads_job (HbStore *self, GTask *task, gpointer data)
{
  GError *error = NULL;
  GPtrArray *rows = query_threads (self, " ORDER BY ts.last_active DESC, ts.thread_id", NULL,
                                   &error);

  if (rows == NULL)
    g_task_return_error (task, error);
  else
    g_task_return_pointer (task, rows, (GDestroyNotify) g_ptr_array_unref);
}

void
hb_store_list_threads_async (HbStore *self, GCancellable *cancellable,
                             GAsyncReadyCallback callback, gpointer user_data)
{
  g_return_if_fail (HB_IS_STORE (self));
  hb_store_submit (self, list_threads_job, NULL, NULL, cancellable, callback, user_data,
                   hb_store_list_threads_async);
}

GPtrArray *
hb_store_list_threads_finish (HbStore *self, GAsyncResult *result, GError **error)
{
  g_return_val_if_fail (g_task_is_valid (result, self), NULL);
  return g_task_propagate_pointer (G_TASK (result), error);
}

/* Submit a job that only needs a thread id, after checking it. */
static void
submit_for_thread (HbStore *self, const char *thread_id, HbStoreJobFunc func,
                   GCancellable *cancellable, GAsyncReadyCallback callback, gpointer user_data,
                   gpointer source_tag)
{
  GError *error = NULL;

  if (!hb_store_check_thread_id (thread_id, &error))
    {
      g_task_report_error (self, callback, user_data, source_tag, error);
      return;
    }
  hb_store_submit (self, func, g_strdup (thread_id), g_free, cancellable, callback, user_data,
                   source_tag);
}

static void
get_thread_job (HbStore *self, GTask *task, gpointer data)
{
  GError *error = NULL;
  g_autoptr(GPtrArray) rows = query_threads (self, " WHERE ts.thread_id = ?1", data, &error);

  if (rows == NULL)
    g_task_return_error (task, error);
  else if (rows->len == 0)
    g_task_return_new_error (task, HB_ERROR, HB_ERROR_UNKNOWN_THREAD, "No thread “%s”",
                             (const char *) data);
  else
    g_task_return_pointer (task, g_ptr_array_steal_index (rows, 0),
                           (GDestroyNotify) hb_thread_row_free);
}

void
hb_store_get_thread_async (HbStore *self, const char *thread_id, GCancellable *cancellable,
                           GAsyncReadyCallback callback, gpointer user_data)
{
  g_return_if_fail (HB_IS_STORE (self));
  submit_for_thread (self, thread_id, get_thread_job, cancellable, callback, user_data,
                     hb_store_get_thread_async);
}

HbThreadRow *
hb_store_get_thread_finish (HbStore *self, GAsyncResult *result, GError **error)
{
  g_return_val_if_fail (g_task_is_valid (result, self), NULL);
  return g_task_propagate_pointer (G_TASK (result), error);
}

typedef struct {
  const char *thread_id;
  gboolean created;
} EnsureData;

static gboolean
ensure_txn (HbStore *self, gpointer data, GError **error)
{
  EnsureData *d = data;
  double now = hb_us_to_s (g_get_real_time ());

  if (!hb_db_run (self, error,
                  "INSERT OR IGNORE INTO main.thread_sessions (thread_id, first_created, last_active)"
                  " VALUES (?1, ?2, ?2)", "td", d->thread_id, now))
    return FALSE;
  d->created = sqlite3_changes (self->db) > 0;
  return TRUE;
}

static void
ensure_thread_job (HbStore *self, GTask *task, gpointer data)
{
  EnsureData d = { data, FALSE };
  GError *error = NULL;

  if (!hb_db_transact (self, TRUE, ensure_txn, &d, &error))
    g_task_return_error (task, error);
  else
    g_task_return_int (task, d.created);
}

void
hb_store_ensure_thread_async (HbStore *self, const char *thread_id, GCancellable *cancellable,
                              GAsyncReadyCallback callback, gpointer user_data)
{
  g_return_if_fail (HB_IS_STORE (self));
  submit_for_thread (self, thread_id, ensure_thread_job, cancellable, callback, user_data,
                     hb_store_ensure_thread_async);
}

gboolean
hb_store_ensure_thread_finish (HbStore *self, GAsyncResult *result, gboolean *created,
                               GError **error)
{
  gssize v;

  g_return_val_if_fail (g_task_is_valid (result, self), FALSE);
  v = g_task_propagate_int (G_TASK (result), error);
  if (v < 0)
    return FALSE;
  if (created != NULL)
    *created = v > 0;
  return TRUE;
}

typedef struct {
  char *thread_id;
  char *config_json;
} ConfigData;

static void
config_data_free (gpointer p)
{
  ConfigData *d = p;

  g_free (d->thread_id);
  g_free (d->config_json);
  g_free (d);
}

static gboolean
save_config_txn (HbStore *self, gpointer data, GError **error)
{
  ConfigData *d = data;

  if (!hb_db_run (self, error,
                  "UPDATE main.thread_sessions SET heartbeat_config_json = ?1 WHERE thread_id = ?2",
                  "tt", d->config_json, d->thread_id))
    return FALSE;
  if (sqlite3_changes (self->db) == 0)
    {
      g_set_error (error, HB_ERROR, HB_ERROR_UNKNOWN_THREAD, "No thread “%s”", d->thread_id);
      return FALSE;
    }
  return TRUE;
}

static void
save_config_job (HbStore *self, GTask *task, gpointer data)
{
  hb_db_return_txn (self, task, TRUE, save_config_txn, data);
}

void
hb_store_save_config_async (HbStore *self, const char *thread_id, const char *config_json,
                            GCancellable *cancellable, GAsyncReadyCallback callback,
                            gpointer user_data)
{
  GError *error = NULL;
  ConfigData *d;

  g_return_if_fail (HB_IS_STORE (self));
  if (!hb_store_check_thread_id (thread_id, &error))
    {
      g_task_report_error (self, callback, user_data, hb_store_save_config_async, error);
      return;
    }
  d = g_new0 (ConfigData, 1);
  d->thread_id = g_strdup (thread_id);
  d->config_json = g_strdup (config_json);
  hb_store_submit (self, save_config_job, d, config_data_free, cancellable, callback, user_data,
                   hb_store_save_config_async);
}

gboolean
hb_store_save_config_finish (HbStore *self, GAsyncResult *result, GError **error)
{
  g_return_val_if_fail (g_task_is_valid (result, self), FALSE);
  return g_task_propagate_boolean (G_TASK (result), error);
}

typedef struct {
  GStrv thread_ids;
  gint64 *due;
  guint n;
} NextDueData;

static void
next_due_data_free (gpointer p)
{
  NextDueData *d = p;

  g_strfreev (d->thread_ids);
  g_free (d->due);
  g_free (d);
}

static gboolean
save_next_due_txn (HbStore *self, gpointer data, GError **error)
{
  NextDueData *d = data;

  /* Threads deleted meanwhile simply match no row. */
  for (guint i = 0; i < d->n; i++)
    {
      if (!hb_db_run (self, error,
                      "UPDATE main.thread_sessions SET heartbeat_next_due = ?1 WHERE thread_id = ?2",
                      "Tt", d->due[i], d->thread_ids[i]))
        return FALSE;
    }
  return TRUE;
}

static const HbWriteJob save_next_due_job = { save_next_due_txn, hb_store_return_true };

void
hb_store_save_next_due_async (HbStore *self, const char *const *thread_ids, const gint64 *due,
                              guint n, GCancellable *cancellable,
                              GAsyncReadyCallback callback, gpointer user_data)
{
  NextDueData *d;

  g_return_if_fail (HB_IS_STORE (self));
  for (guint i = 0; i < n; i++)
    {
      GError *error = NULL;

      if (thread_ids == NULL || due == NULL || !hb_store_check_thread_id (thread_ids[i], &error))
        {
          if (error == NULL)
            error = g_error_new_literal (HB_ERROR, HB_ERROR_FAILED, "No thread ids given");
          g_task_report_error (self, callback, user_data, hb_store_save_next_due_async, error);
          return;
        }
    }
  d = g_new0 (NextDueData, 1);
  d->n = n;
  d->thread_ids = g_new0 (char *, n + 1);
  for (guint i = 0; i < n; i++)
    d->thread_ids[i] = g_strdup (thread_ids[i]);
  d->due = n > 0 ? g_memdup2 (due, n * sizeof *due) : NULL;
  hb_store_submit_write (self, &save_next_due_job, d, next_due_data_free, cancellable, callback,
                         user_data, hb_store_save_next_due_async);
}

gboolean
hb_store_save_next_due_finish (HbStore *self, GAsyncResult *result, GError **error)
{
  g_return_val_if_fail (g_task_is_valid (result, self), FALSE);
  return g_task_propagate_boolean (G_TASK (result), error);
}

static void
data_version_job (HbStore *self, GTask *task, gpointer data)
{
  GError *error = NULL;
  double v = 0;

  if (!hb_db_scalar (self, &v, &error, "PRAGMA main.data_version", NULL))
    g_task_return_error (task, error);
  else
    g_task_return_int (task, (gssize) v);
}

void
hb_store_get_data_version_async (HbStore *self, GCancellable *cancellable,
                                 GAsyncReadyCallback callback, gpointer user_data)
{
  g_return_if_fail (HB_IS_STORE (self));
  hb_store_submit (self, data_version_job, NULL, NULL, cancellable, callback, user_data,
                   hb_store_get_data_version_async);
}

gint64
hb_store_get_data_version_finish (HbStore *self, GAsyncResult *result, GError **error)
{
  g_return_val_if_fail (g_task_is_valid (result, self), -1);
  return g_task_propagate_int (G_TASK (result), error);
}
