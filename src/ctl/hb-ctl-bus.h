/* hb-ctl-bus.h: finding the service on a bus, calling it, reading results, mapping errors. */
#pragma once

#include "hb-ctl.h"

G_BEGIN_DECLS

typedef enum {
  HB_CTL_BUS_AUTO,      /* the system bus, else the session bus if the service is there only */
  HB_CTL_BUS_SYSTEM,
  HB_CTL_BUS_SESSION,
} HbCtlBusChoice;

/* Connect to the bus that has the service (owned or activatable), or fail with
 * HB_CTL_ERROR_UNREACHABLE. Does nothing once connected. */
gboolean hb_ctl_bus_connect (HbCtl *ctl, HbCtlBusChoice choice, GError **error);
/* The connection, made the first time a command needs it (so that usage errors come first),
 * on ctl->bus_choice. */
GDBusConnection *hb_ctl_bus_get (HbCtl *ctl, GError **error);

/* Call @method on the service. @mutating calls allow interactive (polkit) authorization.
 * @timeout_ms -1 is GDBus's default; G_MAXINT waits as long as it takes. */
GVariant *hb_ctl_call (HbCtl *ctl, const char *path, const char *iface, const char *method,
                       GVariant *params, const char *reply_type, gboolean mutating,
                       int timeout_ms, GError **error);

/* All properties of @iface at @path, as a{sv}. */
GVariant *hb_ctl_get_all (HbCtl *ctl, const char *path, const char *iface, GError **error);

/* The object path of @thread_id (Manager.GetThread): UnknownThread when there is none. */
char *hb_ctl_thread_path (HbCtl *ctl, const char *thread_id, GError **error);

/* Thread id of a thread object path (the reverse of g_dbus_escape_object_path), NULL if
 * @path is not one. */
char *hb_ctl_thread_id_from_path (const char *path);

/* The exit code for @error and its one-line message: the D-Bus error's text without GDBus's
 * "GDBus.Error:NAME: " prefix, with the error name's last part when it adds something. */
HbCtlExit hb_ctl_error_exit_code (const GError *error);
char *hb_ctl_error_message (const GError *error);

/* Typed look-ups in an a{sv} that tolerate a missing key or an unexpected type (defaults). */
const char *hb_ctl_dict_string (GVariant *dict, const char *key);
guint64 hb_ctl_dict_uint64 (GVariant *dict, const char *key);
gint64 hb_ctl_dict_int64 (GVariant *dict, const char *key, gint64 fallback);
guint32 hb_ctl_dict_uint32 (GVariant *dict, const char *key);
gboolean hb_ctl_dict_boolean (GVariant *dict, const char *key);
double hb_ctl_dict_double (GVariant *dict, const char *key);

G_END_DECLS
