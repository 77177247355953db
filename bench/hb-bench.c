/* hb-bench.c: the shared part of the benchmark programs. */
#include "config.h"

#include <glib/gstdio.h>
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "hb-bench.h"

int
hb_bench_main (int argc, char **argv, const char *id, GTestFunc bench)
{
  g_autofree char *path = g_strconcat ("/bench/", id, NULL);

  hb_bench_init (&argc, &argv);
  g_test_add_func (path, bench);
  return g_test_run ();
}

void
hb_bench_init (int *argc, char ***argv)
{
  /* The harness finds the daemon and the fake relative to the tests' build directory. */
  g_setenv ("G_TEST_BUILDDIR", HB_BENCH_BUILD_ROOT "/tests", TRUE);
  g_setenv ("G_TEST_SRCDIR", HB_BENCH_SOURCE_ROOT "/tests", TRUE);
  g_setenv ("TZ", "UTC", TRUE);
  g_setenv ("OLLAMA_HOST", "127.0.0.1:9", TRUE);
  g_setenv ("CRT_OLLAMA_MODEL", "", TRUE);
  g_unsetenv ("CRT_HEARTBEAT_ENABLED");
  /* Debug logging in the daemon would be measured too. */
  g_unsetenv ("G_MESSAGES_DEBUG");
  g_test_init (argc, argv, NULL);
  setvbuf (stdout, NULL, _IOLBF, 0);
}

char *
hb_bench_thread_id (const char *prefix, guint i)
{
  return g_strdup_printf ("%s-%06u", prefix, i);
}

static void
exec_or_die (sqlite3 *db, const char *sql)
{
  char *msg = NULL;

  if (sqlite3_exec (db, sql, NULL, NULL, &msg) != SQLITE_OK)
    g_error ("%s: %s", sql, msg);
}

void
hb_bench_populate (const char *db_path, const HbBenchThreads *spec)
{
  sqlite3 *db = NULL;
  sqlite3_stmt *stmt = NULL;
  double now = g_get_real_time () / 1e6;

  if (sqlite3_open (db_path, &db) != SQLITE_OK)
    g_error ("%s: %s", db_path, sqlite3_errmsg (db));
  /* CRT's table with the columns CRT added later; the daemon adds its own on open. */
  exec_or_die (db, "CREATE TABLE IF NOT EXISTS thread_sessions ("
                   " thread_id TEXT PRIMARY KEY, first_created REAL NOT NULL,"
                   " last_active REAL NOT NULL, message_count INTEGER DEFAULT 0,"
                   " greeting_shown INTEGER DEFAULT 0, onboarding_completed INTEGER DEFAULT 0,"
                   " onboarding_step INTEGER DEFAULT 0, user_name TEXT, style_profile_json TEXT,"
                   " heartbeat_config_json TEXT, heartbeat_last_run REAL,"
                   " heartbeat_last_summary TEXT, heartbeat_last_actions_json TEXT)");
  exec_or_die (db, "BEGIN");
  if (sqlite3_prepare_v2 (db, "INSERT INTO thread_sessions (thread_id, first_created, last_active,"
                              " heartbeat_config_json, heartbeat_last_run) VALUES (?1, ?2, ?2, ?3, ?4)",
                          -1, &stmt, NULL) != SQLITE_OK)
    g_error ("prepare: %s", sqlite3_errmsg (db));
  for (guint i = 0; i < spec->count; i++)
    {
      g_autofree char *id = hb_bench_thread_id (spec->prefix, i);

      sqlite3_bind_text (stmt, 1, id, -1, SQLITE_TRANSIENT);
      sqlite3_bind_double (stmt, 2, now - i);
      if (spec->config_json != NULL)
        sqlite3_bind_text (stmt, 3, spec->config_json, -1, SQLITE_STATIC);
      else
        sqlite3_bind_null (stmt, 3);
      if (spec->last_run > 0)
        sqlite3_bind_double (stmt, 4, spec->last_run + i * spec->last_run_step);
      else
        sqlite3_bind_null (stmt, 4);
      if (sqlite3_step (stmt) != SQLITE_DONE)
        g_error ("insert: %s", sqlite3_errmsg (db));
      sqlite3_reset (stmt);
    }
  sqlite3_finalize (stmt);
  exec_or_die (db, "COMMIT");
  sqlite3_close (db);
}

char *
hb_bench_write_config (HbTestEnv *env, const char *ini)
{
  g_autoptr(GError) error = NULL;
  char *path = g_build_filename (hb_test_env_get_tmpdir (env), "heartbeat.conf", NULL);

  g_file_set_contents (path, ini, -1, &error);
  g_assert_no_error (error);
  return path;
}

/* A wrapper that drops --verbose and execs the daemon (the same pid, so the harness still
 * recognises it as the owner of the name), in the environment the systemd unit gives it. HB_BENCH_WRAP, when set, is put before the daemon's
 * command line, e.g. "valgrind --tool=callgrind" to profile a benchmark. */
static char *
quiet_wrapper (HbTestEnv *env)
{
  g_autoptr(GError) error = NULL;
  char *path = g_build_filename (hb_test_env_get_tmpdir (env), "quiet-daemon", NULL);
  const char *wrap = g_getenv ("HB_BENCH_WRAP");
  g_autofree char *script = g_strdup_printf (
    "#!/bin/sh\n"
    "for a do\n"
    "  shift\n"
    "  [ \"$a\" = --verbose ] || set -- \"$@\" \"$a\"\n"
    "done\n"
    "export G_SLICE=always-malloc\n"   /* as the systemd unit runs it */
    "exec %s '%s/src/crt-heartbeatd' \"$@\"\n", wrap != NULL ? wrap : "", HB_BENCH_BUILD_ROOT);

  g_file_set_contents (path, script, -1, &error);
  g_assert_no_error (error);
  g_chmod (path, 0755);
  return path;
}

static HbTestDaemon *
spawn_daemon (HbTestEnv *env, const char *config_path, gboolean wait)
{
  g_autoptr(GError) error = NULL;
  g_autofree char *program = quiet_wrapper (env);
  const char *args[] = { "--config", config_path, NULL };
  HbTestDaemonOptions opts = { .args = args, .program = program };
  HbTestDaemon *d;

  d = wait ? hb_test_daemon_start (env, &opts, &error) : hb_test_daemon_spawn (env, &opts, &error);
  g_assert_no_error (error);
  return d;
}

HbTestDaemon *
hb_bench_start_daemon (HbTestEnv *env, const char *config_path)
{
  return spawn_daemon (env, config_path, TRUE);
}

HbTestDaemon *
hb_bench_spawn_daemon (HbTestEnv *env, const char *config_path)
{
  return spawn_daemon (env, config_path, FALSE);
}

static char *
read_proc (const char *path)
{
  char *text = NULL;

  if (!g_file_get_contents (path, &text, NULL, NULL))
    return NULL;
  return text;
}

gint64
hb_bench_cpu_us (GPid pid)
{
  g_autofree char *path = g_strdup_printf ("/proc/%d/stat", (int) pid);
  g_autofree char *text = read_proc (path);
  unsigned long long utime = 0, stime = 0;
  const char *p;

  /* The command name may hold spaces: the fields start after its closing parenthesis. */
  if (text == NULL || (p = strrchr (text, ')')) == NULL)
    return -1;
  if (sscanf (p + 2, "%*c %*d %*d %*d %*d %*d %*u %*u %*u %*u %*u %llu %llu", &utime,
              &stime) != 2)
    return -1;
  return (gint64) ((utime + stime) * G_USEC_PER_SEC / sysconf (_SC_CLK_TCK));
}

/* Sum @fn over /proc/PID/task/STAR. */
static gint64
sum_tasks (GPid pid, gint64 (*fn) (const char *task_dir))
{
  g_autofree char *dir_path = g_strdup_printf ("/proc/%d/task", (int) pid);
  g_autoptr(GDir) dir = g_dir_open (dir_path, 0, NULL);
  const char *name;
  gint64 sum = 0;

  if (dir == NULL)
    return -1;
  while ((name = g_dir_read_name (dir)) != NULL)
    {
      g_autofree char *task_dir = g_build_filename (dir_path, name, NULL);
      gint64 v = fn (task_dir);

      if (v > 0)
        sum += v;
    }
  return sum;
}

static gint64
task_sched_ns (const char *task_dir)
{
  g_autofree char *path = g_build_filename (task_dir, "schedstat", NULL);
  g_autofree char *text = read_proc (path);

  return text != NULL ? g_ascii_strtoll (text, NULL, 10) : 0;
}

static gint64
status_field (const char *text, const char *field)
{
  const char *p = text != NULL ? strstr (text, field) : NULL;

  return p != NULL ? g_ascii_strtoll (p + strlen (field), NULL, 10) : 0;
}

static gint64
task_switches (const char *task_dir)
{
  g_autofree char *path = g_build_filename (task_dir, "status", NULL);
  g_autofree char *text = read_proc (path);

  return status_field (text, "\nvoluntary_ctxt_switches:") +
         status_field (text, "\nnonvoluntary_ctxt_switches:");
}

gint64
hb_bench_sched_ns (GPid pid)
{
  return sum_tasks (pid, task_sched_ns);
}

GHashTable *
hb_bench_sched_ns_by_thread (GPid pid)
{
  g_autofree char *dir_path = g_strdup_printf ("/proc/%d/task", (int) pid);
  g_autoptr(GDir) dir = g_dir_open (dir_path, 0, NULL);
  GHashTable *by_name = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, g_free);
  const char *name;

  while (dir != NULL && (name = g_dir_read_name (dir)) != NULL)
    {
      g_autofree char *task_dir = g_build_filename (dir_path, name, NULL);
      g_autofree char *comm_path = g_build_filename (task_dir, "comm", NULL);
      g_autofree char *comm = read_proc (comm_path);
      gint64 *sum;

      if (comm == NULL)
        continue;
      g_strstrip (comm);
      sum = g_hash_table_lookup (by_name, comm);
      if (sum == NULL)
        {
          sum = g_new0 (gint64, 1);
          g_hash_table_insert (by_name, g_strdup (comm), sum);
        }
      *sum += task_sched_ns (task_dir);
    }
  return by_name;
}

gint64
hb_bench_context_switches (GPid pid)
{
  return sum_tasks (pid, task_switches);
}

gint64
hb_bench_rss_kib (GPid pid)
{
  g_autofree char *path = g_strdup_printf ("/proc/%d/status", (int) pid);
  g_autofree char *text = read_proc (path);

  return status_field (text, "\nVmRSS:");
}

static int
cmp_double (gconstpointer a, gconstpointer b)
{
  double x = *(const double *) a, y = *(const double *) b;

  return x < y ? -1 : x > y;
}

double
hb_bench_percentile (GArray *values, double p)
{
  guint rank;

  if (values->len == 0)
    return -1;
  g_array_sort (values, cmp_double);
  rank = (guint) (p / 100.0 * values->len + 0.999999);
  rank = CLAMP (rank, 1, values->len);
  return g_array_index (values, double, rank - 1);
}

void
hb_bench_report (const char *id, const char *name, double value)
{
  printf ("%s %s %.1f\n", id, name, value);
}

struct _HbBenchRunNow {
  GDBusConnection *conn;
  char *prefix;
  guint count;
  guint next;
  guint pending;
  guint replied;
  guint failed;
};

static void issue_run_now (HbBenchRunNow *r);

static void
on_run_now (GObject *source, GAsyncResult *res, gpointer user_data)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(GVariant) reply = g_dbus_connection_call_finish (G_DBUS_CONNECTION (source), res,
                                                             &error);
  HbBenchRunNow *r = user_data;

  if (reply == NULL)
    {
      g_printerr ("RunNow: %s\n", error->message);
      r->failed++;
    }
  r->pending--;
  r->replied++;
  issue_run_now (r);
}

/* The bus allows a connection 128 pending replies: keep well below. */
#define RUN_NOW_WINDOW 64

static void
issue_run_now (HbBenchRunNow *r)
{
  while (r->next < r->count && r->pending < RUN_NOW_WINDOW)
    {
      g_autofree char *id = hb_bench_thread_id (r->prefix, r->next++);

      r->pending++;
      g_dbus_connection_call (r->conn, HB_TEST_BUS_NAME, HB_TEST_MANAGER_PATH,
                              HB_TEST_MANAGER_IFACE, "RunNow", g_variant_new ("(s)", id),
                              G_VARIANT_TYPE ("(s)"), G_DBUS_CALL_FLAGS_NONE, 60000, NULL,
                              on_run_now, r);
    }
}

HbBenchRunNow *
hb_bench_run_now_all (GDBusConnection *conn, const char *prefix, guint count)
{
  HbBenchRunNow *r = g_new0 (HbBenchRunNow, 1);

  r->conn = g_object_ref (conn);
  r->prefix = g_strdup (prefix);
  r->count = count;
  issue_run_now (r);
  return r;
}

guint
hb_bench_run_now_failed (HbBenchRunNow *r)
{
  return r->failed;
}

void
hb_bench_run_now_free (HbBenchRunNow *r)
{
  /* Replies still owed hold a pointer to it. */
  hb_bench_wait_count (&r->replied, r->count, 60000);
  g_object_unref (r->conn);
  g_free (r->prefix);
  g_free (r);
}

typedef struct {
  guint *counter;
  guint target;
} CountWait;

static gboolean
count_reached (gpointer user_data)
{
  CountWait *w = user_data;

  return *w->counter >= w->target;
}

gboolean
hb_bench_wait_count (guint *counter, guint target, guint timeout_ms)
{
  CountWait w = { counter, target };

  return hb_test_wait_until (count_reached, &w, timeout_ms);
}
