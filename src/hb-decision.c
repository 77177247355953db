/* hb-decision.c: the model's answer: validate it field by field and sanitise it (finding the
 * object in the reply is in hb-decision-extract.c).
 *
 * Everything here is pure and must survive any input: the reply comes from a model that can be
 * wrong, truncated or steered by prompt injection. json-glib's typed getters g_critical on the wrong
 * node type, so every node is checked before it is read.
 */
#include "config.h"

#include <string.h>

#include "hb-decision.h"

G_DEFINE_QUARK (hb-decision-error-quark, hb_decision_error)

/* Reasoning is optional and free text; it is held to the content limit like any other text. */
#define HB_REASONING_MAX HB_CONTENT_MAX

static const char *const hb_decision_reasons[] = {
  [HB_DECISION_ERROR_NO_JSON] = "no-json",
  [HB_DECISION_ERROR_NOT_OBJECT] = "not-object",
  [HB_DECISION_ERROR_BAD_ACTION] = "bad-action",
  [HB_DECISION_ERROR_MISSING_FIELD] = "missing-field",
  [HB_DECISION_ERROR_WRONG_TYPE] = "wrong-type",
  [HB_DECISION_ERROR_EMPTY] = "empty",
  [HB_DECISION_ERROR_TOO_LONG] = "too-long",
  [HB_DECISION_ERROR_BAD_DIRECTION] = "bad-direction",
  [HB_DECISION_ERROR_BAD_POST_ID] = "bad-post-id",
  [HB_DECISION_ERROR_UNKNOWN_POST] = "unknown-post",
  [HB_DECISION_ERROR_RATE_LIMITED] = "rate-limited",
  [HB_DECISION_ERROR_DUPLICATE] = "duplicate",
};

const char *
hb_decision_error_reason (const GError *error)
{
  if (error == NULL || error->domain != HB_DECISION_ERROR || error->code < 0
      || (gsize) error->code >= G_N_ELEMENTS (hb_decision_reasons))
    return "invalid";
  return hb_decision_reasons[error->code];
}

const char *
hb_action_kind_to_string (HbActionKind kind)
{
  switch (kind)
    {
    case HB_ACTION_POST:
      return "post";
    case HB_ACTION_COMMENT:
      return "comment";
    case HB_ACTION_VOTE:
      return "vote";
    case HB_ACTION_NONE:
    default:
      return "none";
    }
}

void
hb_decision_free (HbDecision *d)
{
  if (d == NULL)
    return;
  g_free (d->title);
  g_free (d->content);
  g_free (d->reasoning);
  g_free (d);
}

/* ---- sanitising ---- */

static gboolean
hb_is_control (gunichar c)
{
  if (c == '\n' || c == '\t')
    return FALSE;
  return c < 0x20 || (c >= 0x7f && c <= 0x9f);
}

/* Strip control characters (but \n and \t) and trim. @text must be valid UTF-8. */
static char *
hb_clean_text (const char *text)
{
  GString *out = g_string_sized_new (strlen (text));

  for (const char *p = text; *p != '\0'; p = g_utf8_next_char (p))
    {
      gunichar c = g_utf8_get_char (p);

      if (!hb_is_control (c))
        g_string_append_unichar (out, c);
    }
  return g_strstrip (g_string_free (out, FALSE));
}

char *
hb_sanitize_text (const char *text, glong max_chars)
{
  g_autofree char *valid = NULL;
  g_autofree char *clean = NULL;
  GString *out;
  glong used = 0;

  if (text == NULL)
    return g_strdup ("");
  valid = g_utf8_make_valid (text, -1);
  clean = hb_clean_text (valid);
  out = g_string_sized_new (strlen (clean));

  /* Escape first and count what is stored, so the limit holds on the escaped text; a character
   * (or its whole entity) that does not fit ends the text, so nothing is ever cut in half. */
  for (const char *p = clean; *p != '\0'; p = g_utf8_next_char (p))
    {
      const char *entity = NULL;
      glong cost = 1;

      switch (*p)
        {
        case '&': entity = "&amp;"; break;
        case '<': entity = "&lt;"; break;
        case '>': entity = "&gt;"; break;
        case '"': entity = "&quot;"; break;
        case '\'': entity = "&#39;"; break;
        default: break;
        }
      if (entity != NULL)
        cost = (glong) strlen (entity);
      if (max_chars >= 0 && used + cost > max_chars)
        break;
      used += cost;
      if (entity != NULL)
        g_string_append (out, entity);
      else
        g_string_append_len (out, p, g_utf8_next_char (p) - p);
    }
  /* A cut can leave whitespace at the end. */
  return g_strchomp (g_string_free (out, FALSE));
}

/* ---- validation ---- */

/* The member @name as a usable node: NULL when missing or JSON null. */
static JsonNode *
hb_member (JsonObject *obj, const char *name)
{
  JsonNode *node = json_object_get_member (obj, name);

  if (node == NULL || JSON_NODE_HOLDS_NULL (node))
    return NULL;
  return node;
}

static gboolean
hb_node_is_string (JsonNode *node)
{
  return JSON_NODE_HOLDS_VALUE (node) && json_node_get_value_type (node) == G_TYPE_STRING;
}

/* A required string field, cleaned (controls stripped, trimmed) and checked against
 * 1..@max_chars, then sanitised. */
static char *
hb_text_field (JsonObject *obj, const char *name, glong max_chars, GError **error)
{
  JsonNode *node = hb_member (obj, name);
  g_autofree char *valid = NULL;
  g_autofree char *clean = NULL;
  glong n;

  if (node == NULL)
    {
      g_set_error (error, HB_DECISION_ERROR, HB_DECISION_ERROR_MISSING_FIELD,
                   "%s: missing", name);
      return NULL;
    }
  if (!hb_node_is_string (node))
    {
      g_set_error (error, HB_DECISION_ERROR, HB_DECISION_ERROR_WRONG_TYPE,
                   "%s: expected a string", name);
      return NULL;
    }
  valid = g_utf8_make_valid (json_node_get_string (node), -1);
  clean = hb_clean_text (valid);
  n = g_utf8_strlen (clean, -1);
  if (n == 0)
    {
      g_set_error (error, HB_DECISION_ERROR, HB_DECISION_ERROR_EMPTY, "%s: empty", name);
      return NULL;
    }
  if (n > max_chars)
    {
      g_set_error (error, HB_DECISION_ERROR, HB_DECISION_ERROR_TOO_LONG,
                   "%s: %ld characters, more than %ld", name, n, max_chars);
      return NULL;
    }
  return hb_sanitize_text (clean, max_chars);
}

static gboolean
hb_post_id_field (JsonObject *obj, gint64 *out, GError **error)
{
  JsonNode *node = hb_member (obj, "post_id");
  GType type;

  if (node == NULL)
    {
      g_set_error_literal (error, HB_DECISION_ERROR, HB_DECISION_ERROR_MISSING_FIELD,
                           "post_id: missing");
      return FALSE;
    }
  type = JSON_NODE_HOLDS_VALUE (node) ? json_node_get_value_type (node) : G_TYPE_INVALID;
  if (type == G_TYPE_INT64)
    {
      gint64 v = json_node_get_int (node);

      if (v > 0)
        {
          *out = v;
          return TRUE;
        }
    }
  else if (type == G_TYPE_DOUBLE)
    {
      double v = json_node_get_double (node);

      /* 2^63 as a double is already out of range, hence the strict bound. */
      if (v >= 1.0 && v < 9223372036854775808.0 && v == (double) (gint64) v)
        {
          *out = (gint64) v;
          return TRUE;
        }
    }
  else if (type == G_TYPE_STRING)
    {
      g_autofree char *s = g_strstrip (g_strdup (json_node_get_string (node)));
      guint64 v = 0;
      gboolean digits = *s != '\0';

      for (const char *p = s; *p != '\0'; p++)
        digits = digits && g_ascii_isdigit (*p);
      if (digits && g_ascii_string_to_unsigned (s, 10, 1, G_MAXINT64, &v, NULL))
        {
          *out = (gint64) v;
          return TRUE;
        }
    }
  else
    {
      g_set_error_literal (error, HB_DECISION_ERROR, HB_DECISION_ERROR_WRONG_TYPE,
                           "post_id: expected an integer");
      return FALSE;
    }
  g_set_error_literal (error, HB_DECISION_ERROR, HB_DECISION_ERROR_BAD_POST_ID,
                       "post_id: not a positive integer");
  return FALSE;
}

static gboolean
hb_direction_field (JsonObject *obj, int *out, GError **error)
{
  JsonNode *node = hb_member (obj, "vote_direction");
  g_autofree char *s = NULL;

  if (node == NULL)
    {
      g_set_error_literal (error, HB_DECISION_ERROR, HB_DECISION_ERROR_MISSING_FIELD,
                           "vote_direction: missing");
      return FALSE;
    }
  if (!hb_node_is_string (node))
    {
      g_set_error_literal (error, HB_DECISION_ERROR, HB_DECISION_ERROR_WRONG_TYPE,
                           "vote_direction: expected a string");
      return FALSE;
    }
  s = g_strstrip (g_ascii_strdown (json_node_get_string (node), -1));
  if (g_str_equal (s, "up"))
    *out = 1;
  else if (g_str_equal (s, "down"))
    *out = -1;
  else
    {
      g_set_error_literal (error, HB_DECISION_ERROR, HB_DECISION_ERROR_BAD_DIRECTION,
                           "vote_direction: expected \"up\" or \"down\"");
      return FALSE;
    }
  return TRUE;
}

static gboolean
hb_action_field (JsonObject *obj, HbActionKind *out, GError **error)
{
  static const HbActionKind kinds[] = { HB_ACTION_POST, HB_ACTION_COMMENT, HB_ACTION_VOTE,
                                        HB_ACTION_NONE };
  JsonNode *node = hb_member (obj, "action");
  g_autofree char *s = NULL;

  if (node == NULL || !hb_node_is_string (node))
    {
      g_set_error_literal (error, HB_DECISION_ERROR, HB_DECISION_ERROR_BAD_ACTION,
                           node == NULL ? "action: missing" : "action: expected a string");
      return FALSE;
    }
  s = g_strstrip (g_ascii_strdown (json_node_get_string (node), -1));
  for (gsize i = 0; i < G_N_ELEMENTS (kinds); i++)
    if (g_str_equal (s, hb_action_kind_to_string (kinds[i])))
      {
        *out = kinds[i];
        return TRUE;
      }
  g_set_error_literal (error, HB_DECISION_ERROR, HB_DECISION_ERROR_BAD_ACTION,
                       "action: expected post, comment, vote or none");
  return FALSE;
}

HbDecision *
hb_decision_validate (JsonObject *obj, GError **error)
{
  g_autoptr(HbDecision) d = g_new0 (HbDecision, 1);
  JsonNode *reasoning;

  d->post_id = -1;
  if (obj == NULL)
    {
      g_set_error_literal (error, HB_DECISION_ERROR, HB_DECISION_ERROR_NOT_OBJECT,
                           "no decision object");
      return NULL;
    }
  if (!hb_action_field (obj, &d->action, error))
    return NULL;

  /* Fields that do not belong to the action are ignored, whatever they hold. */
  switch (d->action)
    {
    case HB_ACTION_POST:
      d->title = hb_text_field (obj, "title", HB_TITLE_MAX, error);
      if (d->title == NULL)
        return NULL;
      d->content = hb_text_field (obj, "content", HB_CONTENT_MAX, error);
      if (d->content == NULL)
        return NULL;
      break;
    case HB_ACTION_COMMENT:
      if (!hb_post_id_field (obj, &d->post_id, error))
        return NULL;
      d->content = hb_text_field (obj, "content", HB_CONTENT_MAX, error);
      if (d->content == NULL)
        return NULL;
      break;
    case HB_ACTION_VOTE:
      if (!hb_post_id_field (obj, &d->post_id, error)
          || !hb_direction_field (obj, &d->vote, error))
        return NULL;
      break;
    case HB_ACTION_NONE:
    default:
      break;
    }

  /* Reasoning is optional; a wrong type is treated as no reasoning rather than rejecting an
   * otherwise valid action. */
  reasoning = hb_member (obj, "reasoning");
  if (reasoning != NULL && hb_node_is_string (reasoning))
    d->reasoning = hb_sanitize_text (json_node_get_string (reasoning), HB_REASONING_MAX);
  else
    d->reasoning = g_strdup ("");

  return g_steal_pointer (&d);
}

HbDecision *
hb_decision_from_reply (const char *reply, GError **error)
{
  g_autoptr(JsonObject) obj = hb_decision_extract (reply, error);

  if (obj == NULL)
    return NULL;
  return hb_decision_validate (obj, error);
}

/* ---- schema and summary ---- */

/* A string property; with @values, limited to them. */
static void
hb_schema_string (JsonBuilder *b, const char *name, const char *const *values)
{
  json_builder_set_member_name (b, name);
  json_builder_begin_object (b);
  json_builder_set_member_name (b, "type");
  json_builder_add_string_value (b, "string");
  if (values != NULL)
    {
      json_builder_set_member_name (b, "enum");
      json_builder_begin_array (b);
      for (; *values != NULL; values++)
        json_builder_add_string_value (b, *values);
      json_builder_end_array (b);
    }
  json_builder_end_object (b);
}

static JsonNode *
build_schema (void)
{
  static const char *const actions[] = { "post", "comment", "vote", "none", NULL };
  static const char *const directions[] = { "up", "down", NULL };
  g_autoptr(JsonBuilder) b = json_builder_new ();

  json_builder_begin_object (b);
  json_builder_set_member_name (b, "type");
  json_builder_add_string_value (b, "object");
  json_builder_set_member_name (b, "properties");
  json_builder_begin_object (b);
  hb_schema_string (b, "action", actions);
  json_builder_set_member_name (b, "post_id");
  json_builder_begin_object (b);
  json_builder_set_member_name (b, "type");
  json_builder_begin_array (b);
  json_builder_add_string_value (b, "integer");
  json_builder_add_string_value (b, "null");
  json_builder_end_array (b);
  json_builder_end_object (b);
  hb_schema_string (b, "title", NULL);
  hb_schema_string (b, "content", NULL);
  hb_schema_string (b, "vote_direction", directions);
  hb_schema_string (b, "reasoning", NULL);
  json_builder_end_object (b);
  json_builder_set_member_name (b, "required");
  json_builder_begin_array (b);
  json_builder_add_string_value (b, "action");
  json_builder_add_string_value (b, "reasoning");
  json_builder_end_array (b);
  json_builder_end_object (b);
  return json_builder_get_root (b);
}

JsonNode *
hb_decision_json_schema (void)
{
  static JsonNode *schema;

  /* Built once and sealed: every request shares it. */
  if (g_once_init_enter (&schema))
    {
      JsonNode *node = build_schema ();

      json_node_seal (node);
      g_once_init_leave (&schema, node);
    }
  return json_node_ref (schema);
}

char *
hb_decision_summary (const HbDecision *d)
{
  const char *action = hb_action_kind_to_string (d != NULL ? d->action : HB_ACTION_NONE);

  if (d == NULL || d->reasoning == NULL || *d->reasoning == '\0')
    return g_strdup_printf ("Action: %s.", action);
  return g_strdup_printf ("Action: %s. %s", action, d->reasoning);
}
