"""worker: mines DockerCoins.

Forever: pause 0.1 s, fetch 32 random bytes from rng, ask hasher for their
SHA-256. A hash that starts with "0" is a coin and goes into the redis hash
"wallet". About once a second the number of hashes done since the last report
is added to the redis counter "hashes" (webui graphs its rate). When anything
fails, the error is logged and the worker waits 10 s before trying again.
"""
import logging
import os
import signal
import sys
import time

import redis
import requests

logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(message)s")
log = logging.getLogger("worker")

RNG_URL = os.environ.get("RNG_URL", "http://rng/32")
HASHER_URL = os.environ.get("HASHER_URL", "http://hasher/")
REPORT_EVERY = 1.0  # seconds between two INCRBY on "hashes"

store = redis.Redis(host=os.environ.get("REDIS_HOST", "redis"), port=6379)


def mine_once():
    time.sleep(0.1)
    data = requests.get(RNG_URL, timeout=30).content
    reply = requests.post(HASHER_URL, data=data, timeout=30,
                          headers={"Content-Type": "application/octet-stream"})
    reply.raise_for_status()
    digest = reply.text
    if digest.startswith("0"):
        store.hset("wallet", digest, data)
        log.info("coin found: %s", digest)


def mine_forever():
    done = 0
    next_report = time.monotonic() + REPORT_EVERY
    while True:
        mine_once()
        done += 1
        if time.monotonic() >= next_report:
            store.incrby("hashes", done)
            done = 0
            next_report = time.monotonic() + REPORT_EVERY


def stop(signum, frame):
    # As PID 1 in its container the worker would ignore SIGTERM, and every
    # scale-down or rolling update would wait 10 s for Docker to kill it.
    sys.exit(0)


if __name__ == "__main__":
    signal.signal(signal.SIGTERM, stop)
    while True:
        try:
            mine_forever()
        except Exception as error:  # noqa: BLE001 - any failure: log, wait, retry
            log.error("mining stopped (%s: %s); retrying in 10 s", type(error).__name__, error)
            time.sleep(10)
