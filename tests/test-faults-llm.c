/* test-faults-llm.c: F3, a hostile model. Every reply of tests/faults/hostile-replies.json is
 * served by the fake Ollama to the real daemon through RunNow, with short deadlines, once with
 * [backend] stream=false and once with stream=true. For every reply the run's status must be the
 * truthful one, the run must end within the deadline, the daemon must keep answering, and at the
 * end every row the heartbeat wrote to the Ledger must be valid.
 *
 * A case: {"name", "step" (a fake step, see hb-fake-ollama.h), "expect": "status[:reason]" or a
 * list of acceptable ones, "expect_stream" (instead of expect when streaming), "title" (the title
 * an acted post must get), "modes" (["plain"] / ["stream"], default both), "group" (default
 * "main"; each group runs against a daemon of its own), "fill" ({"@MARK@": [count, unit]}: the
 * mark in the step's text or chunks becomes unit repeated count times, for the big replies)}.
 */
#include "config.h"

#include <string.h>

#include "test-faults-common.h"

#define TOTAL_TIMEOUT_S 4
/* Context, prompt and recording on top of the model call, on a slow CI machine. */
#define DEADLINE_MARGIN_S 2
#define IN_FLIGHT 8
#define NO_STEP_ERROR "no scripted reply"
#define NO_STEP_BODY "{\"error\":\"" NO_STEP_ERROR "\"}"

typedef struct {
  char *name;
  char *step_json;
  char **expect;        /* "status" or "status:reason" */
  char *title;
  char *group;
  gboolean plain, stream;
} HostileCase;

typedef struct {
  const char *mode;     /* "plain" | "stream" */
  const char *group;
} HostileRun;

static void
hostile_case_free (HostileCase *c)
{
  g_free (c->name);
  g_free (c->step_json);
  g_strfreev (c->expect);
  g_free (c->title);
  g_free (c->group);
  g_free (c);
}

static const char *
member_string (JsonObject *o, const char *name, const char *fallback)
{
  JsonNode *n = json_object_get_member (o, name);

  if (n == NULL || !JSON_NODE_HOLDS_VALUE (n) || json_node_get_value_type (n) != G_TYPE_STRING)
    return fallback;
  return json_node_get_string (n);
}

/* "x" or ["x", "y"] as a string vector. */
static char **
string_list (JsonNode *n)
{
  GStrvBuilder *b = g_strv_builder_new ();
  char **out;

  g_assert_nonnull (n);
  if (JSON_NODE_HOLDS_ARRAY (n))
    {
      JsonArray *a = json_node_get_array (n);

      for (guint i = 0; i < json_array_get_length (a); i++)
        g_strv_builder_add (b, json_array_get_string_element (a, i));
    }
  else
    g_strv_builder_add (b, json_node_get_string (n));
  out = g_strv_builder_end (b);
  g_strv_builder_unref (b);
  return out;
}

static char *
apply_fill (const char *text, JsonObject *fill)
{
  GString *s = g_string_new (text);
  g_autoptr(GList) marks = fill != NULL ? json_object_get_members (fill) : NULL;

  for (GList *l = marks; l != NULL; l = l->next)
    {
      JsonArray *spec = json_object_get_array_member (fill, l->data);
      gint64 count = json_array_get_int_element (spec, 0);
      const char *unit = json_array_get_string_element (spec, 1);
      g_autoptr(GString) big = g_string_sized_new (count * strlen (unit));

      for (gint64 i = 0; i < count; i++)
        g_string_append (big, unit);
      g_string_replace (s, l->data, big->str, 0);
    }
  return g_string_free (s, FALSE);
}

/* The step as sent to /_fake/push, with the fills applied. */
static char *
step_json (JsonObject *c)
{
  JsonObject *fill = json_object_has_member (c, "fill")
                       ? json_object_get_object_member (c, "fill") : NULL;
  g_autoptr(JsonNode) step = json_node_copy (json_object_get_member (c, "step"));
  JsonObject *o = json_node_get_object (step);

  if (json_object_has_member (o, "text"))
    {
      g_autofree char *text = apply_fill (json_object_get_string_member (o, "text"), fill);

      json_object_set_string_member (o, "text", text);
    }
  if (json_object_has_member (o, "chunks"))
    {
      JsonArray *old = json_object_get_array_member (o, "chunks");
      JsonArray *chunks = json_array_new ();

      for (guint i = 0; i < json_array_get_length (old); i++)
        {
          g_autofree char *chunk = apply_fill (json_array_get_string_element (old, i), fill);

          json_array_add_string_element (chunks, chunk);
        }
      json_object_set_array_member (o, "chunks", chunks);
    }
  return json_to_string (step, FALSE);
}

static GPtrArray *
load_corpus (void)
{
  g_autofree char *path = g_test_build_filename (G_TEST_DIST, "faults", "hostile-replies.json",
                                                 NULL);
  g_autoptr(JsonParser) parser = json_parser_new ();
  g_autoptr(GError) error = NULL;
  GPtrArray *cases = g_ptr_array_new_with_free_func ((GDestroyNotify) hostile_case_free);
  JsonArray *all;

  json_parser_load_from_file (parser, path, &error);
  g_assert_no_error (error);
  all = json_object_get_array_member (json_node_get_object (json_parser_get_root (parser)),
                                      "cases");
  for (guint i = 0; i < json_array_get_length (all); i++)
    {
      JsonObject *o = json_array_get_object_element (all, i);
      HostileCase *c = g_new0 (HostileCase, 1);
      JsonNode *modes = json_object_get_member (o, "modes");

      c->name = g_strdup (json_object_get_string_member (o, "name"));
      c->step_json = step_json (o);
      c->expect = string_list (json_object_get_member (o, "expect"));
      c->title = g_strdup (member_string (o, "title", NULL));
      c->group = g_strdup (member_string (o, "group", "main"));
      c->plain = c->stream = TRUE;
      if (modes != NULL)
        {
          g_auto(GStrv) m = string_list (modes);

          c->plain = g_strv_contains ((const char *const *) m, "plain");
          c->stream = g_strv_contains ((const char *const *) m, "stream");
        }
      /* Instrumented (ASan) builds parse a megabyte of NDJSON too slowly for the 4 s deadline the
       * other cases depend on; the plain build covers these. */
      if (g_getenv ("ASAN_OPTIONS") != NULL && g_str_has_prefix (c->name, "huge"))
        {
          if (c->stream)
            g_test_message ("%s: not streamed under ASan (too slow when instrumented)", c->name);
          c->stream = FALSE;
        }
      if (json_object_has_member (o, "expect_stream"))
        {
          /* One vector: the stream expectations follow a "|" entry. */
          g_auto(GStrv) plain = g_steal_pointer (&c->expect);
          g_auto(GStrv) stream = string_list (json_object_get_member (o, "expect_stream"));
          GStrvBuilder *b = g_strv_builder_new ();

          g_strv_builder_addv (b, (const char **) plain);
          g_strv_builder_add (b, "|");
          g_strv_builder_addv (b, (const char **) stream);
          c->expect = g_strv_builder_end (b);
          g_strv_builder_unref (b);
        }
      g_ptr_array_add (cases, c);
    }
  return cases;
}

/* The expectations that hold for @stream. */
static GPtrArray *
expectations (const HostileCase *c, gboolean stream)
{
  gboolean has_split = g_strv_contains ((const char *const *) c->expect, "|");
  gboolean in_stream_part = FALSE;
  GPtrArray *out = g_ptr_array_new ();

  for (guint i = 0; c->expect[i] != NULL; i++)
    {
      if (g_str_equal (c->expect[i], "|"))
        in_stream_part = TRUE;
      else if (!has_split || in_stream_part == stream)
        g_ptr_array_add (out, c->expect[i]);
    }
  return out;
}

/* Whether @outcome ("status" or "status:reason") is among the expectations for @stream. */
static gboolean
outcome_expected (const HostileCase *c, gboolean stream, const char *outcome)
{
  g_autoptr(GPtrArray) e = expectations (c, stream);

  for (guint i = 0; i < e->len; i++)
    if (g_str_equal (e->pdata[i], outcome))
      return TRUE;
  return FALSE;
}

static char *
expected_text (const HostileCase *c, gboolean stream)
{
  g_autoptr(GPtrArray) e = expectations (c, stream);

  g_ptr_array_add (e, NULL);
  return g_strjoinv (" or ", (char **) e->pdata);
}

/* ---- waiting for the fake to have taken a step ------------------------------------------------ */

typedef struct {
  HbTestEnv *env;
  guint want;
} RequestWait;

static gboolean
fake_requests_reached (gpointer user_data)
{
  RequestWait *w = user_data;
  g_autoptr(GError) error = NULL;
  HbTestFakeStats stats = { 0 };
  gboolean reached;

  if (!hb_test_fake_get_stats (w->env, &stats, &error))
    g_error ("fake stats: %s", error->message);
  reached = stats.requests >= w->want;
  hb_test_fake_stats_clear (&stats);
  return reached;
}

static gboolean
tick (gpointer user_data)
{
  return G_SOURCE_CONTINUE;
}

/* The fake is another process: look at its counter every few milliseconds. */
static gboolean
wait_fake_requests (HbTestEnv *env, guint want)
{
  RequestWait w = { env, want };
  guint id = g_timeout_add (5, tick, NULL);
  gboolean ok = hb_test_wait_until (fake_requests_reached, &w, HB_TEST_TIMEOUT_MS);

  g_source_remove (id);
  return ok;
}

typedef struct {
  FaultsRuns *runs;
  HbTestDaemon *daemon;
  guint want;           /* this many completed or lost, */
  const char *run_id;   /* or this run completed */
  guint lost;           /* runs in flight when the daemon died */
} RunsWait;

/* Also TRUE once the daemon is gone: nothing more is coming then. */
static gboolean
runs_reached (gpointer user_data)
{
  RunsWait *w = user_data;

  if (!hb_test_daemon_is_running (w->daemon))
    return TRUE;
  if (w->run_id != NULL)
    return g_hash_table_contains (w->runs->results, w->run_id);
  return w->runs->count + w->lost >= w->want;
}

static gboolean
wait_runs (RunsWait *w)
{
  /* A crash is noticed by looking, not by an event. */
  guint id = g_timeout_add (50, tick, NULL);

  hb_test_wait_until (runs_reached, w, 30000);
  g_source_remove (id);
  return w->run_id != NULL ? g_hash_table_contains (w->runs->results, w->run_id)
                           : w->runs->count + w->lost >= w->want;
}

static char *
daemon_gone (HbTestDaemon *d)
{
  int status = -1;

  if (hb_test_daemon_is_running (d))
    return g_strdup ("the daemon is running but did not finish the run");
  hb_test_daemon_wait_exit (d, 1000, &status, NULL);
  return g_strdup_printf ("the daemon died (exit status %d%s)", status,
                          status > 128 ? ", killed by a signal" : "");
}

/* ---- the Ledger afterwards ---------------------------------------------------------------------- */

static void
check_text (GString *problems, const char *what, gint64 id, const char *text, glong max)
{
  glong n = text != NULL && g_utf8_validate (text, -1, NULL) ? g_utf8_strlen (text, -1) : -1;

  if (n < 1 || n > max)
    g_string_append_printf (problems, "%s of row %" G_GINT64_FORMAT ": %ld characters\n", what, id,
                            n);
  if (!faults_text_is_escaped (text))
    g_string_append_printf (problems, "%s of row %" G_GINT64_FORMAT " is not escaped: %.80s\n",
                            what, id, text != NULL ? text : "(null)");
}

/* Every row the heartbeat wrote is valid; problems are listed in @problems. */
static void
check_ledger (const char *db_path, GString *problems)
{
  sqlite3 *db = faults_db_open (db_path);
  sqlite3_stmt *stmt = NULL;

  g_assert_cmpint (sqlite3_prepare_v2 (db, "SELECT id, title, content, author, submolt,"
                                           " source_type FROM molt_posts"
                                           " WHERE heartbeat_run_id IS NOT NULL", -1, &stmt,
                                       NULL), ==, SQLITE_OK);
  while (sqlite3_step (stmt) == SQLITE_ROW)
    {
      gint64 id = sqlite3_column_int64 (stmt, 0);

      check_text (problems, "post title", id, (const char *) sqlite3_column_text (stmt, 1),
                  200);
      check_text (problems, "post content", id, (const char *) sqlite3_column_text (stmt, 2),
                  5000);
      if (g_strcmp0 ((const char *) sqlite3_column_text (stmt, 3), "heartbeat") != 0 ||
          g_strcmp0 ((const char *) sqlite3_column_text (stmt, 4), "heartbeat") != 0 ||
          g_strcmp0 ((const char *) sqlite3_column_text (stmt, 5), "heartbeat") != 0)
        g_string_append_printf (problems, "post %" G_GINT64_FORMAT ": author, submolt or source"
                                " changed by the reply\n", id);
    }
  sqlite3_finalize (stmt);
  g_assert_cmpint (sqlite3_prepare_v2 (db, "SELECT id, content FROM molt_comments"
                                           " WHERE heartbeat_run_id IS NOT NULL", -1, &stmt,
                                       NULL), ==, SQLITE_OK);
  while (sqlite3_step (stmt) == SQLITE_ROW)
    check_text (problems, "comment", sqlite3_column_int64 (stmt, 0),
                (const char *) sqlite3_column_text (stmt, 1), 5000);
  sqlite3_finalize (stmt);
  sqlite3_close (db);

  {
    static const struct {
      const char *what;
      const char *sql;
    } counts[] = {
      { "comments on a missing post",
        "SELECT COUNT(*) FROM molt_comments c WHERE NOT EXISTS"
        " (SELECT 1 FROM molt_posts p WHERE p.id = c.post_id)" },
      { "votes on a missing post or of a bad value",
        "SELECT COUNT(*) FROM molt_votes v WHERE v.target_type != 'post' OR v.value NOT IN (1, -1)"
        " OR NOT EXISTS (SELECT 1 FROM molt_posts p WHERE p.id = v.target_id)" },
      { "ledger rows of a run that did not act",
        "SELECT COUNT(*) FROM (SELECT heartbeat_run_id AS id FROM molt_posts"
        " UNION ALL SELECT heartbeat_run_id FROM molt_comments"
        " UNION ALL SELECT heartbeat_run_id FROM molt_votes) l WHERE l.id IS NOT NULL AND"
        " (SELECT COUNT(*) FROM heartbeat_runs r WHERE r.run_id = l.id AND r.status = 'acted') != 1" },
      { "acted posts and comments without their ledger row",
        "SELECT COUNT(*) FROM heartbeat_runs r WHERE r.status = 'acted' AND ("
        " (r.action = 'post' AND NOT EXISTS (SELECT 1 FROM molt_posts p"
        "  WHERE p.heartbeat_run_id = r.run_id)) OR"
        " (r.action = 'comment' AND NOT EXISTS (SELECT 1 FROM molt_comments c"
        "  WHERE c.heartbeat_run_id = r.run_id)))" },
    };

    for (gsize i = 0; i < G_N_ELEMENTS (counts); i++)
      {
        gint64 n = faults_db_int (db_path, counts[i].sql);

        if (n != 0)
          g_string_append_printf (problems, "%" G_GINT64_FORMAT " %s\n", n, counts[i].what);
      }
  }
}

/* ---- one mode, one group ---------------------------------------------------------------------- */

/* What happened to one case; the first problem found, or NULL. */
static char *
judge (const HostileCase *c, gboolean stream, GVariant *result, const char *db_path)
{
  const char *status = faults_result_string (result, "status");
  const char *reason = faults_result_string (result, "reason");
  const char *run_id = faults_result_string (result, "run_id");
  g_autofree char *outcome = reason[0] != '\0' ? g_strdup_printf ("%s:%s", status, reason)
                                               : g_strdup (status);
  guint64 took = faults_result_time (result, "finished_at")
                 - faults_result_time (result, "started_at");
  g_autofree char *sql = NULL;

  if (strstr (faults_result_string (result, "error"), NO_STEP_ERROR) != NULL)
    return g_strdup ("the model was asked more than once (a request took no step)");
  if (!outcome_expected (c, stream, outcome))
    {
      g_autofree char *expected = expected_text (c, stream);

      return g_strdup_printf ("%s (%s), expected %s", outcome,
                              faults_result_string (result, "error"), expected);
    }
  if (c->title != NULL && g_str_equal (status, "acted") &&
      g_strcmp0 (faults_result_string (result, "title"), c->title) != 0)
    return g_strdup_printf ("title \"%.80s\", expected \"%.80s\"",
                            faults_result_string (result, "title"), c->title);
  if (took > (TOTAL_TIMEOUT_S + DEADLINE_MARGIN_S) * G_USEC_PER_SEC)
    return g_strdup_printf ("took %.1f s, past the %d s deadline", took / 1e6, TOTAL_TIMEOUT_S);
  sql = g_strdup_printf ("SELECT COUNT(*) FROM heartbeat_runs WHERE run_id = '%s'"
                         " AND status = '%s' AND IFNULL(reason, '') = '%s'", run_id, status,
                         reason);
  if (faults_db_int (db_path, sql) != 1)
    return g_strdup ("the run record does not say what HeartbeatCompleted said");
  return NULL;
}

/* Push the case's step and RunNow its thread; the run id (or a placeholder when the daemon
 * died before answering) goes to @run_ids. FALSE when the run is lost. */
static gboolean
start_case (HbTestEnv *env, const HostileCase *c, guint i, GPtrArray *run_ids, guint *asked)
{
  g_autoptr(GError) error = NULL;
  g_autofree char *id = g_strdup_printf ("f3-%03u", i);
  g_autoptr(GVariant) reply = NULL;
  char *run_id = NULL;

  g_test_message ("case %s on thread %s", c->name, id);
  g_assert_true (hb_test_fake_push_json (env, c->step_json, &error));
  g_assert_no_error (error);
  reply = g_dbus_connection_call_sync (hb_test_env_get_connection (env), HB_TEST_BUS_NAME,
                                       HB_TEST_MANAGER_PATH, HB_TEST_MANAGER_IFACE, "RunNow",
                                       g_variant_new ("(s)", id), G_VARIANT_TYPE ("(s)"),
                                       G_DBUS_CALL_FLAGS_NONE, HB_TEST_TIMEOUT_MS, NULL, &error);
  if (reply == NULL)
    {
      HbFakeStep no_step = { .kind = HB_FAKE_STATUS, .status = 500, .text = (char *) NO_STEP_BODY };

      /* Gone before it could answer (the previous reply killed it): forget the step too. */
      g_test_message ("RunNow: %s", error->message);
      g_clear_error (&error);
      g_assert_true (hb_test_fake_reset (env, &error));
      g_assert_true (hb_test_fake_set_default (env, &no_step, &error));
      g_assert_no_error (error);
      *asked = 0;
      g_ptr_array_add (run_ids, g_strdup_printf ("lost-%u", i));
      return FALSE;
    }
  /* One step per request, in order: the next is pushed only once this one is taken. */
  (*asked)++;
  g_variant_get (reply, "(s)", &run_id);
  g_ptr_array_add (run_ids, run_id);
  return TRUE;
}

static void
test_hostile (gconstpointer data)
{
  const HostileRun *hr = data;
  gboolean stream = g_str_equal (hr->mode, "stream");
  g_autoptr(GPtrArray) all = load_corpus ();
  g_autoptr(GPtrArray) cases = g_ptr_array_new ();
  g_autoptr(GPtrArray) run_ids = g_ptr_array_new_with_free_func (g_free);
  g_autoptr(GHashTable) lost_ids = g_hash_table_new (g_str_hash, g_str_equal);
  guint lost = 0;
  g_autoptr(HbTestEnv) env = hb_test_env_new (NULL);
  g_autoptr(GError) error = NULL;
  g_autoptr(FaultsRuns) runs = NULL;
  g_autoptr(GString) problems = g_string_new (NULL);
  g_autofree char *ini = g_strdup_printf (
    "[daemon]\nenabled=false\nmax-concurrent=%d\nskip-unchanged=false\nbreaker-threshold=1000\n"
    "[backend]\nconnect-timeout=2\nheaders-timeout=2\ntotal-timeout=%d\nretries=0\nstream=%s\n"
    "[budgets]\npost-interval=0\ncomment-interval=0\ncomments-per-day=0\n",
    IN_FLIGHT, TOTAL_TIMEOUT_S, stream ? "true" : "false");
  HbTestDaemonOptions opts = { .args = faults_config_args (env, ini) };
  HbFakeStep no_step = { .kind = HB_FAKE_STATUS, .status = 500, .text = (char *) NO_STEP_BODY };
  /* Replies that kill the daemon are grouped apart and run one at a time. */
  guint in_flight = g_str_equal (hr->group, "main") ? IN_FLIGHT : 1;
  guint asked = 0;
  GDBusConnection *conn = hb_test_env_get_connection (env);
  const char *db = hb_test_env_get_db_path (env);
  HbTestDaemon *d;

  for (guint i = 0; i < all->len; i++)
    {
      HostileCase *c = all->pdata[i];

      if (g_str_equal (c->group, hr->group) && (stream ? c->stream : c->plain))
        g_ptr_array_add (cases, c);
    }
  g_assert_cmpuint (cases->len, >, 0);

  /* A request that finds no scripted step is told so, and the run's error shows it. */
  g_assert_true (hb_test_fake_set_default (env, &no_step, &error));
  g_assert_no_error (error);
  d = hb_test_daemon_start (env, &opts, &error);
  g_assert_no_error (error);
  runs = faults_runs_new (conn);
  for (guint i = 0; i < cases->len; i++)
    {
      g_autofree char *id = g_strdup_printf ("f3-%03u", i);

      faults_add_thread (conn, id);
    }

  for (guint i = 0; i < cases->len; i++)
    {
      HostileCase *c = cases->pdata[i];
      /* The first case of a group is its seed (post 1): it ends before the others begin. Then
       * at most in_flight at once. */
      guint want = i == 0 ? 0 : MAX (1, (gint) i - (gint) in_flight + 1);

      if (!wait_runs (&(RunsWait) { runs, d, want, NULL, lost }) || !hb_test_daemon_is_running (d))
        {
          g_autofree char *why = daemon_gone (d);

          /* Note the runs it took along, and go on with a new instance. */
          g_test_message ("%s; restarting it", why);
          for (guint j = 0; j < run_ids->len; j++)
            if (!g_hash_table_contains (runs->results, run_ids->pdata[j]) &&
                g_hash_table_add (lost_ids, run_ids->pdata[j]))
              lost++;
          if (!hb_test_daemon_restart (d, NULL, &error))
            {
              g_string_append_printf (problems, "before %s: %s, and no restart: %s\n", c->name,
                                      why, error->message);
              break;
            }
        }
      if (!start_case (env, c, i, run_ids, &asked))
        {
          g_hash_table_add (lost_ids, g_ptr_array_index (run_ids, i));
          lost++;
        }
      else if (!wait_fake_requests (env, asked))
        {
          g_string_append_printf (problems, "%s: the model was never asked\n", c->name);
          break;
        }
    }

  for (guint i = 0; i < run_ids->len; i++)
    {
      HostileCase *c = cases->pdata[i];
      g_autofree char *problem = NULL;
      GVariant *result;

      if (g_hash_table_contains (lost_ids, run_ids->pdata[i]))
        {
          g_string_append_printf (problems, "%s: in flight when the daemon died\n", c->name);
          continue;
        }
      wait_runs (&(RunsWait) { runs, d, 0, run_ids->pdata[i], 0 });
      result = g_hash_table_lookup (runs->results, run_ids->pdata[i]);
      if (result == NULL)
        {
          g_autofree char *why = daemon_gone (d);

          g_string_append_printf (problems, "%s: no HeartbeatCompleted: %s\n", c->name, why);
          continue;
        }
      problem = judge (c, stream, result, db);
      g_test_message ("%-28s %s%s%s", c->name, faults_result_string (result, "status"),
                      problem != NULL ? "  <-- " : "", problem != NULL ? problem : "");
      if (problem != NULL)
        g_string_append_printf (problems, "%s: %s\n", c->name, problem);
    }

  if (!hb_test_daemon_is_running (d) || !faults_daemon_answers (conn, &error))
    g_string_append_printf (problems, "the daemon does not answer at the end: %s\n",
                            error != NULL ? error->message : "it is gone");
  check_ledger (db, problems);
  if (problems->len > 0)
    g_test_fail_printf ("%u cases, %s mode:\n%s", cases->len, hr->mode, problems->str);
}

int
main (int argc, char **argv)
{
  static const HostileRun runs[] = {
    { "plain", "main" }, { "stream", "main" }, { "plain", "nesting" }, { "stream", "nesting" },
    { "plain", "empty-body" }, { "stream", "empty-body" },
  };

  g_test_init (&argc, &argv, NULL);
  for (gsize i = 0; i < G_N_ELEMENTS (runs); i++)
    {
      g_autofree char *path = g_strdup_printf ("/faults/hostile/%s/%s", runs[i].group,
                                               runs[i].mode);

      g_test_add_data_func (path, &runs[i], test_hostile);
    }
  return g_test_run ();
}
