/* test-http-route.c: the HTTP bridge's pure parts: routes, listen addresses, Host, Origin, bearer
 * tokens, and the token file. */
#include "config.h"

#include <glib/gstdio.h>
#include <sys/stat.h>

#include "hb-http.h"

typedef struct {
  const char *method;
  const char *path;
  guint status;
  HbHttpRoute route;
  const char *thread_id;   /* expected decoded id, or the expected Allow for 405 */
} RouteCase;

static const RouteCase route_cases[] = {
  { "GET", "/", 200, HB_HTTP_ROUTE_FILE, NULL },
  { "HEAD", "/", 200, HB_HTTP_ROUTE_FILE, NULL },
  { "GET", "/panel.js", 200, HB_HTTP_ROUTE_FILE, NULL },
  { "GET", "/panel.css", 200, HB_HTTP_ROUTE_FILE, NULL },
  { "GET", "/../etc/passwd", 404, HB_HTTP_ROUTE_NONE, NULL },
  { "GET", "/panel.js/", 404, HB_HTTP_ROUTE_NONE, NULL },
  { "POST", "/", 405, HB_HTTP_ROUTE_NONE, "GET, HEAD" },
  { "GET", "/api/heartbeat/status", 200, HB_HTTP_ROUTE_STATUS, NULL },
  { "POST", "/api/heartbeat/status", 405, HB_HTTP_ROUTE_NONE, "GET, HEAD" },
  { "POST", "/api/heartbeat/start", 200, HB_HTTP_ROUTE_START, NULL },
  { "GET", "/api/heartbeat/start", 405, HB_HTTP_ROUTE_NONE, "POST" },
  { "POST", "/api/heartbeat/stop", 200, HB_HTTP_ROUTE_STOP, NULL },
  { "GET", "/api/heartbeat/events", 200, HB_HTTP_ROUTE_EVENTS, NULL },
  { "HEAD", "/api/heartbeat/events", 405, HB_HTTP_ROUTE_NONE, "GET" },
  { "GET", "/api/heartbeat/heartbeat.md", 200, HB_HTTP_ROUTE_MD_GET, NULL },
  { "POST", "/api/heartbeat/heartbeat.md", 200, HB_HTTP_ROUTE_MD_SET, NULL },
  { "PUT", "/api/heartbeat/heartbeat.md", 405, HB_HTTP_ROUTE_NONE, "GET, HEAD, POST" },
  { "GET", "/api/threads", 200, HB_HTTP_ROUTE_THREADS_LIST, NULL },
  { "POST", "/api/threads", 200, HB_HTTP_ROUTE_THREADS_ADD, NULL },
  { "GET", "/api/threads/alpha/heartbeat/config", 200, HB_HTTP_ROUTE_CONFIG_GET, "alpha" },
  { "POST", "/api/threads/alpha/heartbeat/config", 200, HB_HTTP_ROUTE_CONFIG_SET, "alpha" },
  { "DELETE", "/api/threads/alpha/heartbeat/config", 405, HB_HTTP_ROUTE_NONE, "GET, HEAD, POST" },
  { "POST", "/api/threads/alpha/heartbeat/run-now", 200, HB_HTTP_ROUTE_RUN_NOW, "alpha" },
  { "GET", "/api/threads/alpha/heartbeat/run-now", 405, HB_HTTP_ROUTE_NONE, "POST" },
  { "GET", "/api/threads/alpha/heartbeat/history", 200, HB_HTTP_ROUTE_HISTORY, "alpha" },
  { "GET", "/api/threads/a%20b/heartbeat/config", 200, HB_HTTP_ROUTE_CONFIG_GET, "a b" },
  /* an encoded slash stays inside the id */
  { "GET", "/api/threads/a%2Fb/heartbeat/config", 200, HB_HTTP_ROUTE_CONFIG_GET, "a/b" },
  { "GET", "/api/threads/%C3%A9t%C3%A9/heartbeat/config", 200, HB_HTTP_ROUTE_CONFIG_GET,
    "\xc3\xa9t\xc3\xa9" },
  { "GET", "/api/threads//heartbeat/config", 400, HB_HTTP_ROUTE_NONE, NULL },
  { "GET", "/api/threads/%00/heartbeat/config", 400, HB_HTTP_ROUTE_NONE, NULL },
  { "GET", "/api/threads/a%01/heartbeat/config", 400, HB_HTTP_ROUTE_NONE, NULL },
  { "GET", "/api/threads/%FF/heartbeat/config", 400, HB_HTTP_ROUTE_NONE, NULL },
  { "GET", "/api/threads/%zz/heartbeat/config", 400, HB_HTTP_ROUTE_NONE, NULL },
  { "GET", "/api/threads/a/b/heartbeat/config", 404, HB_HTTP_ROUTE_NONE, NULL },
  { "GET", "/api/threads/alpha/heartbeat", 404, HB_HTTP_ROUTE_NONE, NULL },
  { "GET", "/api/nothing", 404, HB_HTTP_ROUTE_NONE, NULL },
};

static void
test_route (void)
{
  for (gsize i = 0; i < G_N_ELEMENTS (route_cases); i++)
    {
      const RouteCase *c = &route_cases[i];
      g_autoptr(GError) error = NULL;
      HbHttpMatch m = { 0 };
      guint status = hb_http_route (c->method, c->path, &m, &error);

      g_test_message ("%s %s", c->method, c->path);
      g_assert_cmpuint (status, ==, c->status);
      if (status == 200)
        {
          g_assert_no_error (error);
          g_assert_cmpint (m.route, ==, c->route);
          g_assert_cmpstr (m.thread_id, ==, c->thread_id);
        }
      else if (status == 405)
        g_assert_cmpstr (m.allow, ==, c->thread_id);
      else if (status == 400)
        {
          g_assert_nonnull (error);
          g_assert_true (g_str_has_prefix (error->message, "thread_id: "));
        }
      hb_http_match_clear (&m);
    }
}

static void
test_route_long_id (void)
{
  g_autofree char *id = g_strnfill (HB_THREAD_ID_MAX + 1, 'x');
  g_autofree char *path = g_strdup_printf ("/api/threads/%s/heartbeat/config", id);
  g_autoptr(GError) error = NULL;
  HbHttpMatch m = { 0 };

  g_assert_cmpuint (hb_http_route ("GET", path, &m, &error), ==, 400);
  g_assert_nonnull (strstr (error->message, "at most"));
  hb_http_match_clear (&m);
}

typedef struct {
  const char *value;
  const char *address;   /* NULL: an error */
  guint port;
} ListenCase;

static const ListenCase listen_cases[] = {
  { "127.0.0.1:8080", "127.0.0.1", 8080 },
  { ":8080", "127.0.0.1", 8080 },
  { "localhost:0", "127.0.0.1", 0 },
  { "LOCALHOST:1", "127.0.0.1", 1 },
  { "[::1]:9000", "::1", 9000 },
  { "0.0.0.0:80", "0.0.0.0", 80 },
  { "192.168.1.5:65535", "192.168.1.5", 65535 },
  { "127.0.0.1", NULL, 0 },
  { "127.0.0.1:", NULL, 0 },
  { "127.0.0.1:65536", NULL, 0 },
  { "127.0.0.1:-1", NULL, 0 },
  { "127.0.0.1:80x", NULL, 0 },
  { "example.com:80", NULL, 0 },
  { "::1:80", NULL, 0 },
  { "[::1:80", NULL, 0 },
  { "", NULL, 0 },
};

static void
test_listen (void)
{
  for (gsize i = 0; i < G_N_ELEMENTS (listen_cases); i++)
    {
      const ListenCase *c = &listen_cases[i];
      g_autoptr(GError) error = NULL;
      g_autoptr(GInetSocketAddress) a = hb_http_parse_listen (c->value, &error);

      g_test_message ("listen \"%s\"", c->value);
      if (c->address == NULL)
        {
          g_assert_null (a);
          g_assert_error (error, G_IO_ERROR, G_IO_ERROR_INVALID_ARGUMENT);
        }
      else
        {
          g_autofree char *s = NULL;

          g_assert_no_error (error);
          s = g_inet_address_to_string (g_inet_socket_address_get_address (a));
          g_assert_cmpstr (s, ==, c->address);
          g_assert_cmpuint (g_inet_socket_address_get_port (a), ==, c->port);
        }
    }
}

typedef struct {
  const char *host;
  const char *bound;
  gboolean allowed;
} HostCase;

static const HostCase host_cases[] = {
  { "127.0.0.1:8080", "127.0.0.1", TRUE },
  { "127.0.0.1", "127.0.0.1", TRUE },
  { "localhost:8080", "127.0.0.1", TRUE },
  { "LocalHost", "127.0.0.1", TRUE },
  { "[::1]:8080", "127.0.0.1", TRUE },
  { "127.1.2.3:8080", "127.0.0.1", TRUE },
  { "evil.example:8080", "127.0.0.1", FALSE },
  { "evil.example", "0.0.0.0", FALSE },
  { "localhost.evil.example", "127.0.0.1", FALSE },
  { "192.168.1.5:8080", "127.0.0.1", FALSE },
  { "192.168.1.5:8080", "192.168.1.5", TRUE },
  { "192.168.1.6:8080", "192.168.1.5", FALSE },
  { "10.0.0.1:8080", "0.0.0.0", TRUE },
  { "127.0.0.1:x", "127.0.0.1", FALSE },
  { "127.0.0.1:99999", "127.0.0.1", FALSE },
  { "::1", "127.0.0.1", FALSE },
  { "", "127.0.0.1", FALSE },
  { NULL, "127.0.0.1", FALSE },
};

static void
test_host (void)
{
  for (gsize i = 0; i < G_N_ELEMENTS (host_cases); i++)
    {
      const HostCase *c = &host_cases[i];
      g_autoptr(GInetAddress) bound = g_inet_address_new_from_string (c->bound);

      g_test_message ("Host \"%s\" bound to %s", c->host, c->bound);
      g_assert_cmpint (hb_http_host_allowed (c->host, bound), ==, c->allowed);
    }
}

static void
test_origin (void)
{
  g_assert_true (hb_http_origin_allowed (NULL, "127.0.0.1:8080"));
  g_assert_true (hb_http_origin_allowed ("http://127.0.0.1:8080", "127.0.0.1:8080"));
  g_assert_true (hb_http_origin_allowed ("http://LOCALHOST:8080", "localhost:8080"));
  g_assert_false (hb_http_origin_allowed ("http://127.0.0.1:8081", "127.0.0.1:8080"));
  g_assert_false (hb_http_origin_allowed ("https://127.0.0.1:8080", "127.0.0.1:8080"));
  g_assert_false (hb_http_origin_allowed ("http://evil.example", "127.0.0.1:8080"));
  g_assert_false (hb_http_origin_allowed ("null", "127.0.0.1:8080"));
  g_assert_false (hb_http_origin_allowed ("http://127.0.0.1:8080", NULL));
}

static void
test_bearer (void)
{
  g_assert_true (hb_http_bearer_matches ("Bearer abc123", "abc123"));
  g_assert_true (hb_http_bearer_matches ("bearer abc123", "abc123"));
  g_assert_false (hb_http_bearer_matches ("Bearer abc124", "abc123"));
  g_assert_false (hb_http_bearer_matches ("Bearer abc12", "abc123"));
  g_assert_false (hb_http_bearer_matches ("Bearer abc1234", "abc123"));
  g_assert_false (hb_http_bearer_matches ("Basic abc123", "abc123"));
  g_assert_false (hb_http_bearer_matches ("abc123", "abc123"));
  g_assert_false (hb_http_bearer_matches (NULL, "abc123"));
  /* no token configured: nothing matches, not even an empty one */
  g_assert_false (hb_http_bearer_matches ("Bearer ", ""));
}

static void
test_token_file (void)
{
  g_autofree char *dir = g_dir_make_tmp ("hb-http-XXXXXX", NULL);
  g_autofree char *path = g_build_filename (dir, "http-token", NULL);
  g_autofree char *empty = g_build_filename (dir, "empty", NULL);
  g_autoptr(GError) error = NULL;
  g_autofree char *made = NULL;
  g_autofree char *again = NULL;
  char *missing;
  GStatBuf st;

  missing = hb_http_token_load (path, FALSE, &error);
  g_assert_null (missing);
  g_assert_nonnull (error);
  g_clear_error (&error);

  made = hb_http_token_load (path, TRUE, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (strlen (made), ==, 64);
  g_assert_cmpint (g_stat (path, &st), ==, 0);
  g_assert_cmpuint (st.st_mode & 0777, ==, 0600);

  again = hb_http_token_load (path, TRUE, &error);
  g_assert_no_error (error);
  g_assert_cmpstr (again, ==, made);

  g_assert_true (g_file_set_contents (empty, " \n", -1, NULL));
  g_assert_cmpint (g_chmod (empty, 0600), ==, 0);
  g_assert_null (hb_http_token_load (empty, TRUE, &error));
  g_assert_error (error, G_IO_ERROR, G_IO_ERROR_INVALID_DATA);

  g_unlink (empty);
  g_unlink (path);
  g_rmdir (dir);
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);
  g_test_add_func ("/http/route/table", test_route);
  g_test_add_func ("/http/route/long-id", test_route_long_id);
  g_test_add_func ("/http/listen", test_listen);
  g_test_add_func ("/http/host", test_host);
  g_test_add_func ("/http/origin", test_origin);
  g_test_add_func ("/http/bearer", test_bearer);
  g_test_add_func ("/http/token-file", test_token_file);
  return g_test_run ();
}
