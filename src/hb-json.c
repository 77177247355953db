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

JsonNode *
hb_json_parse_single (const char *text, GError **error)
{
  if (text != NULL && hb_json_text_has_trailing_container (text, strlen (text)))
    {
      g_set_error_literal (error, JSON_PARSER_ERROR, JSON_PARSER_ERROR_PARSE,
                           "more than one JSON value");
      return NULL;
    }
  return json_from_string (text, error);
}
