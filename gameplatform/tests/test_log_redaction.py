"""One redaction rule for every line the process writes, whoever logs it: no token, ticket,
refresh token or password value reaches the output, in the message, its arguments, the
exception text or the extra fields."""

import io
import logging
import logging.config

import pytest
from django.conf import settings
from django.test import RequestFactory

from gameplatform.core.logs import BackgroundStreamHandler, JsonFormatter, RedactSecretsFilter, redact

JWT = "eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9.eyJ1c2VyX2lkIjo0Mn0.c2lnbmF0dXJlLW9mLXRoZS10b2tlbg"
TICKET = "OHwxXjiUG487Z3KoThN67YIYu8SuB-degzCkNgzdB3I"
PASSWORD = "correct-horse-battery"  # a name here: a stack or a traceback prints source lines


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        (
            f'127.0.0.1:5 - "WebSocket /ws/notifications/?token={JWT}" 403',
            '127.0.0.1:5 - "WebSocket /ws/notifications/?token=[redacted]" 403',
        ),
        (f"/ws/lobbies/1/?ticket={TICKET}&v=2", "/ws/lobbies/1/?ticket=[redacted]&v=2"),
        (f"/ws/?Token={TICKET}", "/ws/?Token=[redacted]"),
        (f"/ws/?tok%65n={TICKET}", "/ws/?tok%65n=[redacted]"),  # a name percent-encoded
        (f"next=/ws/%3Fticket%3D{TICKET}", "next=/ws/?ticket=[redacted]"),  # a URL in a parameter
        (
            "username=a&password=hunter2&password_confirm=hunter2",
            "username=a&password=[redacted]&password_confirm=[redacted]",
        ),
        (
            '{"username": "a", "password": "hun\\"ter2", "refresh": "r.e.f"}',
            '{"username": "a", "password": "[redacted]", "refresh": "[redacted]"}',
        ),
        ("{'access': 'abc', 'n': 2}", "{'access': '[redacted]', 'n': 2}"),
        # A guest's device id logs in whoever knows it.
        ('{"device_id": "d3v1ce-1d-0f-a-gu3st"}', '{"device_id": "[redacted]"}'),
        ("device_id=d3v1ce-1d-0f-a-gu3st&x=1", "device_id=[redacted]&x=1"),
        ('body={\\"new_password\\": \\"pw\\"}', 'body={\\"new_password\\": \\"[redacted]\\"}'),
        ("Authorization: Bearer abc.def.ghi", "Authorization: Bearer [redacted]"),
        (f"decoded {JWT} anywhere", "decoded [redacted] anywhere"),
        ("csrftoken=x; sessionid=y; theme=dark", "csrftoken=[redacted]; sessionid=[redacted]; theme=dark"),
        # An OAuth callback's code and state, an OpenID 2.0 assertion's signature: by whole name.
        (
            "/api/auth/providers/google/callback/?state=S7aQ&code=4/0AeaY-hB&scope=email",
            "/api/auth/providers/google/callback/?state=[redacted]&code=[redacted]&scope=email",
        ),
        (
            "openid.mode=id_res&openid.sig=c2ln%2B64%3D&openid.claimed_id=https%3A%2F%2Fsteam%2Fid%2F7656",
            "openid.mode=id_res&openid.sig=[redacted]&openid.claimed_id=https%3A%2F%2Fsteam%2Fid%2F7656",
        ),
        ("openid.return_to=http%3A%2F%2Fh%2Fcb%2F%3Fstate%3DS7aQ", "openid.return_to=http://h/cb/?state=[redacted]"),
        ("country_code=fr&error_code=E1&statement=x", "country_code=fr&error_code=E1&statement=x"),
        ('{"detail": "No.", "code": "invalid_token"}', '{"detail": "No.", "code": "invalid_token"}'),
        ("GET /api/lobbies/12/messages/ 200", "GET /api/lobbies/12/messages/ 200"),
        ("a=1, b=2", "a=1, b=2"),
    ],
)
def test_redact_keeps_no_secret_value(text, expected):
    assert redact(text) == expected


@pytest.fixture(params=["json", "plain"])
def console(request):
    """The process's own console handler (from settings.LOGGING), writing to a buffer, with the
    formatter of production (JSON) or of DEBUG (plain)."""
    import gameplatform.asgi  # noqa: F401 - its django.setup() configures logging again: before we look

    # As a server process starts: the project's configuration, whatever earlier tests of this
    # process left on the loggers (an in-process uvicorn gives "uvicorn" its own stderr handler).
    logging.config.dictConfig(settings.LOGGING)
    (handler,) = [h for h in logging.getLogger().handlers if isinstance(h, BackgroundStreamHandler)]
    stream, formatter = handler.stream, handler.formatter
    handler.stream = io.StringIO()
    if request.param == "plain":
        handler.setFormatter(logging.Formatter(settings.LOGGING["formatters"]["plain"]["format"]))
    try:
        yield handler
    finally:
        handler.flush()
        handler.stream = stream
        handler.setFormatter(formatter)


def written(handler) -> str:
    handler.flush()
    return handler.stream.getvalue()


def test_every_logger_written_by_the_console_is_redacted(console):
    request = RequestFactory().get(f"/api/me/?token={JWT}&ticket={TICKET}")
    # uvicorn's line for a refused handshake, its arguments formatted by logging.
    logging.getLogger("uvicorn.error").warning('%s - "WebSocket %s" 403', "127.0.0.1:5", f"/ws/x/?token={JWT}")
    logging.getLogger("daphne.server").warning("rejected %s", f"/ws/x/?ticket={TICKET}")
    # django.request writes only its 5xx errors (a 4xx is the access line alone): with the request.
    logging.getLogger("django.request").error("Internal Server Error: %s", "/api/me/", extra={"request": request})
    logging.getLogger("gameplatform.tests.body").warning(
        "refused body",
        extra={"body": {"password": PASSWORD, "inner": [f"refresh={TICKET}"]}, "query": f"ticket={TICKET}"},
    )
    try:
        raise ValueError(f"bad /ws/?ticket={TICKET} in {{'refresh': '{TICKET}'}} and {JWT}")
    except ValueError:
        logging.getLogger("gameplatform.tests.exc").exception("failed with token=%s", TICKET)
    logging.getLogger("gameplatform.tests.stack").warning("here password=%s", PASSWORD, stack_info=True)
    text = written(console)
    assert text.count("\n") >= 6, text
    for secret in (JWT, TICKET, PASSWORD):
        assert secret not in text
    assert "[redacted]" in text and "ValueError" in text


def test_arguments_that_do_not_fit_the_message_are_still_redacted(console):
    logging.getLogger("gameplatform.tests.bad").warning("one %s", "ticket=" + TICKET, "two")
    text = written(console)
    assert TICKET not in text and "ticket=[redacted]" in text


def test_the_json_formatter_redacts_a_record_no_filter_saw():
    record = logging.makeLogRecord({"msg": "open %s", "args": (f"/ws/?token={JWT}",), "level": logging.INFO})
    assert JWT not in JsonFormatter().format(record)


def handlers_reached(name: str) -> list[logging.Handler]:
    """The handlers a record of logger ``name`` reaches (as ``Logger.callHandlers`` walks),
    but pytest's own (caplog)."""
    found, logger = [], logging.getLogger(name)
    while logger is not None:
        found += [h for h in logger.handlers if not type(h).__module__.startswith("_pytest")]
        logger = logger.parent if logger.propagate else None
    return found


@pytest.mark.parametrize(
    "name",
    [
        "django.request",
        "django.security.csrf",
        "django.security.DisallowedHost",
        "django.template",
        "django.db.backends",
        "uvicorn.error",
        "uvicorn.access",
        "daphne.server",
        "daphne.ws_protocol",
        "gameplatform.sockets.consumers",
        "chat.services",
    ],
)
def test_every_handler_a_logger_reaches_redacts(name):
    """No second handler of Django's own (its DEBUG console copy, mail to ADMINS) or the servers'."""
    import gameplatform.asgi  # noqa: F401

    # As a server process starts: the project's configuration, whatever earlier tests of this
    # process left on the loggers.
    logging.config.dictConfig(settings.LOGGING)

    for handler in handlers_reached(name):
        redacts = any(isinstance(f, RedactSecretsFilter) for f in handler.filters)
        assert redacts or isinstance(handler, logging.NullHandler), (name, handler)
