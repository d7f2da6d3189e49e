"""Standard Webhooks receiver peer for Tollgate's tests (started by scripts/peers/webhook-receiver;
not run by hand). Every POST /r/NAME is verified with the `standardwebhooks` library and recorded;
see the script for the routes. Usage: python webhook-receiver.py DIR (writes DIR/url once listening)."""
import json, os, sys, threading, time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

from standardwebhooks import Webhook

directory = sys.argv[1]
lock = threading.Lock()
receivers = {}  # name -> {"config": {...}, "requests": [...], "failed": int}


def receiver(name):
    return receivers.setdefault(name, {"config": {"secrets": []}, "requests": [], "failed": 0})


class Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"  # keep-alive: the sender reuses its connection
    # The status line and headers go out in one write and the body in another: without TCP_NODELAY
    # the body waits for the client's delayed ACK (40 ms a request on Linux).
    disable_nagle_algorithm = True

    def log_message(self, format, *args):
        pass

    def answer(self, status, body=b"", content_type="application/json"):
        self.send_response(status)
        self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def read_body(self):
        length = int(self.headers.get("Content-Length") or 0)
        return self.rfile.read(length) if length > 0 else b""

    def do_PUT(self):
        body = self.read_body()
        if not self.path.startswith("/_config/"):
            return self.answer(404)
        name = self.path[len("/_config/"):]
        config = json.loads(body or b"{}")
        with lock:
            entry = receiver(name)
            entry["config"] = config
            entry["failed"] = 0
        self.answer(200, b"{}")

    def do_GET(self):
        if not self.path.startswith("/_requests/"):
            return self.answer(404)
        name = self.path[len("/_requests/"):]
        with lock:
            requests = list(receiver(name)["requests"])
        self.answer(200, json.dumps(requests).encode())

    def do_POST(self):
        body = self.read_body()
        if not self.path.startswith("/r/"):
            return self.answer(404)
        name = self.path[len("/r/"):]
        with lock:
            config = dict(receiver(name)["config"])
        headers = {k: v for k, v in self.headers.items()}
        accepted, error, secret_index = False, "no secret configured", None
        for index, secret in enumerate(config.get("secrets", [])):
            try:
                Webhook(secret).verify(body, headers)
                accepted, error, secret_index = True, None, index
                break
            except Exception as e:  # WebhookVerificationError, or a malformed header
                error = "%s: %s" % (type(e).__name__, e)
        status = 200 if accepted else 401
        with lock:
            entry = receiver(name)
            if accepted and entry["failed"] < int(config.get("fail_first", 0)):
                entry["failed"] += 1
                status = int(config.get("fail_status", 500))
            signature = self.headers.get("webhook-signature") or ""
            entry["requests"].append({
                "accepted": accepted, "error": error, "status": status, "secret_index": secret_index,
                "webhook_id": self.headers.get("webhook-id"), "webhook_timestamp": self.headers.get("webhook-timestamp"),
                "signatures": len(signature.split(" ")) if signature else 0,
                "body": body.decode("utf-8", "replace"), "received_at": time.time(),
            })
        delay = int(config.get("delay_ms", 0))
        if delay > 0 and status == 200:
            time.sleep(delay / 1000)
        self.answer(status, b'{"ok":true}' if status == 200 else b'{"ok":false}')


server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
server.daemon_threads = True
with open(os.path.join(directory, "url.tmp"), "w") as f:
    f.write("http://127.0.0.1:%d\n" % server.server_address[1])
os.rename(os.path.join(directory, "url.tmp"), os.path.join(directory, "url"))
server.serve_forever()
