/* hb-bench.h: what the benchmark programs share: the environment (the integration harness with a
 * quiet daemon), a thread table generator, /proc readings of the daemon, percentiles and the
 * summary lines ("B1 heartbeats_per_second 2345.6") that scripts read. */
#pragma once

#include <gio/gio.h>

#include "hb-test-daemon.h"

G_BEGIN_DECLS

/* Call first: points the harness at the build tree (benchmarks are not run by meson test). */
void hb_bench_init (int *argc, char ***argv);
/* hb_bench_init, then run @bench as the program's one GTest case (the harness prints the logs
 * when it fails: call g_test_fail() when a figure cannot be trusted). */
int hb_bench_main (int argc, char **argv, const char *id, GTestFunc bench);

/* Threads written straight into thread_sessions (CRT's own shape, as CRT writes them), in one
 * transaction, before the daemon starts. */
typedef struct {
  guint count;
  const char *prefix;        /* ids are PREFIX-000042 */
  double last_run;           /* heartbeat_last_run, Unix seconds; 0 = never */
  double last_run_step;      /* added per thread (spreads due times) */
  const char *config_json;   /* heartbeat_config_json, NULL none */
} HbBenchThreads;

void hb_bench_populate (const char *db_path, const HbBenchThreads *spec);
char *hb_bench_thread_id (const char *prefix, guint i);

/* Write @ini as the daemon's configuration file in the env's directory; returns its path. */
char *hb_bench_write_config (HbTestEnv *env, const char *ini);

/* Start the daemon with --config @config_path, without --verbose (debug logging would be
 * measured too), and wait for its name. */
HbTestDaemon *hb_bench_start_daemon (HbTestEnv *env, const char *config_path);
/* The same, spawned only (the caller waits for the name itself). */
HbTestDaemon *hb_bench_spawn_daemon (HbTestEnv *env, const char *config_path);

/* The daemon's CPU time (utime + stime of /proc/PID/stat, all threads, dead ones included) in
 * microseconds, at clock-tick resolution. */
gint64 hb_bench_cpu_us (GPid pid);
/* The run time of its live threads (/proc/PID/task/STAR/schedstat) in nanoseconds. */
gint64 hb_bench_sched_ns (GPid pid);
/* The same per thread name (/proc/PID/task/STAR/comm): name -> gint64* nanoseconds. */
GHashTable *hb_bench_sched_ns_by_thread (GPid pid);
/* Voluntary plus involuntary context switches summed over /proc/PID/task/STAR/status. */
gint64 hb_bench_context_switches (GPid pid);
/* VmRSS in KiB. */
gint64 hb_bench_rss_kib (GPid pid);

/* The @p percentile (0..100, nearest rank) of @values (sorted in place). */
double hb_bench_percentile (GArray *values, double p);

/* One summary line: "ID NAME VALUE". */
void hb_bench_report (const char *id, const char *name, double value);

/* Call Manager.RunNow for PREFIX-000000 .. PREFIX-(count-1), a bounded number at a time. */
typedef struct _HbBenchRunNow HbBenchRunNow;

HbBenchRunNow *hb_bench_run_now_all (GDBusConnection *conn, const char *prefix, guint count);
guint hb_bench_run_now_failed (HbBenchRunNow *r);
/* Waits for the replies still owed. */
void hb_bench_run_now_free (HbBenchRunNow *r);
G_DEFINE_AUTOPTR_CLEANUP_FUNC (HbBenchRunNow, hb_bench_run_now_free)

/* Wait until *@counter reaches @target or @timeout_ms passes; returns whether it did. */
gboolean hb_bench_wait_count (guint *counter, guint target, guint timeout_ms);

G_END_DECLS
