/* hb-json.c: parsing JSON that comes from outside, and writing JSON text without a tree */
#include "config.h"

#include <math.h>
#include <string.h>

#include <json-glib/json-glib.h>

#include "hb-json.h"

gboolean
hb_json_text_has_trailing_container (const char *text, gsize len)
{
  gsize depth = 0;
  gboolean in_string = FALSE;
  gboolean seen_value = FALSE;

  for (gsize i = 0; i < len; i++)
    {
      char c = text[i];

      if (in_string)
        {
          if (c == '\\')
            i++;
          else if (c == '"')
            in_string = FALSE;
        }
      else if (c == '{' || c == '[')
        {
          if (depth == 0 && seen_value)
            return TRUE;
          depth++;
        }
      else if (c == '}' || c == ']')
        {
          if (depth > 0 && --depth == 0)
            seen_value = TRUE;
        }
      else
        {
          in_string = c == '"';
          if (depth == 0 && !g_ascii_isspace (c))
            seen_value = TRUE;
        }
    }
  return FALSE;
}

guint
hb_json_text_depth (const char *text, gsize len)
{
  guint depth = 0;
  guint deepest = 0;
  gboolean in_string = FALSE;

  for (gsize i = 0; i < len; i++)
    {
      char c = text[i];

      if (in_string)
        {
          if (c == '\\')
            i++;
          else if (c == '"')
            in_string = FALSE;
        }
      else if (c == '"')
        in_string = TRUE;
      else if (c == '{' || c == '[')
        deepest = MAX (deepest, ++depth);
      else if ((c == '}' || c == ']') && depth > 0)
        depth--;
    }
  return deepest;
}

JsonNode *
hb_json_parse_single (const char *text, GError **error)
{
  gsize len = text != NULL ? strlen (text) : 0;

  if (text != NULL && hb_json_text_has_trailing_container (text, len))
    {
      g_set_error_literal (error, JSON_PARSER_ERROR, JSON_PARSER_ERROR_PARSE,
                           "more than one JSON value");
      return NULL;
    }
  if (text != NULL && hb_json_text_depth (text, len) > HB_JSON_MAX_DEPTH)
    {
      g_set_error (error, JSON_PARSER_ERROR, JSON_PARSER_ERROR_PARSE,
                   "nested more than %d levels deep", HB_JSON_MAX_DEPTH);
      return NULL;
    }
  return json_from_string (text, error);
}

/* ---- writing ---- */

/* Per byte: 0 copied as is; otherwise the letter after the backslash ('u' for \u00XX). Byte 0
 * ends the string. */
static const char hb_json_escapes[256] = {
  [0x00] = 'u', [0x01] = 'u', [0x02] = 'u', [0x03] = 'u', [0x04] = 'u', [0x05] = 'u',
  [0x06] = 'u', [0x07] = 'u', [0x08] = 'b', [0x09] = 't', [0x0a] = 'n', [0x0b] = 'u',
  [0x0c] = 'f', [0x0d] = 'r', [0x0e] = 'u', [0x0f] = 'u', [0x10] = 'u', [0x11] = 'u',
  [0x12] = 'u', [0x13] = 'u', [0x14] = 'u', [0x15] = 'u', [0x16] = 'u', [0x17] = 'u',
  [0x18] = 'u', [0x19] = 'u', [0x1a] = 'u', [0x1b] = 'u', [0x1c] = 'u', [0x1d] = 'u',
  [0x1e] = 'u', [0x1f] = 'u', ['"'] = '"', ['\\'] = '\\', [0x7f] = 'u',
};

/* One pass, a table lookup a byte, the plain runs between escapes copied whole. (Testing eight
 * bytes at a time measured slower: prompts have a newline or a quote every few words.) */
void
hb_json_append_string (GString *out, const char *str)
{
  static const char hex[] = "0123456789abcdef";
  const guchar *p = (const guchar *) str;
  const guchar *run = p;

  g_string_append_c (out, '"');
  for (;; p++)
    {
      char esc = hb_json_escapes[*p];

      if (G_LIKELY (esc == 0))
        continue;
      if (p > run)
        g_string_append_len (out, (const char *) run, p - run);
      if (*p == '\0')
        break;
      g_string_append_c (out, '\\');
      g_string_append_c (out, esc);
      if (esc == 'u')
        {
          g_string_append_c (out, '0');
          g_string_append_c (out, '0');
          g_string_append_c (out, hex[*p >> 4]);
          g_string_append_c (out, hex[*p & 0xf]);
        }
      run = p + 1;
    }
  g_string_append_c (out, '"');
}

void
hb_json_append_int64 (GString *out, gint64 value)
{
  char buf[24];
  char *p = buf + sizeof buf;
  /* Negated as unsigned, so that G_MININT64 works too. */
  guint64 v = value < 0 ? -(guint64) value : (guint64) value;

  do
    {
      *--p = (char) ('0' + v % 10);
      v /= 10;
    }
  while (v != 0);
  if (value < 0)
    *--p = '-';
  g_string_append_len (out, p, buf + sizeof buf - p);
}

void
hb_json_append_double (GString *out, double value)
{
  char buf[G_ASCII_DTOSTR_BUF_SIZE];

  if (!isfinite (value))
    {
      g_string_append_len (out, "null", 4);
      return;
    }
  g_ascii_dtostr (buf, sizeof buf, value);
  g_string_append (out, buf);
  if (strpbrk (buf, ".e") == NULL)
    g_string_append_len (out, ".0", 2);
}

/* ---- the fast parser ---- */

typedef struct
{
  const char *p;
  const char *end;
  GString *scratch;     /* the string being decoded */
  guint depth;
  gboolean non_ascii;   /* seen in a string: the text is UTF-8-validated at the end */
} HbJsonFast;

static JsonNode *hb_json_fast_value (HbJsonFast *f);

static void
hb_json_fast_ws (HbJsonFast *f)
{
  while (f->p < f->end && (*f->p == ' ' || *f->p == '\n' || *f->p == '\r' || *f->p == '\t'))
    f->p++;
}

static gint
hb_json_fast_hex4 (const char *p)
{
  gint v = 0;

  for (guint i = 0; i < 4; i++)
    {
      gint d = g_ascii_xdigit_value (p[i]);

      if (d < 0)
        return -1;
      v = v * 16 + d;
    }
  return v;
}

/* A \uXXXX escape at f->p (after the backslash and 'u'), with its low half if it is a high
 * surrogate. */
static gboolean
hb_json_fast_unicode (HbJsonFast *f)
{
  char utf8[6];
  gint c;

  if (f->end - f->p < 4 || (c = hb_json_fast_hex4 (f->p)) <= 0)
    return FALSE; /* json-glib cuts a string at \u0000 */
  f->p += 4;
  if (c >= 0xdc00 && c <= 0xdfff)
    return FALSE;
  if (c >= 0xd800 && c <= 0xdbff)
    {
      gint low;

      if (f->end - f->p < 6 || f->p[0] != '\\' || f->p[1] != 'u'
          || (low = hb_json_fast_hex4 (f->p + 2)) < 0xdc00 || low > 0xdfff)
        return FALSE;
      f->p += 6;
      c = 0x10000 + ((c - 0xd800) << 10) + (low - 0xdc00);
    }
  g_string_append_len (f->scratch, utf8, g_unichar_to_utf8 ((gunichar) c, utf8));
  return TRUE;
}

/* The string at f->p (its opening quote) decoded into f->scratch. */
static gboolean
hb_json_fast_string (HbJsonFast *f)
{
  const char *run;

  g_string_truncate (f->scratch, 0);
  run = ++f->p;
  while (f->p < f->end)
    {
      guchar c = (guchar) *f->p;

      if (c >= 0x20 && c != '"' && c != '\\')
        {
          if (c >= 0x80)
            f->non_ascii = TRUE;
          f->p++;
          continue;
        }
      g_string_append_len (f->scratch, run, f->p - run);
      if (c == '"')
        {
          f->p++;
          return TRUE;
        }
      if (c < 0x20 || f->end - f->p < 2)
        return FALSE;
      f->p += 2;
      switch (f->p[-1])
        {
        case '"': g_string_append_c (f->scratch, '"'); break;
        case '\\': g_string_append_c (f->scratch, '\\'); break;
        case '/': g_string_append_c (f->scratch, '/'); break;
        case 'b': g_string_append_c (f->scratch, '\b'); break;
        case 'f': g_string_append_c (f->scratch, '\f'); break;
        case 'n': g_string_append_c (f->scratch, '\n'); break;
        case 'r': g_string_append_c (f->scratch, '\r'); break;
        case 't': g_string_append_c (f->scratch, '\t'); break;
        case 'u':
          if (!hb_json_fast_unicode (f))
            return FALSE;
          break;
        default:
          return FALSE;
        }
      run = f->p;
    }
  return FALSE;
}

static gsize
hb_json_fast_digits (HbJsonFast *f)
{
  const char *start = f->p;

  while (f->p < f->end && g_ascii_isdigit (*f->p))
    f->p++;
  return f->p - start;
}

static JsonNode *
hb_json_fast_number (HbJsonFast *f)
{
  const char *start = f->p;
  gboolean is_double = FALSE;
  char buf[64];
  gsize int_digits;
  JsonNode *node;

  if (*f->p == '-')
    f->p++;
  int_digits = hb_json_fast_digits (f);
  if (int_digits == 0 || (int_digits > 1 && f->p[-(gssize) int_digits] == '0'))
    return NULL;
  if (f->p < f->end && *f->p == '.')
    {
      f->p++;
      if (hb_json_fast_digits (f) == 0)
        return NULL;
      is_double = TRUE;
    }
  if (f->p < f->end && (*f->p == 'e' || *f->p == 'E'))
    {
      f->p++;
      if (f->p < f->end && (*f->p == '+' || *f->p == '-'))
        f->p++;
      if (hb_json_fast_digits (f) == 0)
        return NULL;
      is_double = TRUE;
    }
  if ((gsize) (f->p - start) >= sizeof buf || (!is_double && int_digits > 18))
    return NULL;
  memcpy (buf, start, f->p - start);
  buf[f->p - start] = '\0';
  node = json_node_alloc ();
  if (is_double)
    json_node_init_double (node, g_ascii_strtod (buf, NULL));
  else
    json_node_init_int (node, g_ascii_strtoll (buf, NULL, 10));
  return node;
}

static gboolean
hb_json_fast_literal (HbJsonFast *f, const char *word, gsize len)
{
  if ((gsize) (f->end - f->p) < len || memcmp (f->p, word, len) != 0)
    return FALSE;
  f->p += len;
  return TRUE;
}

/* After the opening '{' or '[': the members or elements, up to and with the closing one. */
static JsonNode *
hb_json_fast_container (HbJsonFast *f, gboolean is_object)
{
  g_autoptr(JsonObject) obj = is_object ? json_object_new () : NULL;
  g_autoptr(JsonArray) arr = is_object ? NULL : json_array_new ();
  JsonNode *node;

  if (++f->depth > HB_JSON_MAX_DEPTH)
    return NULL;
  f->p++;
  hb_json_fast_ws (f);
  if (f->p < f->end && *f->p == (is_object ? '}' : ']'))
    f->p++;
  else
    for (;;)
      {
        g_autofree char *key = NULL;
        JsonNode *value;

        if (is_object)
          {
            if (f->p >= f->end || *f->p != '"' || !hb_json_fast_string (f))
              return NULL;
            key = g_strndup (f->scratch->str, f->scratch->len);
            hb_json_fast_ws (f);
            if (f->p >= f->end || *f->p != ':' || json_object_has_member (obj, key))
              return NULL;
            f->p++;
            hb_json_fast_ws (f);
          }
        value = hb_json_fast_value (f);
        if (value == NULL)
          return NULL;
        if (is_object)
          json_object_set_member (obj, key, value);
        else
          json_array_add_element (arr, value);
        hb_json_fast_ws (f);
        if (f->p < f->end && *f->p == ',')
          {
            f->p++;
            hb_json_fast_ws (f);
            continue;
          }
        if (f->p >= f->end || *f->p != (is_object ? '}' : ']'))
          return NULL;
        f->p++;
        break;
      }
  f->depth--;
  node = json_node_alloc ();
  if (is_object)
    json_node_init_object (node, obj);
  else
    json_node_init_array (node, arr);
  return node;
}

static JsonNode *
hb_json_fast_value (HbJsonFast *f)
{
  JsonNode *node;

  if (f->p >= f->end)
    return NULL;
  switch (*f->p)
    {
    case '{':
      return hb_json_fast_container (f, TRUE);
    case '[':
      return hb_json_fast_container (f, FALSE);
    case '"':
      if (!hb_json_fast_string (f))
        return NULL;
      /* A decoded NUL would cut the string; \u0000 was refused, so there is none. */
      return json_node_init_string (json_node_alloc (), f->scratch->str);
    case 't':
      return hb_json_fast_literal (f, "true", 4)
             ? json_node_init_boolean (json_node_alloc (), TRUE) : NULL;
    case 'f':
      return hb_json_fast_literal (f, "false", 5)
             ? json_node_init_boolean (json_node_alloc (), FALSE) : NULL;
    case 'n':
      return hb_json_fast_literal (f, "null", 4) ? json_node_init_null (json_node_alloc ()) : NULL;
    default:
      node = NULL;
      if (*f->p == '-' || g_ascii_isdigit (*f->p))
        node = hb_json_fast_number (f);
      return node;
    }
}

JsonNode *
hb_json_parse_object_fast (const char *text, gsize len)
{
  g_autoptr(GString) scratch = g_string_sized_new (MIN (len, 4096));
  HbJsonFast f = { text, text + len, scratch, 0, FALSE };
  g_autoptr(JsonNode) root = NULL;

  if (text == NULL)
    return NULL;
  hb_json_fast_ws (&f);
  if (f.p >= f.end || *f.p != '{')
    return NULL;
  root = hb_json_fast_value (&f);
  if (root == NULL)
    return NULL;
  hb_json_fast_ws (&f);
  if (f.p != f.end || (f.non_ascii && !g_utf8_validate_len (text, len, NULL)))
    return NULL;
  json_node_seal (root);
  return g_steal_pointer (&root);
}
