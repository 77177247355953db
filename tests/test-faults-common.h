/* test-faults-common.h: what the fault tests share: reading the daemon's database with a
 * connection of their own, a record of finished runs, and RunNow. */
#pragma once

#include <sqlite3.h>

#include "hb-test-daemon.h"

G_BEGIN_DECLS

/* A read-only connection of the test's own (aborts on errors); close with sqlite3_close(). */
sqlite3 *faults_db_open (const char *db_path);
/* A single number from @sql on the database (read-only connection); aborts on errors. */
gint64 faults_db_int (const char *db_path, const char *sql);
/* Wait until @sql gives @want, looking every few milliseconds (another process writes). */
gboolean faults_wait_db_int (const char *db_path, const char *sql, gint64 want, guint timeout_ms);
/* Wait until the scheduler has stored the next due time of every thread that has run: it does so
 * after announcing the run, so a dump taken earlier would see it change. */
gboolean faults_wait_db_settled (const char *db_path);
/* Every row of every table, in a stable order, as text: equal dumps mean an unchanged database. */
char *faults_db_dump (const char *db_path);

/* The first line where two dumps differ, both versions, for a failure message (NULL if equal). */
char *faults_dump_difference (const char *before, const char *after);

/* Write @ini as the daemon's configuration file; returns the argument vector to pass. */
const char *const *faults_config_args (HbTestEnv *env, const char *ini);

/* HeartbeatCompleted results by run id, recorded from when it is created. */
typedef struct {
  GDBusConnection *conn;
  guint sub;
  GHashTable *results;   /* run id -> GVariant a{sv} */
  guint count;
} FaultsRuns;

FaultsRuns *faults_runs_new (GDBusConnection *conn);
void faults_runs_free (FaultsRuns *runs);
G_DEFINE_AUTOPTR_CLEANUP_FUNC (FaultsRuns, faults_runs_free)
/* The result of @run_id, waiting for it (NULL past the deadline; transfer none). */
GVariant *faults_runs_wait (FaultsRuns *runs, const char *run_id, guint timeout_ms);

/* Manager.RunNow; returns the run id (aborts on errors). */
char *faults_run_now (GDBusConnection *conn, const char *thread_id);
/* Manager.AddThread (aborts on errors). */
void faults_add_thread (GDBusConnection *conn, const char *thread_id);

/* A string member of a result, "" when absent. */
const char *faults_result_string (GVariant *result, const char *key);
/* A "t" (microseconds) member of a result, 0 when absent. */
guint64 faults_result_time (GVariant *result, const char *key);

/* Whether the daemon still answers on the bus: org.freedesktop.DBus.Peer.Ping and a Get of the
 * Manager's Version, each within the default deadline. */
gboolean faults_daemon_answers (GDBusConnection *conn, GError **error);

/* Is @text stored as the sanitiser writes it: valid UTF-8, no raw < > " ', and every & the start
 * of one of the entities it writes (&amp; &lt; &gt; &quot; &#39;)? */
gboolean faults_text_is_escaped (const char *text);

G_END_DECLS
