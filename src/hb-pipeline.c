/* hb-pipeline.c: not written yet */
#include "config.h"
#include "hb-pipeline.h"
