/* hb-ctl-cmd-thread.c: list, show, history, set, reset, add: threads and their settings. */
#include "config.h"

#include <string.h>

#include "hb-ctl.h"
#include "hb-ctl-bus.h"
#include "hb-ctl-output.h"
#include "hb-ctl-settings.h"

/* Thread ids longer than this are cut with an ellipsis in tables (never in show or JSON). */
#define ID_COLUMN_MAX 32
#define TEXT_COLUMN_MAX 48

static const char *
yes_no (gboolean b)
{
  return b ? "yes" : "no";
}

/* ---- list ---- */

static int
compare_thread_ids (gconstpointer a, gconstpointer b)
{
  GVariant *pa = *(GVariant **) a, *pb = *(GVariant **) b;

  return strcmp (hb_ctl_dict_string (pa, "ThreadId"), hb_ctl_dict_string (pb, "ThreadId"));
}

/* The properties (a{sv}) of every thread, sorted by id: one GetManagedObjects call. */
static GPtrArray *
get_threads (HbCtl *ctl, GError **error)
{
  g_autoptr(GVariant) reply = NULL;
  g_autoptr(GVariant) objects = NULL;
  GPtrArray *threads;
  GVariantIter iter;
  GVariant *ifaces;

  reply = hb_ctl_call (ctl, HB_CTL_MANAGER_PATH, "org.freedesktop.DBus.ObjectManager",
                       "GetManagedObjects", NULL, "(a{oa{sa{sv}}})", FALSE, -1, error);
  if (reply == NULL)
    return NULL;
  threads = g_ptr_array_new_with_free_func ((GDestroyNotify) g_variant_unref);
  objects = g_variant_get_child_value (reply, 0);
  g_variant_iter_init (&iter, objects);
  while (g_variant_iter_next (&iter, "{&o@a{sa{sv}}}", NULL, &ifaces))
    {
      GVariant *props = g_variant_lookup_value (ifaces, HB_CTL_THREAD_IFACE,
                                                G_VARIANT_TYPE ("a{sv}"));

      if (props != NULL)
        g_ptr_array_add (threads, props);
      g_variant_unref (ifaces);
    }
  g_ptr_array_sort (threads, compare_thread_ids);
  return threads;
}

static void
print_threads_json (HbCtl *ctl, GPtrArray *threads)
{
  JsonArray *array = json_array_sized_new (threads->len);
  JsonNode *node = json_node_new (JSON_NODE_ARRAY);

  for (guint i = 0; i < threads->len; i++)
    json_array_add_element (array, hb_ctl_variant_to_json (g_variant_ref (threads->pdata[i])));
  json_node_take_array (node, array);
  hb_ctl_print_json (ctl, node);
}

gboolean
hb_ctl_cmd_list (HbCtl *ctl, char **args, GError **error)
{
  static const char *const headers[] = {
    "THREAD", "ENABLED", "EVERY", "NEXT RUN", "LAST RUN", "STATUS", "SKIP REASON", NULL
  };
  g_autoptr(GPtrArray) threads = NULL;
  g_autoptr(HbCtlTable) table = NULL;
  g_autoptr(GTimeZone) tz = g_time_zone_new_local ();
  g_autofree char *text = NULL;
  gint64 now = g_get_real_time ();

  if (!hb_ctl_expect_args (args, 0, 0, "list [-q]", error))
    return FALSE;
  threads = get_threads (ctl, error);
  if (threads == NULL)
    return FALSE;
  if (ctl->json)
    {
      print_threads_json (ctl, threads);
      return TRUE;
    }
  if (ctl->opts.quiet)
    {
      /* For scripts and completion: the ids as they are, one a line. */
      for (guint i = 0; i < threads->len; i++)
        hb_ctl_print (ctl, "%s\n", hb_ctl_dict_string (threads->pdata[i], "ThreadId"));
      return TRUE;
    }
  if (threads->len == 0)
    {
      hb_ctl_print (ctl, "No threads.\n");
      return TRUE;
    }
  table = hb_ctl_table_new (headers);
  hb_ctl_table_set_max_width (table, 0, ID_COLUMN_MAX);
  for (guint i = 0; i < threads->len; i++)
    {
      GVariant *t = threads->pdata[i];
      g_autofree char *every = hb_ctl_format_duration (hb_ctl_dict_uint32 (t, "Every"));
      g_autofree char *next = hb_ctl_format_time (hb_ctl_dict_uint64 (t, "NextRun"), now, tz);
      g_autofree char *last = hb_ctl_format_time (hb_ctl_dict_uint64 (t, "LastRun"), now, tz);
      const char *status = hb_ctl_dict_string (t, "LastStatus");
      const char *skip = hb_ctl_dict_string (t, "SkipReason");
      const char *cells[] = {
        hb_ctl_dict_string (t, "ThreadId"), yes_no (hb_ctl_dict_boolean (t, "Enabled")), every,
        hb_ctl_dict_uint64 (t, "NextRun") != 0 ? next : "-", last,
        hb_ctl_dict_boolean (t, "Running") ? "running" : status[0] != '\0' ? status : "-",
        skip[0] != '\0' ? skip : "-",
      };

      hb_ctl_table_add_row (table, cells);
    }
  text = hb_ctl_table_render (table, ctl->color ? hb_ctl_table_status_color : NULL);
  hb_ctl_print (ctl, "%s", text);
  return TRUE;
}

/* ---- show ---- */

static GVariant *
get_thread (HbCtl *ctl, const char *thread_id, char **path_out, GError **error)
{
  g_autofree char *path = hb_ctl_thread_path (ctl, thread_id, error);
  GVariant *props;

  if (path == NULL)
    return NULL;
  props = hb_ctl_get_all (ctl, path, HB_CTL_THREAD_IFACE, error);
  if (props != NULL && path_out != NULL)
    *path_out = g_steal_pointer (&path);
  return props;
}

static void
print_thread (HbCtl *ctl, GVariant *t, const char *path)
{
  g_autoptr(GTimeZone) tz = g_time_zone_new_local ();
  gint64 now = g_get_real_time ();
  const char *start = hb_ctl_dict_string (t, "ActiveHoursStart");
  const char *end = hb_ctl_dict_string (t, "ActiveHoursEnd");
  const char *zone = hb_ctl_dict_string (t, "TimeZone");
  const char *model = hb_ctl_dict_string (t, "Model");
  const char *status = hb_ctl_dict_string (t, "LastStatus");
  const char *reason = hb_ctl_dict_string (t, "LastReason");
  const char *problem = hb_ctl_dict_string (t, "ConfigProblem");
  const char *skip = hb_ctl_dict_string (t, "SkipReason");
  g_autofree char *every = hb_ctl_format_duration (hb_ctl_dict_uint32 (t, "Every"));
  g_autofree char *hours = NULL;
  g_autofree char *tokens = g_strdup_printf ("%u", hb_ctl_dict_uint32 (t, "MaxTokens"));
  g_autofree char *temperature = g_strdup_printf ("%g", hb_ctl_dict_double (t, "Temperature"));
  g_autofree char *next = hb_ctl_format_time (hb_ctl_dict_uint64 (t, "NextRun"), now, tz);
  g_autofree char *last = hb_ctl_format_time (hb_ctl_dict_uint64 (t, "LastRun"), now, tz);
  g_autofree char *outcome = NULL;
  g_autoptr(GVariant) actions = g_variant_lookup_value (t, "LastActions", G_VARIANT_TYPE ("aa{sv}"));
  g_autofree char *described = hb_ctl_describe_actions (actions);

  hours = start[0] != '\0' ? g_strdup_printf ("%s-%s (%s)", start, end,
                                              zone[0] != '\0' ? zone : "local time")
                           : g_strdup ("all day");
  outcome = reason[0] != '\0' ? g_strdup_printf ("%s (%s)", status, reason) : g_strdup (status);

  hb_ctl_print_field (ctl, "Thread", hb_ctl_dict_string (t, "ThreadId"), HB_CTL_BOLD);
  hb_ctl_print_field (ctl, "Enabled", yes_no (hb_ctl_dict_boolean (t, "Enabled")), NULL);
  hb_ctl_print_field (ctl, "Every", every, NULL);
  hb_ctl_print_field (ctl, "Active hours", hours, NULL);
  hb_ctl_print_field (ctl, "Target", hb_ctl_dict_string (t, "Target"), NULL);
  hb_ctl_print_field (ctl, "Model", model[0] != '\0' ? model : "(the daemon's default)", NULL);
  hb_ctl_print_field (ctl, "Max tokens", tokens, NULL);
  hb_ctl_print_field (ctl, "Temperature", temperature, NULL);
  hb_ctl_print_field (ctl, "Dry run", yes_no (hb_ctl_dict_boolean (t, "DryRun")), NULL);
  if (problem[0] != '\0')
    hb_ctl_print_field (ctl, "Config problem", problem, HB_CTL_RED);
  hb_ctl_print_field (ctl, "Running", yes_no (hb_ctl_dict_boolean (t, "Running")), NULL);
  hb_ctl_print_field (ctl, "Next run", hb_ctl_dict_uint64 (t, "NextRun") != 0 ? next : "not scheduled",
                      NULL);
  if (skip[0] != '\0')
    hb_ctl_print_field (ctl, "Skip reason", skip, HB_CTL_YELLOW);
  hb_ctl_print_field (ctl, "Last run", last, NULL);
  if (status[0] != '\0')
    {
      hb_ctl_print_field (ctl, "Last run id", hb_ctl_dict_string (t, "LastRunId"), NULL);
      hb_ctl_print_field (ctl, "Last status", outcome, hb_ctl_status_color (status));
      hb_ctl_print_field (ctl, "Last summary", hb_ctl_dict_string (t, "LastSummary"), NULL);
      hb_ctl_print_field (ctl, "Last actions", described[0] != '\0' ? described : "none", NULL);
    }
  hb_ctl_print_field (ctl, "Object path", path, NULL);
}

gboolean
hb_ctl_cmd_show (HbCtl *ctl, char **args, GError **error)
{
  g_autoptr(GVariant) props = NULL;
  g_autofree char *path = NULL;

  if (!hb_ctl_expect_args (args, 1, 1, "show THREAD", error))
    return FALSE;
  props = get_thread (ctl, args[0], &path, error);
  if (props == NULL)
    return FALSE;
  if (ctl->json)
    {
      JsonNode *node = hb_ctl_variant_to_json (g_variant_ref (props));

      json_object_set_string_member (json_node_get_object (node), "ObjectPath", path);
      hb_ctl_print_json (ctl, node);
    }
  else
    print_thread (ctl, props, path);
  return TRUE;
}

/* ---- history ---- */

gboolean
hb_ctl_cmd_history (HbCtl *ctl, char **args, GError **error)
{
  static const char *const headers[] = {
    "FINISHED", "STATUS", "ACTION", "REASON", "SUMMARY", "RUN", NULL
  };
  g_autofree char *path = NULL;
  g_autoptr(GVariant) reply = NULL;
  g_autoptr(GVariant) runs = NULL;
  g_autoptr(HbCtlTable) table = NULL;
  g_autoptr(GTimeZone) tz = g_time_zone_new_local ();
  g_autofree char *text = NULL;
  gint64 now = g_get_real_time ();
  GVariantIter iter;
  GVariant *run;

  if (!hb_ctl_expect_args (args, 1, 1, "history THREAD [-n N]", error))
    return FALSE;
  path = hb_ctl_thread_path (ctl, args[0], error);
  if (path == NULL)
    return FALSE;
  reply = hb_ctl_call (ctl, path, HB_CTL_THREAD_IFACE, "GetHistory",
                       g_variant_new ("(u)", (guint32) ctl->opts.limit), "(aa{sv})", FALSE, -1,
                       error);
  if (reply == NULL)
    return FALSE;
  runs = g_variant_get_child_value (reply, 0);
  if (ctl->json)
    {
      hb_ctl_print_json (ctl, hb_ctl_variant_to_json (g_steal_pointer (&runs)));
      return TRUE;
    }
  if (g_variant_n_children (runs) == 0)
    {
      hb_ctl_print (ctl, "No runs yet.\n");
      return TRUE;
    }
  table = hb_ctl_table_new (headers);
  hb_ctl_table_set_max_width (table, 3, TEXT_COLUMN_MAX / 2);
  hb_ctl_table_set_max_width (table, 4, TEXT_COLUMN_MAX);
  g_variant_iter_init (&iter, runs);
  while ((run = g_variant_iter_next_value (&iter)) != NULL)
    {
      g_autofree char *when = hb_ctl_format_time (hb_ctl_dict_uint64 (run, "finished_at"), now, tz);
      g_autofree char *action = hb_ctl_describe_action (run);
      const char *reason = hb_ctl_dict_string (run, "reason");
      const char *cells[] = {
        when, hb_ctl_dict_string (run, "status"), action, reason[0] != '\0' ? reason : "-",
        hb_ctl_dict_string (run, "summary"), hb_ctl_dict_string (run, "run_id"),
      };

      hb_ctl_table_add_row (table, cells);
      g_variant_unref (run);
    }
  text = hb_ctl_table_render (table, ctl->color ? hb_ctl_table_status_color : NULL);
  hb_ctl_print (ctl, "%s", text);
  return TRUE;
}

/* ---- set, reset, add ---- */

static void
print_thread_outcome (HbCtl *ctl, const char *thread_id, const char *member, JsonNode *value,
                      const char *text)
{
  if (ctl->json)
    hb_ctl_print_json_object (ctl, "thread_id", hb_ctl_json_string (thread_id), member, value,
                              NULL);
  else
    {
      g_autofree char *clean = hb_ctl_text_sanitize (text, FALSE);

      json_node_unref (value);
      hb_ctl_print (ctl, "%s\n", clean);
    }
}

gboolean
hb_ctl_cmd_set (HbCtl *ctl, char **args, GError **error)
{
  g_auto(GVariantDict) changes = G_VARIANT_DICT_INIT (NULL);
  g_autoptr(GVariant) dict = NULL;
  g_autofree char *path = NULL;
  g_autoptr(GVariant) reply = NULL;
  g_autofree char *text = NULL;
  guint n = args[0] != NULL ? g_strv_length (args) : 0;

  if (!hb_ctl_expect_args (args, MAX (n, 2), 1, "set THREAD KEY=VALUE...", error))
    return FALSE;
  /* Every word is checked before anything is sent: all or nothing, like SetConfig. */
  for (guint i = 1; args[i] != NULL; i++)
    if (!hb_ctl_settings_add (&changes, args[i], error))
      return FALSE;
  dict = g_variant_ref_sink (g_variant_dict_end (&changes));
  path = hb_ctl_thread_path (ctl, args[0], error);
  if (path == NULL)
    return FALSE;
  reply = hb_ctl_call (ctl, path, HB_CTL_THREAD_IFACE, "SetConfig",
                       g_variant_new ("(@a{sv})", dict), "()", TRUE, -1, error);
  if (reply == NULL)
    return FALSE;
  text = g_strdup_printf ("Updated %s.", args[0]);
  print_thread_outcome (ctl, args[0], "changes", hb_ctl_variant_to_json (g_variant_ref (dict)),
                        text);
  return TRUE;
}

gboolean
hb_ctl_cmd_reset (HbCtl *ctl, char **args, GError **error)
{
  g_autofree char *path = NULL;
  g_autoptr(GVariant) reply = NULL;
  g_autofree char *text = NULL;

  if (!hb_ctl_expect_args (args, 1, 1, "reset THREAD", error))
    return FALSE;
  path = hb_ctl_thread_path (ctl, args[0], error);
  if (path == NULL)
    return FALSE;
  reply = hb_ctl_call (ctl, path, HB_CTL_THREAD_IFACE, "ResetConfig", NULL, "()", TRUE, -1, error);
  if (reply == NULL)
    return FALSE;
  text = g_strdup_printf ("%s follows the defaults again.", args[0]);
  print_thread_outcome (ctl, args[0], "reset", hb_ctl_json_boolean (TRUE),
                        text);
  return TRUE;
}

gboolean
hb_ctl_cmd_add (HbCtl *ctl, char **args, GError **error)
{
  g_autoptr(GVariant) reply = NULL;
  g_autofree char *text = NULL;
  const char *path;

  if (!hb_ctl_expect_args (args, 1, 1, "add THREAD", error))
    return FALSE;
  reply = hb_ctl_call (ctl, HB_CTL_MANAGER_PATH, HB_CTL_MANAGER_IFACE, "AddThread",
                       g_variant_new ("(s)", args[0]), "(o)", TRUE, -1, error);
  if (reply == NULL)
    return FALSE;
  g_variant_get (reply, "(&o)", &path);
  text = g_strdup_printf ("Added %s (%s).", args[0], path);
  print_thread_outcome (ctl, args[0], "path", hb_ctl_json_string (path),
                        text);
  return TRUE;
}
