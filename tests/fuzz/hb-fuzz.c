/* hb-fuzz.c: set-up and helpers shared by the fuzz targets. */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "hb-fuzz.h"

static void
hb_fuzz_quiet_handler (const char *log_domain, GLogLevelFlags level, const char *message,
                       gpointer user_data)
{
  /* Messages and debug output are what the code under test says on bad input: expected. */
}

void
hb_fuzz_init (void)
{
  g_log_set_always_fatal (G_LOG_LEVEL_CRITICAL | G_LOG_LEVEL_WARNING);
  g_log_set_handler (NULL, G_LOG_LEVEL_MESSAGE | G_LOG_LEVEL_INFO | G_LOG_LEVEL_DEBUG,
                     hb_fuzz_quiet_handler, NULL);
  g_log_set_handler ("crt-heartbeat", G_LOG_LEVEL_MESSAGE | G_LOG_LEVEL_INFO | G_LOG_LEVEL_DEBUG,
                     hb_fuzz_quiet_handler, NULL);
  /* Zone lookups must not depend on the host's TZ. */
  g_setenv ("TZ", "UTC", TRUE);
}

char *
hb_fuzz_strndup (const uint8_t *data, size_t size)
{
  return g_strndup ((const char *) data, size);
}

char *
hb_fuzz_split (const uint8_t *data, size_t size, char **first)
{
  const uint8_t *nul = memchr (data, '\0', size);

  if (nul == NULL)
    {
      *first = hb_fuzz_strndup (data, size);
      return g_strdup ("");
    }
  *first = hb_fuzz_strndup (data, (size_t) (nul - data));
  return hb_fuzz_strndup (nul + 1, size - (size_t) (nul - data) - 1);
}

void
hb_fuzz_fail (const char *format, ...)
{
  va_list args;

  va_start (args, format);
  fputs ("fuzz invariant broken: ", stderr);
  vfprintf (stderr, format, args);
  fputc ('\n', stderr);
  va_end (args);
  abort ();
}
