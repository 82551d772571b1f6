"""Settings from the environment, with the Bot Framework's own variable names.

With no ``MicrosoftAppId`` the bot runs in local (emulator) mode: no token is required and none is
sent, which is how the Agents Playground and the test-suite talk to it without a tenant.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from pathlib import Path
from zoneinfo import ZoneInfo

BOTFRAMEWORK_OPENID = "https://login.botframework.com/v1/.well-known/openidconfiguration"
TOKEN_AUTHORITY = "https://login.microsoftonline.com"
# Hosts the Bot Framework (public cloud) names as serviceUrl: the only ones that get the bot's token.
# An entry matches that host and its subdomains (on a dot boundary); ``*.example`` only subdomains.
SERVICE_URL_HOSTS = ("smba.trafficmanager.net", "*.botframework.com")
# Managed identity (MicrosoftAppType=UserAssignedMSI): the Azure Instance Metadata Service token endpoint.
IMDS_TOKEN_URL = "http://169.254.169.254/metadata/identity/oauth2/token"


# Where Teams may ask the bot to upload a file the user accepted: the tenant's OneDrive (SharePoint).
UPLOAD_HOSTS = ("*.sharepoint.com", "*.sharepoint.de")


def _upload_hosts(raw: str) -> tuple[str, ...]:
    """``SSPF_UPLOAD_HOSTS``: comma separated; empty or unset means the public and German clouds'."""
    hosts = tuple(h.strip().lower() for h in raw.split(",") if h.strip())
    return hosts or UPLOAD_HOSTS


class ConfigError(ValueError):
    """A setting the bot cannot run with; the message names the variable (``python -m bot.app`` prints it
    and exits with status 2 instead of a traceback)."""


def _number(
    env: dict[str, str],
    name: str,
    default: str,
    kind: type,
    low: float | None = None,
    high: float | None = None,
):
    raw = env.get(name, default).strip() or default
    what = "a whole number" if kind is int else "a number"
    try:
        value = kind(raw)
    except ValueError:
        raise ConfigError(f"{name} must be {what}, got {raw[:40]!r}") from None
    if kind is float and value != value:  # NaN
        raise ConfigError(f"{name} must be {what}, got {raw[:40]!r}")
    if (low is not None and value < low) or (high is not None and value > high):
        bounds = f"between {low:g} and {high:g}" if high is not None else f"at least {low:g}"
        raise ConfigError(f"{name} must be {bounds}, got {raw[:40]!r}")
    return value


def _int(env: dict[str, str], name: str, default: int, low: int | None = 0, high: int | None = None) -> int:
    return _number(env, name, str(default), int, low, high)


def _float(env: dict[str, str], name: str, default: float, low: float | None = 0.0) -> float:
    return _number(env, name, str(default), float, low)


def default_database_url() -> str:
    return f"sqlite+aiosqlite:///{Path('var/sspf.db').resolve()}"


def _hosts(raw: str) -> tuple[str, ...]:
    """``SSPF_SERVICE_URL_HOSTS``: comma separated; empty or unset means the public cloud's hosts."""
    hosts = tuple(h.strip().lower() for h in raw.split(",") if h.strip())
    return hosts or SERVICE_URL_HOSTS


def _coordinators(raw: str) -> tuple[tuple[str, str], ...]:
    """``tenant/aadObjectId`` pairs, comma separated; ``*`` as tenant means any tenant (local use)."""
    pairs = []
    for item in raw.split(","):
        item = item.strip()
        if not item:
            continue
        tenant, _, aad = item.rpartition("/")
        pairs.append((tenant or "*", aad))
    return tuple(pairs)


@dataclass(frozen=True)
class Settings:
    app_id: str = ""
    app_password: str = ""
    app_tenant_id: str = ""
    app_type: str = "MultiTenant"
    host: str = "127.0.0.1"
    port: int = 3978
    database_url: str = field(default_factory=default_database_url)
    db_pool_size: int = 20  # PostgreSQL connections per replica (replicas × this < max_connections)
    timezone: str = "Europe/Stockholm"
    locale: str = "sv-SE"
    coordinators: tuple[tuple[str, str], ...] = ()
    max_body_bytes: int = 256 * 1024
    openid_metadata_url: str = BOTFRAMEWORK_OPENID
    token_authority: str = TOKEN_AUTHORITY
    outbound_scope: str = "https://api.botframework.com/.default"
    ics_dir: str = "var/ics"
    escalation_days: int = 3
    retention_days: int = 365
    # Who consents (domain/consent_rules.py; defaults from the source pages): the target ages, the age from
    # which the young person signs too, the age from which only their own consent counts.
    target_age_min: int = 12
    target_age_max: int = 18
    youth_consent_age: int = 15
    adult_age: int = 18
    reply_budget_s: float = 10.0  # then replies finish in the background (Teams re-sends after 15 s)
    reply_sweep_s: float = 5.0  # how often a replica sends replies owed by failed or crashed turns
    documents: str = ""  # teams (file consent upload) | disk; default: disk in local mode, else teams
    housekeeping_hours: float = 6.0
    # Outbound: the bot's bearer token goes only to serviceUrls on these hosts (bot/connector.py).
    allowed_service_url_hosts: tuple[str, ...] = SERVICE_URL_HOSTS
    # Inbound token check (bot/auth.py): one OpenID + JWKS fetch may take this long in total; the
    # signing keys are refreshed after key_cache_s (the last good set is kept while a refresh fails).
    key_fetch_timeout_s: float = 5.0
    key_cache_s: float = 24 * 3600.0
    # UserAssignedMSI: token endpoint (IMDS by default; App Service / Container Apps set
    # IDENTITY_ENDPOINT + IDENTITY_HEADER, which take precedence).
    msi_endpoint: str = IMDS_TOKEN_URL
    identity_endpoint: str = ""
    identity_header: str = ""
    # Follow-up reminders (bot/reminders/): the dispatcher's wake-ups can be switched off for tests and
    # benchmarks that drive it themselves; the rows wait in the database either way.
    reminders: bool = True
    reminder_interval_s: float = 60.0
    reminder_lease_s: float = 300.0
    reminder_tenant_rate: float = 50.0  # Teams: requests per second per app per tenant
    reminder_conversation_rate: float = 7.0  # Teams: messages per second per conversation
    reminder_clock_start: str = ""  # ISO instant: pretend the clock started there (demos, benchmarks)
    # A file holding an ISO instant that the reminder clock reads on every call, so an end-to-end test can
    # move time forward in a running bot. Honoured in local mode only (no MicrosoftAppId).
    reminder_clock_file: str = ""
    # The handlingsplan upload (bot/files.py): https only, to these hosts (``*.x`` = any subdomain of x);
    # sovereign clouds add theirs with SSPF_UPLOAD_HOSTS. Loopback (the tests' stand-in for OneDrive) is
    # allowed in local mode only, and can be switched off there too.
    upload_hosts: tuple[str, ...] = UPLOAD_HOSTS
    upload_loopback: bool = True
    # Key for the MAC on file consent cards (bot/protokoll.py); default: derived from the app password.
    file_consent_secret: str = ""

    @property
    def local_mode(self) -> bool:
        return not self.app_id

    def __post_init__(self) -> None:
        if self.documents not in ("teams", "disk"):
            object.__setattr__(self, "documents", "disk" if self.local_mode else "teams")

    @property
    def tz(self) -> ZoneInfo:
        return ZoneInfo(self.timezone)

    @classmethod
    def from_env(cls, env: dict[str, str] | None = None) -> Settings:
        env = dict(os.environ if env is None else env)
        return cls(
            app_id=env.get("MicrosoftAppId", ""),
            app_password=env.get("MicrosoftAppPassword", ""),
            app_tenant_id=env.get("MicrosoftAppTenantId", ""),
            app_type=env.get("MicrosoftAppType", "MultiTenant"),
            host=env.get("HOST", "127.0.0.1"),
            port=_int(env, "PORT", 3978, high=65535),
            database_url=env.get("DATABASE_URL") or default_database_url(),
            db_pool_size=_int(env, "SSPF_DB_POOL_SIZE", 20, low=1),
            timezone=env.get("SSPF_TIMEZONE", "Europe/Stockholm"),
            locale=env.get("SSPF_LOCALE", "sv-SE"),
            coordinators=_coordinators(env.get("SSPF_COORDINATORS", "")),
            max_body_bytes=_int(env, "SSPF_MAX_BODY_BYTES", 256 * 1024, low=1),
            openid_metadata_url=env.get("BOT_OPENID_METADATA_URL", BOTFRAMEWORK_OPENID),
            token_authority=env.get("BOT_TOKEN_AUTHORITY", TOKEN_AUTHORITY),
            ics_dir=env.get("SSPF_ICS_DIR", "var/ics"),
            escalation_days=_int(env, "SSPF_ESCALATION_DAYS", 3),
            retention_days=_int(env, "SSPF_RETENTION_DAYS", 365),
            target_age_min=_int(env, "SSPF_TARGET_AGE_MIN", 12, 0, 30),
            target_age_max=_int(env, "SSPF_TARGET_AGE_MAX", 18, 0, 30),
            youth_consent_age=_int(env, "SSPF_YOUTH_CONSENT_AGE", 15, 0, 30),
            adult_age=_int(env, "SSPF_ADULT_AGE", 18, 0, 30),
            reply_budget_s=_float(env, "SSPF_REPLY_BUDGET_S", 10),
            reply_sweep_s=_float(env, "SSPF_REPLY_SWEEP_S", 5),
            documents=env.get("SSPF_DOCUMENTS", ""),
            housekeeping_hours=_float(env, "SSPF_HOUSEKEEPING_HOURS", 6),
            allowed_service_url_hosts=_hosts(env.get("SSPF_SERVICE_URL_HOSTS", "")),
            key_fetch_timeout_s=_float(env, "SSPF_KEY_FETCH_TIMEOUT_S", 5),
            msi_endpoint=env.get("SSPF_MSI_ENDPOINT") or IMDS_TOKEN_URL,
            identity_endpoint=env.get("IDENTITY_ENDPOINT", ""),
            identity_header=env.get("IDENTITY_HEADER", ""),
            reminders=env.get("SSPF_REMINDERS", "on").strip().lower() not in ("off", "0", "false", "no"),
            reminder_interval_s=_float(env, "SSPF_REMINDER_INTERVAL_S", 60),
            reminder_lease_s=_float(env, "SSPF_REMINDER_LEASE_S", 300),
            reminder_tenant_rate=_float(env, "SSPF_REMINDER_TENANT_RATE", 50),
            reminder_conversation_rate=_float(env, "SSPF_REMINDER_CONVERSATION_RATE", 7),
            reminder_clock_start=env.get("SSPF_REMINDER_CLOCK", ""),
            reminder_clock_file=env.get("SSPF_FAKE_CLOCK_FILE", ""),
            upload_hosts=_upload_hosts(env.get("SSPF_UPLOAD_HOSTS", "")),
            upload_loopback=env.get("SSPF_UPLOAD_LOOPBACK", "on").strip().lower()
            not in ("off", "0", "false", "no"),
            file_consent_secret=env.get("SSPF_FILE_CONSENT_SECRET", ""),
        )
