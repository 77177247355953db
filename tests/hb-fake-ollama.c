/* hb-fake-ollama.c: a scripted fake Ollama (and OpenAI-compatible) server for tests.
 *
 * Everything runs in the thread-default main context: delays are timers on paused messages,
 * never sleeps, so a client in the same context keeps working while the fake "thinks". */
#include "config.h"

#include <string.h>
#include <sys/socket.h>

#include <libsoup/soup.h>

#include "hb-fake-ollama.h"
#include "hb-fake-ollama-private.h"

/* Steps */

static const char *const hb_fake_kind_names[] = {
  "content", "status", "raw", "stream-raw", "stall", "no-headers", "reset", "huge",
};

const char *
hb_fake_kind_to_string (HbFakeKind kind)
{
  return (guint) kind < G_N_ELEMENTS (hb_fake_kind_names) ? hb_fake_kind_names[kind] : "content";
}

gboolean
hb_fake_kind_from_string (const char *str, HbFakeKind *out)
{
  for (guint i = 0; str != NULL && i < G_N_ELEMENTS (hb_fake_kind_names); i++)
    if (g_str_equal (str, hb_fake_kind_names[i]))
      {
        *out = (HbFakeKind) i;
        return TRUE;
      }
  return FALSE;
}

/* Bytes of a NUL-separated chunk list, its terminating empty chunk included. */
static gsize
hb_fake_chunks_len (const char *text)
{
  const char *p = text;

  while (*p != '\0')
    p += strlen (p) + 1;
  return (gsize) (p - text) + 1;
}

void
hb_fake_step_copy (const HbFakeStep *src, HbFakeStep *dest)
{
  *dest = *src;
  if (src->text != NULL && src->kind == HB_FAKE_STREAM_RAW)
    dest->text = g_memdup2 (src->text, hb_fake_chunks_len (src->text));
  else
    dest->text = g_strdup (src->text);
  dest->done_reason = g_strdup (src->done_reason);
}

void
hb_fake_step_clear (HbFakeStep *step)
{
  g_clear_pointer (&step->text, g_free);
  g_clear_pointer (&step->done_reason, g_free);
}

static void
hb_fake_step_free (gpointer data)
{
  hb_fake_step_clear (data);
  g_free (data);
}

static gboolean
hb_fake_json_uint (JsonObject *obj, const char *member, guint64 max, guint64 *out, GError **error)
{
  JsonNode *node = json_object_get_member (obj, member);

  if (node == NULL)
    return TRUE;
  if (!JSON_NODE_HOLDS_VALUE (node) || json_node_get_value_type (node) != G_TYPE_INT64
      || json_node_get_int (node) < 0 || (guint64) json_node_get_int (node) > max)
    {
      g_set_error (error, G_IO_ERROR, G_IO_ERROR_INVALID_DATA,
                   "step member \"%s\" must be an integer from 0 to %" G_GUINT64_FORMAT,
                   member, max);
      return FALSE;
    }
  *out = (guint64) json_node_get_int (node);
  return TRUE;
}

static gboolean
hb_fake_json_string (JsonObject *obj, const char *member, char **out, GError **error)
{
  JsonNode *node = json_object_get_member (obj, member);

  if (node == NULL || JSON_NODE_HOLDS_NULL (node))
    return TRUE;
  if (!JSON_NODE_HOLDS_VALUE (node) || json_node_get_value_type (node) != G_TYPE_STRING)
    {
      g_set_error (error, G_IO_ERROR, G_IO_ERROR_INVALID_DATA,
                   "step member \"%s\" must be a string", member);
      return FALSE;
    }
  g_free (*out);
  *out = g_strdup (json_node_get_string (node));
  return TRUE;
}

/* "chunks": ["a", "b"] into the NUL-separated form. */
static gboolean
hb_fake_json_chunks (JsonObject *obj, char **out, GError **error)
{
  JsonNode *node = json_object_get_member (obj, "chunks");
  g_autoptr(GByteArray) buf = NULL;
  JsonArray *array;

  if (node == NULL)
    return TRUE;
  if (!JSON_NODE_HOLDS_ARRAY (node))
    goto bad;
  array = json_node_get_array (node);
  buf = g_byte_array_new ();
  for (guint i = 0; i < json_array_get_length (array); i++)
    {
      JsonNode *e = json_array_get_element (array, i);
      const char *s;

      if (!JSON_NODE_HOLDS_VALUE (e) || json_node_get_value_type (e) != G_TYPE_STRING)
        goto bad;
      s = json_node_get_string (e);
      if (s[0] == '\0')
        continue; /* an empty chunk would end the list */
      g_byte_array_append (buf, (const guint8 *) s, strlen (s) + 1);
    }
  g_byte_array_append (buf, (const guint8 *) "", 1);
  g_free (*out);
  *out = (char *) g_byte_array_free (g_steal_pointer (&buf), FALSE);
  return TRUE;

bad:
  g_set_error_literal (error, G_IO_ERROR, G_IO_ERROR_INVALID_DATA,
                       "step member \"chunks\" must be an array of strings");
  return FALSE;
}

gboolean
hb_fake_step_from_json (JsonNode *node, HbFakeStep *out, GError **error)
{
  HbFakeStep step = { HB_FAKE_CONTENT, 200, NULL, 0, 0, 0, NULL };
  JsonObject *obj;
  const char *kind;
  guint64 status = 200, delay = 0, chunk_delay = 0, size = 0;

  if (node == NULL || !JSON_NODE_HOLDS_OBJECT (node))
    {
      g_set_error_literal (error, G_IO_ERROR, G_IO_ERROR_INVALID_DATA, "a step must be an object");
      return FALSE;
    }
  obj = json_node_get_object (node);
  kind = json_object_has_member (obj, "kind")
    && JSON_NODE_HOLDS_VALUE (json_object_get_member (obj, "kind"))
    && json_node_get_value_type (json_object_get_member (obj, "kind")) == G_TYPE_STRING
    ? json_object_get_string_member (obj, "kind") : NULL;
  if (!hb_fake_kind_from_string (kind, &step.kind))
    {
      g_set_error (error, G_IO_ERROR, G_IO_ERROR_INVALID_DATA, "unknown step kind \"%s\"",
                   kind != NULL ? kind : "(none)");
      return FALSE;
    }
  if (!hb_fake_json_uint (obj, "status", 599, &status, error)
      || !hb_fake_json_uint (obj, "delay_ms", G_MAXUINT, &delay, error)
      || !hb_fake_json_uint (obj, "chunk_delay_ms", G_MAXUINT, &chunk_delay, error)
      || !hb_fake_json_uint (obj, "size", G_MAXSIZE, &size, error)
      || !hb_fake_json_string (obj, "done_reason", &step.done_reason, error)
      || (step.kind == HB_FAKE_STREAM_RAW ? !hb_fake_json_chunks (obj, &step.text, error)
                                          : !hb_fake_json_string (obj, "text", &step.text, error)))
    {
      hb_fake_step_clear (&step);
      return FALSE;
    }
  step.status = (guint) status;
  step.delay_ms = (guint) delay;
  step.chunk_delay_ms = (guint) chunk_delay;
  step.size = (gsize) size;
  *out = step;
  return TRUE;
}

JsonNode *
hb_fake_step_to_json (const HbFakeStep *step)
{
  g_autoptr(JsonBuilder) b = json_builder_new ();

  json_builder_begin_object (b);
  json_builder_set_member_name (b, "kind");
  json_builder_add_string_value (b, hb_fake_kind_to_string (step->kind));
  json_builder_set_member_name (b, "status");
  json_builder_add_int_value (b, step->status);
  if (step->text != NULL && step->kind == HB_FAKE_STREAM_RAW)
    {
      json_builder_set_member_name (b, "chunks");
      json_builder_begin_array (b);
      for (const char *p = step->text; *p != '\0'; p += strlen (p) + 1)
        json_builder_add_string_value (b, p);
      json_builder_end_array (b);
    }
  else if (step->text != NULL)
    {
      json_builder_set_member_name (b, "text");
      json_builder_add_string_value (b, step->text);
    }
  json_builder_set_member_name (b, "delay_ms");
  json_builder_add_int_value (b, step->delay_ms);
  json_builder_set_member_name (b, "chunk_delay_ms");
  json_builder_add_int_value (b, step->chunk_delay_ms);
  json_builder_set_member_name (b, "size");
  json_builder_add_int_value (b, (gint64) step->size);
  if (step->done_reason != NULL)
    {
      json_builder_set_member_name (b, "done_reason");
      json_builder_add_string_value (b, step->done_reason);
    }
  json_builder_end_object (b);
  return json_builder_get_root (b);
}

/* Queue and counters */

void
hb_fake_ollama_push (HbFakeOllama *f, const HbFakeStep *step)
{
  HbFakeStep *copy = g_new0 (HbFakeStep, 1);

  hb_fake_step_copy (step, copy);
  g_queue_push_tail (&f->steps, copy);
}

void
hb_fake_ollama_push_content (HbFakeOllama *f, const char *content)
{
  HbFakeStep step = { .kind = HB_FAKE_CONTENT, .status = 200, .text = (char *) content };

  hb_fake_ollama_push (f, &step);
}

void
hb_fake_ollama_push_status (HbFakeOllama *f, guint status, const char *body)
{
  HbFakeStep step = { .kind = HB_FAKE_STATUS, .status = status, .text = (char *) body };

  hb_fake_ollama_push (f, &step);
}

void
hb_fake_ollama_push_chunks (HbFakeOllama *f, const char *const *chunks, guint chunk_delay_ms)
{
  g_autoptr(GByteArray) buf = g_byte_array_new ();
  g_autofree char *text = NULL;
  HbFakeStep step = { .kind = HB_FAKE_STREAM_RAW, .status = 200, .chunk_delay_ms = chunk_delay_ms };

  for (guint i = 0; chunks[i] != NULL; i++)
    if (chunks[i][0] != '\0')
      g_byte_array_append (buf, (const guint8 *) chunks[i], strlen (chunks[i]) + 1);
  g_byte_array_append (buf, (const guint8 *) "", 1);
  text = (char *) g_byte_array_free (g_steal_pointer (&buf), FALSE);
  step.text = text;
  hb_fake_ollama_push (f, &step);
}

static void
hb_fake_default_step (HbFakeStep *step)
{
  hb_fake_step_clear (step);
  *step = (HbFakeStep) { .kind = HB_FAKE_CONTENT, .status = 200 };
  step->text = g_strdup ("{\"action\":\"none\",\"reasoning\":\"Nothing needs doing.\"}");
}

void
hb_fake_ollama_set_default (HbFakeOllama *f, const HbFakeStep *step)
{
  hb_fake_step_clear (&f->default_step);
  hb_fake_step_copy (step, &f->default_step);
}

void
hb_fake_ollama_set_models (HbFakeOllama *f, const char *const *models)
{
  g_ptr_array_set_size (f->models, 0);
  for (guint i = 0; models != NULL && models[i] != NULL; i++)
    g_ptr_array_add (f->models, g_strdup (models[i]));
}

guint
hb_fake_ollama_get_requests (HbFakeOllama *f)
{
  return f->requests;
}

guint
hb_fake_ollama_get_connections (HbFakeOllama *f)
{
  return g_hash_table_size (f->peers);
}

guint
hb_fake_ollama_get_in_flight (HbFakeOllama *f)
{
  return f->in_flight;
}

guint
hb_fake_ollama_get_max_in_flight (HbFakeOllama *f)
{
  return f->max_in_flight;
}

JsonObject *
hb_fake_ollama_get_last_request (HbFakeOllama *f)
{
  /* Read into a tree only when asked for: building one for every request was most of the
   * fake's work in the benchmarks. */
  if (f->last_request == NULL && f->last_request_text != NULL)
    {
      g_autoptr(JsonNode) root = json_from_string (f->last_request_text, NULL);

      if (root != NULL && JSON_NODE_HOLDS_OBJECT (root))
        f->last_request = json_object_ref (json_node_get_object (root));
    }
  return f->last_request;
}

const char *
hb_fake_ollama_get_last_authorization (HbFakeOllama *f)
{
  return f->last_authorization;
}

const char *
hb_fake_ollama_get_url (HbFakeOllama *f)
{
  return f->url;
}

void
hb_fake_ollama_reset (HbFakeOllama *f)
{
  static const char *const default_models[] = { "llama3.2:latest", NULL };

  g_queue_clear_full (&f->steps, hb_fake_step_free);
  hb_fake_default_step (&f->default_step);
  hb_fake_ollama_set_models (f, default_models);
  f->requests = 0;
  g_hash_table_remove_all (f->peers);
  f->max_in_flight = f->in_flight;
  g_clear_pointer (&f->last_request, json_object_unref);
  g_clear_pointer (&f->last_request_text, g_free);
  g_clear_pointer (&f->last_authorization, g_free);
}

void
hb_fake_ollama_next_step (HbFakeOllama *f, HbFakeStep *out)
{
  HbFakeStep *head = g_queue_pop_head (&f->steps);

  if (head != NULL)
    {
      *out = *head;
      g_free (head);
    }
  else
    hb_fake_step_copy (&f->default_step, out);
}

/* Life cycle */

HbFakeOllama *
hb_fake_ollama_new_on_port (guint port, GError **error)
{
  g_autoptr(HbFakeOllama) f = g_new0 (HbFakeOllama, 1);
  GSList *uris;

  g_queue_init (&f->steps);
  f->models = g_ptr_array_new_with_free_func (g_free);
  f->peers = g_hash_table_new (NULL, NULL);
  hb_fake_ollama_reset (f);
  f->server = soup_server_new ("server-header", "fake-ollama ", NULL);
  hb_fake_ollama_add_api_handlers (f);
  if (!soup_server_listen_local (f->server, port, SOUP_SERVER_LISTEN_IPV4_ONLY, error))
    return NULL;
  uris = soup_server_get_uris (f->server);
  if (uris == NULL)
    {
      g_set_error_literal (error, G_IO_ERROR, G_IO_ERROR_FAILED, "the server has no address");
      return NULL;
    }
  f->url = g_strdup_printf ("http://127.0.0.1:%d", g_uri_get_port (uris->data));
  g_slist_free_full (uris, (GDestroyNotify) g_uri_unref);
  return g_steal_pointer (&f);
}

HbFakeOllama *
hb_fake_ollama_new (GError **error)
{
  return hb_fake_ollama_new_on_port (0, error);
}

void
hb_fake_ollama_free (HbFakeOllama *f)
{
  if (f == NULL)
    return;
  /* Our timers and signal handlers go first, so that closing the connections below cannot
   * call back into a half-freed fake. */
  hb_fake_ollama_cancel_replies (f);
  if (f->server != NULL)
    {
      soup_server_disconnect (f->server);
      g_object_unref (f->server);
    }
  g_queue_clear_full (&f->steps, hb_fake_step_free);
  hb_fake_step_clear (&f->default_step);
  g_clear_pointer (&f->models, g_ptr_array_unref);
  g_clear_pointer (&f->peers, g_hash_table_unref);
  g_clear_pointer (&f->last_request, json_object_unref);
  g_clear_pointer (&f->last_request_text, g_free);
  g_free (f->last_authorization);
  g_free (f->url);
  g_free (f);
}

/* Control endpoints */

static void
hb_fake_control_reply (SoupServerMessage *msg, guint status, JsonNode *body)
{
  g_autofree char *text = NULL;

  if (body != NULL)
    text = json_to_string (body, FALSE);
  else
    text = g_strdup (status < 300 ? "{\"ok\":true}" : "{\"error\":\"bad control request\"}");
  soup_server_message_set_status (msg, status, NULL);
  soup_server_message_set_response (msg, "application/json", SOUP_MEMORY_COPY, text, strlen (text));
}

static void
hb_fake_control_error (SoupServerMessage *msg, guint status, const char *message)
{
  g_autoptr(JsonNode) node = json_node_new (JSON_NODE_OBJECT);
  g_autoptr(JsonObject) obj = json_object_new ();

  json_object_set_string_member (obj, "error", message);
  json_node_set_object (node, obj);
  hb_fake_control_reply (msg, status, node);
}

static JsonNode *
hb_fake_control_stats (HbFakeOllama *f)
{
  g_autoptr(JsonObject) obj = json_object_new ();
  JsonNode *node = json_node_new (JSON_NODE_OBJECT);

  json_object_set_int_member (obj, "requests", f->requests);
  json_object_set_int_member (obj, "in_flight", f->in_flight);
  json_object_set_int_member (obj, "max_in_flight", f->max_in_flight);
  if (hb_fake_ollama_get_last_request (f) != NULL)
    json_object_set_object_member (obj, "last_request", json_object_ref (f->last_request));
  else
    json_object_set_null_member (obj, "last_request");
  json_node_set_object (node, obj);
  return node;
}

static gboolean
hb_fake_control_models (HbFakeOllama *f, JsonNode *root)
{
  g_autoptr(GPtrArray) names = g_ptr_array_new ();
  JsonArray *array;

  if (root == NULL || !JSON_NODE_HOLDS_ARRAY (root))
    return FALSE;
  array = json_node_get_array (root);
  for (guint i = 0; i < json_array_get_length (array); i++)
    {
      JsonNode *e = json_array_get_element (array, i);

      if (!JSON_NODE_HOLDS_VALUE (e) || json_node_get_value_type (e) != G_TYPE_STRING)
        return FALSE;
      g_ptr_array_add (names, (gpointer) json_node_get_string (e));
    }
  g_ptr_array_add (names, NULL);
  hb_fake_ollama_set_models (f, (const char *const *) names->pdata);
  return TRUE;
}

static void
hb_fake_control_handler (SoupServer *server, SoupServerMessage *msg, const char *path,
                         GHashTable *query, gpointer data)
{
  HbFakeOllama *f = data;
  const char *method = soup_server_message_get_method (msg);
  g_autoptr(GBytes) body = soup_message_body_flatten (soup_server_message_get_request_body (msg));
  g_autoptr(JsonNode) root = NULL;
  g_autoptr(GError) error = NULL;
  g_autofree char *text = NULL;
  HbFakeStep step;

  if (g_str_equal (path, "/_fake/stats") && g_str_equal (method, "GET"))
    {
      g_autoptr(JsonNode) stats = hb_fake_control_stats (f);

      hb_fake_control_reply (msg, 200, stats);
      return;
    }
  if (!g_str_equal (method, "POST"))
    {
      hb_fake_control_error (msg, 405, "control endpoints other than stats take POST");
      return;
    }
  if (g_str_equal (path, "/_fake/reset"))
    {
      hb_fake_ollama_reset (f);
      hb_fake_control_reply (msg, 200, NULL);
      return;
    }

  text = g_strndup (g_bytes_get_data (body, NULL), g_bytes_get_size (body));
  root = json_from_string (text, &error);
  if (g_str_equal (path, "/_fake/models"))
    {
      if (hb_fake_control_models (f, root))
        hb_fake_control_reply (msg, 200, NULL);
      else
        hb_fake_control_error (msg, 400, "models must be a JSON array of strings");
      return;
    }
  if (!g_str_equal (path, "/_fake/push") && !g_str_equal (path, "/_fake/default"))
    {
      hb_fake_control_error (msg, 404, "no such control endpoint");
      return;
    }
  if (root == NULL || !hb_fake_step_from_json (root, &step, error == NULL ? &error : NULL))
    {
      hb_fake_control_error (msg, 400, error != NULL ? error->message : "bad step");
      return;
    }
  if (g_str_equal (path, "/_fake/push"))
    hb_fake_ollama_push (f, &step);
  else
    hb_fake_ollama_set_default (f, &step);
  hb_fake_step_clear (&step);
  hb_fake_control_reply (msg, 200, NULL);
}

void
hb_fake_ollama_enable_control (HbFakeOllama *f)
{
  soup_server_add_handler (f->server, "/_fake", hb_fake_control_handler, f, NULL);
}
