#!/usr/bin/env python3
# The HTML report without a browser (browser-test.py drives one).
# Usage: report-test.py KAFKASIM SCENARIO
#
# Checks that `run SCENARIO --html FILE` changes nothing in the run (the
# same timeline and summary, the engine's event count included, as without
# it); that the page is the same bytes on a second run; that it is one
# self-contained file: no script, style, font or image loaded from anywhere,
# a Content-Security-Policy that allows nothing from outside; and that its
# embedded data parses and holds the run: its end, the timeline's lines,
# every expectation with the summary's verdict.
import json
import os
import re
import sys
import tempfile

from kstest import fail, run, read


def main():
    kafkasim, scenario = sys.argv[1], sys.argv[2]
    with tempfile.TemporaryDirectory(prefix="kafkasim-report-") as tmp:
        html, html2 = os.path.join(tmp, "a.html"), os.path.join(tmp, "b.html")
        s_with, s_without = os.path.join(tmp, "with.json"), os.path.join(tmp, "without.json")
        out_with = run(kafkasim, [scenario, "--color", "never", "--html", html,
                                  "--summary-json", s_with])
        out_without = run(kafkasim, [scenario, "--color", "never", "--summary-json", s_without])
        if out_with != out_without or read(s_with) != read(s_without):
            fail("the timeline or the summary differs with --html: the report changed the run")
        run(kafkasim, [scenario, "--quiet", "--html", html2])
        page = read(html)
        if page != read(html2):
            fail("two runs of the same scenario wrote different pages")
        summary = json.loads(read(s_with))

    for pattern in [r"<script[^>]*\ssrc=", r"<link[^>]*stylesheet", r"@import", r"url\(",
                    r"<img[^>]*\ssrc=\"(?!data:)", r"<iframe"]:
        if re.search(pattern, page, re.I):
            fail(f"the page loads something from outside: {pattern}")
    if "default-src 'none'" not in page:
        fail("the page has no Content-Security-Policy forbidding outside loads")
    m = re.search(r'<script type="application/json" id="ks-data">(.*?)</script>', page, re.S)
    if not m:
        fail("no embedded data")
    data = json.loads(m.group(1))
    if data["end_us"] != summary["time_us"]:
        fail(f"the report ends at {data['end_us']} us, the run at {summary['time_us']}")
    if not data["lines"] or not data["frames"]:
        fail("the report holds no timeline line or no frame")
    times = [f["t"] for f in data["frames"]]
    if times != sorted(set(times)) or times[-1] != summary["time_us"]:
        fail("frames are not one per instant in time order up to the end")
    verdicts = [(e["line"], e["held"]) for e in data["expects"]]
    want = [(e["line"], e["held"]) for e in summary["expectations"]]
    if sorted(verdicts) != sorted(want):
        fail(f"expectations in the report {verdicts}, in the summary {want}")
    last = data["frames"][-1]
    shown = dict(zip(data["partitions"], last["p"]))
    for topic in summary["topics"]:
        for p in topic["partitions"]:
            name = f"{topic['name']}-{p['partition']}"
            if name in shown and (shown[name]["leader"], shown[name]["isr"]) != (p["leader"],
                                                                                 p["isr"]):
                fail(f"{name} at the end: the report shows leader {shown[name]['leader']} "
                     f"isr {shown[name]['isr']}, the summary {p['leader']} {p['isr']}")
    print("ok")


main()
