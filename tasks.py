#!/usr/bin/env python3
"""One entry point for the collection: set up, open, test and run the notebooks.

    python3 tasks.py lab                  # set up if needed, open the workbooks in JupyterLab
    python3 tasks.py lab --answers        # the notebooks with the model answers filled in
    python3 tasks.py test                 # the fast tier: unit tests, lint, every notebook (smoke)
    python3 tasks.py test --full          # + a user's settings: Colab, nbgrader, wheel (CI)
    python3 tasks.py generate [--check]   # rewrite (or check) every generated file and block
    python3 tasks.py run --profile cpu    # execute every notebook headlessly
    python3 tasks.py student              # student versions of the notebooks, in student/
    python3 tasks.py setup [--dev]        # only create/refresh the environment

The environment is a virtual environment in ``.venv/`` next to this file,
made with the Python that runs this script (3.10 or newer) and filled from
``requirements.txt`` (what a learner needs) plus the helper package itself
(``pip install -e .``); ``test``, ``generate`` and ``student`` add
``requirements-dev.txt`` (tests, grading, linting). It is refreshed whenever
one of these files changes. Only the standard library is used here, so the
script works on a machine that has nothing but Python.
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


def _requirements(dev: bool) -> list[str]:
    return ["requirements.txt", "requirements-dev.txt"] if dev else ["requirements.txt"]


def _fingerprint(dev: bool) -> str:
    digest = hashlib.sha256()
    for name in [*_requirements(dev), "pyproject.toml"]:
        digest.update((ROOT / name).read_bytes())
    return digest.hexdigest()


def _installed(dev: bool) -> bool:
    """Up to date for this set (a dev install also serves a learner's commands)."""
    if not (STAMP.exists() and PYTHON.exists()):
        return False
    done = STAMP.read_text().split()
    return _fingerprint(dev) in done or (not dev and _fingerprint(True) in done)


def setup(dev: bool = False) -> None:
    """Create ``.venv`` and install the requirements, unless already up to date."""
    if sys.version_info < (3, 10):  # noqa: UP036  this script may be run by an older Python
        sys.exit(f"Python 3.10 or newer is needed; this is {sys.version.split()[0]}.")
    if _installed(dev):
        return
    if not PYTHON.exists():
        print(f"Creating the virtual environment {VENV.name}/ ...", flush=True)
        venv.EnvBuilder(with_pip=True).create(VENV)
    files = _requirements(dev)
    print(f"Installing {' and '.join(files)} and the helper package (a few minutes the first "
          "time) ...", flush=True)
    pip = [str(PYTHON), "-m", "pip", "install", "--disable-pip-version-check", "-q"]
    subprocess.run(pip + ["-r", str(ROOT / files[-1])], check=True)
    subprocess.run(pip + ["--no-deps", "-e", str(ROOT)], check=True)
    STAMP.write_text(_fingerprint(dev))


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
    """The fast tier, or with ``--full`` also the tests marked ``as_user`` (pyproject.toml)."""
    setup(dev=True)
    command = [
        str(PYTHON), "-m", "pytest", "tests", "notebooks",
        "--nbval-lax", "--nbval-current-env", "--nbval-cell-timeout=600",
        "-p", "no:cacheprovider",
        # two processes; the notebooks, and each test module, stay together (conftest.py)
        "-n", "2", "--dist", "loadgroup", "--durations=15",
    ]
    if not args.full:
        command += ["-m", "not as_user and not exhaustive"]
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


def generate(args) -> int:
    """Rewrite every generated file and block (tools/generate.py), or check them."""
    setup(dev=True)
    command = [str(PYTHON), str(ROOT / "tools" / "generate.py")] + (["--check"] if args.check
                                                                    else [])
    return subprocess.call(command, cwd=ROOT)


def student(args) -> int:
    """Write the student versions of the notebooks (answers replaced by stubs)."""
    setup(dev=True)
    command = [str(PYTHON), str(ROOT / "tools" / "exercises.py"), "student", "--out",
               str(ROOT / "student")]
    return subprocess.call(command, cwd=ROOT)


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    sub = parser.add_subparsers(dest="task", required=True)
    p_setup = sub.add_parser("setup", help="create or refresh .venv only")
    p_setup.add_argument("--dev", action="store_true",
                         help="also what tests, grading and linting need (requirements-dev.txt)")
    p_lab = sub.add_parser("lab", help="open the workbooks (exercises to do) in JupyterLab")
    p_lab.add_argument("--profile", choices=PROFILES, help="set UNET_PROFILE for the session")
    p_lab.add_argument("--answers", action="store_true",
                       help="open notebooks/ (model answers filled in) instead of workbooks/")
    p_test = sub.add_parser("test", help="the fast tier: unit tests, lint, generated files, "
                                         "every notebook (smoke profile)")
    p_test.add_argument("--full", action="store_true",
                        help="also what recreates a user's setting (marker as_user): notebooks "
                             "opened alone with a Colab stand-in, nbgrader, wheel and sdist, "
                             "benchmark scripts; what CI runs")
    p_generate = sub.add_parser("generate", help="rewrite every generated file and text block")
    p_generate.add_argument("--check", action="store_true",
                            help="change nothing; exit 1 if anything is stale")
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
        setup(dev=args.dev)
        return 0
    return {"lab": lab, "test": test, "run": run, "generate": generate,
            "student": student}[args.task](args)


if __name__ == "__main__":
    sys.exit(main())
