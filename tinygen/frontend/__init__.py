from .tflite import load_tflite, parse_tflite

__all__ = ["load_tflite", "parse_tflite"]
