/* test-http-client.h: what the HTTP bridge's integration tests share: a daemon with the bridge on
 * a free loopback port (--http=127.0.0.1:0 --http-url-file=FILE), requests with libsoup run on
 * the default main context (so event streams keep flowing meanwhile), and an SSE reader. */
#pragma once

#include <libsoup/soup.h>

#include "hb-test-daemon.h"

G_BEGIN_DECLS

typedef struct {
  HbTestEnv *env;
  HbTestDaemon *daemon;
  SoupSession *session;
  char *url;           /* http://127.0.0.1:PORT */
  char *url_file;
} HbHttpFixture;

/* HEARTBEAT.md with one checklist item (so runs ask the model), the daemon with the bridge,
 * keep-alives every 200 ms, the panel from the source tree. @args/@envp are added. FALSE if the
 * daemon did not come up (then *error says why). */
gboolean hb_http_fixture_start (HbHttpFixture *f, const char *const *args, const char *const *envp,
                                GError **error);
void hb_http_fixture_setup (HbHttpFixture *f, gconstpointer data);
void hb_http_fixture_teardown (HbHttpFixture *f, gconstpointer data);

typedef struct {
  guint status;
  char *body;
  JsonNode *json;                /* NULL when the body is not JSON */
  SoupMessageHeaders *headers;   /* response headers */
} HbHttpReply;

void hb_http_reply_free (HbHttpReply *r);
G_DEFINE_AUTOPTR_CLEANUP_FUNC (HbHttpReply, hb_http_reply_free)

/* Send and wait. @headers: NULL-terminated name, value, name, value... (a "Host" replaces
 * libsoup's). @body NULL: none. */
HbHttpReply *hb_http_request (HbHttpFixture *f, const char *method, const char *path,
                              const char *body, const char *const *headers);

typedef struct _HbHttpPending HbHttpPending;
HbHttpPending *hb_http_request_start (HbHttpFixture *f, const char *method, const char *path,
                                      const char *body, const char *const *headers);
HbHttpReply *hb_http_request_wait (HbHttpPending *p);

/* The reply's JSON object (asserted), and typed members of it (asserted present). */
JsonObject *hb_http_object (HbHttpReply *r);
/* detail[i].field of a 422 */
const char *hb_http_detail_field (HbHttpReply *r, guint i);
/* detail as a string (asserted) */
const char *hb_http_detail (HbHttpReply *r);

/* GET /api/heartbeat/status: event_clients. */
gint64 hb_http_event_clients (HbHttpFixture *f);

/* ---- an event-stream reader ---- */

typedef struct _HbSseClient HbSseClient;

/* Connect and wait for the first event (status). */
HbSseClient *hb_sse_client_new (HbHttpFixture *f);
/* The next event named @event (whose data's @key equals @value, unless @key is NULL) not yet
 * returned, waiting for it; transfer full, NULL at the deadline. */
JsonObject *hb_sse_client_wait (HbSseClient *c, const char *event, const char *key,
                                const char *value, guint timeout_ms);
/* Comment lines (keep-alives) received so far. */
guint hb_sse_client_get_comments (HbSseClient *c);
/* Wait until more than @count comments have arrived. */
gboolean hb_sse_client_wait_comment (HbSseClient *c, guint count, guint timeout_ms);
/* Close the connection mid-stream and forget it. */
void hb_sse_client_free (HbSseClient *c);

G_END_DECLS
