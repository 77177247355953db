/* hb-duration.h: pure parsers for durations and times of day. */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

/* "90", "90s", "30m", "1h30m", "1h 30m", "2h", "1d": whole seconds. Units s, m, h, d, each at most
 * once, in decreasing order. Errors (HB_ERROR_INVALID_CONFIG) for empty, negative, unknown units,
 * overflow. Leading/trailing whitespace is ignored; spaces between components are allowed, not
 * between a number and its unit. A unit may be left out only for a lone number ("90"). */
gboolean hb_parse_duration (const char *str, guint64 *seconds, GError **error);

/* "1h30m" style, shortest form; 0 -> "0s". */
char *hb_format_duration (guint64 seconds);

/* "HH:MM" (two digits each; 00:00..23:59 and 24:00) -> minutes after midnight. */
gboolean hb_parse_hhmm (const char *str, int *minutes, GError **error);

/* minutes 0..1440 -> "HH:MM". */
char *hb_format_hhmm (int minutes);

/* @str escaped (g_strescape) and cut to a length fit for an error message, so that a hostile
 * value cannot flood a log line or a D-Bus error. */
char *hb_echo_value (const char *str);

G_END_DECLS
