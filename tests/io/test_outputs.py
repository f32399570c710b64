"""ncv_core.io.tables.check_outputs / ensure_writable: outputs checked before any work."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from ncv_core.errors import NcvError
from ncv_core.io.tables import atomic_path, check_outputs, table_paths, write_text


def test_an_output_may_not_be_an_input_by_any_name(tmp_path: Path) -> None:
    loci = tmp_path / "loci.csv"
    loci.write_text("chrom,pos\n")
    (tmp_path / "link.csv").symlink_to(loci)
    os.link(loci, tmp_path / "hard.csv")
    for name in ("loci.csv", "link.csv", "hard.csv", "./sub/../loci.csv"):
        with pytest.raises(NcvError, match="would replace the input"):
            check_outputs([tmp_path / name], inputs=[loci])
    check_outputs([tmp_path / "out.tsv", None], inputs=[loci, None])  # a new name is fine


def test_a_folder_output_may_not_hold_an_input(tmp_path: Path) -> None:
    table = tmp_path / "models" / "gm" / "t.parquet"
    table.parent.mkdir(parents=True)
    table.write_bytes(b"PAR1")
    with pytest.raises(NcvError, match=r"gm: the output would replace the folder of the input"):
        check_outputs([], folders=[tmp_path / "models" / "gm"], inputs=[table])
    check_outputs([tmp_path / "models" / "gm" / "x.tsv"], inputs=[table])  # beside it is fine


def test_outputs_named_twice_files_and_folders(tmp_path: Path) -> None:
    with pytest.raises(NcvError, match="is named for two outputs"):
        check_outputs([tmp_path / "a.tsv", tmp_path / "b.tsv", tmp_path / "a.tsv"])
    (tmp_path / "d.tsv").mkdir()
    with pytest.raises(NcvError, match=r"d.tsv: is a folder; expected the name of a file"):
        check_outputs([tmp_path / "d.tsv"])
    (tmp_path / "f").write_text("")
    with pytest.raises(NcvError, match=r"f: is a file; expected the name of a folder"):
        check_outputs([], folders=[tmp_path / "f"])
    assert table_paths(tmp_path / "x.tsv") == [tmp_path / "x.tsv", tmp_path / "x.tsv.meta.json"]
    assert table_paths(tmp_path / "x.parquet") == [tmp_path / "x.parquet"]


def test_atomic_files_get_the_umask_mode_and_the_suffix(tmp_path: Path) -> None:
    old = os.umask(0o007)
    try:
        write_text("x\n", tmp_path / "a.txt")
        with atomic_path(tmp_path / "b.bw", suffix=".bw") as tmp:
            assert tmp.name.endswith(".part.bw")
            tmp.write_bytes(b"x")
    finally:
        os.umask(old)
    assert {p.name: p.stat().st_mode & 0o777 for p in tmp_path.iterdir()} == {
        "a.txt": 0o660,
        "b.bw": 0o660,
    }
