/* test-scheduler-util.h: what the scheduler's integration tests share.
 *
 * Threads are written into the database with SQLite before the daemon starts (as CRT leaves
 * them), the daemon gets a configuration file, and the tests watch RunStarted,
 * HeartbeatCompleted and the properties. Times in the database are REAL seconds, on the bus
 * microseconds.
 */
#pragma once

#include "hb-test-daemon.h"

G_BEGIN_DECLS

/* Generous: the machine is shared and slow at times. */
#define SCHED_RUN_TIMEOUT_MS 20000
/* How long "no further run" is watched for after a run. */
#define SCHED_QUIET_MS 3000

/* The daemon's configuration for most tests: enabled, no offsets, one retry-free backend call
 * per run, every=60 by default. @extra is appended (more groups or keys; later keys win). */
#define SCHED_CONFIG_BASE \
  "[daemon]\nenabled=true\noffset-max=0\nmax-concurrent=1\nskip-unchanged=true\n" \
  "breaker-threshold=3\n[backend]\nretries=0\n[defaults]\nevery=60\n"

double sched_now_s (void);
/* Database seconds as the daemon reads them, in microseconds. */
gint64 sched_db_us (double seconds);

/* Create CRT's thread_sessions and recent_queries tables, and HEARTBEAT.md. */
void sched_db_init (HbTestEnv *env);
/* Run SQL on the test database, formatted by sqlite3_mprintf (%Q, %q; not checked by the
 * compiler, whose printf knows neither). */
void sched_db_exec (HbTestEnv *env, const char *fmt, ...);
/* The first column of the first row as a double; NAN for NULL or no row. */
double sched_db_double (HbTestEnv *env, const char *fmt, ...);
/* A thread row: @last_run_s 0 = never ran, @config_json NULL = no overrides. */
void sched_db_add_thread (HbTestEnv *env, const char *id, double last_run_s,
                          const char *config_json);

/* Write @config to <tmp>/heartbeat.conf and start the daemon with it. */
HbTestDaemon *sched_start (HbTestEnv *env, const char *config, const char *const *env_vars);

char *sched_thread_path (const char *id);

GVariant *sched_get (HbTestEnv *env, const char *path, const char *iface, const char *prop);
guint64 sched_get_u64 (HbTestEnv *env, const char *path, const char *iface, const char *prop);
gboolean sched_get_bool (HbTestEnv *env, const char *path, const char *iface, const char *prop);
char *sched_get_str (HbTestEnv *env, const char *path, const char *iface, const char *prop);
/* Properties of the thread @id. */
guint64 sched_thread_u64 (HbTestEnv *env, const char *id, const char *prop);
char *sched_thread_str (HbTestEnv *env, const char *id, const char *prop);
guint64 sched_manager_u64 (HbTestEnv *env, const char *prop);

/* Wait until @prop of @path differs from @old; returns the new value (transfer full). */
GVariant *sched_wait_change (HbTestEnv *env, const char *path, const char *iface,
                             const char *prop, GVariant *old, guint timeout_ms);
void sched_wait_equal (HbTestEnv *env, const char *path, const char *iface, const char *prop,
                       GVariant *expected, guint timeout_ms);

/* A Manager method with no reply value worth keeping. */
void sched_manager_call (HbTestEnv *env, const char *method, GVariant *params);
void sched_set_thread_property (HbTestEnv *env, const char *id, const char *prop,
                                GVariant *value);

/* Recorders for the Manager's signals, optionally for one thread. */
HbTestSignalRecorder *sched_record (HbTestEnv *env, const char *member, const char *thread_id);
/* The next HeartbeatCompleted result (a{sv}, transfer full); fails the test at the deadline. */
GVariant *sched_next_result (HbTestSignalRecorder *completed, guint timeout_ms);
/* Fail unless nothing arrives on @rec within @ms. */
void sched_assert_quiet (HbTestSignalRecorder *rec, guint ms);

const char *sched_result_str (GVariant *result, const char *key);
gint64 sched_result_time (GVariant *result, const char *key);

/* The fake's default step: @status 200 gives the usual "none" decision. */
void sched_fake_default (HbTestEnv *env, guint status, guint delay_ms);
guint sched_fake_requests (HbTestEnv *env);

/* Send @signo to the running daemon. */
void sched_signal_daemon (HbTestDaemon *d, int signo);

/* ---- the daemon's wall clock, moved with libfaketime -------------------------------------- */

/* The daemon runs with libfaketime preloaded, reading its offset from a file on every call:
 * only its realtime clock moves (as when the clock is set), its monotonic clock and so GLib's
 * timers keep running, file times stay real. The test's own clock is the real one. */
typedef struct _SchedClock SchedClock;

/* The preload library, or NULL (and the test skipped) when libfaketime is not installed. */
const char *sched_clock_library (void);
/* Offset 0 until sched_clock_set_offset(). */
SchedClock *sched_clock_new (HbTestEnv *env);
/* A new environment with sched_db_init() done and its clock; FALSE (the test skipped, nothing
 * made) when libfaketime is not installed. */
gboolean sched_clock_setup (HbTestEnv **env, SchedClock **wall);
void sched_clock_free (SchedClock *wall);
G_DEFINE_AUTOPTR_CLEANUP_FUNC (SchedClock, sched_clock_free)

/* sched_start() with the clock preloaded; libfaketime's per-process shared memory names are
 * removed at once (the daemon keeps its mappings), so that a killed daemon leaves none behind
 * for a later process with the same pid to trip over. */
HbTestDaemon *sched_clock_start (SchedClock *wall, const char *config);
/* From now on the daemon's wall clock reads real time + @offset_s. */
void sched_clock_set_offset (SchedClock *wall, gint64 offset_s);
/* The daemon's idea of now (microseconds): real time + the offset. */
gint64 sched_clock_now (SchedClock *wall);
/* RunNow for @id and its result from @completed (transfer full); its start must lie within
 * the call, on the daemon's clock. */
GVariant *sched_clock_run_now (SchedClock *wall, HbTestSignalRecorder *completed,
                               const char *id);
/* Fail unless @t lies in [@lo, @hi] (microseconds); @what names it. */
void sched_assert_within (const char *what, gint64 t, gint64 lo, gint64 hi);

G_END_DECLS
