"""The YAML loader: exact text with locations, and refusal of everything unsafe or ambiguous."""

from __future__ import annotations

from pathlib import Path

import pytest
from harness.cost import measure

from reconciler.errors import Location
from reconciler.manifest import yaml_loader as y

from .helpers import DATASET, problems, write


def _root(text: str) -> y.Node:
    loaded = y.parse_yaml(text.encode(), "f.yaml")
    assert loaded.problems == ()
    assert len(loaded.documents) == 1
    document = loaded.documents[0]
    assert document.problems == ()
    assert document.root is not None
    return document.root


def _problems(text: str | bytes) -> list[str]:
    data = text.encode() if isinstance(text, str) else text
    loaded = y.parse_yaml(data, "f.yaml")
    found = list(loaded.problems)
    for document in loaded.documents:
        found.extend(document.problems)
    return [str(problem) for problem in sorted(found, key=lambda p: p.sort_key())]


def test_scalars_keep_their_exact_text_and_location() -> None:
    root = _root(
        "a: 007\nb: '007'\nc: \"+44 7700\"\nd: 1.50\ne: true\nf: null\ng: ~\nh:\ni: ''\nj: NULL\nk: |\n  two\n  lines\n"
        "l: 0x1F\nm: 2026-01-02\n"
    )
    assert isinstance(root, y.Mapping)
    values = {key.text: value.value for key, value in root.entries if isinstance(value, y.Scalar)}
    assert values == {
        "a": "007",
        "b": "007",
        "c": "+44 7700",
        "d": "1.50",
        "e": "true",
        "f": None,
        "g": None,
        "h": None,
        "i": "",
        "j": None,
        "k": "two\nlines\n",
        "l": "0x1F",
        "m": "2026-01-02",
    }
    b = root.get("b")
    assert isinstance(b, y.Scalar)
    assert (b.plain, b.location) == (False, Location("f.yaml", 2, 4))
    h = root.get("h")
    assert isinstance(h, y.Scalar)
    assert h.location == Location("f.yaml", 8, 1)  # an empty value points at its key


def test_to_data_gives_plain_python() -> None:
    root = _root("a: [1, {b: x}]\nc: ~\n")
    assert y.to_data(root) == {"a": ["1", {"b": "x"}], "c": None}


def test_duplicate_key_is_reported_and_the_first_value_kept() -> None:
    loaded = y.parse_yaml(b"a: 1\nb: 2\na: 3\n", "f.yaml")
    document = loaded.documents[0]
    assert [str(p) for p in document.problems] == [
        'f.yaml:3:1: duplicate key "a" (it is already set at line 1; keep one)'
    ]
    assert y.to_data(document.root) == {"a": "1", "b": "2"}


def test_duplicate_keys_in_flow_mappings_too() -> None:
    assert _problems("x: {a: 1, a: 2}\n") == [
        'f.yaml:1:11: duplicate key "a" (it is already set at line 1; keep one)'
    ]


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("a: !!str 5\n", 'f.yaml:1:4: explicit tag "!!str" is not allowed'),
        ("a: !!int '5'\n", 'f.yaml:1:4: explicit tag "!!int" is not allowed'),
        ("a: !foo x\n", 'f.yaml:1:4: explicit tag "!foo" is not allowed'),
        ("a: ! x\n", 'f.yaml:1:4: explicit tag "!" is not allowed'),
        (
            "a: !!python/object:os.system {}\n",
            'f.yaml:1:4: explicit tag "!!python/object:os.system" is not allowed',
        ),
        (
            "a: !!python/name:os.system ''\n",
            'f.yaml:1:4: explicit tag "!!python/name:os.system" is not allowed',
        ),
        ("a: !!binary aGVsbG8=\n", 'f.yaml:1:4: explicit tag "!!binary" is not allowed'),
        ("--- !!map\na: 1\n", 'f.yaml:1:5: explicit tag "!!map" is not allowed'),
        (
            "%TAG !e! tag:example.com,2000:\n---\na: !e!x 1\n",
            'f.yaml:3:4: explicit tag "tag:example.com,2000:x" is not allowed',
        ),
    ],
)
def test_every_explicit_tag_is_refused(text: str, expected: str) -> None:
    remedy = " (remove the tag; every value is read as text, and quotes keep it exactly as written)"
    assert _problems(text) == [expected + remedy]


def test_anchor_and_alias_are_refused() -> None:
    remedy = " (write the value out in full; anchors and aliases are refused)"
    assert _problems("a: &x 1\nb: *x\n") == [
        'f.yaml:1:4: anchor "&x" is not allowed' + remedy,
        'f.yaml:2:4: alias "*x" is not allowed' + remedy,
    ]
    assert _problems("a: &x 1\n") == ['f.yaml:1:4: anchor "&x" is not allowed' + remedy]


def test_merge_keys_are_refused_with_their_alias() -> None:
    found = _problems("base: &b {x: 1}\nother:\n  <<: *b\n")
    assert found[-1].startswith('f.yaml:3:7: alias "*b" is not allowed')


def test_billion_laughs_is_refused_before_it_expands() -> None:
    levels = ['a0: &a0 ["lol","lol","lol","lol","lol","lol","lol","lol","lol","lol"]']
    for level in range(1, 30):
        refs = ",".join([f"*a{level - 1}"] * 10)
        levels.append(f"a{level}: &a{level} [{refs}]")
    text = "\n".join(levels) + "\n"
    parsed: list[y.YamlFile] = []
    cost = measure(lambda: parsed.append(y.parse_yaml(text.encode(), "f.yaml")))
    assert (
        cost.calls < 100_000
    )  # about 3,000: the first alias stops the file; expanded, it would be 10^30 values
    loaded = parsed[0]
    found = [str(p) for p in loaded.documents[0].problems]
    assert len(found) == 3  # &a0, &a1, then the first *a0 stops the file
    assert found[2].startswith('f.yaml:2:10: alias "*a0" is not allowed')
    assert not loaded.documents[0].complete


def test_nesting_deeper_than_the_cap_is_refused() -> None:
    # The document's own mapping is the first level.
    ok = "a: " + "[" * (y.MAX_DEPTH - 1) + "]" * (y.MAX_DEPTH - 1) + "\n"
    assert _problems(ok) == []
    deep = "a: " + "[" * y.MAX_DEPTH + "]" * y.MAX_DEPTH + "\n"
    assert _problems(deep) == [
        "f.yaml:1:35: values are nested more than 32 levels deep (flatten the structure; no manifest needs this depth)"
    ]
    very_deep = "[" * 100_000
    assert _problems(very_deep)[0].startswith("f.yaml:1:33: values are nested more than 32 levels deep")


def test_too_many_documents() -> None:
    text = "a: 1\n" + "--- {a: 1}\n" * y.MAX_DOCUMENTS
    assert _problems(text) == [
        f"f.yaml:{y.MAX_DOCUMENTS + 1}:1: file holds more than 1000 documents (split it into several files)"
    ]


def test_file_over_the_size_cap_is_refused_unread(tmp_path: Path) -> None:
    path = tmp_path / "big.yaml"
    with path.open("wb") as stream:
        stream.truncate(y.MAX_FILE_BYTES + 1)
    loaded = y.load_yaml_file(path, "big.yaml")
    assert [str(p) for p in loaded.problems] == [
        "big.yaml: file is 5.0 MiB; a YAML file may hold at most 5 MiB "
        "(put records or members in a CSV or JSONL file and point spec.source at it)"
    ]


def test_syntax_errors_are_problems_with_locations() -> None:
    assert _problems("a: b: c\n") == [
        "f.yaml:1:5: YAML syntax error: mapping values are not allowed here (fix the YAML at this position)"
    ]
    assert _problems("a:\n\t- b\n") == [
        "f.yaml:2:1: YAML syntax error while scanning for the next token: found character '\\t' that cannot start "
        "any token (fix the YAML at this position)"
    ]
    assert _problems('a: "unterminated\n') == [
        "f.yaml:2:1: YAML syntax error while scanning a quoted scalar: found unexpected end of stream "
        "(fix the YAML at this position)"
    ]


def test_encoding_problems() -> None:
    assert _problems(b"\xef\xbb\xbfa: 1\n") == []
    assert _problems(b"a: 1\nb: caf\xe9\n") == ["f.yaml:2:7: file is not UTF-8 text (save the file as UTF-8)"]
    assert _problems(b"a: 1\nb: x\x01y\n") == [
        "f.yaml:2:5: file contains a control character YAML does not allow "
        "(remove it, or write it as an escape inside a double-quoted value)"
    ]


def test_complex_keys_are_refused() -> None:
    assert _problems("? [a, b]\n: 1\n") == [
        "f.yaml:1:3: a key must be text, not a list (write a plain name before the colon)"
    ]


def test_unquoted_numbers_are_recognised() -> None:
    def scalar(text: str) -> y.Scalar:
        root = _root(f"v: {text}\n")
        assert isinstance(root, y.Mapping)
        value = root.get("v")
        assert isinstance(value, y.Scalar)
        return value

    numbers = [
        "07700900123",
        "+447700900123",
        "1e5",
        "0x1F",
        "0o17",
        "1_000",
        "12:30:00",
        ".5",
        "-3",
        ".inf",
        "1,000",
    ]
    for text in numbers:
        assert y.looks_like_number(scalar(text)), text
    for text in [
        '"07700900123"',
        "'0123'",
        "07700 900123",
        "+44 7700 900123",
        "SW1A 1AA",
        "~",
        "abc",
        "(0)20 7946",
    ]:
        assert not y.looks_like_number(scalar(text)), text


def test_document_that_is_not_a_mapping(tmp_path: Path) -> None:
    write(
        tmp_path,
        {"a.yaml": "- just\n- a list\n", "b.yaml": "plain text\n", "c.yaml": "# only a comment\n---\n"},
    )
    root = str(tmp_path)
    assert problems(tmp_path) == [
        f"{root}/a.yaml:1:1: a document must be a mapping, not a list "
        "(start it with apiVersion: reconciler/v1, kind, metadata and spec)",
        f"{root}/b.yaml:1:1: a document must be a mapping, not text "
        "(start it with apiVersion: reconciler/v1, kind, metadata and spec)",
    ]


def test_several_documents_in_one_file_each_located(tmp_path: Path) -> None:
    second = DATASET.replace("spring", "autumn").replace("Spring", "Autumn")
    write(tmp_path, {"d.yaml": DATASET + "  priority: 99\n---\n" + second + "  status: GONE\n"})
    assert problems(tmp_path) == [
        f"{tmp_path}/d.yaml:8:13: Dataset/spring: priority 99 is above 90 (use 0 to 90)",
        f'{tmp_path}/d.yaml:17:11: Dataset/autumn: status "GONE" is not one of HOLD, LIVE, EXPIRED '
        "(HOLD keeps the dataset off the dialler, LIVE dials it, EXPIRED closes it for ever)",
    ]
