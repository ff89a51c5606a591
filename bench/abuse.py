"""The attacks of a tenant, or of anyone, on the server's memory and on its login slots: each opens
real SSH connections (paramiko) against a real `intake serve` and reports what the server paid."""
import os
import socket
import statistics
import struct
import sys
import threading
import time

import paramiko

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "tests", "integration"))
from raw_sftp import OPENDIR, READ, READ_F, READDIR, RawSftp, s  # noqa: E402

from peers import proc_status  # noqa: E402

READ_SIZE = 255 * 1024


def connect(port, user, key_path, source="127.0.0.1"):
    sock = socket.create_connection(("127.0.0.1", port), timeout=60, source_address=(source, 0))
    transport = paramiko.Transport(sock)
    transport.start_client(timeout=60)
    transport.auth_publickey(user, paramiko.Ed25519Key.from_private_key_file(key_path))
    return transport


def settled_rss(pid, seconds=2.0):
    """The server's RSS once it stopped growing (the attack has filled what it can)."""
    last, stable_since = proc_status(pid)["VmRSS"], time.monotonic()
    while time.monotonic() - stable_since < seconds:
        time.sleep(0.2)
        now = proc_status(pid)["VmRSS"]
        if now > last + 64:
            last, stable_since = now, time.monotonic()
    return proc_status(pid)


def reset_peak(pid):
    with open(f"/proc/{pid}/clear_refs", "w") as f:
        f.write("5")


def read_backlog(port, user, key_path, sessions, requests):
    """Each session pipelines `requests` READs of 255 KiB on one file and reads no reply."""
    attackers = []
    for _ in range(sessions):
        transport = connect(port, user, key_path)
        raw = RawSftp(transport)
        handle = raw.open("/upload/big.filepart", READ_F).handle
        attackers.append((transport, raw, handle))
    return attackers, lambda: [raw.send(READ, s(handle), struct.pack(">QI", (i * READ_SIZE) % (3 << 20), READ_SIZE))
                               for _, raw, handle in attackers for i in range(requests)]


def listing(port, user, key_path, sessions, handles):
    """Each session opens `handles` listings of a folder of many files and reads one page of each."""
    attackers = []
    for _ in range(sessions):
        transport = connect(port, user, key_path)
        raw = RawSftp(transport)
        attackers.append((transport, raw))

    def attack():
        for _, raw in attackers:
            opened = [raw.call(OPENDIR, s("/upload")).handle for _ in range(handles)]
            for handle in opened:
                raw.send(READDIR, s(handle))
    return attackers, attack


def login_seconds(port, user, key_path, count):
    times = []
    for _ in range(count):
        start = time.monotonic()
        transport = connect(port, user, key_path)
        paramiko.SFTPClient.from_transport(transport).listdir("/")
        times.append(time.monotonic() - start)
        transport.close()
    return times


def silent_connections(port, total, addresses):
    """`total` TCP connections spread over 127.0.0.2.. that never say a word."""
    held, refused = [], 0
    for n in range(total):
        sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        try:
            sock.bind((f"127.0.0.{2 + n % addresses}", 0))
            sock.connect(("127.0.0.1", port))
            held.append(sock)
        except OSError:
            refused += 1
            sock.close()
    return held, refused


def close_all(attackers):
    def close(transport):
        try:
            transport.close()
        except Exception:  # noqa: BLE001 - the server may have cut it already
            pass
    threads = [threading.Thread(target=close, args=(a[0],)) for a in attackers]
    for t in threads:
        t.start()
    for t in threads:
        t.join()


def median_ms(values):
    return statistics.median(values) * 1000
