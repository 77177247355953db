/* hb-llm-private.h: the pieces of the model server client shared between its files.
 *
 * hb-llm-http.c: the connection pool and one HTTP exchange with our deadlines and byte cap;
 * hb-llm-ollama.c and hb-llm-openai.c: request bodies and reply parsing per backend (pure);
 * hb-llm.c: the client object, retries and the probe. */
#pragma once

#include <libsoup/soup.h>

#include "hb-llm.h"
#include "hb-json.h"
#include "hb-ndjson.h"

G_BEGIN_DECLS

/* The client's connections: one SoupSession per slot, each allowed one connection, so that at
 * most @slots connections are open and each libsoup queue run looks at one connection and the
 * few messages of its own slot, not at all of them. @proxy may be NULL. */
typedef struct _HbLlmPool HbLlmPool;
HbLlmPool *hb_llm_pool_new (guint slots, GProxyResolver *proxy);
HbLlmPool *hb_llm_pool_ref (HbLlmPool *pool);
void hb_llm_pool_unref (HbLlmPool *pool);
G_DEFINE_AUTOPTR_CLEANUP_FUNC (HbLlmPool, hb_llm_pool_unref)
/* Sessions created so far (they are made on first use) and requests in flight on slot @i. */
guint hb_llm_pool_get_sessions (HbLlmPool *pool);
guint hb_llm_pool_get_busy (HbLlmPool *pool, guint i);

/* A request URL parsed once, for soup_message_new_from_uri(); NULL when @url is not an http(s)
 * URL with a host (the exchange then fails with "Not a usable URL"). */
GUri *hb_llm_parse_url (const char *url);

/* One HTTP exchange on a slot of @pool: the lowest free one (so that a kept-alive connection is
 * used again), else the one with the fewest requests. @uri may be NULL (then @url is parsed).
 * Errors: HB_LLM_ERROR_* (status mapped, body's error message included),
 * HB_LLM_ERROR_TIMEOUT naming the connect or headers deadline, G_IO_ERROR_CANCELLED when
 * @cancellable fired. With @line_func set and a 2xx status the body goes line by line through
 * an NDJSON reader (capped at max_body) and the result is an empty GBytes; otherwise the result
 * is the whole body (capped at max_body). */
void hb_llm_http_send_async (HbLlmPool *pool,
                             const HbLlmSettings *settings,
                             const char *method,
                             GUri *uri,
                             const char *url,
                             GBytes *json_body,
                             HbNdjsonLineFunc line_func,
                             gpointer line_data,
                             guint connect_timeout_s,
                             guint headers_timeout_s,
                             GCancellable *cancellable,
                             GAsyncReadyCallback callback,
                             gpointer user_data);
GBytes *hb_llm_http_send_finish (GAsyncResult *result, GError **error);

/* The error message of an error body: {"error":"..."} (Ollama) or {"error":{"message":...}}
 * (OpenAI). NULL when the body has neither. */
char *hb_llm_error_body_message (const char *body, gsize len);
char *hb_llm_error_object_message (JsonObject *obj);

/* Parse @body as a JSON object; PROTOCOL error naming @what otherwise (also for a body holding
 * more than one value). */
JsonObject *hb_llm_parse_object (const char *body, gsize len, const char *what, GError **error);

/* Type-checked member reads: NULL / @fallback when the member is absent or has another type. */
const char *hb_json_get_string (JsonObject *obj, const char *member);
JsonObject *hb_json_get_object (JsonObject *obj, const char *member);
JsonArray *hb_json_get_array (JsonObject *obj, const char *member);
gint64 hb_json_get_int (JsonObject *obj, const char *member, gint64 fallback);
gboolean hb_json_get_bool (JsonObject *obj, const char *member, gboolean fallback);

HbLlmResponse *hb_llm_response_new (void);

/* Request bodies are written as text (hb_json_append_*()), in the member order json-glib's
 * builder gave them. A body to write @request into, sized for it; and its bytes. */
GString *hb_llm_body_new (const HbLlmRequest *request);
GBytes *hb_llm_body_free_to_bytes (GString *body);
/* Opens the body object: {"model":...,"messages":[system?, user] */
void hb_llm_append_model_and_messages (GString *out, const HbLlmRequest *request);
/* @schema's JSON text; written once for a sealed node. */
void hb_llm_append_schema (GString *out, JsonNode *schema);

/* Ollama */
GBytes *hb_ollama_chat_body (const HbLlmSettings *settings, const HbLlmRequest *request,
                             char **options_json);
HbLlmResponse *hb_ollama_parse_reply (const char *body, gsize len, GError **error);

typedef struct _HbOllamaStream HbOllamaStream;
HbOllamaStream *hb_ollama_stream_new (void);
void hb_ollama_stream_free (HbOllamaStream *s);
G_DEFINE_AUTOPTR_CLEANUP_FUNC (HbOllamaStream, hb_ollama_stream_free)
void hb_ollama_stream_reset (HbOllamaStream *s);
gboolean hb_ollama_stream_line (const char *line, gsize len, gpointer user_data, GError **error);
HbLlmResponse *hb_ollama_stream_finish (HbOllamaStream *s, GError **error);

/* Is @model among /api/tags' models (exact, or equal once ":latest" is dropped on either side)? */
gboolean hb_ollama_tags_have_model (const char *body, gsize len, const char *model, GError **error);

/* OpenAI-compatible */
GBytes *hb_openai_chat_body (const HbLlmSettings *settings, const HbLlmRequest *request,
                             char **options_json);
HbLlmResponse *hb_openai_parse_reply (const char *body, gsize len, GError **error);
gboolean hb_openai_models_have_model (const char *body, gsize len, const char *model, GError **error);

/* Is @model in the array @array of the JSON object @body, as the string member named by one of
 * @keys of an element? PROTOCOL error when @body is not such a listing. */
gboolean hb_llm_listing_has_model (const char *body, gsize len, const char *what, const char *array,
                                   const char *const *keys, const char *model, GError **error);

/* Sources in the thread-default main context. */
GSource *hb_llm_source_attach (GSource *source, GSourceFunc func, gpointer data);
GSource *hb_llm_timeout_attach (guint seconds, GSourceFunc func, gpointer data);
void hb_llm_source_clear (GSource **source);

/* Both: the model names match exactly or once a ":latest" tag is dropped. */
gboolean hb_llm_model_names_match (const char *listed, const char *wanted);

G_END_DECLS
