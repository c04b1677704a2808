"""The environment template.yaml gives each function, as a pydantic model."""

from __future__ import annotations

import os

from pydantic import BaseModel, ConfigDict, Field


class Settings(BaseModel):
    model_config = ConfigDict(frozen=True, extra="ignore")

    table_name: str = Field(alias="TABLE_NAME")
    outbox_queue_url: str = Field("", alias="OUTBOX_QUEUE_URL")
    ses_configuration_set: str = Field("", alias="SES_CONFIGURATION_SET")
    sender_address: str = Field("", alias="SENDER_ADDRESS")


def settings() -> Settings:
    # Read on every call (microseconds): the local stack runs several
    # functions, each with its own environment, in one process.
    return Settings.model_validate(dict(os.environ))
