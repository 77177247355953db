/* hb-scheduler-private.h: the scheduler's state, shared by its files. */
#pragma once

#include "hb-due.h"
#include "hb-scheduler.h"

struct _HbScheduler
{
  GObject parent_instance;

  HbPipeline *pipeline;
  guint max_concurrent;
  guint offset_max;
  gboolean skip_unchanged;
  char *default_model;

  GSequence *due;           /* HbThread*, by next_run then id; threads neither queued nor running */
  GQueue runq;              /* HbThread* waiting for a slot (a reference each) */
  GHashTable *running;      /* HbThread* -> NULL (a reference each) */
  gboolean enabled;
  gboolean shutting_down;

  guint timer_id;
  gint64 timer_due;
  gint64 next_wakeup;

  HbBreaker breaker;
  HbBackendState backend_state;
  guint probe_id;
  GCancellable *probe_cancellable;

  GHashTable *persist;      /* HbThread* whose next_run must be written (a reference each) */
  guint persist_id;
  gboolean persisting;

  GTask *shutdown_task;
};

void hb_scheduler_arm (HbScheduler *self);
void hb_scheduler_state_changed (HbScheduler *self);

/* What a finished run says about the backend: updates BackendState and the breaker. Returns TRUE
 * when the run failed because the backend did not answer (a transient failure). */
gboolean hb_scheduler_note_backend (HbScheduler *self, const HbRunResult *result);
