/* test-faults-common.h: what the fault tests share: reading the daemon's database with a
 * connection of their own, a record of finished runs, and RunNow. */
#pragma once

#include <sqlite3.h>

#include "hb-test-daemon.h"

G_BEGIN_DECLS

/* A single number from @sql on the database (read-only connection); aborts on errors. */
gint64 faults_db_int (const char *db_path, const char *sql);
/* Every row of every table, in a stable order, as text: equal dumps mean an unchanged database. */
char *faults_db_dump (const char *db_path);

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

G_END_DECLS
