/* hb-decision-extract.c: find the decision object in the model's reply.
 *
 * In order: the whole reply as one JSON value, the first ``` fence, then the first balanced
 * top-level value found by a scanner that knows JSON strings and escapes. Never a greedy regex:
 * prose around the object, a second object or braces inside strings must not change the answer.
 */
#include "config.h"

#include "hb-json.h"

#define HB_DECISION_MAX_DEPTH 64

#include <string.h>

#include "hb-decision.h"

/* How many '{' / '[' starts the scanner tries before giving up: each try scans to the end of the
 * reply in the worst case, and a reply of nothing but braces must not cost quadratic time. */
#define HB_SCAN_MAX_STARTS 64

/* Index of the bracket closing the one at @start, or -1. Brackets inside JSON strings (with their
 * escapes) do not count. Both kinds are counted alike: the parser judges the candidate later. */
static gssize
hb_scan_balanced (const char *s, gsize len, gsize start)
{
  gsize depth = 0;
  gboolean in_string = FALSE;

  for (gsize i = start; i < len; i++)
    {
      char c = s[i];

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
        depth++;
      else if (c == '}' || c == ']')
        {
          if (--depth == 0)
            return (gssize) i;
        }
    }
  return -1;
}

/* json-glib 1.6 silently wraps integer literals beyond the int64 range (-99999999999999999999
 * reads as 1). Such literals are rewritten as doubles, which validation then sees as out of
 * range instead of as a plausible post id. */
static char *
hb_widen_huge_integers (const char *s, gsize len)
{
  static const char int64_max[] = "9223372036854775807";
  GString *out = g_string_sized_new (len + 8);
  gboolean in_string = FALSE;
  gsize i = 0;

  while (i < len)
    {
      char c = s[i];

      if (in_string)
        {
          g_string_append_c (out, c);
          if (c == '\\' && i + 1 < len)
            g_string_append_c (out, s[++i]);
          else if (c == '"')
            in_string = FALSE;
          i++;
          continue;
        }
      if (c == '"')
        in_string = TRUE;
      if ((c == '-' || g_ascii_isdigit (c))
          && (i == 0 || !(g_ascii_isalnum (s[i - 1]) || s[i - 1] == '.' || s[i - 1] == '_')))
        {
          gsize tok = i, digits_at;
          gboolean plain;

          if (s[i] == '-')
            i++;
          digits_at = i;
          while (i < len && g_ascii_isdigit (s[i]))
            i++;
          plain = !(i < len && (s[i] == '.' || s[i] == 'e' || s[i] == 'E'));
          g_string_append_len (out, s + tok, (gssize) (i - tok));
          if (plain
              && (i - digits_at > 19
                  || (i - digits_at == 19 && strncmp (s + digits_at, int64_max, 19) > 0)))
            g_string_append (out, ".0");
          continue;
        }
      g_string_append_c (out, c);
      i++;
    }
  return g_string_free (out, FALSE);
}

static JsonNode *
hb_parse_candidate (const char *s, gsize len)
{
  g_autofree char *text = NULL;

  /* A decision is flat; anything deeper than this is not one, and json-glib recursion on
   * pathological nesting would overflow the stack. */
  if (hb_json_text_depth (s, len) > HB_DECISION_MAX_DEPTH)
    return NULL;
  /* A plain object, what a model that follows the schema sends, takes the fast path; it
   * declines whatever json-glib might read differently, huge integers included. */
  if (s[0] == '{')
    {
      JsonNode *node = hb_json_parse_object_fast (s, len);

      if (node != NULL)
        return node;
    }
  text = hb_widen_huge_integers (s, len);

  return json_from_string (text, NULL);
}

/* Is @s (of @len bytes) exactly one JSON string literal? */
static gboolean
hb_is_one_string (const char *s, gsize len)
{
  if (s[0] != '"')
    return FALSE;
  for (gsize i = 1; i < len; i++)
    {
      if (s[i] == '\\')
        i++;
      else if (s[i] == '"')
        return i == len - 1;
    }
  return FALSE;
}

typedef enum {
  HB_CANDIDATE_NONE,      /* not JSON: look further */
  HB_CANDIDATE_OBJECT,
  HB_CANDIDATE_OTHER,     /* JSON, but not an object */
} HbCandidate;

/* Parse @s (trimmed by the caller) as one whole JSON value. The bracket scan makes sure it is a
 * single value: json-glib accepts `{} {}` and returns the first. */
static HbCandidate
hb_parse_whole (const char *s, JsonObject **out)
{
  gsize len = strlen (s);
  g_autoptr(JsonNode) node = NULL;

  if (len == 0)
    return HB_CANDIDATE_NONE;
  if (s[0] == '{' || s[0] == '[')
    {
      if (hb_scan_balanced (s, len, 0) != (gssize) len - 1)
        return HB_CANDIDATE_NONE;
    }
  else if (strpbrk (s, "{[") != NULL && !hb_is_one_string (s, len))
    {
      /* A scalar followed by more is not one value. Not parsed at all: json-glib 1.6 leaks the
       * container that follows a scalar root ("1. {...}", "true [...]") when it fails. */
      return HB_CANDIDATE_NONE;
    }
  node = hb_parse_candidate (s, len);
  if (node == NULL)
    return HB_CANDIDATE_NONE;
  if (JSON_NODE_HOLDS_OBJECT (node))
    {
      *out = json_object_ref (json_node_get_object (node));
      return HB_CANDIDATE_OBJECT;
    }
  return HB_CANDIDATE_OTHER;
}

/* The body of the first ``` fence (the info string such as "json" skipped), trimmed; NULL if none.
 * A fence left open (a truncated reply) runs to the end. */
static char *
hb_first_fence_body (const char *text)
{
  const char *open = strstr (text, "```");
  const char *body, *close;

  if (open == NULL)
    return NULL;
  body = strchr (open + 3, '\n');
  if (body == NULL)
    return NULL;
  body++;
  close = strstr (body, "```");
  if (close == NULL)
    close = body + strlen (body);
  return g_strstrip (g_strndup (body, (gsize) (close - body)));
}

JsonObject *
hb_decision_extract (const char *reply, GError **error)
{
  g_autofree char *valid = NULL;
  g_autofree char *trimmed = NULL;
  g_autofree char *fence = NULL;
  JsonObject *obj = NULL;
  gboolean saw_other = FALSE;
  guint starts = 0;
  gsize len;

  if (reply == NULL || *reply == '\0')
    {
      g_set_error_literal (error, HB_DECISION_ERROR, HB_DECISION_ERROR_NO_JSON,
                           "the reply is empty");
      return NULL;
    }
  /* Invalid bytes would make the whole reply unparseable; replace them and go on. */
  valid = g_utf8_make_valid (reply, -1);
  trimmed = g_strstrip (g_strdup (valid));

  switch (hb_parse_whole (trimmed, &obj))
    {
    case HB_CANDIDATE_OBJECT:
      return obj;
    case HB_CANDIDATE_OTHER:
      g_set_error_literal (error, HB_DECISION_ERROR, HB_DECISION_ERROR_NOT_OBJECT,
                           "the reply is JSON but not an object");
      return NULL;
    case HB_CANDIDATE_NONE:
    default:
      break;
    }

  fence = hb_first_fence_body (valid);
  if (fence != NULL)
    {
      switch (hb_parse_whole (fence, &obj))
        {
        case HB_CANDIDATE_OBJECT:
          return obj;
        case HB_CANDIDATE_OTHER:
          g_set_error_literal (error, HB_DECISION_ERROR, HB_DECISION_ERROR_NOT_OBJECT,
                               "the fenced block is JSON but not an object");
          return NULL;
        case HB_CANDIDATE_NONE:
        default:
          break;
        }
    }

  /* The first balanced top-level value; a candidate that does not parse is skipped by one
   * character so that an object nested in it (or following a stray brace) is still found. */
  len = strlen (valid);
  for (gsize i = 0; i < len && starts < HB_SCAN_MAX_STARTS; i++)
    {
      g_autoptr(JsonNode) node = NULL;
      gssize end;

      if (valid[i] != '{' && valid[i] != '[')
        continue;
      starts++;
      end = hb_scan_balanced (valid, len, i);
      if (end < 0)
        continue;
      node = hb_parse_candidate (valid + i, (gsize) end - i + 1);
      if (node == NULL)
        continue;
      if (JSON_NODE_HOLDS_OBJECT (node))
        return json_object_ref (json_node_get_object (node));
      /* A whole array (even one holding objects) is not the answer asked for. */
      saw_other = TRUE;
      i = (gsize) end;
    }

  if (saw_other)
    g_set_error_literal (error, HB_DECISION_ERROR, HB_DECISION_ERROR_NOT_OBJECT,
                         "the reply holds JSON but no object");
  else
    g_set_error_literal (error, HB_DECISION_ERROR, HB_DECISION_ERROR_NO_JSON,
                         "no JSON object found in the reply");
  return NULL;
}

