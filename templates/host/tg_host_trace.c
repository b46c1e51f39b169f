#include "tg_host_trace.h"
tg_trace_fn tg_host_trace = 0;
tg_guard_fn tg_host_guard_enter = 0;
