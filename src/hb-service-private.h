/* hb-service-private.h: the service's state, shared by its files. */
#pragma once

#include "hb-service.h"

struct _HbService
{
  GObject parent_instance;

  HbPipeline *pipeline;
  HbScheduler *scheduler;
  HbDaemonConfig *config;
  GHashTable *threads;          /* id -> HbThread* (a reference each) */
  GHashTable *paths;            /* object path -> HbThread* (borrowed from threads) */
  GList *waiters;               /* RunWaiter* */

  GFileMonitor *db_monitor;
  GFileMonitor *wal_monitor;
  guint external_id;
  gint64 data_version;
  gboolean checking_external;
  gboolean external_again;
  gboolean shutting_down;
};

HbThread *hb_service_add_row (HbService *self, const HbThreadRow *row);
void hb_service_remove_thread (HbService *self, HbThread *thread);
void hb_service_emit_thread_changed (HbService *self, HbThread *thread, guint what);

/* Notice threads that other processes write into the database. */
void hb_service_watch_start (HbService *self);
void hb_service_watch_stop (HbService *self);
