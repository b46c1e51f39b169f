from .emit import generate_c

__all__ = ["generate_c"]
