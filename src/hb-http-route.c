/* hb-http-route.c: the bridge's safety parts: routing, listen addresses, Host/Origin/bearer checks
 * (pure), and the token file */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <glib/gstdio.h>
#include <string.h>
#include <sys/random.h>
#include <unistd.h>

#include "hb-http.h"

/* ---- routing ----------------------------------------------------------------------------------- */

/* A path pattern ("*" is the thread id segment) and what GET and POST mean on it. */
typedef struct {
  const char *pattern;
  HbHttpRoute get;
  HbHttpRoute post;
  const char *file;
  gboolean no_head;   /* an event stream has nothing to say to HEAD */
} RouteEntry;

static const RouteEntry routes[] = {
  { "/", HB_HTTP_ROUTE_FILE, HB_HTTP_ROUTE_NONE, "index.html", FALSE },
  { "/index.html", HB_HTTP_ROUTE_FILE, HB_HTTP_ROUTE_NONE, "index.html", FALSE },
  { "/panel.js", HB_HTTP_ROUTE_FILE, HB_HTTP_ROUTE_NONE, "panel.js", FALSE },
  { "/panel.css", HB_HTTP_ROUTE_FILE, HB_HTTP_ROUTE_NONE, "panel.css", FALSE },
  { "/api/heartbeat/status", HB_HTTP_ROUTE_STATUS, HB_HTTP_ROUTE_NONE, NULL, FALSE },
  { "/api/heartbeat/start", HB_HTTP_ROUTE_NONE, HB_HTTP_ROUTE_START, NULL, FALSE },
  { "/api/heartbeat/stop", HB_HTTP_ROUTE_NONE, HB_HTTP_ROUTE_STOP, NULL, FALSE },
  { "/api/heartbeat/events", HB_HTTP_ROUTE_EVENTS, HB_HTTP_ROUTE_NONE, NULL, TRUE },
  { "/api/heartbeat/heartbeat.md", HB_HTTP_ROUTE_MD_GET, HB_HTTP_ROUTE_MD_SET, NULL, FALSE },
  { "/api/threads", HB_HTTP_ROUTE_THREADS_LIST, HB_HTTP_ROUTE_THREADS_ADD, NULL, FALSE },
  { "/api/threads/*/heartbeat/config", HB_HTTP_ROUTE_CONFIG_GET, HB_HTTP_ROUTE_CONFIG_SET, NULL,
    FALSE },
  { "/api/threads/*/heartbeat/run-now", HB_HTTP_ROUTE_NONE, HB_HTTP_ROUTE_RUN_NOW, NULL, FALSE },
  { "/api/threads/*/heartbeat/history", HB_HTTP_ROUTE_HISTORY, HB_HTTP_ROUTE_NONE, NULL, FALSE },
};

void
hb_http_match_clear (HbHttpMatch *match)
{
  g_clear_pointer (&match->thread_id, g_free);
  match->route = HB_HTTP_ROUTE_NONE;
  match->file = NULL;
  match->allow = NULL;
}

/* Compare @path with @pattern segment by segment; the "*" segment is returned, still encoded. */
static gboolean
pattern_matches (const char *pattern, const char *path, const char **wild, gsize *wild_len)
{
  const char *p = pattern;
  const char *s = path;

  while (*p != '\0')
    {
      if (p[0] == '*')
        {
          const char *end = strchr (s, '/');

          if (end == NULL)
            end = s + strlen (s);
          *wild = s;
          *wild_len = (gsize) (end - s);
          s = end;
          p++;
          continue;
        }
      if (*p != *s)
        return FALSE;
      p++;
      s++;
    }
  return *s == '\0';
}

static const char *
allow_for (const RouteEntry *e)
{
  if (e->get != HB_HTTP_ROUTE_NONE && e->post != HB_HTTP_ROUTE_NONE)
    return "GET, HEAD, POST";
  if (e->post != HB_HTTP_ROUTE_NONE)
    return "POST";
  return e->no_head ? "GET" : "GET, HEAD";
}

guint
hb_http_route (const char *method, const char *path, HbHttpMatch *match, GError **error)
{
  hb_http_match_clear (match);
  for (gsize i = 0; i < G_N_ELEMENTS (routes); i++)
    {
      const RouteEntry *e = &routes[i];
      const char *wild = NULL;
      gsize wild_len = 0;
      HbHttpRoute route = HB_HTTP_ROUTE_NONE;

      if (!pattern_matches (e->pattern, path, &wild, &wild_len))
        continue;
      match->allow = allow_for (e);
      if (g_str_equal (method, "GET") || (g_str_equal (method, "HEAD") && !e->no_head))
        route = e->get;
      else if (g_str_equal (method, "POST"))
        route = e->post;
      if (route == HB_HTTP_ROUTE_NONE)
        return 405;

      if (wild != NULL)
        {
          g_autofree char *encoded = g_strndup (wild, wild_len);
          g_autofree char *id = g_uri_unescape_string (encoded, NULL);

          if (id == NULL)
            {
              g_set_error_literal (error, G_IO_ERROR, G_IO_ERROR_INVALID_ARGUMENT,
                                   "thread_id: invalid percent-encoding");
              return 400;
            }
          if (!hb_thread_id_validate (id, error))
            return 400;
          match->thread_id = g_steal_pointer (&id);
        }
      match->route = route;
      match->file = e->file;
      return 200;
    }
  return 404;
}

/* ---- addresses ---------------------------------------------------------------------------------- */

/* Split "host", "host:port" or "[v6]" / "[v6]:port" into a lower-cased host and the port text
 * (NULL when none). FALSE for anything else. */
static gboolean
split_host_port (const char *value, char **host, const char **port)
{
  const char *colon;

  *port = NULL;
  if (value[0] == '[')
    {
      const char *close = strchr (value, ']');

      if (close == NULL || (close[1] != '\0' && close[1] != ':'))
        return FALSE;
      *host = g_ascii_strdown (value + 1, close - value - 1);
      if (close[1] == ':')
        *port = close + 2;
      return TRUE;
    }
  colon = strchr (value, ':');
  if (colon != NULL && strchr (colon + 1, ':') != NULL)
    return FALSE; /* a bare IPv6 literal: ambiguous without brackets */
  *host = g_ascii_strdown (value, colon != NULL ? colon - value : -1);
  if (colon != NULL)
    *port = colon + 1;
  return TRUE;
}

static gboolean
parse_port (const char *text, guint16 *out)
{
  guint64 v;

  if (text == NULL || !g_ascii_string_to_unsigned (text, 10, 0, 65535, &v, NULL))
    return FALSE;
  *out = (guint16) v;
  return TRUE;
}

GInetSocketAddress *
hb_http_parse_listen (const char *value, GError **error)
{
  g_autofree char *host = NULL;
  g_autoptr(GInetAddress) addr = NULL;
  const char *port_text = NULL;
  guint16 port = 0;

  if (value == NULL || !split_host_port (value, &host, &port_text))
    {
      g_set_error (error, G_IO_ERROR, G_IO_ERROR_INVALID_ARGUMENT,
                   "http listen address \"%s\": expected ADDR:PORT or [IPV6]:PORT",
                   value != NULL ? value : "");
      return NULL;
    }
  if (!parse_port (port_text, &port))
    {
      g_set_error (error, G_IO_ERROR, G_IO_ERROR_INVALID_ARGUMENT,
                   "http listen address \"%s\": the port must be 0..65535", value);
      return NULL;
    }
  if (host[0] == '\0' || g_str_equal (host, "localhost"))
    addr = g_inet_address_new_loopback (G_SOCKET_FAMILY_IPV4);
  else
    addr = g_inet_address_new_from_string (host);
  if (addr == NULL)
    {
      g_set_error (error, G_IO_ERROR, G_IO_ERROR_INVALID_ARGUMENT,
                   "http listen address \"%s\": \"%s\" is not an IP address", value, host);
      return NULL;
    }
  return G_INET_SOCKET_ADDRESS (g_inet_socket_address_new (addr, port));
}

gboolean
hb_http_host_allowed (const char *host_header, GInetAddress *bound)
{
  g_autofree char *host = NULL;
  g_autoptr(GInetAddress) addr = NULL;
  const char *port_text = NULL;
  guint16 port;

  if (host_header == NULL || !split_host_port (host_header, &host, &port_text))
    return FALSE;
  if (port_text != NULL && !parse_port (port_text, &port))
    return FALSE;
  if (g_str_equal (host, "localhost"))
    return TRUE;
  /* Names other than localhost could point anywhere tomorrow: only literals. */
  addr = g_inet_address_new_from_string (host);
  if (addr == NULL)
    return FALSE;
  if (g_inet_address_get_is_loopback (addr))
    return TRUE;
  if (bound == NULL)
    return FALSE;
  if (g_inet_address_get_is_any (bound))
    return TRUE;
  return g_inet_address_equal (addr, bound);
}

gboolean
hb_http_origin_allowed (const char *origin, const char *host_header)
{
  g_autofree char *own = NULL;

  if (origin == NULL)
    return TRUE;
  if (host_header == NULL)
    return FALSE;
  own = g_strconcat ("http://", host_header, NULL);
  return g_ascii_strcasecmp (origin, own) == 0;
}

gboolean
hb_http_bearer_matches (const char *header, const char *token)
{
  gsize len, token_len;
  guchar diff = 0;

  if (header == NULL || token == NULL || token[0] == '\0' ||
      g_ascii_strncasecmp (header, "Bearer ", 7) != 0)
    return FALSE;
  header += 7;
  while (*header == ' ')
    header++;
  len = strlen (header);
  token_len = strlen (token);
  if (len != token_len)
    return FALSE;
  /* The time taken must not tell how much of a guess was right. */
  for (gsize i = 0; i < len; i++)
    diff |= (guchar) (header[i] ^ token[i]);
  return diff == 0;
}

/* ---- the token -------------------------------------------------------------------------------- */

static char *
token_create (const char *path, GError **error)
{
  guint8 raw[32];
  g_autofree char *hex = g_malloc (sizeof raw * 2 + 2);
  int fd;
  gsize len;

  if (getrandom (raw, sizeof raw, 0) != (ssize_t) sizeof raw)
    {
      g_set_error (error, G_IO_ERROR, g_io_error_from_errno (errno),
                   "Cannot make a token: %s", g_strerror (errno));
      return NULL;
    }
  for (gsize i = 0; i < sizeof raw; i++)
    g_snprintf (hex + 2 * i, 3, "%02x", raw[i]);
  len = sizeof raw * 2;
  hex[len] = '\n';
  hex[len + 1] = '\0';

  /* O_EXCL: never overwrite a token someone else just wrote. */
  fd = g_open (path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
  if (fd < 0)
    {
      g_set_error (error, G_IO_ERROR, g_io_error_from_errno (errno), "Cannot create %s: %s",
                   path, g_strerror (errno));
      return NULL;
    }
  if (write (fd, hex, len + 1) != (ssize_t) (len + 1) || fsync (fd) < 0)
    {
      int saved = errno;

      close (fd);
      g_unlink (path);
      g_set_error (error, G_IO_ERROR, g_io_error_from_errno (saved), "Cannot write %s: %s", path,
                   g_strerror (saved));
      return NULL;
    }
  close (fd);
  g_message ("Created the HTTP bearer token in %s", path);
  hex[len] = '\0';
  return g_steal_pointer (&hex);
}

char *
hb_http_token_load (const char *path, gboolean create, GError **error)
{
  g_autoptr(GError) local = NULL;
  g_autofree char *text = NULL;
  GStatBuf st;

  if (!g_file_get_contents (path, &text, NULL, &local))
    {
      if (create && g_error_matches (local, G_FILE_ERROR, G_FILE_ERROR_NOENT))
        return token_create (path, error);
      g_set_error (error, G_IO_ERROR, G_IO_ERROR_FAILED, "%s", local->message);
      return NULL;
    }
  if (g_stat (path, &st) == 0 && (st.st_mode & 0077) != 0)
    g_warning ("%s can be read by others: chmod 600 it", path);
  g_strstrip (text);
  if (text[0] == '\0' || strchr (text, '\n') != NULL)
    {
      g_set_error (error, G_IO_ERROR, G_IO_ERROR_INVALID_DATA,
                   "%s must hold one token on one line", path);
      return NULL;
    }
  return g_steal_pointer (&text);
}
