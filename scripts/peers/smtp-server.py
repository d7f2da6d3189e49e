"""aiosmtpd test peer for Tollgate (started by scripts/peers/smtp; not run by hand).

One process, three listeners on 127.0.0.1:
  plain     no TLS, no AUTH
  starttls  STARTTLS required before MAIL; AUTH (after STARTTLS) required
  smtps     implicit TLS; AUTH required (auth_require_tls=False: aiosmtpd counts only STARTTLS as TLS)
Each delivered message is appended to DIR/mail.jsonl as one JSON line. Recipients reject@… get 550,
later@… get 451 (a +tag is ignored: reject+1@…). AUTH accepts user `tollgate`, password `s3cret-pw`.
Usage: python smtp-server.py DIR  (writes DIR/ports: "PLAIN STARTTLS SMTPS" once all listen)
"""
import json, os, signal, socket, ssl, sys, threading

from aiosmtpd.controller import Controller
from aiosmtpd.smtp import AuthResult, LoginPassword

USER, PASSWORD = b"tollgate", b"s3cret-pw"
directory = sys.argv[1]
lock = threading.Lock()


def authenticator(server, session, envelope, mechanism, auth_data):
    if isinstance(auth_data, LoginPassword) and auth_data.login == USER and auth_data.password == PASSWORD:
        return AuthResult(success=True, auth_data=auth_data.login.decode())
    return AuthResult(success=False, handled=False)


class Recorder:
    def __init__(self, listener):
        self.listener = listener

    async def handle_RCPT(self, server, session, envelope, address, rcpt_options):
        local = address.split("@", 1)[0].split("+", 1)[0].lower()
        if local == "reject":
            return "550 5.1.1 <%s>: mailbox unavailable" % address
        if local == "later":
            return "451 4.3.0 <%s>: try again later" % address
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server, session, envelope):
        ssl_object = server.transport.get_extra_info("ssl_object") if server.transport else None
        content = envelope.original_content or envelope.content or b""
        record = {
            "listener": self.listener,
            "mail_from": envelope.mail_from,
            "rcpt_tos": list(envelope.rcpt_tos),
            "peer": list(session.peer) if session.peer else None,
            "session": "%s:%s" % (self.listener, session.peer[1] if session.peer else "?"),
            "ehlo": session.host_name,
            "tls": ssl_object is not None,
            "tls_version": ssl_object.version() if ssl_object is not None else None,
            "auth_user": session.auth_data if session.authenticated else None,
            "data": content.decode("utf-8", errors="replace"),
        }
        with lock, open(os.path.join(directory, "mail.jsonl"), "a", encoding="utf-8") as out:
            out.write(json.dumps(record) + "\n")
        return "250 2.0.0 OK queued as %d" % (hash(content) & 0xFFFFFFFF)


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def tls_context():
    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    context.load_cert_chain(os.path.join(directory, "cert.pem"), os.path.join(directory, "key.pem"))
    return context


common = dict(hostname="127.0.0.1", decode_data=False, data_size_limit=10 * 1024 * 1024)
controllers = [
    Controller(Recorder("plain"), port=free_port(), **common),
    Controller(Recorder("starttls"), port=free_port(), tls_context=tls_context(), require_starttls=True,
               authenticator=authenticator, auth_required=True, **common),
    Controller(Recorder("smtps"), port=free_port(), ssl_context=tls_context(), authenticator=authenticator,
               auth_required=True, auth_require_tls=False, **common),
]
for controller in controllers:
    controller.start()
with open(os.path.join(directory, "ports.tmp"), "w") as out:
    out.write(" ".join(str(c.port) for c in controllers) + "\n")
os.replace(os.path.join(directory, "ports.tmp"), os.path.join(directory, "ports"))

stop = threading.Event()
signal.signal(signal.SIGTERM, lambda *_: stop.set())
signal.signal(signal.SIGINT, lambda *_: stop.set())
stop.wait()
for controller in controllers:
    controller.stop()
