"""Mail and SMS settings are checked at start: a setting that could not send stops it."""

from __future__ import annotations

import pytest

from passnum.config import ConfigError
from tests.conftest import make_app


@pytest.mark.parametrize(("settings", "named"), [
    ({"SMTP_URL": "mail.example.org"}, "PASSNUM_SMTP_URL"),
    ({"SMTP_URL": "http://mail.example.org"}, "PASSNUM_SMTP_URL"),
    ({"SMTP_URL": "smtp://"}, "PASSNUM_SMTP_URL"),
    ({"SMTP_URL": "smtp://mail.example.org:port"}, "PASSNUM_SMTP_URL"),
    ({"MAIL_FROM": "pas une adresse"}, "PASSNUM_MAIL_FROM"),
    ({"SMTP_TIMEOUT_SECONDS": "vite"}, "PASSNUM_SMTP_TIMEOUT_SECONDS"),
    ({"SMS_PROVIDER": "pigeon"}, "PASSNUM_SMS_PROVIDER"),
    ({"SMS_PROVIDER": "brevo", "SMS_SENDER": "PassNum"}, "PASSNUM_SMS_API_KEY"),
    ({"SMS_PROVIDER": "brevo", "SMS_API_KEY": "k", "SMS_SENDER": "Pass numérique"},
     "PASSNUM_SMS_SENDER"),
    ({"SMS_PROVIDER": "brevo", "SMS_API_KEY": "k", "SMS_SENDER": "PassNum",
      "SMS_API_URL": "api.brevo.com"}, "PASSNUM_SMS_API_URL"),
])
def test_an_unusable_setting_stops_the_start(tmp_path, request, settings, named):
    with pytest.raises(ConfigError, match=named):
        make_app("sqlite", tmp_path, request, **settings)


def test_good_settings_and_their_defaults(tmp_path, request):
    app = make_app("sqlite", tmp_path, request)
    assert app.config["MAIL_FROM"] == "no-reply@passnum.test"  # the host of BASE_URL
    assert app.config["MAIL_DIR"].endswith("/mail")
    assert app.config["SMS_PROVIDER"] == ""
    app = make_app("sqlite", tmp_path, request, SMTP_URL="smtps://u:p%40ss@mail.example.org",
                   MAIL_FROM="Pass numérique <no-reply@example.org>", SMS_PROVIDER="Brevo",
                   SMS_API_KEY="k", SMS_SENDER="PassNum", SMS_API_URL="https://x.test/v3/")
    assert app.config["SMS_PROVIDER"] == "brevo"
    assert app.config["SMS_API_URL"] == "https://x.test/v3"
