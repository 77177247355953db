/* test-faults-input.c: F4 over D-Bus. Every method and writable property of the Manager and
 * Thread interfaces is called with wrong types (raw calls, so that the daemon sees the wrong
 * signature), out-of-range and oversized values and odd thread ids. Each call must get a named
 * D-Bus error, the daemon must keep answering, and the database (every row of every table) and
 * HEARTBEAT.md must be as they were. */
#include "config.h"

#include <math.h>
#include <string.h>

#include "test-faults-common.h"

#define THREAD_PATH HB_TEST_THREADS_PATH "/t1"
#define PROPS "org.freedesktop.DBus.Properties"
#define E_ARGS "org.freedesktop.DBus.Error.InvalidArgs"
#define E_METHOD "org.freedesktop.DBus.Error.UnknownMethod"
/* GDBus itself refuses writes to read-only properties, with InvalidArgs ("Property X is not
 * writable"), and Properties calls of a wrong signature as an unknown method. */
#define E_RO E_ARGS
#define E_THREAD "org.crt.Heartbeat1.Error.UnknownThread"
#define E_INSTR "org.crt.Heartbeat1.Error.InvalidInstructions"

#define BIG_STRING (10 * 1024 * 1024)
#define BIG_DICT 100000

/* A call: where, what, the parameters in GVariant text format (NULL: none), and the error. */
typedef struct {
  const char *path;
  const char *iface;
  const char *method;
  const char *params;
  const char *error;
} BadCall;

static const BadCall bad_calls[] = {
  /* Manager methods with wrong signatures */
  { HB_TEST_MANAGER_PATH, HB_TEST_MANAGER_IFACE, "Start", "('x',)", E_ARGS },
  { HB_TEST_MANAGER_PATH, HB_TEST_MANAGER_IFACE, "Stop", "(int32 1,)", E_ARGS },
  { HB_TEST_MANAGER_PATH, HB_TEST_MANAGER_IFACE, "RunNow", NULL, E_ARGS },
  { HB_TEST_MANAGER_PATH, HB_TEST_MANAGER_IFACE, "RunNow", "(uint32 1,)", E_ARGS },
  { HB_TEST_MANAGER_PATH, HB_TEST_MANAGER_IFACE, "RunNow", "('t1', 't1')", E_ARGS },
  { HB_TEST_MANAGER_PATH, HB_TEST_MANAGER_IFACE, "RunNow", "(['t1'],)", E_ARGS },
  { HB_TEST_MANAGER_PATH, HB_TEST_MANAGER_IFACE, "RunNow", "(<'t1'>,)", E_ARGS },
  { HB_TEST_MANAGER_PATH, HB_TEST_MANAGER_IFACE, "AddThread", NULL, E_ARGS },
  { HB_TEST_MANAGER_PATH, HB_TEST_MANAGER_IFACE, "AddThread", "(objectpath '/t1',)", E_ARGS },
  { HB_TEST_MANAGER_PATH, HB_TEST_MANAGER_IFACE, "AddThread", "(b'bytes',)", E_ARGS },
  { HB_TEST_MANAGER_PATH, HB_TEST_MANAGER_IFACE, "GetThread", "(true,)", E_ARGS },
  { HB_TEST_MANAGER_PATH, HB_TEST_MANAGER_IFACE, "ListThreads", "('x',)", E_ARGS },
  { HB_TEST_MANAGER_PATH, HB_TEST_MANAGER_IFACE, "GetHeartbeatMd", "(uint64 0,)", E_ARGS },
  { HB_TEST_MANAGER_PATH, HB_TEST_MANAGER_IFACE, "SetHeartbeatMd", NULL, E_ARGS },
  { HB_TEST_MANAGER_PATH, HB_TEST_MANAGER_IFACE, "SetHeartbeatMd", "(int32 5,)", E_ARGS },
  { HB_TEST_MANAGER_PATH, HB_TEST_MANAGER_IFACE, "SetHeartbeatMd", "(b'# md',)", E_ARGS },
  { HB_TEST_MANAGER_PATH, HB_TEST_MANAGER_IFACE, "Frobnicate", NULL, E_METHOD },
  /* odd thread ids */
  { HB_TEST_MANAGER_PATH, HB_TEST_MANAGER_IFACE, "RunNow", "('',)", E_ARGS },
  { HB_TEST_MANAGER_PATH, HB_TEST_MANAGER_IFACE, "RunNow", "('a\\u0001b',)", E_ARGS },
  { HB_TEST_MANAGER_PATH, HB_TEST_MANAGER_IFACE, "RunNow", "('t1\\n',)", E_ARGS },
  { HB_TEST_MANAGER_PATH, HB_TEST_MANAGER_IFACE, "RunNow", "('\\u001b[2J',)", E_ARGS },
  { HB_TEST_MANAGER_PATH, HB_TEST_MANAGER_IFACE, "RunNow", "('/',)", E_THREAD },
  { HB_TEST_MANAGER_PATH, HB_TEST_MANAGER_IFACE, "RunNow", "('..',)", E_THREAD },
  { HB_TEST_MANAGER_PATH, HB_TEST_MANAGER_IFACE, "RunNow", "('../../etc/passwd',)", E_THREAD },
  { HB_TEST_MANAGER_PATH, HB_TEST_MANAGER_IFACE, "RunNow", "('%00',)", E_THREAD },
  { HB_TEST_MANAGER_PATH, HB_TEST_MANAGER_IFACE, "RunNow", "('t1 ',)", E_THREAD },
  { HB_TEST_MANAGER_PATH, HB_TEST_MANAGER_IFACE, "RunNow", "('_74_31',)", E_THREAD },
  { HB_TEST_MANAGER_PATH, HB_TEST_MANAGER_IFACE, "RunNow", "('\\u202et1',)", E_THREAD },
  { HB_TEST_MANAGER_PATH, HB_TEST_MANAGER_IFACE, "GetThread", "('',)", E_THREAD },
  { HB_TEST_MANAGER_PATH, HB_TEST_MANAGER_IFACE, "GetThread", "('/',)", E_THREAD },
  { HB_TEST_MANAGER_PATH, HB_TEST_MANAGER_IFACE, "GetThread", "('..',)", E_THREAD },
  { HB_TEST_MANAGER_PATH, HB_TEST_MANAGER_IFACE, "GetThread", "('%00',)", E_THREAD },
  { HB_TEST_MANAGER_PATH, HB_TEST_MANAGER_IFACE, "AddThread", "('',)", E_ARGS },
  { HB_TEST_MANAGER_PATH, HB_TEST_MANAGER_IFACE, "AddThread", "('a\\u0001b',)", E_ARGS },
  { HB_TEST_MANAGER_PATH, HB_TEST_MANAGER_IFACE, "AddThread", "('\\t',)", E_ARGS },
  { HB_TEST_MANAGER_PATH, HB_TEST_MANAGER_IFACE, "AddThread", "('x\\u007f',)", E_ARGS },
  /* Manager properties: all read-only */
  { HB_TEST_MANAGER_PATH, PROPS, "Set", "('org.crt.Heartbeat1.Manager', 'Enabled', <false>)", E_RO },
  { HB_TEST_MANAGER_PATH, PROPS, "Set", "('org.crt.Heartbeat1.Manager', 'MaxConcurrent', <uint32 0>)", E_RO },
  { HB_TEST_MANAGER_PATH, PROPS, "Set", "('org.crt.Heartbeat1.Manager', 'BackendUrl', <'http://evil'>)", E_RO },
  { HB_TEST_MANAGER_PATH, PROPS, "Set", "('org.crt.Heartbeat1.Manager', 'Version', <'x'>)", E_RO },
  { HB_TEST_MANAGER_PATH, PROPS, "Set", "('org.crt.Heartbeat1.Manager', 'Nope', <1>)", E_ARGS },
  { HB_TEST_MANAGER_PATH, PROPS, "Set", "('org.crt.Heartbeat1.Manager', 'Enabled')", E_METHOD },
  { HB_TEST_MANAGER_PATH, PROPS, "Get", "('org.crt.Heartbeat1.Manager', 'Nope')", E_ARGS },
  { HB_TEST_MANAGER_PATH, PROPS, "Get", "(uint32 1, 'Version')", E_METHOD },
  { HB_TEST_MANAGER_PATH, PROPS, "GetAll", "(true,)", E_METHOD },
  /* Thread methods with wrong signatures and values */
  { THREAD_PATH, HB_TEST_THREAD_IFACE, "RunNow", "('t1',)", E_ARGS },
  { THREAD_PATH, HB_TEST_THREAD_IFACE, "SetConfig", NULL, E_ARGS },
  { THREAD_PATH, HB_TEST_THREAD_IFACE, "SetConfig", "('every',)", E_ARGS },
  { THREAD_PATH, HB_TEST_THREAD_IFACE, "SetConfig", "({'every': 'x'},)", E_ARGS },
  { THREAD_PATH, HB_TEST_THREAD_IFACE, "SetConfig", "({'every': <uint32 60>}, 1)", E_ARGS },
  { THREAD_PATH, HB_TEST_THREAD_IFACE, "ResetConfig", "(true,)", E_ARGS },
  { THREAD_PATH, HB_TEST_THREAD_IFACE, "Preview", "(uint32 1,)", E_ARGS },
  { THREAD_PATH, HB_TEST_THREAD_IFACE, "GetHistory", NULL, E_ARGS },
  { THREAD_PATH, HB_TEST_THREAD_IFACE, "GetHistory", "(int32 -1,)", E_ARGS },
  { THREAD_PATH, HB_TEST_THREAD_IFACE, "GetHistory", "('10',)", E_ARGS },
  { THREAD_PATH, HB_TEST_THREAD_IFACE, "GetHistory", "(uint32 1001,)", E_ARGS },
  { THREAD_PATH, HB_TEST_THREAD_IFACE, "GetHistory", "(uint32 4294967295,)", E_ARGS },
  { THREAD_PATH, HB_TEST_THREAD_IFACE, "Frobnicate", NULL, E_METHOD },
  /* SetConfig: unknown keys, wrong types for every key, out-of-range values */
  { THREAD_PATH, HB_TEST_THREAD_IFACE, "SetConfig", "({'bogus': <1>},)", E_ARGS },
  { THREAD_PATH, HB_TEST_THREAD_IFACE, "SetConfig", "({'Every': <uint32 600>},)", E_ARGS },
  { THREAD_PATH, HB_TEST_THREAD_IFACE, "SetConfig", "({'enabled': <'yes'>},)", E_ARGS },
  { THREAD_PATH, HB_TEST_THREAD_IFACE, "SetConfig", "({'enabled': <uint32 1>},)", E_ARGS },
  { THREAD_PATH, HB_TEST_THREAD_IFACE, "SetConfig", "({'every': <true>},)", E_ARGS },
  { THREAD_PATH, HB_TEST_THREAD_IFACE, "SetConfig", "({'every': <600.0>},)", E_ARGS },
  { THREAD_PATH, HB_TEST_THREAD_IFACE, "SetConfig", "({'every': <<uint32 600>>},)", E_ARGS },
  { THREAD_PATH, HB_TEST_THREAD_IFACE, "SetConfig", "({'every': <uint32 0>},)", E_ARGS },
  { THREAD_PATH, HB_TEST_THREAD_IFACE, "SetConfig", "({'every': <uint32 59>},)", E_ARGS },
  { THREAD_PATH, HB_TEST_THREAD_IFACE, "SetConfig", "({'every': <uint32 86401>},)", E_ARGS },
  { THREAD_PATH, HB_TEST_THREAD_IFACE, "SetConfig", "({'every': <uint32 4294967295>},)", E_ARGS },
  { THREAD_PATH, HB_TEST_THREAD_IFACE, "SetConfig", "({'every': <uint64 18446744073709551615>},)", E_ARGS },
  { THREAD_PATH, HB_TEST_THREAD_IFACE, "SetConfig", "({'every': <int64 -9223372036854775808>},)", E_ARGS },
  { THREAD_PATH, HB_TEST_THREAD_IFACE, "SetConfig", "({'every': <int32 -600>},)", E_ARGS },
  { THREAD_PATH, HB_TEST_THREAD_IFACE, "SetConfig", "({'every': <'0s'>},)", E_ARGS },
  { THREAD_PATH, HB_TEST_THREAD_IFACE, "SetConfig", "({'every': <'-5m'>},)", E_ARGS },
  { THREAD_PATH, HB_TEST_THREAD_IFACE, "SetConfig", "({'every': <'99999999999999999999h'>},)", E_ARGS },
  { THREAD_PATH, HB_TEST_THREAD_IFACE, "SetConfig", "({'every': <''>},)", E_ARGS },
  { THREAD_PATH, HB_TEST_THREAD_IFACE, "SetConfig", "({'target': <uint32 1>},)", E_ARGS },
  { THREAD_PATH, HB_TEST_THREAD_IFACE, "SetConfig", "({'target': <'everyone'>},)", E_ARGS },
  { THREAD_PATH, HB_TEST_THREAD_IFACE, "SetConfig", "({'target': <'last\\n'>},)", E_ARGS },
  { THREAD_PATH, HB_TEST_THREAD_IFACE, "SetConfig", "({'model': <int32 3>},)", E_ARGS },
  { THREAD_PATH, HB_TEST_THREAD_IFACE, "SetConfig", "({'model': <'llama\\u0001'>},)", E_ARGS },
  { THREAD_PATH, HB_TEST_THREAD_IFACE, "SetConfig", "({'max_tokens': <'500'>},)", E_ARGS },
  { THREAD_PATH, HB_TEST_THREAD_IFACE, "SetConfig", "({'max_tokens': <500.0>},)", E_ARGS },
  { THREAD_PATH, HB_TEST_THREAD_IFACE, "SetConfig", "({'max_tokens': <uint32 9>},)", E_ARGS },
  { THREAD_PATH, HB_TEST_THREAD_IFACE, "SetConfig", "({'max_tokens': <uint32 4001>},)", E_ARGS },
  { THREAD_PATH, HB_TEST_THREAD_IFACE, "SetConfig", "({'max_tokens': <uint64 18446744073709551615>},)", E_ARGS },
  { THREAD_PATH, HB_TEST_THREAD_IFACE, "SetConfig", "({'temperature': <'0.5'>},)", E_ARGS },
  { THREAD_PATH, HB_TEST_THREAD_IFACE, "SetConfig", "({'temperature': <uint32 1>},)", E_ARGS },
  { THREAD_PATH, HB_TEST_THREAD_IFACE, "SetConfig", "({'temperature': <-0.001>},)", E_ARGS },
  { THREAD_PATH, HB_TEST_THREAD_IFACE, "SetConfig", "({'temperature': <1.0001>},)", E_ARGS },
  { THREAD_PATH, HB_TEST_THREAD_IFACE, "SetConfig", "({'temperature': <1e308>},)", E_ARGS },
  { THREAD_PATH, HB_TEST_THREAD_IFACE, "SetConfig", "({'dry_run': <'true'>},)", E_ARGS },
  { THREAD_PATH, HB_TEST_THREAD_IFACE, "SetConfig", "({'active_hours_start': <uint32 9>},)", E_ARGS },
  { THREAD_PATH, HB_TEST_THREAD_IFACE, "SetConfig", "({'active_hours_start': <'25:00'>, 'active_hours_end': <'26:00'>},)", E_ARGS },
  { THREAD_PATH, HB_TEST_THREAD_IFACE, "SetConfig", "({'active_hours_start': <'24:00'>, 'active_hours_end': <'08:00'>},)", E_ARGS },
  { THREAD_PATH, HB_TEST_THREAD_IFACE, "SetConfig", "({'active_hours_start': <'09:00'>, 'active_hours_end': <'09:00'>},)", E_ARGS },
  { THREAD_PATH, HB_TEST_THREAD_IFACE, "SetConfig", "({'active_hours_start': <'9:60'>, 'active_hours_end': <'10:00'>},)", E_ARGS },
  { THREAD_PATH, HB_TEST_THREAD_IFACE, "SetConfig", "({'active_hours_end': <'10:00'>},)", E_ARGS },
  { THREAD_PATH, HB_TEST_THREAD_IFACE, "SetConfig", "({'timezone': <'Mars/Olympus_Mons'>},)", E_ARGS },
  { THREAD_PATH, HB_TEST_THREAD_IFACE, "SetConfig", "({'timezone': <'../../../etc/passwd'>},)", E_ARGS },
  { THREAD_PATH, HB_TEST_THREAD_IFACE, "SetConfig", "({'timezone': <'Europe/Berlin\\n'>},)", E_ARGS },
  { THREAD_PATH, HB_TEST_THREAD_IFACE, "SetConfig", "({'timezone': <int32 1>},)", E_ARGS },
  /* all or nothing: a valid change next to an invalid one changes nothing */
  { THREAD_PATH, HB_TEST_THREAD_IFACE, "SetConfig", "({'every': <uint32 120>, 'max_tokens': <uint32 1>},)", E_ARGS },
  { THREAD_PATH, HB_TEST_THREAD_IFACE, "SetConfig", "({'dry_run': <true>, 'bogus': <1>},)", E_ARGS },
  /* Thread properties: wrong types, out of range, read-only, unknown */
  { THREAD_PATH, PROPS, "Set", "('org.crt.Heartbeat1.Thread', 'Enabled', <'yes'>)", E_ARGS },
  { THREAD_PATH, PROPS, "Set", "('org.crt.Heartbeat1.Thread', 'Every', <'600'>)", E_ARGS },
  { THREAD_PATH, PROPS, "Set", "('org.crt.Heartbeat1.Thread', 'Every', <int64 600>)", E_ARGS },
  { THREAD_PATH, PROPS, "Set", "('org.crt.Heartbeat1.Thread', 'Every', <uint32 0>)", E_ARGS },
  { THREAD_PATH, PROPS, "Set", "('org.crt.Heartbeat1.Thread', 'Every', <uint32 4294967295>)", E_ARGS },
  { THREAD_PATH, PROPS, "Set", "('org.crt.Heartbeat1.Thread', 'Target', <uint32 1>)", E_ARGS },
  { THREAD_PATH, PROPS, "Set", "('org.crt.Heartbeat1.Thread', 'Target', <'all'>)", E_ARGS },
  { THREAD_PATH, PROPS, "Set", "('org.crt.Heartbeat1.Thread', 'Model', <['x']>)", E_ARGS },
  { THREAD_PATH, PROPS, "Set", "('org.crt.Heartbeat1.Thread', 'MaxTokens', <0.5>)", E_ARGS },
  { THREAD_PATH, PROPS, "Set", "('org.crt.Heartbeat1.Thread', 'MaxTokens', <uint32 0>)", E_ARGS },
  { THREAD_PATH, PROPS, "Set", "('org.crt.Heartbeat1.Thread', 'MaxTokens', <uint32 4294967295>)", E_ARGS },
  { THREAD_PATH, PROPS, "Set", "('org.crt.Heartbeat1.Thread', 'Temperature', <'hot'>)", E_ARGS },
  { THREAD_PATH, PROPS, "Set", "('org.crt.Heartbeat1.Thread', 'Temperature', <uint32 1>)", E_ARGS },
  { THREAD_PATH, PROPS, "Set", "('org.crt.Heartbeat1.Thread', 'Temperature', <2.0>)", E_ARGS },
  { THREAD_PATH, PROPS, "Set", "('org.crt.Heartbeat1.Thread', 'DryRun', <int32 1>)", E_ARGS },
  { THREAD_PATH, PROPS, "Set", "('org.crt.Heartbeat1.Thread', 'ActiveHoursStart', <'noon'>)", E_ARGS },
  { THREAD_PATH, PROPS, "Set", "('org.crt.Heartbeat1.Thread', 'ActiveHoursStart', <'09:00'>)", E_ARGS },
  { THREAD_PATH, PROPS, "Set", "('org.crt.Heartbeat1.Thread', 'ActiveHoursEnd', <uint32 9>)", E_ARGS },
  { THREAD_PATH, PROPS, "Set", "('org.crt.Heartbeat1.Thread', 'TimeZone', <'Nowhere/Land'>)", E_ARGS },
  { THREAD_PATH, PROPS, "Set", "('org.crt.Heartbeat1.Thread', 'ThreadId', <'t2'>)", E_RO },
  { THREAD_PATH, PROPS, "Set", "('org.crt.Heartbeat1.Thread', 'Running', <true>)", E_RO },
  { THREAD_PATH, PROPS, "Set", "('org.crt.Heartbeat1.Thread', 'LastRun', <uint64 0>)", E_RO },
  { THREAD_PATH, PROPS, "Set", "('org.crt.Heartbeat1.Thread', 'LastStatus', <'acted'>)", E_RO },
  { THREAD_PATH, PROPS, "Set", "('org.crt.Heartbeat1.Thread', 'Nope', <1>)", E_ARGS },
  { THREAD_PATH, PROPS, "Set", "('org.crt.Heartbeat1.Manager', 'Enabled', <true>)", E_ARGS },
  { THREAD_PATH, PROPS, "Get", "('org.crt.Heartbeat1.Thread', 'Nope')", E_ARGS },
  { THREAD_PATH, PROPS, "Set", "('org.crt.Heartbeat1.Thread', 'Every')", E_METHOD },
  /* objects that do not exist */
  { HB_TEST_THREADS_PATH "/nobody", HB_TEST_THREAD_IFACE, "RunNow", NULL, E_METHOD },
  { HB_TEST_THREADS_PATH "/_2e_2e", PROPS, "Set", "('org.crt.Heartbeat1.Thread', 'Every', <uint32 600>)", E_METHOD },
  { "/org/crt/Heartbeat/nothing", HB_TEST_MANAGER_IFACE, "RunNow", "('t1',)", E_METHOD },
  { HB_TEST_MANAGER_PATH, "org.crt.Heartbeat1.Nope", "RunNow", "('t1',)", E_METHOD },
};

/* ---- oversized values, built rather than parsed ------------------------------------------------ */

static GVariant *
big_string (gsize len)
{
  char *s = g_malloc (len + 1);

  memset (s, 'a', len);
  s[len] = '\0';
  return g_variant_new_take_string (s);
}

/* @n entries: all but the last valid ("dry_run": false over and over), the last @last. */
static GVariant *
big_dict (guint n, const char *last_key, GVariant *last)
{
  GVariantBuilder b;

  g_variant_builder_init (&b, G_VARIANT_TYPE_VARDICT);
  for (guint i = 0; i + 1 < n; i++)
    {
      g_autofree char *key = g_strdup_printf ("k%u", i);

      g_variant_builder_add (&b, "{sv}", key, g_variant_new_boolean (FALSE));
    }
  g_variant_builder_add (&b, "{sv}", last_key, last);
  return g_variant_builder_end (&b);
}

static GVariant *
set_prop (const char *name, GVariant *value)
{
  return g_variant_new ("(ssv)", HB_TEST_THREAD_IFACE, name, value);
}

typedef struct {
  const char *what;
  const char *path;
  const char *iface;
  const char *method;
  GVariant *(*build) (void);
  const char *error;
} BuiltCall;

static GVariant *b_md_10mb (void) { return g_variant_new ("(@s)", big_string (BIG_STRING)); }
static GVariant *b_md_64k1 (void) { return g_variant_new ("(@s)", big_string (64 * 1024 + 1)); }
static GVariant *b_id_2kb (void) { return g_variant_new ("(@s)", big_string (2048)); }
static GVariant *b_id_10mb (void) { return g_variant_new ("(@s)", big_string (BIG_STRING)); }
static GVariant *b_model_10mb (void) { return set_prop ("Model", big_string (BIG_STRING)); }
static GVariant *b_tz_10mb (void) { return set_prop ("TimeZone", big_string (BIG_STRING)); }
static GVariant *b_nan (void) { return set_prop ("Temperature", g_variant_new_double (NAN)); }
static GVariant *b_inf (void) { return set_prop ("Temperature", g_variant_new_double (INFINITY)); }
static GVariant *b_ninf (void) { return set_prop ("Temperature", g_variant_new_double (-INFINITY)); }

static GVariant *
b_cfg_nan (void)
{
  return g_variant_new ("(@a{sv})", big_dict (1, "temperature", g_variant_new_double (NAN)));
}

static GVariant *
b_cfg_target_10mb (void)
{
  return g_variant_new ("(@a{sv})", big_dict (1, "target", big_string (BIG_STRING)));
}

static GVariant *
b_cfg_unknown_100k (void)
{
  return g_variant_new ("(@a{sv})", big_dict (BIG_DICT, "k-last", g_variant_new_boolean (TRUE)));
}

/* 100k valid changes of one key, then one bad value for it: all or nothing. */
static GVariant *
b_cfg_repeat_100k (void)
{
  GVariantBuilder b;

  g_variant_builder_init (&b, G_VARIANT_TYPE_VARDICT);
  for (guint i = 0; i < BIG_DICT; i++)
    g_variant_builder_add (&b, "{sv}", "dry_run", g_variant_new_boolean (i % 2 == 0));
  g_variant_builder_add (&b, "{sv}", "every", g_variant_new_uint32 (1));
  return g_variant_new ("(@a{sv})", g_variant_builder_end (&b));
}

static const BuiltCall built_calls[] = {
  { "SetHeartbeatMd 10 MB", HB_TEST_MANAGER_PATH, HB_TEST_MANAGER_IFACE, "SetHeartbeatMd",
    b_md_10mb, E_INSTR },
  { "SetHeartbeatMd 64 KiB + 1", HB_TEST_MANAGER_PATH, HB_TEST_MANAGER_IFACE, "SetHeartbeatMd",
    b_md_64k1, E_INSTR },
  { "RunNow 2 KB id", HB_TEST_MANAGER_PATH, HB_TEST_MANAGER_IFACE, "RunNow", b_id_2kb, E_ARGS },
  { "AddThread 2 KB id", HB_TEST_MANAGER_PATH, HB_TEST_MANAGER_IFACE, "AddThread", b_id_2kb,
    E_ARGS },
  { "AddThread 10 MB id", HB_TEST_MANAGER_PATH, HB_TEST_MANAGER_IFACE, "AddThread", b_id_10mb,
    E_ARGS },
  { "GetThread 10 MB id", HB_TEST_MANAGER_PATH, HB_TEST_MANAGER_IFACE, "GetThread", b_id_10mb,
    E_THREAD },
  { "Model 10 MB", THREAD_PATH, PROPS, "Set", b_model_10mb, E_ARGS },
  { "TimeZone 10 MB", THREAD_PATH, PROPS, "Set", b_tz_10mb, E_ARGS },
  { "Temperature NaN", THREAD_PATH, PROPS, "Set", b_nan, E_ARGS },
  { "Temperature inf", THREAD_PATH, PROPS, "Set", b_inf, E_ARGS },
  { "Temperature -inf", THREAD_PATH, PROPS, "Set", b_ninf, E_ARGS },
  { "SetConfig temperature NaN", THREAD_PATH, HB_TEST_THREAD_IFACE, "SetConfig", b_cfg_nan,
    E_ARGS },
  { "SetConfig target 10 MB", THREAD_PATH, HB_TEST_THREAD_IFACE, "SetConfig", b_cfg_target_10mb,
    E_ARGS },
  { "SetConfig 100k unknown keys", THREAD_PATH, HB_TEST_THREAD_IFACE, "SetConfig",
    b_cfg_unknown_100k, E_ARGS },
  { "SetConfig 100k valid + 1 bad", THREAD_PATH, HB_TEST_THREAD_IFACE, "SetConfig",
    b_cfg_repeat_100k, E_ARGS },
};

/* ---- the test -------------------------------------------------------------------------------- */

/* Call and return the remote error's name (NULL when it succeeded). */
static char *
call_error (GDBusConnection *conn, const char *path, const char *iface, const char *method,
            GVariant *params, char **message)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(GVariant) reply = NULL;

  reply = g_dbus_connection_call_sync (conn, HB_TEST_BUS_NAME, path, iface, method, params, NULL,
                                       G_DBUS_CALL_FLAGS_NO_AUTO_START, 60000, NULL, &error);
  if (reply != NULL)
    return NULL;
  *message = g_strndup (error->message, 200);
  if (!g_dbus_error_is_remote_error (error))
    return g_strdup ("(not a D-Bus error)");
  return g_dbus_error_get_remote_error (error);
}

static void
check_call (GDBusConnection *conn, GString *problems, const char *what, const char *path,
            const char *iface, const char *method, GVariant *params, const char *want)
{
  g_autofree char *message = NULL;
  g_autofree char *name = call_error (conn, path, iface, method, params, &message);

  g_test_message ("%s.%s %s -> %s %s", iface, method, what, name != NULL ? name : "(success)",
                  message != NULL ? message : "");
  if (g_strcmp0 (name, want) != 0)
    g_string_append_printf (problems, "%s %s.%s %s: %s (%s), expected %s\n", path, iface, method,
                            what, name != NULL ? name : "success", message != NULL ? message : "",
                            want);
}

static char *
read_md (HbTestEnv *env)
{
  g_autofree char *path = g_build_filename (hb_test_env_get_workspace (env), "HEARTBEAT.md", NULL);
  char *text = NULL;

  g_assert_true (g_file_get_contents (path, &text, NULL, NULL));
  return text;
}

static void
test_bad_dbus_input (void)
{
  g_autoptr(HbTestEnv) env = hb_test_env_new (NULL);
  g_autoptr(GError) error = NULL;
  g_autoptr(FaultsRuns) runs = NULL;
  g_autoptr(GString) problems = g_string_new (NULL);
  g_autofree char *md_path = g_build_filename (hb_test_env_get_workspace (env), "HEARTBEAT.md",
                                               NULL);
  g_autofree char *run_id = NULL;
  g_autofree char *before = NULL;
  g_autofree char *after = NULL;
  g_autofree char *md_before = NULL;
  g_autofree char *md_after = NULL;
  GDBusConnection *conn = hb_test_env_get_connection (env);
  HbTestDaemonOptions opts = {
    .args = faults_config_args (env, "[daemon]\nenabled=false\n"),
  };

  g_assert_true (g_file_set_contents (md_path, "# Heartbeat\n\n## Checklist\n- Decide.\n", -1,
                                      NULL));
  g_assert_true (hb_test_fake_set_default (env, &(HbFakeStep) {
                   .kind = HB_FAKE_CONTENT,
                   .text = (char *) "{\"action\":\"post\",\"title\":\"t\",\"content\":\"c\"}" },
                 &error));
  hb_test_daemon_start (env, &opts, &error);
  g_assert_no_error (error);
  runs = faults_runs_new (conn);

  /* Something in every table the API can touch: a thread with a setting, a run, a post. */
  faults_add_thread (conn, "t1");
  check_call (conn, problems, "(valid)", THREAD_PATH, HB_TEST_THREAD_IFACE, "SetConfig",
              g_variant_new_parsed ("({'every': <uint32 600>},)"), NULL);
  run_id = faults_run_now (conn, "t1");
  g_assert_nonnull (faults_runs_wait (runs, run_id, 30000));
  g_assert_cmpstr (faults_result_string (faults_runs_wait (runs, run_id, 0), "status"), ==,
                   "acted");

  g_assert_true (faults_wait_db_settled (hb_test_env_get_db_path (env)));
  before = faults_db_dump (hb_test_env_get_db_path (env));
  md_before = read_md (env);

  for (gsize i = 0; i < G_N_ELEMENTS (bad_calls); i++)
    {
      const BadCall *c = &bad_calls[i];
      GVariant *params = c->params != NULL ? g_variant_new_parsed (c->params) : NULL;

      check_call (conn, problems, c->params != NULL ? c->params : "()", c->path, c->iface,
                  c->method, params, c->error);
    }
  for (gsize i = 0; i < G_N_ELEMENTS (built_calls); i++)
    {
      const BuiltCall *c = &built_calls[i];

      check_call (conn, problems, c->what, c->path, c->iface, c->method, c->build (), c->error);
    }

  if (!faults_daemon_answers (conn, &error))
    g_string_append_printf (problems, "the daemon does not answer afterwards: %s\n",
                            error->message);
  after = faults_db_dump (hb_test_env_get_db_path (env));
  md_after = read_md (env);
  if (g_strcmp0 (before, after) != 0)
    {
      g_autofree char *diff = faults_dump_difference (before, after);

      g_string_append_printf (problems, "the database changed: %s\n", diff);
    }
  if (g_strcmp0 (md_before, md_after) != 0)
    g_string_append (problems, "HEARTBEAT.md changed\n");
  if (problems->len > 0)
    g_test_fail_printf ("%zu calls:\n%s", G_N_ELEMENTS (bad_calls) + G_N_ELEMENTS (built_calls),
                        problems->str);
  else
    g_assert_cmpstr (before, ==, after);
}

/* Odd but valid ids are stored as given and reach an object whose path names them reversibly:
 * nothing is cut, joined or traversed. */
static void
test_odd_thread_ids (void)
{
  static const char *const ids[] = {
    "/", "..", "../../etc/passwd", "%00", "a/b", " t1", "\u202et1", "_2e_2e", "\U0001F600",
  };
  g_autoptr(HbTestEnv) env = hb_test_env_new (NULL);
  g_autoptr(GError) error = NULL;
  GDBusConnection *conn = hb_test_env_get_connection (env);

  hb_test_daemon_start (env, NULL, &error);
  g_assert_no_error (error);
  for (gsize i = 0; i < G_N_ELEMENTS (ids); i++)
    {
      g_autoptr(GVariant) added = g_dbus_connection_call_sync (
        conn, HB_TEST_BUS_NAME, HB_TEST_MANAGER_PATH, HB_TEST_MANAGER_IFACE, "AddThread",
        g_variant_new ("(s)", ids[i]), G_VARIANT_TYPE ("(o)"), G_DBUS_CALL_FLAGS_NONE,
        HB_TEST_TIMEOUT_MS, NULL, &error);
      g_autoptr(GVariant) id = NULL;
      g_autofree char *escaped = g_dbus_escape_object_path (ids[i]);
      g_autofree char *want = g_strconcat (HB_TEST_THREADS_PATH "/", escaped, NULL);
      const char *path = NULL;

      g_assert_no_error (error);
      g_variant_get (added, "(&o)", &path);
      g_assert_cmpstr (path, ==, want);
      id = hb_test_get_property (conn, HB_TEST_BUS_NAME, path, HB_TEST_THREAD_IFACE, "ThreadId",
                                 &error);
      g_assert_no_error (error);
      g_assert_cmpstr (g_variant_get_string (id, NULL), ==, ids[i]);
    }
  {
    g_autofree char *sql = NULL;

    g_assert_cmpint (faults_db_int (hb_test_env_get_db_path (env),
                                    "SELECT COUNT(*) FROM thread_sessions"), ==,
                     G_N_ELEMENTS (ids));
    sql = g_strdup_printf ("SELECT COUNT(*) FROM thread_sessions WHERE thread_id = '%s'", "..");
    g_assert_cmpint (faults_db_int (hb_test_env_get_db_path (env), sql), ==, 1);
  }
  g_assert_true (faults_daemon_answers (conn, &error));
  g_assert_no_error (error);
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);

  g_test_add_func ("/faults/input/dbus", test_bad_dbus_input);
  g_test_add_func ("/faults/input/dbus-odd-ids", test_odd_thread_ids);

  return g_test_run ();
}
