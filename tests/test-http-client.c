/* test-http-client.c: the bridge tests' daemon fixture, request helper and SSE reader */
#include "config.h"

#include <string.h>

#include "test-http-client.h"

#define HEARTBEAT_MD "# Heartbeat\n\n## Checklist\n- Look at the forum and decide.\n"

/* ---- the fixture ------------------------------------------------------------------------------ */

static gboolean
url_file_ready (gpointer user_data)
{
  return g_file_test (user_data, G_FILE_TEST_EXISTS);
}

gboolean
hb_http_fixture_start (HbHttpFixture *f, const char *const *args, const char *const *envp,
                       GError **error)
{
  g_autofree char *md = NULL;
  g_autofree char *url_arg = NULL;
  g_autofree char *panel = NULL;
  g_autofree char *panel_env = NULL;
  g_autoptr(GPtrArray) argv = g_ptr_array_new ();
  g_autoptr(GPtrArray) env = g_ptr_array_new ();
  HbTestDaemonOptions options = { 0 };
  gboolean has_http = FALSE;

  if (f->env == NULL)
    f->env = hb_test_env_new (NULL);
  md = g_build_filename (hb_test_env_get_workspace (f->env), "HEARTBEAT.md", NULL);
  if (!g_file_test (md, G_FILE_TEST_EXISTS))
    g_assert_true (g_file_set_contents (md, HEARTBEAT_MD, -1, NULL));

  g_free (f->url_file);
  f->url_file = g_build_filename (hb_test_env_get_tmpdir (f->env), "http-url", NULL);
  url_arg = g_strdup_printf ("--http-url-file=%s", f->url_file);
  for (guint i = 0; args != NULL && args[i] != NULL; i++)
    {
      has_http |= g_str_has_prefix (args[i], "--http=") || g_str_has_prefix (args[i], "--config");
      g_ptr_array_add (argv, (char *) args[i]);
    }
  if (!has_http)
    g_ptr_array_add (argv, (char *) "--http=127.0.0.1:0");
  g_ptr_array_add (argv, url_arg);
  g_ptr_array_add (argv, NULL);

  panel = g_test_build_filename (G_TEST_DIST, "..", "data", "panel", NULL);
  panel_env = g_strdup_printf ("HB_PANEL_DIR=%s", panel);
  g_ptr_array_add (env, panel_env);
  g_ptr_array_add (env, (char *) "HB_HTTP_KEEPALIVE_MS=200");
  for (guint i = 0; envp != NULL && envp[i] != NULL; i++)
    g_ptr_array_add (env, (char *) envp[i]);
  g_ptr_array_add (env, NULL);

  options.args = (const char *const *) argv->pdata;
  options.env = (const char *const *) env->pdata;
  f->daemon = hb_test_daemon_start (f->env, &options, error);
  if (f->daemon == NULL)
    return FALSE;
  /* The bridge listens before the daemon takes its name: the file is there now. */
  if (!hb_test_wait_until (url_file_ready, f->url_file, HB_TEST_TIMEOUT_MS))
    {
      g_set_error (error, G_IO_ERROR, G_IO_ERROR_TIMED_OUT, "no %s", f->url_file);
      return FALSE;
    }
  g_clear_pointer (&f->url, g_free);
  g_assert_true (g_file_get_contents (f->url_file, &f->url, NULL, NULL));
  if (f->session == NULL)
    f->session = g_object_new (SOUP_TYPE_SESSION, "max-conns", 64, "max-conns-per-host", 32,
                               "timeout", 60, "idle-timeout", 60, NULL);
  return TRUE;
}

void
hb_http_fixture_setup (HbHttpFixture *f, gconstpointer data)
{
  g_autoptr(GError) error = NULL;

  memset (f, 0, sizeof *f);
  g_assert_true (hb_http_fixture_start (f, NULL, NULL, &error));
  g_assert_no_error (error);
}

void
hb_http_fixture_teardown (HbHttpFixture *f, gconstpointer data)
{
  g_clear_object (&f->session);
  g_clear_pointer (&f->env, hb_test_env_free);
  g_free (f->url);
  g_free (f->url_file);
}

/* ---- requests ----------------------------------------------------------------------------------- */

struct _HbHttpPending
{
  SoupMessage *msg;
  GBytes *bytes;
  GError *error;
  gboolean done;
};

void
hb_http_reply_free (HbHttpReply *r)
{
  g_free (r->body);
  g_clear_pointer (&r->json, json_node_unref);
  g_clear_pointer (&r->headers, soup_message_headers_unref);
  g_free (r);
}

static void
on_sent (GObject *source, GAsyncResult *res, gpointer user_data)
{
  HbHttpPending *p = user_data;

  p->bytes = soup_session_send_and_read_finish (SOUP_SESSION (source), res, &p->error);
  p->done = TRUE;
}

static gboolean
pending_done (gpointer user_data)
{
  return ((HbHttpPending *) user_data)->done;
}

HbHttpPending *
hb_http_request_start (HbHttpFixture *f, const char *method, const char *path, const char *body,
                       const char *const *headers)
{
  g_autofree char *uri = g_strconcat (f->url, path, NULL);
  HbHttpPending *p = g_new0 (HbHttpPending, 1);
  SoupMessageHeaders *h;

  p->msg = soup_message_new (method, uri);
  g_assert_nonnull (p->msg);
  h = soup_message_get_request_headers (p->msg);
  for (guint i = 0; headers != NULL && headers[i] != NULL; i += 2)
    soup_message_headers_replace (h, headers[i], headers[i + 1]);
  if (body != NULL)
    {
      g_autoptr(GBytes) b = g_bytes_new (body, strlen (body));

      soup_message_set_request_body_from_bytes (p->msg, "application/json", b);
    }
  soup_session_send_and_read_async (f->session, p->msg, G_PRIORITY_DEFAULT, NULL, on_sent, p);
  return p;
}

HbHttpReply *
hb_http_request_wait (HbHttpPending *p)
{
  HbHttpReply *r = g_new0 (HbHttpReply, 1);
  gsize len = 0;
  const char *data;

  g_assert_true (hb_test_wait_until (pending_done, p, 60000));
  g_assert_no_error (p->error);
  r->status = soup_message_get_status (p->msg);
  r->headers = soup_message_headers_ref (soup_message_get_response_headers (p->msg));
  data = g_bytes_get_data (p->bytes, &len);
  r->body = g_strndup (data != NULL ? data : "", len);
  r->json = json_from_string (r->body, NULL);
  g_bytes_unref (p->bytes);
  g_object_unref (p->msg);
  g_free (p);
  return r;
}

HbHttpReply *
hb_http_request (HbHttpFixture *f, const char *method, const char *path, const char *body,
                 const char *const *headers)
{
  return hb_http_request_wait (hb_http_request_start (f, method, path, body, headers));
}

JsonObject *
hb_http_object (HbHttpReply *r)
{
  if (r->json == NULL || !JSON_NODE_HOLDS_OBJECT (r->json))
    g_error ("Not a JSON object (status %u): %s", r->status, r->body);
  return json_node_get_object (r->json);
}

const char *
hb_http_detail_field (HbHttpReply *r, guint i)
{
  JsonNode *detail = json_object_get_member (hb_http_object (r), "detail");
  JsonArray *a;

  g_assert_nonnull (detail);
  g_assert_true (JSON_NODE_HOLDS_ARRAY (detail));
  a = json_node_get_array (detail);
  g_assert_cmpuint (json_array_get_length (a), >, i);
  g_assert_nonnull (json_object_get_string_member (json_array_get_object_element (a, i),
                                                   "message"));
  return json_object_get_string_member (json_array_get_object_element (a, i), "field");
}

const char *
hb_http_detail (HbHttpReply *r)
{
  JsonNode *detail = json_object_get_member (hb_http_object (r), "detail");

  g_assert_nonnull (detail);
  g_assert_true (JSON_NODE_HOLDS_VALUE (detail));
  return json_node_get_string (detail);
}

gint64
hb_http_event_clients (HbHttpFixture *f)
{
  g_autoptr(HbHttpReply) r = hb_http_request (f, "GET", "/api/heartbeat/status", NULL, NULL);

  g_assert_cmpuint (r->status, ==, 200);
  return json_object_get_int_member (hb_http_object (r), "event_clients");
}

/* ---- the SSE reader ------------------------------------------------------------------------------- */

typedef struct {
  char *event;
  JsonObject *data;
} SseEvent;

struct _HbSseClient
{
  SoupMessage *msg;
  GDataInputStream *in;
  GCancellable *cancel;
  GPtrArray *events;       /* SseEvent* */
  guint next;              /* first event not yet returned */
  guint comments;
  char *event;             /* the event being read */
  GString *data;
  gboolean failed;
  gboolean reading;
};

static void
sse_event_free (SseEvent *e)
{
  g_free (e->event);
  g_clear_pointer (&e->data, json_object_unref);
  g_free (e);
}

static void read_next (HbSseClient *c);

static void
take_line (HbSseClient *c, const char *line)
{
  if (line[0] == ':')
    c->comments++;
  else if (g_str_has_prefix (line, "event: "))
    {
      g_free (c->event);
      c->event = g_strdup (line + 7);
    }
  else if (g_str_has_prefix (line, "data: "))
    g_string_append (c->data, line + 6);
  else if (line[0] == '\0' && c->event != NULL)
    {
      SseEvent *e = g_new0 (SseEvent, 1);
      g_autoptr(JsonNode) node = json_from_string (c->data->str, NULL);

      g_assert_nonnull (node);
      g_assert_true (JSON_NODE_HOLDS_OBJECT (node));
      e->event = g_steal_pointer (&c->event);
      e->data = json_object_ref (json_node_get_object (node));
      g_ptr_array_add (c->events, e);
      g_string_truncate (c->data, 0);
    }
}

static void
on_line (GObject *source, GAsyncResult *res, gpointer user_data)
{
  HbSseClient *c = user_data;
  g_autoptr(GError) error = NULL;
  gsize len;
  g_autofree char *line = g_data_input_stream_read_line_finish_utf8 (G_DATA_INPUT_STREAM (source),
                                                                      res, &len, &error);

  c->reading = FALSE;
  if (line == NULL)
    {
      /* Cancelled by hb_sse_client_free(), which frees the client itself. */
      if (g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
        return;
      c->failed = TRUE;
      return;
    }
  take_line (c, line);
  read_next (c);
}

static void
read_next (HbSseClient *c)
{
  c->reading = TRUE;
  g_data_input_stream_read_line_async (c->in, G_PRIORITY_DEFAULT, c->cancel, on_line, c);
}

typedef struct {
  HbSseClient *c;
  GInputStream *stream;
  GError *error;
  gboolean done;
} Opening;

static void
on_opened (GObject *source, GAsyncResult *res, gpointer user_data)
{
  Opening *o = user_data;

  o->stream = soup_session_send_finish (SOUP_SESSION (source), res, &o->error);
  o->done = TRUE;
}

static gboolean
opening_done (gpointer user_data)
{
  return ((Opening *) user_data)->done;
}

HbSseClient *
hb_sse_client_new (HbHttpFixture *f)
{
  g_autofree char *uri = g_strconcat (f->url, "/api/heartbeat/events", NULL);
  HbSseClient *c = g_new0 (HbSseClient, 1);
  Opening o = { c, NULL, NULL, FALSE };
  g_autoptr(JsonObject) first = NULL;

  c->msg = soup_message_new ("GET", uri);
  c->cancel = g_cancellable_new ();
  c->events = g_ptr_array_new_with_free_func ((GDestroyNotify) sse_event_free);
  c->data = g_string_new (NULL);
  soup_session_send_async (f->session, c->msg, G_PRIORITY_DEFAULT, c->cancel, on_opened, &o);
  g_assert_true (hb_test_wait_until (opening_done, &o, HB_TEST_TIMEOUT_MS));
  g_assert_no_error (o.error);
  g_assert_cmpuint (soup_message_get_status (c->msg), ==, 200);
  g_assert_true (g_str_has_prefix (soup_message_headers_get_content_type (
                   soup_message_get_response_headers (c->msg), NULL), "text/event-stream"));
  c->in = g_data_input_stream_new (o.stream);
  g_object_unref (o.stream);
  read_next (c);
  first = hb_sse_client_wait (c, "status", NULL, NULL, HB_TEST_TIMEOUT_MS);
  g_assert_nonnull (first);
  return c;
}

typedef struct {
  HbSseClient *c;
  const char *event;
  const char *key;
  const char *value;
  JsonObject *found;
} EventWait;

static gboolean
event_found (gpointer user_data)
{
  EventWait *w = user_data;
  HbSseClient *c = w->c;

  for (guint i = c->next; i < c->events->len; i++)
    {
      SseEvent *e = c->events->pdata[i];
      JsonNode *v;

      if (!g_str_equal (e->event, w->event))
        continue;
      if (w->key != NULL)
        {
          v = json_object_get_member (e->data, w->key);
          if (v == NULL || json_node_get_value_type (v) != G_TYPE_STRING ||
              g_strcmp0 (json_node_get_string (v), w->value) != 0)
            continue;
        }
      w->found = json_object_ref (e->data);
      c->next = i + 1;
      return TRUE;
    }
  return c->failed;
}

JsonObject *
hb_sse_client_wait (HbSseClient *c, const char *event, const char *key, const char *value,
                    guint timeout_ms)
{
  EventWait w = { c, event, key, value, NULL };

  hb_test_wait_until (event_found, &w, timeout_ms);
  return w.found;
}

guint
hb_sse_client_get_comments (HbSseClient *c)
{
  return c->comments;
}

typedef struct {
  HbSseClient *c;
  guint count;
} CommentWait;

static gboolean
comment_seen (gpointer user_data)
{
  CommentWait *w = user_data;

  return w->c->comments > w->count || w->c->failed;
}

gboolean
hb_sse_client_wait_comment (HbSseClient *c, guint count, guint timeout_ms)
{
  CommentWait w = { c, count };

  return hb_test_wait_until (comment_seen, &w, timeout_ms) && !c->failed;
}

static gboolean
not_reading (gpointer user_data)
{
  return !((HbSseClient *) user_data)->reading;
}

void
hb_sse_client_free (HbSseClient *c)
{
  g_cancellable_cancel (c->cancel);
  hb_test_wait_until (not_reading, c, HB_TEST_TIMEOUT_MS);
  /* Closing a body not read to its end closes the connection: the peer sees it go. */
  g_input_stream_close (G_INPUT_STREAM (c->in), NULL, NULL);
  g_object_unref (c->in);
  g_object_unref (c->msg);
  g_object_unref (c->cancel);
  g_ptr_array_unref (c->events);
  g_string_free (c->data, TRUE);
  g_free (c->event);
  g_free (c);
}
