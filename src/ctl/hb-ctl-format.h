/* hb-ctl-format.h: pure text helpers of crt-heartbeatctl: widths, times, durations, tables. */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

/* Columns @text takes on a terminal: wide (East Asian) characters count two, combining and
 * zero-width ones nothing, everything else one (g_utf8_strlen's count, corrected). */
guint hb_ctl_text_width (const char *text);

/* @text cut to at most @max columns; when cut, its last column is an ellipsis. */
char *hb_ctl_text_truncate (const char *text, guint max);

/* @text with control characters written as \n, \t or \uXXXX, so that a thread id or a model's
 * reply cannot break a table line or send escape sequences to the terminal; with
 * @keep_newlines, newlines and tabs stay (for multi-line text). Invalid UTF-8 is replaced by
 * U+FFFD; NULL gives "". */
char *hb_ctl_text_sanitize (const char *text, gboolean keep_newlines);

/* Seconds as "1h30m", "30m", "45s", "0s". */
char *hb_ctl_format_duration (guint64 seconds);

/* @t_us (microseconds since the epoch) against @now_us: "in 4 min", "3 h 5 min ago", "now". */
char *hb_ctl_format_relative (gint64 t_us, gint64 now_us);

/* "in 4 min (14:05:00)", with the date when @t_us is not on @now_us's day in @tz; "never" for 0. */
char *hb_ctl_format_time (guint64 t_us, gint64 now_us, GTimeZone *tz);

/* ---- tables ---- */

typedef struct _HbCtlTable HbCtlTable;

/* Returns an ANSI SGR sequence such as "\033[31m" for a cell, or NULL for none. */
typedef const char *(*HbCtlTableColorFunc) (guint column, const char *cell);

HbCtlTable *hb_ctl_table_new (const char *const *headers);
void hb_ctl_table_free (HbCtlTable *table);
G_DEFINE_AUTOPTR_CLEANUP_FUNC (HbCtlTable, hb_ctl_table_free)

/* Cells of @column longer than @max columns are truncated with an ellipsis (0 = no limit). */
void hb_ctl_table_set_max_width (HbCtlTable *table, guint column, guint max);
/* One row; it must have as many cells as there are headers. Cells are sanitised. */
void hb_ctl_table_add_row (HbCtlTable *table, const char *const *cells);
guint hb_ctl_table_get_n_rows (HbCtlTable *table);
/* The table as aligned lines, columns two spaces apart, the last column not padded. With
 * @color_func, the header is bold and cells coloured as it says. */
char *hb_ctl_table_render (HbCtlTable *table, HbCtlTableColorFunc color_func);

G_END_DECLS
