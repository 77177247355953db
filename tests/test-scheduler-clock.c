/* test-scheduler-clock.c: the real daemon when its wall clock jumps.
 *
 * libfaketime moves the daemon's realtime clock only (see sched_clock_start()): its monotonic
 * clock, on which GLib's timers run, goes on as before, as when the clock is set on a real
 * machine. The test's own clock is the real one; the daemon's "now" is real time plus the offset
 * written to libfaketime's file, checked against what the daemon records. SIGUSR1 asks the daemon
 * to re-evaluate, as its timerfd would on a real clock change (libfaketime sets no clock, so the
 * timerfd itself stays quiet here). Every case skips when libfaketime is not installed.
 */
#include "config.h"

#include <signal.h>

#include "hb-due.h"
#include "test-scheduler-util.h"

#define S ((gint64) G_USEC_PER_SEC)
#define HOUR_S ((gint64) 3600)

/* Equal but for the rounding of REAL seconds to microseconds. */
#define assert_same_time(a, b) g_assert_cmpint (ABS ((gint64) (a) - (gint64) (b)), <=, 2)

/* ---- the premise ---------------------------------------------------------------------------- */

/* What the daemon records follows the faked clock: the results on the bus, heartbeat_runs and
 * LastRun, at offset 0 and after a jump. (That its monotonic clock did not move shows in the
 * other cases: a timer fires after its real delay, not at the jump.) */
static void
test_daemon_clock (void)
{
  g_autoptr(HbTestEnv) env = NULL;
  g_autoptr(SchedClock) wall = NULL;
  g_autoptr(HbTestSignalRecorder) completed = NULL;
  g_autoptr(GVariant) first = NULL;
  g_autoptr(GVariant) second = NULL;
  double stored;
  gint64 started;

  if (!sched_clock_setup (&env, &wall))
    return;
  sched_db_add_thread (env, "probe", sched_now_s () - 60, "{\"every\":86400}");
  completed = sched_record (env, "HeartbeatCompleted", NULL);
  sched_clock_start (wall, SCHED_CONFIG_BASE);

  first = sched_clock_run_now (wall, completed, "probe");
  sched_clock_set_offset (wall, 2 * HOUR_S);
  second = sched_clock_run_now (wall, completed, "probe");
  started = sched_result_time (second, "started_at");
  g_assert_cmpint (started - sched_result_time (first, "started_at"), >=, 2 * HOUR_S * S);

  stored = sched_db_double (env, "SELECT started_at FROM heartbeat_runs WHERE run_id = %Q",
                           sched_result_str (second, "run_id"));
  assert_same_time (sched_db_us (stored), started);
  g_assert_cmpuint (sched_thread_u64 (env, "probe", "LastRun"),
                    ==, (guint64) sched_result_time (second, "finished_at"));
  g_assert_cmpuint (sched_thread_u64 (env, "probe", "NextRun"),
                    ==, (guint64) sched_result_time (second, "finished_at") + 86400 * S);
}

/* ---- a timer that fires late ---------------------------------------------------------------- */

/* Due in a few seconds; the wall clock jumps two hours ahead meanwhile. The timer fires after
 * its real delay, sees that it is two hours late and re-evaluates: one run, on the new clock. */
static void
test_late_fire (void)
{
  g_autoptr(HbTestEnv) env = NULL;
  g_autoptr(SchedClock) wall = NULL;
  g_autoptr(HbTestSignalRecorder) started = NULL;
  g_autoptr(HbTestSignalRecorder) completed = NULL;
  g_autoptr(GVariant) result = NULL;
  double last;
  gint64 due, fired;

  if (!sched_clock_setup (&env, &wall))
    return;
  last = sched_now_s () - 54;   /* due in about 6 s: time to jump before it fires */
  due = sched_db_us (last) + 60 * S;
  sched_db_add_thread (env, "late", last, "{\"every\":60}");
  started = sched_record (env, "RunStarted", "late");
  completed = sched_record (env, "HeartbeatCompleted", "late");
  sched_clock_start (wall, SCHED_CONFIG_BASE);
  assert_same_time (sched_thread_u64 (env, "late", "NextRun"), due);

  sched_clock_set_offset (wall, 2 * HOUR_S);
  /* Otherwise the timer fired on time, before the jump, and this case proves nothing. */
  g_assert_cmpint (g_get_real_time (), <, due - S);
  g_assert_cmpuint (hb_test_signal_recorder_get_count (started), ==, 0);

  result = sched_next_result (completed, SCHED_RUN_TIMEOUT_MS);
  g_assert_cmpstr (sched_result_str (result, "status"), ==, "no-action");
  /* Not before the real due time (the monotonic clock did not jump), promptly then; and
   * scheduled on the new clock, not for the stale instant two hours back. */
  fired = due + 2 * HOUR_S * S;
  sched_assert_within ("scheduled_for", sched_result_time (result, "scheduled_for"), fired,
                       fired + 5 * S);
  sched_assert_within ("started_at", sched_result_time (result, "started_at"),
                       sched_result_time (result, "scheduled_for"), fired + 5 * S);

  /* Once, not a burst for the 120 intervals missed. */
  sched_assert_quiet (completed, SCHED_QUIET_MS);
  g_assert_cmpuint (hb_test_signal_recorder_get_count (started), ==, 1);
  g_assert_cmpuint (sched_fake_requests (env), ==, 1);
  g_assert_cmpuint (sched_thread_u64 (env, "late", "LastRun"),
                    ==, (guint64) sched_result_time (result, "finished_at"));
  g_assert_cmpuint (sched_thread_u64 (env, "late", "NextRun"),
                    ==, sched_thread_u64 (env, "late", "LastRun") + 60 * S);
  g_assert_cmpuint (sched_manager_u64 (env, "NextWakeup"),
                    ==, sched_thread_u64 (env, "late", "NextRun"));
}

/* ---- the clock set back --------------------------------------------------------------------- */

/* An hourly thread last run 50 min ago, due in 10 min; the clock is set back two hours. Its last
 * run now lies 70 min in the future, and "last run + every" (2 h 10 min away) would hold the
 * heartbeat for more than two intervals; set back by a year, for a year. The interval counts
 * from now instead: due one interval after the re-evaluation, and no run at once. */
static void
test_backward_jump (void)
{
  g_autoptr(HbTestEnv) env = NULL;
  g_autoptr(SchedClock) wall = NULL;
  g_autoptr(HbTestSignalRecorder) started = NULL;
  g_autofree char *path = sched_thread_path ("back");
  g_autoptr(GVariant) next = NULL;
  double last;
  guint64 old_next, last_run;
  gint64 signalled;
  HbTestDaemon *d;

  if (!sched_clock_setup (&env, &wall))
    return;
  last = sched_now_s () - 3000;
  sched_db_add_thread (env, "back", last, "{\"every\":3600}");
  started = sched_record (env, "RunStarted", NULL);
  d = sched_clock_start (wall, SCHED_CONFIG_BASE);
  old_next = sched_thread_u64 (env, "back", "NextRun");
  last_run = sched_thread_u64 (env, "back", "LastRun");
  assert_same_time (old_next, sched_db_us (last) + HOUR_S * S);

  sched_clock_set_offset (wall, -2 * HOUR_S);
  signalled = sched_clock_now (wall);
  sched_signal_daemon (d, SIGUSR1);
  next = sched_wait_change (env, path, HB_TEST_THREAD_IFACE, "NextRun",
                            g_variant_new_uint64 (old_next), HB_TEST_TIMEOUT_MS);
  sched_assert_within ("NextRun", (gint64) g_variant_get_uint64 (next), signalled + HOUR_S * S,
                       sched_clock_now (wall) + HOUR_S * S);
  g_assert_cmpuint (sched_manager_u64 (env, "NextWakeup"), ==, g_variant_get_uint64 (next));

  /* No spurious run, and the last run stays what it was. */
  sched_assert_quiet (started, SCHED_QUIET_MS);
  g_assert_cmpuint (sched_fake_requests (env), ==, 0);
  g_assert_cmpuint (sched_thread_u64 (env, "back", "LastRun"), ==, last_run);
  g_assert_cmpuint (sched_thread_u64 (env, "back", "NextRun"), ==, g_variant_get_uint64 (next));
}

/* ---- many threads after a long jump --------------------------------------------------------- */

static const char *const spread_ids[] = { "default", "work", "family", "reading-group", "crt-dev" };
#define N_SPREAD G_N_ELEMENTS (spread_ids)
#define SPREAD_EVERY 120   /* offsets in [0, 12 s] */

/* Ten hours ahead and SIGUSR1: every thread overdue runs once, each at the re-evaluation plus
 * its own offset, not all at once and not once per missed interval. */
static void
test_catch_up_spread (void)
{
  g_autoptr(HbTestEnv) env = NULL;
  g_autoptr(SchedClock) wall = NULL;
  g_autoptr(HbTestSignalRecorder) completed = NULL;
  g_autoptr(GHashTable) seen = g_hash_table_new (g_str_hash, g_str_equal);
  g_autofree char *config_json = g_strdup_printf ("{\"every\":%d}", SPREAD_EVERY);
  const char *config = SCHED_CONFIG_BASE "[daemon]\noffset-max=300\nmax-concurrent=5\n";
  gint64 offsets[N_SPREAD];
  gint64 lo = G_MAXINT64, hi = G_MININT64, base_lo = G_MAXINT64, base_hi = G_MININT64;
  gint64 signalled;
  HbTestDaemon *d;

  if (!sched_clock_setup (&env, &wall))
    return;
  for (guint i = 0; i < N_SPREAD; i++)
    {
      offsets[i] = hb_due_offset (spread_ids[i], SPREAD_EVERY, 300);
      lo = MIN (lo, offsets[i]);
      hi = MAX (hi, offsets[i]);
      sched_db_add_thread (env, spread_ids[i], sched_now_s () - 10, config_json);
    }
  /* The spread below means something only if the offsets differ. */
  g_assert_cmpint (hi - lo, >=, 2 * S);
  completed = sched_record (env, "HeartbeatCompleted", NULL);
  d = sched_clock_start (wall, config);

  sched_clock_set_offset (wall, 10 * HOUR_S);
  signalled = sched_clock_now (wall);
  sched_signal_daemon (d, SIGUSR1);

  for (guint n = 0; n < N_SPREAD; n++)
    {
      g_autoptr(GVariant) result = sched_next_result (completed, SCHED_RUN_TIMEOUT_MS);
      const char *id = sched_result_str (result, "thread_id");
      gint64 due = sched_result_time (result, "scheduled_for");
      guint i = 0;

      while (i < N_SPREAD && !g_str_equal (id, spread_ids[i]))
        i++;
      g_assert_cmpuint (i, <, N_SPREAD);
      g_assert_true (g_hash_table_add (seen, (gpointer) spread_ids[i]));
      g_assert_cmpstr (sched_result_str (result, "status"), ==, "no-action");
      /* Its own offset after the re-evaluation, which came soon after the signal. */
      sched_assert_within (id, due - offsets[i], signalled, signalled + 2 * S);
      base_lo = MIN (base_lo, due - offsets[i]);
      base_hi = MAX (base_hi, due - offsets[i]);
      g_assert_cmpint (sched_result_time (result, "started_at"), >=, due);
      g_assert_cmpuint (sched_thread_u64 (env, id, "NextRun"),
                        ==, sched_thread_u64 (env, id, "LastRun") + SPREAD_EVERY * S
                            + (guint64) offsets[i]);
    }
  /* One re-evaluation for all, each thread then at its own offset: spread, not a burst. */
  g_assert_cmpint (base_hi - base_lo, <, S / 2);
  sched_assert_quiet (completed, SCHED_QUIET_MS);
  g_assert_cmpuint (sched_fake_requests (env), ==, N_SPREAD);
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);

  g_test_add_func ("/scheduler-clock/daemon-clock", test_daemon_clock);
  g_test_add_func ("/scheduler-clock/late-fire", test_late_fire);
  g_test_add_func ("/scheduler-clock/catch-up-spread", test_catch_up_spread);
  g_test_add_func ("/scheduler-clock/backward-jump", test_backward_jump);

  return g_test_run ();
}
