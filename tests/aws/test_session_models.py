"""Assumed-role sessions share the caller session's loaded service models."""

import boto3
import pytest

from auditor.aws.session import CallRecorder, SessionFactory

ACCOUNTS = ("111111111111", "222222222222", "333333333333")


@pytest.fixture
def factory(emulator):
    """A session factory pointed at the emulated estate, where moto lets any role be assumed."""
    return SessionFactory(
        CallRecorder(), role_name="ECRAuditorRole", base_session=boto3.Session(region_name="us-east-1")
    )


def test_assumed_sessions_share_loader(factory):
    base_loader = factory.base_session._session.get_component("data_loader")

    loaders = [factory.session_for(account)._session.get_component("data_loader") for account in ACCOUNTS]

    for account, loader in zip(ACCOUNTS, loaders, strict=True):
        assert loader is base_loader, f"account {account} has a data loader of its own"


def test_assumed_clients_keep_their_account(factory):
    for account in ACCOUNTS:
        session = factory.session_for(account)
        sts = factory.client(session, "sts", "us-east-1", account)

        assert sts.get_caller_identity()["Account"] == account
