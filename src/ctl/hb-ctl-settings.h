/* hb-ctl-settings.h: the words of `crt-heartbeatctl set` turned into SetConfig's a{sv}. */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

/* yes/no, true/false, on/off, 1/0 (any case). FALSE when @text is none of them. */
gboolean hb_ctl_parse_bool (const char *text, gboolean *value);

/* Add one "key=value" word to @changes under SetConfig's key names. Keys as the user writes
 * them: every, target, model, max-tokens, temperature, dry-run, enabled, active-hours
 * (HH:MM-HH:MM, or empty for all day), active-hours-start, active-hours-end, timezone;
 * underscores may stand for dashes. A word without "=", an unknown key or a key given twice is
 * HB_CTL_ERROR_USAGE; a value of the wrong form is HB_CTL_ERROR_FAILED, its message starting
 * with the key. Ranges are left to the daemon, which names the field itself. */
gboolean hb_ctl_settings_add (GVariantDict *changes, const char *word, GError **error);

/* The keys hb_ctl_settings_add knows, for help and completion (NULL-terminated, static). */
const char *const *hb_ctl_settings_keys (void);

G_END_DECLS
