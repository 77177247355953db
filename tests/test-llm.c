/* test-llm: the Ollama chat client against the fake Ollama in the same main context: replies,
 * request bodies, status codes and retries, bad bodies, deadlines, connections, cancellation. */
#include "config.h"

#include <string.h>

#include "hb-llm-test-util.h"

/* Happy paths */

static void
test_chat_ok (void)
{
  g_autoptr(HbFakeOllama) fake = hb_test_fake_new ();
  g_autoptr(HbLlmSettings) s = hb_test_settings (hb_fake_ollama_get_url (fake));
  g_autoptr(GError) error = NULL;
  g_autoptr(HbLlmResponse) r = NULL;
  g_autoptr(JsonNode) opts = NULL;
  JsonObject *o;

  hb_fake_ollama_push_content (fake, HB_TEST_DECISION);
  r = hb_test_chat (fake, s, HB_TEST_MODEL, &error);
  g_assert_no_error (error);
  g_assert_cmpstr (r->content, ==, HB_TEST_DECISION);
  g_assert_cmpstr (r->model, ==, HB_TEST_MODEL);
  g_assert_cmpstr (r->done_reason, ==, "stop");
  g_assert_cmpint (r->prompt_tokens, ==, 26);
  g_assert_cmpint (r->eval_tokens, ==, 12);
  g_assert_cmpint (r->total_duration_ns, ==, 1234567890);
  g_assert_cmpint (r->load_duration_ns, ==, 12345678);
  g_assert_cmpint (r->eval_duration_ns, ==, 980000000);
  g_assert_cmpuint (r->attempts, ==, 1);
  g_assert_cmpuint (hb_fake_ollama_get_requests (fake), ==, 1);

  opts = json_from_string (r->options_json, &error);
  g_assert_no_error (error);
  g_assert_true (JSON_NODE_HOLDS_OBJECT (opts));
  o = json_node_get_object (opts);
  g_assert_cmpfloat_with_epsilon (json_object_get_double_member (o, "temperature"), 0.25, 1e-9);
  g_assert_cmpint (json_object_get_int_member (o, "num_predict"), ==, 200);
  g_assert_cmpstr (json_object_get_string_member (o, "keep_alive"), ==, "30m");
  g_assert_false (json_object_get_boolean_member (o, "stream"));
  g_assert_false (json_object_get_boolean_member (o, "think"));
}

static void
test_request_body (void)
{
  g_autoptr(HbFakeOllama) fake = hb_test_fake_new ();
  g_autoptr(HbLlmSettings) s = hb_test_settings (hb_fake_ollama_get_url (fake));
  g_autoptr(GError) error = NULL;
  g_autoptr(HbLlmResponse) r = NULL;
  JsonObject *req, *opts, *format, *m0, *m1;
  JsonArray *messages;

  g_free (s->keep_alive);
  s->keep_alive = g_strdup ("45m");
  r = hb_test_chat (fake, s, "llama3.2", &error);
  g_assert_no_error (error);
  req = hb_fake_ollama_get_last_request (fake);
  g_assert_nonnull (req);
  g_assert_cmpstr (json_node_get_string (hb_test_member (req, "model")), ==, "llama3.2");
  /* Sent explicitly, as booleans: the server would stream (and a model might think) otherwise. */
  g_assert_cmpint (json_node_get_value_type (hb_test_member (req, "stream")), ==, G_TYPE_BOOLEAN);
  g_assert_false (json_node_get_boolean (hb_test_member (req, "stream")));
  g_assert_cmpint (json_node_get_value_type (hb_test_member (req, "think")), ==, G_TYPE_BOOLEAN);
  g_assert_false (json_node_get_boolean (hb_test_member (req, "think")));
  g_assert_cmpstr (json_node_get_string (hb_test_member (req, "keep_alive")), ==, "45m");
  g_assert_true (JSON_NODE_HOLDS_OBJECT (hb_test_member (req, "options")));
  opts = json_node_get_object (hb_test_member (req, "options"));
  g_assert_cmpfloat_with_epsilon (json_node_get_double (hb_test_member (opts, "temperature")), 0.25, 1e-9);
  g_assert_cmpint (json_node_get_int (hb_test_member (opts, "num_predict")), ==, 200);
  /* The schema goes as an object, not as a string holding JSON. */
  g_assert_true (JSON_NODE_HOLDS_OBJECT (hb_test_member (req, "format")));
  format = json_node_get_object (hb_test_member (req, "format"));
  g_assert_cmpstr (json_node_get_string (hb_test_member (format, "type")), ==, "object");
  g_assert_true (JSON_NODE_HOLDS_ARRAY (hb_test_member (format, "required")));
  g_assert_true (JSON_NODE_HOLDS_ARRAY (hb_test_member (req, "messages")));
  messages = json_node_get_array (hb_test_member (req, "messages"));
  g_assert_cmpuint (json_array_get_length (messages), ==, 2);
  m0 = json_array_get_object_element (messages, 0);
  m1 = json_array_get_object_element (messages, 1);
  g_assert_cmpstr (json_object_get_string_member (m0, "role"), ==, "system");
  g_assert_cmpstr (json_object_get_string_member (m0, "content"), ==, "You are the heartbeat.");
  g_assert_cmpstr (json_object_get_string_member (m1, "role"), ==, "user");
  g_assert_cmpstr (json_object_get_string_member (m1, "content"), ==, "Decide one action.");
}

static void
test_keep_alive_seconds (void)
{
  g_autoptr(HbFakeOllama) fake = hb_test_fake_new ();
  g_autoptr(HbLlmSettings) s = hb_test_settings (hb_fake_ollama_get_url (fake));
  g_autoptr(GError) error = NULL;
  g_autoptr(HbLlmResponse) r = NULL;
  JsonNode *ka;

  g_free (s->keep_alive);
  s->keep_alive = g_strdup ("600");
  r = hb_test_chat (fake, s, HB_TEST_MODEL, &error);
  g_assert_no_error (error);
  ka = hb_test_member (hb_fake_ollama_get_last_request (fake), "keep_alive");
  g_assert_cmpint (json_node_get_value_type (ka), ==, G_TYPE_INT64);
  g_assert_cmpint (json_node_get_int (ka), ==, 600);
}

/* One client, requests one after the other: all on one kept-alive connection, whether the body
 * comes with a Content-Length or streamed. */
static void
test_connection_reused (void)
{
  for (int stream = 0; stream <= 1; stream++)
    {
      g_autoptr(HbFakeOllama) fake = hb_test_fake_new ();
      g_autoptr(HbLlmSettings) s = hb_test_settings (hb_fake_ollama_get_url (fake));
      g_autoptr(HbLlmClient) client = NULL;
      g_autoptr(HbLlmRequest) req = hb_test_request (HB_TEST_MODEL);

      s->stream = stream;
      client = hb_llm_client_new (s);
      for (guint i = 0; i < 5; i++)
        {
          g_autoptr(GError) error = NULL;
          g_autoptr(HbLlmResponse) r = NULL;

          hb_fake_ollama_push_content (fake, HB_TEST_DECISION);
          r = hb_test_chat_full (client, req, NULL, &error);
          g_assert_no_error (error);
          g_assert_cmpstr (r->content, ==, HB_TEST_DECISION);
        }
      g_assert_cmpuint (hb_fake_ollama_get_requests (fake), ==, 5);
      g_assert_cmpuint (hb_fake_ollama_get_connections (fake), ==, 1);
    }
}

static void
test_chat_stream (void)
{
  g_autoptr(HbFakeOllama) fake = hb_test_fake_new ();
  g_autoptr(HbLlmSettings) s = hb_test_settings (hb_fake_ollama_get_url (fake));
  g_autoptr(GError) error = NULL;
  g_autoptr(HbLlmResponse) r = NULL;
  HbFakeStep step = { .kind = HB_FAKE_CONTENT, .text = (char *) "{\"action\":\"post\",\"title\":\"h\xc3\xa9llo\"}",
                      .chunk_delay_ms = 20 };

  s->stream = TRUE;
  hb_fake_ollama_push (fake, &step);
  r = hb_test_chat (fake, s, HB_TEST_MODEL, &error);
  g_assert_no_error (error);
  g_assert_cmpstr (r->content, ==, step.text);
  g_assert_cmpint (r->eval_tokens, ==, 12);
  g_assert_cmpstr (r->done_reason, ==, "stop");
  g_assert_true (json_node_get_boolean (hb_test_member (hb_fake_ollama_get_last_request (fake), "stream")));
  g_assert_nonnull (strstr (r->options_json, "\"stream\":true"));
}

static void
test_passthrough (void)
{
  static const char *const contents[] = {
    "```json\n{\"action\":\"none\"}\n```",
    "Sure! Here is my decision: {\"action\":\"none\"} Hope this helps.",
    "  {\"action\":\"none\"}\n\n",
  };

  for (guint stream = 0; stream < 2; stream++)
    for (guint i = 0; i < G_N_ELEMENTS (contents); i++)
      {
        g_autoptr(HbFakeOllama) fake = hb_test_fake_new ();
        g_autoptr(HbLlmSettings) s = hb_test_settings (hb_fake_ollama_get_url (fake));
        g_autoptr(GError) error = NULL;
        g_autoptr(HbLlmResponse) r = NULL;

        s->stream = stream;
        hb_fake_ollama_push_content (fake, contents[i]);
        r = hb_test_chat (fake, s, HB_TEST_MODEL, &error);
        g_assert_no_error (error);
        g_assert_cmpstr (r->content, ==, contents[i]);
      }
}

/* Status codes and retries */

typedef struct
{
  const char *name;
  guint status;
  const char *body;
  int code;
  const char *needle;
  guint requests;   /* with retries = 2 */
} StatusCase;

static const StatusCase status_cases[] = {
  { "400", 400, "{\"error\":\"think value \\\"true\\\" is not supported for this model\"}",
    HB_LLM_ERROR_BAD_REQUEST, "not supported for this model", 1 },
  { "401", 401, "{\"error\":\"unauthorized\"}", HB_LLM_ERROR_UNAUTHORIZED, "unauthorized", 1 },
  { "403", 403, "", HB_LLM_ERROR_UNAUTHORIZED, "403", 1 },
  { "404", 404, "{\"error\":\"model 'x' not found\"}", HB_LLM_ERROR_MODEL_MISSING, "not found", 1 },
  { "500", 500, "{\"error\":\"llama runner process has terminated\"}", HB_LLM_ERROR_SERVER,
    "runner process", 1 },
  { "502-html", 502, "<html>Bad Gateway</html>", HB_LLM_ERROR_SERVER, "Bad Gateway", 1 },
  { "500-error-object", 500, "{\"error\":{\"nested\":true}}", HB_LLM_ERROR_SERVER, "500", 1 },
  { "503", 503, "{\"error\":\"server busy, please try again.  maximum pending requests exceeded\"}",
    HB_LLM_ERROR_BUSY, "server busy", 3 },
};

static void
test_status (gconstpointer data)
{
  const StatusCase *c = data;
  g_autoptr(HbFakeOllama) fake = hb_test_fake_new ();
  g_autoptr(HbLlmSettings) s = hb_test_settings (hb_fake_ollama_get_url (fake));
  HbFakeStep step = { .kind = HB_FAKE_STATUS, .status = c->status, .text = (char *) c->body };

  hb_fake_ollama_set_default (fake, &step);
  hb_test_expect_error (fake, s, HB_LLM_ERROR, c->code, c->needle);
  /* Only transient failures are tried again. */
  g_assert_cmpuint (hb_fake_ollama_get_requests (fake), ==, c->requests);
}

static void
test_model_missing (void)
{
  g_autoptr(HbFakeOllama) fake = hb_test_fake_new ();
  g_autoptr(HbLlmSettings) s = hb_test_settings (hb_fake_ollama_get_url (fake));
  g_autoptr(GError) error = NULL;
  g_autoptr(HbLlmResponse) r = NULL;

  s->stream = TRUE; /* an error status is not read as NDJSON */
  r = hb_test_chat (fake, s, "mistral:7b", &error);
  g_assert_error (error, HB_LLM_ERROR, HB_LLM_ERROR_MODEL_MISSING);
  g_assert_nonnull (strstr (error->message, "model 'mistral:7b' not found"));
  g_assert_cmpuint (hb_fake_ollama_get_requests (fake), ==, 1);
}

static void
test_busy_then_ok (void)
{
  g_autoptr(HbFakeOllama) fake = hb_test_fake_new ();
  g_autoptr(HbLlmSettings) s = hb_test_settings (hb_fake_ollama_get_url (fake));
  g_autoptr(GError) error = NULL;
  g_autoptr(HbLlmResponse) r = NULL;

  hb_fake_ollama_push_status (fake, 503, "{\"error\":\"server busy, please try again.\"}");
  hb_fake_ollama_push_content (fake, HB_TEST_DECISION);
  r = hb_test_chat (fake, s, HB_TEST_MODEL, &error);
  g_assert_no_error (error);
  g_assert_cmpstr (r->content, ==, HB_TEST_DECISION);
  g_assert_cmpuint (r->attempts, ==, 2);
  g_assert_cmpuint (hb_fake_ollama_get_requests (fake), ==, 2);
}

static void
test_no_retries (void)
{
  g_autoptr(HbFakeOllama) fake = hb_test_fake_new ();
  g_autoptr(HbLlmSettings) s = hb_test_settings (hb_fake_ollama_get_url (fake));

  s->retries = 0;
  hb_fake_ollama_push_status (fake, 503, "{\"error\":\"server busy\"}");
  hb_test_expect_error (fake, s, HB_LLM_ERROR, HB_LLM_ERROR_BUSY, "server busy");
  g_assert_cmpuint (hb_fake_ollama_get_requests (fake), ==, 1);
}

/* Bodies that are not what they should be */

typedef struct
{
  const char *name;
  gboolean stream;
  HbFakeKind kind;
  const char *text;      /* RAW body, or chunks for STREAM_RAW (NUL-separated) */
  const char *done_reason;
  int code;
  const char *needle;
} BodyCase;

static const BodyCase body_cases[] = {
  { "not-json", FALSE, HB_FAKE_RAW, "Ollama is running", NULL, HB_LLM_ERROR_PROTOCOL, "not JSON" },
  { "json-array", FALSE, HB_FAKE_RAW, "[1,2]", NULL, HB_LLM_ERROR_PROTOCOL, "not a JSON object" },
  { "partial-json", FALSE, HB_FAKE_RAW, "{\"message\":{\"content\":\"x", NULL,
    HB_LLM_ERROR_PROTOCOL, "not JSON" },
  { "no-message", FALSE, HB_FAKE_RAW, "{\"model\":\"m\",\"done\":true}", NULL,
    HB_LLM_ERROR_PROTOCOL, "message.content" },
  { "message-array", FALSE, HB_FAKE_RAW, "{\"message\":[1],\"done\":true}", NULL,
    HB_LLM_ERROR_PROTOCOL, "message.content" },
  { "content-number", FALSE, HB_FAKE_RAW, "{\"message\":{\"content\":5},\"done\":true}", NULL,
    HB_LLM_ERROR_PROTOCOL, "message.content" },
  { "content-object", FALSE, HB_FAKE_RAW, "{\"message\":{\"content\":{\"a\":1}}}", NULL,
    HB_LLM_ERROR_PROTOCOL, "message.content" },
  { "stats-wrong-types", FALSE, HB_FAKE_RAW,
    "{\"message\":{\"content\":\"\"},\"eval_count\":{},\"done_reason\":[],\"model\":7}", NULL,
    HB_LLM_ERROR_PROTOCOL, "empty" },
  { "error-in-200", FALSE, HB_FAKE_RAW, "{\"error\":\"unexpected EOF\"}", NULL,
    HB_LLM_ERROR_PROTOCOL, "unexpected EOF" },
  { "empty-content", FALSE, HB_FAKE_CONTENT, "", NULL, HB_LLM_ERROR_PROTOCOL, "empty" },
  { "thinking-only", FALSE, HB_FAKE_RAW,
    "{\"message\":{\"content\":\"\",\"thinking\":\"hmm\"},\"done\":true}", NULL,
    HB_LLM_ERROR_PROTOCOL, "thinking" },
  { "length", FALSE, HB_FAKE_CONTENT, "{\"action\":\"po", "length", HB_LLM_ERROR_TRUNCATED, "length" },
  { "stream-length", TRUE, HB_FAKE_CONTENT, "{\"action\":\"po", "length", HB_LLM_ERROR_TRUNCATED,
    "length" },
  { "stream-empty", TRUE, HB_FAKE_CONTENT, "", NULL, HB_LLM_ERROR_PROTOCOL, "empty" },
  { "stream-no-done", TRUE, HB_FAKE_STREAM_RAW,
    "{\"message\":{\"content\":\"{\\\"act\"},\"done\":false}\n{\"mess\0age\":{\"content\":\"ion\"},"
    "\"done\":false}\n\0", NULL, HB_LLM_ERROR_TRUNCATED, "without done:true" },
  { "stream-error-line", TRUE, HB_FAKE_STREAM_RAW,
    "{\"message\":{\"content\":\"{\"},\"done\":false}\n{\"err\0or\":\"llama runner process no longer "
    "running\"}\n\0", NULL, HB_LLM_ERROR_PROTOCOL, "no longer running" },
  { "stream-garbage-line", TRUE, HB_FAKE_STREAM_RAW,
    "{\"message\":{\"content\":\"{\"},\"done\":false}\n<html>\n\0", NULL, HB_LLM_ERROR_PROTOCOL,
    "line 2" },
  { "stream-line-not-object", TRUE, HB_FAKE_STREAM_RAW, "[\"done\"]\n\0", NULL,
    HB_LLM_ERROR_PROTOCOL, "line 1" },
  { "stream-empty-body", TRUE, HB_FAKE_STREAM_RAW, "\0", NULL, HB_LLM_ERROR_TRUNCATED, "0 lines" },
};

static void
test_body (gconstpointer data)
{
  const BodyCase *c = data;
  g_autoptr(HbFakeOllama) fake = hb_test_fake_new ();
  g_autoptr(HbLlmSettings) s = hb_test_settings (hb_fake_ollama_get_url (fake));
  HbFakeStep step = { .kind = c->kind, .text = (char *) c->text, .done_reason = (char *) c->done_reason };

  s->stream = c->stream;
  hb_fake_ollama_push (fake, &step);
  hb_test_expect_error (fake, s, HB_LLM_ERROR, c->code, c->needle);
  g_assert_cmpuint (hb_fake_ollama_get_requests (fake), ==, 1);
}

static void
test_stream_split_mid_line (void)
{
  static const char *const chunks[] = {
    "{\"model\":\"llama3.2:latest\",\"message\":{\"role\":\"assistant\",\"content\":\"he",
    "llo\"},\"done\":false}\r\n\n{\"mess",
    "age\":{\"content\":\" w\xc3",
    "\xb6rld\"},\"done\":false}\n{\"done\":true,\"done_reason\":\"stop\",\"eval_count\":3,"
    "\"prompt_eval_count\":7}",
    "\n",
    NULL,
  };
  g_autoptr(HbFakeOllama) fake = hb_test_fake_new ();
  g_autoptr(HbLlmSettings) s = hb_test_settings (hb_fake_ollama_get_url (fake));
  g_autoptr(GError) error = NULL;
  g_autoptr(HbLlmResponse) r = NULL;

  s->stream = TRUE;
  hb_fake_ollama_push_chunks (fake, chunks, 10);
  r = hb_test_chat (fake, s, HB_TEST_MODEL, &error);
  g_assert_no_error (error);
  g_assert_cmpstr (r->content, ==, "hello w\xc3\xb6rld");
  g_assert_cmpint (r->eval_tokens, ==, 3);
  g_assert_cmpint (r->prompt_tokens, ==, 7);
  g_assert_cmpint (r->total_duration_ns, ==, -1);
}

static void
test_too_large (void)
{
  for (guint stream = 0; stream < 2; stream++)
    {
      g_autoptr(HbFakeOllama) fake = hb_test_fake_new ();
      g_autoptr(HbLlmSettings) s = hb_test_settings (hb_fake_ollama_get_url (fake));
      HbFakeStep step = { .kind = HB_FAKE_HUGE, .size = 400 * 1024 };

      s->stream = stream;
      s->max_body = 100 * 1024;
      hb_fake_ollama_push (fake, &step);
      hb_test_expect_error (fake, s, HB_LLM_ERROR, HB_LLM_ERROR_TOO_LARGE, "larger than");
      g_assert_cmpuint (hb_fake_ollama_get_requests (fake), ==, 1);
    }
}

static void
test_huge_under_cap (void)
{
  g_autoptr(HbFakeOllama) fake = hb_test_fake_new ();
  g_autoptr(HbLlmSettings) s = hb_test_settings (hb_fake_ollama_get_url (fake));
  g_autoptr(GError) error = NULL;
  g_autoptr(HbLlmResponse) r = NULL;
  HbFakeStep step = { .kind = HB_FAKE_HUGE, .size = 200 * 1024 };

  /* Many read chunks add up correctly when the cap allows them. */
  hb_fake_ollama_push (fake, &step);
  r = hb_test_chat (fake, s, HB_TEST_MODEL, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (strlen (r->content), >, 190 * 1024);
}

/* Deadlines, connections, cancellation */

static void
test_headers_deadline (void)
{
  g_autoptr(HbFakeOllama) fake = hb_test_fake_new ();
  g_autoptr(HbLlmSettings) s = hb_test_settings (hb_fake_ollama_get_url (fake));
  HbFakeStep slow = { .kind = HB_FAKE_CONTENT, .text = (char *) HB_TEST_DECISION, .delay_ms = 3000 };

  s->headers_timeout_s = 1;
  s->retries = 1;
  hb_fake_ollama_set_default (fake, &slow);
  hb_test_expect_error (fake, s, HB_LLM_ERROR, HB_LLM_ERROR_TIMEOUT, "headers deadline");
  /* A timeout is transient: tried once more. */
  g_assert_cmpuint (hb_fake_ollama_get_requests (fake), ==, 2);
}

static void
test_headers_within_deadline (void)
{
  g_autoptr(HbFakeOllama) fake = hb_test_fake_new ();
  g_autoptr(HbLlmSettings) s = hb_test_settings (hb_fake_ollama_get_url (fake));
  g_autoptr(HbLlmClient) client = NULL;
  g_autoptr(HbLlmRequest) req = hb_test_request (HB_TEST_MODEL);

  /* A slow model load that ends before the deadline is not an error, and the (short) connect
   * deadline does not cut it: the connection was made long before. Twice on one client, so
   * that nothing of the first request's deadlines lingers into the second. */
  s->connect_timeout_s = 1;
  s->headers_timeout_s = 5;
  client = hb_llm_client_new (s);
  for (guint i = 0; i < 2; i++)
    {
      g_autoptr(GError) error = NULL;
      g_autoptr(HbLlmResponse) r = NULL;

      hb_test_push (fake, HB_FAKE_CONTENT, 200, HB_TEST_DECISION, 1500);
      r = hb_test_chat_full (client, req, NULL, &error);
      g_assert_no_error (error);
      g_assert_cmpstr (r->content, ==, HB_TEST_DECISION);
      g_assert_cmpuint (r->attempts, ==, 1);
    }
}

static void
test_no_headers (void)
{
  g_autoptr(HbFakeOllama) fake = hb_test_fake_new ();
  g_autoptr(HbLlmSettings) s = hb_test_settings (hb_fake_ollama_get_url (fake));

  s->headers_timeout_s = 1;
  s->retries = 0;
  hb_test_push (fake, HB_FAKE_NO_HEADERS, 0, NULL, 0);
  hb_test_expect_error (fake, s, HB_LLM_ERROR, HB_LLM_ERROR_TIMEOUT, "headers deadline");
}

static void
test_stall_total (void)
{
  g_autoptr(HbFakeOllama) fake = hb_test_fake_new ();
  g_autoptr(HbLlmSettings) s = hb_test_settings (hb_fake_ollama_get_url (fake));

  s->stream = TRUE;
  s->total_timeout_s = 1;
  hb_test_push (fake, HB_FAKE_STALL, 0, "{\"message\":{\"content\":\"{\"},\"done\":false}\n", 0);
  hb_test_expect_error (fake, s, HB_LLM_ERROR, HB_LLM_ERROR_TIMEOUT, "total deadline");
  /* The total deadline covers the whole call: no retry after it. */
  g_assert_cmpuint (hb_fake_ollama_get_requests (fake), ==, 1);
}

static void
test_reset (void)
{
  g_autoptr(HbFakeOllama) fake = hb_test_fake_new ();
  g_autoptr(HbLlmSettings) s = hb_test_settings (hb_fake_ollama_get_url (fake));

  s->retries = 0;
  hb_test_push (fake, HB_FAKE_RESET, 0, NULL, 0);
  hb_test_expect_error (fake, s, HB_LLM_ERROR, HB_LLM_ERROR_UNREACHABLE, NULL);
  g_assert_cmpuint (hb_fake_ollama_get_requests (fake), ==, 1);
}

static void
test_reset_then_ok (void)
{
  g_autoptr(HbFakeOllama) fake = hb_test_fake_new ();
  g_autoptr(HbLlmSettings) s = hb_test_settings (hb_fake_ollama_get_url (fake));
  g_autoptr(GError) error = NULL;
  g_autoptr(HbLlmResponse) r = NULL;

  hb_test_push (fake, HB_FAKE_RESET, 0, NULL, 50);
  hb_fake_ollama_push_content (fake, HB_TEST_DECISION);
  r = hb_test_chat (fake, s, HB_TEST_MODEL, &error);
  g_assert_no_error (error);
  g_assert_cmpstr (r->content, ==, HB_TEST_DECISION);
  g_assert_cmpuint (r->attempts, ==, 2);
}

static void
test_refused (void)
{
  g_autofree char *url = hb_test_closed_port_url ();
  g_autoptr(HbLlmSettings) s = hb_test_settings (url);
  g_autoptr(GError) error = NULL;
  g_autoptr(HbLlmResponse) r = hb_test_chat (NULL, s, HB_TEST_MODEL, &error);

  g_assert_null (r);
  g_assert_error (error, HB_LLM_ERROR, HB_LLM_ERROR_UNREACHABLE);
  g_assert_nonnull (strstr (error->message, "After 3 attempts"));
}

static void
test_bad_host (void)
{
  g_autoptr(HbLlmSettings) s = hb_test_settings ("http://nonexistent.invalid:11434");
  g_autoptr(GError) error = NULL;
  g_autoptr(HbLlmResponse) r = NULL;

  s->retries = 0;
  r = hb_test_chat (NULL, s, HB_TEST_MODEL, &error);
  g_assert_error (error, HB_LLM_ERROR, HB_LLM_ERROR_UNREACHABLE);
}

static void
test_no_model (void)
{
  g_autoptr(HbLlmSettings) s = hb_test_settings ("http://127.0.0.1:9");
  g_autoptr(GError) error = NULL;
  g_autoptr(HbLlmResponse) r = hb_test_chat (NULL, s, "", &error);

  g_assert_error (error, HB_LLM_ERROR, HB_LLM_ERROR_BAD_REQUEST);
}

static gboolean
fake_has_in_flight (gpointer data)
{
  return hb_fake_ollama_get_in_flight (data) > 0;
}

static gboolean
fake_idle (gpointer data)
{
  return hb_fake_ollama_get_in_flight (data) == 0;
}

static gboolean
fake_has_request (gpointer data)
{
  return hb_fake_ollama_get_requests (data) > 0;
}

static void
test_cancel (void)
{
  g_autoptr(HbFakeOllama) fake = hb_test_fake_new ();
  g_autoptr(HbLlmSettings) s = hb_test_settings (hb_fake_ollama_get_url (fake));
  g_autoptr(HbLlmClient) client = NULL;
  g_autoptr(HbLlmRequest) req = hb_test_request (HB_TEST_MODEL);
  g_autoptr(GCancellable) cancel = g_cancellable_new ();
  g_autoptr(GError) error = NULL;
  HbTestWait w = { 0 };

  s->headers_timeout_s = 60;
  s->total_timeout_s = 60;
  client = hb_llm_client_new (s);
  hb_test_push (fake, HB_FAKE_NO_HEADERS, 0, NULL, 0);
  hb_llm_client_chat_async (client, req, cancel, hb_test_wait_done, &w);
  hb_test_run_until (fake_has_in_flight, fake, 10);
  g_cancellable_cancel (cancel);
  /* Far sooner than any deadline. */
  hb_test_run_until (hb_test_wait_has_result, &w, 5);
  g_assert_null (hb_llm_client_chat_finish (client, w.result, &error));
  g_assert_error (error, G_IO_ERROR, G_IO_ERROR_CANCELLED);
  g_clear_object (&w.result);
  /* The connection was dropped, so the server stops working on it. */
  hb_test_run_until (fake_idle, fake, 5);
  g_assert_cmpuint (hb_fake_ollama_get_requests (fake), ==, 1);
}

static void
test_cancel_during_backoff (void)
{
  g_autoptr(HbFakeOllama) fake = hb_test_fake_new ();
  g_autoptr(HbLlmSettings) s = hb_test_settings (hb_fake_ollama_get_url (fake));
  g_autoptr(HbLlmClient) client = NULL;
  g_autoptr(HbLlmRequest) req = hb_test_request (HB_TEST_MODEL);
  g_autoptr(GCancellable) cancel = g_cancellable_new ();
  g_autoptr(GError) error = NULL;
  HbTestWait w = { 0 };

  s->retry_base_ms = 60000;
  client = hb_llm_client_new (s);
  hb_fake_ollama_push_status (fake, 503, "{\"error\":\"server busy\"}");
  hb_llm_client_chat_async (client, req, cancel, hb_test_wait_done, &w);
  hb_test_run_until (fake_has_request, fake, 10);
  hb_test_run_until (fake_idle, fake, 10);
  g_cancellable_cancel (cancel);
  hb_test_run_until (hb_test_wait_has_result, &w, 5);
  g_assert_null (hb_llm_client_chat_finish (client, w.result, &error));
  g_assert_error (error, G_IO_ERROR, G_IO_ERROR_CANCELLED);
  g_clear_object (&w.result);
  g_assert_cmpuint (hb_fake_ollama_get_requests (fake), ==, 1);
}

static void
test_cancelled_before (void)
{
  g_autoptr(HbFakeOllama) fake = hb_test_fake_new ();
  g_autoptr(HbLlmSettings) s = hb_test_settings (hb_fake_ollama_get_url (fake));
  g_autoptr(HbLlmClient) client = hb_llm_client_new (s);
  g_autoptr(HbLlmRequest) req = hb_test_request (HB_TEST_MODEL);
  g_autoptr(GCancellable) cancel = g_cancellable_new ();
  g_autoptr(GError) error = NULL;
  g_autoptr(HbLlmResponse) r = NULL;

  g_cancellable_cancel (cancel);
  r = hb_test_chat_full (client, req, cancel, &error);
  g_assert_error (error, G_IO_ERROR, G_IO_ERROR_CANCELLED);
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);

  g_test_add_func ("/llm/chat/ok", test_chat_ok);
  g_test_add_func ("/llm/chat/request-body", test_request_body);
  g_test_add_func ("/llm/chat/keep-alive-seconds", test_keep_alive_seconds);
  g_test_add_func ("/llm/chat/stream", test_chat_stream);
  g_test_add_func ("/llm/chat/connection-reused", test_connection_reused);
  g_test_add_func ("/llm/chat/passthrough", test_passthrough);
  for (guint i = 0; i < G_N_ELEMENTS (status_cases); i++)
    {
      g_autofree char *path = g_strdup_printf ("/llm/status/%s", status_cases[i].name);

      g_test_add_data_func (path, &status_cases[i], test_status);
    }
  g_test_add_func ("/llm/status/model-missing", test_model_missing);
  g_test_add_func ("/llm/retry/busy-then-ok", test_busy_then_ok);
  g_test_add_func ("/llm/retry/none", test_no_retries);
  for (guint i = 0; i < G_N_ELEMENTS (body_cases); i++)
    {
      g_autofree char *path = g_strdup_printf ("/llm/body/%s", body_cases[i].name);

      g_test_add_data_func (path, &body_cases[i], test_body);
    }
  g_test_add_func ("/llm/body/stream-split-mid-line", test_stream_split_mid_line);
  g_test_add_func ("/llm/body/too-large", test_too_large);
  g_test_add_func ("/llm/body/huge-under-cap", test_huge_under_cap);
  g_test_add_func ("/llm/deadline/headers", test_headers_deadline);
  g_test_add_func ("/llm/deadline/headers-within", test_headers_within_deadline);
  g_test_add_func ("/llm/deadline/no-headers", test_no_headers);
  g_test_add_func ("/llm/deadline/stall-total", test_stall_total);
  g_test_add_func ("/llm/connection/reset", test_reset);
  g_test_add_func ("/llm/connection/reset-then-ok", test_reset_then_ok);
  g_test_add_func ("/llm/connection/refused", test_refused);
  g_test_add_func ("/llm/connection/bad-host", test_bad_host);
  g_test_add_func ("/llm/chat/no-model", test_no_model);
  g_test_add_func ("/llm/cancel/in-flight", test_cancel);
  g_test_add_func ("/llm/cancel/during-backoff", test_cancel_during_backoff);
  g_test_add_func ("/llm/cancel/before", test_cancelled_before);
  return g_test_run ();
}
