/* hb-auth.c: polkit checks, off the main loop's critical path */
#include "config.h"

#include <polkit/polkit.h>

#include "hb-auth.h"

struct _HbAuth
{
  GObject parent_instance;

  gboolean use_polkit;
  PolkitAuthority *authority;
  GList *pending;   /* Check* waiting for the authority */
  gboolean getting_authority;
};

G_DEFINE_FINAL_TYPE (HbAuth, hb_auth, G_TYPE_OBJECT)

static const struct
{
  const char *interface_name;
  const char *member;
  HbAuthAction action;
} action_map[] = {
  { "org.crt.Heartbeat1.Manager", "Start", HB_AUTH_CONTROL },
  { "org.crt.Heartbeat1.Manager", "Stop", HB_AUTH_CONTROL },
  { "org.crt.Heartbeat1.Manager", "RunNow", HB_AUTH_CONTROL },
  { "org.crt.Heartbeat1.Manager", "AddThread", HB_AUTH_CONFIGURE },
  { "org.crt.Heartbeat1.Manager", "SetHeartbeatMd", HB_AUTH_CONFIGURE },
  { "org.crt.Heartbeat1.Manager", "GetHeartbeatMd", HB_AUTH_READ },
  { "org.crt.Heartbeat1.Manager", "ListThreads", HB_AUTH_READ },
  { "org.crt.Heartbeat1.Manager", "GetThread", HB_AUTH_READ },
  { "org.crt.Heartbeat1.Thread", "RunNow", HB_AUTH_CONTROL },
  { "org.crt.Heartbeat1.Thread", "Preview", HB_AUTH_CONTROL },
  { "org.crt.Heartbeat1.Thread", "SetConfig", HB_AUTH_CONFIGURE },
  { "org.crt.Heartbeat1.Thread", "ResetConfig", HB_AUTH_CONFIGURE },
  { "org.crt.Heartbeat1.Thread", "GetHistory", HB_AUTH_READ },
  { "org.crt.Heartbeat1.Thread", "Set:*", HB_AUTH_CONFIGURE },
};

HbAuthAction
hb_auth_action_for (const char *interface_name, const char *member)
{
  for (guint i = 0; i < G_N_ELEMENTS (action_map); i++)
    {
      if (g_strcmp0 (action_map[i].interface_name, interface_name) != 0)
        continue;
      if (g_strcmp0 (action_map[i].member, member) == 0 ||
          (g_str_equal (action_map[i].member, "Set:*") && g_str_has_prefix (member, "Set:")))
        return action_map[i].action;
    }
  /* Default deny: whatever is not listed needs the stronger right. */
  return HB_AUTH_CONFIGURE;
}

const char *
hb_auth_action_id (HbAuthAction action)
{
  switch (action)
    {
    case HB_AUTH_CONTROL:
      return "org.crt.heartbeat.control";
    case HB_AUTH_CONFIGURE:
      return "org.crt.heartbeat.configure";
    case HB_AUTH_READ:
    default:
      return NULL;
    }
}

typedef struct
{
  HbAuth *self;
  GDBusMethodInvocation *invocation;
  HbAuthAction action;
  HbAuthFunc func;
  gpointer user_data;
} Check;

static void
check_free (Check *c)
{
  g_object_unref (c->self);
  g_object_unref (c->invocation);
  g_free (c);
}

static void
deny (Check *c, const char *why)
{
  g_dbus_method_invocation_return_error (c->invocation, G_DBUS_ERROR, G_DBUS_ERROR_ACCESS_DENIED,
                                         "Not authorized to %s: %s",
                                         hb_auth_action_id (c->action), why);
  check_free (c);
}

static void
on_checked (GObject *source, GAsyncResult *res, gpointer user_data)
{
  Check *c = user_data;
  g_autoptr(GError) error = NULL;
  g_autoptr(PolkitAuthorizationResult) result =
    polkit_authority_check_authorization_finish (POLKIT_AUTHORITY (source), res, &error);

  if (result == NULL)
    {
      g_warning ("polkit check failed: %s", error->message);
      deny (c, "the authorization could not be checked");
      return;
    }
  if (!polkit_authorization_result_get_is_authorized (result))
    {
      deny (c, polkit_authorization_result_get_is_challenge (result)
                 ? "authentication is required" : "the policy refuses it");
      return;
    }
  c->func (c->invocation, c->user_data);
  check_free (c);
}

static void
ask_polkit (Check *c)
{
  GDBusMessage *msg = g_dbus_method_invocation_get_message (c->invocation);
  PolkitCheckAuthorizationFlags flags = POLKIT_CHECK_AUTHORIZATION_FLAGS_NONE;
  g_autoptr(PolkitSubject) subject =
    polkit_system_bus_name_new (g_dbus_method_invocation_get_sender (c->invocation));

  if (g_dbus_message_get_flags (msg) & G_DBUS_MESSAGE_FLAGS_ALLOW_INTERACTIVE_AUTHORIZATION)
    flags |= POLKIT_CHECK_AUTHORIZATION_FLAGS_ALLOW_USER_INTERACTION;
  polkit_authority_check_authorization (c->self->authority, subject, hb_auth_action_id (c->action),
                                        NULL, flags, NULL, on_checked, c);
}

static void
on_authority (GObject *source, GAsyncResult *res, gpointer user_data)
{
  g_autoptr(HbAuth) self = user_data;
  g_autoptr(GError) error = NULL;
  GList *pending;

  self->getting_authority = FALSE;
  self->authority = polkit_authority_get_finish (res, &error);
  if (self->authority == NULL)
    g_warning ("polkit is not available: %s; refusing changes", error->message);
  pending = g_steal_pointer (&self->pending);
  for (GList *l = pending; l != NULL; l = l->next)
    {
      if (self->authority != NULL)
        ask_polkit (l->data);
      else
        deny (l->data, "polkit is not available");
    }
  g_list_free (pending);
}

void
hb_auth_check (HbAuth *self, GDBusMethodInvocation *invocation, HbAuthAction action,
               HbAuthFunc func, gpointer user_data)
{
  Check *c;

  if (!self->use_polkit || action == HB_AUTH_READ)
    {
      func (invocation, user_data);
      return;
    }
  c = g_new0 (Check, 1);
  c->self = g_object_ref (self);
  c->invocation = g_object_ref (invocation);
  c->action = action;
  c->func = func;
  c->user_data = user_data;
  if (self->authority != NULL)
    {
      ask_polkit (c);
      return;
    }
  self->pending = g_list_append (self->pending, c);
  if (!self->getting_authority)
    {
      self->getting_authority = TRUE;
      polkit_authority_get_async (NULL, on_authority, g_object_ref (self));
    }
}

static void
hb_auth_finalize (GObject *object)
{
  HbAuth *self = HB_AUTH (object);

  g_clear_object (&self->authority);
  G_OBJECT_CLASS (hb_auth_parent_class)->finalize (object);
}

static void
hb_auth_class_init (HbAuthClass *klass)
{
  G_OBJECT_CLASS (klass)->finalize = hb_auth_finalize;
}

static void
hb_auth_init (HbAuth *self)
{
}

HbAuth *
hb_auth_new (GDBusConnection *connection, gboolean use_polkit)
{
  HbAuth *self = g_object_new (HB_TYPE_AUTH, NULL);

  self->use_polkit = use_polkit;
  return self;
}
