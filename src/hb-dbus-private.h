/* hb-dbus-private.h: what hb-dbus.c (the objects and methods) and hb-dbus-signals.c (what
 * clients are told) share. */
#pragma once

#include "hb-dbus.h"
#include "hb-dbus-thread.h"
#include "hb-exported.h"

G_BEGIN_DECLS

#define MANAGER_PATH "/org/crt/Heartbeat"
#define THREAD_IFACE "org.crt.Heartbeat1.Thread"
#define OM_IFACE "org.freedesktop.DBus.ObjectManager"

struct _HbDbus
{
  GObject parent_instance;

  HbService *service;
  GDBusConnection *connection;
  HbAuth *auth;
  HbDbusThreadContext thread_ctx;
  HbExportedManager *manager;
  char *backend_url;
  guint om_id;
  guint subtree_id;
  GDBusNodeInfo *om_info;

  GHashTable *dirty;      /* HbThread* -> flags: PropertiesChanged to send */
  guint flush_id;
  guint counters_id;       /* a trailing update of the run counters is due */
  gint64 counters_at;      /* monotonic time of their last update */
  guint threads_id;        /* the Threads property is to be rebuilt (once for many adds) */
  gboolean stopped;        /* as last told to clients */
};

/* Set the Manager's properties from the scheduler; @now: the run counters too, at once (a call
 * that changed them replies after this), else they may wait for their period. */
void hb_dbus_sync_manager (HbDbus *self, gboolean now);
/* Set the Threads property from the service's list. */
void hb_dbus_sync_thread_list (HbDbus *self);
/* Follow the service: threads added, removed and changed, runs started and completed, the
 * scheduler's state. */
void hb_dbus_watch_service (HbDbus *self);
/* Send the property changes still waiting and drop the pending updates (before unexporting). */
void hb_dbus_flush_changes (HbDbus *self);

G_END_DECLS
