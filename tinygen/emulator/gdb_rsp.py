"""A small client for the GDB remote serial protocol (RSP), the protocol every debug server
speaks: QEMU's `-gdb`, pyOCD's `gdbserver`, OpenOCD, SEGGER's J-Link GDB server.

    with GdbRemote("127.0.0.1", 1234) as g:
        g.set_breakpoint(elf.address("tg_done"))
        g.cont()                               # -> StopReply
        g.read_register(0), g.read_memory(addr, n), g.write_memory(addr, data)
        g.monitor("system_reset")              # qRcmd: the server's own commands

What it takes care of:
- TCP_NODELAY on the socket (without it every round trip waits ~40 ms for delayed ACKs);
- packets within the size the server advertises in qSupported (PacketSize), memory transfers
  split accordingly;
- no-acknowledgement mode when the server offers it (QStartNoAckMode), else '+'/'-' with
  retransmission on a bad checksum;
- run-length encoded and escaped replies, console output packets (O...) during `c` and qRcmd;
- hardware breakpoints (Z1) with a fall-back to software ones (Z0), write watchpoints (Z2);
- flash programming with vFlashErase/vFlashWrite/vFlashDone inside the flash regions of the
  server's memory map (qXfer:memory-map:read), plain memory writes elsewhere (as GDB's `load`).

Only the client side is implemented; addresses and registers are 32-bit little-endian (Cortex-M).
"""

from __future__ import annotations

import re
import socket
import time
import xml.etree.ElementTree as ET
from dataclasses import dataclass, field

from ..errors import TinygenError

#: register numbers every Cortex-M target description starts with
REG_SP, REG_LR, REG_PC = 13, 14, 15


class GdbError(TinygenError):
    """The debug server refused a request, closed the connection, or did not answer in time."""


@dataclass(frozen=True)
class StopReply:
    """Why the target stopped: signal (5 = SIGTRAP for breakpoints and watchpoints, 2 = SIGINT
    after an interrupt), the watchpoint address when one fired, and the raw packet."""
    signal: int
    raw: str
    watch_address: int | None = None
    exited: bool = False
    exit_code: int | None = None


@dataclass(frozen=True)
class FlashRegion:
    start: int
    length: int
    blocksize: int

    def contains(self, addr: int) -> bool:
        return self.start <= addr < self.start + self.length


@dataclass
class MemoryMap:
    flash: list[FlashRegion] = field(default_factory=list)
    ram: list[tuple[int, int]] = field(default_factory=list)


def checksum(payload: bytes) -> int:
    return sum(payload) & 0xFF


def escape(data: bytes) -> bytes:
    """Binary data for X / vFlashWrite packets: '#', '$', '}' and '*' become '}' + (c ^ 0x20)."""
    out = bytearray()
    for c in data:
        if c in (0x23, 0x24, 0x7D, 0x2A):
            out += bytes((0x7D, c ^ 0x20))
        else:
            out.append(c)
    return bytes(out)


def decode_payload(raw: bytes) -> bytes:
    """Undo escaping ('}' x) and run-length encoding ('c*n': n - 29 more copies of c)."""
    out = bytearray()
    i = 0
    while i < len(raw):
        c = raw[i]
        if c == 0x7D and i + 1 < len(raw):
            out.append(raw[i + 1] ^ 0x20)
            i += 2
        elif c == 0x2A and out and i + 1 < len(raw):
            out += bytes((out[-1],)) * (raw[i + 1] - 29)
            i += 2
        else:
            out.append(c)
            i += 1
    return bytes(out)


def frame(payload: bytes) -> bytes:
    return b"$" + payload + b"#" + f"{checksum(payload):02x}".encode()


def parse_memory_map(xml_text: str) -> MemoryMap:
    """The memory map a server sends for qXfer:memory-map:read (GDB's memory-map DTD)."""
    mm = MemoryMap()
    try:
        root = ET.fromstring(xml_text)
    except ET.ParseError as e:
        raise GdbError(f"the debug server sent an unreadable memory map ({e})") from None
    for m in root.iter("memory"):
        start, length = int(m.get("start", "0"), 0), int(m.get("length", "0"), 0)
        if m.get("type") == "flash":
            bs = next((int((p.text or "0").strip(), 0) for p in m.iter("property") if p.get("name") == "blocksize"), 0)
            mm.flash.append(FlashRegion(start, length, bs or 1024))
        elif m.get("type") == "ram":
            mm.ram.append((start, length))
    return mm


class GdbRemote:
    """One connection to a GDB remote stub (see the module docstring)."""

    def __init__(self, host: str, port: int, timeout: float = 10.0, connect_timeout: float = 10.0) -> None:
        self.host, self.port = host, int(port)
        self.timeout = timeout
        self._buf = b""
        self.console: list[str] = []
        self.sock = self._connect(connect_timeout)
        self.ack = True
        self.features: dict[str, str] = {}
        self.packet_size = 400
        self._z1 = True
        self._breakpoints: dict[int, int] = {}
        self._memory_map: MemoryMap | None = None
        try:
            self._handshake()
        except BaseException:
            self.sock.close()
            raise

    # -- connection ----------------------------------------------------------------------------
    def _connect(self, connect_timeout: float) -> socket.socket:
        deadline = time.monotonic() + connect_timeout
        last: OSError | None = None
        while True:
            try:
                s = socket.create_connection((self.host, self.port), timeout=min(2.0, connect_timeout))
                s.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
                s.settimeout(self.timeout)
                return s
            except OSError as e:
                last = e
                if time.monotonic() >= deadline:
                    raise GdbError(f"cannot connect to the GDB server at {self.host}:{self.port}: "
                                   f"{e.strerror or e}") from None
                time.sleep(0.05)
        raise GdbError(str(last))  # pragma: no cover

    def _handshake(self) -> None:
        self.sock.sendall(b"+")
        reply = self.request("qSupported:multiprocess-;swbreak+;hwbreak+;vContSupported+")
        for item in reply.split(";"):
            if "=" in item:
                k, v = item.split("=", 1)
                self.features[k] = v
            elif item:
                self.features[item[:-1] if item[-1] in "+-?" else item] = item[-1]
        if "PacketSize" in self.features:
            self.packet_size = max(64, int(self.features["PacketSize"], 16))
        if self.features.get("QStartNoAckMode") == "+":
            if self.request("QStartNoAckMode") == "OK":
                self.ack = False
        self.stop_reason = self.request("?")
        self.drain()
        # QEMU answers single-register reads (p) only once the client has read the target
        # description; it also gives the register numbers beyond r0-r15.
        self.registers: dict[str, int] = {}
        if self.features.get("qXfer:features:read") == "+":
            try:
                self.registers = self._target_registers()
            except GdbError:
                self.registers = {}
        self._p = True

    def _target_registers(self) -> dict[str, int]:
        regs: dict[str, int] = {}
        nxt = 0

        def walk(annex: str, depth: int = 0) -> None:
            nonlocal nxt
            if depth > 4:
                return
            try:
                # servers write <xi:include> without declaring the namespace
                root = ET.fromstring(re.sub(r"<(/?)\w+:include\b", r"<\1include", self.read_xfer("features", annex)))
            except ET.ParseError:
                return
            for el in root.iter():
                tag = el.tag.split("}")[-1]
                if tag == "include" and el.get("href"):
                    walk(el.get("href"), depth + 1)
                elif tag == "reg" and el.get("name"):
                    n = int(el.get("regnum", nxt))
                    regs[el.get("name").lower()] = n
                    nxt = n + 1

        walk("target.xml")
        return regs

    def close(self) -> None:
        try:
            self.sock.close()
        except OSError:  # pragma: no cover
            pass

    def __enter__(self) -> "GdbRemote":
        return self

    def __exit__(self, *exc) -> None:
        self.close()

    # -- packets -------------------------------------------------------------------------------
    def _recv(self, timeout: float | None) -> bytes:
        self.sock.settimeout(timeout)
        try:
            data = self.sock.recv(65536)
        except socket.timeout:
            raise
        except OSError as e:
            raise GdbError(f"connection to the GDB server at {self.host}:{self.port} lost: {e}") from None
        if not data:
            raise GdbError(f"the GDB server at {self.host}:{self.port} closed the connection")
        return data

    def send(self, payload: str | bytes) -> None:
        """Send one packet (and wait for its '+' when acknowledgements are on)."""
        p = payload.encode("latin-1") if isinstance(payload, str) else payload
        if len(p) + 4 > self.packet_size and not p.startswith(b"qSupported"):
            raise GdbError(f"packet of {len(p)} bytes exceeds the server's {self.packet_size}")
        pkt = frame(p)
        for _ in range(5):
            self.sock.sendall(pkt)
            if not self.ack:
                return
            while True:
                while not self._buf:
                    self._buf = self._recv(self.timeout)
                c, self._buf = self._buf[:1], self._buf[1:]
                if c == b"+":
                    return
                if c == b"-":
                    break  # retransmit
                # anything else before the ack: keep it for the reply reader
                self._buf = c + self._buf
                return
        raise GdbError("the GDB server kept rejecting a packet (bad checksum)")

    def receive(self, timeout: float | None = None) -> str:
        """The next packet's payload (decoded). Raises socket.timeout after `timeout` seconds."""
        t = self.timeout if timeout is None else timeout
        deadline = None if t is None else time.monotonic() + t
        while True:
            start = self._buf.find(b"$")
            if start >= 0:
                end = self._buf.find(b"#", start)
                if end >= 0 and len(self._buf) >= end + 3:
                    body = self._buf[start + 1:end]
                    cs = self._buf[end + 1:end + 3]
                    self._buf = self._buf[end + 3:]
                    ok = cs.lower() == f"{checksum(body):02x}".encode()
                    if self.ack:
                        self.sock.sendall(b"+" if ok else b"-")
                    if not ok:
                        if self.ack:
                            continue
                        raise GdbError("bad checksum from the GDB server")
                    return decode_payload(body).decode("latin-1")
            else:
                self._buf = b""  # stray acks/notifications before a packet
            left = None if deadline is None else max(0.0, deadline - time.monotonic())
            if left == 0.0:
                raise socket.timeout()
            self._buf += self._recv(left)

    def request(self, payload: str | bytes, timeout: float | None = None) -> str:
        """Send a packet and return the reply (console output packets O... are collected; a stop
        reply nobody asked for, e.g. QEMU stopping the core when a client connects, is dropped)."""
        self.send(payload)
        head = payload[:1] if isinstance(payload, str) else payload[:1].decode("latin-1")
        while True:
            try:
                r = self.receive(timeout)
            except socket.timeout:
                raise GdbError(f"the GDB server did not answer {_short(payload)!r} within "
                               f"{timeout or self.timeout:g} s") from None
            if r.startswith("O") and r != "OK" and _is_hex(r[1:]):
                self.console.append(bytes.fromhex(r[1:]).decode("latin-1"))
                continue
            if head not in ("?", "c", "s") and _STOP.match(r):
                continue
            return r

    def drain(self, seconds: float = 0.02) -> None:
        """Drop packets that arrive unasked within `seconds` (late stop replies)."""
        while True:
            try:
                self.receive(timeout=seconds)
            except socket.timeout:
                return

    def _expect_ok(self, payload: str | bytes, what: str) -> None:
        r = self.request(payload)
        if r != "OK":
            raise GdbError(f"{what}: the GDB server answered {r or '(empty: unsupported)'!r}")

    # -- memory --------------------------------------------------------------------------------
    def read_memory(self, addr: int, length: int) -> bytes:
        out = bytearray()
        chunk = max(16, (self.packet_size - 8) // 2)
        while len(out) < length:
            n = min(chunk, length - len(out))
            a = addr + len(out)
            r = self.request(f"m{a:x},{n:x}")
            if not r or r.startswith("E") and len(r) == 3:
                raise GdbError(f"cannot read {n} bytes at {a:#010x} (the GDB server answered {r or 'nothing'!r})")
            data = bytes.fromhex(r) if _is_hex(r) else b""
            if not data:
                raise GdbError(f"cannot read memory at {a:#010x}")
            out += data
        return bytes(out[:length])

    def write_memory(self, addr: int, data: bytes) -> None:
        chunk = max(16, (self.packet_size - 32) // 2)
        for off in range(0, len(data), chunk):
            part = data[off:off + chunk]
            self._expect_ok(f"M{addr + off:x},{len(part):x}:{part.hex()}", f"writing {len(part)} bytes at "
                            f"{addr + off:#010x}")

    def read_u32(self, addr: int) -> int:
        return int.from_bytes(self.read_memory(addr, 4), "little")

    # -- registers -----------------------------------------------------------------------------
    def read_register(self, n: int) -> int:
        if self._p:
            r = self.request(f"p{n:x}")
            if r and not (r.startswith("E") and len(r) == 3):
                return int.from_bytes(bytes.fromhex(r[:8]), "little")
            if r:
                raise GdbError(f"cannot read register {n} (the GDB server answered {r!r})")
            self._p = False  # unsupported: read them all
        if n > 15:
            raise GdbError(f"cannot read register {n}: the GDB server reads only the whole register file")
        r = self.request("g")
        if len(r) < 8 * (n + 1) or not _is_hex(r[:8 * (n + 1)]):
            raise GdbError(f"cannot read the registers (the GDB server answered {_short(r)!r})")
        return int.from_bytes(bytes.fromhex(r[8 * n:8 * n + 8]), "little")

    def write_register(self, n: int, value: int) -> None:
        self._expect_ok(f"P{n:x}={(value & 0xFFFFFFFF).to_bytes(4, 'little').hex()}", f"writing register {n}")

    # -- breakpoints and watchpoints -------------------------------------------------------------
    def set_breakpoint(self, addr: int) -> None:
        """A breakpoint on a Thumb instruction: hardware (Z1) when the server has them, else Z0."""
        addr &= ~1
        if self._z1:
            r = self.request(f"Z1,{addr:x},2")
            if r == "OK":
                self._breakpoints[addr] = 1
                return
            if r:  # an error, not "unsupported": maybe out of hardware breakpoints
                raise GdbError(f"cannot set a hardware breakpoint at {addr:#010x} ({r})")
            self._z1 = False
        self._expect_ok(f"Z0,{addr:x},2", f"setting a breakpoint at {addr:#010x}")
        self._breakpoints[addr] = 0

    def clear_breakpoint(self, addr: int) -> None:
        addr &= ~1
        kind = self._breakpoints.pop(addr, None)
        if kind is not None:
            self.request(f"z{kind},{addr:x},2")

    def set_write_watchpoint(self, addr: int, length: int) -> bool:
        """A write watchpoint on [addr, addr+length); False when the server has none."""
        r = self.request(f"Z2,{addr:x},{length:x}")
        return r == "OK"

    def clear_write_watchpoint(self, addr: int, length: int) -> None:
        self.request(f"z2,{addr:x},{length:x}")

    # -- execution -----------------------------------------------------------------------------
    def cont(self, timeout: float | None = None) -> StopReply:
        """Continue until the target stops. After `timeout` seconds the target is interrupted and
        GdbTimeout raised (the target is stopped again afterwards). A breakpoint at the current pc
        is stepped over first (stubs like QEMU's would stop on it again at once)."""
        if self._breakpoints:
            pc = self.read_register(REG_PC)
            if pc in self._breakpoints:
                self.request(f"z{self._breakpoints[pc]},{pc:x},2")
                try:
                    self.step()
                finally:
                    self._expect_ok(f"Z{self._breakpoints[pc]},{pc:x},2", f"setting a breakpoint at {pc:#010x}")
        self.send("c")
        return self.wait_stop(timeout)

    def step(self, timeout: float | None = None) -> StopReply:
        self.send("s")
        return self.wait_stop(self.timeout if timeout is None else timeout)

    def wait_stop(self, timeout: float | None = None) -> StopReply:
        deadline = None if timeout is None else time.monotonic() + timeout
        while True:
            left = None if deadline is None else max(0.0, deadline - time.monotonic())
            try:
                r = self.receive(timeout=left if left is not None else 3600.0 * 24)
            except socket.timeout:
                self.interrupt()
                raise GdbTimeout(f"the target was still running after {timeout:g} s") from None
            if r.startswith("O") and r != "OK" and _is_hex(r[1:]):
                self.console.append(bytes.fromhex(r[1:]).decode("latin-1"))
                continue
            return parse_stop(r)

    def interrupt(self) -> StopReply | None:
        self.sock.sendall(b"\x03")
        try:
            return parse_stop(self.receive(timeout=5.0))
        except socket.timeout:
            return None

    # -- server commands -------------------------------------------------------------------------
    def monitor(self, command: str, timeout: float | None = None) -> tuple[bool, str]:
        """Run a server command (GDB's `monitor CMD`): (accepted, its output). Servers that answer
        OK to a command they do not know but say so in the output (QEMU) count as refusing it."""
        start = len(self.console)
        r = self.request("qRcmd," + command.encode().hex(), timeout=timeout)
        out = "".join(self.console[start:])
        del self.console[start:]
        if r and r != "OK" and _is_hex(r):  # some servers answer with the output itself
            out += bytes.fromhex(r).decode("latin-1")
            r = "OK"
        refused = re.search(r"unknown command|invalid command|not found|unrecognized|error", out, re.I)
        return r == "OK" and not refused, out

    def memory_map(self) -> MemoryMap:
        """The server's memory map (empty when it sends none, like QEMU)."""
        if self._memory_map is None:
            self._memory_map = MemoryMap()
            if self.features.get("qXfer:memory-map:read") == "+":
                self._memory_map = parse_memory_map(self.read_xfer("memory-map", ""))
        return self._memory_map

    def read_xfer(self, obj: str, annex: str) -> str:
        out, off = [], 0
        n = max(64, self.packet_size - 16)
        while True:
            r = self.request(f"qXfer:{obj}:read:{annex}:{off:x},{n:x}")
            if not r or r[0] not in "lm":
                raise GdbError(f"cannot read {obj} from the GDB server ({r or 'unsupported'})")
            out.append(r[1:])
            off += len(r) - 1
            if r[0] == "l":
                return "".join(out)

    def load(self, segments, progress=None) -> None:
        """Write (address, bytes) segments: flash regions of the server's memory map with
        vFlashErase/vFlashWrite/vFlashDone (erasing whole blocks), the rest with memory writes."""
        mm = self.memory_map()
        flashed = False
        for addr, data in segments:
            region = next((f for f in mm.flash if f.contains(addr)), None)
            if region is None:
                self.write_memory(addr, data)
                continue
            if addr + len(data) > region.start + region.length:
                raise GdbError(f"segment at {addr:#010x} ({len(data)} bytes) runs past the flash region at "
                               f"{region.start:#010x}")
            bs = region.blocksize
            lo = region.start + (addr - region.start) // bs * bs
            hi = region.start + -(-(addr + len(data) - region.start) // bs) * bs
            self._expect_ok(f"vFlashErase:{lo:x},{hi - lo:x}", f"erasing flash {lo:#010x}..{hi:#010x}")
            chunk = max(16, (self.packet_size - 64) // 2)  # worst case: every byte escaped
            for off in range(0, len(data), chunk):
                part = escape(data[off:off + chunk])
                self._expect_ok(f"vFlashWrite:{addr + off:x}:".encode() + part,
                                f"writing flash at {addr + off:#010x}")
            flashed = True
        if flashed:
            self._expect_ok("vFlashDone", "finishing the flash write")

    def detach(self) -> None:
        try:
            self.request("D", timeout=2.0)
        except (GdbError, OSError):
            pass

    def kill(self) -> None:
        try:
            self.send("k")
        except (GdbError, OSError):
            pass


class GdbTimeout(GdbError):
    """The target did not stop in time (it was interrupted)."""


def parse_stop(r: str) -> StopReply:
    if not r:
        raise GdbError("empty stop reply")
    kind = r[0]
    if kind in "ST" and len(r) >= 3 and _is_hex(r[1:3]):
        watch = None
        if kind == "T":
            for item in r[3:].split(";"):
                k, _, v = item.partition(":")
                if k in ("watch", "rwatch", "awatch") and _is_hex(v):
                    watch = int(v, 16)
        return StopReply(int(r[1:3], 16), r, watch)
    if kind == "W":
        return StopReply(0, r, exited=True, exit_code=int(r[1:3], 16) if _is_hex(r[1:3]) else None)
    if kind == "X":
        return StopReply(int(r[1:3], 16) if _is_hex(r[1:3]) else 0, r, exited=True)
    if kind == "E":
        raise GdbError(f"the GDB server reported an error: {r}")
    raise GdbError(f"unexpected stop reply {r!r}")


_HEX = re.compile(r"^[0-9a-fA-F]*$")
_STOP = re.compile(r"^[ST][0-9a-fA-F]{2}(?:$|[^0-9a-fA-F])")


def _is_hex(s: str) -> bool:
    return bool(s) and len(s) % 2 == 0 and bool(_HEX.match(s))


def _short(p: str | bytes) -> str:
    s = p.decode("latin-1") if isinstance(p, bytes) else p
    return s if len(s) <= 40 else s[:37] + "..."


def parse_gdb_url(url: str) -> tuple[str, int]:
    """'gdb://HOST:PORT' -> (HOST, PORT)."""
    m = re.fullmatch(r"gdb://(\[[0-9a-fA-F:]+\]|[^:/\s]+):(\d{1,5})/?", url.strip())
    if not m or not 0 < int(m.group(2)) < 65536:
        raise TinygenError(f"not a GDB server address: {url!r} (expected gdb://HOST:PORT, e.g. gdb://127.0.0.1:3333)")
    return m.group(1).strip("[]"), int(m.group(2))


__all__ = ["GdbError", "GdbRemote", "GdbTimeout", "MemoryMap", "FlashRegion", "StopReply", "decode_payload", "escape",
           "frame", "parse_gdb_url", "parse_memory_map", "parse_stop", "REG_LR", "REG_PC", "REG_SP"]
