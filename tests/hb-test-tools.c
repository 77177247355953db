/* hb-test-tools.c: talking to the fake Ollama's control API and running bus command lines.
 *
 * The control requests are synchronous (libsoup's blocking API): the test process may block,
 * the daemon under test never does.
 */
#include "config.h"

#include <libsoup/soup.h>
#include <stdarg.h>

#include "hb-test-proc.h"

/* ---- fake Ollama control ---- */

/* The fake's own conversion, so that both sides agree on the step format. */
static char *
fake_step_to_json (const HbFakeStep *step)
{
  g_autoptr(JsonNode) root = hb_fake_step_to_json (step);

  return json_to_string (root, FALSE);
}

/* One request to the control API; returns the body of a 2xx reply. */
static GBytes *
fake_request (HbTestEnv *env, const char *method, const char *path, const char *json,
              GError **error)
{
  const char *base = hb_test_env_get_fake_url (env);
  g_autofree char *uri = NULL;
  g_autoptr(SoupSession) session = NULL;
  g_autoptr(SoupMessage) msg = NULL;
  g_autoptr(GBytes) body = NULL;
  guint status;

  if (base == NULL)
    {
      g_set_error (error, G_IO_ERROR, G_IO_ERROR_NOT_INITIALIZED, "No fake Ollama in this test");
      return NULL;
    }
  uri = g_strconcat (base, path, NULL);
  session = soup_session_new_with_options ("timeout", 10, "idle-timeout", 10, NULL);
  msg = soup_message_new (method, uri);
  if (json != NULL)
    {
      g_autoptr(GBytes) req = g_bytes_new (json, strlen (json));

      soup_message_set_request_body_from_bytes (msg, "application/json", req);
    }
  body = soup_session_send_and_read (session, msg, NULL, error);
  if (body == NULL)
    {
      g_prefix_error (error, "%s %s: ", method, uri);
      return NULL;
    }
  status = soup_message_get_status (msg);
  if (status < 200 || status >= 300)
    {
      g_set_error (error, G_IO_ERROR, G_IO_ERROR_FAILED, "%s %s: HTTP %u: %.*s", method, uri,
                   status, (int) MIN (g_bytes_get_size (body), 200),
                   (const char *) g_bytes_get_data (body, NULL));
      return NULL;
    }
  return g_steal_pointer (&body);
}

static gboolean
fake_post (HbTestEnv *env, const char *path, const char *json, GError **error)
{
  g_autoptr(GBytes) body = fake_request (env, "POST", path, json, error);

  return body != NULL;
}

gboolean
hb_test_fake_push_json (HbTestEnv *env, const char *json, GError **error)
{
  return fake_post (env, "/_fake/push", json, error);
}

gboolean
hb_test_fake_push (HbTestEnv *env, const HbFakeStep *step, GError **error)
{
  g_autofree char *json = fake_step_to_json (step);

  return fake_post (env, "/_fake/push", json, error);
}

gboolean
hb_test_fake_push_content (HbTestEnv *env, const char *content, GError **error)
{
  HbFakeStep step = { .kind = HB_FAKE_CONTENT, .text = (char *) content };

  return hb_test_fake_push (env, &step, error);
}

gboolean
hb_test_fake_set_default (HbTestEnv *env, const HbFakeStep *step, GError **error)
{
  g_autofree char *json = fake_step_to_json (step);

  return fake_post (env, "/_fake/default", json, error);
}

gboolean
hb_test_fake_set_models (HbTestEnv *env, const char *const *models, GError **error)
{
  g_autoptr(JsonBuilder) b = json_builder_new ();
  g_autoptr(JsonNode) root = NULL;
  g_autofree char *json = NULL;

  json_builder_begin_array (b);
  for (guint i = 0; models != NULL && models[i] != NULL; i++)
    json_builder_add_string_value (b, models[i]);
  json_builder_end_array (b);
  root = json_builder_get_root (b);
  json = json_to_string (root, FALSE);
  return fake_post (env, "/_fake/models", json, error);
}

gboolean
hb_test_fake_reset (HbTestEnv *env, GError **error)
{
  return fake_post (env, "/_fake/reset", "{}", error);
}

static gboolean
read_count (JsonObject *obj, const char *name, guint *out, GError **error)
{
  JsonNode *node = json_object_get_member (obj, name);

  if (node == NULL || !JSON_NODE_HOLDS_VALUE (node)
      || json_node_get_value_type (node) != G_TYPE_INT64 || json_node_get_int (node) < 0)
    {
      g_set_error (error, G_IO_ERROR, G_IO_ERROR_INVALID_DATA,
                   "/_fake/stats: %s is not a non-negative integer", name);
      return FALSE;
    }
  *out = (guint) json_node_get_int (node);
  return TRUE;
}

void
hb_test_fake_stats_clear (HbTestFakeStats *stats)
{
  g_clear_pointer (&stats->last_request, json_object_unref);
  stats->requests = stats->in_flight = stats->max_in_flight = 0;
}

gboolean
hb_test_fake_get_stats (HbTestEnv *env, HbTestFakeStats *out, GError **error)
{
  g_autoptr(GBytes) body = fake_request (env, "GET", "/_fake/stats", NULL, error);
  g_autoptr(JsonNode) root = NULL;
  JsonObject *obj;
  JsonNode *last;
  HbTestFakeStats stats = { 0 };

  if (body == NULL)
    return FALSE;
  root = json_from_string (g_bytes_get_data (body, NULL), error);
  if (root == NULL)
    return FALSE;
  if (!JSON_NODE_HOLDS_OBJECT (root))
    {
      g_set_error (error, G_IO_ERROR, G_IO_ERROR_INVALID_DATA, "/_fake/stats: not an object");
      return FALSE;
    }
  obj = json_node_get_object (root);
  if (!read_count (obj, "requests", &stats.requests, error)
      || !read_count (obj, "in_flight", &stats.in_flight, error)
      || !read_count (obj, "max_in_flight", &stats.max_in_flight, error))
    return FALSE;
  last = json_object_get_member (obj, "last_request");
  if (last != NULL && JSON_NODE_HOLDS_OBJECT (last))
    stats.last_request = json_object_ref (json_node_get_object (last));
  *out = stats;
  return TRUE;
}

/* ---- command lines ---- */

void
hb_test_command_result_free (HbTestCommandResult *r)
{
  if (r == NULL)
    return;
  g_free (r->out);
  g_free (r->err);
  g_free (r);
}

HbTestCommandResult *
hb_test_run_command (HbTestEnv *env, const char *const *argv, guint timeout_ms, GError **error)
{
  g_autoptr(GSubprocessLauncher) launcher = NULL;
  g_autoptr(GCancellable) cancel = g_cancellable_new ();
  g_autoptr(GAsyncResult) res = NULL;
  g_autoptr(HbTestCommandResult) r = g_new0 (HbTestCommandResult, 1);
  g_autofree char *cmdline = g_strjoinv (" ", (char **) argv);
  HbTestProc p = { 0 };

  launcher = hb_test_env_new_launcher (env, G_SUBPROCESS_FLAGS_STDOUT_PIPE
                                              | G_SUBPROCESS_FLAGS_STDERR_PIPE);
  hb_test_proc_clear (&p);
  if (!hb_test_proc_spawn (&p, launcher, argv, error))
    return NULL;
  g_subprocess_communicate_utf8_async (p.proc, NULL, cancel, hb_test_store_result_cb, &res);
  hb_test_await (&res, cancel, NULL, timeout_ms);
  if (!g_subprocess_communicate_utf8_finish (p.proc, res, &r->out, &r->err, error))
    {
      hb_test_proc_stop (&p, 0);
      hb_test_proc_clear (&p);
      if (error != NULL && g_error_matches (*error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
        {
          g_clear_error (error);
          g_set_error (error, G_IO_ERROR, G_IO_ERROR_TIMED_OUT, "%s: no exit within %u ms",
                       cmdline, timeout_ms);
        }
      else
        g_prefix_error (error, "%s: ", cmdline);
      return NULL;
    }
  /* Output ends at exit, but the exit status is reaped separately. */
  if (!hb_test_proc_wait (&p, timeout_ms, error))
    {
      hb_test_proc_stop (&p, 0);
      hb_test_proc_clear (&p);
      return NULL;
    }
  r->exit_status = p.status;
  hb_test_proc_clear (&p);
  return g_steal_pointer (&r);
}

static HbTestCommandResult *
run_collected (HbTestEnv *env, GPtrArray *argv, va_list ap, GError **error)
{
  const char *arg;

  while ((arg = va_arg (ap, const char *)) != NULL)
    g_ptr_array_add (argv, (char *) arg);
  g_ptr_array_add (argv, NULL);
  return hb_test_run_command (env, (const char *const *) argv->pdata, HB_TEST_TIMEOUT_MS, error);
}

HbTestCommandResult *
hb_test_busctl (HbTestEnv *env, GError **error, ...)
{
  g_autoptr(GPtrArray) argv = g_ptr_array_new ();
  g_autofree char *address = g_strconcat ("--address=", hb_test_env_get_bus_address (env), NULL);
  HbTestCommandResult *r;
  va_list ap;

  g_ptr_array_add (argv, (char *) "busctl");
  g_ptr_array_add (argv, address);
  g_ptr_array_add (argv, (char *) "--no-pager");
  va_start (ap, error);
  r = run_collected (env, argv, ap, error);
  va_end (ap);
  return r;
}

HbTestCommandResult *
hb_test_gdbus (HbTestEnv *env, GError **error, const char *command, ...)
{
  g_autoptr(GPtrArray) argv = g_ptr_array_new ();
  HbTestCommandResult *r;
  va_list ap;

  g_ptr_array_add (argv, (char *) "gdbus");
  g_ptr_array_add (argv, (char *) command);
  g_ptr_array_add (argv, (char *) "--address");
  g_ptr_array_add (argv, (char *) hb_test_env_get_bus_address (env));
  va_start (ap, command);
  r = run_collected (env, argv, ap, error);
  va_end (ap);
  return r;
}
