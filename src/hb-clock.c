/* hb-clock.c: clock changes and resume */
#include "config.h"

#include <errno.h>
#include <sys/timerfd.h>
#include <unistd.h>
#include <glib-unix.h>

#include "hb-clock.h"

struct _HbClockWatch
{
  int fd;
  guint fd_source;
  GDBusConnection *bus;
  guint sleep_sub;
  GSourceFunc func;
  gpointer data;
};

/* Arm a timer far in the future: it never expires, it only gets cancelled by clock changes. */
static gboolean
arm_timerfd (HbClockWatch *w)
{
  struct itimerspec spec = { { 0, 0 }, { G_MAXINT32, 0 } };

  return timerfd_settime (w->fd, TFD_TIMER_ABSTIME | TFD_TIMER_CANCEL_ON_SET, &spec, NULL) == 0;
}

static gboolean
on_timerfd (int fd, GIOCondition condition, gpointer user_data)
{
  HbClockWatch *w = user_data;
  guint64 expirations;

  /* ECANCELED: the realtime clock was set. */
  if (read (fd, &expirations, sizeof expirations) < 0 && errno != ECANCELED && errno != EAGAIN)
    g_debug ("timerfd read: %s", g_strerror (errno));
  arm_timerfd (w);
  g_debug ("The wall clock changed");
  w->func (w->data);
  return G_SOURCE_CONTINUE;
}

static void
on_prepare_for_sleep (GDBusConnection *bus, const char *sender, const char *path,
                      const char *iface, const char *signal, GVariant *params, gpointer user_data)
{
  HbClockWatch *w = user_data;
  gboolean going_to_sleep = TRUE;

  if (!g_variant_is_of_type (params, G_VARIANT_TYPE ("(b)")))
    return;
  g_variant_get (params, "(b)", &going_to_sleep);
  if (!going_to_sleep)
    {
      g_debug ("Resumed from sleep");
      w->func (w->data);
    }
}

HbClockWatch *
hb_clock_watch_new (GDBusConnection *system_bus, GSourceFunc func, gpointer data)
{
  HbClockWatch *w = g_new0 (HbClockWatch, 1);

  w->func = func;
  w->data = data;
  w->fd = timerfd_create (CLOCK_REALTIME, TFD_NONBLOCK | TFD_CLOEXEC);
  if (w->fd >= 0 && arm_timerfd (w))
    w->fd_source = g_unix_fd_add (w->fd, G_IO_IN, on_timerfd, w);
  else
    g_warning ("Cannot watch for clock changes: %s", g_strerror (errno));

  if (system_bus != NULL)
    {
      w->bus = g_object_ref (system_bus);
      w->sleep_sub = g_dbus_connection_signal_subscribe (system_bus, "org.freedesktop.login1",
                                                         "org.freedesktop.login1.Manager",
                                                         "PrepareForSleep",
                                                         "/org/freedesktop/login1", NULL,
                                                         G_DBUS_SIGNAL_FLAGS_NONE,
                                                         on_prepare_for_sleep, w, NULL);
    }
  return w;
}

void
hb_clock_watch_free (HbClockWatch *w)
{
  if (w == NULL)
    return;
  g_clear_handle_id (&w->fd_source, g_source_remove);
  if (w->fd >= 0)
    close (w->fd);
  if (w->bus != NULL && w->sleep_sub != 0)
    g_dbus_connection_signal_unsubscribe (w->bus, w->sleep_sub);
  g_clear_object (&w->bus);
  g_free (w);
}
