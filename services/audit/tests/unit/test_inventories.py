"""A provider's hosted-site inventory on the in-memory unit of work (P10): replaced whole by a CSV with a
``domain`` column; every bad row reported at once, and then nothing is stored."""
from datetime import UTC, datetime

import pytest

from audit.usecases.inventories import import_inventory
from shared.contracts.errors import BadRequest

from ..fakes import FakeAuditUnitOfWork

pytestmark = pytest.mark.unit

NOW = datetime(2026, 12, 3, 2, 0, tzinfo=UTC)


@pytest.mark.req("P10")
def test_an_inventory_replaces_the_last_one_in_ascii_lower_case():
    uow = FakeAuditUnitOfWork()
    import_inventory(uow, "provider-a", "domain\nold.example.cn\n", now=NOW)
    inventory = " Domain ,customer\nSITE1.example.cn,x\n例子.中国,y\nsite1.example.cn,z\n"
    answer = import_inventory(uow, "provider-a", inventory, now=NOW)
    assert answer["sites"] == 2
    assert uow.inventories.sites["provider-a"] == (["site1.example.cn", "xn--fsqu00a.xn--fiqs8s"], answer["import_id"])


@pytest.mark.req("P10")
@pytest.mark.parametrize(("provider", "csv_text", "field", "rule"), [
    ("provider-a", "domain\nok.example.cn\nnot a domain\n\n", "row 3.domain", "R1.7"),  # the kernel's domain rule
    ("provider-a", "site\nok.example.cn\n", "domain", "P10"),
    ("provider-a", 'domain\n"x' + "x" * 140_000, "body", "P10"),  # a field beyond the csv module's limit
    ("p" * 65, "domain\nok.example.cn\n", "provider_id", "P10"),
])
def test_a_bad_inventory_is_refused_naming_the_problem_and_stores_nothing(provider, csv_text, field, rule):
    uow = FakeAuditUnitOfWork()
    with pytest.raises(BadRequest) as refused:
        import_inventory(uow, provider, csv_text, now=NOW)
    assert (refused.value.errors[0]["field"], refused.value.errors[0]["rule"]) == (field, rule)
    assert uow.inventories.sites == {}
