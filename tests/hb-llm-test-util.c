/* hb-llm-test-util.c: what the model server client tests share: waiting on the main loop,
 * settings and requests, the fake. */
#include "config.h"

#include <string.h>

#include "hb-llm-test-util.h"

void
hb_test_wait_done (GObject *source, GAsyncResult *result, gpointer data)
{
  HbTestWait *w = data;

  w->result = g_object_ref (result);
}

gboolean
hb_test_wait_expire (gpointer data)
{
  *(gboolean *) data = TRUE;
  return G_SOURCE_REMOVE;
}

void
hb_test_run_until_at (const char *where, gboolean (*cond) (gpointer), gpointer data,
                      guint seconds)
{
  gboolean expired = FALSE;
  guint id = g_timeout_add_seconds (seconds, hb_test_wait_expire, &expired);

  while (!cond (data) && !expired)
    g_main_context_iteration (NULL, TRUE);
  if (!expired)
    g_source_remove (id);
  if (!cond (data))
    g_error ("%s: condition not reached within %u s", where, seconds);
}

gboolean
hb_test_wait_has_result (gpointer data)
{
  return ((HbTestWait *) data)->result != NULL;
}

HbLlmSettings *
hb_test_settings (const char *url)
{
  HbLlmSettings *s = hb_llm_settings_new_default ();

  g_free (s->base_url);
  s->base_url = g_strdup (url);
  s->connect_timeout_s = 5;
  s->headers_timeout_s = 10;
  s->total_timeout_s = 20;
  s->retry_base_ms = 10;
  return s;
}

JsonNode *
hb_test_schema (void)
{
  g_autoptr(GError) error = NULL;
  JsonNode *node = json_from_string ("{\"type\":\"object\",\"properties\":{\"action\":{\"type\":"
                                     "\"string\",\"enum\":[\"post\",\"comment\",\"vote\",\"none\"]}},"
                                     "\"required\":[\"action\"]}", &error);

  g_assert_no_error (error);
  return node;
}

HbLlmRequest *
hb_test_request (const char *model)
{
  HbLlmRequest *r = g_new0 (HbLlmRequest, 1);

  r->model = g_strdup (model);
  r->system = g_strdup ("You are the heartbeat.");
  r->user = g_strdup ("Decide one action.");
  r->temperature = 0.25;
  r->max_tokens = 200;
  r->schema = hb_test_schema ();
  return r;
}

HbLlmResponse *
hb_test_chat_full (HbLlmClient *client, const HbLlmRequest *req, GCancellable *cancel, GError **error)
{
  HbTestWait w = { 0 };
  HbLlmResponse *r;

  hb_llm_client_chat_async (client, req, cancel, hb_test_wait_done, &w);
  hb_test_run_until (hb_test_wait_has_result, &w, 30);
  r = hb_llm_client_chat_finish (client, w.result, error);
  g_object_unref (w.result);
  return r;
}

/* One chat with @settings against @fake with the default request. */
HbLlmResponse *
hb_test_chat (HbFakeOllama *fake, HbLlmSettings *settings, const char *model, GError **error)
{
  g_autoptr(HbLlmClient) client = hb_llm_client_new (settings);
  g_autoptr(HbLlmRequest) req = hb_test_request (model);

  return hb_test_chat_full (client, req, NULL, error);
}

HbFakeOllama *
hb_test_fake_new (void)
{
  g_autoptr(GError) error = NULL;
  HbFakeOllama *fake = hb_fake_ollama_new (&error);

  g_assert_no_error (error);
  return fake;
}

void
hb_test_push (HbFakeOllama *fake, HbFakeKind kind, guint status, const char *text, guint delay_ms)
{
  HbFakeStep step = { .kind = kind, .status = status, .text = (char *) text, .delay_ms = delay_ms };

  hb_fake_ollama_push (fake, &step);
}

/* A chat that must fail with @domain/@code and whose message must contain @needle. */
void
hb_test_expect_error (HbFakeOllama *fake, HbLlmSettings *settings, GQuark domain, int code,
              const char *needle)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(HbLlmResponse) r = hb_test_chat (fake, settings, HB_TEST_MODEL, &error);

  g_assert_null (r);
  g_assert_error (error, domain, code);
  if (needle != NULL && strstr (error->message, needle) == NULL)
    g_error ("\"%s\" not in \"%s\"", needle, error->message);
}

char *
hb_test_closed_port_url (void)
{
  HbFakeOllama *fake = hb_test_fake_new ();
  char *url = g_strdup (hb_fake_ollama_get_url (fake));

  hb_fake_ollama_free (fake);
  return url;
}

JsonNode *
hb_test_member (JsonObject *o, const char *name)
{
  JsonNode *n = json_object_get_member (o, name);

  if (n == NULL)
    g_error ("request has no \"%s\"", name);
  return n;
}

