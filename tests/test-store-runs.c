/* test-store-runs.c: finishing runs (ledger writes, budgets, idempotence, atomicity), recovery of
 * interrupted runs, and history. */
#include "config.h"

#include "store-test.h"

#define THREAD "thread one"

static gint64
seed_post (const char *path, const char *title, double created_at)
{
  sqlite3 *db = db_open (path);
  g_autofree char *sql = g_strdup_printf (
    "INSERT INTO molt_posts (submolt, title, content, author, created_at, updated_at)"
    " VALUES ('general', '%s', 'hello', 'alice', %f, %f)", title, created_at, created_at);
  gint64 id;

  db_exec (db, sql);
  id = sqlite3_last_insert_rowid (db);
  sqlite3_close (db);
  return id;
}

typedef struct {
  const char *name;
  HbRunStatus status;
  HbActionKind kind;
  gboolean seed_post_target;   /* comment/vote on the seeded post */
  HbRunStatus want_status;
  const char *want_table;      /* "" no ledger row */
  gint64 d_posts, d_comments, d_votes;
  gboolean want_success;       /* heartbeat_history.success */
} FinishCase;

static const FinishCase finish_cases[] = {
  { "post", HB_RUN_STATUS_ACTED, HB_ACTION_POST, FALSE, HB_RUN_STATUS_ACTED, "molt_posts", 1, 0, 0, TRUE },
  { "comment", HB_RUN_STATUS_ACTED, HB_ACTION_COMMENT, TRUE, HB_RUN_STATUS_ACTED, "molt_comments", 0, 1, 0, TRUE },
  { "vote", HB_RUN_STATUS_ACTED, HB_ACTION_VOTE, TRUE, HB_RUN_STATUS_ACTED, "molt_votes", 0, 0, 1, TRUE },
  { "none", HB_RUN_STATUS_NO_ACTION, HB_ACTION_NONE, FALSE, HB_RUN_STATUS_NO_ACTION, "", 0, 0, 0, TRUE },
  { "acted-none", HB_RUN_STATUS_ACTED, HB_ACTION_NONE, FALSE, HB_RUN_STATUS_NO_ACTION, "", 0, 0, 0, TRUE },
  { "dry-run-post", HB_RUN_STATUS_DRY_RUN, HB_ACTION_POST, FALSE, HB_RUN_STATUS_DRY_RUN, "", 0, 0, 0, TRUE },
  { "dry-run-vote", HB_RUN_STATUS_DRY_RUN, HB_ACTION_VOTE, TRUE, HB_RUN_STATUS_DRY_RUN, "", 0, 0, 0, TRUE },
  { "failed-ignores-decision", HB_RUN_STATUS_FAILED, HB_ACTION_POST, FALSE, HB_RUN_STATUS_FAILED, "", 0, 0, 0, FALSE },
};

static void
test_finish_kinds (Fixture *f, gconstpointer data)
{
  const FinishCase *c = data;
  g_autoptr(HbRunResult) run = make_run ("run-1", THREAD, c->status);
  g_autoptr(HbRunResult) stored = NULL;
  g_autofree char *summary = NULL;
  g_autofree char *actions = NULL;
  g_autofree char *where = NULL;
  gint64 post, posts, comments, votes;
  HbDecision dec;

  fixture_open (f);
  store_ensure_ok (f->store, THREAD);
  post = seed_post (f->path, "seed", 1000);
  posts = db_count (f->path, "molt_posts");
  comments = db_count (f->path, "molt_comments");
  votes = db_count (f->path, "molt_votes");
  dec = make_decision (c->kind, "A title", "Some content", c->seed_post_target ? post : -1,
                       c->kind == HB_ACTION_VOTE ? 1 : 0);
  hb_run_result_set_string (&run->summary, "Action: something. because");
  if (c->status == HB_RUN_STATUS_FAILED)
    hb_run_result_set_string (&run->reason, "backend-unavailable");

  stored = store_finish_ok (f->store, run, &dec, NULL, "fp-1");

  g_assert_cmpstr (hb_run_status_to_string (stored->status), ==,
                   hb_run_status_to_string (c->want_status));
  g_assert_cmpstr (stored->ledger_table, ==, c->want_table);
  g_assert_cmpint (db_count (f->path, "molt_posts"), ==, posts + c->d_posts);
  g_assert_cmpint (db_count (f->path, "molt_comments"), ==, comments + c->d_comments);
  g_assert_cmpint (db_count (f->path, "molt_votes"), ==, votes + c->d_votes);
  g_assert_cmpint (db_count (f->path, "heartbeat_runs"), ==, 1);
  g_assert_cmpint (db_count (f->path, "heartbeat_history"), ==, 1);
  g_assert_cmpint (db_int (f->path, "SELECT success FROM heartbeat_history"), ==, c->want_success);
  g_assert_cmpint (stored->finished_at, >, 0);

  if (c->want_table[0] != '\0')
    {
      /* The ledger row carries the run id, and the result names the row. */
      g_autofree char *sql = g_strdup_printf ("SELECT id FROM %s WHERE heartbeat_run_id = 'run-1'",
                                              c->want_table);

      g_assert_cmpint (db_int (f->path, sql), ==, stored->ledger_id);
      g_assert_cmpint (stored->ledger_id, >, 0);
    }
  else
    g_assert_cmpint (stored->ledger_id, ==, -1);

  if (c->kind == HB_ACTION_POST && c->want_status == HB_RUN_STATUS_ACTED)
    {
      g_assert_cmpint (stored->post_id, ==, stored->ledger_id);
      assert_db_text (f->path, "SELECT author || '/' || submolt || '/' || source_type"
                      " FROM molt_posts WHERE heartbeat_run_id = 'run-1'",
                      "heartbeat/heartbeat/heartbeat");
      g_assert_cmpint (count_where (f->path, "molt_submolts", "name = 'heartbeat'"), ==, 1);
    }
  if (c->kind == HB_ACTION_VOTE && c->want_status == HB_RUN_STATUS_ACTED)
    {
      g_assert_cmpstr (stored->vote_direction, ==, "up");
      g_assert_cmpint (db_int (f->path, "SELECT value FROM molt_votes"), ==, 1);
    }
  if (c->status == HB_RUN_STATUS_DRY_RUN)
    {
      /* What would have happened is recorded. */
      g_assert_cmpstr (stored->action, ==, c->kind == HB_ACTION_POST ? "post" : "vote");
      g_assert_true (stored->dry_run);
    }
  if (c->status == HB_RUN_STATUS_FAILED)
    {
      g_assert_cmpstr (stored->action, ==, "");
      g_assert_cmpstr (stored->reason, ==, "backend-unavailable");
    }

  summary = db_text (f->path, "SELECT heartbeat_last_summary FROM thread_sessions");
  g_assert_cmpstr (summary, ==, "Action: something. because");
  actions = db_text (f->path, "SELECT heartbeat_last_actions_json FROM thread_sessions");
  g_assert_true (g_str_has_prefix (actions, "["));
  g_assert_cmpint (db_int (f->path, "SELECT heartbeat_last_run IS NOT NULL FROM thread_sessions"),
                   ==, 1);
  where = g_strdup_printf ("run_id = 'run-1' AND fingerprint = 'fp-1' AND status = '%s'",
                           hb_run_status_to_string (c->want_status));
  g_assert_cmpint (count_where (f->path, "heartbeat_runs", where), ==, 1);
}

static void
test_finish_unknown_post (Fixture *f, gconstpointer data)
{
  const HbActionKind kinds[] = { HB_ACTION_COMMENT, HB_ACTION_VOTE };

  fixture_open (f);
  store_ensure_ok (f->store, THREAD);
  seed_post (f->path, "seed", 1000);
  for (guint i = 0; i < G_N_ELEMENTS (kinds); i++)
    {
      g_autofree char *run_id = g_strdup_printf ("run-%u", i);
      g_autoptr(HbRunResult) run = make_run (run_id, THREAD, HB_RUN_STATUS_ACTED);
      HbDecision dec = make_decision (kinds[i], NULL, "text", 999, 1);
      g_autoptr(HbRunResult) stored = store_finish_ok (f->store, run, &dec, NULL, NULL);

      g_assert_cmpint (stored->status, ==, HB_RUN_STATUS_INVALID);
      g_assert_cmpstr (stored->reason, ==, "unknown-post");
      g_assert_cmpint (stored->ledger_id, ==, -1);
    }
  g_assert_cmpint (db_count (f->path, "molt_comments"), ==, 0);
  g_assert_cmpint (db_count (f->path, "molt_votes"), ==, 0);
  g_assert_cmpint (count_where (f->path, "heartbeat_runs", "status = 'invalid'"), ==, 2);
  g_assert_cmpint (db_int (f->path, "SELECT SUM(success) FROM heartbeat_history"), ==, 0);
}

static void
test_finish_vote_upsert (Fixture *f, gconstpointer data)
{
  const int votes[] = { 1, -1 };
  gint64 post;
  g_autoptr(HbContext) ctx = NULL;

  fixture_open (f);
  post = seed_post (f->path, "seed", 1000);
  for (guint i = 0; i < G_N_ELEMENTS (votes); i++)
    {
      g_autofree char *run_id = g_strdup_printf ("vote-%u", i);
      g_autoptr(HbRunResult) run = make_run (run_id, THREAD, HB_RUN_STATUS_ACTED);
      HbDecision dec = make_decision (HB_ACTION_VOTE, NULL, NULL, post, votes[i]);
      g_autoptr(HbRunResult) stored = store_finish_ok (f->store, run, &dec, NULL, NULL);

      g_assert_cmpint (stored->status, ==, HB_RUN_STATUS_ACTED);
      g_assert_cmpstr (stored->vote_direction, ==, votes[i] > 0 ? "up" : "down");
    }
  g_assert_cmpint (db_count (f->path, "molt_votes"), ==, 1);
  g_assert_cmpint (db_int (f->path, "SELECT value FROM molt_votes"), ==, -1);
  assert_db_text (f->path, "SELECT heartbeat_run_id FROM molt_votes", "vote-1");
  ctx = store_context (f->store, THREAD);
  g_assert_cmpuint (ctx->feed->len, ==, 1);
  g_assert_cmpint (((HbFeedPost *) ctx->feed->pdata[0])->score, ==, -1);
}

static void
test_finish_idempotent (Fixture *f, gconstpointer data)
{
  g_autoptr(HbRunResult) run = make_run ("once", THREAD, HB_RUN_STATUS_ACTED);
  g_autoptr(HbRunResult) first = NULL;
  g_autoptr(HbRunResult) second = NULL;
  g_autoptr(GError) error = NULL;
  HbDecision dec = make_decision (HB_ACTION_POST, "First", "first content", -1, 0);
  HbDecision other = make_decision (HB_ACTION_POST, "Second", "second content", -1, 0);

  fixture_open (f);
  g_assert_true (store_begin (f->store, run, &error));
  g_assert_no_error (error);
  assert_db_text (f->path, "SELECT status FROM heartbeat_runs", "running");

  first = store_finish_ok (f->store, run, &dec, NULL, NULL);
  second = store_finish_ok (f->store, run, &other, NULL, NULL);

  g_assert_cmpint (first->status, ==, HB_RUN_STATUS_ACTED);
  g_assert_cmpstr (second->title, ==, "First");
  g_assert_cmpint (second->ledger_id, ==, first->ledger_id);
  g_assert_cmpint (second->finished_at, ==, first->finished_at);
  g_assert_cmpint (db_count (f->path, "molt_posts"), ==, 1);
  g_assert_cmpint (db_count (f->path, "heartbeat_runs"), ==, 1);
  g_assert_cmpint (db_count (f->path, "heartbeat_history"), ==, 1);

  /* Beginning a run twice is refused. */
  g_assert_false (store_begin (f->store, run, &error));
  g_assert_error (error, HB_ERROR, HB_ERROR_DB);
}

typedef struct {
  const char *thread;
  HbActionKind kind;
  const char *title;
  const char *content;
  gboolean dry_run;
  const char *want_reason;   /* NULL: accepted */
} BudgetStep;

typedef struct {
  const char *name;
  HbBudgets budgets;
  BudgetStep steps[4];
} BudgetCase;

static const BudgetCase budget_cases[] = {
  { "post-interval", { 3600, 0, 0, FALSE },
    { { "a", HB_ACTION_POST, "t1", "c1", FALSE, NULL },
      { "a", HB_ACTION_POST, "t2", "c2", FALSE, "rate-limited" },
      { "b", HB_ACTION_POST, "t3", "c3", FALSE, NULL },
      { "a", HB_ACTION_POST, "t4", "c4", TRUE, "rate-limited" } } },
  { "unlimited", { 0, 0, 0, FALSE },
    { { "a", HB_ACTION_POST, "t1", "c1", FALSE, NULL },
      { "a", HB_ACTION_POST, "t1", "c1", FALSE, NULL },
      { "a", HB_ACTION_COMMENT, NULL, "c", FALSE, NULL },
      { "a", HB_ACTION_COMMENT, NULL, "c", FALSE, NULL } } },
  { "duplicate", { 0, 0, 0, TRUE },
    { { "a", HB_ACTION_POST, "Same", "c1", FALSE, NULL },
      { "a", HB_ACTION_POST, "Same", "c2", FALSE, "duplicate" },
      { "a", HB_ACTION_POST, "Other", "c1", FALSE, "duplicate" },
      { "b", HB_ACTION_POST, "Same", "c1", FALSE, NULL } } },
  { "comment-interval", { 0, 3600, 0, FALSE },
    { { "a", HB_ACTION_COMMENT, NULL, "c1", FALSE, NULL },
      { "a", HB_ACTION_COMMENT, NULL, "c2", FALSE, "rate-limited" },
      { "b", HB_ACTION_COMMENT, NULL, "c3", FALSE, NULL },
      { "a", HB_ACTION_POST, "t", "c", FALSE, NULL } } },
  { "comments-per-day", { 0, 0, 2, FALSE },
    { { "a", HB_ACTION_COMMENT, NULL, "c1", FALSE, NULL },
      { "a", HB_ACTION_COMMENT, NULL, "c2", FALSE, NULL },
      { "a", HB_ACTION_COMMENT, NULL, "c3", FALSE, "rate-limited" },
      { "a", HB_ACTION_COMMENT, NULL, "c4", TRUE, "rate-limited" } } },
};

static void
test_finish_budgets (Fixture *f, gconstpointer data)
{
  const BudgetCase *c = data;
  gint64 post, want_rows = 0;

  fixture_open (f);
  post = seed_post (f->path, "seed", 1000);
  for (guint i = 0; i < G_N_ELEMENTS (c->steps); i++)
    {
      const BudgetStep *s = &c->steps[i];
      g_autofree char *run_id = g_strdup_printf ("%s-%u", c->name, i);
      g_autoptr(HbRunResult) run = make_run (run_id, s->thread,
                                             s->dry_run ? HB_RUN_STATUS_DRY_RUN : HB_RUN_STATUS_ACTED);
      HbDecision dec = make_decision (s->kind, s->title, s->content, post, 0);
      g_autoptr(HbRunResult) stored = store_finish_ok (f->store, run, &dec, &c->budgets, NULL);

      g_test_message ("%s step %u: %s %s", c->name, i, hb_run_status_to_string (stored->status),
                      stored->reason);
      if (s->want_reason != NULL)
        {
          g_assert_cmpint (stored->status, ==, HB_RUN_STATUS_INVALID);
          g_assert_cmpstr (stored->reason, ==, s->want_reason);
          g_assert_cmpstr (stored->error, !=, "");
        }
      else
        {
          g_assert_cmpint (stored->status, ==, s->dry_run ? HB_RUN_STATUS_DRY_RUN : HB_RUN_STATUS_ACTED);
          want_rows += s->dry_run ? 0 : 1;
        }
    }
  g_assert_cmpint (db_count (f->path, "molt_posts") - 1 + db_count (f->path, "molt_comments"), ==,
                   want_rows);
}

static void
test_finish_fault (Fixture *f, gconstpointer data)
{
  g_autoptr(HbRunResult) run = make_run ("faulty", THREAD, HB_RUN_STATUS_ACTED);
  g_autoptr(HbRunResult) stored = NULL;
  g_autoptr(HbRunResult) again = NULL;
  g_autoptr(GError) error = NULL;
  HbDecision dec = make_decision (HB_ACTION_POST, "Title", "Content", -1, 0);

  fixture_open (f);
  hb_store_set_fault (f->store, HB_STORE_FAULT_AFTER_LEDGER_WRITE);
  stored = store_finish (f->store, run, &dec, NULL, NULL, &error);
  g_assert_error (error, HB_ERROR, HB_ERROR_DB);
  g_assert_null (stored);
  g_clear_error (&error);
  /* Neither the ledger row (nor the submolt made for it) nor the record remain. */
  g_assert_cmpint (db_count (f->path, "molt_posts"), ==, 0);
  g_assert_cmpint (db_count (f->path, "molt_submolts"), ==, 0);
  g_assert_cmpint (db_count (f->path, "heartbeat_runs"), ==, 0);
  g_assert_cmpint (db_count (f->path, "heartbeat_history"), ==, 0);

  /* With the run begun, only the begin record stays: still running. */
  g_assert_true (store_begin (f->store, run, &error));
  g_assert_no_error (error);
  stored = store_finish (f->store, run, &dec, NULL, NULL, &error);
  g_assert_error (error, HB_ERROR, HB_ERROR_DB);
  g_clear_error (&error);
  g_assert_cmpint (db_count (f->path, "molt_posts"), ==, 0);
  assert_db_text (f->path, "SELECT status FROM heartbeat_runs", "running");

  hb_store_set_fault (f->store, HB_STORE_FAULT_NONE);
  again = store_finish_ok (f->store, run, &dec, NULL, NULL);
  g_assert_cmpint (again->status, ==, HB_RUN_STATUS_ACTED);
  g_assert_cmpint (db_count (f->path, "molt_posts"), ==, 1);
  g_assert_cmpint (db_count (f->path, "heartbeat_history"), ==, 1);
}

static void
test_finish_bad_input (Fixture *f, gconstpointer data)
{
  g_autoptr(HbRunResult) running = make_run ("r", THREAD, HB_RUN_STATUS_RUNNING);
  g_autoptr(HbRunResult) acted = make_run ("a", THREAD, HB_RUN_STATUS_ACTED);
  g_autoptr(GError) error = NULL;
  HbRunResult *stored;

  fixture_open (f);
  stored = store_finish (f->store, running, NULL, NULL, NULL, &error);
  g_assert_null (stored);
  g_assert_error (error, HB_ERROR, HB_ERROR_FAILED);
  g_clear_error (&error);
  /* "acted" with nothing to act on would be a lie. */
  stored = store_finish (f->store, acted, NULL, NULL, NULL, &error);
  g_assert_null (stored);
  g_assert_error (error, HB_ERROR, HB_ERROR_FAILED);
  g_assert_cmpint (db_count (f->path, "heartbeat_runs"), ==, 0);
}

static void
test_interrupted (Fixture *f, gconstpointer data)
{
  g_autoptr(HbRunResult) running = make_run ("crashed", THREAD, HB_RUN_STATUS_RUNNING);
  g_autoptr(HbRunResult) done = make_run ("done", THREAD, HB_RUN_STATUS_NO_ACTION);
  g_autoptr(HbRunResult) stored = NULL;
  g_autoptr(GPtrArray) runs = NULL;
  g_autoptr(GError) error = NULL;
  guint64 total = 0;

  fixture_open (f);
  done->started_at -= G_USEC_PER_SEC;
  hb_run_result_free (store_finish_ok (f->store, done, NULL, NULL, NULL));
  g_assert_true (store_begin (f->store, running, &error));
  g_assert_no_error (error);

  fixture_reopen (f);
  runs = store_history (f->store, THREAD, 0, &total);
  g_assert_cmpuint (total, ==, 2);
  stored = g_ptr_array_steal_index (runs, 0);
  g_assert_cmpstr (stored->run_id, ==, "crashed");
  g_assert_cmpint (stored->status, ==, HB_RUN_STATUS_INTERRUPTED);
  g_assert_cmpstr (stored->error, ==, "daemon stopped before the run finished");
  g_assert_cmpint (stored->finished_at, >=, running->started_at);
  g_assert_cmpint (((HbRunResult *) runs->pdata[0])->status, ==, HB_RUN_STATUS_NO_ACTION);
}

static void
test_history (Fixture *f, gconstpointer data)
{
  g_autoptr(HbRunResult) full = make_run ("full", THREAD, HB_RUN_STATUS_FAILED);
  g_autoptr(HbRunResult) stored = NULL;
  g_autoptr(GPtrArray) runs = NULL;
  g_autoptr(GPtrArray) all = NULL;
  gint64 base = g_get_real_time () - 100 * G_USEC_PER_SEC;
  guint64 total = 0;

  fixture_open (f);
  for (guint i = 0; i < 25; i++)
    {
      g_autofree char *run_id = g_strdup_printf ("run-%02u", i);
      g_autoptr(HbRunResult) run = make_run (run_id, THREAD, HB_RUN_STATUS_NO_ACTION);
      g_autoptr(HbRunResult) r = NULL;

      run->started_at = base + i * G_USEC_PER_SEC;
      r = store_finish_ok (f->store, run, NULL, NULL, NULL);
    }
  /* Another thread's runs are not counted. */
  stored = make_run ("elsewhere", "other", HB_RUN_STATUS_NO_ACTION);
  hb_run_result_free (store_finish_ok (f->store, stored, NULL, NULL, NULL));
  g_clear_pointer (&stored, hb_run_result_free);

  runs = store_history (f->store, THREAD, 10, &total);
  g_assert_cmpuint (total, ==, 25);
  g_assert_cmpuint (runs->len, ==, 10);
  for (guint i = 0; i < runs->len; i++)
    {
      g_autofree char *want = g_strdup_printf ("run-%02u", 24 - i);

      g_assert_cmpstr (((HbRunResult *) runs->pdata[i])->run_id, ==, want);
    }
  all = store_history (f->store, THREAD, 0, &total);
  g_assert_cmpuint (all->len, ==, 20);

  /* Every field comes back as it went in. */
  full->started_at = base + 1000 * G_USEC_PER_SEC + 123457;
  full->scheduled_for = full->started_at - 987654;
  full->finished_at = full->started_at + 5 * G_USEC_PER_SEC + 1;
  hb_run_result_set_string (&full->reason, "timeout");
  hb_run_result_set_string (&full->reasoning, "thinking “quoted” ✓");
  hb_run_result_set_string (&full->error, "deadline passed");
  hb_run_result_set_string (&full->options_json, "{\"temperature\":0.7}");
  hb_run_result_set_string (&full->prompt, "You are an agent…");
  hb_run_result_set_string (&full->prompt_sha256, "abc123");
  hb_run_result_set_string (&full->raw_response, "{\"action\":");
  full->prompt_tokens = 321;
  full->eval_tokens = 12;
  full->total_duration_ns = 9000000000;
  full->load_duration_ns = 1000;
  full->eval_duration_ns = 2000;
  full->llm_wall_us = 4500000;
  full->notify = TRUE;
  stored = store_finish_ok (f->store, full, NULL, NULL, "fp");
  assert_runs_equal (stored, full);
  g_clear_pointer (&runs, g_ptr_array_unref);
  runs = store_history (f->store, THREAD, 1, &total);
  g_assert_cmpuint (total, ==, 26);
  assert_runs_equal (runs->pdata[0], full);
}

/* The result finish returns is the row as history reads it back, also for values the columns
 * change: invalid UTF-8, negative counts, a thread the begun row already names, odd booleans. */
static void
test_finish_as_stored (Fixture *f, gconstpointer data)
{
  g_autoptr(HbRunResult) run = make_run ("odd", THREAD, HB_RUN_STATUS_ACTED);
  g_autoptr(HbRunResult) stored = NULL;
  g_autoptr(GPtrArray) runs = NULL;
  g_autoptr(GError) error = NULL;
  HbDecision dec = make_decision (HB_ACTION_POST, "Title", "Content", -1, 0);

  fixture_open (f);
  g_assert_true (store_begin (f->store, run, &error));
  g_assert_no_error (error);
  hb_run_result_set_string (&run->thread_id, "moved");
  hb_run_result_set_string (&run->raw_response, "bad \xff\xfe bytes");
  hb_run_result_set_string (&run->fingerprint, "fp-odd");
  run->prompt_tokens = -7;
  run->llm_wall_us = -2;
  run->started_at += 1;
  run->notify = 7;
  stored = store_finish_ok (f->store, run, &dec, NULL, "fp-odd");
  runs = store_history (f->store, THREAD, 1, NULL);
  g_assert_cmpuint (runs->len, ==, 1);
  assert_runs_equal (stored, runs->pdata[0]);
  g_assert_cmpstr (stored->fingerprint, ==, ((HbRunResult *) runs->pdata[0])->fingerprint);
  g_assert_cmpstr (stored->thread_id, ==, THREAD);
  g_assert_true (g_utf8_validate (stored->raw_response, -1, NULL));
  g_assert_cmpint (stored->prompt_tokens, ==, -1);
  g_assert_cmpint (stored->notify, ==, TRUE);
}

/* A commit larger than the WAL appends gathered in one write (hb-store-db.c) is written whole. */
static void
test_large_commit (Fixture *f, gconstpointer data)
{
  g_autoptr(HbRunResult) run = make_run ("large", THREAD, HB_RUN_STATUS_NO_ACTION);
  g_autoptr(HbRunResult) stored = NULL;
  g_autoptr(GPtrArray) runs = NULL;
  g_autofree char *prompt = g_strnfill (600 * 1024, 'p');

  fixture_open (f);
  hb_run_result_set_string (&run->prompt, prompt);
  hb_run_result_set_string (&run->raw_response, prompt + 100);
  stored = store_finish_ok (f->store, run, NULL, NULL, NULL);
  runs = store_history (f->store, THREAD, 1, NULL);
  assert_runs_equal (runs->pdata[0], stored);
  g_assert_cmpstr (((HbRunResult *) runs->pdata[0])->prompt, ==, prompt);
  fixture_reopen (f);
  g_assert_cmpint (db_int (f->path, "SELECT length(prompt) FROM heartbeat_runs"), ==, 600 * 1024);
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);

  for (guint i = 0; i < G_N_ELEMENTS (finish_cases); i++)
    {
      g_autofree char *path = g_strdup_printf ("/store/finish/%s", finish_cases[i].name);

      g_test_add (path, Fixture, &finish_cases[i], fixture_setup, test_finish_kinds,
                  fixture_teardown);
    }
  for (guint i = 0; i < G_N_ELEMENTS (budget_cases); i++)
    {
      g_autofree char *path = g_strdup_printf ("/store/budgets/%s", budget_cases[i].name);

      g_test_add (path, Fixture, &budget_cases[i], fixture_setup, test_finish_budgets,
                  fixture_teardown);
    }
  g_test_add ("/store/finish/unknown-post", Fixture, NULL, fixture_setup, test_finish_unknown_post,
              fixture_teardown);
  g_test_add ("/store/finish/vote-upsert", Fixture, NULL, fixture_setup, test_finish_vote_upsert,
              fixture_teardown);
  g_test_add ("/store/finish/idempotent", Fixture, NULL, fixture_setup, test_finish_idempotent,
              fixture_teardown);
  g_test_add ("/store/finish/fault", Fixture, NULL, fixture_setup, test_finish_fault,
              fixture_teardown);
  g_test_add ("/store/finish/bad-input", Fixture, NULL, fixture_setup, test_finish_bad_input,
              fixture_teardown);
  g_test_add ("/store/runs/interrupted", Fixture, NULL, fixture_setup, test_interrupted,
              fixture_teardown);
  g_test_add ("/store/runs/history", Fixture, NULL, fixture_setup, test_history,
              fixture_teardown);
  g_test_add ("/store/finish/as-stored", Fixture, NULL, fixture_setup, test_finish_as_stored,
              fixture_teardown);
  g_test_add ("/store/runs/large-commit", Fixture, NULL, fixture_setup, test_large_commit,
              fixture_teardown);
  return g_test_run ();
}
