/* test-faults-input-http.c: F4 over the HTTP bridge. Wrong methods, malformed JSON, wrong JSON
 * types, huge bodies, bad thread ids in paths, bad query strings, bad Host and Origin headers and
 * header floods, sent as raw bytes so that nothing is tidied on the way. Each must get the right
 * 4xx with a JSON body, the daemon must keep answering, and the database must be unchanged. */
#include "config.h"

#include <string.h>

#include "test-faults-common.h"
#include "test-http-client.h"

#define T "/api/threads/t1/heartbeat"

typedef struct {
  const char *method;
  const char *target;
  const char *headers;   /* extra header lines, each ending in \r\n */
  const char *body;      /* NULL: no body */
  guint status;
  gboolean lib;          /* refused by libsoup before the bridge sees it: no JSON body to ask for */
} RawCase;

static const RawCase raw_cases[] = {
  /* wrong methods and paths */
  { "PUT", "/api/threads", NULL, "{}", 405 },
  { "DELETE", T "/config", NULL, NULL, 405 },
  { "PATCH", "/api/heartbeat/heartbeat.md", NULL, "{}", 405 },
  { "GET", "/api/heartbeat/start", NULL, NULL, 405 },
  { "GET", T "/run-now", NULL, NULL, 405 },
  { "POST", "/api/heartbeat/status", NULL, "{}", 405 },
  { "POST", T "/history", NULL, "{}", 405 },
  { "OPTIONS", "/api/threads", NULL, NULL, 405 },
  { "BREW", "/api/threads", NULL, NULL, 405 },
  { "GET", "/api/nothing", NULL, NULL, 404 },
  { "GET", T "/config/extra", NULL, NULL, 404 },
  { "GET", "/api/threads/t1", NULL, NULL, 404 },
  /* malformed JSON and wrong JSON types */
  { "POST", "/api/threads", NULL, "{", 400 },
  { "POST", "/api/threads", NULL, "{\"thread_id\":", 400 },
  { "POST", "/api/threads", NULL, "{\"thread_id\":\"x\"", 400 },
  { "POST", "/api/threads", NULL, "\xff\xfe{}", 400 },
  { "POST", "/api/threads", NULL, "{\"thread_id\": NaN}", 400 },
  { "POST", "/api/threads", NULL, "", 422 },
  { "POST", "/api/threads", NULL, "[]", 422 },
  { "POST", "/api/threads", NULL, "null", 422 },
  { "POST", "/api/threads", NULL, "1", 422 },
  { "POST", "/api/threads", NULL, "\"t2\"", 422 },
  { "POST", "/api/threads", NULL, "{\"thread_id\":5}", 422 },
  { "POST", "/api/threads", NULL, "{\"thread_id\":true}", 422 },
  { "POST", "/api/threads", NULL, "{\"thread_id\":null}", 422 },
  { "POST", "/api/threads", NULL, "{\"thread_id\":[\"t2\"]}", 422 },
  { "POST", "/api/threads", NULL, "{\"thread_id\":{}}", 422 },
  { "POST", "/api/threads", NULL, "{\"thread_id\":\"\"}", 422 },
  { "POST", "/api/threads", NULL, "{\"thread_id\":\"a\\u0001b\"}", 422 },
  { "POST", "/api/threads", NULL, "{\"id\":\"t2\"}", 422 },
  { "POST", T "/config", NULL, "{\"every\":\"often\"}", 422 },
  { "POST", T "/config", NULL, "{\"every\":-1}", 422 },
  { "POST", T "/config", NULL, "{\"every\":1e400}", 422 },
  { "POST", T "/config", NULL, "{\"every\":99999999999999999999}", 422 },
  { "POST", T "/config", NULL, "{\"every\":60.5}", 422 },
  { "POST", T "/config", NULL, "{\"temperature\":\"hot\"}", 422 },
  { "POST", T "/config", NULL, "{\"temperature\":1e999}", 422 },
  { "POST", T "/config", NULL, "{\"temperature\":-0.5}", 422 },
  { "POST", T "/config", NULL, "{\"max_tokens\":1.5}", 422 },
  { "POST", T "/config", NULL, "{\"max_tokens\":4001}", 422 },
  { "POST", T "/config", NULL, "{\"enabled\":\"yes\"}", 422 },
  { "POST", T "/config", NULL, "{\"dry_run\":1}", 422 },
  { "POST", T "/config", NULL, "{\"target\":5}", 422 },
  { "POST", T "/config", NULL, "{\"model\":[]}", 422 },
  { "POST", T "/config", NULL, "{\"timezone\":{}}", 422 },
  { "POST", T "/config", NULL, "{\"timezone\":\"../../etc/passwd\"}", 422 },
  { "POST", T "/config", NULL, "{\"active_hours_start\":7}", 422 },
  { "POST", T "/config", NULL, "{\"active_hours_start\":\"09:00\",\"active_hours_end\":\"09:00\"}", 422 },
  { "POST", T "/config", NULL, "{\"bogus\":1}", 422 },
  { "POST", T "/config", NULL, "{\"every\":600,\"bogus\":1}", 422 },
  { "POST", T "/config", NULL, "[{\"every\":600}]", 422 },
  { "POST", T "/config", NULL, "{\"every\":", 400 },
  { "POST", "/api/heartbeat/heartbeat.md", NULL, "{\"content\":5}", 422 },
  { "POST", "/api/heartbeat/heartbeat.md", NULL, "{\"content\":null}", 422 },
  { "POST", "/api/heartbeat/heartbeat.md", NULL, "{}", 422 },
  { "POST", "/api/heartbeat/heartbeat.md", NULL, "{\"content\":[\"# md\"]}", 422 },
  /* bad thread ids in paths */
  { "GET", "/api/threads/%00/heartbeat/config", NULL, NULL, 400 },
  { "POST", "/api/threads/%00/heartbeat/run-now", NULL, "{}", 400 },
  { "GET", "/api/threads/t1%00/heartbeat/config", NULL, NULL, 400 },
  { "GET", "/api/threads/%0a/heartbeat/config", NULL, NULL, 400 },
  { "GET", "/api/threads/%1b%5b2J/heartbeat/history", NULL, NULL, 400 },
  { "GET", "/api/threads/%ZZ/heartbeat/config", NULL, NULL, 400, TRUE },
  { "GET", "/api/threads/%/heartbeat/config", NULL, NULL, 400, TRUE },
  { "GET", "/api/threads//heartbeat/config", NULL, NULL, 400 },
  { "GET", "/api/threads/%2e%2e/heartbeat/config", NULL, NULL, 404 },
  { "GET", "/api/threads/a%2Fb/heartbeat/config", NULL, NULL, 404 },
  { "GET", "/api/threads/%2F/heartbeat/config", NULL, NULL, 404 },
  { "POST", "/api/threads/nobody/heartbeat/run-now", NULL, "{}", 404 },
  { "POST", "/api/threads/nobody/heartbeat/config", NULL, "{\"every\":600}", 404 },
  /* bad query strings */
  { "GET", T "/history?limit=abc", NULL, NULL, 422 },
  { "GET", T "/history?limit=0", NULL, NULL, 422 },
  { "GET", T "/history?limit=-1", NULL, NULL, 422 },
  { "GET", T "/history?limit=501", NULL, NULL, 422 },
  { "GET", T "/history?limit=99999999999999999999", NULL, NULL, 422 },
  { "GET", T "/history?limit=1e3", NULL, NULL, 422 },
  { "GET", T "/history?limit=%00", NULL, NULL, 422 },
  { "GET", T "/history?limit=5%00", NULL, NULL, 422 },
  { "GET", T "/history?limit=", NULL, NULL, 422 },
  { "GET", T "/history?limit= 5", NULL, NULL, 400, TRUE },
  /* Host, Origin, bearer */
  { "GET", "/api/heartbeat/status", "Host: evil.example\r\n", NULL, 421 },
  { "GET", "/api/heartbeat/status", "Host: evil.example:80\r\n", NULL, 421 },
  { "GET", "/api/heartbeat/status", "Host: 127.0.0.1:99999\r\n", NULL, 400, TRUE },
  { "GET", "/api/heartbeat/status", "Host: [::1\r\n", NULL, 400, TRUE },
  { "GET", "/api/heartbeat/status", "Host: 127.0.0.1.evil.example\r\n", NULL, 421 },
  { "GET", "/api/heartbeat/status", "Host: 0x7f.1\r\n", NULL, 421 },
  { "POST", "/api/heartbeat/stop", "Origin: http://evil.example\r\n", "{}", 403 },
  { "POST", "/api/heartbeat/stop", "Origin: null\r\n", "{}", 403 },
  { "POST", "/api/threads", "Origin: http://127.0.0.1.evil.example\r\n", "{\"thread_id\":\"t2\"}", 403 },
  { "POST", "/api/threads", "Authorization: Bearer wrong\r\n", "{\"thread_id\":\"t2\"}", 401 },
  { "GET", "/api/heartbeat/status", "Authorization: Basic dXNlcjpwYXNz\r\n", NULL, 401 },
};

/* ---- raw requests ------------------------------------------------------------------------------ */

typedef struct {
  guint status;
  char *headers;
  char *body;
} RawReply;

static void
raw_reply_free (RawReply *r)
{
  g_free (r->headers);
  g_free (r->body);
  g_free (r);
}
G_DEFINE_AUTOPTR_CLEANUP_FUNC (RawReply, raw_reply_free)

static guint16
fixture_port (HbHttpFixture *f)
{
  const char *colon = strrchr (f->url, ':');

  g_assert_nonnull (colon);
  return (guint16) g_ascii_strtoull (colon + 1, NULL, 10);
}

/* Send @request as it is and read the reply to its end (the daemon is another process, so a
 * blocking socket is fine here). NULL when the connection ended without a status line. */
static RawReply *
raw_exchange (HbHttpFixture *f, GBytes *request, GError **error)
{
  g_autoptr(GSocketClient) client = g_socket_client_new ();
  g_autoptr(GSocketConnection) conn = NULL;
  g_autoptr(GByteArray) in = g_byte_array_new ();
  g_autofree char *text = NULL;
  GOutputStream *out;
  RawReply *r;
  char buf[65536];
  const char *end;
  gssize n;

  /* A reply that does not come within seconds is not coming. */
  g_socket_client_set_timeout (client, 5);
  conn = g_socket_client_connect_to_host (client, "127.0.0.1", fixture_port (f), NULL, error);
  if (conn == NULL)
    return NULL;
  out = g_io_stream_get_output_stream (G_IO_STREAM (conn));
  /* The daemon may answer and close before it has read everything: that is allowed. */
  g_output_stream_write_all (out, g_bytes_get_data (request, NULL), g_bytes_get_size (request),
                             NULL, NULL, NULL);
  while ((n = g_input_stream_read (g_io_stream_get_input_stream (G_IO_STREAM (conn)), buf,
                                   sizeof buf, NULL, NULL)) > 0)
    g_byte_array_append (in, (guint8 *) buf, n);
  if (in->len == 0)
    return NULL;
  text = g_strndup ((const char *) in->data, in->len);
  end = strstr (text, "\r\n\r\n");
  if (!g_str_has_prefix (text, "HTTP/1.") || end == NULL)
    return NULL;
  r = g_new0 (RawReply, 1);
  r->status = (guint) g_ascii_strtoull (text + 9, NULL, 10);
  r->headers = g_strndup (text, end - text);
  r->body = g_strdup (end + 4);
  return r;
}

static GBytes *
request_bytes (HbHttpFixture *f, const char *method, const char *target, const char *headers,
               const char *body, gsize body_len)
{
  GString *s = g_string_new (NULL);

  g_string_append_printf (s, "%s %s HTTP/1.1\r\n", method, target);
  if (headers == NULL || strstr (headers, "Host:") == NULL)
    g_string_append_printf (s, "Host: 127.0.0.1:%u\r\n", fixture_port (f));
  if (headers != NULL)
    g_string_append (s, headers);
  g_string_append (s, "Connection: close\r\n");
  if (body != NULL)
    g_string_append_printf (s, "Content-Type: application/json\r\nContent-Length: %"
                            G_GSIZE_FORMAT "\r\n", body_len);
  g_string_append (s, "\r\n");
  if (body != NULL)
    g_string_append_len (s, body, body_len);
  return g_string_free_to_bytes (s);
}

/* The reply is @status with a JSON object holding "detail" (with @lib: @status, or the connection
 * closed without one); a problem is added otherwise. */
static void
check_reply (GString *problems, const char *what, RawReply *r, guint status, gboolean lib)
{
  g_autoptr(JsonNode) json = r != NULL ? json_from_string (r->body, NULL) : NULL;
  g_autofree char *lower = r != NULL ? g_ascii_strdown (r->headers, -1) : NULL;

  g_test_message ("%s -> %u %.120s", what, r != NULL ? r->status : 0,
                  r != NULL ? r->body : "(no reply)");
  if (r == NULL && lib)
    return;
  if (r == NULL)
    g_string_append_printf (problems, "%s: no HTTP reply\n", what);
  else if (r->status != status)
    g_string_append_printf (problems, "%s: %u %.120s, expected %u\n", what, r->status, r->body,
                            status);
  else if (lib)
    return;
  else if (strstr (lower, "content-type: application/json") == NULL || json == NULL ||
           !JSON_NODE_HOLDS_OBJECT (json) ||
           !json_object_has_member (json_node_get_object (json), "detail"))
    g_string_append_printf (problems, "%s: %u without a JSON error body: %.120s\n", what,
                            r->status, r->body);
}

/* Takes @request. */
static void
check_raw (HbHttpFixture *f, GString *problems, const char *what, GBytes *request, guint status,
           gboolean lib)
{
  g_autoptr(GBytes) owned = request;
  g_autoptr(GError) error = NULL;
  g_autoptr(RawReply) r = raw_exchange (f, owned, &error);

  g_assert_no_error (error);
  check_reply (problems, what, r, status, lib);
}

/* ---- requests that are built ------------------------------------------------------------------- */

static GBytes *
huge_body_request (HbHttpFixture *f, gsize size)
{
  g_autofree char *body = g_malloc (size);

  memset (body, ' ', size);
  memcpy (body, "{\"thread_id\":\"t2\"}", 18);
  return request_bytes (f, "POST", "/api/threads", NULL, body, size);
}

static GBytes *
huge_chunked_request (HbHttpFixture *f, gsize size)
{
  GString *s = g_string_new (NULL);

  g_string_append_printf (s, "POST /api/threads HTTP/1.1\r\nHost: 127.0.0.1:%u\r\n"
                          "Connection: close\r\nTransfer-Encoding: chunked\r\n\r\n",
                          fixture_port (f));
  for (gsize sent = 0; sent < size; sent += 4096)
    {
      g_string_append (s, "1000\r\n");
      for (guint i = 0; i < 4096; i++)
        g_string_append_c (s, ' ');
      g_string_append (s, "\r\n");
    }
  g_string_append (s, "0\r\n\r\n");
  return g_string_free_to_bytes (s);
}

static GBytes *
header_flood_request (HbHttpFixture *f, guint count, gsize value_len)
{
  g_autofree char *value = g_strnfill (value_len, 'v');
  GString *h = g_string_new (NULL);
  g_autofree char *headers = NULL;

  for (guint i = 0; i < count; i++)
    g_string_append_printf (h, "X-Flood-%u: %s\r\n", i, value);
  headers = g_string_free (h, FALSE);
  return request_bytes (f, "POST", "/api/threads", headers, "{\"thread_id\":5}", 15);
}

/* ---- the test ----------------------------------------------------------------------------------- */

static void
test_bad_http_input (HbHttpFixture *f, gconstpointer data)
{
  g_autoptr(GString) problems = g_string_new (NULL);
  g_autoptr(GError) error = NULL;
  g_autofree char *before = NULL;
  g_autofree char *after = NULL;
  g_autofree char *long_id = g_strnfill (2048, 'x');
  g_autofree char *long_path = g_strdup_printf ("/api/threads/%s/heartbeat/config", long_id);
  g_autofree char *nul_body = NULL;
  const char *db = hb_test_env_get_db_path (f->env);

  /* A thread with a setting and a run, so that every table the API can touch holds a row. */
  {
    g_autoptr(HbHttpReply) add = hb_http_request (f, "POST", "/api/threads",
                                                  "{\"thread_id\":\"t1\"}", NULL);
    g_autoptr(HbHttpReply) set = hb_http_request (f, "POST", T "/config", "{\"every\":600}", NULL);
    g_autoptr(HbHttpReply) run = hb_http_request (f, "POST", T "/run-now", "{}", NULL);

    g_assert_cmpuint (add->status, ==, 201);
    g_assert_cmpuint (set->status, ==, 200);
    g_assert_cmpuint (run->status, ==, 200);
  }
  g_assert_true (faults_wait_db_settled (hb_test_env_get_db_path (f->env)));
  before = faults_db_dump (db);

  for (gsize i = 0; i < G_N_ELEMENTS (raw_cases); i++)
    {
      const RawCase *c = &raw_cases[i];
      g_autofree char *what = g_strdup_printf ("%s %s %s%s", c->method, c->target,
                                               c->headers != NULL ? c->headers : "",
                                               c->body != NULL ? c->body : "");

      check_raw (f, problems, what,
                 request_bytes (f, c->method, c->target, c->headers, c->body,
                                c->body != NULL ? strlen (c->body) : 0),
                 c->status, c->lib);
    }

  /* Bodies: a NUL inside, over the 64 KiB cap (with a length, chunked, announced only). */
  nul_body = g_memdup2 ("{\"thread_id\":\"t2\0\"}", 19);
  check_raw (f, problems, "body with a NUL byte",
             request_bytes (f, "POST", "/api/threads", NULL, nul_body, 19), 400, FALSE);
  check_raw (f, problems, "100 KB body", huge_body_request (f, 100 * 1024), 413, FALSE);
  check_raw (f, problems, "2 MB body", huge_body_request (f, 2 * 1024 * 1024), 413, FALSE);
  check_raw (f, problems, "100 KB chunked body", huge_chunked_request (f, 100 * 1024), 413, FALSE);
  check_raw (f, problems, "10 GB announced, 100-continue",
             request_bytes (f, "POST", "/api/threads",
                            "Content-Length: 10737418240\r\nExpect: 100-continue\r\n", NULL, 0),
             413, FALSE);
  check_raw (f, problems, "10 GB announced",
             request_bytes (f, "POST", "/api/threads", "Content-Length: 10737418240\r\n", NULL, 0),
             413, FALSE);
  check_raw (f, problems, "2 KB thread id in the path",
             request_bytes (f, "GET", long_path, NULL, NULL, 0), 400, FALSE);
  /* Header floods: the request is refused (by the bridge or by libsoup), never served. */
  check_raw (f, problems, "1000 headers", header_flood_request (f, 1000, 20), 422, FALSE);
  check_raw (f, problems, "one 200 KB header", header_flood_request (f, 1, 200 * 1024), 400, TRUE);

  {
    g_autoptr(HbHttpReply) status = hb_http_request (f, "GET", "/api/heartbeat/status", NULL, NULL);

    if (status->status != 200)
      g_string_append_printf (problems, "status afterwards: %u\n", status->status);
  }
  if (!faults_daemon_answers (hb_test_env_get_connection (f->env), &error))
    g_string_append_printf (problems, "the daemon does not answer afterwards: %s\n",
                            error->message);
  after = faults_db_dump (db);
  if (g_strcmp0 (before, after) != 0)
    {
      g_autofree char *diff = faults_dump_difference (before, after);

      g_string_append_printf (problems, "the database changed: %s\n", diff);
    }
  if (problems->len > 0)
    g_test_fail_printf ("%s", problems->str);
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);

  g_test_add ("/faults/input/http", HbHttpFixture, NULL, hb_http_fixture_setup,
              test_bad_http_input, hb_http_fixture_teardown);

  return g_test_run ();
}
