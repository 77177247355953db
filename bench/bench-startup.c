/* bench-startup.c (B3): 100,000 threads in the database: time from start to the bus name, to the
 * thread objects exported (a property of the first and of the last thread answers) and to
 * GetManagedObjects answering, and the resident memory at each point. */
#include "config.h"

#include "hb-bench.h"

/* HB_BENCH_THREADS overrides the count, to find where a limit lies. */
static guint
n_threads (void)
{
  const char *s = g_getenv ("HB_BENCH_THREADS");

  return s != NULL ? (guint) g_ascii_strtoull (s, NULL, 10) : 100000;
}

/* Read ThreadId of @thread_id's object, retrying until it is there. */
static gboolean
wait_for_object (GDBusConnection *conn, const char *thread_id, guint timeout_ms)
{
  g_autofree char *escaped = g_dbus_escape_object_path (thread_id);
  g_autofree char *path = g_strconcat (HB_TEST_THREADS_PATH "/", escaped, NULL);
  gint64 deadline = g_get_monotonic_time () + timeout_ms * (gint64) 1000;

  while (g_get_monotonic_time () < deadline)
    {
      g_autoptr(GError) error = NULL;
      g_autoptr(GVariant) v = hb_test_get_property (conn, HB_TEST_BUS_NAME, path,
                                                    HB_TEST_THREAD_IFACE, "ThreadId", &error);

      if (v != NULL)
        return TRUE;
    }
  return FALSE;
}

static void
bench_startup (void)
{
  g_autoptr(HbTestEnv) env = hb_test_env_new (NULL);
  GDBusConnection *conn = hb_test_env_get_connection (env);
  g_autoptr(GError) error = NULL;
  g_autoptr(GVariant) objects = NULL;
  g_autofree char *config = NULL;
  g_autofree char *first = NULL;
  g_autofree char *last = NULL;
  HbBenchThreads spec = { .count = n_threads (), .prefix = "b3",
                          .last_run = g_get_real_time () / 1e6 };
  gint64 t0, t_name, t_exported, t_objects, rss_name, rss_exported;
  HbTestDaemon *d;
  GPid pid;

  hb_bench_populate (hb_test_env_get_db_path (env), &spec);
  first = hb_bench_thread_id (spec.prefix, 0);
  last = hb_bench_thread_id (spec.prefix, spec.count - 1);
  config = hb_bench_write_config (env, "[daemon]\nenabled=true\n");
  t0 = g_get_monotonic_time ();
  d = hb_bench_spawn_daemon (env, config);
  g_assert_true (hb_test_daemon_wait_for_name (d, 120000, &error));
  g_assert_no_error (error);
  t_name = g_get_monotonic_time ();
  pid = hb_test_daemon_get_pid (d);
  rss_name = hb_bench_rss_kib (pid);

  g_assert_true (wait_for_object (conn, first, 120000));
  g_assert_true (wait_for_object (conn, last, 120000));
  t_exported = g_get_monotonic_time ();
  rss_exported = hb_bench_rss_kib (pid);

  objects = g_dbus_connection_call_sync (conn, HB_TEST_BUS_NAME, HB_TEST_MANAGER_PATH,
                                         "org.freedesktop.DBus.ObjectManager", "GetManagedObjects",
                                         NULL, NULL, G_DBUS_CALL_FLAGS_NONE, 120000, NULL, &error);
  t_objects = g_get_monotonic_time ();

  hb_bench_report ("B3", "threads_in_db", spec.count);
  hb_bench_report ("B3", "seconds_to_name", (t_name - t0) / 1e6);
  hb_bench_report ("B3", "seconds_to_objects_exported", (t_exported - t0) / 1e6);
  hb_bench_report ("B3", "rss_mib_at_name", rss_name / 1024.0);
  hb_bench_report ("B3", "rss_mib_exported", rss_exported / 1024.0);
  if (objects != NULL)
    {
      g_autoptr(GVariant) list = g_variant_get_child_value (objects, 0);

      hb_bench_report ("B3", "objects_in_reply", g_variant_n_children (list));
      hb_bench_report ("B3", "reply_mib", g_variant_get_size (objects) / 1048576.0);
      hb_bench_report ("B3", "seconds_to_get_managed_objects", (t_objects - t0) / 1e6);
      hb_bench_report ("B3", "rss_mib_after_get_managed_objects", hb_bench_rss_kib (pid) / 1024.0);
    }
  else if (g_error_matches (error, G_DBUS_ERROR, G_DBUS_ERROR_LIMITS_EXCEEDED))
    {
      /* Too big for one message: the daemon refuses rather than get thrown off the bus. The
       * objects are there one by one, and the daemon still serves. */
      g_autoptr(GVariant) pong = NULL;

      hb_bench_report ("B3", "get_managed_objects_refused_as_too_large", 1);
      pong = g_dbus_connection_call_sync (conn, HB_TEST_BUS_NAME, HB_TEST_MANAGER_PATH,
                                          "org.freedesktop.DBus.Peer", "Ping", NULL, NULL,
                                          G_DBUS_CALL_FLAGS_NONE, 10000, NULL, NULL);
      hb_bench_report ("B3", "daemon_answers_after_get_managed_objects", pong != NULL);
      if (pong == NULL)
        g_test_fail ();
    }
  else
    {
      g_printerr ("B3: GetManagedObjects failed: %s\n", error->message);
      hb_bench_report ("B3", "seconds_to_get_managed_objects", -1);
      g_test_fail ();
    }
}

int
main (int argc, char **argv)
{
  return hb_bench_main (argc, argv, "B3", bench_startup);
}
