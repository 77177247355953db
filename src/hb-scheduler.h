/* hb-scheduler.h: when heartbeats run, and how many at once.
 *
 * One timer, armed at the earliest due time over all threads (a sorted queue keyed by due time),
 * re-armed whenever that changes; nothing wakes the process while nothing is due. Due threads go
 * to a bounded run queue: at most max_concurrent runs in flight, one per thread (single flight,
 * shared with RunNow). Transient backend failures back off per thread; after breaker_threshold
 * consecutive ones the breaker opens, scheduled runs stop, and the backend is probed with backoff
 * until it answers.
 */
#pragma once

#include "hb-pipeline.h"
#include "hb-thread.h"

G_BEGIN_DECLS

#define HB_TYPE_SCHEDULER (hb_scheduler_get_type ())
G_DECLARE_FINAL_TYPE (HbScheduler, hb_scheduler, HB, SCHEDULER, GObject)

/* Signals:
 *   "run-started"   (HbThread *thread, const char *run_id)
 *   "run-completed" (HbThread *thread, const HbRunResult *result)
 *   "thread-changed"(HbThread *thread, guint HbThreadChanged flags)
 *   "state-changed" ()  -- Enabled, ActiveRuns, QueuedRuns, NextWakeup, BackendState, BreakerOpen
 */

HbScheduler *hb_scheduler_new (HbPipeline *pipeline, const HbDaemonConfig *config);

void hb_scheduler_add_thread (HbScheduler *self, HbThread *thread);
void hb_scheduler_remove_thread (HbScheduler *self, HbThread *thread);

/* The thread's configuration changed: compute its due time again. */
void hb_scheduler_reschedule (HbScheduler *self, HbThread *thread);

/* Due times are absolute wall-clock times: after a suspend or a clock change, compute them all
 * again (missed runs become one catch-up each) and re-arm. */
void hb_scheduler_time_changed (HbScheduler *self);

/* Queue a run now, ignoring the due time and the thread's Enabled flag. Returns the run id (the
 * in-flight or queued run's when there is one). Transfer none. */
const char *hb_scheduler_run_now (HbScheduler *self, HbThread *thread);

void hb_scheduler_set_enabled (HbScheduler *self, gboolean enabled);
gboolean hb_scheduler_get_enabled (HbScheduler *self);
guint hb_scheduler_get_active_runs (HbScheduler *self);
guint hb_scheduler_get_queued_runs (HbScheduler *self);
guint hb_scheduler_get_max_concurrent (HbScheduler *self);
gint64 hb_scheduler_get_next_wakeup (HbScheduler *self);
HbBackendState hb_scheduler_get_backend_state (HbScheduler *self);
gboolean hb_scheduler_get_breaker_open (HbScheduler *self);

/* Ask the backend now (at start-up, and for tests); updates BackendState. */
void hb_scheduler_probe_backend (HbScheduler *self);

/* Stop scheduling, drop queued runs, cancel the ones in flight (they are recorded as
 * interrupted) and complete once every run has been recorded and the due times persisted. */
void hb_scheduler_shutdown_async (HbScheduler *self, GAsyncReadyCallback callback,
                                  gpointer user_data);
gboolean hb_scheduler_shutdown_finish (HbScheduler *self, GAsyncResult *result, GError **error);

G_END_DECLS
