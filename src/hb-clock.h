/* hb-clock.h: tell the scheduler when wall-clock time jumped or the machine woke up.
 *
 * GLib's timers run on the monotonic clock, which stops during suspend and ignores clock changes;
 * due times are wall-clock instants. A timerfd with TFD_TIMER_CANCEL_ON_SET reports every change of
 * the realtime clock, and logind's PrepareForSleep(false) reports a resume. */
#pragma once

#include <gio/gio.h>

G_BEGIN_DECLS

typedef struct _HbClockWatch HbClockWatch;

/* @system_bus may be NULL (then no logind). @func runs on the main loop after each event. */
HbClockWatch *hb_clock_watch_new (GDBusConnection *system_bus, GSourceFunc func, gpointer data);
void hb_clock_watch_free (HbClockWatch *w);
G_DEFINE_AUTOPTR_CLEANUP_FUNC (HbClockWatch, hb_clock_watch_free)

G_END_DECLS
