"""Emulated AWS estate for tests, the demo and benchmarks (the ``emulator`` extra).

moto 5.2.5 runs as an HTTP server on 127.0.0.1 behind one project-owned layer
that serves the ECR operations moto lacks or gets wrong. Everything reaches it
over HTTP through boto3, exactly as the auditor reaches AWS.
"""

from auditor.emulator.demo_estate import DemoEstate, seed_demo_estate
from auditor.emulator.seed import DEFAULT_ACCOUNT, EstateSeeder
from auditor.emulator.server import EmulatorServer
from auditor.emulator.state import EmulatorState, ImageRecord, PullThroughCacheRule, ScanRecord

__all__ = [
    "DEFAULT_ACCOUNT",
    "DemoEstate",
    "EmulatorServer",
    "EmulatorState",
    "EstateSeeder",
    "ImageRecord",
    "PullThroughCacheRule",
    "ScanRecord",
    "seed_demo_estate",
]
