/* bench-idle.c (B2): 10,000 threads, none due within the next 30 min (heartbeat_last_run = now,
 * every = 3600 s), the scheduler enabled: the daemon's wake-ups (voluntary plus involuntary
 * context switches of all its threads) and CPU time over 60 s. */
#include "config.h"

#include "hb-bench.h"

#define N_THREADS 10000
#define SETTLE_S 10
#define MEASURE_S 60

static gboolean
on_timeout (gpointer user_data)
{
  *(gboolean *) user_data = TRUE;
  return G_SOURCE_REMOVE;
}

/* Run the main loop for @seconds (the daemon is measured meanwhile; nothing here waits on it). */
static void
idle_for (guint seconds)
{
  gboolean done = FALSE;

  g_timeout_add_seconds (seconds, on_timeout, &done);
  while (!done)
    g_main_context_iteration (NULL, TRUE);
}

static void
bench_idle (void)
{
  g_autoptr(HbTestEnv) env = hb_test_env_new (NULL);
  g_autoptr(GError) error = NULL;
  g_autoptr(GVariant) objects = NULL;
  g_autoptr(GVariant) wakeup = NULL;
  g_autofree char *config = NULL;
  HbBenchThreads spec = { .count = N_THREADS, .prefix = "b2",
                          .last_run = g_get_real_time () / 1e6,
                          .config_json = "{\"every\":3600}" };
  gint64 sw0, sw1, cpu0, cpu1, ns0, ns1, next;
  HbTestDaemon *d;
  GPid pid;

  hb_bench_populate (hb_test_env_get_db_path (env), &spec);
  config = hb_bench_write_config (env, "[daemon]\nenabled=true\n");
  d = hb_bench_start_daemon (env, config);
  pid = hb_test_daemon_get_pid (d);

  /* Everything exported, then a quiet spell for the start-up writes (due times) to finish. */
  objects = g_dbus_connection_call_sync (hb_test_env_get_connection (env), HB_TEST_BUS_NAME,
                                         HB_TEST_MANAGER_PATH,
                                         "org.freedesktop.DBus.ObjectManager", "GetManagedObjects",
                                         NULL, NULL, G_DBUS_CALL_FLAGS_NONE, 60000, NULL, &error);
  g_assert_no_error (error);
  wakeup = hb_test_get_property (hb_test_env_get_connection (env), HB_TEST_BUS_NAME,
                                 HB_TEST_MANAGER_PATH, HB_TEST_MANAGER_IFACE, "NextWakeup", &error);
  g_assert_no_error (error);
  next = (gint64) g_variant_get_uint64 (wakeup);
  idle_for (SETTLE_S);

  sw0 = hb_bench_context_switches (pid);
  cpu0 = hb_bench_cpu_us (pid);
  ns0 = hb_bench_sched_ns (pid);
  idle_for (MEASURE_S);
  sw1 = hb_bench_context_switches (pid);
  cpu1 = hb_bench_cpu_us (pid);
  ns1 = hb_bench_sched_ns (pid);

  hb_bench_report ("B2", "threads_exported", g_variant_n_children (g_variant_get_child_value (objects, 0)));
  hb_bench_report ("B2", "next_wakeup_in_seconds", next > 0 ? (next - g_get_real_time ()) / 1e6 : -1);
  hb_bench_report ("B2", "measured_seconds", MEASURE_S);
  hb_bench_report ("B2", "wakeups", sw1 - sw0);
  hb_bench_report ("B2", "cpu_ms", (cpu1 - cpu0) / 1e3);
  hb_bench_report ("B2", "cpu_ms_schedstat", (ns1 - ns0) / 1e6);
  if (next > 0 && next - g_get_real_time () < 30 * 60 * G_USEC_PER_SEC - MEASURE_S * G_USEC_PER_SEC)
    g_test_fail_printf ("a thread is due within 30 min: the setup is wrong");
}

int
main (int argc, char **argv)
{
  return hb_bench_main (argc, argv, "B2", bench_idle);
}
