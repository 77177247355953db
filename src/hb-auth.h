/* hb-auth.h: who may change what. On the system bus every mutating call and property write is
 * checked with polkit, asynchronously; on the session bus the caller owns the daemon anyway. */
#pragma once

#include <gio/gio.h>

G_BEGIN_DECLS

typedef enum {
  HB_AUTH_READ,       /* open to everyone */
  HB_AUTH_CONTROL,    /* org.crt.heartbeat.control: Start, Stop, RunNow, Preview */
  HB_AUTH_CONFIGURE,  /* org.crt.heartbeat.configure: property writes, SetConfig, ResetConfig,
                       * AddThread, SetHeartbeatMd */
} HbAuthAction;

/* The one place that maps calls to actions: @member is a method name, or "Set:<Property>" for a
 * property write. Anything not listed is refused (HB_AUTH_CONFIGURE is returned so that it is
 * checked rather than waved through; unknown members never reach here because GDBus refuses them). */
HbAuthAction hb_auth_action_for (const char *interface_name, const char *member);
const char *hb_auth_action_id (HbAuthAction action);

#define HB_TYPE_AUTH (hb_auth_get_type ())
G_DECLARE_FINAL_TYPE (HbAuth, hb_auth, HB, AUTH, GObject)

HbAuth *hb_auth_new (GDBusConnection *connection, gboolean use_polkit);

typedef void (*HbAuthFunc) (GDBusMethodInvocation *invocation, gpointer user_data);

/* Call @func when the caller of @invocation may do @action; otherwise reply AccessDenied.
 * Never blocks: the polkit check is asynchronous, and honours the message's
 * ALLOW_INTERACTIVE_AUTHORIZATION flag. @user_data must outlive the check. */
void hb_auth_check (HbAuth *self, GDBusMethodInvocation *invocation, HbAuthAction action,
                    HbAuthFunc func, gpointer user_data);

G_END_DECLS
