/* test-scheduler.c: when the real daemon runs heartbeats: on time and once, at most
 * max-concurrent at a time, not while stopped, re-armed by configuration changes and by
 * SIGUSR1, one catch-up run after downtime, the due time kept across a restart.
 *
 * No test sleeps: each waits for a signal or a property with a deadline, and "nothing else
 * happens" is a wait for a signal that must not come. Timing checks leave seconds of slack.
 */
#include "config.h"

#include <math.h>
#include <signal.h>

#include "hb-due.h"
#include "test-scheduler-util.h"

#define S ((gint64) G_USEC_PER_SEC)

/* Database seconds as the daemon reads them, in microseconds. */
static gint64
db_us (double seconds)
{
  return (gint64) llround (seconds * G_USEC_PER_SEC);
}

/* Equal but for the rounding of REAL seconds to microseconds. */
#define assert_same_time(a, b) g_assert_cmpint (ABS ((gint64) (a) - (gint64) (b)), <=, 2)

/* A thread ran once, on time: started no earlier than @due and at most 5 s after it. */
static void
assert_ran_on_time (GVariant *result, gint64 due)
{
  gint64 started = sched_result_time (result, "started_at");

  assert_same_time (sched_result_time (result, "scheduled_for"), due);
  g_assert_cmpint (started, >=, due);
  g_assert_cmpint (started - due, <=, 5 * S);
  g_assert_cmpstr (sched_result_str (result, "status"), ==, "no-action");
}

/* After a run NextRun is LastRun + @every (no offsets); wait for it to be published. */
static void
assert_next_after_run (HbTestEnv *env, const char *id, guint64 old_next, GVariant *result,
                       guint every)
{
  g_autofree char *path = sched_thread_path (id);
  g_autoptr(GVariant) next = sched_wait_change (env, path, HB_TEST_THREAD_IFACE, "NextRun",
                                                g_variant_new_uint64 (old_next), HB_TEST_TIMEOUT_MS);
  guint64 last = sched_thread_u64 (env, id, "LastRun");

  g_assert_cmpuint (last, ==, (guint64) sched_result_time (result, "finished_at"));
  g_assert_cmpuint (g_variant_get_uint64 (next), ==, last + (guint64) every * S);
}

/* ---- on time, once -------------------------------------------------------------------------- */

static void
test_due_fires_once (void)
{
  g_autoptr(HbTestEnv) env = hb_test_env_new (NULL);
  g_autoptr(HbTestSignalRecorder) started = NULL;
  g_autoptr(HbTestSignalRecorder) completed = NULL;
  g_autoptr(GVariant) result = NULL;
  double last = sched_now_s () - 56;   /* due in about 4 s: time to look before it fires */
  gint64 due = db_us (last) + 60 * S;
  guint64 next;

  sched_db_init (env);
  sched_db_add_thread (env, "due-soon", last, "{\"every\":60}");
  started = sched_record (env, "RunStarted", "due-soon");
  completed = sched_record (env, "HeartbeatCompleted", "due-soon");
  sched_start (env, SCHED_CONFIG_BASE, NULL);

  next = sched_thread_u64 (env, "due-soon", "NextRun");
  assert_same_time (next, due);
  g_assert_cmpuint (sched_manager_u64 (env, "NextWakeup"), ==, next);
  g_assert_cmpuint (hb_test_signal_recorder_get_count (started), ==, 0);

  result = sched_next_result (completed, SCHED_RUN_TIMEOUT_MS);
  assert_ran_on_time (result, (gint64) next);
  g_assert_cmpuint (hb_test_signal_recorder_get_count (started), ==, 1);
  g_assert_cmpuint (sched_fake_requests (env), ==, 1);
  assert_next_after_run (env, "due-soon", next, result, 60);
  g_assert_cmpuint (sched_manager_u64 (env, "NextWakeup"),
                    ==, sched_thread_u64 (env, "due-soon", "NextRun"));

  /* Once: nothing more until the next interval. */
  sched_assert_quiet (completed, SCHED_QUIET_MS);
  g_assert_cmpuint (hb_test_signal_recorder_get_count (started), ==, 1);
}

/* ---- concurrency -------------------------------------------------------------------------- */

typedef struct {
  guint max_active;
  guint max_queued;
  guint updates;
} ManagerWatch;

static void
on_manager_changed (GDBusConnection *conn, const char *sender, const char *path,
                    const char *iface, const char *member, GVariant *params, gpointer user_data)
{
  ManagerWatch *w = user_data;
  g_autoptr(GVariant) changed = NULL;
  guint32 n;

  g_variant_get (params, "(&s@a{sv}@as)", NULL, &changed, NULL);
  if (g_variant_lookup (changed, "ActiveRuns", "u", &n))
    {
      w->max_active = MAX (w->max_active, n);
      w->updates++;
    }
  if (g_variant_lookup (changed, "QueuedRuns", "u", &n))
    w->max_queued = MAX (w->max_queued, n);
}

#define N_BUSY 50

static void
test_max_concurrent (void)
{
  g_autoptr(HbTestEnv) env = hb_test_env_new (NULL);
  GDBusConnection *conn = hb_test_env_get_connection (env);
  g_autoptr(HbTestSignalRecorder) completed = sched_record (env, "HeartbeatCompleted", NULL);
  g_autoptr(GHashTable) done = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, NULL);
  g_autoptr(GError) error = NULL;
  HbTestFakeStats stats = { 0 };
  ManagerWatch watch = { 0 };
  double now = sched_now_s ();
  guint sub;

  sched_db_init (env);
  sched_db_exec (env, "BEGIN");
  for (guint i = 0; i < N_BUSY; i++)
    {
      g_autofree char *id = g_strdup_printf ("busy-%02u", i);

      /* All overdue: all due at start-up, together (no offsets). */
      sched_db_add_thread (env, id, now - 120, NULL);
    }
  sub = g_dbus_connection_signal_subscribe (conn, NULL, "org.freedesktop.DBus.Properties",
                                            "PropertiesChanged", HB_TEST_MANAGER_PATH,
                                            HB_TEST_MANAGER_IFACE, G_DBUS_SIGNAL_FLAGS_NONE,
                                            on_manager_changed, &watch, NULL);
  sched_fake_default (env, 200, 300);
  sched_start (env, SCHED_CONFIG_BASE "[daemon]\nmax-concurrent=2\n", NULL);
  g_assert_cmpuint (sched_manager_u64 (env, "MaxConcurrent"), ==, 2);
  /* Runs may begin before the name is owned, and the skeleton only sends values that differ
   * from the last one sent: read the value as well as watching its changes. */
  watch.max_active = MAX (watch.max_active, (guint) sched_manager_u64 (env, "ActiveRuns"));

  while (g_hash_table_size (done) < N_BUSY)
    {
      g_autoptr(GVariant) result = sched_next_result (completed, SCHED_RUN_TIMEOUT_MS);
      const char *id = sched_result_str (result, "thread_id");

      g_assert_cmpstr (sched_result_str (result, "status"), ==, "no-action");
      g_assert_true (g_str_has_prefix (id, "busy-"));
      /* Each thread once. */
      g_assert_true (g_hash_table_add (done, g_strdup (id)));
      watch.max_active = MAX (watch.max_active, (guint) sched_manager_u64 (env, "ActiveRuns"));
      g_assert_cmpuint (watch.max_active, <=, 2);
    }
  sched_wait_equal (env, HB_TEST_MANAGER_PATH, HB_TEST_MANAGER_IFACE, "ActiveRuns",
                    g_variant_new_uint32 (0), HB_TEST_TIMEOUT_MS);
  g_dbus_connection_signal_unsubscribe (conn, sub);

  g_assert_cmpuint (watch.updates, >, 0);
  g_assert_cmpuint (watch.max_active, ==, 2);
  g_assert_cmpuint (watch.max_queued, >, 0);
  g_assert_cmpuint (watch.max_queued, <=, N_BUSY - 2);
  g_assert_cmpuint (sched_manager_u64 (env, "QueuedRuns"), ==, 0);

  hb_test_fake_get_stats (env, &stats, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (stats.requests, ==, N_BUSY);
  g_assert_cmpuint (stats.max_in_flight, >=, 1);
  g_assert_cmpuint (stats.max_in_flight, <=, 2);
  hb_test_fake_stats_clear (&stats);
  sched_assert_quiet (completed, 1000);
}

/* ---- Stop and Start ----------------------------------------------------------------------- */

static void
test_stop_start (void)
{
  g_autoptr(HbTestEnv) env = hb_test_env_new (NULL);
  g_autoptr(HbTestSignalRecorder) started = sched_record (env, "RunStarted", NULL);
  g_autoptr(HbTestSignalRecorder) completed = sched_record (env, "HeartbeatCompleted", NULL);
  g_autoptr(GVariant) result = NULL;
  double last = sched_now_s () - 600;
  guint64 next;

  sched_db_init (env);
  sched_db_add_thread (env, "paused", last, "{\"every\":3600}");
  sched_start (env, SCHED_CONFIG_BASE, NULL);
  g_assert_true (sched_get_bool (env, HB_TEST_MANAGER_PATH, HB_TEST_MANAGER_IFACE, "Enabled"));
  next = sched_thread_u64 (env, "paused", "NextRun");
  assert_same_time (next, db_us (last) + 3600 * S);
  g_assert_cmpuint (sched_manager_u64 (env, "NextWakeup"), ==, next);

  sched_manager_call (env, "Stop", NULL);
  g_assert_false (sched_get_bool (env, HB_TEST_MANAGER_PATH, HB_TEST_MANAGER_IFACE, "Enabled"));
  sched_wait_equal (env, HB_TEST_MANAGER_PATH, HB_TEST_MANAGER_IFACE, "NextWakeup",
                    g_variant_new_uint64 (0), HB_TEST_TIMEOUT_MS);

  /* Due now (last run 10 min ago, every minute), and long overdue by the end: still nothing. */
  sched_set_thread_property (env, "paused", "Every", g_variant_new_uint32 (60));
  sched_assert_quiet (started, SCHED_QUIET_MS);
  g_assert_cmpuint (sched_manager_u64 (env, "NextWakeup"), ==, 0);

  /* Start: the missed runs give one run, not a backlog. */
  sched_manager_call (env, "Start", NULL);
  g_assert_true (sched_get_bool (env, HB_TEST_MANAGER_PATH, HB_TEST_MANAGER_IFACE, "Enabled"));
  result = sched_next_result (completed, SCHED_RUN_TIMEOUT_MS);
  g_assert_cmpstr (sched_result_str (result, "thread_id"), ==, "paused");
  g_assert_cmpstr (sched_result_str (result, "status"), ==, "no-action");
  g_assert_cmpuint (hb_test_signal_recorder_get_count (started), ==, 1);
  sched_assert_quiet (completed, SCHED_QUIET_MS);
  g_assert_cmpuint (hb_test_signal_recorder_get_count (started), ==, 1);
  g_assert_cmpuint (sched_fake_requests (env), ==, 1);
  g_assert_cmpuint (sched_thread_u64 (env, "paused", "NextRun"),
                    ==, sched_thread_u64 (env, "paused", "LastRun") + 60 * S);
  g_assert_cmpuint (sched_manager_u64 (env, "NextWakeup"),
                    ==, sched_thread_u64 (env, "paused", "NextRun"));
}

/* Thread.NextRun is documented as 0 while the scheduler is stopped, with SkipReason
 * "stopped", and back to the due time after Start. */
static void
test_stopped_thread_properties (void)
{
  g_autoptr(HbTestEnv) env = hb_test_env_new (NULL);
  g_autofree char *path = sched_thread_path ("held");
  g_autofree char *reason = NULL;
  double last = sched_now_s () - 600;

  sched_db_init (env);
  sched_db_add_thread (env, "held", last, "{\"every\":3600}");
  sched_start (env, SCHED_CONFIG_BASE, NULL);
  assert_same_time (sched_thread_u64 (env, "held", "NextRun"), db_us (last) + 3600 * S);

  sched_manager_call (env, "Stop", NULL);
  sched_wait_equal (env, path, HB_TEST_THREAD_IFACE, "SkipReason",
                    g_variant_new_string ("stopped"), HB_TEST_TIMEOUT_MS);
  g_assert_cmpuint (sched_thread_u64 (env, "held", "NextRun"), ==, 0);

  sched_manager_call (env, "Start", NULL);
  sched_wait_equal (env, path, HB_TEST_THREAD_IFACE, "SkipReason", g_variant_new_string (""),
                    HB_TEST_TIMEOUT_MS);
  assert_same_time (sched_thread_u64 (env, "held", "NextRun"), db_us (last) + 3600 * S);
}

/* ---- configuration changes ---------------------------------------------------------------- */

static void
test_config_change_rearms (void)
{
  g_autoptr(HbTestEnv) env = hb_test_env_new (NULL);
  g_autoptr(HbTestSignalRecorder) started_b = sched_record (env, "RunStarted", "later");
  g_autoptr(HbTestSignalRecorder) completed = sched_record (env, "HeartbeatCompleted", NULL);
  g_autoptr(GVariant) result = NULL;
  double now = sched_now_s ();
  double last_a = now - 55;   /* due in 5 s once its interval is a minute */
  double last_b = now - 52;   /* due in 8 s unless its interval grows */
  gint64 due_a = db_us (last_a) + 60 * S;
  gint64 due_b = db_us (last_b) + 60 * S;
  guint64 next_a, next_b;
  gint64 left;

  sched_db_init (env);
  sched_db_add_thread (env, "sooner", last_a, "{\"every\":3600}");
  sched_db_add_thread (env, "later", last_b, "{\"every\":60}");
  sched_start (env, SCHED_CONFIG_BASE, NULL);
  next_a = sched_thread_u64 (env, "sooner", "NextRun");
  assert_same_time (next_a, db_us (last_a) + 3600 * S);
  assert_same_time (sched_manager_u64 (env, "NextWakeup"), due_b);

  /* Shorter: the timer moves earlier, to the new due time. */
  sched_set_thread_property (env, "sooner", "Every", g_variant_new_uint32 (60));
  assert_same_time (sched_thread_u64 (env, "sooner", "NextRun"), due_a);
  assert_same_time (sched_manager_u64 (env, "NextWakeup"), due_a);

  /* Longer: the old due time must not fire. */
  sched_set_thread_property (env, "later", "Every", g_variant_new_uint32 (3600));
  next_b = sched_thread_u64 (env, "later", "NextRun");
  assert_same_time (next_b, db_us (last_b) + 3600 * S);

  result = sched_next_result (completed, SCHED_RUN_TIMEOUT_MS);
  g_assert_cmpstr (sched_result_str (result, "thread_id"), ==, "sooner");
  assert_ran_on_time (result, due_a);
  assert_next_after_run (env, "sooner", (guint64) due_a, result, 60);

  /* Past the old due time of "later", with slack. */
  left = (due_b - g_get_real_time ()) / 1000 + SCHED_QUIET_MS;
  sched_assert_quiet (started_b, (guint) MAX (left, SCHED_QUIET_MS));
  g_assert_cmpuint (sched_thread_u64 (env, "later", "NextRun"), ==, next_b);
  g_assert_cmpuint (sched_manager_u64 (env, "NextWakeup"),
                    ==, sched_thread_u64 (env, "sooner", "NextRun"));
}

/* ---- missed runs and clock changes -------------------------------------------------------- */

static const char *const catch_up_ids[] = { "crt-1", "crt-2", "crt-3", "crt-4", "crt-5" };
#define N_CATCH_UP G_N_ELEMENTS (catch_up_ids)

/* After ten hours down, each thread runs once, at start-up plus its own offset. */
static void
test_catch_up_after_restart (void)
{
  g_autoptr(HbTestEnv) env = hb_test_env_new (NULL);
  g_autoptr(HbTestSignalRecorder) completed = NULL;
  g_autoptr(GHashTable) seen = g_hash_table_new (g_str_hash, g_str_equal);
  const char *config = SCHED_CONFIG_BASE "[daemon]\noffset-max=300\nmax-concurrent=5\n";
  gint64 offsets[N_CATCH_UP];
  gint64 lo = G_MAXINT64, hi = G_MININT64, base_lo = G_MAXINT64, base_hi = G_MININT64;
  gint64 restart_at;
  HbTestDaemon *d;
  int status;

  sched_db_init (env);
  for (guint i = 0; i < N_CATCH_UP; i++)
    {
      /* every=60: offsets in [0, 6 s]. */
      offsets[i] = hb_due_offset (catch_up_ids[i], 60, 300);
      lo = MIN (lo, offsets[i]);
      hi = MAX (hi, offsets[i]);
      sched_db_add_thread (env, catch_up_ids[i], sched_now_s () - 5, NULL);
    }
  /* The check below means something only if the offsets differ. */
  g_assert_cmpint (hi - lo, >=, 1 * S);

  d = sched_start (env, config, NULL);
  g_assert_true (hb_test_daemon_term (d, HB_TEST_TIMEOUT_MS, &status, NULL));
  g_assert_cmpint (status, ==, 0);

  /* Down for ten hours. */
  sched_db_exec (env, "UPDATE thread_sessions SET heartbeat_last_run = %.6f",
                 sched_now_s () - 36000);
  completed = sched_record (env, "HeartbeatCompleted", NULL);
  restart_at = g_get_real_time ();
  g_assert_true (hb_test_daemon_restart (d, NULL, NULL));

  for (guint n = 0; n < N_CATCH_UP; n++)
    {
      g_autoptr(GVariant) result = sched_next_result (completed, SCHED_RUN_TIMEOUT_MS);
      const char *id = sched_result_str (result, "thread_id");
      gint64 due = sched_result_time (result, "scheduled_for");
      gint64 base = 0;

      g_assert_true (g_hash_table_add (seen, (gpointer) g_intern_string (id)));
      for (guint i = 0; i < N_CATCH_UP; i++)
        if (g_str_equal (id, catch_up_ids[i]))
          base = due - offsets[i];
      g_assert_cmpint (base, >=, restart_at);
      g_assert_cmpint (sched_result_time (result, "started_at"), >=, due);
      g_assert_cmpstr (sched_result_str (result, "status"), ==, "no-action");
      base_lo = MIN (base_lo, base);
      base_hi = MAX (base_hi, base);
    }
  /* All due at load time plus their own offset: spread, not a burst. */
  g_assert_cmpint (base_hi - base_lo, <, S / 2);
  sched_assert_quiet (completed, SCHED_QUIET_MS);
  g_assert_cmpuint (sched_fake_requests (env), ==, N_CATCH_UP);
}

/* SIGUSR1 recomputes every due time, as after a clock change. The daemon's wall clock jumps two
 * hours ahead: the hourly heartbeat due in 50 min is overdue now, yet the jump alone changes
 * nothing (the timer runs on the monotonic clock, which did not jump); after SIGUSR1 it runs
 * once, at once, not as a replay of the missed hours. */
static void
test_sigusr1_reevaluates (void)
{
  g_autoptr(HbTestEnv) env = NULL;
  g_autoptr(SchedClock) wall = NULL;
  g_autoptr(HbTestSignalRecorder) started = NULL;
  g_autoptr(HbTestSignalRecorder) completed = NULL;
  g_autoptr(GVariant) probe = NULL;
  g_autoptr(GVariant) result = NULL;
  gint64 signalled;
  double last;
  guint64 next;
  HbTestDaemon *d;

  if (!sched_clock_setup (&env, &wall))
    return;
  last = sched_now_s () - 600;
  sched_db_add_thread (env, "jumped", last, "{\"every\":3600}");
  /* Due in a day: asking it to run shows the daemon's clock without re-arming the timer,
   * which stays on "jumped". */
  sched_db_add_thread (env, "probe", sched_now_s () - 60, "{\"every\":86400}");
  started = sched_record (env, "RunStarted", "jumped");
  completed = sched_record (env, "HeartbeatCompleted", NULL);
  d = sched_clock_start (wall, SCHED_CONFIG_BASE);
  next = sched_thread_u64 (env, "jumped", "NextRun");
  assert_same_time (next, db_us (last) + 3600 * S);

  sched_clock_set_offset (wall, 2 * 3600);
  probe = sched_clock_run_now (wall, completed, "probe");

  /* The control: the due time has passed on the daemon's clock, but nothing re-evaluated it. */
  sched_assert_quiet (started, SCHED_QUIET_MS);
  g_assert_cmpuint (sched_thread_u64 (env, "jumped", "NextRun"), ==, next);

  signalled = sched_clock_now (wall);
  sched_signal_daemon (d, SIGUSR1);
  result = sched_next_result (completed, SCHED_RUN_TIMEOUT_MS);
  g_assert_cmpstr (sched_result_str (result, "thread_id"), ==, "jumped");
  g_assert_cmpstr (sched_result_str (result, "status"), ==, "no-action");
  /* Caught up now on the new clock, not replayed from the old due time. */
  sched_assert_within ("scheduled_for", sched_result_time (result, "scheduled_for"), signalled,
                       signalled + 5 * S);
  sched_assert_within ("started_at", sched_result_time (result, "started_at"),
                       sched_result_time (result, "scheduled_for"), signalled + 5 * S);
  sched_assert_quiet (completed, SCHED_QUIET_MS);
  g_assert_cmpuint (hb_test_signal_recorder_get_count (started), ==, 1);
  g_assert_cmpuint (sched_fake_requests (env), ==, 2);
  g_assert_cmpuint (sched_thread_u64 (env, "jumped", "LastRun"),
                    ==, (guint64) sched_result_time (result, "finished_at"));
  g_assert_cmpuint (sched_thread_u64 (env, "jumped", "NextRun"),
                    ==, sched_thread_u64 (env, "jumped", "LastRun") + 3600 * S);
}

/* ---- persistence -------------------------------------------------------------------------- */

/* A thread that never ran is due at first sight plus its offset; that time is stored and kept
 * by a restart (recomputing would give a new one). */
static void
test_due_persisted (void)
{
  g_autoptr(HbTestEnv) env = hb_test_env_new (NULL);
  const char *config = SCHED_CONFIG_BASE "[daemon]\noffset-max=300\n";
  const char *id = "persisted";
  double stored;
  guint64 next;
  HbTestDaemon *d;
  int status;

  /* Offset in [0, 300 s] for every=3600: far enough ahead not to fire during the test. */
  g_assert_cmpint (hb_due_offset (id, 3600, 300), >=, 30 * S);
  sched_db_init (env);
  sched_db_add_thread (env, id, 0, "{\"every\":3600}");
  d = sched_start (env, config, NULL);
  next = sched_thread_u64 (env, id, "NextRun");
  g_assert_cmpuint (next, >, (guint64) g_get_real_time ());

  g_assert_true (hb_test_daemon_term (d, HB_TEST_TIMEOUT_MS, &status, NULL));
  g_assert_cmpint (status, ==, 0);
  stored = sched_db_double (env, "SELECT heartbeat_next_due FROM thread_sessions"
                                 " WHERE thread_id = %Q", id);
  g_assert_false (isnan (stored));
  assert_same_time (db_us (stored), next);

  g_assert_true (hb_test_daemon_restart (d, NULL, NULL));
  assert_same_time (sched_thread_u64 (env, id, "NextRun"), next);
  g_assert_cmpuint (sched_fake_requests (env), ==, 0);
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);

  g_test_add_func ("/scheduler/due-fires-once", test_due_fires_once);
  g_test_add_func ("/scheduler/max-concurrent", test_max_concurrent);
  g_test_add_func ("/scheduler/stop-start", test_stop_start);
  g_test_add_func ("/scheduler/config-change-rearms", test_config_change_rearms);
  g_test_add_func ("/scheduler/catch-up-after-restart", test_catch_up_after_restart);
  g_test_add_func ("/scheduler/sigusr1-reevaluates", test_sigusr1_reevaluates);
  g_test_add_func ("/scheduler/due-persisted", test_due_persisted);
  g_test_add_func ("/scheduler/stopped-thread-properties", test_stopped_thread_properties);

  return g_test_run ();
}
