/* test-http.c: the HTTP bridge's REST API and its safety checks, against the real daemon. */
#include "config.h"

#include <glib/gstdio.h>
#include <string.h>
#include <sys/stat.h>

#include "test-http-client.h"

#define POST_DECISION "{\"action\":\"post\",\"title\":\"Daily <b>note</b>\"," \
                      "\"content\":\"All quiet.\",\"reasoning\":\"time for a note\"}"

static JsonObject *
member_object (JsonObject *o, const char *name)
{
  JsonNode *n = json_object_get_member (o, name);

  g_assert_nonnull (n);
  g_assert_true (JSON_NODE_HOLDS_OBJECT (n));
  return json_node_get_object (n);
}

static void
add_thread (HbHttpFixture *f, const char *id, guint want)
{
  g_autofree char *body = g_strdup_printf ("{\"thread_id\":\"%s\"}", id);
  g_autoptr(HbHttpReply) r = hb_http_request (f, "POST", "/api/threads", body, NULL);

  g_assert_cmpuint (r->status, ==, want);
  g_assert_cmpstr (json_object_get_string_member (hb_http_object (r), "thread_id"), ==, id);
}

/* @method @path with @body is refused with 422 naming @field first. */
static void
assert_field_error (HbHttpFixture *f, const char *method, const char *path, const char *body,
                    const char *field)
{
  g_autoptr(HbHttpReply) r = hb_http_request (f, method, path, body, NULL);

  g_test_message ("%s %s %s", method, path, body != NULL ? body : "");
  g_assert_cmpuint (r->status, ==, 422);
  g_assert_cmpstr (hb_http_detail_field (r, 0), ==, field);
}

static void
test_status (HbHttpFixture *f, gconstpointer data)
{
  g_autoptr(HbHttpReply) r = hb_http_request (f, "GET", "/api/heartbeat/status", NULL, NULL);
  JsonObject *o;

  g_assert_cmpuint (r->status, ==, 200);
  g_assert_cmpstr (soup_message_headers_get_content_type (r->headers, NULL), ==,
                   "application/json");
  o = hb_http_object (r);
  /* The scheduler starts as CRT_HEARTBEAT_ENABLED / [daemon] enabled say; "running" follows it. */
  g_assert_cmpint (json_node_get_value_type (json_object_get_member (o, "enabled")), ==,
                   G_TYPE_BOOLEAN);
  g_assert_cmpint (json_object_get_boolean_member (o, "running"), ==,
                   json_object_get_boolean_member (o, "enabled"));
  g_assert_cmpint (json_object_get_int_member (o, "check_interval_seconds"), ==, 1800);
  g_assert_cmpint (json_object_get_int_member (o, "active_runs"), ==, 0);
  g_assert_cmpint (json_object_get_int_member (o, "queued_runs"), ==, 0);
  g_assert_cmpint (json_object_get_int_member (o, "event_clients"), ==, 0);
  g_assert_true (json_object_has_member (o, "next_wakeup"));
  g_assert_nonnull (json_object_get_string_member (o, "backend_state"));
  g_assert_cmpstr (json_object_get_string_member (o, "backend_url"), ==,
                   hb_test_env_get_fake_url (f->env));
}

static void
test_start_stop (HbHttpFixture *f, gconstpointer data)
{
  static const struct {
    const char *path;
    gboolean changed;
    const char *message;
    gboolean enabled;
  } steps[] = {
    { "/api/heartbeat/start", TRUE, "The scheduler started", TRUE },
    { "/api/heartbeat/stop", TRUE, "The scheduler stopped", FALSE },
    { "/api/heartbeat/stop", FALSE, "The scheduler is already stopped", FALSE },
    { "/api/heartbeat/start", TRUE, "The scheduler started", TRUE },
    { "/api/heartbeat/start", FALSE, "The scheduler is already running", TRUE },
  };

  /* From a known state: stopped. */
  g_autoptr(HbHttpReply) first = hb_http_request (f, "POST", "/api/heartbeat/stop", NULL, NULL);

  g_assert_cmpuint (first->status, ==, 200);
  for (gsize i = 0; i < G_N_ELEMENTS (steps); i++)
    {
      g_autoptr(HbHttpReply) r = hb_http_request (f, "POST", steps[i].path, NULL, NULL);
      g_autoptr(HbHttpReply) s = NULL;

      g_assert_cmpuint (r->status, ==, 200);
      g_assert_true (json_object_get_boolean_member (hb_http_object (r), "ok"));
      g_assert_cmpint (json_object_get_boolean_member (hb_http_object (r), "changed"), ==,
                       steps[i].changed);
      g_assert_cmpstr (json_object_get_string_member (hb_http_object (r), "message"), ==,
                       steps[i].message);
      s = hb_http_request (f, "GET", "/api/heartbeat/status", NULL, NULL);
      g_assert_cmpint (json_object_get_boolean_member (hb_http_object (s), "enabled"), ==,
                       steps[i].enabled);
    }
}

static void
test_threads (HbHttpFixture *f, gconstpointer data)
{
  g_autoptr(HbHttpReply) list = NULL;
  JsonArray *threads;

  add_thread (f, "alpha", 201);
  add_thread (f, "alpha", 200);
  add_thread (f, "beta gamma", 201);
  list = hb_http_request (f, "GET", "/api/threads", NULL, NULL);
  g_assert_cmpuint (list->status, ==, 200);
  threads = json_object_get_array_member (hb_http_object (list), "threads");
  g_assert_cmpuint (json_array_get_length (threads), ==, 2);
  g_assert_cmpstr (json_object_get_string_member (json_array_get_object_element (threads, 0),
                                                  "thread_id"), ==, "alpha");
  g_assert_cmpint (json_object_get_int_member (
                     member_object (json_array_get_object_element (threads, 0), "config"),
                     "every"), ==, 1800);

  assert_field_error (f, "POST", "/api/threads", "{\"thread_id\":\"\"}", "thread_id");
  assert_field_error (f, "POST", "/api/threads", "{\"thread_id\":5}", "thread_id");
  assert_field_error (f, "POST", "/api/threads", "[1]", "body");
}

static gint64
config_int (HbHttpReply *r, const char *field)
{
  return json_object_get_int_member (member_object (hb_http_object (r), "config"), field);
}

static void
test_config (HbHttpFixture *f, gconstpointer data)
{
  static const struct {
    const char *body;
    guint status;
    const char *fields[3];
  } bad[] = {
    { "{\"every\":5}", 422, { "every" } },
    { "{\"every\":5,\"max_tokens\":1}", 422, { "every", "max_tokens" } },
    { "{\"temperature\":\"hot\"}", 422, { "temperature" } },
    { "{\"bogus\":1}", 422, { "bogus" } },
    { "[]", 422, { "body" } },
    { "", 422, { "body" } },
    { "{\"every\":", 400, { NULL } },
  };
  g_autoptr(HbHttpReply) unknown = NULL;
  g_autoptr(HbHttpReply) unknown_post = NULL;
  g_autoptr(HbHttpReply) got = NULL;
  g_autoptr(HbHttpReply) set = NULL;
  g_autoptr(HbHttpReply) partial = NULL;
  g_autoptr(HbHttpReply) after = NULL;
  g_autoptr(HbHttpReply) spaced = NULL;

  unknown = hb_http_request (f, "GET", "/api/threads/nobody/heartbeat/config", NULL, NULL);
  g_assert_cmpuint (unknown->status, ==, 404);
  g_assert_nonnull (strstr (hb_http_detail (unknown), "nobody"));
  unknown_post = hb_http_request (f, "POST", "/api/threads/nobody/heartbeat/config",
                                  "{\"every\":120}", NULL);
  g_assert_cmpuint (unknown_post->status, ==, 404);

  add_thread (f, "alpha", 201);
  got = hb_http_request (f, "GET", "/api/threads/alpha/heartbeat/config", NULL, NULL);
  g_assert_cmpuint (got->status, ==, 200);
  g_assert_cmpstr (json_object_get_string_member (hb_http_object (got), "thread_id"), ==, "alpha");
  g_assert_cmpint (config_int (got, "every"), ==, 1800);
  g_assert_true (json_object_get_null_member (hb_http_object (got), "last_run"));
  g_assert_true (json_object_has_member (hb_http_object (got), "last_summary"));

  set = hb_http_request (f, "POST", "/api/threads/alpha/heartbeat/config",
                         "{\"every\":120,\"max_tokens\":300}", NULL);
  g_assert_cmpuint (set->status, ==, 200);
  g_assert_cmpint (config_int (set, "every"), ==, 120);
  /* A partial change keeps the rest (CRT reset every field left out). */
  partial = hb_http_request (f, "POST", "/api/threads/alpha/heartbeat/config",
                             "{\"dry_run\":true}", NULL);
  g_assert_cmpuint (partial->status, ==, 200);
  g_assert_cmpint (config_int (partial, "every"), ==, 120);
  g_assert_cmpint (config_int (partial, "max_tokens"), ==, 300);
  g_assert_true (json_object_get_boolean_member (member_object (hb_http_object (partial), "config"),
                                                 "dry_run"));

  for (gsize i = 0; i < G_N_ELEMENTS (bad); i++)
    {
      g_autoptr(HbHttpReply) r = hb_http_request (f, "POST", "/api/threads/alpha/heartbeat/config",
                                                  bad[i].body, NULL);

      g_test_message ("config body %s", bad[i].body);
      g_assert_cmpuint (r->status, ==, bad[i].status);
      for (guint k = 0; bad[i].fields[k] != NULL; k++)
        g_assert_cmpstr (hb_http_detail_field (r, k), ==, bad[i].fields[k]);
      if (bad[i].status == 400)
        g_assert_nonnull (hb_http_detail (r));
    }

  /* All or nothing: nothing of the refused changes was applied, and the rest persisted. */
  g_test_message ("restarting the daemon");
  g_assert_true (hb_test_daemon_restart (f->daemon, NULL, NULL));
  {
    g_autoptr(GError) error = NULL;

    g_clear_pointer (&f->url, g_free);
    g_assert_true (g_file_get_contents (f->url_file, &f->url, NULL, &error));
    g_assert_no_error (error);
  }
  after = hb_http_request (f, "GET", "/api/threads/alpha/heartbeat/config", NULL, NULL);
  g_assert_cmpuint (after->status, ==, 200);
  g_assert_cmpint (config_int (after, "every"), ==, 120);
  g_assert_cmpint (config_int (after, "max_tokens"), ==, 300);

  /* Ids are percent-decoded, like any path segment. */
  add_thread (f, "a b/c", 201);
  spaced = hb_http_request (f, "GET", "/api/threads/a%20b%2Fc/heartbeat/config", NULL, NULL);
  g_assert_cmpuint (spaced->status, ==, 200);
  g_assert_cmpstr (json_object_get_string_member (hb_http_object (spaced), "thread_id"), ==,
                   "a b/c");
}

static JsonArray *
activities (HbHttpReply *r)
{
  return json_object_get_array_member (hb_http_object (r), "activities");
}

static void
test_run_now_and_history (HbHttpFixture *f, gconstpointer data)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(HbHttpReply) none = NULL;
  g_autoptr(HbHttpReply) post = NULL;
  g_autoptr(HbHttpReply) hist = NULL;
  g_autoptr(HbHttpReply) one = NULL;
  g_autoptr(HbHttpReply) unknown = NULL;
  JsonObject *o;
  JsonArray *actions;

  add_thread (f, "alpha", 201);
  unknown = hb_http_request (f, "POST", "/api/threads/nobody/heartbeat/run-now", NULL, NULL);
  g_assert_cmpuint (unknown->status, ==, 404);

  none = hb_http_request (f, "POST", "/api/threads/alpha/heartbeat/run-now", NULL, NULL);
  g_assert_cmpuint (none->status, ==, 200);
  o = hb_http_object (none);
  g_assert_cmpstr (json_object_get_string_member (o, "thread_id"), ==, "alpha");
  g_assert_true (json_object_get_boolean_member (o, "ran_successfully"));
  g_assert_cmpstr (json_object_get_string_member (o, "status"), ==, "no-action");
  g_assert_cmpfloat (json_object_get_double_member (o, "timestamp"), >, 1.6e9);
  g_assert_cmpfloat (json_object_get_double_member (o, "execution_time_seconds"), >=, 0);
  g_assert_true (json_object_get_null_member (o, "error"));
  g_assert_nonnull (json_object_get_string_member (o, "decision_summary"));
  g_assert_nonnull (json_object_get_array_member (o, "actions"));

  g_assert_true (hb_test_fake_push_content (f->env, POST_DECISION, &error));
  g_assert_no_error (error);
  post = hb_http_request (f, "POST", "/api/threads/alpha/heartbeat/run-now", NULL, NULL);
  g_assert_cmpuint (post->status, ==, 200);
  o = hb_http_object (post);
  g_assert_cmpstr (json_object_get_string_member (o, "status"), ==, "acted");
  actions = json_object_get_array_member (o, "actions");
  g_assert_cmpuint (json_array_get_length (actions), ==, 1);
  g_assert_cmpstr (json_object_get_string_member (json_array_get_object_element (actions, 0),
                                                  "action"), ==, "post");

  hist = hb_http_request (f, "GET", "/api/threads/alpha/heartbeat/history", NULL, NULL);
  g_assert_cmpuint (hist->status, ==, 200);
  g_assert_cmpint (json_object_get_int_member (hb_http_object (hist), "total_runs"), ==, 2);
  g_assert_cmpuint (json_array_get_length (activities (hist)), ==, 2);
  /* newest first */
  g_assert_cmpstr (json_object_get_string_member (json_array_get_object_element (activities (hist), 0),
                                                  "run_id"), ==,
                   json_object_get_string_member (hb_http_object (post), "run_id"));
  g_assert_true (json_object_get_boolean_member (json_array_get_object_element (activities (hist), 1),
                                                 "success"));

  one = hb_http_request (f, "GET", "/api/threads/alpha/heartbeat/history?limit=1", NULL, NULL);
  g_assert_cmpuint (json_array_get_length (activities (one)), ==, 1);
  g_assert_cmpint (json_object_get_int_member (hb_http_object (one), "total_runs"), ==, 2);

  assert_field_error (f, "GET", "/api/threads/alpha/heartbeat/history?limit=0", NULL, "limit");
  assert_field_error (f, "GET", "/api/threads/alpha/heartbeat/history?limit=abc", NULL, "limit");
  assert_field_error (f, "GET", "/api/threads/alpha/heartbeat/history?limit=100000", NULL,
                      "limit");
}

static void
test_run_now_single_flight (HbHttpFixture *f, gconstpointer data)
{
  g_autoptr(GError) error = NULL;
  HbFakeStep slow = { HB_FAKE_CONTENT, 0, (char *) "{\"action\":\"none\",\"reasoning\":\"slow\"}",
                      800 };
  HbTestFakeStats before = { 0 }, after = { 0 };
  HbHttpPending *a, *b;
  g_autoptr(HbHttpReply) ra = NULL;
  g_autoptr(HbHttpReply) rb = NULL;

  add_thread (f, "alpha", 201);
  g_assert_true (hb_test_fake_push (f->env, &slow, &error));
  g_assert_true (hb_test_fake_get_stats (f->env, &before, &error));
  a = hb_http_request_start (f, "POST", "/api/threads/alpha/heartbeat/run-now", NULL, NULL);
  b = hb_http_request_start (f, "POST", "/api/threads/alpha/heartbeat/run-now", NULL, NULL);
  ra = hb_http_request_wait (a);
  rb = hb_http_request_wait (b);
  g_assert_cmpuint (ra->status, ==, 200);
  g_assert_cmpuint (rb->status, ==, 200);
  /* One run, awaited twice: one model request. */
  g_assert_cmpstr (json_object_get_string_member (hb_http_object (ra), "run_id"), ==,
                   json_object_get_string_member (hb_http_object (rb), "run_id"));
  g_assert_true (hb_test_fake_get_stats (f->env, &after, &error));
  g_assert_cmpuint (after.requests, ==, before.requests + 1);
  hb_test_fake_stats_clear (&before);
  hb_test_fake_stats_clear (&after);
}

static void
test_heartbeat_md (HbHttpFixture *f, gconstpointer data)
{
  const char *content = "## Checklist\n- Say <script>hi</script>\n";
  g_autofree char *path = g_build_filename (hb_test_env_get_workspace (f->env), "HEARTBEAT.md",
                                            NULL);
  g_autofree char *body = NULL;
  g_autofree char *on_disk = NULL;
  g_autoptr(JsonBuilder) b = json_builder_new ();
  g_autoptr(JsonNode) n = NULL;
  g_autoptr(HbHttpReply) got = NULL;
  g_autoptr(HbHttpReply) set = NULL;
  g_autoptr(HbHttpReply) again = NULL;

  got = hb_http_request (f, "GET", "/api/heartbeat/heartbeat.md", NULL, NULL);
  g_assert_cmpuint (got->status, ==, 200);
  g_assert_cmpstr (json_object_get_string_member (hb_http_object (got), "path"), ==, path);
  g_assert_true (g_str_has_prefix (json_object_get_string_member (hb_http_object (got), "content"),
                                   "# Heartbeat"));
  g_assert_cmpfloat (json_object_get_double_member (hb_http_object (got), "last_modified"), >, 0);

  json_builder_begin_object (b);
  json_builder_set_member_name (b, "content");
  json_builder_add_string_value (b, content);
  json_builder_end_object (b);
  n = json_builder_get_root (b);
  body = json_to_string (n, FALSE);
  set = hb_http_request (f, "POST", "/api/heartbeat/heartbeat.md", body, NULL);
  g_assert_cmpuint (set->status, ==, 200);
  g_assert_cmpstr (json_object_get_string_member (hb_http_object (set), "content"), ==, content);
  g_assert_true (g_file_get_contents (path, &on_disk, NULL, NULL));
  g_assert_cmpstr (on_disk, ==, content);
  again = hb_http_request (f, "GET", "/api/heartbeat/heartbeat.md", NULL, NULL);
  g_assert_cmpstr (json_object_get_string_member (hb_http_object (again), "content"), ==, content);

  assert_field_error (f, "POST", "/api/heartbeat/heartbeat.md", "{\"content\":5}", "content");
  assert_field_error (f, "POST", "/api/heartbeat/heartbeat.md", "{}", "content");
}

static void
assert_error (HbHttpReply *r, guint status)
{
  g_assert_cmpuint (r->status, ==, status);
  g_assert_cmpstr (soup_message_headers_get_content_type (r->headers, NULL), ==,
                   "application/json");
  g_assert_nonnull (json_object_get_member (hb_http_object (r), "detail"));
}

typedef struct {
  const char *method;
  const char *path;
  const char *body;
  const char *headers[5];
  guint status;
  const char *allow;
} ErrorCase;

static const ErrorCase error_cases[] = {
  { "GET", "/api/nothing", NULL, { NULL }, 404, NULL },
  { "GET", "/api/threads/alpha/heartbeat/nothing", NULL, { NULL }, 404, NULL },
  { "GET", "/api/heartbeat/start", NULL, { NULL }, 405, "POST" },
  { "DELETE", "/api/threads/alpha/heartbeat/config", NULL, { NULL }, 405, "GET, HEAD, POST" },
  { "PUT", "/api/heartbeat/status", "{}", { NULL }, 405, "GET, HEAD" },
  { "GET", "/api/threads/a%01b/heartbeat/config", NULL, { NULL }, 400, NULL },
  /* DNS rebinding: a name that resolved to us, but is not us */
  { "GET", "/api/heartbeat/status", NULL, { "Host", "evil.example:8080", NULL }, 421, NULL },
  { "GET", "/", NULL, { "Host", "localhost.evil.example", NULL }, 421, NULL },
  /* CSRF: another site's page posting to us */
  { "POST", "/api/heartbeat/stop", NULL, { "Origin", "http://evil.example", NULL }, 403, NULL },
  { "POST", "/api/threads", "{\"thread_id\":\"x\"}", { "Origin", "null", NULL }, 403, NULL },
  /* a token sent on loopback must be the right one */
  { "GET", "/api/heartbeat/status", NULL, { "Authorization", "Bearer wrong", NULL }, 401, NULL },
};

static void
test_errors (HbHttpFixture *f, gconstpointer data)
{
  g_autofree char *origin = g_strdup (f->url);
  g_autoptr(HbHttpReply) same = NULL;
  g_autoptr(HbHttpReply) status = NULL;

  g_autoptr(HbHttpReply) start = hb_http_request (f, "POST", "/api/heartbeat/start", NULL, NULL);

  g_assert_cmpuint (start->status, ==, 200);
  add_thread (f, "alpha", 201);
  for (gsize i = 0; i < G_N_ELEMENTS (error_cases); i++)
    {
      const ErrorCase *c = &error_cases[i];
      g_autoptr(HbHttpReply) r = hb_http_request (f, c->method, c->path, c->body, c->headers);

      g_test_message ("%s %s", c->method, c->path);
      assert_error (r, c->status);
      if (c->allow != NULL)
        g_assert_cmpstr (soup_message_headers_get_one (r->headers, "Allow"), ==, c->allow);
    }
  /* Refused state changes did not happen. */
  status = hb_http_request (f, "GET", "/api/heartbeat/status", NULL, NULL);
  g_assert_true (json_object_get_boolean_member (hb_http_object (status), "enabled"));
  /* The panel's own origin is fine. */
  same = hb_http_request (f, "POST", "/api/heartbeat/stop", NULL,
                          (const char *const[]) { "Origin", origin, NULL });
  g_assert_cmpuint (same->status, ==, 200);
}

static void
test_body_limit (HbHttpFixture *f, gconstpointer data)
{
  g_autoptr(GString) big = g_string_new ("{\"content\":\"");
  g_autoptr(HbHttpReply) r = NULL;
  g_autoptr(HbHttpReply) chunked = NULL;
  g_autoptr(HbHttpReply) fits = NULL;
  g_autofree char *uri = g_strconcat (f->url, "/api/heartbeat/heartbeat.md", NULL);
  g_autoptr(SoupMessage) msg = soup_message_new ("POST", uri);
  g_autoptr(GInputStream) stream = NULL;
  g_autoptr(GBytes) bytes = NULL;
  g_autoptr(GBytes) reply = NULL;
  g_autoptr(GError) error = NULL;

  while (big->len < 70 * 1024)
    g_string_append (big, "0123456789abcdef");
  g_string_append (big, "\"}");
  r = hb_http_request (f, "POST", "/api/heartbeat/heartbeat.md", big->str, NULL);
  assert_error (r, 413);

  /* Without a length: counted as it comes. */
  bytes = g_bytes_new (big->str, big->len);
  stream = g_memory_input_stream_new_from_bytes (bytes);
  soup_message_set_request_body (msg, "application/json", stream, -1);
  reply = soup_session_send_and_read (f->session, msg, NULL, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (soup_message_get_status (msg), ==, 413);

  fits = hb_http_request (f, "POST", "/api/heartbeat/heartbeat.md",
                          "{\"content\":\"## Checklist\\n- small\\n\"}", NULL);
  g_assert_cmpuint (fits->status, ==, 200);
}

static void
test_token_on_loopback (HbHttpFixture *f, gconstpointer data)
{
  g_autofree char *path = g_build_filename (hb_test_env_get_state_dir (f->env), "http-token",
                                            NULL);
  g_autofree char *token = NULL;
  g_autofree char *auth = NULL;
  g_autoptr(HbHttpReply) r = NULL;
  GStatBuf st;

  g_assert_true (g_file_get_contents (path, &token, NULL, NULL));
  g_strstrip (token);
  g_assert_cmpint (g_stat (path, &st), ==, 0);
  g_assert_cmpuint (st.st_mode & 0777, ==, 0600);
  auth = g_strconcat ("Bearer ", token, NULL);
  r = hb_http_request (f, "GET", "/api/heartbeat/status", NULL,
                       (const char *const[]) { "Authorization", auth, NULL });
  g_assert_cmpuint (r->status, ==, 200);
}

static void
test_panel_files (HbHttpFixture *f, gconstpointer data)
{
  static const struct {
    const char *method;
    const char *path;
    const char *type;
    const char *needle;
  } files[] = {
    { "GET", "/", "text/html", "panel.js" },
    { "GET", "/index.html", "text/html", "panel.css" },
    { "GET", "/panel.js", "text/javascript", "EventSource" },
    { "GET", "/panel.css", "text/css", "{" },
    { "HEAD", "/", "text/html", NULL },
  };

  for (gsize i = 0; i < G_N_ELEMENTS (files); i++)
    {
      g_autoptr(HbHttpReply) r = hb_http_request (f, files[i].method, files[i].path, NULL, NULL);

      g_test_message ("%s %s", files[i].method, files[i].path);
      g_assert_cmpuint (r->status, ==, 200);
      g_assert_cmpstr (soup_message_headers_get_content_type (r->headers, NULL), ==,
                       files[i].type);
      g_assert_nonnull (strstr (soup_message_headers_get_one (r->headers,
                                                              "Content-Security-Policy"),
                                "script-src 'self'"));
      if (files[i].needle != NULL)
        g_assert_nonnull (strstr (r->body, files[i].needle));
      else
        g_assert_cmpstr (r->body, ==, "");
    }
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);
#define ADD(name, fn) \
  g_test_add ("/http/" name, HbHttpFixture, NULL, hb_http_fixture_setup, fn, \
              hb_http_fixture_teardown)
  ADD ("status", test_status);
  ADD ("start-stop", test_start_stop);
  ADD ("threads", test_threads);
  ADD ("config", test_config);
  ADD ("run-now-and-history", test_run_now_and_history);
  ADD ("run-now-single-flight", test_run_now_single_flight);
  ADD ("heartbeat-md", test_heartbeat_md);
  ADD ("errors", test_errors);
  ADD ("body-limit", test_body_limit);
  ADD ("token-on-loopback", test_token_on_loopback);
  ADD ("panel-files", test_panel_files);
#undef ADD
  return g_test_run ();
}
