"""standin_base.py — what the consumer tests' HTTP stand-ins share: a
threaded server on 127.0.0.1 port 0 (no Nagle delay), queued fault modes
per operation ("always:MODE" repeats), gates that hold a call until the
test releases it, and a request log."""
import threading
from http.server import ThreadingHTTPServer


class StandinBase:
    def __init__(self, handler_class):
        # An answer goes out as headers, then body: with Nagle's algorithm
        # the body waits for the client's delayed ACK, ~40 ms a request.
        handler_class.disable_nagle_algorithm = True
        self.requests = []
        self.faults = {}
        self.gates = {}
        self.lock = threading.Lock()
        self.server = ThreadingHTTPServer(("127.0.0.1", 0), handler_class)
        self.server.daemon_threads = True
        self.port = self.server.server_address[1]
        self.url = "http://127.0.0.1:%d" % self.port
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def close(self):
        for entered, release in self.gates.values():
            release.set()
        self.server.shutdown()
        self.server.server_close()

    def fault(self, op, *modes):
        """Queue fault modes for op, consumed in order ("always:MODE" repeats)."""
        with self.lock:
            self.faults.setdefault(op, []).extend(modes)

    def clear_faults(self):
        with self.lock:
            self.faults.clear()

    def next_fault(self, op):
        with self.lock:
            q = self.faults.get(op)
            if not q:
                return None
            f = q[0]
            if f.startswith("always:"):
                return f[len("always:"):]
            q.pop(0)
            return f

    def gate(self, key):
        """Hold the next calls matching key until release_gate(key). Returns
        the Event set when a call has arrived at the gate."""
        entered, release = threading.Event(), threading.Event()
        self.gates[key] = (entered, release)
        return entered

    def release_gate(self, key):
        g = self.gates.pop(key, None)
        if g:
            g[1].set()

    def pass_gate(self, match):
        """Called by a handler: wait at every gate whose key match(key) accepts."""
        for key, (entered, release) in list(self.gates.items()):
            if match(key):
                entered.set()
                release.wait(60)
