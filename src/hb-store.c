/* hb-store.c: not written yet */
#include "config.h"
#include "hb-store.h"
