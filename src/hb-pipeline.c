/* hb-pipeline.c: one heartbeat, chained stage by stage.
 *
 * Every stage is asynchronous: database work runs on the store's worker thread, the model call
 * through libsoup, so nothing here waits on the main loop. Every outcome ends in finish_run(), which
 * executes the action and records the run in one transaction.
 */
#include "config.h"

#include <string.h>

#include "hb-decision.h"
#include "hb-error.h"
#include "hb-pipeline.h"
#include "hb-prompt.h"
#include "hb-schedule.h"
#include "hb-sha256.h"

struct _HbPipeline
{
  GObject parent_instance;

  HbStore *store;
  HbLlmClient *llm;
  HbInstructions *instructions;
  char *default_model;
  gsize prompt_max_bytes;
  HbBudgets budgets;
};

G_DEFINE_FINAL_TYPE (HbPipeline, hb_pipeline, G_TYPE_OBJECT)

typedef struct
{
  HbThreadConfig *config;
  gboolean preview;
  gboolean skip_unchanged;
  char *last_fingerprint;

  HbRunResult *result;
  HbContext *context;
  HbInstructionsSnapshot *instructions;
  HbDecision *decision;
  char *fingerprint;
  gint64 llm_started;

  /* The start record and the context read are asked for together; the run goes on when both
   * have answered. */
  guint start_pending;
  GError *begin_error;
  GError *context_error;
} RunData;

static void
run_data_free (RunData *d)
{
  hb_thread_config_free (d->config);
  g_free (d->last_fingerprint);
  hb_run_result_free (d->result);
  hb_context_free (d->context);
  g_clear_pointer (&d->instructions, hb_instructions_snapshot_unref);
  hb_decision_free (d->decision);
  g_free (d->fingerprint);
  g_clear_error (&d->begin_error);
  g_clear_error (&d->context_error);
  g_free (d);
}

static void
hb_pipeline_finalize (GObject *object)
{
  HbPipeline *self = HB_PIPELINE (object);

  g_clear_object (&self->store);
  g_clear_object (&self->llm);
  g_clear_object (&self->instructions);
  g_free (self->default_model);
  G_OBJECT_CLASS (hb_pipeline_parent_class)->finalize (object);
}

static void
hb_pipeline_class_init (HbPipelineClass *klass)
{
  G_OBJECT_CLASS (klass)->finalize = hb_pipeline_finalize;
}

static void
hb_pipeline_init (HbPipeline *self)
{
}

HbPipeline *
hb_pipeline_new (HbStore *store, HbLlmClient *llm, HbInstructions *instructions,
                 const HbDaemonConfig *config)
{
  HbPipeline *self = g_object_new (HB_TYPE_PIPELINE, NULL);

  self->store = g_object_ref (store);
  self->llm = g_object_ref (llm);
  self->instructions = g_object_ref (instructions);
  self->default_model = g_strdup (config->default_model != NULL ? config->default_model : "");
  self->prompt_max_bytes = config->prompt_max_bytes > 0 ? config->prompt_max_bytes
                                                        : HB_PROMPT_MAX_BYTES_DEFAULT;
  self->budgets.post_interval_s = config->post_interval;
  self->budgets.comment_interval_s = config->comment_interval;
  self->budgets.comments_per_day = config->comments_per_day;
  self->budgets.refuse_duplicates = TRUE;
  return self;
}

HbStore *
hb_pipeline_get_store (HbPipeline *self)
{
  return self->store;
}

HbLlmClient *
hb_pipeline_get_llm (HbPipeline *self)
{
  return self->llm;
}

HbInstructions *
hb_pipeline_get_instructions (HbPipeline *self)
{
  return self->instructions;
}

/* ---- finishing ------------------------------------------------------------------------------ */

static void
return_result (GTask *task)
{
  RunData *d = g_task_get_task_data (task);

  g_task_return_pointer (task, g_steal_pointer (&d->result), (GDestroyNotify) hb_run_result_free);
  g_object_unref (task);
}

static void record (GTask *task, const HbDecision *decision);

static void
on_finish_run (GObject *source, GAsyncResult *res, gpointer user_data)
{
  GTask *task = user_data;
  RunData *d = g_task_get_task_data (task);
  g_autoptr(GError) error = NULL;
  HbRunResult *stored;
  gboolean was_db_failure = d->result->status == HB_RUN_STATUS_FAILED &&
                            g_str_equal (d->result->reason, "db");

  stored = hb_store_finish_run_finish (HB_STORE (source), res, &error);
  if (stored != NULL)
    {
      if (stored->fingerprint[0] == '\0')
        hb_run_result_set_string (&stored->fingerprint, d->result->fingerprint);
      hb_run_result_free (d->result);
      d->result = stored;
      return_result (task);
      return;
    }

  /* The transaction rolled back, ledger row included. Say so truthfully, and try once to
   * record the failure itself (without the action) so the run does not stay "running". */
  g_warning ("Could not record run %s of thread %s: %s", d->result->run_id, d->result->thread_id,
             error->message);
  d->result->status = HB_RUN_STATUS_FAILED;
  hb_run_result_set_string (&d->result->reason, "db");
  hb_run_result_set_string (&d->result->error, error->message);
  d->result->ledger_id = -1;
  d->result->notify = FALSE;
  if (was_db_failure)
    return_result (task);
  else
    record (task, NULL);
}

static void
record (GTask *task, const HbDecision *decision)
{
  HbPipeline *self = g_task_get_source_object (task);
  RunData *d = g_task_get_task_data (task);

  /* Never cancelled: a run that was interrupted must still be recorded. */
  hb_store_finish_run_async (self->store, d->result, decision, &self->budgets, d->fingerprint,
                             NULL, on_finish_run, task);
}

/* The one exit of every run: record (unless previewing) and return. */
static void
finish (GTask *task)
{
  RunData *d = g_task_get_task_data (task);
  HbRunResult *r = d->result;

  r->finished_at = g_get_real_time ();
  r->notify = d->config->target == HB_TARGET_LAST && r->status == HB_RUN_STATUS_ACTED;
  if (r->summary[0] == '\0')
    {
      g_autofree char *summary = NULL;

      if (r->status == HB_RUN_STATUS_SKIPPED)
        summary = g_strdup_printf ("Skipped: %s.", r->reason);
      else if (r->status == HB_RUN_STATUS_FAILED || r->status == HB_RUN_STATUS_INVALID ||
               r->status == HB_RUN_STATUS_INTERRUPTED)
        summary = g_strdup_printf ("%s (%s): %s", hb_run_status_to_string (r->status), r->reason,
                                   r->error);
      hb_run_result_set_string (&r->summary, summary);
    }

  if (d->preview)
    {
      return_result (task);
      return;
    }

  record (task, (r->status == HB_RUN_STATUS_ACTED || r->status == HB_RUN_STATUS_DRY_RUN)
                  ? d->decision : NULL);
}

static void
finish_with_error (GTask *task, HbRunStatus status, const char *reason, const char *message)
{
  RunData *d = g_task_get_task_data (task);

  d->result->status = status;
  hb_run_result_set_string (&d->result->reason, reason);
  hb_run_result_set_string (&d->result->error, message);
  finish (task);
}

static void
finish_with_gerror (GTask *task, const GError *error)
{
  const char *klass = hb_error_failure_class (error);

  if (g_str_equal (klass, "interrupted"))
    finish_with_error (task, HB_RUN_STATUS_INTERRUPTED, "interrupted", "cancelled before it finished");
  else
    finish_with_error (task, HB_RUN_STATUS_FAILED, klass, error->message);
}

/* ---- decision ------------------------------------------------------------------------------- */

static void
apply_decision (RunData *d)
{
  HbRunResult *r = d->result;
  HbDecision *dec = d->decision;
  g_autofree char *summary = hb_decision_summary (dec);

  hb_run_result_set_string (&r->action, hb_action_kind_to_string (dec->action));
  hb_run_result_set_string (&r->reasoning, dec->reasoning);
  hb_run_result_set_string (&r->title, dec->title);
  hb_run_result_set_string (&r->content, dec->content);
  hb_run_result_set_string (&r->summary, summary);
  r->post_id = dec->post_id;
  if (dec->action == HB_ACTION_VOTE)
    hb_run_result_set_string (&r->vote_direction, dec->vote > 0 ? "up" : "down");

  if (dec->action == HB_ACTION_NONE)
    r->status = HB_RUN_STATUS_NO_ACTION;
  else if (r->dry_run)
    r->status = HB_RUN_STATUS_DRY_RUN;
  else
    r->status = HB_RUN_STATUS_ACTED;
}

static void
on_chat (GObject *source, GAsyncResult *res, gpointer user_data)
{
  GTask *task = user_data;
  RunData *d = g_task_get_task_data (task);
  HbRunResult *r = d->result;
  g_autoptr(GError) error = NULL;
  g_autoptr(HbLlmResponse) reply = NULL;

  reply = hb_llm_client_chat_finish (HB_LLM_CLIENT (source), res, &error);
  r->llm_wall_us = g_get_monotonic_time () - d->llm_started;
  if (reply == NULL)
    {
      finish_with_gerror (task, error);
      return;
    }

  hb_run_result_set_string (&r->raw_response, reply->content);
  hb_run_result_set_string (&r->options_json, reply->options_json);
  r->prompt_tokens = reply->prompt_tokens;
  r->eval_tokens = reply->eval_tokens;
  r->total_duration_ns = reply->total_duration_ns;
  r->load_duration_ns = reply->load_duration_ns;
  r->eval_duration_ns = reply->eval_duration_ns;

  d->decision = hb_decision_from_reply (reply->content, &error);
  if (d->decision == NULL)
    {
      finish_with_error (task, HB_RUN_STATUS_INVALID, hb_decision_error_reason (error),
                         error->message);
      return;
    }
  apply_decision (d);
  finish (task);
}

/* ---- prompt ------------------------------------------------------------------------------- */

static HbPromptHints *
budget_hints (HbPipeline *self, const HbContext *ctx, HbPromptHints *hints, gint64 now_us)
{
  double now = now_us / (double) G_USEC_PER_SEC;

  hints->post_allowed = TRUE;
  hints->comment_allowed = TRUE;
  hints->comments_left_today = -1;
  if (self->budgets.post_interval_s > 0 && ctx->last_post_at > 0 &&
      now - ctx->last_post_at < self->budgets.post_interval_s)
    {
      hints->post_allowed = FALSE;
      hints->post_blocked_reason =
        g_strdup_printf ("the next post is allowed in %.0f s",
                         self->budgets.post_interval_s - (now - ctx->last_post_at));
    }
  if (self->budgets.comments_per_day > 0)
    {
      hints->comments_left_today = MAX (0, (gint64) self->budgets.comments_per_day -
                                             ctx->comments_last_day);
      if (hints->comments_left_today == 0)
        {
          hints->comment_allowed = FALSE;
          hints->comment_blocked_reason = g_strdup ("the daily comment budget is used up");
        }
    }
  if (hints->comment_allowed && self->budgets.comment_interval_s > 0 && ctx->last_comment_at > 0 &&
      now - ctx->last_comment_at < self->budgets.comment_interval_s)
    {
      hints->comment_allowed = FALSE;
      hints->comment_blocked_reason =
        g_strdup_printf ("the next comment is allowed in %.0f s",
                         self->budgets.comment_interval_s - (now - ctx->last_comment_at));
    }
  return hints;
}

static char *
run_fingerprint (const RunData *d)
{
  HbSha256 sum;
  g_autofree char *cfg_text = hb_thread_config_to_json_text (d->config);
  g_autofree char *ctx_text = hb_context_fingerprint (d->context);
  const char *instr = d->instructions->exists ? d->instructions->sha256 : "missing";

  hb_sha256_init (&sum);
  hb_sha256_update (&sum, instr, strlen (instr));
  hb_sha256_update (&sum, "\n", 1);
  hb_sha256_update (&sum, cfg_text, strlen (cfg_text));
  hb_sha256_update (&sum, "\n", 1);
  hb_sha256_update (&sum, ctx_text, strlen (ctx_text));
  return hb_sha256_finish_hex (&sum);
}

static void
ask (GTask *task)
{
  HbPipeline *self = g_task_get_source_object (task);
  RunData *d = g_task_get_task_data (task);
  HbRunResult *r = d->result;
  HbPromptHints hints = { 0 };
  g_autoptr(GError) error = NULL;
  g_autoptr(GTimeZone) tz = NULL;
  g_autoptr(GDateTime) local_now = NULL;
  g_autoptr(HbPrompt) prompt = NULL;
  g_autoptr(HbLlmRequest) request = g_new0 (HbLlmRequest, 1);
  g_autofree char *prompt_text = NULL;

  tz = hb_timezone_lookup (d->config->timezone, &error);
  if (tz == NULL)
    {
      /* The config validator refuses unknown zones; a zone removed from the system since then
       * must not stop the thread. */
      g_warning ("Thread %s: %s; using the host zone", r->thread_id, error->message);
      g_clear_error (&error);
      tz = g_time_zone_new_local ();
    }
  {
    g_autoptr(GDateTime) utc = g_date_time_new_from_unix_utc (r->started_at / G_USEC_PER_SEC);

    local_now = g_date_time_to_timezone (utc, tz);
  }

  prompt = hb_prompt_build (d->context, d->instructions->exists ? d->instructions : NULL,
                            d->config, local_now, budget_hints (self, d->context, &hints, r->started_at),
                            self->prompt_max_bytes);
  g_free (hints.post_blocked_reason);
  g_free (hints.comment_blocked_reason);

  prompt_text = hb_prompt_to_text (prompt);
  hb_run_result_set_string (&r->prompt, prompt_text);
  hb_run_result_set_string (&r->prompt_sha256, prompt->sha256);

  request->model = g_strdup (r->model);
  request->system = g_strdup (prompt->system);
  request->user = g_strdup (prompt->user);
  request->temperature = d->config->temperature;
  request->max_tokens = d->config->max_tokens;
  request->schema = hb_decision_json_schema ();

  d->llm_started = g_get_monotonic_time ();
  hb_llm_client_chat_async (self->llm, request, g_task_get_cancellable (task), on_chat, task);
}

/* ---- context -------------------------------------------------------------------------------- */

/* Both the start record and the context are in (@task is the last reference handed out). */
static void
start_ready (GTask *task)
{
  RunData *d = g_task_get_task_data (task);

  if (d->begin_error != NULL)
    {
      /* Nothing was recorded, so there is nothing to finish either. */
      g_warning ("Could not record the start of run %s: %s", d->result->run_id,
                 d->begin_error->message);
      d->result->status = HB_RUN_STATUS_FAILED;
      d->result->finished_at = g_get_real_time ();
      hb_run_result_set_string (&d->result->reason, "db");
      hb_run_result_set_string (&d->result->error, d->begin_error->message);
      return_result (task);
      return;
    }
  if (d->context == NULL)
    {
      finish_with_gerror (task, d->context_error);
      return;
    }

  if (d->instructions->exists && d->instructions->parsed->effectively_empty)
    {
      /* Cheap checks first: nothing to do means no model call. */
      d->result->status = HB_RUN_STATUS_SKIPPED;
      hb_run_result_set_string (&d->result->reason, "empty-instructions");
      finish (task);
      return;
    }

  d->fingerprint = run_fingerprint (d);
  hb_run_result_set_string (&d->result->fingerprint, d->fingerprint);
  if (d->skip_unchanged && d->last_fingerprint != NULL &&
      g_str_equal (d->last_fingerprint, d->fingerprint))
    {
      d->result->status = HB_RUN_STATUS_SKIPPED;
      hb_run_result_set_string (&d->result->reason, "unchanged");
      finish (task);
      return;
    }

  ask (task);
}

/* One of the two answers is in; each holds a reference to @task. */
static void
start_answered (GTask *task)
{
  RunData *d = g_task_get_task_data (task);

  if (--d->start_pending > 0)
    {
      g_object_unref (task);
      return;
    }
  start_ready (task);
}

static void
on_context (GObject *source, GAsyncResult *res, gpointer user_data)
{
  GTask *task = user_data;
  RunData *d = g_task_get_task_data (task);

  d->context = hb_store_load_context_finish (HB_STORE (source), res, &d->context_error);
  start_answered (task);
}

static void
on_begin_run (GObject *source, GAsyncResult *res, gpointer user_data)
{
  GTask *task = user_data;
  RunData *d = g_task_get_task_data (task);

  hb_store_begin_run_finish (HB_STORE (source), res, &d->begin_error);
  start_answered (task);
}

/* ---- entry ---------------------------------------------------------------------------------- */

void
hb_pipeline_run_async (HbPipeline *self, const HbRunRequest *request, GCancellable *cancellable,
                       GAsyncReadyCallback callback, gpointer user_data)
{
  g_autoptr(GTask) task = NULL;
  g_autofree char *run_id = NULL;
  RunData *d;

  g_return_if_fail (HB_IS_PIPELINE (self));

  task = g_task_new (self, cancellable, callback, user_data);
  g_task_set_source_tag (task, hb_pipeline_run_async);
  /* The cancellable is only handed to the model call, where an interruption is observed and then
   * recorded: GTask's own check would drop that record. */
  g_task_set_check_cancellable (task, FALSE);
  if (request->thread_id == NULL || request->config == NULL)
    {
      g_task_return_new_error (task, HB_ERROR, HB_ERROR_FAILED, "a run needs a thread and a config");
      return;
    }

  run_id = request->run_id != NULL ? g_strdup (request->run_id) : g_uuid_string_random ();
  d = g_new0 (RunData, 1);
  d->config = hb_thread_config_copy (request->config);
  d->preview = request->preview;
  d->skip_unchanged = request->skip_unchanged;
  d->last_fingerprint = g_strdup (request->last_fingerprint);
  d->instructions = hb_instructions_get_snapshot (self->instructions);
  d->result = hb_run_result_new (run_id, request->thread_id);
  d->result->scheduled_for = request->scheduled_for;
  d->result->started_at = g_get_real_time ();
  d->result->dry_run = request->config->dry_run;
  hb_run_result_set_string (&d->result->model,
                            hb_config_effective_model (request->config, self->default_model));
  g_task_set_task_data (task, d, (GDestroyNotify) run_data_free);

  if (d->instructions->problem != NULL)
    g_debug ("HEARTBEAT.md: %s", d->instructions->problem);

  /* The context read is queued right behind the start record, so the store does both in one
   * transaction and answers both at once: one round trip to its thread, not two. The read sees
   * the run's own row as "running", which the context leaves out anyway. */
  d->start_pending = d->preview ? 1 : 2;
  if (!d->preview)
    hb_store_begin_run_async (self->store, d->result, NULL, on_begin_run, g_object_ref (task));
  hb_store_load_context_async (self->store, d->result->thread_id, NULL, on_context,
                               g_steal_pointer (&task));
}

HbRunResult *
hb_pipeline_run_finish (HbPipeline *self, GAsyncResult *result, GError **error)
{
  g_return_val_if_fail (g_task_is_valid (result, self), NULL);
  return g_task_propagate_pointer (G_TASK (result), error);
}
