/* hb-schedule.h: pure scheduling math (no clock, no I/O): active hours in a thread's time zone. */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

/* Look up a time zone: "" or "local" -> host zone; otherwise an IANA name that must exist
 * (HB_ERROR_INVALID_CONFIG otherwise). "UTC" is accepted. */
GTimeZone *hb_timezone_lookup (const char *name, GError **error);

/* Is @now_us (microseconds since the epoch) within [start, end) local time in @tz? start/end are
 * minutes after midnight (end may be 1440; end < start wraps past midnight; -1/-1 = always). */
gboolean hb_active_hours_contains (int start, int end, GTimeZone *tz, gint64 now_us);

/* The earliest instant >= @now_us that lies within the window (== @now_us when inside already).
 * Correct across DST changes: a window start that does not exist on a spring-forward day moves to
 * the first existing minute after it. -1/-1 returns @now_us. */
gint64 hb_active_hours_next_start (int start, int end, GTimeZone *tz, gint64 now_us);

G_END_DECLS
