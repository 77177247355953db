/* hb-daemon.h: the daemon's life: bus, name, signals, shutdown. */
#pragma once

#include "hb-pipeline.h"

G_BEGIN_DECLS

typedef struct {
  gboolean session;      /* the session bus instead of the system bus */
  gboolean replace;      /* take the name from a running instance */
  const char *backend_url;
  const char *http_listen;   /* --http=ADDR:PORT; NULL: the config file's [http] listen */
  const char *http_url_file; /* --http-url-file: write the bridge's URL there */
} HbDaemonOptions;

/* Serve until SIGTERM/SIGINT or until the name is taken over. Returns the exit status: 0 after a
 * clean stop, 1 when the bus or the name could not be had. */
int hb_daemon_run (HbPipeline *pipeline, HbDaemonConfig *config, const HbDaemonOptions *options);

G_END_DECLS
