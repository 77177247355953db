/* hb-fake-ollama.h: a fake Ollama server for tests. It speaks Ollama's real HTTP protocol (status
 * codes, JSON bodies, NDJSON streaming when the request says "stream": true, errors, delays) from a
 * SoupServer on 127.0.0.1 with a free port, in the thread-default main context.
 *
 * Replies are scripted: each /api/chat (or /v1/chat/completions) request takes the next queued
 * step; with the queue empty the default step is used (a valid "none" decision unless changed).
 */
#pragma once

#include <gio/gio.h>
#include <json-glib/json-glib.h>

G_BEGIN_DECLS

typedef enum {
  HB_FAKE_CONTENT,        /* 200 with message.content = text (streamed when asked) */
  HB_FAKE_STATUS,         /* status with body text as given (e.g. 404 {"error":"model 'x' not found"}) */
  HB_FAKE_RAW,            /* 200 with body text verbatim (not JSON, partial JSON, ...) */
  HB_FAKE_STREAM_RAW,     /* 200, body sent as the given chunks (NUL-separated in text, the list
                           * ending with an empty chunk: "a\0b\0" holds "a" and "b") */
  HB_FAKE_STALL,          /* headers sent (and text as a first chunk, if set), then nothing
                           * until the client gives up */
  HB_FAKE_NO_HEADERS,     /* accept, never send headers */
  HB_FAKE_RESET,          /* close the connection without a response */
  HB_FAKE_HUGE,           /* 200 with a valid-looking body of `size` bytes */
} HbFakeKind;

typedef struct {
  HbFakeKind kind;
  guint status;           /* HB_FAKE_STATUS */
  char *text;             /* content, body or chunks */
  guint delay_ms;         /* before the headers */
  guint chunk_delay_ms;   /* between stream chunks */
  gsize size;             /* HB_FAKE_HUGE */
  char *done_reason;      /* HB_FAKE_CONTENT: default "stop" */
} HbFakeStep;

typedef struct _HbFakeOllama HbFakeOllama;

HbFakeOllama *hb_fake_ollama_new (GError **error);
void hb_fake_ollama_free (HbFakeOllama *f);
G_DEFINE_AUTOPTR_CLEANUP_FUNC (HbFakeOllama, hb_fake_ollama_free)

/* "http://127.0.0.1:PORT" */
const char *hb_fake_ollama_get_url (HbFakeOllama *f);

void hb_fake_ollama_push (HbFakeOllama *f, const HbFakeStep *step);
void hb_fake_ollama_push_content (HbFakeOllama *f, const char *content);
void hb_fake_ollama_push_status (HbFakeOllama *f, guint status, const char *body);
void hb_fake_ollama_set_default (HbFakeOllama *f, const HbFakeStep *step);

/* Models listed by /api/tags (default: "llama3.2:latest"). A chat for another model gets 404. */
void hb_fake_ollama_set_models (HbFakeOllama *f, const char *const *models);

/* Counters: chat requests received, in flight now, and the most ever in flight at once. */
guint hb_fake_ollama_get_requests (HbFakeOllama *f);
guint hb_fake_ollama_get_in_flight (HbFakeOllama *f);
guint hb_fake_ollama_get_max_in_flight (HbFakeOllama *f);
/* The connections the chat requests came on (told apart by the client's port). */
guint hb_fake_ollama_get_connections (HbFakeOllama *f);

/* The last chat request body (transfer none, NULL before the first). */
JsonObject *hb_fake_ollama_get_last_request (HbFakeOllama *f);

/* Listen on 127.0.0.1:@port (0: any free port). */
HbFakeOllama *hb_fake_ollama_new_on_port (guint port, GError **error);

/* Push a HB_FAKE_STREAM_RAW step from a NULL-terminated array of chunks. */
void hb_fake_ollama_push_chunks (HbFakeOllama *f, const char *const *chunks, guint chunk_delay_ms);

/* The Authorization header of the last chat request (transfer none, NULL if none). */
const char *hb_fake_ollama_get_last_authorization (HbFakeOllama *f);

/* Forget the queue, the default step, the models, the counters and the last request. */
void hb_fake_ollama_reset (HbFakeOllama *f);

/* Serve the control endpoints under /_fake/ so that another process can script this server:
 * POST /_fake/push and /_fake/default (a step as JSON, see hb_fake_step_from_json()),
 * POST /_fake/models (a JSON array of names), GET /_fake/stats
 * ({requests, in_flight, max_in_flight, last_request}), POST /_fake/reset. */
void hb_fake_ollama_enable_control (HbFakeOllama *f);

/* Steps as JSON: {"kind": "content"|"status"|"raw"|"stream-raw"|"stall"|"no-headers"|"reset"|
 * "huge", "status", "text", "chunks": [..] (stream-raw), "delay_ms", "chunk_delay_ms", "size",
 * "done_reason"}; every member but "kind" optional. */
const char *hb_fake_kind_to_string (HbFakeKind kind);
gboolean hb_fake_kind_from_string (const char *str, HbFakeKind *out);
gboolean hb_fake_step_from_json (JsonNode *node, HbFakeStep *out, GError **error);
JsonNode *hb_fake_step_to_json (const HbFakeStep *step);
void hb_fake_step_copy (const HbFakeStep *src, HbFakeStep *dest);
void hb_fake_step_clear (HbFakeStep *step);

G_END_DECLS
