/* hb-ctl-cmd-monitor.c: monitor: the daemon's signals and property changes, one line each. */
#include "config.h"

#include <stdio.h>
#include <string.h>
#include <glib-unix.h>

#include "hb-ctl.h"
#include "hb-ctl-bus.h"
#include "hb-ctl-output.h"

typedef struct {
  HbCtl *ctl;
  GMainLoop *loop;
  GTimeZone *tz;
  gboolean owner_seen;
} Monitor;

/* One event: "14:05:00  completed  THREAD  details", or one JSON object a line. */
static void
emit_event (Monitor *m, const char *event, const char *path, const char *subject,
            const char *details, GVariant *data)
{
  gint64 now = g_get_real_time ();
  g_autofree char *line = NULL;

  if (m->ctl->json)
    {
      g_autoptr(JsonBuilder) b = json_builder_new ();
      g_autoptr(JsonNode) root = NULL;
      g_autofree char *thread_id = hb_ctl_thread_id_from_path (path);

      json_builder_begin_object (b);
      json_builder_set_member_name (b, "time");
      json_builder_add_int_value (b, now);
      json_builder_set_member_name (b, "event");
      json_builder_add_string_value (b, event);
      json_builder_set_member_name (b, "path");
      json_builder_add_string_value (b, path);
      if (thread_id != NULL && g_utf8_validate (thread_id, -1, NULL))
        {
          json_builder_set_member_name (b, "thread_id");
          json_builder_add_string_value (b, thread_id);
        }
      json_builder_set_member_name (b, "data");
      json_builder_add_value (b, data != NULL ? hb_ctl_variant_to_json (g_variant_ref (data))
                                              : json_node_new (JSON_NODE_NULL));
      json_builder_end_object (b);
      root = json_builder_get_root (b);
      line = json_to_string (root, FALSE);
    }
  else
    {
      g_autoptr(GDateTime) dt = g_date_time_new_now (m->tz);
      g_autofree char *clock = g_date_time_format (dt, "%H:%M:%S");
      g_autofree char *clean_subject = hb_ctl_text_sanitize (subject, FALSE);
      g_autofree char *clean_details = hb_ctl_text_sanitize (details, FALSE);
      g_autofree char *painted = hb_ctl_paint (m->ctl, HB_CTL_BOLD, event);
      int pad = MAX (0, 12 - (int) strlen (event));

      line = g_strdup_printf ("%s  %s%*s %s  %s", clock, painted, pad, "", clean_subject,
                              clean_details);
    }
  fputs (line, stdout);
  fputc ('\n', stdout);
  fflush (stdout);
}

static char *
format_value (Monitor *m, const char *key, GVariant *v)
{
  if (g_variant_is_of_type (v, G_VARIANT_TYPE_UINT64)
      && (g_str_has_suffix (key, "Run") || g_str_equal (key, "NextWakeup")))
    return hb_ctl_format_time (g_variant_get_uint64 (v), g_get_real_time (), m->tz);
  if (g_variant_is_of_type (v, G_VARIANT_TYPE_STRING))
    {
      const char *s = g_variant_get_string (v, NULL);

      return s[0] == '\0' || strchr (s, ' ') != NULL ? g_strdup_printf ("\"%s\"", s)
                                                     : g_strdup (s);
    }
  return g_variant_print (v, FALSE);
}

static char *
format_changes (Monitor *m, GVariant *changed, GVariant *invalidated)
{
  GString *s = g_string_new (NULL);
  GVariantIter iter;
  const char *key;
  GVariant *value;

  g_variant_iter_init (&iter, changed);
  while (g_variant_iter_next (&iter, "{&sv}", &key, &value))
    {
      g_autofree char *text = format_value (m, key, value);

      g_string_append_printf (s, "%s%s=%s", s->len > 0 ? " " : "", key, text);
      g_variant_unref (value);
    }
  g_variant_iter_init (&iter, invalidated);
  while (g_variant_iter_next (&iter, "&s", &key))
    g_string_append_printf (s, "%s%s=?", s->len > 0 ? " " : "", key);
  return g_string_free (s, FALSE);
}

static char *
subject_of (const char *path)
{
  g_autofree char *thread_id = hb_ctl_thread_id_from_path (path);

  if (thread_id != NULL)
    return g_steal_pointer (&thread_id);
  return g_strdup (g_str_equal (path, HB_CTL_MANAGER_PATH) ? "manager" : path);
}

static void
on_signal (GDBusConnection *conn, const char *sender, const char *path, const char *iface,
           const char *member, GVariant *params, gpointer user_data)
{
  Monitor *m = user_data;
  g_autofree char *subject = subject_of (path);
  g_autofree char *details = NULL;
  const char *a = NULL, *b = NULL;
  g_autoptr(GVariant) dict = NULL;
  g_autoptr(GVariant) list = NULL;

  if (g_str_equal (member, "RunStarted") && g_variant_is_of_type (params, G_VARIANT_TYPE ("(ss)")))
    {
      g_variant_get (params, "(&s&s)", &a, &b);
      details = g_strdup_printf ("run=%s", b);
      emit_event (m, "run-started", path, a, details, params);
    }
  else if (g_str_equal (member, "HeartbeatCompleted")
           && g_variant_is_of_type (params, G_VARIANT_TYPE ("(sa{sv})")))
    {
      g_autofree char *action = NULL;
      const char *reason;

      g_variant_get (params, "(&s@a{sv})", &a, &dict);
      action = hb_ctl_describe_action (dict);
      reason = hb_ctl_dict_string (dict, "reason");
      details = g_strdup_printf ("run=%s status=%s action=%s%s%s",
                                 hb_ctl_dict_string (dict, "run_id"),
                                 hb_ctl_dict_string (dict, "status"), action,
                                 reason[0] != '\0' ? " reason=" : "", reason);
      emit_event (m, "completed", path, a, details, params);
    }
  else if (g_str_equal (member, "PropertiesChanged")
           && g_variant_is_of_type (params, G_VARIANT_TYPE ("(sa{sv}as)")))
    {
      g_variant_get (params, "(&s@a{sv}@as)", NULL, &dict, &list);
      details = format_changes (m, dict, list);
      emit_event (m, "changed", path, subject, details, params);
    }
  else if (g_variant_is_of_type (params, G_VARIANT_TYPE ("(oa{sa{sv}})"))
           || g_variant_is_of_type (params, G_VARIANT_TYPE ("(oas)")))
    {
      g_autofree char *thread = NULL;

      g_variant_get_child (params, 0, "&o", &a);
      thread = subject_of (a);
      emit_event (m, g_str_equal (member, "InterfacesAdded") ? "added" : "removed", a, thread, "",
                  params);
    }
  else
    {
      details = g_variant_print (params, FALSE);
      emit_event (m, member, path, subject, details, params);
    }
}

static void
on_name_appeared (GDBusConnection *conn, const char *name, const char *owner, gpointer user_data)
{
  Monitor *m = user_data;

  /* The first call only reports the owner there already was. */
  if (m->owner_seen)
    emit_event (m, "service-up", HB_CTL_MANAGER_PATH, "manager", owner, NULL);
  m->owner_seen = TRUE;
}

static void
on_name_vanished (GDBusConnection *conn, const char *name, gpointer user_data)
{
  Monitor *m = user_data;

  if (m->owner_seen)
    emit_event (m, "service-down", HB_CTL_MANAGER_PATH, "manager", "", NULL);
  m->owner_seen = TRUE;
}

static gboolean
on_quit (gpointer user_data)
{
  g_main_loop_quit (((Monitor *) user_data)->loop);
  return G_SOURCE_CONTINUE;
}

gboolean
hb_ctl_cmd_monitor (HbCtl *ctl, char **args, GError **error)
{
  Monitor m = { ctl, NULL, NULL, FALSE };
  GDBusConnection *conn;
  g_autoptr(GVariant) id = NULL;
  guint sub, watch, sigint, sigterm;

  if (!hb_ctl_expect_args (args, 0, 0, "monitor", error))
    return FALSE;
  conn = hb_ctl_bus_get (ctl, error);
  if (conn == NULL)
    return FALSE;
  m.loop = g_main_loop_new (NULL, FALSE);
  m.tz = g_time_zone_new_local ();
  sub = g_dbus_connection_signal_subscribe (conn, HB_CTL_BUS_NAME, NULL, NULL, NULL, NULL,
                                            G_DBUS_SIGNAL_FLAGS_NONE, on_signal, &m, NULL);
  watch = g_bus_watch_name_on_connection (conn, HB_CTL_BUS_NAME, G_BUS_NAME_WATCHER_FLAGS_NONE,
                                          on_name_appeared, on_name_vanished, &m, NULL);
  sigint = g_unix_signal_add (SIGINT, on_quit, &m);
  sigterm = g_unix_signal_add (SIGTERM, on_quit, &m);
  /* A round trip: once the bus has answered, it has our match rule too, and whatever happens
   * from now on is shown. Only then say so (scripts and tests wait for this line). */
  id = g_dbus_connection_call_sync (conn, "org.freedesktop.DBus", "/org/freedesktop/DBus",
                                    "org.freedesktop.DBus", "GetId", NULL, G_VARIANT_TYPE ("(s)"),
                                    G_DBUS_CALL_FLAGS_NONE, -1, NULL, error);
  if (id != NULL)
    {
      g_printerr ("Monitoring crt-heartbeatd on the %s bus; Ctrl-C to stop.\n", ctl->bus_label);
      g_main_loop_run (m.loop);
    }
  g_source_remove (sigterm);
  g_source_remove (sigint);
  g_bus_unwatch_name (watch);
  g_dbus_connection_signal_unsubscribe (conn, sub);
  g_main_loop_unref (m.loop);
  g_time_zone_unref (m.tz);
  return id != NULL;
}
