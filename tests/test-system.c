/* test-system.c: the daemon as installed on a system bus, with the real polkitd.
 *
 * Each case gets a system-type bus with the project's bus policy, polkitd with the project's
 * actions, and an activation file; the daemon runs as the service user (as under systemd), so
 * polkit must accept it as an owner of the actions before it answers about other users. The
 * unprivileged caller is nobody (setpriv + gdbus, which names the D-Bus error); root is this
 * program. nobody is in no session, so polkit's allow_any=auth_admin applies: with no agent that
 * is a refusal.
 *
 * Needs root and polkitd; otherwise the whole program is skipped (exit 77, or a TAP skip plan).
 */
#include "config.h"

#include <string.h>
#include <unistd.h>

#include "test-system-bus.h"

#define THREAD_ID "t1"
#define THREAD_PATH HB_TEST_THREADS_PATH "/" THREAD_ID
#define DBUS_ACCESS_DENIED "org.freedesktop.DBus.Error.AccessDenied"

/* Valid new values for every writable Thread property (as gdbus parses them), chosen to differ
 * from the defaults; ActiveHoursStart and ActiveHoursEnd come after SetConfig set both. */
static const struct
{
  const char *name;
  const char *value;
} thread_writes[] = {
  { "Enabled", "<false>" },
  { "Every", "<uint32 7200>" },
  { "Target", "<'last'>" },
  { "Model", "<'other:latest'>" },
  { "MaxTokens", "<uint32 123>" },
  { "Temperature", "<0.25>" },
  { "DryRun", "<true>" },
  { "ActiveHoursStart", "<'06:00'>" },
  { "ActiveHoursEnd", "<'22:00'>" },
  { "TimeZone", "<'Europe/Berlin'>" },
};

/* Every mutating method, with valid arguments: only the authorization may refuse it. */
static const struct
{
  const char *path;
  const char *method;
  const char *arg;
  const char *action;
} mutating_calls[] = {
  { HB_TEST_MANAGER_PATH, HB_TEST_MANAGER_IFACE ".Start", NULL, "control" },
  { HB_TEST_MANAGER_PATH, HB_TEST_MANAGER_IFACE ".Stop", NULL, "control" },
  { HB_TEST_MANAGER_PATH, HB_TEST_MANAGER_IFACE ".RunNow", "'" THREAD_ID "'", "control" },
  { HB_TEST_MANAGER_PATH, HB_TEST_MANAGER_IFACE ".SetHeartbeatMd", "'# Post nothing'",
    "configure" },
  { HB_TEST_MANAGER_PATH, HB_TEST_MANAGER_IFACE ".AddThread", "'t2'", "configure" },
  { THREAD_PATH, HB_TEST_THREAD_IFACE ".RunNow", NULL, "control" },
  { THREAD_PATH, HB_TEST_THREAD_IFACE ".Preview", NULL, "control" },
  { THREAD_PATH, HB_TEST_THREAD_IFACE ".SetConfig", "{'every': <uint32 7200>}", "configure" },
  { THREAD_PATH, HB_TEST_THREAD_IFACE ".ResetConfig", NULL, "configure" },
};

static HbTestCommandResult *
gdbus_as (HbSystemBus *sb, uid_t uid, const char *path, const char *method, const char *arg1,
          const char *arg2, const char *arg3)
{
  const char *args[] = { "--dest", HB_TEST_BUS_NAME, "--object-path", path, "--method", method,
                         arg1, arg2, arg3, NULL };
  g_autoptr(GError) error = NULL;
  HbTestCommandResult *r = hb_system_bus_gdbus_call_as (sb, uid, args, &error);

  g_assert_no_error (error);
  return r;
}

static void
assert_denied (HbTestCommandResult *r, const char *what, const char *action)
{
  g_autofree char *action_id = g_strconcat ("org.crt.heartbeat.", action, NULL);

  if (r->exit_status == 0 || strstr (r->err, DBUS_ACCESS_DENIED) == NULL)
    g_error ("%s was not refused with AccessDenied (exit %d): %s%s", what, r->exit_status, r->out,
             r->err);
  /* polkit itself said no (not: no polkit, unknown action, daemon not trusted by polkit). */
  if (strstr (r->err, action_id) == NULL || strstr (r->err, "authentication is required") == NULL)
    g_error ("%s: refused for another reason than %s needing authentication: %s", what,
             action_id, r->err);
}

static void
assert_succeeded (HbTestCommandResult *r, const char *what)
{
  if (r->exit_status != 0)
    g_error ("%s failed (exit %d): %s%s", what, r->exit_status, r->out, r->err);
}

static char *
add_thread (HbSystemBus *sb, const char *id)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(GVariant) reply = hb_system_bus_call (sb, HB_TEST_MANAGER_PATH, HB_TEST_MANAGER_IFACE,
                                                  "AddThread", g_variant_new ("(s)", id),
                                                  G_VARIANT_TYPE ("(o)"), &error);
  char *path = NULL;

  g_assert_no_error (error);
  g_variant_get (reply, "(o)", &path);
  return path;
}

/* ---- D-Bus activation ---- */

static void
test_activation (void)
{
  g_autoptr(HbSystemBus) sb = hb_system_bus_new ();
  GDBusConnection *conn = hb_system_bus_get_connection (sb);
  g_autoptr(GError) error = NULL;
  g_autoptr(GVariant) names = NULL;
  g_autoptr(GVariant) has_owner = NULL;
  g_autoptr(GVariant) owner_uid = NULL;
  g_autofree const char **list = NULL;
  g_autofree char *exe = NULL;
  g_autofree char *exe_link = NULL;
  g_autofree char *daemon = g_test_build_filename (G_TEST_BUILT, "..", "src", "crt-heartbeatd",
                                                   NULL);
  g_autofree char *cmdline = NULL;
  g_autofree char *cmdline_path = NULL;
  gsize cmdline_len = 0;
  gboolean owned = TRUE;
  guint32 uid;
  GPid pid;

  names = g_dbus_connection_call_sync (conn, "org.freedesktop.DBus", "/org/freedesktop/DBus",
                                       "org.freedesktop.DBus", "ListActivatableNames", NULL,
                                       G_VARIANT_TYPE ("(as)"), G_DBUS_CALL_FLAGS_NONE, -1, NULL,
                                       &error);
  g_assert_no_error (error);
  g_variant_get (names, "(^a&s)", &list);
  g_assert_true (g_strv_contains (list, HB_TEST_BUS_NAME));
  has_owner = g_dbus_connection_call_sync (conn, "org.freedesktop.DBus", "/org/freedesktop/DBus",
                                           "org.freedesktop.DBus", "NameHasOwner",
                                           g_variant_new ("(s)", HB_TEST_BUS_NAME),
                                           G_VARIANT_TYPE ("(b)"), G_DBUS_CALL_FLAGS_NONE, -1,
                                           NULL, &error);
  g_assert_no_error (error);
  g_variant_get (has_owner, "(b)", &owned);
  g_assert_false (owned);

  /* The call that finds no daemon starts one, and is answered by it. */
  pid = hb_system_bus_activate (sb);

  /* It is the built daemon, serving the system bus, as the service user. */
  exe_link = g_strdup_printf ("/proc/%d/exe", (int) pid);
  exe = g_file_read_link (exe_link, &error);
  g_assert_no_error (error);
  {
    g_autofree char *real = realpath (daemon, NULL);

    g_assert_cmpstr (exe, ==, real);
  }
  cmdline_path = g_strdup_printf ("/proc/%d/cmdline", (int) pid);
  g_file_get_contents (cmdline_path, &cmdline, &cmdline_len, &error);
  g_assert_no_error (error);
  g_assert_nonnull (memmem (cmdline, cmdline_len, "\0--system\0", 10));
  owner_uid = g_dbus_connection_call_sync (conn, "org.freedesktop.DBus", "/org/freedesktop/DBus",
                                           "org.freedesktop.DBus", "GetConnectionUnixUser",
                                           g_variant_new ("(s)", HB_TEST_BUS_NAME),
                                           G_VARIANT_TYPE ("(u)"), G_DBUS_CALL_FLAGS_NONE, -1,
                                           NULL, &error);
  g_assert_no_error (error);
  g_variant_get (owner_uid, "(u)", &uid);
  g_assert_cmpuint (uid, ==, hb_system_bus_get_service_uid (sb));
}

/* ---- who may own the name ---- */

static HbTestCommandResult *
request_name_as_nobody (HbSystemBus *sb, const char *flags)
{
  const char *args[] = { "--dest", "org.freedesktop.DBus", "--object-path",
                         "/org/freedesktop/DBus", "--method", "org.freedesktop.DBus.RequestName",
                         HB_TEST_BUS_NAME, flags, NULL };
  g_autoptr(GError) error = NULL;
  HbTestCommandResult *r = hb_system_bus_gdbus_call_as (sb, HB_SYSTEM_NOBODY_UID, args, &error);

  g_assert_no_error (error);
  return r;
}

static guint32
bus_call_u (GDBusConnection *conn, const char *method, GVariant *parameters)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(GVariant) reply = NULL;
  guint32 value;

  reply = g_dbus_connection_call_sync (conn, "org.freedesktop.DBus", "/org/freedesktop/DBus",
                                       "org.freedesktop.DBus", method, parameters,
                                       G_VARIANT_TYPE ("(u)"), G_DBUS_CALL_FLAGS_NONE, -1, NULL,
                                       &error);
  g_assert_no_error (error);
  g_variant_get (reply, "(u)", &value);
  return value;
}

static void
test_name_ownership (void)
{
  g_autoptr(HbSystemBus) sb = hb_system_bus_new ();
  g_autoptr(GError) error = NULL;
  g_autoptr(GDBusConnection) root = hb_test_env_open_connection (hb_system_bus_get_env (sb),
                                                                 &error);
  g_autoptr(HbTestCommandResult) free_name = NULL;
  g_autoptr(HbTestCommandResult) taken_name = NULL;
  GPid pid;

  g_assert_no_error (error);
  /* Free: nobody may not take it; root may (and gives it back). */
  free_name = request_name_as_nobody (sb, "4");
  g_assert_cmpint (free_name->exit_status, !=, 0);
  g_assert_nonnull (strstr (free_name->err, DBUS_ACCESS_DENIED));
  g_assert_cmpuint (bus_call_u (root, "RequestName", g_variant_new ("(su)", HB_TEST_BUS_NAME, 4)),
                    ==, 1 /* primary owner */);
  g_assert_cmpuint (bus_call_u (root, "ReleaseName", g_variant_new ("(s)", HB_TEST_BUS_NAME)),
                    ==, 1 /* released */);

  /* Held by the daemon (which allows replacement): nobody may not replace it either. */
  pid = hb_system_bus_activate (sb);
  taken_name = request_name_as_nobody (sb, "6");
  g_assert_cmpint (taken_name->exit_status, !=, 0);
  g_assert_nonnull (strstr (taken_name->err, DBUS_ACCESS_DENIED));
  g_assert_cmpint (hb_system_bus_get_owner_pid (sb), ==, pid);
}

/* ---- an unprivileged caller ---- */

static void
test_unprivileged_refused (void)
{
  g_autoptr(HbSystemBus) sb = hb_system_bus_new ();
  g_autofree char *path = NULL;
  g_autofree char *before = NULL;
  g_autofree char *after = NULL;

  hb_system_bus_activate (sb);
  path = add_thread (sb, THREAD_ID);
  g_assert_cmpstr (path, ==, THREAD_PATH);
  before = hb_system_bus_snapshot (sb);

  for (guint i = 0; i < G_N_ELEMENTS (mutating_calls); i++)
    {
      g_autoptr(HbTestCommandResult) r = NULL;

      g_test_message ("nobody calls %s", mutating_calls[i].method);
      r = gdbus_as (sb, HB_SYSTEM_NOBODY_UID, mutating_calls[i].path, mutating_calls[i].method,
                    mutating_calls[i].arg, NULL, NULL);
      assert_denied (r, mutating_calls[i].method, mutating_calls[i].action);
    }
  for (guint i = 0; i < G_N_ELEMENTS (thread_writes); i++)
    {
      g_autoptr(HbTestCommandResult) r = NULL;
      g_autofree char *what = g_strdup_printf ("writing %s", thread_writes[i].name);

      g_test_message ("nobody tries %s", what);
      r = gdbus_as (sb, HB_SYSTEM_NOBODY_UID, THREAD_PATH, "org.freedesktop.DBus.Properties.Set",
                    HB_TEST_THREAD_IFACE, thread_writes[i].name, thread_writes[i].value);
      assert_denied (r, what, "configure");
    }
  /* Asking for interactive authorization changes nothing without an agent to ask. */
  {
    const char *args[] = { "--interactive", "--dest", HB_TEST_BUS_NAME, "--object-path",
                           HB_TEST_MANAGER_PATH, "--method", HB_TEST_MANAGER_IFACE ".Start", NULL };
    g_autoptr(GError) error = NULL;
    g_autoptr(HbTestCommandResult) r = hb_system_bus_gdbus_call_as (sb, HB_SYSTEM_NOBODY_UID,
                                                                    args, &error);

    g_assert_no_error (error);
    assert_denied (r, "Start with interactive authorization", "control");
  }

  after = hb_system_bus_snapshot (sb);
  g_assert_cmpstr (after, ==, before);
}

/* What nobody reads equals what root reads. */
static void
assert_same_reply (HbSystemBus *sb, const char *path, const char *method, const char *arg,
                   const char *reply_type)
{
  const char *dot = strrchr (method, '.');
  g_autofree char *iface = g_strndup (method, (gsize) (dot - method));
  g_autoptr(HbTestCommandResult) r = gdbus_as (sb, HB_SYSTEM_NOBODY_UID, path, method, arg, NULL,
                                               NULL);
  g_autoptr(GVariant) theirs = NULL;
  g_autoptr(GVariant) ours = NULL;
  g_autoptr(GError) error = NULL;
  g_autoptr(GVariant) parameters = NULL;

  assert_succeeded (r, method);
  theirs = g_variant_parse (G_VARIANT_TYPE (reply_type), r->out, NULL, NULL, &error);
  g_assert_no_error (error);
  if (arg != NULL)
    {
      g_autofree char *text = g_strdup_printf ("(%s,)", arg);

      parameters = g_variant_parse (NULL, text, NULL, NULL, &error);
      g_assert_no_error (error);
    }
  ours = hb_system_bus_call (sb, path, iface, dot + 1, parameters, G_VARIANT_TYPE (reply_type),
                             &error);
  g_assert_no_error (error);
  if (!g_variant_equal (theirs, ours))
    {
      g_autofree char *a = g_variant_print (theirs, TRUE);
      g_autofree char *b = g_variant_print (ours, TRUE);

      g_error ("%s %s: nobody read %s, root %s", path, method, a, b);
    }
}

static void
assert_reads_each_property (HbSystemBus *sb, const char *path, const char *iface)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(GVariant) all = hb_system_bus_call (sb, path, "org.freedesktop.DBus.Properties",
                                                "GetAll", g_variant_new ("(s)", iface),
                                                G_VARIANT_TYPE ("(a{sv})"), &error);
  g_autoptr(GVariant) dict = NULL;
  GVariantIter iter;
  const char *name;
  GVariant *value;
  guint count = 0;

  g_assert_no_error (error);
  dict = g_variant_get_child_value (all, 0);
  g_variant_iter_init (&iter, dict);
  while (g_variant_iter_loop (&iter, "{&sv}", &name, &value))
    {
      g_autoptr(HbTestCommandResult) r = gdbus_as (sb, HB_SYSTEM_NOBODY_UID, path,
                                                   "org.freedesktop.DBus.Properties.Get", iface,
                                                   name, NULL);
      g_autoptr(GVariant) got = NULL;
      g_autoptr(GVariant) inner = NULL;

      assert_succeeded (r, name);
      got = g_variant_parse (G_VARIANT_TYPE ("(v)"), r->out, NULL, NULL, &error);
      g_assert_no_error (error);
      {
        g_autoptr(GVariant) boxed = g_variant_get_child_value (got, 0);

        inner = g_variant_get_variant (boxed);
      }
      if (!g_variant_equal (inner, value))
        g_error ("%s.%s: nobody read %s", iface, name, g_variant_print (inner, TRUE));
      count++;
    }
  g_assert_cmpuint (count, >, 5);
}

static void
test_unprivileged_reads (void)
{
  static const char *const introspected[] = {
    "/", "/org/crt/Heartbeat", HB_TEST_THREADS_PATH, THREAD_PATH,
  };
  g_autoptr(HbSystemBus) sb = hb_system_bus_new ();
  g_autofree char *path = NULL;

  hb_system_bus_activate (sb);
  path = add_thread (sb, THREAD_ID);

  assert_same_reply (sb, HB_TEST_MANAGER_PATH, "org.freedesktop.DBus.Properties.GetAll",
                     "'" HB_TEST_MANAGER_IFACE "'", "(a{sv})");
  assert_same_reply (sb, THREAD_PATH, "org.freedesktop.DBus.Properties.GetAll",
                     "'" HB_TEST_THREAD_IFACE "'", "(a{sv})");
  assert_reads_each_property (sb, HB_TEST_MANAGER_PATH, HB_TEST_MANAGER_IFACE);
  assert_reads_each_property (sb, THREAD_PATH, HB_TEST_THREAD_IFACE);
  assert_same_reply (sb, HB_TEST_MANAGER_PATH,
                     "org.freedesktop.DBus.ObjectManager.GetManagedObjects", NULL,
                     "(a{oa{sa{sv}}})");
  assert_same_reply (sb, HB_TEST_MANAGER_PATH, HB_TEST_MANAGER_IFACE ".ListThreads", NULL,
                     "(ao)");
  assert_same_reply (sb, HB_TEST_MANAGER_PATH, HB_TEST_MANAGER_IFACE ".GetThread",
                     "'" THREAD_ID "'", "(o)");
  assert_same_reply (sb, HB_TEST_MANAGER_PATH, HB_TEST_MANAGER_IFACE ".GetHeartbeatMd", NULL,
                     "(sts)");
  assert_same_reply (sb, THREAD_PATH, HB_TEST_THREAD_IFACE ".GetHistory", "uint32 0",
                     "(aa{sv})");

  for (guint i = 0; i < G_N_ELEMENTS (introspected); i++)
    {
      g_autoptr(HbTestCommandResult) r = gdbus_as (sb, HB_SYSTEM_NOBODY_UID, introspected[i],
                                                   "org.freedesktop.DBus.Introspectable.Introspect",
                                                   NULL, NULL, NULL);

      assert_succeeded (r, introspected[i]);
      g_assert_nonnull (strstr (r->out, "<node"));
    }
  {
    g_autoptr(HbTestCommandResult) manager = gdbus_as (
      sb, HB_SYSTEM_NOBODY_UID, HB_TEST_MANAGER_PATH,
      "org.freedesktop.DBus.Introspectable.Introspect", NULL, NULL, NULL);
    g_autoptr(HbTestCommandResult) ping = gdbus_as (sb, HB_SYSTEM_NOBODY_UID, HB_TEST_MANAGER_PATH,
                                                    "org.freedesktop.DBus.Peer.Ping", NULL, NULL,
                                                    NULL);

    g_assert_nonnull (strstr (manager->out, HB_TEST_MANAGER_IFACE));
    assert_succeeded (ping, "Ping");
  }
}

/* ---- root ---- */

static void
set_thread_property (HbSystemBus *sb, const char *name, GVariant *value)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(GVariant) reply = NULL;
  g_autoptr(GVariant) now = NULL;

  g_variant_ref_sink (value);
  reply = hb_system_bus_call (sb, THREAD_PATH, "org.freedesktop.DBus.Properties", "Set",
                              g_variant_new ("(ssv)", HB_TEST_THREAD_IFACE, name, value), NULL,
                              &error);
  g_assert_no_error (error);
  now = hb_test_get_property (hb_system_bus_get_connection (sb), HB_TEST_BUS_NAME, THREAD_PATH,
                              HB_TEST_THREAD_IFACE, name, &error);
  g_assert_no_error (error);
  if (!g_variant_equal (now, value))
    g_error ("%s is %s after writing %s", name, g_variant_print (now, TRUE),
             g_variant_print (value, TRUE));
  g_variant_unref (value);
}

static GVariant *
root_call (HbSystemBus *sb, const char *path, const char *iface, const char *method,
           GVariant *parameters)
{
  g_autoptr(GError) error = NULL;
  GVariant *reply = hb_system_bus_call (sb, path, iface, method, parameters, NULL, &error);

  g_assert_no_error (error);
  return reply;
}

static void
wait_for_enabled (HbSystemBus *sb, gboolean enabled)
{
  g_autoptr(GError) error = NULL;

  g_assert_true (hb_test_wait_for_property (hb_system_bus_get_connection (sb), HB_TEST_BUS_NAME,
                                            HB_TEST_MANAGER_PATH, HB_TEST_MANAGER_IFACE,
                                            "Enabled", g_variant_new_boolean (enabled),
                                            HB_TEST_TIMEOUT_MS, &error));
  g_assert_no_error (error);
}

static void
run_and_wait (HbSystemBus *sb, const char *path, const char *iface, GVariant *parameters)
{
  g_autoptr(HbTestSignalRecorder) rec = hb_test_signal_recorder_new (
    hb_system_bus_get_connection (sb), HB_TEST_BUS_NAME, HB_TEST_MANAGER_PATH,
    HB_TEST_MANAGER_IFACE, "HeartbeatCompleted", THREAD_ID);
  g_autoptr(GVariant) reply = root_call (sb, path, iface, "RunNow", parameters);
  g_autoptr(GVariant) done = NULL;
  g_autoptr(GVariant) result = NULL;
  g_autoptr(GError) error = NULL;
  const char *run_id = NULL;
  const char *done_id = NULL;

  g_variant_get (reply, "(&s)", &run_id);
  g_assert_cmpstr (run_id, !=, "");
  done = hb_test_signal_recorder_wait (rec, HB_TEST_TIMEOUT_MS, &error);
  g_assert_no_error (error);
  result = g_variant_get_child_value (done, 1);
  g_assert_true (g_variant_lookup (result, "run_id", "&s", &done_id));
  g_assert_cmpstr (done_id, ==, run_id);
}

static void
test_root_allowed (void)
{
  g_autoptr(HbSystemBus) sb = hb_system_bus_new ();
  g_autofree char *path = NULL;
  g_autofree char *md_path = NULL;
  g_autofree char *md = NULL;
  g_autoptr(GVariant) every_default = NULL;
  g_autoptr(GVariant) every_now = NULL;
  g_autoptr(GVariant) preview = NULL;
  g_autoptr(GVariant) dict = NULL;
  g_autoptr(GError) error = NULL;
  GVariant *reply;

  hb_system_bus_activate (sb);
  path = add_thread (sb, THREAD_ID);
  g_assert_cmpstr (path, ==, THREAD_PATH);
  every_default = hb_test_get_property (hb_system_bus_get_connection (sb), HB_TEST_BUS_NAME,
                                        THREAD_PATH, HB_TEST_THREAD_IFACE, "Every", &error);
  g_assert_no_error (error);

  reply = root_call (sb, HB_TEST_MANAGER_PATH, HB_TEST_MANAGER_IFACE, "Start", NULL);
  g_variant_unref (reply);
  wait_for_enabled (sb, TRUE);
  reply = root_call (sb, HB_TEST_MANAGER_PATH, HB_TEST_MANAGER_IFACE, "Stop", NULL);
  g_variant_unref (reply);
  wait_for_enabled (sb, FALSE);

  reply = root_call (sb, HB_TEST_MANAGER_PATH, HB_TEST_MANAGER_IFACE, "SetHeartbeatMd",
                     g_variant_new ("(s)", "# Standing orders\nPost nothing.\n"));
  g_variant_unref (reply);
  md_path = g_build_filename (hb_test_env_get_workspace (hb_system_bus_get_env (sb)),
                              "HEARTBEAT.md", NULL);
  g_file_get_contents (md_path, &md, NULL, &error);
  g_assert_no_error (error);
  g_assert_cmpstr (md, ==, "# Standing orders\nPost nothing.\n");

  /* Active hours come in pairs: both at once first, then each on its own. */
  reply = root_call (sb, THREAD_PATH, HB_TEST_THREAD_IFACE, "SetConfig",
                     g_variant_new_parsed ("({'active_hours_start': <'07:00'>, "
                                           "'active_hours_end': <'21:00'>},)"));
  g_variant_unref (reply);
  for (guint i = 0; i < G_N_ELEMENTS (thread_writes); i++)
    {
      GVariant *v = g_variant_parse (NULL, thread_writes[i].value, NULL, NULL, &error);

      g_assert_no_error (error);
      g_autoptr(GVariant) value = g_variant_get_variant (v);

      set_thread_property (sb, thread_writes[i].name, value);
      g_variant_unref (v);
    }

  reply = root_call (sb, THREAD_PATH, HB_TEST_THREAD_IFACE, "ResetConfig", NULL);
  g_variant_unref (reply);
  every_now = hb_test_get_property (hb_system_bus_get_connection (sb), HB_TEST_BUS_NAME,
                                    THREAD_PATH, HB_TEST_THREAD_IFACE, "Every", &error);
  g_assert_no_error (error);
  g_assert_true (g_variant_equal (every_now, every_default));

  run_and_wait (sb, HB_TEST_MANAGER_PATH, HB_TEST_MANAGER_IFACE,
                g_variant_new ("(s)", THREAD_ID));
  run_and_wait (sb, THREAD_PATH, HB_TEST_THREAD_IFACE, NULL);
  preview = root_call (sb, THREAD_PATH, HB_TEST_THREAD_IFACE, "Preview", NULL);
  dict = g_variant_get_child_value (preview, 0);
  g_assert_true (g_variant_lookup (dict, "verdict", "&s", NULL));

  g_free (add_thread (sb, "t2"));
}

int
main (int argc, char **argv)
{
  g_autofree char *unsupported = hb_system_bus_unsupported ();
  g_autoptr(GError) error = NULL;
  gboolean created = FALSE;
  int status;

  if (unsupported != NULL)
    {
      /* TAP readers take a skip plan; anything else takes the automake convention. */
      for (int i = 1; i < argc; i++)
        if (g_str_equal (argv[i], "--tap"))
          {
            g_print ("1..0 # SKIP %s\n", unsupported);
            return 0;
          }
      g_printerr ("SKIP: %s\n", unsupported);
      return 77;
    }

  g_test_init (&argc, &argv, NULL);
  if (!hb_system_bus_ensure_service_user (&created, &error))
    g_error ("%s", error->message);

  g_test_add_func ("/system/activation", test_activation);
  g_test_add_func ("/system/name-ownership", test_name_ownership);
  g_test_add_func ("/system/unprivileged-refused", test_unprivileged_refused);
  g_test_add_func ("/system/unprivileged-reads", test_unprivileged_reads);
  g_test_add_func ("/system/root-allowed", test_root_allowed);
  g_test_add_func ("/system/interactive-authorization", hb_system_test_interactive_authorization);
  status = g_test_run ();

  if (created)
    hb_system_bus_remove_service_user ();
  return status;
}
