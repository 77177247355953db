/* hb-due.c: due times, backoff and the breaker */
#include "config.h"

#include "hb-due.h"
#include "hb-schedule.h"

#define MINUTE_US (60 * G_USEC_PER_SEC)

gint64
hb_due_offset (const char *thread_id, guint every_s, guint offset_max_s)
{
  guint64 span_s = MIN ((guint64) every_s / 10, (guint64) offset_max_s);
  guint32 h = 2166136261u;

  if (span_s == 0)
    return 0;
  /* FNV-1a: stable across runs and builds, unlike g_str_hash's unspecified function. */
  for (const guchar *p = (const guchar *) thread_id; *p != '\0'; p++)
    h = (h ^ *p) * 16777619u;
  /* Mix the bits: FNV's top bits, the ones that pick the offset, hardly move when ids differ
   * only in their last characters (thread-1, thread-2, ...). */
  h ^= h >> 16;
  h *= 0x85ebca6bu;
  h ^= h >> 13;
  h *= 0xc2b2ae35u;
  h ^= h >> 16;
  return (gint64) (((guint64) h * span_s * G_USEC_PER_SEC) >> 32);
}

const char *
hb_due_reason_to_string (HbDueReason reason)
{
  switch (reason)
    {
    case HB_DUE_FIRST:
      return "first-run";
    case HB_DUE_CATCH_UP:
      return "catch-up";
    case HB_DUE_BACKOFF:
      return "backoff";
    case HB_DUE_ACTIVE_HOURS:
      return "outside-active-hours";
    case HB_DUE_ON_TIME:
    default:
      return "";
    }
}

gint64
hb_due_compute (const HbDueInput *in, HbDueReason *reason)
{
  HbDueReason why = HB_DUE_ON_TIME;
  gint64 due;

  if (in->last_run > 0)
    due = in->last_run + (gint64) in->every * G_USEC_PER_SEC + in->offset;
  else if (in->persisted_due > 0)
    due = in->persisted_due;
  else
    {
      due = in->now + in->offset;
      why = HB_DUE_FIRST;
    }

  /* Further ahead than one interval: the clock was set back past the last run. Without this a
   * clock corrected backwards by a year would hold the thread for a year. */
  due = MIN (due, in->now + (gint64) in->every * G_USEC_PER_SEC + in->offset);

  if (in->retry_at > 0)
    {
      /* After a transient failure the backoff decides, sooner than a whole interval (it is
       * capped at the interval). */
      due = in->retry_at;
      why = HB_DUE_BACKOFF;
    }

  if (due < in->now)
    {
      /* Missed while down or asleep: one run, not a backlog, spread by the offset. */
      due = in->now + in->offset;
      why = HB_DUE_CATCH_UP;
    }

  if (in->active_start >= 0 && in->active_end >= 0 &&
      !hb_active_hours_contains (in->active_start, in->active_end, in->tz, due))
    {
      due = hb_active_hours_next_start (in->active_start, in->active_end, in->tz, due) + in->offset;
      /* The offset must not push the start out of a short window. */
      if (!hb_active_hours_contains (in->active_start, in->active_end, in->tz, due))
        due -= in->offset;
      why = HB_DUE_ACTIVE_HOURS;
    }

  if (reason != NULL)
    *reason = why;
  return due;
}

gint64
hb_due_backoff (guint failures, guint every_s, double jitter)
{
  gint64 cap = MAX ((gint64) every_s * G_USEC_PER_SEC, MINUTE_US);
  gint64 delay = MINUTE_US;

  for (guint i = 1; i < failures && delay < cap; i++)
    delay *= 2;
  delay = MIN (delay, cap);
  jitter = CLAMP (jitter, 0.0, 1.0);
  return (gint64) (delay * (0.8 + 0.4 * jitter));
}

gboolean
hb_breaker_record (HbBreaker *b, gboolean backend_failure)
{
  gboolean was_open = b->open;

  if (backend_failure)
    {
      b->consecutive++;
      if (b->open)
        b->probes++;
      else if (b->threshold > 0 && b->consecutive >= b->threshold)
        {
          b->open = TRUE;
          b->probes = 0;
        }
    }
  else
    {
      b->consecutive = 0;
      b->open = FALSE;
      b->probes = 0;
    }
  return was_open != b->open;
}

gint64
hb_breaker_probe_delay (const HbBreaker *b)
{
  gint64 delay = 5 * G_USEC_PER_SEC;

  for (guint i = 0; i < b->probes && delay < 5 * MINUTE_US; i++)
    delay *= 2;
  return MIN (delay, 5 * MINUTE_US);
}
