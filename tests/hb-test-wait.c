/* hb-test-wait.c: waiting for events with a deadline, by running the main context. */
#include "config.h"

#include "hb-test-proc.h"

static gboolean
deadline_cb (gpointer user_data)
{
  gboolean *expired = user_data;

  *expired = TRUE;
  return G_SOURCE_REMOVE;
}

gboolean
hb_test_wait_until (HbTestPredicate predicate, gpointer user_data, guint timeout_ms)
{
  gboolean expired = FALSE;
  guint timer;
  gboolean held;

  if (predicate (user_data))
    return TRUE;
  /* The timer only ends the wait; the loop blocks in poll() between events. */
  timer = g_timeout_add (timeout_ms, deadline_cb, &expired);
  while (!(held = predicate (user_data)) && !expired)
    g_main_context_iteration (NULL, TRUE);
  if (!expired)
    g_source_remove (timer);
  return held;
}

/* ---- name owners ---- */

typedef struct {
  gboolean owned;
  gboolean want;
} NameWait;

static void
name_appeared_cb (GDBusConnection *conn, const char *name, const char *owner, gpointer user_data)
{
  ((NameWait *) user_data)->owned = TRUE;
}

static void
name_vanished_cb (GDBusConnection *conn, const char *name, gpointer user_data)
{
  ((NameWait *) user_data)->owned = FALSE;
}

static gboolean
name_wait_done (gpointer user_data)
{
  NameWait *w = user_data;

  return w->owned == w->want;
}

gboolean
hb_test_wait_for_name (GDBusConnection *conn, const char *name, gboolean owned,
                       guint timeout_ms, GError **error)
{
  /* The watcher reports the current state first, so "unknown" must not pass as "not owned":
   * start from the opposite of what is wanted and let the first callback decide. */
  NameWait w = { .owned = !owned, .want = owned };
  guint watch;
  gboolean ok;

  watch = g_bus_watch_name_on_connection (conn, name, G_BUS_NAME_WATCHER_FLAGS_NONE,
                                          name_appeared_cb, name_vanished_cb, &w, NULL);
  ok = hb_test_wait_until (name_wait_done, &w, timeout_ms);
  g_bus_unwatch_name (watch);
  if (!ok)
    g_set_error (error, G_IO_ERROR, G_IO_ERROR_TIMED_OUT,
                 "Name %s still %s after %u ms", name, owned ? "unowned" : "owned", timeout_ms);
  return ok;
}

/* ---- signals ---- */

struct _HbTestSignalRecorder {
  GDBusConnection *conn;
  guint subscription;
  GQueue pending;   /* GVariant parameters not yet returned */
  guint count;
};

static void
recorder_signal_cb (GDBusConnection *conn, const char *sender, const char *path,
                    const char *interface, const char *member, GVariant *parameters,
                    gpointer user_data)
{
  HbTestSignalRecorder *rec = user_data;

  g_queue_push_tail (&rec->pending, g_variant_ref (parameters));
  rec->count++;
}

/* A round trip to the bus: everything sent on @conn before (AddMatch from a subscription) has
 * been processed by the bus when it returns. */
static void
sync_with_bus (GDBusConnection *conn)
{
  g_autoptr(GCancellable) cancel = g_cancellable_new ();
  g_autoptr(GAsyncResult) res = NULL;
  g_autoptr(GVariant) reply = NULL;
  g_autoptr(GError) error = NULL;

  g_dbus_connection_call (conn, "org.freedesktop.DBus", "/org/freedesktop/DBus",
                          "org.freedesktop.DBus", "GetId", NULL, G_VARIANT_TYPE ("(s)"),
                          G_DBUS_CALL_FLAGS_NONE, HB_TEST_TIMEOUT_MS, cancel,
                          hb_test_store_result_cb, &res);
  hb_test_await (&res, cancel, NULL, HB_TEST_TIMEOUT_MS + 1000);
  reply = g_dbus_connection_call_finish (conn, res, &error);
  g_assert_no_error (error);
}

HbTestSignalRecorder *
hb_test_signal_recorder_new (GDBusConnection *conn, const char *sender, const char *path,
                             const char *interface, const char *member, const char *arg0)
{
  HbTestSignalRecorder *rec = g_new0 (HbTestSignalRecorder, 1);

  rec->conn = g_object_ref (conn);
  g_queue_init (&rec->pending);
  rec->subscription = g_dbus_connection_signal_subscribe (conn, sender, interface, member, path,
                                                          arg0, G_DBUS_SIGNAL_FLAGS_NONE,
                                                          recorder_signal_cb, rec, NULL);
  /* So that a signal emitted from any connection after this returns is recorded. */
  sync_with_bus (conn);
  return rec;
}

void
hb_test_signal_recorder_free (HbTestSignalRecorder *rec)
{
  if (rec == NULL)
    return;
  g_dbus_connection_signal_unsubscribe (rec->conn, rec->subscription);
  g_queue_clear_full (&rec->pending, (GDestroyNotify) g_variant_unref);
  g_object_unref (rec->conn);
  g_free (rec);
}

static gboolean
recorder_has_pending (gpointer user_data)
{
  HbTestSignalRecorder *rec = user_data;

  return !g_queue_is_empty (&rec->pending);
}

GVariant *
hb_test_signal_recorder_wait (HbTestSignalRecorder *rec, guint timeout_ms, GError **error)
{
  if (!hb_test_wait_until (recorder_has_pending, rec, timeout_ms))
    {
      g_set_error (error, G_IO_ERROR, G_IO_ERROR_TIMED_OUT,
                   "No signal within %u ms (%u received before)", timeout_ms, rec->count);
      return NULL;
    }
  return g_queue_pop_head (&rec->pending);
}

guint
hb_test_signal_recorder_get_count (HbTestSignalRecorder *rec)
{
  return rec->count;
}

GVariant *
hb_test_wait_for_signal (GDBusConnection *conn, const char *sender, const char *path,
                         const char *interface, const char *member, const char *arg0,
                         guint timeout_ms, GError **error)
{
  g_autoptr(HbTestSignalRecorder) rec = NULL;
  GVariant *params;

  rec = hb_test_signal_recorder_new (conn, sender, path, interface, member, arg0);
  params = hb_test_signal_recorder_wait (rec, timeout_ms, error);
  if (params == NULL)
    g_prefix_error (error, "%s.%s: ", interface != NULL ? interface : "*",
                    member != NULL ? member : "*");
  return params;
}

/* ---- properties ---- */

GVariant *
hb_test_get_property (GDBusConnection *conn, const char *bus_name, const char *path,
                      const char *interface, const char *property, GError **error)
{
  g_autoptr(GCancellable) cancel = g_cancellable_new ();
  g_autoptr(GAsyncResult) res = NULL;
  g_autoptr(GVariant) reply = NULL;
  GVariant *value;

  /* Asynchronous, with the loop running: the object may live in this very process. */
  g_dbus_connection_call (conn, bus_name, path, "org.freedesktop.DBus.Properties", "Get",
                          g_variant_new ("(ss)", interface, property), G_VARIANT_TYPE ("(v)"),
                          G_DBUS_CALL_FLAGS_NONE, HB_TEST_TIMEOUT_MS, cancel,
                          hb_test_store_result_cb, &res);
  hb_test_await (&res, cancel, NULL, HB_TEST_TIMEOUT_MS + 1000);
  reply = g_dbus_connection_call_finish (conn, res, error);
  if (reply == NULL)
    return NULL;
  g_variant_get (reply, "(v)", &value);
  return value;
}

typedef struct {
  GDBusConnection *conn;
  const char *bus_name;
  const char *path;
  const char *interface;
  const char *property;
  GVariant *expected;
  GVariant *last;      /* last value seen */
  GError *error;       /* a failed Get */
  guint gets_pending;
  gboolean matched;
} PropWait;

static void
prop_wait_update (PropWait *w, GVariant *value)
{
  g_clear_pointer (&w->last, g_variant_unref);
  w->last = g_variant_ref (value);
  if (g_variant_equal (value, w->expected))
    w->matched = TRUE;
}

static void
prop_get_cb (GObject *source, GAsyncResult *res, gpointer user_data)
{
  PropWait *w = user_data;
  g_autoptr(GVariant) reply = NULL;
  g_autoptr(GVariant) value = NULL;
  g_autoptr(GError) error = NULL;

  w->gets_pending--;
  reply = g_dbus_connection_call_finish (G_DBUS_CONNECTION (source), res, &error);
  if (reply == NULL)
    {
      if (w->error == NULL)
        w->error = g_steal_pointer (&error);
      return;
    }
  g_variant_get (reply, "(v)", &value);
  prop_wait_update (w, value);
}

static void
prop_wait_get (PropWait *w)
{
  w->gets_pending++;
  g_dbus_connection_call (w->conn, w->bus_name, w->path, "org.freedesktop.DBus.Properties", "Get",
                          g_variant_new ("(ss)", w->interface, w->property),
                          G_VARIANT_TYPE ("(v)"), G_DBUS_CALL_FLAGS_NONE, HB_TEST_TIMEOUT_MS,
                          NULL, prop_get_cb, w);
}

static void
prop_changed_cb (GDBusConnection *conn, const char *sender, const char *path,
                 const char *interface, const char *member, GVariant *parameters,
                 gpointer user_data)
{
  PropWait *w = user_data;
  const char *iface;
  g_autoptr(GVariant) changed = NULL;
  g_autoptr(GVariant) value = NULL;
  g_autofree const char **invalidated = NULL;

  if (!g_variant_is_of_type (parameters, G_VARIANT_TYPE ("(sa{sv}as)")))
    return;
  g_variant_get (parameters, "(&s@a{sv}^a&s)", &iface, &changed, &invalidated);
  if (g_strcmp0 (iface, w->interface) != 0)
    return;
  value = g_variant_lookup_value (changed, w->property, NULL);
  if (value != NULL)
    prop_wait_update (w, value);
  else if (g_strv_contains (invalidated, w->property))
    prop_wait_get (w);
}

static gboolean
prop_wait_done (gpointer user_data)
{
  PropWait *w = user_data;

  return w->matched || w->error != NULL;
}

static gboolean
prop_wait_idle (gpointer user_data)
{
  return ((PropWait *) user_data)->gets_pending == 0;
}

gboolean
hb_test_wait_for_property (GDBusConnection *conn, const char *bus_name, const char *path,
                           const char *interface, const char *property,
                           GVariant *expected, guint timeout_ms, GError **error)
{
  PropWait w = { conn, bus_name, path, interface, property, g_variant_ref_sink (expected) };
  guint sub;

  /* Subscribe before the first Get so that no change in between is missed. */
  sub = g_dbus_connection_signal_subscribe (conn, bus_name, "org.freedesktop.DBus.Properties",
                                            "PropertiesChanged", path, interface,
                                            G_DBUS_SIGNAL_FLAGS_NONE, prop_changed_cb, &w, NULL);
  prop_wait_get (&w);
  hb_test_wait_until (prop_wait_done, &w, timeout_ms);
  g_dbus_connection_signal_unsubscribe (conn, sub);
  /* Pending Get callbacks point at @w on this stack frame: let them land (each has its own
   * D-Bus timeout, so this ends). */
  hb_test_wait_until (prop_wait_idle, &w, HB_TEST_TIMEOUT_MS + 1000);

  if (!w.matched)
    {
      g_autofree char *want = g_variant_print (w.expected, TRUE);
      g_autofree char *seen = w.last != NULL ? g_variant_print (w.last, TRUE) : g_strdup ("none");

      if (w.error != NULL)
        g_propagate_prefixed_error (error, g_steal_pointer (&w.error), "%s.%s: ", interface,
                                    property);
      else
        g_set_error (error, G_IO_ERROR, G_IO_ERROR_TIMED_OUT,
                     "%s.%s on %s is %s, not %s, after %u ms", interface, property, path, seen,
                     want, timeout_ms);
    }
  g_clear_error (&w.error);
  g_clear_pointer (&w.last, g_variant_unref);
  g_variant_unref (w.expected);
  return w.matched;
}
