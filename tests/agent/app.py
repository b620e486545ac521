"""A WSGI application that knows nothing of heapmin, for a real prefork
server (gunicorn): GET /fill fills a cache of 1-4 KiB bytes objects
(150 MiB) in the worker that serves it and keeps 10 % of them, as a
worker does after a burst; every request answers with the worker's PID."""
import os
import random

kept = []


def app(environ, start_response):
    if environ.get("PATH_INFO") == "/fill":
        rng = random.Random(os.getpid())
        cache, size = [], 0
        while size < 150 << 20:
            n = rng.randint(1024, 4096)
            cache.append(bytes(n))
            size += n
        kept.extend(cache[::10])
        del cache
    body = f"{os.getpid()}\n".encode()
    start_response("200 OK", [("Content-Type", "text/plain"),
                              ("Content-Length", str(len(body)))])
    return [body]
