/* bench-latency.c (B4): latency of Get(Running) over D-Bus while 8 heartbeats are in flight
 * against a slow fake Ollama (2 s per answer, each thread run again as soon as it completes) and,
 * from the 3rd to the 8th second, while another connection holds the database write lock
 * (BEGIN EXCLUSIVE) for 5 s. Gets are sent one after another, each when the last one answered. */
#include "config.h"

#include <sqlite3.h>

#include "hb-bench.h"

#define N_THREADS 8
#define LOCK_AT_S 3
#define LOCK_S 5
#define TOTAL_S 10

typedef struct {
  GDBusConnection *conn;
  GArray *all;          /* latencies, ms */
  GArray *locked;       /* those sent while the lock was held */
  gint64 sent;
  gint64 stop_at;
  gboolean lock_held;
  gboolean done;
  guint completed;
  guint failed;
} Sampler;

static void send_get (Sampler *s);

static void
on_get (GObject *source, GAsyncResult *res, gpointer user_data)
{
  Sampler *s = user_data;
  g_autoptr(GError) error = NULL;
  g_autoptr(GVariant) reply = g_dbus_connection_call_finish (G_DBUS_CONNECTION (source), res,
                                                             &error);
  double ms = (g_get_monotonic_time () - s->sent) / 1e3;

  g_assert_no_error (error);
  g_array_append_val (s->all, ms);
  if (s->lock_held)
    g_array_append_val (s->locked, ms);
  if (g_get_monotonic_time () < s->stop_at)
    send_get (s);
  else
    s->done = TRUE;
}

static void
send_get (Sampler *s)
{
  s->sent = g_get_monotonic_time ();
  g_dbus_connection_call (s->conn, HB_TEST_BUS_NAME, HB_TEST_MANAGER_PATH,
                          "org.freedesktop.DBus.Properties", "Get",
                          g_variant_new ("(ss)", HB_TEST_MANAGER_IFACE, "Running"),
                          G_VARIANT_TYPE ("(v)"), G_DBUS_CALL_FLAGS_NONE, 30000, NULL, on_get, s);
}

static void
on_run_now (GObject *source, GAsyncResult *res, gpointer user_data)
{
  g_autoptr(GVariant) reply = g_dbus_connection_call_finish (G_DBUS_CONNECTION (source), res,
                                                             NULL);
}

static void
run_now (GDBusConnection *conn, const char *thread_id)
{
  g_dbus_connection_call (conn, HB_TEST_BUS_NAME, HB_TEST_MANAGER_PATH, HB_TEST_MANAGER_IFACE,
                          "RunNow", g_variant_new ("(s)", thread_id), G_VARIANT_TYPE ("(s)"),
                          G_DBUS_CALL_FLAGS_NONE, 30000, NULL, on_run_now, NULL);
}

/* Keep every thread in flight: run it again as soon as it completes. */
static void
on_completed (GDBusConnection *conn, const char *sender, const char *path, const char *iface,
              const char *signal, GVariant *params, gpointer user_data)
{
  Sampler *s = user_data;
  g_autoptr(GVariant) result = NULL;
  const char *thread_id, *status = "";

  g_variant_get (params, "(&s@a{sv})", &thread_id, &result);
  g_variant_lookup (result, "status", "&s", &status);
  s->completed++;
  if (!g_str_equal (status, "no-action"))
    {
      const char *reason = "";

      g_variant_lookup (result, "reason", "&s", &reason);
      g_printerr ("B4: a run ended %s (%s)\n", status, reason);
      s->failed++;
    }
  if (!s->done)
    run_now (conn, thread_id);
}

typedef struct {
  char *db_path;
  gboolean *held;
} LockJob;

/* Another writer: hold the write lock for LOCK_S seconds (a sleep is the point here). */
static gpointer
hold_lock (gpointer user_data)
{
  LockJob *job = user_data;
  sqlite3 *db = NULL;

  g_assert_cmpint (sqlite3_open (job->db_path, &db), ==, SQLITE_OK);
  sqlite3_busy_timeout (db, 10000);
  g_assert_cmpint (sqlite3_exec (db, "BEGIN EXCLUSIVE", NULL, NULL, NULL), ==, SQLITE_OK);
  g_atomic_int_set (job->held, TRUE);
  g_usleep (LOCK_S * G_USEC_PER_SEC);
  g_atomic_int_set (job->held, FALSE);
  g_assert_cmpint (sqlite3_exec (db, "COMMIT", NULL, NULL, NULL), ==, SQLITE_OK);
  sqlite3_close (db);
  return NULL;
}

static gboolean
sampler_tick (gpointer user_data)
{
  Sampler *s = user_data;
  LockJob *job = g_object_get_data (G_OBJECT (s->conn), "hb-lock-job");

  s->lock_held = g_atomic_int_get (job->held);
  return !s->done;
}

static gboolean
sampler_done (gpointer user_data)
{
  return ((Sampler *) user_data)->done;
}

static void
bench_latency (void)
{
  g_autoptr(HbTestEnv) env = hb_test_env_new (NULL);
  g_autoptr(GError) error = NULL;
  g_autofree char *config = NULL;
  g_autoptr(GThread) locker = NULL;
  HbBenchThreads spec = { .count = N_THREADS, .prefix = "b4" };
  HbFakeStep slow = { .kind = HB_FAKE_CONTENT, .text = (char *) "{\"action\":\"none\"}",
                      .delay_ms = 2000 };
  gboolean held = FALSE;
  LockJob job = { NULL, &held };
  Sampler s = { 0 };
  guint sub;

  hb_bench_populate (hb_test_env_get_db_path (env), &spec);
  g_assert_true (hb_test_fake_set_default (env, &slow, &error));
  g_assert_no_error (error);
  config = hb_bench_write_config (env, "[daemon]\nenabled=false\nmax-concurrent=8\n"
                                       "skip-unchanged=false\n");
  hb_bench_start_daemon (env, config);

  s.conn = hb_test_env_get_connection (env);
  s.all = g_array_new (FALSE, FALSE, sizeof (double));
  s.locked = g_array_new (FALSE, FALSE, sizeof (double));
  job.db_path = g_strdup (hb_test_env_get_db_path (env));
  g_object_set_data (G_OBJECT (s.conn), "hb-lock-job", &job);
  sub = g_dbus_connection_signal_subscribe (s.conn, HB_TEST_BUS_NAME, HB_TEST_MANAGER_IFACE,
                                            "HeartbeatCompleted", HB_TEST_MANAGER_PATH, NULL,
                                            G_DBUS_SIGNAL_FLAGS_NONE, on_completed, &s, NULL);
  for (guint i = 0; i < N_THREADS; i++)
    {
      g_autofree char *id = hb_bench_thread_id (spec.prefix, i);

      run_now (s.conn, id);
    }
  g_assert_true (hb_test_wait_for_property (s.conn, HB_TEST_BUS_NAME, HB_TEST_MANAGER_PATH,
                                            HB_TEST_MANAGER_IFACE, "ActiveRuns",
                                            g_variant_new_uint32 (N_THREADS), 10000, &error));
  g_assert_no_error (error);

  s.stop_at = g_get_monotonic_time () + TOTAL_S * G_USEC_PER_SEC;
  g_timeout_add (5, sampler_tick, &s);
  send_get (&s);
  /* Not done yet: this only runs the loop until the lock is taken. */
  g_assert_false (hb_test_wait_until (sampler_done, &s, 1000 * LOCK_AT_S));
  locker = g_thread_new ("lock-holder", hold_lock, &job);
  g_assert_true (hb_test_wait_until (sampler_done, &s, 1000 * (TOTAL_S + 5)));
  g_thread_join (g_steal_pointer (&locker));
  g_dbus_connection_signal_unsubscribe (s.conn, sub);

  hb_bench_report ("B4", "gets", s.all->len);
  hb_bench_report ("B4", "gets_while_locked", s.locked->len);
  hb_bench_report ("B4", "runs_completed", s.completed);
  hb_bench_report ("B4", "runs_not_no_action", s.failed);
  hb_bench_report ("B4", "get_running_p50_ms", hb_bench_percentile (s.all, 50));
  hb_bench_report ("B4", "get_running_p99_ms", hb_bench_percentile (s.all, 99));
  hb_bench_report ("B4", "get_running_max_ms", hb_bench_percentile (s.all, 100));
  hb_bench_report ("B4", "locked_get_running_p50_ms", hb_bench_percentile (s.locked, 50));
  hb_bench_report ("B4", "locked_get_running_p99_ms", hb_bench_percentile (s.locked, 99));
  g_array_unref (s.all);
  g_array_unref (s.locked);
  g_free (job.db_path);
}

int
main (int argc, char **argv)
{
  return hb_bench_main (argc, argv, "B4", bench_latency);
}
