"""The hostile corpus (``tests/hostile/corpus.py``) through ``ncv``: for every case the exit status
(2 for bad input, never a traceback), the message (file, line, reason) and that no good row is
lost; and, apart, what needs its own process or setting: read-only output folders, the modes of
written files, an interrupt during ``ncv score``."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pandas as pd
import pytest
from hostile.corpus import CASES, N_GOOD, Base, Case, build_base

from ncv_core.cli import main
from ncv_core.errors import NcvError
from ncv_core.io.tables import read_table, rejected_report_path

ROOT = Path(__file__).resolve().parents[2]

CLASSES = {
    "line_ends", "stale_index", "binary_input", "outputs", "trailing_fields", "missing_contig",
    "labels", "bigwig", "features", "damaged_text", "folders", "genome", "loci", "manifest",
    "model",
}  # fmt: skip


@pytest.fixture(scope="module")
def base(tmp_path_factory: pytest.TempPathFactory) -> Base:
    return build_base(tmp_path_factory.mktemp("hostile-base"))


def test_the_corpus_covers_every_class() -> None:
    assert {name.split("/")[0] for name in CASES} == CLASSES
    assert len(CASES) >= 40


def _rows(path: Path) -> int:
    return len(read_table(path)[0])


def _report_lines(out: Path) -> tuple[int, ...]:
    report = pd.read_csv(rejected_report_path(out), sep="\t", dtype=str, keep_default_na=False)
    return tuple(int(x) for x in report["line"])


@pytest.mark.parametrize("name", sorted(CASES))
def test_hostile_case(name: str, base: Base, tmp_path: Path, capfd: pytest.CaptureFixture) -> None:
    case: Case = CASES[name](base, tmp_path)
    code = main(case.argv)
    out, err = capfd.readouterr()
    assert code == case.code, err
    assert "Traceback" not in out + err
    for fragment in case.messages:
        assert fragment in err, f"{fragment!r} not in {err!r}"
    for fragment in case.absent:
        assert fragment not in out + err
    if case.code == 2:
        assert len([ln for ln in err.splitlines() if ": error: " in ln]) == 1
    if case.kept is not None:
        assert _rows(case.out) == case.kept  # no good row lost
    if case.rejected_lines is not None:
        assert _report_lines(case.out) == case.rejected_lines  # each bad row, at its line
    for path, data in case.unchanged.items():
        assert path.read_bytes() == data
    if case.check is not None:
        case.check()


# -- cases that need their own process or setting ------------------------------------------------


def _unprivileged() -> list[str]:
    """A command prefix under which file modes bind (root reads and writes anything)."""
    if os.geteuid() != 0:
        return []
    if shutil.which("setpriv") is None:
        pytest.skip("running as root without setpriv: a read-only folder cannot be made")
    return ["setpriv", "--bounding-set=-dac_override,-dac_read_search,-fowner", "--inh-caps=-all"]


_DRIVER = """
import json, sys, time, warnings
from ncv_core.cli import main
results = []
for argv in json.loads(sys.argv[1]):
    start = time.perf_counter()
    code = main(argv)
    results.append([code, time.perf_counter() - start])
print("RESULTS " + json.dumps(results))
"""


def test_read_only_output_folders_fail_before_any_work(base: Base, tmp_path: Path) -> None:
    ro = tmp_path / "ro"
    ro.mkdir()
    g = base.genome_args()
    runs = {
        "features": ["features", "--loci", str(base.loci), *g, "--out", str(ro / "f.tsv")],
        "train": ["train", "--features", str(base.features), "--out", str(ro / "m"),
                  "--epochs", "1000"],
        "evaluate": ["evaluate", "--model", str(base.model), "--features", str(base.features),
                     "--out", str(ro / "e.json")],
        "score": ["score", "--model", str(base.model), "--loci", str(base.loci), *g, "--no-background",
                  "--out", str(ro / "s.tsv")],
        "ablate": ["ablate", "--features", str(base.features), "--out", str(ro / "a.tsv")],
        "motifs": ["motifs", "--model", str(base.model), "--features", str(base.features),
                   "--out", str(ro / "motifs")],
        "ism": ["ism", "--model", str(base.model), "--features", str(base.features),
                "--out", str(ro / "i.tsv")],
        "attribute": ["attribute", "--model", str(base.model), "--method", "saliency",
                      "--features", str(base.features), "--out", str(ro / "a.tsv")],
        "demo": ["demo", "--out", str(ro / "demo")],
        "liftover": ["liftover", "--chain", str(base.chain), "--loci", str(base.loci),
                     "--out", str(ro / "l.tsv")],
        "pseudo-labels": ["pseudo-labels", "--chain", str(base.chain), "--loci", str(base.loci),
                          "--target-genome", str(base.genome), "--window", "150",
                          "--out", str(ro / "p.tsv")],
        "report": ["features", "--loci", str(base.loci), *g, "--out", str(tmp_path / "ok.tsv")],
    }  # fmt: skip
    (tmp_path / "ok.rejected.tsv").write_text("")
    (tmp_path / "ok.rejected.tsv").chmod(0o444)  # the report is an output too
    ro.chmod(0o555)
    try:
        proc = subprocess.run(
            [*_unprivileged(), sys.executable, "-c", _DRIVER, json.dumps(list(runs.values()))],
            capture_output=True, text=True, cwd=ROOT, timeout=120,
            env={**os.environ, "OMP_NUM_THREADS": "1"},
        )  # fmt: skip
    finally:
        ro.chmod(0o755)
    results = json.loads(proc.stdout.split("RESULTS ", 1)[1])
    errors = [ln for ln in proc.stderr.splitlines() if ": error: " in ln]
    assert [code for code, _ in results] == [2] * len(runs), proc.stderr
    assert "Traceback" not in proc.stderr and "trained" not in proc.stdout
    for name, line in zip(runs, errors, strict=True):
        assert line.startswith(f"ncv {runs[name][0]}: error: "), line
        if name == "report":
            assert "ok.rejected.tsv: the output file exists and is read-only" in line
        else:
            assert str(ro) in line and ("cannot write into" in line or "cannot create" in line)
    assert not any(ro.iterdir())
    assert max(seconds for _, seconds in results) < 20  # refused at once, not after the work


def test_stale_index_in_a_read_only_folder_is_rebuilt_in_the_cache(
    base: Base, tmp_path: Path
) -> None:
    from ncv_core.io.genome import write_fasta

    folder, cache = tmp_path / "ref", tmp_path / "cache"
    folder.mkdir()
    genome = folder / "genome.fa"
    write_fasta(genome, base.seqs.items(), line_width=60, index=True)
    old = Path(str(genome) + ".fai").read_bytes()
    write_fasta(genome, base.seqs.items(), line_width=70)
    Path(str(genome) + ".fai").write_bytes(old)
    code = (
        "from ncv_core.io.genome import Genome\n"
        f"g = Genome({str(genome)!r})\n"
        f"print(g.fetch('chr2', 1400, 1500) == {base.seqs['chr2'][1400:1500]!r})\n"
    )
    folder.chmod(0o555)
    try:
        proc = subprocess.run(
            [*_unprivileged(), sys.executable, "-c", code],
            capture_output=True, text=True, cwd=ROOT, timeout=60,
            env={**os.environ, "NCV_CACHE_DIR": str(cache)},
        )  # fmt: skip
    finally:
        folder.chmod(0o755)
    assert proc.stdout.strip() == "True", proc.stderr
    assert f"{genome}.fai does not match" in proc.stderr and str(cache) in proc.stderr
    assert Path(str(genome) + ".fai").read_bytes() == old  # the user's file is left alone


def test_every_writer_honours_the_umask(base: Base, tmp_path: Path) -> None:
    from ncv_core.io.bigwig import write_bigwig
    from ncv_core.io.chain_files import chain_from_blocks, write_chain_file
    from ncv_core.io.genome import write_fasta
    from ncv_core.io.motif_files import Motif, write_meme
    from ncv_core.io.peaks import write_narrowpeak
    from ncv_core.io.tables import write_npy

    out = tmp_path / "out"
    g = base.genome_args()
    vcf = tmp_path / "in.vcf"
    vcf.write_text("##fileformat=VCFv4.2\n#CHROM\tPOS\tID\tREF\tALT\tQUAL\tFILTER\tINFO\n"
                   + "".join(f"{c}\t{p}\t.\t{r}\t{a}\t.\t.\t.\n" for c, p, r, a, _ in base.rows))  # fmt: skip
    old = os.umask(0o027)
    try:
        assert main(["features", "--loci", str(base.loci), *g, "--out", str(out / "f.tsv")]) == 0
        assert (
            main(
                [
                    "train",
                    "--features",
                    str(base.features),
                    "--out",
                    str(out / "m"),
                    "--method",
                    "supervised",
                    "--model",
                    "mlp",
                    "--epochs",
                    "1",
                ]
            )
            == 0
        )
        assert (
            main(
                [
                    "evaluate",
                    "--model",
                    str(base.model),
                    "--features",
                    str(base.features),
                    "--out",
                    str(out / "e.json"),
                ]
            )
            == 0
        )
        for name in ("s.tsv", "s.parquet", "s.vcf.gz"):
            assert main(["score", "--model", str(base.model), "--loci", str(vcf), *g, "--no-background",
                         "--out", str(out / name)]) == 0  # fmt: skip
        write_npy(pd.DataFrame({"a": [1.0]}).to_numpy(), out / "x.npy")
        write_meme([Motif("m", pd.DataFrame([[0.25] * 4]).to_numpy())], out / "x.meme")
        write_bigwig(out / "x.bw", {"chr1": 100}, {"chr1": ([0], [10], [1.0])})
        write_narrowpeak(out / "x.narrowPeak", [("chr1", 0, 10, 1.0)])
        write_fasta(out / "x.fa", [("chr1", "ACGT")], index=True)
        chain = chain_from_blocks("a", 100, "b", 100, "+", [0], [0], [50], chain_id=1)
        write_chain_file(out / "x.chain.gz", [chain])
    finally:
        os.umask(old)
    files = list(out.rglob("*"))
    assert {p.relative_to(out).as_posix() for p in files if p.is_file()} == {
        "f.tsv", "f.tsv.meta.json", "f.rejected.tsv", "m/model.safetensors", "m/card.json",
        "m/split.tsv", "e.json", "s.tsv", "s.tsv.meta.json", "s.parquet", "s.vcf.gz",
        "s.rejected.tsv", "x.npy",
        "x.meme", "x.bw", "x.narrowPeak", "x.fa", "x.fa.fai", "x.chain.gz",
    }  # fmt: skip
    modes = {p.relative_to(out).as_posix(): p.stat().st_mode & 0o777 for p in files}
    want = {k: 0o750 if (out / k).is_dir() else 0o640 for k in modes}
    assert modes == want


def test_an_interrupt_during_score_leaves_no_file(
    base: Base, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capfd: pytest.CaptureFixture
) -> None:
    import ncv_core.score as score

    real, calls = score.score_placed, []

    def interrupted(*args, **kwargs):
        calls.append(1)
        if len(calls) == 2:
            raise KeyboardInterrupt  # what SIGINT raises, between two chunks
        return real(*args, **kwargs)

    monkeypatch.setattr(score, "score_placed", interrupted)
    out = tmp_path / "scores" / "s.vcf.gz"
    vcf = tmp_path / "in.vcf"
    vcf.write_text("##fileformat=VCFv4.2\n#CHROM\tPOS\tID\tREF\tALT\tQUAL\tFILTER\tINFO\n"
                   + "".join(f"{c}\t{p}\t.\t{r}\t{a}\t.\t.\t.\n" for c, p, r, a, _ in base.rows))  # fmt: skip
    argv = ["score", "--model", str(base.model), "--loci", str(vcf), *base.genome_args()]
    argv.append("--no-background")
    assert main([*argv, "--out", str(out), "--chunk-size", "10"]) == 130
    assert "interrupted" in capfd.readouterr().err
    assert list(out.parent.iterdir()) == []  # no output, no report, no temporary file


# -- the same classes in the library's own readers (no command reads them) ----------------------


def test_binary_and_cr_only_motif_and_chain_files(base: Base, tmp_path: Path) -> None:
    from ncv_core.io.chain_files import chain_from_blocks, open_chain, write_chain_file
    from ncv_core.io.motif_files import read_meme

    meme = tmp_path / "m.meme"
    meme.write_bytes(base.dnase.read_bytes())
    with pytest.raises(NcvError, match=r"m.meme: is a binary file \(a bigWig file\), not a MEME"):
        read_meme(meme)
    meme.write_bytes(
        b"MEME version 4\r\rALPHABET= ACGT\r\rMOTIF m1 X\rletter-probability matrix: alength= 4"
        b" w= 2\r0.1 0.2 0.3 0.4\r0.25 0.25 0.25 0.25\r"
    )
    (motif,) = read_meme(meme)
    assert motif.pwm.shape == (2, 4) and motif.pwm[0, 3] == 0.4
    chain = tmp_path / "x.chain.gz"
    write_chain_file(chain, [chain_from_blocks("chr1", 3000, "c", 3000, "+", [0], [0], [2000],
                                               chain_id=1)])  # fmt: skip
    assert len(open_chain(chain).headers) == 1
    cut = tmp_path / "cut.chain.gz"
    cut.write_bytes(chain.read_bytes()[:-12])
    with pytest.raises(NcvError, match=r"cut.chain.gz: .*truncated"):
        open_chain(cut)
    binary = tmp_path / "b.chain"
    binary.write_bytes(base.features.read_bytes())
    with pytest.raises(NcvError, match=r"b.chain: is a binary file \(a Parquet table\)"):
        open_chain(binary)


def test_the_corpus_script_writes_every_case(tmp_path: Path, capsys) -> None:
    from hostile import corpus

    assert corpus.main([str(tmp_path)]) == 0  # what ``python tests/hostile/corpus.py DIR`` runs
    listed = [ln.split(":", 1)[0] for ln in capsys.readouterr().out.splitlines()]
    assert listed == list(CASES)
    assert all((tmp_path / name).is_dir() for name in CASES)
    assert (tmp_path / "base" / "model" / "card.json").is_file()
    assert N_GOOD == len(pd.read_csv(tmp_path / "base" / "loci.csv"))
