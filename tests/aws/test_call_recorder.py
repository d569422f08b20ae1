"""The call recorder records calls that fail before AWS sends a response."""

import boto3
import pytest
from botocore.config import Config
from botocore.exceptions import EndpointConnectionError, NoCredentialsError

from auditor.aws.session import CallRecorder


def test_call_without_credentials_recorded(monkeypatch):
    monkeypatch.delenv("AWS_ACCESS_KEY_ID")
    monkeypatch.delenv("AWS_SECRET_ACCESS_KEY")
    recorder = CallRecorder()
    client = boto3.Session(region_name="us-east-1").client("ecr", endpoint_url="http://127.0.0.1:9")
    recorder.attach(client, "123456789012", "us-east-1")

    # The caller sees botocore's own error, not one raised by the recorder.
    with pytest.raises(NoCredentialsError):
        client.describe_registry()

    assert recorder.counts[("ecr", "DescribeRegistry")] == 1
    assert recorder.error_counts[("ecr", "DescribeRegistry")] == 1
    [call] = recorder.calls
    assert (call.operation, call.error_code, call.http_status) == ("DescribeRegistry", "NoCredentialsError", None)


def test_unreachable_endpoint_recorded():
    recorder = CallRecorder()
    # Port 9 (discard) on loopback is closed here, so the connection is refused at once.
    config = Config(retries={"total_max_attempts": 1}, connect_timeout=1)
    client = boto3.Session(region_name="us-east-1").client("ecr", endpoint_url="http://127.0.0.1:9", config=config)
    recorder.attach(client, "123456789012", "us-east-1")

    with pytest.raises(EndpointConnectionError):
        client.get_registry_policy()

    [call] = recorder.calls
    assert (call.operation, call.error_code) == ("GetRegistryPolicy", "EndpointConnectionError")
