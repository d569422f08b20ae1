"""ecr-auditor: compliance auditing for Amazon ECR private registries."""

import logging
from importlib.metadata import PackageNotFoundError, version

try:
    __version__ = version("ecr-auditor")
except PackageNotFoundError:  # running from a source tree that was never installed
    __version__ = "0.0.0+unknown"

logging.getLogger(__name__).addHandler(logging.NullHandler())
