/* hb-store-batch.c: how the worker takes queued jobs, and group commit: the write jobs (and
 * reads) queued together share one transaction, and their results go back to the caller's main
 * loop together. */
#include "config.h"

#include "hb-error.h"
#include "hb-store-private.h"

/* The queued jobs (HbJob, oldest first) live in self->queue, not in the pool: the pool's items
 * only wake the worker, which takes the oldest job, and with it, when it is a write job or a
 * read, the write jobs and reads queued right after it (group commit, see
 * hb_store_run_writes()). A job taken that way leaves its wake-up behind, which then finds
 * nothing or a later job (or the same job given back, see begin_batch()); each wake-up holds a
 * reference to the store so that none outlives it. */
guint
hb_store_take_jobs (HbStore *self, HbJob **jobs)
{
  guint n = 0;

  g_mutex_lock (&self->queue_lock);
  jobs[n] = g_queue_pop_head (&self->queue);
  if (jobs[n] != NULL)
    n++;
  while (n > 0 && n < HB_STORE_BATCH_MAX && jobs[0]->write != NULL &&
         g_queue_peek_head (&self->queue) != NULL &&
         ((HbJob *) g_queue_peek_head (&self->queue))->write != NULL)
    jobs[n++] = g_queue_pop_head (&self->queue);
  g_mutex_unlock (&self->queue_lock);
  return n;
}

/* Results of write jobs for one main context, handed to it together: one wake-up of the caller's
 * loop for them rather than one per job (a GTask returned from this thread attaches a source of
 * its own, and every attach writes to the context's eventfd). There each task returns at once,
 * in queue order, as it would from its own source. */
typedef struct {
  GTask *task;            /* owned */
  const HbWriteJob *write;
  GError *error;          /* NULL: write->succeed () */
} Return;

typedef struct {
  GMainContext *context;
  GArray *items;          /* Return */
} Returns;

static gboolean
deliver (gpointer data)
{
  Returns *r = data;

  for (guint i = 0; i < r->items->len; i++)
    {
      Return *it = &g_array_index (r->items, Return, i);

      if (it->error != NULL)
        g_task_return_error (it->task, g_steal_pointer (&it->error));
      else
        it->write->succeed (it->task, g_task_get_task_data (it->task));
    }
  return G_SOURCE_REMOVE;
}

static void
returns_free (gpointer data)
{
  Returns *r = data;

  for (guint i = 0; i < r->items->len; i++)
    {
      Return *it = &g_array_index (r->items, Return, i);

      g_clear_error (&it->error);
      g_object_unref (it->task);
    }
  g_array_unref (r->items);
  g_free (r);
}

static void
returns_flush (Returns **r)
{
  if (*r == NULL)
    return;
  g_main_context_invoke_full ((*r)->context, G_PRIORITY_DEFAULT, deliver, *r, returns_free);
  *r = NULL;
}

/* Return @job's task with @error (taken), or its result when NULL, through *@r. */
static void
returns_add (Returns **r, HbJob *job, GError *error)
{
  Return it = { g_object_ref (job->task), job->write, error };
  GMainContext *context = g_task_get_context (job->task);

  if (*r != NULL && (*r)->context != context)
    returns_flush (r);
  if (*r == NULL)
    {
      *r = g_new0 (Returns, 1);
      (*r)->context = context;
      (*r)->items = g_array_new (FALSE, FALSE, sizeof (Return));
    }
  g_array_append_val ((*r)->items, it);
}

typedef enum {
  WRITES_COMMITTED,
  WRITES_AGAIN,     /* a job failed and took the transaction with it: the others once more */
  WRITES_FAILED,    /* the transaction itself failed (@error) */
} WritesOutcome;

/* One attempt at the jobs still @pending, in one transaction (already begun when *@begun). A
 * job that fails gets its error in @errors and is no longer pending; the transaction goes with
 * it and the others run again without it (WRITES_AGAIN), so that each one's writes are as they
 * would be after a savepoint per job, without the savepoints' cost on every job (their
 * statements, and the copy of each page a job changes into the sub-journal). Failures are rare,
 * and the jobs are made to run again anyway (busy retries). The reads before the first write
 * saw only what is committed: they are returned at once, and are no longer pending either. */
static WritesOutcome
try_writes (HbStore *self, HbJob **jobs, guint n, gboolean *pending, GError **errors,
            gboolean *begun, GError **error)
{
  gboolean writes = FALSE, wrote = FALSE;
  Returns *lead = NULL;

  /* Reads alone need no write lock. */
  for (guint i = 0; i < n; i++)
    writes |= pending[i] && !jobs[i]->write->reads_only;
  if (!*begun && !hb_db_control (self, writes ? "BEGIN IMMEDIATE" : "BEGIN", error))
    return WRITES_FAILED;
  *begun = FALSE;
  for (guint i = 0; i < n; i++)
    {
      const HbWriteJob *write = jobs[i]->write;
      gpointer data = g_task_get_task_data (jobs[i]->task);
      GError *local = NULL;

      if (!pending[i])
        continue;
      /* The reads before are returned before this write runs. */
      if (!write->reads_only)
        returns_flush (&lead);
      if (write->txn (self, data, &local))
        {
          wrote |= !write->reads_only;
          if (!wrote)
            {
              returns_add (&lead, jobs[i], NULL);
              pending[i] = FALSE;
            }
          continue;
        }
      /* Waiting for the lock is the whole transaction's business: retried as a whole. */
      if (g_error_matches (local, HB_ERROR, HB_ERROR_BUSY))
        {
          g_propagate_error (error, local);
          returns_flush (&lead);
          return WRITES_FAILED;
        }
      pending[i] = FALSE;
      errors[i] = local;
      returns_flush (&lead);
      return WRITES_AGAIN;
    }
  returns_flush (&lead);
  return hb_db_control (self, "COMMIT", error) ? WRITES_COMMITTED : WRITES_FAILED;
}

/* Put @jobs back at the head of the queue, in their order. */
static void
give_back (HbStore *self, HbJob **jobs, guint n)
{
  g_mutex_lock (&self->queue_lock);
  for (guint i = n; i-- > 0;)
    g_queue_push_head (&self->queue, jobs[i]);
  g_mutex_unlock (&self->queue_lock);
}

/* A batch that starts with reads shares the writes' transaction only if the write lock is free
 * now: the reads need none, and a read must not wait while another connection holds it (alone
 * it never does). Otherwise the reads go on alone and the writes go back to the queue, to wait
 * for the lock then. Returns how many of @jobs to run now; *@begun when the transaction is open. */
static guint
begin_batch (HbStore *self, HbJob **jobs, guint n, gboolean *begun)
{
  g_autoptr(GError) error = NULL;
  guint lead = 0;

  *begun = FALSE;
  while (lead < n && jobs[lead]->write->reads_only)
    lead++;
  if (lead == 0 || lead == n)
    return n;
  self->busy_no_wait = TRUE;
  *begun = hb_db_control (self, "BEGIN IMMEDIATE", &error);
  self->busy_no_wait = FALSE;
  /* Any other failure is the batch's own, as it would be with the reads in it. */
  if (*begun || !g_error_matches (error, HB_ERROR, HB_ERROR_BUSY))
    return n;
  g_debug ("write lock held elsewhere: %u read(s) go first, %u job(s) wait", lead, n - lead);
  give_back (self, jobs + lead, n - lead);
  return lead;
}

/* Group commit: every transaction costs a BEGIN and a COMMIT and appends each page it touched to
 * the WAL, so the write jobs queued together (the begin and finish of several runs) share one,
 * which writes a page they all touched once. One that fails takes back only its own writes and
 * reports its own error (see try_writes()). The tasks are returned only after the COMMIT, so no
 * caller hears of a write that a failed COMMIT then lost. */
guint
hb_store_run_writes (HbStore *self, HbJob **jobs, guint n)
{
  GError *errors[HB_STORE_BATCH_MAX] = { NULL };
  gboolean pending[HB_STORE_BATCH_MAX] = { FALSE };
  g_autoptr(GError) failure = NULL;
  WritesOutcome outcome = WRITES_AGAIN;
  gboolean any = FALSE, begun;
  Returns *returns = NULL;

  g_assert (n <= HB_STORE_BATCH_MAX);
  n = begin_batch (self, jobs, n, &begun);
  for (guint i = 0; i < n; i++)
    {
      /* A cancelled job is returned now: it writes nothing. */
      pending[i] = !g_task_return_error_if_cancelled (jobs[i]->task);
      any |= pending[i];
    }
  if (!any && begun)
    hb_db_roll_back (self);
  while (outcome == WRITES_AGAIN && any)
    {
      g_clear_error (&failure);
      outcome = try_writes (self, jobs, n, pending, errors, &begun, &failure);
      if (outcome != WRITES_COMMITTED)
        hb_db_roll_back (self);
      /* BUSY_SNAPSHOT and lock upgrades fail without calling the busy handler: retry it all. */
      if (outcome == WRITES_FAILED && g_error_matches (failure, HB_ERROR, HB_ERROR_BUSY) &&
          hb_db_busy_backoff (self))
        outcome = WRITES_AGAIN;
      any = FALSE;
      for (guint i = 0; i < n; i++)
        any |= pending[i];
    }

  for (guint i = 0; i < n; i++)
    {
      GTask *task = jobs[i]->task;
      gpointer data = g_task_get_task_data (task);

      if (pending[i] && outcome == WRITES_FAILED)
        {
          /* A read that shared the failed transaction saw writes that are not there: it runs
           * again on its own, as it would have after those writes failed. */
          if (n > 1 && jobs[i]->write->reads_only)
            pending[i] = hb_db_transact (self, FALSE, jobs[i]->write->txn, data, &errors[i]);
          else
            {
              pending[i] = FALSE;
              errors[i] = g_error_copy (failure);
            }
        }
      if (errors[i] != NULL || pending[i])
        returns_add (&returns, jobs[i], errors[i]);
    }
  returns_flush (&returns);
  return n;
}
