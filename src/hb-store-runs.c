/* hb-store-runs.c: heartbeat_runs: begin, finish (the decision executed on the ledger in the same
 * transaction as its record, see hb-store-ledger.c), recovery and history. */
#include "config.h"

#include <string.h>

#include "hb-error.h"
#include "hb-store-private.h"


/* heartbeat_runs columns, in the order of RUN_BIND_FMT and of read_run(). */
static const char *const run_columns[] = {
  "run_id", "thread_id", "scheduled_for", "started_at", "finished_at", "status", "reason",
  "action", "summary", "reasoning", "title", "content", "post_id", "vote_direction",
  "actions_json", "ledger_table", "ledger_id", "error", "model", "options_json", "prompt",
  "prompt_sha256", "raw_response", "prompt_tokens", "eval_tokens", "total_duration_ns",
  "load_duration_ns", "eval_duration_ns", "llm_wall_us", "dry_run", "notify", "fingerprint",
};

/* The texts are not copied: write_run() releases the statement before they go. */
#define RUN_BIND_FMT "ssTTTsssssssIsssIssssssIIIIIIiis"
G_STATIC_ASSERT (sizeof (RUN_BIND_FMT) - 1 == G_N_ELEMENTS (run_columns));

static void
append_column_list (GString *s)
{
  for (guint i = 0; i < G_N_ELEMENTS (run_columns); i++)
    g_string_append_printf (s, "%s%s", i > 0 ? ", " : "", run_columns[i]);
}

/* INSERT of every column. */
static char *
build_insert_sql (void)
{
  g_autoptr(GString) s = g_string_new ("INSERT INTO main.heartbeat_runs (");

  append_column_list (s);
  g_string_append (s, ") VALUES (");
  for (guint i = 0; i < G_N_ELEMENTS (run_columns); i++)
    g_string_append_printf (s, "%s?%u", i > 0 ? ", " : "", i + 1);
  g_string_append (s, ")");
  return g_string_free (g_steal_pointer (&s), FALSE);
}

/* UPDATE of the row with run_id ?1, bound like the INSERT. The thread a run belongs to never
 * changes: it starts at scheduled_for (?2 is bound but not used). A plain UPDATE of a row known
 * to be there, rather than an upsert, spares the failing INSERT's checks and lookups; without
 * @with_start it leaves started_at (?4) as it is, and with it the index on (thread_id,
 * started_at), which an UPDATE that names the column rewrites even for an unchanged value. */
static char *
build_update_sql (gboolean with_start)
{
  g_autoptr(GString) s = g_string_new ("UPDATE main.heartbeat_runs SET ");
  const char *sep = "";

  for (guint i = 2; i < G_N_ELEMENTS (run_columns); i++)
    {
      if (!with_start && g_str_equal (run_columns[i], "started_at"))
        continue;
      g_string_append_printf (s, "%s%s = ?%u", sep, run_columns[i], i + 1);
      sep = ", ";
    }
  g_string_append (s, " WHERE run_id = ?1");
  return g_string_free (g_steal_pointer (&s), FALSE);
}

static char *
build_select_sql (const char *where)
{
  g_autoptr(GString) s = g_string_new ("SELECT ");

  append_column_list (s);
  g_string_append_printf (s, " FROM main.heartbeat_runs %s", where);
  return g_string_free (g_steal_pointer (&s), FALSE);
}

/* The statements' texts never change: build them once for the process, so that every run
 * neither formats them nor (see hb_db_prepare) hashes a new copy. */
typedef enum {
  RUN_SQL_INSERT,
  RUN_SQL_UPDATE,
  RUN_SQL_UPDATE_KEEP_START,
  RUN_SQL_SELECT_ONE,
  RUN_SQL_SELECT_HISTORY,
  RUN_SQL_COUNT
} RunSql;

static const char *
run_sql (RunSql which)
{
  static const char *texts[RUN_SQL_COUNT];
  static gsize built = 0;

  if (g_once_init_enter (&built))
    {
      texts[RUN_SQL_INSERT] = build_insert_sql ();
      texts[RUN_SQL_UPDATE] = build_update_sql (TRUE);
      texts[RUN_SQL_UPDATE_KEEP_START] = build_update_sql (FALSE);
      texts[RUN_SQL_SELECT_ONE] = build_select_sql ("WHERE run_id = ?1");
      texts[RUN_SQL_SELECT_HISTORY] =
        build_select_sql ("WHERE thread_id = ?1"
                          " ORDER BY COALESCE(started_at, finished_at, 0) DESC, rowid DESC"
                          " LIMIT ?2");
      g_once_init_leave (&built, 1);
    }
  return texts[which];
}

/* @actions is hb_run_result_actions_json (r), which the caller needs as well. @how is one of
 * RUN_SQL_INSERT, RUN_SQL_UPDATE and RUN_SQL_UPDATE_KEEP_START. */
static gboolean
write_run (HbStore *self, const HbRunResult *r, const char *actions, const char *fingerprint,
           RunSql how, GError **error)
{
  g_autoptr(sqlite3_stmt) stmt = hb_db_prepare (self, run_sql (how), error);

  if (stmt == NULL)
    return FALSE;
  hb_db_bind (stmt, RUN_BIND_FMT, r->run_id, r->thread_id, r->scheduled_for, r->started_at,
              r->finished_at, hb_run_status_to_string (r->status), r->reason, r->action,
              r->summary, r->reasoning, r->title, r->content, r->post_id, r->vote_direction,
              actions, r->ledger_table, r->ledger_id, r->error, r->model, r->options_json,
              r->prompt, r->prompt_sha256, r->raw_response, r->prompt_tokens, r->eval_tokens,
              r->total_duration_ns, r->load_duration_ns, r->eval_duration_ns, r->llm_wall_us,
              (gint64) (r->dry_run != FALSE), (gint64) (r->notify != FALSE), fingerprint);
  return hb_db_step (self, stmt, error) == SQLITE_DONE;
}

static HbRunResult *
read_run (sqlite3_stmt *stmt)
{
  g_autofree char *status = hb_db_column_text (stmt, 5);
  HbRunResult *r = hb_run_result_new (NULL, NULL);
  char **strings[] = {
    [0] = &r->run_id, [1] = &r->thread_id, [6] = &r->reason, [7] = &r->action,
    [8] = &r->summary, [9] = &r->reasoning, [10] = &r->title, [11] = &r->content,
    [13] = &r->vote_direction, [15] = &r->ledger_table, [17] = &r->error, [18] = &r->model,
    [19] = &r->options_json, [20] = &r->prompt, [21] = &r->prompt_sha256,
    [22] = &r->raw_response,
  };

  for (int i = 0; i < (int) G_N_ELEMENTS (strings); i++)
    {
      if (strings[i] == NULL)
        continue;
      g_free (*strings[i]);
      *strings[i] = hb_db_column_text (stmt, i);
    }
  r->scheduled_for = hb_db_column_time (stmt, 2);
  r->started_at = hb_db_column_time (stmt, 3);
  r->finished_at = hb_db_column_time (stmt, 4);
  /* A status this version does not know was written by someone else: not a success. */
  if (!hb_run_status_from_string (status, &r->status))
    r->status = HB_RUN_STATUS_FAILED;
  r->post_id = hb_db_column_id (stmt, 12);
  r->ledger_id = hb_db_column_id (stmt, 16);
  r->prompt_tokens = hb_db_column_id (stmt, 23);
  r->eval_tokens = hb_db_column_id (stmt, 24);
  r->total_duration_ns = hb_db_column_id (stmt, 25);
  r->load_duration_ns = hb_db_column_id (stmt, 26);
  r->eval_duration_ns = hb_db_column_id (stmt, 27);
  r->llm_wall_us = hb_db_column_id (stmt, 28);
  r->dry_run = sqlite3_column_int (stmt, 29) != 0;
  r->notify = sqlite3_column_int (stmt, 30) != 0;
  return r;
}

/* Runs of the SELECT @which (bound with @fmt), in the order it gives. */
static GPtrArray *
query_runs (HbStore *self, RunSql which, GError **error, const char *fmt, ...)
{
  g_autoptr(sqlite3_stmt) stmt = NULL;
  g_autoptr(GPtrArray) runs = g_ptr_array_new_with_free_func ((GDestroyNotify) hb_run_result_free);
  va_list ap;
  int rc;

  va_start (ap, fmt);
  stmt = hb_db_queryv (self, error, run_sql (which), fmt, ap);
  va_end (ap);
  if (stmt == NULL)
    return NULL;
  while ((rc = hb_db_step (self, stmt, error)) == SQLITE_ROW)
    g_ptr_array_add (runs, read_run (stmt));
  if (rc < 0)
    return NULL;
  return g_steal_pointer (&runs);
}

/* A text as read_run() would read it back: valid UTF-8, "" for NULL. */
static void
as_read_text (char **field)
{
  if (*field == NULL)
    *field = g_strdup ("");
  else if (!hb_utf8_valid (*field, strlen (*field)))
    {
      char *valid = g_utf8_make_valid (*field, -1);

      g_free (*field);
      *field = valid;
    }
}

static gint64
as_read_time (gint64 us)
{
  return us == 0 ? 0 : hb_s_to_us (hb_us_to_s (us));
}

static gint64
as_read_id (gint64 id)
{
  return id < 0 ? -1 : id;
}

/* Turn @r, just written by write_run(), into what read_run() would return for
 * its row, without reading the row back: the conversions the columns make applied in memory.
 * @thread_id is the row's thread (an update keeps the one the row had). */
static void
as_read_back (HbRunResult *r, char *thread_id)
{
  char **strings[] = {
    &r->run_id, &r->reason, &r->action, &r->summary, &r->reasoning, &r->title, &r->content,
    &r->vote_direction, &r->ledger_table, &r->error, &r->model, &r->options_json, &r->prompt,
    &r->prompt_sha256, &r->raw_response,
  };

  for (guint i = 0; i < G_N_ELEMENTS (strings); i++)
    as_read_text (strings[i]);
  g_free (r->thread_id);
  r->thread_id = thread_id;
  as_read_text (&r->thread_id);
  r->scheduled_for = as_read_time (r->scheduled_for);
  r->started_at = as_read_time (r->started_at);
  r->finished_at = as_read_time (r->finished_at);
  if (!hb_run_status_from_string (hb_run_status_to_string (r->status), &r->status))
    r->status = HB_RUN_STATUS_FAILED;
  r->post_id = as_read_id (r->post_id);
  r->ledger_id = as_read_id (r->ledger_id);
  r->prompt_tokens = as_read_id (r->prompt_tokens);
  r->eval_tokens = as_read_id (r->eval_tokens);
  r->total_duration_ns = as_read_id (r->total_duration_ns);
  r->load_duration_ns = as_read_id (r->load_duration_ns);
  r->eval_duration_ns = as_read_id (r->eval_duration_ns);
  r->llm_wall_us = as_read_id (r->llm_wall_us);
  r->dry_run = r->dry_run != FALSE;
  r->notify = r->notify != FALSE;
  /* read_run() leaves the fingerprint out. */
  hb_run_result_set_string (&r->fingerprint, NULL);
}

gboolean
hb_store_runs_recover (HbStore *self, GError **error)
{
  if (!hb_db_run (self, error,
                  "UPDATE main.heartbeat_runs SET status = 'interrupted', finished_at = ?1,"
                  " error = 'daemon stopped before the run finished' WHERE status = 'running'",
                  "d", hb_us_to_s (g_get_real_time ())))
    return FALSE;
  if (sqlite3_changes (self->db) > 0)
    g_message ("marked %d unfinished run(s) as interrupted", sqlite3_changes (self->db));
  return TRUE;
}

static gboolean
begin_run_txn (HbStore *self, gpointer data, GError **error)
{
  const HbRunResult *r = data;
  g_autofree char *actions = NULL;

  /* A run begins without a decision: its actions are the empty array, known without JSON. */
  actions = r->action[0] == '\0' ? g_strdup ("[]") : hb_run_result_actions_json (r);
  /* A plain INSERT: a duplicate run_id fails the PRIMARY KEY. */
  return write_run (self, r, actions, NULL, RUN_SQL_INSERT, error);
}

static const HbWriteJob begin_run_job = { begin_run_txn, hb_store_return_true };

void
hb_store_begin_run_async (HbStore *self, const HbRunResult *run, GCancellable *cancellable,
                          GAsyncReadyCallback callback, gpointer user_data)
{
  GError *error = NULL;
  HbRunResult *r;

  g_return_if_fail (HB_IS_STORE (self));
  if (run == NULL || !hb_store_check_thread_id (run->thread_id, &error))
    {
      if (error == NULL)
        error = g_error_new_literal (HB_ERROR, HB_ERROR_FAILED, "No run given");
      g_task_report_error (self, callback, user_data, hb_store_begin_run_async, error);
      return;
    }
  r = hb_run_result_copy (run);
  r->status = HB_RUN_STATUS_RUNNING;
  r->finished_at = 0;
  hb_store_submit_write (self, &begin_run_job, r, (GDestroyNotify) hb_run_result_free,
                         cancellable, callback, user_data, hb_store_begin_run_async);
}

gboolean
hb_store_begin_run_finish (HbStore *self, GAsyncResult *result, GError **error)
{
  g_return_val_if_fail (g_task_is_valid (result, self), FALSE);
  return g_task_propagate_boolean (G_TASK (result), error);
}

typedef struct {
  HbRunResult *run;
  gboolean has_decision;
  HbDecision decision;     /* the strings are our copies */
  HbBudgets budgets;
  char *fingerprint;
  HbRunResult *stored;     /* output */
} FinishData;

static void
finish_data_free (gpointer p)
{
  FinishData *d = p;

  hb_run_result_free (d->run);
  g_free (d->decision.title);
  g_free (d->decision.content);
  g_free (d->decision.reasoning);
  g_free (d->fingerprint);
  hb_run_result_free (d->stored);
  g_free (d);
}

/* The stored row's status (*running), thread (*thread_id) and whether its started_at is the one
 * @started_at would write (*same_start), or FALSE in *found. */
static gboolean
run_state (HbStore *self, const char *run_id, gint64 started_at, gboolean *found,
           gboolean *running, char **thread_id, gboolean *same_start, GError **error)
{
  g_autoptr(sqlite3_stmt) stmt =
    hb_db_prepare (self, "SELECT status, thread_id, started_at FROM main.heartbeat_runs"
                   " WHERE run_id = ?1", error);
  g_autofree char *status = NULL;
  HbRunStatus st;
  int rc;

  if (stmt == NULL)
    return FALSE;
  hb_db_bind (stmt, "s", run_id);
  rc = hb_db_step (self, stmt, error);
  if (rc < 0)
    return FALSE;
  *found = rc == SQLITE_ROW;
  if (!*found)
    return TRUE;
  /* As read_run() sees it: a status this version does not know counts as finished. */
  status = hb_db_column_text (stmt, 0);
  *running = hb_run_status_from_string (status, &st) && st == HB_RUN_STATUS_RUNNING;
  *thread_id = hb_db_column_text (stmt, 1);
  /* Exactly what the 'T' binding would store: NULL for 0, else the same double. */
  if (sqlite3_column_type (stmt, 2) == SQLITE_NULL)
    *same_start = started_at == 0;
  else
    *same_start = started_at != 0 && sqlite3_column_type (stmt, 2) == SQLITE_FLOAT &&
                  sqlite3_column_double (stmt, 2) == hb_us_to_s (started_at);
  return TRUE;
}

/* The thread's last heartbeat on its session row, made when missing. The row is there for any
 * thread that ran before: the UPDATE alone does it, and the INSERT runs only when it found none. */
static gboolean
note_on_thread (HbStore *self, const HbRunResult *r, const char *actions, double now,
                GError **error)
{
  if (!hb_db_run (self, error,
                  "UPDATE main.thread_sessions SET heartbeat_last_run = ?2,"
                  " heartbeat_last_summary = ?3, heartbeat_last_actions_json = ?4"
                  " WHERE thread_id = ?1",
                  "sTss", r->thread_id, r->finished_at, r->summary, actions))
    return FALSE;
  if (sqlite3_changes (self->db) > 0)
    return TRUE;
  return hb_db_run (self, error,
                    "INSERT INTO main.thread_sessions (thread_id, first_created, last_active,"
                    " heartbeat_last_run, heartbeat_last_summary, heartbeat_last_actions_json)"
                    " VALUES (?1, ?2, ?2, ?3, ?4, ?5)",
                    "sdTss", r->thread_id, now, r->finished_at, r->summary, actions);
}

static gboolean
finish_run_txn (HbStore *self, gpointer data, GError **error)
{
  FinishData *d = data;
  g_autoptr(HbRunResult) r = NULL;
  g_autofree char *actions = NULL;
  g_autofree char *row_thread = NULL;
  gboolean found = FALSE, running = FALSE, same_start = FALSE;
  double now = hb_us_to_s (g_get_real_time ());

  g_clear_pointer (&d->stored, hb_run_result_free);
  if (!run_state (self, d->run->run_id, d->run->started_at, &found, &running, &row_thread,
                  &same_start, error))
    return FALSE;
  if (found && !running)
    {
      /* Finished before (a retry after a lost reply, say): report it, write nothing. */
      g_autoptr(GPtrArray) existing = query_runs (self, RUN_SQL_SELECT_ONE, error, "t",
                                                  d->run->run_id);

      if (existing == NULL)
        return FALSE;
      d->stored = g_ptr_array_steal_index (existing, 0);
      return TRUE;
    }

  r = hb_run_result_copy (d->run);
  if (r->finished_at == 0)
    r->finished_at = hb_s_to_us (now);
  if (r->status == HB_RUN_STATUS_ACTED && r->dry_run)
    r->status = HB_RUN_STATUS_DRY_RUN;
  if (r->status == HB_RUN_STATUS_ACTED || r->status == HB_RUN_STATUS_DRY_RUN)
    {
      r->ledger_id = -1;
      hb_run_result_set_string (&r->ledger_table, NULL);
      if (d->has_decision &&
          !hb_store_ledger_apply (self, &d->decision, &d->budgets, r, now, error))
        return FALSE;
      if (!d->has_decision && r->status == HB_RUN_STATUS_ACTED)
        {
          g_set_error (error, HB_ERROR, HB_ERROR_FAILED,
                       "Run %s is marked acted but carries no decision", r->run_id);
          return FALSE;
        }
    }

  /* Only between a ledger write and its record: a record alone goes through. */
  if (g_atomic_int_get (&self->fault) == HB_STORE_FAULT_AFTER_LEDGER_WRITE && r->ledger_id >= 0)
    {
      g_set_error_literal (error, HB_ERROR, HB_ERROR_DB,
                           "Injected fault between the ledger write and the run record");
      return FALSE;
    }

  actions = hb_run_result_actions_json (r);
  if (!write_run (self, r, actions, d->fingerprint,
                  !found ? RUN_SQL_INSERT : same_start ? RUN_SQL_UPDATE_KEEP_START : RUN_SQL_UPDATE,
                  error) ||
      !note_on_thread (self, r, actions, now, error) ||
      !hb_db_run (self, error,
                  "INSERT INTO main.heartbeat_history (thread_id, timestamp, summary, actions_json,"
                  " success) VALUES (?1, ?2, ?3, ?4, ?5)",
                  "sTssi", r->thread_id, r->finished_at, r->summary, actions,
                  (gint64) hb_run_status_is_success (r->status)))
    return FALSE;

  /* The result is the row as stored, built from what was just written. */
  as_read_back (r, found ? g_steal_pointer (&row_thread) : g_strdup (r->thread_id));
  d->stored = g_steal_pointer (&r);
  return TRUE;
}

static void
return_stored (GTask *task, gpointer data)
{
  FinishData *d = data;

  g_task_return_pointer (task, g_steal_pointer (&d->stored), (GDestroyNotify) hb_run_result_free);
}

static const HbWriteJob finish_run_job = { finish_run_txn, return_stored };

void
hb_store_finish_run_async (HbStore *self, const HbRunResult *run, const HbDecision *decision,
                           const HbBudgets *budgets, const char *fingerprint,
                           GCancellable *cancellable, GAsyncReadyCallback callback,
                           gpointer user_data)
{
  GError *error = NULL;
  FinishData *d;

  g_return_if_fail (HB_IS_STORE (self));
  if (run == NULL || !hb_store_check_thread_id (run->thread_id, &error) ||
      run->status == HB_RUN_STATUS_RUNNING)
    {
      if (error == NULL)
        error = g_error_new_literal (HB_ERROR, HB_ERROR_FAILED,
                                     run == NULL ? "No run given"
                                                 : "A run cannot finish with status running");
      g_task_report_error (self, callback, user_data, hb_store_finish_run_async, error);
      return;
    }

  d = g_new0 (FinishData, 1);
  d->run = hb_run_result_copy (run);
  /* For any other status the decision was not executed: it is not ours to look at. */
  d->has_decision = decision != NULL && (run->status == HB_RUN_STATUS_ACTED ||
                                         run->status == HB_RUN_STATUS_DRY_RUN);
  if (d->has_decision)
    {
      d->decision = *decision;
      d->decision.title = g_strdup (decision->title);
      d->decision.content = g_strdup (decision->content);
      d->decision.reasoning = g_strdup (decision->reasoning);
    }
  if (budgets != NULL)
    d->budgets = *budgets;
  d->fingerprint = g_strdup (fingerprint);
  hb_store_submit_write (self, &finish_run_job, d, finish_data_free, cancellable, callback,
                         user_data, hb_store_finish_run_async);
}

HbRunResult *
hb_store_finish_run_finish (HbStore *self, GAsyncResult *result, GError **error)
{
  g_return_val_if_fail (g_task_is_valid (result, self), NULL);
  return g_task_propagate_pointer (G_TASK (result), error);
}

typedef struct {
  char *thread_id;
  guint limit;
  GPtrArray *runs;   /* output */
  guint64 total;
} HistoryData;

static void
history_data_free (gpointer p)
{
  HistoryData *d = p;

  g_free (d->thread_id);
  g_clear_pointer (&d->runs, g_ptr_array_unref);
  g_free (d);
}

static gboolean
history_txn (HbStore *self, gpointer data, GError **error)
{
  HistoryData *d = data;
  double total = 0;

  g_clear_pointer (&d->runs, g_ptr_array_unref);
  d->runs = query_runs (self, RUN_SQL_SELECT_HISTORY, error, "ti", d->thread_id,
                        (gint64) d->limit);
  if (d->runs == NULL ||
      !hb_db_scalar (self, &total, error,
                     "SELECT COUNT(*) FROM main.heartbeat_runs WHERE thread_id = ?1",
                     "t", d->thread_id))
    return FALSE;
  d->total = (guint64) total;
  return TRUE;
}

static void
history_job (HbStore *self, GTask *task, gpointer data)
{
  hb_db_return_txn (self, task, FALSE, history_txn, data);
}

void
hb_store_get_history_async (HbStore *self, const char *thread_id, guint limit,
                            GCancellable *cancellable, GAsyncReadyCallback callback,
                            gpointer user_data)
{
  GError *error = NULL;
  HistoryData *d;

  g_return_if_fail (HB_IS_STORE (self));
  if (!hb_store_check_thread_id (thread_id, &error))
    {
      g_task_report_error (self, callback, user_data, hb_store_get_history_async, error);
      return;
    }
  d = g_new0 (HistoryData, 1);
  d->thread_id = g_strdup (thread_id);
  d->limit = limit > 0 ? limit : 20;
  hb_store_submit (self, history_job, d, history_data_free, cancellable, callback, user_data,
                   hb_store_get_history_async);
}

GPtrArray *
hb_store_get_history_finish (HbStore *self, GAsyncResult *result, guint64 *total, GError **error)
{
  HistoryData *d;

  g_return_val_if_fail (g_task_is_valid (result, self), NULL);
  if (!g_task_propagate_boolean (G_TASK (result), error))
    return NULL;
  d = g_task_get_task_data (G_TASK (result));
  if (total != NULL)
    *total = d->total;
  return g_steal_pointer (&d->runs);
}
