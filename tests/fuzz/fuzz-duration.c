/* fuzz-duration: durations, "HH:MM" and time zone names, as they come from D-Bus and config files.
 *
 * Each parser either refuses with HB_ERROR_INVALID_CONFIG and a message of bounded length (a
 * hostile value must not flood a log line) or returns a value in range that survives a round
 * trip through its formatter. */
#include "config.h"

#include <string.h>

#include "hb-duration.h"
#include "hb-error.h"
#include "hb-fuzz.h"
#include "hb-schedule.h"

/* The longest echo (40 bytes, each escaped to at most 4) plus the longest rule, generously. */
#define MESSAGE_MAX 512

int
LLVMFuzzerInitialize (int *argc, char ***argv)
{
  hb_fuzz_init ();
  return 0;
}

static void
check_refusal (const char *what, const GError *error)
{
  hb_fuzz_check (error != NULL, "%s: failed without an error", what);
  hb_fuzz_check (error->domain == HB_ERROR && error->code == HB_ERROR_INVALID_CONFIG,
                 "%s: unexpected error %s", what, error->message);
  hb_fuzz_check (strlen (error->message) <= MESSAGE_MAX, "%s: message of %zu bytes", what,
                 strlen (error->message));
  hb_fuzz_check (g_utf8_validate (error->message, -1, NULL), "%s: message not UTF-8", what);
}

static void
check_duration (const char *str)
{
  g_autoptr(GError) error = NULL;
  guint64 seconds = G_MAXUINT64, again = G_MAXUINT64;
  g_autofree char *text = NULL;

  if (!hb_parse_duration (str, &seconds, &error))
    {
      check_refusal ("duration", error);
      return;
    }
  text = hb_format_duration (seconds);
  hb_fuzz_check (hb_parse_duration (text, &again, &error),
                 "duration %" G_GUINT64_FORMAT " formatted as \"%s\" does not parse", seconds, text);
  hb_fuzz_check (again == seconds, "\"%s\" is %" G_GUINT64_FORMAT ", not %" G_GUINT64_FORMAT,
                 text, again, seconds);
}

static void
check_hhmm (const char *str)
{
  g_autoptr(GError) error = NULL;
  int minutes = -1, again = -1;
  g_autofree char *text = NULL;

  if (!hb_parse_hhmm (str, &minutes, &error))
    {
      check_refusal ("hhmm", error);
      return;
    }
  hb_fuzz_check (minutes >= 0 && minutes <= 1440, "\"%s\" gave %d minutes", str, minutes);
  hb_fuzz_check (strlen (str) == 5, "\"%s\" accepted as HH:MM", str);
  text = hb_format_hhmm (minutes);
  hb_fuzz_check (hb_parse_hhmm (text, &again, &error) && again == minutes,
                 "%d minutes formatted as \"%s\" does not parse back", minutes, text);
  hb_fuzz_check (strcmp (text, str) == 0, "\"%s\" formats back as \"%s\"", str, text);
}

static void
check_timezone (const char *str)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(GTimeZone) tz = hb_timezone_lookup (str, &error);

  if (tz == NULL)
    {
      check_refusal ("timezone", error);
      return;
    }
  hb_fuzz_check (error == NULL, "a zone and an error");
  /* The zone must be usable: an offset for an arbitrary instant. */
  (void) g_time_zone_get_offset (tz, g_time_zone_find_interval (tz, G_TIME_TYPE_UNIVERSAL, 0));
}

int
LLVMFuzzerTestOneInput (const uint8_t *data, size_t size)
{
  g_autofree char *str = hb_fuzz_strndup (data, size);
  g_autofree char *echo = hb_echo_value (str);

  hb_fuzz_check (strlen (echo) <= 4 * 40 + 3, "echo of %zu bytes", strlen (echo));
  check_duration (str);
  check_hhmm (str);
  check_timezone (str);
  return 0;
}
