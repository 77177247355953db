/* hb-schedule.c: active hours in a thread's time zone.
 *
 * A window start..end is turned, for each local calendar day D, into one real-time interval
 * [T(D, start), T(D', end)) where D' is D, or the next day when the window wraps past midnight,
 * and T(day, minute) is the first instant whose local wall-clock time is at or after that day and
 * minute. That one rule gives the DST behaviour we want: a start that falls into a spring-forward
 * gap moves to the first minute after the gap, a time that occurs twice on a fall-back day counts
 * at its first occurrence, and a window never splits into two pieces because the clock went back.
 * Everything here is integer arithmetic on the zone's offsets: no clock, no allocation.
 */
#include "config.h"

#include <stdio.h>
#include <string.h>

#include "hb-duration.h"
#include "hb-error.h"
#include "hb-schedule.h"

#define HB_DAY 86400
#define HB_TZ_NAME_MAX 255

static gboolean
hb_timezone_name_valid (const char *name)
{
  gsize len = strlen (name);
  gboolean component_start = TRUE;

  /* Shape of an IANA name: components separated by '/', each starting with a letter; only
   * letters, digits, '_', '-' and '+'. That excludes "..", absolute paths and the files
   * in the zoneinfo directory that are not zones (zone.tab, tzdata.zi). */
  if (len == 0 || len > HB_TZ_NAME_MAX)
    return FALSE;
  for (const char *p = name; *p != '\0'; p++)
    {
      if (component_start)
        {
          if (!g_ascii_isalpha (*p))
            return FALSE;
          component_start = FALSE;
        }
      else if (*p == '/')
        component_start = TRUE;
      else if (!g_ascii_isalnum (*p) && *p != '_' && *p != '-' && *p != '+')
        return FALSE;
    }
  return !component_start;
}

/* GLib 2.74 falls back to reading an unknown identifier as a POSIX TZ rule ("Foo3" becomes a
 * zone three hours west of UTC) and g_criticals on a file that is not TZif, so we insist on a
 * real compiled zone file first. */
static gboolean
hb_timezone_file_exists (const char *name)
{
  const char *dir = g_getenv ("TZDIR");
  g_autofree char *path = NULL;
  char magic[4];
  gboolean ok;
  FILE *f;

  if (dir == NULL || *dir == '\0')
    dir = "/usr/share/zoneinfo";
  path = g_build_filename (dir, name, NULL);
  f = fopen (path, "rbe");
  if (f == NULL)
    return FALSE;
  ok = fread (magic, 1, sizeof magic, f) == sizeof magic && memcmp (magic, "TZif", 4) == 0;
  fclose (f);
  return ok;
}

GTimeZone *
hb_timezone_lookup (const char *name, GError **error)
{
  GTimeZone *tz;
  g_autofree char *echo = NULL;

  if (name == NULL || *name == '\0' || strcmp (name, "local") == 0)
    return g_time_zone_new_local ();
  if (strcmp (name, "UTC") == 0)
    return g_time_zone_new_utc ();

  echo = hb_echo_value (name);
  if (!hb_timezone_name_valid (name))
    {
      g_set_error (error, HB_ERROR, HB_ERROR_INVALID_CONFIG,
                   "\"%s\" is not a time zone name (expected an IANA name like Europe/Berlin)", echo);
      return NULL;
    }
  tz = hb_timezone_file_exists (name) ? g_time_zone_new_identifier (name) : NULL;
  if (tz == NULL)
    g_set_error (error, HB_ERROR, HB_ERROR_INVALID_CONFIG, "unknown time zone \"%s\"", echo);
  return tz;
}

static gint64
hb_floor_div (gint64 a, gint64 b)
{
  gint64 q = a / b;

  return (a % b != 0 && (a < 0) != (b < 0)) ? q - 1 : q;
}

/* UTC offset in seconds at instant @utc (seconds since the epoch). */
static gint64
hb_offset_at (GTimeZone *tz, gint64 utc)
{
  int interval = g_time_zone_find_interval (tz, G_TIME_TYPE_UNIVERSAL, utc);

  return interval < 0 ? 0 : g_time_zone_get_offset (tz, interval);
}

/* Local wall-clock time at @utc, as seconds since a local "epoch" (1970-01-01 00:00 local). */
static gint64
hb_wall_at (GTimeZone *tz, gint64 utc)
{
  return utc + hb_offset_at (tz, utc);
}

/* T(): the first instant whose wall-clock time is >= @wall. */
static gint64
hb_first_instant_at (GTimeZone *tz, gint64 wall)
{
  /* The offsets a day either side are the ones in force before and after any transition near
   * @wall (real zones change their offset at most once in two days). */
  gint64 o1 = hb_offset_at (tz, wall - HB_DAY);
  gint64 o2 = hb_offset_at (tz, wall + HB_DAY);
  gint64 u1 = wall - o1, u2 = wall - o2;
  gboolean v1 = hb_offset_at (tz, u1) == o1;
  gboolean v2 = hb_offset_at (tz, u2) == o2;
  gint64 lo, hi;

  if (v1 && v2)
    return MIN (u1, u2);    /* ambiguous (fall back): the first occurrence */
  if (v1)
    return u1;
  if (v2)
    return u2;

  /* @wall is in a gap: the answer is the transition itself, somewhere in (u2, u1]. */
  lo = MIN (u1, u2);
  hi = MAX (u1, u2);
  while (hi - lo > 1)
    {
      gint64 mid = lo + (hi - lo) / 2;

      if (hb_wall_at (tz, mid) >= wall)
        hi = mid;
      else
        lo = mid;
    }
  return hi;
}

static gboolean
hb_window_valid (int start, int end)
{
  return start >= 0 && start < 1440 && end >= 0 && end <= 1440 && start != end;
}

/* The window that starts on local day @day (days since the local epoch), in UTC seconds. */
static void
hb_window_for_day (int start, int end, GTimeZone *tz, gint64 day, gint64 *from, gint64 *to)
{
  gint64 end_day = end > start ? day : day + 1;

  *from = hb_first_instant_at (tz, day * HB_DAY + (gint64) start * 60);
  *to = hb_first_instant_at (tz, end_day * HB_DAY + (gint64) end * 60);
}

gboolean
hb_active_hours_contains (int start, int end, GTimeZone *tz, gint64 now_us)
{
  gint64 now = hb_floor_div (now_us, G_USEC_PER_SEC);
  gint64 today;

  g_return_val_if_fail (tz != NULL, TRUE);

  /* No window, or one the validator would have refused: no restriction. */
  if (!hb_window_valid (start, end))
    return TRUE;

  today = hb_floor_div (hb_wall_at (tz, now), HB_DAY);
  /* Yesterday's window may wrap into today; the extra days cover zones that move their
   * clocks across midnight. */
  for (gint64 day = today - 2; day <= today + 1; day++)
    {
      gint64 from, to;

      hb_window_for_day (start, end, tz, day, &from, &to);
      if (from <= now && now < to)
        return TRUE;
    }
  return FALSE;
}

gint64
hb_active_hours_next_start (int start, int end, GTimeZone *tz, gint64 now_us)
{
  gint64 now = hb_floor_div (now_us, G_USEC_PER_SEC);
  gint64 today;

  g_return_val_if_fail (tz != NULL, now_us);

  if (hb_active_hours_contains (start, end, tz, now_us))
    return now_us;

  today = hb_floor_div (hb_wall_at (tz, now), HB_DAY);
  /* A window can be empty on one day (wholly inside a DST gap), never on several in a row. */
  for (gint64 day = today - 2; day <= today + 7; day++)
    {
      gint64 from, to;

      hb_window_for_day (start, end, tz, day, &from, &to);
      if (from < to && to > now)
        {
          if (from > G_MAXINT64 / G_USEC_PER_SEC)
            break;
          return MAX (from * G_USEC_PER_SEC, now_us);
        }
    }
  return now_us;
}
