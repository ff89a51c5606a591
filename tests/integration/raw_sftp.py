"""A minimal SFTP v3 client that sends exactly the packets a test scripts, pipelined when asked:
to replay what WinSCP and rclone send (CLIENTS.md), and to send what no polite client would."""
import struct


OPEN, CLOSE, READ, WRITE, LSTAT, FSTAT, SETSTAT, FSETSTAT, OPENDIR, READDIR, REMOVE, MKDIR, RMDIR, REALPATH, STAT, \
    RENAME, READLINK, SYMLINK = range(3, 21)
EXTENDED = 200
STATUS, HANDLE, DATA, NAME, ATTRS, EXTENDED_REPLY = 101, 102, 103, 104, 105, 201
OK, EOF, NO_SUCH_FILE, PERMISSION_DENIED, FAILURE, BAD_MESSAGE, _, _, OP_UNSUPPORTED = range(9)
READ_F, WRITE_F, APPEND_F, CREAT_F, TRUNC_F, EXCL_F = 1, 2, 4, 8, 16, 32


def s(data):
    data = data.encode() if isinstance(data, str) else data
    return struct.pack(">I", len(data)) + data


def attrs(size=None, mtime=None):
    flags, body = 0, b""
    if size is not None:
        flags |= 1
        body += struct.pack(">Q", size)
    if mtime is not None:
        flags |= 8
        body += struct.pack(">II", mtime, mtime)
    return struct.pack(">I", flags) + body


class Reply:
    def __init__(self, kind, body):
        self.kind, self.body = kind, body
        self.id = struct.unpack(">I", body[:4])[0]
        rest = body[4:]
        if kind == STATUS:
            self.code = struct.unpack(">I", rest[:4])[0]
            length = struct.unpack(">I", rest[4:8])[0]
            self.message = rest[8:8 + length].decode(errors="replace")
        elif kind == HANDLE:
            self.handle = rest[4:4 + struct.unpack(">I", rest[:4])[0]]
        elif kind == DATA:
            self.data = rest[4:4 + struct.unpack(">I", rest[:4])[0]]
        elif kind == ATTRS:
            flags = struct.unpack(">I", rest[:4])[0]
            self.size = struct.unpack(">Q", rest[4:12])[0] if flags & 1 else None
        elif kind == NAME:
            count = struct.unpack(">I", rest[:4])[0]
            self.names, pos = [], 4
            for _ in range(count):
                n = struct.unpack(">I", rest[pos:pos + 4])[0]
                self.names.append(rest[pos + 4:pos + 4 + n].decode(errors="replace"))
                pos += 4 + n
                n = struct.unpack(">I", rest[pos:pos + 4])[0]
                pos += 4 + n
                flags = struct.unpack(">I", rest[pos:pos + 4])[0]
                pos += 4 + (8 if flags & 1 else 0) + (8 if flags & 2 else 0) + (4 if flags & 4 else 0) + \
                    (8 if flags & 8 else 0)

    def __repr__(self):
        return f"Reply(kind={self.kind}, id={self.id}, {getattr(self, 'code', '')} {getattr(self, 'message', '')})"


class RawSftp:
    def __init__(self, transport):
        self.channel = transport.open_session()
        self.channel.invoke_subsystem("sftp")
        self.next_id = 1
        self.raw(struct.pack(">BI", 1, 3))
        kind, body = self.read_packet()
        assert kind == 2, kind
        self.version = struct.unpack(">I", body[:4])[0]
        self.extensions, rest = {}, body[4:]
        while rest:
            n = struct.unpack(">I", rest[:4])[0]
            name = rest[4:4 + n].decode()
            rest = rest[4 + n:]
            n = struct.unpack(">I", rest[:4])[0]
            self.extensions[name] = rest[4:4 + n].decode()
            rest = rest[4 + n:]

    def raw(self, payload):
        self.channel.sendall(struct.pack(">I", len(payload)) + payload)

    def read_exact(self, count):
        data = b""
        while len(data) < count:
            chunk = self.channel.recv(count - len(data))
            if not chunk:
                raise EOFError("channel closed")
            data += chunk
        return data

    def read_packet(self):
        length = struct.unpack(">I", self.read_exact(4))[0]
        packet = self.read_exact(length)
        return packet[0], packet[1:]

    def send(self, kind, *fields):
        """Sends one request without waiting; returns its id."""
        request_id = self.next_id
        self.next_id += 1
        self.raw(struct.pack(">BI", kind, request_id) + b"".join(fields))
        return request_id

    def reply(self):
        return Reply(*self.read_packet())

    def call(self, kind, *fields):
        request_id = self.send(kind, *fields)
        reply = self.reply()
        assert reply.id == request_id, (reply, request_id)
        return reply

    # conveniences
    def open(self, path, flags, a=None):
        return self.call(OPEN, s(path), struct.pack(">I", flags), a or attrs())

    def write(self, handle, offset, data):
        return self.call(WRITE, s(handle), struct.pack(">Q", offset), s(data))

    def close(self, handle):
        return self.call(CLOSE, s(handle))

    def stat(self, path):
        return self.call(STAT, s(path))

    def setstat(self, path, a):
        return self.call(SETSTAT, s(path), a)

    def rename(self, old, new):
        return self.call(RENAME, s(old), s(new))

    def posix_rename(self, old, new):
        return self.call(EXTENDED, s("posix-rename@openssh.com"), s(old), s(new))

    def remove(self, path):
        return self.call(REMOVE, s(path))

    def upload(self, path, data, flags=WRITE_F | CREAT_F | TRUNC_F, chunk=32768, a=None):
        opened = self.open(path, flags, a)
        assert opened.kind == HANDLE, opened
        for offset in range(0, len(data), chunk):
            written = self.write(opened.handle, offset, data[offset:offset + chunk])
            assert written.code == OK, written
        return opened.handle
