/* hb-error.h: the daemon's error domains.
 *
 * HB_ERROR is registered on the bus as org.crt.Heartbeat1.Error.*; HB_LLM_ERROR describes what
 * went wrong talking to the model server and maps onto a run's failure class.
 */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

#define HB_ERROR (hb_error_quark ())

typedef enum {
  HB_ERROR_FAILED,              /* org.crt.Heartbeat1.Error.Failed */
  HB_ERROR_UNKNOWN_THREAD,      /* org.crt.Heartbeat1.Error.UnknownThread */
  HB_ERROR_BACKEND_UNAVAILABLE, /* org.crt.Heartbeat1.Error.BackendUnavailable */
  HB_ERROR_INVALID_CONFIG,      /* org.crt.Heartbeat1.Error.InvalidConfig (InvalidArgs on the bus) */
  HB_ERROR_INVALID_INSTRUCTIONS,/* org.crt.Heartbeat1.Error.InvalidInstructions */
  HB_ERROR_DB,                  /* org.crt.Heartbeat1.Error.Database */
  HB_ERROR_BUSY,                /* org.crt.Heartbeat1.Error.Busy: database locked past all retries */
  HB_ERROR_READ_ONLY,           /* org.crt.Heartbeat1.Error.ReadOnly */
  HB_ERROR_NOT_RUNNING,         /* org.crt.Heartbeat1.Error.NotRunning */
} HbError;

#define HB_ERROR_N_CODES (HB_ERROR_NOT_RUNNING + 1)

GQuark hb_error_quark (void);

#define HB_LLM_ERROR (hb_llm_error_quark ())

typedef enum {
  HB_LLM_ERROR_UNREACHABLE,   /* connection refused / reset / DNS: backend-unavailable */
  HB_LLM_ERROR_TIMEOUT,       /* one of our deadlines passed: timeout */
  HB_LLM_ERROR_MODEL_MISSING, /* 404: model-missing */
  HB_LLM_ERROR_BUSY,          /* 503 queue full: backend-unavailable */
  HB_LLM_ERROR_BAD_REQUEST,   /* 400: protocol */
  HB_LLM_ERROR_SERVER,        /* 500 and other 5xx: backend-unavailable */
  HB_LLM_ERROR_PROTOCOL,      /* not JSON, no message.content, empty content, error line: protocol */
  HB_LLM_ERROR_TRUNCATED,     /* done_reason "length" or a stream cut before done:true: protocol */
  HB_LLM_ERROR_TOO_LARGE,     /* body over the cap: protocol */
  HB_LLM_ERROR_UNAUTHORIZED,  /* 401/403: backend-unavailable */
} HbLlmError;

GQuark hb_llm_error_quark (void);

/* TRUE for errors worth retrying with backoff: unreachable, busy, timeout. */
gboolean hb_llm_error_is_transient (const GError *error);

/* The failure class recorded for a run that failed with @error:
 * "backend-unavailable", "timeout", "model-missing", "protocol", "db", "interrupted" or "internal". */
const char *hb_error_failure_class (const GError *error);

G_END_DECLS
