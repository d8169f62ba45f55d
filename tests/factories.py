"""factory_boy factories for Atrium's models."""

from __future__ import annotations

import factory
from flask import current_app
from werkzeug.security import generate_password_hash

from app.extensions import db
from app.models import (
    AtriumUser,
    Customer,
    JobRun,
    JobStatus,
    Organization,
    OrganizationDomain,
    Project,
    Team,
)
from app.services.text import unique_key

PASSWORD = "correct-horse-battery-staple"
_PASSWORD_HASH = generate_password_hash(PASSWORD)


class BaseFactory(factory.alchemy.SQLAlchemyModelFactory):
    class Meta:
        abstract = True
        sqlalchemy_session_factory = lambda: db.session  # noqa: E731
        sqlalchemy_session_persistence = "commit"


class UserFactory(BaseFactory):
    """A user who can sign in with PASSWORD; ``role_name`` picks the FAB role."""

    class Meta:
        model = AtriumUser
        exclude = ("role_name",)

    role_name = "Agent"
    username = factory.Sequence(lambda n: f"user{n}")
    first_name = factory.Faker("first_name")
    last_name = factory.Faker("last_name")
    email = factory.LazyAttribute(lambda o: f"{o.username}@example.com")
    active = True
    password = _PASSWORD_HASH

    @factory.lazy_attribute
    def roles(self):
        return [current_app.appbuilder.sm.find_role(self.role_name)]


class JobRunFactory(BaseFactory):
    class Meta:
        model = JobRun

    job_id = factory.Sequence(lambda n: f"test-job-{n}")
    func = "app.jobs.maintenance.prune_job_runs"
    title = factory.Sequence(lambda n: f"Test job {n}")
    status = JobStatus.FINISHED.value
    args = factory.LazyFunction(list)
    kwargs = factory.LazyFunction(dict)


class OrganizationFactory(BaseFactory):
    """An organization; ``domain_list=["acme.example"]`` gives it mail domains."""

    class Meta:
        model = Organization

    class Params:
        domain_list: tuple[str, ...] = ()

    name = factory.Sequence(lambda n: f"Organization {n}")
    name_key = factory.LazyAttribute(lambda o: unique_key(o.name))
    notes = ""

    @factory.lazy_attribute
    def domains(self):
        return [OrganizationDomain(domain=d) for d in self.domain_list]


class CustomerFactory(BaseFactory):
    """A customer without a portal login, in no organization unless given one."""

    class Meta:
        model = Customer

    email = factory.Sequence(lambda n: f"customer{n}@example.net")
    name = factory.Faker("name")
    phone = ""
    notes = ""
    organization = None
    user = None


class TeamFactory(BaseFactory):
    class Meta:
        model = Team

    name = factory.Sequence(lambda n: f"Team {n}")
    description = ""


class ProjectFactory(BaseFactory):
    class Meta:
        model = Project

    name = factory.Sequence(lambda n: f"Project {n}")
    description = ""
    organization = None
