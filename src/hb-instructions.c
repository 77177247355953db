/* hb-instructions.c: HEARTBEAT.md snapshots, the watched cache and the atomic replace.
 *
 * The snapshot constructors are pure (the parser is in hb-instructions-parse.c); the
 * HbInstructions object keeps the current snapshot, reloads it off the main loop when the file
 * monitor reports a change, and replaces the file atomically.
 */
#include "config.h"

#include <errno.h>
#include <string.h>

#include <glib/gstdio.h>

#include "hb-error.h"
#include "hb-instructions.h"
#include "hb-sha256.h"

/* Editors save in bursts (write, chmod, rename); one reload per burst is enough. */
#define HB_RELOAD_DEBOUNCE_MS 100

/* ---- snapshots ---- */

static void
hb_instructions_snapshot_clear (gpointer data)
{
  HbInstructionsSnapshot *s = data;

  g_free (s->path);
  g_free (s->content);
  g_free (s->problem);
  g_free (s->sha256);
  hb_instructions_parsed_free (s->parsed);
}

HbInstructionsSnapshot *
hb_instructions_snapshot_ref (HbInstructionsSnapshot *s)
{
  return g_atomic_rc_box_acquire (s);
}

void
hb_instructions_snapshot_unref (HbInstructionsSnapshot *s)
{
  if (s != NULL)
    g_atomic_rc_box_release_full (s, hb_instructions_snapshot_clear);
}

static HbInstructionsSnapshot *
hb_snapshot_alloc (const char *path, char *content)
{
  HbInstructionsSnapshot *s = g_atomic_rc_box_new0 (HbInstructionsSnapshot);

  s->path = g_strdup (path != NULL ? path : "");
  s->content = content;
  s->sha256 = hb_sha256_hex (content, -1);
  s->parsed = hb_instructions_parse (content);
  return s;
}

HbInstructionsSnapshot *
hb_instructions_snapshot_new_missing (const char *path, const char *problem)
{
  HbInstructionsSnapshot *s = hb_snapshot_alloc (path, g_strdup (""));

  s->exists = FALSE;
  s->problem = g_strdup (problem);
  /* No file is not an empty file: the run goes on without standing instructions. */
  s->parsed->effectively_empty = FALSE;
  return s;
}

/* The largest length <= @len that does not end inside a UTF-8 sequence of @data. A sequence has
 * at most 3 continuation bytes: a longer run is invalid anyway (and gets replaced), so walking
 * back further would only throw away content. */
static gsize
hb_utf8_boundary (const char *data, gsize total, gsize len)
{
  gsize floor;

  if (len >= total)
    return total;
  floor = len > 3 ? len - 3 : 0;
  while (len > floor && ((guchar) data[len] & 0xC0) == 0x80)
    len--;
  return len;
}

HbInstructionsSnapshot *
hb_instructions_snapshot_new_from_data (const char *path,
                                        const char *data,
                                        gsize len,
                                        gint64 modified)
{
  g_autoptr(GPtrArray) problems = g_ptr_array_new_with_free_func (g_free);
  HbInstructionsSnapshot *s;
  gboolean truncated = FALSE;
  char *content;

  if (data == NULL)
    {
      data = "";
      len = 0;
    }
  if (len > HB_INSTRUCTIONS_MAX_BYTES)
    {
      len = hb_utf8_boundary (data, len, HB_INSTRUCTIONS_MAX_BYTES);
      truncated = TRUE;
      g_ptr_array_add (problems, g_strdup_printf ("truncated to %d bytes",
                                                  HB_INSTRUCTIONS_MAX_BYTES));
    }
  if (g_utf8_validate_len (data, len, NULL))
    content = g_strndup (data, len);
  else
    {
      gsize n;

      content = g_utf8_make_valid (data, (gssize) len);
      /* Replacement characters are longer than the bytes they replace. */
      n = strlen (content);
      if (n > HB_INSTRUCTIONS_MAX_BYTES)
        content[hb_utf8_boundary (content, n, HB_INSTRUCTIONS_MAX_BYTES)] = '\0';
      g_ptr_array_add (problems, g_strdup ("invalid UTF-8 replaced"));
    }

  s = hb_snapshot_alloc (path, content);
  s->exists = TRUE;
  s->modified = modified;
  s->truncated = truncated;
  if (problems->len > 0)
    {
      g_ptr_array_add (problems, NULL);
      s->problem = g_strjoinv ("; ", (char **) problems->pdata);
      g_ptr_array_set_size (problems, problems->len - 1);
    }
  return s;
}

HbInstructionsSnapshot *
hb_instructions_snapshot_load (const char *path)
{
  g_autoptr(GFile) file = g_file_new_for_path (path);
  g_autoptr(GFileInputStream) stream = NULL;
  g_autoptr(GFileInfo) info = NULL;
  g_autoptr(GError) error = NULL;
  g_autofree char *buf = NULL;
  g_autofree char *problem = NULL;
  gint64 modified = 0;
  gsize n = 0;

  stream = g_file_read (file, NULL, &error);
  if (stream == NULL)
    {
      if (g_error_matches (error, G_IO_ERROR, G_IO_ERROR_NOT_FOUND))
        return hb_instructions_snapshot_new_missing (path, NULL);
      problem = g_strdup_printf ("unreadable: %s", error->message);
      return hb_instructions_snapshot_new_missing (path, problem);
    }

  info = g_file_input_stream_query_info (stream, G_FILE_ATTRIBUTE_TIME_MODIFIED ","
                                         G_FILE_ATTRIBUTE_TIME_MODIFIED_USEC, NULL, NULL);
  if (info != NULL && g_file_info_has_attribute (info, G_FILE_ATTRIBUTE_TIME_MODIFIED))
    modified = (gint64) g_file_info_get_attribute_uint64 (info, G_FILE_ATTRIBUTE_TIME_MODIFIED)
               * G_USEC_PER_SEC
               + g_file_info_get_attribute_uint32 (info, G_FILE_ATTRIBUTE_TIME_MODIFIED_USEC);

  /* One byte past the cap tells a file of exactly the cap from a longer one. */
  buf = g_malloc (HB_INSTRUCTIONS_MAX_BYTES + 1);
  if (!g_input_stream_read_all (G_INPUT_STREAM (stream), buf, HB_INSTRUCTIONS_MAX_BYTES + 1, &n,
                                NULL, &error))
    {
      problem = g_strdup_printf ("unreadable: %s", error->message);
      return hb_instructions_snapshot_new_missing (path, problem);
    }
  return hb_instructions_snapshot_new_from_data (path, buf, n, modified);
}

/* ---- the watched file ---- */

struct _HbInstructions {
  GObject parent_instance;

  char *workspace;
  char *path;
  GFileMonitor *monitor;
  HbInstructionsSnapshot *snapshot;
  guint debounce_id;
  guint64 generation;      /* bumped for each load; a late result of an older one is dropped */
  GCancellable *cancellable;
};

G_DEFINE_FINAL_TYPE (HbInstructions, hb_instructions, G_TYPE_OBJECT)

enum {
  SIGNAL_CHANGED,
  N_SIGNALS
};

static guint signals[N_SIGNALS];

static void
hb_instructions_dispose (GObject *object)
{
  HbInstructions *self = HB_INSTRUCTIONS (object);

  g_cancellable_cancel (self->cancellable);
  g_clear_handle_id (&self->debounce_id, g_source_remove);
  if (self->monitor != NULL)
    {
      g_signal_handlers_disconnect_by_data (self->monitor, self);
      g_file_monitor_cancel (self->monitor);
      g_clear_object (&self->monitor);
    }
  G_OBJECT_CLASS (hb_instructions_parent_class)->dispose (object);
}

static void
hb_instructions_finalize (GObject *object)
{
  HbInstructions *self = HB_INSTRUCTIONS (object);

  g_clear_pointer (&self->snapshot, hb_instructions_snapshot_unref);
  g_clear_object (&self->cancellable);
  g_free (self->workspace);
  g_free (self->path);
  G_OBJECT_CLASS (hb_instructions_parent_class)->finalize (object);
}

static void
hb_instructions_class_init (HbInstructionsClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);

  object_class->dispose = hb_instructions_dispose;
  object_class->finalize = hb_instructions_finalize;

  /* Emitted on the main context after the cached snapshot changed (reload or replace). */
  signals[SIGNAL_CHANGED] = g_signal_new ("changed", G_TYPE_FROM_CLASS (klass),
                                          G_SIGNAL_RUN_LAST, 0, NULL, NULL, NULL,
                                          G_TYPE_NONE, 0);
}

static void
hb_instructions_init (HbInstructions *self)
{
  self->cancellable = g_cancellable_new ();
}

/* Swap in @snap (transfer full) and announce it if anything a reader can see differs. */
static void
hb_instructions_set_snapshot (HbInstructions *self, HbInstructionsSnapshot *snap)
{
  HbInstructionsSnapshot *old = self->snapshot;
  gboolean changed = old == NULL || old->exists != snap->exists
                     || old->modified != snap->modified
                     || g_strcmp0 (old->sha256, snap->sha256) != 0
                     || g_strcmp0 (old->problem, snap->problem) != 0;

  self->snapshot = snap;
  hb_instructions_snapshot_unref (old);
  if (changed)
    g_signal_emit (self, signals[SIGNAL_CHANGED], 0);
}

typedef struct {
  char *path;
  guint64 generation;
} HbReloadData;

static void
hb_reload_data_free (gpointer data)
{
  HbReloadData *d = data;

  g_free (d->path);
  g_free (d);
}

static void
hb_reload_thread (GTask *task, gpointer source, gpointer task_data, GCancellable *cancellable)
{
  HbReloadData *d = task_data;

  g_task_return_pointer (task, hb_instructions_snapshot_load (d->path),
                         (GDestroyNotify) hb_instructions_snapshot_unref);
}

static void
hb_reload_done (GObject *source, GAsyncResult *result, gpointer user_data)
{
  HbInstructions *self = HB_INSTRUCTIONS (source);
  HbReloadData *d = g_task_get_task_data (G_TASK (result));
  HbInstructionsSnapshot *snap = g_task_propagate_pointer (G_TASK (result), NULL);

  if (snap == NULL)
    return;
  if (d->generation != self->generation)
    {
      hb_instructions_snapshot_unref (snap);
      return;
    }
  hb_instructions_set_snapshot (self, snap);
}

static gboolean
hb_instructions_debounce_cb (gpointer user_data)
{
  HbInstructions *self = user_data;
  g_autoptr(GTask) task = NULL;
  HbReloadData *d = g_new0 (HbReloadData, 1);

  self->debounce_id = 0;
  d->path = g_strdup (self->path);
  d->generation = ++self->generation;
  task = g_task_new (self, self->cancellable, hb_reload_done, NULL);
  g_task_set_source_tag (task, hb_instructions_debounce_cb);
  g_task_set_task_data (task, d, hb_reload_data_free);
  g_task_set_return_on_cancel (task, TRUE);
  g_task_run_in_thread (task, hb_reload_thread);
  return G_SOURCE_REMOVE;
}

static void
hb_instructions_monitor_cb (GFileMonitor *monitor,
                            GFile *file,
                            GFile *other,
                            GFileMonitorEvent event,
                            gpointer user_data)
{
  HbInstructions *self = user_data;

  g_clear_handle_id (&self->debounce_id, g_source_remove);
  self->debounce_id = g_timeout_add (HB_RELOAD_DEBOUNCE_MS, hb_instructions_debounce_cb, self);
}

HbInstructions *
hb_instructions_new (const char *workspace_dir)
{
  HbInstructions *self = g_object_new (HB_TYPE_INSTRUCTIONS, NULL);
  g_autoptr(GFile) file = NULL;
  g_autoptr(GError) error = NULL;

  self->workspace = g_strdup (workspace_dir != NULL && *workspace_dir != '\0' ? workspace_dir
                                                                                : ".");
  self->path = g_build_filename (self->workspace, "HEARTBEAT.md", NULL);
  self->snapshot = hb_instructions_snapshot_load (self->path);

  /* A file monitor watches the name in its directory (inotify on the parent), so creation,
   * deletion and an atomic rename over the file are all seen. */
  file = g_file_new_for_path (self->path);
  self->monitor = g_file_monitor_file (file, G_FILE_MONITOR_NONE, NULL, &error);
  if (self->monitor == NULL)
    g_warning ("Cannot watch %s, changes are seen only on reload: %s", self->path,
               error->message);
  else
    g_signal_connect (self->monitor, "changed", G_CALLBACK (hb_instructions_monitor_cb), self);
  return self;
}

const char *
hb_instructions_get_path (HbInstructions *self)
{
  g_return_val_if_fail (HB_IS_INSTRUCTIONS (self), NULL);
  return self->path;
}

HbInstructionsSnapshot *
hb_instructions_get_snapshot (HbInstructions *self)
{
  g_return_val_if_fail (HB_IS_INSTRUCTIONS (self), NULL);
  return hb_instructions_snapshot_ref (self->snapshot);
}

void
hb_instructions_reload (HbInstructions *self)
{
  g_return_if_fail (HB_IS_INSTRUCTIONS (self));
  self->generation++;
  hb_instructions_set_snapshot (self, hb_instructions_snapshot_load (self->path));
}

/* ---- replace ---- */

typedef struct {
  char *workspace;
  char *path;
  char *content;
} HbReplaceData;

static void
hb_replace_data_free (gpointer data)
{
  HbReplaceData *d = data;

  g_free (d->workspace);
  g_free (d->path);
  g_free (d->content);
  g_free (d);
}

gboolean
hb_instructions_check_content (const char *content, GError **error)
{
  gsize len;

  if (content == NULL)
    {
      g_set_error_literal (error, HB_ERROR, HB_ERROR_INVALID_INSTRUCTIONS, "no content given");
      return FALSE;
    }
  len = strlen (content);
  if (len > HB_INSTRUCTIONS_MAX_BYTES)
    {
      g_set_error (error, HB_ERROR, HB_ERROR_INVALID_INSTRUCTIONS,
                   "content is %" G_GSIZE_FORMAT " bytes, over the cap of %d bytes", len,
                   HB_INSTRUCTIONS_MAX_BYTES);
      return FALSE;
    }
  if (!g_utf8_validate (content, (gssize) len, NULL))
    {
      g_set_error_literal (error, HB_ERROR, HB_ERROR_INVALID_INSTRUCTIONS,
                           "content is not valid UTF-8");
      return FALSE;
    }
  return TRUE;
}

static void
hb_replace_thread (GTask *task, gpointer source, gpointer task_data, GCancellable *cancellable)
{
  HbReplaceData *d = task_data;
  g_autoptr(GError) error = NULL;

  if (g_task_return_error_if_cancelled (task))
    return;
  if (g_mkdir_with_parents (d->workspace, 0755) != 0)
    {
      int saved = errno;

      g_task_return_new_error (task, G_IO_ERROR, g_io_error_from_errno (saved),
                               "Cannot create %s: %s", d->workspace, g_strerror (saved));
      return;
    }
  /* CONSISTENT writes a temporary file in the same directory and renames it over the old one;
   * DURABLE adds the fsync, so a crash leaves either the old or the new file, never a mix. */
  if (!g_file_set_contents_full (d->path, d->content, -1,
                                 G_FILE_SET_CONTENTS_CONSISTENT | G_FILE_SET_CONTENTS_DURABLE,
                                 0644, &error))
    {
      g_task_return_new_error (task, G_IO_ERROR, g_io_error_from_file_error (error->code),
                               "%s", error->message);
      return;
    }
  g_task_return_pointer (task, hb_instructions_snapshot_load (d->path),
                         (GDestroyNotify) hb_instructions_snapshot_unref);
}

static void
hb_replace_done (GObject *source, GAsyncResult *result, gpointer user_data)
{
  HbInstructions *self = HB_INSTRUCTIONS (source);
  g_autoptr(GTask) outer = user_data;
  g_autoptr(GError) error = NULL;
  HbInstructionsSnapshot *snap = g_task_propagate_pointer (G_TASK (result), &error);

  if (snap == NULL)
    {
      g_task_return_error (outer, g_steal_pointer (&error));
      return;
    }
  /* The cache is updated before the caller hears of success; a reload started earlier may
   * still read the old file, so its result is made stale. */
  self->generation++;
  hb_instructions_set_snapshot (self, snap);
  g_task_return_boolean (outer, TRUE);
}

void
hb_instructions_replace_async (HbInstructions *self,
                               const char *content,
                               GCancellable *cancellable,
                               GAsyncReadyCallback callback,
                               gpointer user_data)
{
  g_autoptr(GTask) outer = NULL;
  g_autoptr(GTask) inner = NULL;
  GError *error = NULL;
  HbReplaceData *d;

  g_return_if_fail (HB_IS_INSTRUCTIONS (self));

  outer = g_task_new (self, cancellable, callback, user_data);
  g_task_set_source_tag (outer, hb_instructions_replace_async);
  if (!hb_instructions_check_content (content, &error))
    {
      g_task_return_error (outer, error);
      return;
    }

  d = g_new0 (HbReplaceData, 1);
  d->workspace = g_strdup (self->workspace);
  d->path = g_strdup (self->path);
  d->content = g_strdup (content);
  inner = g_task_new (self, cancellable, hb_replace_done, g_steal_pointer (&outer));
  g_task_set_source_tag (inner, hb_replace_thread);
  g_task_set_task_data (inner, d, hb_replace_data_free);
  g_task_run_in_thread (inner, hb_replace_thread);
}

gboolean
hb_instructions_replace_finish (HbInstructions *self, GAsyncResult *result, GError **error)
{
  g_return_val_if_fail (g_task_is_valid (result, self), FALSE);
  return g_task_propagate_boolean (G_TASK (result), error);
}
