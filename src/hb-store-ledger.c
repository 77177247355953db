/* hb-store-ledger.c: executing a decision on the ledger (molt_posts, molt_comments, molt_votes):
 * the store's own checks (the post exists, the budgets) and the write, inside the caller's
 * transaction. Budgets count this thread's earlier heartbeat rows through their run ids. */
#include "config.h"

#include "hb-store-private.h"

#define DAY_S (24.0 * 3600.0)
#define HEARTBEAT_AUTHOR "heartbeat"

#define THREAD_LEDGER(table, alias) \
  " FROM main." table " " alias " JOIN main.heartbeat_runs r ON r.run_id = " alias \
  ".heartbeat_run_id WHERE r.thread_id = ?1"

/* The two aggregates of @stmt's single row (NULL reads as 0); @stmt is released. */
static gboolean
two_aggregates (HbStore *self, sqlite3_stmt *stmt, double *first, double *second,
                GError **error)
{
  g_autoptr(sqlite3_stmt) owned = stmt;

  if (owned == NULL || hb_db_step (self, owned, error) != SQLITE_ROW)
    return FALSE;
  *first = sqlite3_column_double (owned, 0);
  *second = sqlite3_column_double (owned, 1);
  return TRUE;
}

static gboolean
last_post_at (HbStore *self, const char *thread_id, double *out, GError **error)
{
  return hb_db_scalar (self, out, error, "SELECT MAX(p.created_at)" THREAD_LEDGER ("molt_posts", "p"),
                       "s", thread_id);
}

/* The last post's time and the posts since @since_s with @title or @content, in one pass. */
static gboolean
post_facts (HbStore *self, const char *thread_id, double since_s, const char *title,
            const char *content, double *last_post, double *same_since, GError **error)
{
  sqlite3_stmt *stmt =
    hb_db_query (self, error,
                 "SELECT MAX(p.created_at), COUNT(CASE WHEN p.created_at >= ?2"
                 " AND (p.title = ?3 OR p.content = ?4) THEN 1 END)"
                 THREAD_LEDGER ("molt_posts", "p"),
                 "sdss", thread_id, since_s, title, content);

  return two_aggregates (self, stmt, last_post, same_since, error);
}

/* The last comment's time and the comments since @since_s, in one pass. */
static gboolean
comment_facts (HbStore *self, const char *thread_id, double since_s, double *last_comment,
               gint64 *comments_since, GError **error)
{
  sqlite3_stmt *stmt =
    hb_db_query (self, error,
                 "SELECT MAX(c.created_at), COUNT(CASE WHEN c.created_at >= ?2 THEN 1 END)"
                 THREAD_LEDGER ("molt_comments", "c"),
                 "sd", thread_id, since_s);
  double n = 0;

  if (!two_aggregates (self, stmt, last_comment, &n, error))
    return FALSE;
  *comments_since = (gint64) n;
  return TRUE;
}

gboolean
hb_store_budget_facts (HbStore *self, const char *thread_id, double since_s, double *last_post,
                       double *last_comment, gint64 *comments_since, GError **error)
{
  return last_post_at (self, thread_id, last_post, error) &&
         comment_facts (self, thread_id, since_s, last_comment, comments_since, error);
}

/* Why the store refuses @dec for this thread now (a reason code and a message), or NULL. */
static gboolean
check_decision (HbStore *self, const HbDecision *dec, const HbBudgets *b, const char *thread_id,
                double now, const char **reason, char **message, GError **error)
{
  double last_post = 0, last_comment = 0, same = 0, n = 0;
  gint64 comments_day = 0;

  *reason = NULL;
  if ((dec->action == HB_ACTION_POST && (dec->title == NULL || dec->content == NULL)) ||
      (dec->action == HB_ACTION_COMMENT && dec->content == NULL))
    {
      *reason = "missing-field";
      *message = g_strdup_printf ("The %s has no text", hb_action_kind_to_string (dec->action));
      return TRUE;
    }
  if (dec->action == HB_ACTION_VOTE && dec->vote != 1 && dec->vote != -1)
    {
      *reason = "bad-direction";
      *message = g_strdup_printf ("Vote value %d is neither +1 nor -1", dec->vote);
      return TRUE;
    }
  if (dec->action == HB_ACTION_COMMENT || dec->action == HB_ACTION_VOTE)
    {
      if (!hb_db_scalar (self, &n, error, "SELECT COUNT(*) FROM main.molt_posts WHERE id = ?1",
                         "i", dec->post_id))
        return FALSE;
      if (n == 0)
        {
          *reason = "unknown-post";
          *message = g_strdup_printf ("Post %" G_GINT64_FORMAT " does not exist", dec->post_id);
          return TRUE;
        }
    }
  /* Each action looks only at its own budgets' facts: a post never at the comments. */
  if (dec->action == HB_ACTION_POST && (b->post_interval_s > 0 || b->refuse_duplicates) &&
      !post_facts (self, thread_id, now - DAY_S, dec->title, dec->content, &last_post, &same,
                   error))
    return FALSE;
  if (dec->action == HB_ACTION_COMMENT && (b->comment_interval_s > 0 || b->comments_per_day > 0) &&
      !comment_facts (self, thread_id, now - DAY_S, &last_comment, &comments_day, error))
    return FALSE;

  if (dec->action == HB_ACTION_POST)
    {
      if (b->post_interval_s > 0 && last_post > 0 && now - last_post < b->post_interval_s)
        {
          *reason = "rate-limited";
          *message = g_strdup_printf ("A heartbeat post was written %.0f s ago (limit: one per %u s)",
                                      now - last_post, b->post_interval_s);
          return TRUE;
        }
      if (b->refuse_duplicates && same > 0)
        {
          *reason = "duplicate";
          *message = g_strdup ("A heartbeat post with the same title or content was written in the last 24 h");
          return TRUE;
        }
    }
  if (dec->action == HB_ACTION_COMMENT)
    {
      if (b->comment_interval_s > 0 && last_comment > 0 &&
          now - last_comment < b->comment_interval_s)
        {
          *reason = "rate-limited";
          *message = g_strdup_printf ("A heartbeat comment was written %.0f s ago (limit: one per %u s)",
                                      now - last_comment, b->comment_interval_s);
          return TRUE;
        }
      if (b->comments_per_day > 0 && comments_day >= b->comments_per_day)
        {
          *reason = "rate-limited";
          *message = g_strdup_printf ("%" G_GINT64_FORMAT " heartbeat comments in the last 24 h (limit %u)",
                                      comments_day, b->comments_per_day);
          return TRUE;
        }
    }
  return TRUE;
}

static gboolean
write_ledger (HbStore *self, const HbDecision *dec, HbRunResult *r, double now, GError **error)
{
  double id = 0;

  switch (dec->action)
    {
    case HB_ACTION_POST:
      /* The submolt is there after the first post: looking costs less than an INSERT OR IGNORE,
       * which reads sqlite_sequence (AUTOINCREMENT) before it finds the name taken. */
      if (!hb_db_scalar (self, &id, error,
                         "SELECT EXISTS (SELECT 1 FROM main.molt_submolts WHERE name = 'heartbeat')",
                         NULL) ||
          (id == 0 &&
           !hb_db_run (self, error,
                       "INSERT OR IGNORE INTO main.molt_submolts (name, description, created_at, created_by)"
                       " VALUES ('heartbeat', 'Written by the heartbeat', ?1, '" HEARTBEAT_AUTHOR "')",
                       "d", now)) ||
          !hb_db_run (self, error,
                      "INSERT INTO main.molt_posts (submolt, title, content, author, created_at,"
                      " updated_at, source_type, heartbeat_run_id)"
                      " VALUES ('heartbeat', ?1, ?2, '" HEARTBEAT_AUTHOR "', ?3, ?3, 'heartbeat', ?4)",
                      "ssds", dec->title, dec->content, now, r->run_id))
        return FALSE;
      r->ledger_id = r->post_id = sqlite3_last_insert_rowid (self->db);
      hb_run_result_set_string (&r->ledger_table, "molt_posts");
      return TRUE;
    case HB_ACTION_COMMENT:
      if (!hb_db_run (self, error,
                      "INSERT INTO main.molt_comments (post_id, parent_comment_id, content, author,"
                      " created_at, heartbeat_run_id)"
                      " VALUES (?1, NULL, ?2, '" HEARTBEAT_AUTHOR "', ?3, ?4)",
                      "isds", dec->post_id, dec->content, now, r->run_id))
        return FALSE;
      r->ledger_id = sqlite3_last_insert_rowid (self->db);
      hb_run_result_set_string (&r->ledger_table, "molt_comments");
      return TRUE;
    case HB_ACTION_VOTE:
      /* One vote per post per voter: a second vote changes the value. */
      if (!hb_db_scalar (self, &id, error,
                         "INSERT INTO main.molt_votes (target_type, target_id, voter, value,"
                         " created_at, heartbeat_run_id)"
                         " VALUES ('post', ?1, '" HEARTBEAT_AUTHOR "', ?2, ?3, ?4)"
                         " ON CONFLICT (target_type, target_id, voter) DO UPDATE SET"
                         " value = excluded.value, created_at = excluded.created_at,"
                         " heartbeat_run_id = excluded.heartbeat_run_id RETURNING id",
                         "iidt", dec->post_id, (gint64) dec->vote, now, r->run_id))
        return FALSE;
      r->ledger_id = (gint64) id;
      hb_run_result_set_string (&r->ledger_table, "molt_votes");
      return TRUE;
    case HB_ACTION_NONE:
    default:
      return TRUE;
    }
}

gboolean
hb_store_ledger_apply (HbStore *self, const HbDecision *dec, const HbBudgets *budgets,
                       HbRunResult *r, double now, GError **error)
{
  g_autofree char *message = NULL;
  const char *reason = NULL;

  hb_run_result_set_string (&r->action, hb_action_kind_to_string (dec->action));
  if (dec->action == HB_ACTION_NONE)
    {
      r->status = HB_RUN_STATUS_NO_ACTION;
      return TRUE;
    }
  if (dec->action == HB_ACTION_POST)
    hb_run_result_set_string (&r->title, dec->title);
  hb_run_result_set_string (&r->content, dec->content);
  r->post_id = dec->action == HB_ACTION_POST ? -1 : dec->post_id;
  hb_run_result_set_string (&r->vote_direction, dec->action != HB_ACTION_VOTE ? NULL
                                                : dec->vote > 0 ? "up" : "down");
  if (r->reasoning[0] == '\0')
    hb_run_result_set_string (&r->reasoning, dec->reasoning);

  if (!check_decision (self, dec, budgets, r->thread_id, now, &reason, &message, error))
    return FALSE;
  if (reason != NULL)
    {
      r->status = HB_RUN_STATUS_INVALID;
      r->notify = FALSE;
      hb_run_result_set_string (&r->reason, reason);
      hb_run_result_set_string (&r->error, message);
      /* The summary must not claim the refused action. */
      g_free (r->summary);
      r->summary = g_strdup_printf ("invalid (%s): %s", reason, message);
      return TRUE;
    }
  if (r->status == HB_RUN_STATUS_DRY_RUN)
    return TRUE;
  return write_ledger (self, dec, r, now, error);
}

