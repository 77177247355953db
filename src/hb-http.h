/* hb-http.h: the optional HTTP bridge (SoupServer): CRT's REST API, a live event stream (SSE) and
 * the static Heartbeat panel, served by the daemon itself.
 *
 * Off unless an address is configured (--http=ADDR:PORT or [http] listen=). It calls HbService in
 * process, with the same validation as the D-Bus side, and never blocks the main loop. Safety: the
 * Host header must name loopback or the bound address (DNS rebinding), state-changing requests need
 * the bridge's own Origin or none (CSRF), bodies are capped, and a non-loopback bind requires the
 * bearer token kept in <state dir>/http-token (created with mode 0600 when missing).
 */
#pragma once

#include <gio/gio.h>

#include "hb-service.h"

G_BEGIN_DECLS

#define HB_HTTP_MAX_BODY (64 * 1024)
#define HB_HTTP_KEEPALIVE_S 15
#define HB_HTTP_TOKEN_FILE "http-token"
/* Run-now requests waiting for their run at once, over all threads. */
#define HB_HTTP_MAX_WAITERS 64

/* ---- pure helpers (no I/O) ---------------------------------------------------------------- */

/* Parse "ADDR:PORT", "[V6]:PORT", ":PORT" (loopback) or "localhost:PORT". ADDR must be an IP
 * literal or "localhost": no name look-ups. PORT 0 picks a free port. G_IO_ERROR_INVALID_ARGUMENT
 * naming the problem. */
GInetSocketAddress *hb_http_parse_listen (const char *value, GError **error);

/* Is @host_header (as sent: "name", "name:port", "[v6]:port") acceptable for a server bound to
 * @bound (an IP address; the any-address accepts every IP literal)? Loopback names and addresses
 * always are. */
gboolean hb_http_host_allowed (const char *host_header, GInetAddress *bound);

/* May a state-changing request with @origin (NULL: none sent) reach the bridge addressed as
 * @host_header? Only its own origin, http://<host_header>. */
gboolean hb_http_origin_allowed (const char *origin, const char *host_header);

/* Does "Authorization: @header" carry @token as a bearer token (compared in constant time)? */
gboolean hb_http_bearer_matches (const char *header, const char *token);

typedef enum {
  HB_HTTP_ROUTE_NONE,
  HB_HTTP_ROUTE_FILE,            /* a panel file: match->file */
  HB_HTTP_ROUTE_STATUS,
  HB_HTTP_ROUTE_START,
  HB_HTTP_ROUTE_STOP,
  HB_HTTP_ROUTE_EVENTS,
  HB_HTTP_ROUTE_MD_GET,
  HB_HTTP_ROUTE_MD_SET,
  HB_HTTP_ROUTE_THREADS_LIST,
  HB_HTTP_ROUTE_THREADS_ADD,
  HB_HTTP_ROUTE_CONFIG_GET,
  HB_HTTP_ROUTE_CONFIG_SET,
  HB_HTTP_ROUTE_RUN_NOW,
  HB_HTTP_ROUTE_HISTORY,
} HbHttpRoute;

typedef struct {
  HbHttpRoute route;
  const char *file;     /* HB_HTTP_ROUTE_FILE: the file's name in the panel directory */
  char *thread_id;      /* thread routes: the percent-decoded, validated id (owned) */
  const char *allow;    /* the methods the path accepts, for a 405's Allow header */
} HbHttpMatch;

void hb_http_match_clear (HbHttpMatch *match);

/* Route @method on @path (still percent-encoded). Returns the HTTP status: 200 when matched, 404
 * for an unknown path, 405 for a method the path does not take (match->allow says which do), 400
 * for an invalid thread id (@error says why, as hb_thread_id_validate() does for D-Bus). */
guint hb_http_route (const char *method, const char *path, HbHttpMatch *match, GError **error);

/* ---- the bridge --------------------------------------------------------------------------- */

typedef struct {
  const char *listen;     /* ADDR:PORT */
  const char *state_dir;  /* holds http-token; NULL: hb_setup_state_dir() */
  const char *panel_dir;  /* NULL: $HB_PANEL_DIR, else PKGDATADIR/panel */
  const char *url_file;   /* NULL, or a file to receive the URL once listening (for tests and
                           * scripts that let the bridge pick the port with ":0") */
} HbHttpOptions;

#define HB_TYPE_HTTP (hb_http_get_type ())
G_DECLARE_FINAL_TYPE (HbHttp, hb_http, HB, HTTP, GObject)

/* Read (or create) the token, bind and listen. Blocking file I/O once, before serving. Errors:
 * G_IO_ERROR_INVALID_ARGUMENT for a bad address, G_IO_ERROR_PERMISSION_DENIED for a non-loopback
 * address without a usable token, and whatever binding reports. */
HbHttp *hb_http_new (HbService *service, const HbHttpOptions *options, GError **error);

/* "http://ADDR:PORT" as bound. */
const char *hb_http_get_url (HbHttp *self);

/* Event-stream clients connected now. */
guint hb_http_get_event_clients (HbHttp *self);

/* Read a token file, or create it (32 random bytes, hex, mode 0600) when @create and it is
 * missing. Whitespace around the token is ignored; an empty file is an error. */
char *hb_http_token_load (const char *path, gboolean create, GError **error);

G_END_DECLS
