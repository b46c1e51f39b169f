"""Ready-made search spaces for `tinygen sweep --space` (module:function).

    tinygen sweep --space tinygen.testing.spaces:mobilenet_v2_500 --board NUCLEO-F411RE --no-link -o r.jsonl

A space is a function returning an iterable of (name, .tflite bytes); these build each model only
when the sweep asks for it, and have a length, so the progress bar shows the total.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Sequence


class LazySpace:
    """(name, bytes) pairs built on demand from (name, builder) pairs; has a length."""

    def __init__(self, items: Sequence[tuple[str, Callable[[], bytes]]]) -> None:
        self._items = list(items)

    def __len__(self) -> int:
        return len(self._items)

    def __iter__(self) -> Iterator[tuple[str, bytes]]:
        for name, build in self._items:
            yield name, build()


def mobilenet_v2_grid(widths: Sequence[float], resolutions: Sequence[int], classes: int = 1000,
                      seed: int = 0) -> LazySpace:
    """MobileNetV2 for every width multiplier and input resolution (tinygen.testing.mobilenet:
    random weights, realistic int8 quantization), named mbv2_w<width>_r<resolution>."""
    from .mobilenet import mobilenet_v2

    def builder(w: float, r: int) -> Callable[[], bytes]:
        return lambda: mobilenet_v2(w, r, classes=classes, seed=seed)

    return LazySpace([(f"mbv2_w{w:.3f}_r{r}", builder(w, r)) for w in widths for r in resolutions])


#: the 500-candidate space of the throughput benchmark: 20 widths from 0.25 to 1.0 x 25 resolutions
#: from 64 to 224 (multiples of 4), a 10-class head (with ImageNet's 1000 classes the classifier's
#: 1.28 MB of weights alone would exceed most boards' flash, whatever the width)
MBV2_WIDTHS = tuple(round(0.25 + i * 0.75 / 19, 4) for i in range(20))
MBV2_RESOLUTIONS = tuple(64 + 4 * round(j * 40 / 24) for j in range(25))


def mobilenet_v2_500() -> LazySpace:
    """500 MobileNetV2 candidates: widths 0.25-1.0 (20) x resolutions 64-224 (25), 10 classes."""
    return mobilenet_v2_grid(MBV2_WIDTHS, MBV2_RESOLUTIONS, classes=10)


def mobilenet_v2_small() -> LazySpace:
    """12 small MobileNetV2 candidates (widths 0.25-0.5 x resolutions 32-64, 10 classes): a quick try."""
    return mobilenet_v2_grid((0.25, 0.35, 0.5), (32, 40, 48, 64), classes=10)
