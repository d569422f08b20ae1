"""Emulated AWS estate for tests, the demo and benchmarks (the ``emulator`` extra).

moto 5.2.5 runs as an HTTP server on 127.0.0.1 behind a project-owned gateway
and ECR layer. The gateway adds opt-in regions, fault injection, Account
Management's ListRegions and Amazon Inspector; the layer serves the ECR
operations moto lacks or gets wrong. Everything reaches it over HTTP through
boto3, exactly as the auditor reaches AWS. ``python -m auditor.emulator serve``
runs it as a separate process with a sized estate.
"""

from auditor.emulator.demo_estate import DemoEstate, seed_demo_estate
from auditor.emulator.faults import AccessDenial, AssumeRoleDenial, CallFilter, FaultPlan, TransientFault
from auditor.emulator.seed import DEFAULT_ACCOUNT, EstateSeeder
from auditor.emulator.server import EmulatorServer
from auditor.emulator.sized_estate import EstateSize, SizedEstate, seed_sized_estate
from auditor.emulator.state import EmulatorState, ImageRecord, PullThroughCacheRule, ScanRecord

__all__ = [
    "DEFAULT_ACCOUNT",
    "AccessDenial",
    "AssumeRoleDenial",
    "CallFilter",
    "DemoEstate",
    "EmulatorServer",
    "EmulatorState",
    "EstateSeeder",
    "EstateSize",
    "FaultPlan",
    "ImageRecord",
    "PullThroughCacheRule",
    "ScanRecord",
    "SizedEstate",
    "TransientFault",
    "seed_demo_estate",
    "seed_sized_estate",
]
