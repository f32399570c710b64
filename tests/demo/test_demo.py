"""The built-in simulated demo: file contracts, determinism, and that its labels are learnable
for the reasons the SSL_dnn paper found (checked with independent readers: pyfaidx, pyBigWig,
pyjaspar, scikit-learn).
"""

from __future__ import annotations

import hashlib
import json
import os
import subprocess
import sys
import time
import warnings
from pathlib import Path

import numpy as np
import pandas as pd
import pyBigWig
import pyfaidx
import pytest
from numpy.lib.stride_tricks import sliding_window_view
from sklearn.linear_model import LogisticRegression
from sklearn.metrics import roc_auc_score
from sklearn.model_selection import StratifiedKFold, cross_val_predict
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler

from ncv_core import cli
from ncv_core.constants import CELL_LINES, MARK_GROUPS, MARKS, PAPER_COUNTS
from ncv_core.demo import DEMO_VERSION, DemoPaths, build_demo, default_demo_dir, ensure_demo
from ncv_core.demo.build import STAMP, is_complete
from ncv_core.demo.params import N_UNLABELLED
from ncv_core.errors import NcvError

REPO = Path(__file__).resolve().parents[2]
LOCI_COLUMNS = ["chrom", "pos", "ref", "alt", "label", "id", "cadd_like", "deepsea_like"]


@pytest.fixture(scope="module")
def demo(tmp_path_factory: pytest.TempPathFactory) -> DemoPaths:
    return build_demo(tmp_path_factory.mktemp("demo") / "seed0", seed=0)


@pytest.fixture(scope="module")
def loci(demo: DemoPaths) -> dict[str, pd.DataFrame]:
    return {
        cell: pd.read_csv(path, sep="\t", dtype={"label": "Int8", "chrom": str})
        for cell, path in demo.loci.items()
    }


@pytest.fixture(scope="module")
def fasta(demo: DemoPaths) -> pyfaidx.Fasta:
    return pyfaidx.Fasta(str(demo.genome), sequence_always_upper=True)


@pytest.fixture(scope="module")
def features(demo: DemoPaths, loci: dict[str, pd.DataFrame], fasta: pyfaidx.Fasta) -> dict:
    """Per cell line: max signal of each mark over each locus's 150-bp window (no data = 0),
    read with pyBigWig, and the window's GC count, read with pyfaidx."""
    manifest = pd.read_csv(demo.tracks, sep="\t")
    out = {}
    for cell, table in loci.items():
        cols = {}
        for mark in MARKS:
            row = manifest[(manifest["cell_line"] == cell) & (manifest["mark"] == mark)].iloc[0]
            cols[mark] = _window_max(demo.root / row["signal"], table)
        seqs = [
            str(fasta[c][p - 76 : p + 74])
            for c, p in zip(table["chrom"], table["pos"], strict=True)
        ]
        cols["GC"] = [s.count("G") + s.count("C") for s in seqs]
        out[cell] = pd.DataFrame(cols)
    return out


def _window_max(path: Path, table: pd.DataFrame) -> np.ndarray:
    bw = pyBigWig.open(str(path))
    out = np.zeros(len(table))
    for chrom, idx in table.groupby("chrom").groups.items():
        values = np.nan_to_num(bw.values(chrom, 0, bw.chroms()[chrom], numpy=True))
        out[idx] = sliding_window_view(values, 150)[table.loc[idx, "pos"].to_numpy() - 76].max(1)
    bw.close()
    return out


def _labelled(table: pd.DataFrame) -> tuple[np.ndarray, np.ndarray]:
    mask = table["label"].notna().to_numpy()
    return mask, table.loc[mask, "label"].astype(int).to_numpy()


def _hashes(root: Path) -> dict[str, str]:
    return {
        str(p.relative_to(root)): hashlib.sha256(p.read_bytes()).hexdigest()
        for p in sorted(root.rglob("*"))
        if p.is_file()
    }


# --- files and formats ---------------------------------------------------------------------------


def test_manifest_lists_every_track_and_each_opens_with_the_genome_contigs(demo: DemoPaths) -> None:
    manifest = pd.read_csv(demo.tracks, sep="\t")
    assert list(manifest.columns) == ["cell_line", "mark", "signal", "peaks"]
    assert len(manifest) == len(MARKS) * len(CELL_LINES)
    assert set(zip(manifest["cell_line"], manifest["mark"], strict=True)) == {
        (c, m) for c in CELL_LINES for m in MARKS
    }
    contigs = json.loads(demo.truth.read_text())["genome"]["contigs"]
    for row in manifest.itertuples():
        assert not Path(row.signal).is_absolute()
        bw = pyBigWig.open(str(demo.root / row.signal))
        assert bw.isBigWig()
        assert bw.chroms() == contigs
        bw.close()
        assert (demo.root / row.peaks).is_file()


def test_fasta_and_index_agree_with_truth(demo: DemoPaths, fasta: pyfaidx.Fasta) -> None:
    fai = pd.read_csv(str(demo.genome) + ".fai", sep="\t", header=None)
    contigs = json.loads(demo.truth.read_text())["genome"]["contigs"]
    assert list(fai[0]) == list(contigs) == [f"chr{i}" for i in range(1, len(contigs) + 1)]
    assert {name: len(rec) for name, rec in fasta.items()} == contigs
    assert 4_000_000 <= sum(contigs.values()) <= 8_000_000
    # pyfaidx reads through our index: the last bases of a contig match the raw FASTA text
    raw = demo.genome.read_text().split(">chr2\n")[1].split(">")[0].replace("\n", "")
    assert str(fasta["chr2"][-70:]) == raw[-70:]


def test_genome_composition_is_mammalian(demo: DemoPaths, fasta: pyfaidx.Fasta) -> None:
    seq = np.frombuffer("".join(str(r[:]) for r in fasta.values()).encode(), dtype=np.uint8)
    c, g = seq == ord("C"), seq == ord("G")
    gc = (c | g).mean()
    cpg_oe = (c[:-1] & g[1:]).sum() * len(seq) / (c.sum() * g.sum())
    assert 0.39 <= gc <= 0.43
    assert 0.18 <= cpg_oe <= 0.32
    assert set(np.unique(seq).tobytes()) == set(b"ACGT")


def test_promoters_carry_cpg_islands(demo: DemoPaths, loci, fasta: pyfaidx.Fasta) -> None:
    truth = json.loads(demo.truth.read_text())["cell_lines"]["GM12878"]["loci"]
    table = loci["GM12878"].assign(klass=truth["class"])
    prom = table[table["klass"] == "promoter"]
    seq = "".join(
        str(fasta[c][p - 300 : p + 300]) for c, p in zip(prom["chrom"], prom["pos"], strict=True)
    )
    n_c, n_g, n_cg = seq.count("C"), seq.count("G"), seq.count("CG")
    assert (n_c + n_g) / len(seq) > 0.48
    assert n_cg * len(seq) / (n_c * n_g) > 0.45


def test_loci_counts_are_table_1_plus_unlabelled(loci: dict[str, pd.DataFrame]) -> None:
    for cell, table in loci.items():
        assert list(table.columns) == LOCI_COLUMNS
        n_pos, n_neg = PAPER_COUNTS[cell]
        assert (table["label"] == 1).sum() == n_pos
        assert (table["label"] == 0).sum() == n_neg
        assert table["label"].isna().sum() == N_UNLABELLED
        assert table["id"].is_unique
        assert not table.duplicated(["chrom", "pos"]).any()
        assert table[["cadd_like", "deepsea_like"]].notna().all().all()


def test_alleles_match_the_genome(loci, fasta: pyfaidx.Fasta) -> None:
    for table in loci.values():
        refs = [str(fasta[c][p - 1]) for c, p in zip(table["chrom"], table["pos"], strict=True)]
        assert refs == table["ref"].tolist()
        assert (table["alt"] != table["ref"]).all()
        assert set(table["alt"]) <= set("ACGT")


def test_windows_lie_inside_contigs_with_margin(loci, fasta: pyfaidx.Fasta) -> None:
    for table in loci.values():
        length = table["chrom"].map({k: len(v) for k, v in fasta.items()})
        assert (table["pos"] - 76 >= 1_000).all()
        assert (table["pos"] + 74 <= length - 1_000).all()


def test_narrowpeak_rows_are_valid(demo: DemoPaths, fasta: pyfaidx.Fasta) -> None:
    manifest = pd.read_csv(demo.tracks, sep="\t")
    lengths = {k: len(v) for k, v in fasta.items()}
    for row in manifest.itertuples():
        peaks = pd.read_csv(demo.root / row.peaks, sep="\t", header=None)
        assert peaks.shape[1] == 10 and len(peaks) > 0, row.peaks
        assert peaks[0].isin(list(lengths)).all()
        assert ((peaks[1] >= 0) & (peaks[1] < peaks[2])).all()
        assert (peaks[2] <= peaks[0].map(lengths)).all()
        assert peaks[4].between(0, 1000).all() and (peaks[5] == ".").all()
        assert ((peaks[9] >= 0) & (peaks[9] < peaks[2] - peaks[1])).all()
        assert peaks[3].is_unique


# --- learnability ------------------------------------------------------------------------------


def _aurocs(loci, features) -> dict[str, dict[str, float]]:
    out = {}
    for cell, table in loci.items():
        mask, y = _labelled(table)
        out[cell] = {k: roc_auc_score(y, features[cell].loc[mask, k]) for k in features[cell]}
    return out


def test_dnase_is_the_most_informative_mark(loci, features) -> None:
    for cell, auc in _aurocs(loci, features).items():
        others = {m: auc[m] for m in MARKS if m != "DNase"}
        assert auc["DNase"] > 0.65, cell
        assert auc["DNase"] > max(others.values()), (cell, auc)
        assert auc["DNase"] < 0.85, (cell, auc)


def test_enhancer_and_promoter_marks_beat_heterochromatin(loci, features) -> None:
    """The paper's groups I (enhancer) and II (promoter) inform more than IV (heterochromatin)."""
    for cell, auc in _aurocs(loci, features).items():
        mean = {g: np.mean([auc[m] for m in MARK_GROUPS[g]]) for g in MARK_GROUPS}
        for group in ("I_enhancer", "II_promoter"):
            assert mean[group] > mean["IV_heterochromatin"] + 0.05, (cell, mean)
            assert max(auc[m] for m in MARK_GROUPS[group]) > max(
                auc[m] for m in MARK_GROUPS["IV_heterochromatin"]
            ), (cell, auc)


def test_composition_is_weak(loci, features) -> None:
    for cell, auc in _aurocs(loci, features).items():
        assert abs(auc["GC"] - 0.5) < 0.1, cell


def test_comparator_scores_are_weak_to_moderate(loci) -> None:
    for cell, table in loci.items():
        mask, y = _labelled(table)
        for col in ("cadd_like", "deepsea_like"):
            assert 0.55 < roc_auc_score(y, table.loc[mask, col]) < 0.8, (cell, col)


def test_positive_windows_hold_the_planted_motifs(demo: DemoPaths, loci, fasta) -> None:
    """A PWM scan (JASPAR matrices from pyjaspar) finds the cell line's motifs far more often in
    windows of functional loci than of non-functional ones."""
    from pyjaspar import jaspardb

    truth = json.loads(demo.truth.read_text())
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        db = jaspardb(release=truth["jaspar_release"])
        matrices = {
            cell: [db.fetch_motif_by_id(m["matrix_id"]) for m in info["motifs"]]
            for cell, info in truth["cell_lines"].items()
        }
    for cell, table in loci.items():
        mask, y = _labelled(table)
        sub = table[mask]
        seqs = [
            str(fasta[c][p - 76 : p + 74]) for c, p in zip(sub["chrom"], sub["pos"], strict=True)
        ]
        hit = _pwm_hits(seqs, matrices[cell], fraction=0.7)
        assert hit[y == 1].mean() > 0.65, cell
        assert hit[y == 1].mean() - hit[y == 0].mean() > 0.3, cell


def _pwm_hits(seqs: list[str], matrices: list, fraction: float) -> np.ndarray:
    """Whether any matrix scores >= ``fraction`` of its best log-odds on either strand."""
    codes = np.array([[("ACGT".index(b)) for b in s] for s in seqs])
    onehot = np.eye(4)[codes]
    hit = np.zeros(len(seqs), dtype=bool)
    for m in matrices:
        counts = np.array([m.counts[b] for b in "ACGT"], dtype=float)
        logodds = np.log2((counts + 0.25) / (counts.sum(0) + 1.0) / 0.25)
        length = logodds.shape[1]
        windows = sliding_window_view(onehot, (length, 4), axis=(1, 2))[:, :, 0]
        for lo in (logodds, logodds[::-1, ::-1]):
            score = np.einsum("nplb,bl->np", windows, lo).max(axis=1)
            hit |= score >= fraction * lo.max(axis=0).sum()
    return hit


def test_models_transfer_poorly_between_cell_lines(loci, features) -> None:
    """Logistic regression on the 11 max features: within a cell line (5-fold CV) against
    trained on another cell line's table (scaler fitted there too)."""
    data = {}
    for cell, table in loci.items():
        mask, y = _labelled(table)
        data[cell] = (features[cell].loc[mask, list(MARKS)].to_numpy(), y)
    within, drops = {}, []
    folds = StratifiedKFold(5, shuffle=True, random_state=0)
    for cell, (x, y) in data.items():
        model = make_pipeline(StandardScaler(), LogisticRegression(max_iter=2000))
        cv = cross_val_predict(model, x, y, cv=folds, method="predict_proba")[:, 1]
        within[cell] = roc_auc_score(y, cv)
        assert within[cell] > 0.7, cell
    for train, (x, y) in data.items():
        model = make_pipeline(StandardScaler(), LogisticRegression(max_iter=2000)).fit(x, y)
        for test, (xt, yt) in data.items():
            if test != train:
                cross = roc_auc_score(yt, model.predict_proba(xt)[:, 1])
                assert cross < within[test] - 0.02, (train, test, cross, within[test])
                drops.append(within[test] - cross)
    assert np.mean(drops) > 0.08, drops


# --- determinism, cache, CLI -------------------------------------------------------------------


def test_cli_writes_the_same_files_for_the_same_seed(demo, tmp_path, monkeypatch, capsys) -> None:
    monkeypatch.setattr(cli, "COMMANDS", ("demo",))  # the sub-command alone, whatever else exists
    out = tmp_path / "again"
    assert cli.main(["demo", "--out", str(out), "--seed", "0"]) == 0
    summary = capsys.readouterr().out.strip().splitlines()
    assert len(summary) == 1 and "683+/2745-" in summary[0]
    assert (out / "genome.fa.fai").is_file() and (out / STAMP).is_file()
    assert _hashes(out) == _hashes(demo.root)


def test_cli_help(monkeypatch, capsys) -> None:
    monkeypatch.setattr(cli, "COMMANDS", ("demo",))
    with pytest.raises(SystemExit) as exc:
        cli.main(["demo", "--help"])
    assert exc.value.code == 0
    assert "--out" in capsys.readouterr().out


def test_python_m_ncv_core_demo(tmp_path) -> None:
    out = tmp_path / "demo"
    done = subprocess.run(
        [sys.executable, "-m", "ncv_core", "demo", "--out", str(out)],
        cwd=REPO,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 0, done.stderr
    assert DemoPaths.at(out).truth.is_file() and all(
        p.is_file() for p in DemoPaths.at(out).loci.values()
    )


def test_ensure_demo_builds_once_under_concurrent_callers(tmp_path) -> None:
    target = tmp_path / "cache" / "demo"
    code = f"from ncv_core.demo import ensure_demo; ensure_demo({str(target)!r}, seed=0)"
    env = {**os.environ, "PYTHONPATH": str(REPO)}
    procs = [subprocess.Popen([sys.executable, "-c", code], cwd=REPO, env=env) for _ in range(2)]
    assert [p.wait(timeout=120) for p in procs] == [0, 0]
    assert is_complete(target, seed=0)
    assert [p.name for p in target.parent.iterdir()] == ["demo"]  # no leftover build folders
    stamp = (target / STAMP).stat().st_mtime_ns
    start = time.perf_counter()
    paths = ensure_demo(target, seed=0)
    assert time.perf_counter() - start < 1.0
    assert (target / STAMP).stat().st_mtime_ns == stamp
    assert paths == DemoPaths.at(target)


def test_ensure_demo_refuses_a_foreign_folder(tmp_path) -> None:
    (tmp_path / "notes.txt").write_text("mine")
    with pytest.raises(NcvError, match="not a complete ncv-explorer demo"):
        ensure_demo(tmp_path, seed=0)
    assert is_complete(tmp_path, seed=0) is False


def test_build_demo_rejects_a_bad_seed(tmp_path) -> None:
    with pytest.raises(NcvError, match="non-negative integer"):
        build_demo(tmp_path / "d", seed=-1)


def test_default_demo_dir(monkeypatch, tmp_path) -> None:
    monkeypatch.delenv("NCV_DEMO_DIR", raising=False)
    monkeypatch.delenv("NCV_CACHE_DIR", raising=False)
    path = default_demo_dir(3)
    assert path.parts[-3:] == (".cache", "ncv-explorer", f"demo-v{DEMO_VERSION}-seed3")
    monkeypatch.setenv("NCV_CACHE_DIR", str(tmp_path / "cache"))
    assert default_demo_dir(3) == tmp_path / "cache" / f"demo-v{DEMO_VERSION}-seed3"
    monkeypatch.setenv("NCV_DEMO_DIR", str(tmp_path / "d"))
    assert default_demo_dir(0) == tmp_path / "d"
