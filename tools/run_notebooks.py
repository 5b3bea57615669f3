#!/usr/bin/env python3
"""Execute the notebooks in order, headlessly, and keep what they made.

Called by ``python3 tasks.py run --profile NAME [NN ...]``, which sets
``UNET_PROFILE`` and ``UNET_OUTPUT_DIR``. For each notebook this writes the
executed copy to ``<out>/NN_name.ipynb`` and every figure it displayed to
``<out>/figures/NN_name_cellKK_M.png``. It stops at the first failing notebook
and names the failing cell. ``<out>/timings.json`` records the seconds each
notebook took, with the machine and the command: copied to
``benchmarks/results/timings/<profile>.json``, it is what ``tasks.py generate``
turns into the timings table of docs/teaching.md.
"""

from __future__ import annotations

import argparse
import base64
import datetime
import importlib.metadata
import json
import os
import platform
import sys
import time
from pathlib import Path

import nbformat
from nbclient import NotebookClient
from nbclient.exceptions import CellExecutionError

sys.path.insert(0, str(Path(__file__).resolve().parent))
from nbtools import NOTEBOOKS, select  # noqa: E402


def save_figures(nb, stem: str, folder: Path) -> int:
    folder.mkdir(parents=True, exist_ok=True)
    count = 0
    for index, cell in enumerate(nb.cells):
        for number, output in enumerate(cell.get("outputs", [])):
            data = output.get("data", {})
            if "image/png" in data:
                target = folder / f"{stem}_cell{index:02d}_{number}.png"
                target.write_bytes(base64.b64decode(data["image/png"]))
                count += 1
    return count


def run_facts(argv: list[str]) -> dict:
    """What a timings file says besides the seconds: profile, data, machine, command, date."""
    profile = os.environ.get("UNET_PROFILE", "unset")
    pets = os.environ.get("UNET_PETS_DIR")
    data = ("generated data" if profile == "smoke" else
            f"photos in {Path(pets).name}" if pets else "the default data source")
    return {"profile": profile, "data": data,
            "machine": f"{platform.machine()}, {os.cpu_count()} CPU cores",
            "tensorflow": importlib.metadata.version("tensorflow"),
            "date": datetime.date.today().isoformat(),
            "command": f"python3 tasks.py run --profile {profile} {' '.join(argv)}".strip()}


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--out", required=True, type=Path)
    parser.add_argument("--timeout", type=int, default=3600, help="seconds per cell")
    parser.add_argument("notebooks", nargs="*")
    args = parser.parse_args(argv)
    args.out.mkdir(parents=True, exist_ok=True)
    timings = {**run_facts(args.notebooks), "seconds": {}}
    for path in select(args.notebooks):
        nb = nbformat.read(path, as_version=4)
        started = time.perf_counter()
        print(f"running {path.name} ...", flush=True)
        client = NotebookClient(nb, timeout=args.timeout, kernel_name="python3",
                                resources={"metadata": {"path": str(NOTEBOOKS)}})
        try:
            client.execute()
        except CellExecutionError as error:
            failed = args.out / path.name
            nbformat.write(nb, failed)
            print(f"FAILED in {path.name}; the executed copy is {failed}\n{error}", flush=True)
            return 1
        nbformat.write(nb, args.out / path.name)
        figures = save_figures(nb, path.stem, args.out / "figures")
        seconds = time.perf_counter() - started
        print(f"  done in {seconds:.0f} s, {figures} figure(s) saved", flush=True)
        timings["seconds"][path.name] = round(seconds, 1)
        (args.out / "timings.json").write_text(json.dumps(timings, indent=2) + "\n")
    print(f"executed notebooks and figures are in {args.out} (seconds per notebook: "
          "timings.json)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
