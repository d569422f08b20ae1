"""Delivery: email with the PDF report attached, and the long-running scheduler."""
