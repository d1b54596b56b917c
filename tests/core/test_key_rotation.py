"""``keys rotate`` end to end: printed vouchers keep checking, new ones use the new key."""

import pytest

from passnum.config import instance_secrets, write_instance_secrets
from passnum.core.signing import sign_serial, unsign_token, voucher_url
from passnum.redemptions.services import check
from tests.conftest import make_app
from tests.factories import World, issue, make_beneficiary

FIRST_KEY = "first-voucher-key-0123456789abcdef"


def test_vouchers_printed_before_a_rotation_still_check(tmp_path, request, monkeypatch):
    monkeypatch.delenv("PASSNUM_VOUCHER_KEYS", raising=False)
    instance = tmp_path / "instance"
    write_instance_secrets(str(instance), {"SECRET_KEY": "s" * 40, "VOUCHER_KEYS": [FIRST_KEY]})
    app = make_app("sqlite", tmp_path, request, VOUCHER_KEYS=[FIRST_KEY])
    app.instance_path = str(instance)
    with app.app_context():
        world = World()
        printed = issue(world.issuer78, make_beneficiary(world.issuer78))
        old_url = voucher_url(sign_serial(printed.vouchers[0].serial))

        result = app.test_cli_runner().invoke(args=["keys", "rotate"])
        assert result.exit_code == 0, result.output
        keys = instance_secrets(str(instance))["VOUCHER_KEYS"]
        assert keys[0] == FIRST_KEY and len(keys) == 2
        app.config["VOUCHER_KEYS"] = keys  # what a restart loads

        verdict = check(old_url, actor_id=None, channel="test")
        assert verdict.reason is None and verdict.voucher.serial == printed.vouchers[0].serial
        fresh = issue(world.issuer92, make_beneficiary(world.issuer92))
        token = sign_serial(fresh.vouchers[0].serial)
        assert unsign_token(token, [keys[1]]) == fresh.vouchers[0].serial
        with pytest.raises(ValueError):
            unsign_token(token, [FIRST_KEY])  # signed with the new key, not the old
        assert check(voucher_url(token), actor_id=None, channel="test").reason is None
