#!/usr/bin/env python3
"""One entry point for the collection: set up, open, test and run the notebooks.

    python3 tasks.py lab                  # set up if needed, open the workbooks in JupyterLab
    python3 tasks.py lab --answers        # the notebooks with the model answers filled in
    python3 tasks.py test                 # set up if needed, run every test
    python3 tasks.py run --profile cpu    # execute every notebook headlessly
    python3 tasks.py student              # student versions of the notebooks, in student/
    python3 tasks.py setup                # only create/refresh the environment

The environment is a virtual environment in ``.venv/`` next to this file,
made with the Python that runs this script (3.10 or newer) and filled from
``requirements.txt`` plus the helper package itself (``pip install -e .``).
It is refreshed whenever either file changes. Only the standard library is
used here, so the script works on a machine that has nothing but Python.
"""

from __future__ import annotations

import argparse
import hashlib
import os
import subprocess
import sys
import venv
from pathlib import Path

ROOT = Path(__file__).resolve().parent
VENV = ROOT / ".venv"
STAMP = VENV / ".installed-from"
BIN = VENV / ("Scripts" if os.name == "nt" else "bin")
PYTHON = BIN / ("python.exe" if os.name == "nt" else "python")
RUNS = ROOT / "runs"
PROFILES = ("smoke", "cpu", "gpu")


def _fingerprint() -> str:
    digest = hashlib.sha256()
    for name in ("requirements.txt", "pyproject.toml"):
        digest.update((ROOT / name).read_bytes())
    return digest.hexdigest()


def setup() -> None:
    """Create ``.venv`` and install the requirements, unless already up to date."""
    if sys.version_info < (3, 10):
        sys.exit(f"Python 3.10 or newer is needed; this is {sys.version.split()[0]}.")
    if STAMP.exists() and STAMP.read_text() == _fingerprint() and PYTHON.exists():
        return
    if not PYTHON.exists():
        print(f"Creating the virtual environment {VENV.name}/ ...", flush=True)
        venv.EnvBuilder(with_pip=True).create(VENV)
    print("Installing requirements.txt and the helper package (a few minutes the first time) ...",
          flush=True)
    pip = [str(PYTHON), "-m", "pip", "install", "--disable-pip-version-check", "-q"]
    subprocess.run(pip + ["-r", str(ROOT / "requirements.txt")], check=True)
    subprocess.run(pip + ["--no-deps", "-e", str(ROOT)], check=True)
    STAMP.write_text(_fingerprint())


def _env(profile: str, **extra: str) -> dict:
    env = dict(os.environ)
    env.update({"UNET_PROFILE": profile, "TF_CPP_MIN_LOG_LEVEL": "2", "PYTHONHASHSEED": "0"})
    env.update(extra)
    return env


def lab(args) -> int:
    setup()
    folder = ROOT / ("notebooks" if args.answers else "workbooks")
    command = [str(PYTHON), "-m", "jupyter", "lab", "--notebook-dir", str(folder)]
    if hasattr(os, "geteuid") and os.geteuid() == 0:  # containers and CI often run as root
        command.append("--allow-root")
    env = dict(os.environ)
    if args.profile:
        env["UNET_PROFILE"] = args.profile
    return subprocess.call(command + args.extra, env=env)


def test(args) -> int:
    setup()
    command = [
        str(PYTHON), "-m", "pytest", "tests", "notebooks",
        "--nbval-lax", "--nbval-current-env", "--nbval-cell-timeout=600",
        "-p", "no:cacheprovider",
        # two processes; the notebooks, and each test module, stay together (conftest.py)
        "-n", "2", "--dist", "loadgroup", "--durations=15",
    ]
    outputs = RUNS / "test-outputs"
    return subprocess.call(command + args.extra, cwd=ROOT,
                           env=_env("smoke", UNET_OUTPUT_DIR=str(outputs)))


def run(args) -> int:
    """Execute notebooks in order with a profile; keep executed copies and figures."""
    setup()
    target = RUNS / args.profile
    command = [str(PYTHON), str(ROOT / "tools" / "run_notebooks.py"), "--out", str(target)]
    command += args.notebooks
    return subprocess.call(command, cwd=ROOT,
                           env=_env(args.profile, UNET_OUTPUT_DIR=str(target / "outputs")))


def student(args) -> int:
    """Write the student versions of the notebooks (answers replaced by stubs)."""
    setup()
    command = [str(PYTHON), str(ROOT / "tools" / "exercises.py"), "student", "--out",
               str(ROOT / "student")]
    return subprocess.call(command, cwd=ROOT)


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    sub = parser.add_subparsers(dest="task", required=True)
    sub.add_parser("setup", help="create or refresh .venv only")
    p_lab = sub.add_parser("lab", help="open the workbooks (exercises to do) in JupyterLab")
    p_lab.add_argument("--profile", choices=PROFILES, help="set UNET_PROFILE for the session")
    p_lab.add_argument("--answers", action="store_true",
                       help="open notebooks/ (model answers filled in) instead of workbooks/")
    sub.add_parser("test", help="run the unit tests and every notebook (smoke profile)")
    p_run = sub.add_parser("run", help="execute notebooks headlessly into runs/<profile>/")
    p_run.add_argument("--profile", choices=PROFILES, default="cpu")
    p_run.add_argument("notebooks", nargs="*",
                       help="notebook names or number prefixes (default: all, in order)")
    sub.add_parser("student", help="write student versions (no answers) into student/")
    args, extra = parser.parse_known_args(argv)
    if args.task != "run" and extra and args.task in ("lab", "test"):
        args.extra = extra
    elif extra:
        parser.error(f"unrecognized arguments: {' '.join(extra)}")
    else:
        args.extra = []
    if args.task == "setup":
        setup()
        return 0
    return {"lab": lab, "test": test, "run": run, "student": student}[args.task](args)


if __name__ == "__main__":
    sys.exit(main())
