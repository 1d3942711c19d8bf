"""The demo's data folder: settings, a loopback SIP profile, the callee routes, a call list, a campaign.

Everything goes through the product's own front doors (settings file, migrations, the call-list importer,
the ledger), so the folder is an ordinary dialer data directory afterwards: `dialer --config DIR/dialer.toml
report --campaign demo` works on it like on any other.
"""

from __future__ import annotations

import csv
import datetime as dt
import shutil
from dataclasses import dataclass
from pathlib import Path

import dialer
from dialer.callee.routes import dump_routes
from dialer.demo.cast import CAST, SCRIPTS, CastMember, account_ref
from dialer.demo.regions import Region

CAMPAIGN = "demo"
SCRIPT = "reminder-en"
MARKER = ".dialer-demo"  # a folder with this file was made by the demo and may be replaced by it
SESSION_HANDLER = "dialer.session.handler:SessionHandler"
COMPANY, AGENT, CALLBACK = "Northwind Services", "Maria", "+15550100100"
SCRIPTS_DIR = Path(dialer.__file__).resolve().parents[1] / "scripts"


class DemoError(Exception):
    """The demo cannot run (folder in use, a port taken, no open region); the message says what to do."""


@dataclass(frozen=True)
class Ports:
    """The callee listens on `sip`; the dialer's workers use the ports after it. RTP likewise."""

    sip: int = 5470
    rtp: int = 47000

    @property
    def callee(self) -> int:
        return self.sip

    @property
    def workers_sip(self) -> int:
        return self.sip + 2

    @property
    def workers_rtp(self) -> int:
        return self.rtp + 400


@dataclass(frozen=True)
class Layout:
    root: Path

    @property
    def config(self) -> Path:
        return self.root / "dialer.toml"

    @property
    def profile(self) -> Path:
        return self.root / "loopback.yaml"

    @property
    def routes(self) -> Path:
        return self.root / "callee-routes.yaml"

    @property
    def call_list(self) -> Path:
        return self.root / "call-list.csv"

    @property
    def callee_logs(self) -> Path:
        return self.root / "callee"

    @property
    def report_png(self) -> Path:
        return self.root / "report.png"

    @property
    def summary(self) -> Path:
        return self.root / "demo.json"


def prepare_folder(root: Path, keep: bool, now: dt.datetime) -> Layout:
    """An empty folder for this run. An earlier demo there is replaced, or with `keep` moved aside to
    `DIR.<UTC time>`; a folder with anything else in it is never touched."""
    if root.exists() and any(root.iterdir()):
        if not (root / MARKER).is_file():
            raise DemoError(f"{root} is not empty and holds no earlier demo: choose another --dir")
        if keep:
            aside = root.with_name(f"{root.name}.{now:%Y%m%dT%H%M%SZ}")
            root.rename(aside)
        else:
            shutil.rmtree(root)
    root.mkdir(parents=True, exist_ok=True)
    (root / MARKER).write_text("made by `dialer demo`; the next run replaces this folder\n")
    return Layout(root.resolve())


def numbers(region: Region, cast: tuple[CastMember, ...] = CAST) -> dict[str, str]:
    """Persona -> the E.164 number its debtor is called on."""
    return {role.persona: region.number(place) for place, role in enumerate(cast, start=1)}


def write_config(
    layout: Layout,
    region: Region,
    ports: Ports,
    ring_timeout: int,
    cast: tuple[CastMember, ...] = CAST,
    language: str = "en",
) -> None:
    layout.profile.write_text(
        "# Calls straight to the simulated callees of `dialer demo` on this host.\n"
        "name: demo-loopback\nmode: ip_auth\n"
        f"domain: 127.0.0.1:{ports.callee}\n"
        "transport: udp\ncodecs: [PCMU, PCMA]\ndtmf_mode: rfc2833\n"
        'caller_id: "+15550100100"\ncaller_name: Reminder Desk\n'
        f"channel_limit: 4\ncalls_per_second: 5\nring_timeout: {ring_timeout}\nmax_call_duration: 180\n",
        encoding="utf-8",
    )
    layout.config.write_text(
        "# Written by `dialer demo`: the embedded defaults, everything on this host, no network.\n"
        'data_dir = "."\n\n'
        "[sip]\n"
        f"profile = {_q(layout.profile)}\n"
        "workers = 1\ncalls_per_worker = 4  # the simulated callees answer at most 4 calls at once\n"
        f"base_sip_port = {ports.workers_sip}\nbase_rtp_port = {ports.workers_rtp}\n"
        f"handler = {_q(SESSION_HANDLER)}\n\n"
        "[voice]\n"
        'asr_engine = "whisper"\n'
        f"asr_preload = [{_q(language)}]  # the campaign's language loads at worker start\n"
        f"{_tts_engines(language)}\n\n"
        "[dialogue]\n"
        'engine = "embedded"\n'
        f"scripts_dir = {_q(_scripts_dir(layout, language))}\n\n"
        "[scheduler]\nplanner_interval_seconds = 5\n\n"
        "[run]\n"
        f"company = {_q(COMPANY)}\nagent_name = {_q(AGENT)}\ncallback_number = {_q(CALLBACK)}\n\n"
        "[metrics]\nport = 0\n",
        encoding="utf-8",
    )
    layout.routes.write_text(dump_routes({n: p for p, n in numbers(region, cast).items()}))


def _scripts_dir(layout: Layout, language: str) -> Path:
    """English: the repository's scripts. Chinese: a folder holding only reminder-zh (a link), so a call
    worker trains and pre-renders one script at start, not every script in the repository."""
    if language == "en":
        return SCRIPTS_DIR
    folder = layout.root / "scripts"
    folder.mkdir(exist_ok=True)
    link = folder / SCRIPTS[language]
    if not link.exists():
        link.symlink_to(SCRIPTS_DIR / SCRIPTS[language], target_is_directory=True)
    return folder


def _tts_engines(language: str) -> str:
    if language == "zh":  # no offline Mandarin product voice beats espeak-ng; piper would only slow the
        return 'tts_engines = ["espeak"]  # worker start rendering the English script\'s sentences'
    return 'tts_engines = ["piper", "espeak"]  # offline'


def _q(value: object) -> str:
    return '"' + str(value).replace("\\", "\\\\").replace('"', '\\"') + '"'


def write_call_list(
    layout: Layout,
    region: Region,
    now: dt.datetime,
    cast: tuple[CastMember, ...] = CAST,
    language: str = "en",
) -> None:
    """One row per cast member: a consenting debtor at home in `region`, a reminder two weeks overdue."""
    today = now.date()
    with layout.call_list.open("w", encoding="utf-8", newline="") as handle:
        out = csv.writer(handle)
        out.writerow(
            [
                "account",
                "first_name",
                "last_name",
                "phone",
                "amount",
                "currency",
                "due_date",
                "country",
                "state",
                "zip",
                "language",
                "consent_date",
            ]
        )
        for place, role in enumerate(cast, start=1):
            out.writerow(
                [
                    account_ref(role),
                    role.first_name,
                    role.last_name,
                    region.number(place),
                    f"{role.amount}",
                    region.currency,
                    (today - dt.timedelta(days=14)).isoformat(),
                    region.country,
                    region.state or "",
                    region.postal_code or "",
                    language,
                    (today - dt.timedelta(days=60)).isoformat(),
                ]
            )


def seed(
    root: Path,
    region: Region,
    ports: Ports,
    now: dt.datetime,
    *,
    keep: bool,
    ring_timeout: int,
    cast: tuple[CastMember, ...] = CAST,
    language: str = "en",
) -> Layout:
    """Make the folder, the settings, the database, the campaign and its call list (state running)."""
    from dialer.settings import load_settings
    from scheduler import migrations
    from scheduler.importing import ImportOptions, import_file
    from scheduler.ledger import CampaignSpec
    from scheduler.sql_ledger import SqlLedger
    from scheduler.vocabulary import CampaignState

    layout = prepare_folder(root, keep, now)
    write_config(layout, region, ports, ring_timeout, cast, language)
    write_call_list(layout, region, now, cast, language)
    settings = load_settings(layout.config, environ={})
    migrations.upgrade(settings.database_url)
    ledger = SqlLedger.open(settings.database_url)
    try:
        ledger.create_campaign(
            CampaignSpec(
                name=CAMPAIGN, script=SCRIPTS[language], max_attempts_per_day=1, max_attempts_total=3
            )
        )
        result = import_file(
            ledger, layout.call_list, ImportOptions(CAMPAIGN, region.country, region.currency)
        )
        if result.counts.imported != len(cast):
            raise DemoError(
                f"the demo call list imported {result.counts.imported} of {len(cast)} rows "
                f"(rejected {result.counts.rejected}, suppressed {result.counts.suppressed})"
            )
        ledger.set_campaign_state(CAMPAIGN, CampaignState.running, actor="demo")
    finally:
        ledger.close()
    return layout
