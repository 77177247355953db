/* fuzz-http: the HTTP bridge's request checks, before any handler runs.
 *
 * Input: method, path, Host header, Origin header, Authorization header and a listen address,
 * separated by NUL bytes. Routing must answer one of its four statuses with a match that holds
 * what the status promises (a panel file name that cannot leave the panel directory, a thread id
 * that passes the D-Bus validator, the Allow list of a 405); the header checks must never accept
 * anything but what they document. */
#include "config.h"

#include <string.h>

#include "hb-fuzz.h"
#include "hb-http.h"
#include "hb-thread.h"

#define N_FIELDS 6

static const char token[] = "0123456789abcdef0123456789abcdef";

int
LLVMFuzzerInitialize (int *argc, char ***argv)
{
  hb_fuzz_init ();
  return 0;
}

static void
check_route (const char *method, const char *path)
{
  HbHttpMatch match = { 0 };
  g_autoptr(GError) error = NULL;
  g_autoptr(GError) id_error = NULL;
  guint status = hb_http_route (method, path, &match, &error);

  switch (status)
    {
    case 200:
      hb_fuzz_check (match.route != HB_HTTP_ROUTE_NONE, "200 without a route");
      if (match.route == HB_HTTP_ROUTE_FILE)
        hb_fuzz_check (match.file != NULL && strchr (match.file, '/') == NULL
                       && strstr (match.file, "..") == NULL, "panel file %s", match.file);
      if (match.thread_id != NULL)
        hb_fuzz_check (hb_thread_id_validate (match.thread_id, &id_error),
                       "routed thread id the validator refuses: %s", id_error->message);
      break;
    case 400:
      hb_fuzz_check (error != NULL && g_utf8_validate (error->message, -1, NULL),
                     "400 without a readable reason");
      break;
    case 404:
      break;
    case 405:
      hb_fuzz_check (match.allow != NULL && *match.allow != '\0', "405 without Allow");
      break;
    default:
      hb_fuzz_fail ("route status %u", status);
    }
  hb_fuzz_check (status == 400 || error == NULL, "an error with status %u", status);
  hb_http_match_clear (&match);
}

static void
check_headers (const char *host, const char *origin, const char *authorization)
{
  g_autoptr(GInetAddress) loopback = g_inet_address_new_loopback (G_SOCKET_FAMILY_IPV4);
  g_autoptr(GInetAddress) any = g_inet_address_new_any (G_SOCKET_FAMILY_IPV4);

  (void) hb_http_host_allowed (host, loopback);
  (void) hb_http_host_allowed (host, any);
  if (hb_http_origin_allowed (origin, host))
    {
      g_autofree char *own = g_strconcat ("http://", host, NULL);

      hb_fuzz_check (g_ascii_strcasecmp (origin, own) == 0, "origin %s allowed for host %s",
                     origin, host);
    }
  if (hb_http_bearer_matches (authorization, token))
    hb_fuzz_check (g_str_has_suffix (authorization, token), "bearer %s accepted", authorization);
}

static void
check_listen (const char *value)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(GInetSocketAddress) addr = hb_http_parse_listen (value, &error);

  if (addr == NULL)
    hb_fuzz_check (g_error_matches (error, G_IO_ERROR, G_IO_ERROR_INVALID_ARGUMENT),
                   "listen address refused with another error: %s", error->message);
}

int
LLVMFuzzerTestOneInput (const uint8_t *data, size_t size)
{
  char *fields[N_FIELDS] = { NULL };
  size_t pos = 0;

  /* Missing fields are empty strings. */
  for (guint i = 0; i < N_FIELDS; i++)
    {
      const uint8_t *nul = pos < size ? memchr (data + pos, '\0', size - pos) : NULL;
      size_t end = nul != NULL ? (size_t) (nul - data) : size;

      fields[i] = hb_fuzz_strndup (data + MIN (pos, size), end > pos ? end - pos : 0);
      pos = end + 1;
    }
  check_route (fields[0], fields[1]);
  check_headers (fields[2], fields[3], fields[4]);
  check_listen (fields[5]);
  for (guint i = 0; i < N_FIELDS; i++)
    g_free (fields[i]);
  return 0;
}
