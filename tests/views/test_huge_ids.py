"""Ids no row can have answer 404 on every kind of route, never 500."""

from __future__ import annotations

import pytest

HUGE = "9" * 30


@pytest.mark.parametrize(
    "path",
    [
        f"/tickets/show/{HUGE}",
        f"/tasks/edit/{HUGE}",
        f"/api/v1/ticket/{HUGE}",
        f"/api/v1/message/{HUGE}",
        f"/api/v1/organization/{2**31}",
        f"/conversation/attachment/{HUGE}",
        f"/automation/rules/{HUGE}/edit",
        f"/slapolicies/show/{HUGE}",
    ],
)
def test_huge_ids_are_not_found(client, login, path):
    login("Admin")
    response = client.get(path)
    assert response.status_code == 404, response.get_data(as_text=True)[:300]
    if path.startswith("/api/"):
        assert response.json["message"]


def test_the_largest_possible_id_is_still_looked_up(client, login):
    login("Admin")
    assert client.get(f"/api/v1/ticket/{2**31 - 1}").status_code == 404
