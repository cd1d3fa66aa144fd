#!/usr/bin/env python3
"""Runs a command and prints the CPU time every process on the machine used meanwhile, by program.

    python3 bench/cpu-by-program.py -- dotnet test --no-build

Once a second it reads /proc/PID/stat (utime + stime) of every process and keeps the largest value
seen per process, so a process that lives less than a second may be missed. A program is the first
.dll of a `dotnet` command line, else the executable's name. Kernel threads and processes without a
command line are left out; a process already running counts from when the command starts. Prints
CPU seconds, processes, program; the command's exit code is kept.
"""
import collections
import os
import subprocess
import sys
import time

if "--" not in sys.argv:
    sys.exit(__doc__)
command = sys.argv[sys.argv.index("--") + 1:]
tick = os.sysconf("SC_CLK_TCK")
seen = {}  # (pid, start time) -> [cpu seconds, program]
before = {}  # what the processes running before the command had already used


def program(argv):
    for argument in argv[1:] if os.path.basename(argv[0]) == "dotnet" else []:
        if argument.endswith(".dll"):
            return os.path.basename(argument)
    return os.path.basename(argv[0])


def sample():
    for pid in filter(str.isdigit, os.listdir("/proc")):
        try:
            with open(f"/proc/{pid}/stat") as f:
                stat = f.read()
            fields = stat[stat.rindex(")") + 2:].split()
            cpu, key = (int(fields[11]) + int(fields[12])) / tick, (pid, fields[19])
            if key in seen:
                seen[key][0] = max(seen[key][0], cpu)
                continue
            with open(f"/proc/{pid}/cmdline", "rb") as f:
                argv = [a.decode(errors="replace") for a in f.read().split(b"\0") if a]
            if argv:
                seen[key] = [cpu, program(argv)]
        except (OSError, ValueError, IndexError):
            pass  # gone meanwhile


sample()
before = {key: cpu for key, (cpu, _) in seen.items()}
child = subprocess.Popen(command)
while child.poll() is None:
    sample()
    time.sleep(1)
sample()
totals, counts = collections.Counter(), collections.Counter()
for key, (cpu, name) in seen.items():
    if cpu > before.get(key, 0):
        totals[name] += cpu - before.get(key, 0)
        counts[name] += 1
print(f"{'CPU s':>8} {'procs':>6}  program", file=sys.stderr)
for name, cpu in totals.most_common():
    if cpu >= 1:
        print(f"{cpu:8.1f} {counts[name]:6d}  {name}", file=sys.stderr)
sys.exit(child.returncode)
