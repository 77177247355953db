/* hb-ctl-output.h: what crt-heartbeatctl prints: buffered text, JSON, colours, the pager. */
#pragma once

#include "hb-ctl.h"
#include "hb-ctl-format.h"

G_BEGIN_DECLS

#define HB_CTL_RED "\033[31m"
#define HB_CTL_GREEN "\033[32m"
#define HB_CTL_YELLOW "\033[33m"
#define HB_CTL_BOLD "\033[1m"

/* Colours on stdout: only on a terminal, never with NO_COLOR set (non-empty) or TERM=dumb. */
gboolean hb_ctl_want_color (void);

void hb_ctl_print (HbCtl *ctl, const char *format, ...) G_GNUC_PRINTF (2, 3);
/* "Label:" padded to one column width, then @value (sanitised), painted with @sgr if colours
 * are on. */
void hb_ctl_print_field (HbCtl *ctl, const char *label, const char *value, const char *sgr);
/* @node (consumed) as pretty JSON and a newline. */
void hb_ctl_print_json (HbCtl *ctl, JsonNode *node);
/* A JSON object of (member name, JsonNode *) pairs, NULL-terminated; the nodes are consumed. */
void hb_ctl_print_json_object (HbCtl *ctl, const char *first_member, ...) G_GNUC_NULL_TERMINATED;
JsonNode *hb_ctl_json_string (const char *value);
JsonNode *hb_ctl_json_int (gint64 value);
JsonNode *hb_ctl_json_boolean (gboolean value);
/* @value as JSON (a{sv} as an object, t as a number, ...); a floating @value is consumed. */
JsonNode *hb_ctl_variant_to_json (GVariant *value);

/* @text painted with @sgr when colours are on (transfer full). */
char *hb_ctl_paint (HbCtl *ctl, const char *sgr, const char *text);
/* The colour of a run status or verdict: green for acted/valid, red for failures, ... */
const char *hb_ctl_status_color (const char *status);
/* A table cell colour function for columns that hold statuses (and enabled yes/no). */
const char *hb_ctl_table_status_color (guint column, const char *cell);

/* One decided action (a{sv} with action, title, post_id, vote_direction) in words:
 * 'post "Title"', "comment on post 12", "vote up on post 4", "none". */
char *hb_ctl_describe_action (GVariant *action);
/* A list of actions (aa{sv}) joined with "; ", or "" for none. */
char *hb_ctl_describe_actions (GVariant *actions);

/* Write what was printed: through $PAGER (default "less -FRX") when @pager_allowed, stdout is a
 * terminal and the text is taller than it; straight to stdout otherwise. */
void hb_ctl_output_flush (HbCtl *ctl, gboolean pager_allowed);

G_END_DECLS
