/* test-duration.c: duration and HH:MM parsers, table-driven. */
#include "config.h"

#include <glib.h>
#include <string.h>

#include "hb-duration.h"
#include "hb-error.h"

typedef struct {
  const char *input;
  guint64 seconds;
} DurationOk;

static const DurationOk duration_ok[] = {
  { "0", 0 },
  { "0s", 0 },
  { "90", 90 },
  { "90s", 90 },
  { "30m", 1800 },
  { "1h30m", 5400 },
  { "1h 30m", 5400 },      /* spaces between components, as documented */
  { "1h  30m", 5400 },
  { "1h\t30m", 5400 },
  { "2h", 7200 },
  { "1d", 86400 },
  { "1d2h3m4s", 93784 },
  { "1d 1s", 86401 },
  { "1m1s", 61 },
  { "1h0m", 3600 },
  { "00030m", 1800 },
  { "86400", 86400 },
  { "  30m  ", 1800 },     /* surrounding whitespace is ignored */
  { "\t1h\n", 3600 },
  { "18446744073709551615", G_MAXUINT64 },
  { "18446744073709551615s", G_MAXUINT64 },
  { "213503982334601d", G_GUINT64_CONSTANT (213503982334601) * 86400 },
};

typedef struct {
  const char *input;
  const char *message;   /* substring expected in the error */
} DurationBad;

static const DurationBad duration_bad[] = {
  { "", "empty" },
  { "   ", "empty" },
  { "-5", "negative" },
  { "-5m", "negative" },
  { "+5", "expected a number" },
  { "5x", "unknown unit 'x'" },
  { "1H", "unknown unit 'H'" },
  { "0x10", "unknown unit 'x'" },
  { "1e3", "unknown unit 'e'" },
  { "1\xc2\xb5s", "unknown unit '?'" },
  { "1m1h", "in the order d, h, m, s" },
  { "1h1h", "at most once" },
  { "1s1m", "in the order" },
  { "99999999999999999999s", "too large" },
  { "18446744073709551616", "too large" },
  { "213503982334602d", "too large" },
  { "1d18446744073709551615s", "too large" },
  { "1.5h", "fractions" },
  { "1,5h", "fractions" },
  { "30 m", "no space allowed between a number and its unit" },
  { "5 5", "no space allowed" },
  { "1h30", "needs its own unit" },
  { "h", "expected a number" },
  { "m30", "expected a number" },
  { "1hm", "unexpected character after a unit" },
  { "1ms", "unexpected character after a unit" },
  { "1h,30m", "unexpected character after a unit" },
  { "1h\n30m", "unexpected character after a unit" },
  { "1h -30m", "negative" },
};

static void
test_duration_valid (void)
{
  for (gsize i = 0; i < G_N_ELEMENTS (duration_ok); i++)
    {
      g_autoptr(GError) error = NULL;
      guint64 seconds = 12345;

      g_test_message ("duration \"%s\"", duration_ok[i].input);
      g_assert_true (hb_parse_duration (duration_ok[i].input, &seconds, &error));
      g_assert_no_error (error);
      g_assert_cmpuint (seconds, ==, duration_ok[i].seconds);
    }
}

static void
test_duration_invalid (void)
{
  for (gsize i = 0; i < G_N_ELEMENTS (duration_bad); i++)
    {
      g_autoptr(GError) error = NULL;
      guint64 seconds = 12345;

      g_test_message ("duration \"%s\"", duration_bad[i].input);
      g_assert_false (hb_parse_duration (duration_bad[i].input, &seconds, &error));
      g_assert_error (error, HB_ERROR, HB_ERROR_INVALID_CONFIG);
      g_assert_true (g_str_has_prefix (error->message, "invalid duration \""));
      if (strstr (error->message, duration_bad[i].message) == NULL)
        g_error ("\"%s\": message \"%s\" lacks \"%s\"", duration_bad[i].input, error->message,
                 duration_bad[i].message);
      g_assert_cmpuint (seconds, ==, 12345);   /* untouched on failure */
    }
}

static void
test_duration_null_and_echo (void)
{
  g_autoptr(GError) error = NULL;
  g_autofree char *long_input = g_strnfill (500, '7');
  guint64 seconds;

  g_assert_false (hb_parse_duration (NULL, &seconds, &error));
  g_assert_error (error, HB_ERROR, HB_ERROR_INVALID_CONFIG);
  g_clear_error (&error);

  /* A hostile value is cut in the message, and control characters are escaped. */
  long_input[499] = 'x';
  g_assert_false (hb_parse_duration (long_input, &seconds, &error));
  g_assert_cmpuint (strlen (error->message), <, 120);
  g_assert_nonnull (strstr (error->message, "...\""));
  g_clear_error (&error);
  g_assert_false (hb_parse_duration ("1\x01", &seconds, &error));
  g_assert_nonnull (strstr (error->message, "\\001"));
}

static const struct {
  guint64 seconds;
  const char *text;
} duration_format[] = {
  { 0, "0s" },
  { 1, "1s" },
  { 59, "59s" },
  { 60, "1m" },
  { 90, "1m30s" },
  { 3600, "1h" },
  { 3661, "1h1m1s" },
  { 5400, "1h30m" },
  { 86400, "1d" },
  { 86401, "1d1s" },
  { 93784, "1d2h3m4s" },
  { G_MAXUINT64, "213503982334601d7h15s" },
};

static void
test_duration_format (void)
{
  for (gsize i = 0; i < G_N_ELEMENTS (duration_format); i++)
    {
      g_autofree char *text = hb_format_duration (duration_format[i].seconds);
      guint64 back = 0;

      g_assert_cmpstr (text, ==, duration_format[i].text);
      g_assert_true (hb_parse_duration (text, &back, NULL));
      g_assert_cmpuint (back, ==, duration_format[i].seconds);
    }
}

static const struct {
  const char *input;
  int minutes;
} hhmm_ok[] = {
  { "00:00", 0 },
  { "00:01", 1 },
  { "09:30", 570 },
  { "12:00", 720 },
  { "23:59", 1439 },
  { "24:00", 1440 },   /* the parser allows it; the config allows it only as an end */
};

static const struct {
  const char *input;
  const char *message;
} hhmm_bad[] = {
  { "24:01", "must be 00:00..23:59 or 24:00" },
  { "25:00", "must be 00:00..23:59 or 24:00" },
  { "99:00", "must be 00:00..23:59 or 24:00" },
  { "12:60", "minutes must be 00..59" },
  { "24:60", "minutes must be 00..59" },
  { "7:00", "two digits each" },
  { "07:0", "two digits each" },
  { "ab:cd", "two digits each" },
  { "", "two digits each" },
  { "1200", "two digits each" },
  { "12-00", "two digits each" },
  { "12.00", "two digits each" },
  { " 12:00", "two digits each" },
  { "12:00 ", "two digits each" },
  { "12:000", "two digits each" },
  { "-1:00", "two digits each" },
  { "+1:00", "two digits each" },
  { "12:5a", "two digits each" },
  { "12:00\n", "two digits each" },
  { "\xef\xbc\x91\xef\xbc\x92:00", "two digits each" },   /* fullwidth digits */
};

static void
test_hhmm_parse (void)
{
  for (gsize i = 0; i < G_N_ELEMENTS (hhmm_ok); i++)
    {
      g_autoptr(GError) error = NULL;
      int minutes = -7;

      g_assert_true (hb_parse_hhmm (hhmm_ok[i].input, &minutes, &error));
      g_assert_no_error (error);
      g_assert_cmpint (minutes, ==, hhmm_ok[i].minutes);
    }
  for (gsize i = 0; i < G_N_ELEMENTS (hhmm_bad); i++)
    {
      g_autoptr(GError) error = NULL;
      int minutes = -7;

      g_test_message ("hhmm \"%s\"", hhmm_bad[i].input);
      g_assert_false (hb_parse_hhmm (hhmm_bad[i].input, &minutes, &error));
      g_assert_error (error, HB_ERROR, HB_ERROR_INVALID_CONFIG);
      g_assert_true (g_str_has_prefix (error->message, "invalid time \""));
      g_assert_nonnull (strstr (error->message, hhmm_bad[i].message));
      g_assert_cmpint (minutes, ==, -7);
    }
  {
    g_autoptr(GError) error = NULL;
    int minutes;

    g_assert_false (hb_parse_hhmm (NULL, &minutes, &error));
    g_assert_error (error, HB_ERROR, HB_ERROR_INVALID_CONFIG);
  }
}

static void
test_hhmm_format (void)
{
  static const struct { int minutes; const char *text; } rows[] = {
    { 0, "00:00" }, { 1, "00:01" }, { 570, "09:30" }, { 1439, "23:59" }, { 1440, "24:00" },
  };

  for (gsize i = 0; i < G_N_ELEMENTS (rows); i++)
    {
      g_autofree char *text = hb_format_hhmm (rows[i].minutes);
      int back = -1;

      g_assert_cmpstr (text, ==, rows[i].text);
      g_assert_true (hb_parse_hhmm (text, &back, NULL));
      g_assert_cmpint (back, ==, rows[i].minutes);
    }
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);

  g_test_add_func ("/duration/valid", test_duration_valid);
  g_test_add_func ("/duration/invalid", test_duration_invalid);
  g_test_add_func ("/duration/null-and-echo", test_duration_null_and_echo);
  g_test_add_func ("/duration/format", test_duration_format);
  g_test_add_func ("/hhmm/parse", test_hhmm_parse);
  g_test_add_func ("/hhmm/format", test_hhmm_format);

  return g_test_run ();
}
