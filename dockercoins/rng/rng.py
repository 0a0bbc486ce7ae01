"""rng: hands out random bytes, slowly, one caller at a time.

GET /<n> returns n bytes from /dev/urandom after a 0.1 s pause. The server is
single-threaded on purpose: a container answers one request at a time, which is
the bottleneck chapter 3 of the workshop sets out to find.
"""
import os
import signal
import socket
import sys
import time

from flask import Flask, Response
from werkzeug.serving import WSGIRequestHandler

app = Flask(__name__)
host = socket.gethostname()
random_source = os.open("/dev/urandom", os.O_RDONLY)


@app.route("/")
def hello():
    return f"rng is running on {host}\n"


@app.route("/<int:count>")
def random_bytes(count):
    # The pause is the point of the demo: every call costs 0.1 s.
    time.sleep(0.1)
    return Response(os.read(random_source, count), content_type="application/octet-stream")


class NoDelayHandler(WSGIRequestHandler):
    # Werkzeug writes the headers and the body in separate packets; with Nagle's
    # algorithm on, the body waits for the client's delayed ACK (~40 ms) and
    # every request looks slower than the 0.1 s the demo is about.
    disable_nagle_algorithm = True


if __name__ == "__main__":
    # PID 1 ignores SIGTERM unless it asks for it: stop at once on docker stop.
    signal.signal(signal.SIGTERM, lambda signum, frame: sys.exit(0))
    # threaded=False: one request at a time per container.
    app.run(host="0.0.0.0", port=80, threaded=False, request_handler=NoDelayHandler)
