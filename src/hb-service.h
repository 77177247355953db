/* hb-service.h: the daemon's core, whatever the transport: the threads, their configuration, the
 * scheduler, the instructions. The D-Bus side and the HTTP bridge both call this, with the same
 * validation; neither waits on the model or on a database lock.
 */
#pragma once

#include "hb-scheduler.h"

G_BEGIN_DECLS

#define HB_TYPE_SERVICE (hb_service_get_type ())
G_DECLARE_FINAL_TYPE (HbService, hb_service, HB, SERVICE, GObject)

/* Signals:
 *   "thread-added"   (HbThread *thread)
 *   "thread-removed" (HbThread *thread)
 *   "thread-changed" (HbThread *thread, guint HbThreadChanged flags)
 *   "run-started"    (HbThread *thread, const char *run_id)
 *   "run-completed"  (HbThread *thread, const HbRunResult *result)
 *   "state-changed"  ()
 *   "instructions-changed" ()
 */

HbService *hb_service_new (HbPipeline *pipeline, HbDaemonConfig *config);

HbScheduler *hb_service_get_scheduler (HbService *self);
HbPipeline *hb_service_get_pipeline (HbService *self);
const HbDaemonConfig *hb_service_get_config (HbService *self);

/* Load the threads from the database and start watching it for threads written by other
 * processes. Completes when the threads are known. */
void hb_service_load_async (HbService *self, GAsyncReadyCallback callback, gpointer user_data);
gboolean hb_service_load_finish (HbService *self, GAsyncResult *result, GError **error);

/* Look-ups (transfer none). */
HbThread *hb_service_lookup (HbService *self, const char *thread_id);
HbThread *hb_service_lookup_path (HbService *self, const char *object_path);
/* All threads (transfer container), ordered by id. */
GPtrArray *hb_service_list (HbService *self);
guint hb_service_count (HbService *self);

/* Idempotent: the thread (transfer full) once its row exists. G_DBUS_ERROR_INVALID_ARGS for a bad
 * id; HB_ERROR_DB. */
void hb_service_add_thread_async (HbService *self, const char *thread_id,
                                  GAsyncReadyCallback callback, gpointer user_data);
HbThread *hb_service_add_thread_finish (HbService *self, GAsyncResult *result, GError **error);

/* Validate @changes (JSON, see hb_thread_config_merge), persist, then apply: all or nothing.
 * @changes NULL resets the thread to the defaults. On a validation error *field_errors (if not
 * NULL) receives every HbFieldError and the error is HB_ERROR_INVALID_CONFIG. */
void hb_service_set_config_async (HbService *self, HbThread *thread, JsonObject *changes,
                                  GAsyncReadyCallback callback, gpointer user_data);
gboolean hb_service_set_config_finish (HbService *self, GAsyncResult *result,
                                       GPtrArray **field_errors, GError **error);

/* Queue a run (single flight). Returns the run id (transfer none). */
const char *hb_service_run_now (HbService *self, HbThread *thread);

/* Wait for a run to complete: the result (transfer full). Used by the HTTP bridge's run-now. */
void hb_service_wait_run_async (HbService *self, const char *run_id, GCancellable *cancellable,
                                GAsyncReadyCallback callback, gpointer user_data);
HbRunResult *hb_service_wait_run_finish (HbService *self, GAsyncResult *result, GError **error);

/* Ask and judge without writing anything: a result with the prompt, the raw reply and the verdict. */
void hb_service_preview_async (HbService *self, HbThread *thread, GCancellable *cancellable,
                               GAsyncReadyCallback callback, gpointer user_data);
HbRunResult *hb_service_preview_finish (HbService *self, GAsyncResult *result, GError **error);

void hb_service_start (HbService *self);
void hb_service_stop (HbService *self);

/* Stop everything: scheduling, runs in flight (recorded as interrupted), pending writes. */
void hb_service_shutdown_async (HbService *self, GAsyncReadyCallback callback, gpointer user_data);
gboolean hb_service_shutdown_finish (HbService *self, GAsyncResult *result, GError **error);

G_END_DECLS
