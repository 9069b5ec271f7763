#!/usr/bin/env python3
# The HTML report in a real browser: headless Chromium driven through
# chromedriver's WebDriver HTTP protocol (Python's standard library only).
# Usage: browser-test.py KAFKASIM SCENARIO
#
# Writes the report of SCENARIO (scenarios/quickstart.ks: broker 2 crashes
# at 3 s and orders-1's leadership moves to broker 3 at 18.3 s), loads it
# from a file, moves the time slider and checks what the page shows: at 2 s
# orders-1 is led by broker 2, broker 2 is up and the narration is the one
# said at 0 s; at 20 s orders-1 is led by broker 3 with ISR {3,1}, broker 2
# is down, in the table and in the topology diagram; the Right arrow key steps to the next event (22 s); at the end
# every expectation shows its verdict; the charts and log bars are drawn. And
# the browser's console holds no error (a script error, a blocked load).
# Exit status: 0 pass, 1 fail, 77 skip (no chromium or chromedriver: `make
# test` installs them).
import json
import os
import shutil
import socket
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request

from kstest import fail

CHROMIUM = os.environ.get("KS_CHROMIUM", "/usr/bin/chromium")
CHROMEDRIVER = os.environ.get("KS_CHROMEDRIVER", "/usr/bin/chromedriver")


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Driver:
    """A WebDriver session: one browser, commands as HTTP requests."""

    def __init__(self, port, profile):
        self.base = f"http://127.0.0.1:{port}"
        deadline = time.time() + 30
        while True:
            try:
                if self.call("GET", "/status").get("ready"):
                    break
            except (urllib.error.URLError, ConnectionError):
                pass
            if time.time() > deadline:
                fail("chromedriver did not become ready in 30 s")
            time.sleep(0.1)
        caps = {"capabilities": {"alwaysMatch": {
            "browserName": "chrome",
            "goog:chromeOptions": {
                "binary": CHROMIUM,
                "args": ["--headless=new", "--no-sandbox", "--disable-gpu",
                         "--disable-dev-shm-usage", "--window-size=1400,1000",
                         f"--user-data-dir={profile}"]},
            "goog:loggingPrefs": {"browser": "ALL"}}}}
        self.session = self.call("POST", "/session", caps)["sessionId"]

    def call(self, method, path, body=None):
        data = json.dumps(body).encode() if body is not None else None
        req = urllib.request.Request(self.base + path, data=data, method=method,
                                     headers={"Content-Type": "application/json"})
        try:
            with urllib.request.urlopen(req, timeout=60) as resp:
                return json.loads(resp.read() or b"{}").get("value")
        except urllib.error.HTTPError as e:
            fail(f"WebDriver {method} {path}: {e.code} {e.read().decode(errors='replace')}")

    def cmd(self, method, path, body=None):
        return self.call(method, f"/session/{self.session}{path}", body)

    def script(self, js, *args):
        return self.cmd("POST", "/execute/sync", {"script": js, "args": list(args)})

    def text(self, element_id):
        return self.script("const e = document.getElementById(arguments[0]);"
                           "return e ? e.textContent : null;", element_id)

    def console_errors(self):
        logs = self.cmd("POST", "/se/log", {"type": "browser"}) or []
        return [l for l in logs if l.get("level") in ("SEVERE", "ERROR")]

    def quit(self):
        self.call("DELETE", f"/session/{self.session}")


def move_slider(d, seconds):
    """Moves the slider as a drag does: a new value and an input event."""
    d.script("const s = document.getElementById('slider');"
             "s.value = String(arguments[0]);"
             "s.dispatchEvent(new Event('input', {bubbles: true}));",
             int(seconds * 1e6))


def expect_equal(what, got, want):
    if got != want:
        fail(f"{what}: the page shows {got!r}, expected {want!r}")


def expect_in(what, needle, hay):
    if hay is None or needle not in hay:
        fail(f"{what}: expected {needle!r} in {hay!r}")


def check_page(d, url):
    d.cmd("POST", "/url", {"url": url})
    if d.script("return typeof window.ksShow") != "function":
        fail(f"the page's script did not run; console: {d.console_errors()}")

    move_slider(d, 2)
    expect_equal("time at 2 s", d.text("time"), "2 s")
    expect_equal("leader of orders-1 at 2 s", d.text("leader-orders-1"), "2")
    expect_in("broker 2 at 2 s", "up", d.script(
        "return document.getElementById('broker-2').className"))
    expect_in("narration at 2 s", "every broker leads one of them", d.text("say"))

    move_slider(d, 20)
    expect_equal("leader of orders-1 at 20 s", d.text("leader-orders-1"), "3")
    expect_equal("ISR of orders-1 at 20 s", d.text("isr-orders-1"), "{3,1}")
    expect_in("broker 2 at 20 s", "down", d.script(
        "return document.getElementById('broker-2').className"))
    expect_in("narration at 20 s", "Broker 2 crashes", d.text("say"))
    # The diagram of the last change (18.317 s): broker 2 down, orders-1 led
    # by 3; or, built without Graphviz, the one-line note saying so.
    if d.script("return document.querySelectorAll('#diagram svg').length") == 1:
        expect_in("diagram at 20 s", "at 18.317s", d.text("diagram"))
        expect_in("diagram at 20 s", "down", d.text("diagram"))
    else:
        expect_in("diagram note", "Graphviz", d.text("diagram"))

    # The Right arrow steps to the next event: the say at 22 s.
    d.cmd("POST", "/actions", {"actions": [{"type": "key", "id": "keyboard", "actions": [
        {"type": "keyDown", "value": "\ue014"}, {"type": "keyUp", "value": "\ue014"}]}]})
    expect_equal("time after the Right arrow from 20 s", d.text("time"), "22 s")
    expect_in("narration at 22 s", "Session expired", d.text("say"))

    move_slider(d, 30)
    expects = d.text("expects")
    if expects is None or expects.count("held") != 5:
        fail(f"at the end the five expectations should show 'held': {expects!r}")
    n_lines = d.script("return document.querySelectorAll('#charts polyline').length")
    if not n_lines or n_lines < 4:
        fail(f"the charts show {n_lines} lines, expected at least 4")
    n_bars = d.script("return document.querySelectorAll('#logs svg rect').length")
    if not n_bars or n_bars < 9:
        fail(f"the log bars show {n_bars} rectangles, expected at least 9 (3 replicas x 3)")
    errors = d.console_errors()
    if errors:
        fail(f"the browser console has errors: {errors}")


def main():
    kafkasim, scenario = sys.argv[1], sys.argv[2]
    for exe in (CHROMIUM, CHROMEDRIVER):
        if not shutil.which(exe):
            print(f"SKIP: {exe} is missing (apt-get install chromium chromium-driver)")
            sys.exit(77)
    with tempfile.TemporaryDirectory(prefix="kafkasim-browser-") as tmp:
        report = os.path.join(tmp, "report.html")
        p = subprocess.run([kafkasim, "run", scenario, "--quiet", "--html", report],
                           capture_output=True, text=True)
        if p.returncode != 0 or not os.path.exists(report):
            fail(f"run --html: exit status {p.returncode}\n{p.stderr}")
        port = free_port()
        server = subprocess.Popen([CHROMEDRIVER, f"--port={port}"],
                                  stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        d = None
        try:
            d = Driver(port, os.path.join(tmp, "profile"))
            check_page(d, "file://" + report)
        finally:
            if d:
                d.quit()
            server.terminate()
            server.wait(timeout=10)
    print("ok")


main()
