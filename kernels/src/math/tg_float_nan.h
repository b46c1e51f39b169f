/*
 * tg_float_nan.h - NaN results as TFLite Micro's x86-64 build produces them (not part of the
 * public API). An invalid operation on ordinary numbers (0/0, inf/inf, sqrt of a negative number)
 * gives x86's default NaN, 0xFFC00000 (sign set), where an Arm FPU gives 0x7FC00000; a NaN operand
 * propagates quietened (the first NaN operand). The kernels apply these rules explicitly so that
 * every target returns TFLite Micro's bits.
 */
#ifndef TG_FLOAT_NAN_H
#define TG_FLOAT_NAN_H

#include <stdint.h>
#include <string.h>

static inline float tg_f32_from_bits(uint32_t u)
{
    float f;
    memcpy(&f, &u, sizeof f);
    return f;
}

/* x86's default NaN. */
static inline float tg_x86_default_nan(void)
{
    return tg_f32_from_bits(0xFFC00000u);
}

/* A NaN operand, quietened (its quiet bit set, as x86 propagates it). */
static inline float tg_quiet_nan(float x)
{
    uint32_t u;
    memcpy(&u, &x, sizeof u);
    return tg_f32_from_bits(u | 0x00400000u);
}

#endif /* TG_FLOAT_NAN_H */
