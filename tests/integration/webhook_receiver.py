"""A real HTTPS webhook receiver for the tests: TLS with the tests' own CA, every request's Standard
Webhooks signature verified with the endpoint's secret (in Python, independently of Intake's code),
answers scripted per request."""
import base64
import hashlib
import hmac
import json
import ssl
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer


def verify(secret, headers, body):
    """True when `headers` carry a valid v1 signature of `body` under `secret` ("whsec_…")."""
    key = base64.b64decode(secret[len("whsec_"):])
    signed = f"{headers['webhook-id']}.{headers['webhook-timestamp']}.".encode() + body
    expected = base64.b64encode(hmac.new(key, signed, hashlib.sha256).digest()).decode()
    return any(hmac.compare_digest(s.split(",", 1)[1], expected)
               for s in headers["webhook-signature"].split(" ") if s.startswith("v1,"))


class WebhookReceiver:
    def __init__(self, port, cert, key):
        self.secret = None
        self.answers = []   # the next requests' status codes (then 200)
        self.requests = []  # {"id", "timestamp", "event", "verified"}
        self.lock = threading.Lock()
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self):
                body = self.rfile.read(int(self.headers["Content-Length"]))
                with receiver.lock:
                    code = receiver.answers.pop(0) if receiver.answers else 200
                    receiver.requests.append({
                        "id": self.headers["webhook-id"], "timestamp": self.headers["webhook-timestamp"],
                        "verified": receiver.secret is not None and verify(receiver.secret, self.headers, body),
                        "event": json.loads(body), "path": self.path, "answered": code})
                self.send_response(code)
                if code == 503:
                    self.send_header("Retry-After", "1")
                self.send_header("Content-Length", "2")
                self.end_headers()
                self.wfile.write(b"ok")

            def log_message(self, *args):
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", port), Handler)
        context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
        context.load_cert_chain(cert, key)
        self.server.socket = context.wrap_socket(self.server.socket, server_side=True)
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    def start(self):
        self.thread.start()
        return self

    def stop(self):
        self.server.shutdown()
        self.server.server_close()
