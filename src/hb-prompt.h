/* hb-prompt.h: the decision prompt, built from the context in the seed's order. Pure. */
#pragma once

#include "hb-config.h"
#include "hb-context.h"
#include "hb-instructions.h"

G_BEGIN_DECLS

#define HB_PROMPT_MAX_BYTES_DEFAULT (32 * 1024)

/* What the budgets still allow, told to the model. */
typedef struct {
  gboolean post_allowed;
  gboolean comment_allowed;
  gint64 comments_left_today;
  char *post_blocked_reason;     /* NULL or e.g. "next post allowed at 14:05" */
  char *comment_blocked_reason;
} HbPromptHints;

typedef struct {
  char *system;   /* role + rules + response format */
  char *user;     /* context: user, local time, instructions, messages, feed, contradictions,
                   * memory, own last actions, the four options */
  char *sha256;   /* of system + "\n\n" + user */
} HbPrompt;

void hb_prompt_free (HbPrompt *p);
G_DEFINE_AUTOPTR_CLEANUP_FUNC (HbPrompt, hb_prompt_free)

/* @instructions may be NULL (no file). @local_now is the thread's local time. @hints may be NULL
 * (everything allowed). The total size (system + user) is held to @max_bytes by dropping the oldest
 * context first (messages, then memory, then feed, then contradictions); the instructions and the
 * response format are never dropped. Message and feed text is fenced as untrusted data. */
HbPrompt *hb_prompt_build (const HbContext *ctx,
                           const HbInstructionsSnapshot *instructions,
                           const HbThreadConfig *cfg,
                           GDateTime *local_now,
                           const HbPromptHints *hints,
                           gsize max_bytes);

/* The full text as stored in heartbeat_runs.prompt. */
char *hb_prompt_to_text (const HbPrompt *p);

/* @ts (Unix seconds) in the zone of @local_now (NULL: UTC) to the minute, as the prompt shows
 * times: "2026-12-04T13:20+05:30"; "unknown time" outside years 1970..9999. */
char *hb_prompt_format_time (double ts, GDateTime *local_now);

G_END_DECLS
