"""Tokens file parsing and token lookup (no network)."""
from __future__ import annotations

import pytest

from plugin_service.service.auth import ANONYMOUS, TokenTable, bearer_token, caller_name

ALICE = "a" * 24
BOB = "b" * 32


def test_name_token_lines_with_comments(tmp_path):
    path = tmp_path / "tokens"
    path.write_text(f"# editors\n\nalice:{ALICE}\n  bob : {BOB}  \n")
    table = TokenTable.load(path)
    assert len(table) == 2
    assert table.identify(ALICE) == "alice"
    assert table.identify(BOB) == "bob"


def test_json_object(tmp_path):
    path = tmp_path / "tokens.json"
    path.write_text(f'{{"alice": "{ALICE}", "bob": "{BOB}"}}')
    assert TokenTable.load(path).identify(BOB) == "bob"


@pytest.mark.parametrize("token", [None, "", "a" * 23, "a" * 25, ALICE.upper(), ALICE + " ", "x" * 24])
def test_unknown_missing_or_near_miss_tokens_are_refused(tmp_path, token):
    path = tmp_path / "tokens"
    path.write_text(f"alice:{ALICE}\n")
    assert TokenTable.load(path).identify(token) is None


@pytest.mark.parametrize("text, words", [
    ("alice\n", "name:token"),
    (f"alice:{ALICE}\nalice:{BOB}\n", "appears twice"),
    ("alice:short\n", "shorter than 16"),
    (f"alice:{ALICE}\nbob:{ALICE}\n", "share one token"),
    ("# nothing\n", "no tokens"),
    ('{"alice": 3}', "JSON must be an object"),
    ('{"alice": ', "not valid JSON"),
])
def test_bad_tokens_files_say_what_to_fix(tmp_path, text, words):
    path = tmp_path / "tokens"
    path.write_text(text)
    with pytest.raises(ValueError, match=words):
        TokenTable.load(path)


def test_bearer_metadata_parsing():
    assert bearer_token([("authorization", f"Bearer {ALICE}")]) == ALICE
    assert bearer_token([("x", "y"), ("authorization", f"bearer  {ALICE} ")]) == ALICE
    assert bearer_token([("authorization", f"Basic {ALICE}")]) is None
    assert bearer_token([]) is None and bearer_token(None) is None


def test_caller_name_is_anonymous_without_a_table(tmp_path):
    assert caller_name(None, []) == ANONYMOUS
    path = tmp_path / "tokens"
    path.write_text(f"alice:{ALICE}\n")
    table = TokenTable.load(path)
    assert caller_name(table, [("authorization", f"Bearer {ALICE}")]) == "alice"
    assert caller_name(table, []) is None
