"""Separate virtual environments for the peer systems (never project dependencies).

Each peer lives in ``benchmarks/.venvs/<name>`` (git-ignored), created on first use with exact pins.
A marker file records the pins it was installed with; a changed pin reinstalls.
"""

from __future__ import annotations

import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
VENV_ROOT = ROOT / "benchmarks" / ".venvs"

# exact pins: the newest releases that install on Python 3.11 here (see benchmarks/README.md)
PEERS: dict[str, list[str]] = {
    "pymc-marketing": ["pymc-marketing==0.19.2"],
    "meridian": ["google-meridian==2.1.0"],
    "pysimmmulator": ["pysimmmulator==0.6.2"],
}
# the import name and distribution whose version is recorded with every result
DISTRIBUTION = {"pymc-marketing": "pymc-marketing", "meridian": "google-meridian", "pysimmmulator": "pysimmmulator"}


def python_of(name: str) -> Path:
    return VENV_ROOT / name / "bin" / "python"


def ensure(name: str, log=print) -> Path:
    """Create (once) the venv of peer ``name`` with its pinned packages; return its interpreter."""
    pins = PEERS[name]
    venv = VENV_ROOT / name
    marker = venv / ".installed"
    wanted = "\n".join(pins)
    if marker.exists() and marker.read_text() == wanted:
        return python_of(name)
    log(f"[venv] creating {venv.relative_to(ROOT)} with {' '.join(pins)} (first time only)")
    t0 = time.time()
    VENV_ROOT.mkdir(parents=True, exist_ok=True)
    subprocess.run([sys.executable, "-m", "venv", "--clear", str(venv)], check=True)
    subprocess.run([str(python_of(name)), "-m", "pip", "install", "-q", "--upgrade", "pip"], check=False)
    subprocess.run([str(python_of(name)), "-m", "pip", "install", "-q", *pins], check=True)
    marker.write_text(wanted)
    log(f"[venv] {name} ready in {time.time() - t0:.0f} s")
    return python_of(name)


def installed_version(name: str) -> str:
    """Version of the peer's main distribution inside its venv."""
    out = subprocess.run([str(python_of(name)), "-c",
                          f"import importlib.metadata as m; print(m.version('{DISTRIBUTION[name]}'))"],
                         capture_output=True, text=True, check=True)
    return out.stdout.strip()


if __name__ == "__main__":
    for n in sys.argv[1:] or list(PEERS):
        ensure(n)
        print(n, installed_version(n))
