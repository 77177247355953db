/* hb-fake-ollama-scan.c: a chat request's syntax checked, and the two members the fake acts on
 * read, without building a tree.
 *
 * The benchmarks' fake answers a thousand requests a second; building (and later freeing) a
 * json-glib tree of each body, prompt and decision schema included, was most of its work. The
 * tree is built only when a test asks for the last request. */
#include "config.h"

#include <string.h>

#include "hb-fake-ollama-private.h"

#define SCAN_MAX_DEPTH 64

typedef struct
{
  const char *p;
  const char *end;
} Scan;

static void
scan_ws (Scan *s)
{
  while (s->p < s->end && (*s->p == ' ' || *s->p == '\t' || *s->p == '\n' || *s->p == '\r'))
    s->p++;
}

/* A string, from its opening quote; its raw text (quotes excluded) in @start/@len, and whether
 * it has escapes. */
static gboolean
scan_string (Scan *s, const char **start, gsize *len, gboolean *escaped)
{
  s->p++;
  *start = s->p;
  *escaped = FALSE;
  while (s->p < s->end)
    {
      guchar c;

      /* Most of a request is the prompt's text: skip plain characters quickly. */
      while (s->p < s->end && (guchar) *s->p >= 0x20 && *s->p != '"' && *s->p != '\\')
        s->p++;
      if (s->p >= s->end)
        break;
      c = (guchar) *s->p;
      if (c == '"')
        {
          *len = (gsize) (s->p - *start);
          s->p++;
          return TRUE;
        }
      if (c < 0x20)
        return FALSE;
      if (c == '\\')
        {
          *escaped = TRUE;
          if (++s->p >= s->end)
            return FALSE;
          if (*s->p == 'u')
            {
              if (s->end - s->p < 5)
                return FALSE;
              for (int i = 1; i <= 4; i++)
                if (!g_ascii_isxdigit (s->p[i]))
                  return FALSE;
              s->p += 4;
            }
          else if (strchr ("\"\\/bfnrt", *s->p) == NULL || *s->p == '\0')
            return FALSE;
        }
      s->p++;
    }
  return FALSE;
}

static gboolean
scan_digits (Scan *s)
{
  const char *start = s->p;

  while (s->p < s->end && g_ascii_isdigit (*s->p))
    s->p++;
  return s->p > start;
}

static gboolean
scan_number (Scan *s)
{
  if (*s->p == '-')
    s->p++;
  if (s->p < s->end && *s->p == '0')
    s->p++;
  else if (!scan_digits (s))
    return FALSE;
  if (s->p < s->end && *s->p == '.')
    {
      s->p++;
      if (!scan_digits (s))
        return FALSE;
    }
  if (s->p < s->end && (*s->p == 'e' || *s->p == 'E'))
    {
      s->p++;
      if (s->p < s->end && (*s->p == '+' || *s->p == '-'))
        s->p++;
      if (!scan_digits (s))
        return FALSE;
    }
  return TRUE;
}

static gboolean
scan_literal (Scan *s, const char *word)
{
  gsize n = strlen (word);

  if ((gsize) (s->end - s->p) < n || memcmp (s->p, word, n) != 0)
    return FALSE;
  s->p += n;
  return TRUE;
}

static gboolean scan_value (Scan *s, guint depth);

/* An object or array, from its opening bracket. */
static gboolean
scan_container (Scan *s, guint depth)
{
  gboolean object = *s->p == '{';
  char close = object ? '}' : ']';

  if (depth >= SCAN_MAX_DEPTH)
    return FALSE;
  s->p++;
  scan_ws (s);
  if (s->p < s->end && *s->p == close)
    {
      s->p++;
      return TRUE;
    }
  for (;;)
    {
      if (object)
        {
          const char *key;
          gsize len;
          gboolean escaped;

          if (s->p >= s->end || *s->p != '"' || !scan_string (s, &key, &len, &escaped))
            return FALSE;
          scan_ws (s);
          if (s->p >= s->end || *s->p != ':')
            return FALSE;
          s->p++;
        }
      if (!scan_value (s, depth + 1))
        return FALSE;
      scan_ws (s);
      if (s->p < s->end && *s->p == ',')
        {
          s->p++;
          scan_ws (s);
          continue;
        }
      if (s->p < s->end && *s->p == close)
        {
          s->p++;
          return TRUE;
        }
      return FALSE;
    }
}

static gboolean
scan_value (Scan *s, guint depth)
{
  const char *start;
  gsize len;
  gboolean escaped;

  scan_ws (s);
  if (s->p >= s->end)
    return FALSE;
  switch (*s->p)
    {
    case '{':
    case '[':
      return scan_container (s, depth);
    case '"':
      return scan_string (s, &start, &len, &escaped);
    case 't':
      return scan_literal (s, "true");
    case 'f':
      return scan_literal (s, "false");
    case 'n':
      return scan_literal (s, "null");
    default:
      return (*s->p == '-' || g_ascii_isdigit (*s->p)) && scan_number (s);
    }
}

gboolean
hb_fake_scan_request (const char *text, gsize len, HbFakeRequestInfo *out)
{
  Scan s = { text, text + len };
  gboolean seen_model = FALSE, seen_stream = FALSE;

  memset (out, 0, sizeof *out);
  out->stream = -1;
  if (!g_utf8_validate (text, (gssize) len, NULL))
    return FALSE;
  scan_ws (&s);
  if (s.p >= s.end || *s.p != '{')
    return FALSE;
  s.p++;
  scan_ws (&s);
  if (s.p < s.end && *s.p == '}')
    s.p++;
  else
    for (;;)
      {
        const char *key, *value;
        gsize key_len, value_len;
        gboolean key_escaped;

        if (s.p >= s.end || *s.p != '"' || !scan_string (&s, &key, &key_len, &key_escaped))
          return FALSE;
        scan_ws (&s);
        if (s.p >= s.end || *s.p != ':')
          return FALSE;
        s.p++;
        scan_ws (&s);
        value = s.p;
        if (!scan_value (&s, 1))
          return FALSE;
        value_len = (gsize) (s.p - value);
        /* What the fake reads is plain text in every request it is sent; anything else (an
         * escape, a member named twice) is left to json-glib's reading of the whole body. */
        if (key_escaped)
          out->unusual = TRUE;
        else if (key_len == 5 && memcmp (key, "model", 5) == 0)
          {
            out->unusual |= seen_model;
            seen_model = TRUE;
            g_clear_pointer (&out->model, g_free);
            /* The quotes are the value's first and last bytes; no escape, no decoding. */
            if (*value == '"' && memchr (value, '\\', value_len) == NULL)
              out->model = g_strndup (value + 1, value_len - 2);
            else
              out->unusual |= *value == '"';
          }
        else if (key_len == 6 && memcmp (key, "stream", 6) == 0)
          {
            out->unusual |= seen_stream;
            seen_stream = TRUE;
            out->stream = *value == 't' ? 1 : *value == 'f' ? 0 : -1;
          }
        scan_ws (&s);
        if (s.p < s.end && *s.p == ',')
          {
            s.p++;
            scan_ws (&s);
            continue;
          }
        if (s.p < s.end && *s.p == '}')
          {
            s.p++;
            break;
          }
        return FALSE;
      }
  scan_ws (&s);
  return s.p == s.end;
}

void
hb_fake_request_info_clear (HbFakeRequestInfo *info)
{
  g_clear_pointer (&info->model, g_free);
}
