/* Host builds only: report every operator output to a callback (used by `tinygen check` to find
 * the first operator whose output differs from TFLite Micro). Force-included by the host build. */
#ifndef TG_HOST_TRACE_H
#define TG_HOST_TRACE_H
typedef void (*tg_trace_fn)(int op, int tensor, const void *data, int nbytes);
extern tg_trace_fn tg_host_trace;
#define TG_TRACE(op, tensor, data, nbytes) \
    do { if (tg_host_trace) { tg_host_trace((op), (tensor), (const void *)(data), (int)(nbytes)); } } while (0)
#endif
