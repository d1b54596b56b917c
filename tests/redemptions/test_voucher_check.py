"""The back office's voucher check (/verifier) lives in the redemptions domain."""

from flask import Flask


def test_the_voucher_check_lives_in_the_redemptions_domain(app: Flask) -> None:
    rule = next(r for r in app.url_map.iter_rules() if r.rule == "/verifier")
    assert rule.endpoint == "redemptions.check_voucher"
    assert rule.methods is not None and {"GET", "POST"} <= rule.methods
    view = app.view_functions[rule.endpoint]
    assert view.__module__ == "passnum.redemptions.views"
