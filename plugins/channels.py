"""The built-in notification channels: email, webhook, telegram and slack.

They register through the ``register_notification_channels`` hook like any
third-party channel.  Every HTTP channel sends the delivery's idempotency
key as the ``Idempotency-Key`` header; email sends it in ``Message-ID``.
Base URLs are parameters, so tests (and self-hosted gateways) can point a
channel at a server of their own.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import smtplib
import ssl
import time
import urllib.error
import urllib.parse
import urllib.request
from email.message import EmailMessage
from email.utils import formatdate

from plantao.plugin_api import DeliveryError, Message, NotificationChannel, Variable, hookimpl, SendAttempt

USER_AGENT = "Plantao-Notifier/1"
SIGNATURE_HEADER = "X-Plantao-Signature"

_LANGUAGE = {"enum": ["pt-BR", "en"]}

SMTP_SECURITY = ("starttls", "tls", "none")


def sign(secret: str, timestamp: int, body: bytes) -> str:
    """The ``X-Plantao-Signature`` value: HMAC-SHA256 over ``"<timestamp>.<body>"``."""
    digest = hmac.new(secret.encode("utf-8"), f"{timestamp}.".encode() + body, hashlib.sha256).hexdigest()
    return f"t={timestamp},v1={digest}"


def verify(secret: str, header: str, body: bytes, tolerance: int = 300, now: float | None = None) -> bool:
    """What a receiver does: check the signature and that the timestamp is recent."""
    try:
        parts = dict(item.split("=", 1) for item in header.split(","))
        timestamp = int(parts["t"])
    except (ValueError, KeyError):
        return False
    if abs((now if now is not None else time.time()) - timestamp) > tolerance:
        return False
    return hmac.compare_digest(sign(secret, timestamp, body), f"t={timestamp},v1={parts.get('v1', '')}")


def post_json(url: str, payload: dict, delivery: SendAttempt, headers: dict | None = None,
              body: bytes | None = None) -> bytes:
    """POST JSON; a 4xx other than 408/429 is permanent, everything else is retried."""
    data = body if body is not None else json.dumps(payload, ensure_ascii=False).encode("utf-8")
    request = urllib.request.Request(
        url,
        data=data,
        method="POST",
        headers={
            "Content-Type": "application/json; charset=utf-8",
            "User-Agent": USER_AGENT,
            "Idempotency-Key": delivery.idempotency_key,
            **(headers or {}),
        },
    )
    try:
        with urllib.request.urlopen(request, timeout=delivery.timeout) as response:
            return response.read()
    except urllib.error.HTTPError as error:
        detail = error.read()[:200].decode("utf-8", "replace")
        permanent = 400 <= error.code < 500 and error.code not in (408, 425, 429)
        raise DeliveryError(f"HTTP {error.code} from {_host(url)}: {detail}", permanent=permanent) from None
    except (urllib.error.URLError, OSError) as error:
        reason = getattr(error, "reason", error)
        raise DeliveryError(f"cannot reach {_host(url)}: {reason}") from None


def _host(url: str) -> str:
    return urllib.parse.urlsplit(url).netloc


class EmailChannel(NotificationChannel):
    """Email over SMTP, with plain text and HTML parts."""

    name = "email"
    title = {"pt-BR": "E-mail", "en": "Email"}
    description = {
        "pt-BR": "E-mail por SMTP (STARTTLS ou TLS), para o e-mail de cada pessoa e, se configurado, "
        "para um endereço da equipe. Desligado até a equipe ativá-lo; parâmetros deixados em branco "
        "vêm das variáveis SMTP_* do servidor.",
        "en": "Email over SMTP (STARTTLS or TLS) to each person's address and, if set, a team "
        "address. Off until the team enables it; parameters left blank come from the server's "
        "SMTP_* variables.",
    }
    params_schema = {
        "type": "object",
        "additionalProperties": False,
        "properties": {
            "host": {"type": "string", "minLength": 1, "title": "SMTP host"},
            "port": {"type": "integer", "minimum": 1, "maximum": 65535, "title": "SMTP port"},
            "security": {"enum": ["starttls", "tls", "none"], "title": "Security"},
            "user": {"type": "string", "title": "User"},
            "password": {"type": "string", "title": "Password"},
            "from": {"type": "string", "pattern": "@", "title": "Sender address"},
            "team_address": {"type": "string", "pattern": "^[^@\\s]+@[^@\\s]+$", "title": "Team address"},
        },
    }
    secret_params = ("password",)

    variables = (
        Variable("SMTP_HOST", "default SMTP server of the email channel, which is off until a team enables it (teams may set their own)"),
        Variable("SMTP_PORT", "SMTP port", "587", {"type": "integer", "minimum": 1, "maximum": 65535}),
        Variable("SMTP_SECURITY", "starttls, tls (implicit TLS, port 465) or none", "starttls",
                 {"enum": list(SMTP_SECURITY)}),
        Variable("SMTP_USER", "SMTP user; empty sends without logging in"),
        Variable("SMTP_PASSWORD", "SMTP password", secret=True),
        Variable("SMTP_FROM", "sender address of notification emails", "plantao@localhost"),
    )

    def defaults(self, settings) -> dict:
        # Defaults only: the channel sends for a team once the team enables it.
        smtp = {variable.name: variable.parse(None) for variable in self.variables}
        smtp.update(settings.plugin_variables)
        if not smtp["SMTP_HOST"]:
            return {}
        return {
            "host": smtp["SMTP_HOST"],
            "port": smtp["SMTP_PORT"],
            "security": smtp["SMTP_SECURITY"],
            "user": smtp["SMTP_USER"] or "",
            "password": smtp["SMTP_PASSWORD"] or "",
            "from": smtp["SMTP_FROM"],
        }

    def available(self, params: dict) -> bool:
        return bool(params.get("host"))

    def person_destination(self, person, params):
        return {"to": person.email} if person.email else None

    def team_destination(self, params):
        return {"to": params["team_address"]} if params.get("team_address") else None

    def send(self, message: Message, destination: dict, params: dict, delivery: SendAttempt) -> None:
        email = EmailMessage()
        email["Subject"] = message.subject
        email["From"] = params.get("from") or "plantao@localhost"
        email["To"] = destination["to"]
        email["Date"] = formatdate(localtime=False)
        domain = (params.get("from") or "plantao@localhost").rpartition("@")[2] or "localhost"
        email["Message-ID"] = f"<{delivery.idempotency_key}@{domain}>"
        email["Content-Language"] = message.language
        email.set_content(message.text)
        email.add_alternative(message.html, subtype="html")
        security = params.get("security", "starttls")
        host, port = params["host"], int(params.get("port") or (465 if security == "tls" else 587))
        try:
            if security == "tls":
                client = smtplib.SMTP_SSL(host, port, timeout=delivery.timeout,
                                          context=ssl.create_default_context())
            else:
                client = smtplib.SMTP(host, port, timeout=delivery.timeout)
            with client:
                if security == "starttls":
                    client.starttls(context=ssl.create_default_context())
                if params.get("user"):
                    client.login(params["user"], params.get("password") or "")
                client.send_message(email)
        except smtplib.SMTPRecipientsRefused as error:
            raise DeliveryError(f"recipient refused: {error.recipients}", permanent=True) from None
        except smtplib.SMTPAuthenticationError as error:
            raise DeliveryError(f"SMTP authentication failed: {error.smtp_code}") from None
        except smtplib.SMTPResponseException as error:
            permanent = 500 <= error.smtp_code < 600
            raise DeliveryError(f"SMTP {error.smtp_code}: {error.smtp_error!r}", permanent=permanent) from None
        except (smtplib.SMTPException, OSError) as error:
            raise DeliveryError(f"SMTP {host}:{port}: {error}") from None


class WebhookChannel(NotificationChannel):
    """A JSON POST to the team's URL, signed with HMAC-SHA256."""

    name = "webhook"
    title = {"pt-BR": "Webhook", "en": "Webhook"}
    description = {
        "pt-BR": "POST JSON assinado (cabeçalho X-Plantao-Signature: t=<unix>,v1=<HMAC-SHA256 de "
        "\"<t>.<corpo>\">) para a URL da equipe.",
        "en": "Signed JSON POST (header X-Plantao-Signature: t=<unix>,v1=<HMAC-SHA256 of "
        "\"<t>.<body>\">) to the team's URL.",
    }
    params_schema = {
        "type": "object",
        "additionalProperties": False,
        "required": ["url", "secret"],
        "properties": {
            "url": {"type": "string", "pattern": "^https?://", "title": "URL"},
            "secret": {"type": "string", "minLength": 16, "title": "Signing secret"},
        },
    }
    secret_params = ("secret",)

    def available(self, params):
        return bool(params.get("url") and params.get("secret"))

    def team_destination(self, params):
        return {"url": params["url"]}

    def send(self, message, destination, params, delivery):
        body = json.dumps(
            {
                "id": delivery.idempotency_key,
                "event": message.kind,
                "language": message.language,
                "subject": message.subject,
                "text": message.text,
                "data": message.data,
            },
            ensure_ascii=False,
            sort_keys=True,
        ).encode("utf-8")
        timestamp = int(time.time())
        post_json(
            destination["url"],
            {},
            delivery,
            headers={SIGNATURE_HEADER: sign(params["secret"], timestamp, body), "X-Plantao-Event": message.kind},
            body=body,
        )


class TelegramChannel(NotificationChannel):
    """The Telegram Bot API's sendMessage, to a person's chat or the team's group."""

    name = "telegram"
    title = {"pt-BR": "Telegram", "en": "Telegram"}
    description = {
        "pt-BR": "Mensagens por um bot do Telegram: para o telegram_chat_id de cada pessoa e, se "
        "configurado, para o grupo da equipe.",
        "en": "Messages from a Telegram bot: to each person's telegram_chat_id and, if set, the team's group.",
    }
    params_schema = {
        "type": "object",
        "additionalProperties": False,
        "required": ["bot_token"],
        "properties": {
            "bot_token": {"type": "string", "minLength": 10, "title": "Bot token"},
            "chat_id": {"type": "string", "pattern": "^-?[0-9A-Za-z_@]+$", "title": "Team group chat id"},
            "api_base": {"type": "string", "pattern": "^https?://", "default": "https://api.telegram.org",
                         "title": "API base URL"},
        },
    }
    secret_params = ("bot_token",)

    def available(self, params):
        return bool(params.get("bot_token"))

    def person_destination(self, person, params):
        return {"chat_id": person.telegram_chat_id} if person.telegram_chat_id else None

    def team_destination(self, params):
        return {"chat_id": params["chat_id"]} if params.get("chat_id") else None

    def send(self, message, destination, params, delivery):
        base = (params.get("api_base") or "https://api.telegram.org").rstrip("/")
        answer = post_json(
            f"{base}/bot{params['bot_token']}/sendMessage",
            {"chat_id": destination["chat_id"], "text": message.text, "disable_web_page_preview": True},
            delivery,
        )
        try:
            ok = json.loads(answer).get("ok", True)
        except ValueError:
            ok = True
        if not ok:
            raise DeliveryError(f"Telegram refused the message: {answer[:200]!r}", permanent=True)


class SlackChannel(NotificationChannel):
    """A Slack incoming webhook: one Slack channel per webhook, so team messages."""

    name = "slack"
    title = {"pt-BR": "Slack", "en": "Slack"}
    description = {
        "pt-BR": "Um incoming webhook do Slack (um canal do Slack por webhook): mensagens da equipe.",
        "en": "A Slack incoming webhook (one Slack channel per webhook): team messages.",
    }
    params_schema = {
        "type": "object",
        "additionalProperties": False,
        "required": ["webhook_url"],
        "properties": {
            "webhook_url": {"type": "string", "pattern": "^https?://", "title": "Incoming webhook URL"},
        },
    }
    secret_params = ("webhook_url",)

    def available(self, params):
        return bool(params.get("webhook_url"))

    def team_destination(self, params):
        return {"webhook": True}

    def send(self, message, destination, params, delivery):
        post_json(params["webhook_url"], {"text": message.text}, delivery)


@hookimpl
def register_notification_channels() -> list[NotificationChannel]:
    """The built-in notification channels."""
    return [EmailChannel(), WebhookChannel(), TelegramChannel(), SlackChannel()]
