/* hb-service.c: the threads, their configuration, and watching the database for other writers */
#include "config.h"

#include "hb-error.h"
#include "hb-service-private.h"

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

HbThread *
hb_service_add_row (HbService *self, const HbThreadRow *row)
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

void
hb_service_remove_thread (HbService *self, HbThread *t)
{
  /* The tables may hold the last references; the signal's handlers still need @t. (Not a
   * g_autoptr: clang counts a variable that only has a cleanup as unused.) */
  hb_thread_ref (t);
  hb_scheduler_remove_thread (self->scheduler, t);
  g_hash_table_remove (self->paths, t->object_path);
  g_hash_table_remove (self->threads, t->id);
  g_signal_emit (self, signals[SIGNAL_THREAD_REMOVED], 0, t);
  hb_thread_unref (t);
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

  if (rows == NULL)
    {
      g_task_return_error (task, g_steal_pointer (&error));
      g_object_unref (task);
      return;
    }
  for (guint i = 0; i < rows->len; i++)
    hb_service_add_row (self, rows->pdata[i]);
  g_debug ("%u threads loaded", rows->len);

  hb_service_watch_start (self);
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
    t = hb_service_add_row (self, row);
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
  g_clear_pointer (&op->previous, json_object_unref);
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
      if (op->thread->overrides == op->overrides ||
          (op->thread->overrides == NULL && json_object_get_size (op->overrides) == 0))
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
  op->previous = thread->overrides != NULL ? json_object_ref (thread->overrides) : NULL;
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
  hb_service_watch_stop (self);
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

void
hb_service_emit_thread_changed (HbService *self, HbThread *t, guint what)
{
  if (what != 0)
    g_signal_emit (self, signals[SIGNAL_THREAD_CHANGED], 0, t, what);
}

static void
forward_thread_changed (HbScheduler *s, HbThread *t, guint what, HbService *self)
{
  hb_service_emit_thread_changed (self, t, what);
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

  hb_service_watch_stop (self);
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
