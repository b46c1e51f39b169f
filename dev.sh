#!/bin/sh
# tinygen developer entry point: sets up everything a fresh Debian machine needs, then runs a job.
#   ./dev.sh demo    compile the bundled model, run it on the host and the emulated Cortex-M, compare with TFLM
#   ./dev.sh test    run the test suite
#   ./dev.sh setup   only install (virtual environment, Python packages, ARM toolchain, QEMU, OpenOCD)
set -eu
cd "$(dirname "$0")"
VENV="${TINYGEN_VENV:-.venv}"
PYTHON="${PYTHON:-python3}"

say() { printf 'dev.sh: %s\n' "$*" >&2; }

apt_install() {
    # apt_install PKG... : install Debian packages (through sudo when not root)
    if ! command -v apt-get >/dev/null 2>&1; then
        say "apt-get is not available: install these packages with your system's package manager: $*"
        exit 2
    fi
    if [ "$(id -u)" = 0 ]; then SUDO=""; elif command -v sudo >/dev/null 2>&1; then SUDO="sudo"; else
        say "need root (or sudo) to install: $*"; exit 2
    fi
    say "installing with apt-get: $*"
    $SUDO env DEBIAN_FRONTEND=noninteractive apt-get update -qq
    $SUDO env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "$@" >/dev/null
}

ensure_system() {
    missing=""
    command -v gcc >/dev/null 2>&1 || missing="$missing gcc libc6-dev"
    command -v cmake >/dev/null 2>&1 || missing="$missing cmake"
    command -v make >/dev/null 2>&1 || missing="$missing make"
    command -v arm-none-eabi-gcc >/dev/null 2>&1 || missing="$missing gcc-arm-none-eabi binutils-arm-none-eabi"
    [ -e /usr/lib/arm-none-eabi/newlib/libc.a ] || [ -e /usr/lib/arm-none-eabi/lib/libc.a ] \
        || missing="$missing libnewlib-arm-none-eabi"
    # QEMU: the second emulator (tinygen run --on qemu); OpenOCD: its board configurations are checked
    command -v qemu-system-arm >/dev/null 2>&1 || missing="$missing qemu-system-arm"
    command -v openocd >/dev/null 2>&1 || missing="$missing openocd"
    if [ -n "$missing" ]; then
        # shellcheck disable=SC2086
        apt_install $missing
    fi
}

ensure_venv() {
    if [ ! -x "$VENV/bin/python" ]; then
        if ! "$PYTHON" -m venv "$VENV" >/dev/null 2>&1; then
            rm -rf "$VENV"
            ver=$("$PYTHON" -c 'import sys; print("%d.%d" % sys.version_info[:2])')
            apt_install "python$ver-venv" || apt_install python3-venv
            "$PYTHON" -m venv "$VENV"
        fi
    fi
    stamp="$VENV/.tinygen-installed"
    if [ ! -f "$stamp" ] || [ pyproject.toml -nt "$stamp" ]; then
        say "installing Python packages into $VENV"
        "$VENV/bin/python" -m pip install -q --disable-pip-version-check --upgrade pip
        "$VENV/bin/python" -m pip install -q --disable-pip-version-check -e '.[test]'
        touch "$stamp"
    fi
}

job="${1:-help}"
[ $# -gt 0 ] && shift
case "$job" in
    setup) ensure_system; ensure_venv ;;
    demo)  ensure_system; ensure_venv; exec "$VENV/bin/tinygen" demo "$@" ;;
    test)  ensure_system; ensure_venv; exec "$VENV/bin/python" -m pytest -n 2 -q "$@" ;;
    *) sed -n '2,6p' "$0"; exit 2 ;;
esac
