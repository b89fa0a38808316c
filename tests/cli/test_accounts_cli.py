"""`python -m dashboard create-company | create-user | create-token | revoke-token`."""
from __future__ import annotations

import re

import pytest
from sqlalchemy import select

from dashboard import accounts
from dashboard.cli import main
from dashboard.context import Ctx, utcnow
from data.models import ApiToken


def test_users_and_tokens_from_the_command_line(cli):
    made = cli("create-company", "--name", "Acme Courses", "--support-email", "help@acme.test")
    assert made.returncode == 0, made.stderr
    company_id = re.search(r"\b(biz_\w+)", made.stdout).group(1)

    creator = cli("create-user", "--email", "Casey@Acme.test", "--name", "Casey", "--role", "creator",
                  "--company-id", company_id)
    assert creator.returncode == 0, creator.stderr
    assert "casey@acme.test" in creator.stdout and company_id in creator.stdout

    customer = cli("create-user", "--email", "cust@acme.test", "--name", "Cust", "--role", "customer",
                   "--password", "-", input="s3cret-pass\n")
    assert customer.returncode == 0, customer.stderr

    issued = cli("create-token", "--email", "casey@acme.test")
    assert issued.returncode == 0, issued.stderr
    token = issued.stdout.strip()
    assert re.fullmatch(r"rc_[\w-]{20,}", token), "stdout holds the token and nothing else"
    assert "only this once" in issued.stderr

    runtime = cli.runtime()
    with runtime.Session() as s:
        ctx = Ctx(s, utcnow(), runtime.settings)
        user = accounts.user_for_token(ctx, token)
        assert (user.email, user.role, user.company_id) == ("casey@acme.test", "creator", company_id)
        assert token not in set(s.scalars(select(ApiToken.token_hash)))  # stored hashed
        assert accounts.authenticate(ctx, "cust@acme.test", "s3cret-pass").role == "customer"

    revoked = cli("revoke-token", "--email", "casey@acme.test")
    assert revoked.returncode == 0 and "Revoked 1 token" in revoked.stdout
    with runtime.Session() as s:
        assert accounts.user_for_token(Ctx(s, utcnow(), runtime.settings), token) is None
    runtime.engine.dispose()


@pytest.mark.parametrize("args, message", [
    (["create-token", "--email", "nobody@acme.test"], "no user with email 'nobody@acme.test'"),
    (["revoke-token", "--email", "nobody@acme.test"], "no user with email"),
    (["create-user", "--email", "lost@acme.test", "--name", "Lost", "--role", "creator"], "company"),
    (["create-user", "--email", "not-an-email", "--name", "X", "--role", "customer"], "valid email"),
    (["create-user", "--email", "c@acme.test", "--name", "C", "--role", "customer", "--company-id", "biz_x"],
     "Only creators"),
    (["create-company", "--name", "   "], "company name is required"),
])
def test_bad_input_exits_1_with_a_message(cli_env, capsys, args, message):
    assert main(args) == 1
    err = capsys.readouterr().err
    assert err.startswith("error: ") and message in err


def test_a_duplicate_email_is_refused(cli_env, capsys):
    args = ["create-user", "--email", "dup@acme.test", "--name", "Dup", "--role", "reviewer"]
    assert main(args) == 0
    assert main(args) == 1
    assert "already exists" in capsys.readouterr().err


@pytest.mark.parametrize("args", [
    ["create-user", "--email", "x@acme.test", "--name", "X", "--role", "admin"],  # not a role
    ["create-token"],                                                              # --email missing
    ["jobs", "--as-of", "next tuesday"],
    ["frobnicate"],
    [],
])
def test_usage_errors_exit_2(cli_env, capsys, args):
    with pytest.raises(SystemExit) as exc:
        main(args)
    assert exc.value.code == 2
    assert "usage:" in capsys.readouterr().err
