/* hb-ctl-cmd-run.c: run, preview, monitor: heartbeats and the events they cause. */
#include "config.h"

#include <stdio.h>
#include <string.h>
#include <unistd.h>
#include <glib-unix.h>

#include "hb-ctl.h"
#include "hb-ctl-bus.h"
#include "hb-ctl-output.h"

/* ---- run ---- */

typedef struct {
  const char *thread_id;
  char *run_id;            /* NULL until RunNow has replied */
  GPtrArray *results;      /* a{sv} of every HeartbeatCompleted seen for the thread */
  gboolean owner_seen;
  gboolean vanished;
  gboolean interrupted;
} RunWait;

static void
on_completed (GDBusConnection *conn, const char *sender, const char *path, const char *iface,
              const char *signal, GVariant *params, gpointer user_data)
{
  RunWait *w = user_data;
  const char *thread_id;
  GVariant *result;

  if (!g_variant_is_of_type (params, G_VARIANT_TYPE ("(sa{sv})")))
    return;
  g_variant_get (params, "(&s@a{sv})", &thread_id, &result);
  if (g_str_equal (thread_id, w->thread_id))
    g_ptr_array_add (w->results, result);
  else
    g_variant_unref (result);
}

static void
on_name_appeared (GDBusConnection *conn, const char *name, const char *owner, gpointer user_data)
{
  ((RunWait *) user_data)->owner_seen = TRUE;
}

static void
on_name_vanished (GDBusConnection *conn, const char *name, gpointer user_data)
{
  RunWait *w = user_data;

  /* Before the first owner this is only activation still under way. */
  if (w->owner_seen || conn == NULL)
    w->vanished = TRUE;
}

static gboolean
on_interrupt (gpointer user_data)
{
  ((RunWait *) user_data)->interrupted = TRUE;
  return G_SOURCE_CONTINUE;
}

static GVariant *
find_result (RunWait *w)
{
  for (guint i = 0; w->run_id != NULL && i < w->results->len; i++)
    if (g_str_equal (hb_ctl_dict_string (w->results->pdata[i], "run_id"), w->run_id))
      return g_variant_ref (w->results->pdata[i]);
  return NULL;
}

static gboolean
is_failure (const char *status)
{
  return g_str_equal (status, "failed") || g_str_equal (status, "invalid")
         || g_str_equal (status, "interrupted");
}

static void
print_result (HbCtl *ctl, GVariant *r)
{
  const char *status = hb_ctl_dict_string (r, "status");
  const char *reason = hb_ctl_dict_string (r, "reason");
  const char *err = hb_ctl_dict_string (r, "error");
  const char *reasoning = hb_ctl_dict_string (r, "reasoning");
  g_autofree char *action = hb_ctl_describe_action (r);
  g_autofree char *outcome = reason[0] != '\0' ? g_strdup_printf ("%s (%s)", status, reason)
                                               : g_strdup (status);
  guint64 started = hb_ctl_dict_uint64 (r, "started_at");
  guint64 finished = hb_ctl_dict_uint64 (r, "finished_at");
  gint64 ledger = hb_ctl_dict_int64 (r, "ledger_id", -1);

  hb_ctl_print_field (ctl, "Run", hb_ctl_dict_string (r, "run_id"), NULL);
  hb_ctl_print_field (ctl, "Thread", hb_ctl_dict_string (r, "thread_id"), NULL);
  hb_ctl_print_field (ctl, "Status", outcome, hb_ctl_status_color (status));
  hb_ctl_print_field (ctl, "Action", action, NULL);
  hb_ctl_print_field (ctl, "Summary", hb_ctl_dict_string (r, "summary"), NULL);
  if (reasoning[0] != '\0')
    hb_ctl_print_field (ctl, "Reasoning", reasoning, NULL);
  if (err[0] != '\0')
    hb_ctl_print_field (ctl, "Error", err, HB_CTL_RED);
  if (ledger >= 0)
    {
      g_autofree char *row = g_strdup_printf ("%" G_GINT64_FORMAT, ledger);

      hb_ctl_print_field (ctl, "Ledger row", row, NULL);
    }
  if (hb_ctl_dict_boolean (r, "dry_run"))
    hb_ctl_print_field (ctl, "Dry run", "yes: nothing was written", NULL);
  hb_ctl_print_field (ctl, "Model", hb_ctl_dict_string (r, "model"), NULL);
  if (started != 0 && finished >= started)
    {
      g_autofree char *took = g_strdup_printf ("%.1f s", (finished - started) / 1e6);

      hb_ctl_print_field (ctl, "Took", took, NULL);
    }
}

static gboolean
wait_for_run (HbCtl *ctl, RunWait *w, GVariant **result, GError **error)
{
  GDBusConnection *conn = hb_ctl_bus_get (ctl, error);
  g_autoptr(GVariant) reply = NULL;
  guint sub, watch, sigint;

  if (conn == NULL)
    return FALSE;
  /* Subscribed before RunNow is sent: the bus handles our messages in order, so the match is in
   * force before the run can finish. The thread is filtered here, not by an arg0 match. */
  sub = g_dbus_connection_signal_subscribe (conn, HB_CTL_BUS_NAME, HB_CTL_MANAGER_IFACE,
                                            "HeartbeatCompleted", HB_CTL_MANAGER_PATH, NULL,
                                            G_DBUS_SIGNAL_FLAGS_NONE, on_completed, w, NULL);
  watch = g_bus_watch_name_on_connection (conn, HB_CTL_BUS_NAME, G_BUS_NAME_WATCHER_FLAGS_NONE,
                                          on_name_appeared, on_name_vanished, w, NULL);
  sigint = g_unix_signal_add (SIGINT, on_interrupt, w);
  reply = hb_ctl_call (ctl, HB_CTL_MANAGER_PATH, HB_CTL_MANAGER_IFACE, "RunNow",
                       g_variant_new ("(s)", w->thread_id), "(s)", TRUE, -1, error);
  if (reply != NULL)
    {
      g_variant_get (reply, "(s)", &w->run_id);
      w->owner_seen = TRUE;   /* it answered, so it owns the name now */
      while ((*result = find_result (w)) == NULL && !w->vanished && !w->interrupted)
        g_main_context_iteration (NULL, TRUE);
    }
  g_source_remove (sigint);
  g_bus_unwatch_name (watch);
  g_dbus_connection_signal_unsubscribe (conn, sub);
  if (reply == NULL)
    return FALSE;
  if (*result != NULL)
    return TRUE;
  if (w->vanished)
    g_set_error (error, HB_CTL_ERROR, HB_CTL_ERROR_UNREACHABLE,
                 "crt-heartbeatd went away before run %s finished", w->run_id);
  else
    g_set_error (error, HB_CTL_ERROR, HB_CTL_ERROR_FAILED,
                 "Interrupted; run %s goes on in the daemon", w->run_id);
  return FALSE;
}

gboolean
hb_ctl_cmd_run (HbCtl *ctl, char **args, GError **error)
{
  RunWait w = { 0 };
  g_autoptr(GVariant) result = NULL;
  g_autoptr(GVariant) reply = NULL;
  gboolean ok;

  if (!hb_ctl_expect_args (args, 1, 1, "run THREAD [--wait]", error))
    return FALSE;
  w.thread_id = args[0];
  if (!ctl->opts.wait)
    {
      reply = hb_ctl_call (ctl, HB_CTL_MANAGER_PATH, HB_CTL_MANAGER_IFACE, "RunNow",
                           g_variant_new ("(s)", w.thread_id), "(s)", TRUE, -1, error);
      if (reply == NULL)
        return FALSE;
      g_variant_get (reply, "(s)", &w.run_id);
      if (ctl->json)
        hb_ctl_print_json_object (ctl, "thread_id", hb_ctl_json_string (w.thread_id),
                                  "run_id", hb_ctl_json_string (w.run_id), NULL);
      else
        hb_ctl_print (ctl, "Started run %s.\n", w.run_id);
      g_free (w.run_id);
      return TRUE;
    }

  w.results = g_ptr_array_new_with_free_func ((GDestroyNotify) g_variant_unref);
  ok = wait_for_run (ctl, &w, &result, error);
  g_ptr_array_unref (w.results);
  g_free (w.run_id);
  if (!ok)
    return FALSE;
  ctl->exit_failure = is_failure (hb_ctl_dict_string (result, "status"));
  if (ctl->json)
    hb_ctl_print_json (ctl, hb_ctl_variant_to_json (g_steal_pointer (&result)));
  else
    print_result (ctl, result);
  return TRUE;
}

/* ---- preview ---- */

static void
print_block (HbCtl *ctl, const char *heading, const char *text)
{
  g_autofree char *painted = hb_ctl_paint (ctl, HB_CTL_BOLD, heading);
  g_autofree char *clean = hb_ctl_text_sanitize (text, TRUE);

  hb_ctl_print (ctl, "%s\n%s%s\n", painted, clean,
                clean[0] != '\0' && !g_str_has_suffix (clean, "\n") ? "\n" : "");
}

gboolean
hb_ctl_cmd_preview (HbCtl *ctl, char **args, GError **error)
{
  g_autofree char *path = NULL;
  g_autoptr(GVariant) reply = NULL;
  g_autoptr(GVariant) preview = NULL;
  g_autoptr(GVariant) action = NULL;
  g_autofree char *heading = NULL;
  g_autofree char *verdict_text = NULL;
  g_autofree char *described = NULL;
  const char *verdict, *reason, *err, *reasoning;

  if (!hb_ctl_expect_args (args, 1, 1, "preview THREAD", error))
    return FALSE;
  path = hb_ctl_thread_path (ctl, args[0], error);
  if (path == NULL)
    return FALSE;
  /* It lasts as long as the model takes; the daemon enforces its own deadlines. */
  reply = hb_ctl_call (ctl, path, HB_CTL_THREAD_IFACE, "Preview", NULL, "(a{sv})", TRUE,
                       G_MAXINT, error);
  if (reply == NULL)
    return FALSE;
  preview = g_variant_get_child_value (reply, 0);
  verdict = hb_ctl_dict_string (preview, "verdict");
  ctl->exit_failure = g_str_equal (verdict, "failed");
  if (ctl->json)
    {
      hb_ctl_print_json (ctl, hb_ctl_variant_to_json (g_steal_pointer (&preview)));
      return TRUE;
    }
  reason = hb_ctl_dict_string (preview, "reason");
  err = hb_ctl_dict_string (preview, "error");
  action = g_variant_lookup_value (preview, "action", G_VARIANT_TYPE ("a{sv}"));
  described = hb_ctl_describe_action (action);
  reasoning = hb_ctl_dict_string (action, "reasoning");
  heading = g_strdup_printf ("Prompt (model %s):", hb_ctl_dict_string (preview, "model"));
  print_block (ctl, heading, hb_ctl_dict_string (preview, "prompt"));
  print_block (ctl, "Reply:", hb_ctl_dict_string (preview, "raw_response"));
  verdict_text = reason[0] != '\0' ? g_strdup_printf ("%s (%s)", verdict, reason)
                                   : g_strdup (verdict);
  hb_ctl_print_field (ctl, "Verdict", verdict_text, hb_ctl_status_color (verdict));
  hb_ctl_print_field (ctl, "Action", described, NULL);
  if (reasoning[0] != '\0')
    hb_ctl_print_field (ctl, "Reasoning", reasoning, NULL);
  if (err[0] != '\0')
    hb_ctl_print_field (ctl, "Error", err, HB_CTL_RED);
  return TRUE;
}
