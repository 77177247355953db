/* hb-llm-ollama.c: Ollama's native /api/chat: the request body and the reply, whole or as an
 * NDJSON stream. Pure: bytes in, structures or GErrors out. */
#include "config.h"

#include <string.h>

#include "hb-error.h"
#include "hb-llm-private.h"

/* Ollama reads keep_alive as a number of seconds or as a Go duration string ("30m"); a bare
 * number in a string ("300") is refused by Go's duration parser, so send that as a number. */
static void
hb_ollama_append_keep_alive (GString *out, const char *keep_alive)
{
  gint64 seconds;

  if (keep_alive == NULL || keep_alive[0] == '\0')
    return;
  g_string_append (out, ",\"keep_alive\":");
  if (g_ascii_string_to_signed (keep_alive, 10, -1, G_MAXINT32, &seconds, NULL))
    hb_json_append_int64 (out, seconds);
  else
    hb_json_append_string (out, keep_alive);
}

static void
hb_ollama_append_bool (GString *out, const char *member, gboolean value)
{
  g_string_append (out, member);
  g_string_append (out, value ? "true" : "false");
}

/* "temperature":...,"num_predict":... */
static void
hb_ollama_append_sampling (GString *out, const HbLlmRequest *request)
{
  g_string_append (out, "\"temperature\":");
  hb_json_append_double (out, request->temperature);
  g_string_append_printf (out, ",\"num_predict\":%u", request->max_tokens);
}

GBytes *
hb_ollama_chat_body (const HbLlmSettings *settings, const HbLlmRequest *request, char **options_json)
{
  GString *b = hb_llm_body_new (request);

  hb_llm_append_model_and_messages (b, request);
  /* The server defaults to streaming; say what we want every time. */
  hb_ollama_append_bool (b, ",\"stream\":", settings->stream);
  /* A thinking model would otherwise think, and may leave message.content empty. */
  hb_ollama_append_bool (b, ",\"think\":", FALSE);
  hb_ollama_append_keep_alive (b, settings->keep_alive);
  g_string_append (b, ",\"options\":{");
  hb_ollama_append_sampling (b, request);
  g_string_append_c (b, '}');
  if (request->schema != NULL)
    {
      g_string_append (b, ",\"format\":");
      hb_llm_append_schema (b, request->schema);
    }
  g_string_append_c (b, '}');

  /* What was asked of the model, for the run record. */
  if (options_json != NULL)
    {
      GString *o = g_string_sized_new (128);

      g_string_append_c (o, '{');
      hb_ollama_append_sampling (o, request);
      hb_ollama_append_keep_alive (o, settings->keep_alive);
      hb_ollama_append_bool (o, ",\"stream\":", settings->stream);
      hb_ollama_append_bool (o, ",\"think\":", FALSE);
      g_string_append_c (o, '}');
      *options_json = g_string_free (o, FALSE);
    }
  return hb_llm_body_free_to_bytes (b);
}

static void
hb_ollama_fill_stats (HbLlmResponse *r, JsonObject *obj)
{
  const char *model = hb_json_get_string (obj, "model");
  const char *done_reason = hb_json_get_string (obj, "done_reason");

  if (model != NULL)
    {
      g_free (r->model);
      r->model = g_strdup (model);
    }
  if (done_reason != NULL)
    {
      g_free (r->done_reason);
      r->done_reason = g_strdup (done_reason);
    }
  r->prompt_tokens = hb_json_get_int (obj, "prompt_eval_count", -1);
  r->eval_tokens = hb_json_get_int (obj, "eval_count", -1);
  r->total_duration_ns = hb_json_get_int (obj, "total_duration", -1);
  r->load_duration_ns = hb_json_get_int (obj, "load_duration", -1);
  r->eval_duration_ns = hb_json_get_int (obj, "eval_duration", -1);
}

/* The checks common to a whole reply and a finished stream. */
static gboolean
hb_ollama_check (const HbLlmResponse *r, gboolean had_thinking, GError **error)
{
  if (g_strcmp0 (r->done_reason, "length") == 0)
    {
      g_set_error_literal (error, HB_LLM_ERROR, HB_LLM_ERROR_TRUNCATED,
                           "The reply was cut at the token limit (done_reason \"length\")");
      return FALSE;
    }
  if (r->content == NULL || r->content[0] == '\0')
    {
      g_set_error (error, HB_LLM_ERROR, HB_LLM_ERROR_PROTOCOL,
                   "The reply has an empty message.content%s",
                   had_thinking ? " (the model answered in \"thinking\")" : "");
      return FALSE;
    }
  return TRUE;
}

static gboolean
hb_ollama_has_thinking (JsonObject *message)
{
  const char *thinking = message != NULL ? hb_json_get_string (message, "thinking") : NULL;

  return thinking != NULL && thinking[0] != '\0';
}

/* An {"error": ...} object in a 2xx reply or in a stream line. */
static gboolean
hb_ollama_check_error_member (JsonObject *obj, GError **error)
{
  g_autofree char *message = NULL;

  if (!json_object_has_member (obj, "error"))
    return TRUE;
  message = hb_llm_error_object_message (obj);
  g_set_error (error, HB_LLM_ERROR, HB_LLM_ERROR_PROTOCOL, "The server reported an error: %s",
               message != NULL ? message : "(no message)");
  return FALSE;
}

HbLlmResponse *
hb_ollama_parse_reply (const char *body, gsize len, GError **error)
{
  g_autoptr(JsonObject) obj = hb_llm_parse_object (body, len, "Ollama chat reply", error);
  g_autoptr(HbLlmResponse) r = NULL;
  JsonObject *message;
  const char *content;

  if (obj == NULL || !hb_ollama_check_error_member (obj, error))
    return NULL;
  message = hb_json_get_object (obj, "message");
  content = message != NULL ? hb_json_get_string (message, "content") : NULL;
  if (content == NULL)
    {
      g_set_error_literal (error, HB_LLM_ERROR, HB_LLM_ERROR_PROTOCOL,
                           "The reply has no message.content string");
      return NULL;
    }
  r = hb_llm_response_new ();
  r->content = g_strdup (content);
  hb_ollama_fill_stats (r, obj);
  if (!hb_ollama_check (r, hb_ollama_has_thinking (message), error))
    return NULL;
  return g_steal_pointer (&r);
}

struct _HbOllamaStream
{
  GString *content;
  HbLlmResponse *final;     /* set by the done:true line */
  gboolean had_thinking;
  guint lines;
};

HbOllamaStream *
hb_ollama_stream_new (void)
{
  HbOllamaStream *s = g_new0 (HbOllamaStream, 1);

  s->content = g_string_new (NULL);
  return s;
}

void
hb_ollama_stream_free (HbOllamaStream *s)
{
  if (s == NULL)
    return;
  g_string_free (s->content, TRUE);
  g_clear_pointer (&s->final, hb_llm_response_free);
  g_free (s);
}

/* A retried attempt starts from nothing. */
void
hb_ollama_stream_reset (HbOllamaStream *s)
{
  g_string_truncate (s->content, 0);
  g_clear_pointer (&s->final, hb_llm_response_free);
  s->had_thinking = FALSE;
  s->lines = 0;
}

gboolean
hb_ollama_stream_line (const char *line, gsize len, gpointer user_data, GError **error)
{
  HbOllamaStream *s = user_data;
  g_autoptr(GError) local = NULL;
  g_autoptr(JsonObject) obj = hb_llm_parse_object (line, len, "Ollama stream line", &local);
  JsonObject *message;
  const char *fragment;

  s->lines++;
  if (obj == NULL)
    {
      g_set_error (error, HB_LLM_ERROR, HB_LLM_ERROR_PROTOCOL, "Stream line %u: %s",
                   s->lines, local->message);
      return FALSE;
    }
  if (!hb_ollama_check_error_member (obj, error))
    return FALSE;
  if (s->final != NULL)
    return TRUE; /* nothing counts after done:true */

  message = hb_json_get_object (obj, "message");
  fragment = message != NULL ? hb_json_get_string (message, "content") : NULL;
  if (fragment != NULL)
    g_string_append (s->content, fragment);
  if (hb_ollama_has_thinking (message))
    s->had_thinking = TRUE;

  if (hb_json_get_bool (obj, "done", FALSE))
    {
      s->final = hb_llm_response_new ();
      hb_ollama_fill_stats (s->final, obj);
    }
  return TRUE;
}

HbLlmResponse *
hb_ollama_stream_finish (HbOllamaStream *s, GError **error)
{
  HbLlmResponse *r;

  if (s->final == NULL)
    {
      g_set_error (error, HB_LLM_ERROR, HB_LLM_ERROR_TRUNCATED,
                   "The stream ended after %u lines without done:true", s->lines);
      return NULL;
    }
  r = g_steal_pointer (&s->final);
  g_free (r->content);
  r->content = g_strndup (s->content->str, s->content->len);
  if (!hb_ollama_check (r, s->had_thinking, error))
    {
      hb_llm_response_free (r);
      return NULL;
    }
  return r;
}

gboolean
hb_ollama_tags_have_model (const char *body, gsize len, const char *model, GError **error)
{
  static const char *const keys[] = { "name", "model", NULL };

  return hb_llm_listing_has_model (body, len, "/api/tags reply", "models", keys, model, error);
}
