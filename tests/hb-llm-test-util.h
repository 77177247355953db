/* hb-llm-test-util.h: helpers for the model server client tests. */
#pragma once

#include "hb-error.h"
#include "hb-fake-ollama.h"
#include "hb-llm.h"

G_BEGIN_DECLS

#define HB_TEST_MODEL "llama3.2:latest"
#define HB_TEST_DECISION "{\"action\":\"none\",\"reasoning\":\"quiet day\"}"

/* An async result caught by hb_test_wait_done(). */
typedef struct
{
  GAsyncResult *result;
} HbTestWait;

void hb_test_wait_done (GObject *source, GAsyncResult *result, gpointer data);
gboolean hb_test_wait_expire (gpointer data);
gboolean hb_test_wait_has_result (gpointer data);

/* Run the main loop until @cond(@data) holds; fail the test (naming the caller) after @seconds.
 * Never sleeps. */
void hb_test_run_until_at (const char *where, gboolean (*cond) (gpointer), gpointer data,
                           guint seconds);
#define hb_test_run_until(cond, data, seconds) hb_test_run_until_at (G_STRLOC, cond, data, seconds)

/* Defaults with short deadlines and a 10 ms backoff, against @url. */
HbLlmSettings *hb_test_settings (const char *url);
JsonNode *hb_test_schema (void);
HbLlmRequest *hb_test_request (const char *model);
HbLlmResponse *hb_test_chat_full (HbLlmClient *client, const HbLlmRequest *req,
                                  GCancellable *cancel, GError **error);
/* One chat with a new client on @settings and the default request for @model. */
HbLlmResponse *hb_test_chat (HbFakeOllama *fake, HbLlmSettings *settings, const char *model,
                             GError **error);

HbFakeOllama *hb_test_fake_new (void);
void hb_test_push (HbFakeOllama *fake, HbFakeKind kind, guint status, const char *text,
                   guint delay_ms);
/* A chat that must fail with @domain/@code, its message containing @needle (unless NULL). */
void hb_test_expect_error (HbFakeOllama *fake, HbLlmSettings *settings, GQuark domain, int code,
                           const char *needle);
/* The URL of a port that was just closed: connections are refused. */
char *hb_test_closed_port_url (void);
/* The member @name of @o; fails the test when there is none. */
JsonNode *hb_test_member (JsonObject *o, const char *name);

G_END_DECLS
