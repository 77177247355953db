/* test-dbus-run.c: runs through the bus against the real daemon: RunNow and HeartbeatCompleted,
 * the Ledger row and the thread's properties, single flight, history, unknown threads, and an
 * interrupted run at SIGTERM.
 */
#include "config.h"

#include <string.h>

#include "test-dbus-util.h"

#define POST_DECISION "{\"action\":\"post\",\"title\":\"T\",\"content\":\"C\",\"reasoning\":\"r\"}"

/* The value of @key in @dict, of @type (asserted present, transfer full). */
static GVariant *
key_value (GVariant *dict, const char *key, const char *type)
{
  GVariant *v = g_variant_lookup_value (dict, key, G_VARIANT_TYPE (type));

  if (v == NULL)
    g_error ("No %s of type %s in %s", key, type, g_variant_print (dict, TRUE));
  return v;
}

static void
assert_str_key (GVariant *dict, const char *key, const char *expected)
{
  g_autoptr(GVariant) v = key_value (dict, key, "s");

  g_assert_cmpstr (g_variant_get_string (v, NULL), ==, expected);
}

static gint64
int_key (GVariant *dict, const char *key)
{
  g_autoptr(GVariant) v = key_value (dict, key, "x");

  return g_variant_get_int64 (v);
}

static guint64
time_key (GVariant *dict, const char *key)
{
  g_autoptr(GVariant) v = key_value (dict, key, "t");

  return g_variant_get_uint64 (v);
}

static gboolean
bool_key (GVariant *dict, const char *key)
{
  g_autoptr(GVariant) v = key_value (dict, key, "b");

  return g_variant_get_boolean (v);
}

/* A post decision, run on demand: the signal carries it, the Ledger holds it, the thread's
 * properties tell it. */
static void
test_run_now_acted (void)
{
  g_autoptr(HbTestEnv) env = hb_dbus_test_start (NULL, NULL);
  g_autofree char *path = hb_dbus_test_add_thread (env, "acted");
  g_autoptr(HbTestSignalRecorder) done = NULL;
  g_autoptr(HbTestSignalRecorder) started = NULL;
  g_autoptr(GVariant) reply = NULL;
  g_autoptr(GVariant) result = NULL;
  g_autoptr(GVariant) start = NULL;
  g_autoptr(GVariant) props = NULL;
  g_autoptr(GVariant) actions = NULL;
  g_autoptr(GVariant) first = NULL;
  g_autoptr(GError) error = NULL;
  g_autofree char *run_id = NULL;
  g_autofree char *post_id = NULL;
  g_autofree char *author = NULL;
  g_autofree char *status = NULL;
  const char *s = NULL;

  /* Target "last": the signal must say that applets should show it. */
  reply = hb_dbus_test_call (env, path, HB_TEST_THREAD_IFACE, "SetConfig",
                             g_variant_new_parsed ("({'target': <'last'>},)"), "()", &error);
  g_assert_no_error (error);
  g_assert_true (hb_test_fake_push_content (env, POST_DECISION, &error));
  g_assert_no_error (error);

  done = hb_dbus_test_completed_recorder (env);
  started = hb_test_signal_recorder_new (hb_test_env_get_connection (env), NULL,
                                         HB_TEST_MANAGER_PATH, HB_TEST_MANAGER_IFACE,
                                         "RunStarted", "acted");
  run_id = hb_dbus_test_run_now (env, "acted");

  start = hb_test_signal_recorder_wait (started, HB_TEST_TIMEOUT_MS, &error);
  g_assert_no_error (error);
  g_variant_get (start, "(&s&s)", NULL, &s);
  g_assert_cmpstr (s, ==, run_id);

  result = hb_dbus_test_wait_completed (done, run_id);
  assert_str_key (result, "status", "acted");
  assert_str_key (result, "action", "post");
  assert_str_key (result, "title", "T");
  assert_str_key (result, "reasoning", "r");
  assert_str_key (result, "thread_id", "acted");
  assert_str_key (result, "error", "");
  g_assert_false (bool_key (result, "dry_run"));
  g_assert_true (bool_key (result, "notify"));
  g_assert_cmpint (int_key (result, "ledger_id"), >, 0);
  g_assert_cmpuint (time_key (result, "finished_at"), >=, time_key (result, "started_at"));
  g_assert_cmpuint (time_key (result, "started_at"), >, 0);
  g_assert_true (g_variant_lookup (result, "model", "&s", &s) && s[0] != '\0');

  /* The Ledger row belongs to this run. */
  post_id = hb_dbus_test_db_text (env, "SELECT id FROM molt_posts WHERE heartbeat_run_id = ?",
                                  run_id, NULL);
  g_assert_nonnull (post_id);
  g_assert_cmpint (g_ascii_strtoll (post_id, NULL, 10), ==, int_key (result, "ledger_id"));
  author = hb_dbus_test_db_text (env, "SELECT author FROM molt_posts WHERE id = ?", post_id, NULL);
  g_assert_cmpstr (author, ==, "heartbeat");
  status = hb_dbus_test_db_text (env, "SELECT status FROM heartbeat_runs WHERE run_id = ?",
                                 run_id, NULL);
  g_assert_cmpstr (status, ==, "acted");

  /* The last run has ended: the Manager's run counters say so as soon as the signal is out
   * (they are only rate-limited while runs are going on). */
  {
    static const char *const counters[] = { "Running", "ActiveRuns", "QueuedRuns" };

    for (guint i = 0; i < G_N_ELEMENTS (counters); i++)
      {
        g_autoptr(GVariant) v = hb_test_get_property (hb_test_env_get_connection (env),
                                                      HB_TEST_BUS_NAME, HB_TEST_MANAGER_PATH,
                                                      HB_TEST_MANAGER_IFACE, counters[i], &error);

        g_assert_no_error (error);
        if (g_variant_is_of_type (v, G_VARIANT_TYPE_BOOLEAN))
          g_assert_false (g_variant_get_boolean (v));
        else
          g_assert_cmpuint (g_variant_get_uint32 (v), ==, 0);
      }
  }

  props = hb_dbus_test_get_all (env, path);
  assert_str_key (props, "LastRunId", run_id);
  assert_str_key (props, "LastStatus", "acted");
  g_assert_true (g_variant_lookup (props, "LastSummary", "&s", &s) && s[0] != '\0');
  g_assert_cmpuint (time_key (props, "LastRun"), >, 0);
  g_assert_false (bool_key (props, "Running"));
  actions = g_variant_lookup_value (props, "LastActions", G_VARIANT_TYPE ("aa{sv}"));
  g_assert_nonnull (actions);
  g_assert_cmpuint (g_variant_n_children (actions), ==, 1);
  first = g_variant_get_child_value (actions, 0);
  assert_str_key (first, "action", "post");
  assert_str_key (first, "title", "T");
}

typedef struct
{
  guint pending;
  GPtrArray *run_ids;
} Calls;

static void
run_now_cb (GObject *source, GAsyncResult *res, gpointer user_data)
{
  Calls *calls = user_data;
  g_autoptr(GError) error = NULL;
  g_autoptr(GVariant) reply = g_dbus_connection_call_finish (G_DBUS_CONNECTION (source), res,
                                                             &error);
  char *run_id = NULL;

  g_assert_no_error (error);
  g_variant_get (reply, "(s)", &run_id);
  g_ptr_array_add (calls->run_ids, run_id);
  calls->pending--;
}

static gboolean
calls_done (gpointer user_data)
{
  return ((Calls *) user_data)->pending == 0;
}

/* Many RunNow at once, through both interfaces and several connections: one run. */
static void
test_run_now_single_flight (void)
{
  g_autoptr(HbTestEnv) env = hb_dbus_test_start (NULL, NULL);
  g_autofree char *path = hb_dbus_test_add_thread (env, "single flight");
  g_autoptr(GPtrArray) conns = g_ptr_array_new_with_free_func (g_object_unref);
  g_autoptr(GPtrArray) run_ids = g_ptr_array_new_with_free_func (g_free);
  g_autoptr(HbTestSignalRecorder) done = hb_dbus_test_completed_recorder (env);
  g_autoptr(GVariant) result = NULL;
  g_autoptr(GVariant) runs = NULL;
  g_autoptr(GVariant) reply = NULL;
  g_autoptr(GError) error = NULL;
  g_autofree char *again = NULL;
  g_autofree char *count = NULL;
  g_autofree char *later = NULL;
  HbFakeStep slow = { .kind = HB_FAKE_CONTENT, .text = (char *) POST_DECISION, .delay_ms = 1500 };
  HbTestFakeStats stats = { 0 };
  Calls calls = { 0, run_ids };

  g_assert_true (hb_test_fake_push (env, &slow, &error));
  g_assert_no_error (error);
  for (guint i = 0; i < 6; i++)
    {
      GDBusConnection *c = hb_test_env_open_connection (env, &error);
      gboolean manager = i % 2 == 0;

      g_assert_no_error (error);
      g_ptr_array_add (conns, c);
      calls.pending++;
      g_dbus_connection_call (c, HB_TEST_BUS_NAME, manager ? HB_TEST_MANAGER_PATH : path,
                              manager ? HB_TEST_MANAGER_IFACE : HB_TEST_THREAD_IFACE, "RunNow",
                              manager ? g_variant_new ("(s)", "single flight") : NULL,
                              G_VARIANT_TYPE ("(s)"), G_DBUS_CALL_FLAGS_NONE, HB_TEST_TIMEOUT_MS,
                              NULL, run_now_cb, &calls);
    }
  g_assert_true (hb_test_wait_until (calls_done, &calls, HB_TEST_TIMEOUT_MS));
  for (guint i = 1; i < run_ids->len; i++)
    g_assert_cmpstr (run_ids->pdata[i], ==, run_ids->pdata[0]);

  /* Still in flight (the model takes 1.5 s): the same id again. */
  again = hb_dbus_test_run_now (env, "single flight");
  g_assert_cmpstr (again, ==, run_ids->pdata[0]);

  result = hb_dbus_test_wait_completed (done, run_ids->pdata[0]);
  assert_str_key (result, "status", "acted");
  /* A call after the signal: everything the daemon sent before has reached us. */
  runs = hb_dbus_test_call (env, path, HB_TEST_THREAD_IFACE, "GetHistory",
                            g_variant_new ("(u)", 0), "(aa{sv})", &error);
  g_assert_no_error (error);
  hb_dbus_test_drain ();
  g_assert_cmpuint (hb_test_signal_recorder_get_count (done), ==, 1);
  reply = g_variant_get_child_value (runs, 0);
  g_assert_cmpuint (g_variant_n_children (reply), ==, 1);
  count = hb_dbus_test_db_text (env, "SELECT count(*) FROM heartbeat_runs WHERE thread_id = ?",
                                "single flight", NULL);
  g_assert_cmpstr (count, ==, "1");
  g_assert_true (hb_test_fake_get_stats (env, &stats, &error));
  g_assert_no_error (error);
  g_assert_cmpuint (stats.requests, ==, 1);
  hb_test_fake_stats_clear (&stats);

  /* Once it is over, RunNow starts a new run. */
  later = hb_dbus_test_run_now (env, "single flight");
  g_assert_cmpstr (later, !=, run_ids->pdata[0]);
  g_clear_pointer (&result, g_variant_unref);
  result = hb_dbus_test_wait_completed (done, later);
}

/* GetHistory: newest first, the limit honoured, 0 meaning the default, over 1000 refused. */
static void
test_history (void)
{
  g_autoptr(HbTestEnv) env = hb_dbus_test_start (NULL, NULL);
  g_autofree char *path = hb_dbus_test_add_thread (env, "history");
  g_autoptr(HbTestSignalRecorder) done = hb_dbus_test_completed_recorder (env);
  g_autoptr(GPtrArray) ids = g_ptr_array_new_with_free_func (g_free);
  g_autoptr(GVariant) all = NULL;
  g_autoptr(GVariant) runs = NULL;
  g_autoptr(GVariant) newest = NULL;
  g_autoptr(GVariant) one = NULL;
  g_autoptr(GVariant) refused = NULL;
  g_autoptr(GVariant) max = NULL;
  g_autoptr(GError) error = NULL;

  for (guint i = 0; i < 3; i++)
    {
      g_autoptr(GVariant) result = NULL;
      char *id = hb_dbus_test_run_now (env, "history");

      g_ptr_array_add (ids, id);
      result = hb_dbus_test_wait_completed (done, id);
    }

  all = hb_dbus_test_call (env, path, HB_TEST_THREAD_IFACE, "GetHistory",
                           g_variant_new ("(u)", 0), "(aa{sv})", &error);
  g_assert_no_error (error);
  runs = g_variant_get_child_value (all, 0);
  g_assert_cmpuint (g_variant_n_children (runs), ==, 3);
  for (guint i = 0; i < 3; i++)
    {
      g_autoptr(GVariant) run = g_variant_get_child_value (runs, i);

      assert_str_key (run, "run_id", ids->pdata[2 - i]);
      assert_str_key (run, "thread_id", "history");
    }

  one = hb_dbus_test_call (env, path, HB_TEST_THREAD_IFACE, "GetHistory",
                           g_variant_new ("(u)", 1), "(aa{sv})", &error);
  g_assert_no_error (error);
  g_clear_pointer (&runs, g_variant_unref);
  runs = g_variant_get_child_value (one, 0);
  g_assert_cmpuint (g_variant_n_children (runs), ==, 1);
  newest = g_variant_get_child_value (runs, 0);
  assert_str_key (newest, "run_id", ids->pdata[2]);

  max = hb_dbus_test_call (env, path, HB_TEST_THREAD_IFACE, "GetHistory",
                           g_variant_new ("(u)", 1000), "(aa{sv})", &error);
  g_assert_no_error (error);
  refused = hb_dbus_test_call (env, path, HB_TEST_THREAD_IFACE, "GetHistory",
                               g_variant_new ("(u)", 1001), "(aa{sv})", &error);
  g_assert_null (refused);
  hb_dbus_test_assert_error (error, HB_DBUS_INVALID_ARGS, "limit", NULL);
}

/* Missing and empty thread ids get named errors. */
static void
test_unknown_thread (void)
{
  g_autoptr(HbTestEnv) env = hb_dbus_test_start (NULL, NULL);
  const struct
  {
    const char *method;
    const char *id;
    const char *error;
  } cases[] = {
    { "RunNow", "no such thread", HB_DBUS_UNKNOWN_THREAD },
    { "GetThread", "no such thread", HB_DBUS_UNKNOWN_THREAD },
    { "RunNow", "", HB_DBUS_INVALID_ARGS },
    { "AddThread", "", HB_DBUS_INVALID_ARGS },
  };

  for (guint i = 0; i < G_N_ELEMENTS (cases); i++)
    {
      g_autoptr(GError) error = NULL;
      g_autoptr(GVariant) reply = hb_dbus_test_call (env, HB_TEST_MANAGER_PATH,
                                                     HB_TEST_MANAGER_IFACE, cases[i].method,
                                                     g_variant_new ("(s)", cases[i].id), NULL,
                                                     &error);

      g_test_message ("%s (\"%s\")", cases[i].method, cases[i].id);
      g_assert_null (reply);
      hb_dbus_test_assert_error (error, cases[i].error, NULL);
    }
}

static gboolean
wake (gpointer user_data)
{
  return G_SOURCE_CONTINUE;
}

static gboolean
model_call_in_flight (gpointer user_data)
{
  HbTestFakeStats stats = { 0 };
  g_autoptr(GError) error = NULL;
  gboolean yes;

  g_assert_true (hb_test_fake_get_stats (user_data, &stats, &error));
  yes = stats.in_flight == 1;
  hb_test_fake_stats_clear (&stats);
  return yes;
}

/* SIGTERM while the model never answers: exit 0 within 5 s, the run recorded as interrupted. */
static void
test_sigterm_interrupts (void)
{
  HbTestDaemon *daemon = NULL;
  g_autoptr(HbTestEnv) env = hb_dbus_test_start (NULL, &daemon);
  g_autofree char *path = hb_dbus_test_add_thread (env, "slow");
  g_autoptr(HbTestSignalRecorder) started = NULL;
  g_autoptr(GVariant) params = NULL;
  g_autoptr(GError) error = NULL;
  g_autofree char *run_id = NULL;
  g_autofree char *status = NULL;
  g_autofree char *reason = NULL;
  HbFakeStep hang = { .kind = HB_FAKE_NO_HEADERS };
  guint waker;
  int exit_status = -1;

  g_assert_true (hb_test_fake_push (env, &hang, &error));
  g_assert_no_error (error);
  started = hb_test_signal_recorder_new (hb_test_env_get_connection (env), NULL,
                                         HB_TEST_MANAGER_PATH, HB_TEST_MANAGER_IFACE,
                                         "RunStarted", "slow");
  run_id = hb_dbus_test_run_now (env, "slow");
  params = hb_test_signal_recorder_wait (started, HB_TEST_TIMEOUT_MS, &error);
  g_assert_no_error (error);

  /* The fake has no signal for "request arrived": ask it now and then until it says so. */
  waker = g_timeout_add (20, wake, NULL);
  g_assert_true (hb_test_wait_until (model_call_in_flight, env, HB_TEST_TIMEOUT_MS));
  g_source_remove (waker);

  g_assert_true (hb_test_daemon_term (daemon, 5000, &exit_status, &error));
  g_assert_no_error (error);
  g_assert_cmpint (exit_status, ==, 0);

  status = hb_dbus_test_db_text (env, "SELECT status FROM heartbeat_runs WHERE run_id = ?",
                                 run_id, NULL);
  g_assert_cmpstr (status, ==, "interrupted");
  reason = hb_dbus_test_db_text (env, "SELECT reason FROM heartbeat_runs WHERE run_id = ?",
                                 run_id, NULL);
  g_assert_cmpstr (reason, ==, "interrupted");
}

/* Where in @log the PropertiesChanged of @path that carries LastRunId @run_id is (-1: none);
 * its changed properties in *@changed_out. */
static int
find_run_changes (HbDbusSignalLog *log, const char *path, const char *run_id,
                  GVariant **changed_out)
{
  for (int i = 0;; i++)
    {
      g_autoptr(GVariant) params = NULL;
      g_autoptr(GVariant) changed = NULL;
      const char *id = NULL;

      i = hb_dbus_signal_log_find (log, i, path, "PropertiesChanged", &params);
      if (i < 0)
        return -1;
      changed = g_variant_get_child_value (params, 1);
      if (g_variant_lookup (changed, "LastRunId", "&s", &id) && g_str_equal (id, run_id))
        {
          if (changed_out != NULL)
            *changed_out = g_steal_pointer (&changed);
          return i;
        }
    }
}

/* The thread's PropertiesChanged for a run comes no later than its HeartbeatCompleted, so that a
 * client may act on the signal with its cached properties. */
static void
test_properties_before_signal (void)
{
  g_autoptr(HbTestEnv) env = hb_dbus_test_start (NULL, NULL);
  g_autofree char *path = hb_dbus_test_add_thread (env, "ordering");
  g_autoptr(HbDbusSignalLog) log = hb_dbus_signal_log_new (hb_test_env_get_connection (env));
  g_autoptr(HbTestSignalRecorder) done = hb_dbus_test_completed_recorder (env);
  g_autofree char *run_id = hb_dbus_test_run_now (env, "ordering");
  g_autoptr(GVariant) result = hb_dbus_test_wait_completed (done, run_id);
  g_autoptr(GVariant) props = NULL;
  int completed_at, changed_at = -1;

  /* A round trip first: whatever the daemon sent before its reply is then in the log. */
  props = hb_dbus_test_get_all (env, path);
  hb_dbus_test_drain ();
  completed_at = hb_dbus_signal_log_find (log, 0, HB_TEST_MANAGER_PATH, "HeartbeatCompleted", NULL);
  g_assert_cmpint (completed_at, >=, 0);
  changed_at = find_run_changes (log, path, run_id, NULL);
  g_assert_cmpint (changed_at, >=, 0);
  g_assert_cmpint (changed_at, <, completed_at);
}

/* A run's PropertiesChanged names what the run changed, not every property of the last run: a
 * second run with the same outcome changes only LastRun and LastRunId of those. */
static void
test_properties_changed_only (void)
{
  g_autoptr(HbTestEnv) env = hb_dbus_test_start (NULL, NULL);
  g_autofree char *path = hb_dbus_test_add_thread (env, "twice");
  g_autoptr(HbDbusSignalLog) log = hb_dbus_signal_log_new (hb_test_env_get_connection (env));
  g_autoptr(HbTestSignalRecorder) done = hb_dbus_test_completed_recorder (env);
  g_autoptr(GVariant) first = NULL;
  g_autoptr(GVariant) second = NULL;
  g_autoptr(GVariant) props = NULL;
  g_autoptr(GError) error = NULL;
  static const char *const outcome[] = { "LastStatus", "LastReason", "LastSummary", "LastActions" };
  const char *none = "{\"action\":\"none\",\"reasoning\":\"quiet\"}";
  g_autofree char *run1 = NULL;
  g_autofree char *run2 = NULL;

  for (guint i = 0; i < 2; i++)
    {
      g_autoptr(GVariant) result = NULL;
      char **run = i == 0 ? &run1 : &run2;

      g_assert_true (hb_test_fake_push_content (env, none, &error));
      g_assert_no_error (error);
      *run = hb_dbus_test_run_now (env, "twice");
      result = hb_dbus_test_wait_completed (done, *run);
      assert_str_key (result, "status", "no-action");
    }
  props = hb_dbus_test_get_all (env, path);
  hb_dbus_test_drain ();

  g_assert_cmpint (find_run_changes (log, path, run1, &first), >=, 0);
  g_assert_cmpint (find_run_changes (log, path, run2, &second), >=, 0);
  g_assert_true (g_variant_lookup (second, "LastRun", "t", NULL));
  /* The first run changed the outcome (from none at all), the second did not. */
  {
    g_autoptr(GVariant) status = g_variant_lookup_value (first, "LastStatus", NULL);

    g_assert_nonnull (status);
  }
  for (guint i = 0; i < G_N_ELEMENTS (outcome); i++)
    {
      g_autoptr(GVariant) v = g_variant_lookup_value (second, outcome[i], NULL);

      if (v != NULL)
        g_error ("the second run's PropertiesChanged names %s, which it did not change", outcome[i]);
    }
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);

  g_test_add_func ("/dbus/run/run-now-acted", test_run_now_acted);
  g_test_add_func ("/dbus/run/single-flight", test_run_now_single_flight);
  g_test_add_func ("/dbus/run/history", test_history);
  g_test_add_func ("/dbus/run/unknown-thread", test_unknown_thread);
  g_test_add_func ("/dbus/run/sigterm-interrupts", test_sigterm_interrupts);
  g_test_add_func ("/dbus/run/properties-before-signal", test_properties_before_signal);
  g_test_add_func ("/dbus/run/properties-changed-only", test_properties_changed_only);

  return g_test_run ();
}
