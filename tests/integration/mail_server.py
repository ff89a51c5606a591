"""A real SMTP server for the tests (aiosmtpd, Debian's python3-aiosmtpd): STARTTLS required, AUTH
required, answers scripted per message, and every accepted message kept for the test to read."""
import email
import email.policy
import ssl
import logging
import threading

from aiosmtpd.controller import Controller
from aiosmtpd.smtp import AuthResult, LoginPassword

# aiosmtpd 1.4 logs a warning about its own use of a deprecated attribute at every AUTH.
logging.getLogger("mail.log").setLevel(logging.ERROR)


class _Handler:
    def __init__(self, server):
        self.server = server

    async def handle_RCPT(self, smtp, session, envelope, address, rcpt_options):
        if address in self.server.refuse:
            return "550 5.1.1 <%s>: no such user here" % address
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, smtp, session, envelope):
        with self.server.lock:
            answer = self.server.data_answers.pop(0) if self.server.data_answers else "250 2.0.0 queued"
            self.server.attempts.append({"tls": session.ssl is not None, "authenticated": session.authenticated,
                                         "answer": answer})
            if answer.startswith("250"):
                self.server.messages.append({
                    "mail_from": envelope.mail_from, "rcpt_tos": list(envelope.rcpt_tos),
                    "message": email.message_from_bytes(envelope.content, policy=email.policy.default)})
        return answer


class MailServer:
    """Listens on 127.0.0.1:`port`; `user`/`password` is the only login it takes. Without `cert` it offers
    neither STARTTLS nor AUTH (a misconfigured relay)."""

    def __init__(self, port, cert, key, user, password):
        self.lock = threading.Lock()
        self.messages, self.attempts = [], []
        self.data_answers = []  # the next messages' answers ("451 …"), then 250
        self.refuse = set()     # recipients answered 550
        self.logins = []
        context = None
        if cert:
            context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
            context.load_cert_chain(cert, key)

        def authenticate(smtp, session, envelope, mechanism, auth_data):
            ok = isinstance(auth_data, LoginPassword) and auth_data.login == user.encode() \
                and auth_data.password == password.encode()
            with self.lock:
                self.logins.append((mechanism, ok))
            return AuthResult(success=ok)

        self.controller = Controller(_Handler(self), hostname="127.0.0.1", port=port, tls_context=context,
                                     require_starttls=bool(cert), auth_required=bool(cert),
                                     authenticator=authenticate)

    def start(self):
        self.controller.start()
        self.running = True
        return self

    def stop(self):
        if self.running:
            self.running = False
            self.controller.stop()
