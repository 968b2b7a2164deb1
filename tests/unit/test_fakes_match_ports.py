import inspect

import pytest

from taskforge_app.ports import Clock, JobQueue, JobRepository
from tests.unit.fakes import FakeQueue, FixedClock, InMemoryJobRepository


def port_methods(port: type) -> list[str]:
    return sorted(
        name
        for name, member in vars(port).items()
        if not name.startswith("_") and inspect.isfunction(member)
    )


@pytest.mark.parametrize(
    ("port", "fake"),
    [(JobRepository, InMemoryJobRepository), (JobQueue, FakeQueue), (Clock, FixedClock)],
    ids=["JobRepository", "JobQueue", "Clock"],
)
def test_each_fake_offers_every_method_of_its_port_with_the_same_signature(
    port: type, fake: type
) -> None:
    for name in port_methods(port):
        expected, offered = getattr(port, name), getattr(fake, name)
        assert inspect.signature(offered) == inspect.signature(expected), name
        assert inspect.iscoroutinefunction(offered) == inspect.iscoroutinefunction(expected), name
