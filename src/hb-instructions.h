/* hb-instructions.h: the standing instructions in <workspace>/HEARTBEAT.md.
 *
 * The file is read once, cached, and reloaded when a GFileMonitor reports a change. Replacing it is
 * atomic (temporary file + rename) and capped at HB_INSTRUCTIONS_MAX_BYTES.
 */
#pragma once

#include <gio/gio.h>

G_BEGIN_DECLS

#define HB_INSTRUCTIONS_MAX_BYTES (64 * 1024)

typedef enum {
  HB_SECTION_CHECKLIST,
  HB_SECTION_RULES,
  HB_SECTION_PROACTIVE,
} HbSection;

typedef struct {
  HbSection section;
  char *text;           /* item text without the bullet or checkbox */
  gboolean is_checkbox;
  gboolean checked;     /* "- [x]" */
} HbInstructionItem;

typedef struct {
  GPtrArray *checklist;   /* HbInstructionItem */
  GPtrArray *rules;
  GPtrArray *proactive;
  gboolean effectively_empty;
} HbInstructionsParsed;

/* Pure. @text must be valid UTF-8. Sections by "## " headings whose lower-cased text contains
 * "checklist", "rule", or "proactive"/"behavior"; items from "-", "*", "1." and "- [ ]"/"- [x]"
 * lines. effectively_empty: nothing but headings, blank lines, HTML comments and empty checkbox
 * items ("- [ ]" with no text). */
HbInstructionsParsed *hb_instructions_parse (const char *text);
void hb_instructions_parsed_free (HbInstructionsParsed *p);
G_DEFINE_AUTOPTR_CLEANUP_FUNC (HbInstructionsParsed, hb_instructions_parsed_free)

gboolean hb_instructions_text_is_effectively_empty (const char *text);

/* An immutable, reference-counted view of the file at one moment. */
typedef struct {
  char *path;
  gboolean exists;
  char *content;        /* valid UTF-8 (invalid sequences replaced), at most the cap; "" if missing */
  gint64 modified;      /* mtime, microseconds since the epoch; 0 if missing */
  gboolean truncated;   /* the file was larger than the cap */
  char *problem;        /* NULL, or what was wrong (truncated, invalid UTF-8, unreadable) */
  char *sha256;         /* of content */
  HbInstructionsParsed *parsed;
} HbInstructionsSnapshot;

HbInstructionsSnapshot *hb_instructions_snapshot_ref (HbInstructionsSnapshot *s);
void hb_instructions_snapshot_unref (HbInstructionsSnapshot *s);
G_DEFINE_AUTOPTR_CLEANUP_FUNC (HbInstructionsSnapshot, hb_instructions_snapshot_unref)

/* Read @path into a snapshot (blocking; used off the main loop and at start-up). Never fails: an
 * unreadable file gives exists=FALSE and a problem. */
HbInstructionsSnapshot *hb_instructions_snapshot_load (const char *path);

/* Pure: the snapshot of a file that held @len bytes of @data (any bytes: over the cap they are cut
 * at a UTF-8 boundary, invalid sequences are replaced, both named in `problem`). For tests and
 * for callers that already hold the bytes. */
HbInstructionsSnapshot *hb_instructions_snapshot_new_from_data (const char *path,
                                                                const char *data,
                                                                gsize len,
                                                                gint64 modified);

/* Pure: the snapshot of a missing or unreadable file; @problem may be NULL (simply missing). */
HbInstructionsSnapshot *hb_instructions_snapshot_new_missing (const char *path,
                                                              const char *problem);

/* The checks hb_instructions_replace_async() makes before writing (cap, UTF-8), for callers that
 * want to refuse bad content early (HB_ERROR_INVALID_INSTRUCTIONS). */
gboolean hb_instructions_check_content (const char *content, GError **error);

#define HB_TYPE_INSTRUCTIONS (hb_instructions_get_type ())
G_DECLARE_FINAL_TYPE (HbInstructions, hb_instructions, HB, INSTRUCTIONS, GObject)

/* Loads the file synchronously once, then watches it. Emits "changed" after a reload. */
HbInstructions *hb_instructions_new (const char *workspace_dir);
const char *hb_instructions_get_path (HbInstructions *self);

/* The current snapshot (transfer full). Never NULL. */
HbInstructionsSnapshot *hb_instructions_get_snapshot (HbInstructions *self);

/* Re-read now (synchronously); used by tests and when the monitor is unavailable. */
void hb_instructions_reload (HbInstructions *self);

/* Replace the file atomically, asynchronously. Errors: HB_ERROR_INVALID_INSTRUCTIONS for content
 * over the cap or not valid UTF-8; G_IO_ERROR_* from the file system. On success the cache holds the
 * new content before the callback runs. */
void hb_instructions_replace_async (HbInstructions *self,
                                    const char *content,
                                    GCancellable *cancellable,
                                    GAsyncReadyCallback callback,
                                    gpointer user_data);
gboolean hb_instructions_replace_finish (HbInstructions *self, GAsyncResult *result, GError **error);

G_END_DECLS
