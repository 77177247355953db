/* test-schedule.c: time zone lookup and active hours with a fixed "now", in real zones and across
 * both DST transition days of 2026. Expected instants are written in UTC, worked out by hand from
 * the zone rules: Europe/Berlin changes at 01:00 UTC on 29 March and 25 October 2026,
 * America/New_York at 07:00 UTC on 8 March and 06:00 UTC on 1 November 2026. */
#include "config.h"

#include <glib.h>
#include <string.h>

#include "hb-error.h"
#include "hb-schedule.h"

#define HM(h, m) ((h) * 60 + (m))

static gint64
utc_us (const char *iso)
{
  g_autoptr(GDateTime) dt = g_date_time_new_from_iso8601 (iso, NULL);

  if (dt == NULL)
    g_error ("bad timestamp in the table: %s", iso);
  return g_date_time_to_unix (dt) * G_USEC_PER_SEC + g_date_time_get_microsecond (dt);
}

static char *
format_us (gint64 us)
{
  g_autoptr(GDateTime) dt = g_date_time_new_from_unix_utc (us / G_USEC_PER_SEC);

  return g_date_time_format_iso8601 (dt);
}

static const struct {
  const char *name;
  gboolean ok;
} tz_rows[] = {
  { "", TRUE },
  { "local", TRUE },
  { "UTC", TRUE },
  { "Europe/Berlin", TRUE },
  { "America/New_York", TRUE },
  { "America/Argentina/Buenos_Aires", TRUE },
  { "America/Port-au-Prince", TRUE },
  { "Etc/GMT+5", TRUE },
  { "EST5EDT", TRUE },
  { "Mars/Olympus", FALSE },
  { "Europe/Atlantis", FALSE },
  { "utc", FALSE },
  { "Foo3", FALSE },                     /* GLib would read this as a POSIX TZ rule */
  { "ABC3DEF,M3.2.0,M11.1.0", FALSE },
  { "+05:00", FALSE },
  { "../../../etc/passwd", FALSE },
  { "Europe/../UTC", FALSE },
  { "/usr/share/zoneinfo/UTC", FALSE },
  { "/etc/localtime", FALSE },
  { "Europe//Berlin", FALSE },
  { "Europe/", FALSE },
  { "Europe", FALSE },                   /* a directory, not a zone */
  { "zone.tab", FALSE },                 /* a file in the database that is not a zone */
  { "tzdata.zi", FALSE },
  { "Europe/Berlin\n", FALSE },
  { "Europe/Berlin ", FALSE },
  { "Europe/Ber lin", FALSE },
};

static void
test_timezone_lookup (void)
{
  g_autofree char *huge = g_strnfill (300, 'A');

  for (gsize i = 0; i < G_N_ELEMENTS (tz_rows); i++)
    {
      g_autoptr(GError) error = NULL;
      g_autoptr(GTimeZone) tz = hb_timezone_lookup (tz_rows[i].name, &error);

      g_test_message ("zone \"%s\"", tz_rows[i].name);
      if (tz_rows[i].ok)
        {
          g_assert_no_error (error);
          g_assert_nonnull (tz);
        }
      else
        {
          g_assert_null (tz);
          g_assert_error (error, HB_ERROR, HB_ERROR_INVALID_CONFIG);
        }
    }

  {
    g_autoptr(GError) error = NULL;
    g_autoptr(GTimeZone) tz = hb_timezone_lookup (huge, &error);

    g_assert_null (tz);
    g_assert_error (error, HB_ERROR, HB_ERROR_INVALID_CONFIG);
    g_assert_cmpuint (strlen (error->message), <, 200);
  }
  {
    g_autoptr(GError) error = NULL;
    g_autoptr(GTimeZone) tz = hb_timezone_lookup ("Mars/Olympus", &error);

    g_assert_cmpstr (error->message, ==, "unknown time zone \"Mars/Olympus\"");
  }
  {
    g_autoptr(GTimeZone) berlin = hb_timezone_lookup ("Europe/Berlin", NULL);
    g_autoptr(GTimeZone) utc = hb_timezone_lookup ("UTC", NULL);

    /* Really the named zone, not a fallback to UTC. */
    g_assert_cmpint (g_time_zone_get_offset (berlin, g_time_zone_find_interval (berlin, G_TIME_TYPE_UNIVERSAL, 1782864000)), ==, 7200);
    g_assert_cmpint (g_time_zone_get_offset (utc, 0), ==, 0);
  }
}

typedef struct {
  const char *zone;
  int start, end;
  const char *now;      /* UTC */
  gboolean inside;
  const char *next;     /* UTC; NULL: same as now (inside) */
} WindowRow;

static const WindowRow window_rows[] = {
  /* UTC: plain window, edges inclusive/exclusive, sub-second */
  { "UTC", HM (9, 0), HM (17, 0), "2026-06-01T08:59:59Z", FALSE, "2026-06-01T09:00:00Z" },
  { "UTC", HM (9, 0), HM (17, 0), "2026-06-01T08:59:59.500Z", FALSE, "2026-06-01T09:00:00Z" },
  { "UTC", HM (9, 0), HM (17, 0), "2026-06-01T09:00:00Z", TRUE, NULL },
  { "UTC", HM (9, 0), HM (17, 0), "2026-06-01T12:34:56.789Z", TRUE, NULL },
  { "UTC", HM (9, 0), HM (17, 0), "2026-06-01T16:59:59Z", TRUE, NULL },
  { "UTC", HM (9, 0), HM (17, 0), "2026-06-01T17:00:00Z", FALSE, "2026-06-02T09:00:00Z" },
  { "UTC", HM (9, 0), HM (17, 0), "2026-06-01T23:59:59Z", FALSE, "2026-06-02T09:00:00Z" },
  { "UTC", HM (9, 0), HM (17, 0), "2026-06-01T00:00:00Z", FALSE, "2026-06-01T09:00:00Z" },
  { "UTC", HM (9, 0), HM (17, 0), "2026-12-31T18:00:00Z", FALSE, "2027-01-01T09:00:00Z" },
  /* UTC: wrapping past midnight */
  { "UTC", HM (22, 0), HM (6, 0), "2026-06-01T21:59:59Z", FALSE, "2026-06-01T22:00:00Z" },
  { "UTC", HM (22, 0), HM (6, 0), "2026-06-01T22:00:00Z", TRUE, NULL },
  { "UTC", HM (22, 0), HM (6, 0), "2026-06-01T23:59:59Z", TRUE, NULL },
  { "UTC", HM (22, 0), HM (6, 0), "2026-06-02T00:00:00Z", TRUE, NULL },
  { "UTC", HM (22, 0), HM (6, 0), "2026-06-02T05:59:59Z", TRUE, NULL },
  { "UTC", HM (22, 0), HM (6, 0), "2026-06-02T06:00:00Z", FALSE, "2026-06-02T22:00:00Z" },
  { "UTC", HM (22, 0), HM (6, 0), "2026-06-02T12:00:00Z", FALSE, "2026-06-02T22:00:00Z" },
  /* UTC: 24:00 end, whole day, tiny windows */
  { "UTC", HM (18, 0), 1440, "2026-06-01T23:59:59Z", TRUE, NULL },
  { "UTC", HM (18, 0), 1440, "2026-06-02T00:00:00Z", FALSE, "2026-06-02T18:00:00Z" },
  { "UTC", HM (18, 0), 1440, "2026-06-01T17:59:00Z", FALSE, "2026-06-01T18:00:00Z" },
  { "UTC", HM (0, 0), 1440, "2026-06-01T00:00:00Z", TRUE, NULL },
  { "UTC", HM (0, 0), 1440, "2026-06-01T23:59:59Z", TRUE, NULL },
  { "UTC", HM (23, 59), 1440, "2026-06-01T23:59:30Z", TRUE, NULL },
  { "UTC", HM (23, 59), 1440, "2026-06-01T23:58:59Z", FALSE, "2026-06-01T23:59:00Z" },
  { "UTC", HM (0, 0), HM (0, 1), "2026-06-01T00:00:30Z", TRUE, NULL },
  { "UTC", HM (0, 0), HM (0, 1), "2026-06-01T00:01:00Z", FALSE, "2026-06-02T00:00:00Z" },
  { "UTC", HM (23, 0), HM (0, 0), "2026-06-01T23:30:00Z", TRUE, NULL },
  { "UTC", HM (23, 0), HM (0, 0), "2026-06-02T00:00:00Z", FALSE, "2026-06-02T23:00:00Z" },
  /* no active hours, and windows the validator refuses: no restriction */
  { "UTC", -1, -1, "2026-06-01T03:00:00Z", TRUE, NULL },
  { "UTC", HM (9, 0), HM (9, 0), "2026-06-01T03:00:00Z", TRUE, NULL },
  { "UTC", HM (9, 0), -1, "2026-06-01T03:00:00Z", TRUE, NULL },
  { "UTC", 1440, HM (9, 0), "2026-06-01T03:00:00Z", TRUE, NULL },
  { "UTC", HM (9, 0), 1441, "2026-06-01T03:00:00Z", TRUE, NULL },
  /* Berlin in summer and winter: the zone is honoured, not the host's */
  { "Europe/Berlin", HM (9, 0), HM (17, 0), "2026-07-01T06:59:59Z", FALSE, "2026-07-01T07:00:00Z" },
  { "Europe/Berlin", HM (9, 0), HM (17, 0), "2026-07-01T07:00:00Z", TRUE, NULL },
  { "Europe/Berlin", HM (9, 0), HM (17, 0), "2026-07-01T15:00:00Z", FALSE, "2026-07-02T07:00:00Z" },
  { "Europe/Berlin", HM (9, 0), HM (17, 0), "2026-01-15T08:00:00Z", TRUE, NULL },
  { "Europe/Berlin", HM (9, 0), HM (17, 0), "2026-01-15T16:00:00Z", FALSE, "2026-01-16T08:00:00Z" },
  /* Berlin, spring forward 2026-03-29: 02:00 CET -> 03:00 CEST (01:00 UTC), a 23-hour day */
  { "Europe/Berlin", HM (2, 30), HM (5, 0), "2026-03-28T23:00:00Z", FALSE, "2026-03-29T01:00:00Z" },
  { "Europe/Berlin", HM (2, 30), HM (5, 0), "2026-03-29T00:59:59Z", FALSE, "2026-03-29T01:00:00Z" },
  { "Europe/Berlin", HM (2, 30), HM (5, 0), "2026-03-29T01:00:00Z", TRUE, NULL },
  { "Europe/Berlin", HM (2, 30), HM (5, 0), "2026-03-29T02:59:59Z", TRUE, NULL },
  { "Europe/Berlin", HM (2, 30), HM (5, 0), "2026-03-29T03:00:00Z", FALSE, "2026-03-30T00:30:00Z" },
  { "Europe/Berlin", HM (2, 0), HM (2, 30), "2026-03-28T23:00:00Z", FALSE, "2026-03-30T00:00:00Z" },
  { "Europe/Berlin", HM (2, 0), HM (2, 30), "2026-03-29T01:00:00Z", FALSE, "2026-03-30T00:00:00Z" },
  { "Europe/Berlin", HM (1, 0), HM (3, 0), "2026-03-29T00:59:59Z", TRUE, NULL },
  { "Europe/Berlin", HM (1, 0), HM (3, 0), "2026-03-29T01:00:00Z", FALSE, "2026-03-29T23:00:00Z" },
  { "Europe/Berlin", HM (1, 30), HM (2, 30), "2026-03-29T00:45:00Z", TRUE, NULL },
  { "Europe/Berlin", HM (1, 30), HM (2, 30), "2026-03-29T01:00:00Z", FALSE, "2026-03-29T23:30:00Z" },
  { "Europe/Berlin", HM (9, 0), HM (17, 0), "2026-03-29T06:59:00Z", FALSE, "2026-03-29T07:00:00Z" },
  { "Europe/Berlin", HM (9, 0), HM (17, 0), "2026-03-29T14:59:59Z", TRUE, NULL },
  { "Europe/Berlin", HM (0, 0), 1440, "2026-03-29T12:00:00Z", TRUE, NULL },
  { "Europe/Berlin", HM (0, 0), 1440, "2026-03-29T21:59:59Z", TRUE, NULL },
  { "Europe/Berlin", HM (22, 0), HM (6, 0), "2026-03-28T21:00:00Z", TRUE, NULL },
  { "Europe/Berlin", HM (22, 0), HM (6, 0), "2026-03-29T03:59:59Z", TRUE, NULL },
  { "Europe/Berlin", HM (22, 0), HM (6, 0), "2026-03-29T04:00:00Z", FALSE, "2026-03-29T20:00:00Z" },
  { "Europe/Berlin", HM (22, 0), HM (6, 0), "2026-03-28T20:59:59Z", FALSE, "2026-03-28T21:00:00Z" },
  /* Berlin, fall back 2026-10-25: 03:00 CEST -> 02:00 CET (01:00 UTC), 02:xx happens twice */
  { "Europe/Berlin", HM (2, 30), HM (4, 0), "2026-10-24T23:00:00Z", FALSE, "2026-10-25T00:30:00Z" },
  { "Europe/Berlin", HM (2, 30), HM (4, 0), "2026-10-25T00:30:00Z", TRUE, NULL },
  { "Europe/Berlin", HM (2, 30), HM (4, 0), "2026-10-25T01:15:00Z", TRUE, NULL },   /* 2nd 02:15 */
  { "Europe/Berlin", HM (2, 30), HM (4, 0), "2026-10-25T02:59:59Z", TRUE, NULL },
  { "Europe/Berlin", HM (2, 30), HM (4, 0), "2026-10-25T03:00:00Z", FALSE, "2026-10-26T01:30:00Z" },
  { "Europe/Berlin", HM (1, 0), HM (2, 30), "2026-10-25T00:29:59Z", TRUE, NULL },
  { "Europe/Berlin", HM (1, 0), HM (2, 30), "2026-10-25T00:30:00Z", FALSE, "2026-10-26T00:00:00Z" },
  { "Europe/Berlin", HM (1, 0), HM (2, 30), "2026-10-25T01:15:00Z", FALSE, "2026-10-26T00:00:00Z" },
  { "Europe/Berlin", HM (2, 0), HM (2, 30), "2026-10-24T23:30:00Z", FALSE, "2026-10-25T00:00:00Z" },
  { "Europe/Berlin", HM (2, 0), HM (2, 30), "2026-10-25T01:10:00Z", FALSE, "2026-10-26T01:00:00Z" },
  { "Europe/Berlin", HM (9, 0), HM (17, 0), "2026-10-25T07:59:00Z", FALSE, "2026-10-25T08:00:00Z" },
  { "Europe/Berlin", HM (0, 0), 1440, "2026-10-25T22:59:59Z", TRUE, NULL },
  { "Europe/Berlin", HM (0, 0), 1440, "2026-10-24T22:00:00Z", TRUE, NULL },
  { "Europe/Berlin", HM (22, 0), HM (6, 0), "2026-10-24T20:00:00Z", TRUE, NULL },
  { "Europe/Berlin", HM (22, 0), HM (6, 0), "2026-10-25T04:59:59Z", TRUE, NULL },
  { "Europe/Berlin", HM (22, 0), HM (6, 0), "2026-10-25T05:00:00Z", FALSE, "2026-10-25T21:00:00Z" },
  /* New York, spring forward 2026-03-08: 02:00 EST -> 03:00 EDT (07:00 UTC) */
  { "America/New_York", HM (2, 30), HM (4, 0), "2026-03-08T05:00:00Z", FALSE, "2026-03-08T07:00:00Z" },
  { "America/New_York", HM (2, 30), HM (4, 0), "2026-03-08T07:00:00Z", TRUE, NULL },
  { "America/New_York", HM (2, 30), HM (4, 0), "2026-03-08T07:59:59Z", TRUE, NULL },
  { "America/New_York", HM (2, 30), HM (4, 0), "2026-03-08T08:00:00Z", FALSE, "2026-03-09T06:30:00Z" },
  { "America/New_York", HM (9, 0), HM (17, 0), "2026-03-08T12:59:59Z", FALSE, "2026-03-08T13:00:00Z" },
  { "America/New_York", HM (9, 0), HM (17, 0), "2026-03-07T14:00:00Z", TRUE, NULL },
  { "America/New_York", HM (22, 0), HM (6, 0), "2026-03-08T03:00:00Z", TRUE, NULL },
  { "America/New_York", HM (22, 0), HM (6, 0), "2026-03-08T09:59:59Z", TRUE, NULL },
  { "America/New_York", HM (22, 0), HM (6, 0), "2026-03-08T10:00:00Z", FALSE, "2026-03-09T02:00:00Z" },
  { "America/New_York", HM (18, 0), 1440, "2026-03-09T03:59:59Z", TRUE, NULL },
  { "America/New_York", HM (18, 0), 1440, "2026-03-09T04:00:00Z", FALSE, "2026-03-09T22:00:00Z" },
  /* New York, fall back 2026-11-01: 02:00 EDT -> 01:00 EST (06:00 UTC), 01:xx twice */
  { "America/New_York", HM (1, 30), HM (3, 0), "2026-11-01T04:00:00Z", FALSE, "2026-11-01T05:30:00Z" },
  { "America/New_York", HM (1, 30), HM (3, 0), "2026-11-01T06:15:00Z", TRUE, NULL },   /* 2nd 01:15 */
  { "America/New_York", HM (1, 30), HM (3, 0), "2026-11-01T07:59:59Z", TRUE, NULL },
  { "America/New_York", HM (1, 30), HM (3, 0), "2026-11-01T08:00:00Z", FALSE, "2026-11-02T06:30:00Z" },
  { "America/New_York", HM (1, 0), HM (1, 30), "2026-11-01T05:10:00Z", TRUE, NULL },
  { "America/New_York", HM (1, 0), HM (1, 30), "2026-11-01T06:10:00Z", FALSE, "2026-11-02T06:00:00Z" },
  { "America/New_York", HM (9, 0), HM (17, 0), "2026-11-01T13:59:59Z", FALSE, "2026-11-01T14:00:00Z" },
  { "America/New_York", HM (0, 0), 1440, "2026-11-02T04:59:59Z", TRUE, NULL },
  { "America/New_York", HM (22, 0), HM (6, 0), "2026-11-01T10:59:59Z", TRUE, NULL },
  { "America/New_York", HM (22, 0), HM (6, 0), "2026-11-01T11:00:00Z", FALSE, "2026-11-02T03:00:00Z" },
};

static void
test_active_hours_table (void)
{
  for (gsize i = 0; i < G_N_ELEMENTS (window_rows); i++)
    {
      const WindowRow *row = &window_rows[i];
      g_autoptr(GTimeZone) tz = hb_timezone_lookup (row->zone, NULL);
      gint64 now = utc_us (row->now);
      gint64 expected = row->next != NULL ? utc_us (row->next) : now;
      gint64 next;

      g_assert_nonnull (tz);
      next = hb_active_hours_next_start (row->start, row->end, tz, now);
      if (hb_active_hours_contains (row->start, row->end, tz, now) != row->inside || next != expected)
        {
          g_autofree char *got = format_us (next);

          g_error ("row %" G_GSIZE_FORMAT " (%s %d-%d at %s): inside=%d next=%s, expected inside=%d next=%s",
                   i, row->zone, row->start, row->end, row->now,
                   hb_active_hours_contains (row->start, row->end, tz, now), got, row->inside,
                   row->next != NULL ? row->next : row->now);
        }
    }
}

/* Property check over the DST days: next_start(now) is inside the window, and nothing between
 * now and it is (sampled every 4 minutes: window edges are whole minutes, the table checks them). */
static void
test_active_hours_consistent (void)
{
  static const struct { const char *zone; const char *from; } days[] = {
    { "Europe/Berlin", "2026-03-28T12:00:00Z" },
    { "Europe/Berlin", "2026-10-24T12:00:00Z" },
    { "America/New_York", "2026-03-07T12:00:00Z" },
    { "America/New_York", "2026-10-31T12:00:00Z" },
  };
  static const int windows[][2] = {
    { HM (2, 30), HM (5, 0) }, { HM (2, 0), HM (2, 30) }, { HM (22, 0), HM (6, 0) },
    { HM (1, 30), HM (3, 0) }, { HM (18, 0), 1440 }, { HM (2, 15), HM (1, 45) },
  };

  for (gsize d = 0; d < G_N_ELEMENTS (days); d++)
    for (gsize w = 0; w < G_N_ELEMENTS (windows); w++)
      {
        g_autoptr(GTimeZone) tz = hb_timezone_lookup (days[d].zone, NULL);
        gint64 from = utc_us (days[d].from);

        for (gint64 now = from; now < from + 36 * G_TIME_SPAN_HOUR; now += 29 * G_TIME_SPAN_MINUTE)
          {
            gint64 next = hb_active_hours_next_start (windows[w][0], windows[w][1], tz, now);

            g_assert_cmpint (next, >=, now);
            g_assert_cmpint (next - now, <, 2 * G_TIME_SPAN_DAY);
            g_assert_true (hb_active_hours_contains (windows[w][0], windows[w][1], tz, next));
            for (gint64 t = now; t < next; t += 4 * G_TIME_SPAN_MINUTE)
              g_assert_false (hb_active_hours_contains (windows[w][0], windows[w][1], tz, t));
          }
      }
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);

  g_test_add_func ("/schedule/timezone-lookup", test_timezone_lookup);
  g_test_add_func ("/schedule/active-hours", test_active_hours_table);
  g_test_add_func ("/schedule/active-hours-consistent", test_active_hours_consistent);

  return g_test_run ();
}
