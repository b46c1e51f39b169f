/* Host builds only: report every operator output to a callback (used by `tinygen check` to find
 * the first operator whose output differs from TFLite Micro), and, in arena guard builds, the
 * arena's address before the first operator (tinygen.guard paints and checks the canaries).
 * Force-included by the host build. */
#ifndef TG_HOST_TRACE_H
#define TG_HOST_TRACE_H
typedef void (*tg_trace_fn)(int op, int tensor, const void *data, int nbytes);
typedef void (*tg_guard_fn)(void *arena, int nbytes);
extern tg_trace_fn tg_host_trace;
extern tg_guard_fn tg_host_guard_enter;
#define TG_TRACE(op, tensor, data, nbytes) \
    do { if (tg_host_trace) { tg_host_trace((op), (tensor), (const void *)(data), (int)(nbytes)); } } while (0)
#define TG_GUARD_ENTER(arena, nbytes) \
    do { if (tg_host_guard_enter) { tg_host_guard_enter((void *)(arena), (int)(nbytes)); } } while (0)
#endif
