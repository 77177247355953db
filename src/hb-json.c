/* hb-json.c: parsing JSON that comes from outside */
#include "config.h"

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
