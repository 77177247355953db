/* bench-punctuality.c (B5): 1,000 threads due within the same minute (per-thread offsets off,
 * max-concurrent=64, an instant fake Ollama): how late each run starts after its due time, from
 * the receipt of RunStarted against the thread's NextRun read before any was due. */
#include "config.h"

#include "hb-bench.h"

#define N_THREADS 1000
#define EVERY_S 3600
#define FIRST_DUE_S 15   /* after start, time enough to read every NextRun */
#define WINDOW_S 45      /* the due times spread over this much of the minute */

typedef struct {
  GHashTable *due;      /* thread id -> gint64 NextRun (us) */
  GArray *late_ms;
  guint started;
  guint unknown;
  guint early;
} Punctuality;

static void
on_started (GDBusConnection *conn, const char *sender, const char *path, const char *iface,
            const char *signal, GVariant *params, gpointer user_data)
{
  Punctuality *p = user_data;
  gint64 now = g_get_real_time ();
  const char *thread_id;
  gpointer due;

  g_variant_get (params, "(&s&s)", &thread_id, NULL);
  p->started++;
  if (!g_hash_table_lookup_extended (p->due, thread_id, NULL, &due))
    {
      p->unknown++;
      return;
    }
  {
    double ms = (now - *(gint64 *) due) / 1e3;

    if (ms < 0)
      p->early++;
    g_array_append_val (p->late_ms, ms);
  }
}

/* Every thread's NextRun, from one GetManagedObjects. */
static void
read_next_runs (GDBusConnection *conn, GHashTable *due)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(GVariant) reply = NULL;
  g_autoptr(GVariantIter) objects = NULL;
  GVariant *ifaces;

  reply = g_dbus_connection_call_sync (conn, HB_TEST_BUS_NAME, HB_TEST_MANAGER_PATH,
                                       "org.freedesktop.DBus.ObjectManager", "GetManagedObjects",
                                       NULL, G_VARIANT_TYPE ("(a{oa{sa{sv}}})"),
                                       G_DBUS_CALL_FLAGS_NONE, 60000, NULL, &error);
  g_assert_no_error (error);
  g_variant_get (reply, "(a{oa{sa{sv}}})", &objects);
  while (g_variant_iter_next (objects, "{&o@a{sa{sv}}}", NULL, &ifaces))
    {
      g_autoptr(GVariant) props = g_variant_lookup_value (ifaces, HB_TEST_THREAD_IFACE,
                                                          G_VARIANT_TYPE_VARDICT);
      const char *id;
      guint64 next;

      if (props != NULL && g_variant_lookup (props, "ThreadId", "&s", &id) &&
          g_variant_lookup (props, "NextRun", "t", &next))
        g_hash_table_insert (due, g_strdup (id), g_memdup2 (&(gint64) { (gint64) next },
                                                             sizeof (gint64)));
      g_variant_unref (ifaces);
    }
}

static gboolean
all_started (gpointer user_data)
{
  return ((Punctuality *) user_data)->started >= N_THREADS;
}

static void
bench_punctuality (void)
{
  g_autoptr(HbTestEnv) env = hb_test_env_new (NULL);
  g_autofree char *config = NULL;
  double first_due = g_get_real_time () / 1e6 + FIRST_DUE_S;
  HbBenchThreads spec = { .count = N_THREADS, .prefix = "b5",
                          .last_run = first_due - EVERY_S,
                          .last_run_step = (double) WINDOW_S / N_THREADS,
                          .config_json = "{\"every\":3600}" };
  Punctuality p = { 0 };
  GDBusConnection *conn = hb_test_env_get_connection (env);
  guint sub;

  p.due = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, g_free);
  p.late_ms = g_array_new (FALSE, FALSE, sizeof (double));
  hb_bench_populate (hb_test_env_get_db_path (env), &spec);
  config = hb_bench_write_config (env, "[daemon]\nenabled=true\nmax-concurrent=64\noffset-max=0\n"
                                       "skip-unchanged=false\n");
  sub = g_dbus_connection_signal_subscribe (conn, HB_TEST_BUS_NAME, HB_TEST_MANAGER_IFACE,
                                            "RunStarted", HB_TEST_MANAGER_PATH, NULL,
                                            G_DBUS_SIGNAL_FLAGS_NONE, on_started, &p, NULL);
  hb_bench_start_daemon (env, config);
  read_next_runs (conn, p.due);
  if (g_get_real_time () / 1e6 > first_due)
    g_test_fail_printf ("the due times were read too late");
  if (!hb_test_wait_until (all_started, &p, (FIRST_DUE_S + WINDOW_S + 60) * 1000))
    g_test_fail_printf ("only %u of %u runs started", p.started, N_THREADS);
  g_dbus_connection_signal_unsubscribe (conn, sub);

  hb_bench_report ("B5", "threads_with_next_run", g_hash_table_size (p.due));
  hb_bench_report ("B5", "runs_started", p.started);
  hb_bench_report ("B5", "runs_started_early", p.early);
  hb_bench_report ("B5", "lateness_p50_ms", hb_bench_percentile (p.late_ms, 50));
  hb_bench_report ("B5", "lateness_p99_ms", hb_bench_percentile (p.late_ms, 99));
  hb_bench_report ("B5", "lateness_max_ms", hb_bench_percentile (p.late_ms, 100));
  hb_bench_report ("B5", "lateness_min_ms", hb_bench_percentile (p.late_ms, 0));
  g_array_unref (p.late_ms);
  g_hash_table_unref (p.due);
}

int
main (int argc, char **argv)
{
  return hb_bench_main (argc, argv, "B5", bench_punctuality);
}
