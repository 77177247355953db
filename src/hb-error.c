/* hb-error.c: error domains */
#include "config.h"

#include <gio/gio.h>

#include "hb-error.h"

static const GDBusErrorEntry hb_error_entries[] = {
  { HB_ERROR_FAILED, "org.crt.Heartbeat1.Error.Failed" },
  { HB_ERROR_UNKNOWN_THREAD, "org.crt.Heartbeat1.Error.UnknownThread" },
  { HB_ERROR_BACKEND_UNAVAILABLE, "org.crt.Heartbeat1.Error.BackendUnavailable" },
  { HB_ERROR_INVALID_CONFIG, "org.crt.Heartbeat1.Error.InvalidConfig" },
  { HB_ERROR_INVALID_INSTRUCTIONS, "org.crt.Heartbeat1.Error.InvalidInstructions" },
  { HB_ERROR_DB, "org.crt.Heartbeat1.Error.Database" },
  { HB_ERROR_BUSY, "org.crt.Heartbeat1.Error.Busy" },
  { HB_ERROR_READ_ONLY, "org.crt.Heartbeat1.Error.ReadOnly" },
  { HB_ERROR_NOT_RUNNING, "org.crt.Heartbeat1.Error.NotRunning" },
};

G_STATIC_ASSERT (G_N_ELEMENTS (hb_error_entries) == HB_ERROR_N_CODES);

GQuark
hb_error_quark (void)
{
  static gsize quark = 0;

  g_dbus_error_register_error_domain ("hb-error-quark", &quark, hb_error_entries,
                                      G_N_ELEMENTS (hb_error_entries));
  return (GQuark) quark;
}

G_DEFINE_QUARK (hb-llm-error-quark, hb_llm_error)

gboolean
hb_llm_error_is_transient (const GError *error)
{
  if (error == NULL || error->domain != HB_LLM_ERROR)
    return FALSE;
  switch ((HbLlmError) error->code)
    {
    case HB_LLM_ERROR_UNREACHABLE:
    case HB_LLM_ERROR_TIMEOUT:
    case HB_LLM_ERROR_BUSY:
      return TRUE;
    case HB_LLM_ERROR_MODEL_MISSING:
    case HB_LLM_ERROR_BAD_REQUEST:
    case HB_LLM_ERROR_SERVER:
    case HB_LLM_ERROR_PROTOCOL:
    case HB_LLM_ERROR_TRUNCATED:
    case HB_LLM_ERROR_TOO_LARGE:
    case HB_LLM_ERROR_UNAUTHORIZED:
    default:
      return FALSE;
    }
}

const char *
hb_error_failure_class (const GError *error)
{
  if (error == NULL)
    return "internal";
  if (g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
    return "interrupted";
  if (error->domain == HB_LLM_ERROR)
    {
      switch ((HbLlmError) error->code)
        {
        case HB_LLM_ERROR_UNREACHABLE:
        case HB_LLM_ERROR_BUSY:
        case HB_LLM_ERROR_SERVER:
        case HB_LLM_ERROR_UNAUTHORIZED:
          return "backend-unavailable";
        case HB_LLM_ERROR_TIMEOUT:
          return "timeout";
        case HB_LLM_ERROR_MODEL_MISSING:
          return "model-missing";
        case HB_LLM_ERROR_BAD_REQUEST:
        case HB_LLM_ERROR_PROTOCOL:
        case HB_LLM_ERROR_TRUNCATED:
        case HB_LLM_ERROR_TOO_LARGE:
        default:
          return "protocol";
        }
    }
  if (error->domain == HB_ERROR)
    {
      switch ((HbError) error->code)
        {
        case HB_ERROR_DB:
        case HB_ERROR_BUSY:
        case HB_ERROR_READ_ONLY:
          return "db";
        case HB_ERROR_BACKEND_UNAVAILABLE:
          return "backend-unavailable";
        default:
          return "internal";
        }
    }
  return "internal";
}
