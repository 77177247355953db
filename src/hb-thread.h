/* hb-thread.h: what the daemon keeps in memory about one conversation thread.
 *
 * A plain reference-counted struct (the daemon may hold 100,000 of them): its configuration, its
 * last run as recorded, and its place in the schedule. Owned by the service; the D-Bus and HTTP
 * sides read it and ask the service to change it.
 */
#pragma once

#include <json-glib/json-glib.h>

#include "hb-config.h"
#include "hb-run.h"
#include "hb-store.h"

G_BEGIN_DECLS

/* What changed, for the "thread-changed" signal: a bit per D-Bus property of the last run and
 * the schedule (a run's PropertiesChanged carries only those that changed), one for all of the
 * configuration. */
typedef enum {
  HB_THREAD_CHANGED_CONFIG = 1 << 0,       /* Enabled, Every, Target, Model, ... ConfigProblem */
  HB_THREAD_CHANGED_RUNNING = 1 << 1,      /* Running */
  HB_THREAD_CHANGED_LAST_RUN_AT = 1 << 2,  /* LastRun */
  HB_THREAD_CHANGED_LAST_RUN_ID = 1 << 3,  /* LastRunId */
  HB_THREAD_CHANGED_LAST_STATUS = 1 << 4,  /* LastStatus */
  HB_THREAD_CHANGED_LAST_REASON = 1 << 5,  /* LastReason */
  HB_THREAD_CHANGED_LAST_SUMMARY = 1 << 6, /* LastSummary */
  HB_THREAD_CHANGED_LAST_ACTIONS = 1 << 7, /* LastActions */
  HB_THREAD_CHANGED_NEXT_RUN = 1 << 8,     /* NextRun */
  HB_THREAD_CHANGED_SKIP_REASON = 1 << 9,  /* SkipReason */

  HB_THREAD_CHANGED_LAST_RUN = HB_THREAD_CHANGED_LAST_RUN_AT | HB_THREAD_CHANGED_LAST_RUN_ID |
                               HB_THREAD_CHANGED_LAST_STATUS | HB_THREAD_CHANGED_LAST_REASON |
                               HB_THREAD_CHANGED_LAST_SUMMARY | HB_THREAD_CHANGED_LAST_ACTIONS,
  HB_THREAD_CHANGED_SCHEDULE = HB_THREAD_CHANGED_NEXT_RUN | HB_THREAD_CHANGED_SKIP_REASON,
} HbThreadChanged;

typedef struct _HbThread HbThread;

struct _HbThread
{
  gint ref_count;
  char *id;
  char *object_path;

  JsonObject *overrides;      /* the thread's stored overrides; NULL when there are none (most
                               * threads: an empty object costs more than the rest of the struct) */
  HbThreadConfig *config;     /* effective: defaults <- overrides */
  char *config_problem;       /* NULL, or why the stored overrides were (partly) ignored */

  gint64 last_run;            /* microseconds; 0 never */
  char *last_run_id;
  char *last_status;
  char *last_reason;
  char *last_summary;
  char *last_actions_json;
  char *last_fingerprint;
  GVariant *last_actions_variant;   /* LastActions as last built, from... */
  char *last_actions_variant_json;  /* ...this last_actions_json (NULL: not built yet) */

  /* Scheduling, owned by the scheduler. */
  gint64 next_run;            /* microseconds; 0 = not scheduled */
  gint64 persisted_due;       /* next_run as last written to the database */
  char *skip_reason;          /* why the thread is not running now, "" none */
  gboolean running;
  gboolean queued;
  char *current_run_id;       /* while queued or running */
  GCancellable *cancellable;  /* while running */
  guint failures;             /* consecutive transient failures */
  gint64 retry_at;            /* backoff: not before this time; 0 none */
  gpointer due_node;          /* the scheduler's handle in its queue */
  gboolean removed;
};

HbThread *hb_thread_new (const char *id);
HbThread *hb_thread_ref (HbThread *thread);
void hb_thread_unref (HbThread *thread);
G_DEFINE_AUTOPTR_CLEANUP_FUNC (HbThread, hb_thread_unref)

/* The object path of @id under /org/crt/Heartbeat/threads (g_dbus_escape_object_path). */
char *hb_thread_object_path (const char *id);

/* Is @id acceptable as a thread id: non-empty valid UTF-8, at most HB_THREAD_ID_MAX bytes, no
 * control characters. */
#define HB_THREAD_ID_MAX 1024
gboolean hb_thread_id_validate (const char *id, GError **error);

/* Take the configuration and the last run from a database row. Returns what changed. */
HbThreadChanged hb_thread_apply_row (HbThread *thread, const HbThreadRow *row,
                                     const HbThreadConfig *defaults);

/* Replace the overrides (already validated; NULL or empty for none) and recompute the effective
 * config. */
HbThreadChanged hb_thread_set_overrides (HbThread *thread, JsonObject *overrides,
                                         const HbThreadConfig *defaults);

/* Take a finished run. Returns what changed (a bit per last-run property). */
HbThreadChanged hb_thread_apply_result (HbThread *thread, const HbRunResult *result);

/* hb_thread_set_string (&thread->field, value): returns TRUE when the value changed. */
gboolean hb_thread_set_string (char **field, const char *value);

G_END_DECLS
