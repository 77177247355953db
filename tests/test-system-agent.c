/* test-system-agent.c: whether the daemon lets polkit ask the user, and what polkit would ask.
 *
 * A caller that allows interactive authorization gets polkit to start an authentication agent;
 * one that does not, gets none. To see that, this program registers a polkit agent for the one
 * process that will call, which therefore must exist before it calls: a shell run as nobody that
 * waits for a line on stdin and then execs gdbus (same pid, same start time, so polkit takes the
 * caller for the process the agent was registered for). The agent declines every request, so the
 * call is still refused; it records what polkit asked, in the locale it registered with.
 */
#include "config.h"

#include <string.h>

#include "hb-test-proc.h"
#include "test-system-bus.h"

#define AGENT_PATH "/org/crt/HeartbeatTest/Agent"
#define AGENT_IFACE "org.freedesktop.PolicyKit1.AuthenticationAgent"

static const char agent_xml[] =
  "<node>"
  "  <interface name='" AGENT_IFACE "'>"
  "    <method name='BeginAuthentication'>"
  "      <arg type='s' name='action_id' direction='in'/>"
  "      <arg type='s' name='message' direction='in'/>"
  "      <arg type='s' name='icon_name' direction='in'/>"
  "      <arg type='a{ss}' name='details' direction='in'/>"
  "      <arg type='s' name='cookie' direction='in'/>"
  "      <arg type='a(sa{sv})' name='identities' direction='in'/>"
  "    </method>"
  "    <method name='CancelAuthentication'>"
  "      <arg type='s' name='cookie' direction='in'/>"
  "    </method>"
  "  </interface>"
  "</node>";

typedef struct
{
  guint requests;
  char *action_id;
  char *message;
} Agent;

static void
agent_method_call (GDBusConnection *connection, const char *sender, const char *object_path,
                   const char *interface_name, const char *method_name, GVariant *parameters,
                   GDBusMethodInvocation *invocation, gpointer user_data)
{
  Agent *agent = user_data;

  if (g_str_equal (method_name, "BeginAuthentication"))
    {
      agent->requests++;
      g_clear_pointer (&agent->action_id, g_free);
      g_clear_pointer (&agent->message, g_free);
      g_variant_get_child (parameters, 0, "s", &agent->action_id);
      g_variant_get_child (parameters, 1, "s", &agent->message);
      /* As if the user dismissed the dialog. */
      g_dbus_method_invocation_return_dbus_error (invocation,
                                                  "org.freedesktop.PolicyKit1.Error.Cancelled",
                                                  "Declined by the test agent");
      return;
    }
  g_dbus_method_invocation_return_value (invocation, NULL);
}

static const GDBusInterfaceVTable agent_vtable = { agent_method_call, NULL, NULL, { 0 } };

/* polkit's unix-process subject: pid, the start time from /proc/PID/stat (field 22) and uid. */
static GVariant *
process_subject (GPid pid, uid_t uid)
{
  g_autofree char *stat_path = g_strdup_printf ("/proc/%d/stat", (int) pid);
  g_autofree char *stat = NULL;
  g_autoptr(GError) error = NULL;
  g_auto(GStrv) fields = NULL;
  const char *after_comm;
  GVariantBuilder details;

  g_file_get_contents (stat_path, &stat, NULL, &error);
  g_assert_no_error (error);
  after_comm = strrchr (stat, ')');
  g_assert_nonnull (after_comm);
  fields = g_strsplit (after_comm + 2, " ", -1);
  /* fields[0] is field 3 (the state). */
  g_assert_cmpuint (g_strv_length (fields), >, 19);

  g_variant_builder_init (&details, G_VARIANT_TYPE_VARDICT);
  g_variant_builder_add (&details, "{sv}", "pid", g_variant_new_uint32 ((guint32) pid));
  g_variant_builder_add (&details, "{sv}", "start-time",
                         g_variant_new_uint64 (g_ascii_strtoull (fields[19], NULL, 10)));
  g_variant_builder_add (&details, "{sv}", "uid", g_variant_new_int32 ((gint32) uid));
  return g_variant_new ("(sa{sv})", "unix-process", &details);
}

static void
authority_call (GDBusConnection *conn, const char *method, GVariant *parameters)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(GVariant) reply = NULL;

  reply = g_dbus_connection_call_sync (conn, "org.freedesktop.PolicyKit1",
                                       "/org/freedesktop/PolicyKit1/Authority",
                                       "org.freedesktop.PolicyKit1.Authority", method, parameters,
                                       NULL, G_DBUS_CALL_FLAGS_NONE, -1, NULL, &error);
  g_assert_no_error (error);
}

/* nobody calls Manager.Start, interactively or not, with an agent registered for it in the
 * German locale. Returns the caller's output; @agent says what polkit asked. */
static char *
start_as_nobody_with_agent (HbSystemBus *sb, gboolean interactive, Agent *agent)
{
  HbTestEnv *env = hb_system_bus_get_env (sb);
  GDBusConnection *conn = hb_system_bus_get_connection (sb);
  g_autofree char *script = g_strdup_printf (
    "read go && exec gdbus call %s --address '%s' --dest %s --object-path %s --method %s.Start",
    interactive ? "--interactive" : "", hb_test_env_get_bus_address (env), HB_TEST_BUS_NAME,
    HB_TEST_MANAGER_PATH, HB_TEST_MANAGER_IFACE);
  g_autofree char *log = g_build_filename (hb_test_env_get_tmpdir (env), "caller.log", NULL);
  g_autofree char *uid_arg = g_strdup_printf ("--reuid=%u", HB_SYSTEM_NOBODY_UID);
  g_autofree char *gid_arg = g_strdup_printf ("--regid=%u", HB_SYSTEM_NOBODY_UID);
  const char *argv[] = { "setpriv", uid_arg, gid_arg, "--clear-groups", "/bin/sh", "-c", script,
                         NULL };
  g_autoptr(GDBusNodeInfo) node = g_dbus_node_info_new_for_xml (agent_xml, NULL);
  g_autoptr(GSubprocessLauncher) launcher = NULL;
  g_autoptr(GVariant) subject = NULL;
  g_autoptr(GError) error = NULL;
  HbTestProc caller = { 0 };
  char *output = NULL;
  guint reg;

  g_assert_nonnull (node);
  reg = g_dbus_connection_register_object (conn, AGENT_PATH, node->interfaces[0], &agent_vtable,
                                           agent, NULL, &error);
  g_assert_no_error (error);

  launcher = hb_test_env_new_launcher (env, G_SUBPROCESS_FLAGS_STDIN_PIPE
                                              | G_SUBPROCESS_FLAGS_STDERR_MERGE);
  g_subprocess_launcher_set_stdout_file_path (launcher, log);
  hb_test_proc_clear (&caller);
  hb_test_proc_spawn (&caller, launcher, argv, &error);
  g_assert_no_error (error);
  /* setpriv has exec'd the shell once it reads: register for that process, then let it call. */
  subject = g_variant_ref_sink (process_subject (caller.pid, HB_SYSTEM_NOBODY_UID));
  authority_call (conn, "RegisterAuthenticationAgent",
                  g_variant_new ("(@(sa{sv})ss)", subject, "de_DE.UTF-8", AGENT_PATH));
  g_output_stream_write_all (g_subprocess_get_stdin_pipe (caller.proc), "go\n", 3, NULL, NULL,
                             &error);
  g_assert_no_error (error);
  g_assert_true (hb_test_proc_wait (&caller, HB_TEST_TIMEOUT_MS * 3, &error));
  g_assert_no_error (error);
  g_assert_cmpint (caller.status, !=, 0);
  hb_test_proc_clear (&caller);

  /* No UnregisterAuthenticationAgent: polkit cannot look up a process that has exited. The
   * registration is dropped with this connection, at the end of the test. */
  g_dbus_connection_unregister_object (conn, reg);
  g_file_get_contents (log, &output, NULL, &error);
  g_assert_no_error (error);
  return output;
}

void
hb_system_test_interactive_authorization (void)
{
  g_autoptr(HbSystemBus) sb = hb_system_bus_new ();
  g_autofree char *quiet = NULL;
  g_autofree char *asked = NULL;
  Agent agent = { 0 };

  hb_system_bus_activate (sb);

  /* Without the flag polkit must not ask anybody. */
  quiet = start_as_nobody_with_agent (sb, FALSE, &agent);
  g_assert_nonnull (strstr (quiet, "org.freedesktop.DBus.Error.AccessDenied"));
  g_assert_cmpuint (agent.requests, ==, 0);

  /* With it, polkit asks the agent, with the policy's message in the agent's language. */
  asked = start_as_nobody_with_agent (sb, TRUE, &agent);
  g_assert_nonnull (strstr (asked, "org.freedesktop.DBus.Error.AccessDenied"));
  g_assert_cmpuint (agent.requests, ==, 1);
  g_assert_cmpstr (agent.action_id, ==, "org.crt.heartbeat.control");
  g_assert_cmpstr (agent.message, ==,
                   "Zum Starten, Anhalten oder Ausführen des Herzschlags des Agenten ist eine "
                   "Authentifizierung erforderlich");
  g_free (agent.action_id);
  g_free (agent.message);
}
