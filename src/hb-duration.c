/* hb-duration.c: pure parsers for durations ("1h30m") and times of day ("HH:MM").
 *
 * Whitespace policy for durations: leading and trailing ASCII whitespace is ignored (values come
 * from key files and UI text fields), spaces or tabs may separate components ("1h 30m"), but a
 * number and its unit must touch ("30 m" is an error) so that "1 30m" cannot mean two things.
 */
#include "config.h"

#include <string.h>

#include "hb-duration.h"
#include "hb-error.h"

/* Longest input echoed back in an error message: the rest is cut so that a hostile value cannot
 * blow up a log line or a D-Bus error. */
#define HB_ECHO_MAX 40

char *
hb_echo_value (const char *str)
{
  g_autofree char *cut = g_strndup (str, HB_ECHO_MAX);
  g_autofree char *escaped = g_strescape (cut, NULL);

  if (strlen (str) > HB_ECHO_MAX)
    return g_strconcat (escaped, "...", NULL);
  return g_steal_pointer (&escaped);
}

static gboolean
hb_duration_fail (GError **error, const char *str, const char *rule)
{
  g_autofree char *echo = hb_echo_value (str);

  g_set_error (error, HB_ERROR, HB_ERROR_INVALID_CONFIG, "invalid duration \"%s\": %s", echo, rule);
  return FALSE;
}

static int
hb_unit_rank (char unit, guint64 *factor)
{
  switch (unit)
    {
    case 'd':
      *factor = 86400;
      return 0;
    case 'h':
      *factor = 3600;
      return 1;
    case 'm':
      *factor = 60;
      return 2;
    case 's':
      *factor = 1;
      return 3;
    default:
      return -1;
    }
}

static gboolean
hb_is_blank (char c)
{
  return c == ' ' || c == '\t';
}

gboolean
hb_parse_duration (const char *str, guint64 *seconds, GError **error)
{
  const char *p, *end;
  guint64 total = 0;
  int last_rank = -1;
  guint n_components = 0;

  g_return_val_if_fail (seconds != NULL, FALSE);

  if (str == NULL)
    str = "";
  p = str;
  end = str + strlen (str);
  while (p < end && g_ascii_isspace (*p))
    p++;
  while (end > p && g_ascii_isspace (end[-1]))
    end--;
  if (p == end)
    return hb_duration_fail (error, str, "empty");

  while (p < end)
    {
      guint64 value = 0, factor = 0;
      int rank;

      if (*p == '-')
        return hb_duration_fail (error, str, "negative durations are not allowed");
      if (!g_ascii_isdigit (*p))
        return hb_duration_fail (error, str, "expected a number (units: d, h, m, s)");
      for (; p < end && g_ascii_isdigit (*p); p++)
        {
          guint digit = (guint) (*p - '0');

          if (value > (G_MAXUINT64 - digit) / 10)
            return hb_duration_fail (error, str, "too large");
          value = value * 10 + digit;
        }

      if (p == end)
        {
          /* A unit may be left out only when the whole value is one number of seconds. */
          if (n_components > 0)
            return hb_duration_fail (error, str, "a number after a unit needs its own unit");
          *seconds = value;
          return TRUE;
        }
      if (hb_is_blank (*p))
        return hb_duration_fail (error, str, "no space allowed between a number and its unit");

      rank = hb_unit_rank (*p, &factor);
      if (rank < 0)
        {
          g_autofree char *msg = NULL;

          if (*p == '.' || *p == ',')
            return hb_duration_fail (error, str, "fractions are not allowed");
          msg = g_strdup_printf ("unknown unit '%c' (use d, h, m or s)",
                                 g_ascii_isprint (*p) ? *p : '?');
          return hb_duration_fail (error, str, msg);
        }
      if (rank <= last_rank)
        return hb_duration_fail (error, str, "units must appear at most once each, in the order d, h, m, s");
      last_rank = rank;
      p++;

      if (value > G_MAXUINT64 / factor || value * factor > G_MAXUINT64 - total)
        return hb_duration_fail (error, str, "too large");
      total += value * factor;
      n_components++;

      if (p < end && !hb_is_blank (*p) && !g_ascii_isdigit (*p))
        return hb_duration_fail (error, str, "unexpected character after a unit");
      while (p < end && hb_is_blank (*p))
        p++;
    }

  *seconds = total;
  return TRUE;
}

char *
hb_format_duration (guint64 seconds)
{
  static const struct { guint64 factor; char unit; } parts[] = {
    { 86400, 'd' }, { 3600, 'h' }, { 60, 'm' }, { 1, 's' },
  };
  GString *out;

  if (seconds == 0)
    return g_strdup ("0s");
  out = g_string_new (NULL);
  for (gsize i = 0; i < G_N_ELEMENTS (parts); i++)
    {
      guint64 n = seconds / parts[i].factor;

      seconds %= parts[i].factor;
      if (n > 0)
        g_string_append_printf (out, "%" G_GUINT64_FORMAT "%c", n, parts[i].unit);
    }
  return g_string_free (out, FALSE);
}

gboolean
hb_parse_hhmm (const char *str, int *minutes, GError **error)
{
  int hours, mins;
  g_autofree char *echo = NULL;

  g_return_val_if_fail (minutes != NULL, FALSE);

  if (str == NULL)
    str = "";
  echo = hb_echo_value (str);
  if (strlen (str) != 5 || !g_ascii_isdigit (str[0]) || !g_ascii_isdigit (str[1]) || str[2] != ':'
      || !g_ascii_isdigit (str[3]) || !g_ascii_isdigit (str[4]))
    {
      g_set_error (error, HB_ERROR, HB_ERROR_INVALID_CONFIG,
                   "invalid time \"%s\": expected HH:MM with two digits each", echo);
      return FALSE;
    }
  hours = (str[0] - '0') * 10 + (str[1] - '0');
  mins = (str[3] - '0') * 10 + (str[4] - '0');
  if (mins > 59)
    {
      g_set_error (error, HB_ERROR, HB_ERROR_INVALID_CONFIG,
                   "invalid time \"%s\": minutes must be 00..59", echo);
      return FALSE;
    }
  if (hours > 24 || (hours == 24 && mins != 0))
    {
      g_set_error (error, HB_ERROR, HB_ERROR_INVALID_CONFIG,
                   "invalid time \"%s\": must be 00:00..23:59 or 24:00", echo);
      return FALSE;
    }
  *minutes = hours * 60 + mins;
  return TRUE;
}

char *
hb_format_hhmm (int minutes)
{
  g_return_val_if_fail (minutes >= 0 && minutes <= 1440, NULL);

  return g_strdup_printf ("%02d:%02d", minutes / 60, minutes % 60);
}
