/* hb-scheduler-backend.c: what runs tell about the model server, the breaker, health probes */
#include "config.h"

#include "hb-scheduler-private.h"

static void schedule_probe (HbScheduler *self);

static gboolean
is_backend_failure (const HbRunResult *r)
{
  return r->status == HB_RUN_STATUS_FAILED &&
         (g_str_equal (r->reason, "backend-unavailable") || g_str_equal (r->reason, "timeout"));
}

/* Did the run reach the model server and get an answer (of any kind)? */
static gboolean
backend_answered (const HbRunResult *r)
{
  return (r->status == HB_RUN_STATUS_FAILED &&
          (g_str_equal (r->reason, "model-missing") || g_str_equal (r->reason, "protocol"))) ||
         r->raw_response[0] != '\0';
}

static void
set_backend_state (HbScheduler *self, HbBackendState state)
{
  if (self->backend_state == state)
    return;
  self->backend_state = state;
  hb_scheduler_state_changed (self);
}

static void
breaker_record (HbScheduler *self, gboolean failure)
{
  if (!hb_breaker_record (&self->breaker, failure))
    return;
  if (self->breaker.open)
    {
      g_message ("Backend failed %u times in a row: pausing scheduled runs and probing it",
                 self->breaker.consecutive);
      set_backend_state (self, HB_BACKEND_STATE_UNREACHABLE);
      schedule_probe (self);
    }
  else
    {
      g_message ("Backend answers again: resuming scheduled runs");
      g_clear_handle_id (&self->probe_id, g_source_remove);
    }
  /* Every thread's SkipReason says "breaker-open" while it is: compute them all again. */
  hb_scheduler_time_changed (self);
  hb_scheduler_state_changed (self);
}

/* ---- backend probes ------------------------------------------------------------------------- */

static void
on_probe (GObject *source, GAsyncResult *res, gpointer user_data)
{
  g_autoptr(HbScheduler) self = user_data;
  g_autofree char *detail = NULL;
  HbBackendState state = hb_llm_client_probe_finish (HB_LLM_CLIENT (source), res, &detail);

  g_clear_object (&self->probe_cancellable);
  if (self->shutting_down)
    return;
  g_debug ("Backend probe: %s%s%s", hb_backend_state_to_string (state), detail ? ": " : "",
           detail ? detail : "");
  set_backend_state (self, state);
  if (state == HB_BACKEND_STATE_AVAILABLE || state == HB_BACKEND_STATE_MODEL_MISSING)
    breaker_record (self, FALSE);
  else if (self->breaker.open)
    {
      self->breaker.probes++;
      schedule_probe (self);
    }
}

void
hb_scheduler_probe_backend (HbScheduler *self)
{
  if (self->probe_cancellable != NULL || self->shutting_down)
    return;
  self->probe_cancellable = g_cancellable_new ();
  hb_llm_client_probe_async (hb_pipeline_get_llm (self->pipeline),
                             self->default_model[0] != '\0' ? self->default_model : NULL,
                             self->probe_cancellable, on_probe, g_object_ref (self));
}

static gboolean
on_probe_timer (gpointer user_data)
{
  HbScheduler *self = user_data;

  self->probe_id = 0;
  hb_scheduler_probe_backend (self);
  return G_SOURCE_REMOVE;
}

static void
schedule_probe (HbScheduler *self)
{
  g_clear_handle_id (&self->probe_id, g_source_remove);
  self->probe_id = g_timeout_add_full (G_PRIORITY_DEFAULT,
                                       (guint) (hb_breaker_probe_delay (&self->breaker) / 1000),
                                       on_probe_timer, self, NULL);
}


gboolean
hb_scheduler_note_backend (HbScheduler *self, const HbRunResult *result)
{
  if (is_backend_failure (result))
    {
      breaker_record (self, TRUE);
      set_backend_state (self, HB_BACKEND_STATE_UNREACHABLE);
      return TRUE;
    }
  if (result->status != HB_RUN_STATUS_INTERRUPTED && backend_answered (result))
    {
      breaker_record (self, FALSE);
      set_backend_state (self, g_str_equal (result->reason, "model-missing")
                                 ? HB_BACKEND_STATE_MODEL_MISSING
                                 : HB_BACKEND_STATE_AVAILABLE);
    }
  return FALSE;
}
