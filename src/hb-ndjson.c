/* hb-ndjson.c: split a byte stream into lines whatever the chunk boundaries.
 *
 * The reader keeps only the unfinished tail of the current line; complete lines are delivered
 * straight from the caller's buffer when they do not straddle a chunk boundary, so a stream of
 * small lines costs no copies. */
#include "config.h"

#include <string.h>

#include "hb-error.h"
#include "hb-ndjson.h"

struct _HbNdjsonReader
{
  gsize max_line;
  gsize max_total;
  gsize total;
  GString *partial;         /* bytes of the current line seen so far (no '\n' yet) */
  HbNdjsonLineFunc func;
  gpointer user_data;
  gboolean stopped;         /* the callback said stop, or an error happened: refuse input */
};

HbNdjsonReader *
hb_ndjson_reader_new (gsize max_line, gsize max_total, HbNdjsonLineFunc func, gpointer user_data)
{
  HbNdjsonReader *r = g_new0 (HbNdjsonReader, 1);

  r->max_line = max_line;
  r->max_total = max_total;
  r->partial = g_string_new (NULL);
  r->func = func;
  r->user_data = user_data;
  return r;
}

void
hb_ndjson_reader_free (HbNdjsonReader *r)
{
  if (r == NULL)
    return;
  g_string_free (r->partial, TRUE);
  g_free (r);
}

static gboolean
hb_ndjson_refuse (HbNdjsonReader *r, GError **error)
{
  g_set_error_literal (error, HB_LLM_ERROR, HB_LLM_ERROR_PROTOCOL,
                       "NDJSON reader already stopped; no more input accepted");
  return FALSE;
}

static gboolean
hb_ndjson_line_too_long (HbNdjsonReader *r, GError **error)
{
  r->stopped = TRUE;
  g_set_error (error, HB_LLM_ERROR, HB_LLM_ERROR_TOO_LARGE,
               "NDJSON line longer than %" G_GSIZE_FORMAT " bytes", r->max_line);
  return FALSE;
}

/* Deliver one line (without its '\n'): strip one trailing '\r', skip empty lines. Returns FALSE
 * when delivery must end: on an error (set) or when the callback asked to stop without one. */
static gboolean
hb_ndjson_deliver (HbNdjsonReader *r, const char *line, gsize len, GError **error)
{
  if (len > 0 && line[len - 1] == '\r')
    len--;
  if (len > r->max_line)
    return hb_ndjson_line_too_long (r, error);
  if (len == 0)
    return TRUE;
  if (!r->func (line, len, r->user_data, error))
    {
      r->stopped = TRUE;
      return FALSE;
    }
  return TRUE;
}

/* A stop asked by the callback without an error is not a failure of feed()/finish(). */
static gboolean
hb_ndjson_stop_result (GError *local, GError **error)
{
  if (local == NULL)
    return TRUE;
  g_propagate_error (error, local);
  return FALSE;
}

gboolean
hb_ndjson_reader_feed (HbNdjsonReader *r, const char *data, gsize len, GError **error)
{
  const char *p = data;
  const char *end = data + len;
  GError *local = NULL;

  g_return_val_if_fail (r != NULL, FALSE);
  g_return_val_if_fail (data != NULL || len == 0, FALSE);

  if (r->stopped)
    return hb_ndjson_refuse (r, error);
  if (len > r->max_total - MIN (r->total, r->max_total))
    {
      r->stopped = TRUE;
      g_set_error (error, HB_LLM_ERROR, HB_LLM_ERROR_TOO_LARGE,
                   "NDJSON stream larger than %" G_GSIZE_FORMAT " bytes", r->max_total);
      return FALSE;
    }
  r->total += len;

  while (p < end)
    {
      const char *nl = memchr (p, '\n', end - p);

      if (nl == NULL)
        {
          /* +1: a line may be max_line long plus its '\r', which is stripped later. */
          if (r->partial->len + (end - p) > r->max_line + 1)
            return hb_ndjson_line_too_long (r, error);
          g_string_append_len (r->partial, p, end - p);
          return TRUE;
        }

      if (r->partial->len > 0)
        {
          gboolean ok;

          if (r->partial->len + (nl - p) > r->max_line + 1)
            return hb_ndjson_line_too_long (r, error);
          g_string_append_len (r->partial, p, nl - p);
          ok = hb_ndjson_deliver (r, r->partial->str, r->partial->len, &local);
          g_string_truncate (r->partial, 0);
          if (!ok)
            return hb_ndjson_stop_result (local, error);
        }
      else if (!hb_ndjson_deliver (r, p, nl - p, &local))
        return hb_ndjson_stop_result (local, error);

      p = nl + 1;
    }
  return TRUE;
}

gboolean
hb_ndjson_reader_finish (HbNdjsonReader *r, GError **error)
{
  GError *local = NULL;
  gboolean ok = TRUE;

  g_return_val_if_fail (r != NULL, FALSE);

  if (r->stopped)
    return hb_ndjson_refuse (r, error);
  if (r->partial->len > 0)
    ok = hb_ndjson_deliver (r, r->partial->str, r->partial->len, &local);
  g_string_truncate (r->partial, 0);
  /* Input after the end is a caller bug; refuse it like input after a stop. */
  r->stopped = TRUE;
  return ok ? TRUE : hb_ndjson_stop_result (local, error);
}
