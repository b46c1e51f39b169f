from .tflm import TFLMReference

__all__ = ["TFLMReference"]
