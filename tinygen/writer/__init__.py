from .tflite import write_tflite

__all__ = ["write_tflite"]
