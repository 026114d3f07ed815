"""Staff accounts and log-in of the office's dashboard: set-password links, the lock after
five wrong passwords, CSRF, log-out, the redirect of logged-out visitors."""

from __future__ import annotations

from datetime import timedelta

from bot.cli import main
from office.staff import add_staff
from storage.db import transaction
from tests.office.dashboard_helpers import PASSWORD, csrf_of, log_in, make_staff, web_client


def test_logged_out_visitors_are_sent_to_log_in(app):
    client = web_client(app)
    for path in ("/office/", "/office/cases", "/office/cases/YS-2026-000001", "/office/figures"):
        response = client.get(path, follow_redirects=False)
        assert response.status_code == 303, path
        assert response.headers["location"].startswith("/office/login?next=")
    login = client.get("/office/login")
    assert login.status_code == 200
    assert '<meta name="viewport"' in login.text and "登录代表工委工作台" in login.text
    assert login.headers["x-frame-options"] == "DENY"
    assert login.headers["referrer-policy"] == "no-referrer"  # the set-password token
    assert login.headers["cache-control"] == "no-store"


def test_logging_in_sets_a_signed_httponly_lax_cookie_and_logging_out_ends_it(app):
    make_staff(app, "王主任")
    client = web_client(app)
    response = log_in(client, "王主任")
    assert response.status_code == 303 and response.headers["location"] == "/office/"
    cookie = response.headers["set-cookie"].lower()
    assert "httponly" in cookie and "samesite=lax" in cookie and "path=/office" in cookie
    stolen = dict(client.cookies)
    board = client.get("/office/")
    assert board.status_code == 200 and "今日待办" in board.text
    out = client.post("/office/logout", data={"csrf": csrf_of(board.text)}, follow_redirects=False)
    assert out.status_code == 303 and out.headers["location"] == "/office/login"
    # The cookie from before the log-out no longer works, even replayed.
    replay = web_client(app)
    replay.cookies.update(stolen)
    assert replay.get("/office/", follow_redirects=False).status_code == 303


def test_a_form_without_its_csrf_token_is_refused(app):
    make_staff(app, "王主任")
    client = web_client(app)
    assert log_in(client, "王主任").status_code == 303
    refused = client.post("/office/logout", data={}, follow_redirects=False)
    assert refused.status_code == 403 and "CSRF" in refused.text and "已拒绝" in refused.text
    forged = client.post("/office/logout", data={"csrf": "forged"}, follow_redirects=False)
    assert forged.status_code == 403
    # The log-in form too: no token, no log-in (and no failure counted).
    fresh = web_client(app)
    response = fresh.post("/office/login", data={"name": "王主任", "password": PASSWORD})
    assert response.status_code == 403


def test_the_sixth_wrong_password_finds_the_account_locked_for_15_minutes(app, clock):
    make_staff(app, "王主任")
    client = web_client(app)
    for attempt in range(1, 6):
        response = log_in(client, "王主任", "wrong password")
        assert response.status_code == 401
        assert ("已锁定" in response.text) == (attempt == 5), attempt
    locked = log_in(client, "王主任")  # the right password, but locked
    assert locked.status_code == 401 and "账号已锁定" in locked.text
    clock.advance(timedelta(minutes=14))
    assert log_in(client, "王主任").status_code == 401
    clock.advance(timedelta(minutes=2))
    assert log_in(client, "王主任").status_code == 303


def test_set_password_links_work_once_and_expire(app, clock):
    with transaction(app.sessions) as session:
        token = add_staff(session, "李干事", "office", None, clock.now()).token
    client = web_client(app)
    page = client.get(f"/office/set-password?token={token}")
    assert page.status_code == 200 and "李干事" in page.text
    form = {"csrf": csrf_of(page.text), "token": token, "password": PASSWORD, "again": PASSWORD}
    done = client.post("/office/set-password", data=form, follow_redirects=False)
    assert done.status_code == 303 and done.headers["location"] == "/office/login"
    assert log_in(client, "李干事").status_code == 303
    # Used once: refused the second time.
    again = web_client(app)
    used = again.get(f"/office/set-password?token={token}")
    assert used.status_code == 400 and "已经使用过" in used.text
    assert again.get("/office/set-password?token=forged-token").status_code == 400
    with transaction(app.sessions) as session:
        late = add_staff(session, "赵干事", "office", None, clock.now()).token
    clock.advance(timedelta(days=4))
    expired = again.get(f"/office/set-password?token={late}")
    assert expired.status_code == 400 and "已过期" in expired.text
    csrf = csrf_of(again.get("/office/login").text)
    form = {"csrf": csrf, "token": late, "password": PASSWORD, "again": PASSWORD}
    assert again.post("/office/set-password", data=form).status_code == 400


def test_staff_add_prints_a_one_time_link(app, db_url, capsys):
    assert main(["staff", "add", "王主任", "--role", "office", "--db", db_url]) == 0
    out = capsys.readouterr().out
    assert "已创建账号“王主任”" in out and "/office/set-password?token=" in out
    assert main(["staff", "add", "王主任", "--role", "office", "--db", db_url]) == 1
    assert main(["staff", "add", "站长", "--role", "station-head", "--db", db_url]) == 1
    assert "需要指定存在的联络站" in capsys.readouterr().err
    code = main(["staff", "add", "站长", "--role", "station-head", "--station", "ST-DL",
                 "--db", db_url])  # fmt: skip
    assert code == 0
    assert main(["staff", "reset", "站长", "--db", db_url]) == 0
    assert "新设置密码链接" in capsys.readouterr().out


def test_after_log_in_only_a_dashboard_page_is_a_destination(app):
    make_staff(app, "王主任")
    for target, lands in (
        ("/office/cases?status=assigned", "/office/cases?status=assigned"),
        ("//evil.example/office/", "/office/"),
        ("https://evil.example/", "/office/"),
    ):
        client = web_client(app)
        page = client.get("/office/login")
        response = client.post(
            "/office/login",
            data={"csrf": csrf_of(page.text), "name": "王主任", "password": PASSWORD,
                  "next": target},
            follow_redirects=False,
        )  # fmt: skip
        assert response.headers["location"] == lands, target


def test_a_redirect_to_log_in_remembers_the_page(app):
    client = web_client(app)
    response = client.get("/office/cases?station=ST-DL", follow_redirects=False)
    assert response.headers["location"] == "/office/login?next=/office/cases%3Fstation%3DST-DL"
    assert (
        'name="next" value="/office/cases?station=ST-DL"'
        in client.get(response.headers["location"]).text
    )
