"""Configuration: defaults, ``PASSNUM_*`` environment, instance secrets; validated at start."""

from __future__ import annotations

import json
import os
import secrets
from datetime import timedelta
from email.utils import parseaddr
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from limits import parse_many

from passnum.core.files import create_private_file, private_dir
from passnum.core.proxy import ProxyConfigError, parse_networks

DEFAULTS: dict[str, Any] = {
    "BASE_URL": "http://127.0.0.1:5000",
    "TIMEZONE": "Europe/Paris",
    "API_TOKEN_HOURS": 12,
    # reverse proxies whose X-Forwarded-For/-Proto are believed (core.proxy): loopback,
    # where `make serve` sits behind the local nginx; gunicorn reads the same setting
    "TRUSTED_PROXIES": "127.0.0.1,::1",
    # budgets, reasoned in the README's production checklist: code checks and
    # redemptions per logged-in user and per address, voucher links opened anonymously
    # (/v/<token>) per address, failed logins per (account, address) and per address,
    # accepted venue applications per address
    "RATELIMIT_CODE_CHECKS": "300 per minute;10000 per day",
    "RATELIMIT_CODE_CHECKS_ADDRESS": "3000 per minute",
    "RATELIMIT_VOUCHER_LINKS": "60 per minute",
    "RATELIMIT_LOGIN_ACCOUNT": "5 per 15 minutes",
    "RATELIMIT_LOGIN": "30 per 15 minutes",
    "RATELIMIT_APPLICATIONS": "5 per hour",
    "RATELIMIT_STORAGE_URI": "passnum-memory://",  # core.ratelimit.SweptMemoryStorage
    # put before every counter's key: several instances can share one Redis
    "RATELIMIT_KEY_PREFIX": "",
    "MAX_CONTENT_LENGTH": 2 * 1024 * 1024,
    "SESSION_COOKIE_HTTPONLY": True,
    "SESSION_COOKIE_SAMESITE": "Lax",
    # connections coming back from an idle spell are checked (core.db.install_idle_ping)
    "SQLALCHEMY_ENGINE_OPTIONS": {"pool_pre_ping": False},
    "WTF_CSRF_TIME_LIMIT": None,
    "PASSWORD_HASH_METHOD": "scrypt",
    # RGPD: months after a programme's end before its beneficiaries are pseudonymised
    "RGPD_RETENTION_MONTHS": 12,
    # hours an API answer is kept for retries with its Idempotency-Key; older ones are
    # not replayed and ``purge`` deletes them
    "IDEMPOTENCY_TTL_HOURS": 48,
    # a session ends after this many minutes without a request, or this many hours
    # after login whatever happens
    "SESSION_IDLE_MINUTES": 30,
    "SESSION_MAX_HOURS": 12,
    # roles that log in with a second factor (an authenticator app, TOTP)
    "TOTP_ROLES": ("admin", "manager"),
    # the audit log's head is appended to this file after commits (passnum.audit.anchor);
    # unset: instance/audit-anchor.log; empty: no file (keep the head `audit verify` prints)
    "AUDIT_ANCHOR_PATH": None,
    # seconds between two anchor writes of one server process (the hot path stays cheap)
    "AUDIT_ANCHOR_SECONDS": "1",
    # the issuer printed at the head of every statement: the syndicate running the programme
    "ISSUER_NAME": "Syndicat mixte Pass numérique",
    "ISSUER_ADDRESS": "78000 Versailles",
    # outgoing mail (passnum.messages): smtp://user:pass@host:587 (STARTTLS) or
    # smtps://user:pass@host:465 (TLS); unset, messages are written as .eml files under
    # MAIL_DIR (instance/mail/ when unset) and the log names the folder
    "SMTP_URL": "",
    "SMTP_TIMEOUT_SECONDS": 20,
    # the From of every e-mail; unset: no-reply@<the host of BASE_URL>
    "MAIL_FROM": "",
    "MAIL_DIR": "",
    # SMS through Brevo's transactional SMS API ("brevo"); unset: SMS is off, none queued
    "SMS_PROVIDER": "",
    "SMS_API_KEY": "",
    "SMS_SENDER": "",
    "SMS_API_URL": "https://api.brevo.com/v3",
    # password reset requests per e-mail address and per client address
    "RATELIMIT_PASSWORD_RESET_EMAIL": "3 per hour",
    "RATELIMIT_PASSWORD_RESET": "20 per hour",
    # the public directory's map (docs/directory.md): a tile server's URL template
    # ({z}/{x}/{y}, optional {s} subdomain, {r} for high-density screens) whose origin
    # the Content-Security-Policy admits; empty: no map, the list alone. The attribution
    # is the tile licence's duty, shown on the map with a link to its terms.
    "MAP_TILE_URL": "https://tile.openstreetmap.org/{z}/{x}/{y}.png",
    "MAP_ATTRIBUTION": "© les contributeurs d’OpenStreetMap",
    "MAP_ATTRIBUTION_URL": "https://www.openstreetmap.org/copyright",
}
SMS_PROVIDERS = ("brevo",)
SMS_SENDER_MAX = 11
ISSUER_MAX = 200
ATTRIBUTION_MAX = 200

SECRETS_FILE = "secrets.json"
RATE_LIMITS = ("RATELIMIT_CODE_CHECKS", "RATELIMIT_CODE_CHECKS_ADDRESS",
               "RATELIMIT_VOUCHER_LINKS", "RATELIMIT_LOGIN_ACCOUNT", "RATELIMIT_LOGIN",
               "RATELIMIT_APPLICATIONS", "RATELIMIT_PASSWORD_RESET_EMAIL",
               "RATELIMIT_PASSWORD_RESET")


class ConfigError(RuntimeError):
    """Raised at start-up when the configuration cannot work."""


def database_url(raw: str | None, instance_path: str) -> str:
    """Return the SQLAlchemy URL: ``DATABASE_URL`` (PostgreSQL via psycopg 3) or SQLite."""
    if not raw:
        return f"sqlite:///{Path(instance_path) / 'passnum.sqlite3'}"
    if raw.startswith("postgres://"):
        raw = "postgresql://" + raw.removeprefix("postgres://")
    if raw.startswith("postgresql://"):
        raw = "postgresql+psycopg://" + raw.removeprefix("postgresql://")
    if not raw.startswith(("postgresql+psycopg://", "sqlite:")):
        raise ConfigError("DATABASE_URL doit désigner une base PostgreSQL ou SQLite.")
    return raw


def instance_secrets(instance_path: str) -> dict[str, Any]:
    """Load the instance secrets, generating them on first run (never committed)."""
    path = Path(instance_path) / SECRETS_FILE
    if path.exists():
        return json.loads(path.read_text(encoding="utf-8"))
    data = {"SECRET_KEY": secrets.token_urlsafe(48), "VOUCHER_KEYS": [secrets.token_urlsafe(48)],
            "AUDIT_KEYS": [secrets.token_urlsafe(48)]}
    write_instance_secrets(instance_path, data)
    return data


def with_audit_key(instance_path: str, data: dict[str, Any]) -> dict[str, Any]:
    """Give a secrets file written before the audit log was keyed its audit key."""
    if not data.get("AUDIT_KEYS"):
        data = {**data, "AUDIT_KEYS": [secrets.token_urlsafe(48)]}
        write_instance_secrets(instance_path, data)
    return data


def write_instance_secrets(instance_path: str, data: dict[str, Any]) -> None:
    """Write the secrets file readable by its owner only."""
    path = private_dir(instance_path) / SECRETS_FILE
    tmp = path.with_suffix(".tmp")
    tmp.unlink(missing_ok=True)
    create_private_file(tmp)  # owner-only before a byte is written
    tmp.write_text(json.dumps(data, indent=2), encoding="utf-8")
    tmp.replace(path)


def load(instance_path: str, overrides: dict[str, Any] | None = None) -> dict[str, Any]:
    """Build the configuration from defaults, environment and overrides, then validate it."""
    env = os.environ
    cfg: dict[str, Any] = dict(DEFAULTS)
    for key, default in DEFAULTS.items():
        if f"PASSNUM_{key}" in env:
            cfg[key] = _typed(key, default, env[f"PASSNUM_{key}"])
    cfg["SQLALCHEMY_DATABASE_URI"] = database_url(env.get("DATABASE_URL"), instance_path)
    if env.get("REDIS_URL"):
        cfg["RATELIMIT_STORAGE_URI"] = env["REDIS_URL"]
    cfg.update(overrides or {})
    if "SQLALCHEMY_DATABASE_URI" in (overrides or {}):
        cfg["SQLALCHEMY_DATABASE_URI"] = database_url(
            cfg["SQLALCHEMY_DATABASE_URI"], instance_path
        )
    _load_secrets(cfg, instance_path)
    if cfg["AUDIT_ANCHOR_PATH"] is None:
        cfg["AUDIT_ANCHOR_PATH"] = str(Path(instance_path) / "audit-anchor.log")
    if not cfg["MAIL_DIR"]:
        cfg["MAIL_DIR"] = str(Path(instance_path) / "mail")
    validate(cfg)
    cfg.setdefault("PERMANENT_SESSION_LIFETIME",
                   timedelta(minutes=int(cfg["SESSION_IDLE_MINUTES"])))
    # cookies travel over HTTPS only when the application is served over HTTPS
    cfg.setdefault("SESSION_COOKIE_SECURE", cfg["BASE_URL"].startswith("https://"))
    return cfg


def _typed(key: str, default: Any, raw: str) -> Any:
    """An environment value converted to its default's type (numbers and booleans)."""
    if isinstance(default, tuple):
        return tuple(part.strip() for part in raw.split(",") if part.strip())
    if isinstance(default, bool):
        return raw.strip().lower() in ("1", "true", "yes", "on")
    if isinstance(default, int):
        try:
            return int(raw)
        except ValueError as err:
            raise ConfigError(f"PASSNUM_{key} doit être un nombre entier.") from err
    return raw


def _load_secrets(cfg: dict[str, Any], instance_path: str) -> None:
    env = os.environ
    names = ("SECRET_KEY", "VOUCHER_KEYS", "AUDIT_KEYS")
    if all(cfg.get(name) for name in names):
        return
    stored: dict[str, Any] = {}
    if not all(env.get(f"PASSNUM_{name}") for name in names):
        stored = with_audit_key(instance_path, instance_secrets(instance_path))
    cfg.setdefault("SECRET_KEY", env.get("PASSNUM_SECRET_KEY") or stored["SECRET_KEY"])
    for name in ("VOUCHER_KEYS", "AUDIT_KEYS"):  # oldest first, the last one signs
        keys = env.get(f"PASSNUM_{name}")
        cfg.setdefault(name, [k for k in keys.split(",") if k] if keys else stored[name])


def validate(cfg: dict[str, Any]) -> None:
    """Refuse to start with settings that would break vouchers or security."""
    base = urlsplit(str(cfg["BASE_URL"]))
    if base.scheme not in ("http", "https") or not base.netloc:
        raise ConfigError("PASSNUM_BASE_URL doit être une URL http(s) complète.")
    cfg["BASE_URL"] = str(cfg["BASE_URL"]).rstrip("/")
    if len(str(cfg["SECRET_KEY"])) < 16:
        raise ConfigError("La clé secrète doit compter au moins 16 caractères.")
    if not cfg["VOUCHER_KEYS"] or any(len(k) < 16 for k in cfg["VOUCHER_KEYS"]):
        raise ConfigError("Les clés de signature des chèques doivent compter 16 caractères.")
    if not cfg["AUDIT_KEYS"] or any(len(k) < 16 for k in cfg["AUDIT_KEYS"]):
        raise ConfigError("Les clés du journal d'audit doivent compter 16 caractères.")
    try:
        cfg["AUDIT_ANCHOR_SECONDS"] = float(cfg["AUDIT_ANCHOR_SECONDS"])
    except ValueError as err:
        raise ConfigError("PASSNUM_AUDIT_ANCHOR_SECONDS doit être un nombre.") from err
    cfg["API_TOKEN_HOURS"] = int(cfg["API_TOKEN_HOURS"])
    try:
        ttl_hours = int(cfg["IDEMPOTENCY_TTL_HOURS"])
    except (TypeError, ValueError):
        ttl_hours = 0
    if ttl_hours < 1:
        raise ConfigError("PASSNUM_IDEMPOTENCY_TTL_HOURS doit être un nombre d'heures (1 ou plus).")
    cfg["IDEMPOTENCY_TTL_HOURS"] = ttl_hours
    try:
        parse_networks(cfg["TRUSTED_PROXIES"])
    except ProxyConfigError as err:
        raise ConfigError(f"PASSNUM_TRUSTED_PROXIES : « {err} » n'est ni une adresse IP ni "
                          "un réseau (127.0.0.1, 10.0.0.0/8, ::1…).") from err
    for key in ("ISSUER_NAME", "ISSUER_ADDRESS"):
        value = " ".join(str(cfg[key]).split())
        if not value or len(value) > ISSUER_MAX or not value.isprintable():
            raise ConfigError(f"PASSNUM_{key} doit être un texte d'une ligne, non vide, de "
                              f"{ISSUER_MAX} caractères au plus.")
        cfg[key] = value
    for key in RATE_LIMITS:
        try:
            parse_many(str(cfg[key]))
        except ValueError as err:
            raise ConfigError(f"PASSNUM_{key} : limite illisible (exemple : "
                              "« 60 per minute;1000 per day »).") from err
    cfg["SESSION_COOKIE_SECURE"] = base.scheme == "https"
    validate_messages(cfg, base.hostname or "localhost")
    validate_map(cfg)


def validate_messages(cfg: dict[str, Any], host: str) -> None:
    """Refuse a mail or SMS configuration that could not send (passnum.messages)."""
    if cfg["SMTP_URL"]:
        smtp = urlsplit(str(cfg["SMTP_URL"]))
        try:
            smtp.port  # noqa: B018 (a port that is not a number raises here)
        except ValueError:
            smtp = smtp._replace(scheme="")
        if smtp.scheme not in ("smtp", "smtps") or not smtp.hostname:
            raise ConfigError("PASSNUM_SMTP_URL doit être de la forme "
                              "smtp://utilisateur:mot-de-passe@serveur:587 (STARTTLS) ou "
                              "smtps://utilisateur:mot-de-passe@serveur:465 (TLS).")
    try:
        cfg["SMTP_TIMEOUT_SECONDS"] = float(cfg["SMTP_TIMEOUT_SECONDS"])
    except ValueError as err:
        raise ConfigError("PASSNUM_SMTP_TIMEOUT_SECONDS doit être un nombre.") from err
    sender = str(cfg["MAIL_FROM"]) or f"no-reply@{host}"
    _name, address = parseaddr(sender)
    if "@" not in address or not sender.isprintable():
        raise ConfigError("PASSNUM_MAIL_FROM doit être une adresse e-mail "
                          "(« Pass numérique <no-reply@exemple.fr> »).")
    cfg["MAIL_FROM"] = sender
    provider = str(cfg["SMS_PROVIDER"]).strip().lower()
    cfg["SMS_PROVIDER"] = provider
    if not provider:
        return
    if provider not in SMS_PROVIDERS:
        raise ConfigError(f"PASSNUM_SMS_PROVIDER : fournisseur inconnu (connus : "
                          f"{', '.join(SMS_PROVIDERS)}).")
    if not cfg["SMS_API_KEY"]:
        raise ConfigError("PASSNUM_SMS_API_KEY est nécessaire pour envoyer des SMS.")
    sender_id = str(cfg["SMS_SENDER"])
    if not (sender_id.isascii() and sender_id.isalnum() and len(sender_id) <= SMS_SENDER_MAX):
        raise ConfigError("PASSNUM_SMS_SENDER : 11 lettres ou chiffres au plus, sans espace.")
    api = urlsplit(str(cfg["SMS_API_URL"]))
    if api.scheme not in ("http", "https") or not api.netloc:
        raise ConfigError("PASSNUM_SMS_API_URL doit être une URL http(s) complète.")
    cfg["SMS_API_URL"] = str(cfg["SMS_API_URL"]).rstrip("/")


def validate_map(cfg: dict[str, Any]) -> None:
    """Check the map's tile URL and attribution, and set ``MAP_TILE_ORIGIN``: the
    Content-Security-Policy source that admits the tiles ("" for none or this site's
    own; ``https://*.tile.example.org`` when the host starts with ``{s}``)."""
    url = str(cfg["MAP_TILE_URL"]).strip()
    cfg["MAP_TILE_URL"], cfg["MAP_TILE_ORIGIN"] = url, ""
    if not url:
        return
    example = "https://tile.openstreetmap.org/{z}/{x}/{y}.png"
    if any(part not in url for part in ("{z}", "{x}", "{y}")) or not url.isprintable() \
            or " " in url:
        raise ConfigError(f"PASSNUM_MAP_TILE_URL doit contenir {{z}}, {{x}} et {{y}} "
                          f"(exemple : {example}).")
    if not url.startswith("/"):
        cfg["MAP_TILE_ORIGIN"] = _tile_origin(url, example)
    text = " ".join(str(cfg["MAP_ATTRIBUTION"]).split())
    if not text or len(text) > ATTRIBUTION_MAX or not text.isprintable():
        raise ConfigError("PASSNUM_MAP_ATTRIBUTION doit être un texte d'une ligne, non vide, "
                          f"de {ATTRIBUTION_MAX} caractères au plus : la licence des tuiles "
                          "demande de citer leur source.")
    cfg["MAP_ATTRIBUTION"] = text
    link = urlsplit(str(cfg["MAP_ATTRIBUTION_URL"]).strip())
    if link.geturl() and (link.scheme not in ("http", "https") or not link.netloc):
        raise ConfigError("PASSNUM_MAP_ATTRIBUTION_URL doit être une URL http(s) complète, "
                          "ou vide.")
    cfg["MAP_ATTRIBUTION_URL"] = link.geturl()


def _tile_origin(url: str, example: str) -> str:
    """The CSP source of an absolute tile URL; ``{s}`` may stand for the host's first
    label only."""
    parts = urlsplit(url.replace("{s}", "s-placeholder"))
    host = parts.hostname or ""
    labels = host.split(".")
    if (parts.scheme not in ("http", "https") or not host or parts.username
            or "s-placeholder" in ".".join(labels[1:]) or "{" in host):
        raise ConfigError(f"PASSNUM_MAP_TILE_URL doit être une URL http(s) complète (exemple : "
                          f"{example}) ou un chemin de ce site (/tuiles/{{z}}/{{x}}/{{y}}.png) ; "
                          "{s} ne peut remplacer que le début du nom du serveur.")
    if labels[0] == "s-placeholder":
        host = "*." + ".".join(labels[1:])
    elif "s-placeholder" in labels[0]:
        host = "*." + ".".join(labels[1:])  # a{s}.tiles.example.org: any first label
    port = f":{parts.port}" if parts.port else ""
    return f"{parts.scheme}://{host}{port}"
