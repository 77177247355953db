/* hb-dbus-signals.c: what clients watch: the Manager's properties, the thread objects'
 * PropertiesChanged, InterfacesAdded/-Removed, RunStarted and HeartbeatCompleted, and how their
 * changes are gathered. */
#include "config.h"

#include "hb-dbus-private.h"

/* A thread's property changes wait this long, so that those of a short run (Running, then its
 * results) go out as one PropertiesChanged; a run's changes are sent before its
 * HeartbeatCompleted in any case. */
#define THREAD_CHANGES_DELAY_MS 50
/* The Manager's run counters (Running, ActiveRuns, QueuedRuns) change with every run: while runs
 * are going on they are updated at most once per period; a change after a quiet period, and the
 * change to idle, go out at once (so that after the last HeartbeatCompleted they read idle). */
#define COUNTERS_PERIOD_US (50 * G_TIME_SPAN_MILLISECOND)

/* ---- the Manager's state ------------------------------------------------------------------- */

static void
set_counters (HbDbus *self)
{
  HbScheduler *s = hb_service_get_scheduler (self->service);
  HbExportedManager *m = self->manager;
  guint active = hb_scheduler_get_active_runs (s);

  self->counters_at = g_get_monotonic_time ();
  hb_exported_manager_set_running (m, active > 0);
  hb_exported_manager_set_active_runs (m, active);
  hb_exported_manager_set_queued_runs (m, hb_scheduler_get_queued_runs (s));
}

static gboolean
on_counters_due (gpointer user_data)
{
  HbDbus *self = user_data;

  self->counters_id = 0;
  set_counters (self);
  return G_SOURCE_REMOVE;
}

void
hb_dbus_sync_manager (HbDbus *self, gboolean now)
{
  HbScheduler *s = hb_service_get_scheduler (self->service);
  HbExportedManager *m = self->manager;
  gint64 since = g_get_monotonic_time () - self->counters_at;
  gboolean idle = hb_scheduler_get_active_runs (s) == 0 && hb_scheduler_get_queued_runs (s) == 0;

  gboolean enabled = hb_scheduler_get_enabled (s);
  guint64 next_wakeup = (guint64) MAX (hb_scheduler_get_next_wakeup (s), 0);
  const char *backend = hb_backend_state_to_string (hb_scheduler_get_backend_state (s));
  gboolean breaker = hb_scheduler_get_breaker_open (s);
  guint max_concurrent = hb_scheduler_get_max_concurrent (s);

  /* This runs twice per run: the generated setters go through g_object_set(), so compare first. */
  if (hb_exported_manager_get_enabled (m) != enabled)
    hb_exported_manager_set_enabled (m, enabled);
  if (hb_exported_manager_get_next_wakeup (m) != next_wakeup)
    hb_exported_manager_set_next_wakeup (m, next_wakeup);
  if (g_strcmp0 (hb_exported_manager_get_backend_state (m), backend) != 0)
    hb_exported_manager_set_backend_state (m, backend);
  if (hb_exported_manager_get_breaker_open (m) != breaker)
    hb_exported_manager_set_breaker_open (m, breaker);
  if (hb_exported_manager_get_max_concurrent (m) != max_concurrent)
    hb_exported_manager_set_max_concurrent (m, max_concurrent);

  if (now || idle || (self->counters_id == 0 && since >= COUNTERS_PERIOD_US))
    {
      g_clear_handle_id (&self->counters_id, g_source_remove);
      set_counters (self);
    }
  else if (self->counters_id == 0)
    self->counters_id = g_timeout_add ((guint) ((COUNTERS_PERIOD_US - since) / 1000) + 1,
                                       on_counters_due, self);
}

void
hb_dbus_sync_thread_list (HbDbus *self)
{
  g_autoptr(GPtrArray) threads = hb_service_list (self->service);
  g_autoptr(GPtrArray) paths = g_ptr_array_new_full (threads->len + 1, NULL);

  for (guint i = 0; i < threads->len; i++)
    g_ptr_array_add (paths, ((HbThread *) threads->pdata[i])->object_path);
  g_ptr_array_add (paths, NULL);
  hb_exported_manager_set_threads (self->manager, (const char *const *) paths->pdata);
}

/* ---- signals --------------------------------------------------------------------------------- */

static gboolean
flush (gpointer user_data)
{
  HbDbus *self = user_data;
  GHashTableIter iter;
  gpointer key, value;

  self->flush_id = 0;
  g_hash_table_iter_init (&iter, self->dirty);
  while (g_hash_table_iter_next (&iter, &key, &value))
    {
      HbThread *t = key;

      if (!t->removed)
        hb_dbus_thread_emit_changed (self->connection, t, GPOINTER_TO_UINT (value), self->stopped);
    }
  g_hash_table_remove_all (self->dirty);
  return G_SOURCE_REMOVE;
}

static gboolean
flush_threads (gpointer user_data)
{
  HbDbus *self = user_data;

  self->threads_id = 0;
  hb_dbus_sync_thread_list (self);
  return G_SOURCE_REMOVE;
}

/* Threads is rebuilt when the loop is next idle (once for many adds), right after the
 * InterfacesAdded/-Removed, not with the 50 ms gathering of property changes. */
static void
threads_changed (HbDbus *self)
{
  if (self->threads_id == 0)
    self->threads_id = g_idle_add (flush_threads, self);
}

static void
flush_later (HbDbus *self)
{
  if (self->flush_id == 0)
    self->flush_id = g_timeout_add (THREAD_CHANGES_DELAY_MS, flush, self);
}

static void
on_thread_changed (HbService *service, HbThread *t, guint what, HbDbus *self)
{
  guint flags = GPOINTER_TO_UINT (g_hash_table_lookup (self->dirty, t));

  /* The table unrefs the key passed in when it already holds that key. */
  g_hash_table_insert (self->dirty, hb_thread_ref (t), GUINT_TO_POINTER (flags | what));
  flush_later (self);
}

static void
on_thread_added (HbService *service, HbThread *t, HbDbus *self)
{
  GVariantBuilder ifaces;

  g_variant_builder_init (&ifaces, G_VARIANT_TYPE ("a{sa{sv}}"));
  g_variant_builder_add (&ifaces, "{s@a{sv}}", THREAD_IFACE, hb_dbus_thread_properties (t, self->stopped));
  g_dbus_connection_emit_signal (self->connection, NULL, MANAGER_PATH, OM_IFACE, "InterfacesAdded",
                                 g_variant_new ("(oa{sa{sv}})", t->object_path, &ifaces), NULL);
  threads_changed (self);
}

static void
on_thread_removed (HbService *service, HbThread *t, HbDbus *self)
{
  const char *ifaces[] = { THREAD_IFACE, NULL };

  g_dbus_connection_emit_signal (self->connection, NULL, MANAGER_PATH, OM_IFACE,
                                 "InterfacesRemoved",
                                 g_variant_new ("(o^as)", t->object_path, ifaces), NULL);
  threads_changed (self);
}

static void
on_run_started (HbService *service, HbThread *t, const char *run_id, HbDbus *self)
{
  hb_exported_manager_emit_run_started (self->manager, t->id, run_id);
}

static void
on_run_completed (HbService *service, HbThread *t, const HbRunResult *r, HbDbus *self)
{
  /* Property changes of the thread first, so that a client seeing the signal reads fresh ones. */
  if (g_hash_table_contains (self->dirty, t))
    {
      hb_dbus_thread_emit_changed (self->connection, t,
                                   GPOINTER_TO_UINT (g_hash_table_lookup (self->dirty, t)),
                                   self->stopped);
      g_hash_table_remove (self->dirty, t);
    }
  hb_exported_manager_emit_heartbeat_completed (self->manager, t->id, hb_run_result_to_variant (r));
}

static void
on_state_changed (HbService *service, HbDbus *self)
{
  gboolean stopped = !hb_scheduler_get_enabled (hb_service_get_scheduler (service));

  hb_dbus_sync_manager (self, FALSE);
  if (stopped != self->stopped)
    {
      /* Start and Stop change every thread's NextRun and SkipReason. */
      g_autoptr(GPtrArray) threads = hb_service_list (service);

      self->stopped = stopped;
      for (guint i = 0; i < threads->len; i++)
        on_thread_changed (service, threads->pdata[i], HB_THREAD_CHANGED_SCHEDULE, self);
    }
}

void
hb_dbus_watch_service (HbDbus *self)
{
  g_signal_connect (self->service, "thread-added", G_CALLBACK (on_thread_added), self);
  g_signal_connect (self->service, "thread-removed", G_CALLBACK (on_thread_removed), self);
  g_signal_connect (self->service, "thread-changed", G_CALLBACK (on_thread_changed), self);
  g_signal_connect (self->service, "run-started", G_CALLBACK (on_run_started), self);
  g_signal_connect (self->service, "run-completed", G_CALLBACK (on_run_completed), self);
  g_signal_connect (self->service, "state-changed", G_CALLBACK (on_state_changed), self);
}

void
hb_dbus_flush_changes (HbDbus *self)
{
  g_clear_handle_id (&self->counters_id, g_source_remove);
  g_clear_handle_id (&self->threads_id, g_source_remove);
  /* Changes still waiting go out before the objects do. */
  if (self->flush_id != 0)
    {
      g_clear_handle_id (&self->flush_id, g_source_remove);
      flush (self);
    }
}
