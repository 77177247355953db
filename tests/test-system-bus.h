/* test-system-bus.h: a system bus as the daemon meets it when installed, for test-system.c.
 *
 * A system-type dbus-daemon (deny by default) with the project's built bus policy and polkit's;
 * the real polkitd on it (started as root, it becomes the polkitd user itself), reading the
 * project's built actions, bind-mounted over /usr/share/polkit-1/actions in a mount namespace of
 * its own so that the host's polkit is left alone (polkitd has no option to read them elsewhere);
 * and a test variant of the activation file whose Exec= starts the built daemon as the
 * service user, with its state in the test's temporary directory.
 */
#pragma once

#include <gio/gio.h>
#include <sys/types.h>

#include "hb-test-daemon.h"

G_BEGIN_DECLS

#define HB_SYSTEM_NOBODY_UID 65534

typedef struct _HbSystemBus HbSystemBus;

/* Why these tests cannot run here (not root, polkitd or a tool missing, no mount namespaces),
 * or NULL when they can. */
char *hb_system_bus_unsupported (void);

/* Make sure the service user exists (useradd --system when it does not); *@created tells
 * whether it was created here, so that hb_system_bus_remove_service_user() undoes it. */
gboolean hb_system_bus_ensure_service_user (gboolean *created, GError **error);
void hb_system_bus_remove_service_user (void);

/* Everything up to a running polkitd; the daemon is not running (only activatable). */
HbSystemBus *hb_system_bus_new (void);
/* Stop the activated daemon, polkitd and the environment. */
void hb_system_bus_free (HbSystemBus *sb);
G_DEFINE_AUTOPTR_CLEANUP_FUNC (HbSystemBus, hb_system_bus_free)

HbTestEnv *hb_system_bus_get_env (HbSystemBus *sb);
/* The test's own connection (root), transfer none. */
GDBusConnection *hb_system_bus_get_connection (HbSystemBus *sb);
uid_t hb_system_bus_get_service_uid (HbSystemBus *sb);

/* A method call from the test (root) with auto-start, synchronous, reply transfer full. */
GVariant *hb_system_bus_call (HbSystemBus *sb, const char *path, const char *interface,
                              const char *method, GVariant *parameters,
                              const GVariantType *reply_type, GError **error);

/* Activate the daemon by calling it, then wait until its backend probe has settled, so that
 * nothing changes on its own afterwards. Returns the daemon's pid. */
GPid hb_system_bus_activate (HbSystemBus *sb);
/* The pid of the process owning org.crt.Heartbeat, 0 when none. */
GPid hb_system_bus_get_owner_pid (HbSystemBus *sb);

/* `gdbus call --address BUS ARGS...` run as @uid (setpriv, no supplementary groups). */
HbTestCommandResult *hb_system_bus_gdbus_call_as (HbSystemBus *sb, uid_t uid,
                                                  const char *const *args, GError **error);

/* Everything a caller could change, as text: the Manager's properties, every thread object, the
 * database's rows, HEARTBEAT.md and the fake Ollama's request count. */
char *hb_system_bus_snapshot (HbSystemBus *sb);

/* The test case of test-system-agent.c (an authentication agent sees interactive calls). */
void hb_system_test_interactive_authorization (void);

G_END_DECLS
