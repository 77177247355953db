/* hb-http-api.c: the REST endpoints, in CRT's JSON shapes, on top of HbService */
#include "config.h"

#include "hb-error.h"
#include "hb-http-private.h"

/* History pages: CRT's default, and a bound so one request cannot ask for everything. */
#define HISTORY_DEFAULT 20
#define HISTORY_MAX 500

/* ---- asynchronous requests: the message is paused until the core answers ----------------------- */

typedef struct
{
  HbHttp *self;
  SoupServerMessage *msg;
  HbThread *thread;        /* may be NULL */
  gulong finished_id;
  gboolean gone;           /* the exchange ended (client went away): nothing to answer */
  gboolean waiter;         /* counted in self->waiters */
} Op;

static void
on_op_finished (SoupServerMessage *msg, gpointer user_data)
{
  Op *op = user_data;

  op->gone = TRUE;
}

static Op *
op_new (HbHttp *self, SoupServerMessage *msg, HbThread *thread)
{
  Op *op = g_new0 (Op, 1);

  op->self = g_object_ref (self);
  op->msg = g_object_ref (msg);
  op->thread = thread != NULL ? hb_thread_ref (thread) : NULL;
  op->finished_id = g_signal_connect (msg, "finished", G_CALLBACK (on_op_finished), op);
  soup_server_message_pause (msg);
  return op;
}

/* The reply has been set (unless the client is gone): send it and forget the request. */
static void
op_done (Op *op)
{
  g_signal_handler_disconnect (op->msg, op->finished_id);
  if (!op->gone)
    soup_server_message_unpause (op->msg);
  if (op->waiter)
    op->self->waiters--;
  g_clear_pointer (&op->thread, hb_thread_unref);
  g_object_unref (op->msg);
  g_object_unref (op->self);
  g_free (op);
}

/* ---- JSON shapes ------------------------------------------------------------------------------ */

static void
add_string_or_null (JsonBuilder *b, const char *member, const char *value)
{
  json_builder_set_member_name (b, member);
  if (value != NULL && value[0] != '\0')
    json_builder_add_string_value (b, value);
  else
    json_builder_add_null_value (b);
}

static void
add_uint (JsonBuilder *b, const char *member, guint64 value)
{
  json_builder_set_member_name (b, member);
  json_builder_add_int_value (b, (gint64) value);
}

static void
add_bool (JsonBuilder *b, const char *member, gboolean value)
{
  json_builder_set_member_name (b, member);
  json_builder_add_boolean_value (b, value);
}

JsonNode *
hb_http_status_json (HbHttp *self)
{
  HbScheduler *s = hb_service_get_scheduler (self->service);
  const HbDaemonConfig *cfg = hb_service_get_config (self->service);
  HbLlmClient *llm = hb_pipeline_get_llm (hb_service_get_pipeline (self->service));
  g_autoptr(JsonBuilder) b = json_builder_new ();
  gboolean enabled = hb_scheduler_get_enabled (s);

  json_builder_begin_object (b);
  add_bool (b, "enabled", enabled);
  /* CRT's "running" is the scheduler loop being alive, which Start/Stop control: here, enabled.
   * Runs in flight are in active_runs (and "busy"). */
  add_bool (b, "running", enabled);
  /* CRT polled every check_interval_seconds; we wake exactly when a thread is due, so the closest
   * truthful number is the default interval between a thread's heartbeats. */
  add_uint (b, "check_interval_seconds", cfg->defaults->every);
  add_bool (b, "busy", hb_scheduler_get_active_runs (s) > 0);
  add_uint (b, "active_runs", hb_scheduler_get_active_runs (s));
  add_uint (b, "queued_runs", hb_scheduler_get_queued_runs (s));
  add_uint (b, "max_concurrent", hb_scheduler_get_max_concurrent (s));
  hb_http_add_time (b, "next_wakeup", hb_scheduler_get_next_wakeup (s));
  json_builder_set_member_name (b, "backend_state");
  json_builder_add_string_value (b, hb_backend_state_to_string (hb_scheduler_get_backend_state (s)));
  add_string_or_null (b, "backend_url", hb_llm_client_get_settings (llm)->base_url);
  add_bool (b, "breaker_open", hb_scheduler_get_breaker_open (s));
  add_uint (b, "threads", hb_service_count (self->service));
  add_uint (b, "event_clients", hb_http_get_event_clients (self));
  json_builder_set_member_name (b, "version");
  json_builder_add_string_value (b, PACKAGE_VERSION);
  json_builder_end_object (b);
  return json_builder_get_root (b);
}

JsonNode *
hb_http_config_json (HbThread *t)
{
  g_autoptr(JsonBuilder) b = json_builder_new ();
  g_autoptr(JsonObject) config = hb_thread_config_to_json (t->config);
  g_autoptr(JsonObject) overrides = t->overrides != NULL ? json_object_ref (t->overrides)
                                                         : json_object_new ();

  json_builder_begin_object (b);
  json_builder_set_member_name (b, "thread_id");
  json_builder_add_string_value (b, t->id);
  json_builder_set_member_name (b, "config");
  json_builder_add_value (b, json_node_init_object (json_node_alloc (), config));
  json_builder_set_member_name (b, "overrides");
  json_builder_add_value (b, json_node_init_object (json_node_alloc (), overrides));
  hb_http_add_time (b, "last_run", t->last_run);
  add_string_or_null (b, "last_summary", t->last_summary);
  add_string_or_null (b, "last_status", t->last_status);
  add_string_or_null (b, "last_reason", t->last_reason);
  add_string_or_null (b, "last_run_id", t->last_run_id);
  add_string_or_null (b, "config_problem", t->config_problem);
  hb_http_add_time (b, "next_run", t->next_run);
  add_string_or_null (b, "skip_reason", t->skip_reason);
  add_bool (b, "running", t->running);
  add_bool (b, "queued", t->queued);
  json_builder_end_object (b);
  return json_builder_get_root (b);
}

static JsonNode *
message_json (gboolean changed, const char *message)
{
  g_autoptr(JsonBuilder) b = json_builder_new ();

  json_builder_begin_object (b);
  add_bool (b, "ok", TRUE);
  add_bool (b, "changed", changed);
  json_builder_set_member_name (b, "message");
  json_builder_add_string_value (b, message);
  json_builder_end_object (b);
  return json_builder_get_root (b);
}

/* The "actions" array of a run, as hb_run_result_to_json() gives it. */
static JsonNode *
actions_of (const HbRunResult *r)
{
  g_autoptr(JsonNode) run = hb_run_result_to_json (r);
  JsonObject *o = json_node_get_object (run);

  if (json_object_has_member (o, "actions"))
    return json_object_dup_member (o, "actions");
  return json_node_init_array (json_node_alloc (), json_array_new ());
}

static JsonNode *
run_now_json (const HbRunResult *r)
{
  g_autoptr(JsonBuilder) b = json_builder_new ();
  gint64 took = r->finished_at > r->started_at && r->started_at > 0
                  ? r->finished_at - r->started_at : 0;

  json_builder_begin_object (b);
  json_builder_set_member_name (b, "thread_id");
  json_builder_add_string_value (b, r->thread_id);
  json_builder_set_member_name (b, "run_id");
  json_builder_add_string_value (b, r->run_id);
  add_bool (b, "ran_successfully", hb_run_status_is_success (r->status));
  json_builder_set_member_name (b, "status");
  json_builder_add_string_value (b, hb_run_status_to_string (r->status));
  add_string_or_null (b, "reason", r->reason);
  hb_http_add_time (b, "timestamp", r->finished_at > 0 ? r->finished_at : r->started_at);
  json_builder_set_member_name (b, "decision_summary");
  json_builder_add_string_value (b, r->summary);
  json_builder_set_member_name (b, "actions");
  json_builder_add_value (b, actions_of (r));
  json_builder_set_member_name (b, "execution_time_seconds");
  json_builder_add_double_value (b, (double) took / G_USEC_PER_SEC);
  add_string_or_null (b, "error", r->error);
  add_bool (b, "dry_run", r->dry_run);
  json_builder_end_object (b);
  return json_builder_get_root (b);
}

static JsonNode *
instructions_json (HbHttp *self)
{
  HbInstructions *instr = hb_pipeline_get_instructions (hb_service_get_pipeline (self->service));
  g_autoptr(HbInstructionsSnapshot) snap = hb_instructions_get_snapshot (instr);
  g_autoptr(JsonBuilder) b = json_builder_new ();

  json_builder_begin_object (b);
  json_builder_set_member_name (b, "content");
  json_builder_add_string_value (b, snap->content);
  hb_http_add_time (b, "last_modified", snap->modified);
  json_builder_set_member_name (b, "path");
  json_builder_add_string_value (b, snap->path);
  add_bool (b, "exists", snap->exists);
  add_string_or_null (b, "problem", snap->problem);
  json_builder_end_object (b);
  return json_builder_get_root (b);
}

/* ---- handlers ----------------------------------------------------------------------------------- */

static void
start_stop (HbHttp *self, SoupServerMessage *msg, gboolean start)
{
  HbScheduler *s = hb_service_get_scheduler (self->service);
  gboolean was = hb_scheduler_get_enabled (s);

  if (start)
    hb_service_start (self->service);
  else
    hb_service_stop (self->service);
  if (start)
    hb_http_reply_json (msg, 200, message_json (!was, was ? "The scheduler is already running"
                                                          : "The scheduler started"));
  else
    hb_http_reply_json (msg, 200, message_json (was, was ? "The scheduler stopped"
                                                         : "The scheduler is already stopped"));
}

static void
list_threads (HbHttp *self, SoupServerMessage *msg)
{
  g_autoptr(GPtrArray) threads = hb_service_list (self->service);
  g_autoptr(JsonBuilder) b = json_builder_new ();

  json_builder_begin_object (b);
  json_builder_set_member_name (b, "threads");
  json_builder_begin_array (b);
  for (guint i = 0; i < threads->len; i++)
    json_builder_add_value (b, hb_http_config_json (threads->pdata[i]));
  json_builder_end_array (b);
  add_uint (b, "total", threads->len);
  json_builder_end_object (b);
  hb_http_reply_json (msg, 200, json_builder_get_root (b));
}

static void
on_thread_added (GObject *source, GAsyncResult *res, gpointer user_data)
{
  Op *op = user_data;
  g_autoptr(GError) error = NULL;
  g_autoptr(HbThread) t = hb_service_add_thread_finish (HB_SERVICE (source), res, &error);

  if (op->gone)
    ;
  else if (t == NULL && g_error_matches (error, G_DBUS_ERROR, G_DBUS_ERROR_INVALID_ARGS))
    hb_http_reply_field_error (op->msg, "thread_id", error->message);
  else if (t == NULL)
    hb_http_reply_gerror (op->msg, error);
  else
    hb_http_reply_json (op->msg, 201, hb_http_config_json (t));
  op_done (op);
}

static void
add_thread (HbHttp *self, SoupServerMessage *msg)
{
  g_autoptr(JsonObject) body = hb_http_read_object (msg);
  JsonNode *id;
  HbThread *existing;

  if (body == NULL)
    return;
  id = json_object_get_member (body, "thread_id");
  if (id == NULL || !JSON_NODE_HOLDS_VALUE (id) || json_node_get_value_type (id) != G_TYPE_STRING)
    {
      hb_http_reply_field_error (msg, "thread_id", "a string is required");
      return;
    }
  existing = hb_service_lookup (self->service, json_node_get_string (id));
  if (existing != NULL)
    {
      hb_http_reply_json (msg, 200, hb_http_config_json (existing));
      return;
    }
  hb_service_add_thread_async (self->service, json_node_get_string (id), on_thread_added,
                               op_new (self, msg, NULL));
}

static void
on_config_set (GObject *source, GAsyncResult *res, gpointer user_data)
{
  Op *op = user_data;
  g_autoptr(GError) error = NULL;
  g_autoptr(GPtrArray) field_errors = NULL;

  if (hb_service_set_config_finish (HB_SERVICE (source), res, &field_errors, &error))
    {
      if (!op->gone)
        hb_http_reply_json (op->msg, 200, hb_http_config_json (op->thread));
    }
  else if (op->gone)
    ;
  else if (field_errors != NULL && field_errors->len > 0)
    hb_http_reply_field_errors (op->msg, field_errors);
  else
    hb_http_reply_gerror (op->msg, error);
  op_done (op);
}

static void
set_config (HbHttp *self, SoupServerMessage *msg, HbThread *t)
{
  g_autoptr(JsonObject) changes = hb_http_read_object (msg);

  if (changes == NULL)
    return;
  hb_service_set_config_async (self->service, t, changes, on_config_set, op_new (self, msg, t));
}

static void
on_run_done (GObject *source, GAsyncResult *res, gpointer user_data)
{
  Op *op = user_data;
  g_autoptr(GError) error = NULL;
  g_autoptr(HbRunResult) r = hb_service_wait_run_finish (HB_SERVICE (source), res, &error);

  if (op->gone)
    ;
  else if (r == NULL)
    hb_http_reply_gerror (op->msg, error);
  else
    hb_http_reply_json (op->msg, 200, run_now_json (r));
  op_done (op);
}

static void
run_now (HbHttp *self, SoupServerMessage *msg, HbThread *t)
{
  const char *run_id;
  Op *op;

  if (self->waiters >= HB_HTTP_MAX_WAITERS)
    {
      soup_message_headers_replace (soup_server_message_get_response_headers (msg), "Retry-After",
                                    "5");
      hb_http_reply_error (msg, 503, "Too many run-now requests are waiting (%d)",
                           HB_HTTP_MAX_WAITERS);
      return;
    }
  /* Single flight: a run already queued or in flight for the thread is the one waited for. */
  run_id = hb_service_run_now (self->service, t);
  op = op_new (self, msg, t);
  op->waiter = TRUE;
  self->waiters++;
  hb_service_wait_run_async (self->service, run_id, NULL, on_run_done, op);
}

static gboolean
parse_limit (SoupServerMessage *msg, guint *limit)
{
  /* libsoup's decoded query stops at a %00; decode the raw one, refusing NUL. */
  const char *raw = g_uri_get_query (soup_server_message_get_uri (msg));
  g_autoptr(GHashTable) query = raw != NULL ? g_uri_parse_params (raw, -1, "&", G_URI_PARAMS_NONE,
                                                                   NULL)
                                            : NULL;
  const char *text;
  guint64 v;

  *limit = HISTORY_DEFAULT;
  if (raw != NULL && query == NULL)
    return FALSE;
  text = query != NULL ? g_hash_table_lookup (query, "limit") : NULL;
  if (text == NULL)
    return TRUE;
  if (!g_ascii_string_to_unsigned (text, 10, 1, HISTORY_MAX, &v, NULL))
    return FALSE;
  *limit = (guint) v;
  return TRUE;
}

static void
on_history (GObject *source, GAsyncResult *res, gpointer user_data)
{
  Op *op = user_data;
  g_autoptr(GError) error = NULL;
  guint64 total = 0;
  g_autoptr(GPtrArray) runs = hb_store_get_history_finish (HB_STORE (source), res, &total, &error);
  g_autoptr(JsonBuilder) b = json_builder_new ();

  if (op->gone)
    {
      op_done (op);
      return;
    }
  if (runs == NULL)
    {
      hb_http_reply_gerror (op->msg, error);
      op_done (op);
      return;
    }
  json_builder_begin_object (b);
  json_builder_set_member_name (b, "activities");
  json_builder_begin_array (b);
  for (guint i = 0; i < runs->len; i++)
    {
      const HbRunResult *r = runs->pdata[i];

      json_builder_begin_object (b);
      hb_http_add_time (b, "timestamp", r->finished_at > 0 ? r->finished_at : r->started_at);
      json_builder_set_member_name (b, "summary");
      json_builder_add_string_value (b, r->summary);
      json_builder_set_member_name (b, "actions");
      json_builder_add_value (b, actions_of (r));
      add_bool (b, "success", hb_run_status_is_success (r->status));
      json_builder_set_member_name (b, "status");
      json_builder_add_string_value (b, hb_run_status_to_string (r->status));
      add_string_or_null (b, "reason", r->reason);
      json_builder_set_member_name (b, "run_id");
      json_builder_add_string_value (b, r->run_id);
      add_string_or_null (b, "action", r->action);
      add_string_or_null (b, "error", r->error);
      json_builder_end_object (b);
    }
  json_builder_end_array (b);
  add_uint (b, "total_runs", total);
  json_builder_end_object (b);
  hb_http_reply_json (op->msg, 200, json_builder_get_root (b));
  op_done (op);
}

static void
history (HbHttp *self, SoupServerMessage *msg, HbThread *t, GHashTable *query)
{
  HbStore *store = hb_pipeline_get_store (hb_service_get_pipeline (self->service));
  guint limit;

  if (!parse_limit (msg, &limit))
    {
      g_autofree char *message = g_strdup_printf ("must be an integer 1..%d", HISTORY_MAX);

      hb_http_reply_field_error (msg, "limit", message);
      return;
    }
  hb_store_get_history_async (store, t->id, limit, NULL, on_history, op_new (self, msg, t));
}

static void
on_md_replaced (GObject *source, GAsyncResult *res, gpointer user_data)
{
  Op *op = user_data;
  g_autoptr(GError) error = NULL;

  if (!hb_instructions_replace_finish (HB_INSTRUCTIONS (source), res, &error))
    {
      if (op->gone)
        ;
      else if (g_error_matches (error, HB_ERROR, HB_ERROR_INVALID_INSTRUCTIONS))
        hb_http_reply_field_error (op->msg, "content", error->message);
      else
        hb_http_reply_gerror (op->msg, error);
    }
  else if (!op->gone)
    hb_http_reply_json (op->msg, 200, instructions_json (op->self));
  op_done (op);
}

static void
set_md (HbHttp *self, SoupServerMessage *msg)
{
  HbInstructions *instr = hb_pipeline_get_instructions (hb_service_get_pipeline (self->service));
  g_autoptr(JsonObject) body = hb_http_read_object (msg);
  g_autoptr(GError) error = NULL;
  JsonNode *content;

  if (body == NULL)
    return;
  content = json_object_get_member (body, "content");
  if (content == NULL || !JSON_NODE_HOLDS_VALUE (content) ||
      json_node_get_value_type (content) != G_TYPE_STRING)
    {
      hb_http_reply_field_error (msg, "content", "a string is required");
      return;
    }
  if (!hb_instructions_check_content (json_node_get_string (content), &error))
    {
      hb_http_reply_field_error (msg, "content", error->message);
      return;
    }
  hb_instructions_replace_async (instr, json_node_get_string (content), NULL, on_md_replaced,
                                 op_new (self, msg, NULL));
}

void
hb_http_api_dispatch (HbHttp *self, SoupServerMessage *msg, const HbHttpMatch *match,
                      GHashTable *query)
{
  HbThread *t = NULL;

  if (match->thread_id != NULL)
    {
      t = hb_service_lookup (self->service, match->thread_id);
      if (t == NULL)
        {
          hb_http_reply_error (msg, 404, "No thread \"%s\" (POST /api/threads adds one)",
                               match->thread_id);
          return;
        }
    }

  switch (match->route)
    {
    case HB_HTTP_ROUTE_STATUS:
      hb_http_reply_json (msg, 200, hb_http_status_json (self));
      break;
    case HB_HTTP_ROUTE_START:
    case HB_HTTP_ROUTE_STOP:
      start_stop (self, msg, match->route == HB_HTTP_ROUTE_START);
      break;
    case HB_HTTP_ROUTE_MD_GET:
      hb_http_reply_json (msg, 200, instructions_json (self));
      break;
    case HB_HTTP_ROUTE_MD_SET:
      set_md (self, msg);
      break;
    case HB_HTTP_ROUTE_THREADS_LIST:
      list_threads (self, msg);
      break;
    case HB_HTTP_ROUTE_THREADS_ADD:
      add_thread (self, msg);
      break;
    case HB_HTTP_ROUTE_CONFIG_GET:
      hb_http_reply_json (msg, 200, hb_http_config_json (t));
      break;
    case HB_HTTP_ROUTE_CONFIG_SET:
      set_config (self, msg, t);
      break;
    case HB_HTTP_ROUTE_RUN_NOW:
      run_now (self, msg, t);
      break;
    case HB_HTTP_ROUTE_HISTORY:
      history (self, msg, t, query);
      break;
    case HB_HTTP_ROUTE_NONE:
    case HB_HTTP_ROUTE_FILE:
    case HB_HTTP_ROUTE_EVENTS:
    default:
      hb_http_reply_error (msg, 500, "Unrouted request");
      break;
    }
}
