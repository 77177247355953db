/* main.c: crt-heartbeatd's command line; the wiring only. */
#include "config.h"

#include <errno.h>
#include <locale.h>
#include <stdlib.h>
#include <glib/gi18n.h>

#include "hb-daemon.h"
#include "hb-oneshot.h"
#include "hb-setup.h"

static gboolean opt_system = FALSE;
static gboolean opt_session = FALSE;
static gboolean opt_replace = FALSE;
static gboolean opt_verbose = FALSE;
static gboolean opt_version = FALSE;
static gboolean opt_json = FALSE;
static char *opt_db = NULL;
static char *opt_workspace = NULL;
static char *opt_config = NULL;
static char *opt_backend_url = NULL;
static char *opt_run_once = NULL;
static char *opt_http = NULL;
static char *opt_http_url_file = NULL;

static const GOptionEntry entries[] = {
  { "system", 0, 0, G_OPTION_ARG_NONE, &opt_system, N_("Serve on the system bus (default)"), NULL },
  { "session", 0, 0, G_OPTION_ARG_NONE, &opt_session, N_("Serve on the session bus"), NULL },
  { "replace", 'r', 0, G_OPTION_ARG_NONE, &opt_replace, N_("Replace a running instance"), NULL },
  { "verbose", 'v', 0, G_OPTION_ARG_NONE, &opt_verbose, N_("Log debugging messages"), NULL },
  { "version", 0, 0, G_OPTION_ARG_NONE, &opt_version, N_("Print the version and exit"), NULL },
  { "db", 0, 0, G_OPTION_ARG_FILENAME, &opt_db, N_("The SQLite database file"), N_("FILE") },
  { "workspace", 0, 0, G_OPTION_ARG_FILENAME, &opt_workspace,
    N_("The directory holding HEARTBEAT.md"), N_("DIR") },
  { "config", 'c', 0, G_OPTION_ARG_FILENAME, &opt_config, N_("The configuration file"), N_("FILE") },
  { "backend-url", 0, 0, G_OPTION_ARG_STRING, &opt_backend_url,
    N_("The model server (as OLLAMA_HOST)"), N_("URL") },
  { "run-once", 0, 0, G_OPTION_ARG_STRING, &opt_run_once,
    N_("Run one heartbeat for THREAD, print the result and exit"), N_("THREAD") },
  { "http", 0, 0, G_OPTION_ARG_STRING, &opt_http,
    N_("Serve the HTTP bridge on ADDR:PORT (port 0: any free one)"), N_("ADDR:PORT") },
  { "http-url-file", 0, 0, G_OPTION_ARG_FILENAME, &opt_http_url_file,
    N_("Write the HTTP bridge's URL to FILE once it listens"), N_("FILE") },
  { "json", 0, 0, G_OPTION_ARG_NONE, &opt_json, N_("With --run-once: print the result as JSON"),
    NULL },
  { NULL }
};

int
main (int argc, char **argv)
{
  g_autoptr(GOptionContext) context = NULL;
  g_autoptr(GError) error = NULL;
  g_autoptr(HbDaemonConfig) config = NULL;
  g_autoptr(HbLlmSettings) llm_settings = NULL;
  g_autoptr(HbStore) store = NULL;
  g_autoptr(HbLlmClient) llm = NULL;
  g_autoptr(HbInstructions) instructions = NULL;
  g_autoptr(HbPipeline) pipeline = NULL;
  g_autofree char *config_path = NULL;
  g_autofree char *workspace = NULL;
  HbStoreOptions store_options = { 0 };
  g_autofree char *db_path = NULL;
  int status;

  setlocale (LC_ALL, "");
  bindtextdomain (GETTEXT_PACKAGE, LOCALEDIR);
  bind_textdomain_codeset (GETTEXT_PACKAGE, "UTF-8");
  textdomain (GETTEXT_PACKAGE);

  context = g_option_context_new (NULL);
  g_option_context_set_summary (context, _("The heartbeat scheduler of a personal agent."));
  g_option_context_add_main_entries (context, entries, GETTEXT_PACKAGE);
  if (!g_option_context_parse (context, &argc, &argv, &error))
    {
      g_printerr ("%s: %s\n", g_get_prgname (), error->message);
      return 2;
    }
  if (opt_version)
    {
      g_print ("%s %s\n", PACKAGE_NAME, PACKAGE_VERSION);
      return 0;
    }
  if (opt_system && opt_session)
    {
      g_printerr ("%s: %s\n", g_get_prgname (), _("--system and --session exclude each other"));
      return 2;
    }
  if (opt_verbose)
    g_log_set_debug_enabled (TRUE);

  config_path = hb_setup_config_path (opt_config, !opt_session);
  config = hb_daemon_config_load (config_path, opt_config != NULL, &error);
  if (config == NULL)
    {
      g_printerr ("%s: %s: %s\n", g_get_prgname (), config_path, error->message);
      return 1;
    }
  hb_setup_apply_environment (config);

  llm_settings = hb_setup_llm_settings (config, opt_backend_url, &error);
  if (llm_settings == NULL)
    {
      g_printerr ("%s: %s\n", g_get_prgname (), error->message);
      return 1;
    }

  db_path = hb_setup_db_path (opt_db, config);
  workspace = hb_setup_workspace (opt_workspace, config);
  if (g_mkdir_with_parents (workspace, 0750) < 0)
    g_warning ("Cannot create the workspace %s: %s", workspace, g_strerror (errno));
  {
    g_autofree char *db_dir = g_path_get_dirname (db_path);

    if (g_mkdir_with_parents (db_dir, 0750) < 0)
      g_warning ("Cannot create %s: %s", db_dir, g_strerror (errno));
  }
  store_options.path = db_path;
  store_options.ledger_path = config->ledger_database;
  store_options.memory_path = config->memory_database;
  store = hb_store_open (&store_options, &error);
  if (store == NULL)
    {
      g_printerr ("%s: %s: %s\n", g_get_prgname (), db_path, error->message);
      return 1;
    }
  llm = hb_llm_client_new (llm_settings);
  instructions = hb_instructions_new (workspace);
  pipeline = hb_pipeline_new (store, llm, instructions, config);

  if (opt_run_once != NULL)
    status = hb_oneshot_run (pipeline, config, opt_run_once, opt_json);
  else
    {
      HbDaemonOptions options = { opt_session, opt_replace, opt_backend_url, opt_http,
                                  opt_http_url_file };

      status = hb_daemon_run (pipeline, config, &options);
    }

  hb_store_close (store);
  return status;
}
