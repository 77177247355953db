/* test-http-events.c: the bridge's event stream (two clients, one leaving mid-stream), and when
 * the bridge is on at all: off by default, on from the config file, a non-loopback address only
 * with the bearer token. */
#include "config.h"

#include <glib/gstdio.h>
#include <string.h>

#include "test-http-client.h"

static void
add_thread (HbHttpFixture *f, const char *id)
{
  g_autofree char *body = g_strdup_printf ("{\"thread_id\":\"%s\"}", id);
  g_autoptr(HbHttpReply) r = hb_http_request (f, "POST", "/api/threads", body, NULL);

  g_assert_cmpuint (r->status, ==, 201);
}

static char *
run_now (HbHttpFixture *f, const char *id)
{
  g_autofree char *path = g_strdup_printf ("/api/threads/%s/heartbeat/run-now", id);
  g_autoptr(HbHttpReply) r = hb_http_request (f, "POST", path, NULL, NULL);

  g_assert_cmpuint (r->status, ==, 200);
  return g_strdup (json_object_get_string_member (hb_http_object (r), "run_id"));
}

static void
assert_run_events (HbSseClient *c, const char *run_id)
{
  g_autoptr(JsonObject) started = hb_sse_client_wait (c, "run-started", "run_id", run_id,
                                                      HB_TEST_TIMEOUT_MS);
  g_autoptr(JsonObject) done = hb_sse_client_wait (c, "run-completed", "run_id", run_id,
                                                   HB_TEST_TIMEOUT_MS);

  g_assert_nonnull (started);
  g_assert_cmpstr (json_object_get_string_member (started, "thread_id"), ==, "alpha");
  g_assert_nonnull (done);
  g_assert_cmpstr (json_object_get_string_member (done, "status"), ==, "no-action");
  g_assert_cmpstr (json_object_get_string_member (done, "action"), ==, "none");
  g_assert_nonnull (json_object_get_string_member (done, "summary"));
}

static void
test_two_clients (HbHttpFixture *f, gconstpointer data)
{
  HbSseClient *a, *b;
  g_autofree char *run_id = NULL;
  g_autoptr(HbHttpReply) set = NULL;
  g_autoptr(HbHttpReply) stop = NULL;
  g_autoptr(HbHttpReply) start = NULL;
  g_autoptr(JsonObject) cfg_a = NULL;
  g_autoptr(JsonObject) cfg_b = NULL;
  g_autoptr(JsonObject) status = NULL;
  guint comments;

  add_thread (f, "alpha");
  a = hb_sse_client_new (f);
  b = hb_sse_client_new (f);
  g_assert_cmpint (hb_http_event_clients (f), ==, 2);

  run_id = run_now (f, "alpha");
  assert_run_events (a, run_id);
  assert_run_events (b, run_id);

  set = hb_http_request (f, "POST", "/api/threads/alpha/heartbeat/config", "{\"every\":300}",
                         NULL);
  g_assert_cmpuint (set->status, ==, 200);
  cfg_a = hb_sse_client_wait (a, "config", "thread_id", "alpha", HB_TEST_TIMEOUT_MS);
  cfg_b = hb_sse_client_wait (b, "config", "thread_id", "alpha", HB_TEST_TIMEOUT_MS);
  g_assert_nonnull (cfg_a);
  g_assert_nonnull (cfg_b);
  g_assert_cmpint (json_object_get_int_member (json_object_get_object_member (cfg_a, "config"),
                                               "every"), ==, 300);

  start = hb_http_request (f, "POST", "/api/heartbeat/start", NULL, NULL);
  g_assert_cmpuint (start->status, ==, 200);
  stop = hb_http_request (f, "POST", "/api/heartbeat/stop", NULL, NULL);
  g_assert_cmpuint (stop->status, ==, 200);
  status = hb_sse_client_wait (a, "status", NULL, NULL, HB_TEST_TIMEOUT_MS);
  g_assert_nonnull (status);
  /* Status events may come for other reasons too: wait for the one that says stopped. */
  while (status != NULL && json_object_get_boolean_member (status, "enabled"))
    {
      json_object_unref (status);
      status = hb_sse_client_wait (a, "status", NULL, NULL, HB_TEST_TIMEOUT_MS);
    }
  g_assert_nonnull (status);

  /* Keep-alive comments (every 200 ms here, 15 s by default). */
  comments = hb_sse_client_get_comments (b);
  g_assert_true (hb_sse_client_wait_comment (b, comments, HB_TEST_TIMEOUT_MS));

  hb_sse_client_free (a);
  hb_sse_client_free (b);
}

/* Wait until the daemon counts @want event clients; @watcher (a client that stays) sees the
 * keep-alives that make the daemon notice a client gone. */
static void
wait_event_clients (HbHttpFixture *f, HbSseClient *watcher, gint64 want)
{
  gint64 clients = hb_http_event_clients (f);

  for (guint i = 0; i < 50 && clients != want; i++)
    {
      g_assert_true (hb_sse_client_wait_comment (watcher, hb_sse_client_get_comments (watcher),
                                                 HB_TEST_TIMEOUT_MS));
      clients = hb_http_event_clients (f);
    }
  g_assert_cmpint (clients, ==, want);
}

static void
test_client_leaves (HbHttpFixture *f, gconstpointer data)
{
  HbSseClient *stays, *leaves, *probe;
  g_autofree char *run_id = NULL;

  add_thread (f, "alpha");
  stays = hb_sse_client_new (f);
  leaves = hb_sse_client_new (f);
  g_assert_cmpint (hb_http_event_clients (f), ==, 2);

  /* Gone mid-stream: noticed at the next write to it, a keep-alive at the latest. */
  hb_sse_client_free (leaves);
  wait_event_clients (f, stays, 1);

  /* The daemon goes on serving the others. */
  run_id = run_now (f, "alpha");
  assert_run_events (stays, run_id);

  hb_sse_client_free (stays);
  probe = hb_sse_client_new (f);
  wait_event_clients (f, probe, 1);
  hb_sse_client_free (probe);
  g_assert_true (hb_test_daemon_is_running (f->daemon));
}

/* ---- when the bridge is on ---------------------------------------------------------------------- */

static void
empty_setup (HbHttpFixture *f, gconstpointer data)
{
  memset (f, 0, sizeof *f);
  f->env = hb_test_env_new (NULL);
}

static void
test_off_by_default (HbHttpFixture *f, gconstpointer data)
{
  g_autoptr(GError) error = NULL;
  g_autofree char *log = NULL;
  g_autofree char *token = g_build_filename (hb_test_env_get_state_dir (f->env), "http-token",
                                             NULL);

  f->daemon = hb_test_daemon_start (f->env, NULL, &error);
  g_assert_no_error (error);
  log = hb_test_daemon_read_log (f->daemon);
  g_assert_null (strstr (log, "HTTP bridge on"));
  g_assert_false (g_file_test (token, G_FILE_TEST_EXISTS));
}

static void
test_config_file (HbHttpFixture *f, gconstpointer data)
{
  g_autoptr(GError) error = NULL;
  g_autofree char *conf = g_build_filename (hb_test_env_get_tmpdir (f->env), "heartbeat.conf",
                                            NULL);
  g_autofree char *arg = g_strdup_printf ("--config=%s", conf);
  g_autoptr(HbHttpReply) r = NULL;

  g_assert_true (g_file_set_contents (conf, "[http]\nlisten=127.0.0.1:0\n", -1, NULL));
  g_assert_true (hb_http_fixture_start (f, (const char *const[]) { arg, NULL }, NULL, &error));
  g_assert_no_error (error);
  g_assert_true (g_str_has_prefix (f->url, "http://127.0.0.1:"));
  r = hb_http_request (f, "GET", "/api/heartbeat/status", NULL, NULL);
  g_assert_cmpuint (r->status, ==, 200);
}

static void
test_public_needs_token (HbHttpFixture *f, gconstpointer data)
{
  g_autoptr(GError) error = NULL;
  g_autofree char *path = g_build_filename (hb_test_env_get_state_dir (f->env), "http-token",
                                            NULL);
  g_autofree char *auth = NULL;
  g_autoptr(HbHttpReply) without = NULL;
  g_autoptr(HbHttpReply) wrong = NULL;
  g_autoptr(HbHttpReply) with = NULL;

  g_assert_true (g_file_set_contents (path, "s3cret-token\n", -1, NULL));
  g_assert_cmpint (g_chmod (path, 0600), ==, 0);
  g_assert_true (hb_http_fixture_start (f, (const char *const[]) { "--http=0.0.0.0:0", NULL },
                                        NULL, &error));
  g_assert_no_error (error);

  without = hb_http_request (f, "GET", "/api/heartbeat/status", NULL, NULL);
  g_assert_cmpuint (without->status, ==, 401);
  g_assert_nonnull (soup_message_headers_get_one (without->headers, "WWW-Authenticate"));
  wrong = hb_http_request (f, "GET", "/", NULL,
                           (const char *const[]) { "Authorization", "Bearer s3cret-tokeN", NULL });
  g_assert_cmpuint (wrong->status, ==, 401);
  auth = g_strdup ("Bearer s3cret-token");
  with = hb_http_request (f, "GET", "/api/heartbeat/status", NULL,
                          (const char *const[]) { "Authorization", auth, NULL });
  g_assert_cmpuint (with->status, ==, 200);
}

static void
test_public_refuses_without_token (HbHttpFixture *f, gconstpointer data)
{
  g_autoptr(GError) error = NULL;
  g_autofree char *path = g_build_filename (hb_test_env_get_state_dir (f->env), "http-token",
                                            NULL);
  g_autofree char *log = NULL;
  HbTestDaemonOptions options = { (const char *const[]) { "--http=0.0.0.0:0", NULL } };
  HbTestDaemon *d;
  int status = -1;

  /* A token file that cannot be read or made (a directory in its place). */
  g_assert_cmpint (g_mkdir_with_parents (path, 0700), ==, 0);
  d = hb_test_daemon_spawn (f->env, &options, &error);
  g_assert_no_error (error);
  g_assert_true (hb_test_daemon_wait_exit (d, HB_TEST_TIMEOUT_MS, &status, &error));
  g_assert_cmpint (status, ==, 1);
  log = hb_test_daemon_read_log (d);
  g_assert_nonnull (strstr (log, "without a bearer token"));
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);
  g_test_add ("/http/events/two-clients", HbHttpFixture, NULL, hb_http_fixture_setup,
              test_two_clients, hb_http_fixture_teardown);
  g_test_add ("/http/events/client-leaves", HbHttpFixture, NULL, hb_http_fixture_setup,
              test_client_leaves, hb_http_fixture_teardown);
  g_test_add ("/http/bridge/off-by-default", HbHttpFixture, NULL, empty_setup,
              test_off_by_default, hb_http_fixture_teardown);
  g_test_add ("/http/bridge/config-file", HbHttpFixture, NULL, empty_setup, test_config_file,
              hb_http_fixture_teardown);
  g_test_add ("/http/bridge/public-needs-token", HbHttpFixture, NULL, empty_setup,
              test_public_needs_token, hb_http_fixture_teardown);
  g_test_add ("/http/bridge/public-refuses-without-token", HbHttpFixture, NULL, empty_setup,
              test_public_refuses_without_token, hb_http_fixture_teardown);
  return g_test_run ();
}
