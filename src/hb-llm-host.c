/* hb-llm-host.c: OLLAMA_HOST parsing by the official client's rules (see hb-llm.h).
 *
 * Pure string work: no resolver, no I/O. Anything a URL parser would silently drop or
 * reinterpret (user info, query, fragment, spaces) is refused instead, so a typo in the
 * environment is reported rather than turned into a request to some other place. */
#include "config.h"

#include <string.h>

#include "hb-llm.h"

#define HB_OLLAMA_DEFAULT_URL "http://127.0.0.1:11434"

static gboolean
hb_host_fail (GError **error, const char *value, const char *why)
{
  g_set_error (error, G_IO_ERROR, G_IO_ERROR_INVALID_ARGUMENT,
               "Invalid Ollama host \"%s\": %s", value, why);
  return FALSE;
}

static gboolean
hb_host_is_ipv6 (const char *text)
{
  g_autoptr(GInetAddress) addr = g_inet_address_new_from_string (text);

  return addr != NULL && g_inet_address_get_family (addr) == G_SOCKET_FAMILY_IPV6;
}

static gboolean
hb_host_is_ipv6_any (const char *text)
{
  g_autoptr(GInetAddress) addr = g_inet_address_new_from_string (text);

  return addr != NULL && g_inet_address_get_is_any (addr);
}

static gboolean
hb_host_name_valid (const char *name)
{
  for (const char *p = name; *p != '\0'; p++)
    if (!g_ascii_isalnum (*p) && *p != '.' && *p != '-' && *p != '_')
      return FALSE;
  return name[0] != '.' && name[0] != '-';
}

/* "" keeps the default; otherwise 1..65535 in decimal digits only. */
static gboolean
hb_host_parse_port (const char *text, guint *port)
{
  guint64 v = 0;

  if (*text == '\0')
    return TRUE;
  if (strlen (text) > 5)
    return FALSE;
  for (const char *p = text; *p != '\0'; p++)
    {
      if (!g_ascii_isdigit (*p))
        return FALSE;
      v = v * 10 + (guint64) (*p - '0');
    }
  if (v == 0 || v > 65535)
    return FALSE;
  *port = (guint) v;
  return TRUE;
}

/* Split "host", "host:port", "[v6]", "[v6]:port" or a bare IPv6 literal. On success *host is
 * the host as it goes into the URL (IPv6 in brackets, wildcard addresses mapped to loopback). */
static gboolean
hb_host_split (const char *value, const char *hostport, char **host, guint *port, GError **error)
{
  g_autofree char *name = NULL;
  const char *colon;

  if (hostport[0] == '[')
    {
      const char *close = strchr (hostport, ']');

      if (close == NULL)
        return hb_host_fail (error, value, "unterminated '[' in IPv6 address");
      name = g_strndup (hostport + 1, close - hostport - 1);
      if (!hb_host_is_ipv6 (name))
        return hb_host_fail (error, value, "not an IPv6 address inside [ ]");
      if (close[1] != '\0' && (close[1] != ':' || !hb_host_parse_port (close + 2, port)))
        return hb_host_fail (error, value, "bad port after IPv6 address");
      *host = hb_host_is_ipv6_any (name) ? g_strdup ("[::1]") : g_strdup_printf ("[%s]", name);
      return TRUE;
    }

  colon = strchr (hostport, ':');
  if (colon != NULL && strchr (colon + 1, ':') != NULL)
    {
      /* More than one ':' without brackets: only a bare IPv6 literal (no port possible). */
      if (!hb_host_is_ipv6 (hostport))
        return hb_host_fail (error, value, "IPv6 address must be in [ ] to carry a port");
      *host = hb_host_is_ipv6_any (hostport) ? g_strdup ("[::1]")
                                             : g_strdup_printf ("[%s]", hostport);
      return TRUE;
    }

  if (colon != NULL)
    {
      name = g_strndup (hostport, colon - hostport);
      if (!hb_host_parse_port (colon + 1, port))
        return hb_host_fail (error, value, "port must be a number from 1 to 65535");
    }
  else
    name = g_strdup (hostport);

  if (name[0] == '\0' || g_str_equal (name, "0.0.0.0"))
    {
      *host = g_strdup ("127.0.0.1");
      return TRUE;
    }
  if (!hb_host_name_valid (name))
    return hb_host_fail (error, value, "host name has characters a host name cannot have");
  *host = g_steal_pointer (&name);
  return TRUE;
}

char *
hb_ollama_host_parse (const char *value, GError **error)
{
  g_autofree char *trimmed = NULL;
  g_autofree char *scheme = NULL;
  g_autofree char *hostport = NULL;
  g_autofree char *host = NULL;
  g_autofree char *path = NULL;
  const char *rest;
  const char *sep;
  const char *slash;
  guint port = 11434;

  if (value == NULL)
    return g_strdup (HB_OLLAMA_DEFAULT_URL);
  trimmed = g_strstrip (g_strdup (value));
  if (trimmed[0] == '\0')
    return g_strdup (HB_OLLAMA_DEFAULT_URL);

  for (const char *p = trimmed; *p != '\0'; p++)
    if ((guchar) *p <= ' ' || (guchar) *p >= 0x7f || strchr ("?#@\\\"<>{}|^`", *p) != NULL)
      {
        hb_host_fail (error, value, "contains a character that has no place in a host URL");
        return NULL;
      }

  sep = strstr (trimmed, "://");
  if (sep != NULL)
    {
      scheme = g_ascii_strdown (trimmed, sep - trimmed);
      if (g_str_equal (scheme, "http"))
        port = 80;
      else if (g_str_equal (scheme, "https"))
        port = 443;
      else
        {
          hb_host_fail (error, value, "scheme must be http or https");
          return NULL;
        }
      rest = sep + 3;
      if (*rest == '\0')
        {
          hb_host_fail (error, value, "no host after the scheme");
          return NULL;
        }
    }
  else
    {
      scheme = g_strdup ("http");
      rest = trimmed;
    }

  slash = strchr (rest, '/');
  hostport = slash != NULL ? g_strndup (rest, slash - rest) : g_strdup (rest);
  if (!hb_host_split (value, hostport, &host, &port, error))
    return NULL;

  if (slash != NULL)
    {
      /* The official client keeps a path, without its leading and trailing slashes. */
      const char *start = slash;
      const char *end = slash + strlen (slash);

      while (*start == '/')
        start++;
      while (end > start && end[-1] == '/')
        end--;
      if (end > start)
        path = g_strndup (start, end - start);
    }

  if (path != NULL)
    return g_strdup_printf ("%s://%s:%u/%s", scheme, host, port, path);
  return g_strdup_printf ("%s://%s:%u", scheme, host, port);
}
