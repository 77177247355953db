/* hb-setup.c: where things live, and the backend settings */
#include "config.h"

#include "hb-error.h"
#include "hb-setup.h"

char *
hb_setup_config_path (const char *option, gboolean system)
{
  const char *confdir = g_getenv ("CONFIGURATION_DIRECTORY");

  if (option != NULL && option[0] != '\0')
    return g_strdup (option);
  if (confdir != NULL && confdir[0] != '\0')
    {
      g_auto(GStrv) dirs = g_strsplit (confdir, ":", 2);

      return g_build_filename (dirs[0], "heartbeat.conf", NULL);
    }
  if (system)
    return g_build_filename (SYSCONFDIR, PACKAGE_NAME, "heartbeat.conf", NULL);
  return g_build_filename (g_get_user_config_dir (), PACKAGE_NAME, "heartbeat.conf", NULL);
}

char *
hb_setup_state_dir (void)
{
  const char *statedir = g_getenv ("STATE_DIRECTORY");

  if (statedir != NULL && statedir[0] != '\0')
    {
      g_auto(GStrv) dirs = g_strsplit (statedir, ":", 2);

      return g_strdup (dirs[0]);
    }
  return g_build_filename (g_get_user_data_dir (), PACKAGE_NAME, NULL);
}

char *
hb_setup_db_path (const char *option, const HbDaemonConfig *cfg)
{
  g_autofree char *state = NULL;

  if (option != NULL && option[0] != '\0')
    return g_strdup (option);
  if (cfg->database != NULL && cfg->database[0] != '\0')
    return g_strdup (cfg->database);
  state = hb_setup_state_dir ();
  return g_build_filename (state, "heartbeat.db", NULL);
}

char *
hb_setup_workspace (const char *option, const HbDaemonConfig *cfg)
{
  if (option != NULL && option[0] != '\0')
    return g_strdup (option);
  if (cfg->workspace != NULL && cfg->workspace[0] != '\0')
    return g_strdup (cfg->workspace);
  return hb_setup_state_dir ();
}

HbLlmSettings *
hb_setup_llm_settings (const HbDaemonConfig *cfg, const char *url_option, GError **error)
{
  g_autoptr(HbLlmSettings) s = hb_llm_settings_new_default ();
  const char *url = url_option;

  if (url == NULL || url[0] == '\0')
    url = cfg->backend_url;
  if (url == NULL || url[0] == '\0')
    url = g_getenv ("OLLAMA_HOST");

  if (cfg->backend_kind != NULL && !hb_backend_kind_from_string (cfg->backend_kind, &s->kind))
    {
      g_set_error (error, HB_ERROR, HB_ERROR_INVALID_CONFIG,
                   "[backend] kind: must be \"ollama\" or \"openai\" (got \"%s\")", cfg->backend_kind);
      return NULL;
    }
  g_free (s->base_url);
  s->base_url = hb_ollama_host_parse (url, error);
  if (s->base_url == NULL)
    {
      g_prefix_error (error, "backend url: ");
      return NULL;
    }
  if (cfg->api_key_file != NULL && cfg->api_key_file[0] != '\0')
    {
      g_autofree char *key = NULL;

      if (!g_file_get_contents (cfg->api_key_file, &key, NULL, error))
        {
          g_prefix_error (error, "[backend] api-key-file: ");
          return NULL;
        }
      s->api_key = g_strdup (g_strstrip (key));
    }
  s->connect_timeout_s = cfg->connect_timeout;
  s->headers_timeout_s = cfg->headers_timeout;
  s->total_timeout_s = cfg->total_timeout;
  s->max_body = cfg->max_body;
  s->stream = cfg->stream;
  s->retries = cfg->retries;
  if (cfg->keep_alive != NULL)
    {
      g_free (s->keep_alive);
      s->keep_alive = g_strdup (cfg->keep_alive);
    }
  return g_steal_pointer (&s);
}

void
hb_setup_apply_environment (HbDaemonConfig *cfg)
{
  const char *env = g_getenv ("CRT_HEARTBEAT_ENABLED");
  gboolean enabled;

  if (env == NULL || env[0] == '\0')
    return;
  if (hb_parse_bool (env, &enabled))
    cfg->enabled = enabled;
  else
    g_warning ("CRT_HEARTBEAT_ENABLED=%s is not a boolean (1/true/yes/on or 0/false/no/off); ignored",
               env);
}
