/* hb-run.c: the run result and its two outward forms (a{sv} for the bus, JSON for HTTP/storage) */
#include "config.h"

#include <string.h>

#include "hb-json.h"
#include "hb-run.h"

static const char *const status_names[] = {
  [HB_RUN_STATUS_RUNNING] = "running",
  [HB_RUN_STATUS_ACTED] = "acted",
  [HB_RUN_STATUS_NO_ACTION] = "no-action",
  [HB_RUN_STATUS_DRY_RUN] = "dry-run",
  [HB_RUN_STATUS_SKIPPED] = "skipped",
  [HB_RUN_STATUS_INVALID] = "invalid",
  [HB_RUN_STATUS_FAILED] = "failed",
  [HB_RUN_STATUS_INTERRUPTED] = "interrupted",
};

const char *
hb_run_status_to_string (HbRunStatus status)
{
  if ((guint) status >= G_N_ELEMENTS (status_names))
    return "unknown";
  return status_names[status];
}

gboolean
hb_run_status_from_string (const char *str, HbRunStatus *out)
{
  for (guint i = 0; str != NULL && i < G_N_ELEMENTS (status_names); i++)
    {
      if (g_str_equal (str, status_names[i]))
        {
          *out = (HbRunStatus) i;
          return TRUE;
        }
    }
  return FALSE;
}

gboolean
hb_run_status_is_success (HbRunStatus status)
{
  return status == HB_RUN_STATUS_ACTED || status == HB_RUN_STATUS_NO_ACTION ||
         status == HB_RUN_STATUS_DRY_RUN || status == HB_RUN_STATUS_SKIPPED;
}

void
hb_run_result_set_string (char **field, const char *value)
{
  char *old = *field;

  *field = g_strdup (value != NULL ? value : "");
  g_free (old);
}

HbRunResult *
hb_run_result_new (const char *run_id, const char *thread_id)
{
  HbRunResult *r = g_new0 (HbRunResult, 1);

  r->run_id = g_strdup (run_id != NULL ? run_id : "");
  r->thread_id = g_strdup (thread_id != NULL ? thread_id : "");
  r->status = HB_RUN_STATUS_RUNNING;
  r->reason = g_strdup ("");
  r->action = g_strdup ("");
  r->summary = g_strdup ("");
  r->reasoning = g_strdup ("");
  r->title = g_strdup ("");
  r->content = g_strdup ("");
  r->post_id = -1;
  r->vote_direction = g_strdup ("");
  r->ledger_id = -1;
  r->ledger_table = g_strdup ("");
  r->error = g_strdup ("");
  r->model = g_strdup ("");
  r->options_json = g_strdup ("");
  r->prompt = g_strdup ("");
  r->prompt_sha256 = g_strdup ("");
  r->raw_response = g_strdup ("");
  r->prompt_tokens = -1;
  r->eval_tokens = -1;
  r->total_duration_ns = -1;
  r->load_duration_ns = -1;
  r->eval_duration_ns = -1;
  r->llm_wall_us = -1;
  r->fingerprint = g_strdup ("");
  return r;
}

HbRunResult *
hb_run_result_copy (const HbRunResult *r)
{
  HbRunResult *c = g_memdup2 (r, sizeof *r);

  c->run_id = g_strdup (r->run_id);
  c->thread_id = g_strdup (r->thread_id);
  c->reason = g_strdup (r->reason);
  c->action = g_strdup (r->action);
  c->summary = g_strdup (r->summary);
  c->reasoning = g_strdup (r->reasoning);
  c->title = g_strdup (r->title);
  c->content = g_strdup (r->content);
  c->vote_direction = g_strdup (r->vote_direction);
  c->ledger_table = g_strdup (r->ledger_table);
  c->error = g_strdup (r->error);
  c->model = g_strdup (r->model);
  c->options_json = g_strdup (r->options_json);
  c->prompt = g_strdup (r->prompt);
  c->prompt_sha256 = g_strdup (r->prompt_sha256);
  c->raw_response = g_strdup (r->raw_response);
  c->fingerprint = g_strdup (r->fingerprint);
  return c;
}

void
hb_run_result_free (HbRunResult *r)
{
  if (r == NULL)
    return;
  g_free (r->run_id);
  g_free (r->thread_id);
  g_free (r->reason);
  g_free (r->action);
  g_free (r->summary);
  g_free (r->reasoning);
  g_free (r->title);
  g_free (r->content);
  g_free (r->vote_direction);
  g_free (r->ledger_table);
  g_free (r->error);
  g_free (r->model);
  g_free (r->options_json);
  g_free (r->prompt);
  g_free (r->prompt_sha256);
  g_free (r->raw_response);
  g_free (r->fingerprint);
  g_free (r);
}

/* The decided action as CRT stored it: one object per action. */
/* The members of a run's one action object, in order, told to a sink: the JSON text and the
 * D-Bus variant are built from the same list. */
typedef struct {
  void (*string) (gpointer sink, const char *key, const char *value);
  void (*integer) (gpointer sink, const char *key, gint64 value);
  void (*boolean) (gpointer sink, const char *key, gboolean value);
} ActionSink;

static void
visit_action (const HbRunResult *r, const ActionSink *sink, gpointer data)
{
  sink->string (data, "action", r->action);
  if (r->title[0] != '\0')
    sink->string (data, "title", r->title);
  if (r->content[0] != '\0')
    sink->string (data, "content", r->content);
  if (r->post_id > 0)
    sink->integer (data, "post_id", r->post_id);
  if (r->vote_direction[0] != '\0')
    sink->string (data, "vote_direction", r->vote_direction);
  sink->string (data, "status", hb_run_status_to_string (r->status));
  sink->boolean (data, "dry_run", r->dry_run);
  sink->boolean (data, "success", r->status == HB_RUN_STATUS_ACTED ||
                                    r->status == HB_RUN_STATUS_NO_ACTION ||
                                    r->status == HB_RUN_STATUS_DRY_RUN);
  if (r->ledger_id >= 0)
    sink->integer (data, "ledger_id", r->ledger_id);
}

static void
json_string (gpointer b, const char *key, const char *value)
{
  json_builder_set_member_name (b, key);
  json_builder_add_string_value (b, value);
}

static void
json_integer (gpointer b, const char *key, gint64 value)
{
  json_builder_set_member_name (b, key);
  json_builder_add_int_value (b, value);
}

static void
json_boolean (gpointer b, const char *key, gboolean value)
{
  json_builder_set_member_name (b, key);
  json_builder_add_boolean_value (b, value);
}

static JsonNode *
actions_node (const HbRunResult *r)
{
  static const ActionSink sink = { json_string, json_integer, json_boolean };
  g_autoptr(JsonBuilder) b = json_builder_new ();

  json_builder_begin_array (b);
  if (r->action[0] != '\0')
    {
      json_builder_begin_object (b);
      visit_action (r, &sink, b);
      json_builder_end_object (b);
    }
  json_builder_end_array (b);
  return json_builder_get_root (b);
}

GVariant *
hb_variant_key (GVariant **slot, const char *key)
{
  GVariant *k = g_atomic_pointer_get (slot);

  if (G_UNLIKELY (k == NULL))
    {
      k = g_variant_ref_sink (g_variant_new_string (key));
      if (!g_atomic_pointer_compare_and_exchange (slot, NULL, k))
        {
          g_variant_unref (k);
          k = g_atomic_pointer_get (slot);
        }
    }
  return k;
}

/* One a{sv} entry, built without parsing a format string (this runs for every completed run);
 * @key is floating or from hb_variant_key(): the entry takes a reference of its own. */
static void
add_entry (GVariantBuilder *b, GVariant *key, GVariant *value)
{
  g_variant_builder_add_value (b, g_variant_new_dict_entry (key, g_variant_new_variant (value)));
}

/* The action sinks are called with the few keys of visit_action(). */
static GVariant *
action_key (const char *key)
{
  static GVariant *slots[9];
  static const char *const keys[G_N_ELEMENTS (slots)] = {
    "action", "title", "content", "post_id", "vote_direction", "status", "dry_run", "success",
    "ledger_id",
  };

  for (guint i = 0; i < G_N_ELEMENTS (keys); i++)
    if (strcmp (keys[i], key) == 0)
      return hb_variant_key (&slots[i], key);
  return g_variant_new_string (key);
}

static void
variant_string (gpointer b, const char *key, const char *value)
{
  add_entry (b, action_key (key), g_variant_new_string (value));
}

static void
variant_integer (gpointer b, const char *key, gint64 value)
{
  add_entry (b, action_key (key), g_variant_new_int64 (value));
}

static void
variant_boolean (gpointer b, const char *key, gboolean value)
{
  add_entry (b, action_key (key), g_variant_new_boolean (value));
}

GVariant *
hb_run_result_actions_variant (const HbRunResult *r)
{
  static const ActionSink sink = { variant_string, variant_integer, variant_boolean };
  GVariantBuilder b;

  g_variant_builder_init (&b, G_VARIANT_TYPE ("aa{sv}"));
  if (r->action[0] != '\0')
    {
      g_variant_builder_open (&b, G_VARIANT_TYPE_VARDICT);
      visit_action (r, &sink, &b);
      g_variant_builder_close (&b);
    }
  return g_variant_builder_end (&b);
}

/* The text sink writes what json_to_string (actions_node (r), FALSE) would, without a tree:
 * the store writes it several times per run. */
static void
text_key (GString *out, const char *key)
{
  if (out->str[out->len - 1] != '{')
    g_string_append_c (out, ',');
  hb_json_append_string (out, key);
  g_string_append_c (out, ':');
}

static void
text_string (gpointer out, const char *key, const char *value)
{
  text_key (out, key);
  hb_json_append_string (out, value);
}

static void
text_integer (gpointer out, const char *key, gint64 value)
{
  text_key (out, key);
  hb_json_append_int64 (out, value);
}

static void
text_boolean (gpointer out, const char *key, gboolean value)
{
  text_key (out, key);
  g_string_append (out, value ? "true" : "false");
}

char *
hb_run_result_actions_json (const HbRunResult *r)
{
  static const ActionSink sink = { text_string, text_integer, text_boolean };
  GString *out = g_string_sized_new (128);

  g_string_append_c (out, '[');
  if (r->action[0] != '\0')
    {
      g_string_append_c (out, '{');
      visit_action (r, &sink, out);
      g_string_append_c (out, '}');
    }
  g_string_append_c (out, ']');
  return g_string_free (out, FALSE);
}

#define ADD_S(key, val) add_entry (&b, HB_VARIANT_KEY (key), g_variant_new_string (val))
#define ADD_X(key, val) add_entry (&b, HB_VARIANT_KEY (key), g_variant_new_int64 (val))
#define ADD_T(key, val) add_entry (&b, HB_VARIANT_KEY (key), g_variant_new_uint64 ((guint64) MAX ((val), 0)))
#define ADD_B(key, val) add_entry (&b, HB_VARIANT_KEY (key), g_variant_new_boolean (val))

GVariant *
hb_run_result_to_variant (const HbRunResult *r)
{
  GVariantBuilder b;

  g_variant_builder_init (&b, G_VARIANT_TYPE_VARDICT);
  ADD_S ("run_id", r->run_id);
  ADD_S ("thread_id", r->thread_id);
  ADD_S ("status", hb_run_status_to_string (r->status));
  ADD_S ("reason", r->reason);
  ADD_S ("action", r->action);
  ADD_S ("summary", r->summary);
  ADD_S ("reasoning", r->reasoning);
  ADD_S ("title", r->title);
  ADD_S ("content", r->content);
  ADD_X ("post_id", r->post_id);
  ADD_S ("vote_direction", r->vote_direction);
  ADD_X ("ledger_id", r->ledger_id);
  ADD_S ("ledger_table", r->ledger_table);
  ADD_B ("dry_run", r->dry_run);
  ADD_S ("error", r->error);
  ADD_T ("scheduled_for", r->scheduled_for);
  ADD_T ("started_at", r->started_at);
  ADD_T ("finished_at", r->finished_at);
  ADD_S ("model", r->model);
  ADD_B ("notify", r->notify);
  ADD_X ("prompt_tokens", r->prompt_tokens);
  ADD_X ("eval_tokens", r->eval_tokens);
  return g_variant_builder_end (&b);
}

#undef ADD_S
#undef ADD_X
#undef ADD_T
#undef ADD_B

JsonNode *
hb_run_result_to_json (const HbRunResult *r)
{
  g_autoptr(JsonBuilder) b = json_builder_new ();

#define J_S(key, val) G_STMT_START { json_builder_set_member_name (b, key); json_builder_add_string_value (b, val); } G_STMT_END
#define J_I(key, val) G_STMT_START { json_builder_set_member_name (b, key); json_builder_add_int_value (b, val); } G_STMT_END
#define J_B(key, val) G_STMT_START { json_builder_set_member_name (b, key); json_builder_add_boolean_value (b, val); } G_STMT_END
  json_builder_begin_object (b);
  J_S ("run_id", r->run_id);
  J_S ("thread_id", r->thread_id);
  J_S ("status", hb_run_status_to_string (r->status));
  J_S ("reason", r->reason);
  J_S ("action", r->action);
  J_S ("summary", r->summary);
  J_S ("reasoning", r->reasoning);
  J_S ("title", r->title);
  J_S ("content", r->content);
  J_I ("post_id", r->post_id);
  J_S ("vote_direction", r->vote_direction);
  J_I ("ledger_id", r->ledger_id);
  J_S ("ledger_table", r->ledger_table);
  J_B ("dry_run", r->dry_run);
  J_S ("error", r->error);
  J_I ("scheduled_for", r->scheduled_for);
  J_I ("started_at", r->started_at);
  J_I ("finished_at", r->finished_at);
  J_S ("model", r->model);
  J_B ("notify", r->notify);
  J_I ("prompt_tokens", r->prompt_tokens);
  J_I ("eval_tokens", r->eval_tokens);
  J_I ("llm_wall_us", r->llm_wall_us);
  json_builder_set_member_name (b, "actions");
  json_builder_add_value (b, actions_node (r));
  json_builder_end_object (b);
#undef J_S
#undef J_I
#undef J_B
  return json_builder_get_root (b);
}
