/* hb-fake-ollama-private.h: the fake's state, shared by its server and reply halves. */
#pragma once

#include <libsoup/soup.h>

#include "hb-fake-ollama.h"

G_BEGIN_DECLS

struct _HbFakeOllama
{
  SoupServer *server;
  char *url;
  GQueue steps;             /* HbFakeStep* */
  HbFakeStep default_step;
  GPtrArray *models;        /* char* */
  guint requests;
  guint in_flight;
  guint max_in_flight;
  GHashTable *peers;        /* client ports of the chat requests: their connections */
  char *last_request_text;  /* the last chat request's body, read into a tree on demand: */
  JsonObject *last_request;
  char *last_authorization;
  GList *replies;           /* HbFakeReply*: requests being answered */
};

typedef struct
{
  HbFakeOllama *f;
  SoupServerMessage *msg;
  HbFakeStep step;
  gboolean openai;
  gboolean stream;
  char *model;
  GSource *timer;
  GSource *watch;           /* notices the client leaving while libsoup does no I/O */
  GPtrArray *chunks;        /* GBytes* still to send */
  guint next_chunk;
  gulong finished_id;
} HbFakeReply;

/* hb-fake-ollama-bodies.c: what the endpoints send. Chunk arrays hold GBytes. */
void hb_fake_chunks_add (GPtrArray *chunks, const char *data, gsize len);
char *hb_fake_ollama_line (const char *model, const char *content, const char *done_reason);
GPtrArray *hb_fake_content_stream (const char *model, const char *text, const char *done_reason);
GPtrArray *hb_fake_huge (const char *model, gsize size, gboolean stream);
char *hb_fake_openai_body (const char *model, const char *text, const char *done_reason);
JsonNode *hb_fake_models_json (HbFakeOllama *f, gboolean openai);

/* hb-fake-ollama-scan.c: whether a chat request's body is one JSON object, and its top-level
 * "model" (when a string) and "stream" (1, 0, or -1 when not a boolean or absent). Unusual:
 * escaped text or a member given twice, for json-glib's reading to decide. */
typedef struct
{
  char *model;
  int stream;
  gboolean unusual;
} HbFakeRequestInfo;

gboolean hb_fake_scan_request (const char *text, gsize len, HbFakeRequestInfo *out);
void hb_fake_request_info_clear (HbFakeRequestInfo *info);

/* hb-fake-ollama-reply.c: the Ollama and OpenAI endpoints. */
void hb_fake_ollama_add_api_handlers (HbFakeOllama *f);
void hb_fake_ollama_cancel_replies (HbFakeOllama *f);

/* hb-fake-ollama.c: the step for the next chat (the queue's head or the default), to clear. */
void hb_fake_ollama_next_step (HbFakeOllama *f, HbFakeStep *out);

G_END_DECLS
