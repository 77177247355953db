/* hb-service-watch.c: threads written into the database by other processes (the chat application)
 * appear and disappear without polling: a file monitor on the database and its WAL says that
 * something was written, PRAGMA data_version says whether someone else wrote it. */
#include "config.h"

#include "hb-service-private.h"

/* Noticed writes are checked after this much quiet. */
#define EXTERNAL_DEBOUNCE_MS 150

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
        hb_service_add_row (self, row);
      else if (!t->running && !t->queued)
        {
          HbThreadChanged changed = hb_thread_apply_row (t, row, self->config->defaults);

          /* A new configuration or another writer's last run moves the due time. */
          if (changed & (HB_THREAD_CHANGED_CONFIG | HB_THREAD_CHANGED_LAST_RUN))
            hb_scheduler_reschedule (self->scheduler, t);
          hb_service_emit_thread_changed (self, t, changed);
        }
    }
  g_hash_table_iter_init (&iter, self->threads);
  while (g_hash_table_iter_next (&iter, NULL, &value))
    if (!g_hash_table_contains (seen, ((HbThread *) value)->id))
      g_ptr_array_add (gone, value);
  for (guint i = 0; i < gone->len; i++)
    hb_service_remove_thread (self, gone->pdata[i]);
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
  hb_store_get_data_version_async (hb_pipeline_get_store (self->pipeline), NULL, on_data_version, g_object_ref (self));
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

void
hb_service_watch_start (HbService *self)
{
  const char *path = hb_store_get_path (hb_pipeline_get_store (self->pipeline));
  g_autofree char *wal = g_strconcat (path, "-wal", NULL);

  self->db_monitor = watch_file (self, path);
  self->wal_monitor = watch_file (self, wal);
}

void
hb_service_watch_stop (HbService *self)
{
  g_clear_handle_id (&self->external_id, g_source_remove);
  if (self->db_monitor != NULL)
    g_signal_handlers_disconnect_by_data (self->db_monitor, self);
  if (self->wal_monitor != NULL)
    g_signal_handlers_disconnect_by_data (self->wal_monitor, self);
  g_clear_object (&self->db_monitor);
  g_clear_object (&self->wal_monitor);
}
