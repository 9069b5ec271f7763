#!/usr/bin/env python3
# Meson has no globbing, so tests/meson.build lists scenario and bad-input
# files by name. This test fails when a file exists that the list does not
# name (it would never run) or the list names a file that does not exist.
# Usage: check-lists.py DIR -- FILE... -- DIR -- FILE...
import os
import sys

args = sys.argv[1:]
failed = False
while args:
    directory, sep, rest = args[0], args[1], args[2:]
    assert sep == "--"
    end = rest.index("--") if "--" in rest else len(rest)
    listed = set(rest[:end])
    args = rest[end + 1:]
    present = {f for f in os.listdir(directory) if f.endswith(".ks")}
    for f in sorted(present - listed):
        print(f"{directory}/{f} is not listed in tests/meson.build: it would never run")
        failed = True
    for f in sorted(listed - present):
        print(f"tests/meson.build lists {f}, which is not in {directory}")
        failed = True
sys.exit(1 if failed else 0)
