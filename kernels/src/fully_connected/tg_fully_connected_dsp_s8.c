/*
 * tg_fully_connected_dsp_s8.c - int8 fully connected layer for cores with the DSP extension: four
 * output features per pass over the input row (the two channel pairs of the convolution's weight
 * layout, one SXTB16-unpacked input word for both), SMLAD, offsets folded into the bias at compile
 * time, the fast exact requantization of tg_fast.h. See tg_nn.h for the weight layout.
 *
 * The passes run in one inline-assembly loop whose state lives in a small struct (nothing else is
 * live across it), so the kernel's stack is its saved registers and these nine words.
 */
#include "tg_nn.h"
#include "../tg_internal.h"
#include "../tg_simd.h"
#include "../tg_fast.h"

int32_t tg_fully_connected_dsp_s8_get_buffer_size(const tg_fc_fast_params *params)
{
    (void)params;
    return 0;
}

/* The passes over one input row. Rows r .. r + 3 of pass k: weights of rows r, r + 1 at w (their
 * pair), of rows r + 2, r + 3 at w + 8 * G bytes (G = n rounded up to even: the groups per row in
 * the weights), unless fewer than three rows are left (then the first pair again, its results
 * dropped in the C model; the assembly runs a last pass of one or two rows on their pair alone). */
typedef struct {
    const uint32_t *w;  /* [0]  weights of the next pass */
    const int8_t *x;    /* [4]  the input row: n groups of four values */
    int32_t n;          /* [8]  groups in the input row (in_features / 4, >= 1) */
    int32_t qstep;      /* [12] bytes from one row's (multiplier, round) to the next: 8, or 0 (per tensor) */
    const int32_t *b;   /* [16] folded biases of the next pass (advanced by 4) */
    const int32_t *q;   /* [20] (multiplier, round) of the next pass's first row (advanced) */
    int8_t *y;          /* [24] next output (advanced) */
    int8_t *y_end;      /* [28] end of the row's outputs */
    int32_t sx;         /* [32] added to every accumulator (filter offset times the row's sum) */
    const tg_fc_fast_params *p;  /* [36] the layer (the batch loop keeps nothing else across the passes) */
    int32_t batch;      /* [40] input rows left */
} fc_state;

#if TG_FAST_ASM
/* One group: r1-r4 accumulators, r6 x, r5 and r9 the two pairs' weights; temporaries r10-r12, lr,
 * r0. 21 instructions for 16 multiply-accumulates. */
#define FC_GROUP                              \
    "ldr    r11, [r6], #4\n\t"                \
    "sxtb16 r10, r11\n\t"                     \
    "sxtb16 r11, r11, ror #8\n\t"             \
    "ldrd   r12, lr, [r5], #8\n\t"            \
    "sxtb16 r0, r12\n\t"                      \
    "sxtb16 r12, r12, ror #8\n\t"             \
    "smlad  r1, r10, r0, r1\n\t"              \
    "smlad  r1, r11, r12, r1\n\t"             \
    "sxtb16 r0, lr\n\t"                       \
    "sxtb16 lr, lr, ror #8\n\t"               \
    "smlad  r2, r10, r0, r2\n\t"              \
    "smlad  r2, r11, lr, r2\n\t"              \
    "ldrd   r12, lr, [r9], #8\n\t"            \
    "sxtb16 r0, r12\n\t"                      \
    "sxtb16 r12, r12, ror #8\n\t"             \
    "smlad  r3, r10, r0, r3\n\t"              \
    "smlad  r3, r11, r12, r3\n\t"             \
    "sxtb16 r0, lr\n\t"                       \
    "sxtb16 lr, lr, ror #8\n\t"               \
    "smlad  r4, r10, r0, r4\n\t"              \
    "smlad  r4, r11, lr, r4\n\t"
/* One group of the last pass when at most two rows are left: r1, r2 accumulators, r6 x, r5 the
 * pair's weights; temporaries r9-r12, lr. 12 instructions for 8 multiply-accumulates. */
#define FC_GROUP2                             \
    "ldr    r11, [r6], #4\n\t"                \
    "sxtb16 r10, r11\n\t"                     \
    "sxtb16 r11, r11, ror #8\n\t"             \
    "ldrd   r12, lr, [r5], #8\n\t"            \
    "sxtb16 r9, r12\n\t"                      \
    "sxtb16 r12, r12, ror #8\n\t"             \
    "smlad  r1, r10, r9, r1\n\t"              \
    "smlad  r1, r11, r12, r1\n\t"             \
    "sxtb16 r9, lr\n\t"                       \
    "sxtb16 lr, lr, ror #8\n\t"               \
    "smlad  r2, r10, r9, r2\n\t"              \
    "smlad  r2, r11, lr, r2\n\t"
/* Requantize accumulator A with the (multiplier, round) at lr, then lr += r12 (temporaries r7-r10). */
#define FC_REQUANT(A)                         \
    "ldrd   r7, r8, [lr]\n\t"                 \
    "add    lr, lr, r12\n\t"                  \
    "rbit   r9, r8\n\t"                       \
    "clz    r9, r9\n\t"                       \
    "add    r10, r8, " A ", asr #31\n\t"      \
    "lsl    " A ", " A ", #1\n\t"             \
    "smmlar " A ", " A ", r7, r10\n\t"        \
    "asr    " A ", " A ", r9\n\t"             \
    "ssat   " A ", #8, " A ", asr #1\n\t"
#endif

/* All passes of one input row (st->y != st->y_end). */
static inline void fc_passes(fc_state *st)
{
#if TG_FAST_ASM
    register fc_state *r0 __asm__("r0") = st;
    __asm__ volatile(
        "1:\n\t"
        "ldm    r0, {r5, r6, r7}\n\t"             /* w, x, n */
        "ldr    r10, [r0, #16]\n\t"
        "ldm    r10, {r1, r2, r3, r4}\n\t"        /* biases */
        "ldr    r11, [r0, #32]\n\t"
        "add    r1, r1, r11\n\t"
        "add    r2, r2, r11\n\t"
        "add    r3, r3, r11\n\t"
        "add    r4, r4, r11\n\t"
        "adds   r9, r7, #1\n\t"                   /* the second pair: 8 * (n rounded up to even) on */
        "bic    r9, r9, #1\n\t"
        "lsl    r9, r9, #3\n\t"
        "ldrd   r10, r11, [r0, #24]\n\t"
        "sub    r10, r11, r10\n\t"
        "cmp    r10, #2\n\t"                      /* at most two rows left: the last pass, one pair */
        "ble    5f\n\t"
        "add    r9, r5, r9\n\t"
        "push   {r0}\n\t"
        "lsrs   r7, r7, #1\n\t"                   /* two groups per iteration; odd: enter at 3 */
        "bcc    2f\n\t"
        "adds   r7, r7, #1\n\t"
        "b      3f\n\t"
        "2:\n\t"
        FC_GROUP
        "3:\n\t"
        FC_GROUP
        "subs   r7, r7, #1\n\t"
        "bne    2b\n\t"
        "pop    {r0}\n\t"
        "ldr    r7, [r0, #8]\n\t"                 /* the next pass: past the second pair's groups */
        "and    r7, r7, #1\n\t"                   /* (and its zero group when n is odd) */
        "add    r9, r9, r7, lsl #3\n\t"
        "str    r9, [r0]\n\t"
        "ldr    lr, [r0, #20]\n\t"
        "ldr    r12, [r0, #12]\n\t"
        FC_REQUANT("r1") FC_REQUANT("r2") FC_REQUANT("r3") FC_REQUANT("r4")
        "str    lr, [r0, #20]\n\t"
        "ldr    r10, [r0, #16]\n\t"
        "add    r10, r10, #16\n\t"
        "str    r10, [r0, #16]\n\t"
        "ldrd   r10, r11, [r0, #24]\n\t"          /* y, y_end: store up to four outputs */
        "strb   r1, [r10], #1\n\t"
        "cmp    r10, r11\n\t"
        "beq    4f\n\t"
        "strb   r2, [r10], #1\n\t"
        "cmp    r10, r11\n\t"
        "beq    4f\n\t"
        "strb   r3, [r10], #1\n\t"
        "cmp    r10, r11\n\t"
        "beq    4f\n\t"
        "strb   r4, [r10], #1\n\t"
        "str    r10, [r0, #24]\n\t"
        "cmp    r10, r11\n\t"
        "bne    1b\n\t"
        "b      4f\n\t"
        "5:\n\t"                                  /* one or two rows: their pair only */
        FC_GROUP2
        "subs   r7, r7, #1\n\t"
        "bne    5b\n\t"
        "ldr    lr, [r0, #20]\n\t"
        "ldr    r12, [r0, #12]\n\t"
        FC_REQUANT("r1") FC_REQUANT("r2")
        "ldrd   r10, r11, [r0, #24]\n\t"
        "strb   r1, [r10], #1\n\t"
        "cmp    r10, r11\n\t"
        "it     ne\n\t"
        "strbne r2, [r10]\n\t"
        "4:\n\t"
        : "+r"(r0)
        :
        : "r1", "r2", "r3", "r4", "r5", "r6", "r7", "r8", "r9", "r10", "r11", "r12", "lr", "cc", "memory");
#else
    const int32_t pstride = 2 * ((st->n + 1) & ~1);  /* words from the first pair to the second */
    while (st->y != st->y_end) {
        const int32_t left = (int32_t)(st->y_end - st->y), rows = left < 4 ? left : 4;
        const uint32_t *w = st->w, *v = w + (left > 2 ? pstride : 0);
        const int8_t *x = st->x;
        int32_t a[4], g, r;
        for (r = 0; r < 4; ++r) {
            a[r] = st->b[r] + st->sx;
        }
        for (g = 0; g < st->n; ++g, w += 2, v += 2) {
            const uint32_t xv = tg_read_s8x4_ia(&x);
            const uint32_t xe = tg_sxtb16(xv), xo = tg_sxtb16_ror8(xv);
            for (r = 0; r < 4; ++r) {
                const uint32_t wv = r < 2 ? w[r] : v[r - 2];
                a[r] = tg_smlad(xe, tg_sxtb16(wv), a[r]);
                a[r] = tg_smlad(xo, tg_sxtb16_ror8(wv), a[r]);
            }
        }
        st->w = v + 2 * (st->n & 1);
        st->b += 4;
        for (r = 0; r < rows; ++r) {
            const int32_t *q = (const int32_t *)((const int8_t *)st->q + r * st->qstep);
            *st->y++ = (int8_t)tg_ssat8(tg_fast_requant(a[r], q[0], q[1], tg_fast_shift1(q[1])));
        }
        st->q = (const int32_t *)((const int8_t *)st->q + 4 * st->qstep);
    }
#endif
}

tg_status tg_fully_connected_dsp_s8(const tg_fc_fast_params *params, const int8_t *input, int8_t *output)
{
    fc_state st;

    if (params->batches < 0 || params->in_features <= 0 || (params->in_features & 3) != 0 ||
        params->out_features <= 0) {
        return TG_ERR_ARG;
    }
    /* everything the loop needs after the passes is read back from st (in memory): no other value
     * lives across the assembly, so none takes a stack slot of its own */
    st.p = params;
    st.x = input;
    st.y = output;
    for (st.batch = params->batches; st.batch > 0; --st.batch) {
        const tg_fc_fast_params *p = st.p;
        const int32_t depth = p->in_features, rows = p->out_features;
        st.w = (const uint32_t *)p->weights;
        st.n = depth >> 2;
        st.qstep = p->per_channel ? 8 : 0;
        st.b = p->channels;
        st.q = p->channels + ((rows + 3) & ~3);
        st.y_end = st.y + rows;
        st.sx = p->filter_offset != 0 ? p->filter_offset * tg_fast_sum_s8(st.x, depth) : 0;
        fc_passes(&st);
        p = st.p;
        if (p->activation.min != -128 || p->activation.max != 127) {
            int8_t *y;
            for (y = st.y_end - p->out_features; y != st.y_end; ++y) {
                *y = (int8_t)tg_fast_clamp(*y, p->activation.min, p->activation.max);
            }
        }
        st.x += p->in_features;
        st.y = st.y_end;
    }
    return TG_OK;
}
