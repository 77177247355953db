/* hb-context.h: what the model is told about a thread. Filled by the store, read by the prompt. */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

#define HB_CONTEXT_MESSAGES 10
#define HB_CONTEXT_MESSAGE_CHARS 500
#define HB_CONTEXT_CONTRADICTIONS 5
#define HB_CONTEXT_FEED 20
#define HB_CONTEXT_MEMORIES 20
#define HB_CONTEXT_OWN_ACTIONS 5

typedef struct {
  gint64 id;
  char *query;        /* the user's message, cut to HB_CONTEXT_MESSAGE_CHARS characters */
  char *response;     /* the assistant's reply, cut likewise; may be "" */
  double timestamp;   /* Unix seconds */
} HbMessage;

typedef struct {
  char *ledger_id;
  double timestamp;
  char *summary;
  char *query;
  char *affects_slots;
  char *contradiction_type;
  double drift_mean;
} HbContradiction;

typedef struct {
  gint64 id;
  char *submolt;
  char *author;
  char *title;
  double created_at;
  gint64 score;          /* sum of vote values */
  gint64 comment_count;
} HbFeedPost;

typedef struct {
  char *memory_id;
  char *slot;         /* may be "" (CRT-style table without slot/value) */
  char *value;
  char *text;
  double confidence;
  char *source;
  double timestamp;
} HbMemoryFact;

typedef struct {
  double timestamp;
  char *status;
  char *action;
  char *summary;
  char *title;
} HbPastAction;

typedef struct {
  char *thread_id;
  char *user_name;      /* "" when unknown */
  char *style;          /* thread_sessions.style_profile_json, "" when none */
  GPtrArray *messages;        /* HbMessage, oldest first */
  GPtrArray *contradictions;  /* HbContradiction, newest first */
  GPtrArray *feed;            /* HbFeedPost, newest first */
  GPtrArray *memories;        /* HbMemoryFact, newest first */
  GPtrArray *own_actions;     /* HbPastAction, newest first */

  /* High-water marks, for deciding that nothing changed since the last run. */
  gint64 max_message_id;
  gint64 max_post_id;
  gint64 max_comment_id;
  gint64 max_vote_id;
  double max_contradiction_ts;
  double max_memory_ts;
  gint64 n_contradictions;
  gint64 n_memories;

  /* Budget facts for this thread, for the prompt and the scheduler. */
  double last_post_at;        /* Unix seconds of the thread's last heartbeat post, 0 none */
  double last_comment_at;
  gint64 comments_last_day;
} HbContext;

HbContext *hb_context_new (const char *thread_id);
void hb_context_free (HbContext *ctx);
G_DEFINE_AUTOPTR_CLEANUP_FUNC (HbContext, hb_context_free)

/* A short stable string over the high-water marks (for the "unchanged" check). */
char *hb_context_fingerprint (const HbContext *ctx);

/* @text made valid UTF-8 and cut to at most @max_chars characters (never inside a sequence).
 * NULL gives "". */
char *hb_context_cut_text (const char *text, glong max_chars);

/* Element free functions of the context's arrays. */
void hb_message_free (HbMessage *m);
void hb_contradiction_free (HbContradiction *c);
void hb_feed_post_free (HbFeedPost *p);
void hb_memory_fact_free (HbMemoryFact *m);
void hb_past_action_free (HbPastAction *a);

G_END_DECLS
