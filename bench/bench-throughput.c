/* bench-throughput.c (B1): the pipeline's own cost. 1,000 threads, RunNow for all of them with
 * max-concurrent=8 against the fake Ollama answering at once with a post: heartbeats per second
 * and daemon CPU per heartbeat. Each thread posts once, so neither the post interval nor the
 * duplicate check (both per thread) refuses a post. */
#include "config.h"

#include <sqlite3.h>

#include "hb-bench.h"

#define N_THREADS 1000

typedef struct {
  guint completed;
  guint acted;
} Tally;

static void
on_completed (GDBusConnection *conn, const char *sender, const char *path, const char *iface,
              const char *signal, GVariant *params, gpointer user_data)
{
  Tally *t = user_data;
  g_autoptr(GVariant) result = NULL;
  const char *status = "";

  g_variant_get (params, "(&s@a{sv})", NULL, &result);
  g_variant_lookup (result, "status", "&s", &status);
  t->completed++;
  if (g_str_equal (status, "acted"))
    t->acted++;
}

static gint64
count_posts (const char *db_path)
{
  sqlite3 *db = NULL;
  sqlite3_stmt *stmt = NULL;
  gint64 n = -1;

  if (sqlite3_open_v2 (db_path, &db, SQLITE_OPEN_READONLY, NULL) == SQLITE_OK &&
      sqlite3_prepare_v2 (db, "SELECT COUNT(*) FROM molt_posts WHERE heartbeat_run_id IS NOT NULL",
                          -1, &stmt, NULL) == SQLITE_OK &&
      sqlite3_step (stmt) == SQLITE_ROW)
    n = sqlite3_column_int64 (stmt, 0);
  sqlite3_finalize (stmt);
  sqlite3_close (db);
  return n;
}

/* Where the CPU went, by the daemon's thread names (schedstat, finer than the 10 ms tick):
 * the main loop, the store's worker ("pool-..."), GDBus's worker and the rest. */
static void
report_threads (GHashTable *before, GHashTable *after, guint runs)
{
  struct { const char *figure; gint64 ns; } parts[] = {
    { "cpu_us_per_heartbeat_main", 0 }, { "cpu_us_per_heartbeat_store", 0 },
    { "cpu_us_per_heartbeat_gdbus", 0 }, { "cpu_us_per_heartbeat_other", 0 },
  };
  GHashTableIter iter;
  gpointer key, value;

  g_hash_table_iter_init (&iter, after);
  while (g_hash_table_iter_next (&iter, &key, &value))
    {
      const char *name = key;
      const gint64 *was = g_hash_table_lookup (before, name);
      gint64 ns = *(gint64 *) value - (was != NULL ? *was : 0);
      guint i = g_str_equal (name, "crt-heartbeatd") ? 0
              : g_str_has_prefix (name, "pool-")     ? 1
              : g_str_equal (name, "gdbus")          ? 2
                                                     : 3;

      parts[i].ns += ns;
    }
  for (guint i = 0; i < G_N_ELEMENTS (parts); i++)
    hb_bench_report ("B1", parts[i].figure, runs > 0 ? parts[i].ns / 1e3 / runs : -1);
}

static void
bench_throughput (void)
{
  g_autoptr(HbTestEnv) env = NULL;
  g_autoptr(GError) error = NULL;
  g_autofree char *config = NULL;
  HbBenchThreads spec = { .count = N_THREADS, .prefix = "b1" };
  HbFakeStep post = { .kind = HB_FAKE_CONTENT,
                      .text = (char *) "{\"action\":\"post\",\"title\":\"Heartbeat note\","
                                       "\"content\":\"Nothing new; all quiet.\","
                                       "\"reasoning\":\"benchmark\"}" };
  Tally tally = { 0 };
  GDBusConnection *conn;
  HbTestDaemon *d;
  g_autoptr(HbBenchRunNow) runs = NULL;
  guint sub;
  g_autoptr(GHashTable) threads0 = NULL;
  g_autoptr(GHashTable) threads1 = NULL;
  gint64 t0, t1, cpu0, cpu1;
  GPid pid;
  double seconds;

  env = hb_test_env_new (NULL);
  conn = hb_test_env_get_connection (env);
  hb_bench_populate (hb_test_env_get_db_path (env), &spec);
  g_assert_true (hb_test_fake_set_default (env, &post, &error));
  g_assert_no_error (error);
  config = hb_bench_write_config (env, "[daemon]\nenabled=false\nmax-concurrent=8\noffset-max=0\n"
                                       "skip-unchanged=false\n[budgets]\npost-interval=1800\n");
  d = hb_bench_start_daemon (env, config);
  pid = hb_test_daemon_get_pid (d);

  sub = g_dbus_connection_signal_subscribe (conn, HB_TEST_BUS_NAME, HB_TEST_MANAGER_IFACE,
                                            "HeartbeatCompleted", HB_TEST_MANAGER_PATH, NULL,
                                            G_DBUS_SIGNAL_FLAGS_NONE, on_completed, &tally, NULL);
  threads0 = hb_bench_sched_ns_by_thread (pid);
  cpu0 = hb_bench_cpu_us (pid);
  t0 = g_get_monotonic_time ();
  runs = hb_bench_run_now_all (conn, spec.prefix, N_THREADS);
  if (!hb_bench_wait_count (&tally.completed, N_THREADS, 120000))
    g_printerr ("B1: only %u of %u runs completed\n", tally.completed, N_THREADS);
  t1 = g_get_monotonic_time ();
  cpu1 = hb_bench_cpu_us (pid);
  threads1 = hb_bench_sched_ns_by_thread (pid);
  g_dbus_connection_signal_unsubscribe (conn, sub);

  seconds = (t1 - t0) / 1e6;
  hb_bench_report ("B1", "run_now_errors", hb_bench_run_now_failed (runs));
  hb_bench_report ("B1", "runs_completed", tally.completed);
  hb_bench_report ("B1", "runs_acted", tally.acted);
  hb_bench_report ("B1", "posts_in_ledger", count_posts (hb_test_env_get_db_path (env)));
  hb_bench_report ("B1", "wall_seconds", seconds);
  hb_bench_report ("B1", "heartbeats_per_second", tally.completed / seconds);
  hb_bench_report ("B1", "cpu_us_per_heartbeat",
                   tally.completed > 0 ? (double) (cpu1 - cpu0) / tally.completed : -1);
  report_threads (threads0, threads1, tally.completed);
  if (tally.completed != N_THREADS || tally.acted != N_THREADS)
    g_test_fail ();
}

int
main (int argc, char **argv)
{
  return hb_bench_main (argc, argv, "B1", bench_throughput);
}
