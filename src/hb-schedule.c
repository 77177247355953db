/* hb-schedule.c: not written yet */
#include "config.h"
#include "hb-schedule.h"
