/* hb-config.h: per-thread heartbeat configuration and the daemon's own configuration file.
 *
 * A thread's effective configuration is: built-in defaults <- daemon config file [defaults] <-
 * the thread's stored overrides (thread_sessions.heartbeat_config_json, a JSON object holding only
 * the fields set for that thread). Every change goes through one validator, field by field, and is
 * all-or-nothing.
 */
#pragma once

#include <glib.h>
#include <json-glib/json-glib.h>

G_BEGIN_DECLS

#define HB_EVERY_MIN 60
#define HB_EVERY_MAX 86400
#define HB_EVERY_DEFAULT 1800
#define HB_MAX_TOKENS_MIN 10
#define HB_MAX_TOKENS_MAX 4000
#define HB_MAX_TOKENS_DEFAULT 500
#define HB_TEMPERATURE_DEFAULT 0.7
#define HB_DEFAULT_MODEL "llama3.2:latest"

typedef enum {
  HB_TARGET_NONE,
  HB_TARGET_LAST,
} HbTarget;

const char *hb_target_to_string (HbTarget target);

typedef struct {
  gboolean enabled;
  guint every;          /* seconds, HB_EVERY_MIN..HB_EVERY_MAX */
  HbTarget target;
  char *model;          /* "" = use the default chain (hb_config_effective_model) */
  guint max_tokens;
  double temperature;   /* 0..1 */
  gboolean dry_run;
  int active_start;     /* minutes after local midnight, 0..1439; -1 = no active hours */
  int active_end;       /* minutes, 0..1440 (24:00); -1 = no active hours */
  char *timezone;       /* IANA name; "" = host zone */
} HbThreadConfig;

/* The names of the fields, as used in JSON, D-Bus SetConfig and error messages:
 * enabled, every, target, model, max_tokens, temperature, dry_run, active_hours_start,
 * active_hours_end, timezone. NULL-terminated. */
extern const char *const hb_thread_config_fields[];

HbThreadConfig *hb_thread_config_new_default (void);
HbThreadConfig *hb_thread_config_copy (const HbThreadConfig *cfg);
void hb_thread_config_free (HbThreadConfig *cfg);
gboolean hb_thread_config_equal (const HbThreadConfig *a, const HbThreadConfig *b);
G_DEFINE_AUTOPTR_CLEANUP_FUNC (HbThreadConfig, hb_thread_config_free)

/* One field error: which field, and the rule that was broken. */
typedef struct {
  char *field;
  char *message;
} HbFieldError;

void hb_field_error_free (HbFieldError *e);

/* Validate and apply @changes (a JSON object of field -> value, values as JSON: "every" may be an
 * integer or a duration string, active hours "HH:MM" strings or null to clear, etc.) on top of
 * @overrides (the thread's stored override object, may be NULL), checking the result against
 * @defaults. On success returns the new override object (a copy: @overrides is not modified).
 * On failure returns NULL, sets @error (HB_ERROR_INVALID_CONFIG, message "field: rule") and, if
 * @field_errors is not NULL, fills it with every HbFieldError found (element free func set).
 * A JSON null for a field removes its override. Unknown fields are errors. */
JsonObject *hb_thread_config_merge (const HbThreadConfig *defaults,
                                    JsonObject *overrides,
                                    JsonObject *changes,
                                    GPtrArray **field_errors,
                                    GError **error);

/* Compute the effective config: @defaults with @overrides applied. Never fails: if @overrides_json
 * does not parse or holds invalid values, the defaults are used for what is wrong and @problem (if
 * not NULL) receives a description (NULL when all was fine). @overrides_json may be NULL or "". */
HbThreadConfig *hb_thread_config_resolve (const HbThreadConfig *defaults,
                                          const char *overrides_json,
                                          char **problem);

/* Same, from an already parsed override object (must be valid: as returned by _merge). */
HbThreadConfig *hb_thread_config_resolve_object (const HbThreadConfig *defaults,
                                                 JsonObject *overrides);

/* The full effective config as a JSON object with every field (active hours as "HH:MM" or null). */
JsonObject *hb_thread_config_to_json (const HbThreadConfig *cfg);
/* The same object as compact JSON text: what json_to_string() writes for it, without the tree
 * (every run hashes it into its fingerprint). */
char *hb_thread_config_to_json_text (const HbThreadConfig *cfg);

/* Serialise an override object for storage (compact JSON). */
char *hb_config_overrides_to_string (JsonObject *overrides);

/* The model to ask: cfg->model, else @daemon_default (if non-empty), else $CRT_OLLAMA_MODEL, else
 * HB_DEFAULT_MODEL. */
const char *hb_config_effective_model (const HbThreadConfig *cfg, const char *daemon_default);

/* Check a model name: at most 200 bytes, valid UTF-8, no control characters ("" is valid and
 * means the default chain). The message names the rule only, for the caller to prefix. */
gboolean hb_config_model_name_valid (const char *model, GError **error);

/* Convert a D-Bus a{sv} of changes (keys as hb_thread_config_fields; "every" as u or s,
 * "max_tokens" u, "temperature" d, booleans b, strings s) to the JSON changes object accepted by
 * hb_thread_config_merge(). A value of the wrong D-Bus type is an error (HB_ERROR_INVALID_CONFIG,
 * "field: expected type ..."). */
JsonObject *hb_config_changes_from_variant (GVariant *asv, GError **error);

/* The daemon's configuration file (GKeyFile):
 *
 *   [daemon]
 *   enabled=true            # scheduler enabled at start-up (CRT_HEARTBEAT_ENABLED overrides)
 *   database=/path/db       # main SQLite file
 *   ledger-database=...     # optional: separate file attached for contradictions
 *   memory-database=...     # optional: separate file attached for memories
 *   workspace=/path         # directory holding HEARTBEAT.md
 *   max-concurrent=1
 *   prompt-max-bytes=32768
 *   skip-unchanged=true
 *   offset-max=300          # seconds; 0 disables per-thread offsets
 *   breaker-threshold=3
 *   [backend]
 *   kind=ollama             # or openai
 *   url=http://127.0.0.1:11434
 *   api-key-file=...        # openai: bearer token read from this file
 *   model=                  # daemon-wide default model
 *   connect-timeout=10  headers-timeout=300  total-timeout=600  (seconds)
 *   max-body=1048576  keep-alive=30m  stream=false  retries=2
 *   [defaults]
 *   every=30m  target=none  max_tokens=500  temperature=0.7  dry_run=false
 *   active_hours_start=09:00  active_hours_end=17:00  timezone=Europe/Berlin
 *   [budgets]
 *   post-interval=1800  comment-interval=20  comments-per-day=50
 *   [http]
 *   listen=127.0.0.1:8080
 */
typedef struct {
  gboolean enabled;
  gboolean enabled_set;   /* the file said so explicitly */
  char *database;
  char *ledger_database;
  char *memory_database;
  char *workspace;
  guint max_concurrent;
  gsize prompt_max_bytes;
  gboolean skip_unchanged;
  guint offset_max;
  guint breaker_threshold;

  char *backend_kind;     /* "ollama" | "openai" */
  char *backend_url;      /* NULL: from OLLAMA_HOST */
  char *api_key_file;
  char *default_model;    /* "" none */
  guint connect_timeout;
  guint headers_timeout;
  guint total_timeout;
  gsize max_body;
  char *keep_alive;
  gboolean stream;
  guint retries;

  guint post_interval;
  guint comment_interval;
  guint comments_per_day;

  char *http_listen;      /* NULL: bridge off */

  HbThreadConfig *defaults;
} HbDaemonConfig;

HbDaemonConfig *hb_daemon_config_new_default (void);
void hb_daemon_config_free (HbDaemonConfig *cfg);
G_DEFINE_AUTOPTR_CLEANUP_FUNC (HbDaemonConfig, hb_daemon_config_free)

/* Load @path (a missing file is not an error when @must_exist is FALSE). Invalid values are
 * errors naming the group, key and rule. */
HbDaemonConfig *hb_daemon_config_load (const char *path, gboolean must_exist, GError **error);
HbDaemonConfig *hb_daemon_config_load_from_data (const char *data, GError **error);

/* Parse a boolean in the forms CRT accepts for CRT_HEARTBEAT_ENABLED: 1/true/yes/on, 0/false/no/off
 * (any case). Returns FALSE when @str is none of those. */
gboolean hb_parse_bool (const char *str, gboolean *out);

G_END_DECLS
