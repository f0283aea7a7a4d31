"""Run every benchmark in bench/ (each file bench_*.py with a main()), one after another, printing figures.

    .venv/bin/python bench/run_all.py            # all
    .venv/bin/python bench/run_all.py lists      # those whose name contains "lists"
"""
import os
import subprocess
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent


def main() -> int:
    wanted = sys.argv[1:]
    scripts = sorted(p for p in HERE.glob("bench_*.py") if not wanted or any(w in p.name for w in wanted))
    if not scripts:
        print("no benchmark matched")
        return 1
    rc = 0
    for script in scripts:
        print(f"=== {script.name}", flush=True)
        env = {**os.environ, "PYTHONPATH": str(HERE.parent)}
        rc |= subprocess.call([sys.executable, str(script)], cwd=HERE.parent, env=env)
    return rc


if __name__ == "__main__":
    sys.exit(main())
