"""slack_standin.py — a local Slack Web API stand-in for the consumer's
end-to-end tests: files.info, the private download, chat.postMessage, chat.update,
conversations.history and auth.test, with fault modes (invalid token, 429
with Retry-After, deleted files, 5xx, an HTML login page, a gate that holds
a call until the test releases it). Every request is recorded (method,
path, query, headers, body) so tests can assert exactly what was sent.
"""
import json
import time
import urllib.parse
from http.server import BaseHTTPRequestHandler

from standin_base import StandinBase

LOGIN_PAGE = (b"<!DOCTYPE html><html><head><title>Slack</title></head>"
              b"<body>Sign in to your workspace</body></html>")


class SlackStandin(StandinBase):
    def __init__(self, token="xoxb-test-token"):
        self.token = token
        self.files = {}          # id -> dict(name, filetype, content, channel, deleted)
        self.messages = []       # dicts: channel, text, metadata, ts (and edits, after chat.update)
        self._ts = 1700000000
        super().__init__(self._handler())

    # --- test controls -------------------------------------------------
    def add_file(self, file_id, name, content, filetype=None, channel="C0TEST", size=None,
                 download_url=None):
        """size: what files.info reports (default: the content's length);
        download_url: its url_private_download (default: this stand-in's)."""
        if filetype is None:
            filetype = "csv" if name.lower().endswith(".csv") else "text"
        self.files[file_id] = dict(name=name, filetype=filetype, content=content,
                                   channel=channel, deleted=False, download_url=download_url,
                                   size=len(content) if size is None else size)

    # Faults (see StandinBase.fault) per API: "files.info", "download",
    # "chat.postMessage", "chat.update", "conversations.history", "auth.test", or
    # "download:F1" for one file. Modes: "429" (Retry-After: 1), "500",
    # "503", "invalid_auth", "deleted", "html", or any Slack error code;
    # for downloads also "slow:S" (the body spread over S seconds) and
    # "stall:S" (half the body, then S seconds of silence).
    # Gates are keyed by API name.

    def calls(self, api):
        return [r for r in self.requests if r["api"] == api]

    # --- internals -------------------------------------------------------
    def _next_fault(self, api, file_id=None):
        if file_id and self.faults.get(api + ":" + file_id):
            api = api + ":" + file_id
        return self.next_fault(api)

    def _next_ts(self):
        with self.lock:
            self._ts += 1
            return "%d.000100" % self._ts

    def _handler(self):
        standin = self

        class H(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, *a):
                pass

            def _reply(self, status, body, ctype="application/json; charset=utf-8", headers=()):
                if isinstance(body, (dict, list)):
                    body = json.dumps(body).encode()
                self.send_response(status)
                self.send_header("Content-Type", ctype)
                self.send_header("Content-Length", str(len(body)))
                for k, v in headers:
                    self.send_header(k, v)
                self.end_headers()
                if self.command != "HEAD":
                    self.wfile.write(body)

            def _handle(self):
                u = urllib.parse.urlsplit(self.path)
                n = int(self.headers.get("Content-Length") or 0)
                body = self.rfile.read(n) if n else b""
                if u.path.startswith("/api/"):
                    api = u.path[len("/api/"):]
                elif u.path.startswith("/files/"):
                    api = "download"
                else:
                    api = "unknown"
                rec = dict(api=api, method=self.command, path=u.path,
                           query=dict(urllib.parse.parse_qsl(u.query, keep_blank_values=True)),
                           headers={k.lower(): v for k, v in self.headers.items()},
                           body=body, time=time.time())
                with standin.lock:
                    standin.requests.append(rec)
                standin.pass_gate(lambda key: key == api)
                fid = rec["query"].get("file")
                if api == "download":
                    parts = u.path.split("/")
                    fid = parts[2] if len(parts) > 2 else None
                fault = standin._next_fault(api, fid)
                if fault == "429":
                    return self._reply(429, {"ok": False, "error": "ratelimited"},
                                       headers=[("Retry-After", "1")])
                if fault in ("500", "502", "503"):
                    return self._reply(int(fault), b"upstream trouble", "text/plain")
                if fault in ("202", "204"):   # a 2xx that is no answer (a proxy's)
                    return self._reply(int(fault), b"", "text/plain")
                authed = rec["headers"].get("authorization") == "Bearer " + standin.token
                if api == "download":
                    return self._download(u.path, authed, fault)
                if fault == "invalid_auth" or not authed:
                    return self._reply(200, {"ok": False, "error": "invalid_auth"})
                if fault and fault not in ("deleted", "html"):
                    return self._reply(200, {"ok": False, "error": fault})
                return getattr(self, "_api_" + api.replace(".", "_"), self._unknown)(rec, fault)

            def _unknown(self, rec, fault):
                return self._reply(200, {"ok": False, "error": "unknown_method"})

            def _download(self, path, authed, fault):
                parts = path.split("/")   # /files/<id>/<name>
                f = standin.files.get(parts[2]) if len(parts) > 2 else None
                if fault == "html" or not authed:
                    return self._reply(200, LOGIN_PAGE, "text/html; charset=utf-8")
                if f is None or f["deleted"] or fault == "deleted":
                    return self._reply(404, b"file not found", "text/plain")
                if fault and fault.startswith(("slow:", "stall:")):
                    return self._dribble(f["content"], fault)
                return self._reply(200, f["content"], "text/csv")

            def _dribble(self, body, fault):
                """slow:S — the body in 20 pieces spread over S seconds;
                stall:S — half the body, nothing for S seconds, the rest."""
                mode, secs = fault.split(":")
                secs = float(secs)
                self.send_response(200)
                self.send_header("Content-Type", "text/csv")
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                n = 20 if mode == "slow" else 2
                step = max(1, -(-len(body) // n))
                try:
                    for i in range(0, len(body), step):
                        if i:
                            time.sleep(secs / (n - 1) if mode == "slow" else secs)
                        self.wfile.write(body[i:i + step])
                        self.wfile.flush()
                except (BrokenPipeError, ConnectionResetError):
                    pass

            def _api_files_info(self, rec, fault):
                fid = rec["query"].get("file")
                f = standin.files.get(fid)
                if f is None or f["deleted"] or fault == "deleted":
                    return self._reply(200, {"ok": False, "error": "file_not_found"})
                return self._reply(200, {"ok": True, "file": {
                    "id": fid, "name": f["name"], "title": f["name"],
                    "filetype": f["filetype"], "mimetype": "text/csv",
                    "size": f["size"],
                    "url_private": "%s/files/%s/%s" % (standin.url, fid, f["name"]),
                    "url_private_download": f["download_url"] or
                                            "%s/files/%s/download/%s" % (standin.url, fid, f["name"]),
                }})

            def _api_chat_postMessage(self, rec, fault):
                ctype = rec["headers"].get("content-type", "")
                if not ctype.startswith("application/json"):
                    return self._reply(200, {"ok": False, "error": "invalid_form_data"})
                try:
                    msg = json.loads(rec["body"])
                except ValueError:
                    return self._reply(200, {"ok": False, "error": "invalid_json"})
                if not msg.get("channel") or not msg.get("text"):
                    return self._reply(200, {"ok": False, "error": "no_text"})
                msg["ts"] = standin._next_ts()
                with standin.lock:
                    standin.messages.append(msg)
                return self._reply(200, {"ok": True, "channel": msg["channel"], "ts": msg["ts"]})

            def _api_chat_update(self, rec, fault):
                # Like Slack: text replaced; metadata replaced when given, else kept.
                try:
                    upd = json.loads(rec["body"])
                except ValueError:
                    return self._reply(200, {"ok": False, "error": "invalid_json"})
                if not upd.get("channel") or not upd.get("ts"):
                    return self._reply(200, {"ok": False, "error": "invalid_arguments"})
                with standin.lock:
                    m = next((m for m in standin.messages
                              if m["channel"] == upd["channel"] and m["ts"] == upd["ts"]), None)
                    if m is None:
                        return self._reply(200, {"ok": False, "error": "message_not_found"})
                    m["text"] = upd.get("text", m["text"])
                    if "metadata" in upd:
                        m["metadata"] = upd["metadata"]
                    m["edits"] = m.get("edits", 0) + 1
                return self._reply(200, {"ok": True, "channel": m["channel"], "ts": m["ts"],
                                         "text": m["text"]})

            def _api_conversations_history(self, rec, fault):
                ch = rec["query"].get("channel")
                meta = rec["query"].get("include_all_metadata") == "true"
                out = []
                for m in reversed(standin.messages):
                    if m["channel"] != ch:
                        continue
                    e = {"type": "message", "text": m["text"], "ts": m["ts"]}
                    if meta and "metadata" in m:
                        e["metadata"] = m["metadata"]
                    out.append(e)
                return self._reply(200, {"ok": True, "messages": out, "has_more": False})

            def _api_auth_test(self, rec, fault):
                return self._reply(200, {"ok": True, "team": "Test Team", "user": "hookgate",
                                         "team_id": "T0TEST", "user_id": "U0BOT"})

            do_GET = _handle
            do_POST = _handle
            do_HEAD = _handle

        return H
