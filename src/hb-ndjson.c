/* hb-ndjson.c: not written yet */
#include "config.h"
#include "hb-ndjson.h"
