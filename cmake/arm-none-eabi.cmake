# CMake toolchain file for bare-metal Cortex-M with the GNU Arm toolchain (Debian:
# gcc-arm-none-eabi, binutils-arm-none-eabi, libnewlib-arm-none-eabi).
#   cmake -S . -B build -DCMAKE_TOOLCHAIN_FILE=cmake/arm-none-eabi.cmake -DTINYGEN_BOARD=NUCLEO-F411RE ...
# The core flags (-mcpu, -mfpu, -mfloat-abi) come from the board (cmake/TinygenBoard.cmake) or
# from your own CMAKE_C_FLAGS.
set(CMAKE_SYSTEM_NAME Generic)
set(CMAKE_SYSTEM_PROCESSOR arm)

set(TINYGEN_ARM_PREFIX "arm-none-eabi-" CACHE STRING "prefix of the GNU Arm tools")
find_program(CMAKE_C_COMPILER ${TINYGEN_ARM_PREFIX}gcc REQUIRED)
find_program(CMAKE_AR ${TINYGEN_ARM_PREFIX}ar REQUIRED)
find_program(CMAKE_OBJCOPY ${TINYGEN_ARM_PREFIX}objcopy)
find_program(CMAKE_SIZE ${TINYGEN_ARM_PREFIX}size)

# Compiler checks link a static library instead of an executable (no start-up code yet).
set(CMAKE_TRY_COMPILE_TARGET_TYPE STATIC_LIBRARY)

set(CMAKE_FIND_ROOT_PATH_MODE_PROGRAM NEVER)
set(CMAKE_FIND_ROOT_PATH_MODE_LIBRARY ONLY)
set(CMAKE_FIND_ROOT_PATH_MODE_INCLUDE ONLY)
