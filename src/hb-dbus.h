/* hb-dbus.h: the service on the bus.
 *
 * The Manager is a generated skeleton at /org/crt/Heartbeat. Thread objects are served from one
 * subtree at /org/crt/Heartbeat/threads from the service's own state, so that 100,000 threads
 * cost no more than their HbThread structs; the ObjectManager at /org/crt/Heartbeat is served the
 * same way. Both use the generated interface descriptions: the XML stays the one description.
 */
#pragma once

#include <gio/gio.h>

#include "hb-service.h"

G_BEGIN_DECLS

#define HB_TYPE_DBUS (hb_dbus_get_type ())
G_DECLARE_FINAL_TYPE (HbDbus, hb_dbus, HB, DBUS, GObject)

/* Export everything on @connection. @authorize: check mutating calls with polkit (system bus). */
HbDbus *hb_dbus_new (HbService *service, GDBusConnection *connection, gboolean authorize,
                     const char *backend_url, GError **error);

/* Take everything off the bus. */
void hb_dbus_unexport (HbDbus *self);

G_END_DECLS
