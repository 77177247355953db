/* test-store-context.c: what load_context gathers (limits, order, cutting, ownership), the
 * fingerprint over the high-water marks, cutting text on UTF-8 boundaries, and the store's own
 * UTF-8 check. */
#include "config.h"

#include "hb-store-private.h"
#include "store-test.h"

#define A "thread A"
#define B "thread B"

static void
insert_message (sqlite3 *db, const char *thread, const char *query, const char *response, double ts)
{
  sqlite3_stmt *stmt = NULL;

  g_assert_cmpint (sqlite3_prepare_v2 (db,
                                       "INSERT INTO recent_queries (thread_id, query_text,"
                                       " query_normalized, response_text, timestamp)"
                                       " VALUES (?1, ?2, lower(?2), ?3, ?4)", -1, &stmt, NULL),
                   ==, SQLITE_OK);
  sqlite3_bind_text (stmt, 1, thread, -1, SQLITE_STATIC);
  sqlite3_bind_text (stmt, 2, query, -1, SQLITE_STATIC);
  sqlite3_bind_text (stmt, 3, response, -1, SQLITE_STATIC);
  sqlite3_bind_double (stmt, 4, ts);
  g_assert_cmpint (sqlite3_step (stmt), ==, SQLITE_DONE);
  sqlite3_finalize (stmt);
}

static char *
repeat (const char *unit, guint n)
{
  g_autoptr(GString) s = g_string_new (NULL);

  for (guint i = 0; i < n; i++)
    g_string_append (s, unit);
  return g_string_free (g_steal_pointer (&s), FALSE);
}

static void
test_messages (Fixture *f, gconstpointer data)
{
  sqlite3 *db;
  g_autoptr(HbContext) ctx = NULL;
  g_autofree char *long_e = repeat ("é", 600);
  g_autofree char *edge = NULL;
  g_autofree char *a499 = repeat ("a", 499);
  HbMessage *m;

  fixture_open (f);
  db = db_open (f->path);
  edge = g_strconcat (a499, "😀", "tail", NULL);
  for (guint i = 1; i <= 12; i++)
    {
      g_autofree char *q = g_strdup_printf ("message %u", i);

      insert_message (db, A, i == 11 ? long_e : i == 12 ? edge : q,
                      i == 12 ? NULL : i == 11 ? edge : "reply", 1000 + i);
      if (i % 4 == 0)
        insert_message (db, B, "other thread", "reply", 5000 + i);
    }
  sqlite3_close (db);

  ctx = store_context (f->store, A);
  g_assert_cmpuint (ctx->messages->len, ==, HB_CONTEXT_MESSAGES);
  /* The last ten, oldest first. */
  m = ctx->messages->pdata[0];
  g_assert_cmpstr (m->query, ==, "message 3");
  for (guint i = 1; i < ctx->messages->len; i++)
    g_assert_cmpint (((HbMessage *) ctx->messages->pdata[i - 1])->id, <,
                     ((HbMessage *) ctx->messages->pdata[i])->id);
  /* 600 two-byte characters cut to 500 characters. */
  m = ctx->messages->pdata[8];
  g_assert_cmpint (g_utf8_strlen (m->query, -1), ==, HB_CONTEXT_MESSAGE_CHARS);
  g_assert_cmpuint (strlen (m->query), ==, 2 * HB_CONTEXT_MESSAGE_CHARS);
  g_assert_true (g_utf8_validate (m->query, -1, NULL));
  /* A four-byte character as the 500th stays whole; the rest goes. */
  g_assert_cmpint (g_utf8_strlen (m->response, -1), ==, HB_CONTEXT_MESSAGE_CHARS);
  g_assert_true (g_str_has_suffix (m->response, "a😀"));
  m = ctx->messages->pdata[9];
  g_assert_true (g_str_has_suffix (m->query, "a😀"));
  g_assert_cmpstr (m->response, ==, "");
  g_assert_cmpfloat (m->timestamp, ==, 1012);
  /* Only this thread's messages count for its mark. */
  g_assert_cmpint (ctx->max_message_id, ==, m->id);
}

static void
insert_memory (sqlite3 *db, const char *id, const char *thread, double ts, gboolean deprecated)
{
  g_autofree char *sql = g_strdup_printf (
    "INSERT INTO memories (memory_id, vector_json, text, timestamp, confidence, trust, source,"
    " sse_mode, thread_id, deprecated, slot, value)"
    " VALUES ('%s', '[]', 'text of %s', %f, 0.9, 0.5, 'user', 'L', '%s', %d, 'slot-%s', 'value-%s')",
    id, id, ts, thread, deprecated, id, id);

  db_exec (db, sql);
}

static void
insert_contradiction (sqlite3 *db, const char *id, double ts, const char *old_id,
                      const char *new_id, const char *status)
{
  g_autofree char *sql = g_strdup_printf (
    "INSERT INTO contradictions (ledger_id, timestamp, old_memory_id, new_memory_id, drift_mean,"
    " status, affects_slots, query, summary) VALUES ('%s', %f, '%s', '%s', 0.25, '%s',"
    " 'employer', 'where do I work?', 'summary %s')", id, ts, old_id, new_id, status, id);

  db_exec (db, sql);
}

/* Fill memories and contradictions; @ledger and @memory may be the same path. */
static void
fill_contradictions (const char *ledger, const char *memory)
{
  sqlite3 *db = db_open (memory);

  insert_memory (db, "mA1", A, 1, FALSE);
  insert_memory (db, "mA2", A, 2, FALSE);
  insert_memory (db, "mB1", B, 3, FALSE);
  sqlite3_close (db);

  db = db_open (ledger);
  for (guint i = 1; i <= 6; i++)
    {
      g_autofree char *id = g_strdup_printf ("c%u", i);

      /* Owned through the old id for some, the new id for the others. */
      insert_contradiction (db, id, i, i % 2 ? "mA1" : "mX", i % 2 ? "mX" : "mA2", "open");
    }
  insert_contradiction (db, "c7", 7, "mA1", "mA2", "OPEN");
  insert_contradiction (db, "c8", 8, "mA1", "mA2", "resolved");
  insert_contradiction (db, "c9", 9, "mB1", "mX", "open");
  sqlite3_close (db);
}

static void
assert_contradictions (HbContext *ctx)
{
  const char *want[] = { "c7", "c6", "c5", "c4", "c3" };

  g_assert_cmpuint (ctx->contradictions->len, ==, HB_CONTEXT_CONTRADICTIONS);
  for (guint i = 0; i < G_N_ELEMENTS (want); i++)
    g_assert_cmpstr (((HbContradiction *) ctx->contradictions->pdata[i])->ledger_id, ==, want[i]);
  g_assert_cmpstr (((HbContradiction *) ctx->contradictions->pdata[0])->affects_slots, ==,
                   "employer");
  g_assert_cmpint (ctx->n_contradictions, ==, 7);
  g_assert_cmpfloat (ctx->max_contradiction_ts, ==, 7);
}

static void
test_contradictions (Fixture *f, gconstpointer data)
{
  g_autoptr(HbContext) ctx = NULL;
  g_autoptr(HbContext) ctx_b = NULL;

  fixture_open (f);
  fill_contradictions (f->path, f->path);
  ctx = store_context (f->store, A);
  assert_contradictions (ctx);
  ctx_b = store_context (f->store, B);
  g_assert_cmpuint (ctx_b->contradictions->len, ==, 1);
  g_assert_cmpstr (((HbContradiction *) ctx_b->contradictions->pdata[0])->ledger_id, ==, "c9");
}

/* Contradictions and memories in their own files, as CRT keeps them. */
static void
test_attached (Fixture *f, gconstpointer data)
{
  g_autoptr(HbContext) ctx = NULL;

  f->store = open_store_full (f->path, f->ledger, f->memory);
  g_assert_false (db_has_table (f->path, "contradictions"));
  g_assert_false (db_has_table (f->path, "memories"));
  g_assert_true (db_has_table (f->path, "heartbeat_runs"));
  g_assert_true (db_has_table (f->ledger, "contradictions"));
  g_assert_false (db_has_table (f->ledger, "molt_posts"));
  g_assert_true (db_has_table (f->memory, "memories"));
  g_assert_true (db_has_column (f->memory, "memories", "slot"));
  g_assert_cmpint (db_int (f->ledger, "PRAGMA user_version"), ==, HB_STORE_SCHEMA_VERSION);
  g_assert_cmpint (db_int (f->memory, "PRAGMA user_version"), ==, HB_STORE_SCHEMA_VERSION);
  g_assert_cmpint (db_int (f->memory, "SELECT COUNT(*) FROM sqlite_master WHERE type = 'index'"
                                      " AND name = 'idx_memories_thread'"), ==, 1);
  assert_db_text (f->ledger, "PRAGMA journal_mode", "wal");

  fill_contradictions (f->ledger, f->memory);
  ctx = store_context (f->store, A);
  assert_contradictions (ctx);
  g_assert_cmpuint (ctx->memories->len, ==, 2);

  /* Reopening with the files attached again is a no-op. */
  fixture_reopen (f);
  hb_store_close (f->store);
  g_clear_object (&f->store);
  f->store = open_store_full (f->path, f->ledger, f->memory);
  g_assert_cmpint (db_count (f->ledger, "contradictions"), ==, 9);
}

static void
test_feed (Fixture *f, gconstpointer data)
{
  sqlite3 *db;
  g_autoptr(HbContext) ctx = NULL;
  HbFeedPost *p;

  fixture_open (f);
  db = db_open (f->path);
  for (guint i = 1; i <= 25; i++)
    {
      g_autofree char *sql = g_strdup_printf (
        "INSERT INTO molt_posts (submolt, title, content, author, created_at, updated_at)"
        " VALUES ('general', 'post %u', 'body', 'user%u', %u, %u)", i, i % 3, 1000 + i, 1000 + i);

      db_exec (db, sql);
    }
  db_exec (db, "INSERT INTO molt_votes (target_type, target_id, voter, value, created_at) VALUES"
               " ('post', 25, 'a', 1, 1), ('post', 25, 'b', 1, 1), ('post', 25, 'c', -1, 1),"
               " ('comment', 25, 'a', 1, 1), ('post', 3, 'a', 1, 1)");
  db_exec (db, "INSERT INTO molt_comments (post_id, content, author, created_at) VALUES"
               " (25, 'x', 'a', 1), (25, 'y', 'b', 1), (24, 'z', 'a', 1)");
  sqlite3_close (db);

  ctx = store_context (f->store, A);
  g_assert_cmpuint (ctx->feed->len, ==, HB_CONTEXT_FEED);
  p = ctx->feed->pdata[0];
  g_assert_cmpint (p->id, ==, 25);
  g_assert_cmpstr (p->title, ==, "post 25");
  g_assert_cmpstr (p->author, ==, "user1");
  g_assert_cmpstr (p->submolt, ==, "general");
  g_assert_cmpfloat (p->created_at, ==, 1025);
  g_assert_cmpint (p->score, ==, 1);
  g_assert_cmpint (p->comment_count, ==, 2);
  p = ctx->feed->pdata[1];
  g_assert_cmpint (p->id, ==, 24);
  g_assert_cmpint (p->score, ==, 0);
  g_assert_cmpint (p->comment_count, ==, 1);
  g_assert_cmpint (((HbFeedPost *) ctx->feed->pdata[19])->id, ==, 6);
  g_assert_cmpint (ctx->max_post_id, ==, 25);
  g_assert_cmpint (ctx->max_comment_id, ==, 3);
  g_assert_cmpint (ctx->max_vote_id, ==, 5);
}

/* The feed reads score and comment count only from tables that have rows: each of the four
 * ways gives the same as the full query would. */
static void
test_feed_empty_tables (Fixture *f, gconstpointer data)
{
  sqlite3 *db;
  g_autoptr(HbContext) none = NULL;
  g_autoptr(HbContext) votes = NULL;
  g_autoptr(HbContext) both = NULL;
  HbFeedPost *p;

  fixture_open (f);
  db = db_open (f->path);
  db_exec (db, "INSERT INTO molt_posts (submolt, title, content, author, created_at, updated_at)"
               " VALUES ('general', 'one', 'body', 'u', 1, 1), ('general', 'two', 'body', 'u', 2, 2)");
  sqlite3_close (db);
  none = store_context (f->store, A);
  g_assert_cmpuint (none->feed->len, ==, 2);
  p = none->feed->pdata[0];
  g_assert_cmpint (p->score, ==, 0);
  g_assert_cmpint (p->comment_count, ==, 0);
  g_assert_cmpint (none->max_comment_id, ==, 0);
  g_assert_cmpint (none->max_vote_id, ==, 0);

  db_exec_path (f->path, "INSERT INTO molt_votes (target_type, target_id, voter, value, created_at)"
                         " VALUES ('post', 2, 'a', -1, 1)");
  votes = store_context (f->store, A);
  p = votes->feed->pdata[0];
  g_assert_cmpint (p->id, ==, 2);
  g_assert_cmpint (p->score, ==, -1);
  g_assert_cmpint (p->comment_count, ==, 0);
  g_assert_cmpint (votes->max_vote_id, ==, 1);

  db_exec_path (f->path, "DELETE FROM molt_votes");
  db_exec_path (f->path, "INSERT INTO molt_comments (post_id, content, author, created_at)"
                         " VALUES (1, 'x', 'a', 1)");
  both = store_context (f->store, A);
  g_assert_cmpint (((HbFeedPost *) both->feed->pdata[0])->score, ==, 0);
  p = both->feed->pdata[1];
  g_assert_cmpint (p->id, ==, 1);
  g_assert_cmpint (p->comment_count, ==, 1);
  g_assert_cmpint (both->max_comment_id, ==, 1);
  /* An emptied table keeps its AUTOINCREMENT mark out of MAX(id): as before, 0. */
  g_assert_cmpint (both->max_vote_id, ==, 0);
}

static void
test_memories (Fixture *f, gconstpointer data)
{
  sqlite3 *db;
  g_autoptr(HbContext) ctx = NULL;
  HbMemoryFact *m;

  fixture_open (f);
  db = db_open (f->path);
  for (guint i = 1; i <= 23; i++)
    {
      g_autofree char *id = g_strdup_printf ("m%02u", i);

      insert_memory (db, id, A, i, i == 23);
    }
  insert_memory (db, "mB", B, 100, FALSE);
  sqlite3_close (db);

  ctx = store_context (f->store, A);
  g_assert_cmpuint (ctx->memories->len, ==, HB_CONTEXT_MEMORIES);
  m = ctx->memories->pdata[0];
  g_assert_cmpstr (m->memory_id, ==, "m22");
  g_assert_cmpstr (m->slot, ==, "slot-m22");
  g_assert_cmpstr (m->value, ==, "value-m22");
  g_assert_cmpstr (m->text, ==, "text of m22");
  g_assert_cmpstr (m->source, ==, "user");
  g_assert_cmpfloat (m->confidence, ==, 0.9);
  g_assert_cmpstr (((HbMemoryFact *) ctx->memories->pdata[19])->memory_id, ==, "m03");
  g_assert_cmpint (ctx->n_memories, ==, 22);
  g_assert_cmpfloat (ctx->max_memory_ts, ==, 22);
}

/* A CRT memory file: text only, no slot/value; read as it is and left as it is. */
static void
test_memories_crt (Fixture *f, gconstpointer data)
{
  g_autoptr(HbContext) ctx = NULL;
  HbMemoryFact *m;

  db_exec_path (f->memory,
                "CREATE TABLE memories (memory_id TEXT PRIMARY KEY, vector_json TEXT NOT NULL,"
                " text TEXT NOT NULL, timestamp REAL NOT NULL, confidence REAL NOT NULL,"
                " trust REAL NOT NULL, source TEXT NOT NULL, sse_mode TEXT NOT NULL,"
                " context_json TEXT, tags_json TEXT, thread_id TEXT, deprecated INTEGER DEFAULT 0,"
                " deprecation_reason TEXT);"
                "INSERT INTO memories VALUES ('m1', '[]', 'I work at Acme', 10, 0.8, 0.7, 'user',"
                " 'L', NULL, NULL, 'thread A', 0, NULL);"
                "INSERT INTO memories VALUES ('m2', '[]', 'old', 11, 0.8, 0.7, 'user',"
                " 'L', NULL, NULL, 'thread A', 1, 'superseded');");
  f->store = open_store_full (f->path, NULL, f->memory);
  g_assert_false (db_has_column (f->memory, "memories", "slot"));

  ctx = store_context (f->store, A);
  g_assert_cmpuint (ctx->memories->len, ==, 1);
  m = ctx->memories->pdata[0];
  g_assert_cmpstr (m->memory_id, ==, "m1");
  g_assert_cmpstr (m->slot, ==, "");
  g_assert_cmpstr (m->value, ==, "");
  g_assert_cmpstr (m->text, ==, "I work at Acme");
  g_assert_cmpint (ctx->n_memories, ==, 1);
}

static void
test_profile_actions_budget (Fixture *f, gconstpointer data)
{
  g_autoptr(HbContext) ctx = NULL;
  g_autoptr(HbContext) empty = NULL;
  g_autoptr(GError) error = NULL;
  gint64 base = g_get_real_time () - (gint64) 3600 * G_USEC_PER_SEC;
  HbDecision post = make_decision (HB_ACTION_POST, "My post", "content", -1, 0);
  HbDecision comment;

  fixture_open (f);
  store_ensure_ok (f->store, A);
  db_exec_path (f->path, "UPDATE thread_sessions SET user_name = 'Alice',"
                         " style_profile_json = '{\"tone\":\"dry\"}'");
  for (guint i = 0; i < 7; i++)
    {
      g_autofree char *run_id = g_strdup_printf ("r%u", i);
      g_autoptr(HbRunResult) run = make_run (run_id, A, i == 6 ? HB_RUN_STATUS_ACTED
                                                                : HB_RUN_STATUS_NO_ACTION);

      run->started_at = base + i * G_USEC_PER_SEC;
      run->finished_at = run->started_at + 1;
      hb_run_result_set_string (&run->summary, run_id);
      hb_run_result_free (store_finish_ok (f->store, run, i == 6 ? &post : NULL, NULL, NULL));
    }
  {
    /* A run still going is not one of the agent's past actions. */
    g_autoptr(HbRunResult) running = make_run ("now", A, HB_RUN_STATUS_RUNNING);
    g_autoptr(HbRunResult) run = make_run ("c", A, HB_RUN_STATUS_ACTED);

    g_assert_true (store_begin (f->store, running, &error));
    g_assert_no_error (error);
    comment = make_decision (HB_ACTION_COMMENT, NULL, "a comment",
                             db_int (f->path, "SELECT MAX(id) FROM molt_posts"), 0);
    run->started_at = base + 10 * G_USEC_PER_SEC;
    run->finished_at = run->started_at + 1;
    hb_run_result_set_string (&run->summary, "comment run");
    hb_run_result_free (store_finish_ok (f->store, run, &comment, NULL, NULL));
  }

  ctx = store_context (f->store, A);
  g_assert_cmpstr (ctx->thread_id, ==, A);
  g_assert_cmpstr (ctx->user_name, ==, "Alice");
  g_assert_cmpstr (ctx->style, ==, "{\"tone\":\"dry\"}");
  g_assert_cmpuint (ctx->own_actions->len, ==, HB_CONTEXT_OWN_ACTIONS);
  g_assert_cmpstr (((HbPastAction *) ctx->own_actions->pdata[0])->summary, ==, "comment run");
  g_assert_cmpstr (((HbPastAction *) ctx->own_actions->pdata[0])->action, ==, "comment");
  g_assert_cmpstr (((HbPastAction *) ctx->own_actions->pdata[1])->title, ==, "My post");
  g_assert_cmpstr (((HbPastAction *) ctx->own_actions->pdata[1])->status, ==, "acted");
  g_assert_cmpstr (((HbPastAction *) ctx->own_actions->pdata[4])->summary, ==, "r3");
  g_assert_cmpfloat (ctx->last_post_at, >, 0);
  g_assert_cmpfloat (ctx->last_comment_at, >=, ctx->last_post_at);
  g_assert_cmpint (ctx->comments_last_day, ==, 1);

  /* A thread nobody knows has an empty context, not an error. */
  empty = store_context (f->store, "nobody");
  g_assert_cmpstr (empty->user_name, ==, "");
  g_assert_cmpuint (empty->messages->len, ==, 0);
  g_assert_cmpuint (empty->own_actions->len, ==, 0);
  g_assert_cmpfloat (empty->last_post_at, ==, 0);
  g_assert_cmpuint (empty->feed->len, ==, 1);
}

typedef void (*Bump) (HbContext *ctx);
static void bump_message (HbContext *c) { c->max_message_id++; }
static void bump_post (HbContext *c) { c->max_post_id++; }
static void bump_comment (HbContext *c) { c->max_comment_id++; }
static void bump_vote (HbContext *c) { c->max_vote_id++; }
static void bump_ctime (HbContext *c) { c->max_contradiction_ts += 0.5; }
static void bump_mtime (HbContext *c) { c->max_memory_ts += 0.000001; }
static void bump_ncontra (HbContext *c) { c->n_contradictions++; }
static void bump_nmem (HbContext *c) { c->n_memories++; }

static void
test_fingerprint (void)
{
  const Bump bumps[] = { bump_message, bump_post, bump_comment, bump_vote, bump_ctime, bump_mtime,
                         bump_ncontra, bump_nmem };
  g_autoptr(HbContext) a = hb_context_new ("t");
  g_autoptr(HbContext) b = hb_context_new ("t");
  g_autofree char *fa = NULL;
  g_autofree char *fb = NULL;

  a->max_message_id = b->max_message_id = 10;
  a->max_contradiction_ts = b->max_contradiction_ts = 1700000000.25;
  /* What the model reads but the marks do not cover does not matter. */
  g_ptr_array_add (b->own_actions, g_new0 (HbPastAction, 1));
  fa = hb_context_fingerprint (a);
  fb = hb_context_fingerprint (b);
  g_assert_cmpstr (fa, ==, fb);
  g_assert_cmpuint (strlen (fa), ==, 16);

  for (guint i = 0; i < G_N_ELEMENTS (bumps); i++)
    {
      g_autoptr(HbContext) c = hb_context_new ("t");
      g_autofree char *fc = NULL;

      c->max_message_id = 10;
      c->max_contradiction_ts = 1700000000.25;
      bumps[i] (c);
      fc = hb_context_fingerprint (c);
      g_assert_cmpstr (fc, !=, fa);
    }
}

typedef struct {
  const char *in;
  glong max;
  const char *want;
} CutCase;

static const CutCase cut_cases[] = {
  { NULL, 5, "" },
  { "", 5, "" },
  { "short", 5, "short" },
  { "exactly", 7, "exactly" },
  { "too long", 3, "too" },
  { "éééé", 2, "éé" },
  { "ab😀cd", 3, "ab😀" },
  { "ab😀cd", 2, "ab" },
  { "bad \xff byte", 100, "bad \xef\xbf\xbd byte" },
  { "cut \xc3", 100, "cut \xef\xbf\xbd" },
  { "any", -1, "any" },
};

static void
test_cut (void)
{
  for (guint i = 0; i < G_N_ELEMENTS (cut_cases); i++)
    {
      g_autofree char *got = hb_context_cut_text (cut_cases[i].in, cut_cases[i].max);

      g_assert_cmpstr (got, ==, cut_cases[i].want);
      g_assert_true (g_utf8_validate (got, -1, NULL));
    }
}

/* hb_utf8_valid() says what g_utf8_validate_len() says, on text that is mostly ASCII with
 * UTF-8, broken sequences and NULs at every offset of the eight-byte steps. */
static void
test_utf8_valid (void)
{
  static const char *const pieces[] = {
    "a", "plain ascii text ", "\xc3\xa9", "\xe2\x80\x9c", "\xf0\x9f\x92\x93", "\xc3",
    "\x80", "\xed\xa0\x80", "\xf8\x88\x80\x80\x80", "\xc0\xaf", "\xff", "\0",
    "\xf4\x90\x80\x80",
  };
  static const gsize lens[] = { 1, 17, 2, 3, 4, 1, 1, 3, 5, 2, 1, 1, 4 };
  g_autoptr(GRand) rand = g_rand_new_with_seed (7);

  G_STATIC_ASSERT (G_N_ELEMENTS (pieces) == G_N_ELEMENTS (lens));
  for (guint round = 0; round < 20000; round++)
    {
      g_autoptr(GByteArray) text = g_byte_array_new ();
      guint n = g_rand_int_range (rand, 0, 12);

      for (guint i = 0; i < n; i++)
        {
          /* Mostly valid pieces, so that long valid runs come up too. */
          guint k = g_rand_int_range (rand, 0, 100) < 85 ? g_rand_int_range (rand, 0, 5)
                                                         : g_rand_int_range (rand, 0, G_N_ELEMENTS (pieces));

          g_byte_array_append (text, (const guint8 *) pieces[k], lens[k]);
        }
      g_assert_cmpint (hb_utf8_valid ((const char *) text->data, text->len), ==,
                       g_utf8_validate_len ((const char *) text->data, text->len, NULL));
    }
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);

  g_test_add ("/store/context/messages", Fixture, NULL, fixture_setup, test_messages,
              fixture_teardown);
  g_test_add ("/store/context/contradictions", Fixture, NULL, fixture_setup, test_contradictions,
              fixture_teardown);
  g_test_add ("/store/context/attached", Fixture, NULL, fixture_setup, test_attached,
              fixture_teardown);
  g_test_add ("/store/context/feed", Fixture, NULL, fixture_setup, test_feed, fixture_teardown);
  g_test_add ("/store/context/feed-empty-tables", Fixture, NULL, fixture_setup,
              test_feed_empty_tables, fixture_teardown);
  g_test_add ("/store/context/memories", Fixture, NULL, fixture_setup, test_memories,
              fixture_teardown);
  g_test_add ("/store/context/memories-crt", Fixture, NULL, fixture_setup, test_memories_crt,
              fixture_teardown);
  g_test_add ("/store/context/profile-actions-budget", Fixture, NULL, fixture_setup,
              test_profile_actions_budget, fixture_teardown);
  g_test_add_func ("/store/context/fingerprint", test_fingerprint);
  g_test_add_func ("/store/context/cut", test_cut);
  g_test_add_func ("/store/context/utf8-valid", test_utf8_valid);
  return g_test_run ();
}
