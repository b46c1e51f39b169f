"""The GDB remote-protocol client's encoding (checksums, escapes, run-length replies, stop replies,
memory maps) and the packets it sends, against a scripted stub in a thread. The stub models what
the protocol documentation specifies for a server with a flash memory map (qXfer:memory-map:read,
vFlashErase/vFlashWrite/vFlashDone), which QEMU does not offer; real servers are tested in
tests/target (QEMU)."""

import socket
import threading

import pytest

from tinygen.emulator.gdb_rsp import (GdbError, GdbRemote, checksum, decode_payload, escape, frame, parse_gdb_url,
                                      parse_memory_map, parse_stop)
from tinygen.errors import TinygenError


def test_framing_escaping_and_run_length():
    assert frame(b"OK") == b"$OK#9a" and checksum(b"OK") == 0x9A
    raw = bytes(range(0x20, 0x30)) + b"#$}*"
    assert decode_payload(escape(raw)) == raw
    assert b"#" not in escape(b"#$") and escape(b"}") == b"}]"
    assert decode_payload(b"0* ") == b"0000"        # '*' + chr(29 + 3): three more copies
    assert decode_payload(b"ab}]c") == b"ab}c"


def test_stop_replies_and_urls():
    assert parse_stop("T05thread:01;").signal == 5
    assert parse_stop("T05watch:1fffffe0;thread:01;").watch_address == 0x1FFFFFE0
    assert parse_stop("W00").exited and parse_stop("S02").signal == 2
    with pytest.raises(GdbError):
        parse_stop("E01")
    assert parse_gdb_url("gdb://127.0.0.1:3333") == ("127.0.0.1", 3333)
    assert parse_gdb_url("gdb://[::1]:2331") == ("::1", 2331)
    for bad in ("gdb://host", "tcp://h:1", "gdb://h:0", "gdb://h:70000"):
        with pytest.raises(TinygenError):
            parse_gdb_url(bad)


MEMORY_MAP = """<?xml version="1.0"?>
<!DOCTYPE memory-map PUBLIC "+//IDN gnu.org//DTD GDB Memory Map V1.0//EN" "http://sourceware.org/gdb/gdb-memory-map.dtd">
<memory-map>
  <memory type="flash" start="0x08000000" length="0x20000"><property name="blocksize">0x4000</property></memory>
  <memory type="ram" start="0x20000000" length="0x20000"/>
</memory-map>"""


class Stub(threading.Thread):
    """A minimal GDB stub: acknowledgements, PacketSize 0x200, a memory map, flash packets."""

    def __init__(self):
        super().__init__(daemon=True)
        self.srv = socket.socket()
        self.srv.bind(("127.0.0.1", 0))
        self.srv.listen(1)
        self.port = self.srv.getsockname()[1]
        self.packets: list[bytes] = []
        self.flash = {}
        self.ram = {}
        self.erased: list[tuple[int, int]] = []

    def reply(self, conn, payload: bytes):
        conn.sendall(frame(payload))

    def run(self):
        conn, _ = self.srv.accept()
        buf = b""
        while True:
            data = conn.recv(65536)
            if not data:
                return
            buf += data
            while True:
                buf = buf.lstrip(b"+")
                start = buf.find(b"$")
                end = buf.find(b"#", start)
                if start < 0 or end < 0 or len(buf) < end + 3:
                    break
                body, cs = buf[start + 1:end], buf[end + 1:end + 3]
                buf = buf[end + 3:]
                assert int(cs, 16) == checksum(body)
                conn.sendall(b"+")
                self.packets.append(body)
                self.handle(conn, body)

    def handle(self, conn, body: bytes):
        if body.startswith(b"qSupported"):
            self.reply(conn, b"PacketSize=200;qXfer:memory-map:read+")
        elif body == b"?":
            self.reply(conn, b"S05")
        elif body.startswith(b"qXfer:memory-map:read::"):
            off, n = (int(x, 16) for x in body.split(b"::")[1].split(b","))
            chunk = MEMORY_MAP.encode()[off:off + n]
            more = off + n < len(MEMORY_MAP)
            self.reply(conn, (b"m" if more else b"l") + chunk)
        elif body.startswith(b"vFlashErase:"):
            a, n = (int(x, 16) for x in body[12:].split(b","))
            self.erased.append((a, n))
            for i in range(a, a + n):
                self.flash[i] = 0xFF
            self.reply(conn, b"OK")
        elif body.startswith(b"vFlashWrite:"):
            addr_s, data = body[12:].split(b":", 1)
            for i, byte in enumerate(decode_payload(data)):
                self.flash[int(addr_s, 16) + i] = byte
            self.reply(conn, b"OK")
        elif body == b"vFlashDone":
            self.reply(conn, b"OK")
        elif body.startswith(b"M"):
            head, data = body[1:].split(b":")
            addr = int(head.split(b",")[0], 16)
            for i, byte in enumerate(bytes.fromhex(data.decode())):
                self.ram[addr + i] = byte
            self.reply(conn, b"OK")
        elif body.startswith(b"m"):
            a, n = (int(x, 16) for x in body[1:].split(b","))
            mem = {**self.flash, **self.ram}
            self.reply(conn, bytes(mem.get(a + i, 0) for i in range(n)).hex().encode())
        else:
            self.reply(conn, b"")


def test_load_uses_flash_commands_in_the_memory_map():
    stub = Stub()
    stub.start()
    g = GdbRemote("127.0.0.1", stub.port, timeout=5)
    try:
        assert g.packet_size == 0x200 and g.ack  # no QStartNoAckMode offered: acknowledgements stay on
        mm = g.memory_map()
        assert [(f.start, f.length, f.blocksize) for f in mm.flash] == [(0x08000000, 0x20000, 0x4000)]
        image = bytes((i * 7 + 35) & 0xFF for i in range(5000))  # includes '#', '$', '}' and '*' bytes
        ramdata = bytes(range(256)) * 3
        g.load([(0x08004010, image), (0x20000100, ramdata)])
        # whole 16 KB blocks covering the segment were erased, the bytes written, the write finished
        assert stub.erased == [(0x08004000, 0x4000)]
        assert bytes(stub.flash[0x08004010 + i] for i in range(len(image))) == image
        writes = [i for i, p in enumerate(stub.packets) if p.startswith(b"vFlashWrite")]
        assert stub.packets.index(b"vFlashDone") > max(writes)
        assert bytes(stub.ram[0x20000100 + i] for i in range(len(ramdata))) == ramdata
        # every packet the client sent fits the advertised size; reads come back in pieces
        assert max(len(p) + 4 for p in stub.packets) <= 0x200
        assert g.read_memory(0x08004010, len(image)) == image
        with pytest.raises(GdbError, match="runs past the flash region"):
            g.load([(0x0801FFF0, bytes(64))])
    finally:
        g.close()
