/* hb-fake-ollama-reply.c: the fake's Ollama and OpenAI endpoints and its scripted replies. */
#include "config.h"

#include <errno.h>
#include <string.h>
#include <sys/socket.h>

#include "hb-fake-ollama-private.h"

static void
hb_fake_set_json (SoupServerMessage *msg, guint status, const char *body)
{
  soup_server_message_set_status (msg, status, NULL);
  soup_server_message_set_response (msg, "application/json; charset=utf-8", SOUP_MEMORY_COPY,
                                    body, strlen (body));
}

static void
hb_fake_set_node (SoupServerMessage *msg, guint status, JsonNode *node)
{
  g_autofree char *text = json_to_string (node, FALSE);

  hb_fake_set_json (msg, status, text);
}

/* Reply bookkeeping */

static void
hb_fake_clear_source (GSource **source)
{
  if (*source == NULL)
    return;
  g_source_destroy (*source);
  g_source_unref (*source);
  *source = NULL;
}

static void
hb_fake_reply_free (HbFakeReply *r)
{
  hb_fake_clear_source (&r->timer);
  hb_fake_clear_source (&r->watch);
  g_clear_signal_handler (&r->finished_id, r->msg);
  g_clear_object (&r->msg);
  g_clear_pointer (&r->chunks, g_ptr_array_unref);
  hb_fake_step_clear (&r->step);
  g_free (r->model);
  g_free (r);
}

/* The request is over for the server (answered, or the client went away). */
static void
hb_fake_reply_done (HbFakeReply *r)
{
  HbFakeOllama *f = r->f;

  f->in_flight--;
  f->replies = g_list_remove (f->replies, r);
  hb_fake_reply_free (r);
}

static void
hb_fake_reply_finished (SoupServerMessage *msg, gpointer data)
{
  hb_fake_reply_done (data);
}

void
hb_fake_ollama_cancel_replies (HbFakeOllama *f)
{
  while (f->replies != NULL)
    hb_fake_reply_done (f->replies->data);
}

/* Streaming */

static void
hb_fake_stream_begin (HbFakeReply *r, const char *content_type)
{
  SoupMessageHeaders *headers = soup_server_message_get_response_headers (r->msg);

  soup_server_message_set_status (r->msg, 200, NULL);
  soup_message_headers_set_encoding (headers, SOUP_ENCODING_CHUNKED);
  soup_message_headers_set_content_type (headers, content_type, NULL);
  soup_message_body_set_accumulate (soup_server_message_get_response_body (r->msg), FALSE);
}

static gboolean
hb_fake_stream_tick (gpointer data)
{
  HbFakeReply *r = data;
  SoupMessageBody *body = soup_server_message_get_response_body (r->msg);

  do
    soup_message_body_append_bytes (body, g_ptr_array_index (r->chunks, r->next_chunk++));
  while (r->step.chunk_delay_ms == 0 && r->next_chunk < r->chunks->len);

  if (r->next_chunk >= r->chunks->len)
    soup_message_body_complete (body);
  soup_server_message_unpause (r->msg);
  if (r->next_chunk < r->chunks->len)
    {
      if (r->timer == NULL)
        {
          r->timer = g_timeout_source_new (r->step.chunk_delay_ms);
          g_source_set_callback (r->timer, hb_fake_stream_tick, r, NULL);
          g_source_attach (r->timer, g_main_context_get_thread_default ());
        }
      return G_SOURCE_CONTINUE;
    }
  g_clear_pointer (&r->timer, g_source_unref);
  return G_SOURCE_REMOVE;
}

static void
hb_fake_stream_send (HbFakeReply *r, GPtrArray *chunks, const char *content_type)
{
  hb_fake_stream_begin (r, content_type);
  r->chunks = chunks;
  if (chunks->len == 0)
    {
      soup_message_body_complete (soup_server_message_get_response_body (r->msg));
      soup_server_message_unpause (r->msg);
      return;
    }
  hb_fake_stream_tick (r);
}


/* Carrying out a step */

static void
hb_fake_reply_reset (HbFakeReply *r)
{
  g_autoptr(GIOStream) stream = NULL;

  /* Not answered: the fake forgets the request before the connection goes. */
  g_clear_signal_handler (&r->finished_id, r->msg);
  stream = soup_server_message_steal_connection (r->msg);
  if (G_IS_SOCKET_CONNECTION (stream))
    {
      GSocket *socket = g_socket_connection_get_socket (G_SOCKET_CONNECTION (stream));
      struct linger lg = { 1, 0 };

      /* Linger 0: the close sends RST, as a crashed server's kernel would. */
      setsockopt (g_socket_get_fd (socket), SOL_SOCKET, SO_LINGER, &lg, sizeof lg);
    }
  if (stream != NULL)
    g_io_stream_close (stream, NULL, NULL);
  hb_fake_reply_done (r);
}

static void
hb_fake_reply_content (HbFakeReply *r)
{
  const char *text = r->step.text != NULL ? r->step.text : "";
  const char *done_reason = r->step.done_reason != NULL ? r->step.done_reason : "stop";
  g_autofree char *body = NULL;

  if (r->openai)
    body = hb_fake_openai_body (r->model, text, done_reason);
  else if (r->stream)
    {
      hb_fake_stream_send (r, hb_fake_content_stream (r->model, text, done_reason),
                           "application/x-ndjson");
      return;
    }
  else
    body = hb_fake_ollama_line (r->model, text, done_reason);
  hb_fake_set_json (r->msg, 200, body);
  soup_server_message_unpause (r->msg);
}

static void
hb_fake_reply_start (HbFakeReply *r)
{
  const char *text = r->step.text != NULL ? r->step.text : "";

  switch (r->step.kind)
    {
    case HB_FAKE_CONTENT:
      hb_fake_reply_content (r);
      return;
    case HB_FAKE_STATUS:
      hb_fake_set_json (r->msg, r->step.status != 0 ? r->step.status : 500, text);
      break;
    case HB_FAKE_RAW:
      hb_fake_set_json (r->msg, 200, text);
      break;
    case HB_FAKE_STREAM_RAW:
      {
        GPtrArray *chunks = g_ptr_array_new_with_free_func ((GDestroyNotify) g_bytes_unref);

        for (const char *p = r->step.text; p != NULL && *p != '\0'; p += strlen (p) + 1)
          hb_fake_chunks_add (chunks, p, strlen (p));
        hb_fake_stream_send (r, chunks, "application/x-ndjson");
        return;
      }
    case HB_FAKE_STALL:
      hb_fake_stream_begin (r, "application/x-ndjson");
      if (text[0] != '\0')
        soup_message_body_append (soup_server_message_get_response_body (r->msg),
                                  SOUP_MEMORY_COPY, text, strlen (text));
      break;
    case HB_FAKE_NO_HEADERS:
      return; /* stays paused until the client goes away */
    case HB_FAKE_RESET:
      hb_fake_reply_reset (r);
      return;
    case HB_FAKE_HUGE:
      hb_fake_stream_send (r, hb_fake_huge (r->model, r->step.size, r->stream && !r->openai),
                           r->stream ? "application/x-ndjson" : "application/json");
      return;
    default:
      hb_fake_set_json (r->msg, 500, "{\"error\":\"fake: unknown step\"}");
      break;
    }
  soup_server_message_unpause (r->msg);
}

/* A paused message does no I/O, so libsoup would not see its client go; a real Ollama does
 * (and stops working on the request), so the fake looks for itself. */
static gboolean
hb_fake_client_readable (GSocket *socket, GIOCondition condition, gpointer data)
{
  HbFakeReply *r = data;
  char byte;
  gssize n = recv (g_socket_get_fd (socket), &byte, 1, MSG_PEEK | MSG_DONTWAIT);

  if (n > 0 || (n < 0 && (errno == EAGAIN || errno == EINTR)))
    {
      /* Data, not a hang-up: libsoup reads it in its own time. */
      g_clear_pointer (&r->watch, g_source_unref);
      return G_SOURCE_REMOVE;
    }
  g_clear_pointer (&r->watch, g_source_unref);
  hb_fake_reply_reset (r);
  return G_SOURCE_REMOVE;
}

static void
hb_fake_reply_watch (HbFakeReply *r)
{
  GSocket *socket = soup_server_message_get_socket (r->msg);

  if (socket == NULL)
    return;
  r->watch = g_socket_create_source (socket, G_IO_IN | G_IO_HUP | G_IO_ERR, NULL);
  g_source_set_callback (r->watch, G_SOURCE_FUNC (hb_fake_client_readable), r, NULL);
  g_source_attach (r->watch, g_main_context_get_thread_default ());
}

static gboolean
hb_fake_reply_delayed (gpointer data)
{
  HbFakeReply *r = data;

  g_clear_pointer (&r->timer, g_source_unref);
  hb_fake_reply_start (r);
  return G_SOURCE_REMOVE;
}

/* Handlers */

static gboolean
hb_fake_has_model (HbFakeOllama *f, const char *model)
{
  for (guint i = 0; model != NULL && i < f->models->len; i++)
    {
      const char *listed = g_ptr_array_index (f->models, i);

      /* Ollama resolves a name without a tag to ":latest". */
      if (g_str_equal (listed, model)
          || (strchr (model, ':') == NULL && g_str_has_prefix (listed, model)
              && g_str_equal (listed + strlen (model), ":latest")))
        return TRUE;
    }
  return FALSE;
}

static void
hb_fake_model_missing (HbFakeReply *r)
{
  g_autoptr(JsonObject) obj = json_object_new ();
  g_autoptr(JsonNode) node = json_node_new (JSON_NODE_OBJECT);
  g_autofree char *text = g_strdup_printf (r->openai ? "model \"%s\" not found, try pulling it first"
                                                     : "model '%s' not found",
                                           r->model);

  if (r->openai)
    {
      JsonObject *inner = json_object_new ();

      json_object_set_string_member (inner, "message", text);
      json_object_set_string_member (inner, "type", "api_error");
      json_object_set_null_member (inner, "param");
      json_object_set_null_member (inner, "code");
      json_object_set_object_member (obj, "error", inner);
    }
  else
    json_object_set_string_member (obj, "error", text);
  json_node_set_object (node, obj);
  hb_fake_set_node (r->msg, 404, node);
}

static void
hb_fake_chat_handler (SoupServer *server, SoupServerMessage *msg, const char *path,
                      GHashTable *query, gpointer data)
{
  HbFakeOllama *f = data;
  g_autoptr(GBytes) body = soup_message_body_flatten (soup_server_message_get_request_body (msg));
  g_autofree char *text = g_strndup (g_bytes_get_data (body, NULL), g_bytes_get_size (body));
  HbFakeRequestInfo info;
  const char *auth;
  HbFakeReply *r;

  if (!g_str_equal (soup_server_message_get_method (msg), "POST"))
    {
      soup_server_message_set_status (msg, 405, NULL);
      return;
    }
  f->requests++;
  {
    GSocketAddress *peer = soup_server_message_get_remote_address (msg);

    if (G_IS_INET_SOCKET_ADDRESS (peer))
      g_hash_table_add (f->peers, GUINT_TO_POINTER (
                                    g_inet_socket_address_get_port (G_INET_SOCKET_ADDRESS (peer))));
  }
  auth = soup_message_headers_get_one (soup_server_message_get_request_headers (msg),
                                       "Authorization");
  g_free (f->last_authorization);
  f->last_authorization = g_strdup (auth);

  /* The body embeds no NUL (a string's \u0000 is escaped), so the copy is all of it. */
  if (strlen (text) != g_bytes_get_size (body) ||
      !hb_fake_scan_request (text, strlen (text), &info))
    {
      hb_fake_set_json (msg, 400, "{\"error\":\"invalid character in request body\"}");
      return;
    }
  g_clear_pointer (&f->last_request, json_object_unref);
  g_free (f->last_request_text);
  f->last_request_text = g_steal_pointer (&text);
  if (info.unusual)
    {
      /* json-glib says what the members are (the last of a name given twice). */
      JsonObject *req = hb_fake_ollama_get_last_request (f);
      JsonNode *member = req != NULL ? json_object_get_member (req, "model") : NULL;

      hb_fake_request_info_clear (&info);
      info.model = member != NULL && JSON_NODE_HOLDS_VALUE (member) &&
                   json_node_get_value_type (member) == G_TYPE_STRING
                     ? g_strdup (json_node_get_string (member)) : NULL;
      member = req != NULL ? json_object_get_member (req, "stream") : NULL;
      info.stream = member != NULL && JSON_NODE_HOLDS_VALUE (member) &&
                    json_node_get_value_type (member) == G_TYPE_BOOLEAN
                      ? json_node_get_boolean (member) : -1;
    }

  r = g_new0 (HbFakeReply, 1);
  r->f = f;
  r->msg = g_object_ref (msg);
  r->openai = g_str_has_prefix (path, "/v1/");
  r->model = g_steal_pointer (&info.model);
  /* Ollama streams unless told not to; OpenAI servers the other way round. */
  r->stream = info.stream >= 0 ? info.stream : !r->openai;
  r->finished_id = g_signal_connect (msg, "finished", G_CALLBACK (hb_fake_reply_finished), r);
  f->replies = g_list_prepend (f->replies, r);
  f->in_flight++;
  f->max_in_flight = MAX (f->max_in_flight, f->in_flight);

  if (r->model == NULL)
    {
      hb_fake_set_json (msg, 400, "{\"error\":\"model is required\"}");
      return;
    }
  if (!hb_fake_has_model (f, r->model))
    {
      hb_fake_model_missing (r);
      return;
    }

  hb_fake_ollama_next_step (f, &r->step);
  soup_server_message_pause (msg);
  hb_fake_reply_watch (r);
  if (r->step.delay_ms > 0 && r->step.kind != HB_FAKE_NO_HEADERS)
    {
      r->timer = g_timeout_source_new (r->step.delay_ms);
      g_source_set_callback (r->timer, hb_fake_reply_delayed, r, NULL);
      g_source_attach (r->timer, g_main_context_get_thread_default ());
    }
  else
    hb_fake_reply_start (r);
}

static void
hb_fake_get_handler (SoupServer *server, SoupServerMessage *msg, const char *path,
                     GHashTable *query, gpointer data)
{
  HbFakeOllama *f = data;
  g_autoptr(JsonNode) models = NULL;

  if (!g_str_equal (soup_server_message_get_method (msg), "GET")
      && !g_str_equal (soup_server_message_get_method (msg), "HEAD"))
    {
      soup_server_message_set_status (msg, 405, NULL);
      return;
    }
  if (g_str_equal (path, "/"))
    {
      soup_server_message_set_status (msg, 200, NULL);
      soup_server_message_set_response (msg, "text/plain; charset=utf-8", SOUP_MEMORY_STATIC,
                                        "Ollama is running", strlen ("Ollama is running"));
    }
  else if (g_str_equal (path, "/api/version"))
    hb_fake_set_json (msg, 200, "{\"version\":\"0.5.7\"}");
  else if (g_str_equal (path, "/api/tags") || g_str_equal (path, "/v1/models"))
    {
      models = hb_fake_models_json (f, g_str_equal (path, "/v1/models"));
      hb_fake_set_node (msg, 200, models);
    }
  else
    {
      soup_server_message_set_status (msg, 404, NULL);
      soup_server_message_set_response (msg, "text/plain; charset=utf-8", SOUP_MEMORY_STATIC,
                                        "404 page not found", strlen ("404 page not found"));
    }
}

void
hb_fake_ollama_add_api_handlers (HbFakeOllama *f)
{
  soup_server_add_handler (f->server, "/", hb_fake_get_handler, f, NULL);
  soup_server_add_handler (f->server, "/api/chat", hb_fake_chat_handler, f, NULL);
  soup_server_add_handler (f->server, "/v1/chat/completions", hb_fake_chat_handler, f, NULL);
}
