#!/usr/bin/env python3
# The metrics CSV as a user reads it (docs/metrics.md).
# Usage: metrics-test.py KAFKASIM SCENARIO
#
# Checks that `run SCENARIO --metrics FILE` writes a CSV with the documented
# header and five fields a row, samples at 0 s, every interval and at the
# end; that its last sample agrees with the summary JSON of the same run
# (every partition's leader, epoch, ISR size and offsets, every group's
# state, generation and lag, the record counts, the controller); and that
# sampling changes nothing: the run with --metrics prints the same timeline
# and writes the same summary (the engine's event count included) as the
# run without. Then again with --metrics-interval 2500ms; and a bad
# interval is bad input (exit 2, one message, no file).
import csv
import json
import os
import subprocess
import sys
import tempfile

from kstest import fail, run, read

HEADER = ["time_s", "kind", "subject", "metric", "value"]


def read_csv(path):
    with open(path, newline="") as f:
        rows = list(csv.reader(f))
    if not rows or rows[0] != HEADER:
        fail(f"header is {rows[:1]}, expected {HEADER}")
    for i, r in enumerate(rows[1:], start=2):
        if len(r) != 5:
            fail(f"line {i} has {len(r)} fields: {r}")
        float(r[0])
    return rows[1:]


def check(kafkasim, scenario, tmp, interval_args, interval_s):
    metrics = os.path.join(tmp, "m.csv")
    with_json = os.path.join(tmp, "with.json")
    without_json = os.path.join(tmp, "without.json")
    out_with = run(kafkasim, [scenario, "--color", "never", "--metrics", metrics,
                              "--summary-json", with_json] + interval_args)
    out_without = run(kafkasim, [scenario, "--color", "never", "--summary-json", without_json])
    if out_with != out_without:
        fail("the timeline differs with --metrics: sampling changed the run")
    summary_with, summary_without = read(with_json), read(without_json)
    if summary_with != summary_without:
        fail("the summary differs with --metrics: sampling changed the run")
    summary = json.loads(summary_with)

    rows = read_csv(metrics)
    times = []
    for r in rows:
        t = float(r[0])
        if times and t < times[-1]:
            fail(f"time goes back: {r}")
        if not times or t != times[-1]:
            times.append(t)
    end = summary["time_us"] / 1e6
    expected = [i * interval_s for i in range(int(end / interval_s) + 1)
                if i * interval_s < end] + [end]
    if [round(t, 6) for t in times] != [round(t, 6) for t in expected]:
        fail(f"sample times {times[:5]}...{times[-3:]}, expected {expected[:5]}...{expected[-3:]}")

    last = {(r[1], r[2], r[3]): r[4] for r in rows if float(r[0]) == times[-1]}

    def expect(kind, subject, metric, value):
        got = last.get((kind, subject, metric))
        if got is None:
            fail(f"no {kind} {subject} {metric} in the last sample")
        if got != str(value):
            fail(f"last sample: {kind} {subject} {metric} is {got}, the summary says {value}")

    expect("cluster", "cluster", "controller", summary["controller"])
    stats = summary["stats"]
    for key in ["records_produced", "records_acked", "records_refused", "records_lost",
                "records_consumed"]:
        expect("cluster", "cluster", key, stats[key])
    expect("cluster", "cluster", "unavailable_partition_seconds",
           f"{stats['unavailable_us'] / 1e6:.6f}")
    n_partitions = offline = 0
    for topic in summary["topics"]:
        for p in topic["partitions"]:
            name = f"{topic['name']}-{p['partition']}"
            n_partitions += 1
            offline += p["leader"] == -1
            expect("partition", name, "leader", p["leader"])
            expect("partition", name, "leader_epoch", p["leader_epoch"])
            expect("partition", name, "isr_size", len(p["isr"]))
            expect("partition", name, "replicas", len(p["replicas"]))
            for key in ["log_start_offset", "log_end_offset", "high_watermark"]:
                expect("partition", name, key, p[key])
    expect("cluster", "cluster", "partitions", n_partitions)
    expect("cluster", "cluster", "offline_partitions", offline)
    for b in summary["brokers"]:
        expect("broker", str(b["id"]), "alive", int(b["alive"]))
    for g in summary["groups"]:
        expect("group", g["name"], "state", g["state"])
        expect("group", g["name"], "generation", g["generation"])
        expect("group", g["name"], "lag", g["lag"])
        expect("group", g["name"], "members", len(g["members"]))
    return rows


def main():
    kafkasim, scenario = sys.argv[1], sys.argv[2]
    with tempfile.TemporaryDirectory(prefix="kafkasim-metrics-") as tmp:
        rows = check(kafkasim, scenario, tmp, [], 1.0)
        produced = [float(r[4]) for r in rows if r[3] == "produce_records_per_s"]
        if not any(v > 0 for v in produced):
            fail("produce_records_per_s is never above 0")
        check(kafkasim, scenario, tmp, ["--metrics-interval", "2500ms"], 2.5)
        path = os.path.join(tmp, "bad.csv")
        for bad, says in [(["--metrics", path, "--metrics-interval", "0s"], "above 0"),
                          (["--metrics", path, "--metrics-interval", "soon"], "--metrics-interval"),
                          (["--metrics-interval", "2s"], "add --metrics")]:
            p = subprocess.run([kafkasim, "run", scenario] + bad, capture_output=True, text=True)
            if p.returncode != 2 or says not in p.stderr or p.stdout or os.path.exists(path):
                fail(f"run {' '.join(bad)}: exit status {p.returncode}, stderr {p.stderr!r}, "
                     f"expected 2 with a message saying {says!r} and no output")
    print("ok")


main()
