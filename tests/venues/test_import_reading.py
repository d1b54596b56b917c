"""Reading a file of venues: what refuses the whole file, with its French message."""

from __future__ import annotations

import pytest

from passnum.errors import InvalidInput
from passnum.venues.import_reading import MAX_ROWS, read_rows, split_list
from passnum.venues.vocabulary import LIEUX_COLUMNS
from tests.venues.import_files import as_csv, as_json

HEADER = ",".join(LIEUX_COLUMNS).encode()
ROW = {"nom": "Médiathèque", "adresse": "1 rue Haute", "code_postal": "78000",
       "commune": "Versailles"}


def refusal(data: bytes, filename: str = "lieux.csv") -> InvalidInput:
    with pytest.raises(InvalidInput) as raised:
        read_rows(data, filename)
    assert raised.value.field == "file"
    return raised.value


@pytest.mark.parametrize(("data", "filename", "code", "words"), [
    (b"", "lieux.csv", "import_file_empty", "Le fichier est vide"),
    (b"  \r\n", "lieux.csv", "import_file_empty", "Le fichier est vide"),
    (b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR", "carte.png", "import_file_binary",
     "n'est pas un fichier texte"),
    (b"%PDF-1.7\n\x01\x02\x03", "lieux.csv", "import_file_binary", "n'est pas un fichier texte"),
    ("nom,adresse,code_postal,commune\nMédiathèque,1 rue,78000,Élancourt\n".encode("latin-1"),
     "lieux.csv", "import_file_encoding", "« CSV UTF-8 »"),
    (b"nom,adresse,commune\nA,B,C\n", "lieux.csv", "import_columns_missing",
     "Colonne obligatoire absente : « code_postal »"),
    (b"name;address\nA;B\n", "lieux.csv", "import_columns_missing",
     "Colonnes obligatoires absentes : « nom », « adresse », « code_postal », « commune »"),
    (HEADER + b"\r\n", "lieux.csv", "import_file_no_rows", "aucun lieu"),
    (HEADER + b'\r\n"A,B\r\n', "lieux.csv", "import_file_malformed", "mal formé"),
    (b'[{"nom": "A"', "lieux.json", "import_file_malformed", "JSON est mal formé"),
    (b'{"nom": "A"}', "lieux.json", "import_file_malformed", "une liste d'objets"),
    (b'[{"nom": "A", "adresse": "B", "commune": "C"}]', "lieux.json",
     "import_columns_missing", "« code_postal »"),
    (b"[]", "lieux.json", "import_file_no_rows", "aucun lieu"),
])
def test_a_file_that_cannot_be_read_is_refused_in_french(data, filename, code, words):
    err = refusal(data, filename)
    assert err.code == code and words in err.message, err.message


def test_too_many_rows_or_bytes():
    assert refusal(as_csv([ROW] * (MAX_ROWS + 1))).code == "import_too_many_rows"
    assert refusal(as_json([ROW] * (MAX_ROWS + 1)), "l.json").code == "import_too_many_rows"
    assert len(read_rows(as_csv([ROW] * MAX_ROWS), "l.csv")) == MAX_ROWS
    big = HEADER + b"\r\n" + b"x" * (5 * 1024 * 1024)
    assert refusal(big).code == "import_file_too_large"


def test_lines_unknown_columns_blank_lines_and_the_kind_of_file():
    data = (b"Nom ; ADRESSE;code_postal;commune;colonne_maison\n"
            b"\"Lieu\nsur deux lignes\";1 rue;78000;Versailles;x\n"
            b";;;;\n"
            b"Autre;2 rue;78000;Versailles;y\n")
    rows = read_rows(data, "export")
    assert [row.line for row in rows] == [2, 4]  # a spreadsheet's rows
    assert rows[0].values == {"nom": "Lieu\nsur deux lignes", "adresse": "1 rue",
                              "code_postal": "78000", "commune": "Versailles"}
    json_rows = read_rows(b' [{"nom": "A", "adresse": "B", "code_postal": 78000, '
                          b'"commune": "C", "latitude": 48.8, "services": ["x", "y"]}]',
                          "export")
    assert json_rows[0].values["code_postal"] == "78000"
    assert json_rows[0].values["latitude"] == "48.8"
    assert json_rows[0].values["services"] == "x|y"


def test_lists_split_on_the_v1_and_the_0x_separators():
    assert split_list("A | B|") == ["A", "B"]
    assert split_list("A;B ; C") == ["A", "B", "C"]
    assert split_list("  ") == []
