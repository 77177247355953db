/* hb-http-private.h: what the bridge's files share: the object, replies, handlers, the event stream */
#pragma once

#include <libsoup/soup.h>

#include "hb-http.h"

G_BEGIN_DECLS

struct _HbHttp
{
  GObject parent_instance;

  HbService *service;
  SoupServer *server;
  GInetAddress *bound;
  char *url;
  char *token;              /* never NULL once listening */
  gboolean require_token;   /* non-loopback bind */
  char *panel_dir;
  guint waiters;            /* run-now requests waiting */

  GList *clients;           /* HbHttpClient*: event-stream clients */
  guint keepalive_id;
  guint keepalive_ms;
  guint status_idle_id;     /* coalesces state-changed into one status event */
};

/* ---- replies (hb-http.c) ---- */

/* Set a JSON body (takes @node) with @status. */
void hb_http_reply_json (SoupServerMessage *msg, guint status, JsonNode *node);
/* {detail: message} */
void hb_http_reply_error (SoupServerMessage *msg, guint status, const char *format, ...)
  G_GNUC_PRINTF (3, 4);
/* 422 {detail: [{field, message}, ...]} from HbFieldError items, or for one field. */
void hb_http_reply_field_errors (SoupServerMessage *msg, GPtrArray *field_errors);
void hb_http_reply_field_error (SoupServerMessage *msg, const char *field, const char *message);
/* The status a core GError maps to, and a reply with it. */
void hb_http_reply_gerror (SoupServerMessage *msg, const GError *error);

/* The request body as a JSON object, or a reply (400/422) and NULL. */
JsonObject *hb_http_read_object (SoupServerMessage *msg);

/* Unix seconds (CRT's REAL timestamps) from microseconds; 0 is JSON null. */
void hb_http_add_time (JsonBuilder *b, const char *member, gint64 usec);

/* ---- the API (hb-http-api.c) ---- */

void hb_http_api_dispatch (HbHttp *self, SoupServerMessage *msg, const HbHttpMatch *match,
                           GHashTable *query);
JsonNode *hb_http_status_json (HbHttp *self);
JsonNode *hb_http_config_json (HbThread *thread);

/* ---- the event stream (hb-http-sse.c) ---- */

void hb_http_sse_open (HbHttp *self, SoupServerMessage *msg);
void hb_http_sse_connect_service (HbHttp *self);
void hb_http_sse_close_all (HbHttp *self);

G_END_DECLS
