"""A real headless Chromium for tests, driven over the Chrome DevTools Protocol (websocket-client, no Selenium:
Selenium's current release needs a newer certifi than our pin, and CDP gives the console and CSP reports directly).

    with Browser() as browser:
        browser.set_cookie(url, "sessionid", value)
        page = browser.open(url)          # waits for the load event
        page.errors                       # console errors, uncaught exceptions, CSP and network errors
        browser.evaluate("document.title")
        browser.screenshot(path)
"""

from __future__ import annotations

import base64
import json
import shutil
import subprocess
import tempfile
import time
import urllib.request
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import websocket

FLAGS = [
    "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
    "--disable-background-networking", "--disable-component-update", "--disable-sync", "--hide-scrollbars",
    "--remote-debugging-port=0", "--window-size=1280,900", "--force-device-scale-factor=1",
]  # fmt: skip


def chromium_path() -> str | None:
    return shutil.which("chromium") or shutil.which("chromium-browser") or shutil.which("google-chrome")


@dataclass
class Page:
    url: str
    errors: list[str] = field(default_factory=list)


class Browser:
    def __init__(self, timeout: float = 15.0) -> None:
        self.timeout = timeout
        self.profile = tempfile.mkdtemp(prefix="pw-chromium-")  # a fresh --user-data-dir every time
        self.process: subprocess.Popen[bytes] | None = None
        self.socket: websocket.WebSocket | None = None
        self.next_id = 0
        self.events: list[dict[str, Any]] = []

    def __enter__(self) -> Browser:
        binary = chromium_path()
        assert binary, "chromium is not installed (apt-get install chromium chromium-driver)"
        self.process = subprocess.Popen(
            [binary, *FLAGS, f"--user-data-dir={self.profile}", "about:blank"],
            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
        )  # fmt: skip
        port_file = Path(self.profile) / "DevToolsActivePort"
        deadline = time.monotonic() + self.timeout
        while not (port_file.exists() and port_file.read_text().strip()):
            assert time.monotonic() < deadline, "Chromium did not open its DevTools port"
            assert self.process.poll() is None, "Chromium exited at start"
            time.sleep(0.05)
        port = int(port_file.read_text().split()[0])
        with urllib.request.urlopen(f"http://127.0.0.1:{port}/json/list", timeout=5) as response:
            targets = [t for t in json.loads(response.read()) if t.get("type") == "page"]
        self.socket = websocket.create_connection(
            targets[0]["webSocketDebuggerUrl"], timeout=self.timeout, suppress_origin=True
        )
        for domain in ("Page", "Runtime", "Log", "Network"):
            self.call(f"{domain}.enable")
        return self

    def __exit__(self, *exc: object) -> None:
        if self.socket is not None:
            self.socket.close()
        if self.process is not None:
            self.process.terminate()
            try:
                self.process.wait(timeout=5)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
        shutil.rmtree(self.profile, ignore_errors=True)

    def call(self, method: str, **params: Any) -> dict[str, Any]:
        assert self.socket is not None
        self.next_id += 1
        ident = self.next_id
        self.socket.send(json.dumps({"id": ident, "method": method, "params": params}))
        while True:
            message = json.loads(self.socket.recv())
            if message.get("id") == ident:
                assert "error" not in message, message["error"]
                return message.get("result", {})
            if "method" in message:
                self.events.append(message)

    def _wait_for(self, method: str) -> None:
        assert self.socket is not None
        deadline = time.monotonic() + self.timeout
        while not any(e["method"] == method for e in self.events):
            assert time.monotonic() < deadline, f"timed out waiting for {method}"
            self.events.append(json.loads(self.socket.recv()))

    def set_cookie(self, url: str, name: str, value: str) -> None:
        self.call("Network.setCookie", name=name, value=value, url=url)

    def set_headers(self, headers: dict[str, str]) -> None:
        self.call("Network.setExtraHTTPHeaders", headers=headers)

    def open(self, url: str) -> Page:
        self.events = []
        self.call("Page.navigate", url=url)
        self._wait_for("Page.loadEventFired")
        time.sleep(0.2)  # late console messages (a script that fails after load)
        self.call("Runtime.evaluate", expression="1")  # drains events that arrived meanwhile
        page = Page(url=self.evaluate("location.href"))
        for event in self.events:
            params = event.get("params", {})
            if event["method"] == "Runtime.exceptionThrown":
                page.errors.append(json.dumps(params.get("exceptionDetails", {}))[:500])
            elif event["method"] == "Runtime.consoleAPICalled" and params.get("type") in ("error", "assert"):
                page.errors.append(json.dumps(params.get("args", []))[:500])
            elif event["method"] == "Log.entryAdded" and params.get("entry", {}).get("level") == "error":
                entry = params["entry"]
                page.errors.append(f"{entry.get('source')}: {entry.get('text')} {entry.get('url', '')}"[:500])
            elif event["method"] == "Network.loadingFailed" and not params.get("canceled"):
                page.errors.append(f"network: {params.get('errorText')} {params.get('blockedReason', '')}")
        return page

    def evaluate(self, expression: str) -> Any:
        result = self.call("Runtime.evaluate", expression=expression, returnByValue=True)
        assert "exceptionDetails" not in result, result["exceptionDetails"]
        return result["result"].get("value")

    def screenshot(self, path: Path, *, width: int = 1280, height: int | None = None) -> None:
        height = height or int(self.evaluate("Math.ceil(document.documentElement.scrollHeight)"))
        self.call("Emulation.setDeviceMetricsOverride", width=width, height=height, deviceScaleFactor=1, mobile=False)
        clip = {"x": 0, "y": 0, "width": width, "height": height, "scale": 1}
        data = self.call("Page.captureScreenshot", format="png", captureBeyondViewport=False, clip=clip)["data"]
        path.write_bytes(base64.b64decode(data))
