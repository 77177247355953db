/* hb-store.h: the SQLite store.
 *
 * One database file by default (optionally with separate ledger/memory files attached), CRT's tables
 * plus heartbeat_runs, versioned migrations by PRAGMA user_version, WAL and foreign keys.
 *
 * All work runs on one worker thread that owns the connection: every call below except
 * hb_store_open() and the accessors returns at once and completes in the caller's thread-default
 * main context, so the main loop never waits on a lock. SQLITE_BUSY/LOCKED are retried with
 * exponential backoff (0.1 s doubling to 2 s, HB_STORE_BUSY_TRIES tries) on the worker.
 */
#pragma once

#include <gio/gio.h>

#include "hb-context.h"
#include "hb-decision.h"
#include "hb-run.h"

G_BEGIN_DECLS

#define HB_STORE_SCHEMA_VERSION 2
/* 0.1 + 0.2 + 0.4 + 0.8 + 1.6 + 2 + 2 + 2 s: a writer holding the lock for up to 9 s is outlasted. */
#define HB_STORE_BUSY_TRIES 9

typedef struct {
  char *path;            /* main database file */
  char *ledger_path;     /* NULL: contradictions live in the main file */
  char *memory_path;     /* NULL: memories live in the main file */
} HbStoreOptions;

/* Side-effect budgets checked inside the run's transaction. 0 = no limit. */
typedef struct {
  guint post_interval_s;     /* at most one heartbeat post per thread per this many seconds */
  guint comment_interval_s;  /* at most one heartbeat comment per thread per this many seconds */
  guint comments_per_day;    /* heartbeat comments per thread in the last 24 h */
  gboolean refuse_duplicates;/* the agent's own post with the same title or content within 24 h */
} HbBudgets;

/* One row of thread_sessions, as the daemon needs it. */
typedef struct {
  char *thread_id;
  char *config_json;        /* heartbeat_config_json: the overrides; NULL none */
  gint64 last_run;          /* heartbeat_last_run, microseconds; 0 never */
  char *last_summary;       /* "" none */
  char *last_actions_json;  /* "" none */
  char *last_status;        /* status of the newest finished heartbeat_runs row, "" none */
  char *last_reason;
  char *last_fingerprint;   /* fingerprint of the newest completed run, "" none */
  gint64 next_due;          /* heartbeat_next_due, microseconds; 0 unknown */
  double last_active;       /* Unix seconds */
} HbThreadRow;

void hb_thread_row_free (HbThreadRow *row);
G_DEFINE_AUTOPTR_CLEANUP_FUNC (HbThreadRow, hb_thread_row_free)

typedef enum {
  HB_STORE_FAULT_NONE,
  HB_STORE_FAULT_AFTER_LEDGER_WRITE,  /* fail between a ledger write and the run record */
} HbStoreFault;

#define HB_TYPE_STORE (hb_store_get_type ())
G_DECLARE_FINAL_TYPE (HbStore, hb_store, HB, STORE, GObject)

/* Open (creating if needed), set WAL/foreign keys, attach the optional files, migrate, and mark runs
 * left "running" by a crash as "interrupted". Blocking: call before the main loop serves anyone.
 * Errors: HB_ERROR_DB (with the SQLite message), HB_ERROR_READ_ONLY. */
HbStore *hb_store_open (const HbStoreOptions *options, GError **error);
const char *hb_store_get_path (HbStore *self);

/* Stop accepting work, finish what is queued, close. Blocking (used at shutdown). */
void hb_store_close (HbStore *self);

/* Test hook. */
void hb_store_set_fault (HbStore *self, HbStoreFault fault);

/* All threads (GPtrArray of HbThreadRow, free func set), ordered by last_active DESC. */
void hb_store_list_threads_async (HbStore *self, GCancellable *cancellable,
                                  GAsyncReadyCallback callback, gpointer user_data);
GPtrArray *hb_store_list_threads_finish (HbStore *self, GAsyncResult *result, GError **error);

/* One thread, or NULL with HB_ERROR_UNKNOWN_THREAD. */
void hb_store_get_thread_async (HbStore *self, const char *thread_id, GCancellable *cancellable,
                                GAsyncReadyCallback callback, gpointer user_data);
HbThreadRow *hb_store_get_thread_finish (HbStore *self, GAsyncResult *result, GError **error);

/* Insert the thread_sessions row if missing. Returns TRUE; *created tells whether it was new. */
void hb_store_ensure_thread_async (HbStore *self, const char *thread_id, GCancellable *cancellable,
                                   GAsyncReadyCallback callback, gpointer user_data);
gboolean hb_store_ensure_thread_finish (HbStore *self, GAsyncResult *result, gboolean *created,
                                        GError **error);

/* Store the thread's override JSON (NULL clears it). HB_ERROR_UNKNOWN_THREAD if no such thread. */
void hb_store_save_config_async (HbStore *self, const char *thread_id, const char *config_json,
                                 GCancellable *cancellable, GAsyncReadyCallback callback,
                                 gpointer user_data);
gboolean hb_store_save_config_finish (HbStore *self, GAsyncResult *result, GError **error);

/* Persist the next due time (microseconds, 0 = unknown) of several threads in one transaction.
 * @thread_ids and @due are parallel arrays of @n entries (copied). */
void hb_store_save_next_due_async (HbStore *self, const char *const *thread_ids, const gint64 *due,
                                   guint n, GCancellable *cancellable,
                                   GAsyncReadyCallback callback, gpointer user_data);
gboolean hb_store_save_next_due_finish (HbStore *self, GAsyncResult *result, GError **error);

/* The thread's context (see hb-context.h for limits and order). Contradictions belong to the
 * thread through their memory ids; works with CRT-style memories tables that lack slot/value. */
void hb_store_load_context_async (HbStore *self, const char *thread_id, GCancellable *cancellable,
                                  GAsyncReadyCallback callback, gpointer user_data);
HbContext *hb_store_load_context_finish (HbStore *self, GAsyncResult *result, GError **error);

/* Insert the heartbeat_runs row for @run with status running (run_id, thread_id, scheduled_for,
 * started_at, model, dry_run). A run_id already present is an error (HB_ERROR_DB). */
void hb_store_begin_run_async (HbStore *self, const HbRunResult *run, GCancellable *cancellable,
                               GAsyncReadyCallback callback, gpointer user_data);
gboolean hb_store_begin_run_finish (HbStore *self, GAsyncResult *result, GError **error);

/* Finish a run in ONE transaction, keyed by run->run_id:
 *  - if @decision is not NULL, run->status is ACTED and run->dry_run is FALSE: check the post exists
 *    (comment/vote: else status INVALID, reason "unknown-post", nothing written) and the @budgets
 *    (else INVALID "rate-limited" / "duplicate"), then write the ledger row carrying run_id
 *    (molt_posts in submolt "heartbeat" created if missing, author "heartbeat", source_type
 *    "heartbeat"; molt_comments; molt_votes upsert, one vote per post per voter);
 *  - for a dry run (run->status DRY_RUN) the same checks run and nothing is written to the ledger;
 *  - update the heartbeat_runs row (insert it if begin was never recorded), thread_sessions'
 *    heartbeat_last_run/_summary/_actions_json, and append heartbeat_history.
 * Idempotent: finishing a run_id that is already finished writes nothing and returns the stored
 * result. Returns the result as stored (transfer full): ledger_id/ledger_table/post_id filled in,
 * status/reason changed when the store refused the action. @fingerprint (may be NULL) is stored
 * with the run for the scheduler's "unchanged" check. */
void hb_store_finish_run_async (HbStore *self, const HbRunResult *run, const HbDecision *decision,
                                const HbBudgets *budgets, const char *fingerprint,
                                GCancellable *cancellable, GAsyncReadyCallback callback,
                                gpointer user_data);
HbRunResult *hb_store_finish_run_finish (HbStore *self, GAsyncResult *result, GError **error);

/* Newest first: GPtrArray of HbRunResult (free func set), at most @limit (0 = 20), and the true total
 * number of runs of the thread in *total. */
void hb_store_get_history_async (HbStore *self, const char *thread_id, guint limit,
                                 GCancellable *cancellable, GAsyncReadyCallback callback,
                                 gpointer user_data);
GPtrArray *hb_store_get_history_finish (HbStore *self, GAsyncResult *result, guint64 *total,
                                        GError **error);

/* PRAGMA data_version of the main file: changes when another connection commits. */
void hb_store_get_data_version_async (HbStore *self, GCancellable *cancellable,
                                      GAsyncReadyCallback callback, gpointer user_data);
gint64 hb_store_get_data_version_finish (HbStore *self, GAsyncResult *result, GError **error);

G_END_DECLS
