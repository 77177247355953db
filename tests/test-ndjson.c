/* test-ndjson: the line splitter, fed every possible way. */
#include "config.h"

#include <string.h>

#include <glib.h>

#include "hb-error.h"
#include "hb-ndjson.h"

typedef struct
{
  const char *name;
  const char *input;
  gsize max_line;
  gsize max_total;
  const char *lines;   /* expected lines joined by '|', NULL when an error is expected */
} NdjsonCase;

static const NdjsonCase cases[] = {
  { "two-lines", "a\nb\n", 64, 1024, "a|b" },
  { "crlf", "a\r\nb\r\n", 64, 1024, "a|b" },
  { "empty-lines", "\n\n a \n\n", 64, 1024, " a " },
  { "final-without-newline", "last", 64, 1024, "last" },
  { "line-then-final", "a\nlast", 64, 1024, "a|last" },
  { "empty-input", "", 64, 1024, "" },
  { "only-crlf", "\r\n\r\n", 64, 1024, "" },
  { "final-cr", "x\r", 64, 1024, "x" },
  { "inner-cr-kept", "a\rb\n", 64, 1024, "a\rb" },
  { "utf8", "\xc3\xa9\n\xc3\xbc\n", 64, 1024, "\xc3\xa9|\xc3\xbc" },
  { "json-lines", "{\"a\":1}\n{\"b\":[1,2]}\n", 64, 1024, "{\"a\":1}|{\"b\":[1,2]}" },
  { "line-at-cap", "abcde\n", 5, 1024, "abcde" },
  { "line-at-cap-crlf", "abcde\r\n", 5, 1024, "abcde" },
  { "line-over-cap", "abcdef\n", 5, 1024, NULL },
  { "final-over-cap", "abcdef", 5, 1024, NULL },
  { "line-over-cap-later", "ab\nabcdef\n", 5, 1024, NULL },
  { "total-at-cap", "a\nb\n", 64, 4, "a|b" },
  { "total-over-cap", "a\nb\nc\n", 64, 5, NULL },
};

static gboolean
collect_line (const char *line, gsize len, gpointer user_data, GError **error)
{
  GString *out = user_data;

  g_assert_null (memchr (line, '\n', len));
  if (out->len > 0)
    g_string_append_c (out, '|');
  g_string_append_len (out, line, len);
  return TRUE;
}

/* Feed @input in pieces ending at the offsets in @cuts; returns the lines or NULL on error. */
static char *
run_split (const NdjsonCase *c, const gsize *cuts, guint n_cuts, GError **error)
{
  g_autoptr(GString) out = g_string_new (NULL);
  g_autoptr(HbNdjsonReader) r = hb_ndjson_reader_new (c->max_line, c->max_total, collect_line, out);
  gsize len = strlen (c->input);
  gsize from = 0;

  for (guint i = 0; i <= n_cuts; i++)
    {
      gsize to = i < n_cuts ? cuts[i] : len;

      if (!hb_ndjson_reader_feed (r, c->input + from, to - from, error))
        return NULL;
      from = to;
    }
  if (!hb_ndjson_reader_finish (r, error))
    return NULL;
  return g_strdup (out->str);
}

static void
check_result (const NdjsonCase *c, char *got, GError *error, const char *how)
{
  if (c->lines != NULL)
    {
      g_assert_no_error (error);
      g_assert_cmpstr (got, ==, c->lines);
    }
  else
    {
      g_assert_error (error, HB_LLM_ERROR, HB_LLM_ERROR_TOO_LARGE);
      g_assert_null (got);
    }
  g_test_message ("%s: %s ok", c->name, how);
}

static void
test_case (gconstpointer data)
{
  const NdjsonCase *c = data;
  gsize len = strlen (c->input);

  {
    g_autoptr(GError) error = NULL;
    g_autofree char *got = run_split (c, NULL, 0, &error);

    check_result (c, got, error, "whole");
  }

  /* Every split into two pieces, empty pieces included. */
  for (gsize cut = 0; cut <= len; cut++)
    {
      g_autoptr(GError) error = NULL;
      g_autofree char *got = run_split (c, &cut, 1, &error);

      check_result (c, got, error, "two pieces");
    }

  /* One byte at a time. */
  {
    g_autofree gsize *cuts = g_new0 (gsize, len + 1);
    g_autoptr(GError) error = NULL;
    g_autofree char *got = NULL;

    for (gsize i = 0; i < len; i++)
      cuts[i] = i;
    got = run_split (c, cuts, (guint) len, &error);
    check_result (c, got, error, "bytewise");
  }
}

static gboolean
stop_after_first (const char *line, gsize len, gpointer user_data, GError **error)
{
  guint *count = user_data;

  (*count)++;
  return FALSE;
}

static void
test_stop (void)
{
  guint count = 0;
  g_autoptr(HbNdjsonReader) r = hb_ndjson_reader_new (64, 1024, stop_after_first, &count);
  g_autoptr(GError) error = NULL;

  /* A stop without an error is not a failure, but nothing after it is delivered... */
  g_assert_true (hb_ndjson_reader_feed (r, "a\nb\nc\n", 6, &error));
  g_assert_no_error (error);
  g_assert_cmpuint (count, ==, 1);
  /* ...and further input is refused. */
  g_assert_false (hb_ndjson_reader_feed (r, "d\n", 2, &error));
  g_assert_nonnull (error);
  g_assert_cmpuint (count, ==, 1);
}

static gboolean
fail_on_bad (const char *line, gsize len, gpointer user_data, GError **error)
{
  if (len == 3 && memcmp (line, "bad", 3) == 0)
    {
      g_set_error_literal (error, HB_LLM_ERROR, HB_LLM_ERROR_PROTOCOL, "bad line");
      return FALSE;
    }
  return TRUE;
}

static void
test_callback_error (void)
{
  g_autoptr(HbNdjsonReader) r = hb_ndjson_reader_new (64, 1024, fail_on_bad, NULL);
  g_autoptr(HbNdjsonReader) r2 = hb_ndjson_reader_new (64, 1024, fail_on_bad, NULL);
  g_autoptr(GError) error = NULL;
  g_autoptr(GError) error2 = NULL;

  g_assert_false (hb_ndjson_reader_feed (r, "ok\nba", 5, &error) && hb_ndjson_reader_feed (r, "d\n", 2, &error));
  g_assert_error (error, HB_LLM_ERROR, HB_LLM_ERROR_PROTOCOL);

  /* The final line without '\n' goes through the callback too. */
  g_assert_true (hb_ndjson_reader_feed (r2, "bad", 3, &error2));
  g_assert_false (hb_ndjson_reader_finish (r2, &error2));
  g_assert_error (error2, HB_LLM_ERROR, HB_LLM_ERROR_PROTOCOL);
}

static void
test_finish_twice (void)
{
  g_autoptr(GString) out = g_string_new (NULL);
  g_autoptr(HbNdjsonReader) r = hb_ndjson_reader_new (64, 1024, collect_line, out);
  g_autoptr(GError) error = NULL;

  g_assert_true (hb_ndjson_reader_feed (r, "x", 1, &error));
  g_assert_true (hb_ndjson_reader_finish (r, &error));
  g_assert_cmpstr (out->str, ==, "x");
  g_assert_false (hb_ndjson_reader_finish (r, &error));
  g_assert_nonnull (error);
  g_assert_cmpstr (out->str, ==, "x");
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);

  for (guint i = 0; i < G_N_ELEMENTS (cases); i++)
    {
      g_autofree char *path = g_strdup_printf ("/ndjson/split/%s", cases[i].name);

      g_test_add_data_func (path, &cases[i], test_case);
    }
  g_test_add_func ("/ndjson/stop", test_stop);
  g_test_add_func ("/ndjson/callback-error", test_callback_error);
  g_test_add_func ("/ndjson/finish-twice", test_finish_twice);
  return g_test_run ();
}
