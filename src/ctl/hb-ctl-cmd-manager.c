/* hb-ctl-cmd-manager.c: status, start, stop and instructions: the daemon as a whole. */
#include "config.h"

#include <errno.h>
#include <string.h>
#include <unistd.h>
#include <gio/gunixinputstream.h>
#include <glib/gstdio.h>

#include "hb-ctl.h"
#include "hb-ctl-bus.h"
#include "hb-ctl-output.h"

/* ---- status ---- */

static char *
format_version (guint32 v)
{
  return g_strdup_printf ("%u.%u.%u", v / 10000, (v / 100) % 100, v % 100);
}

gboolean
hb_ctl_cmd_status (HbCtl *ctl, char **args, GError **error)
{
  g_autoptr(GVariant) props = NULL;
  g_autoptr(GTimeZone) tz = g_time_zone_new_local ();
  g_autofree char *version = NULL;
  g_autofree char *runs = NULL;
  g_autofree char *wakeup = NULL;
  g_autofree char *backend = NULL;
  g_autofree char *threads = NULL;
  g_autofree const char **paths = NULL;
  const char *state;
  gboolean enabled;

  if (!hb_ctl_expect_args (args, 0, 0, "status", error))
    return FALSE;
  props = hb_ctl_get_all (ctl, HB_CTL_MANAGER_PATH, HB_CTL_MANAGER_IFACE, error);
  if (props == NULL)
    return FALSE;
  if (ctl->json)
    {
      JsonNode *node = hb_ctl_variant_to_json (g_variant_ref (props));

      json_object_set_string_member (json_node_get_object (node), "Bus", ctl->bus_label);
      hb_ctl_print_json (ctl, node);
      return TRUE;
    }

  enabled = hb_ctl_dict_boolean (props, "Enabled");
  state = hb_ctl_dict_string (props, "BackendState");
  version = format_version (hb_ctl_dict_uint32 (props, "Version"));
  runs = g_strdup_printf ("%u active, %u queued (at most %u at once)",
                          hb_ctl_dict_uint32 (props, "ActiveRuns"),
                          hb_ctl_dict_uint32 (props, "QueuedRuns"),
                          hb_ctl_dict_uint32 (props, "MaxConcurrent"));
  wakeup = hb_ctl_dict_uint64 (props, "NextWakeup") != 0
             ? hb_ctl_format_time (hb_ctl_dict_uint64 (props, "NextWakeup"),
                                   g_get_real_time (), tz)
             : g_strdup ("none");
  backend = g_strdup_printf ("%s (%s)", state, hb_ctl_dict_string (props, "BackendUrl"));
  if (!g_variant_lookup (props, "Threads", "^a&o", &paths))
    paths = NULL;
  threads = g_strdup_printf ("%u", paths != NULL ? g_strv_length ((char **) paths) : 0);

  hb_ctl_print_field (ctl, "Scheduler", enabled ? "running" : "stopped",
                      enabled ? HB_CTL_GREEN : HB_CTL_YELLOW);
  hb_ctl_print_field (ctl, "Runs", runs, NULL);
  hb_ctl_print_field (ctl, "Next wake-up", wakeup, NULL);
  hb_ctl_print_field (ctl, "Backend", backend,
                      g_str_equal (state, "available") ? HB_CTL_GREEN
                      : g_str_equal (state, "unknown") ? NULL : HB_CTL_RED);
  if (hb_ctl_dict_boolean (props, "BreakerOpen"))
    hb_ctl_print_field (ctl, "Circuit breaker", "open: no model calls until the backend answers",
                        HB_CTL_RED);
  hb_ctl_print_field (ctl, "Default model", hb_ctl_dict_string (props, "DefaultModel"), NULL);
  hb_ctl_print_field (ctl, "Threads", threads, NULL);
  hb_ctl_print_field (ctl, "Bus", ctl->bus_label, NULL);
  hb_ctl_print_field (ctl, "Version", version, NULL);
  return TRUE;
}

/* ---- start, stop ---- */

static gboolean
set_enabled (HbCtl *ctl, char **args, gboolean enable, GError **error)
{
  g_autoptr(GVariant) reply = NULL;

  if (!hb_ctl_expect_args (args, 0, 0, enable ? "start" : "stop", error))
    return FALSE;
  reply = hb_ctl_call (ctl, HB_CTL_MANAGER_PATH, HB_CTL_MANAGER_IFACE, enable ? "Start" : "Stop",
                       NULL, "()", TRUE, -1, error);
  if (reply == NULL)
    return FALSE;
  if (ctl->json)
    hb_ctl_print_json_object (ctl, "enabled", hb_ctl_json_boolean (enable), NULL);
  else
    hb_ctl_print (ctl, "%s\n", enable ? "Scheduler started." : "Scheduler stopped.");
  return TRUE;
}

gboolean
hb_ctl_cmd_start (HbCtl *ctl, char **args, GError **error)
{
  return set_enabled (ctl, args, TRUE, error);
}

gboolean
hb_ctl_cmd_stop (HbCtl *ctl, char **args, GError **error)
{
  return set_enabled (ctl, args, FALSE, error);
}

/* ---- instructions ---- */

typedef struct {
  char *content;
  guint64 modified;
  char *path;
} Instructions;

static void
instructions_clear (Instructions *in)
{
  g_free (in->content);
  g_free (in->path);
}

G_DEFINE_AUTO_CLEANUP_CLEAR_FUNC (Instructions, instructions_clear)

static gboolean
get_instructions (HbCtl *ctl, Instructions *in, GError **error)
{
  g_autoptr(GVariant) reply = NULL;

  reply = hb_ctl_call (ctl, HB_CTL_MANAGER_PATH, HB_CTL_MANAGER_IFACE, "GetHeartbeatMd", NULL,
                       "(sts)", FALSE, -1, error);
  if (reply == NULL)
    return FALSE;
  g_variant_get (reply, "(sts)", &in->content, &in->modified, &in->path);
  return TRUE;
}

static gboolean
set_instructions (HbCtl *ctl, const char *content, gsize size, const char *origin,
                  GError **error)
{
  g_autoptr(GVariant) reply = NULL;

  /* g_variant_new_string needs UTF-8 without NUL bytes; say so by name rather than crash. */
  if (!g_utf8_validate (content, size, NULL))
    {
      g_set_error (error, HB_CTL_ERROR, HB_CTL_ERROR_FAILED,
                   "%s: not UTF-8 text (or it holds NUL bytes)", origin);
      return FALSE;
    }
  reply = hb_ctl_call (ctl, HB_CTL_MANAGER_PATH, HB_CTL_MANAGER_IFACE, "SetHeartbeatMd",
                       g_variant_new ("(s)", content), "()", TRUE, -1, error);
  return reply != NULL;
}

static void
print_outcome (HbCtl *ctl, gboolean changed, gsize size, const char *text)
{
  if (ctl->json)
    hb_ctl_print_json_object (ctl, "changed", hb_ctl_json_boolean (changed),
                              "size", hb_ctl_json_int ((gint64) size), NULL);
  else
    hb_ctl_print (ctl, "%s\n", text);
}

static gboolean
instructions_show (HbCtl *ctl, GError **error)
{
  g_auto(Instructions) in = { 0 };

  if (!get_instructions (ctl, &in, error))
    return FALSE;
  if (ctl->json)
    {
      hb_ctl_print_json_object (ctl, "content", hb_ctl_json_string (in.content),
                                "modified", hb_ctl_json_int ((gint64) in.modified),
                                "path", hb_ctl_json_string (in.path), NULL);
      return TRUE;
    }
  if (in.content[0] == '\0')
    {
      g_printerr ("%s is empty or missing.\n", in.path);
      return TRUE;
    }
  {
    g_autofree char *clean = hb_ctl_text_sanitize (in.content, TRUE);

    hb_ctl_print (ctl, "%s%s", clean, g_str_has_suffix (clean, "\n") ? "" : "\n");
  }
  return TRUE;
}

static gboolean
instructions_set_file (HbCtl *ctl, const char *file, GError **error)
{
  g_autofree char *content = NULL;
  g_autoptr(GError) local = NULL;
  gsize size = 0;
  g_autofree char *done = NULL;

  if (g_str_equal (file, "-"))
    {
      g_autoptr(GInputStream) in = g_unix_input_stream_new (STDIN_FILENO, FALSE);
      g_autoptr(GOutputStream) mem = g_memory_output_stream_new_resizable ();

      if (g_output_stream_splice (mem, in, G_OUTPUT_STREAM_SPLICE_CLOSE_TARGET, NULL, &local) < 0)
        {
          g_set_error (error, HB_CTL_ERROR, HB_CTL_ERROR_FAILED, "stdin: %s", local->message);
          return FALSE;
        }
      size = g_memory_output_stream_get_data_size (G_MEMORY_OUTPUT_STREAM (mem));
      /* NUL-terminated for g_variant_new_string; the size excludes it. */
      g_output_stream_write_all (mem, "", 1, NULL, NULL, NULL);
      content = g_memory_output_stream_steal_data (G_MEMORY_OUTPUT_STREAM (mem));
    }
  else if (!g_file_get_contents (file, &content, &size, &local))
    {
      g_set_error_literal (error, HB_CTL_ERROR, HB_CTL_ERROR_FAILED, local->message);
      return FALSE;
    }
  if (!set_instructions (ctl, content, size, file, error))
    return FALSE;
  done = g_strdup_printf ("HEARTBEAT.md replaced (%" G_GSIZE_FORMAT " bytes).", size);
  print_outcome (ctl, TRUE, size, done);
  return TRUE;
}

static gboolean
run_editor (const char *path, GError **error)
{
  const char *editor = g_getenv ("EDITOR");
  g_autofree char *quoted = g_shell_quote (path);
  g_autofree char *command = NULL;
  const char *argv[] = { "/bin/sh", "-c", NULL, NULL };
  g_autoptr(GError) local = NULL;
  int wait_status = 0;

  if (editor == NULL || editor[0] == '\0')
    editor = g_getenv ("VISUAL");
  if (editor == NULL || editor[0] == '\0')
    editor = "vi";
  /* Through the shell: EDITOR may carry arguments ("emacs -nw"). */
  command = g_strdup_printf ("%s %s", editor, quoted);
  argv[2] = command;
  if (!g_spawn_sync (NULL, (char **) argv, NULL, G_SPAWN_CHILD_INHERITS_STDIN, NULL, NULL, NULL,
                     NULL, &wait_status, &local)
      || !g_spawn_check_wait_status (wait_status, &local))
    {
      g_set_error (error, HB_CTL_ERROR, HB_CTL_ERROR_FAILED, "The editor (%s) failed: %s",
                   editor, local->message);
      return FALSE;
    }
  return TRUE;
}

static gboolean
instructions_edit (HbCtl *ctl, GError **error)
{
  g_auto(Instructions) in = { 0 };
  g_autofree char *tmp = NULL;
  g_autofree char *edited = NULL;
  g_autoptr(GError) local = NULL;
  gsize size = 0;
  int fd;

  if (!get_instructions (ctl, &in, error))
    return FALSE;
  fd = g_file_open_tmp ("HEARTBEAT-XXXXXX.md", &tmp, &local);
  if (fd < 0)
    {
      g_set_error_literal (error, HB_CTL_ERROR, HB_CTL_ERROR_FAILED, local->message);
      return FALSE;
    }
  close (fd);
  if (!g_file_set_contents (tmp, in.content, -1, &local) || !run_editor (tmp, &local)
      || !g_file_get_contents (tmp, &edited, &size, &local))
    {
      g_unlink (tmp);
      g_set_error_literal (error, HB_CTL_ERROR, HB_CTL_ERROR_FAILED, local->message);
      return FALSE;
    }
  if (strlen (in.content) == size && memcmp (in.content, edited, size) == 0)
    {
      g_unlink (tmp);
      print_outcome (ctl, FALSE, size, "HEARTBEAT.md unchanged.");
      return TRUE;
    }
  if (!set_instructions (ctl, edited, size, tmp, &local))
    {
      /* Keep the user's work. */
      g_autofree char *message = hb_ctl_error_message (local);

      g_set_error (error, HB_CTL_ERROR, hb_ctl_error_exit_code (local) == HB_CTL_EXIT_UNREACHABLE
                                          ? HB_CTL_ERROR_UNREACHABLE : HB_CTL_ERROR_FAILED,
                   "%s (your text is kept in %s)", message, tmp);
      return FALSE;
    }
  g_unlink (tmp);
  print_outcome (ctl, TRUE, size, "HEARTBEAT.md replaced.");
  return TRUE;
}

gboolean
hb_ctl_cmd_instructions (HbCtl *ctl, char **args, GError **error)
{
  const char *usage = "instructions [--edit | set FILE]";

  if (args[0] != NULL && g_str_equal (args[0], "set"))
    {
      if (ctl->opts.edit)
        {
          g_set_error (error, HB_CTL_ERROR, HB_CTL_ERROR_USAGE, "--edit does not go with set");
          return FALSE;
        }
      if (!hb_ctl_expect_args (args + 1, 1, 0, usage, error))
        return FALSE;
      return instructions_set_file (ctl, args[1], error);
    }
  if (!hb_ctl_expect_args (args, 0, 0, usage, error))
    return FALSE;
  return ctl->opts.edit ? instructions_edit (ctl, error) : instructions_show (ctl, error);
}
