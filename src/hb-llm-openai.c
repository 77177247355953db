/* hb-llm-openai.c: OpenAI-compatible /v1/chat/completions (llama.cpp's server, vLLM, LM Studio,
 * Ollama's /v1): the request body and the reply. Pure. */
#include "config.h"

#include <string.h>

#include "hb-error.h"
#include "hb-llm-private.h"

/* "temperature":...,"max_tokens":...,"stream":false */
static void
hb_openai_append_sampling (GString *out, const HbLlmRequest *request)
{
  /* Sent always: Ollama's /v1 layer would use 1.0 otherwise. */
  g_string_append (out, "\"temperature\":");
  hb_json_append_double (out, request->temperature);
  /* Never streamed: settings->stream is Ollama's; servers differ too much in their SSE. */
  g_string_append_printf (out, ",\"max_tokens\":%u,\"stream\":false", request->max_tokens);
}

GBytes *
hb_openai_chat_body (const HbLlmSettings *settings, const HbLlmRequest *request, char **options_json)
{
  GString *b = hb_llm_body_new (request);

  hb_llm_append_model_and_messages (b, request);
  g_string_append_c (b, ',');
  hb_openai_append_sampling (b, request);
  if (request->schema != NULL)
    {
      /* The nested json_schema form: llama.cpp ignores a flat "schema". */
      g_string_append (b, ",\"response_format\":{\"type\":\"json_schema\",\"json_schema\":"
                          "{\"name\":\"heartbeat_decision\",\"strict\":true,\"schema\":");
      hb_llm_append_schema (b, request->schema);
      g_string_append (b, "}}");
    }
  g_string_append_c (b, '}');

  if (options_json != NULL)
    {
      GString *o = g_string_sized_new (96);

      g_string_append_c (o, '{');
      hb_openai_append_sampling (o, request);
      g_string_append_c (o, '}');
      *options_json = g_string_free (o, FALSE);
    }
  return hb_llm_body_free_to_bytes (b);
}

HbLlmResponse *
hb_openai_parse_reply (const char *body, gsize len, GError **error)
{
  g_autoptr(JsonObject) obj = hb_llm_parse_object (body, len, "chat completion reply", error);
  g_autoptr(HbLlmResponse) r = NULL;
  JsonArray *choices;
  JsonObject *choice = NULL;
  JsonObject *message;
  JsonObject *usage;
  const char *content;
  const char *finish_reason;
  const char *model;

  if (obj == NULL)
    return NULL;
  if (json_object_has_member (obj, "error"))
    {
      g_autofree char *msg = hb_llm_error_object_message (obj);

      g_set_error (error, HB_LLM_ERROR, HB_LLM_ERROR_PROTOCOL, "The server reported an error: %s",
                   msg != NULL ? msg : "(no message)");
      return NULL;
    }
  choices = hb_json_get_array (obj, "choices");
  if (choices != NULL && json_array_get_length (choices) > 0
      && JSON_NODE_HOLDS_OBJECT (json_array_get_element (choices, 0)))
    choice = json_array_get_object_element (choices, 0);
  message = choice != NULL ? hb_json_get_object (choice, "message") : NULL;
  content = message != NULL ? hb_json_get_string (message, "content") : NULL;
  if (content == NULL)
    {
      g_set_error_literal (error, HB_LLM_ERROR, HB_LLM_ERROR_PROTOCOL,
                           "The reply has no choices[0].message.content string");
      return NULL;
    }

  r = hb_llm_response_new ();
  r->content = g_strdup (content);
  finish_reason = hb_json_get_string (choice, "finish_reason");
  g_free (r->done_reason);
  r->done_reason = g_strdup (finish_reason != NULL ? finish_reason : "");
  model = hb_json_get_string (obj, "model");
  if (model != NULL)
    r->model = g_strdup (model);
  usage = hb_json_get_object (obj, "usage");
  if (usage != NULL)
    {
      r->prompt_tokens = hb_json_get_int (usage, "prompt_tokens", -1);
      r->eval_tokens = hb_json_get_int (usage, "completion_tokens", -1);
    }

  if (g_strcmp0 (finish_reason, "length") == 0)
    {
      g_set_error_literal (error, HB_LLM_ERROR, HB_LLM_ERROR_TRUNCATED,
                           "The reply was cut at the token limit (finish_reason \"length\")");
      return NULL;
    }
  if (content[0] == '\0')
    {
      g_set_error_literal (error, HB_LLM_ERROR, HB_LLM_ERROR_PROTOCOL,
                           "The reply has an empty choices[0].message.content");
      return NULL;
    }
  return g_steal_pointer (&r);
}

gboolean
hb_openai_models_have_model (const char *body, gsize len, const char *model, GError **error)
{
  static const char *const keys[] = { "id", NULL };

  return hb_llm_listing_has_model (body, len, "/v1/models reply", "data", keys, model, error);
}
