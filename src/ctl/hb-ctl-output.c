/* hb-ctl-output.c: buffered text, JSON, colours, the pager. */
#include "config.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/ioctl.h>
#include <unistd.h>

#include "hb-ctl-bus.h"
#include "hb-ctl-output.h"

#define FIELD_WIDTH 16

gboolean
hb_ctl_want_color (void)
{
  const char *no_color = g_getenv ("NO_COLOR");

  if (no_color != NULL && no_color[0] != '\0')
    return FALSE;
  if (g_strcmp0 (g_getenv ("TERM"), "dumb") == 0)
    return FALSE;
  return isatty (STDOUT_FILENO);
}

void
hb_ctl_print (HbCtl *ctl, const char *format, ...)
{
  va_list ap;

  va_start (ap, format);
  g_string_append_vprintf (ctl->out, format, ap);
  va_end (ap);
}

void
hb_ctl_print_field (HbCtl *ctl, const char *label, const char *value, const char *sgr)
{
  g_autofree char *clean = hb_ctl_text_sanitize (value, FALSE);
  g_autofree char *painted = hb_ctl_paint (ctl, sgr, clean);
  g_autofree char *with_colon = g_strconcat (label, ":", NULL);

  hb_ctl_print (ctl, "%-*s %s\n", FIELD_WIDTH, with_colon, painted);
}

void
hb_ctl_print_json (HbCtl *ctl, JsonNode *node)
{
  g_autofree char *text = json_to_string (node, TRUE);

  hb_ctl_print (ctl, "%s\n", text);
  json_node_unref (node);
}

void
hb_ctl_print_json_object (HbCtl *ctl, const char *first_member, ...)
{
  JsonObject *object = json_object_new ();
  JsonNode *node = json_node_new (JSON_NODE_OBJECT);
  va_list ap;

  va_start (ap, first_member);
  for (const char *name = first_member; name != NULL; name = va_arg (ap, const char *))
    json_object_set_member (object, name, va_arg (ap, JsonNode *));
  va_end (ap);
  json_node_take_object (node, object);
  hb_ctl_print_json (ctl, node);
}

JsonNode *
hb_ctl_json_string (const char *value)
{
  return json_node_init_string (json_node_alloc (), value);
}

JsonNode *
hb_ctl_json_int (gint64 value)
{
  return json_node_init_int (json_node_alloc (), value);
}

JsonNode *
hb_ctl_json_boolean (gboolean value)
{
  return json_node_init_boolean (json_node_alloc (), value);
}

JsonNode *
hb_ctl_variant_to_json (GVariant *value)
{
  g_autoptr(GVariant) owned = g_variant_take_ref (value);

  return json_gvariant_serialize (owned);
}

char *
hb_ctl_paint (HbCtl *ctl, const char *sgr, const char *text)
{
  if (!ctl->color || sgr == NULL || text[0] == '\0')
    return g_strdup (text);
  return g_strconcat (sgr, text, "\033[0m", NULL);
}

const char *
hb_ctl_status_color (const char *status)
{
  static const struct { const char *status; const char *sgr; } colors[] = {
    { "acted", HB_CTL_GREEN }, { "valid", HB_CTL_GREEN }, { "dry-run", HB_CTL_GREEN },
    { "skipped", HB_CTL_YELLOW }, { "invalid", HB_CTL_RED }, { "failed", HB_CTL_RED },
    { "interrupted", HB_CTL_RED },
  };

  for (guint i = 0; i < G_N_ELEMENTS (colors); i++)
    if (g_strcmp0 (status, colors[i].status) == 0)
      return colors[i].sgr;
  return NULL;
}

const char *
hb_ctl_table_status_color (guint column, const char *cell)
{
  if (g_str_equal (cell, "no"))
    return HB_CTL_YELLOW;
  return hb_ctl_status_color (cell);
}

char *
hb_ctl_describe_action (GVariant *action)
{
  const char *kind = hb_ctl_dict_string (action, "action");
  gint64 post_id = hb_ctl_dict_int64 (action, "post_id", -1);

  if (g_str_equal (kind, "post"))
    return g_strdup_printf ("post \"%s\"", hb_ctl_dict_string (action, "title"));
  if (g_str_equal (kind, "comment"))
    return g_strdup_printf ("comment on post %" G_GINT64_FORMAT, post_id);
  if (g_str_equal (kind, "vote"))
    return g_strdup_printf ("vote %s on post %" G_GINT64_FORMAT,
                            hb_ctl_dict_string (action, "vote_direction"), post_id);
  return g_strdup (kind[0] != '\0' ? kind : "none");
}

char *
hb_ctl_describe_actions (GVariant *actions)
{
  GString *s = g_string_new (NULL);
  GVariantIter iter;
  GVariant *action;

  if (actions == NULL || !g_variant_is_of_type (actions, G_VARIANT_TYPE ("aa{sv}")))
    return g_string_free (s, FALSE);
  g_variant_iter_init (&iter, actions);
  while ((action = g_variant_iter_next_value (&iter)) != NULL)
    {
      g_autofree char *one = hb_ctl_describe_action (action);

      if (s->len > 0)
        g_string_append (s, "; ");
      g_string_append (s, one);
      g_variant_unref (action);
    }
  return g_string_free (s, FALSE);
}

/* ---- the pager ---- */

static guint
terminal_rows (void)
{
  struct winsize ws = { 0 };

  if (ioctl (STDOUT_FILENO, TIOCGWINSZ, &ws) == 0 && ws.ws_row > 0)
    return ws.ws_row;
  return 24;
}

static guint
count_lines (const GString *text)
{
  guint n = 0;

  for (gsize i = 0; i < text->len; i++)
    if (text->str[i] == '\n')
      n++;
  return n;
}

static void
write_stdout (const char *data, gsize len)
{
  if (len > 0 && fwrite (data, 1, len, stdout) != len && errno != EPIPE)
    g_printerr ("crt-heartbeatctl: cannot write the output: %s\n", g_strerror (errno));
  fflush (stdout);
}

static gboolean
run_pager (const char *pager, const GString *text)
{
  const char *argv[] = { "/bin/sh", "-c", pager, NULL };
  g_autoptr(GSubprocessLauncher) launcher = g_subprocess_launcher_new (G_SUBPROCESS_FLAGS_STDIN_PIPE);
  g_autoptr(GSubprocess) proc = NULL;
  g_autoptr(GError) error = NULL;
  GOutputStream *in;

  /* less's own defaults when the user has none: quit if one screen, keep colours, no clear. */
  if (g_getenv ("LESS") == NULL)
    g_subprocess_launcher_setenv (launcher, "LESS", "FRX", TRUE);
  proc = g_subprocess_launcher_spawnv (launcher, argv, &error);
  if (proc == NULL)
    return FALSE;
  in = g_subprocess_get_stdin_pipe (proc);
  /* EPIPE when the user quits the pager early is normal: SIGPIPE is ignored in main. */
  g_output_stream_write_all (in, text->str, text->len, NULL, NULL, NULL);
  g_output_stream_close (in, NULL, NULL);
  g_subprocess_wait (proc, NULL, NULL);
  return TRUE;
}

void
hb_ctl_output_flush (HbCtl *ctl, gboolean pager_allowed)
{
  const char *pager = g_getenv ("PAGER");

  if (pager == NULL)
    pager = "less -FRX";
  if (pager_allowed && pager[0] != '\0' && !g_str_equal (pager, "cat")
      && isatty (STDOUT_FILENO) && count_lines (ctl->out) >= terminal_rows ()
      && run_pager (pager, ctl->out))
    {
      g_string_truncate (ctl->out, 0);
      return;
    }
  write_stdout (ctl->out->str, ctl->out->len);
  g_string_truncate (ctl->out, 0);
}
