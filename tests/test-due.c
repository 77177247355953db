/* test-due.c: due times, offsets, catch-up, backoff and the breaker, with an injected clock. */
#include "config.h"

#include "hb-due.h"
#include "hb-schedule.h"

#define S ((gint64) G_USEC_PER_SEC)
#define MINUTE (60 * S)
#define HOUR (60 * MINUTE)

/* 2026-03-10 12:00:00 UTC, a Tuesday. */
#define NOON_UTC ((gint64) 1773144000 * S)

static void
test_offset (void)
{
  static const struct
  {
    const char *id;
    guint every;
    guint offset_max;
    gint64 max_us;
  } rows[] = {
    { "default", 1800, 300, 180 * S },   /* 10% of 30 min = 3 min < 5 min */
    { "default", 86400, 300, 300 * S },  /* capped at 5 min */
    { "a", 60, 300, 6 * S },
    { "b", 60, 0, 0 },                   /* disabled */
    { "c", 9, 300, 0 },                  /* 10% rounds to 0 s */
    { "thread with spaces", 3600, 100, 100 * S },
  };

  for (guint i = 0; i < G_N_ELEMENTS (rows); i++)
    {
      gint64 o = hb_due_offset (rows[i].id, rows[i].every, rows[i].offset_max);

      g_assert_cmpint (o, >=, 0);
      g_assert_cmpint (o, <=, rows[i].max_us);
      /* Stable: the same id gives the same offset. */
      g_assert_cmpint (o, ==, hb_due_offset (rows[i].id, rows[i].every, rows[i].offset_max));
    }

  /* Different ids spread out: 100 threads do not share one offset. */
  {
    g_autoptr(GHashTable) seen = g_hash_table_new (g_int64_hash, g_int64_equal);
    gint64 values[100];

    for (guint i = 0; i < 100; i++)
      {
        g_autofree char *id = g_strdup_printf ("thread-%u", i);

        values[i] = hb_due_offset (id, 3600, 300);
        g_hash_table_add (seen, &values[i]);
      }
    g_assert_cmpuint (g_hash_table_size (seen), >, 90);
  }

  /* ... and evenly: ids differing only in their last characters fill every tenth of the span. */
  {
    guint buckets[10] = { 0 };

    for (guint i = 0; i < 100; i++)
      {
        g_autofree char *id = g_strdup_printf ("thread-%u", i);

        buckets[hb_due_offset (id, 3600, 300) * 10 / (300 * S + 1)]++;
      }
    for (guint b = 0; b < 10; b++)
      g_assert_cmpuint (buckets[b], >, 0);
  }
}

typedef struct
{
  const char *name;
  gint64 now;
  gint64 last_run;
  gint64 persisted;
  guint every;
  gint64 offset;
  int start, end;
  const char *zone;
  gint64 retry_at;
  gint64 expected;
  HbDueReason reason;
} DueRow;

static void
test_compute (void)
{
  static const DueRow rows[] = {
    { "on time", NOON_UTC, NOON_UTC - 10 * MINUTE, 0, 1800, 0, -1, -1, "UTC", 0,
      NOON_UTC + 20 * MINUTE, HB_DUE_ON_TIME },
    { "on time with offset", NOON_UTC, NOON_UTC - 10 * MINUTE, 0, 1800, 42 * S, -1, -1, "UTC", 0,
      NOON_UTC + 20 * MINUTE + 42 * S, HB_DUE_ON_TIME },
    { "first run", NOON_UTC, 0, 0, 1800, 7 * S, -1, -1, "UTC", 0, NOON_UTC + 7 * S, HB_DUE_FIRST },
    { "persisted due kept", NOON_UTC, 0, NOON_UTC + 5 * MINUTE, 1800, 0, -1, -1, "UTC", 0,
      NOON_UTC + 5 * MINUTE, HB_DUE_ON_TIME },
    /* Down for 10 hours with a 30 min interval: one catch-up, now + offset, not 20 runs. */
    { "catch-up after downtime", NOON_UTC, NOON_UTC - 10 * HOUR, 0, 1800, 13 * S, -1, -1, "UTC", 0,
      NOON_UTC + 13 * S, HB_DUE_CATCH_UP },
    { "catch-up from a persisted time", NOON_UTC, 0, NOON_UTC - HOUR, 1800, 0, -1, -1, "UTC", 0,
      NOON_UTC, HB_DUE_CATCH_UP },
    { "backoff later than due", NOON_UTC, NOON_UTC - 29 * MINUTE, 0, 1800, 0, -1, -1, "UTC",
      NOON_UTC + 2 * MINUTE, NOON_UTC + 2 * MINUTE, HB_DUE_BACKOFF },
    /* The failure itself was the last run: the retry comes after the backoff, not an interval. */
    { "backoff sooner than the interval", NOON_UTC, NOON_UTC - 10 * MINUTE, 0, 1800, 0, -1, -1, "UTC",
      NOON_UTC + MINUTE, NOON_UTC + MINUTE, HB_DUE_BACKOFF },
    { "inside the window", NOON_UTC, NOON_UTC - 10 * MINUTE, 0, 1800, 0, 9 * 60, 17 * 60, "UTC", 0,
      NOON_UTC + 20 * MINUTE, HB_DUE_ON_TIME },
    /* Due at 17:20 UTC, window closes at 17:00: next window 09:00 the next day. */
    { "after the window", NOON_UTC + 5 * HOUR, NOON_UTC + 4 * HOUR + 50 * MINUTE, 0, 1800, 0, 9 * 60,
      17 * 60, "UTC", 0, NOON_UTC + 21 * HOUR, HB_DUE_ACTIVE_HOURS },
    { "window start plus offset", NOON_UTC + 5 * HOUR, NOON_UTC + 4 * HOUR + 50 * MINUTE, 0, 1800,
      30 * S, 9 * 60, 17 * 60, "UTC", 0, NOON_UTC + 21 * HOUR + 30 * S, HB_DUE_ACTIVE_HOURS },
    /* 12:00 UTC is 13:00 in Berlin (CET): a 14:00-15:00 Berlin window opens at 13:00 UTC. */
    { "window in the thread's zone", NOON_UTC, NOON_UTC - 30 * MINUTE, 0, 1800, 0, 14 * 60, 15 * 60,
      "Europe/Berlin", 0, NOON_UTC + HOUR, HB_DUE_ACTIVE_HOURS },
    /* Wrapping window 22:00-06:00 UTC, due at 12:20: next opening 22:00. */
    { "wrapping window", NOON_UTC, NOON_UTC - 10 * MINUTE, 0, 1800, 0, 22 * 60, 6 * 60, "UTC", 0,
      NOON_UTC + 10 * HOUR, HB_DUE_ACTIVE_HOURS },
    { "24:00 end", NOON_UTC, NOON_UTC - 10 * MINUTE, 0, 1800, 0, 12 * 60 + 30, 24 * 60, "UTC", 0,
      NOON_UTC + 30 * MINUTE, HB_DUE_ACTIVE_HOURS },
    /* The clock was set back two hours past the last run: one interval from now, not three. */
    { "clock set back", NOON_UTC, NOON_UTC + 2 * HOUR, 0, 3600, 0, -1, -1, "UTC", 0,
      NOON_UTC + HOUR, HB_DUE_ON_TIME },
    /* Catch-up outside the window waits for the window, not a burst at the window's start. */
    { "catch-up deferred to the window", NOON_UTC, NOON_UTC - 10 * HOUR, 0, 1800, 0, 20 * 60,
      21 * 60, "UTC", 0, NOON_UTC + 8 * HOUR, HB_DUE_ACTIVE_HOURS },
  };

  for (guint i = 0; i < G_N_ELEMENTS (rows); i++)
    {
      const DueRow *r = &rows[i];
      g_autoptr(GTimeZone) tz = hb_timezone_lookup (r->zone, NULL);
      HbDueInput in = { r->now, r->last_run, r->persisted, r->every, r->offset, r->start, r->end,
                        tz, r->retry_at };
      HbDueReason why = 99;
      gint64 due = hb_due_compute (&in, &why);

      g_test_message ("%s", r->name);
      g_assert_nonnull (tz);
      g_assert_cmpint (due, ==, r->expected);
      g_assert_cmpint (why, ==, r->reason);
      g_assert_cmpint (due, >=, r->now);
    }
}

/* The spring-forward day in Berlin: 2026-03-29, 02:00 CET -> 03:00 CEST. A window starting at 02:30
 * local opens at the first existing minute after the gap. */
static void
test_compute_dst (void)
{
  g_autoptr(GTimeZone) tz = hb_timezone_lookup ("Europe/Berlin", NULL);
  g_autoptr(GDateTime) before = g_date_time_new (tz, 2026, 3, 29, 1, 0, 0);
  gint64 now = g_date_time_to_unix (before) * S;
  HbDueInput in = { now, now - 30 * MINUTE, 0, 1800, 0, 2 * 60 + 30, 5 * 60, tz, 0 };
  gint64 due = hb_due_compute (&in, NULL);
  g_autoptr(GDateTime) utc = g_date_time_new_from_unix_utc (due / S);
  g_autoptr(GDateTime) local = g_date_time_to_timezone (utc, tz);

  /* 01:30 local is outside 02:30-05:00; the window opens when the clock reads 03:00 CEST. */
  g_assert_cmpint (due, >, now);
  g_assert_cmpint (g_date_time_get_hour (local), ==, 3);
  g_assert_cmpint (g_date_time_get_minute (local), ==, 0);
  g_assert_true (hb_active_hours_contains (2 * 60 + 30, 5 * 60, tz, due));
}

static void
test_backoff (void)
{
  static const struct
  {
    guint failures;
    guint every;
    gint64 base;
  } rows[] = {
    { 1, 1800, 60 * S },
    { 2, 1800, 120 * S },
    { 3, 1800, 240 * S },
    { 4, 1800, 480 * S },
    { 5, 1800, 960 * S },
    { 6, 1800, 1800 * S },  /* capped at the interval */
    { 20, 1800, 1800 * S },
    { 1, 60, 60 * S },
    { 3, 60, 60 * S },      /* an interval of a minute caps at a minute */
    { 200, 86400, 86400 * S },
  };

  for (guint i = 0; i < G_N_ELEMENTS (rows); i++)
    {
      gint64 lo = hb_due_backoff (rows[i].failures, rows[i].every, 0.0);
      gint64 mid = hb_due_backoff (rows[i].failures, rows[i].every, 0.5);
      gint64 hi = hb_due_backoff (rows[i].failures, rows[i].every, 0.999999);

      g_assert_cmpint (mid, ==, rows[i].base);
      g_assert_cmpint (lo, ==, rows[i].base * 8 / 10);
      g_assert_cmpint (hi, <=, rows[i].base * 12 / 10);
      g_assert_cmpint (hi, >, mid);
    }
  /* Never a hot loop: the shortest wait is 48 s. */
  g_assert_cmpint (hb_due_backoff (1, 60, 0.0), >=, 48 * S);
}

static void
test_breaker (void)
{
  HbBreaker b = { .threshold = 3 };

  g_assert_false (hb_breaker_record (&b, TRUE));
  g_assert_false (hb_breaker_record (&b, TRUE));
  g_assert_false (b.open);
  g_assert_true (hb_breaker_record (&b, TRUE));  /* the third failure opens it */
  g_assert_true (b.open);
  g_assert_cmpint (hb_breaker_probe_delay (&b), ==, 5 * S);

  /* Failed probes back off: 5, 10, 20, ... up to 5 min. */
  g_assert_false (hb_breaker_record (&b, TRUE));
  g_assert_cmpint (hb_breaker_probe_delay (&b), ==, 10 * S);
  g_assert_false (hb_breaker_record (&b, TRUE));
  g_assert_cmpint (hb_breaker_probe_delay (&b), ==, 20 * S);
  for (guint i = 0; i < 20; i++)
    hb_breaker_record (&b, TRUE);
  g_assert_cmpint (hb_breaker_probe_delay (&b), ==, 5 * MINUTE);

  g_assert_true (hb_breaker_record (&b, FALSE));  /* an answer closes it */
  g_assert_false (b.open);
  g_assert_cmpuint (b.consecutive, ==, 0);

  /* A success in between resets the count. */
  hb_breaker_record (&b, TRUE);
  hb_breaker_record (&b, TRUE);
  hb_breaker_record (&b, FALSE);
  hb_breaker_record (&b, TRUE);
  g_assert_false (b.open);

  /* Threshold 0 disables it. */
  {
    HbBreaker off = { .threshold = 0 };

    for (guint i = 0; i < 10; i++)
      g_assert_false (hb_breaker_record (&off, TRUE));
    g_assert_false (off.open);
  }
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);
  g_test_add_func ("/due/offset", test_offset);
  g_test_add_func ("/due/compute", test_compute);
  g_test_add_func ("/due/compute-dst", test_compute_dst);
  g_test_add_func ("/due/backoff", test_backoff);
  g_test_add_func ("/due/breaker", test_breaker);
  return g_test_run ();
}
