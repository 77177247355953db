/* hb-ctl-bus.c: finding the service on a bus, calling it, reading results, mapping errors. */
#include "config.h"

#include <string.h>

#include "hb-ctl-bus.h"

#define DBUS_NAME "org.freedesktop.DBus"
#define DBUS_PATH "/org/freedesktop/DBus"
#define BUS_TIMEOUT_MS 5000

G_DEFINE_QUARK (hb-ctl-error-quark, hb_ctl_error)

/* Owned now, or startable by D-Bus activation. */
static gboolean
service_available (GDBusConnection *conn, GError **error)
{
  g_autoptr(GVariant) owned = NULL;
  g_autoptr(GVariant) activatable = NULL;
  g_autofree const char **names = NULL;
  gboolean has_owner = FALSE;

  owned = g_dbus_connection_call_sync (conn, DBUS_NAME, DBUS_PATH, DBUS_NAME, "NameHasOwner",
                                       g_variant_new ("(s)", HB_CTL_BUS_NAME),
                                       G_VARIANT_TYPE ("(b)"), G_DBUS_CALL_FLAGS_NONE,
                                       BUS_TIMEOUT_MS, NULL, error);
  if (owned == NULL)
    return FALSE;
  g_variant_get (owned, "(b)", &has_owner);
  if (has_owner)
    return TRUE;
  activatable = g_dbus_connection_call_sync (conn, DBUS_NAME, DBUS_PATH, DBUS_NAME,
                                             "ListActivatableNames", NULL,
                                             G_VARIANT_TYPE ("(as)"), G_DBUS_CALL_FLAGS_NONE,
                                             BUS_TIMEOUT_MS, NULL, error);
  if (activatable == NULL)
    return FALSE;
  g_variant_get (activatable, "(^a&s)", &names);
  return g_strv_contains (names, HB_CTL_BUS_NAME);
}

static GDBusConnection *
try_bus (GBusType type, const char *label, GError **error)
{
  g_autoptr(GDBusConnection) conn = NULL;
  g_autoptr(GError) local = NULL;

  conn = g_bus_get_sync (type, NULL, &local);
  if (conn == NULL)
    {
      g_set_error (error, HB_CTL_ERROR, HB_CTL_ERROR_UNREACHABLE,
                   "Cannot connect to the %s bus: %s", label, local->message);
      return NULL;
    }
  if (!service_available (conn, &local))
    {
      if (local != NULL)
        g_set_error (error, HB_CTL_ERROR, HB_CTL_ERROR_UNREACHABLE, "The %s bus: %s", label,
                     local->message);
      else
        g_set_error (error, HB_CTL_ERROR, HB_CTL_ERROR_UNREACHABLE,
                     "crt-heartbeatd is not running on the %s bus (%s has no owner)", label,
                     HB_CTL_BUS_NAME);
      return NULL;
    }
  return g_steal_pointer (&conn);
}

/* Only a session bus that exists: asking GIO for one otherwise may autolaunch a new bus. */
static gboolean
session_bus_exists (void)
{
  g_autofree char *socket = NULL;

  if (g_getenv ("DBUS_SESSION_BUS_ADDRESS") != NULL)
    return TRUE;
  socket = g_build_filename (g_get_user_runtime_dir (), "bus", NULL);
  return g_file_test (socket, G_FILE_TEST_EXISTS);
}

gboolean
hb_ctl_bus_connect (HbCtl *ctl, HbCtlBusChoice choice, GError **error)
{
  g_autoptr(GError) system_error = NULL;

  if (ctl->conn != NULL)
    return TRUE;
  if (choice == HB_CTL_BUS_SESSION)
    {
      ctl->conn = try_bus (G_BUS_TYPE_SESSION, "session", error);
      ctl->bus_label = "session";
      return ctl->conn != NULL;
    }
  ctl->conn = try_bus (G_BUS_TYPE_SYSTEM, "system", &system_error);
  ctl->bus_label = "system";
  if (ctl->conn != NULL)
    return TRUE;
  if (choice == HB_CTL_BUS_AUTO && session_bus_exists ())
    {
      ctl->conn = try_bus (G_BUS_TYPE_SESSION, "session", NULL);
      ctl->bus_label = "session";
      if (ctl->conn != NULL)
        return TRUE;
      g_set_error (error, HB_CTL_ERROR, HB_CTL_ERROR_UNREACHABLE,
                   "crt-heartbeatd is not running on the system bus nor on the session bus");
      return FALSE;
    }
  g_propagate_error (error, g_steal_pointer (&system_error));
  return FALSE;
}

GDBusConnection *
hb_ctl_bus_get (HbCtl *ctl, GError **error)
{
  if (!hb_ctl_bus_connect (ctl, (HbCtlBusChoice) ctl->bus_choice, error))
    return NULL;
  return ctl->conn;
}

GVariant *
hb_ctl_call (HbCtl *ctl, const char *path, const char *iface, const char *method,
             GVariant *params, const char *reply_type, gboolean mutating, int timeout_ms,
             GError **error)
{
  GDBusConnection *conn = hb_ctl_bus_get (ctl, error);

  if (conn == NULL)
    {
      if (params != NULL)
        g_variant_unref (g_variant_ref_sink (params));
      return NULL;
    }
  return g_dbus_connection_call_sync (conn, HB_CTL_BUS_NAME, path, iface, method, params,
                                      reply_type != NULL ? G_VARIANT_TYPE (reply_type) : NULL,
                                      mutating ? G_DBUS_CALL_FLAGS_ALLOW_INTERACTIVE_AUTHORIZATION
                                               : G_DBUS_CALL_FLAGS_NONE,
                                      timeout_ms, NULL, error);
}

GVariant *
hb_ctl_get_all (HbCtl *ctl, const char *path, const char *iface, GError **error)
{
  g_autoptr(GVariant) reply = NULL;

  reply = hb_ctl_call (ctl, path, "org.freedesktop.DBus.Properties", "GetAll",
                       g_variant_new ("(s)", iface), "(a{sv})", FALSE, -1, error);
  if (reply == NULL)
    return NULL;
  return g_variant_get_child_value (reply, 0);
}

char *
hb_ctl_thread_path (HbCtl *ctl, const char *thread_id, GError **error)
{
  g_autoptr(GVariant) reply = NULL;
  char *path = NULL;

  reply = hb_ctl_call (ctl, HB_CTL_MANAGER_PATH, HB_CTL_MANAGER_IFACE, "GetThread",
                       g_variant_new ("(s)", thread_id), "(o)", FALSE, -1, error);
  if (reply == NULL)
    return NULL;
  g_variant_get (reply, "(o)", &path);
  return path;
}

char *
hb_ctl_thread_id_from_path (const char *path)
{
  const char *prefix = HB_CTL_THREADS_PATH "/";

  if (path == NULL || !g_str_has_prefix (path, prefix) || strchr (path + strlen (prefix), '/'))
    return NULL;
  return (char *) g_dbus_unescape_object_path (path + strlen (prefix));
}

/* ---- errors ---- */

HbCtlExit
hb_ctl_error_exit_code (const GError *error)
{
  if (error->domain == HB_CTL_ERROR)
    {
      switch ((HbCtlError) error->code)
        {
        case HB_CTL_ERROR_USAGE:
          return HB_CTL_EXIT_USAGE;
        case HB_CTL_ERROR_UNREACHABLE:
          return HB_CTL_EXIT_UNREACHABLE;
        case HB_CTL_ERROR_FAILED:
        default:
          return HB_CTL_EXIT_FAILURE;
        }
    }
  /* The service went away, or was never there. */
  if (g_error_matches (error, G_DBUS_ERROR, G_DBUS_ERROR_SERVICE_UNKNOWN)
      || g_error_matches (error, G_DBUS_ERROR, G_DBUS_ERROR_NAME_HAS_NO_OWNER)
      || g_error_matches (error, G_DBUS_ERROR, G_DBUS_ERROR_DISCONNECTED)
      || g_error_matches (error, G_DBUS_ERROR, G_DBUS_ERROR_SPAWN_FAILED)
      || g_error_matches (error, G_DBUS_ERROR, G_DBUS_ERROR_SPAWN_CHILD_EXITED)
      || g_error_matches (error, G_DBUS_ERROR, G_DBUS_ERROR_SPAWN_SERVICE_NOT_FOUND)
      || g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CLOSED))
    return HB_CTL_EXIT_UNREACHABLE;
  return HB_CTL_EXIT_FAILURE;
}

/* Names whose last part says nothing the message does not. */
static gboolean
name_is_redundant (const char *name)
{
  return g_str_has_suffix (name, ".Error.Failed")
         || g_str_equal (name, "org.freedesktop.DBus.Error.InvalidArgs");
}

char *
hb_ctl_error_message (const GError *error)
{
  g_autoptr(GError) copy = g_error_copy (error);
  g_autofree char *name = g_dbus_error_get_remote_error (error);
  const char *last;

  g_dbus_error_strip_remote_error (copy);
  if (name == NULL || name_is_redundant (name))
    return g_strdup (copy->message);
  last = strrchr (name, '.');
  last = last != NULL ? last + 1 : name;
  if (copy->message[0] == '\0')
    return g_strdup (name);
  return g_strdup_printf ("%s (%s)", copy->message, last);
}

/* ---- a{sv} look-ups ---- */

const char *
hb_ctl_dict_string (GVariant *dict, const char *key)
{
  const char *value = NULL;

  if (dict == NULL || !g_variant_lookup (dict, key, "&s", &value))
    return "";
  return value;
}

guint64
hb_ctl_dict_uint64 (GVariant *dict, const char *key)
{
  guint64 value = 0;

  if (dict == NULL || !g_variant_lookup (dict, key, "t", &value))
    return 0;
  return value;
}

gint64
hb_ctl_dict_int64 (GVariant *dict, const char *key, gint64 fallback)
{
  gint64 value = fallback;

  if (dict == NULL || !g_variant_lookup (dict, key, "x", &value))
    return fallback;
  return value;
}

guint32
hb_ctl_dict_uint32 (GVariant *dict, const char *key)
{
  guint32 value = 0;

  if (dict == NULL || !g_variant_lookup (dict, key, "u", &value))
    return 0;
  return value;
}

gboolean
hb_ctl_dict_boolean (GVariant *dict, const char *key)
{
  gboolean value = FALSE;

  if (dict == NULL || !g_variant_lookup (dict, key, "b", &value))
    return FALSE;
  return value;
}

double
hb_ctl_dict_double (GVariant *dict, const char *key)
{
  double value = 0.0;

  if (dict == NULL || !g_variant_lookup (dict, key, "d", &value))
    return 0.0;
  return value;
}
