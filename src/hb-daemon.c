/* hb-daemon.c: bus connection, name ownership, signals and an orderly shutdown */
#include "config.h"

#include <malloc.h>
#include <glib-unix.h>
#include <glib/gi18n.h>

#include "hb-clock.h"
#include "hb-daemon.h"
#include "hb-dbus.h"
#include "hb-http.h"
#include "hb-service.h"

#define BUS_NAME "org.crt.Heartbeat"
/* SIGTERM to exit within 5 s: if a run will not finish by then, leave anyway. */
#define SHUTDOWN_DEADLINE_S 4

typedef struct
{
  GMainLoop *loop;
  HbService *service;
  HbDbus *dbus;
  GDBusConnection *connection;
  guint owner_id;
  gboolean had_name;
  gboolean owns_name;
  gboolean stopping;
  int status;
  guint deadline_id;
} Daemon;

static void
quit (Daemon *d, int status)
{
  d->status = status;
  g_main_loop_quit (d->loop);
}

static void
on_service_shut (GObject *source, GAsyncResult *res, gpointer user_data)
{
  Daemon *d = user_data;

  hb_service_shutdown_finish (HB_SERVICE (source), res, NULL);
  g_debug ("All runs recorded");
  quit (d, d->status);
}

static gboolean
on_deadline (gpointer user_data)
{
  Daemon *d = user_data;

  d->deadline_id = 0;
  g_warning ("Runs did not finish within %d s; exiting anyway", SHUTDOWN_DEADLINE_S);
  quit (d, d->status);
  return G_SOURCE_REMOVE;
}

static void
begin_shutdown (Daemon *d, int status)
{
  if (d->stopping)
    return;
  d->stopping = TRUE;
  d->status = status;
  d->deadline_id = g_timeout_add_seconds (SHUTDOWN_DEADLINE_S, on_deadline, d);
  hb_service_shutdown_async (d->service, on_service_shut, d);
}

static gboolean
on_signal (gpointer user_data)
{
  Daemon *d = user_data;

  g_message ("Stopping");
  begin_shutdown (d, 0);
  return G_SOURCE_CONTINUE;
}

static gboolean
on_time_changed (gpointer user_data)
{
  Daemon *d = user_data;

  hb_scheduler_time_changed (hb_service_get_scheduler (d->service));
  return G_SOURCE_CONTINUE;
}

static void
on_name_acquired (GDBusConnection *connection, const char *name, gpointer user_data)
{
  Daemon *d = user_data;

  d->had_name = d->owns_name = TRUE;
  g_message ("Serving %s with %u threads", name, hb_service_count (d->service));
}

static void
on_name_lost (GDBusConnection *connection, const char *name, gpointer user_data)
{
  Daemon *d = user_data;

  d->owns_name = FALSE;
  if (connection == NULL)
    {
      g_printerr ("%s: %s\n", g_get_prgname (), _("Lost the connection to the bus"));
      begin_shutdown (d, 1);
    }
  else if (!d->had_name)
    {
      g_printerr ("%s: %s\n", g_get_prgname (),
                  _("Cannot own org.crt.Heartbeat: another instance is running "
                    "(use --replace to take over) or the bus policy forbids it"));
      begin_shutdown (d, 1);
    }
  else
    {
      g_message ("Replaced by another instance");
      begin_shutdown (d, 0);
    }
}

static void
on_loaded (GObject *source, GAsyncResult *res, gpointer user_data)
{
  Daemon *d = user_data;
  g_autoptr(GError) error = NULL;

  if (!hb_service_load_finish (HB_SERVICE (source), res, &error))
    {
      g_printerr ("%s: %s\n", g_get_prgname (), error->message);
      quit (d, 1);
      return;
    }
  g_main_loop_quit (d->loop);
}

int
hb_daemon_run (HbPipeline *pipeline, HbDaemonConfig *config, const HbDaemonOptions *options)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(GMainLoop) loop = g_main_loop_new (NULL, FALSE);
  g_autoptr(HbService) service = NULL;
  g_autoptr(HbDbus) dbus = NULL;
  g_autoptr(HbHttp) http = NULL;
  g_autoptr(GDBusConnection) connection = NULL;
  g_autoptr(GDBusConnection) system_bus = NULL;
  g_autoptr(HbClockWatch) clock = NULL;
  GBusNameOwnerFlags flags = G_BUS_NAME_OWNER_FLAGS_ALLOW_REPLACEMENT |
                             G_BUS_NAME_OWNER_FLAGS_DO_NOT_QUEUE;
  Daemon d = { 0 };
  guint sigterm, sigint, sigusr1;
  const char *url = hb_llm_client_get_settings (hb_pipeline_get_llm (pipeline))->base_url;
  const char *http_listen = options->http_listen != NULL ? options->http_listen
                                                         : config->http_listen;

  connection = g_bus_get_sync (options->session ? G_BUS_TYPE_SESSION : G_BUS_TYPE_SYSTEM, NULL,
                               &error);
  if (connection == NULL)
    {
      g_printerr ("%s: %s: %s\n", g_get_prgname (), _("Cannot connect to the bus"), error->message);
      return 1;
    }
  g_dbus_connection_set_exit_on_close (connection, FALSE);

  d.loop = loop;
  d.connection = connection;
  d.service = service = hb_service_new (pipeline, config);
  sigterm = g_unix_signal_add (SIGTERM, on_signal, &d);
  sigint = g_unix_signal_add (SIGINT, on_signal, &d);
  /* SIGUSR1: compute every due time again, as after a clock change (for operators and tests). */
  sigusr1 = g_unix_signal_add (SIGUSR1, on_time_changed, &d);

  /* Threads first, so that the objects are there when the name is. */
  d.status = 0;
  hb_service_load_async (service, on_loaded, &d);
  g_main_loop_run (loop);
  if (d.status != 0)
    goto out;
  /* Loading many threads leaves the rows' memory free but held: give it back. */
  malloc_trim (0);

  d.dbus = dbus = hb_dbus_new (service, connection, !options->session, url, &error);
  if (dbus == NULL)
    {
      g_printerr ("%s: %s\n", g_get_prgname (), error->message);
      d.status = 1;
      goto out;
    }

  /* Before the name: once a client sees the name, the bridge is listening too. */
  if (http_listen != NULL && http_listen[0] != '\0')
    {
      HbHttpOptions http_options = { http_listen, NULL, NULL, options->http_url_file };

      http = hb_http_new (service, &http_options, &error);
      if (http == NULL)
        {
          g_printerr ("%s: %s\n", g_get_prgname (), error->message);
          d.status = 1;
          goto out;
        }
    }

  if (options->replace)
    flags |= G_BUS_NAME_OWNER_FLAGS_REPLACE;
  d.owner_id = g_bus_own_name_on_connection (connection, BUS_NAME, flags, on_name_acquired,
                                             on_name_lost, &d, NULL);

  system_bus = options->session ? g_bus_get_sync (G_BUS_TYPE_SYSTEM, NULL, NULL)
                                : g_object_ref (connection);
  clock = hb_clock_watch_new (system_bus, on_time_changed, &d);
  hb_scheduler_probe_backend (hb_service_get_scheduler (service));

  g_main_loop_run (loop);

  /* Runs are recorded: now leave the bus. */
  hb_dbus_unexport (dbus);
  /* Releasing a name already taken over would only make the bus complain. */
  if (d.owner_id != 0 && d.owns_name)
    g_bus_unown_name (d.owner_id);
  g_dbus_connection_flush_sync (connection, NULL, NULL);

out:
  g_clear_handle_id (&d.deadline_id, g_source_remove);
  g_source_remove (sigterm);
  g_source_remove (sigint);
  g_source_remove (sigusr1);
  return d.status;
}
