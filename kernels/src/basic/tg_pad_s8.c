/*
 * tg_pad_s8.c - int8 constant padding of a tensor of rank <= 5 (portable C).
 */
#include <string.h>

#include "tg_nn.h"
#include "../tg_internal.h"

tg_status tg_pad_s8(const tg_pad_params *params, const int8_t *input, int8_t *output)
{
    int32_t out_dims[TG_PAD_MAX_DIMS];
    int32_t i0, i1, i2, i3;
    const int8_t value = (int8_t)params->pad_value;
    int32_t d;

    for (d = 0; d < TG_PAD_MAX_DIMS; ++d) {
        if (params->input_dims[d] < 0 || params->before[d] < 0 || params->after[d] < 0) {
            return TG_ERR_ARG;
        }
        out_dims[d] = params->before[d] + params->input_dims[d] + params->after[d];
    }
    {
        const int32_t n4 = out_dims[4];
        const int32_t row3 = n4;
        const int32_t row2 = out_dims[3] * row3;
        const int32_t row1 = out_dims[2] * row2;
        const int32_t in4 = params->input_dims[4];
        for (i0 = 0; i0 < out_dims[0]; ++i0) {
            const int pad0 = i0 < params->before[0] || i0 >= params->before[0] + params->input_dims[0];
            for (i1 = 0; i1 < out_dims[1]; ++i1) {
                const int pad1 = pad0 || i1 < params->before[1] || i1 >= params->before[1] + params->input_dims[1];
                if (pad1) {
                    memset(output, value, (size_t)row1);
                    output += row1;
                    continue;
                }
                for (i2 = 0; i2 < out_dims[2]; ++i2) {
                    if (i2 < params->before[2] || i2 >= params->before[2] + params->input_dims[2]) {
                        memset(output, value, (size_t)row2);
                        output += row2;
                        continue;
                    }
                    for (i3 = 0; i3 < out_dims[3]; ++i3) {
                        if (i3 < params->before[3] || i3 >= params->before[3] + params->input_dims[3]) {
                            memset(output, value, (size_t)row3);
                            output += row3;
                            continue;
                        }
                        memset(output, value, (size_t)params->before[4]);
                        output += params->before[4];
                        memcpy(output, input, (size_t)in4);
                        output += in4;
                        input += in4;
                        memset(output, value, (size_t)params->after[4]);
                        output += params->after[4];
                    }
                }
            }
        }
    }
    return TG_OK;
}
