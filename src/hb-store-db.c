/* hb-store-db.c: SQLite statements, error mapping, busy handling and the VFS that gathers WAL
 * appends, for the store's worker. */
#include "config.h"

#include <math.h>
#include <string.h>

#include "hb-error.h"
#include "hb-store-private.h"

#define BUSY_FIRST_DELAY_US (100 * 1000)
#define BUSY_MAX_DELAY_US (2 * G_USEC_PER_SEC)

gint64
hb_s_to_us (double s)
{
  return (gint64) llround (s * G_USEC_PER_SEC);
}

gboolean
hb_db_fail (HbStore *self, int rc, GError **error)
{
  const char *msg = self->db != NULL ? sqlite3_errmsg (self->db) : sqlite3_errstr (rc);

  switch (rc & 0xff)
    {
    case SQLITE_BUSY:
    case SQLITE_LOCKED:
      g_set_error (error, HB_ERROR, HB_ERROR_BUSY,
                   "Database is locked by another connection (gave up after %u tries): %s",
                   self->busy_attempts + 1, msg);
      break;
    case SQLITE_READONLY:
      g_set_error (error, HB_ERROR, HB_ERROR_READ_ONLY, "Database is read-only: %s", msg);
      break;
    default:
      g_set_error (error, HB_ERROR, HB_ERROR_DB, "Database error: %s", msg);
      break;
    }
  return FALSE;
}

gboolean
hb_db_exec (HbStore *self, const char *sql, GError **error)
{
  int rc = sqlite3_exec (self->db, sql, NULL, NULL, NULL);

  return rc == SQLITE_OK ? TRUE : hb_db_fail (self, rc, error);
}

static void
finalize_stmt (gpointer stmt)
{
  sqlite3_finalize (stmt);
}

sqlite3_stmt *
hb_db_prepare (HbStore *self, const char *sql, GError **error)
{
  sqlite3_stmt *stmt = NULL;
  int rc;

  if (self->stmts == NULL)
    {
      self->stmts = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, finalize_stmt);
      self->stmts_by_address = g_hash_table_new (NULL, NULL);
    }
  /* Most SQL is a literal or built once: its address finds the statement without hashing the
   * text. The text comparison keeps this right when a freed string's address is reused. */
  stmt = g_hash_table_lookup (self->stmts_by_address, sql);
  if (stmt != NULL && strcmp (sqlite3_sql (stmt), sql) == 0)
    return stmt;
  stmt = g_hash_table_lookup (self->stmts, sql);
  if (stmt != NULL)
    {
      g_hash_table_insert (self->stmts_by_address, (gpointer) sql, stmt);
      return stmt;
    }
  /* Preparing costs more than running most of these statements: keep them. */
  rc = sqlite3_prepare_v3 (self->db, sql, -1, SQLITE_PREPARE_PERSISTENT, &stmt, NULL);
  if (rc != SQLITE_OK)
    {
      sqlite3_finalize (stmt);
      hb_db_fail (self, rc, error);
      return NULL;
    }
  g_hash_table_insert (self->stmts, g_strdup (sql), stmt);
  g_hash_table_insert (self->stmts_by_address, (gpointer) sql, stmt);
  return stmt;
}

/* No sqlite3_clear_bindings(): every use binds all parameters again (hb_db_bindv() sets those
 * its format leaves out to NULL), so clearing them each time would be wasted work. */
void
hb_db_release (sqlite3_stmt *stmt)
{
  sqlite3_reset (stmt);
}

int
hb_db_step (HbStore *self, sqlite3_stmt *stmt, GError **error)
{
  int rc = sqlite3_step (stmt);

  if (rc == SQLITE_ROW || rc == SQLITE_DONE)
    return rc;
  hb_db_fail (self, rc, error);
  return -1;
}

void
hb_db_bindv (sqlite3_stmt *stmt, const char *fmt, va_list ap)
{
  int i;

  for (i = 0; fmt != NULL && fmt[i] != '\0'; i++)
    {
      int idx = i + 1;

      switch (fmt[i])
        {
        case 't':
          sqlite3_bind_text (stmt, idx, va_arg (ap, const char *), -1, SQLITE_TRANSIENT);
          break;
        case 's':
          sqlite3_bind_text (stmt, idx, va_arg (ap, const char *), -1, SQLITE_STATIC);
          break;
        case 'd':
          sqlite3_bind_double (stmt, idx, va_arg (ap, double));
          break;
        case 'i':
          sqlite3_bind_int64 (stmt, idx, va_arg (ap, gint64));
          break;
        case 'T':
          {
            gint64 us = va_arg (ap, gint64);

            if (us == 0)
              sqlite3_bind_null (stmt, idx);
            else
              sqlite3_bind_double (stmt, idx, hb_us_to_s (us));
          }
          break;
        case 'I':
          {
            gint64 id = va_arg (ap, gint64);

            if (id < 0)
              sqlite3_bind_null (stmt, idx);
            else
              sqlite3_bind_int64 (stmt, idx, id);
          }
          break;
        default:
          g_assert_not_reached ();
        }
    }
  /* What an earlier use bound must not leak into this one. */
  for (int n = sqlite3_bind_parameter_count (stmt); i < n; i++)
    sqlite3_bind_null (stmt, i + 1);
}

void
hb_db_bind (sqlite3_stmt *stmt, const char *fmt, ...)
{
  va_list ap;

  va_start (ap, fmt);
  hb_db_bindv (stmt, fmt, ap);
  va_end (ap);
}

sqlite3_stmt *
hb_db_queryv (HbStore *self, GError **error, const char *sql, const char *fmt, va_list ap)
{
  sqlite3_stmt *stmt = hb_db_prepare (self, sql, error);

  if (stmt != NULL)
    hb_db_bindv (stmt, fmt, ap);
  return stmt;
}

sqlite3_stmt *
hb_db_query (HbStore *self, GError **error, const char *sql, const char *fmt, ...)
{
  sqlite3_stmt *stmt;
  va_list ap;

  va_start (ap, fmt);
  stmt = hb_db_queryv (self, error, sql, fmt, ap);
  va_end (ap);
  return stmt;
}

/* Step the bound statement: to completion, or (with @out) once for the first column. */
static gboolean
run_bound (HbStore *self, double *out, GError **error, const char *sql, const char *fmt,
           va_list ap)
{
  g_autoptr(sqlite3_stmt) stmt = hb_db_queryv (self, error, sql, fmt, ap);
  int rc;

  if (stmt == NULL)
    return FALSE;
  if (out != NULL)
    {
      rc = hb_db_step (self, stmt, error);
      *out = rc == SQLITE_ROW ? sqlite3_column_double (stmt, 0) : 0.0;
      return rc >= 0;
    }
  while ((rc = hb_db_step (self, stmt, error)) == SQLITE_ROW)
    ;
  return rc == SQLITE_DONE;
}

gboolean
hb_db_run (HbStore *self, GError **error, const char *sql, const char *fmt, ...)
{
  va_list ap;
  gboolean ok;

  va_start (ap, fmt);
  ok = run_bound (self, NULL, error, sql, fmt, ap);
  va_end (ap);
  return ok;
}

gboolean
hb_db_scalar (HbStore *self, double *out, GError **error, const char *sql, const char *fmt, ...)
{
  va_list ap;
  gboolean ok;

  va_start (ap, fmt);
  ok = run_bound (self, out, error, sql, fmt, ap);
  va_end (ap);
  return ok;
}

#define ONES G_GUINT64_CONSTANT (0x0101010101010101)
#define HIGHS G_GUINT64_CONSTANT (0x8080808080808080)

gboolean
hb_utf8_valid (const char *s, gsize len)
{
  gsize i = 0;

  while (i < len)
    {
      guint64 v;
      gsize n;

      /* Eight bytes at a time while none is NUL or above 0x7f (most text is ASCII). */
      if (i + 8 <= len)
        {
          memcpy (&v, s + i, 8);
          if (((v | ((v - ONES) & ~v)) & HIGHS) == 0)
            {
              i += 8;
              continue;
            }
        }
      if (s[i] == '\0')
        return FALSE;
      /* Otherwise one character: its lead byte gives the length it must have. */
      n = (guchar) s[i] < 0x80 ? 1 : g_utf8_skip[(guchar) s[i]];
      if (n > len - i || (n > 1 && !g_utf8_validate_len (s + i, n, NULL)) ||
          (n == 1 && (guchar) s[i] >= 0x80))
        return FALSE;
      i += n;
    }
  return TRUE;
}

char *
hb_db_column_text (sqlite3_stmt *stmt, int col)
{
  const char *text = (const char *) sqlite3_column_text (stmt, col);
  int len = sqlite3_column_bytes (stmt, col);

  if (text == NULL)
    return g_strdup ("");
  /* Other programs write these tables: never hand on invalid UTF-8 (it ends up in JSON). */
  return hb_utf8_valid (text, len) ? g_strndup (text, len) : g_utf8_make_valid (text, len);
}

gint64
hb_db_column_time (sqlite3_stmt *stmt, int col)
{
  if (sqlite3_column_type (stmt, col) == SQLITE_NULL)
    return 0;
  return hb_s_to_us (sqlite3_column_double (stmt, col));
}

gint64
hb_db_column_id (sqlite3_stmt *stmt, int col)
{
  if (sqlite3_column_type (stmt, col) == SQLITE_NULL)
    return -1;
  return sqlite3_column_int64 (stmt, col);
}

/* ---- WAL appends, gathered ----
 *
 * SQLite appends each frame to the WAL with two writes (its 24-byte header, then the page), so a
 * commit of n pages cost 2n pwrite() calls, each paying the kernel's per-call costs (the inode
 * lock, time stamps, notifications). This VFS wraps the default one and, for WAL files only,
 * gathers consecutive appends in memory and writes them with one call as soon as the commit
 * frame is complete. Nothing else changes: locks, shared memory and all other files are the
 * default VFS's own, and the frames are in the file before the write of the commit frame
 * returns, which is before SQLite publishes the commit in the WAL index: other connections and
 * processes see what they saw before. A crash loses only frames of an uncommitted transaction.
 */

#define WAL_VFS_NAME "hb-wal-gather"
#define WAL_FRAME_HEADER 24
/* Below 128 KiB: the unix VFS cuts any single write to its low 17 bits. */
#define WAL_GATHER_MAX (120 * 1024)

typedef struct {
  sqlite3_file base;
  sqlite3_file *real;      /* the default VFS's file, right after this struct */
  guint8 *buf;
  int len;
  int alloc;
  sqlite3_int64 start;     /* file offset of buf[0] */
  gboolean commit_next;    /* the last frame header was a commit frame's */
} WalFile;

G_STATIC_ASSERT (sizeof (WalFile) % 8 == 0);

static sqlite3_vfs *default_vfs;

static int
wal_flush (WalFile *w)
{
  int len = w->len;

  w->len = 0;
  w->commit_next = FALSE;
  return len == 0 ? SQLITE_OK : w->real->pMethods->xWrite (w->real, w->buf, len, w->start);
}

static int
wal_write (sqlite3_file *file, const void *data, int amt, sqlite3_int64 off)
{
  WalFile *w = (WalFile *) file;
  int rc = SQLITE_OK;

  if (w->len > 0 && (off != w->start + w->len || w->len + amt > WAL_GATHER_MAX))
    rc = wal_flush (w);
  if (rc != SQLITE_OK)
    return rc;
  if (amt > WAL_GATHER_MAX)
    return w->real->pMethods->xWrite (w->real, data, amt, off);
  if (w->len == 0)
    w->start = off;
  if (w->len + amt > w->alloc)
    {
      w->alloc = MAX (w->len + amt, MIN (2 * MAX (w->alloc, 64 * 1024), WAL_GATHER_MAX));
      w->buf = g_realloc (w->buf, w->alloc);
    }
  memcpy (w->buf + w->len, data, amt);
  w->len += amt;
  if (amt == WAL_FRAME_HEADER)
    {
      /* Bytes 4..7 of a frame header: the database size after a commit, 0 otherwise. */
      w->commit_next = memcmp ((const guint8 *) data + 4, "\0\0\0\0", 4) != 0;
      return SQLITE_OK;
    }
  return w->commit_next ? wal_flush (w) : SQLITE_OK;
}

static int
wal_close (sqlite3_file *file)
{
  WalFile *w = (WalFile *) file;
  int rc = wal_flush (w);
  int rc2 = w->real->pMethods->xClose (w->real);

  g_clear_pointer (&w->buf, g_free);
  return rc != SQLITE_OK ? rc : rc2;
}

/* Everything else sees the file as if every write had gone through: flush, then pass on. */
#define WAL_PASS(call) \
  WalFile *w = (WalFile *) file; \
  int rc = wal_flush (w); \
  return rc != SQLITE_OK ? rc : w->real->pMethods->call

static int
wal_read (sqlite3_file *file, void *data, int amt, sqlite3_int64 off)
{
  WAL_PASS (xRead (w->real, data, amt, off));
}

static int
wal_truncate (sqlite3_file *file, sqlite3_int64 size)
{
  WAL_PASS (xTruncate (w->real, size));
}

static int
wal_sync (sqlite3_file *file, int flags)
{
  WAL_PASS (xSync (w->real, flags));
}

static int
wal_file_size (sqlite3_file *file, sqlite3_int64 *size)
{
  WAL_PASS (xFileSize (w->real, size));
}

static int
wal_file_control (sqlite3_file *file, int op, void *arg)
{
  WAL_PASS (xFileControl (w->real, op, arg));
}

static int
wal_lock (sqlite3_file *file, int level)
{
  WalFile *w = (WalFile *) file;

  return w->real->pMethods->xLock (w->real, level);
}

static int
wal_unlock (sqlite3_file *file, int level)
{
  WalFile *w = (WalFile *) file;

  return w->real->pMethods->xUnlock (w->real, level);
}

static int
wal_check_reserved (sqlite3_file *file, int *out)
{
  WalFile *w = (WalFile *) file;

  return w->real->pMethods->xCheckReservedLock (w->real, out);
}

static int
wal_sector_size (sqlite3_file *file)
{
  WalFile *w = (WalFile *) file;

  return w->real->pMethods->xSectorSize (w->real);
}

static int
wal_device_characteristics (sqlite3_file *file)
{
  WalFile *w = (WalFile *) file;

  return w->real->pMethods->xDeviceCharacteristics (w->real);
}

/* Version 1: SQLite maps neither shared memory nor pages of a WAL file. */
static const sqlite3_io_methods wal_methods = {
  1, wal_close, wal_read, wal_write, wal_truncate, wal_sync, wal_file_size, wal_lock, wal_unlock,
  wal_check_reserved, wal_file_control, wal_sector_size, wal_device_characteristics,
  NULL, NULL, NULL, NULL, NULL, NULL,
};

static int
wal_vfs_open (sqlite3_vfs *vfs, sqlite3_filename name, sqlite3_file *file, int flags,
              int *out_flags)
{
  WalFile *w = (WalFile *) file;
  int rc;

  /* Any other file is the default VFS's own, in the same memory. */
  if ((flags & SQLITE_OPEN_WAL) == 0)
    return default_vfs->xOpen (default_vfs, name, file, flags, out_flags);
  memset (w, 0, sizeof *w);
  w->real = (sqlite3_file *) (w + 1);
  rc = default_vfs->xOpen (default_vfs, name, w->real, flags, out_flags);
  w->base.pMethods = rc == SQLITE_OK ? &wal_methods : NULL;
  return rc;
}

const char *
hb_db_vfs_name (void)
{
  static gsize registered = 0;
  static sqlite3_vfs vfs;
  static const char *name;

  if (g_once_init_enter (&registered))
    {
      /* Nothing here reads SQLite's memory statistics, and keeping them takes a global mutex
       * for every allocation. Only possible before SQLite initializes (else it stays on). */
      sqlite3_config (SQLITE_CONFIG_MEMSTATUS, 0);
      default_vfs = sqlite3_vfs_find (NULL);
      /* The default VFS's own functions for everything but opening files. */
      vfs = *default_vfs;
      vfs.szOsFile = (int) sizeof (WalFile) + default_vfs->szOsFile;
      vfs.pNext = NULL;
      vfs.zName = WAL_VFS_NAME;
      vfs.xOpen = wal_vfs_open;
      name = sqlite3_vfs_register (&vfs, 0) == SQLITE_OK ? WAL_VFS_NAME : NULL;
      g_once_init_leave (&registered, 1);
    }
  return name;
}

/* One backoff step shared by the busy handler and the transaction retry, so that a job waits at
 * most HB_STORE_BUSY_TRIES tries in all, however the lock shows itself. */
gboolean
hb_db_busy_backoff (HbStore *self)
{
  gulong delay;

  if (self->busy_attempts + 1 >= HB_STORE_BUSY_TRIES)
    return FALSE;
  delay = MIN ((gulong) BUSY_FIRST_DELAY_US << self->busy_attempts, (gulong) BUSY_MAX_DELAY_US);
  self->busy_attempts++;
  g_debug ("database busy, retry %u in %lu ms", self->busy_attempts, delay / 1000);
  g_usleep (delay);
  return TRUE;
}

static int
busy_handler (void *data, int count)
{
  HbStore *self = data;

  return !self->busy_no_wait && hb_db_busy_backoff (self) ? 1 : 0;
}

void
hb_db_install_busy_handler (HbStore *self)
{
  sqlite3_busy_handler (self->db, busy_handler, self);
}

/* BEGIN, COMMIT and the savepoints run for every job: prepared once, like the rest, rather than
 * parsed again by sqlite3_exec() each time. */
gboolean
hb_db_control (HbStore *self, const char *sql, GError **error)
{
  return hb_db_run (self, error, sql, NULL);
}

void
hb_db_roll_back (HbStore *self)
{
  /* Some failures (a full disk, for one) already rolled back. */
  if (!sqlite3_get_autocommit (self->db))
    sqlite3_exec (self->db, "ROLLBACK", NULL, NULL, NULL);
}

gboolean
hb_db_transact (HbStore *self, gboolean write, HbTxnFunc fn, gpointer data, GError **error)
{
  for (;;)
    {
      g_autoptr(GError) local = NULL;

      if (hb_db_control (self, write ? "BEGIN IMMEDIATE" : "BEGIN", &local) &&
          fn (self, data, &local) &&
          hb_db_control (self, "COMMIT", &local))
        return TRUE;
      hb_db_roll_back (self);

      /* BUSY_SNAPSHOT and lock upgrades fail without calling the busy handler: retry it all. */
      if (!g_error_matches (local, HB_ERROR, HB_ERROR_BUSY) || !hb_db_busy_backoff (self))
        {
          g_propagate_error (error, g_steal_pointer (&local));
          return FALSE;
        }
    }
}

void
hb_db_return_txn (HbStore *self, GTask *task, gboolean write, HbTxnFunc fn, gpointer data)
{
  GError *error = NULL;

  if (!hb_db_transact (self, write, fn, data, &error))
    g_task_return_error (task, error);
  else
    g_task_return_boolean (task, TRUE);
}
