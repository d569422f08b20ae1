"""Evidence packages for auditors: sealed runs, signed manifests and offline verification."""
