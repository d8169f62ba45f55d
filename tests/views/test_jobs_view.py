"""The Background jobs screen: who sees which rows."""

from __future__ import annotations

import pytest

from tests.factories import JobRunFactory


@pytest.fixture
def two_jobs(make_user):
    ann = make_user("Agent", username="ann")
    bob = make_user("Agent", username="bob")
    JobRunFactory(title="Export for Ann", requested_by_id=ann.id)
    JobRunFactory(title="Export for Bob", requested_by_id=bob.id)
    return ann, bob


@pytest.mark.parametrize("role", ["Admin", "Manager"])
def test_admins_and_managers_see_every_job(client, login, two_jobs, role):
    login(role)
    page = client.get("/jobrunmodelview/list/").get_data(as_text=True)
    assert "Export for Ann" in page and "Export for Bob" in page


def test_an_agent_sees_only_their_own_jobs(client, two_jobs):
    from tests.factories import PASSWORD

    client.post("/login/", data={"username": "ann", "password": PASSWORD})
    page = client.get("/jobrunmodelview/list/").get_data(as_text=True)
    assert "Export for Ann" in page
    assert "Export for Bob" not in page


def test_an_agent_cannot_open_another_users_job(client, two_jobs):
    from app.extensions import db
    from app.models import JobRun
    from tests.factories import PASSWORD

    bob_job = db.session.scalar(db.select(JobRun).filter_by(title="Export for Bob"))
    client.post("/login/", data={"username": "ann", "password": PASSWORD})
    response = client.get(f"/jobrunmodelview/show/{bob_job.id}")
    assert response.status_code == 404


def test_customers_cannot_open_the_jobs_screen(client, login, two_jobs):
    login("Customer")
    response = client.get("/jobrunmodelview/list/")
    assert response.status_code in (302, 403)
    assert "Export for" not in response.get_data(as_text=True)


def test_anonymous_visitors_are_sent_to_login(client):
    response = client.get("/jobrunmodelview/list/")
    assert response.status_code == 302
    assert "/login/" in response.headers["Location"]


def test_the_screen_is_read_only(client, login):
    from app.extensions import db
    from app.models import JobRun

    login("Admin")
    job = JobRunFactory()
    assert client.get("/jobrunmodelview/add").status_code in (403, 404)
    assert client.get(f"/jobrunmodelview/edit/{job.id}").status_code in (403, 404)
    deleted = client.post(f"/jobrunmodelview/delete/{job.id}")
    assert deleted.status_code in (403, 404, 405)
    assert db.session.get(JobRun, job.id) is not None
