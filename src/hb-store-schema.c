/* hb-store-schema.c: versioned migrations (PRAGMA user_version per database file).
 *
 * Version 1 creates CRT's tables as CRT creates them (IF NOT EXISTS, so a CRT database keeps its
 * own), then adds what the heartbeat needs column by column, so opening a CRT database only adds
 * columns and indexes and never rewrites a row. Each attached file carries its own user_version
 * because a ledger or memory file may be new while the main file is not.
 */
#include "config.h"

#include "hb-error.h"
#include "hb-store-private.h"

/* Where a table lives. */
typedef enum {
  LIVES_MAIN,
  LIVES_LEDGER,
  LIVES_MEMORY,
} Lives;

typedef struct {
  Lives lives;
  const char *table;  /* the table it creates; NULL for an index */
  const char *sql;    /* %s: the schema name */
} SchemaStatement;

static const SchemaStatement v1_tables[] = {
  { LIVES_MAIN, "thread_sessions",
    "CREATE TABLE IF NOT EXISTS %s.thread_sessions ("
    " thread_id TEXT PRIMARY KEY, first_created REAL NOT NULL, last_active REAL NOT NULL,"
    " message_count INTEGER DEFAULT 0, greeting_shown INTEGER DEFAULT 0,"
    " onboarding_completed INTEGER DEFAULT 0, onboarding_step INTEGER DEFAULT 0,"
    " user_name TEXT, style_profile_json TEXT)" },
  { LIVES_MAIN, "heartbeat_history",
    "CREATE TABLE IF NOT EXISTS %s.heartbeat_history ("
    " id INTEGER PRIMARY KEY AUTOINCREMENT, thread_id TEXT NOT NULL, timestamp REAL NOT NULL,"
    " summary TEXT, actions_json TEXT, success INTEGER DEFAULT 1)" },
  { LIVES_MAIN, NULL,
    "CREATE INDEX IF NOT EXISTS %s.idx_heartbeat_history_thread"
    " ON heartbeat_history (thread_id, timestamp DESC)" },
  { LIVES_MAIN, "recent_queries",
    "CREATE TABLE IF NOT EXISTS %s.recent_queries ("
    " id INTEGER PRIMARY KEY AUTOINCREMENT, thread_id TEXT NOT NULL, query_text TEXT NOT NULL,"
    " query_normalized TEXT NOT NULL, detected_slot TEXT, response_text TEXT,"
    " timestamp REAL NOT NULL)" },
  { LIVES_MAIN, "molt_submolts",
    "CREATE TABLE IF NOT EXISTS %s.molt_submolts ("
    " id INTEGER PRIMARY KEY AUTOINCREMENT, name TEXT NOT NULL UNIQUE, description TEXT,"
    " created_at REAL NOT NULL, created_by TEXT)" },
  { LIVES_MAIN, "molt_posts",
    "CREATE TABLE IF NOT EXISTS %s.molt_posts ("
    " id INTEGER PRIMARY KEY AUTOINCREMENT, submolt TEXT NOT NULL, title TEXT NOT NULL,"
    " content TEXT NOT NULL, author TEXT NOT NULL, created_at REAL NOT NULL,"
    " updated_at REAL NOT NULL, source_type TEXT, source_entry_id INTEGER)" },
  { LIVES_MAIN, "molt_comments",
    "CREATE TABLE IF NOT EXISTS %s.molt_comments ("
    " id INTEGER PRIMARY KEY AUTOINCREMENT,"
    " post_id INTEGER NOT NULL REFERENCES molt_posts(id), parent_comment_id INTEGER,"
    " content TEXT NOT NULL, author TEXT NOT NULL, created_at REAL NOT NULL)" },
  { LIVES_MAIN, "molt_votes",
    "CREATE TABLE IF NOT EXISTS %s.molt_votes ("
    " id INTEGER PRIMARY KEY AUTOINCREMENT, target_type TEXT NOT NULL,"
    " target_id INTEGER NOT NULL, voter TEXT NOT NULL, value INTEGER NOT NULL,"
    " created_at REAL NOT NULL, UNIQUE(target_type, target_id, voter))" },
  { LIVES_LEDGER, "contradictions",
    "CREATE TABLE IF NOT EXISTS %s.contradictions ("
    " ledger_id TEXT PRIMARY KEY, timestamp REAL NOT NULL, old_memory_id TEXT NOT NULL,"
    " new_memory_id TEXT NOT NULL, drift_mean REAL NOT NULL, drift_reason REAL,"
    " confidence_delta REAL, status TEXT NOT NULL, contradiction_type TEXT DEFAULT 'conflict',"
    " affects_slots TEXT, query TEXT, summary TEXT, resolution_timestamp REAL,"
    " resolution_method TEXT, merged_memory_id TEXT, metadata TEXT)" },
  /* CRT's memories plus the seed's slot/value; a CRT table without them is read as it is. */
  { LIVES_MEMORY, "memories",
    "CREATE TABLE IF NOT EXISTS %s.memories ("
    " memory_id TEXT PRIMARY KEY, vector_json TEXT NOT NULL, text TEXT NOT NULL,"
    " timestamp REAL NOT NULL, confidence REAL NOT NULL, trust REAL NOT NULL,"
    " source TEXT NOT NULL, sse_mode TEXT NOT NULL, context_json TEXT, tags_json TEXT,"
    " thread_id TEXT, deprecated INTEGER DEFAULT 0, deprecation_reason TEXT,"
    " slot TEXT, value TEXT)" },
  { LIVES_MAIN, "heartbeat_runs",
    "CREATE TABLE IF NOT EXISTS %s.heartbeat_runs ("
    " run_id TEXT PRIMARY KEY, thread_id TEXT NOT NULL, scheduled_for REAL, started_at REAL,"
    " finished_at REAL, status TEXT NOT NULL, reason TEXT, action TEXT, summary TEXT,"
    " reasoning TEXT, title TEXT, content TEXT, post_id INTEGER, vote_direction TEXT,"
    " actions_json TEXT, ledger_table TEXT, ledger_id INTEGER, error TEXT, model TEXT,"
    " options_json TEXT, prompt TEXT, prompt_sha256 TEXT, raw_response TEXT,"
    " prompt_tokens INTEGER, eval_tokens INTEGER, total_duration_ns INTEGER,"
    " load_duration_ns INTEGER, eval_duration_ns INTEGER, llm_wall_us INTEGER,"
    " dry_run INTEGER NOT NULL DEFAULT 0, notify INTEGER NOT NULL DEFAULT 0, fingerprint TEXT)" },
  { LIVES_MAIN, NULL,
    "CREATE INDEX IF NOT EXISTS %s.idx_heartbeat_runs_thread"
    " ON heartbeat_runs (thread_id, started_at DESC)" },
};

typedef struct {
  const char *table;
  const char *column;
  const char *type;
} AddedColumn;

/* Columns CRT added later or that the heartbeat adds: checked one by one with table_info. */
static const AddedColumn v1_columns[] = {
  { "thread_sessions", "heartbeat_config_json", "TEXT" },
  { "thread_sessions", "heartbeat_last_run", "REAL" },
  { "thread_sessions", "heartbeat_last_summary", "TEXT" },
  { "thread_sessions", "heartbeat_last_actions_json", "TEXT" },
  { "thread_sessions", "heartbeat_next_due", "REAL" },
  { "molt_posts", "heartbeat_run_id", "TEXT" },
  { "molt_comments", "heartbeat_run_id", "TEXT" },
  { "molt_votes", "heartbeat_run_id", "TEXT" },
};

/* The ledger row carries its run: a retry or a crash can never write a second row for a run. */
static const char *const v1_indexes[] = {
  "CREATE UNIQUE INDEX IF NOT EXISTS %s.idx_molt_posts_heartbeat_run ON molt_posts (heartbeat_run_id)",
  "CREATE UNIQUE INDEX IF NOT EXISTS %s.idx_molt_comments_heartbeat_run ON molt_comments (heartbeat_run_id)",
  "CREATE UNIQUE INDEX IF NOT EXISTS %s.idx_molt_votes_heartbeat_run ON molt_votes (heartbeat_run_id)",
};

/* Version 2: indexes for the reads every run makes (the thread's messages, memories and newest
 * runs, the feed and its comment counts), so that a run costs the same with a large history as
 * with an empty one. Only indexes: CRT's rows and columns stay as they are. */
static const SchemaStatement v2_indexes[] = {
  { LIVES_MAIN, NULL,
    "CREATE INDEX IF NOT EXISTS %s.idx_recent_queries_thread ON recent_queries (thread_id, id)" },
  { LIVES_MAIN, NULL,
    "CREATE INDEX IF NOT EXISTS %s.idx_molt_posts_created ON molt_posts (created_at, id)" },
  { LIVES_MAIN, NULL,
    "CREATE INDEX IF NOT EXISTS %s.idx_molt_comments_post ON molt_comments (post_id)" },
  { LIVES_MAIN, NULL,
    "CREATE INDEX IF NOT EXISTS %s.idx_heartbeat_runs_thread_finished"
    " ON heartbeat_runs (thread_id, finished_at)" },
  { LIVES_MEMORY, NULL,
    "CREATE INDEX IF NOT EXISTS %s.idx_memories_thread ON memories (thread_id, timestamp)" },
};

static const char *
lives_schema (HbStore *self, Lives lives)
{
  switch (lives)
    {
    case LIVES_LEDGER:
      return self->ledger_schema;
    case LIVES_MEMORY:
      return self->memory_schema;
    case LIVES_MAIN:
    default:
      return "main";
    }
}

static gboolean
exec_printf (HbStore *self, GError **error, const char *fmt, ...) G_GNUC_PRINTF (3, 4);

static gboolean
exec_printf (HbStore *self, GError **error, const char *fmt, ...)
{
  g_autofree char *sql = NULL;
  va_list ap;

  va_start (ap, fmt);
  sql = g_strdup_vprintf (fmt, ap);
  va_end (ap);
  return hb_db_exec (self, sql, error);
}

/* The column names of @schema.@table (empty when the table does not exist). */
static GHashTable *
table_columns (HbStore *self, const char *schema, const char *table, GError **error)
{
  g_autofree char *sql = g_strdup_printf ("PRAGMA %s.table_info(%s)", schema, table);
  g_autoptr(sqlite3_stmt) stmt = hb_db_prepare (self, sql, error);
  g_autoptr(GHashTable) cols = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, NULL);
  int rc;

  if (stmt == NULL)
    return NULL;
  while ((rc = hb_db_step (self, stmt, error)) == SQLITE_ROW)
    g_hash_table_add (cols, g_ascii_strdown ((const char *) sqlite3_column_text (stmt, 1), -1));
  if (rc < 0)
    return NULL;
  return g_steal_pointer (&cols);
}

static gboolean
user_version (HbStore *self, const char *schema, gint64 *out, GError **error)
{
  g_autofree char *sql = g_strdup_printf ("PRAGMA %s.user_version", schema);
  double v = 0;

  if (!hb_db_scalar (self, &v, error, sql, NULL))
    return FALSE;
  *out = (gint64) v;
  return TRUE;
}

typedef struct {
  const char *schema;
} MigrateTarget;

/* The statements of @list that belong in @schema, in order. */
static gboolean
exec_statements (HbStore *self, const char *schema, const SchemaStatement *list, guint n,
                 GError **error)
{
  for (guint i = 0; i < n; i++)
    {
      if (g_strcmp0 (lives_schema (self, list[i].lives), schema) != 0)
        continue;
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wformat-nonliteral"
      if (!exec_printf (self, error, list[i].sql, schema))
        return FALSE;
#pragma GCC diagnostic pop
    }
  return TRUE;
}

static gboolean
migrate_v1 (HbStore *self, gpointer data, GError **error)
{
  const MigrateTarget *t = data;

  if (!exec_statements (self, t->schema, v1_tables, G_N_ELEMENTS (v1_tables), error))
    return FALSE;

  if (!g_str_equal (t->schema, "main"))
    return exec_printf (self, error, "PRAGMA %s.user_version = 1", t->schema);

  for (guint i = 0; i < G_N_ELEMENTS (v1_columns); i++)
    {
      const AddedColumn *c = &v1_columns[i];
      g_autoptr(GHashTable) cols = table_columns (self, "main", c->table, error);

      if (cols == NULL)
        return FALSE;
      if (g_hash_table_contains (cols, c->column))
        continue;
      if (!exec_printf (self, error, "ALTER TABLE main.%s ADD COLUMN %s %s",
                        c->table, c->column, c->type))
        return FALSE;
    }
  for (guint i = 0; i < G_N_ELEMENTS (v1_indexes); i++)
    {
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wformat-nonliteral"
      if (!exec_printf (self, error, v1_indexes[i], "main"))
        return FALSE;
#pragma GCC diagnostic pop
    }
  return exec_printf (self, error, "PRAGMA main.user_version = 1");
}

static gboolean
migrate_v2 (HbStore *self, gpointer data, GError **error)
{
  const MigrateTarget *t = data;

  if (!exec_statements (self, t->schema, v2_indexes, G_N_ELEMENTS (v2_indexes), error))
    return FALSE;
  return exec_printf (self, error, "PRAGMA %s.user_version = 2", t->schema);
}

/* A file at the current version can still miss tables: one that was attached at the last
 * start holds contradictions or memories, and this time it is not attached. */
static gboolean
schema_complete (HbStore *self, const char *schema, gboolean *complete, GError **error)
{
  g_autofree char *sql = g_strdup_printf ("SELECT COUNT(*) FROM %s.sqlite_master"
                                          " WHERE type = 'table' AND name = ?1", schema);

  *complete = TRUE;
  for (guint i = 0; i < G_N_ELEMENTS (v1_tables); i++)
    {
      double n = 0;

      if (v1_tables[i].table == NULL ||
          !g_str_equal (lives_schema (self, v1_tables[i].lives), schema))
        continue;
      if (!hb_db_scalar (self, &n, error, sql, "t", v1_tables[i].table))
        return FALSE;
      if (n == 0)
        *complete = FALSE;
    }
  return TRUE;
}

static gboolean
migrate_schema (HbStore *self, const char *schema, GError **error)
{
  MigrateTarget target = { schema };
  gint64 version = 0;
  gboolean complete = TRUE;

  if (!user_version (self, schema, &version, error))
    return FALSE;
  if (version > HB_STORE_SCHEMA_VERSION)
    {
      g_set_error (error, HB_ERROR, HB_ERROR_DB,
                   "Database %s has schema version %" G_GINT64_FORMAT
                   ", newer than this daemon knows (%d)",
                   schema, version, HB_STORE_SCHEMA_VERSION);
      return FALSE;
    }
  if (version >= 1 && !schema_complete (self, schema, &complete, error))
    return FALSE;
  if (version < 1 || !complete)
    {
      g_debug ("migrating %s to schema version 1", schema);
      if (!hb_db_transact (self, TRUE, migrate_v1, &target, error))
        return FALSE;
    }
  if (version < 2 || !complete)
    {
      g_debug ("migrating %s to schema version 2", schema);
      if (!hb_db_transact (self, TRUE, migrate_v2, &target, error))
        return FALSE;
    }
  return TRUE;
}

gboolean
hb_store_schema_migrate (HbStore *self, GError **error)
{
  if (!migrate_schema (self, "main", error))
    return FALSE;
  if (!g_str_equal (self->ledger_schema, "main") && !migrate_schema (self, "ledger", error))
    return FALSE;
  if (!g_str_equal (self->memory_schema, "main") && !migrate_schema (self, "memory", error))
    return FALSE;
  return TRUE;
}

gboolean
hb_store_schema_detect (HbStore *self, GError **error)
{
  g_autoptr(GHashTable) cols = table_columns (self, self->memory_schema, "memories", error);

  if (cols == NULL)
    return FALSE;
  self->memories_have_slot = g_hash_table_contains (cols, "slot") &&
                             g_hash_table_contains (cols, "value");
  g_debug ("memories table: %s", self->memories_have_slot ? "slot/value" : "text only (CRT)");
  return TRUE;
}
