/* hb-fake-ollama-bodies.c: reply bodies as Ollama and OpenAI-compatible servers write them. */
#include "config.h"

#include <string.h>

#include "hb-fake-ollama-private.h"

#define HB_FAKE_CREATED_AT "2024-06-01T12:00:00.000000Z"
#define HB_FAKE_HUGE_CHUNK 65536

void
hb_fake_chunks_add (GPtrArray *chunks, const char *data, gsize len)
{
  if (len > 0)
    g_ptr_array_add (chunks, g_bytes_new (data, len));
}

/* Ollama bodies */

static void
hb_fake_add_stats (JsonObject *obj, const char *done_reason)
{
  json_object_set_boolean_member (obj, "done", TRUE);
  json_object_set_string_member (obj, "done_reason", done_reason);
  json_object_set_int_member (obj, "total_duration", 1234567890);
  json_object_set_int_member (obj, "load_duration", 12345678);
  json_object_set_int_member (obj, "prompt_eval_count", 26);
  json_object_set_int_member (obj, "prompt_eval_duration", 130000000);
  json_object_set_int_member (obj, "eval_count", 12);
  json_object_set_int_member (obj, "eval_duration", 980000000);
}

char *
hb_fake_ollama_line (const char *model, const char *content, const char *done_reason)
{
  g_autoptr(JsonObject) obj = json_object_new ();
  g_autoptr(JsonObject) message = json_object_new ();
  g_autoptr(JsonNode) node = json_node_new (JSON_NODE_OBJECT);

  json_object_set_string_member (obj, "model", model);
  json_object_set_string_member (obj, "created_at", HB_FAKE_CREATED_AT);
  json_object_set_string_member (message, "role", "assistant");
  json_object_set_string_member (message, "content", content);
  json_object_set_object_member (obj, "message", g_steal_pointer (&message));
  if (done_reason != NULL)
    hb_fake_add_stats (obj, done_reason);
  else
    json_object_set_boolean_member (obj, "done", FALSE);
  json_node_set_object (node, obj);
  return json_to_string (node, FALSE);
}

/* Content in four fragments, the lines cut in their middle into HTTP chunks, so that no chunk
 * boundary falls on a line boundary. */
GPtrArray *
hb_fake_content_stream (const char *model, const char *text, const char *done_reason)
{
  GPtrArray *chunks = g_ptr_array_new_with_free_func ((GDestroyNotify) g_bytes_unref);
  g_autoptr(GString) all = g_string_new (NULL);
  g_autoptr(GArray) cuts = g_array_new (FALSE, FALSE, sizeof (gsize));
  glong n = g_utf8_strlen (text, -1);
  gsize from = 0;
  g_autofree char *last = NULL;

  for (glong i = 0; i < 4; i++)
    {
      const char *a = g_utf8_offset_to_pointer (text, i * n / 4);
      const char *b = g_utf8_offset_to_pointer (text, (i + 1) * n / 4);
      g_autofree char *fragment = g_strndup (a, b - a);
      g_autofree char *line = NULL;
      gsize mid;

      if (b == a && i < 3)
        continue;
      line = hb_fake_ollama_line (model, fragment, NULL);
      mid = all->len + strlen (line) / 2;
      g_array_append_val (cuts, mid);
      g_string_append (all, line);
      g_string_append_c (all, '\n');
    }
  last = hb_fake_ollama_line (model, "", done_reason);
  {
    gsize mid = all->len + strlen (last) / 2;

    g_array_append_val (cuts, mid);
  }
  g_string_append (all, last);
  g_string_append_c (all, '\n');

  for (guint i = 0; i < cuts->len; i++)
    {
      gsize cut = g_array_index (cuts, gsize, i);

      hb_fake_chunks_add (chunks, all->str + from, cut - from);
      from = cut;
    }
  hb_fake_chunks_add (chunks, all->str + from, all->len - from);
  return chunks;
}

static GPtrArray *
hb_fake_split (const char *data, gsize len, gsize chunk)
{
  GPtrArray *chunks = g_ptr_array_new_with_free_func ((GDestroyNotify) g_bytes_unref);

  for (gsize off = 0; off < len; off += chunk)
    hb_fake_chunks_add (chunks, data + off, MIN (chunk, len - off));
  return chunks;
}

/* A body of about @size bytes that looks like a real reply, streamed or not. */
GPtrArray *
hb_fake_huge (const char *model, gsize size, gboolean stream)
{
  g_autoptr(GString) all = g_string_sized_new (size + 1024);

  if (stream)
    {
      g_autofree char *filler = g_strnfill (1000, 'x');
      g_autofree char *line = hb_fake_ollama_line (model, filler, NULL);
      g_autofree char *last = hb_fake_ollama_line (model, "", "stop");

      while (all->len < size)
        {
          g_string_append (all, line);
          g_string_append_c (all, '\n');
        }
      g_string_append (all, last);
      g_string_append_c (all, '\n');
    }
  else
    {
      g_string_append_printf (all, "{\"model\":\"%s\",\"created_at\":\"%s\",\"message\":"
                              "{\"role\":\"assistant\",\"content\":\"", model, HB_FAKE_CREATED_AT);
      while (all->len < size)
        g_string_append_c (all, 'x');
      g_string_append (all, "\"},\"done\":true,\"done_reason\":\"stop\"}");
    }
  return hb_fake_split (all->str, all->len, HB_FAKE_HUGE_CHUNK);
}

char *
hb_fake_openai_body (const char *model, const char *text, const char *done_reason)
{
  g_autoptr(JsonBuilder) b = json_builder_new ();
  g_autoptr(JsonNode) root = NULL;

  json_builder_begin_object (b);
  json_builder_set_member_name (b, "id");
  json_builder_add_string_value (b, "chatcmpl-123");
  json_builder_set_member_name (b, "object");
  json_builder_add_string_value (b, "chat.completion");
  json_builder_set_member_name (b, "created");
  json_builder_add_int_value (b, 1717243200);
  json_builder_set_member_name (b, "model");
  json_builder_add_string_value (b, model);
  json_builder_set_member_name (b, "choices");
  json_builder_begin_array (b);
  json_builder_begin_object (b);
  json_builder_set_member_name (b, "index");
  json_builder_add_int_value (b, 0);
  json_builder_set_member_name (b, "message");
  json_builder_begin_object (b);
  json_builder_set_member_name (b, "role");
  json_builder_add_string_value (b, "assistant");
  json_builder_set_member_name (b, "content");
  json_builder_add_string_value (b, text);
  json_builder_end_object (b);
  json_builder_set_member_name (b, "finish_reason");
  json_builder_add_string_value (b, g_strcmp0 (done_reason, "length") == 0 ? "length" : "stop");
  json_builder_end_object (b);
  json_builder_end_array (b);
  json_builder_set_member_name (b, "usage");
  json_builder_begin_object (b);
  json_builder_set_member_name (b, "prompt_tokens");
  json_builder_add_int_value (b, 26);
  json_builder_set_member_name (b, "completion_tokens");
  json_builder_add_int_value (b, 12);
  json_builder_set_member_name (b, "total_tokens");
  json_builder_add_int_value (b, 38);
  json_builder_end_object (b);
  json_builder_end_object (b);
  root = json_builder_get_root (b);
  return json_to_string (root, FALSE);
}

JsonNode *
hb_fake_models_json (HbFakeOllama *f, gboolean openai)
{
  g_autoptr(JsonBuilder) b = json_builder_new ();

  json_builder_begin_object (b);
  if (openai)
    {
      json_builder_set_member_name (b, "object");
      json_builder_add_string_value (b, "list");
    }
  json_builder_set_member_name (b, openai ? "data" : "models");
  json_builder_begin_array (b);
  for (guint i = 0; i < f->models->len; i++)
    {
      const char *name = g_ptr_array_index (f->models, i);

      json_builder_begin_object (b);
      if (openai)
        {
          json_builder_set_member_name (b, "id");
          json_builder_add_string_value (b, name);
          json_builder_set_member_name (b, "object");
          json_builder_add_string_value (b, "model");
          json_builder_set_member_name (b, "owned_by");
          json_builder_add_string_value (b, "library");
        }
      else
        {
          json_builder_set_member_name (b, "name");
          json_builder_add_string_value (b, name);
          json_builder_set_member_name (b, "model");
          json_builder_add_string_value (b, name);
          json_builder_set_member_name (b, "modified_at");
          json_builder_add_string_value (b, HB_FAKE_CREATED_AT);
          json_builder_set_member_name (b, "size");
          json_builder_add_int_value (b, 2019393189);
          json_builder_set_member_name (b, "digest");
          json_builder_add_string_value (b, "a80c4f17acd55265feec403c7aef86be0c25983ab279d83f3bcd3abbcb5b8b72");
          json_builder_set_member_name (b, "details");
          json_builder_begin_object (b);
          json_builder_set_member_name (b, "format");
          json_builder_add_string_value (b, "gguf");
          json_builder_set_member_name (b, "family");
          json_builder_add_string_value (b, "llama");
          json_builder_end_object (b);
        }
      json_builder_end_object (b);
    }
  json_builder_end_array (b);
  json_builder_end_object (b);
  return json_builder_get_root (b);
}
