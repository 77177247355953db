/* test-llm-backends: the OpenAI-compatible backend, the health probe, OLLAMA_HOST parsing, the
 * small value types, connection limits and the fake's own control interface. */
#include "config.h"

#include <string.h>

#include <libsoup/soup.h>

#include "hb-llm-private.h"
#include "hb-llm-test-util.h"

static void
on_chat_counted (GObject *source, GAsyncResult *result, gpointer data)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(HbLlmResponse) r = hb_llm_client_chat_finish (HB_LLM_CLIENT (source), result, &error);

  g_assert_no_error (error);
  g_assert_cmpuint (r->attempts, ==, 1);
  (*(guint *) data)++;
}

static gboolean
three_done (gpointer data)
{
  return *(guint *) data == 3;
}

static void
test_max_conns (void)
{
  for (guint conns = 1; conns <= 3; conns += 2)
    {
      g_autoptr(HbFakeOllama) fake = hb_test_fake_new ();
      g_autoptr(HbLlmSettings) s = hb_test_settings (hb_fake_ollama_get_url (fake));
      g_autoptr(HbLlmClient) client = NULL;
      g_autoptr(HbLlmRequest) req = hb_test_request (HB_TEST_MODEL);
      HbFakeStep slow = { .kind = HB_FAKE_CONTENT, .text = (char *) HB_TEST_DECISION, .delay_ms = 600 };
      guint done = 0;

      /* With one connection the third request waits 1.2 s for a free slot: that wait is not
       * part of the connect deadline. */
      s->max_conns = conns;
      s->connect_timeout_s = 1;
      client = hb_llm_client_new (s);
      hb_fake_ollama_set_default (fake, &slow);
      for (guint i = 0; i < 3; i++)
        hb_llm_client_chat_async (client, req, NULL, on_chat_counted, &done);
      hb_test_run_until (three_done, &done, 20);
      /* The session never opens more connections than allowed. */
      g_assert_cmpuint (hb_fake_ollama_get_max_in_flight (fake), ==, conns);
    }
}

static gboolean
count_reached (gpointer data)
{
  guint *counts = data;

  return counts[0] == counts[1];
}

/* Rounds of concurrent chats, up to and past max_conns: never more connections than that, and
 * the same ones again in every round and for chats one after the other. */
static void
test_conns_reused (void)
{
  g_autoptr(HbFakeOllama) fake = hb_test_fake_new ();
  g_autoptr(HbLlmSettings) s = hb_test_settings (hb_fake_ollama_get_url (fake));
  g_autoptr(HbLlmClient) client = NULL;
  g_autoptr(HbLlmRequest) req = hb_test_request (HB_TEST_MODEL);
  HbFakeStep slow = { .kind = HB_FAKE_CONTENT, .text = (char *) HB_TEST_DECISION, .delay_ms = 100 };
  const guint rounds[] = { 3, 3, 5, 1, 1 };
  guint counts[2] = { 0, 0 };   /* done, wanted */

  s->max_conns = 3;
  client = hb_llm_client_new (s);
  hb_fake_ollama_set_default (fake, &slow);
  for (guint r = 0; r < G_N_ELEMENTS (rounds); r++)
    {
      counts[1] += rounds[r];
      for (guint i = 0; i < rounds[r]; i++)
        hb_llm_client_chat_async (client, req, NULL, on_chat_counted, &counts[0]);
      hb_test_run_until (count_reached, counts, 20);
    }
  g_assert_cmpuint (hb_fake_ollama_get_requests (fake), ==, 13);
  g_assert_cmpuint (hb_fake_ollama_get_max_in_flight (fake), ==, 3);
  g_assert_cmpuint (hb_fake_ollama_get_connections (fake), ==, 3);
}

static void
on_pool_done (GObject *source, GAsyncResult *result, gpointer data)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(GBytes) body = hb_llm_http_send_finish (result, &error);

  g_assert_no_error (error);
  g_assert_nonnull (body);
  ((guint *) data)[0]++;
}

/* Which slot an exchange takes: the lowest free one, so that one session (and connection)
 * serves requests one after the other; when all are busy, the least loaded. Sessions are made
 * only for slots that were needed. */
static void
test_pool_slots (void)
{
  g_autoptr(HbFakeOllama) fake = hb_test_fake_new ();
  g_autoptr(HbLlmSettings) s = hb_test_settings (hb_fake_ollama_get_url (fake));
  g_autoptr(HbLlmPool) pool = hb_llm_pool_new (2, NULL);
  g_autofree char *url = g_strconcat (s->base_url, "/api/version", NULL);
  g_autoptr(GUri) uri = hb_llm_parse_url (url);
  guint counts[2] = { 0, 0 };

  g_assert_nonnull (uri);
  g_assert_null (hb_llm_parse_url ("ftp://127.0.0.1/x"));
  g_assert_null (hb_llm_parse_url ("http://"));
  for (guint n = 1; n <= 3; n++)
    {
      counts[1] += n;
      for (guint i = 0; i < n; i++)
        hb_llm_http_send_async (pool, s, "GET", uri, url, NULL, NULL, NULL, 5, 5, NULL,
                                on_pool_done, counts);
      g_assert_cmpuint (hb_llm_pool_get_busy (pool, 0), ==, n == 3 ? 2 : 1);
      g_assert_cmpuint (hb_llm_pool_get_busy (pool, 1), ==, n > 1 ? 1 : 0);
      hb_test_run_until (count_reached, counts, 20);
      g_assert_cmpuint (hb_llm_pool_get_busy (pool, 0), ==, 0);
      g_assert_cmpuint (hb_llm_pool_get_busy (pool, 1), ==, 0);
      g_assert_cmpuint (hb_llm_pool_get_sessions (pool), ==, n > 1 ? 2 : 1);
    }
}

/* OpenAI-compatible backend */

static void
test_openai_ok (void)
{
  g_autoptr(HbFakeOllama) fake = hb_test_fake_new ();
  g_autoptr(HbLlmSettings) s = hb_test_settings (hb_fake_ollama_get_url (fake));
  g_autoptr(GError) error = NULL;
  g_autoptr(HbLlmResponse) r = NULL;
  JsonObject *req, *rf, *js;

  s->kind = HB_BACKEND_OPENAI;
  s->api_key = g_strdup ("sk-test");
  hb_fake_ollama_push_content (fake, HB_TEST_DECISION);
  r = hb_test_chat (fake, s, HB_TEST_MODEL, &error);
  g_assert_no_error (error);
  g_assert_cmpstr (r->content, ==, HB_TEST_DECISION);
  g_assert_cmpstr (r->done_reason, ==, "stop");
  g_assert_cmpint (r->prompt_tokens, ==, 26);
  g_assert_cmpint (r->eval_tokens, ==, 12);
  g_assert_cmpstr (hb_fake_ollama_get_last_authorization (fake), ==, "Bearer sk-test");

  req = hb_fake_ollama_get_last_request (fake);
  g_assert_false (json_node_get_boolean (hb_test_member (req, "stream")));
  g_assert_cmpint (json_node_get_int (hb_test_member (req, "max_tokens")), ==, 200);
  g_assert_cmpfloat_with_epsilon (json_node_get_double (hb_test_member (req, "temperature")), 0.25, 1e-9);
  g_assert_false (json_object_has_member (req, "think"));
  rf = json_node_get_object (hb_test_member (req, "response_format"));
  g_assert_cmpstr (json_node_get_string (hb_test_member (rf, "type")), ==, "json_schema");
  js = json_node_get_object (hb_test_member (rf, "json_schema"));
  g_assert_cmpstr (json_node_get_string (hb_test_member (js, "name")), ==, "heartbeat_decision");
  g_assert_true (json_node_get_boolean (hb_test_member (js, "strict")));
  g_assert_true (JSON_NODE_HOLDS_OBJECT (hb_test_member (js, "schema")));
  g_assert_nonnull (strstr (r->options_json, "\"max_tokens\":200"));
}

static void
test_openai_no_key (void)
{
  g_autoptr(HbFakeOllama) fake = hb_test_fake_new ();
  g_autoptr(HbLlmSettings) s = hb_test_settings (hb_fake_ollama_get_url (fake));
  g_autoptr(GError) error = NULL;
  g_autoptr(HbLlmResponse) r = NULL;

  s->kind = HB_BACKEND_OPENAI;
  r = hb_test_chat (fake, s, HB_TEST_MODEL, &error);
  g_assert_no_error (error);
  g_assert_null (hb_fake_ollama_get_last_authorization (fake));
}

static void
test_openai_errors (void)
{
  g_autoptr(HbFakeOllama) fake = hb_test_fake_new ();
  g_autoptr(HbLlmSettings) s = hb_test_settings (hb_fake_ollama_get_url (fake));
  HbFakeStep length = { .kind = HB_FAKE_CONTENT, .text = (char *) "{\"act", .done_reason = (char *) "length" };
  g_autoptr(GError) error = NULL;
  g_autoptr(HbLlmResponse) r = NULL;

  s->kind = HB_BACKEND_OPENAI;
  hb_fake_ollama_push_status (fake, 500, "{\"error\":{\"message\":\"CUDA out of memory\","
                              "\"type\":\"server_error\",\"code\":500}}");
  hb_test_expect_error (fake, s, HB_LLM_ERROR, HB_LLM_ERROR_SERVER, "CUDA out of memory");
  hb_fake_ollama_push_status (fake, 401, "{\"error\":{\"message\":\"Invalid API key\"}}");
  hb_test_expect_error (fake, s, HB_LLM_ERROR, HB_LLM_ERROR_UNAUTHORIZED, "Invalid API key");
  hb_fake_ollama_push (fake, &length);
  hb_test_expect_error (fake, s, HB_LLM_ERROR, HB_LLM_ERROR_TRUNCATED, "finish_reason");
  hb_test_push (fake, HB_FAKE_RAW, 200, "{\"choices\":[]}", 0);
  hb_test_expect_error (fake, s, HB_LLM_ERROR, HB_LLM_ERROR_PROTOCOL, "choices[0]");
  hb_test_push (fake, HB_FAKE_RAW, 200, "{\"choices\":[\"x\"]}", 0);
  hb_test_expect_error (fake, s, HB_LLM_ERROR, HB_LLM_ERROR_PROTOCOL, "choices[0]");

  r = hb_test_chat (fake, s, "gpt-4o", &error);
  g_assert_error (error, HB_LLM_ERROR, HB_LLM_ERROR_MODEL_MISSING);
  g_assert_nonnull (strstr (error->message, "not found"));
}

/* Probe */

static HbBackendState
probe (HbLlmSettings *s, const char *model, char **detail)
{
  g_autoptr(HbLlmClient) client = hb_llm_client_new (s);
  HbTestWait w = { 0 };
  HbBackendState state;

  hb_llm_client_probe_async (client, model, NULL, hb_test_wait_done, &w);
  hb_test_run_until (hb_test_wait_has_result, &w, 30);
  state = hb_llm_client_probe_finish (client, w.result, detail);
  g_object_unref (w.result);
  return state;
}

typedef struct
{
  const char *name;
  HbBackendKind kind;
  const char *model;
  HbBackendState state;
} ProbeCase;

static const ProbeCase probe_cases[] = {
  { "ollama-exact", HB_BACKEND_OLLAMA, "llama3.2:latest", HB_BACKEND_STATE_AVAILABLE },
  { "ollama-untagged", HB_BACKEND_OLLAMA, "llama3.2", HB_BACKEND_STATE_AVAILABLE },
  { "ollama-tagged", HB_BACKEND_OLLAMA, "qwen2.5:7b", HB_BACKEND_STATE_AVAILABLE },
  { "ollama-other-tag", HB_BACKEND_OLLAMA, "qwen2.5:14b", HB_BACKEND_STATE_MODEL_MISSING },
  { "ollama-missing", HB_BACKEND_OLLAMA, "mistral", HB_BACKEND_STATE_MODEL_MISSING },
  { "ollama-prefix-only", HB_BACKEND_OLLAMA, "llama3", HB_BACKEND_STATE_MODEL_MISSING },
  { "ollama-no-model", HB_BACKEND_OLLAMA, NULL, HB_BACKEND_STATE_AVAILABLE },
  { "openai-present", HB_BACKEND_OPENAI, "qwen2.5:7b", HB_BACKEND_STATE_AVAILABLE },
  { "openai-missing", HB_BACKEND_OPENAI, "gpt-4o", HB_BACKEND_STATE_MODEL_MISSING },
  { "openai-no-model", HB_BACKEND_OPENAI, NULL, HB_BACKEND_STATE_AVAILABLE },
};

static void
test_probe (gconstpointer data)
{
  static const char *const models[] = { "llama3.2:latest", "qwen2.5:7b", NULL };
  const ProbeCase *c = data;
  g_autoptr(HbFakeOllama) fake = hb_test_fake_new ();
  g_autoptr(HbLlmSettings) s = hb_test_settings (hb_fake_ollama_get_url (fake));
  g_autofree char *detail = NULL;

  hb_fake_ollama_set_models (fake, models);
  s->kind = c->kind;
  g_assert_cmpstr (hb_backend_state_to_string (probe (s, c->model, &detail)), ==,
                   hb_backend_state_to_string (c->state));
  g_assert_nonnull (detail);
  /* The probe never counts as a chat. */
  g_assert_cmpuint (hb_fake_ollama_get_requests (fake), ==, 0);
}

static void
test_probe_unreachable (void)
{
  g_autofree char *url = hb_test_closed_port_url ();

  for (guint kind = HB_BACKEND_OLLAMA; kind <= HB_BACKEND_OPENAI; kind++)
    {
      g_autoptr(HbLlmSettings) s = hb_test_settings (url);
      g_autofree char *detail = NULL;

      s->kind = kind;
      g_assert_cmpint (probe (s, HB_TEST_MODEL, &detail), ==, HB_BACKEND_STATE_UNREACHABLE);
      g_assert_nonnull (detail);
    }

  /* Something answers, but not as a model server does. */
  {
    g_autoptr(HbFakeOllama) fake = hb_test_fake_new ();
    g_autofree char *wrong = g_strconcat (hb_fake_ollama_get_url (fake), "/elsewhere", NULL);
    g_autoptr(HbLlmSettings) s = hb_test_settings (wrong);
    g_autofree char *detail = NULL;

    g_assert_cmpint (probe (s, HB_TEST_MODEL, &detail), ==, HB_BACKEND_STATE_UNREACHABLE);
    g_assert_nonnull (strstr (detail, "404"));
  }
}

/* OLLAMA_HOST */

typedef struct
{
  const char *value;
  const char *url;    /* NULL: must be refused */
} HostCase;

static const HostCase host_cases[] = {
  { NULL, "http://127.0.0.1:11434" },
  { "", "http://127.0.0.1:11434" },
  { "   ", "http://127.0.0.1:11434" },
  { "1.2.3.4", "http://1.2.3.4:11434" },
  { "1.2.3.4:56789", "http://1.2.3.4:56789" },
  { "http://1.2.3.4", "http://1.2.3.4:80" },
  { "https://1.2.3.4", "https://1.2.3.4:443" },
  { "https://1.2.3.4:56789", "https://1.2.3.4:56789" },
  { "example.com", "http://example.com:11434" },
  { "example.com:56789", "http://example.com:56789" },
  { "http://example.com", "http://example.com:80" },
  { "HTTPS://example.com:56789/", "https://example.com:56789" },
  { "example.com/path/", "http://example.com:11434/path" },
  { "https://example.com//api/base//", "https://example.com:443/api/base" },
  { ":56789", "http://127.0.0.1:56789" },
  { "0.0.0.0", "http://127.0.0.1:11434" },
  { "0.0.0.0:8080", "http://127.0.0.1:8080" },
  { "[::]:8080", "http://[::1]:8080" },
  { "::", "http://[::1]:11434" },
  { "[0001:002:003:0004::1]", "http://[0001:002:003:0004::1]:11434" },
  { "[0001:002:003:0004::1]:56789", "http://[0001:002:003:0004::1]:56789" },
  { "https://[::1]:56789/path/", "https://[::1]:56789/path" },
  { "::1", "http://[::1]:11434" },
  { " localhost:11434 ", "http://localhost:11434" },
  { "example.com:", "http://example.com:11434" },
  { "ftp://example.com", NULL },
  { "http://", NULL },
  { "example.com:0", NULL },
  { "example.com:65536", NULL },
  { "example.com:12ab", NULL },
  { "[::1", NULL },
  { "[example]:80", NULL },
  { "[::1]x", NULL },
  { "1:2:3", NULL },
  { "exa mple.com", NULL },
  { "user@example.com", NULL },
  { "example.com?x=1", NULL },
  { "example.com#frag", NULL },
  { "-bad.example", NULL },
  { "ex\xc3\xa4mple.com", NULL },
};

static void
test_host_parse (void)
{
  for (guint i = 0; i < G_N_ELEMENTS (host_cases); i++)
    {
      const HostCase *c = &host_cases[i];
      g_autoptr(GError) error = NULL;
      g_autofree char *url = hb_ollama_host_parse (c->value, &error);

      g_test_message ("OLLAMA_HOST=\"%s\"", c->value != NULL ? c->value : "(null)");
      if (c->url != NULL)
        {
          g_assert_no_error (error);
          g_assert_cmpstr (url, ==, c->url);
        }
      else
        {
          g_assert_null (url);
          g_assert_error (error, G_IO_ERROR, G_IO_ERROR_INVALID_ARGUMENT);
        }
    }
}

/* Small values */

static void
test_enums (void)
{
  HbBackendKind kind = HB_BACKEND_OLLAMA;

  g_assert_true (hb_backend_kind_from_string ("openai", &kind));
  g_assert_cmpint (kind, ==, HB_BACKEND_OPENAI);
  g_assert_true (hb_backend_kind_from_string ("Ollama", &kind));
  g_assert_cmpint (kind, ==, HB_BACKEND_OLLAMA);
  g_assert_false (hb_backend_kind_from_string ("vllm", &kind));
  g_assert_false (hb_backend_kind_from_string ("", &kind));
  g_assert_false (hb_backend_kind_from_string (NULL, &kind));
  g_assert_cmpint (kind, ==, HB_BACKEND_OLLAMA);

  g_assert_cmpstr (hb_backend_state_to_string (HB_BACKEND_STATE_UNKNOWN), ==, "unknown");
  g_assert_cmpstr (hb_backend_state_to_string (HB_BACKEND_STATE_AVAILABLE), ==, "available");
  g_assert_cmpstr (hb_backend_state_to_string (HB_BACKEND_STATE_UNREACHABLE), ==, "unreachable");
  g_assert_cmpstr (hb_backend_state_to_string (HB_BACKEND_STATE_MODEL_MISSING), ==, "model-missing");
  g_assert_cmpstr (hb_backend_state_to_string ((HbBackendState) 99), ==, "unknown");
}

static void
test_settings (void)
{
  g_autoptr(HbLlmSettings) d = hb_llm_settings_new_default ();
  g_autoptr(HbLlmSettings) c = NULL;
  g_autoptr(HbLlmClient) client = NULL;

  g_assert_cmpint (d->kind, ==, HB_BACKEND_OLLAMA);
  g_assert_cmpstr (d->base_url, ==, "http://127.0.0.1:11434");
  g_assert_null (d->api_key);
  g_assert_cmpuint (d->connect_timeout_s, ==, 10);
  g_assert_cmpuint (d->headers_timeout_s, ==, 300);
  g_assert_cmpuint (d->total_timeout_s, ==, 600);
  g_assert_cmpuint (d->max_body, ==, 1024 * 1024);
  g_assert_cmpstr (d->keep_alive, ==, "30m");
  g_assert_false (d->stream);
  g_assert_cmpuint (d->retries, ==, 2);
  g_assert_cmpuint (d->retry_base_ms, ==, 500);
  g_assert_cmpuint (d->max_conns, ==, 8);

  d->api_key = g_strdup ("k");
  c = hb_llm_settings_copy (d);
  g_assert_true (c->base_url != d->base_url && c->api_key != d->api_key);
  g_assert_cmpstr (c->api_key, ==, "k");
  g_assert_cmpstr (c->keep_alive, ==, "30m");

  /* The client keeps its own copy, with a trailing slash dropped. */
  g_free (c->base_url);
  c->base_url = g_strdup ("http://127.0.0.1:11434//");
  client = hb_llm_client_new (c);
  g_free (c->base_url);
  c->base_url = g_strdup ("changed");
  g_assert_cmpstr (hb_llm_client_get_settings (client)->base_url, ==, "http://127.0.0.1:11434");
}

/* The fake's control endpoints, as a test in another process would use them. */

static GBytes *
http (SoupSession *session, const char *method, const char *url, const char *body, guint *status)
{
  g_autoptr(SoupMessage) msg = soup_message_new (method, url);
  HbTestWait w = { 0 };
  g_autoptr(GError) error = NULL;
  GBytes *reply;

  if (body != NULL)
    {
      g_autoptr(GBytes) b = g_bytes_new (body, strlen (body));

      soup_message_set_request_body_from_bytes (msg, "application/json", b);
    }
  soup_session_send_and_read_async (session, msg, G_PRIORITY_DEFAULT, NULL, hb_test_wait_done, &w);
  hb_test_run_until (hb_test_wait_has_result, &w, 10);
  reply = soup_session_send_and_read_finish (session, w.result, &error);
  g_object_unref (w.result);
  g_assert_no_error (error);
  *status = soup_message_get_status (msg);
  return reply;
}

static void
test_fake_control (void)
{
  g_autoptr(HbFakeOllama) fake = hb_test_fake_new ();
  g_autoptr(HbLlmSettings) s = hb_test_settings (hb_fake_ollama_get_url (fake));
  g_autoptr(SoupSession) session = soup_session_new ();
  g_autofree char *push_url = g_strconcat (hb_fake_ollama_get_url (fake), "/_fake/push", NULL);
  g_autofree char *models_url = g_strconcat (hb_fake_ollama_get_url (fake), "/_fake/models", NULL);
  g_autofree char *stats_url = g_strconcat (hb_fake_ollama_get_url (fake), "/_fake/stats", NULL);
  g_autofree char *reset_url = g_strconcat (hb_fake_ollama_get_url (fake), "/_fake/reset", NULL);
  g_autoptr(GBytes) reply = NULL;
  g_autoptr(GError) error = NULL;
  g_autoptr(HbLlmResponse) r = NULL;
  g_autoptr(JsonNode) stats = NULL;
  g_autofree char *text = NULL;
  guint status;

  hb_fake_ollama_enable_control (fake);
  g_clear_pointer (&reply, g_bytes_unref);
  reply = http (session, "POST", push_url, "{\"kind\":\"content\",\"text\":\"scripted\"}", &status);
  g_assert_cmpuint (status, ==, 200);
  g_clear_pointer (&reply, g_bytes_unref);
  reply = http (session, "POST", push_url, "{\"kind\":\"bogus\"}", &status);
  g_assert_cmpuint (status, ==, 400);
  g_clear_pointer (&reply, g_bytes_unref);
  reply = http (session, "POST", push_url, "{\"kind\":\"status\",\"status\":\"x\"}", &status);
  g_assert_cmpuint (status, ==, 400);
  g_clear_pointer (&reply, g_bytes_unref);
  reply = http (session, "POST", models_url, "[\"phi3:mini\",\"llama3.2:latest\"]", &status);
  g_assert_cmpuint (status, ==, 200);

  r = hb_test_chat (fake, s, HB_TEST_MODEL, &error);
  g_assert_no_error (error);
  g_assert_cmpstr (r->content, ==, "scripted");

  g_clear_pointer (&reply, g_bytes_unref);
  reply = http (session, "GET", stats_url, NULL, &status);
  g_assert_cmpuint (status, ==, 200);
  text = g_strndup (g_bytes_get_data (reply, NULL), g_bytes_get_size (reply));
  stats = json_from_string (text, &error);
  g_assert_no_error (error);
  g_assert_cmpint (json_object_get_int_member (json_node_get_object (stats), "requests"), ==, 1);
  g_assert_cmpint (json_object_get_int_member (json_node_get_object (stats), "in_flight"), ==, 0);
  g_assert_true (JSON_NODE_HOLDS_OBJECT (json_object_get_member (json_node_get_object (stats),
                                                                 "last_request")));

  g_clear_pointer (&reply, g_bytes_unref);
  reply = http (session, "POST", reset_url, "", &status);
  g_assert_cmpuint (status, ==, 200);
  g_assert_cmpuint (hb_fake_ollama_get_requests (fake), ==, 0);
  g_assert_null (hb_fake_ollama_get_last_request (fake));
}

static void
test_fake_step_json (void)
{
  HbFakeStep step = { .kind = HB_FAKE_STREAM_RAW, .text = (char *) "a\0bc\0", .delay_ms = 5,
                      .chunk_delay_ms = 7, .done_reason = (char *) "length" };
  g_autoptr(JsonNode) node = hb_fake_step_to_json (&step);
  g_autoptr(GError) error = NULL;
  HbFakeStep back;

  g_assert_true (hb_fake_step_from_json (node, &back, &error));
  g_assert_no_error (error);
  g_assert_cmpint (back.kind, ==, HB_FAKE_STREAM_RAW);
  g_assert_cmpmem (back.text, 6, "a\0bc\0", 6);
  g_assert_cmpuint (back.delay_ms, ==, 5);
  g_assert_cmpuint (back.chunk_delay_ms, ==, 7);
  g_assert_cmpstr (back.done_reason, ==, "length");
  hb_fake_step_clear (&back);
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);

  g_test_add_func ("/llm/connection/max-conns", test_max_conns);
  g_test_add_func ("/llm/connection/reused-concurrent", test_conns_reused);
  g_test_add_func ("/llm/connection/pool-slots", test_pool_slots);
  g_test_add_func ("/llm/openai/ok", test_openai_ok);
  g_test_add_func ("/llm/openai/no-key", test_openai_no_key);
  g_test_add_func ("/llm/openai/errors", test_openai_errors);
  for (guint i = 0; i < G_N_ELEMENTS (probe_cases); i++)
    {
      g_autofree char *path = g_strdup_printf ("/llm/probe/%s", probe_cases[i].name);

      g_test_add_data_func (path, &probe_cases[i], test_probe);
    }
  g_test_add_func ("/llm/probe/unreachable", test_probe_unreachable);
  g_test_add_func ("/llm/host-parse", test_host_parse);
  g_test_add_func ("/llm/enums", test_enums);
  g_test_add_func ("/llm/settings", test_settings);
  g_test_add_func ("/llm/fake/control", test_fake_control);
  g_test_add_func ("/llm/fake/step-json", test_fake_step_json);
  return g_test_run ();
}
