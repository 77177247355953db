/* hb-http.c: the bridge's server: listening, the token, the safety checks, replies, panel files */
#include "config.h"

#include <errno.h>
#include <glib/gstdio.h>
#include <string.h>

#include "hb-error.h"
#include "hb-http-private.h"
#include "hb-setup.h"

G_DEFINE_FINAL_TYPE (HbHttp, hb_http, G_TYPE_OBJECT)

/* Marks a request whose body went over the cap while it was read. */
#define BODY_TOO_LARGE "hb-http-body-too-large"

/* ---- replies ------------------------------------------------------------------------------------ */

static void
set_common_headers (SoupServerMessage *msg)
{
  SoupMessageHeaders *h = soup_server_message_get_response_headers (msg);

  soup_message_headers_replace (h, "X-Content-Type-Options", "nosniff");
  soup_message_headers_replace (h, "Referrer-Policy", "no-referrer");
  soup_message_headers_replace (h, "X-Frame-Options", "DENY");
}

void
hb_http_reply_json (SoupServerMessage *msg, guint status, JsonNode *node)
{
  g_autoptr(JsonNode) owned = node;
  g_autofree char *text = json_to_string (owned, FALSE);
  gsize len = strlen (text);

  set_common_headers (msg);
  soup_message_headers_replace (soup_server_message_get_response_headers (msg), "Cache-Control",
                                "no-store");
  soup_server_message_set_status (msg, status, NULL);
  soup_server_message_set_response (msg, "application/json", SOUP_MEMORY_TAKE,
                                    g_steal_pointer (&text), len);
}

static JsonNode *
detail_node (const char *message)
{
  g_autoptr(JsonBuilder) b = json_builder_new ();

  json_builder_begin_object (b);
  json_builder_set_member_name (b, "detail");
  json_builder_add_string_value (b, message);
  json_builder_end_object (b);
  return json_builder_get_root (b);
}

void
hb_http_reply_error (SoupServerMessage *msg, guint status, const char *format, ...)
{
  g_autofree char *message = NULL;
  va_list args;

  va_start (args, format);
  message = g_strdup_vprintf (format, args);
  va_end (args);
  hb_http_reply_json (msg, status, detail_node (message));
}

void
hb_http_reply_field_errors (SoupServerMessage *msg, GPtrArray *field_errors)
{
  g_autoptr(JsonBuilder) b = json_builder_new ();

  json_builder_begin_object (b);
  json_builder_set_member_name (b, "detail");
  json_builder_begin_array (b);
  for (guint i = 0; i < field_errors->len; i++)
    {
      const HbFieldError *fe = field_errors->pdata[i];

      json_builder_begin_object (b);
      json_builder_set_member_name (b, "field");
      json_builder_add_string_value (b, fe->field);
      json_builder_set_member_name (b, "message");
      json_builder_add_string_value (b, fe->message);
      json_builder_end_object (b);
    }
  json_builder_end_array (b);
  json_builder_end_object (b);
  hb_http_reply_json (msg, 422, json_builder_get_root (b));
}

void
hb_http_reply_field_error (SoupServerMessage *msg, const char *field, const char *message)
{
  HbFieldError fe = { (char *) field, (char *) message };
  gpointer one[] = { &fe };
  GPtrArray array = { one, 1 };

  hb_http_reply_field_errors (msg, &array);
}

void
hb_http_reply_gerror (SoupServerMessage *msg, const GError *error)
{
  guint status = 500;

  if (error->domain == HB_ERROR)
    {
      switch ((HbError) error->code)
        {
        case HB_ERROR_UNKNOWN_THREAD:
          status = 404;
          break;
        case HB_ERROR_INVALID_CONFIG:
        case HB_ERROR_INVALID_INSTRUCTIONS:
          status = 422;
          break;
        case HB_ERROR_BUSY:
        case HB_ERROR_NOT_RUNNING:
        case HB_ERROR_BACKEND_UNAVAILABLE:
          status = 503;
          break;
        case HB_ERROR_READ_ONLY:
          status = 409;
          break;
        default:
          break;
        }
    }
  else if (g_error_matches (error, G_DBUS_ERROR, G_DBUS_ERROR_INVALID_ARGS))
    status = 422;
  hb_http_reply_error (msg, status, "%s", error->message);
}

JsonObject *
hb_http_read_object (SoupServerMessage *msg)
{
  SoupMessageBody *body = soup_server_message_get_request_body (msg);
  g_autoptr(GBytes) bytes = soup_message_body_flatten (body);
  g_autoptr(JsonParser) parser = json_parser_new ();
  g_autoptr(GError) error = NULL;
  gsize len = 0;
  const char *data = g_bytes_get_data (bytes, &len);
  JsonNode *root;

  if (len == 0)
    {
      hb_http_reply_field_error (msg, "body", "a JSON object is required");
      return NULL;
    }
  if (!g_utf8_validate (data, (gssize) len, NULL) || memchr (data, '\0', len) != NULL)
    {
      hb_http_reply_error (msg, 400, "The request body is not valid UTF-8 text");
      return NULL;
    }
  if (!json_parser_load_from_data (parser, data, (gssize) len, &error))
    {
      hb_http_reply_error (msg, 400, "The request body is not JSON: %s", error->message);
      return NULL;
    }
  root = json_parser_get_root (parser);
  if (root == NULL || !JSON_NODE_HOLDS_OBJECT (root))
    {
      hb_http_reply_field_error (msg, "body", "must be a JSON object");
      return NULL;
    }
  return json_object_ref (json_node_get_object (root));
}

void
hb_http_add_time (JsonBuilder *b, const char *member, gint64 usec)
{
  json_builder_set_member_name (b, member);
  if (usec > 0)
    json_builder_add_double_value (b, (double) usec / G_USEC_PER_SEC);
  else
    json_builder_add_null_value (b);
}

/* ---- panel files --------------------------------------------------------------------------------- */

typedef struct
{
  SoupServerMessage *msg;
  char *content_type;
} FileOp;

static void
on_file_loaded (GObject *source, GAsyncResult *res, gpointer user_data)
{
  FileOp *op = user_data;
  g_autoptr(GError) error = NULL;
  char *data = NULL;
  gsize len = 0;

  if (!g_file_load_contents_finish (G_FILE (source), res, &data, &len, NULL, &error))
    {
      g_autofree char *path = g_file_get_path (G_FILE (source));

      g_warning ("Cannot read the panel file %s: %s", path, error->message);
      hb_http_reply_error (op->msg, 500, "The panel file cannot be read: %s", error->message);
    }
  else
    {
      SoupMessageHeaders *h = soup_server_message_get_response_headers (op->msg);

      set_common_headers (op->msg);
      /* Everything comes from here; nothing inline, nothing from elsewhere. */
      soup_message_headers_replace (h, "Content-Security-Policy",
                                    "default-src 'self'; script-src 'self'; style-src 'self'; "
                                    "connect-src 'self'; img-src 'self' data:; object-src 'none'; "
                                    "base-uri 'none'; form-action 'self'; frame-ancestors 'none'");
      soup_message_headers_replace (h, "Cache-Control", "no-cache");
      soup_server_message_set_status (op->msg, 200, NULL);
      soup_server_message_set_response (op->msg, op->content_type, SOUP_MEMORY_TAKE, data, len);
    }
  soup_server_message_unpause (op->msg);
  g_object_unref (op->msg);
  g_free (op->content_type);
  g_free (op);
}

static void
serve_file (HbHttp *self, SoupServerMessage *msg, const char *name)
{
  g_autofree char *path = g_build_filename (self->panel_dir, name, NULL);
  g_autoptr(GFile) file = g_file_new_for_path (path);
  FileOp *op = g_new0 (FileOp, 1);

  if (g_str_has_suffix (name, ".js"))
    op->content_type = g_strdup ("text/javascript; charset=utf-8");
  else if (g_str_has_suffix (name, ".css"))
    op->content_type = g_strdup ("text/css; charset=utf-8");
  else
    op->content_type = g_strdup ("text/html; charset=utf-8");
  op->msg = g_object_ref (msg);
  soup_server_message_pause (msg);
  g_file_load_contents_async (file, NULL, on_file_loaded, op);
}

/* ---- safety, then dispatch ----------------------------------------------------------------------- */

static void
on_got_chunk (SoupServerMessage *msg, GBytes *chunk, gpointer user_data)
{
  SoupMessageBody *body = soup_server_message_get_request_body (msg);

  if (g_object_get_data (G_OBJECT (msg), BODY_TOO_LARGE) != NULL)
    return;
  if (body->length > HB_HTTP_MAX_BODY)
    {
      /* Keep reading (HTTP/1.1 has to) but hold nothing more. */
      g_object_set_data (G_OBJECT (msg), BODY_TOO_LARGE, GINT_TO_POINTER (1));
      soup_message_body_set_accumulate (body, FALSE);
      soup_message_body_truncate (body);
    }
}

static gboolean
is_safe_method (const char *method)
{
  return g_str_equal (method, "GET") || g_str_equal (method, "HEAD") ||
         g_str_equal (method, "OPTIONS");
}

/* libsoup answers only after reading the whole body, however large it was announced: without
 * "Expect: 100-continue" a huge announced body would hold the connection for as long as the
 * client likes. Past HB_HTTP_DRAIN_MAX, answer 413 on the connection at once and close it (a
 * client still sending then sees a reset); below it the body is read, not kept, and the 413 comes
 * as an ordinary reply. FALSE when libsoup would not give up the connection. */
#define HB_HTTP_DRAIN_MAX (1024 * 1024)
static gboolean
refuse_and_close (SoupServerMessage *msg)
{
  g_autofree char *body = g_strdup_printf ("{\"detail\":\"The request body is over %d bytes\"}",
                                           HB_HTTP_MAX_BODY);
  g_autofree char *reply = g_strdup_printf ("HTTP/1.1 413 Payload Too Large\r\n"
                                            "Content-Type: application/json\r\n"
                                            "Content-Length: %zu\r\n"
                                            "Connection: close\r\n\r\n%s",
                                            strlen (body), body);
  GIOStream *io;
  GOutputStream *out;

  io = soup_server_message_steal_connection (msg);
  if (io == NULL)
    return FALSE;
  out = g_io_stream_get_output_stream (io);
  if (G_IS_POLLABLE_OUTPUT_STREAM (out))
    g_pollable_output_stream_write_nonblocking (G_POLLABLE_OUTPUT_STREAM (out), reply,
                                                strlen (reply), NULL, NULL);
  g_io_stream_close (io, NULL, NULL);
  g_object_unref (io);
  return TRUE;
}

/* After the headers, before the body: who may ask, and how much they may send. */
static void
early_handler (SoupServer *server, SoupServerMessage *msg, const char *path, GHashTable *query,
               gpointer user_data)
{
  HbHttp *self = user_data;
  SoupMessageHeaders *h = soup_server_message_get_request_headers (msg);
  const char *host = soup_message_headers_get_one (h, "Host");
  const char *origin = soup_message_headers_get_one (h, "Origin");
  const char *auth = soup_message_headers_get_one (h, "Authorization");
  const char *method = soup_server_message_get_method (msg);
  goffset length;

  if (!hb_http_host_allowed (host, self->bound))
    {
      hb_http_reply_error (msg, 421, "Host \"%s\" is not this bridge's address",
                           host != NULL ? host : "");
      return;
    }
  /* Required off loopback; on loopback a token sent must still be the right one. */
  if ((self->require_token || auth != NULL) && !hb_http_bearer_matches (auth, self->token))
    {
      soup_message_headers_replace (soup_server_message_get_response_headers (msg),
                                    "WWW-Authenticate", "Bearer realm=\"crt-heartbeat\"");
      hb_http_reply_error (msg, 401, auth == NULL ? "A bearer token is required"
                                                  : "The bearer token is not valid");
      return;
    }
  if (!is_safe_method (method) && !hb_http_origin_allowed (origin, host))
    {
      hb_http_reply_error (msg, 403, "Requests from origin \"%s\" are refused", origin);
      return;
    }
  length = soup_message_headers_get_content_length (h);
  if (soup_message_headers_get_encoding (h) == SOUP_ENCODING_CONTENT_LENGTH &&
      length > HB_HTTP_DRAIN_MAX &&
      !(soup_message_headers_get_expectations (h) & SOUP_EXPECTATION_CONTINUE) &&
      refuse_and_close (msg))
    return;
  if (soup_message_headers_get_encoding (h) == SOUP_ENCODING_CONTENT_LENGTH &&
      length > HB_HTTP_MAX_BODY)
    {
      soup_message_body_set_accumulate (soup_server_message_get_request_body (msg), FALSE);
      soup_message_headers_replace (soup_server_message_get_response_headers (msg), "Connection",
                                    "close");
      hb_http_reply_error (msg, 413, "The request body is over %d bytes", HB_HTTP_MAX_BODY);
      return;
    }
  g_signal_connect (msg, "got-chunk", G_CALLBACK (on_got_chunk), NULL);
}

static void
handler (SoupServer *server, SoupServerMessage *msg, const char *path, GHashTable *query,
         gpointer user_data)
{
  HbHttp *self = user_data;
  g_autoptr(GError) error = NULL;
  HbHttpMatch match = { 0 };
  guint status;

  if (g_object_get_data (G_OBJECT (msg), BODY_TOO_LARGE) != NULL)
    {
      hb_http_reply_error (msg, 413, "The request body is over %d bytes", HB_HTTP_MAX_BODY);
      return;
    }
  status = hb_http_route (soup_server_message_get_method (msg), path, &match, &error);
  switch (status)
    {
    case 200:
      break;
    case 404:
      hb_http_reply_error (msg, 404, "Not found: %s", path);
      return;
    case 405:
      soup_message_headers_replace (soup_server_message_get_response_headers (msg), "Allow",
                                    match.allow);
      hb_http_reply_error (msg, 405, "Method %s is not allowed here (allowed: %s)",
                           soup_server_message_get_method (msg), match.allow);
      return;
    default:
      hb_http_reply_error (msg, status, "%s", error->message);
      return;
    }

  if (match.route == HB_HTTP_ROUTE_FILE)
    serve_file (self, msg, match.file);
  else if (match.route == HB_HTTP_ROUTE_EVENTS)
    hb_http_sse_open (self, msg);
  else
    hb_http_api_dispatch (self, msg, &match, query);
  hb_http_match_clear (&match);
}

/* ---- the object ---------------------------------------------------------------------------------- */

static gboolean
listen_on (HbHttp *self, GInetSocketAddress *address, GError **error)
{
  g_autoptr(GSList) uris = NULL;
  g_autofree char *host = NULL;
  GUri *uri;

  if (!soup_server_listen (self->server, G_SOCKET_ADDRESS (address), 0, error))
    return FALSE;
  uris = soup_server_get_uris (self->server);
  if (uris == NULL)
    {
      g_set_error_literal (error, G_IO_ERROR, G_IO_ERROR_FAILED, "The server has no address");
      return FALSE;
    }
  uri = uris->data;
  host = g_inet_address_to_string (self->bound);
  self->url = g_strdup_printf (g_inet_address_get_family (self->bound) == G_SOCKET_FAMILY_IPV6
                                 ? "http://[%s]:%d" : "http://%s:%d",
                               host, g_uri_get_port (uri));
  g_slist_free_full (g_steal_pointer (&uris), (GDestroyNotify) g_uri_unref);
  return TRUE;
}

HbHttp *
hb_http_new (HbService *service, const HbHttpOptions *options, GError **error)
{
  g_autoptr(HbHttp) self = g_object_new (HB_TYPE_HTTP, NULL);
  g_autoptr(GInetSocketAddress) address = hb_http_parse_listen (options->listen, error);
  g_autofree char *state_dir = NULL;
  g_autofree char *token_path = NULL;
  const char *panel_env = g_getenv ("HB_PANEL_DIR");
  const char *keepalive_env = g_getenv ("HB_HTTP_KEEPALIVE_MS");
  guint64 keepalive_ms = 0;

  if (address == NULL)
    return NULL;
  self->service = g_object_ref (service);
  self->bound = g_object_ref (g_inet_socket_address_get_address (address));
  self->require_token = !g_inet_address_get_is_loopback (self->bound);

  state_dir = options->state_dir != NULL ? g_strdup (options->state_dir) : hb_setup_state_dir ();
  if (g_mkdir_with_parents (state_dir, 0750) < 0)
    g_warning ("Cannot create %s: %s", state_dir, g_strerror (errno));
  token_path = g_build_filename (state_dir, HB_HTTP_TOKEN_FILE, NULL);
  self->token = hb_http_token_load (token_path, TRUE, error);
  if (self->token == NULL)
    {
      if (self->require_token)
        {
          g_prefix_error (error, "Refusing to serve HTTP on %s without a bearer token: ",
                          options->listen);
          if (error != NULL && *error != NULL)
            (*error)->code = G_IO_ERROR_PERMISSION_DENIED;
          return NULL;
        }
      /* Loopback works without one: no token, and any token sent is refused. */
      g_warning ("No HTTP bearer token: %s", error != NULL && *error != NULL ? (*error)->message : "");
      g_clear_error (error);
      self->token = g_strdup ("");
    }

  if (options->panel_dir != NULL)
    self->panel_dir = g_strdup (options->panel_dir);
  else if (panel_env != NULL && panel_env[0] != '\0')
    self->panel_dir = g_strdup (panel_env);
  else
    self->panel_dir = g_strdup (PKGDATADIR "/panel");

  /* A test hook: the keep-alive period in milliseconds. */
  if (keepalive_env != NULL &&
      g_ascii_string_to_unsigned (keepalive_env, 10, 10, 3600000, &keepalive_ms, NULL))
    self->keepalive_ms = (guint) keepalive_ms;
  else
    self->keepalive_ms = HB_HTTP_KEEPALIVE_S * 1000;

  /* Raw paths: thread ids are decoded per segment, so an encoded "/" stays inside its id. */
  self->server = soup_server_new ("server-header", PACKAGE_NAME "/" PACKAGE_VERSION " ",
                                  "raw-paths", TRUE, NULL);
  soup_server_add_early_handler (self->server, NULL, early_handler, self, NULL);
  soup_server_add_handler (self->server, NULL, handler, self, NULL);
  if (!listen_on (self, address, error))
    {
      g_prefix_error (error, "Cannot serve HTTP on %s: ", options->listen);
      return NULL;
    }
  hb_http_sse_connect_service (self);

  if (options->url_file != NULL &&
      !g_file_set_contents (options->url_file, self->url, -1, error))
    return NULL;
  g_message ("HTTP bridge on %s%s", self->url,
             self->require_token ? " (bearer token required)" : "");
  return g_steal_pointer (&self);
}

const char *
hb_http_get_url (HbHttp *self)
{
  return self->url;
}

guint
hb_http_get_event_clients (HbHttp *self)
{
  return g_list_length (self->clients);
}

static void
hb_http_dispose (GObject *object)
{
  HbHttp *self = HB_HTTP (object);

  hb_http_sse_close_all (self);
  if (self->service != NULL)
    g_signal_handlers_disconnect_by_data (self->service, self);
  if (self->server != NULL)
    soup_server_disconnect (self->server);
  g_clear_object (&self->server);
  g_clear_object (&self->service);
  G_OBJECT_CLASS (hb_http_parent_class)->dispose (object);
}

static void
hb_http_finalize (GObject *object)
{
  HbHttp *self = HB_HTTP (object);

  g_clear_object (&self->bound);
  g_free (self->url);
  g_free (self->token);
  g_free (self->panel_dir);
  G_OBJECT_CLASS (hb_http_parent_class)->finalize (object);
}

static void
hb_http_class_init (HbHttpClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);

  object_class->dispose = hb_http_dispose;
  object_class->finalize = hb_http_finalize;
}

static void
hb_http_init (HbHttp *self)
{
}
