"""The compliance policy engine: jurisdiction profiles as data, one pure decision function."""

from scheduler.policy.case import (
    CallbackRequest,
    CampaignLimits,
    ContactInfo,
    DebtorInfo,
    Decision,
    DecisionCase,
    HistoryEntry,
    StatedTime,
)
from scheduler.policy.engine import decide
from scheduler.policy.profiles import ComplianceProfile, ComplianceProfileError, ProfileSet, load_profiles

__all__ = [
    "CallbackRequest",
    "CampaignLimits",
    "ComplianceProfile",
    "ComplianceProfileError",
    "ContactInfo",
    "DebtorInfo",
    "Decision",
    "DecisionCase",
    "HistoryEntry",
    "ProfileSet",
    "StatedTime",
    "decide",
    "load_profiles",
]
