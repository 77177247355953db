/* hb-setup.h: wiring shared by the daemon's modes: where things live, and the backend settings. */
#pragma once

#include "hb-config.h"
#include "hb-llm.h"

G_BEGIN_DECLS

/* The configuration file: @option, else $CONFIGURATION_DIRECTORY/heartbeat.conf (systemd), else
 * SYSCONFDIR/crt-heartbeat/heartbeat.conf for the system instance or
 * $XDG_CONFIG_HOME/crt-heartbeat/heartbeat.conf for a session one. */
char *hb_setup_config_path (const char *option, gboolean system);

/* The state directory: $STATE_DIRECTORY (first entry), else $XDG_DATA_HOME/crt-heartbeat. */
char *hb_setup_state_dir (void);

/* The main database: @option, else the config file's [daemon] database, else
 * <state dir>/heartbeat.db. */
char *hb_setup_db_path (const char *option, const HbDaemonConfig *cfg);

/* The workspace holding HEARTBEAT.md: @option, else [daemon] workspace, else the state dir. */
char *hb_setup_workspace (const char *option, const HbDaemonConfig *cfg);

/* Backend settings from the config file, with @url_option (--backend-url) taking precedence over
 * [backend] url, which takes precedence over $OLLAMA_HOST. Reads the API key file if set. */
HbLlmSettings *hb_setup_llm_settings (const HbDaemonConfig *cfg, const char *url_option,
                                      GError **error);

/* Apply $CRT_HEARTBEAT_ENABLED over the file's [daemon] enabled. */
void hb_setup_apply_environment (HbDaemonConfig *cfg);

G_END_DECLS
