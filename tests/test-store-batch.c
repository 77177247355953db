/* test-store-batch.c: jobs queued together share one transaction (group commit): a failing job
 * takes back only its own writes, the callbacks run after the COMMIT, and a read at the head of
 * a batch neither waits for a write lock that another connection holds nor loses the writes
 * queued behind it. */
#include "config.h"

#include "store-test.h"

#define THREAD "thread one"

typedef struct {
  const char *path;
  GAsyncResult *result;
  gint64 rows_seen;   /* batch rows another connection sees when the callback runs */
  guint order;        /* callbacks before this one, plus one */
} BatchSlot;

static guint callbacks_run;

static void
batch_cb (GObject *source, GAsyncResult *result, gpointer data)
{
  BatchSlot *slot = data;

  slot->result = g_object_ref (result);
  slot->order = ++callbacks_run;
  slot->rows_seen = count_where (slot->path, "heartbeat_runs", "run_id LIKE 'batch-%'");
}

/* Write jobs queued together (and a read behind them) share one transaction; the one that fails
 * in the middle takes back only its own writes, and each callback runs once the whole batch is
 * committed. */
static void
test_batch (Fixture *f, gconstpointer data)
{
  g_autoptr(HbRunResult) dup = make_run ("batch-dup", THREAD, HB_RUN_STATUS_RUNNING);
  g_autoptr(HbRunResult) a = make_run ("batch-a", THREAD, HB_RUN_STATUS_RUNNING);
  g_autoptr(HbRunResult) c = make_run ("batch-c", THREAD, HB_RUN_STATUS_ACTED);
  g_autoptr(HbRunResult) stored = NULL;
  g_autoptr(GError) error = NULL;
  HbDecision dec = make_decision (HB_ACTION_POST, "Batched", "Batched content", -1, 0);
  BatchSlot ensure = { f->path }, sa = { f->path }, sb = { f->path }, sc = { f->path };
  BatchSlot sctx = { f->path };
  g_autoptr(HbContext) ctx = NULL;
  g_autoptr(GAsyncResult) ra = NULL;
  g_autoptr(GAsyncResult) rb = NULL;
  g_autoptr(GAsyncResult) rc = NULL;
  g_autoptr(GAsyncResult) rctx = NULL;
  sqlite3 *locker;
  guint commits;

  fixture_open (f);
  g_assert_true (store_begin (f->store, dup, &error));
  g_assert_no_error (error);
  commits = wal_commits (f->path);

  /* The worker waits for the lock on a job that is never batched; the rest queue behind it. A
   * read alone takes no write lock: it is done while another connection holds it. */
  locker = db_open (f->path);
  db_exec (locker, "BEGIN IMMEDIATE");
  ctx = store_context (f->store, THREAD);
  g_assert_cmpuint (ctx->feed->len, ==, 0);
  g_clear_pointer (&ctx, hb_context_free);
  hb_store_ensure_thread_async (f->store, "batch thread", NULL, batch_cb, &ensure);
  hb_store_begin_run_async (f->store, a, NULL, batch_cb, &sa);
  hb_store_begin_run_async (f->store, dup, NULL, batch_cb, &sb);
  hb_store_finish_run_async (f->store, c, &dec, NULL, "fp-c", NULL, batch_cb, &sc);
  hb_store_load_context_async (f->store, THREAD, NULL, batch_cb, &sctx);
  db_exec (locker, "ROLLBACK");
  sqlite3_close (locker);

  g_object_unref (wait_result (&ensure.result));
  ra = wait_result (&sa.result);
  g_assert_true (hb_store_begin_run_finish (f->store, ra, &error));
  g_assert_no_error (error);
  rb = wait_result (&sb.result);
  g_assert_false (hb_store_begin_run_finish (f->store, rb, &error));
  g_assert_error (error, HB_ERROR, HB_ERROR_DB);
  rc = wait_result (&sc.result);
  stored = hb_store_finish_run_finish (f->store, rc, NULL);
  g_assert_nonnull (stored);
  g_assert_cmpint (stored->status, ==, HB_RUN_STATUS_ACTED);
  /* The read queued behind the writes shares their transaction and sees them. */
  rctx = wait_result (&sctx.result);
  ctx = hb_store_load_context_finish (f->store, rctx, NULL);
  g_assert_nonnull (ctx);
  g_assert_cmpuint (ctx->feed->len, ==, 1);
  g_assert_cmpstr (((HbFeedPost *) ctx->feed->pdata[0])->title, ==, "Batched");

  /* The ensure's commit, then one for the four jobs. */
  g_assert_cmpuint (wal_commits (f->path), ==, commits + 2);
  g_assert_cmpint (sa.rows_seen, ==, 3);
  g_assert_cmpint (sb.rows_seen, ==, 3);
  g_assert_cmpint (sc.rows_seen, ==, 3);
  g_assert_cmpint (count_where (f->path, "heartbeat_runs", "run_id = 'batch-a'"), ==, 1);
  g_assert_cmpint (count_where (f->path, "heartbeat_runs",
                                "run_id = 'batch-dup' AND status = 'running'"), ==, 1);
  g_assert_cmpint (count_where (f->path, "molt_posts", "heartbeat_run_id = 'batch-c'"), ==, 1);
}

/* A read queued before writes shares their transaction only when the write lock is free: while
 * another connection holds it, the read is done at once and the writes wait for the lock. */
static void
test_read_first (Fixture *f, gconstpointer data)
{
  g_autoptr(HbRunResult) a = make_run ("first-a", THREAD, HB_RUN_STATUS_RUNNING);
  g_autoptr(HbRunResult) b = make_run ("first-b", THREAD, HB_RUN_STATUS_RUNNING);
  g_autoptr(GError) error = NULL;
  g_autoptr(HbContext) ctx = NULL;
  g_autoptr(GAsyncResult) rctx = NULL;
  g_autoptr(GAsyncResult) ra = NULL;
  g_autoptr(GAsyncResult) rb = NULL;
  BatchSlot sctx = { f->path }, sa = { f->path }, sb = { f->path };
  sqlite3 *locker;

  fixture_open (f);
  locker = db_open (f->path);
  db_exec (locker, "BEGIN IMMEDIATE");
  hb_store_load_context_async (f->store, THREAD, NULL, batch_cb, &sctx);
  hb_store_begin_run_async (f->store, a, NULL, batch_cb, &sa);
  hb_store_begin_run_async (f->store, b, NULL, batch_cb, &sb);
  rctx = wait_result (&sctx.result);
  /* Had the read waited for the lock, the writes would have given up first. */
  g_assert_null (sa.result);
  g_assert_null (sb.result);
  ctx = hb_store_load_context_finish (f->store, rctx, &error);
  g_assert_no_error (error);
  g_assert_nonnull (ctx);
  g_assert_cmpuint (ctx->own_actions->len, ==, 0);
  db_exec (locker, "ROLLBACK");
  sqlite3_close (locker);

  ra = wait_result (&sa.result);
  g_assert_true (hb_store_begin_run_finish (f->store, ra, &error));
  g_assert_no_error (error);
  rb = wait_result (&sb.result);
  g_assert_true (hb_store_begin_run_finish (f->store, rb, &error));
  g_assert_no_error (error);
  g_assert_cmpint (count_where (f->path, "heartbeat_runs", "run_id LIKE 'first-%'"), ==, 2);
}

/* With the lock free, a read at the head of a batch shares the writes' transaction; a failing
 * write behind it takes back only its own writes, and the callbacks keep the queue's order. */
static void
test_read_first_free (Fixture *f, gconstpointer data)
{
  g_autoptr(HbRunResult) a = make_run ("lead-a", THREAD, HB_RUN_STATUS_RUNNING);
  g_autoptr(HbRunResult) dup = make_run ("lead-a", THREAD, HB_RUN_STATUS_RUNNING);
  g_autoptr(HbRunResult) c = make_run ("lead-c", THREAD, HB_RUN_STATUS_RUNNING);
  g_autoptr(GError) error = NULL;
  g_autoptr(HbContext) ctx = NULL;
  BatchSlot sctx = { f->path }, sa = { f->path }, sd = { f->path }, sc = { f->path };
  g_autoptr(GAsyncResult) rctx = NULL;
  g_autoptr(GAsyncResult) ra = NULL;
  g_autoptr(GAsyncResult) rd = NULL;
  g_autoptr(GAsyncResult) rc = NULL;

  fixture_open (f);
  hb_store_load_context_async (f->store, THREAD, NULL, batch_cb, &sctx);
  hb_store_begin_run_async (f->store, a, NULL, batch_cb, &sa);
  hb_store_begin_run_async (f->store, dup, NULL, batch_cb, &sd);
  hb_store_begin_run_async (f->store, c, NULL, batch_cb, &sc);

  rctx = wait_result (&sctx.result);
  ctx = hb_store_load_context_finish (f->store, rctx, &error);
  g_assert_no_error (error);
  g_assert_nonnull (ctx);
  ra = wait_result (&sa.result);
  g_assert_true (hb_store_begin_run_finish (f->store, ra, &error));
  g_assert_no_error (error);
  /* The duplicate fails alone; the writes around it stay. */
  rd = wait_result (&sd.result);
  g_assert_false (hb_store_begin_run_finish (f->store, rd, &error));
  g_assert_error (error, HB_ERROR, HB_ERROR_DB);
  g_clear_error (&error);
  rc = wait_result (&sc.result);
  g_assert_true (hb_store_begin_run_finish (f->store, rc, &error));
  g_assert_no_error (error);
  g_assert_cmpint (count_where (f->path, "heartbeat_runs", "run_id LIKE 'lead-%'"), ==, 2);
  /* Returned together or not, the callbacks run in queue order. */
  g_assert_cmpuint (sctx.order, <, sa.order);
  g_assert_cmpuint (sa.order, <, sd.order);
  g_assert_cmpuint (sd.order, <, sc.order);
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);
  g_test_add ("/store/batch/shared", Fixture, NULL, fixture_setup, test_batch, fixture_teardown);
  g_test_add ("/store/batch/read-first-locked", Fixture, NULL, fixture_setup, test_read_first,
              fixture_teardown);
  g_test_add ("/store/batch/read-first-free", Fixture, NULL, fixture_setup, test_read_first_free,
              fixture_teardown);
  return g_test_run ();
}
