"""Committed result cache for peer fits: one small JSON per (system, version, config hash, dataset fingerprint).

Peer fits take minutes; their inputs rarely change. ``benchmarks/results/cache/<system>/<dataset>__<key>.json``
holds the per-channel estimates, response draws (thinned), time, memory and diagnostics of one fit (or the
reason it failed). A rerun reuses an entry whose key matches; a new version, config or dataset makes a new key.
"""

from __future__ import annotations

import hashlib
import json
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
CACHE = ROOT / "benchmarks" / "results" / "cache"


def config_hash(config: dict) -> str:
    return hashlib.sha256(json.dumps(config, sort_keys=True).encode()).hexdigest()[:12]


def key(system: str, version: str, config: dict, fingerprint: str) -> str:
    raw = json.dumps([system, version, config_hash(config), fingerprint])
    return hashlib.sha256(raw.encode()).hexdigest()[:16]


def path(system: str, dataset: str, k: str) -> Path:
    return CACHE / system / f"{dataset}__{k}.json"


def load(system: str, version: str, config: dict, dataset: str, fingerprint: str) -> dict | None:
    p = path(system, dataset, key(system, version, config, fingerprint))
    return json.loads(p.read_text()) if p.exists() else None


def store(system: str, version: str, config: dict, dataset: str, fingerprint: str, result: dict) -> Path:
    k = key(system, version, config, fingerprint)
    p = path(system, dataset, k)
    p.parent.mkdir(parents=True, exist_ok=True)
    # an older entry for the same dataset (other version/config/data) is superseded, not kept forever
    for old in p.parent.glob(f"{dataset}__*.json"):
        if old != p:
            old.unlink()
    entry = {"system": system, "version": version, "config": config, "config_hash": config_hash(config),
             "dataset": dataset, "fingerprint": fingerprint, "key": k,
             "created": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()), "result": result}
    p.write_text(json.dumps(entry, indent=None, separators=(",", ":")))
    return p
