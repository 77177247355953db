/* hb-decision.h: the model's answer: parse, validate, sanitise. Pure. */
#pragma once

#include <glib.h>
#include <json-glib/json-glib.h>

G_BEGIN_DECLS

#define HB_TITLE_MAX 200
#define HB_CONTENT_MAX 5000

#define HB_DECISION_ERROR (hb_decision_error_quark ())

/* The reason codes, also stored as the run's `reason` for status invalid (see
 * hb_decision_error_reason()). */
typedef enum {
  HB_DECISION_ERROR_NO_JSON,         /* "no-json": no JSON object found in the reply */
  HB_DECISION_ERROR_NOT_OBJECT,      /* "not-object" */
  HB_DECISION_ERROR_BAD_ACTION,      /* "bad-action": missing / not a string / unknown */
  HB_DECISION_ERROR_MISSING_FIELD,   /* "missing-field" (title, content, post_id, vote_direction) */
  HB_DECISION_ERROR_WRONG_TYPE,      /* "wrong-type" */
  HB_DECISION_ERROR_EMPTY,           /* "empty": empty after trimming */
  HB_DECISION_ERROR_TOO_LONG,        /* "too-long": over the limit before sanitising */
  HB_DECISION_ERROR_BAD_DIRECTION,   /* "bad-direction" */
  HB_DECISION_ERROR_BAD_POST_ID,     /* "bad-post-id": not a positive integer */
  HB_DECISION_ERROR_UNKNOWN_POST,    /* "unknown-post": checked against the ledger in the store */
  HB_DECISION_ERROR_RATE_LIMITED,    /* "rate-limited": a budget refused it */
  HB_DECISION_ERROR_DUPLICATE,       /* "duplicate": the agent's own near-duplicate post */
} HbDecisionError;

GQuark hb_decision_error_quark (void);
const char *hb_decision_error_reason (const GError *error);

typedef enum {
  HB_ACTION_NONE,
  HB_ACTION_POST,
  HB_ACTION_COMMENT,
  HB_ACTION_VOTE,
} HbActionKind;

const char *hb_action_kind_to_string (HbActionKind kind);

typedef struct {
  HbActionKind action;
  char *title;          /* post: sanitised; else NULL */
  char *content;        /* post/comment: sanitised; else NULL */
  gint64 post_id;       /* comment/vote: > 0; else -1 */
  int vote;             /* vote: +1 / -1; else 0 */
  char *reasoning;      /* sanitised, may be "" */
} HbDecision;

void hb_decision_free (HbDecision *d);
G_DEFINE_AUTOPTR_CLEANUP_FUNC (HbDecision, hb_decision_free)

/* Find the decision object in the reply: strict JSON first, then inside a ``` fence, then the first
 * balanced top-level {...} (string- and escape-aware). Never a greedy regex. Returns a JsonObject
 * (transfer full) or NULL with HB_DECISION_ERROR_NO_JSON / _NOT_OBJECT. */
JsonObject *hb_decision_extract (const char *reply, GError **error);

/* Check types, required fields and limits, then sanitise (trim, escape & < > " ', hold the limits on
 * the escaped text without cutting an entity or a UTF-8 sequence). post_id may be an integer or a
 * numeric string; vote_direction is trimmed and compared in any case. */
HbDecision *hb_decision_validate (JsonObject *obj, GError **error);

/* extract + validate. */
HbDecision *hb_decision_from_reply (const char *reply, GError **error);

/* Escape & < > " ' and cut to at most @max_chars characters without cutting an entity or a UTF-8
 * sequence. Exposed for tests. */
char *hb_sanitize_text (const char *text, glong max_chars);

/* The JSON Schema of the decision, sent as the backend's structured-output format. */
/* Transfer full: a reference to one shared, sealed node. */
JsonNode *hb_decision_json_schema (void);

/* "Action: post. <reasoning>" (CRT's summary shape). */
char *hb_decision_summary (const HbDecision *d);

G_END_DECLS
