/* hb-thread.c: one thread's state in memory */
#include "config.h"

#include "hb-error.h"
#include "hb-json.h"
#include "hb-thread.h"

#define THREADS_PATH "/org/crt/Heartbeat/threads/"

char *
hb_thread_object_path (const char *id)
{
  g_autofree char *escaped = g_dbus_escape_object_path (id);

  return g_strconcat (THREADS_PATH, escaped, NULL);
}

gboolean
hb_thread_id_validate (const char *id, GError **error)
{
  if (id == NULL || id[0] == '\0')
    {
      g_set_error_literal (error, G_DBUS_ERROR, G_DBUS_ERROR_INVALID_ARGS,
                           "thread_id: must not be empty");
      return FALSE;
    }
  if (strlen (id) > HB_THREAD_ID_MAX)
    {
      g_set_error (error, G_DBUS_ERROR, G_DBUS_ERROR_INVALID_ARGS,
                   "thread_id: at most %d bytes", HB_THREAD_ID_MAX);
      return FALSE;
    }
  if (!g_utf8_validate (id, -1, NULL))
    {
      g_set_error_literal (error, G_DBUS_ERROR, G_DBUS_ERROR_INVALID_ARGS,
                           "thread_id: must be valid UTF-8");
      return FALSE;
    }
  for (const char *p = id; *p != '\0'; p = g_utf8_next_char (p))
    {
      if (g_unichar_iscntrl (g_utf8_get_char (p)))
        {
          g_set_error_literal (error, G_DBUS_ERROR, G_DBUS_ERROR_INVALID_ARGS,
                               "thread_id: must not contain control characters");
          return FALSE;
        }
    }
  return TRUE;
}

HbThread *
hb_thread_new (const char *id)
{
  HbThread *t = g_new0 (HbThread, 1);

  t->ref_count = 1;
  t->id = g_strdup (id);
  t->object_path = hb_thread_object_path (id);
  t->overrides = NULL;
  t->config = hb_thread_config_new_default ();
  t->last_run_id = g_strdup ("");
  t->last_status = g_strdup ("");
  t->last_reason = g_strdup ("");
  t->last_summary = g_strdup ("");
  t->last_actions_json = g_strdup ("");
  t->last_fingerprint = g_strdup ("");
  t->skip_reason = g_strdup ("");
  t->current_run_id = g_strdup ("");
  return t;
}

HbThread *
hb_thread_ref (HbThread *thread)
{
  g_atomic_int_inc (&thread->ref_count);
  return thread;
}

void
hb_thread_unref (HbThread *t)
{
  if (t == NULL || !g_atomic_int_dec_and_test (&t->ref_count))
    return;
  g_free (t->id);
  g_free (t->object_path);
  g_clear_pointer (&t->overrides, json_object_unref);
  hb_thread_config_free (t->config);
  g_free (t->config_problem);
  g_free (t->last_run_id);
  g_free (t->last_status);
  g_free (t->last_reason);
  g_free (t->last_summary);
  g_free (t->last_actions_json);
  g_free (t->last_fingerprint);
  g_clear_pointer (&t->last_actions_variant, g_variant_unref);
  g_free (t->last_actions_variant_json);
  g_free (t->skip_reason);
  g_free (t->current_run_id);
  g_clear_object (&t->cancellable);
  g_free (t);
}

gboolean
hb_thread_set_string (char **field, const char *value)
{
  if (value == NULL)
    value = "";
  if (g_strcmp0 (*field, value) == 0)
    return FALSE;
  g_free (*field);
  *field = g_strdup (value);
  return TRUE;
}

/* The last run's texts (@run_id NULL: left as it is), with a bit for each that changed. */
static HbThreadChanged
set_last_strings (HbThread *t, const char *run_id, const char *status, const char *reason,
                  const char *summary, const char *actions_json)
{
  HbThreadChanged changed = 0;

  if (run_id != NULL && hb_thread_set_string (&t->last_run_id, run_id))
    changed |= HB_THREAD_CHANGED_LAST_RUN_ID;
  if (hb_thread_set_string (&t->last_status, status))
    changed |= HB_THREAD_CHANGED_LAST_STATUS;
  if (hb_thread_set_string (&t->last_reason, reason))
    changed |= HB_THREAD_CHANGED_LAST_REASON;
  if (hb_thread_set_string (&t->last_summary, summary))
    changed |= HB_THREAD_CHANGED_LAST_SUMMARY;
  if (hb_thread_set_string (&t->last_actions_json, actions_json))
    changed |= HB_THREAD_CHANGED_LAST_ACTIONS;
  return changed;
}

static HbThreadChanged
set_config (HbThread *t, HbThreadConfig *config, char *problem)
{
  gboolean changed = !hb_thread_config_equal (t->config, config) ||
                     g_strcmp0 (t->config_problem, problem) != 0;

  hb_thread_config_free (t->config);
  t->config = config;
  g_free (t->config_problem);
  t->config_problem = problem;
  return changed ? HB_THREAD_CHANGED_CONFIG : 0;
}

HbThreadChanged
hb_thread_apply_row (HbThread *t, const HbThreadRow *row, const HbThreadConfig *defaults)
{
  HbThreadChanged changed = 0;
  char *problem = NULL;
  HbThreadConfig *config = hb_thread_config_resolve (defaults, row->config_json, &problem);
  g_autoptr(JsonNode) node = NULL;

  /* Keep the overrides as stored when they parse; garbage is kept only as a problem. */
  if (row->config_json != NULL && row->config_json[0] != '\0')
    node = hb_json_parse_single (row->config_json, NULL);
  g_clear_pointer (&t->overrides, json_object_unref);
  if (node != NULL && JSON_NODE_HOLDS_OBJECT (node) &&
      json_object_get_size (json_node_get_object (node)) > 0)
    t->overrides = json_object_ref (json_node_get_object (node));
  changed |= set_config (t, config, problem);

  if (t->last_run != row->last_run)
    {
      t->last_run = row->last_run;
      changed |= HB_THREAD_CHANGED_LAST_RUN_AT;
    }
  changed |= set_last_strings (t, NULL, row->last_status, row->last_reason, row->last_summary,
                               row->last_actions_json);
  hb_thread_set_string (&t->last_fingerprint, row->last_fingerprint);
  if (row->next_due > 0)
    t->persisted_due = row->next_due;
  return changed;
}

HbThreadChanged
hb_thread_set_overrides (HbThread *t, JsonObject *overrides, const HbThreadConfig *defaults)
{
  HbThreadConfig *config = hb_thread_config_resolve_object (defaults, overrides);

  g_clear_pointer (&t->overrides, json_object_unref);
  if (overrides != NULL && json_object_get_size (overrides) > 0)
    t->overrides = json_object_ref (overrides);
  return set_config (t, config, NULL);
}

HbThreadChanged
hb_thread_apply_result (HbThread *t, const HbRunResult *r)
{
  g_autofree char *actions = hb_run_result_actions_json (r);
  HbThreadChanged changed = 0;

  if (t->last_run != r->finished_at)
    {
      t->last_run = r->finished_at;
      changed |= HB_THREAD_CHANGED_LAST_RUN_AT;
    }
  changed |= set_last_strings (t, r->run_id, hb_run_status_to_string (r->status), r->reason,
                               r->summary, actions);
  /* LastActions from the result itself rather than parsed back from the JSON just written. */
  if (changed & HB_THREAD_CHANGED_LAST_ACTIONS)
    {
      g_clear_pointer (&t->last_actions_variant, g_variant_unref);
      t->last_actions_variant = g_variant_ref_sink (hb_run_result_actions_variant (r));
      g_free (t->last_actions_variant_json);
      t->last_actions_variant_json = g_strdup (actions);
    }
  if (hb_run_status_is_success (r->status) && r->fingerprint[0] != '\0')
    hb_thread_set_string (&t->last_fingerprint, r->fingerprint);
  return changed;
}
