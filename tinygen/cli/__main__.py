"""python -m tinygen.cli"""

from . import main

main()
