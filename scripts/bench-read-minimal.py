#!/usr/bin/env python3
"""The minimal reader scripts/bench-read.ts measures `qrng read -o FILE` against:

    python3 scripts/bench-read-minimal.py PORT SIZE FILE

Connects to a `qrng emulate qcicada --startup-ms 0` on 127.0.0.1:PORT, sends START continuous,
skips the ACK and status, then receives into one buffer and writes each piece to FILE until SIZE
bytes are written, sends STOP and prints one JSON line {"bytesPerSecond": N}, timed from
connecting to the last byte like `qrng read --json`. No decoding, no tests, no temporary file.
"""
import json
import socket
import sys
import time

START_CONTINUOUS = bytes([0x04, 0, 0, 0])
STOP = bytes([0x05])
ACK_AND_STATUS_BYTES = 6
BUFFER_BYTES = 1 << 20  # as large as qrng's gate staging buffer

port, size, path = int(sys.argv[1]), int(sys.argv[2]), sys.argv[3]
view = memoryview(bytearray(BUFFER_BYTES))
started = time.perf_counter()
with socket.create_connection(("127.0.0.1", port)) as sock, open(path, "wb") as out:
    sock.sendall(START_CONTINUOUS)
    sock.recv(ACK_AND_STATUS_BYTES, socket.MSG_WAITALL)
    left = size
    while left > 0:
        n = sock.recv_into(view, min(left, BUFFER_BYTES))
        if n == 0:
            sys.exit("the emulator closed the connection")
        out.write(view[:n])
        left -= n
    seconds = time.perf_counter() - started
    sock.sendall(STOP)
print(json.dumps({"bytesPerSecond": round(size / seconds)}))
