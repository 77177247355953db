/* hb-scheduler.c: the due queue, the one timer, the run queue, backoff and the breaker */
#include "config.h"

#include "hb-error.h"
#include "hb-schedule.h"
#include "hb-scheduler-private.h"

/* A timer that fires this much later than asked means the machine slept (the monotonic clock
 * GLib's timers use stops during suspend) or the wall clock jumped. */
#define LATE_FIRE_US (30 * G_USEC_PER_SEC)

G_DEFINE_FINAL_TYPE (HbScheduler, hb_scheduler, G_TYPE_OBJECT)

enum { SIGNAL_RUN_STARTED, SIGNAL_RUN_COMPLETED, SIGNAL_THREAD_CHANGED, SIGNAL_STATE_CHANGED, N_SIGNALS };
static guint signals[N_SIGNALS];

static void pump (HbScheduler *self);

static void
thread_changed (HbScheduler *self, HbThread *t, HbThreadChanged what)
{
  if (what != 0)
    g_signal_emit (self, signals[SIGNAL_THREAD_CHANGED], 0, t, (guint) what);
}

void
hb_scheduler_state_changed (HbScheduler *self)
{
  g_signal_emit (self, signals[SIGNAL_STATE_CHANGED], 0);
}

/* ---- persisting due times ----------------------------------------------------------------- */

static gboolean flush_persist (gpointer user_data);

static void
on_persisted (GObject *source, GAsyncResult *res, gpointer user_data)
{
  g_autoptr(HbScheduler) self = user_data;
  g_autoptr(GError) error = NULL;

  if (!hb_store_save_next_due_finish (HB_STORE (source), res, &error))
    g_warning ("Could not persist due times: %s", error->message);
  self->persisting = FALSE;
  if (g_hash_table_size (self->persist) > 0 && self->persist_id == 0)
    self->persist_id = g_idle_add (flush_persist, self);
  if (self->shutdown_task != NULL && g_hash_table_size (self->running) == 0)
    {
      g_task_return_boolean (self->shutdown_task, TRUE);
      g_clear_object (&self->shutdown_task);
    }
}

static gboolean
flush_persist (gpointer user_data)
{
  HbScheduler *self = user_data;
  guint n = g_hash_table_size (self->persist);
  g_autofree const char **ids = g_new0 (const char *, n + 1);
  g_autofree gint64 *due = g_new0 (gint64, n + 1);
  GHashTableIter iter;
  gpointer key;
  guint i = 0;

  self->persist_id = 0;
  if (self->persisting || n == 0)
    return G_SOURCE_REMOVE;

  g_hash_table_iter_init (&iter, self->persist);
  while (g_hash_table_iter_next (&iter, &key, NULL))
    {
      HbThread *t = key;

      ids[i] = t->id;
      due[i] = t->next_run;
      t->persisted_due = t->next_run;
      i++;
    }
  self->persisting = TRUE;
  /* The store copies the ids before this returns. */
  hb_store_save_next_due_async (hb_pipeline_get_store (self->pipeline), ids, due, i, NULL,
                                on_persisted, g_object_ref (self));
  g_hash_table_remove_all (self->persist);
  return G_SOURCE_REMOVE;
}

static void
persist_later (HbScheduler *self, HbThread *t)
{
  if (t->next_run == t->persisted_due || t->removed)
    return;
  if (!g_hash_table_contains (self->persist, t))
    g_hash_table_add (self->persist, hb_thread_ref (t));
  if (self->persist_id == 0)
    self->persist_id = g_idle_add (flush_persist, self);
}

/* ---- the due queue -------------------------------------------------------------------------- */

static int
compare_due (gconstpointer a, gconstpointer b, gpointer user_data)
{
  const HbThread *x = a;
  const HbThread *y = b;

  if (x->next_run != y->next_run)
    return x->next_run < y->next_run ? -1 : 1;
  return strcmp (x->id, y->id);
}

static void
unqueue_due (HbScheduler *self, HbThread *t)
{
  if (t->due_node == NULL)
    return;
  g_sequence_remove (t->due_node);
  t->due_node = NULL;
}

/* Compute the thread's next run and put it in the due queue. Returns what changed. */
static HbThreadChanged
compute (HbScheduler *self, HbThread *t, gint64 now)
{
  g_autofree char *old_reason = g_strdup (t->skip_reason);
  gint64 old_next = t->next_run;
  HbDueReason why = HB_DUE_ON_TIME;

  unqueue_due (self, t);
  if (t->removed || t->queued || t->running)
    return 0;

  if (!t->config->enabled)
    {
      t->next_run = 0;
      hb_thread_set_string (&t->skip_reason, "disabled");
    }
  else
    {
      /* The zone only matters with active hours; looking it up costs a file check. */
      g_autoptr(GTimeZone) tz = t->config->active_start >= 0
                                  ? hb_timezone_lookup (t->config->timezone, NULL) : NULL;
      HbDueInput in = {
        .now = now,
        .last_run = t->last_run,
        .persisted_due = t->persisted_due,
        .every = t->config->every,
        .offset = hb_due_offset (t->id, t->config->every, self->offset_max),
        .active_start = t->config->active_start,
        .active_end = t->config->active_end,
        .tz = tz,
        .retry_at = t->retry_at,
      };

      if (tz == NULL && t->config->active_start >= 0)
        in.tz = tz = g_time_zone_new_local ();
      t->next_run = hb_due_compute (&in, &why);
      hb_thread_set_string (&t->skip_reason,
                            why == HB_DUE_BACKOFF || why == HB_DUE_ACTIVE_HOURS
                              ? hb_due_reason_to_string (why)
                              : self->breaker.open ? "breaker-open" : "");
      t->due_node = g_sequence_insert_sorted (self->due, t, compare_due, NULL);
    }
  persist_later (self, t);
  return (old_next != t->next_run ? HB_THREAD_CHANGED_NEXT_RUN : 0) |
         (g_strcmp0 (old_reason, t->skip_reason) != 0 ? HB_THREAD_CHANGED_SKIP_REASON : 0);
}

static gboolean
on_timer (gpointer user_data)
{
  HbScheduler *self = user_data;
  gint64 now = g_get_real_time ();

  self->timer_id = 0;
  if (now - self->timer_due > LATE_FIRE_US)
    {
      /* Slept or the clock jumped: every due time in the past is a missed run. */
      g_debug ("Timer fired %" G_GINT64_FORMAT " s late; re-evaluating due times",
               (now - self->timer_due) / G_USEC_PER_SEC);
      self->timer_due = 0;
      hb_scheduler_time_changed (self);
      return G_SOURCE_REMOVE;
    }
  self->timer_due = 0;

  while (g_sequence_get_length (self->due) > 0)
    {
      GSequenceIter *first = g_sequence_get_begin_iter (self->due);
      HbThread *t = g_sequence_get (first);

      if (t->next_run > now)
        break;
      unqueue_due (self, t);
      t->queued = TRUE;
      hb_thread_set_string (&t->current_run_id, NULL);
      {
        g_autofree char *run_id = g_uuid_string_random ();

        hb_thread_set_string (&t->current_run_id, run_id);
      }
      g_queue_push_tail (&self->runq, hb_thread_ref (t));
    }
  pump (self);
  hb_scheduler_arm (self);
  hb_scheduler_state_changed (self);
  return G_SOURCE_REMOVE;
}

void
hb_scheduler_arm (HbScheduler *self)
{
  gint64 target = 0;

  if (self->enabled && !self->shutting_down && !self->breaker.open &&
      g_sequence_get_length (self->due) > 0)
    target = ((HbThread *) g_sequence_get (g_sequence_get_begin_iter (self->due)))->next_run;

  if (target != self->timer_due || target == 0)
    {
      g_clear_handle_id (&self->timer_id, g_source_remove);
      self->timer_due = target;
      if (target != 0)
        {
          gint64 delay_ms = (target - g_get_real_time () + 999) / 1000;

          self->timer_id = g_timeout_add_full (G_PRIORITY_DEFAULT, (guint) CLAMP (delay_ms, 0, G_MAXINT),
                                               on_timer, self, NULL);
        }
    }
  if (self->next_wakeup != target)
    {
      self->next_wakeup = target;
      hb_scheduler_state_changed (self);
    }
}

/* ---- running ------------------------------------------------------------------------------- */

static void
finish_shutdown_if_idle (HbScheduler *self)
{
  if (self->shutdown_task == NULL || g_hash_table_size (self->running) > 0)
    return;
  /* Write the due times now; the task completes when they are stored. */
  g_clear_handle_id (&self->persist_id, g_source_remove);
  if (self->persisting)
    return;
  if (g_hash_table_size (self->persist) > 0)
    {
      flush_persist (self);
      return;
    }
  g_task_return_boolean (self->shutdown_task, TRUE);
  g_clear_object (&self->shutdown_task);
}

typedef struct
{
  HbScheduler *self;
  HbThread *thread;
} RunCtx;

static void
on_run_done (GObject *source, GAsyncResult *res, gpointer user_data)
{
  g_autofree RunCtx *ctx = user_data;
  g_autoptr(HbScheduler) self = ctx->self;
  HbThread *t = ctx->thread; /* the reference is self->running's */
  g_autoptr(GError) error = NULL;
  g_autoptr(HbRunResult) result = hb_pipeline_run_finish (HB_PIPELINE (source), res, &error);
  gint64 now = g_get_real_time ();
  HbThreadChanged changed = HB_THREAD_CHANGED_RUNNING;

  t->running = FALSE;
  g_clear_object (&t->cancellable);
  hb_thread_set_string (&t->current_run_id, NULL);

  if (result == NULL)
    {
      g_warning ("Run of thread %s could not be made: %s", t->id, error->message);
    }
  else
    {
      changed |= hb_thread_apply_result (t, result);
      if (hb_scheduler_note_backend (self, result))
        {
          t->failures++;
          t->retry_at = now + hb_due_backoff (t->failures, t->config->every, g_random_double ());
        }
      else if (result->status != HB_RUN_STATUS_INTERRUPTED)
        {
          t->failures = 0;
          t->retry_at = 0;
        }
    }

  if (!self->shutting_down)
    {
      changed |= compute (self, t, now);
      /* A run skipped or refused by a budget says why until the next one, unless the schedule
       * itself holds the thread back. */
      if (result != NULL && t->skip_reason[0] == '\0' &&
          (result->status == HB_RUN_STATUS_SKIPPED ||
           (result->status == HB_RUN_STATUS_INVALID &&
            (g_str_equal (result->reason, "rate-limited") || g_str_equal (result->reason, "duplicate")))) &&
          hb_thread_set_string (&t->skip_reason, result->reason))
        changed |= HB_THREAD_CHANGED_SKIP_REASON;
    }
  thread_changed (self, t, changed);
  /* After the property changes, so that whoever sees the signal reads fresh properties. */
  if (result != NULL)
    g_signal_emit (self, signals[SIGNAL_RUN_COMPLETED], 0, t, result);

  g_hash_table_remove (self->running, t);
  pump (self);
  hb_scheduler_arm (self);
  hb_scheduler_state_changed (self);
  finish_shutdown_if_idle (self);
}

static void
start (HbScheduler *self, HbThread *t)
{
  HbRunRequest req = { 0 };
  RunCtx *ctx;

  t->queued = FALSE;
  t->running = TRUE;
  t->cancellable = g_cancellable_new ();
  g_hash_table_add (self->running, t); /* takes the run queue's reference */

  req.thread_id = t->id;
  req.run_id = t->current_run_id;
  req.scheduled_for = t->next_run; /* 0 for RunNow */
  req.config = t->config;
  req.skip_unchanged = self->skip_unchanged && req.scheduled_for != 0;
  req.last_fingerprint = t->last_fingerprint[0] != '\0' ? t->last_fingerprint : NULL;

  g_signal_emit (self, signals[SIGNAL_RUN_STARTED], 0, t, t->current_run_id);
  thread_changed (self, t, HB_THREAD_CHANGED_RUNNING);
  ctx = g_new0 (RunCtx, 1);
  ctx->self = g_object_ref (self);
  ctx->thread = t;
  hb_pipeline_run_async (self->pipeline, &req, t->cancellable, on_run_done, ctx);
}

static void
pump (HbScheduler *self)
{
  while (!self->shutting_down && g_hash_table_size (self->running) < self->max_concurrent &&
         !g_queue_is_empty (&self->runq))
    {
      HbThread *t = g_queue_pop_head (&self->runq);

      if (t->removed)
        {
          t->queued = FALSE;
          hb_thread_unref (t);
          continue;
        }
      if (self->breaker.open && t->next_run != 0)
        {
          /* A scheduled run queued before the breaker opened: hold it back too (RunNow, with
           * next_run 0, is the user's explicit wish and goes on). */
          t->queued = FALSE;
          hb_thread_set_string (&t->current_run_id, NULL);
          thread_changed (self, t, compute (self, t, g_get_real_time ()));
          hb_thread_unref (t);
          continue;
        }
      start (self, t);
    }
}

/* ---- public ------------------------------------------------------------------------------- */

void
hb_scheduler_add_thread (HbScheduler *self, HbThread *t)
{
  thread_changed (self, t, compute (self, t, g_get_real_time ()));
  hb_scheduler_arm (self);
}

void
hb_scheduler_remove_thread (HbScheduler *self, HbThread *t)
{
  t->removed = TRUE;
  unqueue_due (self, t);
  if (g_hash_table_remove (self->persist, t) && g_hash_table_size (self->persist) == 0)
    g_clear_handle_id (&self->persist_id, g_source_remove);
  hb_scheduler_arm (self);
}

void
hb_scheduler_reschedule (HbScheduler *self, HbThread *t)
{
  thread_changed (self, t, compute (self, t, g_get_real_time ()));
  hb_scheduler_arm (self);
}

void
hb_scheduler_time_changed (HbScheduler *self)
{
  g_autoptr(GPtrArray) threads = g_ptr_array_new ();
  gint64 now = g_get_real_time ();

  for (GSequenceIter *it = g_sequence_get_begin_iter (self->due); !g_sequence_iter_is_end (it);
       it = g_sequence_iter_next (it))
    g_ptr_array_add (threads, g_sequence_get (it));
  for (guint i = 0; i < threads->len; i++)
    {
      HbThread *t = threads->pdata[i];

      thread_changed (self, t, compute (self, t, now));
    }
  self->timer_due = -1; /* force re-arming with the new clock */
  hb_scheduler_arm (self);
}

const char *
hb_scheduler_run_now (HbScheduler *self, HbThread *t)
{
  g_autofree char *run_id = NULL;

  if (t->queued || t->running)
    return t->current_run_id;

  unqueue_due (self, t);
  run_id = g_uuid_string_random ();
  hb_thread_set_string (&t->current_run_id, run_id);
  t->queued = TRUE;
  /* On demand: not a scheduled run, so neither the unchanged check nor the breaker applies. */
  t->next_run = 0;
  g_queue_push_tail (&self->runq, hb_thread_ref (t));
  pump (self);
  hb_scheduler_arm (self);
  hb_scheduler_state_changed (self);
  return t->current_run_id;
}

void
hb_scheduler_set_enabled (HbScheduler *self, gboolean enabled)
{
  if (self->enabled == enabled)
    return;
  self->enabled = enabled;
  g_message ("Scheduler %s", enabled ? "started" : "stopped");
  if (enabled)
    hb_scheduler_time_changed (self);
  else
    hb_scheduler_arm (self);
  hb_scheduler_state_changed (self);
}

gboolean
hb_scheduler_get_enabled (HbScheduler *self)
{
  return self->enabled;
}

guint
hb_scheduler_get_active_runs (HbScheduler *self)
{
  return g_hash_table_size (self->running);
}

guint
hb_scheduler_get_queued_runs (HbScheduler *self)
{
  return self->runq.length;
}

guint
hb_scheduler_get_max_concurrent (HbScheduler *self)
{
  return self->max_concurrent;
}

gint64
hb_scheduler_get_next_wakeup (HbScheduler *self)
{
  return self->next_wakeup;
}

HbBackendState
hb_scheduler_get_backend_state (HbScheduler *self)
{
  return self->backend_state;
}

gboolean
hb_scheduler_get_breaker_open (HbScheduler *self)
{
  return self->breaker.open;
}

void
hb_scheduler_shutdown_async (HbScheduler *self, GAsyncReadyCallback callback, gpointer user_data)
{
  GHashTableIter iter;
  gpointer key;
  HbThread *t;

  g_return_if_fail (self->shutdown_task == NULL);
  self->shutdown_task = g_task_new (self, NULL, callback, user_data);
  self->shutting_down = TRUE;
  g_clear_handle_id (&self->timer_id, g_source_remove);
  g_clear_handle_id (&self->probe_id, g_source_remove);
  g_cancellable_cancel (self->probe_cancellable);

  /* Queued runs never began: nothing to record. */
  while ((t = g_queue_pop_head (&self->runq)) != NULL)
    {
      t->queued = FALSE;
      hb_thread_unref (t);
    }
  g_hash_table_iter_init (&iter, self->running);
  while (g_hash_table_iter_next (&iter, &key, NULL))
    g_cancellable_cancel (((HbThread *) key)->cancellable);
  finish_shutdown_if_idle (self);
}

gboolean
hb_scheduler_shutdown_finish (HbScheduler *self, GAsyncResult *result, GError **error)
{
  return g_task_propagate_boolean (G_TASK (result), error);
}

/* ---- object -------------------------------------------------------------------------------- */

static void
hb_scheduler_dispose (GObject *object)
{
  HbScheduler *self = HB_SCHEDULER (object);
  HbThread *t;

  g_clear_handle_id (&self->timer_id, g_source_remove);
  g_clear_handle_id (&self->probe_id, g_source_remove);
  g_clear_handle_id (&self->persist_id, g_source_remove);
  if (self->probe_cancellable != NULL)
    g_cancellable_cancel (self->probe_cancellable);
  while ((t = g_queue_pop_head (&self->runq)) != NULL)
    hb_thread_unref (t);
  G_OBJECT_CLASS (hb_scheduler_parent_class)->dispose (object);
}

static void
hb_scheduler_finalize (GObject *object)
{
  HbScheduler *self = HB_SCHEDULER (object);

  for (GSequenceIter *it = g_sequence_get_begin_iter (self->due); !g_sequence_iter_is_end (it);
       it = g_sequence_iter_next (it))
    ((HbThread *) g_sequence_get (it))->due_node = NULL;
  g_sequence_free (self->due);
  g_hash_table_unref (self->running);
  g_hash_table_unref (self->persist);
  g_clear_object (&self->pipeline);
  g_free (self->default_model);
  G_OBJECT_CLASS (hb_scheduler_parent_class)->finalize (object);
}

static void
hb_scheduler_class_init (HbSchedulerClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);

  object_class->dispose = hb_scheduler_dispose;
  object_class->finalize = hb_scheduler_finalize;

  signals[SIGNAL_RUN_STARTED] =
    g_signal_new ("run-started", G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST, 0, NULL, NULL,
                  NULL, G_TYPE_NONE, 2, G_TYPE_POINTER, G_TYPE_STRING);
  signals[SIGNAL_RUN_COMPLETED] =
    g_signal_new ("run-completed", G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST, 0, NULL, NULL,
                  NULL, G_TYPE_NONE, 2, G_TYPE_POINTER, G_TYPE_POINTER);
  signals[SIGNAL_THREAD_CHANGED] =
    g_signal_new ("thread-changed", G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST, 0, NULL, NULL,
                  NULL, G_TYPE_NONE, 2, G_TYPE_POINTER, G_TYPE_UINT);
  signals[SIGNAL_STATE_CHANGED] =
    g_signal_new ("state-changed", G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST, 0, NULL, NULL,
                  NULL, G_TYPE_NONE, 0);
}

static void
hb_scheduler_init (HbScheduler *self)
{
  self->due = g_sequence_new (NULL);
  g_queue_init (&self->runq);
  self->running = g_hash_table_new_full (NULL, NULL, (GDestroyNotify) hb_thread_unref, NULL);
  self->persist = g_hash_table_new_full (NULL, NULL, (GDestroyNotify) hb_thread_unref, NULL);
}

HbScheduler *
hb_scheduler_new (HbPipeline *pipeline, const HbDaemonConfig *config)
{
  HbScheduler *self = g_object_new (HB_TYPE_SCHEDULER, NULL);

  self->pipeline = g_object_ref (pipeline);
  self->max_concurrent = MAX (config->max_concurrent, 1);
  self->offset_max = config->offset_max;
  self->skip_unchanged = config->skip_unchanged;
  self->default_model = g_strdup (config->default_model != NULL ? config->default_model : "");
  self->breaker.threshold = config->breaker_threshold;
  self->enabled = config->enabled;
  return self;
}
