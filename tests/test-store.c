/* test-store.c: migrations (fresh and CRT files), threads, data version, errors, lock waits that
 * must not block the main loop, and read-only files. */
#include "config.h"

#include <sys/wait.h>
#include <unistd.h>

#include "store-test.h"

static const char *const heartbeat_run_columns[] = {
  "run_id", "thread_id", "scheduled_for", "started_at", "finished_at", "status", "reason",
  "action", "summary", "reasoning", "title", "content", "post_id", "vote_direction",
  "actions_json", "ledger_table", "ledger_id", "error", "model", "options_json", "prompt",
  "prompt_sha256", "raw_response", "prompt_tokens", "eval_tokens", "total_duration_ns",
  "load_duration_ns", "eval_duration_ns", "llm_wall_us", "dry_run", "notify", "fingerprint",
};

static const char *const thread_columns[] = {
  "heartbeat_config_json", "heartbeat_last_run", "heartbeat_last_summary",
  "heartbeat_last_actions_json", "heartbeat_next_due",
};

static const char *const ledger_tables[] = { "molt_posts", "molt_comments", "molt_votes" };

/* The details of EXPLAIN QUERY PLAN @sql, one per line. */
static char *
query_plan (const char *path, const char *sql)
{
  sqlite3 *db = db_open (path);
  g_autofree char *explain = g_strdup_printf ("EXPLAIN QUERY PLAN %s", sql);
  GString *plan = g_string_new (NULL);
  sqlite3_stmt *stmt = NULL;

  if (sqlite3_prepare_v2 (db, explain, -1, &stmt, NULL) != SQLITE_OK)
    g_error ("%s: %s", explain, sqlite3_errmsg (db));
  while (sqlite3_step (stmt) == SQLITE_ROW)
    g_string_append_printf (plan, "%s\n", (const char *) sqlite3_column_text (stmt, 3));
  sqlite3_finalize (stmt);
  sqlite3_close (db);
  return g_string_free (plan, FALSE);
}

/* The reads every run makes walk an index rather than scan and sort a table (schema version 2). */
static void
assert_run_reads_use_indexes (const char *path)
{
  static const char *const reads[] = {
    "SELECT id FROM recent_queries WHERE thread_id = 'a' ORDER BY id DESC LIMIT 10",
    "SELECT id FROM molt_posts ORDER BY created_at DESC, id DESC LIMIT 10",
    "SELECT COUNT(*) FROM molt_comments WHERE post_id = 1",
    "SELECT memory_id FROM memories WHERE thread_id = 'a' ORDER BY timestamp DESC LIMIT 10",
    "SELECT status FROM heartbeat_runs WHERE thread_id = 'a' AND status <> 'running'"
    " ORDER BY finished_at DESC, rowid DESC LIMIT 1",
  };

  for (guint i = 0; i < G_N_ELEMENTS (reads); i++)
    {
      g_autofree char *plan = query_plan (path, reads[i]);

      g_auto(GStrv) lines = g_strsplit (plan, "\n", -1);

      g_test_message ("%s: %s", reads[i], plan);
      g_assert_null (strstr (plan, "TEMP B-TREE"));
      for (guint j = 0; lines[j] != NULL; j++)
        if (g_str_has_prefix (lines[j], "SCAN"))
          g_assert_nonnull (strstr (lines[j], "USING"));
    }
}

static void
assert_schema (const char *path)
{
  const char *tables[] = { "thread_sessions", "heartbeat_history", "recent_queries",
                           "molt_submolts", "molt_posts", "molt_comments", "molt_votes",
                           "contradictions", "memories", "heartbeat_runs" };

  g_assert_cmpint (db_int (path, "PRAGMA user_version"), ==, HB_STORE_SCHEMA_VERSION);
  for (guint i = 0; i < G_N_ELEMENTS (tables); i++)
    g_assert_true (db_has_table (path, tables[i]));
  for (guint i = 0; i < G_N_ELEMENTS (heartbeat_run_columns); i++)
    g_assert_true (db_has_column (path, "heartbeat_runs", heartbeat_run_columns[i]));
  for (guint i = 0; i < G_N_ELEMENTS (thread_columns); i++)
    g_assert_true (db_has_column (path, "thread_sessions", thread_columns[i]));
  for (guint i = 0; i < G_N_ELEMENTS (ledger_tables); i++)
    {
      g_autofree char *sql = g_strdup_printf ("SELECT COUNT(*) FROM pragma_index_list('%s') il"
                                              " JOIN pragma_index_info(il.name) ii"
                                              " WHERE il.\"unique\" = 1 AND ii.name = 'heartbeat_run_id'",
                                              ledger_tables[i]);

      g_assert_true (db_has_column (path, ledger_tables[i], "heartbeat_run_id"));
      g_assert_cmpint (db_int (path, sql), ==, 1);
    }
  g_assert_cmpint (db_int (path, "SELECT COUNT(*) FROM sqlite_master WHERE type = 'index'"
                                 " AND name = 'idx_heartbeat_runs_thread'"), ==, 1);
  assert_run_reads_use_indexes (path);
  assert_db_text (path, "PRAGMA journal_mode", "wal");
}

static void
test_migrate_fresh (Fixture *f, gconstpointer data)
{
  sqlite3 *db;

  fixture_open (f);
  assert_schema (f->path);
  g_assert_true (db_has_column (f->path, "memories", "slot"));
  g_assert_true (db_has_column (f->path, "memories", "value"));
  g_assert_cmpint (db_int (f->path, "PRAGMA foreign_key_check"), ==, 0);

  /* The UNIQUE index refuses a second ledger row for one run. */
  db = db_open (f->path);
  db_exec (db, "INSERT INTO molt_posts (submolt, title, content, author, created_at, updated_at,"
               " heartbeat_run_id) VALUES ('s', 't', 'c', 'a', 1, 1, 'run-x')");
  g_assert_cmpint (sqlite3_exec (db, "INSERT INTO molt_posts (submolt, title, content, author,"
                                     " created_at, updated_at, heartbeat_run_id)"
                                     " VALUES ('s', 't2', 'c2', 'a', 2, 2, 'run-x')",
                                 NULL, NULL, NULL) & 0xff, ==, SQLITE_CONSTRAINT);
  sqlite3_close (db);

  fixture_reopen (f);
  assert_schema (f->path);
  g_assert_cmpint (db_count (f->path, "molt_posts"), ==, 1);

  /* A file left at version 1 (before the run indexes) gains them, its rows kept. */
  hb_store_close (f->store);
  g_clear_object (&f->store);
  db = db_open (f->path);
  db_exec (db, "DROP INDEX idx_recent_queries_thread; DROP INDEX idx_molt_posts_created;"
               " DROP INDEX idx_molt_comments_post; DROP INDEX idx_heartbeat_runs_thread_finished;"
               " DROP INDEX idx_memories_thread; PRAGMA user_version = 1");
  sqlite3_close (db);
  fixture_open (f);
  assert_schema (f->path);
  g_assert_cmpint (db_count (f->path, "molt_posts"), ==, 1);
}

/* CRT's own statements, as it creates its files. */
static const char crt_schema[] =
  "CREATE TABLE thread_sessions (thread_id TEXT PRIMARY KEY, first_created REAL NOT NULL,"
  " last_active REAL NOT NULL, message_count INTEGER DEFAULT 0, greeting_shown INTEGER DEFAULT 0,"
  " onboarding_completed INTEGER DEFAULT 0, onboarding_step INTEGER DEFAULT 0, user_name TEXT,"
  " style_profile_json TEXT);"
  "CREATE TABLE heartbeat_history (id INTEGER PRIMARY KEY AUTOINCREMENT, thread_id TEXT NOT NULL,"
  " timestamp REAL NOT NULL, summary TEXT, actions_json TEXT, success INTEGER DEFAULT 1);"
  "CREATE INDEX idx_heartbeat_history_thread_time ON heartbeat_history (thread_id, timestamp DESC);"
  "CREATE TABLE recent_queries (id INTEGER PRIMARY KEY AUTOINCREMENT, thread_id TEXT NOT NULL,"
  " query_text TEXT NOT NULL, query_normalized TEXT NOT NULL, detected_slot TEXT,"
  " response_text TEXT, timestamp REAL NOT NULL);"
  "CREATE TABLE molt_submolts (id INTEGER PRIMARY KEY AUTOINCREMENT, name TEXT NOT NULL UNIQUE,"
  " description TEXT, created_at REAL NOT NULL, created_by TEXT);"
  "CREATE TABLE molt_posts (id INTEGER PRIMARY KEY AUTOINCREMENT, submolt TEXT NOT NULL,"
  " title TEXT NOT NULL, content TEXT NOT NULL, author TEXT NOT NULL, created_at REAL NOT NULL,"
  " updated_at REAL NOT NULL, source_type TEXT, source_entry_id INTEGER);"
  "CREATE TABLE molt_comments (id INTEGER PRIMARY KEY AUTOINCREMENT,"
  " post_id INTEGER NOT NULL REFERENCES molt_posts(id), parent_comment_id INTEGER,"
  " content TEXT NOT NULL, author TEXT NOT NULL, created_at REAL NOT NULL);"
  "CREATE TABLE molt_votes (id INTEGER PRIMARY KEY AUTOINCREMENT, target_type TEXT NOT NULL,"
  " target_id INTEGER NOT NULL, voter TEXT NOT NULL, value INTEGER NOT NULL,"
  " created_at REAL NOT NULL, UNIQUE(target_type, target_id, voter));"
  "CREATE TABLE contradictions (ledger_id TEXT PRIMARY KEY, timestamp REAL NOT NULL,"
  " old_memory_id TEXT NOT NULL, new_memory_id TEXT NOT NULL, drift_mean REAL NOT NULL,"
  " drift_reason REAL, confidence_delta REAL, status TEXT NOT NULL,"
  " contradiction_type TEXT DEFAULT 'conflict', affects_slots TEXT, query TEXT, summary TEXT,"
  " resolution_timestamp REAL, resolution_method TEXT, merged_memory_id TEXT, metadata TEXT);"
  "CREATE TABLE memories (memory_id TEXT PRIMARY KEY, vector_json TEXT NOT NULL,"
  " text TEXT NOT NULL, timestamp REAL NOT NULL, confidence REAL NOT NULL, trust REAL NOT NULL,"
  " source TEXT NOT NULL, sse_mode TEXT NOT NULL, context_json TEXT, tags_json TEXT,"
  " thread_id TEXT, deprecated INTEGER DEFAULT 0, deprecation_reason TEXT);";

static const char crt_heartbeat_columns[] =
  "ALTER TABLE thread_sessions ADD COLUMN heartbeat_config_json TEXT;"
  "ALTER TABLE thread_sessions ADD COLUMN heartbeat_last_run REAL;"
  "ALTER TABLE thread_sessions ADD COLUMN heartbeat_last_summary TEXT;"
  "ALTER TABLE thread_sessions ADD COLUMN heartbeat_last_actions_json TEXT;";

static const char crt_rows[] =
  "INSERT INTO thread_sessions (thread_id, first_created, last_active, message_count, user_name,"
  " style_profile_json) VALUES ('alice', 100.5, 200.25, 7, 'Alice', '{\"tone\":\"warm\"}');"
  "INSERT INTO heartbeat_history (thread_id, timestamp, summary, actions_json, success)"
  " VALUES ('alice', 150, 'Action: none.', '[]', 1);"
  "INSERT INTO recent_queries (thread_id, query_text, query_normalized, response_text, timestamp)"
  " VALUES ('alice', 'Hi', 'hi', 'Hello!', 120);"
  "INSERT INTO molt_submolts (name, created_at) VALUES ('general', 1);"
  "INSERT INTO molt_posts (submolt, title, content, author, created_at, updated_at)"
  " VALUES ('general', 'First', 'Body', 'alice', 130, 130);"
  "INSERT INTO molt_comments (post_id, content, author, created_at) VALUES (1, 'Nice', 'bob', 131);"
  "INSERT INTO molt_votes (target_type, target_id, voter, value, created_at)"
  " VALUES ('post', 1, 'bob', 1, 132);"
  "INSERT INTO memories VALUES ('m1', '[0.1]', 'Alice works at Acme', 140, 0.9, 0.8, 'user', 'L',"
  " NULL, NULL, 'alice', 0, NULL);"
  "INSERT INTO contradictions (ledger_id, timestamp, old_memory_id, new_memory_id, drift_mean,"
  " status, summary) VALUES ('c1', 145, 'm1', 'm0', 0.4, 'open', 'employer changed');";

/* Every value of every row of the CRT tables, through CRT's own columns only. */
static const char crt_dump_sql[] =
  "SELECT group_concat(v, '|') FROM ("
  " SELECT quote(thread_id) || quote(first_created) || quote(last_active) || quote(message_count)"
  "  || quote(user_name) || quote(style_profile_json) AS v FROM thread_sessions"
  " UNION ALL SELECT quote(id) || quote(timestamp) || quote(summary) || quote(success)"
  "  FROM heartbeat_history"
  " UNION ALL SELECT quote(id) || quote(query_text) || quote(response_text) FROM recent_queries"
  " UNION ALL SELECT quote(id) || quote(title) || quote(content) || quote(author) FROM molt_posts"
  " UNION ALL SELECT quote(id) || quote(post_id) || quote(content) FROM molt_comments"
  " UNION ALL SELECT quote(id) || quote(target_id) || quote(value) FROM molt_votes"
  " UNION ALL SELECT quote(memory_id) || quote(text) || quote(thread_id) FROM memories"
  " UNION ALL SELECT quote(ledger_id) || quote(status) FROM contradictions)";

static void
test_migrate_crt (Fixture *f, gconstpointer data)
{
  gboolean with_heartbeat_columns = GPOINTER_TO_INT (data);
  g_autofree char *dir = g_path_get_dirname (f->path);
  g_autofree char *before = NULL;
  g_autofree char *after = NULL;
  g_autoptr(HbContext) ctx = NULL;
  g_autoptr(HbThreadRow) row = NULL;
  g_autoptr(GError) error = NULL;

  g_assert_cmpint (g_mkdir_with_parents (dir, 0700), ==, 0);
  db_exec_path (f->path, crt_schema);
  if (with_heartbeat_columns)
    db_exec_path (f->path, crt_heartbeat_columns);
  db_exec_path (f->path, crt_rows);
  g_assert_cmpint (db_int (f->path, "PRAGMA user_version"), ==, 0);
  before = db_text (f->path, crt_dump_sql);

  for (guint pass = 0; pass < 2; pass++)
    {
      fixture_open (f);
      assert_schema (f->path);
      g_clear_pointer (&after, g_free);
      after = db_text (f->path, crt_dump_sql);
      g_assert_cmpstr (after, ==, before);
      /* CRT's memories are read as they are, not altered. */
      g_assert_false (db_has_column (f->path, "memories", "slot"));

      ctx = store_context (f->store, "alice");
      g_assert_cmpstr (ctx->user_name, ==, "Alice");
      g_assert_cmpuint (ctx->messages->len, ==, 1);
      g_assert_cmpuint (ctx->feed->len, ==, 1);
      g_assert_cmpint (((HbFeedPost *) ctx->feed->pdata[0])->score, ==, 1);
      g_assert_cmpint (((HbFeedPost *) ctx->feed->pdata[0])->comment_count, ==, 1);
      g_assert_cmpuint (ctx->memories->len, ==, 1);
      g_assert_cmpstr (((HbMemoryFact *) ctx->memories->pdata[0])->text, ==, "Alice works at Acme");
      g_assert_cmpuint (ctx->contradictions->len, ==, 1);
      g_clear_pointer (&ctx, hb_context_free);

      row = store_get_thread (f->store, "alice", &error);
      g_assert_no_error (error);
      g_assert_null (row->config_json);
      g_assert_cmpfloat (row->last_active, ==, 200.25);
      g_assert_cmpint (row->last_run, ==, 0);
      g_clear_pointer (&row, hb_thread_row_free);

      hb_store_close (f->store);
      g_clear_object (&f->store);
    }
}

static void
test_threads (Fixture *f, gconstpointer data)
{
  g_autofree char *long_id = NULL;
  g_autoptr(GString) s = g_string_new (NULL);
  const char *ids[] = { "plain", "with space", "a/b/../c", "ünïcødé ✓ 线程",
                        "x'); DROP TABLE thread_sessions; --", NULL, "" };
  g_autoptr(GError) error = NULL;
  HbThreadRow *row;

  for (guint i = 0; i < 300; i++)
    g_string_append_unichar (s, i % 2 ? 0x00e9 : 'x');
  long_id = g_strdup (s->str);
  ids[5] = long_id;
  fixture_open (f);

  for (guint i = 0; i < G_N_ELEMENTS (ids); i++)
    {
      gboolean created = FALSE;

      g_assert_true (store_ensure (f->store, ids[i], &created, &error));
      g_assert_no_error (error);
      g_assert_true (created);
      g_assert_true (store_ensure (f->store, ids[i], &created, &error));
      g_assert_false (created);
      row = store_get_thread (f->store, ids[i], &error);
      g_assert_no_error (error);
      g_assert_cmpstr (row->thread_id, ==, ids[i]);
      g_assert_cmpstr (row->last_status, ==, "");
      g_assert_cmpstr (row->last_fingerprint, ==, "");
      hb_thread_row_free (row);
    }
  g_assert_cmpint (db_count (f->path, "thread_sessions"), ==, G_N_ELEMENTS (ids));

  row = store_get_thread (f->store, "missing", &error);
  g_assert_null (row);
  g_assert_error (error, HB_ERROR, HB_ERROR_UNKNOWN_THREAD);
  g_clear_error (&error);
  row = store_get_thread (f->store, "bad \xff utf8", &error);
  g_assert_null (row);
  g_assert_error (error, HB_ERROR, HB_ERROR_UNKNOWN_THREAD);
  g_clear_error (&error);
}

static gboolean
save_config (HbStore *store, const char *thread_id, const char *json, GError **error)
{
  GAsyncResult *slot = NULL;
  g_autoptr(GAsyncResult) res = NULL;

  hb_store_save_config_async (store, thread_id, json, NULL, store_cb, &slot);
  res = wait_result (&slot);
  return hb_store_save_config_finish (store, res, error);
}

static void
finish_simple (HbStore *store, const char *run_id, HbRunStatus status, const char *reason,
               const char *fingerprint, gint64 finished_at)
{
  g_autoptr(HbRunResult) run = make_run (run_id, "t1", status);

  hb_run_result_set_string (&run->reason, reason);
  run->finished_at = finished_at;
  hb_run_result_free (store_finish_ok (store, run, NULL, NULL, fingerprint));
}

static void
test_thread_rows (Fixture *f, gconstpointer data)
{
  const char *ids[] = { "t1", "t2" };
  const gint64 due[] = { 1700000000123456, 0 };
  g_autoptr(GError) error = NULL;
  g_autoptr(GPtrArray) rows = NULL;
  GAsyncResult *slot = NULL;
  g_autoptr(GAsyncResult) res = NULL;
  gint64 now = g_get_real_time ();
  HbThreadRow *row;

  fixture_open (f);
  store_ensure_ok (f->store, "t1");
  store_ensure_ok (f->store, "t2");
  store_ensure_ok (f->store, "t3");
  db_exec_path (f->path, "UPDATE thread_sessions SET last_active = CASE thread_id"
                         " WHEN 't1' THEN 10 WHEN 't2' THEN 30 ELSE 20 END");

  g_assert_true (save_config (f->store, "t1", "{\"every\":600}", &error));
  g_assert_no_error (error);
  g_assert_false (save_config (f->store, "nope", "{}", &error));
  g_assert_error (error, HB_ERROR, HB_ERROR_UNKNOWN_THREAD);
  g_clear_error (&error);

  hb_store_save_next_due_async (f->store, ids, due, 2, NULL, store_cb, &slot);
  res = wait_result (&slot);
  g_assert_true (hb_store_save_next_due_finish (f->store, res, &error));
  g_assert_no_error (error);

  /* The status is the newest finished run's; the fingerprint the newest one that looked. */
  finish_simple (f->store, "r1", HB_RUN_STATUS_NO_ACTION, "", "fp-none", now - 40);
  finish_simple (f->store, "r2", HB_RUN_STATUS_SKIPPED, "unchanged", "fp-unchanged", now - 30);
  finish_simple (f->store, "r3", HB_RUN_STATUS_SKIPPED, "empty-instructions", "fp-empty", now - 20);
  finish_simple (f->store, "r4", HB_RUN_STATUS_FAILED, "backend-unavailable", "fp-failed", now - 10);

  {
    GAsyncResult *lslot = NULL;
    g_autoptr(GAsyncResult) lres = NULL;

    hb_store_list_threads_async (f->store, NULL, store_cb, &lslot);
    lres = wait_result (&lslot);
    rows = hb_store_list_threads_finish (f->store, lres, &error);
    g_assert_no_error (error);
  }
  g_assert_cmpuint (rows->len, ==, 3);
  g_assert_cmpstr (((HbThreadRow *) rows->pdata[0])->thread_id, ==, "t2");
  g_assert_cmpstr (((HbThreadRow *) rows->pdata[1])->thread_id, ==, "t3");
  row = rows->pdata[2];
  g_assert_cmpstr (row->thread_id, ==, "t1");
  g_assert_cmpstr (row->config_json, ==, "{\"every\":600}");
  g_assert_cmpint (row->next_due, ==, due[0]);
  g_assert_cmpstr (row->last_status, ==, "failed");
  g_assert_cmpstr (row->last_reason, ==, "backend-unavailable");
  g_assert_cmpstr (row->last_fingerprint, ==, "fp-unchanged");
  g_assert_cmpint (row->last_run, ==, now - 10);
  g_assert_cmpstr (row->last_summary, ==, "Action: test.");
  g_assert_cmpfloat (row->last_active, ==, 10);
  g_assert_cmpint (((HbThreadRow *) rows->pdata[0])->next_due, ==, 0);

  /* NULL clears the overrides. */
  g_assert_true (save_config (f->store, "t1", NULL, &error));
  row = store_get_thread (f->store, "t1", &error);
  g_assert_no_error (error);
  g_assert_null (row->config_json);
  hb_thread_row_free (row);
}

static gint64
data_version (HbStore *store)
{
  GAsyncResult *slot = NULL;
  g_autoptr(GAsyncResult) res = NULL;
  g_autoptr(GError) error = NULL;
  gint64 v;

  hb_store_get_data_version_async (store, NULL, store_cb, &slot);
  res = wait_result (&slot);
  v = hb_store_get_data_version_finish (store, res, &error);
  g_assert_no_error (error);
  return v;
}

static void
test_data_version (Fixture *f, gconstpointer data)
{
  gint64 v1, v2;

  fixture_open (f);
  v1 = data_version (f->store);
  g_assert_cmpint (data_version (f->store), ==, v1);
  db_exec_path (f->path, "INSERT INTO molt_submolts (name, created_at) VALUES ('x', 1)");
  v2 = data_version (f->store);
  g_assert_cmpint (v2, !=, v1);
}

static void
test_errors (Fixture *f, gconstpointer data)
{
  HbStoreOptions none = { NULL, NULL, NULL };
  HbStoreOptions dir = { f->dir, NULL, NULL };
  g_autoptr(GCancellable) cancellable = g_cancellable_new ();
  g_autoptr(GError) error = NULL;
  GAsyncResult *slot = NULL;
  GAsyncResult *res;
  HbStore *store;

  store = hb_store_open (&none, &error);
  g_assert_null (store);
  g_assert_error (error, HB_ERROR, HB_ERROR_DB);
  g_clear_error (&error);
  store = hb_store_open (&dir, &error);
  g_assert_null (store);
  g_assert_error (error, HB_ERROR, HB_ERROR_DB);
  g_test_message ("directory as database: %s", error->message);
  g_clear_error (&error);

  fixture_open (f);
  g_assert_cmpstr (hb_store_get_path (f->store), ==, f->path);
  g_cancellable_cancel (cancellable);
  hb_store_ensure_thread_async (f->store, "t", cancellable, store_cb, &slot);
  res = wait_result (&slot);
  g_assert_false (hb_store_ensure_thread_finish (f->store, res, NULL, &error));
  g_assert_error (error, G_IO_ERROR, G_IO_ERROR_CANCELLED);
  g_clear_error (&error);
  g_object_unref (res);
  g_assert_cmpint (db_count (f->path, "thread_sessions"), ==, 0);

  hb_store_close (f->store);
  g_assert_false (store_ensure (f->store, "t", NULL, &error));
  g_assert_error (error, HB_ERROR, HB_ERROR_DB);
}

typedef struct {
  HbStore *store;
  GThread *caller;
  GThread *callback_thread;
  GMainContext *callback_context;
  gboolean done;
} CallerState;

static void
caller_done (GObject *source, GAsyncResult *res, gpointer data)
{
  CallerState *c = data;

  c->callback_thread = g_thread_self ();
  c->callback_context = g_main_context_get_thread_default ();
  g_assert_true (hb_store_ensure_thread_finish (HB_STORE (source), res, NULL, NULL));
  c->done = TRUE;
}

static gpointer
caller_thread (gpointer data)
{
  CallerState *c = data;
  g_autoptr(GMainContext) ctx = g_main_context_new ();

  g_main_context_push_thread_default (ctx);
  c->caller = g_thread_self ();
  hb_store_ensure_thread_async (c->store, "from a thread", NULL, caller_done, c);
  while (!c->done)
    g_main_context_iteration (ctx, TRUE);
  g_assert_true (c->callback_context == ctx);
  g_main_context_pop_thread_default (ctx);
  return NULL;
}

/* Results come back in the thread-default context of whoever asked, on that thread. */
static void
test_caller_context (Fixture *f, gconstpointer data)
{
  CallerState c = { 0 };
  GThread *thread;

  fixture_open (f);
  c.store = f->store;
  thread = g_thread_new ("caller", caller_thread, &c);
  g_thread_join (thread);
  g_assert_true (c.done);
  g_assert_true (c.callback_thread == c.caller);
  g_assert_cmpint (db_count (f->path, "thread_sessions"), ==, 1);
}

typedef struct {
  sqlite3 *holder;
  gboolean released;
  gboolean done;
  guint ticks;
} BusyState;

static gboolean
tick (gpointer data)
{
  BusyState *b = data;

  b->ticks++;
  return G_SOURCE_CONTINUE;
}

static gboolean
release_lock (gpointer data)
{
  BusyState *b = data;

  db_exec (b->holder, "COMMIT");
  b->released = TRUE;
  return G_SOURCE_REMOVE;
}

static void
busy_ensure_done (GObject *source, GAsyncResult *res, gpointer data)
{
  BusyState *b = data;
  g_autoptr(GError) error = NULL;
  gboolean created = FALSE;

  /* Only possible once the other connection let go. */
  g_assert_true (b->released);
  g_assert_true (hb_store_ensure_thread_finish (HB_STORE (source), res, &created, &error));
  g_assert_no_error (error);
  g_assert_true (created);
  b->done = TRUE;
}

static void
test_busy_retry (Fixture *f, gconstpointer data)
{
  BusyState b = { 0 };
  guint tick_id;

  fixture_open (f);
  b.holder = db_open (f->path);
  db_exec (b.holder, "BEGIN EXCLUSIVE");
  db_exec (b.holder, "INSERT INTO molt_submolts (name, created_at) VALUES ('held', 1)");

  tick_id = g_timeout_add (10, tick, &b);
  g_timeout_add (500, release_lock, &b);
  hb_store_ensure_thread_async (f->store, "waiting", NULL, busy_ensure_done, &b);
  run_until (&b.done);
  g_source_remove (tick_id);

  /* The main loop kept running while the worker waited on the lock. */
  g_assert_cmpuint (b.ticks, >=, 5);
  g_assert_cmpint (db_count (f->path, "thread_sessions"), ==, 1);
  g_assert_cmpint (db_count (f->path, "molt_submolts"), ==, 1);
  sqlite3_close (b.holder);
}

static void
busy_finish_done (GObject *source, GAsyncResult *res, gpointer data)
{
  BusyState *b = data;
  g_autoptr(GError) error = NULL;
  g_autoptr(HbRunResult) stored = hb_store_finish_run_finish (HB_STORE (source), res, &error);

  g_assert_null (stored);
  g_assert_error (error, HB_ERROR, HB_ERROR_BUSY);
  g_test_message ("%s", error->message);
  b->done = TRUE;
}

static void
test_busy_give_up (Fixture *f, gconstpointer data)
{
  g_autoptr(HbRunResult) first = make_run ("first", "t", HB_RUN_STATUS_ACTED);
  g_autoptr(HbRunResult) run = make_run ("blocked", "t", HB_RUN_STATUS_ACTED);
  g_autoptr(HbRunResult) stored = NULL;
  HbDecision dec = make_decision (HB_ACTION_POST, "Title", "Content", -1, 0);
  HbDecision dec2 = make_decision (HB_ACTION_POST, "Title 2", "Content 2", -1, 0);
  BusyState b = { 0 };
  guint tick_id;

  fixture_open (f);
  hb_run_result_free (store_finish_ok (f->store, first, &dec, NULL, NULL));

  b.holder = db_open (f->path);
  db_exec (b.holder, "BEGIN EXCLUSIVE");
  tick_id = g_timeout_add (10, tick, &b);
  hb_store_finish_run_async (f->store, run, &dec2, NULL, NULL, NULL, busy_finish_done, &b);
  run_until (&b.done);
  g_source_remove (tick_id);
  g_assert_cmpuint (b.ticks, >=, 5);
  db_exec (b.holder, "COMMIT");
  sqlite3_close (b.holder);

  /* Nothing stored before was lost, nothing half-written. */
  g_assert_cmpint (db_count (f->path, "molt_posts"), ==, 1);
  g_assert_cmpint (db_count (f->path, "heartbeat_runs"), ==, 1);
  g_assert_cmpint (db_count (f->path, "heartbeat_history"), ==, 1);
  assert_db_text (f->path, "SELECT run_id FROM heartbeat_runs", "first");

  /* And the same run goes through once the lock is gone. */
  stored = store_finish_ok (f->store, run, &dec2, NULL, NULL);
  g_assert_cmpint (stored->status, ==, HB_RUN_STATUS_ACTED);
  g_assert_cmpint (db_count (f->path, "molt_posts"), ==, 2);
}

/* The subprocess finds the parent's file by the parent's pid (no setenv once threads run). */
static char *
read_only_dir (pid_t parent)
{
  g_autofree char *name = g_strdup_printf ("hb-store-ro-%d", (int) parent);

  return g_build_filename (g_get_tmp_dir (), name, NULL);
}

/* Runs in a subprocess: as root, file modes mean nothing, so drop to nobody first. */
static void
read_only_child (const char *path)
{
  g_autoptr(HbStore) store = NULL;
  g_autoptr(HbThreadRow) row = NULL;
  g_autoptr(GError) error = NULL;

  if (geteuid () == 0)
    {
      g_assert_cmpint (setgid (65534), ==, 0);
      g_assert_cmpint (setuid (65534), ==, 0);
    }
  store = open_store_full (path, NULL, NULL);
  row = store_get_thread (store, "kept", &error);
  g_assert_no_error (error);
  g_assert_nonnull (row);
  g_assert_false (store_ensure (store, "new", NULL, &error));
  g_assert_error (error, HB_ERROR, HB_ERROR_READ_ONLY);
  g_print ("read-only confirmed: %s\n", error->message);
  hb_store_close (store);
}

static gboolean
can_drop_privileges (void)
{
  int status = 0;
  pid_t pid;

  if (geteuid () != 0)
    return TRUE;
  pid = fork ();
  if (pid == 0)
    _exit (setgid (65534) == 0 && setuid (65534) == 0 ? 0 : 1);
  if (pid < 0 || waitpid (pid, &status, 0) != pid)
    return FALSE;
  return WIFEXITED (status) && WEXITSTATUS (status) == 0;
}

static void
test_read_only (void)
{
  g_autofree char *dir = NULL;
  g_autofree char *path = NULL;
  HbStore *store;

  if (g_test_subprocess ())
    {
      dir = read_only_dir (getppid ());
      path = g_build_filename (dir, "heartbeat.db", NULL);
      read_only_child (path);
      return;
    }
  if (!can_drop_privileges ())
    {
      g_test_skip ("running as root and cannot drop privileges to make a file read-only");
      return;
    }
  dir = read_only_dir (getpid ());
  rm_rf (dir);
  g_assert_cmpint (g_mkdir (dir, 0700), ==, 0);
  path = g_build_filename (dir, "heartbeat.db", NULL);
  store = open_store_full (path, NULL, NULL);
  store_ensure_ok (store, "kept");
  hb_store_close (store);
  g_object_unref (store);

  /* The directory stays writable so that SQLite may create the WAL index to read. */
  g_assert_cmpint (g_chmod (path, 0444), ==, 0);
  g_assert_cmpint (g_chmod (dir, 0777), ==, 0);
  g_test_trap_subprocess (NULL, 30 * G_USEC_PER_SEC, G_TEST_SUBPROCESS_INHERIT_STDERR);
  g_test_trap_assert_passed ();
  g_test_trap_assert_stdout ("*read-only confirmed*");
  g_assert_cmpint (db_count (path, "thread_sessions"), ==, 1);
  rm_rf (dir);
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);

  g_test_add ("/store/migrate/fresh", Fixture, NULL, fixture_setup, test_migrate_fresh,
              fixture_teardown);
  g_test_add ("/store/migrate/crt-old", Fixture, GINT_TO_POINTER (FALSE), fixture_setup,
              test_migrate_crt, fixture_teardown);
  g_test_add ("/store/migrate/crt-with-heartbeat", Fixture, GINT_TO_POINTER (TRUE), fixture_setup,
              test_migrate_crt, fixture_teardown);
  g_test_add ("/store/threads/ids", Fixture, NULL, fixture_setup, test_threads, fixture_teardown);
  g_test_add ("/store/threads/rows", Fixture, NULL, fixture_setup, test_thread_rows,
              fixture_teardown);
  g_test_add ("/store/data-version", Fixture, NULL, fixture_setup, test_data_version,
              fixture_teardown);
  g_test_add ("/store/errors", Fixture, NULL, fixture_setup, test_errors, fixture_teardown);
  g_test_add ("/store/caller-context", Fixture, NULL, fixture_setup, test_caller_context,
              fixture_teardown);
  g_test_add ("/store/busy/retry", Fixture, NULL, fixture_setup, test_busy_retry,
              fixture_teardown);
  g_test_add ("/store/busy/give-up", Fixture, NULL, fixture_setup, test_busy_give_up,
              fixture_teardown);
  g_test_add_func ("/store/read-only", test_read_only);
  return g_test_run ();
}
