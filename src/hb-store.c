/* hb-store.c: the store object and its worker thread.
 *
 * One exclusive GThreadPool thread owns the connection; every call is a GTask queued to it and
 * returned in the caller's thread-default context. Opening and closing are jobs too (waited for on
 * a private main context), so no SQLite call ever runs on another thread and lock waits (the busy
 * handler's backoff sleeps) never happen on the main loop. Write jobs queued together share one
 * transaction (group commit, hb-store-batch.c).
 */
#include "config.h"

#include <errno.h>

#include "hb-error.h"
#include "hb-store-private.h"

G_DEFINE_TYPE (HbStore, hb_store, G_TYPE_OBJECT)

/* Set while a job runs: a store finalized by the worker's last task reference must not wait for
 * its own thread. */
static GPrivate in_worker;

static void
worker_func (gpointer item, gpointer pool_data)
{
  HbStore *self = pool_data;
  HbJob *jobs[HB_STORE_BATCH_MAX];
  guint n;

  g_private_set (&in_worker, GINT_TO_POINTER (1));
  self->busy_attempts = 0;
  n = hb_store_take_jobs (self, jobs);
  if (n > 0 && jobs[0]->write != NULL)
    n = hb_store_run_writes (self, jobs, n);   /* the others were given back */
  else if (n > 0 && !g_task_return_error_if_cancelled (jobs[0]->task))
    jobs[0]->func (self, jobs[0]->task, g_task_get_task_data (jobs[0]->task));
  for (guint i = 0; i < n; i++)
    {
      g_object_unref (jobs[i]->task);
      g_free (jobs[i]);
    }
  g_object_unref (item);
  g_private_set (&in_worker, NULL);
}

static void
submit_job (HbStore *self, HbStoreJobFunc func, const HbWriteJob *write, gpointer data,
            GDestroyNotify data_free, GCancellable *cancellable, GAsyncReadyCallback callback,
            gpointer user_data, gpointer source_tag)
{
  g_autoptr(GTask) task = g_task_new (self, cancellable, callback, user_data);
  g_autoptr(GError) error = NULL;
  HbJob *job;
  gboolean unqueued;

  g_task_set_source_tag (task, source_tag);
  g_task_set_task_data (task, data, data_free);
  if (self->closed || self->pool == NULL)
    {
      g_task_return_new_error (task, HB_ERROR, HB_ERROR_DB, "The store is closed");
      return;
    }
  job = g_new0 (HbJob, 1);
  job->func = func;
  job->write = write;
  job->task = g_steal_pointer (&task);
  g_mutex_lock (&self->queue_lock);
  g_queue_push_tail (&self->queue, job);
  g_mutex_unlock (&self->queue_lock);
  if (g_thread_pool_push (self->pool, g_object_ref (self), &error))
    return;

  g_object_unref (self);
  /* Unless the worker took it already (with an earlier wake-up), the job will not run. */
  g_mutex_lock (&self->queue_lock);
  unqueued = g_queue_remove (&self->queue, job);
  g_mutex_unlock (&self->queue_lock);
  if (!unqueued)
    return;
  g_task_return_new_error (job->task, HB_ERROR, HB_ERROR_DB,
                           "Could not queue database work: %s", error->message);
  g_object_unref (job->task);
  g_free (job);
}

void
hb_store_return_true (GTask *task, gpointer data)
{
  g_task_return_boolean (task, TRUE);
}

void
hb_store_submit (HbStore *self, HbStoreJobFunc func, gpointer data, GDestroyNotify data_free,
                 GCancellable *cancellable, GAsyncReadyCallback callback, gpointer user_data,
                 gpointer source_tag)
{
  submit_job (self, func, NULL, data, data_free, cancellable, callback, user_data, source_tag);
}

void
hb_store_submit_write (HbStore *self, const HbWriteJob *write, gpointer data,
                       GDestroyNotify data_free, GCancellable *cancellable,
                       GAsyncReadyCallback callback, gpointer user_data, gpointer source_tag)
{
  submit_job (self, NULL, write, data, data_free, cancellable, callback, user_data, source_tag);
}

static void
sync_done (GObject *source, GAsyncResult *result, gpointer user_data)
{
  *(GAsyncResult **) user_data = g_object_ref (result);
}

/* Run one job and wait for it without dispatching anything of the caller's main context. */
static gboolean
run_sync (HbStore *self, HbStoreJobFunc func, gpointer data, GError **error)
{
  g_autoptr(GMainContext) ctx = g_main_context_new ();
  g_autoptr(GAsyncResult) result = NULL;

  g_main_context_push_thread_default (ctx);
  hb_store_submit (self, func, data, NULL, NULL, sync_done, &result, run_sync);
  while (result == NULL)
    g_main_context_iteration (ctx, TRUE);
  g_main_context_pop_thread_default (ctx);
  return g_task_propagate_boolean (G_TASK (result), error);
}

gboolean
hb_store_check_thread_id (const char *thread_id, GError **error)
{
  if (thread_id == NULL)
    {
      g_set_error_literal (error, HB_ERROR, HB_ERROR_UNKNOWN_THREAD, "No thread id given");
      return FALSE;
    }
  if (!g_utf8_validate (thread_id, -1, NULL))
    {
      g_set_error_literal (error, HB_ERROR, HB_ERROR_UNKNOWN_THREAD,
                           "Thread id is not valid UTF-8");
      return FALSE;
    }
  return TRUE;
}

static void
close_db (HbStore *self)
{
  if (self->db == NULL)
    return;
  /* The cached statements go first, so this cannot be SQLITE_BUSY. */
  g_clear_pointer (&self->stmts_by_address, g_hash_table_destroy);
  g_clear_pointer (&self->stmts, g_hash_table_destroy);
  if (sqlite3_close (self->db) != SQLITE_OK)
    g_warning ("closing %s: %s", self->path, sqlite3_errmsg (self->db));
  self->db = NULL;
}

static void
close_job (HbStore *self, GTask *task, gpointer data)
{
  close_db (self);
  g_task_return_boolean (task, TRUE);
}

void
hb_store_close (HbStore *self)
{
  g_return_if_fail (HB_IS_STORE (self));

  if (self->pool == NULL)
    return;
  /* Jobs run in order: everything queued before this one finishes first. */
  run_sync (self, close_job, NULL, NULL);
  self->closed = TRUE;
  g_thread_pool_free (g_steal_pointer (&self->pool), FALSE, TRUE);
}

/* In dispose, not finalize: closing queues a GTask, which takes a reference. */
static void
hb_store_dispose (GObject *object)
{
  HbStore *self = HB_STORE (object);

  if (self->pool != NULL && g_private_get (&in_worker) != NULL)
    {
      /* The worker dropped the last reference: it owns the connection, so close it here and
       * let the pool end once this job returns. */
      close_db (self);
      g_thread_pool_free (g_steal_pointer (&self->pool), FALSE, FALSE);
    }
  else if (self->pool != NULL)
    hb_store_close (self);
  G_OBJECT_CLASS (hb_store_parent_class)->dispose (object);
}

static void
hb_store_finalize (GObject *object)
{
  HbStore *self = HB_STORE (object);

  g_free (self->path);
  g_mutex_clear (&self->queue_lock);
  for (guint i = 0; i < G_N_ELEMENTS (self->context_sql); i++)
    g_free (self->context_sql[i]);
  G_OBJECT_CLASS (hb_store_parent_class)->finalize (object);
}

static void
hb_store_class_init (HbStoreClass *klass)
{
  G_OBJECT_CLASS (klass)->dispose = hb_store_dispose;
  G_OBJECT_CLASS (klass)->finalize = hb_store_finalize;
}

static void
hb_store_init (HbStore *self)
{
  g_mutex_init (&self->queue_lock);
  g_queue_init (&self->queue);
  self->ledger_schema = "main";
  self->memory_schema = "main";
}

typedef struct {
  const char *ledger_path;
  const char *memory_path;
} OpenData;

static gboolean
attach (HbStore *self, const char *file, const char *schema, GError **error)
{
  g_autofree char *sql = g_strdup_printf ("ATTACH DATABASE ?1 AS %s", schema);

  return hb_db_run (self, error, sql, "t", file);
}

/* WAL lets readers go on while a writer commits; NORMAL is safe with WAL (a power cut may lose
 * the last commits, never corrupt). A read-only file keeps whatever mode it has. */
static gboolean
set_journal (HbStore *self, const char *schema, GError **error)
{
  g_autofree char *wal = g_strdup_printf ("PRAGMA %s.journal_mode = WAL", schema);
  g_autofree char *sync = g_strdup_printf ("PRAGMA %s.synchronous = NORMAL", schema);

  if (sqlite3_db_readonly (self->db, schema) == 1)
    return TRUE;
  return hb_db_exec (self, wal, error) && hb_db_exec (self, sync, error);
}

static gboolean
open_db (HbStore *self, const OpenData *d, GError **error)
{
  /* NOMUTEX: only the worker thread ever touches this connection, so SQLite need not lock it
   * around every call (it did: about a thousand mutex round trips per heartbeat). */
  int rc = sqlite3_open_v2 (self->path, &self->db,
                            SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | SQLITE_OPEN_NOMUTEX,
                            hb_db_vfs_name ());

  if (rc != SQLITE_OK)
    {
      g_set_error (error, HB_ERROR, (rc & 0xff) == SQLITE_READONLY ? HB_ERROR_READ_ONLY : HB_ERROR_DB,
                   "Cannot open %s: %s", self->path,
                   self->db != NULL ? sqlite3_errmsg (self->db) : sqlite3_errstr (rc));
      close_db (self);
      return FALSE;
    }
  sqlite3_extended_result_codes (self->db, 1);
  hb_db_install_busy_handler (self);
  self->read_only = sqlite3_db_readonly (self->db, "main") == 1;

  /* Temporary b-trees (an ORDER BY without an index) stay in memory instead of a file. */
  if (!hb_db_exec (self, "PRAGMA foreign_keys = ON", error) ||
      !hb_db_exec (self, "PRAGMA temp_store = MEMORY", error))
    return FALSE;
  if (d->ledger_path != NULL)
    {
      if (!attach (self, d->ledger_path, "ledger", error))
        return FALSE;
      self->ledger_schema = "ledger";
    }
  if (d->memory_path != NULL)
    {
      if (!attach (self, d->memory_path, "memory", error))
        return FALSE;
      self->memory_schema = "memory";
    }
  if (!set_journal (self, "main", error) ||
      (d->ledger_path != NULL && !set_journal (self, "ledger", error)) ||
      (d->memory_path != NULL && !set_journal (self, "memory", error)))
    return FALSE;

  if (!hb_store_schema_migrate (self, error) || !hb_store_schema_detect (self, error))
    return FALSE;
  if (self->read_only)
    {
      g_message ("%s is read-only: runs left running are not marked interrupted", self->path);
      return TRUE;
    }
  return hb_store_runs_recover (self, error);
}

static void
open_job (HbStore *self, GTask *task, gpointer data)
{
  GError *error = NULL;

  if (!open_db (self, data, &error))
    {
      close_db (self);
      g_task_return_error (task, error);
      return;
    }
  g_task_return_boolean (task, TRUE);
}

HbStore *
hb_store_open (const HbStoreOptions *options, GError **error)
{
  g_autoptr(HbStore) self = NULL;
  g_autofree char *dir = NULL;
  g_autoptr(GError) local = NULL;
  OpenData data;

  if (options == NULL || options->path == NULL || options->path[0] == '\0')
    {
      g_set_error_literal (error, HB_ERROR, HB_ERROR_DB, "No database path given");
      return NULL;
    }
  dir = g_path_get_dirname (options->path);
  if (!g_file_test (dir, G_FILE_TEST_IS_DIR) && g_mkdir_with_parents (dir, 0700) != 0)
    {
      int saved = errno;

      g_set_error (error, HB_ERROR, saved == EROFS || saved == EACCES ? HB_ERROR_READ_ONLY : HB_ERROR_DB,
                   "Cannot create %s: %s", dir, g_strerror (saved));
      return NULL;
    }

  self = g_object_new (HB_TYPE_STORE, NULL);
  self->path = g_strdup (options->path);
  self->pool = g_thread_pool_new (worker_func, self, 1, TRUE, &local);
  if (self->pool == NULL)
    {
      g_set_error (error, HB_ERROR, HB_ERROR_DB, "Cannot start the database thread: %s",
                   local->message);
      return NULL;
    }

  data.ledger_path = options->ledger_path;
  data.memory_path = options->memory_path;
  if (!run_sync (self, open_job, &data, error))
    return NULL;
  g_debug ("opened %s (ledger in %s, memories in %s)", self->path, self->ledger_schema,
           self->memory_schema);
  return g_steal_pointer (&self);
}

const char *
hb_store_get_path (HbStore *self)
{
  g_return_val_if_fail (HB_IS_STORE (self), NULL);
  return self->path;
}

void
hb_store_set_fault (HbStore *self, HbStoreFault fault)
{
  g_return_if_fail (HB_IS_STORE (self));
  g_atomic_int_set (&self->fault, (gint) fault);
}
