"""Scan findings for the emulated estate, in the shapes DescribeImageScanFindings returns.

The vulnerabilities are real CVE records with the packages they affect. Severity
and CVSS values are illustrative demo data, written from memory of the published
records and not checked against NVD. They are not a vulnerability feed.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from datetime import datetime
from typing import Any


@dataclass(frozen=True)
class Vulnerability:
    """One CVE record."""

    cve: str
    severity: str
    description: str
    score: float | None = None
    vector: str | None = None
    exploit_available: bool = False


@dataclass(frozen=True)
class AffectedPackage:
    """One installed package that a vulnerability affects."""

    vulnerability: Vulnerability
    name: str
    version: str
    fixed_in: str | None = None
    package_manager: str = "OS"
    file_path: str | None = None


def _v(
    cve: str,
    severity: str,
    description: str,
    score: float | None = None,
    vector: str | None = None,
    exploit: bool = False,
) -> Vulnerability:
    return Vulnerability(cve, severity, description, score, vector, exploit)


LIBWEBP_OVERFLOW = _v(
    "CVE-2023-4863",
    "HIGH",
    "Heap buffer overflow in libwebp allows a crafted WebP image to write out of bounds.",
    8.8,
    "CVSS:3.1/AV:N/AC:L/PR:N/UI:R/S:U/C:H/I:H/A:H",
    True,
)
XZ_BACKDOOR = _v(
    "CVE-2024-3094",
    "CRITICAL",
    "Malicious code in the xz 5.6.0 and 5.6.1 release tarballs modifies liblzma and can be used to compromise sshd.",
    10.0,
    "CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:C/C:H/I:H/A:H",
    True,
)
HTTP2_RAPID_RESET = _v(
    "CVE-2023-44487",
    "HIGH",
    "HTTP/2 request cancellation can reset many streams quickly (Rapid Reset) and exhaust server resources.",
    7.5,
    "CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:N/I:N/A:H",
    True,
)
LOG4SHELL = _v(
    "CVE-2021-44228",
    "CRITICAL",
    "Apache Log4j2 JNDI lookups in logged data allow remote code execution (Log4Shell).",
    10.0,
    "CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:C/C:H/I:H/A:H",
    True,
)
OPENSSL_PUNYCODE = _v(
    "CVE-2022-3602",
    "HIGH",
    "Buffer overrun in OpenSSL 3.0 X.509 certificate verification when checking name constraints.",
    7.5,
    "CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:N/I:N/A:H",
)
REGRESSHION = _v(
    "CVE-2024-6387",
    "HIGH",
    "Signal handler race condition in OpenSSH's sshd allows unauthenticated remote code execution (regreSSHion).",
    8.1,
    "CVSS:3.1/AV:N/AC:H/PR:N/UI:N/S:U/C:H/I:H/A:H",
    True,
)
SPRING4SHELL = _v(
    "CVE-2022-22965",
    "CRITICAL",
    "Spring Framework data binding on JDK 9+ allows remote code execution (Spring4Shell).",
    9.8,
    exploit=True,
)
CURL_SOCKS5 = _v("CVE-2023-38545", "CRITICAL", "Heap buffer overflow in curl's SOCKS5 proxy handshake.", 9.8)
LOOKING_GLASS = _v(
    "CVE-2023-4911",
    "HIGH",
    "Buffer overflow in the glibc dynamic loader's GLIBC_TUNABLES handling allows local privilege escalation.",
    7.8,
    exploit=True,
)
URLLIB3_COOKIE = _v(
    "CVE-2023-43804", "HIGH", "urllib3 does not remove the Cookie header on cross-origin redirects.", 8.1
)
MINIMIST_POLLUTION = _v("CVE-2021-44906", "CRITICAL", "Prototype pollution in minimist.", 9.8)

# The application-level findings the demo spreads over images: (package, version, fix, manager).
HEADLINE_PACKAGES: tuple[AffectedPackage, ...] = (
    AffectedPackage(LIBWEBP_OVERFLOW, "libwebp7", "1.2.4-0.1", "1.2.4-0.2+deb12u1"),
    AffectedPackage(XZ_BACKDOOR, "liblzma5", "5.6.0-0.2", "5.6.1+really5.4.5-1"),
    AffectedPackage(HTTP2_RAPID_RESET, "libnghttp2-14", "1.52.0-1", "1.52.0-1+deb12u1"),
    AffectedPackage(LOG4SHELL, "log4j-core", "2.14.1", "2.15.0", "JAR", "/app/lib/log4j-core-2.14.1.jar"),
    AffectedPackage(OPENSSL_PUNYCODE, "openssl", "3.0.5-4", "3.0.7-1"),
    AffectedPackage(REGRESSHION, "openssh-client", "1:9.2p1-2", "1:9.2p1-2+deb12u3"),
    AffectedPackage(SPRING4SHELL, "spring-beans", "5.3.17", "5.3.18", "JAR", "/app/lib/spring-beans-5.3.17.jar"),
    AffectedPackage(CURL_SOCKS5, "libcurl4", "7.88.1-10", "7.88.1-10+deb12u4"),
    AffectedPackage(LOOKING_GLASS, "libc6", "2.36-9", "2.36-9+deb12u3"),
    AffectedPackage(
        URLLIB3_COOKIE, "urllib3", "1.26.16", "1.26.17", "PYTHONPKG", "/usr/local/lib/python3.11/site-packages/urllib3"
    ),
    AffectedPackage(MINIMIST_POLLUTION, "minimist", "1.2.5", "1.2.6", "NPM", "/app/node_modules/minimist/package.json"),
    AffectedPackage(HTTP2_RAPID_RESET, "golang.org/x/net", "v0.15.0", "v0.17.0", "GOMOD", "/usr/local/bin/api"),
)

# An older Debian base image: each source package's CVEs on each binary package built
# from it, which is how Inspector reports them. 102 findings, so that
# DescribeImageScanFindings needs two pages at the default page size of 100.
_BASE_IMAGE_SOURCES: tuple[tuple[tuple[Vulnerability, ...], tuple[str, ...], str], ...] = (
    (
        (
            LOOKING_GLASS,
            _v("CVE-2023-6246", "HIGH", "Heap overflow in glibc's __vsyslog_internal.", 7.8),
            _v("CVE-2024-2961", "HIGH", "Out-of-bounds write in glibc iconv ISO-2022-CN-EXT.", 8.8),
            _v("CVE-2023-4806", "MEDIUM", "Use after free in glibc getaddrinfo.", 5.9),
            _v("CVE-2023-4813", "MEDIUM", "Use after free in glibc gaih_inet.", 5.9),
            _v("CVE-2019-1010022", "UNTRIAGED", "glibc stack guard bypass (disputed)."),
            _v("CVE-2010-4756", "LOW", "glibc glob allows resource exhaustion.", 4.0),
        ),
        ("libc6", "libc-bin"),
        "2.36-9",
    ),
    (
        (
            OPENSSL_PUNYCODE,
            _v("CVE-2022-3786", "HIGH", "OpenSSL X.509 email address buffer overflow.", 7.5),
            _v("CVE-2023-0286", "HIGH", "OpenSSL X.400 address type confusion.", 7.4),
            _v("CVE-2023-0464", "HIGH", "OpenSSL excessive resource use verifying policy constraints.", 7.5),
            _v("CVE-2023-5678", "MEDIUM", "OpenSSL slow DH key generation and checks.", 5.3),
            _v("CVE-2024-0727", "MEDIUM", "OpenSSL PKCS12 NULL dereference.", 5.5),
            _v("CVE-2023-3817", "MEDIUM", "OpenSSL slow DH parameter checks.", 5.3),
        ),
        ("openssl", "libssl3"),
        "3.0.5-4",
    ),
    (
        (CURL_SOCKS5, _v("CVE-2023-38546", "LOW", "curl cookie injection with none file.", 3.7)),
        ("curl", "libcurl4"),
        "7.88.1-10",
    ),
    (
        (
            _v("CVE-2023-26604", "HIGH", "systemd privilege escalation through sudo and less.", 7.8),
            _v("CVE-2013-4392", "LOW", "systemd tmpfiles follows symlinks.", 3.3),
        ),
        ("systemd", "libsystemd0", "libudev1"),
        "252.17-1~deb12u1",
    ),
    (
        (
            _v("CVE-2023-31484", "HIGH", "CPAN.pm does not verify TLS certificates.", 8.1),
            _v("CVE-2023-47038", "HIGH", "Perl heap overflow in regular expression classes.", 7.8),
            _v("CVE-2011-4116", "HIGH", "Perl File::Temp symlink handling.", 7.5),
        ),
        ("perl", "perl-base", "perl-modules-5.36"),
        "5.36.0-7",
    ),
    (
        (
            _v("CVE-2023-45853", "CRITICAL", "zlib MiniZip integer overflow.", 9.8),
            _v("CVE-2022-37434", "CRITICAL", "zlib inflate heap overflow in extra field.", 9.8),
        ),
        ("zlib1g",),
        "1:1.2.13.dfsg-1",
    ),
    (
        (
            _v("CVE-2024-45490", "CRITICAL", "libexpat negative length to XML_ParseBuffer.", 9.8),
            _v("CVE-2024-45491", "CRITICAL", "libexpat integer overflow in dtdCopy.", 9.8),
            _v("CVE-2024-45492", "CRITICAL", "libexpat integer overflow in nextScaffoldPart.", 9.8),
        ),
        ("libexpat1",),
        "2.5.0-1",
    ),
    (
        (
            _v("CVE-2022-40304", "HIGH", "libxml2 dict corruption through hash key reference cycles.", 7.8),
            _v("CVE-2024-25062", "HIGH", "libxml2 use after free with XML reader and XInclude.", 7.5),
        ),
        ("libxml2",),
        "2.9.14+dfsg-1.3",
    ),
    (
        (_v("CVE-2022-35737", "HIGH", "SQLite array bounds overflow with large string arguments.", 7.5),),
        ("libsqlite3-0",),
        "3.40.1-2",
    ),
    (
        (_v("CVE-2023-29491", "HIGH", "ncurses memory corruption through terminfo.", 7.8),),
        ("libncursesw6", "libtinfo6", "ncurses-base"),
        "6.4-4",
    ),
    ((_v("CVE-2005-2541", "HIGH", "tar extracts setuid files without warning.", 10.0),), ("tar",), "1.34+dfsg-1.2"),
    (
        (
            _v("CVE-2023-4641", "MEDIUM", "shadow leaves a password in memory.", 5.5),
            _v("CVE-2007-5686", "MEDIUM", "shadow log files readable by others.", 4.9),
        ),
        ("login", "passwd"),
        "1:4.13+dfsg1-1",
    ),
    (
        (_v("CVE-2016-2781", "MEDIUM", "coreutils chroot --userspec allows terminal injection.", 6.5),),
        ("coreutils",),
        "9.1-1",
    ),
    (
        (
            _v("CVE-2024-37371", "CRITICAL", "Kerberos invalid memory reads in GSS token handling.", 9.1),
            _v("CVE-2024-37370", "HIGH", "Kerberos GSS token manipulation.", 7.4),
        ),
        ("libgssapi-krb5-2", "libk5crypto3", "libkrb5-3", "libkrb5support0"),
        "1.20.1-2",
    ),
    ((_v("CVE-2024-0553", "HIGH", "GnuTLS RSA-PSK timing side channel.", 7.5),), ("libgnutls30",), "3.7.9-2"),
    ((_v("CVE-2022-41409", "HIGH", "PCRE2 integer overflow in pcre2test.", 7.5),), ("libpcre2-8-0",), "10.42-1"),
    (
        (_v("CVE-2022-1304", "HIGH", "e2fsprogs out-of-bounds write on crafted filesystems.", 7.8),),
        ("e2fsprogs", "libcom-err2", "libext2fs2", "libss2"),
        "1.47.0-2",
    ),
    (
        (_v("CVE-2021-46848", "CRITICAL", "libtasn1 off-by-one in asn1_encode_simple_der.", 9.1),),
        ("libtasn1-6",),
        "4.19.0-2",
    ),
    (
        (_v("CVE-2011-3374", "LOW", "apt does not validate repository keys correctly.", 3.7),),
        ("apt", "libapt-pkg6.0"),
        "2.6.1",
    ),
    (
        (
            _v("CVE-2022-0563", "MEDIUM", "util-linux chfn and chsh read files through readline.", 5.5),
            _v("CVE-2024-28085", "HIGH", "util-linux wall sends escape sequences to other terminals.", 8.4),
        ),
        ("util-linux", "libblkid1", "libmount1", "libsmartcols1", "libuuid1"),
        "2.38.1-5+b1",
    ),
    (
        (
            REGRESSHION,
            _v("CVE-2023-48795", "MEDIUM", "SSH transport prefix truncation (Terrapin).", 5.9),
            _v("CVE-2023-38408", "CRITICAL", "OpenSSH ssh-agent PKCS#11 remote code execution.", 9.8),
        ),
        ("openssh-client",),
        "1:9.2p1-2",
    ),
    ((LIBWEBP_OVERFLOW,), ("libwebp7",), "1.2.4-0.1"),
    ((HTTP2_RAPID_RESET,), ("libnghttp2-14",), "1.52.0-1"),
    ((XZ_BACKDOOR,), ("xz-utils", "liblzma5"), "5.6.0-0.2"),
    (
        (_v("CVE-2022-34903", "MEDIUM", "GnuPG signature spoofing through status line injection.", 6.5),),
        ("gpgv", "gnupg", "dirmngr"),
        "2.2.40-1.1",
    ),
    ((_v("CVE-2018-6829", "HIGH", "libgcrypt ElGamal semantic security failure.", 7.5),), ("libgcrypt20",), "1.10.1-3"),
)


def base_image_packages() -> list[AffectedPackage]:
    """Return every (vulnerability, package) pair of the old base image."""
    packages = []
    for vulnerabilities, package_names, version in _BASE_IMAGE_SOURCES:
        for vulnerability in vulnerabilities:
            for name in package_names:
                packages.append(AffectedPackage(vulnerability, name, version))
    return packages


def _nvd_url(cve: str) -> str:
    return f"https://nvd.nist.gov/vuln/detail/{cve}"


def basic_finding(package: AffectedPackage) -> dict[str, Any]:
    """Return a finding as AWS-native basic scanning reports it in ``findings``."""
    vulnerability = package.vulnerability
    attributes = [
        {"key": "package_version", "value": package.version},
        {"key": "package_name", "value": package.name},
    ]
    if vulnerability.vector is not None:
        attributes.append({"key": "CVSS3_VECTOR", "value": vulnerability.vector})
    if vulnerability.score is not None:
        attributes.append({"key": "CVSS3_SCORE", "value": str(vulnerability.score)})
    severity = "UNDEFINED" if vulnerability.severity == "UNTRIAGED" else vulnerability.severity
    return {
        "name": vulnerability.cve,
        "description": vulnerability.description,
        "uri": _nvd_url(vulnerability.cve),
        "severity": severity,
        "attributes": attributes,
    }


@dataclass(frozen=True)
class ImageContext:
    """Image on which an enhanced finding was observed (fills its resource and ARN fields)."""

    account: str
    region: str
    repository: str
    digest: str
    tags: tuple[str, ...]
    pushed_at: datetime


def enhanced_finding(
    package: AffectedPackage,
    image: ImageContext,
    *,
    first_observed_at: datetime,
    last_observed_at: datetime,
    status: str = "ACTIVE",
) -> dict[str, Any]:
    """Return a finding as enhanced scanning (Amazon Inspector) reports it in ``enhancedFindings``."""
    vulnerability = package.vulnerability
    finding_id = hashlib.sha256(
        f"{image.account}/{image.region}/{image.digest}/{vulnerability.cve}/{package.name}".encode()
    ).hexdigest()[:32]
    cvss = []
    if vulnerability.score is not None:
        entry: dict[str, Any] = {"baseScore": vulnerability.score, "source": "NVD", "version": "3.1"}
        if vulnerability.vector is not None:
            entry["scoringVector"] = vulnerability.vector
        cvss.append(entry)
    vulnerable_package: dict[str, Any] = {
        "name": package.name,
        "version": package.version,
        "packageManager": package.package_manager,
        "arch": "X86_64" if package.package_manager == "OS" else None,
        "epoch": 0 if package.package_manager == "OS" else None,
        "fixedInVersion": package.fixed_in or "NotAvailable",
        "filePath": package.file_path,
    }
    finding: dict[str, Any] = {
        "awsAccountId": image.account,
        "description": vulnerability.description,
        "findingArn": f"arn:aws:inspector2:{image.region}:{image.account}:finding/{finding_id}",
        "firstObservedAt": first_observed_at,
        "lastObservedAt": last_observed_at,
        "updatedAt": last_observed_at,
        "packageVulnerabilityDetails": {
            "cvss": cvss,
            "referenceUrls": [_nvd_url(vulnerability.cve)],
            "source": "NVD",
            "sourceUrl": _nvd_url(vulnerability.cve),
            "vendorSeverity": vulnerability.severity,
            "vulnerabilityId": vulnerability.cve,
            "vulnerablePackages": [{k: v for k, v in vulnerable_package.items() if v is not None}],
        },
        "remediation": {
            "recommendation": {
                "text": (f"Upgrade {package.name} to {package.fixed_in}" if package.fixed_in else "None Provided")
            }
        },
        "resources": [
            {
                "id": f"arn:aws:ecr:{image.region}:{image.account}:repository/{image.repository}/{image.digest}",
                "type": "AWS_ECR_CONTAINER_IMAGE",
                "details": {
                    "awsEcrContainerImage": {
                        "architecture": "amd64",
                        "imageHash": image.digest,
                        "imageTags": list(image.tags),
                        "platform": "DEBIAN_12",
                        "pushedAt": image.pushed_at,
                        "registry": image.account,
                        "repositoryName": image.repository,
                    }
                },
            }
        ],
        "severity": vulnerability.severity,
        "status": status,
        "title": f"{vulnerability.cve} - {package.name}",
        "type": "PACKAGE_VULNERABILITY",
        "fixAvailable": "YES" if package.fixed_in else "NO",
        "exploitAvailable": "YES" if vulnerability.exploit_available else "NO",
    }
    if vulnerability.score is not None:
        finding["score"] = vulnerability.score
        finding["scoreDetails"] = {
            "cvss": {
                "adjustments": [],
                "score": vulnerability.score,
                "scoreSource": "NVD",
                "scoringVector": vulnerability.vector,
                "version": "3.1",
            }
        }
    return finding


def inspector_finding(
    package: AffectedPackage,
    image: ImageContext,
    *,
    first_observed_at: datetime,
    last_observed_at: datetime,
    status: str = "ACTIVE",
    last_in_use_at: datetime | None = None,
    in_use_count: int | None = None,
) -> dict[str, Any]:
    """Return a finding as Amazon Inspector's ListFindings returns it (the inspector2 ``Finding`` shape).

    It differs from ECR's ``enhancedFindings`` entry: scores are under
    ``inspectorScore``, the resource has ``partition`` and ``region``, and the
    image details may carry ``lastInUseAt`` and ``inUseCount``. The finding ARN
    uses the same id as ``enhanced_finding`` for the same image and package.
    """
    vulnerability = package.vulnerability
    finding_id = hashlib.sha256(
        f"{image.account}/{image.region}/{image.digest}/{vulnerability.cve}/{package.name}".encode()
    ).hexdigest()[:32]
    vulnerable_package: dict[str, Any] = {
        "name": package.name,
        "version": package.version,
        "packageManager": package.package_manager,
        "arch": "X86_64" if package.package_manager == "OS" else None,
        "epoch": 0 if package.package_manager == "OS" else None,
        "fixedInVersion": package.fixed_in or "NotAvailable",
        "filePath": package.file_path,
        "remediation": f"Upgrade {package.name} to {package.fixed_in}" if package.fixed_in else None,
    }
    details: dict[str, Any] = {
        "cvss": [],
        "referenceUrls": [_nvd_url(vulnerability.cve)],
        "relatedVulnerabilities": [],
        "source": "NVD",
        "sourceUrl": _nvd_url(vulnerability.cve),
        "vendorSeverity": vulnerability.severity,
        "vulnerabilityId": vulnerability.cve,
        "vulnerablePackages": [{k: v for k, v in vulnerable_package.items() if v is not None}],
    }
    # Inspector's CvssScore requires a scoring vector, so a score without one is left out.
    if vulnerability.score is not None and vulnerability.vector is not None:
        details["cvss"].append(
            {"baseScore": vulnerability.score, "scoringVector": vulnerability.vector, "source": "NVD", "version": "3.1"}
        )
    container_image: dict[str, Any] = {
        "architecture": "amd64",
        "imageHash": image.digest,
        "imageTags": list(image.tags),
        "platform": "DEBIAN_12",
        "pushedAt": image.pushed_at,
        "registry": image.account,
        "repositoryName": image.repository,
        "lastInUseAt": last_in_use_at,
        "inUseCount": in_use_count,
    }
    finding: dict[str, Any] = {
        "awsAccountId": image.account,
        "description": vulnerability.description,
        "findingArn": f"arn:aws:inspector2:{image.region}:{image.account}:finding/{finding_id}",
        "firstObservedAt": first_observed_at,
        "lastObservedAt": last_observed_at,
        "updatedAt": last_observed_at,
        "packageVulnerabilityDetails": details,
        "remediation": {
            "recommendation": {
                "text": f"Upgrade {package.name} to {package.fixed_in}" if package.fixed_in else "None Provided"
            }
        },
        "resources": [
            {
                "id": f"arn:aws:ecr:{image.region}:{image.account}:repository/{image.repository}/{image.digest}",
                "partition": "aws",
                "region": image.region,
                "type": "AWS_ECR_CONTAINER_IMAGE",
                "details": {"awsEcrContainerImage": {k: v for k, v in container_image.items() if v is not None}},
            }
        ],
        "severity": vulnerability.severity,
        "status": status,
        "title": f"{vulnerability.cve} - {package.name}",
        "type": "PACKAGE_VULNERABILITY",
        "fixAvailable": "YES" if package.fixed_in else "NO",
        "exploitAvailable": "YES" if vulnerability.exploit_available else "NO",
    }
    if vulnerability.score is not None and vulnerability.vector is not None:
        finding["inspectorScore"] = vulnerability.score
        finding["inspectorScoreDetails"] = {
            "adjustedCvss": {
                "adjustments": [],
                "cvssSource": "NVD",
                "score": vulnerability.score,
                "scoreSource": "NVD",
                "scoringVector": vulnerability.vector,
                "version": "3.1",
            }
        }
    return finding
