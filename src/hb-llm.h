/* hb-llm.h: the model server client (libsoup 3, fully asynchronous, cancellable).
 *
 * Two backends: Ollama's native POST /api/chat, and OpenAI-compatible POST /v1/chat/completions
 * (llama.cpp's server, vLLM, LM Studio, Ollama's /v1). Our own deadlines are enforced with timers
 * that cancel the request: connect, time to headers (long: a cold model load holds the headers), and
 * total. Bodies are read into our own buffer with a byte cap.
 */
#pragma once

#include <gio/gio.h>
#include <json-glib/json-glib.h>

G_BEGIN_DECLS

typedef enum {
  HB_BACKEND_OLLAMA,
  HB_BACKEND_OPENAI,
} HbBackendKind;

gboolean hb_backend_kind_from_string (const char *str, HbBackendKind *out);

typedef enum {
  HB_BACKEND_STATE_UNKNOWN,
  HB_BACKEND_STATE_AVAILABLE,
  HB_BACKEND_STATE_UNREACHABLE,
  HB_BACKEND_STATE_MODEL_MISSING,
} HbBackendState;

/* "unknown" | "available" | "unreachable" | "model-missing" */
const char *hb_backend_state_to_string (HbBackendState state);

/* Parse an OLLAMA_HOST-style value by the official client's rules into a base URL without a
 * trailing slash: NULL/"" -> http://127.0.0.1:11434; no scheme -> http with port 11434;
 * http://h -> port 80; https://h -> 443; ":PORT" -> 127.0.0.1:PORT; 0.0.0.0 and :: -> loopback;
 * IPv6 literals in brackets. Returns NULL with G_IO_ERROR_INVALID_ARGUMENT for garbage. */
char *hb_ollama_host_parse (const char *value, GError **error);

typedef struct {
  HbBackendKind kind;
  char *base_url;           /* as from hb_ollama_host_parse() */
  char *api_key;            /* openai: bearer token, NULL none */
  guint connect_timeout_s;  /* default 10 */
  guint headers_timeout_s;  /* default 300: model loads hold the headers */
  guint total_timeout_s;    /* default 600 */
  gsize max_body;           /* default 1 MiB */
  char *keep_alive;         /* default "30m" */
  gboolean stream;          /* default FALSE */
  guint retries;            /* transient failures retried this many times (default 2) */
  guint retry_base_ms;      /* first backoff (default 500 ms, doubling, jittered) */
  guint max_conns;          /* default 8 */
} HbLlmSettings;

HbLlmSettings *hb_llm_settings_new_default (void);
HbLlmSettings *hb_llm_settings_copy (const HbLlmSettings *s);
void hb_llm_settings_free (HbLlmSettings *s);
G_DEFINE_AUTOPTR_CLEANUP_FUNC (HbLlmSettings, hb_llm_settings_free)

typedef struct {
  char *model;
  char *system;
  char *user;
  double temperature;
  guint max_tokens;
  JsonNode *schema;         /* JSON Schema for structured output, NULL for none */
} HbLlmRequest;

void hb_llm_request_free (HbLlmRequest *r);
G_DEFINE_AUTOPTR_CLEANUP_FUNC (HbLlmRequest, hb_llm_request_free)

typedef struct {
  char *content;            /* message.content (or choices[0].message.content) */
  char *model;              /* as reported by the server */
  char *done_reason;        /* stop, length, ... ; "" unknown */
  char *options_json;       /* the options we sent, as JSON */
  gint64 prompt_tokens;     /* -1 unknown */
  gint64 eval_tokens;
  gint64 total_duration_ns;
  gint64 load_duration_ns;
  gint64 eval_duration_ns;
  guint attempts;           /* how many HTTP requests it took */
} HbLlmResponse;

void hb_llm_response_free (HbLlmResponse *r);
G_DEFINE_AUTOPTR_CLEANUP_FUNC (HbLlmResponse, hb_llm_response_free)

#define HB_TYPE_LLM_CLIENT (hb_llm_client_get_type ())
G_DECLARE_FINAL_TYPE (HbLlmClient, hb_llm_client, HB, LLM_CLIENT, GObject)

HbLlmClient *hb_llm_client_new (const HbLlmSettings *settings);
const HbLlmSettings *hb_llm_client_get_settings (HbLlmClient *self);

/* Errors: HB_LLM_ERROR_* (see hb-error.h), G_IO_ERROR_CANCELLED when @cancellable fired.
 * Transient failures are retried with backoff inside, up to settings->retries. */
void hb_llm_client_chat_async (HbLlmClient *self,
                               const HbLlmRequest *request,
                               GCancellable *cancellable,
                               GAsyncReadyCallback callback,
                               gpointer user_data);
HbLlmResponse *hb_llm_client_chat_finish (HbLlmClient *self, GAsyncResult *result, GError **error);

/* Health probe: Ollama GET /api/version then /api/tags (is @model there?); OpenAI GET /v1/models.
 * Never fails: the result is the state. No retries. */
void hb_llm_client_probe_async (HbLlmClient *self,
                                const char *model,
                                GCancellable *cancellable,
                                GAsyncReadyCallback callback,
                                gpointer user_data);
HbBackendState hb_llm_client_probe_finish (HbLlmClient *self, GAsyncResult *result, char **detail);

G_END_DECLS
