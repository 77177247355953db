/* hb-oneshot.h: --run-once: one heartbeat for one thread, printed, without the bus. */
#pragma once

#include "hb-pipeline.h"

G_BEGIN_DECLS

/* Runs one heartbeat for @thread_id (created if missing) and prints the result to stdout (as JSON
 * with @json). Returns the process exit status: 0 when the run completed (acted, no-action,
 * dry-run, skipped), 1 when it failed, was refused or interrupted. */
int hb_oneshot_run (HbPipeline *pipeline, const HbDaemonConfig *config, const char *thread_id,
                    gboolean json);

G_END_DECLS
