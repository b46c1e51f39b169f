"""Helpers shared by the target tests."""

GENERIC_BOARDS = ["generic-m0plus", "generic-m4", "generic-m7", "generic-m33"]

#: start of a hand-written test program: the halt function the emulator stops at
PROGRAM_HEAD = r"""
#include <stdint.h>
void tg_done(int32_t status, uint32_t cycles) __attribute__((noinline, noipa));
void tg_done(int32_t status, uint32_t cycles)
{
    (void)status;
    (void)cycles;
    __asm volatile ("" ::: "memory");
}
"""


def small_conv_model(seed: int = 1, shape=(1, 12, 12, 3), channels: int = 8) -> bytes:
    from tinygen.testing import GraphBuilder

    b = GraphBuilder("small", seed=seed)
    x = b.input(shape)
    y = b.conv2d(x, channels, activation="RELU")
    z = b.conv2d(y, 4, stride=(2, 2))
    return b.tflite([z])
