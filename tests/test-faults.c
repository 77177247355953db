/* test-faults.c: the daemon under faults: killed mid-run (F1), the database write-locked by
 * another process (F2), the database read-only or its file system full (F5). */
#include "config.h"

#include <errno.h>
#include <glib/gstdio.h>
#include <sys/mount.h>
#include <unistd.h>

#include "test-faults-common.h"

#define N_THREADS 8
#define CRASH_RUNS 500
#define CRASH_KILLS 20

/* ---- F1: crash safety ----------------------------------------------------------------------- */

typedef struct {
  GDBusConnection *conn;
  HbTestDaemon *daemon;
  guint completed;
  gboolean rerun;
} Churn;

static guint pending_calls;

static void
on_run_now_reply (GObject *source, GAsyncResult *res, gpointer user_data)
{
  /* The daemon may be killed before it answers: that is the point. */
  g_autoptr(GVariant) reply = g_dbus_connection_call_finish (G_DBUS_CONNECTION (source), res,
                                                             NULL);

  pending_calls--;
}

static gboolean
no_pending_calls (gpointer user_data)
{
  return pending_calls == 0;
}

/* Every reply taken before the test ends, so that none is left queued (and reported leaked). */
static void
wait_pending_calls (void)
{
  g_assert_true (hb_test_wait_until (no_pending_calls, NULL, HB_TEST_TIMEOUT_MS * 2));
}

static void
run_now_async (GDBusConnection *conn, const char *thread_id)
{
  pending_calls++;
  g_dbus_connection_call (conn, HB_TEST_BUS_NAME, HB_TEST_MANAGER_PATH, HB_TEST_MANAGER_IFACE,
                          "RunNow", g_variant_new ("(s)", thread_id), G_VARIANT_TYPE ("(s)"),
                          G_DBUS_CALL_FLAGS_NONE, HB_TEST_TIMEOUT_MS, NULL, on_run_now_reply,
                          NULL);
}

static char *
thread_name (guint i)
{
  return g_strdup_printf ("fault-%u", i);
}

static void
add_threads (GDBusConnection *conn, guint n)
{
  for (guint i = 0; i < n; i++)
    {
      g_autofree char *id = thread_name (i);

      faults_add_thread (conn, id);
    }
}

static void
run_all (GDBusConnection *conn)
{
  for (guint i = 0; i < N_THREADS; i++)
    {
      g_autofree char *id = thread_name (i);

      run_now_async (conn, id);
    }
}

static void
on_churn_completed (GDBusConnection *conn, const char *sender, const char *path,
                    const char *iface, const char *signal, GVariant *params, gpointer user_data)
{
  Churn *c = user_data;
  const char *thread_id;

  g_variant_get (params, "(&s@a{sv})", &thread_id, NULL);
  c->completed++;
  if (c->rerun)
    run_now_async (conn, thread_id);
}

static gboolean
never (gpointer user_data)
{
  return FALSE;
}

static gboolean
churn_enough (gpointer user_data)
{
  return ((Churn *) user_data)->completed >= CRASH_RUNS;
}

/* A decision of a random kind after a random delay; titles are unique, so that the duplicate
 * check refuses none and most runs write to the ledger. */
static void
push_random_steps (HbTestEnv *env, guint n)
{
  g_autoptr(GError) error = NULL;

  for (guint i = 0; i < n; i++)
    {
      g_autofree char *text = NULL;
      HbFakeStep step = { .kind = HB_FAKE_CONTENT, .delay_ms = g_test_rand_int_range (0, 120) };

      switch (g_test_rand_int_range (0, 4))
        {
        case 0:
          text = g_strdup_printf ("{\"action\":\"post\",\"title\":\"crash %u\","
                                  "\"content\":\"text %u\"}", i, i);
          break;
        case 1:
          text = g_strdup_printf ("{\"action\":\"comment\",\"post_id\":1,\"content\":\"c %u\"}", i);
          break;
        case 2:
          text = g_strdup ("{\"action\":\"vote\",\"post_id\":1,\"vote_direction\":\"up\"}");
          break;
        default:
          text = g_strdup ("{\"action\":\"none\"}");
          break;
        }
      step.text = text;
      g_assert_true (hb_test_fake_push (env, &step, &error));
      g_assert_no_error (error);
    }
}

#define LEDGER_RUN_IDS \
  "SELECT heartbeat_run_id AS id FROM molt_posts WHERE heartbeat_run_id IS NOT NULL" \
  " UNION ALL SELECT heartbeat_run_id FROM molt_comments WHERE heartbeat_run_id IS NOT NULL" \
  " UNION ALL SELECT heartbeat_run_id FROM molt_votes WHERE heartbeat_run_id IS NOT NULL"

static void
test_crash_safety (void)
{
  g_autoptr(HbTestEnv) env = hb_test_env_new (NULL);
  g_autoptr(GError) error = NULL;
  GDBusConnection *conn = hb_test_env_get_connection (env);
  const char *db = hb_test_env_get_db_path (env);
  HbTestDaemonOptions opts = {
    .args = faults_config_args (env, "[daemon]\nenabled=false\nmax-concurrent=8\n"
                                     "skip-unchanged=false\n[backend]\nretries=0\n"
                                     "[budgets]\npost-interval=0\ncomment-interval=0\n"
                                     "comments-per-day=0\n"),
  };
  Churn c = { conn, NULL, 0, TRUE };
  g_autofree char *integrity = NULL;
  guint sub;

  push_random_steps (env, CRASH_RUNS + 300);
  c.daemon = hb_test_daemon_start (env, &opts, &error);
  g_assert_no_error (error);
  add_threads (conn, N_THREADS);
  sub = g_dbus_connection_signal_subscribe (conn, HB_TEST_BUS_NAME, HB_TEST_MANAGER_IFACE,
                                            "HeartbeatCompleted", HB_TEST_MANAGER_PATH, NULL,
                                            G_DBUS_SIGNAL_FLAGS_NONE, on_churn_completed, &c,
                                            NULL);
  run_all (conn);
  for (guint k = 0; k < CRASH_KILLS; k++)
    {
      /* Let runs go on for a random while: the kill lands wherever they are. */
      hb_test_wait_until (never, NULL, g_test_rand_int_range (100, 500));
      hb_test_daemon_kill (c.daemon);
      g_assert_true (hb_test_daemon_restart (c.daemon, NULL, &error));
      g_assert_no_error (error);
      run_all (conn);
    }
  g_assert_true (hb_test_wait_until (churn_enough, &c, 90000));
  c.rerun = FALSE;
  g_assert_true (hb_test_wait_for_property (conn, HB_TEST_BUS_NAME, HB_TEST_MANAGER_PATH,
                                            HB_TEST_MANAGER_IFACE, "Running",
                                            g_variant_new_boolean (FALSE), 30000, &error));
  g_assert_no_error (error);
  g_dbus_connection_signal_unsubscribe (conn, sub);
  g_assert_true (hb_test_daemon_term (c.daemon, 10000, NULL, &error));
  g_assert_no_error (error);

  {
    sqlite3 *h = NULL;
    sqlite3_stmt *stmt = NULL;

    g_assert_cmpint (sqlite3_open_v2 (db, &h, SQLITE_OPEN_READONLY, NULL), ==, SQLITE_OK);
    g_assert_cmpint (sqlite3_prepare_v2 (h, "PRAGMA integrity_check", -1, &stmt, NULL), ==,
                     SQLITE_OK);
    g_assert_cmpint (sqlite3_step (stmt), ==, SQLITE_ROW);
    integrity = g_strdup ((const char *) sqlite3_column_text (stmt, 0));
    sqlite3_finalize (stmt);
    sqlite3_close (h);
  }
  g_assert_cmpstr (integrity, ==, "ok");
  g_test_message ("%u runs completed; %" G_GINT64_FORMAT " ledger rows; %" G_GINT64_FORMAT
                  " interrupted", c.completed,
                  faults_db_int (db, "SELECT COUNT(*) FROM (" LEDGER_RUN_IDS ")"),
                  faults_db_int (db, "SELECT COUNT(*) FROM heartbeat_runs"
                                     " WHERE status = 'interrupted'"));
  /* The runs did write to the ledger, and kills did cut runs off. */
  g_assert_cmpint (faults_db_int (db, "SELECT COUNT(*) FROM (" LEDGER_RUN_IDS ")"), >, 50);
  g_assert_cmpint (faults_db_int (db, "SELECT COUNT(*) FROM heartbeat_runs"
                                      " WHERE status = 'interrupted'"), >, 0);
  /* Every ledger row has exactly one completed (acted) run record with its id. */
  g_assert_cmpint (faults_db_int (db, "SELECT COUNT(*) FROM (" LEDGER_RUN_IDS ") l"
                                      " WHERE (SELECT COUNT(*) FROM heartbeat_runs r"
                                      " WHERE r.run_id = l.id AND r.status = 'acted') != 1"),
                   ==, 0);
  /* No run id twice in the ledger. */
  g_assert_cmpint (faults_db_int (db, "SELECT COUNT(*) FROM (SELECT id FROM (" LEDGER_RUN_IDS ")"
                                      " GROUP BY id HAVING COUNT(*) > 1)"), ==, 0);
  /* Nothing left running; an interrupted run wrote nothing. */
  g_assert_cmpint (faults_db_int (db, "SELECT COUNT(*) FROM heartbeat_runs"
                                      " WHERE status = 'running'"), ==, 0);
  g_assert_cmpint (faults_db_int (db, "SELECT COUNT(*) FROM heartbeat_runs r"
                                      " WHERE r.status = 'interrupted' AND r.run_id IN ("
                                      LEDGER_RUN_IDS ")"), ==, 0);
  /* Every acted run's ledger row is there (votes may be taken over by a later vote). */
  g_assert_cmpint (faults_db_int (db, "SELECT COUNT(*) FROM heartbeat_runs r"
                                      " WHERE r.status = 'acted' AND r.action != 'vote'"
                                      " AND r.run_id NOT IN (" LEDGER_RUN_IDS ")"), ==, 0);
  wait_pending_calls ();
}

/* ---- F2: lock contention -------------------------------------------------------------------- */

#define LOCK_S 5

typedef struct {
  char *db_path;
  gint held;      /* 0 before, 1 held, 2 released */
} Locker;

/* Another writer holding the write lock: the sleep is the fault being injected. */
static gpointer
hold_write_lock (gpointer user_data)
{
  Locker *l = user_data;
  sqlite3 *db = NULL;

  g_assert_cmpint (sqlite3_open (l->db_path, &db), ==, SQLITE_OK);
  sqlite3_busy_timeout (db, 10000);
  g_assert_cmpint (sqlite3_exec (db, "BEGIN EXCLUSIVE", NULL, NULL, NULL), ==, SQLITE_OK);
  g_atomic_int_set (&l->held, 1);
  g_usleep (LOCK_S * G_USEC_PER_SEC);
  g_assert_cmpint (sqlite3_exec (db, "COMMIT", NULL, NULL, NULL), ==, SQLITE_OK);
  sqlite3_close (db);
  g_atomic_int_set (&l->held, 2);
  return NULL;
}

typedef struct {
  Locker *locker;
  gint want;
} LockWait;

static gboolean
lock_reached (gpointer user_data)
{
  LockWait *w = user_data;

  return g_atomic_int_get (&w->locker->held) >= w->want;
}

static gboolean
tick_again (gpointer user_data)
{
  return G_SOURCE_CONTINUE;
}

static void
test_lock_contention (void)
{
  g_autoptr(HbTestEnv) env = hb_test_env_new (NULL);
  g_autoptr(GError) error = NULL;
  GDBusConnection *conn = hb_test_env_get_connection (env);
  const char *db = hb_test_env_get_db_path (env);
  HbTestDaemonOptions opts = {
    .args = faults_config_args (env, "[daemon]\nenabled=false\nmax-concurrent=4\n"
                                     "skip-unchanged=false\n"),
  };
  HbFakeStep slow = { .kind = HB_FAKE_CONTENT, .text = (char *) "{\"action\":\"none\"}",
                      .delay_ms = 300 };
  g_autoptr(GPtrArray) run_ids = g_ptr_array_new_with_free_func (g_free);
  g_autoptr(FaultsRuns) runs = NULL;
  g_autoptr(GThread) thread = NULL;
  Locker locker = { (char *) db, 0 };
  guint gets = 0;

  g_assert_true (hb_test_fake_set_default (env, &slow, &error));
  g_assert_no_error (error);
  hb_test_daemon_start (env, &opts, &error);
  g_assert_no_error (error);
  runs = faults_runs_new (conn);
  add_threads (conn, 4);

  thread = g_thread_new ("write-lock", hold_write_lock, &locker);
  {
    /* The lock holder cannot wake the main context: look again every few milliseconds. */
    guint tick = g_timeout_add (5, G_SOURCE_FUNC (tick_again), NULL);

    g_assert_true (hb_test_wait_until (lock_reached, &(LockWait) { &locker, 1 }, 10000));
    g_source_remove (tick);
  }
  /* Runs begin and end while the lock is held; each thread is run again when it ends. */
  for (guint i = 0; i < 4; i++)
    {
      g_autofree char *id = thread_name (i);
      gint64 t0 = g_get_monotonic_time ();

      g_ptr_array_add (run_ids, faults_run_now (conn, id));
      g_test_message ("RunNow answered in %.0f ms", (g_get_monotonic_time () - t0) / 1e3);
    }
  while (g_atomic_int_get (&locker.held) == 1)
    {
      g_autoptr(GVariant) running = hb_test_get_property (conn, HB_TEST_BUS_NAME,
                                                          HB_TEST_MANAGER_PATH,
                                                          HB_TEST_MANAGER_IFACE, "Running",
                                                          &error);

      /* D-Bus keeps answering (only that answers come is asserted, not how fast). */
      g_assert_no_error (error);
      g_assert_nonnull (running);
      gets++;
      g_main_context_iteration (NULL, FALSE);
      for (guint i = 0; i < run_ids->len; i++)
        {
          GVariant *result = g_hash_table_lookup (runs->results, run_ids->pdata[i]);

          if (result != NULL && run_ids->len < 40 && i + 4 >= run_ids->len)
            g_ptr_array_add (run_ids,
                             faults_run_now (conn, faults_result_string (result, "thread_id")));
        }
    }
  g_thread_join (g_steal_pointer (&thread));
  g_assert_cmpuint (gets, >, 0);

  for (guint i = 0; i < run_ids->len; i++)
    {
      GVariant *result = faults_runs_wait (runs, run_ids->pdata[i], 30000);

      g_assert_nonnull (result);
      g_test_message ("run %s: %s (%s) %s", (char *) run_ids->pdata[i],
                      faults_result_string (result, "status"),
                      faults_result_string (result, "reason"),
                      faults_result_string (result, "error"));
    }
  /* Retried, not lost: every run completed as the model said, and was recorded so. */
  for (guint i = 0; i < run_ids->len; i++)
    {
      GVariant *result = g_hash_table_lookup (runs->results, run_ids->pdata[i]);

      g_assert_cmpstr (faults_result_string (result, "status"), ==, "no-action");
    }
  g_assert_cmpint (faults_db_int (db, "SELECT COUNT(*) FROM heartbeat_runs"
                                      " WHERE status = 'no-action'"), ==, run_ids->len);
  g_assert_cmpint (faults_db_int (db, "SELECT COUNT(*) FROM heartbeat_runs"
                                      " WHERE status != 'no-action'"), ==, 0);
  wait_pending_calls ();
}

/* ---- F5: storage faults --------------------------------------------------------------------- */

static gboolean
run_ends (HbTestEnv *env, FaultsRuns *runs, const char *thread_id, const char *status,
          const char *reason)
{
  g_autofree char *run_id = faults_run_now (hb_test_env_get_connection (env), thread_id);
  GVariant *result = faults_runs_wait (runs, run_id, 30000);

  g_assert_nonnull (result);
  g_test_message ("run %s: %s (%s) %s", run_id, faults_result_string (result, "status"),
                  faults_result_string (result, "reason"), faults_result_string (result, "error"));
  return g_str_equal (faults_result_string (result, "status"), status) &&
         g_str_equal (faults_result_string (result, "reason"), reason);
}

static void
assert_alive (HbTestEnv *env, HbTestDaemon *d)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(GVariant) v = hb_test_get_property (hb_test_env_get_connection (env), HB_TEST_BUS_NAME,
                                                HB_TEST_MANAGER_PATH, HB_TEST_MANAGER_IFACE,
                                                "Version", &error);

  g_assert_no_error (error);
  g_assert_true (hb_test_daemon_is_running (d));
}

/* Fill the file system holding @dir; returns the filler's path. */
static char *
fill_up (const char *dir)
{
  char *path = g_build_filename (dir, "filler", NULL);
  static char block[65536];
  FILE *f = fopen (path, "w");

  g_assert_nonnull (f);
  while (fwrite (block, 1, sizeof block, f) == sizeof block && fflush (f) == 0)
    ;
  fclose (f);
  return path;
}

static void
test_storage_faults (void)
{
  g_autoptr(HbTestEnv) env = hb_test_env_new (NULL);
  g_autoptr(GError) error = NULL;
  g_autoptr(FaultsRuns) runs = NULL;
  g_autofree char *filler = NULL;
  const char *state = hb_test_env_get_state_dir (env);
  HbTestDaemonOptions opts = {
    .args = faults_config_args (env, "[daemon]\nenabled=false\nskip-unchanged=false\n"
                                     "[budgets]\npost-interval=0\n"),
  };
  HbFakeStep post = { .kind = HB_FAKE_CONTENT,
                      .text = (char *) "{\"action\":\"post\",\"title\":\"t\",\"content\":\"c\"}" };
  HbTestDaemon *d;
  gint64 posts;

  g_mkdir_with_parents (state, 0700);
  if (mount ("hb-faults", state, "tmpfs", 0, "size=4m") != 0)
    {
      g_test_skip_printf ("cannot mount a tmpfs: %s", g_strerror (errno));
      return;
    }
  d = hb_test_daemon_start (env, &opts, &error);
  g_assert_no_error (error);
  runs = faults_runs_new (hb_test_env_get_connection (env));
  faults_add_thread (hb_test_env_get_connection (env), "storage");
  g_assert_true (hb_test_fake_set_default (env, &(HbFakeStep) { .kind = HB_FAKE_CONTENT,
                                                                .text = (char *) "{\"action\":\"none\"}" },
                                           &error));
  g_assert_true (run_ends (env, runs, "storage", "no-action", ""));

  /* A read-only remount is refused while the daemon holds the file open for writing, so only
   * the full file system is tested here. */
  g_assert_true (hb_test_fake_set_default (env, &post, &error));
  g_assert_no_error (error);
  g_assert_true (run_ends (env, runs, "storage", "acted", ""));

  /* Full: the run fails as db, truthfully, the daemon stays and recovers. */
  posts = faults_db_int (hb_test_env_get_db_path (env), "SELECT COUNT(*) FROM molt_posts");
  filler = fill_up (state);
  g_assert_true (run_ends (env, runs, "storage", "failed", "db"));
  assert_alive (env, d);
  g_assert_cmpint (faults_db_int (hb_test_env_get_db_path (env), "SELECT COUNT(*) FROM molt_posts"),
                   ==, posts);
  g_unlink (filler);
  g_assert_true (hb_test_fake_push_content (env, "{\"action\":\"post\",\"title\":\"after\","
                                                 "\"content\":\"space is back\"}", &error));
  g_assert_no_error (error);
  g_assert_true (run_ends (env, runs, "storage", "acted", ""));

  g_assert_true (hb_test_daemon_term (d, 10000, NULL, &error));
  g_assert_no_error (error);
  g_assert_cmpint (faults_db_int (hb_test_env_get_db_path (env), "SELECT COUNT(*) FROM heartbeat_runs"
                                                                 " WHERE status = 'running'"), ==, 0);
  umount2 (state, MNT_DETACH);
  wait_pending_calls ();
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);

  g_test_add_func ("/faults/crash-safety", test_crash_safety);
  g_test_add_func ("/faults/lock-contention", test_lock_contention);
  g_test_add_func ("/faults/storage", test_storage_faults);

  return g_test_run ();
}
