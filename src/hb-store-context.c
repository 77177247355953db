/* hb-store-context.c: gather what the model is told about a thread, in one read transaction so
 * that the context and its high-water marks describe the same moment. */
#include "config.h"

#include "hb-error.h"
#include "hb-store-private.h"

/* Rows of @sql bound with the thread id as ?1, each handed to @add. */
typedef void (*RowFunc) (HbContext *ctx, sqlite3_stmt *stmt);

static gboolean
each_row (HbStore *self, HbContext *ctx, const char *sql, RowFunc add, GError **error)
{
  g_autoptr(sqlite3_stmt) stmt = hb_db_prepare (self, sql, error);
  int rc;

  if (stmt == NULL)
    return FALSE;
  hb_db_bind (stmt, "s", ctx->thread_id);
  while ((rc = hb_db_step (self, stmt, error)) == SQLITE_ROW)
    add (ctx, stmt);
  return rc == SQLITE_DONE;
}

static void
add_message (HbContext *ctx, sqlite3_stmt *stmt)
{
  HbMessage *m = g_new0 (HbMessage, 1);

  m->id = sqlite3_column_int64 (stmt, 0);
  m->query = hb_context_cut_text ((const char *) sqlite3_column_text (stmt, 1),
                                  HB_CONTEXT_MESSAGE_CHARS);
  m->response = hb_context_cut_text ((const char *) sqlite3_column_text (stmt, 2),
                                     HB_CONTEXT_MESSAGE_CHARS);
  m->timestamp = sqlite3_column_double (stmt, 3);
  g_ptr_array_add (ctx->messages, m);
}

static void
add_contradiction (HbContext *ctx, sqlite3_stmt *stmt)
{
  HbContradiction *c = g_new0 (HbContradiction, 1);

  c->ledger_id = hb_db_column_text (stmt, 0);
  c->timestamp = sqlite3_column_double (stmt, 1);
  c->summary = hb_db_column_text (stmt, 2);
  c->query = hb_db_column_text (stmt, 3);
  c->affects_slots = hb_db_column_text (stmt, 4);
  c->contradiction_type = hb_db_column_text (stmt, 5);
  c->drift_mean = sqlite3_column_double (stmt, 6);
  g_ptr_array_add (ctx->contradictions, c);
}

static void
add_post (HbContext *ctx, sqlite3_stmt *stmt)
{
  HbFeedPost *p = g_new0 (HbFeedPost, 1);

  p->id = sqlite3_column_int64 (stmt, 0);
  p->submolt = hb_db_column_text (stmt, 1);
  p->author = hb_db_column_text (stmt, 2);
  p->title = hb_db_column_text (stmt, 3);
  p->created_at = sqlite3_column_double (stmt, 4);
  p->score = sqlite3_column_int64 (stmt, 5);
  p->comment_count = sqlite3_column_int64 (stmt, 6);
  g_ptr_array_add (ctx->feed, p);
}

static void
add_memory (HbContext *ctx, sqlite3_stmt *stmt)
{
  HbMemoryFact *m = g_new0 (HbMemoryFact, 1);

  m->memory_id = hb_db_column_text (stmt, 0);
  m->slot = hb_db_column_text (stmt, 1);
  m->value = hb_db_column_text (stmt, 2);
  m->text = hb_db_column_text (stmt, 3);
  m->confidence = sqlite3_column_double (stmt, 4);
  m->source = hb_db_column_text (stmt, 5);
  m->timestamp = sqlite3_column_double (stmt, 6);
  g_ptr_array_add (ctx->memories, m);
}

static void
add_own_action (HbContext *ctx, sqlite3_stmt *stmt)
{
  HbPastAction *a = g_new0 (HbPastAction, 1);

  a->timestamp = sqlite3_column_double (stmt, 0);
  a->status = hb_db_column_text (stmt, 1);
  a->action = hb_db_column_text (stmt, 2);
  a->summary = hb_db_column_text (stmt, 3);
  a->title = hb_db_column_text (stmt, 4);
  g_ptr_array_add (ctx->own_actions, a);
}

static void
set_profile (HbContext *ctx, sqlite3_stmt *stmt)
{
  g_free (ctx->user_name);
  ctx->user_name = hb_db_column_text (stmt, 0);
  g_free (ctx->style);
  ctx->style = hb_db_column_text (stmt, 1);
}

static void
set_contradiction_marks (HbContext *ctx, sqlite3_stmt *stmt)
{
  ctx->n_contradictions = sqlite3_column_int64 (stmt, 0);
  ctx->max_contradiction_ts = sqlite3_column_double (stmt, 1);
}

static void
set_memory_marks (HbContext *ctx, sqlite3_stmt *stmt)
{
  ctx->n_memories = sqlite3_column_int64 (stmt, 0);
  ctx->max_memory_ts = sqlite3_column_double (stmt, 1);
}

typedef struct {
  char *thread_id;
  HbContext *ctx;   /* output */
} ContextData;

/* A contradiction belongs to the thread whose memories it opposes (it has no thread_id). CRT
 * writes the status in lower case; the seed drew it in upper case. */
#define THREAD_CONTRADICTIONS \
  " FROM %1$s.contradictions c WHERE lower(c.status) = 'open' AND EXISTS (" \
  "   SELECT 1 FROM %2$s.memories m WHERE m.thread_id = ?1" \
  "   AND m.memory_id IN (c.old_memory_id, c.new_memory_id))"

#define THREAD_MEMORIES \
  " FROM %1$s.memories WHERE thread_id = ?1 AND COALESCE(deprecated, 0) = 0"

/* The statements naming the attached schemas, formatted once per store (the schemas and the
 * memories' columns are fixed when it opens). */
static void
build_context_sql (HbStore *self)
{
  if (self->context_sql[HB_CONTEXT_SQL_CONTRADICTIONS] != NULL)
    return;
  self->context_sql[HB_CONTEXT_SQL_CONTRADICTIONS] =
    g_strdup_printf ("SELECT c.ledger_id, c.timestamp, c.summary, c.query,"
                     " c.affects_slots, c.contradiction_type, c.drift_mean"
                     THREAD_CONTRADICTIONS
                     " ORDER BY c.timestamp DESC, c.ledger_id DESC LIMIT %3$d",
                     self->ledger_schema, self->memory_schema, HB_CONTEXT_CONTRADICTIONS);
  self->context_sql[HB_CONTEXT_SQL_CONTRADICTION_MARKS] =
    g_strdup_printf ("SELECT COUNT(*), COALESCE(MAX(c.timestamp), 0)" THREAD_CONTRADICTIONS,
                     self->ledger_schema, self->memory_schema);
  self->context_sql[HB_CONTEXT_SQL_MEMORIES] =
    g_strdup_printf ("SELECT memory_id, %2$s, %3$s, text, confidence, source, timestamp"
                     THREAD_MEMORIES " ORDER BY timestamp DESC, memory_id DESC LIMIT %4$d",
                     self->memory_schema,
                     self->memories_have_slot ? "slot" : "''",
                     self->memories_have_slot ? "value" : "''",
                     HB_CONTEXT_MEMORIES);
  self->context_sql[HB_CONTEXT_SQL_MEMORY_MARKS] =
    g_strdup_printf ("SELECT COUNT(*), COALESCE(MAX(timestamp), 0)" THREAD_MEMORIES,
                     self->memory_schema);
}

/* The feed, newest first, with each post's score and comment count. */
static const char feed_sql[] =
  "SELECT p.id, p.submolt, p.author, p.title, p.created_at,"
  " (SELECT COALESCE(SUM(v.value), 0) FROM main.molt_votes v"
  "   WHERE v.target_type = 'post' AND v.target_id = p.id),"
  " (SELECT COUNT(*) FROM main.molt_comments c WHERE c.post_id = p.id)"
  " FROM main.molt_posts p"
  " ORDER BY p.created_at DESC, p.id DESC LIMIT " G_STRINGIFY (HB_CONTEXT_FEED);

/* The ledger's high-water marks. */
static gboolean
read_ledger_marks (HbStore *self, HbContext *ctx, GError **error)
{
  g_autoptr(sqlite3_stmt) stmt =
    hb_db_prepare (self,
                   "SELECT (SELECT COALESCE(MAX(id), 0) FROM main.recent_queries WHERE thread_id = ?1),"
                   " (SELECT COALESCE(MAX(id), 0) FROM main.molt_posts),"
                   " (SELECT COALESCE(MAX(id), 0) FROM main.molt_comments),"
                   " (SELECT COALESCE(MAX(id), 0) FROM main.molt_votes)", error);

  if (stmt == NULL)
    return FALSE;
  hb_db_bind (stmt, "s", ctx->thread_id);
  if (hb_db_step (self, stmt, error) != SQLITE_ROW)
    return FALSE;
  ctx->max_message_id = sqlite3_column_int64 (stmt, 0);
  ctx->max_post_id = sqlite3_column_int64 (stmt, 1);
  ctx->max_comment_id = sqlite3_column_int64 (stmt, 2);
  ctx->max_vote_id = sqlite3_column_int64 (stmt, 3);
  return TRUE;
}

/* The newest messages come newest first (the index's order, no sort): the context wants them
 * oldest first. */
static void
reverse (GPtrArray *array)
{
  for (guint i = 0, j = array->len; i + 1 < j; i++, j--)
    {
      gpointer tmp = array->pdata[i];

      array->pdata[i] = array->pdata[j - 1];
      array->pdata[j - 1] = tmp;
    }
}

static gboolean
load_context_txn (HbStore *self, gpointer data, GError **error)
{
  ContextData *d = data;
  g_autoptr(HbContext) ctx = hb_context_new (d->thread_id);
  const char *const *sql = (const char *const *) self->context_sql;
  double since = hb_us_to_s (g_get_real_time ()) - 24 * 3600;

  build_context_sql (self);
  /* The counts come first: a list whose count is 0 is not read (its ORDER BY ... LIMIT costs a
   * temporary b-tree even when no row matches). */
  if (!each_row (self, ctx,
                 "SELECT id, query_text, response_text, timestamp FROM main.recent_queries"
                 " WHERE thread_id = ?1 ORDER BY id DESC LIMIT " G_STRINGIFY (HB_CONTEXT_MESSAGES),
                 add_message, error) ||
      !each_row (self, ctx, sql[HB_CONTEXT_SQL_CONTRADICTION_MARKS], set_contradiction_marks,
                 error) ||
      (ctx->n_contradictions > 0 &&
       !each_row (self, ctx, sql[HB_CONTEXT_SQL_CONTRADICTIONS], add_contradiction, error)) ||
      !each_row (self, ctx,
                 "SELECT user_name, style_profile_json FROM main.thread_sessions"
                 " WHERE thread_id = ?1", set_profile, error) ||
      !read_ledger_marks (self, ctx, error) ||
      !each_row (self, ctx, feed_sql, add_post, error) ||
      !each_row (self, ctx, sql[HB_CONTEXT_SQL_MEMORY_MARKS], set_memory_marks, error) ||
      (ctx->n_memories > 0 &&
       !each_row (self, ctx, sql[HB_CONTEXT_SQL_MEMORIES], add_memory, error)) ||
      !each_row (self, ctx,
                 "SELECT finished_at, status, action, summary, title FROM main.heartbeat_runs"
                 " WHERE thread_id = ?1 AND status <> 'running' AND finished_at IS NOT NULL"
                 " ORDER BY finished_at DESC, rowid DESC"
                 " LIMIT " G_STRINGIFY (HB_CONTEXT_OWN_ACTIONS),
                 add_own_action, error) ||
      !hb_store_budget_facts (self, d->thread_id, since, &ctx->last_post_at,
                              &ctx->last_comment_at, &ctx->comments_last_day, error))
    return FALSE;
  reverse (ctx->messages);

  g_clear_pointer (&d->ctx, hb_context_free);
  d->ctx = g_steal_pointer (&ctx);
  return TRUE;
}

static void
context_data_free (gpointer p)
{
  ContextData *d = p;

  g_free (d->thread_id);
  g_clear_pointer (&d->ctx, hb_context_free);
  g_free (d);
}

static void
return_context (GTask *task, gpointer data)
{
  ContextData *d = data;

  g_task_return_pointer (task, g_steal_pointer (&d->ctx), (GDestroyNotify) hb_context_free);
}

/* A read, but one that may share the transaction of the writes queued before it. */
static const HbWriteJob load_context_job = { load_context_txn, return_context, TRUE };

void
hb_store_load_context_async (HbStore *self, const char *thread_id, GCancellable *cancellable,
                             GAsyncReadyCallback callback, gpointer user_data)
{
  GError *error = NULL;
  ContextData *d;

  g_return_if_fail (HB_IS_STORE (self));
  if (!hb_store_check_thread_id (thread_id, &error))
    {
      g_task_report_error (self, callback, user_data, hb_store_load_context_async, error);
      return;
    }
  d = g_new0 (ContextData, 1);
  d->thread_id = g_strdup (thread_id);
  hb_store_submit_write (self, &load_context_job, d, context_data_free, cancellable, callback,
                         user_data, hb_store_load_context_async);
}

HbContext *
hb_store_load_context_finish (HbStore *self, GAsyncResult *result, GError **error)
{
  g_return_val_if_fail (g_task_is_valid (result, self), NULL);
  return g_task_propagate_pointer (G_TASK (result), error);
}
