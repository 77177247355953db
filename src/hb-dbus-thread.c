/* hb-dbus-thread.c: the Thread interface: properties, methods, asynchronous property writes */
#include "config.h"

#include "hb-dbus-thread.h"
#include "hb-duration.h"
#include "hb-error.h"
#include "hb-json.h"

#define THREAD_IFACE "org.crt.Heartbeat1.Thread"
#define HISTORY_MAX 1000

/* D-Bus property name -> config field, and the group each property belongs to. */
static const struct
{
  const char *property;
  const char *field;       /* NULL: read-only */
  HbThreadChanged group;
} properties[] = {
  { "ThreadId", NULL, 0 },
  { "Enabled", "enabled", HB_THREAD_CHANGED_CONFIG },
  { "Every", "every", HB_THREAD_CHANGED_CONFIG },
  { "Target", "target", HB_THREAD_CHANGED_CONFIG },
  { "Model", "model", HB_THREAD_CHANGED_CONFIG },
  { "MaxTokens", "max_tokens", HB_THREAD_CHANGED_CONFIG },
  { "Temperature", "temperature", HB_THREAD_CHANGED_CONFIG },
  { "DryRun", "dry_run", HB_THREAD_CHANGED_CONFIG },
  { "ActiveHoursStart", "active_hours_start", HB_THREAD_CHANGED_CONFIG },
  { "ActiveHoursEnd", "active_hours_end", HB_THREAD_CHANGED_CONFIG },
  { "TimeZone", "timezone", HB_THREAD_CHANGED_CONFIG },
  { "ConfigProblem", NULL, HB_THREAD_CHANGED_CONFIG },
  { "Running", NULL, HB_THREAD_CHANGED_RUNNING },
  { "LastRun", NULL, HB_THREAD_CHANGED_LAST_RUN_AT },
  { "LastRunId", NULL, HB_THREAD_CHANGED_LAST_RUN_ID },
  { "LastStatus", NULL, HB_THREAD_CHANGED_LAST_STATUS },
  { "LastReason", NULL, HB_THREAD_CHANGED_LAST_REASON },
  { "LastSummary", NULL, HB_THREAD_CHANGED_LAST_SUMMARY },
  { "LastActions", NULL, HB_THREAD_CHANGED_LAST_ACTIONS },
  { "NextRun", NULL, HB_THREAD_CHANGED_NEXT_RUN },
  { "SkipReason", NULL, HB_THREAD_CHANGED_SKIP_REASON },
};

static GVariant *
hhmm_variant (int minutes)
{
  g_autofree char *text = minutes >= 0 ? hb_format_hhmm (minutes) : NULL;

  return g_variant_new_string (text != NULL ? text : "");
}

/* A JSON scalar as a variant: strings, integers (x), doubles, booleans. */
static GVariant *
json_scalar_variant (JsonNode *node)
{
  if (!JSON_NODE_HOLDS_VALUE (node))
    return NULL;
  switch (json_node_get_value_type (node))
    {
    case G_TYPE_STRING:
      return g_variant_new_string (json_node_get_string (node));
    case G_TYPE_INT64:
      return g_variant_new_int64 (json_node_get_int (node));
    case G_TYPE_DOUBLE:
      return g_variant_new_double (json_node_get_double (node));
    case G_TYPE_BOOLEAN:
      return g_variant_new_boolean (json_node_get_boolean (node));
    default:
      return NULL;
    }
}

static GVariant *
actions_variant (const char *json)
{
  GVariantBuilder b;
  g_autoptr(JsonNode) root = json != NULL && json[0] != '\0' ? hb_json_parse_single (json, NULL) : NULL;

  g_variant_builder_init (&b, G_VARIANT_TYPE ("aa{sv}"));
  if (root != NULL && JSON_NODE_HOLDS_ARRAY (root))
    {
      JsonArray *array = json_node_get_array (root);

      for (guint i = 0; i < json_array_get_length (array); i++)
        {
          JsonNode *el = json_array_get_element (array, i);
          g_autoptr(GList) members = NULL;

          if (!JSON_NODE_HOLDS_OBJECT (el))
            continue;
          g_variant_builder_open (&b, G_VARIANT_TYPE_VARDICT);
          members = json_object_get_members (json_node_get_object (el));
          for (GList *l = members; l != NULL; l = l->next)
            {
              GVariant *v = json_scalar_variant (json_object_get_member (json_node_get_object (el),
                                                                         l->data));

              if (v != NULL)
                g_variant_builder_add (&b, "{sv}", (const char *) l->data, v);
            }
          g_variant_builder_close (&b);
        }
    }
  return g_variant_builder_end (&b);
}

/* LastActions is parsed from its JSON once per change, not once per emission. */
static GVariant *
last_actions_variant (HbThread *t)
{
  if (t->last_actions_variant == NULL ||
      g_strcmp0 (t->last_actions_variant_json, t->last_actions_json) != 0)
    {
      g_clear_pointer (&t->last_actions_variant, g_variant_unref);
      g_free (t->last_actions_variant_json);
      t->last_actions_variant = g_variant_ref_sink (actions_variant (t->last_actions_json));
      t->last_actions_variant_json = g_strdup (t->last_actions_json);
    }
  return g_variant_ref (t->last_actions_variant);
}

/* The value of properties[@index] (a new reference, floating or not: GDBus's get_property takes
 * either); the cases follow the table's order. */
G_STATIC_ASSERT (G_N_ELEMENTS (properties) == 21);
static GVariant *
property_value (HbThread *t, guint index, gboolean stopped)
{
  const HbThreadConfig *c = t->config;

  switch (index)
    {
    case 0:  /* ThreadId */
      return g_variant_new_string (t->id);
    case 1:  /* Enabled */
      return g_variant_new_boolean (c->enabled);
    case 2:  /* Every */
      return g_variant_new_uint32 (c->every);
    case 3:  /* Target */
      return g_variant_new_string (hb_target_to_string (c->target));
    case 4:  /* Model */
      return g_variant_new_string (c->model != NULL ? c->model : "");
    case 5:  /* MaxTokens */
      return g_variant_new_uint32 (c->max_tokens);
    case 6:  /* Temperature */
      return g_variant_new_double (c->temperature);
    case 7:  /* DryRun */
      return g_variant_new_boolean (c->dry_run);
    case 8:  /* ActiveHoursStart */
      return hhmm_variant (c->active_start);
    case 9:  /* ActiveHoursEnd */
      return hhmm_variant (c->active_end);
    case 10: /* TimeZone */
      return g_variant_new_string (c->timezone != NULL ? c->timezone : "");
    case 11: /* ConfigProblem */
      return g_variant_new_string (t->config_problem != NULL ? t->config_problem : "");
    case 12: /* Running */
      return g_variant_new_boolean (t->running);
    case 13: /* LastRun */
      return g_variant_new_uint64 ((guint64) MAX (t->last_run, 0));
    case 14: /* LastRunId */
      return g_variant_new_string (t->last_run_id);
    case 15: /* LastStatus */
      return g_variant_new_string (t->last_status);
    case 16: /* LastReason */
      return g_variant_new_string (t->last_reason);
    case 17: /* LastSummary */
      return g_variant_new_string (t->last_summary);
    case 18: /* LastActions */
      return last_actions_variant (t);
    case 19: /* NextRun; while the scheduler is stopped nothing is going to run */
      return g_variant_new_uint64 (stopped ? 0 : (guint64) MAX (t->next_run, 0));
    case 20: /* SkipReason */
      return g_variant_new_string (stopped && t->config->enabled ? "stopped" : t->skip_reason);
    default:
      return NULL;
    }
}

static int
property_index (const char *name)
{
  for (guint i = 0; i < G_N_ELEMENTS (properties); i++)
    if (g_str_equal (properties[i].property, name))
      return (int) i;
  return -1;
}

static GVariant *
properties_of (HbThread *t, guint groups, gboolean all, gboolean stopped)
{
  GVariantBuilder b;

  g_variant_builder_init (&b, G_VARIANT_TYPE_VARDICT);
  static GVariant *keys[G_N_ELEMENTS (properties)];

  for (guint i = 0; i < G_N_ELEMENTS (properties); i++)
    if (all || (properties[i].group & groups) != 0)
      {
        /* Floating or not (LastActions is a cached value): ours, then the entry's. */
        g_autoptr(GVariant) value = g_variant_take_ref (property_value (t, i, stopped));

        g_variant_builder_add_value (&b, g_variant_new_dict_entry (
                                           hb_variant_key (&keys[i], properties[i].property),
                                           g_variant_new_variant (value)));
      }
  return g_variant_builder_end (&b);
}

GVariant *
hb_dbus_thread_properties (HbThread *t, gboolean stopped)
{
  return properties_of (t, 0, TRUE, stopped);
}

void
hb_dbus_thread_emit_changed (GDBusConnection *connection, HbThread *t, guint what,
                             gboolean stopped)
{
  if (what == 0)
    return;
  g_dbus_connection_emit_signal (connection, NULL, t->object_path,
                                 "org.freedesktop.DBus.Properties", "PropertiesChanged",
                                 g_variant_new ("(s@a{sv}@as)", THREAD_IFACE,
                                                properties_of (t, what, FALSE, stopped),
                                                g_variant_new_strv (NULL, 0)),
                                 NULL);
}

/* ---- calls --------------------------------------------------------------------------------- */

typedef struct
{
  HbDbusThreadContext *ctx;
  GDBusMethodInvocation *invocation;
  HbThread *thread;
  GVariant *changes;      /* SetConfig's a{sv}; NULL resets */
} Call;

/* The reply takes the reference GDBus handed to the handler; the call keeps one of its own until
 * it is freed. */
static Call *
call_new (HbDbusThreadContext *ctx, GDBusMethodInvocation *invocation, HbThread *t)
{
  Call *c = g_new0 (Call, 1);

  c->ctx = ctx;
  c->invocation = g_object_ref (invocation);
  c->thread = hb_thread_ref (t);
  return c;
}

static void
call_free (Call *c)
{
  g_clear_object (&c->invocation);
  hb_thread_unref (c->thread);
  g_clear_pointer (&c->changes, g_variant_unref);
  g_free (c);
}

/* Configuration errors are argument errors on the bus. */
static void
return_error (GDBusMethodInvocation *invocation, const GError *error)
{
  if (g_error_matches (error, HB_ERROR, HB_ERROR_INVALID_CONFIG))
    g_dbus_method_invocation_return_error_literal (invocation, G_DBUS_ERROR,
                                                   G_DBUS_ERROR_INVALID_ARGS, error->message);
  else
    g_dbus_method_invocation_return_gerror (invocation, error);
}

static void
on_config_set (GObject *source, GAsyncResult *res, gpointer user_data)
{
  Call *c = user_data;
  g_autoptr(GError) error = NULL;

  if (!hb_service_set_config_finish (HB_SERVICE (source), res, NULL, &error))
    return_error (c->invocation, error);
  else
    g_dbus_method_invocation_return_value (c->invocation, NULL);
  call_free (c);
}

static void
do_set_config (GDBusMethodInvocation *invocation, gpointer user_data)
{
  Call *c = user_data;
  g_autoptr(GError) error = NULL;
  g_autoptr(JsonObject) changes = NULL;

  if (c->thread->removed)
    {
      g_dbus_method_invocation_return_error (invocation, HB_ERROR, HB_ERROR_UNKNOWN_THREAD,
                                             "The thread \"%s\" is gone", c->thread->id);
      call_free (c);
      return;
    }
  if (c->changes != NULL)
    {
      changes = hb_config_changes_from_variant (c->changes, &error);
      if (changes == NULL)
        {
          return_error (invocation, error);
          call_free (c);
          return;
        }
    }
  hb_service_set_config_async (c->ctx->service, c->thread, changes, on_config_set, c);
}

/* Property writes and SetConfig: one path, authorized before anything is looked at. @asv NULL
 * resets. */
static void
set_config (HbDbusThreadContext *ctx, GDBusMethodInvocation *invocation, HbThread *t,
            GVariant *asv)
{
  Call *c = call_new (ctx, invocation, t);

  c->changes = asv != NULL ? g_variant_ref_sink (asv) : NULL;
  hb_auth_check (ctx->auth, invocation, HB_AUTH_CONFIGURE, do_set_config, c);
}

static void
handle_property_set (HbDbusThreadContext *ctx, GDBusMethodInvocation *invocation, HbThread *t,
                     GVariant *parameters)
{
  const char *iface = NULL;
  const char *name = NULL;
  g_autoptr(GVariant) value = NULL;
  GVariantBuilder b;

  g_variant_get (parameters, "(&s&sv)", &iface, &name, &value);
  for (guint i = 0; i < G_N_ELEMENTS (properties); i++)
    {
      if (!g_str_equal (properties[i].property, name))
        continue;
      if (properties[i].field == NULL)
        break;
      g_variant_builder_init (&b, G_VARIANT_TYPE_VARDICT);
      g_variant_builder_add (&b, "{sv}", properties[i].field, value);
      set_config (ctx, invocation, t, g_variant_builder_end (&b));
      return;
    }
  g_dbus_method_invocation_return_error (invocation, G_DBUS_ERROR, G_DBUS_ERROR_PROPERTY_READ_ONLY,
                                         "%s is read-only", name);
}

static void
do_run_now (GDBusMethodInvocation *invocation, gpointer user_data)
{
  Call *c = user_data;
  const char *run_id = hb_service_run_now (c->ctx->service, c->thread);

  g_dbus_method_invocation_return_value (invocation, g_variant_new ("(s)", run_id));
  call_free (c);
}

static void
on_preview (GObject *source, GAsyncResult *res, gpointer user_data)
{
  Call *c = user_data;
  g_autoptr(GError) error = NULL;
  g_autoptr(HbRunResult) r = hb_service_preview_finish (HB_SERVICE (source), res, &error);
  GVariantBuilder b, action;
  const char *verdict;

  if (r == NULL)
    {
      g_dbus_method_invocation_return_gerror (c->invocation, error);
      call_free (c);
      return;
    }
  switch (r->status)
    {
    case HB_RUN_STATUS_ACTED:
    case HB_RUN_STATUS_NO_ACTION:
    case HB_RUN_STATUS_DRY_RUN:
      verdict = "valid";
      break;
    case HB_RUN_STATUS_INVALID:
      verdict = "invalid";
      break;
    case HB_RUN_STATUS_SKIPPED:
      verdict = "skipped";
      break;
    default:
      verdict = "failed";
      break;
    }
  g_variant_builder_init (&action, G_VARIANT_TYPE_VARDICT);
  g_variant_builder_add (&action, "{sv}", "action", g_variant_new_string (r->action));
  g_variant_builder_add (&action, "{sv}", "title", g_variant_new_string (r->title));
  g_variant_builder_add (&action, "{sv}", "content", g_variant_new_string (r->content));
  g_variant_builder_add (&action, "{sv}", "post_id", g_variant_new_int64 (r->post_id));
  g_variant_builder_add (&action, "{sv}", "vote_direction", g_variant_new_string (r->vote_direction));
  g_variant_builder_add (&action, "{sv}", "reasoning", g_variant_new_string (r->reasoning));

  g_variant_builder_init (&b, G_VARIANT_TYPE_VARDICT);
  g_variant_builder_add (&b, "{sv}", "prompt", g_variant_new_string (r->prompt));
  g_variant_builder_add (&b, "{sv}", "model", g_variant_new_string (r->model));
  g_variant_builder_add (&b, "{sv}", "raw_response", g_variant_new_string (r->raw_response));
  g_variant_builder_add (&b, "{sv}", "action", g_variant_builder_end (&action));
  g_variant_builder_add (&b, "{sv}", "verdict", g_variant_new_string (verdict));
  g_variant_builder_add (&b, "{sv}", "reason", g_variant_new_string (r->reason));
  g_variant_builder_add (&b, "{sv}", "error", g_variant_new_string (r->error));
  g_dbus_method_invocation_return_value (c->invocation,
                                         g_variant_new ("(@a{sv})", g_variant_builder_end (&b)));
  call_free (c);
}

static void
do_preview (GDBusMethodInvocation *invocation, gpointer user_data)
{
  Call *c = user_data;

  hb_service_preview_async (c->ctx->service, c->thread, NULL, on_preview, c);
}

static void
on_history (GObject *source, GAsyncResult *res, gpointer user_data)
{
  Call *c = user_data;
  g_autoptr(GError) error = NULL;
  guint64 total = 0;
  g_autoptr(GPtrArray) runs = hb_store_get_history_finish (HB_STORE (source), res, &total, &error);
  GVariantBuilder b;

  if (runs == NULL)
    {
      g_dbus_method_invocation_return_gerror (c->invocation, error);
      call_free (c);
      return;
    }
  g_variant_builder_init (&b, G_VARIANT_TYPE ("aa{sv}"));
  for (guint i = 0; i < runs->len; i++)
    g_variant_builder_add_value (&b, hb_run_result_to_variant (runs->pdata[i]));
  g_dbus_method_invocation_return_value (c->invocation,
                                         g_variant_new ("(aa{sv})", &b));
  call_free (c);
}

static void
method_call (GDBusConnection *connection, const char *sender, const char *object_path,
             const char *interface_name, const char *method_name, GVariant *parameters,
             GDBusMethodInvocation *invocation, gpointer user_data)
{
  HbDbusThreadContext *ctx = user_data;
  HbThread *t = hb_service_lookup_path (ctx->service, object_path);

  if (t == NULL)
    {
      g_dbus_method_invocation_return_error (invocation, HB_ERROR, HB_ERROR_UNKNOWN_THREAD,
                                             "No thread at %s", object_path);
      return;
    }

  if (g_str_equal (interface_name, "org.freedesktop.DBus.Properties"))
    {
      /* Only Set comes here: writes are asynchronous (validation, polkit, the database). */
      handle_property_set (ctx, invocation, t, parameters);
      return;
    }

  if (g_str_equal (method_name, "RunNow"))
    hb_auth_check (ctx->auth, invocation, HB_AUTH_CONTROL, do_run_now, call_new (ctx, invocation, t));
  else if (g_str_equal (method_name, "SetConfig"))
    {
      g_autoptr(GVariant) asv = g_variant_get_child_value (parameters, 0);

      set_config (ctx, invocation, t, asv);
    }
  else if (g_str_equal (method_name, "ResetConfig"))
    set_config (ctx, invocation, t, NULL);
  else if (g_str_equal (method_name, "Preview"))
    hb_auth_check (ctx->auth, invocation, HB_AUTH_CONTROL, do_preview, call_new (ctx, invocation, t));
  else if (g_str_equal (method_name, "GetHistory"))
    {
      guint32 limit = 0;

      g_variant_get (parameters, "(u)", &limit);
      if (limit > HISTORY_MAX)
        {
          g_dbus_method_invocation_return_error (invocation, G_DBUS_ERROR,
                                                 G_DBUS_ERROR_INVALID_ARGS,
                                                 "limit: at most %d", HISTORY_MAX);
          return;
        }
      hb_store_get_history_async (hb_pipeline_get_store (hb_service_get_pipeline (ctx->service)),
                                  t->id, limit, NULL, on_history, call_new (ctx, invocation, t));
    }
  else
    g_dbus_method_invocation_return_error (invocation, G_DBUS_ERROR, G_DBUS_ERROR_UNKNOWN_METHOD,
                                           "No method %s", method_name);
}

static GVariant *
get_property (GDBusConnection *connection, const char *sender, const char *object_path,
              const char *interface_name, const char *property_name, GError **error,
              gpointer user_data)
{
  HbDbusThreadContext *ctx = user_data;
  HbThread *t = hb_service_lookup_path (ctx->service, object_path);
  int index = property_index (property_name);
  GVariant *value;

  if (t == NULL)
    {
      g_set_error (error, HB_ERROR, HB_ERROR_UNKNOWN_THREAD, "No thread at %s", object_path);
      return NULL;
    }
  value = index < 0 ? NULL
                    : property_value (t, (guint) index,
                                      !hb_scheduler_get_enabled (hb_service_get_scheduler (ctx->service)));
  if (value == NULL)
    g_set_error (error, G_DBUS_ERROR, G_DBUS_ERROR_UNKNOWN_PROPERTY, "No property %s",
                 property_name);
  return value;
}

static const GDBusInterfaceVTable thread_vtable = { method_call, get_property, NULL, { 0 } };

const GDBusInterfaceVTable *
hb_dbus_thread_vtable (void)
{
  return &thread_vtable;
}
