/* test-pipeline.c: whole heartbeats against the fake Ollama and a real SQLite file. */
#include "config.h"

#include <glib/gstdio.h>
#include <sqlite3.h>

#include "hb-fake-ollama.h"
#include "hb-pipeline.h"

typedef struct
{
  char *dir;
  char *db_path;
  char *workspace;
  HbFakeOllama *fake;
  HbDaemonConfig *daemon_config;
  HbStore *store;
  HbLlmClient *llm;
  HbInstructions *instructions;
  HbPipeline *pipeline;
  HbThreadConfig *config;
} Fixture;

static const char *rules_md =
  "# Heartbeat\n\n## Rules\n- Summarise new posts once there are three.\n"
  "## Checklist\n- [ ] Look at open contradictions\n";

static void
write_instructions (Fixture *f, const char *text)
{
  g_autofree char *path = g_build_filename (f->workspace, "HEARTBEAT.md", NULL);

  g_assert_true (g_file_set_contents (path, text, -1, NULL));
  hb_instructions_reload (f->instructions);
}

static void
make_pipeline (Fixture *f, const char *base_url, guint headers_timeout)
{
  g_autoptr(HbLlmSettings) s = hb_llm_settings_new_default ();

  g_clear_object (&f->pipeline);
  g_clear_object (&f->llm);
  g_free (s->base_url);
  s->base_url = g_strdup (base_url);
  s->connect_timeout_s = 2;
  s->headers_timeout_s = headers_timeout;
  s->total_timeout_s = headers_timeout + 5;
  s->retries = 0;
  f->llm = hb_llm_client_new (s);
  f->pipeline = hb_pipeline_new (f->store, f->llm, f->instructions, f->daemon_config);
}

static void
fixture_setup (Fixture *f, gconstpointer data)
{
  g_autoptr(GError) error = NULL;
  HbStoreOptions opts = { 0 };

  f->dir = g_dir_make_tmp ("hb-pipeline-XXXXXX", &error);
  g_assert_no_error (error);
  f->db_path = g_build_filename (f->dir, "heartbeat.db", NULL);
  f->workspace = g_build_filename (f->dir, "workspace", NULL);
  g_assert_cmpint (g_mkdir (f->workspace, 0700), ==, 0);

  f->fake = hb_fake_ollama_new (&error);
  g_assert_no_error (error);

  f->daemon_config = hb_daemon_config_new_default ();
  opts.path = f->db_path;
  f->store = hb_store_open (&opts, &error);
  g_assert_no_error (error);
  f->instructions = hb_instructions_new (f->workspace);
  write_instructions (f, rules_md);
  make_pipeline (f, hb_fake_ollama_get_url (f->fake), 10);
  f->config = hb_thread_config_new_default ();
}

static void
remove_tree (const char *dir)
{
  g_autoptr(GDir) d = g_dir_open (dir, 0, NULL);
  const char *name;

  while (d != NULL && (name = g_dir_read_name (d)) != NULL)
    {
      g_autofree char *path = g_build_filename (dir, name, NULL);

      if (g_file_test (path, G_FILE_TEST_IS_DIR))
        remove_tree (path);
      else
        g_unlink (path);
    }
  g_rmdir (dir);
}

static void
fixture_teardown (Fixture *f, gconstpointer data)
{
  g_clear_object (&f->pipeline);
  g_clear_object (&f->llm);
  g_clear_object (&f->instructions);
  if (f->store != NULL)
    hb_store_close (f->store);
  g_clear_object (&f->store);
  hb_fake_ollama_free (f->fake);
  hb_daemon_config_free (f->daemon_config);
  hb_thread_config_free (f->config);
  remove_tree (f->dir);
  g_free (f->dir);
  g_free (f->db_path);
  g_free (f->workspace);
}

/* ---- helpers --------------------------------------------------------------------------------- */

static sqlite3 *
open_db (Fixture *f)
{
  sqlite3 *db = NULL;

  g_assert_cmpint (sqlite3_open_v2 (f->db_path, &db, SQLITE_OPEN_READWRITE, NULL), ==, SQLITE_OK);
  sqlite3_busy_timeout (db, 5000);
  return db;
}

static gint64
count (Fixture *f, const char *sql)
{
  sqlite3 *db = open_db (f);
  sqlite3_stmt *stmt = NULL;
  gint64 n;

  g_assert_cmpint (sqlite3_prepare_v2 (db, sql, -1, &stmt, NULL), ==, SQLITE_OK);
  g_assert_cmpint (sqlite3_step (stmt), ==, SQLITE_ROW);
  n = sqlite3_column_int64 (stmt, 0);
  sqlite3_finalize (stmt);
  sqlite3_close (db);
  return n;
}

static char *
query_text (Fixture *f, const char *sql)
{
  sqlite3 *db = open_db (f);
  sqlite3_stmt *stmt = NULL;
  char *text = NULL;

  g_assert_cmpint (sqlite3_prepare_v2 (db, sql, -1, &stmt, NULL), ==, SQLITE_OK);
  if (sqlite3_step (stmt) == SQLITE_ROW)
    text = g_strdup ((const char *) sqlite3_column_text (stmt, 0));
  sqlite3_finalize (stmt);
  sqlite3_close (db);
  return text;
}

static void
exec_sql (Fixture *f, const char *sql)
{
  sqlite3 *db = open_db (f);
  char *msg = NULL;

  if (sqlite3_exec (db, sql, NULL, NULL, &msg) != SQLITE_OK)
    g_error ("%s: %s", sql, msg);
  sqlite3_close (db);
}

static gint64
insert_post (Fixture *f, const char *title)
{
  g_autofree char *sql = NULL;

  exec_sql (f, "INSERT OR IGNORE INTO molt_submolts (name, created_at) VALUES ('general', 1)");
  sql = g_strdup_printf ("INSERT INTO molt_posts (submolt, title, content, author, created_at, "
                         "updated_at) VALUES ('general', '%s', 'body', 'alice', 10, 10)", title);
  exec_sql (f, sql);
  return count (f, "SELECT max(id) FROM molt_posts");
}

typedef struct
{
  gboolean done;
  HbRunResult *result;
  GError *error;
} Wait;

static void
on_run (GObject *source, GAsyncResult *res, gpointer user_data)
{
  Wait *w = user_data;

  w->result = hb_pipeline_run_finish (HB_PIPELINE (source), res, &w->error);
  w->done = TRUE;
}

static gboolean
on_deadline (gpointer user_data)
{
  g_error ("the run did not finish in time");
  return G_SOURCE_REMOVE;
}

static HbRunResult *
run_with_id (Fixture *f, const char *thread_id, const char *run_id, gboolean skip_unchanged,
             const char *fingerprint, GCancellable *cancellable, gboolean preview)
{
  HbRunRequest req = { 0 };
  Wait w = { 0 };
  guint deadline = g_timeout_add_seconds (30, on_deadline, NULL);

  req.thread_id = thread_id;
  req.run_id = run_id;
  req.config = f->config;
  req.skip_unchanged = skip_unchanged;
  req.last_fingerprint = fingerprint;
  req.preview = preview;
  hb_pipeline_run_async (f->pipeline, &req, cancellable, on_run, &w);
  while (!w.done)
    g_main_context_iteration (NULL, TRUE);
  g_source_remove (deadline);
  g_assert_no_error (w.error);
  g_assert_nonnull (w.result);
  return w.result;
}

static HbRunResult *
run_full (Fixture *f, const char *thread_id, gboolean skip_unchanged, const char *fingerprint,
          GCancellable *cancellable, gboolean preview)
{
  return run_with_id (f, thread_id, NULL, skip_unchanged, fingerprint, cancellable, preview);
}

static HbRunResult *
run (Fixture *f)
{
  return run_full (f, "default", FALSE, NULL, NULL, FALSE);
}

static void
assert_run_recorded (Fixture *f, const HbRunResult *r, const char *status, const char *reason)
{
  g_autofree char *sql = g_strdup_printf ("SELECT status || '/' || coalesce(reason, '') FROM "
                                          "heartbeat_runs WHERE run_id = '%s'", r->run_id);
  g_autofree char *stored = query_text (f, sql);
  g_autofree char *expected = g_strdup_printf ("%s/%s", status, reason);

  g_assert_cmpstr (hb_run_status_to_string (r->status), ==, status);
  g_assert_cmpstr (r->reason, ==, reason);
  g_assert_cmpstr (stored, ==, expected);
  g_assert_cmpint (count (f, "SELECT count(*) FROM heartbeat_runs"), ==, 1);
}

static gint64
ledger_rows (Fixture *f)
{
  return count (f, "SELECT (SELECT count(*) FROM molt_posts WHERE author = 'heartbeat') + "
                   "(SELECT count(*) FROM molt_comments) + (SELECT count(*) FROM molt_votes)");
}

/* ---- the outcomes ------------------------------------------------------------------------- */

static void
test_post (Fixture *f, gconstpointer data)
{
  g_autoptr(HbRunResult) r = NULL;
  g_autofree char *sql = NULL;
  g_autofree char *run_id = NULL;
  g_autofree char *summary = NULL;
  JsonObject *req;

  hb_fake_ollama_push_content (f->fake, "{\"action\":\"post\",\"title\":\"Daily <summary>\","
                                        "\"content\":\"Three new posts today.\","
                                        "\"reasoning\":\"3+ posts detected\"}");
  r = run (f);
  assert_run_recorded (f, r, "acted", "");
  g_assert_cmpstr (r->action, ==, "post");
  g_assert_cmpstr (r->title, ==, "Daily &lt;summary&gt;");
  g_assert_cmpstr (r->summary, ==, "Action: post. 3+ posts detected");
  g_assert_cmpint (r->ledger_id, >, 0);
  g_assert_cmpstr (r->ledger_table, ==, "molt_posts");
  g_assert_cmpint (ledger_rows (f), ==, 1);

  sql = g_strdup_printf ("SELECT heartbeat_run_id FROM molt_posts WHERE id = %" G_GINT64_FORMAT,
                         r->ledger_id);
  run_id = query_text (f, sql);
  g_assert_cmpstr (run_id, ==, r->run_id);
  summary = query_text (f, "SELECT heartbeat_last_summary FROM thread_sessions "
                           "WHERE thread_id = 'default'");
  g_assert_cmpstr (summary, ==, "Action: post. 3+ posts detected");
  g_assert_cmpint (count (f, "SELECT count(*) FROM heartbeat_history WHERE success = 1"), ==, 1);

  /* What reached the model: our request shape and the standing instructions. */
  req = hb_fake_ollama_get_last_request (f->fake);
  g_assert_nonnull (req);
  g_assert_true (json_object_has_member (req, "stream"));
  g_assert_false (json_object_get_boolean_member (req, "stream"));
  g_assert_false (json_object_get_boolean_member (req, "think"));
  g_assert_true (JSON_NODE_HOLDS_OBJECT (json_object_get_member (req, "format")));
  g_assert_nonnull (strstr (r->prompt, "Summarise new posts once there are three."));
  g_assert_cmpuint (strlen (r->prompt_sha256), ==, 64);
}

static void
test_dry_run (Fixture *f, gconstpointer data)
{
  g_autoptr(HbRunResult) r = NULL;

  f->config->dry_run = TRUE;
  hb_fake_ollama_push_content (f->fake, "{\"action\":\"post\",\"title\":\"T\",\"content\":\"C\","
                                        "\"reasoning\":\"r\"}");
  r = run (f);
  assert_run_recorded (f, r, "dry-run", "");
  g_assert_true (r->dry_run);
  g_assert_cmpint (r->ledger_id, ==, -1);
  g_assert_cmpint (ledger_rows (f), ==, 0);
}

static void
test_comment_and_vote (Fixture *f, gconstpointer data)
{
  gint64 post = insert_post (f, "hello");
  g_autofree char *comment = g_strdup_printf ("{\"action\":\"comment\",\"post_id\":\"%" G_GINT64_FORMAT
                                              "\",\"content\":\"Nice\",\"reasoning\":\"r\"}", post);
  g_autofree char *vote = g_strdup_printf ("```json\n{\"action\":\"vote\",\"post_id\":%" G_GINT64_FORMAT
                                           ",\"vote_direction\":\" UP \",\"reasoning\":\"r\"}\n```",
                                           post);
  g_autoptr(HbRunResult) r1 = NULL;
  g_autoptr(HbRunResult) r2 = NULL;

  hb_fake_ollama_push_content (f->fake, comment);
  r1 = run (f);
  g_assert_cmpstr (hb_run_status_to_string (r1->status), ==, "acted");
  g_assert_cmpstr (r1->ledger_table, ==, "molt_comments");
  g_assert_cmpint (r1->post_id, ==, post);

  hb_fake_ollama_push_content (f->fake, vote);
  r2 = run (f);
  g_assert_cmpstr (hb_run_status_to_string (r2->status), ==, "acted");
  g_assert_cmpstr (r2->ledger_table, ==, "molt_votes");
  g_assert_cmpstr (r2->vote_direction, ==, "up");
  g_assert_cmpint (count (f, "SELECT count(*) FROM molt_comments"), ==, 1);
  g_assert_cmpint (count (f, "SELECT sum(value) FROM molt_votes"), ==, 1);
  g_assert_cmpint (count (f, "SELECT count(*) FROM heartbeat_runs"), ==, 2);
}

static void
test_none (Fixture *f, gconstpointer data)
{
  g_autoptr(HbRunResult) r = NULL;

  hb_fake_ollama_push_content (f->fake, "Sure! {\"action\":\"none\",\"reasoning\":\"quiet day\"}");
  r = run (f);
  assert_run_recorded (f, r, "no-action", "");
  g_assert_cmpstr (r->summary, ==, "Action: none. quiet day");
  g_assert_cmpint (ledger_rows (f), ==, 0);
}

static void
test_invalid (Fixture *f, gconstpointer data)
{
  g_autoptr(HbRunResult) r1 = NULL;
  g_autoptr(HbRunResult) r2 = NULL;

  hb_fake_ollama_push_content (f->fake, "I think we should post something nice.");
  r1 = run (f);
  assert_run_recorded (f, r1, "invalid", "no-json");
  g_assert_cmpint (ledger_rows (f), ==, 0);

  hb_fake_ollama_push_content (f->fake, "{\"action\":\"comment\",\"post_id\":4242,"
                                        "\"content\":\"hi\",\"reasoning\":\"r\"}");
  r2 = run (f);
  g_assert_cmpstr (hb_run_status_to_string (r2->status), ==, "invalid");
  g_assert_cmpstr (r2->reason, ==, "unknown-post");
  g_assert_true (g_str_has_prefix (r2->summary, "invalid (unknown-post): "));
  g_assert_cmpint (ledger_rows (f), ==, 0);
  g_assert_cmpint (count (f, "SELECT count(*) FROM heartbeat_history WHERE success = 0"), ==, 2);
}

static void
test_failure_classes (Fixture *f, gconstpointer data)
{
  g_autoptr(HbRunResult) missing = NULL;
  g_autoptr(HbRunResult) protocol = NULL;
  g_autoptr(HbRunResult) busy = NULL;
  g_autoptr(HbRunResult) timeout = NULL;
  g_autoptr(HbRunResult) unreachable = NULL;
  HbFakeStep stall = { .kind = HB_FAKE_NO_HEADERS };

  hb_fake_ollama_push_status (f->fake, 404, "{\"error\":\"model 'llama3.2:latest' not found\"}");
  missing = run (f);
  g_assert_cmpstr (hb_run_status_to_string (missing->status), ==, "failed");
  g_assert_cmpstr (missing->reason, ==, "model-missing");

  hb_fake_ollama_push (f->fake, &(HbFakeStep) { .kind = HB_FAKE_RAW, .text = "<html>oops</html>" });
  protocol = run (f);
  g_assert_cmpstr (protocol->reason, ==, "protocol");

  hb_fake_ollama_push_status (f->fake, 503, "{\"error\":\"server busy, please try again. "
                                            "maximum pending requests exceeded\"}");
  busy = run (f);
  g_assert_cmpstr (busy->reason, ==, "backend-unavailable");

  make_pipeline (f, hb_fake_ollama_get_url (f->fake), 1);
  hb_fake_ollama_push (f->fake, &stall);
  timeout = run (f);
  g_assert_cmpstr (timeout->reason, ==, "timeout");

  /* Port 9 (discard) is closed here: nothing listens. */
  make_pipeline (f, "http://127.0.0.1:9", 10);
  unreachable = run (f);
  g_assert_cmpstr (hb_run_status_to_string (unreachable->status), ==, "failed");
  g_assert_cmpstr (unreachable->reason, ==, "backend-unavailable");

  g_assert_cmpint (ledger_rows (f), ==, 0);
  g_assert_cmpint (count (f, "SELECT count(*) FROM heartbeat_runs WHERE status = 'failed'"), ==, 5);
  g_assert_cmpint (count (f, "SELECT count(*) FROM heartbeat_history WHERE success = 1"), ==, 0);
}

static void
test_db_failure (Fixture *f, gconstpointer data)
{
  g_autoptr(HbRunResult) r = NULL;
  GLogLevelFlags fatal;

  /* The pipeline warns that the record failed: expected here. */
  fatal = g_log_set_always_fatal (G_LOG_FATAL_MASK | G_LOG_LEVEL_CRITICAL);
  hb_store_set_fault (f->store, HB_STORE_FAULT_AFTER_LEDGER_WRITE);
  hb_fake_ollama_push_content (f->fake, "{\"action\":\"post\",\"title\":\"T\",\"content\":\"C\","
                                        "\"reasoning\":\"r\"}");
  r = run (f);
  g_log_set_always_fatal (fatal);
  g_assert_cmpstr (hb_run_status_to_string (r->status), ==, "failed");
  g_assert_cmpstr (r->reason, ==, "db");
  g_assert_cmpint (r->ledger_id, ==, -1);
  /* The failed transaction left no ledger row; the failure itself was recorded. */
  g_assert_cmpint (ledger_rows (f), ==, 0);
  g_assert_cmpint (count (f, "SELECT count(*) FROM heartbeat_runs WHERE status = 'failed' "
                             "AND reason = 'db'"), ==, 1);
}

/* The start record is written together with the context read; when it fails (here: the run id
 * is taken) the run says so and nothing else is written, the read's answer notwithstanding. */
static void
test_start_record_failure (Fixture *f, gconstpointer data)
{
  g_autoptr(HbRunResult) first = NULL;
  g_autoptr(HbRunResult) again = NULL;
  GLogLevelFlags fatal;

  hb_fake_ollama_push_content (f->fake, "{\"action\":\"post\",\"title\":\"T\",\"content\":\"C\","
                                        "\"reasoning\":\"r\"}");
  first = run_with_id (f, "default", "run-taken", FALSE, NULL, NULL, FALSE);
  g_assert_cmpstr (hb_run_status_to_string (first->status), ==, "acted");

  /* The pipeline warns that the start could not be recorded: expected here. */
  fatal = g_log_set_always_fatal (G_LOG_FATAL_MASK | G_LOG_LEVEL_CRITICAL);
  again = run_with_id (f, "default", "run-taken", FALSE, NULL, NULL, FALSE);
  g_log_set_always_fatal (fatal);
  g_assert_cmpstr (hb_run_status_to_string (again->status), ==, "failed");
  g_assert_cmpstr (again->reason, ==, "db");
  g_assert_cmpuint (hb_fake_ollama_get_requests (f->fake), ==, 1);
  g_assert_cmpint (ledger_rows (f), ==, 1);
  g_assert_cmpint (count (f, "SELECT count(*) FROM heartbeat_runs"), ==, 1);
  g_assert_cmpint (count (f, "SELECT count(*) FROM heartbeat_runs WHERE run_id = 'run-taken' "
                             "AND status = 'acted'"), ==, 1);
}

static void
test_empty_instructions (Fixture *f, gconstpointer data)
{
  g_autoptr(HbRunResult) r = NULL;

  write_instructions (f, "# Heartbeat\n\n## Checklist\n- [ ]\n<!-- nothing yet -->\n");
  r = run (f);
  assert_run_recorded (f, r, "skipped", "empty-instructions");
  g_assert_cmpuint (hb_fake_ollama_get_requests (f->fake), ==, 0);
}

static void
test_missing_instructions (Fixture *f, gconstpointer data)
{
  g_autofree char *path = g_build_filename (f->workspace, "HEARTBEAT.md", NULL);
  g_autoptr(HbRunResult) r = NULL;

  g_assert_cmpint (g_unlink (path), ==, 0);
  hb_instructions_reload (f->instructions);
  r = run (f);
  assert_run_recorded (f, r, "no-action", "");
  g_assert_cmpuint (hb_fake_ollama_get_requests (f->fake), ==, 1);
}

typedef struct
{
  HbStore *store;
  HbThreadRow *row;
} RowWait;

static void
on_row (GObject *source, GAsyncResult *res, gpointer user_data)
{
  RowWait *w = user_data;

  w->row = hb_store_get_thread_finish (HB_STORE (source), res, NULL);
  g_assert_nonnull (w->row);
}

static void
test_unchanged (Fixture *f, gconstpointer data)
{
  g_autoptr(HbRunResult) r1 = NULL;
  g_autoptr(HbRunResult) r2 = NULL;
  g_autoptr(HbRunResult) r3 = NULL;
  RowWait w = { f->store, NULL };

  r1 = run (f);
  g_assert_cmpstr (hb_run_status_to_string (r1->status), ==, "no-action");
  hb_store_get_thread_async (f->store, "default", NULL, on_row, &w);
  while (w.row == NULL)
    g_main_context_iteration (NULL, TRUE);
  g_assert_cmpstr (w.row->last_fingerprint, !=, "");

  r2 = run_full (f, "default", TRUE, w.row->last_fingerprint, NULL, FALSE);
  g_assert_cmpstr (hb_run_status_to_string (r2->status), ==, "skipped");
  g_assert_cmpstr (r2->reason, ==, "unchanged");
  g_assert_cmpuint (hb_fake_ollama_get_requests (f->fake), ==, 1);

  /* A new message in the thread is a change. */
  exec_sql (f, "INSERT INTO recent_queries (thread_id, query_text, query_normalized, timestamp) "
               "VALUES ('default', 'new question', 'new question', 100)");
  r3 = run_full (f, "default", TRUE, w.row->last_fingerprint, NULL, FALSE);
  g_assert_cmpstr (hb_run_status_to_string (r3->status), ==, "no-action");
  g_assert_cmpuint (hb_fake_ollama_get_requests (f->fake), ==, 2);
  hb_thread_row_free (w.row);
}

static gboolean
cancel_when_asked (gpointer user_data)
{
  gpointer *pair = user_data;

  if (hb_fake_ollama_get_in_flight (pair[0]) == 0)
    return G_SOURCE_CONTINUE;
  g_cancellable_cancel (pair[1]);
  return G_SOURCE_REMOVE;
}

static void
test_interrupted (Fixture *f, gconstpointer data)
{
  g_autoptr(GCancellable) cancellable = g_cancellable_new ();
  g_autoptr(HbRunResult) r = NULL;
  gpointer pair[2] = { f->fake, cancellable };

  hb_fake_ollama_push (f->fake, &(HbFakeStep) { .kind = HB_FAKE_NO_HEADERS });
  g_timeout_add (10, cancel_when_asked, pair);
  r = run_full (f, "default", FALSE, NULL, cancellable, FALSE);
  assert_run_recorded (f, r, "interrupted", "interrupted");
  g_assert_cmpint (ledger_rows (f), ==, 0);
}

static void
test_preview_writes_nothing (Fixture *f, gconstpointer data)
{
  g_autoptr(HbRunResult) r = NULL;

  hb_fake_ollama_push_content (f->fake, "{\"action\":\"post\",\"title\":\"T\",\"content\":\"C\","
                                        "\"reasoning\":\"r\"}");
  r = run_full (f, "default", FALSE, NULL, NULL, TRUE);
  g_assert_cmpstr (r->action, ==, "post");
  g_assert_cmpstr (r->raw_response, !=, "");
  g_assert_cmpstr (r->prompt, !=, "");
  g_assert_cmpint (ledger_rows (f), ==, 0);
  g_assert_cmpint (count (f, "SELECT count(*) FROM heartbeat_runs"), ==, 0);
}

static void
test_target_last_notifies (Fixture *f, gconstpointer data)
{
  g_autoptr(HbRunResult) r1 = NULL;
  g_autoptr(HbRunResult) r2 = NULL;

  f->config->target = HB_TARGET_LAST;
  hb_fake_ollama_push_content (f->fake, "{\"action\":\"post\",\"title\":\"T\",\"content\":\"C\","
                                        "\"reasoning\":\"r\"}");
  r1 = run (f);
  g_assert_true (r1->notify);
  r2 = run (f); /* the default reply: none */
  g_assert_false (r2->notify);
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);

#define ADD(path, fn) g_test_add (path, Fixture, NULL, fixture_setup, fn, fixture_teardown)
  ADD ("/pipeline/post", test_post);
  ADD ("/pipeline/dry-run", test_dry_run);
  ADD ("/pipeline/comment-and-vote", test_comment_and_vote);
  ADD ("/pipeline/none", test_none);
  ADD ("/pipeline/invalid", test_invalid);
  ADD ("/pipeline/failure-classes", test_failure_classes);
  ADD ("/pipeline/db-failure", test_db_failure);
  ADD ("/pipeline/start-record-failure", test_start_record_failure);
  ADD ("/pipeline/empty-instructions", test_empty_instructions);
  ADD ("/pipeline/missing-instructions", test_missing_instructions);
  ADD ("/pipeline/unchanged", test_unchanged);
  ADD ("/pipeline/interrupted", test_interrupted);
  ADD ("/pipeline/preview", test_preview_writes_nothing);
  ADD ("/pipeline/target-last", test_target_last_notifies);
#undef ADD

  return g_test_run ();
}
