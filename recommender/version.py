"""The code version stored in every audit record and model report."""
from __future__ import annotations

import functools
import os
import subprocess
from importlib.metadata import PackageNotFoundError, version
from pathlib import Path

_ROOT = Path(__file__).resolve().parent.parent


@functools.lru_cache(maxsize=1)
def code_version() -> str:
    """``<package version>+<git sha>[.dirty]``, or FINBOT_CODE_VERSION when set
    (a container image has no .git; its build sets the variable)."""
    if os.environ.get("FINBOT_CODE_VERSION"):
        return os.environ["FINBOT_CODE_VERSION"]
    try:
        base = version("finbot")
    except PackageNotFoundError:
        base = "0+unknown"
    try:
        sha = subprocess.run(["git", "rev-parse", "--short=12", "HEAD"], cwd=_ROOT, capture_output=True,
                             text=True, timeout=5, check=True).stdout.strip()
        dirty = subprocess.run(["git", "status", "--porcelain", "--untracked-files=no"], cwd=_ROOT,
                               capture_output=True, text=True, timeout=5).stdout.strip()
        return f"{base}+{sha}{'.dirty' if dirty else ''}"
    except (OSError, subprocess.SubprocessError):
        return base
