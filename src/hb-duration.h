/* hb-duration.h: pure parsers for durations and times of day. */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

/* "90", "90s", "30m", "1h30m", "1h 30m", "2h", "1d": whole seconds. Units s, m, h, d, each at most
 * once, in decreasing order. Errors (HB_ERROR_INVALID_CONFIG) for empty, negative, unknown units,
 * overflow. */
gboolean hb_parse_duration (const char *str, guint64 *seconds, GError **error);

/* "1h30m" style, shortest form; 0 -> "0s". */
char *hb_format_duration (guint64 seconds);

/* "HH:MM" (two digits each; 00:00..23:59 and 24:00) -> minutes after midnight. */
gboolean hb_parse_hhmm (const char *str, int *minutes, GError **error);

/* minutes 0..1440 -> "HH:MM". */
char *hb_format_hhmm (int minutes);

G_END_DECLS
