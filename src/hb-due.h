/* hb-due.h: when a thread is due, and how long to back off. Pure: the clock is an argument. */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

/* A stable per-thread offset in microseconds, from a hash of the thread id: in
 * [0, min(every / 10, offset_max)] seconds, so threads do not fire together. offset_max 0 = none. */
gint64 hb_due_offset (const char *thread_id, guint every_s, guint offset_max_s);

typedef struct {
  gint64 now;            /* microseconds since the epoch */
  gint64 last_run;       /* microseconds; 0 = never */
  gint64 persisted_due;  /* the due time stored before a restart, 0 none */
  guint every;           /* seconds */
  gint64 offset;         /* from hb_due_offset() */
  int active_start;      /* minutes, -1 = no active hours */
  int active_end;
  GTimeZone *tz;         /* the thread's zone (for active hours) */
  gint64 retry_at;       /* backoff after a transient failure: the next try; 0 none */
} HbDueInput;

typedef enum {
  HB_DUE_ON_TIME,        /* last run + every + offset */
  HB_DUE_FIRST,          /* never ran: now + offset */
  HB_DUE_CATCH_UP,       /* the due time passed while nobody ran it: one run, spread by the offset */
  HB_DUE_BACKOFF,        /* held back by a transient failure */
  HB_DUE_ACTIVE_HOURS,   /* moved to the start of the next active window */
} HbDueReason;

/* "", "first-run", "catch-up", "backoff", "outside-active-hours" */
const char *hb_due_reason_to_string (HbDueReason reason);

/* The next due time (microseconds). Missed runs give at most one catch-up run, never a backlog; a
 * time outside the active hours moves to the next window start (plus the offset, so threads with
 * the same window are spread too), in the thread's zone, across DST changes. */
gint64 hb_due_compute (const HbDueInput *in, HbDueReason *reason);

/* Backoff after @failures (>= 1) consecutive transient failures: 60 s doubling, capped at
 * @every_s (and at least 60 s), with +-20 % jitter from @jitter in [0, 1). Microseconds. */
gint64 hb_due_backoff (guint failures, guint every_s, double jitter);

/* The circuit breaker: after @threshold consecutive backend failures over all threads it opens;
 * while open, health probes run with backoff (5 s doubling to 5 min); a good probe or a successful
 * run closes it. */
typedef struct {
  guint threshold;
  guint consecutive;
  gboolean open;
  guint probes;          /* probes since it opened */
} HbBreaker;

/* Return TRUE when the call changed `open`. */
gboolean hb_breaker_record (HbBreaker *b, gboolean backend_failure);
gint64 hb_breaker_probe_delay (const HbBreaker *b);

G_END_DECLS
