"""Framework controls that checks map to, named once so that mappings cannot drift.

Versions: AWS Foundational Security Best Practices as published in the Security Hub
user guide; NIST SP 800-53 Rev. 5; PCI DSS v4.0.1; ISO/IEC 27001:2022 Annex A;
SOC 2 2017 Trust Services Criteria (revised points of focus 2022); CIS Amazon EKS
Benchmark section 5.1 (Image Registry and Image Scanning).
"""

from __future__ import annotations

from auditor.checks.model import Control, Framework


def fsbp(control_id: str, note: str = "") -> Control:
    return Control(Framework.AWS_FSBP, control_id, note)


def nist(control_id: str, note: str = "") -> Control:
    return Control(Framework.NIST_800_53, control_id, note)


def pci(control_id: str, note: str = "") -> Control:
    return Control(Framework.PCI_DSS, control_id, note)


def iso(control_id: str, note: str = "") -> Control:
    return Control(Framework.ISO_27001, control_id, note)


def soc2(control_id: str, note: str = "") -> Control:
    return Control(Framework.SOC2, control_id, note)


def cis_eks(control_id: str, note: str = "") -> Control:
    return Control(Framework.CIS_EKS, control_id, note)


# Recurring groups.
ACCESS_CONTROL = (
    nist("AC-3"),
    nist("AC-6"),
    pci("7.2.1"),
    iso("5.15"),
    soc2("CC6.1"),
    cis_eks("5.1.2", "covers registry and repository policies; identity policies are not seen"),
)
VULNERABILITY_SCANNING = (
    nist("RA-5"),
    pci("11.3.1"),
    pci("6.3.1"),
    iso("8.8"),
    soc2("CC7.1"),
    cis_eks("5.1.1"),
)
CONFIGURATION_BASELINE = (nist("CM-2"), nist("CM-6"), iso("8.9"), soc2("CC8.1"))
