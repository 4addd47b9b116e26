from __future__ import annotations

import pytest

from flows.council import load_council
from schemas.config import ConfigError
from schemas.council import DEFAULT_NAME


def write(tmp_path, text):
    (tmp_path / "register").mkdir(exist_ok=True)
    (tmp_path / "register" / "council.yaml").write_text(text)
    return tmp_path


def test_absent_file_is_the_defaults(tmp_path):
    assert load_council(tmp_path).name == DEFAULT_NAME


def test_every_key_read_and_contact_lines_in_order(tmp_path):
    c = load_council(write(tmp_path, "name: Northshire County Council\nteam: DP Finance\n"
                           "address: [County Hall, NS1 1AA]\nphone: 01234 567890\nemail: dp@ns.gov.uk\n"
                           "portal_url: https://evidence.ns.gov.uk\n"
                           "bank: {account_name: NCC, sort_code: 200000, account_number: '01234567'}\n"))
    assert c.name == "Northshire County Council" and c.bank.sort_code == "20-00-00"
    assert c.contact_lines == ["County Hall", "NS1 1AA", "Phone: 01234 567890", "Email: dp@ns.gov.uk",
                               "Online: https://evidence.ns.gov.uk"]


@pytest.mark.parametrize("text, words", [
    ("nmae: Typo Council\n", "unknown key 'nmae'"),
    ("name: X\nbank: {account_name: a, sort_code: 12, account_number: '12345678'}\n", "bank.sort_code = 12"),
    ("- a list\n", "must be a mapping"),
    ("name: [unclosed\n", "not readable YAML"),
])
def test_a_file_that_cannot_be_used_names_the_key(tmp_path, text, words):
    with pytest.raises(ConfigError, match="register/council.yaml") as e:
        load_council(write(tmp_path, text))
    assert words in str(e.value)
