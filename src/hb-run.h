/* hb-run.h: one heartbeat run, as recorded in heartbeat_runs and announced on the bus. */
#pragma once

#include <glib.h>
#include <json-glib/json-glib.h>

G_BEGIN_DECLS

typedef enum {
  HB_RUN_STATUS_RUNNING,     /* begun, not finished (a crash leaves it so until start-up marks it) */
  HB_RUN_STATUS_ACTED,       /* an action was written to the ledger */
  HB_RUN_STATUS_NO_ACTION,   /* the model chose "none" */
  HB_RUN_STATUS_DRY_RUN,     /* a valid action was decided and only recorded */
  HB_RUN_STATUS_SKIPPED,     /* no LLM call: reason says why (empty-instructions, unchanged, ...) */
  HB_RUN_STATUS_INVALID,     /* the model's answer was refused: reason says why */
  HB_RUN_STATUS_FAILED,      /* reason is the failure class (backend-unavailable, timeout, ...) */
  HB_RUN_STATUS_INTERRUPTED, /* cancelled by shutdown or cut off by a crash */
} HbRunStatus;

const char *hb_run_status_to_string (HbRunStatus status);
gboolean hb_run_status_from_string (const char *str, HbRunStatus *out);

/* Everything known about one run. Times are microseconds since the epoch, 0 = none. Strings are
 * never NULL once hb_run_result_new() returned (empty instead), except where noted. */
typedef struct {
  char *run_id;
  char *thread_id;
  gint64 scheduled_for;
  gint64 started_at;
  gint64 finished_at;
  HbRunStatus status;
  char *reason;          /* skip reason, invalid reason or failure class; "" otherwise */
  char *action;          /* "post" | "comment" | "vote" | "none" | "" when no decision */
  char *summary;         /* "Action: post. <reasoning>" and the like */
  char *reasoning;
  char *title;
  char *content;
  gint64 post_id;        /* post commented or voted on, or the post written; -1 none */
  char *vote_direction;  /* "up" | "down" | "" */
  gint64 ledger_id;      /* row written (molt_posts/_comments/_votes id), -1 none */
  char *ledger_table;    /* "molt_posts" | "molt_comments" | "molt_votes" | "" */
  char *error;           /* human-readable error, "" when none */
  char *model;
  char *options_json;    /* options sent to the backend, as JSON */
  char *prompt;
  char *prompt_sha256;
  char *raw_response;    /* the model's reply text (message.content), as received */
  gint64 prompt_tokens;  /* -1 unknown */
  gint64 eval_tokens;    /* -1 unknown */
  gint64 total_duration_ns;  /* reported by the backend, -1 unknown */
  gint64 load_duration_ns;
  gint64 eval_duration_ns;
  gint64 llm_wall_us;    /* our own measure of the LLM call, -1 none */
  gboolean dry_run;
  gboolean notify;       /* target "last" and an action was taken */
  char *fingerprint;     /* inputs of the run (instructions, config, context marks), "" none */
} HbRunResult;

HbRunResult *hb_run_result_new (const char *run_id, const char *thread_id);
HbRunResult *hb_run_result_copy (const HbRunResult *r);
void hb_run_result_free (HbRunResult *r);
G_DEFINE_AUTOPTR_CLEANUP_FUNC (HbRunResult, hb_run_result_free)

/* Setters that free the previous value; NULL stores "". */
void hb_run_result_set_string (char **field, const char *value);

/* The JSON array stored in heartbeat_last_actions_json / actions_json (CRT's shape:
 * [{"action": ..., "title": ..., "post_id": ..., ...}], empty array when nothing was decided). */
char *hb_run_result_actions_json (const HbRunResult *r);
/* The same as the thread's LastActions D-Bus property (aa{sv}: strings s, integers x, booleans
 * b, members in the JSON's order), floating. */
GVariant *hb_run_result_actions_variant (const HbRunResult *r);

/* a{sv} with at least the HeartbeatCompleted keys (run_id, status, action, summary, reasoning,
 * title, post_id, vote_direction, ledger_id, dry_run, error, started_at, finished_at, model,
 * notify) plus reason, scheduled_for, thread_id. Floating reference. */
GVariant *hb_run_result_to_variant (const HbRunResult *r);

/* The string variant @key, made once per @slot (a static GVariant pointer, NULL at first) and
 * kept for good: the a{sv} the daemon sends for every run would otherwise make each of its
 * twenty-odd keys anew. Borrowed: for g_variant_new_dict_entry() and the like, which take a
 * reference of their own. */
GVariant *hb_variant_key (GVariant **slot, const char *key);
#define HB_VARIANT_KEY(key) \
  ({ static GVariant *hb_key_slot_; hb_variant_key (&hb_key_slot_, (key)); })

/* A JSON object with the same keys, times as microseconds. */
JsonNode *hb_run_result_to_json (const HbRunResult *r);

/* TRUE for statuses that count as a completed heartbeat for CRT's history `success` column, and
 * whose fingerprint the "unchanged" check compares with: acted, no-action, dry-run, skipped. */
gboolean hb_run_status_is_success (HbRunStatus status);

G_END_DECLS
