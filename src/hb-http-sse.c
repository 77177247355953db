/* hb-http-sse.c: GET /api/heartbeat/events, Server-Sent Events of runs, status and configuration
 *
 * Each client is a response that never ends: chunked, not accumulated, so each event is written
 * and dropped. A client is forgotten (and its message released) when its exchange finishes or its
 * connection goes; a peer that vanished silently is noticed at the next keep-alive write.
 */
#include "config.h"

#include <string.h>

#include "hb-http-private.h"

/* Beyond this many streams a new one is refused: each holds a connection. */
#define MAX_CLIENTS 256

typedef struct
{
  HbHttp *self;               /* borrowed: the bridge outlives its clients */
  SoupServerMessage *msg;
  gulong finished_id;
  gulong disconnected_id;
} Client;

static void
client_free (Client *c)
{
  g_signal_handler_disconnect (c->msg, c->finished_id);
  g_signal_handler_disconnect (c->msg, c->disconnected_id);
  g_object_unref (c->msg);
  g_free (c);
}

static void
update_keepalive (HbHttp *self);

static void
on_client_gone (SoupServerMessage *msg, gpointer user_data)
{
  Client *c = user_data;
  HbHttp *self = c->self;

  g_debug ("Event client gone");
  self->clients = g_list_remove (self->clients, c);
  client_free (c);
  update_keepalive (self);
}

static void
client_write (Client *c, const char *text, gsize len)
{
  soup_message_body_append (soup_server_message_get_response_body (c->msg), SOUP_MEMORY_COPY,
                            text, len);
  soup_server_message_unpause (c->msg);
}

static void
broadcast (HbHttp *self, const char *text)
{
  gsize len = strlen (text);

  /* Writing can end a client (and unlink it) only later, from the main loop: the list holds. */
  for (GList *l = self->clients; l != NULL; l = l->next)
    client_write (l->data, text, len);
}

static char *
format_event (const char *event, JsonNode *data)
{
  g_autofree char *json = json_to_string (data, FALSE);

  /* json_to_string() escapes newlines inside strings: one data line is enough. */
  return g_strdup_printf ("event: %s\ndata: %s\n\n", event, json);
}

static void
send_event (HbHttp *self, const char *event, JsonNode *data)
{
  g_autoptr(JsonNode) owned = data;
  g_autofree char *text = NULL;

  if (self->clients == NULL)
    return;
  text = format_event (event, owned);
  broadcast (self, text);
}

static gboolean
on_keepalive (gpointer user_data)
{
  HbHttp *self = user_data;

  broadcast (self, ": keep-alive\n\n");
  return G_SOURCE_CONTINUE;
}

static void
update_keepalive (HbHttp *self)
{
  if (self->clients == NULL)
    g_clear_handle_id (&self->keepalive_id, g_source_remove);
  else if (self->keepalive_id == 0)
    self->keepalive_id = g_timeout_add (self->keepalive_ms, on_keepalive, self);
}

void
hb_http_sse_open (HbHttp *self, SoupServerMessage *msg)
{
  SoupMessageHeaders *h = soup_server_message_get_response_headers (msg);
  g_autoptr(JsonNode) status = NULL;
  g_autofree char *first = NULL;
  g_autofree char *text = NULL;
  Client *c;

  if (g_list_length (self->clients) >= MAX_CLIENTS)
    {
      hb_http_reply_error (msg, 503, "Too many event clients (%d)", MAX_CLIENTS);
      return;
    }
  soup_server_message_set_status (msg, 200, NULL);
  soup_message_headers_replace (h, "Content-Type", "text/event-stream; charset=utf-8");
  soup_message_headers_replace (h, "Cache-Control", "no-store");
  soup_message_headers_replace (h, "X-Content-Type-Options", "nosniff");
  soup_message_headers_replace (h, "X-Accel-Buffering", "no");
  soup_message_headers_set_encoding (h, SOUP_ENCODING_CHUNKED);
  soup_message_body_set_accumulate (soup_server_message_get_response_body (msg), FALSE);

  c = g_new0 (Client, 1);
  c->self = self;
  c->msg = g_object_ref (msg);
  c->finished_id = g_signal_connect (msg, "finished", G_CALLBACK (on_client_gone), c);
  c->disconnected_id = g_signal_connect (msg, "disconnected", G_CALLBACK (on_client_gone), c);
  self->clients = g_list_prepend (self->clients, c);
  update_keepalive (self);

  /* The current state first (counting this client), so a panel needs no second request. */
  status = hb_http_status_json (self);
  text = format_event ("status", status);
  first = g_strconcat ("retry: 3000\n: connected\n\n", text, NULL);
  client_write (c, first, strlen (first));
}

void
hb_http_sse_close_all (HbHttp *self)
{
  g_clear_handle_id (&self->keepalive_id, g_source_remove);
  g_clear_handle_id (&self->status_idle_id, g_source_remove);
  g_list_free_full (g_steal_pointer (&self->clients), (GDestroyNotify) client_free);
}

/* ---- what the service tells ---------------------------------------------------------------- */

static JsonNode *
pair_json (const char *k1, const char *v1, const char *k2, const char *v2)
{
  g_autoptr(JsonBuilder) b = json_builder_new ();

  json_builder_begin_object (b);
  json_builder_set_member_name (b, k1);
  json_builder_add_string_value (b, v1);
  json_builder_set_member_name (b, k2);
  json_builder_add_string_value (b, v2);
  json_builder_end_object (b);
  return json_builder_get_root (b);
}

static void
on_run_started (HbService *service, HbThread *t, const char *run_id, HbHttp *self)
{
  send_event (self, "run-started", pair_json ("thread_id", t->id, "run_id", run_id));
}

static void
on_run_completed (HbService *service, HbThread *t, const HbRunResult *r, HbHttp *self)
{
  send_event (self, "run-completed", hb_run_result_to_json (r));
}

static gboolean
on_status_idle (gpointer user_data)
{
  HbHttp *self = user_data;

  self->status_idle_id = 0;
  send_event (self, "status", hb_http_status_json (self));
  return G_SOURCE_REMOVE;
}

static void
on_state_changed (HbService *service, HbHttp *self)
{
  /* A burst of changes (a run queued, started, the next wake-up) becomes one event. */
  if (self->status_idle_id == 0 && self->clients != NULL)
    self->status_idle_id = g_idle_add (on_status_idle, self);
}

static void
on_thread_changed (HbService *service, HbThread *t, guint what, HbHttp *self)
{
  if (what & HB_THREAD_CHANGED_CONFIG)
    send_event (self, "config", hb_http_config_json (t));
}

static void
on_thread_added (HbService *service, HbThread *t, HbHttp *self)
{
  send_event (self, "threads", pair_json ("thread_id", t->id, "change", "added"));
}

static void
on_thread_removed (HbService *service, HbThread *t, HbHttp *self)
{
  send_event (self, "threads", pair_json ("thread_id", t->id, "change", "removed"));
}

static void
on_instructions_changed (HbService *service, HbHttp *self)
{
  HbInstructions *instr = hb_pipeline_get_instructions (hb_service_get_pipeline (service));
  g_autoptr(HbInstructionsSnapshot) snap = hb_instructions_get_snapshot (instr);
  g_autoptr(JsonBuilder) b = json_builder_new ();

  json_builder_begin_object (b);
  json_builder_set_member_name (b, "path");
  json_builder_add_string_value (b, snap->path);
  hb_http_add_time (b, "last_modified", snap->modified);
  json_builder_end_object (b);
  send_event (self, "instructions", json_builder_get_root (b));
}

void
hb_http_sse_connect_service (HbHttp *self)
{
  g_signal_connect (self->service, "run-started", G_CALLBACK (on_run_started), self);
  g_signal_connect (self->service, "run-completed", G_CALLBACK (on_run_completed), self);
  g_signal_connect (self->service, "state-changed", G_CALLBACK (on_state_changed), self);
  g_signal_connect (self->service, "thread-changed", G_CALLBACK (on_thread_changed), self);
  g_signal_connect (self->service, "thread-added", G_CALLBACK (on_thread_added), self);
  g_signal_connect (self->service, "thread-removed", G_CALLBACK (on_thread_removed), self);
  g_signal_connect (self->service, "instructions-changed", G_CALLBACK (on_instructions_changed),
                    self);
}
