/* hb-ctl.c: crt-heartbeatctl's command line: options, the command table, exit codes. */
#include "config.h"

#include <locale.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <glib/gi18n.h>

#include "hb-ctl.h"
#include "hb-ctl-bus.h"
#include "hb-ctl-output.h"

typedef struct {
  const char *name;
  HbCtlCommandFunc func;
  const char *usage;       /* arguments, for --help and usage errors */
  const char *summary;
  gboolean pager;          /* whether long output may go through the pager */
} Command;

static const Command commands[] = {
  { "status", hb_ctl_cmd_status, "", N_("Show the scheduler, the backend and the next wake-up"), TRUE },
  { "list", hb_ctl_cmd_list, "[-q]", N_("List the threads"), TRUE },
  { "show", hb_ctl_cmd_show, "THREAD", N_("Show a thread's configuration and last result"), TRUE },
  { "history", hb_ctl_cmd_history, "THREAD [-n N]", N_("Show a thread's past runs"), TRUE },
  { "set", hb_ctl_cmd_set, "THREAD KEY=VALUE...", N_("Change a thread's configuration"), TRUE },
  { "reset", hb_ctl_cmd_reset, "THREAD", N_("Return a thread to the defaults"), TRUE },
  { "add", hb_ctl_cmd_add, "THREAD", N_("Add a thread"), TRUE },
  { "run", hb_ctl_cmd_run, "THREAD [--wait]", N_("Run a heartbeat now"), TRUE },
  { "preview", hb_ctl_cmd_preview, "THREAD", N_("Show the prompt, the reply and the verdict"), TRUE },
  { "start", hb_ctl_cmd_start, "", N_("Start scheduling heartbeats"), TRUE },
  { "stop", hb_ctl_cmd_stop, "", N_("Stop scheduling heartbeats"), TRUE },
  { "monitor", hb_ctl_cmd_monitor, "", N_("Follow runs and changes until Ctrl-C"), FALSE },
  { "instructions", hb_ctl_cmd_instructions, "[--edit | set FILE]",
    N_("Show, edit or replace HEARTBEAT.md"), TRUE },
};

static const Command *
find_command (const char *name)
{
  for (guint i = 0; i < G_N_ELEMENTS (commands); i++)
    if (g_str_equal (commands[i].name, name))
      return &commands[i];
  return NULL;
}

gboolean
hb_ctl_expect_args (char **args, guint n, guint n_threads, const char *usage, GError **error)
{
  guint have = g_strv_length (args);

  if (have != n)
    {
      if (have < n)
        g_set_error (error, HB_CTL_ERROR, HB_CTL_ERROR_USAGE, "missing arguments (usage: %s)",
                     usage);
      else
        g_set_error (error, HB_CTL_ERROR, HB_CTL_ERROR_USAGE,
                     "unexpected argument \"%s\" (usage: %s)", args[n], usage);
      return FALSE;
    }
  for (guint i = 0; i < n_threads; i++)
    {
      if (args[i][0] == '\0' || !g_utf8_validate (args[i], -1, NULL))
        {
          g_set_error (error, HB_CTL_ERROR, HB_CTL_ERROR_USAGE,
                       "a thread id must be non-empty UTF-8 text");
          return FALSE;
        }
    }
  return TRUE;
}

static char *
commands_help (void)
{
  GString *s = g_string_new (_("Commands:"));

  for (guint i = 0; i < G_N_ELEMENTS (commands); i++)
    {
      g_autofree char *call = g_strjoin (" ", commands[i].name, commands[i].usage, NULL);

      g_string_append_printf (s, "\n  %-34s %s", call, _(commands[i].summary));
    }
  g_string_append (s, _("\n\nExit status: 0 ok, 1 failure, 2 usage error, 3 service not reachable."));
  return g_string_free (s, FALSE);
}

/* Command options given to a command that has none of them. */
static gboolean
check_command_options (const char *name, const HbCtlCommandOptions *o, GError **error)
{
  const char *misplaced = NULL;

  if (o->wait && !g_str_equal (name, "run"))
    misplaced = "--wait";
  else if (o->edit && !g_str_equal (name, "instructions"))
    misplaced = "--edit";
  else if (o->limit != 0 && !g_str_equal (name, "history"))
    misplaced = "-n";
  else if (o->quiet && !g_str_equal (name, "list"))
    misplaced = "--quiet";
  if (misplaced != NULL)
    {
      g_set_error (error, HB_CTL_ERROR, HB_CTL_ERROR_USAGE, "%s does not apply to %s", misplaced,
                   name);
      return FALSE;
    }
  if (o->limit < 0 || o->limit > 1000)
    {
      g_set_error (error, HB_CTL_ERROR, HB_CTL_ERROR_USAGE, "-n: must be between 1 and 1000");
      return FALSE;
    }
  return TRUE;
}

static int
fail (HbCtl *ctl, const GError *error)
{
  g_autofree char *message = hb_ctl_error_message (error);
  HbCtlExit code = hb_ctl_error_exit_code (error);

  g_printerr ("%s: %s\n", g_get_prgname (), message);
  if (code == HB_CTL_EXIT_USAGE)
    g_printerr (_("Try '%s --help' for more information.\n"), g_get_prgname ());
  return code;
}

int
main (int argc, char **argv)
{
  gboolean opt_system = FALSE, opt_session = FALSE, opt_json = FALSE, opt_no_pager = FALSE;
  gboolean opt_version = FALSE;
  HbCtl ctl = { 0 };
  const GOptionEntry entries[] = {
    { "system", 0, 0, G_OPTION_ARG_NONE, &opt_system, N_("Talk to the daemon on the system bus"), NULL },
    { "session", 0, 0, G_OPTION_ARG_NONE, &opt_session, N_("Talk to the daemon on the session bus"), NULL },
    { "json", 0, 0, G_OPTION_ARG_NONE, &opt_json, N_("Print JSON"), NULL },
    { "no-pager", 0, 0, G_OPTION_ARG_NONE, &opt_no_pager, N_("Never page the output"), NULL },
    { "version", 0, 0, G_OPTION_ARG_NONE, &opt_version, N_("Print the version and exit"), NULL },
    { "wait", 'w', 0, G_OPTION_ARG_NONE, &ctl.opts.wait, N_("run: wait for the result"), NULL },
    { "edit", 'e', 0, G_OPTION_ARG_NONE, &ctl.opts.edit, N_("instructions: open $EDITOR"), NULL },
    { "lines", 'n', 0, G_OPTION_ARG_INT, &ctl.opts.limit, N_("history: show N runs"), N_("N") },
    { "quiet", 'q', 0, G_OPTION_ARG_NONE, &ctl.opts.quiet, N_("list: thread ids only"), NULL },
    { NULL }
  };
  g_autoptr(GOptionContext) context = NULL;
  g_autoptr(GError) error = NULL;
  g_autofree char *help = NULL;
  const Command *command;
  const char *name;
  char **args;
  int status;

  setlocale (LC_ALL, "");
  bindtextdomain (GETTEXT_PACKAGE, LOCALEDIR);
  bind_textdomain_codeset (GETTEXT_PACKAGE, "UTF-8");
  textdomain (GETTEXT_PACKAGE);
  g_set_prgname ("crt-heartbeatctl");
  /* A pager quit early closes our stdout: a write error, not a death by SIGPIPE. */
  signal (SIGPIPE, SIG_IGN);

  context = g_option_context_new (_("[COMMAND [ARGUMENTS...]]"));
  g_option_context_set_summary (context, _("Control crt-heartbeatd, the heartbeat scheduler."));
  help = commands_help ();
  g_option_context_set_description (context, help);
  g_option_context_add_main_entries (context, entries, GETTEXT_PACKAGE);
  ctl.out = g_string_new (NULL);
  if (!g_option_context_parse (context, &argc, &argv, &error))
    {
      g_autoptr(GError) usage = g_error_new_literal (HB_CTL_ERROR, HB_CTL_ERROR_USAGE,
                                                     error->message);

      status = fail (&ctl, usage);
      g_string_free (ctl.out, TRUE);
      return status;
    }
  if (opt_version)
    {
      g_print ("%s %s\n", g_get_prgname (), PACKAGE_VERSION);
      g_string_free (ctl.out, TRUE);
      return HB_CTL_EXIT_OK;
    }

  /* "--" lets a thread id start with a dash; GOption may leave it in place: drop the first. */
  args = argv + 1;
  for (guint i = 0; args[i] != NULL; i++)
    if (g_str_equal (args[i], "--"))
      {
        memmove (&args[i], &args[i + 1], sizeof (char *) * g_strv_length (&args[i]));
        break;
      }
  name = args[0] != NULL ? args[0] : "status";
  command = find_command (name);
  if (args[0] != NULL)
    args++;

  if (command == NULL)
    g_set_error (&error, HB_CTL_ERROR, HB_CTL_ERROR_USAGE, "unknown command \"%s\"", name);
  else if (opt_system && opt_session)
    g_set_error_literal (&error, HB_CTL_ERROR, HB_CTL_ERROR_USAGE,
                         "--system and --session exclude each other");
  if (error != NULL || !check_command_options (command->name, &ctl.opts, &error))
    {
      status = fail (&ctl, error);
      g_string_free (ctl.out, TRUE);
      return status;
    }

  ctl.bus_choice = opt_session ? HB_CTL_BUS_SESSION : opt_system ? HB_CTL_BUS_SYSTEM
                                                                 : HB_CTL_BUS_AUTO;
  ctl.json = opt_json;
  ctl.color = !opt_json && hb_ctl_want_color ();

  if (!command->func (&ctl, args, &error))
    status = fail (&ctl, error);   /* stdout stays empty: --json output is all or nothing */
  else
    {
      hb_ctl_output_flush (&ctl, command->pager && !opt_no_pager);
      status = ctl.exit_failure ? HB_CTL_EXIT_FAILURE : HB_CTL_EXIT_OK;
    }
  g_string_free (ctl.out, TRUE);
  g_clear_object (&ctl.conn);
  return status;
}
