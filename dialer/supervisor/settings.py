"""The `[run]` table of dialer.toml: the daemon's loop, shutdown, and the call facts the ledger lacks.

The ledger holds no company name, agent name, callback number or transfer target for a campaign; they
come from here (`[run]` for every campaign, `[run.campaigns.NAME]` to override one campaign).
"""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict, Field

OptionValue = str | int | float | bool


class CampaignCallSettings(BaseModel):
    """What a call says that the ledger does not store; empty values fall back to `[run]`."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    company: str = ""
    agent_name: str = ""
    callback_number: str = Field(default="", description="E.164 number the callee can call back")
    transfer_uri: str = Field(default="", description="sip: URI of a human agent; empty: no transfer")
    language: str = Field(default="", description="en, zh; empty: the debtor's language")


class RunSettings(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    drain_seconds: float = Field(default=330.0, gt=0, description="SIGTERM: how long live calls may finish")
    handler: str = Field(
        default="dialer.session.handler:SessionHandler", description="module:attr that conducts each call"
    )
    handler_options: dict[str, OptionValue] = Field(
        default_factory=dict, description="extra CallRequest options for the handler (line tests)"
    )
    claim_interval_seconds: float = Field(default=1.0, gt=0, le=60, description="how often to claim")
    worker_start_seconds: float = Field(
        default=60.0, gt=0, description="how long to retry starting the call workers (ports still held)"
    )
    company: str = Field(default="Reminder Desk", description="the business name the opening says")
    agent_name: str = Field(default="Alex", description="the bot's name")
    callback_number: str = Field(default="", description="E.164 number callees can call back")
    transfer_uri: str = Field(default="", description="sip: URI of a human agent; empty: no transfer")
    default_time_zone: str = Field(default="UTC", description="when neither address nor number gives one")
    campaigns: dict[str, CampaignCallSettings] = Field(default_factory=dict)

    def for_campaign(self, name: str) -> CampaignCallSettings:
        """The campaign's call facts with `[run]` defaults filled in."""
        own = self.campaigns.get(name, CampaignCallSettings())
        return CampaignCallSettings(
            company=own.company or self.company,
            agent_name=own.agent_name or self.agent_name,
            callback_number=own.callback_number or self.callback_number,
            transfer_uri=own.transfer_uri or self.transfer_uri,
            language=own.language,
        )
