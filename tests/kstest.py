# What the Python tests of the program share (metrics-test.py,
# report-test.py, browser-test.py): failing with a reason, running kafkasim.
import subprocess
import sys


def fail(msg):
    """Ends the test as failed, saying why."""
    print(f"FAIL: {msg}")
    sys.exit(1)


def run(kafkasim, args):
    """Runs `kafkasim run ARGS` and returns its standard output; fails unless
    the run completed (exit status 0 or 1)."""
    p = subprocess.run([kafkasim, "run"] + args, capture_output=True, text=True)
    if p.returncode not in (0, 1):
        fail(f"run {' '.join(args)}: exit status {p.returncode}\n{p.stderr}")
    return p.stdout


def read(path):
    with open(path, encoding="utf-8") as f:
        return f.read()
