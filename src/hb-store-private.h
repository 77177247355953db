/* hb-store-private.h: what the hb-store-*.c files share. Everything here runs on the worker thread
 * (the only thread that touches the connection) unless it says otherwise. */
#pragma once

#include <sqlite3.h>

#include "hb-store.h"

G_BEGIN_DECLS

/* Statements come from the store's cache (hb_db_prepare): letting go of one resets it for its
 * next use (which binds all its parameters again, see hb_db_bindv()); the cache finalizes them
 * all before the connection closes. */
void hb_db_release (sqlite3_stmt *stmt);
G_DEFINE_AUTOPTR_CLEANUP_FUNC (sqlite3_stmt, hb_db_release)

/* Context statements that name the attached schemas (hb-store-context.c). */
enum {
  HB_CONTEXT_SQL_CONTRADICTIONS,
  HB_CONTEXT_SQL_CONTRADICTION_MARKS,
  HB_CONTEXT_SQL_MEMORIES,
  HB_CONTEXT_SQL_MEMORY_MARKS,
  HB_CONTEXT_SQL_COUNT
};

struct _HbStore
{
  GObject parent_instance;

  char *path;
  const char *ledger_schema;   /* "ledger" when attached, else "main" */
  const char *memory_schema;   /* "memory" when attached, else "main" */

  GThreadPool *pool;           /* one exclusive thread: the connection's owner */
  GMutex queue_lock;
  GQueue queue;                /* jobs waiting for the worker (HbJob, see hb-store.c) */
  gboolean closed;             /* caller's thread */
  gint fault;                  /* HbStoreFault, atomic: set by tests from any thread */

  /* Worker thread only. */
  sqlite3 *db;
  GHashTable *stmts;           /* SQL text -> prepared statement (owns both) */
  GHashTable *stmts_by_address;/* address of an SQL text last prepared -> its statement */
  guint busy_attempts;         /* retries used by the current job (busy handler + transactions) */
  gboolean busy_no_wait;       /* the busy handler gives up at once (see begin_batch()) */
  gboolean read_only;
  gboolean memories_have_slot; /* our memories schema (slot, value) rather than CRT's text only */
  char *context_sql[HB_CONTEXT_SQL_COUNT];   /* built at the first context read */
};

/* A job runs on the worker and returns its result through @task. */
typedef void (*HbStoreJobFunc) (HbStore *self, GTask *task, gpointer data);

/* Queue @func with @data (freed with @data_free when the task goes). */
void hb_store_submit (HbStore *self, HbStoreJobFunc func, gpointer data, GDestroyNotify data_free,
                      GCancellable *cancellable, GAsyncReadyCallback callback, gpointer user_data,
                      gpointer source_tag);

/* Write jobs and reads queued one after the other share one transaction (see
 * hb_store_run_writes()); at most this many, so that the first one does not wait long. */
#define HB_STORE_BATCH_MAX 32

typedef gboolean (*HbTxnFunc) (HbStore *self, gpointer data, GError **error);

typedef struct {
  /* The job's writes, inside a write transaction (and a savepoint when it shares it). It may run
   * again after a retry: it must rebuild its outputs. */
  HbTxnFunc txn;
  /* After the COMMIT: return the job's result through @task. */
  void (*succeed) (GTask *task, gpointer data);
  /* A read: it joins the writes queued before it (it would have waited for them anyway), and
   * those after it when the write lock is free (it is then returned before they run); it never
   * waits for the write lock, and alone it runs in a read transaction. */
  gboolean reads_only;
} HbWriteJob;

/* HbWriteJob.succeed for the jobs that return only TRUE. */
void hb_store_return_true (GTask *task, gpointer data);

/* Queue a write job; @write is static. */
void hb_store_submit_write (HbStore *self, const HbWriteJob *write, gpointer data,
                            GDestroyNotify data_free, GCancellable *cancellable,
                            GAsyncReadyCallback callback, gpointer user_data,
                            gpointer source_tag);

/* A queued job: exactly one of @func and @write. */
typedef struct {
  HbStoreJobFunc func;
  const HbWriteJob *write;
  GTask *task;
} HbJob;

/* hb-store-batch.c, on the worker: the jobs to run now (up to HB_STORE_BATCH_MAX; a write or a
 * read with the writes and reads queued right behind it), and a batch of write jobs run and
 * returned; returns how many of @jobs it ran (the others went back to the queue). */
guint hb_store_take_jobs (HbStore *self, HbJob **jobs);
guint hb_store_run_writes (HbStore *self, HbJob **jobs, guint n);


/* Validate a thread id given by a caller (any thread). */
gboolean hb_store_check_thread_id (const char *thread_id, GError **error);

/* Time conversion: the tables hold Unix seconds as REAL, the API microseconds. */
static inline double
hb_us_to_s (gint64 us)
{
  return (double) us / G_USEC_PER_SEC;
}

gint64 hb_s_to_us (double s);

/* hb-store-db.c: statements, errors, busy handling. */
gboolean hb_db_fail (HbStore *self, int rc, GError **error);
gboolean hb_db_exec (HbStore *self, const char *sql, GError **error);
/* A prepared statement for @sql, from the cache when it was prepared before. */
sqlite3_stmt *hb_db_prepare (HbStore *self, const char *sql, GError **error);
/* SQLITE_ROW, SQLITE_DONE, or -1 with @error set. */
int hb_db_step (HbStore *self, sqlite3_stmt *stmt, GError **error);

/* Bind parameters 1.. from @fmt, and NULL to those after it: 't' text (NULL binds NULL), 's' text the caller keeps alive
 * until it releases the statement (not copied), 'd' double, 'i' gint64,
 * 'T' time in microseconds (0 binds NULL), 'I' id (negative binds NULL). */
void hb_db_bindv (sqlite3_stmt *stmt, const char *fmt, va_list ap);
void hb_db_bind (sqlite3_stmt *stmt, const char *fmt, ...);

/* The prepared statement for @sql, bound from @fmt (see hb_db_bindv()), or NULL with @error. */
sqlite3_stmt *hb_db_queryv (HbStore *self, GError **error, const char *sql, const char *fmt,
                            va_list ap);
sqlite3_stmt *hb_db_query (HbStore *self, GError **error, const char *sql, const char *fmt, ...);

/* Run a statement that returns no rows (or ignore them). */
gboolean hb_db_run (HbStore *self, GError **error, const char *sql, const char *fmt, ...);
/* The first column of the first row as a double (NULL or no row: 0). */
gboolean hb_db_scalar (HbStore *self, double *out, GError **error, const char *sql,
                       const char *fmt, ...);

/* g_utf8_validate_len (@s, @len, NULL), faster on ASCII. */
gboolean hb_utf8_valid (const char *s, gsize len);

/* Column readers: text is always valid UTF-8 and never NULL ("" for NULL). */
char *hb_db_column_text (sqlite3_stmt *stmt, int col);
gint64 hb_db_column_time (sqlite3_stmt *stmt, int col);   /* NULL: 0 */
gint64 hb_db_column_id (sqlite3_stmt *stmt, int col);     /* NULL: -1 */

void hb_db_install_busy_handler (HbStore *self);

/* The VFS the store opens its files with (the default one, gathering WAL appends), or NULL for
 * the default one if it could not be registered. The first call also turns SQLite's memory
 * statistics off for the process, if SQLite is not initialized yet. */
const char *hb_db_vfs_name (void);

/* Run @fn inside BEGIN IMMEDIATE (write) or BEGIN (read) ... COMMIT; roll back on failure and
 * retry the whole transaction with backoff while the failure is HB_ERROR_BUSY and tries remain.
 * @fn must be safe to run again (it rebuilds its outputs). */
/* BEGIN, COMMIT, SAVEPOINT and the like, as cached statements. */
gboolean hb_db_control (HbStore *self, const char *sql, GError **error);
/* Roll back the open transaction, if a failure did not already. */
void hb_db_roll_back (HbStore *self);
/* Wait before the next try at a locked database; FALSE when the tries are used up. */
gboolean hb_db_busy_backoff (HbStore *self);

gboolean hb_db_transact (HbStore *self, gboolean write, HbTxnFunc fn, gpointer data,
                         GError **error);

/* hb_db_transact(), then return TRUE or the error through @task. */
void hb_db_return_txn (HbStore *self, GTask *task, gboolean write, HbTxnFunc fn, gpointer data);

/* hb-store-schema.c */
gboolean hb_store_schema_migrate (HbStore *self, GError **error);
gboolean hb_store_schema_detect (HbStore *self, GError **error);

/* hb-store-runs.c */
gboolean hb_store_runs_recover (HbStore *self, GError **error);

/* hb-store-ledger.c */
/* This thread's heartbeat ledger activity: last post/comment time, comments since @since_s. */
gboolean hb_store_budget_facts (HbStore *self, const char *thread_id, double since_s,
                                double *last_post, double *last_comment, gint64 *comments_since,
                                GError **error);
/* Copy @dec into @r, check it and (unless @r is a dry run) write the ledger row carrying
 * r->run_id. A refusal is not an error: @r becomes INVALID with the reason. */
gboolean hb_store_ledger_apply (HbStore *self, const HbDecision *dec, const HbBudgets *budgets,
                                HbRunResult *r, double now, GError **error);

G_END_DECLS
