"""The home page every signed-in person lands on."""

from __future__ import annotations

from flask import g, redirect, url_for
from flask_appbuilder import IndexView, expose
from flask_babel import gettext as _

from app.services.access import ROLE_ADMIN, ROLE_AGENT, ROLE_MANAGER, current_user_roles


class HomeView(IndexView):
    """Sends visitors to the login page and greets signed-in users."""

    route_base = ""
    default_view = "index"
    index_template = "atrium/home.html"

    @expose("/")
    def index(self):
        user = getattr(g, "user", None)
        if user is None or not user.is_authenticated:
            return redirect(self.appbuilder.get_url_for_login)
        return self.render_template(self.index_template, cards=self._cards())

    def _cards(self) -> list[dict[str, str]]:
        roles = current_user_roles()
        cards = [
            {
                "title": _("Your profile"),
                "text": _("Name, language and time zone"),
                "icon": "fa-user",
                "url": self.appbuilder.get_url_for_userinfo,
            }
        ]
        if roles & {ROLE_ADMIN, ROLE_MANAGER, ROLE_AGENT}:
            cards.append(
                {
                    "title": _("Background jobs"),
                    "text": _("Exports, reports and imports in progress"),
                    "icon": "fa-tasks",
                    "url": url_for("JobRunModelView.list"),
                }
            )
        if ROLE_ADMIN in roles:
            cards.append(
                {
                    "title": _("Users"),
                    "text": _("People, roles and permissions"),
                    "icon": "fa-users",
                    "url": url_for("AtriumUserDBModelView.list"),
                }
            )
        return cards
