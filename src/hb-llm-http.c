/* hb-llm-http.c: one HTTP exchange with the model server, under our own deadlines.
 *
 * libsoup's own timeouts are off (see hb-llm.c); here a connect timer and a time-to-headers
 * timer cancel a per-exchange GCancellable, and the reply body is read chunk by chunk into our
 * own buffer (or through an NDJSON reader) that refuses to grow past max_body. The parent
 * cancellable (the caller's, or the chat's own for the total deadline) is watched with a
 * GCancellableSource, so its cancellation reaches us from the main loop and never from inside a
 * "cancelled" emission.
 *
 * The connections come from a pool of one-connection sessions rather than one session with
 * max-conns: libsoup 3.2 runs its whole queue on every state change (a message queued or done,
 * a connection going idle), peeking with a read at every idle connection and looking at every
 * queued message; with a session per slot that is one connection and its own messages. */
#include "config.h"

#include "hb-error.h"
#include "hb-llm-private.h"

#define HB_HTTP_READ_CHUNK 16384

typedef struct
{
  SoupSession *session;        /* made on first use */
  guint busy;                  /* exchanges in flight on it */
} HbLlmSlot;

struct _HbLlmPool
{
  GProxyResolver *proxy;
  guint n_slots;
  HbLlmSlot slots[];
};

HbLlmPool *
hb_llm_pool_new (guint slots, GProxyResolver *proxy)
{
  HbLlmPool *pool;

  slots = MAX (slots, 1);
  pool = g_atomic_rc_box_alloc0 (sizeof (HbLlmPool) + slots * sizeof (HbLlmSlot));
  pool->n_slots = slots;
  pool->proxy = proxy != NULL ? g_object_ref (proxy) : NULL;
  return pool;
}

HbLlmPool *
hb_llm_pool_ref (HbLlmPool *pool)
{
  return g_atomic_rc_box_acquire (pool);
}

static void
hb_llm_pool_clear (gpointer data)
{
  HbLlmPool *pool = data;

  for (guint i = 0; i < pool->n_slots; i++)
    g_clear_object (&pool->slots[i].session);
  g_clear_object (&pool->proxy);
}

void
hb_llm_pool_unref (HbLlmPool *pool)
{
  g_atomic_rc_box_release_full (pool, hb_llm_pool_clear);
}

guint
hb_llm_pool_get_sessions (HbLlmPool *pool)
{
  guint n = 0;

  for (guint i = 0; i < pool->n_slots; i++)
    n += pool->slots[i].session != NULL;
  return n;
}

guint
hb_llm_pool_get_busy (HbLlmPool *pool, guint i)
{
  g_return_val_if_fail (i < pool->n_slots, 0);
  return pool->slots[i].busy;
}

/* The lowest free slot keeps the traffic on as few connections as the load allows; when all are
 * busy the request waits in libsoup's queue of the least loaded one. */
static HbLlmSlot *
hb_llm_pool_take (HbLlmPool *pool)
{
  HbLlmSlot *best = &pool->slots[0];

  for (guint i = 0; i < pool->n_slots && best->busy > 0; i++)
    if (pool->slots[i].busy < best->busy)
      best = &pool->slots[i];
  if (best->session == NULL)
    /* Every property set on purpose: libsoup 3.2's actual defaults are 60 s timeouts. */
    best->session = g_object_new (SOUP_TYPE_SESSION,
                                  "timeout", 0,
                                  "idle-timeout", 30,
                                  "max-conns", 1,
                                  "max-conns-per-host", 1,
                                  "user-agent", PACKAGE_NAME "/" PACKAGE_VERSION,
                                  "proxy-resolver", pool->proxy,
                                  NULL);
  best->busy++;
  return best;
}

GUri *
hb_llm_parse_url (const char *url)
{
  GUri *uri = g_uri_parse (url, SOUP_HTTP_URI_FLAGS, NULL);

  if (uri != NULL && (g_strcmp0 (g_uri_get_scheme (uri), "http") == 0
                      || g_strcmp0 (g_uri_get_scheme (uri), "https") == 0)
      && g_uri_get_host (uri) != NULL && g_uri_get_host (uri)[0] != '\0')
    return uri;
  g_clear_pointer (&uri, g_uri_unref);
  return NULL;
}

typedef struct
{
  HbLlmPool *pool;
  HbLlmSlot *slot;             /* held until the exchange ends */
  SoupMessage *msg;
  char *url;
  GCancellable *cancel;        /* this exchange's: deadlines and the parent cancel it */
  GSource *parent_source;      /* fires when the parent cancellable is cancelled */
  GSource *connect_timer;
  GSource *headers_timer;
  guint connect_timeout_s;
  guint headers_timeout_s;
  const char *fired;           /* which deadline cancelled us, NULL none */
  gulong network_event_id;
  gulong wrote_headers_id;
  GInputStream *in;
  gboolean pollable;           /* @in can be read without waiting (libsoup's always can) */
  GSource *wait;               /* waits for more of the body */
  GByteArray *buf;             /* the whole body; or with ndjson, the chunk being read */
  gsize max_body;
  gsize received;
  goffset length;              /* Content-Length, -1 when not given */
  gboolean eof;
  HbNdjsonLineFunc line_func;
  gpointer line_data;
  HbNdjsonReader *ndjson;
  guint status;
} HbHttp;

static void
hb_http_disarm (HbHttp *h)
{
  /* The slot is free again once our result is known: a request started from the result's
   * callback finds it free and goes over the same, kept-alive connection. */
  if (h->slot != NULL)
    h->slot->busy--;
  h->slot = NULL;
  hb_llm_source_clear (&h->connect_timer);
  hb_llm_source_clear (&h->headers_timer);
  hb_llm_source_clear (&h->parent_source);
  hb_llm_source_clear (&h->wait);
  g_clear_signal_handler (&h->network_event_id, h->msg);
  g_clear_signal_handler (&h->wrote_headers_id, h->msg);
}

static void
hb_http_free (gpointer data)
{
  HbHttp *h = data;

  hb_http_disarm (h);
  /* Make sure libsoup's I/O for this message is finished before the body stream goes: closing
   * a half-read stream would otherwise try to drain the rest of the body synchronously. */
  if (h->in != NULL && !h->eof)
    g_cancellable_cancel (h->cancel);
  g_clear_object (&h->in);
  g_clear_object (&h->msg);
  g_clear_pointer (&h->pool, hb_llm_pool_unref);
  g_clear_object (&h->cancel);
  g_clear_pointer (&h->buf, g_byte_array_unref);
  g_clear_pointer (&h->ndjson, hb_ndjson_reader_free);
  g_free (h->url);
  g_free (h);
}

static gboolean
hb_http_connect_deadline (gpointer data)
{
  HbHttp *h = data;

  h->fired = "connect";
  g_clear_pointer (&h->connect_timer, g_source_unref);
  g_cancellable_cancel (h->cancel);
  return G_SOURCE_REMOVE;
}

static gboolean
hb_http_headers_deadline (gpointer data)
{
  HbHttp *h = data;

  h->fired = "headers";
  g_clear_pointer (&h->headers_timer, g_source_unref);
  g_cancellable_cancel (h->cancel);
  return G_SOURCE_REMOVE;
}

static gboolean
hb_http_parent_cancelled (GCancellable *parent, gpointer data)
{
  HbHttp *h = data;

  g_clear_pointer (&h->parent_source, g_source_unref);
  g_cancellable_cancel (h->cancel);
  return G_SOURCE_REMOVE;
}

/* The connect deadline runs from the first step of making a connection (resolving) to its
 * end, so a request that waits in libsoup's queue for a free connection slot (max-conns) is
 * not mistaken for an unreachable server; the headers and total deadlines still cover that
 * wait. Reused keep-alive connections report no events at all. */
static void
hb_http_network_event (SoupMessage *msg, GSocketClientEvent event, GIOStream *connection,
                       gpointer data)
{
  HbHttp *h = data;

  if (event == G_SOCKET_CLIENT_RESOLVING && h->connect_timer == NULL && h->connect_timeout_s > 0
      && h->fired == NULL)
    h->connect_timer = hb_llm_timeout_attach (h->connect_timeout_s, hb_http_connect_deadline, h);
  else if (event == G_SOCKET_CLIENT_COMPLETE)
    hb_llm_source_clear (&h->connect_timer);
}

/* Request headers going out prove a connection, whatever events came before. */
static void
hb_http_wrote_headers (SoupMessage *msg, gpointer data)
{
  HbHttp *h = data;

  hb_llm_source_clear (&h->connect_timer);
}

/* Map a transport-level failure. */
static GError *
hb_http_map_error (HbHttp *h, GError *error, gboolean reading)
{
  if (g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
    {
      if (g_strcmp0 (h->fired, "connect") == 0)
        return g_error_new (HB_LLM_ERROR, HB_LLM_ERROR_TIMEOUT,
                            "No connection to %s within %u s (connect deadline)",
                            h->url, h->connect_timeout_s);
      if (g_strcmp0 (h->fired, "headers") == 0)
        return g_error_new (HB_LLM_ERROR, HB_LLM_ERROR_TIMEOUT,
                            "No response headers from %s within %u s (headers deadline)",
                            h->url, h->headers_timeout_s);
      return g_error_copy (error);
    }
  if (g_error_matches (error, G_IO_ERROR, G_IO_ERROR_TIMED_OUT))
    return g_error_new (HB_LLM_ERROR, HB_LLM_ERROR_TIMEOUT, "%s: %s", h->url, error->message);
  if (error->domain == SOUP_SESSION_ERROR)
    return g_error_new (HB_LLM_ERROR, HB_LLM_ERROR_PROTOCOL, "Bad HTTP reply from %s: %s",
                        h->url, error->message);
  /* Refused, reset, DNS, TLS: the server cannot be talked to right now. */
  return g_error_new (HB_LLM_ERROR, HB_LLM_ERROR_UNREACHABLE, "%s %s: %s",
                      reading ? "Connection lost while reading the reply from" : "Cannot reach",
                      h->url, error->message);
}

static void
hb_http_fail (GTask *task, GError *error, gboolean reading)
{
  HbHttp *h = g_task_get_task_data (task);

  hb_http_disarm (h);
  g_task_return_error (task, hb_http_map_error (h, error, reading));
  g_object_unref (task);
}

static HbLlmError
hb_http_status_code (guint status)
{
  switch (status)
    {
    case 400:
      return HB_LLM_ERROR_BAD_REQUEST;
    case 401:
    case 403:
      return HB_LLM_ERROR_UNAUTHORIZED;
    case 404:
      return HB_LLM_ERROR_MODEL_MISSING;
    case 429: /* rate limited: like a full queue, worth another try later */
    case 503:
      return HB_LLM_ERROR_BUSY;
    default:
      if (status >= 500)
        return HB_LLM_ERROR_SERVER;
      if (status >= 400)
        return HB_LLM_ERROR_BAD_REQUEST;
      return HB_LLM_ERROR_PROTOCOL;
    }
}

static void
hb_http_complete (GTask *task)
{
  HbHttp *h = g_task_get_task_data (task);
  GError *error = NULL;

  hb_http_disarm (h);
  if (h->ndjson != NULL)
    {
      if (!hb_ndjson_reader_finish (h->ndjson, &error))
        g_task_return_error (task, error);
      else
        g_task_return_pointer (task, g_bytes_new (NULL, 0), (GDestroyNotify) g_bytes_unref);
    }
  else if (!SOUP_STATUS_IS_SUCCESSFUL (h->status))
    {
      g_autofree char *message = hb_llm_error_body_message ((const char *) h->buf->data, h->buf->len);

      g_task_return_new_error (task, HB_LLM_ERROR, hb_http_status_code (h->status),
                               "HTTP %u from %s: %s", h->status, h->url,
                               message != NULL ? message : soup_status_get_phrase (h->status));
    }
  else
    g_task_return_pointer (task, g_byte_array_free_to_bytes (g_steal_pointer (&h->buf)),
                           (GDestroyNotify) g_bytes_unref);
  g_object_unref (task);
}

static void hb_http_read_next (GTask *task);

/* The body is done: closing it hands the connection back to libsoup's pool for reuse. After
 * the body's end there is nothing left to read or wait for, so the close does no I/O and is
 * done at once instead of in another turn of the main loop. */
static void
hb_http_end (GTask *task)
{
  HbHttp *h = g_task_get_task_data (task);

  h->eof = TRUE;
  g_byte_array_set_size (h->buf, h->ndjson != NULL ? 0 : h->received);
  /* A failed close of a fully read body changes nothing about the reply. */
  g_input_stream_close (h->in, NULL, NULL);
  hb_http_complete (task);
}

/* Take in a read of @n bytes (or its failure, @error). FALSE once the exchange has ended. */
static gboolean
hb_http_take (GTask *task, gssize n, GError *error)
{
  HbHttp *h = g_task_get_task_data (task);
  gsize len;

  if (n < 0)
    {
      hb_http_fail (task, error, TRUE);
      return FALSE;
    }
  len = (gsize) n;
  if (len == 0)
    {
      hb_http_end (task);
      return FALSE;
    }

  if (len > h->max_body - h->received)
    {
      hb_http_disarm (h);
      g_task_return_new_error (task, HB_LLM_ERROR, HB_LLM_ERROR_TOO_LARGE,
                               "Reply from %s is larger than %" G_GSIZE_FORMAT " bytes",
                               h->url, h->max_body);
      g_object_unref (task);
      return FALSE;
    }
  h->received += len;

  if (h->ndjson != NULL)
    {
      GError *line_error = NULL;

      if (!hb_ndjson_reader_feed (h->ndjson, (const char *) h->buf->data, len, &line_error))
        {
          hb_http_disarm (h);
          g_task_return_error (task, line_error);
          g_object_unref (task);
          return FALSE;
        }
    }
  return TRUE;
}

static void
hb_http_read_cb (GObject *source, GAsyncResult *result, gpointer data)
{
  g_autoptr(GError) error = NULL;
  gssize n = g_input_stream_read_finish (G_INPUT_STREAM (source), result, &error);

  if (hb_http_take (data, n, error))
    hb_http_read_next (data);
}

static gboolean
hb_http_readable (GObject *stream, gpointer data)
{
  GTask *task = data;
  HbHttp *h = g_task_get_task_data (task);

  g_clear_pointer (&h->wait, g_source_unref);
  hb_http_read_next (task);
  return G_SOURCE_REMOVE;
}

/* Read straight into our buffer, no chunk objects: the whole body when its length is known
 * (it is within max_body, checked on the headers), else up to HB_HTTP_READ_CHUNK at a time.
 * NDJSON lines go through the reader and only need the chunk at hand. The body is read to its
 * end (a read giving 0) even when its length is known: libsoup hands a connection back to its
 * pool only once it has seen the body end, and closing the stream earlier drops it.
 *
 * libsoup's body stream is pollable: what has arrived is read at once and a source waits for
 * the rest, which is what g_input_stream_read_async() does for such a stream, without its task
 * and idle callback per read. */
static void
hb_http_read_next (GTask *task)
{
  HbHttp *h = g_task_get_task_data (task);

  for (;;)
    {
      g_autoptr(GError) error = NULL;
      gsize want = HB_HTTP_READ_CHUNK;
      gsize at = h->received;
      gssize n;

      if (h->ndjson != NULL)
        at = 0;
      else if (h->length > 0)
        /* The rest; past it only the end is left to see, which needs no room. */
        want = (gsize) h->length > h->received ? (gsize) h->length - h->received : 1;
      g_byte_array_set_size (h->buf, at + want);
      if (!h->pollable)
        {
          g_input_stream_read_async (h->in, h->buf->data + at, want, G_PRIORITY_DEFAULT,
                                     h->cancel, hb_http_read_cb, task);
          return;
        }
      n = g_pollable_input_stream_read_nonblocking (G_POLLABLE_INPUT_STREAM (h->in),
                                                    h->buf->data + at, want, h->cancel, &error);
      if (n < 0 && g_error_matches (error, G_IO_ERROR, G_IO_ERROR_WOULD_BLOCK))
        {
          GSource *source = g_pollable_input_stream_create_source (G_POLLABLE_INPUT_STREAM (h->in),
                                                                   h->cancel);

          h->wait = hb_llm_source_attach (source, G_SOURCE_FUNC (hb_http_readable), task);
          return;
        }
      if (!hb_http_take (task, n, error))
        return;
    }
}

static void
hb_http_sent_cb (GObject *source, GAsyncResult *result, gpointer data)
{
  GTask *task = data;
  HbHttp *h = g_task_get_task_data (task);
  g_autoptr(GError) error = NULL;
  SoupMessageHeaders *headers;
  goffset length;

  h->in = soup_session_send_finish (SOUP_SESSION (source), result, &error);
  if (h->in == NULL)
    {
      hb_http_fail (task, error, FALSE);
      return;
    }
  hb_llm_source_clear (&h->connect_timer);
  hb_llm_source_clear (&h->headers_timer);

  h->status = soup_message_get_status (h->msg);
  headers = soup_message_get_response_headers (h->msg);
  length = soup_message_headers_get_content_length (headers);
  /* A decoded body need not have the announced length: only a plain one ends by its count. */
  if (soup_message_headers_get_one (headers, "Content-Encoding") == NULL)
    h->length = length;
  if (length > 0 && (guint64) length > h->max_body)
    {
      hb_http_disarm (h);
      g_task_return_new_error (task, HB_LLM_ERROR, HB_LLM_ERROR_TOO_LARGE,
                               "Reply from %s announces %" G_GINT64_FORMAT " bytes, more than %"
                               G_GSIZE_FORMAT, h->url, (gint64) length, h->max_body);
      g_object_unref (task);
      return;
    }

  h->pollable = G_IS_POLLABLE_INPUT_STREAM (h->in)
                && g_pollable_input_stream_can_poll (G_POLLABLE_INPUT_STREAM (h->in));
  if (h->line_func != NULL && SOUP_STATUS_IS_SUCCESSFUL (h->status))
    h->ndjson = hb_ndjson_reader_new (h->max_body, h->max_body, h->line_func, h->line_data);
  hb_http_read_next (task);
}

void
hb_llm_http_send_async (HbLlmPool *pool,
                        const HbLlmSettings *settings,
                        const char *method,
                        GUri *uri,
                        const char *url,
                        GBytes *json_body,
                        HbNdjsonLineFunc line_func,
                        gpointer line_data,
                        guint connect_timeout_s,
                        guint headers_timeout_s,
                        GCancellable *cancellable,
                        GAsyncReadyCallback callback,
                        gpointer user_data)
{
  GTask *task = g_task_new (NULL, NULL, callback, user_data);
  HbHttp *h = g_new0 (HbHttp, 1);
  SoupMessageHeaders *headers;

  g_task_set_source_tag (task, hb_llm_http_send_async);
  g_task_set_task_data (task, h, hb_http_free);
  h->pool = hb_llm_pool_ref (pool);
  h->url = g_strdup (url);
  h->cancel = g_cancellable_new ();
  h->max_body = settings->max_body;
  h->buf = g_byte_array_new ();
  h->line_func = line_func;
  h->line_data = line_data;
  h->connect_timeout_s = connect_timeout_s;
  h->headers_timeout_s = headers_timeout_s;
  h->length = -1;

  h->msg = uri != NULL ? soup_message_new_from_uri (method, uri) : soup_message_new (method, url);
  if (h->msg == NULL)
    {
      g_task_return_new_error (task, HB_LLM_ERROR, HB_LLM_ERROR_UNREACHABLE,
                               "Not a usable URL: %s", url);
      g_object_unref (task);
      return;
    }
  /* A chat changes nothing on the server, so it may go over a kept-alive connection: libsoup
   * reuses idle connections only for requests marked idempotent (and may resend those if the
   * server closed the connection just then). */
  soup_message_add_flags (h->msg, SOUP_MESSAGE_IDEMPOTENT);
  headers = soup_message_get_request_headers (h->msg);
  soup_message_headers_replace (headers, "Accept", "application/json, application/x-ndjson");
  if (settings->api_key != NULL && settings->api_key[0] != '\0')
    {
      g_autofree char *bearer = g_strdup_printf ("Bearer %s", settings->api_key);

      soup_message_headers_replace (headers, "Authorization", bearer);
    }
  if (json_body != NULL)
    soup_message_set_request_body_from_bytes (h->msg, "application/json", json_body);

  h->network_event_id = g_signal_connect (h->msg, "network-event",
                                          G_CALLBACK (hb_http_network_event), h);
  h->wrote_headers_id = g_signal_connect (h->msg, "wrote-headers",
                                          G_CALLBACK (hb_http_wrote_headers), h);
  if (headers_timeout_s > 0)
    h->headers_timer = hb_llm_timeout_attach (headers_timeout_s, hb_http_headers_deadline, h);
  if (cancellable != NULL)
    h->parent_source = hb_llm_source_attach (g_cancellable_source_new (cancellable),
                                             G_SOURCE_FUNC (hb_http_parent_cancelled), h);

  h->slot = hb_llm_pool_take (pool);
  soup_session_send_async (h->slot->session, h->msg, G_PRIORITY_DEFAULT, h->cancel,
                           hb_http_sent_cb, task);
}

GBytes *
hb_llm_http_send_finish (GAsyncResult *result, GError **error)
{
  g_return_val_if_fail (g_task_is_valid (result, NULL), NULL);
  return g_task_propagate_pointer (G_TASK (result), error);
}
