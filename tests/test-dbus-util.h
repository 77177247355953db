/* test-dbus-util.h: what the D-Bus integration tests share on top of hb-test-daemon.h: starting
 * the real daemon with a thread, synchronous calls with deadlines, D-Bus error checks, an ordered
 * log of every signal, and read-only looks into the daemon's SQLite file.
 */
#pragma once

#include <sqlite3.h>

#include "hb-test-daemon.h"

G_BEGIN_DECLS

#define HB_DBUS_INVALID_ARGS "org.freedesktop.DBus.Error.InvalidArgs"
#define HB_DBUS_UNKNOWN_THREAD "org.crt.Heartbeat1.Error.UnknownThread"

/* A fresh environment with the real daemon owning the name (asserted). @daemon may be NULL. */
HbTestEnv *hb_dbus_test_start (const HbTestDaemonOptions *options, HbTestDaemon **daemon);

/* Call a method of org.crt.Heartbeat with the default deadline (transfer full; NULL + @error). */
GVariant *hb_dbus_test_call (HbTestEnv *env, const char *path, const char *iface,
                             const char *method, GVariant *params, const char *reply_type,
                             GError **error);

/* AddThread(@id), asserting success; the object path (transfer full). */
char *hb_dbus_test_add_thread (HbTestEnv *env, const char *id);

/* Manager.RunNow(@id), asserting success; the run id (transfer full). */
char *hb_dbus_test_run_now (HbTestEnv *env, const char *id);

/* Properties.GetAll of the Thread interface at @path (a{sv}, transfer full, asserted). */
GVariant *hb_dbus_test_get_all (HbTestEnv *env, const char *path);

/* Properties.Set of one Thread property (@value sunk if floating). */
gboolean hb_dbus_test_set_property (HbTestEnv *env, const char *path, const char *property,
                                    GVariant *value, GError **error);

/* Assert that @error is the remote D-Bus error @name and that its message contains one of the
 * NULL-terminated words that follow (when any are given). */
void hb_dbus_test_assert_error (const GError *error, const char *name, ...) G_GNUC_NULL_TERMINATED;

/* A recorder of Manager.HeartbeatCompleted (from now on). */
HbTestSignalRecorder *hb_dbus_test_completed_recorder (HbTestEnv *env);

/* Wait for the HeartbeatCompleted whose result has run_id @run_id (others are skipped); the
 * result a{sv} (transfer full). @rec must record Manager.HeartbeatCompleted. */
GVariant *hb_dbus_test_wait_completed (HbTestSignalRecorder *rec, const char *run_id);

/* Wait on a PropertiesChanged recorder until one names @property with @expected (sunk). */
gboolean hb_dbus_test_wait_changed (HbTestSignalRecorder *rec, const char *property,
                                    GVariant *expected, GError **error);

/* Dispatch what is already pending in the default main context (signals received so far). */
void hb_dbus_test_drain (void);

/* ---- an ordered log of every signal seen on the test's connection ---- */

typedef struct _HbDbusSignalLog HbDbusSignalLog;

HbDbusSignalLog *hb_dbus_signal_log_new (GDBusConnection *conn);
void hb_dbus_signal_log_free (HbDbusSignalLog *log);
G_DEFINE_AUTOPTR_CLEANUP_FUNC (HbDbusSignalLog, hb_dbus_signal_log_free)

/* The index of the first signal at @path named @member (interface ignored) from index @from on,
 * or -1. @params_out, if not NULL, gets its parameters (transfer full). */
int hb_dbus_signal_log_find (HbDbusSignalLog *log, int from, const char *path, const char *member,
                             GVariant **params_out);

/* ---- the database, read (and for "another process" written) from the test ---- */

/* Open the daemon's database read-only with a busy timeout (asserted). */
sqlite3 *hb_dbus_test_db_open (HbTestEnv *env);

/* The first column of the first row of @sql with the text parameters given (NULL-terminated),
 * as text (transfer full); NULL for no row or a NULL value. */
char *hb_dbus_test_db_text (HbTestEnv *env, const char *sql, ...) G_GNUC_NULL_TERMINATED;

/* Execute @sql with text parameters (NULL-terminated) on a read-write connection, as the chat
 * application would, asserting success. */
void hb_dbus_test_db_exec (HbTestEnv *env, const char *sql, ...) G_GNUC_NULL_TERMINATED;

G_END_DECLS
