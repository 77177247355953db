/* hb-llm-json.c: type-checked reads of JSON that came from a model server, and the small value
 * types of hb-llm.h. json-glib's typed getters g_critical on a wrong node type, so every member
 * is checked before it is read. */
#include "config.h"

#include "hb-json.h"

#include <string.h>

#include "hb-error.h"
#include "hb-llm-private.h"

static JsonNode *
hb_json_member_value (JsonObject *obj, const char *member, GType type)
{
  JsonNode *node = obj != NULL ? json_object_get_member (obj, member) : NULL;

  if (node == NULL || !JSON_NODE_HOLDS_VALUE (node) || json_node_get_value_type (node) != type)
    return NULL;
  return node;
}

const char *
hb_json_get_string (JsonObject *obj, const char *member)
{
  JsonNode *node = hb_json_member_value (obj, member, G_TYPE_STRING);

  return node != NULL ? json_node_get_string (node) : NULL;
}

JsonObject *
hb_json_get_object (JsonObject *obj, const char *member)
{
  JsonNode *node = obj != NULL ? json_object_get_member (obj, member) : NULL;

  return node != NULL && JSON_NODE_HOLDS_OBJECT (node) ? json_node_get_object (node) : NULL;
}

JsonArray *
hb_json_get_array (JsonObject *obj, const char *member)
{
  JsonNode *node = obj != NULL ? json_object_get_member (obj, member) : NULL;

  return node != NULL && JSON_NODE_HOLDS_ARRAY (node) ? json_node_get_array (node) : NULL;
}

gint64
hb_json_get_int (JsonObject *obj, const char *member, gint64 fallback)
{
  JsonNode *node = hb_json_member_value (obj, member, G_TYPE_INT64);

  if (node != NULL)
    return json_node_get_int (node);
  node = hb_json_member_value (obj, member, G_TYPE_DOUBLE);
  if (node != NULL)
    {
      double d = json_node_get_double (node);

      if (d >= (double) G_MININT64 && d <= (double) G_MAXINT64)
        return (gint64) d;
    }
  return fallback;
}

gboolean
hb_json_get_bool (JsonObject *obj, const char *member, gboolean fallback)
{
  JsonNode *node = hb_json_member_value (obj, member, G_TYPE_BOOLEAN);

  return node != NULL ? json_node_get_boolean (node) : fallback;
}

JsonObject *
hb_llm_parse_object (const char *body, gsize len, const char *what, GError **error)
{
  g_autoptr(JsonParser) parser = json_parser_new_immutable ();
  g_autoptr(GError) local = NULL;
  JsonNode *root;

  if (body == NULL || len == 0)
    {
      g_set_error (error, HB_LLM_ERROR, HB_LLM_ERROR_PROTOCOL, "%s is empty", what);
      return NULL;
    }
  /* Plain JSON, which every well-behaved server sends, skips json-glib's scanner; anything
   * else gets json-glib's verdict and message as before. */
  root = hb_json_parse_object_fast (body, len);
  if (root != NULL)
    {
      JsonObject *obj = json_object_ref (json_node_get_object (root));

      json_node_unref (root);
      return obj;
    }
  if (hb_json_text_has_trailing_container (body, len))
    {
      g_set_error (error, HB_LLM_ERROR, HB_LLM_ERROR_PROTOCOL,
                   "%s is not JSON: more than one value", what);
      return NULL;
    }
  if (hb_json_text_depth (body, len) > HB_JSON_MAX_DEPTH)
    {
      g_set_error (error, HB_LLM_ERROR, HB_LLM_ERROR_PROTOCOL,
                   "%s is nested more than %d levels deep", what, HB_JSON_MAX_DEPTH);
      return NULL;
    }
  if (len > G_MAXSSIZE || !json_parser_load_from_data (parser, body, (gssize) len, &local))
    {
      /* json-glib may quote a token cut inside a UTF-8 sequence; our messages reach D-Bus. */
      g_autofree char *why = g_utf8_make_valid (local != NULL ? local->message : "too long", -1);

      g_set_error (error, HB_LLM_ERROR, HB_LLM_ERROR_PROTOCOL, "%s is not JSON: %s", what, why);
      return NULL;
    }
  root = json_parser_get_root (parser);
  if (root == NULL || !JSON_NODE_HOLDS_OBJECT (root))
    {
      g_set_error (error, HB_LLM_ERROR, HB_LLM_ERROR_PROTOCOL, "%s is not a JSON object", what);
      return NULL;
    }
  return json_object_ref (json_node_get_object (root));
}

char *
hb_llm_error_object_message (JsonObject *obj)
{
  const char *text = hb_json_get_string (obj, "error");
  JsonObject *inner;

  if (text != NULL)
    return g_strdup (text);
  inner = hb_json_get_object (obj, "error");
  text = hb_json_get_string (inner, "message");
  return text != NULL ? g_strdup (text) : NULL;
}

char *
hb_llm_error_body_message (const char *body, gsize len)
{
  g_autoptr(JsonObject) obj = NULL;

  if (body == NULL || len == 0)
    return NULL;
  obj = hb_llm_parse_object (body, len, "error body", NULL);
  if (obj == NULL)
    {
      /* Not JSON (a proxy's HTML page, plain text): show its start, if it is text at all. */
      gsize n = MIN (len, 200);

      if (!g_utf8_validate_len (body, n, NULL))
        return NULL;
      return g_strstrip (g_strndup (body, n));
    }
  return hb_llm_error_object_message (obj);
}

static gboolean
hb_model_base_equal (const char *a, const char *b)
{
  gsize la = strlen (a);
  gsize lb = strlen (b);

  if (g_str_has_suffix (a, ":latest"))
    la -= strlen (":latest");
  if (g_str_has_suffix (b, ":latest"))
    lb -= strlen (":latest");
  return la == lb && la > 0 && strncmp (a, b, la) == 0;
}

gboolean
hb_llm_model_names_match (const char *listed, const char *wanted)
{
  if (listed == NULL || wanted == NULL)
    return FALSE;
  return g_str_equal (listed, wanted) || hb_model_base_equal (listed, wanted);
}

gboolean
hb_llm_listing_has_model (const char *body, gsize len, const char *what, const char *array,
                          const char *const *keys, const char *model, GError **error)
{
  g_autoptr(JsonObject) obj = hb_llm_parse_object (body, len, what, error);
  JsonArray *entries;

  if (obj == NULL)
    return FALSE;
  entries = hb_json_get_array (obj, array);
  if (entries == NULL)
    {
      g_set_error (error, HB_LLM_ERROR, HB_LLM_ERROR_PROTOCOL, "%s has no \"%s\" array", what, array);
      return FALSE;
    }
  for (guint i = 0; i < json_array_get_length (entries); i++)
    {
      JsonNode *node = json_array_get_element (entries, i);
      JsonObject *entry = JSON_NODE_HOLDS_OBJECT (node) ? json_node_get_object (node) : NULL;

      for (guint k = 0; entry != NULL && keys[k] != NULL; k++)
        if (hb_llm_model_names_match (hb_json_get_string (entry, keys[k]), model))
          return TRUE;
    }
  return FALSE;
}

GSource *
hb_llm_source_attach (GSource *source, GSourceFunc func, gpointer data)
{
  g_source_set_callback (source, func, data, NULL);
  g_source_attach (source, g_main_context_get_thread_default ());
  return source;
}

GSource *
hb_llm_timeout_attach (guint seconds, GSourceFunc func, gpointer data)
{
  return hb_llm_source_attach (g_timeout_source_new ((guint) MIN ((guint64) seconds * 1000,
                                                                  G_MAXUINT)), func, data);
}

void
hb_llm_source_clear (GSource **source)
{
  if (*source == NULL)
    return;
  g_source_destroy (*source);
  g_source_unref (*source);
  *source = NULL;
}

gboolean
hb_backend_kind_from_string (const char *str, HbBackendKind *out)
{
  HbBackendKind kind;

  if (str == NULL)
    return FALSE;
  if (g_ascii_strcasecmp (str, "ollama") == 0)
    kind = HB_BACKEND_OLLAMA;
  else if (g_ascii_strcasecmp (str, "openai") == 0)
    kind = HB_BACKEND_OPENAI;
  else
    return FALSE;
  if (out != NULL)
    *out = kind;
  return TRUE;
}

const char *
hb_backend_state_to_string (HbBackendState state)
{
  switch (state)
    {
    case HB_BACKEND_STATE_AVAILABLE:
      return "available";
    case HB_BACKEND_STATE_UNREACHABLE:
      return "unreachable";
    case HB_BACKEND_STATE_MODEL_MISSING:
      return "model-missing";
    case HB_BACKEND_STATE_UNKNOWN:
    default:
      return "unknown";
    }
}

HbLlmSettings *
hb_llm_settings_new_default (void)
{
  HbLlmSettings *s = g_new0 (HbLlmSettings, 1);

  s->kind = HB_BACKEND_OLLAMA;
  s->base_url = g_strdup ("http://127.0.0.1:11434");
  s->connect_timeout_s = 10;
  s->headers_timeout_s = 300;
  s->total_timeout_s = 600;
  s->max_body = 1024 * 1024;
  s->keep_alive = g_strdup ("30m");
  s->stream = FALSE;
  s->retries = 2;
  s->retry_base_ms = 500;
  s->max_conns = 8;
  return s;
}

HbLlmSettings *
hb_llm_settings_copy (const HbLlmSettings *s)
{
  HbLlmSettings *c;

  g_return_val_if_fail (s != NULL, NULL);
  c = g_memdup2 (s, sizeof *s);
  c->base_url = g_strdup (s->base_url);
  c->api_key = g_strdup (s->api_key);
  c->keep_alive = g_strdup (s->keep_alive);
  return c;
}

void
hb_llm_settings_free (HbLlmSettings *s)
{
  if (s == NULL)
    return;
  g_free (s->base_url);
  /* The token should not linger in freed memory. */
  if (s->api_key != NULL)
    memset (s->api_key, 0, strlen (s->api_key));
  g_free (s->api_key);
  g_free (s->keep_alive);
  g_free (s);
}

void
hb_llm_request_free (HbLlmRequest *r)
{
  if (r == NULL)
    return;
  g_free (r->model);
  g_free (r->system);
  g_free (r->user);
  g_clear_pointer (&r->schema, json_node_unref);
  g_free (r);
}

HbLlmResponse *
hb_llm_response_new (void)
{
  HbLlmResponse *r = g_new0 (HbLlmResponse, 1);

  r->done_reason = g_strdup ("");
  r->prompt_tokens = -1;
  r->eval_tokens = -1;
  r->total_duration_ns = -1;
  r->load_duration_ns = -1;
  r->eval_duration_ns = -1;
  return r;
}

void
hb_llm_response_free (HbLlmResponse *r)
{
  if (r == NULL)
    return;
  g_free (r->content);
  g_free (r->model);
  g_free (r->done_reason);
  g_free (r->options_json);
  g_free (r);
}

/* ---- request bodies ---- */

/* The schema is the same sealed node for every request (hb_decision_json_schema()), and its
 * text is a good part of each body: written once, kept with a reference to the node so that its
 * address cannot be reused by another one. A node that is not sealed may change: written each
 * time. */
static struct
{
  GMutex lock;
  JsonNode *node;
  char *text;
} hb_llm_schema_cache;

void
hb_llm_append_schema (GString *out, JsonNode *schema)
{
  g_autofree char *text = NULL;

  if (!json_node_is_immutable (schema))
    {
      text = json_to_string (schema, FALSE);
      g_string_append (out, text);
      return;
    }
  g_mutex_lock (&hb_llm_schema_cache.lock);
  if (hb_llm_schema_cache.node != schema)
    {
      g_clear_pointer (&hb_llm_schema_cache.node, json_node_unref);
      g_free (hb_llm_schema_cache.text);
      hb_llm_schema_cache.text = json_to_string (schema, FALSE);
      hb_llm_schema_cache.node = json_node_ref (schema);
    }
  g_string_append (out, hb_llm_schema_cache.text);
  g_mutex_unlock (&hb_llm_schema_cache.lock);
}

static void
hb_llm_append_message (GString *out, const char *role, const char *content)
{
  g_string_append (out, "{\"role\":\"");
  g_string_append (out, role);
  g_string_append (out, "\",\"content\":");
  hb_json_append_string (out, content);
  g_string_append_c (out, '}');
}

void
hb_llm_append_model_and_messages (GString *out, const HbLlmRequest *request)
{
  g_string_append (out, "{\"model\":");
  hb_json_append_string (out, request->model != NULL ? request->model : "");
  g_string_append (out, ",\"messages\":[");
  if (request->system != NULL && request->system[0] != '\0')
    {
      hb_llm_append_message (out, "system", request->system);
      g_string_append_c (out, ',');
    }
  hb_llm_append_message (out, "user", request->user != NULL ? request->user : "");
  g_string_append_c (out, ']');
}

GString *
hb_llm_body_new (const HbLlmRequest *request)
{
  /* Escaping rarely adds much: one allocation for the usual body. */
  gsize guess = 512 + (request->system != NULL ? strlen (request->system) : 0)
                + (request->user != NULL ? strlen (request->user) : 0);

  return g_string_sized_new (guess + guess / 8);
}

GBytes *
hb_llm_body_free_to_bytes (GString *body)
{
  gsize len = body->len;

  return g_bytes_new_take (g_string_free (body, FALSE), len);
}
