/* hb-dbus-thread.h: org.crt.Heartbeat1.Thread, served from the service's HbThread state. */
#pragma once

#include "hb-auth.h"
#include "hb-service.h"

G_BEGIN_DECLS

/* What the vtable's user_data points to: lives as long as the export. */
typedef struct {
  HbService *service;
  HbAuth *auth;
} HbDbusThreadContext;

const GDBusInterfaceVTable *hb_dbus_thread_vtable (void);

/* All properties of @thread as a{sv} (floating). @stopped: the scheduler is stopped (NextRun 0,
 * SkipReason "stopped"). */
GVariant *hb_dbus_thread_properties (HbThread *thread, gboolean stopped);

/* Emit PropertiesChanged for the properties in @what (HbThreadChanged flags). */
void hb_dbus_thread_emit_changed (GDBusConnection *connection, HbThread *thread, guint what,
                                  gboolean stopped);

G_END_DECLS
