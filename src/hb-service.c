/* hb-service.c: the threads, their configuration, and watching the database for other writers */
#include "config.h"

#include "hb-error.h"
#include "hb-service.h"

/* Another process's commits are noticed through the file monitor; this much quiet first. */
#define EXTERNAL_DEBOUNCE_MS 150

struct _HbService
{
  GObject parent_instance;

  HbPipeline *pipeline;
  HbScheduler *scheduler;
  HbDaemonConfig *config;
  GHashTable *threads;          /* id -> HbThread* (a reference each) */
  GHashTable *paths;            /* object path -> HbThread* (borrowed from threads) */
  GList *waiters;               /* RunWaiter* */

  GFileMonitor *db_monitor;
  GFileMonitor *wal_monitor;
  guint external_id;
  gint64 data_version;
  gboolean checking_external;
  gboolean external_again;
  gboolean shutting_down;
};

G_DEFINE_FINAL_TYPE (HbService, hb_service, G_TYPE_OBJECT)

enum {
  SIGNAL_THREAD_ADDED,
  SIGNAL_THREAD_REMOVED,
  SIGNAL_THREAD_CHANGED,
  SIGNAL_RUN_STARTED,
  SIGNAL_RUN_COMPLETED,
  SIGNAL_STATE_CHANGED,
  SIGNAL_INSTRUCTIONS_CHANGED,
  N_SIGNALS
};
static guint signals[N_SIGNALS];

typedef struct
{
  char *run_id;
  GTask *task;
} RunWaiter;

static HbStore *
store_of (HbService *self)
{
  return hb_pipeline_get_store (self->pipeline);
}

/* ---- the thread table ----------------------------------------------------------------------- */

static HbThread *
add_from_row (HbService *self, const HbThreadRow *row)
{
  HbThread *t = hb_thread_new (row->thread_id);

  hb_thread_apply_row (t, row, self->config->defaults);
  if (t->config_problem != NULL)
    g_warning ("Thread %s: stored configuration: %s (defaults used for it)", t->id,
               t->config_problem);
  g_hash_table_insert (self->threads, t->id, t);
  g_hash_table_insert (self->paths, t->object_path, t);
  hb_scheduler_add_thread (self->scheduler, t);
  g_signal_emit (self, signals[SIGNAL_THREAD_ADDED], 0, t);
  return t;
}

static void
remove_thread (HbService *self, HbThread *t)
{
  g_autoptr(HbThread) keep = hb_thread_ref (t);

  hb_scheduler_remove_thread (self->scheduler, t);
  g_hash_table_remove (self->paths, t->object_path);
  g_hash_table_remove (self->threads, t->id);
  g_signal_emit (self, signals[SIGNAL_THREAD_REMOVED], 0, t);
}

HbThread *
hb_service_lookup (HbService *self, const char *thread_id)
{
  return thread_id != NULL ? g_hash_table_lookup (self->threads, thread_id) : NULL;
}

HbThread *
hb_service_lookup_path (HbService *self, const char *object_path)
{
  return object_path != NULL ? g_hash_table_lookup (self->paths, object_path) : NULL;
}

static int
compare_threads (gconstpointer a, gconstpointer b)
{
  return strcmp ((*(HbThread *const *) a)->id, (*(HbThread *const *) b)->id);
}

GPtrArray *
hb_service_list (HbService *self)
{
  GPtrArray *list = g_ptr_array_sized_new (g_hash_table_size (self->threads));
  GHashTableIter iter;
  gpointer value;

  g_hash_table_iter_init (&iter, self->threads);
  while (g_hash_table_iter_next (&iter, NULL, &value))
    g_ptr_array_add (list, value);

  g_ptr_array_sort (list, compare_threads);
  return list;
}

guint
hb_service_count (HbService *self)
{
  return g_hash_table_size (self->threads);
}

/* ---- other writers ---------------------------------------------------------------------------- */

static void check_external (HbService *self);

static void
sync_rows (HbService *self, GPtrArray *rows)
{
  g_autoptr(GHashTable) seen = g_hash_table_new (g_str_hash, g_str_equal);
  g_autoptr(GPtrArray) gone = g_ptr_array_new ();
  GHashTableIter iter;
  gpointer value;

  for (guint i = 0; i < rows->len; i++)
    {
      HbThreadRow *row = rows->pdata[i];
      HbThread *t = hb_service_lookup (self, row->thread_id);

      g_hash_table_add (seen, row->thread_id);
      if (t == NULL)
        add_from_row (self, row);
      else if (!t->running && !t->queued)
        {
          HbThreadChanged changed = hb_thread_apply_row (t, row, self->config->defaults);

          if (changed & HB_THREAD_CHANGED_CONFIG)
            hb_scheduler_reschedule (self->scheduler, t);
          if (changed != 0)
            g_signal_emit (self, signals[SIGNAL_THREAD_CHANGED], 0, t, (guint) changed);
        }
    }
  g_hash_table_iter_init (&iter, self->threads);
  while (g_hash_table_iter_next (&iter, NULL, &value))
    if (!g_hash_table_contains (seen, ((HbThread *) value)->id))
      g_ptr_array_add (gone, value);
  for (guint i = 0; i < gone->len; i++)
    remove_thread (self, gone->pdata[i]);
}

static void
on_external_rows (GObject *source, GAsyncResult *res, gpointer user_data)
{
  g_autoptr(HbService) self = user_data;
  g_autoptr(GError) error = NULL;
  g_autoptr(GPtrArray) rows = hb_store_list_threads_finish (HB_STORE (source), res, &error);

  self->checking_external = FALSE;
  if (rows == NULL)
    g_warning ("Could not read the threads after an outside change: %s", error->message);
  else if (!self->shutting_down)
    sync_rows (self, rows);
  if (self->external_again)
    check_external (self);
}

static void
on_data_version (GObject *source, GAsyncResult *res, gpointer user_data)
{
  g_autoptr(HbService) self = user_data;
  g_autoptr(GError) error = NULL;
  gint64 version = hb_store_get_data_version_finish (HB_STORE (source), res, &error);

  if (version < 0 || version == self->data_version || self->shutting_down)
    {
      if (version < 0)
        g_debug ("data_version: %s", error->message);
      self->checking_external = FALSE;
      if (self->external_again)
        check_external (self);
      return;
    }
  /* Another connection committed: read the thread list again. */
  self->data_version = version;
  hb_store_list_threads_async (HB_STORE (source), NULL, on_external_rows, g_object_ref (self));
}

static void
check_external (HbService *self)
{
  if (self->checking_external)
    {
      self->external_again = TRUE;
      return;
    }
  self->external_again = FALSE;
  self->checking_external = TRUE;
  hb_store_get_data_version_async (store_of (self), NULL, on_data_version, g_object_ref (self));
}

static gboolean
on_external_quiet (gpointer user_data)
{
  HbService *self = user_data;

  self->external_id = 0;
  check_external (self);
  return G_SOURCE_REMOVE;
}

static void
on_db_file_changed (GFileMonitor *monitor, GFile *file, GFile *other, GFileMonitorEvent event,
                    gpointer user_data)
{
  HbService *self = user_data;

  if (self->shutting_down)
    return;
  /* Our own writes trigger this too; data_version tells them apart, cheaply, off the loop. */
  g_clear_handle_id (&self->external_id, g_source_remove);
  self->external_id = g_timeout_add (EXTERNAL_DEBOUNCE_MS, on_external_quiet, self);
}

static GFileMonitor *
watch_file (HbService *self, const char *path)
{
  g_autoptr(GFile) file = g_file_new_for_path (path);
  g_autoptr(GError) error = NULL;
  GFileMonitor *monitor = g_file_monitor_file (file, G_FILE_MONITOR_NONE, NULL, &error);

  if (monitor == NULL)
    {
      g_warning ("Cannot watch %s for other writers: %s", path, error->message);
      return NULL;
    }
  g_signal_connect (monitor, "changed", G_CALLBACK (on_db_file_changed), self);
  return monitor;
}

/* ---- loading --------------------------------------------------------------------------------- */

static void
on_initial_version (GObject *source, GAsyncResult *res, gpointer user_data)
{
  GTask *task = user_data;
  HbService *self = g_task_get_source_object (task);
  gint64 version = hb_store_get_data_version_finish (HB_STORE (source), res, NULL);

  self->data_version = version;
  g_task_return_boolean (task, TRUE);
  g_object_unref (task);
}

static void
on_rows (GObject *source, GAsyncResult *res, gpointer user_data)
{
  GTask *task = user_data;
  HbService *self = g_task_get_source_object (task);
  g_autoptr(GError) error = NULL;
  g_autoptr(GPtrArray) rows = hb_store_list_threads_finish (HB_STORE (source), res, &error);
  const char *path = hb_store_get_path (HB_STORE (source));
  g_autofree char *wal = g_strconcat (path, "-wal", NULL);

  if (rows == NULL)
    {
      g_task_return_error (task, g_steal_pointer (&error));
      g_object_unref (task);
      return;
    }
  for (guint i = 0; i < rows->len; i++)
    add_from_row (self, rows->pdata[i]);
  g_debug ("%u threads loaded", rows->len);

  self->db_monitor = watch_file (self, path);
  self->wal_monitor = watch_file (self, wal);
  hb_store_get_data_version_async (HB_STORE (source), NULL, on_initial_version, task);
}

void
hb_service_load_async (HbService *self, GAsyncReadyCallback callback, gpointer user_data)
{
  GTask *task = g_task_new (self, NULL, callback, user_data);

  hb_store_list_threads_async (store_of (self), NULL, on_rows, task);
}

gboolean
hb_service_load_finish (HbService *self, GAsyncResult *result, GError **error)
{
  return g_task_propagate_boolean (G_TASK (result), error);
}

/* ---- adding threads --------------------------------------------------------------------------- */

static void
on_added_row (GObject *source, GAsyncResult *res, gpointer user_data)
{
  GTask *task = user_data;
  HbService *self = g_task_get_source_object (task);
  g_autoptr(GError) error = NULL;
  g_autoptr(HbThreadRow) row = hb_store_get_thread_finish (HB_STORE (source), res, &error);
  HbThread *t;

  if (row == NULL)
    {
      g_task_return_error (task, g_steal_pointer (&error));
      g_object_unref (task);
      return;
    }
  /* Another call may have added it meanwhile. */
  t = hb_service_lookup (self, row->thread_id);
  if (t == NULL)
    t = add_from_row (self, row);
  g_task_return_pointer (task, hb_thread_ref (t), (GDestroyNotify) hb_thread_unref);
  g_object_unref (task);
}

static void
on_ensured (GObject *source, GAsyncResult *res, gpointer user_data)
{
  GTask *task = user_data;
  g_autoptr(GError) error = NULL;

  if (!hb_store_ensure_thread_finish (HB_STORE (source), res, NULL, &error))
    {
      g_task_return_error (task, g_steal_pointer (&error));
      g_object_unref (task);
      return;
    }
  hb_store_get_thread_async (HB_STORE (source), g_task_get_task_data (task), NULL, on_added_row,
                             task);
}

void
hb_service_add_thread_async (HbService *self, const char *thread_id, GAsyncReadyCallback callback,
                             gpointer user_data)
{
  g_autoptr(GTask) task = g_task_new (self, NULL, callback, user_data);
  g_autoptr(GError) error = NULL;
  HbThread *t;

  if (!hb_thread_id_validate (thread_id, &error))
    {
      g_task_return_error (task, g_steal_pointer (&error));
      return;
    }
  t = hb_service_lookup (self, thread_id);
  if (t != NULL)
    {
      g_task_return_pointer (task, hb_thread_ref (t), (GDestroyNotify) hb_thread_unref);
      return;
    }
  g_task_set_task_data (task, g_strdup (thread_id), g_free);
  hb_store_ensure_thread_async (store_of (self), thread_id, NULL, on_ensured,
                                g_steal_pointer (&task));
}

HbThread *
hb_service_add_thread_finish (HbService *self, GAsyncResult *result, GError **error)
{
  return g_task_propagate_pointer (G_TASK (result), error);
}

/* ---- configuration ---------------------------------------------------------------------------- */

typedef struct
{
  HbThread *thread;
  JsonObject *overrides;
  JsonObject *previous;
} ConfigOp;

static void
config_op_free (ConfigOp *op)
{
  hb_thread_unref (op->thread);
  json_object_unref (op->overrides);
  json_object_unref (op->previous);
  g_free (op);
}

static void
on_config_saved (GObject *source, GAsyncResult *res, gpointer user_data)
{
  GTask *task = user_data;
  HbService *self = g_task_get_source_object (task);
  ConfigOp *op = g_task_get_task_data (task);
  g_autoptr(GError) error = NULL;

  if (!hb_store_save_config_finish (HB_STORE (source), res, &error))
    {
      /* Undo the change unless a later one replaced it meanwhile. */
      if (op->thread->overrides == op->overrides)
        {
          hb_thread_set_overrides (op->thread, op->previous, self->config->defaults);
          hb_scheduler_reschedule (self->scheduler, op->thread);
          g_signal_emit (self, signals[SIGNAL_THREAD_CHANGED], 0, op->thread,
                         (guint) HB_THREAD_CHANGED_CONFIG);
        }
      g_task_return_error (task, g_steal_pointer (&error));
      g_object_unref (task);
      return;
    }
  g_task_return_boolean (task, TRUE);
  g_object_unref (task);
}

void
hb_service_set_config_async (HbService *self, HbThread *thread, JsonObject *changes,
                             GAsyncReadyCallback callback, gpointer user_data)
{
  g_autoptr(GTask) task = g_task_new (self, NULL, callback, user_data);
  g_autoptr(GError) error = NULL;
  GPtrArray *field_errors = NULL;
  g_autoptr(JsonObject) overrides = NULL;
  g_autofree char *text = NULL;
  HbThreadChanged changed;
  ConfigOp *op;

  if (changes != NULL)
    overrides = hb_thread_config_merge (self->config->defaults, thread->overrides, changes,
                                        &field_errors, &error);
  else
    overrides = json_object_new ();
  if (overrides == NULL)
    {
      g_task_set_task_data (task, field_errors, (GDestroyNotify) g_ptr_array_unref);
      g_task_return_error (task, g_steal_pointer (&error));
      return;
    }
  g_clear_pointer (&field_errors, g_ptr_array_unref);

  /* Apply at once, so that a second change merges onto this one; the store writes the whole
   * override object, so the last write is the latest state. */
  op = g_new0 (ConfigOp, 1);
  op->thread = hb_thread_ref (thread);
  op->previous = json_object_ref (thread->overrides);
  op->overrides = json_object_ref (overrides);
  g_task_set_task_data (task, op, (GDestroyNotify) config_op_free);

  changed = hb_thread_set_overrides (thread, overrides, self->config->defaults);
  if (changed != 0)
    {
      hb_scheduler_reschedule (self->scheduler, thread);
      g_signal_emit (self, signals[SIGNAL_THREAD_CHANGED], 0, thread, (guint) changed);
    }
  text = json_object_get_size (overrides) > 0 ? hb_config_overrides_to_string (overrides) : NULL;
  hb_store_save_config_async (store_of (self), thread->id, text, NULL, on_config_saved,
                              g_steal_pointer (&task));
}

gboolean
hb_service_set_config_finish (HbService *self, GAsyncResult *result, GPtrArray **field_errors,
                              GError **error)
{
  GPtrArray *errors = g_task_get_task_data (G_TASK (result));
  gboolean ok = g_task_propagate_boolean (G_TASK (result), error);

  if (!ok && field_errors != NULL && errors != NULL &&
      g_error_matches (*error, HB_ERROR, HB_ERROR_INVALID_CONFIG))
    *field_errors = g_ptr_array_ref (errors);
  return ok;
}

/* ---- runs --------------------------------------------------------------------------------------- */

const char *
hb_service_run_now (HbService *self, HbThread *thread)
{
  return hb_scheduler_run_now (self->scheduler, thread);
}

void
hb_service_wait_run_async (HbService *self, const char *run_id, GCancellable *cancellable,
                           GAsyncReadyCallback callback, gpointer user_data)
{
  RunWaiter *w = g_new0 (RunWaiter, 1);

  w->run_id = g_strdup (run_id);
  w->task = g_task_new (self, cancellable, callback, user_data);
  self->waiters = g_list_prepend (self->waiters, w);
}

HbRunResult *
hb_service_wait_run_finish (HbService *self, GAsyncResult *result, GError **error)
{
  return g_task_propagate_pointer (G_TASK (result), error);
}

static void
on_run_completed (HbScheduler *scheduler, HbThread *t, const HbRunResult *r, HbService *self)
{
  for (GList *l = self->waiters; l != NULL;)
    {
      RunWaiter *w = l->data;
      GList *next = l->next;

      if (g_str_equal (w->run_id, r->run_id))
        {
          g_task_return_pointer (w->task, hb_run_result_copy (r), (GDestroyNotify) hb_run_result_free);
          g_object_unref (w->task);
          g_free (w->run_id);
          g_free (w);
          self->waiters = g_list_delete_link (self->waiters, l);
        }
      l = next;
    }
  g_signal_emit (self, signals[SIGNAL_RUN_COMPLETED], 0, t, r);
}

static void
on_preview (GObject *source, GAsyncResult *res, gpointer user_data)
{
  GTask *task = user_data;
  GError *error = NULL;
  HbRunResult *r = hb_pipeline_run_finish (HB_PIPELINE (source), res, &error);

  if (r == NULL)
    g_task_return_error (task, error);
  else
    g_task_return_pointer (task, r, (GDestroyNotify) hb_run_result_free);
  g_object_unref (task);
}

void
hb_service_preview_async (HbService *self, HbThread *thread, GCancellable *cancellable,
                          GAsyncReadyCallback callback, gpointer user_data)
{
  GTask *task = g_task_new (self, cancellable, callback, user_data);
  HbRunRequest req = { 0 };

  req.thread_id = thread->id;
  req.config = thread->config;
  req.preview = TRUE;
  hb_pipeline_run_async (self->pipeline, &req, cancellable, on_preview, task);
}

HbRunResult *
hb_service_preview_finish (HbService *self, GAsyncResult *result, GError **error)
{
  return g_task_propagate_pointer (G_TASK (result), error);
}

void
hb_service_start (HbService *self)
{
  hb_scheduler_set_enabled (self->scheduler, TRUE);
}

void
hb_service_stop (HbService *self)
{
  hb_scheduler_set_enabled (self->scheduler, FALSE);
}

/* ---- shutdown ----------------------------------------------------------------------------------- */

static void
on_scheduler_shut (GObject *source, GAsyncResult *res, gpointer user_data)
{
  GTask *task = user_data;
  HbService *self = g_task_get_source_object (task);

  hb_scheduler_shutdown_finish (HB_SCHEDULER (source), res, NULL);
  /* Runs still awaited will not come now. */
  while (self->waiters != NULL)
    {
      RunWaiter *w = self->waiters->data;

      g_task_return_new_error (w->task, HB_ERROR, HB_ERROR_NOT_RUNNING, "the daemon is stopping");
      g_object_unref (w->task);
      g_free (w->run_id);
      g_free (w);
      self->waiters = g_list_delete_link (self->waiters, self->waiters);
    }
  g_task_return_boolean (task, TRUE);
  g_object_unref (task);
}

void
hb_service_shutdown_async (HbService *self, GAsyncReadyCallback callback, gpointer user_data)
{
  GTask *task = g_task_new (self, NULL, callback, user_data);

  self->shutting_down = TRUE;
  g_clear_handle_id (&self->external_id, g_source_remove);
  g_clear_object (&self->db_monitor);
  g_clear_object (&self->wal_monitor);
  hb_scheduler_shutdown_async (self->scheduler, on_scheduler_shut, task);
}

gboolean
hb_service_shutdown_finish (HbService *self, GAsyncResult *result, GError **error)
{
  return g_task_propagate_boolean (G_TASK (result), error);
}

/* ---- object ------------------------------------------------------------------------------------- */

HbScheduler *
hb_service_get_scheduler (HbService *self)
{
  return self->scheduler;
}

HbPipeline *
hb_service_get_pipeline (HbService *self)
{
  return self->pipeline;
}

const HbDaemonConfig *
hb_service_get_config (HbService *self)
{
  return self->config;
}

static void
forward_run_started (HbScheduler *s, HbThread *t, const char *run_id, HbService *self)
{
  g_signal_emit (self, signals[SIGNAL_RUN_STARTED], 0, t, run_id);
}

static void
forward_thread_changed (HbScheduler *s, HbThread *t, guint what, HbService *self)
{
  g_signal_emit (self, signals[SIGNAL_THREAD_CHANGED], 0, t, what);
}

static void
forward_state_changed (HbScheduler *s, HbService *self)
{
  g_signal_emit (self, signals[SIGNAL_STATE_CHANGED], 0);
}

static void
forward_instructions_changed (HbInstructions *i, HbService *self)
{
  g_signal_emit (self, signals[SIGNAL_INSTRUCTIONS_CHANGED], 0);
}

static void
hb_service_dispose (GObject *object)
{
  HbService *self = HB_SERVICE (object);

  g_clear_handle_id (&self->external_id, g_source_remove);
  g_clear_object (&self->db_monitor);
  g_clear_object (&self->wal_monitor);
  if (self->scheduler != NULL)
    g_signal_handlers_disconnect_by_data (self->scheduler, self);
  if (self->pipeline != NULL)
    g_signal_handlers_disconnect_by_data (hb_pipeline_get_instructions (self->pipeline), self);
  g_clear_object (&self->scheduler);
  G_OBJECT_CLASS (hb_service_parent_class)->dispose (object);
}

static void
hb_service_finalize (GObject *object)
{
  HbService *self = HB_SERVICE (object);

  g_hash_table_unref (self->paths);
  g_hash_table_unref (self->threads);
  g_clear_object (&self->pipeline);
  G_OBJECT_CLASS (hb_service_parent_class)->finalize (object);
}

static void
hb_service_class_init (HbServiceClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);
  GType type = G_TYPE_FROM_CLASS (klass);

  object_class->dispose = hb_service_dispose;
  object_class->finalize = hb_service_finalize;

  signals[SIGNAL_THREAD_ADDED] = g_signal_new ("thread-added", type, G_SIGNAL_RUN_LAST, 0, NULL,
                                               NULL, NULL, G_TYPE_NONE, 1, G_TYPE_POINTER);
  signals[SIGNAL_THREAD_REMOVED] = g_signal_new ("thread-removed", type, G_SIGNAL_RUN_LAST, 0,
                                                 NULL, NULL, NULL, G_TYPE_NONE, 1, G_TYPE_POINTER);
  signals[SIGNAL_THREAD_CHANGED] = g_signal_new ("thread-changed", type, G_SIGNAL_RUN_LAST, 0,
                                                 NULL, NULL, NULL, G_TYPE_NONE, 2, G_TYPE_POINTER,
                                                 G_TYPE_UINT);
  signals[SIGNAL_RUN_STARTED] = g_signal_new ("run-started", type, G_SIGNAL_RUN_LAST, 0, NULL,
                                              NULL, NULL, G_TYPE_NONE, 2, G_TYPE_POINTER,
                                              G_TYPE_STRING);
  signals[SIGNAL_RUN_COMPLETED] = g_signal_new ("run-completed", type, G_SIGNAL_RUN_LAST, 0, NULL,
                                                NULL, NULL, G_TYPE_NONE, 2, G_TYPE_POINTER,
                                                G_TYPE_POINTER);
  signals[SIGNAL_STATE_CHANGED] = g_signal_new ("state-changed", type, G_SIGNAL_RUN_LAST, 0, NULL,
                                                NULL, NULL, G_TYPE_NONE, 0);
  signals[SIGNAL_INSTRUCTIONS_CHANGED] = g_signal_new ("instructions-changed", type,
                                                       G_SIGNAL_RUN_LAST, 0, NULL, NULL, NULL,
                                                       G_TYPE_NONE, 0);
}

static void
hb_service_init (HbService *self)
{
  self->threads = g_hash_table_new_full (g_str_hash, g_str_equal, NULL,
                                         (GDestroyNotify) hb_thread_unref);
  self->paths = g_hash_table_new (g_str_hash, g_str_equal);
  self->data_version = -1;
}

HbService *
hb_service_new (HbPipeline *pipeline, HbDaemonConfig *config)
{
  HbService *self = g_object_new (HB_TYPE_SERVICE, NULL);

  self->pipeline = g_object_ref (pipeline);
  self->config = config;
  self->scheduler = hb_scheduler_new (pipeline, config);
  g_signal_connect (self->scheduler, "run-started", G_CALLBACK (forward_run_started), self);
  g_signal_connect (self->scheduler, "run-completed", G_CALLBACK (on_run_completed), self);
  g_signal_connect (self->scheduler, "thread-changed", G_CALLBACK (forward_thread_changed), self);
  g_signal_connect (self->scheduler, "state-changed", G_CALLBACK (forward_state_changed), self);
  g_signal_connect (hb_pipeline_get_instructions (pipeline), "changed",
                    G_CALLBACK (forward_instructions_changed), self);
  return self;
}
