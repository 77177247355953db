/* hb-pipeline.h: one heartbeat, stage by stage:
 * begin record -> context -> instructions -> prompt -> llm -> decision -> execute + record -> result.
 */
#pragma once

#include <gio/gio.h>

#include "hb-config.h"
#include "hb-instructions.h"
#include "hb-llm.h"
#include "hb-run.h"
#include "hb-store.h"

G_BEGIN_DECLS

typedef struct {
  const char *thread_id;
  const char *run_id;              /* NULL: a new UUID */
  gint64 scheduled_for;            /* microseconds, 0 = on demand */
  const HbThreadConfig *config;    /* effective config of the thread */
  gboolean preview;                /* ask and judge, write nothing */
  gboolean skip_unchanged;         /* skip with reason "unchanged" when the fingerprint matches */
  const char *last_fingerprint;    /* of the last completed run, NULL none */
} HbRunRequest;

#define HB_TYPE_PIPELINE (hb_pipeline_get_type ())
G_DECLARE_FINAL_TYPE (HbPipeline, hb_pipeline, HB, PIPELINE, GObject)

HbPipeline *hb_pipeline_new (HbStore *store,
                             HbLlmClient *llm,
                             HbInstructions *instructions,
                             const HbDaemonConfig *config);

HbStore *hb_pipeline_get_store (HbPipeline *self);
HbLlmClient *hb_pipeline_get_llm (HbPipeline *self);
HbInstructions *hb_pipeline_get_instructions (HbPipeline *self);

/* Run one heartbeat. A result is always returned, whatever happened (failed runs included, with
 * their class in result->reason). When the store could not record the run, the result says so:
 * status failed, reason "db", the SQLite problem in result->error, and nothing was written to the
 * ledger. Cancelling records the run as interrupted. A preview asks and judges but writes nothing.
 * The GError is only for programming errors (a request without a thread id or config). */
void hb_pipeline_run_async (HbPipeline *self,
                            const HbRunRequest *request,
                            GCancellable *cancellable,
                            GAsyncReadyCallback callback,
                            gpointer user_data);
HbRunResult *hb_pipeline_run_finish (HbPipeline *self, GAsyncResult *result, GError **error);

G_END_DECLS
