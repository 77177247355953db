/* hb-ndjson.h: split a byte stream into '\n'-terminated lines, whatever the chunk boundaries. Pure. */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

typedef struct _HbNdjsonReader HbNdjsonReader;

/* Called once per complete line (without the '\n', '\r' stripped, empty lines skipped). Return FALSE
 * to stop (the reader then refuses further input). */
typedef gboolean (*HbNdjsonLineFunc) (const char *line, gsize len, gpointer user_data, GError **error);

/* @max_line: longest line accepted; @max_total: total bytes accepted. Exceeding either is
 * HB_LLM_ERROR_TOO_LARGE. */
HbNdjsonReader *hb_ndjson_reader_new (gsize max_line, gsize max_total,
                                      HbNdjsonLineFunc func, gpointer user_data);
void hb_ndjson_reader_free (HbNdjsonReader *r);
G_DEFINE_AUTOPTR_CLEANUP_FUNC (HbNdjsonReader, hb_ndjson_reader_free)

gboolean hb_ndjson_reader_feed (HbNdjsonReader *r, const char *data, gsize len, GError **error);

/* End of input: a final line without '\n' is delivered. */
gboolean hb_ndjson_reader_finish (HbNdjsonReader *r, GError **error);

G_END_DECLS
