/* store-test.h: helpers shared by the store's test programs: temporary directories, waiting for
 * store callbacks on the main loop, and a second sqlite3 connection to look at the files. */
#pragma once

#include <string.h>

#include <glib.h>
#include <glib/gstdio.h>
#include <sqlite3.h>

#include "hb-error.h"
#include "hb-store.h"

typedef struct {
  char *dir;
  char *path;     /* main file */
  char *ledger;   /* a second file, attached when a test asks for it */
  char *memory;   /* a third one */
  HbStore *store;
} Fixture;

static inline void
rm_rf (const char *dir)
{
  g_autoptr(GDir) d = g_dir_open (dir, 0, NULL);
  const char *name;

  while (d != NULL && (name = g_dir_read_name (d)) != NULL)
    {
      g_autofree char *p = g_build_filename (dir, name, NULL);

      if (g_file_test (p, G_FILE_TEST_IS_DIR))
        rm_rf (p);
      else
        g_unlink (p);
    }
  g_rmdir (dir);
}

static inline void
fixture_setup (Fixture *f, gconstpointer data)
{
  g_autoptr(GError) error = NULL;

  f->dir = g_dir_make_tmp ("hb-store-XXXXXX", &error);
  g_assert_no_error (error);
  f->path = g_build_filename (f->dir, "state", "heartbeat.db", NULL);
  f->ledger = g_build_filename (f->dir, "ledger.db", NULL);
  f->memory = g_build_filename (f->dir, "memory.db", NULL);
}

static inline void
fixture_teardown (Fixture *f, gconstpointer data)
{
  if (f->store != NULL)
    hb_store_close (f->store);
  g_clear_object (&f->store);
  rm_rf (f->dir);
  g_free (f->dir);
  g_free (f->path);
  g_free (f->ledger);
  g_free (f->memory);
}

static inline HbStore *
open_store_full (const char *path, const char *ledger, const char *memory)
{
  HbStoreOptions opts = { (char *) path, (char *) ledger, (char *) memory };
  g_autoptr(GError) error = NULL;
  HbStore *store = hb_store_open (&opts, &error);

  g_assert_no_error (error);
  g_assert_nonnull (store);
  return store;
}

static inline void
fixture_open (Fixture *f)
{
  f->store = open_store_full (f->path, NULL, NULL);
}

static inline void
fixture_reopen (Fixture *f)
{
  hb_store_close (f->store);
  g_clear_object (&f->store);
  fixture_open (f);
}

/* ---- waiting on the main loop ---- */

static inline void
store_cb (GObject *source, GAsyncResult *result, gpointer data)
{
  GAsyncResult **slot = data;

  g_assert_null (*slot);
  *slot = g_object_ref (result);
}

static inline gboolean
keep_awake (gpointer data)
{
  return G_SOURCE_CONTINUE;
}

/* Iterate the default main context until *@done, failing after a deadline. */
static inline void
run_until (const gboolean *done)
{
  gint64 deadline = g_get_monotonic_time () + 30 * G_USEC_PER_SEC;
  guint id = g_timeout_add (50, keep_awake, NULL);

  while (!*done)
    {
      g_assert_cmpint (g_get_monotonic_time (), <, deadline);
      g_main_context_iteration (NULL, TRUE);
    }
  g_source_remove (id);
}

static inline GAsyncResult *
wait_result (GAsyncResult **slot)
{
  gint64 deadline = g_get_monotonic_time () + 30 * G_USEC_PER_SEC;
  guint id = g_timeout_add (50, keep_awake, NULL);

  while (*slot == NULL)
    {
      g_assert_cmpint (g_get_monotonic_time (), <, deadline);
      g_main_context_iteration (NULL, TRUE);
    }
  g_source_remove (id);
  return g_steal_pointer (slot);
}

/* ---- synchronous wrappers over the async API ---- */

static inline gboolean
store_ensure (HbStore *store, const char *thread_id, gboolean *created, GError **error)
{
  GAsyncResult *slot = NULL;
  g_autoptr(GAsyncResult) res = NULL;

  hb_store_ensure_thread_async (store, thread_id, NULL, store_cb, &slot);
  res = wait_result (&slot);
  return hb_store_ensure_thread_finish (store, res, created, error);
}

static inline void
store_ensure_ok (HbStore *store, const char *thread_id)
{
  g_autoptr(GError) error = NULL;

  g_assert_true (store_ensure (store, thread_id, NULL, &error));
  g_assert_no_error (error);
}

static inline HbRunResult *
store_finish (HbStore *store, const HbRunResult *run, const HbDecision *decision,
              const HbBudgets *budgets, const char *fingerprint, GError **error)
{
  GAsyncResult *slot = NULL;
  g_autoptr(GAsyncResult) res = NULL;

  hb_store_finish_run_async (store, run, decision, budgets, fingerprint, NULL, store_cb, &slot);
  res = wait_result (&slot);
  return hb_store_finish_run_finish (store, res, error);
}

static inline HbRunResult *
store_finish_ok (HbStore *store, const HbRunResult *run, const HbDecision *decision,
                 const HbBudgets *budgets, const char *fingerprint)
{
  g_autoptr(GError) error = NULL;
  HbRunResult *r = store_finish (store, run, decision, budgets, fingerprint, &error);

  g_assert_no_error (error);
  g_assert_nonnull (r);
  return r;
}

static inline gboolean
store_begin (HbStore *store, const HbRunResult *run, GError **error)
{
  GAsyncResult *slot = NULL;
  g_autoptr(GAsyncResult) res = NULL;

  hb_store_begin_run_async (store, run, NULL, store_cb, &slot);
  res = wait_result (&slot);
  return hb_store_begin_run_finish (store, res, error);
}

static inline HbContext *
store_context (HbStore *store, const char *thread_id)
{
  GAsyncResult *slot = NULL;
  g_autoptr(GAsyncResult) res = NULL;
  g_autoptr(GError) error = NULL;
  HbContext *ctx;

  hb_store_load_context_async (store, thread_id, NULL, store_cb, &slot);
  res = wait_result (&slot);
  ctx = hb_store_load_context_finish (store, res, &error);
  g_assert_no_error (error);
  g_assert_nonnull (ctx);
  return ctx;
}

static inline GPtrArray *
store_history (HbStore *store, const char *thread_id, guint limit, guint64 *total)
{
  GAsyncResult *slot = NULL;
  g_autoptr(GAsyncResult) res = NULL;
  g_autoptr(GError) error = NULL;
  GPtrArray *runs;

  hb_store_get_history_async (store, thread_id, limit, NULL, store_cb, &slot);
  res = wait_result (&slot);
  runs = hb_store_get_history_finish (store, res, total, &error);
  g_assert_no_error (error);
  g_assert_nonnull (runs);
  return runs;
}

static inline HbThreadRow *
store_get_thread (HbStore *store, const char *thread_id, GError **error)
{
  GAsyncResult *slot = NULL;
  g_autoptr(GAsyncResult) res = NULL;

  hb_store_get_thread_async (store, thread_id, NULL, store_cb, &slot);
  res = wait_result (&slot);
  return hb_store_get_thread_finish (store, res, error);
}

/* ---- building inputs ---- */

static inline HbRunResult *
make_run (const char *run_id, const char *thread_id, HbRunStatus status)
{
  HbRunResult *r = hb_run_result_new (run_id, thread_id);

  r->status = status;
  r->started_at = g_get_real_time ();
  r->scheduled_for = r->started_at;
  r->dry_run = status == HB_RUN_STATUS_DRY_RUN;
  hb_run_result_set_string (&r->summary, "Action: test.");
  hb_run_result_set_string (&r->model, "test-model");
  return r;
}

/* A decision whose strings are literals: never freed (hb_decision_free is not ours). */
static inline HbDecision
make_decision (HbActionKind kind, const char *title, const char *content, gint64 post_id, int vote)
{
  HbDecision d = { kind, (char *) title, (char *) content, post_id, vote, (char *) "because" };

  return d;
}

/* ---- a second connection ---- */

static inline sqlite3 *
db_open (const char *path)
{
  sqlite3 *db = NULL;
  int rc = sqlite3_open_v2 (path, &db, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE, NULL);

  g_assert_cmpint (rc, ==, SQLITE_OK);
  sqlite3_busy_timeout (db, 5000);
  return db;
}

static inline void
db_exec (sqlite3 *db, const char *sql)
{
  char *msg = NULL;
  int rc = sqlite3_exec (db, sql, NULL, NULL, &msg);

  if (rc != SQLITE_OK)
    g_error ("%s: %s", sql, msg);
}

static inline void
db_exec_path (const char *path, const char *sql)
{
  sqlite3 *db = db_open (path);

  db_exec (db, sql);
  sqlite3_close (db);
}

/* The first column of the first row as text ("" for NULL, "<none>" for no row). */
static inline char *
db_text (const char *path, const char *sql)
{
  sqlite3 *db = db_open (path);
  sqlite3_stmt *stmt = NULL;
  char *out;
  int rc;

  if (sqlite3_prepare_v2 (db, sql, -1, &stmt, NULL) != SQLITE_OK)
    g_error ("%s: %s", sql, sqlite3_errmsg (db));
  rc = sqlite3_step (stmt);
  if (rc == SQLITE_ROW)
    out = g_strdup (sqlite3_column_text (stmt, 0) != NULL ? (const char *) sqlite3_column_text (stmt, 0) : "");
  else
    out = g_strdup ("<none>");
  sqlite3_finalize (stmt);
  sqlite3_close (db);
  return out;
}

static inline gint64
db_int (const char *path, const char *sql)
{
  g_autofree char *text = db_text (path, sql);

  return g_ascii_strtoll (text, NULL, 10);
}

static inline gint64
db_count (const char *path, const char *table)
{
  g_autofree char *sql = g_strdup_printf ("SELECT COUNT(*) FROM %s", table);

  return db_int (path, sql);
}

static inline gboolean
db_has_column (const char *path, const char *table, const char *column)
{
  g_autofree char *sql = g_strdup_printf ("SELECT COUNT(*) FROM pragma_table_info('%s')"
                                          " WHERE name = '%s'", table, column);

  return db_int (path, sql) == 1;
}

static inline gboolean
db_has_table (const char *path, const char *table)
{
  g_autofree char *sql = g_strdup_printf ("SELECT COUNT(*) FROM sqlite_master"
                                          " WHERE type = 'table' AND name = '%s'", table);

  return db_int (path, sql) == 1;
}

static inline void
assert_db_text (const char *path, const char *sql, const char *want)
{
  g_autofree char *got = db_text (path, sql);

  g_assert_cmpstr (got, ==, want);
}

/* Every field finish and history report (the fingerprint is not read back). */
static inline void
assert_runs_equal (const HbRunResult *a, const HbRunResult *b)
{
  g_assert_cmpstr (a->run_id, ==, b->run_id);
  g_assert_cmpstr (a->thread_id, ==, b->thread_id);
  g_assert_cmpint (a->scheduled_for, ==, b->scheduled_for);
  g_assert_cmpint (a->started_at, ==, b->started_at);
  g_assert_cmpint (a->finished_at, ==, b->finished_at);
  g_assert_cmpint (a->status, ==, b->status);
  g_assert_cmpstr (a->reason, ==, b->reason);
  g_assert_cmpstr (a->action, ==, b->action);
  g_assert_cmpstr (a->summary, ==, b->summary);
  g_assert_cmpstr (a->reasoning, ==, b->reasoning);
  g_assert_cmpstr (a->title, ==, b->title);
  g_assert_cmpstr (a->content, ==, b->content);
  g_assert_cmpint (a->post_id, ==, b->post_id);
  g_assert_cmpstr (a->vote_direction, ==, b->vote_direction);
  g_assert_cmpint (a->ledger_id, ==, b->ledger_id);
  g_assert_cmpstr (a->ledger_table, ==, b->ledger_table);
  g_assert_cmpstr (a->error, ==, b->error);
  g_assert_cmpstr (a->model, ==, b->model);
  g_assert_cmpstr (a->options_json, ==, b->options_json);
  g_assert_cmpstr (a->prompt, ==, b->prompt);
  g_assert_cmpstr (a->prompt_sha256, ==, b->prompt_sha256);
  g_assert_cmpstr (a->raw_response, ==, b->raw_response);
  g_assert_cmpint (a->prompt_tokens, ==, b->prompt_tokens);
  g_assert_cmpint (a->eval_tokens, ==, b->eval_tokens);
  g_assert_cmpint (a->total_duration_ns, ==, b->total_duration_ns);
  g_assert_cmpint (a->load_duration_ns, ==, b->load_duration_ns);
  g_assert_cmpint (a->eval_duration_ns, ==, b->eval_duration_ns);
  g_assert_cmpint (a->llm_wall_us, ==, b->llm_wall_us);
  g_assert_cmpint (a->dry_run, ==, b->dry_run);
  g_assert_cmpint (a->notify, ==, b->notify);
}

static inline gint64
count_where (const char *path, const char *table, const char *where)
{
  g_autofree char *sql = g_strdup_printf ("SELECT COUNT(*) FROM %s WHERE %s", table, where);

  return db_int (path, sql);
}

/* Commit frames in the main file's WAL: one per write transaction since the WAL began. */
static inline guint
wal_commits (const char *path)
{
  g_autofree char *wal = g_strconcat (path, "-wal", NULL);
  g_autofree guint8 *bytes = NULL;
  gsize len = 0, page;
  guint commits = 0;

  g_assert_true (g_file_get_contents (wal, (char **) &bytes, &len, NULL));
  g_assert_cmpuint (len, >=, 32);
  page = GUINT32_FROM_BE (*(guint32 *) (bytes + 8));
  for (gsize off = 32; off + 24 + page <= len; off += 24 + page)
    {
      /* Frames left from before a restart of the WAL carry other salts. */
      if (memcmp (bytes + off + 8, bytes + 16, 8) != 0)
        break;
      commits += *(guint32 *) (bytes + off + 4) != 0 ? 1 : 0;
    }
  return commits;
}
