/* hb-ctl-format.c: pure text helpers: widths, times, durations, tables. */
#include "config.h"

#include <string.h>

#include "hb-ctl-format.h"

#define ELLIPSIS "\xe2\x80\xa6"   /* U+2026 */

static guint
char_width (gunichar c)
{
  if (g_unichar_iszerowidth (c) || g_unichar_ismark (c))
    return 0;
  return g_unichar_iswide (c) ? 2 : 1;
}

guint
hb_ctl_text_width (const char *text)
{
  guint width = 0;

  for (const char *p = text; *p != '\0'; p = g_utf8_next_char (p))
    width += char_width (g_utf8_get_char (p));
  return width;
}

char *
hb_ctl_text_truncate (const char *text, guint max)
{
  GString *s;
  guint width = 0;

  if (hb_ctl_text_width (text) <= max)
    return g_strdup (text);
  s = g_string_new (NULL);
  if (max == 0)
    return g_string_free (s, FALSE);
  /* Leave one column for the ellipsis. */
  for (const char *p = text; *p != '\0'; p = g_utf8_next_char (p))
    {
      guint w = char_width (g_utf8_get_char (p));

      if (width + w > max - 1)
        break;
      width += w;
      g_string_append_len (s, p, g_utf8_next_char (p) - p);
    }
  g_string_append (s, ELLIPSIS);
  return g_string_free (s, FALSE);
}

char *
hb_ctl_text_sanitize (const char *text, gboolean keep_newlines)
{
  g_autofree char *valid = g_utf8_make_valid (text != NULL ? text : "", -1);
  GString *s = g_string_sized_new (strlen (valid));

  for (const char *p = valid; *p != '\0'; p = g_utf8_next_char (p))
    {
      gunichar c = g_utf8_get_char (p);

      if (keep_newlines && (c == '\n' || c == '\t'))
        g_string_append_unichar (s, c);
      else if (c == '\n')
        g_string_append (s, "\\n");
      else if (c == '\t')
        g_string_append (s, "\\t");
      else if (g_unichar_iscntrl (c))
        g_string_append_printf (s, "\\u%04X", c);
      else
        g_string_append_unichar (s, c);
    }
  return g_string_free (s, FALSE);
}

char *
hb_ctl_format_duration (guint64 seconds)
{
  static const struct { guint64 size; char unit; } units[] = {
    { 86400, 'd' }, { 3600, 'h' }, { 60, 'm' }, { 1, 's' },
  };
  GString *s;

  if (seconds == 0)
    return g_strdup ("0s");
  s = g_string_new (NULL);
  for (guint i = 0; i < G_N_ELEMENTS (units); i++)
    {
      guint64 n = seconds / units[i].size;

      if (n == 0)
        continue;
      g_string_append_printf (s, "%" G_GUINT64_FORMAT "%c", n, units[i].unit);
      seconds %= units[i].size;
    }
  return g_string_free (s, FALSE);
}

char *
hb_ctl_format_relative (gint64 t_us, gint64 now_us)
{
  gint64 diff = t_us - now_us;
  gboolean future = diff > 0;
  guint64 secs = (guint64) (diff < 0 ? -diff : diff) / G_USEC_PER_SEC;
  g_autofree char *amount = NULL;

  if (secs == 0)
    return g_strdup ("now");
  if (secs < 60)
    amount = g_strdup_printf ("%u s", (guint) secs);
  else if (secs < 3600)
    amount = g_strdup_printf ("%u min", (guint) (secs / 60));
  else if (secs < 86400)
    {
      guint h = secs / 3600, m = (secs % 3600) / 60;

      amount = m != 0 ? g_strdup_printf ("%u h %u min", h, m) : g_strdup_printf ("%u h", h);
    }
  else
    {
      guint64 days = secs / 86400;

      amount = g_strdup_printf ("%" G_GUINT64_FORMAT " %s", days, days == 1 ? "day" : "days");
    }
  return future ? g_strconcat ("in ", amount, NULL) : g_strconcat (amount, " ago", NULL);
}

static GDateTime *
date_time_from_usec (gint64 t_us, GTimeZone *tz)
{
  g_autoptr(GDateTime) utc = g_date_time_new_from_unix_utc (t_us / G_USEC_PER_SEC);
  g_autoptr(GDateTime) exact = NULL;

  if (utc == NULL)
    return NULL;
  exact = g_date_time_add (utc, t_us % G_USEC_PER_SEC);
  return exact != NULL ? g_date_time_to_timezone (exact, tz) : NULL;
}

char *
hb_ctl_format_time (guint64 t_us, gint64 now_us, GTimeZone *tz)
{
  g_autoptr(GDateTime) when = NULL;
  g_autoptr(GDateTime) now = NULL;
  g_autofree char *relative = NULL;
  g_autofree char *absolute = NULL;
  gboolean same_day;

  if (t_us == 0)
    return g_strdup ("never");
  if (t_us > (guint64) G_MAXINT64 || (when = date_time_from_usec ((gint64) t_us, tz)) == NULL
      || (now = date_time_from_usec (now_us, tz)) == NULL)
    return g_strdup_printf ("at %" G_GUINT64_FORMAT " us", t_us);
  same_day = g_date_time_get_year (when) == g_date_time_get_year (now)
             && g_date_time_get_day_of_year (when) == g_date_time_get_day_of_year (now);
  relative = hb_ctl_format_relative ((gint64) t_us, now_us);
  absolute = g_date_time_format (when, same_day ? "%H:%M:%S" : "%Y-%m-%d %H:%M");
  return g_strdup_printf ("%s (%s)", relative, absolute);
}

/* ---- tables ---- */

struct _HbCtlTable
{
  guint n_columns;
  char **headers;
  guint *max_width;
  GPtrArray *rows;   /* char ** of n_columns sanitised, truncated cells */
};

HbCtlTable *
hb_ctl_table_new (const char *const *headers)
{
  HbCtlTable *table = g_new0 (HbCtlTable, 1);

  table->headers = g_strdupv ((char **) headers);
  table->n_columns = g_strv_length (table->headers);
  table->max_width = g_new0 (guint, table->n_columns);
  table->rows = g_ptr_array_new_with_free_func ((GDestroyNotify) g_strfreev);
  return table;
}

void
hb_ctl_table_free (HbCtlTable *table)
{
  g_strfreev (table->headers);
  g_free (table->max_width);
  g_ptr_array_unref (table->rows);
  g_free (table);
}

void
hb_ctl_table_set_max_width (HbCtlTable *table, guint column, guint max)
{
  g_return_if_fail (column < table->n_columns);
  table->max_width[column] = max;
}

void
hb_ctl_table_add_row (HbCtlTable *table, const char *const *cells)
{
  char **row = g_new0 (char *, table->n_columns + 1);

  for (guint i = 0; i < table->n_columns; i++)
    {
      g_autofree char *clean = hb_ctl_text_sanitize (cells[i], FALSE);

      row[i] = table->max_width[i] != 0 ? hb_ctl_text_truncate (clean, table->max_width[i])
                                        : g_steal_pointer (&clean);
    }
  g_ptr_array_add (table->rows, row);
}

guint
hb_ctl_table_get_n_rows (HbCtlTable *table)
{
  return table->rows->len;
}

static void
append_cell (GString *s, const char *text, const char *color, guint width, gboolean last)
{
  if (color != NULL)
    g_string_append_printf (s, "%s%s\033[0m", color, text);
  else
    g_string_append (s, text);
  if (!last)
    {
      for (guint w = hb_ctl_text_width (text); w < width; w++)
        g_string_append_c (s, ' ');
      g_string_append (s, "  ");
    }
}

char *
hb_ctl_table_render (HbCtlTable *table, HbCtlTableColorFunc color_func)
{
  g_autofree guint *widths = g_new0 (guint, table->n_columns);
  GString *s = g_string_new (NULL);

  for (guint c = 0; c < table->n_columns; c++)
    {
      widths[c] = hb_ctl_text_width (table->headers[c]);
      for (guint r = 0; r < table->rows->len; r++)
        widths[c] = MAX (widths[c], hb_ctl_text_width (((char **) table->rows->pdata[r])[c]));
    }
  for (guint c = 0; c < table->n_columns; c++)
    append_cell (s, table->headers[c], color_func != NULL ? "\033[1m" : NULL, widths[c],
                 c + 1 == table->n_columns);
  g_string_append_c (s, '\n');
  for (guint r = 0; r < table->rows->len; r++)
    {
      char **row = table->rows->pdata[r];

      for (guint c = 0; c < table->n_columns; c++)
        append_cell (s, row[c], color_func != NULL ? color_func (c, row[c]) : NULL, widths[c],
                     c + 1 == table->n_columns);
      g_string_append_c (s, '\n');
    }
  return g_string_free (s, FALSE);
}
