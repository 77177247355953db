/* hb-ctl.h: crt-heartbeatctl's shared state, errors and the commands. */
#pragma once

#include <gio/gio.h>
#include <json-glib/json-glib.h>

G_BEGIN_DECLS

#define HB_CTL_BUS_NAME "org.crt.Heartbeat"
#define HB_CTL_MANAGER_PATH "/org/crt/Heartbeat"
#define HB_CTL_THREADS_PATH "/org/crt/Heartbeat/threads"
#define HB_CTL_MANAGER_IFACE "org.crt.Heartbeat1.Manager"
#define HB_CTL_THREAD_IFACE "org.crt.Heartbeat1.Thread"

/* The exit codes, documented in crt-heartbeatctl(1). */
typedef enum {
  HB_CTL_EXIT_OK = 0,
  HB_CTL_EXIT_FAILURE = 1,
  HB_CTL_EXIT_USAGE = 2,
  HB_CTL_EXIT_UNREACHABLE = 3,
} HbCtlExit;

#define HB_CTL_ERROR (hb_ctl_error_quark ())

typedef enum {
  HB_CTL_ERROR_FAILED,       /* exit 1 */
  HB_CTL_ERROR_USAGE,        /* exit 2 */
  HB_CTL_ERROR_UNREACHABLE,  /* exit 3 */
} HbCtlError;

GQuark hb_ctl_error_quark (void);

/* Options of the subcommands, parsed once with the global ones. */
typedef struct {
  gboolean wait;     /* run --wait */
  gboolean edit;     /* instructions --edit */
  gboolean quiet;    /* list --quiet: ids only */
  int limit;         /* history -n; 0 = the daemon's default */
} HbCtlCommandOptions;

typedef struct {
  int bus_choice;            /* HbCtlBusChoice */
  GDBusConnection *conn;     /* NULL until a command needs it */
  const char *bus_label;     /* "system" or "session" */
  gboolean json;
  gboolean color;
  HbCtlCommandOptions opts;
  GString *out;              /* buffered stdout, shown through the pager when long */
  gboolean exit_failure;     /* the command worked but reports a failure (exit 1) */
} HbCtl;

typedef gboolean (*HbCtlCommandFunc) (HbCtl *ctl, char **args, GError **error);

/* Commands: @args are the words after the command name, NULL-terminated. */
gboolean hb_ctl_cmd_status (HbCtl *ctl, char **args, GError **error);
gboolean hb_ctl_cmd_start (HbCtl *ctl, char **args, GError **error);
gboolean hb_ctl_cmd_stop (HbCtl *ctl, char **args, GError **error);
gboolean hb_ctl_cmd_instructions (HbCtl *ctl, char **args, GError **error);

gboolean hb_ctl_cmd_list (HbCtl *ctl, char **args, GError **error);
gboolean hb_ctl_cmd_show (HbCtl *ctl, char **args, GError **error);
gboolean hb_ctl_cmd_history (HbCtl *ctl, char **args, GError **error);
gboolean hb_ctl_cmd_set (HbCtl *ctl, char **args, GError **error);
gboolean hb_ctl_cmd_reset (HbCtl *ctl, char **args, GError **error);
gboolean hb_ctl_cmd_add (HbCtl *ctl, char **args, GError **error);

gboolean hb_ctl_cmd_run (HbCtl *ctl, char **args, GError **error);
gboolean hb_ctl_cmd_preview (HbCtl *ctl, char **args, GError **error);
gboolean hb_ctl_cmd_monitor (HbCtl *ctl, char **args, GError **error);

/* Exactly @n arguments, the first @n_threads of them thread ids (valid UTF-8, not empty);
 * a usage error otherwise. */
gboolean hb_ctl_expect_args (char **args, guint n, guint n_threads, const char *usage,
                             GError **error);

G_END_DECLS
