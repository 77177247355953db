/* fuzz-ndjson: the NDJSON line splitter against a plain reference model.
 *
 * The first bytes of the input choose the limits and the chunk sizes; the rest is the stream.
 * Whatever the chunking, the reader must deliver exactly the lines the reference finds (split at
 * '\n', one trailing '\r' stripped, empty lines skipped), or refuse with TOO_LARGE exactly when a
 * limit is broken, never having delivered a line past the point of refusal. */
#include "config.h"

#include <string.h>

#include "hb-error.h"
#include "hb-fuzz.h"
#include "hb-ndjson.h"

#define HEADER 4

typedef struct {
  GPtrArray *lines;     /* GBytes, as delivered */
  guint stop_after;     /* the callback says stop after this many lines (0: never) */
  gboolean stopped;     /* it did */
} Collector;

int
LLVMFuzzerInitialize (int *argc, char ***argv)
{
  hb_fuzz_init ();
  return 0;
}

static gboolean
collect (const char *line, gsize len, gpointer user_data, GError **error)
{
  Collector *c = user_data;

  hb_fuzz_check (len > 0, "empty line delivered");
  hb_fuzz_check (memchr (line, '\n', len) == NULL, "line holds a newline");
  hb_fuzz_check (!c->stopped, "a line delivered after the callback said stop");
  g_ptr_array_add (c->lines, g_bytes_new (line, len));
  c->stopped = c->stop_after != 0 && c->lines->len >= c->stop_after;
  return !c->stopped;
}

/* The reference: every line of @stream as the reader should deliver it, plus whether a line
 * is over @max_line (the first such line ends the list). */
static GPtrArray *
reference_lines (const char *stream, gsize len, gsize max_line, gboolean *too_long)
{
  GPtrArray *lines = g_ptr_array_new_with_free_func ((GDestroyNotify) g_bytes_unref);
  gsize start = 0;

  *too_long = FALSE;
  while (start < len)
    {
      const char *nl = memchr (stream + start, '\n', len - start);
      gsize end = nl != NULL ? (gsize) (nl - stream) : len;
      gsize n = end - start;

      if (n > 0 && stream[start + n - 1] == '\r')
        n--;
      if (n > max_line)
        {
          *too_long = TRUE;
          break;
        }
      if (n > 0)
        g_ptr_array_add (lines, g_bytes_new (stream + start, n));
      start = end + 1;
    }
  return lines;
}

int
LLVMFuzzerTestOneInput (const uint8_t *data, size_t size)
{
  g_autoptr(GPtrArray) got = g_ptr_array_new_with_free_func ((GDestroyNotify) g_bytes_unref);
  g_autoptr(GPtrArray) want = NULL;
  g_autoptr(HbNdjsonReader) r = NULL;
  g_autoptr(GError) error = NULL;
  Collector c = { got, 0, FALSE };
  const char *stream;
  gsize len, max_line, max_total, pos = 0;
  guint chunk_seed;
  gboolean too_long, ok = TRUE;

  if (size < HEADER)
    return 0;
  max_line = data[0] % 48;                              /* small, so limits are hit */
  max_total = data[1] < 0x80 ? G_MAXSIZE : (gsize) (data[1] & 0x7f) * 8;
  chunk_seed = data[2];
  c.stop_after = data[3] % 8;
  stream = (const char *) data + HEADER;
  len = size - HEADER;

  r = hb_ndjson_reader_new (max_line, max_total, collect, &c);
  /* A stop asked by the callback is no error, and the reader refuses input after it. */
  while (ok && !c.stopped && pos < len)
    {
      /* Chunks of 1..16 bytes in a pattern from the seed, so every boundary position occurs. */
      gsize n = MIN (len - pos, 1 + (chunk_seed + pos * 7) % 16);

      ok = hb_ndjson_reader_feed (r, stream + pos, n, &error);
      pos += n;
    }
  if (ok && !c.stopped)
    ok = hb_ndjson_reader_finish (r, &error);

  want = reference_lines (stream, len, max_line, &too_long);

  /* Delivered lines are a prefix of the reference, in order. */
  hb_fuzz_check (got->len <= want->len, "%u lines delivered, %u expected", got->len, want->len);
  for (guint i = 0; i < got->len; i++)
    hb_fuzz_check (g_bytes_equal (got->pdata[i], want->pdata[i]), "line %u differs", i);

  if (error != NULL)
    {
      hb_fuzz_check (g_error_matches (error, HB_LLM_ERROR, HB_LLM_ERROR_TOO_LARGE),
                     "unexpected error: %s", error->message);
      hb_fuzz_check (too_long || len > max_total, "TOO_LARGE without a limit broken: %s",
                     error->message);
    }
  else if (c.stopped)
    hb_fuzz_check (got->len == c.stop_after, "stopped after %u lines", got->len);
  else
    {
      hb_fuzz_check (!ok || (!too_long && len <= max_total), "a broken limit went unnoticed");
      hb_fuzz_check (got->len == want->len, "%u lines delivered, %u expected", got->len,
                     want->len);
    }

  /* Once stopped, or finished, the reader refuses more input with a protocol error. */
  g_clear_error (&error);
  hb_fuzz_check (!hb_ndjson_reader_feed (r, "x\n", 2, &error)
                 && g_error_matches (error, HB_LLM_ERROR, HB_LLM_ERROR_PROTOCOL),
                 "input after the end was not refused");
  return 0;
}
