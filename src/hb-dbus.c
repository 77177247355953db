/* hb-dbus.c: the Manager skeleton and its methods, the ObjectManager, the thread subtree (what
 * clients are told, the signals and the Manager's state, is in hb-dbus-signals.c) */
#include "config.h"

#include <malloc.h>

#include "hb-auth.h"
#include "hb-dbus-private.h"
#include "hb-error.h"

#define THREADS_PATH "/org/crt/Heartbeat/threads"
/* Below dbus-daemon's default max_message_size (32 MiB on the system bus), with room. */
#define MAX_REPLY_BYTES (24 * 1024 * 1024)

G_DEFINE_FINAL_TYPE (HbDbus, hb_dbus, G_TYPE_OBJECT)

static const char om_xml[] =
  "<node><interface name='org.freedesktop.DBus.ObjectManager'>"
  "<method name='GetManagedObjects'>"
  "<arg name='objects' type='a{oa{sa{sv}}}' direction='out'/></method>"
  "<signal name='InterfacesAdded'><arg name='object' type='o'/>"
  "<arg name='interfaces' type='a{sa{sv}}'/></signal>"
  "<signal name='InterfacesRemoved'><arg name='object' type='o'/>"
  "<arg name='interfaces' type='as'/></signal>"
  "</interface></node>";

/* ---- ObjectManager --------------------------------------------------------------------------- */

static void
om_method_call (GDBusConnection *connection, const char *sender, const char *object_path,
                const char *interface_name, const char *method_name, GVariant *parameters,
                GDBusMethodInvocation *invocation, gpointer user_data)
{
  HbDbus *self = user_data;
  g_autoptr(GPtrArray) threads = hb_service_list (self->service);
  GVariantBuilder objects;
  GVariant *reply;

  g_variant_builder_init (&objects, G_VARIANT_TYPE ("a{oa{sa{sv}}}"));
  for (guint i = 0; i < threads->len; i++)
    {
      HbThread *t = threads->pdata[i];

      g_variant_builder_open (&objects, G_VARIANT_TYPE ("{oa{sa{sv}}}"));
      g_variant_builder_add (&objects, "o", t->object_path);
      g_variant_builder_open (&objects, G_VARIANT_TYPE ("a{sa{sv}}"));
      g_variant_builder_add (&objects, "{s@a{sv}}", THREAD_IFACE, hb_dbus_thread_properties (t, self->stopped));
      g_variant_builder_close (&objects);
      g_variant_builder_close (&objects);
    }
  reply = g_variant_ref_sink (g_variant_new ("(a{oa{sa{sv}}})", &objects));
  /* A reply over the bus's message limit would get the daemon itself thrown off the bus. */
  if (g_variant_get_size (reply) > MAX_REPLY_BYTES)
    g_dbus_method_invocation_return_error (invocation, G_DBUS_ERROR, G_DBUS_ERROR_LIMITS_EXCEEDED,
                                           "%u threads are too many for one reply; use "
                                           "ListThreads and GetAll on each thread",
                                           threads->len);
  else
    g_dbus_method_invocation_return_value (invocation, reply);
  g_clear_pointer (&reply, g_variant_unref);
  /* Hand the reply's memory back rather than keep it for the next big one. */
  malloc_trim (0);
}

static const GDBusInterfaceVTable om_vtable = { om_method_call, NULL, NULL, { 0 } };

/* ---- the thread subtree ----------------------------------------------------------------------- */

static char **
subtree_enumerate (GDBusConnection *connection, const char *sender, const char *object_path,
                   gpointer user_data)
{
  HbDbus *self = user_data;
  g_autoptr(GPtrArray) threads = hb_service_list (self->service);
  GStrvBuilder *b = g_strv_builder_new ();
  char **names;

  for (guint i = 0; i < threads->len; i++)
    g_strv_builder_add (b, ((HbThread *) threads->pdata[i])->object_path + strlen (THREADS_PATH "/"));
  names = g_strv_builder_end (b);
  g_strv_builder_unref (b);
  return names;
}

static HbThread *
node_thread (HbDbus *self, const char *node)
{
  g_autofree char *path = NULL;

  if (node == NULL)
    return NULL;
  path = g_strconcat (THREADS_PATH "/", node, NULL);
  return hb_service_lookup_path (self->service, path);
}

static GDBusInterfaceInfo **
subtree_introspect (GDBusConnection *connection, const char *sender, const char *object_path,
                    const char *node, gpointer user_data)
{
  HbDbus *self = user_data;
  GPtrArray *infos;

  if (node_thread (self, node) == NULL)
    return NULL;
  infos = g_ptr_array_new ();
  g_ptr_array_add (infos, g_dbus_interface_info_ref (hb_exported_thread_interface_info ()));
  g_ptr_array_add (infos, NULL);
  return (GDBusInterfaceInfo **) g_ptr_array_free (infos, FALSE);
}

static const GDBusInterfaceVTable *
subtree_dispatch (GDBusConnection *connection, const char *sender, const char *object_path,
                  const char *interface_name, const char *node, gpointer *out_user_data,
                  gpointer user_data)
{
  HbDbus *self = user_data;

  if (node_thread (self, node) == NULL || g_strcmp0 (interface_name, THREAD_IFACE) != 0)
    return NULL;
  *out_user_data = &self->thread_ctx;
  return hb_dbus_thread_vtable ();
}

static const GDBusSubtreeVTable subtree_vtable = {
  subtree_enumerate, subtree_introspect, subtree_dispatch, { 0 }
};

/* ---- Manager methods ------------------------------------------------------------------------- */

typedef struct
{
  HbDbus *self;
  GDBusMethodInvocation *invocation;
  char *arg;
} Call;

/* The reply takes the reference GDBus handed to the handler; the call keeps one of its own until
 * it is freed. */
static Call *
call_new (HbDbus *self, GDBusMethodInvocation *invocation, const char *arg)
{
  Call *c = g_new0 (Call, 1);

  c->self = g_object_ref (self);
  c->invocation = g_object_ref (invocation);
  c->arg = g_strdup (arg);
  return c;
}

static void
call_free (Call *c)
{
  g_object_unref (c->self);
  g_clear_object (&c->invocation);
  g_free (c->arg);
  g_free (c);
}

static void
do_start (GDBusMethodInvocation *invocation, gpointer user_data)
{
  HbDbus *self = user_data;

  hb_service_start (self->service);
  hb_dbus_sync_manager (self, TRUE);
  hb_exported_manager_complete_start (self->manager, invocation);
}

static gboolean
handle_start (HbExportedManager *m, GDBusMethodInvocation *invocation, HbDbus *self)
{
  hb_auth_check (self->auth, invocation, HB_AUTH_CONTROL, do_start, self);
  return G_DBUS_METHOD_INVOCATION_HANDLED;
}

static void
do_stop (GDBusMethodInvocation *invocation, gpointer user_data)
{
  HbDbus *self = user_data;

  hb_service_stop (self->service);
  hb_dbus_sync_manager (self, TRUE);
  hb_exported_manager_complete_stop (self->manager, invocation);
}

static gboolean
handle_stop (HbExportedManager *m, GDBusMethodInvocation *invocation, HbDbus *self)
{
  hb_auth_check (self->auth, invocation, HB_AUTH_CONTROL, do_stop, self);
  return G_DBUS_METHOD_INVOCATION_HANDLED;
}

static void
do_run_now (GDBusMethodInvocation *invocation, gpointer user_data)
{
  HbDbus *self = user_data;
  const char *thread_id = NULL;
  HbThread *t;

  g_variant_get (g_dbus_method_invocation_get_parameters (invocation), "(&s)", &thread_id);
  t = hb_service_lookup (self->service, thread_id);
  if (t == NULL)
    {
      g_dbus_method_invocation_return_error (invocation, HB_ERROR, HB_ERROR_UNKNOWN_THREAD,
                                             "No thread \"%s\"", thread_id);
      return;
    }
  hb_exported_manager_complete_run_now (self->manager, invocation,
                                        hb_service_run_now (self->service, t));
}

static gboolean
handle_run_now (HbExportedManager *m, GDBusMethodInvocation *invocation, const char *thread_id,
                HbDbus *self)
{
  g_autoptr(GError) error = NULL;

  if (!hb_thread_id_validate (thread_id, &error))
    {
      g_dbus_method_invocation_return_gerror (invocation, error);
      return G_DBUS_METHOD_INVOCATION_HANDLED;
    }
  hb_auth_check (self->auth, invocation, HB_AUTH_CONTROL, do_run_now, self);
  return G_DBUS_METHOD_INVOCATION_HANDLED;
}

static void
on_thread_added_for_call (GObject *source, GAsyncResult *res, gpointer user_data)
{
  Call *c = user_data;
  g_autoptr(GError) error = NULL;
  g_autoptr(HbThread) t = hb_service_add_thread_finish (HB_SERVICE (source), res, &error);

  if (t == NULL)
    g_dbus_method_invocation_return_gerror (c->invocation, error);
  else
    hb_exported_manager_complete_add_thread (c->self->manager, c->invocation,
                                             t->object_path);
  call_free (c);
}

static void
do_add_thread (GDBusMethodInvocation *invocation, gpointer user_data)
{
  HbDbus *self = user_data;
  const char *thread_id = NULL;

  g_variant_get (g_dbus_method_invocation_get_parameters (invocation), "(&s)", &thread_id);
  hb_service_add_thread_async (self->service, thread_id, on_thread_added_for_call,
                               call_new (self, invocation, NULL));
}

static gboolean
handle_add_thread (HbExportedManager *m, GDBusMethodInvocation *invocation, const char *thread_id,
                   HbDbus *self)
{
  g_autoptr(GError) error = NULL;

  if (!hb_thread_id_validate (thread_id, &error))
    {
      g_dbus_method_invocation_return_gerror (invocation, error);
      return G_DBUS_METHOD_INVOCATION_HANDLED;
    }
  hb_auth_check (self->auth, invocation, HB_AUTH_CONFIGURE, do_add_thread, self);
  return G_DBUS_METHOD_INVOCATION_HANDLED;
}

static gboolean
handle_list_threads (HbExportedManager *m, GDBusMethodInvocation *invocation, HbDbus *self)
{
  g_autoptr(GPtrArray) threads = hb_service_list (self->service);
  g_autoptr(GPtrArray) paths = g_ptr_array_new ();

  for (guint i = 0; i < threads->len; i++)
    g_ptr_array_add (paths, ((HbThread *) threads->pdata[i])->object_path);
  g_ptr_array_add (paths, NULL);
  hb_exported_manager_complete_list_threads (m, invocation, (const char *const *) paths->pdata);
  return G_DBUS_METHOD_INVOCATION_HANDLED;
}

static gboolean
handle_get_thread (HbExportedManager *m, GDBusMethodInvocation *invocation, const char *thread_id,
                   HbDbus *self)
{
  HbThread *t = hb_service_lookup (self->service, thread_id);

  if (t == NULL)
    g_dbus_method_invocation_return_error (invocation, HB_ERROR, HB_ERROR_UNKNOWN_THREAD,
                                           "No thread \"%s\"", thread_id);
  else
    hb_exported_manager_complete_get_thread (m, invocation, t->object_path);
  return G_DBUS_METHOD_INVOCATION_HANDLED;
}

static gboolean
handle_get_heartbeat_md (HbExportedManager *m, GDBusMethodInvocation *invocation, HbDbus *self)
{
  HbInstructions *instr = hb_pipeline_get_instructions (hb_service_get_pipeline (self->service));
  g_autoptr(HbInstructionsSnapshot) snap = hb_instructions_get_snapshot (instr);

  hb_exported_manager_complete_get_heartbeat_md (m, invocation, snap->content,
                                                 (guint64) MAX (snap->modified, 0), snap->path);
  return G_DBUS_METHOD_INVOCATION_HANDLED;
}

static void
on_replaced (GObject *source, GAsyncResult *res, gpointer user_data)
{
  Call *c = user_data;
  g_autoptr(GError) error = NULL;

  if (!hb_instructions_replace_finish (HB_INSTRUCTIONS (source), res, &error))
    g_dbus_method_invocation_return_gerror (c->invocation, error);
  else
    hb_exported_manager_complete_set_heartbeat_md (c->self->manager,
                                                   c->invocation);
  call_free (c);
}

static void
do_set_heartbeat_md (GDBusMethodInvocation *invocation, gpointer user_data)
{
  HbDbus *self = user_data;
  HbInstructions *instr = hb_pipeline_get_instructions (hb_service_get_pipeline (self->service));
  const char *content = NULL;

  g_variant_get (g_dbus_method_invocation_get_parameters (invocation), "(&s)", &content);
  hb_instructions_replace_async (instr, content, NULL, on_replaced, call_new (self, invocation, NULL));
}

static gboolean
handle_set_heartbeat_md (HbExportedManager *m, GDBusMethodInvocation *invocation,
                         const char *content, HbDbus *self)
{
  hb_auth_check (self->auth, invocation, HB_AUTH_CONFIGURE, do_set_heartbeat_md, self);
  return G_DBUS_METHOD_INVOCATION_HANDLED;
}

/* ---- object ------------------------------------------------------------------------------------ */

void
hb_dbus_unexport (HbDbus *self)
{
  if (self->connection == NULL)
    return;
  hb_dbus_flush_changes (self);
  if (self->manager != NULL)
    g_dbus_interface_skeleton_unexport (G_DBUS_INTERFACE_SKELETON (self->manager));
  if (self->om_id != 0)
    g_dbus_connection_unregister_object (self->connection, self->om_id);
  if (self->subtree_id != 0)
    g_dbus_connection_unregister_subtree (self->connection, self->subtree_id);
  self->om_id = self->subtree_id = 0;
  g_signal_handlers_disconnect_by_data (self->service, self);
  g_clear_object (&self->connection);
}

static void
hb_dbus_finalize (GObject *object)
{
  HbDbus *self = HB_DBUS (object);

  hb_dbus_unexport (self);
  g_hash_table_unref (self->dirty);
  g_clear_object (&self->manager);
  g_clear_object (&self->auth);
  g_clear_object (&self->service);
  g_clear_pointer (&self->om_info, g_dbus_node_info_unref);
  g_free (self->backend_url);
  G_OBJECT_CLASS (hb_dbus_parent_class)->finalize (object);
}

static void
hb_dbus_class_init (HbDbusClass *klass)
{
  G_OBJECT_CLASS (klass)->finalize = hb_dbus_finalize;
}

static void
hb_dbus_init (HbDbus *self)
{
  self->dirty = g_hash_table_new_full (NULL, NULL, (GDestroyNotify) hb_thread_unref, NULL);
}

HbDbus *
hb_dbus_new (HbService *service, GDBusConnection *connection, gboolean authorize,
             const char *backend_url, GError **error)
{
  g_autoptr(HbDbus) self = g_object_new (HB_TYPE_DBUS, NULL);
  const HbDaemonConfig *config = hb_service_get_config (service);
  HbExportedManager *m;

  self->service = g_object_ref (service);
  self->connection = g_object_ref (connection);
  self->auth = hb_auth_new (connection, authorize);
  self->thread_ctx.service = service;
  self->thread_ctx.auth = self->auth;
  self->backend_url = g_strdup (backend_url);
  self->manager = m = hb_exported_manager_skeleton_new ();
  self->stopped = !hb_scheduler_get_enabled (hb_service_get_scheduler (service));

  hb_exported_manager_set_version (m, HB_VERSION_MAJOR * 10000 + HB_VERSION_MINOR * 100 +
                                        HB_VERSION_MICRO);
  hb_exported_manager_set_backend_url (m, backend_url);
  hb_exported_manager_set_default_model (m, hb_config_effective_model (config->defaults,
                                                                       config->default_model));
  hb_dbus_sync_manager (self, TRUE);
  hb_dbus_sync_thread_list (self);

  g_signal_connect (m, "handle-start", G_CALLBACK (handle_start), self);
  g_signal_connect (m, "handle-stop", G_CALLBACK (handle_stop), self);
  g_signal_connect (m, "handle-run-now", G_CALLBACK (handle_run_now), self);
  g_signal_connect (m, "handle-add-thread", G_CALLBACK (handle_add_thread), self);
  g_signal_connect (m, "handle-list-threads", G_CALLBACK (handle_list_threads), self);
  g_signal_connect (m, "handle-get-thread", G_CALLBACK (handle_get_thread), self);
  g_signal_connect (m, "handle-get-heartbeat-md", G_CALLBACK (handle_get_heartbeat_md), self);
  g_signal_connect (m, "handle-set-heartbeat-md", G_CALLBACK (handle_set_heartbeat_md), self);

  hb_dbus_watch_service (self);

  if (!g_dbus_interface_skeleton_export (G_DBUS_INTERFACE_SKELETON (m), connection, MANAGER_PATH,
                                         error))
    return NULL;
  self->om_info = g_dbus_node_info_new_for_xml (om_xml, error);
  if (self->om_info == NULL)
    return NULL;
  self->om_id = g_dbus_connection_register_object (connection, MANAGER_PATH,
                                                   self->om_info->interfaces[0], &om_vtable, self,
                                                   NULL, error);
  if (self->om_id == 0)
    return NULL;
  self->subtree_id = g_dbus_connection_register_subtree (connection, THREADS_PATH, &subtree_vtable,
                                                         G_DBUS_SUBTREE_FLAGS_DISPATCH_TO_UNENUMERATED_NODES,
                                                         self, NULL, error);
  if (self->subtree_id == 0)
    return NULL;
  return g_steal_pointer (&self);
}
